"""Cost-aware code (SPEC §7.4): code formats never form a matrix that a sum of matrix-vector
products avoids, while the printed math keeps its factored form. The arrays passed to the
generated code refuse any entrywise sum of two matrices, so a formed A + Aᵀ fails loudly; the
results are compared with the tests' own NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc


class NoMatrixSum(np.ndarray):
    """A matrix whose sums with other matrices are refused: the temporary the rewrite avoids."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(a) if isinstance(a, NoMatrixSum) else a for a in inputs]
        if ufunc in (np.add, np.subtract) and all(np.ndim(a) == 2 for a in plain):
            raise AssertionError(f"a matrix temporary was formed: np.{ufunc.__name__}")
        out = getattr(ufunc, method)(*plain, **kwargs)
        return out.view(NoMatrixSum) if isinstance(out, np.ndarray) and out.ndim == 2 else out

    def __matmul__(self, other):
        return np.asarray(self) @ np.asarray(other)

    def __rmatmul__(self, other):
        return np.asarray(other) @ np.asarray(self)


CASES = {
    "xᵀAx": ("x'*A*x", "x", ["x:n", "A:n,n"], lambda A, B, x, y: (A + A.T) @ x),
    "scaled sum and identity": (
        "x'*(A + 2*B - eye)*x",
        "x",
        ["x:n", "A:n,n", "B:n,n"],
        lambda A, B, x, y: (A + A.T + 2 * (B + B.T) - 2 * np.eye(len(x))) @ x,
    ),
    "row on the left": (
        "y'*(A + A')*x",
        "x",
        ["x:n", "A:n,n", "y:n"],
        lambda A, B, x, y: y @ (A + A.T),
    ),
}


def _values():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    return {"A": A, "B": B, "x": rng.normal(size=4), "y": rng.normal(size=4), "n": 4}


def _guarded(values: dict) -> dict:
    return {k: v.view(NoMatrixSum) if np.ndim(v) == 2 else v for k, v in values.items()}


@pytest.mark.parametrize("case", CASES)
def test_numpy_line_forms_no_matrix_sum(case):
    expr, wrt, let, want = CASES[case]
    r = matcalc.grad(expr, wrt=wrt, let=let)
    values = _values()
    got = eval(r.numpy(), {"np": np, **_guarded(values)})  # matcalc's line
    assert np.allclose(got, want(values["A"], values["B"], values["x"], values["y"]))


@pytest.mark.parametrize("case", CASES)
def test_python_module_forms_no_matrix_sum(case):
    expr, wrt, let, want = CASES[case]
    r = matcalc.grad(expr, wrt=wrt, let=let)
    namespace: dict = {}
    exec(compile(r.python(), "<generated>", "exec"), namespace)  # matcalc's module
    values = _values()
    guarded = _guarded(values)
    params = namespace["f_and_grad"].__code__.co_varnames[
        : namespace["f_and_grad"].__code__.co_argcount
    ]
    _, got = namespace["f_and_grad"](**{p: guarded[p] for p in params})
    assert np.allclose(got, want(values["A"], values["B"], values["x"], values["y"]))


def test_the_math_keeps_its_factored_form():
    r = matcalc.grad("x'*A*x", wrt="x", let=["x:n", "A:n,n"])
    assert (r.text(), r.latex()) == ("(A + Aᵀ) x", r"\left(A + A^{\top}\right) x")
    assert r.numpy() == "(A @ x) + (A.T @ x)"


def test_hvp_code_forms_no_matrix():
    """H u of xᵀAx in code: two matrix-vector products, neither H = A + Aᵀ nor any n×n array."""
    r = matcalc.hvp("x'*A*x", wrt="x", v="u", let=["x:n", "A:n,n", "u:n"])
    values = _values()
    values["u"] = values.pop("y")
    got = eval(r.numpy(), {"np": np, **_guarded(values)})
    assert np.allclose(got, (values["A"] + values["A"].T) @ values["u"])


