"""matcalc: symbolic matrix calculus — gradients, Jacobians, Hessians, vjp/jvp, chain rule."""

from . import ops as _ops  # noqa: F401 - importing the operators registers them
from .api import grad, hessian, hvp, jacobian, jvp, show, vjp
from .errors import LimitError, MatcalcError
from .result import Result, Results

__version__ = "0.2.0"


def __getattr__(name: str) -> object:
    """`chain` and `cost` load on first use: start-up time is a feature."""
    if name in ("chain", "cost"):  # with timeout=, like every API function
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")


__all__ = [
    "LimitError",
    "MatcalcError",
    "Result",
    "Results",
    "__version__",
    "chain",
    "cost",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "show",
    "vjp",
]
