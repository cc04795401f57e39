"""`--let NAME:SHAPE` declarations: names with their shapes, dimensions as symbols or integers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sympy as sp

from .. import limits
from ..errors import LimitError, MatcalcError, quote
from ..syntax.names import check_name
from .node import ONE, Node, Shape, dim_symbol, norm_shape, var


@dataclass(frozen=True)
class Decl:
    """One declared variable."""

    name: str
    shape: Shape
    symmetric: bool = False

    def node(self) -> Node:
        return var(self.name, norm_shape(self.shape), self.symmetric)

    @property
    def integer_sized(self) -> bool:
        return all(d.is_Integer for d in self.shape)


@dataclass
class Decls:
    """All `--let` declarations; undeclared names are scalars."""

    items: dict[str, Decl] = field(default_factory=dict)
    bound: dict[str, sp.Integer] = field(default_factory=dict)  # dimensions fixed by a --v value

    def get(self, name: str) -> Decl | None:
        return self.items.get(name)

    def dims(self) -> dict[str, sp.Symbol]:
        return {str(d): d for decl in self.items.values() for d in decl.shape if d.is_Symbol}

    def copy(self) -> Decls:
        return Decls(dict(self.items), dict(self.bound))

    @classmethod
    def parse(cls, specs: Iterable[str] | None) -> Decls:
        out = cls()
        for spec in specs or ():
            decl = parse_let(spec)
            before = out.items.get(decl.name)
            if before is not None and before != decl:
                raise MatcalcError(
                    f"--let {quote(spec)}: {decl.name} is already declared with another shape"
                )
            out.items[decl.name] = decl
            if len(out.items) > limits.MAX_LETS:
                raise LimitError(f"more than {limits.MAX_LETS} --let declarations")
        clash = set(out.dims()) & set(out.items)
        if clash:
            raise MatcalcError(
                f"{quote(sorted(clash)[0])} is used both as a variable and a dimension"
            )
        return out


def parse_let(spec: str) -> Decl:
    """`x:n` (vector), `A:n,m` (matrix), `S:n,n,sym` (symmetric), dims names or integers."""
    if ":" not in spec:
        raise MatcalcError(f"--let {quote(spec)}: expected NAME:SHAPE, e.g. x:n or A:n,m")
    name, _, shape = spec.partition(":")
    name = name.strip()
    check_name(name, "--let")
    parts = [p.strip() for p in shape.split(",")]
    symmetric = False
    if parts and parts[-1] == "sym":
        symmetric = True
        parts = parts[:-1]
    if len(parts) not in (1, 2) or not all(parts):
        raise MatcalcError(f"--let {quote(spec)}: SHAPE is n, n,m or n,n,sym")
    dims = tuple(_dim(p, spec) for p in parts)
    if symmetric and (len(dims) != 2 or dims[0] != dims[1]):
        raise MatcalcError(f"--let {quote(spec)}: a symmetric matrix must be square (n,n,sym)")
    full: Shape = (dims[0], ONE) if len(dims) == 1 else (dims[0], dims[1])
    return Decl(name, full, symmetric and full != (ONE, ONE))


def _dim(text: str, spec: str) -> sp.Expr:
    if text.isdigit():
        if len(text) > 6 or int(text) > limits.MAX_DIM:
            raise LimitError(
                f"--let {quote(spec)}: dimension {quote(text)} is over the limit {limits.MAX_DIM}"
            )
        if int(text) < 1:
            raise MatcalcError(f"--let {quote(spec)}: dimensions are at least 1")
        return sp.Integer(int(text))
    check_name(text, "dimension")
    if text in CONSTANT_NAMES:
        raise MatcalcError(
            f"--let {spec!r}: {text} is the number {CONSTANT_NAMES[text]} in an expression, so it "
            f"cannot also name a dimension; call the dimension something else (e.g. {text}_dim)"
        )
    return dim_symbol(text)


# Names that are numbers wherever they occur (SPEC §2), so a dimension of that name could not
# be written in EXPR (`n/2` is the size n; `pi/2` is π/2).
CONSTANT_NAMES = {"pi": "π", "e": "e = 2.718…"}
