"""Reductions and vector functions: sum, mean, the norms, softmax and log-sum-exp, dot."""

from __future__ import annotations

import sympy as sp

from ..errors import ShapeError
from ..expr.node import Node, shape_str, size
from ..expr.registry import ATOM, Op, Rewrite, alias, build, register
from .arith import add, mismatch, mul, pow_, split_coeff, sub
from .elementwise import apply
from .leaves import is_zero, num, ones
from .linalg import inner, linear_unary_rewrites, matmul, scalar_vec, trace, transpose


def _to_scalar(args, data):
    return ()


def _identity_on_scalars(args, data):
    return args[0] if args[0].is_scalar else None


def _mx():
    from sympy.matrices import expressions as mx

    return mx


def _sum_all(a) -> object:
    mx = _mx()
    return (mx.OneMatrix(1, a.shape[0]) * a * mx.OneMatrix(a.shape[1], 1))[0, 0]


# ---------------------------------------------------------------- sum and mean


def _sum_rewrite(args, data):
    from .structure import is_scalar_lit, lit_rows

    a = args[0]
    if a.op == "T":
        return sum_(a.args[0])
    if is_zero(a):
        return num(0)
    if a.op == "ones":
        return num(size(a.shape))
    if a.op == "kron":  # sum(A ⊗ B) = sum A sum B
        return mul(sum_(a.args[0]), sum_(a.args[1]))
    if a.op == "diag":
        return sum_(a.args[0])
    if a.op == "had" and len(a.args) == 2 and a.is_vector:  # sum(a ⊙ b) = aᵀ b
        return matmul(transpose(a.args[0]), a.args[1])
    if is_scalar_lit(a):
        return add(*(e for row in lit_rows(a) for e in row))
    return None


def _sum_transpose(n: Node, g: Node, i: int) -> Node:
    return mul(g, ones(n.args[0].shape))


register(
    Op(
        "sum",
        shape=_to_scalar,
        jvp=lambda n, d: sum_(d[0]),
        np=lambda ctx, n, a: ctx.xp.sum(a),
        expand=lambda ctx, n, a: _sum_rewrite((a,), None) if not a.is_scalar else a,
        sympy=lambda n, a: _sum_all(a),
        text=lambda p, n: f"sum({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{sum}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.sum({p(n.args[0])})",
        prec=ATOM,
        steps="d sum X = sum dX",
        names=("sum",),
        builder=lambda a: sum_(a),
        linear=True,
        transpose=_sum_transpose,
        vec=scalar_vec(_sum_transpose),
        rewrites=[
            *linear_unary_rewrites(lambda a: sum_(a), "x + y", "2*t*x", ("x:n", "y:n")),
            Rewrite(
                "sum Aᵀ = sum A, sum 𝟏 = n, sum(A ⊗ B) = sum A sum B, sum(a ⊙ b) = aᵀb",
                _sum_rewrite,
                ("hadamard(x, y)",),
                ("x:n", "y:n"),
            ),
            Rewrite(
                "sum(eig(X)) = tr X (SPEC §7.2)",
                lambda args, data: trace(args[0].args[0]) if args[0].op == "eig" else None,
                ("eig(S)",),
                ("S:n,n,sym",),
            ),
        ],
    )
)


def sum_(a: Node) -> Node:
    return a if a.is_scalar else build("sum", a)


def _mean_transpose(n: Node, g: Node, i: int) -> Node:
    a = n.args[0]
    return mul(g, pow_(num(size(a.shape)), num(-1)), ones(a.shape))


def _mean_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return mean(a.args[0])
    if is_zero(a):
        return num(0)
    if a.op == "ones":
        return num(1)
    return None


register(
    Op(
        "mean",
        shape=_to_scalar,
        jvp=lambda n, d: mean(d[0]),
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
        linear=True,
        transpose=_mean_transpose,
        vec=scalar_vec(_mean_transpose),
        rewrites=[
            *linear_unary_rewrites(lambda a: mean(a), "x + y", "2*t*x", ("x:n", "y:n")),
            Rewrite("mean Aᵀ = mean A, mean 𝟏 = 1", _mean_rewrite, ("A.T",), ("A:n,m",)),
        ],
    )
)


def mean(a: Node) -> Node:
    return a if a.is_scalar else build("mean", a)


# ---------------------------------------------------------------- norms


def _norm_rewrite(name: str):
    def rewrite(args, data):
        a = args[0]
        if a.op == "T":
            return build(name, a.args[0])
        if is_zero(a):
            return num(0)
        c, rest = split_coeff(a)
        if rest is not None and c != 1 and c.is_number:
            return mul(num(abs(c)), build(name, rest))
        return None

    return rewrite


