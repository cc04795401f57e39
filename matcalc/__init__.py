"""matcalc: symbolic matrix calculus — gradients, Jacobians, Hessians, vjp/jvp, chain rule."""

from .api import grad, hessian, jacobian, jvp, vjp
from .chain import chain
from .cost import cost
from .errors import MatcalcError
from .result import Result

__version__ = "0.1.0"
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
