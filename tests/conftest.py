"""Shared helpers: run the CLI in-process, and an independent NumPy reference.

The reference evaluates an expression of the language's Python-like subset (`x.T*A*x`,
`inv(X)`, `sum(softplus(X*w))`, …) with NumPy or autograd.numpy. It shares no code with
matcalc: the tests use it, not matcalc's own evaluator, to say what a result must be.
"""

from __future__ import annotations

import io
import os
import runpy
import sys

import numpy as np
import pytest
import scipy

from .op_specs import ROWS, references

# tests/test_new_operator.py runs the generic tests in a subprocess with throwaway operators: a
# module (its path in MATCALC_TEST_PLUGIN) that registers their entries and appends their rows
# to op_specs.ROWS, run here, before any test module reads the registry or the rows.
if os.environ.get("MATCALC_TEST_PLUGIN"):
    runpy.run_path(os.environ["MATCALC_TEST_PLUGIN"], run_name="matcalc_test_plugin")


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli(*args, stdin=None) -> (exit code, stdout, stderr), through matcalc.cli.main."""
    from matcalc.cli import main

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["matcalc", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        monkeypatch.setenv("MATCALC_PLAIN", "1")
        monkeypatch.setenv("MATCALC_NO_WORKER", "1")
        try:
            main()
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --------------------------------------------------------------------------- the reference


class M:
    """A value of the reference: a scalar, or a 2-D array (a vector is a column n×1).
    `*` is the matrix product (ordinary with a scalar); a 1×1 product is a scalar."""

    __array_priority__ = 1000  # NumPy defers `float * M` to M.__rmul__

    def __init__(self, a: object, xp: object):
        if xp.ndim(a) == 2 and xp.shape(a) == (1, 1):
            a = a[0, 0]
        self.a, self.xp = a, xp

    @property
    def scalar(self) -> bool:
        return self.xp.ndim(self.a) == 0

    def _w(self, o: object) -> M:
        return o if isinstance(o, M) else M(o, self.xp)

    def __mul__(self, o: object) -> M:
        o = self._w(o)
        if self.scalar or o.scalar:
            return M(self.a * o.a, self.xp)
        return M(self.xp.dot(self.a, o.a), self.xp)

    def __rmul__(self, o: object) -> M:
        return self._w(o) * self

    __matmul__ = __mul__

    def __add__(self, o: object) -> M:
        return M(self.a + self._w(o).a, self.xp)

    __radd__ = __add__

    def __sub__(self, o: object) -> M:
        return M(self.a - self._w(o).a, self.xp)

    def __rsub__(self, o: object) -> M:
        return M(self._w(o).a - self.a, self.xp)

    def __neg__(self) -> M:
        return M(-self.a, self.xp)

    def __truediv__(self, o: object) -> M:
        o = self._w(o)
        assert o.scalar, "/ divides by a scalar"
        return M(self.a / o.a, self.xp)

    def __rtruediv__(self, o: object) -> M:
        assert self.scalar
        return M(self._w(o).a / self.a, self.xp)

    def __mod__(self, o: object) -> M:  # `.*`, which ref_eval reads as `%`
        return M(self.a * self._w(o).a, self.xp)

    def __floordiv__(self, o: object) -> M:  # `./`, which ref_eval reads as `//`
        return M(self.a / self._w(o).a, self.xp)

    def __rfloordiv__(self, o: object) -> M:
        return M(self._w(o).a / self.a, self.xp)

    def __pow__(self, p: object) -> M:
        p = self._w(p)
        if self.scalar:
            return M(self.a**p.a, self.xp)
        out = self.a
        for _ in range(int(p.a) - 1):
            out = self.xp.dot(out, self.a)
        return M(out, self.xp)

    def __rpow__(self, o: object) -> M:
        return M(self._w(o).a ** self.a, self.xp)

    @property
    def T(self) -> M:
        return self if self.scalar else M(self.a.T, self.xp)


def _functions(xp: object) -> dict[str, object]:
    def f(fn):
        return lambda *args: M(fn(*(a.a if isinstance(a, M) else a for a in args)), xp)

    def diag(a):
        if xp.shape(a)[1] == 1:
            return xp.diag(xp.reshape(a, (-1,)))
        return xp.reshape(xp.diag(a), (-1, 1))

    def softmax(a):
        e = xp.exp(a)
        return e / xp.sum(e)

    # every elementwise function whose reference row (tests/op_specs.py) is a NumPy ufunc, in
    # this array module's spelling (autograd's for the derivatives); the ones below override.
    # The rest is written by hand on purpose: this is the tests' independent oracle, so its
    # semantics never come from matcalc's registry (only a ufunc row's name is looked up).
    ufuncs = {
        name: f(getattr(xp, row.ref.__name__))
        for name, row in references(ROWS).items()
        if isinstance(row.ref, np.ufunc) and hasattr(xp, row.ref.__name__)
    }
    return ufuncs | {
        "sin": f(xp.sin),
        "cos": f(xp.cos),
        "tan": f(xp.tan),
        "exp": f(xp.exp),
        "log": f(xp.log),
        "sqrt": f(xp.sqrt),
        "tanh": f(xp.tanh),
        "abs": f(xp.abs),
        "sigmoid": f(lambda a: 1 / (1 + xp.exp(-a))),
        "softplus": f(lambda a: xp.logaddexp(0, a)),
        "relu": f(lambda a: xp.maximum(a, 0)),
        "tr": f(xp.trace),
        "det": f(xp.linalg.det),
        "logdet": f(lambda a: xp.log(xp.linalg.det(a))),
        "inv": f(xp.linalg.inv),
        "sum": f(xp.sum),
        "mean": f(xp.mean),
        "norm2": f(lambda a: xp.sqrt(xp.sum(a * a))),
        "norm1": f(lambda a: xp.sum(xp.abs(a))),
        "dot": f(lambda a, b: xp.sum(a * b)),
        "hadamard": f(lambda a, b: a * b),
        "kron": f(xp.kron),
        "diag": f(diag),
        "softmax": f(softmax),
        "logsumexp": f(lambda a: xp.log(xp.sum(xp.exp(a)))),
    }


def reference_functions() -> frozenset[str]:
    """The function names `ref_eval` reads."""
    return frozenset(_functions(np))


def ref_eval(text: str, values: dict[str, object], xp: object = np) -> object:
    """The value of `text` at `values` (SPEC §4 convention: vectors 1-D, matrices 2-D, scalars
    floats), in the same convention. Only for the tests' own trusted expression strings, in the
    language's Python-like subset plus `.*` and `./`."""
    env: dict[str, object] = {"pi": np.pi, "e": np.e, **_functions(xp)}
    for name, v in values.items():
        env[name] = M(xp.reshape(v, (-1, 1)) if xp.ndim(v) == 1 else v, xp)
    text = text.replace(".*", "%").replace("./", "//")  # same precedence as * and /
    out = eval(text, {"__builtins__": {}}, env)
    a = out.a if isinstance(out, M) else out
    if xp.ndim(a) == 2 and 1 in xp.shape(a):
        return xp.reshape(a, (-1,))
    return a


