"""LaTeX that compiles: a corpus of matcalc's LaTeX output goes through a real TeX engine.

The corpus: the identity table in every layout, every function of SPEC §2 (matrix level and
componentwise), --steps derivations, chain derivations, exact values, Greek names, and a
--standalone document. `make test` installs Debian's texlive when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import matcalc
from matcalc.expr.registry import OPS
from matcalc.identities import IDENTITIES
from matcalc.render.chain import render_chain
from matcalc.render.plain import latex as latex_of
from matcalc.render.plain import standalone

from .op_specs import ROWS
from .test_componentwise import FUNCTIONS

PDFLATEX = shutil.which("pdflatex")
needs_tex = pytest.mark.skipif(
    PDFLATEX is None, reason="pdflatex not installed (make test installs texlive)"
)

MATRIX_FUNCTIONS = [
    ("sum(sin(x) + cos(x) + tan(x) + exp(x) + log(x) + sqrt(x))", "x"),
    ("sum(tanh(x) + sigmoid(x) + softplus(x) + abs(x) + relu(x))", "x"),
    ("tr(inv(X)*A) + det(X) + logdet(X)", "X"),
    ("sum(diag(X)) + x.T*diag(x)*x + norm2(X) + norm2(x)", "X"),
    ("dot(x, x) + sum(hadamard(X, A)) + logsumexp(x) + x.T*softmax(x)", "x"),
    ("tr(X**3) + alpha*theta*lam*x.T*x", "x"),
]
LET = ["x:n", "X:n,n", "A:n,n"]


def registry_functions() -> list[str]:
    """Every elementwise function of the registry applied to x: a new entry's LaTeX (and its
    derivative's) enters the corpus with no edit here."""
    return [f"sum({(op.names or (op.name,))[0]}(x))" for op in OPS.values() if op.entrywise]


def registry_matrix_rows() -> list:
    """For every other operator the random tester draws from its spec rows, the first such row:
    a new matrix operator's LaTeX (and its derivative's) enters the corpus with no edit here."""
    from . import randexpr

    rows = {row.id: row for row in ROWS}
    ids = {
        next(t.id for t in randexpr.TEMPLATES if name in t.ops) for name in randexpr.TEMPLATE_OPS
    }
    return [rows[i] for i in sorted(ids)]


def corpus() -> list[str]:
    out: list[str] = []
    for i in IDENTITIES:
        for layout in ("mixed", "numerator", "denominator"):
            out.append(
                getattr(matcalc, i.kind)(i.expr, wrt=i.wrt, let=list(i.let), layout=layout).latex()
            )
    for e, wrt in MATRIX_FUNCTIONS:
        out.append(matcalc.grad(e, wrt=wrt, let=LET).latex())
        out.append(latex_of(matcalc.grad(e, wrt=wrt, let=LET, steps=True)))
    for e in registry_functions():
        out.append(matcalc.show(e, let=LET).latex())
        out.append(matcalc.grad(e, wrt="x", let=LET).latex())
    for row in registry_matrix_rows():
        let = list(row.let)
        out.append(matcalc.show(row.expr, let=let).latex())
        kind = matcalc.grad if row.valued == "scalar" else matcalc.jacobian
        out.append(kind(row.expr, wrt=row.wrt, let=let).latex())
    for e in FUNCTIONS:
        out.append(matcalc.grad(e, wrt="x").latex())
        out.append(matcalc.hessian(e, wrt="x").latex())
    out.append(
        matcalc.jacobian("A*X*B", wrt="X", let=["A:n,n", "X:n,n", "B:n,n"], vec=True).latex()
    )
    out.append(matcalc.jacobian("X.T", wrt="X", let=["X:n,m"], vec=True).latex())
    out.append(
        latex_of(matcalc.grad("logdet(X)", wrt="X", let=["X:2,2"], at={"X": [[2, 1], [1, 3]]}))
    )
    net = ["L = (y - t)**2/2", "y = v.T*s", "s = W2*z", "z = W1*x"]
    chains = [
        (net, "W1", ["x:2", "W1:2,2", "W2:2,2", "v:2"]),
        (["f = z.T*z", "z = tanh(A*x)"], "x", ["x:n", "A:m,n"]),
        (["y = sin(z)", "z = t*a"], "t", ["a:n"]),
        (["y = tanh(W*z)", "z = A*x"], "x", ["x:n", "A:m,n", "W:k,m"]),
    ]
    for steps, wrt, let in chains:
        for layout in ("mixed", "numerator", "denominator"):
            out.append(render_chain(matcalc.chain(steps, wrt=wrt, let=let, layout=layout), "latex"))
    for kind in ("vjp", "jvp"):
        out.append(
            getattr(matcalc, kind)(
                "tanh(W*x)",
                wrt="x",
                v="u" if kind == "vjp" else "d",
                let=["W:m,n", "x:n", "u:m", "d:n"],
            ).latex()
        )
        out.append(getattr(matcalc, kind)("softmax(x)", wrt="x", v="y", let=["x:n", "y:n"]).latex())
    out += v2_corpus()
    return out


