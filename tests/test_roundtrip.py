"""Round trips (SPEC §4 v2): the text of any result is valid input, and its LaTeX read back with
`--input latex` is too; parsed back, either has the result's value.

* Random results: samples of tests/randexpr.py (every command, layout and shape; the tensor
  derivatives printed as maps `dF = …` are skipped, and so are samples matcalc refuses) are
  derived; `r.text()` and `r.latex()` go back through `matcalc.show` with the sample's `--let`,
  and the `--format numpy` line of what was read must evaluate, at a random point, to the
  value of `r.numpy()` there (relative error 1e-9 of max(1, |value|)).
* Textbook results: a fixed list of classic derivatives, where the parsed value must also equal
  the closed form written here in NumPy.

A literal `--v` fixes the symbolic dimensions it meets (SPEC §1: `--let x:n --v 1,2,3,4` means
n = 4 *for this command*): such a result holds the literal, so it is read back with that binding
applied to the `--let` (x:4). The summary line counts them.

Every failure is collected, grouped by cause and reported at the end, so that one run lists all
of them; the test fails if there is any.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pytest

import matcalc
from matcalc.syntax.latex import LATEX_CHARS
from tests.alarm import TooSlow, time_limit

from . import difftest, randexpr

SEED = 20250611
RESULTS = 1500  # random results per round trip (each result is read back as text and as LaTeX)
MAX_DEPTH = 4
RTOL = 1e-9
SECONDS = 30.0  # per matcalc call
EXAMPLES = 2  # examples shown per cause of failure


# --------------------------------------------------------------------------- comparison


def _evaluate(line: str, values: dict) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(eval(line, {"np": np, **values}), dtype=float)


def _same(got: np.ndarray, want: np.ndarray) -> tuple[bool, str]:
    """Same value: shapes equal (a zero of one entry, e.g. `0`, may stand for a zero array) and
    max |got - want| ≤ 1e-9 · max(1, max |want|)."""
    if got.shape != want.shape:
        if got.size == 1 and float(got.reshape(-1)[0]) == 0.0 and not np.any(want):
            return True, "zero"
        return False, f"shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)):
        return False, "not finite"
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    err = float(np.max(np.abs(got - want), initial=0.0)) / scale
    if err <= RTOL:
        return True, ""
    return False, f"relative error {err:.3g}"


def _short(a) -> str:
    return np.array2string(
        np.asarray(a, dtype=float),
        precision=5,
        suppress_small=True,
        threshold=12,
        max_line_width=160,
    ).replace("\n", " ")


def _cut(s: str, n: int = 400) -> str:
    return s if len(s) <= n else s[:n] + f"… ({len(s)} chars)"


def _cause(mode: str, kind: str, message: str) -> tuple[str, str, str]:
    """A failure's cause, for grouping: names, numbers and quoted text left out."""
    m = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    m = re.sub(r"\d+", "#", m)
    m = re.sub(r"^(shape mismatch in [a-z ]+?): .*", r"\1", m, flags=re.DOTALL)
    m = re.sub(r"^(the size of \S+ is not fixed).*", r"\1", m)
    return mode, kind, m[:70]


