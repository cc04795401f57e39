"""Generated code is right for any legal name (SPEC §7.4): a variable or a dimension named like
a module (`np`, `torch`), a builtin (`float`, `range`), a temporary (`_t0`), π's spelling (`pi`)
or the function itself gives code whose values match central finite differences of the tests'
own NumPy implementation of the expression. The tests exec the generated code; matcalc never does.
Also: indexed scalars keep the user's spelling (`x_1`) in the NumPy line and the module."""

from __future__ import annotations

import inspect
import re
import zlib

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError

from .alarm import time_limit

NAMES = [
    "_t0", "_t1", "_t2", "np", "np_1", "numpy", "float", "int", "tuple", "pi", "e", "scipy",
    "torch", "jnp", "jax", "math", "sum", "abs", "len", "range", "print", "max", "min", "shape",
    "out", "value", "result", "f_and_grad", "f_and_hessian", "_d_x", "_d_A", "_a", "_b", "_e",
]  # fmt: skip
NOT_SCALARS = {"sum", "abs", "pi", "e"}  # function names, and the constants π and e
NOT_DIMENSIONS = {"pi", "e"}  # numbers in EXPR: refused as a dimension (test below)

SIZES = {"m": 4, "n": 3}


def load(source: str) -> dict:
    """The generated module's namespace (a fresh dict: nothing of the test leaks in)."""
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


def point(seed: int) -> dict[str, object]:
    """Values with entries of both signs: x, c (n), A (m×n), s (a scalar)."""
    rng = np.random.default_rng(seed)
    m, n = SIZES["m"], SIZES["n"]

    def signed(*shape):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.2, size=shape)

    return {"x": signed(n), "c": signed(n), "A": signed(m, n) / 2, "s": float(signed())}


def f_ref(x, c, A, s) -> float:
    """sum(tanh(A x)) + s (cᵀx)² + sin(s) mean(x⊙x), in the tests' own NumPy."""
    return float(np.sum(np.tanh(A @ x)) + s * (c @ x) ** 2 + np.sin(s) * np.mean(x * x))


def written(role: str, name: str) -> tuple[str, dict[str, str], list[str]]:
    """The expression with `name` as the vector x, the scalar s or the dimension n; the
    renaming of x and s; the --let list."""
    ren = {"vector": {"x": name}, "matrix": {"A": name}, "scalar": {"s": name}}.get(role, {})
    dim = name if role == "dimension" else "n"
    text = "sum(tanh(A*x)) + s*(c'*x)^2 + sin(s)*mean(x .* x)"
    if name == "sum" and role in ("vector", "matrix"):  # a declared sum shadows the function
        text = "ones(m)'*tanh(A*x) + s*(c'*x)^2 + sin(s)*mean(x .* x)"  # (docs/language.md)
    for old, new in ren.items():
        text = _rename(text, old, new)
    return text, ren, [f"{ren.get('x', 'x')}:{dim}", f"c:{dim}", f"{ren.get('A', 'A')}:m,{dim}"]


