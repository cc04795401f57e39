"""Textbook results for the readability suite (tests/test_readability.py).

Each row is one derivative as a book prints it: where it is printed (book and equation or
section), the matcalc command that computes it (kind, expression, `--let` declarations,
`--wrt`, `--vec`), and the book's printed form written in matcalc's text notation
(juxtaposition for products, `ᵀ`, `⁻¹`, `⁻ᵀ`, `⊙`, `⊗`, `‖x‖`, `σ(…)`, `𝟏`, `𝐈`, `diag(…)`, …).

`book` is what is measured for readability: the form as printed. Where the printed form does
not fix a size (`𝐈` alone, `𝐈 ⊗ X`), `book_eval` is the same form with the size spelled out,
used only to evaluate it. `pd` names get symmetric positive-definite values, `inv` names
well-conditioned non-symmetric ones with a positive determinant, `simplex` names probability
vectors (nonnegative entries summing to 1), `positive` names positive entries; `fix` adjusts
the values where a result holds only on a domain (the log barrier's b - A x > 0).
`scalars` are the undeclared (scalar) names of the expression.

This module does not import matcalc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Distinct sizes, so that a transposed or misplaced factor cannot pass by accident.
DIMS = {"n": 3, "m": 4, "k": 5, "p": 2}

MC = "Matrix Cookbook (Petersen & Pedersen, 2012)"
MN = "Magnus & Neudecker (2019)"
PRML = "Bishop PRML (2006)"
PML = "Murphy, PML (2022)"
BV = "Boyd & Vandenberghe, Convex Optimization (2004)"
CS231N = "CS231n backprop notes"
ISSUE = "issue table"


@dataclass(frozen=True)
class Row:
    source: str
    kind: str  # grad | jacobian | hessian
    expr: str
    let: tuple[str, ...]
    wrt: str
    book: str
    book_eval: str | None = None
    vec: bool = False
    scalars: tuple[str, ...] = ()
    pd: tuple[str, ...] = ()
    inv: tuple[str, ...] = ()
    simplex: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    fix: Callable[[dict, np.random.Generator], None] | None = None

    @property
    def command(self) -> str:
        lets = " ".join(f"--let {d}" for d in self.let)
        vec = " --vec" if self.vec else ""
        return f'matcalc {self.kind} "{self.expr}" {lets} --wrt {self.wrt}{vec}'


def _barrier(values: dict, rng: np.random.Generator) -> None:
    """b - A x > 0: the log barrier's domain."""
    values["b"] = values["A"] @ values["x"] + 0.5 + rng.random(values["b"].shape)


def r(source, kind, expr, let, wrt, book, **kw) -> Row:
    return Row(source, kind, expr, tuple(let.split()), wrt, book, **kw)


