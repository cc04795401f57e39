"""Kronecker factors in generated code (SPEC §7.4): every code format applies A ⊗ B to the
vector it multiplies, (A ⊗ B) v = vec(B V Aᵀ) and yᵀ (A ⊗ B) = vec(Bᵀ Y A)ᵀ, and never forms the
Kronecker product. NumPy's arrays refuse any 2-D result as large as A ⊗ B; torch's and JAX's
modules get a module whose `kron` raises. Results are compared with central finite differences
of the tests' own NumPy (np.kron on plain arrays)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import matcalc

from .alarm import time_limit
from .oracle import fd_jacobian, unvec, vec

RNG = np.random.default_rng(7)
A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 3))  # A ⊗ B is 12×12
C, D = RNG.normal(size=(4, 4)), RNG.normal(size=(3, 3))  # C ⊗ D too
KRON_SIZE = np.kron(A, B).size
LET = ["A:3,4", "B:4,3", "C:4,4", "D:3,3", "x:12", "y:12", "u:12"]


class NoKron(np.ndarray):
    """An array whose operations refuse to produce a 2-D array the size of A ⊗ B."""

    @staticmethod
    def _checked(out):
        if isinstance(out, np.ndarray) and out.ndim == 2 and out.size >= KRON_SIZE:
            raise AssertionError(f"a {out.shape} array was formed: the Kronecker product")
        return out.view(NoKron) if isinstance(out, np.ndarray) and out.ndim >= 1 else out

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(a) if isinstance(a, NoKron) else a for a in inputs]
        return self._checked(getattr(ufunc, method)(*plain, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        def plain(a):
            return np.asarray(a) if isinstance(a, NoKron) else a

        args = tuple(plain(a) for a in args)  # np.kron too: refused by its result's size
        kwargs = {k: plain(v) for k, v in kwargs.items()}
        return self._checked(func(*args, **kwargs))

    def __matmul__(self, other):
        return self._checked(np.asarray(self) @ np.asarray(other))

    def __rmatmul__(self, other):
        return self._checked(np.asarray(other) @ np.asarray(self))


class KronRefused:
    """A framework module (torch, jax.numpy) whose `kron` raises; everything else passes."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        if name == "kron":
            raise AssertionError("the generated code formed a Kronecker product")
        return getattr(self._module, name)


def _values():
    rng = np.random.default_rng(3)
    return {
        "A": A,
        "B": B,
        "C": C,
        "D": D,
        "x": rng.normal(size=12),
        "y": rng.normal(size=12),
        "u": rng.normal(size=12),
    }


# name: (command, expression, wrt, --v, the tests' own NumPy reference at the values)
def _grad_quadratic(v):
    return fd_jacobian(lambda z: z @ np.kron(A, B) @ z, v["x"]).ravel()


def _grad_bilinear(v):
    return fd_jacobian(lambda z: v["y"] @ np.kron(A, B) @ z, v["x"]).ravel()


def _vjp_rows(v):  # uᵀ J with J the Jacobian of z ↦ (A ⊗ B) z: a row times A ⊗ B
    return v["u"] @ fd_jacobian(lambda z: np.kron(A, B) @ z, v["x"])


def _grad_two_factors(v):
    return fd_jacobian(lambda z: v["y"] @ np.kron(A, B) @ np.kron(C, D) @ z, v["x"]).ravel()


def _row_value(v):
    return v["y"] @ np.kron(A, B)


CASES = {
    "the row yᵀ (A ⊗ B)": ("show", "y'*kron(A,B)", None, None, _row_value),
    "xᵀ (A ⊗ B) x by x": ("grad", "x'*kron(A,B)*x", "x", None, _grad_quadratic),
    "yᵀ (A ⊗ B) x by x": ("grad", "y'*kron(A,B)*x", "x", None, _grad_bilinear),
    "vjp of (A ⊗ B) x": ("vjp", "kron(A,B)*x", "x", "u", _vjp_rows),
    "two Kronecker factors": ("grad", "y'*kron(A,B)*kron(C,D)*x", "x", None, _grad_two_factors),
}


def _result(case):
    command, expr, wrt, v, _ = CASES[case]
    kw = {"v": v} if v else {}
    if wrt is not None:
        kw["wrt"] = wrt
    return getattr(matcalc, command)(expr, let=LET, **kw)


def _derivative(out):
    """What a generated function returns besides the value (the value itself for `show`)."""
    return out[1] if isinstance(out, tuple) else out


def _want(case):
    return CASES[case][4](_values())


def _load(source: str, refuse: str | None):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # matcalc's module
    if refuse is not None:
        import importlib

        module = importlib.import_module(refuse)
        for k, val in list(namespace.items()):
            if val is module:
                namespace[k] = KronRefused(module)
    return next(f for k, f in namespace.items() if k == "f" or k.startswith("f_and_"))


@pytest.mark.parametrize("case", CASES)
def test_numpy_line_applies_the_kronecker_product(case):
    guarded = {k: v.view(NoKron) for k, v in _values().items()}
    got = eval(_result(case).numpy(), {"np": np, **guarded})  # matcalc's line
    assert np.allclose(np.asarray(got), _want(case), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_python_module_applies_the_kronecker_product(case):
    fn = _load(_result(case).python(), None)
    guarded = {k: v.view(NoKron) for k, v in _values().items()}
    got = _derivative(fn(**{p: guarded[p] for p in inspect.signature(fn).parameters}))
    assert np.allclose(np.asarray(got), _want(case), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("case", CASES)
def test_framework_module_applies_the_kronecker_product(case, framework):
    lib = pytest.importorskip(framework, reason=f"{framework} is not installed")
    if framework == "torch":
        convert = lambda a: lib.tensor(a, dtype=lib.float64)  # noqa: E731
        refuse = "torch"
    else:
        lib.config.update("jax_enable_x64", True)
        convert = lib.numpy.asarray
        refuse = "jax.numpy"
    with time_limit(120):
        fn = _load(_result(case).python(framework), refuse)
        values = _values()
        args = {p: convert(values[p]) for p in inspect.signature(fn).parameters}
        if framework == "jax":
            fn = lib.jit(fn)
        got = _derivative(fn(**args))
    assert np.allclose(np.asarray(got), _want(case), rtol=1e-6, atol=1e-8)


def test_a_matrix_variable_with_symbolic_sizes(monkeypatch):
    """vec(X)ᵀ (A ⊗ B) vec(X) by X, sizes read off the arrays: the math keeps its Kronecker
    form, the code applies it; against finite differences of the tests' own np.kron."""
    r = matcalc.grad("vec(X)'*kron(A,B)*vec(X)", wrt="X", let=["A:n,n", "B:m,m", "X:m,n"])
    assert r.text() == "unvec((A ⊗ B) vec(X), m, n) + unvec((Aᵀ ⊗ Bᵀ) vec(X), m, n)"
    rng = np.random.default_rng(5)
    a, b, x = rng.normal(size=(3, 3)), rng.normal(size=(4, 4)), rng.normal(size=(4, 3))
    want = unvec(fd_jacobian(lambda z: vec(z) @ np.kron(a, b) @ vec(z), x).ravel(), x.shape)
    monkeypatch.setitem(globals(), "KRON_SIZE", np.kron(a, b).size)
    fn = _load(r.python(), None)
    _, got = fn(A=a.view(NoKron), B=b.view(NoKron), X=x.view(NoKron))
    assert np.allclose(np.asarray(got), want, rtol=1e-6, atol=1e-8)
