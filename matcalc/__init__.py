"""matcalc: symbolic matrix calculus — gradients, Jacobians, Hessians, vjp/jvp, chain rule."""

from .api import grad, hessian, jacobian, jvp, vjp
from .errors import MatcalcError
from .result import Result

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`chain` and `cost` load on first use: start-up time is a feature."""
    if name == "chain":
        from .chain_rule import chain

        return chain
    if name == "cost":
        from .chain_cost import cost

        return cost
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")


__all__ = [
    "MatcalcError",
    "Result",
    "__version__",
    "chain",
    "cost",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "vjp",
]
