"""The chain rule, vjp/jvp explanations, and Jacobian-chain costs (issue: chain rule)."""

from __future__ import annotations

import functools
import itertools
import json
import operator
import random
import re

import numpy as np
import pytest

import matcalc
from matcalc.derive.cost import cost, optimal

NET = ["L = (y - t)**2/2", "y = v.T*s", "s = W2*z", "z = W1*x"]
LET = ["x:2", "W1:2,2", "W2:2,2", "v:2"]
LET_ARGS = [a for spec in LET for a in ("--let", spec)]


@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_network_w1_matches_direct_gradient(layout):
    r = matcalc.chain(NET, wrt="W1", let=LET, layout=layout, check=True)
    assert r.check_ok
    assert "symbolically" in r.chain.agreement
    direct = matcalc.grad("(v.T*W2*W1*x - t)**2/2", wrt="W1", let=LET, layout=layout)
    assert r.chain.direct == direct.node
    if layout != "numerator":
        assert r.text() == "(y - t) W2ᵀ v xᵀ"
    assert [f.name for f in r.chain.factors] == ["∂L/∂y", "∂y/∂s", "∂s/∂z", "∂z/∂W1"]


@pytest.mark.parametrize("wrt,want", [("W2", "(y - t) v zᵀ"), ("v", "(y - t) s")])
def test_network_other_parameters(wrt, want):
    steps = (
        ["L = (y - t)**2/2", "y = v.T*s", "s = W2*z"]
        if wrt == "W2"
        else ["L = (y - t)**2/2", "y = v.T*s"]
    )
    r = matcalc.chain(
        steps, wrt=wrt, let=[*LET, "z:2", "s:2"] if wrt == "v" else [*LET, "z:2"], check=True
    )
    assert r.text() == want and r.check_ok


def test_mixed_formula_has_transposes():
    r = matcalc.chain(["L = z.T*z", "z = A*x"], wrt="x", let=["x:n", "A:m,n"])
    assert r.chain.formula == "dL/dx = (∂z/∂x)ᵀ ∂L/∂z"
    assert r.text() == "2 Aᵀ z"
    r = matcalc.chain(["L = z.T*z", "z = A*x"], wrt="x", let=["x:n", "A:m,n"], layout="numerator")
    assert r.chain.formula == "dL/dx = ∂L/∂z · ∂z/∂x"


def test_three_cases_of_the_source():
    sv = matcalc.chain(["f = z.T*z", "z = tanh(A*x)"], wrt="x", let=["x:n", "A:m,n"], check=True)
    vs = matcalc.chain(["y = sin(z)", "z = t*a"], wrt="t", let=["a:n"], check=True)
    vv = matcalc.chain(
        ["y = tanh(W*z)", "z = A*x"], wrt="x", let=["x:n", "A:m,n", "W:k,m"], check=True
    )
    assert sv.check_ok and vs.check_ok and vv.check_ok
    assert vs.shape == ("n", 1) and vv.shape == ("k", "n") and sv.shape == ("n", 1)
    assert vv.chain.shapes == "(k×m) (m×n) → k×n"


@pytest.mark.parametrize(
    ("layout", "by_w", "by_b"),
    [
        ("mixed", "(nh×mh) (mh×mk) (mk×1) → nh×1 = vec of n×h", "(k×mk) (mk×1) → k×1"),
        ("numerator", "(1×mk) (mk×mh) (mh×nh) → 1×nh = vec(…)ᵀ of h×n", "(1×mk) (mk×k) → 1×k"),
    ],
)
def test_a_matrix_gradient_meets_vec_jacobians_as_a_vec(layout, by_w, by_b):
    """∂L/∂Z of an m×k step is km×1 beside the vec Jacobians: the shapes multiply out."""
    steps = ["L = -sum(Y .* log_softmax(Z, dim=1))/m", "Z = H*W2 + b2'", "H = relu(X*W1 + b1')"]
    let = ["X:m,n", "W1:n,h", "b1:h", "W2:h,k", "b2:k", "Y:m,k"]
    w, b = matcalc.chain(steps, wrt="W1,b2", let=let, layout=layout).results
    norm = lambda s: re.sub(r"\b([a-z])([a-z])\b", lambda m: "".join(sorted(m.groups())), s)  # noqa: E731
    assert norm(w.chain.shapes) == norm(by_w)
    assert norm(b.chain.shapes) == norm(by_b)


