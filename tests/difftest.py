"""Random-expression differential tester for matcalc.

    python tests/difftest.py --count N --seed S [--verbose] [--jobs J] [--index I]

Every sample comes from tests/randexpr.py: a random well-shaped expression, a command (grad,
jacobian, hessian, vjp, jvp, vec), a layout and the generator's own NumPy implementation of
the expression. The expected value is built here, from finite differences of that NumPy
function (4th-order central differences; the Hessian by Richardson-extrapolated second
differences) at random points with entries of both signs, put into the shape of SPEC §3's
layout table by this file's own code. matcalc's `--format numpy` line (`r.numpy()`) is
evaluated with `eval(line, {"np": np, **values})` and compared.

A sample is passed, wrong (a number or a shape differs), crash (an exception that is not a
`matcalc.MatcalcError`, also from evaluating the printed line, the time limit, or a stack
overflow reported as "too deeply nested" on these shallow expressions), refused (a
`MatcalcError` saying there is no rule, no matrix-level form or a tensor), or invalid (any
other `MatcalcError`: the SPEC calls the input a user error, so the generator needs fixing).
The last line printed is the summary:
`N passed, M failed (wrong W, crash C, refused R), invalid I in T s`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matcalc
from tests import randexpr
from tests.op_specs import NoDerivative

TOL = 1e-6  # first derivatives, relative to max(1, max|expected|)
TOL_HESS = 1e-5
H1 = 1e-3  # step of the first differences
H2 = 1e-2  # step of the second differences
MAX_VALUE = 1e6  # points where the expression is larger are not used


class Reject(Exception):
    """The point is unusable: not finite, too large, or a kink (FD at h and h/4 disagree)."""


class SampleTimeout(BaseException):
    """The per-sample time limit (a BaseException, so no `except Exception` swallows it)."""


# --------------------------------------------------------------------------- finite differences


def _evaluator(sample: randexpr.Sample, env: dict):
    shape = sample.f_shape

    def f(x):
        e = dict(env)
        e[sample.wrt] = x
        val = np.asarray(sample.fn(e), dtype=float)
        if val.shape != shape:
            raise AssertionError(
                f"generator bug: NumPy value is {val.shape}, expected {shape}: {sample.numpy_src}"
            )
        if not np.all(np.isfinite(val)):
            raise Reject("not finite")
        return val

    return f


def _directions(sample: randexpr.Sample, x0) -> tuple[list, list]:
    """The coordinate directions of the variable: unit matrices, or E_ij + E_ji if symmetric."""
    var = sample.variables[sample.wrt]
    if var.shape is None:
        return [1.0], [()]
    dirs, index = [], []
    if var.kind == "sym":
        n = x0.shape[0]
        for i in range(n):
            for j in range(i, n):
                e = np.zeros_like(x0)
                e[i, j] = e[j, i] = 1.0
                dirs.append(e)
                index.append((i, j))
        return dirs, index
    for idx in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[idx] = 1.0
        dirs.append(e)
        index.append(idx)
    return dirs, index


def _d1(f, x0, e, h):
    return (-f(x0 + 2 * h * e) + 8 * f(x0 + h * e) - 8 * f(x0 - h * e) + f(x0 - 2 * h * e)) / (
        12 * h
    )


def _d2(f, x0, ea, eb, h):
    return (
        f(x0 + h * ea + h * eb)
        - f(x0 + h * ea - h * eb)
        - f(x0 - h * ea + h * eb)
        + f(x0 - h * ea - h * eb)
    ) / (4 * h * h)


def _rich(f, x0, ea, eb, h):
    return (4 * _d2(f, x0, ea, eb, h / 2) - _d2(f, x0, ea, eb, h)) / 3


def _stable(a, b, tol) -> None:
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    if float(np.max(np.abs(a - b), initial=0.0)) > tol * scale:
        raise Reject("kink: FD at h and h/4 disagree")
    if scale > MAX_VALUE:
        raise Reject("derivative too large")


def fd_jacobian(f, x0, dirs) -> np.ndarray:
    """d f / d coordinate, stacked on a last axis."""
    coarse = np.stack([_d1(f, x0, e, H1) for e in dirs], axis=-1)
    fine = np.stack([_d1(f, x0, e, H1 / 4) for e in dirs], axis=-1)
    _stable(coarse, fine, TOL / 20)
    return fine


def fd_hessian(f, x0, dirs) -> np.ndarray:
    q = len(dirs)
    coarse, fine = np.zeros((q, q)), np.zeros((q, q))
    for a in range(q):
        for b in range(a, q):
            coarse[a, b] = coarse[b, a] = _rich(f, x0, dirs[a], dirs[b], H2)
            fine[a, b] = fine[b, a] = _rich(f, x0, dirs[a], dirs[b], H2 / 4)
    _stable(coarse, fine, TOL_HESS / 20)
    return fine


# --------------------------------------------------------------------------- SPEC §3, our own way


def _axes(shape: tuple) -> tuple:
    """The NumPy format's axes of an internal shape: a row or column vector is 1-D."""
    if shape == ():
        return ()
    r, c = shape
    if c == 1:
        return (r,)
    if r == 1:
        return (c,)
    return (r, c)


