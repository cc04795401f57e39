"""The tutorial's whole models over a batch (docs/tutorial.md §7, SPEC §7.1), end to end.

Each model is run through the CLI by every weight and bias at once; the printed `--format numpy`
line is evaluated and the `--format python` module imported, and both are compared with central
finite differences of this file's own NumPy forward pass and — where torch is installed — with
PyTorch's `.grad` after `loss.backward()` on this file's own torch model. Nothing expected here
comes from matcalc or from tests/conftest.py's reference.
"""

from __future__ import annotations

import inspect
import shlex
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from tests.alarm import time_limit

ALARM = 120  # seconds: a hang becomes a failure, never a timing assertion


def _row_softmax(xp, Z):
    if xp is not np:  # torch: its own softmax, as a PyTorch model is written
        return xp.softmax(Z, dim=1)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _row_log_softmax(xp, Z):
    if xp is not np:
        return xp.log_softmax(Z, dim=1)
    Z = Z - Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def _relu(xp, U):
    return xp.relu(U) if xp is not np else np.maximum(U, 0.0)


# ----------------------------------------------------------------- the models, written by hand
# Each forward pass takes the array module `xp` (NumPy, or torch for .grad) and the values.


def _ce(xp, X, W, b, Y, m):
    """CS231n's softmax classifier: −Σ Y ⊙ log softmax(X W + b) / m, the bias on every row."""
    return -(Y * _row_log_softmax(xp, X @ W + b)).sum() / m


def _mlp(xp, X, W1, b1, W2, b2, Y, m):
    H = _relu(xp, X @ W1 + b1)
    return -(Y * _row_log_softmax(xp, H @ W2 + b2)).sum() / m


def _attention(xp, X, W_Q, W_K, W_V, G, dk):
    """Vaswani et al.: softmax(Q Kᵀ/√dk) V, the layer's upstream gradient G contracted."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    return (G * (_row_softmax(xp, Q @ K.T / dk**0.5) @ V)).sum()


def _layer_norm(xp, X, g, b, G, eps):
    """Ba et al.: each row centred and scaled by its own mean and standard deviation."""
    mu = X.mean(axis=1, keepdims=True)
    var = ((X - mu) ** 2).mean(axis=1, keepdims=True)
    return (G * (g * (X - mu) / (var + eps) ** 0.5 + b)).sum()


@dataclass(frozen=True)
class Model:
    expr: str  # as docs/tutorial.md §7 writes it
    let: tuple[str, ...]
    wrt: tuple[str, ...]
    dims: dict[str, int]
    forward: Callable
    scalars: dict[str, float]


MODELS = {
    "softmax classifier": Model(
        "-sum(Y .* log_softmax(X*W + b, dim=1))/m",
        ("X:m,n", "W:n,k", "b:k", "Y:m,k"),
        ("W", "b"),
        {"m": 5, "n": 4, "k": 3},
        _ce,
        {},
    ),
    "2-layer MLP": Model(
        "-sum(Y .* log_softmax(H*W2 + b2, dim=1))/m where H = relu(X*W1 + b1)",
        ("X:m,n", "W1:n,h", "b1:h", "W2:h,k", "b2:k", "Y:m,k"),
        ("W1", "b1", "W2", "b2"),
        {"m": 5, "n": 4, "h": 6, "k": 3},
        _mlp,
        {},
    ),
    "attention": Model(
        "sum(G .* (A*V)) where A = softmax(Q*K'/sqrt(dk), 2), Q = X*W_Q, K = X*W_K, V = X*W_V",
        ("X:n,dm", "W_Q:dm,dk", "W_K:dm,dk", "W_V:dm,dv", "G:n,dv"),
        ("W_Q", "W_K", "W_V"),
        {"n": 5, "dm": 4, "dk": 3, "dv": 2},
        _attention,
        {},
    ),
    "layer norm": Model(
        "sum(G .* (g' .* Xh + b')) where Xh = (X - mu) ./ s, mu = mean(X, 2), "
        "s = sqrt(mean((X - mu).^2, 2) + eps)",
        ("X:m,n", "g:n", "b:n", "G:m,n"),
        ("X", "g", "b"),
        {"m": 5, "n": 4},
        _layer_norm,
        {"eps": 0.1},
    ),
}


def _values(model: Model, seed: int) -> dict[str, object]:
    """Entries of both signs; Y's rows positive but not one-hot (so diag(Y 𝟏) counts)."""
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    for decl in model.let:
        name, shape = decl.split(":")
        size = tuple(model.dims[d] for d in shape.split(","))
        out[name] = rng.uniform(0.2, 1.0, size) if name == "Y" else rng.normal(size=size)
    return {**out, **model.scalars}