def _nonzero(xp, n: Node, a) -> bool:
    return bool(xp.sqrt(xp.sum(xp.asarray(a) ** 2)) > 1e-2)


def _norm2_jvp(n: Node, d: list[Node]) -> Node:
    """d‖X‖ = ⟨X, dX⟩ / ‖X‖."""
    return mul(pow_(n, num(-1)), inner(n.args[0], d[0]))


def _norm2_expand(ctx, n: Node, a: Node) -> Node:
    from .structure import lit_rows

    return pow_(add(*(pow_(e, num(2)) for row in lit_rows(a) for e in row)), num(sp.Rational(1, 2)))


register(
    Op(
        "norm2",
        shape=_to_scalar,
        jvp=_norm2_jvp,
        np=lambda ctx, n, a: ctx.xp.sqrt(ctx.xp.sum(a * a)),
        expand=_norm2_expand,
        sympy=lambda n, a: (
            sp.sqrt((_mx().Transpose(a) * a)[0, 0])
            if a.shape[1] == 1
            else sp.sqrt(_mx().Trace(_mx().Transpose(a) * a))
        ),
        text=lambda p, n: f"‖{p(n.args[0])}‖",
        latex=lambda p, n: rf"\left\lVert {p(n.args[0])} \right\rVert",
        numpy=lambda p, n: f"np.linalg.norm({p(n.args[0])})",
        prec=ATOM,
        steps="d‖X‖ = ⟨X, dX⟩ / ‖X‖",
        domain=_nonzero,
        names=("norm2", "norm"),
        builder=lambda a: norm2(a),
        rewrites=[
            Rewrite("‖Aᵀ‖ = ‖A‖, ‖c A‖ = |c| ‖A‖", _norm_rewrite("norm2"), ("-2*x",), ("x:n",))
        ],
    )
)


def norm2(a: Node) -> Node:
    """The Euclidean norm (Frobenius for a matrix); of a scalar, |t|."""
    return apply("abs", a) if a.is_scalar else build("norm2", a)


def _no_zero_entry(xp, n: Node, a) -> bool:
    return bool(xp.all(xp.abs(xp.asarray(a)) > 1e-2))


def _norm1_expand(ctx, n: Node, a: Node) -> Node:
    from .structure import lit_rows

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
        rewrites=[
            Rewrite("‖Aᵀ‖₁ = ‖A‖₁, ‖c A‖₁ = |c| ‖A‖₁", _norm_rewrite("norm1"), ("A.T",), ("A:n,m",))
        ],
    )
)


def norm1(a: Node) -> Node:
    """The sum of the absolute values of the entries."""
    return apply("abs", a) if a.is_scalar else build("norm1", a)


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
    from .structure import lit, lit_rows

    es = [apply("exp", row[0]) for row in lit_rows(x)]
    total = pow_(add(*es), num(-1))
    return lit([[mul(e, total)] for e in es])


def _lse_expand(ctx, n: Node, x: Node) -> Node:
    from .structure import lit_rows

    return apply("log", add(*(apply("exp", row[0]) for row in lit_rows(x))))


def _softmax_sympy(n: Node, a):
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    e = ElementwiseApplyFunction(sp.exp, a)
    return e / (_mx().OneMatrix(1, a.shape[0]) * e)[0, 0]


def _lse_sympy(n: Node, a):
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    return sp.log((_mx().OneMatrix(1, a.shape[0]) * ElementwiseApplyFunction(sp.exp, a))[0, 0])


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
        rewrites=[
            Rewrite(  # a zero vector prints as 0, which does not read back as a vector
                "softmax(0) = 𝟏/n",
                lambda args, data: (
                    mul(pow_(num(args[0].shape[0]), num(-1)), ones(args[0].shape))
                    if is_zero(args[0])
                    else None
                ),
                ("0*x",),
                ("x:n",),
            )
        ],
    )
)


def softmax(a: Node) -> Node:
    return build("softmax", a)


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


def logsumexp(a: Node) -> Node:
    return build("lse", a)


def dot(a: Node, b: Node) -> Node:
    """aᵀb for two vectors of the same size."""
    if not (a.is_vector and b.is_vector):
        raise ShapeError("dot needs two vectors")
    if a.shape != b.shape:
        raise mismatch("dot", a, b)
    return matmul(transpose(a), b)


alias("dot", 2, dot)

__all__ = ["dot", "logsumexp", "mean", "norm1", "norm2", "softmax", "sum_"]
