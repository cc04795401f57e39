"""Hostile input for the v2 language (SPEC §2, §4 `--input latex`, §5).

Every v2 token and form — `.*` `./` `.^` `⊙ ⊘ ⊗` `'` juxtaposition `ᵀ ⁻¹ ⁻ᵀ` superscript
integers `⊙²` `‖…‖` `‖…‖₁` `|x|` `σ` `−` `𝟏` `𝐈` subscripts, Greek letters, indexing and
ranges, `eye ones vector matrix`, dimension names as values, `--input latex` — gets rows of
malformed and abusive variants, next to rows that are legitimately valid. A row's contract:

* exit 0 for valid input: something on stdout, nothing on stderr but `note:` lines;
* exit 2 for a user error: nothing on stdout, exactly one `error: …` message on stderr, no
  traceback; a syntax error carries `(column N)`, the input and a caret under column N (where
  a row names N, it is checked);
* never exit 1 (an internal error), never a traceback, never a hang.

Every row runs in-process through `matcalc.cli.main` (the `cli` fixture); the rows marked `SUB`
also run in a real subprocess (`python -m matcalc …`, MATCALC_PLAIN=1). A subset runs under
`sys.addaudithook`: no file opened for writing, no process started (`subprocess.Popen`,
`os.system`, `os.exec*`, `os.spawn*`, `os.posix_spawn`, `os.fork`), no code compiled or executed
from the input, and no module imported that was not loaded before (matcalc's own excepted).
A short seeded fuzz of random token strings and of mutated valid results goes through
`matcalc.show` and `matcalc.grad`: each ends in a result or a `matcalc.MatcalcError`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import matcalc
from tests.alarm import TooSlow, time_limit

ROOT = Path(__file__).resolve().parent.parent
LET = ("--let", "x:3", "--let", "y:3", "--let", "A:3,3")
LET_N = ("--let", "x:n", "--let", "A:n,n")
ANY = 0  # a column must be given, at any position


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]  # after `matcalc`
    ok: bool  # True: exit 0; False: exit 2 with one error message
    column: int | None = None  # for errors: None no requirement, ANY some column, N that column
    stdin: str | None = None
    sub: bool = False  # also through a subprocess
    audit: bool = False  # also under the audit hook


def show(name, e, ok, column=None, *extra, sub=False, audit=False, let=LET):
    return Row(name, ("show", e, *let, *extra), ok, column, sub=sub, audit=audit)


def latex(name, e, ok, column=None, *extra, sub=False, audit=False):
    return Row(
        name, ("show", e, *LET, "--input", "latex", *extra), ok, column, sub=sub, audit=audit
    )


def grad(name, e, ok, column=None, *extra, wrt="x", sub=False, audit=False, let=LET):
    return Row(name, ("grad", e, "--wrt", wrt, *let, *extra), ok, column, sub=sub, audit=audit)


MILLION = "x" * 1_000_000

ROWS = [
    # ---- entrywise operators .* ./ .^ ⊙ ⊘ ⊗
    show("hadamard", "x .* y", True, sub=True),
    show("hadamard-dangling", "x .* ", False, ANY),
    show("hadamard-leading", ".* x", False, 1),
    show("hadamard-star-star", "x .** y", False, ANY),
    show("hadamard-twice", "x.*.*y", False, 4),
    show("ediv", "x ./ y", True),
    show("ediv-dangling", "x ./ ", False, ANY),
    show("ediv-by-zero", "x ./ 0", False, ANY, sub=True),
    show("one-ediv-zero", "1 ./ 0", False, ANY, sub=True),
    show("zero-over-zero", "0/0", False, ANY, sub=True),
    show("t-over-zero", "t/0", False, ANY),
    show("ediv-by-difference-zero", "x ./ (y - y)", False),
    show("epow", "x .^ y", True),
    show("epow-dangling", "x .^", False, ANY),
    show("epow-huge", "x .^ 99999999", False),
    show("odot", "x ⊙ y", True),
    show("odot-odot", "x ⊙⊙ y", False, 4, sub=True),
    show("odot-leading", "⊙ x", False, 1),
    show("odot-dangling", "x ⊙", False, ANY),
    show("oslash-zero", "x ⊘ 0", False, ANY),
    show("otimes", "x ⊗ y", True),
    show("otimes-leading", "⊗ x", False, 1),
    show("otimes-otimes", "x ⊗ ⊗ y", False, 5),
    # ---- transpose ', juxtaposition
    show("prime-prime", "x''", True),
    show("prime-leading", "'x", False, 1),
    show("primes-only", "''", False, 1),
    show("prime-juxt", "2x'y", True),
    show("juxt-number", "2x", True),
    show("juxt-matrix", "2 Aᵀ (A x - y)", True, sub=True),
    show("juxt-function-no-parens", "sin x", False, 1, sub=True),
    show("juxt-two-numbers", "2 2", False, 3),
    show("juxt-1-000", "1 000", False, 3),
    show("juxt-shape", "x y", False, ANY),
    # ---- ᵀ ⁻¹ ⁻ᵀ superscript integers ⊙²
    show("sup-T-alone", "ᵀ", False, 1, sub=True),
    show("sup-T-leading", "ᵀx", False, 1),
    show("sup-T-twice", "xᵀᵀ", True),
    show("sup-inv", "A⁻¹", True),
    show("sup-inv-alone", "⁻¹", False, 1),
    show("sup-inv-of-vector", "x⁻¹", False, 2, sub=True),
    show("sup-minus-dangling", "A⁻", False, 2),
    show("sup-inv-T", "A⁻ᵀ", True),
    show("sup-inv-T-of-vector", "x⁻ᵀ", False, ANY),
    show("sup-2-alone", "²", False, 1),
    show("sup-2-of-vector", "x²", False, 2),
    show("sup-23-scalar", "t²³", True),
    show("sup-huge-matrix", "A⁹⁹⁹⁹⁹⁹⁹", False, sub=True),
    show("sup-huge-scalar", "t⁹⁹⁹⁹⁹⁹⁹", False, sub=True),
    grad("sup-huge-scalar-grad", "t⁹⁹⁹⁹⁹⁹⁹", False, wrt="t", let=()),
    show("sup-huge-number", "2⁹⁹⁹⁹⁹⁹⁹", False),
    show("sup-50-digits", "t" + "⁹" * 50, False),
    show("sup-odot-2", "x⊙²", True),
    show("sup-odot-alone", "⊙²", False, 1),
    show("sup-odot-odot", "x⊙⊙²", False, ANY),
    show("sup-odot-huge", "x⊙⁹⁹⁹⁹⁹⁹⁹", False, sub=True),
    show("sup-odot-inv-matrix", "A⊙⁻¹", True),
    # ---- ‖…‖ ‖…‖₁ |…|
    show("norm", "‖x‖", True),
    show("norm-unclosed", "‖x", False, ANY, sub=True),
    show("norm-unopened", "x‖", False, ANY),
    show("norm-empty", "‖‖", False, ANY),
    show("norm-extra-bar", "‖x‖‖", False, ANY),
    show("norm-of-norm", "‖‖x‖‖", True),
    show("norm1", "‖x‖₁", True, sub=True),
    show("norm-sub-2", "‖x‖₂", True),  # norm2 as papers write it (SPEC §7.8)
    show("norm-sub-3", "‖x‖₃", False, 4),
    show("norm-bars-sub-p", "||x||_p", False, 6),
    show("norm-bars-backtrack", "||t| + " * 45 + "|t|" + "|" * 45, True),  # linear retries
    show("norm-sub-11", "‖x‖₁₁", False, 4),
    show("norm-200-deep", "‖" * 200 + "x" + "‖" * 200, False, ANY, sub=True),
    show("abs", "|x|", True),
    show("abs-unclosed", "|x", False, ANY),
    show("abs-unopened", "x|", False, ANY),
    show("abs-empty", "||", False, ANY),
    show("abs-extra", "|x||", False, ANY),
    show("abs-200-deep", "|" * 200 + "t" + "|" * 200, False, ANY),
    show("abs-sum", "|x| + |y|", True),
    show("abs-nested-printed", "|1 + 2 |t||", True),
    # ---- σ − 𝟏 𝐈
    show("sigma", "σ(x)", True, sub=True),
    show("sigma-no-args", "σ()", False, 1),
    show("sigma-two-args", "σ(x, y)", False, ANY),
    show("minus-sign", "x − y", True),
    show("minus-sign-unary", "−x", True),
    show("minus-sign-dangling", "− ", False, ANY),
    show("ones-symbol", "𝟏 + x", True, sub=True),
    show("ones-symbol-alone", "𝟏", False, 1),
    show("ones-symbol-sized", "𝟏₃ᵀ x", True),
    show("eye-symbol", "𝐈 + A", True),
    show("eye-symbol-alone", "𝐈", False, 1),
    show("eye-symbol-kron", "𝐈 ⊗ A", False, ANY),
    # ---- subscripts, Greek
    show("sub-index", "x₁ + x₂", True),
    show("sub-zero", "x₀", False, 1),
    show("sub-out-of-range", "x₁₂", False, 1),
    show("sub-alone", "₁", False, 1),
    show("sub-leading", "₁x", False, 1),
    show("greek-pi", "2π", True, sub=True),
    show("greek-names", "α + λ θ", True),
    # ---- indexing and ranges
    show("index", "x[1]", True),
    show("index-matrix", "A[1,2]", True),
    show("index-expression", "(A x)[2]", True, sub=True),
    show("range", "x[1:2]", True, sub=True),
    show("range-matrix", "A[1:2,1:2]", True),
    show("index-zero", "x[0]", False, 1, sub=True),
    show("index-huge", "x[99999999]", False, ANY, sub=True),
    show("index-past-end", "x[4]", False, 1, sub=True),
    show("index-negative", "x[-1]", False, ANY),
    show("index-fraction", "x[1.5]", False, ANY),
    show("index-empty", "x[]", False, ANY),
    show("index-unclosed", "x[1", False, ANY),
    show("index-unopened", "x]", False, 2),
    show("index-matrix-one-part", "A[1]", False, ANY),
    show("index-three-parts", "A[1,2,3]", False, ANY),
    show("index-expression-zero", "(A x)[0]", False, ANY),
    show("range-open", "x[1:]", False, ANY),
    show("range-reversed", "x[2:1]", False, ANY),
    show("range-step", "x[1:2:3]", False, ANY),
    show("index-by-variable", "x[x]", False, ANY),
    # ---- eye, ones, vector(c), matrix(c)
    show("eye-context", "eye + A", True, sub=True),
    show("eye-sized", "eye(3) + A", True),
    show("eye-zero", "eye(0)", False, ANY, sub=True),
    show("eye-negative", "eye(-1)", False, ANY),
    show("eye-huge", "eye(10**9)", False, ANY),
    show("eye-no-context", "eye", False, 1),
    show("eye-two-sizes", "eye(3, 3)", False, ANY),
    show("ones-huge", "ones(10**9)", False, ANY, sub=True),
    show("ones-zero", "ones(0)", False, ANY),
    show("ones-huge-matrix", "ones(1000000, 1000000)", False, ANY),
    show("ones-of-vector", "ones(x)", False, ANY),
    show("ones-three-sizes", "ones(3,3,3)", False, ANY),
    show("vector-context", "x + vector(2)", True, sub=True),
    show("broadcast-nested-sum", "2 + (𝟏 + x/2)", True),
    show("broadcast-hadamard-sum", "(y/t) ⊙ y + 1", True, sub=True),
    show("ediv-sum", "x ⊘ (y/2) + x", True),
    show("vector-no-context", "vector(2)", False, 1),
    show("vector-of-vector", "x + vector(x)", False, ANY),
    show("matrix-context", "A + matrix(2)", True),
    show("matrix-of-matrix", "A + matrix(A)", False, ANY),
    # ---- dimension names as values
    show("dim-value", "n/2*log(2*pi)", True, let=LET_N, sub=True),
    show("dim-juxt", "n x", True, let=LET_N),
    show("dim-sized-ones", "ones(n) + x", True, let=LET_N),
    show("dim-zero-division", "1/(n-n)", False, ANY, let=LET_N),
    show("dim-undeclared", "ones(m)", False, ANY, let=LET_N),
    # ---- values outside the domain (SPEC §5 v2)
    show("at-log-zero", "log(t)", False, None, "--at", "t=0", sub=True),
    show("at-ediv-zero", "1 ./ x", False, None, "--at", "x=[1,0,2]"),
    show("at-sqrt-negative", "sqrt(t)", False, None, "--at", "t=-1"),
    show("at-singular", "inv(A)", False, None, "--at", "A=[[1,1,1],[1,1,1],[1,1,1]]"),
    # ---- LaTeX in the default mode
    show("latex-frac-default", "\\frac{1}{2}", False, 1, sub=True),
    show("latex-top-default", "x^{\\top}", True),  # a paper's transpose (SPEC §7.8)
    show("latex-cdot-default", "x \\cdot y", False, 3),
    show("api-torch-F", "F.sum(F.relu(A @ x + y) * F.relu(A @ x + y))", False, 1, sub=True),
    show("api-torch", "1 + torch.tanh(x)", False, 5),
    show("api-numpy-linalg", "np.linalg.inv(A)", False, 1),
    show("api-jax", "jnp.exp(x) * 2", False, 1),
    show("api-sympy-S", "S.Trace(A.T @ A)", False, 1),
    show("api-sympy-sy", "sy.exp(t)", False, 1),
    show("api-applyfunc", "sum(A.applyfunc(exp))", False, 6),
    show("api-unknown-module", "foo.bar(x)", False, 4),
    show("max-one-argument", "1 + max(x)", True),  # the largest entry (SPEC §7.1)
    show("maximum-one-argument", "1 + maximum(x)", False, 5),
    show("axis-keyword-elsewhere", "sin(x, axis=1)", False, 8),  # only the axis functions
    show("keyword-unknown", "sum(x, keepdims=1)", False, 16),  # = stays an error there
    show("max-three-arguments", "min(x, y, 1)", False, 1),
    show("dollars", "$x$", False, 1),
    # ---- look-alike letters, invisible and direction characters, other digits
    show("cyrillic-x", "\u0445 + 1", False, 1, sub=True),
    show("greek-capital-alpha", "x + \u0391", False, 5, sub=True),
    show("fullwidth-x", "\uff58", False, 1, sub=True),
    show("math-bold-x", "\U0001d431", False, 1, sub=True),
    show("math-bold-A", "\U0001d400 + A", False, 1),
    show("zero-width-space", "x\u200b+1", False, 2, sub=True),
    show("lrm", "x\u200e", False, 2, sub=True),
    show("rlo", "\u202ex", False, 1, sub=True),
    show("bom", "\ufeffx", False, 1, sub=True),
    show("nbsp", "x\u00a0+ 1", False, 2),
    show("combining-accent", "x\u0301", False, 2),
    show("nul", "x\x00", False, 2),
    show("arabic-indic-3", "x + \u0663", False, 5, sub=True),
    show("fullwidth-3", "x + \uff13", False, 5, sub=True),
    show("superscript-after-lookalike", "\u0445\u1d40", False, 1),
    # ---- LaTeX abuse with --input latex
    latex("latex-input", "\\input{/etc/passwd}", False, ANY, sub=True, audit=True),
    latex("latex-write18", "\\write18{id}", False, ANY, sub=True, audit=True),
    latex(
        "latex-immediate-write18", "\\immediate\\write18{touch /tmp/pwned}", False, ANY, audit=True
    ),
    latex("latex-def", "\\def\\x{1} x", False, ANY, sub=True, audit=True),
    latex("latex-catcode", "\\catcode`\\^=7 x", False, ANY, sub=True, audit=True),
    latex("latex-newcommand", "\\newcommand{\\a}{x} \\a", False, ANY, audit=True),
    latex("latex-csname", "\\csname x\\endcsname", False, ANY, audit=True),
    latex("latex-include", "\\include{x}", False, ANY, audit=True),
    latex("latex-verb", "\\verb|x|", False, ANY),
    latex("latex-comment", "x % comment", False, ANY),
    latex("latex-unbalanced-open", "\\frac{1}{2", False, ANY, sub=True),
    latex("latex-unbalanced-close", "\\frac{1}{2}}", False, ANY),
    latex("latex-5000-braces", "{" * 5000 + "x" + "}" * 5000, False, None, sub=True),
    latex("latex-4000-braces", "{" * 4000 + "x" + "}" * 4000, False, None, sub=True),
    latex("latex-braces-ok", "{" * 20 + "x" + "}" * 20, True),
    latex("latex-bmatrix-unclosed", "\\begin{bmatrix} 1 \\\\ 2 \\\\ 3", False, ANY, sub=True),
    latex("latex-bmatrix-wrong-end", "\\begin{bmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", False, ANY),
    latex("latex-end-alone", "\\end{bmatrix}", False, ANY),
    latex("latex-bmatrix-ragged", "\\begin{bmatrix}1 & 2 \\\\ 3\\end{bmatrix}", False, ANY),
    latex("latex-left-unclosed", "\\left( x", False, ANY, sub=True),
    latex("latex-right-unopened", "x \\right)", False, ANY),
    latex("latex-caret-dangling", "x^", False, ANY, sub=True),
    latex("latex-caret-dangling-matrix", "A^", False, ANY),
    latex("latex-underscore-dangling", "x_", False, ANY),
    latex("latex-caret-leading", "^{2}", False, ANY),
    latex("latex-backslash", "\\", False, ANY),
    latex("latex-unknown-command", "\\unknowncommand{x}", False, ANY),
    latex("latex-sqrt-empty", "\\sqrt{}", False, ANY),
    latex("latex-frac-missing", "\\frac{1}", False, ANY),
    latex("latex-odot-twice", "x \\odot \\odot y", False, ANY),
    latex("latex-huge-exponent", "t^{9999999}", False, sub=True),
    latex("latex-operatorname-import", "\\operatorname{__import__}(x)", False, ANY, audit=True),
    latex("latex-operatorname-eval", "\\operatorname{eval}(x)", False, ANY, audit=True),
    latex("latex-quadratic-form", "\\frac{1}{2} x^{\\top} A x", True, sub=True),
    latex("latex-nested-abs", "\\left|2 \\left|t\\right|\\right|", True),
    # TeX ignores the space: `2 2^{t}` displays as 22ᵗ, so reading it as 2·2ᵗ would be a guess
    latex("latex-number-times-power", "2 2^{t}", False, ANY),
    latex("latex-number-cdot-power", "2 \\cdot 2^{t}", True),
    latex("latex-norm1", "\\left\\lVert x \\right\\rVert_{1}", True),
    # ---- code injection
    show("py-import-system", "__import__('os').system('id')", False, ANY, sub=True, audit=True),
    grad(
        "py-import-system-grad", "__import__('os').system('id')", False, ANY, sub=True, audit=True
    ),
    show("py-class", "().__class__", False, ANY, sub=True, audit=True),
    show("py-subclasses", "().__class__.__bases__[0].__subclasses__()", False, ANY, audit=True),
    show("py-lambda", "lambda: 0", False, ANY, sub=True, audit=True),
    show("py-eval", "eval('1')", False, ANY, sub=True, audit=True),
    show("py-exec", "exec('import os')", False, ANY, audit=True),
    show("py-open", "open('/tmp/matcalc-pwned', 'w')", False, ANY, audit=True),
    show("py-dunder-attribute", "x.__class__", False, ANY, audit=True),
    show("py-globals", "globals()", False, ANY, audit=True),
    show("py-builtins", "__builtins__", False, ANY, audit=True),
    show("py-import", "import os", False, ANY, audit=True),
    show("py-statement", "x; import os", False, ANY, audit=True),
    show("py-comprehension", "[c for c in x]", False, ANY, audit=True),
    show("py-fstring", "f'{x}'", False, ANY, audit=True),
    show("shell-backticks", "`id`", False, 1, audit=True),
    show("shell-dollar", "$(id)", False, 1, sub=True, audit=True),
    show("py-assignment", "x = 1", False, ANY, audit=True),
    grad("py-sympify-bait", "Symbol('x')", False, ANY, audit=True),
    # ---- literals of other languages (SPEC §7.7): an error at the literal, never 0 · x10
    show("lit-hex", "0x10*t", False, 1, sub=True),
    show("lit-hex-upper", "0X1F", False, 1),
    show("lit-hex-inside", "t + 0x1f", False, 5),
    show("lit-octal", "0o7", False, 1),
    show("lit-binary", "0b1", False, 1),
    show("lit-separator", "1_000*t", False, 1),
    show("lit-imaginary", "1j*t", False, 1),
    show("lit-imaginary-upper", "1J", False, 1),
    show("lit-imaginary-exponent", "2.5e3j", False, 1),
    show("lit-imaginary-sci", "t - 1e3j", False, 5),
    show("lit-zero-times-x", "0x", True),  # a lone letter after 0 multiplies (docs/language.md)
    show("lit-two-b", "2b", True),
    show("lit-two-jk", "2jk", True),
    show("lit-name-with-digits", "t*z10", True),
    show("lit-at-hex", "t", False, 1, "--at", "t=0x10"),
    show("lit-at-imaginary", "t", False, 3, "--at", "t=1,2j"),
    Row("lit-v-separator", ("vjp", "x", "--wrt", "x", *LET, "--v", "1_0,2,3"), False, 1),
    # ---- numbers that overflow: a user error (a limit) or the right value, never exit 1
    grad("huge-sigmoid", "sigmoid(exp(exp(exp(9))))", False, 1, wrt="t", sub=True),
    grad("huge-softplus", "softplus(exp(exp(exp(9))))*t", False, 1, wrt="t"),
    grad("huge-sigmoid-negative", "sigmoid(-exp(exp(exp(9))))", False, 1, wrt="t"),
    grad("huge-tan", "tan(exp(exp(exp(9))))*t", False, 1, wrt="t"),
    grad(
        "huge-written-sigmoid-at",
        "t/(1+exp(-exp(exp(exp(9)))))",
        False,
        None,
        "--at",
        "t=1",
        wrt="t",
    ),
    grad("huge-log-exp-at", "log(1+exp(exp(exp(exp(9)))))*t", False, None, "--at", "t=1", wrt="t"),
    grad(
        "huge-trig-at",
        "(sin(exp(exp(exp(9))))^2 + cos(exp(exp(exp(9))))^2)*t",
        False,
        None,
        "--at",
        "t=1",
        wrt="t",
    ),
    show("huge-exp-1000", "exp(1000)*t", True, None, "--at", "t=2"),
    show("huge-exp-1000-json", "exp(1000)*t", False, None, "--at", "t=2", "--format", "json"),
    grad("huge-exp-1000-check", "exp(1000)*t^2", False, None, "--check", wrt="t"),
    grad("huge-power-check", "10^400*t^2", False, None, "--check", wrt="t"),
    grad("huge-tower-check", "(exp(exp(exp(9)))+1)*t^2", False, None, "--check", wrt="t"),
    show("huge-power-json", "10^400", True, None, "--at", "t=1", "--format", "json"),
    show("huge-exp-exp-latex", "exp(exp(10))*t", True, None, "--format", "latex"),
    show("huge-exp-exp-numpy", "exp(exp(10))*t", True, None, "--format", "numpy"),
    grad("huge-tanh", "tanh(exp(exp(9)))*t^2", True, None, "--check", wrt="t"),
    grad("huge-log-exp", "log(exp(exp(exp(9))))*t", True, None, "--at", "t=1", wrt="t"),
    grad("huge-sigmoid-of-minus", "sigmoid(-exp(800))*t^2", True, None, "--check", wrt="t"),
    # ---- size
    show("argv-100k", "x" * 100_000, False, None, sub=True),
    Row("stdin-million", ("show", "-", *LET), False, None, stdin=MILLION, sub=True),
    Row("stdin-million-grad", ("grad", "-", "--wrt", "x", *LET), False, None, stdin=MILLION),
    Row("stdin-long-sum", ("show", "-", *LET), False, None, stdin="1+" * 500_000 + "1", sub=True),
    Row("stdin-valid", ("show", "-", *LET, "--format", "numpy"), True, stdin="x ⊙ y", sub=True),
]

# Huge constants in every command and format: (name, expression, --check ok, json ok). They are
# exact everywhere; only --check (floats) and JSON (floats) refuse a value beyond 1.8e308.
HUGE = [
    ("exp1000", "exp(1000)", False, False),
    ("expexp10", "exp(exp(10))", False, False),
    ("ten400", "10^400", False, True),  # an exact integer is a JSON number
    ("tanh", "tanh(exp(exp(9)))", True, True),
    ("logexp", "log(exp(exp(exp(9))))", False, False),
    ("sigmoid", "sigmoid(-exp(800))", True, True),
]
for _name, _e, _check_ok, _json_ok in HUGE:
    ROWS += [
        show(f"huge-{_name}-show", _e, True),
        grad(f"huge-{_name}-grad", f"{_e}*t", True, wrt="t"),
        grad(f"huge-{_name}-at", f"{_e}*t", True, None, "--at", "t=2", wrt="t"),
        grad(f"huge-{_name}-check", f"{_e}*t^2", _check_ok, None, "--check", wrt="t"),
        show(f"huge-{_name}-numpy", _e, True, None, "--format", "numpy"),
        show(f"huge-{_name}-latex", _e, True, None, "--format", "latex"),
        show(f"huge-{_name}-json", f"{_e}*t", _json_ok, None, "--at", "t=1", "--format", "json"),
    ]

_IDS = [r.name for r in ROWS]
assert len(set(_IDS)) == len(_IDS), "row names must be unique"


# --------------------------------------------------------------------------- the contract

_COLUMN = re.compile(r"\(column (\d+)\)")


def problems(row: Row, code: int, out: str, err: str) -> list[str]:
    """What is wrong with one run of a row (empty: the contract holds)."""
    found = []
    if "Traceback" in err or "Traceback" in out:
        found.append("a traceback")
    if row.ok:
        if code != 0:
            found.append(f"exit {code}, expected 0 (valid input)")
        if not out.strip():
            found.append("nothing on stdout")
        stray = [line for line in err.splitlines() if not line.startswith("note: ")]
        if stray:
            found.append(f"stderr is not empty: {stray[:3]}")
        return found
    if code != 2:
        found.append(f"exit {code}, expected 2 (a user error)")
    if out:
        found.append(f"stdout is not empty: {out[:120]!r}")
    lines = err.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("error:")]
    if len(heads) != 1 or heads[0] != 0:
        found.append(f"expected exactly one 'error: …' message first on stderr, got {err[:300]!r}")
        return found
    m = _COLUMN.search(lines[0])
    if m is None:
        if row.column is not None:
            found.append(f"no column in the message: {lines[0][:200]!r}")
        elif len(lines) != 1:
            found.append(f"a message without a column has more than one line: {err[:300]!r}")
        return found
    col = int(m.group(1))
    if row.column and col != row.column:
        found.append(f"column {col}, expected {row.column}: {lines[0][:200]!r}")
    caret = lines[-1]
    if len(lines) < 3 or caret.strip() != "^":
        found.append(f"no caret line under the input: {err[:300]!r}")
    else:
        shown = "\n".join(lines[1:-1])
        if not shown.startswith("  …") and caret.index("^") - 2 != col - 1:
            found.append(f"the caret is at {caret.index('^') - 1}, not under column {col}")
    return found


def _describe(row: Row, code: int, out: str, err: str) -> str:
    args = " ".join(
        repr(a) if len(a) < 120 else repr(a[:60]) + f"…({len(a)} chars)" for a in row.args
    )
    stdin = "" if row.stdin is None else f" <stdin {len(row.stdin)} chars"
    return f"matcalc {args}{stdin}\n  exit {code}\n  stdout {out[:200]!r}\n  stderr {err[:400]!r}"


@pytest.mark.parametrize("row", ROWS, ids=_IDS)
def test_row_in_process(cli, monkeypatch, row):
    import matcalc.cli

    monkeypatch.setattr(matcalc.cli, "_STDIN", [])  # the CLI reads stdin once per process
    code, out, err = cli(*row.args, stdin=row.stdin)
    bad = problems(row, code, out, err)
    assert not bad, "; ".join(bad) + "\n" + _describe(row, code, out, err)


# --------------------------------------------------------------------------- subprocesses

SUB_ROWS = [r for r in ROWS if r.sub]
ENV = {**os.environ, "MATCALC_PLAIN": "1"}
ENV.pop("MATCALC_NO_WORKER", None)


def _run(row: Row, env: dict | None = None, timeout: float = 60) -> tuple[int, str, str, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "matcalc", *row.args],
            input=row.stdin if row.stdin is not None else "",
            capture_output=True,
            text=True,
            env=env or ENV,
            cwd=ROOT,
            timeout=timeout,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as late:
        code, out, err = -9, str(late.stdout or ""), f"(killed after {timeout:g} s)"
    return code, out, err, time.perf_counter() - start


# The library itself has no wall clock (the CLI's worker has): these must be refused by a
# limit quickly in-process too, not computed until the host gives up.
NO_HANG = [
    Row("dim-tower-at", ("show", "n^n^n^n", "--let", "x:n", "--at", "x=[1,2,3]"), False),
    Row("outer-1000-at", ("show", "ones(1000) ones(1000)ᵀ", "--at", "t=1"), False),
    Row("scalar-tower-at", ("show", "t^t^t^t", "--at", "t=3"), False),
]
NO_HANG_SECONDS = 120.0  # a hang fails loudly; a busy machine is slow, not wrong


@pytest.fixture(scope="module")
def subprocess_runs():
    no_worker = {**ENV, "MATCALC_NO_WORKER": "1"}
    with ThreadPoolExecutor(max_workers=3) as pool:
        slow = {r.name: pool.submit(_run, r, no_worker, NO_HANG_SECONDS) for r in NO_HANG}
        runs = {r.name: pool.submit(_run, r) for r in SUB_ROWS}
        return {k: f.result() for k, f in {**runs, **slow}.items()}


@pytest.mark.parametrize("row", SUB_ROWS, ids=[r.name for r in SUB_ROWS])
def test_row_subprocess(subprocess_runs, row):
    code, out, err, _ = subprocess_runs[row.name]
    bad = problems(row, code, out, err)
    assert not bad, "; ".join(bad) + "\n" + _describe(row, code, out, err)


@pytest.mark.parametrize("row", NO_HANG, ids=[r.name for r in NO_HANG])
def test_no_hang_without_the_worker(subprocess_runs, row):
    code, out, err, seconds = subprocess_runs[row.name]
    bad = problems(row, code, out, err)
    assert code != -9, f"no answer within {NO_HANG_SECONDS:g} s (MATCALC_NO_WORKER=1: the API path)"
    took = f" (answered in {seconds:.1f} s)"  # clock-ok: reported, never asserted
    assert not bad, "; ".join(bad) + took + "\n" + _describe(row, code, out, err)


LATEX_ERRORS = [r for r in ROWS if "--input" in r.args and not r.ok and r.column is not None]


@pytest.mark.parametrize("row", LATEX_ERRORS, ids=[r.name for r in LATEX_ERRORS])
def test_latex_error_caret_is_in_the_input(cli, row):
    """SPEC §5: the caret stands under the offending character of what the user typed, also
    with --input latex (not under a character of matcalc's own translation of it)."""
    code, _out, err = cli(*row.args)
    lines = err.splitlines()
    if code != 2 or len(lines) < 3 or lines[1].startswith("  …"):
        pytest.skip("not a located error (the row's own test says why)")
    assert lines[1][2:] == row.args[1], f"the error shows {lines[1][2:]!r}, not the input\n{err}"


def test_enough_subprocess_rows():
    assert 40 <= len(SUB_ROWS) <= 80, len(SUB_ROWS)


# --------------------------------------------------------------------------- nothing runs

_PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.forkpty")
_PROCESS_PREFIXES = ("os.exec", "os.spawn", "pty.", "socket.", "ctypes.")


class Audit:
    """An audit hook (it cannot be removed, so it is switched on and off)."""

    def __init__(self):
        self.on = False
        self.events: list[tuple[str, str]] = []
        sys.addaudithook(self)

    def __call__(self, event: str, args: tuple) -> None:
        if not self.on:
            return
        if event == "open":
            path, mode, flags = [*args, None, None, None][:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                self.events.append(("open for writing", repr(path)))
            elif not _allowed_read(path):
                self.events.append(("open outside Python and matcalc", repr(path)))
        elif event in _PROCESS_EVENTS or event.startswith(_PROCESS_PREFIXES):
            self.events.append((event, repr(args)[:200]))
        elif event in ("compile", "exec"):
            self.events.append((event, repr(args[0])[:200]))


def _allowed_read(path) -> bool:
    if isinstance(path, int):
        return True
    p = os.path.realpath(os.fsdecode(path))
    roots = {os.path.realpath(x) for x in (sys.prefix, sys.base_prefix, ROOT / "matcalc")}
    return any(p == r or p.startswith(r + os.sep) for r in roots)


_AUDIT: list[Audit] = []


def _audit() -> Audit:
    if not _AUDIT:
        _AUDIT.append(Audit())
    return _AUDIT[0]


def _warm_up():
    """Load every lazily imported module that valid use loads, before the comparison."""
    let = ["x:3", "y:3", "A:3,3"]
    for kind in ("grad", "hessian"):
        r = getattr(matcalc, kind)("x.T*A*x + sum(sigmoid(x))", wrt="x", let=let)
        r.text(), r.latex(), r.numpy(), r.python()
    at = {"x": [1, 2, 3], "y": [1, 1, 1], "A": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}
    r = matcalc.jacobian("tanh(A x) ⊙ y", wrt="x", let=let, at=at)
    r.text(), r.latex(), r.numpy(), r.python()
    matcalc.vjp("A*x", wrt="x", v="1,2,3", let=let).numpy()
    matcalc.jvp("A*x", wrt="x", v="1,2,3", let=let).numpy()
    matcalc.show("\\frac{1}{2} x^{\\top} A x", let=let, input="latex").numpy()
    matcalc.show("‖x‖₁ + σ(t) − 𝟏ᵀ x", let=let, at={"x": [1, 2, 3], "t": 1}).latex()
    for bad in ("x +", "\\frac{1}{2", "х", "x[0]", "1/0"):
        for inp in ("text", "latex"):
            try:
                matcalc.show(bad, let=let, input=inp)
            except matcalc.MatcalcError as err:
                err.render()


def _api_call(row: Row):
    """The row through the Python API (SPEC §6), with every rendering of a result."""
    command, expr, *rest = row.args
    let = [rest[i + 1] for i, a in enumerate(rest) if a == "--let"]
    inp = "latex" if "--input" in rest else "text"
    if command == "show":
        r = matcalc.show(expr, let=let, input=inp)
    else:
        wrt = rest[rest.index("--wrt") + 1]
        r = getattr(matcalc, command)(expr, wrt=wrt, let=let, input=inp)
    return r.text(), r.latex(), r.numpy(), r.python() if command != "show" else ""


AUDIT_ROWS = [r for r in ROWS if r.audit]


def test_nothing_is_executed_in_process(cli):
    """Under an audit hook: the API and the CLI (in-process, no worker) on the audit rows."""
    audit = _audit()
    _warm_up()
    audit.events.clear()
    audit.on = True
    try:  # what the CLI compiles for itself (Typer evaluates its string annotations)
        cli("grad", "x.T*A*x", "--wrt", "x", *LET, "--format", "python")
        cli("show", "x +", *LET)
        cli("show", "\\frac{1}{2", *LET, "--input", "latex")
    finally:
        audit.on = False
    own = {e[1] for e in audit.events if e[0] == "compile"}
    assert not [e for e in audit.events if e[0] not in ("compile", "exec")], audit.events
    before = set(sys.modules)
    found: list[str] = []
    outcomes = []
    for row in AUDIT_ROWS:
        audit.events.clear()
        audit.on = True
        try:
            try:
                _api_call(row)
                outcome = "result"
            except matcalc.MatcalcError:
                outcome = "MatcalcError"
            except Exception as err:
                outcome = f"{type(err).__name__}: {err}"
                found.append(f"{row.name}: the API raised {outcome}")
        finally:
            audit.on = False
        api_events = list(audit.events)
        audit.events.clear()
        audit.on = True
        try:
            code, _out, _err = cli(*row.args, stdin=row.stdin)
        finally:
            audit.on = False
        # Typer compiles its own annotations (each an `exec` next): any other source counts.
        cli_events = [e for e in audit.events if e[0] != "exec" and e[1] not in own]
        for where, events in (("API", api_events), ("CLI", cli_events)):
            for event in events:
                found.append(f"{row.name} ({where}): {event[0]} {event[1]}")
        outcomes.append((row.name, outcome, code))
    new = sorted(m for m in set(sys.modules) - before if not m.startswith("matcalc"))
    if new:
        found.append(f"modules imported by hostile input: {new}")
    assert not Path("/tmp/matcalc-pwned").exists()
    print(f"\naudited {len(AUDIT_ROWS)} rows: {outcomes}")
    assert len(AUDIT_ROWS) >= 25
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------- fuzz

TOKENS = [
    *[".*", "./", ".^", "⊙", "⊘", "⊗", "'", "ᵀ", "⁻¹", "⁻ᵀ", "²", "³", "⁰", "⁻", "⊙²", "⊙⁻¹"],
    *["‖", "‖₁", "₁", "₂", "|", "σ", "−", "𝟏", "𝐈", "𝟏₃", "x₁", "π", "α", "λ"],
    *["[", "]", ",", ":", "(", ")", "x", "y", "A", "t", "n", "1", "2", "0", "0.5", "e", "1e-3"],
    *["+", "-", "*", "/", "**", "^", "@", ".T", " ", " ", "x[1]", "A[1,2]", "(A x)[2]", "x[1:2]"],
    *["eye", "ones", "ones(3)", "vector(2)", "matrix(1)", "eye(3)", "sin(", "log(", "sqrt("],
    *["inv(", "tr(", "det(", "logdet(", "sum(", "norm2(", "norm1(", "softmax(", "logsumexp("],
    *["diag(", "kron(", "hadamard(", "abs(", "relu(", "sigmoid(", "dot(", "mean(", "Identity("],
    # junk
    *["\\frac", "{", "}", "х", "Α", "ｘ", "𝐱", "\u200b", "\u202e", "\ufeff", "٣", "３", "__"],
    *["lambda", ";", "=", "#", "$", "\\", "\x00", "\n", "9" * 45, "⁹⁹⁹⁹⁹⁹", "1e999", "'os'"],
]
LATEX_TOKENS = [
    *["\\frac{", "}{", "}", "{", "\\left(", "\\right)", "\\left|", "\\right|", "\\lVert"],
    *["\\rVert", "^{\\top}", "^{-1}", "^{", "_{", "^", "_", "\\odot", "\\oslash", "\\otimes"],
    *["\\operatorname{tr}", "\\log", "\\det", "\\sigma", "\\sqrt{", "\\mathbf{1}", "\\mathbf{I}"],
    *["\\begin{bmatrix}", "\\end{bmatrix}", "&", "\\\\", "x", "A", "y", "t", "1", "2", "\\pi"],
    *["\\alpha", " ", "+", "-", "\\cdot", "\\exp", "^{\\circ 2}", "_{1}", "_{1,2}", "\\times"],
    *["\\mathbf{1}_{3}", "\\input", "\\def", "\\catcode", "%", "\\mathrm{", "\\text{", "\\"],
]
SEEDS = [
    ("grad", "x.T*A*x", "x"),
    ("grad", "logdet(A)", "A"),
    ("hessian", "logsumexp(x)", "x"),
    ("jacobian", "tanh(A*x)", "x"),
    ("grad", "norm2(A*x-y)**2", "x"),
    ("grad", "y.T*log(softmax(A*x))", "x"),
    ("grad", "abs(1+2*abs(t))", "t"),
    ("grad", "x[1]*A[1,2] + sum(x[1:2])", "x"),
    ("jacobian", "sigmoid(x) .* (y ./ (1+x.^2))", "x"),
    ("grad", "norm1(x) + t^3 + sum(kron(x, y))", "t"),
]
FUZZ_LET = ["x:3", "y:3", "A:3,3"]
FUZZ_RANDOM = 1000
FUZZ_MUTANTS = 1000


def _fuzz_inputs() -> list[tuple[str, str]]:
    rng = np.random.default_rng(20250611)
    out = []
    for _ in range(FUZZ_RANDOM):
        mode = "latex" if rng.random() < 0.3 else "text"
        alphabet = LATEX_TOKENS if mode == "latex" else TOKENS
        k = int(rng.integers(1, 12))
        out.append(("".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), k)), mode))
    corpus = []
    for kind, e, wrt in SEEDS:
        r = getattr(matcalc, kind)(e, wrt=wrt, let=FUZZ_LET)
        corpus += [(r.text(), "text"), (r.latex(), "latex"), (e, "text")]
    for _ in range(FUZZ_MUTANTS):
        s, mode = corpus[int(rng.integers(len(corpus)))]
        alphabet = LATEX_TOKENS if mode == "latex" else TOKENS
        for _ in range(int(rng.integers(1, 4))):
            op, p = int(rng.integers(4)), int(rng.integers(0, len(s) + 1))
            if op == 0:
                s = s[:p] + s[p + 1 :]
            elif op == 1:
                s = s[:p] + alphabet[int(rng.integers(len(alphabet)))] + s[p:]
            elif op == 2:
                s = s[:p]
            else:
                q = int(rng.integers(p, len(s) + 1))
                s = s[:q] + s[p:q] + s[q:]
        out.append((s, mode))
    return out


