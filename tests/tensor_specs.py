"""Tensor-valued derivatives (SPEC §3 v2): one row per case, each with NumPy written by hand.

A row is an expression as a user types it, its `--let` declarations (dimension names n, m, k;
the tests also run every row with the sizes written as integers), the variable to differentiate
by, the declared shape of the value (to declare the cotangent of vjp), and two hand-written
NumPy functions:

- `f(**values)`: the value of the expression (vectors 1-D, matrices 2-D);
- `d(**values, D=...)`: for `jacobian` rows, the differential dF at the point in the direction
  D (shaped like the variable); for `hessian` rows, the second differential as a symmetric
  bilinear form, `d(**values, D=..., E=...)` = d²f[D, E].

Parameters are named after the variables they stand for; extra keywords (other variables,
dimension names) land in `**_`. The tests check `d` against finite differences of `f`, so the
table is verified independently of matcalc. This module does not import matcalc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

DIMS = {"n": 3, "m": 2, "k": 4}  # distinct: a misplaced size cannot pass

inv, det, tr = np.linalg.inv, np.linalg.det, np.trace


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def dsoftmax(z):
    """The Jacobian of softmax at z: diag(s) - s sᵀ."""
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)


@dataclass(frozen=True)
class Case:
    name: str
    cmd: str  # "jacobian" (a tensor) or "hessian" (by a matrix)
    expr: str
    let: str  # space-separated --let declarations with dimension names
    wrt: str
    out: str  # the value's declared shape: "" scalar, "n" vector, "n,m" matrix
    f: Callable[..., object]
    d: Callable[..., object]
    kinds: dict[str, str] = field(default_factory=dict)  # oracle.random_array kinds

    def decls(self, integer: bool) -> list[str]:
        """The --let list, with the sizes as names or (integer=True) as integers."""
        return [sub_dims(s, integer) for s in self.let.split()]

    def shapes(self) -> dict[str, tuple[int, ...]]:
        out = {}
        for spec in self.let.split():
            name, _, shape = spec.partition(":")
            out[name] = dims_of(shape)
        return out

    def var_spec(self) -> str:
        """The declared shape of the variable differentiated by ("n,m", "n")."""
        for spec in self.let.split():
            name, _, shape = spec.partition(":")
            if name == self.wrt:
                return shape
        raise KeyError(self.wrt)


def size(dim: str) -> int:
    """A size written as an integer, a dimension name or a product of those ("k*n")."""
    return int(np.prod([DIMS[f] if f in DIMS else int(f) for f in dim.split("*")]))


def integer_shape(shape: str) -> str:
    """ "n,m" -> "3,2" (a "sym" flag is kept)."""
    return ",".join(p if p == "sym" else str(size(p)) for p in shape.split(","))


def sub_dims(spec: str, integer: bool) -> str:
    if not integer:
        return spec
    name, _, shape = spec.partition(":")
    return f"{name}:{integer_shape(shape)}"


def dims_of(shape: str) -> tuple[int, ...]:
    if shape == "":
        return ()
    return tuple(size(p) for p in shape.split(","))


def jac(name, expr, let, wrt, out, f, d, **kinds):
    return Case(name, "jacobian", expr, let, wrt, out, f, d, kinds)


def hess(name, expr, let, wrt, f, d, **kinds):
    return Case(name, "hessian", expr, let, wrt, "", f, d, kinds)


NEAR = "near_eye"  # square matrices near the identity: inverses tame, determinants positive

CASES: list[Case] = [
    # ---- a matrix by a matrix (the Matrix Cookbook's rows and more) -------------------------------
    jac("AXB", "A*X*B", "A:k,n X:n,m B:m,k", "X", "k,k",
        lambda A, X, B, **_: A @ X @ B,
        lambda A, B, D, **_: A @ D @ B),
    jac("XtX", "X.T*X", "X:n,m", "X", "m,m",
        lambda X, **_: X.T @ X,
        lambda X, D, **_: D.T @ X + X.T @ D),
    jac("XXt", "X*X.T", "X:n,m", "X", "n,n",
        lambda X, **_: X @ X.T,
        lambda X, D, **_: D @ X.T + X @ D.T),
    jac("inv", "inv(X)", "X:n,n", "X", "n,n",
        lambda X, **_: inv(X),
        lambda X, D, **_: -inv(X) @ D @ inv(X), X=NEAR),
    jac("XAXt", "X*A*X.T", "X:n,m A:m,m", "X", "n,n",
        lambda X, A, **_: X @ A @ X.T,
        lambda X, A, D, **_: D @ A @ X.T + X @ A @ D.T),
    jac("hadamard_XX", "X .* X", "X:n,m", "X", "n,m",
        lambda X, **_: X * X,
        lambda X, D, **_: 2 * X * D),
    jac("tanh", "tanh(X)", "X:n,m", "X", "n,m",
        lambda X, **_: np.tanh(X),
        lambda X, D, **_: (1 - np.tanh(X) ** 2) * D),
    jac("exp", "exp(X)", "X:n,m", "X", "n,m",
        lambda X, **_: np.exp(X),
        lambda X, D, **_: np.exp(X) * D),
    jac("entrywise_square", "X.^2", "X:n,m", "X", "n,m",
        lambda X, **_: X**2,
        lambda X, D, **_: 2 * X * D),
    jac("sqrt_sq_plus_1", "sqrt(X.^2+1)", "X:n,m", "X", "n,m",
        lambda X, **_: np.sqrt(X**2 + 1),
        lambda X, D, **_: X / np.sqrt(X**2 + 1) * D),
    jac("XX", "X*X", "X:n,n", "X", "n,n",
        lambda X, **_: X @ X,
        lambda X, D, **_: D @ X + X @ D),
    jac("cube", "X^3", "X:n,n", "X", "n,n",
        lambda X, **_: X @ X @ X,
        lambda X, D, **_: D @ X @ X + X @ D @ X + X @ X @ D),
    jac("transpose", "X.T", "X:n,m", "X", "m,n",
        lambda X, **_: X.T,
        lambda D, **_: D.T),
    jac("inv_transpose", "inv(X).T", "X:n,n", "X", "n,n",
        lambda X, **_: inv(X).T,
        lambda X, D, **_: -(inv(X) @ D @ inv(X)).T, X=NEAR),
    jac("kron_AX", "kron(A, X)", "A:k,k X:n,m", "X", "k*n,k*m",
        lambda A, X, **_: np.kron(A, X),
        lambda A, D, **_: np.kron(A, D)),
    jac("kron_XA", "kron(X, A)", "X:n,m A:k,k", "X", "n*k,m*k",
        lambda X, A, **_: np.kron(X, A),
        lambda A, D, **_: np.kron(D, A)),
    jac("XAX_square", "X*A*X", "X:n,n A:n,n", "X", "n,n",
        lambda X, A, **_: X @ A @ X,
        lambda X, A, D, **_: D @ A @ X + X @ A @ D),
    jac("A_invX_B", "A*inv(X)*B", "A:k,n X:n,n B:n,k", "X", "k,k",
        lambda A, X, B, **_: A @ inv(X) @ B,
        lambda A, X, B, D, **_: -A @ inv(X) @ D @ inv(X) @ B, X=NEAR),
    jac("sigmoid_times_X", "sigmoid(X) .* X", "X:n,m", "X", "n,m",
        lambda X, **_: sigmoid(X) * X,
        lambda X, D, **_: (sigmoid(X) * (1 - sigmoid(X)) * X + sigmoid(X)) * D),
    jac("X_over_1_plus_sq", "X ./ (1 + X.^2)", "X:n,m", "X", "n,m",
        lambda X, **_: X / (1 + X**2),
        lambda X, D, **_: (1 - X**2) / (1 + X**2) ** 2 * D),
    jac("XtAX", "X.T*A*X", "X:n,m A:n,n", "X", "m,m",
        lambda X, A, **_: X.T @ A @ X,
        lambda X, A, D, **_: D.T @ A @ X + X.T @ A @ D),
    jac("adjugate", "det(X)*inv(X)", "X:n,n", "X", "n,n",
        lambda X, **_: det(X) * inv(X),
        lambda X, D, **_: det(X) * (tr(inv(X) @ D) * inv(X) - inv(X) @ D @ inv(X)), X=NEAR),
    jac("norm_times_X", "norm2(X)*X", "X:n,m", "X", "n,m",
        lambda X, **_: np.linalg.norm(X) * X,
        lambda X, D, **_: np.linalg.norm(X) * D + np.sum(X * D) / np.linalg.norm(X) * X),
    # ---- a vector by a matrix --------------------------------------------------------------------
    jac("invX_x_by_X", "inv(X)*x", "X:n,n x:n", "X", "n",
        lambda X, x, **_: inv(X) @ x,
        lambda X, x, D, **_: -inv(X) @ D @ inv(X) @ x, X=NEAR),
    jac("X_softmax_Xtq", "X*softmax(X.T*q)", "X:n,m q:n", "X", "n",
        lambda X, q, **_: X @ softmax(X.T @ q),
        lambda X, q, D, **_: D @ softmax(X.T @ q) + X @ dsoftmax(X.T @ q) @ (D.T @ q)),
    jac("least_squares_solution_by_X", "inv(X.T*X)*X.T*y", "X:n,m y:n", "X", "m",
        lambda X, y, **_: inv(X.T @ X) @ X.T @ y,
        lambda X, y, D, **_: inv(X.T @ X) @ D.T @ y
        - inv(X.T @ X) @ (D.T @ X + X.T @ D) @ inv(X.T @ X) @ X.T @ y),
    jac("Ax_by_A", "A*x", "A:n,m x:m", "A", "n",
        lambda A, x, **_: A @ x,
        lambda x, D, **_: D @ x),
    jac("softmax_Kq_by_K", "softmax(K*q)", "K:n,m q:m", "K", "n",
        lambda K, q, **_: softmax(K @ q),
        lambda K, q, D, **_: dsoftmax(K @ q) @ (D @ q)),
    jac("tanh_Wx_by_W", "tanh(W*x)", "W:n,m x:m", "W", "n",
        lambda W, x, **_: np.tanh(W @ x),
        lambda W, x, D, **_: (1 - np.tanh(W @ x) ** 2) * (D @ x)),
    jac("attention_by_keys", "V.T*softmax(K*q)", "K:n,m q:m V:n,k", "K", "k",
        lambda K, q, V, **_: V.T @ softmax(K @ q),
        lambda K, q, V, D, **_: V.T @ dsoftmax(K @ q) @ (D @ q)),
    jac("Xa_by_X", "X*a", "X:n,m a:m", "X", "n",
        lambda X, a, **_: X @ a,
        lambda a, D, **_: D @ a),
    jac("Xta_by_X", "X.T*a", "X:n,m a:n", "X", "m",
        lambda X, a, **_: X.T @ a,
        lambda a, D, **_: D.T @ a),
    jac("sigmoid_Wx_b_by_W", "sigmoid(W*x + b)", "W:n,m x:m b:n", "W", "n",
        lambda W, x, b, **_: sigmoid(W @ x + b),
        lambda W, x, b, D, **_: sigmoid(W @ x + b) * (1 - sigmoid(W @ x + b)) * (D @ x)),
    # ---- a matrix by a vector --------------------------------------------------------------------
    jac("outer_xx", "x*x.T", "x:n", "x", "n,n",
        lambda x, **_: np.outer(x, x),
        lambda x, D, **_: np.outer(D, x) + np.outer(x, D)),
    jac("diag_x", "diag(x)", "x:n", "x", "n,n",
        lambda x, **_: np.diag(x),
        lambda D, **_: np.diag(D)),
    jac("outer_xa", "x*a.T", "x:n a:m", "x", "n,m",
        lambda x, a, **_: np.outer(x, a),
        lambda a, D, **_: np.outer(D, a)),
    jac("exp_x_yt", "exp(x)*y.T", "x:n y:m", "x", "n,m",
        lambda x, y, **_: np.outer(np.exp(x), y),
        lambda x, y, D, **_: np.outer(np.exp(x) * D, y)),
    jac("A_diag_x_B", "A*diag(x)*B", "A:k,n x:n B:n,k", "x", "k,k",
        lambda A, x, B, **_: A @ np.diag(x) @ B,
        lambda A, B, D, **_: A @ np.diag(D) @ B),
    jac("tanh_x_xt", "tanh(x)*x.T", "x:n", "x", "n,n",
        lambda x, **_: np.outer(np.tanh(x), x),
        lambda x, D, **_: np.outer((1 - np.tanh(x) ** 2) * D, x) + np.outer(np.tanh(x), D)),
    jac("X_diag_x_by_x", "X*diag(x)", "X:n,n x:n", "x", "n,n",
        lambda X, x, **_: X @ np.diag(x),
        lambda X, D, **_: X @ np.diag(D)),
    jac("outer_xx_A_by_x", "x*x.T*A", "x:n A:n,m", "x", "n,m",
        lambda x, A, **_: np.outer(x, x) @ A,
        lambda x, A, D, **_: (np.outer(D, x) + np.outer(x, D)) @ A),
    # ---- Hessians by a matrix (the second differential, a quadratic form) -------------------------
    hess("logdet", "logdet(X)", "X:n,n", "X",
         lambda X, **_: np.log(det(X)),
         lambda X, D, E, **_: -tr(inv(X) @ D @ inv(X) @ E), X=NEAR),
    hess("tr_XtAX", "tr(X.T*A*X)", "X:n,m A:n,n", "X",
         lambda X, A, **_: tr(X.T @ A @ X),
         lambda A, D, E, **_: tr(D.T @ A @ E) + tr(E.T @ A @ D)),
    hess("least_squares_by_W", "norm2(X*W - Y)^2", "X:n,m W:m,k Y:n,k", "W",
         lambda X, W, Y, **_: np.sum((X @ W - Y) ** 2),
         lambda X, D, E, **_: 2 * tr((X @ D).T @ (X @ E))),
    hess("tr_inv", "tr(inv(X))", "X:n,n", "X",
         lambda X, **_: tr(inv(X)),
         lambda X, D, E, **_: tr(inv(X) @ D @ inv(X) @ E @ inv(X))
         + tr(inv(X) @ E @ inv(X) @ D @ inv(X)), X=NEAR),
    hess("det", "det(X)", "X:n,n", "X",
         lambda X, **_: det(X),
         lambda X, D, E, **_: det(X)
         * (tr(inv(X) @ D) * tr(inv(X) @ E) - tr(inv(X) @ D @ inv(X) @ E)), X=NEAR),
    hess("tr_XX", "tr(X*X)", "X:n,n", "X",
         lambda X, **_: tr(X @ X),
         lambda D, E, **_: 2 * tr(D @ E)),
    hess("sum_exp", "sum(exp(X))", "X:n,m", "X",
         lambda X, **_: np.sum(np.exp(X)),
         lambda X, D, E, **_: np.sum(np.exp(X) * D * E)),
    hess("frobenius_sq", "norm2(X)^2", "X:n,m", "X",
         lambda X, **_: np.sum(X**2),
         lambda D, E, **_: 2 * np.sum(D * E)),
    hess("sum_tanh", "sum(tanh(X))", "X:n,m", "X",
         lambda X, **_: np.sum(np.tanh(X)),
         lambda X, D, E, **_: np.sum(-2 * np.tanh(X) * (1 - np.tanh(X) ** 2) * D * E)),
    hess("tr_AXBXt", "tr(A*X*B*X.T)", "X:n,m A:n,n B:m,m", "X",
         lambda X, A, B, **_: tr(A @ X @ B @ X.T),
         lambda A, B, D, E, **_: tr(A @ D @ B @ E.T) + tr(A @ E @ B @ D.T)),
    hess("logdet_XtX", "logdet(X.T*X)", "X:n,m", "X",
         lambda X, **_: np.log(det(X.T @ X)),
         lambda X, D, E, **_: 2 * tr(inv(X.T @ X) @ E.T @ D)
         - 2 * tr(inv(X.T @ X) @ (E.T @ X + X.T @ E) @ inv(X.T @ X) @ X.T @ D)),
    hess("logsumexp_Xw", "logsumexp(X*w)", "X:n,m w:m", "X",
         lambda X, w, **_: np.log(np.sum(np.exp(X @ w))),
         lambda X, w, D, E, **_: (E @ w) @ dsoftmax(X @ w) @ (D @ w)),
    hess("tr_XAXB", "tr(X*A*X*B)", "X:n,n A:n,n B:n,n", "X",
         lambda X, A, B, **_: tr(X @ A @ X @ B),
         lambda A, B, D, E, **_: tr(D @ A @ E @ B) + tr(E @ A @ D @ B)),
    hess("inv_det", "1/det(X)", "X:n,n", "X",
         lambda X, **_: 1 / det(X),
         lambda X, D, E, **_: (tr(inv(X) @ D) * tr(inv(X) @ E) + tr(inv(X) @ E @ inv(X) @ D))
         / det(X), X=NEAR),
    hess("frobenius", "norm2(X)", "X:n,m", "X",
         lambda X, **_: np.linalg.norm(X),
         lambda X, D, E, **_: np.sum(D * E) / np.linalg.norm(X)
         - np.sum(X * D) * np.sum(X * E) / np.linalg.norm(X) ** 3),
    hess("logistic_loss_by_X", "sum(log(1 + exp(X*w)))", "X:n,m w:m", "X",
         lambda X, w, **_: np.sum(np.log1p(np.exp(X @ w))),
         lambda X, w, D, E, **_: np.sum(sigmoid(X @ w) * (1 - sigmoid(X @ w)) * (D @ w) * (E @ w))),
]  # fmt: skip

# Refusals (SPEC §3): a Hessian, a tensor or a vec form by a symmetric matrix.
# (command, expression, declarations, vec)
SYMMETRIC_REFUSALS: list[tuple[str, str, list[str], bool]] = [
    ("hessian", "logdet(S)", ["S:n,n,sym"], False),
    ("hessian", "tr(S*S)", ["S:n,n,sym"], False),
    ("hessian", "x.T*S*x", ["S:n,n,sym", "x:n"], False),
    ("hessian", "tr(S*S)", ["S:n,n,sym"], True),
    ("hessian", "logdet(S)", ["S:3,3,sym"], False),
    ("jacobian", "inv(S)", ["S:n,n,sym"], False),
    ("jacobian", "A*S*B", ["A:n,n", "S:n,n,sym", "B:n,n"], False),
    ("jacobian", "S*x", ["S:n,n,sym", "x:n"], False),
    ("jacobian", "inv(S)", ["S:n,n,sym"], True),
    ("jacobian", "S*x", ["S:n,n,sym", "x:n"], True),
    ("jacobian", "S*S", ["S:2,2,sym"], True),
    ("jacobian", "S*S", ["S:2,2,sym"], False),
    ("jacobian", "A*S*B", ["A:2,2", "S:2,2,sym", "B:2,2"], False),
    ("jacobian", "S*x", ["S:3,3,sym", "x:3"], False),
    ("hessian", "tr(S*S)", ["S:2,2,sym"], True),
    ("grad", "logdet(S)", ["S:n,n,sym"], True),
]
