"""NumPy for a chain of matrix products (SPEC §4): what the entries' NumPy rules call through
the printer (`p.chain`), so an operator's printer needs no import of render."""

from __future__ import annotations

import re

from ..expr.registry import OPS, POSTFIX, role
from .names import CLOSE, OPEN

# ---------------------------------------------------------------- products of matrices

_NAME_T = re.compile(f"(?:{OPEN}[^{CLOSE}]*{CLOSE}|[A-Za-z_]\\w*)\\.T")  # `M.T`, M a name
MINUS = ("-1", "(-1)")  # a scale that negates: written `-x`, so that a sum subtracts
BIG = 1000  # a symbolic dimension is assumed this large (and all alike) when ordering products


def _size(d) -> int:
    """A dimension as a number for the cost model: integers as they are, symbols as BIG."""
    import sympy as sp

    d = sp.sympify(d)  # safe: a dimension
    v = d.xreplace({s: BIG for s in d.free_symbols}) if d.free_symbols else d
    return int(v)


def chain(p, factors, scale: str | None = None, after: bool = False) -> str:
    """NumPy for a matrix product that never materializes what it need not: diag(v) M as
    v[:, None] * M and M diag(v) as M * v, 𝟏ᵀ M as a column sum, a column times a row as
    np.outer, and the order of the products chosen by cost (the matrix-chain dynamic program)."""
    spread = _broadcast(p, factors, scale)
    if spread is not None:
        return spread
    items: list[tuple[str, tuple, bool]] = []  # code, shape, is the all-ones row
    pending: tuple | None = None  # a diag(v) waiting for its right neighbour: (code, shape, 1/v)
    for k, f in enumerate(factors):
        if role(f) == "diagonal":
            v = p.arg(f.args[0], 40)
            under = _reciprocal(p, f.args[0])
            if pending is not None:
                pending = _merged(pending, v, under, f.shape)
            elif items and items[-1][2]:  # 𝟏ᵀ diag(v) = vᵀ
                items.pop()
                items.append((v, (f.shape[0] ** 0, f.shape[0]), False))
            elif items:  # M diag(v) = M * v, M diag(u)⁻¹ = M / u
                code, shape, _ = items.pop()
                scaled = f"({code} / {under})" if under else f"({code} * {v})"
                items.append((scaled, shape, False))
            elif k + 1 < len(factors):
                pending = (under, f.shape, True) if under else (v, f.shape, False)
            else:  # nothing to scale: the diagonal matrix itself
                items.append((f"np.diag({v})", f.shape, False))
            continue
        code, shape = p.arg(f, 30), f.shape
        if pending is not None:  # diag(v) M = v[:, None] * M, diag(u)⁻¹ M = M / u[:, None]
            v, spread = pending[0], "" if f.is_vector else "[:, None]"
            code = f"({code} / {v}{spread})" if pending[2] else f"({v}{spread} * {code})"
            pending = None
        items.append((code, shape, role(f) == "all-ones" and f.is_row))
    if pending is not None:  # a product of diagonal matrices only
        v = f"(1.0 / {pending[0]})" if pending[2] else pending[0]
        items.append((f"np.diag({v})", pending[1], False))
    items = _solved(p, factors, items)
    outer_scale = None
    if scale is not None:  # a scalar multiplies the smallest factor, or the result if smaller
        areas = [_size(_rows(it[1])) * _size(_cols(it[1])) for it in items]
        k = min(range(len(items)), key=lambda i: areas[i])
        if _size(_rows(items[0][1])) * _size(_cols(items[-1][1])) <= areas[k]:
            outer_scale = scale
        else:
            code, shape, _ = items[k]
            scaled = f"(-{code})" if scale in MINUS else f"({scale} * {code})"
            items[k] = (scaled, shape, False)
    code = _at_run_time(p, items) or _ordered(items, getattr(p, "row_products", False))
    return _scaled(outer_scale, code, after)


def _scaled(scale: str | None, code: str, after: bool = False) -> str:
    """The product scaled; by −1, negated (a sum then subtracts it: no temporary). With `after`
    (a NumPy scalar in a module), the scale follows the product: NumPy then scales the fresh
    product in place, which it does not for `c * M` with c a NumPy scalar: a new m×m array."""
    if scale is None:
        return code
    if scale in MINUS:
        return f"-{code}"
    return f"({code} * {scale})" if after else f"({scale} * {code})"


def _reciprocal(p, v) -> str | None:
    """u where the vector v is u⊙⁻¹ (code divides by u instead of multiplying by 1/u)."""
    if role(v) != "power" or not v.args[1].is_number or v.args[1].data != -1:
        return None
    return p.arg(v.args[0], POSTFIX)


def _merged(pending: tuple, v: str, under: str | None, shape) -> tuple:
    """diag(a) diag(b) as one diagonal (a flag: its code is the reciprocal's divisor)."""
    a, _, a_under = pending
    if a_under and under:
        return (f"({a} * {under})", shape, True)
    if a_under:
        return (f"({v} / {a})", shape, False)
    if under:
        return (f"({a} / {under})", shape, False)
    return (f"({a} * {v})", shape, False)


