"""Defects a user trial found, each against an independent reference (NumPy, finite differences
of NumPy, or the exact text): eigenvalues of a matrix not symmetric (SPEC §7.2), `prod`, a
variable that shares a function's name (docs/language.md), and small parser defects."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from .alarm import time_limit

X_NONSYM = [[1, 5], [0, 2]]  # eigenvalues 1 and 2; its symmetric part's are -1.05 and 4.05


def _value(cli, *args):
    code, out, err = cli(*args, "--format", "json")
    assert code == 0, err
    value = json.loads(out)["value"]  # exact: integers, or fractions written as strings
    return np.vectorize(lambda v: float(Fraction(v)), otypes=[float])(np.array(value, dtype=object))


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ---------------------------------------------------------------- eig of a matrix not symmetric


@pytest.mark.parametrize(
    "command,expr,column",
    [
        ("show", "sum(eig(X).^2)", 5),
        ("show", "eig(X)", 1),
        ("grad", "lambda_max(X)", 1),
        ("grad", "lambda_min(2*X)", 1),
        ("grad", "max(eig(X))", 1),
        ("grad", "1 + eigvecs(X)[1,1]", 5),
    ],
)
def test_eigenvalues_of_a_matrix_not_symmetric_are_refused_with_the_fixes(
    cli, command, expr, column
):
    extra = ["--wrt", "X"] if command == "grad" else []
    code, out, err = cli(command, expr, "--let", "X:2,2", *extra, "--at", "X=[[1,5],[0,2]]")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "Traceback" not in err
    assert f"(column {column})" in err.splitlines()[0]
    assert "not symmetric" in err
    if expr.startswith(("sum(eig(X)", "eig(X)")):
        assert "--let X:2,2,sym" in err and "eig((X + X')/2)" in err


def test_the_fix_the_message_shows_gives_numpys_eigenvalues(cli):
    x = np.array(X_NONSYM, dtype=float)
    got = _value(cli, "show", "eig((X + X')/2)", "--let", "X:2,2", "--at", "X=[[1,5],[0,2]]")
    assert np.allclose(got, np.linalg.eigvalsh((x + x.T) / 2))
    got = _value(cli, "show", "sum(eig(S).^2)", "--let", "S:2,2,sym", "--at", "S=[[1,5],[5,2]]")
    assert np.isclose(got, np.sum(np.linalg.eigvalsh([[1, 5], [5, 2]]) ** 2))


@pytest.mark.parametrize(
    "expr,ref",
    [
        ("sum(eig(X))", lambda x: np.sum(np.linalg.eigvals(x)).real),
        ("prod(eig(X))", lambda x: np.prod(np.linalg.eigvals(x)).real),
    ],
)
def test_sum_and_prod_of_the_eigenvalues_of_any_square_matrix(cli, expr, ref):
    """Complex eigenvalues included: [[0, -2, 1], [1, 0, 3], [0, 1, 1]] has a complex pair."""
    at = [[0, -2, 1], [1, 0, 3], [0, 1, 1]]
    x = np.array(at, dtype=float)
    assert np.iscomplexobj(np.linalg.eigvals(x)) and np.any(np.linalg.eigvals(x).imag != 0)
    value = _value(cli, "show", expr, "--let", "X:3,3", "--at", f"X={at}")
    assert np.isclose(value, ref(x))
    grad = _value(cli, "grad", expr, "--let", "X:3,3", "--wrt", "X", "--at", f"X={at}")
    assert np.allclose(grad, _fd_grad(ref, x), atol=1e-6)
    with time_limit(120):
        code, out, err = cli("grad", expr, "--let", "X:n,n", "--wrt", "X", "--check")
    assert code == 0 and "(ok)" in out, (out, err)


def test_prod_of_eig_prints_the_cookbook_gradient(cli):
    code, out, err = cli("grad", "prod(eig(X))", "--let", "X:n,n", "--wrt", "X")
    assert (code, out) == (0, "det(X) X⁻ᵀ\n"), err


def test_a_value_for_a_sym_variable_that_is_not_symmetric_says_so(cli):
    code, out, err = cli("show", "S", "--let", "S:2,2,sym", "--at", "S=[[1,2],[3,4]]")
    assert code == 2 and out == ""
    assert err == (
        "error: --at S: the value is not symmetric (S[1,2] = 2 but S[2,1] = 3), "
        "and S is declared symmetric (sym)\n"
    )


# ---------------------------------------------------------------- prod


@pytest.mark.parametrize(
    "expr,let,at",
    [
        ("prod(x)", "x:4", [1.5, -2.0, 0.5, 3.0]),
        ("prod(X)", "X:2,3", [[1.5, -2.0, 0.5], [0.7, 1.1, -0.9]]),
    ],
)
def test_prod_is_the_product_of_the_entries(cli, expr, let, at):
    x = np.array(at)
    at_text = f"{expr[5]}={at}"
    assert np.isclose(_value(cli, "show", expr, "--let", let, "--at", at_text), np.prod(x))
    grad = _value(cli, "grad", expr, "--let", let, "--wrt", expr[5], "--at", at_text)
    assert np.allclose(grad, _fd_grad(np.prod, x), atol=1e-6)


def test_prod_outside_its_domain_is_a_user_error(cli):
    code, out, err = cli("grad", "prod(x)", "--let", "x:3", "--wrt", "x", "--at", "x=[1,0,2]")
    assert code == 2 and out == "" and err.startswith("error: ") and "Traceback" not in err


# ---------------------------------------------------------------- a variable named like a function

PHI = [[1, 2], [3, 4]]
XY = ["--let", "x:2", "--let", "y:2", "--at", "x=[1,0]", "--at", "y=[0,1]"]


@pytest.mark.parametrize(
    "name,expr",
    [
        ("Phi", "Phi*(x + y)"),
        ("Phi", "Phi(x + y)"),
        ("Phi", "Φ (x + y)"),
        ("erf", "erf (x + y)"),
        ("erf", "erf(x + y)"),
        ("tr", "tr (x + y)"),
        ("sum", "sum(x + y)"),
    ],
)
def test_a_declared_name_is_the_variable_not_the_function(cli, name, expr):
    want = np.array(PHI) @ np.array([1, 1])
    let = ["--let", f"{name}:2,2", "--at", f"{name}={PHI}", *XY]
    assert np.allclose(_value(cli, "show", expr, *let), want)


@pytest.mark.parametrize("fmt", ["text", "latex"])
@pytest.mark.parametrize(
    "name,expr,ref",
    [
        ("Phi", "Phi*(x + y) + normcdf(x)", lambda v, x, y: v @ (x + y) + _ndtr(x)),
        ("tr", "tr*(x + y) + trace(tr)*x", lambda v, x, y: v @ (x + y) + np.trace(v) * x),
    ],
)
def test_the_printed_variable_reads_back_to_the_same_value(cli, fmt, name, expr, ref):
    let = ["--let", f"{name}:2,2", "--at", f"{name}={PHI}", *XY]
    code, printed, err = cli(
        "show", expr, "--let", f"{name}:2,2", "--let", "x:2", "--let", "y:2", "--format", fmt
    )
    assert code == 0, err
    back = _value(cli, "show", printed.strip(), "--input", fmt, *let)
    assert np.allclose(
        back, ref(np.array(PHI, dtype=float), np.array([1.0, 0]), np.array([0, 1.0]))
    )


def _ndtr(x):
    from scipy.special import ndtr

    return ndtr(x)


EVIDENCE = (
    "M/2*log(al) + N/2*log(be) - be/2*norm2(t - Phi*mN)^2 - al/2*mN'*mN - logdet(A)/2"
    " - N/2*log(2*pi) where A = al*eye(M) + be*Phi'*Phi, mN = be*inv(A)*Phi'*t"
)


def _evidence(al, be, phi, t):
    """PRML eq. 3.86, the log evidence of Bayesian linear regression, in NumPy."""
    n, m = phi.shape
    a = al * np.eye(m) + be * phi.T @ phi
    mn = be * np.linalg.solve(a, phi.T @ t)
    e = be / 2 * np.sum((t - phi @ mn) ** 2) + al / 2 * mn @ mn
    return (
        m / 2 * np.log(al)
        + n / 2 * np.log(be)
        - e
        - np.linalg.slogdet(a)[1] / 2
        - n / 2 * np.log(2 * np.pi)
    )


@pytest.mark.parametrize("fmt", ["text", "latex"])
def test_the_prml_evidence_gradient_reads_back_in_text_and_latex(cli, fmt):
    """Φ is PRML's design matrix: its gradient by α and β, printed and read back, against finite
    differences of NumPy's evidence."""
    phi = np.array([[1.0, 0.5], [-0.3, 1.2], [0.8, -1.1]])
    t = np.array([0.7, -0.2, 1.3])
    al, be = 0.8, 1.7
    let = ["--let", "Phi:N,M", "--let", "t:N"]
    at = [
        "--at",
        f"Phi={phi.tolist()}",
        "--at",
        f"t={t.tolist()}",
        "--at",
        f"al={al}",
        "--at",
        f"be={be}",
    ]
    with time_limit(120):
        code, printed, err = cli("grad", EVIDENCE, *let, "--wrt", "al,be", "--format", fmt)
        assert code == 0, err
        assert "Φ" in printed or r"\Phi" in printed
        back = _value(cli, "show", printed.strip(), "--input", fmt, *let, *at)
    h = 1e-6
    want = [
        (_evidence(al + h, be, phi, t) - _evidence(al - h, be, phi, t)) / (2 * h),
        (_evidence(al, be + h, phi, t) - _evidence(al, be - h, phi, t)) / (2 * h),
    ]
    assert np.allclose(back.ravel(), want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- small parser defects


@pytest.mark.parametrize("expr", ["x'*x where", "x'*x where a", "x'*x where a b"])
def test_a_where_without_definitions_is_an_error_at_where(cli, expr):
    code, out, err = cli("grad", expr, "--let", "x:n", "--wrt", "x")
    assert (code, out) == (2, "")
    assert err.splitlines()[0].startswith("error: where takes definitions")
    assert err.splitlines()[0].endswith("(column 6)")


def test_t_to_the_T_is_the_transpose_of_a_scalar(cli):
    assert cli("grad", "t^T", "--wrt", "t")[:2] == (0, "1\n")
    assert cli("grad", "t^T", "--wrt", "t", "--let", "T:1")[1] == "t^(T - 1) T\n"


@pytest.mark.parametrize("fmt", ["text", "latex"])
@pytest.mark.parametrize("expr,ref", [("t**T", 2.0**3), ("t**(-T)", 2.0**-3)])
def test_a_power_by_a_scalar_T_reads_back_as_a_power(cli, fmt, expr, ref):
    code, printed, err = cli("show", expr, "--format", fmt)
    assert code == 0, err
    back = _value(cli, "show", printed.strip(), "--input", fmt, "--at", "t=2", "--at", "T=3")
    assert np.isclose(back, ref)
