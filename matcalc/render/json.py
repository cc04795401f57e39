"""`--format json`: one object with every form of the result (SPEC §4)."""

from __future__ import annotations

import json

from matcalc.result import Result
from matcalc.values import json_value


def common(r) -> dict[str, object]:
    """The fields every JSON answer has (SPEC §4)."""
    return {
        "kind": r.kind,
        "wrt": r.wrt,
        "layout": r.layout,
        "shape": list(r.shape),
        "text": r.text(),
        "latex": r.latex(),
        "numpy": r.numpy(),
    }


def payload(r: Result) -> dict[str, object]:
    out: dict[str, object] = {**common(r), "engine": r.engine}
    if r.value is not None:
        out["value"] = json_value(r.value)
    if r.check_error is not None:
        out["check"] = {"max_relative_error": r.check_error, "ok": bool(r.check_ok)}
    if r.notes:
        out["notes"] = list(r.notes)
    if r.steps:
        out["steps"] = [{"text": t, "latex": lx, "rule": why} for t, lx, why in r.steps]
    return out


def render(r: Result) -> str:
    return json.dumps(payload(r), ensure_ascii=False)