@dataclass
class Report:
    title: str
    passed: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=lambda: defaultdict(list))
    notes: Counter = field(default_factory=Counter)
    last: dict = field(default_factory=dict)  # the latest failure of each mode

    def fail(self, mode: str, kind: str, message: str, detail: str) -> None:
        self.failures[_cause(mode, kind, message)].append(detail)
        self.last[mode] = f"{kind}: {detail}"

    def total_failed(self, mode: str) -> int:
        return sum(len(v) for k, v in self.failures.items() if k[0] == mode)

    def summary(self) -> str:
        lines = [self.title]
        for mode in ("text", "latex"):
            bad = self.total_failed(mode)
            lines.append(f"  {mode:5} round trip: {self.passed[mode]} passed, {bad} failed")
        if self.notes:
            lines.append(
                "  notes: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.notes.items()))
            )
        for key, examples in sorted(self.failures.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
            lines.append(f"--- [{key[0]}] {key[1]}: {key[2]}  ({len(examples)}×); shortest:")
            lines += sorted(examples, key=len)[:EXAMPLES]
        return "\n".join(lines)


def _round_trip(report: Report, r, let: list[str], values: dict, want: np.ndarray, where: str):
    """Read r's text and LaTeX back with `matcalc.show`; compare the values at `values`."""
    for mode in ("text", "latex"):
        source = r.text() if mode == "text" else r.latex()
        detail = f"  {where}\n  --let {' '.join(let)}\n  {mode}: {_cut(source)}"
        try:
            with time_limit(SECONDS):
                parsed = matcalc.show(source, let=let, input=mode)
        except matcalc.MatcalcError as err:
            if f"more than {matcalc.limits.MAX_NODES} tokens" in str(err):  # bounded on purpose
                report.notes["longer than the input limit"] += 1
                continue
            report.fail(mode, "MatcalcError", str(err), f"{detail}\n  error: {_cut(str(err), 300)}")
            continue
        except TooSlow:
            report.fail(mode, "timeout", f"no answer in {SECONDS:g} s", detail)
            continue
        except Exception as err:
            report.fail(
                mode, type(err).__name__, str(err), f"{detail}\n  {type(err).__name__}: {err}"
            )
            continue
        try:  # show() accepted it: printing what it read must work too
            with time_limit(SECONDS):
                line = parsed.numpy()
        except (Exception, TooSlow) as err:
            name = type(err).__name__
            report.fail(
                mode,
                f"show() accepted it, then .numpy() of its result raised {name}",
                str(err),
                f"{detail}\n  {name}: {_cut(str(err), 300)}",
            )
            continue
        try:
            got = _evaluate(line, values)
        except Exception as err:
            report.fail(
                mode,
                "numpy line of the parsed result",
                f"{type(err).__name__}: {err}",
                f"{detail}\n  parsed numpy: {_cut(line)}\n  {type(err).__name__}: {err}",
            )
            continue
        ok, why = _same(got, want)
        if not ok:
            report.fail(
                mode,
                "value" if why.startswith("relative") else "shape",
                why.split(" ")[0],
                f"{detail}\n  parsed numpy: {_cut(line, 300)}\n  result numpy: {_cut(r.numpy(), 300)}"
                f"\n  {why}; result value {_short(want)}, parsed value {_short(got)}",
            )
            continue
        if why == "zero":
            report.notes[f"{mode}: zero of one entry for a zero array"] += 1
        report.passed[mode] += 1


# --------------------------------------------------------------------------- random results


def _bind_let(let: list[str], bound: dict) -> list[str]:
    """The --let with the dimensions that a literal --v fixed replaced by their sizes."""
    if not bound:
        return list(let)
    out = []
    for item in let:
        name, _, spec = item.partition(":")
        out.append(name + ":" + ",".join(str(bound.get(p, p)) for p in spec.split(",")))
    return out


def _usable_point(sample, line: str, rng: np.random.Generator) -> tuple[dict, np.ndarray] | None:
    """A random point where the result's own numpy line is finite and moderate."""
    for _ in range(6):
        values = difftest.numpy_values(sample, sample.random_point(rng))
        try:
            want = _evaluate(line, values)
        except Exception:
            continue
        if np.all(np.isfinite(want)) and float(np.max(np.abs(want), initial=0.0)) < 1e8:
            return values, want
    return None


@lru_cache(maxsize=1)
def random_report() -> Report:
    report = Report(f"random results (seed {SEED}, max depth {MAX_DEPTH})")
    rng = np.random.default_rng(SEED)
    used = 0
    while used < RESULTS:
        sample = randexpr.random_sample(rng, MAX_DEPTH)
        where = sample.describe()
        try:
            with time_limit(SECONDS):
                r = difftest.call_matcalc(sample)
                line = r.numpy()
                r.text(), r.latex()  # what is read back must print in the first place
        except matcalc.MatcalcError:
            report.notes["samples matcalc refused"] += 1
            continue
        except TooSlow:
            report.notes["derivations over the time limit"] += 1
            continue
        except Exception as err:  # not the round trip's business, but never to be hidden
            report.fail("derive", type(err).__name__, str(err), f"  {where}\n  {err}")
            continue
        if getattr(r, "form", "matrix") != "matrix":
            report.notes["maps skipped"] += 1
            continue
        if (
            len(r.text()) > matcalc.limits.MAX_INPUT_CHARS or len(r.latex()) > LATEX_CHARS
        ):  # input is bounded on purpose
            report.notes["longer than the input limit"] += 1
            continue
        point = _usable_point(sample, line, rng)
        if point is None:
            report.notes["no usable point"] += 1
            continue
        values, want = point
        if "  where " in r.text():  # names what it repeats (SPEC §7.3): read back with them
            report.notes["with a where clause"] += 1
        bound = {str(k): int(v) for k, v in r.decls.bound.items()}
        if bound:
            report.notes["--v fixed a dimension (read back with it)"] += 1
        _round_trip(report, r, _bind_let(sample.let, bound), values, want, where)
        used += 1
    report.notes["results"] = used
    return report


def test_random_text_round_trip():
    report = random_report()
    print("\n" + report.summary().split("\n---")[0])
    assert report.passed["text"] + report.total_failed("text") >= 1000
    assert report.notes["longer than the input limit"] <= 15  # 1% of the results at most
    assert report.notes["with a where clause"] >= 50  # §7.3's names are read back too (224 now)
    failed = report.total_failed("text") + report.total_failed("derive")
    if failed:
        pytest.fail(f"{failed} text round trips failed\n" + report.summary(), pytrace=False)


def test_random_latex_round_trip():
    report = random_report()
    print("\n" + report.summary().split("\n---")[0])
    assert report.passed["latex"] + report.total_failed("latex") >= 1000
    if report.total_failed("latex"):
        n = report.total_failed("latex")
        pytest.fail(f"{n} LaTeX round trips failed\n" + report.summary(), pytrace=False)


# --------------------------------------------------------------------------- textbook results

SIZES = {"n": 3, "m": 4, "k": 2}


def _softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _values(let: list[str], scalars: tuple[str, ...], rng: np.random.Generator) -> dict:
    """Vectors 1-D with entries of both signs, square matrices near 𝐈 (det > 0), symmetric ones
    symmetric positive definite, scalars floats, the dimension names bound."""
    out: dict = {}
    for spec in let:
        name, _, shape = spec.partition(":")
        parts = shape.split(",")
        sym = parts[-1] == "sym"
        dims = [SIZES[p] if p in SIZES else int(p) for p in parts if p != "sym"]
        for p in parts:
            if p in SIZES:
                out[p] = SIZES[p]
        a = rng.choice([-1.0, 1.0], size=dims) * rng.uniform(0.3, 1.2, size=dims)
        if len(dims) == 2 and dims[0] == dims[1]:
            a = np.eye(dims[0]) + 0.3 * a / dims[0]
        if sym:
            a = (a + a.T) / 2
        out[name] = a
    for s in scalars:  # both signs, so that abs, sign and odd powers are seen
        out[s] = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.2))
    return out


