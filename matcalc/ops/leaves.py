"""Leaves: exact constants, variables and their differentials, and the structured constants
0, 𝟏, 𝐈 and the commutation matrix K.

A constant (`num`) holds an exact SymPy number — a rational, π, e, √2, or an expression in the
dimensions (`n/2`) — and is folded by the arithmetic entries. A value that does not exist (a
complex number, an infinity) is a user error here, where it is made.
"""

from __future__ import annotations

import sympy as sp

from .. import limits
from ..errors import LimitError, MatcalcError
from ..expr.arrays import array_shape
from ..expr.node import Node, Shape
from ..expr.registry import ATOM, NEG, POSTFIX, PROD, SUM, Op, alias, register
from .base import comm, lit, num, with_dims, zero


def _no_tangent(n: Node, d: list[Node]) -> Node:
    return zero(n.shape)


def _const_prec(n: Node) -> int:
    v = n.data
    if v.is_Add:
        return SUM
    if v.could_extract_minus_sign():
        return NEG
    if v.is_Pow:
        if v.exp == sp.Rational(1, 2):
            return ATOM
        return (
            PROD if (v.exp.is_negative or (v.exp.is_Rational and not v.exp.is_Integer)) else POSTFIX
        )
    if (v.is_Rational and not v.is_Integer) or v.is_Mul or v.is_Pow:
        return PROD
    return ATOM


# ---------------------------------------------------------------- exact constants


register(
    Op(
        "num",
        shape=lambda a, d: (),
        jvp=_no_tangent,
        np=lambda ctx, n: (
            float(with_dims(n.data, ctx.dims)) if n.data.free_symbols else float(n.data)
        ),
        expand=lambda ctx, n: num(with_dims(n.data, ctx.dims)) if ctx.dims else n,
        sympy=lambda n: n.data,
        text=lambda p, n: p.const(n.data),
        latex=lambda p, n: p.const(n.data),
        numpy=lambda p, n: p.const(n.data),
        prec=_const_prec,
        steps="d of a constant is 0",
        arity=0,
        leaf=True,
    )
)


# ---------------------------------------------------------------- variables


def _var_value(ctx, n: Node) -> object:
    name = n.data[0]
    if name not in ctx.values:
        raise MatcalcError(f"no value for {name}; give it with --at NAME=VALUE")
    return ctx.values[name]


def _var_expand(ctx, n: Node) -> Node:
    got = ctx.env.get(n.data[0])
    return n if got is None else got


def _var_sympy(n: Node) -> object:
    from sympy.matrices import expressions as mx

    if n.shape == ():
        return sp.Symbol(n.data[0], real=True)
    return mx.MatrixSymbol(n.data[0], *n.shape)


register(
    Op(
        "var",
        shape=lambda a, d: (),  # variables are made by var(), never by build()
        jvp=_no_tangent,  # the differential walker maps the variables it differentiates by
        np=_var_value,
        expand=_var_expand,
        sympy=_var_sympy,
        text=lambda p, n: p.name(n.data[0]),
        latex=lambda p, n: p.name(n.data[0]),
        numpy=lambda p, n: p.name(n.data[0]),
        prec=ATOM,
        steps="a variable",
        arity=0,
        leaf=True,
    )
)


def _dvar_value(ctx, n: Node) -> object:
    return ctx.values[("d", n.data)]


def _dvar_sympy(n: Node) -> object:
    from sympy.matrices import expressions as mx

    if n.shape == ():
        return sp.Symbol("d" + n.data, real=True)
    return mx.MatrixSymbol("d" + n.data, *n.shape)


register(
    Op(
        "dvar",
        shape=lambda a, d: (),
        jvp=_no_tangent,  # dX is a constant direction: d(dX) = 0
        np=_dvar_value,
        expand=lambda ctx, n: ctx.env.get(("d", n.data), n),
        sympy=_dvar_sympy,
        text=lambda p, n: "d" + p.name(n.data),
        latex=lambda p, n: r"\mathrm{d}" + p.name(n.data),
        numpy=lambda p, n: "_d_" + n.data,
        prec=ATOM,
        steps="a differential",
        arity=0,
        leaf=True,
    )
)


# ---------------------------------------------------------------- structured constants


def _dims(ctx, shape: Shape) -> tuple[int, int]:
    r, c = shape
    out = []
    for d in (r, c):
        v = sp.sympify(d.xreplace(ctx.dims) if ctx.dims else d)  # safe: a dimension
        if not v.is_Integer:
            raise MatcalcError(f"size {d} is symbolic; give integer sizes or values for it")
        out.append(int(v))
    if out[0] * out[1] > limits.MAX_ENTRIES:
        raise LimitError(
            f"an explicit {out[0]}×{out[1]} matrix is over the limit {limits.MAX_ENTRIES}"
        )
    return out[0], out[1]


def _explicit(ctx, shape: Shape, entry) -> Node:
    r, c = _dims(ctx, shape)
    return lit([[num(entry(i, j)) for j in range(c)] for i in range(r)])


_SUB = dict(zip("0123456789aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", strict=True))


def _subscripted(symbol: str, d) -> str | None:
    """𝐈ₙ, 𝟏₃: the size as a subscript, where Unicode has one for it."""
    text = str(d)
    if text.isdigit() or (len(text) == 1 and text in _SUB):
        return symbol + "".join(_SUB[c] for c in text)
    return None


