"""The identity table (Matrix Cookbook §2 and ML losses): exact forms, every layout, numerically.

One table drives these tests and `matcalc selfcheck`. Each entry is checked three ways:
its textbook form where that is canonical, `--check` (central finite differences) in all three
layouts, and its `--format numpy` line evaluated as SPEC §4 says against an independent
reference (autograd on the tests' own NumPy reading of the expression).
"""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.api import problems
from matcalc.evaluate.check import fd_check
from matcalc.expr.decls import Decls
from matcalc.identities import IDENTITIES
from matcalc.reader import parse_expr
from matcalc.simplify.tidy import tidy

from .conftest import ev, random_values, reference

pytest.importorskip("autograd")


def same_tree(a, b) -> bool:
    """Equal trees, allowing sums in any order."""
    if a == b:
        return True
    if a.op == b.op == "add" and len(a.args) == len(b.args):
        rest = list(b.args)
        for t in a.args:
            match = next((u for u in rest if same_tree(t, u)), None)
            if match is None:
                return False
            rest.remove(match)
        return True
    if a.op == b.op and a.data == b.data and len(a.args) == len(b.args) and a.args:
        return all(same_tree(x, y) for x, y in zip(a.args, b.args, strict=True))
    return False


@pytest.mark.parametrize("ident", [i for i in IDENTITIES if i.expected], ids=lambda i: i.ref)
def test_textbook_form(ident):
    r = getattr(matcalc, ident.kind)(ident.expr, wrt=ident.wrt, let=list(ident.let))
    want = tidy(parse_expr(ident.expected, Decls.parse(ident.let)))
    assert same_tree(r.node, want), f"{r.text()} != {ident.expected}"


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("ident", IDENTITIES, ids=lambda i: i.ref)
def test_finite_differences(ident, layout):
    r = getattr(matcalc, ident.kind)(
        ident.expr, wrt=ident.wrt, let=list(ident.let), layout=layout, check=True
    )
    assert r.check_ok, f"{ident.ref}: relative error {r.check_error}"


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("ident", IDENTITIES, ids=lambda i: i.ref)
def test_numpy_line_evaluates(ident, layout):
    r = getattr(matcalc, ident.kind)(ident.expr, wrt=ident.wrt, let=list(ident.let), layout=layout)
    line = r.numpy()
    rng = np.random.default_rng(1)
    for _ in range(2):
        values, dims = random_values(ident.let, rng, scalars=("t",))
        symmetric = any(s.endswith(",sym") for s in ident.let)
        want = reference(ident.kind, ident.expr, ident.wrt, values, layout, symmetric=symmetric)
        got = ev(line, {**values, **dims})
        assert got.shape == want.shape, line
        assert np.allclose(got, want, rtol=1e-9, atol=1e-10), line


def test_layout_shapes():
    let = ["x:n", "A:n,m", "X:n,m", "f:k"]
    g = matcalc.grad("x.T*A*A.T*x", wrt="x", let=let, layout="numerator")
    assert g.shape == (1, "n")
    g = matcalc.grad("x.T*X*ones", wrt="X", let=[*let, "ones:m"], layout="numerator")
    assert g.shape == ("m", "n")
    j = matcalc.jacobian("A.T*x", wrt="x", let=let, layout="denominator")
    assert j.shape == ("n", "m")
    j = matcalc.jacobian("A.T*x", wrt="x", let=let)
    assert j.shape == ("m", "n")


def test_symmetric_gradient_is_projected():
    r = matcalc.grad("tr(A*S)", wrt="S", let=["S:n,n,sym", "A:n,n"], check=True)
    assert r.text() == "(A + Aᵀ)/2"
    assert r.check_ok


def test_fd_check_catches_a_wrong_answer():
    let = ["x:n", "A:n,n"]
    (p,), _ = problems("grad", "x.T*A*x", "x", let)
    assert not fd_check(p, parse_expr("2*A*x", Decls.parse(let))).ok
    assert fd_check(p, parse_expr("(A + A.T)*x", Decls.parse(let))).ok


@pytest.mark.parametrize(
    ("expr", "wrt", "right", "wrong"),
    [
        ("x.T*A*x/1000000", "x", "(A + A.T)*x/1000000", "2*A*x/1000000"),  # a small derivative
        ("1e-200*x.T*A*x", "x", "1e-200*(A + A.T)*x", "1e-200*2*A*x"),
        ("1 + 1e-8*x.T*A*x", "x", "1e-8*(A + A.T)*x", "1e-8*2*A*x"),  # small beside f itself
        ("tr(inv(B.T*C*B)*(B.T*A*B))", "B", "0*B", "1e-3*B"),  # constant in B; f carries κ ε
    ],
)
def test_fd_check_measures_a_relative_error(expr, wrt, right, wrong):
    """The error is relative to the derivative, not floored at 1: a wrong answer that is small
    in absolute terms (x² scaled by 10⁻⁶ or 10⁻²⁰⁰) fails, and a right one passes."""
    let = ["x:n", "A:n,n", "B:n,n", "C:n,n"]
    (p,), _ = problems("grad", expr, wrt, let)
    assert fd_check(p, parse_expr(right, Decls.parse(let))).ok
    report = fd_check(p, parse_expr(wrong, Decls.parse(let)))
    assert not report.ok and not report.refusal, report
