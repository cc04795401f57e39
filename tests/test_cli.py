"""The command line as users and scripts call it: outputs, formats, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

F = "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]"


def test_readme_examples(cli):
    # SPEC §4 v2: `[a, b, c]` is a column vector in the language, so the gradient prints without ᵀ
    assert cli("grad", "x1**3+2*x2**2+3*x3", "--wrt", "x")[1] == "[3 x1², 4 x2, 3]\n"
    assert (
        cli("grad", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x")[1] == "(A + Aᵀ) x\n"
    )
    code, out, err = cli("vjp", F, "--wrt", "x", "--v", "3,2,1", "--at", "x=[1,2,3]")
    assert (code, out, err) == (0, "[17, 52, 81]\n", "")


def test_latex_network_gradient(cli):
    code, out, _ = cli(
        "grad",
        "(v.T*W2*W1*x - t)**2/2",
        "--let",
        "x:2",
        "--let",
        "W1:2,2",
        "--let",
        "W2:2,2",
        "--let",
        "v:2",
        "--wrt",
        "W1",
        "--format",
        "latex",
    )
    assert code == 0
    assert out.strip() == r"\left(v^{\top} W_{2} W_{1} x - t\right) W_{2}^{\top} v x^{\top}"
    assert "$" not in out


def test_json_fields_and_value(cli):
    code, out, _ = cli(
        "vjp", F, "--wrt", "x", "--v", "3,2,1", "--at", "x=[1,2,3]", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0
    assert {"kind", "wrt", "layout", "shape", "text", "latex", "numpy", "value"} <= set(data)
    assert data["value"] == [17, 52, 81]
    code, out, _ = cli("grad", "x1**2/4", "--wrt", "x1", "--at", "x1=1", "--format", "json")
    assert json.loads(out)["value"] == "1/2"


def test_json_matrix_value_with_fractions(cli):
    _code, out, _ = cli(
        "grad", "logdet(X)", "--let", "X:2,2", "--wrt", "X", "--at", "X=[[2,0],[0,4]]", "-f", "json"
    )
    assert json.loads(out)["value"] == [["1/2", 0], [0, "1/4"]]


def test_numpy_format_is_one_evaluable_line(cli):
    code, out, _ = cli(
        "grad", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x", "-f", "numpy"
    )
    assert code == 0 and out.count("\n") == 1
    A = np.arange(9.0).reshape(3, 3)
    x = np.array([1.0, 2.0, 3.0])
    got = eval(out, {"np": np, "A": A, "x": x, "n": 3})
    assert np.allclose(got, (A + A.T) @ x)


def test_table_format(cli):
    code, out, _ = cli("jacobian", F, "--wrt", "x", "--at", "x=[1,2,3]", "-f", "table")
    assert code == 0
    assert out.splitlines()[0].split() == ["3", "8", "3"]


def test_check_prints_error_and_passes(cli):
    code, out, _ = cli(
        "hessian", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x", "--check"
    )
    assert code == 0
    assert out.splitlines()[0] == "A + Aᵀ"
    assert "largest relative error" in out and "(ok)" in out


def test_stdin_dash(cli):
    code, out, _ = cli("grad", "-", "--wrt", "x", stdin="x1**2 + x2\n")
    assert (code, out) == (0, "[2 x1, 1]\n")


def test_double_dash_for_leading_minus(cli):
    code, out, _ = cli("grad", "--wrt", "x", "--", "-x1**2")
    assert (code, out) == (0, "-2 x1\n")


def test_leading_minus_needs_no_double_dash(cli):
    """SPEC §1 v2: an EXPR that starts with `-` is an expression, not an option."""
    code, out, err = cli("grad", "-x1**2", "--wrt", "x")
    assert (code, out, err) == (0, "-2 x1\n", "")
    let = ["--let", "A:2,2", "--let", "x:2", "--let", "b:2"]
    at = ["--at", "A=[[1,2],[0,1]]", "--at", "b=[5,4]", "--at", "x=[1,1]"]
    code, out, err = cli("grad", "-sum(log(b - A*x))", "--wrt", "x", *let, *at, "-f", "json")
    assert code == 0 and err == ""
    A, b, x = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([5.0, 4.0]), np.array([1.0, 1.0])
    got = [float(Fraction(str(v))) for v in json.loads(out)["value"]]
    assert np.allclose(got, A.T @ (1 / (b - A @ x)))  # [1/2, 4/3]


def test_tensor_without_vec_prints_the_differential(cli):
    """SPEC §3 v2: a matrix by a matrix is a linear map, printed as dF = A dX B."""
    code, out, err = cli(
        "jacobian", "A*X*B", "--let", "A:n,n", "--let", "X:n,n", "--let", "B:n,n", "--wrt", "X"
    )
    assert (code, out, err) == (0, "dF = A dX B\n", "")


def test_vec_form_kronecker(cli):
    code, out, _ = cli(
        "jacobian",
        "A*X*B",
        "--let",
        "A:n,n",
        "--let",
        "X:n,n",
        "--let",
        "B:n,n",
        "--wrt",
        "X",
        "--vec",
    )
    assert (code, out) == (0, "Bᵀ ⊗ A\n")


def test_version_and_help(cli):
    assert cli("--version")[1].startswith("matcalc ")
    code, out, _ = cli("grad", "--help")
    assert code == 0 and "Example" in out


HOSTILE = [
    "__import__('os').system('id')",
    "__import__",
    "eval('1')",
    "exec('import os')",
    "lambda: 0",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "open('/etc/passwd')",
    "import os",
    "os.system('id')",
    "'%s' % x",
    "f'{x}'",
    "x; y",
    "\\input{/etc/passwd}",
    "\\write18{id}",
    "((((x",
    "x))",
    "[x1, x2",
    "x1, x2]",
    "",
    "   ",
    "x +",
    "* x",
    "x ** ** 2",
    "sin",
    "foo(x)",
    "sin(x, y)",
    "х + 1",  # Cyrillic х
    "ｘ + 1",  # full-width x
    "x\x00",
    "x\x1b[31m",
    "9**9**9",
    "1e100000000",
    "1" * 500,
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 5000 + "x",
    "x" + "+x" * 6000,
    "if",
    "None",
    "x.T.T.__dict__",
    "[[1, 2], [3]]",
    "x.y",
    "sin x",  # v2: a function name needs its parentheses
    "\\frac{1}{x}",  # LaTeX without --input latex
    "x ./",
    "x ⊙",
    "‖x",
    "|x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_one_clean_error(cli, text):
    code, out, err = cli("grad", "--wrt", "x", "--", text)
    assert code == 2, (text, out, err)
    assert out == ""
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert "\x1b" not in err and "\x00" not in err
    assert len(err.splitlines()) in (1, 3), err  # one message, or message + input + caret


SHAPE_ERRORS = [
    (["x*A", "--let", "x:n", "--let", "A:m,m"], "x is n (vector) but A is m×m"),
    (["x + A", "--let", "x:n", "--let", "A:m,m"], "shape mismatch in sum"),
    (["x + A", "--let", "x:n", "--let", "A:n,n"], "x has length n and A is n×n"),  # SPEC §7.1
    (["x + y", "--let", "x:n", "--let", "y:m"], "x is n (vector) but y is m (vector)"),
    (["x/x", "--let", "x:n"], "/ divides by a scalar"),
    (["x**2", "--let", "x:n"], "** needs a scalar or a square matrix"),
    (["A**2", "--let", "A:n,m"], "** needs a scalar or a square matrix"),
    (["tr(A)", "--let", "A:n,m"], "tr needs a square matrix"),
]


@pytest.mark.parametrize("args,message", SHAPE_ERRORS)
def test_shape_errors_name_both_shapes(cli, args, message):
    code, _out, err = cli("grad", "--wrt", "x", *args)
    assert code == 2 and message in err and "^" in err


def test_grad_of_vector_is_an_error(cli):
    code, _, err = cli("grad", "A*x", "--let", "A:n,n", "--let", "x:n", "--wrt", "x")
    assert code == 2 and "jacobian" in err


def test_bad_let_and_layout(cli):
    assert cli("grad", "x", "--wrt", "x", "--let", "x")[0] == 2
    assert cli("grad", "x", "--wrt", "x", "--let", "x:0")[0] == 2
    assert cli("grad", "x", "--wrt", "x", "--let", "x:99999999")[0] == 2
    assert cli("grad", "x", "--wrt", "x", "--layout", "sideways")[0] == 2
    assert cli("grad", "x", "--wrt", "import")[0] == 2


def test_nothing_executes_on_hostile_input(cli):
    """An audit hook fails the test if parsing or deriving opens files for writing or spawns."""
    events: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event in ("subprocess.Popen", "os.system", "os.exec", "os.spawn", "os.fork"):
            events.append(event)
        if (
            event == "open"
            and len(args) > 1
            and isinstance(args[1], str)
            and any(c in args[1] for c in "wax+")
        ):
            events.append(f"open-write {args[0]}")

    sys.addaudithook(hook)
    before = set(sys.modules)
    for text in HOSTILE:
        cli("grad", "--wrt", "x", "--", text)
    new = {m for m in set(sys.modules) - before if not m.startswith(("matcalc", "rich", "typer"))}
    assert events == []
    assert new == set()


def test_subprocess_end_to_end():
    run = subprocess.run(
        [sys.executable, "-m", "matcalc", "grad", "x.T*x", "--let", "x:n", "--wrt", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "2 x\n", "")
    run = subprocess.run(
        [sys.executable, "-m", "matcalc", "grad", "__import__('os')", "--wrt", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr


def test_missing_at_value_is_named(cli):
    code, _, err = cli(
        "grad", "x.T*A*x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x", "--at", "x=[1,2]"
    )
    assert code == 2 and "no value for A" in err


def test_shape_errors_suggest_the_entrywise_operator(cli):
    """SPEC §2 v2: `**` on a vector suggests `.^`, `/` by a vector suggests `./`."""
    code, _, err = cli("grad", "sum(x**2)", "--let", "x:n", "--wrt", "x")
    assert code == 2 and ".^" in err
    code, _, err = cli("grad", "sum(x/y)", "--let", "x:n", "--let", "y:n", "--wrt", "x")
    assert code == 2 and "./" in err


V2_INPUTS = [
    # (EXPR, --let, gradient by x at x=[1,2] / x1=..., what it is)
    ("x²", [], "x=3", "6"),  # superscript powers are input (SPEC §2 v2)
    ("x[1]**2 + x[2]", [], "x=[1,2]", "[2, 1]"),
    ("x[0](3)", [], "x=[5]", "3"),  # a component times (3), by juxtaposition
    ("2x1 x2", [], "x=[3,5]", "[10, 6]"),
    ("sum(1 - x⊙²)", ["x:2"], "x=[1,2]", "[-2, -4]"),
]


@pytest.mark.parametrize("text,let,at,want", V2_INPUTS, ids=[c[0] for c in V2_INPUTS])
def test_v2_notation_is_input(cli, text, let, at, want):
    """Spellings that were errors in v1 and are expressions in v2 (the text output's notation)."""
    lets = [a for spec in let for a in ("--let", spec)]
    code, out, err = cli("grad", text, *lets, "--wrt", "x", "--at", at)
    assert (code, out, err) == (0, want + "\n", "")


def test_scalar_broadcasts(cli):
    """SPEC §2 v2: `1 - x` is 𝟏 - x, so its Jacobian is -𝐈 (it was a shape error in v1)."""
    code, out, _ = cli("jacobian", "1 - x", "--let", "x:n", "--wrt", "x")
    assert code == 0 and out == "-𝐈ₙ\n"  # the size as a subscript where no context sizes 𝐈
    code, out, _ = cli("jacobian", "1 - x", "--let", "x:n", "--wrt", "x", "-f", "numpy")
    assert np.allclose(eval(out, {"np": np, "x": np.ones(3), "n": 3}), -np.eye(3))


@pytest.mark.parametrize("text", ["2 3", "1 000", "1.5 2"])
def test_adjacent_numbers_are_an_error(cli, text):
    """Juxtaposition is for products the printer writes (`2 x`, `A x`); two numbers side by side
    (`1 000` read as 1·0 = 0) are a typo, never a silent product."""
    code, out, err = cli("show", "--", text)
    assert code == 2 and out == "" and err.startswith("error: "), (text, out)


AT_CASES = [
    # results that hold 𝟏 or 𝐈 of a symbolic size, evaluated with --at (the size comes from it)
    (["show", "1 - x", "--let", "x:n", "--at", "x=[1,2]"], "[0, -1]"),
    (["jacobian", "tanh(x)", "--let", "x:n", "--wrt", "x", "--at", "x=[0,0]"], "[[1, 0], [0, 1]]"),
    (["grad", "sum(1 - x.*x)", "--let", "x:n", "--wrt", "x", "--at", "x=[1,2]"], "[-2, -4]"),
    (["jacobian", "x - 3", "--let", "x:n", "--wrt", "x", "--at", "x=[1,2]"], "[[1, 0], [0, 1]]"),
]


@pytest.mark.parametrize("args,want", AT_CASES, ids=[" ".join(c[0][:2]) for c in AT_CASES])
def test_at_with_sized_constants(cli, args, want):
    code, out, err = cli(*args)
    assert (code, out, err) == (0, want + "\n", "")


def test_several_wrt_names(cli):
    """SPEC §1 v2: `--wrt W1,W2,v` gives one derivative per name: text one line each, numpy ONE
    line (a tuple in --wrt order), json a `results` list."""
    let = ["--let", "x:2", "--let", "W1:2,2", "--let", "W2:2,2", "--let", "v:2"]
    loss = "(v.T*W2*W1*x - t)**2/2"
    code, out, _ = cli("grad", loss, "--wrt", "W1,W2,v", *let)
    assert code == 0 and [line.split(":")[0] for line in out.splitlines()] == ["W1", "W2", "v"]
    code, out, _ = cli("grad", loss, "--wrt", "W1,W2,v", *let, "-f", "numpy")
    assert code == 0 and out.count("\n") == 1
    rng = np.random.default_rng(7)
    x, v, W1, W2, t = rng.normal(size=2), rng.normal(size=2), *rng.normal(size=(2, 2, 2)), 0.3
    g1, g2, gv = eval(out, {"np": np, "x": x, "v": v, "W1": W1, "W2": W2, "t": t})
    r = v @ W2 @ W1 @ x - t
    assert np.allclose(g1, r * np.outer(W2.T @ v, x))
    assert np.allclose(g2, r * np.outer(v, W1 @ x))
    assert np.allclose(gv, r * (W2 @ W1 @ x))
    at = ["--at", "x=[1,2]", "--at", "W1=[[1,0],[0,1]]", "--at", "W2=[[1,0],[0,1]]"]
    at += ["--at", "v=[1,1]", "--at", "t=1"]
    code, out, _ = cli("grad", loss, "--wrt", "W1,v", *let, *at, "-f", "json")
    data = json.loads(out)
    assert code == 0 and [p["wrt"] for p in data["results"]] == ["W1", "v"]
    assert [p["value"] for p in data["results"]] == [[[2, 4], [2, 4]], [2, 4]]


UNDEFINED = [
    (["show", "t/0"], "division by zero"),
    (["show", "0/0"], "division by zero"),
    (["grad", "log(t)", "--wrt", "t", "--at", "t=0"], "log(t)"),
    (["grad", "sqrt(t)", "--wrt", "t", "--at", "t=-1"], "sqrt(t)"),
    (["grad", "logdet(X)", "--let", "X:2,2", "--wrt", "X", "--at", "X=[[1,1],[1,1]]"], "logdet"),
    (["show", "inv(X)", "--let", "X:2,2", "--at", "X=[[1,1],[1,1]]"], "singular"),
]


@pytest.mark.parametrize("args,named", UNDEFINED, ids=[" ".join(a[:2]) for a, _ in UNDEFINED])
def test_undefined_values_are_user_errors(cli, args, named):
    """SPEC §5 v2: never zoo, nan or an unevaluated object on stdout with exit 0."""
    code, out, err = cli(*args)
    assert code == 2 and out == "" and err.startswith("error: ") and named in err, err
