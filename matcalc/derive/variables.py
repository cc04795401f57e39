"""What `--wrt` names, as the differential leaves a derivation uses and how it assembles results.

A declared vector or matrix X has one leaf dX; a scalar t has dt; a family x1, x2, … (or a list
`--wrt x1,x2`) is the column vector of its scalars, one leaf each; with `--expand`, a declared
X of integer size is the matrix of its entries X[i,j], one leaf per distinct entry (a symmetric
X shares X[i,j] and X[j,i]).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import ops as O
from ..errors import MatcalcError, quote
from ..expr.decls import Decls
from ..expr.node import ONE, Node, Shape, norm_shape, shape_str, size
from ..syntax.names import check_name

FAMILY_BASE = "family"


@dataclass(frozen=True)
class Variable:
    """One variable to differentiate by. `nodes` are its primal leaves: the variable itself, or
    its scalar components in order (for an expanded matrix, row-major, shared ones repeated)."""

    name: str
    shape: Shape
    kind: str  # "whole" (a scalar, vector or matrix variable) or "components"
    nodes: tuple[Node, ...]
    symmetric: bool = False

    @property
    def width(self) -> sp.Expr:
        return size(self.shape)

    def dleaf(self, node: Node) -> Node:
        if self.kind == "whole":
            return O.dvar(self.name, node.shape)
        return O.dvar(_leaf_name(node), ())

    def leaves(self) -> dict[Node, Node]:
        return {n: self.dleaf(n) for n in dict.fromkeys(self.nodes)}

    def dleaves(self) -> list[Node]:
        return list(self.leaves().values())

    def _unique(self) -> list[Node]:
        return list(dict.fromkeys(self.nodes))

    def leaf_k(self) -> dict[Node, Node]:
        """Each differential leaf's own d vec(leaf) / d vec(x)ᵀ."""
        if self.kind == "whole":
            return {self.dleaf(self.nodes[0]): O.eye(self.width) if self.shape else O.num(1)}
        out = {}
        order = self._order()
        for u in self._unique():
            row = [O.num(1 if order[k] is u or order[k] == u else 0) for k in range(len(order))]
            out[self.dleaf(u)] = O.lit([row]) if len(row) > 1 else row[0]
        return out

    def _order(self) -> list[Node]:
        """The components in vec order (column-major)."""
        if self.shape == () or self.shape[1] == 1:
            return list(self.nodes)
        r, c = (int(d) for d in self.shape)
        return [self.nodes[i * c + j] for j in range(c) for i in range(r)]

    def row(self, cots: dict[Node, Node]) -> Node:
        """The 1 × width row of a scalar whose leaves have these cotangents."""
        if self.kind == "whole":
            g = cots.get(self.dleaf(self.nodes[0]), O.zero(self.shape))
            return O.transpose(O.vec(g)) if self.shape else g
        entries = [cots.get(self.dleaf(u), O.num(0)) for u in self._order()]
        counts = {u: self.nodes.count(u) for u in self._unique()}
        entries = [
            O.mul(e, O.num(sp.Rational(1, counts[u])))
            for e, u in zip(entries, self._order(), strict=True)
        ]
        return O.lit([entries]) if len(entries) > 1 else entries[0]

    def gradient(self, cots: dict[Node, Node]) -> Node:
        """The cotangents assembled in the variable's shape (a shared entry counts half each)."""
        if self.kind == "whole":
            g = cots.get(self.dleaf(self.nodes[0]), O.zero(self.shape))
            if self.symmetric:
                return O.mul(O.num(sp.Rational(1, 2)), O.add(g, O.transpose(g)))
            return g
        counts = {u: self.nodes.count(u) for u in self._unique()}
        entries = [
            O.mul(cots.get(self.dleaf(u), O.num(0)), O.num(sp.Rational(1, counts[u])))
            for u in self.nodes
        ]
        if self.shape == ():
            return entries[0]
        r, c = (int(d) for d in self.shape)
        return O.lit([entries[i * c : (i + 1) * c] for i in range(r)])

    def directions(self, v: Node) -> dict[Node, Node]:
        """Each differential leaf replaced by the matching part of the direction v (jvp)."""
        if self.kind == "whole":
            return {self.dleaf(self.nodes[0]): v}
        out = {}
        c = int(self.shape[1]) if self.shape else 1
        for k, u in enumerate(self.nodes):
            i, j = divmod(k, c)
            out.setdefault(self.dleaf(u), O.entry(v, i, j) if not v.is_scalar else v)
        return out


