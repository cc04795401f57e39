"""One request of the page or the JSON API, read into plain data: the CLI's words, never eval.

A query comes as a JSON object (POST) or as a URL query string (GET, and the page's own
address), with the same keys; docs/serve.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

COMMANDS = ("grad", "jacobian", "hessian", "vjp", "jvp", "hvp", "chain", "show")
LAYOUTS = ("mixed", "numerator", "denominator")
INPUTS = ("text", "latex")
MODES = ("", "forward", "reverse")
MAX_FIELD_CHARS = 20_000  # one field; the expression's own limit (10 000) is the library's
MAX_LIST = 200  # entries of `let` or `at`
_TRUE = ("1", "true", "on", "yes")
_FALSE = ("", "0", "false", "off", "no")


class QueryError(ValueError):
    """A request that is not a query (a wrong key or type): an `error: …` answer, HTTP 400."""


@dataclass(frozen=True)
class Query:
    """What the user asked: the CLI's arguments and options, as strings and flags."""

    command: str = "grad"
    expr: str = ""  # for chain: one step `NAME = EXPR` per line
    wrt: str = ""
    let: tuple[str, ...] = field(default_factory=tuple)
    layout: str = "mixed"
    v: str = ""
    at: tuple[str, ...] = field(default_factory=tuple)
    input: str = "text"
    steps: bool = False
    check: bool = False
    mode: str = ""

    @property
    def chain_steps(self) -> list[str]:
        """The steps of a chain: the expression's non-blank lines."""
        return [s.strip() for s in self.expr.splitlines() if s.strip()]

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["let"], out["at"] = list(self.let), list(self.at)
        return out

    def argv(self) -> list[str]:
        """The same query as a `matcalc` command line (the CLI prints what the answer holds)."""
        args = ["matcalc", self.command]
        args += self.chain_steps if self.command == "chain" else [self.expr]
        if self.command != "show":
            args += ["--wrt", self.wrt]
        for decl in self.let:
            args += ["--let", decl]
        if self.command not in ("show", "vjp", "jvp", "hvp") and self.layout != "mixed":
            args += ["--layout", self.layout]
        if self.command in ("vjp", "jvp", "hvp"):
            args += ["--v", self.v]
        for point in self.at:
            args += ["--at", point]
        if self.input != "text":
            args += ["--input", self.input]
        if self.steps:
            args.append("--steps")
        if self.check:
            args.append("--check")
        if self.mode:
            args += ["--mode", self.mode]
        return args


def _text(raw: Mapping[str, object], key: str, default: str = "") -> str:
    value = raw.get(key, default)
    if isinstance(value, list):  # a query string gives lists: the last one counts
        value = value[-1] if value else default
    if not isinstance(value, str):
        raise QueryError(f"error: {key} must be a string")
    if len(value) > MAX_FIELD_CHARS:
        raise QueryError(f"error: {key} is longer than {MAX_FIELD_CHARS} characters")
    return value


def _choice(raw: Mapping[str, object], key: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(raw, key, default).strip() or default
    if value not in choices:
        shown = value if len(value) <= 40 else value[:40] + "…"
        named = ", ".join(c for c in choices if c)
        raise QueryError(f"error: unknown {key} {shown!r}; choose one of {named}")
    return value


def _flag(raw: Mapping[str, object], key: str) -> bool:
    value = raw.get(key, False)
    if isinstance(value, list):
        value = value[-1] if value else False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise QueryError(f"error: {key} must be true or false")


def _items(raw: Mapping[str, object], key: str, separator: str) -> tuple[str, ...]:
    """A list of strings, or one string of items split at `separator` (a regular expression)."""
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"error: {key} must be a string or a list of strings")
    if sum(len(v) for v in value) > MAX_FIELD_CHARS:
        raise QueryError(f"error: {key} is longer than {MAX_FIELD_CHARS} characters")
    items = [p.strip() for v in value for p in re.split(separator, v) if p.strip()]
    if len(items) > MAX_LIST:
        raise QueryError(f"error: more than {MAX_LIST} entries in {key}")
    return tuple(items)


def read_query(raw: object) -> Query:
    """A Query from a JSON object or a parsed query string; QueryError for anything else.
    `let` holds declarations separated by spaces or `;` (`x:n A:n,n`), `at` by `;`."""
    if not isinstance(raw, Mapping):
        raise QueryError("error: a query is a JSON object")
    known = {f for f in Query.__dataclass_fields__}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise QueryError(f"error: unknown key {unknown[0][:40]!r} in the query")
    return Query(
        command=_choice(raw, "command", COMMANDS, "grad"),
        expr=_text(raw, "expr"),
        wrt=_text(raw, "wrt").strip(),
        let=_items(raw, "let", r"[\s;]+"),
        layout=_choice(raw, "layout", LAYOUTS, "mixed"),
        v=_text(raw, "v").strip(),
        at=_items(raw, "at", r";"),
        input=_choice(raw, "input", INPUTS, "text"),
        steps=_flag(raw, "steps"),
        check=_flag(raw, "check"),
        mode=_choice(raw, "mode", MODES, ""),
    )
