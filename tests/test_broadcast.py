"""Vectors broadcast against matrices (SPEC §7.1): every form (+ - .* ./ ⊙ ⊘; a row over the
rows, a column over the columns, PyTorch's 1-D bias) at symbolic and integer sizes, its value
against NumPy's own broadcasting written here, its derivatives against central finite
differences of that NumPy function (tests/oracle.py) in every layout and format, the ambiguous
square case word for word, and the batch models against PyTorch where it is installed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError
from tests import oracle
from tests.alarm import time_limit

SIZES = {"m": 3, "k": 4, "n": 2}
SHAPES = {"X": ("m", "k"), "A": ("m", "n"), "W": ("n", "k"), "b": ("k",), "c": ("m",)}
LAYOUTS = ("mixed", "numerator", "denominator")


def let(symbolic: bool) -> list[str]:
    size = (lambda d: d) if symbolic else (lambda d: str(SIZES[d]))
    return [f"{v}:{','.join(size(d) for d in s)}" for v, s in SHAPES.items()]


def shape_of(name: str) -> tuple[int, ...]:
    return tuple(SIZES[d] for d in SHAPES[name])


# (text, NumPy's broadcasting of the same thing) — NumPy reads a 1-D b beside an m×k array as a
# row; c[:, None] is a column over the columns; b' is b as a row.
FORMS = [
    ("X + b'", lambda X, b, **_: X + b[None, :]),
    ("b' - X", lambda X, b, **_: b[None, :] - X),
    ("X - b", lambda X, b, **_: X - b),
    ("b + X", lambda X, b, **_: b + X),
    ("X - c", lambda X, c, **_: X - c[:, None]),
    ("c + X", lambda X, c, **_: c[:, None] + X),
    ("X .* b'", lambda X, b, **_: X * b[None, :]),
    ("c .* X", lambda X, c, **_: c[:, None] * X),
    ("X .* b", lambda X, b, **_: X * b),
    ("X ./ b", lambda X, b, **_: X / b),
    ("c ./ X", lambda X, c, **_: c[:, None] / X),
    ("X ./ c", lambda X, c, **_: X / c[:, None]),
    ("X ⊙ c", lambda X, c, **_: X * c[:, None]),
    ("b' ⊘ X", lambda X, b, **_: b[None, :] / X),
    ("hadamard(X, b')", lambda X, b, **_: X * b),
    ("hadamard(c, X)", lambda X, c, **_: c[:, None] * X),
    ("A*W + b", lambda A, W, b, **_: A @ W + b),
    ("A*W + b'", lambda A, W, b, **_: A @ W + b),
    ("A*W - c", lambda A, W, c, **_: A @ W - c[:, None]),
    ("(X - c) .* (X + b)", lambda X, b, c, **_: (X - c[:, None]) * (X + b)),
]
FORM_IDS = [f[0] for f in FORMS]


def names_in(text: str) -> list[str]:
    return [v for v in SHAPES if re.search(rf"\b{v}\b", text)]


def point(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    return {v: oracle.random_array(shape_of(v), rng) for v in SHAPES}


def value(r, env: dict) -> np.ndarray:
    return np.asarray(eval(r.numpy(), {"np": np, **env}), dtype=float)  # the SPEC's recipe


def close(got: object, want: object, what: str, rtol: float = 1e-6) -> None:
    ok, why = oracle.compare(got, want, rtol)
    assert ok, f"{what}: {why}\n got  {np.asarray(got).tolist()}\n want {np.asarray(want).tolist()}"


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("symbolic", [True, False], ids=["symbolic", "integer"])
@pytest.mark.parametrize(("text", "reference"), FORMS, ids=FORM_IDS)
def test_a_broadcast_has_numpys_value_and_reads_back(text, reference, symbolic):
    env = {**point(1), **SIZES}
    want = reference(**env)
    r = matcalc.show(text, let=let(symbolic))
    assert r.shape == tuple(SIZES[d] if not symbolic else d for d in ("m", "k"))
    close(value(r, env), want, f"{text}: numpy")
    close(value(matcalc.show(r.text(), let=let(symbolic)), env), want, f"{text}: text read back")
    back = matcalc.show(r.latex(), let=let(symbolic), input="latex")
    close(value(back, env), want, f"{text}: LaTeX read back")


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("X*W + b'", "X W + 𝟏ₘ bᵀ"),
        ("X*W + b", "X W + 𝟏ₘ bᵀ"),
        ("X - mu", "X - μ 𝟏ₖᵀ"),
        ("X - mu2'", "X - 𝟏ₘ mu2ᵀ"),
        ("X .* mu", "X ⊙ (μ 𝟏ₖᵀ)"),
    ],
)
def test_a_broadcast_prints_in_matrix_notation(text, printed):
    let_ = ["X:m,k", "W:k,k", "b:k", "mu:m", "mu2:k"]
    assert matcalc.show(text, let=let_).text() == printed


# --------------------------------------------------------------------------- the square case


@pytest.mark.parametrize(
    ("text", "let_", "column", "message"),
    [
        (
            "X + b",
            ["X:n,n", "b:n"],
            3,
            "X + b is ambiguous: b has length n and X is n×n; "
            "write b' to act on every row, or b*ones(n)' to act on every column",
        ),
        (
            "X*W .* b",
            ["X:3,4", "W:4,3", "b:3"],
            5,
            "X W .* b is ambiguous: b has length 3 and X W is 3×3; "
            "write b' to act on every row, or b*ones(3)' to act on every column",
        ),
        (
            "(A*x) ./ X",
            ["X:n,n", "A:n,n", "x:n"],
            7,
            "(A x) ./ X is ambiguous: (A x) has length n and X is n×n; "
            "write (A x)' to act on every row, or (A x)*ones(n)' to act on every column",
        ),
    ],
)
def test_a_vector_beside_a_square_matrix_is_ambiguous(cli, text, let_, column, message):
    with pytest.raises(MatcalcError) as err:
        matcalc.show(text, let=let_)
    assert (str(err.value).splitlines()[0], err.value.pos) == (message, column - 1)
    code, out, errs = cli("show", text, *(a for s in let_ for a in ("--let", s)))
    assert (code, out) == (2, "")
    assert errs.splitlines()[0] == f"error: {message} (column {column})"
    assert "Traceback" not in errs


SLICE_FORMS = [  # sizes that are dimension expressions: n - 1 beside m
    ("ones(n-1)*y' + x[2:n]", lambda x, y: np.outer(np.ones(3), y) + x[1:, None]),
    ("ones(n-1)*y' ./ y", lambda x, y: np.outer(np.ones(3), y) / y),
    ("x[1:n-1] .* (ones(n-1)*y')", lambda x, y: x[:-1, None] * np.outer(np.ones(3), y)),
]


@pytest.mark.parametrize(("text", "reference"), SLICE_FORMS, ids=[f[0] for f in SLICE_FORMS])
def test_sizes_that_are_dimension_expressions(text, reference):
    env = {"x": np.array([0.5, -1.2, 0.9, 1.4]), "y": np.array([-0.7, 1.1]), "n": 4, "m": 2}
    r = matcalc.show(text, let=["x:n", "y:m"])
    want = reference(env["x"], env["y"])
    close(value(r, env), want, text)
    close(value(matcalc.show(r.text(), let=["x:n", "y:m"]), env), want, f"{text}: {r.text()}")
    g = matcalc.grad(f"sum(sin({text}))", wrt="x", let=["x:n", "y:m"])
    f = lambda x, y, **_: np.sum(np.sin(reference(x, y)))  # noqa: E731
    dims = {"n": 4, "m": 2}
    p = oracle.find_point(f, {"x": (4,), "y": (2,)}, {}, "x", dims, np.random.default_rng(1))
    close(value(g, {**p.values, **dims}), p.jac[0], f"grad of {text}")


def test_a_dimension_expression_can_be_ambiguous():
    with pytest.raises(MatcalcError) as err:
        matcalc.show("ones(n-1)*x[1:n-1]' - x[2:n]", let=["x:n"])
    assert str(err.value).splitlines()[0] == (
        "ones(n - 1) x[1:n - 1]ᵀ - x[2:n] is ambiguous: x[2:n] has length n - 1 and "
        "ones(n - 1) x[1:n - 1]ᵀ is (n - 1)×(n - 1); write x[2:n]' to act on every row, "
        "or x[2:n]*ones(n - 1)' to act on every column"
    )


@pytest.mark.parametrize(
    ("text", "rows"),
    [("X + b'", True), ("X + b*ones(n)'", False), ("X - c*ones(n)'", False)],
)
def test_both_spellings_of_the_square_case_work(text, rows):
    r = matcalc.show(text, let=["X:n,n", "b:n", "c:n"])
    env = {"X": np.arange(9.0).reshape(3, 3), "b": np.array([1.0, -2.0, 3.0]), "n": 3}
    env["c"] = env["b"]
    sign = -1 if "-" in text else 1
    want = env["X"] + sign * (env["b"][None, :] if rows else env["b"][:, None])
    close(value(r, env), want, text)


@pytest.mark.parametrize(
    ("text", "let_", "message"),
    [
        ("X + b", ["X:m,k", "b:n"], "shape mismatch in sum: X is m×k but b is n (vector)"),
        ("X + b'", ["X:m,k", "b:m"], "shape mismatch in sum: X is m×k but bᵀ is 1×m (row vector)"),
        ("x + y'", ["x:n", "y:n"], "shape mismatch in sum: x is n (vector) but yᵀ is 1×n"),
        (  # a size that is a sum is one factor of the shape
            "x[2:n]'*A*x",
            ["x:n", "A:n,n"],
            "shape mismatch in product: x[2:n]ᵀ is 1×(n - 1) (row vector) but A is n×n",
        ),
        ("x'*A[2:n, 1:n]", ["x:n", "A:n,n"], "but A[2:n,1:n] is (n - 1)×n"),
    ],
)
def test_what_does_not_broadcast_is_still_a_mismatch(text, let_, message):
    with pytest.raises(MatcalcError, match=re.escape(message)):
        matcalc.show(text, let=let_)


# --------------------------------------------------------------------------- derivatives


def objective(text: str) -> tuple[str, object]:
    """A scalar of the form, nonlinear so that every entry matters: sum(sin(F))."""
    reference = dict(FORMS)[text]
    return f"sum(sin({text}))", lambda **v: float(np.sum(np.sin(reference(**v))))


def derivative_cases() -> list:
    """Every form by each of its vector and matrix variables, at symbolic sizes in every layout
    and at integer sizes in the mixed one (the layouts are the same code at either size)."""
    out = []
    for text in FORM_IDS:
        for wrt in names_in(text):
            for symbolic in (True, False):
                for layout in LAYOUTS if symbolic else ("mixed",):
                    kind = "symbolic" if symbolic else "integer"
                    out.append(
                        pytest.param(
                            text, wrt, symbolic, layout, id=f"{text}-{wrt}-{kind}-{layout}"
                        )
                    )
    return out


def fd_point(f, wrt: str, seed: int, hessian: bool = False) -> oracle.Point:
    shapes = {v: shape_of(v) for v in SHAPES}
    return oracle.find_point(
        f, shapes, {}, wrt, SIZES, np.random.default_rng(seed), hessian=hessian
    )


@pytest.mark.parametrize(("text", "wrt", "symbolic", "layout"), derivative_cases())
def test_grad_of_a_broadcast_matches_finite_differences(text, wrt, symbolic, layout):
    expr, f = objective(text)
    p = fd_point(f, wrt, seed=len(text) + len(wrt))
    env = {**p.values, **SIZES}
    want = oracle.expected("grad", p.jac, p.f_shape, p.x_shape, layout)
    with time_limit(120):
        r = matcalc.grad(expr, wrt=wrt, let=let(symbolic), layout=layout)
        close(value(r, env), want, f"grad {expr} by {wrt} ({layout}): numpy")
        text_back = matcalc.show(r.text(), let=let(symbolic))
        close(value(text_back, env), want, f"grad by {wrt} ({layout}): text {r.text()}")
        latex_back = matcalc.show(r.latex(), let=let(symbolic), input="latex")
        close(value(latex_back, env), want, f"grad by {wrt} ({layout}): LaTeX {r.latex()}")
        ns: dict[str, object] = {}
        exec(compile(r.python(), "<generated>", "exec"), ns)
        f0, g = ns["f_and_grad"](**{v: env[v] for v in names_in(text)})
    assert abs(float(f0) - f(**env)) <= 1e-9 * max(1.0, abs(f(**env)))
    close(g, want, f"grad by {wrt} ({layout}): python module")


@pytest.mark.parametrize("text", FORM_IDS[::3])
def test_componentwise_agrees_at_integer_sizes(text):
    """--expand: the derivative entry by entry (the other engine) has the same value."""
    expr, f = objective(text)
    wrt = names_in(text)[-1]
    p = fd_point(f, wrt, seed=9)
    want = oracle.expected("grad", p.jac, p.f_shape, p.x_shape, "mixed")
    with time_limit(120):
        r = matcalc.grad(expr, wrt=wrt, let=let(False), expand=True)
    close(value(r, {**p.values, **SIZES}), want, f"grad {expr} by {wrt} --expand")


def jacobian_cases() -> list:
    out = []
    for text in FORM_IDS:
        for wrt in (v for v in names_in(text) if len(SHAPES[v]) == 1):
            for layout in LAYOUTS:
                out.append(pytest.param(text, wrt, layout, id=f"{text}-{wrt}-{layout}"))
    return out


@pytest.mark.parametrize(("text", "wrt", "layout"), jacobian_cases())
def test_jacobian_of_a_broadcast_times_a_vector(cli, text, wrt, layout):
    """(F) u, an m-vector, by the broadcast vector: an m×|wrt| Jacobian, by the CLI's json and
    numpy formats (integer sizes) — u is a fixed vector of the test's own."""
    reference = dict(FORMS)[text]
    u = np.array([0.7, -1.1, 0.4, 1.3])
    p = fd_point(lambda **v: reference(**v) @ u, wrt, seed=3 + len(text))
    env = {**p.values, **SIZES, "u": u}
    want = oracle.expected("jacobian", p.jac, p.f_shape, p.x_shape, layout)
    args = ["jacobian", f"({text})*u", "--wrt", wrt, "--layout", layout, "--let", "u:4"]
    args += [a for s in let(False) for a in ("--let", s)]
    with time_limit(120):
        code, out, err = cli(*args, "--format", "json")
        assert code == 0, err
        data = json.loads(out)
        close(eval(data["numpy"], {"np": np, **env}), want, f"json numpy ({layout})")
        n = SIZES["k" if wrt == "b" else "m"]
        assert data["shape"] == ([n, 3] if layout == "denominator" else [3, n])
        back = matcalc.show(data["text"], let=[*let(False), "u:4"])
        close(value(back, env), want, f"json text {data['text']} read back")
        back = matcalc.show(data["latex"], let=[*let(False), "u:4"], input="latex")
        close(value(back, env), want, f"json LaTeX {data['latex']} read back")
        code, out, err = cli(*args, "--format", "numpy")
        assert code == 0, err
        close(eval(out, {"np": np, **env}), want, f"numpy line ({layout})")


