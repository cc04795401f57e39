"""Strings of expression trees: unicode text, LaTeX and one-line NumPy code.

Each printer is a table keyed by op; scalar leaves and explicit matrices go to subclasses of
SymPy's own printers, which differ from SymPy's only where matcalc's notation does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .expr import T_DUMMY, Node

GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega"
).split()
_GREEK_UNICODE = dict(zip(GREEK, "αβγδεζηθικλμνξοπρστυφχψω", strict=True))
_GREEK_UNICODE.update({g.capitalize(): chr(ord(u) - 32) for g, u in _GREEK_UNICODE.items()})
_GREEK_UNICODE["lam"] = "λ"
_GREEK_UNICODE["Lam"] = "Λ"
_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# precedence: what binds tighter prints without parentheses
ADD, MUL, POW, ATOM = 1, 2, 3, 4


def _prec(n: Node) -> int:
    if n.op == "add":
        return ADD
    if n.op in ("mul", "matmul", "had", "kron"):
        return MUL
    if n.op == "scalar":
        d = n.data
        if d.is_Add or (d.is_Number and d < 0) or (d.is_Rational and not d.is_Integer):
            return ADD
        if d.is_Mul and d.could_extract_minus_sign():
            return ADD
        return MUL if d.is_Mul else (POW if d.is_Pow else ATOM)
    if n.op in ("elem", "elemx"):
        body = n.data if n.op == "elem" else n.data[0]
        return ADD if body.is_Add else MUL if body.is_Mul else ATOM
    if n.op == "pow":
        return POW
    if n.op in ("matrix", "lit") or n.op == "sym":
        return ATOM
    return ATOM


def text_name(name: str) -> str:
    """A variable name in text: Greek names as Greek letters, the rest unchanged."""
    base, sep, rest = name.partition("_")
    for key in (name, base):
        if key in _GREEK_UNICODE:
            return _GREEK_UNICODE[key] + (sep + rest if key == base and key != name else "")
    return name


def _diff_name(name: str, d: str, fmt: Callable[[str], str]) -> str:
    """Differentials are leaves named ∂x; they print as dx (text) or \\mathrm{d}x (LaTeX)."""
    return d + fmt(name[1:]) if name.startswith("∂") else fmt(name)


def latex_name(name: str) -> str:
    """A variable name in LaTeX as SymPy writes it (`W_{1}`, `\\alpha`), `lam` as λ."""
    base = sp.Symbol(name)
    mapped = {base: r"\lambda"} if name == "lam" else {}
    return sp.latex(base, symbol_names=mapped)


# ---------------------------------------------------------------- SymPy scalar printers


class _Str(StrPrinter):
    def __init__(self, names: dict[sp.Symbol, str] | None = None):
        super().__init__({"order": "none"})
        self.names = names or {}

    def _print_Symbol(self, s: sp.Symbol) -> str:  # noqa: N802 - SymPy's dispatch name
        return self.names.get(s) or text_name(s.name)

    def _print_sigmoid(self, e: sp.Expr) -> str:
        return f"σ({self._print(e.args[0])})"


class _Latex(LatexPrinter):
    def __init__(self, names: dict[sp.Symbol, str] | None = None):
        super().__init__({"mat_str": "bmatrix", "mat_delim": "", "order": "none"})
        self.names = names or {}

    def _print_Symbol(self, s: sp.Symbol, style: str = "plain") -> str:  # noqa: N802
        if s in self.names:
            return self.names[s]
        return latex_name(s.name)

    def _print_sigmoid(self, e: sp.Expr, exp: str | None = None) -> str:
        inner = rf"\sigma\left({self._print(e.args[0])}\right)"
        return f"{inner}^{{{exp}}}" if exp else inner

    def _print_softplus(self, e: sp.Expr, exp: str | None = None) -> str:
        inner = rf"\operatorname{{softplus}}\left({self._print(e.args[0])}\right)"
        return f"{inner}^{{{exp}}}" if exp else inner

    def _print_relu(self, e: sp.Expr, exp: str | None = None) -> str:
        inner = rf"\operatorname{{relu}}\left({self._print(e.args[0])}\right)"
        return f"{inner}^{{{exp}}}" if exp else inner


# ---------------------------------------------------------------- tree printers


class TreePrinter:
    """Walks a tree with a table of op → function; subclasses fill the table."""

    table: dict[str, Callable[[TreePrinter, Node], str]] = {}

    def __init__(self, names: dict[sp.Symbol, str] | None = None):
        self.names = names or {}
        self.node_names: dict[Node, str] = {}  # subtrees already bound to a name (codegen's CSE)

    def __call__(self, n: Node) -> str:
        if n in self.node_names:
            return self.node_names[n]
        fn = self.table.get(n.op)
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} has no rule for {n.op!r}")
        return fn(self, n)

    def paren(self, n: Node, prec: int) -> str:
        s = self(n)
        return f"({s})" if _prec(n) < prec else s


def display_factors(n: Node) -> list[Node]:
    """The factors of a product as a reader wants them: numbers out of scalar functions, first."""
    coeff = sp.Integer(1)
    rest: list[Node] = []
    for f in n.args:
        if f.op == "scalar" and f.data.is_Number:
            coeff *= f.data
        elif f.op == "elem" and f.is_scalar and f.data.as_coeff_Mul()[0] != 1:
            c, body = f.data.as_coeff_Mul()
            coeff *= c
            rest.append(Node("elem", f.args, body, ()))
        else:
            rest.append(f)
    return ([Node("scalar", (), coeff, ())] if coeff != 1 else []) + rest


def signed_factors(n: Node) -> tuple[str, list[Node]]:
    """A product's sign and its display factors, the leading number made positive (or dropped if 1)."""
    args = display_factors(n)
    if args and args[0].op == "scalar" and args[0].data.is_Number and args[0].data < 0:
        lead = -args[0].data
        return "-", ([Node("scalar", (), lead, ())] if lead != 1 else []) + args[1:]
    return "", args


