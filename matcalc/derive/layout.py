"""Layouts in one place: matcalc derives in `mixed` and converts here (SPEC §3).

| derivative               | mixed        | numerator | denominator |
| scalar by vector (n)     | n×1          | 1×n       | n×1         |
| scalar by matrix (n×m)   | n×m          | m×n       | n×m         |
| vector (m) by vector (n) | m×n          | m×n       | n×m         |
| vector (m) by scalar     | m×1          | m×1       | 1×m         |
| vec form d vec F/d vec Xᵀ| as written   | as written| transposed  |
"""

from __future__ import annotations

from ..expr.node import Node, Shape
from ..ops import transpose


def needs_transpose(kind: str, f_shape: Shape, x_shape: Shape, layout: str, vec: bool) -> bool:
    """Whether the mixed-layout result is transposed in the asked layout."""
    if layout == "mixed" or kind in ("hessian", "vjp", "jvp", "hvp"):
        return False
    if vec:
        return layout == "denominator"
    f_scalar, x_scalar = f_shape == (), x_shape == ()
    if f_scalar and not x_scalar:
        return layout == "numerator"
    if not f_scalar and x_scalar:
        return layout == "denominator" and f_shape[1] == 1
    if not f_scalar and not x_scalar:
        return layout == "denominator"
    return False


def to_layout(
    kind: str, result: Node, f_shape: Shape, x_shape: Shape, layout: str, vec: bool
) -> Node:
    """The mixed-layout derivative as the asked layout writes it."""
    if needs_transpose(kind, f_shape, x_shape, layout, vec):
        return transpose(result)
    return result


def chain_formula(layout: str) -> str:
    """How the chain rule reads in this layout, for y = f(z), z = g(x)."""
    if layout == "numerator":
        return "dy/dx = dy/dz · dz/dx"
    return "dy/dx = (dz/dx)ᵀ dy/dz"