# --------------------------------------------------------------------------- the batch models

MODEL_LET = ["X:m,n", "W:n,k", "b:k", "Y:m,k", "mu:n", "s:n", "S:n,n,sym"]
MODEL_SIZES = {"m": 5, "n": 3, "k": 2}


def model_point(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    dims = {"X": ("m", "n"), "W": ("n", "k"), "b": ("k",), "Y": ("m", "k"), "mu": ("n",)}
    v = {k: oracle.random_array(tuple(MODEL_SIZES[d] for d in s), rng) for k, s in dims.items()}
    v["s"] = oracle.random_array((MODEL_SIZES["n"],), rng, "positive")  # variances
    v["S"] = oracle.random_array((MODEL_SIZES["n"],) * 2, rng, "sym_near_eye")  # a covariance
    return v


MODELS = [
    (
        "least squares, bias b'",
        "norm2(X*W + b' - Y)^2/2",
        "W,b",
        ["Xᵀ (X W + 𝟏ₘ bᵀ - Y)", "(X W + 𝟏ₘ bᵀ - Y)ᵀ 𝟏"],
        lambda X, W, b, Y, **_: np.sum((X @ W + b - Y) ** 2) / 2,
    ),
    (
        "least squares, PyTorch's bias b",
        "norm2(X*W + b - Y)^2/2",
        "W,b",
        ["Xᵀ (X W + 𝟏ₘ bᵀ - Y)", "(X W + 𝟏ₘ bᵀ - Y)ᵀ 𝟏"],
        lambda X, W, b, Y, **_: np.sum((X @ W + b - Y) ** 2) / 2,
    ),
    (
        "centred data",
        "norm2(X - mu')^2/2",
        "mu",
        ["-(X - 𝟏ₘ μᵀ)ᵀ 𝟏"],
        lambda X, mu, **_: np.sum((X - mu) ** 2) / 2,
    ),
    (
        "logistic regression",
        "sum(softplus(X*W + b) - Y .* (X*W + b))",
        "W,b",
        ["Xᵀ (σ(X W + 𝟏ₘ bᵀ) - Y)", "(σ(X W + 𝟏ₘ bᵀ) - Y)ᵀ 𝟏"],
        lambda X, W, b, Y, **_: np.sum(np.logaddexp(0, X @ W + b) - Y * (X @ W + b)),
    ),
    (
        "a biased tanh layer",
        "sum(tanh(X*W + b) .* Y)",
        "W,b",
        [
            "Xᵀ (Y ⊙ (ones(m, k) - tanh(X W + 𝟏ₘ bᵀ)⊙²))",
            "(Y ⊙ (ones(m, k) - tanh(X W + 𝟏ₘ bᵀ)⊙²))ᵀ 𝟏",
        ],
        lambda X, W, b, Y, **_: np.sum(np.tanh(X @ W + b) * Y),
    ),
    (
        "Gaussian NLL, diagonal covariance",
        "sum((X - mu').^2 ./ s')/2 + m*sum(log(s))/2",
        "mu,s",
        [
            "-((X - 𝟏ₘ μᵀ) ⊘ (𝟏ₘ sᵀ))ᵀ 𝟏",
            "m s⊙⁻¹/2 - (1/2) ((X - 𝟏ₘ μᵀ)⊙² ⊘ (𝟏ₘ sᵀ)⊙²)ᵀ 𝟏",
        ],
        lambda X, mu, s, m, **_: np.sum((X - mu) ** 2 / s) / 2 + m * np.sum(np.log(s)) / 2,
    ),
    (
        "Gaussian NLL, full covariance",
        "tr((X - mu')*inv(S)*(X - mu')')/2 + m*logdet(S)/2",
        "mu,S",
        [
            "-S⁻¹ (X - 𝟏ₘ μᵀ)ᵀ 𝟏",
            "(m S⁻¹ - S⁻¹ (X - 𝟏ₘ μᵀ)ᵀ (X - 𝟏ₘ μᵀ) S⁻¹)/2",
        ],
        lambda X, mu, S, m, **_: (
            np.trace((X - mu) @ np.linalg.inv(S) @ (X - mu).T) / 2
            + m * np.log(np.linalg.det(S)) / 2
        ),
    ),
]
MODEL_IDS = [m[0] for m in MODELS]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("what", "expr", "wrt", "printed", "reference"), MODELS, ids=MODEL_IDS)
def test_a_batch_model_matches_finite_differences(what, expr, wrt, printed, reference, layout):
    v = model_point(7)
    with time_limit(120):
        r = matcalc.grad(expr, wrt=wrt, let=MODEL_LET, layout=layout)
    parts = r.results if hasattr(r, "results") else [r]
    for name, part in zip(wrt.split(","), parts, strict=True):
        p = oracle.find_point(
            lambda **w: reference(**w),
            {k: np.shape(a) for k, a in v.items()},
            {"s": "positive", "S": "sym_near_eye"},
            name,
            MODEL_SIZES,
            np.random.default_rng(11),
        )
        want = oracle.expected("grad", p.jac, p.f_shape, p.x_shape, layout, sym=name == "S")
        at = {**p.values, **MODEL_SIZES}
        close(value(part, at), want, f"{what} by {name} ({layout})")
        close(value(matcalc.show(part.text(), let=MODEL_LET), at), want, f"{name}: {part.text()}")
    if printed is not None and layout == "mixed":
        assert [x.text() for x in parts] == printed