def _forward_np(model: Model, values: dict[str, object]) -> float:
    params = inspect.signature(model.forward).parameters
    env = {**values, **model.dims}
    return float(model.forward(np, **{p: env[p] for p in list(params)[1:]}))


def _finite_differences(model: Model, values: dict[str, object], name: str) -> np.ndarray:
    """Central differences of this file's NumPy forward pass, entry by entry."""
    x0 = np.asarray(values[name], dtype=float)
    out = np.zeros_like(x0)
    h = 1e-6
    for i in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[i] += h
        down[i] -= h
        out[i] = (
            _forward_np(model, {**values, name: up}) - _forward_np(model, {**values, name: down})
        ) / (2 * h)
    return out


def _torch_grads(model: Model, values: dict[str, object]) -> dict[str, np.ndarray]:
    """PyTorch's .grad of every --wrt name after loss.backward() on the same numbers."""
    torch = pytest.importorskip("torch", reason="torch is not installed: .grad is not compared")
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=k in model.wrt)
        for k, v in values.items()
    }
    params = inspect.signature(model.forward).parameters
    env = {**t, **model.dims}
    loss = model.forward(torch, **{p: env[p] for p in list(params)[1:]})
    loss.backward()
    return {k: t[k].grad.numpy() for k in model.wrt}


def _run(cli, model: Model, *extra: str) -> str:
    args = ["grad", model.expr, *(f"--let={d}" for d in model.let)]
    code, out, err = cli(*args, "--wrt", ",".join(model.wrt), *extra)
    assert code == 0, f"{shlex.join(args)}\n{err}"
    return out


def _numpy_line(cli, model: Model, values: dict[str, object]) -> list[np.ndarray]:
    line = _run(cli, model, "--format", "numpy").strip()
    assert "\n" not in line
    got = eval(line, {"np": np, **values, **model.dims})  # the printed line, as SPEC §4 says
    return list(got)


def _module(cli, model: Model, values: dict[str, object]) -> tuple[float, list[np.ndarray]]:
    src = _run(cli, model, "--format", "python")
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    fn = module.f_and_grad
    value, *grads = fn(**{p: values[p] for p in inspect.signature(fn).parameters})
    return value, grads


@pytest.mark.parametrize("name", list(MODELS))
def test_every_weight_and_bias_matches_finite_differences(cli, name):
    model = MODELS[name]
    values = _values(model, seed=1)
    with time_limit(ALARM):
        line = _numpy_line(cli, model, values)
        value, module = _module(cli, model, values)
    assert np.isclose(value, _forward_np(model, values), rtol=1e-10)
    for wrt, a, b in zip(model.wrt, line, module, strict=True):
        want = _finite_differences(model, values, wrt)
        assert np.shape(a) == np.shape(b) == want.shape, wrt
        assert np.allclose(a, want, rtol=1e-5, atol=1e-7), (name, wrt, "numpy line")
        assert np.allclose(b, want, rtol=1e-5, atol=1e-7), (name, wrt, "python module")


