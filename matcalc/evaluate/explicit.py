"""Explicit evaluation: every matrix as the literal of its entries, from each entry's `expand`.

With the variables' entries as leaves this is the componentwise engine's first step; with
numbers as leaves it is the exact value at a point (`--at`), where an undefined value — a log
of 0, a singular inverse — is a user error that names the sub-expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..budget import check_time
from ..errors import MatcalcError, UndefinedError
from ..expr.node import Node, brief, postorder
from ..expr.registry import rule


@dataclass
class ExpandContext:
    env: dict = field(default_factory=dict)  # variable name (or ("d", name)) → explicit value
    dims: dict = field(default_factory=dict)  # dimension symbol → integer


def expand(node: Node, env: dict, dims: dict | None = None) -> Node:
    """The node with every variable in env replaced by its explicit value, computed explicitly."""
    ctx = ExpandContext(env, dims or {})
    memo: dict[Node, Node] = {}
    for m in postorder([node]):
        check_time()  # each step may be SymPy work on a whole matrix
        fn = rule(m, "expand")
        try:
            memo[m] = fn(ctx, m, *(memo[a] for a in m.args))
        except UndefinedError as err:
            where = brief(m)
            if where in err.message:
                raise
            raise UndefinedError(f"{where} is undefined at this point ({err.message})") from None
    return memo[node]


def as_sympy(n: Node) -> sp.Expr | sp.ImmutableMatrix:
    """An explicit numeric value as SymPy (exact numbers), or an error naming what has no value."""
    from ..ops import is_scalar_lit, lit_rows

    if n.is_number:
        return n.data
    if is_scalar_lit(n) and all(e.is_number for row in lit_rows(n) for e in row):
        return sp.ImmutableMatrix([[e.data for e in row] for row in lit_rows(n)])
    missing = sorted({m.data[0] for m in postorder([n]) if m.is_variable})
    if missing:
        raise MatcalcError(f"no value for {', '.join(missing)}; give it with --at NAME=VALUE")
    raise MatcalcError("the value could not be computed exactly")
