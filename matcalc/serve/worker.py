"""Each answer computed in a forked worker, within the CLI's limits (budget.py's `supervise`:
MATCALC_TIMEOUT seconds of wall clock, MATCALC_MEMORY_MB of memory; docs/limits.md).

The worker writes its answer as JSON into an anonymous temporary file that the server reads
after the worker has ended; a worker stopped by a limit leaves the CLI's message instead. The
server's own thread only waits, so a slow input holds one worker slot and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable

from ..budget import memory_message, supervise
from .answer import failure

MAX_ANSWER_BYTES = 64 * 2**20  # an answer larger than this is refused, not sent


class ThreadStderr(io.TextIOBase):
    """sys.stderr for a threaded server: what `supervise` writes about a worker it stopped goes
    to the thread that asked for it (`capture`), everything else to the real stderr."""

    def __init__(self, real):
        self.real = real
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            return self.real.write(text)
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        self.real.flush()

    def capture(self) -> list[str]:
        self.local.buffer = []
        return self.local.buffer

    def release(self) -> None:
        self.local.buffer = None


def install_stderr() -> ThreadStderr:
    """Route sys.stderr per thread (once per process)."""
    if not isinstance(sys.stderr, ThreadStderr):
        sys.stderr = ThreadStderr(sys.stderr)
    return sys.stderr


def in_worker(compute: Callable[[], dict[str, object]]) -> dict[str, object]:
    """`compute()` run in a bounded worker process; its answer, or the limit's error."""
    stderr = install_stderr()
    out_of_memory = memory_message().decode().strip()
    with tempfile.TemporaryFile() as file:
        fd = file.fileno()

        def run() -> int:  # in the worker
            try:
                data = json.dumps(compute(), ensure_ascii=False).encode()
            except MemoryError:
                data = json.dumps(failure(out_of_memory)).encode()
            if len(data) > MAX_ANSWER_BYTES:
                limit = f"error: the answer is larger than {MAX_ANSWER_BYTES // 2**20} MB"
                data = json.dumps(failure(limit)).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return 0

        said = stderr.capture()
        try:
            code = supervise(run)
        finally:
            stderr.release()
        file.seek(0)
        data = file.read(MAX_ANSWER_BYTES + 1)
    if data and code == 0:
        try:
            return json.loads(data)
        except ValueError:
            pass
    message = "".join(said).strip() or f"error: the worker ended with exit {code}"
    return failure(message.splitlines()[-1], 2)
