"""Property tests: random well-shaped expressions, derivatives checked against finite
differences in every layout, by both engines where sizes are integers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc

from .conftest import reference
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

    from matcalc.api import problems
    from matcalc.evaluate.values import bind, exact_value, parse_at

    (p,), _ = problems("grad", e, "x", let)
    env, dims = bind(parse_at(at), p.decls, p.family)
    a, b = exact_value(mat.node, env, dims), exact_value(comp.node, env, dims)
    assert a.shape == b.shape == (2, 1), (e, a, b)
    assert all(abs(complex(sp.N(u - w))) < 1e-9 for u, w in zip(a, b, strict=True)), (e, a, b)
    values = {
        "x": np.array([1.0, 2.0]),
        "y": np.array([0.5, -1.0]),
        "A": np.array([[3.0, 1.0], [0.0, 2.0]]),
        "B": np.array([[1.0, 0.0], [1.0, 1.0]]),
        "t": 1 / 3,
    }
    want = reference("grad", e, "x", values)  # autograd on the tests' own reading of e
    assert np.allclose([float(sp.N(u)) for u in b], want, rtol=1e-9, atol=1e-12), (e, b, want)


@pytest.mark.parametrize("e", ["x.T*A*x", "sum(tanh(A*x))", "logsumexp(A*x) + norm2(x)**2"])
def test_property_suite_would_catch_a_wrong_rule(monkeypatch, e):
    """Break one rule: the same numeric check now fails."""
    from matcalc import ops as O
    from matcalc.expr.registry import OPS

    good = OPS["matmul"].jvp
    monkeypatch.setattr(OPS["matmul"], "jvp", lambda n, d: O.mul(O.num(2), good(n, d)))
    r = matcalc.grad(e, wrt="x", let=LET, check=True)
    assert not r.check_ok
    monkeypatch.setattr(OPS["matmul"], "jvp", good)
    assert matcalc.grad(e, wrt="x", let=LET, check=True).check_ok


@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_check_by_a_scalar_the_expression_does_not_hold(kind):
    """SPEC §1: a --wrt name that does not occur gives a zero, and --check verifies it."""
    r = getattr(matcalc, kind)("x.T*y", wrt="t", let=LET, check=True)
    assert r.text() == "0" and r.check_ok


CHECK_CASES = [
    # found by these properties: correct results that --check must not call FAILED
    ("norm2(x - x)", "grad"),  # constant 0 through norm2's kink at 0 (v1 checked it fine)
    ("norm2(x - x)", "hessian"),
    ("sum(x ./ (1 + (A*x) .* (A.T*(A*x))))", "grad"),  # a test point near a pole of ./
]


@pytest.mark.parametrize("e,kind", CHECK_CASES)
def test_check_passes_a_correct_result(e, kind):
    r = getattr(matcalc, kind)(e, wrt="x", let=LET, check=True)
    _ok(r)
