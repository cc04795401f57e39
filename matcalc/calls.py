"""The reader's calls with more than operands: an axis (SPEC §7.1: `sum(X, 2)`,
`softmax(Z, axis=1)`, `mean(X, dim=0)`) and max/min of two operands, entry by entry (§7.8).
A mixin of reader.py's Builder, as syntax/where.py's WhereNames is: its methods use the
Builder's `node`, `at`, `error`, `notes` and `broadcast_add`."""

from __future__ import annotations

from . import ops as O
from .expr.node import Node, shape_str
from .expr.registry import AXES, FUNCTIONS, canonical
from .syntax.parser import Syntax

PAIRWISE = ("max", "min", "maximum", "minimum")  # NumPy's maximum/minimum, entry by entry


class Calls:
    def k_keyword(self, s: Syntax) -> Node:
        """`axis=`/`dim=` where no function takes it."""
        takes = ", ".join(dict.fromkeys(n for n in AXES if n in FUNCTIONS or n in PAIRWISE))
        raise self.error(f"{s.text}= is an argument of {takes} only", s.pos)

    def axis_call(self, name: str, s: Syntax) -> Node | None:
        """`sum(X, 2)`, `softmax(Z, axis=1)`, `mean(X, dim=0)`, `softmax(Z)` (SPEC §7.1); None
        for a call that is not an axis form (`max(a, b)`: entrywise)."""
        spec = AXES[name]
        plain = [a for a in s.args if a.kind != "keyword"]
        keys = [a for a in s.args if a.kind == "keyword"]
        if len(keys) > 1:
            raise self.error(f"{name} takes one axis, got {len(keys)}", keys[1].pos)
        if keys and len(plain) != 1:
            raise self.error(
                f"{name}(x, {keys[0].text}=k) takes one operand and the axis, got {len(plain)}",
                keys[0].pos,
            )
        if keys:
            axis = self.axis_number(name, keys[0].args[0], keys[0].text)
        elif len(plain) == 2 and spec.positional:
            axis = self.axis_number(name, plain[1], "")
        elif len(plain) == 1:
            axis = None
        else:
            return None
        x = self.node(plain[0])
        if axis is None and spec.note is not None:
            note = spec.note(x)
            if note and note not in self.notes:
                self.notes.append(note)
        return self.at(s.pos, spec.build, x, axis)

    def axis_number(self, name: str, s: Syntax, keyword: str) -> int:
        """An axis as 1 (each column) or 2 (each row): MATLAB's dimension 1 or 2, positional;
        NumPy's `axis=` and PyTorch's `dim=` 0 or 1 (-2 or -1 from the end)."""
        sign = 1
        e = s
        while e.kind == "paren":
            e = e.args[0]
        if keyword and e.kind == "neg":
            sign, e = -1, e.args[0]
        value = int(e.text) * sign if e.kind == "num" and e.text.isdigit() else None
        if keyword:
            axis = {0: 1, 1: 2, -2: 1, -1: 2}.get(value) if value is not None else None
            if axis is None:
                raise self.error(
                    f"{keyword}= is 0 (down each column) or 1 (along each row), "
                    f"counted from 0 as in NumPy and PyTorch (-1 is the last)",
                    s.pos,
                )
            return axis
        if value not in (1, 2):
            raise self.error(
                f"{name}(X, k): the dimension k is 1 (each column) or 2 (each row), as in "
                f"MATLAB; axis=/dim= count from 0",
                s.pos,
            )
        return value

    def pairwise(self, name: str, s: Syntax) -> Node:
        """`max(a, b)`, `min(a, b)`: entry by entry, a scalar broadcasting (SPEC §7.8), written
        with relu: max(a, b) = b + relu(a - b), min(a, b) = a - relu(a - b); max(0, u) is relu(u).
        The derivative is relu's: at a tie all of it goes to b for max, to a for min."""
        if len(s.args) == 1:  # maximum(x): max(x) is the reduction
            raise self.error(
                f"{name}(a, b) is entrywise and takes 2 arguments; for the "
                f"{'largest' if 'max' in name else 'smallest'} entry write {name[:3]}(x)",
                s.pos,
            )
        if len(s.args) != 2:
            raise self.error(f"{name}(a, b) takes 2 arguments, got {len(s.args)}", s.pos)
        a, b = (self.node(x) for x in s.args)
        upper = name in ("max", "maximum")
        if not (a.is_scalar or b.is_scalar) and a.shape != b.shape:
            raise self.error(
                f"{name}(a, b) takes two of one shape (or a scalar), got "
                f"{shape_str(a.shape)} and {shape_str(b.shape)}",
                s.pos,
            )

        def zero(v: Node) -> bool:
            c = canonical(v)
            return c.is_number and c.data == 0

        def build() -> Node:
            relu = lambda u: O.apply("relu", u)  # noqa: E731
            if zero(a) or zero(b):  # max(0, u) = relu(u), min(0, u) = -relu(-u)
                u = b if zero(a) else a
                return relu(u) if upper else O.neg(relu(O.neg(u)))
            gap = relu(self.broadcast_add(a, b, "-"))
            return self.broadcast_add(b, gap, "+") if upper else self.broadcast_add(a, gap, "-")

        return self.at(s.pos, build)
