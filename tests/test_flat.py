"""Issue 19: flat sums and products as long as the token limit allows, slices inside any
expression, --check without false alarms, `cost` at its factor limit, and two mutation holes
(log uᵏ for even k; the vec rule of a non-square slice).

Every value is compared with the tests' own NumPy (tests/oracle.py's finite differences or a
formula written here); a hang is a failure through a generous alarm, never a timing assertion."""

from __future__ import annotations

import functools
import json
import random
import re

import numpy as np
import pytest

import matcalc
from matcalc import limits
from matcalc.derive.cost import cost
from matcalc.syntax.lexer import tokenize
from tests.alarm import time_limit
from tests.oracle import fd_hessian, fd_jacobian

LIMIT = 120  # seconds: only a hang trips it


def at_token_limit(text: str) -> str:
    """The expression, asserted to sit at the token limit (within one term of it)."""
    n = len(tokenize(text)) - 1  # the end marker is no token of the input
    assert limits.MAX_NODES - 10 <= n <= limits.MAX_NODES, n
    return text


def numpy_value(result, **values):
    """The printed NumPy line evaluated as SPEC §4 says."""
    return eval(result.numpy(), {"np": np, **values})


# --------------------------------------------------------------------------- long flat chains


def test_sum_of_one_term_at_the_token_limit():
    n = (limits.MAX_NODES + 1) // 2
    expr = at_token_limit("+".join(["t"] * n))
    with time_limit(LIMIT):
        assert matcalc.grad(expr, wrt="t").text() == str(n)
        assert matcalc.hessian(expr, wrt="t").text() == "0"
        assert numpy_value(matcalc.show(expr), t=0.5) == n / 2


def _distinct_terms() -> tuple[str, list[int]]:
    m = (limits.MAX_NODES + 1) // 6  # x7*t^3+ is six tokens
    powers = [i % 7 + 1 for i in range(1, m + 1)]
    return "+".join(f"x{i}*t^{k}" for i, k in enumerate(powers, 1)), powers


def test_sum_of_distinct_terms_at_the_token_limit():
    expr, k = _distinct_terms()
    at_token_limit(expr)
    k = np.array(k, dtype=float)
    rng = np.random.default_rng(1)
    x, t = rng.uniform(-1, 1, k.size), 0.9
    values = {"t": t, **{f"x{i}": v for i, v in enumerate(x, 1)}}
    with time_limit(LIMIT):
        g = matcalc.grad(expr, wrt="t")
        h = matcalc.hessian(expr, wrt="t")
        gx = matcalc.grad(expr, wrt="x")
        shown = matcalc.show(expr)
    assert numpy_value(g, **values) == pytest.approx(np.sum(x * k * t ** (k - 1)), rel=1e-9)
    want_h = np.sum(x * k * (k - 1) * t ** np.maximum(k - 2, 0))
    assert numpy_value(h, **values) == pytest.approx(want_h, rel=1e-9)
    np.testing.assert_allclose(numpy_value(gx, **values), t**k, rtol=1e-12)
    assert numpy_value(shown, **values) == pytest.approx(np.sum(x * t**k), rel=1e-9)
    for r in (g, shown):  # one printed term per input term, in every format
        assert r.text().count(" + ") == k.size - 1
        assert len(re.findall(r"x_\{\d+\}", r.latex())) == k.size


def test_products_of_scalars_at_the_token_limit():
    n = (limits.MAX_NODES + 1) // 2
    starred = at_token_limit("*".join(["t"] * n))
    juxtaposed = " ".join(["t"] * limits.MAX_NODES)  # juxtaposition: one token a factor
    assert len(tokenize(juxtaposed)) - 1 == limits.MAX_NODES
    t = 1.0001
    with time_limit(LIMIT):
        for expr, k in ((starred, n), (juxtaposed, limits.MAX_NODES)):
            g = matcalc.grad(expr, wrt="t")
            assert g.text() == f"{k} t" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] for c in str(k - 1))
            assert g.latex() == f"{k} t^{{{k - 1}}}"
            assert numpy_value(g, t=t) == pytest.approx(k * t ** (k - 1), rel=1e-12)


