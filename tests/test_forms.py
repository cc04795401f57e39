"""Printed forms that must read back as the same value: block literals, zero blocks with their
size, like terms with symbolic coefficients. Each value is checked against NumPy written here."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc

RNG = np.random.default_rng(11)


def signed(*shape):
    return RNG.uniform(0.3, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)


def value(r, **env):
    return np.asarray(eval(r.numpy(), {"np": np, **env}), dtype=float)  # the SPEC's recipe


def test_block_literals_of_one_structure_add_block_by_block():
    r = matcalc.jacobian("[x.T*x, sum(x)]", wrt="x", let=["x:n"])
    assert r.text() == "[2 xᵀ, 𝟏ₙᵀ]"
    x = signed(4)
    assert np.allclose(value(r, x=x, n=4), np.vstack([2 * x, np.ones(4)]))


@pytest.mark.parametrize("fmt", ["text", "latex"])
def test_a_zero_block_prints_its_size_and_reads_back(fmt):
    r = matcalc.jacobian("[x.T*x, 3]", wrt="x", let=["x:n"])
    printed = r.text() if fmt == "text" else r.latex()
    assert printed == (
        "[2 xᵀ, zeros(n)ᵀ]"
        if fmt == "text"
        else r"\begin{bmatrix}2 x^{\top} \\ \mathbf{0}_{n}^{\top}\end{bmatrix}"
    )
    back = matcalc.show(printed, let=["x:n"], input=fmt)
    x = signed(3)
    assert np.allclose(value(back, x=x, n=3), np.vstack([2 * x, np.zeros(3)]))


def test_zeros_is_a_sized_zero():
    assert matcalc.grad("sum(zeros(3) + x)", wrt="x", let=["x:3"]).text() == "𝟏₃"
    assert (
        matcalc.show("zeros(2, 3) + A", let=["A:2,3"]).text() == "0 + A"
    )  # as written; A fixes the size


def test_identities_in_a_sum_carry_their_size():
    r = matcalc.jacobian("lam*z - (z + ones)", wrt="z", let=["z:n"])
    assert r.text() == "λ 𝐈ₙ - 𝐈ₙ"  # no term fixes the size of the others
    lam = -0.7
    assert np.allclose(value(r, lam=lam, n=3), (lam - 1) * np.eye(3))
    back = matcalc.show(r.text(), let=["z:n"])
    assert np.allclose(value(back, lam=lam, n=3), (lam - 1) * np.eye(3))


def test_like_terms_combine_when_that_is_shorter():
    r = matcalc.grad("lam*x'*A*x - x'*A*x", wrt="x", let=["x:n", "A:n,n"])
    assert r.text() == "(λ - 1) (A + Aᵀ) x"
    lam, A, x = 0.4, signed(3, 3), signed(3)
    assert np.allclose(value(r, lam=lam, A=A, x=x, n=3), (lam - 1) * (A + A.T) @ x)


def test_a_sum_of_context_sized_constants_takes_its_size_later():
    r = matcalc.show("a 𝟏 + b 𝟏/n + A x", let=["A:n,m", "x:m"])
    A, x, a, b = signed(3, 2), signed(2), 0.5, -1.5
    assert np.allclose(value(r, A=A, x=x, a=a, b=b, n=3, m=2), a + b / 3 + A @ x)


def test_a_variable_to_a_variable_power_prints_the_book_form():
    """d(uᵖ) = uᵖ (p/u du + log(u) dp): t^t (1 + log t), not t^t (log(t) t^t/t^t + t^t/t^t)."""
    r = matcalc.grad("t^t", wrt="t")
    assert r.text() == "t^t (1 + log(t))"
    t = 1.7
    h = 1e-6
    assert np.isclose(value(r, t=t), ((t + h) ** (t + h) - (t - h) ** (t - h)) / (2 * h))
    r = matcalc.grad("(x.T*x)^(x.T*x)", wrt="x", let=["x:n"])
    assert r.text() == "2 (xᵀ x)^(xᵀ x) (1 + log(xᵀ x)) x"
    x = signed(3) / 2
    s = x @ x
    assert np.allclose(value(r, x=x, n=3), 2 * s**s * (1 + np.log(s)) * x)


def test_an_entrywise_power_with_a_vector_exponent():
    r = matcalc.grad("sum(x.^y)", wrt="x", let=["x:n", "y:n"])
    x, y = np.abs(signed(4)), signed(4)
    assert np.allclose(value(r, x=x, y=y, n=4), y * x ** (y - 1))


def test_a_power_of_a_differential_is_parenthesised():
    """d²f = 2 tr((dX)²): `dX²` would read as d(X²)."""
    r = matcalc.hessian("tr(X*X)", wrt="X", let=["X:n,n"])
    assert r.text() == "d²f = 2 tr((dX)²)"
    assert r.latex() == r"\mathrm{d}^{2}f = 2 \operatorname{tr}\left((\mathrm{d}X)^{2}\right)"


@pytest.mark.parametrize(
    "expr",
    [
        "sum(x - mean(x))*(a'*y) + b'*y",
        "(x' - mean(x)*ones')*ones*(a'*y) + b'*y",
        "ones'*(x - mean(x))*(a'*y) + b'*y",
        "(sum(x) - n*mean(x))*(a'*y) + b'*y",
    ],
)
def test_a_centred_vector_sums_to_zero(expr):
    """𝟏ᵀ(x − mean(x) 𝟏) = sum(x) − n mean(x) = 0 (ops/textbook.py): the term drops out."""
    r = matcalc.grad(expr, wrt="y", let=["x:n", "a:n", "b:n", "y:n"])
    assert r.text() == "b"
    b = signed(4)
    assert np.allclose(value(r, x=signed(4), a=signed(4), b=b, y=signed(4), n=4), b)


def test_a_sum_that_is_not_centred_keeps_its_form():
    r = matcalc.grad("(x' - z')*ones*(a'*y)", wrt="y", let=["x:n", "z:n", "a:n", "y:n"])
    assert r.text() == "((x - z)ᵀ 𝟏) a"
    x, z, a = signed(3), signed(3), signed(3)
    assert np.allclose(value(r, x=x, z=z, a=a, y=signed(3), n=3), np.sum(x - z) * a)


def test_layer_norm_reads_like_the_book():
    """Layer norm by x (Ba et al. 2016; v the mean of squares): the centred term inside
    (I - 𝟏𝟏ᵀ/n)(w + …) sums to 0, so the answer is (w - Σw 𝟏/n - (wᵀx̂) x̂/n)/√(v + ε)."""
    expr = "w'*xh where xh = (x - mean(x))/sqrt(v + eps), v = mean((x - mean(x)).^2)"
    r = matcalc.grad(expr, wrt="x", let=["x:n", "w:n"])
    assert r.text() == (
        "(w - sum(w) 𝟏/n - (wᵀ xh) xh/n)/a"
        "  where u = x - mean(x) 𝟏, v = mean(u⊙²), a = sqrt(v + eps), xh = u/a"
    )
    x, w, eps, h = signed(5), signed(5), 0.1, 1e-6

    def f(x):
        c = x - x.mean()
        return w @ (c / np.sqrt(np.mean(c**2) + eps))

    want = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(5)])
    assert np.allclose(value(r, x=x, w=w, eps=eps, n=5), want, rtol=1e-6, atol=1e-8)


LOG_ABS = [  # sign(u)/|u| = 1/u and u sign(u) = |u|: the textbook forms, and their values
    ("grad", "ln|det(X)|", "X", ["X:n,n"], "X⁻ᵀ", lambda X, x, t: np.linalg.inv(X).T),
    ("grad", "log|t|", "t", [], "1/t", lambda X, x, t: 1 / t),
    ("hessian", "log|t|", "t", [], "-1/t²", lambda X, x, t: -1 / t**2),
    ("grad", "sum(log(abs(x)))", "x", ["x:n"], "x⊙⁻¹", lambda X, x, t: 1 / x),
    ("grad", "sum(x .* abs(x))", "x", ["x:n"], "2 |x|", lambda X, x, t: 2 * abs(x)),
    ("grad", "t*abs(t)", "t", [], "2 |t|", lambda X, x, t: 2 * abs(t)),
]


@pytest.mark.parametrize(("kind", "expr", "wrt", "let", "text", "ref"), LOG_ABS)
def test_sign_over_abs_prints_as_the_textbook_writes_it(kind, expr, wrt, let, text, ref):
    r = getattr(matcalc, kind)(expr, wrt=wrt, let=let)
    assert r.text() == text
    env = {"X": signed(3, 3) + 3 * np.eye(3), "x": signed(3), "t": -0.7, "n": 3}
    want = ref(env["X"], env["x"], env["t"])
    assert np.allclose(value(r, **env), want)
    assert np.allclose(value(matcalc.show(r.text(), let=let), **env), want)


def test_the_sign_forms_keep_the_value_at_zero():
    """u sign(u) = |u| holds at 0 too; sign(u)/|u| = 1/u only where log|u| is defined, u ≠ 0."""
    assert matcalc.grad("t*abs(t)", wrt="t", at={"t": 0}).value == 0
    with pytest.raises(matcalc.MatcalcError, match="undefined"):
        matcalc.grad("log|t|", wrt="t", at={"t": 0})


@pytest.mark.parametrize(
    ("expr", "text"),
    [("sum(eig(S).^2)", "2 S"), ("sum(eig(S).^2)/2 + tr(S)", "𝐈 + S")],
)
def test_a_spectral_decomposition_is_put_back_together(expr, text):
    """V diag(λ) Vᵀ = S (V = eigvecs(S), λ = eig(S)): Σ λᵢ² = tr(S²) has gradient 2S, as the
    Cookbook prints it; checked against the tests' own eigvalsh by finite differences."""
    r = matcalc.grad(expr, wrt="S", let=["S:n,n,sym"])
    assert r.text() == text
    a = signed(3, 3)
    s = a + a.T
    got = value(r, S=s, n=3)

    def f(m):
        sym = (m + m.T) / 2
        out = np.sum(np.linalg.eigvalsh(sym) ** 2) / (2 if "/2" in expr else 1)
        return out + (np.trace(m) if "tr" in expr else 0.0)

    h = 1e-6
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = h
            want[i, j] = (f(s + e) - f(s - e)) / (2 * h)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6)
