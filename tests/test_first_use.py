"""What a new user ran into (a trial from the README): each a test, values against NumPy here."""

from __future__ import annotations

import math

import numpy as np
import pytest

import matcalc

RNG = np.random.default_rng(5)


def value(r, **env):
    return np.asarray(eval(r.numpy(), {"np": np, **env}), dtype=float)  # the SPEC's recipe


def test_a_family_is_every_index_up_to_the_largest():
    r = matcalc.grad("x1^2 + x3^2", wrt="x")
    assert r.text() == "[2 x1, 0, 2 x3]"
    at = matcalc.grad("x1^2 + x3^2", wrt="x", at={"x": [1, -2, 3]})
    assert np.array_equal(np.asarray(at.value, dtype=float).ravel(), [2.0, 0.0, 6.0])
    j = matcalc.jacobian("[x1, x3^2]", wrt="x")
    x1, x3 = 0.7, -1.3
    assert np.allclose(value(j, x1=x1, x3=x3), [[1, 0, 0], [0, 0, 2 * x3]])


def test_a_variable_the_expression_does_not_hold_gets_a_note():
    r = matcalc.grad("x'*A*x", wrt="X", let=["x:n", "A:n,n"])
    assert r.text() == "0"
    assert any("X does not occur" in n and "did you mean x?" in n for n in r.notes), r.notes


def test_letters_and_digits_run_together_are_one_name_with_a_note():
    r = matcalc.grad("x1x2 + x3", wrt="x")
    assert r.text() == "[0, 0, 1]"
    assert any("x1x2 is one name" in n and "x1 x2" in n for n in r.notes), r.notes


@pytest.mark.parametrize("dot", ["·", "⋅"])
def test_a_centred_dot_is_the_product(dot):
    r = matcalc.grad(f"a{dot}x'{dot}x", wrt="x", let=["x:3"])
    x, a = RNG.normal(size=3), -0.6
    assert np.allclose(value(r, x=x, a=a), 2 * a * x)


def test_an_unknown_character_is_echoed_as_typed(cli):
    code, out, err = cli("grad", "x×y", "--wrt", "x")
    assert (code, out) == (2, "")
    assert "U+00D7" in err and "  x×y\n" in err, err


@pytest.mark.parametrize(
    "latex,want",
    [
        (r"\log x^{2}", lambda x, X: np.log(x**2)),
        (r"\sin^{2} x", lambda x, X: np.sin(x) ** 2),
        (r"\log \det X + x", lambda x, X: np.log(np.linalg.det(X)) + x),
        (r"\log \sigma(x)", lambda x, X: np.log(1 / (1 + np.exp(-x)))),
    ],
)
def test_latex_functions_apply_to_the_next_atom(latex, want):
    r = matcalc.show(latex, let=["X:2,2"], input="latex")
    x, X = -0.8, np.array([[2.0, 0.3], [-0.4, 1.5]])
    assert np.allclose(value(r, x=x, X=X), want(x, X))


def test_latex_sum_over_an_index_says_what_to_write(cli):
    code, _, err = cli("show", r"-\sum_i \log \sigma(y_i)", "--input", "latex")
    assert code == 2 and r"\operatorname{sum}(u)" in err, err


def test_a_name_declared_twice_with_two_shapes_is_an_error(cli):
    code, _, err = cli(
        "grad", "x.T*x", "--let", "x:3", "--let", "A:2,2", "--let", "x:2", "--wrt", "x"
    )
    assert code == 2 and "x is already declared with another shape" in err
    code, out, _ = cli("grad", "x.T*x", "--let", "x:3", "--let", "x:3", "--wrt", "x")
    assert code == 0 and out.strip() == "2 x"


def test_at_mistakes_name_the_value_and_the_column(cli):
    code, _, err = cli("grad", "sigma*t", "--wrt", "t", "--at", "sigma=2,t=1")
    assert code == 2
    assert err.splitlines()[0] == (
        "error: --at value '2,t=1': unexpected character '='; give each name its own --at: "
        "--at a=1 --at b=2 (column 4)"
    )
    assert err.splitlines()[1:] == ["  2,t=1", "     ^"]


def test_an_at_name_the_expression_does_not_hold_is_noted(cli):
    code, out, err = cli("grad", "a*t", "--wrt", "t", "--at", "a=2", "--at", "t=1", "--at", "q=3")
    assert code == 0 and out.strip() == "2"
    assert "note: --at q: q does not occur in the expression, so it is not used" in err
    assert "--at a" not in err and "--at t" not in err


def test_cost_help_lists_the_formats_cost_accepts(cli):
    code, out, _ = cli("cost", "--help")
    assert code == 0 and "text or json." in out and "numpy" not in out


def test_sigma_is_one_thing_in_one_output():
    """SPEC v2: one glyph, one meaning. With a variable σ, sigmoid is written out; σ times a
    parenthesis gets a · in LaTeX, where σ(t + 1) would typeset as the sigmoid."""
    r = matcalc.grad("sigma*t + σ(t)", wrt="t")
    assert r.text() == "sigmoid(t) + σ - sigmoid(t)²"
    assert r.latex().count(r"\operatorname{sigmoid}") == 2
    assert matcalc.grad("σ(t)", wrt="t").text() == "σ(t) (1 - σ(t))"
    for fmt in ("text", "latex"):
        shown = matcalc.show("sigma*(t+1) + sigmoid(t)*sigma", input="text")
        printed = shown.text() if fmt == "text" else shown.latex()
        back = matcalc.show(printed, input=fmt, at={"sigma": 2, "t": 1})
        assert float(back.value) == pytest.approx(4 + 2 / (1 + math.exp(-1))), printed
    assert matcalc.show("sigma*(t+1)").latex() == r"\sigma \cdot \left(t + 1\right)"
