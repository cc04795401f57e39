"""Random-expression differential test: 3000 generated samples (tests/randexpr.py) checked
against finite differences of the generator's own NumPy implementation (tests/difftest.py).
MATCALC_RANDOM_SEED runs it with another seed."""

from __future__ import annotations

import os

import numpy as np

from tests import difftest, op_specs, randexpr
from tests.alarm import time_limit

SEED = int(os.environ.get("MATCALC_RANDOM_SEED", "20240601"))
COUNT = 3000


def test_random_expressions_match_finite_differences(capsys):
    jobs = min(2, os.cpu_count() or 1)
    summary = difftest.run(COUNT, SEED, jobs=jobs, points=2, timeout=60.0, max_depth=4)
    with capsys.disabled():
        for outcome in summary.failed[:40]:
            print(outcome.report())
        # invalid: matcalc called the input a user error; the generator writes only valid
        # input, so each one is a generator bug or a matcalc bug
        for outcome in [o for o in summary.outcomes if o.status == "invalid"][:10]:
            print(outcome.report())
        print(drawn_line(summary))
        print(summary.line())
    counts = {s: summary.count(s) for s in ("wrong", "crash", "refused", "invalid", "skipped")}
    assert counts == dict.fromkeys(counts, 0), summary.line()
    assert summary.count("passed") == COUNT, summary.line()
    # SPEC §7.2's matrix functions (at SPD, well-conditioned points) and §7.1's max and min (at
    # points where the extremum is attained once) are drawn in enough samples
    drawn = counted_drawn(summary)
    assert min(drawn.values()) >= MIN_DRAWN, drawn_line(summary)


# samples that must hold each of randexpr.MATRIX_FUNCTIONS, and max and min with the variable
# in their operand (their derivative is taken, not only their value)
MIN_DRAWN = 5
COUNTED = randexpr.MATRIX_FUNCTIONS | frozenset(randexpr.BY_WRT.values())


def counted_drawn(summary) -> dict[str, int]:
    """How many samples hold each matrix function (expm, chol, lambda_max, …), and max and min
    of an operand that holds the variable."""
    out = dict.fromkeys(sorted(COUNTED), 0)
    for o in summary.outcomes:
        if o.sample is not None:
            for op in o.sample.ops & COUNTED:
                out[op] += 1
    return out


def drawn_line(summary) -> str:
    counts = counted_drawn(summary)
    others = {
        p: sum(1 for o in summary.outcomes if o.sample is not None and p in o.sample.ops)
        for p in (*sorted(randexpr.EXTREMA), *randexpr.PAIRWISE)
    }
    ties = sum(o.ties for o in summary.outcomes)
    redrawn = sum(o.redrawn for o in summary.outcomes)
    return (
        "samples holding each matrix function, max and min: "
        + ", ".join(f"{op} {k}" for op, k in {**counts, **others}.items())
        + f"; points not used for want of a derivative (max or min tied, a norm of 0): {ties}"
        + f" (samples drawn again for want of such a point: {redrawn})"
    )


def test_a_structural_tie_is_not_used_and_never_passes():
    """max(x 𝟏ᵀ) ties along every row at every point: there max has no derivative, and
    matcalc's printed ismax counts each tied entry (3 eᵢ where finite differences see eᵢ). The
    rows' reference (op_specs.extremum) refuses the tie, so the tester uses no point of it: the
    sample is skipped (the random tester draws another), never passed. Away from ties, the
    same reference passes."""
    with time_limit(120, AssertionError("a sample took over 120 s")):
        tied = randexpr.manual_sample(
            "grad", "max(x*ones(3)')", ["x:3"], "x", "np.max(x @ np.ones((1, 3)))", {}
        )
        assert difftest.check_sample(tied).status == "wrong"  # why ties are not used
        tied.fn = lambda env: op_specs.extremum("max", env["x"] @ np.ones((1, 3)))
        ties: list = []
        assert difftest._points(tied, np.random.default_rng(0), 2, ties) == []
        assert len(ties) == 12  # every point drawn tied, and was counted
        out = difftest.check_sample(tied)
        assert (out.status, out.message) == ("skipped", "no usable point")

        apart = randexpr.manual_sample(
            "jacobian", "min(X, dim=-1)", ["X:3,4"], "X", "np.min(X, axis=1)[:, None]", {}
        )
        apart.fn = lambda env: op_specs.extremum("min", env["X"], axis=1)[:, None]
        assert difftest.check_sample(apart).status == "passed"


def test_a_norm_of_zero_is_not_used():
    """Found by the random tester (seed 7, sample 2245): ‖minimum(y, π) - y‖ is ‖0‖ near any
    point with y < π, where the norm has no derivative (matcalc's Hessian holds 0/0: nan, as
    JAX's would). The norm's reference refuses 0, so the point is not used."""
    expr = "‖minimum(y, pi) - y‖ + 3*mean(sin(y))"
    src = "np.linalg.norm(np.minimum(y, np.pi) - y) + 3 * np.mean(np.sin(y))"
    with time_limit(120, AssertionError("a sample took over 120 s")):
        s = randexpr.manual_sample("hessian", expr, ["y:2"], "y", src, {})
        assert difftest.check_sample(s).status == "wrong"  # nan where the FD see a 0 term
        s.fn = lambda env: (
            op_specs.norm2(np.minimum(env["y"], np.pi) - env["y"]) + 3 * np.mean(np.sin(env["y"]))
        )
        assert difftest.check_sample(s).status == "skipped"
