"""Derivatives that are tensors (SPEC §3 v2, §4): maps, full arrays, vec forms, jvp and vjp.

Every row of tests/tensor_specs.py (a matrix by a matrix, a vector by a matrix, a matrix by a
vector, a Hessian by a matrix) is run at symbolic sizes (`X:n,m` with n, m, k bound when the
NumPy line is evaluated) and at integer sizes (`X:3,2`, nothing bound). The expected values come
from finite differences of the row's hand-written NumPy function (tests/oracle.py), and the
rows' hand-written differentials are themselves checked against finite differences here.

- full array (`r.numpy()`, `r.form == "map"`): F's axes then X's in the mixed and numerator
  layouts, X's axes first in the denominator layout; a Hessian by an n×m matrix is (n, m, n, m);
- `vec=True` (`r.form == "matrix"`): d vec F / d vec(X)ᵀ, transposed in the denominator layout
  (a Hessian: the |X|×|X| matrix in every layout);
- jvp(V) is the directional derivative of F along V; vjp(U) is the adjoint:
  ⟨U, dF⟩ = ⟨vjp(U), dX⟩ for every dX;
- text and LaTeX print the differential: `dF = …` / `\\mathrm{d}F = …`, `d²f = …` for a Hessian;
- the LaTeX of every case compiles with pdflatex (when it is installed);
- a Hessian, a tensor or a vec form by a symmetric matrix is refused with a MatcalcError.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import matcalc
from tests import oracle
from tests.tensor_specs import CASES, DIMS, SYMMETRIC_REFUSALS, Case, dims_of, integer_shape

BY_NAME = {c.name: c for c in CASES}
CONFIGS = ("symbolic", "integer")
LAYOUTS = ("mixed", "numerator", "denominator")
RTOL = {"jacobian": 1e-6, "hessian": 1e-5}  # FD: 4th-order stencil; Richardson second differences
TANGENT, COTANGENT = "Tv", "Tu"  # names of jvp's V and vjp's U (no row uses them)

assert len(CASES) >= 30 and len(BY_NAME) == len(CASES)


def _ids(params):
    return ["-".join(str(p) for p in ps) if isinstance(ps, tuple) else str(ps) for ps in params]


# --------------------------------------------------------------------------- points and calls


def _rng(*key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(key).encode()))


@functools.cache
def point(name: str, config: str) -> oracle.Point:
    """A random point of the row with FD derivatives there (the Hessian too for Hessian rows)."""
    c = BY_NAME[name]
    return oracle.find_point(
        c.f, c.shapes(), c.kinds, c.wrt, DIMS, _rng(name, config), hessian=c.cmd == "hessian"
    )


def env(name: str, config: str, **extra: object) -> dict[str, object]:
    """What a NumPy line is evaluated in: the values, and the dimension names when symbolic."""
    bound = dict(DIMS) if config == "symbolic" else {}
    return {**point(name, config).values, **bound, **extra}


def describe(api: str, c: Case, config: str, **kw: object) -> str:
    """The API call as a user would type it, for failure messages."""
    let = c.decls(config != "symbolic") + extra_decls(c, config, api)
    if config == "expand":
        kw["expand"] = True
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return f"matcalc.{api}({c.expr!r}, wrt={c.wrt!r}, let={let}, {args})"


def extra_decls(c: Case, config: str, api: str) -> list[str]:
    """jvp's V is shaped like the variable, vjp's U like the value (`Tu:1`: a scalar, SPEC §2)."""
    if api == "jvp":
        return [f"{TANGENT}:{_spec(c.var_spec(), config)}"]
    if api == "vjp":
        return [f"{COTANGENT}:{_spec(c.out, config) if c.out else '1'}"]
    return []


@functools.cache
def call(name: str, config: str, api: str, layout: str = "mixed", vec: bool = False):
    """(result, None) or (None, exception); results are shared by the tests that read them.
    config: "symbolic" (X:n,m), "integer" (X:3,2) or "expand" (X:3,2 with expand=True)."""
    c = BY_NAME[name]
    let = c.decls(config != "symbolic")
    expand = config == "expand"
    try:
        if api in ("jvp", "vjp"):
            v = TANGENT if api == "jvp" else COTANGENT
            fn = getattr(matcalc, api)
            r = fn(c.expr, wrt=c.wrt, v=v, let=let + extra_decls(c, config, api), expand=expand)
            return r, None
        fn = matcalc.hessian if c.cmd == "hessian" else matcalc.jacobian
        return fn(c.expr, wrt=c.wrt, let=let, layout=layout, vec=vec, expand=expand), None
    except Exception as exc:  # reported by the tests, classified
        return None, exc


def _spec(shape: str, config: str) -> str:
    return shape if config == "symbolic" else integer_shape(shape)


def result(name: str, config: str, api: str, what: str, layout: str = "mixed", vec: bool = False):
    r, exc = call(name, config, api, layout, vec)
    if exc is not None:
        kind = "refused" if isinstance(exc, matcalc.MatcalcError) else "crash"
        pytest.fail(f"{kind}: {what} raised {type(exc).__name__}: {exc}")
    return r


def evaluate(line: str, values: dict[str, object], what: str) -> np.ndarray:
    try:
        return numpy_line(line, values)
    except Exception as exc:
        pytest.fail(f"crash: the numpy line of {what} raised {type(exc).__name__}: {exc}\n{line}")


def numpy_line(line: str, values: dict[str, object]) -> np.ndarray:
    """SPEC §4: ONE line, evaluated with eval(line, {"np": np, **values})."""
    assert "\n" not in line.strip(), f"the numpy line is not one line: {line!r}"
    return np.asarray(eval(line, {"np": np, **values}), dtype=float)


def check_close(got: object, want: object, rtol: float, what: str) -> None:
    ok, msg = oracle.compare(got, want, rtol)
    if ok:
        return
    g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    detail = f"wrong: {what}: {msg}"
    if g.shape == w.shape and g.size:
        i = np.unravel_index(int(np.argmax(np.abs(g - w))), g.shape)
        detail += f"; worst entry {tuple(int(j) for j in i)}: expected {w[i]:.6g}, got {g[i]:.6g}"
        if g.size <= 16:
            detail += f"\nexpected {np.round(w, 5).tolist()}\ngot      {np.round(g, 5).tolist()}"
    pytest.fail(detail)


def directional(c: Case, config: str, v: object, h: float = oracle.H1) -> object:
    """d/ds F(X + s V) at s = 0, by the 4th-order central stencil on the row's NumPy function."""
    values = point(c.name, config).values

    def F(s: float) -> np.ndarray:
        return np.asarray(c.f(**{**values, c.wrt: values[c.wrt] + s * v}, **DIMS), dtype=float)

    return (-F(2 * h) + 8 * F(h) - 8 * F(-h) + F(-2 * h)) / (12 * h)


