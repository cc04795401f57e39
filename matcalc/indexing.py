"""Indexing in the reader: x1, x_1, x[1], x₁ as one scalar of a family or an entry of a
declared vector, and entries and ranges A[i,j], x[2:n] (1-based, bounds may be dimension
expressions), each a slice of the operand."""

from __future__ import annotations

import sympy as sp

from . import limits
from . import ops as O
from .expr.node import ONE, Node, shape_str
from .syntax.names import check_name
from .syntax.parser import Syntax


class Indexing:
    """The reader's part for indices (reader.Builder provides `decls`, `family`, `defs`,
    `node`, `at` and `error`)."""

    def component(self, base: str, index: int, pos: int, spelled: str | None = None) -> Node:
        """x1, x_1, x[1], x₁: one scalar of the family x, or entry 1 of a declared vector x."""
        decl = self.decls.get(base)
        if decl is not None and decl.shape[1] == 1 and decl.shape[0] != 1:
            return self.entry(decl.node(), [index], pos, base)
        if decl is not None:
            raise self.error(
                f"{base}{index}: {base} is {shape_str(decl.shape)}; write {base}[i,j]", pos
            )
        if (base, index) not in self.family:
            check_name(base)
            if index > limits.MAX_DIM:  # the family is the vector x1 … xk: k is a dimension
                raise self.error(
                    f"{base}{index}: a family {base}1 … {base}k has at most {limits.MAX_DIM} "
                    "members (the limit on a dimension)",
                    pos,
                )
            self.family[(base, index)] = O.var(f"{base}{index}")
        return self.family[(base, index)]

    def entry(self, x: Node, idx: list, pos: int, name: str) -> Node:
        """Entries of x, 1-based: x[i], A[i,j], ranges i:j inclusive (bounds may be dimensions)."""
        rows, cols = x.shape if x.shape else (ONE, ONE)
        if len(idx) == 1 and cols != 1:
            if rows != 1:
                raise self.error(f"{name} is {shape_str(x.shape)}: index it as {name}[i,j]", pos)
            idx = [(1, 1), idx[0]]
        elif len(idx) == 1:
            idx = [idx[0], (1, 1)]
        spans = []
        for part, dim in zip(idx, (rows, cols), strict=True):
            lo, hi = part if isinstance(part, tuple) else (part, part)
            lo, hi = sp.sympify(lo), sp.sympify(hi)  # safe: integers and dimension symbols
            if (lo.is_Integer and lo < 1) or (hi - lo).is_negative or ((hi - dim).is_positive):
                raise self.error(
                    f"index {lo}:{hi} is outside {name} ({shape_str(x.shape)}); indices start at 1",
                    pos,
                )
            spans.append((lo - 1, hi))
        (r0, r1), (c0, c1) = spans
        return O.slice_(x, r0, r1, c0, c1)

    def index_part(self, s: Syntax) -> object:
        if s.kind == "range":
            return (self.index_bound(s.args[0]), self.index_bound(s.args[1]))
        return self.index_bound(s)

    def index_bound(self, s: Syntax) -> object:
        terms = []
        while s.kind == "binop":  # n - 1 + …: a left-deep chain, read in a loop
            terms.append((s.text, s.args[1]))
            s = s.args[0]
        if terms:
            total = sp.sympify(self.index_bound(s))  # safe: an integer or a dimension
            for op, t in reversed(terms):
                v = sp.sympify(self.index_bound(t))  # safe: an integer or a dimension
                total = total + v if op == "+" else total - v
            return total
        if s.kind == "num":
            return int(s.text)
        dims = self.decls.dims()
        if s.text in dims:
            return dims[s.text]
        if s.text in self.decls.bound:  # a dimension a literal --v fixed (m = 3)
            return int(self.decls.bound[s.text])
        raise self.error(
            f"an index bound is a whole number or a dimension name, not {s.text!r}", s.pos
        )

    def k_index(self, s: Syntax) -> Node:
        if s.text == "":  # (expr)[i]
            base = self.node(s.args[0])
            return self.at(
                s.pos, self.entry, base, [self.index_part(a) for a in s.args[1:]], s.pos, "it"
            )
        decl = self.decls.get(s.text)
        parts = [self.index_part(a) for a in s.args]
        if s.text in self.defs and not s.sub:  # v[1] of a where name v
            base = self.node(Syntax("name", s.text, s.pos))
            return self.at(s.pos, self.entry, base, parts, s.pos, s.text)
        if decl is not None:
            return self.entry(decl.node(), parts, s.pos, s.text)
        if len(parts) != 1 or not isinstance(parts[0], int):
            raise self.error(
                f"{s.text} is not declared; declare it with --let {s.text}:n or {s.text}:n,m", s.pos
            )
        return self.component(s.text, parts[0], s.pos)
