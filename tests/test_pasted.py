"""Formulas pasted from papers and from NumPy (SPEC §7.8): each form as pasted, its value checked
against NumPy written here, and the power it used to be when a variable T is declared."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError

RNG = np.random.default_rng(23)
N = 3


def signed(*shape):
    return RNG.uniform(0.3, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)


ENV = {
    "x": signed(N),
    "a": signed(N),
    "b": signed(N),
    "A": signed(N, N),
    "X": signed(N, N) + 3 * np.eye(N),
    "n": N,
    "k": 4,
}
LET = ["x:n", "a:n", "b:n", "A:n,n", "X:n,n"]
inv = np.linalg.inv

FORMS = [
    ("x^T A x", lambda x, A, **_: x @ A @ x),
    ("x^{T} A x", lambda x, A, **_: x @ A @ x),
    ("x^\\top A x", lambda x, A, **_: x @ A @ x),
    ("x^{\\top} A x", lambda x, A, **_: x @ A @ x),
    ("a^T X^{-T} b", lambda a, b, X, **_: a @ inv(X).T @ b),
    ("a^T X^{-1} b", lambda a, b, X, **_: a @ inv(X) @ b),
    ("a^T X^2 b", lambda a, b, X, **_: a @ X @ X @ b),
    ("a^T X^{3} b", lambda a, b, X, **_: a @ X @ X @ X @ b),
    ("A^T x", lambda x, A, **_: A.T @ x),
    ("||x||", lambda x, **_: np.linalg.norm(x)),
    ("||x||_2", lambda x, **_: np.linalg.norm(x)),
    ("||X||_F", lambda X, **_: np.sqrt((X**2).sum())),
    ("||x||_1", lambda x, **_: np.abs(x).sum()),
    ("||x||^2", lambda x, **_: x @ x),
    ("||x||_2^2", lambda x, **_: x @ x),
    ("||x - a||_2", lambda x, a, **_: np.linalg.norm(x - a)),
    ("(x - a)/||x - a||_2", lambda x, a, **_: (x - a) / np.linalg.norm(x - a)),
    ("ln|det(X)|", lambda X, **_: np.log(abs(np.linalg.det(X)))),
    ("‖x‖₂ + ‖x‖_1", lambda x, **_: np.linalg.norm(x) + np.abs(x).sum()),
    ("exp|x[1]|", lambda x, **_: np.exp(abs(x[0]))),
    ("a^T X^k b", lambda a, b, X, k, **_: a @ np.linalg.matrix_power(X, k) @ b),
    ("a^T X^n b", lambda a, b, X, n, **_: a @ np.linalg.matrix_power(X, n) @ b),  # the Cookbook's
]


def value(r, **env):
    return np.asarray(eval(r.numpy(), {"np": np, **env}), dtype=float)  # the SPEC's recipe


@pytest.mark.parametrize(("text", "reference"), FORMS, ids=[f[0] for f in FORMS])
def test_a_pasted_form_has_its_value(text, reference):
    r = matcalc.show(text, let=LET)
    assert np.allclose(value(r, **ENV), reference(**ENV))
    back = matcalc.show(r.text(), let=LET)  # what is printed reads back
    assert np.allclose(value(back, **ENV), reference(**ENV))


LATEX_LET = [*LET, "mu:n"]
LATEX_ENV = {**ENV, "mu": signed(N)}
LATEX_FORMS = [  # `--input latex`, as papers write it (SPEC §2, §7.8)
    (r"\log|\det(X)|", lambda X, **_: np.log(abs(np.linalg.det(X)))),
    (r"\ln |\det X|", lambda X, **_: np.log(abs(np.linalg.det(X)))),
    (r"\log\left|\det X\right|", lambda X, **_: np.log(abs(np.linalg.det(X)))),
    (r"\log|x^\top a|^2", lambda x, a, **_: np.log(abs(x @ a)) ** 2),  # as `ln|t|^2` in text
    (r"\boldsymbol{\mu}^\top A \boldsymbol{\mu}", lambda mu, A, **_: mu @ A @ mu),
    (r"\bm{x}^\top A \bm{\mu}", lambda x, A, mu, **_: x @ A @ mu),
    (r"x^\intercal A x", lambda x, A, **_: x @ A @ x),
    (r"a^\top X^{-\intercal} b", lambda a, b, X, **_: a @ inv(X).T @ b),
    (r"x^{\mathsf{T}} A x", lambda x, A, **_: x @ A @ x),
    (r"x^\mathsf{T} A b", lambda x, A, b, **_: x @ A @ b),
    (r"\tfrac{1}{2} x^\top x", lambda x, **_: x @ x / 2),
    (r"\dfrac{x^\top a}{x^\top x}", lambda x, a, **_: (x @ a) / (x @ x)),
    (r"\bm{1}^\top x", lambda x, **_: np.sum(x)),
]


@pytest.mark.parametrize(("latex", "reference"), LATEX_FORMS, ids=[f[0] for f in LATEX_FORMS])
def test_a_pasted_latex_form_has_its_value(latex, reference):
    r = matcalc.show(latex, let=LATEX_LET, input="latex")
    assert np.allclose(value(r, **LATEX_ENV), reference(**LATEX_ENV))
    for back in (
        matcalc.show(r.latex(), let=LATEX_LET, input="latex"),
        matcalc.show(r.text(), let=LATEX_LET),
    ):
        assert np.allclose(value(back, **LATEX_ENV), reference(**LATEX_ENV))


def test_the_gradient_of_a_pasted_log_abs_det_is_the_inverse_transpose():
    r = matcalc.grad(r"\log|\det(X)|", wrt="X", let=LET, input="latex")
    assert np.allclose(value(r, **ENV), inv(ENV["X"]).T)


def test_a_styled_name_that_is_not_a_name_is_an_error_at_its_command():
    with pytest.raises(MatcalcError, match=r"cannot read \\boldsymbol\{\\mu\+1\}") as err:
        matcalc.show(r"x + \boldsymbol{\mu+1}", let=LATEX_LET, input="latex")
    assert err.value.pos == 4


def test_the_gradient_of_a_pasted_quadratic_form():
    r = matcalc.grad("x^T A x", wrt="x", let=LET)
    x, A = ENV["x"], ENV["A"]
    assert np.allclose(value(r, **ENV), (A + A.T) @ x)


@pytest.mark.parametrize("power", ["k", "n"])
def test_the_cookbook_power_form_by_x(power):
    """∂(aᵀXᵏb)/∂X = Σᵣ (Xʳ)ᵀ a bᵀ (Xᵏ⁻¹⁻ʳ)ᵀ (the Matrix Cookbook, eq. 91), a symbolic integer
    power, against central differences of NumPy's matrix_power."""
    r = matcalc.grad(f"a^T X^{power} b", wrt="X", let=LET)
    a, b, X, k = ENV["a"], ENV["b"], ENV["X"], ENV[power]
    f = lambda Y: a @ np.linalg.matrix_power(Y, k) @ b  # noqa: E731
    fd = np.zeros_like(X)
    for i in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[i] = 1e-6
        fd[i] = (f(X + e) - f(X - e)) / 2e-6
    assert np.allclose(value(r, **ENV), fd, rtol=1e-6, atol=1e-6)