def basis(shape: tuple[int, ...]):
    for idx in np.ndindex(*shape):
        e = np.zeros(shape)
        e[idx] = 1.0
        yield idx, e


CASE_CONFIGS = [(c.name, cfg) for c in CASES for cfg in CONFIGS]
CASE_CONFIG_LAYOUTS = [(c.name, cfg, lay) for c in CASES for cfg in CONFIGS for lay in LAYOUTS]
# The componentwise engine (expand=True, integer sizes) must agree with the matrix-level one
# (SPEC §3: "the two engines never disagree"): full arrays (mixed layout), vec forms, jvp, vjp.
EXPAND_FULL = [(c.name, "expand", "mixed") for c in CASES]
EXPAND_VEC = [(c.name, "expand", lay) for c in CASES for lay in LAYOUTS]
EXPAND = [(c.name, "expand") for c in CASES]


# --------------------------------------------------------------------------- the table itself


@pytest.mark.parametrize("name", list(BY_NAME))
def test_table_differential_matches_finite_differences(name):
    """The row's hand-written differential (second differential for a Hessian) is the FD one,
    and its value has the declared shape: the table is right before matcalc is asked."""
    c = BY_NAME[name]
    p = point(name, "symbolic")
    assert p.f_shape == dims_of(c.out), f"{name}: f has shape {p.f_shape}, declared {c.out!r}"
    xs = p.x_shape
    if c.cmd == "jacobian":
        full = np.zeros(p.f_shape + xs)
        for idx, e in basis(xs):
            full[(Ellipsis, *idx)] = c.d(**p.values, **DIMS, D=e)
        want = p.jac.reshape(p.f_shape + xs, order="F")
        check_close(full, want, 1e-6, f"table row {name}: d vs FD")
    else:
        full = np.zeros(xs + xs)
        for i, e in basis(xs):
            for j, g in basis(xs):
                full[(*i, *j)] = c.d(**p.values, **DIMS, D=e, E=g)
        check_close(full, p.hess.reshape(xs + xs, order="F"), 1e-5, f"table row {name}: d² vs FD")


# --------------------------------------------------------------------------- full arrays


@pytest.mark.parametrize(
    ("name", "config", "layout"),
    CASE_CONFIG_LAYOUTS + EXPAND_FULL,
    ids=_ids(CASE_CONFIG_LAYOUTS + EXPAND_FULL),
)
def test_full_array(name, config, layout):
    c = BY_NAME[name]
    what = describe(c.cmd, c, config, layout=layout)
    r = result(name, config, c.cmd, what, layout)
    assert r.form == "map", f"wrong: {what}: form {r.form!r}, expected 'map'"
    p = point(name, config)
    want = oracle.expected(c.cmd, p.jac, p.f_shape, p.x_shape, layout, hess=p.hess)
    got = evaluate(r.numpy(), env(name, config), what)
    check_close(got, want, RTOL[c.cmd], f"{what}.numpy()")


