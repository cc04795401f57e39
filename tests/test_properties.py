"""Property tests: random well-shaped expressions, derivatives checked against finite
differences in every layout, by both engines where sizes are integers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc

from .strategies import LET, expr

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
layouts = st.sampled_from(["mixed", "numerator", "denominator"])


def _ok(r) -> None:
    assert r.check_ok, f"relative error {r.check_error}: {r.text()}"


@SETTINGS
@given(expr("scal"), layouts, st.sampled_from(["x", "A", "t"]))
def test_gradients(e, layout, wrt):
    _ok(matcalc.grad(e, wrt=wrt, let=LET, layout=layout, check=True))


@SETTINGS
@given(expr("vec"), layouts)
def test_jacobians(e, layout):
    _ok(matcalc.jacobian(e, wrt="x", let=LET, layout=layout, check=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr("scal", depth=2))
def test_hessians(e):
    _ok(matcalc.hessian(e, wrt="x", let=LET, check=True))


@SETTINGS
@given(expr("vec"), st.sampled_from(["x", "A"]))
def test_vjp_and_jvp(e, wrt):
    _ok(matcalc.vjp(e, wrt=wrt, v="y", let=LET, check=True))
    if wrt == "x":
        _ok(matcalc.jvp(e, wrt=wrt, v="y", let=LET, check=True))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr("scal", depth=2))
def test_engines_agree_at_integer_size(e):
    let = ["x:2", "y:2", "A:2,2", "B:2,2"]
    at = {"x": [1, 2], "y": ["1/2", -1], "A": [[3, 1], [0, 2]], "B": [[1, 0], [1, 1]], "t": "1/3"}
    mat = matcalc.grad(e, wrt="x", let=let)
    comp = matcalc.grad(e, wrt="x", let=let, expand=True, check=True)
    _ok(comp)
    import sympy as sp

    from matcalc.values import bind, evaluate_at, parse_at

    p = matcalc.engine.build_problem("grad", e, "x", let)
    env, dims = bind(parse_at(at), p.decls, p.family)
    a, b = evaluate_at(mat.node, env, dims), evaluate_at(comp.node, env, dims)
    assert all(abs(complex(sp.N(u - w))) < 1e-9 for u, w in zip(a, b, strict=True)), (e, a, b)


@pytest.mark.parametrize("e", ["x.T*A*x", "sum(tanh(A*x))", "logsumexp(A*x) + norm2(x)**2"])
def test_property_suite_would_catch_a_wrong_rule(monkeypatch, e):
    """Break one rule: the same numeric check now fails."""
    from matcalc import rules

    good = rules.DIFFERENTIALS["matmul"]
    monkeypatch.setitem(
        rules.DIFFERENTIALS,
        "matmul",
        lambda n, d: matcalc.expr.mul(matcalc.expr.scalar(2), good(n, d)),
    )
    r = matcalc.grad(e, wrt="x", let=LET, check=True)
    assert not r.check_ok