def test_a_declared_T_keeps_the_power():
    """With a variable T, `^T` is a power as before: a vector exponent is refused."""
    with pytest.raises(MatcalcError, match="an exponent must be a scalar"):
        matcalc.show("x^T", let=["x:n", "T:n"])
    with pytest.raises(MatcalcError, match=r"\*\* needs a scalar or a square matrix"):
        matcalc.show("x^T", let=["x:T"])  # a dimension named T: a power too


def test_a_scalar_to_the_T_is_its_transpose_unless_T_is_declared():
    """SPEC §7.8: `^T` is the transpose unless a variable named T is declared — of a scalar too
    (tᵀ = t); the power by an undeclared scalar T is written t**T, and prints so."""
    r = matcalc.show("t^T")
    assert r.text() == "tᵀ"
    assert np.isclose(value(r, t=1.5), 1.5)
    r = matcalc.show("t**T")
    assert r.text() == "t**T"
    assert np.isclose(value(r, t=1.5, T=2.0), 1.5**2.0)
    r = matcalc.show("t^T", let=["T:1"])
    assert np.isclose(value(r, t=1.5, T=2.0), 1.5**2.0)


AT_LET = ["x:n", "y:n", "A:n,m", "B:m,n", "b:m", "C:m,p", "D:p,n", "d:p", "S:n,n"]
AT_ENV = {
    "x": signed(3),
    "y": signed(3),
    "A": signed(3, 2),
    "B": signed(2, 3),
    "b": signed(2),
    "C": signed(2, 4),
    "D": signed(4, 3),
    "d": signed(4),
    "S": signed(3, 3),
    "n": 3,
    "m": 2,
    "p": 4,
}
AT_FORMS = [
    ("x @ A", lambda x, A, **_: x @ A),
    ("x @ y", lambda x, y, **_: x @ y),
    ("x @ S @ x", lambda x, S, **_: x @ S @ x),
    ("(B @ x + b) @ C @ (D @ x + d)", lambda x, B, b, C, D, d, **_: (B @ x + b) @ C @ (D @ x + d)),
    ("S @ x", lambda x, S, **_: S @ x),
    ("x @ y.T", lambda x, y, **_: np.outer(x, y)),
    ("x * y.T", lambda x, y, **_: np.outer(x, y)),
]


