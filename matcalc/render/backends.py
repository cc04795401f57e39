"""The array frameworks that `--format python|torch|jax` emit for (SPEC §7.4), one table each.

The print rules of the registry entries write NumPy (`np.exp(…)`, `np.linalg.inv(…)`); a
backend reads that code and spells it in its framework: by default `np.NAME` becomes
`<alias>.NAME` (jax.numpy and torch mirror NumPy's names), and the table lists only what
differs — another name, or a small helper function that the module defines once, under a name
fresh against the user's. So a new operator whose NumPy rule calls a function the frameworks
share needs no edit here. A SciPy call (`scipy.linalg.cholesky`, `solve_triangular`,
`lu_factor`, `lu_solve`, `eigh` with a subset) is spelled only where the table has a helper for it; any other leaves `scipy.`
in the code, which the module refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A helper's source: `{name}` is its (fresh) name, `np.` is the framework's module alias.
_TORCH_HELPERS = {
    # np.array([...], dtype=float): entries may be numbers or 0-d tensors
    "array": (
        "_array",
        "def {name}(a, dtype=None):\n"
        "    if isinstance(a, (list, tuple)):\n"
        "        return np.stack([{name}(e) for e in a])\n"
        "    return np.as_tensor(a, dtype=np.float64)\n",
    ),
    "block": (
        "_block",
        "def {name}(rows):\n    return np.cat([np.cat(list(r), dim=1) for r in rows], dim=0)\n",
    ),
    "ravel": (
        "_ravel",
        "def {name}(a, order='C'):\n"
        "    a = np.as_tensor(a, dtype=np.float64)\n"
        "    return (a.T if order == 'F' and a.dim() == 2 else a).reshape(-1)\n",
    ),
    "logaddexp": (
        "_logaddexp",
        "def {name}(a, b):\n"
        "    return np.logaddexp(np.as_tensor(a, dtype=np.float64), "
        "np.as_tensor(b, dtype=np.float64))\n",
    ),
    "logaddexp.reduce": (
        "_logsumexp",
        "def {name}(a):\n    return np.logsumexp(a.reshape(-1), 0)\n",
    ),
    "heaviside": (
        "_heaviside",
        "def {name}(a, at_zero):\n    return (a > 0).to(np.float64)\n",
    ),
    "power": (  # a constant base (pi ** e) is not a tensor yet
        "_power",
        "def {name}(a, b):\n    return np.pow(np.as_tensor(a, dtype=np.float64), b)\n",
    ),
    "kron": (  # torch.kron refuses a transposed (non-contiguous) operand
        "_kron",
        "def {name}(a, b):\n    return np.kron(a.contiguous(), b.contiguous())\n",
    ),
    "reshape": (  # also of a number (a constant block of a partitioned matrix)
        "_reshape",
        "def {name}(a, shape):\n    return np.reshape(np.as_tensor(a, dtype=np.float64), shape)\n",
    ),
    "zeros": ("_zeros", "def {name}(shape):\n    return np.zeros(shape, dtype=np.float64)\n"),
    "ones": ("_ones", "def {name}(shape):\n    return np.ones(shape, dtype=np.float64)\n"),
    "eye": ("_eye", "def {name}(n):\n    return np.eye(n, dtype=np.float64)\n"),
    "float": (  # float(x) of a 0-d result: a 0-d tensor, still on the autograd graph
        "_scalar",
        "def {name}(a):\n    return np.as_tensor(a, dtype=np.float64).reshape(())\n",
    ),
    "scipy.linalg.solve_triangular": (  # L⁻¹ B, L⁻ᵀ B (trans=1); b a matrix or a 1-D vector
        "_solve_triangular",
        "def {name}(a, b, lower=False, trans=0, check_finite=True):\n"
        "    if trans:\n"
        "        a, lower = a.T, not lower\n"
        "    x = np.linalg.solve_triangular(a, b.reshape(b.shape[0], -1), upper=not lower)\n"
        "    return x.reshape(b.shape)\n",
    ),
}

# SciPy calls that torch and JAX spell with their own linear algebra (both frameworks)
_CHOLESKY = (  # chol's code calls scipy.linalg.cholesky(a, lower=True, check_finite=False)
    "_cholesky",
    "def {name}(a, lower=True, check_finite=True):\n"
    "    return np.linalg.cholesky(a) if lower else np.linalg.cholesky(a).T\n",
)
_EIGH = (  # scipy.linalg.eigh(a, subset_by_index=[lo, hi]): the full eigh, sliced
    "_eigh",
    "def {name}(a, subset_by_index=None):\n"
    "    w, v = np.linalg.eigh(a)\n"
    "    if subset_by_index is None:\n"
    "        return w, v\n"
    "    lo, hi = subset_by_index\n"
    "    return w[lo : hi + 1], v[:, lo : hi + 1]\n",
)
_TORCH_HELPERS["scipy.linalg.eigh"] = _EIGH
_TORCH_HELPERS["scipy.linalg.cholesky"] = _CHOLESKY
_TORCH_HELPERS["scipy.linalg.lu_factor"] = (  # an inverse that several products share
    "_lu_factor",
    "def {name}(a, check_finite=True):\n    return np.linalg.lu_factor(a)\n",
)
_TORCH_HELPERS["scipy.linalg.lu_solve"] = (
    "_lu_solve",
    "def {name}(lu, b, trans=0, check_finite=True):\n"
    "    x = np.linalg.lu_solve(lu[0], lu[1], b.reshape(b.shape[0], -1), adjoint=bool(trans))\n"
    "    return x.reshape(b.shape)\n",
)
_JAX_HELPERS = {
    "scipy.linalg.lu_factor": (
        "_lu_factor",
        "def {name}(a, check_finite=True):\n"
        "    import jax.scipy.linalg\n\n"
        "    return jax.scipy.linalg.lu_factor(a)\n",
    ),
    "scipy.linalg.lu_solve": (
        "_lu_solve",
        "def {name}(lu, b, trans=0, check_finite=True):\n"
        "    import jax.scipy.linalg\n\n"
        "    return jax.scipy.linalg.lu_solve(lu, b, trans=trans)\n",
    ),
    "scipy.linalg.eigh": _EIGH,
    "scipy.linalg.cholesky": _CHOLESKY,
    "scipy.linalg.solve_triangular": (
        "_solve_triangular",
        "def {name}(a, b, lower=False, trans=0, check_finite=True):\n"
        "    import jax.scipy.linalg\n\n"
        "    return jax.scipy.linalg.solve_triangular(a, b, lower=lower, trans=trans)\n",
    ),
}


@dataclass(frozen=True)
class Backend:
    """One framework: its module, the alias the code wants for it, its array type, the NumPy
    names it spells differently (`renamed`) and those it needs a helper for (`helpers`)."""

    format: str
    module: str
    alias: str
    array_type: str  # written with the `np.` alias: np.ndarray, np.Tensor, np.ndarray (jax)
    renamed: dict[str, str] = field(default_factory=dict)
    helpers: dict[str, tuple[str, str]] = field(default_factory=dict)
    note: str = ""  # one docstring line on dtypes, jit, autograd
    scalar_in: str = ""  # how a scalar parameter enters the function's arithmetic
    row_products: bool = False  # Mᵀ v written v @ M: XLA on CPU copies a transposed operand


BACKENDS = {
    "python": Backend("python", "numpy", "np", "np.ndarray"),
    "torch": Backend(
        "torch",
        "torch",
        "torch",
        "np.Tensor",
        renamed={"maximum": "clamp_min"},
        helpers=_TORCH_HELPERS,
        note="Takes and returns float64 tensors; differentiable by torch.autograd.",
        scalar_in="np.as_tensor({}, dtype=np.float64)",
    ),
    "jax": Backend(
        "jax",
        "jax.numpy",
        "jnp",
        "np.ndarray",
        helpers=_JAX_HELPERS,
        note="jax.jit-able; float64 when jax_enable_x64 is set (else float32).",
        row_products=True,
    ),
}

_CALL = re.compile(r"(?<![\w.])(np|scipy)\.([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)")
_FLOAT_CALL = re.compile(r"(?<![\w.])float\(")


class Spelling:
    """Rewrites the print rules' NumPy into one backend's calls, and collects the helpers the
    module must define (each once, under a name the Namespace gives it)."""

    def __init__(self, backend: Backend, ns):
        self.backend = backend
        self.ns = ns
        self.used: dict[str, str] = {}  # helper key → its name in this module

    def _helper(self, key: str) -> str:
        if key not in self.used:
            self.used[key] = self.ns.fresh(self.backend.helpers[key][0])
        return self.used[key]

    def __call__(self, text: str) -> str:
        b = self.backend

        def call(m: re.Match) -> str:
            module, name = m.groups()  # dotted: linalg.inv, logaddexp.reduce
            if module == "scipy":  # a SciPy call the framework spells with its own, or none
                key = f"scipy.{name}"
                return self._helper(key) if key in b.helpers else m.group(0)
            if name in b.helpers:
                return self._helper(name)
            if name in b.renamed:
                return f"np.{b.renamed[name]}"
            return m.group(0)

        text = _CALL.sub(call, text)
        if "float" in b.helpers:
            text = _FLOAT_CALL.sub(lambda m: self._helper("float") + "(", text)
        return text

    def definitions(self) -> list[str]:
        """The helpers' source, in the order first used, with `np.` still the rules' alias."""
        return [self.backend.helpers[k][1].format(name=n) for k, n in self.used.items()]
