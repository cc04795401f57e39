"""`matcalc cost`: what multiplying a chain of Jacobians costs in each order.

Left-to-right is reverse mode when the leftmost factor is the output's cotangent vᵀ;
right-to-left is forward mode when the rightmost factor is the input's tangent v. The optimal
order is the classic matrix-chain dynamic program, vectorized over every chain of one length.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..errors import LimitError, MatcalcError, quote
from .order import chain_order, fold_chain

MAX_FACTORS = 1_000
MAX_CHAIN_DIM = 100_000
_SHAPE = re.compile(r"\s*(\d+)\s*(?:[x×,*]\s*(\d+))?\s*\Z")


@dataclass(frozen=True)
class Order:
    name: str
    multiplications: int
    inner_products: int
    parenthesization: str
    mode: str


@dataclass(frozen=True)
class Cost:
    shapes: list[tuple[int, int]]
    orders: list[Order]

    def as_json(self) -> dict[str, object]:
        return {
            "shapes": [list(s) for s in self.shapes],
            "orders": [
                {
                    "name": o.name,
                    "multiplications": o.multiplications,
                    "inner_products": o.inner_products,
                    "parenthesization": o.parenthesization,
                }
                for o in self.orders
            ],
        }

    def text(self) -> str:
        lines = ["chain: " + " · ".join(f"{r}×{c}" for r, c in self.shapes)]
        w = max(len(o.name) for o in self.orders)
        for o in self.orders:
            lines.append(
                f"{o.name.ljust(w)}  {o.multiplications:>12,} multiplications  "
                f"{o.inner_products:>10,} inner products  {o.parenthesization}"
                + (f"  ({o.mode})" if o.mode else "")
            )
        return "\n".join(lines)


def parse_shape(text: str) -> tuple[int, int]:
    """`2x2`, `2×3`, `2,3`, or `3` (a column vector 3×1)."""
    m = _SHAPE.match(text)
    if m is None:
        raise MatcalcError(f"shape {quote(text)}: expected RxC (e.g. 2x2) or N for a column vector")
    r, c = int(m.group(1)), int(m.group(2) or 1)
    if r < 1 or c < 1:
        raise MatcalcError(f"shape {quote(text)}: dimensions are at least 1")
    if max(r, c) > MAX_CHAIN_DIM:
        raise LimitError(f"shape {quote(text)}: dimension over the limit {MAX_CHAIN_DIM}")
    return r, c


def _check(shapes: list[tuple[int, int]]) -> None:
    if not shapes:
        raise MatcalcError("cost needs at least one shape")
    if len(shapes) > MAX_FACTORS:
        raise LimitError(f"more than {MAX_FACTORS} factors")
    for i, (a, b) in enumerate(itertools.pairwise(shapes)):
        if a[1] != b[0]:
            raise MatcalcError(
                f"factors {i + 1} and {i + 2} do not fit: {a[0]}×{a[1]} times {b[0]}×{b[1]}"
            )


def _sequential(shapes: list[tuple[int, int]], left: bool) -> tuple[int, int, str]:
    n = len(shapes)
    names = [f"A{i + 1}" for i in range(n)]
    mults = inner = 0
    if left:
        r, c = shapes[0]
        expr = names[0]
        for i in range(1, n):
            _, c2 = shapes[i]
            mults += r * c * c2
            inner += r * c2
            c = c2
            expr = f"({expr} {names[i]})" if i < n - 1 else f"{expr} {names[i]}"
    else:
        r, c = shapes[-1]
        expr = names[-1]
        for i in range(n - 2, -1, -1):
            r2, _ = shapes[i]
            mults += r2 * r * c
            inner += r2 * c
            r = r2
            expr = f"({names[i]} {expr})" if i > 0 else f"{names[i]} {expr}"
    return mults, inner, expr


def optimal(shapes: list[tuple[int, int]]) -> tuple[int, int, str]:
    """Fewest scalar multiplications over all parenthesizations, its inner products and the
    parenthesization that attains it."""
    n = len(shapes)
    d = [shapes[0][0]] + [c for _, c in shapes]
    mults, split = chain_order(d)
    expr, inner = fold_chain(
        split,
        n,
        lambda i: (f"A{i + 1}", 0),
        lambda a, b, i, j: (f"({a[0]} {b[0]})", a[1] + b[1] + d[i] * d[j + 1]),
    )
    if expr.startswith("(") and n > 1:
        expr = expr[1:-1]
    return int(mults), inner, expr


def cost(shapes: list[tuple[int, int]]) -> Cost:
    """Multiplications and inner products of left-to-right, right-to-left and optimal orders."""
    _check(shapes)
    lm, li, lp = _sequential(shapes, left=True)
    rm, ri, rp = _sequential(shapes, left=False)
    om, oi, op = optimal(shapes)
    first_row, last_col = shapes[0][0] == 1, shapes[-1][1] == 1
    return Cost(
        shapes,
        [
            Order(
                "left-to-right", lm, li, lp, "reverse mode: vᵀ J…" if first_row else "reverse mode"
            ),
            Order(
                "right-to-left", rm, ri, rp, "forward mode: …J v" if last_col else "forward mode"
            ),
            Order("optimal", om, oi, op, ""),
        ],
    )


def chain_shapes(
    steps: list[str], wrt: str, let: list[str] | None
) -> list[tuple[list[str], list[tuple[int, int]]]]:
    """For each path of a chain's graph from the output to `wrt`: its step names and the shapes
    of its factors as Jacobians (numerator layout, tensors in vec form), outermost first — the
    product whose cost `cost --from-chain` reports. Sizes must be integers."""
    from ..options import Options
    from .chain import chain

    out = []
    for path in [
        p for r in chain(steps, wrt, Options(let=let, layout="numerator")) for p in r.paths
    ]:
        shapes = []
        for f in path.factors:
            j = f.jacobian if f.jacobian is not None else f.node
            shape = j.shape if j.shape != () else (1, 1)
            if not all(str(d).isdigit() for d in shape):
                raise MatcalcError(
                    f"factor {f.name} has symbolic size {shape}; give integer sizes with --let"
                )
            shapes.append((int(shape[0]), int(shape[1])))
        out.append((path.names, shapes))
    return out
