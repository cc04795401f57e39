"""Xᵏ with a symbolic exponent k (a positive integer name, like a dimension), and its derivative.

d Xᵏ = Σⱼ₌₀ᵏ⁻¹ Xʲ dX Xᵏ⁻¹⁻ʲ (the Matrix Cookbook, eq. 91), printed `matpow_frechet(X, dX, k)`:
linear in its second argument, with adjoint matpow_frechet(Xᵀ, G, k), and
matpow_frechet(X, 𝐈, k) = k Xᵏ⁻¹ (X commutes with 𝐈), so ∇ tr(Xᵏ) = k (Xᵀ)ᵏ⁻¹ (eq. 93).
The exponent is an operand (a constant node), so generated code binds it like a dimension.
"""

from __future__ import annotations

from functools import reduce

import sympy as sp

from .. import limits
from ..errors import LimitError, MatcalcError, NotMatrixLevel, ShapeError
from ..expr.node import Node, shape_str
from ..expr.registry import ATOM, POSTFIX, Op, Rewrite, register
from .base import (
    add,
    integer_exponent,
    is_zero,
    lit,
    lit_rows,
    matpow_frechet,
    matpowk,
    num,
    transpose,
    zero,
)
from .explicit import elementwise_lit, explicit_inverse, lit_matmul, numeric_only


def _shape(what: str):
    def shape(args: tuple[Node, ...], data: object) -> tuple:
        x, k = args[0], args[-1]
        if not x.is_square or x.is_scalar:
            raise ShapeError(f"{what} needs a square matrix, got {shape_str(x.shape)}")
        if k.op != "num" or not k.data.is_integer or k.data.is_negative:
            raise MatcalcError(f"{what}: the exponent must be a nonnegative integer")
        return x.shape

    return shape


def _power(x, k):
    import numpy

    return numpy.linalg.matrix_power(numpy.asarray(x, dtype=float), round(float(k)))


def _power_sum(x, e, k):
    import numpy

    x, e, k = numpy.asarray(x, dtype=float), numpy.asarray(e, dtype=float), round(float(k))
    return sum((_power(x, j) @ e @ _power(x, k - 1 - j) for j in range(k)), numpy.zeros_like(e))


def _exact_power(ctx, n: Node, x: Node, k: Node) -> Node:
    """Xᵏ at a point: with k bound (`--at k=3`), the exact product X X … X; else numbers only."""
    k = _bound_exponent(n, k)
    if k is None:
        return _numeric_power(ctx, n, x, k)
    return _lit_power(x, k)


def _exact_frechet(ctx, n: Node, x: Node, e: Node, k: Node) -> Node:
    """Σⱼ Xʲ E Xᵏ⁻¹⁻ʲ at a point, exactly where k is bound."""
    k = _bound_exponent(n, k)
    if k is None:
        return _numeric_frechet(ctx, n, x, e, k)
    if k < 0:
        raise MatcalcError(f"{n!r}: the exponent is {k}: the sum has no terms for k < 0")
    powers = [_lit_power(x, j) for j in range(k)]
    terms = [lit_matmul(lit_matmul(powers[j], e), powers[k - 1 - j]) for j in range(k)]
    return elementwise_lit(add, *terms) if terms else elementwise_lit(lambda _: num(0), e)


def _bound_exponent(n: Node, k: Node) -> int | None:
    """The exponent's value where the point gives it; an error where it is not a whole number."""
    if k.op != "num" or k.data.free_symbols:
        raise MatcalcError(
            f"{n!r}: the exponent {k!r} is a positive whole number; give each name in it "
            "with --at (e.g. --at k=3)"
        )
    if not k.data.is_Integer:
        raise MatcalcError(f"{n!r}: the exponent is {k.data}, not a whole number")
    if abs(k.data) > limits.MAX_MATPOW:
        raise LimitError(f"matrix exponent over the limit {limits.MAX_MATPOW}")
    return int(k.data)


def _lit_power(x: Node, k: int) -> Node:
    """Xᵏ of an explicit X; k < 0 (X^(k - 2) at k = 1) the power of its inverse."""
    if k < 0:
        return _lit_power(explicit_inverse(x), -k)
    if k:
        return reduce(lit_matmul, [x] * k)
    size = range(len(lit_rows(x)))
    return lit([[num(int(i == j)) for j in size] for i in size])


def _scalar_of(a):
    import numpy

    return float(numpy.asarray(a).reshape(-1)[0])


