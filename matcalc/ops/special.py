"""Special functions applied entry by entry (SPEC §7.2): erf, the standard normal CDF Φ
(`normcdf`, also `Phi`), gelu (u Φ(u)), expm1 and log1p.

erf′(u) = (2/√π) e^{−u²}, Φ′(u) = φ(u) = e^{−u²/2}/√(2π) (the probit model: Murphy §9.4),
gelu′(u) = Φ(u) + u φ(u) (Hendrycks & Gimpel 2016), expm1′(u) = eᵘ, log1p′(u) = 1/(1 + u).
NumPy code calls `scipy.special` (erf, ndtr) where NumPy has no such function.
"""

from __future__ import annotations

import sympy as sp

from .arith import add, emul, mul, neg, pow_
from .elementwise import apply, elementwise, one_like
from .leaves import num


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
    numpy="({0} * scipy.special.ndtr({0}))",
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
