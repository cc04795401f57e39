"""`--format python`: the generated function imports on its own and computes the value and the
derivative correctly; shared work is computed once."""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest

import matcalc
from matcalc.identities import IDENTITIES

from .conftest import ref_eval

MODELS = {
    "logistic": ("sum(softplus(X*w)) - y.T*X*w", "w", ["X:m,n", "w:n", "y:m"]),
    "least squares": ("norm2(A*x - b)**2", "x", ["A:m,n", "x:n", "b:m"]),
    "tanh network": ("(v.T*tanh(W*x) - t)**2/2", "W", ["W:n,n", "x:n", "v:n"]),
}


def load(source: str) -> types.ModuleType:
    module = types.ModuleType("generated")
    exec(compile(source, "<generated>", "exec"), module.__dict__)
    return module


def _inputs(let: list[str], rng: np.random.Generator, sizes: dict[str, int]) -> dict[str, object]:
    out: dict[str, object] = {}
    for spec in let:
        name, _, shape = spec.partition(":")
        dims = [sizes.get(d, int(d) if d.isdigit() else 3) for d in shape.split(",") if d != "sym"]
        out[name] = rng.normal(size=dims[0]) if len(dims) == 1 else rng.normal(size=dims) / dims[0]
    return out


def _written(expr: str):
    """The expression as written, evaluated by the tests' own NumPy reading (no matcalc code),
    in the generated function's calling convention: (value,)."""
    return lambda **args: (float(ref_eval(expr, args)),)


def _fd(fn, args: dict, wrt: str, h: float = 1e-6) -> np.ndarray:
    x0 = np.array(args[wrt], dtype=float)
    grad = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        for sign in (1, -1):
            x = x0.copy()
            x[idx] += sign * h
            grad[idx] += sign * fn(**{**args, wrt: x})[0] / (2 * h)
    return grad


@pytest.mark.parametrize("model", MODELS)
def test_models_value_and_gradient(model):
    expr, wrt, let = MODELS[model]
    src = matcalc.grad(expr, wrt=wrt, let=let).python()
    fn = load(src).f_and_grad
    rng = np.random.default_rng(0)
    args = _inputs(let, rng, {"m": 5, "n": 4})
    if "- t)" in expr:
        args["t"] = 0.3
    value, grad = fn(**args)
    ref = _written(expr)
    assert np.isclose(value, ref(**args)[0], rtol=1e-10)
    assert np.allclose(grad, _fd(ref, args, wrt), rtol=1e-5, atol=1e-7)
    assert np.shape(grad) == np.shape(args[wrt])


def test_shared_work_is_computed_once():
    src = matcalc.grad(*MODELS["logistic"][:2], let=MODELS["logistic"][2]).python()
    assert src.count("X @ w") == 1 and "_t0 = (X @ w)" in src
    assert src.count("_t0") >= 3  # X w is bound once and used by the value and the gradient
    src = matcalc.grad(*MODELS["tanh network"][:2], let=MODELS["tanh network"][2]).python()
    assert src.count("np.tanh") == 1
    src = matcalc.grad(*MODELS["least squares"][:2], let=MODELS["least squares"][2]).python()
    assert "_t0 = (A @ x) - b" in src and "(2 * (A.T @ _t0))" in src


@pytest.mark.parametrize(
    "ident", [i for i in IDENTITIES if i.kind in ("grad", "hessian")], ids=lambda i: i.ref
)
def test_identity_functions(ident):
    r = getattr(matcalc, ident.kind)(ident.expr, wrt=ident.wrt, let=list(ident.let))
    fn = getattr(load(r.python()), f"f_and_{ident.kind}")
    rng = np.random.default_rng(1)
    args = _inputs(list(ident.let), rng, {"n": 3, "m": 4, "k": 2})
    for name, spec in ((s.partition(":")[0], s) for s in ident.let):
        if spec.endswith("sym"):
            args[name] = args[name] + args[name].T
        if (
            name in ("X", "S")
            and np.ndim(args[name]) == 2
            and args[name].shape[0] == args[name].shape[1]
        ):
            args[name] = args[name] + 3 * np.eye(args[name].shape[0])
    params = inspect.signature(fn).parameters
    args = {k: v for k, v in args.items() if k in params}
    for k in params:
        args.setdefault(k, 0.4)
    value, deriv = fn(**args)
    ref = _written(ident.expr)
    assert np.isclose(value, ref(**args)[0], rtol=1e-9), r.python()
    if ident.kind == "grad":
        want = _fd(ref, args, ident.wrt)
        if any(s.endswith("sym") for s in ident.let):  # the gradient among symmetric matrices
            want = (want + want.T) / 2
    else:
        want = _fd_hessian(ref, args, ident.wrt)
    assert np.allclose(deriv, want, rtol=1e-4, atol=1e-5), r.python()


