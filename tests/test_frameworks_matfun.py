"""`--format torch|jax` of the matrix and special functions (SPEC §7.2, §7.4): the code of
`expm`, `logm`, `sqrtm`, their Fréchet derivatives and SciPy's `solve_sylvester` in each
framework (render/backends.py), run away from the identity — an SPD matrix with a spread
spectrum, a non-normal matrix with complex eigenvalues — and checked against the tests' own
SciPy: the value, the gradient by central finite differences, and the Hessian-vector product
(second Fréchet derivatives) by differences of the gradient SciPy computes from its own block
matrix. Every spec row of tests/op_specs.py runs in tests/test_frameworks.py; this file covers
the points those rows, near the identity, do not reach."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.linalg

import matcalc

from . import oracle
from .alarm import time_limit

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
jax = pytest.importorskip("jax", reason="JAX is not installed (pip install jax jaxlib)")
jax.config.update("jax_enable_x64", True)

LET = ["A:n,n", "G:n,n"]
SCIPY = {"expm": scipy.linalg.expm, "logm": scipy.linalg.logm, "sqrtm": scipy.linalg.sqrtm}


def _f(name: str, a: np.ndarray) -> np.ndarray:
    return np.real(SCIPY[name](a))


def _frechet(name: str, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """L_f(A, E): the top right block of f([[A, E], [0, A]]) (Higham §3.2), by SciPy."""
    n = len(a)
    return _f(name, np.block([[a, e], [np.zeros((n, n)), a]]))[:n, n:]


def _spd(n: int, rng) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q @ np.diag(np.geomspace(0.2, 8.0, n)) @ q.T


def _non_normal(n: int, rng) -> np.ndarray:
    """Eigenvalues 1 ± 1.5i (and 2 where n is odd), eigenvectors far from orthogonal."""
    d = np.eye(n) * 1.0
    for k in range(0, n - 1, 2):
        d[k, k + 1], d[k + 1, k] = -1.5, 1.5
    if n % 2:
        d[-1, -1] = 2.0
    s = np.eye(n) + 0.4 * rng.normal(size=(n, n))
    return s @ d @ np.linalg.inv(s)


POINTS = {"spd": _spd, "non-normal": _non_normal}


def _module(source: str):
    namespace: dict[str, object] = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # matcalc's generated module
    return next(v for k, v in namespace.items() if k.startswith("f_and_"))


def _run(framework: str, fn, env: dict) -> list[np.ndarray]:
    names = list(inspect.signature(fn).parameters)
    if framework == "torch":
        out = fn(*(torch.tensor(env[p], dtype=torch.float64) for p in names))
    else:  # sizes come from the arrays' shapes: nothing static
        out = jax.jit(fn)(*(jax.numpy.asarray(env[p]) for p in names))
    return [np.asarray(o, dtype=float) for o in out]


@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("name", sorted(SCIPY))
@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_matrix_function_gradient_and_hvp(framework: str, name: str, point: str):
    """tr(Gᵀ f(A)): value, gradient (FD of SciPy's f) and H U (differences of SciPy's gradient
    L_f(Aᵀ, G)), for f = expm, logm, sqrtm, in the framework's generated code."""
    rng = np.random.default_rng(sorted(SCIPY).index(name) * 10 + sorted(POINTS).index(point))
    n = 5
    a = POINTS[point](n, rng)
    if name == "expm":
        a = a / 2
    g, u = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    expr = f"tr(G'*{name}(A))"
    grad_src = matcalc.grad(expr, wrt="A", let=LET).python(framework)
    hvp_src = matcalc.hvp(expr, wrt="A", v="U", let=[*LET, "U:n,n"]).python(framework)

    def value(x):
        return np.trace(g.T @ _f(name, x))

    def gradient(x):
        return _frechet(name, x.T, g)

    h = 1e-5
    want_hvp = (gradient(a + h * u) - gradient(a - h * u)) / (2 * h)
    want_grad = oracle.unvec(oracle.fd_jacobian(value, a)[0], (n, n))
    with time_limit(120):
        got_value, got_grad = _run(framework, _module(grad_src), {"A": a, "G": g})
        got_value2, got_hvp = _run(framework, _module(hvp_src), {"A": a, "G": g, "U": u})
    assert np.isclose(got_value, value(a), rtol=1e-9) and np.isclose(got_value2, value(a))
    ok, why = oracle.compare(got_grad, want_grad, 1e-6)
    assert ok, f"{framework} gradient of {expr} at the {point} point: {why}\n{grad_src}"
    ok, why = oracle.compare(got_grad, gradient(a), 1e-9)
    assert ok, f"{framework} gradient of {expr} against SciPy's block matrix: {why}"
    ok, why = oracle.compare(got_hvp, want_hvp, 1e-5)
    assert ok, f"{framework} H U of {expr} at the {point} point: {why}\n{hvp_src}"