def test_juxtaposed_distinct_scalars():
    """x1 x2 … x1000 t t … t: as many factors as the character limit allows."""
    m = limits.MAX_DIM
    head = " ".join(f"x{i}" for i in range(1, m + 1))
    reps = (limits.MAX_INPUT_CHARS - len(head)) // 2
    expr = head + " t" * reps
    assert len(expr) <= limits.MAX_INPUT_CHARS
    rng = np.random.default_rng(2)
    x = rng.uniform(0.999, 1.001, m) * rng.choice([-1, 1], m)
    t = 0.9999
    values = {"t": t, **{f"x{i}": v for i, v in enumerate(x, 1)}}
    with time_limit(LIMIT):
        g = matcalc.grad(expr, wrt="t")
    want = reps * np.prod(x) * t ** (reps - 1)
    assert numpy_value(g, **values) == pytest.approx(want, rel=1e-9)


def test_matrix_sum_at_the_token_limit():
    m = (limits.MAX_NODES + 1) // 4
    expr = at_token_limit("+".join(["A*x"] * m))
    A = np.random.default_rng(3).standard_normal((3, 3))
    with time_limit(LIMIT):
        j = matcalc.jacobian(expr, wrt="x", let=["x:3", "A:3,3"])
    assert j.text() == f"{m} A"
    np.testing.assert_allclose(numpy_value(j, A=A), m * A, rtol=1e-12)


def _orthogonal(n: int, rng) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q  # products of any length stay of norm 1


@pytest.mark.parametrize(
    "kind,head,tail",
    [
        ("jacobian", "", "*x"),  # A (B (… x)): nests to the right
        ("grad", "y'*", "*x"),  # a scalar yᵀ A B … x, by x
        ("grad", "y'*", "*x"),  # … and by y
        ("show", "C'*", ""),  # a left-hand row block
        ("show", "", "*C"),
    ],
)
def test_matrix_product_chain_at_the_token_limit(kind, head, tail):
    k = (limits.MAX_NODES - 4) // 4  # A*B* is four tokens
    expr = at_token_limit(head + "*".join(["A", "B"] * k) + tail)
    rng = np.random.default_rng(4)
    A, B = _orthogonal(3, rng), _orthogonal(3, rng)
    C = rng.standard_normal((3, 2))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    M = np.linalg.matrix_power(A @ B, k)
    let = ["A:3,3", "B:3,3", "C:3,2", "x:3", "y:3"]
    with time_limit(LIMIT):
        if kind == "show":
            r = matcalc.show(expr, let=let)
            want = C.T @ M if head else M @ C
        elif kind == "jacobian":
            r = matcalc.jacobian(expr, wrt="x", let=let)
            want = M
        else:
            r = matcalc.grad(expr, wrt="x", let=let)
            want = M.T @ y
        text, latex = r.text(), r.latex()
    np.testing.assert_allclose(numpy_value(r, A=A, B=B, C=C, x=x, y=y), want, atol=1e-9)
    assert text.count("A") == latex.count("A") == k


def test_product_of_sums_at_the_token_limit():
    m = (limits.MAX_NODES + 1) // 6  # (t+x7)* is six tokens
    expr = at_token_limit("*".join(f"(t+x{i})" for i in range(1, m + 1)))
    rng = np.random.default_rng(11)
    x, t = rng.uniform(0.6, 1.4, m) * rng.choice([-1, 1], m), 0.05
    values = {"t": t, **{f"x{i}": v for i, v in enumerate(x, 1)}}
    with time_limit(LIMIT):
        g = matcalc.grad(expr, wrt="t")
    want = np.prod(t + x) * np.sum(1 / (t + x))
    assert numpy_value(g, **values) == pytest.approx(want, rel=1e-9)


def test_product_of_sums_with_growing_constants():
    """∏ (1 + t/i): simplifying its gradient meets constants of 1,500 digits (625!), which
    must not turn into a limit error; the exact value at t = 1 is 626 (H₆₂₆ − 1)."""
    from fractions import Fraction

    m = (limits.MAX_NODES + 1) // 8  # (1+t/7)* is eight tokens
    expr = at_token_limit("*".join(f"(1+t/{i})" for i in range(1, m + 1)))
    with time_limit(LIMIT):
        v = matcalc.grad(expr, wrt="t", at={"t": 1}).value
    assert Fraction(int(v.p), int(v.q)) == (m + 1) * sum(
        Fraction(1, i + 1) for i in range(1, m + 1)
    )