@pytest.mark.parametrize("name", list(MODELS))
def test_every_weight_and_bias_matches_pytorch(cli, name):
    model = MODELS[name]
    values = _values(model, seed=2)
    want = _torch_grads(model, values)
    with time_limit(ALARM):
        line = _numpy_line(cli, model, values)
        _, module = _module(cli, model, values)
    for wrt, a, b in zip(model.wrt, line, module, strict=True):
        assert np.allclose(a, want[wrt], rtol=1e-9, atol=1e-12), (name, wrt, "numpy line")
        assert np.allclose(b, want[wrt], rtol=1e-9, atol=1e-12), (name, wrt, "python module")


def test_one_hot_labels_give_the_books_softmax_gradient(cli):
    """With one-hot Y, diag(Y 𝟏) = 𝐈 and the classifier's gradient is CS231n's Xᵀ (P − Y)/m."""
    model = MODELS["softmax classifier"]
    values = _values(model, seed=3)
    values["Y"] = np.eye(3)[[0, 2, 1, 1, 0]]
    X, W, b, Y = values["X"], values["W"], values["b"], values["Y"]
    P = np.exp(X @ W + b)
    P /= P.sum(axis=1, keepdims=True)
    with time_limit(ALARM):
        gW, gb = _numpy_line(cli, model, values)
    assert np.allclose(gW, X.T @ (P - Y) / 5, rtol=1e-10)
    assert np.allclose(gb, (P - Y).sum(axis=0) / 5, rtol=1e-10)


def test_the_loss_and_its_gradient_share_one_exponential(cli):
    """render/cost.py: softmax(Z, 2) and logsumexp(Z, 2) of one Z come from one exp of
    Z − M 𝟏ᵀ (M the row maxima), as hand-written NumPy computes them; still right, and finite
    where exp(Z) alone would overflow."""
    model = MODELS["softmax classifier"]
    values = _values(model, seed=4)
    with time_limit(ALARM):
        src = _run(cli, model, "--format", "python")
    assert src.count("np.exp(") == 1, src
    values["X"] = values["X"] * 400.0  # scores of several hundred: exp(Z) overflows
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    fn = module.f_and_grad
    value, gW, gb = fn(**{p: values[p] for p in inspect.signature(fn).parameters})
    assert np.isfinite(value) and np.isfinite(gW).all() and np.isfinite(gb).all()
    assert np.isclose(value, _forward_np(model, values), rtol=1e-10)
    for wrt, got in zip(model.wrt, (gW, gb), strict=True):
        want = _finite_differences(model, values, wrt)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), wrt


def _right_under_a_numpy_refusing(cli, name: str, seed: int, refused: tuple[str, ...]) -> None:
    """The model's --format python module, run with a NumPy whose `refused` functions raise:
    its value and every gradient still right against this file's NumPy and finite differences."""
    model = MODELS[name]
    values = _values(model, seed=seed)
    with time_limit(ALARM):
        src = _run(cli, model, "--format", "python")

    def refuse(*args, **kw):
        raise AssertionError(f"np.{' or np.'.join(refused)} called")

    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    module.np = types.SimpleNamespace(**{**vars(np), **dict.fromkeys(refused, refuse)})
    fn = module.f_and_grad
    value, *grads = fn(**{p: values[p] for p in inspect.signature(fn).parameters})
    assert np.isclose(value, _forward_np(model, values), rtol=1e-10)
    for wrt, got in zip(model.wrt, grads, strict=True):
        want = _finite_differences(model, values, wrt)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7), wrt


def test_a_relu_layers_backward_compares_rather_than_calls_heaviside(cli):
    """render/backends.py: the NumPy module writes step(u) as (u > 0) * 1.0, not np.heaviside
    (some 3× slower); run with a NumPy whose heaviside raises, and still right."""
    _right_under_a_numpy_refusing(cli, "2-layer MLP", 5, ("heaviside",))