def _two_d(shape: tuple) -> tuple:
    return (1, 1) if shape == () else shape


def _squeeze(m: np.ndarray) -> np.ndarray:
    if m.shape == (1, 1):
        return m.reshape(())
    if 1 in m.shape:
        return m.reshape(-1)
    return m


def _vec_matrix(t: np.ndarray, f_shape: tuple, x_shape: tuple) -> np.ndarray:
    """d vec F / d vec(X)ᵀ (vec stacks columns) from the array with F's then X's axes."""
    r, c = _two_d(f_shape)
    r2, c2 = _two_d(x_shape)
    return t.reshape(r, c, r2, c2).transpose(1, 0, 3, 2).reshape(r * c, r2 * c2)


def _sym_gradient(g: np.ndarray, index: list, n: int) -> np.ndarray:
    """The gradient in the space of symmetric matrices from derivatives along E_ij + E_ji."""
    out = np.zeros((n, n))
    for val, (i, j) in zip(g, index, strict=True):
        if i == j:
            out[i, i] = val
        else:
            out[i, j] = out[j, i] = val / 2
    return out


def _coeffs(v: np.ndarray | float, var: randexpr.Var, index: list) -> np.ndarray:
    """A direction's coefficients on the coordinate directions."""
    if var.shape is None:
        return np.array([float(v)])
    return np.array([v[idx] for idx in index], dtype=float)


@dataclass
class Expected:
    value: np.ndarray
    form: str  # "matrix" or "map"
    tol: float


def expected(sample: randexpr.Sample, env: dict) -> Expected:
    f = _evaluator(sample, env)
    x0 = env[sample.wrt]
    f0 = f(x0)
    if float(np.max(np.abs(f0), initial=0.0)) > MAX_VALUE:
        raise Reject("value too large")
    var = sample.variables[sample.wrt]
    dirs, index = _directions(sample, x0)
    x_shape, f_shape = sample.x_shape(), sample.f_shape
    xa, fa = _axes(x_shape), _axes(f_shape)
    x_matrix, f_matrix = len(xa) == 2, len(fa) == 2
    sym = var.kind == "sym"
    kind, command = sample.kind, sample.command

    if kind == "hessian":
        h = fd_hessian(f, x0, dirs)
        if sym:
            raise AssertionError("generator bug: Hessian by a symmetric matrix")
        if sample.vec:
            full = h.reshape(_two_d(x_shape) + _two_d(x_shape))
            return Expected(_squeeze(_vec_matrix(full, x_shape, x_shape)), "matrix", TOL_HESS)
        return Expected(h.reshape(xa + xa), "map" if x_matrix else "matrix", TOL_HESS)

    jac = fd_jacobian(f, x0, dirs)  # f's internal shape + (coordinates,)
    if command == "jvp":
        c = _coeffs(sample_v(sample, env), var, index)
        return Expected((jac @ c).reshape(fa), "matrix", TOL)
    if command == "vjp":
        v = np.asarray(sample_v(sample, env), dtype=float).reshape(-1)
        g = v @ jac.reshape(v.size, len(dirs))
        if sym:
            return Expected(_sym_gradient(g, index, x0.shape[0]), "matrix", TOL)
        return Expected(g.reshape(xa), "matrix", TOL)
    if sym:
        if command != "grad":
            raise AssertionError("generator bug: a Jacobian or vec form by a symmetric matrix")
        return Expected(_sym_gradient(jac.reshape(-1), index, x0.shape[0]), "matrix", TOL)
    full = jac.reshape(fa + xa)
    if sample.vec:
        m = _vec_matrix(jac.reshape(_two_d(f_shape) + _two_d(x_shape)), f_shape, x_shape)
        if sample.layout == "denominator":
            m = m.T
        return Expected(_squeeze(m), "matrix", TOL)
    if kind == "grad":
        if sample.layout == "numerator" and x_matrix:
            return Expected(full.T, "matrix", TOL)  # scalar by n×m matrix: m×n
        return Expected(full, "matrix", TOL)
    # jacobian: F's axes, then X's; X's first in the denominator layout
    if sample.layout == "denominator":
        order = list(range(len(fa), len(fa) + len(xa))) + list(range(len(fa)))
        full = np.transpose(full, order)
    form = "map" if (xa and (f_matrix or x_matrix)) else "matrix"
    return Expected(full, form, TOL)


