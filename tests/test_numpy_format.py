"""`--format numpy` per SPEC §4 beyond the identity table: componentwise results, vjp and jvp,
every layout. The line is evaluated with vectors 1-D, matrices 2-D, scalars floats, dims bound."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc

rng = np.random.default_rng(5)


def ev(line: str, **values: object) -> np.ndarray:
    assert "\n" not in line
    return np.asarray(eval(line, {"np": np, **values}), dtype=float)


F = "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]"
AT = {"x1": 1.0, "x2": 2.0, "x3": 3.0}
J_AT = np.array([[3, 8, 3], [3, 8, 27], [2, 12, 18]])  # F's Jacobian at x = [1, 2, 3], by hand


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_componentwise_family(layout):
    got = ev(matcalc.jacobian(F, wrt="x", layout=layout).numpy(), **AT)
    assert np.allclose(got, J_AT.T if layout == "denominator" else J_AT)
    exact = matcalc.jacobian(F, wrt="x", layout=layout, at={"x": [1, 2, 3]}).value
    assert np.allclose(np.array(exact.tolist(), dtype=float), got)


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_componentwise_gradient_is_1d(layout):
    line = matcalc.grad("x1**3+2*x2**2+3*x3", wrt="x", layout=layout).numpy()
    assert ev(line, **AT).shape == (3,)


def test_expanded_declared_vector_uses_indexing():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:2", "A:2,2"], expand=True)
    x, A = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "x[0]" in r.numpy()
    assert np.allclose(ev(r.numpy(), x=x, A=A), (A + A.T) @ x)


def test_vjp_and_jvp_matrix_level():
    W, x, u, d = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4), rng.normal(size=3)
    let = ["W:m,n", "x:n", "u:m", "d:n"]
    h = np.tanh(W @ x)
    vjp = ev(matcalc.vjp("tanh(W*x)", wrt="x", v="u", let=let).numpy(), W=W, x=x, u=u, m=4, n=3)
    jvp = ev(matcalc.jvp("tanh(W*x)", wrt="x", v="d", let=let).numpy(), W=W, x=x, d=d, m=4, n=3)
    J = (1 - h**2)[:, None] * W
    assert np.allclose(vjp, u @ J) and vjp.shape == (3,)
    assert np.allclose(jvp, J @ d) and jvp.shape == (4,)
    vjp_w = ev(matcalc.vjp("tanh(W*x)", wrt="W", v="u", let=let).numpy(), W=W, x=x, u=u, m=4, n=3)
    assert vjp_w.shape == (4, 3) and np.allclose(vjp_w, np.outer(u * (1 - h**2), x))


def test_vjp_componentwise_literal_v():
    line = matcalc.vjp(F, wrt="x", v="3,2,1").numpy()
    assert np.allclose(ev(line, **AT), [17, 52, 81])
    line = matcalc.jvp(F, wrt="x", v="1,0,0").numpy()
    assert np.allclose(ev(line, **AT), [3, 3, 2])


def test_hessian_and_scalar_results():
    line = matcalc.hessian("x.T*A*x", wrt="x", let=["x:n", "A:n,n"]).numpy()
    A = rng.normal(size=(3, 3))
    assert np.allclose(ev(line, A=A, x=np.ones(3), n=3), A + A.T)
    line = matcalc.grad("t**3*sin(t)", wrt="t").numpy()
    assert np.isclose(ev(line, t=0.5), 3 * 0.25 * np.sin(0.5) + 0.125 * np.cos(0.5))


from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .conftest import random_values, reference  # noqa: E402
from .strategies import LET, expr  # noqa: E402


@settings(
    max_examples=int(__import__("os").environ.get("MATCALC_NUMPY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    st.one_of(
        st.tuples(st.just("grad"), expr("scal"), st.sampled_from(["x", "A", "t"])),
        st.tuples(st.just("jacobian"), expr("vec"), st.just("x")),
        st.tuples(st.just("hessian"), expr("scal", depth=1), st.just("x")),
    ),
    st.sampled_from(["mixed", "numerator", "denominator"]),
    st.integers(0, 2**32 - 1),
)
def test_generated_numpy_lines(case, layout, seed):
    """The line, evaluated, is the derivative autograd finds on the tests' own NumPy reading of
    the expression, in the layout's shape (vectors 1-D)."""
    pytest.importorskip("autograd")
    kind, e, wrt = case
    r = getattr(matcalc, kind)(e, wrt=wrt, let=LET, layout=layout)
    values, dims = random_values(LET, np.random.default_rng(seed), scalars=("t",))
    want = reference(kind, e, wrt, values, layout)
    assume(np.all(np.isfinite(want)))  # autograd's nan at a kink (‖x − x‖), where 0 is right
    got = ev(r.numpy(), **values, **dims)
    assert got.shape == want.shape, (e, r.numpy())
    assert np.allclose(got, want, rtol=1e-8, atol=1e-9), (e, r.numpy())


ONES_ROW = {  # results whose numerator layout holds 𝟏ᵀ M with M not square: the axis matters
    "sum(X*w)": ("w", lambda X, w, W, v, A: np.sum(X @ w)),
    "sum(X*W*v)": ("v", lambda X, w, W, v, A: np.sum(X @ W @ v)),
    "sum(A*X*w)": ("w", lambda X, w, W, v, A: np.sum(A @ X @ w)),
    "sum(X*w) + w'*w": ("w", lambda X, w, W, v, A: np.sum(X @ w) + w @ w),
}


@pytest.mark.parametrize("expr", ONES_ROW)
def test_ones_row_times_matrix_in_numerator_layout(expr):
    """𝟏ᵀ M prints as the column sums of M (axis 0): its value and shape against central
    differences of the tests' own NumPy, with every dimension different."""
    wrt, f = ONES_ROW[expr]
    sizes = {"m": 4, "n": 3, "k": 2, "p": 5}
    let = ["X:m,n", "w:n", "W:n,k", "v:k", "A:p,m"]
    r = matcalc.grad(expr, wrt=wrt, let=let, layout="numerator")
    assert "𝟏ᵀ" in r.text()
    g = np.random.default_rng(11)
    values = {
        "X": g.normal(size=(4, 3)),
        "w": g.normal(size=3),
        "W": g.normal(size=(3, 2)),
        "v": g.normal(size=2),
        "A": g.normal(size=(5, 4)),
    }
    h, x0 = 1e-6, values[wrt]
    want = np.array(
        [
            (f(**{**values, wrt: x0 + d}) - f(**{**values, wrt: x0 - d})) / (2 * h)
            for d in h * np.eye(x0.size)
        ]
    )
    got = ev(r.numpy(), **values, **sizes)
    assert got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-8), r.numpy()
