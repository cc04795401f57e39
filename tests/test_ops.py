"""Every operator of the language (tests/op_specs.py) × every applicable command × every layout,
checked against a finite-difference oracle that shares nothing with matcalc (tests/oracle.py).

For each case the public API is called once, symbolically; its one-line `numpy()` is evaluated
with `eval(line, {"np": np, "scipy": scipy, **values})` (SPEC §7.2) (vectors 1-D, matrices 2-D, scalars floats, dimension
names bound) at two random points of different sizes, and compared with what SPEC §3 says the
printed result must be, computed from the FD Jacobian (or FD Hessian) of the hand-written NumPy
reference.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
import scipy

import matcalc
from matcalc.expr.registry import FUNCTIONS

from . import oracle
from .op_specs import INTERNAL, OPERATOR_SPELLINGS, ROWS, Row

# Two size assignments: distinct sizes (so that a transposed result has the wrong shape), and
# swapped between the points (so that a result right for one size only is caught).
DIMS = [{"n": 3, "m": 2, "p": 4}, {"n": 2, "m": 3, "p": 4}]
LAYOUTS = ("mixed", "numerator", "denominator")
DIRECTION = "u"  # the declared vjp/jvp/hvp direction
PRODUCTS = ("vjp", "jvp", "hvp")  # the commands that take --v
SCALAR_V = 0.7  # the literal direction when it is a scalar
RTOL, RTOL_HESSIAN = 1e-6, 1e-5
NAMESPACE = {"np": np, "scipy": scipy}  # what a NumPy line is evaluated with (SPEC §7.2)


# --------------------------------------------------------------------------- rows → variables


@dataclass(frozen=True)
class Decl:
    dims: tuple[str | int, ...]  # () scalar, (n,) vector, (n, m) matrix
    sym: bool = False

    def concrete(self, sizes: dict[str, int]) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else sizes[d] for d in self.dims)

    def text(self) -> str:
        return ",".join(str(d) for d in self.dims) + (",sym" if self.sym else "")


def parse_let(let: tuple[str, ...]) -> dict[str, Decl]:
    out = {}
    for item in let:
        name, shape = item.split(":")
        parts = shape.split(",")
        sym = parts[-1] == "sym"
        parts = parts[:-1] if sym else parts
        dims = tuple(int(p) if p.isdigit() else p for p in parts)
        # a declared a:1 or A:1,1 is a scalar everywhere (SPEC §2), a float in values (§4)
        out[name] = Decl(() if all(d == 1 for d in dims) else dims, sym)
    return out


def params(row: Row) -> list[str]:
    return list(inspect.signature(row.f).parameters)


def dim_names(row: Row) -> set[str]:
    return {d for decl in parse_let(row.let).values() for d in decl.dims if isinstance(d, str)}


def family(row: Row) -> tuple[str, ...] | None:
    """The indexed scalars x1, x2, … that `--wrt x` (or `--wrt x1,x2,x3`) names, in index order."""
    if "," in row.wrt:
        return tuple(row.wrt.split(","))
    if row.wrt in parse_let(row.let) or row.wrt in params(row):
        return None
    found = [p for p in params(row) if re.fullmatch(rf"{row.wrt}\d+", p)]
    return tuple(sorted(found, key=lambda p: int(p[len(row.wrt) :])))


def variables(row: Row) -> dict[str, Decl]:
    """Every variable: the declared ones, and the reference's other parameters (scalars)."""
    decls = parse_let(row.let)
    dims = dim_names(row)
    for p in params(row):
        if p not in decls and p not in dims:
            decls[p] = Decl(())
    return decls


def x_decl(row: Row) -> Decl:
    fam = family(row)
    return Decl((len(fam),)) if fam else variables(row)[row.wrt]


def point_kinds(row: Row, idx: int) -> dict[str, str]:
    """Square matrices near the identity at the first point, general at the second (unless the
    row asks for near_eye / positive); symmetric ones symmetric."""
    kinds = {}
    for name, decl in variables(row).items():
        hint = row.hints.get(name)
        square = len(decl.dims) == 2 and decl.dims[0] == decl.dims[1]
        if hint is None and square and idx == 0:
            hint = "near_eye"
        kind = hint or "general"
        if decl.sym:
            kind = "sym_near_eye" if kind == "near_eye" else "sym"
        kinds[name] = kind
    return kinds


def call_reference(row: Row):
    names = params(row)

    def f(**env):
        return row.f(**{k: env[k] for k in names})

    return f