def _text_mul(p: TreePrinter, n: Node) -> str:
    parts: list[str] = []
    sign, args = signed_factors(n)
    for i, f in enumerate(args):
        last = i == len(args) - 1 and not f.is_scalar
        parts.append(
            p.paren(f, MUL if last or (f.op == "scalar" and not f.data.is_Add) else MUL + 1)
        )
    return sign + " ".join(parts)


def _text_add(p: TreePrinter, n: Node) -> str:
    out = p(n.args[0])
    for t in n.args[1:]:
        s = p(t)
        out += f" - {s[1:]}" if s.startswith("-") else f" + {s}"
    return out


def _bare_placeholder(body: sp.Expr) -> bool:
    """Whether the argument only ever sits inside a function call, f(u), needing no parentheses."""
    if body == T_DUMMY:
        return False
    if body.is_Pow and body.args[0] == T_DUMMY and body.args[1] in (sp.S.Half, -sp.S.Half):
        return True
    if isinstance(body, sp.Function) and T_DUMMY in body.args:
        return all(a == T_DUMMY or _bare_placeholder(a) or not a.has(T_DUMMY) for a in body.args)
    return all(_bare_placeholder(a) or not a.has(T_DUMMY) for a in body.args)


_STAR = re.compile(r"(?<!\*)\*(?!\*)")


def _text_elem(p: TreePrinter, n: Node) -> str:
    arg = n.args[0]
    inner = p(arg)
    bare = _prec(arg) >= ATOM or _bare_placeholder(n.data)
    placeholder = inner if bare else f"({inner})"
    out = _Str({T_DUMMY: placeholder, **p.names}).doprint(n.data)
    return out if n.is_scalar else _STAR.sub(" ⊙ ", out)


def _text_matrix(p: TreePrinter, n: Node) -> str:
    m = n.data
    s = _Str(p.names)
    if m.shape[1] == 1:
        return "[" + ", ".join(s.doprint(e) for e in m) + "]ᵀ"
    rows = ("[" + ", ".join(s.doprint(e) for e in m.row(i)) + "]" for i in range(m.shape[0]))
    return "[" + ", ".join(rows) + "]"


def _text_lit(p: TreePrinter, n: Node) -> str:
    r, c = n.data
    cells = [p(a) for a in n.args]
    if c == 1:
        return "[" + ", ".join(cells) + "]ᵀ"
    return (
        "[" + ", ".join("[" + ", ".join(cells[i * c : (i + 1) * c]) + "]" for i in range(r)) + "]"
    )


