"""One array convention for evaluation and printing (issue 20, item 5; SPEC §4): every entry's
`np` rule — what the float interpreter, `--check` and the test points compute — gives the value
its `numpy` printer's line gives, in the same convention (vectors 1-D, row and column alike,
matrices 2-D, scalars floats), with no conversion between them.

For every registry entry, at random shapes (non-square first: a rule that swaps axes or reads a
vector's orientation wrongly is caught there; square only for entries that need it) and values
with entries of both signs: the rule is called on the operands' values, and the line the printer
writes for the node over variables is evaluated as SPEC §4 says, `eval(line, {"np": numpy, …})`.
Shapes must be equal and values close. A new entry is checked with no edit here.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy
import sympy as sp

import matcalc  # noqa: F401 - registers the operators
from matcalc.errors import MatcalcError
from matcalc.evaluate.numeric import FloatContext
from matcalc.expr.node import ONE, Node, as_pair, axes, var
from matcalc.expr.registry import OPS, build
from matcalc.ops.base import comm, dvar, eye, num, ones, zero
from matcalc.render.printer import to_numpy

from .alarm import time_limit

SEEDS = (0, 1, 2)
SIZES = (2, 3, 4, 5, 6)
NON_SQUARE_TRIES = 3000  # random instances with non-square matrices, vectors and scalars only
TRIES = 6000  # … then square matrices too
PREFER_TRIES = 1500  # seed 0 first looks for an instance with a vector, seed 1 without one


def _signed(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.5, size=shape)


def _random_shape(rng: np.random.Generator, rows: int | None, square: bool) -> tuple:
    """A scalar, a column, a row or a matrix (non-square unless `square`); `rows` fixes the
    first axis (a neighbour in a product or a block row)."""
    if rows is None:
        kind = rng.integers(4)
        if kind == 0:
            return ()
        if kind == 1:
            return (int(rng.choice(SIZES)), 1)
        if kind == 2:
            return (1, int(rng.choice(SIZES)))
        rows = int(rng.choice(SIZES))
    cols = int(rng.choice([c for c in (1, *SIZES) if square or c != rows]))
    return () if rows == cols == 1 else (rows, cols)


def _random_data(rng: np.random.Generator, arity: int) -> object:
    """The payloads entries take: a grid (a literal), a pair of sizes (unvec), a block of rows
    and columns (a slice), an integer (an exponent, an axis)."""
    kind = rng.integers(4)
    if kind == 0:
        grids = [(r, arity // r) for r in range(1, arity + 1) if arity % r == 0]
        return tuple(sp.Integer(x) for x in grids[rng.integers(len(grids))])
    if kind == 1:
        return tuple(sp.Integer(int(rng.choice(SIZES))) for _ in range(2))
    if kind == 2:
        r0, c0 = (int(rng.integers(0, 3)) for _ in range(2))
        r1, c1 = r0 + int(rng.integers(1, 4)), c0 + int(rng.integers(1, 4))
        return tuple(sp.Integer(x) for x in (r0, r1, c0, c1))
    return int(rng.choice([1, 2, 3]))


def _sym(shape: tuple) -> tuple:
    return tuple(ONE if d == 1 else sp.Integer(d) for d in shape)


def _value(rng: np.random.Generator, shape: tuple, near_eye: bool) -> object:
    """A value in the convention: a float, a 1-D vector, a 2-D matrix (square ones near 𝐈 on
    request: where logm, sqrtm, chol and the inverse are defined and tame)."""
    if shape == ():
        return float(_signed(rng, ()))
    a = _signed(rng, shape)
    if near_eye and shape[0] == shape[1]:
        a = np.eye(shape[0]) + a * (0.3 / shape[0])
    return a.reshape(-1) if 1 in shape else a


def _leaves(name: str, rng: np.random.Generator) -> tuple[Node, dict]:
    """A leaf entry's node at a random non-square shape."""
    r, c = (sp.Integer(int(x)) for x in rng.choice(SIZES, size=2, replace=False))
    shape = [(r, ONE), (ONE, c), (r, c)][rng.integers(3)]
    if name == "num":
        return num(sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))) * sp.pi), {}
    if name == "var":
        return var("X", shape), {"X": _value(rng, tuple(int(d) for d in shape), False)}
    if name == "dvar":
        value = _value(rng, tuple(int(d) for d in shape), False)
        return dvar("X", shape), {("d", "X"): value, "_d_X": value}
    if name == "zero":
        return zero(shape), {}
    if name == "ones":
        return ones(shape), {}
    if name == "eye":
        return eye(r), {}
    if name == "comm":
        return comm(r, c), {}
    raise AssertionError(f"no instance for the leaf {name!r}: add it here")


def _arity(op, rng: np.random.Generator) -> int:
    if isinstance(op.arity, int):
        return op.arity
    if isinstance(op.arity, tuple):
        return int(rng.choice(op.arity))
    return int(rng.integers(2, 5))


def _non_square(n: Node) -> bool:
    return all(m.shape == () or m.shape[0] != m.shape[1] for m in (n, *n.args))


