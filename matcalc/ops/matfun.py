"""Matrix functions: expm, logm, sqrtm (principal), and their Fréchet derivatives.

d f(X) = L_f(X, dX), the Fréchet derivative (Higham, Functions of Matrices, §3.1):
  expm:  L(X, E) = ∫₀¹ e^{sX} E e^{(1−s)X} ds                  (Higham §10.2; Giles §3.5)
  sqrtm: F L + L F = E, F = X^{1/2}: a Sylvester equation       (Higham §6.1)
  logm:  L(X, E) = ∫₀^∞ (X + t𝐈)⁻¹ E (X + t𝐈)⁻¹ dt             (Higham §11.2)
Each derivative is one entry, `expm_frechet(X, E)` (input too), linear in E; its adjoint is
L(Xᵀ, G) (a primary function with a real power series). A second argument E₂ makes it the
second Fréchet derivative L(X, E₁, E₂) = D²f(X)[E₁, E₂], which a Hessian needs; its adjoint in
Eᵢ puts G in place of Eᵢ and transposes X and the other E. Numbers come from SciPy: `expm_frechet`,
`solve_sylvester`, and f of the block matrix [[X, E], [0, X]], whose corner is L(X, E).
"""

from __future__ import annotations

import itertools

import sympy as sp

from ..errors import NotMatrixLevel, ShapeError
from ..expr.node import Node, norm_shape, shape_str
from ..expr.registry import ATOM, Joint, Op, Rewrite, build, register
from .base import add, apply, eye, frechet, is_zero, matmul, sqrt, transpose, zero
from .explicit import numeric_only

# name → (scalar counterpart, SciPy function, LaTeX, the steps label)
MATRIX_FUNCTIONS = {
    "expm": (
        "exp",
        "expm",
        r"\operatorname{expm}",
        "Fréchet derivative of expm: d expm(X) = L(X, dX) = ∫₀¹ e^{sX} dX e^{(1−s)X} ds",
    ),
    "logm": (
        "log",
        "logm",
        r"\operatorname{logm}",
        "Fréchet derivative of logm: d logm(X) = ∫₀^∞ (X + t𝐈)⁻¹ dX (X + t𝐈)⁻¹ dt",
    ),
    "sqrtm": (
        "sqrt",
        "sqrtm",
        r"\operatorname{sqrtm}",
        "Fréchet derivative of sqrtm: dF solves F dF + dF F = dX (a Sylvester equation)",
    ),
}


def _square(what: str):
    def shape(args: tuple[Node, ...], data: object) -> tuple:
        x = args[0]
        if not x.is_square or x.is_scalar:
            raise ShapeError(f"{what} needs a square matrix, got {shape_str(x.shape)}")
        for e in args[1:]:
            if e.shape != x.shape:
                raise ShapeError(
                    f"{what}: the direction must be shaped like X ({shape_str(x.shape)}), "
                    f"got {shape_str(e.shape)}"
                )
        return x.shape

    return shape


def _scipy_f(name: str):
    import scipy.linalg

    return getattr(scipy.linalg, MATRIX_FUNCTIONS[name][1])


def _real(a):
    import numpy

    a = numpy.asarray(a)
    return a.real if numpy.iscomplexobj(a) else a


def _f_np(name: str):
    def ev(ctx, n: Node, x):
        return _real(_scipy_f(name)(x))

    return ev


def _no_explicit(name: str):
    """Numbers only (`--at`): f, L_f or K_f of explicit values, from SciPy."""
    defined = _principal if name.split("_")[0] in ("logm", "sqrtm") else None

    def fn(*vals):
        if name in _FRECHET_NP:
            return _FRECHET_NP[name](*vals)
        return _real(_scipy_f(name)(vals[0]))

    return numeric_only(name, fn, defined)


def _principal(x, *directions) -> bool:
    """logm, sqrtm: no eigenvalue on the closed negative real axis."""
    import numpy

    lam = numpy.linalg.eigvals(x)
    return bool(numpy.all((numpy.abs(lam.imag) > 1e-12) | (lam.real > 0)))


