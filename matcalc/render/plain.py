"""Plain-text renderings: what pipes, files and tests see."""

from __future__ import annotations

import sympy as sp

from matcalc.explicit import Explicit
from matcalc.printing import _Latex, _Str
from matcalc.result import Result


def value_text(v: Explicit) -> str:
    """An exact value: `17`, `1/2`, `[17, 52, 81]`, `[[1, 2], [3, 4]]`."""
    s = _Str()
    if isinstance(v, sp.MatrixBase):
        if v.shape[1] == 1 or v.shape[0] == 1:
            return "[" + ", ".join(s.doprint(e) for e in v) + "]"
        return (
            "["
            + ", ".join(
                "[" + ", ".join(s.doprint(e) for e in v.row(i)) + "]" for i in range(v.shape[0])
            )
            + "]"
        )
    return s.doprint(v)


def value_latex(v: Explicit) -> str:
    return _Latex().doprint(v)


def value_numpy(v: Explicit) -> str:
    from ..numpy_code import _NumPy

    p = _NumPy()
    if isinstance(v, sp.MatrixBase):
        if v.shape[1] == 1 or v.shape[0] == 1:
            return "np.array([" + ", ".join(p.doprint(e) for e in v) + "], dtype=float)"
        rows = ("[" + ", ".join(p.doprint(e) for e in v.row(i)) + "]" for i in range(v.shape[0]))
        return "np.array([" + ", ".join(rows) + "], dtype=float)"
    return f"float({p.doprint(v)})"


def check_line(r: Result) -> str:
    verdict = "ok" if r.check_ok else "FAILED"
    return (
        f"check: largest relative error {r.check_error:.1e} against finite differences ({verdict})"
    )


def text(r: Result) -> str:
    if r.value is not None:
        return value_text(r.value)
    return r.text()


def latex(r: Result) -> str:
    if r.steps:
        from matcalc.steps import steps_latex

        return steps_latex(r)
    if r.value is not None:
        return value_latex(r.value)
    return r.latex()


def numpy(r: Result) -> str:
    if r.value is not None:
        return value_numpy(r.value)
    return r.numpy()


def table(r: Result) -> str:
    """The explicit matrix as aligned columns; a symbolic result as one cell."""
    m = r.value if r.value is not None else (r.node.data if r.node.op == "matrix" else None)
    if not isinstance(m, sp.MatrixBase):
        return text(r)
    s = _Str(r.names.get("text"))
    cells = [[s.doprint(m[i, j]) for j in range(m.shape[1])] for i in range(m.shape[0])]
    widths = [max(len(cells[i][j]) for i in range(m.shape[0])) for j in range(m.shape[1])]
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
