"""Renderings of a chain-rule result (one `--wrt` name or several): a `Result` or `Results`
whose parts carry the derivation as `.chain` (derive/chain.py's data)."""

from __future__ import annotations

import json

from ..derive.chain import mode_lines
from ..result import Result, Results
from .json import common, several
from .printer import latex_name, text_name, to_latex, to_text
from .where import Where, definition


def payload(r: Result | Results) -> dict[str, object]:
    if isinstance(r, Results):
        out = several(r, "chain", payload)
        out["latex"] = "\n".join(x.latex() for x in r.results)  # one line per name, as always
    else:
        d = r.chain
        out = {
            **common(r),
            "steps": [{"name": n, "text": to_text(e)} for n, e in d.steps],
            "adjoints": [
                {"name": f"delta_{a.step}", "text": to_text(a.node), "full": to_text(a.full)}
                for a in d.adjoints
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
                for p in d.paths
            ],
            "factors": [
                {
                    "name": f.name,
                    "shape": f.shape,
                    "vec": f.vec,
                    "text": to_text(f.node),
                    "latex": to_latex(f.node),
                }
                for f in d.factors
            ],
            "formula": d.formula,
            "shapes": d.shapes,
            "via": to_text(d.via) if d.via is not None else None,
            "direct": to_text(d.direct),
            "agreement": d.agreement,
        }
    if r.check_error is not None:
        error = r.check_error if r.check_error == r.check_error else None  # NaN is no JSON
        out["check"] = {"max_relative_error": error, "ok": bool(r.check_ok)}
        if getattr(r, "check_refusal", ""):
            out["check"]["refused"] = r.check_refusal
    return out


def parts(r: Result | Results) -> list[Result]:
    """The result by each `--wrt` name."""
    return r.results if isinstance(r, Results) else [r]


def table(r: Result | Results) -> str:
    rows = [("factor", "shape", "value")]
    for x in parts(r):
        for p in x.chain.paths:
            rows += [
                (f.name, f.shape + (" (vec)" if f.vec else ""), to_text(f.node)) for f in p.factors
            ]
        rows.append(
            (f"d{x.chain.outer}/d{x.wrt}", "×".join(str(d) for d in x.shape) or "scalar", x.text())
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def render_chain(r: Result | Results, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(payload(r), ensure_ascii=False)
    if fmt == "latex":
        return report_latex(r)
    if fmt == "numpy":
        return r.numpy()
    if fmt == "table":
        return table(r)
    if fmt in ("python", "torch", "jax"):
        return r.python(fmt).rstrip("\n")  # the composed loss and every gradient, one pass each way
    return report(r)


def report(r: Result | Results) -> str:
    """The whole derivation as plain text; by several names, the steps and δ's once."""
    if isinstance(r, Results):
        lines = [_report(r.results[0]).split("\nfactors")[0].split("\npath 1")[0]]
        for x in r.results:
            lines.append(f"── by {text_name(x.wrt)}")
            lines.append(_report(x, header=False))
        return "\n".join(lines)
    return _report(r)


def step_names(d) -> Where:
    """The steps as names: a factor holding a step's value prints the step (∂z/∂x =
    diag(𝟏 - z⊙²) A for z = tanh(A x)), as a book writes it."""
    return Where({e: n for n, e in d.steps if e.args}, [])


def _report(r: Result, header: bool = True) -> str:
    d = r.chain
    names = step_names(d)

    def say(n):
        return definition(n, "text", names)

    lines = []
    if header:
        lines.append("steps: " + ";  ".join(f"{n} = {to_text(e)}" for n, e in d.steps))
        if d.adjoints:
            lines.append("backprop (δ = ∂L/∂step, in the order reverse mode computes them):")
            lines += [f"  δ_{a.step} = {say(a.node)}" for a in d.adjoints]
    for k, path in enumerate(d.paths):
        if len(d.paths) > 1:
            lines.append(f"path {k + 1} of {len(d.paths)}: {' → '.join(path.names)}")
        width = max(len(f.name) for f in path.factors)
        swidth = max(len(f.shape + (" (vec)" if f.vec else "")) for f in path.factors)
        lines.append(f"factors ({d.layout} layout):")
        for f in path.factors:
            shape = f.shape + (" (vec)" if f.vec else "")
            lines.append(f"  {f.name.ljust(width)}  {shape.ljust(swidth)}  {say(f.node)}")
        lines.append(f"chain rule: {path.formula}")
        lines.append(f"shapes: {path.shapes}")
    if len(d.paths) > 1:
        lines.append(
            f"sum of the {len(d.paths)} paths: d{d.outer}/d{text_name(r.wrt)} = {d.formula}"
        )
    result = r.text() if r.where().defs else say(r.node)
    via = f"{say(d.via)} = " if d.via is not None and say(d.via) != result else ""
    lines.append(f"result: d{d.outer}/d{text_name(r.wrt)} = {via}{result}")
    lines.append(f"direct: {d.agreement}")
    if d.mode:
        lines += mode_lines(d)
    return "\n".join(lines)


def report_latex(r: Result | Results) -> str:
    """An align* block: the adjoints, each factor (by one name), then the result(s)."""
    first = parts(r)[0].chain
    rows = [rf"\delta_{{{latex_name(a.step)}}} &= {to_latex(a.node)}" for a in first.adjoints]
    if isinstance(r, Results):
        rows += [
            rf"\frac{{\partial {latex_name(x.chain.outer)}}}{{\partial {latex_name(x.wrt)}}} &= "
            + (
                f"{to_latex(x.chain.via)} = "
                if x.chain.via is not None and x.chain.via != x.node
                else ""
            )
            + x.latex()
            for x in r.results
        ]
    else:
        for path in first.paths:
            rows += [
                rf"\frac{{\partial {latex_name(f.out)}}}{{\partial {latex_name(f.inp)}}} &= {to_latex(f.node)}"
                for f in path.factors
            ]
        rows.append(
            rf"\frac{{\partial {latex_name(first.outer)}}}{{\partial {latex_name(r.wrt)}}} &= {r.latex()}"
        )
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