def torch_grads(expr_fn, v: dict[str, object], wrt: list[str]) -> list[np.ndarray]:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    T = {k: torch.tensor(np.asarray(a), dtype=torch.float64) for k, a in v.items()}
    for name in wrt:
        T[name].requires_grad_(True)
    expr_fn(torch, **T).backward()
    return [T[name].grad.numpy() for name in wrt]


TORCH_MODELS = {
    "sum(softplus(X*W + b) - Y .* (X*W + b))": lambda t, X, W, b, Y, **_: (
        t.nn.functional.softplus(X @ W + b) - Y * (X @ W + b)
    ).sum(),
    "norm2(X*W + b - Y)^2/2": lambda t, X, W, b, Y, **_: ((X @ W + b - Y) ** 2).sum() / 2,
    "sum(tanh(X*W + b) .* Y)": lambda t, X, W, b, Y, **_: (t.tanh(X @ W + b) * Y).sum(),
    "norm2(X - mu')^2/2": lambda t, X, mu, **_: ((X - mu) ** 2).sum() / 2,
}


@pytest.mark.parametrize("expr", list(TORCH_MODELS))
def test_a_batch_model_matches_pytorch(expr):
    wrt = ["mu"] if "mu" in expr else ["W", "b"]
    v = model_point(5)
    want = torch_grads(TORCH_MODELS[expr], v, wrt)
    r = matcalc.grad(expr, wrt=",".join(wrt), let=MODEL_LET)
    got = eval(r.numpy(), {"np": np, **v, **MODEL_SIZES})
    got = got if len(wrt) > 1 else (got,)
    for name, g, w in zip(wrt, got, want, strict=True):
        close(g, w, f"{expr} by {name} vs PyTorch")


