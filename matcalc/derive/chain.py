"""`matcalc chain`: the chain rule through named steps, every factor with its shape.

Steps are `NAME = EXPR`, in any order; they form a graph (a step may use any other step and any
variable), with one output: the step no other step uses. A `--wrt` variable may occur in any
step; every path from the output to it contributes (the multivariate chain rule). For a scalar
output the result is computed as backpropagation does it: the adjoints δ_s = ∂L/∂s of the steps
in reverse order, each weight's gradient read off its δ (∂L/∂W2 = δ_s zᵀ) — one reverse pass for
every `--wrt` name. A vector output multiplies Jacobians. The result is compared with the
derivative of the composed expression taken directly. This module gives data (steps, paths,
factors, adjoints as nodes), one `ChainDerivation` per name; the API returns each as the `chain`
of a `Result`, and render/chain.py prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .. import ops as E
from ..errors import MatcalcError, quote
from ..expr.decls import Decl, Decls
from ..expr.node import Node, shape_list
from ..options import Options
from ..reader import parse
from ..simplify.tidy import tidy
from ..syntax.lexer import tokenize
from ..syntax.names import check_name
from .differential import differential, replace
from .engine import Problem, derive
from .layout import to_layout
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
    jacobian: Node | None = None  # d vec out / d vec(in)ᵀ, for the cost of the products

    @property
    def name(self) -> str:
        """A partial derivative: the total dL/dW is the chain rule's sum over the paths."""
        return f"∂{self.out}/∂{self.inp}"

    @property
    def shape(self) -> str:
        dims = shape_list(self.node.shape)
        return "×".join(_dim(d) for d in dims) if dims else "scalar"


@dataclass
class Path:
    """One path from the output to the variable: its factors, the chain-rule formula, the shapes."""

    names: list[str]
    factors: list[Factor]
    formula: str
    shapes: str


@dataclass
class Adjoint:
    """δ_s = ∂L/∂s: in terms of the δ's computed before it, and written out."""

    step: str
    node: Node
    full: Node


@dataclass
class ChainDerivation:
    """The steps, each path's factors, the adjoints, the result, and how it was confirmed: the
    `chain` of the `Result` that the API returns (render/chain.py prints it)."""

    wrt: str
    layout: str
    steps: list[tuple[str, Node]]
    paths: list[Path]
    node: Node
    direct: Node
    agreement: str
    adjoints: list[Adjoint] = field(default_factory=list)
    via: Node | None = None  # the result in terms of the δ's
    check_error: float | None = None
    check_ok: bool | None = None  # None with check_refusal: --check could give no verdict
    check_refusal: str = ""
    notes: list[str] = field(default_factory=list)
    kind: str = "chain"
    problem: Problem | None = None
    mode: str | None = None
    form: str = "matrix"  # "map" for a tensor result, printed dF = L(dX)
    dleaf: Node | None = None
    array: Node | None = None
    f_shape: tuple = ()

    @property
    def factors(self) -> list[Factor]:
        return self.paths[0].factors if self.paths else []

    @property
    def formula(self) -> str:
        return (
            self.paths[0].formula
            if len(self.paths) == 1
            else " + ".join(p.formula.split(" = ", 1)[1] for p in self.paths)
        )

    @property
    def shapes(self) -> str:
        return self.paths[0].shapes if self.paths else ""

    @property
    def outer(self) -> str:
        return self.steps[0][0]


def _split(step: str) -> tuple[str, str]:
    name, eq, body = step.partition("=")
    if not eq or not body.strip():
        raise MatcalcError(f"chain step {quote(step)}: expected NAME = EXPR")
    name = name.strip()
    check_name(name, "chain step")
    return name, body.strip()


def _uses(body: str) -> set[str]:
    return {t.text for t in tokenize(body) if t.kind == "name"}


