"""Numbers: evaluating trees with NumPy, random test points, and finite-difference checks.

Evaluation is an interpreter over the tree (and over SymPy scalar expressions), never
generated code, so checking a derivative executes nothing derived from user text.
Inside this module vectors are 2-D columns; the NumPy output format uses 1-D vectors.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

import numpy as np
import sympy as sp

from .errors import MatcalcError
from .expr import T_DUMMY, Node
from .functions import relu, sigmoid, softplus

Values = dict[str, object]


def _scalar_funcs(xp: object) -> dict[type, Callable[..., object]]:
    """SymPy's scalar functions as functions of the array module xp (NumPy or autograd's)."""
    half = 0.5
    return {
        sp.sin: xp.sin,
        sp.cos: xp.cos,
        sp.tan: xp.tan,
        sp.exp: xp.exp,
        sp.log: xp.log,
        sp.tanh: xp.tanh,
        sp.Abs: xp.abs,
        sp.sign: xp.sign,
        sp.Heaviside: lambda x, *_: xp.where(x > 0, 1.0, xp.where(x < 0, 0.0, half)),
        sp.DiracDelta: lambda x, *_: xp.where(x == 0, xp.inf, 0.0),
        sigmoid: lambda x: half * (1.0 + xp.tanh(half * x)),
        softplus: lambda x: xp.logaddexp(0.0, x),
        relu: lambda x: xp.maximum(x, 0.0),
        sp.cosh: xp.cosh,
        sp.sinh: xp.sinh,
        sp.sec: lambda x: 1 / xp.cos(x),
        sp.cot: lambda x: 1 / xp.tan(x),
        sp.csc: lambda x: 1 / xp.sin(x),
    }


_FUNCS: dict[int, dict[type, Callable[..., object]]] = {}


def eval_scalar(e: sp.Expr, env: dict[sp.Symbol, object], xp: object = np) -> object:
    """A SymPy scalar expression at numeric values (arrays apply entrywise)."""
    if e.is_Symbol:
        if e in env:
            return env[e]
        raise MatcalcError(f"no value for {e}")
    if e.is_Number or e.is_NumberSymbol:
        return float(e)
    if e.is_Add or e.is_Mul:
        parts = [eval_scalar(a, env, xp) for a in e.args]
        return reduce(operator.add if e.is_Add else operator.mul, parts)
    if e.is_Pow:
        return xp.power(eval_scalar(e.args[0], env, xp), eval_scalar(e.args[1], env, xp))
    if isinstance(e, sp.Max | sp.Min):
        fn = xp.maximum if isinstance(e, sp.Max) else xp.minimum
        return reduce(fn, [eval_scalar(a, env, xp) for a in e.args])
    funcs = _FUNCS.get(id(xp)) or _FUNCS.setdefault(id(xp), _scalar_funcs(xp))
    fn = funcs.get(e.func)
    if fn is None:
        raise MatcalcError(f"cannot evaluate {e.func} numerically")
    return fn(*(eval_scalar(a, env, xp) for a in e.args))


def _scalarize(v: object) -> object:
    """A 1×1 result is a scalar everywhere."""
    shape = getattr(v, "shape", ())
    return v[0, 0] if len(shape) == 2 and shape == (1, 1) else v


def _commutation(m: int, n: int) -> np.ndarray:
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1
    return k


def _ops(xp: object) -> dict[str, Callable[..., object]]:
    """Each operator as a function of the array module xp."""

    def diag(v: object) -> object:
        return xp.diag(v[:, 0]) if v.shape[1] == 1 else xp.reshape(xp.diag(v), (-1, 1))

    def logdet(m: object) -> object:
        sign, val = xp.linalg.slogdet(m)
        return val if sign > 0 else float("nan")

    def softmax(x: object) -> object:
        z = xp.exp(x - xp.max(x))
        return z / xp.sum(z)

    def logsumexp(x: object) -> object:
        top = xp.max(x)
        return top + xp.log(xp.sum(xp.exp(x - top)))

    product = lambda *vs: reduce(operator.mul, vs)  # noqa: E731 - a table entry
    return {
        "add": lambda *vs: reduce(operator.add, vs),
        "mul": product,
        "had": product,
        "matmul": lambda *vs: _scalarize(reduce(operator.matmul, vs)),
        "pow": xp.power,
        "T": xp.transpose,
        "inv": xp.linalg.inv,
        "det": xp.linalg.det,
        "logdet": logdet,
        "tr": xp.trace,
        "sum": xp.sum,
        "norm2": lambda m: xp.sqrt(xp.sum(m * m)),
        "diag": diag,
        "diagof": diag,
        "kron": lambda a, b: _scalarize(xp.kron(a, b)),
        "softmax": softmax,
        "lse": logsumexp,
        "vec": lambda m: xp.reshape(xp.transpose(m), (-1, 1)),
    }


_OPS: dict[int, dict[str, Callable[..., object]]] = {}


def evaluate(
    n: Node,
    values: Values,
    dims: dict[sp.Symbol, int],
    symvals: dict[sp.Symbol, object],
    xp: object = np,
) -> object:
    """The node's value: scalars, or 2-D arrays (of xp: NumPy, or autograd.numpy for an oracle)."""
    ops = _OPS.get(id(xp)) or _OPS.setdefault(id(xp), _ops(xp))
    memo: dict[Node, object] = {}

    def dim(d: sp.Expr) -> int:
        return int(d.xreplace(dims))

    def go(m: Node) -> object:
        if m in memo:
            return memo[m]
        op = m.op
        if op == "sym":
            out = values[m.data[0]]
        elif op == "scalar":
            out = eval_scalar(m.data, symvals, xp)
        elif op in ("matrix", "lit"):
            r, c = m.data.shape if op == "matrix" else m.data
            cells = m.data if op == "matrix" else [go(a) for a in m.args]
            flat = [eval_scalar(e, symvals, xp) for e in cells] if op == "matrix" else cells
            out = xp.reshape(xp.array(flat), (r, c))
        elif op == "zero":
            out = np.zeros((dim(m.shape[0]), dim(m.shape[1])))
        elif op == "ones":
            out = np.ones((dim(m.shape[0]), dim(m.shape[1])))
        elif op == "eye":
            out = np.eye(dim(m.shape[0]))
        elif op == "comm":
            out = _commutation(dim(m.data[0]), dim(m.data[1]))
        elif op == "elem":
            out = _scalarize(eval_scalar(m.data, {**symvals, T_DUMMY: go(m.args[0])}, xp))
        elif op == "matpow":
            out = reduce(operator.matmul, [go(m.args[0])] * m.data)
        else:
            out = ops[op](*(go(a) for a in m.args))
        memo[m] = out
        return out

    with np.errstate(all="ignore"):
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
