"""What every command returns: the derivative with its shape, layout, and printed forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .expr import Node, Shape
from .printing import to_latex, to_numpy, to_text


def shape_list(shape: Shape) -> list[int | str]:
    """A shape for JSON and for `.shape`: integers where known, dimension names otherwise."""
    return [int(d) if d.is_Integer else str(d) for d in shape]


@dataclass
class Result:
    """A derivative (or a vjp/jvp), with how to print it; `.expr` is the SymPy object."""

    kind: str
    wrt: str
    layout: str
    node: Node
    names: dict[str, dict[sp.Symbol, str]] = field(default_factory=dict)
    engine: str = "matrix"
    value: Any = None
    check_error: float | None = None
    check_ok: bool | None = None
    notes: list[str] = field(default_factory=list)
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    source: str = ""
    function: Node | None = None  # the differentiated expression, for --format python
    decls: Any = None

    @property
    def shape(self) -> tuple[int | str, ...]:
        return tuple(shape_list(self.node.shape))

    @property
    def expr(self) -> sp.Basic:
        """The result as SymPy: explicit scalars and matrices, or a matrix expression."""
        from .to_sympy import to_sympy

        return to_sympy(self.node)

    def text(self) -> str:
        return to_text(self.node, self.names.get("text"))

    def latex(self) -> str:
        return to_latex(self.node, self.names.get("latex"))

    def numpy(self) -> str:
        return to_numpy(self.node, self.names.get("numpy"))

    def python(self) -> str:
        """A complete NumPy function returning the value and this derivative."""
        from .codegen import python_function
        from .errors import MatcalcError

        if self.kind not in ("grad", "jacobian", "hessian") or self.function is None:
            raise MatcalcError("--format python is for grad, jacobian and hessian")
        return python_function(
            self.kind,
            self.wrt,
            self.layout,
            self.function,
            self.node,
            self.decls,
            self.names.get("numpy"),
        )

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __repr__(self) -> str:
        shape = "×".join(str(d) for d in self.shape) or "scalar"
        return f"<{self.kind} by {self.wrt} ({self.layout}, {shape}): {self.text()}>"

    def __str__(self) -> str:
        return self.text()
