"""SymPy's own matrix-derivative test cases (sympy/matrices/expressions/tests/test_derivatives.py),
written in matcalc's language and checked against finite differences in every layout."""

from __future__ import annotations

import pytest

import matcalc

LET = ["X:n,n", "A:n,n", "B:n,n", "C:n,n", "D:n,n", "x:n", "y:n", "a:n", "b:n", "c:n", "d:n"]

BY_MATRIX = [
    "tr(inv(X + A))",
    "tr(inv(X.T*C*X)*A)",
    "tr(inv(X.T*C*X)*(X.T*B*X))",
    "tr((A*X*B + C)*(A*X*B + C).T)",
    "tr(A*X*B*X)",
    "tr(A*X*B*X.T*C)",
    "tr(B*X*X.T)",
    "tr(B*X.T*X)",
    "tr(B.T*X.T*C*X*B)",
    "tr(B.T*X.T*C*X*X.T*C*X*B)",
    "tr(X**2*B)",
    "tr(X*B*X.T)",
    "tr(X*X.T*B)",
    "tr(X.T*B*X*C)",
    "tr(X.T*X*B)",
    "tr(A*X**3)",
    "tr(X**3)",
    "det(inv(X))",
    "tr(A*inv(X)*B)",
    "tr(A*X.T*B)",
    "a.T*sin(A*X*B)*b",
    "a.T*sin(X)*b",
    "a.T*log(sin(X))*b",
    "a.T*log(A*sin(X)*B)*b",
    "a.T*A*sin(X)*B*b",
    "a.T*hadamard(hadamard(A, X), B)*b",
    "sqrt(a.T*X*b)",
    "tr(X)**2",
    "3*tr(X)",
    "(X*b + c).T*D*(X*b + c)",
    "b.T*X.T*D*X*c",
    "sum(sin(a.T*X*b))",
]
BY_VECTOR = [
    "(B*x + b).T*C*(D*x + d)",
    "sqrt(x.T*x)",
    "sqrt(x.T*y)",
    "(c.T*a*x.T*b)**(1/3)",
    "sin(x).T*y",
    "x.T*A*x + k*sin(y).T*x",
    "d.T*x*sqrt(a.T*X*b)*y.T*c",
    "x.T*a",
    "x.T*y",
]
JACOBIANS = [
    "x*x.T*x",
    "tan(x)",
    "A*exp(x)",
    "hadamard(hadamard(a, x), b)",
    "hadamard(x, x)",
    "2*mu*x",
    "sqrt(x)",
]


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("e", BY_MATRIX)
def test_scalar_by_matrix(e, layout):
    r = matcalc.grad(e, wrt="X", let=LET, layout=layout, check=True)
    assert r.check_ok, (e, r.text(), r.check_error)


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("e", BY_VECTOR)
def test_scalar_by_vector(e, layout):
    r = matcalc.grad(e, wrt="x", let=LET, layout=layout, check=True)
    assert r.check_ok, (e, r.text(), r.check_error)


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("e", JACOBIANS)
def test_vector_by_vector(e, layout):
    r = matcalc.jacobian(e, wrt="x", let=LET, layout=layout, check=True)
    assert r.check_ok, (e, r.text(), r.check_error)


def test_some_exact_forms():
    assert matcalc.grad("tr(X*X.T*B)", wrt="X", let=LET).text() == "(B + Bᵀ) X"
    assert matcalc.grad("tr(X**3)", wrt="X", let=LET).text() == "3 (Xᵀ)²"  # Cookbook: 3 (X²)ᵀ
    assert matcalc.jacobian("x*x.T*x", wrt="x", let=LET).text() == "2 x xᵀ + (xᵀ x) 𝐈"
