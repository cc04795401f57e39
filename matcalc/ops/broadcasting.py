"""Vectors beside matrices (SPEC §7.1): NumPy's and PyTorch's broadcasting of a vector over the
rows or the columns of a matrix, for + - .* ./, written as outer products with 𝟏 (X W + 𝟏ₘ bᵀ,
X − c 𝟏ₖᵀ). The reader builds them, so every derivative rule, layout and format already applies
and results print in matrix notation that reads back."""

from __future__ import annotations

import re

from ..errors import ShapeError
from ..expr.node import ONE, Node, brief, dim_str, shape_str
from .base import matmul, ones, transpose


def _is_vector(n: Node) -> bool:
    return n.shape != () and 1 in n.shape


def broadcast_vector(a: Node, b: Node, op: str) -> tuple[Node, Node]:
    """A vector beside a matrix, for + - .* ./ (SPEC §7.1), as outer products with 𝟏 so every
    rule applies: a row vector rᵀ (1×k) beside an m×k matrix is 𝟏ₘ rᵀ (every row); a column c
    of length m is c 𝟏ₖᵀ (every column); of length k ≠ m it is 𝟏ₘ cᵀ (PyTorch's 1-D bias); of
    length m = k it is ambiguous, a user error showing both spellings. Anything else is left
    for the operator's own shape check."""
    if a.is_scalar or b.is_scalar or a.shape == b.shape or _is_vector(a) == _is_vector(b):
        return a, b
    v, m = (a, b) if _is_vector(a) else (b, a)
    rows, cols = m.shape
    if v.shape == (ONE, cols):  # a row: every row
        v = matmul(ones((rows, ONE)), v)
    elif v.shape[1] == 1 and v.shape[0] == rows == cols:
        raise ShapeError(ambiguous(v, m, a is v, op))
    elif v.shape == (rows, ONE):  # a column of the matrix's height: every column
        v = matmul(v, ones((ONE, cols)))
    elif v.shape == (cols, ONE):  # a 1-D bias of the matrix's width: every row
        v = matmul(ones((rows, ONE)), transpose(v))
    else:
        return a, b
    return (v, m) if a is not m else (m, v)


def ambiguous(v: Node, m: Node, left: bool, op: str) -> str:
    """The square case: say which reading each spelling asks for."""
    name = brief(v)
    if not re.fullmatch(r"\w+(\[[^\[\]]*\])?", name):  # b, μ, x[2:n]
        name = f"({name})"
    n = dim_str(v.shape[0])
    pair = f"{name} {op} {brief(m)}" if left else f"{brief(m)} {op} {name}"
    return (
        f"{pair} is ambiguous: {name} has length {n} and {brief(m)} is {shape_str(m.shape)}; "
        f"write {name}' to act on every row, or {name}*ones({n})' to act on every column"
    )
