"""`--format numpy`: one line of NumPy (SPEC §4). A matrix result prints with the entries'
NumPy rules; a tensor derivative printed as a linear map dF = L(dX) prints as the full array,
L applied to each basis matrix E of X, with F's axes first (X's first in denominator layout)."""

from __future__ import annotations

from .names import Namespace, spellings, user_names
from .printer import Printer, to_numpy


def line_namespace(result) -> Namespace:
    """The names of the expression (variables, dimensions) and how the user wrote them. The line
    is evaluated with `np` bound to NumPy (SPEC §4), so a user's name `np` is refused."""
    from ..errors import MatcalcError

    trees = [t for t in (result.node, result.function, result.array) if t is not None]
    user = user_names(trees, result.decls)
    if "np" in user:
        raise MatcalcError(
            "a variable or dimension named np cannot be used in a NumPy line (--format numpy, "
            'json): the line is evaluated with np bound to NumPy, eval(line, {"np": numpy, '  # safe: text
            "**values}); rename it, or use --format python, which imports NumPy under a free name"
        )
    declared = set(result.decls.items) if result.decls is not None else set()
    scalars = set().union(*(t.free() for t in trees)) - declared
    return Namespace(user, spellings(getattr(result, "source", "") or "", scalars))


def used_modules_free(line: str, names: Namespace) -> str:
    """The line, when the modules it calls are bound under their own names: it is evaluated
    with `scipy` bound to SciPy too (SPEC §7.2), so a user's `scipy` is refused where the line
    calls SciPy (a line that does not may keep it)."""
    from ..errors import MatcalcError

    if names.modules.get("scipy", "scipy") != "scipy":
        raise MatcalcError(
            "a variable or dimension named scipy cannot be used in a NumPy line that calls "
            "SciPy (--format numpy, json): the line is evaluated with scipy bound to SciPy; "
            "rename it, or use --format python, which imports SciPy under a free name"
        )
    return line


def tensor_line(result, names: Namespace | None = None) -> str:
    """The full array of a linear map: L(Eᵢⱼ) for every basis matrix Eᵢⱼ of X, axes arranged."""
    if names is None:
        names = Namespace(user_names([result.array], getattr(result, "decls", None)))
    p = Printer("numpy", names)
    leaf = result.dleaf
    d = names.fresh("_d_" + leaf.data)
    p.node_names[leaf] = d  # dX is the lambda's parameter
    body = f"(lambda {d}: {p(result.array)} + np.zeros({p.np_shape(result.array.shape)}))"
    r, c = leaf.shape
    if c == 1 or r == 1:
        n, e = p.dim(r if c == 1 else c), names.fresh("_e")
        stacked = f"np.array([{body}({e}) for {e} in np.eye({n})])"
        x_axes = 1
    else:
        rr, cc = p.dim(r), p.dim(c)
        a, b = names.fresh("_a"), names.fresh("_b")
        e = f"np.outer({a}, {b})"
        stacked = f"np.array([[{body}({e}) for {b} in np.eye({cc})] for {a} in np.eye({rr})])"
        x_axes = 2
    if result.layout == "denominator" or result.array.shape == ():
        return names.finish(stacked)
    if x_axes == 1:
        return names.finish(f"np.moveaxis({stacked}, 0, -1)")
    return names.finish(f"np.moveaxis({stacked}, (0, 1), (-2, -1))")


__all__ = ["line_namespace", "tensor_line", "to_numpy"]
