"""X⁻¹ B in code (SPEC §7.2: `solve(A, B)` is "also what `inv(A)*B` prints in code"): where the
inverse is a factor of one product only, the code solves and never forms it — X⁻¹ B as
solve(X, B), B X⁻¹ as solve(Xᵀ, Bᵀ)ᵀ, X⁻ᵀ B as solve(Xᵀ, B) — and a Cholesky factor L solves
by triangular solves. The NumPy given to matcalc's line and module refuses np.linalg.inv (and,
for L, np.linalg.solve too); results are compared with the tests' own NumPy (finite differences
for a gradient)."""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest
import scipy.linalg

import matcalc

from .oracle import fd_jacobian, unvec

LET = ["A:n,n", "B:n,n", "C:n,n", "b:n", "x:n", "y:n"]


def _refusing(module, refused: tuple[str, ...]) -> types.SimpleNamespace:
    """A copy of numpy (or scipy) whose `linalg.<name>` for each refused name raises."""

    def refuse(name):
        def fn(*args, **kwargs):
            raise AssertionError(f"the generated code called linalg.{name}")

        return fn

    linalg = types.SimpleNamespace(
        **{k: getattr(module.linalg, k) for k in dir(module.linalg) if not k.startswith("__")}
    )
    for name in refused:
        setattr(linalg, name, refuse(name))
    copy = types.SimpleNamespace(
        **{k: getattr(module, k) for k in dir(module) if not k.startswith("__") and k != "linalg"}
    )
    copy.linalg = linalg
    return copy


def _no_inverse() -> types.SimpleNamespace:
    """numpy with a linalg whose inv raises (solve and the rest pass through)."""
    return _refusing(np, ("inv",))


def _values():
    rng = np.random.default_rng(6)
    return {
        "A": np.eye(4) * 3 + rng.normal(size=(4, 4)),
        "B": rng.normal(size=(4, 4)),
        "C": rng.normal(size=(4, 4)),
        "b": rng.normal(size=4),
        "x": rng.normal(size=4),
        "y": rng.normal(size=4),
        "n": 4,
    }


def _inv(a):
    return np.linalg.inv(a)


