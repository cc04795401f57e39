"""The derivation: which variable, which engine, which extraction, which layout.

Matrix level (symbolic sizes, and integer sizes unless `--expand`): differentiate with the rule
table, then pull back (gradients, vᵀJ), push forward (Jacobians, Hessians) or vectorize.
Componentwise (indexed families x1, x2, …, lists of scalars, explicit literals, `--expand`):
expand into SymPy scalars and differentiate those. Both give the mixed layout; layout.py converts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from . import expr as E
from . import limits, linear
from .errors import LimitError, MatcalcError, NotMatrixLevel
from .explicit import component_names, component_symbols, explicit
from .expr import Node, Shape, shape_str
from .layout import check_layout, to_layout
from .parse import _FAMILY, parse_family
from .reverse import gradient_entries
from .rules import differential
from .shapes import Decls, check_name

KINDS = ("grad", "jacobian", "hessian", "vjp", "jvp")


@dataclass(frozen=True)
class Variable:
    """What `--wrt` names: a declared vector/matrix, a family x1…xn, a list, or a scalar."""

    name: str
    shape: Shape
    symmetric: bool = False
    components: sp.ImmutableMatrix | None = None
    declared: bool = False

    def dnode(self) -> Node:
        return E.dsym(self.name, self.shape)


@dataclass
class Problem:
    """Everything a derivation needs, parsed and checked."""

    kind: str
    source: str
    node: Node
    var: Variable
    decls: Decls
    family: dict[tuple[str, int], sp.Symbol]
    layout: str = "mixed"
    vec: bool = False
    expand: bool = False
    v: Node | None = None
    notes: list[str] = field(default_factory=list)


def resolve_wrt(wrt: str, decls: Decls, family: dict[tuple[str, int], sp.Symbol]) -> Variable:
    """SPEC §1: a declared name, a family of indexed scalars, a comma list, or a scalar."""
    wrt = wrt.strip()
    if "," in wrt:
        names = [w.strip() for w in wrt.split(",")]
        comps = []
        for name in names:
            check_name(name, "--wrt")
            decl = decls.get(name)
            if decl is not None:
                raise MatcalcError(
                    f"--wrt lists scalars, but {name} is declared {shape_str(decl.shape)}"
                )
            m = _FAMILY.match(name)
            key = (m.group(1), int(m.group(2))) if m else None
            comps.append(family.get(key) if key in family else E.scalar_symbol(name))
        if len(set(comps)) != len(comps):
            raise MatcalcError("--wrt lists the same name twice")
        return Variable(wrt, (sp.Integer(len(comps)), E.ONE), components=sp.ImmutableMatrix(comps))
    check_name(wrt, "--wrt")
    decl = decls.get(wrt)
    if decl is not None:
        return Variable(wrt, decl.shape, decl.symmetric, declared=True)
    members = sorted((idx, s) for (base, idx), s in family.items() if base == wrt)
    if members:
        comps = sp.ImmutableMatrix([s for _, s in members])
        return Variable(wrt, (sp.Integer(len(members)), E.ONE), components=comps)
    return Variable(wrt, ())


def _has_op(n: Node, op: str) -> bool:
    return n.op == op or any(_has_op(a, op) for a in n.args)


def uses_components(p: Problem) -> bool:
    return p.var.components is not None or p.expand or _has_op(p.node, "lit")


# ---------------------------------------------------------------- matrix level


def matrix_level(p: Problem) -> Node:
    """The derivative in the mixed layout, in matrix notation."""
    f, var, dx = p.node, p.var, p.var.dnode()
    df = differential(f, var.name, dx)
    if var.shape == ():
        d1 = E.replace(df, {dx: E.scalar(1)})
        if p.kind == "hessian":
            return E.replace(differential(d1, var.name, dx), {dx: E.scalar(1)})
        if p.kind == "vjp":
            return linear.inner(p.v, d1)
        if p.kind == "jvp":
            return E.mul(p.v, d1)
        return d1
    if p.kind == "vjp":
        return linear.pullback(df, p.v, dx)
    if p.kind == "jvp":
        return E.replace(df, {dx: p.v})
    if p.vec and p.kind != "hessian":
        return linear.vec_forward(df, dx)
    if f.is_scalar:
        grad = linear.pullback(df, E.scalar(1), dx)
        if p.kind != "hessian":
            return grad
        dgrad = differential(grad, var.name, dx)
        if var.shape[1] == 1:
            return linear.forward(dgrad, dx)
        if p.vec:
            return linear.vec_forward(dgrad, dx)
        raise _tensor_error("the Hessian by a matrix", p)
    if f.is_vector and var.shape[1] == 1:
        return linear.forward(df, dx)
    raise _tensor_error(f"the derivative of a {shape_str(f.shape)} by a {shape_str(var.shape)}", p)


def _tensor_error(what: str, p: Problem) -> MatcalcError:
    return MatcalcError(
        f"{what} is a tensor of order 3 or 4, which has no matrix form; "
        f"use --vec for d vec F / d vec({p.var.name})ᵀ"
    )


# ---------------------------------------------------------------- componentwise


def component_env(node: Node, decls: Decls, extra: Node | None = None) -> dict[str, object]:
    """Every declared variable in the expression as a matrix of component symbols."""
    env: dict[str, object] = {}
    free = node.free() | (extra.free() if extra is not None else frozenset())
    for name, decl in decls.items.items():
        if name not in free:
            continue
        if not decl.integer_sized:
            raise MatcalcError(
                f"{name} has symbolic size {shape_str(decl.shape)}; componentwise derivatives "
                "need integer sizes (e.g. --let x:3)"
            )
        comps = component_symbols(name, decl.shape)
        if decl.symmetric:
            comps = _symmetrized(comps)
        env[name] = comps
    return env


def _symmetrized(comps: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """A symmetric matrix of components: (i, j) and (j, i) share the symbol of the upper one."""
    n = comps.shape[0]
    return sp.ImmutableMatrix(
        n, n, [comps[min(i, j), max(i, j)] for i in range(n) for j in range(n)]
    )


def componentwise(p: Problem) -> Node:
    """The derivative in the mixed layout, entry by entry."""
    env = component_env(p.node, p.decls, p.v)
    f = explicit(p.node, env)
    var = p.var
    if var.components is not None:
        x = var.components
    elif var.declared:
        x = env.get(var.name) or component_symbols(var.name, var.shape)
    else:
        x = E.scalar_symbol(var.name)
    v = explicit(p.v, env) if p.v is not None else None
    _check_result_size(p, f, x)
    out = _componentwise(p, f, x, v)
    return E.matrix(out) if _is_mat(out) else E.scalar(out)


def _check_result_size(p: Problem, f: object, x: object) -> None:
    """Refuse a componentwise result over the entry limit before computing it."""
    nf = len(f) if _is_mat(f) else 1
    nx = len(x) if _is_mat(x) else 1
    size = nx * nx if p.kind == "hessian" else nf * nx
    if size > limits.MAX_ENTRIES:
        raise LimitError(
            f"the componentwise result would have {size} entries, over the limit {limits.MAX_ENTRIES}; "
            "use symbolic sizes for the matrix form"
        )


def _is_mat(v: object) -> bool:
    return isinstance(v, sp.MatrixBase)


def _jacobian(f: sp.MatrixBase, x: sp.MatrixBase) -> sp.ImmutableMatrix:
    xs = list(x)
    return sp.ImmutableMatrix([gradient_entries(e, xs) for e in f])


def _grad_like(f: sp.Expr, x: sp.MatrixBase) -> sp.ImmutableMatrix:
    """∂f/∂xᵢⱼ shaped like x; a symbol shared by (i,j) and (j,i) (symmetric x) counts half each."""
    counts: dict[sp.Symbol, int] = {}
    for s in x:
        counts[s] = counts.get(s, 0) + 1
    grads = gradient_entries(f, list(dict.fromkeys(x)))
    by_symbol = dict(zip(dict.fromkeys(x), grads, strict=True))
    return sp.ImmutableMatrix(x.shape[0], x.shape[1], [by_symbol[s] / counts[s] for s in x])


def _vec_of(m: object) -> sp.ImmutableMatrix:
    m = m if _is_mat(m) else sp.ImmutableMatrix([[m]])
    return sp.ImmutableMatrix(m.T.reshape(m.shape[0] * m.shape[1], 1))


def _componentwise(p: Problem, f: object, x: object, v: object) -> object:
    kind = p.kind
    if not _is_mat(x):  # by a scalar
        d = sp.diff(f, x) if not _is_mat(f) else sp.ImmutableMatrix(f.diff(x))
        if kind == "hessian":
            return sp.diff(d, x)
        if kind == "vjp":
            return sum(a * b for a, b in zip(_flat(v), _flat(d), strict=True))
        if kind == "jvp":
            return d * v
        return d
    if kind == "vjp":
        s = sum(a * b for a, b in zip(_flat(v), _flat(f), strict=True))
        return _grad_like(s, x)
    if kind == "jvp":
        vv = _flat(v)
        if _is_mat(f):
            return sp.ImmutableMatrix(
                f.shape[0],
                f.shape[1],
                [sum(sp.diff(e, s) * w for s, w in zip(x, vv, strict=True)) for e in f],
            )
        return sum(sp.diff(f, s) * w for s, w in zip(x, vv, strict=True))
    if p.vec and kind != "hessian":
        return _jacobian(_vec_of(f), _vec_of(x))
    if not _is_mat(f):
        g = _grad_like(f, x)
        if kind != "hessian":
            return g
        if x.shape[1] == 1:
            return _jacobian(g, x)
        if p.vec:
            flat = _vec_of(x)
            return _jacobian(sp.ImmutableMatrix(gradient_entries(f, list(flat))), flat)
        raise _tensor_error("the Hessian by a matrix", p)
    if f.shape[1] == 1 and x.shape[1] == 1:
        return _jacobian(f, x)
    raise _tensor_error(
        f"the derivative of a {f.shape[0]}×{f.shape[1]} by a {x.shape[0]}×{x.shape[1]}", p
    )


def _flat(v: object) -> list:
    return list(v) if _is_mat(v) else [v]


# ---------------------------------------------------------------- the whole derivation


def check_kind(p: Problem) -> None:
    """Which expressions each command takes (SPEC §1)."""
    f = p.node
    if p.kind in ("grad", "hessian") and not f.is_scalar:
        other = "jacobian" if p.kind == "grad" else "jacobian of its gradient"
        raise MatcalcError(
            f"{p.kind} needs a scalar expression, got {shape_str(f.shape)}; use {other}"
        )
    if p.kind in ("vjp", "jvp") and p.v is None:
        raise MatcalcError(f"{p.kind} needs --v")
    if p.kind == "vjp" and p.v.shape != f.shape:
        raise MatcalcError(
            f"--v for vjp is shaped like the expression ({shape_str(f.shape)}), got {shape_str(p.v.shape)}"
        )
    if p.kind == "jvp" and p.v.shape != p.var.shape:
        raise MatcalcError(
            f"--v for jvp is shaped like {p.var.name} ({shape_str(p.var.shape)}), got {shape_str(p.v.shape)}"
        )


def derive(p: Problem) -> tuple[Node, str]:
    """The mixed-layout derivative and the engine that found it ('matrix' or 'components')."""
    check_kind(p)
    if not uses_components(p):
        try:
            out = matrix_level(p)
        except NotMatrixLevel as why:
            if not all(d.integer_sized for d in p.decls.items.values() if d.name in p.node.free()):
                raise MatcalcError(
                    f"no matrix-level form here ({why}); give integer sizes to get components"
                ) from None
            p.notes.append(f"no matrix-level form ({why}); computed componentwise")
        else:
            return _project(p, out), "matrix"
    return _project(p, componentwise(p)), "components"


def _project(p: Problem, out: Node) -> Node:
    """Gradient by a symmetric matrix: the gradient in the space of symmetric matrices."""
    if (
        p.var.symmetric
        and not p.vec
        and (p.kind == "vjp" or (p.kind in ("grad", "jacobian") and p.node.is_scalar))
    ):
        if out.op == "matrix":  # componentwise: already the gradient in symmetric space
            return out
        return E.mul(E.scalar(sp.Rational(1, 2)), E.add(out, E.transpose(out)))
    return out


def build_problem(
    kind: str,
    source: str,
    wrt: str,
    let: list[str] | None = None,
    layout: str = "mixed",
    v: str | Node | None = None,
    vec: bool = False,
    expand: bool = False,
) -> Problem:
    """Parse and check everything a derivation needs, before any differentiation."""
    if kind not in KINDS:
        raise MatcalcError(f"unknown kind {kind!r}")
    decls = Decls.parse(let)
    node, family = parse_family(source, decls)
    var = resolve_wrt(wrt, decls, family)
    vnode = v if isinstance(v, Node) or v is None else parse_v(v, decls)
    return Problem(kind, source, node, var, decls, family, check_layout(layout), vec, expand, vnode)


def parse_v(text: str, decls: Decls) -> Node:
    """--v: a declared name (symbolic result), or a literal in --at syntax."""
    from .values import parse_value

    text = text.strip()
    decl = decls.get(text)
    if decl is not None:
        return decl.node()
    return value_node(parse_value(text, "--v"))


def value_node(value: object) -> Node:
    if isinstance(value, sp.MatrixBase):
        return E.matrix(value)
    return E.scalar(value)


def final_layout(p: Problem, mixed: Node) -> Node:
    f_shape = p.node.shape
    return to_layout(p.kind, mixed, f_shape, p.var.shape, p.layout, p.vec)


def printer_names(p: Problem, result: Node | None = None) -> dict[str, dict[sp.Symbol, str]]:
    """How component symbols print in each format (only a componentwise result has them)."""
    out: dict[str, dict[sp.Symbol, str]] = {"text": {}, "latex": {}, "numpy": {}}
    if result is not None and not _has_op(result, "matrix"):
        return out
    for name, decl in p.decls.items.items():
        if decl.integer_sized and name in p.node.free() | (
            p.v.free() if p.v is not None else frozenset()
        ):
            for fmt, names in component_names(name, decl.shape).items():
                out[fmt].update(names)
    return out
