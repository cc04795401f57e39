"""One line of NumPy code for a tree (SPEC §4 `--format numpy`), kept apart from printing.py
so that SymPy's code printers are imported only when NumPy output is asked for."""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .expr import T_DUMMY, Node
from .printing import ADD, ATOM, MUL, TreePrinter


class _NumPy(NumPyPrinter):
    def __init__(self, names: dict[sp.Symbol, str] | None = None):
        super().__init__({"fully_qualified_modules": False})
        self.names = names or {}

    def _module_format(self, fqn: str, register: bool = True) -> str:
        return "np." + fqn.split(".", 1)[1] if fqn.startswith("numpy.") else fqn

    def _print_Symbol(self, s: sp.Symbol) -> str:  # noqa: N802
        return self.names.get(s) or s.name

    _print_Dummy = _print_Symbol  # noqa: N815 - SymPy dispatch name

    def _print_Max(self, e: sp.Expr) -> str:  # noqa: N802
        args = [self._print(a) for a in e.args]
        out = args[0]
        for a in args[1:]:
            out = f"np.maximum({out}, {a})"
        return out

    def _print_Heaviside(self, e: sp.Expr) -> str:  # noqa: N802
        return f"np.heaviside({self._print(e.args[0])}, 0.5)"

    def _print_sign(self, e: sp.Expr) -> str:
        return f"np.sign({self._print(e.args[0])})"

    def _print_sigmoid(self, e: sp.Expr) -> str:
        return f"(1/(1 + np.exp(-({self._print(e.args[0])}))))"

    def _print_softplus(self, e: sp.Expr) -> str:
        return f"np.logaddexp(0, {self._print(e.args[0])})"

    def _print_relu(self, e: sp.Expr) -> str:
        return f"np.maximum({self._print(e.args[0])}, 0)"

    def _print_Rational(self, e: sp.Rational) -> str:  # noqa: N802
        return f"({e.p}/{e.q})"

    def _print_Integer(self, e: sp.Integer) -> str:  # noqa: N802
        return str(e.p)


def _np_dim(d: sp.Expr) -> str:
    return _NumPy().doprint(d)


def _np_shape(shape: tuple) -> str:
    if shape == ():
        return "()"
    r, c = shape
    if c == 1:
        return _np_dim(r)
    if r == 1:
        return _np_dim(c)
    return f"({_np_dim(r)}, {_np_dim(c)})"


def _np_combine(a: tuple[str, tuple], b: tuple[str, tuple]) -> tuple[str, tuple]:
    (sa, ha), (sb, hb) = a, b
    if ha == () or hb == ():
        shape = hb if ha == () else ha
        return f"({sa}) * ({sb})", shape
    r, c = ha[0], hb[1]
    shape = () if (r == 1 and c == 1) else (r, c)
    if ha[1] == 1 and hb[0] == 1:  # column times row: an outer product of 1-D arrays
        return f"np.outer({sa}, {sb})", shape
    return f"{sa} @ {sb}", shape


def _np_matmul(p: TreePrinter, n: Node) -> str:
    if len(n.args) == 2 and n.args[0].op == "ones" and n.args[0].is_row:
        if n.is_scalar:  # 1ᵀ u
            return f"np.sum({p(n.args[1])})"
        return f"np.sum({p(n.args[1])}, axis=0)"  # 1ᵀ A: the column sums
    items = [(p.paren(f, MUL + 1), f.shape) for f in n.args]
    if n.args[-1].is_vector and not n.args[0].is_row:  # A (B x): matrix-vector, right to left
        acc = items[-1]
        for item in reversed(items[:-1]):
            code, shape = _np_combine(item, acc)
            acc = (f"({code})", shape)
    else:
        acc = items[0]
        for item in items[1:]:
            code, shape = _np_combine(acc, item)
            acc = (f"({code})", shape)
    return acc[0]


def _np_mul(p: TreePrinter, n: Node) -> str:
    first = n.args[0]
    if first.op == "scalar" and first.data == -1:
        return "-" + " * ".join(p.paren(f, MUL + 1) for f in n.args[1:])
    return " * ".join(p.paren(f, MUL + 1) for f in n.args)


def _np_add(p: TreePrinter, n: Node) -> str:
    return " + ".join(p.paren(t, ADD + 1) for t in n.args)


