"""Readable forms: what terms share comes out, `A x + Aᵀ x` → `(A + Aᵀ) x`,
`2 A x/(xᵀ x) − 2 (xᵀ A x) x/(xᵀ x)²` → `2 (A x − (xᵀ A x) x/(xᵀ x))/(xᵀ x)`, and the textbook
names of common forms (exp(u)/(1 + exp(u)) = σ(u)).

The registry's rewrites already fold numbers, combine like terms, push transposes to the
leaves and cancel X X⁻¹; here sums are factored — by the scalar factors every term has, then by
a shared leftmost or rightmost matrix factor. Every step is an identity, so no value changes
(the random-expression tester checks results after this stage). It runs within a time budget
checked between steps (no signal, no timer: safe in any thread).
"""

from __future__ import annotations

import sympy as sp

from ..budget import Deadline
from ..errors import LimitError
from ..expr.node import Node, written_size
from ..expr.registry import OPS, rebuild, role
from ..ops import add, matmul, mul, num, pow_


def _named(n: Node) -> Node:
    """The node under its textbook name (its entry's `forms`, ops/textbook.py), else itself."""
    for form in OPS[n.op].forms:
        out = form.fn(n.args, n.data)
        if out is not None:
            return out
    return n


def _split(t: Node) -> tuple[list[Node], list[Node]]:
    """A term as its scalar factors and its chain of matrix factors."""
    if role(t) == "scaling":
        scal = [f for f in t.args if f.is_scalar]
        big = [f for f in t.args if not f.is_scalar]
    elif t.is_scalar:
        scal, big = [t], []
    else:
        scal, big = [], [t]
    chain: list[Node] = []
    for b in big:
        chain.extend(b.args if role(b) == "matrix product" else (b,))
    return scal, chain


def _powers(scal: list[Node]) -> dict[Node, sp.Expr]:
    """Scalar factors as base → exponent (numbers under the key None)."""
    out: dict = {}
    for f in scal:
        if f.is_number:
            out[None] = out.get(None, sp.Integer(1)) * f.data
        elif role(f) == "power" and f.args[1].is_number and f.args[0].is_scalar:
            out[f.args[0]] = out.get(f.args[0], sp.Integer(0)) + f.args[1].data
        else:
            out[f] = out.get(f, sp.Integer(0)) + 1
    return out


def _common_scalars(n: Node) -> Node | None:
    """c·a + c·b = c·(a + b) for the scalar factors c that every term has."""
    terms = [_powers(_split(t)[0]) for t in n.args]
    shared: dict = {}
    for base in terms[0]:
        if base is None:
            continue
        exps = [t.get(base) for t in terms]
        if any(e is None or not e.is_Rational for e in exps):
            continue
        if all(e > 0 for e in exps):
            shared[base] = min(exps)
        elif all(e < 0 for e in exps):
            shared[base] = max(exps)
    coeffs = [t.get(None, sp.Integer(1)) for t in terms]
    if all(c.is_Rational for c in coeffs):
        g = sp.gcd_list([abs(c) for c in coeffs]) if all(c != 0 for c in coeffs) else sp.Integer(1)
        sign = -1 if all(c < 0 for c in coeffs) else 1
        common_num = sign * g
    else:  # 1/√d: common when every coefficient is a rational multiple of the first
        ratios = [sp.Mul(c, 1 / coeffs[0]) for c in coeffs] if coeffs[0] != 0 else []
        if ratios and all(r.is_Rational and r != 0 for r in ratios):
            g = sp.gcd_list([abs(r) for r in ratios])
            common_num = coeffs[0] * (-g if all(r < 0 for r in ratios) else g)
        else:
            common_num = sp.Integer(1)
    if not shared and common_num == 1:
        return None
    factor = mul(num(common_num), *(pow_(b, num(e)) for b, e in shared.items()))
    inv = mul(num(1 / common_num), *(pow_(b, num(-e)) for b, e in shared.items()))
    inner = add(*(mul(inv, t) for t in n.args))
    if role(inner) != "addition":
        return None
    return mul(factor, inner)


def _entrywise_parts(t: Node) -> tuple[list[Node], list[Node]]:
    """A term of a sum of vectors or matrices as its scalar factors and its ⊙ factors."""
    scal, big = (
        ([f for f in t.args if f.is_scalar], [f for f in t.args if not f.is_scalar])
        if role(t) == "scaling"
        else ([], [t])
    )
    factors: list[Node] = []
    for b in big:
        factors.extend(b.args if role(b) == "entrywise product" else (b,))
    return scal, factors


def _common_entrywise(n: Node) -> Node | None:
    """a ⊙ b + a ⊙ c = a ⊙ (b + c) for the ⊙ factors every term has."""
    from ..ops import had

    if n.is_scalar:
        return None
    parts = [_entrywise_parts(t) for t in n.args]
    if any(len(f) < 2 for _, f in parts):
        return None
    shared = [f for f in parts[0][1] if all(f in fs for _, fs in parts[1:])]
    if not shared:
        return None
    rest = []
    for scal, fs in parts:
        left = list(fs)
        for f in shared:
            left.remove(f)
        rest.append(mul(*scal, had(*left)) if left else mul(*scal, _ones_like(n)))
    return had(*shared, add(*rest))


