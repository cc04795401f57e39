"""Values given by the user (`--at NAME=VALUE`, `--v`), their binding, and exact values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

import sympy as sp

from .. import limits
from .. import ops as O
from ..budget import check_time
from ..errors import LimitError, MatcalcError, quote
from ..expr.decls import Decls
from ..expr.node import Node, dim_symbol
from ..reader import family_members
from ..syntax.names import check_name

Value = sp.Expr | sp.ImmutableMatrix


def parse_value(text: str, what: str = "--at") -> Value:
    """`3`, `1/2`, `-2`, `3,2,1`, `[3,2,1]` or `[[1,0],[0,1]]`, as exact SymPy numbers."""
    from ..reader import parse_expr

    original = text.strip()
    wrapped = "," in original and not original.startswith("[")  # 3,2,1 is the vector [3,2,1]
    text = f"[{original}]" if wrapped else original
    try:
        node = parse_expr(text)  # safe: matcalc's own parser, not SymPy's
    except MatcalcError as err:
        hint = "; give each name its own --at: --at a=1 --at b=2" if "=" in original else ""
        pos = None if err.pos is None else min(max(0, err.pos - wrapped), len(original))
        kind = LimitError if isinstance(err, LimitError) else MatcalcError
        raise kind(
            f"{what} value {quote(original)}: {err.message}{hint}", source=original, pos=pos
        ) from None
    from .explicit import as_sympy

    try:
        return as_sympy(node)
    except MatcalcError:
        raise MatcalcError(
            f"{what} {quote(text)}: a value is a number, [..] or [[..]] of numbers"
        ) from None


def from_python(value: object, what: str = "--at") -> Value:
    """API values: numbers, fractions, nested lists, NumPy arrays, or strings in --at syntax."""
    if isinstance(value, str):
        return parse_value(value, what)
    if isinstance(value, bool):
        raise MatcalcError(f"{what}: {quote(repr(value))} is not a number")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MatcalcError(f"{what}: {quote(repr(value))} is not a finite number")
        return sp.Rational(repr(value))
    _check_size(value, what)
    if hasattr(value, "tolist"):
        _check_entries(int(getattr(value, "size", 0)), what)
        return from_python(value.tolist(), what)
    if isinstance(value, list | tuple) and value:
        check_time()
        first = value[0]
        rows = isinstance(first, list | tuple) or hasattr(first, "tolist")
        _check_entries(len(value) * (len(first) if rows and hasattr(first, "__len__") else 1), what)
        if isinstance(value[0], list | tuple):
            return sp.ImmutableMatrix([[from_python(e, what) for e in row] for row in value])
        return sp.ImmutableMatrix([from_python(e, what) for e in value])
    raise MatcalcError(f"{what}: cannot read {quote(repr(value))} as a value")


def _check_size(value: object, what: str) -> None:
    """Refuse an API value over the entry limit before converting any entry (10⁶ would take 30 s)."""
    size = getattr(value, "size", None)  # a NumPy array
    if not isinstance(size, int):
        if not isinstance(value, list | tuple):
            return
        size = len(value)  # rows: at least one entry each, and cheap to count
        if size <= limits.MAX_ENTRIES:
            size = sum(len(e) if isinstance(e, list | tuple) else 1 for e in value)
    if size > limits.MAX_ENTRIES:
        raise LimitError(
            f"{what}: a value with {size} entries is over the limit {limits.MAX_ENTRIES}"
        )


def _check_entries(count: int, what: str) -> None:
    """A value's size is checked before any entry is converted (10⁶ entries took 40 s)."""
    if count > limits.MAX_ENTRIES:
        raise LimitError(
            f"{what}: a value with {count} entries is over the limit {limits.MAX_ENTRIES}"
        )


def parse_at(at: Mapping[str, object] | Iterable[str] | None) -> dict[str, Value]:
    """`--at` items (`x=[1,2,3]`) or an API mapping, as exact values by name."""
    if at is None:
        return {}
    if isinstance(at, Mapping):
        items = {k: from_python(v) for k, v in at.items()}
    else:
        items = {}
        for item in at:
            name, eq, text = item.partition("=")
            if not eq:
                raise MatcalcError(f"--at {quote(item)}: expected NAME=VALUE")
            items[name.strip()] = parse_value(text)
    for name in items:
        check_name(name, "--at")
    return items


