"""The derivative rules: one differential rule per operator, à la Magnus–Neudecker.

A rule takes the node and the differentials of its operands and returns the differential
of the node, e.g. d(AB) = dA B + A dB, d(X⁻¹) = −X⁻¹ dX X⁻¹, d logdet X = tr(X⁻¹ dX).
The result is linear in dX; `linear.py` turns it into a gradient, a Jacobian or a vec form.
To add an operator: a constructor in `expr.py`, a rule here, a printer entry, a test.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from . import expr as E
from .errors import NotMatrixLevel
from .expr import T_DUMMY, Node

Rule = Callable[[Node, list[Node]], Node]
DIFFERENTIALS: dict[str, Rule] = {}


def defrule(*ops: str) -> Callable[[Rule], Rule]:
    """Register a differential rule for one or more operators."""

    def register(fn: Rule) -> Rule:
        for op in ops:
            DIFFERENTIALS[op] = fn
        return fn

    return register


def deflinear(op: str) -> None:
    """A linear operator L: d L(A, …) = L(dA, …), e.g. transpose, trace, diag, sum, vec."""
    DIFFERENTIALS[op] = lambda n, d: E.rebuild(n, d)


for _op in ("add", "T", "tr", "sum", "diag", "diagof", "vec"):
    deflinear(_op)


def _product_rule(build: Callable[..., Node]) -> Rule:
    """d(A₁…Aₖ) = Σᵢ A₁…dAᵢ…Aₖ for any multilinear product (scalar, matrix, ⊙, ⊗)."""

    def rule(n: Node, d: list[Node]) -> Node:
        terms = []
        for i, di in enumerate(d):
            if not E.is_zero(di):
                terms.append(build(*n.args[:i], di, *n.args[i + 1 :]))
        return E.add(*terms) if terms else E.zero(n.shape)

    return rule


DIFFERENTIALS["mul"] = _product_rule(E.mul)
DIFFERENTIALS["matmul"] = _product_rule(E.matmul)
DIFFERENTIALS["had"] = _product_rule(E.hadamard)
DIFFERENTIALS["kron"] = _product_rule(E.kron)


@defrule("pow")
def _pow(n: Node, d: list[Node]) -> Node:
    """d(uᵖ) = p uᵖ⁻¹ du, and uᵖ (log u dp + p du/u) when p varies."""
    (u, p), (du, dp) = n.args, d
    out = E.mul(p, E.pow_(u, E.add(p, E.scalar(-1))), du)
    if not E.is_zero(dp):
        out = E.add(out, E.mul(n, E.elem(sp.log(T_DUMMY), u), dp))
    return out


@defrule("matpow")
def _matpow(n: Node, d: list[Node]) -> Node:
    """d(Xᵏ) = Σ Xⁱ dX Xᵏ⁻¹⁻ⁱ."""
    x, k = n.args[0], n.data
    return E.add(*(E.matmul(E.matpow(x, i), d[0], E.matpow(x, k - 1 - i)) for i in range(k)))


@defrule("inv")
def _inv(n: Node, d: list[Node]) -> Node:
    """d(X⁻¹) = −X⁻¹ dX X⁻¹."""
    return E.neg(E.matmul(n, d[0], n))


@defrule("det")
def _det(n: Node, d: list[Node]) -> Node:
    """d det X = det X · tr(X⁻¹ dX) (Jacobi's formula)."""
    return E.mul(n, E.trace(E.matmul(E.inv(n.args[0]), d[0])))


@defrule("logdet")
def _logdet(n: Node, d: list[Node]) -> Node:
    """d log det X = tr(X⁻¹ dX)."""
    return E.trace(E.matmul(E.inv(n.args[0]), d[0]))


@defrule("norm2")
def _norm2(n: Node, d: list[Node]) -> Node:
    """d‖x‖ = xᵀdx / ‖x‖; for a matrix, tr(Xᵀ dX) / ‖X‖_F."""
    x = n.args[0]
    inner = E.matmul(E.transpose(x), d[0])
    if not x.is_vector:
        inner = E.trace(inner)
    return E.div(inner, n)


@defrule("elem")
def _elem(n: Node, d: list[Node]) -> Node:
    """d f(U) = f'(U) ⊙ dU, with f' from SymPy's derivative of the scalar function."""
    fprime = E.elem(sp.diff(n.data, T_DUMMY), n.args[0])
    return E.hadamard(fprime, d[0]) if not n.is_scalar else E.mul(fprime, d[0])


@defrule("softmax")
def _softmax(n: Node, d: list[Node]) -> Node:
    """d softmax(x) = (diag(s) − s sᵀ) dx with s = softmax(x)."""
    return E.matmul(E.sub(E.diag(n), E.matmul(n, E.transpose(n))), d[0])


@defrule("lse")
def _lse(n: Node, d: list[Node]) -> Node:
    """d logsumexp(x) = softmax(x)ᵀ dx."""
    return E.matmul(E.transpose(E.softmax(n.args[0])), d[0])


def _no_rule(n: Node, d: list[Node]) -> Node:
    raise NotMatrixLevel(f"no matrix-level rule for {n.op}")


DIFFERENTIALS["lit"] = _no_rule


def differential(n: Node, var: str, dvar: Node) -> Node:
    """dF as an expression in dvar, for F = n and the variable named var."""
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if not m.depends(var):
            return E.zero(m.shape)
        if m in memo:
            return memo[m]
        if m.op == "sym":
            out = dvar
        elif m.op == "scalar":  # a scalar variable inside a SymPy expression
            out = E.mul(E.scalar(sp.diff(m.data, E.scalar_symbol(var))), dvar)
        elif m.op == "matrix":
            out = E.mul(E.matrix(m.data.diff(E.scalar_symbol(var))), dvar)
        else:
            rule = DIFFERENTIALS.get(m.op)
            if rule is None:
                raise NotMatrixLevel(f"no differential rule for {m.op!r}")
            out = rule(m, [go(a) for a in m.args])
        memo[m] = out
        return out

    return go(n)
