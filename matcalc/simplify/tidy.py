"""Readable matrix forms: factor what terms share, `A x + Aᵀ x` → `(A + Aᵀ) x`.

The registry's rewrites already fold numbers, combine like terms, push transposes to the
leaves and cancel X X⁻¹; here sums are factored by a shared leftmost or rightmost factor,
which is what turns a derivative into the form the Matrix Cookbook prints. It runs within a
time budget checked between steps (no signal, no timer: safe in any thread).
"""

from __future__ import annotations

from ..budget import Deadline
from ..expr.node import Node
from ..expr.registry import rebuild
from ..ops import add, matmul, mul, num, split_coeff


def _factors(t: Node) -> tuple[object, list[Node]]:
    coeff, rest = split_coeff(t)
    if rest is None or rest.op == "mul":
        return coeff, []
    if rest.op == "matmul":
        return coeff, list(rest.args)
    return coeff, [rest]


def _factor_sum(n: Node, deadline: Deadline) -> Node:
    """Group the terms of a sum that end (or start) with the same factor, and factor it out."""
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        parts = [_factors(t) for t in n.args]
        for i, (_, fs) in enumerate(parts):
            if len(fs) >= 2:
                groups.setdefault(fs[side], []).append(i)
        best = max(groups.items(), key=lambda kv: (len(kv[1]), -kv[1][0]), default=None)
        if best is None or len(best[1]) < 2:
            continue
        shared, members = best
        inner_terms = []
        for i in members:
            coeff, fs = parts[i]
            rest = fs[:-1] if side == -1 else fs[1:]
            inner_terms.append(mul(num(coeff), matmul(*rest)))
        inner = tidy(add(*inner_terms), deadline)
        combined = matmul(inner, shared) if side == -1 else matmul(shared, inner)
        others = [t for i, t in enumerate(n.args) if i not in members]
        return tidy(add(combined, *others), deadline) if others else combined
    return n


def tidy(n: Node, deadline: Deadline | None = None) -> Node:
    """Bottom-up: rebuild through the rewrites, factoring every sum of matrices."""
    deadline = deadline or Deadline(None)
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in memo:
            return memo[m]
        deadline.check()
        out = rebuild(m, tuple(go(a) for a in m.args)) if m.args else m
        if out.op == "add" and not out.is_scalar:
            out = _factor_sum(out, deadline)
        memo[m] = out
        return out

    return go(n)