def test_long_sum_through_the_command_line(cli):
    n = (limits.MAX_NODES + 1) // 2
    with time_limit(LIMIT):
        code, out, err = cli("grad", "+".join(["t"] * n), "--wrt", "t")
    assert (code, out, err) == (0, f"{n}\n", "")


# --------------------------------------------------------------------------- slices


def _rosenbrock(x):
    return np.sum(100 * (x[1:5] - x[0:4] ** 2) ** 2 + (1 - x[0:4]) ** 2)


SCALAR_SLICES = [  # expression, declarations, the tests' own function of the variable
    ("sum(x[1:4].^2)", ["x:5"], lambda x: np.sum(x[0:4] ** 2)),
    ("sum(100*(x[2:5] - x[1:4].^2).^2 + (1 - x[1:4]).^2)", ["x:5"], _rosenbrock),
    ("sum(log(1 + x[2:5].^2)) * x[1]", ["x:5"], lambda x: np.sum(np.log1p(x[1:5] ** 2)) * x[0]),
    ("sum(exp(X[1:2,2:3]))", ["X:3,4"], lambda X: np.sum(np.exp(X[0:2, 1:3]))),
    ("tr(X[2:3,1:2]*X[1:2,3:4])", ["X:3,4"], lambda X: np.trace(X[1:3, 0:2] @ X[0:2, 2:4])),
]


def _point(decls: list[str], rng) -> np.ndarray:
    dims = [int(d) for d in decls[0].split(":")[1].split(",")]
    return rng.uniform(0.3, 1.5, dims) * rng.choice([-1, 1], dims)


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("expr,let,f", SCALAR_SLICES, ids=[c[0] for c in SCALAR_SLICES])
def test_gradient_through_slices(expr, let, f, layout):
    name = let[0].split(":")[0]
    x = _point(let, np.random.default_rng(5))
    with time_limit(LIMIT):
        r = matcalc.grad(expr, wrt=name, let=let, layout=layout)
    want = fd_jacobian(f, x)[0].reshape(x.shape, order="F")
    if layout == "numerator":
        want = want.T
    np.testing.assert_allclose(numpy_value(r, **{name: x}), want, rtol=1e-7, atol=1e-7)
    for fmt in ("text", "latex"):  # the printed forms read back have the same value
        text = r.text() if fmt == "text" else r.latex()
        back = matcalc.show(text, let=let, input=fmt, at={name: x.tolist()})
        got = np.array(back.value, dtype=float).reshape(np.shape(want))
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("expr,let,f", SCALAR_SLICES[:3], ids=[c[0] for c in SCALAR_SLICES[:3]])
def test_hessian_through_slices(expr, let, f):
    x = _point(let, np.random.default_rng(6))
    with time_limit(LIMIT):
        r = matcalc.hessian(expr, wrt="x", let=let)
    np.testing.assert_allclose(numpy_value(r, x=x), fd_hessian(f, x), rtol=1e-5, atol=1e-5)


VECTOR_SLICES = [
    ("sin(x[2:4]) .* x[1:3]", lambda x: np.sin(x[1:4]) * x[0:3]),
    ("tanh(A*x[1:4]) + x[2:5].^3", lambda x: np.tanh(A_FIXED @ x[0:4]) + x[1:5] ** 3),
]
A_FIXED = np.random.default_rng(7).standard_normal((4, 4))


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
@pytest.mark.parametrize("expr,f", VECTOR_SLICES, ids=[c[0] for c in VECTOR_SLICES])
def test_jacobian_through_slices(expr, f, layout):
    x = _point(["x:5"], np.random.default_rng(8))
    with time_limit(LIMIT):
        r = matcalc.jacobian(expr, wrt="x", let=["x:5", "A:4,4"], layout=layout)
    want = fd_jacobian(f, x)
    want = want.T if layout == "denominator" else want
    np.testing.assert_allclose(numpy_value(r, x=x, A=A_FIXED), want, rtol=1e-7, atol=1e-7)


