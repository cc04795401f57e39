"""Decompositions: the Cholesky factor, the eigenvalues of a symmetric matrix, `solve`.

chol(X) is the lower-triangular L with L Lᵀ = X, X symmetric positive definite:
  dL = L Φ(L⁻¹ dX L⁻ᵀ), Φ(A) = `tril_half(A)` the lower triangle with half the diagonal
  (Murray 2016, "Differentiation of the Cholesky decomposition"; Giles 2008 §3.3). The reverse
  rule follows from the transposes: Ā = ½ (L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ + its transpose).
eig(S) (also eigvalsh) are the eigenvalues of a symmetric S in ascending order,
  dλᵢ = vᵢᵀ dS vᵢ, the perturbation of a simple eigenvalue (Magnus & Neudecker §8.8; the Matrix
  Cookbook eq. 67): d eig(S) = diag(Vᵀ dS V), V = eigvecs(S) with orthonormal columns;
  lambda_max(S), lambda_min(S): dλ = vᵀ dS v, v = eigvec_max(S) / eigvec_min(S).
Like JAX, chol and eig read a matrix by its symmetric part (X + Xᵀ)/2: at a symmetric X this is
X itself, and a finite difference that steps off the symmetric matrices stays defined. eig, its
eigenvectors and λ_max, λ_min are read only of an operand symmetric by structure
(`needs_symmetric`: a `sym` variable, A + Aᵀ, M Mᵀ + 𝐈), else the reader refuses them with the
fixes; sum(eig(X)) = tr X and prod(eig(X)) = det X hold for any square X (rewrites in rules.py).
An eigenvector's derivative (a Hessian of λ) is not written: it is refused with the reason.
"""

from __future__ import annotations

import sympy as sp

from ..errors import NotMatrixLevel, ShapeError
from ..expr.node import ONE, Node, norm_shape, shape_str
from ..expr.registry import ATOM, Joint, Op, alias, build, register
from .base import (
    add,
    deflinear,
    diag,
    diagof,
    div,
    inv,
    linear_unary_rewrites,
    lit,
    lit_rows,
    matmul,
    mul,
    num,
    ones,
    sqrt,
    symmetric,
    transpose,
    tril_half,
    vec,
    zero,
)
from .explicit import numeric_only


def _square(what: str, out):
    def shape(args: tuple[Node, ...], data: object) -> tuple:
        x = args[0]
        if not x.is_square or x.is_scalar:
            raise ShapeError(f"{what} needs a square matrix, got {shape_str(x.shape)}")
        return out(x)

    return shape


def _sym(x):
    import numpy

    x = numpy.asarray(x, dtype=float)
    return (x + x.T) / 2


def _fresh(p, want: str) -> str:
    return p.names.fresh(want) if p.names is not None else want


def _on_symmetric_part(p, n: Node, call: str) -> str:
    """NumPy for `call` (a template with {}) of the operand's symmetric part: the operand itself
    where it is symmetric as written (Sᵀ = S, A Aᵀ), else (X + Xᵀ)/2."""
    a = n.args[0]
    if symmetric(a):
        return call.format(p(a))
    t = _fresh(p, "_a")
    return f"(lambda {t}: {call.format(f'({t} + {t}.T) / 2')})({p(a)})"


def _call(name: str):
    return lambda p, n: f"{name}({', '.join(p(a) for a in n.args)})"


def _latex(name: str):
    cmd = name.replace("_", r"\_")
    return lambda p, n: rf"\operatorname{{{cmd}}}\left({', '.join(p(a) for a in n.args)}\right)"


def _spd(xp, n: Node, x, *rest) -> bool:
    import numpy

    lam = numpy.linalg.eigvalsh(_sym(x))
    return bool(lam[0] > 1e-2 and lam[-1] / lam[0] < 1e6)


def _positive_definite(x) -> bool:
    import numpy

    return bool(numpy.linalg.eigvalsh(_sym(x))[0] > 0)


def _simple_spectrum(xp, n: Node, x, *rest) -> bool:
    """Eigenvalues apart (each one simple), so that each is differentiable."""
    import numpy

    lam = numpy.linalg.eigvalsh(_sym(x))
    scale = 1 + numpy.max(numpy.abs(lam))
    return bool(numpy.all(numpy.diff(lam) > 1e-3 * scale))


# ---------------------------------------------------------------- Φ: lower triangle, half diagonal


def _tril_half_np(a):
    import numpy

    a = numpy.asarray(a, dtype=float)
    return numpy.tril(a, -1) + numpy.diag(numpy.diag(a)) / 2


def _tril_half_expand(ctx, n: Node, a: Node) -> Node:
    rows = lit_rows(a)
    half = num(sp.Rational(1, 2))
    return lit(
        [
            [e if i > j else (mul(half, e) if i == j else num(0)) for j, e in enumerate(row)]
            for i, row in enumerate(rows)
        ]
    )


