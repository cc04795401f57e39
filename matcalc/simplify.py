"""Readable matrix forms: factor what terms share, `A x + Aᵀ x` → `(A + Aᵀ) x`.

The constructors in expr.py already fold numbers, combine like terms, push transposes to the
leaves and cancel X X⁻¹; here sums are factored by a shared leftmost or rightmost factor,
which is what turns a derivative into the form the Matrix Cookbook prints.
"""

from __future__ import annotations

from . import expr as E
from .expr import Node


def _factors(t: Node) -> tuple[object, list[Node]]:
    coeff, rest = E.split_coeff(t)
    if rest is None:
        return coeff, []
    if rest.op == "mul":
        return coeff, []  # a product with non-number scalars: left alone
    if rest.op == "matmul":
        return coeff, list(rest.args)
    return coeff, [rest]


def _factor_sum(n: Node) -> Node:
    """Group the terms of a sum that end (or start) with the same factor, and factor it out."""
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        parts = [_factors(t) for t in n.args]
        for i, (_, fs) in enumerate(parts):
            if len(fs) >= 2:
                groups.setdefault(fs[side], []).append(i)
        best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)
        if best is None or len(best[1]) < 2:
            continue
        shared, members = best
        inner_terms = []
        for i in members:
            coeff, fs = parts[i]
            rest = fs[:-1] if side == -1 else fs[1:]
            inner_terms.append(E.mul(E.scalar(coeff), E.matmul(*rest)))
        inner = tidy(E.add(*inner_terms))
        combined = E.matmul(inner, shared) if side == -1 else E.matmul(shared, inner)
        others = [t for i, t in enumerate(n.args) if i not in members]
        return tidy(E.add(combined, *others)) if others else combined
    return n


def tidy(n: Node) -> Node:
    """Bottom-up: rebuild through the constructors, factoring every sum."""
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in memo:
            return memo[m]
        out = E.rebuild(m, [go(a) for a in m.args]) if m.args and m.op in E.BUILDERS else m
        if out.op == "add" and not out.is_scalar:
            out = _factor_sum(out)
        memo[m] = out
        return out

    return go(n)
