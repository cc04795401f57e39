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
) -> None:
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
    r = statistics.median(ours) / statistics.median(base)
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


MODELS = {
    "logistic regression": ("sum(softplus(X*w)) - y.T*X*w", "w", ["X:m,n", "w:n", "y:m"]),
    "least squares": ("norm2(A*x - b)**2", "x", ["A:m,n", "x:n", "b:m"]),
    "two-layer tanh net": ("(v.T*tanh(W*x) - t)**2/2", "W", ["W:n,n", "x:n", "v:n"]),
}


def handwritten() -> dict[str, tuple[Callable, Callable]]:
    """The practical limit: value-and-gradient and value-only, written by hand in NumPy."""

    def logistic(X, w, y):  # noqa: N803
        z = X @ w
        return np.sum(np.logaddexp(0, z)) - y @ z, X.T @ (0.5 * (1 + np.tanh(0.5 * z)) - y)

    def logistic_f(X, w, y):  # noqa: N803
        z = X @ w
        return np.sum(np.logaddexp(0, z)) - y @ z

    def lsq(A, x, b):  # noqa: N803
        r = A @ x - b
        return r @ r, 2 * (A.T @ r)

    def lsq_f(A, x, b):  # noqa: N803
        r = A @ x - b
        return r @ r

    def net(W, x, v, t):  # noqa: N803
        h = np.tanh(W @ x)
        r = v @ h - t
        return 0.5 * r * r, r * np.outer(v * (1 - h * h), x)

    def net_f(W, x, v, t):  # noqa: N803
        r = v @ np.tanh(W @ x) - t
        return 0.5 * r * r

    return {
        "logistic regression": (logistic, logistic_f),
        "least squares": (lsq, lsq_f),
        "two-layer tanh net": (net, net_f),
    }


def inputs(model: str, n: int, rng: np.random.Generator) -> dict[str, object]:
    if model == "logistic regression":
        return {
            "X": rng.normal(size=(n, n)) / np.sqrt(n),
            "w": rng.normal(size=n),
            "y": rng.integers(0, 2, n) * 1.0,
        }
    if model == "least squares":
        return {
            "A": rng.normal(size=(n, n)) / np.sqrt(n),
            "x": rng.normal(size=n),
            "b": rng.normal(size=n),
        }
    return {
        "W": rng.normal(size=(n, n)) / np.sqrt(n),
        "x": rng.normal(size=n),
        "v": rng.normal(size=n),
        "t": 0.5,
    }


def generated_code() -> None:
    n = 300 if QUICK else 1000
    rng = np.random.default_rng(0)
    hand = handwritten()
    for model, (e, wrt, let) in MODELS.items():
        src = matcalc.grad(e, wrt=wrt, let=let).python()
        module = types.ModuleType("generated")
        exec(compile(src, "<generated>", "exec"), module.__dict__)
        gen = module.f_and_grad
        args = inputs(model, n, rng)
        params = list(__import__("inspect").signature(gen).parameters)
        call = {k: args[k] for k in params}
        got, want = gen(**call), hand[model][0](**args)
        assert np.allclose(got[1], want[1]) and np.isclose(got[0], want[0]), model
        reps = 15 if QUICK else 41
        ours = timed(lambda gen=gen, call=call: gen(**call), reps)
        base = timed(lambda model=model, args=args: hand[model][0](**args), reps)
        row(
            "codegen",
            f"{model} n={n}: generated f_and_grad",
            ours,
            base,
            "hand-written NumPy",
            "≤ 1.1",
        )
        f_only = timed(lambda model=model, args=args: hand[model][1](**args), reps)
        row("codegen", f"{model} n={n}: f_and_grad / f alone", ours, f_only, "value only", "≤ 2")
        row("codegen", f"{model} n={n}: hand-written f_and_grad / f", base, f_only, "value only")
        torch_row(model, args, ours, n)


def torch_row(model: str, args: dict[str, object], ours: list[float], n: int) -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in args.items()}

    def loss_and_grad() -> object:
        p = {
            k: v.clone().requires_grad_(
                k in ("w", "x", "W") and not (model == "two-layer tanh net" and k == "x")
            )
            for k, v in t.items()
        }
        if model == "logistic regression":
            z = p["X"] @ p["w"]
            f = torch.nn.functional.softplus(z).sum() - p["y"] @ z
            var = p["w"]
        elif model == "least squares":
            r = p["A"] @ p["x"] - p["b"]
            f = r @ r
            var = p["x"]
        else:
            r = p["v"] @ torch.tanh(p["W"] @ p["x"]) - p["t"]
            f = 0.5 * r * r
            var = p["W"]
        f.backward()
        return var.grad

    row(
        "codegen",
        f"{model} n={n}: generated vs PyTorch autograd",
        ours,
        timed(loss_and_grad, 15 if QUICK else 41),
        "PyTorch",
    )


def chain_cost() -> None:
    from matcalc.chain_cost import cost

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


def main() -> None:
    print(
        f"matcalc {matcalc.__version__} benchmarks{' (quick)' if QUICK else ''}; ratio = ours / baseline\n"
    )
    startup()
    matrix_level()
    componentwise()
    generated_code()
    chain_cost()
    out = HERE / "results.json"
    out.write_text(json.dumps({"quick": QUICK, "rows": ROWS}, indent=2, ensure_ascii=False))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