FUZZ_SECONDS = 60.0  # per call: catches a hang, not a slow machine


def test_fuzz_ends_in_a_result_or_a_matcalc_error():
    crashes: dict[tuple, list[str]] = {}
    counts = {"result": 0, "MatcalcError": 0}
    start = time.perf_counter()
    inputs = _fuzz_inputs()
    for s, mode in inputs:
        for fn in ("show", "grad"):
            try:
                with time_limit(FUZZ_SECONDS):
                    if fn == "show":
                        r = matcalc.show(s, let=FUZZ_LET, input=mode)
                    else:
                        r = matcalc.grad(s, wrt="x", let=FUZZ_LET, input=mode)
            except matcalc.MatcalcError as err:
                err.render()
                counts["MatcalcError"] += 1
                continue
            except TooSlow:
                crashes.setdefault((fn, mode, f"no answer in {FUZZ_SECONDS:g} s"), []).append(s)
                continue
            except Exception as err:
                key = (fn, mode, f"{type(err).__name__}: {str(err)[:80]}")
                crashes.setdefault(key, []).append(s)
                continue
            try:  # a result that was returned must also print
                with time_limit(FUZZ_SECONDS):
                    r.text(), r.latex(), r.numpy()
                counts["result"] += 1
            except (Exception, TooSlow) as err:
                key = (fn, mode, f"printing its result: {type(err).__name__}: {str(err)[:60]}")
                crashes.setdefault(key, []).append(s)
    seconds = time.perf_counter() - start
    print(f"\nfuzz: {len(inputs)} inputs × show, grad: {counts} in {seconds:.1f} s")
    report = [
        f"{key}: {len(v)}×, e.g. {sorted(v, key=len)[:3]!r}" for key, v in sorted(crashes.items())
    ]
    assert len(inputs) >= 500
    assert not crashes, "\n".join(report)