@functools.cache
def point(row_id: str, idx: int) -> oracle.Point:
    row = BY_ID[row_id]
    sizes = DIMS[idx]
    shapes = {name: decl.concrete(sizes) for name, decl in variables(row).items()}
    fam = family(row)
    rng = np.random.default_rng(zlib.crc32(f"{row.id}:{idx}".encode()))
    dims = {d: sizes[d] for d in dim_names(row)}
    need_hessian = row.valued == "scalar" and not x_decl(row).sym and "hessian" not in row.skip
    return oracle.find_point(
        call_reference(row),
        shapes,
        point_kinds(row, idx),
        fam if fam else row.wrt,
        dims,
        rng,
        hessian=need_hessian,
    )


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    row: Row
    cmd: str
    layout: str | None
    vec: bool = False

    @property
    def id(self) -> str:
        parts = [self.row.id, self.cmd + ("-vec" if self.vec else "")]
        if self.layout:
            parts.append(self.layout)
        return "/".join(parts)


def direction(row: Row, cmd: str) -> tuple[str, Decl | None]:
    """The --v argument: a declared direction `u` of the right shape, or a literal scalar."""
    if cmd in ("jvp", "hvp"):
        xd = x_decl(row)
        return (str(SCALAR_V), None) if xd.dims == () else (DIRECTION, xd)
    f_shape = point(row.id, 0).f_shape
    if f_shape == ():
        return str(SCALAR_V), None
    if row.vshape is not None:
        return DIRECTION, parse_let((f"{DIRECTION}:{row.vshape}",))[DIRECTION]
    by_size = {DIMS[0][d]: d for d in dim_names(row)}
    ints = {d for decl in parse_let(row.let).values() for d in decl.dims if isinstance(d, int)}
    if ints & set(by_size):
        raise ValueError(f"{row.id}: give vshape= (an integer size equals a dimension's)")
    return DIRECTION, Decl(tuple(by_size.get(s, s) for s in f_shape))


def cases_of(row: Row) -> list[Case]:
    sym = x_decl(row).sym
    out: list[Case] = []
    if row.valued == "scalar":
        out += [Case(row, "grad", lay) for lay in LAYOUTS]
        if not sym:  # Hessian and vec form by a symmetric matrix: refused by design (docs)
            out += [Case(row, "grad", lay, vec=True) for lay in LAYOUTS]
            out += [Case(row, "hessian", lay) for lay in LAYOUTS]
            if "hessian" not in row.skip:  # H v, checked against the FD Hessian
                out.append(Case(row, "hvp", None))
            if len(x_decl(row).dims) == 2:
                out.append(Case(row, "hessian", "mixed", vec=True))
    else:
        if not sym:
            out += [Case(row, "jacobian", lay) for lay in LAYOUTS]
            out += [Case(row, "jacobian", lay, vec=True) for lay in LAYOUTS]
    out += [Case(row, "vjp", None), Case(row, "jvp", None)]
    return [c for c in out if c.cmd not in row.skip and not (c.vec and "vec" in row.skip)]


BY_ID = {row.id: row for row in ROWS}
CASES = [case for row in ROWS for case in cases_of(row)]


def run_matcalc(case: Case):
    row = case.row
    let = list(row.let)
    if case.cmd in PRODUCTS:
        v, vdecl = direction(row, case.cmd)
        if vdecl is not None:
            let.append(f"{DIRECTION}:{vdecl.text()}")
        fn = getattr(matcalc, case.cmd)
        return fn(row.expr, wrt=row.wrt, v=v, let=let)
    fn = getattr(matcalc, case.cmd)
    return fn(row.expr, wrt=row.wrt, let=let, layout=case.layout, vec=case.vec)


def values_at(case: Case, idx: int) -> tuple[dict, object]:
    """SPEC §4 values for eval (variables, the direction, dimension names), and the direction."""
    row = case.row
    pt = point(row.id, idx)
    env: dict[str, object] = {}
    for name, val in pt.values.items():
        env[name] = float(val) if np.ndim(val) == 0 else val
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
        if m and family(row):
            env[f"{m[1]}_{m[2]}"] = env[name]  # x_1 is the same symbol as x1
    env.update(DIMS[idx])  # every dimension name bound to its size
    vval: object = None
    if case.cmd in PRODUCTS:
        v, vdecl = direction(row, case.cmd)
        if vdecl is None:
            vval = float(v)
        else:
            rng = np.random.default_rng(zlib.crc32(f"{case.id}:{idx}".encode()))
            vval = oracle.random_array(
                vdecl.concrete(DIMS[idx]), rng, "sym" if vdecl.sym else "general"
            )
            env[DIRECTION] = vval
    return env, vval


