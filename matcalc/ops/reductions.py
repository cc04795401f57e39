"""Reductions and vector functions: sum, mean, the norms, prod, softmax and log-sum-exp, dot."""

from __future__ import annotations

import sympy as sp

from ..errors import ShapeError
from ..expr.arrays import from_two_d, two_d
from ..expr.node import ONE, Node, norm_shape, shape_str, size
from ..expr.registry import ATOM, Op, Rewrite, alias, axes, build, register
from .base import (
    add,
    apply,
    deflinear,
    emul,
    inner,
    is_zero,
    linear_unary_rewrites,
    lit,
    lit_rows,
    logsumexp,
    logsumexp_rows,
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
    softmax_rows,
    sqrt,
    sub,
    sum_,
    transpose,
    zero,
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


# ---------------------------------------------------------------- product of the entries


def _prod_jvp(n: Node, d: list[Node]) -> Node:
    """d prod(x) = Σᵢ (∏_{j≠i} xⱼ) dxᵢ = prod(x) ⟨𝟏 ⊘ x, dx⟩, where no entry is zero."""
    return mul(n, inner(pow_(n.args[0], num(-1)), d[0]))


def _prod_expand(ctx, n: Node, a: Node) -> Node:
    return mul(*(e for row in lit_rows(a) for e in row))


def _prod_sympy(n: Node, a):
    if hasattr(a, "applyfunc"):  # an explicit matrix
        return sp.Mul(*a)
    return sp.Function("prod")(a)


register(
    Op(
        "prod",
        shape=_to_scalar,
        jvp=_prod_jvp,
        np=lambda ctx, n, a: ctx.xp.prod(a),
        expand=_prod_expand,
        sympy=_prod_sympy,
        text=lambda p, n: f"prod({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{prod}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.prod({p(n.args[0])})",
        prec=ATOM,
        steps="d prod(x) = prod(x) ⟨𝟏 ⊘ x, dx⟩ (no entry zero)",
        domain=_no_zero_entry,
        names=("prod",),
        builder=lambda a: a if a.is_scalar else build("prod", a),
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
    return mul(pow_(num(size(z.shape)), num(-1)), ones(z.shape)) if is_zero(z) else None


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


# ---------------------------------------------------------------- along each row (SPEC §7.1)


def _need_matrix(what: str, rows_out: bool):
    def shape(args, data):
        a = args[0]
        if a.is_scalar:
            raise ShapeError(f"{what} needs a vector or a matrix, got a scalar")
        return norm_shape((a.shape[0], ONE)) if rows_out else a.shape

    return shape


def _softmax_rows_np(ctx, n: Node, z):
    xp = ctx.xp
    z = two_d(xp, z, n.args[0].shape)
    e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
    return from_two_d(xp, e / xp.sum(e, axis=1, keepdims=True), n.shape)


def _lse_rows_np(ctx, n: Node, z):
    xp = ctx.xp
    z = two_d(xp, z, n.args[0].shape)
    top = xp.max(z, axis=1, keepdims=True)
    return from_two_d(xp, top + xp.log(xp.sum(xp.exp(z - top), axis=1, keepdims=True)), n.shape)


def _softmax_rows_expand(ctx, n: Node, z: Node) -> Node:
    out = []
    for row in lit_rows(z):
        es = [apply("exp", e) for e in row]
        total = pow_(add(*es), num(-1))
        out.append([mul(e, total) for e in es])
    return lit(out)


def _lse_rows_expand(ctx, n: Node, z: Node) -> Node:
    return lit([[apply("log", add(*(apply("exp", e) for e in row)))] for row in lit_rows(z)])


def _row_ones(z: Node) -> Node:
    """𝟏 with one entry per column of z: (z ⊙ …) 𝟏 sums each row."""
    return ones(norm_shape((z.shape[1], ONE)))


def _softmax_rows_jvp(n: Node, d: list[Node]) -> Node:
    """dS = S ⊙ (dZ − ((S ⊙ dZ) 𝟏) 𝟏ᵀ), S = softmax(Z, 2)."""
    one = _row_ones(n)
    return emul(n, sub(d[0], matmul(emul(n, d[0]), one, transpose(one))))


def _np_rows(p, n: Node, body: str) -> str:
    """A row-wise rule's NumPy: `body` of the operand `_z`, made 2-D (a softmax's result keeps
    the operand's shape: a vector's made 1-D again; a log-sum-exp's is 1-D already)."""
    code = f"(lambda _z: {body})({p.two_d(n.args[0])})"
    return f"np.ravel({code})" if n.is_vector and n.shape == n.args[0].shape else code


def _softmax_rows_of_zero(args, data):
    """Each row of 𝟎 is 𝟏ᵀ/k: the all-ones matrix over k (an m×k zero prints as 0 alone)."""
    z = args[0]
    return mul(pow_(num(z.shape[1]), num(-1)), ones(z.shape)) if is_zero(z) else None


register(
    Op(
        "softmax_rows",
        shape=_need_matrix("softmax(Z, 2)", rows_out=False),
        jvp=_softmax_rows_jvp,
        np=_softmax_rows_np,
        expand=_softmax_rows_expand,
        sympy=lambda n, a: sp.Function("softmax_rows")(a),
        text=lambda p, n: f"softmax({p(n.args[0])}, 2)",
        latex=lambda p, n: rf"\operatorname{{softmax}}\left({p(n.args[0])}, 2\right)",
        numpy=lambda p, n: _np_rows(
            p,
            n,
            "(lambda _e: _e / np.sum(_e, axis=1, keepdims=True))"
            "(np.exp(_z - np.amax(_z, axis=1, keepdims=True)))",
        ),
        prec=ATOM,
        steps="row by row: d softmax(Z, 2) = S ⊙ (dZ − ((S ⊙ dZ) 𝟏) 𝟏ᵀ), S = softmax(Z, 2)",
        rewrites=[
            Rewrite("softmax(𝟎, 2) = 𝟏 𝟏ᵀ/k", _softmax_rows_of_zero, ("zeros(m, k)",), ("X:m,k",))
        ],
        role="row softmax",
    )
)


register(
    Op(
        "lse_rows",
        shape=_need_matrix("logsumexp(Z, 2)", rows_out=True),
        jvp=lambda n, d: matmul(emul(softmax_rows(n.args[0]), d[0]), _row_ones(n.args[0])),
        np=_lse_rows_np,
        expand=_lse_rows_expand,
        sympy=lambda n, a: sp.Function("logsumexp_rows")(a),
        text=lambda p, n: f"logsumexp({p(n.args[0])}, 2)",
        latex=lambda p, n: rf"\operatorname{{logsumexp}}\left({p(n.args[0])}, 2\right)",
        numpy=lambda p, n: _np_rows(
            p,
            n,
            "np.amax(_z, axis=1) + np.log(np.sum(np.exp("
            "_z - np.amax(_z, axis=1, keepdims=True)), axis=1))",
        ),
        prec=ATOM,
        steps="row by row: d logsumexp(Z, 2) = (softmax(Z, 2) ⊙ dZ) 𝟏",
        role="row log-sum-exp",
    )
)


def _flip(a: Node) -> Node:
    """aᵀ, written so that (xᵀ)ᵀ is x also as written (raw)."""
    return a.args[0] if a.op == "T" else transpose(a)


def _along(axis: int, x: Node, rows) -> Node:
    """`rows` (a rule for each row) along the axis: 2 each row, 1 each column (of xᵀ's rows)."""
    if axis == 2:
        return rows(x)
    out = rows(_flip(x))
    return out if out.is_scalar else _flip(out)


def _sums(axis: int, a: Node) -> tuple[Node, object]:
    """The sums along the axis, X 𝟏 (each row) or 𝟏ᵀ X (each column), and how many each adds."""
    r, c = a.shape
    if (axis == 2 and c == 1) or (axis == 1 and r == 1):
        return a, ONE
    if axis == 2:
        return matmul(a, _row_ones(a)), c
    return matmul(transpose(ones(norm_shape((r, ONE)))), a), r


def _sum_axis(x: Node, axis: int | None) -> Node:
    """sum(X, 2) = X 𝟏 (each row), sum(X, 1) = 𝟏ᵀ X (each column); no axis: every entry."""
    return sum_(x) if axis is None or x.is_scalar else _sums(axis, x)[0]


def _mean_axis(x: Node, axis: int | None) -> Node:
    if axis is None or x.is_scalar:
        return mean(x)
    total, count = _sums(axis, x)
    return total if count == ONE else mul(total, pow_(num(count), num(-1)))


def _norm2_axis(x: Node, axis: int | None) -> Node:
    """norm2(X, 2): the Euclidean norm of each row, √((X ⊙ X) 𝟏); norm2(X, 1) of each column."""
    if axis is None or x.is_scalar:
        return norm2(x)
    squares, count = _sums(axis, emul(x, x))
    if count == ONE:
        return apply("abs", x)
    return norm2(x) if squares.is_scalar else sqrt(squares)


def _last_axis(x: Node, axis: int | None) -> int | None:
    """softmax and log_softmax without an axis: a vector's entries, a matrix's rows."""
    return 2 if axis is None and not x.is_scalar and not x.is_vector else axis


def _softmax_rows_of(a: Node) -> Node:
    if a.shape[1] == 1:
        return ones(a.shape)  # each row one entry
    return _flip(softmax(_flip(a))) if a.shape[0] == 1 else softmax_rows(a)


def _softmax_axis(x: Node, axis: int | None) -> Node:
    axis = _last_axis(x, axis)
    return softmax(x) if axis is None or x.is_scalar else _along(axis, x, _softmax_rows_of)


def _log_softmax(x: Node) -> Node:
    """x − logsumexp(x) 𝟏."""
    return sub(x, mul(logsumexp(x), ones(x.shape)))


def _log_softmax_rows(a: Node) -> Node:
    if a.shape[1] == 1:
        return zero(a.shape)
    if a.shape[0] == 1:
        return _flip(_log_softmax(_flip(a)))
    return sub(a, matmul(logsumexp_rows(a), transpose(_row_ones(a))))


def _log_softmax_axis(x: Node, axis: int | None) -> Node:
    """log_softmax(Z, 2) = Z − logsumexp(Z, 2) 𝟏ᵀ; of a vector x − logsumexp(x) 𝟏."""
    if x.is_scalar:
        raise ShapeError("log_softmax needs a vector or a matrix, got a scalar")
    axis = _last_axis(x, axis)
    return _log_softmax(x) if axis is None else _along(axis, x, _log_softmax_rows)


def _lse_rows_of(a: Node) -> Node:
    if a.shape[1] == 1:
        return a
    return logsumexp(_flip(a)) if a.shape[0] == 1 else logsumexp_rows(a)


def _lse_axis(x: Node, axis: int | None) -> Node:
    """logsumexp(Z, 2) each row; of a matrix with no axis an error that shows both readings."""
    if axis is None and x.is_row:
        return logsumexp(_flip(x))
    if axis is None and not x.is_scalar and not x.is_vector:
        z = repr(x)
        raise ShapeError(
            f"logsumexp of the {shape_str(x.shape)} matrix {z} needs an axis (SciPy and "
            f"PyTorch disagree): logsumexp({z}, 2) for each row, logsumexp(vec({z})) for all "
            "entries"
        )
    return logsumexp(x) if axis is None or x.is_scalar else _along(axis, x, _lse_rows_of)


def _rows_note(what: str):
    def note(x: Node) -> str:
        if x.is_scalar or x.is_vector or x.is_row:
            return ""
        z = repr(x)
        return (
            f"{what} of the {shape_str(x.shape)} matrix {z} acts on each row (the last axis, "
            f"as in PyTorch): {what}({z}, 2) = {what}({z}, axis=1) = {what}({z}, dim=1); "
            f"{what}({z}, 1) acts on each column"
        )

    return note


axes(("sum",), _sum_axis)
axes(("mean",), _mean_axis)
axes(("norm2", "norm"), _norm2_axis)
axes(("softmax",), _softmax_axis, note=_rows_note("softmax"))
axes(("log_softmax",), _log_softmax_axis, note=_rows_note("log_softmax"))
axes(("logsoftmax",), _log_softmax_axis, note=_rows_note("logsoftmax"))
axes(("logsumexp",), _lse_axis)
alias("log_softmax", 1, lambda x: _log_softmax_axis(x, None))
alias("logsoftmax", 1, lambda x: _log_softmax_axis(x, None))


def dot(a: Node, b: Node) -> Node:
    """aᵀb for two vectors of the same size."""
    if not (a.is_vector and b.is_vector):
        raise ShapeError("dot needs two vectors")
    if a.shape != b.shape:
        raise mismatch("dot", a, b)
    return matmul(transpose(a), b)


alias("dot", 2, dot)

__all__ = ["dot"]