def test_chain_errors(cli):
    code, _, err = cli("chain", "y = z", "z = y", "--wrt", "x", "--let", "x:n")
    assert code == 2 and "cycle" in err
    code, _, err = cli("chain", "y = z", "y = x", "--wrt", "x", "--let", "x:n")
    assert code == 2 and "twice" in err
    code, _, err = cli("chain", "y = 2*z", "z = x", "w = x", "--wrt", "x", "--let", "x:n")
    assert code == 2 and "one output" in err
    code, _, err = cli("chain", "y = 2*z", "--wrt", "x")
    assert code == 2
    code, _, err = cli("chain", "nonsense", "--wrt", "x")
    assert code == 2 and "NAME = EXPR" in err


def test_wrt_in_several_steps_sums_the_paths():
    """SPEC §1 v2: a --wrt variable used by several steps: every path contributes."""
    r = matcalc.chain(["y = x + z", "z = x"], wrt="x", let=["x:n"], check=True)
    assert r.text() == "2 𝐈ₙ" and r.check_ok  # the size as a subscript: no context sizes 𝐈
    r = matcalc.chain(["L = z.T*x", "z = A*x"], wrt="x", let=["x:n", "A:n,n"], check=True)
    assert r.check_ok and "symbolically" in r.chain.agreement
    rng = np.random.default_rng(4)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    got = eval(r.numpy(), {"np": np, "A": A, "x": x, "z": A @ x, "n": 3})
    assert np.allclose(got, (A + A.T) @ x)  # L = xᵀAᵀx


