"""max and min of the entries, or of each row (SPEC §7.1: `max(X)`, `max(X, dim=1)`), and the
0/1 matrices that say where each is attained (`ismax(X)`), which their derivatives print.

Differentiable where the extremum is unique: d max(X) = ⟨ismax(X), dX⟩, and along each row
d max(X, dim=1) = (ismax(X, dim=1) ⊙ dX) 𝟏. Their domain keeps test points and `--check` away
from ties, as eig's keeps them away from repeated eigenvalues. With two operands max and min are
entrywise (calls.py, §7.8); the keyword is their only axis. max(eig(S)) = λ_max(S) is a rewrite
of ops/rules.py."""

from __future__ import annotations

import sympy as sp

from ..errors import ShapeError
from ..expr.arrays import from_two_d, two_d
from ..expr.node import ONE, Node, norm_shape
from ..expr.registry import ATOM, Op, axes, build, register
from .base import emul, inner, matmul, ones, transpose, zero
from .explicit import numeric_only

_GAP = 1e-3  # relative: the two largest entries (of each row) at least this far apart


def _shape(what: str, indicator: bool):
    def shape(args, data):
        a = args[0]
        if a.is_scalar:
            raise ShapeError(f"{what} needs a vector or a matrix, got a scalar")
        if indicator:
            return a.shape
        return () if data is None else norm_shape((a.shape[0], ONE))

    return shape


def _axis(n: Node) -> int | None:
    """NumPy's axis of the node's reduction: None (every entry) or 1 (each row)."""
    return None if n.data is None else 1


def _extreme(which: str):
    def fn(xp, x, axis):
        return (
            xp.max(x, axis=axis, keepdims=axis is not None)
            if which == "max"
            else (xp.min(x, axis=axis, keepdims=axis is not None))
        )

    return fn


def _unique(which: str):
    """The extremum (of each row) is attained once: the gap to the runner-up is not tiny."""

    def domain(xp, n: Node, x, *rest) -> bool:
        import numpy

        a = numpy.asarray(x, dtype=float)
        a = a.reshape(1, -1) if n.data is None else a
        if a.shape[1] < 2:
            return True
        s = numpy.sort(a, axis=1)
        gap = s[:, -1] - s[:, -2] if which == "max" else s[:, 1] - s[:, 0]
        return bool(numpy.all(gap > _GAP * (1 + numpy.max(numpy.abs(a)))))

    return domain


def _keyword(p, n: Node) -> str:
    return "" if n.data is None else (", dim=1" if p.fmt != "latex" else r", \mathrm{dim}=1")


def _reduction_jvp(which: str):
    def jvp(n: Node, d: list[Node]) -> Node:
        hit = build(f"is{which}", n.args[0], data=n.data)
        if n.data is None:
            return inner(hit, d[0])
        return matmul(emul(hit, d[0]), ones(norm_shape((n.args[0].shape[1], ONE))))

    return jvp


def _reduction_np(which: str):
    def np_rule(ctx, n: Node, x):
        if n.data is None:
            return float(_extreme(which)(ctx.xp, x, None))
        rows = _extreme(which)(ctx.xp, two_d(ctx.xp, x, n.args[0].shape), 1)
        return from_two_d(ctx.xp, rows, n.shape)

    return np_rule


def _indicator_np(which: str):
    def np_rule(ctx, n: Node, x):
        xp = ctx.xp
        if n.data is None:
            return xp.asarray(x == _extreme(which)(xp, x, None), dtype=float)
        x2 = two_d(xp, x, n.args[0].shape)
        return from_two_d(xp, xp.asarray(x2 == _extreme(which)(xp, x2, 1), dtype=float), n.shape)

    return np_rule


def _np_reduction(which: str):
    def printer(p, n: Node) -> str:
        x = p(n.args[0])
        return f"np.{which}({x})" if n.data is None else f"np.a{which}({x}, axis=1)"

    return printer


def _np_indicator(which: str):
    def printer(p, n: Node) -> str:
        x = p(n.args[0])
        top = f"np.{which}({x})" if n.data is None else f"np.a{which}({x}, axis=1, keepdims=True)"
        return f"np.asarray({x} == {top}, dtype=np.float64)"

    return printer


def _numeric(which: str, indicator: bool):
    def fn(n: Node):
        def value(x):
            import numpy

            top = _extreme(which)(numpy, x, _axis(n))
            return numpy.asarray(x == top, dtype=float) if indicator else top

        return value

    def expand(ctx, n: Node, x: Node) -> Node:
        name = f"is{which}" if indicator else which
        tie_free = (lambda a: _unique(which)(None, n, a)) if indicator else None
        return numeric_only(name, fn(n), tie_free)(ctx, n, x)  # at a tie: no derivative

    return expand


def _flip(a: Node) -> Node:
    return a.args[0] if a.op == "T" else transpose(a)


def _axis_builder(name: str, indicator: bool):
    """`max(X)` every entry; `max(X, dim=1)` each row (axis 2); `max(X, dim=0)` each column."""

    def rows(a: Node) -> Node:
        if a.shape[1] == 1:
            return ones(a.shape) if indicator else a  # each row one entry
        return build(name, a, data=None if a.shape[0] == 1 else 2)

    def builder(x: Node, axis: int | None) -> Node:
        if x.is_scalar:
            return ones(()) if indicator else x
        if axis is None:
            return build(name, x)
        if axis == 2:
            return rows(x)
        out = rows(_flip(x))
        return out if out.is_scalar else _flip(out)

    return builder


for _which, _word in (("max", "largest"), ("min", "smallest")):
    register(
        Op(
            _which,
            shape=_shape(_which, indicator=False),
            jvp=_reduction_jvp(_which),
            np=_reduction_np(_which),
            expand=_numeric(_which, indicator=False),
            sympy=(lambda w: lambda n, a: sp.Function(f"{w}_entries")(a))(_which),
            text=(lambda w: lambda p, n: f"{w}({p(n.args[0])}{_keyword(p, n)})")(_which),
            latex=(
                lambda w: (
                    lambda p, n: rf"\operatorname{{{w}}}\left({p(n.args[0])}{_keyword(p, n)}\right)"
                )
            )(_which),
            numpy=_np_reduction(_which),
            prec=ATOM,
            steps=f"d {_which}(X) = ⟨is{_which}(X), dX⟩ (the {_word} entry, attained once)",
            domain=_unique(_which),
        )
    )
    register(
        Op(
            f"is{_which}",
            shape=_shape(f"is{_which}", indicator=True),
            jvp=lambda n, d: zero(n.shape),  # piecewise constant, like step and sign
            np=_indicator_np(_which),
            expand=_numeric(_which, indicator=True),
            sympy=(lambda w: lambda n, a: sp.Function(f"is{w}")(a))(_which),
            text=(lambda w: lambda p, n: f"is{w}({p(n.args[0])}{_keyword(p, n)})")(_which),
            latex=(
                lambda w: (
                    lambda p, n: (
                        rf"\operatorname{{is{w}}}\left({p(n.args[0])}{_keyword(p, n)}\right)"
                    )
                )
            )(_which),
            numpy=_np_indicator(_which),
            prec=ATOM,
            steps=f"1 where the {_word} entry (of each row with dim=1) is, else 0",
            domain=_unique(_which),
            names=(f"is{_which}",),
        )
    )
    axes((_which,), _axis_builder(_which, indicator=False), positional=False)
    axes((f"is{_which}",), _axis_builder(f"is{_which}", indicator=True), positional=False)


__all__: list[str] = []
