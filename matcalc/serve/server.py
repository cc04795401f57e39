"""The page and its JSON API over the standard library's threaded HTTP server.

GET /                  the page (static/index.html); its own query string holds the query
GET /static/NAME       one of the page's assets, all shipped in this package (no network)
GET /api/derive?…      the answer to the query in the query string
POST /api/derive       the answer to the query in a JSON body
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from .answer import answer, failure
from .query import Query, QueryError, read_query
from .worker import CLIENT_GONE, in_worker, install_stderr

MAX_BODY_BYTES = 256 * 1024  # a POST body; a GET's request line is capped by http.server (64 KiB)
DRAIN_BYTES = 16 * 2**20  # a larger body is read (and dropped) up to this before the 413
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")  # a Host header a loopback server answers
WORKERS = 8  # answers computed at once; more requests wait for a slot
BUSY_SECONDS = 60.0  # a request that finds no slot within this is answered "busy"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def assets() -> dict[str, tuple[bytes, str]]:
    """Every file of static/, by name, with its content type: the only files ever served."""
    out = {}
    for item in resources.files(__package__).joinpath("static").iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in _TYPES:
            out[item.name] = (item.read_bytes(), _TYPES[suffix])
    return out


class Handler(BaseHTTPRequestHandler):
    server_version = "matcalc"
    sys_version = ""
    server: MatcalcServer

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._asset("index.html")
        elif url.path.startswith("/static/"):
            self._asset(url.path[len("/static/") :])
        elif url.path == "/api/derive":
            try:
                raw = parse_qs(url.query, keep_blank_values=True, max_num_fields=500)
            except ValueError:
                self._json(failure("error: too many fields in the query"), HTTPStatus.BAD_REQUEST)
                return
            self._derive(raw)
        else:
            self._json(failure("error: no such page"), HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        if urlsplit(self.path).path != "/api/derive":
            self._json(failure("error: no such page"), HTTPStatus.NOT_FOUND)
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._json(failure("error: a POST needs a Content-Length"), HTTPStatus.LENGTH_REQUIRED)
            return
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._discard(length)
            message = f"error: a request is at most {MAX_BODY_BYTES // 1024} KiB"
            self._json(failure(message), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        try:
            raw = json.loads(self.rfile.read(length).decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            self._json(failure("error: the body is not JSON"), HTTPStatus.BAD_REQUEST)
            return
        self._derive(raw)

    def _host_ok(self) -> bool:
        """On a loopback address, answer only requests made to a local name: a web page
        elsewhere that rebinds its own domain to 127.0.0.1 (DNS rebinding) gets a 403."""
        if not self.server.local_only:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.strip("[]") in LOCAL_NAMES:
            return True
        self.close_connection = True
        message = "error: this server answers requests to localhost or 127.0.0.1 only"
        self._json(failure(message), HTTPStatus.FORBIDDEN)
        return False

    def _discard(self, length: int) -> None:
        """Read and drop a body over the limit (up to DRAIN_BYTES), so that the client, still
        sending, reads the 413 answer instead of a broken pipe."""
        left = min(length, DRAIN_BYTES)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    def _derive(self, raw: object) -> None:
        try:
            query = read_query(raw)
        except (QueryError, ValueError) as err:
            self._json(failure(str(err)), HTTPStatus.BAD_REQUEST)
            return
        got = self.server.derive(query, self.connection.fileno())
        if got.get("error") == CLIENT_GONE:  # nobody to answer: say so in the log only
            self.log_message("%s", "the client went away; its worker was stopped")
            self.close_connection = True
            return
        self._json(got)

    def _asset(self, name: str) -> None:
        found = self.server.assets.get(name)
        if found is None:
            self._json(failure("error: no such page"), HTTPStatus.NOT_FOUND)
            return
        self._send(found[0], found[1], HTTPStatus.OK)

    def _json(self, data: dict[str, object], status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self._send(body, "application/json; charset=utf-8", status)

    def _send(self, body: bytes, kind: str, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


class MatcalcServer(ThreadingHTTPServer):
    """A threaded server whose answers come from bounded workers, at most WORKERS at once."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], workers: int = WORKERS, quiet: bool = False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.local_only = _loopback(address[0])
        self.assets = assets()
        self.slots = threading.BoundedSemaphore(workers)
        self.quiet = quiet

    def derive(self, query: Query, client: int | None = None) -> dict[str, object]:
        if not self.slots.acquire(timeout=BUSY_SECONDS):
            return failure(f"error: the server is busy (no worker free for {BUSY_SECONDS:g} s)")
        try:
            return in_worker(lambda: answer(query), client)
        except OSError as err:  # no process or temporary file to be had: say so, keep serving
            return failure(f"error: the server could not start a worker ({err.strerror or err})")
        finally:
            self.slots.release()


def _loopback(host: str) -> bool:
    """Whether a --host is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Answered once at start-up, in the server itself: every module that a query may load lazily
# (both engines, steps, the chain, a check, every printer) is then in memory before any worker
# is forked from it, which halves a worker's answering time.
WARM_UP = (
    Query(command="grad", expr="x'*A*x", wrt="x", let=("x:n", "A:n,n"), steps=True),
    Query(command="grad", expr="x1^3+2x2^2+3x3", wrt="x"),
    Query(command="vjp", expr="[x1^2, x1*x2]", wrt="x", v="1,1", at=("x=[1,2]",)),
    Query(command="jacobian", expr="X*X", wrt="X", let=("X:n,n",)),
    Query(command="hessian", expr="logsumexp(x)", wrt="x", let=("x:n",)),
    Query(command="chain", expr="L = (y - t)^2/2\ny = v'*s", wrt="s", let=("s:2", "v:2")),
    Query(command="grad", expr="sum(sigmoid(X*w))", wrt="w", let=("X:m,n", "w:n"), check=True),
)


def make_server(host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> MatcalcServer:
    """A server bound to host:port (port 0: any free port), warmed up (WARM_UP), so that every
    forked worker starts warm."""
    install_stderr()
    for query in WARM_UP:
        answer(query)
    return MatcalcServer((host, port), quiet=quiet)


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt propagates after the server has closed)."""
    with make_server(host, port) as server:
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        print(f"matcalc serve: http://{shown}:{bound_port}/  (Ctrl-C stops it)", flush=True)
        try:
            server.serve_forever()
        finally:
            sys.stdout.flush()
