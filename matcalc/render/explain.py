"""`vjp --explain` / `jvp --explain`: vᵀJ as a weighted sum of J's rows (J v: of its columns).

This is why frameworks take `y.backward(v)`: a loss is a scalar, so reverse mode carries one
row vector vᵀ back through the chain and never forms J itself. The API computes J and the
product (`api.explain`); this module writes them out.
"""

from __future__ import annotations

import sympy as sp

from ..expr.node import Node
from ..ops import is_scalar_lit
from ..result import Result
from .printer import Printer


class _Str:
    """Exact numbers as the text output writes them."""

    def doprint(self, e) -> str:
        return Printer("text").const(sp.sympify(e))  # safe: exact SymPy numbers


def _row(m: sp.MatrixBase) -> str:
    s = _Str()
    return "[" + ", ".join(s.doprint(e) for e in m) + "]"


def explain_product(kind: str, jac: Result, vres: Result, vnode: Node) -> str:
    """The product vᵀJ (kind "vjp") or J v written out term by term, from the Jacobian `jac`,
    the product `vres` and the direction `vnode`; numeric where they have values."""
    j = jac.value if jac.value is not None else (jac.expr if is_scalar_lit(jac.node) else None)
    lines = []
    if kind == "vjp":
        lines.append("vᵀJ = Σᵢ vᵢ · (row i of J): the rows of J weighted by v")
    else:
        lines.append("J v = Σⱼ vⱼ · (column j of J): the columns of J weighted by v")
    if isinstance(j, sp.MatrixBase) and (vnode.is_literal or vnode.is_number):
        vv = [a.data for a in vnode.args] if vnode.is_literal else [vnode.data]
        s = _Str()
        if kind == "vjp":
            terms = [f"{s.doprint(vi)}·{_row(j.row(i))}" for i, vi in enumerate(vv)]
        else:
            terms = [f"{s.doprint(vi)}·{_row(j.col(i))}" for i, vi in enumerate(vv)]
        lines.append("     = " + " + ".join(terms))
        shown = (
            vres.value
            if vres.value is not None
            else (vres.expr if is_scalar_lit(vres.node) else None)
        )
        if isinstance(shown, sp.MatrixBase):
            lines.append("     = " + _row(shown))
    else:
        lines.append(f"  with J = {jac.text()}")
        lines.append(f"     = {vres.text()}")
    if kind == "vjp":
        lines.append(
            "why: a loss is a scalar, so reverse mode carries the row vᵀ back through each step "
            "(y.backward(v) in PyTorch) and never builds J."
        )
    else:
        lines.append(
            "why: forward mode pushes the tangent v through each step, one column combination at a time."
        )
    return "\n".join(lines)