def test_chain_cli_formats(cli):
    args = [
        "chain",
        *NET,
        "--wrt",
        "W1",
        *functools.reduce(operator.iadd, (["--let", s] for s in LET), []),
    ]
    code, out, _ = cli(*args, "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["text"] == "(y - t) W2ᵀ v xᵀ" and len(data["factors"]) == 4
    code, out, _ = cli(*args, "-f", "latex")
    assert out.startswith("\\begin{align*}") and "\\otimes" in out


def test_vjp_explain(cli):
    _code, out, _ = cli(
        "vjp",
        "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]",
        "--wrt",
        "x",
        "--v",
        "3,2,1",
        "--at",
        "x=[1,2,3]",
        "--explain",
    )
    assert "3·[3, 8, 3] + 2·[3, 8, 27] + 1·[2, 12, 18]" in out and out.startswith("[17, 52, 81]")


def test_jvp_explain_from_the_api():
    """J v by columns: J of [x1 x2, x1 + x2] at x = (3, 4) is [[4, 3], [1, 1]] (by hand), so
    J (1, 2) = 1·[4, 1] + 2·[3, 1] = [10, 3]."""
    from matcalc import api

    out = api.explain("jvp", "[x1*x2, x1+x2]", wrt="x", v="1,2", at=["x=[3,4]"])
    assert out.splitlines()[1:3] == ["     = 1·[4, 1] + 2·[3, 1]", "     = [10, 3]"]


def test_matrix_level_vjp_is_symbolic():
    r = matcalc.vjp("tanh(W*x)", wrt="x", v="u", let=["W:m,n", "x:n", "u:m"], check=True)
    assert r.check_ok and r.shape == ("n", 1)
    r = matcalc.vjp("W*x", wrt="W", v="u", let=["W:m,n", "x:n", "u:m"], check=True)
    assert r.text() == "u xᵀ" and r.check_ok  # what PyTorch leaves in W.grad
    r = matcalc.jvp("W*x", wrt="x", v="d", let=["W:m,n", "x:n", "d:n"])
    assert r.text() == "W d"


def test_steps_show_the_differential():
    r = matcalc.grad("x.T*A*x", wrt="x", let=["x:n", "A:n,n"], steps=True)
    texts = [t for t, _, _ in r.steps]
    assert texts == ["d(xᵀ A x) = dxᵀ A x + xᵀ A dx", "= xᵀ (A + Aᵀ) dx", "⇒ ∇_x = (A + Aᵀ) x"]
    assert "product rule" in r.steps[0][2]


def test_steps_in_latex_by_hand(cli):
    """`--steps -f latex`: every line's nodes in LaTeX, the last line the result as printed."""
    code, out, _ = cli(
        "grad",
        "tr(X*A)",
        "--let",
        "X:n,n",
        "--let",
        "A:n,n",
        "--wrt",
        "X",
        "--steps",
        "-f",
        "latex",
    )
    assert code == 0
    assert out.splitlines() == [
        r"\begin{align*}",
        r"\mathrm{d}\left(\operatorname{tr}\left(X A\right)\right) &= "
        r"\operatorname{tr}\left(\mathrm{d}X A\right) \\",
        r"&= \operatorname{tr}\left(A \mathrm{d}X\right) \\",
        r"\Rightarrow \nabla_{X} &= A^{\top}",
        r"\end{align*}",
    ]


def test_cost_source_example():
    for n in (2, 4, 10, 50):
        c = cost([(2, 2)] * n + [(2, 1)])
        ltr, rtl, opt = c.orders
        assert ltr.inner_products == 4 * (n - 1) + 2
        assert rtl.inner_products == 2 * n
        assert opt.multiplications == rtl.multiplications


def _brute(d: list[int]) -> int:
    @__import__("functools").lru_cache(None)
    def best(i: int, j: int) -> int:
        if i == j:
            return 0
        return min(best(i, k) + best(k + 1, j) + d[i] * d[k + 1] * d[j + 1] for k in range(i, j))

    return best(0, len(d) - 2)


def _all_orders(i: int, j: int, d: list[int]) -> set[int]:
    if i == j:
        return {0}
    out = set()
    for k in range(i, j):
        for a, b in itertools.product(_all_orders(i, k, d), _all_orders(k + 1, j, d)):
            out.add(a + b + d[i] * d[k + 1] * d[j + 1])
    return out


@pytest.mark.parametrize("seed", range(25))
def test_optimal_matches_enumeration(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 8)
    d = [rng.randint(1, 12) for _ in range(n + 1)]
    shapes = [(d[i], d[i + 1]) for i in range(n)]
    mults, _, _ = optimal(shapes)
    assert mults == min(_all_orders(0, n - 1, d)) == _brute(d)


def test_cost_cli(cli):
    _code, out, _ = cli("cost", "2x2", "2x2", "2x1", "-f", "json")
    data = json.loads(out)
    assert [o["name"] for o in data["orders"]] == ["left-to-right", "right-to-left", "optimal"]
    assert data["shapes"] == [[2, 2], [2, 2], [2, 1]]
    assert cli("cost", "2x3", "2x2")[0] == 2
    assert cli("cost", "banana")[0] == 2


def test_torch_backward_matches_vjp():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torch.stack(
        [
            x[0] ** 3 + 2 * x[1] ** 2 + 3 * x[2],
            3 * x[0] + 2 * x[1] ** 2 + x[2] ** 3,
            2 * x[0] + x[1] ** 3 + 3 * x[2] ** 2,
        ]
    )
    y.backward(torch.tensor([3.0, 2.0, 1.0]))
    r = matcalc.vjp(
        "[x1**3+2*x2**2+3*x3, 3*x1+2*x2**2+x3**3, 2*x1+x2**3+3*x3**2]",
        wrt="x",
        v="3,2,1",
        at={"x": [1, 2, 3]},
    )
    assert np.array_equal(x.grad.numpy(), np.array([float(e) for e in r.value]))


def test_torch_network_matches_chain_and_grad():
    torch = pytest.importorskip("torch")
    vals = {
        "x": [1.0, 2.0],
        "W1": [[0.5, -1.0], [2.0, 0.25]],
        "W2": [[2.0, 1.0], [0.0, 1.0]],
        "v": [1.0, -1.0],
    }
    t = 0.5
    T = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in vals.items()}
    y = T["v"] @ (T["W2"] @ (T["W1"] @ T["x"]))
    loss = (y - t) ** 2 / 2
    loss.backward()
    at = {**vals, "t": "1/2"}
    for wrt in ("W1", "W2", "v"):
        ours = matcalc.grad("(v.T*W2*W1*x - t)**2/2", wrt=wrt, let=LET, at=at).value
        assert np.allclose(
            np.array(ours.tolist(), dtype=float).reshape(T[wrt].grad.shape), T[wrt].grad.numpy()
        )
    chained = matcalc.chain(NET, wrt="W1", let=LET)
    assert chained.chain.direct == matcalc.grad("(v.T*W2*W1*x - t)**2/2", wrt="W1", let=LET).node


def test_cost_from_chain(cli):
    args = [
        "cost",
        "--from-chain",
        *NET,
        "--wrt",
        "W1",
        *LET_ARGS,
        "-f",
        "json",
    ]
    code, out, _ = cli(*args)
    data = json.loads(out)
    assert code == 0 and data["shapes"] == [[1, 1], [1, 2], [2, 2], [2, 4]]
    ltr, rtl, _ = data["orders"]
    assert ltr["inner_products"] < rtl["inner_products"]  # a scalar loss: reverse mode wins
    assert cli("cost", "--from-chain", "y = 2*z", "z = x", "--let", "x:n", "--wrt", "x")[0] == 2


def test_cost_json_has_exactly_the_spec_keys(cli):
    data = json.loads(cli("cost", "2x2", "2x1", "-f", "json")[1])
    assert set(data) == {"shapes", "orders"}
    assert all(
        set(o) == {"name", "multiplications", "inner_products", "parenthesization"}
        for o in data["orders"]
    )


