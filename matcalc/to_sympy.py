"""Expression trees as SymPy objects (`Result.expr`): matrix expressions where SymPy has them."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.matrices import expressions as mx
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .expr import T_DUMMY, Node


def _wrap(m: sp.Basic, n: Node) -> sp.Basic:
    """A 1×1 matrix expression that matcalc treats as a scalar, as the scalar SymPy entry."""
    if n.is_scalar and isinstance(m, mx.MatrixExpr):
        return m[0, 0]
    return m


def _sum_exp(x: sp.Basic) -> sp.Basic:
    """1ᵀ exp(x) as a SymPy scalar."""
    return (mx.OneMatrix(1, x.shape[0]) * ElementwiseApplyFunction(sp.exp, x))[0, 0]


def _vec(x: sp.Basic) -> sp.Basic:
    """vec(X): SymPy has no matrix-expression vec, so the explicit column-major stacking."""
    m = x.as_explicit()
    return sp.ImmutableMatrix(m.T.reshape(m.shape[0] * m.shape[1], 1))


CONVERT: dict[str, Callable[[Node, list[sp.Basic]], sp.Basic]] = {
    "add": lambda n, a: sp.Add(*a) if n.is_scalar else mx.MatAdd(*a),
    "mul": lambda n, a: sp.Mul(*a) if n.is_scalar else mx.MatMul(*a),
    "matmul": lambda n, a: _wrap(mx.MatMul(*a), n),
    "pow": lambda n, a: sp.Pow(*a),
    "matpow": lambda n, a: mx.MatPow(a[0], n.data),
    "T": lambda n, a: mx.Transpose(a[0]),
    "inv": lambda n, a: mx.Inverse(a[0]),
    "det": lambda n, a: mx.Determinant(a[0]),
    "logdet": lambda n, a: sp.log(mx.Determinant(a[0])),
    "tr": lambda n, a: mx.Trace(a[0]),
    "sum": lambda n, a: (mx.OneMatrix(1, a[0].shape[0]) * a[0] * mx.OneMatrix(a[0].shape[1], 1))[
        0, 0
    ],
    "norm2": lambda n, a: sp.sqrt(mx.Trace(mx.Transpose(a[0]) * a[0])),
    "diag": lambda n, a: mx.DiagMatrix(a[0]),
    "diagof": lambda n, a: mx.DiagonalOf(a[0]),
    "had": lambda n, a: mx.HadamardProduct(*a),
    "kron": lambda n, a: mx.KroneckerProduct(*a),
    "elem": lambda n, a: (
        ElementwiseApplyFunction(sp.Lambda(T_DUMMY, n.data), a[0])
        if not n.is_scalar
        else n.data.xreplace({T_DUMMY: a[0]})
    ),
    "softmax": lambda n, a: ElementwiseApplyFunction(sp.exp, a[0]) / _sum_exp(a[0]),
    "lse": lambda n, a: sp.log(_sum_exp(a[0])),
    "vec": lambda n, a: _vec(a[0]),
}


def to_sympy(n: Node) -> sp.Basic:
    """The SymPy object for a tree: explicit results as they are, the rest as matrix expressions."""
    op = n.op
    if op in ("scalar", "matrix"):
        return n.data
    if op == "sym":
        return mx.MatrixSymbol(n.data[0].replace("∂", "d"), *n.shape)
    if op == "zero":
        return mx.ZeroMatrix(*n.shape)
    if op == "eye":
        return mx.Identity(n.shape[0])
    if op == "ones":
        return mx.OneMatrix(*n.shape)
    if op == "lit":
        r, c = n.data
        return sp.ImmutableMatrix(r, c, [to_sympy(a) for a in n.args])
    if op == "comm":
        return mx.MatrixSymbol(f"K_{n.data[0]}_{n.data[1]}", *n.shape)
    return CONVERT[op](n, [to_sympy(a) for a in n.args])
