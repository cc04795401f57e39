"""The rows of the operator-registry issue's table, each against a reference that shares nothing
with matcalc: a NumPy formula written here, or the exact value a hand calculation gives."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import matcalc
from tests.alarm import time_limit

RNG = np.random.default_rng(2026)


def signed(*shape):
    return RNG.uniform(0.3, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)


def run_numpy(line: str, **values):
    return np.asarray(eval(line, {"np": np, **values}), dtype=float)  # the SPEC's own recipe


def test_gradient_of_a_sum_of_absolute_values():
    r = matcalc.grad("sum(abs(A*x))", wrt="x", let=["x:n", "A:m,n"])
    assert r.text() == "Aᵀ sign(A x)"
    A, x = signed(4, 3), signed(3)
    assert np.allclose(run_numpy(r.numpy(), A=A, x=x, m=4, n=3), A.T @ np.sign(A @ x))


def test_abs_at_a_point_with_both_signs():
    r = matcalc.grad("sum(abs(x))", wrt="x", let=["x:3"], at={"x": [1, -2, 3]})
    assert np.array_equal(np.asarray(r.value, dtype=float).ravel(), [1.0, -1.0, 1.0])


@pytest.mark.parametrize(
    "expr,let,wrt,ref",
    [
        ("(x.T*x)**t", ["x:n"], "t", lambda x, t, X: (x @ x) ** t * np.log(x @ x)),
        (
            "norm2(x)**p",
            ["x:n"],
            "p",
            lambda x, t, X: np.linalg.norm(x) ** t * np.log(np.linalg.norm(x)),
        ),
        ("tr(X)**t", ["X:n,n"], "t", lambda x, t, X: np.trace(X) ** t * np.log(np.trace(X))),
    ],
)
def test_derivative_by_an_exponent(expr, let, wrt, ref):
    r = matcalc.grad(expr, wrt=wrt, let=let)
    x, X, t = np.abs(signed(3)), np.eye(3) + np.abs(signed(3, 3)) / 3, 0.7
    got = run_numpy(r.numpy(), x=x, X=X, t=t, p=t, n=3)
    assert np.allclose(got, ref(x, t, X))


def test_indexed_spellings_are_one_symbol():
    r = matcalc.grad("x_1**2 + x1", wrt="x1", check=True)
    assert r.check_ok
    assert np.isclose(run_numpy(r.numpy(), x1=0.75), 2 * 0.75 + 1)


def test_jvp_by_a_symmetric_matrix_componentwise():
    for expand in (False, True):
        r = matcalc.jvp(
            "S*a", wrt="S", v="V", let=["S:2,2,sym", "a:2", "V:2,2,sym"], expand=expand, check=True
        )
        assert r.check_ok, r.check_error
        V = np.array([[1.0, -2.0], [-2.0, 0.5]])
        a = np.array([0.3, -1.2])
        S = np.array([[2.0, 0.1], [0.1, 1.0]])
        assert np.allclose(run_numpy(r.numpy(), S=S, a=a, V=V), V @ a)


@pytest.mark.parametrize("expand", [False, True])
def test_hessian_by_a_symmetric_matrix_is_refused_by_both_engines(expand):
    """docs/layouts.md: a Hessian or vec form by a symmetric matrix is refused, with the reason."""
    with pytest.raises(matcalc.MatcalcError, match="symmetric"):
        matcalc.hessian("x.T*S*S*x", wrt="S", let=["S:2,2,sym", "x:2"], vec=True, expand=expand)


def test_python_code_for_a_variable_the_expression_does_not_use():
    code = matcalc.grad("a.T*b", wrt="x", let=["x:n", "a:m", "b:m"]).python()
    space: dict = {}
    exec(compile(code, "<generated>", "exec"), space)  # the generated module, as a user imports it
    a, b, x = signed(3), signed(3), signed(4)
    value, g = space["f_and_grad"](a=a, b=b, x=x)
    assert np.isclose(value, a @ b) and np.allclose(g, np.zeros(4))


@pytest.mark.parametrize("at", [["--at", "x=[1,2]"], []])
def test_explain_reads_standard_input_once(at):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "matcalc",
            "vjp",
            "-",
            "--wrt",
            "x",
            "--v",
            "1,1",
            "--explain",
            *at,
        ],
        input="[x1**2, x1*x2]",
        capture_output=True,
        text=True,
        env={"MATCALC_PLAIN": "1", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == ("[4, 1]" if at else "[2 x1 + x2, x1]")
    rows = "1·[2, 0] + 1·[2, 1]" if at else "1·[2 x1, 0] + 1·[x2, x1]"
    assert f"= {rows}" in out.stdout
    assert "error" not in out.stderr


@pytest.mark.parametrize(
    "kind,expr,let,wrt,layout,last",
    [
        (
            "jacobian",
            "A*x",
            ["A:m,n", "x:n"],
            "x",
            "denominator",
            ("⇒ ∂f/∂x = Aᵀ", "df = J dx ⇒ ∂f/∂x = Jᵀ (denominator layout)"),
        ),
        (
            "jacobian",
            "A*x",
            ["A:m,n", "x:n"],
            "x",
            "numerator",
            ("⇒ J = A", "df = J dx ⇒ J (numerator layout)"),
        ),
        (
            "grad",
            "tr(A*X)",
            ["A:n,m", "X:m,n"],
            "X",
            "numerator",
            ("⇒ ∂f/∂X = A", "df = tr(Gᵀ dX) ⇒ ∂f/∂X = Gᵀ (numerator layout)"),
        ),
        (
            "grad",
            "tr(A*X)",
            ["A:n,m", "X:m,n"],
            "X",
            "mixed",
            ("⇒ ∇_X = Aᵀ", "df = tr(Gᵀ dX) ⇒ ∇f = G (mixed layout)"),
        ),
        (
            "grad",
            "x.T*A*x",
            ["A:n,n", "x:n"],
            "x",
            "numerator",
            ("⇒ ∂f/∂x = xᵀ (A + Aᵀ)", "df = gᵀ dx ⇒ ∂f/∂x = gᵀ (numerator layout)"),
        ),
    ],
)
def test_the_read_off_rule_agrees_with_the_result(kind, expr, let, wrt, layout, last):
    """The last step's justification is the rule that gives the printed result in its layout."""
    r = getattr(matcalc, kind)(expr, wrt=wrt, let=let, layout=layout, steps=True)
    text, latex, why = r.steps[-1]
    assert (text, why) == last
    label = {"∂f": rf"\frac{{\partial f}}{{\partial {wrt}}}", "∇_": rf"\nabla_{{{wrt}}}", "J ": "J"}
    want = next(v for k, v in label.items() if text[2:].startswith(k))
    assert latex.startswith(rf"\Rightarrow {want} &= "), latex