def _text_T(p: TreePrinter, n: Node) -> str:  # noqa: N802
    return p.paren(n.args[0], ATOM) + "ᵀ"


def _text_inv(p: TreePrinter, n: Node) -> str:
    a = n.args[0]
    if a.op == "T":
        return p.paren(a.args[0], ATOM) + "⁻ᵀ"
    return p.paren(a, ATOM) + "⁻¹"


def _fn(name: str) -> Callable[[TreePrinter, Node], str]:
    return lambda p, n: f"{name}({', '.join(p(a) for a in n.args)})"


class TextPrinter(TreePrinter):
    """Readable unicode: `(A + Aᵀ) x`, `X⁻ᵀ`, `σ(x) ⊙ y`."""

    table = {
        "sym": lambda p, n: _diff_name(n.data[0], "d", text_name),
        "scalar": lambda p, n: _Str(p.names).doprint(n.data),
        "matrix": _text_matrix,
        "lit": _text_lit,
        "zero": lambda p, n: "0",
        "eye": lambda p, n: "I",
        "ones": lambda p, n: "𝟏ᵀ" if n.is_row else "𝟏",
        "add": _text_add,
        "mul": _text_mul,
        "matmul": lambda p, n: " ".join(p.paren(f, MUL + 1) for f in n.args),
        "had": lambda p, n: " ⊙ ".join(p.paren(f, MUL + 1) for f in n.args),
        "kron": lambda p, n: " ⊗ ".join(p.paren(f, MUL + 1) for f in n.args),
        "pow": lambda p, n: f"{p.paren(n.args[0], ATOM)}**{p.paren(n.args[1], ATOM)}",
        "matpow": lambda p, n: p.paren(n.args[0], ATOM) + str(n.data).translate(_SUPER),
        "T": _text_T,
        "inv": _text_inv,
        "elem": _text_elem,
        "tr": _fn("tr"),
        "det": _fn("det"),
        "logdet": _fn("logdet"),
        "sum": _fn("sum"),
        "norm2": lambda p, n: f"‖{p(n.args[0])}‖",
        "diag": _fn("diag"),
        "diagof": _fn("diag"),
        "softmax": _fn("softmax"),
        "lse": _fn("logsumexp"),
        "vec": _fn("vec"),
        "comm": lambda p, n: f"K[{n.data[0]},{n.data[1]}]",
    }


# ---------------------------------------------------------------- LaTeX


def _latex_add(p: TreePrinter, n: Node) -> str:
    out = p(n.args[0])
    for t in n.args[1:]:
        s = p(t)
        out += f" - {s[1:].lstrip()}" if s.startswith("-") else f" + {s}"
    return out


def _latex_mul(p: TreePrinter, n: Node) -> str:
    parts: list[str] = []
    sign, args = signed_factors(n)
    for i, f in enumerate(args):
        if i == 0 and f.op == "scalar" and f.data.is_Number:
            if f.data.is_Rational and not f.data.is_Integer:
                parts.append(rf"\frac{{{f.data.p}}}{{{f.data.q}}}")
                continue
        last = i == len(args) - 1 and not f.is_scalar
        parts.append(_latex_paren(p, f, MUL if last or f.op == "scalar" else MUL + 1))
    return sign + " ".join(parts)


def _latex_paren(p: TreePrinter, n: Node, prec: int) -> str:
    s = p(n)
    return rf"\left({s}\right)" if _prec(n) < prec else s


def _latex_sup(p: TreePrinter, n: Node, sup: str) -> str:
    a = n
    s = p(a)
    if _prec(a) < ATOM or a.op in ("matrix", "lit"):
        s = rf"\left({s}\right)"
    elif "^" in s:
        s = f"{{{s}}}"
    return f"{s}^{{{sup}}}"