CASES = {  # name: (command, expression, wrt, the tests' own NumPy at the values)
    "A⁻¹ b": ("show", "inv(A)*b", None, lambda v: _inv(v["A"]) @ v["b"]),
    "A⁻¹ B x": ("show", "inv(A)*B*x", None, lambda v: _inv(v["A"]) @ v["B"] @ v["x"]),
    "A⁻¹ x yᵀ": ("show", "inv(A)*x*y'", None, lambda v: np.outer(_inv(v["A"]) @ v["x"], v["y"])),
    "yᵀ A⁻¹ x": ("show", "y'*inv(A)*x", None, lambda v: v["y"] @ _inv(v["A"]) @ v["x"]),
    "B A⁻¹": ("show", "B*inv(A)", None, lambda v: v["B"] @ _inv(v["A"])),
    "yᵀ A⁻¹": ("show", "y'*inv(A)", None, lambda v: v["y"] @ _inv(v["A"])),
    "A⁻ᵀ B": ("show", "inv(A)'*B", None, lambda v: _inv(v["A"]).T @ v["B"]),
    "(Aᵀ)⁻¹ B": ("show", "inv(A')*B", None, lambda v: _inv(v["A"].T) @ v["B"]),
    "B (Aᵀ)⁻¹": ("show", "B*inv(A')", None, lambda v: v["B"] @ _inv(v["A"].T)),
    "B A⁻¹ C": ("show", "B*inv(A)*C", None, lambda v: v["B"] @ _inv(v["A"]) @ v["C"]),
    "A⁻¹ B A⁻¹": ("show", "inv(A)*B*inv(A)", None, lambda v: _inv(v["A"]) @ v["B"] @ _inv(v["A"])),
    "xᵀ A⁻¹ B A⁻ᵀ y": (
        "show",
        "x'*inv(A)*B*inv(A)'*y",
        None,
        lambda v: v["x"] @ _inv(v["A"]) @ v["B"] @ _inv(v["A"]).T @ v["y"],
    ),
    "∇ of bᵀ A⁻¹ x by x": (
        "grad",
        "b'*inv(A)*x",
        "x",
        lambda v: fd_jacobian(lambda z: v["b"] @ _inv(v["A"]) @ z, v["x"]).ravel(),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_numpy_line_solves(case):
    command, expr, wrt, want = CASES[case]
    kw = {"wrt": wrt} if wrt else {}
    r = getattr(matcalc, command)(expr, let=LET, **kw)
    values = _values()
    got = eval(r.numpy(), {"np": _no_inverse(), **values})  # matcalc's line
    assert np.allclose(got, want(values), rtol=1e-6, atol=1e-8)


def _load(source: str, replace: dict) -> dict:
    """matcalc's module, executed, with its numpy / scipy aliases replaced."""
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    for k, v in list(namespace.items()):
        for real, fake in replace.items():
            if v is real:
                namespace[k] = fake
    return namespace


def test_module_solves_where_the_inverse_is_used_once():
    r = matcalc.show("inv(A)*B*x + y", let=LET)
    namespace = _load(r.python(), {np: _no_inverse()})
    values = _values()
    got = namespace["f"](A=values["A"], B=values["B"], x=values["x"], y=values["y"])
    want = np.linalg.inv(values["A"]) @ values["B"] @ values["x"] + values["y"]
    assert np.allclose(got, want)


def _spd(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T / n + np.eye(n)


def test_cholesky_vjp_module_solves_triangular():
    """chol's vjp ½ L⁻ᵀ (P + Pᵀ) L⁻¹ by two triangular solves: the module's numpy refuses inv
    and solve (a general solve would factor L again); the vjp is the finite differences of
    ⟨V, chol(sym S)⟩ by the tests' own SciPy."""
    r = matcalc.vjp("chol(S)", wrt="S", v="V", let=["S:n,n,sym", "V:n,n"])
    assert "solve_triangular" in r.python()
    namespace = _load(r.python(), {np: _refusing(np, ("inv", "solve"))})
    s, v = _spd(5, 1), np.random.default_rng(2).normal(size=(5, 5))
    value, got = namespace["f_and_vjp"](S=s, V=v)

    def f(a):
        return np.sum(v * scipy.linalg.cholesky((a + a.T) / 2, lower=True))

    want = unvec(fd_jacobian(f, s).ravel(), s.shape)
    assert np.allclose(value, scipy.linalg.cholesky(s, lower=True))
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)


def test_cholesky_inverse_in_a_line_solves_triangular():
    """L⁻¹ B L⁻ᵀ, L = chol(S), in the NumPy line: triangular solves, no inverse."""
    r = matcalc.show("inv(chol(S))*B*inv(chol(S))'", let=["S:n,n,sym", "B:n,n"])
    s, b = _spd(4, 3), np.random.default_rng(4).normal(size=(4, 4))
    env = {"np": _refusing(np, ("inv", "solve")), "scipy": scipy, "S": s, "B": b, "n": 4}
    got = eval(r.numpy(), env)  # matcalc's line
    li = np.linalg.inv(np.linalg.cholesky(s))
    assert np.allclose(got, li @ b @ li.T)


def _counting_scipy(counts: dict) -> types.SimpleNamespace:
    """scipy with a linalg whose lu_factor counts its calls."""

    def lu_factor(*args, **kwargs):
        counts["lu_factor"] = counts.get("lu_factor", 0) + 1
        return scipy.linalg.lu_factor(*args, **kwargs)

    linalg = types.SimpleNamespace(lu_factor=lu_factor, lu_solve=scipy.linalg.lu_solve)
    return types.SimpleNamespace(linalg=linalg)


SHARED = {  # an inverse that several products use: factored once, then solved with
    "bᵀ A⁻¹ x by A": ("b'*inv(A)*x", lambda a, v: v["b"] @ np.linalg.inv(a) @ v["x"]),
    "tr(A⁻¹ B) by A": ("tr(inv(A)*B)", lambda a, v: np.trace(np.linalg.inv(a) @ v["B"])),
    "bᵀ (A + B)⁻¹ x by A": (
        "b'*inv(A + B)*x",
        lambda a, v: v["b"] @ np.linalg.inv(a + v["B"]) @ v["x"],
    ),
}


@pytest.mark.parametrize("case", SHARED)
def test_module_factors_a_shared_inverse_once(case):
    """The module's numpy refuses inv and solve; its scipy counts lu_factor: one factorization;
    the gradient is the finite differences of the tests' own NumPy."""
    expr, reference = SHARED[case]
    r = matcalc.grad(expr, wrt="A", let=LET)
    counts: dict = {}
    fakes = {np: _refusing(np, ("inv", "solve")), scipy: _counting_scipy(counts)}
    namespace = _load(r.python(), fakes)
    values = _values()
    fn = namespace["f_and_grad"]
    call = {k: values[k] for k in inspect.signature(fn).parameters}
    value, grad = fn(**call)
    assert counts == {"lu_factor": 1}
    assert np.isclose(value, reference(values["A"], values))
    want = unvec(fd_jacobian(lambda a: reference(a, values), values["A"]).ravel(), (4, 4))
    assert np.allclose(grad, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_torch_and_jax_spell_the_shared_factorization(framework):
    module = pytest.importorskip(framework, reason=f"{framework} is not installed")
    r = matcalc.grad("b'*inv(A + B)*x", wrt="A", let=LET)
    namespace: dict = {}
    exec(compile(r.python(framework), "<generated>", "exec"), namespace)  # matcalc's module
    v = _values()
    args = {k: v[k] for k in ("A", "B", "b", "x")}
    if framework == "torch":
        out = namespace["f_and_grad"](
            **{k: module.as_tensor(a, dtype=module.float64) for k, a in args.items()}
        )
    else:
        module.config.update("jax_enable_x64", True)
        jitted = module.jit(namespace["f_and_grad"])
        out = jitted(**{k: module.numpy.asarray(a) for k, a in args.items()})

    def f(a):
        return v["b"] @ np.linalg.inv(a + v["B"]) @ v["x"]

    want = unvec(fd_jacobian(f, v["A"]).ravel(), (4, 4))
    assert np.allclose(np.asarray(out[1]), want, rtol=1e-6, atol=1e-8)


def test_jax_inverts_the_matrix_not_its_transpose():
    """The role "inverse" keeps inv(Sᵀ) as inv(S)ᵀ in JAX code (render/python.py
    _untransposed_operands): XLA copies a transposed operand, and inv(S) shares slogdet(S)'s
    factorization. Text only: JAX need not be installed."""
    source = matcalc.grad("logdet(S)", wrt="S", let=["S:n,n"]).python("jax")
    assert "jnp.linalg.inv(S)).T" in source and "inv(S.T)" not in source
