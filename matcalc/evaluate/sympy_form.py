"""Expression trees as SymPy objects (`Result.expr`): each entry's `sympy` rule, generically."""

from __future__ import annotations

import sympy as sp

from ..budget import check_time
from ..expr.node import Node, postorder
from ..expr.registry import rule


def to_sympy(n: Node) -> sp.Basic:
    """The SymPy object for a tree: explicit results as matrices, the rest as matrix expressions."""
    memo: dict[Node, sp.Basic] = {}
    for m in postorder([n]):
        check_time()
        memo[m] = rule(m, "sympy")(m, *(memo[a] for a in m.args))
    return memo[n]
