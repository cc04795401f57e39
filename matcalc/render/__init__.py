"""Output formats of SPEC §4. Only this package and cli.py may import Rich (a ruff rule)."""

from __future__ import annotations

FORMATS = ("text", "latex", "table", "numpy", "json", "python", "torch", "jax")
CODE = ("python", "torch", "jax")  # importable modules (render/python.py, render/backends.py)


def render(result, fmt: str) -> str:
    """The result in one of the plain formats (what is printed when stdout is not a terminal)."""
    from ..result import Results
    from . import json as json_out
    from . import plain

    if result.kind == "chain":  # the derivation too: steps, factors, adjoints
        from .chain import render_chain

        return render_chain(result, fmt)
    if fmt == "json":
        return json_out.render(result)
    if fmt in CODE:
        return result.python(fmt).rstrip("\n")
    if isinstance(result, Results):
        if fmt == "numpy":
            return result.numpy()
        if fmt == "latex":
            return result.latex()
        return "\n".join(f"{r.wrt}: {render(r, fmt)}" for r in result.results)
    return {"text": plain.text, "latex": plain.latex, "table": plain.table, "numpy": plain.numpy}[
        fmt
    ](result)