class _Counted(np.ndarray):
    """An array that counts the matrix products it takes part in (the test's own tally)."""

    products: list[str] = []

    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", None)  # W_K.T keeps the name of W_K

    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        plain = [np.asarray(a) if isinstance(a, _Counted) else a for a in inputs]
        if ufunc is np.matmul:
            _Counted.products += [a.tag for a in inputs if isinstance(a, _Counted)]
        return getattr(ufunc, method)(*plain, **kw)


def test_attention_multiplies_each_projection_once(cli):
    """render/python.py: X W_K and X W_V, needed by the scores (W_Kᵀ Xᵀ), the output and the
    gradients, are each one product, as hand-written attention keeps K and V; still right."""
    model = MODELS["attention"]
    values = _values(model, seed=6)
    with time_limit(ALARM):
        src = _run(cli, model, "--format", "python")
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    fn = module.f_and_grad
    args = {p: values[p] for p in inspect.signature(fn).parameters}
    for name in ("W_K", "W_V"):
        args[name] = args[name].view(_Counted)
        args[name].tag = name
    _Counted.products = []
    _, *grads = fn(**args)
    assert sorted(_Counted.products) == ["W_K", "W_V"], src
    for wrt, got in zip(model.wrt, grads, strict=True):
        want = _finite_differences(model, values, wrt)
        assert np.allclose(np.asarray(got), want, rtol=1e-5, atol=1e-7), wrt


def test_a_bias_is_broadcast_not_formed_by_an_outer_product(cli):
    """render/products.py: in the module 𝟏ₘ bᵀ is b broadcast over the rows (and the row
    log-sum-exp over the columns), added alone as `X @ W + b` is written; run with a NumPy
    whose outer and broadcast_to raise, and still right against finite differences."""
    _right_under_a_numpy_refusing(cli, "softmax classifier", 7, ("outer", "broadcast_to"))


@pytest.mark.parametrize("name", ["softmax classifier", "2-layer MLP"])
def test_a_diagonal_matrix_is_never_formed(cli, name):
    """render/python.py: diag(Y 𝟏), shared by the gradients by W and b, scales rows in each
    product; the module shares Y 𝟏 and never forms the m×m matrix (it formed one, unused):
    run with a NumPy whose diag raises, and still right against finite differences."""
    _right_under_a_numpy_refusing(cli, name, 8, ("diag",))


class _Tally(np.ndarray):
    """An array that records every NumPy operation it takes part in (`add`, `add.reduce`), with
    its operands as (kind, shape or value): an array, a NumPy scalar or a Python number."""

    calls: list[tuple[str, tuple]] = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        plain = [np.asarray(a) if isinstance(a, _Tally) else a for a in inputs]
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        _Tally.calls.append((name, tuple(map(_kind, inputs))))
        out = getattr(ufunc, method)(*plain, **kw)
        return out.view(_Tally) if isinstance(out, np.ndarray) and out.ndim else out


def _kind(a) -> tuple:
    if isinstance(a, np.ndarray):
        return ("array", a.shape)
    if isinstance(a, np.generic):
        return ("numpy scalar", a.item())
    return ("number", a)


def _tallied(cli, name: str, seed: int) -> tuple[Model, dict, list, float, list[np.ndarray]]:
    """The model's module run on tallying arrays: the calls it made, its value and gradients."""
    model = MODELS[name]
    values = _values(model, seed=seed)
    with time_limit(ALARM):
        src = _run(cli, model, "--format", "python")
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    fn = module.f_and_grad
    args = {p: values[p] for p in inspect.signature(fn).parameters}
    args = {k: v.view(_Tally) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    _Tally.calls = []
    value, *grads = fn(**args)
    return model, values, list(_Tally.calls), value, [np.asarray(g) for g in grads]


def _right(model: Model, values: dict, value: float, grads: list[np.ndarray]) -> None:
    assert np.isclose(float(value), _forward_np(model, values), rtol=1e-10)
    for wrt, got in zip(model.wrt, grads, strict=True):
        want = _finite_differences(model, values, wrt)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7), wrt


