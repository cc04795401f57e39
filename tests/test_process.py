"""The command line as a process (SPEC §7.6): the worker never outlives the CLI, however the CLI
ends, and Ctrl-C, a closed stdout, a closed stdin and a reader that goes away end with one line
or in silence, never with a traceback.

A command that runs until it is stopped is `matcalc grad - --wrt t` whose stdin stays open and
empty: its worker waits for the expression. A test waits for a process only under a generous
alarm (`tests/alarm.py`), so a worker that survives is a failure, not a stuck run. The worker is
found through /proc, so these tests run on Linux.

Also what the process shows a user: the answer on a terminal whatever COLUMNS says, messages that
quote user input short and escaped, and an API value over the entry limit refused before any
entry is converted.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.alarm import time_limit

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROOT = Path(__file__).resolve().parent.parent
MATCALC = [sys.executable, "-m", "matcalc"]
LIMIT = 90  # seconds: a hang becomes a failure; nothing here should take more than a few
ENV = {k: v for k, v in os.environ.items() if not k.startswith("MATCALC_")}
ENV.update(MATCALC_PLAIN="1", MATCALC_TIMEOUT="3600")  # only a stop ends a waiting worker
MODES = {"worker": ENV, "no worker": {**ENV, "MATCALC_NO_WORKER": "1"}}
INTERRUPTED = "error: interrupted\n"


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid (read from /proc/*/stat)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie is dead (nobody may reap an orphan here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in "ZX"


def _reading_stdin(pid: int) -> bool | None:
    """Whether the process is blocked in read(0, …); None where /proc does not say."""
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return None
    return call[:2] == ["0", "0x0"]


def _poll(ready, what: str) -> None:
    with time_limit(LIMIT, AssertionError(f"{what}: not within {LIMIT} s")):
        while not ready():
            time.sleep(0.02)


@contextmanager
def _waiting(tmp_path: Path, argv: list[str] | None = None) -> Iterator[tuple]:
    """A CLI (or `argv`) in its own session whose worker waits; yields (process, worker pid,
    stdout file, stderr file). Everything it started is killed at the end."""
    out, err = tmp_path / "out", tmp_path / "err"
    with open(out, "w") as o, open(err, "w") as e:
        cli = subprocess.Popen(
            argv or [*MATCALC, "grad", "-", "--wrt", "t"],
            stdin=subprocess.PIPE,
            stdout=o,
            stderr=e,
            env=ENV,
            cwd=ROOT,
            start_new_session=True,
        )
    worker = None
    try:
        _poll(lambda: _children(cli.pid), "the CLI started no worker")
        worker = _children(cli.pid)[0]
        _poll(lambda: _reading_stdin(worker) is not False, "the worker never waited")
        yield cli, worker, out, err
    finally:
        for pid in (cli.pid, worker):
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        cli.stdin.close()
        cli.wait()


def _ended(cli: subprocess.Popen, worker: int) -> int:
    """Wait for the CLI and then for its worker to end; the CLI's exit code."""
    with time_limit(LIMIT, AssertionError(f"the CLI did not end within {LIMIT} s")):
        code = cli.wait()
    _poll(lambda: not _alive(worker), "the worker outlived the CLI")
    return code


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM", "SIGHUP"])
def test_killing_the_cli_alone_ends_the_worker(tmp_path, sig):
    with _waiting(tmp_path) as (cli, worker, _out, _err):
        os.kill(cli.pid, getattr(signal, sig))
        assert _ended(cli, worker) == -getattr(signal, sig)


def test_ctrl_c_to_the_cli_alone_stops_the_worker(tmp_path):
    """What `kill -INT` does: exit 130, one line, the worker stopped."""
    with _waiting(tmp_path) as (cli, worker, out, err):
        os.kill(cli.pid, signal.SIGINT)
        assert _ended(cli, worker) == 130
        assert (out.read_text(), err.read_text()) == ("", INTERRUPTED)