def test_slice_example_of_the_issue(cli):
    args = ("grad", "sum(x[1:4].^2)", "--let", "x:5", "--wrt", "x")
    assert cli(*args) == (0, "[2 x[1:4], 0]\n", "")
    assert cli(*args, "--at", "x=[1,2,3,4,5]") == (0, "[2, 4, 6, 8, 0]\n", "")
    code, out, _ = cli(*args, "--check")
    assert code == 0 and out.endswith("(ok)\n")


# --------------------------------------------------------------------------- --check


def _product_of_sums(n: int, term: str) -> str:
    return "*".join(f"({term}+{i})" for i in range(1, n + 1))


@pytest.mark.parametrize(
    "args",
    [
        ("grad", _product_of_sums(200, "t"), "--wrt", "t"),
        ("grad", _product_of_sums(200, "x'*x"), "--wrt", "x", "--let", "x:3"),
    ],
    ids=["scalar", "vector"],
)
def test_check_of_overflowing_values_gives_no_verdict(cli, args):
    with time_limit(LIMIT):
        code, out, _ = cli(*args, "--check")
    assert "FAILED" not in out
    assert out.splitlines()[-1] == (
        "check: no verdict: the values overflow double precision (over 1.8e308) at the points tried"
    )
    assert code == 2


def test_check_of_values_too_large_to_difference_gives_no_verdict(cli):
    code, out, _ = cli("grad", "(10^12 + t)^2", "--wrt", "t", "--check")
    assert out.splitlines()[0] == "2 (1000000000000 + t)"
    assert out.splitlines()[1].startswith("check: no verdict: the values (about 1e+24) are too")
    assert code == 2
    code, out, _ = cli("grad", "(10^12 + t)^2", "--wrt", "t", "--check", "-f", "json")
    check = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))["check"]
    assert check["refused"].startswith("the values (about 1e+24) are too large") and code == 2
    assert check["max_relative_error"] is None and check["ok"] is False


def test_check_still_passes_a_long_product_it_can_measure(cli):
    with time_limit(LIMIT):
        code, out, _ = cli("grad", _product_of_sums(150, "t"), "--wrt", "t", "--check")
    assert code == 0 and re.search(r"largest relative error \S+ against .*\(ok\)$", out)


def test_check_still_fails_a_wrong_result():
    """The refusal is no blanket pass: a wrong printed result at ordinary values fails."""
    from matcalc import api
    from matcalc.evaluate.check import fd_check
    from matcalc.reader import parse_expr

    (p,), _ = api.problems("grad", "t^3 + 2*t", "t")
    assert fd_check(p, parse_expr("3*t^2 + 2")).ok
    wrong = fd_check(p, parse_expr("3*t^2 + 2.001"))
    assert not wrong.ok and not wrong.refusal


# --------------------------------------------------------------------------- cost


def _best(d: list[int]) -> int:
    """The matrix-chain optimum by the textbook recursion (memoised), written here."""

    @functools.lru_cache(None)
    def best(i: int, j: int) -> int:
        if i == j:
            return 0
        return min(best(i, k) + best(k + 1, j) + d[i] * d[k + 1] * d[j + 1] for k in range(i, j))

    return best(0, len(d) - 2)


def _cost_of(parenthesization: str, shapes: list[tuple[int, int]]) -> tuple[int, int]:
    """Multiplications and inner products of a parenthesization `(A1 A2) A3` as printed."""
    stack: list[list] = [[]]
    for tok in re.findall(r"\(|\)|A\d+", parenthesization):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            group = stack.pop()
            stack[-1].append(_reduce(group))
        else:
            r, c = shapes[int(tok[1:]) - 1]
            stack[-1].append((r, c, 0, 0))
    return _reduce(stack[0])[2:]


def _reduce(group: list) -> tuple[int, int, int, int]:
    r, c, mults, inner = group[0]
    for r2, c2, m2, i2 in group[1:]:
        assert c == r2
        mults, inner = mults + m2 + r * c * c2, inner + i2 + r * c2
        c = c2
    return r, c, mults, inner


