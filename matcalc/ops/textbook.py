"""Textbook names for common forms: exp(u)/(1 + exp(u)) = σ(u), sign(u)/|u| = 1/u, V Λ Vᵀ = S,
c₁ diag(u₁) + c₂ diag(u₂) = diag(c₁ u₁ + c₂ u₂), a centred vector's sum 𝟏ᵀ(u − mean(u) 𝟏) = 0. Each is an identity but
not a canonical rewrite (the constructors never apply it): simplify/tidy.py tries an entry's
`forms` on a node whose operands are already tidy. They relate operators of several families,
so they live here, above the families beside the rule set; each is a `Rewrite` with its doc
and example, which the registry tests check by value."""

from __future__ import annotations

import sympy as sp

from ..expr.node import ONE, Node, norm_shape, size
from ..expr.registry import OPS, Rewrite
from .base import (
    add,
    apply,
    diag,
    had,
    is_num,
    is_zero,
    matmul,
    mul,
    num,
    ones,
    pow_,
    split_coeff,
    sum_,
    transpose,
)


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


def _sign_abs(build):
    """sign(u)ᵖ |u|⁻ᵏ = sign(u)ᵖ⁻ᵐ |u|ᵐ⁻ᵏ u⁻ᵐ and uᵏ sign(u)ᵖ = |u|ᵐ uᵏ⁻ᵐ sign(u)ᵖ⁻ᵐ, m = min(p, k),
    among the factors of a product that `build` makes (the scalar product, or ⊙): sign(u)/|u| =
    1/u, u sign(u) = |u|. Valid wherever the product is defined: |u|⁻ᵏ needs u ≠ 0, where
    sign(u) = u/|u|; the second holds everywhere (at 0 both sides are 0)."""

    def form(args: tuple[Node, ...], data: object) -> Node | None:
        parts = _parts(args)
        for i, (s, p) in enumerate(parts):
            if s.op != "sign" or not (p.is_Integer and p > 0):
                continue
            u = s.args[0]
            for j, (b, k) in enumerate(parts):
                if j != i and b.op == "abs" and b.args[0] == u and k.is_Integer and k < 0:
                    m = min(p, -k)
                    new = [pow_(u, num(-m)), pow_(b, num(k + m))]
                elif j != i and b == u and k.is_Integer and k > 0:
                    m = min(p, k)
                    new = [pow_(apply("abs", u), num(m)), pow_(u, num(k - m))]
                else:
                    continue
                rest = [pow_(x, num(e)) for t, (x, e) in enumerate(parts) if t not in (i, j)]
                return build(*new, pow_(s, num(p - m)), *rest)
        return None

    return form


def _ones_row(f: Node) -> bool:
    return (f.op == "ones" and f.shape[0] == 1) or (f.op == "T" and f.args[0].op == "ones")


def _outer_with_ones(f: Node) -> Node | None:
    """The u of u 𝟏ᵀ (each row of it a multiple of 𝟏ᵀ), u a column; None for anything else.
    A matrix of ones counts (𝟏ₘ 𝟏ₖᵀ, and A 𝟏ₖ 𝟏ₖᵀ folded to A ones(k, k): u = A 𝟏ₖ)."""
    if f.op == "ones" and not f.is_vector:
        return ones(norm_shape((f.shape[0], ONE)))
    if f.op == "matmul" and _ones_row(f.args[-1]):
        u = matmul(*f.args[:-1])
        return u if u.is_vector else None
    if f.op == "matmul" and f.args[-1].op == "ones" and not f.args[-1].is_vector:
        u = matmul(*f.args[:-1], ones(norm_shape((f.args[-1].shape[0], ONE))))
        return u if u.is_vector else None
    return None


def _ones_times(f: Node) -> Node | None:
    """The v of 𝟏 vᵀ (each column of it a multiple of 𝟏), v a column; None for anything else.
    A matrix of ones on the left counts (ones(k, k) Yᵀ = 𝟏ₖ (Y 𝟏ₖ)ᵀ: v = Y 𝟏ₖ)."""
    if f.op != "matmul" or f.args[0].op != "ones" or f.args[0].shape[0] == 1:
        return None
    first = f.args[0]
    row = ones(norm_shape((ONE, first.shape[1]))) if not first.is_vector else None
    vt = matmul(*([row] if row is not None else []), *f.args[1:])
    return transpose(vt) if vt.shape and vt.shape[0] == 1 else None


def _rows_scaled(args: tuple[Node, ...], data: object) -> Node | None:
    """(u 𝟏ᵀ) ⊙ M = diag(u) M: M's rows scaled (a row-wise softmax's derivative); 𝟏 𝟏ᵀ ⊙ M = M;
    and by columns, (𝟏 vᵀ) ⊙ M = M diag(v) (the same, transposed)."""
    for i, f in enumerate(args):
        u, v = _outer_with_ones(f), None
        if u is None:
            v = _ones_times(f)
            if v is None:
                continue
        rest = had(*(a for j, a in enumerate(args) if j != i))
        if rest.shape != f.shape:
            continue
        if u is not None:
            return rest if u.op == "ones" else matmul(diag(u), rest)
        return rest if v.op == "ones" else matmul(rest, diag(v))
    return None


