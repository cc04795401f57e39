"""Reverse mode: move a cotangent through an expression that is linear in the differentials.

`pullback(dF, G)` finds, for every differential leaf dX, the G' with ⟨G, dF⟩ = Σ ⟨G', dX⟩. Each
linear operator's entry has a transpose rule (JAX's `primitive_transposes`); the walk visits
the DAG once in reverse topological order, summing a node's cotangents before passing them on,
so a shared subexpression is transposed once — one reverse pass for every variable at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..expr.node import Node, postorder
from ..expr.registry import rule
from ..ops import add, is_zero
from .differential import Dependence


def pullback(e: Node, seed: Node, leaves: Iterable[Node]) -> dict[Node, Node]:
    """The cotangent of each leaf, for the cotangent `seed` of e (e linear in the leaves)."""
    leaves = set(leaves)
    depends = Dependence(leaves)
    if not depends(e):
        return {}
    order = [m for m in postorder([e]) if depends(m)]
    parts: dict[Node, list[Node]] = {e: [seed]}
    out: dict[Node, Node] = {}
    for m in reversed(order):
        got = parts.pop(m, None)
        if not got:
            continue
        g = add(*got)
        if m in leaves:
            out[m] = g
            continue
        if is_zero(g):
            continue
        transpose = rule(m, "transpose")
        for i, a in enumerate(m.args):
            if depends(a):
                parts.setdefault(a, []).append(transpose(m, g, i))
    return out
