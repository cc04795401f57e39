"""Numbers: evaluating trees with NumPy, random test points, and finite-difference checks.

Evaluation is an interpreter over the tree (and over SymPy scalar expressions), never
generated code, so checking a derivative executes nothing derived from user text.
Inside this module vectors are 2-D columns; the NumPy output format uses 1-D vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .errors import MatcalcError
from .expr import T_DUMMY, Node
from .functions import relu, sigmoid, softplus

Values = dict[str, object]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


SCALAR_FUNCS: dict[type, Callable[..., object]] = {
    sp.sin: np.sin,
    sp.cos: np.cos,
    sp.tan: np.tan,
    sp.exp: np.exp,
    sp.log: np.log,
    sp.tanh: np.tanh,
    sp.Abs: np.abs,
    sp.sign: np.sign,
    sp.Heaviside: lambda x, *_: np.heaviside(x, 0.5),
    sigmoid: _sigmoid,
    softplus: lambda x: np.logaddexp(0.0, x),
    relu: lambda x: np.maximum(x, 0.0),
    sp.DiracDelta: lambda x, *k: np.where(np.asarray(x) == 0, np.inf, 0.0),
    sp.cosh: np.cosh,
    sp.sinh: np.sinh,
    sp.sec: lambda x: 1 / np.cos(x),
    sp.cot: lambda x: 1 / np.tan(x),
    sp.csc: lambda x: 1 / np.sin(x),
}


def eval_scalar(e: sp.Expr, env: dict[sp.Symbol, object]) -> object:
    """A SymPy scalar expression at NumPy values (arrays apply entrywise)."""
    if e.is_Symbol:
        if e in env:
            return env[e]
        raise MatcalcError(f"no value for {e}")
    if e.is_Number or e.is_NumberSymbol:
        return float(e)
    if e.is_Add:
        out: object = 0.0
        for a in e.args:
            out = out + eval_scalar(a, env)
        return out
    if e.is_Mul:
        out = 1.0
        for a in e.args:
            out = out * eval_scalar(a, env)
        return out
    if e.is_Pow:
        base, p = eval_scalar(e.args[0], env), eval_scalar(e.args[1], env)
        with np.errstate(all="ignore"):
            return np.power(np.asarray(base, dtype=float), p)
    if isinstance(e, sp.Max | sp.Min):
        fn = np.maximum if isinstance(e, sp.Max) else np.minimum
        vals = [eval_scalar(a, env) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out
    fn = SCALAR_FUNCS.get(e.func)
    if fn is None:
        raise MatcalcError(f"cannot evaluate {e.func} numerically")
    with np.errstate(all="ignore"):
        return fn(*(eval_scalar(a, env) for a in e.args))


def _2d(v: object) -> object:
    a = np.asarray(v, dtype=float)
    if a.ndim == 2 and a.shape == (1, 1):
        return float(a[0, 0])
    return a


def _commutation(m: int, n: int) -> np.ndarray:
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1
    return k


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def _diag(v: np.ndarray) -> np.ndarray:
    if v.shape[1] == 1:
        return np.diag(v[:, 0])
    return np.diag(v).reshape(-1, 1)


def _logdet(m: np.ndarray) -> float:
    sign, val = np.linalg.slogdet(m)
    return float(val) if sign > 0 else float("nan")


def _matmul(*vs: object) -> object:
    out = np.asarray(vs[0], dtype=float)
    for v in vs[1:]:
        out = out @ np.asarray(v, dtype=float)
    return _2d(out)


NUMERIC_OPS: dict[str, Callable[..., object]] = {
    "add": lambda *vs: sum(vs[1:], vs[0]),
    "mul": lambda *vs: _2d(
        np.prod(np.array(vs[:-1], dtype=float)) * np.asarray(vs[-1], dtype=float)
    ),
    "matmul": _matmul,
    "pow": lambda b, e: np.power(np.asarray(b, dtype=float), e),
    "T": lambda v: np.asarray(v).T,
    "inv": np.linalg.inv,
    "det": lambda m: float(np.linalg.det(m)),
    "logdet": _logdet,
    "tr": lambda m: float(np.trace(m)),
    "sum": lambda m: float(np.sum(m)),
    "norm2": lambda m: float(np.linalg.norm(m)),
    "diag": _diag,
    "diagof": _diag,
    "had": lambda *vs: _2d(np.prod(np.array(np.broadcast_arrays(*vs)), axis=0)),
    "kron": lambda a, b: _2d(np.kron(a, b)),
    "softmax": _softmax,
    "lse": lambda x: float(np.logaddexp.reduce(np.ravel(x))),
    "vec": lambda m: np.asarray(m).T.reshape(-1, 1),
}


def evaluate(
    n: Node, values: Values, dims: dict[sp.Symbol, int], symvals: dict[sp.Symbol, float]
) -> object:
    """The node's value: floats for scalars, 2-D arrays otherwise."""
    memo: dict[Node, object] = {}

    def dim(d: sp.Expr) -> int:
        return int(d.xreplace(dims))

    def go(m: Node) -> object:
        if m in memo:
            return memo[m]
        op = m.op
        with np.errstate(all="ignore"):
            if op == "sym":
                out = values[m.data[0]]
            elif op == "scalar":
                out = float(eval_scalar(m.data, symvals))
            elif op == "matrix":
                out = np.array(
                    [
                        [eval_scalar(e, symvals) for e in m.data.row(i)]
                        for i in range(m.data.shape[0])
                    ],
                    dtype=float,
                )
            elif op == "zero":
                out = np.zeros((dim(m.shape[0]), dim(m.shape[1])))
            elif op == "ones":
                out = np.ones((dim(m.shape[0]), dim(m.shape[1])))
            elif op == "eye":
                out = np.eye(dim(m.shape[0]))
            elif op == "comm":
                out = _commutation(dim(m.data[0]), dim(m.data[1]))
            elif op == "elem":
                out = _2d(eval_scalar(m.data, {**symvals, T_DUMMY: go(m.args[0])}))
            elif op == "matpow":
                out = np.linalg.matrix_power(go(m.args[0]), m.data)
            elif op == "lit":
                r, c = m.data
                out = np.array([go(a) for a in m.args], dtype=float).reshape(r, c)
            else:
                out = NUMERIC_OPS[op](*(go(a) for a in m.args))
        memo[m] = out
        return out

    return go(n)


