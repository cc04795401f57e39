"""What every command returns: the derivative with its shape, layout and printed forms. The chain
rule returns the same types; its derivation (steps, factors, adjoints: data from derive/chain.py)
rides along as `Result.chain`, and render/chain.py prints it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sympy as sp

from .expr.node import Node, Shape, axes, shape_list
from .render.printer import check_printable, to_latex, to_numpy, to_text

if TYPE_CHECKING:  # the chain rule loads on first use: start-up time is a feature
    from .derive.chain import ChainDerivation


@dataclass
class Result:
    """A derivative (or a vjp/jvp, or an expression for `show`), with how to print it.

    `form` is "matrix" for a matrix (or vector, or scalar) result and "map" for a tensor-valued
    derivative printed as its linear map dF = L(dX); `.expr` is the SymPy object. For `chain`,
    `chain` holds the derivation: the steps, each path's factors, the adjoints δ, the direct
    derivative and how they agree, the order of the products (`--mode`)."""

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
    chain: ChainDerivation | None = None
    names: list[tuple[str, Node]] = field(default_factory=list)  # the user's where names (§7.3)
    _where: Any = field(default=None, init=False, repr=False, compare=False)

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

    def where(self):
        """The names the printed answer uses (render/where.py): the user's, then what it
        repeats; `where().defs` is the where clause."""
        from .render.where import checked, where_clause

        if self._where is None:
            taken = set()
            if self.decls is not None:
                taken = set(self.decls.items) | {str(d) for d in self.decls.dims()}
            if self.function is not None:  # a fresh name never looks like the input's names
                taken |= self.function.free()
            self._where = checked(self.node, where_clause(self.node, self.names, taken))
        return self._where

    def text(self) -> str:
        check_printable(self.node)
        return self._prefix("text") + _printed(self._named, "text")

    def latex(self) -> str:
        check_printable(self.node)
        return self._prefix("latex") + _printed(self._named, "latex")

    def _named(self, fmt: str) -> str:
        from .render.where import printed

        where = self.where()
        if not where.defs:  # nothing named: the plain printers (to_text is memoised)
            return to_text(self.node) if fmt == "text" else to_latex(self.node)
        return printed(self.node, fmt, where)

    def numpy(self) -> str:
        """SPEC §4's line: one expression, evaluated by the user with `np` and the values bound."""
        from .render.numpy import line_namespace, tensor_line, used_modules_free

        check_printable(self.node)
        names = line_namespace(self)  # the expression's names, as the user wrote them
        if self.form == "map":
            return used_modules_free(tensor_line(self, names), names)
        from .render.cost import cost_aware

        return used_modules_free(to_numpy(cost_aware([self.node])[0], names), names)

    def python(self, framework: str = "python") -> str:
        """A complete NumPy module (or torch, jax): a function returning the value and this
        derivative."""
        return _python(self.kind, self.layout, [self], framework)

    def torch(self) -> str:
        return self.python("torch")

    def jax(self) -> str:
        return self.python("jax")

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def __repr__(self) -> str:
        shape = "×".join(str(d) for d in self.shape) or "scalar"
        if self.kind == "show":
            return f"<expression ({shape}): {self.text()}>"
        return f"<{self.kind} by {self.wrt} ({self.layout}, {shape}): {self.text()}>"

    def __str__(self) -> str:
        return self.text()


def _printed(printer, arg) -> str:
    """A tree too deep for the printers' recursion is a limit, as it is for the derivation."""
    from .errors import LimitError

    try:
        return printer(arg)
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

    def python(self, framework: str = "python") -> str:
        return _python(self.kind, self.layout, self.results, framework)

    def torch(self) -> str:
        return self.python("torch")

    def jax(self) -> str:
        return self.python("jax")


def _python(kind: str, layout: str, parts: list[Result], framework: str = "python") -> str:
    """`--format python`: the printer takes the function, the declarations and, per name, the
    derivative's tree and text."""
    from .errors import MatcalcError
    from .render.python import Part, python_module

    first = parts[0]
    if any(r.form == "map" for r in parts) and (first.chain or framework != "python"):
        other = "--format numpy for the full array" if first.chain else "--vec, or --format numpy"
        if not first.chain:
            other = "--vec, or --format python or numpy"
        raise MatcalcError(f"--format {framework} of a tensor derivative: use {other}")
    if first.chain is not None:  # the code of the composed function and its direct derivative
        kind = first.chain.problem.kind
        parts = [replace(r, node=r.chain.direct, chain=None) for r in parts]
    derivs = [
        Part(
            r.wrt,
            r.node,
            r.text() if kind != "show" else "",
            r.var is not None and r.var.kind == "whole",
            r if r.form == "map" else None,  # a linear map: the module returns its full array
        )
        for r in parts
    ]
    source = first.source or ""
    names = {n: name for r in parts for name, n in r.where().defs}  # the answer's where names
    return python_module(
        kind, layout, first.function, first.decls, source, derivs, framework, names
    )


# ---------------------------------------------------------------- the chain rule's results


def chain_result(d: ChainDerivation) -> Result:
    """The chain rule by one name as a result like any other, its derivation kept as `chain`."""
    p = d.problem
    return Result(
        "chain",
        d.wrt,
        d.layout,
        d.node,
        form=d.form,
        check_error=d.check_error,
        check_ok=d.check_ok,
        check_refusal=d.check_refusal,
        notes=list(d.notes),
        function=p.node,
        decls=p.decls,
        var=p.var,
        array=d.array,
        dleaf=d.dleaf,
        f_shape=d.f_shape,
        chain=d,
    )
