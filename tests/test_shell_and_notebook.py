"""Shell habits (completion, --version, python -m) and notebook display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc

MATCALC = [sys.executable, "-m", "matcalc"]
SCRIPT = Path(sys.executable).with_name("matcalc")
needs_script = pytest.mark.skipif(
    not SCRIPT.exists(), reason="the matcalc console script is not installed"
)


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MATCALC, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@needs_script
def test_show_completion_script():
    run = subprocess.run(
        [str(SCRIPT), "--show-completion", "bash"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0 and "_MATCALC_COMPLETE" in run.stdout.upper()


@needs_script
def test_completion_completes_commands_and_options():
    def complete(words: str, cword: int) -> list[str]:
        env = {"_MATCALC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        run = subprocess.run(
            [str(SCRIPT)], capture_output=True, text=True, env={**os.environ, **env}, check=False
        )
        return run.stdout.split()

    assert "jacobian" in complete("matcalc jac", 1)
    assert complete("matcalc grad x --la", 3) == ["--layout"]


def test_install_completion_is_offered():
    run = _run(["--help"])
    assert "--install-completion" in run.stdout


def test_version():
    run = _run(["--version"])
    assert run.stdout == f"matcalc {matcalc.__version__}\n"


def test_repr_latex_for_notebooks():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"])
    tex = r._repr_latex_()
    assert tex.startswith("$$") and tex.endswith("$$")
    assert tex[2:-2] == r.latex() == r"\left(A + A^{\top}\right) x"


def test_notebook_display_of_show():
    """SPEC §6: `show` results display as LaTeX and have a readable repr (no empty `by`)."""
    r = matcalc.show("x.T*A*x", let=["x:n", "A:n,n"])
    assert r._repr_latex_() == "$$x^{\\top} A x$$"
    assert "xᵀ A x" in repr(r) and "by  " not in repr(r), repr(r)


def test_notebook_display_of_several_results():
    """SPEC §6: several --wrt names (`Results`) display as LaTeX in a notebook too."""
    let = ["x:n", "W1:n,n", "W2:n,n", "v:n"]
    rs = matcalc.grad("(v.T*W2*W1*x - t)**2/2", wrt="W1,v", let=let)
    tex = rs._repr_latex_()
    assert tex.startswith("$$") and tex.endswith("$$") and "W_{1}" in tex


def test_readable_repr():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"])
    assert repr(r) == "<grad by x (mixed, n×1): (A + Aᵀ) x>"
    assert str(r) == "(A + Aᵀ) x"


def test_expr_is_sympy():
    import sympy as sp

    r = matcalc.grad("logdet(X)", wrt="X", let=["X:n,n"])
    assert isinstance(r.expr, sp.matrices.expressions.MatrixExpr)
    n = sp.Symbol("n", integer=True, positive=True)
    X = sp.MatrixSymbol("X", n, n)
    assert r.expr == sp.Inverse(sp.Transpose(X)) or r.expr == sp.Transpose(sp.Inverse(X))


@pytest.mark.parametrize(
    "expr,wrt,let",
    [
        ("sum(sigmoid(W*x))", "x", ["x:n", "W:m,n"]),
        ("logsumexp(x)", "x", ["x:n"]),
        ("softmax(x).T*y", "x", ["x:n", "y:n"]),
        ("x.T*A*x", "x", ["x:n", "A:n,n"]),
    ],
)
def test_expr_of_every_kind_of_result(expr, wrt, let):
    import sympy as sp

    assert isinstance(matcalc.grad(expr, wrt=wrt, let=let).expr, sp.Basic)
    assert isinstance(
        matcalc.jacobian("A*X*B", wrt="X", let=["A:2,2", "X:2,2", "B:2,2"], vec=True).expr, sp.Basic
    )