def describe(case: Case, r=None) -> str:
    row = case.row
    out = [
        f"{case.cmd}{' --vec' if case.vec else ''} {row.expr!r} --wrt {row.wrt} "
        f"--let {' '.join(row.let) or '(none)'}"
        + (f" --layout {case.layout}" if case.layout else "")
    ]
    if case.cmd in PRODUCTS:
        v, vdecl = direction(row, case.cmd)
        out.append(f"  --v {v}" + (f" (--let {DIRECTION}:{vdecl.text()})" if vdecl else ""))
    if r is not None:
        out.append(f"  form: {getattr(r, 'form', '?')}")
        out.append(f"  text:  {r.text()}")
        out.append(f"  numpy: {r.numpy()}")
    return "\n".join(out)


def check_case(case: Case) -> str | None:
    """None when matcalc is right; else a report: classification, the call, what it printed."""
    try:
        r = run_matcalc(case)
    except matcalc.MatcalcError as exc:
        return f"REFUSED: {describe(case)}\n  error: {type(exc).__name__}: {exc}"
    except Exception as exc:
        return f"CRASH: {describe(case)}\n  exception: {type(exc).__name__}: {exc}"
    try:
        line = r.numpy()
    except Exception as exc:
        return f"CRASH: {describe(case)}\n  numpy() raised {type(exc).__name__}: {exc}"
    if "\n" in line:
        return f"WRONG: {describe(case, r)}\n  numpy() is not one line"
    row = case.row
    rtol = RTOL_HESSIAN if case.cmd in ("hessian", "hvp") else RTOL
    x_sym = x_decl(row).sym
    for idx in range(len(DIMS)):
        pt = point(row.id, idx)
        env, vval = values_at(case, idx)
        want = oracle.expected(
            case.cmd,
            pt.jac,
            pt.f_shape,
            pt.x_shape,
            layout=case.layout or "mixed",
            vec_form=case.vec,
            sym=x_sym,
            v=vval,
            hess=pt.hess,
        )
        try:
            with np.errstate(all="ignore"):
                got = eval(line, NAMESPACE | env)
        except Exception as exc:
            return (
                f"CRASH: {describe(case, r)}\n  eval of numpy() at point {idx} "
                f"({DIMS[idx]}) raised {type(exc).__name__}: {exc}"
            )
        ok, why = oracle.compare(got, want, rtol)
        if not ok:
            return (
                f"WRONG: {describe(case, r)}\n  at point {idx} (sizes {DIMS[idx]}): {why}\n"
                f"  expected shape {np.shape(want)}: {np.array2string(np.asarray(want), precision=5)}\n"
                f"  got      shape {np.shape(got)}: {np.array2string(np.asarray(got, dtype=float), precision=5)}"
            )
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operator(case: Case):
    failure = check_case(case)
    assert failure is None, failure


# --------------------------------------------------------------------------- every format, once per row
# The NumPy line is checked above in every command and layout; the other formats are checked
# once per row, on one result: the gradient or the Jacobian in the mixed layout (its vec form
# where the Jacobian is a tensor, printed as a map), else the vjp.


@functools.cache
def format_case_of(row_id: str) -> tuple[Case, object]:
    """The row's case whose result is a matrix, and that result (computed once per row)."""
    row = BY_ID[row_id]
    cases = cases_of(row)
    order = [c for c in cases if c.layout == "mixed" and not c.vec and c.cmd != "hessian"]
    order += [c for c in cases if c.layout == "mixed" and c.vec and c.cmd != "hessian"]
    order += [c for c in cases if c.cmd == "vjp"]
    for case in order:
        r = run_matcalc(case)
        if getattr(r, "form", "matrix") == "matrix":
            return case, r
    raise AssertionError(f"{row.id}: no case of this row prints a matrix")


def format_case(row: Row) -> tuple[Case, object]:
    return format_case_of(row.id)


def expected_at(case: Case, idx: int) -> tuple[dict, object, object]:
    """The values, the reference's value of the expression and the FD derivative there."""
    row = case.row
    pt = point(row.id, idx)
    env, vval = values_at(case, idx)
    value = call_reference(row)(**pt.values, **DIMS[idx])
    want = oracle.expected(
        case.cmd,
        pt.jac,
        pt.f_shape,
        pt.x_shape,
        layout=case.layout or "mixed",
        vec_form=case.vec,
        sym=x_decl(row).sym,
        v=vval,
        hess=pt.hess,
    )
    return env, value, want