def _broadcast(p, factors, scale: str | None) -> str | None:
    """In a module (`p.broadcasts`), 𝟏ₘ bᵀ as b broadcast over m rows and v 𝟏ₖᵀ as v over k
    columns: a view, where np.outer would form the m×k matrix; as a term of a sum that has a
    full-size term (`p.broadcast_terms`), b or v[:, None] alone, as `Z + b` is written."""
    if not getattr(p, "broadcasts", False) or len(factors) != 2:
        return None
    a, b = factors
    if not (a.is_vector and b.is_row and a.shape[0] != 1):
        return None
    if role(a) == "all-ones":
        v = p.arg(b, 30)
    elif role(b) == "all-ones":
        v = f"{p.arg(a, POSTFIX)}[:, None]"
    else:
        return None
    v = _scaled(scale, v)
    if tuple(factors) in getattr(p, "broadcast_terms", ()):  # a term of a full-size sum
        return v
    return f"np.broadcast_to({v}, ({p.dim(a.shape[0])}, {p.dim(b.shape[1])}))"


def _inverse_of(p, f):
    """(X, transposed) where a factor is X⁻¹ or X⁻ᵀ that code may solve with instead of
    forming (not a temporary bound elsewhere), else None."""
    if f is None or f in p.node_names:
        return None
    if role(f) == "inverse":
        return f.args[0], False
    if role(f) == "transpose" and role(f.args[0]) == "inverse" and f.args[0] not in p.node_names:
        return f.args[0].args[0], True
    return None


def _solve_code(p, x, transposed: bool, rhs: str) -> str:
    """Code for X⁻¹ B (X⁻ᵀ B if transposed): the entry's own solver where its structure has one
    (a triangular factor: chol), else np.linalg.solve."""
    while role(x) == "transpose":  # (Aᵀ)⁻¹ B: A.T, not A.T.T
        x, transposed = x.args[0], not transposed
    solve = OPS[x.op].solve
    if solve is not None:
        return solve(p, x, rhs, transposed)
    lu = getattr(p, "factored", {}).get(x)  # X factored once for several solves (python.py)
    if lu is not None:
        trans = ", trans=1" if transposed else ""
        return f"scipy.linalg.lu_solve({lu}, {rhs}{trans}, check_finite=False)"
    a = p.arg(x, POSTFIX)
    return f"np.linalg.solve({a + '.T' if transposed else a}, {rhs})"


def _solved(p, factors, items: list[tuple[str, tuple, bool]]) -> list[tuple[str, tuple, bool]]:
    """X⁻¹ B as np.linalg.solve(X, B) (SPEC §7.2) and B X⁻¹ as solve(Xᵀ, Bᵀ)ᵀ, the inverse
    never formed, where X⁻¹ (or X⁻ᵀ) is a factor of its own (not a shared temporary): B is the
    run of neighbours whose product is the thinnest (X⁻¹ B x solves for B x, X⁻¹ x yᵀ for x)."""
    from ..expr.node import norm_shape

    if len(items) != len(factors):  # diagonal factors merged: positions no longer match
        return items
    rows = getattr(p, "row_products", False)
    factors = list(factors)
    for k in range(len(items) - 2, -1, -1):  # X⁻¹ B, right to left
        inverse = _inverse_of(p, factors[k])
        if inverse is None or len(items[k][1]) != 2:
            continue
        ends = range(k + 2, len(items) + 1)
        end = min(ends, key=lambda j: (_size(_cols(items[j - 1][1])), j))
        rhs = items[k + 1 : end]
        if any(it[1] == () or it[2] for it in rhs):  # a scalar, or 𝟏ᵀ: not a right-hand side
            continue
        code, shape = _ordered(rhs, rows), norm_shape((items[k][1][0], _cols(rhs[-1][1])))
        solved = (_solve_code(p, *inverse, code), shape, False)
        items = [*items[:k], solved, *items[end:]]
        factors = [*factors[:k], None, *factors[end:]]
    k = 1
    while k < len(items):  # B X⁻¹ = (X⁻ᵀ Bᵀ)ᵀ, left to right
        inverse = _inverse_of(p, factors[k])
        lhs_ok = inverse is not None and len(items[k][1]) == 2
        start = min(range(k), key=lambda i: (_size(_rows(items[i][1])), -i)) if lhs_ok else k
        lhs = items[start:k]
        if not lhs_ok or any(it[1] == () or it[2] for it in lhs):
            k += 1
            continue
        code = _ordered(lhs, rows)
        shape = norm_shape((_rows(lhs[0][1]), items[k][1][1]))
        left = norm_shape((_rows(lhs[0][1]), _cols(lhs[-1][1])))
        x, transposed = inverse
        solved = _t_code(_solve_code(p, x, not transposed, _t_code(code, left)), shape)
        items = [*items[:start], (solved, shape, False), *items[k + 1 :]]
        factors = [*factors[:start], None, *factors[k + 1 :]]
        k = start + 1
    return items