def _the_language_makes(n: Node) -> bool:
    """Leave out nodes that the shape rules accept but neither the reader nor a rewrite makes:
    a 1×1 shape (SPEC §2: a 1×1 result is a scalar; diag of a row claims one), a slice outside
    its operand (the reader checks the bounds), a row-wise softmax or log-sum-exp of a row
    vector (the reader makes it the vector's own), diag of anything but a column (the reader
    makes diag of a matrix `diagof`; diag's shape rule accepts both)."""
    if n.shape and n.shape[0] == n.shape[1] == 1:
        return False
    if n.op == "slice":
        _, r1, _, c1 = n.data
        rows, cols = as_pair(n.args[0].shape)
        return bool(r1 <= rows and c1 <= cols)
    if n.op == "diag":
        return n.args[0].is_vector
    return not (n.op in ("softmax_rows", "lse_rows") and n.args[0].is_row)


def instance(name: str, seed: int) -> tuple[Node, dict, int]:
    """A node of the entry over variables A0, A1, … (or numbers, in scalar slots), values for
    them, and how many tries it took; non-square wherever the entry allows it."""
    op = OPS[name]
    rng = np.random.default_rng([seed, *map(ord, name)])
    if op.leaf:
        return (*_leaves(name, rng), 0)
    for attempt in range(TRIES):
        square = attempt >= NON_SQUARE_TRIES
        prefer = seed % 3 if attempt < PREFER_TRIES else 2  # 0: a vector in it, 1: matrices only
        k = _arity(op, rng)
        shapes = [_random_shape(rng, None, square)]
        for _ in range(k - 1):
            prev, how = shapes[-1], rng.integers(4)
            if how == 0 or prev == ():  # the same shape: a sum, an entrywise product
                shapes.append(prev)
            elif how == 1:  # rows = the previous columns: a matrix product
                shapes.append(_random_shape(rng, prev[1], square))
            elif how == 2:  # the same height: a block row
                shapes.append(_random_shape(rng, prev[0], square))
            else:
                shapes.append(_random_shape(rng, None, square))
        args = tuple(  # a scalar slot is a number half the time (an exponent k of Xᵏ)
            num(int(rng.integers(1, 4)))
            if s == () and rng.integers(2)
            else var(f"A{j}", _sym(s), False)
            for j, s in enumerate(shapes)
        )
        for data in (None, _random_data(rng, k)):  # data only for an entry that needs it
            try:
                n = build(name, *args, data=data)  # a node the language makes, canonical
            except (MatcalcError, TypeError, ValueError, IndexError, ZeroDivisionError):
                continue
            if n.op != name or n.args != args or n.shape != op.shape(args, data):
                continue  # rewritten (a product with a scalar, a 1×1 literal): not this entry
            if (not square and not _non_square(n)) or not _the_language_makes(n):
                continue
            one_d = [len(axes(m.shape)) == 1 for m in (n, *n.args)]
            if (prefer == 0 and not any(one_d)) or (prefer == 1 and any(one_d)):
                continue
            near_eye = bool(rng.integers(2))
            values = {
                a.data[0]: _value(rng, s, near_eye)
                for a, s in zip(args, shapes, strict=True)
                if a.is_variable
            }
            operands = [values[a.data[0]] if a.is_variable else float(a.data) for a in args]
            if callable(op.domain) and not op.domain(np, n, *operands):
                continue  # logm, sqrtm, chol: a point inside the domain
            if _defined(_rule_value, n, values) or _defined(_line_value, n, values):
                return n, values, attempt  # a node neither side can evaluate is not one (a
                # Fréchet derivative whose direction does not fit): one side failing is a failure
    raise AssertionError(f"no instance of {name!r} found: give _random_data its kind of data")


def _defined(side, n: Node, values: dict) -> bool:
    """The side (the rule or the printed line) gives a finite value at the point."""
    try:
        with np.errstate(all="ignore"):
            return bool(np.all(np.isfinite(np.asarray(side(n, values), dtype=float))))
    except (MatcalcError, TypeError, ValueError, IndexError, np.linalg.LinAlgError):
        return False


def _rule_value(n: Node, values: dict) -> object:
    """The entry's `np` rule on its operands' values (variables looked up, numbers as floats)."""
    ctx = FloatContext(np, {}, values)
    operands = [values[a.data[0]] if a.is_variable else float(a.data) for a in n.args]
    return OPS[n.op].np(ctx, n, *operands)


def _line_value(n: Node, values: dict) -> object:
    """The printed NumPy line, evaluated as SPEC §4 says (with SciPy for the matrix functions)."""
    line = to_numpy(n)
    env = {k: v for k, v in values.items() if isinstance(k, str)}
    return eval(line, {"np": np, "scipy": scipy, **env})  # the line matcalc printed: our own


NAMES = sorted(name for name, op in OPS.items() if op.np is not None and op.numpy is not None)
CASES = [(name, seed) for name in NAMES for seed in SEEDS]


def test_every_entry_has_both_rules():
    assert len(NAMES) == len(OPS), sorted(set(OPS) - set(NAMES))


@pytest.mark.parametrize("name,seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_np_rule_equals_printed_line(name, seed):
    with time_limit(60):
        n, values, _ = instance(name, seed)
        with np.errstate(all="ignore"):
            got = _rule_value(n, values)
            want = _line_value(n, values)
    where = f"{name} over {[a.shape for a in n.args]} (data {n.data}): {to_numpy(n)}"
    assert np.shape(got) == np.shape(want), f"{np.shape(got)} ≠ {np.shape(want)}: {where}"
    assert np.shape(want) == tuple(int(d) for d in axes(n.shape)), f"SPEC §4 shape: {where}"
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9), f"{got} ≠ {want}: {where}"
