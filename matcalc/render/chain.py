"""Renderings of a chain-rule derivation."""

from __future__ import annotations

import json

from ..derive.chain import ChainResult
from .json import common
from .printer import to_latex, to_text


def payload(r: ChainResult) -> dict[str, object]:
    out: dict[str, object] = {
        **common(r),
        "steps": [{"name": n, "text": to_text(e)} for n, e in r.steps],
        "factors": [
            {
                "name": f.name,
                "shape": f.shape,
                "vec": f.vec,
                "text": to_text(f.node),
                "latex": to_latex(f.node),
            }
            for f in r.factors
        ],
        "formula": r.formula,
        "shapes": r.shapes,
        "direct": to_text(r.direct),
        "agreement": r.agreement,
    }
    if r.check_error is not None:
        out["check"] = {"max_relative_error": r.check_error, "ok": bool(r.check_ok)}
    return out


def table(r: ChainResult) -> str:
    rows = [("factor", "shape", "value")] + [
        (f.name, f.shape + (" (vec)" if f.vec else ""), to_text(f.node)) for f in r.factors
    ]
    rows.append((f"d{r.outer}/d{r.wrt}", "×".join(str(d) for d in r.shape) or "scalar", r.text()))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def render_chain(r: ChainResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(payload(r), ensure_ascii=False)
    if fmt == "latex":
        return r.report_latex()
    if fmt == "numpy":
        return r.numpy()
    if fmt == "table":
        return table(r)
    return r.report()
