"""`--format numpy`: one line of NumPy (SPEC §4). A matrix result prints with the entries'
NumPy rules; a tensor derivative printed as a linear map dF = L(dX) prints as the full array,
L applied to each basis matrix E of X, with F's axes first (X's first in denominator layout)."""

from __future__ import annotations

from .names import Namespace, spellings, user_names
from .printer import Printer, to_numpy


def line_namespace(result) -> Namespace:
    """The names of the expression (variables, dimensions) and how the user wrote them. The line
    is evaluated with `np` bound to NumPy (SPEC §4), so a user's name `np` is refused."""
    from ..errors import MatcalcError

    trees = [t for t in (result.node, result.function, result.array) if t is not None]
    user = user_names(trees, result.decls)
    if "np" in user:
        raise MatcalcError(
            "a variable or dimension named np cannot be used in a NumPy line (--format numpy, "
            'json): the line is evaluated with np bound to NumPy, eval(line, {"np": numpy, '  # safe: text
            "**values}); rename it, or use --format python, which imports NumPy under a free name"
        )
    declared = set(result.decls.items) if result.decls is not None else set()
    scalars = set().union(*(t.free() for t in trees)) - declared
    return Namespace(user, spellings(getattr(result, "source", "") or "", scalars))


def used_modules_free(line: str, names: Namespace) -> str:
    """The line, when the modules it calls are bound under their own names: it is evaluated
    with `scipy` bound to SciPy too (SPEC §7.2), so a user's `scipy` is refused where the line
    calls SciPy (a line that does not may keep it)."""
    from ..errors import MatcalcError

    if names.modules.get("scipy", "scipy") != "scipy":
        raise MatcalcError(
            "a variable or dimension named scipy cannot be used in a NumPy line that calls "
            "SciPy (--format numpy, json): the line is evaluated with scipy bound to SciPy; "
            "rename it, or use --format python, which imports SciPy under a free name"
        )
    return line


def tensor_line(result, names: Namespace | None = None) -> str:
    """The full array of a linear map: L(Eᵢⱼ) for every basis matrix Eᵢⱼ of X, axes arranged."""
    if names is None:
        names = Namespace(user_names([result.array], getattr(result, "decls", None)))
    p = Printer("numpy", names)
    leaf = result.dleaf
    d = names.fresh("_d_" + leaf.data)
    p.node_names[leaf] = d  # dX is the lambda's parameter
    body = f"(lambda {d}: {p(result.array)} + np.zeros({p.np_shape(result.array.shape)}))"
    r, c = leaf.shape
    if c == 1 or r == 1:
        n, e = p.dim(r if c == 1 else c), names.fresh("_e")
        stacked = f"np.array([{body}({e}) for {e} in np.eye({n})])"
        x_axes = 1
    else:
        rr, cc = p.dim(r), p.dim(c)
        a, b = names.fresh("_a"), names.fresh("_b")
        e = f"np.outer({a}, {b})"
        stacked = f"np.array([[{body}({e}) for {b} in np.eye({cc})] for {a} in np.eye({rr})])"
        x_axes = 2
    if result.layout == "denominator" or result.array.shape == ():
        return names.finish(stacked)
    if x_axes == 1:
        return names.finish(f"np.moveaxis({stacked}, 0, -1)")
    return names.finish(f"np.moveaxis({stacked}, (0, 1), (-2, -1))")


__all__ = ["line_namespace", "tensor_line", "to_numpy", "used_modules_free"]


# ---------------------------------------------------------------- products of matrices

BIG = 1000  # a symbolic dimension is assumed this large (and all alike) when ordering products


def _size(d) -> int:
    """A dimension as a number for the cost model: integers as they are, symbols as BIG."""
    import sympy as sp

    d = sp.sympify(d)  # safe: a dimension
    v = d.xreplace({s: BIG for s in d.free_symbols}) if d.free_symbols else d
    return int(v)