def _no_negative_eigenvalue(xp, n: Node, x, *directions) -> bool:
    """logm, sqrtm: principal where no eigenvalue is on the closed negative real axis (kept
    away from it, and from near-singular X, so that finite differences are meaningful)."""
    import numpy

    x = numpy.asarray(x, dtype=float)
    lam = numpy.linalg.eigvals(x)
    on_axis = numpy.abs(lam.imag) < 1e-3 * (1 + numpy.abs(lam.real))
    return bool(numpy.all(~on_axis | (lam.real > 1e-2)) and numpy.linalg.cond(x) < 1e6)


def _bounded(xp, n: Node, x, *directions) -> bool:
    import numpy

    return bool(numpy.linalg.norm(numpy.asarray(x, dtype=float), 1) < 50)


# ---------------------------------------------------------------- the Fréchet derivatives


def _block_corner(f, x, es):
    """f of the block bidiagonal matrix [[X, E₁, 0], [0, X, E₂], [0, 0, X]]: its top right
    block is Σ over the paths X^a E₁ X^b E₂ X^c of f's divided differences (Higham §3.2)."""
    import numpy

    k, n = len(es), x.shape[0]
    big = numpy.zeros(((k + 1) * n, (k + 1) * n))
    for i in range(k + 1):
        big[i * n : (i + 1) * n, i * n : (i + 1) * n] = x
    for i, e in enumerate(es):
        big[i * n : (i + 1) * n, (i + 1) * n : (i + 2) * n] = e
    return _real(f(big))[:n, k * n :]


def _frechet_general(name: str):
    def ev(x, *es):
        f = _scipy_f(name)
        return sum(_block_corner(f, x, list(p)) for p in itertools.permutations(es))

    return ev


def _expm_frechet_np(x, *es):
    import scipy.linalg

    if len(es) == 1:
        return scipy.linalg.expm_frechet(x, es[0], compute_expm=False)
    return _frechet_general("expm")(x, *es)


def _sqrtm_frechet_np(x, *es):
    import scipy.linalg

    if len(es) == 1:
        f = _real(scipy.linalg.sqrtm(x))
        return scipy.linalg.solve_sylvester(f, f, es[0])
    return _frechet_general("sqrtm")(x, *es)


_FRECHET_NP = {
    "expm_frechet": _expm_frechet_np,
    "sqrtm_frechet": _sqrtm_frechet_np,
    "logm_frechet": _frechet_general("logm"),
}


def _fresh(p, want: str) -> str:
    return p.names.fresh(want) if p.names is not None else want


def _corner_code(p, fn: str, x: str, es: list[str]) -> str:
    """NumPy for the top right block of f([[X, E₁, 0], [0, X, E₂], [0, 0, X]]), X a name."""
    k = len(es)
    z, n = _fresh(p, "_z"), _fresh(p, "_n")
    rows = []
    for i in range(k + 1):
        row = [x if j == i else (es[i] if j == i + 1 else z) for j in range(k + 1)]
        rows.append("[" + ", ".join(row) + "]")
    big = f"np.block([{', '.join(rows)}])"
    return (
        f"(lambda {z}, {n}: np.real(scipy.linalg.{fn}({big}))[:{n}, {k} * {n}:])"
        f"(np.zeros_like({x}), {x}.shape[0])"
    )


def _frechet_code(p, name: str, x: str, es: list[str]) -> str:
    """NumPy for L_f(X, E) (SciPy's expm_frechet; a Sylvester equation for sqrtm) or, with two
    directions, D²f(X)[E₁, E₂] as the two corners of f of a 3×3 block matrix."""
    if len(es) == 1 and name == "expm":
        return f"scipy.linalg.expm_frechet({x}, {es[0]}, compute_expm=False)"
    if len(es) == 1 and name == "sqrtm":
        f = _fresh(p, "_f")
        return (
            f"(lambda {f}: scipy.linalg.solve_sylvester({f}, {f}, {es[0]}))"
            f"(np.real(scipy.linalg.sqrtm({x})))"
        )
    fn = MATRIX_FUNCTIONS[name][1]
    xs = _fresh(p, "_x")
    params = [_fresh(p, f"_e{i}") for i in range(len(es))]
    terms = [_corner_code(p, fn, xs, list(q)) for q in itertools.permutations(params)]
    return f"(lambda {xs}, {', '.join(params)}: {' + '.join(terms)})({x}, {', '.join(es)})"