FOREIGN = [
    ("0x10*t", "0x10 is a hexadecimal literal; matcalc reads decimal numbers only: write 16"),
    ("0o7", "0o7 is an octal literal; matcalc reads decimal numbers only: write 7"),
    ("0b101", "0b101 is a binary literal; matcalc reads decimal numbers only: write 5"),
    (
        "1_000*t",
        "1_000 is a number with digit separators; matcalc reads decimal numbers only: write 1000",
    ),
    ("t + 2.5e3j", "2.5e3j is an imaginary literal; matcalc has real numbers only"),
]


@pytest.mark.parametrize("text,message", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_foreign_literal_is_named_in_the_message(text, message):
    """SPEC §7.7: the message names the literal as typed, and its column."""
    with pytest.raises(matcalc.MatcalcError) as info:
        matcalc.show(text)
    assert info.value.message == message
    assert text[info.value.pos :].startswith(message.split()[0])


API_CODE = [  # SPEC §7.8: the message names matcalc's spelling and warns about *
    (
        "F.sum(F.relu(X @ W + b) * F.relu(X @ W + b))",
        "F.sum(…) is PyTorch code; matcalc writes sum(…) — and * is the matrix product here, "
        ".* entrywise; write sum(relu(X*W + b) .* relu(X*W + b))",
        "F.sum",
    ),
    (
        "torch.tanh(x)",
        "torch.tanh(…) is PyTorch code; matcalc writes tanh(…) — and * is the matrix product "
        "here, .* entrywise; write tanh(x)",
        "torch",
    ),
    (
        "2 + np.linalg.inv(X)",
        "np.linalg.inv(…) is NumPy code; matcalc writes inv(…) — and * is the matrix product "
        "here, .* entrywise; write 2 + inv(X)",
        "np.linalg",
    ),
    (
        "jnp.exp(x) * y",
        "jnp.exp(…) is JAX code; matcalc writes exp(…) — and * is the matrix product here, "
        ".* entrywise; write exp(x) .* y",
        "jnp",
    ),
    (
        "S.Trace(d.T @ d)",
        "S.Trace(…) is SymPy code; matcalc writes tr(…) — and * is the matrix product here, "
        ".* entrywise; write tr(d.T @ d)",
        "S.Trace",
    ),
    (
        "sy.log(t) * x",
        "sy.log(…) is SymPy code; matcalc writes log(…) — and * is the matrix product here, "
        ".* entrywise; write log(t) * x",
        "sy.log",
    ),
    (
        "sum(X.applyfunc(exp))",
        "X.applyfunc(exp) is SymPy code; matcalc writes exp(X) — and * is the matrix product "
        "here, .* entrywise",
        ".applyfunc",
    ),
    (  # no function matmul here: its spelling, never a call that does not exist
        "torch.matmul(A, x)",
        "torch.matmul(…) is PyTorch code; matcalc writes A*B (* is the matrix product here, .* "
        "entrywise)",
        "torch",
    ),
    ("np.square(x)", "np.square(…) is NumPy code; matcalc writes x.^2 (entry by entry)", "np"),
    (  # an array's method
        "(X @ w).sum()",
        ".sum() is a method of NumPy or PyTorch arrays; matcalc writes sum(…) with the array as "
        "its argument",
        ".sum()",
    ),
    (
        "A.transpose()",
        ".transpose() is a method of NumPy or PyTorch arrays; matcalc writes A' (or A.T)",
        ".transpose",
    ),
]

UNKNOWN_FUNCTIONS = [  # another library's function name: matcalc's spelling, not a look-alike
    ("square(x)", "matcalc writes x.^2 (entry by entry)"),
    ("matmul(x, x)", "matcalc writes A*B (* is the matrix product here, .* entrywise)"),
    ("matexp(x)", "matcalc writes expm (the matrix exponential; exp is entry by entry)"),
    ("sofmax(x)", "did you mean softmax?"),
]


@pytest.mark.parametrize("text,hint", UNKNOWN_FUNCTIONS, ids=[u[0] for u in UNKNOWN_FUNCTIONS])
def test_an_unknown_function_gets_matcalcs_spelling(cli, text, hint):
    code, out, err = cli("show", f"sum({text})", "--let", "x:n")
    name = text.split("(")[0]
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"error: unknown function '{name}'; {hint} (column 5)"


@pytest.mark.parametrize("text,message,at", API_CODE, ids=[a[0] for a in API_CODE])
def test_another_librarys_code_is_named_with_matcalcs_spelling(cli, text, message, at):
    code, out, err = cli("show", text)
    assert (code, out) == (2, "")
    first = err.splitlines()[0]
    assert first.startswith(f"error: {message} (column ")
    column = int(first.rsplit("(column ", 1)[1].rstrip(")"))
    assert text[column - 1 :].startswith(at)


OVERFLOW_VALUES = [  # the right answers, written out by hand
    (("show", "log(exp(exp(exp(9))))"), "exp(exp(9))"),
    (("grad", "sigmoid(-exp(800))*t", "--wrt", "t"), "1/(1 + exp(exp(800)))"),
    (("grad", "tanh(exp(exp(9)))*t", "--wrt", "t", "--at", "t=3"), "tanh(exp(exp(9)))"),
    (("show", "10^400*t", "--at", "t=1"), "1" + "0" * 400),
    (("grad", "exp(exp(exp(9)))", "--wrt", "t"), "0"),
]


@pytest.mark.parametrize("args,text", OVERFLOW_VALUES, ids=[a[1] for a, _ in OVERFLOW_VALUES])
def test_huge_constants_that_have_a_value_get_it(cli, args, text):
    code, out, err = cli(*args)
    assert (code, out.strip()) == (0, text), err


OVERFLOW_ERRORS = [
    (("grad", "sigmoid(exp(exp(exp(9))))", "--wrt", "t"), "sigmoid(exp(exp(exp(9)))) is too large"),
    (
        ("show", "exp(1000)", "--at", "t=1", "--format", "json"),
        "value exp(1000) is beyond floating",
    ),
    (("grad", "exp(1000)*t^2", "--wrt", "t", "--check"), "--check computes in floating point"),
]


@pytest.mark.parametrize("args,start", OVERFLOW_ERRORS, ids=[a[1] for a, _ in OVERFLOW_ERRORS])
def test_huge_constants_beyond_reach_are_named(cli, args, start):
    code, out, err = cli(*args)
    assert (code, out) == (2, "") and err.startswith(f"error: {start}"), err