SIZES = {"n": 3, "m": 4, "k": 2}


def random_values(
    let: list[str] | tuple[str, ...],
    rng: np.random.Generator,
    scalars: tuple[str, ...] = (),
    sizes: dict[str, int] | None = None,
) -> tuple[dict[str, object], dict[str, int]]:
    """Values for the declarations (vectors 1-D, entries of both signs; square matrices near 𝐈,
    so determinants are positive and inverses tame; symmetric ones symmetric) and the sizes."""
    sizes = {**SIZES, **(sizes or {})}
    values: dict[str, object] = {}
    dims: dict[str, int] = {}
    for spec in let:
        name, _, shape = spec.partition(":")
        parts = shape.split(",")
        sym = parts[-1] == "sym"
        parts = [p for p in parts if p != "sym"]
        ds = []
        for p in parts:
            d = int(p) if p.isdigit() else sizes[p]
            if not p.isdigit():
                dims[p] = d
            ds.append(d)
        signs = rng.choice([-1.0, 1.0], size=ds)
        a = signs * rng.uniform(0.3, 1.2, size=ds)
        if len(ds) == 2 and ds[0] == ds[1]:
            a = np.eye(ds[0]) + 0.3 * a / ds[0]
        if sym:
            a = (a + a.T) / 2
        values[name] = a
    for s in scalars:
        values.setdefault(s, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.2)))
    return values, dims


def reference(
    kind: str,
    text: str,
    wrt: str,
    values: dict[str, object],
    layout: str = "mixed",
    v: object = None,
    symmetric: bool = False,
) -> np.ndarray:
    """What the derivative must evaluate to, by autograd on `ref_eval`, shaped as SPEC §3 and §4
    say for `--format numpy`: the layout's shape, row and column vectors 1-D."""
    import autograd
    import autograd.numpy as anp

    x0 = np.asarray(values[wrt], dtype=float)
    if x0.ndim == 0:
        x0 = float(x0)

    def f(x):  # + 0·Σx: an expression that does not hold x has derivative 0, not an error
        return ref_eval(text, {**values, wrt: x}, anp) + 0.0 * anp.sum(x)

    if kind == "grad":
        g = np.asarray(autograd.grad(f)(x0), dtype=float)
        if symmetric:
            g = (g + g.T) / 2
        return g.T if layout == "numerator" and g.ndim == 2 else g
    if kind == "hessian":
        return np.asarray(autograd.hessian(f)(x0), dtype=float)
    jac = np.asarray(autograd.jacobian(f)(x0), dtype=float)  # F's axes, then X's
    if kind == "jacobian":
        return jac.T if layout == "denominator" and jac.ndim == 2 else jac
    fx = np.asarray(f(x0))
    v = np.asarray(v, dtype=float)
    if kind == "vjp":
        return np.tensordot(v, jac, axes=v.ndim)
    if kind == "jvp":
        return np.tensordot(jac, v, axes=v.ndim).reshape(fx.shape)
    raise ValueError(kind)


def ev(line: str, values: dict[str, object]) -> np.ndarray:
    """Evaluate a `--format numpy` line as SPEC §4 and §7.2 say."""
    assert "\n" not in line.strip()
    return np.asarray(eval(line, {"np": np, "scipy": scipy, **values}), dtype=float)
