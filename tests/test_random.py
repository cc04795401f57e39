"""Random-expression differential test: 3000 generated samples (tests/randexpr.py) checked
against finite differences of the generator's own NumPy implementation (tests/difftest.py)."""

from __future__ import annotations

import os

from tests import difftest, randexpr

SEED = 20240601
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
    # SPEC §7.2's matrix functions are drawn (at SPD, well-conditioned points) in enough samples
    drawn = matrix_functions_drawn(summary)
    assert min(drawn.values()) >= MIN_DRAWN, drawn_line(summary)


MIN_DRAWN = 5  # samples that must hold each of randexpr.MATRIX_FUNCTIONS


def matrix_functions_drawn(summary) -> dict[str, int]:
    """How many samples hold each matrix function (expm, chol, lambda_max, …)."""
    out = dict.fromkeys(sorted(randexpr.MATRIX_FUNCTIONS), 0)
    for o in summary.outcomes:
        if o.sample is not None:
            for op in o.sample.ops & randexpr.MATRIX_FUNCTIONS:
                out[op] += 1
    return out


def drawn_line(summary) -> str:
    counts = matrix_functions_drawn(summary)
    return "samples holding each matrix function: " + ", ".join(
        f"{op} {k}" for op, k in counts.items()
    )
