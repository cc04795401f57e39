"""`matcalc cost`: what multiplying a chain of Jacobians costs in each order.

Left-to-right is reverse mode when the leftmost factor is the output's cotangent vᵀ;
right-to-left is forward mode when the rightmost factor is the input's tangent v. The optimal
order is the classic matrix-chain dynamic program, vectorized over every chain of one length.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..errors import LimitError, MatcalcError

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
        raise MatcalcError(f"shape {text!r}: expected RxC (e.g. 2x2) or N for a column vector")
    r, c = int(m.group(1)), int(m.group(2) or 1)
    if r < 1 or c < 1:
        raise MatcalcError(f"shape {text!r}: dimensions are at least 1")
    if max(r, c) > MAX_CHAIN_DIM:
        raise LimitError(f"shape {text!r}: dimension over the limit {MAX_CHAIN_DIM}")
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


def chain_order(sizes: list[int]):
    """The matrix-chain dynamic program over dimensions d0 … dn (factor i is d_i × d_i+1):
    the least number of multiplications and `split[i, j]`, the first best split of factors
    i … j. All chains of one length are solved at once by NumPy, so n factors take n array
    steps (O(n³) work in C, about a second for 1,000 factors), not n² Python loops."""
    import numpy as np

    n = len(sizes) - 1
    big = max(sizes) ** 3 * max(n, 1)  # no partial sum exceeds this
    dtype = np.int64 if big < 2**62 else np.float64  # float only orders symbolic sizes
    d = np.array(sizes, dtype=dtype)
    by_start = np.zeros((n, n), dtype=dtype)  # by_start[i, k]: cost of factors i … i+k
    by_end = np.zeros((n, n), dtype=dtype)  # by_end[j, k]: cost of factors j-k … j
    split = np.zeros((n, n), dtype=np.int32)
    for length in range(1, n):
        m = n - length  # chains i … i+length, i < m; split after factor i+t, t < length
        left = by_start[:m, :length]  # cost of i … i+t
        right = by_end[length:, length - 1 :: -1]  # cost of i+t+1 … i+length
        inner = np.lib.stride_tricks.sliding_window_view(d[1:-1], length)[:m]  # d[i+t+1]
        total = left + right + d[:m, None] * inner * d[length + 1 :, None]
        best = np.argmin(total, axis=1)
        rows = np.arange(m)
        by_start[rows, length] = by_end[rows + length, length] = total[rows, best]
        split[rows, rows + length] = rows + best
    return (by_start[0, n - 1] if n else 0), split


EXACT_ORDER_FACTORS = 300  # longer products in generated code are ordered greedily


def product_order(sizes: list[int]):
    """The split table of the order in which generated code multiplies a product: the exact
    dynamic program up to EXACT_ORDER_FACTORS factors (0.1 s), beyond that the greedy order
    (cheapest adjacent product first, O(n log n)): a product may be 5,000 factors long."""
    if len(sizes) - 1 <= EXACT_ORDER_FACTORS:
        return chain_order(sizes)[1]
    return greedy_order(sizes)


def greedy_order(sizes: list[int]) -> dict[tuple[int, int], int]:
    """Repeatedly multiply the adjacent pair that costs least (the leftmost of equals)."""
    import heapq

    n = len(sizes) - 1
    end = list(range(n))  # end[i]: the last factor of the run that starts at factor i
    before = [i - 1 for i in range(n)]  # the start of the run before run i (-1: none)
    split: dict[tuple[int, int], int] = {}
    heap = [(sizes[i] * sizes[i + 1] * sizes[i + 2], i, i, i + 1) for i in range(n - 1)]
    heapq.heapify(heap)
    while heap:
        _, i, s, j = heapq.heappop(heap)
        if end[i] != s or s + 1 >= n or end[s + 1] != j or before[s + 1] != i:
            continue  # a stale pair: one of its runs has grown since
        split[i, j] = s
        end[i] = j
        before[s + 1] = -2  # run s+1 is gone
        if j + 1 < n:
            before[j + 1] = i
            heapq.heappush(
                heap, (sizes[i] * sizes[j + 1] * sizes[end[j + 1] + 1], i, j, end[j + 1])
            )
        if before[i] >= 0:
            p = before[i]
            heapq.heappush(heap, (sizes[p] * sizes[i] * sizes[j + 1], p, i - 1, j))
    return split


def fold_chain(split, n: int, leaf, join):
    """Combine factors 0 … n-1 in the order `split` chose: leaf(i) for a factor, join(a, b, i,
    j) for factors i … j. A loop with a stack, not recursion: 1,000 factors may nest 1,000 deep."""
    done: dict[tuple[int, int], object] = {}
    stack = [(0, n - 1, False)]
    while stack:
        i, j, ready = stack.pop()
        if i == j:
            done[i, j] = leaf(i)
            continue
        s = int(split[i, j])
        if ready:
            done[i, j] = join(done.pop((i, s)), done.pop((s + 1, j)), i, j)
        else:
            stack += [(i, j, True), (s + 1, j, False), (i, s, False)]
    return done[0, n - 1]


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
    from .chain import chain

    result = chain(steps, wrt=wrt, let=let, layout="numerator")
    out = []
    for path in [p for r in getattr(result, "results", [result]) for p in r.paths]:
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
