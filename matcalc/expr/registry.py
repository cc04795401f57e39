"""The operator registry: one `Op` entry holds everything matcalc knows of an operator.

An entry carries its surface names, its shape rule (raising a ShapeError that names both
shapes), its canonical rewrites, its differential rule, its transpose and vec rules when it is
linear, its float and explicit evaluations, its conversion to SymPy, its text / LaTeX / NumPy
printers with one precedence, its `--steps` label and its domain. Entries are registered in
matcalc/ops/, one family per module, each operator on consecutive lines (JAX's lax.py); the
rewrites that relate two families are attached by matcalc/ops/rules.py. Every
other table in matcalc is a view of `OPS`; `missing_parts` is what the completeness test checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..budget import Memo
from ..errors import MatcalcError, NotMatrixLevel
from .node import Node, Shape

# One precedence table for every printer: what binds tighter prints without parentheses.
SUM, NEG, PROD, POSTFIX, ATOM = 10, 15, 20, 30, 40

Args = tuple[Node, ...]
PrintRule = Callable[[Any, Node], str]


@dataclass(frozen=True)
class Rewrite:
    """A canonical rewrite: `fn(args, data)` returns the simpler node, or None when it does not
    apply. `example` is an argument list in the expression language (with `let`) on which it
    fires; the tests check value before = value after there, at random points."""

    doc: str
    fn: Callable[[Args, Any], Node | None]
    example: tuple[str, ...]
    let: tuple[str, ...] = ()
    data: Any = None  # the entry's payload in the example (an exponent, a shape)
    # where it also applies as written (raw mode): operands whose written form has no value of
    # its own, e.g. eig(X) of an X not symmetric, whose sum is tr X (SPEC §7.2)
    as_written: Callable[[Args], bool] | None = None


ALL = "everywhere"  # the domain of an operator defined for every argument


@dataclass(frozen=True)
class Joint:
    """One call of generated code that computes several nodes at once — SciPy's expm_frechet
    gives expm(X) with L(X, E), eigh an eigenvalue with its eigenvector — made once where code
    needs two of them. `code(printer)` is the call, returning a tuple; member i is read as
    `result[select[i][0]]` followed by the suffix `select[i][1]` (`[:, 0]`)."""

    members: tuple[Node, ...]
    select: tuple[tuple[int, str], ...]
    outputs: int
    code: Callable[[Any], str]


@dataclass(eq=False)
class Op:
    """One operator. `np(ctx, node, *values)` evaluates with an array module (`ctx.xp`), its
    values in the NumPy printer's array convention (expr/arrays.py: vectors 1-D); `expand(node,
    *args)` evaluates on explicit operands (numbers or scalar trees); `jvp(node, tangents)` is
    the differential; `transpose(node, g, i)` moves a cotangent g onto operand i and `vec(node,
    i, k)` pushes d vec(operand i) = k · d vec(x) through, for operators linear in operand i.

    What the generic code outside ops/ needs to know of an operator it asks here, never by its
    name: `leaf` (no operands), `role` (which of the algebra's operations the simplifier and the
    printers know it as: one of `ROLES`), `chain` (n-ary and associative: `a b c` is one node,
    also as written), `keeps_context` (its operand's size is fixed where its own is, as in c A
    and Aᵀ: 𝟏 and 𝐈 inside print without a size), `view` (applied to a variable, generated code
    reads it off the variable, Xᵀ or X[i, j], and binds no temporary) and `forms` (the textbook
    forms the simplifier names, σ(u) for exp(u)/(1 + exp(u)): identities tried after the
    canonical rewrites, attached by ops/textbook.py). Code only: `solve` (how code solves with
    it as the matrix, X⁻¹ B, where its structure beats np.linalg.solve) and `joint` (the call
    that computes it together with other nodes, made once where code needs several)."""

    name: str
    shape: Callable[[Args, Any], Shape]
    jvp: Callable[[Node, list[Node]], Node] | None
    np: Callable[..., Any] | None
    expand: Callable[..., Node] | None
    sympy: Callable[..., Any] | None
    text: PrintRule | None
    latex: PrintRule | None
    numpy: PrintRule | None
    prec: int | Callable[[Node], int]
    steps: str
    domain: Any = ALL  # ALL, or domain(xp, node, *values) -> True where defined and smooth
    names: tuple[str, ...] = ()
    arity: int | tuple[int, ...] | None = 1
    rewrites: list[Rewrite] = field(default_factory=list)
    linear: bool = False
    # the operands it is linear in, where not every one (L_f(X, E) is linear in E, not in X): its
    # transpose and vec rules apply to these slots only (None: every operand)
    linear_in: tuple[int, ...] | None = None
    transpose: Callable[[Node, Node, int], Node] | None = None
    vec: Callable[[Node, int, Node], Node] | None = None
    leaf: bool = False
    sympy_fn: Any = None  # the SymPy scalar function an elementwise operator folds constants with
    builder: Callable[..., Node] | None = None  # what a surface name builds (default: build)
    push_T: Callable[[Node], Node] | None = None  # noqa: N815 (ᵀ as in the math); (op(…))ᵀ with the transpose moved inside
    latex_names: tuple[str, ...] = ()  # bare LaTeX commands read back as it (\sin, \det, \ln)
    entrywise: bool = False  # a scalar function applied entry by entry (the `elementwise` family)
    role: str = ""  # one of ROLES, or "" (what simplify/ and render/ ask for: `role(node)`)
    chain: bool = False  # n-ary, associative, printed flat
    keeps_context: bool = False  # c A, Aᵀ: the operand's size is fixed where the node's is
    view: bool = False  # Xᵀ, X[i, j] of a variable X: generated code needs no temporary for it
    forms: list[Rewrite] = field(default_factory=list)  # textbook forms (simplify/tidy.py)
    # code for X⁻¹ B with X this node (`solve(p, node, rhs_code, transposed)`: Xᵀ if transposed),
    # where the matrix's structure solves cheaper than np.linalg.solve (a triangular factor)
    solve: Callable[[Any, Node, str, bool], str] | None = None
    joint: Callable[[Node], Joint | None] | None = None  # one call for it and its siblings
    # its operand must be symmetric (eig, λ_max: SPEC §7.2): the reader refuses it of an operand
    # not symmetric by structure that no rewrite consumed (sum(eig(X)) = tr X for any square X)
    needs_symmetric: bool = False

    def precedence(self, n: Node) -> int:
        return self.prec(n) if callable(self.prec) else self.prec


OPS: dict[str, Op] = {}

ROLES = {
    "addition": "A + B + …: the terms are its operands",
    "scaling": "c A, c d: the product of scalar factors and of what they scale",
    "matrix product": "A B C: the factors in order",
    "entrywise product": "A ⊙ B ⊙ …",
    "power": "uᵖ (entrywise for an array): operands base and exponent",
    "transpose": "Aᵀ",
    "diagonal": "diag(v): a vector as a diagonal matrix",
    "all-ones": "𝟏, the all-ones vector or matrix",
    "identity": "𝐈, the identity matrix",
    "kronecker": "A ⊗ B: the Kronecker product of its two operands",
    "inverse": "X⁻¹, the inverse of a square matrix",
    "row softmax": "softmax(Z, 2): the softmax of each row of Z",
    "row log-sum-exp": "logsumexp(Z, 2): the log-sum-exp of each row of Z, a column",
}
"""The operations that the simplifier and the printers rewrite by their algebra (factoring a
sum, a product by a diagonal matrix written as a broadcast): each role is held by one entry,
its `role` field, and asked of a node with `role(n)`, never by comparing `n.op` with a name."""


def role(n: Node) -> str:
    """What the node's operator is to the generic code (a key of ROLES), "" for none."""
    return OPS[n.op].role


FUNCTIONS: dict[str, tuple[int | tuple[int, ...], Callable[..., Node]]] = {}
"""Surface function names → (arity, builder): a view of the entries' `names`, plus aliases."""


@dataclass(frozen=True)
class Axes:
    """A function that takes an axis (SPEC §7.1): `build(x, axis)` with axis 1 (down each column,
    MATLAB's dimension 1), 2 (along each row) or None (none given). `positional`: MATLAB's
    `f(X, 2)` is read (not for max and min, whose second operand is entrywise); `note(x)`: the
    note for a call without an axis, or "" (softmax of a matrix acts on each row)."""

    build: Callable[[Node, int | None], Node]
    positional: bool = True
    note: Callable[[Node], str] | None = None


AXES: dict[str, Axes] = {}
"""Surface names that take an axis → how: a view of the reductions' `axes(…)` calls."""


def axes(
    names: tuple[str, ...],
    build_fn: Callable[[Node, int | None], Node],
    positional: bool = True,
    note: Callable[[Node], str] | None = None,
) -> None:
    """Register the axis form of surface names (`sum(X, 2)`, `softmax(Z, dim=1)`)."""
    for name in names:
        if name in AXES:
            raise ValueError(f"axis form of {name!r} registered twice")
        AXES[name] = Axes(build_fn, positional, note)


def latex_commands() -> dict[str, str]:
    """Bare LaTeX commands → function names (`\\sin` → sin): what `--input latex` reads, a view
    of the entries' `latex_names` (the first surface name, else the operator's own)."""
    return {
        cmd: (op.names[0] if op.names else op.name) for op in OPS.values() for cmd in op.latex_names
    }


def register(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"operator {op.name!r} registered twice")
    taken = latex_commands()
    for cmd in op.latex_names:
        if cmd in taken:
            raise ValueError(f"LaTeX command {cmd!r} registered twice")
    OPS[op.name] = op
    for name in op.names:
        alias(name, op.arity if op.arity is not None else 1, op.builder or _default_builder(op))
    return op


def alias(name: str, arity: int | tuple[int, ...], builder: Callable[..., Node]) -> None:
    """A surface name that builds an expression (`dot(a, b)` → aᵀb, `ln` → log)."""
    if name in FUNCTIONS:
        raise ValueError(f"function name {name!r} registered twice")
    FUNCTIONS[name] = (arity, builder)


def _default_builder(op: Op) -> Callable[..., Node]:
    return lambda *args: build(op.name, *args)


_RAW: ContextVar[bool] = ContextVar("matcalc_raw", default=False)


@contextmanager
def raw_mode() -> Iterator[None]:
    """Inside the block, constructors check shapes but rewrite nothing: the expression exactly
    as the user wrote it, which `--check` differentiates numerically as its reference."""
    token = _RAW.set(True)
    try:
        yield
    finally:
        _RAW.reset(token)


_BUILT = Memo("canonical forms", limits.MEMO_CANONICAL)  # rewrites are pure: reuse their results


def build(op_name: str, *args: Node, data: Any = None) -> Node:
    """The canonical node: check shapes, try the entry's rewrites in order, else a new node."""
    op = OPS[op_name]
    if _RAW.get() and not (args and all(a.is_number for a in args)):  # constants still fold
        shape = op.shape(args, data)  # the seam only: the chain args[0] is checked already
        for rw in op.rewrites:
            if rw.as_written is not None and rw.as_written(args):
                out = rw.fn(args, data)
                if out is not None:
                    return out
        if op.chain and args and args[0].op == op_name:  # a b c: one node, not a
            args = args[0].args + args[1:]  # nest as deep as the chain is long (it prints alike)
        return Node(op_name, args, data, shape)
    try:
        key = (op_name, args, data)
        known = _BUILT.get(key)
    except TypeError:  # data that cannot be a key
        key = known = None
    if known is not None:
        return known
    shape = op.shape(args, data)
    out = None
    for rw in op.rewrites:
        out = rw.fn(args, data)
        if out is not None:
            break
    if out is None:
        out = Node(op_name, args, data, shape)
    if key is not None:
        _BUILT.put(key, out)
    return out


def canonical(n: Node) -> Node:
    """The node rebuilt through every rewrite, also inside raw mode (to read a constant)."""
    token = _RAW.set(False)
    try:
        memo: dict[Node, Node] = {}

        def go(m: Node) -> Node:
            if m not in memo:
                memo[m] = build(m.op, *(go(a) for a in m.args), data=m.data) if m.args else m
            return memo[m]

        return go(n)
    finally:
        _RAW.reset(token)


def raw(op_name: str, *args: Node, data: Any = None) -> Node:
    """The node exactly as written: shapes checked, no rewrite (for `--check`'s reference)."""
    return Node(op_name, args, data, OPS[op_name].shape(args, data))


def rebuild(n: Node, args: Args) -> Node:
    """The same operation on new operands, through its rewrites again."""
    if args == n.args:
        return n
    return build(n.op, *args, data=n.data)


def rule(n: Node, part: str) -> Callable[..., Any]:
    """An entry's rule, or an error that names the operator (a missing rule is never silent)."""
    op = OPS.get(n.op)
    fn = getattr(op, part, None) if op is not None else None
    if fn is None:
        raise NotMatrixLevel(f"no {part} rule for {n.op!r}")
    return fn


REQUIRED = ("shape", "jvp", "np", "expand", "sympy", "text", "latex", "numpy", "prec", "steps")


def missing_parts(op: Op) -> list[str]:
    """What an entry lacks: the completeness test fails on any."""
    out = [p for p in REQUIRED if getattr(op, p) in (None, "")]
    if op.domain is None:
        out.append("domain")
    if op.linear and op.transpose is None:
        out.append("transpose")
    if op.linear and op.vec is None:
        out.append("vec")
    out += [f"example of rewrite {rw.doc!r}" for rw in op.rewrites if not rw.example]
    return out


def user_error(message: str) -> MatcalcError:
    return MatcalcError(message)