def chain(p: Printer, factors, scale: str | None = None) -> str:
    """NumPy for a matrix product that never materializes what it need not: diag(v) M as
    v[:, None] * M and M diag(v) as M * v, 𝟏ᵀ M as a column sum, a column times a row as
    np.outer, and the order of the products chosen by cost (the matrix-chain dynamic program)."""
    items: list[tuple[str, tuple, bool]] = []  # code, shape, is the all-ones row
    pending: tuple[str, tuple] | None = None  # a diag(v) waiting for its right neighbour
    for k, f in enumerate(factors):
        if f.op == "diag":
            v = p.arg(f.args[0], 40)
            if pending is not None:
                pending = (f"({pending[0]} * {v})", f.shape)
            elif items and items[-1][2]:  # 𝟏ᵀ diag(v) = vᵀ
                items.pop()
                items.append((v, (f.shape[0] ** 0, f.shape[0]), False))
            elif items:  # M diag(v) = M * v
                code, shape, _ = items.pop()
                items.append((f"({code} * {v})", shape, False))
            elif k + 1 < len(factors):
                pending = (v, f.shape)
            else:  # nothing to scale: the diagonal matrix itself
                items.append((f"np.diag({v})", f.shape, False))
            continue
        code, shape = p.arg(f, 30), f.shape
        if pending is not None:  # diag(v) M = v[:, None] * M
            code = (
                f"({pending[0]}[:, None] * {code})"
                if not f.is_vector
                else f"({pending[0]} * {code})"
            )
            pending = None
        items.append((code, shape, f.op == "ones" and f.is_row))
    if pending is not None:  # a product of diagonal matrices only
        items.append((f"np.diag({pending[0]})", pending[1], False))
    outer_scale = None
    if scale is not None:  # a scalar multiplies the smallest factor, or the result if smaller
        areas = [_size(_rows(it[1])) * _size(_cols(it[1])) for it in items]
        k = min(range(len(items)), key=lambda i: areas[i])
        if _size(_rows(items[0][1])) * _size(_cols(items[-1][1])) <= areas[k]:
            outer_scale = scale
        else:
            code, shape, _ = items[k]
            items[k] = (f"({scale} * {code})", shape, False)
    code = _ordered(items)
    return code if outer_scale is None else f"({outer_scale} * {code})"


def _ordered(items: list[tuple[str, tuple, bool]]) -> str:
    """The product of the factors in the order of least work (matrix-chain order)."""
    if len(items) == 1:
        return items[0][0]
    code, depth = _folded(items, flat=False)
    if depth <= MAX_NESTING:
        return code
    # Python refuses 200 nested parentheses: a long product is written as an @ chain read left
    # to right, (P @ Q) @ R as P @ Q @ R; a product that nests to the right, A (B (… x)), as
    # its transpose xᵀ … Bᵀ Aᵀ, which nests to the left
    code, depth = _folded(items, flat=True)
    if depth <= MAX_NESTING:
        return code
    mirrored = [(_t_code(c, sh), sh[::-1] if sh else sh, False) for c, sh, _ in reversed(items)]
    code, _ = _folded(mirrored, flat=True)
    shape = items[0][1][:1] + items[-1][1][1:]
    return f"({code}).T" if len(shape) == 2 and 1 not in shape else code


MAX_NESTING = 100  # parentheses that an order of a product may nest in generated code


def _folded(items: list[tuple[str, tuple, bool]], flat: bool) -> tuple[str, int]:
    """The product in the order of least work, and how deep it nests parentheses."""
    from ..derive.order import fold_chain, product_order

    dims = [items[0][1][0]] + [it[1][1] for it in items]
    split = product_order([_size(d) for d in dims])

    def join(a, b, i, j):
        (left, depth_a), (right, depth_b) = a, b
        if flat and left[0].startswith("(") and split[i, j] > i:  # a product, not a factor
            left, depth_a = (left[0][1:-1], *left[1:]), depth_a - 1
        return _combine(left, right), 1 + max(depth_a, depth_b)

    (code, _, _), depth = fold_chain(split, len(items), lambda i: (items[i], 0), join)
    return code, depth


def _t_code(code: str, shape: tuple) -> str:
    """The transpose of a factor: 1-D arrays and scalars are their own."""
    if not shape or 1 in shape:
        return code
    return f"{code}.T" if code.isidentifier() else f"({code}).T"


def _rows(shape) -> object:
    return shape[0] if shape else 1


def _cols(shape) -> object:
    return shape[1] if shape else 1


def _combine(a: tuple[str, tuple, bool], b: tuple[str, tuple, bool]) -> tuple[str, tuple, bool]:
    from ..expr.node import norm_shape

    (sa, ha, ones_a), (sb, hb, _) = a, b
    if ha == () or hb == ():  # an inner product already taken: a scalar times the rest
        return f"({sa} * {sb})", hb if ha == () else ha, False
    shape = norm_shape((ha[0], hb[1]))
    if ones_a:  # 𝟏ᵀ M: the column sums
        return (f"np.sum({sb})" if shape == () else f"np.sum({sb}, axis=0)"), shape, False
    if ha[1] == 1 and hb[0] == 1:  # a column times a row: the outer product of 1-D arrays
        return f"np.outer({sa}, {sb})", shape, False
    return f"({sa} @ {sb})", shape, False
