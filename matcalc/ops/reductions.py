"""Reductions and vector functions: sum, mean, the norms, softmax and log-sum-exp, dot."""

from __future__ import annotations

import sympy as sp

from ..errors import ShapeError
from ..expr.node import Node, shape_str, size
from ..expr.registry import ATOM, Op, Rewrite, alias, build, register
from .base import (
    add,
    apply,
    deflinear,
    inner,
    is_zero,
    linear_unary_rewrites,
    lit,
    lit_rows,
    matmul,
    mean,
    mismatch,
    mul,
    mx,
    norm1,
    norm2,
    num,
    ones,
    pow_,
    softmax,
    sub,
    sum_,
    transpose,
)


def _to_scalar(args, data):
    return ()


def _identity_on_scalars(args, data):
    return args[0] if args[0].is_scalar else None


def _sum_all(a) -> object:
    m = mx()
    return (m.OneMatrix(1, a.shape[0]) * a * m.OneMatrix(a.shape[1], 1))[0, 0]


# ---------------------------------------------------------------- sum and mean


def _sum_expand(ctx, n: Node, a: Node) -> Node:
    """The sum of an explicit value's entries."""
    return a if a.is_scalar else add(*(e for row in lit_rows(a) for e in row))


def _sum_transpose(n: Node, g: Node, i: int) -> Node:
    return mul(g, ones(n.args[0].shape))


register(
    deflinear(
        "sum",
        shape=_to_scalar,
        np=lambda ctx, n, a: ctx.xp.sum(a),
        expand=_sum_expand,
        sympy=lambda n, a: _sum_all(a),
        text=lambda p, n: f"sum({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{sum}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.sum({p(n.args[0])})",
        prec=ATOM,
        steps="d sum X = sum dX",
        names=("sum",),
        builder=lambda a: sum_(a),
        transpose=_sum_transpose,
        rewrites=[
            *linear_unary_rewrites(lambda a: sum_(a), "x + y", "2*t*x", ("x:n", "y:n")),
        ],
    )
)


def _mean_transpose(n: Node, g: Node, i: int) -> Node:
    a = n.args[0]
    return mul(g, pow_(num(size(a.shape)), num(-1)), ones(a.shape))


register(
    deflinear(
        "mean",
        shape=_to_scalar,
        np=lambda ctx, n, a: ctx.xp.mean(a),
        expand=lambda ctx, n, a: (
            mul(
                pow_(num(size(n.args[0].shape).xreplace(ctx.dims)), num(-1)),
                sum_(a) if not a.is_scalar else a,
            )
            if not a.is_scalar
            else a
        ),
        sympy=lambda n, a: _sum_all(a) / (a.shape[0] * a.shape[1]),
        text=lambda p, n: f"mean({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{mean}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.mean({p(n.args[0])})",
        prec=ATOM,
        steps="d mean X = mean dX",
        names=("mean",),
        builder=lambda a: mean(a),
        transpose=_mean_transpose,
        rewrites=[
            *linear_unary_rewrites(lambda a: mean(a), "x + y", "2*t*x", ("x:n", "y:n")),
        ],
    )
)


# ---------------------------------------------------------------- norms


def _nonzero(xp, n: Node, a) -> bool:
    return bool(xp.sqrt(xp.sum(xp.asarray(a) ** 2)) > 1e-2)


def _norm2_jvp(n: Node, d: list[Node]) -> Node:
    """d‖X‖ = ⟨X, dX⟩ / ‖X‖."""
    return mul(pow_(n, num(-1)), inner(n.args[0], d[0]))


def _norm2_expand(ctx, n: Node, a: Node) -> Node:
    return pow_(add(*(pow_(e, num(2)) for row in lit_rows(a) for e in row)), num(sp.Rational(1, 2)))


register(
    Op(
        "norm2",
        shape=_to_scalar,
        jvp=_norm2_jvp,
        np=lambda ctx, n, a: ctx.xp.sqrt(ctx.xp.sum(a * a)),
        expand=_norm2_expand,
        sympy=lambda n, a: (
            sp.sqrt((mx().Transpose(a) * a)[0, 0])
            if a.shape[1] == 1
            else sp.sqrt(mx().Trace(mx().Transpose(a) * a))
        ),
        text=lambda p, n: f"‖{p(n.args[0])}‖",
        latex=lambda p, n: rf"\left\lVert {p(n.args[0])} \right\rVert",
        numpy=lambda p, n: f"np.linalg.norm({p(n.args[0])})",
        prec=ATOM,
        steps="d‖X‖ = ⟨X, dX⟩ / ‖X‖",
        domain=_nonzero,
        names=("norm2", "norm"),
        builder=lambda a: norm2(a),
    )
)


