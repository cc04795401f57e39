"""Entrywise operators: the Hadamard product, and the scalar functions applied entry by entry.

A new elementwise function is one `elementwise(...)` call: its names, its derivative as a
function of its argument, its NumPy and SymPy forms, its printed names and its domain.
d f(U) = f′(U) ⊙ dU; abs′ = sign and relu′ = step (𝟙[u > 0], 0 at the kink, as PyTorch), and the
derivatives of sign and step are 0.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

import sympy as sp

from ..errors import UndefinedError
from ..expr.node import Node
from ..expr.registry import ALL, ATOM, POSTFIX, PROD, Op, Rewrite, alias, register
from .base import (
    add,
    apply,
    deflinear,
    diag,
    emul,
    factor_order,
    flat,
    had,
    is_num,
    is_zero,
    matmul,
    mul,
    neg,
    num,
    one_like,
    ones,
    pow_,
    same_shapes,
    saves_marks,
    split_coeff,
    sub,
    too_large,
    transpose,
    transposes,
    vec,
    zero,
)
from .broadcasting import broadcast_vector
from .explicit import elementwise_lit

T_ARG = sp.Symbol("t", real=True)  # the argument of a SymPy scalar function in `Result.expr`


# ---------------------------------------------------------------- the Hadamard product


def _canonical_hadamard(args: tuple[Node, ...], data: object) -> Node:
    coeffs: list[Node] = []
    flat: list[Node] = []
    stack = list(reversed(args))
    while stack:
        t = stack.pop()
        if t.is_scalar:
            coeffs.append(t)
        elif t.op == "mul":
            coeffs.extend(t.args[:-1])
            stack.append(t.args[-1])
        elif t.op == "had":
            stack.extend(reversed(t.args))
        else:
            flat.append(t)
    if not flat:
        return mul(*coeffs)
    shape = flat[0].shape
    if any(is_zero(t) for t in flat):
        return zero(shape)
    flat = [t for t in flat if t.op != "ones"] or [ones(shape)]
    powers: dict[Node, list[Node]] = {}
    for t in flat:
        base, e = (t.args[0], t.args[1]) if t.op == "pow" and t.args[1].is_scalar else (t, num(1))
        powers.setdefault(base, []).append(e)
    merged = [
        b if len(es) == 1 and is_num(es[0], 1) else pow_(b, add(*es)) for b, es in powers.items()
    ]
    if len(merged) != len(flat) and len(merged) > 1:
        return mul(*coeffs, had(*merged)) if coeffs else had(*merged)
    merged = sorted(merged, key=_had_order)
    core = merged[0] if len(merged) == 1 else Node("had", tuple(merged), None, shape)
    return mul(*coeffs, core) if coeffs else core


def _had_order(f: Node) -> tuple:
    """Entrywise factors: variables first, as books write y ⊙ σ(−y ⊙ (X w)); sums last."""
    return (f.op == "add", f.op not in ("var", "pow"), factor_order(f))


def _had_flipped(n: Node) -> Node | None:
    """The product of the factors transposed, when (A ⊙ B)ᵀ saves marks over Aᵀ ⊙ Bᵀ."""
    flipped = [transpose(f) for f in n.args]
    if saves_marks(list(n.args), flipped):
        return Node("had", tuple(sorted(flipped, key=_had_order)), n.data, flipped[0].shape)
    return None


def _had_print(p, n: Node, times: str, over: str) -> str:
    """u ⊙ v ⊘ w: the factors with a negative power go below, as entrywise division; written
    (Y ⊙ σ(X W))ᵀ rather than Yᵀ ⊙ σ(Wᵀ Xᵀ)."""
    flipped = _had_flipped(n)
    if flipped is not None:
        inner = _had_print(p, flipped, times, over)
        return rf"\left({inner}\right)^{{\top}}" if p.fmt == "latex" else f"({inner})ᵀ"
    top, bottom = [], []
    for f in flat(n):
        if (
            f.op == "pow"
            and f.args[1].op == "num"
            and f.args[1].data.is_negative
            and f.args[1].is_scalar
        ):
            bottom.append(pow_(f.args[0], num(-f.args[1].data)))
        else:
            top.append(f)
    head = (
        times.join(p.in_context(f, PROD + 1, True) for f in top)
        if top
        else p.in_context(ones(n.shape), 40, True)
    )
    return head + "".join(over + p.in_context(f, PROD + 1, True) for f in bottom)


def _had_numpy(p, n: Node) -> str:
    code = " * ".join(p.arg(f, ATOM) for f in n.args)
    return f"({code})" if _had_flipped(n) is not None else code  # its precedence is a ᵀ's


def _had_vec(n: Node, i: int, k: Node) -> Node:
    others = had(*n.args[:i], *n.args[i + 1 :])
    return matmul(diag(vec(others)), k)


def _had_expand(ctx, n: Node, *vs: Node) -> Node:
    return elementwise_lit(lambda *es: mul(*es), *vs)


register(
    deflinear(
        "had",
        shape=same_shapes("hadamard product"),
        np=lambda ctx, n, *vs: reduce(lambda a, b: a * b, vs),
        expand=_had_expand,
        sympy=lambda n, *a: __import__("sympy").hadamard_product(*a),
        text=lambda p, n: _had_print(p, n, " ⊙ ", " ⊘ "),
        latex=lambda p, n: _had_print(p, n, r" \odot ", r" \oslash "),
        numpy=_had_numpy,
        prec=lambda n: PROD if _had_flipped(n) is None else POSTFIX,
        steps="product rule for ⊙: d(A ⊙ B) = dA ⊙ B + A ⊙ dB",
        arity=None,
        multilinear=True,
        transpose=lambda n, g, i: had(g, *n.args[:i], *n.args[i + 1 :]),
        # vec: diag(vec B) K (a matrix value: not derived)
        vec=_had_vec,
        push_T=lambda a: had(*(transpose(t) for t in a.args)),
        rewrites=[
            Rewrite(
                "scalars out, 𝟏 dropped, u ⊙ u = u⊙², order the factors",
                _canonical_hadamard,
                ("x", "2*x", "y"),
                ("x:n", "y:n"),
            )
        ],
        role="entrywise product",
        chain=True,
    )
)


def _hadamard_surface(a: Node, b: Node) -> Node:
    """hadamard(A, B) is A .* B, a vector beside a matrix broadcasting (SPEC §7.1)."""
    return emul(*broadcast_vector(a, b, "⊙"))


alias("hadamard", 2, _hadamard_surface)
alias("HadamardProduct", 2, _hadamard_surface)  # SymPy's name (SPEC §7.8)


# ---------------------------------------------------------------- scalar functions, entrywise


def _fold(name: str, fold: Callable[[sp.Expr], sp.Expr | None]):
    def rewrite(args: tuple[Node, ...], data: object) -> Node | None:
        u = args[0]
        if u.op == "num":
            try:
                value = fold(u.data)
                return None if value is None else num(value)
            except UndefinedError:
                raise UndefinedError(f"{name} is undefined at {u.data}") from None
            except OverflowError:
                raise too_large(f"{name}({u.data})") from None
        if u.op == "zero":
            at0 = rewrite((num(0),), None)
            if at0 is None:
                return None
            return zero(u.shape) if is_zero(at0) else mul(at0, ones(u.shape))
        return None

    return rewrite


def _text_call(name: str):
    return lambda p, n: f"{name}({p(n.args[0])})"


def _latex_call(cmd: str):
    return lambda p, n: rf"{cmd}\left({p(n.args[0])}\right)"


def _sympy_apply(fn):
    def convert(n: Node, a):
        if n.is_scalar:
            return fn(a)
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

        return ElementwiseApplyFunction(sp.Lambda(T_ARG, fn(T_ARG)), a)

    return convert


def elementwise(
    name: str,
    deriv: Callable[[Node, Node], Node],
    np_fn: Callable[..., object],
    numpy: str,
    sympy_fn: Callable[[sp.Expr], sp.Expr],
    fold: Callable[[sp.Expr], sp.Expr | None] | None = None,
    names: tuple[str, ...] | None = None,
    text: str | Callable | None = None,
    latex: str | Callable | None = None,
    domain: object = ALL,
    steps: str = "",
    rewrites: tuple[Rewrite, ...] = (),
    latex_names: tuple[str, ...] = (),
) -> Op:
    """Register an elementwise function: `deriv(u, f(u))` is f′(u), entrywise. A bare LaTeX
    command (`latex=r"\\sinh"`) is also what `--input latex` reads back; `latex_names` adds more."""
    bare = (latex,) if isinstance(latex, str) and not latex.startswith(r"\operatorname") else ()

    def jvp(n: Node, d: list[Node]) -> Node:
        return emul(deriv(n.args[0], n), d[0])

    def expand(ctx, n: Node, u: Node) -> Node:
        return elementwise_lit(lambda e: apply(name, e), u)

    text_rule = _flip_row(text if callable(text) else _text_call(text or name), name, "ᵀ")
    latex_rule = _flip_row(
        latex if callable(latex) else _latex_call(latex or rf"\operatorname{{{name}}}"),
        name,
        r"^{\top}",
    )
    return register(
        Op(
            name,
            shape=lambda args, data: args[0].shape,
            jvp=jvp,
            np=lambda ctx, n, u: np_fn(ctx.xp, u),
            expand=expand,
            sympy=_sympy_apply(sympy_fn),
            text=text_rule,
            latex=latex_rule,
            numpy=lambda p, n: numpy.format(p(n.args[0])),
            prec=ATOM,
            steps=steps or f"chain rule entrywise: d {name}(U) = {name}′(U) ⊙ dU",
            domain=domain,
            names=names if names is not None else (name,),
            sympy_fn=sympy_fn,
            push_T=lambda a: apply(name, transpose(a.args[0])),
            latex_names=(*bare, *latex_names),
            entrywise=True,
            rewrites=[
                Rewrite("constants fold", _fold(name, fold or sympy_fn), ("1/2",)),
                *rewrites,
            ],
        )
    )


def _flip_row(rule: Callable, name: str, mark: str) -> Callable:
    """f(u) of a row written f(uᵀ)ᵀ when that has fewer transposes: tanh(W x)ᵀ, not
    tanh(xᵀ Wᵀ) (transposes are kept at the leaves, where equal expressions compare equal);
    of a matrix when that saves marks as a transposed sum does: σ(X W + 𝟏 bᵀ)ᵀ."""

    def printed(p, n: Node) -> str:
        u = n.args[0]
        if n.is_row and not n.is_scalar:
            col = transpose(u)
            if transposes(col) < transposes(u):
                return rule(p, Node(name, (col,), n.data, col.shape)) + mark
        elif not n.is_scalar and n.shape[1] != 1 and saves_marks([u], [col := transpose(u)]):
            return rule(p, Node(name, (col,), n.data, col.shape)) + mark
        return rule(p, n)

    return printed


def _kink(xp, n: Node, u) -> bool:
    """Away from 0, where the function has a kink (finite differences need smoothness)."""
    return bool(xp.all(xp.abs(u) > 1e-2))


def _positive(xp, n: Node, u) -> bool:
    return bool(xp.all(xp.asarray(u) > 1e-2))


def _open_unit(xp, n: Node, u) -> bool:
    return bool(xp.all(xp.abs(u) < 0.99))


def _cos_nonzero(xp, n: Node, u) -> bool:
    return bool(xp.all(xp.abs(xp.cos(u)) > 1e-2))


def _sigmoid(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


def _sign_fold(c: sp.Expr) -> sp.Expr | None:
    s = sp.sign(c)
    return s if s in (-1, 0, 1) else None


def _step_fold(c: sp.Expr) -> sp.Expr | None:
    s = _sign_fold(c)
    return None if s is None else sp.Integer(1 if s == 1 else 0)


def _relu_fold(c: sp.Expr) -> sp.Expr | None:
    s = _sign_fold(c)
    return None if s is None else (c if s == 1 else sp.Integer(0))


def _inverse_pair(outer: str, inner: str, doc: str):
    """outer(inner(u)) = u, e.g. log(exp(u)) = u."""

    def rewrite(args, data):
        u = args[0]
        return u.args[0] if u.op == inner else None

    return Rewrite(doc, rewrite, (f"{inner}(t)",))


def _abs_special(args, data):
    u = args[0]
    if u.op in ("abs", "exp", "softplus", "sigmoid", "relu"):
        return u  # already nonnegative
    c, rest = split_coeff(u)
    if rest is not None and c != 1 and c.is_number:
        return mul(num(abs(c)), apply("abs", rest))
    return None


def _idempotent(name: str):
    def rewrite(args, data):
        u = args[0]
        return u if u.op == name else None

    return Rewrite(f"{name}({name}(u)) = {name}(u)", rewrite, (f"{name}(t)",))


elementwise(
    "exp",
    deriv=lambda u, f: f,
    np_fn=lambda xp, u: xp.exp(u),
    numpy="np.exp({})",
    sympy_fn=sp.exp,
    latex=r"\exp",
    steps="d exp(U) = exp(U) ⊙ dU",
    rewrites=(_inverse_pair("exp", "log", "exp(log u) = u"),),
)
elementwise(
    "log",
    deriv=lambda u, f: pow_(u, num(-1)),
    np_fn=lambda xp, u: xp.log(u),
    numpy="np.log({})",
    sympy_fn=sp.log,
    names=("log", "ln"),
    latex=r"\log",
    latex_names=(r"\ln",),
    domain=_positive,
    steps="d log(U) = U⊙⁻¹ ⊙ dU",
    rewrites=(_inverse_pair("log", "exp", "log(exp u) = u"),),
)
elementwise(
    "sin",
    deriv=lambda u, f: apply("cos", u),
    np_fn=lambda xp, u: xp.sin(u),
    numpy="np.sin({})",
    sympy_fn=sp.sin,
    latex=r"\sin",
)
elementwise(
    "cos",
    deriv=lambda u, f: neg(apply("sin", u)),
    np_fn=lambda xp, u: xp.cos(u),
    numpy="np.cos({})",
    sympy_fn=sp.cos,
    latex=r"\cos",
)
elementwise(
    "tan",
    deriv=lambda u, f: add(one_like(u), pow_(f, num(2))),
    np_fn=lambda xp, u: xp.tan(u),
    numpy="np.tan({})",
    sympy_fn=sp.tan,
    latex=r"\tan",
    domain=_cos_nonzero,
)
elementwise(
    "tanh",
    deriv=lambda u, f: sub(one_like(u), pow_(f, num(2))),
    np_fn=lambda xp, u: xp.tanh(u),
    numpy="np.tanh({})",
    sympy_fn=sp.tanh,
    latex=r"\tanh",
)
elementwise(
    "sigmoid",
    deriv=lambda u, f: emul(f, sub(one_like(u), f)),
    np_fn=lambda xp, u: 0.5 + 0.5 * xp.tanh(0.5 * u),
    numpy="(0.5 + 0.5 * np.tanh(0.5 * ({})))",
    sympy_fn=_sigmoid,
    # σ(u), unless the expression has a variable σ: then σ is that variable, and this `sigmoid`
    text=lambda p, n: _text_call("sigmoid" if p.greek_sigma else "σ")(p, n),
    latex=lambda p, n: _latex_call(r"\operatorname{sigmoid}" if p.greek_sigma else r"\sigma")(p, n),
    steps="d σ(U) = σ(U) ⊙ (1 − σ(U)) ⊙ dU",
)
elementwise(
    "softplus",
    deriv=lambda u, f: apply("sigmoid", u),
    np_fn=lambda xp, u: xp.logaddexp(0.0, u),
    numpy="np.logaddexp(0, {})",
    sympy_fn=lambda t: sp.log(1 + sp.exp(t)),
    steps="d softplus(U) = σ(U) ⊙ dU",
)
elementwise(
    "abs",
    deriv=lambda u, f: apply("sign", u),
    np_fn=lambda xp, u: xp.abs(u),
    numpy="np.abs({})",
    sympy_fn=sp.Abs,
    fold=lambda c: sp.Abs(c),
    text=lambda p, n: f"|{p(n.args[0])}|",
    latex=lambda p, n: rf"\left|{p(n.args[0])}\right|",
    domain=_kink,
    steps="d|U| = sign(U) ⊙ dU",
    rewrites=(Rewrite("|c u| = |c| |u|, |exp u| = exp u", _abs_special, ("-2*t",)),),
)
elementwise(
    "relu",
    deriv=lambda u, f: apply("step", u),
    np_fn=lambda xp, u: xp.maximum(u, 0.0),
    numpy="np.maximum({}, 0)",
    sympy_fn=lambda t: sp.Max(0, t),
    fold=_relu_fold,
    domain=_kink,
    steps="d relu(U) = step(U) ⊙ dU",
    rewrites=(_idempotent("relu"),),
)
elementwise(
    "sign",
    deriv=lambda u, f: zero(u.shape),
    np_fn=lambda xp, u: xp.sign(u),
    numpy="np.sign({})",
    sympy_fn=sp.sign,
    fold=_sign_fold,
    domain=_kink,
    steps="d sign(U) = 0 away from 0",
    rewrites=(_idempotent("sign"),),
)
elementwise(
    "step",
    deriv=lambda u, f: zero(u.shape),
    np_fn=lambda xp, u: xp.where(u > 0, 1.0, 0.0),
    numpy="np.heaviside({}, 0)",
    sympy_fn=lambda t: sp.Heaviside(t, 0),
    fold=_step_fold,
    domain=_kink,
    steps="d step(U) = 0 away from 0",
)
elementwise(
    "arcsin",
    deriv=lambda u, f: pow_(sub(one_like(u), pow_(u, num(2))), num(sp.Rational(-1, 2))),
    np_fn=lambda xp, u: xp.arcsin(u),
    numpy="np.arcsin({})",
    sympy_fn=sp.asin,
    latex=r"\arcsin",
    domain=_open_unit,
)
elementwise(
    "arccos",
    deriv=lambda u, f: neg(pow_(sub(one_like(u), pow_(u, num(2))), num(sp.Rational(-1, 2)))),
    np_fn=lambda xp, u: xp.arccos(u),
    numpy="np.arccos({})",
    sympy_fn=sp.acos,
    latex=r"\arccos",
    domain=_open_unit,
)
elementwise(
    "arctan",
    deriv=lambda u, f: pow_(add(one_like(u), pow_(u, num(2))), num(-1)),
    np_fn=lambda xp, u: xp.arctan(u),
    numpy="np.arctan({})",
    sympy_fn=sp.atan,
    latex=r"\arctan",
)

elementwise(
    "sinh",
    deriv=lambda u, f: apply("cosh", u),
    np_fn=lambda xp, u: xp.sinh(u),
    numpy="np.sinh({})",
    sympy_fn=sp.sinh,
    latex=r"\sinh",
)
elementwise(
    "cosh",
    deriv=lambda u, f: apply("sinh", u),
    np_fn=lambda xp, u: xp.cosh(u),
    numpy="np.cosh({})",
    sympy_fn=sp.cosh,
    latex=r"\cosh",
)


# ---------------------------------------------------------------- special functions (SPEC §7.2)
# erf, the standard normal CDF Φ (`normcdf`, also `Phi`), gelu (u Φ(u)), expm1 and log1p.
# erf′(u) = (2/√π) e^{−u²}, Φ′(u) = φ(u) = e^{−u²/2}/√(2π) (the probit model: Murphy §9.4),
# gelu′(u) = Φ(u) + u φ(u) (Hendrycks & Gimpel 2016), expm1′(u) = eᵘ, log1p′(u) = 1/(1 + u).
# NumPy code calls `scipy.special` (erf, ndtr) where NumPy has no such function.


def _scipy_special(name: str):
    def fn(xp, u):
        import scipy.special

        return getattr(scipy.special, name)(u)

    return fn


def _normpdf(u):
    """φ(u) = e^{−u²/2}/√(2π), entrywise."""
    return mul(
        pow_(num(2 * sp.pi), num(sp.Rational(-1, 2))),
        apply("exp", neg(mul(num(sp.Rational(1, 2)), pow_(u, num(2))))),
    )


def _normcdf(t: sp.Expr) -> sp.Expr:
    return (1 + sp.erf(t / sp.sqrt(2))) / 2


def _above_minus_one(xp, n, u) -> bool:
    return bool(xp.all(xp.asarray(u) > -1 + 1e-2))


elementwise(
    "erf",
    deriv=lambda u, f: mul(num(2 / sp.sqrt(sp.pi)), apply("exp", neg(pow_(u, num(2))))),
    np_fn=_scipy_special("erf"),
    numpy="scipy.special.erf({})",
    sympy_fn=sp.erf,
    latex=r"\operatorname{erf}",
    steps="d erf(U) = (2/√π) exp(−U⊙²) ⊙ dU",
)
elementwise(
    "normcdf",
    deriv=lambda u, f: _normpdf(u),
    np_fn=_scipy_special("ndtr"),
    numpy="scipy.special.ndtr({})",
    sympy_fn=_normcdf,
    names=("normcdf", "Phi"),
    steps="d Φ(U) = φ(U) ⊙ dU, φ(u) = exp(−u²/2)/√(2π)",
)
elementwise(
    "gelu",
    deriv=lambda u, f: add(apply("normcdf", u), emul(u, _normpdf(u))),
    np_fn=lambda xp, u: u * _scipy_special("ndtr")(xp, u),
    numpy="(({0}) * scipy.special.ndtr({0}))",  # {0} may be a sum: 1 + z
    sympy_fn=lambda t: t * _normcdf(t),
    steps="d gelu(U) = (Φ(U) + U ⊙ φ(U)) ⊙ dU",
)
elementwise(
    "expm1",
    deriv=lambda u, f: apply("exp", u),
    np_fn=lambda xp, u: xp.expm1(u),
    numpy="np.expm1({})",
    sympy_fn=lambda t: sp.exp(t) - 1,
    steps="d expm1(U) = exp(U) ⊙ dU",
)
elementwise(
    "log1p",
    deriv=lambda u, f: pow_(add(one_like(u), u), num(-1)),
    np_fn=lambda xp, u: xp.log1p(u),
    numpy="np.log1p({})",
    sympy_fn=lambda t: sp.log(1 + t),
    domain=_above_minus_one,
    steps="d log1p(U) = (1 + U)⊙⁻¹ ⊙ dU",
)


def _sqrt_surface(u: Node) -> Node:
    return pow_(u, num(sp.Rational(1, 2)))


alias("sqrt", 1, _sqrt_surface)

__all__ = ["T_ARG", "elementwise"]