def value_node(v: Value) -> Node:
    if isinstance(v, sp.MatrixBase):
        return O.lit([[O.num(e) for e in v.row(i)] for i in range(v.shape[0])])
    return O.num(v)


def bind(
    values: Mapping[str, Value], decls: Decls, family: Mapping
) -> tuple[dict[str, Node], dict]:
    """Explicit values by variable name, and the sizes the values fix."""
    env: dict[str, Node] = {}
    dims: dict = {}
    for name, val in values.items():
        decl = decls.get(name)
        members = family_members(name, family)
        is_mat = isinstance(val, sp.MatrixBase)
        if decl is not None and decl.node().shape != ():
            shape = val.shape if is_mat else ()
            if not is_mat:
                raise MatcalcError(f"--at {name}: {name} is not a scalar")
            want = decl.shape
            if len(shape) != 2:
                raise MatcalcError(f"--at {name}: expected a vector or matrix")
            for d, k in zip(want, shape, strict=True):
                k = sp.Integer(k)
                if d.is_Symbol:
                    if dims.setdefault(d, k) != k:
                        raise MatcalcError(
                            f"--at {name}: size {d} is {dims[d]} elsewhere, {k} here"
                        )
                elif int(d) != k:
                    raise MatcalcError(
                        f"--at {name}: {name} is {want[0]}×{want[1]}, got {shape[0]}×{shape[1]}"
                    )
            if decl.symmetric and val != val.T:
                n = val.shape[0]
                i, j = next(
                    (i, j) for i in range(n) for j in range(i + 1, n) if val[i, j] != val[j, i]
                )
                raise MatcalcError(
                    f"--at {name}: the value is not symmetric ({name}[{i + 1},{j + 1}] = "
                    f"{val[i, j]} but {name}[{j + 1},{i + 1}] = {val[j, i]}), and {name} is "
                    "declared symmetric (sym)"
                )
            env[name] = value_node(val)
        elif len(members) == 1 and not is_mat:
            env[members[0].data[0]] = O.num(val)
        elif members and is_mat:
            if len(val) != len(members):
                raise MatcalcError(
                    f"--at {name}: {name} has {len(members)} components, got {len(val)}"
                )
            for n, e in zip(members, val, strict=True):
                env[n.data[0]] = O.num(e)
        else:
            if is_mat:
                size = f"{val.shape[0]}" if val.shape[1] == 1 else f"{val.shape[0]},{val.shape[1]}"
                raise MatcalcError(
                    f"--at {name}: {name} is not declared, so it is a scalar; "
                    f"declare it with --let {name}:{size}"
                )
            env[name] = O.num(val)
            if val.is_Integer and val > 0:  # also the size or exponent k of X^k (SPEC §7.2)
                bound = dims.setdefault(dim_symbol(name), val)
                if bound != val:
                    raise MatcalcError(f"--at {name}: size {name} is {bound} elsewhere, {val} here")
    return env, dims


def exact_value(node: Node, env: dict[str, Node], dims: dict) -> Value:
    """The exact value of a result at the point, or an error naming what is undefined or missing."""
    from ..expr.node import postorder
    from .explicit import as_sympy, expand

    missing = sorted(
        {m.data[0] for m in postorder([node]) if m.is_variable and m.data[0] not in env}
    )
    if missing:
        raise MatcalcError(f"no value for {', '.join(missing)}; give it with --at NAME=VALUE")
    return as_sympy(expand(node, env, dims))


def json_number(e: sp.Expr) -> object:
    """Exact integers as ints, other rationals as "p/q" strings, the rest as floats."""
    if e.is_Integer:
        return int(e)
    if e.is_Rational:
        return f"{e.p}/{e.q}"
    if e.is_real is False or not e.is_number:
        raise MatcalcError(f"value {e} is not a real number")
    value = float(e)
    if not math.isfinite(value):  # json.dumps would write Infinity, which is not JSON
        raise LimitError(
            f"value {_short(e)} is beyond floating point (about 1.8e308), so JSON has no "
            "number for it; the text format gives it exactly"
        )
    return value


def _short(e: sp.Expr) -> str:
    text = str(e)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text):,} characters)"


def json_value(v: Value) -> object:
    if isinstance(v, sp.MatrixBase):
        if v.shape[1] == 1 or v.shape[0] == 1:
            return [json_number(e) for e in v]
        return [[json_number(e) for e in v.row(i)] for i in range(v.shape[0])]
    return json_number(v)