def _let_of(case: Case) -> list[str]:
    let = list(case.row.let)
    if case.cmd in PRODUCTS:
        _, vdecl = direction(case.row, case.cmd)
        if vdecl is not None:
            let.append(f"{DIRECTION}:{vdecl.text()}")
    return let


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_text_and_latex_read_back(row: Row):
    """The expression's and its derivative's text and LaTeX, read back with `show` (--input
    latex for the LaTeX), evaluate at a random point (entries of both signs, in the domain) to
    the reference's value and the finite differences of the reference."""
    case, r = format_case(row)
    let = _let_of(case)
    shown = matcalc.show(row.expr, let=list(row.let))
    env, value, want = expected_at(case, 0)
    for what, printed, expected in (("expression", shown, value), ("derivative", r, want)):
        for mode in ("text", "latex"):
            source = printed.text() if mode == "text" else printed.latex()
            back = matcalc.show(source, let=let, input=mode)
            with np.errstate(all="ignore"):
                got = eval(back.numpy(), NAMESPACE | env)
            if np.ndim(got) == 0 and got == 0:  # a zero array prints as 0, read back a scalar
                got = np.zeros(np.shape(expected))
            ok, why = oracle.compare(got, expected, RTOL)
            assert ok, f"{row.id}: the {what}'s {mode} {source!r} read back: {why}"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_python_module_runs(row: Row):
    """`--format python`: the module imports and its function returns the reference's value and
    the finite-difference derivative, at two points of different sizes."""
    case, r = format_case(row)
    namespace: dict[str, object] = {}
    exec(compile(r.python(), f"<{row.id}>", "exec"), namespace)  # matcalc's generated module
    fn = next(v for k, v in namespace.items() if k.startswith("f_and_"))
    for idx in range(len(DIMS)):
        env, value, want = expected_at(case, idx)
        args = {p: env[p] for p in inspect.signature(fn).parameters}
        with np.errstate(all="ignore"):
            got_value, got = fn(**args)
        ok, why = oracle.compare(got_value, value, RTOL)
        assert ok, f"{row.id}: the python module's value at point {idx}: {why}\n{r.python()}"
        ok, why = oracle.compare(got, want, RTOL)
        assert ok, f"{row.id}: the python module's {case.cmd} at point {idx}: {why}\n{r.python()}"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_json_has_every_form(row: Row, cli):
    """`--format json` parses, has the keys of SPEC §4, and its forms are the other formats'."""
    case, r = format_case(row)
    args = [case.cmd, row.expr, "--wrt", row.wrt, "--format", "json"]
    for item in _let_of(case):
        args += ["--let", item]
    if case.cmd in PRODUCTS:
        args += ["--v", direction(row, case.cmd)[0]]
    else:
        args += ["--layout", case.layout] + (["--vec"] if case.vec else [])
    code, out, err = cli(*args)
    assert code == 0, err
    got = json.loads(out)
    assert {"kind", "wrt", "layout", "shape", "text", "latex", "numpy"} <= set(got), got
    assert (got["kind"], got["wrt"]) == (case.cmd, row.wrt)
    assert (got["text"], got["latex"], got["numpy"]) == (r.text(), r.latex(), r.numpy())
    assert got["shape"] == list(r.shape)


# --------------------------------------------------------------------------- the table itself


def test_every_function_has_a_row():
    text = "\n".join(row.expr for row in ROWS)
    missing = [
        name
        for name in FUNCTIONS
        if name not in INTERNAL and not re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}\s*\(", text)
    ]
    assert not missing, f"language functions with no row in tests/op_specs.py: {missing}"


def test_every_operator_spelling_has_a_row():
    text = "\n".join(row.expr for row in ROWS)
    missing = [s for s in OPERATOR_SPELLINGS if s not in text]
    assert not missing, f"operator spellings with no row in tests/op_specs.py: {missing}"


def test_rows_are_well_formed():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    for row in ROWS:
        assert DIRECTION not in variables(row), f"{row.id}: {DIRECTION!r} is the direction's name"
        f_shape = point(row.id, 0).f_shape
        assert (f_shape == ()) == (row.valued == "scalar"), f"{row.id}: value shape {f_shape}"


def test_oracle_layout_table():
    """The oracle's own SPEC §3 table, on a function whose derivative is known in closed form."""
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    jac = oracle.fd_jacobian(lambda z: A @ z, x)
    assert np.allclose(jac, A, atol=1e-9)
    assert oracle.expected("jacobian", jac, (2,), (3,), "denominator").shape == (3, 2)
    X = rng.normal(size=(2, 3))
    g = oracle.fd_jacobian(lambda z: np.sum(z * A), X)
    assert np.allclose(oracle.expected("grad", g, (), (2, 3), "numerator"), A.T, atol=1e-9)
    hess = oracle.fd_hessian(lambda z: z @ z * z[0], x)
    want = 2 * x[0] * np.eye(3)
    want[0, :] += 2 * x
    want[:, 0] += 2 * x
    assert np.allclose(hess, want, atol=1e-6)
