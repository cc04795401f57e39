"""The Python API of SPEC §6; the CLI is a thin layer over these functions.

Each function keeps its keywords (help() and IDEs show them), gathers the options among them
into one `Options` (checked there) and hands it to `run`, which the CLI calls with the same
object built from its flags."""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from . import ops as O
from .budget import BudgetExceeded, Deadline, check_time, simplify_seconds, time_limit
from .derive.engine import KINDS, Problem, derive, derive_together
from .derive.layout import to_layout
from .derive.variables import Variable, resolve
from .errors import TOO_LARGE, LimitError, MatcalcError, UndefinedError
from .evaluate.values import bind, exact_value, parse_at, parse_value, value_node
from .expr.decls import Decl, Decls
from .expr.node import Node, postorder, shape_str, transposed
from .options import At, Options, check_layout
from .reader import Parsed, parse, read_input
from .result import Result, Results
from .simplify.tidy import tidy


def _guarded(fn, *args, timeout: float | None = None, **kwargs):
    """Run one API call within its time limit (`timeout=` seconds, SPEC §7.6); turn a stack
    overflow (which the depth limit should prevent) into a limit error."""
    try:
        with time_limit(timeout):
            try:
                out = fn(*args, **kwargs)
            except MatcalcError:
                check_time()  # an error met after the time ran out (maybe re-worded) is the limit's
                raise
            check_time()  # a step that caught the limit and fell back must not pass for a result
            return out
    except RecursionError:
        raise LimitError("expression too deeply nested for the derivation") from None
    except OverflowError:
        raise LimitError(TOO_LARGE) from None


def parse_v(text: str | Node, decls: Decls) -> Node:
    """--v: a declared name (a symbolic result), or a literal in --at syntax."""
    if isinstance(text, Node):
        return text
    text = str(text).strip()
    decl = decls.get(text)
    if decl is not None:
        return decl.node()
    return value_node(parse_value(text, "--v"))


def _bind_dims(target, got, what: str) -> dict:
    """A literal --v of a concrete size fixes the symbolic dimensions it meets (SPEC §1 v2)."""
    out: dict = {}
    if target == () or got == ():
        raise MatcalcError(f"--v for {what} is {shape_str(target)}, got {shape_str(got)}")
    for t, g in zip(target, got, strict=True):
        if t == g:
            continue
        if t.is_Symbol and g.is_Integer:
            if out.setdefault(t, g) != g:
                raise MatcalcError(f"--v: size {t} would be both {out[t]} and {g}")
        else:
            raise MatcalcError(f"--v for {what} is {shape_str(target)}, got {shape_str(got)}")
    return out


def _with_dims(decls: Decls, binding: dict) -> Decls:
    out = Decls(bound={**decls.bound, **{str(k): sp.Integer(v) for k, v in binding.items()}})
    for name, d in decls.items.items():
        out.items[name] = Decl(
            name,
            tuple(sp.sympify(x).xreplace(binding) for x in d.shape),  # safe: dimensions
            d.symmetric,
        )
    return out


def problems(
    kind: str,
    expr: str,
    wrt: str,
    let: Iterable[str] | None = None,
    layout: str = "mixed",
    v: str | Node | None = None,
    vec: bool = False,
    expand: bool = False,
    input: str = "text",
) -> tuple[list[Problem], Parsed]:
    """Parse and check everything a derivation needs, before any differentiation."""
    if kind not in KINDS:
        raise MatcalcError(f"unknown kind {kind!r}")
    check_layout(layout)
    decls = Decls.parse(list(let or ()))
    expr = read_input(expr, input, decls)
    parsed = parse(expr, decls)
    _not_a_where_name(wrt, parsed)
    variables = resolve(wrt, decls, parsed.family)
    if kind == "hvp" and len(variables) > 1:
        raise MatcalcError(
            "hvp takes one --wrt variable (H v needs a direction per variable); "
            "run it once per name, or use --wrt x1,x2,… for a vector of scalars"
        )
    vnode = parse_v(v, decls) if v is not None else None
    row = kind == "vjp" and parsed.node.is_row and vnode is not None and vnode.is_vector
    if (
        vnode is not None
        and kind in ("vjp", "jvp", "hvp")
        and len(variables) == 1
        and (vnode.is_literal or vnode.is_number)
    ):
        target = parsed.node.shape if kind == "vjp" else variables[0].shape
        target = transposed(target) if row else target
        if vnode.shape != target:
            binding = _bind_dims(target, vnode.shape, kind)
            decls = _with_dims(decls, binding)
            parsed = parse(expr, decls)
            variables = resolve(wrt, decls, parsed.family)
    if row and vnode.shape == transposed(parsed.node.shape):  # a row f is differentiated as fᵀ
        vnode = O.transpose(vnode)
    raw = parse(expr, decls, raw=True).node
    notes = list(parsed.notes) + _absent(variables, raw)
    out = [
        Problem(
            kind,
            expr,
            parsed.node,
            raw,
            var,
            decls,
            parsed.family,
            layout,
            vec,
            expand,
            vnode,
            list(notes),
        )
        for var in variables
    ]
    return out, parsed


