"""The derivation: differential, then the reading the command asks for, in the mixed layout.

    grad      pull the cotangent 1 back through dF: ⟨∇f, dX⟩ = df (reverse mode)
    vjp       pull v back: vᵀJ, shaped like the variable
    jvp       dF with dX := v (forward mode)
    hvp       H v, forward over reverse: the gradient's differential with dX := v (H never formed)
    jacobian  vec(dF) = J d vec(x) by the vec rules (forward mode)
    hessian   the Jacobian of the gradient
    --vec     d vec F / d vec(X)ᵀ for tensor derivatives

With --expand, declared variables of integer size are replaced by their entries first, so the
same rules give the componentwise answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .. import limits
from .. import ops as O
from ..errors import LimitError, MatcalcError, NotMatrixLevel
from ..expr.decls import Decls
from ..expr.node import Node, Shape, shape_str, size
from .differential import differential, replace
from .pullback import pullback
from .variables import Variable, components, expanded
from .vecform import vec_jacobian

KINDS = ("grad", "jacobian", "hessian", "vjp", "jvp", "hvp")


@dataclass
class Problem:
    """Everything a derivation needs, parsed and checked."""

    kind: str
    source: str
    node: Node  # the expression, canonical
    raw: Node  # the expression exactly as written (the reference --check differentiates)
    var: Variable
    decls: Decls
    family: dict
    layout: str = "mixed"
    vec: bool = False
    expand: bool = False
    v: Node | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Derivative:
    """A derivative in the mixed layout: a matrix (`form="matrix"`), or a linear map dF in dX
    (`form="map"`) when it is a tensor of order 3 or 4 and --vec was not asked for."""

    node: Node
    form: str = "matrix"
    dleaf: Node | None = None
    array: Node | None = None  # a map's full array: dF, or d∇f for a Hessian


def check_kind(p: Problem) -> None:
    """Which expressions each command takes (SPEC §1)."""
    f = p.node
    if p.kind in ("grad", "hessian", "hvp") and not f.is_scalar:
        other = {"grad": "jacobian", "hessian": "jacobian of its gradient"}.get(p.kind, "jvp")
        raise MatcalcError(
            f"{p.kind} needs a scalar expression, got {shape_str(f.shape)}; use {other}"
        )
    if p.kind in ("vjp", "jvp", "hvp") and p.v is None:
        raise MatcalcError(f"{p.kind} needs --v")
    if p.kind == "vjp" and p.v.shape != f.shape:
        raise MatcalcError(
            f"--v for vjp is shaped like the expression ({shape_str(f.shape)}), got {shape_str(p.v.shape)}"
        )
    if p.kind in ("jvp", "hvp") and p.v.shape != p.var.shape:
        raise MatcalcError(
            f"--v for {p.kind} is shaped like {p.var.name} ({shape_str(p.var.shape)}), got {shape_str(p.v.shape)}"
        )
    if p.var.symmetric and (
        p.kind in ("hessian", "hvp") or p.vec or (p.kind == "jacobian" and not f.is_scalar)
    ):
        raise MatcalcError(
            f"{p.var.name} is symmetric: a Hessian, Jacobian or vec form by a symmetric matrix has no "
            "single convention, so matcalc refuses it (docs/layouts.md); declare it without ,sym"
        )


def expand_env(p: Problem, node: Node) -> dict[str, Node]:
    """Every declared variable of integer size in the expression as the matrix of its entries."""
    env: dict[str, Node] = {}
    free = node.free() | (p.v.free() if p.v is not None else frozenset())
    for name, decl in p.decls.items.items():
        if name not in free or decl.shape == () or decl.node().shape == ():
            continue
        if not decl.integer_sized:
            raise MatcalcError(
                f"{name} has symbolic size {shape_str(decl.shape)}; componentwise derivatives "
                "need integer sizes (e.g. --let x:3)"
            )
        if size(decl.shape) > limits.MAX_ENTRIES:
            raise LimitError(
                f"{name} has {size(decl.shape)} entries, over the limit {limits.MAX_ENTRIES}"
            )
        comps = components(decl.node(), decl.shape, decl.symmetric)
        r, c = (int(d) for d in decl.shape)
        env[name] = O.lit([comps[i * c : (i + 1) * c] for i in range(r)])
    return env


def _explicit_first(p: Problem) -> bool:
    """An expression built of explicit literals ([[x1, x2], [x2, x1]]) is differentiated entry by
    entry: its answer is explicit anyway, and reads as the entries' own formulas."""
    from ..expr.node import postorder
    from ..ops import is_scalar_lit

    if p.var.kind == "whole" and p.var.shape != ():
        return False
    nodes = postorder([p.node])
    if not any(is_scalar_lit(m) and len(m.args) > 1 for m in nodes):
        return False
    if any(not sp.sympify(d).is_Integer for m in nodes for d in m.shape):  # safe: dimensions
        return False  # ones(m, 3) [t, t, 1]: a symbolic size keeps the matrix-level form
    return all(d.integer_sized for d in p.decls.items.values() if d.name in p.node.free())


