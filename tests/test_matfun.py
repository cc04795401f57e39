"""Matrix functions and special functions (SPEC §7.2), beyond their rows in tests/op_specs.py:
the printed forms, `--steps`, the SciPy namespace of the NumPy line and of `--format python`,
the messages, and JAX's autodiff where JAX is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.linalg

import matcalc

from .alarm import time_limit

LET = ["A:n,n", "G:n,n"]


def _spd(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def test_expm_gradient_prints_the_adjoint_frechet_derivative():
    r = matcalc.grad("tr(G'*expm(A))", wrt="A", let=LET)
    assert r.text() == "expm_frechet(Aᵀ, G)"
    assert r.latex() == r"\operatorname{expm\_frechet}\left(A^{\top}, G\right)"
    assert r.numpy() == "scipy.linalg.expm_frechet(A.T, G, compute_expm=False)"


def test_expm_gradient_against_the_integral():
    """L(Aᵀ, G) = ∫₀¹ e^{sAᵀ} G e^{(1−s)Aᵀ} ds, by the tests' own Gauss–Legendre quadrature."""
    rng = np.random.default_rng(1)
    A, G = rng.normal(size=(3, 3)) * 0.7, rng.normal(size=(3, 3))
    line = matcalc.grad("tr(G'*expm(A))", wrt="A", let=LET).numpy()
    got = eval(line, {"np": np, "scipy": scipy, "A": A, "G": G, "n": 3})
    s, w = np.polynomial.legendre.leggauss(30)
    s, w = (s + 1) / 2, w / 2
    want = sum(
        wi * scipy.linalg.expm(si * A.T) @ G @ scipy.linalg.expm((1 - si) * A.T)
        for si, wi in zip(s, w, strict=True)
    )
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_steps_name_the_rule(cli):
    code, out, err = cli(
        "grad", "tr(G'*expm(A))", "--let", "A:n,n", "--let", "G:n,n", "--wrt", "A", "--steps"
    )
    assert code == 0, err
    assert "Fréchet derivative of expm" in out
    code, out, err = cli("grad", "tr(sqrtm(A))", "--let", "A:n,n", "--wrt", "A", "--steps")
    assert code == 0, err
    assert "F dF + dF F = dX" in out


def test_python_module_imports_scipy_only_when_it_calls_it():
    with_scipy = matcalc.grad("tr(G'*expm(A))", wrt="A", let=LET).python()
    without = matcalc.grad("x'*A*x", wrt="x", let=["x:n", "A:n,n"]).python()
    assert "import scipy" in with_scipy.splitlines()
    assert "scipy" not in without
    namespace: dict = {}
    exec(compile(with_scipy, "<expm>", "exec"), namespace)  # matcalc's generated module
    A, G = np.eye(2) * 0.5, np.ones((2, 2))
    value, grad = namespace["f_and_grad"](A=A, G=G)
    assert np.isclose(value, np.trace(G.T @ scipy.linalg.expm(A)))
    assert np.allclose(grad, scipy.linalg.expm_frechet(A.T, G, compute_expm=False))


def test_a_variable_named_scipy(cli):
    """The NumPy line is evaluated with scipy bound to SciPy: a user's `scipy` is refused where
    the line calls SciPy, kept where it does not; --format python renames the module."""
    let = ["--let", "scipy:n,n", "--let", "G:n,n", "--wrt", "scipy"]
    code, out, err = cli("grad", "tr(G'*expm(scipy))", *let, "--format", "numpy")
    assert (code, out) == (2, "")
    assert err.startswith("error: a variable or dimension named scipy") and err.count("\n") == 1
    code, out, err = cli("grad", "tr(G'*scipy)", *let, "--format", "numpy")
    assert (code, out.strip()) == (0, "G"), err
    code, out, err = cli("grad", "tr(G'*expm(scipy))", *let, "--format", "python")
    assert code == 0, err
    assert "import scipy as scipy_1" in out


