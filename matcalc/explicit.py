"""Expression trees → explicit SymPy scalars and matrices (components, or numbers at a point).

This is the componentwise engine's front half and the exact evaluator behind `--at`: every
variable of integer size becomes a matrix of component symbols (`x[1]`, `A[1,2]`) or of values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from . import limits
from .errors import LimitError, MatcalcError
from .expr import T_DUMMY, Node

Explicit = Any  # a SymPy scalar or an immutable SymPy matrix


def component_symbols(name: str, shape: tuple) -> sp.ImmutableMatrix:
    """The components of a declared variable: x[1], x[2], … or A[1,1], A[1,2], …"""
    r, c = (int(shape[0]), int(shape[1]))
    if r * c > limits.MAX_ENTRIES:
        raise LimitError(f"{name} has {r * c} entries, over the limit {limits.MAX_ENTRIES}")
    if c == 1:
        return sp.ImmutableMatrix(
            r, 1, [sp.Symbol(f"{name}[{i + 1}]", real=True) for i in range(r)]
        )
    return sp.ImmutableMatrix(
        r, c, [sp.Symbol(f"{name}[{i + 1},{j + 1}]", real=True) for i in range(r) for j in range(c)]
    )


def component_names(name: str, shape: tuple) -> dict[str, dict[sp.Symbol, str]]:
    """How each component prints, per format: x[1] → text x[1], LaTeX x_{1}, NumPy x[0]."""
    comps = component_symbols(name, shape)
    r, c = comps.shape
    wide = max(r, c) > 9
    out: dict[str, dict[sp.Symbol, str]] = {"text": {}, "latex": {}, "numpy": {}}
    from .printing import latex_name

    base = latex_name(name)
    for i in range(r):
        for j in range(c):
            s = comps[i, j]
            if c == 1:
                out["latex"][s] = f"{base}_{{{i + 1}}}"
                out["numpy"][s] = f"{name}[{i}]"
            else:
                sub = f"{i + 1},{j + 1}" if wide else f"{i + 1}{j + 1}"
                out["latex"][s] = f"{base}_{{{sub}}}"
                out["numpy"][s] = f"{name}[{i}, {j}]"
    return out


def _dims(d: sp.Expr, dims: dict[sp.Symbol, int]) -> int:
    v = d.xreplace(dims) if dims else d
    if not v.is_Integer:
        raise MatcalcError(f"size {d} is symbolic; give integer sizes or values for it")
    return int(v)


def _square_size_ok(m: sp.MatrixBase, what: str) -> None:
    if m.shape[0] > limits.MAX_DET_SIZE and not all(e.is_number for e in m):
        raise LimitError(
            f"{what} of a symbolic {m.shape[0]}×{m.shape[0]} matrix is over the limit "
            f"{limits.MAX_DET_SIZE}; use symbolic sizes for the matrix form"
        )


def _as_matrix(v: Explicit) -> sp.MatrixBase:
    return v if isinstance(v, sp.MatrixBase) else sp.ImmutableMatrix([[v]])


def _scalar_or(m: sp.MatrixBase) -> Explicit:
    return m[0, 0] if m.shape == (1, 1) else sp.ImmutableMatrix(m)


def _kron(a: Explicit, b: Explicit) -> Explicit:
    from sympy.matrices.expressions.kronecker import kronecker_product

    return _scalar_or(sp.ImmutableMatrix(kronecker_product(_as_matrix(a), _as_matrix(b))))


def _vec(a: Explicit) -> Explicit:
    m = _as_matrix(a)
    return sp.ImmutableMatrix(m.T.reshape(m.shape[0] * m.shape[1], 1))


def _commutation(m: int, n: int) -> sp.ImmutableMatrix:
    k = sp.zeros(m * n, m * n)
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1
    return sp.ImmutableMatrix(k)


def _apply(body: sp.Expr, v: Explicit) -> Explicit:
    if isinstance(v, sp.MatrixBase):
        return sp.ImmutableMatrix(v.applyfunc(lambda e: body.xreplace({T_DUMMY: e})))
    return body.xreplace({T_DUMMY: v})


def _matmul(*vs: Explicit) -> Explicit:
    out = _as_matrix(vs[0])
    for v in vs[1:]:
        out = out * _as_matrix(v)
    return _scalar_or(out)


def _mul(*vs: Explicit) -> Explicit:
    out: Explicit = sp.Integer(1)
    for v in vs:
        out = out * v
    return out


def _softmax(v: Explicit) -> Explicit:
    e = v.applyfunc(sp.exp)
    return sp.ImmutableMatrix(e / sum(e))


def _diag(v: Explicit) -> Explicit:
    m = _as_matrix(v)
    if m.shape[1] == 1:
        return sp.ImmutableMatrix(sp.diag(*m))
    return sp.ImmutableMatrix([m[i, i] for i in range(m.shape[0])])


def _inv(v: Explicit) -> Explicit:
    m = _as_matrix(v)
    _square_size_ok(m, "inv")
    if m.det() == 0:
        raise MatcalcError("the matrix is singular here, so its inverse does not exist")
    return _scalar_or(m.inv())


def _det(v: Explicit) -> Explicit:
    m = _as_matrix(v)
    _square_size_ok(m, "det")
    return m.det(method="berkowitz")


OPS: dict[str, Callable[..., Explicit]] = {
    "add": lambda *vs: (
        _scalar_or(sum(vs[1:], vs[0])) if isinstance(vs[0], sp.MatrixBase) else sp.Add(*vs)
    ),
    "mul": _mul,
    "matmul": _matmul,
    "pow": lambda b, e: b**e,
    "T": lambda v: sp.ImmutableMatrix(_as_matrix(v).T),
    "inv": _inv,
    "det": _det,
    "logdet": lambda v: sp.log(_det(v)),
    "tr": lambda v: _as_matrix(v).trace(),
    "sum": lambda v: sum(_as_matrix(v)),
    "norm2": lambda v: sp.sqrt(sum(e**2 for e in _as_matrix(v))),
    "diag": _diag,
    "diagof": _diag,
    "had": lambda *vs: _scalar_or(
        sp.ImmutableMatrix(
            _as_matrix(vs[0]).shape[0],
            _as_matrix(vs[0]).shape[1],
            [_mul(*es) for es in zip(*(list(_as_matrix(v)) for v in vs), strict=True)],
        )
    ),
    "kron": _kron,
    "softmax": _softmax,
    "lse": lambda v: sp.log(sum(_as_matrix(v).applyfunc(sp.exp))),
    "vec": _vec,
}


def explicit(
    n: Node, env: dict[str, Explicit], dims: dict[sp.Symbol, int] | None = None
) -> Explicit:
    """The node as explicit SymPy, with env giving each variable (by name) its components or value."""
    dims = dims or {}
    memo: dict[Node, Explicit] = {}
    scalars = {
        sp.Symbol(k, real=True): v for k, v in env.items() if not isinstance(v, sp.MatrixBase)
    }

    def go(m: Node) -> Explicit:
        if m in memo:
            return memo[m]
        op = m.op
        if op == "sym":
            name = m.data[0]
            if name not in env:
                raise MatcalcError(f"{name} has symbolic size; componentwise needs integer sizes")
            out = env[name]
        elif op == "scalar":
            out = m.data.xreplace(scalars) if scalars else m.data
        elif op == "matrix":
            out = m.data.xreplace(scalars) if scalars else m.data
        elif op in ("zero", "ones", "eye"):
            r, c = (_dims(m.shape[0], dims), _dims(m.shape[1], dims))
            if r * c > limits.MAX_ENTRIES:
                raise LimitError(
                    f"an explicit {r}×{c} matrix is over the limit {limits.MAX_ENTRIES}"
                )
            out = {"zero": sp.zeros, "ones": sp.ones, "eye": lambda r, c: sp.eye(r)}[op](r, c)
            out = sp.ImmutableMatrix(out)
        elif op == "comm":
            out = _commutation(_dims(m.data[0], dims), _dims(m.data[1], dims))
        elif op == "elem":
            out = _apply(m.data, go(m.args[0]))
        elif op == "matpow":
            out = sp.ImmutableMatrix(_as_matrix(go(m.args[0])) ** m.data)
        elif op == "lit":
            r, c = m.data
            out = sp.ImmutableMatrix(r, c, [go(a) for a in m.args])
        else:
            out = OPS[op](*(go(a) for a in m.args))
        memo[m] = out
        return out

    return go(n)
