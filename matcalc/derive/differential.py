"""dF: the differential of an expression, from each operator's differential rule.

The walker is generic: a node that holds none of the variables has differential 0, a variable
maps to its differential leaf (dX), and any other node applies its entry's `jvp` rule to the
differentials of its operands. The result is linear in the differential leaves.
"""

from __future__ import annotations

from ..expr.node import Node
from ..expr.registry import rule
from ..ops import zero


class Dependence:
    """Which nodes hold any of the given leaves (memoized over the DAG)."""

    def __init__(self, leaves):
        self.leaves = set(leaves)
        self.memo: dict[Node, bool] = {}

    def __call__(self, n: Node) -> bool:
        got = self.memo.get(n)
        if got is None:
            got = n in self.leaves or any(self(a) for a in n.args)
            self.memo[n] = got
        return got


def differential(f: Node, leaves: dict[Node, Node]) -> Node:
    """dF as an expression in the differential leaves: `leaves` maps each variable to its dX."""
    depends = Dependence(leaves)
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in leaves:
            return leaves[m]
        if not depends(m):
            return zero(m.shape)
        out = memo.get(m)
        if out is None:
            out = rule(m, "jvp")(m, [go(a) for a in m.args])
            memo[m] = out
        return out

    return go(f)


def replace(n: Node, mapping: dict[Node, Node]) -> Node:
    """Substitute subtrees (dX → V for a Jacobian-vector product), rebuilding through rewrites."""
    from ..expr.registry import rebuild

    depends = Dependence(mapping)
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in mapping:
            return mapping[m]
        if not depends(m):
            return m
        out = memo.get(m)
        if out is None:
            out = rebuild(m, tuple(go(a) for a in m.args))
            memo[m] = out
        return out

    return go(n)
