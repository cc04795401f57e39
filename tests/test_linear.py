"""Every linear entry's JVP, transpose and vec rules agree with its own evaluation (issue 20,
item 5).

For an operator L, linear (or affine) in operand i, with entries of both signs:
⟨G, L(D)⟩ = ⟨Lᵀ(G), D⟩ for the entry's transpose rule, vec(L(D)) = K vec(D) (column-major vec)
for its vec rule, and the entry's JVP with the tangent D in slot i (0 in the others) = L(D).

`test_every_linear_entry_at_random_shapes` reads the list from the registry (`linear=True`): a
new linear entry is checked with no edit here. Its instances are found by the entry's own shape
rule: random operand shapes (scalars, columns, rows, non-square matrices; square ones only when
no non-square instance exists, as for tr), random data of the kinds entries take (none, a pair of
sizes, a block of rows and columns), kept when the shape rule accepts them and the entry's own
evaluation gives a finite value of the declared shape. Every operand is a linear slot, or those of
the entry's `linear_in` (the Fréchet derivatives L_f(X, E) are linear in E only: X is a random
matrix in f's domain there, and Xᵏ's k a number). The ROWS below are the
same check on expressions as a user writes them (slices of non-square matrices, the parser's
path), which the random instances do not go through.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import matcalc  # noqa: F401 - registers the operators
from matcalc.errors import MatcalcError, NotMatrixLevel, ShapeError
from matcalc.evaluate.numeric import evaluate
from matcalc.expr.decls import Decls
from matcalc.expr.node import ONE, Node, axes, norm_shape, size
from matcalc.expr.registry import OPS, build, raw_mode
from matcalc.ops import num, var, zero
from matcalc.reader import parse

from .alarm import time_limit

# op → (expression with the linear operand X, its --let list); the operand is the one named X.
ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "add": ("X + B", ("X:3,2", "B:3,2")),
    "mul": ("s*X", ("X:3,2",)),
    "matmul": ("A*X*B", ("A:4,3", "X:3,2", "B:2,5")),
    "T": ("X'", ("X:3,2",)),
    "tr": ("tr(X)", ("X:3,3",)),
    "kron": ("kron(A, X)", ("A:2,3", "X:3,2")),
    "kron_inner_left": ("kron_inner_left(A, X)", ("A:2,3", "X:6,6")),
    "kron_inner_right": ("kron_inner_right(X, A)", ("A:2,3", "X:6,6")),
    "had": ("X .* B", ("X:3,2", "B:3,2")),
    "sum": ("sum(X)", ("X:3,2",)),
    "mean": ("mean(X)", ("X:3,2",)),
    "lit": ("[X, 2*s]", ("X:1",)),
    "slice": ("X[1:2, 2:4]", ("X:3,5",)),
    "diag": ("diag(X)", ("X:3",)),
    "diagof": ("diag(X)", ("X:3,3",)),
    "vec": ("vec(X)", ("X:3,2",)),
    "unvec": ("unvec(X, 3, 2)", ("X:6",)),
}
EXTRA: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "slice": [  # rows, columns and blocks of non-square matrices, and of a vector
        ("X[2, 1:3]", ("X:3,4",)),
        ("X[1:3, 4]", ("X:3,4",)),
        ("X[2:3, 1:2]", ("X:4,3",)),
        ("X[2:4]", ("X:5",)),
    ],
    "matmul": [("X*B", ("X:3,2", "B:2,4")), ("A*X", ("A:4,3", "X:3,2"))],
}
CASES = [(op, *row) for op, row in ROWS.items()] + [
    (op, *row) for op, rows in EXTRA.items() for row in rows
]


def linear_entries() -> list[str]:
    return sorted(name for name, op in OPS.items() if op.linear)


def test_the_rows_name_linear_entries():
    assert set(ROWS) <= set(linear_entries()), "a row of ROWS names no linear entry"


def _node(text: str, let: tuple[str, ...]) -> tuple[Node, Decls]:
    decls = Decls.parse(list(let))
    with raw_mode():
        return parse(text, decls, raw=True).node, decls


def _signed(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape)


def _dims(node: Node) -> tuple[int, ...]:
    """The node's value's array shape (SPEC §4): () for a scalar, (n,) for a vector, row or
    column, (m, n) for a matrix."""
    return tuple(int(d) for d in axes(node.shape))


def _operand(n: Node) -> int:
    """The index of the operand that holds X."""
    for i, a in enumerate(n.args):
        if any(m.op == "var" and m.data[0] == "X" for m in _walk(a)):
            return i
    raise AssertionError(f"no operand holds X in {n.op}")


def _walk(n: Node):
    yield n
    for a in n.args:
        yield from _walk(a)


@pytest.mark.parametrize("op,text,let", CASES, ids=[f"{op}:{text}" for op, text, _ in CASES])
def test_transpose_and_vec_rules_agree_with_evaluation(op, text, let):
    n, decls = _node(text, let)
    assert n.op == op, f"{text} built {n.op}, not {op}"
    i = _operand(n)
    x = decls.get("X").node()
    assert n.args[i] == x, f"operand {i} of {text} is not X itself"
    rng = np.random.default_rng(sum(map(ord, text)))
    values = {name: _signed(rng, _dims(d_.node())) for name, d_ in decls.items.items()}
    values["s"] = float(_signed(rng, (1, 1))[0, 0])

    def at(value: np.ndarray) -> np.ndarray:
        return np.asarray(evaluate(n, {**values, "X": value}), dtype=float)

    xshape = _dims(x)
    d = _signed(rng, xshape)
    image = at(d) - at(np.zeros(xshape))  # L(D), also for an operator affine in X

    g_node = var("G", n.shape, False)
    g = _signed(rng, _dims(n))
    back = OPS[op].transpose(n, g_node, i)
    lt_g = np.asarray(evaluate(back, {**values, "G": g}), dtype=float)
    assert lt_g.shape == xshape, f"Lᵀ(G) is {lt_g.shape}, X is {xshape}"
    lhs, rhs = float(np.sum(g * image)), float(np.sum(lt_g * d))
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10), f"⟨G, L(D)⟩ = {lhs} but ⟨Lᵀ(G), D⟩ = {rhs}"

    k = size(x.shape)
    k_node = var("K", (k, k), False)
    j_node = OPS[op].vec(n, i, k_node)
    j = np.asarray(evaluate(j_node, {**values, "K": np.eye(k).reshape(_dims(k_node))}))
    want = image.reshape(-1, order="F")
    got = j.reshape(want.size, k) @ d.reshape(-1, order="F")  # the Jacobian, size(L) × size(X)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-10), f"vec rule: {got} ≠ {want}"


# --------------------------------------------------------------------------- every entry, random


SEEDS = (0, 1, 2, 3)
SIZES = (2, 3, 4, 5, 6)  # 6 = 2·3 and 4 = 2·2, so a vector can be unvec'd and a block divides
MATRIX_TRIES = 2000  # random instances to try with matrix operands only (even seeds)
NON_SQUARE_TRIES = 4000  # … then with non-square matrices, vectors and scalars
TRIES = 8000  # … then square matrices too


def _random_shape(rng: np.random.Generator, rows: int | None, square: bool) -> tuple:
    """A scalar, a column, a row or a matrix (non-square unless `square`); `rows` fixes the
    first axis when given (so that neighbours in a chain or a block row fit)."""
    if rows is None:
        kind = rng.integers(4)
        if kind == 0:
            return ()
        if kind == 1:
            return (int(rng.choice(SIZES)), 1)
        if kind == 2:
            return (1, int(rng.choice(SIZES)))
        rows, widths = int(rng.choice(SIZES)), SIZES
    else:
        widths = (1, *SIZES)
    cols = int(rng.choice([c for c in widths if square or c != rows]))
    return () if rows == cols == 1 else (rows, cols)


def _random_data(rng: np.random.Generator, arity: int) -> object:
    """Data of the kinds the entries take besides none: a pair (a literal's grid, unvec's shape), or a
    block of rows and columns (a slice)."""
    kind = rng.integers(1, 4)
    if kind == 1:  # a grid for the operands
        grids = [(r, arity // r) for r in range(1, arity + 1) if arity % r == 0]
        return tuple(sp.Integer(x) for x in grids[rng.integers(len(grids))])
    if kind == 2:
        return tuple(sp.Integer(int(rng.choice(SIZES))) for _ in range(2))
    r0, c0 = (int(rng.integers(0, 3)) for _ in range(2))
    r1, c1 = r0 + int(rng.integers(1, 4)), c0 + int(rng.integers(1, 4))
    return tuple(sp.Integer(x) for x in (r0, r1, c0, c1))


def _sym(shape: tuple) -> tuple:
    if shape == ():
        return ()
    return tuple(ONE if d == 1 else sp.Integer(d) for d in shape)


def _arity(op, rng: np.random.Generator) -> int:
    if isinstance(op.arity, int):
        return op.arity
    if isinstance(op.arity, tuple):
        return int(rng.choice(op.arity))
    return int(rng.integers(2, 5))


def _all_matrices(n: Node) -> bool:
    """Every operand a matrix, neither axis 1: where a rule that swaps axes or Kronecker
    factors is wrong (on a vector it may be right by accident)."""
    return all(m.shape != () and 1 not in m.shape for m in n.args if not m.is_number)


def _non_square(n: Node) -> bool:
    return all(m.shape == () or m.shape[0] != m.shape[1] for m in (n, *n.args))


def _slots(n: Node) -> list[int]:
    """The operands the entry is linear in: every one, or its `linear_in` (L_f(X, E): E only)."""
    slots = OPS[n.op].linear_in
    return list(range(len(n.args))) if slots is None else [i for i in slots if i < len(n.args)]


def _has_vec_rule(n: Node) -> bool:
    """False where the entry's vec rule declines (NotMatrixLevel: a block literal with matrix
    blocks, whose Jacobian is then computed componentwise)."""
    for i in _slots(n):
        x = n.args[i]
        k = size(x.shape)
        try:
            OPS[n.op].vec(n, i, var("K", norm_shape((k, k)), False))
        except NotMatrixLevel:
            return False
    return True


def instance(name: str, seed: int, with_vec: bool) -> tuple[Node, dict]:
    """A node of the entry over variables A0, A1, … at random sizes, and random values for them;
    `with_vec`: one where the entry's vec rule applies; an even seed prefers matrix operands."""
    op = OPS[name]
    rng = np.random.default_rng([seed, *map(ord, name)])
    for attempt in range(TRIES):
        square = attempt >= NON_SQUARE_TRIES
        matrices = seed % 2 == 0 and attempt < MATRIX_TRIES
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
        fixed = set(range(k)) - set(range(k) if op.linear_in is None else op.linear_in)
        shapes = [() if j in fixed and rng.integers(2) else s for j, s in enumerate(shapes)]
        args = tuple(  # an operand it is not linear in and scalar: a number (Xᵏ's k)
            num(int(rng.integers(1, 4))) if j in fixed and s == () else var(f"A{j}", _sym(s), False)
            for j, s in enumerate(shapes)
        )
        for data in (None, _random_data(rng, k)):  # data only for an entry that needs it
            try:
                shape = op.shape(args, data)
                break
            except (MatcalcError, TypeError, ValueError, IndexError, ZeroDivisionError):
                continue
        else:
            continue
        try:
            n = build(name, *args, data=data)  # through its rewrites: a node the language makes
        except (MatcalcError, TypeError, ValueError, IndexError, ZeroDivisionError):
            continue
        if n.op != name or set(n.args) != set(args) or n.shape != shape:
            continue  # rewritten (a matrix product of a scalar, a 1×1 literal): not this entry
        if (not square and not _non_square(n)) or (matrices and not _all_matrices(n)):
            continue
        if with_vec and not _has_vec_rule(n):
            continue
        values = {f"A{j}": _value(rng, s) for j, s in enumerate(shapes) if args[j].is_variable}
        if callable(op.domain) and not op.domain(
            np, n, *(values.get(a.data[0], 0.0) if a.is_variable else 1.0 for a in args)
        ):
            continue  # logm, sqrtm: X inside the domain where the rules are checked
        try:
            out = _eval(n, values)
        except (MatcalcError, TypeError, ValueError, IndexError):
            continue
        if out.shape == _dims(n) and np.all(np.isfinite(out)):
            return n, values
    raise AssertionError(f"no instance of {name!r} found: give _random_data its kind of data")