def test_attention_scales_by_one_over_root_dk_once_per_pass(cli):
    """render/cost.py: the backward's c P - c diag(P 𝟏) S, c = 1/√dk, is c (P - diag(P 𝟏) S)
    and c joins the product Xᵀ (…) K's scale, applied to the small result: of the n×n arrays
    only the forward scores are scaled (the papers' code); right against finite differences."""
    model, values, calls, value, grads = _tallied(cli, "attention", seed=8)
    n = model.dims["n"]
    scaled = [
        c
        for c in calls
        if c[0] in ("multiply", "divide")
        and ("array", (n, n)) in c[1]
        and any(kind != "array" for kind, _ in c[1])
    ]
    assert len(scaled) == 1, scaled
    _right(model, values, value, grads)


def test_a_numpy_scalar_never_multiplies_an_array_from_the_left(cli):
    """ops/arith.py: in a module a scale that is a NumPy scalar (1/np.sqrt(dk)) follows a fresh
    array, `M * c`, so NumPy can scale M in place (`c * M` allocates a new one); attention's
    module has no other NumPy-scalar scale (render/cost.py factors the backward's out)."""
    model, values, calls, value, grads = _tallied(cli, "attention", seed=9)
    left = [c for c in calls if c[0] == "multiply" and c[1][0][0] == "numpy scalar"]
    assert not left, left
    assert any(c[0] == "multiply" and c[1][1][0] == "numpy scalar" for c in calls)
    _right(model, values, value, grads)


def test_the_classifier_forms_its_logits_once_and_subtracts(cli):
    """render/cost.py and render/products.py: the loss's Z - L 𝟏ᵀ adds to the logits
    Z = X W + b that the exponential also needs (one addition, not Z's terms again); a term
    −v 𝟏ᵀ is subtracted, never multiplied by −1; diag(s)⁻¹ E divides E by s, no 1/s formed."""
    model, values, calls, value, grads = _tallied(cli, "softmax classifier", seed=10)
    m, k = model.dims["m"], model.dims["k"]
    adds = [c for c in calls if c[0] == "add" and ("array", (m, k)) in c[1]]
    assert len(adds) == 1, adds  # X W + b
    negated = [c for c in calls if c[0] == "multiply" and ("number", -1) in c[1]]
    assert not negated, negated
    reciprocals = [c for c in calls if c[0] == "divide" and c[1][0][0] != "array"]
    assert not reciprocals, reciprocals
    _right(model, values, value, grads)


def test_a_constant_common_to_a_sum_is_printed_outside_it(cli):
    """simplify/tidy.py: 1/√dk and 1/m, common to every term, are factored out as the books
    print these gradients: Xᵀ (P − diag(P 𝟏) S) K/√dk and Xᵀ (diag(Y 𝟏) S − Y)/m."""
    with time_limit(ALARM):
        attention = _run(cli, MODELS["attention"]).splitlines()[0]
        classifier = _run(cli, MODELS["softmax classifier"]).splitlines()[0]
    assert attention.startswith("W_Q: Xᵀ (P - diag(P 𝟏) S) K/sqrt(dk)  where "), attention
    assert classifier == "W: Xᵀ (diag(Y 𝟏) softmax(X W + 𝟏ₘ bᵀ, 2) - Y)/m", classifier


def test_attentions_backward_adds_into_its_fresh_array(cli):
    """ops/arith.py: in a NumPy module P − diag(P 𝟏) S, P a named temporary, is written
    `-(u[:, None] * S) + P`: NumPy negates and adds in the fresh array (`P - (…)` would take a
    third n×n array); right against finite differences."""
    model, values, calls, value, grads = _tallied(cli, "attention", seed=11)
    n = model.dims["n"]
    square = ("array", (n, n))
    assert not [c for c in calls if c[0] == "subtract" and c[1] == (square, square)], calls
    assert [c for c in calls if c[0] == "negative" and c[1] == (square,)], calls
    _right(model, values, value, grads)
