"""Explicit matrices (`lit` nodes of scalar entries) computed on: products, entrywise functions,
determinants and inverses. What the `expand` rules of several families share."""

from __future__ import annotations

import sympy as sp

from .. import limits
from ..errors import LimitError, UndefinedError
from ..expr.node import Node
from .base import add, check_explicit, is_scalar_lit, is_zero, lit, lit_rows, mul, num, pow_


def expand_mul(vs: tuple[Node, ...]) -> Node:
    """A product of explicit values where at most one is a matrix: the scalars scale each entry."""
    scal = [v for v in vs if v.is_scalar]
    mats = [v for v in vs if not v.is_scalar]
    c = mul(*scal)
    if not mats:
        return c
    rows = lit_rows(mats[0]) if is_scalar_lit(mats[0]) else None
    if rows is None:
        return mul(c, mats[0])
    return lit([[mul(c, e) for e in row] for row in rows])


def lit_matmul(a: Node, b: Node) -> Node:
    """The product of two explicit values."""
    if a.is_scalar or b.is_scalar:
        return expand_mul((a, b))
    ra, rb = lit_rows(a), lit_rows(b)
    check_explicit(len(ra), len(rb[0]), len(ra) * len(rb) * len(rb[0]))
    return lit(
        [
            [add(*(mul(ra[i][k], rb[k][j]) for k in range(len(rb)))) for j in range(len(rb[0]))]
            for i in range(len(ra))
        ]
    )


def elementwise_lit(fn, *vals: Node) -> Node:
    """A scalar function applied entry by entry to explicit values (scalars broadcast)."""
    mats = [v for v in vals if not v.is_scalar]
    if not mats:
        return fn(*vals)
    shape_rows = lit_rows(mats[0])
    rows = [lit_rows(v) if not v.is_scalar else None for v in vals]
    out = []
    for i in range(len(shape_rows)):
        out.append(
            [
                fn(*(v if rows[k] is None else rows[k][i][j] for k, v in enumerate(vals)))
                for j in range(len(shape_rows[0]))
            ]
        )
    return lit(out)


def _numbers(rows: list[list[Node]]) -> sp.Matrix | None:
    if all(e.op == "num" for row in rows for e in row):
        return sp.Matrix([[e.data for e in row] for row in rows])
    return None


def _size_ok(rows: list[list[Node]], what: str) -> None:
    if len(rows) > limits.MAX_DET_SIZE:
        raise LimitError(
            f"{what} of a symbolic {len(rows)}×{len(rows)} matrix is over the limit "
            f"{limits.MAX_DET_SIZE}; use symbolic sizes for the matrix form"
        )


def _det_rows(rows: list[list[Node]]) -> Node:
    """Laplace expansion along the first row, minors memoized by their columns (O(n 2ⁿ))."""
    n = len(rows)
    memo: dict[tuple[int, tuple[int, ...]], Node] = {}

    def minor(row: int, cols: tuple[int, ...]) -> Node:
        if row == n:
            return num(1)
        key = (row, cols)
        if key not in memo:
            terms = []
            for k, col in enumerate(cols):
                e = rows[row][col]
                if is_zero(e):
                    continue
                rest = minor(row + 1, cols[:k] + cols[k + 1 :])
                terms.append(mul(num((-1) ** k), e, rest))
            memo[key] = add(*terms) if terms else num(0)
        return memo[key]

    return minor(0, tuple(range(n)))


def explicit_det(a: Node) -> Node:
    rows = lit_rows(a)
    m = _numbers(rows)
    if m is not None:
        return num(m.det(method="bareiss"))
    _size_ok(rows, "det")
    return _det_rows(rows)


def explicit_inverse(a: Node, node: Node | None = None) -> Node:
    rows = lit_rows(a)
    m = _numbers(rows)
    if m is not None:
        if m.det(method="bareiss") == 0:
            raise UndefinedError("the matrix is singular, so its inverse does not exist")
        return lit([[num(e) for e in m.inv().row(i)] for i in range(m.shape[0])])
    _size_ok(rows, "inv")
    n = len(rows)
    d = _det_rows(rows)
    if is_zero(d):
        raise UndefinedError("the matrix is singular, so its inverse does not exist")
    inv_d = pow_(d, num(-1))

    def cofactor(i: int, j: int) -> Node:
        sub = [[rows[r][c] for c in range(n) if c != j] for r in range(n) if r != i]
        return mul(num((-1) ** (i + j)), _det_rows(sub) if sub else num(1))

    return lit([[mul(cofactor(j, i), inv_d) for j in range(n)] for i in range(n)])


def numeric_only(name: str, fn, defined=None):
    """An `expand` rule for an operator with no formula entry by entry (a matrix function, a
    decomposition): the value where every entry is a number (`--at`), `fn(*arrays)`; where
    `defined(*arrays)` is false, or the value is not finite, a user error that names it."""

    def expand(ctx, n: Node, *args: Node) -> Node:
        import numpy

        from ..errors import MatcalcError

        rows = [lit_rows(a) for a in args]
        if not all(
            e.op == "num" and not e.data.free_symbols for r in rows for row in r for e in row
        ):
            raise MatcalcError(
                f"{name} of a matrix of symbols has no formula entry by entry: no componentwise "
                "form (and no matrix form here)"
            )
        vals = [numpy.array([[float(e.data) for e in row] for row in r]) for r in rows]
        undefined = UndefinedError(f"{name} is undefined at this point ({n!r})")
        if defined is not None and not defined(*vals):
            raise undefined
        try:
            with numpy.errstate(all="ignore"):
                out = numpy.asarray(fn(*vals), dtype=float)
        except (numpy.linalg.LinAlgError, ValueError):
            raise undefined from None
        out = numpy.reshape(out, (-1, 1)) if out.ndim == 1 else out
        if not numpy.all(numpy.isfinite(out)):
            raise undefined
        if n.is_scalar:
            return num(sp.Float(float(out.flat[0])))
        return lit([[num(sp.Float(float(v))) for v in row] for row in out])

    return expand
