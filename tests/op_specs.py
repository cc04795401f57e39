# The references' parameters are named after the variables they stand for (A, X, S, …):
"""One row per operator of the language (SPEC §2), and per surface spelling worth testing.

Each row is an expression as a user types it, its `--let` declarations, the variable to
differentiate by, and an independent NumPy implementation written by hand: a function whose
parameters are the variables it uses (declared names; undeclared names are scalars; indexed
scalars x1, x2, x3) and any dimension names it needs (bound to their sizes).

`scalar(...)` rows have a scalar value: grad, hessian, vjp, jvp and grad --vec apply.
`array(...)` rows are vector- or matrix-valued: jacobian, vjp, jvp and jacobian --vec apply;
a matrix-valued one (or a vector by a matrix) is a tensor derivative, printed as a map.
A row may drop commands with `skip=` (with the reason in a comment).

A row whose id names an elementwise operator of the registry also carries `ref=`, that
operator's own NumPy implementation (applied entry by entry), and its `domain=` ("all",
"positive": arguments > 0, "bounded": |argument| ≤ 1/2): the random-expression generator
(tests/randexpr.py) draws every elementwise entry of the registry with this reference, and a
test fails when an entry has no such row. `entrywise(name, ref)` writes the two rows of a new
elementwise function (a gradient at a symbolic size and a Jacobian at an integer size).

This module does not import matcalc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

# --------------------------------------------------------------------------- NumPy helpers


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softplus(z):
    return np.logaddexp(0.0, z)


def relu(z):
    return np.maximum(z, 0.0)


def step(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def logsumexp(z):
    mx = np.max(z)
    return mx + np.log(np.sum(np.exp(z - mx)))


def softmax_rows(Z):
    e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def logsumexp_rows(Z):
    top = np.max(Z, axis=1)
    return top + np.log(np.sum(np.exp(Z - top[:, None]), axis=1))


class NoDerivative(ArithmeticError):
    """A reference refuses a point where its function has no derivative (the random tester's
    sub-expressions can land there by construction; tests/difftest.py then uses another)."""


class Tie(NoDerivative):
    """max or min attained twice: no derivative there (SPEC §7.1)."""


TIE_GAP = 1e-8  # relative: entries closer than this are one value computed two ways


def extremum(which: str, z, axis=None):
    """np.max or np.min of z (every entry, or along axis), refusing a tie (Tie): the derivative
    of max and min exists only where the extremum is attained once. Random points never tie;
    the random tester's sub-expressions can, by construction (u 𝟏ᵀ ties along every row, eye
    everywhere), and there tests/randexpr.py draws another point or sample."""
    z = np.asarray(z, dtype=float)
    s = np.sort(z.reshape(-1) if axis is None else np.moveaxis(z, axis, -1), axis=-1)
    if s.shape[-1] >= 2:
        gap = s[..., -1] - s[..., -2] if which == "max" else s[..., 1] - s[..., 0]
        if np.any(gap <= TIE_GAP * (1 + np.max(np.abs(z)))):
            raise Tie(f"{which} attained twice (gap {np.min(gap):.3g})")
    return np.max(z, axis=axis) if which == "max" else np.min(z, axis=axis)


def mpow(X, k):
    return np.linalg.matrix_power(X, k)


inv, det, tr = np.linalg.inv, np.linalg.det, np.trace


def logdet(X):
    return np.log(np.linalg.det(X))


def norm2(z):
    """‖z‖, refusing z = 0, where it has no derivative: random points never give 0, but the
    random tester's ‖x - y‖ may get x = min(y, π), which is y at every point near one."""
    out = np.sqrt(np.sum(np.asarray(z, dtype=float) ** 2))
    if out <= TIE_GAP:
        raise NoDerivative("the norm of 0")
    return out


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    id: str
    expr: str
    let: tuple[str, ...]
    wrt: str
    f: Callable[..., object]
    valued: str  # "scalar" or "array"
    # point hints per variable: "near_eye", "positive", "nonzero" (default: both signs; square
    # matrices alternate between near-identity at the first point and general at the second;
    # "nonzero" points are general, and tests/randexpr.py keeps such a variable a variable)
    hints: dict[str, str] = field(default_factory=dict)
    skip: tuple[str, ...] = ()  # commands that do not apply to this row ("vec": its --vec forms)
    vshape: str | None = None  # the vjp direction's --let shape, when the table cannot infer it
    ref: Callable[[object], object] | None = None  # the elementwise operator `id`, entry by entry
    domain: str = "all"  # where ref's argument may go: "all", "positive", "bounded" (|u| ≤ 1/2)


def _let(let: str) -> tuple[str, ...]:
    return tuple(let.split())


def scalar(id, expr, let, wrt, f, **kw) -> Row:
    return Row(id, expr, _let(let), wrt, f, "scalar", **kw)


def array(id, expr, let, wrt, f, **kw) -> Row:
    return Row(id, expr, _let(let), wrt, f, "array", **kw)


# The argument an elementwise function's rows apply it to, inside its domain: text, NumPy.
_ARGUMENT = {
    "all": ("A*x", lambda A, x: A @ x),
    "positive": ("x .^ 2 + 1", lambda A, x: x**2 + 1),
    "bounded": ("A*x/8", lambda A, x: A @ x / 8),
}


def entrywise(name: str, ref: Callable[[object], object], domain: str = "all") -> list[Row]:
    """The rows of an elementwise function: Σ name(u) by x (symbolic n: grad, Hessian, vjp, jvp,
    vec) and name(u) by x (integer size: the Jacobian), u inside the domain."""
    text, u = _ARGUMENT[domain]
    kw = {"ref": ref, "domain": domain}
    return [
        scalar(
            name, f"sum({name}({text}))", "A:n,n x:n", "x", lambda A, x: np.sum(ref(u(A, x))), **kw
        ),
        array(f"{name}_jac", f"{name}({text})", "A:3,3 x:3", "x", lambda A, x: ref(u(A, x))),
    ]


def references(rows: list[Row]) -> dict[str, Row]:
    """The elementwise operators' reference rows, by operator name."""
    return {row.id: row for row in rows if row.ref is not None}


NE = {"X": "near_eye"}