def _value(rng: np.random.Generator, shape: tuple) -> object:
    """A value of a node of this shape, as the interpreter takes it (a vector 1-D)."""
    if shape == ():
        return float(_signed(rng, (1, 1))[0, 0])
    return _signed(rng, shape).reshape(_dims(var("V", _sym(shape), False)))


def _eval(n: Node, values: dict) -> np.ndarray:
    return np.asarray(evaluate(n, values), dtype=float)


ENTRY_CASES = [(name, seed) for name in linear_entries() for seed in SEEDS]
# entries whose vec rule always declines, with the reason (their Jacobians are refused)
NO_VEC = {"matpow_frechet": "Σⱼ Xʲ E Xᵏ⁻¹⁻ʲ over a symbolic k has no Kronecker form"}


@pytest.mark.parametrize("name,seed", ENTRY_CASES, ids=[f"{n}-{s}" for n, s in ENTRY_CASES])
def test_every_linear_entry_at_random_shapes(name, seed):
    op = OPS[name]
    with time_limit(60):
        n, values = instance(name, seed, with_vec=seed == SEEDS[0] and name not in NO_VEC)
        rng = np.random.default_rng(seed)
        for i in _slots(n):
            x = n.args[i]
            where = f"{name} over {[a.shape for a in n.args]}, data {n.data}, slot {i}"
            xshape = _dims(x)
            d = _signed(rng, xshape)
            dvalue = d if x.shape else float(d)
            at_zero = 0.0 if x.shape == () else np.zeros(xshape)
            image = _eval(n, {**values, x.data[0]: dvalue}) - _eval(
                n, {**values, x.data[0]: at_zero}
            )  # L(D) in slot i, also for an operator affine in it (a sum, a literal)

            d_node = var("D", x.shape, False)
            tangents = [d_node if j == i else zero(a.shape) for j, a in enumerate(n.args)]
            got = _eval(op.jvp(n, tangents), {**values, "D": dvalue})
            assert np.allclose(got, image, rtol=1e-10, atol=1e-10), f"jvp of {where}"

            g = _signed(rng, _dims(n))
            back = op.transpose(n, var("G", n.shape, False), i)
            lt_g = _eval(back, {**values, "G": g if n.shape else float(g)})
            assert lt_g.shape == xshape, f"Lᵀ(G) is {lt_g.shape}, operand is {xshape}: {where}"
            lhs, rhs = float(np.sum(g * image)), float(np.sum(lt_g * d))
            assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10), (
                f"⟨G, L(D)⟩ = {lhs} but ⟨Lᵀ(G), D⟩ = {rhs}: transpose rule of {where}"
            )

            k = int(size(x.shape))
            k_node = var("K", norm_shape((sp.Integer(k), sp.Integer(k))), False)
            try:
                j_node = op.vec(n, i, k_node)
            except NotMatrixLevel:  # a declared limit; the first seed's instance has the rule
                continue
            j = _eval(j_node, {**values, "K": np.eye(k) if k > 1 else 1.0})
            want = image.reshape(-1, order="F")
            vec_got = j.reshape(want.size, k) @ d.reshape(-1, order="F")  # size(L) × size(X)
            assert np.allclose(vec_got, want, rtol=1e-10, atol=1e-10), (
                f"vec rule of {where}: {vec_got} ≠ {want}"
            )


def test_shape_rules_refuse_what_the_rules_cannot_transpose():
    """diagof of a non-square matrix and unvec of a wrong-sized or non-vector operand are shape
    errors (unvec(x, 2, 4) with 6 entries was accepted, and `--at` then failed inside)."""
    x, m = var("x", (sp.Integer(6), ONE)), var("M", (sp.Integer(2), sp.Integer(3)))
    with pytest.raises(ShapeError, match="square"):
        build("diagof", m)
    with pytest.raises(ShapeError, match="8 entries"):
        build("unvec", x, data=(sp.Integer(2), sp.Integer(4)))
    with pytest.raises(ShapeError, match="6 entries"):
        build("unvec", m, data=(sp.Integer(2), sp.Integer(3)))
    assert build("unvec", x, data=(sp.Integer(2), sp.Integer(3))).shape == (2, 3)
