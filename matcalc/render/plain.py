"""Plain-text renderings: what pipes, files and tests see."""

from __future__ import annotations

import sympy as sp

from ..evaluate.values import value_node
from .printer import Printer


def value_text(v) -> str:
    """An exact value in the expression language: `17`, `1/2`, `[17, 52, 81]`, `[[1, 2], [3, 4]]`."""
    return Printer("text")(value_node(v)) if not isinstance(v, sp.MatrixBase) else _matrix_text(v)


def _matrix_text(v: sp.MatrixBase) -> str:
    p = Printer("text")
    if v.shape[1] == 1 or v.shape[0] == 1:
        return "[" + ", ".join(p.const(e) for e in v) + "]"
    return (
        "["
        + ", ".join("[" + ", ".join(p.const(e) for e in v.row(i)) + "]" for i in range(v.shape[0]))
        + "]"
    )


def value_latex(v) -> str:
    return Printer("latex")(value_node(v))


def value_numpy(v) -> str:
    code = Printer("numpy")(value_node(v))
    return code if isinstance(v, sp.MatrixBase) else f"float({code})"


def check_line(r) -> str:
    if getattr(r, "check_refusal", ""):
        return f"check: no verdict: {r.check_refusal}"
    verdict = "ok" if r.check_ok else "FAILED"
    if r.check_error != r.check_error:  # nan: no point in the domain
        return "check: no point found where the expression is defined and smooth (FAILED)"
    return (
        f"check: largest relative error {r.check_error:.1e} against finite differences ({verdict})"
    )


def text(r) -> str:
    if r.value is not None:
        return value_text(r.value)
    return r.text()


def latex(r) -> str:
    if getattr(r, "steps", None):
        from .steps import steps_latex

        return steps_latex(r)
    if r.value is not None:
        return value_latex(r.value)
    return r.latex()


def numpy(r) -> str:
    if r.value is not None:
        return value_numpy(r.value)
    return r.numpy()


def explicit(r):
    """The result as a SymPy matrix when it is explicit (a value, or a matrix of entries)."""
    if r.value is not None:
        return r.value if isinstance(r.value, sp.MatrixBase) else None
    from ..ops import is_scalar_lit, lit_rows

    if is_scalar_lit(r.node):
        return lit_rows(r.node)
    return None


def table(r) -> str:
    """The explicit matrix as aligned columns; a symbolic result as one cell."""
    m = explicit(r)
    if m is None:
        return text(r)
    p = Printer("text")
    if isinstance(m, sp.MatrixBase):
        cells = [[p.const(m[i, j]) for j in range(m.shape[1])] for i in range(m.shape[0])]
    else:
        cells = [[p(e) for e in row] for row in m]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells
    )


def standalone(tex: str) -> str:
    """A complete LaTeX document around one expression or align* block (`--standalone`)."""
    body = tex if tex.lstrip().startswith("\\begin{align*}") else f"\\[\n{tex}\n\\]"
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + body
        + "\n\\end{document}"
    )
