"""Float evaluation: one interpreter over the tree, each operator's `np` rule with an array module
(NumPy, or autograd's for a test oracle), in the NumPy printer's array convention
(expr/arrays.py, SPEC §4): vectors are 1-D, row and column alike, matrices 2-D, scalars floats.

It executes nothing derived from user text: the tree is walked, not compiled. With
`check_domain`, each operator's domain is checked too, so that test points avoid log of
negatives, singular matrices and kinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..expr.node import Node, postorder
from ..expr.registry import ALL, OPS, rule


class OutsideDomain(Exception):
    """A point where an operator is undefined or not smooth."""

    def __init__(self, node: Node):
        super().__init__(node.op)
        self.node = node


@dataclass
class FloatContext:
    xp: object
    dims: dict
    values: dict


def evaluate(
    node: Node, values: dict, dims: dict | None = None, xp: object = np, check_domain: bool = False
) -> object:
    """The node's value at the point: floats, 1-D vectors and 2-D matrices."""
    ctx = FloatContext(xp, dims or {}, values)
    memo: dict[Node, object] = {}
    with np.errstate(all="ignore"):
        for m in postorder([node]):
            args = [memo[a] for a in m.args]
            out = rule(m, "np")(ctx, m, *args)
            if check_domain:
                domain = OPS[m.op].domain
                if domain is not ALL and not domain(xp, m, *args):
                    raise OutsideDomain(m)
                if not np.all(np.isfinite(np.asarray(out, dtype=float))):
                    raise OutsideDomain(m)
            memo[m] = out
    return memo[node]