def _at_run_time(p, items: list[tuple[str, tuple, bool]]) -> str | None:
    """A product of three matrices whose cheaper order depends on symbolic sizes, P Q R with
    P: a×b, Q: b×c, R: c×d, chosen when the code runs: (P Q) R costs a b c + a c d, P (Q R)
    costs b c d + a b d. None when one order is the cheaper at every size, or for a vector."""
    import itertools

    import sympy as sp

    if len(items) != 3 or any(it[2] or len(it[1]) != 2 for it in items):
        return None
    dims = (*items[0][1], items[1][1][1], items[2][1][1])
    a, b, c, d = (sp.sympify(x) for x in dims)  # safe: sizes, never user text
    if 1 in (a, b, c, d):  # a vector in the product: right to left (or left to right) always
        return None
    left, right = a * b * c + a * c * d, b * c * d + a * b * d
    symbols = sorted((left + right).free_symbols, key=str)
    if not symbols or len(symbols) > 4:
        return None
    choices = set()
    for values in itertools.product((1, BIG), repeat=len(symbols)):
        at = dict(zip(symbols, values, strict=True))
        choices.add(bool(left.subs(at) <= right.subs(at)))
    if len(choices) < 2:
        return None
    (pc, _, _), (qc, _, _), (rc, _, _) = items
    dims = [p.dim(x) for x in (a, b, c, d)]
    cost_l = f"{dims[0]} * {dims[1]} * {dims[2]} + {dims[0]} * {dims[2]} * {dims[3]}"
    cost_r = f"{dims[1]} * {dims[2]} * {dims[3]} + {dims[0]} * {dims[1]} * {dims[3]}"
    return f"(({pc} @ {qc}) @ {rc} if {cost_l} <= {cost_r} else {pc} @ ({qc} @ {rc}))"


def _ordered(items: list[tuple[str, tuple, bool]], rows: bool = False) -> str:
    """The product of the factors in the order of least work (matrix-chain order)."""
    if len(items) == 1:
        return items[0][0]
    code, depth = _folded(items, False, rows)
    if depth <= MAX_NESTING:
        return code
    # Python refuses 200 nested parentheses: a long product is written as an @ chain read left
    # to right, (P @ Q) @ R as P @ Q @ R; a product that nests to the right, A (B (… x)), as
    # its transpose xᵀ … Bᵀ Aᵀ, which nests to the left
    code, depth = _folded(items, True, rows)
    if depth <= MAX_NESTING:
        return code
    mirrored = [(_t_code(c, sh), sh[::-1] if sh else sh, False) for c, sh, _ in reversed(items)]
    code, _ = _folded(mirrored, True, rows)
    shape = items[0][1][:1] + items[-1][1][1:]
    return f"({code}).T" if len(shape) == 2 and 1 not in shape else code


MAX_NESTING = 100  # parentheses that an order of a product may nest in generated code


def _folded(items: list[tuple[str, tuple, bool]], flat: bool, rows: bool) -> tuple[str, int]:
    """The product in the order of least work, and how deep it nests parentheses."""
    from ..derive.order import fold_chain, product_order

    dims = [items[0][1][0]] + [it[1][1] for it in items]
    split = product_order([_size(d) for d in dims])

    def join(a, b, i, j):
        (left, depth_a), (right, depth_b) = a, b
        if flat and left[0].startswith("(") and split[i, j] > i:  # a product, not a factor
            left, depth_a = (left[0][1:-1], *left[1:]), depth_a - 1
        return _combine(left, right, rows), 1 + max(depth_a, depth_b)

    (code, _, _), depth = fold_chain(split, len(items), lambda i: (items[i], 0), join)
    return code, depth


def _t_code(code: str, shape: tuple) -> str:
    """The transpose of a factor: 1-D arrays and scalars are their own."""
    if not shape or 1 in shape:
        return code
    named = code.isidentifier() or re.fullmatch(f"{OPEN}[^{CLOSE}]*{CLOSE}", code)
    return f"{code}.T" if named else f"({code}).T"


def _rows(shape) -> object:
    return shape[0] if shape else 1


def _cols(shape) -> object:
    return shape[1] if shape else 1


def _combine(
    a: tuple[str, tuple, bool], b: tuple[str, tuple, bool], rows: bool = False
) -> tuple[str, tuple, bool]:
    """One product; with `rows`, Mᵀ v as v @ M (XLA copies a transposed matrix operand)."""
    from ..expr.node import norm_shape

    (sa, ha, ones_a), (sb, hb, _) = a, b
    if ha == () or hb == ():  # an inner product already taken: a scalar times the rest
        return f"({sa} * {sb})", hb if ha == () else ha, False
    shape = norm_shape((ha[0], hb[1]))
    if ones_a:  # 𝟏ᵀ M: the column sums
        return (f"np.sum({sb})" if shape == () else f"np.sum({sb}, axis=0)"), shape, False
    if ha[1] == 1 and hb[0] == 1:  # a column times a row: the outer product of 1-D arrays
        return f"np.outer({sa}, {sb})", shape, False
    if rows and hb[1] == 1 and ha[0] != 1 and _NAME_T.fullmatch(sa):  # a name, transposed
        return f"({sb} @ {sa[:-2]})", shape, False
    return f"({sa} @ {sb})", shape, False
