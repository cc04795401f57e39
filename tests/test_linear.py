"""Every linear entry's transpose and vec rules agree with its own evaluation (issue 20, item 5).

For an operator L, linear (or affine) in operand i, at random non-square sizes with entries of
both signs: ⟨G, L(D)⟩ = ⟨Lᵀ(G), D⟩ for the entry's transpose rule, and vec(L(D)) = K vec(D)
(column-major vec) for its vec rule. The three rules are written separately in each entry, so a
wrong one (a vec rule that swaps a non-square slice's sides) disagrees with the other two here.
"""

from __future__ import annotations

import numpy as np
import pytest

import matcalc  # noqa: F401 - registers the operators
from matcalc.evaluate.numeric import evaluate
from matcalc.expr.decls import Decls
from matcalc.expr.node import Node, size
from matcalc.expr.registry import OPS, raw_mode
from matcalc.ops import var
from matcalc.reader import parse

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


def test_every_linear_entry_has_a_row():
    assert sorted(ROWS) == linear_entries(), "a linear entry needs a row in ROWS"


def _node(text: str, let: tuple[str, ...]) -> tuple[Node, Decls]:
    decls = Decls.parse(list(let))
    with raw_mode():
        return parse(text, decls, raw=True).node, decls


def _signed(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape)


def _dims(node: Node) -> tuple[int, int]:
    """The node's size as a 2-D array (a scalar is 1×1)."""
    return tuple(int(d) for d in node.shape) if node.shape else (1, 1)


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
        out = evaluate(n, {**values, "X": value})
        return np.atleast_2d(np.asarray(out, dtype=float))

    xshape = _dims(x)
    d = _signed(rng, xshape)
    image = at(d) - at(np.zeros(xshape))  # L(D), also for an operator affine in X

    g_node = var("G", n.shape, False)
    g = _signed(rng, _dims(n))
    back = OPS[op].transpose(n, g_node, i)
    lt_g = np.atleast_2d(np.asarray(evaluate(back, {**values, "G": g}), dtype=float))
    assert lt_g.shape == xshape, f"Lᵀ(G) is {lt_g.shape}, X is {xshape}"
    lhs, rhs = float(np.sum(g * image)), float(np.sum(lt_g * d))
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10), f"⟨G, L(D)⟩ = {lhs} but ⟨Lᵀ(G), D⟩ = {rhs}"

    k = size(x.shape)
    k_node = var("K", (k, k), False)
    j_node = OPS[op].vec(n, i, k_node)
    j = np.atleast_2d(np.asarray(evaluate(j_node, {**values, "K": np.eye(k)}), dtype=float))
    want = image.reshape(-1, order="F")
    got = j @ d.reshape(-1, order="F")
    assert np.allclose(got, want, rtol=1e-10, atol=1e-10), f"vec rule: {got} ≠ {want}"