def _no_zero_entry(xp, n: Node, a) -> bool:
    return bool(xp.all(xp.abs(xp.asarray(a)) > 1e-2))


def _norm1_expand(ctx, n: Node, a: Node) -> Node:
    return add(*(apply("abs", e) for row in lit_rows(a) for e in row))


register(
    Op(
        "norm1",
        shape=_to_scalar,
        jvp=lambda n, d: inner(apply("sign", n.args[0]), d[0]),
        np=lambda ctx, n, a: ctx.xp.sum(ctx.xp.abs(a)),
        expand=_norm1_expand,
        sympy=lambda n, a: (
            _sum_all(a.applyfunc(sp.Abs)) if hasattr(a, "applyfunc") else sp.Function("norm1")(a)
        ),
        text=lambda p, n: f"‖{p(n.args[0])}‖₁",
        latex=lambda p, n: rf"\left\lVert {p(n.args[0])} \right\rVert_{{1}}",
        numpy=lambda p, n: f"np.sum(np.abs({p(n.args[0])}))",
        prec=ATOM,
        steps="d‖X‖₁ = ⟨sign(X), dX⟩",
        domain=_no_zero_entry,
        names=("norm1",),
        builder=lambda a: norm1(a),
    )
)


# ---------------------------------------------------------------- softmax and log-sum-exp


def _need_vector(what: str, scalar: bool):
    def shape(args, data):
        a = args[0]
        if not a.is_vector:
            raise ShapeError(f"{what} needs a vector, got {shape_str(a.shape)}")
        return () if scalar else a.shape

    return shape


def _softmax_np(ctx, n: Node, x):
    z = ctx.xp.exp(x - ctx.xp.max(x))
    return z / ctx.xp.sum(z)


def _lse_np(ctx, n: Node, x):
    top = ctx.xp.max(x)
    return top + ctx.xp.log(ctx.xp.sum(ctx.xp.exp(x - top)))


def _softmax_expand(ctx, n: Node, x: Node) -> Node:
    es = [apply("exp", row[0]) for row in lit_rows(x)]
    total = pow_(add(*es), num(-1))
    return lit([[mul(e, total)] for e in es])


def _lse_expand(ctx, n: Node, x: Node) -> Node:
    return apply("log", add(*(apply("exp", row[0]) for row in lit_rows(x))))


def _softmax_sympy(n: Node, a):
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    e = ElementwiseApplyFunction(sp.exp, a)
    return e / (mx().OneMatrix(1, a.shape[0]) * e)[0, 0]


def _lse_sympy(n: Node, a):
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    return sp.log((mx().OneMatrix(1, a.shape[0]) * ElementwiseApplyFunction(sp.exp, a))[0, 0])


def _softmax_of_zero(args, data):
    z = args[0]
    return mul(pow_(num(sp.S(size(z.shape))), num(-1)), ones(z.shape)) if is_zero(z) else None


register(
    Op(
        "softmax",
        shape=_need_vector("softmax", scalar=False),
        jvp=lambda n, d: matmul(sub(build("diag", n), matmul(n, transpose(n))), d[0]),
        np=_softmax_np,
        expand=_softmax_expand,
        sympy=_softmax_sympy,
        text=lambda p, n: f"softmax({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{softmax}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: (
            f"(np.exp({p(n.args[0])} - np.max({p(n.args[0])})) / "
            f"np.sum(np.exp({p(n.args[0])} - np.max({p(n.args[0])}))))"
        ),
        prec=ATOM,
        steps="d softmax(x) = (diag(s) − s sᵀ) dx",
        names=("softmax",),
        rewrites=[Rewrite("softmax(𝟎ₙ) = 𝟏ₙ/n", _softmax_of_zero, ("zeros(n)",), ("x:n",))],
    )
)


register(
    Op(
        "lse",
        shape=_need_vector("logsumexp", scalar=True),
        jvp=lambda n, d: matmul(transpose(softmax(n.args[0])), d[0]),
        np=_lse_np,
        expand=_lse_expand,
        sympy=_lse_sympy,
        text=lambda p, n: f"logsumexp({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{logsumexp}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.logaddexp.reduce({p(n.args[0])})",
        prec=ATOM,
        steps="d logsumexp(x) = softmax(x)ᵀ dx",
        names=("logsumexp",),
    )
)


def dot(a: Node, b: Node) -> Node:
    """aᵀb for two vectors of the same size."""
    if not (a.is_vector and b.is_vector):
        raise ShapeError("dot needs two vectors")
    if a.shape != b.shape:
        raise mismatch("dot", a, b)
    return matmul(transpose(a), b)


alias("dot", 2, dot)

__all__ = ["dot"]
