"""The Python API of SPEC §6; the CLI is a thin layer over these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .engine import build_problem, derive, final_layout, printer_names
from .errors import LimitError
from .result import Result
from .simplify import tidy
from .values import bind, evaluate_at, parse_at

At = Mapping[str, object] | Iterable[str] | None


def _run(*args, **kwargs) -> Result:
    """Derive, turning a stack overflow (which the depth limit should prevent) into a limit error."""
    try:
        return _derive(*args, **kwargs)
    except RecursionError:
        raise LimitError("expression too deeply nested for the derivation") from None


def _derive(
    kind: str,
    expr: str,
    wrt: str,
    let: Iterable[str] | None,
    layout: str,
    v: str | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
    vec: bool = False,
    steps: bool = False,
) -> Result:
    p = build_problem(kind, expr, wrt, list(let or ()), layout, v, vec, expand)
    values = parse_at(at)
    mixed, engine = derive(p)
    mixed = _tidy_within_budget(mixed, p.notes)
    node = final_layout(p, mixed)
    res = Result(
        kind, wrt, p.layout, node, printer_names(p, node), engine, notes=p.notes, source=expr
    )
    res.function, res.decls = p.node, p.decls
    if values:
        env, dims = bind(values, p.decls, p.family)
        res.value = evaluate_at(node, env, dims)
    if check:
        from .check import fd_check

        report = fd_check(p, mixed)
        res.check_error, res.check_ok = report.error, report.ok
    if steps:
        from .steps import derivation_steps

        res.steps = derivation_steps(p, mixed, engine)
    return res


def _tidy_within_budget(node, notes: list[str]):
    """Factor the result, unless that takes longer than the budget: then keep it as it is."""
    from .budget import BudgetExceeded, simplify_seconds, time_budget

    seconds = simplify_seconds()
    try:
        with time_budget(seconds):
            return tidy(node)
    except BudgetExceeded:
        notes.append(
            f"simplification stopped after {seconds:g} s; the result is correct but not simplified"
        )
        return node


def grad(
    expr: str,
    wrt: str,
    let: Iterable[str] | None = None,
    layout: str = "mixed",
    at: At = None,
    check: bool = False,
    expand: bool = False,
    vec: bool = False,
    steps: bool = False,
) -> Result:
    """The gradient of a scalar expression: shaped like `wrt` in the mixed layout."""
    return _run("grad", expr, wrt, let, layout, None, at, check, expand, vec, steps)


def jacobian(
    expr: str,
    wrt: str,
    let: Iterable[str] | None = None,
    layout: str = "mixed",
    at: At = None,
    check: bool = False,
    expand: bool = False,
    vec: bool = False,
    steps: bool = False,
) -> Result:
    """The Jacobian of a vector expression: m×n in the mixed layout."""
    return _run("jacobian", expr, wrt, let, layout, None, at, check, expand, vec, steps)


def hessian(
    expr: str,
    wrt: str,
    let: Iterable[str] | None = None,
    layout: str = "mixed",
    at: At = None,
    check: bool = False,
    expand: bool = False,
    vec: bool = False,
    steps: bool = False,
) -> Result:
    """The Hessian of a scalar expression by a vector: n×n."""
    return _run("hessian", expr, wrt, let, layout, None, at, check, expand, vec, steps)


def vjp(
    expr: str,
    wrt: str,
    v: str,
    let: Iterable[str] | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
) -> Result:
    """vᵀJ shaped like `wrt`: what PyTorch's `y.backward(v)` leaves in `x.grad`."""
    return _run("vjp", expr, wrt, let, "mixed", v, at, check, expand)


def jvp(
    expr: str,
    wrt: str,
    v: str,
    let: Iterable[str] | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
) -> Result:
    """J v shaped like the expression: forward mode."""
    return _run("jvp", expr, wrt, let, "mixed", v, at, check, expand)
