"""`matcalc hvp` (SPEC §7.4): H v, forward over reverse, in every format; each result compared
with the tests' own NumPy (finite differences of a hand-written gradient, or the closed form).
Every spec row's Hessian-vector product is checked in tests/test_ops.py."""

from __future__ import annotations

import json

import numpy as np

import matcalc

from .alarm import time_limit
from .oracle import fd_jacobian


def _logistic_grad(X, w):
    """The gradient of sum(log(1 + exp(X w))), written by hand."""
    return X.T @ (1 / (1 + np.exp(-(X @ w))))


def test_text_is_forward_over_reverse():
    r = matcalc.hvp("sum(log(1+exp(X*w)))", wrt="w", v="u", let=["X:m,n", "w:n", "u:n"])
    assert r.text() == "Xᵀ ((X u) ⊙ σ(X w) ⊙ (𝟏 - σ(X w)))"


def test_python_module_matches_fd_of_the_gradient():
    r = matcalc.hvp("sum(log(1+exp(X*w)))", wrt="w", v="u", let=["X:m,n", "w:n", "u:n"])
    ns: dict = {}
    exec(compile(r.python(), "<hvp>", "exec"), ns)  # matcalc's generated module
    rng = np.random.default_rng(1)
    X, w, u = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    value, hv = ns["f_and_hvp"](X=X, w=w, u=u)
    assert np.isclose(value, np.sum(np.log1p(np.exp(X @ w))))
    want = fd_jacobian(lambda z: _logistic_grad(X, z), w) @ u
    assert np.allclose(hv, want, rtol=1e-6, atol=1e-8)


def test_numpy_line_of_a_matrix_variable():
    """logdet: H[U] = -X⁻ᵀ Uᵀ X⁻ᵀ, against FD of the gradient X⁻ᵀ."""
    r = matcalc.hvp("logdet(X)", wrt="X", v="U", let=["X:n,n", "U:n,n"])
    rng = np.random.default_rng(2)
    X, U = np.eye(3) + 0.3 * rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    got = eval(r.numpy(), {"np": np, "X": X, "U": U, "n": 3})
    step = 1e-5
    want = (np.linalg.inv(X + step * U).T - np.linalg.inv(X - step * U).T) / (2 * step)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)


def test_cli_at_and_json(cli):
    """f = x1² x2 + sin x2: H = [[2 x2, 2 x1], [2 x1, -sin x2]], H (1, 2) at (1, 2)."""
    code, out, err = cli(
        "hvp", "x1^2*x2 + sin(x2)", "--wrt", "x", "--v", "1,2", "--at", "x=[1,2]", "-f", "json"
    )
    assert code == 0, err
    got = json.loads(out)
    assert (got["kind"], got["wrt"], got["shape"]) == ("hvp", "x", [2, 1])
    assert got["value"][0] == 8
    assert np.isclose(float(got["value"][1]), 2 - 2 * np.sin(2))


def test_cli_check_passes(cli):
    with time_limit(120):
        code, out, err = cli(
            "hvp", "x'*A*x", "--let", "A:n,n", "--let", "x:n", "--let", "u:n", "--wrt", "x",
            "--v", "u", "--check",
        )  # fmt: skip
    assert code == 0, err
    assert out.startswith("(A + Aᵀ) u\ncheck: largest relative error")
    assert out.rstrip().endswith("(ok)")


def test_literal_direction_binds_the_size(cli):
    code, out, err = cli(
        "hvp", "x'*A*x", "--let", "A:n,n", "--let", "x:n", "--wrt", "x", "--v", "1,2,3",
        "--at", "A=[[1,2,0],[0,1,0],[0,0,3]]", "--at", "x=[1,1,1]",
    )  # fmt: skip
    assert code == 0, err
    A = np.array([[1, 2, 0], [0, 1, 0], [0, 0, 3]])
    want = (A + A.T) @ np.array([1, 2, 3])
    assert out.split() == [f"[{want[0]},", f"{want[1]},", f"{want[2]}]"]


def test_user_errors(cli):
    cases = [
        (["A*x", "--let", "A:n,n", "--let", "x:n", "--let", "u:n"], "needs a scalar expression"),
        (["x'*x", "--let", "x:n", "--let", "u:m"], "--v for hvp is shaped like x"),
        (["x'*x", "--let", "x:n", "--let", "u:n", "--explain"], "--explain applies to vjp"),
        (["x'*x + y'*y", "--let", "x:n", "--let", "y:n", "--let", "u:n"], "one --wrt variable"),
    ]
    for args, message in cases:
        expr, *rest = args
        wrt = "x,y" if "y'" in expr else "x"
        code, out, err = cli("hvp", expr, "--wrt", wrt, "--v", "u", *rest)
        assert code == 2 and out == "", (args, out)
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err


def test_steps_read_the_gradient_off_then_take_its_differential(cli):
    """hvp --steps: df, the gradient read off it (reverse), the gradient's differential
    (forward), and H u with du := u — the exact text."""
    code, out, err = cli(
        "hvp", "x'*A*x", "--let", "A:n,n", "--let", "x:n", "--let", "u:n", "--wrt", "x",
        "--v", "u", "--steps",
    )  # fmt: skip
    assert code == 0, err
    assert out == (
        "(A + Aᵀ) u\n"
        "d(xᵀ A x) = dxᵀ A x + xᵀ A dx   [product rule d(AB) = dA B + A dB; d(Xᵀ) = (dX)ᵀ]\n"
        "          = (A x + Aᵀ x)ᵀ dx    "
        "[a scalar is its own transpose: collect dx on the right, ∇f = g]\n"
        "d(A x + Aᵀ x) = A dx + Aᵀ dx    "
        "[the gradient's differential: product rule d(AB) = dA B + A dB]\n"
        "⇒ H u = (A + Aᵀ) u              [forward over reverse: dx := the direction, H never formed]\n"
    )


def test_steps_gradient_is_the_gradient():
    """The gradient that hvp --steps differentiates, read back from its text, against finite
    differences of the tests' own NumPy loss."""
    r = matcalc.hvp("sum(log(1+exp(X*w)))", wrt="w", v="u", let=["X:m,n", "w:n", "u:n"], steps=True)
    line = r.steps[2][0]  # df, df = gᵀ dw, then d(g) = …
    g_text = line[2 : line.index(") = ")]
    g = matcalc.show(g_text, let=["X:m,n", "w:n"])
    rng = np.random.default_rng(4)
    X, w = rng.normal(size=(6, 3)), rng.normal(size=3)
    got = eval(g.numpy(), {"np": np, "X": X, "w": w, "m": 6, "n": 3})  # matcalc's line
    want = fd_jacobian(lambda z: np.sum(np.log1p(np.exp(X @ z))), w).ravel()
    assert np.shape(got) == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-8)
    assert r.steps[-1][0].startswith("⇒ H u = ")


def test_steps_of_vjp_and_jvp_are_refused(cli):
    for kind in ("vjp", "jvp"):
        code, out, err = cli(
            kind, "A*x", "--let", "A:n,n", "--let", "x:n", "--let", "u:n", "--wrt", "x",
            "--v", "u", "--steps",
        )  # fmt: skip
        assert code == 2 and out == "", out
        assert err == f"error: --steps applies to grad, jacobian, hessian and hvp, not {kind}\n"
