"""matcalc benchmarks: every figure is a ratio against a baseline measured in the same run.

    make bench                      # or: .venv/bin/python benchmarks/run.py [--quick]

Prints a table (median of several runs, with min–max) and writes benchmarks/results.json.
Optional baselines (PyTorch, JAX, SymEngine) are measured when installed and skipped otherwise.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread, as stated
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import matcalc  # noqa: E402
from matcalc.identities import IDENTITIES  # noqa: E402

QUICK = "--quick" in sys.argv
ROWS: list[dict[str, object]] = []


def timed(fn: Callable[[], object], repeat: int = 5) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed_pair(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Per-call times of a and b, interleaved (drift hits both) and in alternating order (the
    second of a pair does not always find the caches warm), each sample long enough (≥ 5 ms
    of calls) that a timer tick or a cache miss does not decide the ratio."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            a()
        if time.perf_counter() - start >= 0.005 or loops >= 1 << 16:
            break
        loops *= 2
    out_a: list[float] = []
    out_b: list[float] = []
    for k in range(repeat):
        pair = ((a, out_a), (b, out_b))
        for fn, out in pair if k % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            for _ in range(loops):
                fn()
            out.append((time.perf_counter() - start) / loops)
    return out_a, out_b


def paired_ratio(ours: list[float], base: list[float]) -> float:
    """The median of the ratios of samples taken side by side (timed_pair): on a busy machine
    a burst of load slows both of a pair, where it would shift one median but not the other."""
    return statistics.median(o / b for o, b in zip(ours, base, strict=True))


def capped(fn: Callable[[], object], cap: float) -> list[float] | None:
    """One timed run in a forked child, abandoned after `cap` seconds (None: slower than cap)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()

    def work() -> None:
        child.send(timed(fn, 1))

    proc = ctx.Process(target=work)
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return parent.recv()


def row(
    group: str,
    what: str,
    ours: list[float],
    base: list[float] | None,
    base_name: str,
    target: str = "",
    cap: float = 0.0,
    ratio: float | None = None,
) -> None:
    """One row: the ratio of the medians, unless a `ratio` measured otherwise is given."""
    if base is None:  # the baseline did not finish within its cap: the ratio is an upper bound
        bound = statistics.median(ours) / cap
        ROWS.append(
            {
                "group": group,
                "what": what,
                "ratio_below": bound,
                "ours_median_s": statistics.median(ours),
                "baseline": base_name,
                "baseline_over_s": cap,
                "target": target,
            }
        )
        print(
            f"{group:12} {what:46} <{bound:6.3f}×  ours {statistics.median(ours) * 1e3:9.2f} ms  "
            f"{base_name} > {cap:.0f} s (stopped)" + (f"  target {target}" if target else ""),
            flush=True,
        )
        return
    r = statistics.median(ours) / statistics.median(base) if ratio is None else ratio
    ROWS.append(
        {
            "group": group,
            "what": what,
            "ratio": r,
            "ours_median_s": statistics.median(ours),
            "ours_min_s": min(ours),
            "ours_max_s": max(ours),
            "baseline": base_name,
            "baseline_median_s": statistics.median(base),
            "baseline_min_s": min(base),
            "baseline_max_s": max(base),
            "target": target,
        }
    )
    print(
        f"{group:12} {what:46} {r:7.2f}×  ours {statistics.median(ours) * 1e3:9.2f} ms "
        f"[{min(ours) * 1e3:.2f}–{max(ours) * 1e3:.2f}]  {base_name} {statistics.median(base) * 1e3:9.2f} ms"
        + (f"  target {target}" if target else ""),
        flush=True,
    )


# ---------------------------------------------------------------- 1. start-up


