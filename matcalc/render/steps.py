"""`--steps` written out: the derivation's lines (derive/steps.py) as text and LaTeX, the text
aligned with each line's rule, the LaTeX as an align* environment."""

from __future__ import annotations

from ..derive.steps import RESULT, Fragment, Step
from ..expr.node import Node
from .printer import to_latex, to_text


def _written(fragments: tuple[Fragment, ...], printer, result: str) -> str:
    return "".join(
        result if f is RESULT else printer(f) if isinstance(f, Node) else f for f in fragments
    )


def written_steps(lines: list[Step], result) -> list[tuple[str, str, str]]:
    """Each line as (text, LaTeX, rule); the derivative printed as `result` prints itself."""
    result_t, result_l = result.text(), result.latex()
    return [
        (_written(t, to_text, result_t), _written(lx, to_latex, result_l), why)
        for t, lx, why in lines
    ]


def steps_text(result) -> str:
    """Aligned text lines: the derivation, each with its rule."""
    rows = result.steps
    indent = rows[0][0].find("= ")
    lines = [(" " * indent + t if t.startswith("= ") and indent > 0 else t) for t, _, _ in rows]
    width = max(len(t) for t in lines)
    return "\n".join(
        f"{t.ljust(width)}   [{why}]" for t, (_, _, why) in zip(lines, rows, strict=True)
    )


def steps_latex(result) -> str:
    """An align* environment, ready for an amsmath document."""
    body = " \\\\\n".join(lx if "&" in lx else "&" + lx for _, lx, _ in result.steps)
    return "\\begin{align*}\n" + body + "\n\\end{align*}"
