"""An independent oracle: HIPS autograd (a real reverse-mode engine) differentiates the original
expression, evaluated with autograd.numpy, and must agree with matcalc's symbolic answer."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcalc.check import scalar_symbols
from matcalc.engine import build_problem, derive
from matcalc.identities import IDENTITIES
from matcalc.numeric import evaluate, random_point

from .strategies import LET, expr

ag = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")
AGREED: dict[str, int] = {}


def oracle(
    kind: str, e: str, wrt: str, let: list[str], v: str | None = None, seed: int = 0
) -> None:
    """Compare matcalc's mixed-layout answer with autograd's at a random point."""
    p = build_problem(kind, e, wrt, let, v=v)
    mixed, _ = derive(p)
    rng = np.random.default_rng(seed)
    variables = {n: (d.shape, d.symmetric) for n, d in p.decls.items.items()}
    pt = random_point(
        variables, scalar_symbols(p.node) | scalar_symbols(mixed) | scalar_symbols(p.v), rng
    )
    scalar_var = p.var.shape == ()
    sym = None
    if scalar_var:
        import sympy as sp

        sym = sp.Symbol(wrt, real=True)
        pt.symvals.setdefault(sym, 0.7)
    x0 = pt.symvals[sym] if scalar_var else pt.values[wrt]

    def f(x: object) -> object:
        values, symvals = dict(pt.values), dict(pt.symvals)
        if scalar_var:
            symvals[sym] = x
        else:
            values[wrt] = x
        return evaluate(p.node, values, pt.dims, symvals, xp=anp)

    ours = np.asarray(evaluate(mixed, pt.values, pt.dims, pt.symvals), dtype=float)
    vval = evaluate(p.v, pt.values, pt.dims, pt.symvals) if p.v is not None else None
    if kind == "grad":
        want = ag.grad(f)(x0)
        if p.var.symmetric:
            want = (want + want.T) / 2
    elif kind == "jacobian":
        want = ag.jacobian(f)(x0)
        want = np.reshape(want, ours.shape)
    elif kind == "hessian":
        want = np.reshape(ag.hessian(f)(x0), ours.shape)
    elif kind == "vjp":
        vjp_fn, _ = ag.make_vjp(f)(x0)
        want = vjp_fn(vval)
    else:
        want = ag.make_jvp(f)(x0)(vval)[1]
    want = np.asarray(want, dtype=float).reshape(ours.shape)
    assert np.allclose(ours, want, rtol=1e-8, atol=1e-9), (e, ours, want)
    AGREED[kind] = AGREED.get(kind, 0) + 1


@pytest.mark.parametrize("ident", IDENTITIES, ids=lambda i: i.ref)
def test_identity_table(ident):
    oracle(ident.kind, ident.expr, ident.wrt, list(ident.let))


SET = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@SET
@given(expr("scal"), st.sampled_from(["x", "A", "t"]))
def test_generated_gradients(e, wrt):
    oracle("grad", e, wrt, LET)


@SET
@given(expr("vec"))
def test_generated_jacobians(e):
    oracle("jacobian", e, "x", LET)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(expr("scal", depth=1))
def test_generated_hessians(e):
    oracle("hessian", e, "x", LET)


@SET
@given(expr("vec"), st.sampled_from(["x", "A"]))
def test_generated_vjps(e, wrt):
    oracle("vjp", e, wrt, LET, v="y")


@SET
@given(expr("vec"))
def test_generated_jvps(e):
    oracle("jvp", e, "x", LET, v="y")


def test_componentwise_against_autograd():
    for e in ["x1**3+2*x2**2+3*x3", "sin(x1)*exp(x2)", "sigmoid(x1*x2) + softplus(x3)"]:
        oracle("grad", e, "x1", [])


def test_zz_counts(capsys):
    with capsys.disabled():
        sys.stdout.write(f"\nautograd agreements: {dict(sorted(AGREED.items()))}\n")
    assert sum(AGREED.values()) >= len(IDENTITIES) + 100
