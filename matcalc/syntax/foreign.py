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
    "transpose": "transpose",
    "matmul": "matmul",
    "log_softmax": "log_softmax",
}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUALIFIED = re.compile(rf"({_NAME})((?:\.(?!T(?![A-Za-z0-9_])){_NAME})+)")  # not x.T
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
        return None
    library = LIBRARIES[m.group(1)]
    head = m.group(0)
    call = text[m.end() : m.end() + 1] == "("
    shown = f"{head}(…)" if call else head
    ours = _spelled(head)
    message = f"{shown} is {library} code; matcalc writes {ours}{'(…)' if call else ''}"
    message += f" — and {WARN}"
    rewrite = _rewrite(text, library)
    if rewrite and len(rewrite) <= 80:
        message += f"; write {rewrite}"
    return message, start


def _rewrite(text: str, library: str) -> str | None:
    """The input in matcalc's spelling, when every qualified name is a library's."""
    names = _QUALIFIED.findall(text)
    if any(m not in LIBRARIES for m, _ in names):
        return None
    out = _QUALIFIED.sub(lambda m: _spelled(m.group(0)), text)
    if library in ("PyTorch", "NumPy", "JAX", "TensorFlow"):  # there * is entrywise, @ matmul
        out = _STAR.sub(".*", out).replace(" @ ", "*").replace("@", "*")
    return out