@pytest.mark.parametrize("seed", range(20))
def test_optimal_cost_equals_the_textbook_recursion(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    d = [rng.choice([1, 2, 3, rng.randint(1, 60)]) for _ in range(n + 1)]
    shapes = [(d[i], d[i + 1]) for i in range(n)]
    opt = cost(shapes).orders[2]
    assert opt.multiplications == _best(d)
    assert _cost_of(opt.parenthesization, shapes) == (opt.multiplications, opt.inner_products)


def test_cost_at_its_factor_limit(cli):
    rng = random.Random(9)
    d = [rng.randint(1, 100_000) for _ in range(1001)]
    shapes = [(d[i], d[i + 1]) for i in range(1000)]
    with time_limit(LIMIT):
        code, out, err = cli("cost", *(f"{r}x{c}" for r, c in shapes), "-f", "json")
    assert code == 0, err
    orders = {o["name"]: o for o in json.loads(out)["orders"]}
    opt = orders["optimal"]
    assert opt["multiplications"] <= min(
        orders["left-to-right"]["multiplications"], orders["right-to-left"]["multiplications"]
    )
    assert _cost_of(opt["parenthesization"], shapes) == (
        opt["multiplications"],
        opt["inner_products"],
    )
    small = shapes[:120]
    assert cost(small).orders[2].multiplications == _best(d[:121])


# --------------------------------------------------------------------------- mutation holes


def test_log_of_an_even_power_at_a_negative_point(cli):
    """log uᵏ = k log u holds for odd k only: for even k, log(t²) is defined at t < 0."""
    assert cli("show", "log(t^2)", "--at", "t=-2") == (0, "log(4)\n", "")
    assert cli("grad", "log(t^2)", "--wrt", "t", "--at", "t=-3") == (0, "-2/3\n", "")
    code, out, _ = cli(
        "grad", "sum(log(x.^4))", "--wrt", "x", "--let", "x:3", "--at", "x=[-1,2,-4]"
    )
    assert (code, out) == (0, "[-4, 2, -1]\n")
    for expr, k in (("log(t^2)", 2), ("log(t^6)", 6), ("log(t^3)", 3)):
        g = matcalc.grad(expr, wrt="t")
        for t in (-1.7, 0.6):
            if k % 2 and t < 0:
                continue  # log(t³) is undefined there
            assert numpy_value(g, t=t) == pytest.approx(k / t, rel=1e-12)
        assert matcalc.show(expr, at={"t": -1.5} if k % 2 == 0 else {"t": 1.5}).value is not None


def _selection(shape: tuple[int, int], rows: range, cols: range) -> np.ndarray:
    """K with vec(X[rows, cols]) = K vec(X), column-major vec, built from the definition."""
    index = np.arange(shape[0] * shape[1]).reshape(shape, order="F")
    picked = index[np.ix_(list(rows), list(cols))].reshape(-1, order="F")
    K = np.zeros((picked.size, index.size))
    K[np.arange(picked.size), picked] = 1
    return K


SLICES = [  # 1-based inclusive as written, of a 3×4 and a 4×3 matrix
    ("X[1:2,2:3]", (3, 4), range(0, 2), range(1, 3)),
    ("X[2:3,1:4]", (3, 4), range(1, 3), range(0, 4)),
    ("X[1:3,3:4]", (3, 4), range(0, 3), range(2, 4)),
    ("X[2,1:4]", (3, 4), range(1, 2), range(0, 4)),  # a row
    ("X[1:3,2]", (3, 4), range(0, 3), range(1, 2)),  # a column
    ("X[3,2]", (3, 4), range(2, 3), range(1, 2)),  # one entry
    ("X[2:4,1:2]", (4, 3), range(1, 4), range(0, 2)),
    ("X[1:2,1:3]", (4, 3), range(0, 2), range(0, 3)),
]


@pytest.mark.parametrize("expr,shape,rows,cols", SLICES, ids=[s[0] for s in SLICES])
def test_vec_of_a_slice_is_a_selection(expr, shape, rows, cols):
    let = [f"X:{shape[0]},{shape[1]}"]
    K = _selection(shape, rows, cols)
    r = matcalc.jacobian(expr, wrt="X", let=let, vec=True)
    np.testing.assert_array_equal(_as(numpy_value(r), K), K)
    r = matcalc.jacobian(f"3*{expr}", wrt="X", let=let, vec=True, layout="denominator")
    np.testing.assert_array_equal(_as(numpy_value(r), K.T), 3 * K.T)
    # through a nonlinear function: J = diag(vec cos(X[r,c])) K, against finite differences
    X = np.random.default_rng(10).standard_normal(shape)
    r = matcalc.jacobian(f"sin({expr})", wrt="X", let=let, vec=True)
    want = fd_jacobian(lambda X: np.sin(X[np.ix_(list(rows), list(cols))]), X)
    np.testing.assert_allclose(_as(numpy_value(r, X=X), want), want, atol=1e-8)


def _as(value, want: np.ndarray) -> np.ndarray:
    """A printed value in the shape of `want`: NumPy lines print a row or a column as 1-D."""
    value = np.asarray(value, dtype=float)
    return value.reshape(want.shape) if value.ndim < 2 else value


def test_slice_bounds_may_be_dimension_expressions():
    """SPEC §7.1: x[2:n], x[1:n-1]; the NumPy line takes n bound to its size."""
    expr = "sum(100*(x[2:n] - x[1:n-1].^2).^2 + (1 - x[1:n-1]).^2)"
    with time_limit(LIMIT):
        r = matcalc.grad(expr, wrt="x", let=["x:n"])
    for n in (3, 5, 8):
        x = _point([f"x:{n}"], np.random.default_rng(n))
        want = fd_jacobian(
            lambda v: np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2), x
        )
        np.testing.assert_allclose(numpy_value(r, x=x, n=n), want[0], rtol=1e-7, atol=1e-7)
    assert "x[1:n - 1]" in r.text()
    assert matcalc.show("x[1:n-1]", let=["x:n"]).text() == "x[1:n - 1]"
    back = matcalc.show("x[2:n+1-1]", let=["x:n"], at={"x": [1, 2, 3, 4, 5]})
    assert np.array(back.value, dtype=float).ravel().tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize("seed", range(4))
