"""`--format numpy` per SPEC §4 beyond the identity table: componentwise results, vjp and jvp,
every layout. The line is evaluated with vectors 1-D, matrices 2-D, scalars floats, dims bound."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import matcalc

rng = np.random.default_rng(5)


def ev(line: str, **values: object) -> np.ndarray:
    assert "\n" not in line
    return np.asarray(eval(line, {"np": np, **values}), dtype=float)


def exact(r) -> np.ndarray:
    v = r.value
    return (
        np.array([float(e) for e in v], dtype=float).reshape(v.shape)
        if isinstance(v, sp.MatrixBase)
        else np.array(float(v))
    )


F = "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]"
AT = {"x1": 1.0, "x2": 2.0, "x3": 3.0}


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_componentwise_family(layout):
    r = matcalc.jacobian(F, wrt="x", layout=layout, at={"x": [1, 2, 3]})
    got = ev(matcalc.jacobian(F, wrt="x", layout=layout).numpy(), **AT)
    assert np.allclose(got, exact(r))


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