ROWS: list[Row] = [
    # ---- + - (binary and unary) ---------------------------------------------------------
    scalar("add", "sum(sin(x + y))", "x:n y:n", "x", lambda x, y: np.sum(np.sin(x + y))),
    scalar("add_matrix", "sum(sin(X + A))", "X:n,m A:n,m", "X", lambda X, A: np.sum(np.sin(X + A))),
    array("add_jac", "sin(x + y)", "x:n y:n", "x", lambda x, y: np.sin(x + y)),
    scalar(
        "sub_by_matrix",
        "sum(sin(x - A*y))",
        "x:n y:n A:n,n",
        "A",
        lambda x, y, A: np.sum(np.sin(x - A @ y)),
    ),
    array("sub_jac", "B*x - b", "B:m,n x:n b:m", "x", lambda B, x, b: B @ x - b),
    array("sub_by_matrix_map", "B*x - b", "B:m,n x:n b:m", "B", lambda B, x, b: B @ x - b),
    scalar("neg_leading", "-sum(log(x .^ 2 + 1))", "x:n", "x", lambda x: -np.sum(np.log(x**2 + 1))),
    array("neg_jac", "-(A*x)", "A:m,n x:n", "x", lambda A, x: -(A @ x)),
    array("neg_map", "-X .* A", "X:n,m A:n,m", "X", lambda X, A: -X * A),
    array("neg_elementwise", "-sin(x) + x", "x:3", "x", lambda x: -np.sin(x) + x),
    scalar("neg_scalar", "-t^2 * sum(x)", "x:n", "t", lambda t, x: -(t**2) * np.sum(x)),
    # ---- * (scalar product, matrix product), @ ---------------------------------------------
    scalar("mul_scalar_by_t", "t * sum(sin(x))", "x:n", "t", lambda t, x: t * np.sum(np.sin(x))),
    scalar("mul_scalar_by_x", "t * sum(sin(x))", "x:n", "x", lambda t, x: t * np.sum(np.sin(x))),
    array("mul_vector_by_scalar", "t * A * x", "A:m,n x:n", "t", lambda t, A, x: t * (A @ x)),
    scalar("matvec", "sum(sin(A*x))", "A:n,n x:n", "x", lambda A, x: np.sum(np.sin(A @ x))),
    scalar(
        "matvec_by_matrix",
        "sum(sin(B*x))",
        "B:m,n x:n",
        "B",
        lambda B, x: np.sum(np.sin(B @ x)),
    ),
    scalar(
        "matmul_trace",
        "tr(A*X*B)",
        "A:m,n X:n,p B:p,m",
        "X",
        lambda A, X, B: np.trace(A @ X @ B),
    ),
    scalar("quadratic_by_x", "x.T*A*x", "x:n A:n,n", "x", lambda x, A: x @ A @ x),
    scalar("quadratic_by_A", "x.T*A*x", "x:n A:n,n", "A", lambda x, A: x @ A @ x),
    scalar("at_quadratic", "x.T @ A @ x", "x:n A:n,n", "x", lambda x, A: x @ A @ x),
    scalar("at_matrix", "sum(sin(A @ X))", "A:m,n X:n,n", "X", lambda A, X: np.sum(np.sin(A @ X))),
    array("at_jac", "sin(A @ x)", "A:m,n x:n", "x", lambda A, x: np.sin(A @ x)),
    # ---- / (by a scalar) -------------------------------------------------------------------
    scalar("div_by_t", "sum(sin(x / t))", "x:n", "t", lambda x, t: np.sum(np.sin(x / t))),
    scalar("div_by_x", "sum(sin(x / t))", "x:n", "x", lambda x, t: np.sum(np.sin(x / t))),
    scalar("div_scalar_expr", "(x.T*x) / (1 + t^2)", "x:n", "t", lambda x, t: (x @ x) / (1 + t**2)),
    array("div_vector", "x / (1 + x.T*x)", "x:n", "x", lambda x: x / (1 + x @ x)),
    # ---- ^ and ** on scalars ---------------------------------------------------------------
    scalar("pow_caret", "(x.T*x + 1)^3", "x:n", "x", lambda x: (x @ x + 1) ** 3),
    scalar("pow_caret_scalar", "t^3 - 2*t^2", "", "t", lambda t: t**3 - 2 * t**2),
    scalar("pow_starstar_neg", "(x.T*x + 1)**-0.5", "x:n", "x", lambda x: (x @ x + 1) ** -0.5),
    scalar("pow_starstar_scalar", "(t**2 + 1)**1.5", "", "t", lambda t: (t**2 + 1) ** 1.5),
    # ---- ^ and ** on square matrices (matrix power) -----------------------------------------
    scalar("matpow_trace", "tr(X^3)", "X:n,n", "X", lambda X: np.trace(mpow(X, 3))),
    scalar("matpow_starstar", "a.T * X**2 * a", "X:n,n a:n", "X", lambda X, a: a @ mpow(X, 2) @ a),
    scalar("matpow_by_x", "x.T * A^2 * x", "x:n A:n,n", "x", lambda x, A: x @ mpow(A, 2) @ x),
    array("matpow_map", "X**2", "X:n,n", "X", lambda X: X @ X),
    scalar("matpow_minus_one", "tr(X^-1)", "X:n,n", "X", lambda X: np.trace(inv(X)), hints=NE),
    scalar(
        "matpow_minus_two", "tr(X**-2)", "X:n,n", "X", lambda X: np.trace(mpow(inv(X), 2)), hints=NE
    ),
    scalar("matpow_superscript", "a.T X² a", "X:n,n a:n", "X", lambda X, a: a @ mpow(X, 2) @ a),
    # ---- .* ⊙ hadamard ---------------------------------------------------------------------
    scalar("ew_mul", "sum(sin(x .* y))", "x:n y:n", "x", lambda x, y: np.sum(np.sin(x * y))),
    array("ew_mul_jac", "x .* (A*x)", "x:n A:n,n", "x", lambda x, A: x * (A @ x)),
    scalar("ew_mul_matrix", "sum(X .* X .* A)", "X:n,m A:n,m", "X", lambda X, A: np.sum(X * X * A)),
    scalar("ew_mul_odot", "sum(x ⊙ sin(x))", "x:n", "x", lambda x: np.sum(x * np.sin(x))),
    scalar("hadamard", "sum(hadamard(x, sin(x)))", "x:n", "x", lambda x: np.sum(x * np.sin(x))),
    scalar(  # SymPy's name (SPEC §7.8)
        "HadamardProduct",
        "sum(HadamardProduct(X, A*X))",
        "X:n,m A:n,n",
        "X",
        lambda X, A: np.sum(X * (A @ X)),
    ),
    scalar("dot_second_argument", "dot(sin(x), y)", "x:n y:n", "y", lambda x, y: np.sin(x) @ y),
    array("hadamard_jac", "hadamard(A*x, x)", "A:n,n x:n", "x", lambda A, x: (A @ x) * x),
    scalar(
        "hadamard_matrix",
        "sum(hadamard(X, A*X))",
        "X:n,n A:n,n",
        "X",
        lambda X, A: np.sum(X * (A @ X)),
    ),
    # ---- ./ ⊘ --------------------------------------------------------------------------------
    scalar(
        "ew_div_by_y",
        "sum(x ./ (y .^ 2 + 1))",
        "x:n y:n",
        "y",
        lambda x, y: np.sum(x / (y**2 + 1)),
    ),
    array(
        "ew_div_jac", "(A*x) ./ (x .^ 2 + 1)", "A:n,n x:n", "x", lambda A, x: (A @ x) / (x**2 + 1)
    ),
    scalar(
        "ew_div_oslash",
        "sum(sin(x) ⊘ (x .^ 2 + 1))",
        "x:n",
        "x",
        lambda x: np.sum(np.sin(x) / (x**2 + 1)),
    ),
    scalar(
        "ew_div_matrix",
        "sum(A ./ (X .^ 2 + 1))",
        "X:n,m A:n,m",
        "X",
        lambda X, A: np.sum(A / (X**2 + 1)),
    ),
    # ---- .^ ----------------------------------------------------------------------------------
    scalar("ew_pow", "sum(x .^ 3)", "x:n", "x", lambda x: np.sum(x**3)),
    array("ew_pow_jac", "x .^ 2", "x:n", "x", lambda x: x**2),
    array("ew_pow_neg_jac", "(x .^ 2 + 1) .^ -1", "x:3", "x", lambda x: (x**2 + 1) ** -1.0),
    scalar(
        "ew_pow_matrix",
        "sum((X .^ 2 + 1) .^ 0.5)",
        "X:n,m",
        "X",
        lambda X: np.sum((X**2 + 1) ** 0.5),
    ),
    scalar(
        "ew_pow_by_exponent",
        "sum((x .^ 2 + 1) .^ t)",
        "x:n",
        "t",
        lambda x, t: np.sum((x**2 + 1) ** t),
    ),
    scalar("ew_pow_printed", "sum(x⊙³)", "x:n", "x", lambda x: np.sum(x**3)),
    scalar(  # a vector exponent, differentiated by the base (was a shape error)
        "ew_pow_vector_exponent",
        "sum((x .^ 2 + 1) .^ y)",
        "x:n y:n",
        "x",
        lambda x, y: np.sum((x**2 + 1) ** y),
    ),
    array("ew_pow_self_jac", "(x .^ 2 + 1) .^ x", "x:3", "x", lambda x: (x**2 + 1) ** x),
    # ---- ' .T ᵀ --------------------------------------------------------------------------------
    scalar("quote_by_A", "x'*A*x", "x:n A:n,n", "A", lambda x, A: x @ A @ x),
    scalar(
        "quote_matrix", "sum(sin(X' * A))", "X:n,m A:n,p", "X", lambda X, A: np.sum(np.sin(X.T @ A))
    ),
    array("quote_map", "X' * a", "X:n,m a:n", "X", lambda X, a: X.T @ a),
    scalar("dotT_matrix", "a.T*X.T*X*a", "X:n,m a:m", "X", lambda X, a: a @ X.T @ X @ a),
    array("dotT_row_vector", "x.T*A", "x:n A:n,m", "x", lambda x, A: x @ A),
    array("dotT_map", "X.T", "X:n,m", "X", lambda X: X.T),
    scalar(
        "superscript_T",
        "2 xᵀ A x − yᵀ x",
        "x:n y:n A:n,n",
        "x",
        lambda x, y, A: 2 * x @ A @ x - y @ x,
    ),
    # ---- juxtaposition -----------------------------------------------------------------------
    array("juxt_2Ax", "2 A x", "A:m,n x:n", "x", lambda A, x: 2 * A @ x),
    scalar("juxt_2x", "sum(sin(2x))", "x:n", "x", lambda x: np.sum(np.sin(2 * x))),
    scalar(
        "juxt_least_squares",
        "(B x - b)ᵀ (B x - b)",
        "B:m,n x:n b:m",
        "x",
        lambda B, x, b: (B @ x - b) @ (B @ x - b),
    ),
    array(
        "juxt_normal_eq",
        "2 Bᵀ (B x - b) .^ 3",
        "B:m,n x:n b:m",
        "x",
        lambda B, x, b: 2 * B.T @ ((B @ x - b) ** 3),
    ),
    # ---- scalar broadcasting -----------------------------------------------------------------
    scalar(
        "bcast_one_minus",
        "sum((1 - y) .* log(1 + x .^ 2))",
        "x:n y:n",
        "y",
        lambda x, y: np.sum((1 - y) * np.log(1 + x**2)),
    ),
    scalar(
        "bcast_logistic",
        "sum(log(1 + exp(-y .* (B*x))))",
        "B:m,n x:n y:m",
        "x",
        lambda B, x, y: np.sum(np.log(1 + np.exp(-y * (B @ x)))),
    ),
    array("bcast_div_jac", "2 ./ (1 + x .^ 2)", "x:n", "x", lambda x: 2 / (1 + x**2)),
    scalar("bcast_matrix", "sum(sin(X - 2))", "X:n,m", "X", lambda X: np.sum(np.sin(X - 2))),
    array("bcast_by_scalar", "sin(t + x)", "x:n", "t", lambda t, x: np.sin(t + x)),
    array("bcast_one_minus_jac", "1 - x .* y", "x:n y:n", "x", lambda x, y: 1 - x * y),
    # ---- inv ⁻¹ Inverse ----------------------------------------------------------------------
    scalar("inv_trace", "tr(inv(X))", "X:n,n", "X", lambda X: np.trace(inv(X)), hints=NE),
    scalar("inv_quadratic", "a.T*inv(X)*a", "X:n,n a:n", "X", lambda X, a: a @ inv(X) @ a),
    array("inv_map_vector", "inv(X)*a", "X:n,n a:n", "X", lambda X, a: inv(X) @ a),
    array("inv_map", "inv(X)", "X:n,n", "X", lambda X: inv(X), hints=NE),
    scalar(
        "inv_Inverse", "a.T * Inverse(X) * b", "X:n,n a:n b:n", "X", lambda X, a, b: a @ inv(X) @ b
    ),
    scalar("inv_superscript", "tr(X⁻¹ A)", "X:n,n A:n,n", "X", lambda X, A: np.trace(inv(X) @ A)),
    scalar(
        "inv_transpose_superscript",
        "a.T X⁻ᵀ b",
        "X:n,n a:n b:n",
        "X",
        lambda X, a, b: a @ inv(X).T @ b,
    ),
    scalar("inv_by_vector", "x.T*inv(A)*x", "x:n A:n,n", "x", lambda x, A: x @ inv(A) @ x),
    # ---- det Det Determinant -----------------------------------------------------------------
    scalar("det", "det(X)", "X:n,n", "X", lambda X: det(X)),
    scalar("det_integer_size", "det(X)", "X:2,2", "X", lambda X: det(X)),
    scalar("det_Det", "Det(A*X)", "A:n,n X:n,n", "X", lambda A, X: det(A @ X)),
    scalar("det_Determinant", "Determinant(X)^2", "X:n,n", "X", lambda X: det(X) ** 2),
    scalar(
        "det_by_scalar", "det(t*A + eye)", "A:n,n", "t", lambda t, A: det(t * A + np.eye(len(A)))
    ),
    # ---- logdet --------------------------------------------------------------------------------
    scalar("logdet", "logdet(X)", "X:n,n", "X", lambda X: logdet(X), hints=NE),
    scalar(
        "logdet_gram",
        "logdet(X.T*X + eye)",
        "X:n,m",
        "X",
        lambda X: logdet(X.T @ X + np.eye(X.shape[1])),
    ),
    scalar(
        "logdet_by_vector",
        "logdet(A + x*x.T)",
        "A:n,n x:n",
        "x",
        lambda A, x: logdet(A + np.outer(x, x)),
        hints={"A": "near_eye"},
    ),
    # ---- tr trace Tr Trace ---------------------------------------------------------------------
    scalar("tr_linear", "tr(A*X)", "A:m,n X:n,m", "X", lambda A, X: np.trace(A @ X)),
    scalar("trace", "trace(X*X)", "X:n,n", "X", lambda X: np.trace(X @ X)),
    scalar("Tr", "Tr(X.T*A*X)", "X:n,m A:n,n", "X", lambda X, A: np.trace(X.T @ A @ X)),
    scalar("Trace", "Trace(sin(X))", "X:n,n", "X", lambda X: np.trace(np.sin(X))),
    scalar("tr_outer", "tr(x*x.T*A)", "x:n A:n,n", "x", lambda x, A: np.trace(np.outer(x, x) @ A)),
    # ---- diag (vector → matrix, matrix → vector) -----------------------------------------------
    scalar(
        "diag_vec_to_mat",
        "a.T*diag(x)*A*x",
        "a:n x:n A:n,n",
        "x",
        lambda a, x, A: a @ np.diag(x) @ A @ x,
    ),
    array("diag_vec_jac", "diag(x)*sin(a)", "x:n a:n", "x", lambda x, a: np.diag(x) @ np.sin(a)),
    array("diag_vec_map", "diag(x)", "x:n", "x", lambda x: np.diag(x)),
    scalar(
        "diag_mat_to_vec", "sum(sin(diag(X)))", "X:n,n", "X", lambda X: np.sum(np.sin(np.diag(X)))
    ),
    array("diag_mat_map", "diag(A*X)", "A:n,n X:n,n", "X", lambda A, X: np.diag(A @ X)),
    # ---- sum mean --------------------------------------------------------------------------------
    scalar("sum_vector", "sum(x .^ 2)", "x:n", "x", lambda x: np.sum(x**2)),
    scalar("sum_matrix", "sum(sin(X))", "X:n,m", "X", lambda X: np.sum(np.sin(X))),
    scalar("sum_product", "sum(A*X)", "A:m,n X:n,p", "X", lambda A, X: np.sum(A @ X)),
    scalar("mean_vector", "mean(sin(x))", "x:n", "x", lambda x: np.mean(np.sin(x))),
    scalar("mean_matrix", "mean(X .^ 2)", "X:n,m", "X", lambda X: np.mean(X**2)),
    # ---- norm1 norm2 norm ‖·‖ ------------------------------------------------------------------
    scalar("norm1", "norm1(x)", "x:n", "x", lambda x: np.sum(np.abs(x))),
    scalar("norm1_product", "norm1(A*x)", "A:m,n x:n", "x", lambda A, x: np.sum(np.abs(A @ x))),
    scalar("norm1_matrix", "norm1(X)", "X:n,m", "X", lambda X: np.sum(np.abs(X))),
    scalar("norm2", "norm2(x)", "x:n", "x", lambda x: norm2(x)),
    scalar("norm", "norm(A*x)", "A:m,n x:n", "x", lambda A, x: norm2(A @ x)),
    scalar("norm2_frobenius", "norm2(X)", "X:n,m", "X", lambda X: norm2(X)),
    scalar("norm_bars", "‖x - y‖", "x:n y:n", "x", lambda x, y: norm2(x - y)),
    array(  # nonzero: the random generator puts no sub-expression (it might be y - y) in x
        "norm_normalize", "x / norm(x)", "x:n", "x", lambda x: x / norm2(x), hints={"x": "nonzero"}
    ),
    # ---- dot --------------------------------------------------------------------------------------
    scalar("dot", "dot(x, A*x)", "x:n A:n,n", "x", lambda x, A: x @ A @ x),
    scalar("dot_sin", "dot(a, sin(x))", "a:n x:n", "x", lambda a, x: a @ np.sin(x)),
    # ---- kron ⊗ (integer sizes: the vjp direction of a kron is n·m long) -------------------------
    scalar(
        "kron",
        "sum(sin(kron(X, C)))",
        "X:2,2 C:3,3",
        "X",
        lambda X, C: np.sum(np.sin(np.kron(X, C))),
    ),
    scalar(
        "kron_trace", "tr(kron(X, C))", "X:2,2 C:3,3", "X", lambda X, C: np.trace(np.kron(X, C))
    ),
    scalar(
        "kron_bilinear",
        "w.T*kron(X, C)*z",
        "X:2,2 C:2,3 w:4 z:6",
        "X",
        lambda X, C, w, z: w @ np.kron(X, C) @ z,
    ),
    scalar(
        "kron_second_argument",
        "sum(sin(kron(C, X)))",
        "X:2,2 C:2,3",
        "X",
        lambda X, C: np.sum(np.sin(np.kron(C, X))),
    ),
    # the commutation matrix: K₍₂,₃₎ vec(X) = vec(Xᵀ) for a 2×3 X
    array("comm_vec", "comm(2,3)*vec(X)", "X:2,3", "X", lambda X: X.flatten(order="C")),
    scalar(
        "comm_sin",
        "sum(sin(comm(2,3)*vec(X)) .* vec(C.T))",
        "X:2,3 C:2,3",
        "X",
        lambda X, C: np.sum(np.sin(X.flatten()) * C.flatten()),
    ),
    scalar(  # SymPy's name (SPEC §7.8)
        "TensorProduct",
        "sum(sin(TensorProduct(X, C)))",
        "X:2,2 C:2,3",
        "X",
        lambda X, C: np.sum(np.sin(np.kron(X, C))),
    ),
    array("kron_vectors", "kron(x, y)", "x:2 y:3", "x", lambda x, y: np.kron(x, y)),
    array("kron_map", "kron(X, C)", "X:2,2 C:2,3", "X", lambda X, C: np.kron(X, C)),
    scalar(
        "kron_otimes",
        "sum(sin(X ⊗ C))",
        "X:2,2 C:3,2",
        "X",
        lambda X, C: np.sum(np.sin(np.kron(X, C))),
    ),
    # ---- softmax logsumexp ------------------------------------------------------------------------
    array("softmax", "softmax(x)", "x:n", "x", lambda x: softmax(x)),
    array("softmax_affine", "softmax(A*x)", "A:m,n x:n", "x", lambda A, x: softmax(A @ x)),
    scalar("softmax_scalar", "a.T*softmax(x)", "a:n x:n", "x", lambda a, x: a @ softmax(x)),
    scalar("logsumexp", "logsumexp(x)", "x:n", "x", lambda x: logsumexp(x)),
    scalar(
        "logsumexp_affine",
        "logsumexp(B*x) - b.T*B*x",
        "B:m,n x:n b:m",
        "x",
        lambda B, x, b: logsumexp(B @ x) - b @ B @ x,
    ),
    # ---- along an axis (SPEC §7.1): MATLAB's 1-based dimension, NumPy's axis=, PyTorch's dim= ----
    array("softmax_rows", "softmax(Z, 2)", "Z:m,p", "Z", lambda Z: softmax_rows(Z)),
    array("softmax_cols", "softmax(Z, axis=0)", "Z:m,p", "Z", lambda Z: softmax_rows(Z.T).T),
    scalar(
        "softmax_rows_scalar",
        "sum(G .* softmax(Z, dim=1))",
        "G:m,p Z:m,p",
        "Z",
        lambda G, Z: np.sum(G * softmax_rows(Z)),
    ),
    array("logsumexp_rows", "logsumexp(Z, 2)", "Z:m,p", "Z", lambda Z: logsumexp_rows(Z)),
    scalar(
        "logsumexp_cols",
        "sum(logsumexp(Z, dim=0) .^ 2)",
        "Z:m,p",
        "Z",
        lambda Z: np.sum(logsumexp_rows(Z.T) ** 2),
    ),
    array("log_softmax", "log_softmax(x)", "x:n", "x", lambda x: x - logsumexp(x)),
    scalar(
        "log_softmax_rows",
        "sum(Y .* logsoftmax(Z, axis=-1))",
        "Y:m,p Z:m,p",
        "Z",
        lambda Y, Z: np.sum(Y * (Z - logsumexp_rows(Z)[:, None])),
    ),
    array("sum_rows", "sum(X, 2)", "X:m,p", "X", lambda X: np.sum(X, axis=1)),
    array("sum_cols", "sum(X, axis=0)", "X:m,p", "X", lambda X: np.sum(X, axis=0)),
    array("mean_rows", "mean(X, dim=1)", "X:m,p", "X", lambda X: np.mean(X, axis=1)),
    array("mean_cols", "mean(X, 1)", "X:m,p", "X", lambda X: np.mean(X, axis=0)),
    array(
        "norm2_rows",
        "norm2(X, 2)",
        "X:m,p",
        "X",
        lambda X: np.sqrt(np.sum(X**2, axis=1)),
    ),
    scalar(
        "norm_cols",
        "sum(norm(X, axis=0))",
        "X:m,p",
        "X",
        lambda X: np.sum(np.sqrt(np.sum(X**2, axis=0))),
    ),
    # ---- max and min of every entry or along an axis (a keyword only: two operands are entrywise)
    scalar("max", "max(X)", "X:m,p", "X", lambda X: extremum("max", X)),
    scalar("min", "min(A*x)", "A:m,n x:n", "x", lambda A, x: extremum("min", A @ x)),
    array("max_rows", "max(X, dim=1)", "X:m,p", "X", lambda X: extremum("max", X, axis=1)),
    array("min_cols", "min(X, axis=0)", "X:m,p", "X", lambda X: extremum("min", X, axis=0)),
    array("max_cols", "max(X, axis=0)", "X:m,p", "X", lambda X: extremum("max", X, axis=0)),
    array("min_rows", "min(X, dim=-1)", "X:m,p", "X", lambda X: extremum("min", X, axis=1)),
    # ---- elementwise functions: each as a gradient (symbolic n) and a Jacobian (integer size) -----
    scalar(
        "sin", "sum(sin(A*x))", "A:n,n x:n", "x", lambda A, x: np.sum(np.sin(A @ x)), ref=np.sin
    ),
    array("sin_jac", "sin(A*x)", "A:3,3 x:3", "x", lambda A, x: np.sin(A @ x)),
    scalar(
        "cos", "sum(cos(A*x))", "A:m,n x:n", "x", lambda A, x: np.sum(np.cos(A @ x)), ref=np.cos
    ),
    array("cos_jac", "cos(x)", "x:3", "x", lambda x: np.cos(x)),
    scalar(
        "tan",
        "sum(tan(x/2))",
        "x:n",
        "x",
        lambda x: np.sum(np.tan(x / 2)),
        ref=np.tan,
        domain="bounded",
    ),
    array("tan_jac", "tan(x/2)", "x:3", "x", lambda x: np.tan(x / 2)),
    scalar(
        "exp",
        "sum(exp(A*x/2))",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(np.exp(A @ x / 2)),
        ref=np.exp,
    ),
    array("exp_jac", "exp(x)", "x:3", "x", lambda x: np.exp(x)),
    scalar(
        "log",
        "sum(log(x .^ 2 + 1))",
        "x:n",
        "x",
        lambda x: np.sum(np.log(x**2 + 1)),
        ref=np.log,
        domain="positive",
    ),
    array("log_jac", "log(x .^ 2 + 1)", "x:3", "x", lambda x: np.log(x**2 + 1)),
    scalar("ln", "sum(ln(1 + exp(x)))", "x:n", "x", lambda x: np.sum(np.log(1 + np.exp(x)))),
    scalar(
        "log_positive",
        "sum(log(x))",
        "x:n",
        "x",
        lambda x: np.sum(np.log(x)),
        hints={"x": "positive"},
    ),
    scalar("sqrt", "sum(sqrt(x .^ 2 + 1))", "x:n", "x", lambda x: np.sum(np.sqrt(x**2 + 1))),
    array("sqrt_jac", "sqrt(x .^ 2 + 1)", "x:3", "x", lambda x: np.sqrt(x**2 + 1)),
    scalar(
        "tanh", "sum(tanh(A*x))", "A:n,n x:n", "x", lambda A, x: np.sum(np.tanh(A @ x)), ref=np.tanh
    ),
    array("tanh_jac", "tanh(A*x)", "A:2,3 x:3", "x", lambda A, x: np.tanh(A @ x)),
    scalar(
        "sigmoid",
        "sum(sigmoid(A*x))",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(sigmoid(A @ x)),
        ref=sigmoid,
    ),
    array("sigmoid_jac", "sigmoid(x)", "x:3", "x", lambda x: sigmoid(x)),
    scalar("sigma_symbol", "sum(σ(A x))", "A:n,n x:n", "x", lambda A, x: np.sum(sigmoid(A @ x))),
    scalar(
        "softplus",
        "sum(softplus(A*x))",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(softplus(A @ x)),
        ref=softplus,
    ),
    array("softplus_jac", "softplus(x)", "x:3", "x", lambda x: softplus(x)),
    scalar(
        "abs", "sum(abs(A*x))", "A:n,n x:n", "x", lambda A, x: np.sum(np.abs(A @ x)), ref=np.abs
    ),
    array("abs_jac", "abs(x) .* x", "x:3", "x", lambda x: np.abs(x) * x),
    scalar("abs_bars", "sum(|A*x|)", "A:n,n x:n", "x", lambda A, x: np.sum(np.abs(A @ x))),
    scalar(
        "relu",
        "sum(relu(A*x) .^ 2)",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(relu(A @ x) ** 2),
        ref=relu,
    ),
    array("relu_jac", "relu(A*x)", "A:3,3 x:3", "x", lambda A, x: relu(A @ x)),
    scalar(
        "sign",
        "sum(sign(A*x) .* x .^ 2)",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(np.sign(A @ x) * x**2),
        ref=np.sign,
    ),
    array("sign_jac", "sign(x) .* sin(x)", "x:3", "x", lambda x: np.sign(x) * np.sin(x)),
    # `step` is not in SPEC §2 but is a language function (the derivative of relu)
    scalar(
        "step", "sum(step(x) .* x .^ 3)", "x:n", "x", lambda x: np.sum(step(x) * x**3), ref=step
    ),
    scalar(
        "arcsin",
        "sum(arcsin(x/2))",
        "x:n",
        "x",
        lambda x: np.sum(np.arcsin(x / 2)),
        ref=np.arcsin,
        domain="bounded",
    ),
    array("arcsin_jac", "arcsin(x/2)", "x:3", "x", lambda x: np.arcsin(x / 2)),
    scalar(
        "arccos",
        "sum(arccos(x/2) .* x)",
        "x:n",
        "x",
        lambda x: np.sum(np.arccos(x / 2) * x),
        ref=np.arccos,
        domain="bounded",
    ),
    array("arccos_jac", "arccos(x/2)", "x:3", "x", lambda x: np.arccos(x / 2)),
    scalar(
        "arctan",
        "sum(arctan(A*x))",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(np.arctan(A @ x)),
        ref=np.arctan,
    ),
    array("arctan_jac", "arctan(x)", "x:3", "x", lambda x: np.arctan(x)),
    *entrywise("sinh", np.sinh),
    *entrywise("cosh", np.cosh),
    # SPEC §7.2: references from SciPy's special functions and NumPy, written here
    *entrywise("erf", lambda u: scipy.special.erf(u)),
    *entrywise("normcdf", lambda u: scipy.stats.norm.cdf(u)),
    *entrywise("gelu", lambda u: u * scipy.stats.norm.cdf(u)),
    *entrywise("expm1", lambda u: np.exp(u) - 1),
    *entrywise("log1p", lambda u: np.log(1 + u), domain="positive"),
    scalar(
        "normcdf_Phi",
        "sum(Phi(A*x)) + sum(Φ(x))",
        "A:n,n x:n",
        "x",
        lambda A, x: np.sum(scipy.stats.norm.cdf(A @ x)) + np.sum(scipy.stats.norm.cdf(x)),
    ),
    scalar(  # probit regression's log-likelihood (Murphy §9.4)
        "probit",
        "sum(y .* log(normcdf(X*w)) + (1 - y) .* log(1 - normcdf(X*w)))",
        "X:m,n w:n y:m",
        "w",
        lambda X, w, y: np.sum(
            y * np.log(scipy.stats.norm.cdf(X @ w))
            + (1 - y) * np.log(1 - scipy.stats.norm.cdf(X @ w))
        ),
        hints={"y": "positive"},
    ),
    scalar(
        "elementwise_matrix",
        "sum(exp(X/2) .* A) + sum(tanh(X*B))",
        "X:n,m A:n,m B:m,m",
        "X",
        lambda X, A, B: np.sum(np.exp(X / 2) * A) + np.sum(np.tanh(X @ B)),
    ),
    array("elementwise_map", "sin(X)", "X:n,m", "X", lambda X: np.sin(X)),
    scalar(
        "elementwise_scalar_1",
        "sin(t)*cos(t) + exp(t/2) + log(t^2 + 1) + sqrt(t^2 + 1) + tanh(t) + arctan(t)",
        "",
        "t",
        lambda t: (
            np.sin(t) * np.cos(t)
            + np.exp(t / 2)
            + np.log(t**2 + 1)
            + np.sqrt(t**2 + 1)
            + np.tanh(t)
            + np.arctan(t)
        ),
    ),
    scalar(
        "elementwise_scalar_2",
        "sigmoid(t) + softplus(t) + arcsin(t/2) + arccos(t/3) + tan(t/2)",
        "",
        "t",
        lambda t: sigmoid(t) + softplus(t) + np.arcsin(t / 2) + np.arccos(t / 3) + np.tan(t / 2),
    ),
    scalar(
        "elementwise_scalar_kinks",
        "abs(t)*t + relu(t)*t + sign(t)*t^2",
        "",
        "t",
        lambda t: abs(t) * t + relu(t) * t + np.sign(t) * t**2,
    ),
    # ---- [a, b] and [[a, b], [c, d]] literals -------------------------------------------------------
    array(
        "literal_indexed",
        "[x1*x2, sin(x3), x1^2]",
        "",
        "x",
        lambda x1, x2, x3: np.array([x1 * x2, np.sin(x3), x1**2]),
    ),
    array(
        "literal_by_scalar", "[t^2, sin(t), t]", "", "t", lambda t: np.array([t**2, np.sin(t), t])
    ),
    array(
        "literal_of_products",
        "[x.T*x, a.T*x]",
        "x:n a:n",
        "x",
        lambda x, a: np.array([x @ x, a @ x]),
    ),
    scalar(
        "literal_matrix_det",
        "det([[x1, x2], [x3, 1]])",
        "",
        "x",
        lambda x1, x2, x3: det(np.array([[x1, x2], [x3, 1.0]])),
    ),
    scalar(
        "literal_matrix_product",
        "sum(sin([[t, 1], [2, t^2]] * a))",
        "a:2",
        "t",
        lambda t, a: np.sum(np.sin(np.array([[t, 1.0], [2.0, t**2]]) @ a)),
    ),
    # ---- eye ones vector(c) matrix(c) Identity ------------------------------------------------------
    scalar("eye", "x.T*(eye + A)*x", "x:n A:n,n", "x", lambda x, A: x @ (np.eye(len(x)) + A) @ x),
    scalar("ones", "ones.T*sin(x)", "x:n", "x", lambda x: np.sum(np.sin(x))),
    scalar("vector_c", "sum(vector(2) .* x .^ 2)", "x:n", "x", lambda x: np.sum(2 * x**2)),
    scalar("matrix_c", "sum(matrix(2) .* X .^ 2)", "X:n,m", "X", lambda X: np.sum(2 * X**2)),
    scalar(
        "eye_n_ones_n",
        "x.T*eye(n)*x + ones(n).T*sin(x)",
        "x:n",
        "x",
        lambda x: x @ x + np.sum(np.sin(x)),
    ),
    scalar("ones_nm", "sum(ones(n,m) .* sin(X))", "X:n,m", "X", lambda X: np.sum(np.sin(X))),
    scalar("Identity", "tr(Identity(n)*X*X)", "X:n,n", "X", lambda X: np.trace(X @ X)),
    array("ones_jac", "sin(x) + ones", "x:n", "x", lambda x: np.sin(x) + 1),
    # ---- dimension names as values, pi, e ------------------------------------------------------------
    scalar(
        "dim_gaussian",
        "n/2*log(2*pi) + x.T*x/2",
        "x:n",
        "x",
        lambda x, n: n / 2 * np.log(2 * np.pi) + x @ x / 2,
    ),
    scalar("dim_mean", "sum(sin(x))/n", "x:n", "x", lambda x, n: np.sum(np.sin(x)) / n),
    array("dim_ratio", "x * m / n", "x:n b:m", "x", lambda x, m, n: x * m / n),
    scalar("dim_by_scalar", "n*t^2 + m*t", "x:n b:m", "t", lambda t, n, m: n * t**2 + m * t),
    scalar("const_pi_e", "e^t + pi*t^2", "", "t", lambda t: np.e**t + np.pi * t**2),
    # ---- symmetric variables (grad, vjp, jvp: Hessian/Jacobian/vec by S are refused by design) ------
    scalar("sym_trace", "tr(A*S)", "S:n,n,sym A:n,n", "S", lambda A, S: np.trace(A @ S)),
    scalar(
        "sym_logdet", "logdet(S)", "S:n,n,sym", "S", lambda S: logdet(S), hints={"S": "near_eye"}
    ),
    scalar("sym_quadratic", "a.T*S*a", "S:n,n,sym a:n", "S", lambda S, a: a @ S @ a),
    scalar(
        "sym_trace_cubic", "tr(S*S*A)", "S:n,n,sym A:n,n", "S", lambda S, A: np.trace(S @ S @ A)
    ),
    scalar("sym_sin", "sum(sin(S*a))", "S:n,n,sym a:n", "S", lambda S, a: np.sum(np.sin(S @ a))),
    scalar(
        "sym_inv",
        "a.T*inv(S)*b",
        "S:n,n,sym a:n b:n",
        "S",
        lambda S, a, b: a @ inv(S) @ b,
        hints={"S": "near_eye"},
    ),
    array("sym_vector", "sin(S*a)", "S:n,n,sym a:n", "S", lambda S, a: np.sin(S @ a)),
    # ---- indexed scalars x1, x_1, x[1] with --wrt x (or --wrt x1,x2,x3) -----------------------------
    scalar("indexed", "x1^2*x2 + sin(x3)", "", "x", lambda x1, x2, x3: x1**2 * x2 + np.sin(x3)),
    scalar(
        "indexed_spellings",
        "x_1*x_2 + x[3]^2 + exp(x1)",
        "",
        "x",
        lambda x1, x2, x3: x1 * x2 + x3**2 + np.exp(x1),
    ),
    scalar(
        "indexed_list",
        "x1^2*x2 + sin(x3)",
        "",
        "x1,x2,x3",
        lambda x1, x2, x3: x1**2 * x2 + np.sin(x3),
    ),
    array(
        "indexed_jac",
        "[x1*x2, x2 + x3^2]",
        "",
        "x",
        lambda x1, x2, x3: np.array([x1 * x2, x2 + x3**2]),
    ),
    # ---- integer sizes -------------------------------------------------------------------------------
    scalar("int_sizes", "sum(sin(W*z))", "W:2,3 z:3", "W", lambda W, z: np.sum(np.sin(W @ z))),
    scalar("int_sizes_quadratic", "z.T*A*z", "z:3 A:3,3", "z", lambda z, A: z @ A @ z),
    # ---- the text output's notation as input, Greek names, number formats ----------------------------
    scalar(
        "juxt_quote", "x' A x + 2x' y", "x:n y:n A:n,n", "x", lambda x, y, A: x @ A @ x + 2 * x @ y
    ),
    scalar("bold_one", "𝟏ᵀ sin(x)", "x:n", "x", lambda x: np.sum(np.sin(x))),
    scalar(
        "bold_identity", "xᵀ 𝐈 x + sum(sin(x))", "x:n", "x", lambda x: x @ x + np.sum(np.sin(x))
    ),
    scalar("superscript_scalar", "t³ − 2 t²", "", "t", lambda t: t**3 - 2 * t**2),
    scalar(
        "greek_names",
        "lam*theta.T*theta + alpha*sum(sin(theta))",
        "theta:n",
        "theta",
        lambda lam, theta, alpha: lam * theta @ theta + alpha * np.sum(np.sin(theta)),
    ),
    scalar(
        "number_formats",
        "1e-1*x.T*x + 0.5*sum(sin(x)) + 2.5e1*sum(x)",
        "x:n",
        "x",
        lambda x: 0.1 * x @ x + 0.5 * np.sum(np.sin(x)) + 25 * np.sum(x),
    ),
    array("rowvec_by_matrix", "a.T*X", "a:n X:n,m", "X", lambda a, X: a @ X),
    # ---- vec (column stacking; integer sizes where the direction of a vjp is n·m long) ---------------
    scalar(
        "vec",
        "sum(sin(vec(A*X)))",
        "X:n,m A:n,n",
        "X",
        lambda X, A: np.sum(np.sin((A @ X).ravel("F"))),
    ),
    array("vec_map", "vec(X*A)", "X:2,3 A:3,3", "X", lambda X, A: (X @ A).ravel("F")),
    # ---- slices x[i:j], X[i:j, k:l] (1-based, both ends included) ----------------------------------
    scalar("slice", "sum(sin(x[2:n]))", "x:n", "x", lambda x, n: np.sum(np.sin(x[1:n]))),
    # (a matrix slice at a symbolic size has no --vec form, docs/limits.md: tests/test_flat.py)
    # ---- 1×1 declarations are scalars (SPEC §2) -------------------------------------------------------
    scalar("one_by_one_by_a", "a*sum(sin(x))", "a:1 x:n", "a", lambda a, x: a * np.sum(np.sin(x))),
    scalar("one_by_one_by_x", "a*sum(sin(x))", "a:1 x:n", "x", lambda a, x: a * np.sum(np.sin(x))),
    scalar("one_by_one_matrix", "B*(x.T*x)^2", "B:1,1 x:n", "x", lambda B, x: B * (x @ x) ** 2),
    # ---- a --wrt name that does not occur in EXPR: a zero of the right shape (SPEC §1) ----------------
    scalar("absent_wrt_vector", "sum(sin(x))", "x:n y:m", "y", lambda x, y: np.sum(np.sin(x))),
    scalar("absent_wrt_matrix", "sum(sin(x))", "x:n Y:n,m", "Y", lambda x, Y: np.sum(np.sin(x))),
    # ---- elementwise functions on a matrix argument --------------------------------------------------
    scalar(
        "elementwise_matrix_smooth",
        "sum(sin(X) + cos(X) .* A + tan(X/2) + exp(X/2) + log(X .^ 2 + 1) + sqrt(X .^ 2 + 1)"
        " + tanh(X) + sigmoid(X) .* A + softplus(X) + arcsin(X/2) .* A + arccos(X/2) + arctan(X))",
        "X:n,m A:n,m",
        "X",
        lambda X, A: np.sum(
            np.sin(X)
            + np.cos(X) * A
            + np.tan(X / 2)
            + np.exp(X / 2)
            + np.log(X**2 + 1)
            + np.sqrt(X**2 + 1)
            + np.tanh(X)
            + sigmoid(X) * A
            + softplus(X)
            + np.arcsin(X / 2) * A
            + np.arccos(X / 2)
            + np.arctan(X)
        ),
    ),
    scalar(
        "elementwise_matrix_kinks",
        "sum(abs(X) .* A + relu(X) .^ 2 + sign(X) .* X .^ 2 + step(X) .* X .^ 3)",
        "X:n,m A:n,m",
        "X",
        lambda X, A: np.sum(np.abs(X) * A + relu(X) ** 2 + np.sign(X) * X**2 + step(X) * X**3),
    ),
    # ---- tensor derivatives (printed as a map dF = …; numpy gives the full array) ---------------------
    array("map_AXB", "A*X*B", "A:n,n X:n,m B:m,m", "X", lambda A, X, B: A @ X @ B),
    array("map_AXB_rectangular", "A*X*B", "A:p,n X:n,m B:m,n", "X", lambda A, X, B: A @ X @ B),
    array("map_outer", "x*x.T", "x:n", "x", lambda x: np.outer(x, x)),
    array("map_Xx", "X*x", "X:n,m x:m", "X", lambda X, x: X @ x),
    array("map_XX", "X*X", "X:n,n", "X", lambda X: X @ X),
    array("map_by_scalar", "sin(t*A)", "A:n,m", "t", lambda t, A: np.sin(t * A)),
    array(
        "map_product_of_two",
        "x*y.T*A",
        "x:n y:m A:m,p",
        "x",
        lambda x, y, A: np.outer(x, y) @ A,
    ),
    # Hessians by a matrix are maps too: see logdet, det, trace, matpow_trace, inv_trace above.
]