def _frechet_numpy(name: str):
    return lambda p, n: _frechet_code(p, name, p(n.args[0]), [p(a) for a in n.args[1:]])


def _frechet_jvp(name: str):
    """d L(X, E₁) = L(X, dE₁) + L(X, E₁, dX); the third derivative is not needed by any command."""

    def jvp(n: Node, d: list[Node]) -> Node:
        x, *es = n.args
        terms = [frechet(name, x, *es[:i], de, *es[i + 1 :]) for i, de in enumerate(d[1:])]
        if not is_zero(d[0]):
            if len(es) > 1:
                raise NotMatrixLevel(f"third Fréchet derivative of {name}")
            terms.append(frechet(name, x, *es, d[0]))
        return add(*terms)

    return jvp


def _frechet_transpose(name: str):
    """⟨G, Dᵏf(X)[E₁, …, Eₖ]⟩ = ⟨Dᵏf(Xᵀ)[E₁ᵀ, …, G, …, Eₖᵀ], Eᵢ⟩ (f with a real power series)."""

    def rule(n: Node, g: Node, i: int) -> Node:
        if i == 0:
            raise NotMatrixLevel(f"{n.op} is not linear in X")
        args = [transpose(a) for a in n.args]
        args[i] = g
        return frechet(name, *args)

    return rule


def _frechet_vec(name: str):
    """vec Dᵏf(X)[…, dEᵢ, …] = K_f(X, the other E) vec dEᵢ: the Kronecker form (Higham §3.2)."""

    def rule(n: Node, i: int, k: Node) -> Node:
        if i == 0:
            raise NotMatrixLevel(f"{n.op} is not linear in X")
        others = [e for j, e in enumerate(n.args) if j not in (0, i)]
        return matmul(build(f"{name}_kron", n.args[0], *others), k)

    return rule


def _kron_shape(args: tuple[Node, ...], data: object) -> tuple:
    x = args[0]
    _square("a Kronecker form")(args, data)
    return norm_shape((x.shape[0] * x.shape[1], x.shape[0] * x.shape[1]))


def _kron_np(fname: str):
    """Column j of K is vec L(X, Eⱼ), Eⱼ the j-th basis matrix (vec stacks columns)."""

    def ev(x, *es):
        import numpy

        x = numpy.asarray(x, dtype=float)
        cols = [
            numpy.ravel(_FRECHET_NP[fname](x, *es, numpy.reshape(c, x.shape, order="F")), order="F")
            for c in numpy.eye(x.size)
        ]
        return numpy.array(cols).T

    return ev


def _kron_numpy(name: str):
    def rule(p, n: Node) -> str:
        x, *es = (p(a) for a in n.args)
        xs, c = _fresh(p, "_x"), _fresh(p, "_c")
        basis = f"np.reshape({c}, {xs}.shape, order='F')"
        one = _frechet_code(p, name, xs, [*es, basis])
        return (
            f"(lambda {xs}: np.array([np.ravel({one}, order='F') for {c} in np.eye({xs}.size)]).T)"
            f"({x})"
        )

    return rule


def _expm_joint(n: Node) -> Joint | None:
    """expm(X) and L(X, E) from one call of SciPy's expm_frechet, which computes both: code
    that needs the function and its derivative (a value beside its gradient) calls it once."""
    if len(n.args) != 2:
        return None
    x, e = n.args
    return Joint(
        (build("expm", x), n),
        ((0, ""), (1, "")),
        2,
        lambda p: f"scipy.linalg.expm_frechet({p(x)}, {p(e)})",
    )


def _frechet_zero(args, data):
    return zero(args[0].shape) if any(is_zero(e) for e in args[1:]) else None


