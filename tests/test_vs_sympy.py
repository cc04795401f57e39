"""Where SymPy's matrix-expression derivatives are wrong and matcalc's are right.

SymPy's answers are those of SymPy 1.14.0 (docs/sympy.md); they are asserted only on that
version, so a SymPy upgrade that fixes one shows up here. matcalc's answers are checked
exactly and against finite differences.
"""

from __future__ import annotations

import pytest
import sympy as sp

import matcalc

n = sp.Symbol("n", integer=True, positive=True)
X, A, q = (sp.MatrixSymbol(s, n, n) for s in "XAq")
x = sp.MatrixSymbol("x", n, 1)
t = sp.Symbol("t")

CASES = [
    (
        "d log det X / dX",
        lambda: sp.log(sp.Determinant(X)).diff(X),
        "0",
        "logdet(X)",
        "X",
        ["X:n,n"],
        "X⁻ᵀ",
    ),
    (
        "d det X / dX",
        lambda: sp.Determinant(X).diff(X),
        "Derivative(Determinant(X), X)",
        "det(X)",
        "X",
        ["X:n,n"],
        "det(X) X⁻ᵀ",
    ),
    (
        "d sin(xᵀx) / dx",
        lambda: sp.sin((x.T * x)[0, 0]).diff(x),
        "0",
        "sin(x.T*x)",
        "x",
        ["x:n"],
        "2 cos(xᵀ x) x",
    ),
    (
        "d (xᵀAx) / dx",
        lambda: (x.T * A * x)[0, 0].diff(x),
        "0",
        "x.T*A*x",
        "x",
        ["x:n", "A:n,n"],
        "(A + Aᵀ) x",
    ),
    (
        "d (tr(q) + t) / dq",
        lambda: (sp.Trace(q) + t).diff(q),
        "0",
        "tr(q) + t",
        "q",
        ["q:n,n"],
        "𝐈ₙ",  # SPEC §4 v2: the identity, its size as a subscript where nothing else fixes it
    ),
]


@pytest.mark.parametrize(
    "name,sympy_fn,sympy_says,expr,wrt,let,ours", CASES, ids=[c[0] for c in CASES]
)
def test_matcalc_right_where_sympy_is_wrong(name, sympy_fn, sympy_says, expr, wrt, let, ours):
    r = matcalc.grad(expr, wrt=wrt, let=let, check=True)
    assert (r.text() in ours if isinstance(ours, tuple) else r.text() == ours) and r.check_ok
    if sp.__version__ == "1.14.0":
        assert repr(sympy_fn()) == sympy_says


def test_sqrt_of_quadratic_form():
    r = matcalc.grad("sqrt(x.T*x)", wrt="x", let=["x:n"], check=True)
    assert r.text() == "x/‖x‖" and r.check_ok
    if sp.__version__ == "1.14.0":
        with pytest.raises(TypeError):
            sp.sqrt((x.T * x)[0, 0]).diff(x)


def test_quadratic_form_with_diag():
    r = matcalc.grad("x.T*diag(a)*x", wrt="x", let=["x:n", "a:n"], check=True)
    assert r.text() == "2 diag(a) x" and r.check_ok