def _barrier(v):
    """b - A x > 0 for the log barrier."""
    v["b"] = v["A"] @ v["x"] + np.linspace(0.5, 1.5, v["A"].shape[0])
    return v


def _labels(v):
    v["y"] = np.sign(v["y"])
    return v


inv, det, outer = np.linalg.inv, np.linalg.det, np.outer
mpow = np.linalg.matrix_power


def _power_k(v):
    """A symbolic power's exponent k (SPEC §7.2): a positive integer, as NumPy's matrix_power takes."""
    v["k"] = 3
    return v


def _frechet(X, E, k):
    """Σⱼ Xʲ E Xᵏ⁻¹⁻ʲ."""
    return sum(mpow(X, j) @ E @ mpow(X, k - 1 - j) for j in range(k))


# (kind, expr, wrt, let, options, closed form of the result in SPEC §4's numpy convention,
#  scalars, adjust the values)
TEXTBOOK = [
    ("grad", "x.T*A*x", "x", ["x:n", "A:n,n"], {}, lambda v: (v["A"] + v["A"].T) @ v["x"]),
    ("grad", "logdet(X)", "X", ["X:n,n"], {}, lambda v: inv(v["X"]).T),
    (
        "grad",
        "a.T*inv(X)*b",
        "X",
        ["a:n", "b:n", "X:n,n"],
        {},
        lambda v: -inv(v["X"]).T @ outer(v["a"], v["b"]) @ inv(v["X"]).T,
    ),
    (
        "hessian",
        "logsumexp(x)",
        "x",
        ["x:n"],
        {},
        lambda v: np.diag(_softmax(v["x"])) - outer(_softmax(v["x"]), _softmax(v["x"])),
    ),
    (
        "jacobian",
        "tanh(W*x)",
        "x",
        ["W:m,n", "x:n"],
        {},
        lambda v: np.diag(1 - np.tanh(v["W"] @ v["x"]) ** 2) @ v["W"],
    ),
    (
        "grad",
        "norm2(A*x-b)**2",
        "x",
        ["A:m,n", "x:n", "b:m"],
        {},
        lambda v: 2 * v["A"].T @ (v["A"] @ v["x"] - v["b"]),
    ),
    ("grad", "sqrt(x.T*x)", "x", ["x:n"], {}, lambda v: v["x"] / np.linalg.norm(v["x"])),
    ("grad", "log(sum(exp(x)))", "x", ["x:n"], {}, lambda v: _softmax(v["x"])),
    (
        "grad",
        "sum(relu(W*x))",
        "x",
        ["W:m,n", "x:n"],
        {},
        lambda v: v["W"].T @ (v["W"] @ v["x"] > 0).astype(float),
    ),
    (
        "grad",
        "y.T*log(softmax(W*x))",
        "x",
        ["y:m", "W:m,n", "x:n"],
        {},
        lambda v: v["W"].T @ (v["y"] - _softmax(v["W"] @ v["x"]) * v["y"].sum()),
    ),
    ("grad", "tr(A*X*B)", "X", ["A:k,n", "X:n,m", "B:m,k"], {}, lambda v: v["A"].T @ v["B"].T),
    ("grad", "tr(X.T*X)", "X", ["X:n,m"], {}, lambda v: 2 * v["X"]),
    ("grad", "det(X)", "X", ["X:n,n"], {}, lambda v: det(v["X"]) * inv(v["X"]).T),
    (
        "grad",
        "tr(inv(X)*A)",
        "X",
        ["X:n,n", "A:n,n"],
        {},
        lambda v: -(inv(v["X"]) @ v["A"] @ inv(v["X"])).T,
    ),
    ("hessian", "x.T*A*x", "x", ["x:n", "A:n,n"], {}, lambda v: v["A"] + v["A"].T),
    ("grad", "x.T*S*x", "S", ["x:n", "S:n,n,sym"], {}, lambda v: outer(v["x"], v["x"])),
    ("jacobian", "A*x", "x", ["A:m,n", "x:n"], {}, lambda v: v["A"]),
    ("jacobian", "A*x", "x", ["A:m,n", "x:n"], {"layout": "denominator"}, lambda v: v["A"].T),
    (
        "jacobian",
        "softmax(x)",
        "x",
        ["x:n"],
        {},
        lambda v: np.diag(_softmax(v["x"])) - outer(_softmax(v["x"]), _softmax(v["x"])),
    ),
    ("vjp", "A*x", "x", ["A:m,n", "x:n", "v:m"], {"v": "v"}, lambda v: v["A"].T @ v["v"]),
    ("jvp", "sin(x)", "x", ["x:n", "v:n"], {"v": "v"}, lambda v: np.cos(v["x"]) * v["v"]),
    (
        "grad",
        "logdet(X.T*X)",
        "X",
        ["X:m,n"],
        {},
        lambda v: 2 * v["X"] @ inv(v["X"].T @ v["X"]),
    ),
    ("grad", "norm1(x)", "x", ["x:n"], {}, lambda v: np.sign(v["x"])),
    (
        "grad",
        "0.5*norm2(y - X*w)**2 + lam/2*w.T*w",
        "w",
        ["y:m", "X:m,n", "w:n"],
        {},
        lambda v: -v["X"].T @ (v["y"] - v["X"] @ v["w"]) + v["lam"] * v["w"],
        ("lam",),
    ),
    (
        "grad",
        "sum(log(sigmoid(y .* (X*w))))",
        "w",
        ["y:m", "X:m,n", "w:n"],
        {},
        lambda v: v["X"].T @ (v["y"] * (1 - _sig(v["y"] * (v["X"] @ v["w"])))),
        (),
        _labels,
    ),
    (
        "grad",
        "-sum(log(b - A*x))",
        "x",
        ["b:m", "A:m,n", "x:n"],
        {},
        lambda v: v["A"].T @ (1 / (v["b"] - v["A"] @ v["x"])),
        (),
        _barrier,
    ),
    (
        "hessian",
        "-sum(log(b - A*x))",
        "x",
        ["b:m", "A:m,n", "x:n"],
        {},
        lambda v: v["A"].T @ np.diag(1 / (v["b"] - v["A"] @ v["x"]) ** 2) @ v["A"],
        (),
        _barrier,
    ),
    (
        "hessian",
        "sqrt(x.T*x)",
        "x",
        ["x:n"],
        {},
        lambda v: (np.eye(3) - outer(v["x"], v["x"]) / (v["x"] @ v["x"])) / np.linalg.norm(v["x"]),
    ),
    (
        "grad",
        "x.T*A*x",
        "x",
        ["x:n", "A:n,n"],
        {"layout": "numerator"},
        lambda v: (v["A"] + v["A"].T) @ v["x"],
    ),
    ("grad", "sum(exp(t*x))", "t", ["x:n"], {}, lambda v: v["x"] @ np.exp(v["t"] * v["x"]), ("t",)),
    (
        "grad",
        "n/2*log(2*pi) + logdet(S)/2 + x.T*inv(S)*x/2",
        "x",
        ["x:n", "S:n,n,sym"],
        {},
        lambda v: inv(v["S"]) @ v["x"],
    ),
    (
        "grad",
        "n/2*log(2*pi) + logdet(S)/2 + x.T*inv(S)*x/2",
        "S",
        ["x:n", "S:n,n,sym"],
        {},
        lambda v: (inv(v["S"]) - inv(v["S"]) @ outer(v["x"], v["x"]) @ inv(v["S"])) / 2,
    ),
    ("grad", "tr(X**2)", "X", ["X:n,n"], {}, lambda v: 2 * v["X"].T),
    (
        "grad",
        "sum(sigmoid(x))",
        "x",
        ["x:n"],
        {},
        lambda v: _sig(v["x"]) * (1 - _sig(v["x"])),
    ),
    ("grad", "mean(x .* x)", "x", ["x:n"], {}, lambda v: 2 * v["x"] / 3),
    ("jacobian", "x .* y", "x", ["x:n", "y:n"], {}, lambda v: np.diag(v["y"])),
    ("jacobian", "1 ./ x", "x", ["x:n"], {}, lambda v: -np.diag(1 / v["x"] ** 2)),
    (
        "grad",
        "x.T*(A .* B)*x",
        "x",
        ["x:n", "A:n,n", "B:n,n"],
        {},
        lambda v: (v["A"] * v["B"] + (v["A"] * v["B"]).T) @ v["x"],
    ),
    (
        "grad",
        "kron(a, b).T * c",
        "a",
        ["a:3", "b:2", "c:6"],
        {},
        lambda v: v["c"].reshape(3, 2) @ v["b"],
    ),
    (
        "grad",
        "logsumexp(W*x)",
        "x",
        ["W:m,n", "x:n"],
        {},
        lambda v: v["W"].T @ _softmax(v["W"] @ v["x"]),
    ),
    (
        "jacobian",
        "sigmoid(W*x + b)",
        "x",
        ["W:m,n", "x:n", "b:m"],
        {},
        lambda v: (
            np.diag(_sig(v["W"] @ v["x"] + v["b"]) * (1 - _sig(v["W"] @ v["x"] + v["b"]))) @ v["W"]
        ),
    ),
    (
        "hessian",
        "0.5*x.T*A*x + b.T*x",
        "x",
        ["x:n", "A:n,n", "b:n"],
        {},
        lambda v: (v["A"] + v["A"].T) / 2,
    ),
    ("grad", "norm2(X)", "X", ["X:n,m"], {}, lambda v: v["X"] / np.linalg.norm(v["X"])),
    (
        "grad",
        "tr(A*inv(X)*B)",
        "X",
        ["A:n,n", "X:n,n", "B:n,n"],
        {},
        lambda v: -(inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"])).T,
    ),
    ("grad", "x.T*inv(S)*x", "x", ["x:n", "S:n,n,sym"], {}, lambda v: 2 * inv(v["S"]) @ v["x"]),
    (
        "grad",
        "-(x.T*y + sum(x))",
        "x",
        ["x:n", "y:n"],
        {},
        lambda v: -(v["y"] + 1),
    ),
    ("grad", "cos(t) - t", "t", [], {}, lambda v: -np.sin(v["t"]) - 1, ("t",)),
    ("grad", "2*2^t", "t", [], {}, lambda v: 2 * np.log(2) * 2 ** v["t"], ("t",)),
    ("grad", "abs(1 + 2*abs(t))", "t", [], {}, lambda v: 2 * np.sign(v["t"]), ("t",)),
    (
        "jacobian",
        "(u * ones(m).T) * (z .* w)",
        "z",
        ["u:n", "z:m", "w:m"],
        {},
        lambda v: outer(v["u"], v["w"]),
    ),
    (
        "jacobian",
        "[x.T*x, sum(x)]",
        "x",
        ["x:n"],
        {},
        lambda v: np.vstack([2 * v["x"], np.ones(3)]),
    ),
    ("grad", "x.T*A*x", "A", ["x:n", "A:n,n"], {}, lambda v: outer(v["x"], v["x"])),
    # Xᵏ with a symbolic k (SPEC §7.2): k, k - 1, 2k, … in the exponents of what is printed
    (
        "grad",
        "tr(X^k)",
        "X",
        ["X:n,n"],
        {},
        lambda v: v["k"] * mpow(v["X"].T, v["k"] - 1),
        (),
        _power_k,
    ),
    (
        "grad",
        "tr(X^(2k))",
        "X",
        ["X:n,n"],
        {},
        lambda v: 2 * v["k"] * mpow(v["X"].T, 2 * v["k"] - 1),
        (),
        _power_k,
    ),
    (
        "grad",
        "tr(X^(k - 1))",
        "X",
        ["X:n,n"],
        {},
        lambda v: (v["k"] - 1) * mpow(v["X"].T, v["k"] - 2),
        (),
        _power_k,
    ),
    (
        "grad",
        "a'*X^k*b",
        "X",
        ["X:n,n", "a:n", "b:n"],
        {},
        lambda v: _frechet(v["X"].T, outer(v["a"], v["b"]), v["k"]),
        (),
        _power_k,
    ),
    (
        "grad",
        "tr(A*X^k)",
        "X",
        ["X:n,n", "A:n,n"],
        {},
        lambda v: _frechet(v["X"].T, v["A"].T, v["k"]),
        (),
        _power_k,
    ),
    (
        "grad",
        "x'*X^(k + 1)*x",
        "x",
        ["X:n,n", "x:n"],
        {},
        lambda v: (mpow(v["X"], v["k"] + 1) + mpow(v["X"].T, v["k"] + 1)) @ v["x"],
        (),
        _power_k,
    ),
    (
        "show",
        "X^(k + 1) - 2 X^(2k)",
        None,
        ["X:n,n"],
        {},
        lambda v: mpow(v["X"], v["k"] + 1) - 2 * mpow(v["X"], 2 * v["k"]),
        (),
        _power_k,
    ),
    # `show` results: the expression itself, printed and read back
    ("show", "-(a + b)", None, [], {}, lambda v: -(v["a"] + v["b"]), ("a", "b")),
    ("show", "2 - (a + b)", None, [], {}, lambda v: 2 - (v["a"] + v["b"]), ("a", "b")),
    ("show", "a - (b - t)", None, [], {}, lambda v: v["a"] - (v["b"] - v["t"]), ("a", "b", "t")),
    ("show", "tanh(-(3 + t))", None, [], {}, lambda v: np.tanh(-(3 + v["t"])), ("t",)),
    ("show", "2*2^t", None, [], {}, lambda v: 2 * 2 ** v["t"], ("t",)),
    ("show", "abs(1 + 2*abs(t))", None, [], {}, lambda v: abs(1 + 2 * abs(v["t"])), ("t",)),
    (
        "show",
        "x[1] - (x[2] + x[3])",
        None,
        ["x:3"],
        {},
        lambda v: v["x"][0] - v["x"][1] - v["x"][2],
    ),
    (
        "show",
        "sigma*(x + y)",
        None,
        ["x:n", "y:n"],
        {},
        lambda v: v["sigma"] * (v["x"] + v["y"]),
        ("sigma",),
    ),
    (
        "show",
        "(A*x)[2] * A[1,2]",
        None,
        ["A:n,n", "x:n"],
        {},
        lambda v: (v["A"] @ v["x"])[1] * v["A"][0, 1],
    ),
]


def _case_id(case) -> str:
    kind, expr, wrt, _let, opts = case[:5]
    extra = "".join(f" {k}={v}" for k, v in opts.items())
    return f"{kind} {expr}" + (f" wrt {wrt}" if wrt else "") + extra


TEXTBOOK_REPORT = Report("textbook results")


@pytest.mark.parametrize("case", TEXTBOOK, ids=[_case_id(c) for c in TEXTBOOK])
def test_textbook_round_trip(case):
    kind, expr, wrt, let, opts, closed = case[:6]
    scalars = case[6] if len(case) > 6 else ()
    adjust = case[7] if len(case) > 7 else None
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    values = _values(let, scalars, rng)
    if adjust is not None:
        values = adjust(values)
    want = np.asarray(closed(values), dtype=float)
    if kind == "show":
        r = matcalc.show(expr, let=let)
    else:
        r = getattr(matcalc, kind)(expr, wrt=wrt, let=let, **opts)
    assert r.form == "matrix"
    problems = []
    ok, why = _same(_evaluate(r.numpy(), values), want)
    if not ok:
        problems.append(f"the result's own numpy line: {why} ({r.numpy()})")
    where = f"matcalc {_case_id(case)}"
    before = {m: TEXTBOOK_REPORT.total_failed(m) for m in ("text", "latex")}
    _round_trip(TEXTBOOK_REPORT, r, let, values, want, where)
    for mode in ("text", "latex"):
        if TEXTBOOK_REPORT.total_failed(mode) > before[mode]:
            problems.append(f"{mode} round trip: {TEXTBOOK_REPORT.last[mode]}")
    print(f"\n{where}\n  text:  {r.text()}\n  latex: {r.latex()}")
    assert not problems, "\n".join(problems)


def test_zz_textbook_summary():
    """A report, not a check (each case above asserts on its own): how many passed."""
    print("\n" + TEXTBOOK_REPORT.summary())
