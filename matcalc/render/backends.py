"""The array frameworks that `--format python|torch|jax` emit for (SPEC §7.4), one table each.

The print rules of the registry entries write NumPy (`np.exp(…)`, `np.linalg.inv(…)`); a
backend reads that code and spells it in its framework: by default `np.NAME` becomes
`<alias>.NAME` (jax.numpy and torch mirror NumPy's names), and the table lists only what
differs — another name, or a small helper function that the module defines once, under a name
fresh against the user's. So a new operator whose NumPy rule calls a function the frameworks
share needs no edit here. The rules' SciPy calls (`scipy.linalg.expm`, `cholesky`,
`solve_triangular`, `lu_factor`, `eigh` with a subset, …) have no default: each is in the
table, keyed by its full name, or the module is refused, naming it.
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
    "reshape": (  # also of a number (a constant block of a partitioned matrix); order='F' too
        "_reshape",
        "def {name}(a, shape, order='C'):\n"
        "    a = np.as_tensor(a, dtype=np.float64)\n"
        "    if order == 'F':  # NumPy's column-major reshape: reverse the axes on both sides\n"
        "        a = a.permute(*range(a.dim() - 1, -1, -1)).reshape(tuple(shape)[::-1])\n"
        "        return a.permute(*range(a.dim() - 1, -1, -1))\n"
        "    return np.reshape(a, shape)\n",
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


# SciPy's matrix and special functions (SPEC §7.2: the NumPy code calls scipy.linalg and
# scipy.special), as each framework spells them. A helper may call another helper: the third
# item maps a `{placeholder}` of its source to that helper's key (defined once, before it).
# torch has matrix_exp, erf and ndtr; its principal square root, logarithm and Sylvester solver
# are iterations of its own linear algebra, so they run (and differentiate) on any tensor.
_TORCH_SCIPY_RENAMED = {
    "scipy.linalg.expm": "linalg.matrix_exp",
    "scipy.special.erf": "special.erf",
    "scipy.special.ndtr": "special.ndtr",
}
_TORCH_SCIPY = {
    "scipy.linalg.expm_frechet": (  # L(A, E): the top right block of expm([[A, E], [0, A]])
        "_expm_frechet",
        "def {name}(a, e, compute_expm=True):\n"
        "    n = a.shape[0]\n"
        "    top = np.cat([a, e], dim=1)\n"
        "    big = np.linalg.matrix_exp(np.cat([top, np.cat([np.zeros_like(a), a], dim=1)], dim=0))\n"
        "    return (big[:n, :n], big[:n, n:]) if compute_expm else big[:n, n:]\n",
    ),
    "scipy.linalg.sqrtm": (  # the scaled Denman–Beavers iteration (Higham, Functions of Matrices §6.3)
        "_sqrtm",
        "def {name}(a):\n"
        "    n = a.shape[0]\n"
        "    y, z = a, np.eye(n, dtype=a.dtype)\n"
        "    for _ in range(100):\n"
        "        mu = np.exp(-(np.linalg.slogdet(y)[1] + np.linalg.slogdet(z)[1]) / (2 * n))\n"
        "        y, z, last = (mu * y + np.linalg.inv(mu * z)) / 2, (mu * z + np.linalg.inv(mu * y)) / 2, y\n"
        "        if np.linalg.matrix_norm(y - last, 1) <= 1e-9 * np.linalg.matrix_norm(y, 1):\n"
        "            break  # converged (quadratically): y is A^(1/2) to rounding\n"
        "    return y\n",
    ),
    "scipy.linalg.logm": (  # inverse scaling and squaring (Higham §11.5)
        "_logm",
        "def {name}(a):\n"
        "    eye = np.eye(a.shape[0], dtype=a.dtype)\n"
        "    y, s = a, 0\n"
        "    while s < 64 and np.linalg.matrix_norm(y - eye, 1) > 0.1:  # log A = 2ˢ log A^(1/2ˢ)\n"
        "        y, s = {sqrtm}(y), s + 1\n"
        "    z = np.linalg.solve(y + eye, y - eye)  # log Y = 2 atanh(Z), ‖Z‖₁ < 0.06\n"
        "    z2, term, out = z @ z, z, z\n"
        "    for k in range(1, 9):\n"
        "        term = term @ z2\n"
        "        out = out + term / (2 * k + 1)\n"
        "    return 2.0 ** (s + 1) * out\n",
        {"sqrtm": "scipy.linalg.sqrtm"},
    ),
    "scipy.linalg.solve_sylvester": (  # A X + X B = Q by the matrix sign function (Higham §2.4)
        "_solve_sylvester",
        "def {name}(a, b, q):\n"
        "    # X = -sign(M)[:m, m:] / 2, M = [[A, -Q], [0, -B]]: for A and B whose eigenvalues have\n"
        "    # positive real parts (a principal square root's); the scaled Newton iteration\n"
        "    m = a.shape[0]\n"
        "    low = np.cat([np.zeros((b.shape[0], m), dtype=a.dtype), -b], dim=1)\n"
        "    s = np.cat([np.cat([a, -q], dim=1), low], dim=0)\n"
        "    for _ in range(100):\n"
        "        mu = np.exp(-np.linalg.slogdet(s)[1] / s.shape[0])\n"
        "        s, last = (mu * s + np.linalg.inv(mu * s)) / 2, s\n"
        "        if np.linalg.matrix_norm(s - last, 1) <= 1e-9 * np.linalg.matrix_norm(s, 1):\n"
        "            break\n"
        "    return -s[:m, m:] / 2\n",
    ),
}
_TORCH_HELPERS.update(_TORCH_SCIPY)


def _jax_scipy(path: str, params: str, args: str) -> tuple[str, str]:
    """A helper that calls jax.scipy.PATH: the module imports jax.numpy only, and a local import
    never meets a user's name."""
    module = path.rsplit(".", 1)[0]
    return (
        "_" + path.rsplit(".", 1)[1],
        f"def {{name}}({params}):\n    import jax.scipy.{module}\n\n"
        f"    return jax.scipy.{path}({args})\n",
    )