def _order(defs: dict[str, str]) -> tuple[list[str], dict[str, set[str]]]:
    """Outermost first, every step before the steps it uses; the uses of each step."""
    uses = {n: _uses(b) & set(defs) for n, b in defs.items()}
    users = {n: [m for m in defs if n in uses[m]] for n in defs}
    outer = [n for n in defs if not users[n]]
    if len(outer) != 1:
        names = ", ".join(outer) if outer else "none (a cycle)"
        raise MatcalcError(
            f"chain steps must have one output, a step no other step uses; found {names}"
        )
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:  # depth-first; a step is placed after all the steps that use it
        if state.get(n) == 1:
            raise MatcalcError(f"the chain steps use each other in a cycle through {n}")
        if state.get(n) == 2:
            return
        state[n] = 1
        for m in users[n]:
            visit(m)
        state[n] = 2
        order.append(n)

    for n in defs:
        visit(n)
    order.reverse()  # now users come first
    order.sort(key=lambda n: _depth(n, users))
    if set(order) != set(defs):
        raise MatcalcError("some steps are not part of the chain")
    return order, uses


def _depth(n: str, users: dict[str, list[str]]) -> int:
    return 0 if not users[n] else 1 + max(_depth(m, users) for m in users[n])


def _scalar_decl(name: str) -> Decl:
    return Decl(name, ())


def _var(name: str, decls: Decls) -> Variable:
    d = decls.get(name)
    if d is None:
        return Variable(name, (), "whole", (E.var(name),))
    node = d.node()
    return Variable(name, node.shape, "whole", (node,), d.symmetric)


def _problem(
    kind: str, node: Node, var: Variable, decls: Decls, layout: str, vec: bool = False
) -> Problem:
    return Problem(kind, "", node, node, var, decls, {}, layout, vec)


def final_layout(p: Problem, mixed: Node) -> Node:
    return to_layout(p.kind, mixed, p.node.shape, p.var.shape, p.layout, p.vec)


def _factor(out: str, node: Node, inp: Variable, decls: Decls, layout: str) -> Factor:
    """d(out)/d(inp) in the layout; a tensor (vector or matrix by matrix) in vec form."""
    tensor = (
        not node.is_scalar
        and inp.shape != ()
        and (inp.shape[1] != 1 or not (node.is_vector or node.is_row))
    )
    kind = "grad" if node.is_scalar else "jacobian"
    p = _problem(kind, node, inp, decls, layout, tensor)
    mixed = derive(p)[0].node
    jac = None
    if not node.is_scalar or inp.shape != ():
        jac = tidy(derive(_problem("jacobian", node, inp, decls, "numerator", True))[0].node)
    return Factor(out, inp.name, final_layout(p, tidy(mixed)), tensor, node.is_scalar, jac)


def _formula(names: list[str], scalar_out: bool, layout: str, factors: list[Factor]) -> str:
    top, bottom = names[0], names[-1]
    head = f"d{top}/d{bottom} = "
    fnames = [f.name for f in factors]
    if layout == "numerator" or (layout == "mixed" and not scalar_out):
        return head + " · ".join(fnames)
    if layout == "denominator":
        spec = " ".join((f"({f.name})ᵀ" if not f.scalar_out else f.name) for f in reversed(factors))
        return (
            head
            + " · ".join(reversed(fnames))
            + f"   (each a transposed Jacobian: = {spec} in mixed terms)"
        )
    return head + " ".join(
        (f"({f.name})ᵀ" if not f.scalar_out else f.name) for f in reversed(factors)
    )


def _shape_line(
    factors: list[Factor], result: Node, formula_order: list[Factor], transposed: set[str]
) -> str:
    """The factors' shapes in the order the formula multiplies them, and the product's shape."""
    parts, shapes = [], []
    vec_path = any(f.vec for f in formula_order)
    for k, f in enumerate(formula_order):
        s = f.node.shape if f.node.shape != () else (sp.Integer(1), sp.Integer(1))
        if f.name in transposed:
            s = (s[1], s[0])
        if vec_path and f.scalar_out and 1 not in s:  # a matrix gradient meets vec Jacobians
            s = (1, s[0] * s[1]) if k == 0 else (s[0] * s[1], 1)  # as vec, a row first
        shapes.append(s)
        parts.append(f"({_dim(s[0])}×{_dim(s[1])})")
    rows, cols = shapes[0][0], shapes[-1][1]
    product = f"{_dim(rows)}×{_dim(cols)}"
    out = "scalar" if result.shape == () else f"{_dim(result.shape[0])}×{_dim(result.shape[1])}"
    if product != out and result.shape != ():
        vec = "vec" if cols == 1 else "vec(…)ᵀ"
        out = f"{product} = {vec} of {out}"
    elif result.shape == ():
        out = "1×1 (scalar)" if product == "1×1" else f"{product} → scalar"
    return " ".join(parts) + f" → {out}"