def sample_v(sample: randexpr.Sample, env: dict):
    if sample.v_value is not None:
        return sample.v_value
    return env[sample.v]


def numpy_values(sample: randexpr.Sample, env: dict) -> dict:
    """SPEC §4: vectors 1-D, matrices 2-D, scalars floats, dimension names bound."""
    out: dict = {}
    for name, var in sample.variables.items():
        val = env[name]
        if var.shape is None:
            out[name] = float(val)
        elif var.shape[1] == ():
            out[name] = np.array(val[:, 0])
        else:
            out[name] = np.array(val)
    for d in sample.symbolic:
        out[d] = sample.sizes[d]
    return out


# --------------------------------------------------------------------------- one sample


@dataclass
class Outcome:
    index: int
    status: str  # passed, wrong, crash, refused, invalid, skipped
    seconds: float = 0.0
    message: str = ""
    sample: randexpr.Sample | None = None
    text: str = ""
    line: str = ""
    details: list = field(default_factory=list)
    ties: int = 0  # points not used: no derivative there (max or min tied, a norm of 0)
    redrawn: int = 0  # samples drawn again before this one: no point had a derivative

    def report(self) -> str:
        s = self.sample
        lines = [f"[{self.status}] sample #{self.index}: {self.message}"]
        if s is not None:
            lines += [
                f"  command: {s.command}"
                + (f" (kind {s.kind}, vec)" if s.vec else "")
                + f"   layout: {s.layout}",
                f"  expr:    {s.expr}",
                f"  --let:   {' '.join(s.let) or '(none)'}",
                f"  --wrt:   {s.wrt}" + (f"   --v: {s.v}" if s.v is not None else ""),
                f"  cli:     {s.describe()}",
                f"  numpy (generator): {s.numpy_src}",
            ]
        if self.text:
            lines.append(f"  matcalc text:  {self.text}")
        if self.line:
            lines.append(f"  matcalc numpy: {_cut(self.line, 600)}")
        lines += [f"  {d}" for d in self.details]
        return "\n".join(lines)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + f"… ({len(text)} chars)"


def _fmt_array(a) -> str:
    return np.array2string(
        np.asarray(a, dtype=float),
        precision=6,
        suppress_small=True,
        max_line_width=200,
        threshold=60,
    ).replace("\n", " ")


def is_refusal(message: str) -> bool:
    m = message.lower()
    return ("no " in m and "rule" in m) or "tensor" in m or "matrix-level" in m


def call_matcalc(sample: randexpr.Sample):
    fn = getattr(matcalc, sample.kind)
    if sample.command in ("vjp", "jvp"):
        return fn(
            sample.expr, wrt=sample.wrt, v=sample.v, let=list(sample.let), layout=sample.layout
        )
    return fn(
        sample.expr, wrt=sample.wrt, let=list(sample.let), layout=sample.layout, vec=sample.vec
    )


