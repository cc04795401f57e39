"""From a differential (linear in dX) to a derivative: the gradient, the Jacobian, the vec form.

* `pullback(E, G)`: the G' with ⟨G, E⟩ = ⟨G', dX⟩ — reverse mode: gradients and vᵀJ. Each
  linear operator has a transpose rule (JAX's `primitive_transposes`), e.g. ⟨G, A dX B⟩ =
  ⟨AᵀGBᵀ, dX⟩, ⟨g, tr(M)⟩ = ⟨g I, M⟩.
* `forward(E)`: the J with E = J dx for vectors E and x — forward mode: Jacobians, Hessians.
* `vec_forward(E)`: the K with vec E = K vec dX — the Magnus–Neudecker form for tensors.
"""

from __future__ import annotations

from collections.abc import Callable

from . import expr as E
from .errors import NotMatrixLevel
from .expr import Node

Go = Callable[[Node, Node], None]
TRANSPOSES: dict[str, Callable[[Node, Node, Go, str], None]] = {}


def deftranspose(*ops: str):
    """Register how ⟨G, op(…dX…)⟩ moves G onto the dependent operand."""

    def register(fn):
        for op in ops:
            TRANSPOSES[op] = fn
        return fn

    return register


def inner(g: Node, m: Node) -> Node:
    """⟨G, M⟩ = tr(GᵀM), written as a scalar product, gᵀm or tr(GᵀM)."""
    if g.is_scalar or m.is_scalar:
        return E.mul(g, m)
    prod = E.matmul(E.transpose(g), m)
    return prod if prod.is_scalar else E.trace(prod)


def _dependent(m: Node, var: str) -> int:
    hits = [i for i, a in enumerate(m.args) if a.depends(var)]
    if len(hits) != 1:
        raise NotMatrixLevel(f"{m.op} is not linear in d{var}")
    return hits[0]


def _split_product(m: Node, var: str) -> tuple[Node, Node]:
    """A scalar product linear in d(var): its one dependent factor, and the product of the rest."""
    i = _dependent(m, var)
    return m.args[i], E.mul(*m.args[:i], *m.args[i + 1 :])


@deftranspose("add")
def _t_add(m: Node, g: Node, go: Go, var: str) -> None:
    for t in m.args:
        if t.depends(var):
            go(t, g)


@deftranspose("mul")
def _t_mul(m: Node, g: Node, go: Go, var: str) -> None:
    dep, others = _split_product(m, var)
    if dep.is_scalar and not m.is_scalar:
        go(dep, inner(g, others))
    else:
        go(dep, E.mul(others, g))


@deftranspose("matmul")
def _t_matmul(m: Node, g: Node, go: Go, var: str) -> None:
    i = _dependent(m, var)
    left = [E.transpose(f) for f in reversed(m.args[:i])]
    right = [E.transpose(f) for f in reversed(m.args[i + 1 :])]
    go(m.args[i], E.matmul(*left, g, *right))


@deftranspose("T")
def _t_transpose(m: Node, g: Node, go: Go, var: str) -> None:
    go(m.args[0], E.transpose(g))


@deftranspose("tr")
def _t_trace(m: Node, g: Node, go: Go, var: str) -> None:
    go(m.args[0], E.mul(g, E.eye(m.args[0].shape[0])))


@deftranspose("sum")
def _t_sum(m: Node, g: Node, go: Go, var: str) -> None:
    go(m.args[0], E.mul(g, E.ones(m.args[0].shape)))


@deftranspose("diag", "diagof")
def _t_diag(m: Node, g: Node, go: Go, var: str) -> None:
    go(m.args[0], E.diag(g))


@deftranspose("had")
def _t_hadamard(m: Node, g: Node, go: Go, var: str) -> None:
    i = _dependent(m, var)
    go(m.args[i], E.hadamard(g, *m.args[:i], *m.args[i + 1 :]))


def pullback(e: Node, seed: Node, dvar: Node) -> Node:
    """The gradient-shaped G' with ⟨seed, e⟩ = ⟨G', dvar⟩, e linear in dvar."""
    var = dvar.data[0]
    parts: list[Node] = []

    def go(m: Node, g: Node) -> None:
        if m == dvar:
            parts.append(g)
            return
        if not m.depends(var) or E.is_zero(g):
            return
        rule = TRANSPOSES.get(m.op)
        if rule is None:
            raise NotMatrixLevel(f"no transpose rule for {m.op!r}")
        rule(m, g, go, var)

    go(e, seed)
    return E.add(*parts) if parts else E.zero(dvar.shape)