def _ones_like(n: Node) -> Node:
    from ..ops import ones

    return ones(n.shape)


MAX_EXPANDED = 16


def _expanded(n: Node) -> Node | None:
    """Products of sums multiplied out and like terms collected — kept only if shorter."""
    from ..ops import had

    terms: list[Node] = []
    for t in n.args:
        scal, factors = (
            _entrywise_parts(t)
            if not t.is_scalar
            else (list(t.args) if role(t) == "scaling" else [t], [])
        )
        pieces = [[f] for f in scal] + [[f] for f in factors]
        sums = [i for i, (f,) in enumerate(pieces) if role(f) == "addition"]
        if not sums:
            terms.append(t)
            continue
        out = [[]]
        for (f,) in pieces:
            options = list(f.args) if role(f) == "addition" else [f]
            out = [[*o, g] for o in out for g in options]
            if len(terms) + len(out) > MAX_EXPANDED:
                return None
        for o in out:
            s_part = [g for g in o if g.is_scalar]
            e_part = [g for g in o if not g.is_scalar]
            terms.append(mul(*s_part, had(*e_part)) if e_part else mul(*s_part))
    if len(terms) > MAX_EXPANDED:
        return None
    new = add(*terms)
    return new if _shorter(new, n) else None


def _shorter(new: Node, old: Node) -> bool:
    """`new` prints shorter; for trees that would print megabytes, the one with fewer operations."""
    a, b = written_size(new), written_size(old)
    if max(a, b) > 20_000:  # printing to compare would cost more than the comparison is worth
        return a < b
    return len(repr(new)) < len(repr(old))  # a node's repr is its (memoised) text


def _like_terms(n: Node) -> Node | None:
    """λ A − A = (λ − 1) A: terms with the same matrix part and scalar coefficients."""
    groups: dict[Node, list[Node]] = {}
    for t in n.args:
        scal, chain = _split(t)
        groups.setdefault(matmul(*chain) if chain else num(1), []).append(mul(*scal))
    if all(len(g) < 2 for k, g in groups.items()) or any(k.is_scalar for k in groups):
        return None
    new = add(*(mul(add(*g), k) for k, g in groups.items()))
    return new if _shorter(new, n) else None  # shorter: no cycle with _expanded


def _factor_chain(n: Node, deadline: Deadline) -> Node:
    """Group the terms of a sum of matrices that end (or start) with the same factor."""
    for side in (-1, 0):
        groups: dict[Node, list[int]] = {}
        parts = [_split(t) for t in n.args]
        for i, (_, chain) in enumerate(parts):
            if len(chain) >= 2 or (chain and parts and len(chain) >= 1 and _has_rest(parts, i)):
                groups.setdefault(chain[side], []).append(i)
        best = max(groups.items(), key=lambda kv: (len(kv[1]), -kv[1][0]), default=None)
        if best is None or len(best[1]) < 2:
            continue
        shared, members = best
        inner_terms = []
        for i in members:
            scal, chain = parts[i]
            rest = chain[:-1] if side == -1 else chain[1:]
            if not rest:
                break
            inner_terms.append(mul(*scal, matmul(*rest)))
        else:
            inner = tidy(add(*inner_terms), deadline)
            combined = matmul(inner, shared) if side == -1 else matmul(shared, inner)
            others = [t for i, t in enumerate(n.args) if i not in members]
            return tidy(add(combined, *others), deadline) if others else combined
    return n


def _has_rest(parts, i: int) -> bool:
    return len(parts[i][1]) >= 2


def tidy(n: Node, deadline: Deadline | None = None) -> Node:
    """Bottom-up: rebuild through the rewrites, name the textbook forms, factor every sum."""
    deadline = deadline or Deadline(None)
    memo: dict[Node, Node] = {}
    active: set[Node] = set()  # the nodes being tidied: a rewrite back to one of them stops

    def go(m: Node) -> Node:
        if m in memo:
            return memo[m]
        if m in active:
            return m
        deadline.check()
        active.add(m)
        out = rebuild(m, tuple(go(a) for a in m.args)) if m.args else m
        named = _named(out)
        if named != out:
            out = go(named)
        if role(out) == "addition":
            try:
                better = (
                    _common_scalars(out)
                    or _common_entrywise(out)
                    or _like_terms(out)
                    or _expanded(out)
                )
            except LimitError:  # a factored form whose constant has 1,000 digits is no simpler
                better = None
            if better is not None:
                out = go(better)
            elif not out.is_scalar:
                out = _factor_chain(out, deadline)
        memo[m] = out
        active.discard(m)
        return out

    return go(n)
