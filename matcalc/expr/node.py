"""The one node type of the typed expression tree, and shapes.

Every node is `Node(op, args, data, shape)`: `op` names a registry entry (matcalc/ops/), `args`
are operand nodes, `data` is the entry's payload (a constant, a name, an exponent), `shape` is
`()` for a scalar and `(rows, cols)` otherwise — a column vector is `(n, 1)`. Dimensions are
SymPy integers or positive integer symbols. Nodes are immutable and hashable, so a tree is a DAG
and every walker memoizes on nodes.
"""

from __future__ import annotations

import weakref
from typing import Any

import sympy as sp

from ..budget import check_time

Dim = sp.Expr
Shape = tuple[()] | tuple[Dim, Dim]
ONE = sp.Integer(1)


NUMBER, VARIABLE, LITERAL = "num", "var", "lit"
"""The kinds of value every stage asks a node about (`is_number`, `is_variable`, `is_literal`),
named once: their entries are registered under these names in ops/leaves.py and
ops/structure.py, and `var` below builds variables."""

_REPR: list = []  # how a node prints in a message: the text printer, once render is loaded


def set_repr(to_text) -> None:
    """Install the printer that `repr(node)` uses; the renderers read nodes, not the reverse."""
    _REPR[:] = [to_text]


_LIVE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # the live trees


class Node:
    """One operation with its operands, its payload and its shape."""

    __slots__ = (
        "__weakref__",
        "_free",
        "_hash",
        "_key",
        "_transposes",
        "_written",
        "args",
        "data",
        "op",
        "shape",
    )

    def __new__(cls, op: str, args: tuple[Node, ...] = (), data: Any = None, shape: Shape = ()):
        """One object per distinct tree while it is alive (hash-consing): equal subtrees are the
        same object, so equality and the comparison of sort keys stop at the first shared
        subtree instead of walking an expanded A¹⁰⁰ once per path (in C, past any time check)."""
        check_time()  # every long computation builds nodes: the API's timeout= is checked here
        key = (op, args, data, shape)
        known = _LIVE.get(key)
        if known is not None:
            return known
        self = object.__new__(cls)
        self.op, self.args, self.data, self.shape = op, args, data, shape
        self._hash = hash(key)
        self._free: frozenset[str] | None = None
        self._key: tuple | None = None
        self._transposes: int | None = None  # memos of walks that count the tree as printed
        self._written: int | None = None
        _LIVE[key] = self
        return self

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node) or self._hash != other._hash:
            return False
        return _same(self, other)

    def __repr__(self) -> str:
        if _REPR:  # the text printer, installed by render/printer.py (which reads nodes)
            return _REPR[0](self)
        return f"Node({self.op!r}, {self.args!r}, {self.data!r}, {self.shape!r})"

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def is_vector(self) -> bool:
        """A column vector n×1 (n may be 1 only for a scalar, which is not a vector)."""
        return self.shape != () and self.shape[1] == 1

    @property
    def is_row(self) -> bool:
        return self.shape != () and self.shape[0] == 1 and self.shape[1] != 1

    @property
    def is_square(self) -> bool:
        return self.shape != () and self.shape[0] == self.shape[1]

    @property
    def is_number(self) -> bool:
        """An exact constant, a scalar: `data` is its SymPy value (2, 1/2, π, a dimension n)."""
        return self.op == NUMBER

    @property
    def is_variable(self) -> bool:
        """A variable the user names (a scalar, vector or matrix): `data` is (name, symmetric)."""
        return self.op == VARIABLE

    @property
    def is_literal(self) -> bool:
        """An explicit vector or matrix `[a, b]`: its entries (or blocks) are the operands, row by
        row, and `data` is (rows, columns)."""
        return self.op == LITERAL

    def free(self) -> frozenset[str]:
        """Names of the variables this node depends on (dimensions are constants)."""
        if self._free is None:
            if self.is_variable:
                self._free = frozenset([self.data[0]])
            else:
                out: frozenset[str] = frozenset()
                for a in self.args:
                    out |= a.free()
                self._free = out
        return self._free

    def depends(self, name: str) -> bool:
        return name in self.free()

    def sortkey(self) -> tuple:
        """A total order on nodes that does not depend on hashing (outputs are reproducible)."""
        if self._key is None:
            check_time()
            self._key = (
                self.op,
                str(self.data),
                tuple(str(d) for d in self.shape),
                tuple(a.sortkey() for a in self.args),
            )
        return self._key