@pytest.mark.parametrize(("text", "reference"), AT_FORMS, ids=[f[0] for f in AT_FORMS])
def test_numpy_at_treats_a_vector_on_the_left_as_a_row(text, reference):
    r = matcalc.show(text, let=AT_LET)
    assert np.allclose(value(r, **AT_ENV).ravel(), np.ravel(reference(**AT_ENV)))
    back = matcalc.show(r.text(), let=AT_LET)
    assert np.allclose(value(back, **AT_ENV).ravel(), np.ravel(reference(**AT_ENV)))


def test_the_gradient_of_a_numpy_bilinear_form():
    r = matcalc.grad("(B @ x + b) @ C @ (D @ x + d)", wrt="x", let=AT_LET)
    x, B, b, C, D, d = (AT_ENV[k] for k in "xBbCDd")
    assert np.allclose(value(r, **AT_ENV), B.T @ C @ (D @ x + d) + D.T @ C.T @ (B @ x + b))


def test_star_keeps_its_meaning_for_a_vector_on_the_left():
    with pytest.raises(MatcalcError, match="shape mismatch in product"):
        matcalc.show("x * A", let=AT_LET)


MAX_LET = ["X:N,n", "w:n", "y:N", "x:n", "a:n"]
MAX_ENV = {
    "X": signed(5, 3),
    "w": signed(3),
    "y": signed(5),
    "x": signed(3),
    "a": signed(3),
    "b": 0.3,
    "t": -0.8,
    "N": 5,
    "n": 3,
}
MAX_FORMS = [
    ("max(0, X*w + b)", lambda X, w, b, **_: np.maximum(0, X @ w + b)),
    ("max(X*w + b, 0)", lambda X, w, b, **_: np.maximum(X @ w + b, 0)),
    ("min(0, x)", lambda x, **_: np.minimum(0, x)),
    ("max(x, a)", lambda x, a, **_: np.maximum(x, a)),
    ("min(x, a)", lambda x, a, **_: np.minimum(x, a)),
    ("maximum(t, x)", lambda t, x, **_: np.maximum(t, x)),
    ("min(t, 2)", lambda t, **_: min(t, 2)),
    (
        "1/N * sum((y - max(0, X*w + b)).^2)",
        lambda X, w, b, y, N, **_: np.sum((y - np.maximum(0, X @ w + b)) ** 2) / N,
    ),
]