def test_ctrl_c_on_a_terminal_prints_one_line(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group, the worker too: one line, not two."""
    with _waiting(tmp_path) as (cli, worker, out, err):
        os.killpg(cli.pid, signal.SIGINT)
        assert _ended(cli, worker) == 130
        assert (out.read_text(), err.read_text()) == ("", INTERRUPTED)


BUSY_WORKER = """
import sys
from matcalc import budget
if sys.argv[1] == "pipe":  # what a system without PR_SET_PDEATHSIG gets
    budget._kill_when_orphaned = lambda: False
def busy():
    sys.stdin.read()  # the test sees this wait, then the worker computes
    while True:
        pass
sys.exit(budget.supervise(busy))
"""


@pytest.mark.parametrize("how", ["kernel", "pipe"])
def test_a_computing_worker_ends_with_its_parent(tmp_path, how):
    """Both ways the worker learns that the CLI is gone, while it computes (holding the GIL)."""
    argv = [sys.executable, "-c", BUSY_WORKER, how]
    with _waiting(tmp_path, argv) as (cli, worker, _out, _err):
        cli.stdin.close()  # the worker starts its endless loop
        _poll(lambda: _reading_stdin(worker) is not True, "the worker never started computing")
        os.kill(cli.pid, signal.SIGKILL)
        assert _ended(cli, worker) == -signal.SIGKILL


class _CtrlC(io.StringIO):
    def read(self, *args):
        raise KeyboardInterrupt


def test_ctrl_c_without_the_worker(capsys, monkeypatch):
    """MATCALC_NO_WORKER (and systems without fork): the same line and exit code."""
    from matcalc import cli

    monkeypatch.setattr(sys, "argv", ["matcalc", "grad", "-", "--wrt", "t"])
    monkeypatch.setattr(sys, "stdin", _CtrlC())
    monkeypatch.setattr(cli, "_STDIN", [])
    monkeypatch.setenv("MATCALC_NO_WORKER", "1")
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 130
    assert capsys.readouterr() == ("", INTERRUPTED)


def _shell(redirect: str, args: list[str], env: dict) -> subprocess.CompletedProcess:
    """matcalc ARGS with a shell redirection such as `>&-` (stdout closed)."""
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", *MATCALC, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=LIMIT,
    )


@pytest.mark.parametrize("mode", MODES)
def test_closed_stdout_is_one_line(mode):
    done = _shell(">&-", ["grad", "t^2", "--wrt", "t"], MODES[mode])
    assert (done.returncode, done.stderr) == (
        2,
        "error: standard output is closed; there is nowhere to print the answer\n",
    )


@pytest.mark.parametrize("mode", MODES)
def test_closed_stdin(mode):
    done = _shell("<&-", ["grad", "-", "--wrt", "t"], MODES[mode])
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "error: EXPR is '-' but standard input is closed\n",
    )
    done = _shell("<&-", ["grad", "t^2", "--wrt", "t"], MODES[mode])  # unused: no matter
    assert (done.returncode, done.stdout, done.stderr) == (0, "2 t\n", "")


@pytest.mark.parametrize("mode", MODES)
def test_closed_stderr(mode):
    done = _shell("2>&-", ["grad", "t+", "--wrt", "t"], MODES[mode])
    assert (done.returncode, done.stdout) == (2, "")
    done = _shell("2>&-", ["grad", "t^2", "--wrt", "t"], MODES[mode])
    assert (done.returncode, done.stdout) == (0, "2 t\n")


BIG = ["show", "ones(200) ones(200)ᵀ", "--at", "t=1"]  # 120 kB: more than a pipe holds


@pytest.mark.parametrize("args", [["grad", "t^2", "--wrt", "t"], BIG], ids=["small", "big"])
@pytest.mark.parametrize("mode", MODES)
def test_a_reader_that_has_gone_is_not_an_error(mode, args):
    """`matcalc … | head -1` where head has already exited: silent, exit 1 (as Click does)."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [*MATCALC, *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=MODES[mode],
            cwd=ROOT,
            timeout=LIMIT,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


def _on_a_terminal(args: list[str], columns: str | None, width: int) -> str:
    """stdout of matcalc ARGS written to a pseudo-terminal `width` columns wide (0: unknown)."""
    import fcntl
    import pty
    import struct
    import termios

    env = {k: v for k, v in ENV.items() if k not in ("MATCALC_PLAIN", "COLUMNS", "LINES")}
    env.update(NO_COLOR="1", **({} if columns is None else {"COLUMNS": columns, "LINES": columns}))
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    with time_limit(LIMIT, AssertionError(f"no answer within {LIMIT} s")):
        cli = subprocess.Popen([*MATCALC, *args], stdout=side, env=env, cwd=ROOT)
        os.close(side)
        out = b""
        while chunk := _read_or_eof(main):
            out += chunk
        os.close(main)
        assert cli.wait() == 0
    return out.decode().replace("\r\n", "\n")


def _read_or_eof(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the terminal's other side is closed
        return b""


JACOBIAN = ["jacobian", "[x1*x2, x1]", "--wrt", "x"]
TITLE = "jacobian by x · 2×2 · mixed layout"


@pytest.mark.parametrize("width", [0, 100])
@pytest.mark.parametrize("columns", [None, "0", "000", "-3", "abc", "²", " ", "9" * 5000])
def test_columns_that_are_no_width_print_the_table(columns, width):
    """COLUMNS (and LINES) that are no positive integer: the terminal's width, else 80."""
    out = _on_a_terminal(JACOBIAN, columns, width)
    title, *rows = out.splitlines()
    assert title == TITLE
    assert [row.split() for row in rows] == [["x2", "x1"], ["1", "0"]]


def test_a_narrow_columns_is_still_obeyed():
    """COLUMNS=1 on a wide terminal: the table does not fit, the answer is one line."""
    assert _on_a_terminal(JACOBIAN, "1", 100) == f"{TITLE}\n[[x2, x1], [1, 0]]\n"


# --------------------------------------------------------------------------- quoted user input

HUGE = "[" + ",".join(["1"] * 50_000) + "]"  # 100 kB
ESC = "\x1b[31m"  # would turn a terminal red
LONG = "x" * 100_000

QUOTED = {  # (arguments after `matcalc`, stdin) -> the exact stderr
    "at-huge": (
        ["grad", "x'*x", "--let", "x:n", "--wrt", "x", "--at", "x=" + HUGE],
        "error: --at value '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1…1,1,1,1,1]': "
        "expression is 100001 characters, over the limit 10000\n",
    ),
    "at-escape": (  # the column and the caret stay where they were
        ["grad", "x'*x", "--let", "x:n", "--wrt", "x", "--at", f"x=[1,2{ESC},3]"],
        "error: --at value '[1,2\\x1b[31m,3]': unexpected character U+001B (column 5)\n"
        "  [1,2?[31m,3]\n"
        "      ^\n",
    ),
    "at-name-title": (  # an xterm title sequence, BEL-terminated
        ["grad", "t", "--wrt", "t", "--at", "t\x1b]0;pwned\x07=1"],
        "error: --at 't\\x1b]0;pwned\\x07' is not a valid name\n",
    ),
    "at-carriage-return": (
        ["grad", "t", "--wrt", "t", "--at", "t=1\r2"],
        "error: --at value '1\\r2': two numbers side by side: write * between them "
        "(or no space in 1000) (column 3)\n  1?2\n    ^\n",
    ),
    "at-no-equals": (
        ["grad", "t", "--wrt", "t", "--at", LONG],
        f"error: --at '{'x' * 30}…{'x' * 10}': expected NAME=VALUE\n",
    ),
    "let-bidi": (
        ["grad", "t", "--wrt", "t", "--let", "x:n\u202e"],
        "error: dimension 'n\\u202e' is not a valid name\n",
    ),
    "let-huge-dimension": (
        ["grad", "t", "--wrt", "t", "--let", "x:" + "9" * 100_000],
        f"error: --let 'x:{'9' * 28}…{'9' * 10}': dimension '{'9' * 30}…{'9' * 10}' "
        "is over the limit 1000\n",
    ),
    "let-huge-name": (
        ["grad", "t", "--wrt", "t", "--let", "\x1b[2J" + LONG + ":n"],
        f"error: --let '\\x1b[2J{'x' * 26}…{'x' * 10}' is not a valid name\n",
    ),
    "v-huge": (
        ["vjp", "t", "--wrt", "t", "--v", HUGE.replace("]", f",{ESC}]")],
        "error: --v value '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1…1,1,\\x1b[31m]': "
        "expression is 100007 characters, over the limit 10000\n",
    ),
    "v-huge-name": (
        ["vjp", "x", "--let", "x:n", "--wrt", "x", "--v", LONG],
        f"error: --v value '{'x' * 30}…{'x' * 10}': "
        "expression is 100000 characters, over the limit 10000\n",
    ),
    "wrt-huge": (
        ["grad", "t", "--wrt", f"t,{LONG}{ESC}"],
        f"error: --wrt '{'x' * 30}…xxxxx\\x1b[31m' is not a valid name\n",
    ),
    "format": (
        ["grad", "t", "--wrt", "t", "--format", LONG + ESC],
        f"error: unknown format '{'x' * 30}…xxxxx\\x1b[31m'; "
        "choose one of text, latex, table, numpy, json, python, torch, jax\n",
    ),
    "expr-escape": (
        ["grad", f"t{ESC} + 1", "--wrt", "t"],
        "error: unexpected character U+001B (column 2)\n  t?[31m + 1\n   ^\n",
    ),
    "expr-long-function": (
        ["grad", "x" * 9000 + "(t)", "--wrt", "t"],
        f"error: unknown function '{'x' * 30}…{'x' * 10}' (column 1)\n  {'x' * 70}…\n  ^\n",
    ),
    "expr-stdin-nul": (
        ["grad", "-", "--wrt", "t"],  # stdin: STDIN below
        "error: unexpected character U+0000 (column 2)\n  t? + 1\n   ^\n",
    ),
}
STDIN = {"expr-stdin-nul": "t\x00 + 1"}


@pytest.mark.parametrize("row", QUOTED)
def test_a_message_quotes_user_input_short_and_escaped(cli, monkeypatch, row):
    """One short message, whatever the user typed: a quote is cut with … and escapes control,
    format (bidi) and other invisible characters; the column and the caret are kept."""
    from matcalc import cli as the_cli

    monkeypatch.setattr(the_cli, "_STDIN", [])
    args, expected = QUOTED[row]
    with time_limit(LIMIT):
        code, out, err = cli(*args, stdin=STDIN.get(row))
    assert (code, out, err) == (2, "", expected)
    assert all(len(line) < 200 for line in err.splitlines())


def test_a_note_is_short_and_escaped(cli):
    """Notes quote user input too (an --at that the expression does not use)."""
    code, out, err = cli("grad", "t", "--wrt", "t", "--at", "t" + LONG + "=1")
    assert (code, out) == (0, "1\n")
    assert err.startswith("note: --at txxx") and len(err) < 500 and "…" in err


# --------------------------------------------------------------------------- the API's values

OVER = 201 * 200  # entries: over the limit of 40 000


def _value(kind: str) -> object:
    """OVER entries, the first of which matcalc cannot read: converting any entry before the
    size check makes a 'cannot read' error instead of the limit error."""
    import numpy as np

    first = object()
    flat = [first] + [1.5] * (OVER - 1)
    nested = [flat[i : i + 200] for i in range(0, OVER, 200)]
    return {
        "list": flat,
        "tuple": tuple(flat),
        "nested": nested,
        "numpy": np.array(flat, dtype=object),
        "numpy-2d": np.array(nested, dtype=object),
        "list-of-arrays": [np.array(flat, dtype=object)],
    }[kind]


@pytest.mark.parametrize("kind", ["list", "tuple", "nested", "numpy", "numpy-2d", "list-of-arrays"])
def test_an_api_value_over_the_entry_limit_is_refused_before_conversion(kind):
    import matcalc
    from matcalc.errors import LimitError

    with time_limit(LIMIT), pytest.raises(LimitError) as refused:
        matcalc.grad("x'*x", wrt="x", let=["x:n"], at={"x": _value(kind)})
    assert refused.value.message == "--at: a value with 40200 entries is over the limit 40000"


def test_an_api_value_of_a_million_is_refused():
    import numpy as np

    import matcalc
    from matcalc.errors import LimitError

    for value in ([1] * 10**6, np.ones(10**6), ",".join(["1"] * 10**6)):
        with time_limit(LIMIT), pytest.raises(LimitError) as refused:
            matcalc.grad("x'*x", wrt="x", let=["x:n"], at={"x": value})
        assert len(refused.value.message) < 200
