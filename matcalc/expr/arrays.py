"""The one array convention of the float interpreter and the NumPy printer (SPEC §4): a scalar is
a float, a vector — row or column alike — a 1-D array, a matrix a 2-D array.

A 1-D array has no orientation, so where NumPy needs it (a product, kron, a block literal, a
slice) it is read from the node's shape: `two_d_shape` is the 2-D shape an operand takes there,
which the printer writes as code (`Printer.two_d`) and the interpreter applies to a value
(`two_d`); `from_two_d` turns a 2-D result back into the convention (`np.ravel` of a vector). Both
`ops/` (each entry's `np` rule) and `render/` import this module; it imports only `node`.
"""

from __future__ import annotations

from .node import ONE, Shape, axes


def array_shape(shape: Shape) -> list:
    """The axes of a value of this node shape: none for a scalar, one for a vector (row or
    column), two for a matrix."""
    return axes(shape)


def one_d(shape: Shape) -> bool:
    """A vector, row or column: a 1-D array."""
    return len(axes(shape)) == 1


def two_d_shape(shape: Shape) -> tuple | None:
    """The 2-D shape of an operand where NumPy needs orientation: 1×1 for a scalar, n×1 for a
    column, 1×n for a row; None for a matrix, 2-D already."""
    if shape == ():
        return (ONE, ONE)
    return shape if one_d(shape) else None


def two_d(xp, value, shape: Shape):
    """The value as a 2-D array, its orientation read from the node's shape."""
    target = two_d_shape(shape)
    if target is None:
        return value
    return xp.reshape(value, tuple(1 if d == ONE else -1 for d in target))


def from_two_d(xp, value, shape: Shape):
    """A 2-D result back in the convention: a vector 1-D, a scalar a number."""
    if shape == ():
        return xp.reshape(value, (-1,))[0] if xp.ndim(value) else value
    return xp.reshape(value, (-1,)) if one_d(shape) else value