def _dim(d: object) -> str:
    """A dimension as a factor of a shape: (n - 1)×n, not n - 1×n."""
    text = str(d).replace("**2", "²").replace("**3", "³").replace("*", "")
    return f"({text})" if " + " in text or " - " in text else text


def _paths(
    start: str, target: str, uses: dict[str, set[str]], free: dict[str, frozenset]
) -> list[list[str]]:
    """Every path of steps from `start` to the variable `target`."""
    out: list[list[str]] = []

    def walk(n: str, trail: list[str]) -> None:
        if target in free[n]:
            out.append([*trail, target])
        for m in sorted(uses[n]):
            walk(m, [*trail, m])

    walk(start, [start])
    return out


def chain(steps: list[str], wrt: str, options: Options) -> list[ChainDerivation]:
    """The chain rule through named steps (in any order): one derivation per `--wrt` name, with
    the options' layout, `check` and `mode` (checked when the Options was made)."""
    let, layout, check, mode = options.let, options.layout, options.check, options.mode
    if not steps:
        raise MatcalcError("chain needs at least one step NAME = EXPR")
    defs: dict[str, str] = {}
    for s in steps:
        name, body = _split(s)
        if name in defs:
            raise MatcalcError(f"step {name} is defined twice")
        defs[name] = body
    decls = Decls.parse(let)
    names = [w.strip() for w in wrt.split(",")]
    for w in names:
        check_name(w, "--wrt")
        if w in defs:
            raise MatcalcError(f"{w} is a step; differentiate by a variable the steps use")
    for n in defs:
        if decls.get(n) is not None:
            raise MatcalcError(f"{n} is both a step and a declared variable")
    order, uses = _order(defs)
    nodes: dict[str, Node] = {}
    for name in reversed(order):  # every step after the steps it uses: their shapes declare them
        nodes[name] = parse(defs[name], decls).node
        decls.items[name] = (
            Decl(name, nodes[name].shape) if nodes[name].shape != () else _scalar_decl(name)
        )
    free = {n: nodes[n].free() - set(defs) for n in order}
    for w in names:
        if not any(w in free[n] for n in order):
            raise MatcalcError(f"no step uses {w}")
    adjoints = _adjoints(order, uses, nodes, decls) if nodes[order[0]].is_scalar else []
    return [_one(w, order, uses, nodes, decls, free, layout, adjoints, check, mode) for w in names]


def _delta(name: str, decls: Decls) -> Node:
    d = decls.get(name)
    return E.var(f"delta_{name}", d.node().shape if d is not None else ())


def _adjoints(
    order: list[str], uses: dict[str, set[str]], nodes: dict[str, Node], decls: Decls
) -> list[Adjoint]:
    """δ of every step but the output, in reverse-mode order: δ_u = Σ over its users s of the
    pullback of δ_s through s — as a formula in the δ's, and written out."""
    out: list[Adjoint] = []
    full: dict[str, Node] = {order[0]: E.num(1)}
    for u in order[1:]:
        terms, expanded = [], []
        for s in order:
            if u in uses[s]:
                g = _pull(nodes[s], _var(u, decls), _delta(s, decls) if s != order[0] else E.num(1))
                terms.append(g)
                expanded.append(_pull(nodes[s], _var(u, decls), full[s]))
        node = tidy(E.add(*terms))
        full[u] = tidy(E.add(*expanded))
        out.append(Adjoint(u, node, full[u]))
    return out


def _pull(node: Node, var: Variable, cot: Node) -> Node:
    leaves = var.leaves()
    cots = pullback(differential(node, leaves), cot, list(leaves.values()))
    return var.gradient(cots)


