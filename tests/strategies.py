"""Hypothesis strategies: well-shaped random expressions over the operators of SPEC §2, v2's
entrywise operators and scalar broadcasting included. Every expression is also readable by the
tests' NumPy reference (conftest.ref_eval), which reads `.*` and `./` itself.

The elementwise functions are a view of the registry: every entry that is smooth everywhere
(its domain is ALL) and that ref_eval reads. The matrix operators stay written by hand, each
with an argument inside its domain (logdet and det of the near-identity A and B, inv(A)); the
random tester (tests/randexpr.py) draws every one of them from its spec rows.
"""

from __future__ import annotations

from hypothesis import strategies as st

import matcalc.ops  # noqa: F401  (registers the entries)
from matcalc.expr.registry import ALL, OPS

from .conftest import reference_functions

LET = ["x:n", "y:n", "A:n,n", "B:n,n"]
SMOOTH = sorted(
    name
    for name, op in OPS.items()
    if op.entrywise and op.domain is ALL and name in reference_functions()
)


def _call(name: str, arg: str) -> str:
    return f"{name}({arg})"


def _leaf(kind: str) -> st.SearchStrategy[str]:
    return {
        "vec": st.sampled_from(["x", "y", "A*x", "B.T*y"]),
        "mat": st.sampled_from(["A", "B", "A.T", "inv(A)"]),
        "scal": st.sampled_from(["x.T*y", "tr(A)", "sum(x)", "t", "2", "1/3"]),
    }[kind]


def expr(kind: str, depth: int = 2) -> st.SearchStrategy[str]:
    """A random expression of the given kind ('vec' n×1, 'mat' n×n, 'scal')."""
    if depth <= 0:
        return _leaf(kind)
    v, m, s = (expr(k, depth - 1) for k in ("vec", "mat", "scal"))
    options = {
        "vec": [
            st.builds("({})*({})".format, m, v),
            st.builds("(({}) + ({}))".format, v, v),
            st.builds("(({}) - ({}))".format, v, v),
            st.builds(_call, st.sampled_from(SMOOTH), v),
            st.builds(_call, st.sampled_from(SMOOTH), v),
            st.builds(_call, st.sampled_from(SMOOTH), v),
            st.builds("hadamard(({}), ({}))".format, v, v),
            st.builds("({})*({})".format, s, v),
            st.builds("softmax({})".format, v),
            st.builds("diag({})".format, m),
            st.builds("({}).T*({})".format, m, v),
            st.builds(_call, st.sampled_from(SMOOTH), v),
            st.builds("exp({})/3".format, v),
            st.builds("(1 - ({}))".format, v),  # v2: a scalar broadcasts
            st.builds("(({}) .* ({}))".format, v, v),  # v2: entrywise operators
            st.builds("(({}) ./ (2 + sigmoid({})))".format, v, v),
        ],
        "mat": [
            st.builds("({})*({})".format, m, m),
            st.builds("(({}) + ({}))".format, m, m),
            st.builds("({}).T".format, m),
            st.builds("({})*({}).T".format, v, v),
            st.builds("diag({})".format, v),
            st.builds("hadamard(({}), ({}))".format, m, m),
            st.builds("({})*({})".format, s, m),
            st.builds(_call, st.sampled_from(SMOOTH), m),
            st.builds("(({}) .* ({}) + 1)".format, m, m),
        ],
        "scal": [
            st.builds("({}).T*({})".format, v, v),
            st.builds("tr({})".format, m),
            st.builds("sum({})".format, v),
            st.builds("norm2({})".format, v),
            st.builds("logsumexp({})".format, v),
            st.builds(_call, st.sampled_from(SMOOTH), s),
            st.builds("({})*({})".format, s, s),
            st.builds("(({}) + ({}))".format, s, s),
            st.builds("({})**2".format, s),
            st.builds("log(1 + ({})**2)".format, s),
            st.builds("sqrt(1 + ({})**2)".format, s),
            st.builds("dot(({}), ({}))".format, v, v),
            st.builds("norm2({})".format, m),
            st.builds("sum({})".format, m),
            st.builds("logdet(A)*({})".format, s),
            st.builds("det(B + A)*({})".format, s),
            # a divisor bounded away from 0 (near a pole, finite differences are what fails)
            st.builds("sum(({}) ./ (1 + exp(({}) .* ({}))))".format, v, v, v),
        ],
    }[kind]
    return st.one_of(_leaf(kind), *options).filter(lambda e: len(e) < 400)