def row_gradient(s: Node, dvar: Node) -> Node:
    """For a scalar s linear in dx: the row r with s = r dx."""
    return E.transpose(pullback(s, E.scalar(1), dvar))


def _apply_right(f: Node, r: Node, var: str) -> Node:
    """Rewrite F r (F a matrix linear in dx, r a vector) as a vector expression in dx."""
    if f.op == "diag":
        return E.hadamard(f.args[0], r)
    if f.op == "add":
        return E.add(*(E.matmul(t, r) for t in f.args))
    if f.op == "mul":
        return E.mul(*f.args[:-1], _apply_right(f.args[-1], r, var))
    raise NotMatrixLevel(f"no closed-form Jacobian through {f.op}")


def forward(e: Node, dvar: Node) -> Node:
    """J with e = J dx, for a vector e linear in the vector dx (m×n)."""
    var = dvar.data[0]
    n = dvar.shape[0]
    if e.is_scalar:
        return row_gradient(e, dvar)

    def go(m: Node) -> Node:
        if m == dvar:
            return E.eye(n)
        if not m.depends(var):
            return E.zero((m.shape[0], n))
        op = m.op
        if op == "add":
            return E.add(*(go(t) for t in m.args))
        if op == "mul":
            dep, others = _split_product(m, var)
            if dep.is_scalar:
                return E.matmul(others, row_gradient(dep, dvar))
            return E.mul(others, go(dep))
        if op == "matmul":
            return _forward_matmul(m, go, dvar)
        if op == "had":
            i = _dependent(m, var)
            others = E.hadamard(*m.args[:i], *m.args[i + 1 :])
            return E.matmul(E.diag(others), go(m.args[i]))
        raise NotMatrixLevel(f"no forward rule for {op!r}")

    return go(e)


def _forward_matmul(m: Node, go: Callable[[Node], Node], dvar: Node) -> Node:
    var = dvar.data[0]
    i = _dependent(m, var)
    left, mid, right = m.args[:i], m.args[i], m.args[i + 1 :]
    if mid.is_vector:  # L dx (r), with r a scalar product if present
        return (
            E.matmul(*left, go(mid), *right)
            if not right
            else E.mul(E.matmul(*right), E.matmul(*left, go(mid)))
        )
    if mid.is_row:  # u (dxᵀ R): a column times a scalar
        return E.matmul(*left, row_gradient(E.matmul(mid, *right), dvar))
    if right:
        r = E.matmul(*right)
        return go(E.matmul(*left, _apply_right(mid, r, var)))
    raise NotMatrixLevel("the Jacobian of a matrix-valued expression is a tensor")


def vec_forward(e: Node, dvar: Node) -> Node:
    """K with vec(e) = K vec(dX): the derivative d vec F / d vec(X)ᵀ."""
    var = dvar.data[0]
    size = dvar.shape[0] * dvar.shape[1] if dvar.shape else 1

    def go(m: Node) -> Node:
        if m == dvar:
            return E.eye(size)
        rows = (m.shape[0] * m.shape[1]) if m.shape else 1
        if not m.depends(var):
            return E.zero(_norm((rows, size)))
        op = m.op
        if m.is_scalar and op != "add":
            return E.transpose(E.vec(pullback(m, E.scalar(1), dvar)))
        if op == "add":
            return E.add(*(go(t) for t in m.args))
        if op == "mul":
            dep, others = _split_product(m, var)
            if dep.is_scalar:
                return E.matmul(E.vec(others), go(dep))
            return E.mul(others, go(dep))
        if op == "matmul":
            i = _dependent(m, var)
            mid = m.args[i]
            left = E.matmul(*m.args[:i]) if i else E.eye(mid.shape[0])
            right = E.matmul(*m.args[i + 1 :]) if i + 1 < len(m.args) else E.eye(mid.shape[1])
            return E.matmul(E.kron(E.transpose(right), left), go(mid))
        if op == "T":
            a = m.args[0]
            if a.is_vector or a.is_row:
                return go(a)
            return E.matmul(E.comm(a.shape[0], a.shape[1]), go(a))
        if op == "had":
            i = _dependent(m, var)
            others = E.hadamard(*m.args[:i], *m.args[i + 1 :])
            return E.matmul(E.diag(E.vec(others)), go(m.args[i]))
        raise NotMatrixLevel(f"no vec rule for {op!r}")

    return go(e)


def _norm(shape: tuple) -> tuple:
    return () if shape == (1, 1) else shape