def _leaf_name(n: Node) -> str:
    if n.is_variable:
        return n.data[0]
    return repr(n)  # a node's repr is its text (`x[1]`), the leaf's name


def components(node: Node, shape: Shape, symmetric: bool) -> list[Node]:
    """The entries X[i,j] of a declared variable of integer size, row-major; a symmetric X
    shares (i, j) and (j, i)."""
    r, c = (int(d) for d in shape)
    out = []
    for i in range(r):
        for j in range(c):
            a, b = (min(i, j), max(i, j)) if symmetric else (i, j)
            out.append(O.entry(node, a, b) if (r, c) != (1, 1) else node)
    return out


def resolve(wrt: str, decls: Decls, family: dict[tuple[str, int], Node]) -> list[Variable]:
    """SPEC §1: a declared name, a family x1…xn, a comma list of scalars (one vector), a scalar,
    or a comma list naming vectors and matrices (one derivative each)."""
    names = [w.strip() for w in wrt.split(",")]
    if not wrt.strip() or any(not n for n in names):
        raise MatcalcError(f"--wrt {quote(wrt)}: expected a name or a comma-separated list")
    for n in names:
        check_name(n, "--wrt")
    if len(set(names)) != len(names):
        raise MatcalcError("--wrt lists the same name twice")
    if len(names) == 1:
        return [_one(names[0], decls, family)]
    found = [_one(n, decls, family) for n in names]
    if all(v.shape == () for v in found):
        nodes = tuple(v.nodes[0] for v in found)
        return [Variable(wrt.replace(" ", ""), (sp.Integer(len(nodes)), ONE), "components", nodes)]
    return found


def _one(name: str, decls: Decls, family: dict[tuple[str, int], Node]) -> Variable:
    from ..reader import family_members
    from ..syntax.names import FAMILY

    decl = decls.get(name)
    if decl is not None:
        node = decl.node()
        return Variable(name, node.shape, "whole", (node,), decl.symmetric)
    members = family_members(name, family)
    if members:
        nodes = tuple(members)
        return Variable(name, (sp.Integer(len(nodes)), ONE), "components", nodes)
    m = FAMILY.match(name)
    if m and (m.group(1), int(m.group(2))) in family:
        node = family[(m.group(1), int(m.group(2)))]
        return Variable(node.data[0], (), "whole", (node,))
    if m:
        base = decls.get(m.group(1))
        if base is not None and base.shape[1] == 1 and base.shape[0] != 1:
            raise MatcalcError(
                f"--wrt {name}: {m.group(1)} is declared {shape_str(base.shape)}; differentiate by {m.group(1)}"
            )
        return Variable(
            f"{m.group(1)}{m.group(2)}", (), "whole", (O.var(f"{m.group(1)}{m.group(2)}"),)
        )
    return Variable(name, (), "whole", (O.var(name),))


def expanded(v: Variable, decls: Decls) -> Variable:
    """A declared vector or matrix of integer size as the vector/matrix of its entries."""
    if v.kind != "whole" or v.shape == ():
        return v
    decl = decls.get(v.name)
    if decl is None or not decl.integer_sized:
        raise MatcalcError(
            f"{v.name} has symbolic size {shape_str(v.shape)}; --expand needs integer sizes"
        )
    return Variable(
        v.name,
        v.shape,
        "components",
        tuple(components(v.nodes[0], v.shape, v.symmetric)),
        v.symmetric,
    )


__all__ = ["Variable", "components", "expanded", "norm_shape", "resolve"]
