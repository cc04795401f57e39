"""`matcalc serve`: a local page and the JSON API under it (SPEC §7.5, docs/serve.md).

query.py reads a request into a `Query` (never eval), answer.py computes what the CLI would
print for it in every format, worker.py runs that in a bounded worker process (budget.py's
`supervise`: the CLI's time and memory limits), server.py serves the page and the API.
"""

from __future__ import annotations

from .answer import answer
from .query import Query, QueryError
from .server import make_server, serve

__all__ = ["Query", "QueryError", "answer", "make_server", "serve"]
