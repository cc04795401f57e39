"""Random test points: entries of both signs, sizes 2–4 for symbolic dimensions, and only points
where every operator of the given expressions is defined and smooth (each entry's domain)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..expr.decls import Decls
from ..expr.node import Node, postorder
from .numeric import OutsideDomain, evaluate


@dataclass
class Point:
    """Values by variable name in the interpreter's array convention (floats for scalars, 1-D
    vectors, 2-D matrices) and the sizes."""

    values: dict
    dims: dict


def scalar_names(nodes: list[Node]) -> set[str]:
    """The scalar variables the trees use."""
    return {
        m.data[0]
        for m in postorder([n for n in nodes if n is not None])
        if m.is_variable and m.shape == ()
    }


def random_point(
    decls: Decls, scalars: set[str], rng: np.random.Generator, attempt: int = 0, dims=None
) -> Point:
    """Entries of both signs (|entry| in [0.3, 1.5]); every other attempt, square matrices near 𝐈
    so that det > 0 and inverses are well conditioned."""
    dims = dict(dims or {})
    for name in sorted(decls.items):
        for d in decls.items[name].shape:
            if d.is_Symbol and d not in dims:
                dims[d] = int(rng.integers(2, 5))
    values: dict = {}
    for name in sorted(decls.items):
        decl = decls.items[name]
        sizes = [sp.sympify(d).xreplace(dims) for d in decl.shape]  # safe: dimensions
        r, c = (int(sizes[0]), int(sizes[1])) if sizes else (1, 1)
        if (r, c) == (1, 1):
            values[name] = _signed(rng, ())
            continue
        a = _signed(rng, (r, c))
        if r == c and attempt % 2 == 1:
            a = np.eye(r) + a * (0.3 / r)
        if decl.symmetric:
            a = (a + a.T) / 2
        values[name] = a.reshape(-1) if 1 in (r, c) else a  # a vector, row or column: 1-D
    for s in sorted(scalars):
        if s not in values:
            values[s] = float(_signed(rng, ()))
    return Point(values, dims)


def _signed(rng: np.random.Generator, shape: tuple) -> object:
    mag = rng.uniform(0.3, 1.5, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return mag * sign


def valid_point(
    nodes: list[Node],
    decls: Decls,
    rng: np.random.Generator,
    tries: int = 200,
    dims=None,
    extra: set[str] | None = None,
    strict: bool = True,
) -> Point | None:
    """A point where every node is defined and (strict) smooth, or None after `tries` attempts;
    `extra` names scalars to give values to even if no node holds them."""
    scalars = scalar_names(nodes) | (extra or set())
    dims = dict(dims or {})
    for s in _exponent_symbols(nodes):  # Xᵏ with a symbolic k: k is a size like a dimension
        dims.setdefault(s, int(rng.integers(2, 5)))
    for attempt in range(tries):
        pt = random_point(decls, scalars, rng, attempt, dims)
        try:
            for n in nodes:
                if n is not None:
                    out = evaluate(n, pt.values, pt.dims, check_domain=strict)
                    if not np.all(np.isfinite(np.asarray(out, dtype=float))):
                        raise OutsideDomain(n)
        except (OutsideDomain, np.linalg.LinAlgError, ValueError, ZeroDivisionError, OverflowError):
            continue
        return pt
    return None


def _exponent_symbols(nodes: list[Node]) -> set:
    """The integer symbols of the constants (an exponent k of Xᵏ) that no shape sizes."""
    from ..expr.node import postorder

    return {
        s
        for m in postorder([n for n in nodes if n is not None])
        if m.is_number
        for s in m.data.free_symbols
        if s.is_integer
    }
