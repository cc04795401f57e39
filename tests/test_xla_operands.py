"""JAX code computes a function of a transposed matrix on the matrix itself when the two
commute (inv(Aᵀ) as inv(A)ᵀ): XLA copies a transposed operand, and the factorization of A then
matches the one log det A makes, which XLA computes once. Compared with finite differences of
the tests' own NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc

from .oracle import fd_jacobian, unvec

jax = pytest.importorskip("jax", reason="JAX is not installed (pip install jax jaxlib)")
jax.config.update("jax_enable_x64", True)


class Recording:
    """jax.numpy with `linalg.inv` recording its operands."""

    def __init__(self):
        self.operands: list = []
        outer = self

        class Linalg:
            def __getattr__(self, name):
                return getattr(jax.numpy.linalg, name)

            def inv(self, a):
                outer.operands.append(a)
                return jax.numpy.linalg.inv(a)

        self.linalg = Linalg()

    def __getattr__(self, name):
        return getattr(jax.numpy, name)


def test_inverse_of_a_transpose_is_taken_of_the_matrix():
    source = matcalc.grad("logdet(S)", wrt="S", let=["S:n,n"]).jax()
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # matcalc's module
    recording = Recording()
    for k, v in list(namespace.items()):
        if v is jax.numpy:
            namespace[k] = recording
    rng = np.random.default_rng(2)
    s = np.eye(4) * 3 + rng.normal(size=(4, 4))
    S = jax.numpy.asarray(s)
    value, got = namespace["f_and_grad"](S)
    assert [a is S for a in recording.operands] == [True]  # inv(S), not inv(S.T)
    want = unvec(fd_jacobian(lambda z: np.linalg.slogdet(z)[1], s).ravel(), s.shape)
    assert np.isclose(float(value), np.linalg.slogdet(s)[1])
    assert np.allclose(np.asarray(got), want, rtol=1e-6, atol=1e-8)