# --------------------------------------------------------------------------- how a transpose prints

PRINT_LET = ["A:n,m", "B:n,m", "D:n,n", "X:m,n", "mu:n", "x:n", "y:m"]
PRINTS = [
    ("A' .* B'", "(A ⊙ B)ᵀ", lambda A, B, **_: (A * B).T),  # ⊙ under one ᵀ
    ("(A' .* B') * x", "(A ⊙ B)ᵀ x", lambda A, B, x, **_: (A * B).T @ x),
    ("y' * (A' ./ B')", "yᵀ (A ⊘ B)ᵀ", lambda A, B, y, **_: y @ (A / B).T),
    ("X' - mu*ones(m)'", "(X - 𝟏ₘ μᵀ)ᵀ", lambda X, mu, **_: (X - mu).T),  # a broadcast 𝟏 μᵀ
    ("A' + B'*D", "Aᵀ + Bᵀ D", lambda A, B, D, **_: A.T + B.T @ D),  # a tie stays
    ("A' + (D*B)'", "(D B + A)ᵀ", lambda A, B, D, **_: A.T + (D @ B).T),
]


@pytest.mark.parametrize(("text", "printed", "reference"), PRINTS, ids=[p[0] for p in PRINTS])
def test_a_transpose_prints_outside_when_it_saves_marks(text, printed, reference):
    rng = np.random.default_rng(2)
    shapes = {"A": (3, 2), "B": (3, 2), "D": (3, 3), "X": (2, 3), "mu": (3,), "x": (3,), "y": (2,)}
    env = {k: oracle.random_array(s, rng) for k, s in shapes.items()} | {"n": 3, "m": 2}
    r = matcalc.show(text, let=PRINT_LET)
    assert r.text() == printed
    want = np.asarray(reference(**env))
    close(value(r, env), want, f"{text}: numpy {r.numpy()}")
    close(value(matcalc.show(r.text(), let=PRINT_LET), env), want, f"{text}: text read back")
    back = matcalc.show(r.latex(), let=PRINT_LET, input="latex")
    close(value(back, env), want, f"{text}: LaTeX {r.latex()} read back")