def derive(p: Problem) -> tuple[Derivative, str]:
    """The mixed-layout derivative and the engine that found it ('matrix' or 'components')."""
    check_kind(p)
    if not p.expand and _explicit_first(p):
        return _componentwise(p), "components"
    if not p.expand:
        try:
            return _derive(p, p.node, p.var, p.v), "matrix"
        except NotMatrixLevel as why:
            integer = all(
                d.integer_sized for d in p.decls.items.values() if d.name in p.node.free()
            )
            if not integer:
                raise MatcalcError(
                    f"no matrix-level form here ({why}); give integer sizes to get components"
                ) from None
            p.notes.append(f"no matrix-level form ({why}); computed componentwise")
    return _componentwise(p), "components"


def _componentwise(p: Problem) -> Derivative:
    from ..evaluate.explicit import expand

    env = expand_env(p, p.node)
    f = expand(p.node, env)
    v = expand(p.v, env) if p.v is not None else None
    var = expanded(p.var, p.decls)
    _check_result_size(p, f, var)
    return _derive(p, f, var, v)


def derive_together(ps: list[Problem]) -> list[tuple[Derivative, str]] | None:
    """Gradients (or vᵀJ) by several variables from ONE reverse pass: the differential by all of
    them at once, one pullback, each variable's cotangent read off. None when not applicable."""
    if len(ps) < 2 or ps[0].kind not in ("grad", "vjp") or any(p.expand for p in ps):
        return None
    if any(p.var.kind != "whole" or (p.vec and p.kind == "grad") for p in ps):
        return None
    for p in ps:
        check_kind(p)
    leaves: dict[Node, Node] = {}
    for p in ps:
        leaves.update(p.var.leaves())
    first = ps[0]
    df = differential(first.node, leaves)
    seed = first.v if first.kind == "vjp" else O.num(1)
    cots = pullback(df, seed, list(leaves.values()))
    return [(Derivative(p.var.gradient(cots)), "matrix") for p in ps]


def _check_result_size(p: Problem, f: Node, var: Variable) -> None:
    nf, nx = size(f.shape), var.width
    total = nx * nx if p.kind == "hessian" else nf * nx
    if total.is_Integer and total > limits.MAX_ENTRIES:
        raise LimitError(
            f"the componentwise result would have {total} entries, over the limit {limits.MAX_ENTRIES}; "
            "use symbolic sizes for the matrix form"
        )


def _derive(p: Problem, f: Node, x: Variable, v: Node | None) -> Derivative:
    leaves = x.leaves()
    dleaves = list(leaves.values())
    df = differential(f, leaves)
    kind = p.kind
    if kind == "vjp":
        return Derivative(x.gradient(pullback(df, v, dleaves)))
    if kind == "jvp":
        return Derivative(replace(df, x.directions(v)))
    if kind == "hvp":  # d(∇f) along v: forward over reverse, H itself never formed
        g = x.gradient(pullback(df, O.num(1), dleaves))
        return Derivative(replace(differential(g, leaves), x.directions(v)))
    if x.shape == ():
        one = {dleaves[0]: O.num(1)}
        d1 = replace(df, one)
        if kind == "hessian":
            return Derivative(replace(differential(d1, leaves), one))
        return Derivative(O.vec(d1) if p.vec else d1)
    vector_like = x.shape[1] == 1
    if p.vec and kind != "hessian":
        return Derivative(_jacobian(df, x))
    if f.is_scalar:
        g = x.gradient(pullback(df, O.num(1), dleaves))
        if kind != "hessian":
            return Derivative(g)
        dg = differential(g, leaves)
        if vector_like or p.vec:
            return Derivative(_jacobian(dg, x))
        dx, dg = _whole_leaf(x, dg)
        return Derivative(O.inner(dx, dg), "map", dx, dg)  # d²f = ⟨dX, d∇f⟩
    if (f.is_vector or f.is_row) and vector_like:
        return Derivative(_jacobian(df, x))
    dx, df = _whole_leaf(x, df)
    return Derivative(df, "map", dx, df)


def _whole_leaf(x: Variable, d: Node) -> tuple[Node, Node]:
    """A map in the differentials of x's entries, written in dX itself: dX[i,j] for each."""
    if x.kind == "whole":
        return x.dleaf(x.nodes[0]), d
    if x.symmetric:
        raise MatcalcError(
            f"{x.name} is symmetric: its tensor derivatives are refused (docs/layouts.md)"
        )
    dx = O.dvar(x.name, x.shape)
    c = int(x.shape[1])
    mapping = {x.dleaf(u): O.entry(dx, *divmod(k, c)) for k, u in enumerate(x.nodes)}
    return dx, replace(d, mapping)


def _jacobian(df: Node, x: Variable) -> Node:
    return vec_jacobian(df, x.leaf_k(), x.row, x.width)


def jacobian_by(f: Node, x: Variable) -> Node:
    """d vec f / d vec(x)ᵀ of an expression (the chain rule's factors use it)."""
    return _jacobian(differential(f, x.leaves()), x)


def symbolic_size(shape: Shape) -> bool:
    return any(not d.is_Integer for d in shape)


__all__ = ["KINDS", "Derivative", "Problem", "derive", "jacobian_by", "sp"]