def _not_a_where_name(wrt: str, parsed: Parsed) -> None:
    """--wrt names a variable: a where name stands for an expression of the variables."""
    named = {name for name, _ in parsed.where}
    for w in (w.strip() for w in wrt.split(",")):
        if w in named:
            raise MatcalcError(
                f"--wrt {w}: {w} is a name defined by where, not a variable; "
                "differentiate by a variable its definition uses"
            )


def _absent(variables: list, raw: Node) -> list[str]:
    """A note for each --wrt variable the expression does not hold (a typo gives a zero)."""
    from .syntax.names import nearest

    used = raw.free()
    out = []
    for var in variables:
        names = {n.data[0] for n in var.nodes if n.is_variable}
        if names and not names & used:
            same = [u for u in sorted(used) if u.lower() == var.name.lower()]
            hint = same[0] if same else nearest(var.name, sorted(used))
            more = f"; did you mean {hint}?" if hint else ""
            out.append(f"{var.name} does not occur in the expression, so its derivative is 0{more}")
    return out


def _tidy(node: Node, notes: list[str]) -> Node:
    """Factor the result, unless that takes longer than the budget: then keep it as it is."""
    seconds = simplify_seconds()
    try:
        return tidy(node, Deadline(seconds))
    except BudgetExceeded:
        notes.append(
            f"simplification stopped after {seconds:g} s; the result is correct but not simplified"
        )
        return node


def _unused_at(at: dict, p: Problem) -> None:
    """A note for each --at name the expression does not hold (a typo, or e, which is Euler's)."""
    known = set(p.node.free()) | set(p.decls.dims()) | {base for base, _ in p.family}
    known |= {str(s) for m in postorder([p.node]) if m.is_number for s in m.data.free_symbols}
    for name in sorted(set(at) - known):
        why = " (e is Euler's number)" if name == "e" else ""
        note = f"--at {name}: {name} does not occur in the expression{why}, so it is not used"
        if note not in p.notes:
            p.notes.append(note)


def _value_at(p: Problem, node: Node, at: dict) -> object:
    """The exact value of the result at --at; the expression itself must be defined there."""
    env, dims = bind(at, p.decls, p.family)
    _unused_at(at, p)
    try:
        exact_value(p.node, env, dims)
    except UndefinedError:
        raise
    except MatcalcError:
        pass  # the expression needs values the result does not: only the result is evaluated
    return exact_value(node, env, dims)


def _result(p: Problem, at: dict, check: bool, steps: bool, done=None) -> Result:
    derivative, engine = done if done is not None else derive(p)
    node = _tidy(derivative.node, p.notes)
    if derivative.form == "matrix":
        node = to_layout(p.kind, node, p.node.shape, p.var.shape, p.layout, p.vec)
    res = Result(
        p.kind,
        p.var.name,
        p.layout,
        node,
        engine,
        derivative.form,
        notes=p.notes,
        source=p.source,
        function=p.node,
        decls=p.decls,
        var=p.var,
        dleaf=derivative.dleaf,
        array=derivative.array,
        f_shape=p.var.shape if p.kind == "hessian" else p.node.shape,
    )
    if at and derivative.form == "matrix":
        res.value = _value_at(p, node, at)
    elif at:
        raise MatcalcError(
            "a tensor derivative has no value without a direction: use jvp --v with --at"
        )
    if check:
        from .evaluate.check import fd_check

        report = fd_check(p, node, derivative.dleaf if derivative.form == "map" else None)
        res.check_error, res.check_ok = report.error, None if report.refusal else report.ok
        res.check_refusal = report.refusal
    if steps:
        from .derive.steps import derivation_steps
        from .render.steps import written_steps

        res.steps = written_steps(derivation_steps(p, res), res)
    return res


def run(command: str, expr, wrt: str | None, options: Options, v=None):
    """The one runner behind every command but `cost`: `command` is grad, jacobian, hessian,
    vjp, jvp, hvp (`expr` one expression), show (no `wrt`) or chain (`expr` the list of steps),
    within `options.timeout`."""
    if command == "show":
        return _guarded(_show, expr, options, timeout=options.timeout)
    if command == "chain":
        return _guarded(_chain, expr, wrt, options, timeout=options.timeout)
    return _guarded(_derivatives, command, expr, wrt, v, options, timeout=options.timeout)


def _derivatives(kind: str, expr: str, wrt: str, v, o: Options) -> Result | Results:
    layout = "mixed" if kind in ("vjp", "jvp", "hvp") else o.layout  # vᵀJ, J v, H v: one shape
    found, parsed = problems(kind, expr, wrt, o.let, layout, v, o.vec, o.expand, o.input)
    values = parse_at(o.at)
    together = derive_together(found) or [None] * len(found)
    results = [
        _result(p, values, o.check, o.steps, d) for p, d in zip(found, together, strict=True)
    ]
    for r in results:
        r.names = list(parsed.where)  # the user's where names, kept in the answer (§7.3)
    return _one_or_several(kind, wrt, layout, results, o.check)


