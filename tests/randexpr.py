"""Random well-shaped matcalc expressions, each with its own NumPy implementation.

The generator builds a typed random expression tree (scalar, column vector, row vector or
matrix, over the dimensions n and m, symbolic or integer) and writes, side by side and from
its own choices, two things for every node:

* the matcalc source text (SPEC §2: every operator, juxtaposition, the unicode notation,
  function aliases, broadcasting, constants sized by context, literals), and
* a NumPy source string for the same value, in which every vector is a 2-D column (d, 1),
  every matrix 2-D and every scalar a float.

The operators come from matcalc's registry: every elementwise entry with its reference row
(`ref=`, `domain=` in tests/op_specs.py), every other operator from its spec rows used as
templates (the row's expression with random sub-expressions for its variables, the row's own
NumPy reference for the value), and the grammar's own operators (`HAND`) by hand. Of matcalc
only the registry's list of operators and a raw parse of each row (its shape and the operators
it holds) are read; the values come from the tests' own NumPy. Domain-restricted functions get
arguments that stay inside their domain (`log(1 + u.^2)`, `arcsin(tanh(u)/2)`, a square
argument of a row SPD `M M' + eye` or a near-identity variable, ...).

`random_sample(rng)` returns a `Sample`: the command (grad, jacobian, hessian, vjp, jvp or
vec), the layout, the expression, the --let list, --wrt, --v and the NumPy function.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

ONE: tuple = ()  # the dimension 1
ADD, MUL, NEG, POW, ATOM = 0, 1, 2, 3, 4  # precedence levels, Python's order

Dim = tuple  # a sorted tuple of base dimension names; () is 1, ("m", "n") is n·m
Shape = tuple | None  # None for a scalar, else (rows, cols)


def dmul(a: Dim, b: Dim) -> Dim:
    return tuple(sorted(a + b))


def is_col(s: Shape) -> bool:
    return s is not None and s[1] == ONE and s[0] != ONE


def is_row(s: Shape) -> bool:
    return s is not None and s[0] == ONE and s[1] != ONE


def is_mat(s: Shape) -> bool:
    return s is not None and s[0] != ONE and s[1] != ONE


def is_square(s: Shape) -> bool:
    return is_mat(s) and s[0] == s[1]


def is_product(s: Shape) -> bool:
    return s is not None and (len(s[0]) > 1 or len(s[1]) > 1)


def tshape(s: Shape) -> Shape:
    return None if s is None else (s[1], s[0])


# --------------------------------------------------------------------------- NumPy helpers


def _sc(m):
    """A 1×1 product as a scalar."""
    a = np.asarray(m, dtype=float)
    assert a.shape == (1, 1), a.shape
    return float(a[0, 0])


def _col(*xs):
    return np.array([[float(x)] for x in xs])


def _mat(rows):
    return np.array([[float(x) for x in row] for row in rows])


HELPERS = {
    name: fn
    for name, fn in dict(globals()).items()
    if name.startswith("_") and not name.startswith("__") and callable(fn)
}


class MissingReference(LookupError):
    """An elementwise operator of the registry with no reference row in tests/op_specs.py."""


@dataclass(frozen=True)
class Function:
    """An elementwise function as the generator draws it: the registry's surface names, the
    reference implementation and domain from its row in tests/op_specs.py."""

    op: str
    names: tuple[str, ...]
    ref: object
    domain: str  # "all", "positive", "bounded"


def entrywise_functions() -> dict[str, Function]:
    """Every elementwise entry of matcalc's registry (only its list of names is read), with its
    reference row; an entry without one raises MissingReference."""
    import matcalc.ops  # noqa: F401  (registers the entries)
    from matcalc.expr.registry import OPS

    try:
        from .op_specs import ROWS, references
    except (
        ImportError
    ):  # imported as a top-level module (benchmarks/run.py puts tests/ on the path)
        from op_specs import ROWS, references

    refs = references(ROWS)
    missing = sorted(name for name, op in OPS.items() if op.entrywise and name not in refs)
    if missing:
        raise MissingReference(
            f"elementwise operators with no reference row (ref=) in tests/op_specs.py: {missing}"
        )
    return {
        name: Function(name, op.names or (name,), refs[name].ref, refs[name].domain)
        for name, op in sorted(OPS.items())
        if op.entrywise
    }


FUNCTIONS = entrywise_functions()
REFS = {f"_ref_{f.op}": f.ref for f in FUNCTIONS.values()}  # in the NumPy sources' namespace
FREE = [f.op for f in FUNCTIONS.values() if f.domain == "all"]
RESTRICTED = [f.op for f in FUNCTIONS.values() if f.domain != "all"]


def printed_notation() -> dict[str, str]:
    """The text output's own spelling of each elementwise entry where it is not a call (σ(u),
    |u|), which is input too (SPEC §2): read off matcalc's printer, so a new entry's notation
    is drawn with no edit here."""
    import matcalc

    out = {}
    for name in FUNCTIONS:
        printed = matcalc.show(f"{name}(qq)").text()
        if printed != f"{name}(qq)" and printed.count("qq") == 1:
            form = printed.replace("qq", "{}")
            out[name] = form if form[0].isalpha() and form.endswith(")") else f"({form})"
    return out


NOTATION = printed_notation()

# The operators the hand productions below write, each with what it adds that a spec row used as
# a template (further down) cannot: every other operator of the registry is drawn from its rows.
HAND = {
    "num": "numbers in every spelling (1e-1, 2.5, pi, e), also the constants of the domain wrappers",
    "var": "the variables themselves, with the kinds that the points need (near, sym, scalar)",
    "ones": "ones, vector(c) and matrix(c), sized by the context of any sum",
    "eye": "eye, eye(n) and Identity(n), sized by the context of any sum",
    "lit": "[a, b] and [[a, b], [c, d]] literals of any integer size with random entries",
    "add": "the grammar itself: +, -, − and broadcasting, combining every production",
    "mul": "the grammar itself: *, @, juxtaposition and scalar multiples",
    "matmul": "the grammar itself: matrix products of every inner dimension, outer products",
    "T": "the grammar itself: ', .T and ᵀ on any operand",
    "pow": "the grammar itself: ^, **, .^ and superscripts, the domain wrappers' powers",
    "had": "the grammar itself: .*, ⊙, ./, ⊘ and hadamard(), with scalars broadcast",
    "kron": "product dimensions n·m, which no row's shape names (kron(A, B) ⊗ of any split)",
}
# Operators whose rows are not drawn yet, each with the matcalc bug the random tester found in
# it (a test in tests/test_regressions.py fails when the bug is fixed: then remove the entry).
NOT_YET: dict[str, str] = {}
# SPEC §7.1's max and min (every entry, or along an axis: the rows' `dim=`/`axis=` keywords,
# respelled at random by Gen.axis_spelling) are drawn from their rows like any operator. Their
# sub-expressions can tie entries by construction (max(u 𝟏ᵀ, dim=1), min(eye) tie at every
# point, where there is no derivative): the rows' references (op_specs.extremum) raise Tie
# there, and tests/difftest.py draws another point, or another sample when no point is
# untied, and counts those re-draws. They are not drawn where matcalc goes entry by entry
# (at integer sizes with an explicit literal [a, b]: "max … has no formula entry by entry",
# refused by design as eig's is), see _try_sample. Two operands, max(a, b) and min(a, b)
# (SPEC §7.8), are the reader's spelling of relu, drawn by Gen.r_pairwise.
EXTREMA = frozenset({"max", "min"})
BY_WRT = {op: f"{op} of the variable" for op in EXTREMA}  # Sample.ops labels: --wrt inside
PAIRWISE = ("max(a, b)", "min(a, b)")  # Sample.ops labels of r_pairwise's spellings
# SPEC §7.2's matrix operators, drawn from their rows with what they need (see Gen.template_ok
# and Gen.argument): an argument of chol, eig, lambda_max and lambda_min stays symmetric (NumPy's
# cholesky and eigvalsh read the lower triangle where matcalc reads the symmetric part), every
# argument of a square row is SPD and well conditioned or near 𝐈 (logm, sqrtm need no eigenvalue
# on the closed negative axis), and a row holding one is not drawn where matcalc refuses it by
# design: at an integer size (componentwise, "has no formula entry by entry") and, for the ops in
# NO_HESSIAN, in a Hessian ("third Fréchet derivative of …", "the derivative of an eigenvector is
# not written").
MATRIX_FUNCTIONS = frozenset(
    {"expm", "logm", "sqrtm", "expm_frechet", "logm_frechet", "sqrtm_frechet"}
    | {"chol", "tril_half", "eig", "lambda_max", "lambda_min"}
)
NO_HESSIAN = frozenset(
    {"expm_frechet", "logm_frechet", "sqrtm_frechet", "eig", "lambda_max", "lambda_min"}
)
# Operators never drawn: internal ones that the language does not write as input.
INTERNAL = {
    "dvar": "a differential dX: only in printed maps",
    "zero": "never written as input (a --wrt absent from EXPR is tested by its rows)",
    "kron_inner_left": "internal: a factor of the derivative of kron",
    "kron_inner_right": "internal: a factor of the derivative of kron",
    "unvec": "internal: the inverse of vec in --vec results",
    **{
        v: "an eigenvector: only in printed derivatives of eig, lambda_max, lambda_min"
        for v in ("eigvecs", "eigvec_max", "eigvec_min")
    },
    **{
        w: "where max or min is attained (0/1): only in printed derivatives of max and min"
        for w in ("ismax", "ismin")
    },
    **{
        f"{f}_kron": "the Kronecker form of a Fréchet derivative: only in printed --vec results"
        for f in ("expm", "logm", "sqrtm")
    },
    # not internal (the language writes X^k and matpow_frechet), but not drawn yet: a symbolic
    # exponent is a size that the rows declare through an unused variable (y:p), so no row is a
    # template; tests/test_ops.py and test_matfun.py check them through their rows
    "matpowk": "Xᵏ with a symbolic k: checked by its rows (matpow_symbolic, …), not drawn yet",
    "matpow_frechet": "the derivative of Xᵏ with a symbolic k: checked by its rows, not drawn yet",
}
NUMBERS = [("2", 2.0), ("3", 3.0), ("0.5", 0.5), ("1.5", 1.5), ("0.25", 0.25), ("4", 4.0)]
NUMBERS_ATOM = [*NUMBERS, ("1e-1", 0.1), ("2.5", 2.5), ("pi", np.pi), ("e", np.e)]
SUPERSCRIPT = {2: "²", 3: "³"}
SUPERSCRIPT_CHARS = "ᵀ⁻¹²³⁰⁴⁵⁶⁷⁸⁹"

POOLS = {
    "vec": ["x", "y", "z", "u", "w", "mu"],
    "plain": ["A", "B", "C", "D", "F", "G", "H", "K", "W", "L"],
    "near": ["P", "Q", "R"],
    "sym": ["S", "Sigma"],
    "scalar": ["a", "b", "c", "alpha", "lam"],
}


# --------------------------------------------------------------------------- spec-row templates
#
# Every operator of the registry that no hand production below writes enters the generator
# through its rows in tests/op_specs.py, used as templates: the row's expression with each of
# its variables replaced by a random sub-expression of the same shape (its dimensions bound to
# the generator's), in the matcalc text and, through the row's own NumPy reference, in the
# NumPy source. A new operator with a row is drawn with no edit here. What matcalc is asked of
# a row: only its shape and which operators it holds (a raw parse: no rewrite, no derivative).

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_AXIS_KEYWORD = re.compile(r"\b(axis|dim)=(-?[0-9])")


@dataclass(frozen=True)
class Template:
    """One spec row as a production: `let` maps each declared variable to its shape in the
    row's own dimension tokens (a name, or an integer as a string); `out` is the row's shape
    in those tokens (None for a scalar, "1" for a unit axis)."""

    id: str
    expr: str
    let: dict  # name -> (rows token, cols token or "1", kind: "vec", "plain", "square", "sym")
    scalars: tuple[str, ...]  # the row's undeclared (scalar) variables
    dims: tuple[str, ...]  # the dimension names its text or reference use as values
    params: tuple[str, ...]  # the reference's parameters, in order
    out: tuple | None
    ops: frozenset  # the registry's operators in the row (a raw parse)
    keep: bool  # the row calls a domain-restricted function: its variables stay variables
    hints: dict
    index: int  # its place in TEMPLATES (the NumPy source calls _tpl(index, ...))

    @property
    def drawable(self) -> bool:
        """Its integer sizes are sizes the generator draws (2 to 4)."""
        sizes = {tok for r, c, _ in self.let.values() for tok in (r, c)} | set(self.out or ())
        return all(2 <= int(tok) <= 4 for tok in sizes if tok.isdigit() and tok != "1")


def _row_template(row, index: int, restricted: set[str]) -> Template | None:
    """The row as a template, or None when it cannot be one (a variable that its text does not
    spell as a name, a product dimension, an unused declaration)."""
    import inspect

    import sympy as sp

    from matcalc.errors import MatcalcError
    from matcalc.expr.decls import Decls
    from matcalc.expr.registry import raw_mode
    from matcalc.reader import parse_expr

    let: dict = {}
    dim_tokens: set[str] = set()
    for item in row.let:
        name, spec = item.split(":")
        parts = spec.split(",")
        if "1" in parts[:2]:
            return None  # a 1×1 declaration is a scalar: its rows test that spelling
        if len(parts) == 1:
            let[name] = (parts[0], "1", "vec")
        else:
            kind = (
                "sym" if parts[2:] == ["sym"] else ("square" if parts[0] == parts[1] else "plain")
            )
            let[name] = (parts[0], parts[1], kind)
        dim_tokens.update(p for p in parts[:2])
    params = tuple(inspect.signature(row.f).parameters)
    tokens = set(_IDENT.findall(row.expr))
    dims = tuple(p for p in params if p in dim_tokens and not p.isdigit())
    scalars = tuple(p for p in params if p not in let and p not in dims)
    if not all(name in tokens for name in (*let, *scalars)):
        return None  # a spelling such as x_1 or x[3], or a declaration the text does not use
    try:
        with raw_mode():
            node = parse_expr(row.expr, Decls.parse(list(row.let)))
    except MatcalcError:  # a row the parser refuses fails in tests/test_ops.py
        return None

    def token(d) -> str | None:
        if d == 1:
            return "1"
        if isinstance(d, sp.Symbol):
            return str(d)
        if isinstance(d, sp.Integer):
            return str(int(d))
        return None  # n·m, n - 1: not a shape the generator names

    out = None
    if node.shape is not None and len(node.shape) == 2 and tuple(node.shape) != (1, 1):
        out = tuple(token(d) for d in node.shape)
        if None in out or out == ("1", "1"):
            return None
    ops: set[str] = set()
    seen: set[int] = set()
    stack = [node]
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        ops.add(m.op)
        stack.extend(m.args)
    return Template(
        id=row.id,
        expr=row.expr,
        let=let,
        scalars=scalars,
        dims=dims,
        params=params,
        out=out,
        ops=frozenset(ops),
        keep=bool(ops & restricted),
        hints=dict(row.hints),
        index=index,
    )


def spec_templates() -> tuple[list[Template], list]:
    """The rows of tests/op_specs.py that can be templates, and their NumPy references."""
    try:
        from .op_specs import ROWS
    except ImportError:  # imported as a top-level module (benchmarks/run.py)
        from op_specs import ROWS

    restricted = {f.op for f in FUNCTIONS.values() if f.domain != "all"}
    out: list[Template] = []
    refs: list = []
    for row in ROWS:
        t = _row_template(row, len(out), restricted)
        if t is not None:
            out.append(t)
            refs.append(row.f)
    return out, refs


def _tpl(index: int, out: str, *args):
    """A row's reference on the generator's arrays: columns (d, 1) go in as 1-D vectors (the
    rows' convention), and the value comes back as a float, a column, a row or a matrix."""
    ins = [np.asarray(a, dtype=float).reshape(-1) if k == "v" else a for k, a in args]
    val = np.asarray(_TEMPLATE_REFS[index](*ins), dtype=float)
    if out == "scalar":
        assert val.size == 1, val.shape
        return float(val.reshape(-1)[0])
    if out == "col":
        return val.reshape(-1, 1)
    if out == "row":
        return val.reshape(1, -1)
    assert val.ndim == 2, val.shape
    return val


TEMPLATES, _TEMPLATE_REFS = spec_templates()  # _TEMPLATE_REFS[i]: TEMPLATES[i]'s reference
DRAWN_ELSEWHERE = set(HAND) | set(FUNCTIONS)  # keys that do not pick a template
# scalar or not → operator → the templates that hold it; the generator picks an operator, then
# one of its rows, so an operator with one row is drawn as often as one with ten
BY_OP: dict[bool, dict[str, list[Template]]] = {True: {}, False: {}}
for _t in TEMPLATES:
    if _t.drawable and not _t.ops & set(NOT_YET):
        for _op in sorted(_t.ops - DRAWN_ELSEWHERE):
            BY_OP[_t.out is None].setdefault(_op, []).append(_t)
TEMPLATE_OPS = frozenset(BY_OP[True]) | frozenset(BY_OP[False])  # the operators drawn from rows


@dataclass
class Node:
    text: str
    src: str
    shape: Shape
    prec: int = ATOM
    vars: frozenset = frozenset()
    juxt: bool = False  # a juxtaposition chain: may be the left operand of another one


@dataclass
class Var:
    name: str
    kind: str  # scalar, vec, plain, near, sym
    shape: Shape


class Gen:
    """One expression's generator: the variables it declared, the dimensions' spelling."""

    def __init__(
        self, rng: np.random.Generator, sizes: dict, dimtxt: dict, wrt: Var, hessian: bool = False
    ):
        self.rng = rng
        self.hessian = hessian  # the command is a Hessian: no row of an op in NO_HESSIAN
        self.ops: set[str] = set()  # the operators of the rows drawn as templates
        self.sizes = sizes
        self.dimtxt = dimtxt
        self.vars: dict[str, Var] = {wrt.name: wrt}
        self.wrt = wrt
        self.kron_depth = 0
        self.dims_used: set[str] = set()  # dimensions spelled out in the text (eye(n), n/2, ...)
        self.big = max(sizes.values()) <= 3  # allow n·m dimensions only while they stay small
        self.literals = False  # an explicit literal [a, b] was drawn
        # a vector broadcast over columns or as a bias, read so because the matrix's two
        # dimensions have different names though one size: a literal --v of that size would
        # bind both (SPEC §1) and make the reading ambiguous (§7.1)
        self.apart = False

    # ------------------------------------------------------------------ small utilities
    def p(self, prob: float) -> bool:
        return bool(self.rng.random() < prob)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def size(self, d: Dim) -> int:
        out = 1
        for b in d:
            out *= self.sizes[b]
        return out

    def int_dim(self, d: Dim) -> bool:
        return len(d) == 1 and self.dimtxt[d[0]].isdigit()

    @staticmethod
    def op(left: str, op: str) -> str:
        """`2./x` would read as `2.` `/` x: a dotted operator after a digit gets a space."""
        if op[0] == "." and left[-1].isdigit():
            return " " + op
        return op

    def sup_base(self, node: Node) -> str:
        """The base of a superscript suffix: `M⁻¹²` would read as M to the -12."""
        t = self.wrap(node, ATOM)
        return f"({t})" if t[-1] in SUPERSCRIPT_CHARS else t

    def wrap(self, node: Node, minprec: int) -> str:
        if node.prec < minprec or self.p(0.06):
            return "(" + node.text + ")"
        return node.text

    def rand_dim(self) -> Dim:
        return (self.pick(list(self.sizes)),)

    def rand_shape(self) -> Shape:
        """A random non-scalar shape, biased towards the variable's own."""
        w = self.wrt.shape
        if w is not None and self.p(0.45):
            return w if self.p(0.7) else tshape(w)
        r = self.rng.random()
        if r < 0.4:
            return (self.rand_dim(), ONE)
        if r < 0.5:
            return (ONE, self.rand_dim())
        if r < 0.92 or self.kron_depth or not self.big:
            return (self.rand_dim(), self.rand_dim())
        d = ("m", "n") if len(self.sizes) > 1 else ("n", "n")
        return self.pick([(d, ONE), (d, (self.rand_dim()[0],)), ((self.rand_dim()[0],), d)])

    # ------------------------------------------------------------------ constructors
    def var(self, kind: str, shape: Shape) -> Node:
        w = self.wrt
        if w.shape == shape and (w.kind == kind or (kind == "plain" and w.kind in ("near", "sym"))):
            if self.p(0.65):
                return Node(w.name, w.name, shape, vars=frozenset([w.name]))
        same = [v for v in self.vars.values() if v.kind == kind and v.shape == shape]
        free = [n for n in POOLS[kind] if n not in self.vars]
        if same and (not free or self.p(0.5)):
            v = self.pick(same)
        elif free:
            v = Var(self.pick(free), kind, shape)
            self.vars[v.name] = v
        elif kind in ("near", "sym"):  # no name left: the identity is well conditioned, 𝟏𝟏ᵀ is not
            return Node(f"eye({self.dimtext(shape[0])})", f"np.eye({self.size(shape[0])})", shape)
        else:
            return self.number() if shape is None else self.const_leaf(shape)
        return Node(v.name, v.name, shape, vars=frozenset([v.name]))

    def number(self, atoms: bool = True) -> Node:
        text, val = self.pick(NUMBERS_ATOM if atoms else NUMBERS)
        return Node(text, repr(val), None)

    def num(self, text: str) -> Node:
        return Node(text, repr(float(text)), None)

    def dimtext(self, d: Dim) -> str:
        self.dims_used.add(d[0])
        return self.dimtxt[d[0]]

    def const_leaf(self, shape: Shape) -> Node:
        r, c = shape
        if c == ONE:
            return Node(f"ones({self.dimtext(r)})", f"np.ones(({self.size(r)}, 1))", shape)
        if r == c and self.p(0.7):
            name = self.pick(["eye", "eye", "Identity"])
            return Node(f"{name}({self.dimtext(r)})", f"np.eye({self.size(r)})", shape)
        return Node(
            f"ones({self.dimtext(r)}, {self.dimtext(c)})",
            f"np.ones(({self.size(r)}, {self.size(c)}))",
            shape,
        )

    def literal(self, shape: Shape, depth: int) -> Node:
        self.literals = True
        r, c = shape
        nr, nc = self.size(r), self.size(c)

        def entry() -> Node:
            e = self.gen(None, min(depth, 1)) if self.p(0.6) else self.number(atoms=False)
            if e.text.startswith("["):  # `[[a, b].T x, c]` would open a matrix literal
                e = Node(f"({e.text})", e.src, e.shape, ATOM, e.vars)
            return e

        if c == ONE:
            es = [entry() for _ in range(nr)]
            text = "[" + ", ".join(e.text for e in es) + "]"
            src = "_col(" + ", ".join(e.src for e in es) + ")"
        else:
            rows = [[entry() for _ in range(nc)] for _ in range(nr)]
            es = [e for row in rows for e in row]
            text = "[" + ", ".join("[" + ", ".join(e.text for e in row) + "]" for row in rows) + "]"
            src = (
                "_mat(["
                + ", ".join("[" + ", ".join(e.src for e in row) + "]" for row in rows)
                + "])"
            )
        return Node(text, src, shape, vars=frozenset().union(*(e.vars for e in es)))

    def transpose(self, a: Node) -> Node:
        op = self.pick(["'", ".T", ".T", "ᵀ"])
        return Node(
            (self.sup_base(a) if op == "ᵀ" else self.wrap(a, ATOM)) + op,
            f"({a.src}).T",
            tshape(a.shape),
            ATOM,
            a.vars,
        )

    def neg(self, a: Node) -> Node:
        op = "−" if self.p(0.05) else "-"
        return Node(op + self.wrap(a, POW), f"(-{a.src})", a.shape, NEG, a.vars)

    def add(self, a: Node, b: Node, minus: bool = False) -> Node:
        if minus:
            op = self.pick([" - ", "-", " - ", " − "] if self.p(0.1) else [" - ", "-"])
        else:
            op = self.pick([" + ", "+"])
        shape = a.shape if a.shape is not None else b.shape
        text = self.wrap(a, ADD) + op + self.wrap(b, MUL)
        src = f"({a.src} {'-' if minus else '+'} {b.src})"
        return Node(text, src, shape, ADD, a.vars | b.vars)

    def can_juxt(self, a: Node, b: Node) -> bool:
        if a.prec < POW and not a.juxt:
            return False
        t = self.wrap(b, POW)
        return t[0] not in "-−0123456789.[|‖" and not (a.text[-1].isdigit() and t[0] == "(")

    def mul(self, a: Node, b: Node) -> Node:
        """The product `*` (matrix product or scalar multiple), printed as *, @ or juxtaposition."""
        if a.shape is None or b.shape is None:
            shape = b.shape if a.shape is None else a.shape
            src = f"({a.src} * {b.src})"
        else:
            assert a.shape[1] == b.shape[0], (a.shape, b.shape)
            shape = (a.shape[0], b.shape[1])
            if shape == (ONE, ONE):
                shape = None
                src = f"_sc({a.src} @ {b.src})"
            else:
                src = f"({a.src} @ {b.src})"
        vs = a.vars | b.vars
        r = self.rng.random()
        if r < 0.3 and self.can_juxt(a, b):
            left = a.text if a.juxt and a.prec >= MUL else self.wrap(a, POW)
            right = self.wrap(b, POW)
            sep = " "
            if re.fullmatch(r"\d+(\.\d+)?", left) and right[0].isalpha() and right[0] not in "eE":
                sep = self.pick([" ", ""])
            return Node(left + sep + right, src, shape, MUL, vs, juxt=True)
        op = "*"
        if a.shape is not None and b.shape is not None and self.p(0.25):
            op = "@"
        op = self.pick([op, f" {op} "])
        rmin = NEG if self.p(0.3) else POW
        return Node(self.wrap(a, MUL) + op + self.wrap(b, rmin), src, shape, MUL, vs)

    def div(self, a: Node, s: Node) -> Node:
        op = self.pick(["/", " / "])
        rmin = NEG if self.p(0.3) else POW
        return Node(
            self.wrap(a, MUL) + op + self.wrap(s, rmin),
            f"({a.src} / {s.src})",
            a.shape,
            MUL,
            a.vars | s.vars,
        )

    def hadamard(self, a: Node, b: Node) -> Node:
        shape = a.shape if a.shape is not None else b.shape
        src = f"({a.src} * {b.src})"
        vs = a.vars | b.vars
        if a.shape is not None and b.shape is not None and self.p(0.2):
            return Node(f"hadamard({a.text}, {b.text})", src, shape, ATOM, vs)
        op = self.pick([".*", " .* ", " ⊙ "] if self.p(0.15) else [".*", " .* "])
        left = self.wrap(a, MUL)
        return Node(left + self.op(left, op) + self.wrap(b, POW), src, shape, MUL, vs)

    def ediv(self, a: Node, b: Node) -> Node:
        shape = a.shape if a.shape is not None else b.shape
        op = self.pick(["./", " ./ ", " ⊘ "] if self.p(0.15) else ["./", " ./ "])
        left = self.wrap(a, MUL)
        return Node(
            left + self.op(left, op) + self.wrap(b, POW),
            f"({a.src} / {b.src})",
            shape,
            MUL,
            a.vars | b.vars,
        )

    def power(self, a: Node, k: float, ktext: str | None = None) -> Node:
        """a^k for a scalar a, a.^k entrywise for a vector or matrix."""
        ktext = ktext or (str(int(k)) if float(k).is_integer() else repr(k))
        src = f"({a.src} ** {k!r})"
        entry = a.shape is not None
        base = self.wrap(a, ATOM)
        if int(k) == k and int(k) in SUPERSCRIPT and self.p(0.1):
            sup = SUPERSCRIPT[int(k)]
            base = base if entry else self.sup_base(a)
            return Node(base + ("⊙" if entry else "") + sup, src, a.shape, POW, a.vars)
        if ktext.startswith("-") and self.p(0.5):
            ktext = f"({ktext})"
        op = self.op(base, ".^") if entry else self.pick(["^", "**", "^"])
        return Node(base + op + ktext, src, a.shape, POW, a.vars)

    def call(self, name: str, args: list[Node], src: str, shape: Shape) -> Node:
        text = f"{name}({', '.join(a.text for a in args)})"
        return Node(text, src, shape, ATOM, frozenset().union(*(a.vars for a in args)))

    def elem(self, name: str, a: Node) -> Node:
        """name(a) for an elementwise function of the registry (or sqrt, a power)."""
        if name == "sqrt":
            return self.call("sqrt", [a], f"np.sqrt({a.src})", a.shape)
        fn = FUNCTIONS[name]
        src = f"_ref_{name}({a.src})"
        if name in NOTATION and self.p(0.15):
            return Node(NOTATION[name].format(a.text), src, a.shape, ATOM, a.vars)
        spelling = fn.names[0] if len(fn.names) == 1 or self.p(0.85) else self.pick(fn.names[1:])
        return self.call(spelling, [a], src, a.shape)

    # ------------------------------------------------------------------ domain wrappers
    def pos(self, shape: Shape, depth: int) -> Node:
        """An expression > 0 in every entry."""
        u = self.gen(shape, depth)
        r = int(self.rng.integers(8))
        one = self.num("1")
        if r == 0:
            return (
                self.add(one, self.power(u, 2)) if self.p(0.5) else self.add(self.power(u, 2), one)
            )
        if r == 1:
            return self.elem("exp", u if self.p(0.5) else self.div(u, self.num("2")))
        if r == 2:
            return self.elem("sqrt", self.add(one, self.power(u, 2)))
        if r == 3:
            return self.add(self.num("2"), self.elem(self.pick(["sin", "cos", "tanh"]), u))
        if r == 4:
            return self.add(self.elem("softplus", u), self.num("0.5"))
        if r == 5:
            return self.add(self.elem("sigmoid", u), self.num("0.5"))
        if r == 6:
            return self.add(one, self.elem("abs", u))
        if shape is None and self.p(0.5):
            m = self.spd(self.rand_dim(), 0)
            return self.call("det", [m], f"np.linalg.det({m.src})", None)
        return self.add(self.power(u, 2), self.num("0.5"))

    def bounded(self, shape: Shape, depth: int) -> Node:
        """An expression with every entry in [-1/2, 1/2]."""
        u = self.gen(shape, depth)
        r = int(self.rng.integers(5))
        if r == 0:
            return self.div(self.elem("tanh", u), self.num("2"))
        if r == 1:
            return self.div(self.elem("sin", u), self.num("2"))
        if r == 2:
            return self.add(self.elem("sigmoid", u), self.num("0.5"), minus=True)
        if r == 3:
            d = self.add(self.num("1"), self.power(u, 2))
            return self.div(u, d) if shape is None else self.ediv(u, d)
        return self.mul(self.num("0.5"), self.elem("tanh", u))

    def elementwise(self, shape: Shape, depth: int) -> Node:
        """Any elementwise function of the registry, its argument kept inside its domain."""
        name = self.pick([*FREE, *FREE, *RESTRICTED, "sqrt"])
        domain = "positive" if name == "sqrt" else FUNCTIONS[name].domain
        if domain == "positive":
            return self.elem(name, self.pos(shape, depth))
        if domain == "bounded":
            return self.elem(name, self.bounded(shape, depth))
        return self.elem(name, self.gen(shape, depth))

    def spd(self, d: Dim, depth: int) -> Node:
        """A symmetric positive definite d×d matrix, well conditioned."""
        r = self.rng.random()
        if r < 0.2:
            return self.var("near", (d, d))
        if r < 0.3:
            return self.var("sym", (d, d))
        k = self.pick([(b,) for b in self.sizes] + [ONE])
        if self.p(0.5):
            m = self.gen((d, k), min(depth, 1))
            mm = self.mul(m, self.transpose(m))
        else:
            m = self.gen((k, d), min(depth, 1))
            mm = self.mul(self.transpose(m), m)
        size = self.size(d)
        name = self.pick(["eye", "eye", f"eye({self.dimtext(d)})", f"Identity({self.dimtext(d)})"])
        eye = Node(name, f"np.eye({size})", (d, d))
        return self.add(mm, eye) if self.p(0.5) else self.add(eye, mm)

    def kron(self, shape: Shape, depth: int) -> Node | None:
        def splits(dim: Dim):
            if len(dim) == 0:
                return [((), ())]
            if len(dim) == 1:
                return [(dim, ()), ((), dim)]
            a, b = dim
            return [((a,), (b,)), ((b,), (a,))]

        options = [
            ((r1, c1), (r2, c2))
            for r1, r2 in splits(shape[0])
            for c1, c2 in splits(shape[1])
            if (r1, c1) != (ONE, ONE) and (r2, c2) != (ONE, ONE)
        ]
        if not options:
            return None
        s1, s2 = self.pick(options)
        self.kron_depth += 1
        a, b = self.gen(s1, min(depth, 1)), self.gen(s2, min(depth, 1))
        self.kron_depth -= 1
        src = f"np.kron({a.src}, {b.src})"
        if self.p(0.2):
            return Node(
                f"({self.wrap(a, ATOM)} ⊗ {self.wrap(b, ATOM)})", src, shape, ATOM, a.vars | b.vars
            )
        return self.call("kron", [a, b], src, shape)

    # ------------------------------------------------------------------ spec-row templates
    def bind(self, t: Template, shape: Shape) -> dict | None:
        """The row's dimension tokens bound to the generator's dimensions, its value shaped as
        `shape`; None when it cannot be (an integer size that no dimension is spelled as, a
        product dimension)."""
        bound: dict[str, Dim] = {}
        if (t.out is None) != (shape is None):
            return None
        if shape is not None:
            if is_product(shape):
                return None
            for tok, axis in zip(t.out, shape, strict=True):
                if (tok == "1") != (axis == ONE):
                    return None
                if tok == "1":
                    continue
                if bound.get(tok, axis) != axis or (tok.isdigit() and self.dimtxt[axis[0]] != tok):
                    return None
                bound[tok] = axis
        for r, c, _ in t.let.values():
            for tok in (r, c):
                if tok == "1" or tok in bound:
                    continue
                if tok.isdigit():
                    # an integer size is spelled as that integer: comm(2,3) needs m = 3, not m
                    fits = [(b,) for b in self.sizes if self.dimtxt[b] == tok]
                    if not fits:
                        return None
                    bound[tok] = self.pick(fits)
                else:
                    bound[tok] = self.rand_dim()
        return bound

    def template_ok(self, t: Template, bound: dict) -> bool:
        """Not a row that matcalc refuses by design: a matrix function at an integer size (sent
        entry by entry, where it has no formula) or in a Hessian that needs a third Fréchet
        derivative or an eigenvector's derivative."""
        if not t.ops & MATRIX_FUNCTIONS:
            return True
        if self.hessian and t.ops & NO_HESSIAN:
            return False
        return not any(self.int_dim(d) for d in bound.values())

    def sym_spd(self, d: Dim, depth: int) -> Node:
        """A symmetric positive definite d×d matrix, well conditioned and symmetric as NumPy
        stores it (cholesky and eigvalsh read its lower triangle): a `sym` variable (its points
        are SPD) or M Mᵀ + 𝐈."""
        if self.p(0.4) or self.kron_depth:
            return self.var("sym", (d, d))
        k = self.pick([(b,) for b in self.sizes] + [ONE])
        m = self.gen((d, k), min(depth, 1))
        mm = self.mul(m, self.transpose(m))
        eye = Node(self.pick(["eye", f"eye({self.dimtext(d)})"]), f"np.eye({self.size(d)})", (d, d))
        return self.add(mm, eye) if self.p(0.5) else self.add(eye, mm)

    def argument(self, t: Template, name: str, shape: Shape, d: int) -> Node:
        """A random sub-expression for the row's variable `name`, inside the row's domain: a
        square (or symmetric) matrix is a well-conditioned SPD expression or a near-identity
        variable (inv, det, logdet, negative powers need one), a `positive` hint gets a
        positive expression, a `nonzero` one stays a variable, and a row that calls a domain-restricted function (log, tan,
        arcsin, …) gets small bounded arguments."""
        kind = t.let[name][2] if name in t.let else "scalar"
        hint = t.hints.get(name)
        if kind == "sym":  # symmetric as stored, not only in its symmetric part
            return self.sym_spd(shape[0], min(d, 1))
        if kind == "square" or hint == "near_eye":
            if self.p(0.5) and not self.kron_depth:
                return self.spd(shape[0], min(d, 1))
            return self.var("near", shape)
        if hint == "positive" or (kind == "scalar" and not t.keep):
            return self.pos(shape, d)  # a scalar may divide or be an exponent's base
        if hint == "nonzero":  # a variable: a random point is not 0 (a difference y - y is)
            return self.var("vec" if shape[1] == ONE else "plain", shape)
        if t.keep:
            return self.bounded(shape, 0)
        return self.gen(shape, d)

    def axis_spelling(self, expr: str) -> str:
        """A row's axis keyword in any of its spellings (SPEC §7.1): `axis=` (NumPy) or `dim=`
        (PyTorch), counted from the front (0, 1) or from the end (-2, -1)."""

        def respell(m: re.Match) -> str:
            k = int(m.group(2)) % 2
            return f"{self.pick(['axis', 'dim'])}={self.pick([k, k - 2])}"

        return _AXIS_KEYWORD.sub(respell, expr)

    def r_template(self, shape, d):
        """A spec row of an operator that the hand productions do not write (sum, tr, det,
        logdet, inv, matpow, diag, softmax, norms, vec, slice, comm, … and any new one), its
        variables replaced by random sub-expressions."""
        fitting = BY_OP[shape is None]
        if not fitting:
            return None
        for _ in range(8):
            t = self.pick(fitting[self.pick(sorted(fitting))])
            bound = self.bind(t, shape)
            if bound is not None and self.template_ok(t, bound):
                break
        else:
            return None
        subs: dict[str, Node] = {}
        for name, (r, c, _) in t.let.items():
            subs[name] = self.argument(t, name, (bound[r], ONE if c == "1" else bound[c]), d - 1)
        for name in t.scalars:
            subs[name] = self.argument(t, name, None, d - 1)
        pieces, at = [], 0
        expr = self.axis_spelling(t.expr)
        for m in _IDENT.finditer(expr):
            s, e = m.span()
            prev = expr[s - 1] if s else ""
            if prev == ".":  # x.T
                continue
            if m.group() in subs:
                text = subs[m.group()].text
                text = text if _IDENT.fullmatch(text) else f"({text})"
            elif m.group() in bound and not m.group().isdigit():
                text = self.dimtext(bound[m.group()])
            else:
                continue
            if prev.isdigit():  # 2x
                text = " " + text
            pieces += [expr[at:s], text]
            at = e
        text = "".join(pieces) + expr[at:]
        args = []
        for p in t.params:
            if p in subs:
                k = "v" if p in t.let and t.let[p][1] == "1" else "a"
                args.append(f"({k!r}, {subs[p].src})")
            else:  # a dimension as a value
                args.append(f"('a', {self.size(bound[p])})")
        if t.out is None:
            out = "scalar"
        else:
            out = "col" if t.out[1] == "1" else ("row" if t.out[0] == "1" else "mat")
        src = f"_tpl({t.index}, {out!r}, {', '.join(args)})"
        self.ops.update(t.ops - DRAWN_ELSEWHERE)
        vs = frozenset().union(*(n.vars for n in subs.values()))
        if self.wrt.name in vs:  # the derivative goes through max or min itself
            self.ops.update(BY_WRT[op] for op in t.ops & EXTREMA)
        return Node(text, src, shape, ADD, vs)

    # ------------------------------------------------------------------ the grammar
    def leaf(self, shape: Shape) -> Node:
        if shape is None:
            w = self.wrt
            if w.shape is None and self.p(0.5):
                return Node(w.name, w.name, None, vars=frozenset([w.name]))
            r = self.rng.random()
            symbolic = [d for d, t in self.dimtxt.items() if not t.isdigit()]
            if r < 0.55:
                return self.var("scalar", None)
            if r < 0.6 and symbolic:
                d = self.pick(symbolic)
                self.dims_used.add(d)
                return Node(d, repr(float(self.sizes[d])), None)
            return self.number()
        if is_product(shape):
            return self.kron(shape, 0) or self.const_leaf(shape)
        r, c = shape
        if r == ONE:
            return self.transpose(self.leaf((c, ONE)))
        u = self.rng.random()
        if c == ONE:
            if u < 0.85:
                return self.var("vec", shape)
            if u < 0.93 or not self.int_dim(r):
                return self.const_leaf(shape)
            return self.literal(shape, 0)
        if u < 0.85:
            kind = "plain"
            if r == c:
                kind = self.pick(["plain", "plain", "plain", "near", "sym"])
            return self.var(kind, shape)
        if u < 0.95 or not (self.int_dim(r) and self.int_dim(c)) or self.size(r) * self.size(c) > 6:
            return self.const_leaf(shape)
        return self.literal(shape, 0)

    def gen(self, shape: Shape, depth: int, top: bool = False) -> Node:
        if depth <= 0 or (not top and self.p(0.05 + 0.3 / (depth + 1))):
            return self.leaf(shape)
        for _ in range(10):
            node = self.production(shape, depth - 1)
            if node is not None:
                assert node.shape == shape, (node.text, node.shape, shape)
                return node
        return self.leaf(shape)

    def production(self, shape: Shape, d: int) -> Node | None:
        rules = [
            (3, self.r_add),
            (1, self.r_neg),
            (3, self.r_scale),
            (1, self.r_div),
            (3, self.elementwise),
        ]
        if shape is None:
            rules += [
                (6, self.r_template),
                (3, self.r_inner),
                (2, self.r_spow),
            ]
        else:
            rules += [
                (2, self.r_hadamard),
                (1, self.r_ediv),
                (1, self.r_epow),
                (2, self.r_broadcast),
                (4, self.r_matmul),
                (1, self.r_transpose),
                (1, self.r_context_const),
            ]
            if is_product(shape) or self.p(0.15):
                rules.append((4 if is_product(shape) else 1, self.r_kron))
            if is_mat(shape):
                rules.append((1, self.r_vector_broadcast))
            if not is_product(shape):
                rules.append((1, self.r_literal))
                rules.append((7 if is_square(shape) else 3, self.r_template))
        if not is_product(shape):
            rules.append((0.5, self.r_pairwise))
        weights = np.array([w for w, _ in rules], dtype=float)
        rule = rules[int(self.rng.choice(len(rules), p=weights / weights.sum()))][1]
        return rule(shape, d)

    # every rule: (shape, depth) -> Node or None
    def r_add(self, shape, d):
        a, b, minus = self.gen(shape, d), self.gen(shape, d), self.p(0.4)
        return self.add(a, b, minus=minus)

    def r_neg(self, shape, d):
        return self.neg(self.gen(shape, d))

    def r_scale(self, shape, d):
        s = self.number(atoms=False) if self.p(0.5) else self.gen(None, d)
        a = self.gen(shape, d)
        return self.mul(s, a) if self.p(0.7) else self.mul(a, s)

    def r_div(self, shape, d):
        den = self.pos(None, max(d - 1, 0)) if self.p(0.6) else self.number(atoms=False)
        return self.div(self.gen(shape, d), den)

    def r_inner(self, shape, d):
        """x' * y or x' A y: a 1×1 product is a scalar."""
        k = self.rand_dim()
        if self.p(0.5):
            return self.mul(self.gen((ONE, k), d), self.gen((k, ONE), d))
        j = self.rand_dim()
        left = self.mul(self.gen((ONE, k), d), self.gen((k, j), d))
        return self.mul(left, self.gen((j, ONE), d))

    def r_spow(self, shape, d):
        if self.p(0.5):
            return self.power(self.gen(None, d), self.pick([2, 3, 2]))
        k, kt = self.pick(
            [(-1, "-1"), (-2, "-2"), (0.5, "0.5"), (-0.5, "-0.5"), (1.5, "1.5"), (1 / 3, "(1/3)")]
        )
        base = self.pos(None, d)
        if self.p(0.15):
            ex = self.bounded(None, 0)
            return Node(
                self.wrap(base, ATOM) + "^" + self.wrap(ex, NEG),
                f"({base.src} ** {ex.src})",
                None,
                POW,
                base.vars | ex.vars,
            )
        return self.power(base, k, kt)

    def r_hadamard(self, shape, d):
        a = self.gen(shape, d)
        b = self.gen(shape, d)
        return self.hadamard(a, b)

    def r_ediv(self, shape, d):
        if self.p(0.2):
            return self.ediv(self.number(atoms=False), self.pos(shape, d))
        if self.p(0.2):
            return self.ediv(self.gen(shape, d), self.pos(None, max(d - 1, 0)))
        return self.ediv(self.gen(shape, d), self.pos(shape, max(d - 1, 0)))

    def r_epow(self, shape, d):
        if self.p(0.15):  # a positive base to an exponent of its own shape (or a scalar one)
            base = self.pos(shape, d)
            ex = self.bounded(shape if self.p(0.7) else None, 0)
            return Node(
                self.wrap(base, ATOM) + ".^" + self.wrap(ex, NEG),
                f"({base.src} ** {ex.src})",
                shape,
                POW,
                base.vars | ex.vars,
            )
        if self.p(0.6):
            return self.power(self.gen(shape, d), self.pick([2, 3]))
        k, kt = self.pick([(-1, "-1"), (0.5, "0.5"), (-0.5, "-0.5"), (1.5, "1.5")])
        return self.power(self.pos(shape, d), k, kt)

    def r_broadcast(self, shape, d):
        s = self.number(atoms=False) if self.p(0.5) else self.gen(None, d)
        a = self.gen(shape, d)
        r = int(self.rng.integers(5))
        if r == 0:
            return self.add(s, a, minus=self.p(0.5))
        if r == 1:
            return self.add(a, s, minus=self.p(0.5))
        if r == 2:
            return self.hadamard(s, a) if self.p(0.5) else self.hadamard(a, s)
        if r == 3:
            return self.ediv(
                a, self.pos(None, max(d - 1, 0)) if self.p(0.5) else self.number(atoms=False)
            )
        return self.ediv(s, self.pos(shape, max(d - 1, 0)))

    def r_pairwise(self, shape, d):
        """max(a, b), min(a, b) (also NumPy's maximum, minimum) with two operands: entry by
        entry, a scalar operand broadcasting (SPEC §7.8), max(0, u) relu(u). At a tie a ≡ b
        both sides agree (the reader writes b + relu(a - b)); near one, finite differences see
        the kink and the point is not used."""
        which = self.pick(["max", "min"])
        name = which if self.p(0.8) else {"max": "maximum", "min": "minimum"}[which]
        a = self.gen(shape, d)
        if self.p(0.2):
            b = self.num("0")
        else:
            b = self.gen(None if shape is not None and self.p(0.25) else shape, d)
        if self.p(0.5):
            a, b = b, a
        src = f"np.{'maximum' if which == 'max' else 'minimum'}({a.src}, {b.src})"
        self.ops.add(f"{which}(a, b)")
        return self.call(name, [a, b], src, shape)

    def r_vector_broadcast(self, shape, d):
        """A vector beside a matrix (SPEC §7.1), with + - .* ./ on either side: a row over the
        rows; where matcalc reads the two sizes as different, a column of the matrix's height
        over the columns or one of its width over the rows (PyTorch's 1-D bias)."""
        r, c = shape
        spelled = [all(self.dimtxt[b].isdigit() for b in x) for x in (r, c)]
        differ = r != c and not (all(spelled) and self.size(r) == self.size(c))
        form = self.pick(["row", "column", "bias"] if differ else ["row"])
        if form != "row" and self.size(r) == self.size(c):
            self.apart = True  # m and n told apart by their names only
        vshape = {"row": (ONE, c), "column": (r, ONE), "bias": (c, ONE)}[form]
        op, left = self.pick(["+", "-", ".*", "./"]), self.p(0.5)
        v = self.pos(vshape, d) if op == "./" and not left else self.gen(vshape, d)
        a = self.pos(shape, d) if op == "./" and left else self.gen(shape, d)
        if form == "bias":  # NumPy broadcasts the 2-D column as a row once it is one
            v = Node(v.text, f"({v.src}).T", (ONE, c), v.prec, v.vars, v.juxt)
        x, y = (v, a) if left else (a, v)
        if op in ("+", "-"):
            out = self.add(x, y, minus=op == "-")
        else:
            out = self.hadamard(x, y) if op == ".*" else self.ediv(x, y)
        return Node(out.text, out.src, shape, out.prec, out.vars)

    def r_matmul(self, shape, d):
        r, c = shape
        inner = [(b,) for b in self.sizes]
        if r != ONE and c != ONE:
            inner.append(ONE)  # an outer product
        k = self.pick(inner)
        return self.mul(self.gen((r, k), d), self.gen((k, c), d))

    def r_transpose(self, shape, d):
        return self.transpose(self.gen(tshape(shape), d))

    def r_context_const(self, shape, d):
        """eye, ones, vector(c), matrix(c): sized by the other operand of a sum."""
        a = self.gen(shape, d)
        size_r, size_c = self.size(shape[0]), self.size(shape[1])
        if is_square(shape) and self.p(0.6):
            k = Node("eye", f"np.eye({size_r})", shape)
        elif is_col(shape) and self.p(0.6):
            k = Node("ones", f"np.ones(({size_r}, 1))", shape)
        elif is_mat(shape) or is_col(shape):
            t, v = self.pick(NUMBERS)
            name = "vector" if is_col(shape) else "matrix"
            k = Node(f"{name}({t})", f"np.full(({size_r}, {size_c}), {v!r})", shape)
        else:
            return None
        minus = self.p(0.4)
        return self.add(a, k, minus) if self.p(0.6) else self.add(k, a, minus)

    def r_kron(self, shape, d):
        if self.kron_depth or (not is_product(shape) and not self.big):
            return None
        return self.kron(shape, d)

    def r_literal(self, shape, d):
        r, c = shape
        if not self.int_dim(r) or (c != ONE and not self.int_dim(c)):
            return None
        if self.size(r) * self.size(c) > 9:
            return None
        return self.literal(shape, d)


# --------------------------------------------------------------------------- samples

COMMANDS = ["grad", "jacobian", "hessian", "vjp", "jvp", "vec"]
LAYOUTS = ["mixed", "numerator", "denominator"]


@dataclass
class Sample:
    command: str  # grad, jacobian, hessian, vjp, jvp, vec
    kind: str  # the API function: vec is grad, jacobian or hessian with vec=True
    layout: str
    expr: str
    let: list[str]
    wrt: str
    wrt_kind: str  # scalar, vec, plain, near, sym
    numpy_src: str
    variables: dict[str, Var]
    sizes: dict[str, int]  # every dimension's size
    symbolic: list[str]  # the dimension names that are symbolic (bound in NumPy values)
    f_shape: tuple  # the internal (2-D, or () for a scalar) shape of the expression
    v: str | None = None  # --v: a declared name or a literal
    v_value: object = None  # the literal --v's value (internal shape), else None
    fn: object = field(default=None, repr=False)
    ops: frozenset = frozenset()  # the operators drawn from spec rows (tests/op_specs.py)

    @property
    def vec(self) -> bool:
        return self.command == "vec"

    def shape_of(self, var: Var) -> tuple:
        if var.shape is None:
            return ()
        return tuple(int(np.prod([self.sizes[b] for b in d])) if d else 1 for d in var.shape)

    def x_shape(self) -> tuple:
        return self.shape_of(self.variables[self.wrt])

    def random_point(self, rng: np.random.Generator) -> dict[str, object]:
        """Values for every variable (internal shapes), entries of both signs."""
        env: dict[str, object] = {}
        for name, var in self.variables.items():
            shape = self.shape_of(var)
            if var.kind == "scalar":
                x = float(rng.normal())
                env[name] = x if abs(x) > 0.05 else 0.3
            elif var.kind == "near":
                env[name] = np.eye(shape[0]) + 0.15 * rng.normal(size=shape)
            elif var.kind == "sym":
                g = rng.normal(size=shape)
                env[name] = np.eye(shape[0]) + 0.1 * (g + g.T)
            else:
                a = rng.normal(size=shape) * 0.9
                if a.size >= 2 and (np.all(a > 0) or np.all(a < 0)):
                    a.flat[int(rng.integers(a.size))] *= -1
                env[name] = a
        return env

    def describe(self) -> str:
        """How to reproduce the sample on the command line."""
        cmd = "jacobian" if self.command == "vec" and self.kind == "jacobian" else self.kind
        parts = [f"matcalc {cmd} {_shell(self.expr)}", f"--wrt {self.wrt}"]
        parts += [f"--let {item}" for item in self.let]
        if self.v is not None:
            parts.append(f"--v {_shell(self.v)}")
        if self.vec:
            parts.append("--vec")
        if self.command not in ("vjp", "jvp"):
            parts.append(f"--layout {self.layout}")
        return " ".join(parts)


def _shell(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def compile_numpy(src: str, names: list[str]):
    return eval(f"lambda {', '.join(names)}: {src}", {"np": np, **HELPERS, **REFS, "_tpl": _tpl})


def _decl(var: Var, dimtxt: dict) -> str:
    r, c = var.shape
    if c == ONE:
        return f"{var.name}:{dimtxt[r[0]]}"
    text = f"{var.name}:{dimtxt[r[0]]},{dimtxt[c[0]]}"
    return text + (",sym" if var.kind == "sym" else "")


def _literal_v(rng: np.random.Generator, shape: tuple, sym: bool) -> tuple[str, object]:
    """A literal --v in --at syntax and its value (internal shape)."""
    choices = [-2, -1.5, -1, -0.5, 0.5, 1, 2, 3]
    if shape == ():
        x = float(rng.choice(choices))
        return _fmt(x), x
    a = rng.choice(choices, size=shape).astype(float)
    if sym:
        a = np.triu(a) + np.triu(a, 1).T
    if shape[1] == 1:
        body = ",".join(_fmt(x) for x in a[:, 0])
        return (body if rng.random() < 0.5 else f"[{body}]"), a
    return "[" + ",".join("[" + ",".join(_fmt(x) for x in row) + "]" for row in a) + "]", a


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def random_sample(rng: np.random.Generator, max_depth: int = 3) -> Sample:
    """One random sample; every choice comes from rng."""
    for _ in range(200):
        s = _try_sample(rng, max_depth)
        if s is not None:
            return s
    raise RuntimeError("the generator could not build a sample")


def _try_sample(rng: np.random.Generator, max_depth: int) -> Sample | None:
    def pick(seq, p=None):
        return seq[int(rng.choice(len(seq), p=None if p is None else np.array(p) / np.sum(p)))]

    command = pick(COMMANDS, [3, 3, 2, 2, 2, 2])
    layout = pick(LAYOUTS)
    kind = command
    if command == "grad":
        f_kind, x_kind = "scalar", pick(["scalar", "vec", "mat", "sym", "near"], [2, 4, 4, 1.5, 1])
    elif command == "hessian":
        f_kind, x_kind = "scalar", pick(["scalar", "vec", "mat"], [2, 6, 2])
    elif command == "jacobian":
        f_kind, x_kind = (
            pick(["col", "row", "mat"], [6, 1.5, 2.5]),
            pick(["vec", "scalar", "mat"], [5, 2, 2.5]),
        )
    elif command == "vjp":
        f_kind, x_kind = (
            pick(["col", "mat", "scalar"], [6, 3, 1]),
            pick(["vec", "mat", "scalar", "sym"], [5, 3, 1.5, 1]),
        )
    elif command == "jvp":
        f_kind, x_kind = (
            pick(["col", "row", "mat", "scalar"], [5, 1, 2.5, 2]),
            pick(["vec", "mat", "sym", "scalar"], [5, 3, 1, 1]),
        )
    else:  # vec
        kind = pick(["grad", "jacobian", "hessian"], [2, 5, 2])
        if kind == "jacobian":
            f_kind, x_kind = (
                pick(["col", "row", "mat"], [3, 1, 3]),
                pick(["vec", "scalar", "mat"], [3, 1, 3]),
            )
        else:
            f_kind, x_kind = "scalar", pick(["vec", "mat"], [2, 3])
    tensor = (kind == "hessian" and x_kind in ("mat", "sym", "near")) or (
        kind == "jacobian"
        and ((f_kind == "mat" and x_kind != "scalar") or (f_kind != "scalar" and x_kind == "mat"))
    )
    small = tensor or command == "vec"
    mode = pick(["symbolic", "integer", "mixed"], [4.5, 3.5, 2])
    top = 3 if small else 4
    sizes = {"n": int(rng.integers(2, top + 1)), "m": int(rng.integers(2, top + 1))}
    if mode == "symbolic":
        dimtxt = {"n": "n", "m": "m"}
    elif mode == "integer":
        dimtxt = {k: str(v) for k, v in sizes.items()}
    else:
        dimtxt = (
            {"n": "n", "m": str(sizes["m"])}
            if rng.random() < 0.5
            else {"n": str(sizes["n"]), "m": "m"}
        )

    def dim() -> Dim:
        return (pick(["n", "m"], [2, 1]),)

    if x_kind == "scalar":
        wrt = Var(pick(["t", "t", "a", "alpha"]), "scalar", None)
    elif x_kind == "vec":
        wrt = Var(pick(["x", "x", "y", "z"]), "vec", (dim(), ONE))
    elif x_kind in ("sym", "near"):
        d = dim()
        wrt = Var(pick(POOLS[x_kind]), x_kind, (d, d))
    else:
        wrt = Var(pick(["A", "B", "W", "X"]), "plain", (dim(), dim()))
    if f_kind == "scalar":
        f_shape = None
    elif f_kind == "col":
        f_shape = (dim(), ONE)
        if rng.random() < 0.08 and command != "vjp" and max(sizes.values()) <= 3:
            f_shape = (("m", "n"), ONE)
    elif f_kind == "row":
        f_shape = (ONE, dim())
    else:
        f_shape = (dim(), dim())

    g = Gen(rng, sizes, dimtxt, wrt, hessian=kind == "hessian")
    depth = int(rng.integers(2, max_depth + 1)) if not small else int(rng.integers(1, max_depth))
    if kind == "hessian" and x_kind == "mat":
        depth = min(depth, 2)
    node = None
    for _ in range(30):
        g.ops, g.literals, g.apart = set(), False, False
        cand = g.gen(f_shape, depth, top=True)
        if wrt.name in cand.vars and len(cand.text) <= 300:
            node = cand
            break
    if node is None:
        return None
    if g.ops & EXTREMA and g.literals and mode != "symbolic":
        return None  # matcalc goes entry by entry, where max and min have no formula (by design)
    used = {name: var for name, var in g.vars.items() if name in node.vars}
    v_text, v_value = None, None
    extra: list[Var] = []
    if command in ("vjp", "jvp"):
        target = f_shape if command == "vjp" else wrt.shape
        sym = command == "jvp" and wrt.kind == "sym"
        if target is None or (rng.random() < 0.25 and not is_product(target) and not g.apart):
            shape = (
                ()
                if target is None
                else tuple(int(np.prod([sizes[b] for b in d])) if d else 1 for d in target)
            )
            v_text, v_value = _literal_v(rng, shape, sym)
        else:
            name = "v" if target[1] == ONE else "V"
            extra.append(
                Var(name, "sym" if sym else ("vec" if target[1] == ONE else "plain"), target)
            )
            v_text = name
    variables = dict(used)
    for var in extra:
        variables[var.name] = var
    declared = {d[0] for var in variables.values() if var.shape is not None for d in var.shape if d}
    for d in sorted(g.dims_used - declared):
        if not dimtxt[d].isdigit():  # a dimension name must be declared by some --let
            name = {"n": "q", "m": "r"}[d]
            variables[name] = Var(name, "vec", ((d,), ONE))
    let = [_decl(var, dimtxt) for var in variables.values() if var.kind != "scalar"]
    rng.shuffle(let)
    names = sorted(used)
    sym_dims = [d for d, t in dimtxt.items() if not t.isdigit()]
    s = Sample(
        command=command,
        kind=kind,
        layout=layout,
        expr=node.text,
        let=let,
        wrt=wrt.name,
        wrt_kind=wrt.kind,
        numpy_src=node.src,
        variables=variables,
        sizes=sizes,
        symbolic=sym_dims,
        f_shape=(),
        v=v_text,
        v_value=v_value,
        ops=frozenset(g.ops),
    )
    s.f_shape = s.shape_of(Var("f", "f", f_shape))
    base = compile_numpy(node.src, names)
    s.fn = lambda env, _f=base, _n=tuple(names): _f(**{k: env[k] for k in _n})
    return s


def manual_sample(
    command: str,
    expr: str,
    let: list[str],
    wrt: str,
    numpy_src: str,
    sizes: dict[str, int],
    layout: str = "mixed",
    v: str | None = None,
    scalars: tuple[str, ...] = (),
    near: tuple[str, ...] = (),
    kind: str | None = None,
) -> Sample:
    """A hand-written sample (to reproduce or minimise a failure): numpy_src uses column
    vectors (d, 1) like the generator's; `sizes` gives every dimension (integer ones too)."""
    sizes = {
        **sizes,
        **{d: int(d) for item in let for d in item.split(":")[1].split(",") if d.isdigit()},
    }
    variables: dict[str, Var] = {}
    for item in let:
        name, spec = item.split(":")
        parts = spec.split(",")
        if len(parts) == 1:
            variables[name] = Var(name, "vec", ((parts[0],), ONE))
        else:
            k = "sym" if parts[2:] == ["sym"] else ("near" if name in near else "plain")
            variables[name] = Var(name, k, ((parts[0],), (parts[1],)))
    for name in scalars:
        variables[name] = Var(name, "scalar", None)
    names = sorted(n for n in variables if n != v)
    fn = compile_numpy(numpy_src, names)
    s = Sample(
        command=command,
        kind=kind or (command if command != "vec" else "jacobian"),
        layout=layout,
        expr=expr,
        let=list(let),
        wrt=wrt,
        wrt_kind=variables[wrt].kind,
        numpy_src=numpy_src,
        variables=variables,
        sizes=sizes,
        symbolic=[d for d in sizes if not d.isdigit()],
        f_shape=(),
        v=v,
    )
    if v is not None and v not in variables:  # a literal --v in --at syntax
        text = v.strip()
        val = json.loads(text if text.startswith("[") or "," not in text else f"[{text}]")
        a = np.array(val, dtype=float)
        s.v_value = float(a) if a.ndim == 0 else (a.reshape(-1, 1) if a.ndim == 1 else a)
    s.fn = lambda env, _f=fn, _n=tuple(names): _f(**{k: env[k] for k in _n})
    env = s.random_point(np.random.default_rng(0))
    s.f_shape = np.asarray(s.fn(env), dtype=float).shape
    return s
