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
import socket
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


GONE = 3  # the worker's exit code when the client went away before its answer
CLIENT_GONE = "error: the client closed the connection before the answer"


def _end_when_gone(client: int) -> None:
    """In the worker: a thread that ends it once the client has closed its connection (the
    page aborts a request that a newer keystroke replaced), so its slot frees at once."""
    import select
    import time

    hangup = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)
    peer = socket.socket(fileno=os.dup(client))

    def watch() -> None:
        poll = select.poll()
        poll.register(peer, select.POLLIN | hangup)
        while True:
            for _, events in poll.poll():
                try:
                    if events & hangup or not peer.recv(1, socket.MSG_PEEK):
                        os._exit(GONE)
                except OSError:
                    os._exit(GONE)
            time.sleep(0.1)  # bytes after the request: look again later

    threading.Thread(target=watch, daemon=True).start()


def in_worker(
    compute: Callable[[], dict[str, object]], client: int | None = None
) -> dict[str, object]:
    """`compute()` run in a bounded worker process; its answer, or the limit's error.
    `client`: the connection's socket, watched by the worker (it ends when the client goes)."""
    stderr = install_stderr()
    out_of_memory = memory_message().decode().strip()
    with tempfile.TemporaryFile() as file:
        fd = file.fileno()

        def run() -> int:  # in the worker
            if client is not None:
                _end_when_gone(client)
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
    if code == GONE:
        return failure(CLIENT_GONE)
    message = "".join(said).strip() or f"error: the worker ended with exit {code}"
    return failure(message.splitlines()[-1], 2)