def _ones(p, n: Node, symbol: str, t: str) -> str:
    """𝟏 where the context fixes its size; ones(n), ones(n, m) where it does not."""
    r, c = n.shape
    if p.sized and (c == 1 or r == 1):
        return symbol + (t if n.is_row else "")
    if p.fmt == "latex":
        size = (
            p.dim_text(r)
            if c == 1
            else p.dim_text(c)
            if r == 1
            else f"{p.dim_text(r)} \\times {p.dim_text(c)}"
        )
        return rf"\mathbf{{1}}_{{{size}}}" + (t if n.is_row else "")
    if c == 1:
        return _subscripted("𝟏", r) or f"ones({p.dim_text(r)})"
    if r == 1:
        return (_subscripted("𝟏", c) or f"ones({p.dim_text(c)})") + "ᵀ"
    return f"ones({p.dim_text(r)}, {p.dim_text(c)})"


def _np_dims(ctx, shape: Shape) -> tuple[int, ...]:
    """The array shape of a constant of this shape (a vector is 1-D), at the point's sizes."""
    return tuple(int(d.xreplace(ctx.dims)) for d in array_shape(shape))


def _np_shape_code(p, n: Node) -> str:
    return p.np_shape(n.shape)


def _sympy_const(kind: str):
    def convert(n: Node) -> object:
        from sympy.matrices import expressions as mx

        if kind == "zero":
            return mx.ZeroMatrix(*n.shape)
        if kind == "ones":
            return mx.OneMatrix(*n.shape)
        return mx.Identity(n.shape[0])

    return convert


register(
    Op(
        "zero",
        shape=lambda a, d: (),
        jvp=_no_tangent,
        np=lambda ctx, n: ctx.xp.zeros(_np_dims(ctx, n.shape)),
        expand=lambda ctx, n: _explicit(ctx, n.shape, lambda i, j: 0),
        sympy=_sympy_const("zero"),
        text=lambda p, n: "0",
        latex=lambda p, n: "0",
        numpy=lambda p, n: f"np.zeros({p.np_shape(n.shape)})",
        prec=ATOM,
        steps="d of a constant is 0",
        arity=0,
        leaf=True,
    )
)
register(
    Op(
        "ones",
        shape=lambda a, d: (),
        jvp=_no_tangent,
        np=lambda ctx, n: ctx.xp.ones(_np_dims(ctx, n.shape)),
        expand=lambda ctx, n: _explicit(ctx, n.shape, lambda i, j: 1),
        sympy=_sympy_const("ones"),
        text=lambda p, n: _ones(p, n, "𝟏", "ᵀ"),
        latex=lambda p, n: _ones(p, n, r"\mathbf{1}", r"^{\top}"),
        numpy=lambda p, n: f"np.ones({p.np_shape(n.shape)})",
        prec=lambda n: POSTFIX if n.is_row else ATOM,
        steps="d of a constant is 0",
        arity=0,
        leaf=True,
        role="all-ones",
    )
)
register(
    Op(
        "eye",
        shape=lambda a, d: (),
        jvp=_no_tangent,
        np=lambda ctx, n: ctx.xp.eye(_np_dims(ctx, n.shape)[0]),
        expand=lambda ctx, n: _explicit(ctx, n.shape, lambda i, j: int(i == j)),
        sympy=_sympy_const("eye"),
        text=lambda p, n: (
            "𝐈" if p.sized else _subscripted("𝐈", n.shape[0]) or f"eye({p.dim_text(n.shape[0])})"
        ),
        latex=lambda p, n: (
            r"\mathbf{I}" if p.sized else rf"\mathbf{{I}}_{{{p.dim_text(n.shape[0])}}}"
        ),
        numpy=lambda p, n: f"np.eye({p.dim(n.shape[0])})",
        prec=ATOM,
        steps="d of a constant is 0",
        arity=0,
        leaf=True,
        role="identity",
    )
)


def _comm_np(ctx, node: Node) -> object:
    m, n = (int(d.xreplace(ctx.dims)) for d in node.data)
    k = ctx.xp.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0
    return k


def _comm_expand(ctx, node: Node) -> Node:
    m, n = _dims(ctx, node.data)

    def entry(r: int, c: int) -> int:
        j, i = divmod(c, m)  # column c of K picks entry (i, j) of A (column-major)
        return int(r == i * n + j)

    return _explicit(ctx, node.shape, entry)


register(
    Op(
        "comm",
        shape=lambda a, d: (),
        jvp=_no_tangent,
        np=_comm_np,
        expand=_comm_expand,
        sympy=lambda n: (
            sp.ImmutableMatrix(_comm_np(_IntCtx(), n)).applyfunc(sp.Integer)
            if all(d.is_Integer for d in n.data)
            else sp.MatrixSymbol(f"K_{n.data[0]}_{n.data[1]}", *n.shape)
        ),
        text=lambda p, n: f"comm({p.dim_text(n.data[0])}, {p.dim_text(n.data[1])})",
        latex=lambda p, n: rf"K_{{({p.dim_text(n.data[0])},{p.dim_text(n.data[1])})}}",
        numpy=lambda p, n: (
            f"np.eye(({p.dim(n.data[0])})*({p.dim(n.data[1])}))"
            f"[np.arange(({p.dim(n.data[0])})*({p.dim(n.data[1])}))"
            f".reshape(({p.dim(n.data[1])}), ({p.dim(n.data[0])})).T.ravel()]"
        ),
        prec=ATOM,
        steps="the commutation matrix",
        arity=0,
        leaf=True,
    )
)


def _comm_surface(m: Node, n: Node) -> Node:
    """`comm(m, n)`: the commutation matrix of an m×n matrix (sizes, integers or dimensions)."""
    if m.op != "num" or n.op != "num" or not (m.data.is_integer and n.data.is_integer):
        raise MatcalcError("comm(m, n) takes two sizes")
    return comm(m.data, n.data)


alias("comm", 2, _comm_surface)


class _IntCtx:
    """A float context with no symbolic sizes (integer-sized constants)."""

    dims: dict = {}

    @property
    def xp(self):
        import numpy

        return numpy
