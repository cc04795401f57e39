"""What every command returns: the derivative with its shape, layout and printed forms (the
chain rule's too: its derivation is data from derive/chain.py, printed here)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import sympy as sp

from .derive.chain import ChainDerivation, ChainDerivations, mode_lines
from .expr.node import Node, Shape, axes, shape_list
from .render.printer import check_printable, latex_name, text_name, to_latex, to_numpy, to_text


@dataclass
class Result:
    """A derivative (or a vjp/jvp, or an expression for `show`), with how to print it.

    `form` is "matrix" for a matrix (or vector, or scalar) result and "map" for a tensor-valued
    derivative printed as its linear map dF = L(dX); `.expr` is the SymPy object."""

    kind: str
    wrt: str
    layout: str
    node: Node
    engine: str = "matrix"
    form: str = "matrix"
    value: Any = None
    check_error: float | None = None
    check_ok: bool | None = None  # None with check_refusal: --check could give no verdict
    check_refusal: str = ""
    notes: list[str] = field(default_factory=list)
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    source: str = ""
    function: Node | None = None
    decls: Any = None
    var: Any = None
    array: Node | None = None  # for a map: the linear map whose full array `numpy` prints
    dleaf: Node | None = None
    f_shape: Shape = ()

    @property
    def shape(self) -> tuple[int | str, ...]:
        if self.form == "map":
            return tuple(shape_list(self.tensor_shape()))
        return tuple(shape_list(self.node.shape))

    def tensor_shape(self) -> tuple:
        """The full array's axes: F's then X's (X's first in the denominator layout)."""
        f_axes = axes(self.f_shape)
        x_axes = axes(self.dleaf.shape if self.dleaf is not None else ())
        return tuple(x_axes + f_axes) if self.layout == "denominator" else tuple(f_axes + x_axes)

    @property
    def expr(self) -> sp.Basic:
        """The result as SymPy: explicit scalars and matrices, or a matrix expression."""
        from .evaluate.sympy_form import to_sympy

        return to_sympy(self.node)

    def _prefix(self, fmt: str) -> str:
        if self.form != "map":
            return ""
        second = self.kind == "hessian"
        if fmt == "latex":
            return r"\mathrm{d}^{2}f = " if second else r"\mathrm{d}F = "
        return "d²f = " if second else "dF = "

    def text(self) -> str:
        check_printable(self.node)
        return self._prefix("text") + _printed(to_text, self.node)

    def latex(self) -> str:
        check_printable(self.node)
        return self._prefix("latex") + _printed(to_latex, self.node)

    def numpy(self) -> str:
        """SPEC §4's line: one expression, evaluated by the user with `np` and the values bound."""
        from .render.numpy import line_namespace, tensor_line, used_modules_free

        check_printable(self.node)
        names = line_namespace(self)  # the expression's names, as the user wrote them
        if self.form == "map":
            return used_modules_free(tensor_line(self, names), names)
        return used_modules_free(to_numpy(self.node, names), names)

    def python(self) -> str:
        """A complete NumPy module: a function returning the value and this derivative."""
        return _python(self.kind, self.layout, [self])

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __repr__(self) -> str:
        shape = "×".join(str(d) for d in self.shape) or "scalar"
        if self.kind == "show":
            return f"<expression ({shape}): {self.text()}>"
        return f"<{self.kind} by {self.wrt} ({self.layout}, {shape}): {self.text()}>"

    def __str__(self) -> str:
        return self.text()


def _printed(printer, node: Node) -> str:
    """A tree too deep for the printers' recursion is a limit, as it is for the derivation."""
    from .errors import LimitError

    try:
        return printer(node)
    except RecursionError:
        raise LimitError("expression too deeply nested to print") from None


@dataclass
class Results:
    """Several derivatives computed together (`--wrt W1,W2,v`), one per name."""

    kind: str
    wrt: str
    layout: str
    results: list[Result]
    notes: list[str] = field(default_factory=list)
    check_error: float | None = None
    check_ok: bool | None = None  # None with check_refusal: --check could give no verdict
    check_refusal: str = ""
    steps: list = field(default_factory=list)
    value: Any = None

    @property
    def shape(self) -> tuple:
        return tuple(r.shape for r in self.results)

    def text(self) -> str:
        return "\n".join(f"{r.wrt}: {r.text()}" for r in self.results)

    def latex(self) -> str:
        """One LaTeX expression: an aligned block with one line per variable."""
        rows = [
            rf"\frac{{\partial f}}{{\partial {to_latex(r.var.nodes[0])}}} &= {r.latex()}"
            for r in self.results
        ]
        return "\\begin{aligned}" + r" \\ ".join(rows) + "\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __repr__(self) -> str:
        return (
            f"<{self.kind} by {self.wrt} ({self.layout}): "
            + "; ".join(f"{r.wrt}: {r.text()}" for r in self.results)
            + ">"
        )

    def numpy(self) -> str:
        return (
            "("
            + ", ".join(r.numpy() for r in self.results)
            + ("," if len(self.results) == 1 else "")
            + ")"
        )

    def python(self) -> str:
        return _python(self.kind, self.layout, self.results)


