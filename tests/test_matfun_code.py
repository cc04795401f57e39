"""Generated code for matrix functions does the work once (issue 21, SPEC §7.2): one call where
one call computes several results — SciPy's expm_frechet gives expm(X) with L(X, E); eigh an
eigenvalue with its eigenvector (only that pair for lambda_max/min: a subset, not the spectrum)
— and tr(P Q) as the sum of P ⊙ Qᵀ, no product formed. The modules run with a numpy / scipy
whose other calls raise and whose calls are counted; values and gradients are compared with the
tests' own SciPy (finite differences for the gradients)."""

from __future__ import annotations

import types
from collections import Counter

import numpy as np
import pytest
import scipy.linalg

import matcalc

from .alarm import time_limit
from .oracle import fd_jacobian, unvec


def _watched(module, counts: Counter, refused: tuple[str, ...]) -> types.SimpleNamespace:
    """A copy of numpy or scipy whose linalg functions count their calls; refused ones raise."""

    def wrap(name, fn):
        def call(*args, **kwargs):
            if name in refused:
                raise AssertionError(f"the generated code called linalg.{name}")
            counts[name] += 1
            return fn(*args, **kwargs)

        return call

    linalg = types.SimpleNamespace(
        **{
            k: wrap(k, getattr(module.linalg, k)) if callable(getattr(module.linalg, k)) else None
            for k in dir(module.linalg)
            if not k.startswith("_")
        }
    )
    if module is scipy:  # no walk over SciPy's lazily loaded (and deprecated) submodules
        return types.SimpleNamespace(linalg=linalg, special=scipy.special)
    copy = types.SimpleNamespace(
        **{k: getattr(module, k) for k in dir(module) if not k.startswith("__") and k != "linalg"}
    )
    copy.linalg = linalg
    return copy


def _run(result, function: str, counts: Counter, refuse_np=(), refuse_scipy=(), **args):
    namespace: dict = {}
    exec(compile(result.python(), "<generated>", "exec"), namespace)  # matcalc's module
    fakes = {
        id(np): _watched(np, counts, refuse_np),
        id(scipy): _watched(scipy, counts, refuse_scipy),
    }
    for k, v in list(namespace.items()):
        if id(v) in fakes:
            namespace[k] = fakes[id(v)]
    with time_limit(120):
        return namespace[function](**args)


def _gradient(f, x):
    """The gradient of a scalar f at a matrix x, by the oracle's central differences."""
    return unvec(fd_jacobian(f, x).ravel(), x.shape)


def _sym(a):
    return (a + a.T) / 2


