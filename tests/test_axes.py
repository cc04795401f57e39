"""Axes (SPEC §7.1): MATLAB's 1-based dimension, NumPy's `axis=` and PyTorch's `dim=` (0-based)
for sum, mean, norm2, softmax, log_softmax, logsumexp, max and min; a matrix's softmax row by
row with its note; logsumexp of a matrix refused with both spellings; the batch models.

Every expected value comes from NumPy written in this file (and PyTorch's autograd where torch
is installed): values at random points of both signs, derivatives by central differences.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import matcalc

from .alarm import time_limit

M, K, N = 3, 4, 2  # distinct sizes: a transposed result has the wrong shape
SIZES = {"m": M, "k": K, "n": N}
LET = ["X:m,k", "Z:m,k", "Y:m,k", "G:m,k", "x:k", "c:k", "A:m,k"]


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def lse_rows(z):
    top = z.max(axis=1)
    return top + np.log(np.exp(z - top[:, None]).sum(axis=1))


def softmax_vec(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def point(rng: np.random.Generator) -> dict:
    """Entries of both signs, the extrema of each row and column well apart (max and min)."""

    def signed(shape):
        a = rng.permutation(np.arange(1, int(np.prod(shape)) + 1)).reshape(shape) / 4.0
        return a * rng.choice([-1.0, 1.0], size=shape) + rng.uniform(-0.05, 0.05, size=shape)

    vals = {name: signed((M, K)) for name in ("X", "Z", "Y", "G", "A")}
    vals.update(x=signed((K,)), c=signed((K,)))
    return vals


def evaluate(line: str, values: dict) -> np.ndarray:
    return np.asarray(eval(line, {"np": np, **values, **SIZES}), dtype=float)  # matcalc's line


# ----------------------------------------------------------------- each axis form, each spelling

FORMS = [
    # (spellings, NumPy)
    (["sum(X, 1)", "sum(X, axis=0)", "sum(X, dim=0)", "sum(X, dim=-2)"], lambda v: v["X"].sum(0)),
    (["sum(X, 2)", "sum(X, axis=1)", "sum(X, dim=-1)"], lambda v: v["X"].sum(1)),
    (["sum(X)"], lambda v: v["X"].sum()),
    (["mean(X, 1)", "mean(X, axis=0)"], lambda v: v["X"].mean(0)),
    (["mean(X, 2)", "mean(X, dim=1)"], lambda v: v["X"].mean(1)),
    (["norm2(X, 1)", "norm(X, axis=0)"], lambda v: np.sqrt((v["X"] ** 2).sum(0))),
    (["norm2(X, 2)", "norm2(X, dim=1)"], lambda v: np.sqrt((v["X"] ** 2).sum(1))),
    (["norm2(X)"], lambda v: np.sqrt((v["X"] ** 2).sum())),
    (
        ["softmax(Z, 2)", "softmax(Z, axis=1)", "softmax(Z, dim=1)", "softmax(Z, dim=-1)"],
        lambda v: softmax_rows(v["Z"]),
    ),
    (["softmax(Z, 1)", "softmax(Z, axis=0)"], lambda v: softmax_rows(v["Z"].T).T),
    (["softmax(x)", "softmax(x, 1)", "softmax(x, dim=0)"], lambda v: softmax_vec(v["x"])),
    (
        ["log_softmax(Z, 2)", "logsoftmax(Z, dim=1)", "log_softmax(Z, axis=-1)"],
        lambda v: v["Z"] - lse_rows(v["Z"])[:, None],
    ),
    (["log_softmax(Z, 1)"], lambda v: v["Z"] - lse_rows(v["Z"].T)[None, :]),
    (["log_softmax(x)", "logsoftmax(x)"], lambda v: np.log(softmax_vec(v["x"]))),
    (["logsumexp(Z, 2)", "logsumexp(Z, dim=1)"], lambda v: lse_rows(v["Z"])),
    (["logsumexp(Z, 1)", "logsumexp(Z, axis=0)"], lambda v: lse_rows(v["Z"].T)),
    (["logsumexp(vec(Z))"], lambda v: lse_rows(v["Z"].reshape(1, -1))[0]),
    (["max(X)"], lambda v: v["X"].max()),
    (["min(X)"], lambda v: v["X"].min()),
    (["max(X, dim=1)", "max(X, axis=-1)"], lambda v: v["X"].max(1)),
    (["min(X, axis=0)", "min(X, dim=0)"], lambda v: v["X"].min(0)),
    (["max(x)", "max(x, axis=0)"], lambda v: v["x"].max()),
    (["max(X, 0)"], lambda v: np.maximum(v["X"], 0)),  # two operands: entrywise, as before
]


@pytest.mark.parametrize("spellings,ref", FORMS, ids=[f[0][0] for f in FORMS])
def test_each_spelling_has_the_value_of_numpy(spellings, ref):
    rng = np.random.default_rng(7)
    for _ in range(2):
        values = point(rng)
        want = ref(values)
        for expr in spellings:
            got = evaluate(matcalc.show(expr, let=LET).numpy(), values)
            assert got.shape == np.shape(want), expr
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=expr)


def test_exact_values_at_a_point():
    """`--at`: exact evaluation, not the NumPy line."""
    X = [[1, -2, 3], [4, 5, -6]]
    r = matcalc.show("mean(X, axis=0)", let=["X:2,3"], at={"X": X})
    np.testing.assert_allclose(np.asarray(r.value, dtype=float).ravel(), np.mean(X, axis=0))
    r = matcalc.show("max(X, dim=1)", let=["X:2,3"], at={"X": X})
    np.testing.assert_allclose(np.asarray(r.value, dtype=float).ravel(), [3, 5])
    r = matcalc.show("softmax(X, 2)", let=["X:2,3"], at={"X": X})
    np.testing.assert_allclose(
        np.asarray(r.value, dtype=float), softmax_rows(np.asarray(X, float)), rtol=1e-12
    )


# ----------------------------------------------------------------- derivatives, every layout


def fd_grad(f, values: dict, wrt: str, h: float = 1e-6) -> np.ndarray:
    x0 = values[wrt]
    g = np.zeros(np.shape(x0) + np.shape(f(values)))
    for idx in np.ndindex(np.shape(x0)):
        vp, vm = dict(values), dict(values)
        vp[wrt] = x0.copy()
        vm[wrt] = x0.copy()
        vp[wrt][idx] += h
        vm[wrt][idx] -= h
        g[idx] = (np.asarray(f(vp)) - np.asarray(f(vm))) / (2 * h)
    return g


GRADS = [
    ("sum(G .* softmax(Z, 2))", "Z", lambda v: np.sum(v["G"] * softmax_rows(v["Z"]))),
    ("sum(G .* softmax(Z, axis=0))", "Z", lambda v: np.sum(v["G"] * softmax_rows(v["Z"].T).T)),
    (
        "sum(Y .* log_softmax(Z, dim=1))",
        "Z",
        lambda v: np.sum(v["Y"] * (v["Z"] - lse_rows(v["Z"])[:, None])),
    ),
    ("sum(logsumexp(Z, 2) .^ 2)", "Z", lambda v: np.sum(lse_rows(v["Z"]) ** 2)),
    ("sum(sin(sum(X, 1)))", "X", lambda v: np.sum(np.sin(v["X"].sum(0)))),
    ("sum(exp(mean(X, dim=1)))", "X", lambda v: np.sum(np.exp(v["X"].mean(1)))),
    ("sum(norm2(X, 2))", "X", lambda v: np.sum(np.sqrt((v["X"] ** 2).sum(1)))),
    ("max(X)", "X", lambda v: v["X"].max()),
    ("sum(min(X, dim=1) .^ 2)", "X", lambda v: np.sum(v["X"].min(1) ** 2)),
    ("c' * max(A, axis=0)'", "A", lambda v: v["c"] @ v["A"].max(0)),
]


@pytest.mark.parametrize("expr,wrt,ref", GRADS, ids=[g[0] for g in GRADS])
def test_gradient_in_every_layout_and_format(expr, wrt, ref):
    rng = np.random.default_rng(11)
    values = point(rng)
    want = fd_grad(ref, values, wrt)
    with time_limit(120):
        for layout in ("mixed", "numerator", "denominator"):
            r = matcalc.grad(expr, wrt=wrt, let=LET, layout=layout)
            expect = want.T if layout == "numerator" else want
            got = evaluate(r.numpy(), values)
            np.testing.assert_allclose(got, expect, rtol=1e-6, atol=1e-7, err_msg=layout)
        # text and LaTeX read back by show have the same value
        for text, kind in ((r.text(), "text"), (r.latex(), "latex")):
            back = matcalc.show(text, let=LET, input=kind).numpy()
            np.testing.assert_allclose(evaluate(back, values), want, rtol=1e-6, atol=1e-7)
        # json holds the same line; the python module returns the value and the gradient
        out = json.loads(matcalc.render.render(r, "json"))
        assert out["numpy"] == r.numpy() and out["text"] == r.text()
        namespace: dict = {}
        exec(compile(r.python(), "<axes>", "exec"), namespace)  # matcalc's generated module
        fn = namespace["f_and_grad"]
        import inspect

        args = [values[p] for p in inspect.signature(fn).parameters]
        f, g = fn(*args)
        np.testing.assert_allclose(f, ref(values), rtol=1e-12)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)


JACOBIANS = [
    ("logsumexp(A + x*c', 2)", lambda v: lse_rows(v["A"] + np.outer(v["x"], v["c"]))),
    ("max(A + x*c', dim=1)", lambda v: (v["A"] + np.outer(v["x"], v["c"])).max(1)),
    (
        "sum(softmax(A + x*c', 2) .* A, 2)",
        lambda v: (softmax_rows(v["A"] + np.outer(v["x"], v["c"])) * v["A"]).sum(1),
    ),
]


@pytest.mark.parametrize("expr,ref", JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_jacobian_in_every_layout(expr, ref):
    """A vector by a vector: m×m, transposed in the denominator layout."""
    let = ["A:m,k", "x:m", "c:k"]
    rng = np.random.default_rng(3)
    values = point(rng)
    values["x"] = values["x"][:M]
    jac = fd_grad(ref, values, "x").T  # J[i, j] = d f_i / d x_j
    with time_limit(120):
        for layout in ("mixed", "numerator", "denominator"):
            r = matcalc.jacobian(expr, wrt="x", let=let, layout=layout)
            expect = jac.T if layout == "denominator" else jac
            np.testing.assert_allclose(evaluate(r.numpy(), values), expect, rtol=1e-6, atol=1e-7)
            for text, kind in ((r.text(), "text"), (r.latex(), "latex")):
                back = matcalc.show(text, let=let, input=kind).numpy()
                np.testing.assert_allclose(evaluate(back, values), expect, rtol=1e-6, atol=1e-7)


def test_componentwise_agrees_at_integer_sizes():
    """`--expand` at integer sizes gives the same numbers as the matrix form."""
    Z = [[1, -2, 0.5], [0.25, 3, -1]]
    G = [[2, 1, -1], [0.5, -3, 1]]
    let = ["Z:2,3", "G:2,3"]
    for expr in ("sum(G .* softmax(Z, 2))", "sum(G .* log_softmax(Z, axis=0))"):
        a = matcalc.grad(expr, wrt="Z", let=let, at={"Z": Z, "G": G})
        b = matcalc.grad(expr, wrt="Z", let=let, at={"Z": Z, "G": G}, expand=True)
        np.testing.assert_allclose(
            np.asarray(a.value, dtype=float), np.asarray(b.value, dtype=float), rtol=1e-10
        )
        values = {"Z": np.asarray(Z, float), "G": np.asarray(G, float)}
        rows = softmax_rows if "softmax(Z, 2)" in expr else None
        if rows is not None:
            want = fd_grad(lambda v: np.sum(v["G"] * softmax_rows(v["Z"])), values, "Z")
            np.testing.assert_allclose(np.asarray(a.value, dtype=float), want, rtol=1e-6)


# ----------------------------------------------------------------- the note and the errors


def test_softmax_of_a_matrix_is_row_by_row_with_one_note(cli):
    code, out, err = cli("show", "softmax(Z)", "--let", "Z:m,k")
    assert (code, out) == (0, "softmax(Z, 2)\n")
    assert err == (
        "note: softmax of the m×k matrix Z acts on each row (the last axis, as in PyTorch): "
        "softmax(Z, 2) = softmax(Z, axis=1) = softmax(Z, dim=1); softmax(Z, 1) acts on each "
        "column\n"
    )
    code, out, err = cli("show", "log_softmax(Z) + softmax(Z, 2)", "--let", "Z:m,k")
    assert code == 0 and err.count("\n") == 1 and err.startswith("note: log_softmax of the")
    for quiet in ("softmax(Z, 2)", "softmax(x)", "softmax(Z, dim=1)"):
        assert cli("show", quiet, "--let", "Z:m,k", "--let", "x:k")[2] == ""


ERRORS = [
    (
        "logsumexp(X*W)",
        "error: logsumexp of the m×n matrix X W needs an axis (SciPy and PyTorch disagree): "
        "logsumexp(X W, 2) for each row, logsumexp(vec(X W)) for all entries (column 1)\n"
        "  logsumexp(X*W)\n  ^\n",
    ),
    (
        "sum(X, 3)",
        "error: sum(X, k): the dimension k is 1 (each column) or 2 (each row), as in MATLAB; "
        "axis=/dim= count from 0 (column 8)\n  sum(X, 3)\n         ^\n",
    ),
    (
        "mean(X, axis=2)",
        "error: axis= is 0 (down each column) or 1 (along each row), counted from 0 as in NumPy "
        "and PyTorch (-1 is the last) (column 14)\n  mean(X, axis=2)\n               ^\n",
    ),
    (
        "sin(X, dim=1)",
        "error: dim= is an argument of sum, mean, norm2, norm, softmax, log_softmax, logsoftmax, "
        "logsumexp, max, ismax, min, ismin only (column 8)\n  sin(X, dim=1)\n         ^\n",
    ),
    (
        "softmax(X, axis=1, dim=1)",
        "error: softmax takes one axis, got 2 (column 20)\n"
        "  softmax(X, axis=1, dim=1)\n                     ^\n",
    ),
    (
        "max(X, W, dim=1)",
        "error: max(x, dim=k) takes one operand and the axis, got 2 (column 11)\n"
        "  max(X, W, dim=1)\n            ^\n",
    ),
    ("sum(X, keepdims=1)", "error: unexpected character '=' (column 16)\n"),
    ("logsumexp(t, dim=0)", "error: logsumexp needs a vector, got scalar (column 1)\n"),
    ("sum(axis=1)", "error: sum(x, axis=k) takes one operand and the axis, got 0 (column 5)\n"),
    ("X = 1", "error: unexpected character '=' (column 3)\n"),
    (
        "maximum(X)",
        "error: maximum(a, b) is entrywise and takes 2 arguments; for the largest entry write "
        "max(x) (column 1)\n  maximum(X)\n  ^\n",
    ),
]


@pytest.mark.parametrize("expr,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_word_for_word(cli, expr, message):
    code, out, err = cli("show", expr, "--let", "X:m,k", "--let", "W:k,n")
    assert (code, out) == (2, "")
    assert err.startswith(message), err
    assert "Traceback" not in err


# ----------------------------------------------------------------- the batch models


CROSS_ENTROPY = "-sum(Y .* log_softmax(X*W, 2))/m"
CE_LET = ["X:m,n", "W:n,k", "Y:m,k"]


def cross_entropy(v):
    z = v["X"] @ v["W"]
    return -np.sum(v["Y"] * (z - lse_rows(z)[:, None])) / M


def attention(v):
    s = softmax_rows(v["X"] @ v["WQ"] @ v["K"].T / np.sqrt(K))
    return np.sum(v["G"] * (s @ v["V"]))


ATTENTION = "sum(G .* (softmax(X*WQ*K'/sqrt(k), 2)*V))"
ATT_LET = ["X:m,n", "WQ:n,k", "K:m,k", "V:m,n", "G:m,n"]


def model_point(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.normal(size=(M, N)),
        "W": rng.normal(size=(N, K)),
        "Y": rng.uniform(0.1, 1.0, size=(M, K)),  # not one-hot: the rows' sums show
        "WQ": rng.normal(size=(N, K)),
        "K": rng.normal(size=(M, K)),
        "V": rng.normal(size=(M, N)),
        "G": rng.normal(size=(M, N)),
    }


def test_batch_cross_entropy_prints_the_textbook_form_and_is_right():
    r = matcalc.grad(CROSS_ENTROPY, wrt="W", let=CE_LET)
    # Xᵀ (diag(Y 𝟏) softmax(X W, 2) − Y)/m: Y's rows need not sum to one
    assert r.text() == "Xᵀ (diag(Y 𝟏) softmax(X W, 2) - Y)/m"
    v = model_point(5)
    want = fd_grad(cross_entropy, v, "W")
    np.testing.assert_allclose(evaluate(r.numpy(), v), want, rtol=1e-6, atol=1e-8)
    # with one-hot rows it is Xᵀ (P − Y)/m
    onehot = np.eye(K)[[0, 2, 1]]
    v["Y"] = onehot
    p = softmax_rows(v["X"] @ v["W"])
    np.testing.assert_allclose(evaluate(r.numpy(), v), v["X"].T @ (p - onehot) / M, rtol=1e-12)


def test_attention_gradient_by_the_query_weights():
    r = matcalc.grad(ATTENTION, wrt="WQ", let=ATT_LET)
    v = model_point(9)
    np.testing.assert_allclose(
        evaluate(r.numpy(), v), fd_grad(attention, v, "WQ"), rtol=1e-6, atol=1e-8
    )
    q = matcalc.grad("sum(G .* (softmax(Q*K'/sqrt(k), 2)*V))", wrt="Q", let=["Q:m,k", *ATT_LET])
    v["Q"] = v["X"] @ v["WQ"]
    f = lambda w: np.sum(w["G"] * (softmax_rows(w["Q"] @ w["K"].T / np.sqrt(K)) @ w["V"]))  # noqa: E731
    np.testing.assert_allclose(evaluate(q.numpy(), v), fd_grad(f, v, "Q"), rtol=1e-6, atol=1e-8)
    for name in ("K", "V"):  # the other two projections' inputs
        r = matcalc.grad(ATTENTION, wrt=name, let=ATT_LET)
        want = fd_grad(attention, v, name)
        np.testing.assert_allclose(evaluate(r.numpy(), v), want, rtol=1e-6, atol=1e-8)


def test_models_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed here")
    v = model_point(13)
    t = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in v.items()}
    loss = -(t["Y"] * torch.log_softmax(t["X"] @ t["W"], dim=1)).sum() / M
    loss.backward()
    r = matcalc.grad(CROSS_ENTROPY, wrt="W", let=CE_LET)
    np.testing.assert_allclose(evaluate(r.numpy(), v), t["W"].grad.numpy(), rtol=1e-10)
    s = torch.softmax(t["X"] @ t["WQ"] @ t["K"].T / np.sqrt(K), dim=-1)
    (t["G"] * (s @ t["V"])).sum().backward()
    r = matcalc.grad(ATTENTION, wrt="WQ", let=ATT_LET)
    np.testing.assert_allclose(evaluate(r.numpy(), v), t["WQ"].grad.numpy(), rtol=1e-10)


def test_steps_show_the_row_wise_rule(cli):
    code, out, _ = cli("grad", "sum(G .* softmax(Z, 2))", "--let", "Z:m,k", "--let", "G:m,k",
                       "--wrt", "Z", "--steps")  # fmt: skip
    assert code == 0
    assert "row by row: d softmax(Z, 2) = S ⊙ (dZ − ((S ⊙ dZ) 𝟏) 𝟏ᵀ), S = softmax(Z, 2)" in out
    code, out, _ = cli("grad", "sum(max(X, dim=1))", "--let", "X:m,k", "--wrt", "X", "--steps")
    assert code == 0 and "d max(X) = ⟨ismax(X), dX⟩" in out


def test_check_passes_away_from_ties(cli):
    """--check picks points where the extremum is unique (the entries' domain)."""
    for expr in ("max(X) + sum(min(X, dim=0))", CROSS_ENTROPY):
        code, out, _ = cli("grad", expr, "--let", "X:m,n", "--let", "W:n,k", "--let", "Y:m,k",
                           "--wrt", "X", "--check")  # fmt: skip
        assert code == 0 and "(ok)" in out, out


def test_at_a_tie_the_derivative_of_max_is_undefined(cli):
    """Differentiable where the extremum is attained once: at a tie, a user error (SPEC §5)."""
    tie = ["--let", "X:2,2", "--wrt", "X", "--at", "X=[[1,1],[0,0]]"]
    code, out, err = cli("grad", "max(X)", *tie)
    assert (code, out, err) == (2, "", "error: ismax is undefined at this point (ismax(X))\n")
    code, out, _ = cli("grad", "max(X)", "--let", "X:2,2", "--wrt", "X", "--at", "X=[[1,2],[0,0]]")
    assert code == 0 and json.loads(out) == [[0, 1], [0, 0]]