def _latex_elem(p: TreePrinter, n: Node) -> str:
    arg = n.args[0]
    inner = p(arg)
    bare = (_prec(arg) >= ATOM and "^" not in inner) or _bare_placeholder(n.data)
    if bare:
        placeholder = inner
    elif _prec(arg) >= ATOM:  # a power of xᵀ: braces, not a double superscript
        placeholder = f"{{{inner}}}"
    else:
        placeholder = rf"\left({inner}\right)"
    body = _Latex({T_DUMMY: placeholder, **p.names}).doprint(n.data)
    if not n.is_scalar and (n.data.is_Mul or (n.data.is_Pow and n.data.args[0] != T_DUMMY)):
        return body.replace(r" \cdot ", r" \odot ")
    if not n.is_scalar and n.data.is_Pow and n.data.args[0] == T_DUMMY:
        base = (
            f"{{{placeholder}}}"
            if "^" in placeholder and not placeholder.startswith("{")
            else placeholder
        )
        return f"{base}^{{\\circ {sp.latex(n.data.args[1])}}}"
    return body


def _latex_fn(cmd: str) -> Callable[[TreePrinter, Node], str]:
    return lambda p, n: rf"{cmd}\left({', '.join(p(a) for a in n.args)}\right)"


def _latex_norm(p: TreePrinter, n: Node) -> str:
    a = n.args[0]
    sub = "2" if a.is_vector or a.is_row else "F"
    return rf"\left\| {p(a)} \right\|_{{{sub}}}"


def _latex_inv(p: TreePrinter, n: Node) -> str:
    a = n.args[0]
    if a.op == "T":
        return _latex_sup(p, a.args[0], r"-\top")
    return _latex_sup(p, a, "-1")


class TreeLatexPrinter(TreePrinter):
    """One LaTeX math expression: amsmath's bmatrix, ⊙ as \\odot, transposes as ^{\\top}."""

    table = {
        "sym": lambda p, n: _diff_name(n.data[0], r"\mathrm{d}", latex_name),
        "scalar": lambda p, n: _Latex(p.names).doprint(n.data),
        "matrix": lambda p, n: _Latex(p.names).doprint(n.data),
        "lit": lambda p, n: (
            r"\begin{bmatrix}"
            + r"\\".join(
                " & ".join(p(a) for a in n.args[i * n.data[1] : (i + 1) * n.data[1]])
                for i in range(n.data[0])
            )
            + r"\end{bmatrix}"
        ),
        "zero": lambda p, n: "0",
        "eye": lambda p, n: "I",
        "ones": lambda p, n: r"\mathbf{1}^{\top}" if n.is_row else r"\mathbf{1}",
        "add": _latex_add,
        "mul": _latex_mul,
        "matmul": lambda p, n: " ".join(_latex_paren(p, f, MUL + 1) for f in n.args),
        "had": lambda p, n: r" \odot ".join(_latex_paren(p, f, MUL + 1) for f in n.args),
        "kron": lambda p, n: r" \otimes ".join(_latex_paren(p, f, MUL + 1) for f in n.args),
        "pow": lambda p, n: _latex_sup(p, n.args[0], p(n.args[1])),
        "matpow": lambda p, n: _latex_sup(p, n.args[0], str(n.data)),
        "T": lambda p, n: _latex_sup(p, n.args[0], r"\top"),
        "inv": _latex_inv,
        "elem": _latex_elem,
        "tr": _latex_fn(r"\operatorname{tr}"),
        "det": _latex_fn(r"\det"),
        "logdet": _latex_fn(r"\log\det"),
        "sum": _latex_fn(r"\operatorname{sum}"),
        "norm2": _latex_norm,
        "diag": _latex_fn(r"\operatorname{diag}"),
        "diagof": _latex_fn(r"\operatorname{diag}"),
        "softmax": _latex_fn(r"\operatorname{softmax}"),
        "lse": _latex_fn(r"\operatorname{logsumexp}"),
        "vec": _latex_fn(r"\operatorname{vec}"),
        "comm": lambda p, n: rf"K_{{{sp.latex(n.data[0])},{sp.latex(n.data[1])}}}",
    }


def to_text(n: Node, names: dict[sp.Symbol, str] | None = None) -> str:
    return TextPrinter(names)(n)


def to_latex(n: Node, names: dict[sp.Symbol, str] | None = None) -> str:
    return TreeLatexPrinter(names)(n)


def to_numpy(n: Node, names: dict[sp.Symbol, str] | None = None) -> str:
    from .numpy_code import NumpyPrinter  # SymPy's code printers load only when asked for

    return NumpyPrinter(names)(n)
