"""Textbook names for common forms: exp(u)/(1 + exp(u)) = σ(u), c₁ diag(u₁) + c₂ diag(u₂) =
diag(c₁ u₁ + c₂ u₂). Each is an identity but not a canonical rewrite (the constructors never
apply it): simplify/tidy.py tries an entry's `forms` on a node whose operands are already tidy.
They relate operators of several families, so they live here, above the families beside the
rule set; each is a `Rewrite` with its doc and example, which the registry tests check by value."""

from __future__ import annotations

import sympy as sp

from ..expr.node import Node
from ..expr.registry import OPS, Rewrite
from .base import add, apply, diag, had, is_num, matmul, mul, num, pow_, split_coeff


def _parts(args: tuple[Node, ...]) -> list[tuple[Node, sp.Expr]]:
    """The factors of a product (scalar or entrywise) as (base, exponent)."""
    out = []
    for f in args:
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


def _diag_sum(args: tuple[Node, ...], data: object) -> Node | None:
    """c₁ diag(u₁) + c₂ diag(u₂) = diag(c₁ u₁ + c₂ u₂)."""
    inner, rest = [], []
    for t in args:
        c, body = split_coeff(t)
        if body is not None and body.op == "diag":
            inner.append(mul(num(c), body.args[0]))
        else:
            rest.append(t)
    if len(inner) < 2:
        return None
    return add(diag(add(*inner)), *rest)


def _sigmoid(build):
    """exp(u)ʲ (1 + exp(u))⁻ᵏ = σ(u)ᵖ exp(u)ʲ⁻ᵖ (1 + exp(u))ᵖ⁻ᵏ with p = min(j, k), in a product
    that `build` makes (the scalar product, or ⊙)."""

    def form(args: tuple[Node, ...], data: object) -> Node | None:
        parts = _parts(args)
        for i, (b, k) in enumerate(parts):
            u = _one_plus_exp(b)
            if u is None or k >= 0:
                continue
            for j_index, (c, j) in enumerate(parts):
                if c.op == "exp" and c.args[0] == u and j > 0:
                    p = min(j, -k)
                    rest = [
                        pow_(x, num(e)) for t, (x, e) in enumerate(parts) if t not in (i, j_index)
                    ]
                    new = [
                        pow_(apply("sigmoid", u), num(p)),
                        pow_(c, num(j - p)),
                        pow_(b, num(k + p)),
                    ]
                    return build(*rest, *new)
        return None

    return form


def _ones_row(f: Node) -> bool:
    return (f.op == "ones" and f.shape[0] == 1) or (f.op == "T" and f.args[0].op == "ones")


def _outer_with_ones(f: Node) -> Node | None:
    """The u of u 𝟏ᵀ (each row of it a multiple of 𝟏ᵀ), u a column; None for anything else."""
    if f.op == "matmul" and _ones_row(f.args[-1]):
        u = matmul(*f.args[:-1])
        return u if u.is_vector else None
    return None


def _rows_scaled(args: tuple[Node, ...], data: object) -> Node | None:
    """(u 𝟏ᵀ) ⊙ M = diag(u) M: M's rows scaled (a row-wise softmax's derivative); 𝟏 𝟏ᵀ ⊙ M = M."""
    for i, f in enumerate(args):
        u = _outer_with_ones(f)
        if u is None:
            continue
        rest = had(*(a for j, a in enumerate(args) if j != i))
        if rest.shape != f.shape:
            continue
        return rest if u.op == "ones" else matmul(diag(u), rest)
    return None


OPS["had"].forms.append(
    Rewrite(
        "(u 𝟏ᵀ) ⊙ M = diag(u) M, (𝟏 𝟏ᵀ) ⊙ M = M",
        _rows_scaled,
        ("u*ones(3)'", "X"),
        let=("u:2", "X:2,3"),
    )
)


SIGMOID = "exp(u)ʲ (1 + exp(u))⁻ᵏ = σ(u)ᵖ exp(u)ʲ⁻ᵖ (1 + exp(u))ᵖ⁻ᵏ, p = min(j, k)"

OPS["mul"].forms.append(Rewrite(SIGMOID, _sigmoid(mul), ("exp(t)", "(1 + exp(t))^-1")))
OPS["had"].forms.append(
    Rewrite(SIGMOID, _sigmoid(had), ("exp(u)", "(1 + exp(u)).^-1"), let=("u:3",))
)
OPS["add"].forms.append(
    Rewrite(
        "c₁ diag(u₁) + c₂ diag(u₂) = diag(c₁ u₁ + c₂ u₂)",
        _diag_sum,
        ("2 diag(u)", "-diag(v)"),
        let=("u:3", "v:3"),
    )
)