def test_vjp_accepts_and_ignores_layout(cli):
    for layout in ("mixed", "numerator", "denominator"):
        code, out, _ = cli(
            "vjp",
            "[x1**2, x1*x2]",
            "--wrt",
            "x",
            "--v",
            "1,1",
            "--at",
            "x=[1,2]",
            "--layout",
            layout,
        )
        assert (code, out) == (0, "[4, 1]\n")


def test_literal_v_binds_a_symbolic_size(cli):
    """SPEC §1 v2: a literal --v whose size meets a symbolic dimension binds it."""
    code, out, _ = cli(
        "vjp", "tanh(x)", "--let", "x:n", "--wrt", "x", "--v", "1,2,3", "--at", "x=[0,0,0]"
    )
    assert (code, out) == (0, "[1, 2, 3]\n")
    code, out, _ = cli("jvp", "x.*x", "--let", "x:n", "--wrt", "x", "--v", "1,1", "--at", "x=[3,4]")
    assert (code, out) == (0, "[6, 8]\n")
    code, out, _ = cli("vjp", "A*x", "--let", "x:n", "--let", "A:m,n", "--wrt", "x", "--v", "1,2")
    assert (code, out) == (0, "Aᵀ [1, 2]\n")
    code, _, err = cli(
        "vjp",
        "A*x",
        "--let",
        "x:n",
        "--let",
        "A:n,n",
        "--wrt",
        "x",
        "--v",
        "1,2",
        "--at",
        "x=[1,2,3]",
    )
    assert code == 2 and err.startswith("error: ")


def test_a_tensor_chain_prints_its_map_and_its_array():
    """y = tanh(W z), z = A x by A: the text and LaTeX are the map dF = L(dA); the NumPy line's
    array (F's axis, then A's) against central differences of the tests' own NumPy tanh(W A x)."""
    r = matcalc.chain(["y = tanh(W*z)", "z = A*x"], wrt="A", let=["x:3", "A:4,3", "W:2,4"])
    assert r.text() == "dF = (W dA x) ⊙ (𝟏 - tanh(W z)⊙²)"
    assert r.latex().startswith(r"\mathrm{d}F = \left(W \mathrm{d}A x\right) \odot")
    assert r.shape == (2, 4, 3)
    rng = np.random.default_rng(5)
    W, A, x = rng.normal(size=(2, 4)) / 2, rng.normal(size=(4, 3)) / 2, rng.normal(size=3)
    got = eval(r.numpy(), {"np": np, "W": W, "A": A, "x": x, "z": A @ x})
    h, want = 1e-6, np.zeros((2, 4, 3))
    for i, j in itertools.product(range(4), range(3)):
        E = np.zeros((4, 3))
        E[i, j] = h
        want[:, i, j] = (np.tanh(W @ (A + E) @ x) - np.tanh(W @ (A - E) @ x)) / (2 * h)
    assert np.allclose(got, want, atol=1e-7)


def test_the_chain_command_goes_through_the_api(cli, monkeypatch):
    """`matcalc chain` is a thin layer over the API's runner, which `matcalc.chain` calls too
    (SPEC §6): the API's guard applies."""
    seen = []
    import matcalc.api

    real = matcalc.api.run

    def spy(*args, **kwargs):
        seen.append(args[:2])
        return real(*args, **kwargs)

    monkeypatch.setattr(matcalc.api, "run", spy)
    code, out, _ = cli("chain", "L = y^2", "y = x'*x", "--let", "x:2", "--wrt", "x")
    assert code == 0 and seen == [("chain", ["L = y^2", "y = x'*x"])], (code, out, seen)


def test_a_factor_holding_a_steps_value_is_written_with_its_name(cli):
    """tanh′ as a book writes it: ∂z/∂x = diag(𝟏 - z⊙²) A for z = tanh(A x)."""
    code, out, err = cli(
        "chain", "f = z.T*z", "z = tanh(A*x)", "--let", "x:n", "--let", "A:m,n", "--wrt", "x"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "  ∂z/∂x  m×n  diag(𝟏 - z⊙²) A" in lines
    assert "result: df/dx = Aᵀ (δ_z ⊙ (𝟏 - z⊙²)) = 2 Aᵀ (z ⊙ (𝟏 - z⊙²))" in lines
    rng = np.random.default_rng(3)
    A, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    z = np.tanh(A @ x)
    factor = matcalc.show("diag(1 - z.^2)*A", let=["z:m", "A:m,n"])  # the printed factor
    got = eval(factor.numpy(), {"np": np, "z": z, "A": A, "m": 3, "n": 2})
    h = 1e-6
    want = np.array([(np.tanh(A @ (x + h * e)) - np.tanh(A @ (x - h * e))) / (2 * h)
                     for e in np.eye(2)]).T  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
