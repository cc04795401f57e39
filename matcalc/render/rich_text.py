"""Terminal output with Rich: matrices as aligned tables with the shape in the title.

User text only ever reaches Rich inside `Text` objects, never as markup.
"""

from __future__ import annotations

import sympy as sp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from matcalc.printing import _Str
from matcalc.result import Result

from . import plain


def title(r: Result) -> str:
    shape = "×".join(str(d) for d in r.shape) or "scalar"
    return f"{r.kind} by {r.wrt} · {shape} · {r.layout} layout"


def show(r: Result, console: Console) -> None:
    m = r.value if r.value is not None else (r.node.data if r.node.op == "matrix" else None)
    if isinstance(m, sp.MatrixBase):
        s = _Str(r.names.get("text"))
        console.print(Text(title(r), style="dim"))
        table = Table(show_header=False, box=None, padding=(0, 2))
        for _ in range(m.shape[1]):
            table.add_column(justify="right")
        for i in range(m.shape[0]):
            table.add_row(*(Text(s.doprint(m[i, j])) for j in range(m.shape[1])))
        console.print(table)
    else:
        console.print(Text(title(r), style="dim"))
        console.print(Text(plain.text(r), style="bold"))