def _python(kind: str, layout: str, parts: list[Result]) -> str:
    """`--format python`: the printer takes the function, the declarations and, per name, the
    derivative's tree and text."""
    from .errors import MatcalcError
    from .render.python import Part, python_module

    if any(r.form == "map" for r in parts):
        raise MatcalcError("--format python of a tensor derivative: use --vec, or --format numpy")
    first = parts[0]
    derivs = [
        Part(
            r.wrt,
            r.node,
            r.text() if kind != "show" else "",
            r.var is not None and r.var.kind == "whole",
        )
        for r in parts
    ]
    return python_module(kind, layout, first.function, first.decls, first.source or "", derivs)


# ---------------------------------------------------------------- the chain rule's results


class ChainResult(ChainDerivation):
    """`matcalc chain` by one name: the derivation (derive/chain.py) with its printed forms."""

    def text(self) -> str:
        return ("dF = " if self.form == "map" else "") + to_text(self.node)

    def latex(self) -> str:
        return (r"\mathrm{d}F = " if self.form == "map" else "") + to_latex(self.node)

    def numpy(self) -> str:
        if self.form == "map":
            from .render.numpy import tensor_line

            return tensor_line(self)
        return to_numpy(self.node)

    def report(self, header: bool = True) -> str:
        """The whole derivation as plain text."""
        lines = []
        if header:
            lines.append("steps: " + ";  ".join(f"{n} = {to_text(e)}" for n, e in self.steps))
            if self.adjoints:
                lines.append("backprop (δ = ∂L/∂step, in the order reverse mode computes them):")
                lines += [f"  δ_{a.step} = {to_text(a.node)}" for a in self.adjoints]
        for k, path in enumerate(self.paths):
            if len(self.paths) > 1:
                lines.append(f"path {k + 1} of {len(self.paths)}: {' → '.join(path.names)}")
            width = max(len(f.name) for f in path.factors)
            swidth = max(len(f.shape + (" (vec)" if f.vec else "")) for f in path.factors)
            lines.append(f"factors ({self.layout} layout):")
            for f in path.factors:
                shape = f.shape + (" (vec)" if f.vec else "")
                lines.append(f"  {f.name.ljust(width)}  {shape.ljust(swidth)}  {to_text(f.node)}")
            lines.append(f"chain rule: {path.formula}")
            lines.append(f"shapes: {path.shapes}")
        if len(self.paths) > 1:
            lines.append(
                f"sum of the {len(self.paths)} paths: d{self.outer}/d{text_name(self.wrt)} = {self.formula}"
            )
        via = (
            f"{to_text(self.via)} = "
            if self.via is not None and to_text(self.via) != self.text()
            else ""
        )
        lines.append(f"result: d{self.outer}/d{text_name(self.wrt)} = {via}{self.text()}")
        lines.append(f"direct: {self.agreement}")
        if self.mode:
            lines += mode_lines(self)
        return "\n".join(lines)

    def report_latex(self) -> str:
        """An align* block: the adjoints, each factor, then the result."""
        rows = [rf"\delta_{{{latex_name(a.step)}}} &= {to_latex(a.node)}" for a in self.adjoints]
        for path in self.paths:
            rows += [
                rf"\frac{{\partial {latex_name(f.out)}}}{{\partial {latex_name(f.inp)}}} &= {to_latex(f.node)}"
                for f in path.factors
            ]
        rows.append(
            rf"\frac{{\partial {latex_name(self.outer)}}}{{\partial {latex_name(self.wrt)}}} &= {self.latex()}"
        )
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


class ChainResults(ChainDerivations):
    """`chain … --wrt W1,W2,v`: one ChainResult per name, from one reverse pass."""

    def text(self) -> str:
        return "\n".join(f"{r.wrt}: {r.text()}" for r in self.results)

    def latex(self) -> str:
        return "\n".join(r.latex() for r in self.results)

    def numpy(self) -> str:
        return "(" + ", ".join(r.numpy() for r in self.results) + ")"

    def report(self) -> str:
        first = self.results[0]
        lines = [first.report().split("\nfactors")[0].split("\npath 1")[0]]
        for r in self.results:
            lines.append(f"── by {text_name(r.wrt)}")
            lines.append(r.report(header=False))
        return "\n".join(lines)

    def report_latex(self) -> str:
        first = self.results[0]
        rows = [rf"\delta_{{{latex_name(a.step)}}} &= {to_latex(a.node)}" for a in first.adjoints]
        rows += [
            rf"\frac{{\partial {latex_name(r.outer)}}}{{\partial {latex_name(r.wrt)}}} &= "
            + (f"{to_latex(r.via)} = " if r.via is not None and r.via != r.node else "")
            + r.latex()
            for r in self.results
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def chain_result(d: ChainDerivation | ChainDerivations) -> ChainResult | ChainResults:
    """The chain rule's data as a result that prints itself."""
    values = {f.name: getattr(d, f.name) for f in fields(d)}
    if isinstance(d, ChainDerivations):
        return ChainResults(**{**values, "results": [chain_result(r) for r in d.results]})
    return ChainResult(**values)