def test_long_products_of_mixed_shapes_in_numpy(seed):
    """Past 300 factors generated code orders a product greedily; the order, its nesting and
    its transposed form must keep the value, whatever the shapes along the chain."""
    rng = np.random.default_rng(seed)
    mats = {"A": (2, 3), "B": (3, 2), "C": (2, 2), "D": (3, 3)}
    values = {k: rng.standard_normal(s) for k, s in mats.items()}
    values = {k: v / np.linalg.norm(v, 2) for k, v in values.items()}
    values |= {"u": rng.standard_normal(2), "w": rng.standard_normal(3)}
    names = [rng.choice(["A", "C"])]
    while len(names) < 1100:
        names.append(rng.choice(["B", "D"] if mats[names[-1]][1] == 3 else ["A", "C"]))
    head = ["u'"] if rng.integers(2) else []
    tail = [rng.choice(["u"] if mats[names[-1]][1] == 2 else ["w"])] if rng.integers(2) else []
    factors = head + names + tail
    let = [f"{k}:{r},{c}" for k, (r, c) in mats.items()] + ["u:2", "w:3"]
    want = values[names[0]] if not head else values["u"] @ values[names[0]]
    for f in factors[1 + len(head) :]:
        want = want @ values[f.rstrip("'")]
    with time_limit(LIMIT):
        r = matcalc.show("*".join(factors), let=let)
    got = numpy_value(r, **values)
    assert np.shape(got) == np.shape(want)
    assert np.linalg.norm(got - want) <= 1e-9 * np.linalg.norm(want)


@pytest.mark.parametrize("seed", range(30))
def test_greedy_order_is_a_parenthesization(seed):
    """The greedy order names a split for every product it forms, and nothing else."""
    from matcalc.derive.order import greedy_order

    rng = random.Random(seed)
    n = rng.randint(2, 40)
    d = [rng.choice([1, 2, 3, rng.randint(1, 50)]) for _ in range(n + 1)]
    split = greedy_order(d)
    seen, stack, total = set(), [(0, n - 1)], 0
    while stack:
        i, j = stack.pop()
        if i == j:
            continue
        s = split[i, j]
        assert i <= s < j
        seen.add((i, j))
        total += d[i] * d[s + 1] * d[j + 1]
        stack += [(i, s), (s + 1, j)]
    assert seen == set(split) and len(seen) == n - 1
    assert total >= _best(d)