@pytest.mark.parametrize(("text", "reference"), MAX_FORMS, ids=[f[0] for f in MAX_FORMS])
def test_two_argument_max_and_min_are_entrywise(text, reference):
    r = matcalc.show(text, let=MAX_LET)
    assert np.allclose(value(r, **MAX_ENV), reference(**MAX_ENV))
    back = matcalc.show(r.text(), let=MAX_LET)
    assert np.allclose(value(back, **MAX_ENV), reference(**MAX_ENV))


def test_max_with_zero_prints_as_relu():
    assert matcalc.show("max(0, X*w + b)", let=MAX_LET).text() == "relu(X w + b 𝟏)"


def test_the_gradient_of_max_is_the_indicator_of_the_winning_side():
    r = matcalc.grad("sum(max(x, a) .* y2)", wrt="x", let=["x:n", "a:n", "y2:n"])
    x, a, y2 = MAX_ENV["x"], MAX_ENV["a"], signed(3)
    assert np.allclose(value(r, x=x, a=a, y2=y2, n=3), (x > a) * y2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "maximum(x)",
            "maximum(a, b) is entrywise and takes 2 arguments; for the largest entry write max(x)",
        ),
        ("min(x, a, 1)", "min(a, b) takes 2 arguments, got 3"),
        ("max(x, X*w)", "max(a, b) takes two of one shape (or a scalar), got n (vector) and N"),
    ],
)
def test_max_misused_is_a_user_error(text, message):
    with pytest.raises(MatcalcError, match=re.escape(message)) as err:
        matcalc.show(text, let=MAX_LET)
    assert err.value.pos == 0


SYMPY_FORMS = [
    ("Trace(TensorProduct(X, A))", lambda X, A, **_: np.trace(np.kron(X, A))),
    ("sum(HadamardProduct(X, A))", lambda X, A, **_: np.sum(X * A)),
    ("sum(OneMatrix(n, n) + X)", lambda X, **_: np.sum(np.ones((N, N)) + X)),
    ("a^T (ZeroMatrix(n, n) + X) b", lambda a, b, X, **_: a @ X @ b),
    ("a^T OneMatrix(n, 2)", lambda a, **_: a @ np.ones((N, 2))),
]


@pytest.mark.parametrize(("text", "reference"), SYMPY_FORMS, ids=[f[0] for f in SYMPY_FORMS])
def test_sympy_names_have_their_value(text, reference):
    r = matcalc.show(text, let=LET)
    assert np.allclose(value(r, **ENV).ravel(), np.ravel(reference(**ENV)))
    back = matcalc.show(r.text(), let=LET)
    assert np.allclose(value(back, **ENV).ravel(), np.ravel(reference(**ENV)))


def test_the_gradient_through_sympy_names():
    r = matcalc.grad("Trace(TensorProduct(X, X))", wrt="X", let=LET)
    X = ENV["X"]
    assert np.allclose(value(r, **ENV), 2 * np.trace(X) * np.eye(N))


def test_the_gradient_of_a_pasted_distance():
    r = matcalc.grad("||x - a||_2", wrt="x", let=LET)
    x, a = ENV["x"], ENV["a"]
    assert np.allclose(value(r, **ENV), (x - a) / np.linalg.norm(x - a))


def test_bars_inside_bars_are_still_absolute_values():
    r = matcalc.show("||t| - |u||")
    assert r.text() == "||t| - |u||"
    assert np.isclose(value(r, t=-2.0, u=0.5), 1.5)


ERRORS = [("{x}", 1), ("x}", 2), ("x^{T", 5), ("||x||_3", 6), ("‖x‖₃", 4), ("||x||_p", 6)]


@pytest.mark.parametrize(("text", "column"), ERRORS)
def test_a_brace_outside_an_exponent_is_an_error_at_its_column(text, column):
    with pytest.raises(MatcalcError) as err:
        matcalc.show(text, let=LET)
    assert err.value.pos == column - 1
