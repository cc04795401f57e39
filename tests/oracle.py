"""A small finite-difference oracle that shares nothing with matcalc (it never imports it).

It differentiates a plain Python function of NumPy arrays numerically, draws random points, and
says, from SPEC §3 and §4 alone, what matcalc's printed NumPy result must evaluate to.

Conventions: vec stacks columns (column-major, ``order="F"``); the Jacobian of F by X is
d vec(F) / d vec(X)ᵀ, an |F|×|X| matrix. In values, scalars are floats, vectors 1-D arrays and
matrices 2-D arrays (SPEC §4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

H1 = 1e-4  # step of the 4th-order first-derivative stencil
H2 = 1e-3  # step of the second differences (Richardson-extrapolated with H2/2)
KINK_TOL = 1e-6  # FD at h and h/4 must agree to this (relative) or the point is rejected
KINK_TOL2 = 1e-5

Shape = tuple[int, ...]


# --------------------------------------------------------------------------- vec / unvec


def vec(a: object) -> np.ndarray:
    """Column-major vec of a scalar, vector or matrix, as a 1-D float array."""
    return np.asarray(a, dtype=float).reshape(-1, order="F")


def unvec(v: np.ndarray, shape: Shape) -> object:
    """The inverse of vec: a float for shape (), else an array of that shape."""
    if shape == ():
        return float(v[0])
    return np.asarray(v, dtype=float).reshape(shape, order="F").copy()


# --------------------------------------------------------------------------- finite differences


def fd_jacobian(f: Callable[[object], object], x: object, h: float = H1) -> np.ndarray:
    """d vec f(x) / d vec(x)ᵀ by the central stencil (-f(+2h) + 8 f(+h) - 8 f(-h) + f(-2h)) / 12h."""
    shape = np.shape(x)
    x0 = vec(x)
    cols = []
    for k in range(x0.size):
        e = np.zeros_like(x0)
        e[k] = h

        def g(s: float, e: np.ndarray = e) -> np.ndarray:
            return vec(f(unvec(x0 + s * e, shape)))

        cols.append((-g(2) + 8 * g(1) - 8 * g(-1) + g(-2)) / (12 * h))
    return np.stack(cols, axis=1)


def _second_differences(f: Callable[[object], object], x: object, h: float) -> np.ndarray:
    shape = np.shape(x)
    x0 = vec(x)
    n = x0.size

    def g(d: np.ndarray) -> float:
        return float(np.asarray(f(unvec(x0 + d, shape)), dtype=float))

    out = np.empty((n, n))
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h
        for j in range(i, n):
            ej = np.zeros(n)
            ej[j] = h
            val = (g(ei + ej) - g(ei - ej) - g(-ei + ej) + g(-ei - ej)) / (4 * h * h)
            out[i, j] = out[j, i] = val
    return out


def fd_hessian(f: Callable[[object], object], x: object, h: float = H2) -> np.ndarray:
    """d² f / d vec(x) d vec(x)ᵀ of a scalar f: second differences, Richardson-extrapolated
    (4 D(h/2) - D(h)) / 3, which cancels the h² error term."""
    return (4 * _second_differences(f, x, h / 2) - _second_differences(f, x, h)) / 3


def _agree(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(1.0, float(np.max(np.abs(a), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) <= tol * scale


# --------------------------------------------------------------------------- random points


def random_array(shape: Shape, rng: np.random.Generator, kind: str = "general") -> object:
    """Entries of both signs with |entry| in [0.3, 1.5].

    kind: "general"; "positive" (entries in [0.3, 1.5]); "near_eye" (I + a small perturbation of
    both signs, for inv/det/logdet); "sym" / "sym_near_eye" (symmetric versions)."""
    mag = rng.uniform(0.3, 1.5, size=shape)
    sgn = rng.choice([-1.0, 1.0], size=shape)
    a = mag if kind == "positive" else mag * sgn
    if kind.startswith("sym"):
        a = np.triu(a) + np.triu(a, 1).T
    if kind.endswith("near_eye"):
        a = np.eye(shape[0]) + 0.15 * a
    return float(a) if shape == () else a


@dataclass
class Point:
    values: dict[str, object]  # variable name -> float / 1-D / 2-D array
    dims: dict[str, int]
    jac: np.ndarray  # d vec F / d vec(X)ᵀ at the point
    hess: np.ndarray | None  # the Hessian when asked for (scalar F)
    f_shape: Shape
    x_shape: Shape


def _is_square_matrix(a: object) -> bool:
    return np.ndim(a) == 2 and np.shape(a)[0] == np.shape(a)[1]


def find_point(
    f: Callable[..., object],
    shapes: Mapping[str, Shape],
    kinds: Mapping[str, str],
    wrt: str | tuple[str, ...],
    dims: Mapping[str, int],
    rng: np.random.Generator,
    hessian: bool = False,
    tries: int = 400,
) -> Point:
    """A random point where f is finite and smooth enough for finite differences.

    f is called with keyword arguments: every variable of `shapes` plus every dimension name.
    `wrt` is one variable name, or a tuple of scalar names that together form the vector
    differentiated by (indexed scalars x1, x2, x3). Points where f (or its FD derivative) is
    not finite, where a square matrix is badly conditioned, or where the FD derivative at step h
    and h/4 disagree (a kink or jump of abs/relu/sign/norm1 in the stencil) are rejected."""
    names = tuple(wrt) if isinstance(wrt, tuple) else (wrt,)
    for _ in range(tries):
        values = {
            name: random_array(shp, rng, kinds.get(name, "general")) for name, shp in shapes.items()
        }
        if any(_is_square_matrix(v) and np.linalg.cond(v) > 1e3 for v in values.values()):
            continue
        if isinstance(wrt, tuple):
            x0: object = np.array([values[n] for n in names], dtype=float)
        else:
            x0 = values[wrt]

        def fx(x: object, values: dict = values) -> object:
            env = dict(values)
            if isinstance(wrt, tuple):
                for i, n in enumerate(names):
                    env[n] = float(np.asarray(x)[i])
            else:
                env[wrt] = x
            return f(**env, **dims)

        with np.errstate(all="ignore"):
            try:
                f0 = np.asarray(fx(x0), dtype=float)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError):
                continue
            if not np.all(np.isfinite(f0)):
                continue
            jac = fd_jacobian(fx, x0)
            if not _agree(jac, fd_jacobian(fx, x0, H1 / 4), KINK_TOL):
                continue
            hess = None
            if hessian:
                hess = fd_hessian(fx, x0)
                if not _agree(hess, fd_hessian(fx, x0, H2 / 4), KINK_TOL2):
                    continue
        return Point(values, dict(dims), jac, hess, f0.shape, np.shape(x0))
    raise RuntimeError("no admissible random point found")


# --------------------------------------------------------------------------- SPEC §3 layouts


def printed(a: object) -> object:
    """SPEC §4: a row or column vector result is 1-D, a 1×1 result a scalar."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.size == 1 and arr.ndim <= 1:
        return float(arr.reshape(()))
    return arr