def test_front_page_example_under_jit(cli):
    """`matcalc grad "tr(G'*expm(A))" … --format jax`: the module runs under jax.jit, and its
    value and gradient are SciPy's expm and the FD gradient of it."""
    code, source, err = cli(
        "grad", "tr(G'*expm(A))", "--let", "A:n,n", "--let", "G:n,n", "--wrt", "A", "-f", "jax"
    )
    assert (code, err) == (0, "")
    assert "scipy" not in source.replace("jax.scipy", "")  # no SciPy import in JAX code
    rng = np.random.default_rng(11)
    a, g = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    with time_limit(120):
        value, grad = _run("jax", _module(source), {"A": a, "G": g})
    assert np.isclose(value, np.trace(g.T @ scipy.linalg.expm(a)), rtol=1e-12)
    want = oracle.fd_jacobian(lambda x: np.trace(g.T @ scipy.linalg.expm(x)), a)[0]
    ok, why = oracle.compare(grad, oracle.unvec(want, (4, 4)), 1e-7)
    assert ok, why


def test_torch_helpers_stay_on_the_autograd_graph():
    """The torch helpers (Denman–Beavers sqrtm, inverse scaling and squaring logm) are torch
    operations: autograd of the returned value is the returned gradient."""
    rng = np.random.default_rng(12)
    a, g = _spd(4, rng), rng.normal(size=(4, 4))
    for name in ("sqrtm", "logm", "expm"):
        fn = _module(matcalc.grad(f"tr(G'*{name}(A))", wrt="A", let=LET).python("torch"))
        at = torch.tensor(a, requires_grad=True)
        value, grad = fn(at, torch.tensor(g))
        (auto,) = torch.autograd.grad(value, at)
        assert np.allclose(auto.numpy(), grad.detach().numpy(), rtol=1e-7, atol=1e-9), name


def test_helpers_once_under_fresh_names():
    """sqrtm and logm in one expression: each helper defined once (logm's calls sqrtm's), under
    a name fresh against a user's variable called _sqrtm; the result is SciPy's."""
    expr = "tr(G'*sqrtm(A)) + tr(_sqrtm'*logm(A))"
    let = [*LET, "_sqrtm:n,n"]
    rng = np.random.default_rng(13)
    a, g, s = _spd(3, rng), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    want = np.trace(g.T @ _f("sqrtm", a)) + np.trace(s.T @ _f("logm", a))
    want_grad = _frechet("sqrtm", a.T, g) + _frechet("logm", a.T, s)
    for framework in ("torch", "jax"):
        source = matcalc.grad(expr, wrt="A", let=let).python(framework)
        assert source.count("def _sqrtm_1(") == 1
        assert source.count("def _logm(") == 1 and "def _sqrtm(" not in source
        value, grad = _run(framework, _module(source), {"A": a, "G": g, "_sqrtm": s})
        assert np.isclose(value, want, rtol=1e-9), framework
        assert np.allclose(grad, want_grad, rtol=1e-8, atol=1e-10), framework