# ---------------------------------------------------------------- random points


@dataclass
class Point:
    """Values for every variable: arrays by name, scalar symbols, and the sizes."""

    values: Values
    symvals: dict[sp.Symbol, float]
    dims: dict[sp.Symbol, int]


def random_point(
    variables: dict[str, tuple[tuple, bool]],
    scalars: set[sp.Symbol],
    rng: np.random.Generator,
    fixed_dims: dict[sp.Symbol, int] | None = None,
) -> Point:
    """A point where log, sqrt and logdet are defined: positive entries, square matrices near I
    (diagonally dominant); sizes 2–4 for symbolic dimensions."""
    dims = dict(fixed_dims or {})
    for _, (shape, _) in sorted(variables.items()):
        for d in shape:
            if d.is_Symbol and d not in dims:
                dims[d] = int(rng.integers(2, 5))
    values: Values = {}
    for name, (shape, symmetric) in sorted(variables.items()):
        r, c = (int(shape[0].xreplace(dims)), int(shape[1].xreplace(dims)))
        a = rng.uniform(0.5, 1.5, size=(r, c))
        if r == c and r > 1:  # near I and diagonally dominant: det > 0, well conditioned
            a = np.eye(r) + a * (0.3 / r)
        if symmetric:
            a = (a + a.T) / 2
        values[name] = a
    symvals = {s: float(rng.uniform(0.5, 1.5)) for s in sorted(scalars, key=str)}
    return Point(values, symvals, dims)
