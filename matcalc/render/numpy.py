"""`--format numpy`: one line of NumPy (SPEC §4). A matrix result prints with the entries'
NumPy rules; a tensor derivative printed as a linear map dF = L(dX) prints as the full array,
L applied to each basis matrix E of X, with F's axes first (X's first in denominator layout)."""

from __future__ import annotations

from .printer import Printer, to_numpy


def tensor_line(result) -> str:
    """The full array of a linear map: L(Eᵢⱼ) for every basis matrix Eᵢⱼ of X, axes arranged."""
    p = Printer("numpy")
    leaf = result.dleaf
    d = "_d_" + leaf.data
    body = f"(lambda {d}: {p(result.array)} + np.zeros({p.np_shape(result.array.shape)}))"
    r, c = leaf.shape
    if c == 1 or r == 1:
        n = p.dim(r if c == 1 else c)
        stacked = f"np.array([{body}(np.eye({n})[_i]) for _i in range({n})])"
        x_axes = 1
    else:
        rr, cc = p.dim(r), p.dim(c)
        e = f"np.outer(np.eye({rr})[_i], np.eye({cc})[_j])"
        stacked = f"np.array([[{body}({e}) for _j in range({cc})] for _i in range({rr})])"
        x_axes = 2
    if result.layout == "denominator" or result.array.shape == ():
        return stacked
    if x_axes == 1:
        return f"np.moveaxis({stacked}, 0, -1)"
    return f"np.moveaxis({stacked}, (0, 1), (-2, -1))"


__all__ = ["tensor_line", "to_numpy"]
