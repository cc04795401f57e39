"""Reverse-mode gradients of SymPy scalar expressions, for the componentwise engine.

`sympy.diff(f, x)` walks all of f once per variable: a gradient by n variables of an
expression of size s costs O(n·s). Accumulating adjoints backwards over f's DAG costs O(s),
which turns an n×n Jacobian of tanh(A x) from O(n³) into O(n²).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp


def _postorder(f: sp.Expr) -> list[sp.Expr]:
    """Every distinct subexpression once, children before parents (iterative: no recursion limit)."""
    order: list[sp.Expr] = []
    seen: set[sp.Expr] = set()
    stack: list[tuple[sp.Expr, bool]] = [(f, False)]
    while stack:
        e, expanded = stack.pop()
        if expanded:
            order.append(e)
            continue
        if e in seen:
            continue
        seen.add(e)
        stack.append((e, True))
        stack.extend((a, False) for a in e.args if a not in seen)
    return order


def gradient_entries(f: sp.Expr, xs: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """[∂f/∂x for x in xs], by one backward pass over f."""
    wanted = set(xs)
    order = _postorder(f)
    depends: dict[sp.Expr, bool] = {}
    for e in order:
        depends[e] = e in wanted or any(depends.get(a, False) for a in e.args)
    if not depends.get(f):
        return [sp.Integer(0)] * len(xs)
    adjoint: dict[sp.Expr, list[sp.Expr]] = {f: [sp.Integer(1)]}
    grad: dict[sp.Expr, list[sp.Expr]] = {}
    for e in reversed(order):
        parts = adjoint.pop(e, None)
        if not parts or not depends[e]:
            continue
        bar = sp.Add(*parts)
        if e in wanted:
            grad.setdefault(e, []).append(bar)
            continue
        for arg, partial in _partials(e, wanted, depends):
            adjoint.setdefault(arg, []).append(bar * partial)
    return [sp.Add(*grad[x]) if x in grad else sp.Integer(0) for x in xs]


def _partials(e: sp.Expr, wanted: set, depends: dict) -> list[tuple[sp.Expr, sp.Expr]]:
    """(operand, ∂e/∂operand) for each operand of e that depends on the variables."""
    args = e.args
    if e.is_Add:
        return [(a, sp.Integer(1)) for a in args if depends.get(a)]
    if e.is_Mul:
        return [
            (a, sp.Mul(*args[:i], *args[i + 1 :])) for i, a in enumerate(args) if depends.get(a)
        ]
    if e.is_Pow:
        base, p = args
        out = []
        if depends.get(base):
            out.append((base, p * base ** (p - 1)))
        if depends.get(p):
            out.append((p, e * sp.log(base)))
        return out
    if isinstance(e, sp.Function) and not isinstance(e, sp.core.function.AppliedUndef):
        try:
            out = [(a, e.fdiff(i + 1)) for i, a in enumerate(args) if depends.get(a)]
        except (sp.core.function.ArgumentIndexError, NotImplementedError):
            out = None
        if out is not None and not any(p.has(sp.Subs, sp.Derivative) for _, p in out):
            return out
    return [(s, sp.diff(e, s)) for s in e.free_symbols & wanted]  # anything else: plain diff