OPS["had"].forms.append(
    Rewrite(
        "(u 𝟏ᵀ) ⊙ M = diag(u) M, (𝟏 vᵀ) ⊙ M = M diag(v), (𝟏 𝟏ᵀ) ⊙ M = M",
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
SIGN_ABS = "sign(u)/|u| = 1/u (u ≠ 0, log|u|'s domain), u sign(u) = |u|"

OPS["mul"].forms.append(Rewrite(SIGN_ABS, _sign_abs(mul), ("sign(t)", "abs(t)^-1")))
OPS["mul"].forms.append(Rewrite(SIGN_ABS, _sign_abs(mul), ("2", "t", "sign(t)", "A"), ("A:2,2",)))
OPS["had"].forms.append(Rewrite(SIGN_ABS, _sign_abs(had), ("sign(u)", "abs(u).^-1"), let=("u:3",)))
OPS["had"].forms.append(
    Rewrite(SIGN_ABS, _sign_abs(had), ("x", "sign(u)", "u"), let=("u:3", "x:3"))
)
OPS["add"].forms.append(
    Rewrite(
        "c₁ diag(u₁) + c₂ diag(u₂) = diag(c₁ u₁ + c₂ u₂)",
        _diag_sum,
        ("2 diag(u)", "-diag(v)"),
        let=("u:3", "v:3"),
    )
)


def _as_sum(t: Node) -> Node:
    """c·n·mean(u) as c·sum(u) (u of n entries); a product with a factor sum(s) that sums to
    0 term by term (s = u − mean(u) 𝟏) as 0; else t."""
    c, body = split_coeff(t)
    if body is not None and body.op == "mean":
        k = c / size(body.args[0].shape)
        if k.is_Rational:
            return mul(num(k), sum_(body.args[0]))
    factors = t.args if t.op == "mul" else (t,)
    return num(0) if any(_is_zero_sum(f) for f in factors) else t


def _is_zero_sum(f: Node) -> bool:
    """sum(u − mean(u) 𝟏), or sum(u) − n mean(u): 0, seen term by term."""
    if f.op == "sum" and f.args[0].op == "add":
        return is_zero(_entry_sum(f.args[0]))
    return f.op == "add" and f.is_scalar and is_zero(add(*(_as_sum(g) for g in f.args)))


def _entry_sum(s: Node) -> Node:
    """The sum of the entries of a sum of terms, term by term, n·mean(u) written sum(u):
    sum(u − mean(u) 𝟏) = sum(u) − sum(u) = 0."""
    return add(*(_as_sum(sum_(a)) for a in s.args))


def _means_as_sums(args: tuple[Node, ...], data: object) -> Node | None:
    """sum(u) − n·mean(u) = 0: a scalar sum's n·mean(u) written sum(u), where that is simpler."""
    if len(args) < 2 or args[0].shape != ():
        return None
    terms = [_as_sum(t) for t in args]
    if all(t is a for t, a in zip(terms, args, strict=True)):  # no mean: the usual case, cheap
        return None
    return _simpler(add(*terms), add(*args))


def _simpler(new: Node, old: Node) -> Node | None:
    return new if is_zero(new) or len(repr(new)) < len(repr(old)) else None


def _summed(args: tuple[Node, ...], data: object) -> Node | None:
    """sum(s) for a sum s, term by term, where that is simpler."""
    s = args[0]
    return _simpler(_entry_sum(s), sum_(s)) if s.op == "add" else None


def _summed_by_ones(args: tuple[Node, ...], data: object) -> Node | None:
    """sᵀ 𝟏 = 𝟏ᵀ s = sum(s) in a product, for a sum s, term by term, where that is simpler."""
    for i in range(len(args) - 1):
        a, b = args[i], args[i + 1]
        if a.shape[0] != 1 or b.shape[1] != 1:  # a row times a column: a scalar
            continue
        s = a if b.op == "ones" else b if a.op == "ones" else None
        if s is None or s.op != "add":
            continue
        total = _entry_sum(s)
        rest = args[:i] + args[i + 2 :]
        new = mul(total, matmul(*rest)) if rest else total
        return _simpler(new, matmul(*args))
    return None


CENTRED = "a sum's entries summed term by term: sum(u − mean(u) 𝟏) = 𝟏ᵀ(u − mean(u) 𝟏) = 0"

OPS["add"].forms.append(
    Rewrite(
        "sum(u) − n mean(u) = 0 (u of n entries)",
        _means_as_sums,
        ("sum(x)", "-n*mean(x)"),
        let=("x:n",),
    )
)
OPS["sum"].forms.append(Rewrite(CENTRED, _summed, ("x - mean(x)*ones(n)",), let=("x:n",)))
OPS["matmul"].forms.append(
    Rewrite(CENTRED, _summed_by_ones, ("x.T - mean(x)*ones(n).T", "ones(n)"), let=("x:n",))
)


def _spectral(args: tuple[Node, ...], data: object) -> Node | None:
    """V diag(λ) Vᵀ = S, V = eigvecs(S), λ = eig(S) (S symmetric): the spectral decomposition
    put back together (the gradient of Σ λᵢ² prints 2S, as the Cookbook's tr(S²) does)."""
    for i in range(len(args) - 2):
        v, d, vt = args[i : i + 3]
        if v.op != "eigvecs" or vt.op != "T" or vt.args[0] != v:
            continue
        if d.op == "diag" and d.args[0].op == "eig" and d.args[0].args[0] == v.args[0]:
            return matmul(*args[:i], v.args[0], *args[i + 3 :])
    return None


OPS["matmul"].forms.append(
    Rewrite(
        "V diag(λ) Vᵀ = S, V = eigvecs(S), λ = eig(S)",
        _spectral,
        ("eigvecs(S)", "diag(eig(S))", "eigvecs(S)'", "x"),
        let=("S:3,3,sym", "x:3"),
    )
)
