"""The order in which to multiply a chain of matrices: the classic dynamic program, a greedy
order for very long chains, and a fold that builds the product in the chosen order. Pure
arithmetic on sizes, with no import of matcalc's own: `cost` reports it and generated code
multiplies in it."""

from __future__ import annotations


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