def _np_matrix(p: TreePrinter, n: Node) -> str:
    m = n.data
    s = _NumPy(p.names)
    if m.shape[1] == 1 or m.shape[0] == 1:
        return "np.array([" + ", ".join(s.doprint(e) for e in m) + "], dtype=float)"
    rows = ("[" + ", ".join(s.doprint(e) for e in m.row(i)) + "]" for i in range(m.shape[0]))
    return "np.array([" + ", ".join(rows) + "], dtype=float)"


def _np_lit(p: TreePrinter, n: Node) -> str:
    r, c = n.data
    cells = [p(a) for a in n.args]
    if c == 1 or r == 1:
        return "np.array([" + ", ".join(cells) + "], dtype=float)"
    rows = ("[" + ", ".join(cells[i * c : (i + 1) * c]) + "]" for i in range(r))
    return "np.array([" + ", ".join(rows) + "], dtype=float)"


def _np_elem(p: TreePrinter, n: Node) -> str:
    return _NumPy({T_DUMMY: f"({p(n.args[0])})", **p.names}).doprint(n.data)


def _np_elemx(p: TreePrinter, n: Node) -> str:
    """An entrywise body whose inner calls were hoisted into names (codegen only)."""
    body, symbols = n.data
    names = {T_DUMMY: f"({p(n.args[0])})", **p.names}
    names.update({s: p(a) for s, a in zip(symbols, n.args[1:], strict=True)})
    return _NumPy(names).doprint(body)


def _np_T(p: TreePrinter, n: Node) -> str:  # noqa: N802
    a = n.args[0]
    if a.is_vector or a.is_row:
        return p(a)
    return p.paren(a, ATOM) + ".T"


def _np_softmax(p: TreePrinter, n: Node) -> str:
    x = p(n.args[0])
    return f"(np.exp(({x}) - np.max({x})) / np.sum(np.exp(({x}) - np.max({x}))))"


def _np_comm(p: TreePrinter, n: Node) -> str:
    m, k = (_np_dim(d) for d in n.data)
    return f"np.eye(({m})*({k}))[np.arange(({m})*({k})).reshape(({k}), ({m})).T.ravel()]"


class NumpyPrinter(TreePrinter):
    """One line of NumPy; vectors are 1-D, matrix-vector chains multiply right to left."""

    table = {
        "sym": lambda p, n: n.data[0],
        "scalar": lambda p, n: _NumPy(p.names).doprint(n.data),
        "matrix": _np_matrix,
        "lit": _np_lit,
        "zero": lambda p, n: f"np.zeros({_np_shape(n.shape)})",
        "eye": lambda p, n: f"np.eye({_np_dim(n.shape[0])})",
        "ones": lambda p, n: f"np.ones({_np_shape(n.shape)})",
        "add": _np_add,
        "mul": _np_mul,
        "matmul": _np_matmul,
        "had": lambda p, n: " * ".join(p.paren(f, MUL + 1) for f in n.args),
        "kron": lambda p, n: f"np.kron({p(n.args[0])}, {p(n.args[1])})",
        "pow": lambda p, n: f"{p.paren(n.args[0], ATOM)}**{p.paren(n.args[1], ATOM)}",
        "matpow": lambda p, n: f"np.linalg.matrix_power({p(n.args[0])}, {n.data})",
        "T": _np_T,
        "inv": lambda p, n: f"np.linalg.inv({p(n.args[0])})",
        "elem": _np_elem,
        "elemx": _np_elemx,
        "tr": lambda p, n: f"np.trace({p(n.args[0])})",
        "det": lambda p, n: f"np.linalg.det({p(n.args[0])})",
        "logdet": lambda p, n: f"np.linalg.slogdet({p(n.args[0])})[1]",
        "sum": lambda p, n: f"np.sum({p(n.args[0])})",
        "norm2": lambda p, n: f"np.linalg.norm({p(n.args[0])})",
        "diag": lambda p, n: f"np.diag({p(n.args[0])})",
        "diagof": lambda p, n: f"np.diag({p(n.args[0])})",
        "softmax": _np_softmax,
        "lse": lambda p, n: f"np.logaddexp.reduce({p(n.args[0])})",
        "vec": lambda p, n: f"np.ravel(({p(n.args[0])}).T)",
        "comm": _np_comm,
    }