@pytest.mark.parametrize(
    "name, hint",
    [
        ("exq", "did you mean exp (entry by entry) or expm (the matrix function)?"),
        ("logg", "did you mean log (entry by entry) or logm (the matrix function)?"),
        ("sinn", "did you mean sin (entry by entry)?"),
    ],
)
def test_an_unknown_name_never_steers_to_an_entrywise_function_silently(cli, name, hint):
    code, out, err = cli("grad", f"tr({name}(A))", "--let", "A:n,n", "--wrt", "A")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"error: unknown function '{name}'; {hint} (column 4)"


def test_value_at_a_point(cli):
    code, out, err = cli(
        "show", "expm(A)", "--let", "A:2,2", "--at", "A=[[0,1],[-1,0]]", "--format", "json"
    )
    assert code == 0, err
    got = np.array(json.loads(out)["value"], dtype=float)
    want = scipy.linalg.expm(np.array([[0.0, 1.0], [-1.0, 0.0]]))  # a rotation by 1 radian
    assert np.allclose(got, want, atol=1e-12), out


@pytest.mark.parametrize(
    "expr, at",
    [
        ("chol(A)", "A=[[1,2],[2,1]]"),  # not positive definite
        ("logm(A)", "A=[[-1,0],[0,1]]"),  # an eigenvalue on the negative real axis
        ("sqrtm(A)", "A=[[-4,0],[0,1]]"),
    ],
)
def test_a_value_outside_the_domain_is_a_user_error(cli, expr, at):
    code, out, err = cli("show", expr, "--let", "A:2,2", "--at", at)
    assert (code, out) == (2, "")
    assert err == f"error: {expr.split('(')[0]} is undefined at this point ({expr})\n"


def test_matrix_functions_of_a_scalar_are_the_scalar_functions():
    for f, g in (("expm", "exp"), ("logm", "log"), ("sqrtm", "sqrt")):
        a = matcalc.show(f"{f}(t)")
        b = matcalc.show(f"{g}(t)")
        assert a.text() == b.text()


def test_symbolic_matrix_power():
    """tr(Xᵏ) with k a name: k (Xᵏ⁻¹)ᵀ (the Matrix Cookbook, eq. 93); the module takes k."""
    r = matcalc.grad("tr(X^k)", wrt="X", let=["X:n,n"])
    assert r.text() == "k (Xᵀ)^(k - 1)"
    X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    namespace: dict = {}
    exec(compile(r.python(), "<power>", "exec"), namespace)  # matcalc's generated module
    value, grad = namespace["f_and_grad"](X=X, k=4)
    assert np.isclose(value, np.trace(np.linalg.matrix_power(X, 4)))
    assert np.allclose(grad, 4 * np.linalg.matrix_power(X, 3).T)


POWER_LET = ["--let", "X:n,n", "--let", "a:n", "--let", "b:n"]
POWER_AT = ["--at", "X=[[1,2],[3,4]]", "--at", "a=[1,2]", "--at", "b=[3,-1]"]
X2 = np.array([[1.0, 2.0], [3.0, 4.0]])


def _frechet_grad(X, a, b, k):
    """∇ aᵀXᵏb by central differences of NumPy's matrix_power (exact for a polynomial)."""
    out = np.zeros_like(X)
    for i in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[i] = 1e-3
        f = lambda Y: a @ np.linalg.matrix_power(Y, k) @ b  # noqa: E731
        out[i] = (f(X + e) - f(X - e)) / 2e-3
    return out


