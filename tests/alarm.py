"""A time limit for a block in the tests: a hang becomes a reported failure, not a stuck run."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TooSlow(BaseException):
    """The block ran past its limit (a BaseException, so no `except Exception` swallows it)."""


@contextmanager
def time_limit(
    seconds: float, error: BaseException | type[BaseException] = TooSlow
) -> Iterator[None]:
    """Raise `error` in the block after `seconds` (SIGALRM: the main thread only, else no limit)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def alarm(signum, frame):
        raise error

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