def _tril_half_numpy(p, n: Node) -> str:
    t = _fresh(p, "_a")
    return f"(lambda {t}: np.tril({t}, -1) + np.diag(np.diag({t})) / 2)({p(n.args[0])})"


register(
    deflinear(
        "tril_half",
        shape=_square("tril_half", lambda x: x.shape),
        np=lambda ctx, n, a: _tril_half_np(a),
        expand=_tril_half_expand,
        sympy=lambda n, a: sp.Function("tril_half")(a),
        text=_call("tril_half"),
        latex=_latex("tril_half"),
        numpy=_tril_half_numpy,
        prec=ATOM,
        steps="Φ(A): the lower triangle of A with half its diagonal (linear, self-adjoint)",
        names=("tril_half",),
        transpose=lambda n, g, i: tril_half(g),  # ⟨G, Φ(A)⟩ = ⟨Φ(G), A⟩: a mask, entry by entry
        vec=lambda n, i, k: matmul(diag(vec(tril_half(ones(n.shape)))), k),
        rewrites=linear_unary_rewrites(lambda a: tril_half(a), "A + B", "2*A", ("A:n,n", "B:n,n")),
    )
)


# ---------------------------------------------------------------- Cholesky


def _chol_jvp(n: Node, d: list[Node]) -> Node:
    """dL = L Φ(L⁻¹ dX_s L⁻ᵀ), dX_s = (dX + dXᵀ)/2 (Murray 2016, eq. 8)."""
    dxs = mul(num(sp.Rational(1, 2)), add(d[0], transpose(d[0])))
    return matmul(n, tril_half(matmul(inv(n), dxs, inv(transpose(n)))))


def _chol_np(x):
    import scipy.linalg

    return scipy.linalg.cholesky(_sym(x), lower=True)


def _chol_solve(p, n: Node, rhs: str, transposed: bool) -> str:
    """L⁻¹ B (L⁻ᵀ B) by one triangular solve: n² per column, where np.linalg.solve would
    factor L again and np.linalg.inv would form L⁻¹. No finiteness check of its own (NumPy's
    products, around it, make none either): a few percent of chol's vjp at n = 200."""
    trans = ", trans=1" if transposed else ""
    return f"scipy.linalg.solve_triangular({p(n)}, {rhs}, lower=True{trans}, check_finite=False)"


def _chol_builder(x: Node) -> Node:
    if x.is_scalar:
        return sqrt(x)
    return build("chol", x)


register(
    Op(
        "chol",
        shape=_square("chol", lambda x: x.shape),
        jvp=_chol_jvp,
        np=lambda ctx, n, x: _chol_np(x),
        expand=numeric_only("chol", _chol_np, _positive_definite),
        sympy=lambda n, a: sp.Function("chol")(a),
        text=_call("chol"),
        latex=_latex("chol"),
        # SciPy's, unchecked: 0.2 ms at n = 200 where np.linalg.cholesky takes 0.55 ms
        numpy=lambda p, n: _on_symmetric_part(
            p, n, "scipy.linalg.cholesky({}, lower=True, check_finite=False)"
        ),
        prec=ATOM,
        steps="Cholesky factor: dL = L Φ(L⁻¹ dX L⁻ᵀ), Φ = tril_half (Murray 2016)",
        domain=_spd,
        names=("chol", "cholesky"),
        builder=_chol_builder,
        solve=_chol_solve,
    )
)


# ---------------------------------------------------------------- eigenvalues


def _eigh(x):
    import numpy

    return numpy.linalg.eigh(_sym(x))


def _no_derivative(what: str):
    def jvp(n: Node, d: list[Node]) -> Node:
        if all(t.op == "zero" for t in d):
            return zero(n.shape)
        raise NotMatrixLevel(f"the derivative of {what} is not written")

    return jvp


def _eig_jvp(n: Node, d: list[Node]) -> Node:
    """dλᵢ = vᵢᵀ dS vᵢ: d eig(S) = diag(Vᵀ dS V)."""
    v = build("eigvecs", n.args[0])
    return diagof(matmul(transpose(v), d[0], v))


def _extreme_jvp(which: str):
    def jvp(n: Node, d: list[Node]) -> Node:
        v = build(f"eigvec_{which}", n.args[0])
        return matmul(transpose(v), d[0], v)

    return jvp


def _eigh_joint(n: Node) -> Joint:
    """eig(S) and eigvecs(S) from one np.linalg.eigh(S)."""
    s = n.args[0]
    return Joint(
        (build("eig", s), build("eigvecs", s)),
        ((0, ""), (1, "")),
        2,
        lambda p: _on_symmetric_part(p, build("eig", s), "np.linalg.eigh({})"),
    )