class Logged(np.ndarray):
    """A matrix that records the shapes of each product it takes part in."""

    log: list = []

    def __matmul__(self, other):
        Logged.log.append((np.shape(self), np.shape(other)))
        return np.asarray(self) @ np.asarray(other)

    def __rmatmul__(self, other):
        Logged.log.append((np.shape(other), np.shape(self)))
        return np.asarray(other) @ np.asarray(self)


@pytest.mark.parametrize("sizes", [(2, 40, 3, 50), (40, 3, 50, 2)])
def test_three_matrices_multiply_in_the_cheaper_order_at_run_time(sizes):
    """A B C with symbolic sizes: the order is chosen when the code runs, by the sizes then."""
    n, m, p, q = sizes
    r = matcalc.show("A*B*C", let=["A:n,m", "B:m,p", "C:p,q"])
    rng = np.random.default_rng(1)
    A, B, C = rng.normal(size=(n, m)), rng.normal(size=(m, p)), rng.normal(size=(p, q))
    values = {"A": A.view(Logged), "B": B.view(Logged), "C": C.view(Logged)}
    for code in (r.numpy(), None):
        Logged.log = []
        if code is not None:
            got = eval(code, {"np": np, **values, "n": n, "m": m, "p": p, "q": q})  # matcalc's line
        else:
            namespace: dict = {}
            exec(compile(r.python(), "<generated>", "exec"), namespace)  # matcalc's module
            got = namespace["f"](**values)
        assert np.allclose(got, A @ B @ C)
        left_first = n * m * p + n * p * q <= m * p * q + n * m * q  # the tests' own cost count
        first = ((n, m), (m, p)) if left_first else ((m, p), (p, q))
        assert Logged.log[0] == first, Logged.log


class ScaledMatrices(np.ndarray):
    """A matrix that counts the times a scalar multiplies or divides a square matrix (the test's
    own tally of the m×m passes that one scale of the small result avoids)."""

    scaled = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(a) if isinstance(a, ScaledMatrices) else a for a in inputs]
        square = [a for a in plain if np.ndim(a) == 2 and a.shape[0] == a.shape[1]]
        if ufunc in (np.multiply, np.divide) and square and any(np.ndim(a) == 0 for a in plain):
            ScaledMatrices.scaled += 1
        out = getattr(ufunc, method)(*plain, **kwargs)
        return out.view(ScaledMatrices) if isinstance(out, np.ndarray) and out.ndim == 2 else out

    def __matmul__(self, other):
        return (np.asarray(self) @ np.asarray(other)).view(ScaledMatrices)

    def __rmatmul__(self, other):
        return (np.asarray(other) @ np.asarray(self)).view(ScaledMatrices)


@pytest.mark.parametrize("fmt", ["numpy", "python"])
def test_a_scale_common_to_a_sum_is_applied_once_to_the_product(fmt):
    """render/cost.py: in Aᵀ (B/√d − C/√d) E (as `show` keeps it, untidied) 1/√d is factored
    out of the sum and joins the product's scale, applied to the n×d result — no m×m matrix
    is scaled; right against the tests' own NumPy."""
    expr, let = "A'*(B/sqrt(d) - C/sqrt(d))*E", ["A:m,n", "B:m,m", "C:m,m", "E:m,d"]
    rng = np.random.default_rng(3)
    m, n, d = 5, 3, 4
    A, B, C, E = (rng.normal(size=s) for s in ((m, n), (m, m), (m, m), (m, d)))
    r = matcalc.show(expr, let=let)
    ScaledMatrices.scaled = 0
    args = {"A": A, "B": B.view(ScaledMatrices), "C": C.view(ScaledMatrices), "E": E}
    if fmt == "numpy":
        got = eval(r.numpy(), {"np": np, **args, "m": m, "n": n, "d": d})  # the printed line
    else:
        module: dict = {}
        exec(compile(r.python(), "<generated>", "exec"), module)
        got = module["f"](**args)
    assert ScaledMatrices.scaled == 0, r.numpy() if fmt == "numpy" else r.python()
    want = A.T @ (B / np.sqrt(d) - C / np.sqrt(d)) @ E
    assert np.allclose(np.asarray(got), want, rtol=1e-12)