V2_SHOW = [
    ("sum(x.^2 ./ (1 + y)) + norm1(x) + mean(x) + abs(t) + arctan(t) + sign(t)", ["x:n", "y:n"]),
    ("x.T*eye(n)*x + ones(n).T*x + vector(2).T*x - 1 ./ t", ["x:n"]),
    ("‖A x - y‖² + |t| + σ(t) + 2 Aᵀ (A x - y) ⊙ x", ["x:n", "y:n", "A:n,n"]),
    ("sum(kron(A, A)) + hadamard(A, A) ./ (1 + A.^2)", ["A:n,n"]),
]


def v2_corpus() -> list[str]:
    """v2 results: linear maps (tensor derivatives), several --wrt names, entrywise operators,
    broadcasting, `show` of v2 notation."""
    out = []
    mats = ["A:n,n", "X:n,n", "B:n,n"]
    out.append(matcalc.jacobian("A*X*B", wrt="X", let=mats).latex())
    out.append(matcalc.jacobian("inv(X)", wrt="X", let=mats).latex())
    out.append(matcalc.hessian("logdet(X)", wrt="X", let=mats).latex())
    net = ["x:n", "W1:n,n", "W2:n,n", "v:n"]
    out.append(matcalc.grad("(v.T*W2*W1*x - t)**2/2", wrt="W1,W2,v", let=net).latex())
    out.append(matcalc.grad("sum(x.^2 ./ (1 + y)) + norm1(x)", wrt="x", let=["x:n", "y:n"]).latex())
    out.append(matcalc.jacobian("1 - x.*x", wrt="x", let=["x:n"]).latex())
    for e, let in V2_SHOW:
        out.append(matcalc.show(e, let=let).latex())
    return out


def _compile(doc: str, tmp: Path) -> subprocess.CompletedProcess:
    (tmp / "doc.tex").write_text(doc)
    return subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _document(items: list[str]) -> str:
    body = []
    for tex in items:
        body.append(tex if tex.startswith("\\begin{align*}") else f"\\[\n{tex}\n\\]")
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + "\n".join(body)
        + "\n\\end{document}\n"
    )


def test_corpus_is_large_and_has_no_dollars():
    items = corpus()
    assert len(items) >= 200
    assert not any("$" in t for t in items)


@needs_tex
def test_corpus_compiles(tmp_path):
    items = corpus()
    run = _compile(_document(items), tmp_path)
    if run.returncode != 0:  # find the first offender for the message
        for tex in items:
            if _compile(_document([tex]), tmp_path).returncode != 0:
                pytest.fail(f"does not compile: {tex}")
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "doc.pdf").exists()


@needs_tex
def test_standalone_compiles(cli, tmp_path):
    code, out, _ = cli(
        "grad",
        "a.T*inv(X)*b",
        "--let",
        "X:n,n",
        "--let",
        "a:n",
        "--let",
        "b:n",
        "--wrt",
        "X",
        "-f",
        "latex",
        "--standalone",
    )
    assert code == 0 and out.startswith("\\documentclass")
    assert _compile(out, tmp_path).returncode == 0