# --------------------------------------------------------------------------- found by the random row


def test_an_answer_longer_than_any_input_prints():
    """The names of a where clause are checked by reading the text back; a text longer than any
    input raised the input limit there (found by tests/randexpr.py): now counted piece by piece."""
    expr = (
        "((diag(mu)) * (y / norm(y))).T*diag(([sum(sin(diag(R))), 0.25, t, -t]))"
        "*((inv(Q)) @ (inv(Q))ᵀ+eye(4))*([sum(sin(diag(R))), 0.25, t, -t])"
    )
    let_ = ["mu:4", "R:2,2", "Q:4,4", "y:4"]
    rng = np.random.default_rng(4)
    env = {"mu": rng.normal(size=4), "R": rng.normal(size=(2, 2)), "y": rng.normal(size=4)}
    env["Q"] = np.eye(4) + 0.2 * rng.normal(size=(4, 4))

    def f(t: float) -> float:
        v = np.array([np.sum(np.sin(np.diag(env["R"]))), 0.25, t, -t])
        q = np.linalg.inv(env["Q"])
        left = np.diag(env["mu"]) @ (env["y"] / np.linalg.norm(env["y"]))
        return float(left @ np.diag(v) @ (q @ q.T + np.eye(4)) @ v)

    with time_limit(120):
        r = matcalc.hessian(expr, wrt="t", let=let_, layout="numerator")
        text = r.text()
    assert len(text) > 10_000
    got = float(value(r, {**env, "t": 0.7}))
    assert np.isclose(got, float(oracle.fd_hessian(f, 0.7)[0, 0]), rtol=1e-5)


