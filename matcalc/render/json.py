"""`--format json`: one object with every form of the result (SPEC §4)."""

from __future__ import annotations

import json

from ..evaluate.values import json_value


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


def where_list(r) -> list[dict[str, str]]:
    """The answer's where clause (SPEC §7.3): each name's definition in text and LaTeX (the
    other names used), and in NumPy (one expression of the variables, as `numpy` is)."""
    from ..syntax.names import text_name
    from .printer import to_numpy
    from .where import definition

    w = r.where()
    return [
        {
            "name": text_name(name),
            "text": definition(n, "text", w),
            "latex": definition(n, "latex", w),
            "numpy": to_numpy(n),
        }
        for name, n in w.defs
    ]


def several(r, kind: str, each) -> dict[str, object]:
    """The answer for several --wrt names: the common fields, then one payload per name."""
    return {
        "kind": kind,
        "wrt": r.wrt,
        "layout": r.layout,
        "shape": [list(x.shape) for x in r.results],
        "text": r.text(),
        "latex": r.latex(),
        "numpy": r.numpy(),
        "results": [each(x) for x in r.results],
    }


def payload(r) -> dict[str, object]:
    from ..result import Results

    if isinstance(r, Results):
        out = several(r, r.kind, payload)
    else:
        out = {**common(r), "engine": r.engine, "form": r.form}
        if r.where().defs:
            out["where"] = where_list(r)
        if r.value is not None:
            out["value"] = json_value(r.value)
        if r.steps:
            out["steps"] = [{"text": t, "latex": lx, "rule": why} for t, lx, why in r.steps]
    if r.check_error is not None:
        error = r.check_error if r.check_error == r.check_error else None  # NaN is no JSON
        out["check"] = {"max_relative_error": error, "ok": bool(r.check_ok)}
        if getattr(r, "check_refusal", ""):
            out["check"]["refused"] = r.check_refusal
    if r.notes:
        out["notes"] = list(r.notes)
    return out


def render(r) -> str:
    return json.dumps(payload(r), ensure_ascii=False)