@pytest.mark.parametrize(
    "args,want",
    [
        (("grad", "tr(X^k)", "--wrt", "X"), 3 * np.linalg.matrix_power(X2, 2).T),
        (("show", "k (Xᵀ)^(k - 1)"), 3 * np.linalg.matrix_power(X2, 2).T),  # the result read back
        (("show", r"k \left(X^{\top}\right)^{k - 1}", "--input", "latex"), 3 * (X2 @ X2).T),
        (
            ("show", "X^(k + 1) - X^(2k)"),
            np.linalg.matrix_power(X2, 4) - np.linalg.matrix_power(X2, 6),
        ),
        (
            ("grad", "a'*X^k*b", "--wrt", "X"),
            _frechet_grad(X2, np.array([1.0, 2]), np.array([3.0, -1]), 3),
        ),
        (
            ("show", "matpow_frechet(Xᵀ, a bᵀ, k)"),
            _frechet_grad(X2, np.array([1.0, 2]), np.array([3.0, -1]), 3),
        ),
        (("show", "(k - 1) (Xᵀ)^(k - 2)"), 2 * X2.T),  # ∇ tr(X^(k - 1)), read back
    ],
    ids=lambda v: v[1] if isinstance(v, tuple) else "",
)
def test_a_symbolic_power_has_its_value_at_k(cli, args, want):
    """`--at k=3` binds the exponent k of Xᵏ (and the name k beside it): exact values."""
    code, out, err = cli(*args, *POWER_LET, *POWER_AT, "--at", "k=3", "-f", "json")
    assert code == 0, err
    value = json.loads(out)["value"]
    assert all(isinstance(v, int) for row in value for v in row)  # exact, not floats
    assert np.allclose(np.array(value, dtype=float), want, atol=1e-6)


def test_a_power_whose_exponent_is_negative_at_the_point_is_its_inverse(cli):
    """(k - 1) (Xᵀ)^(k - 2) at k = 1 is 0 · X⁻ᵀ: the derivative of tr(X⁰) = n."""
    code, out, err = cli("show", "(k - 1) (Xᵀ)^(k - 2)", *POWER_LET, *POWER_AT, "--at", "k=1")
    assert (code, out) == (0, "[[0, 0], [0, 0]]\n"), err


@pytest.mark.parametrize(
    "at,message",
    [
        (
            (),
            "error: X^k: the exponent k is a positive whole number; give each name in it with --at",
        ),
        (("--at", "k=1/2"), "error: X^k: the exponent k is a positive whole number"),
        (("--at", "k=101"), "error: matrix exponent over the limit 100"),
    ],
)
def test_a_symbolic_power_without_a_whole_k_is_a_user_error(cli, at, message):
    code, out, err = cli("show", "X^k", "--let", "X:n,n", "--at", "X=[[1,2],[3,4]]", *at)
    assert code == 2 and out == "" and err.startswith(message)


@pytest.mark.parametrize("text", ["X^(k/2)", "X^(-k)", "X^sqrt(k)", "X^(k - 1/2)"])
def test_a_power_of_names_that_is_no_integer_is_refused(text):
    with pytest.raises(matcalc.MatcalcError, match="a matrix power needs a constant integer"):
        matcalc.show(text, let=["X:n,n"])


# ------------------------------------------------------------------ JAX's autodiff, where installed


def test_expm_gradient_against_jax():
    jax = pytest.importorskip("jax", reason="JAX is not installed: the comparison is skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl

    rng = np.random.default_rng(3)
    A, G = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 4))
    want = np.asarray(jax.grad(lambda a: jnp.trace(G.T @ jsl.expm(a)))(A))
    line = matcalc.grad("tr(G'*expm(A))", wrt="A", let=LET).numpy()
    with time_limit(120):
        got = eval(line, {"np": np, "scipy": scipy, "A": A, "G": G, "n": 4})
    assert np.allclose(got, want, rtol=1e-8)