# fmt: off
ROWS: list[Row] = [
    # ------------------------------------------------------------------ the issue's table
    r(f"{ISSUE}: Rayleigh quotient", "grad", "x.T*A*x/(x.T*x)", "x:n A:n,n,sym", "x",
      "2/(xᵀ x) (A x - (xᵀ A x)/(xᵀ x) x)"),
    r(f"{ISSUE}: log-sum-exp; {BV} §3.1.5", "grad", "log(sum(exp(x)))", "x:n", "x",
      "softmax(x)"),
    r(f"{ISSUE}: logistic loss Hessian; {PML} §10.2.3.3", "hessian", "log(1 + exp(w.T*x))",
      "w:n x:n", "w", "σ(wᵀ x) (1 - σ(wᵀ x)) x xᵀ"),
    r(f"{ISSUE}: trace of inverse Gram", "grad", "tr(inv(X.T*X))", "X:m,n", "X",
      "-2 X (Xᵀ X)⁻²"),
    r(f"{ISSUE}: exp of a quadratic form", "grad", "exp(x.T*A*x)", "x:n A:n,n", "x",
      "exp(xᵀ A x) (A + Aᵀ) x"),
    r(f"{ISSUE}: Euclidean norm", "grad", "sqrt(x.T*x)", "x:n", "x", "x/‖x‖"),
    r(f"{ISSUE}: tanh layer; {PML} §13.3.3.2", "jacobian", "tanh(W*x)", "W:m,n x:n", "x",
      "diag(𝟏 - tanh(W x)⊙²) W"),
    r(f"{ISSUE}: ReLU layer; {CS231N}", "grad", "sum(relu(W*x))", "W:m,n x:n", "W",
      "step(W x) xᵀ"),
    r(f"{ISSUE}: softmax log-likelihood, any y", "grad", "y.T*log(softmax(W*x))",
      "W:k,n x:n y:k", "W", "(y - (𝟏ᵀ y) softmax(W x)) xᵀ"),
    r(f"{ISSUE}: Gaussian log-likelihood by μ; {PRML} eq. (2.121)", "grad",
      "-(x - mu).T*inv(S)*(x - mu)/2", "x:n mu:n S:n,n,sym", "mu", "S⁻¹ (x - μ)", pd=("S",)),
    # ------------------------------------------------------------------ Matrix Cookbook
    r(f"{MC} eq. (49)", "grad", "det(X)", "X:n,n", "X", "det(X) X⁻ᵀ", inv=("X",)),
    r(f"{MC} eq. (51)", "grad", "det(A*X*B)", "A:n,n X:n,n B:n,n", "X", "det(A X B) X⁻ᵀ",
      inv=("A", "X", "B")),
    r(f"{MC} eq. (53), A symmetric", "grad", "det(X.T*A*X)", "X:m,n A:m,m,sym", "X",
      "2 det(Xᵀ A X) A X (Xᵀ A X)⁻¹", pd=("A",)),
    r(f"{MC} eq. (54), A not symmetric", "grad", "det(X.T*A*X)", "X:m,n A:m,m", "X",
      "det(Xᵀ A X) (A X (Xᵀ A X)⁻¹ + Aᵀ X (Xᵀ Aᵀ X)⁻¹)", inv=("A",)),
    r(f"{MC} eq. (55) (2 (X⁺)ᵀ = 2 X (Xᵀ X)⁻¹)", "grad", "logdet(X.T*X)", "X:m,n", "X",
      "2 X (Xᵀ X)⁻¹"),
    r(f"{MC} eq. (57)", "grad", "logdet(X)", "X:n,n", "X", "X⁻ᵀ", inv=("X",)),
    r(f"{MC} eq. (58), k = 3", "grad", "det(X**3)", "X:n,n", "X", "3 det(X³) X⁻ᵀ", inv=("X",)),
    r(f"{MC} eq. (61)", "grad", "a.T*inv(X)*b", "a:n X:n,n b:n", "X", "-X⁻ᵀ a bᵀ X⁻ᵀ",
      inv=("X",)),
    r(f"{MC} eq. (63)", "grad", "tr(A*inv(X)*B)", "A:m,n X:n,n B:n,m", "X",
      "-(X⁻¹ B A X⁻¹)ᵀ", inv=("X",)),
    r(f"{MC} eq. (64)", "grad", "tr(inv(X + A))", "X:n,n A:n,n", "X",
      "-((X + A)⁻¹ (X + A)⁻¹)ᵀ", inv=("X", "A")),
    r(f"{MC} eq. (69)", "grad", "x.T*a", "x:n a:n", "x", "a"),
    r(f"{MC} eq. (70)", "grad", "a.T*X*b", "a:m X:m,n b:n", "X", "a bᵀ"),
    r(f"{MC} eq. (71)", "grad", "a.T*X.T*b", "a:n X:m,n b:m", "X", "b aᵀ"),
    r(f"{MC} eq. (72)", "grad", "a.T*X*a", "a:n X:n,n", "X", "a aᵀ"),
    r(f"{MC} eq. (77)", "grad", "b.T*X.T*X*c", "b:n X:m,n c:n", "X", "X (b cᵀ + c bᵀ)"),
    r(f"{MC} eq. (78)", "grad", "(B*x + b).T*C*(D*x + d)", "x:n B:m,n b:m C:m,k D:k,n d:k",
      "x", "Bᵀ C (D x + d) + Dᵀ Cᵀ (B x + b)"),
    r(f"{MC} eq. (81)", "grad", "x.T*B*x", "x:n B:n,n", "x", "(B + Bᵀ) x"),
    r(f"{MC} eq. (82)", "grad", "b.T*X.T*D*X*c", "b:n X:m,n D:m,m c:n", "X",
      "Dᵀ X b cᵀ + D X c bᵀ"),
    r(f"{MC} eq. (83)", "grad", "(X*b + c).T*D*(X*b + c)", "X:m,n b:n c:m D:m,m", "X",
      "(D + Dᵀ) (X b + c) bᵀ"),
    r(f"{MC} eq. (84), W symmetric", "grad", "(x - A*s).T*W*(x - A*s)",
      "x:m A:m,n s:n W:m,m,sym", "s", "-2 Aᵀ W (x - A s)"),
    r(f"{MC} eq. (86), W symmetric", "grad", "(x - s).T*W*(x - s)", "x:n s:n W:n,n,sym", "s",
      "-2 W (x - s)"),
    r(f"{MC} eq. (88), W symmetric", "grad", "(x - A*s).T*W*(x - A*s)",
      "x:m A:m,n s:n W:m,m,sym", "A", "-2 W (x - A s) sᵀ"),
    # The book prints I; matcalc's text must read back (SPEC §4 v2), and a bare 𝐈 has no size,
    # so it writes the size as a subscript, as books do when it matters: I_n.
    r(f"{MC} eq. (99)", "grad", "tr(X)", "X:n,n", "X", "𝐈ₙ"),
    r(f"{MC} eq. (100)", "grad", "tr(X*A)", "X:m,n A:n,m", "X", "Aᵀ"),
    r(f"{MC} eq. (101)", "grad", "tr(A*X*B)", "A:k,m X:m,n B:n,k", "X", "Aᵀ Bᵀ"),
    r(f"{MC} eq. (102)", "grad", "tr(A*X.T*B)", "A:k,n X:m,n B:m,k", "X", "B A"),
    r(f"{MC} eq. (103)", "grad", "tr(X.T*A)", "X:m,n A:m,n", "X", "A"),
    r(f"{MC} eq. (105)", "grad", "tr(kron(A, X))", "A:m,m X:n,n", "X", "tr(A) 𝐈",
      book_eval="tr(A) eye(n)"),
    r(f"{MC} eq. (106)", "grad", "tr(X**2)", "X:n,n", "X", "2 Xᵀ"),
    r(f"{MC} eq. (107)", "grad", "tr(X**2*B)", "X:n,n B:n,n", "X", "(X B + B X)ᵀ"),
    r(f"{MC} eq. (108)", "grad", "tr(X.T*B*X)", "X:m,n B:m,m", "X", "B X + Bᵀ X"),
    r(f"{MC} eq. (111)", "grad", "tr(X*B*X.T)", "X:m,n B:n,n", "X", "X Bᵀ + X B"),
    r(f"{MC} eq. (114)", "grad", "tr(A*X*B*X)", "A:n,m X:m,n B:n,m", "X",
      "Aᵀ Xᵀ Bᵀ + Bᵀ Xᵀ Aᵀ"),
    r(f"{MC} eq. (115)", "grad", "tr(X.T*X)", "X:m,n", "X", "2 X"),
    r(f"{MC} eq. (116)", "grad", "tr(B.T*X.T*C*X*B)", "B:n,k X:m,n C:m,m", "X",
      "Cᵀ X B Bᵀ + C X B Bᵀ"),
    r(f"{MC} eq. (117)", "grad", "tr(X.T*B*X*C)", "X:m,n B:m,m C:n,n", "X",
      "B X C + Bᵀ X Cᵀ"),
    r(f"{MC} eq. (118)", "grad", "tr(A*X*B*X.T*C)", "A:k,m X:m,n B:n,n C:m,k", "X",
      "Aᵀ Cᵀ X Bᵀ + C A X B"),
    r(f"{MC} eq. (119)", "grad", "tr((A*X*B + C)*(A*X*B + C).T)", "A:k,m X:m,n B:n,p C:k,p",
      "X", "2 Aᵀ (A X B + C) Bᵀ"),
    r(f"{MC} eq. (121), n = 4", "grad", "tr(X**4)", "X:n,n", "X", "4 (X³)ᵀ"),
    r(f"{MC} eq. (122), n = 3", "grad", "tr(A*X**3)", "A:n,n X:n,n", "X",
      "(A X² + X A X + X² A)ᵀ"),
    r(f"{MC} eq. (125), C symmetric", "grad", "tr(inv(X.T*C*X)*A)", "X:m,n C:m,m,sym A:n,n",
      "X", "-C X (Xᵀ C X)⁻¹ (A + Aᵀ) (Xᵀ C X)⁻¹", pd=("C",)),
    r(f"{MC} eq. (126), B, C symmetric", "grad", "tr(inv(X.T*C*X)*(X.T*B*X))",
      "X:m,n C:m,m,sym B:m,m,sym", "X",
      "-2 C X (Xᵀ C X)⁻¹ Xᵀ B X (Xᵀ C X)⁻¹ + 2 B X (Xᵀ C X)⁻¹", pd=("C",)),
    r(f"{MC} eq. (127), A, B, C symmetric", "grad", "tr(inv(A + X.T*C*X)*(X.T*B*X))",
      "X:m,n A:n,n,sym C:m,m,sym B:m,m,sym", "X",
      "-2 C X (A + Xᵀ C X)⁻¹ Xᵀ B X (A + Xᵀ C X)⁻¹ + 2 B X (A + Xᵀ C X)⁻¹", pd=("A", "C")),
    r(f"{MC} eq. (129)", "grad", "norm2(x - a)", "x:n a:n", "x", "(x - a)/‖x - a‖"),
    r(f"{MC} eq. (130)", "jacobian", "(x - a)/norm2(x - a)", "x:n a:n", "x",
      "𝐈/‖x - a‖ - (x - a) (x - a)ᵀ/‖x - a‖³"),
    r(f"{MC} eq. (131)", "grad", "norm2(x)**2", "x:n", "x", "2 x"),
    r(f"{MC} eq. (132)", "grad", "norm2(X)**2", "X:m,n", "X", "2 X"),
    # ------------------------------------------------------------------ Kronecker / vec
    r(f"{MC} eq. (520); {MN} ch. 2, Thm 2", "jacobian", "A*X*B", "A:m,n X:n,k B:k,p", "X",
      "Bᵀ ⊗ A", vec=True),
    r(f"{MN} ch. 9 (d X⁻¹ = -X⁻¹ dX X⁻¹)", "jacobian", "inv(X)", "X:n,n", "X",
      "-X⁻ᵀ ⊗ X⁻¹", vec=True, inv=("X",)),
    r(f"{MN} ch. 9 (d X² = dX X + X dX)", "jacobian", "X*X", "X:n,n", "X",
      "𝐈 ⊗ X + Xᵀ ⊗ 𝐈", book_eval="eye(n) ⊗ X + Xᵀ ⊗ eye(n)", vec=True),
    # ------------------------------------------------------------------ Boyd & Vandenberghe
    r(f"{BV} §A.4.1 (quadratic), P symmetric", "grad", "x.T*P*x/2 + q.T*x + c",
      "x:n P:n,n,sym q:n", "x", "P x + q", scalars=("c",)),
    r(f"{BV} §A.4.3 (quadratic), P symmetric", "hessian", "x.T*P*x/2 + q.T*x + c",
      "x:n P:n,n,sym q:n", "x", "P", scalars=("c",)),
    r(f"{BV} §A.4.1 (log det)", "grad", "logdet(X)", "X:n,n,sym", "X", "X⁻¹", pd=("X",)),
    r(f"{BV} §3.1.5 (log-sum-exp Hessian)", "hessian", "logsumexp(x)", "x:n", "x",
      "diag(softmax(x)) - softmax(x) softmax(x)ᵀ"),
    r(f"{BV} §11.2.1 (log barrier, gradient)", "grad", "-sum(log(b - A*x))", "A:m,n x:n b:m",
      "x", "Aᵀ (𝟏 ⊘ (b - A x))", fix=_barrier),
    r(f"{BV} §11.2.1 (log barrier, Hessian)", "hessian", "-sum(log(b - A*x))",
      "A:m,n x:n b:m", "x", "Aᵀ diag(b - A x)⁻² A", fix=_barrier),
    # ------------------------------------------------------------------ regression
    r(f"{PML} §11.2.2.1 (OLS gradient)", "grad", "norm2(X*w - y)**2/2", "X:m,n w:n y:m", "w",
      "Xᵀ X w - Xᵀ y"),
    r(f"{PML} §11.2.2.1 (OLS Hessian)", "hessian", "norm2(X*w - y)**2/2", "X:m,n w:n y:m",
      "w", "Xᵀ X"),
    r(f"{PML} §11.3 (ridge gradient)", "grad", "norm2(X*w - y)**2 + lam*norm2(w)**2",
      "X:m,n w:n y:m", "w", "2 Xᵀ (X w - y) + 2 λ w", scalars=("lam",)),
    r(f"{PML} §11.3 (ridge Hessian)", "hessian", "norm2(X*w - y)**2 + lam*norm2(w)**2",
      "X:m,n w:n y:m", "w", "2 Xᵀ X + 2 λ 𝐈", scalars=("lam",)),
    r(f"{PRML} eq. (4.96) (cross-entropy error)", "grad",
      "-(t.T*log(sigmoid(X*w)) + (1 - t).T*log(1 - sigmoid(X*w)))", "X:m,n w:n t:m", "w",
      "Xᵀ (σ(X w) - t)"),
    r(f"{PRML} eq. (4.97) (Hessian ΦᵀRΦ)", "hessian",
      "-(t.T*log(sigmoid(X*w)) + (1 - t).T*log(1 - sigmoid(X*w)))", "X:m,n w:n t:m", "w",
      "Xᵀ diag(σ(X w) ⊙ (𝟏 - σ(X w))) X"),
    r(f"{PML} §10.2.3.2 (logistic NLL, softplus form)", "grad",
      "sum(softplus(X*w)) - y.T*X*w", "X:m,n w:n y:m", "w", "Xᵀ (σ(X w) - y)"),
    r(f"{PRML} eq. (4.88) (sigmoid Jacobian)", "jacobian", "sigmoid(x)", "x:n", "x",
      "diag(σ(x) ⊙ (𝟏 - σ(x)))"),
    r(f"{PRML} eq. (4.106) (softmax Jacobian)", "jacobian", "softmax(x)", "x:n", "x",
      "diag(softmax(x)) - softmax(x) softmax(x)ᵀ"),
    # The books take 𝟏ᵀy = 1 (one-hot targets) and print softmax(z) - y; matcalc cannot know
    # that, so the rows use the form that holds for any y (the test's y are not normalised).
    r(f"{PML} §13.3.3.1 (cross-entropy layer, any y)", "grad", "-y.T*log(softmax(z))",
      "z:k y:k", "z", "(𝟏ᵀ y) softmax(z) - y"),
    r(f"{PRML} eq. (4.109) (multiclass LR, any y)", "grad", "-y.T*log(softmax(W*x))",
      "W:k,n x:n y:k", "W", "((𝟏ᵀ y) softmax(W x) - y) xᵀ"),
    r(f"{PML} §10.3.2.4 (softmax cross-entropy Hessian, any y)", "hessian",
      "-y.T*log(softmax(z))", "z:k y:k", "z",
      "(𝟏ᵀ y) (diag(softmax(z)) - softmax(z) softmax(z)ᵀ)"),
    r(f"{PML} §10.2.3 (logistic NLL, labels ±1)", "grad", "sum(softplus(-y .* (X*w)))",
      "X:m,n w:n y:m", "w", "-Xᵀ (y ⊙ σ(-y ⊙ (X w)))"),
    # ------------------------------------------------------------------ Gaussians
    r(f"{PML} §4.2.6 (MVN log-likelihood by Λ = Σ⁻¹)", "grad",
      "logdet(Lam)/2 - (x - mu).T*Lam*(x - mu)/2", "x:n mu:n Lam:n,n,sym", "Lam",
      "(Λ⁻¹ - (x - μ) (x - μ)ᵀ)/2", pd=("Lam",)),
    r(f"{MC} eq. (86) (Mahalanobis distance), S symmetric", "grad",
      "(x - mu).T*inv(S)*(x - mu)", "x:n mu:n S:n,n,sym", "x", "2 S⁻¹ (x - μ)", pd=("S",)),
    r(f"{PRML} eq. (2.121) (Hessian by μ)", "hessian", "-(x - mu).T*inv(S)*(x - mu)/2",
      "x:n mu:n S:n,n,sym", "mu", "-S⁻¹", pd=("S",)),
    r(f"{PRML} ex. 2.34 (MVN log-likelihood by Σ)", "grad",
      "-logdet(Sigma)/2 - (x - mu).T*inv(Sigma)*(x - mu)/2", "x:n mu:n Sigma:n,n,sym",
      "Sigma", "(Σ⁻¹ (x - μ) (x - μ)ᵀ Σ⁻¹ - Σ⁻¹)/2", pd=("Sigma",)),
    # ------------------------------------------------------------------ neural-net layers
    r(f"{CS231N} (D = W X: dW = dD Xᵀ)", "grad", "tr(G.T*W*X)", "G:m,k W:m,n X:n,k", "W",
      "G Xᵀ"),
    r(f"{PML} §13.3.3.3 (linear layer, by x)", "grad", "u.T*W*x", "u:m W:m,n x:n", "x",
      "Wᵀ u"),
    r(f"{PML} §13.3.3.2 (sigmoid layer)", "jacobian", "sigmoid(W*x)", "W:m,n x:n", "x",
      "diag(σ(W x) ⊙ (𝟏 - σ(W x))) W"),
    r(f"{CS231N} (tanh layer, by W)", "grad", "v.T*tanh(W*x)", "v:m W:m,n x:n", "W",
      "(v ⊙ (𝟏 - tanh(W x)⊙²)) xᵀ"),
    r(f"{CS231N} (tanh layer, by x)", "grad", "v.T*tanh(W*x)", "v:m W:m,n x:n", "x",
      "Wᵀ (v ⊙ (𝟏 - tanh(W x)⊙²))"),
    r(f"{CS231N} (ReLU layer, by x)", "grad", "sum(relu(W*x))", "W:m,n x:n", "x",
      "Wᵀ step(W x)"),
    r(f"{PML} §11.2.2.1 (least squares, many outputs)", "grad", "norm2(X*W - Y)**2/2",
      "X:m,n W:n,k Y:m,k", "W", "Xᵀ (X W - Y)"),
    r(f"{CS231N} (squared error of a linear layer)", "grad", "norm2(W*x - y)**2/2",
      "W:m,n x:n y:m", "W", "(W x - y) xᵀ"),
    r(f"{PML} §13.3.3.2 (softplus, elementwise)", "grad", "sum(softplus(x))", "x:n", "x",
      "σ(x)"),
    r(f"{MN} ch. 10 (Hessian of xᵀAx)", "hessian", "x.T*A*x", "x:n A:n,n", "x", "A + Aᵀ"),
]
# fmt: on
