"""Text → expression tree, by our own tokenizer and recursive-descent parser (no eval, ever).

Limits (docs/limits.md) are checked before anything is built: input length, characters,
token count, nesting depth, literal sizes, and the size of constants folded from numbers.
Every error carries the column of the offending character.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy as sp

from . import expr as E
from . import limits
from .errors import LimitError, MatcalcError
from .expr import Node, scalar_symbol
from .functions import CONSTANTS, FUNCTIONS
from .shapes import Decls, check_name

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<tr>\.T(?![A-Za-z0-9_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^@()\[\],'])
    """,
    re.VERBOSE,
)
_FAMILY = re.compile(r"([A-Za-z][A-Za-z_]*?)_?([0-9]+)\Z")


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, tr, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split the input; any character outside the language is an error at its column."""
    if len(text) > limits.MAX_INPUT_CHARS:
        raise LimitError(
            f"expression is {len(text)} characters, over the limit {limits.MAX_INPUT_CHARS}"
        )
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            what = repr(ch) if ch.isprintable() and ch.isascii() else f"U+{ord(ch):04X}"
            raise MatcalcError(f"unexpected character {what}", source=_safe(text), pos=pos)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Token(kind, m.group(), pos))
            if len(out) > limits.MAX_NODES:
                raise LimitError(f"expression has more than {limits.MAX_NODES} tokens")
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


def _safe(text: str) -> str:
    """The input as it may be echoed: control and non-ASCII characters replaced by '?'."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


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


class Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'@') unary)* ;
    unary := ('-'|'+') unary | power ; power := postfix (('**'|'^') unary)? ;
    postfix := atom ('.T' | "'")* ; atom := number | name | name(args) | name[int] | (expr) | [..]"""

    def __init__(self, text: str, decls: Decls | None = None):
        self.text = text
        self.decls = decls or Decls()
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.family: dict[tuple[str, int], sp.Symbol] = {}

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, pos: int | None = None) -> MatcalcError:
        return MatcalcError(
            message, source=_safe(self.text), pos=self.tok.pos if pos is None else pos
        )

    def take(self, text: str) -> Token | None:
        if self.tok.text == text and self.tok.kind in ("op", "tr"):
            t = self.tok
            self.i += 1
            return t
        return None

    def expect(self, text: str, opener: Token | None = None) -> Token:
        t = self.take(text)
        if t is None:
            found = "end of input" if self.tok.kind == "end" else repr(self.tok.text)
            hint = f" to close {opener.text!r} at column {opener.pos + 1}" if opener else ""
            raise self.error(f"expected {text!r}{hint}, found {found}")
        return t

    def enter(self) -> None:
        self.depth += 1
        if self.depth > limits.MAX_DEPTH:
            raise LimitError(
                f"nesting deeper than {limits.MAX_DEPTH}", source=_safe(self.text), pos=self.tok.pos
            )

    def build(self, pos: int, fn, *args):
        """Call a constructor, locating any shape or limit error at the operator."""
        try:
            return fn(*args)
        except MatcalcError as err:
            raise err.located(_safe(self.text), pos) from None

    # -- grammar
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("empty expression")
        node = self.expr()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.tok.text in ("+", "-") and self.tok.kind == "op":
            op = self.tok
            self.i += 1
            rhs = self.term()
            node = self.build(op.pos, E.add if op.text == "+" else E.sub, node, rhs)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.text in ("*", "/", "@") and self.tok.kind == "op":
            op = self.tok
            self.i += 1
            rhs = self.unary()
            fn = E.div if op.text == "/" else E.times
            if op.text == "@" and (node.is_scalar or rhs.is_scalar):
                raise self.error("@ multiplies matrices or vectors; use * with a scalar", op.pos)
            node = self.build(op.pos, fn, node, rhs)
        return node

    def unary(self) -> Node:
        if self.tok.text in ("-", "+") and self.tok.kind == "op":
            op = self.tok
            self.i += 1
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return operand if op.text == "+" else self.build(op.pos, E.neg, operand)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        op = self.take("**") or self.take("^")
        if op is None:
            return base
        self.enter()
        exponent = self.unary()
        self.depth -= 1
        return self.build(op.pos, _power, base, exponent)

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            op = self.take(".T") or self.take("'")
            if op is None:
                return node
            node = E.transpose(node)

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            try:
                return E.scalar(number(t.text))
            except MatcalcError as err:
                raise err.located(_safe(self.text), t.pos) from None
        if t.kind == "name":
            self.i += 1
            return self.name(t)
        if t.text == "(":
            self.i += 1
            self.enter()
            node = self.expr()
            self.expect(")", t)
            self.depth -= 1
            return node
        if t.text == "[":
            return self.bracket()
        if t.kind == "end":
            raise self.error("expression ends too early")
        raise self.error(f"unexpected {t.text!r}")

    def name(self, t: Token) -> Node:
        name = t.text
        try:
            check_name(name)
        except MatcalcError as err:
            raise err.located(_safe(self.text), t.pos) from None
        if self.tok.text == "(" and self.tok.kind == "op":
            return self.call(t)
        if name in FUNCTIONS:
            raise self.error(f"{name} is a function: write {name}(...)", t.pos)
        if self.tok.text == "[" and self.decls.get(name) is None:
            return self.indexed(t)
        decl = self.decls.get(name)
        if decl is not None:
            return decl.node()
        if name in CONSTANTS:
            return E.scalar(CONSTANTS[name])
        if name in self.decls.dims():
            raise self.error(f"{name} is a dimension, not a value", t.pos)
        return E.scalar(self.component(name))

    def component(self, name: str, index: int | None = None) -> sp.Symbol:
        """A scalar name; x1, x_1 and x[1] are one component of the family x."""
        m = _FAMILY.match(name) if index is None else None
        key = (m.group(1), int(m.group(2))) if m else (name, index) if index is not None else None
        if key is None:
            return scalar_symbol(name)
        if key not in self.family:
            self.family[key] = scalar_symbol(name if index is None else f"{name}_{index}")
        return self.family[key]

    def indexed(self, t: Token) -> Node:
        self.expect("[")
        idx = self.tok
        if idx.kind != "num" or not idx.text.isdigit() or len(idx.text) > 6:
            raise self.error("an index x[k] takes a whole number k")
        self.i += 1
        self.expect("]")
        return E.scalar(self.component(t.text, int(idx.text)))

    def call(self, t: Token) -> Node:
        if t.text not in FUNCTIONS:
            raise self.error(f"unknown function {t.text!r}", t.pos)
        arity, fn = FUNCTIONS[t.text]
        opener = self.expect("(")
        self.enter()
        args = [self.expr()]
        while self.take(","):
            args.append(self.expr())
        self.expect(")", opener)
        self.depth -= 1
        if len(args) != arity:
            plural = "s" if arity > 1 else ""
            raise self.error(f"{t.text} takes {arity} argument{plural}, got {len(args)}", t.pos)
        return self.build(t.pos, fn, *args)

    def bracket(self) -> Node:
        opener = self.expect("[")
        self.enter()
        if self.tok.text == "[" and self.tok.kind == "op":
            rows = [self.row()]
            while self.take(","):
                rows.append(self.row())
        else:
            rows = [[e] for e in self.items()]
        self.expect("]", opener)
        self.depth -= 1
        if len(rows) * len(rows[0]) > limits.MAX_ENTRIES:
            raise LimitError(
                "literal has too many entries", source=_safe(self.text), pos=opener.pos
            )
        return self.build(opener.pos, E.literal, rows)

    def row(self) -> list[Node]:
        opener = self.expect("[")
        self.enter()
        items = self.items()
        self.expect("]", opener)
        self.depth -= 1
        return items

    def items(self) -> list[Node]:
        out = [self.expr()]
        while self.take(","):
            out.append(self.expr())
        return out


def _power(base: Node, exponent: Node) -> Node:
    """`**`: scalar power with bounded constants, or integer power of a square matrix."""
    if exponent.op == "scalar" and exponent.data.is_Number:
        p = exponent.data
        if abs(p) > limits.MAX_POWER:
            raise LimitError(f"exponent {p} is over the limit {limits.MAX_POWER}")
        if base.op == "scalar" and base.data.is_Number and base.data != 0:
            digits = abs(math.log10(abs(float(base.data)))) * abs(float(p))
            if digits > limits.MAX_CONST_DIGITS:
                raise LimitError(f"constant {base.data}**{p} is too large to compute")
    if base.is_scalar:
        return E.pow_(base, exponent)
    if not E.is_square(base):
        raise MatcalcError(f"** needs a scalar or a square matrix, got {E.shape_str(base.shape)}")
    if not (exponent.op == "scalar" and exponent.data.is_Integer):
        raise MatcalcError("a matrix power needs a constant integer exponent")
    if abs(exponent.data) > limits.MAX_MATPOW:
        raise LimitError(f"matrix exponent over the limit {limits.MAX_MATPOW}")
    return E.matpow(base, int(exponent.data))


def parse(text: str, decls: Decls | None = None) -> Node:
    """Parse one expression of the language of SPEC §2 into a checked expression tree."""
    return Parser(text, decls).parse()


def parse_family(
    text: str, decls: Decls | None = None
) -> tuple[Node, dict[tuple[str, int], sp.Symbol]]:
    """Parse, and also return the indexed components (x1, x_2, x[3]) seen, by (base, index)."""
    p = Parser(text, decls)
    node = p.parse()
    return node, p.family
