"""Values given by the user (`--at NAME=VALUE`, `--v`) and exact evaluation at them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

import sympy as sp

from .errors import MatcalcError
from .explicit import component_symbols, explicit
from .expr import Node
from .shapes import Decls, check_name

Value = sp.Expr | sp.ImmutableMatrix


def parse_value(text: str, what: str = "--at") -> Value:
    """`3`, `1/2`, `3,2,1`, `[3,2,1]` or `[[1,0],[0,1]]`, as exact SymPy numbers."""
    from .parse import parse

    text = text.strip()
    if "," in text and not text.startswith("["):
        text = f"[{text}]"
    try:
        node = parse(text)
    except MatcalcError as err:
        raise MatcalcError(f"{what} {text!r}: {err.message}") from None
    if node.op not in ("scalar", "matrix") or node.data.free_symbols:
        raise MatcalcError(f"{what} {text!r}: a value is a number, [..] or [[..]] of numbers")
    return node.data


def from_python(value: object, what: str = "--at") -> Value:
    """API values: numbers, fractions, nested lists, NumPy arrays, or strings in --at syntax."""
    if isinstance(value, str):
        return parse_value(value, what)
    if isinstance(value, bool):
        raise MatcalcError(f"{what}: {value!r} is not a number")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return sp.Rational(repr(value))
    if hasattr(value, "tolist"):
        return from_python(value.tolist(), what)
    if isinstance(value, list | tuple) and value:
        if isinstance(value[0], list | tuple):
            return sp.ImmutableMatrix([[from_python(e, what) for e in row] for row in value])
        return sp.ImmutableMatrix([from_python(e, what) for e in value])
    raise MatcalcError(f"{what}: cannot read {value!r} as a value")


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
                raise MatcalcError(f"--at {item!r}: expected NAME=VALUE")
            items[name.strip()] = parse_value(text)
    for name in items:
        check_name(name, "--at")
    return items


def bind(
    values: Mapping[str, Value], decls: Decls, family: Mapping[tuple[str, int], sp.Symbol]
) -> tuple[dict[str, object], dict[sp.Symbol, int]]:
    """Environment and sizes for exact evaluation: declared values fix their dimensions."""
    env: dict[str, object] = {}
    dims: dict[sp.Symbol, int] = {}
    for name, val in values.items():
        decl = decls.get(name)
        members = sorted((i, s) for (b, i), s in family.items() if b == name)
        if decl is not None:
            shape = val.shape if isinstance(val, sp.MatrixBase) else ()
            if shape == ():
                raise MatcalcError(f"--at {name}: {name} is not a scalar")
            for d, k in zip(decl.shape, shape, strict=True):
                if d.is_Symbol:
                    if dims.setdefault(d, k) != k:
                        raise MatcalcError(
                            f"--at {name}: size {d} is {dims[d]} elsewhere, {k} here"
                        )
                elif int(d) != k:
                    raise MatcalcError(
                        f"--at {name}: {name} is {decl.shape[0]}×{decl.shape[1]}, got {shape[0]}×{shape[1]}"
                    )
            if decl.symmetric and val != val.T:
                raise MatcalcError(f"--at {name}: {name} is declared symmetric")
            env[name] = val
            if decl.integer_sized:
                for s, e in zip(component_symbols(name, decl.shape), val, strict=True):
                    env[s.name] = e
        elif members and not isinstance(val, sp.MatrixBase) and len(members) == 1:
            env[members[0][1].name] = val
        elif members and isinstance(val, sp.MatrixBase):
            if len(val) != len(members):
                raise MatcalcError(
                    f"--at {name}: {name} has {len(members)} components, got {len(val)}"
                )
            for (_, s), e in zip(members, val, strict=True):
                env[s.name] = e
        else:
            if isinstance(val, sp.MatrixBase):
                raise MatcalcError(f"--at {name}: {name} is a scalar, got a matrix")
            env[name] = val
    return env, dims


def evaluate_at(node: Node, env: dict[str, object], dims: dict[sp.Symbol, int]) -> Value:
    """The exact value of a result, or an error naming what still has no value."""
    missing = sorted(_leaf_names(node) - set(env))
    if missing:
        raise MatcalcError(f"no value for {', '.join(missing)}; give it with --at NAME=VALUE")
    out = explicit(node, env, dims)
    free = out.free_symbols
    if free:
        names = ", ".join(sorted(str(s) for s in free))
        raise MatcalcError(f"no value for {names}; give it with --at NAME=VALUE")
    from .budget import BudgetExceeded, simplify_seconds, time_budget

    try:
        with time_budget(simplify_seconds()):
            if isinstance(out, sp.MatrixBase):
                return sp.ImmutableMatrix(out.applyfunc(sp.simplify))
            return sp.simplify(out)
    except BudgetExceeded:
        return out


def _leaf_names(node: Node) -> set[str]:
    """Names of the variable leaves (vectors and matrices) a tree uses."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.op == "sym":
            out.add(n.data[0])
        stack.extend(n.args)
    return out


def json_number(e: sp.Expr) -> object:
    """Exact integers as ints, other rationals as "p/q" strings, the rest as floats."""
    if e.is_Integer:
        return int(e)
    if e.is_Rational:
        return f"{e.p}/{e.q}"
    if e.is_real is False or not e.is_number:
        raise MatcalcError(f"value {e} is not a real number")
    return float(e)


def json_value(v: Value) -> object:
    if isinstance(v, sp.MatrixBase):
        if v.shape[1] == 1 or v.shape[0] == 1:
            return [json_number(e) for e in v]
        return [[json_number(e) for e in v.row(i)] for i in range(v.shape[0])]
    return json_number(v)
