"""`--check`: compare a derivative with central finite differences at random points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .engine import Problem
from .explicit import component_symbols
from .expr import Node
from .numeric import Point, evaluate, random_point

TOLERANCE = 1e-5
H1, H2 = 1e-4, 1e-4  # steps for first (fourth-order stencil) and second differences


@dataclass
class CheckReport:
    """The largest relative error over the points tried, and whether it passes."""

    error: float
    points: int
    tolerance: float = TOLERANCE

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.error) and self.error <= self.tolerance)


def scalar_symbols(n: Node | None) -> set[sp.Symbol]:
    """The scalar variables a tree uses (component symbols such as x[1] excepted)."""
    if n is None:
        return set()
    if n.op in ("scalar", "matrix"):
        return {s for s in n.data.free_symbols if "[" not in s.name}
    out: set[sp.Symbol] = set()
    for a in n.args:
        out |= scalar_symbols(a)
    return out


class _Access:
    """Reads and writes the --wrt variable at a point, whatever kind of variable it is."""

    def __init__(self, p: Problem, point: Point):
        self.p, self.pt = p, point
        var = p.var
        self.comps = var.components
        self.scalar = sp.Symbol(var.name, real=True) if var.shape == () else None
        if self.scalar is not None:
            point.symvals.setdefault(self.scalar, 0.7)

    def get(self) -> np.ndarray:
        if self.scalar is not None:
            return np.array([[self.pt.symvals[self.scalar]]])
        if self.comps is not None:
            return np.array([[self.pt.symvals[s]] for s in self.comps])
        return np.array(self.pt.values[self.p.var.name], dtype=float)

    def set(self, x: np.ndarray) -> None:
        if self.scalar is not None:
            self.pt.symvals[self.scalar] = float(x[0, 0])
        elif self.comps is not None:
            for s, val in zip(self.comps, x[:, 0], strict=True):
                self.pt.symvals[s] = float(val)
        else:
            self.pt.values[self.p.var.name] = x
            sync_components(self.p, self.pt)


def sync_components(p: Problem, pt: Point) -> None:
    """Component symbols (x[1], A[1,2]) follow their variable's value."""
    for name, decl in p.decls.items.items():
        if decl.integer_sized and name in pt.values:
            for s, val in zip(
                component_symbols(name, decl.shape), pt.values[name].ravel(), strict=True
            ):
                pt.symvals[s] = float(val)


def _vec(a: object) -> np.ndarray:
    return (
        np.asarray(a, dtype=float).reshape(-1, 1, order="F")
        if np.ndim(a)
        else np.array([[a]], float)
    )


def _unvec(v: np.ndarray, like: np.ndarray) -> object:
    if like.shape == (1, 1):
        return float(v.ravel()[0])
    return v.reshape(like.shape, order="F")


def _fd_jacobian(f, acc: _Access) -> np.ndarray:
    x0 = acc.get()
    cols = []
    for k in range(x0.size):
        e = np.zeros(x0.size)
        e[k] = H1
        step = e.reshape(x0.shape, order="F")
        vals = []
        for k_ in (2, 1, -1, -2):
            acc.set(x0 + k_ * step)
            vals.append(_vec(f()))
        cols.append((-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * H1))
    acc.set(x0)
    return np.hstack(cols)


def _fd_hessian(f, acc: _Access) -> np.ndarray:
    """Second differences at h and h/2, Richardson-extrapolated to fourth order."""
    coarse = _second_differences(f, acc, H2)
    fine = _second_differences(f, acc, H2 / 2)
    return (4 * fine - coarse) / 3


def _second_differences(f, acc: _Access, h: float) -> np.ndarray:
    x0 = acc.get()
    n = x0.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i] = h
            ej[j] = h
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                acc.set(x0 + (si * ei + sj * ej).reshape(x0.shape, order="F"))
                vals.append(float(f()))
            out[i, j] = out[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
    acc.set(x0)
    return out


def expected(p: Problem, pt: Point) -> object:
    """The derivative by finite differences, shaped as the mixed layout shapes it."""
    acc = _Access(p, pt)
    x0 = acc.get()

    def f() -> object:
        return evaluate(p.node, pt.values, pt.dims, pt.symvals)

    f0 = np.asarray(f(), dtype=float)
    kind = p.kind
    if kind == "hessian":
        return _fd_hessian(f, acc)
    d = _fd_jacobian(f, acc)  # (size f) × (size x), column-major
    if kind == "vjp":
        v = _vec(evaluate(p.v, pt.values, pt.dims, pt.symvals))
        g = _unvec(d.T @ v, x0)
        return (g + g.T) / 2 if p.var.symmetric else g
    if kind == "jvp":
        v = _vec(evaluate(p.v, pt.values, pt.dims, pt.symvals))
        return _unvec(d @ v, f0 if f0.ndim else np.zeros((1, 1)))
    if p.vec:
        return d
    if x0.shape == (1, 1) and p.var.shape == ():
        return _unvec(d, f0 if f0.ndim else np.zeros((1, 1)))
    if f0.ndim == 0:
        g = d.reshape(x0.shape, order="F")
        return (g + g.T) / 2 if p.var.symmetric else g
    return d


def fd_check(p: Problem, result: Node, points: int = 3, seed: int = 0) -> CheckReport:
    """Largest relative error between the result (mixed layout) and finite differences."""
    rng = np.random.default_rng(seed)
    variables = {  # every declared variable: its dimensions may appear without it (‖A A⁻¹‖ = ‖I‖)
        name: (d.shape, d.symmetric) for name, d in p.decls.items.items() if d.shape != ()
    }
    scalars = scalar_symbols(p.node) | scalar_symbols(result) | scalar_symbols(p.v)
    worst = 0.0
    tried = 0
    for _ in range(points * 4):
        pt = random_point(variables, scalars, rng)
        sync_components(p, pt)
        with np.errstate(all="ignore"):
            want = np.asarray(expected(p, pt), dtype=float)
            got = np.asarray(evaluate(result, pt.values, pt.dims, pt.symvals), dtype=float)
        if not np.all(np.isfinite(want)):
            continue  # outside the domain (a log of a negative, say): another point
        if got.shape != want.shape:
            got = got.reshape(want.shape) if got.size == want.size else got
        if got.shape != want.shape or not np.all(np.isfinite(got)):
            return CheckReport(float("inf"), tried + 1)
        scale = max(1.0, float(np.max(np.abs(want))))
        if p.kind == "hessian":  # second differences lose ε·|f|/h² to rounding
            f0 = np.asarray(evaluate(p.node, pt.values, pt.dims, pt.symvals), dtype=float)
            scale = max(scale, 0.1 * float(np.max(np.abs(f0))))
        err = float(np.max(np.abs(got - want)) / scale)
        worst = max(worst, err)
        tried += 1
        if tried >= points:
            break
    if tried == 0:
        return CheckReport(float("nan"), 0)
    return CheckReport(worst, tried)
