"""Forward mode in vec form: K with vec(dF) = K · d vec(x), for dF linear in the differentials.

This is the Jacobian of a vector by a vector and the Magnus–Neudecker matrix d vec F / d vec(X)ᵀ
of a tensor derivative. Each linear operator's entry has a vec rule — vec(A dX B) =
(Bᵀ ⊗ A) vec dX, vec(U ⊙ dX) = diag(vec U) vec dX, vec(dXᵀ) = K vec dX — and a scalar-valued
node takes its row from the pullback: d s = vec(G)ᵀ d vec(x).
"""

from __future__ import annotations

from collections.abc import Callable

from ..expr.node import Node, norm_shape, size
from ..expr.registry import rule
from ..ops import add, zero
from .differential import Dependence
from .pullback import pullback


def vec_jacobian(
    e: Node, leaf_k: dict[Node, Node], row: Callable[[dict[Node, Node]], Node], width
) -> Node:
    """K (size(e) × width) with vec(e) = K d vec(x); `leaf_k` gives each leaf's own K, `row`
    turns the leaves' cotangents into the 1 × width row of a scalar."""
    depends = Dependence(leaf_k)
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in leaf_k:
            return leaf_k[m]
        if not depends(m):
            return zero(norm_shape((size(m.shape), width)))
        got = memo.get(m)
        if got is not None:
            return got
        if m.is_scalar:
            out = row(pullback(m, _one(), leaf_k))
        else:
            vec = rule(m, "vec")
            out = add(*(vec(m, i, go(a)) for i, a in enumerate(m.args) if depends(a)))
        memo[m] = out
        return out

    return go(e)


def _one() -> Node:
    from ..ops import num

    return num(1)