@needs_tex
def test_a_broken_expression_is_caught(tmp_path):
    assert _compile(_document(["\\frac{1}{"]), tmp_path).returncode != 0


def test_typesetting_conventions():
    g = matcalc.grad("a.T*inv(X)*b", wrt="X", let=["X:n,n", "a:n", "b:n"]).latex()
    assert g == "-X^{-\\top} a b^{\\top} X^{-\\top}"
    let = ["x:n", "y:n"]
    assert matcalc.jacobian("hadamard(x, y)", wrt="x", let=let).latex() == (
        "\\operatorname{diag}\\left(y\\right)"
    )
    assert "\\odot" in matcalc.jacobian("hadamard(tanh(x), y)", wrt="x", let=let).latex()
    assert (
        matcalc.grad("tr(A*X)", wrt="X", let=["A:n,n", "X:n,n"], layout="numerator").latex() == "A"
    )
    assert "\\operatorname{diag}" in matcalc.jacobian("sigmoid(x)", wrt="x", let=["x:n"]).latex()
    assert (
        "\\otimes"
        in matcalc.jacobian("A*X*B", wrt="X", let=["A:n,n", "X:n,n", "B:n,n"], vec=True).latex()
    )
    assert "\\lambda" in matcalc.grad("lam*x.T*x", wrt="x", let=["x:n"]).latex()
    assert matcalc.show("eps*W_in*x_t", let=["W_in:n,n", "x_t:n"]).latex() == (
        "\\mathit{eps} W_{in} x_{t}"
    )
    assert standalone("x").startswith("\\documentclass")


ROUNDTRIP = [
    ("grad", "x.T*A*x", "x", ["x:n", "A:n,n"]),
    ("grad", "a.T*inv(X)*b", "X", ["X:n,n", "a:n", "b:n"]),
    ("grad", "logsumexp(W*x)", "x", ["x:n", "W:m,n"]),
    ("jacobian", "tanh(W*x)", "x", ["x:n", "W:m,n"]),
    ("grad", "sum(x.^2 ./ (1 + y)) + norm2(x)", "x", ["x:n", "y:n"]),
    # names of several letters, undeclared scalars among them: \mathit{eps}, not e p s
    ("grad", "x.T*x/(eps + sf^2) + dout.T*tanh(x)*eps", "x", ["x:n", "dout:n"]),
]


@pytest.mark.parametrize("kind,e,wrt,let", ROUNDTRIP, ids=[c[1] for c in ROUNDTRIP])
def test_latex_reads_back(cli, kind, e, wrt, let):
    """SPEC §4 v2: the LaTeX of a result, read back with `--input latex`, has the same value."""
    r = getattr(matcalc, kind)(e, wrt=wrt, let=let)
    lets = [a for spec in let for a in ("--let", spec)]
    at = {"x": "[1,2]", "y": "[3,1]", "a": "[1,-1]", "b": "[2,1]"}
    at |= {"eps": "0.5", "sf": "2", "dout": "[1,-2]"}
    at |= {"A": "[[2,1],[0,1]]", "X": "[[2,1],[1,3]]", "W": "[[1,2],[3,-1],[0,1]]"}
    ats = [a for name in r.function.free() for a in ("--at", f"{name}={at[name]}")]
    code, want, err = cli("show", r.text(), *lets, *ats, "-f", "json")
    assert code == 0, err
    code, got, err = cli("show", r.latex(), "--input", "latex", *lets, *ats, "-f", "json")
    assert code == 0, err
    assert json.loads(got)["value"] == json.loads(want)["value"]


@pytest.mark.parametrize(
    "text,column", [(r"t + \foo t", 5), (r"t + \foo{t}", 5), (r"\frac{t}{\infty}", 10)]
)
def test_an_unknown_command_is_pointed_at_where_it_starts(text, column):
    with pytest.raises(matcalc.MatcalcError) as info:
        matcalc.grad(text, wrt="t", input="latex")
    assert info.value.render().splitlines()[0].endswith(f"(column {column})")