def _fd_hessian(fn, args: dict, wrt: str, h: float = 1e-4) -> np.ndarray:
    """Central second differences of the value (a vector variable)."""
    x0 = np.array(args[wrt], dtype=float)
    n = x0.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            total = 0.0
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                x = x0.copy()
                x[i] += si * h
                x[j] += sj * h
                total += si * sj * fn(**{**args, wrt: x})[0]
            out[i, j] = total / (4 * h * h)
    return out


def test_python_format_cli(cli):
    code, out, _ = cli(
        "grad", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x", "-f", "python"
    )
    assert code == 0 and out.startswith("import numpy as np")
    assert (
        "def f_and_grad(A: np.ndarray, x: np.ndarray)" in out
        or "def f_and_grad(x: np.ndarray, A: np.ndarray)" in out
    )
    rng = np.random.default_rng(2)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    value, grad = load(out).f_and_grad(A=A, x=x)
    assert np.isclose(value, x @ A @ x) and np.allclose(grad, (A + A.T) @ x)


def test_python_format_for_vjp_and_jvp(cli):
    """SPEC §4 v2: `--format python` serves every kind; vjp of A x by x with v = x is Aᵀ x."""
    let = ["--let", "x:n", "--let", "A:n,n"]
    rng = np.random.default_rng(3)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    code, out, _ = cli("vjp", "A*x", *let, "--wrt", "x", "--v", "x", "-f", "python")
    assert code == 0
    value, vjp = load(out).f_and_vjp(A=A, x=x)
    assert np.allclose(value, A @ x) and np.allclose(vjp, A.T @ x)
    code, out, _ = cli("jvp", "tanh(A*x)", *let, "--wrt", "x", "--v", "x", "-f", "python")
    assert code == 0
    value, jvp = load(out).f_and_jvp(A=A, x=x)
    assert np.allclose(value, np.tanh(A @ x))
    assert np.allclose(jvp, (1 - np.tanh(A @ x) ** 2) * (A @ x))


def test_a_variable_absent_from_f_sizes_its_zero_derivative():
    """grad of sum(b) by x (x:n, b:m): x is still a parameter, its length fixes the zero
    gradient; several names give one zero per name, each shaped like its variable."""
    rng = np.random.default_rng(4)
    b, x = rng.normal(size=2), rng.normal(size=5)
    src = matcalc.grad("sum(b)", wrt="x", let=["x:n", "b:m"]).python()
    value, gx = load(src).f_and_grad(b=b, x=x)
    assert np.isclose(value, b.sum()) and gx.shape == (5,) and not gx.any()
    src = matcalc.grad("sum(b)", wrt="x,Y", let=["x:n", "Y:p,q", "b:m"]).python()
    Y = rng.normal(size=(3, 4))
    value, gx, gy = load(src).f_and_grad(b=b, x=x, Y=Y)
    assert np.isclose(value, b.sum()) and gx.shape == (5,) and gy.shape == (3, 4)
    assert not gx.any() and not gy.any()