def _register(name: str) -> None:
    scalar_fn, _, latex_cmd, steps = MATRIX_FUNCTIONS[name]
    fname = f"{name}_frechet"

    def builder(x: Node) -> Node:
        if x.is_scalar:  # a 1×1 matrix function is the scalar function
            return sqrt(x) if scalar_fn == "sqrt" else apply(scalar_fn, x)
        return build(name, x)

    register(
        Op(
            name,
            shape=_square(name),
            jvp=lambda n, d: frechet(name, n.args[0], d[0]),
            np=_f_np(name),
            expand=_no_explicit(name),
            sympy=lambda n, a: sp.Function(name)(a),
            text=lambda p, n: f"{name}({p(n.args[0])})",
            latex=lambda p, n: rf"{latex_cmd}\left({p(n.args[0])}\right)",
            numpy=lambda p, n: (
                f"scipy.linalg.expm({p(n.args[0])})"
                if name == "expm"
                else f"np.real(scipy.linalg.{name}({p(n.args[0])}))"
            ),
            prec=ATOM,
            steps=steps,
            domain=_bounded if name == "expm" else _no_negative_eigenvalue,
            names=(name,),
            builder=builder,
            push_T=lambda a: build(name, transpose(a.args[0])),  # f(X)ᵀ = f(Xᵀ)
            rewrites=[
                Rewrite(
                    f"{name}(𝐈): expm(0) = 𝐈, logm(𝐈) = 0, sqrtm(𝐈) = 𝐈",
                    _identity_rule(name),
                    ("eye(n)" if name != "expm" else "0*A",),
                    ("A:n,n",),
                )
            ],
        )
    )
    register(
        Op(
            fname,
            shape=_square(fname),
            jvp=_frechet_jvp(name),
            np=lambda ctx, n, x, *es: _FRECHET_NP[fname](x, *es),
            expand=_no_explicit(fname),
            sympy=lambda n, *a: sp.Function(fname)(*a),
            text=lambda p, n: f"{fname}({', '.join(p(a) for a in n.args)})",
            latex=lambda p, n: (
                rf"\operatorname{{{name}\_frechet}}\left({', '.join(p(a) for a in n.args)}\right)"
            ),
            numpy=_frechet_numpy(name),
            prec=ATOM,
            steps=steps,
            domain=_bounded if name == "expm" else _no_negative_eigenvalue,
            names=(fname,),
            arity=(2, 3),
            # linear in the directions E only, not in X: not `deflinear` (whose JVP would be
            # L(dX, dE)); the JVP is the hand rule above, the transpose and vec rules are per slot
            linear=True,
            linear_in=(1, 2),
            transpose=_frechet_transpose(name),
            vec=_frechet_vec(name),
            push_T=lambda a: build(fname, *(transpose(e) for e in a.args)),
            joint=_expm_joint if name == "expm" else None,
            rewrites=[
                Rewrite(
                    "linear in E: L(X, 0) = 0",
                    _frechet_zero,
                    ("A", "0*A"),
                    ("A:n,n",),
                ),
            ],
        )
    )


def _register_kron(name: str) -> None:
    kname, fname = f"{name}_kron", f"{name}_frechet"
    _FRECHET_NP[kname] = _kron_np(fname)

    def jvp(n: Node, d: list[Node]) -> Node:
        if all(is_zero(t) for t in d):
            return zero(n.shape)
        raise NotMatrixLevel(f"the derivative of {kname} (a third derivative)")

    register(
        Op(
            kname,
            shape=_kron_shape,
            jvp=jvp,
            np=lambda ctx, n, x, *es: _FRECHET_NP[kname](x, *es),
            expand=_no_explicit(kname),
            sympy=lambda n, *a: sp.Function(kname)(*a),
            text=lambda p, n: f"{kname}({', '.join(p(a) for a in n.args)})",
            latex=lambda p, n: (
                rf"\operatorname{{{name}\_kron}}\left({', '.join(p(a) for a in n.args)}\right)"
            ),
            numpy=_kron_numpy(name),
            prec=ATOM,
            steps="the Kronecker form of the Fréchet derivative: vec L(X, E) = K(X) vec E",
            domain=_bounded if name == "expm" else _no_negative_eigenvalue,
            names=(kname,),
            arity=(1, 2),
        )
    )


def _identity_rule(name: str):
    def rule(args, data):
        x = args[0]
        if name == "expm" and is_zero(x):
            return eye(x.shape[0])
        if name != "expm" and x.op == "eye":
            return x if name == "sqrtm" else zero(x.shape)
        return None

    return rule


for _name in MATRIX_FUNCTIONS:
    _register(_name)
    _register_kron(_name)


__all__ = ["MATRIX_FUNCTIONS"]
