"""Terminal output with Rich: matrices as aligned tables with the shape in the title.

User text only ever reaches Rich inside `Text` objects, never as markup.
"""

from __future__ import annotations

import sympy as sp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..render.printer import Printer
from . import plain


def title(r) -> str:
    shape = "×".join(str(d) for d in r.shape) or "scalar"
    what = r.kind if r.kind == "show" else f"{r.kind} by {r.wrt}"
    return f"{what} · {shape} · {r.layout} layout"


def show(r, console: Console) -> None:
    from ..result import Results

    if isinstance(r, Results):
        for part in r.results:
            show(part, console)
        return
    m = plain.explicit(r)
    console.print(Text(title(r), style="dim"), soft_wrap=True)
    if m is None:
        console.print(Text(plain.text(r), style="bold"), soft_wrap=True)  # no newline inside
        return
    p = Printer("text")
    cells = (
        [[p.const(m[i, j]) for j in range(m.shape[1])] for i in range(m.shape[0])]
        if isinstance(m, sp.MatrixBase)
        else [[p(e) for e in row] for row in m]
    )
    widths = [max(len(row[j]) for row in cells) + 4 for j in range(len(cells[0]))]
    if sum(widths) > console.width:  # a table would break entries: one line, wrapped by nobody
        console.print(Text(plain.text(r), style="bold"), soft_wrap=True)
        return
    table = Table(show_header=False, box=None, padding=(0, 2))
    for _ in range(len(cells[0])):
        table.add_column(justify="right")
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    console.print(table)