_numeric_power = numeric_only("a matrix power", lambda x, k: _power(x, _scalar_of(k)))
_numeric_frechet = numeric_only("matpow_frechet", lambda x, e, k: _power_sum(x, e, _scalar_of(k)))


def _base(p, n: Node) -> str:
    a = n.args[0]
    return f"({p(a)})" if a.op == "dvar" else p.arg(a, ATOM)


register(
    Op(
        "matpowk",
        shape=_shape("a matrix power"),
        jvp=lambda n, d: matpow_frechet(n.args[0], d[0], n.args[1]),
        np=lambda ctx, n, x, k: _power(x, k),
        expand=_exact_power,
        sympy=lambda n, a, k: sp.Function("matpow")(a, k),
        text=lambda p, n: f"{_base(p, n)}^{p.arg(n.args[1], ATOM)}",
        latex=lambda p, n: f"{_base(p, n)}^{{{p(n.args[1])}}}",
        numpy=lambda p, n: f"np.linalg.matrix_power({p(n.args[0])}, {p(n.args[1])})",
        prec=POSTFIX,
        steps="d(Xᵏ) = Σⱼ Xʲ dX Xᵏ⁻¹⁻ʲ",
        arity=2,
        push_T=lambda a: matpowk(transpose(a.args[0]), a.args[1]),
    )
)


def _frechet_jvp(n: Node, d: list[Node]) -> Node:
    if not is_zero(d[0]):
        raise NotMatrixLevel("the second derivative of Xᵏ with a symbolic k is not written")
    return matpow_frechet(n.args[0], d[1], n.args[2])


def _frechet_zero(args, data):
    return zero(args[0].shape) if is_zero(args[1]) else None


def _fresh(p, want: str) -> str:
    return p.names.fresh(want) if p.names is not None else want


def _frechet_numpy(p, n: Node) -> str:
    """Σⱼ Xʲ E Xᵏ⁻¹⁻ʲ as the top right block of [[X, E], [0, X]]ᵏ (Higham §3.2): one matrix
    power, no loop over a symbolic k (torch and JAX spell it too; JAX's k is static)."""
    x, e, k = (_fresh(p, w) for w in ("_x", "_e", "_k"))
    big = f"np.block([[{x}, {e}], [np.zeros_like({x}), {x}]])"
    return (
        f"(lambda {x}, {e}, {k}: np.linalg.matrix_power({big}, {k})"
        f"[:{x}.shape[0], {x}.shape[0]:])({p(n.args[0])}, {p(n.args[1])}, {p(n.args[2])})"
    )


def _no_vec(n: Node, i: int, k: Node) -> Node:
    raise NotMatrixLevel("no Kronecker form for matpow_frechet")


def _frechet_builder(x: Node, e: Node, k: Node) -> Node:
    """matpow_frechet(X, E, k) as written: k, k - 1, … a positive integer name, as in X^k."""
    return matpow_frechet(x, e, integer_exponent(k) or k)


register(
    Op(
        "matpow_frechet",
        shape=_shape("matpow_frechet"),
        jvp=_frechet_jvp,
        np=lambda ctx, n, x, e, k: _power_sum(x, e, k),
        expand=_exact_frechet,
        sympy=lambda n, *a: sp.Function("matpow_frechet")(*a),
        text=lambda p, n: f"matpow_frechet({', '.join(p(a) for a in n.args)})",
        latex=lambda p, n: (
            rf"\operatorname{{matpow\_frechet}}\left({', '.join(p(a) for a in n.args)}\right)"
        ),
        numpy=_frechet_numpy,
        prec=ATOM,
        steps="d(Xᵏ) = Σⱼ Xʲ dX Xᵏ⁻¹⁻ʲ",
        names=("matpow_frechet",),
        arity=3,
        builder=_frechet_builder,
        # linear in E only, not in X or k: not `deflinear`; the JVP is the hand rule above
        linear=True,
        linear_in=(1,),
        transpose=lambda n, g, i: matpow_frechet(transpose(n.args[0]), g, n.args[2]),
        vec=_no_vec,
        push_T=lambda a: matpow_frechet(transpose(a.args[0]), transpose(a.args[1]), a.args[2]),
        rewrites=[
            Rewrite(
                "linear in E: matpow_frechet(X, 0, k) = 0",
                _frechet_zero,
                ("A", "0*A", "n"),
                ("A:n,n",),
            )
        ],
    )
)


__all__: list[str] = []