def test_chol_vjp_against_jax():
    jax = pytest.importorskip("jax", reason="JAX is not installed: the comparison is skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    rng = np.random.default_rng(4)
    A, V = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    _, pull = jax.vjp(lambda a: jnp.linalg.cholesky(a @ a.T + jnp.eye(4)), A)
    want = np.asarray(pull(V)[0])
    r = matcalc.vjp("chol(A*A' + eye)", wrt="A", v="V", let=["A:n,n", "V:n,n"])
    got = eval(r.numpy(), {"np": np, "scipy": scipy, "A": A, "V": V, "n": 4})
    assert np.allclose(got, want, rtol=1e-8)


def test_lambda_max_gradient_against_jax():
    jax = pytest.importorskip("jax", reason="JAX is not installed: the comparison is skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    rng = np.random.default_rng(5)
    A = rng.normal(size=(4, 4))
    want = np.asarray(jax.grad(lambda a: jnp.linalg.eigvalsh(a + a.T)[-1])(A))
    r = matcalc.grad("lambda_max(A + A')", wrt="A", let=["A:n,n"])
    got = eval(r.numpy(), {"np": np, "scipy": scipy, "A": A, "n": 4})
    assert np.allclose(got, want, rtol=1e-8)


def test_torch_and_jax_refuse_only_a_scipy_call_they_cannot_spell(cli, monkeypatch):
    """--format torch|jax spell SciPy's functions (render/backends.py); were one missing from a
    framework's table, that function alone is named in a one-line user error that points to
    --format python, and the code of every other function is still written."""
    from matcalc.render.backends import BACKENDS

    for fmt in ("torch", "jax"):
        code, out, err = cli("grad", "tr(expm(A))", "--let", "A:n,n", "--wrt", "A", "--format", fmt)
        assert (code, err) == (0, ""), err
        monkeypatch.delitem(BACKENDS[fmt].helpers, "scipy.linalg.logm")
        let = ["--let", "A:n,n", "--let", "G:n,n", "--wrt", "A", "--format", fmt]
        code, out, err = cli("grad", "tr(G'*logm(A))", *let)
        assert (code, out) == (2, "")
        assert err == (
            f"error: --format {fmt}: the code calls scipy.linalg.logm, which has no {fmt} "
            "spelling here; use --format python\n"
        )
        code, out, err = cli("grad", "tr(G'*sqrtm(A)) + sum(erf(A))", *let)
        assert (code, err) == (0, ""), err


def test_max_and_min_of_eig_are_the_extreme_eigenvalues():
    """max(eig(S)) is lambda_max(S), min(eig(S)) lambda_min(S) (a rewrite: show prints it as
    written); the gradient is v vᵀ of the tests' own eigenvector."""
    rng = np.random.default_rng(7)
    m = rng.normal(size=(4, 4))
    S = m + m.T
    _, V = np.linalg.eigh(S)
    for which, index in (("max", -1), ("min", 0)):
        r = matcalc.grad(f"{which}(eig(S))", wrt="S", let=["S:n,n,sym"])
        assert r.text() == f"u uᵀ  where u = eigvec_{which}(S)"
        got = eval(r.numpy(), {"np": np, "scipy": scipy, "S": S, "n": 4})
        assert np.allclose(got, np.outer(V[:, index], V[:, index]), rtol=1e-8, atol=1e-10)


def test_gelu_of_a_sum_keeps_its_parentheses():
    """gelu(1 + z) printed (1 + z * ndtr(1 + z)) (the random tester's sample #1139): the value
    and the gradient of sum(gelu(z + 1)) against the tests' own u Φ(u)."""
    from scipy.special import ndtr

    z = np.array([-2.8652, 0.9051, 0.7856, -0.4303])
    u = z + 1
    r = matcalc.grad("sum(gelu(z + 1))", wrt="z", let=["z:n"])
    env = {"np": np, "scipy": scipy, "z": z, "n": 4}
    value = eval(matcalc.show("sum(gelu(z + 1))", let=["z:n"]).numpy(), env)
    assert np.isclose(value, np.sum(u * ndtr(u)))
    phi = np.exp(-(u**2) / 2) / np.sqrt(2 * np.pi)
    assert np.allclose(eval(r.numpy(), env), ndtr(u) + u * phi, rtol=1e-10)
