"""`--format torch` and `--format jax` (SPEC §7.4): for every spec row of tests/op_specs.py the
generated module is imported and run — torch on float64 tensors, JAX under `jax.jit` with x64 —
and its value and derivative compared with the hand-written NumPy reference and its finite
differences, at two points of different sizes. The derivative is the row's gradient or Jacobian
(or vjp), and, for a scalar row, also its Hessian-vector product. Skips, saying why, where a
framework is not installed (`make test` installs both, CPU builds)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import matcalc

from . import oracle
from .op_specs import ROWS, Row
from .test_ops import (
    DIMS,
    RTOL,
    RTOL_HESSIAN,
    Case,
    cases_of,
    expected_at,
    format_case,
    run_matcalc,
)

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
jax = pytest.importorskip("jax", reason="JAX is not installed (pip install jax jaxlib)")
jax.config.update("jax_enable_x64", True)


def _load(source: str, name: str):
    namespace: dict[str, object] = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # matcalc's generated module
    return next(v for k, v in namespace.items() if k.startswith("f_and_"))


def _to(framework: str, value: object) -> object:
    if framework == "python" or isinstance(value, float | int) or np.ndim(value) == 0:
        return value
    if framework == "torch":
        return torch.tensor(np.asarray(value, dtype=float), dtype=torch.float64)
    return jax.numpy.asarray(np.asarray(value, dtype=float))


def _call(framework: str, fn, env: dict, jit: bool = True) -> tuple:
    params = inspect.signature(fn).parameters
    args = {p: _to(framework, env[p]) for p in params}
    if framework == "jax" and jit:  # dimension names are sizes: static under jit
        static = [p for p in params if isinstance(env[p], int)]
        fn = jax.jit(fn, static_argnames=static)
    with np.errstate(all="ignore"):
        out = fn(**args)
    return tuple(np.asarray(o, dtype=float) for o in out)


def _hvp_case(row: Row) -> Case | None:
    return next((c for c in cases_of(row) if c.cmd == "hvp"), None)


def _check(framework: str, case: Case, result, jit: bool) -> None:
    """torch at two points of different sizes; JAX at the first (the same code as torch's but
    for the spelling, and compiling is most of the time this file takes), under `jax.jit` when
    `jit`, else eagerly."""
    source = result.python(framework)
    fn = _load(source, f"{case.row.id}-{framework}")
    rtol = RTOL_HESSIAN if case.cmd == "hvp" else RTOL
    for idx in range(len(DIMS)) if framework == "torch" else [0]:
        env, value, want = expected_at(case, idx)
        got_value, got = _call(framework, fn, env, jit=jit)
        ok, why = oracle.compare(got_value, value, RTOL)
        assert ok, f"{case.id}: the {framework} value at point {idx}: {why}\n{source}"
        ok, why = oracle.compare(got, want, rtol)
        assert ok, f"{case.id}: the {framework} {case.cmd} at point {idx}: {why}\n{source}"


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_generated_module_runs(row: Row, framework: str):
    case, result = format_case(row)
    try:
        result.python(framework)
    except matcalc.MatcalcError as e:  # only a SciPy call without a spelling is refused
        assert "calls SciPy" in str(e) and "scipy." in result.python(), str(e)
        pytest.skip("the code calls SciPy that has no torch/JAX spelling yet: refused (SPEC §7.2)")
    _check(framework, case, result, jit=True)
    hvp = _hvp_case(row)
    if hvp is not None:
        _check(framework, hvp, run_matcalc(hvp), jit=False)


def test_several_wrt_and_hessian():
    """One module, a gradient per name; and a Hessian, against the NumPy module's output."""
    let = ["X:m,n", "W:n,p", "b:m"]
    expr = "sum(tanh(X*W)) + b'*X*W*ones(p)"
    rng = np.random.default_rng(0)
    env = {"X": rng.normal(size=(4, 3)), "W": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    r = matcalc.grad(expr, wrt="W,b", let=let)
    h = matcalc.hessian("sum(tanh(X*w))", wrt="w", let=["X:m,n", "w:n"])
    env_h = {"X": env["X"], "w": rng.normal(size=3)}
    for res, values in ((r, env), (h, env_h)):
        want = _call("python", _load(res.python(), "numpy"), values)
        for framework in ("torch", "jax"):
            got = _call(framework, _load(res.python(framework), framework), values)
            assert len(got) == len(want)
            for g, w in zip(got, want, strict=True):
                assert np.allclose(g, w, rtol=1e-10, atol=1e-12), (framework, res.kind)


def test_user_names_that_are_the_frameworks_own():
    """Variables named torch, jnp, np, _array, _t0: the modules alias around them (SPEC §7.4);
    the result equals the tests' own NumPy of the expression and its gradient."""
    expr = "sum(torch.^2) + jnp*_array + np*_t0*sum(torch) + [_t0, jnp]'*[[1,2],[3,4]]*[2, 1]"
    r = matcalc.grad(expr, wrt="torch", let=["torch:n"])
    rng = np.random.default_rng(3)
    env = {"torch": rng.normal(size=3), "jnp": 0.5, "_array": -1.5, "np": 2.0, "_t0": 0.25}
    env["n"] = 3
    t = env["torch"]
    pair = np.array([0.25, 0.5])
    value = (
        np.sum(t**2)
        + 0.5 * -1.5
        + 2.0 * 0.25 * np.sum(t)
        + pair @ np.array([[1, 2], [3, 4]]) @ [2, 1]
    )
    gradient = 2 * t + 2.0 * 0.25
    for framework in ("torch", "jax"):
        got_value, got = _call(framework, _load(r.python(framework), framework), env)
        assert np.isclose(got_value, value) and np.allclose(got, gradient), framework


# --------------------------------------------------------------------------- the recipes of docs/code.md

LOGISTIC = ("sum(softplus(X*w)) - y'*X*w", "w", ["X:m,n", "w:n", "y:m"])


def _logistic_np(X, w, y):
    """The tests' own NumPy of the logistic loss."""
    return np.sum(np.logaddexp(0, X @ w)) - y @ X @ w


def _logistic_data():
    rng = np.random.default_rng(4)
    return rng.normal(size=(6, 3)), rng.normal(size=3), rng.integers(0, 2, size=6).astype(float)


def test_recipe_torch_autograd_function():
    """The torch module's gradient as the backward of a torch.autograd.Function."""
    expr, wrt, let = LOGISTIC
    f_and_grad = _load(matcalc.grad(expr, wrt=wrt, let=let).python("torch"), "torch")

    class Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, X, w, y):
            value, g = f_and_grad(X, w, y)
            ctx.save_for_backward(g)
            return value

        @staticmethod
        def backward(ctx, grad_out):
            (g,) = ctx.saved_tensors
            return None, grad_out * g, None

    X, w, y = _logistic_data()
    wt = torch.tensor(w, requires_grad=True)
    loss = Loss.apply(torch.tensor(X), wt, torch.tensor(y))
    (3.0 * loss).backward()
    assert np.isclose(loss.item(), _logistic_np(X, w, y))
    want = 3.0 * oracle.fd_jacobian(lambda z: _logistic_np(X, z, y), w)[0]
    assert np.allclose(wt.grad.numpy(), want, rtol=1e-6, atol=1e-9)