def _one(
    w: str,
    order: list[str],
    uses: dict[str, set[str]],
    nodes: dict[str, Node],
    decls: Decls,
    free: dict[str, frozenset],
    layout: str,
    adjoints: list[Adjoint],
    check: bool,
    mode: str | None,
) -> ChainDerivation:
    wvar = _var(w, decls)
    scalar_out = nodes[order[0]].is_scalar
    paths, pending = [], []
    for trail in _paths(order[0], w, uses, free):
        factors = [
            _factor(trail[i], nodes[trail[i]], _var(trail[i + 1], decls), decls, layout)
            for i in range(len(trail) - 1)
        ]
        transposed = {
            f.name for f in factors if layout == "mixed" and scalar_out and not f.scalar_out
        }
        ordered = (
            factors
            if (layout == "numerator" or (layout == "mixed" and not scalar_out))
            else list(reversed(factors))
        )
        paths.append(Path(trail, factors, _formula(trail, scalar_out, layout, factors), ""))
        pending.append((factors, ordered, transposed))
    if scalar_out:
        deltas = {a.step: a for a in adjoints}
        via_terms, full_terms = [], []
        for s in order:
            if w in free[s]:
                cot = _delta(s, decls) if s != order[0] else E.num(1)
                via_terms.append(_pull(nodes[s], wvar, cot))
                full_terms.append(
                    _pull(nodes[s], wvar, deltas[s].full if s in deltas else E.num(1))
                )
        via, mixed = tidy(E.add(*via_terms)), tidy(E.add(*full_terms))
    kind = "grad" if scalar_out else "jacobian"
    composed = _compose(order, nodes, decls)
    p = _problem(kind, composed, wvar, decls, layout)
    direct_d = derive(p)[0]
    direct_mixed = tidy(direct_d.node)
    if not scalar_out and direct_d.form == "map":  # a tensor: compose the steps' linear maps
        via, mixed = None, tidy(_forward_maps(paths, nodes, decls, wvar))
    elif not scalar_out:
        via, mixed = None, tidy(_forward(paths, nodes, decls))
    if wvar.symmetric and scalar_out:
        half = E.num(sp.Rational(1, 2))
        mixed = E.mul(half, E.add(mixed, E.transpose(mixed)))
        via = E.mul(half, E.add(via, E.transpose(via)))
    is_map = not scalar_out and direct_d.form == "map"
    result = tidy(mixed) if is_map else final_layout(p, tidy(mixed))
    direct = direct_mixed if is_map else final_layout(p, direct_mixed)
    for path, (factors, ordered, transposed) in zip(paths, pending, strict=True):
        path.shapes = _shape_line(factors, result, ordered, transposed)
    agreement = _agree(tidy(_substitute(mixed, order, nodes, decls)), direct_mixed, p)
    out = ChainDerivation(
        w,
        layout,
        [(n, nodes[n]) for n in order],
        paths,
        result,
        direct,
        agreement,
        adjoints,
        final_layout(p, via) if via is not None else None,
        problem=p,
        mode=mode,
    )
    if is_map:
        out.form, out.dleaf, out.array, out.f_shape = (
            "map",
            direct_d.dleaf,
            out.node,
            composed.shape,
        )
    if check:
        from ..evaluate.check import fd_check

        report = fd_check(p, direct, direct_d.dleaf if is_map else None)
        out.check_error, out.check_ok = (
            report.error,
            report.ok and not agreement.startswith("DIFFERS"),
        )
        if report.refusal and not agreement.startswith("DIFFERS"):
            out.check_ok, out.check_refusal = None, report.refusal
    return out


def _forward_maps(paths: list[Path], nodes: dict[str, Node], decls: Decls, wvar: Variable) -> Node:
    """A tensor by W: along each path, each step's differential applied to the one inside it
    (forward mode), starting from dW; the paths' maps summed."""
    dw = wvar.dleaf(wvar.nodes[0])
    terms = []
    for path in paths:
        t = dw
        for i in range(len(path.names) - 2, -1, -1):
            inner = _var(path.names[i + 1], decls)
            leaf = inner.dleaf(inner.nodes[0])
            t = replace(differential(nodes[path.names[i]], {inner.nodes[0]: leaf}), {leaf: t})
        terms.append(t)
    return E.add(*terms)


