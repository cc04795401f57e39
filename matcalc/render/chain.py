"""Renderings of a chain-rule derivation (one `--wrt` name or several)."""

from __future__ import annotations

import json

from ..result import ChainResult, ChainResults
from .json import common, several
from .printer import to_latex, to_text


def payload(r: ChainResult | ChainResults) -> dict[str, object]:
    if isinstance(r, ChainResults):
        out = several(r, "chain", payload)
    else:
        out = {
            **common(r),
            "steps": [{"name": n, "text": to_text(e)} for n, e in r.steps],
            "adjoints": [
                {"name": f"delta_{a.step}", "text": to_text(a.node), "full": to_text(a.full)}
                for a in r.adjoints
            ],
            "paths": [
                {
                    "steps": p.names,
                    "formula": p.formula,
                    "shapes": p.shapes,
                    "factors": [
                        {
                            "name": f.name,
                            "shape": f.shape,
                            "vec": f.vec,
                            "text": to_text(f.node),
                            "latex": to_latex(f.node),
                        }
                        for f in p.factors
                    ],
                }
                for p in r.paths
            ],
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
            "via": to_text(r.via) if r.via is not None else None,
            "direct": to_text(r.direct),
            "agreement": r.agreement,
        }
    if r.check_error is not None:
        error = r.check_error if r.check_error == r.check_error else None  # NaN is no JSON
        out["check"] = {"max_relative_error": error, "ok": bool(r.check_ok)}
        if getattr(r, "check_refusal", ""):
            out["check"]["refused"] = r.check_refusal
    return out


def table(r: ChainResult | ChainResults) -> str:
    results = r.results if isinstance(r, ChainResults) else [r]
    rows = [("factor", "shape", "value")]
    for x in results:
        for p in x.paths:
            rows += [
                (f.name, f.shape + (" (vec)" if f.vec else ""), to_text(f.node)) for f in p.factors
            ]
        rows.append(
            (f"d{x.outer}/d{x.wrt}", "×".join(str(d) for d in x.shape) or "scalar", x.text())
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def render_chain(r: ChainResult | ChainResults, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(payload(r), ensure_ascii=False)
    if fmt == "latex":
        return r.report_latex()
    if fmt == "numpy":
        return r.numpy()
    if fmt == "table":
        return table(r)
    if fmt in ("python", "torch", "jax"):
        return python(r, fmt)
    return r.report()


def python(r: ChainResult | ChainResults, framework: str = "python") -> str:
    """The composed loss and every gradient from one forward and one backward pass."""
    from ..result import Result, Results

    results = r.results if isinstance(r, ChainResults) else [r]
    if any(x.form == "map" for x in results):
        from ..errors import MatcalcError

        raise MatcalcError(
            f"--format {framework} of a tensor derivative: use --format numpy for the full array"
        )
    parts = []
    for x in results:
        p = x.problem
        parts.append(
            Result(
                p.kind,
                x.wrt,
                x.layout,
                x.direct,
                function=p.node,
                decls=p.decls,
                var=p.var,
                f_shape=p.node.shape,
            )
        )
    out = parts[0] if len(parts) == 1 else Results(parts[0].kind, r.wrt, r.layout, parts)
    return out.python(framework).rstrip("\n")