def test_recipe_jax_custom_vjp():
    """The JAX module's gradient as the backward rule of a jax.custom_vjp, under jit."""
    expr, wrt, let = LOGISTIC
    f_and_grad = _load(matcalc.grad(expr, wrt=wrt, let=let).python("jax"), "jax")

    @jax.custom_vjp
    def loss(X, w, y):
        return f_and_grad(X, w, y)[0]

    def loss_fwd(X, w, y):
        value, g = f_and_grad(X, w, y)
        return value, (X, g, y)

    def loss_bwd(saved, grad_out):
        X, g, y = saved
        return jax.numpy.zeros_like(X), grad_out * g, jax.numpy.zeros_like(y)

    loss.defvjp(loss_fwd, loss_bwd)
    X, w, y = _logistic_data()
    value, g = jax.jit(jax.value_and_grad(lambda w: 3.0 * loss(X, w, y)))(w)
    assert np.isclose(float(value), 3.0 * _logistic_np(X, w, y))
    want = 3.0 * oracle.fd_jacobian(lambda z: _logistic_np(X, z, y), w)[0]
    assert np.allclose(np.asarray(g), want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_chain_and_show_modules(framework, cli):
    """`chain --format torch|jax` (every gradient from one pass) and `show` (the value alone),
    against the tests' own NumPy and its finite differences."""
    let = ["--let", "x:n", "--let", "W:n,n", "--let", "v:n"]
    steps = ["L = (y - t)^2/2", "y = v'*s", "s = W*x"]
    code, chain_src, err = cli("chain", *steps, *let, "--wrt", "W,v", "-f", framework)
    assert code == 0, err
    code, show_src, err = cli("show", "(v'*W*x - t)^2/2", *let, "-f", framework)
    assert code == 0, err
    rng = np.random.default_rng(5)
    env = {"x": rng.normal(size=3), "W": rng.normal(size=(3, 3)), "v": rng.normal(size=3)}
    env["t"] = 0.3

    def loss(x, W, v, t):
        return (v @ W @ x - t) ** 2 / 2

    value, g_w, g_v = _call(framework, _load(chain_src, "chain"), env)
    assert np.isclose(value, loss(**env))
    fd_w = oracle.fd_jacobian(lambda z: loss(env["x"], z, env["v"], 0.3), env["W"])[0]
    assert np.allclose(g_w, oracle.unvec(fd_w, (3, 3)), rtol=1e-6, atol=1e-9)
    fd_v = oracle.fd_jacobian(lambda z: loss(env["x"], env["W"], z, 0.3), env["v"])[0]
    assert np.allclose(g_v, fd_v, rtol=1e-6, atol=1e-9)
    namespace: dict = {}
    exec(compile(show_src, "<show>", "exec"), namespace)  # matcalc's generated module
    args = {k: _to(framework, env[k]) for k in inspect.signature(namespace["f"]).parameters}
    assert np.isclose(float(namespace["f"](**args)), loss(**env))


def test_jax_writes_transposed_products_as_row_products():
    """XLA on CPU copies a transposed matrix operand: JAX code writes Aᵀ x as x @ A (the other
    formats keep A.T @ x, which BLAS reads in place)."""
    r = matcalc.grad("x'*A*x", wrt="x", let=["x:n", "A:n,n"])
    assert r.python("jax").rstrip().endswith("return (x @ _t0), _t0 + (x @ A)")
    assert r.python("torch").rstrip().endswith("return (x @ _t0), _t0 + (A.T @ x)")
