"""Every documented limit (docs/limits.md) is triggered here and answered cleanly, in time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import matcalc
from matcalc import limits
from matcalc.errors import LimitError, MatcalcError
from tests.alarm import time_limit

CASES = [
    ("characters", "x" + "+x" * (limits.MAX_INPUT_CHARS // 2), []),
    ("tokens", "+".join(["x"] * (limits.MAX_NODES // 2 + 10)), []),
    ("depth", "(" * (limits.MAX_DEPTH + 1) + "x" + ")" * (limits.MAX_DEPTH + 1), []),
    ("depth unary", "-" * (limits.MAX_DEPTH + 1) + "x", []),
    ("depth power", "**".join(["x"] * (limits.MAX_DEPTH + 2)), []),
    ("integer digits", "1" * (limits.MAX_INT_DIGITS + 1) + "*x", []),
    ("literal exponent", "1e100000000*x", []),
    ("literal exponent 2", "1e-301*x", []),
    ("constant exponent", "x**1001", []),
    ("tower", "9**9**9*x", []),
    ("folded constant", "(9**100)**100*x", []),
    ("matrix power", "tr(A**101)", ["A:n,n"]),
    ("dimension", "x.T*x", ["x:1001"]),
    ("explicit result", "x.T*A*x", ["x:300", "A:300,300"]),
    ("symbolic det", "det(X)", ["X:9,9"]),
    ("sized constant", "sum(ones(99999))*x", []),  # v2: eye(n), ones(n) with explicit sizes
    ("sized constant 2", "tr(eye(10**9))*x", []),
    ("entrywise exponent", "sum(x.^2000)", ["x:n"]),  # v2: .^
    ("family", "x1 + x1001", []),  # the family x1 … x1001 is a vector of 1001 entries
]


@pytest.mark.parametrize("name,text,let", CASES, ids=[c[0] for c in CASES])
def test_limit_is_a_clean_user_error(name, text, let):
    with (
        time_limit(120, AssertionError("a limit must be answered, not computed")),
        pytest.raises(MatcalcError) as info,
    ):
        wrt = "X" if "X:" in "".join(let) else "x"
        matcalc.hessian(
            text, wrt=wrt, let=let, expand=True
        ) if name == "explicit result" else matcalc.grad(
            text, wrt=wrt, let=let, expand=bool(let) and name != "matrix power"
        )
    assert isinstance(info.value, LimitError) or "limit" in info.value.message, info.value.message


def test_a_result_too_large_to_print_is_refused_before_printing(monkeypatch):
    """Found by the fuzzer: 30 characters whose expanded Jacobian repeats shared entries into
    tens of millions of operations (111 MB of text); the derivative exists, printing is refused
    before any printer runs."""
    let = ["x:3", "y:3", "A:3,3", "B:3,2", "t:1"]
    r = matcalc.jacobian(
        r"A8m8m/4AaeAAAJAAJmm o/4AaeAAAJm", wrt="A", let=let, expand=True, input="latex"
    )

    def boom(node):
        raise AssertionError("a printer ran")

    for printer in ("to_text", "to_latex", "to_numpy"):
        monkeypatch.setattr(f"matcalc.result.{printer}", boom)
    for show in (r.text, r.latex, r.numpy):
        with pytest.raises(MatcalcError, match="too large to print") as info:
            show()
        count = int(info.value.message.split(": ")[1].split(" ")[0].replace(",", ""))
        assert count > limits.MAX_WRITTEN
        assert f"limit {limits.MAX_WRITTEN:,}" in info.value.message


def test_a_family_has_at_most_a_dimension_of_members():
    r = matcalc.grad("x1 + x1000", wrt="x")
    assert r.shape == (1000, 1)
    with pytest.raises(MatcalcError, match=r"x1001: a family x1 … xk has at most 1000 members"):
        matcalc.grad("x1 + x1001", wrt="x")


def test_let_count_limit():
    with pytest.raises(LimitError):
        matcalc.grad("x", wrt="x", let=[f"v{i}:2" for i in range(limits.MAX_LETS + 1)])


def test_cost_limits(cli):
    assert cli("cost", *["2x2"] * 1001)[0] == 2
    assert cli("cost", "200000x2", "2x1")[0] == 2


def _run(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "matcalc", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MATCALC_")}, **env},
    )
    return run, time.perf_counter() - start


def test_wall_clock_limit_stops_the_worker():
    run, _ = _run(
        ["grad", "x.T*A*x", "--let", "x:200", "--let", "A:200,200", "--wrt", "x", "--expand"],
        {"MATCALC_TIMEOUT": "1"},
    )
    assert run.returncode == 2 and "stopped after 1 s" in run.stderr, run.stderr


def test_memory_limit_is_a_clean_error():
    big = ["grad", "sum(exp(X))", "--let", "X:200,200", "--wrt", "X", "--expand"]
    run, _ = _run(big, {"MATCALC_MEMORY_MB": "100", "MATCALC_TIMEOUT": "60"})
    assert run.returncode == 2, run.stderr
    assert run.stderr == "error: needed more than 100 MB of memory (MATCALC_MEMORY_MB)\n"


def test_simplification_budget_keeps_a_correct_result(monkeypatch):
    import matcalc.api

    real = matcalc.api.tidy

    def slow(node, deadline=None):
        time.sleep(0.5)
        return real(node, deadline)

    monkeypatch.setattr("matcalc.api.tidy", slow)
    monkeypatch.setenv("MATCALC_SIMPLIFY_SECONDS", "0.05")
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"], check=True)
    assert r.check_ok
    assert any("simplification stopped" in n for n in r.notes)
    assert r.text() != "(A + Aᵀ) x"  # the unfactored form: the budget really stopped tidy


def test_the_simplifier_never_prints_a_huge_tree_to_compare_lengths(monkeypatch):
    """Found by the fuzzer: A⁶ A⁶ A⁶ of a 3×3 matrix, expanded, shares its entries into 10¹¹
    operations written out; the simplifier printed them to compare lengths (2.7 GB, 7 s)."""
    import matcalc.render.printer as printer

    real = printer.to_text

    def guarded(n):
        assert printer.written_size(n) <= 100_000, "printed a huge tree"
        return real(n)

    monkeypatch.setattr(printer, "to_text", guarded)
    let = ["x:3", "y:3", "A:3,3", "B:3,2", "t:1"]
    r = matcalc.jacobian(
        "knAAAAAAknum QQAAAAAAknAAAAAAkn", wrt="A", let=let, expand=True, input="latex"
    )
    assert printer.written_size(r.node) > 10**11


def test_a_long_juxtaposed_chain_shows_without_a_stack_overflow():
    """Found by the fuzzer: `n n n … n` (150 letters) in LaTeX, shown as written, nested one
    product per letter and overflowed the printer's stack; a chain is one product node."""
    typed = "5y+715y Nq" + "n" * 35 + "k" * 38 + "n" * 15 + "endtedmummm" + "n" * 24
    typed += "endtedmummmmnu" + "n" * 27  # the fuzzer's input, as LaTeX
    r = matcalc.show(typed, let=["x:n", "y:n", "A:n,n", "B:n,m", "S:n,n,sym"], input="latex")
    assert r.text().startswith("5 y + 715 N q n n n") and r.text().count("k") == 38
