"""Fuzzing: random text, near-valid expressions (one token mutated) and valid expressions,
through the parser, the API and the CLI. Every run ends in a result or one clean user error.

`MATCALC_FUZZ_EXAMPLES` raises the number of inputs per strategy (default 200).
"""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.errors import MatcalcError
from matcalc.identities import IDENTITIES
from matcalc.reader import parse
from matcalc.syntax.lexer import tokenize

from .strategies import LET, expr

N = int(os.environ.get("MATCALC_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
SEEDS = [i.expr for i in IDENTITIES] + [
    "[x1**2, sin(x2)]",
    "x.T*A*x",
    "softmax(W*x)",
    "2 Aᵀ (A x - y)",
    "‖x‖² + sum(x⊙²) - 1 ./ (1 + x.^2)",
]
VOCAB = [
    "x",
    "A",
    "(",
    ")",
    "[",
    "]",
    ",",
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    "@",
    ".T",
    "'",
    "1",
    "0",
    "1e5",
    "sin",
    "inv",
    "tr",
    "__class__",
    "lambda",
    "=",
    ";",
    ".",
    "\\",
    "$",
    "{",
    "}",
    "%s",
    "é",
    "х",
    "\x00",
    "\x1b[2J",
    "[bold]",
    "9**9**9",
    # v2 notation: entrywise operators, superscripts, norms, the identity and all-ones symbols
    ".*",
    "./",
    ".^",
    "⊙",
    "⊘",
    "⊗",
    "²",
    "ᵀ",
    "⁻¹",
    "‖",
    "|",
    "𝟏",
    "𝐈",
    "−",
    "eye",
    "ones",
    "x₁",
]
KINDS = ["grad", "jacobian", "hessian", "vjp", "jvp"]
TALLY: dict[str, int] = {}


def outcome(text: str, kind: str = "grad", wrt: str = "x") -> str:
    """'ok' or 'user error'; anything else propagates and fails the test."""
    TALLY[kind] = TALLY.get(kind, 0) + 1
    try:
        fn = getattr(matcalc, kind)
        if kind in ("vjp", "jvp"):
            fn(text, wrt=wrt, v="y", let=LET)
        else:
            fn(text, wrt=wrt, let=LET)
    except MatcalcError as err:
        assert err.render().startswith("error: ")
        return "user error"
    return "ok"


@FUZZ
@given(st.text(max_size=60))
def test_random_text(text):
    try:
        parse(text)
    except MatcalcError:
        pass
    outcome(text)


@FUZZ
@given(st.binary(max_size=60))
def test_random_bytes(data):
    outcome(data.decode("latin-1"))


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    toks = [t.text for t in tokenize(text) if t.kind != "end"]
    i = draw(st.integers(0, len(toks) - 1))
    action = draw(st.sampled_from(["drop", "dup", "swap", "insert", "replace"]))
    tok = draw(st.sampled_from(VOCAB))
    if action == "drop":
        del toks[i]
    elif action == "dup":
        toks.insert(i, toks[i])
    elif action == "swap" and i + 1 < len(toks):
        toks[i], toks[i + 1] = toks[i + 1], toks[i]
    elif action == "insert":
        toks.insert(i, tok)
    else:
        toks[i] = tok
    return " ".join(toks)


@FUZZ
@given(mutated(), st.sampled_from(KINDS), st.sampled_from(["x", "A", "W", "X", "t"]))
def test_near_valid(text, kind, wrt):
    outcome(text, kind, wrt)


@FUZZ
@given(expr("scal"), st.sampled_from(["x", "A", "t", "y"]))
def test_valid_scalars(text, wrt):
    assert outcome(text, "grad", wrt) == "ok"


@FUZZ
@given(expr("vec"), st.sampled_from(["jacobian", "vjp", "jvp"]))
def test_valid_vectors(text, kind):
    assert outcome(text, kind, "x") == "ok"


@settings(max_examples=max(20, N // 5), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(), st.text(max_size=40)))
def test_cli_in_process(cli, text):
    code, out, err = cli("grad", "--wrt", "x", "--let", "x:n", "--let", "A:n,n", "--", text)
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert out == "" and err.startswith("error: ")


def test_cli_subprocess_batch():
    """A few dozen hostile and mutated inputs through the real executable, each one clean."""
    inputs = [s + tail for s in SEEDS[:10] for tail in ("", ")", " ** ** 2", ".__class__", "[")]
    for text in inputs:
        run = subprocess.run(
            [sys.executable, "-m", "matcalc", "grad", "--wrt", "x", "--let", "x:n", "--", text],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert run.returncode in (0, 2), (text, run.stderr)
        assert "Traceback" not in run.stderr
        if run.returncode == 2:
            assert run.stderr.startswith("error: ") and run.stdout == ""


def test_zz_report_counts(capsys):
    with capsys.disabled():
        sys.stdout.write(f"\nfuzz inputs per kind: {dict(sorted(TALLY.items()))}\n")
    assert sum(TALLY.values()) >= 5 * N


# --------------------------------------------------------------------------- the atheris harness

FAKE_LIBFUZZER = """
import sys
from pathlib import Path
corpus = Path(sys.argv[1])
prefix = next(a for a in sys.argv if a.startswith("-artifact_prefix=")).split("=", 1)[1]
runs = len(list(corpus.iterdir()))
(corpus / f"run{runs}").write_text("")
if runs < 2:  # the first two runs end in a finding, as libFuzzer's do: the file, then exit 1
    Path(prefix + ("crash-", "timeout-")[runs] + "0123").write_text("input")
    print("stat::number_of_executed_units: 100")
    sys.exit(1)
print("Done 7 runs in 1 second(s)\\nstat::number_of_executed_units: 7")
"""


def test_the_fuzz_campaign_keeps_every_finding(tmp_path):
    """libFuzzer stops at its first finding; `make fuzz` starts it again and keeps them all."""
    from pathlib import Path

    fake = tmp_path / "fake.py"
    fake.write_text(FAKE_LIBFUZZER)
    root = Path(__file__).resolve().parent.parent
    options = ["--seconds", "600", "--min-run", "0", "--harness", str(fake)]
    folders = ["--corpus", str(tmp_path / "c"), "--findings", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(root / "fuzz" / "campaign.py"), *options, *folders],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.glob("*-0123")) == ["crash-0123", "timeout-0123"]
    summary = done.stdout[done.stdout.index("\nfuzz: ") :]
    assert summary.splitlines()[1] == "fuzz: 207 executions in 3 run(s), 600 s; 2 finding(s)"


class _Provider:
    """atheris.FuzzedDataProvider over (ints, text): the harness's choices, given."""

    def __init__(self, data):
        self.ints, self.text = list(data[0]), data[1]

    def ConsumeIntInRange(self, low, high):  # atheris's names
        return self.ints.pop(0)

    def ConsumeUnicodeNoSurrogates(self, count):
        return self.text


def _harness(monkeypatch):
    """fuzz/atheris_fuzz.py imported with a stand-in for atheris (not a test dependency)."""
    import contextlib
    import importlib.util
    import types
    from pathlib import Path

    fake = types.SimpleNamespace(
        instrument_imports=contextlib.nullcontext, FuzzedDataProvider=_Provider
    )
    monkeypatch.setitem(sys.modules, "atheris", fake)
    path = Path(__file__).resolve().parent.parent / "fuzz" / "atheris_fuzz.py"
    spec = importlib.util.spec_from_file_location("atheris_fuzz", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_harness_leaves_timing_to_libfuzzer(monkeypatch):
    """No alarm of its own (it would kill the process before libFuzzer writes timeout-*): while
    matcalc computes, no timer runs and SIGALRM is untouched; a user error is no finding, an
    internal one is."""
    import signal

    harness = _harness(monkeypatch)
    seen = []

    def timing():
        return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0), signal.getsignal(signal.SIGALRM)

    outside = timing()

    def show(text, **kwargs):
        seen.append(timing())
        if text == "internal":
            raise MatcalcError("internal error (ValueError: …)")
        raise MatcalcError("a user error")

    monkeypatch.setattr(harness.matcalc, "show", show)
    show_kind = harness.KINDS.index("show")
    harness.one_input(([show_kind, 0, 0, 0, 0], "t+"))
    try:
        harness.one_input(([show_kind, 0, 0, 0, 0], "internal"))
        raise AssertionError("an internal error was not a finding")
    except MatcalcError:
        pass
    assert seen == [outside] * 2 and outside == (True, signal.SIG_DFL)