def _alarm(signum, frame):
    raise SampleTimeout


def _points(
    sample: randexpr.Sample, rng: np.random.Generator, points: int, ties: list | None = None
) -> list:
    """Up to `points` usable random points, each with its expected value; a point where a
    reference has no derivative (max or min tied, a norm of 0: op_specs.NoDerivative) is not
    used, and counted in `ties`."""
    found = []
    for _ in range(6 * points):
        env = sample.random_point(rng)
        try:
            found.append((env, expected(sample, env)))
        except Reject:
            continue
        except NoDerivative:
            if ties is not None:
                ties.append(1)
            continue
        if len(found) == points:
            break
    return found


def check_sample(
    sample: randexpr.Sample, seed: int = 0, points: int = 2, timeout: float = 30.0
) -> Outcome:
    """One given sample (e.g. from randexpr.manual_sample), checked at random points."""
    with np.errstate(all="ignore"):
        found = _points(sample, np.random.default_rng(seed), points)
    if not found:
        return Outcome(-1, "skipped", message="no usable point", sample=sample)
    return _timed(sample, found, Outcome(-1, "passed", sample=sample), timeout)


def run_one(
    seed: int, index: int, points: int = 2, timeout: float = 30.0, max_depth: int = 4
) -> Outcome:
    rng = np.random.default_rng([seed, index])
    with np.errstate(all="ignore"):
        chosen = None
        ties: list = []
        redrawn = 0
        for _ in range(30):
            sample = randexpr.random_sample(rng, max_depth)
            before = len(ties)
            found = _points(sample, rng, points, ties)
            if found:
                chosen = (sample, found)
                break
            redrawn += len(ties) > before
        if chosen is None:
            return Outcome(index, "skipped", message="no usable sample", ties=len(ties))
        sample, found = chosen
        out = _timed(sample, found, Outcome(index, "passed", sample=sample), timeout)
        out.ties, out.redrawn = len(ties), redrawn
    sample.fn = None  # a closure: not picklable, and not needed any more
    return out


