"""`matcalc serve`'s JSON API (SPEC §7.5, docs/serve.md), without a browser.

* every output of an answer is byte for byte what the CLI prints for the same query and format;
* a real `matcalc serve` process: 20 concurrent requests all answered, each as expected; a slow
  input stopped by the worker's time limit while other requests are answered; the hostile corpus
  of tests/test_hostile.py leaves it answering, every bad input a clean `error: …`;
* request limits, bad requests, static assets (no network), Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from matcalc.serve import Query, answer
from matcalc.serve.answer import FORMATS
from tests.alarm import time_limit

ROOT = Path(__file__).resolve().parent.parent
SERVER_TIMEOUT = "20"  # MATCALC_TIMEOUT of the test servers: the CLI's default
SLOW_TIMEOUT = "5"  # for the slow-input test: its own server stops the slow input quickly


@contextmanager
def running_server(
    timeout: str = SERVER_TIMEOUT, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `matcalc serve --port 0` process (its stderr, the request log, into `log`);
    yields its base URL and the process."""
    env = {**os.environ, "MATCALC_TIMEOUT": timeout}
    env.pop("MATCALC_NO_WORKER", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "matcalc", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log.open("w") if log else subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        with time_limit(120):
            line = proc.stdout.readline()
        assert line.startswith("matcalc serve: http://127.0.0.1:"), line
        yield line.split()[2].rstrip("/"), proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def post(base: str, data: object, raw: bytes | None = None) -> tuple[int, dict]:
    body = raw if raw is not None else json.dumps(data).encode()
    request = urllib.request.Request(
        base + "/api/derive", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as got:
            return got.status, json.loads(got.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def get(base: str, path: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=120) as got:
            return got.status, got.read(), got.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers["Content-Type"]


@pytest.fixture(scope="module")
def server():
    with running_server() as (base, proc):
        yield base, proc


# --------------------------------------------------------------------------- the CLI's bytes

QUERIES = [
    Query(command="grad", expr="x'*A*x", wrt="x", let=("x:n", "A:n,n")),
    Query(command="grad", expr="x'*A*x", wrt="x", let=("x:n", "A:n,n"), layout="numerator"),
    Query(command="grad", expr="x1^3+2x2^2+3x3", wrt="x", steps=True),
    Query(command="jacobian", expr="X*X", wrt="X", let=("X:n,n",)),
    Query(command="hessian", expr="logsumexp(x)", wrt="x", let=("x:n",), layout="denominator"),
    Query(
        command="vjp",
        expr="[x1^3+2x2^2+3x3, 3x1+2x2^2+x3^3, 2x1+x2^3+3x3^2]",
        wrt="x",
        v="3,2,1",
        at=("x=[1,2,3]",),
    ),
    Query(
        command="grad",
        expr="(v'*W2*W1*x - t)^2/2",
        wrt="W1,W2,v",
        let=("x:2", "W1:2,2", "W2:2,2", "v:2"),
    ),
    Query(
        command="chain",
        expr="L = (y - t)^2/2\ny = v'*s\ns = W2*z\nz = W1*x",
        wrt="W1",
        let=("x:2", "W1:2,2", "W2:2,2", "v:2"),
    ),
    Query(command="show", expr="\\frac{1}{2} x^{\\top} x", let=("x:n",), input="latex"),
    Query(
        command="grad", expr="norm2(A*x - b)^2", wrt="x", let=("A:m,n", "x:n", "b:m"), check=True
    ),
    Query(command="show", expr="exp(1000)*t", at=("t=1",)),  # JSON has no number for its value
    Query(command="hvp", expr="x'*A*x", wrt="x", let=("x:n", "A:n,n", "u:n"), v="u"),
]


@pytest.mark.parametrize("query", QUERIES, ids=[" ".join(q.argv()[1:3]) for q in QUERIES])
def test_every_output_is_what_the_cli_prints(cli, query):
    got = answer(query)
    assert got["ok"], got
    assert set(got["outputs"]) | set(got["format_errors"]) == set(FORMATS)
    for fmt in FORMATS:
        code, out, err = cli(*query.argv()[1:], "--format", fmt)
        if code == 2:
            assert got["format_errors"][fmt] == err.rstrip("\n"), fmt
            continue
        assert out == got["outputs"][fmt] + "\n", fmt
        assert code == got["exit"], fmt
        notes = [line[len("note: ") :] for line in err.splitlines() if line.startswith("note: ")]
        assert notes == got["notes"], fmt


def test_a_real_cli_process_prints_the_same_bytes():
    """The in-process CLI above is the CLI; one run through a real process says so too."""
    query = QUERIES[2]
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", *query.argv()[1:], "--format", "latex"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MATCALC_PLAIN": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == answer(query)["outputs"]["latex"] + "\n"


def test_a_syntax_error_is_the_cli_message_with_its_column(cli):
    query = Query(command="grad", expr="sin(x'*A*x", wrt="x", let=("x:n", "A:n,n"))
    got = answer(query)
    code, out, err = cli(*query.argv()[1:])
    assert (code, out) == (2, "")
    assert got["error"] == err.rstrip("\n")
    assert got["column"] == 11 and "(column 11)" in got["error"]
    assert got["error"].splitlines()[-1] == "  " + " " * 10 + "^"


def test_the_answer_holds_steps_and_the_chain_factors():
    steps = answer(QUERIES[2])["steps"]
    assert steps["latex"].startswith("\\begin{align*}") and "3 x_{1}^{2}" in steps["latex"]
    chain = answer(QUERIES[7])["result"]
    factors = {f["name"]: f["shape"] for f in chain["factors"]}
    assert factors == {"∂L/∂y": "scalar", "∂y/∂s": "2×1", "∂s/∂z": "2×2", "∂z/∂W1": "2×4"}
    assert [f["vec"] for f in chain["factors"]] == [False, False, False, True]
    assert [a["name"] for a in chain["adjoints"]] == ["delta_y", "delta_s", "delta_z"]


# --------------------------------------------------------------------------- a real server


def test_the_server_binds_localhost_and_answers(server):
    base, _ = server
    status, got = post(base, {"command": "grad", "expr": "x'*A*x", "wrt": "x", "let": "x:n A:n,n"})
    assert status == 200
    assert got["outputs"]["text"] == "(A + Aᵀ) x"
    assert got["outputs"]["latex"] == "\\left(A + A^{\\top}\\right) x"
    query = urlencode({"command": "grad", "expr": "x'*A*x", "wrt": "x", "let": "x:n A:n,n"})
    status, body, kind = get(base, "/api/derive?" + query)
    assert (status, kind) == (200, "application/json; charset=utf-8")
    assert json.loads(body)["outputs"] == got["outputs"]


def test_a_loopback_server_answers_local_host_names_only(server):
    """DNS rebinding: a page on another domain that resolves to 127.0.0.1 gets a 403."""
    base, _ = server
    port = base.rsplit(":", 1)[1]
    body = json.dumps({"command": "grad", "expr": "t^2", "wrt": "t"}).encode()
    for host, status in (("evil.example:" + port, 403), ("localhost:" + port, 200)):
        request = urllib.request.Request(base + "/api/derive", body, {"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=120) as got:
                code, data = got.status, json.loads(got.read())
        except urllib.error.HTTPError as err:
            code, data = err.code, json.loads(err.read())
        assert code == status, (host, data)
    assert data["outputs"]["text"] == "2 t"


# Twenty different queries and their derivatives, written out by hand.
CONCURRENT = [(f"{k}*x'*A*x", f"{2 * k} A x") for k in range(1, 11)] + [
    (f"sin({k}*t)", f"{k} cos({k} t)") for k in range(2, 12)
]


def test_twenty_concurrent_requests_are_all_answered(server):
    base, _ = server

    def one(case: tuple[str, str]) -> str:
        expr, _ = case
        let = "x:n A:n,n,sym" if "x" in expr else ""
        wrt = "x" if "x" in expr else "t"
        status, got = post(base, {"command": "grad", "expr": expr, "wrt": wrt, "let": let})
        assert status == 200, got
        return got["outputs"]["text"]

    with time_limit(240), ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(one, CONCURRENT))
    assert answers == [want for _, want in CONCURRENT]


SLOW_FACTORS = ("sin", "cos", "tanh", "exp", "sinh", "cosh")
SLOW = "*".join(f + "(" + "sin(" * 90 + "x'*A*x" + ")" * 91 for f in SLOW_FACTORS)
"""An input whose Hessian takes 50 s on this machine (six chains near the nesting limit,
multiplied): far longer than 5 s on a fast one too (60 nested sines took 5.7 s here, < 5 s on CI)."""


def test_a_slow_input_is_stopped_and_blocks_nobody():
    with running_server(SLOW_TIMEOUT) as (base, _):
        _slow_and_fast(base)


def _slow_and_fast(base: str) -> None:
    slow_query = {"command": "hessian", "expr": SLOW, "wrt": "x", "let": "x:n A:n,n"}
    with time_limit(240), ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(post, base, slow_query)
        fast = post(base, {"command": "grad", "expr": "t^2", "wrt": "t"})
        assert not slow.done(), "the slow input was answered before a quick one"
        assert fast[1]["outputs"]["text"] == "2 t"
        status, got = slow.result()
    assert status == 200
    assert got["error"].startswith("error: stopped after 5 s (MATCALC_TIMEOUT)"), got
    assert post(base, {"command": "grad", "expr": "t^3", "wrt": "t"})[1]["outputs"]["text"] == (
        "3 t²"
    )


def test_a_worker_ends_when_its_client_goes(tmp_path):
    """The page aborts a request that a newer keystroke replaced: its worker is stopped then,
    not at its time limit or its end, and the log says so (else: the 60 s alarm)."""
    import socket
    import time

    log = tmp_path / "serve.log"
    with running_server(log=log) as (base, _):
        host, port = base.removeprefix("http://").rsplit(":", 1)
        body = json.dumps({"command": "hessian", "expr": SLOW, "wrt": "x", "let": "x:n A:n,n"})
        head = f"POST /api/derive HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n"
        client = socket.create_connection((host, int(port)))
        client.sendall(head.encode() + body.encode())
        client.close()
        with time_limit(60):
            while "the client went away; its worker was stopped" not in log.read_text():
                time.sleep(0.05)
        assert post(base, {"command": "grad", "expr": "t^2", "wrt": "t"})[1]["outputs"]["text"] == (
            "2 t"
        )


def test_request_limits_and_bad_requests(server):
    base, _ = server
    status, got = post(base, None, raw=b'{"expr": "' + b"x" * 300_000 + b'"}')
    assert status == 413 and got["error"].startswith("error: a request is at most")
    for raw in (b"{not json", b"[" * 200_000, b"\xff\xfe"):
        status, got = post(base, None, raw=raw)
        assert status == 400 and got["error"] == "error: the body is not JSON", raw[:10]
    status, body, _ = get(base, "/api/derive?" + "&".join(["wrt=t"] * 600))
    assert status == 400 and json.loads(body)["error"] == "error: too many fields in the query"
    status, got = post(base, {"command": "grad", "expr": "t", "wrt": "t", "shell": "rm"})
    assert status == 400 and got["error"] == "error: unknown key 'shell' in the query"
    status, got = post(base, {"command": "eval", "expr": "t"})
    assert status == 400 and "unknown command 'eval'" in got["error"]
    status, got = post(base, {"command": "grad", "expr": "t^2"})
    assert status == 200 and got["error"].startswith("error: --wrt is missing")
    assert get(base, "/static/../../pyproject.toml")[0] == 404
    assert get(base, "/etc/passwd")[0] == 404
    assert post(base, {"command": "grad", "expr": "t^2", "wrt": "t"})[1]["outputs"]["text"] == "2 t"


PIECES = [b"{", b"}", b"[", b"]", b'"expr"', b":", b'"t^2"', b",", b'"wrt"', b'"t"', b"\xff"]
PIECES += [b"null", b"1e999", b'"let"', b'["x:n"]', b"true", b'"command"', b'"chain"', b'"at"']


def test_random_requests_are_each_answered(server):
    """A seeded fuzz of bodies and query strings: every request gets a JSON answer (200 with a
    result or an error, or 400), never a dropped connection; the server keeps answering."""
    import random

    base, proc = server
    rng = random.Random(7)
    for _ in range(80):
        body = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14)))
        status, got = post(base, None, raw=body)
        assert status in (200, 400), (body, status)
        assert got.get("outputs") or got["error"].startswith("error: "), (body, got)
        query = body.decode("latin-1").replace("{", "&").replace(":", "=").replace('"', "")
        status, answer_body, _ = get(base, "/api/derive?" + quote(query, safe="&=,^"))
        assert status in (200, 400), (query, status)
        got = json.loads(answer_body)
        assert got.get("outputs") or got["error"].startswith("error: "), (query, got)
    assert proc.poll() is None


def test_no_worker_to_be_had_is_an_error_not_a_dropped_request(monkeypatch):
    import errno

    from matcalc.serve import server as module

    def no_fork(compute, client=None):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(module, "in_worker", no_fork)
    with module.MatcalcServer(("127.0.0.1", 0), quiet=True) as server:
        got = server.derive(Query(expr="t^2", wrt="t"))
    assert got["error"] == (
        "error: the server could not start a worker (Resource temporarily unavailable)"
    )


def test_every_asset_is_served_by_matcalc(server):
    """The page names no other host: every src and href is one of matcalc's own files."""
    import re

    base, _ = server
    status, page, kind = get(base, "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    text = page.decode()
    links = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert links and all(link.startswith(("/static/", "/api/", "data:")) for link in links), links
    for link in (link for link in links if link.startswith("/static/")):
        assert get(base, link)[0] == 200, link
    for name in ("app.js", "app.css", "Temml-Local.css"):
        body = get(base, "/static/" + name)[1].decode()
        assert not re.search(r"https?://(?!www\.w3\.org/)", body), name


# --------------------------------------------------------------------------- the hostile corpus


def _hostile_query(row) -> tuple[dict, str] | None:
    """A row of tests/test_hostile.py as a query, and the format its verdict is about."""
    args = list(row.args)
    if args[0] not in ("show", "grad", "vjp", "jvp", "jacobian", "hessian"):
        return None
    query: dict = {"command": args[0], "expr": args[1], "let": [], "at": []}
    if query["expr"] == "-":
        query["expr"] = row.stdin or ""
    fmt, i = "text", 2
    while i < len(args):
        key = args[i][2:]
        if key == "check":
            query["check"] = True
            i += 1
        elif key in ("let", "at"):
            query[key].append(args[i + 1])
            i += 2
        elif key in ("wrt", "v", "input", "layout"):
            query[key] = args[i + 1]
            i += 2
        elif key == "format":
            fmt = args[i + 1]
            i += 2
        else:
            return None
    return query, fmt


def _hostile_problems(row, status: int, got: dict, fmt: str) -> list[str]:
    text = json.dumps(got, ensure_ascii=False)
    found = []
    if "Traceback" in text or "internal error" in text:
        found.append("a traceback or an internal error")
    if row.ok:
        if status != 200 or not got.get("ok") or fmt not in got.get("outputs", {}):
            found.append(f"valid input not answered: {text[:300]}")
        elif got["exit"] != 0:
            found.append(f"exit {got['exit']} for valid input")
        return found
    message = got.get("error") or got.get("format_errors", {}).get(fmt)
    if message is None:
        return [f"no error for a bad input: {text[:300]}"]
    if not message.startswith("error: "):
        found.append(f"not an error message: {message[:200]!r}")
    if row.column is not None and message is got.get("error"):
        want = f"(column {row.column})" if row.column else "(column "
        if want not in message.split("\n", 1)[0]:
            found.append(f"no {want} in {message[:200]!r}")
    return found


def test_the_hostile_corpus_leaves_the_server_answering(server):
    from tests.test_hostile import ROWS

    base, proc = server
    cases = [(row, q) for row in ROWS if (q := _hostile_query(row)) is not None]
    assert len(cases) > 250, "the corpus is run, not skipped"

    def one(case) -> list[str]:
        row, (query, fmt) = case
        raw = json.dumps(query).encode()
        status, got = post(base, None, raw=raw)
        return [f"{row.name}: {p}" for p in _hostile_problems(row, status, got, fmt)]

    with time_limit(600), ThreadPoolExecutor(max_workers=4) as pool:
        bad = [p for found in pool.map(one, cases) for p in found]
    assert not bad, "\n".join(bad[:20])
    assert proc.poll() is None
    assert post(base, {"command": "grad", "expr": "t^2", "wrt": "t"})[1]["outputs"]["text"] == "2 t"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "error: --port is a number from 0 to 65535, not 70000\n"),
        (["--host", ""], "error: --host is empty; name an address (0.0.0.0 is every interface)\n"),
    ],
)
def test_a_bad_address_is_a_user_error(args, message):
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", "serve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message)


def test_ctrl_c_stops_the_server_with_exit_130():
    with running_server() as (base, proc):
        assert post(base, {"command": "grad", "expr": "t^2", "wrt": "t"})[0] == 200
        proc.send_signal(signal.SIGINT)
        with time_limit(60):
            assert proc.wait() == 130
