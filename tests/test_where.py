"""`EXPR where NAME = EXPR, …` (SPEC §7.3): a name is its definition.

The derivatives are compared with central finite differences of the tests' own NumPy of the
model (not matcalc's evaluator), and with the inlined expression; the user errors are checked
word for word, with their column."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import matcalc

from .alarm import time_limit

N, K = 4, 3


def _fd(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar f at x by central differences, shaped like x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _spd(d: int, rng: np.random.Generator) -> np.ndarray:
    q = rng.standard_normal((d, d))
    return q @ q.T / d + np.eye(d)


KALMAN = "v'*inv(S)*v/2 + logdet(S)/2 where S = H*P*H' + R, v = y - H*mp"
KALMAN_INLINE = (
    "(y - H*mp)'*inv(H*P*H' + R)*(y - H*mp)/2 + logdet(H*P*H' + R)/2"  # the same, by hand
)
KALMAN_LET = ["H:k,n", "P:n,n,sym", "R:k,k,sym", "y:k", "mp:n"]


def _kalman_values(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    return {
        "H": rng.standard_normal((K, N)),
        "P": _spd(N, rng),
        "R": _spd(K, rng),
        "y": rng.standard_normal(K),
        "mp": rng.standard_normal(N),
        "n": N,
        "k": K,
    }


def _kalman_nll(H, P, R, y, mp):
    """The innovation negative log-likelihood, up to a constant (Särkkä, Bayesian Filtering
    and Smoothing, 2013, eq. 12.11): S = H P Hᵀ + R, v = y − H m⁻, ½ vᵀS⁻¹v + ½ log det S."""
    S = H @ P @ H.T + R
    v = y - H @ mp
    return 0.5 * v @ np.linalg.solve(S, v) + 0.5 * np.linalg.slogdet(S)[1]


def test_a_where_model_has_the_derivative_of_the_model():
    with time_limit(120):
        res = matcalc.grad(KALMAN, wrt="H", let=KALMAN_LET)
        inline = matcalc.grad(KALMAN_INLINE, wrt="H", let=KALMAN_LET)
    # the book's form (Särkkä 2013, eq. 12.11 differentiated), the user's names kept
    assert res.text() == "(S⁻¹ - S⁻¹ v vᵀ S⁻¹) H P - S⁻¹ v mpᵀ  where S = R + H P Hᵀ, v = y - H mp"
    assert res.numpy() == inline.numpy()  # a name is its definition: one expression, inlined
    for seed in range(2):
        vals = _kalman_values(seed)
        got = eval(res.numpy(), {"np": np, **vals})  # matcalc's printed line
        rest = {k: vals[k] for k in ("P", "R", "y", "mp")}
        want = _fd(lambda H, rest=rest: _kalman_nll(H, **rest), vals["H"])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_definitions_may_use_each_other_in_any_order():
    """GPML (Rasmussen & Williams 2006, eq. 2.30) without the constant: ½ yᵀα + ½ log det K,
    α = K⁻¹y, K = A Aᵀ + s²𝐈; α is defined before the K it uses."""
    expr = "y'*alpha/2 + logdet(K)/2 where alpha = inv(K)*y, K = A*A' + s^2*eye"
    with time_limit(120):
        res = matcalc.grad(expr, wrt="A", let=["A:n,k", "y:n"])
    rng = np.random.default_rng(7)
    A, y, s = rng.standard_normal((N, K)), rng.standard_normal(N), 0.7

    def f(A):
        Km = A @ A.T + s**2 * np.eye(N)
        return 0.5 * y @ np.linalg.solve(Km, y) + 0.5 * np.linalg.slogdet(Km)[1]

    # the book's form: the user's α printed where the answer holds K⁻¹ y and yᵀ K⁻¹
    assert res.text() == "(K⁻¹ - α αᵀ) A  where K = s² 𝐈 + A Aᵀ, α = K⁻¹ y"
    got = eval(res.numpy(), {"np": np, "A": A, "y": y, "s": s, "n": N, "k": K})
    np.testing.assert_allclose(got, _fd(f, A), rtol=1e-5, atol=1e-7)


def test_a_name_used_twice_is_one_value_and_shapes_come_from_definitions(cli):
    code, out, err = cli("grad", "sum(h .* h) + sum(h) where h = tanh(W*x)", "--wrt", "x",
                         "--let", "W:3,2", "--let", "x:2", "--format", "numpy")  # fmt: skip
    assert code == 0, err
    rng = np.random.default_rng(3)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)

    def f(x):
        h = np.tanh(W @ x)
        return h @ h + h.sum()

    got = eval(out.strip(), {"np": np, "W": W, "x": x})
    np.testing.assert_allclose(got, _fd(f, x), rtol=1e-6, atol=1e-8)


ERRORS = [
    ("x'*x where x = 2*t", "where: x is a declared variable; give the definition a new name", 12),
    ("a*t where a = t^2, b = 3", "where: b is defined but not used", 20),
    ("a where a = b, b = a*t", "where: the definitions form a cycle (a → b → a)", 20),
    ("a where a = a*t", "where: the definitions form a cycle (a → a)", 13),
    ("a where a = t, a = 2", "where: a is defined twice (first at column 9)", 16),
    ("a*t where a = t,", "where takes definitions NAME = EXPR, separated by commas", 17),
    ("a where sin = t", "where: sin is a name of the language; give the definition a new name", 9),
    ("a where n = t", "where: n is a dimension; give the definition a new name", 9),
    ("t = 2", "unexpected character '='", 3),
    ("a where a = t = 2", "unexpected character '='", 15),
]


@pytest.mark.parametrize(("expr", "message", "column"), ERRORS)
def test_where_mistakes_are_one_line_with_their_column(cli, expr, message, column):
    code, out, err = cli("grad", expr, "--wrt", "t", "--let", "x:n")
    assert (code, out) == (2, "")
    first = err.splitlines()[0]
    assert first == f"error: {message} (column {column})", err
    assert "Traceback" not in err


def test_wrt_a_where_name_says_to_differentiate_by_a_variable(cli):
    code, out, err = cli("grad", "S*t where S = t^2", "--wrt", "S")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "error: --wrt S: S is a name defined by where, not a variable; "
        "differentiate by a variable its definition uses"
    )


def test_where_is_still_a_variable_name_without_a_definition(cli):
    code, out, err = cli("grad", "where*t^2", "--wrt", "t")
    assert (code, out.strip()) == (0, "2 t where"), err


def test_where_in_latex_input(cli):
    code, out, err = cli(
        "grad",
        r"\alpha^{\top} y \quad\text{where } \alpha = K^{-1} y",
        "--input", "latex", "--let", "K:n,n", "--let", "y:n", "--wrt", "y",
    )  # fmt: skip
    assert (code, out.strip()) == (0, "(K⁻¹ + K⁻ᵀ) y"), err


@pytest.mark.parametrize(
    ("expr", "kind"),
    [
        (r"S t, \quad\text{where } S = t^{2} + 1", "latex"),  # a paper's punctuation
        (r"S t \text{ where } S = t^{2} + 1", "latex"),
        ("S*t, where S = t^2 + 1", "text"),
    ],
)
def test_where_as_papers_write_it(expr, kind):
    assert matcalc.show(expr, input=kind, at={"t": 2}).value == 10


def test_where_in_a_chain_step(cli):
    code, out, err = cli(
        "chain", "L = sum(h .* h) where h = 2*z", "z = A*x",
        "--wrt", "x", "--let", "A:3,3", "--let", "x:3", "--format", "numpy",
    )  # fmt: skip
    assert code == 0, err
    rng = np.random.default_rng(5)
    A, x = rng.standard_normal((3, 3)), rng.standard_normal(3)
    got = eval(out.strip(), {"np": np, "A": A, "x": x, "z": A @ x})  # the step z's value
    np.testing.assert_allclose(got, _fd(lambda x: 4 * (A @ x) @ (A @ x), x), rtol=1e-6)


def test_show_reads_where():
    res = matcalc.show("S*t where S = t^2 + 1", at={"t": 2})
    assert res.value == 10


# --------------------------------------------------------------------------- the output's names

RNN_LET = ["W:n,n", "U:n,m", "h0:n", "x1:m", "x2:m", "v:n"]
RNN = "sum(tanh(W*tanh(W*h0 + U*x1) + U*x2) .* v)"  # a 2-step RNN, L = vᵀ h₂ (no names given)
RNN_NAMED = "sum(tanh(W*h + U*x2) .* v) where h = tanh(W*h0 + U*x1)"


def _rnn_values(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    n, m = 3, 2
    return {
        "W": rng.standard_normal((n, n)) / 2,
        "U": rng.standard_normal((n, m)),
        "h0": rng.standard_normal(n),
        "x1": rng.standard_normal(m),
        "x2": rng.standard_normal(m),
        "v": rng.standard_normal(n),
        "n": n,
        "m": m,
    }


def _rnn_loss(W, U, h0, x1, x2, v):
    """Two steps of h_t = tanh(W h_{t-1} + U x_t), L = vᵀ h₂ (Goodfellow et al. 2016, §10.2)."""
    h1 = np.tanh(W @ h0 + U @ x1)
    return v @ np.tanh(W @ h1 + U @ x2)


@pytest.mark.parametrize("expr", [RNN, RNN_NAMED])
def test_a_repeated_sub_expression_is_named_once(expr):
    with time_limit(120):
        res = matcalc.grad(expr, wrt="W", let=RNN_LET)
    text = res.text()
    h = "h" if expr == RNN_NAMED else "w"  # the user's name, else the first fresh vector name
    assert text == (
        f"((Wᵀ u) ⊙ (𝟏 - {h}⊙²)) h0ᵀ + u {h}ᵀ  where {h} = tanh(U x1 + W h0), "
        f"u = v ⊙ (𝟏 - tanh(U x2 + W {h})⊙²)"
    )
    assert text.count("tanh(U x1 + W h0)") == 1  # written once, however often it is used
    vals = _rnn_values(1)
    rest = {k: vals[k] for k in ("U", "h0", "x1", "x2", "v")}
    want = _fd(lambda W: _rnn_loss(W, **rest), vals["W"])
    np.testing.assert_allclose(eval(res.numpy(), {"np": np, **vals}), want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    ("expr", "let", "values"),
    [(RNN, RNN_LET, _rnn_values(2)), (KALMAN, KALMAN_LET, _kalman_values(3))],
)
@pytest.mark.parametrize("fmt", ["text", "latex"])
def test_the_printed_where_reads_back_to_the_same_value(expr, let, values, fmt):
    """SPEC §4's round trip with §7.3's names: the answer, read back by show, has its value."""
    with time_limit(120):
        res = matcalc.grad(expr, wrt="H" if expr == KALMAN else "W", let=let)
    printed = res.text() if fmt == "text" else res.latex()
    assert (" where " if fmt == "text" else r"\quad\text{where } ") in printed
    back = matcalc.show(printed, let=let, input=fmt)
    got = eval(back.numpy(), {"np": np, **values})
    np.testing.assert_allclose(got, eval(res.numpy(), {"np": np, **values}), rtol=1e-9)


def test_json_has_the_where_list(cli):
    code, out, err = cli("grad", RNN_NAMED, "--wrt", "W", *[f"--let={x}" for x in RNN_LET],
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    import json

    where = json.loads(out)["where"]
    assert [(w["name"], w["text"]) for w in where] == [
        ("h", "tanh(U x1 + W h0)"),
        ("u", "v ⊙ (𝟏 - tanh(U x2 + W h)⊙²)"),
    ]
    assert where[0]["latex"] == r"\tanh\left(U x_{1} + W h_{0}\right)"
    vals = _rnn_values(4)
    h1 = np.tanh(vals["W"] @ vals["h0"] + vals["U"] @ vals["x1"])
    np.testing.assert_allclose(eval(where[0]["numpy"], {"np": np, **vals}), h1)


def test_a_name_is_chosen_by_its_length_where_it_is_written():
    """In x - mean(x) 𝟏 the 𝟏 is bare: -mean(x) ones(N) alone is long, but naming it would
    leave x + u in the answer; the book names the centre (Ioffe & Szegedy 2015, Alg. 1). And
    the user's x̂ = u/√(v + ε) is kept: (doutᵀ u) u/(v + ε) prints (doutᵀ xh) xh; √(v + ε),
    written twice below a line, is named as a book names σ (before x̂, which uses it)."""
    expr = "dout'*(g*xh + b) where xh = (x - mean(x))/sqrt(v + eps), v = sum((x - mean(x)).^2)/N"
    with time_limit(120):
        res = matcalc.grad(expr, wrt="x", let=["x:N", "dout:N"])
    assert res.text() == (
        "g (dout - (doutᵀ xh) xh/N - (doutᵀ 𝟏) 𝟏/N)/a"
        "  where u = x - mean(x) 𝟏, v = sum(u⊙²)/N, a = sqrt(v + eps), xh = u/a"
    )
    rng = np.random.default_rng(5)
    x, dout, g = rng.standard_normal(5), rng.standard_normal(5), 1.3
    xh = (x - x.mean()) / np.sqrt(x.var() + 0.1)  # the book's gradient, written out
    want = g * (5 * dout - dout.sum() - xh * (dout @ xh)) / (5 * np.sqrt(x.var() + 0.1))
    vals = {"x": x, "dout": dout, "g": g, "b": 0.2, "eps": 0.1, "N": 5}
    np.testing.assert_allclose(eval(res.numpy(), {"np": np, **vals}), want, rtol=1e-9)


def test_a_sub_expression_of_thirteen_characters_written_twice_is_named():
    """σ(-y ⊙ (X w)) (13 characters) would be written twice: a book names it, p = σ(…)."""
    with time_limit(120):
        res = matcalc.hessian("sum(softplus(-y .* (X*w)))", wrt="w", let=["X:m,n", "w:n", "y:m"])
    assert res.text() == "Xᵀ diag(y⊙² ⊙ u ⊙ (𝟏 - u)) X  where u = σ(-y ⊙ (X w))"
    rng = np.random.default_rng(8)
    X, w, y = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    p = 1 / (1 + np.exp(y * (X @ w)))
    want = X.T @ np.diag(y**2 * p * (1 - p)) @ X  # the logistic loss's Hessian, by hand
    got = eval(res.numpy(), {"np": np, "X": X, "w": w, "y": y, "m": 5, "n": 3})
    np.testing.assert_allclose(got, want, rtol=1e-9)


GP_RBF = (
    "y'*alpha/2 + logdet(K)/2 where alpha = inv(K)*y, K = sf^2*exp(-D/(2*ls^2)) + sn^2*eye(n), "
    "D = diag(X*X')*ones(n)' + ones(n)*diag(X*X')' - 2*X*X'"
)


def test_the_names_chosen_do_not_depend_on_the_hash_seed():
    """diag(X Xᵀ) 𝟏ₙᵀ and its transpose are as long: the tie is broken by the text, so every
    run prints the same answer (the docs compare it exactly)."""
    import os
    import sys

    cmd = [sys.executable, "-m", "matcalc", "grad", GP_RBF, "--let", "X:n,d", "--let", "y:n",
           "--wrt", "ls"]  # fmt: skip
    outs = set()
    for seed in ("1", "4", "6"):  # seeds that chose differently when sets decided the tie
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert outs == {
        "sf² (tr(K⁻¹ P) - αᵀ P α)/(2 ls³)  where S = diag(X Xᵀ) 𝟏ₙᵀ, D = S + Sᵀ - 2 X Xᵀ, "
        "Q = exp(-D/(2 ls²)), K = sn² 𝐈 + sf² Q, P = Q ⊙ D, α = K⁻¹ y\n"
    }


def test_short_answers_print_as_before(cli):
    code, out, _ = cli("hessian", "logsumexp(x)", "--let", "x:n", "--wrt", "x")
    assert (code, out.strip()) == (0, "diag(softmax(x)) - softmax(x) softmax(x)ᵀ")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_the_where_latex_compiles(tmp_path):
    tex = matcalc.grad(KALMAN, wrt="H", let=KALMAN_LET).latex()
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\[\n"
        + tex
        + "\n\\]\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(doc)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]


def test_python_code_uses_the_answer_names():
    with time_limit(120):
        code = matcalc.grad(RNN_NAMED, wrt="W", let=RNN_LET).python()
    assert "    h = np.tanh(" in code and "    u = v * " in code  # the where names, computed once
    space: dict = {}
    exec(compile(code, "<matcalc>", "exec"), space)  # the generated module, as a user runs it
    vals = _rnn_values(6)
    args = {k: vals[k] for k in ("W", "U", "h0", "x1", "x2", "v")}
    value, grad = space["f_and_grad"](**args)
    rest = {k: args[k] for k in ("U", "h0", "x1", "x2", "v")}
    assert value == pytest.approx(_rnn_loss(**args))
    np.testing.assert_allclose(grad, _fd(lambda W: _rnn_loss(W, **rest), args["W"]), rtol=1e-5)


def test_definitions_nested_past_the_depth_limit_are_a_user_error(cli):
    chain = ",".join(f"d{i}=d{i + 1}" for i in range(1, 400)) + ",d400=t"
    with time_limit(60):
        code, out, err = cli("grad", f"d1*t where {chain}", "--wrt", "t")
    assert (code, out) == (2, "")
    assert err.startswith("error: where: definitions nest deeper than 100")
    assert "Traceback" not in err
    code, out, _ = cli("grad", "d1*t where " + ",".join(f"d{i}=d{i + 1}" for i in range(1, 50))
                       + ",d50=t", "--wrt", "t")  # fmt: skip
    assert (code, out.strip()) == (0, "2 t")