def _extreme_joint(which: str):
    """lambda_max(S) and its unit eigenvector from one call that computes that pair only:
    scipy.linalg.eigh(S, subset_by_index=[k, k]), not the whole spectrum."""

    def joint(n: Node) -> Joint:
        s = n.args[0]
        lam = build(f"lambda_{which}", s)

        def code(p) -> str:
            size = s.shape[0]
            last = str(size - 1) if size.is_Integer else f"{p.dim(size)} - 1"
            k = last if which == "max" else "0"
            return _on_symmetric_part(
                p, lam, f"scipy.linalg.eigh({{}}, subset_by_index=[{k}, {k}])"
            )

        return Joint((lam, build(f"eigvec_{which}", s)), ((0, "[0]"), (1, "[:, 0]")), 2, code)

    return joint


def _eig_builder(x: Node) -> Node:
    return x if x.is_scalar else build("eig", x)


register(
    Op(
        "eig",
        shape=_square("eig", lambda x: norm_shape((x.shape[0], ONE))),
        jvp=_eig_jvp,
        np=lambda ctx, n, x: _eigh(x)[0],
        expand=numeric_only("eig", lambda x: _eigh(x)[0]),
        sympy=lambda n, a: sp.Function("eig")(a),
        text=_call("eig"),
        latex=_latex("eig"),
        numpy=lambda p, n: _on_symmetric_part(p, n, "np.linalg.eigvalsh({})"),
        prec=ATOM,
        steps="perturbation of a simple eigenvalue: dλᵢ = vᵢᵀ dS vᵢ",
        domain=_simple_spectrum,
        names=("eig", "eigvalsh"),
        builder=_eig_builder,
        joint=_eigh_joint,
        needs_symmetric=True,
    )
)
register(
    Op(
        "eigvecs",
        shape=_square("eigvecs", lambda x: x.shape),
        jvp=_no_derivative("eigenvectors"),
        np=lambda ctx, n, x: _eigh(x)[1],
        expand=numeric_only("eigvecs", lambda x: _eigh(x)[1]),
        sympy=lambda n, a: sp.Function("eigvecs")(a),
        text=_call("eigvecs"),
        latex=_latex("eigvecs"),
        numpy=lambda p, n: _on_symmetric_part(p, n, "np.linalg.eigh({})[1]"),
        prec=ATOM,
        steps="the unit eigenvectors, in the order of eig",
        domain=_simple_spectrum,
        names=("eigvecs",),
        joint=_eigh_joint,
        needs_symmetric=True,
    )
)
for _which, _index in (("max", -1), ("min", 0)):
    register(
        Op(
            f"lambda_{_which}",
            shape=_square(f"lambda_{_which}", lambda x: ()),
            jvp=_extreme_jvp(_which),
            np=(lambda i: lambda ctx, n, x: float(_eigh(x)[0][i]))(_index),
            expand=numeric_only(f"lambda_{_which}", (lambda i: lambda x: _eigh(x)[0][i])(_index)),
            sympy=(lambda w: lambda n, a: sp.Function(f"lambda_{w}")(a))(_which),
            text=_call(f"lambda_{_which}"),
            latex=_latex(f"lambda_{_which}"),
            numpy=(
                lambda i: lambda p, n: _on_symmetric_part(p, n, "np.linalg.eigvalsh({})" + f"[{i}]")
            )(_index),
            prec=ATOM,
            steps="perturbation of a simple eigenvalue: dλ = vᵀ dS v",
            domain=_simple_spectrum,
            names=(f"lambda_{_which}",),
            joint=_extreme_joint(_which),
            needs_symmetric=True,
        )
    )
    register(
        Op(
            f"eigvec_{_which}",
            shape=_square(f"eigvec_{_which}", lambda x: norm_shape((x.shape[0], ONE))),
            jvp=_no_derivative("an eigenvector"),
            np=(lambda i: lambda ctx, n, x: _eigh(x)[1][:, i])(_index),
            expand=numeric_only(
                f"eigvec_{_which}", (lambda i: lambda x: _eigh(x)[1][:, i])(_index)
            ),
            sympy=(lambda w: lambda n, a: sp.Function(f"eigvec_{w}")(a))(_which),
            text=_call(f"eigvec_{_which}"),
            latex=_latex(f"eigvec_{_which}"),
            numpy=(
                lambda i: (
                    lambda p, n: _on_symmetric_part(p, n, "np.linalg.eigh({})" + f"[1][:, {i}]")
                )
            )(_index),
            prec=ATOM,
            steps="the unit eigenvector of the eigenvalue (its sign is arbitrary; v vᵀ is not)",
            domain=_simple_spectrum,
            names=(f"eigvec_{_which}",),
            joint=_extreme_joint(_which),
            needs_symmetric=True,
        )
    )


# ---------------------------------------------------------------- solve


def _solve(a: Node, b: Node) -> Node:
    """solve(A, B) = A⁻¹ B."""
    if a.is_scalar:
        return div(b, a)
    return matmul(inv(a), b)


alias("solve", 2, _solve)


__all__: list[str] = []