def _timed(sample: randexpr.Sample, found: list, out: Outcome, timeout: float) -> Outcome:
    with np.errstate(all="ignore"):
        use_alarm = (
            timeout > 0
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if use_alarm:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        start = time.perf_counter()
        try:
            _check(sample, found, out)
        except SampleTimeout:
            out.status, out.message = "crash", f"timeout: no answer within {timeout:g} s"
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
            out.seconds = time.perf_counter() - start
    return out


def _check(sample: randexpr.Sample, found: list, out: Outcome) -> None:
    try:
        r = call_matcalc(sample)
    except matcalc.MatcalcError as err:
        msg = str(err)
        out.status = "refused" if is_refusal(msg) else "invalid"
        if "too deeply nested" in msg:  # the generator's depth is small: a loop in matcalc
            out.status = "crash"
        out.message = f"MatcalcError: {msg}"
        return
    except Exception as err:
        out.status, out.message = "crash", f"{type(err).__name__}: {err}"
        out.details.append(
            "traceback: " + " | ".join(traceback.format_exc().strip().splitlines()[-6:])
        )
        return
    try:
        out.text = r.text()
        out.line = r.numpy()
    except Exception as err:
        out.status, out.message = "crash", f"printing the result: {type(err).__name__}: {err}"
        out.details.append(
            "traceback: " + " | ".join(traceback.format_exc().strip().splitlines()[-6:])
        )
        return
    form = getattr(r, "form", None)
    want_form = found[0][1].form
    if form != want_form:
        out.status, out.message = "wrong", f"r.form is {form!r}, expected {want_form!r}"
    for env, exp in found:
        values = numpy_values(sample, env)
        try:
            got = np.asarray(eval(out.line, {"np": np, "scipy": scipy, **values}), dtype=float)
        except Exception as err:
            out.status, out.message = (
                "crash",
                f"evaluating the numpy line: {type(err).__name__}: {err}",
            )
            return
        want = exp.value
        if got.shape != want.shape:
            out.status = "wrong"
            out.message = f"shape {got.shape}, expected {want.shape}"
            out.details += [f"expected: {_fmt_array(want)}", f"got:      {_fmt_array(got)}"]
            return
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        err = (
            float(np.max(np.abs(got - want), initial=0.0)) / scale
            if np.all(np.isfinite(got))
            else float("inf")
        )
        if not err <= exp.tol:
            out.status = "wrong"
            out.message = f"relative error {err:.3g} (tolerance {exp.tol:g})"
            point = {
                k: (
                    np.round(v, 4).tolist()
                    if isinstance(v, np.ndarray)
                    else round(v, 4)
                    if isinstance(v, float)
                    else v
                )
                for k, v in values.items()
            }
            out.details += [
                f"at:       {point}",
                f"expected: {_fmt_array(want)}",
                f"got:      {_fmt_array(got)}",
            ]
            return


# --------------------------------------------------------------------------- many samples


@dataclass
class Summary:
    outcomes: list
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list:
        return [o for o in self.outcomes if o.status in ("wrong", "crash", "refused")]

    def line(self) -> str:
        w, c, r = self.count("wrong"), self.count("crash"), self.count("refused")
        return f"{self.count('passed')} passed, {w + c + r} failed (wrong {w}, crash {c}, refused {r}), invalid {self.count('invalid')} in {self.seconds:.1f} s"


def run(
    count: int,
    seed: int,
    jobs: int = 1,
    points: int = 2,
    timeout: float = 30.0,
    max_depth: int = 4,
    indices: list[int] | None = None,
) -> Summary:
    start = time.perf_counter()
    todo = list(range(count)) if indices is None else list(indices)
    work = partial(run_one, seed, points=points, timeout=timeout, max_depth=max_depth)
    if jobs <= 1:
        outcomes = [work(i) for i in todo]
    else:
        # fork is the fastest start, but not from a process where JAX or torch runs threads (the
        # test session, once tests/test_frameworks.py has imported them): forkserver there
        threaded = "jax" in sys.modules or "torch" in sys.modules
        with multiprocessing.get_context("forkserver" if threaded else "fork").Pool(jobs) as pool:
            outcomes = list(pool.imap_unordered(work, todo, chunksize=8))
    outcomes.sort(key=lambda o: o.index)
    return Summary(outcomes, time.perf_counter() - start)


def print_report(summary: Summary, verbose: bool = False, limit: int = 200, file=None) -> None:
    file = file or sys.stdout
    shown = [
        o
        for o in summary.outcomes
        if o.status in ("wrong", "crash", "refused", "invalid", "skipped")
    ]
    if verbose:
        shown = summary.outcomes
    for o in shown[:limit]:
        print(o.report(), file=file)
    if len(shown) > limit:
        print(f"... {len(shown) - limit} more not shown", file=file)
    slow = sorted(summary.outcomes, key=lambda o: -o.seconds)[:5]
    print("slowest samples:", file=file)
    for o in slow:
        expr = o.sample.expr if o.sample is not None else ""
        kind = o.sample.command if o.sample is not None else ""
        print(f"  #{o.index} {o.seconds:.2f} s {kind} [{o.status}] {_cut(expr, 120)}", file=file)
    if verbose:
        by_cmd: dict = {}
        for o in summary.outcomes:
            if o.sample is not None:
                key = o.sample.command
                by_cmd.setdefault(key, {}).setdefault(o.status, 0)
                by_cmd[key][o.status] += 1
        for key, counts in sorted(by_cmd.items()):
            print(f"  {key}: {counts}", file=file)
    print(summary.line(), file=file)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--points", type=int, default=2, help="random points per sample")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per sample (0: none)")
    ap.add_argument("--depth", type=int, default=4, help="maximum expression depth")
    ap.add_argument("--index", type=int, action="append", help="run only this sample (repeatable)")
    args = ap.parse_args(argv)
    summary = run(
        args.count, args.seed, args.jobs, args.points, args.timeout, args.depth, args.index
    )
    print_report(summary, args.verbose)
    return 0 if not summary.failed else 1


if __name__ == "__main__":
    sys.exit(main())