@pytest.mark.parametrize(
    ("name", "config", "layout"),
    CASE_CONFIG_LAYOUTS + EXPAND_VEC,
    ids=_ids(CASE_CONFIG_LAYOUTS + EXPAND_VEC),
)
def test_vec_matrix(name, config, layout):
    c = BY_NAME[name]
    what = describe(c.cmd, c, config, layout=layout, vec=True)
    r = result(name, config, c.cmd, what, layout, vec=True)
    assert r.form == "matrix", f"wrong: {what}: form {r.form!r}, expected 'matrix'"
    p = point(name, config)
    want = oracle.expected(c.cmd, p.jac, p.f_shape, p.x_shape, layout, vec_form=True, hess=p.hess)
    got = evaluate(r.numpy(), env(name, config), what)
    check_close(got, want, RTOL[c.cmd], f"{what}.numpy()")


# --------------------------------------------------------------------------- jvp and vjp


@pytest.mark.parametrize(("name", "config"), CASE_CONFIGS + EXPAND, ids=_ids(CASE_CONFIGS + EXPAND))
def test_jvp_is_the_directional_derivative(name, config):
    c = BY_NAME[name]
    what = describe("jvp", c, config, v=TANGENT)
    r = result(name, config, "jvp", what)
    p = point(name, config)
    V = oracle.random_array(p.x_shape, _rng(name, config, "V"))
    got = evaluate(r.numpy(), env(name, config, **{TANGENT: V}), what)
    check_close(got, oracle.printed(directional(c, config, V)), 1e-6, f"{what}.numpy()")


@pytest.mark.parametrize(("name", "config"), CASE_CONFIGS + EXPAND, ids=_ids(CASE_CONFIGS + EXPAND))
def test_vjp_is_the_adjoint(name, config):
    """vjp(U) = vec(U)ᵀ J shaped like X (J the FD Jacobian)."""
    c = BY_NAME[name]
    if config == "symbolic" and "*" in c.out:
        pytest.skip(f"a cotangent shaped {c.out} cannot be declared (products of sizes)")
    what = describe("vjp", c, config, v=COTANGENT)
    r = result(name, config, "vjp", what)
    p = point(name, config)
    U = oracle.random_array(p.f_shape, _rng(name, config, "U"))
    got = evaluate(r.numpy(), env(name, config, **{COTANGENT: U}), what)
    want = oracle.expected("vjp", p.jac, p.f_shape, p.x_shape, v=U)
    check_close(got, want, 1e-6, f"{what}.numpy()")


@pytest.mark.parametrize(("name", "config"), CASE_CONFIGS + EXPAND, ids=_ids(CASE_CONFIGS + EXPAND))
def test_vjp_inner_product_identity(name, config):
    """⟨U, dF⟩ = ⟨vjp(U), dX⟩ for a random direction dX, dF by finite differences along dX."""
    c = BY_NAME[name]
    if config == "symbolic" and "*" in c.out:
        pytest.skip(f"a cotangent shaped {c.out} cannot be declared (products of sizes)")
    what = describe("vjp", c, config, v=COTANGENT)
    r = result(name, config, "vjp", what)
    p = point(name, config)
    U = oracle.random_array(p.f_shape, _rng(name, config, "U"))
    W = oracle.random_array(p.x_shape, _rng(name, config, "W"))
    g = evaluate(r.numpy(), env(name, config, **{COTANGENT: U}), what)
    lhs = float(np.sum(np.asarray(U) * directional(c, config, W)))
    if g.size != np.size(W):
        pytest.fail(f"wrong: {what}: vjp has {g.size} entries, X has {np.size(W)}")
    rhs = float(np.sum(g.reshape(np.shape(W)) * W))
    check_close(rhs, lhs, 1e-6, f"{what}: <vjp(U), dX> vs <U, dF>")


# --------------------------------------------------------------------------- text and LaTeX


@pytest.mark.parametrize(
    ("name", "config", "layout"), CASE_CONFIG_LAYOUTS, ids=_ids(CASE_CONFIG_LAYOUTS)
)
def test_text_and_latex_are_differentials(name, config, layout):
    c = BY_NAME[name]
    what = describe(c.cmd, c, config, layout=layout)
    r = result(name, config, c.cmd, what, layout)
    text, latex = r.text(), r.latex()
    if c.cmd == "hessian":
        head, lhead = "d²f = ", r"\mathrm{d}^{2}f = "
    else:
        head, lhead = "dF = ", r"\mathrm{d}F = "
    assert text.startswith(head), f"wrong: {what}.text() = {text!r}, expected to start {head!r}"
    assert latex.startswith(lhead), f"wrong: {what}.latex() = {latex!r}, expected {lhead!r}…"
    assert f"d{c.wrt}" in text, f"wrong: {what}.text() = {text!r} has no d{c.wrt}"
    assert rf"\mathrm{{d}}{c.wrt}" in latex, f"wrong: {what}.latex() = {latex!r} has no d{c.wrt}"