def startup() -> None:
    import compileall

    compileall.compile_dir(str(HERE.parent / "matcalc"), quiet=1)  # as `make` installs it
    script = Path(sys.executable).with_name("matcalc")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "matcalc"]
    args = ["grad", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x"]
    floor = [sys.executable, "-c", "import sympy"]
    runs = 5 if QUICK else 11
    ours, base = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        base += timed(lambda: subprocess.run(floor, check=True, capture_output=True), 1)
        ours += timed(lambda: subprocess.run(cmd + args, check=True, capture_output=True), 1)
    row("start-up", 'matcalc grad "x.T*A*x" (wall)', ours, base, "import sympy", "≤ 1.15")


# ---------------------------------------------------------------- 2. matrix level is flat in n


def matrix_level() -> None:
    def table() -> None:
        for i in IDENTITIES:
            getattr(matcalc, i.kind)(i.expr, wrt=i.wrt, let=list(i.let))

    base = timed(table, 3)
    per = [t / len(IDENTITIES) for t in base]
    sym = timed(lambda: matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"]), 7)
    for n in (10, 50) if QUICK else (10, 50, 200):
        let = [f"x:{n}", f"A:{n},{n}"]
        comp = timed(lambda let=let: matcalc.grad("x.T*A*x", wrt="x", let=let, expand=True), 3)
        row("matrix", f"componentwise grad xᵀAx, n={n}", comp, sym, "symbolic n")
    for n in (10, 200):
        let = [f"x:{n}", f"A:{n},{n}"]
        at_n = timed(lambda let=let: matcalc.grad("x.T*A*x", wrt="x", let=let), 7)
        row(
            "matrix",
            f"matrix-level grad xᵀAx at integer n={n}",
            at_n,
            sym,
            "symbolic n",
            "≈ 1 (flat)",
        )
    row("matrix", f"identity table, per identity ({len(IDENTITIES)})", per, sym, "one xᵀAx")


# ---------------------------------------------------------------- 3. componentwise vs plain SymPy


def componentwise() -> None:
    import sympy as sp

    def plain_sympy(kind: str, n: int) -> Callable[[], object]:
        def run() -> object:
            x = sp.Matrix(sp.symbols(f"x1:{n + 1}", real=True))
            a = sp.Matrix(n, n, sp.symbols(f"a1:{n * n + 1}", real=True))
            if kind == "jacobian":
                return (a * x).applyfunc(sp.tanh).jacobian(x)
            f = (x.T * a * x)[0, 0] + sum(sp.exp(e) for e in x)
            return sp.hessian(f, list(x))

        return run

    cases = {"jacobian": ("tanh(A*x)", "x"), "hessian": ("x.T*A*x + sum(exp(x))", "x")}
    sizes = (20, 50) if QUICK else (50, 100, 200)
    for kind, (e, wrt) in cases.items():
        for n in sizes:
            let = [f"x:{n}", f"A:{n},{n}"]
            ours = timed(
                lambda let=let, kind=kind, e=e, wrt=wrt: getattr(matcalc, kind)(
                    e, wrt=wrt, let=let, expand=True
                ),
                1,
            )
            cap = 30.0 if QUICK else 120.0
            base = capped(plain_sympy(kind, n), cap)
            row(
                "components",
                f"{kind} of {e}, n={n}",
                ours,
                base,
                "SymPy Matrix." + kind,
                "≤ 1",
                cap,
            )
    try:
        import symengine as se
    except ImportError:
        print("components   SymEngine not installed: backend not measured")
        return
    n = 50

    def with_symengine() -> object:
        x = se.Matrix(se.symbols(f"x1:{n + 1}"))
        a = se.Matrix(n, n, se.symbols(f"a1:{n * n + 1}"))
        f = (x.T * a * x)[0, 0] + sum(se.exp(x[i]) for i in range(n))
        g = se.Matrix([f.diff(s) for s in x])
        return g.jacobian(x)

    let = [f"x:{n}", f"A:{n},{n}"]
    ours = timed(lambda: matcalc.hessian("x.T*A*x + sum(exp(x))", wrt="x", let=let, expand=True), 3)
    row(
        "components",
        f"hessian n={n}: matcalc vs SymEngine backend",
        ours,
        timed(with_symengine, 3),
        "SymEngine",
    )


# ---------------------------------------------------------------- 4. generated code


# ---------------------------------------------------------------- 4. generated code


def _sig(z):
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def _lsq(A, x, b):
    r = A @ x - b
    return r @ r, 2 * (A.T @ r)


def _logistic(X, w, y):
    z = X @ w
    return np.sum(np.logaddexp(0, z)) - y @ z, X.T @ (_sig(z) - y)


def _net_w1(W1, W2, x, v, t):
    h = np.tanh(W1 @ x)
    r = v @ (W2 @ h) - t
    return 0.5 * r * r, np.outer(r * (1 - h * h) * (W2.T @ v), x)


def _net_w2(W1, W2, x, v, t):
    h = np.tanh(W1 @ x)
    r = v @ (W2 @ h) - t
    return 0.5 * r * r, r * np.outer(v, h)


def _factorisation(M, U, V):
    r = U @ V.T - M
    return np.sum(r * r), 2 * (r @ V)


def _h_logistic(X, w, y):
    z = -y * (X @ w)
    s = _sig(z)
    return np.sum(np.logaddexp(0, z)), (X.T * (s * (1 - s) * y * y)) @ X


def _h_ridge(A, x, b, lam):
    r = A @ x - b
    return r @ r + lam * (x @ x), 2 * (A.T @ A) + 2 * lam * np.eye(x.shape[0])


def _h_barrier(X, w, b):
    s = b - X @ w
    return -np.sum(np.log(s)), (X.T * (1 / (s * s))) @ X


def _h_logdet(A, x):
    m = A + np.diag(x)
    mi = np.linalg.inv(m)
    return np.linalg.slogdet(m)[1], -(mi * mi.T)


# name: (command, expression, wrt, let, hand-written value-and-derivative, input maker)
MODELS = {
    "least squares": ("grad", "norm2(A*x - b)**2", "x", ["A:m,n", "x:n", "b:m"], _lsq),
    "logistic regression": (
        "grad",
        "sum(softplus(X*w)) - y.T*X*w",
        "w",
        ["X:m,n", "w:n", "y:m"],
        _logistic,
    ),
    "two-layer net by W1": (
        "grad",
        "(v.T*W2*tanh(W1*x) - t)**2/2",
        "W1",
        ["W1:n,n", "W2:n,n", "x:n", "v:n"],
        _net_w1,
    ),
    "two-layer net by W2": (
        "grad",
        "(v.T*W2*tanh(W1*x) - t)**2/2",
        "W2",
        ["W1:n,n", "W2:n,n", "x:n", "v:n"],
        _net_w2,
    ),
    "matrix factorisation by U": (
        "grad",
        "norm2(U*V.T - M)**2",
        "U",
        ["M:m,n", "U:m,k", "V:n,k"],
        _factorisation,
    ),
    "logistic Hessian": (
        "hessian",
        "sum(softplus(-hadamard(y, X*w)))",
        "w",
        ["X:m,n", "w:n", "y:m"],
        _h_logistic,
    ),
    "ridge Hessian": (
        "hessian",
        "norm2(A*x - b)**2 + lam*x.T*x",
        "x",
        ["A:m,n", "x:n", "b:m"],
        _h_ridge,
    ),
    "log-barrier Hessian": (
        "hessian",
        "-sum(log(b - X*w))",
        "w",
        ["X:m,n", "w:n", "b:m"],
        _h_barrier,
    ),
    "log det Hessian": ("hessian", "logdet(A + diag(x))", "x", ["A:n,n", "x:n"], _h_logdet),
}


def inputs(model: str, m: int, n: int, rng: np.random.Generator) -> dict[str, object]:
    """Data at which every model is defined: b - X w > 0, A + diag(x) with det > 0."""
    k = max(2, n // 10)
    out: dict[str, object] = {
        "A": rng.normal(size=(m, n)) / np.sqrt(n),
        "X": rng.normal(size=(m, n)) / np.sqrt(n),
        "x": rng.normal(size=n),
        "b": rng.normal(size=m),
        "w": rng.normal(size=n) * 0.1,
        "y": rng.choice([-1.0, 1.0], size=m),
        "W1": rng.normal(size=(n, n)) / np.sqrt(n),
        "W2": rng.normal(size=(n, n)) / np.sqrt(n),
        "v": rng.normal(size=n),
        "t": 0.3,
        "lam": 0.1,
        "M": rng.normal(size=(m, n)),
        "U": rng.normal(size=(m, k)),
        "V": rng.normal(size=(n, k)),
    }
    if model == "log-barrier Hessian":
        out["b"] = np.abs(out["X"] @ out["w"]) + 1.0
    if model == "log det Hessian":
        out["A"] = np.eye(n) * 3 + rng.normal(size=(n, n)) / np.sqrt(n)
        out["x"] = rng.uniform(0.1, 0.5, size=n)
    return out


def _compiled(command: str, expr: str, wrt: str, let: list[str]):
    src = getattr(matcalc, command)(expr, wrt=wrt, let=let).python()
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    return getattr(module, f"f_and_{command}")


def generated_code() -> None:
    """Generated --format python against the hand-written NumPy twin, and against autodiff."""
    m, n = (500, 100) if QUICK else (2000, 200)
    rng = np.random.default_rng(0)
    reps = 9 if QUICK else 31
    for model, (command, expr, wrt, let, hand) in MODELS.items():
        gen = _compiled(command, expr, wrt, let)
        args = inputs(model, m, n, rng)
        call = {k: args[k] for k in __import__("inspect").signature(gen).parameters}
        hcall = {k: args[k] for k in __import__("inspect").signature(hand).parameters}
        got, want = gen(**call), hand(**hcall)
        assert np.allclose(got[1], want[1]) and np.isclose(got[0], want[0]), model
        ours, base = timed_pair(
            lambda gen=gen, call=call: gen(**call),
            lambda hand=hand, hcall=hcall: hand(**hcall),
            reps,
        )
        row(
            "codegen",
            f"{model} (m={m}, n={n}): generated",
            ours,
            base,
            "hand-written NumPy",
            "≤ 1.1",
        )
        if command == "hessian":
            autodiff_rows(model, expr, args, ours, reps)


def _torch_f(model: str):
    import torch

    F = torch.nn.functional
    return {
        "logistic Hessian": lambda w, a: F.softplus(-a["y"] * (a["X"] @ w)).sum(),
        "ridge Hessian": lambda x, a: ((a["A"] @ x - a["b"]) ** 2).sum() + a["lam"] * (x @ x),
        "log-barrier Hessian": lambda w, a: -torch.log(a["b"] - a["X"] @ w).sum(),
        "log det Hessian": lambda x, a: torch.linalg.slogdet(a["A"] + torch.diag(x))[1],
    }[model]


def _jax_f(model: str):
    import jax.numpy as jnp

    return {
        "logistic Hessian": lambda w, a: jnp.sum(jnp.logaddexp(0.0, -a["y"] * (a["X"] @ w))),
        "ridge Hessian": lambda x, a: jnp.sum((a["A"] @ x - a["b"]) ** 2) + a["lam"] * (x @ x),
        "log-barrier Hessian": lambda w, a: -jnp.sum(jnp.log(a["b"] - a["X"] @ w)),
        "log det Hessian": lambda x, a: jnp.linalg.slogdet(a["A"] + jnp.diag(x))[1],
    }[model]


def autodiff_rows(
    model: str, expr: str, args: dict[str, object], ours: list[float], reps: int
) -> None:
    var = "w" if "w" in _VARS[model] else "x"
    try:
        import torch
        from torch.func import hessian as thess
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        t = {k: torch.tensor(v, dtype=torch.float64) for k, v in args.items() if k != var}
        f = _torch_f(model)
        x0 = torch.tensor(args[var], dtype=torch.float64)
        h = thess(lambda z: f(z, t))
        h(x0)
        row(
            "codegen",
            f"{model}: generated vs torch.func.hessian",
            ours,
            timed(lambda: h(x0), reps),
            "torch.func",
            "≤ 0.1",
        )
    try:
        import jax
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)
    a = {k: jax.numpy.asarray(v) for k, v in args.items() if k != var}
    f = _jax_f(model)
    h = jax.jit(jax.hessian(lambda z: f(z, a)))
    x0 = jax.numpy.asarray(args[var])
    h(x0).block_until_ready()
    row(
        "codegen",
        f"{model}: generated vs jax.jit(jax.hessian)",
        ours,
        timed(lambda: h(x0).block_until_ready(), reps),
        "JAX",
        "< 1",
    )


_VARS = {name: spec[2] for name, spec in MODELS.items()}


# ---------------------------------------------------------------- 4b. torch and JAX code (SPEC §7.4)


def _quadratic_hand(xp):
    def f(A, x):
        ax = A @ x
        return x @ ax, ax + A.T @ x

    return f


def _softplus_sum(xp, z):
    return xp.sum(xp.logaddexp(0 * z, z))


def _hvp_hand(xp):
    def f(X, w, u):
        z = X @ w
        s = 1 / (1 + xp.exp(-z))
        return _softplus_sum(xp, z), X.T @ ((X @ u) * s * (1 - s))

    return f


def _logistic_hand(xp):
    def f(X, w, y):
        z = X @ w
        return _softplus_sum(xp, z) - y @ z, X.T @ (1 / (1 + xp.exp(-z)) - y)

    return f


def _logistic_hessian_hand(xp):
    def f(X, w):
        z = X @ w
        s = 1 / (1 + xp.exp(-z))
        return _softplus_sum(xp, z), (X.T * (s * (1 - s))) @ X

    return f


def _mlp_forward(xp, x, W1, b1, W2, b2, v, t):
    h = xp.tanh(W1 @ x + b1)
    o = xp.tanh(W2 @ h + b2)
    r = v @ o - t
    return h, o, r


def _mlp_w1_hand(xp):
    def f(x, W1, b1, W2, b2, v, t):
        h, o, r = _mlp_forward(xp, x, W1, b1, W2, b2, v, t)
        return r * r / 2, xp.outer(r * ((W2.T @ (v * (1 - o * o))) * (1 - h * h)), x)

    return f


def _mlp_w2_hand(xp):
    def f(x, W1, b1, W2, b2, v, t):
        h, o, r = _mlp_forward(xp, x, W1, b1, W2, b2, v, t)
        return r * r / 2, xp.outer(r * v * (1 - o * o), h)

    return f


def _lse(xp, z):
    top = xp.max(z)
    return top + xp.log(xp.sum(xp.exp(z - top)))


def _softmax_ce_hand(xp):
    def f(W, x, y):
        z = W @ x
        lse = _lse(xp, z)
        return lse - y @ z, xp.outer(xp.exp(z - lse) - y, x)

    return f


def _batch_ce_hand(xp):
    def f(X, W, Y):
        Z = X @ W
        E = xp.exp(Z)
        s = xp.sum(E, 1)
        return xp.sum(xp.log(s)) - xp.sum(Y * Z), X.T @ (E / s[:, None] - Y)

    return f


def _logdet_hand(xp):
    def f(S):
        return xp.linalg.slogdet(S)[1], xp.linalg.inv(S).T

    return f


def _loss(model: str, xp) -> Callable:
    """The scalar each model differentiates, for the frameworks' own autodiff."""

    def softmax_ce(W, x, y):
        z = W @ x
        return _lse(xp, z) - y @ z

    def batch_ce(X, W, Y):
        Z = X @ W
        return xp.sum(xp.log(xp.sum(xp.exp(Z), 1))) - xp.sum(Y * Z)

    def mlp(x, W1, b1, W2, b2, v, t):
        return _mlp_forward(xp, x, W1, b1, W2, b2, v, t)[2] ** 2 / 2

    return {
        "xᵀAx gradient": lambda A, x: x @ (A @ x),
        "logistic gradient": lambda X, w, y: _softplus_sum(xp, X @ w) - y @ (X @ w),
        "logistic Hessian": lambda X, w: _softplus_sum(xp, X @ w),
        "logistic HVP": lambda X, w, u: _softplus_sum(xp, X @ w),
        "2-layer MLP by W1": mlp,
        "2-layer MLP by W2": mlp,
        "softmax cross-entropy": softmax_ce,
        "batch softmax cross-entropy": batch_ce,
        "log det": lambda S: xp.linalg.slogdet(S)[1],
    }[model]


_MLP = "(v'*tanh(W2*tanh(W1*x + b1) + b2) - t)^2/2"
_MLP_LET = ["x:n", "W1:m,n", "b1:m", "W2:k,m", "b2:k", "v:k"]
FRAMEWORK_MODELS = {  # name: (command, expression, wrt, let, --v, hand-written in module xp)
    "xᵀAx gradient": ("grad", "x'*A*x", "x", ["x:n", "A:n,n"], None, _quadratic_hand),
    "logistic gradient": (
        "grad",
        "sum(softplus(X*w)) - y'*X*w",
        "w",
        ["X:m,n", "w:n", "y:m"],
        None,
        _logistic_hand,
    ),
    "logistic Hessian": (
        "hessian",
        "sum(softplus(X*w))",
        "w",
        ["X:m,n", "w:n"],
        None,
        _logistic_hessian_hand,
    ),
    "logistic HVP": (
        "hvp",
        "sum(softplus(X*w))",
        "w",
        ["X:m,n", "w:n", "u:n"],
        "u",
        _hvp_hand,
    ),
    "2-layer MLP by W1": ("grad", _MLP, "W1", _MLP_LET, None, _mlp_w1_hand),
    "2-layer MLP by W2": ("grad", _MLP, "W2", _MLP_LET, None, _mlp_w2_hand),
    "softmax cross-entropy": (  # one example, y one-hot: -yᵀ log softmax(W x)
        "grad",
        "logsumexp(W*x) - y'*W*x",
        "W",
        ["W:k,n", "x:n", "y:k"],
        None,
        _softmax_ce_hand,
    ),
    "batch softmax cross-entropy": (  # rows of Y one-hot; no axis argument yet (SPEC §7.1)
        "grad",
        "sum(log(exp(X*W)*ones(k))) - sum(Y .* (X*W))",
        "W",
        ["X:m,n", "W:n,k", "Y:m,k"],
        None,
        _batch_ce_hand,
    ),
    "log det": ("grad", "logdet(S)", "S", ["S:n,n"], None, _logdet_hand),
}


def _module_fn(command: str, expr: str, wrt: str, let: list[str], v, framework: str):
    kw = {"v": v} if v is not None else {}
    src = getattr(matcalc, command)(expr, wrt=wrt, let=let, **kw).python(framework)
    module = types.ModuleType("generated")
    exec(compile(src, "<generated>", "exec"), module.__dict__)
    return getattr(module, f"f_and_{command}")


def _frameworks() -> dict[str, tuple[object, Callable, Callable]]:
    """Each installed framework: its array module, a converter, and a wait-for-the-result."""
    out: dict[str, tuple[object, Callable, Callable]] = {"python": (np, lambda a: a, lambda r: r)}
    try:
        import torch

        torch.set_num_threads(1)
        out["torch"] = (torch, lambda a: torch.tensor(a, dtype=torch.float64), lambda r: r)
    except ImportError:
        print("frameworks   torch not installed: its rows are skipped", flush=True)
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        out["jax"] = (
            jax.numpy,
            jax.numpy.asarray,
            lambda r: jax.block_until_ready(r),
        )
    except ImportError:
        print("frameworks   JAX not installed: its rows are skipped", flush=True)
    return out


def _framework_data(rng: np.random.Generator) -> tuple[dict, dict[str, str], tuple[int, int]]:
    """The arrays of every model (each model reads its own names), and each model's sizes."""
    n_quad = 500 if QUICK else 2000
    m, n = (500, 100) if QUICK else (2000, 200)
    hidden, inputs_, outputs = (200, 200, 10) if QUICK else (1000, 1000, 10)
    classes, features = (200, 200) if QUICK else (1000, 1000)
    batch_classes = 10
    n_det = 100 if QUICK else 300
    data = {
        "A": rng.normal(size=(n_quad, n_quad)) / np.sqrt(n_quad),
        "x": rng.normal(size=n_quad),
        "X": rng.normal(size=(m, n)) / np.sqrt(n),
        "w": rng.normal(size=n) * 0.1,
        "u": rng.normal(size=n),
        "y": rng.integers(0, 2, size=m).astype(float),
    }
    mlp = {
        "x": rng.normal(size=inputs_),
        "W1": rng.normal(size=(hidden, inputs_)) / np.sqrt(inputs_),
        "b1": rng.normal(size=hidden) * 0.1,
        "W2": rng.normal(size=(outputs, hidden)) / np.sqrt(hidden),
        "b2": rng.normal(size=outputs) * 0.1,
        "v": rng.normal(size=outputs),
        "t": np.float64(0.3),
    }
    single = {
        "W": rng.normal(size=(classes, features)) / np.sqrt(features),
        "x": rng.normal(size=features),
        "y": np.eye(classes)[rng.integers(classes)],
    }
    batch = {
        "X": data["X"],
        "W": rng.normal(size=(n, batch_classes)) * 0.1,
        "Y": np.eye(batch_classes)[rng.integers(batch_classes, size=m)],
    }
    det = {"S": np.eye(n_det) * 3 + rng.normal(size=(n_det, n_det)) / np.sqrt(n_det)}
    per_model = {
        "2-layer MLP by W1": mlp,
        "2-layer MLP by W2": mlp,
        "softmax cross-entropy": single,
        "batch softmax cross-entropy": batch,
        "log det": det,
    }
    sizes = {
        "xᵀAx gradient": f"n={n_quad}",
        "2-layer MLP by W1": f"{inputs_}→{hidden}→{outputs}",
        "2-layer MLP by W2": f"{inputs_}→{hidden}→{outputs}",
        "softmax cross-entropy": f"k={classes}, n={features}",
        "batch softmax cross-entropy": f"m={m}, n={n}, k={batch_classes}",
        "log det": f"n={n_det}",
    }
    return {"": data, **per_model}, sizes, (m, n)


def framework_code() -> None:
    """Generated NumPy, torch and JAX (jit) code against hand-written code in the same
    framework, and against the framework's own autodiff, measured side by side (interleaved
    samples, median of `reps`): every model of FRAMEWORK_MODELS."""
    rng = np.random.default_rng(0)
    reps = 9 if QUICK else 31
    data, sizes, (m, n) = _framework_data(rng)
    names = {"python": "NumPy", "torch": "torch", "jax": "JAX (jit)"}
    for framework, (xp, convert, wait) in _frameworks().items():
        for model, (command, expr, wrt, let, v, hand_of) in FRAMEWORK_MODELS.items():
            gen = _module_fn(command, expr, wrt, let, v, framework)
            hand = hand_of(xp)
            params = list(__import__("inspect").signature(hand).parameters)
            arrays = data.get(model, data[""])
            args = {k: convert(arrays[k]) for k in params}
            if framework == "jax":
                import jax

                gen, hand = jax.jit(gen), jax.jit(hand)
            got, want = wait(gen(**args)), wait(hand(**args))
            assert np.allclose(np.asarray(got[0]), np.asarray(want[0])), (framework, model)
            assert np.allclose(np.asarray(got[1]), np.asarray(want[1])), (framework, model)
            ours, base = timed_pair(
                lambda gen=gen, args=args, wait=wait: wait(gen(**args)),
                lambda hand=hand, args=args, wait=wait: wait(hand(**args)),
                reps,
            )
            size = sizes.get(model, f"m={m}, n={n}")
            row(
                "frameworks",
                f"{model} ({size}): generated {names[framework]}",
                ours,
                base,
                f"hand-written {names[framework]}",
                "≤ 1.1",
                ratio=paired_ratio(ours, base),
            )
            if framework != "python":
                auto = _autodiff(framework, command, _loss(model, xp), wrt, args)
                wait(auto())
                ours, base = timed_pair(
                    lambda gen=gen, args=args, wait=wait: wait(gen(**args)),
                    lambda auto=auto, wait=wait: wait(auto()),
                    reps,
                )
                row(
                    "frameworks",
                    f"{model}: generated {names[framework]} vs autodiff",
                    ours,
                    base,
                    "torch.func" if framework == "torch" else "JAX autodiff (jit)",
                    ratio=paired_ratio(ours, base),
                )


def _autodiff(
    framework: str, command: str, loss: Callable, wrt: str, args: dict
) -> Callable[[], object]:
    """The framework's own derivative of the same function by `wrt`: value and derivative, as
    ours (torch.func's grad_and_value, hessian, jvp of grad; JAX's, under jit)."""
    rest = {k: a for k, a in args.items() if k not in (wrt, "u")}

    def f(z):
        return loss(**rest, **{wrt: z}, **({"u": args["u"]} if "u" in args else {}))

    x0 = args[wrt]
    if framework == "torch":
        import torch.func as tf

        if command == "grad":
            d = tf.grad_and_value(f)
            return lambda: d(x0)
        if command == "hessian":
            h = tf.hessian(f)
            return lambda: (f(x0), h(x0))
        g = tf.grad(f)
        u = args["u"]
        return lambda: (f(x0), tf.jvp(g, (x0,), (u,))[1])
    import jax

    def g(z, rest):  # the other arrays are arguments: closed over, jit would fold them
        return loss(**rest, **{wrt: z})

    if command == "grad":
        d = jax.jit(jax.value_and_grad(g))
    elif command == "hessian":
        d = jax.jit(lambda z, rest: (g(z, rest), jax.hessian(g)(z, rest)))
    else:
        u = args["u"]
        d = jax.jit(
            lambda z, rest: (g(z, rest), jax.jvp(lambda s: jax.grad(g)(s, rest), (z,), (u,))[1])
        )
    with_u = {**rest, **({"u": args["u"]} if "u" in args else {})}
    return lambda: d(x0, with_u)


# ---------------------------------------------------------------- 4c. whole models over a batch (SPEC §7.1)

_CE = "-sum(Y .* log_softmax(X*W + b, 2))/m"
_MLP2 = "-sum(Y .* log_softmax(H*W2 + b2, 2))/m where H = relu(X*W1 + b1)"
_ATTN = "sum(G .* (A*V)) where A = softmax(Q*K'/sqrt(d), 2), Q = X*W_Q, K = X*W_K, V = X*W_V"


def _row_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _ce_hand(X, W, b, Y):
    """CS231n: P the row softmax, loss −Σ Y ⊙ log P / m, gradient Xᵀ (P − Y)/m (Y one-hot)."""
    m = X.shape[0]
    Z = X @ W + b
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    s = E.sum(axis=1, keepdims=True)
    return -np.sum(Y * (Z - np.log(s))) / m, X.T @ (E / s - Y) / m


def _mlp2_hand(X, W1, b1, W2, b2, Y):
    m = X.shape[0]
    A = X @ W1 + b1
    H = np.maximum(A, 0)
    Z = H @ W2 + b2
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    s = E.sum(axis=1, keepdims=True)
    dZ = (E / s - Y) / m
    return -np.sum(Y * (Z - np.log(s))) / m, X.T @ ((dZ @ W2.T) * (A > 0))


def _attn_hand(X, W_Q, W_K, W_V, G):
    """Vaswani et al.: S = softmax(Q Kᵀ/√d), out = S V; dS = G Vᵀ, dZ = S ⊙ (dS − rowsum(dS ⊙ S))."""
    d = W_Q.shape[1]
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    S = _row_softmax(Q @ K.T / np.sqrt(d))
    dS = G @ V.T
    dZ = S * (dS - np.sum(dS * S, axis=1, keepdims=True))
    return np.sum(G * (S @ V)), X.T @ (dZ @ K) / np.sqrt(d)


BATCH_MODELS = {  # name: (expression, wrt, let, hand-written NumPy)
    "batch cross-entropy by W": (
        _CE,
        "W",
        ["X:m,n", "W:n,k", "b:k", "Y:m,k"],
        _ce_hand,
    ),
    "2-layer MLP by W1": (
        _MLP2,
        "W1",
        ["X:m,n", "W1:n,h", "b1:h", "W2:h,k", "b2:k", "Y:m,k"],
        _mlp2_hand,
    ),
    "attention by W_Q": (
        _ATTN,
        "W_Q",
        ["X:m,n", "W_Q:n,d", "W_K:n,d", "W_V:n,d", "G:m,d"],
        _attn_hand,
    ),
}


def batch_models() -> None:
    """Generated --format python for whole models over a batch (the tutorial's) against
    hand-written NumPy, side by side (paired ratios), at m=256 examples, n=128 features,
    k=10 classes, h=128 hidden units, d=64 for attention."""
    m, n, k, h, d = 256, 128, 10, 128, 64
    rng = np.random.default_rng(0)
    reps = 9 if QUICK else 31
    data = {
        "X": rng.normal(size=(m, n)),
        "W": rng.normal(size=(n, k)) / np.sqrt(n),
        "b": rng.normal(size=k) * 0.1,
        "Y": np.eye(k)[rng.integers(k, size=m)],
        "W1": rng.normal(size=(n, h)) / np.sqrt(n),
        "b1": rng.normal(size=h) * 0.1,
        "W2": rng.normal(size=(h, k)) / np.sqrt(h),
        "b2": rng.normal(size=k) * 0.1,
        "W_Q": rng.normal(size=(n, d)) / np.sqrt(n),
        "W_K": rng.normal(size=(n, d)) / np.sqrt(n),
        "W_V": rng.normal(size=(n, d)) / np.sqrt(n),
        "G": rng.normal(size=(m, d)),
    }
    for model, (expr, wrt, let, hand) in BATCH_MODELS.items():
        gen = _compiled("grad", expr, wrt, let)
        call = {p: data[p] for p in __import__("inspect").signature(gen).parameters}
        hcall = {p: data[p] for p in __import__("inspect").signature(hand).parameters}
        got, want = gen(**call), hand(**hcall)
        assert np.isclose(got[0], want[0]) and np.allclose(got[1], want[1]), model
        ours, base = timed_pair(
            lambda gen=gen, call=call: gen(**call),
            lambda hand=hand, hcall=hcall: hand(**hcall),
            reps,
        )
        row(
            "batch",
            f"{model} (m={m}, n={n}): generated",
            ours,
            base,
            "hand-written NumPy",
            "≤ 1.1",
            ratio=paired_ratio(ours, base),
        )


# ---------------------------------------------------------------- 5. matcalc's own time


def derivation_time() -> None:
    """Deriving an L-layer network by W1 is linear in L: the time per layer stays flat."""
    base = None
    for layers in (2, 4, 8, 16) if QUICK else (2, 4, 8, 16, 32):
        inner = "x"
        let = ["x:n", "v:n"]
        for k in range(1, layers + 1):
            inner = f"tanh(W{k}*{inner})"
            let.append(f"W{k}:n,n")
        expr = f"(v.T*{inner} - t)**2/2"
        times = timed(lambda expr=expr, let=let: matcalc.grad(expr, wrt="W1", let=let), 3)
        per = [t / layers for t in times]
        if base is None:
            base = per
        row(
            "derive",
            f"{layers}-layer net by W1, per layer",
            per,
            base,
            "2-layer, per layer",
            "≈ 1 (flat)",
        )


def slowest_random() -> None:
    """The slowest derivations among the random-expression tester's cases (tests/difftest.py)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import difftest  # the test suite's tester and its generator
    import randexpr

    rng = np.random.default_rng(11)
    worst: list[tuple[float, str]] = []
    for _ in range(300 if QUICK else 2000):
        sample = randexpr.random_sample(rng, 4)
        start = time.perf_counter()
        try:
            difftest.call_matcalc(sample)
        except matcalc.MatcalcError:
            pass
        worst.append((time.perf_counter() - start, sample.describe()))
    worst.sort(reverse=True)
    one = timed(lambda: matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"]), 5)
    for seconds, what in worst[:3]:
        row(
            "derive",
            f"slowest random case ({seconds:.2f} s): {what[8:70]}",
            [seconds],
            one,
            "grad xᵀAx",
            "< 2 s",
        )


def chain_cost() -> None:
    from matcalc.derive.cost import cost

    rng = np.random.default_rng(3)
    dims = [int(d) for d in rng.integers(1, 60, 301)]
    shapes = [(dims[i], dims[i + 1]) for i in range(300)]
    ours = timed(lambda: cost(shapes), 3)
    mats = [rng.normal(size=s) for s in shapes]

    def multiply() -> object:
        out = mats[0]
        for m in mats[1:]:
            out = out @ m
        return out

    row(
        "cost",
        "300-factor chain: all three orders",
        ours,
        timed(multiply, 3),
        "multiplying it once",
        "well < 1 s",
    )


# ---------------------------------------------------------------- 6. the page's server, warm

SERVE_QUERIES = [  # (what, query): the README's examples, a 2-layer MLP, the GP likelihood
    ("README grad xᵀAx", {"expr": "x'*A*x", "wrt": "x", "let": "x:n A:n,n"}),
    ("README grad x1³+2x2²+3x3", {"expr": "x1^3+2x2^2+3x3", "wrt": "x"}),
    (
        "README vjp at a point",
        {
            "command": "vjp",
            "expr": "[x1^3+2x2^2+3x3, 3x1+2x2^2+x3^3, 2x1+x2^3+3x3^2]",
            "wrt": "x",
            "v": "3,2,1",
            "at": "x=[1,2,3]",
        },
    ),
    (
        "README jacobian XX (a tensor)",
        {"command": "jacobian", "expr": "X*X", "wrt": "X", "let": "X:n,n"},
    ),
    ("README grad aᵀX⁻¹b", {"expr": "a'*inv(X)*b", "wrt": "X", "let": "X:n,n a:n b:n"}),
    (
        "README hessian logsumexp",
        {"command": "hessian", "expr": "logsumexp(x)", "wrt": "x", "let": "x:n"},
    ),
    (
        "README logistic regression",
        {
            "expr": "-sum(t.*log(sigmoid(X*w)) + (1 - t).*log(1 - sigmoid(X*w)))",
            "wrt": "w",
            "let": "X:m,n w:n t:m",
        },
    ),
    (
        "2-layer MLP by W1",
        {
            "expr": "(v'*tanh(W2*tanh(W1*x + b1) + b2) - t)^2/2",
            "wrt": "W1",
            "let": "x:n W1:m,n b1:m W2:k,m b2:k v:k",
        },
    ),
    (
        "GP likelihood by K",
        {"expr": "y'*inv(K)*y/2 + logdet(K)/2 + n/2*log(2*pi)", "wrt": "K", "let": "y:n K:n,n,sym"},
    ),
]


def serve_latency() -> None:
    """Warm `matcalc serve`: each query's answer (every format, in a forked worker, over HTTP),
    p50 and p95 in ms; the ratio is p50 over the same API call made in-process."""
    import threading
    import urllib.request

    from matcalc.serve import Query, answer, make_server
    from matcalc.serve.query import read_query

    server = make_server("127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/derive"
    runs = 10 if QUICK else 40
    try:
        for what, query in SERVE_QUERIES:
            body = json.dumps(query).encode()

            def ask(body: bytes = body) -> None:
                request = urllib.request.Request(base, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=60) as got:
                    assert json.loads(got.read())["ok"]

            q: Query = read_query(query)
            ask()  # once, as a user's first look
            ours = timed(ask, runs)
            inside = timed(lambda q=q: answer(q), max(3, runs // 4))
            p50, p95 = np.percentile(ours, 50) * 1e3, np.percentile(ours, 95) * 1e3
            ratio = statistics.median(ours) / statistics.median(inside)
            ROWS.append(
                {
                    "group": "serve",
                    "what": what,
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "ratio": ratio,
                    "baseline": "answer() in-process",
                    "baseline_median_s": statistics.median(inside),
                    "target": "p95 well < 200 ms",
                }
            )
            print(
                f"{'serve':12} {what:46} {ratio:7.2f}×  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"in-process {statistics.median(inside) * 1e3:7.1f} ms  target p95 well < 200 ms",
                flush=True,
            )
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- 8. matrix functions (SPEC §7.2)


def _hand_expm(A, G):
    """tr(Gᵀ e^A) and its gradient L(Aᵀ, G), from one call of SciPy (Higham §10)."""
    import scipy.linalg

    E, L = scipy.linalg.expm_frechet(A.T, G)
    return float(np.sum(G * E.T)), L


def _hand_chol_vjp(S, V):
    """L = chol(S) and S̄ = ½ (L⁻ᵀ Φ(Lᵀ V) L⁻¹ + its transpose) (Murray 2016), by triangular solves."""
    import scipy.linalg

    L = scipy.linalg.cholesky(S, lower=True)
    P = L.T @ V
    P = np.tril(P, -1) + np.diag(np.diag(P)) / 2
    X = scipy.linalg.solve_triangular(L, P.T, lower=True, trans="T")  # L⁻ᵀ Pᵀ
    X = scipy.linalg.solve_triangular(L, X.T, lower=True, trans="T").T  # (L⁻ᵀ (L⁻ᵀ Pᵀ)ᵀ)ᵀ
    return L, (X + X.T) / 2


def _hand_lambda_max(S):
    w, V = np.linalg.eigh(S)
    v = V[:, -1]
    return float(w[-1]), np.outer(v, v)


def _jax_matrix_functions() -> list[Callable[..., object]] | None:
    """jax.grad (jit, CPU, float64) of the same three functions: tr(Gᵀ expm(A)) by A, the vjp
    of chol(S) with V, λ_max(S) by S; None where JAX is not installed."""
    try:
        import jax
        import jax.numpy as jnp
        import jax.scipy.linalg
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def chol_vjp(S, V):
        L, pullback = jax.vjp(jnp.linalg.cholesky, S)
        return L, pullback(V)[0]

    return [
        jax.jit(jax.value_and_grad(lambda A, G: jnp.sum(G * jax.scipy.linalg.expm(A)))),
        jax.jit(chol_vjp),
        jax.jit(jax.value_and_grad(lambda S: jnp.linalg.eigh(S)[0][-1])),
    ]


def matrix_functions() -> None:
    """Generated --format python for expm's gradient, chol's vjp and λ_max's gradient, against
    the hand-written SciPy above and against jax.grad under jit (ratios as the median of paired
    samples; nothing asserted)."""
    n = 60 if QUICK else 200
    reps = 9 if QUICK else 21
    rng = np.random.default_rng(0)
    A, G = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(n, n))
    M = rng.normal(size=(n, n))
    S = M @ M.T / n + np.eye(n)
    V = rng.normal(size=(n, n))
    cases = [
        (
            "grad tr(Gᵀ expm(A))",
            matcalc.grad("tr(G'*expm(A))", wrt="A", let=["A:n,n", "G:n,n"]),
            {"A": A, "G": G},
            lambda: _hand_expm(A, G),
        ),
        (
            "vjp chol(S)",
            matcalc.vjp("chol(S)", wrt="S", v="V", let=["S:n,n,sym", "V:n,n"]),
            {"S": S, "V": V},
            lambda: _hand_chol_vjp(S, V),
        ),
        (
            "grad lambda_max(S)",
            matcalc.grad("lambda_max(S)", wrt="S", let=["S:n,n,sym"]),
            {"S": S},
            lambda: _hand_lambda_max(S),
        ),
    ]
    jaxed = _jax_matrix_functions()
    for i, (what, result, args, hand) in enumerate(cases):
        module = types.ModuleType("generated")
        exec(compile(result.python(), "<generated>", "exec"), module.__dict__)
        fn = next(v for k, v in module.__dict__.items() if k.startswith("f_and_"))
        call = {k: args[k] for k in __import__("inspect").signature(fn).parameters}
        got, want = fn(**call), hand()
        assert np.allclose(got[1], want[1], rtol=1e-6, atol=1e-8), what
        ours, base = timed_pair(lambda fn=fn, call=call: fn(**call), hand, reps)
        ratio = paired_ratio(ours, base)
        row(
            "matfun",
            f"{what} (n={n}): generated",
            ours,
            base,
            "hand-written SciPy",
            "≤ 1.1",
            ratio=ratio,
        )
        if jaxed is None:
            print(f"{'matfun':12} {what}: jax.grad not measured (JAX is not installed)")
            continue
        import jax

        jargs = [jax.numpy.asarray(a) for a in args.values()]  # in the order jax's function takes
        jfn = jaxed[i]
        assert np.allclose(np.asarray(jfn(*jargs)[1]), want[1], rtol=1e-6, atol=1e-8), what
        ours, base = timed_pair(
            lambda fn=fn, call=call: fn(**call),
            lambda jfn=jfn, jargs=jargs: jax.block_until_ready(jfn(*jargs)),
            reps,
        )
        ratio = paired_ratio(ours, base)
        row(
            "matfun",
            f"{what} (n={n}): generated vs jax.grad",
            ours,
            base,
            "jax.grad (jit, CPU)",
            "< 1",
            ratio=ratio,
        )


def main() -> None:
    print(
        f"matcalc {matcalc.__version__} benchmarks{' (quick)' if QUICK else ''}; ratio = ours / baseline\n"
    )
    sections = {
        "startup": startup,
        "matrix": matrix_level,
        "components": componentwise,
        "codegen": generated_code,
        "frameworks": framework_code,
        "batch": batch_models,
        "derive": derivation_time,
        "random": slowest_random,
        "cost": chain_cost,
        "serve": serve_latency,
        "matfun": matrix_functions,
    }
    only = [a.removeprefix("--only=") for a in sys.argv[1:] if a.startswith("--only=")]
    for name, section in sections.items():
        if not only or name in only:
            section()
    out = HERE / "results.json"
    out.write_text(json.dumps({"quick": QUICK, "rows": ROWS}, indent=2, ensure_ascii=False))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