HEAD_SHARED = {  # a product chain whose head (A B, yᵀA) is computed elsewhere, its tail not
    ("sum(tanh(A*B)) + sum(A*B*C*d)", "C"): lambda A, B, C, d, y: (
        np.sum(np.tanh(A @ B)) + np.sum(A @ B @ C @ d)
    ),
    ("sum(tanh(A*B)) + sum(A*B*C*d)", "d"): lambda A, B, C, d, y: (
        np.sum(np.tanh(A @ B)) + np.sum(A @ B @ C @ d)
    ),
    ("sum(tanh(A*B)) + sum(A*B*C)", "A"): lambda A, B, C, d, y: (
        np.sum(np.tanh(A @ B)) + np.sum(A @ B @ C)
    ),
    ("sum(tanh(A*B)) + sum(A*B*C)", "B"): lambda A, B, C, d, y: (
        np.sum(np.tanh(A @ B)) + np.sum(A @ B @ C)
    ),
    ("sum(exp(y'*A)) + y'*A*B*C*d", "B"): lambda A, B, C, d, y: (
        np.sum(np.exp(y @ A)) + y @ A @ B @ C @ d
    ),
}


@pytest.mark.parametrize("case", HEAD_SHARED, ids=lambda c: f"{c[0]} by {c[1]}")
def test_product_chain_with_a_shared_head(case):
    """A B C d with A B bound to a temporary is _t0 (C d), in that order: the value and the
    gradient against central differences, every factor non-square (no order commutes)."""
    expr, wrt = case
    let = ["A:m,n", "B:n,k", "C:k,p", "d:p", "y:m"]
    src = matcalc.grad(expr, wrt=wrt, let=let).python()
    rng = np.random.default_rng(12)
    values = {
        "A": rng.normal(size=(4, 3)) / 2,
        "B": rng.normal(size=(3, 2)) / 2,
        "C": rng.normal(size=(2, 5)) / 2,
        "d": rng.normal(size=5),
        "y": rng.normal(size=4),
    }
    fn = load(src).f_and_grad
    args = {k: v for k, v in values.items() if k in inspect.signature(fn).parameters}

    def value(**kw):
        return (HEAD_SHARED[case](**{**values, **kw}),)

    got_value, grad = fn(**args)
    assert np.isclose(got_value, value(**args)[0], rtol=1e-10), src
    assert np.allclose(grad, _fd(value, args, wrt), rtol=1e-6, atol=1e-8), src


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


TENSORS = [  # a derivative that is a linear map: --format python returns its full array
    ("jacobian", "A*X*B", ["A:2,3", "X:3,4", "B:4,2"], lambda A, X, B: A @ X @ B),
    ("jacobian", "softmax(X, 2)", ["X:3,4"], lambda X, **_: _softmax_rows(X)),
    ("hessian", "tr(X'*A*X) + sum(sin(X))", ["A:3,3", "X:3,3"], None),
]


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize(("kind", "expr", "let", "f"), TENSORS, ids=[t[1] for t in TENSORS])
def test_a_tensor_derivative_in_a_python_module(kind, expr, let, f, layout):
    """SPEC §4: python covers every kind. A matrix-by-matrix derivative's module returns the
    full array, X's axes last (first in the denominator layout), against central differences
    of the tests' own NumPy (the Hessian: of its own gradient (A + Aᵀ) X + cos(X))."""
    r = getattr(matcalc, kind)(expr, wrt="X", let=let, layout=layout)
    module = types.ModuleType("generated")
    exec(compile(r.python(), "<generated>", "exec"), module.__dict__)
    fn = getattr(module, f"f_and_{kind}")
    rng = np.random.default_rng(3)
    shapes = {s.split(":")[0]: tuple(int(d) for d in s.split(":")[1].split(",")) for s in let}
    values = {
        k: rng.choice([-1.0, 1.0], size=v) * rng.uniform(0.3, 1.2, size=v)
        for k, v in shapes.items()
    }
    _, got = fn(**{p: values[p] for p in inspect.signature(fn).parameters})
    if f is None:  # the Hessian: the derivative of the gradient
        f = lambda A, X: (A + A.T) @ X + np.cos(X)  # noqa: E731
    x, h = values["X"], 1e-6
    cols = []
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        cols.append((f(**{**values, "X": x + e}) - f(**{**values, "X": x - e})) / (2 * h))
    want = np.moveaxis(np.array(cols).reshape(*x.shape, *cols[0].shape), (0, 1), (-2, -1))
    if layout == "denominator":
        want = np.moveaxis(want, (-2, -1), (0, 1))
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)