def _forward(paths: list[Path], nodes: dict[str, Node], decls: Decls) -> Node:
    """Vector output: the Jacobians along each path multiplied outermost first, summed (mixed)."""
    terms = []
    for path in paths:
        js = []
        for i in range(len(path.names) - 1):
            inp = _var(path.names[i + 1], decls)
            js.append(
                derive(_problem("jacobian", nodes[path.names[i]], inp, decls, "mixed"))[0].node
            )
        terms.append(_product(js))
    return E.add(*terms)


def _product(js: list[Node]) -> Node:
    out = js[0]
    for j in js[1:]:
        out = E.mul(out, j) if out.is_scalar or j.is_scalar else E.matmul(out, j)
    return out


def _compose(order: list[str], nodes: dict[str, Node], decls: Decls) -> Node:
    """The output step with every inner step substituted: the function taken directly."""
    return _substitute(nodes[order[0]], order, nodes, decls)


def _substitute(n: Node, order: list[str], nodes: dict[str, Node], decls: Decls) -> Node:
    mapping: dict[Node, Node] = {}
    for name in reversed(order):
        mapping[decls.get(name).node()] = replace(nodes[name], mapping) if mapping else nodes[name]
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
        return (
            "the derivative of the composed expression is equal numerically "
            f"(largest relative difference {worst:.1g}): {b!r}"  # a node's repr is its text
        )
    return f"DIFFERS from the derivative of the composed expression {b!r} (relative difference {worst:.3g})"


# ---------------------------------------------------------------- forward versus reverse


def _jacobian_shapes(r: ChainDerivation) -> list[tuple[sp.Expr, sp.Expr]]:
    """The numerator-layout Jacobians of the (first) path, outermost first: the product chain."""
    shapes = []
    for f in r.paths[0].factors:
        if f.jacobian is None:
            shapes.append((sp.Integer(1), sp.Integer(1)))
        else:
            s = f.jacobian.shape if f.jacobian.shape else (sp.Integer(1), sp.Integer(1))
            shapes.append((s[0], s[1]))
    return shapes


def _products(shapes, names, left: bool) -> tuple[list[str], sp.Expr]:
    """The products of a Jacobian chain in one order: each with its shapes and inner products."""
    lines, total = [], sp.Integer(0)
    seq = list(zip(shapes, names, strict=True))
    if not left:
        seq.reverse()
    (rows, cols), acc = seq[0]
    for (r2, c2), nm in seq[1:]:
        if left:
            cost = rows * c2
            lines.append(
                f"  ({acc}) · {nm}   {_dim(rows)}×{_dim(cols)} times {_dim(r2)}×{_dim(c2)}: {_cost(cost)}"
            )
            acc, cols = f"{acc} · {nm}", c2
        else:
            cost = r2 * cols
            lines.append(
                f"  {nm} · ({acc})   {_dim(r2)}×{_dim(c2)} times {_dim(rows)}×{_dim(cols)}: {_cost(cost)}"
            )
            acc, rows = f"{nm} · {acc}", r2
        total += cost
    return lines, sp.expand(total)


def mode_lines(r: ChainDerivation) -> list[str]:
    """The order of the Jacobian products in forward or reverse mode, what each costs (an inner
    product is one entry of one matrix product), and the total of the other order beside it."""
    shapes = _jacobian_shapes(r)
    names = [f.name for f in r.paths[0].factors]
    left = r.mode == "reverse"
    lines, total = _products(shapes, names, left)
    _, other = _products(shapes, names, not left)
    head = (
        "reverse mode: the Jacobians (numerator layout) multiplied left to right, from the output"
        if left
        else "forward mode: the Jacobians (numerator layout) multiplied right to left, from the input"
    )
    return [
        head,
        *lines,
        f"total: {_cost(total)}; the other order ({'forward' if left else 'reverse'} mode) takes {_cost(other)}",
    ]


def _cost(c: sp.Expr) -> str:
    c = sp.expand(c)
    return f"{c} inner product{'s' if c != 1 else ''}".replace("**2", "²").replace("*", "")


__all__ = ["ChainDerivation", "Factor", "chain", "mode_lines"]