def is_tensor(cmd: str, f_shape: Shape, x_shape: Shape) -> bool:
    """Order-3/4 derivatives, printed as a linear map (SPEC §3 v2)."""
    if cmd == "hessian":
        return len(x_shape) == 2
    if cmd == "jacobian":
        return len(x_shape) >= 1 and len(f_shape) + len(x_shape) >= 3
    return False


def _sym(g: np.ndarray) -> np.ndarray:
    return (g + g.T) / 2


def expected(
    cmd: str,
    jac: np.ndarray,
    f_shape: Shape,
    x_shape: Shape,
    layout: str = "mixed",
    vec_form: bool = False,
    sym: bool = False,
    v: object = None,
    hess: np.ndarray | None = None,
) -> object:
    """What `eval(r.numpy())` must give, from the FD Jacobian J = d vec F / d vec(X)ᵀ (|F|×|X|)
    (and for `hessian` the FD Hessian d²f / d vec X d vec Xᵀ), by SPEC §3 alone."""
    assert layout in ("mixed", "numerator", "denominator")
    nf, nx = int(np.prod(f_shape, dtype=int)), int(np.prod(x_shape, dtype=int))
    assert jac.shape == (nf, nx)
    if cmd == "vjp":  # vᵀJ shaped like x (symmetric variable: the symmetric-space gradient)
        g = unvec(vec(v) @ jac, x_shape)
        return printed(_sym(g) if sym else g)
    if cmd == "jvp":  # J v shaped like f
        return printed(unvec(jac @ vec(v), f_shape))
    if cmd == "hvp":  # H v shaped like x: the FD Hessian applied to v
        assert hess is not None and f_shape == ()
        return printed(unvec(hess @ vec(v), x_shape))
    if cmd == "hessian":
        assert hess is not None and f_shape == ()
        if vec_form or len(x_shape) < 2:
            return printed(hess)  # n×n in every layout
        return hess.reshape(x_shape + x_shape, order="F")  # symmetric: X's axes twice
    if vec_form:  # d vec F / d vec(X)ᵀ, transposed in the denominator layout
        return printed(jac.T if layout == "denominator" else jac)
    if cmd == "grad":
        assert f_shape == ()
        g = unvec(jac[0], x_shape)
        if sym:
            g = _sym(g)
        if len(x_shape) == 2 and layout == "numerator":
            g = g.T  # scalar by matrix n×m: numerator m×n
        return printed(g)
    if cmd == "jacobian":
        if x_shape == ():
            # vector f by scalar t: m×1, m×1, 1×m (1-D in all); matrix f by scalar: shaped like f
            # in every layout (docs/layouts.md: the SPEC is silent).
            return printed(unvec(jac[:, 0], f_shape))
        if is_tensor(cmd, f_shape, x_shape):
            full = jac.reshape(f_shape + x_shape, order="F")  # F's axes, then X's
            if layout == "denominator":  # X's axes first
                full = np.moveaxis(full, tuple(range(len(f_shape))), tuple(range(-len(f_shape), 0)))
            return full
        # vector f (m) by vector x (n): m×n, m×n, n×m
        return printed(jac.T if layout == "denominator" else jac)
    raise ValueError(f"unknown command {cmd!r}")


def compare(got: object, want: object, rtol: float) -> tuple[bool, str]:
    """Shapes equal and max|got - want| <= rtol * max(1, max|want|)."""
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError) as exc:
        return False, f"result is not a float array: {exc}"
    w = np.asarray(want, dtype=float)
    if g.shape != w.shape:
        return False, f"shape: expected {w.shape}, got {g.shape}"
    if not np.all(np.isfinite(g)):
        return False, "result is not finite"
    scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
    err = float(np.max(np.abs(g - w), initial=0.0)) / scale
    return err <= rtol, f"relative error {err:.3g} (rtol {rtol:g})"
