"""Componentwise derivatives: the source's examples exactly, and every function of SPEC §2."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import matcalc
from matcalc.evaluate.numeric import evaluate
from matcalc.reader import parse

from .op_specs import ROWS, references

F = "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]"
x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)


def test_source_gradient():
    r = matcalc.grad("x1**3+2*x2**2+3*x3", wrt="x")
    assert r.expr == sp.ImmutableMatrix([3 * x1**2, 4 * x2, 3])
    assert r.text() == "[3 x1², 4 x2, 3]"  # SPEC §4 v2: `[a, b, c]` is a column
    assert r.shape == (3, 1)


def test_source_jacobian():
    r = matcalc.jacobian(F, wrt="x")
    want = sp.ImmutableMatrix(
        [[3 * x1**2, 4 * x2, 3], [3, 4 * x2, 3 * x3**2], [2, 3 * x2**2, 6 * x3]]
    )
    assert r.expr == want
    assert r.shape == (3, 3)


def test_source_vjp_is_17_52_81():
    r = matcalc.vjp(F, wrt="x", v="3,2,1", at={"x": [1, 2, 3]}, check=True)
    assert list(r.value) == [17, 52, 81]
    assert r.check_ok


def test_jvp_is_j_times_v():
    r = matcalc.jvp(F, wrt="x", v="1,0,0", at={"x": [1, 2, 3]})
    assert list(r.value) == [3, 3, 2]


@pytest.mark.parametrize("spelling", ["x1*x2 + x2**2", "x_1*x_2 + x_2**2", "x[1]*x[2] + x[2]**2"])
def test_family_spellings(spelling):
    r = matcalc.grad(spelling, wrt="x", at={"x": [1, 2]})
    assert list(r.value) == [2, 5]


def test_wrt_list_order():
    r = matcalc.grad("a*b**2", wrt="b,a", at={"a": 3, "b": 2})
    assert list(r.value) == [12, 4]


def test_wrt_absent_is_zero():
    assert matcalc.grad("y**2", wrt="t").expr == 0
    r = matcalc.grad("y**2", wrt="x", let=["x:n"])
    assert r.text() == "0" and r.shape == ("n", 1)


@pytest.mark.parametrize(
    "layout,shape", [("mixed", (3, 2)), ("numerator", (3, 2)), ("denominator", (2, 3))]
)
def test_jacobian_layouts(layout, shape):
    r = matcalc.jacobian("[x1*x2, x1**2, x2]", wrt="x", layout=layout, check=True)
    assert r.shape == shape and r.check_ok


@pytest.mark.parametrize(
    "layout,shape", [("mixed", (2, 1)), ("numerator", (1, 2)), ("denominator", (2, 1))]
)
def test_gradient_layouts(layout, shape):
    r = matcalc.grad("x1*x2**2", wrt="x", layout=layout, check=True)
    assert r.shape == shape and r.check_ok


def test_vector_by_scalar_layouts():
    assert matcalc.jacobian("[t**2, sin(t)]", wrt="t").shape == (2, 1)
    assert matcalc.jacobian("[t**2, sin(t)]", wrt="t", layout="denominator").shape == (1, 2)


FUNCTIONS = [
    "sin(x1)*cos(x2)",
    "tan(x1) + exp(x2)",
    "log(x1) + sqrt(x2)",
    "tanh(x1*x2)",
    "sigmoid(x1) + softplus(x2)",
    "abs(x1 - 3) + relu(x2)",
    "x1**x2",
    "x1/x2",
    "pi*x1 + e**x2",
    "tr([[x1, x2], [x2, x1]])",
    "det([[x1, x2], [1, x1]])",
    "logdet([[x1+2, x2], [0, x1+2]])",
    "sum(inv([[x1+2, x2], [0, 1]]))",
    "sum(diag([x1, x2]))",
    "sum(diag([[x1, 1], [2, x2]]))",
    "norm2([x1, x2])",
    "norm2([[x1, x2], [1, 2]])",
    "dot([x1, x2], [x2, 3])",
    "sum(hadamard([x1, x2], [x2, x1]))",
    "sum(kron([x1, x2], [x2, 1]))",
    "sum(softmax([x1, x2]))*x1",
    "logsumexp([x1, x2])",
    "[x1, x2].T*[[1, 2], [3, 4]]*[x1, x2]",
    "tr([[x1, 1], [0, x2]]**3)",
]


# The lines above are by hand: each matrix operator on a literal inside its domain. Every
# elementwise entry of the registry is added from its reference row's domain (a new entry
# enters with no edit here).
_ARGUMENT = {"all": "x1*x2", "positive": "x1**2 + x2**2 + 1", "bounded": "x1*x2/8"}
ENTRYWISE = [f"{row.id}({_ARGUMENT[row.domain]}) + x2" for row in references(ROWS).values()]


@pytest.mark.parametrize("expr", FUNCTIONS + ENTRYWISE)
def test_every_function_componentwise(expr):
    r = matcalc.grad(expr, wrt="x", check=True)
    assert r.check_ok, (expr, r.check_error)


@pytest.mark.parametrize("expr", FUNCTIONS[:12])
def test_hessians_componentwise(expr):
    r = matcalc.hessian(expr, wrt="x", check=True)
    assert r.check_ok, (expr, r.check_error)


def test_expand_declared_integer_sizes():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:2", "A:2,2"], expand=True, check=True)
    assert r.engine == "components" and r.check_ok
    assert r.shape == (2, 1)
    assert "A[1,2]" in r.text()


def test_symmetric_componentwise_matches_matrix_level():
    let = ["S:2,2,sym", "a:2", "b:2"]
    comp = matcalc.grad(
        "a.T*S*b",
        wrt="S",
        let=let,
        expand=True,
        at={"S": "[[2,1],[1,3]]", "a": "[1,2]", "b": "[3,5]"},
    )
    mat = matcalc.grad(
        "a.T*S*b", wrt="S", let=let, at={"S": "[[2,1],[1,3]]", "a": "[1,2]", "b": "[3,5]"}
    )
    assert comp.value == mat.value
    assert comp.value == sp.ImmutableMatrix([[3, sp.Rational(11, 2)], [sp.Rational(11, 2), 10]])


def test_exact_values_are_exact():
    r = matcalc.grad("x1**2/3", wrt="x", at={"x": "[1/2]"})
    assert r.value == sp.Rational(1, 3)  # a 1×1 result is a scalar everywhere


def _roundtrip_values(r, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    back = parse(r.text()).node
    want = np.asarray(evaluate(r.node, values), dtype=float)
    got = np.asarray(evaluate(back, values), dtype=float)
    return want, got


@pytest.mark.parametrize("kind", ["grad", "hessian"])
@pytest.mark.parametrize("expr", FUNCTIONS + ENTRYWISE)
def test_text_is_input(expr, kind):
    """SPEC §4 v2: the text of any result is valid input, and parsed back it has the same value
    (same shape too: a list of two entries is a 2-vector, not an index)."""
    r = getattr(matcalc, kind)(expr, wrt="x")
    if r.text() == "0":
        return  # a zero of any shape prints as 0 (test_wrt_absent_is_zero)
    want, got = _roundtrip_values(r, {"x1": 0.7, "x2": 1.3})
    assert got.shape == want.shape and np.allclose(got, want), r.text()


FOLDED = [
    # explicit componentwise results are plain formulas in the components, as v1 printed them
    ("tr([[x1, x2], [x2, x1]])", {"[2, 0]"}),
    ("det([[x1, x2], [1, x1]])", {"[2 x1, -1]"}),
    ("[x1, x2].T*[[1, 2], [3, 4]]*[x1, x2]", {"[2 x1 + 5 x2, 5 x1 + 8 x2]"}),
    ("tr([[x1, 1], [0, x2]]**3)", {"[3 x1², 3 x2²]"}),
]


@pytest.mark.parametrize("expr,forms", FOLDED, ids=[f[0] for f in FOLDED])
def test_explicit_results_are_folded(expr, forms):
    """No entries of constant matrices (𝐈[1,1]) or of explicit products left unevaluated."""
    r = matcalc.grad(expr, wrt="x", check=True)
    assert r.check_ok and r.text() in forms, r.text()