GRAD_PRINTS = [  # (expression, by, printed, NumPy) — at SIZES, the models' forms as books print them
    ("sum(A*W + b)", "b", "m 𝟏ₖ", lambda A, W, b, **_: np.sum(A @ W + b)),
    ("mean(X - c)", "c", "-𝟏ₘ/m", lambda X, c, **_: np.mean(X - c[:, None])),
    (
        "sum(log(1 + exp(A*W + b)))",
        "b",
        "σ(A W + 𝟏ₘ bᵀ)ᵀ 𝟏",
        lambda A, W, b, **_: np.sum(np.log1p(np.exp(A @ W + b))),
    ),
]


@pytest.mark.parametrize(("expr", "wrt", "printed", "reference"), GRAD_PRINTS)
def test_a_gradient_through_a_broadcast_prints_as_a_book_does(expr, wrt, printed, reference):
    r = matcalc.grad(expr, wrt=wrt, let=let(True))
    assert r.text() == printed
    p = fd_point(reference, wrt, seed=13)
    want = oracle.expected("grad", p.jac, p.f_shape, p.x_shape, "mixed")
    env = {**p.values, **SIZES}
    close(value(r, env), want, f"grad {expr} by {wrt}")
    close(value(matcalc.show(r.text(), let=let(True)), env), want, f"{r.text()} read back")
    back = matcalc.show(r.latex(), let=let(True), input="latex")
    close(value(back, env), want, f"{r.latex()} read back")
