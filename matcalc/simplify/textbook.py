"""Textbook names for common forms: exp(u)/(1 + exp(u)) = σ(u), exp(−u)... and friends.

Each is an identity; `recognize` applies them to one node whose operands are already tidy.
"""

from __future__ import annotations

import sympy as sp

from ..expr.node import Node
from ..ops import add, apply, had, is_num, mul, num, pow_


def _parts(n: Node) -> list[tuple[Node, sp.Expr]]:
    """The factors of a product (scalar or entrywise) as (base, exponent)."""
    out = []
    for f in n.args:
        if f.op == "pow" and f.args[1].op == "num" and f.args[1].data.is_Rational:
            out.append((f.args[0], f.args[1].data))
        else:
            out.append((f, sp.Integer(1)))
    return out


def _one_plus_exp(b: Node) -> Node | None:
    """The u of 1 + exp(u) (or 𝟏 + exp(u) entrywise)."""
    if b.op == "add" and len(b.args) == 2:
        for one, e in (b.args, b.args[::-1]):
            if e.op == "exp" and (is_num(one, 1) or (one.op == "ones" and one.shape == e.shape)):
                return e.args[0]
    return None


def _diag_sum(n: Node) -> Node | None:
    """c₁ diag(u₁) + c₂ diag(u₂) = diag(c₁ u₁ + c₂ u₂)."""
    from ..ops import diag, split_coeff

    if n.op != "add":
        return None
    inner, rest = [], []
    for t in n.args:
        c, body = split_coeff(t)
        if body is not None and body.op == "diag":
            inner.append(mul(num(c), body.args[0]))
        else:
            rest.append(t)
    if len(inner) < 2:
        return None
    return add(diag(add(*inner)), *rest)


def _sigmoid(n: Node) -> Node | None:
    """exp(u)ʲ (1 + exp(u))⁻ᵏ = σ(u)ᵖ exp(u)ʲ⁻ᵖ (1 + exp(u))ᵖ⁻ᵏ with p = min(j, k)."""
    if n.op not in ("mul", "had"):
        return None
    parts = _parts(n)
    for i, (b, k) in enumerate(parts):
        u = _one_plus_exp(b)
        if u is None or k >= 0:
            continue
        for j_index, (c, j) in enumerate(parts):
            if c.op == "exp" and c.args[0] == u and j > 0:
                p = min(j, -k)
                rest = [pow_(x, num(e)) for t, (x, e) in enumerate(parts) if t not in (i, j_index)]
                new = [pow_(apply("sigmoid", u), num(p)), pow_(c, num(j - p)), pow_(b, num(k + p))]
                build = mul if n.op == "mul" else had
                return build(*rest, *new)
    return None


RULES = (_sigmoid, _diag_sum)


def recognize(n: Node) -> Node:
    for rule in RULES:
        out = rule(n)
        if out is not None:
            return out
    return n


__all__ = ["add", "recognize"]