def _rename(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![A-Za-z0-9_]){old}(?![A-Za-z0-9_(])", new, text)


def cases():
    for name in NAMES:
        for role in ("vector", "matrix", "scalar", "dimension"):
            if role == "scalar" and name in NOT_SCALARS:
                continue
            if role == "dimension" and name in NOT_DIMENSIONS:
                continue
            yield pytest.param(role, name, id=f"{role}-{name}")


def fd_grad(fn, args: dict, wrt: str, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar fn(**args) by args[wrt]."""
    x0 = np.array(args[wrt], dtype=float)
    g = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        for sign in (1, -1):
            x = x0.copy()
            x[idx] += sign * h
            g[idx] += sign * fn(**{**args, wrt: x}) / (2 * h)
    return g


def fd_hessian(fn, args: dict, wrt: str, h: float = 1e-4) -> np.ndarray:
    """Central second differences of the scalar fn(**args) by the vector args[wrt]."""
    x0 = np.array(args[wrt], dtype=float)
    k = x0.size
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            total = 0.0
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                x = x0.copy()
                x[i] += si * h
                x[j] += sj * h
                total += si * sj * fn(**{**args, wrt: x})
            out[i, j] = total / (4 * h * h)
    return out


def _call(fn, args: dict, sizes: dict[str, int]):
    """Call the generated function by keyword: the user's names, and any size it asks for."""
    params = inspect.signature(fn).parameters
    missing = set(params) - set(args) - set(sizes)
    assert not missing, missing
    return fn(**{k: v for k, v in {**sizes, **args}.items() if k in params})


@pytest.mark.parametrize(("role", "name"), list(cases()))
def test_python_module_with_any_name(role, name):
    text, ren, let = written(role, name)
    values = point(zlib.crc32(f"{role} {name}".encode()))
    args = {ren.get(k, k): v for k, v in values.items()}
    sizes = {"m": SIZES["m"], ("n" if role != "dimension" else name): SIZES["n"]}
    x, s, A = ren.get("x", "x"), ren.get("s", "s"), ren.get("A", "A")

    def ref(**kw) -> float:
        return f_ref(kw[x], kw["c"], kw[A], kw[s])

    want = ref(**args)
    with time_limit(120):
        grad = matcalc.grad(text, wrt=x, let=let).python()
        hess = matcalc.hessian(text, wrt=x, let=let).python()
        several = matcalc.grad(text, wrt=f"{x},{A},{s}", let=let).python()
    value, g = _call(load(grad)["f_and_grad"], args, sizes)
    assert np.isclose(value, want, rtol=1e-12), grad
    assert np.allclose(g, fd_grad(ref, args, x), rtol=1e-6, atol=1e-8), grad
    value, h = _call(load(hess)["f_and_hessian"], args, sizes)
    assert np.isclose(value, want, rtol=1e-12), hess
    assert np.allclose(h, fd_hessian(ref, args, x), rtol=1e-4, atol=1e-5), hess
    value, gx, gA, gs = _call(load(several)["f_and_grad"], args, sizes)
    assert np.isclose(value, want, rtol=1e-12), several
    assert np.allclose(gx, fd_grad(ref, args, x), rtol=1e-6, atol=1e-8), several
    assert np.allclose(gA, fd_grad(ref, args, A), rtol=1e-6, atol=1e-8), several
    assert np.allclose(gs, fd_grad(ref, args, s), rtol=1e-6, atol=1e-8), several


@pytest.mark.parametrize(("role", "name"), list(cases()))
def test_numpy_line_with_any_name(role, name):
    """The line of SPEC §4, evaluated as eval(line, {"np": numpy, **values}); a user's `np`
    cannot be bound beside NumPy's there, so it is refused with a message that says why."""
    text, ren, let = written(role, name)
    values = point(zlib.crc32(f"{name} {role}".encode()))
    args = {ren.get(k, k): v for k, v in values.items()}
    sizes = {"m": SIZES["m"], ("n" if role != "dimension" else name): SIZES["n"]}
    x, s, A = ren.get("x", "x"), ren.get("s", "s"), ren.get("A", "A")
    with time_limit(120):
        r = matcalc.grad(text, wrt=x, let=let)
        if name == "np":
            with pytest.raises(MatcalcError, match=r"named np .* eval"):
                r.numpy()
            return
        line = r.numpy()

    def ref(**kw) -> float:
        return f_ref(kw[x], kw["c"], kw[A], kw[s])

    got = eval(line, {"np": np, **sizes, **args})
    assert np.allclose(got, fd_grad(ref, args, x), rtol=1e-6, atol=1e-8), line


@pytest.mark.parametrize("name", ["_d_A", "_a", "_b", "_e", "range", "float", "lambda_"])
def test_tensor_line_with_any_name(name):
    """A derivative that is a tensor prints as one line with a lambda and loops: their names
    and the builtins they use must not be the user's."""
    rng = np.random.default_rng(7)
    A, v = rng.normal(size=(4, 3)), rng.normal(size=3)
    with time_limit(120):
        line = matcalc.jacobian(f"tanh(A*{name})", wrt="A", let=["A:m,n", f"{name}:n"]).numpy()
    got = eval(line, {"np": np, "A": A, name: v, "m": 4, "n": 3})
    want = np.zeros((4, 4, 3))
    h = 1e-6
    for i, j in np.ndindex(4, 3):
        E = np.zeros((4, 3))
        E[i, j] = h
        want[:, i, j] = (np.tanh((A + E) @ v) - np.tanh((A - E) @ v)) / (2 * h)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8), line


def test_numpy_line_refuses_np_as_a_user_error(cli):
    code, out, err = cli("grad", "sum(np .* np)", "--let", "np:n", "--wrt", "np", "-f", "numpy")
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1 and "np" in err
    code, out, err = cli("grad", "sum(np .* np)", "--let", "np:n", "--wrt", "np", "-f", "python")
    assert code == 0 and "import numpy as np_1" in out
    v = np.array([1.0, -2.0, 0.5])
    value, g = load(out)["f_and_grad"](np=v)
    assert np.isclose(value, v @ v) and np.allclose(g, 2 * v)


# ---------------------------------------------------------------- indexed scalars as written

SPELLINGS = {
    "x_1^3 + 2*x_2^2 + 3*x_3*x_1": ("x_1", "x_2", "x_3"),
    "x1^3 + 2*x2^2 + 3*x3*x1": ("x1", "x2", "x3"),
    "x[1]^3 + 2*x[2]^2 + 3*x[3]*x[1]": ("x1", "x2", "x3"),
    "x[1]^3 + 2*x_2^2 + 3*x₃*x_1": ("x_1", "x_2", "x3"),  # the Python name written
    "x_1^3 + 2*x_2^2 + 3*x_3*x1": ("x1", "x_2", "x_3"),  # written both ways: x1
}


def _family_ref(a: float, b: float, c: float) -> float:
    return a**3 + 2 * b**2 + 3 * c * a


def _family_fd(point: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros(3)
    for i in range(3):
        d = np.zeros(3)
        d[i] = h
        out[i] = (_family_ref(*(point + d)) - _family_ref(*(point - d))) / (2 * h)
    return out


@pytest.mark.parametrize("text", SPELLINGS)
@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_indexed_scalars_keep_their_spelling(text, layout):
    """SPEC §4: the line uses the names that occur in EXPR (`x_1` as written; `x[1]` and `x₁`
    are not Python names and print as `x1`). So do the module's parameters."""
    names = SPELLINGS[text]
    at = np.array([0.7, -1.3, 0.4])
    values = dict(zip(names, at, strict=True))
    r = matcalc.grad(text, wrt="x", layout=layout)
    got = eval(r.numpy(), {"np": np, **values})
    assert np.allclose(got, _family_fd(at), rtol=1e-6), r.numpy()
    value, g = load(r.python())["f_and_grad"](**values)
    assert np.isclose(value, _family_ref(*at)) and np.allclose(g, _family_fd(at), rtol=1e-6)
    J = matcalc.jacobian(f"[{text}, 2*({text})]", wrt="x", layout=layout).numpy()
    got = eval(J, {"np": np, **values})
    want = np.array([_family_fd(at), 2 * _family_fd(at)])
    assert np.allclose(got, want.T if layout == "denominator" else want, rtol=1e-6), J


@pytest.mark.parametrize("name", ["float", "np", "_t0", "range", "x_4", "f_and_grad"])
def test_componentwise_code_with_any_scalar_name(name):
    """A componentwise result prints NumPy literals (`np.array([...], dtype=...)`): a scalar
    named like a builtin or the module must not change them."""
    text = f"{name}*x_1^2 + x_2*{name}^3 + sin({name})*x_1*x_2"

    def ref(a: float, b: float, t: float) -> float:
        return t * a**2 + b * t**3 + np.sin(t) * a * b

    at = np.array([0.6, -1.1, -0.8])
    h = 1e-6
    want = np.array([(ref(*(at + d)) - ref(*(at - d))) / (2 * h) for d in h * np.eye(3)])
    values = {"x_1": at[0], "x_2": at[1], name: at[2]}
    with time_limit(120):
        r = matcalc.grad(text, wrt=f"x_1,x_2,{name}")
        module = r.python()
    value, g = load(module)["f_and_grad"](**values)
    assert np.isclose(value, ref(*at)) and np.allclose(g, want, rtol=1e-6), module
    if name != "np":
        got = eval(r.numpy(), {"np": np, **values})
        assert np.allclose(got, want, rtol=1e-6), r.numpy()


@pytest.mark.parametrize("name", sorted(NOT_DIMENSIONS))
def test_a_constant_cannot_name_a_dimension(cli, name):
    """`pi/2` in EXPR is π/2, so a dimension pi could not be written as a value (SPEC §2, v2
    dimension names as values); it is refused at --let, not printed as ones(π)."""
    code, out, err = cli("grad", f"x'*x/{name}", "--let", f"x:{name}", "--wrt", "x")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: --let 'x:{name}': {name} is the number") and "\n" == err[-1:]