PDFLATEX = shutil.which("pdflatex")


def _compile(bodies: list[str]) -> tuple[bool, str]:
    doc = "\n".join(
        [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}"]
        + [f"\\[ {b} \\]" for b in bodies]
        + [r"\end{document}", ""]
    )
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.tex").write_text(doc, encoding="utf-8")
        try:
            run = subprocess.run(
                [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False, "pdflatex timed out"
        ok = run.returncode == 0 and Path(tmp, "t.pdf").exists()
        return ok, "\n".join(line for line in run.stdout.splitlines() if line.startswith("!"))


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
def test_latex_of_every_case_compiles():
    bodies = []
    for c in CASES:
        for config in CONFIGS:
            for vec in (False, True):
                r, _ = call(c.name, config, c.cmd, "mixed", vec)
                if r is not None:  # a call that fails is reported by the tests above
                    bodies.append((f"{c.name}/{config}/vec={vec}", r.latex()))
    assert bodies
    ok, log = _compile([b for _, b in bodies])
    if not ok:
        bad = [(k, b) for k, b in bodies if not _compile([b])[0]]
        pytest.fail(f"wrong: pdflatex fails: {log}\nfailing: {bad}")


# --------------------------------------------------------------------------- symmetric variables


REFUSALS = [(*r, expand) for r in SYMMETRIC_REFUSALS for expand in (False, True)]


@pytest.mark.parametrize(("cmd", "expr", "let", "vec", "expand"), REFUSALS, ids=_ids(REFUSALS))
def test_symmetric_variable_is_refused(cmd, expr, let, vec, expand):
    """SPEC §3: a Hessian, tensor or vec form by `S:n,n,sym` is refused with a clear message."""
    fn = getattr(matcalc, cmd)
    what = f"matcalc.{cmd}({expr!r}, wrt='S', let={let}, vec={vec}, expand={expand})"
    try:
        r = fn(expr, wrt="S", let=let, vec=vec, expand=expand)
    except matcalc.MatcalcError as exc:
        msg = str(exc)
        assert "symmetric" in msg and "S" in msg, f"wrong: {what}: unclear message {msg!r}"
        assert "\n" not in msg.strip() and "Traceback" not in msg
        return
    except Exception as exc:
        pytest.fail(f"crash: {what} raised {type(exc).__name__}: {exc}")
    pytest.fail(f"wrong: {what} was not refused: {r.text()!r}")


def _map_value(text: str, head: str, c: Case, config: str, what: str) -> np.ndarray:
    """The printed map read back with d<X> := a declared direction, valued by its NumPy line."""
    body = text[len(head) :]
    dx = f"d{c.wrt}"
    if re.search(rf"(?<![A-Za-z0-9_]){dx}[A-Za-z0-9_]", body):
        pytest.fail(f"wrong: {what}: {dx} runs into a longer name in {body!r}")
    body = re.sub(rf"(?<![A-Za-z0-9_]){dx}(?![A-Za-z0-9_])", TANGENT, body)
    let = [*c.decls(config != "symbolic"), f"{TANGENT}:{_spec(c.var_spec(), config)}"]
    try:
        back = matcalc.show(body, let=let)
    except matcalc.MatcalcError as exc:
        pytest.fail(f"wrong: {what}: the map {text!r} does not read back: {exc}")
    return back.numpy()


@pytest.mark.parametrize(("name", "config"), CASE_CONFIGS, ids=_ids(CASE_CONFIGS))
def test_printed_map_has_the_value_of_the_derivative(name, config):
    """The text `dF = …` (or `d²f = …`) with dX := V is dF along V (the second differential
    along V for a Hessian): checked against finite differences of the row's own NumPy function."""
    c = BY_NAME[name]
    what = describe(c.cmd, c, config)
    r = result(name, config, c.cmd, what)
    head = "d²f = " if c.cmd == "hessian" else "dF = "
    line = _map_value(r.text(), head, c, config, what)
    p = point(name, config)
    V = oracle.random_array(p.x_shape, _rng(name, config, "map"))
    got = evaluate(line, env(name, config, **{TANGENT: V}), what)
    if c.cmd == "hessian":
        v = np.asarray(V, dtype=float).reshape(-1, order="F")
        want = float(v @ p.hess @ v)
    else:
        want = oracle.printed(directional(c, config, V))
    check_close(got, want, RTOL[c.cmd], f"{what}: the text {r.text()!r} with d{c.wrt} := V")
