"""Random-expression differential test: 3000 generated samples (tests/randexpr.py) checked
against finite differences of the generator's own NumPy implementation (tests/difftest.py).
MATCALC_RANDOM_SEED runs it with another seed."""

from __future__ import annotations

import os

from tests import difftest, randexpr

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
        + f"; points not used because max or min tied there: {ties}"
        + f" (samples drawn again because every point tied: {redrawn})"
    )