# JAX has all but logm (jax.scipy.linalg's sqrtm and solve_sylvester run on CPU only).
_JAX_SCIPY = {
    "scipy.linalg.expm": _jax_scipy("linalg.expm", "a", "a"),
    "scipy.linalg.expm_frechet": _jax_scipy(
        "linalg.expm_frechet", "a, e, compute_expm=True", "a, e, compute_expm=compute_expm"
    ),
    "scipy.linalg.sqrtm": _jax_scipy("linalg.sqrtm", "a", "a"),
    "scipy.linalg.solve_sylvester": _jax_scipy("linalg.solve_sylvester", "a, b, q", "a, b, q"),
    "scipy.special.erf": _jax_scipy("special.erf", "a", "a"),
    "scipy.special.ndtr": _jax_scipy("special.ndtr", "a", "a"),
    "scipy.linalg.logm": (  # inverse scaling and squaring, as torch's; jit-able (a while_loop)
        "_logm",
        "def {name}(a):\n"
        "    import jax.scipy.linalg\n\n"
        "    eye = np.eye(a.shape[0], dtype=a.dtype)\n\n"
        "    def far(c):\n"
        "        return (np.linalg.norm(c[0] - eye, 1) > 0.1) & (c[1] < 64)\n\n"
        "    def root(c):\n"
        "        return np.real(jax.scipy.linalg.sqrtm(c[0])).astype(a.dtype), c[1] + 1\n\n"
        "    y, s = jax.lax.while_loop(far, root, (a, 0))\n"
        "    z = np.linalg.solve(y + eye, y - eye)\n"
        "    z2, term, out = z @ z, z, z\n"
        "    for k in range(1, 9):\n"
        "        term = term @ z2\n"
        "        out = out + term / (2 * k + 1)\n"
        "    return 2.0 ** (s + 1) * out\n",
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
    attributes: dict[str, str] = field(default_factory=dict)  # an array's .NAME, spelled


BACKENDS = {
    "python": Backend(
        "python",
        "numpy",
        "np",
        "np.ndarray",
        helpers={  # np.heaviside is some 3× slower than a comparison (a ReLU layer's backward)
            "heaviside": ("_step", "def {name}(a, at_zero):\n    return (a > 0) * 1.0\n"),
        },
    ),
    "torch": Backend(
        "torch",
        "torch",
        "torch",
        "np.Tensor",
        renamed={"maximum": "clamp_min", **_TORCH_SCIPY_RENAMED},
        helpers=_TORCH_HELPERS,
        note="Takes and returns float64 tensors; differentiable by torch.autograd.",
        scalar_in="np.as_tensor({}, dtype=np.float64)",
        attributes={"size": "numel()"},  # a tensor's .size is a method
    ),
    "jax": Backend(
        "jax",
        "jax.numpy",
        "jnp",
        "np.ndarray",
        helpers={**_JAX_HELPERS, **_JAX_SCIPY},
        note="jax.jit-able; float64 when jax_enable_x64 is set (else float32).",
        row_products=True,
    ),
}

_CALL = re.compile(r"(?<![\w.])(np|scipy)\.([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)")
_FLOAT_CALL = re.compile(r"(?<![\w.])float\(")


class Spelling:
    """Rewrites the print rules' NumPy into one backend's calls, and collects the helpers the
    module must define (each once, under a name the Namespace gives it) and the SciPy calls the
    backend has no spelling for (`missing`: the emitter refuses the module, naming them)."""

    def __init__(self, backend: Backend, ns):
        self.backend = backend
        self.ns = ns
        self.used: dict[str, str] = {}  # helper key → its name in this module
        self.needs: dict[str, dict[str, str]] = {}  # helper key → the names of its helpers
        self.missing: set[str] = set()

    def _helper(self, key: str) -> str:
        if key not in self.used:
            _, _, *deps = self.backend.helpers[key]
            self.needs[key] = {k: self._helper(d) for k, d in (deps[0] if deps else {}).items()}
            self.used[key] = self.ns.fresh(self.backend.helpers[key][0])
        return self.used[key]

    def __call__(self, text: str) -> str:
        b = self.backend

        def call(m: re.Match) -> str:
            module, name = m.groups()  # dotted: linalg.inv, logaddexp.reduce
            key = name if module == "np" else f"scipy.{name}"
            if b.format == "python" and key not in b.helpers:
                return m.group(0)
            if key in b.helpers:
                return self._helper(key)
            if key in b.renamed:
                return f"np.{b.renamed[key]}"
            if module == "scipy":
                self.missing.add(key)
            return m.group(0)

        text = _CALL.sub(call, text)
        for attr, spelled in b.attributes.items():
            text = re.sub(rf"\.{attr}\b(?!\()", "." + spelled, text)
        if "float" in b.helpers:
            text = _FLOAT_CALL.sub(lambda m: self._helper("float") + "(", text)
        return text

    def definitions(self) -> list[str]:
        """The helpers' source, in the order first used (a helper after those it calls), with
        `np.` still the rules' alias."""
        return [
            self.backend.helpers[k][1].format(name=n, **self.needs[k]) for k, n in self.used.items()
        ]
