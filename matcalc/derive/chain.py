"""`matcalc chain`: the chain rule through named steps, every factor with its shape.

Steps are `NAME = EXPR`, in any order; each uses the next inner step, the innermost uses the
variable. The result is computed the way a framework does it — a scalar output by
backpropagation (vᵀJ step by step), a vector output by multiplying Jacobians — and is then
compared with the derivative of the composed expression taken directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .. import ops as E
from ..errors import MatcalcError
from ..expr.build import parse
from ..expr.decls import Decl, Decls
from ..expr.node import Node
from ..render.printer import latex_name, to_latex, to_numpy, to_text
from ..result import shape_list
from ..simplify.tidy import tidy
from ..syntax.lexer import tokenize
from ..syntax.names import check_name
from .differential import differential, replace
from .engine import Problem, derive
from .layout import check_layout, to_layout
from .pullback import pullback
from .variables import Variable


@dataclass
class Factor:
    """One factor d(out)/d(in) in the chosen layout; `vec` when it is a tensor in vec form."""

    out: str
    inp: str
    node: Node
    vec: bool
    scalar_out: bool

    @property
    def name(self) -> str:
        return f"d{self.out}/d{self.inp}"

    @property
    def shape(self) -> str:
        dims = shape_list(self.node.shape)
        return "×".join(_dim(d) for d in dims) if dims else "scalar"


@dataclass
class ChainResult:
    """The factors, the product formula, the result, and how it was confirmed."""

    wrt: str
    layout: str
    steps: list[tuple[str, Node]]
    factors: list[Factor]
    formula: str
    shapes: str
    node: Node
    direct: Node
    agreement: str
    check_error: float | None = None
    check_ok: bool | None = None
    notes: list[str] = field(default_factory=list)
    kind: str = "chain"

    @property
    def shape(self) -> tuple[int | str, ...]:
        return tuple(shape_list(self.node.shape))

    @property
    def outer(self) -> str:
        return self.steps[0][0]

    def text(self) -> str:
        return to_text(self.node)

    def latex(self) -> str:
        return to_latex(self.node)

    def numpy(self) -> str:
        return to_numpy(self.node)

    def report(self) -> str:
        """The whole derivation as plain text."""
        width = max(len(f.name) for f in self.factors)
        swidth = max(len(f.shape + (" (vec)" if f.vec else "")) for f in self.factors)
        lines = ["steps: " + ";  ".join(f"{n} = {to_text(e)}" for n, e in self.steps)]
        lines.append(f"factors ({self.layout} layout):")
        for f in self.factors:
            shape = f.shape + (" (vec)" if f.vec else "")
            lines.append(f"  {f.name.ljust(width)}  {shape.ljust(swidth)}  {to_text(f.node)}")
        lines.append(f"chain rule: {self.formula}")
        lines.append(f"shapes: {self.shapes}")
        lines.append(f"result: d{self.outer}/d{self.wrt} = {self.text()}")
        lines.append(f"direct: {self.agreement}")
        return "\n".join(lines)

    def report_latex(self) -> str:
        """An align* block: each factor, then the result."""
        rows = [
            rf"\frac{{\partial {_tex(f.out)}}}{{\partial {_tex(f.inp)}}} &= {to_latex(f.node)}"
            for f in self.factors
        ]
        rows.append(
            rf"\frac{{\partial {_tex(self.outer)}}}{{\partial {_tex(self.wrt)}}} &= {self.latex()}"
        )
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _tex(name: str) -> str:
    return latex_name(name)


def _split(step: str) -> tuple[str, str]:
    name, eq, body = step.partition("=")
    if not eq or not body.strip():
        raise MatcalcError(f"chain step {step!r}: expected NAME = EXPR")
    name = name.strip()
    check_name(name, "chain step")
    return name, body.strip()


def _order(steps: dict[str, str], wrt: str) -> list[str]:
    """Outermost first; each step must use exactly the next one, the innermost uses wrt."""
    uses = {n: {t.text for t in tokenize(b) if t.kind == "name"} for n, b in steps.items()}
    users = {n: [m for m in steps if n in uses[m]] for n in steps}
    outer = [n for n in steps if not users[n]]
    if len(outer) != 1:
        raise MatcalcError("chain steps must form one chain: exactly one step is used by no other")
    order = [outer[0]]
    while True:
        inner = [n for n in steps if n in uses[order[-1]]]
        if not inner:
            break
        if len(inner) > 1 or inner[0] in order:
            raise MatcalcError(
                f"step {order[-1]} uses {', '.join(inner)}; each step uses one next step"
            )
        order.append(inner[0])
    if len(order) != len(steps):
        missing = sorted(set(steps) - set(order))
        raise MatcalcError(f"steps {', '.join(missing)} are not part of the chain")
    for n in order[:-1]:
        if wrt in uses[n]:
            raise MatcalcError(f"{wrt} appears in step {n}; only the innermost step may use it")
    if wrt not in uses[order[-1]]:
        raise MatcalcError(f"the innermost step {order[-1]} does not use {wrt}")
    return order


def _scalar_decl(name: str) -> Decl:
    return Decl(name, ())


def _var(name: str, decls: Decls) -> Variable:
    d = decls.get(name)
    if d is None:
        return Variable(name, (), "whole", (E.var(name),))
    node = d.node()
    return Variable(name, node.shape, "whole", (node,), d.symmetric)


def _problem(kind: str, node: Node, var: Variable, decls: Decls, layout: str, vec: bool = False) -> Problem:
    return Problem(kind, "", node, node, var, decls, {}, layout, vec)


def final_layout(p: Problem, mixed: Node) -> Node:
    return to_layout(p.kind, mixed, p.node.shape, p.var.shape, p.layout, p.vec)


def _factor(out: str, node: Node, inp: Variable, decls: Decls, layout: str) -> Factor:
    """d(out)/d(inp) in the layout; a tensor (vector or matrix by matrix) in vec form."""
    tensor = (  # a vector or matrix by a matrix, or a matrix by a vector: shown in vec form
        not node.is_scalar and inp.shape != () and (inp.shape[1] != 1 or not node.is_vector)
    )
    kind = "grad" if node.is_scalar else "jacobian"
    p = _problem(kind, node, inp, decls, layout, tensor)
    mixed = derive(p)[0].node
    return Factor(out, inp.name, final_layout(p, tidy(mixed)), tensor, node.is_scalar)


def _formula(names: list[str], scalar_out: bool, layout: str, factors: list[Factor]) -> str:
    top, bottom = names[0], names[-1]
    head = f"d{top}/d{bottom} = "
    fnames = [f.name for f in factors]
    if layout == "numerator" or (layout == "mixed" and not scalar_out):
        return head + " · ".join(fnames)
    if layout == "denominator":
        spec = " ".join(
            (f"({f.name})ᵀ" if not _is_scalar_out(f) else f.name) for f in reversed(factors)
        )
        return (
            head
            + " · ".join(reversed(fnames))
            + f"   (each a transposed Jacobian: = {spec} in mixed terms)"
        )
    return head + " ".join(
        (f"({f.name})ᵀ" if not _is_scalar_out(f) else f.name) for f in reversed(factors)
    )


def _is_scalar_out(f: Factor) -> bool:
    return f.scalar_out


def _shape_line(
    factors: list[Factor], result: Node, formula_order: list[Factor], transposed: set[str]
) -> str:
    parts = []
    for f in formula_order:
        s = f.node.shape
        if f.name in transposed and s != ():
            s = (s[1], s[0])
        parts.append("(" + ("1×1" if s == () else f"{_dim(s[0])}×{_dim(s[1])}") + ")")
    out = "scalar" if result.shape == () else f"{_dim(result.shape[0])}×{_dim(result.shape[1])}"
    if any(f.vec for f in factors) and result.shape != ():
        rows = (
            "1" if formula_order[0].node.shape == () else _dim(_rows(formula_order[0], transposed))
        )
        out = f"{rows}×1 = vec of {out}"
    return " ".join(parts) + f" → {out}"


def _rows(f: Factor, transposed: set[str]) -> object:
    s = f.node.shape
    return s[1] if f.name in transposed else s[0]


def _dim(d: object) -> str:
    return str(d).replace("**2", "²").replace("**3", "³")


def chain(
    steps: list[str],
    wrt: str,
    let: list[str] | None = None,
    layout: str = "mixed",
    check: bool = False,
) -> ChainResult:
    """The chain rule through named steps (outermost first or in any order)."""
    check_layout(layout)
    if not steps:
        raise MatcalcError("chain needs at least one step NAME = EXPR")
    defs: dict[str, str] = {}
    for s in steps:
        name, body = _split(s)
        if name in defs:
            raise MatcalcError(f"step {name} is defined twice")
        defs[name] = body
    decls = Decls.parse(let)
    check_name(wrt, "--wrt")
    for n in defs:
        if decls.get(n) is not None or n == wrt:
            raise MatcalcError(f"{n} is both a step and a declared variable")
    order = _order(defs, wrt)
    nodes: dict[str, Node] = {}
    for name in reversed(order):  # innermost first: each step's shape declares it for the next
        node = parse(defs[name], decls).node
        nodes[name] = node
        decls.items[name] = Decl(name, node.shape) if node.shape != () else _scalar_decl(name)
    names = [*order, wrt]
    factors = [
        _factor(names[i], nodes[names[i]], _var(names[i + 1], decls), decls, layout)
        for i in range(len(order))
    ]
    wvar = _var(wrt, decls)
    scalar_out = nodes[order[0]].is_scalar
    mixed = (
        _backprop(order, nodes, decls, wvar) if scalar_out else _forward(order, nodes, decls, wvar)
    )
    kind = "grad" if scalar_out else "jacobian"
    composed = _compose(order, nodes, decls)
    p = _problem(kind, composed, wvar, decls, layout)
    direct_mixed = tidy(derive(p)[0].node)
    if wvar.symmetric and scalar_out:
        mixed = E.mul(E.num(sp.Rational(1, 2)), E.add(mixed, E.transpose(mixed)))
    result = final_layout(p, tidy(mixed))
    direct = final_layout(p, direct_mixed)
    agreement = _agree(tidy(_substitute(mixed, order, nodes, decls)), direct_mixed, p)
    formula = _formula(names, scalar_out, layout, factors)
    transposed = {
        f.name for f in factors if layout == "mixed" and scalar_out and not _is_scalar_out(f)
    }
    ordered = (
        factors
        if (layout == "numerator" or (layout == "mixed" and not scalar_out))
        else list(reversed(factors))
    )
    shapes = _shape_line(factors, result, ordered, transposed)
    out = ChainResult(
        wrt,
        layout,
        [(n, nodes[n]) for n in order],
        factors,
        formula,
        shapes,
        result,
        direct,
        agreement,
    )
    if check:
        from ..evaluate.check import fd_check

        report = fd_check(p, final_layout(p, direct_mixed))
        out.check_error, out.check_ok = (
            report.error,
            report.ok and not agreement.startswith("DIFFERS"),
        )
    return out


def _backprop(order: list[str], nodes: dict[str, Node], decls: Decls, wvar: Variable) -> Node:
    """Reverse mode: the cotangent of each step from the outside in, seed 1."""
    cot: Node = E.num(1)
    names = [*order, wvar.name]
    for i, name in enumerate(order):
        inp = _var(names[i + 1], decls)
        leaves = inp.leaves()
        cots = pullback(differential(nodes[name], leaves), cot, leaves.values())
        g = cots.get(inp.dleaf(inp.nodes[0]), E.zero(inp.shape))
        cot = tidy(g)
    return cot


def _forward(order: list[str], nodes: dict[str, Node], decls: Decls, wvar: Variable) -> Node:
    """Jacobians multiplied outermost first (mixed layout)."""
    names = [*order, wvar.name]
    js = []
    for i, name in enumerate(order):
        inp = _var(names[i + 1], decls)
        p = _problem("jacobian", nodes[name], inp, decls, "mixed")
        js.append(derive(p)[0].node)
    return tidy(E.matmul(*js)) if not any(j.is_scalar for j in js) else tidy(_product(js))


def _product(js: list[Node]) -> Node:
    out = js[0]
    for j in js[1:]:
        out = E.mul(out, j) if out.is_scalar or j.is_scalar else E.matmul(out, j)
    return out


def _compose(order: list[str], nodes: dict[str, Node], decls: Decls) -> Node:
    """The outermost step with every inner step substituted: the function taken directly."""
    return _substitute(nodes[order[0]], order, nodes, decls)


def _substitute(n: Node, order: list[str], nodes: dict[str, Node], decls: Decls) -> Node:
    mapping: dict[Node, Node] = {}
    for name in reversed(order):
        full = replace(nodes[name], mapping) if mapping else nodes[name]
        mapping[decls.get(name).node()] = full
    return replace(n, mapping)


def _agree(a: Node, b: Node, p: Problem) -> str:
    if a == b:
        return "the derivative of the composed expression is the same, symbolically"
    import numpy as np

    from ..evaluate.numeric import evaluate
    from ..evaluate.points import valid_point

    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(3):
        pt = valid_point([a, b], p.decls, rng)
        if pt is None:
            break
        va = np.asarray(evaluate(a, pt.values, pt.dims), dtype=float)
        vb = np.asarray(evaluate(b, pt.values, pt.dims), dtype=float)
        worst = max(worst, float(np.max(np.abs(va - vb)) / max(1.0, float(np.max(np.abs(vb))))))
    if worst < 1e-9:
        return f"the derivative of the composed expression is equal numerically (largest relative difference {worst:.1g}): {to_text(b)}"
    return f"DIFFERS from the derivative of the composed expression {to_text(b)} (relative difference {worst:.3g})"


__all__ = ["ChainResult", "Factor", "chain"]
