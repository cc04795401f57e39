"""Code of another library's API pasted as a formula (SPEC §7.8): `F.sum(…)`, `torch.tanh(…)`,
`np.linalg.inv(…)`, `jnp.…`, `S.Trace(…)`, `sy.…`, `X.applyfunc(exp)`. It stays a user error,
with one message that names the library, matcalc's spelling of the call, and that `*` is the
matrix product here (`.*` entrywise); where the whole input can be rewritten, the rewrite."""

from __future__ import annotations

import re

LIBRARIES = {
    "F": "PyTorch",
    "torch": "PyTorch",
    "nn": "PyTorch",
    "np": "NumPy",
    "numpy": "NumPy",
    "jnp": "JAX",
    "jax": "JAX",
    "S": "SymPy",
    "sy": "SymPy",
    "sp": "SymPy",
    "sympy": "SymPy",
    "tf": "TensorFlow",
}
# Where matcalc spells a function differently; any other name is kept as it is.
SPELLING = {
    "trace": "tr",
    "Trace": "tr",
    "Determinant": "det",
    "Inverse": "inv",
    "norm": "norm2",
    "maximum": "max",
    "minimum": "min",
    "log_softmax": "log_softmax",
}
# Functions of other libraries and languages that matcalc writes another way: an unknown call of
# one of these names says how, before any "did you mean" by spelling (matmul is not maximum).
FAMILIAR = {
    "square": "x.^2 (entry by entry)",
    "matmul": "A*B (* is the matrix product here, .* entrywise)",
    "mm": "A*B (* is the matrix product here, .* entrywise)",
    "multiply": "A .* B (entry by entry)",
    "outer": "x*y' (the outer product)",
    "inner": "x'*y",
    "matexp": "expm (the matrix exponential; exp is entry by entry)",
    "expmat": "expm (the matrix exponential; exp is entry by entry)",
    "matlog": "logm (the principal matrix logarithm; log is entry by entry)",
    "matsqrt": "sqrtm (the principal matrix square root; sqrt is entry by entry)",
    "eigvals": "eig (the eigenvalues of a symmetric matrix; sum(eig(X)) and prod(eig(X)) for any "
    "square X)",
    "eigh": "eig (the eigenvalues of a symmetric matrix)",
    "inverse": "inv",
    "slogdet": "logdet (log det X, where det X > 0) or log(abs(det(X)))",
    "expit": "sigmoid",
    "logistic": "sigmoid",
    "pow": "x.^k (entry by entry) or X^k (the matrix power)",
    "power": "x.^k (entry by entry) or X^k (the matrix power)",
    "transpose": "A' (or A.T)",
}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUALIFIED = re.compile(rf"({_NAME})((?:\.(?!T(?![A-Za-z0-9_])){_NAME})+)")  # not x.T
_METHOD = re.compile(rf"\.({_NAME})\s*\(")  # (X @ w).sum(), x.dot(y)
_APPLY = re.compile(rf"({_NAME}|\([^()]*\))\.applyfunc\(\s*({_NAME})\s*\)")
_STAR = re.compile(r"(?<![*.])\*(?!\*)")
WARN = "* is the matrix product here, .* entrywise"


def _spelled(qualified: str) -> str:
    name = qualified.rsplit(".", 1)[-1]
    return SPELLING.get(name, name)


def foreign_code(text: str, pos: int) -> tuple[str, int] | None:
    """The message and its column for another library's code whose `.` is at pos, or None."""
    m = _APPLY.search(text)
    if m and m.start() <= pos < m.end():
        dot = m.start() + len(m.group(1))
        return (
            f"{m.group(1)}.applyfunc({m.group(2)}) is SymPy code; matcalc writes "
            f"{m.group(2)}({m.group(1).strip('()')}) — and {WARN}",
            dot,
        )
    start = pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
        start -= 1
    m = _QUALIFIED.match(text, start)
    if m is None or m.group(1) not in LIBRARIES:
        return _method_call(text, pos)
    library = LIBRARIES[m.group(1)]
    head = m.group(0)
    call = text[m.end() : m.end() + 1] == "("
    shown = f"{head}(…)" if call else head
    ours = _spelled(head)
    if ours in FAMILIAR:  # no function of that name here: how matcalc writes it
        return f"{shown} is {library} code; matcalc writes {FAMILIAR[ours]}", start
    message = f"{shown} is {library} code; matcalc writes {ours}{'(…)' if call else ''}"
    message += f" — and {WARN}"
    rewrite = _rewrite(text, library)
    if rewrite and len(rewrite) <= 80:
        message += f"; write {rewrite}"
    return message, start


def _method_call(text: str, pos: int) -> tuple[str, int] | None:
    """`(X @ w).sum()`, `x.dot(y)`: an array's method, which matcalc writes as a function."""
    method = _METHOD.match(text, pos)
    if method is None or pos == 0 or not (text[pos - 1] in ")]" or text[pos - 1].isalnum()):
        return None
    name = SPELLING.get(method.group(1), method.group(1))
    ours = FAMILIAR.get(name, f"{name}(…) with the array as its argument")
    return (
        f".{method.group(1)}() is a method of NumPy or PyTorch arrays; matcalc writes {ours}",
        pos,
    )


def _rewrite(text: str, library: str) -> str | None:
    """The input in matcalc's spelling, when every qualified name is a library's."""
    names = _QUALIFIED.findall(text)
    if any(m not in LIBRARIES or _spelled(m + r) in FAMILIAR for m, r in names):
        return None
    out = _QUALIFIED.sub(lambda m: _spelled(m.group(0)), text)
    if library in ("PyTorch", "NumPy", "JAX", "TensorFlow"):  # there * is entrywise, @ matmul
        out = _STAR.sub(".*", out).replace(" @ ", "*").replace("@", "*")
    return out