def _same(a: Node, b: Node) -> bool:
    """Structural equality, each pair of subtrees compared once: equal trees that are distinct
    objects and share subtrees inside (an expanded A¹⁶) would take exponential time otherwise."""
    seen: set[tuple[int, int]] = set()
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y or (id(x), id(y)) in seen:
            continue
        if len(seen) & 1023 == 1023:
            check_time()
        if (
            x._hash != y._hash
            or x.op != y.op
            or len(x.args) != len(y.args)
            or x.shape != y.shape
            or x.data != y.data
        ):
            return False
        seen.add((id(x), id(y)))
        stack.extend(zip(x.args, y.args, strict=True))
    return True


def norm_shape(shape: Shape) -> Shape:
    """A 1×1 result is a scalar everywhere (SPEC §2)."""
    if shape != () and shape[0] == 1 and shape[1] == 1:
        return ()
    return shape


_SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def dim_str(d: Dim) -> str:
    """A dimension as text: `n`, `3`, `m n`, `n²`."""
    import re

    text = str(d).replace("*", " ")
    return re.sub(r"  ([0-9]+)", lambda m: m.group(1).translate(_SUPER), text)


def shape_str(shape: Shape) -> str:
    """A shape as a user reads it: `scalar`, `n (vector)`, `1×n (row vector)`, `n×m`."""
    if shape == ():
        return "scalar"
    r, c = (dim_str(d) for d in shape)
    if shape[1] == 1:
        return f"{r} (vector)"
    r, c = (f"({t})" if " + " in t or " - " in t else t for t in (r, c))  # 1×(n - 1), not 1×n - 1
    if shape[0] == 1:
        return f"1×{c} (row vector)"
    return f"{r}×{c}"


def shape_list(shape: Shape) -> list[int | str]:
    """A shape for JSON and for `.shape`: integers where known, dimension names otherwise."""
    return [int(d) if d.is_Integer else str(d) for d in shape]


def axes(shape: Shape) -> list:
    """The axes of an array of this shape: none for a scalar, one for a vector, two else."""
    if shape == ():
        return []
    r, c = shape
    if c == 1:
        return [r]
    if r == 1:
        return [c]
    return [r, c]


def size(shape: Shape) -> Dim:
    """The number of entries."""
    return ONE if shape == () else shape[0] * shape[1]


def as_pair(shape: Shape) -> tuple[Dim, Dim]:
    """A scalar as 1×1, for rules that treat every value as a matrix."""
    return (ONE, ONE) if shape == () else shape


def transposed(shape: Shape) -> Shape:
    return () if shape == () else (shape[1], shape[0])


def dim_symbol(name: str) -> sp.Symbol:
    """A symbolic dimension: a positive integer symbol, the same object everywhere."""
    return sp.Symbol(name, integer=True, positive=True)


def written_size(n: Node) -> int:
    """Operations of the tree written out: a subtree shared k times is printed k times."""
    if n._written is None:
        n._written = 1 + sum(written_size(a) for a in n.args)
    return n._written


def var(name: str, shape: Shape = (), symmetric: bool = False) -> Node:
    """A variable: a scalar, or a declared vector or matrix (symmetric: S = Sᵀ). Its entry is
    registered in ops/leaves.py; the node is built here, where `free` reads it."""
    return Node(VARIABLE, (), (name, bool(symmetric)), shape)


def brief(n: Node) -> str:
    """The text of a node named in a message, or what it is when it would print pages."""
    size = written_size(n)
    return repr(n) if size <= 2_000 else f"an expression of {size:,} operations"


def postorder(roots: list[Node]) -> list[Node]:
    """Every distinct node once, operands before the node (iterative: no recursion limit)."""
    out: list[Node] = []
    done: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            if n not in done:
                done.add(n)
                out.append(n)
                if len(out) & 1023 == 0:
                    check_time()
            continue
        if n in done:
            continue
        stack.append((n, True))
        stack.extend((a, False) for a in reversed(n.args) if a not in done)
    return out
