"""The library in a host program (SPEC §6, §7.6): `timeout=` on every API function, from any
thread, with no signal handler replaced and no timer touched; caches bounded in size.

No test here measures time: a hang is turned into a failure by a generous alarm (tests/alarm.py),
and the time limit itself is asserted only through the error it raises."""

from __future__ import annotations

import inspect
import signal
import threading

import numpy as np
import pytest

import matcalc
from matcalc.errors import LimitError, MatcalcError
from tests.alarm import time_limit

ALARM = 90  # seconds: only a hang comes near it (each hostile call stops after 1 s)

# Inputs that run far past a minute without a limit.
HOSTILE = [
    ("nested-sin-hessian", lambda **k: matcalc.hessian("sin(" * 99 + "t" + ")" * 99, wrt="t", **k)),
    (
        "power-100-expanded",
        lambda **k: matcalc.grad(
            "tr((A+B)^100)", wrt="A", let=["A:3,3", "B:3,3"], expand=True, **k
        ),
    ),
]
IDS = [h[0] for h in HOSTILE]


def _handlers() -> dict:
    return {s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM)}


@pytest.mark.parametrize("name,call", HOSTILE, ids=IDS)
def test_timeout_stops_a_hostile_input_in_the_main_thread(name, call):
    with time_limit(ALARM):
        before = _handlers()
        with pytest.raises(LimitError, match=r"time limit of 1 s \(timeout=\)"):
            call(timeout=1)
        assert _handlers() == before, "the library replaced a signal handler"
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert left > 0, "the library cancelled the host's timer (the test's own alarm)"


@pytest.mark.parametrize("name,call", HOSTILE, ids=IDS)
def test_timeout_stops_a_hostile_input_in_a_worker_thread(name, call):
    got: list[BaseException | object] = []

    def work() -> None:
        try:
            got.append(call(timeout=1))
        except BaseException as err:  # handed to the main thread
            got.append(err)

    before = _handlers()
    with time_limit(ALARM):
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join()
    assert len(got) == 1 and isinstance(got[0], LimitError), got
    assert "timeout=" in got[0].message
    assert _handlers() == before


def test_threads_keep_their_own_time_limits():
    """A short limit in one thread does not stop a call without a limit in another."""
    results: dict[str, object] = {}

    def short() -> None:
        try:
            results["short"] = HOSTILE[0][1](timeout=1)
        except LimitError as err:
            results["short"] = err

    def plain() -> None:
        results["plain"] = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"]).text()

    with time_limit(ALARM):
        threads = [threading.Thread(target=short), threading.Thread(target=plain)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert isinstance(results["short"], LimitError)
    assert results["plain"] == "(A + Aᵀ) x"


def test_a_normal_call_with_a_timeout_gives_the_right_value():
    rng = np.random.default_rng(1)
    a, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    with time_limit(ALARM):
        r = matcalc.grad("x.T*A*x", wrt="x", let=["x:3", "A:3,3"], at={"x": x, "A": a}, timeout=60)
    got = np.array([float(v) for v in r.value], dtype=float)
    assert np.allclose(got, (a + a.T) @ x)


def test_a_call_after_a_timeout_runs_without_one():
    with time_limit(ALARM):
        with pytest.raises(LimitError):
            HOSTILE[0][1](timeout=1)
        assert matcalc.grad("sin(t)^2", wrt="t", at={"t": 0}).value == 0
        assert matcalc.show("t^2", at={"t": 3}, timeout=30).value == 9


API = ["grad", "jacobian", "hessian", "vjp", "jvp", "hvp", "show", "chain", "cost"]


@pytest.mark.parametrize("name", API)
def test_every_api_function_takes_a_timeout(name):
    fn = getattr(matcalc, name)
    param = inspect.signature(fn).parameters.get("timeout")
    assert param is not None and param.default is None, f"matcalc.{name} has no timeout=None"


def test_chain_and_cost_with_a_timeout():
    with time_limit(ALARM):
        r = matcalc.chain(["y = sin(z)", "z = t^2"], wrt="t", timeout=30)
        assert r.text() == "2 cos(z) t"  # dy/dt = cos(z) · 2t, written with the step z
        c = matcalc.cost([(10, 5), (5, 20), (20, 1)], timeout=30)
        # left to right 10·5·20 + 10·20·1; right to left 5·20·1 + 10·5·1
        assert [o.multiplications for o in c.orders] == [1200, 150, 150]


@pytest.mark.parametrize("bad", [0, -1, "1", True, float("nan")])
def test_a_timeout_that_is_not_a_positive_number_is_a_user_error(bad):
    with pytest.raises(MatcalcError, match="timeout="):
        matcalc.show("t", timeout=bad)


# --------------------------------------------------------------------------- bounded caches

CACHE_RUN = r"""
import gc, json, sys
import matcalc
from matcalc.budget import Memo
from matcalc.render.printer import to_text

def rss_mb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20
    except OSError:
        return None

seen = {}
rss = {}
for i in range(1, 2001):
    k = i + 1
    matcalc.grad(
        f"sum(log(1+exp(A*x+{k}*b))) + x'*x/{k} + sin({k}*t)*norm2(x)^{k % 7 + 2}",
        wrt="x", let=["A:m,n", "x:n", "b:m"],
    ).text()
    for m in Memo.ALL:
        seen[m.name] = max(seen.get(m.name, 0), len(m))
    seen["printed text"] = max(seen.get("printed text", 0), to_text.cache_info().currsize)
    if i in (1000, 2000):
        gc.collect()
        rss[i] = rss_mb()
bounds = {m.name: m.size for m in Memo.ALL}
bounds["printed text"] = to_text.cache_info().maxsize
print(json.dumps({"seen": seen, "bounds": bounds, "rss": rss}))
"""


@pytest.fixture(scope="module")
def cache_run():
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCALC_")}
    with time_limit(600):
        done = subprocess.run(
            [sys.executable, "-c", CACHE_RUN], capture_output=True, text=True, env=env, check=True
        )
    return json.loads(done.stdout)


def test_every_cache_stays_within_its_bound(cache_run):
    """2,000 gradients of different expressions: each memo that outlives a call reaches its
    bound (so the run tests the bound) and never holds more."""
    seen, bounds = cache_run["seen"], cache_run["bounds"]
    assert set(seen) == set(bounds) and {"canonical forms", "constants", "printed text"} <= set(
        seen
    )
    for name, most in seen.items():
        assert most <= bounds[name], f"the {name} memo held {most} entries (bound {bounds[name]})"
    assert seen["canonical forms"] > bounds["canonical forms"] // 2, "the run never filled it"


def test_memory_stops_growing_once_the_caches_are_full(cache_run):
    rss = cache_run["rss"]
    if rss["1000"] is None:
        pytest.skip("no /proc/self/statm here")
    grown = rss["2000"] - rss["1000"]
    assert grown < 30, f"RSS grew {grown:.1f} MB between call 1,000 and call 2,000"


# --------------------------------------------------------------------------- size before work


@pytest.mark.parametrize(
    "value",
    [np.ones(10**6), [0.5] * 10**6, np.ones((1000, 1000)).tolist()],
    ids=["numpy", "list", "nested"],
)
def test_a_huge_at_value_is_refused_before_its_entries_are_converted(value):
    """10⁶ entries were converted (40 s) before the entry limit refused them; the limit's own
    message, not the time limit's, shows the size came first."""
    with time_limit(ALARM), pytest.raises(LimitError) as info:
        matcalc.show("sum(x)", let=["x:n"], at={"x": value}, timeout=30)
    assert info.value.message == "--at: a value with 1000000 entries is over the limit 40000"
