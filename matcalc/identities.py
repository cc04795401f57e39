"""The built-in identity table: Matrix Cookbook section 2 (numbered as in the book, 2012
edition) and the usual machine-learning losses. It drives the test suite and `selfcheck`.

Each entry gives the expression, the variable, the declarations, and, where the textbook form
is canonical, the expected mixed-layout answer in matcalc's own expression language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    ref: str
    kind: str
    expr: str
    wrt: str
    let: tuple[str, ...]
    expected: str | None = None  # in the expression language; None: numeric check only


V = ("x:n", "a:n", "b:n", "c:n")
M = ("X:n,n", "A:n,n", "B:n,n", "D:n,n", "a:n", "b:n", "c:n")

IDENTITIES: tuple[Identity, ...] = (
    Identity("MC69a", "grad", "x.T*a", "x", V, "a"),
    Identity("MC69b", "grad", "a.T*x", "x", V, "a"),
    Identity("MC70", "grad", "a.T*X*b", "X", M, "a*b.T"),
    Identity("MC71", "grad", "a.T*X.T*b", "X", M, "b*a.T"),
    Identity("MC72", "grad", "a.T*X*a", "X", M, "a*a.T"),
    Identity("MC77", "grad", "b.T*X.T*X*c", "X", M, "X*(c*b.T + b*c.T)"),
    Identity("MC81", "grad", "x.T*B*x", "x", ("x:n", "B:n,n"), "(B + B.T)*x"),
    Identity("MC82", "grad", "b.T*X.T*D*X*c", "X", M, "D.T*X*b*c.T + D*X*c*b.T"),
    Identity("MC84", "grad", "(X*b + c).T*D*(X*b + c)", "X", M, None),
    Identity("MC49", "grad", "det(X)", "X", M, "det(X)*inv(X).T"),
    Identity("MC57", "grad", "logdet(X)", "X", M, "inv(X).T"),
    Identity("MC61", "grad", "a.T*inv(X)*b", "X", M, "-inv(X).T*a*b.T*inv(X).T"),
    Identity("MC100", "grad", "tr(X)", "X", M, None),
    Identity("MC101", "grad", "tr(X*A)", "X", M, "A.T"),
    Identity("MC102", "grad", "tr(A*X*B)", "X", M, "A.T*B.T"),
    Identity("MC103", "grad", "tr(A*X.T*B)", "X", M, "B*A"),
    Identity("MC104", "grad", "tr(X.T*A)", "X", M, "A"),
    Identity("MC111", "grad", "tr(X**2)", "X", M, "2*X.T"),
    Identity("MC113", "grad", "tr(X.T*B*X)", "X", M, "(B + B.T)*X"),
    Identity("MC117", "grad", "tr(X*X.T)", "X", M, "2*X"),
    Identity("MC124", "grad", "tr(A*inv(X)*B)", "X", M, "-inv(X).T*A.T*B.T*inv(X).T"),
    Identity("MC130", "grad", "norm2(X)**2", "X", M, "2*X"),
    Identity("MC131", "grad", "norm2(x - a)", "x", V, None),
    Identity("xTx", "grad", "x.T*x", "x", V, "2*x"),
    Identity("sqrt", "grad", "sqrt(x.T*x)", "x", V, None),
    Identity("sin", "grad", "sin(x.T*x)", "x", V, None),
    Identity("logsumexp", "grad", "logsumexp(W*x)", "x", ("x:n", "W:m,n"), "W.T*softmax(W*x)"),
    Identity(
        "logistic", "grad", "sum(softplus(X*w)) - y.T*X*w", "w", ("X:m,n", "w:n", "y:m"), None
    ),
    Identity("lsq", "grad", "norm2(A*x - b)**2", "x", ("A:m,n", "x:n", "b:m"), None),
    Identity(
        "net2",
        "grad",
        "(v.T*W2*W1*x - t)**2/2",
        "W1",
        ("x:n", "W1:n,n", "W2:n,n", "v:n"),
        "(v.T*W2*W1*x - t)*W2.T*v*x.T",
    ),
    Identity("tanhnet", "grad", "sum(tanh(W*x))", "W", ("x:n", "W:m,n"), None),
    Identity("quadS", "grad", "x.T*S*x", "S", ("x:n", "S:n,n,sym"), "x*x.T"),
    Identity("logdetS", "grad", "logdet(S)", "S", ("S:n,n,sym",), "inv(S)"),
    Identity("trAS", "grad", "tr(A*S)", "S", ("S:n,n,sym", "A:n,n"), "(A + A.T)/2"),
    Identity("kron-sum", "grad", "sum(kron(A, X))", "X", M, None),
    Identity("kron-tr", "grad", "tr(kron(A, X))", "X", M, None),
    Identity("J-Ax", "jacobian", "A*x", "x", ("A:m,n", "x:n"), "A"),
    Identity("J-sig", "jacobian", "sigmoid(x)", "x", ("x:n",), None),
    Identity("J-softmax", "jacobian", "softmax(x)", "x", ("x:n",), None),
    Identity("J-tanhW", "jacobian", "tanh(W*x)", "x", ("x:n", "W:m,n"), None),
    Identity("J-had", "jacobian", "hadamard(x, x)", "x", ("x:n",), "2*diag(x)"),
    Identity("J-scale", "jacobian", "(x.T*x)*x", "x", ("x:n",), None),
    Identity("H-quad", "hessian", "x.T*A*x", "x", ("x:n", "A:n,n"), "A + A.T"),
    Identity("H-lse", "hessian", "logsumexp(x)", "x", ("x:n",), None),
    Identity("H-norm", "hessian", "norm2(x)", "x", ("x:n",), None),
    Identity("H-cubic", "hessian", "(a.T*x)**3", "x", V, None),
)
