"""Random-expression differential test: 3000 generated samples (tests/randexpr.py) checked
against finite differences of the generator's own NumPy implementation (tests/difftest.py)."""

from __future__ import annotations

import os

from tests import difftest

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
        print(summary.line())
    counts = {s: summary.count(s) for s in ("wrong", "crash", "refused", "invalid", "skipped")}
    assert counts == dict.fromkeys(counts, 0), summary.line()
    assert summary.count("passed") == COUNT, summary.line()