def _spd(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T / n + np.diag(np.arange(1.0, n + 1))  # eigenvalues apart


def test_expm_value_and_gradient_from_one_expm_frechet():
    r = matcalc.grad("tr(G'*expm(A))", wrt="A", let=["A:n,n", "G:n,n"])
    rng = np.random.default_rng(0)
    a, g = rng.normal(size=(5, 5)) / 2, rng.normal(size=(5, 5))
    counts: Counter = Counter()
    value, grad = _run(r, "f_and_grad", counts, refuse_scipy=("expm",), A=a, G=g)
    assert counts["expm_frechet"] == 1

    def f(x):
        return np.trace(g.T @ scipy.linalg.expm(x))

    assert np.isclose(value, f(a), rtol=1e-10)
    assert np.allclose(grad, _gradient(f, a), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("expr", "calls", "reference"),
    [  # where a member of the pair feeds the other's direction, or a second direction: 2 calls
        ("tr(expm(A)'*expm(A))", 2, lambda a, g: np.sum(scipy.linalg.expm(a) ** 2)),
        (
            "tr(G'*expm(A)) + sum(expm(A'))",
            2,
            lambda a, g: np.trace(g.T @ scipy.linalg.expm(a)) + np.sum(scipy.linalg.expm(a.T)),
        ),
    ],
)
def test_expm_sharing_stays_right(expr, calls, reference):
    r = matcalc.grad(expr, wrt="A", let=["A:n,n", "G:n,n"])
    rng = np.random.default_rng(7)
    a, g = rng.normal(size=(4, 4)) / 2, rng.normal(size=(4, 4))
    counts: Counter = Counter()
    args = {"A": a, "G": g} if "G" in expr else {"A": a}
    value, grad = _run(r, "f_and_grad", counts, **args)
    assert counts["expm_frechet"] + counts["expm"] == calls
    assert np.isclose(value, reference(a, g), rtol=1e-10)
    want = _gradient(lambda x: reference(x, g), a)
    assert np.allclose(grad, want, rtol=1e-6, atol=1e-8)


def test_expm_vjp_shares_and_expm_alone_calls_expm():
    """A vjp needs expm(A) and L(Aᵀ, V): one expm_frechet; expm(A) alone is SciPy's expm."""
    show = matcalc.show("expm(A)", let=["A:n,n"])
    assert "expm_frechet" not in show.python()
    r = matcalc.vjp("expm(A)", wrt="A", v="V", let=["A:n,n", "V:n,n"])
    rng = np.random.default_rng(1)
    a, v = rng.normal(size=(4, 4)) / 2, rng.normal(size=(4, 4))
    counts: Counter = Counter()
    value, vjp = _run(r, "f_and_vjp", counts, A=a, V=v)
    assert counts["expm_frechet"] == 1 and counts["expm"] == 0
    assert np.allclose(value, scipy.linalg.expm(a))
    want = _gradient(lambda x: np.sum(v * scipy.linalg.expm(x)), a)
    assert np.allclose(vjp, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("let", ["S:n,n,sym", "S:6,6,sym"])
@pytest.mark.parametrize("which", ["max", "min"])
def test_lambda_and_eigenvector_from_one_subset_eigh(which, let):
    r = matcalc.grad(f"lambda_{which}(S)", wrt="S", let=[let])
    s = _spd(6, 2)
    counts: Counter = Counter()
    refuse = ("eigh", "eigvalsh", "eig", "eigvals")
    value, grad = _run(r, "f_and_grad", counts, refuse_np=refuse, S=s)
    assert counts["eigh"] == 1  # scipy.linalg.eigh, with subset_by_index

    def f(x):
        w = np.linalg.eigvalsh(_sym(x))
        return w[-1] if which == "max" else w[0]

    assert np.isclose(value, f(s), rtol=1e-10)
    assert np.allclose(grad, _gradient(f, s), rtol=1e-6, atol=1e-8)


def test_lambda_max_of_an_unsymmetric_operand():
    """lambda_max of any square X's symmetric part, written out (lambda_max(X) of an X not
    symmetric by its form is refused), also in the joint call."""
    with pytest.raises(matcalc.MatcalcError, match="needs a symmetric matrix"):
        matcalc.grad("lambda_max(X)", wrt="X", let=["X:n,n"])
    r = matcalc.grad("lambda_max((X + X')/2)", wrt="X", let=["X:n,n"])
    x = _spd(5, 3) + np.triu(np.random.default_rng(4).normal(size=(5, 5)), 1)
    counts: Counter = Counter()
    value, grad = _run(r, "f_and_grad", counts, refuse_np=("eigh", "eigvalsh"), X=x)

    def f(a):
        return np.linalg.eigvalsh(_sym(a))[-1]

    assert counts["eigh"] == 1
    assert np.isclose(value, f(x), rtol=1e-10)
    assert np.allclose(grad, _gradient(f, x), rtol=1e-6, atol=1e-8)


def test_eigenvalues_and_eigenvectors_from_one_eigh():
    r = matcalc.grad("sum(eig(S).^3)", wrt="S", let=["S:n,n,sym"])
    s = _spd(5, 5)
    counts: Counter = Counter()
    value, grad = _run(r, "f_and_grad", counts, refuse_np=("eigvalsh",), S=s)
    assert counts["eigh"] == 1

    def f(x):
        return np.sum(np.linalg.eigvalsh(_sym(x)) ** 3)

    assert np.isclose(value, f(s), rtol=1e-10)
    assert np.allclose(grad, _gradient(f, s), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("expr", "line", "reference"),
    [
        ("tr(A*B)", "np.sum(A * B.T)", lambda a, b: np.trace(a @ b)),
        ("tr(A'*B)", "np.sum(A * B)", lambda a, b: np.trace(a.T @ b)),
        ("tr(A*B')", "np.sum(A * B)", lambda a, b: np.trace(a @ b.T)),
    ],
)
def test_trace_of_a_product_forms_no_product(expr, line, reference):
    r = matcalc.show(expr, let=["A:n,m", "B:m,n"] if "'" not in expr else ["A:n,m", "B:n,m"])
    assert r.numpy() == line
    rng = np.random.default_rng(6)
    a = rng.normal(size=(3, 4))
    b = rng.normal(size=(4, 3) if "'" not in expr else (3, 4))
    assert np.isclose(eval(r.numpy(), {"np": np, "A": a, "B": b}), reference(a, b))


FRAMEWORK_CASES = {  # the SciPy calls torch and JAX spell by helpers: cholesky, solve_triangular, eigh
    "vjp chol": (
        lambda: matcalc.vjp("chol(S)", wrt="S", v="V", let=["S:n,n,sym", "V:n,n"]),
        lambda s, v: np.sum(v * np.linalg.cholesky(_sym(s))),
    ),
    "grad lambda_max": (
        lambda: matcalc.grad("lambda_max(S)", wrt="S", let=["S:n,n,sym"]),
        lambda s, v: np.linalg.eigvalsh(_sym(s))[-1],
    ),
    "grad lambda_min": (
        lambda: matcalc.grad("lambda_min(S)", wrt="S", let=["S:n,n,sym"]),
        lambda s, v: np.linalg.eigvalsh(_sym(s))[0],
    ),
}


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("case", FRAMEWORK_CASES)
def test_torch_and_jax_spell_the_scipy_calls(case, framework):
    """torch and JAX modules of chol's vjp and λ's gradient run (not refused for their SciPy
    calls), and agree with finite differences of the tests' own NumPy."""
    module = pytest.importorskip(framework, reason=f"{framework} is not installed")
    make, reference = FRAMEWORK_CASES[case]
    r = make()
    namespace: dict = {}
    exec(compile(r.python(framework), "<generated>", "exec"), namespace)  # matcalc's module
    fn = next(v for k, v in namespace.items() if k.startswith("f_and_"))
    s, v = _spd(5, 8), np.random.default_rng(9).normal(size=(5, 5))
    args = {"S": s, "V": v} if "V" in fn.__code__.co_varnames else {"S": s}
    if framework == "torch":
        args = {k: module.as_tensor(a, dtype=module.float64) for k, a in args.items()}
        out = fn(**args)
    else:
        module.config.update("jax_enable_x64", True)
        out = module.jit(fn)(**{k: module.numpy.asarray(a) for k, a in args.items()})
    got = np.asarray(out[1])
    want = _gradient(lambda x: reference(x, v), s)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)
