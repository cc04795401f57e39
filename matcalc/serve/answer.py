"""The answer to one query: what the CLI prints for it in each format, computed once.

Each `outputs[fmt]` is exactly the CLI's standard output for `--format fmt` (piped, so plain
text), without its final newline; `notes` are its `note:` lines on stderr; an error is its one
`error: …` message. The same API functions and renderers as the CLI make that so, and
tests/test_serve.py compares them byte for byte.
"""

from __future__ import annotations

import json
import re

from .. import __version__, api
from ..errors import TOO_LARGE, MatcalcError, shown
from ..render import render
from ..render.chain import parts as chain_parts
from ..render.chain import render_chain
from ..render.plain import check_line
from ..render.steps import steps_latex, steps_text
from .query import Query

FORMATS = ("text", "latex", "numpy", "python", "torch", "jax", "json")
_COLUMN = re.compile(r"\(column (\d+)\)")


def error_message(err: BaseException) -> tuple[str, int]:
    """The CLI's message for an exception, and its exit code (2 a user error, 1 a bug)."""
    if isinstance(err, MatcalcError):
        return err.render(), 2
    if isinstance(err, RecursionError):
        return "error: expression too deeply nested", 2
    if isinstance(err, OverflowError):
        return f"error: {TOO_LARGE}", 2
    name = type(err).__name__
    return (
        f"internal error ({name}: {shown(str(err)[:200])}); this is a bug in matcalc "
        f"{__version__}, please report it with the query",
        1,
    )


def failure(message: str, code: int = 2) -> dict[str, object]:
    """An answer that is one error message, with its column when it names one."""
    found = _COLUMN.search(message.split("\n", 1)[0])
    return {
        "ok": False,
        "exit": code,
        "error": message,
        "column": int(found.group(1)) if found else None,
    }


def compute(q: Query):
    """The result object, from the API function the CLI calls for this command."""
    if q.command == "show":
        return api.show(q.expr, let=list(q.let), at=list(q.at), input=q.input)
    if not q.wrt:
        raise MatcalcError("--wrt is missing: name the variable to differentiate by")
    if q.command == "chain":
        return api.chain(
            q.chain_steps,
            wrt=q.wrt,
            let=list(q.let),
            layout=q.layout,
            check=q.check,
            mode=q.mode or None,
        )
    common = {"wrt": q.wrt, "let": list(q.let), "at": list(q.at), "check": q.check}
    if q.command in ("vjp", "jvp", "hvp"):
        if not q.v:
            raise MatcalcError(f"{q.command} needs --v: a vector such as 3,2,1, or a name")
        return getattr(api, q.command)(q.expr, v=q.v, input=q.input, **common)
    return getattr(api, q.command)(q.expr, layout=q.layout, steps=q.steps, input=q.input, **common)


def stdout_of(q: Query, result, fmt: str) -> str:
    """What the CLI writes on stdout for `--format fmt`, without the last newline."""
    if q.command == "chain":
        out = render_chain(result, fmt)
        if result.check_error is not None and fmt != "json":
            out += "\n" + check_line(result)
        return out
    out = render(result, fmt)
    if getattr(result, "steps", None) and fmt == "text":
        out += "\n" + steps_text(result)
    if result.check_error is not None and fmt == "text":
        out += "\n" + check_line(result)
    return out


def exit_code(q: Query, result) -> int:
    """The CLI's exit code for a result that was printed: 1 for a failed check or a chain
    whose two derivations differ, 2 for a check without a verdict, else 0."""
    if q.command == "chain" and any(
        x.chain.agreement.startswith("DIFFERS") for x in chain_parts(result)
    ):
        return 1
    if result.check_ok is False:
        return 1
    return 2 if getattr(result, "check_refusal", "") else 0


def answer(q: Query) -> dict[str, object]:
    """The whole answer to a query, as plain JSON-ready data (docs/serve.md)."""
    head: dict[str, object] = {"query": q.as_dict(), "argv": q.argv()}
    try:
        result = compute(q)
    except MemoryError:
        raise
    except Exception as err:
        return {**head, **failure(*error_message(err))}
    outputs: dict[str, str] = {}
    errors: dict[str, str] = {}
    for fmt in FORMATS:
        try:
            outputs[fmt] = stdout_of(q, result, fmt)
        except MemoryError:
            raise
        except Exception as err:
            errors[fmt] = error_message(err)[0]
    out: dict[str, object] = {
        **head,
        "ok": True,
        "exit": exit_code(q, result),
        "outputs": outputs,
        "format_errors": errors,
        "notes": [] if q.command == "chain" else [shown(n) for n in result.notes],
        "result": json.loads(outputs["json"]) if "json" in outputs else None,
    }
    if getattr(result, "steps", None) and q.command != "chain":
        out["steps"] = {"text": steps_text(result), "latex": steps_latex(result)}
    return out
