"""Issue 20: a new operator is one entry and one spec row, and the generic tests check it
everywhere, with no edit to any test.

Three throwaway operators are written the way docs/design.md tells a newcomer (an elementwise
function, a linear operator and a nonlinear matrix operator, each ONE entry and ONE row). The
generic test files run in a subprocess, so the real registry stays clean: tests/conftest.py runs
the module named by MATCALC_TEST_PLUGIN (the entries and rows below) before any test module reads
the registry or the rows. In it the spec-row checks run in every format (tests/test_ops.py), the
completeness tests (tests/test_registry.py), and the random tester draws the three
(`test_the_random_tester_draws_them` below, which runs only inside that subprocess). Then a
wrong entry (a wrong JVP, a missing printer) is shown to be caught.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.alarm import time_limit

ROOT = Path(__file__).resolve().parent.parent
NEW = ("cube", "rowsums", "gram")

PLUGIN = '''"""Three throwaway operators, each one entry (as in matcalc/ops/) and one spec row."""

import numpy as np
import sympy as sp

from matcalc.expr.node import ONE, norm_shape
from matcalc.expr.registry import ATOM, Op, register
from matcalc.ops import add, eye, had, kron, lit, lit_rows, matmul, mul, num, ones, transpose
from matcalc.ops.base import deflinear
from matcalc.ops.elementwise import elementwise
from tests.op_specs import ROWS, entrywise, scalar

# ---- an elementwise function: cube(u) = u³
elementwise(
    "cube",
    deriv=lambda u, f: mul(num(3), had(u, u)),
    np_fn=lambda xp, u: u**3,
    numpy="({})**3",
    sympy_fn=lambda z: z**3,
)
ROWS.extend(entrywise("cube", lambda u: u**3))


# ---- a linear operator: rowsums(X) = X 𝟏
def _rowsums_transpose(n, g, i):
    return matmul(g, transpose(ones(norm_shape((n.args[0].shape[1], ONE)))))


def _rowsums_vec(n, i, k):
    rows, cols = n.args[0].shape
    return matmul(kron(transpose(ones(norm_shape((cols, ONE)))), eye(rows)), k)


register(
    deflinear(  # its JVP, rowsums(dX), follows from the entry
        "rowsums",
        shape=lambda args, data: norm_shape((args[0].shape[0], ONE)),
        np=lambda ctx, n, a: ctx.xp.sum(a, axis=1),
        expand=lambda ctx, n, a: lit([[add(*row)] for row in lit_rows(a)]),
        sympy=lambda n, a: a * sp.OneMatrix(a.shape[1], 1),
        text=lambda p, n: f"rowsums({p(n.args[0])})",
        latex=lambda p, n: rf"\\operatorname{{rowsums}}\\left({p(n.args[0])}\\right)",
        numpy=lambda p, n: f"np.sum({p(n.args[0])}, axis=1)",
        prec=ATOM,
        steps="d rowsums(X) = rowsums(dX)",
        names=("rowsums",),
        transpose=_rowsums_transpose,
        vec=_rowsums_vec,
    )
)
ROWS.append(
    scalar(
        "rowsums",
        "sum(sin(rowsums(A*X)))",
        "A:n,n X:n,m",
        "X",
        lambda A, X: np.sum(np.sin((A @ X).sum(axis=1))),
    )
)


# ---- a nonlinear matrix operator: gram(X) = Xᵀ X
def _gram_expand(ctx, n, a):
    r = lit_rows(a)
    cols = range(len(r[0]))
    return lit([[add(*(mul(row[i], row[j]) for row in r)) for j in cols] for i in cols])


register(
    Op(
        "gram",
        shape=lambda args, data: norm_shape((args[0].shape[1], args[0].shape[1])),
        jvp=lambda n, d: add(
            matmul(transpose(d[0]), n.args[0]), matmul(transpose(n.args[0]), d[0])
        ),
        np=lambda ctx, n, a: a.T @ a,
        expand=_gram_expand,
        sympy=lambda n, a: a.T * a,
        text=lambda p, n: f"gram({p(n.args[0])})",
        latex=lambda p, n: rf"\\operatorname{{gram}}\\left({p(n.args[0])}\\right)",
        numpy=lambda p, n: f"(({p(n.args[0])}).T @ ({p(n.args[0])}))",
        prec=ATOM,
        steps="d gram(X) = dXᵀ X + Xᵀ dX",
        names=("gram",),
    )
)
ROWS.append(
    scalar(
        "gram",
        "sum(sin(gram(X)) .* A)",
        "X:n,m A:m,m",
        "X",
        lambda X, A: np.sum(np.sin(X.T @ X) * A),
    )
)
'''

# the wrong entries: gram's JVP forgets dXᵀ X; rowsums has no NumPy printer
WRONG_JVP = (
    "jvp=lambda n, d: add(\n            matmul(transpose(d[0]), n.args[0]), "
    "matmul(transpose(n.args[0]), d[0])\n        ),",
    "jvp=lambda n, d: matmul(transpose(n.args[0]), d[0]),",
)
WRONG_VEC = (  # the Kronecker factors swapped: right only for a square X
    "return matmul(kron(transpose(ones(norm_shape((cols, ONE)))), eye(rows)), k)",
    "return matmul(kron(eye(rows), transpose(ones(norm_shape((cols, ONE))))), k)",
)
NO_PRINTER = (
    'numpy=lambda p, n: f"np.sum({p(n.args[0])}, axis=1)",',
    "numpy=None,",
)
GENERIC = [
    "tests/test_ops.py",
    "tests/test_registry.py::test_every_entry_is_complete",
    "tests/test_registry.py::test_random_tester_draws_every_operator",
    "tests/test_new_operator.py::test_the_random_tester_draws_them",
    "tests/test_linear.py::test_every_linear_entry_at_random_shapes",
    "tests/test_convention.py::test_np_rule_equals_printed_line",
]
INSIDE = os.environ.get("MATCALC_TEST_PLUGIN")


def run_generic_tests(tmp_path: Path, plugin: str) -> tuple[int, str]:
    """pytest over the generic tests, in a subprocess with the plugin's operators registered:
    the exit code and the report (-rA: one line per test)."""
    path = tmp_path / "plugin.py"
    path.write_text(plugin)
    env = {**os.environ, "MATCALC_TEST_PLUGIN": str(path)}
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"]
    done = subprocess.run(
        [*args, "-k", " or ".join((*NEW, "random_tester")), *GENERIC],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def outcomes(report: str) -> dict[str, str]:
    return dict(
        (m.group(2), m.group(1))
        for m in re.finditer(r"^(PASSED|FAILED|ERROR) (\S+)", report, re.MULTILINE)
    )


@pytest.mark.skipif(bool(INSIDE), reason="the subprocess runs the generic tests, not this one")
def test_one_entry_and_one_row_are_checked_everywhere(tmp_path):
    code, report = run_generic_tests(tmp_path, PLUGIN)
    assert code == 0, report[-3000:]
    got = outcomes(report)
    for name in NEW:
        for test in (
            f"test_ops.py::test_text_and_latex_read_back[{name}]",
            f"test_ops.py::test_python_module_runs[{name}]",
            f"test_ops.py::test_json_has_every_form[{name}]",
            f"test_ops.py::test_operator[{name}/grad/mixed]",
            f"test_ops.py::test_operator[{name}/hessian/denominator]",
            f"test_ops.py::test_operator[{name}/vjp]",
            f"test_registry.py::test_every_entry_is_complete[{name}]",
            f"test_convention.py::test_np_rule_equals_printed_line[{name}-0]",
        ):
            assert got.get(f"tests/{test}") == "PASSED", (test, report[-3000:])
    assert got["tests/test_new_operator.py::test_the_random_tester_draws_them"] == "PASSED"
    assert got["tests/test_registry.py::test_random_tester_draws_every_operator"] == "PASSED"
    for seed in range(4):  # the linear one's JVP, transpose and vec rules, at random sizes
        test = f"tests/test_linear.py::test_every_linear_entry_at_random_shapes[rowsums-{seed}]"
        assert got.get(test) == "PASSED", (test, report[-3000:])


@pytest.mark.skipif(bool(INSIDE), reason="the subprocess runs the generic tests, not this one")
def test_a_wrong_entry_is_caught(tmp_path):
    assert WRONG_JVP[0] in PLUGIN and NO_PRINTER[0] in PLUGIN and WRONG_VEC[0] in PLUGIN
    wrong = PLUGIN.replace(*WRONG_JVP).replace(*NO_PRINTER).replace(*WRONG_VEC)
    code, report = run_generic_tests(tmp_path, wrong)
    assert code == 1, report[-3000:]
    got = outcomes(report)
    assert got["tests/test_ops.py::test_operator[gram/grad/mixed]"] == "FAILED"
    assert got["tests/test_ops.py::test_operator[gram/jvp]"] == "FAILED"
    assert got["tests/test_registry.py::test_every_entry_is_complete[rowsums]"] == "FAILED"
    assert got["tests/test_ops.py::test_python_module_runs[rowsums]"] == "FAILED"
    assert got["tests/test_new_operator.py::test_the_random_tester_draws_them"] == "FAILED"
    rowsums = [
        got.get(f"tests/test_linear.py::test_every_linear_entry_at_random_shapes[rowsums-{seed}]")
        for seed in range(4)
    ]
    assert "FAILED" in rowsums, rowsums  # its vec rule, wrong for a non-square X
    # the right ones still pass: the failures are the wrong entries', not the machinery's
    assert got["tests/test_ops.py::test_operator[cube/grad/mixed]"] == "PASSED"
    assert got["tests/test_registry.py::test_every_entry_is_complete[gram]"] == "PASSED"


@pytest.mark.skipif(not INSIDE, reason="runs inside the subprocess, with the plugin registered")
def test_the_random_tester_draws_them():
    """Random samples holding each new operator (the elementwise one from its reference row,
    the other two from their rows used as templates) agree with finite differences."""
    from tests import difftest, randexpr

    assert "cube" in randexpr.FUNCTIONS
    assert {"rowsums", "gram"} <= randexpr.TEMPLATE_OPS
    rng = np.random.default_rng(20)
    seen: Counter = Counter()
    bad = []
    with time_limit(240):
        for _ in range(3000):
            s = randexpr.random_sample(rng, 3)
            hits = [name for name in NEW if f"{name}(" in s.expr and seen[name] < 3]
            if not hits:
                continue
            out = difftest.check_sample(s, seed=len(bad) + sum(seen.values()))
            seen.update(hits)
            if out.status not in ("passed", "skipped"):
                bad.append(out.report())
            if min(seen[name] for name in NEW) >= 3:
                break
    assert not bad, "\n".join(bad)
    assert all(seen[name] >= 3 for name in NEW), seen
