"""One generic printer for text, LaTeX and NumPy: each operator's registry entry holds its
three print rules and one precedence, and parentheses are decided here, from that precedence
alone — so the LaTeX means what the text means, by construction."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..expr.arrays import array_shape, two_d_shape
from ..expr.node import Node, brief, set_repr, written_size
from ..expr.registry import ATOM, FUNCTIONS, OPS, PROD, SUM
from ..limits import MEMO_TEXT
from ..syntax.names import latex_name, text_name
from .names import Namespace


def _sympy_to_tree(v: sp.Expr) -> Node:
    """A SymPy constant as a tree of print-only nodes (never rewritten, only printed)."""
    from ..expr.registry import OPS

    if v.is_Symbol:  # an entry of a componentwise result: x1, A12
        return Node("var", (), (v.name, False), ())
    if v.is_Number or v in (sp.pi, sp.E):
        return Node("num", (), v, ())
    if v.is_Add:
        return Node("add", tuple(_sympy_to_tree(a) for a in _ordered_add(v)), None, ())
    if v.is_Mul:
        c, rest = v.as_coeff_Mul()
        factors = [a for a in sp.Mul.make_args(rest)]
        args = ([Node("num", (), c, ())] if c != 1 else []) + [_sympy_to_tree(a) for a in factors]
        return Node("mul", tuple(args), None, ()) if len(args) > 1 else args[0]
    if v.is_Pow:
        return Node("pow", (_sympy_to_tree(v.base), _sympy_to_tree(v.exp)), None, ())
    for name, op in OPS.items():
        if op.sympy_fn is not None and isinstance(v, sp.Function) and v.func == op.sympy_fn:
            return Node(name, (_sympy_to_tree(v.args[0]),), None, ())
    if isinstance(v, sp.Abs):
        return Node("abs", (_sympy_to_tree(v.args[0]),), None, ())
    return Node("num", (), v, ())


def _ordered_add(v: sp.Add) -> list[sp.Expr]:
    terms = list(v.as_ordered_terms())
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


class Printer:
    """Prints a tree in one format (`text`, `latex`, `numpy`) from the entries' rules."""

    def __init__(self, fmt: str, names: Namespace | None = None):
        self.fmt = fmt
        self.names = names  # code: the user's names marked, finished by `names.finish`
        self.node_names: dict[Node, str] = {}  # subtrees bound to a name (generated code)
        self._sized = False  # the parent fixes this operand's size (𝟏 and 𝐈 need no size)
        self.sized = False  # ... as read by the rule of the node being printed
        self.leading = False  # printing the first factor of a matrix product
        self._memo: dict[tuple, str] = {}  # a subtree printed once (a Jacobian repeats its rows)
        self.greek_sigma: bool | None = None  # the tree has a variable σ (set by the first call)
        self.shadowed: frozenset[str] | None = None  # its variables named like a function

    def __call__(self, n: Node) -> str:
        if self.greek_sigma is None:  # one glyph, one meaning: σ is the variable or sigmoid
            self.greek_sigma = "sigma" in n.free()
            self.shadowed = n.free() & frozenset(FUNCTIONS)
        if n in self.node_names:
            return self.node_names[n]
        key = (n, self._sized, self.leading, len(self.node_names))
        known = self._memo.get(key)
        if known is not None:
            return known
        entry = OPS[n.op]
        rule = getattr(entry, self.fmt)
        if rule is None:
            raise NotImplementedError(f"no {self.fmt} printer for {n.op!r}")
        outer = self._sized
        self.sized = outer
        self._sized = outer and entry.keeps_context  # c A, Aᵀ: 𝟏 and 𝐈 inside stay bare
        try:
            out = rule(self, n)
        finally:
            self._sized = outer
        if self.shadowed and entry.names and entry.names[0] in self.shadowed:
            out = self.unshadowed(entry.names, out)
        self._memo[key] = out
        return out

    def unshadowed(self, names: tuple[str, ...], out: str) -> str:
        """A function printed under another of its names where a variable has its first (with
        `--let tr:n,n`, trace prints `trace(X)`): a declared name reads back as the variable."""
        other = next((m for m in names if m not in self.shadowed), None)
        heads = {"text": "{}(", "latex": r"\operatorname{{{}}}"}
        head = heads.get(self.fmt, "").format(names[0])
        if other is None or not head or not out.startswith(head):
            return out
        return heads[self.fmt].format(other) + out[len(head) :]

    def in_context(self, n: Node, min_prec: int, sized: bool) -> str:
        """An operand whose size the surrounding operation fixes (a sum's term, a product's
        neighbour): there 𝟏 and 𝐈 print as symbols, elsewhere with their size, as input needs."""
        before = self._sized
        self._sized = sized
        try:
            return self.arg(n, min_prec)
        finally:
            self._sized = before

    def prec_of(self, n: Node) -> int:
        if n in self.node_names:
            return ATOM
        return OPS[n.op].precedence(n)

    def chain(self, factors, scale: str | None = None, after: bool = False) -> str:
        """NumPy for a matrix product (render/products.py): what an entry's NumPy rule calls."""
        from .products import chain

        return chain(self, factors, scale, after)

    def arg(self, n: Node, min_prec: int) -> str:
        """The operand, in parentheses when it binds less tightly than min_prec."""
        s = self(n)
        return self.wrap(s) if self.prec_of(n) < min_prec else s

    def wrap(self, s: str) -> str:
        return rf"\left({s}\right)" if self.fmt == "latex" else f"({s})"

    # -- leaves
    def name(self, name: str) -> str:
        if self.fmt == "text":
            return text_name(name)
        if self.fmt == "latex":
            return latex_name(name)
        return name if self.names is None else self.names.name(name)

    def _sympy_str(self, v: sp.Expr) -> str:
        """SymPy's own spelling of a constant, its symbols (dimensions) printed as names."""
        if self.names is None or not v.free_symbols:
            return str(v)
        return str(v.xreplace({s: sp.Symbol(self.name(s.name)) for s in v.free_symbols}))

    def const(self, v: sp.Expr) -> str:
        """An exact constant in this format."""
        if v.is_Integer:
            return str(int(v))
        if v.is_Rational:
            if self.fmt == "latex":
                sign = "-" if v < 0 else ""
                return rf"{sign}\frac{{{abs(v.p)}}}{{{v.q}}}"
            if self.fmt == "numpy":
                return f"({v.p}/{v.q})"
            return f"{v.p}/{v.q}"
        if v == sp.pi:
            return {"text": "π", "latex": r"\pi", "numpy": "np.pi"}[self.fmt]
        if v == sp.E:
            return {"text": "e", "latex": "e", "numpy": "np.e"}[self.fmt]
        if v.is_Symbol:
            return self.name(v.name)
        if v.is_Float:
            return repr(float(v))
        tree = _sympy_to_tree(v)
        if tree.is_number:
            return self._sympy_str(v)
        return self(tree)

    def dim(self, d: object) -> str:
        """A dimension as NumPy code (dimension names are bound to their sizes)."""
        d = sp.sympify(d)  # safe: a dimension
        if d.is_Symbol:
            return str(d) if self.names is None else self.names.name(d.name)
        if d.is_Integer:
            return str(d)
        return f"({self._sympy_str(d)})"

    def dim_text(self, d: object) -> str:
        """A dimension as this format writes a value (`m n`, `n²`), which reads back."""
        return self.const(sp.sympify(d))  # safe: a dimension

    def np_shape(self, shape: tuple) -> str:
        """A NumPy shape in the array convention (expr/arrays.py): vectors are 1-D."""
        dims = [self.dim(d) for d in array_shape(shape)]
        return dims[0] if len(dims) == 1 else f"({', '.join(dims)})"

    def two_d(self, n: Node) -> str:
        """NumPy code for the operand as a 2-D array (vectors are 1-D in the output format): the
        shape `two_d_shape` gives, as the float interpreter reshapes a value."""
        code = self(n)
        target = two_d_shape(n.shape)
        if target is None:
            return code
        return f"np.reshape({code}, ({self.dim(target[0])}, {self.dim(target[1])}))"


def check_printable(n: Node) -> None:
    """Refuse to print a result whose written-out form would be hundreds of megabytes."""
    from .. import limits
    from ..errors import MatcalcError

    size = written_size(n)
    if size > limits.MAX_WRITTEN:
        raise MatcalcError(
            f"the result is too large to print: {size:,} operations written out "
            f"(limit {limits.MAX_WRITTEN:,}); try it without --expand, or give --at"
        )


@lru_cache(maxsize=MEMO_TEXT)
def to_text(n: Node) -> str:
    """The text form (memoised: the simplifier compares lengths of the same subtrees often)."""
    return Printer("text")(n)


set_repr(to_text)  # a node prints as the text the user would type (in messages, in tests)


def to_latex(n: Node) -> str:
    return Printer("latex")(n)


def to_numpy(n: Node, names: Namespace | None = None) -> str:
    """NumPy code; with `names`, finished: the user's names as written, aliases fresh."""
    if names is None:
        return Printer("numpy")(n)
    return names.finish(Printer("numpy", names)(n))


__all__ = [
    "ATOM",
    "PROD",
    "SUM",
    "Printer",
    "brief",
    "latex_name",
    "text_name",
    "to_latex",
    "to_numpy",
    "to_text",
    "written_size",
]
