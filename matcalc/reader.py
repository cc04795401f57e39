"""Syntax tree → typed expression: names resolved against the declarations, shapes checked,
operators built through the registry (so the tree is canonical), positions kept for errors.

Also here, because they are about meaning rather than syntax: indexed families (x1, x_1, x[1],
x₁ are one scalar), dimension names as values, scalars broadcast by NumPy's rule, and the
constants whose size comes from context (`eye`, `ones`, `vector(c)`, `matrix(c)`, 𝐈, 𝟏).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from . import limits
from . import ops as O
from .calls import PAIRWISE, Calls
from .errors import QUOTE_CHARS, LimitError, MatcalcError, ShapeError, quote
from .expr.decls import Decls
from .expr.node import ONE, Node, norm_shape, postorder, shape_str
from .expr.registry import AXES, FUNCTIONS, OPS, canonical, latex_commands, raw_mode
from .indexing import Indexing
from .ops.base import mismatch
from .ops.broadcasting import broadcast_vector
from .syntax.foreign import FAMILIAR
from .syntax.lexer import WHERE, safe, superscript_value
from .syntax.names import FAMILY, check_name, nearest
from .syntax.parser import Syntax, parse_syntax
from .syntax.where import WhereNames


def family_members(name: str, family: dict[tuple[str, int], Node]) -> list[Node]:
    """The vector a family stands for: x1 … xk, k the largest index written (x1² + x3² is a
    function of x2 too), from x0 if x0 is written. Empty when no member is written."""
    members = {idx: n for (base, idx), n in family.items() if base == name}
    if not members:
        return []
    span = range(min(1, *members), max(members) + 1)
    return [members.get(i) or O.var(f"{name}{i}") for i in span]


CONSTANTS = {"pi": sp.pi, "e": sp.E}
SIZED = ("eye", "ones", "zeros", "vector", "matrix", "Identity", "OneMatrix", "ZeroMatrix")


def number(text: str) -> sp.Rational:
    """A literal as an exact rational, refusing literals SymPy would choke on."""
    mantissa, _, exp = text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    if len(whole) + len(frac) > limits.MAX_INT_DIGITS:
        raise LimitError(f"number {text[:20]}… has more than {limits.MAX_INT_DIGITS} digits")
    k = int(exp) if exp else 0
    if abs(k) > limits.MAX_SCI_EXPONENT or len(exp) > 6:
        raise LimitError(f"exponent of {text} is over the limit {limits.MAX_SCI_EXPONENT}")
    value = sp.Integer(int(whole or "0") * 10 ** len(frac) + int(frac or "0"))
    return value * sp.Rational(10) ** (k - len(frac))


@dataclass
class Unsized:
    """A constant whose size comes from the operand beside it: 𝐈, 𝟏, vector(c), matrix(c)."""

    kind: str  # eye, ones (a column), matrix
    value: Node
    pos: int
    transposed: bool = False
    name: str = ""  # as written: eye, 𝐈, ones, 𝟏, vector(c), matrix(c)

    def sized(self, shape: tuple) -> Node:
        if shape == ():
            raise MatcalcError(f"the size of {self.label} is not fixed by a scalar")
        if self.kind == "eye":
            if shape[0] != shape[1]:
                raise ShapeError(f"the identity is square, but it meets {shape_str(shape)}")
            return self.times(O.eye(shape[0]))
        if self.kind == "ones" and shape[1] != 1 and not (self.transposed and shape[0] == 1):
            raise ShapeError(f"ones is a vector, but it meets {shape_str(shape)}; use matrix(1)")
        return self.times(O.ones(shape))

    def times(self, constant: Node) -> Node:
        """value · 𝐈 or value · 𝟏, the constant alone where the value is 1 (as written: `ones`)."""
        one = self.value.is_number and self.value.data == 1
        return constant if one else O.mul(self.value, constant)

    @property
    def label(self) -> str:
        return self.name or {"eye": "eye", "ones": "ones", "matrix": "matrix(c)"}[self.kind]


Value = Node | Unsized


def _spine(s: Syntax, kind: str) -> tuple[Syntax, list[Syntax]]:
    """A left-deep chain of `kind` nodes, outermost first, and the operand at its bottom: read
    in a loop, so a chain of thousands costs one stack frame."""
    spine = []
    while s.kind == kind:
        spine.append(s)
        s = s.args[0]
    return s, spine


@dataclass
class Builder(Indexing, WhereNames, Calls):
    text: str
    decls: Decls
    family: dict[tuple[str, int], Node] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    defs: dict[str, Syntax] = field(default_factory=dict)  # where K = …: each name's definition
    named: dict[str, Value] = field(default_factory=dict)  # … and its value, once read
    reading: list[str] = field(default_factory=list)  # the definitions being read (for cycles)
    # eig(X), λ_max(X) of an X not symmetric by structure → the column of its call: refused
    # unless a rewrite consumed it (sum(eig(X)) = tr X), by `refuse_unsymmetric`
    unsymmetric: dict[Node, int] = field(default_factory=dict)

    def where_names(self) -> list[tuple[str, Node]]:
        """The where names with their values, each after the names its definition uses."""
        return [(n, v) for n, v in self.named.items() if isinstance(v, Node)]

    def located(self, err: MatcalcError, pos: int) -> MatcalcError:
        return err.located(safe(self.text), pos)

    def error(self, message: str, pos: int) -> MatcalcError:
        return MatcalcError(message, source=safe(self.text), pos=pos)

    def at(self, pos: int, fn: Callable[..., Value], *args) -> Value:
        """Run a constructor, locating any shape, limit or undefined-value error at pos."""
        try:
            return fn(*args)
        except MatcalcError as err:
            raise self.located(err, pos) from None

    # ---------------------------------------------------------------- the walk
    def node(self, s: Syntax) -> Node:
        """A sized value: context-sized constants must have met their size by now."""
        v = self.value(s)
        if isinstance(v, Unsized):
            raise self.error(
                f"the size of {v.label} is not fixed by the expression; give it one, e.g. eye(n) or ones(n)",
                v.pos,
            )
        return v

    def value(self, s: Syntax) -> Value:
        return getattr(self, "k_" + s.kind)(s)

    def k_paren(self, s: Syntax) -> Value:
        return self.value(s.args[0])

    def k_num(self, s: Syntax) -> Value:
        return self.at(s.pos, lambda: O.num(number(s.text)))

    def k_const(self, s: Syntax) -> Value:
        if s.sub:  # 𝐈ₙ, 𝟏₃: the size in the subscript
            size = int(s.sub) if s.sub.isdigit() else self.decls.dims().get(s.sub)
            if size is None:
                raise self.error(
                    f"{s.text}{s.sub}: {s.sub} is not a dimension of a declared variable", s.pos
                )
            return O.eye(size) if s.text == "𝐈" else O.ones((sp.sympify(size), ONE))  # safe: a size
        return Unsized("eye" if s.text == "𝐈" else "ones", O.num(1), s.pos, name=s.text)

    # ---------------------------------------------------------------- where K = …
    def taken(self, name: str) -> str:
        """What a name already means, if anything: a where name must be new."""
        if self.decls.get(name) is not None:
            return "a declared variable"
        if name in self.decls.dims() or name in self.decls.bound:
            return "a dimension"
        if name in CONSTANTS:
            return "a constant"
        if name in CALLS or name in ("ones", "eye", "Identity", WHERE):
            return "a name of the language"
        return ""

    def k_name(self, s: Syntax) -> Value:
        name = s.text
        if not s.sub and name in self.defs:
            return self.defined(name, s.pos)
        if s.sub:
            return self.component(name, int(s.sub), s.pos)
        try:
            check_name(name)
        except MatcalcError as err:
            raise self.located(err, s.pos) from None
        decl = self.decls.get(name)
        if decl is not None:
            return decl.node()
        if name in CONSTANTS:
            return O.num(CONSTANTS[name])
        dims = self.decls.dims()
        if name in dims:
            return O.num(dims[name])
        if name in self.decls.bound:
            return O.num(self.decls.bound[name])
        if name in ("eye", "Identity"):
            return Unsized("eye", O.num(1), s.pos)
        if name == "ones":
            return Unsized("ones", O.num(1), s.pos)
        if name in FUNCTIONS or name in SIZED:
            raise self.error(f"{name} is a function: write {name}(...)", s.pos)
        m = FAMILY.match(name)
        if m and self.decls.get(m.group(1) + m.group(2)) is not None:  # W_1 is the declared W1
            return self.decls.get(m.group(1) + m.group(2)).node()
        if m:
            return self.component(m.group(1), int(m.group(2)), s.pos, name)
        parts = re.findall(r"[A-Za-z]+[0-9]+", name)
        if len(parts) > 1 and "".join(parts) == name:  # x1x2: one name, not x1 times x2
            note = f"{name} is one name (a scalar); for a product write {' '.join(parts)}"
            if note not in self.notes:
                self.notes.append(note)
        return O.var(name)

    def k_call(self, s: Syntax) -> Value:
        out = self.read_call(s)
        if isinstance(out, Node) and _unsymmetric(out):
            self.unsymmetric.setdefault(out, s.pos)
        return out

    def refuse_unsymmetric(self, node: Node) -> None:
        """eig, λ_max, λ_min read of an operand not symmetric by structure (SPEC §7.2): a user
        error at its call, with the two fixes; sum(eig(X)) and prod(eig(X)) were rewritten."""
        bad = next((m for m in postorder([node]) if _unsymmetric(m)), None)
        if bad is None:
            return
        fn = OPS[bad.op].names[0]
        a = bad.args[0]
        text = repr(a)
        shown = text if a.is_variable else f"({text})"
        declare = (
            f"declare it symmetric (--let {text}:{','.join(str(d) for d in a.shape)},sym) or "
            if a.is_variable
            else ""
        )
        raise self.error(
            f"{fn} needs a symmetric matrix, and {quote(text)} is not symmetric by its form: "
            f"{declare}write {fn}(({text} + {shown}')/2) for its symmetric part",
            self.unsymmetric.get(bad, min(self.unsymmetric.values())),
        )

    def read_call(self, s: Syntax) -> Value:
        name = s.text
        if self.decls.get(name) is not None and name not in self.defs:  # --let Phi:N,M
            return self.shadowing_call(s)
        if name in AXES and self.decls.get(name) is None and name not in self.defs:
            out = self.axis_call(name, s)
            if out is not None:
                return out
        for a in s.args:
            if a.kind == "keyword":
                self.k_keyword(a)
        if name in SIZED:
            return self.sized_constant(name, s)
        if name in PAIRWISE and name not in FUNCTIONS and self.decls.get(name) is None:
            return self.pairwise(name, s)
        if name not in FUNCTIONS:
            named = self.decls.get(name) is not None or name in self.defs
            if len(s.args) == 1 and (s.spaced or named):
                head = self.k_name(Syntax("name", s.text, s.pos, (), s.sub))  # `t (x + 1)`
                return self.product(head, self.value(s.args[0]), s.pos, "juxt")
            hint = nearest(name, sorted(set(FUNCTIONS) | set(SIZED) | set(PAIRWISE)))
            more = f"; did you mean {meaning(hint)}?" if hint else ""
            if name in FAMILIAR:  # another library's name: how matcalc writes it
                more = f"; matcalc writes {FAMILIAR[name]}"
            if not more and len(s.args) == 1 and len(name) <= QUOTE_CHARS:
                more = f"; for a product write {name}*(...)"
            raise self.error(f"unknown function {quote(name)}{more}", s.pos)
        arity, builder = FUNCTIONS[name]
        allowed = arity if isinstance(arity, tuple) else (arity,)
        if arity is not None and len(s.args) not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise self.error(
                f"{name} takes {want} argument{'s' if allowed != (1,) else ''}, got {len(s.args)}",
                s.pos,
            )
        args = [self.node(a) for a in s.args]
        return self.at(s.pos, builder, *args)

    def shadowing_call(self, s: Syntax) -> Value:
        """`Phi(x + y)` with Phi declared: a declared name is that variable everywhere, also
        where a function has its name (docs/language.md), so this is a product."""
        if len(s.args) != 1 or s.args[0].kind == "keyword":
            raise self.error(
                f"{s.text} is a declared variable (--let), not a function here; "
                "for a product write it with * before the parenthesis",
                s.pos,
            )
        head = self.k_name(Syntax("name", s.text, s.pos, (), s.sub))
        return self.product(head, self.value(s.args[0]), s.pos, "juxt")

    def sized_constant(self, name: str, s: Syntax) -> Value:
        if name in ("vector", "matrix"):
            if len(s.args) != 1:
                raise self.error(f"{name}(c) takes one value", s.pos)
            c = self.node(s.args[0])
            if not c.is_scalar:
                raise self.error(f"{name}(c) takes a scalar c, got {shape_str(c.shape)}", s.pos)
            return Unsized("ones" if name == "vector" else "matrix", c, s.pos, name=f"{name}(c)")
        if name in ("OneMatrix", "ZeroMatrix") and len(s.args) != 2:  # SymPy's, sized (§7.8)
            raise self.error(f"{name}(n, m) takes two sizes, got {len(s.args)}", s.pos)
        name = {"OneMatrix": "ones", "ZeroMatrix": "zeros"}.get(name, name)
        if not s.args:
            if name == "zeros":
                return O.num(0)  # a zero of any size is the number 0
            return Unsized("eye" if name in ("eye", "Identity") else "ones", O.num(1), s.pos)
        dims = [self.dimension(a) for a in s.args]
        if name in ("eye", "Identity"):
            if len(dims) != 1:
                raise self.error(f"{name}(n) takes one size", s.pos)
            return O.eye(dims[0])
        if len(dims) > 2:
            raise self.error(f"{name}(n) or {name}(n, m)", s.pos)
        shape = norm_shape((dims[0], dims[1] if len(dims) == 2 else ONE))
        return O.zero(shape) if name == "zeros" else O.ones(shape)

    def dimension(self, s: Syntax) -> sp.Expr:
        v = canonical(self.node(s))
        # a whole number, a dimension, or one written as a slice's size prints it (n - 2)
        ok = (
            v.is_number
            and v.data.is_integer
            and v.data.is_positive is not False
            and v.data.subs({d: 10**6 for d in v.data.free_symbols}) > 0  # grows with the sizes
        )
        if not ok:
            raise self.error("a size is a positive whole number or a dimension name", s.pos)
        if v.data.is_Integer and int(v.data) > limits.MAX_DIM:
            raise LimitError(
                f"size {v.data} is over the limit {limits.MAX_DIM}",
                source=safe(self.text),
                pos=s.pos,
            )
        return v.data

    # ---------------------------------------------------------------- operators
    def k_neg(self, s: Syntax) -> Value:
        v = self.value(s.args[0])
        if isinstance(v, Unsized):
            return Unsized(v.kind, O.neg(v.value), v.pos, v.transposed, v.name)
        return self.at(s.pos, O.neg, v)

    def k_binop(self, s: Syntax) -> Value:
        """A left-deep chain a + b - c … (or a b c …) in a loop: one frame, not one per term."""
        s, spine = _spine(s, "binop")
        acc = self.value(s)
        for op in reversed(spine):
            acc = self.product(acc, self.value(op.args[1]), op.pos, op.text)
        return acc

    def product(self, a: Value, b: Value, pos: int, op: str) -> Value:
        a, b = self.fit(a, b, op, pos)
        if isinstance(a, Unsized) or isinstance(b, Unsized):
            return self.scaled(a, b, op, pos)
        if op in ("+", "-"):
            return self.at(pos, self.broadcast_add, a, b, op)
        if op in ("*", "juxt"):
            return self.at(
                pos, lambda: O.mul(a, b) if a.is_scalar or b.is_scalar else O.matmul(a, b)
            )
        if op == "@":
            if a.is_scalar or b.is_scalar:
                raise self.error("@ multiplies matrices or vectors; use * with a scalar", pos)
            if a.shape[1] == 1 and a.shape[0] != 1 and b.shape[0] != 1 and a.shape[0] == b.shape[0]:
                a = O.transpose(a)  # NumPy's 1-D vector on the left is a row: x @ A = xᵀA, x @ y
            return self.at(pos, O.matmul, a, b)
        if op == "/":
            if not b.is_scalar:
                raise self.error(
                    f"/ divides by a scalar, got {shape_str(b.shape)}; for entrywise division use ./",
                    pos,
                )
            return self.at(pos, O.div, a, b)
        if op in (".*", "⊙"):
            a, b = self.at(pos, broadcast_vector, a, b, op)
            return self.at(pos, O.emul, a, b)
        if op in ("./", "⊘"):
            a, b = self.at(pos, broadcast_vector, a, b, op)
            if not (a.is_scalar or b.is_scalar) and a.shape != b.shape:
                raise self.located(mismatch("entrywise division", a, b), pos)
            return self.at(pos, lambda: O.emul(a, O.pow_(b, O.num(-1))))
        if op == "⊗":
            return self.at(pos, O.kron, a, b)
        raise self.error(f"unknown operator {op!r}", pos)

    def broadcast_add(self, a: Node, b: Node, op: str) -> Node:
        if a.is_scalar != b.is_scalar:
            scalar = a if a.is_scalar else b
            if scalar.is_variable and len(scalar.data[0]) == 1 and scalar.data[0].isupper():
                self.note_capital(scalar.data[0])
            shape = b.shape if a.is_scalar else a.shape
            a, b = (O.broadcast(a, shape), b) if a.is_scalar else (a, O.broadcast(b, shape))
        a, b = broadcast_vector(a, b, op)
        return O.add(a, b) if op == "+" else O.sub(a, b)

    def note_capital(self, name: str) -> None:
        note = (
            f"{name} is not declared, so it is a scalar (added to every entry); "
            f"declare a matrix with --let {name}:n,n, or write eye for the identity"
        )
        if note not in self.notes:
            self.notes.append(note)

    def fit(self, a: Value, b: Value, op: str, pos: int) -> tuple[Value, Value]:
        """Give a context-sized constant the size its neighbour fixes."""
        ua, ub = isinstance(a, Unsized), isinstance(b, Unsized)
        if ua == ub:
            return a, b
        u, m = (a, b) if ua else (b, a)
        if m.is_scalar:
            return a, b
        try:
            if op in ("+", "-", ".*", "⊙", "./", "⊘"):
                sized = u.sized(m.shape)
            elif op in ("*", "juxt", "@"):
                sized = self.sized_for_product(u, m, left=ua)
            else:
                raise MatcalcError(f"the size of {u.label} is not fixed by {op}")
        except MatcalcError as err:
            raise self.located(err, pos) from None
        return (sized, b) if ua else (a, sized)

    def sized_for_product(self, u: Unsized, m: Node, left: bool) -> Node:
        rows, cols = m.shape
        if u.kind == "eye":
            return u.sized((rows, rows) if left else (cols, cols))
        if u.kind == "ones" and u.transposed and left:
            return u.times(O.ones((ONE, rows)))
        if u.kind == "ones" and not u.transposed and not left:
            return u.times(O.ones((cols, ONE)))
        raise MatcalcError(
            f"the size of {u.label} is not fixed in this product; give it, e.g. ones(n)"
        )

    def scaled(self, a: Value, b: Value, op: str, pos: int) -> Value:
        """A scalar times a context-sized constant is still one (2 eye, eye/2), and so is a sum
        of two of one kind (λ𝐈 − 𝐈, a 𝟏 + b 𝟏/n): a later neighbour fixes the size."""
        if isinstance(a, Unsized) and isinstance(b, Unsized) and op in ("+", "-"):
            if (a.kind, a.transposed) == (b.kind, b.transposed):
                value = O.add(a.value, b.value) if op == "+" else O.sub(a.value, b.value)
                return Unsized(a.kind, value, a.pos, a.transposed, a.name)
        u, m = (a, b) if isinstance(a, Unsized) else (b, a)
        if isinstance(m, Node) and m.is_scalar and op in ("*", "juxt", ".*", "⊙"):
            return Unsized(u.kind, O.mul(m, u.value), u.pos, u.transposed, u.name)
        if isinstance(m, Node) and m.is_scalar and op == "/" and u is a:
            return Unsized(u.kind, O.div(u.value, m), u.pos, u.transposed, u.name)
        raise self.error(
            f"the size of {u.label} is not fixed by the expression; give it one, e.g. eye(n) or ones(n)",
            u.pos,
        )

    def k_pow(self, s: Syntax) -> Value:
        base = self.node(s.args[0])
        if s.text == "^":
            paper = self.paper_transpose(s.args[1])
            if paper == "T":  # `x^T`, `x^{T}` as papers write xᵀ (SPEC §7.8); of a scalar, t
                return O.transpose(base)
            if paper == "-T":  # `X^{-T}`; of a scalar, 1/t
                return self.at(
                    s.pos,
                    lambda: O.pow_(base, O.num(-1)) if base.is_scalar else O.inv(O.transpose(base)),
                )
        e = self.node(s.args[1])
        if s.text == ".^":
            return self.at(s.pos, self.entrywise_power, base, e)
        return self.at(s.pos, self.power, base, e, s.pos)

    def paper_transpose(self, e: Syntax) -> str:
        """ "T" or "-T" when an exponent is a paper's transpose: the letter T, not a declared
        variable, dimension or bound size (then `^T` is a power, as before); else ""."""
        while e.kind == "paren":
            e = e.args[0]
        sign = ""
        if e.kind == "neg":
            sign, e = "-", e.args[0]
            while e.kind == "paren":
                e = e.args[0]
        if e.kind != "name" or e.text != "T" or e.sub:
            return ""
        if self.decls.get("T") is not None or "T" in self.decls.dims() or "T" in self.decls.bound:
            return ""
        return sign + "T"

    def entrywise_power(self, base: Node, e: Node) -> Node:
        self.check_exponent(e)
        return O.pow_(base, e)

    def check_exponent(self, e: Node) -> None:
        e = canonical(e)
        if e.is_number and e.data.is_Number and abs(e.data) > limits.MAX_POWER:
            raise LimitError(f"exponent {e.data} is over the limit {limits.MAX_POWER}")

    def power(self, base: Node, e: Node, pos: int) -> Node:
        """`**`: a scalar power, or an integer power of a square matrix."""
        self.check_exponent(e)
        if not e.is_scalar:
            raise MatcalcError("an exponent must be a scalar; for entrywise powers use .^")
        if base.is_scalar:
            return O.pow_(base, e)
        if not base.is_square:
            raise MatcalcError(
                f"** needs a scalar or a square matrix, got {shape_str(base.shape)}; "
                "for an entrywise power use .^"
            )
        k = canonical(e)
        # X^k, X^(k - 1): an undeclared name in the exponent is a positive integer, as a size is
        symbolic = O.integer_exponent(k, lambda name: self.decls.get(name) is None)
        if symbolic is not None and symbolic.data.free_symbols:
            return O.matpowk(base, symbolic)  # SPEC §7.2: Xᵏ with a symbolic integer k
        if not (k.is_number and k.data.is_Integer):
            raise MatcalcError(
                "a matrix power needs a constant integer exponent, or an integer one of names "
                "(k, k - 1, 2k: each name a positive integer); for entrywise powers use .^"
            )
        if abs(k.data) > limits.MAX_MATPOW:
            raise LimitError(f"matrix exponent over the limit {limits.MAX_MATPOW}")
        return O.matpow(base, int(k.data))

    def k_postfix(self, s: Syntax) -> Value:
        """x′′′…: a chain of postfix operators in a loop, not one frame each."""
        s, spine = _spine(s, "postfix")
        v = self.value(s)
        for op in reversed(spine):
            v = self.postfix(op, v)
        return v

    def postfix(self, s: Syntax, v: Value) -> Value:
        entrywise = s.text.startswith("⊙")
        op = superscript_value(s.text.lstrip("⊙"))
        if isinstance(v, Unsized):
            if op == "T":
                return Unsized(v.kind, v.value, v.pos, not v.transposed, v.name)
            raise self.error(f"the size of {v.label} is not fixed by the expression", v.pos)
        if op == "T" and not entrywise:
            return O.transpose(v)
        if op == "-T" and not entrywise:
            return self.at(
                s.pos, lambda: O.pow_(v, O.num(-1)) if v.is_scalar else O.inv(O.transpose(v))
            )
        if not re.fullmatch(r"-?[0-9]+", op):
            raise self.error(f"cannot read the superscript {s.text!r}", s.pos)
        if len(op.lstrip("-")) > limits.MAX_INT_DIGITS:
            raise LimitError(
                f"exponent has more than {limits.MAX_INT_DIGITS} digits",
                source=safe(self.text),
                pos=s.pos,
            )
        k = O.num(int(op))
        self.at(s.pos, self.check_exponent, k)
        if entrywise or v.is_scalar:
            return self.at(s.pos, O.pow_, v, k)
        if not v.is_square:
            raise self.error(
                f"a power of a {shape_str(v.shape)} is entrywise: write ⊙{s.text} or .^{op}", s.pos
            )
        return self.at(s.pos, self.power, v, k, s.pos)

    def k_list(self, s: Syntax) -> Value:
        if s.text == "column":
            rows = [[self.node(a)] for a in s.args]
        else:
            rows = [[self.node(a) for a in r.args] for r in s.args]
        count = sum(len(r) for r in rows)
        if count > limits.MAX_ENTRIES:
            raise LimitError("literal has too many entries", source=safe(self.text), pos=s.pos)
        return self.at(s.pos, O.lit, rows)

    def k_abs(self, s: Syntax) -> Value:
        return self.at(s.pos, O.apply, "abs", self.node(s.args[0]))

    def k_norm(self, s: Syntax) -> Value:
        a = self.node(s.args[0])
        return self.at(s.pos, O.norm1 if s.sub == "1" else O.norm2, a)


def _unsymmetric(n: Node) -> bool:
    """An eigenvalue function of an operand not symmetric by structure (its entry's flag)."""
    return OPS[n.op].needs_symmetric and not O.symmetric(n.args[0])


class _Calls(frozenset):
    """The names that are calls even when written `f (x)`: the language's functions (a live
    view of the registry, which a late import may still extend). A declared name among them is
    read as its variable all the same (`Builder.shadowing_call`)."""

    def __contains__(self, name: object) -> bool:
        return name in FUNCTIONS or name in SIZED or name in PAIRWISE or name in AXES


CALLS = _Calls()


@dataclass
class Parsed:
    """An expression with what reading it found: the indexed families and the notes."""

    node: Node
    family: dict[tuple[str, int], Node]
    notes: list[str]
    syntax: Syntax
    where: list[tuple[str, Node]] = field(default_factory=list)  # the user's names (§7.3)


def read_input(text: str, kind: str, decls: Decls | None) -> str:
    """The expression as the language reads it: `--input latex` is translated first."""
    if kind == "text":
        return text
    if kind != "latex":
        raise MatcalcError(f"unknown --input {kind!r}; choose text or latex")
    from .syntax.latex import latex_to_text

    names = set(FUNCTIONS) | set(SIZED) | set(CONSTANTS)
    if decls is not None:
        names |= set(decls.items) | set(decls.dims())
    if WHERE in text:  # `\text{where } Kxx = …`: a where name is one name, not K x x
        names |= set(re.findall(r"(?<![\\A-Za-z])([A-Za-z][A-Za-z0-9]*)\s*=", text))
    return latex_to_text(text, names, latex_commands())


def parse(text: str, decls: Decls | None = None, raw: bool = False) -> Parsed:
    """Read one expression (SPEC §2) into a checked expression tree.

    With raw=True the tree is exactly what the user wrote, no rewrite applied: the reference
    that `--check` and the rewrite tests evaluate."""
    relocate = getattr(text, "relocate", None)  # text read from LaTeX: errors point into it
    if relocate is None:
        return _parse(text, decls, raw)
    try:
        return _parse(text, decls, raw)
    except MatcalcError as err:
        raise relocate(err) from None


def _parse(text: str, decls: Decls | None, raw: bool) -> Parsed:
    syntax = parse_syntax(text, CALLS)
    b = Builder(text, decls or Decls())
    if raw:
        with raw_mode():
            node = b.node(syntax)
    else:
        node = b.node(syntax)
        if b.unsymmetric:
            b.refuse_unsymmetric(node)
    return Parsed(node, b.family, b.notes, syntax, b.where_names())


def parse_expr(text: str, decls: Decls | None = None) -> Node:  # safe: matcalc's own parser
    return parse(text, decls).node


def meaning(hint: str) -> str:
    """A suggested function, with what it means when a like-named one means something else:
    `exp (entry by entry) or expm (the matrix function)`, never a bare `exp` (SPEC §7.2)."""
    from .expr.registry import OPS

    op = OPS.get(hint)
    if op is None or not op.entrywise:
        return hint
    matrix = OPS.get(hint + "m")
    if matrix is not None and not matrix.entrywise:
        return f"{hint} (entry by entry) or {hint}m (the matrix function)"
    return f"{hint} (entry by entry)"
