"""`--check`: the printed result against central finite differences of the expression exactly as
the user wrote it (parsed, but with no rewrite), at points with entries of both signs.

The expected value is built here from the full finite-difference Jacobian with its own reading
of the layout table of SPEC §3 — it shares no code with the derivation's layout conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import LimitError
from ..expr.node import Node, postorder
from .numeric import OutsideDomain, evaluate
from .points import random_point, scalar_names, valid_point

TOLERANCE = 1e-5
H1, H2 = 1e-4, 1e-4
# a derivative below this fraction of |f| is measured against it: central differences of f
# carry ε|f|/h of rounding (the stencil's weights sum to 18/12), a tenth of the tolerance here
NOISE_FLOOR = 10 * 3 * float(np.finfo(float).eps) / (H1 * TOLERANCE)
TINY = float(np.finfo(float).tiny)


@dataclass
class CheckReport:
    """The largest relative error over the points tried, and whether it passes."""

    error: float
    points: int
    tolerance: float = TOLERANCE
    refusal: str = ""  # why no verdict is possible: the check refuses rather than fail falsely

    @property
    def ok(self) -> bool:
        return bool(self.points > 0 and np.isfinite(self.error) and self.error <= self.tolerance)


class _Access:
    """Reads and writes the variable at a point: a declared array, a scalar, or a list of scalars."""

    def __init__(self, var, point):
        self.pt = point
        self.var = var
        if var.kind == "components" and all(n.is_variable for n in var.nodes):
            self.names = [n.data[0] for n in var.nodes]
        else:
            self.names = None

    def get(self) -> np.ndarray:
        """The value as the interpreter holds it (a vector 1-D); a scalar as 1×1."""
        if self.names is not None:
            return np.array([float(self.pt.values[n]) for n in self.names])
        v = self.pt.values[self.var.name]
        return np.array([[float(v)]]) if np.ndim(v) == 0 else np.array(v, dtype=float)

    def set(self, x: np.ndarray) -> None:
        if self.names is not None:
            for n, val in zip(self.names, x, strict=True):
                self.pt.values[n] = float(val)
        elif np.ndim(self.pt.values[self.var.name]) == 0:
            self.pt.values[self.var.name] = float(x[0, 0])
        else:
            self.pt.values[self.var.name] = x


def vec(a: object) -> np.ndarray:
    """Column-major stacking; a scalar is 1×1."""
    return (
        np.asarray(a, dtype=float).reshape(-1, 1, order="F")
        if np.ndim(a)
        else np.array([[float(a)]])
    )


def fd_jacobian(f, acc: _Access, h: float = H1) -> np.ndarray:
    """d vec f / d vec(x)ᵀ by a fourth-order central stencil."""
    x0 = acc.get()
    cols = []
    for k in range(x0.size):
        e = np.zeros(x0.size)
        e[k] = h
        step = e.reshape(x0.shape, order="F")
        vals = []
        for m in (2, 1, -1, -2):
            acc.set(x0 + m * step)
            vals.append(vec(f()))
        cols.append((-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h))
    acc.set(x0)
    return np.hstack(cols)


def _stable(a: np.ndarray, b: np.ndarray) -> bool:
    """Two finite-difference estimates agree: no pole or kink too close to the point."""
    scale = max(1.0, float(np.max(np.abs(a))) if a.size else 1.0)
    return bool(
        np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.max(np.abs(a - b)) <= 1e-7 * scale
    )


def _scale(want: np.ndarray, f0, spread: float | None, kind: str) -> float:
    """What an error is relative to: the derivative's size, floored where finite differences
    cannot resolve it — rounding of f (ε|f|/h), and the spread of the estimates at h and h/2
    (an f computed through inverses carries more than ε) — so a small derivative is measured,
    not excused by an absolute floor (x²/10⁶ and 10⁻²⁰⁰ x² are checked as x² is). Gradients
    and Jacobians only; second derivatives keep the floor 1."""
    size = float(np.max(np.abs(want))) if want.size else 0.0
    big = float(np.max(np.abs(f0))) if np.size(f0) else 0.0
    if spread is None:  # second differences (they lose ε|f|/h² to rounding), or a map along
        # random directions: no spread of two estimates to measure the noise by, so at least 1
        return max(1.0, size, 0.1 * big if kind in ("hessian", "hvp") else 0.0)
    return max(size, NOISE_FLOOR * big, 10 * spread / TOLERANCE, TINY)


def fd_hessian(f, acc: _Access) -> np.ndarray:
    """Second differences at h and h/2, Richardson-extrapolated."""
    return (4 * _second(f, acc, H2 / 2) - _second(f, acc, H2)) / 3


def _second(f, acc: _Access, h: float) -> np.ndarray:
    x0 = acc.get()
    n = x0.size
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h, h
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                acc.set(x0 + (si * ei + sj * ej).reshape(x0.shape, order="F"))
                vals.append(float(f()))
            out[i, j] = out[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
    acc.set(x0)
    return out


def _unvec(v: np.ndarray, shape: tuple) -> np.ndarray:
    return v.reshape(shape, order="F")


def expected(
    kind: str,
    layout: str,
    use_vec: bool,
    f0,
    x0: np.ndarray,
    x_scalar: bool,
    jac,
    hess,
    v,
    symmetric,
) -> np.ndarray:
    """What the printed result must be, from the SPEC §3 table read independently."""
    f_scalar = np.ndim(f0) == 0
    f_shape = np.shape(f0) if not f_scalar else (1, 1)

    def sym(g):
        return (g + g.T) / 2 if symmetric else g

    if kind == "hessian":
        return hess
    if kind == "hvp":
        return _unvec(hess @ vec(v), x0.shape)
    if kind == "vjp":
        return sym(_unvec(jac.T @ vec(v), x0.shape))
    if kind == "jvp":
        return _unvec(jac @ vec(v), f_shape)
    if use_vec:
        return jac.T if layout == "denominator" else jac
    if f_scalar and x_scalar:
        return jac
    if f_scalar:
        g = sym(_unvec(jac[0], x0.shape))
        return g.T if layout == "numerator" else g
    if x_scalar:  # a vector is 1-D: its layouts differ only in the printed orientation
        return _unvec(jac[:, 0], f_shape)
    if len(f_shape) == 1:
        return jac.T if layout == "denominator" else jac
    raise ValueError("a tensor")


def fd_check(
    p, printed: Node, map_leaf: Node | None = None, points: int = 3, seed: int = 0
) -> CheckReport:
    """Largest relative error of the printed result against finite differences of p.raw.

    Points are where every operator is defined and smooth; if the expression as written has
    none (‖x − x‖ sits at the kink of the norm everywhere), points where it is defined. A point
    where the finite differences at h and h/2 disagree (a pole or a kink nearby) is skipped."""
    rng = np.random.default_rng(seed)
    worst, tried = 0.0, 0
    unmeasured: dict[str, int] = {}  # points skipped, by the reason finite differences fail
    nodes = [p.raw, printed if map_leaf is None else None, p.v]
    _refuse_huge_constants(nodes)
    own = {n.data[0] for n in p.var.nodes if n.is_variable and n.shape == ()}
    strict = valid_point(nodes, p.decls, np.random.default_rng(seed), extra=own) is not None
    for _ in range(points * 6):
        pt = valid_point(nodes, p.decls, rng, extra=own, strict=strict)
        if pt is None:
            break
        acc = _Access(p.var, pt)
        x0 = acc.get()

        def f(pt=pt):
            return evaluate(p.raw, pt.values, pt.dims)

        spread = None  # how far the estimates at h and h/2 differ
        try:
            with np.errstate(all="ignore"):
                f0 = f()
                v = evaluate(p.v, pt.values, pt.dims) if p.v is not None else None
                if map_leaf is not None:
                    want, got = _map_values(p, printed, map_leaf, f, acc, pt, rng)
                else:
                    second = p.kind in ("hessian", "hvp")
                    jac = fd_jacobian(f, acc) if not second else None
                    why = _unmeasurable(f0, jac)
                    if why:
                        unmeasured[why] = unmeasured.get(why, 0) + 1
                        continue
                    half = fd_jacobian(f, acc, H1 / 2) if jac is not None else None
                    if jac is not None and not _stable(jac, half):
                        continue
                    if jac is not None and jac.size:
                        spread = float(np.max(np.abs(jac - half)))
                    hess = fd_hessian(f, acc) if second else None
                    x_scalar = p.var.shape == ()
                    want = expected(
                        p.kind, p.layout, p.vec, f0, x0, x_scalar, jac, hess, v, p.var.symmetric
                    )
                    got = np.asarray(evaluate(printed, pt.values, pt.dims), dtype=float)
        except (OutsideDomain, np.linalg.LinAlgError):
            continue
        want = np.asarray(want, dtype=float)
        got = np.asarray(got, dtype=float)
        if got.shape != want.shape:
            if got.size == want.size and (got.ndim == 0 or want.ndim == 0 or 1 in got.shape):
                got = got.reshape(want.shape)
            else:
                return CheckReport(float("inf"), tried + 1)
        if not (np.all(np.isfinite(want)) and np.all(np.isfinite(got))):
            continue
        scale = _scale(want, f0, spread, p.kind)
        worst = max(worst, float(np.max(np.abs(got - want)) / scale))
        tried += 1
        if tried >= points:
            break
    if tried == 0:
        if not unmeasured and _overflows(p, nodes, seed):
            unmeasured[OVERFLOW] = 1
        refusal = max(unmeasured, key=unmeasured.get) if unmeasured else ""
        return CheckReport(float("nan"), 0, refusal=refusal)
    return CheckReport(worst, tried)


def combined_check(results) -> tuple[bool | None, str]:
    """One verdict for several checks: any failure fails; else any refusal refuses."""
    if any(r.check_ok is False for r in results):
        return False, ""
    refusal = next((r.check_refusal for r in results if r.check_refusal), "")
    return (None, refusal) if refusal else (True, "")


OVERFLOW = "the values overflow double precision (over 1.8e308) at the points tried"
ROUNDING = (
    "the values (about {:.0e}) are too large beside their derivative for finite differences "
    "in double precision to measure a relative error"
)


def _unmeasurable(f0, jac) -> str:
    """Why finite differences cannot check this point, or "": the values overflow, or rounding
    of f (ε|f|/h per difference) is not far below the error the check must resolve."""
    big = float(np.max(np.abs(f0))) if np.size(f0) else 0.0
    if not np.isfinite(big) or (jac is not None and not np.all(np.isfinite(jac))):
        return OVERFLOW
    if jac is None:
        return ""
    scale = max(1.0, float(np.max(np.abs(jac))) if jac.size else 1.0)
    noise = 3 * np.finfo(float).eps * big / H1  # the stencil's weights sum to 18/12
    return ROUNDING.format(big) if noise > 0.01 * TOLERANCE * scale else ""


def _overflows(p, nodes, seed: int) -> bool:
    """Whether the expression is defined at random points but its value is not finite there."""
    rng = np.random.default_rng(seed)
    scalars = scalar_names(nodes) | {
        n.data[0] for n in p.var.nodes if n.is_variable and n.shape == ()
    }
    for attempt in range(20):
        pt = random_point(p.decls, scalars, rng, attempt)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(evaluate(p.raw, pt.values, pt.dims), dtype=float)
        except (OutsideDomain, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            continue
        except OverflowError:
            return True
        if np.any(np.isinf(out)):
            return True
    return False


def _refuse_huge_constants(nodes: list[Node | None]) -> None:
    """The check computes in floats: a constant beyond their range (exp(1000)) would make every
    point look undefined and the check a false alarm, so it is refused with the reason."""
    for m in postorder([n for n in nodes if n is not None]):
        if not m.is_number or m.data.free_symbols:
            continue
        try:
            finite = math.isfinite(float(m.data))
        except OverflowError:
            finite = False
        if not finite:
            text = str(m.data)  # SymPy's own spelling of a number: exp(1000), 10**400
            text = text if len(text) <= 80 else f"{text[:60]}… ({len(text):,} characters)"
            raise LimitError(
                f"--check computes in floating point, and the constant {text} is beyond its "
                "range (about 1.8e308)"
            )


def _map_values(
    p, printed: Node, leaf: Node, f, acc: _Access, pt, rng
) -> tuple[np.ndarray, np.ndarray]:
    """A linear map dF in dX: its value at a random direction against the directional derivative."""
    x0 = acc.get()
    direction = rng.uniform(-1, 1, size=x0.shape)
    if p.var.symmetric:
        direction = (direction + direction.T) / 2
    values = dict(pt.values)
    values[("d", leaf.data)] = direction if leaf.shape else float(direction[0, 0])
    got = np.asarray(evaluate(printed, values, pt.dims), dtype=float)
    jac = fd_jacobian(f, acc) if p.kind != "hessian" else None
    if p.kind == "hessian":  # d²f = ⟨dX, H dX⟩ along the direction
        hess = fd_hessian(f, acc)
        want = float((vec(direction).T @ hess @ vec(direction))[0, 0])
        return np.asarray(want), got
    f0 = f()
    want = _unvec(jac @ vec(direction), np.shape(f0) if np.ndim(f0) else (1, 1))
    return want, got