# --------------------------------------------------------------------------- SPEC §7.2
# Matrix functions against SciPy's own f (the oracle is finite differences of f; SciPy's
# Fréchet derivatives are not called: block_frechet is the tests' own).


def block_frechet(f, X, E):
    """L_f(X, E) as the corner of f([[X, E], [0, X]]), computed the tests' own way."""
    n = X.shape[0]
    Z = np.zeros_like(X)
    return np.real(f(np.block([[X, E], [Z, X]])))[:n, n:]


def tril_half(X):
    return np.tril(X, -1) + np.diag(np.diag(X)) / 2


def eigvalsh(S):
    return np.linalg.eigvalsh(S)


NO_EIGVEC = ("hessian",)  # the derivative of an eigenvector is not written: refused with the reason

ROWS += [
    # ---- chol (cholesky) and Φ = tril_half ------------------------------------------------------
    scalar(
        "chol",
        "tr(G'*chol(A*A' + eye))",
        "A:n,n G:n,n",
        "A",
        lambda A, G: np.trace(G.T @ np.linalg.cholesky(A @ A.T + np.eye(len(A)))),
    ),
    scalar(
        "chol_sym",
        "tr(G'*chol(S))",
        "S:n,n,sym G:n,n",
        "S",
        lambda S, G: np.trace(G.T @ np.linalg.cholesky(S)),
        hints={"S": "near_eye"},
    ),
    array(
        "cholesky_map",
        "cholesky(A*A' + eye)",
        "A:n,n",
        "A",
        lambda A: np.linalg.cholesky(A @ A.T + np.eye(len(A))),
    ),
    array("tril_half", "tril_half(X)", "X:n,n", "X", tril_half),
    # ---- eigenvalues of a symmetric matrix ------------------------------------------------------
    scalar(
        "lambda_max",
        "lambda_max(A + A')",
        "A:n,n",
        "A",
        lambda A: eigvalsh(A + A.T)[-1],
        skip=NO_EIGVEC,
    ),
    scalar("lambda_max_sym", "lambda_max(S)", "S:n,n,sym", "S", lambda S: eigvalsh(S)[-1]),
    scalar(
        "lambda_min",
        "lambda_min(A*A' + eye)",
        "A:n,n",
        "A",
        lambda A: eigvalsh(A @ A.T + np.eye(len(A)))[0],
        skip=NO_EIGVEC,
    ),
    array("eig", "eig(A + A')", "A:n,n", "A", lambda A: eigvalsh(A + A.T)),
    scalar(
        "eigvalsh",
        "sum(eigvalsh(S) .^ 3)",
        "S:n,n,sym",
        "S",
        lambda S: np.sum(eigvalsh(S) ** 3),
    ),
    scalar("max_eig", "max(eig(S))", "S:n,n,sym", "S", lambda S: eigvalsh(S)[-1]),
    scalar(
        "min_eig",
        "min(eig(A + A'))",
        "A:n,n",
        "A",
        lambda A: eigvalsh(A + A.T)[0],
        skip=NO_EIGVEC,
    ),
    scalar(  # any square X: the sum of its (complex) eigenvalues is its trace
        "sum_eig",
        "sum(eig(X))",
        "X:n,n",
        "X",
        lambda X: np.sum(np.linalg.eigvals(X)).real,
    ),
    scalar(  # any square X: the product of its (complex) eigenvalues is its determinant
        "prod_eig",
        "prod(eig(X))",
        "X:n,n",
        "X",
        lambda X: np.prod(np.linalg.eigvals(X)).real,
    ),
    # ---- prod: the product of the entries (defined and smooth where no entry is zero) ----------
    scalar("prod", "prod(x)", "x:n", "x", lambda x: np.prod(x), hints={"x": "nonzero"}),
    scalar("prod_matrix", "prod(X)", "X:n,m", "X", lambda X: np.prod(X), hints={"X": "nonzero"}),
    scalar(
        "prod_product",
        "prod(A*x)",
        "A:n,n x:n",
        "x",
        lambda A, x: np.prod(A @ x),
        hints={"x": "nonzero"},
    ),
    # ---- Xᵏ with a symbolic k (here the dimension p, declared by y's shape) --------------------
    # Its second derivative and its Kronecker form are not written: refused, so skipped here.
    scalar(
        "matpow_symbolic",
        "tr(X^p)",
        "X:n,n y:p",
        "X",
        lambda X, p: np.trace(mpow(X, p)),
        skip=("hessian", "vec"),
    ),
    array("matpow_symbolic_map", "X^p", "X:n,n y:p", "X", lambda X, p: mpow(X, p), skip=("vec",)),
    scalar(
        "matpow_frechet",
        "sum(matpow_frechet(A, E, p))",
        "A:n,n E:n,n y:p",
        "E",
        lambda A, E, p: np.sum(sum(mpow(A, j) @ E @ mpow(A, p - 1 - j) for j in range(p))),
        skip=("vec",),
    ),
    # ---- solve(A, B) = A⁻¹ B ---------------------------------------------------------------------
    scalar(
        "solve",
        "tr(G'*solve(A, B))",
        "A:n,n B:n,n G:n,n",
        "A",
        lambda A, B, G: np.trace(G.T @ np.linalg.solve(A, B)),
        hints={"A": "near_eye"},
    ),
    # ---- expm, logm, sqrtm and their Fréchet derivatives ------------------------------------
    scalar(
        "expm",
        "tr(G'*expm(A))",
        "A:n,n G:n,n",
        "A",
        lambda A, G: np.trace(G.T @ scipy.linalg.expm(A)),
    ),
    array("expm_map", "expm(X)", "X:n,n", "X", lambda X: scipy.linalg.expm(X)),
    scalar(
        "expm_frechet",
        "tr(G'*expm_frechet(A, E))",
        "A:n,n E:n,n G:n,n",
        "A",
        lambda A, E, G: np.trace(G.T @ block_frechet(scipy.linalg.expm, A, E)),
        skip=("hessian",),  # a third Fréchet derivative: refused (no other command needs it)
    ),
    scalar(
        "logm",
        "tr(G'*logm(A))",
        "A:n,n G:n,n",
        "A",
        lambda A, G: np.trace(G.T @ np.real(scipy.linalg.logm(A))),
        hints={"A": "near_eye"},
    ),
    array(
        "logm_map",
        "logm(X)",
        "X:n,n",
        "X",
        lambda X: np.real(scipy.linalg.logm(X)),
        hints=NE,
    ),
    scalar(
        "logm_frechet",
        "sum(logm_frechet(A, E))",
        "A:n,n E:n,n",
        "E",
        lambda A, E: np.sum(block_frechet(scipy.linalg.logm, A, E)),
        hints={"A": "near_eye"},
    ),
    scalar(
        "sqrtm",
        "tr(G'*sqrtm(A))",
        "A:n,n G:n,n",
        "A",
        lambda A, G: np.trace(G.T @ np.real(scipy.linalg.sqrtm(A))),
        hints={"A": "near_eye"},
    ),
    array(
        "sqrtm_map",
        "sqrtm(X)",
        "X:n,n",
        "X",
        lambda X: np.real(scipy.linalg.sqrtm(X)),
        hints=NE,
    ),
    scalar(
        "sqrtm_frechet",
        "sum(sqrtm_frechet(A, E))",
        "A:n,n E:n,n",
        "E",
        lambda A, E: np.sum(block_frechet(scipy.linalg.sqrtm, A, E)),
        hints={"A": "near_eye"},
    ),
]


