"""An independent oracle: HIPS autograd (a real reverse-mode engine) differentiates the tests' own
NumPy reading of the original expression (tests/conftest.py, no matcalc code), and matcalc's
symbolic answer, evaluated by matcalc's interpreter, must agree with it."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.evaluate.numeric import evaluate
from matcalc.expr.node import dim_symbol
from matcalc.identities import IDENTITIES

from .conftest import random_values, reference
from .strategies import LET, expr

ag = pytest.importorskip("autograd")
AGREED: dict[str, int] = {}


def oracle(
    kind: str,
    e: str,
    wrt: str,
    let: list[str],
    v: str | None = None,
    seed: int = 0,
    scalars: tuple[str, ...] = ("t",),
) -> None:
    """Compare matcalc's mixed-layout answer with autograd's at a random point."""
    fn = getattr(matcalc, kind)
    r = fn(e, wrt=wrt, v=v, let=let) if v is not None else fn(e, wrt=wrt, let=let)
    values, dims = random_values(let, np.random.default_rng(seed), scalars=scalars)
    symmetric = any(s.startswith(f"{wrt}:") and s.endswith(",sym") for s in let)
    want = reference(kind, e, wrt, values, v=values.get(v) if v else None, symmetric=symmetric)
    ours = np.asarray(
        evaluate(r.node, values, {dim_symbol(d): k for d, k in dims.items()}), dtype=float
    )
    assert ours.shape == np.shape(want), (e, r.text(), ours.shape, np.shape(want))
    assert np.allclose(ours, want, rtol=1e-8, atol=1e-9), (e, r.text(), ours, want)
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
        oracle("grad", e, "x1", [], scalars=("x1", "x2", "x3"))


def test_zz_counts(capsys):
    with capsys.disabled():
        sys.stdout.write(f"\nautograd agreements: {dict(sorted(AGREED.items()))}\n")
    assert sum(AGREED.values()) >= len(IDENTITIES) + 100
