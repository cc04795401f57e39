"""Time and memory bounds.

* `supervise`: the CLI runs each command in a forked worker with `RLIMIT_AS` (memory) and a kill
  deadline (wall clock). An alarm alone is not enough: big-integer work in C ignores signals.
  The worker never outlives the CLI, however the CLI ends (SIGKILL included), and Ctrl-C is
  answered once, by the CLI.
* `Deadline`: a soft, cooperative limit on simplification; when it runs out matcalc keeps the
  unsimplified (still correct) result and says so.
* `time_limit` / `check_time`: the API's `timeout=` (SPEC §7.6). The end time sits in a context
  variable (each thread has its own); cheap, frequent points — every node built, every step of
  the simplifier and of an evaluation — call `check_time`, which raises `TimeLimitError` once it
  has passed. No signal and no timer: a host's handlers and alarms are left alone.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from . import limits
from .errors import LimitError, MatcalcError


class Memo(dict):
    """A memo that forgets its oldest half when it holds `size` entries, so that a host calling
    matcalc a million times keeps bounded memory (SPEC §7.6). Every memo that outlives one call
    is one of these (or an lru_cache with a maxsize); `Memo.ALL` lists them for the tests."""

    ALL: list[Memo] = []

    def __init__(self, name: str, size: int):
        super().__init__()
        self.name, self.size = name, size
        Memo.ALL.append(self)

    def put(self, key: object, value: object) -> None:
        if len(self) >= self.size:
            for old in list(itertools.islice(self, len(self) // 2)):  # insertion order: oldest
                self.pop(old, None)
        self[key] = value


INTERRUPTED = "error: interrupted"  # Ctrl-C: this line on stderr, exit 130 (SPEC §7.6)


class BudgetExceeded(Exception):
    """The soft time budget ran out."""


def simplify_seconds() -> float:
    return _env_float("MATCALC_SIMPLIFY_SECONDS", limits.TIME_BUDGET)


def _env_float(name: str, default: float) -> float:
    try:
        return max(0.01, float(os.environ.get(name, default)))
    except ValueError:
        return default


class Deadline:
    """A cooperative time limit: long loops call `check()`, which raises BudgetExceeded once the
    time is up. No signal and no timer, so the library behaves in any thread of any host."""

    def __init__(self, seconds: float | None):
        self.end = None if seconds is None else time.monotonic() + seconds
        self.seconds = seconds

    def check(self) -> None:
        check_time()
        if self.end is not None and time.monotonic() > self.end:
            raise BudgetExceeded


class TimeLimitError(LimitError):
    """An API call ran past its `timeout=`."""


_END: ContextVar[tuple[float, float, str] | None] = ContextVar("matcalc_end", default=None)


def check_time() -> None:
    """Raise TimeLimitError once the running API call's timeout has passed (one lookup if none)."""
    end = _END.get()
    if end is not None and time.monotonic() > end[0]:
        raise TimeLimitError(f"stopped after the time limit of {end[1]:g} s ({end[2]})")


@contextmanager
def time_limit(seconds: float | None, name: str = "timeout=") -> Iterator[None]:
    """Inside the block, `check_time` raises once `seconds` have passed; nested limits keep the
    earlier end. None: no limit of its own. `name` is what the message calls the limit."""
    if seconds is None:
        yield
        return
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise MatcalcError(f"timeout= is a positive number of seconds, not {seconds!r}")
    if not math.isfinite(seconds):
        yield
        return
    end = (time.monotonic() + seconds, float(seconds), name)
    outer = _END.get()
    token = _END.set(end if outer is None or end[0] < outer[0] else outer)
    try:
        yield
    finally:
        _END.reset(token)


def supervise(run: Callable[[], int]) -> int:
    """Run `run` in a forked worker bounded in memory and wall-clock time; return its exit code."""
    timeout = _env_float("MATCALC_TIMEOUT", limits.WALL_SECONDS)
    memory_mb = int(_env_float("MATCALC_MEMORY_MB", limits.MEMORY_MB))
    out_of_memory = memory_message(memory_mb)  # made now: there may be no memory for it later
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    watch, alive = os.pipe()  # only the CLI holds `alive`: its end of file means the CLI is gone
    pid = os.fork()
    if pid == 0:  # the worker
        code = 1
        try:
            os.close(alive)
            _die_with_parent(parent, watch)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches both: the CLI answers
            _limit_memory(memory_mb)
            code = run()
        except MemoryError:
            os.write(2, out_of_memory)
            code = 2
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            os._exit(code)
    os.close(watch)
    try:
        return _wait(pid, timeout, memory_mb)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        _stop(pid)
        sys.stderr.write(INTERRUPTED + "\n")
        return 130
    finally:
        os.close(alive)


def _die_with_parent(parent: int, watch: int) -> None:
    """End the worker when the CLI ends (SPEC §7.6): on Linux the kernel kills it when its parent
    dies (PR_SET_PDEATHSIG); elsewhere a thread does, when the CLI's pipe reaches its end."""
    if _kill_when_orphaned():
        os.close(watch)
    else:
        threading.Thread(target=_watch_parent, args=(watch,), daemon=True).start()
    if os.getppid() != parent:  # the CLI died before the fork returned here
        os._exit(1)


def _kill_when_orphaned() -> bool:
    """Ask Linux for SIGKILL when the parent dies; False where there is no such request."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        pr_set_pdeathsig, kill, zero = (
            ctypes.c_int(1),
            ctypes.c_ulong(signal.SIGKILL),
            ctypes.c_ulong(0),
        )
        return ctypes.CDLL(None).prctl(pr_set_pdeathsig, kill, zero, zero, zero) == 0
    except (ImportError, OSError, AttributeError):
        return False


def _watch_parent(watch: int) -> None:
    """Block until every write end of the pipe is closed, i.e. the CLI is gone; then die."""
    with contextlib.suppress(OSError):
        os.read(watch, 1)  # nothing is ever written: this returns at the end of the pipe
    os.kill(os.getpid(), signal.SIGKILL)


def _stop(pid: int) -> None:
    """Kill the worker and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def memory_message(memory_mb: int | None = None) -> bytes:
    """The out-of-memory message, as bytes ready for os.write."""
    if memory_mb is None:
        memory_mb = int(_env_float("MATCALC_MEMORY_MB", limits.MEMORY_MB))
    return f"error: needed more than {memory_mb} MB of memory (MATCALC_MEMORY_MB)\n".encode()


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _wait(pid: int, timeout: float, memory_mb: int) -> int:
    """Wait for the worker: on a pidfd where there is one (wakes the moment it exits), else poll."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    pidfd = _pidfd(pid)
    while True:
        if pidfd is not None:
            import select

            select.select([pidfd], [], [], max(0.0, deadline - time.monotonic()))
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            _stop(pid)
            sys.stderr.write(
                f"error: stopped after {timeout:g} s (MATCALC_TIMEOUT); "
                "the expression is too expensive to differentiate or evaluate\n"
            )
            return 2
        if pidfd is None:
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
    if pidfd is not None:
        os.close(pidfd)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    sig = os.WTERMSIG(status)
    sys.stderr.write(
        f"error: the computation was stopped by signal {sig} (memory limit {memory_mb} MB?)\n"
    )
    return 2