def test_steps_end_in_the_chosen_layout():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"], layout="numerator", steps=True)
    assert r.steps[-1][0].endswith("= xᵀ (A + Aᵀ)")


def test_gradient_through_a_kronecker_product():
    r = matcalc.grad("norm2(kron(A, X))**2", wrt="X", let=["A:k,k", "X:n,n"])
    assert r.text() == "2 ‖A‖² X"
    A, X = signed(2, 2), signed(3, 3)
    assert np.allclose(run_numpy(r.numpy(), A=A, X=X, k=2, n=3), 2 * np.sum(A * A) * X)


def test_hessian_through_diag_of_a_vector():
    r = matcalc.hessian("logdet(A + diag(x))", wrt="x", let=["x:n", "A:n,n"])
    A, x = np.eye(3) + signed(3, 3) / 4, signed(3) / 4
    Mi = np.linalg.inv(A + np.diag(x))
    assert np.allclose(run_numpy(r.numpy(), A=A, x=x, n=3), -(Mi * Mi.T))


def test_jacobian_of_a_row_vector_is_that_of_its_transpose():
    r = matcalc.jacobian("x.T*A", wrt="x", let=["x:n", "A:n,m"])
    assert r.text() == "Aᵀ"


def test_hessian_of_relu_is_zero_in_numpy():
    r = matcalc.hessian("sum(relu(z))", wrt="z", let=["z:m"])
    assert np.array_equal(run_numpy(r.numpy(), z=signed(4), m=4), np.zeros((4, 4)))


def test_latex_groups_the_base_of_an_entrywise_power():
    tex = matcalc.jacobian("sqrt(A*r)", wrt="r", let=["r:m", "A:m,m"]).latex()
    assert r"\left(A r\right)^{\circ -\frac{1}{2}}" in tex


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "0/0*A + x", "--let", "x:n", "--let", "A:n,n", "--wrt", "x"],
        ["grad", "t/0", "--wrt", "t"],
        ["grad", "log(t)", "--wrt", "t", "--at", "t=0"],
        ["grad", "sqrt(t)", "--wrt", "t", "--at", "t=-1"],
        [
            "grad",
            "x.T*inv(A)*x",
            "--let",
            "x:2",
            "--let",
            "A:2,2",
            "--wrt",
            "x",
            "--at",
            "x=[1,2]",
            "--at",
            "A=[[1,2],[2,4]]",
        ],
    ],
)
def test_undefined_values_are_user_errors(cli, args):
    code, out, err = cli(*args)
    assert (code, out) == (2, ""), (out, err)
    assert err.startswith("error: ") and "Traceback" not in err
    assert not any(bad in out + err for bad in ("zoo", "nan", " I", "I/"))


