"""The functions of the expression language: what each name builds.

Elementwise functions are SymPy scalar functions applied entry by entry; the three that SymPy
lacks (sigmoid, softplus, relu) are defined here with their derivatives, so scalar, componentwise
and matrix-level derivatives all come from one definition.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from . import expr as E
from .expr import T_DUMMY, Node


class sigmoid(sp.Function):  # noqa: N801 - SymPy function names are lower case
    """σ(t) = 1/(1+e^(−t)); σ' = σ(1−σ)."""

    @classmethod
    def eval(cls, t: sp.Expr) -> sp.Expr | None:
        if t.is_Number:
            return 1 / (1 + sp.exp(-t))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)


class softplus(sp.Function):  # noqa: N801
    """softplus(t) = log(1+e^t); its derivative is σ(t)."""

    @classmethod
    def eval(cls, t: sp.Expr) -> sp.Expr | None:
        if t.is_Number:
            return sp.log(1 + sp.exp(t))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])


class relu(sp.Function):  # noqa: N801
    """relu(t) = max(0, t); its derivative is the step function (½ at 0, as SymPy's Heaviside)."""

    @classmethod
    def eval(cls, t: sp.Expr) -> sp.Expr | None:
        if t.is_Number:
            return sp.Max(0, t)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0])


ELEMENTWISE: dict[str, sp.Expr] = {
    "sin": sp.sin(T_DUMMY),
    "cos": sp.cos(T_DUMMY),
    "tan": sp.tan(T_DUMMY),
    "exp": sp.exp(T_DUMMY),
    "log": sp.log(T_DUMMY),
    "sqrt": sp.sqrt(T_DUMMY),
    "tanh": sp.tanh(T_DUMMY),
    "sigmoid": sigmoid(T_DUMMY),
    "softplus": softplus(T_DUMMY),
    "abs": sp.Abs(T_DUMMY),
    "relu": relu(T_DUMMY),
}


def _elementwise(body: sp.Expr) -> Callable[[Node], Node]:
    return lambda a: E.elem(body, a)


def _matpower_inverse(a: Node) -> Node:
    return E.inv(a) if not a.is_scalar else E.pow_(a, E.scalar(-1))


FUNCTIONS: dict[str, tuple[int, Callable[..., Node]]] = {
    **{name: (1, _elementwise(body)) for name, body in ELEMENTWISE.items()},
    "tr": (1, E.trace),
    "trace": (1, E.trace),
    "det": (1, E.det),
    "logdet": (1, E.logdet),
    "inv": (1, _matpower_inverse),
    "diag": (1, E.diag),
    "sum": (1, E.sum_),
    "norm2": (1, E.norm2),
    "dot": (2, E.dot),
    "hadamard": (2, E.hadamard),
    "kron": (2, E.kron),
    "softmax": (1, E.softmax),
    "logsumexp": (1, E.logsumexp),
}

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}
