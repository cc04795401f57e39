"""`EXPR where K = …, α = …` (SPEC §7.3): the where names of an expression as the reader
resolves them. A name stands for its definition, read where it is first used, so definitions may
use each other in any order; a cycle, a repeated name, a name the language already has, and an
unused definition are user errors at their column."""

from __future__ import annotations

from .. import limits
from ..errors import LimitError, MatcalcError
from .lexer import safe
from .names import check_name
from .parser import Syntax


class WhereNames:
    """The where clause's part of the reader (reader.Builder), which provides `defs`, `named`,
    `reading`, `value`, `error`, `located` and `taken` (what a name already means)."""

    def k_where(self, s: Syntax) -> object:
        """`EXPR where K = …, α = …`: each name stands for its definition, read where first
        used (so a definition may use any other, in any order, but not itself)."""
        body, *defs = s.args
        for d in defs:
            self.define(d)
        v = self.value(body)
        for d in defs:
            if d.text not in self.named:
                raise self.error(f"where: {d.text} is defined but not used", d.pos)
        return v

    def define(self, d: Syntax) -> None:
        name = d.text
        if d.sub:
            raise self.error(
                f"where: a name is written without a subscript, not {name}{d.sub}", d.pos
            )
        try:
            check_name(name)
        except MatcalcError as err:
            raise self.located(err, d.pos) from None
        if name in self.defs:
            first = self.defs[name].pos + 1
            raise self.error(f"where: {name} is defined twice (first at column {first})", d.pos)
        what = self.taken(name)
        if what:
            raise self.error(f"where: {name} is {what}; give the definition a new name", d.pos)
        self.defs[name] = d

    def defined(self, name: str, pos: int) -> object:
        """The value of a where name, read the first time it is used."""
        if name in self.named:
            return self.named[name]
        if name in self.reading:
            cycle = " → ".join([*self.reading[self.reading.index(name) :], name])
            raise self.error(f"where: the definitions form a cycle ({cycle})", pos)
        if len(self.reading) >= limits.MAX_DEPTH:  # a = b, b = c, …: each a level of nesting
            raise LimitError(
                f"where: definitions nest deeper than {limits.MAX_DEPTH} (a name whose "
                "definition uses a name whose definition uses …)",
                source=safe(self.text),
                pos=pos,
            )
        self.reading.append(name)
        self.named[name] = self.value(self.defs[name].args[0])
        self.reading.pop()
        return self.named[name]