def test_internal_error_with_debug_prints_the_traceback(cli, monkeypatch):
    from matcalc.expr.registry import OPS

    def broken(n, d):
        raise RuntimeError("deliberately broken rule")

    monkeypatch.setattr(OPS["logdet"], "jvp", broken)
    code, _, err = cli("grad", "logdet(X)", "--let", "X:n,n", "--wrt", "X")
    assert code == 1 and "internal error" in err and "Traceback" not in err
    code, _, err = cli("grad", "logdet(X)", "--let", "X:n,n", "--wrt", "X", "--debug")
    assert code == 1 and "Traceback" in err and "deliberately broken rule" in err


def _tower(depth: int, leaf: str = "A", op: str = "mul"):
    from matcalc.expr.node import Node

    n = Node("T", (Node("var", (), (leaf, False), (2, 2)),), None, (2, 2))
    for _ in range(depth):  # 2**depth paths through depth + 2 distinct nodes
        n = Node(op, (n, n), None, (2, 2))
    return n


def test_counting_transposes_is_linear_in_a_shared_tree():
    """A tree that shares subtrees (the fuzzer's slow A A A … products) is walked once per node."""
    from matcalc.ops import transposes

    with time_limit(120, AssertionError("over 120 s: a walk that is not linear")):
        got = transposes(_tower(80))
    assert got == 2**80, got  # each shared subtree counts each time it is printed


def test_equal_trees_that_share_subtrees_compare_in_linear_time():
    """Found by the fuzzer: equal expanded products built twice (distinct objects, each sharing
    its subtrees) compared path by path, 2**depth steps; each pair of subtrees is compared once."""
    from matcalc.expr import node

    a = _tower(80)
    assert _tower(80) is a, "a tree built twice is one object while it lives (hash-consing)"
    node._LIVE.clear()  # forget the live trees: the next tower is a distinct object
    b = _tower(80)
    c = _tower(80, leaf="B")
    c._hash = a._hash  # a collision: equality must look inside, not trust the hash
    with time_limit(120, AssertionError("over 120 s: a walk that is not linear")):
        same, other = a == b, a == c
    assert a is not b
    assert same, "equal towers compared unequal"
    assert not other, "towers with different leaves compared equal"


# --------------------------------------------------------------------------- found by the templates
# Bugs that the random tester found once it drew every operator from its spec rows (issue 20).
# Each is a strict xfail: it fails the day the bug is fixed, so that the test becomes a plain
# regression test and tests/randexpr.py's NOT_YET entry (or its r_add workaround) goes.


def _reads_back(text: str, let: list[str], mode: str = "text") -> None:
    matcalc.show(text, let=let, input=mode)


def test_text_with_a_slice_of_the_identity_reads_back():
    r = matcalc.hessian("sum(sin(x[2:m]))", wrt="x", let=["x:m"], layout="numerator")
    assert "[2:m" in r.text()
    _reads_back(r.text(), ["x:m"])


def test_latex_with_a_zero_block_of_symbolic_size_reads_back():
    r = matcalc.grad("sum(sin(x[1:2]))", wrt="x", let=["x:n"])
    _reads_back(r.latex(), ["x:n"], "latex")


def test_a_dimension_bound_by_a_literal_v_is_an_index_bound():
    r = matcalc.vjp("z * sum(sin(z[2:m]))", wrt="z", let=["z:m"], v="1,2,3")
    z, v = signed(3), np.array([1.0, 2.0, 3.0])
    want = np.sum(np.sin(z[1:])) * v + (v @ z) * np.concatenate([[0.0], np.cos(z[1:])])
    assert np.allclose(run_numpy(r.numpy(), z=z), want)


def test_a_zero_vector_inside_logsumexp_prints_as_a_vector():
    expr = "det([[1, logsumexp((x*x.T)*(x-x))], [cos(sum(x)), 1]])"
    r = matcalc.hessian(expr, wrt="x", let=["x:m"])
    _reads_back(r.text(), ["x:m"])


def test_a_scalar_written_after_its_matrix_transposes_in_numpy():
    """`xᵀ (Pᵀ + P) where P = Dᵀ/2` as written holds D/2 as (Dᵀ, 1/2): its NumPy line once
    moved Dᵀ among the scalars of a product (the text round trip of grad 'Phi(x'*D*x)')."""
    r = matcalc.show("xᵀ (Pᵀ + P)  where P = sqrt(2) Dᵀ/(2 t)", let=["x:3", "D:3,3"])
    x, D, t = signed(3), signed(3, 3), 1.7
    P = np.sqrt(2) * D.T / (2 * t)
    assert np.allclose(run_numpy(r.numpy(), x=x, D=D, t=t), x @ (P.T + P))