# Names in matcalc's FUNCTIONS that are internal helpers, not part of the user language of SPEC §2.
INTERNAL = {
    "kron_inner_left",  # a factor of the derivative of kron
    "kron_inner_right",  # a factor of the derivative of kron
    "unvec",  # the inverse of vec, printed in --vec results
    # the Kronecker forms K(X) of the Fréchet derivatives, printed in --vec results (the rows
    # expm, logm, sqrtm check them there)
    # eigenvectors, printed in the derivatives of eig, lambda_max, lambda_min (their rows)
    "eigvecs",
    "eigvec_max",
    # where max and min are attained, printed in their derivatives (the rows max, min, …)
    "ismax",
    "ismin",
    "eigvec_min",
    "expm_kron",
    "logm_kron",
    "sqrtm_kron",
}


# Operator spellings of SPEC §2 that the table must use (the function names are checked against
# matcalc's registry by the test).
OPERATOR_SPELLINGS = [
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "@",
    ".*",
    "./",
    ".^",
    "'",
    ".T",
    "ᵀ",
    "⁻¹",
    "⁻ᵀ",
    "⊙",
    "⊘",
    "⊗",
    "‖",
    "σ",
    "−",
    "²",
    "|",
    "[[",
    "[",
    " A x",  # juxtaposition
    "2x",
    "pi",
    "eye",
    "ones",
    "vector(",
    "matrix(",
    "Identity(",
    "x_1",
    "𝟏",
    "𝐈",
    "³",
    "x[3]",
]