def _one_or_several(
    kind: str, wrt: str, layout: str, results: list[Result], check: bool
) -> Result | Results:
    """The result by one `--wrt` name, or the results by several with one verdict of --check."""
    if len(results) == 1:
        return results[0]
    out = Results(kind, wrt, layout, results, notes=sorted({n for r in results for n in r.notes}))
    if check:
        out.check_error = max(r.check_error for r in results)
        from .evaluate.check import combined_check

        out.check_ok, out.check_refusal = combined_check(results)
    return out


def _show(expr: str, o: Options) -> Result:
    decls = Decls.parse(list(o.let))
    expr = read_input(expr, o.input, decls)
    parsed = parse(expr, decls)  # checks shapes and values (t/0 is an error here)
    read = parse(expr, decls, raw=True)
    written = read.node  # printed as written, not rewritten
    res = Result("show", "", "mixed", written, notes=list(parsed.notes), source=expr, decls=decls)
    res.names = list(read.where)
    res.function = parsed.node
    values = parse_at(o.at)
    if values:
        env, dims = bind(values, decls, parsed.family)
        res.value = exact_value(parsed.node, env, dims)
    return res


def _chain(steps: list[str], wrt: str, o: Options) -> Result | Results:
    from .derive.chain import chain as derive_chain
    from .result import chain_result

    results = [chain_result(d) for d in derive_chain(steps, wrt, o)]
    return _one_or_several("chain", wrt, o.layout, results, o.check)


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
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """The gradient of a scalar expression: shaped like `wrt` in the mixed layout."""
    return run("grad", expr, wrt, Options.of(locals()))


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
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """The Jacobian of a vector expression: m×n in the mixed layout."""
    return run("jacobian", expr, wrt, Options.of(locals()))


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
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """The Hessian of a scalar expression: n×n by a vector, the second differential by a matrix."""
    return run("hessian", expr, wrt, Options.of(locals()))


def vjp(
    expr: str,
    wrt: str,
    v: str,
    let: Iterable[str] | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
    layout: str = "mixed",
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """vᵀJ shaped like `wrt`: what PyTorch's `y.backward(v)` leaves in `x.grad` (`layout` is
    checked, and does not apply)."""
    return run("vjp", expr, wrt, Options.of(locals()), v)


def jvp(
    expr: str,
    wrt: str,
    v: str,
    let: Iterable[str] | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
    layout: str = "mixed",
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """J v shaped like the expression: forward mode (`layout` is checked, and does not apply)."""
    return run("jvp", expr, wrt, Options.of(locals()), v)


def hvp(
    expr: str,
    wrt: str,
    v: str,
    let: Iterable[str] | None = None,
    at: At = None,
    check: bool = False,
    expand: bool = False,
    layout: str = "mixed",
    steps: bool = False,
    input: str = "text",
    timeout: float | None = None,
) -> Result | Results:
    """H v shaped like `wrt`: the gradient's directional derivative along v (forward over
    reverse), the Hessian H never formed (`layout` is checked, and does not apply); `steps`:
    the gradient, then its differential along v."""
    return run("hvp", expr, wrt, Options.of(locals()), v)


def show(
    expr: str,
    let: Iterable[str] | None = None,
    at: At = None,
    input: str = "text",
    timeout: float | None = None,
) -> Result:
    """The expression itself, parsed and shape-checked (SPEC §1 v2), and its value with --at."""
    return run("show", expr, None, Options.of(locals()))


def explain(
    kind: str, expr: str, *, wrt: str, v: str | Node, let: list[str] | None = None, at: At = None
) -> str:
    """`vjp --explain` / `jvp --explain` (kind "vjp" or "jvp"): the product written out as a
    weighted sum of J's rows (J v: of its columns), numeric where `at` gives a point."""
    from .render.explain import explain_product

    jac = jacobian(expr, wrt=wrt, let=let, at=at)
    vres = (vjp if kind == "vjp" else jvp)(expr, wrt=wrt, v=v, let=let, at=at)
    return explain_product(kind, jac, vres, parse_v(v, Decls.parse(let)))


def chain(
    steps: list[str],
    wrt: str,
    let: list[str] | None = None,
    layout: str = "mixed",
    check: bool = False,
    mode: str | None = None,
    timeout: float | None = None,
) -> Result | Results:
    """The chain rule through named steps `NAME = EXPR`, every factor shown (SPEC §1): a Result
    (one `wrt` name) or Results (several) like every command's, each part's derivation —
    steps, factors, adjoints δ, the direct derivative, `mode`'s products — as `.chain`."""
    return run("chain", steps, wrt, Options.of(locals(), besides=["steps"]))


def cost(shapes: list[tuple[int, int]], timeout: float | None = None):
    """Multiplications of a Jacobian chain in each order (`matcalc cost`)."""
    from .derive.cost import cost as count

    return _guarded(count, shapes, timeout=timeout)


__all__ = [
    "Variable",
    "chain",
    "cost",
    "explain",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "problems",
    "run",
    "show",
    "vjp",
]