def test_an_answer_longer_than_the_input_limit_prints_its_where_clause():
    """The where clause checks its names by reading the printed text with the lexer, whose
    limits are for input: a 21 000-character Jacobian crashed printing (random sample)."""
    expr = "1.5*(inv(P)) .* sqrt(1 + (z.T H * [1.5, 1.5, alpha, alpha]*(Sigma+eye(4))).^2).^1.5"
    let = ["z:3", "Sigma:4,4,sym", "H:3,4", "P:4,4"]
    with time_limit(120):
        r = matcalc.jacobian(expr, wrt="alpha", let=let)
        text = r.text()
    assert len(text) > 10_000 and "  where " in text
    z, H, alpha = signed(3), signed(3, 4), 0.7
    P, S = np.eye(4) + 0.1 * signed(4, 4), signed(4, 4)
    S = S + S.T

    def f(a):
        s = z @ H @ np.array([1.5, 1.5, a, a])
        return 1.5 * np.linalg.inv(P) * np.sqrt(1 + (s * (S + np.eye(4))) ** 2) ** 1.5

    h = 1e-6
    want = (f(alpha + h) - f(alpha - h)) / (2 * h)
    got = run_numpy(r.numpy(), z=z, H=H, P=P, Sigma=S, alpha=alpha)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-7)


def test_a_context_sized_ones_prints_as_one_vector():
    """`x'*ones` printed xᵀ (ones(N)): the context-sized 𝟏 was built as the product 1 · 𝟏."""
    assert matcalc.show("x'*ones", let=["x:N"]).text() == "xᵀ 𝟏"
    assert matcalc.show("ones'*x", let=["x:N"]).text() == "𝟏ᵀ x"


def test_a_row_softmax_of_a_zero_matrix_is_a_constant():
    """softmax(W - W, 2) printed softmax(0, 2), which does not read back (random round trip):
    each row of 𝟎 is 𝟏ᵀ/k, and logsumexp of each row is log k."""
    let = ["X:m,2", "W:m,2", "x:m"]
    r = matcalc.grad("sum(X .* softmax(W - W, dim=1))", wrt="X", let=let)
    assert r.text() == "ones(m, 2)/2"
    r = matcalc.grad("sum(x .* logsumexp(W - W, 2))", wrt="x", let=let)
    assert r.text() == "log(2) 𝟏ₘ"
    assert matcalc.show(r.text(), let=let).text() == "log(2) 𝟏ₘ"


def test_a_literal_beside_a_symbolic_size_keeps_the_matrix_form():
    """jvp of ones(m, 3) softplus([0.5, t, t]) was sent entry by entry (it holds a literal) and
    refused: 'size m is symbolic' (random sample); the matrix-level answer needs no size."""
    r = matcalc.jvp("ones(m, 3)*softplus([0.5, t, t])", wrt="t", v="-1.5", let=["r:m"])
    t, m = 0.3, 4
    got = run_numpy(r.numpy(), t=t, m=m)
    sig = 1 / (1 + np.exp(-np.array([0.5, t, t])))
    assert np.allclose(got, np.ones((m, 3)) @ (np.array([0, -1.5, -1.5]) * sig))


def test_columns_scaled_by_an_outer_product_with_ones():
    """(𝟏 vᵀ) ⊙ M = M diag(v), the transposed twin of (u 𝟏ᵀ) ⊙ M = diag(u) M: a bias's gradient
    under a row softmax printed ((Y ones(k, k)) ⊙ P/m - Y/m)ᵀ 𝟏, now (diag(Y 𝟏) P - Y)ᵀ 𝟏/m."""
    r = matcalc.grad("sum((ones(3)*v') .* X .* A)", wrt="X", let=["v:2", "X:3,2", "A:3,2"])
    assert r.text() == "A diag(v)"
    v, A = np.array([0.5, -2.0]), np.arange(6.0).reshape(3, 2) - 2
    assert np.allclose(run_numpy(r.numpy(), v=v, A=A, X=np.zeros((3, 2))), A * v)
    let = ["X:m,n", "W:n,k", "b:k", "Y:m,k"]
    r = matcalc.grad("-sum(Y .* log_softmax(X*W + b', 2))/m", wrt="b", let=let)
    assert r.text() == "(diag(Y 𝟏) P - Y)ᵀ 𝟏/m  where P = softmax(X W + 𝟏ₘ bᵀ, 2)"
