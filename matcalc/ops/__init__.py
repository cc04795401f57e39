"""The operators: one entry per operator, one family per module. Importing this package
registers them all; the constructors below are how the other stages build expressions."""

from . import (
    arith,  # noqa: F401  (registers the arithmetic entries first)
    decomp,  # noqa: F401  (chol, eig, lambda_max, lambda_min, solve)
    matfun,  # noqa: F401  (expm, logm, sqrtm and their Fréchet derivatives)
    powers,  # noqa: F401  (Xᵏ with a symbolic k)
    special,  # noqa: F401  (erf, normcdf, gelu, expm1, log1p)
)
from .arith import add, broadcast, div, emul, mul, neg, pow_, split_coeff, sqrt, sub
from .elementwise import apply, had, one_like
from .leaves import comm, dvar, eye, is_num, is_zero, num, ones, var, zero
from .linalg import det, inner, inv, kron, logdet, matmul, matpow, trace, transpose
from .powers import matpowk
from .reductions import dot, logsumexp, mean, norm1, norm2, softmax, sum_
from .structure import column, diag, diagof, entry, lit, lit_rows, slice_, unvec, vec

__all__ = [
    "add",
    "apply",
    "broadcast",
    "column",
    "comm",
    "det",
    "diag",
    "diagof",
    "div",
    "dot",
    "dvar",
    "emul",
    "entry",
    "eye",
    "had",
    "inner",
    "inv",
    "is_num",
    "is_zero",
    "kron",
    "lit",
    "lit_rows",
    "logdet",
    "logsumexp",
    "matmul",
    "matpow",
    "matpowk",
    "mean",
    "mul",
    "neg",
    "norm1",
    "norm2",
    "num",
    "one_like",
    "ones",
    "pow_",
    "slice_",
    "softmax",
    "split_coeff",
    "sqrt",
    "sub",
    "sum_",
    "trace",
    "transpose",
    "unvec",
    "var",
    "vec",
    "zero",
]
