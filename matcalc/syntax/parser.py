"""Tokens → a plain syntax tree, by recursive descent (never eval). Names are not resolved here:
reader.py gives the tree its meaning, with the declarations and the operator registry.

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/' | '@' | '.*' | './' | '⊙' | '⊘' | '⊗' | juxtaposition) unary)*
    unary   := ('-' | '+') unary | power
    power   := postfix (('**' | '^' | '.^') unary)?
    postfix := atom ('.T' | "'" | superscript | '⊙' superscript)*
    atom    := number | name | name '(' args ')' | name '[' index ']' | '(' expr ')'
    args    := arg (',' arg)*        arg := expr | ('axis' | 'dim') '=' expr
             | '[' items ']' | '|' expr '|' | '‖' expr '‖' ['₁'] | '𝟏' | '𝐈'
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import limits
from ..errors import LimitError, MatcalcError
from .lexer import KEYWORDS, WHERE, Token, safe, tokenize


@dataclass(frozen=True)
class Syntax:
    """One node of the syntax tree: `kind` (num, name, call, index, range, binop, neg, postfix,
    pow, paren, list, abs, norm, const; where, define; keyword: a call's `axis=…`, its text the
    keyword), its text, its column, and its operands."""

    kind: str
    text: str
    pos: int
    args: tuple[Syntax, ...] = ()
    sub: str = ""  # a name's subscript digits (x₁), or ‖…‖₁'s "1"
    spaced: bool = False  # a call written `f (x)`, with a space: for a variable, a product


_STARTS = {"num", "name", "const"}
_OPENERS = {"(", "["}
_BINARY = {"*", "/", "@", ".*", "./", "⊙", "⊘", "⊗"}


class Parser:
    def __init__(self, text: str, functions: frozenset[str] = frozenset()):
        self.text = text
        self.functions = functions  # names that are calls even when written `f (x)`
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.open: list[str] = []  # open |…| and ‖…‖ groups: the same bar may close one
        self.not_norm: set[int] = set()  # `||` tried as a norm that was not one

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def error(self, message: str, pos: int | None = None) -> MatcalcError:
        return MatcalcError(
            message, source=safe(self.text), pos=self.tok.pos if pos is None else pos
        )

    def at(self, *texts: str) -> bool:
        return self.tok.kind in ("op", "eop", "tr") and self.tok.text in texts

    def take(self, *texts: str) -> Token | None:
        if self.at(*texts):
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
                f"nesting deeper than {limits.MAX_DEPTH}", source=safe(self.text), pos=self.tok.pos
            )

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar
    def parse(self) -> Syntax:
        if self.tok.kind == "end":
            raise self.error("empty expression")
        node = self.expr()
        if self.at(",") and self._at_where(1):  # `…, where K = …`, as a paper punctuates it
            self.i += 1
        if self._at_where():
            node = self.where(node)
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self._what(self.tok)}")
        return node

    def _at_where(self, ahead: int = 0) -> bool:
        """The keyword `where` followed by `NAME =` (`ahead` tokens on): a where clause, not a
        product by a variable named where."""
        t, name, eq = self.peek(ahead), self.peek(ahead + 1), self.peek(ahead + 2)
        return (
            t.kind == "name"
            and t.text == WHERE
            and not t.sub
            and name.kind == "name"
            and eq.kind == "op"
            and eq.text == "="
        )

    def where(self, body: Syntax) -> Syntax:
        """`EXPR where K = EXPR, α = EXPR, …` (SPEC §7.3): `where` with the body first, then one
        `define` per name (its text the name, its operand the definition), in the order written."""
        keyword = self.tok
        self.i += 1
        defs = []
        while True:
            t = self.tok
            if t.kind != "name" or self.peek().text != "=":
                raise self.error("where takes definitions NAME = EXPR, separated by commas")
            self.i += 2
            if self.tok.kind == "end" or self.at(","):
                raise self.error(f"the definition of {t.text} is empty")
            defs.append(Syntax("define", t.text, t.pos, (self.expr(),), t.sub))
            if not self.take(","):
                return Syntax("where", WHERE, keyword.pos, (body, *defs))

    @staticmethod
    def _what(t: Token) -> str:
        """A token as an error names it: a brace outside `^{…}` is a character the language
        does not have (as before braces were read at all)."""
        return f"character {t.text!r}" if t.text in ("{", "}", "=") else repr(t.text)

    def expr(self) -> Syntax:
        node = self.term()
        while self.at("+", "-"):
            op = self.tok
            self.i += 1
            node = Syntax("binop", op.text, op.pos, (node, self.term()))
        return node

    def _starts_atom(self) -> bool:
        t = self.tok
        if self._at_where():
            return False
        if t.kind == "name" and t.text == WHERE and not t.sub:  # `x'*x where`, `… where a`
            raise self.error("where takes definitions NAME = EXPR, separated by commas")
        if t.kind in _STARTS:
            return True
        if t.kind == "op" and t.text in ("|", "‖"):
            if not self.open or self.open[-1] != t.text:
                return True
            nxt = self.peek()  # after an operand inside |…|, a bar closes, unless written ` |b`
            starts = nxt.kind in _STARTS or (nxt.kind == "op" and nxt.text in _OPENERS | {"|", "‖"})
            return t.space_before and not nxt.space_before and starts
        return t.kind == "op" and t.text in _OPENERS

    def term(self) -> Syntax:
        node = self.unary()
        while True:
            if self.at(*_BINARY):
                op = self.tok
                self.i += 1
                node = Syntax("binop", op.text, op.pos, (node, self.unary()))
            elif self._starts_atom():
                if self.tok.kind == "num" and _ends_in_number(node):  # `1 000`, `2 3`: refused
                    raise self.error(
                        "two numbers side by side: write * between them (or no space in 1000)"
                    )
                node = Syntax("binop", "juxt", self.tok.pos, (node, self.unary()))
            else:
                return node

    def unary(self) -> Syntax:
        if self.at("-", "+"):
            op = self.tok
            self.i += 1
            self.enter()
            operand = self.unary()
            self.leave()
            return operand if op.text == "+" else Syntax("neg", "-", op.pos, (operand,))
        return self.power()

    def power(self) -> Syntax:
        base = self.postfix()
        op = self.take("**", "^", ".^")
        if op is None:
            return base
        self.enter()
        if op.text != ".^" and self.at("{"):  # `X^{-1}`, `x^{T}`: a paper's braced exponent
            brace = self.expect("{")
            exponent = Syntax("paren", "{", brace.pos, (self.expr(),))
            self.expect("}", brace)
        else:
            exponent = self.unary()
        self.leave()
        return Syntax("pow", op.text, op.pos, (base, exponent))

    def postfix(self) -> Syntax:
        node = self.atom()
        while True:
            t = self.tok
            if t.kind == "tr" or self.at("'"):
                self.i += 1
                node = Syntax("postfix", "T", t.pos, (node,))
            elif t.kind in ("sup", "esup"):
                self.i += 1
                for part in _superscripts(t.text):
                    node = Syntax("postfix", part, t.pos, (node,))
            elif (
                self.at("[")
                and not t.space_before
                and (
                    node.kind in ("call", "index", "postfix", "paren")
                    or (node.kind == "const" and node.sub)  # 𝐈ₘ[2:m,1:m], as printed
                )
            ):
                node = self.index(t, node)
            else:
                return node

    def atom(self) -> Syntax:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            return Syntax("num", t.text, t.pos)
        if t.kind == "name":
            self.i += 1
            return self.name(t)
        if t.kind == "const":
            self.i += 1
            return Syntax("const", t.text, t.pos, (), t.sub)
        if self.at("("):
            self.i += 1
            self.enter()
            node = self.expr()
            self.expect(")", t)
            self.leave()
            return Syntax("paren", "(", t.pos, (node,))
        if self.at("["):
            return self.bracket()
        if self.at("|") and self._double_bar() and self.i not in self.not_norm:
            start, depth, opened = self.i, self.depth, list(self.open)
            try:
                node = self.delimited("|", "norm", double=True)
            except LimitError:
                raise
            except MatcalcError:  # `||t| + |u||`: |…| inside |…|, as before
                self.i, self.depth, self.open = start, depth, opened
                self.not_norm.add(start)  # tried once: the retries stay linear
            else:
                return self.norm_subscript(node)
        if self.at("|"):
            return self.delimited("|", "abs")
        if self.at("‖"):
            return self.delimited("‖", "norm")
        if t.kind == "end":
            raise self.error("expression ends too early")
        if t.kind == "subs":
            raise self.error(f"a subscript {t.text!r} needs a name before it")
        if t.kind == "sup" or t.kind == "esup":
            raise self.error(f"a superscript {t.text!r} needs something before it")
        raise self.error(f"unexpected {self._what(t)}")

    def _double_bar(self) -> bool:
        """`||` written without a space between the bars: a paper's norm ‖…‖ (SPEC §7.8)."""
        nxt = self.peek()
        return nxt.kind == "op" and nxt.text == "|" and nxt.pos == self.tok.pos + 1

    def delimited(self, bar: str, kind: str, double: bool = False) -> Syntax:
        opener = self.expect(bar)
        if double:
            self.expect(bar)
            self.enter()  # two bars, two levels: `|` * 200 is as deep as before
        self.enter()
        self.open.append(bar)
        node = self.expr()
        self.open.pop()
        closer = self.expect(bar, opener)
        if double and not (self.at(bar) and self.tok.pos == closer.pos + 1):
            raise self.error(f"expected '||' to close '||' at column {opener.pos + 1}")
        if double:
            self.i += 1
            self.leave()
        self.leave()
        node = Syntax(kind, bar, opener.pos, (node,))
        return node if double or kind != "norm" else self.norm_subscript(node)

    def norm_subscript(self, node: Syntax) -> Syntax:
        """`‖x‖₁`, `||x||_1` (norm1); `_2`, `₂`, `_F` (norm2, the Euclidean or Frobenius norm)."""
        sub = ""
        t = self.tok
        ascii_sub = t.kind == "name" and t.text.startswith("_") and not t.sub
        if (t.kind == "subs" or ascii_sub) and not t.space_before:
            sub = t.text.lstrip("_")
            self.i += 1
            if sub not in ("1", "2", "F"):
                raise self.error(
                    f"‖x‖ takes the subscript 1 (norm1), 2 or F (norm2), not {sub}", t.pos
                )
        return Syntax(node.kind, node.text, node.pos, node.args, "1" if sub == "1" else "")

    def name(self, t: Token) -> Syntax:
        if self.at("("):
            spaced = self.tok.space_before
            if t.glyph == "σ" and not spaced:  # σ(x) is sigmoid; σ (x) the variable sigma times x
                return self.call(Token(t.kind, "sigmoid", t.pos, t.sub, t.space_before))
            if not spaced or (t.text in self.functions and not t.glyph):
                return self.call(t)
        if self.at("[") and not self.tok.space_before:
            return self.index(t, None)
        if self.at("|") and t.text in self.functions and not t.glyph and not self.open:
            arg = self.delimited("|", "abs")  # `ln|det(X)|`: the function of the absolute value
            return Syntax("call", t.text, t.pos, (arg,), t.sub)
        return Syntax("name", t.text, t.pos, (), t.sub)

    def call(self, t: Token) -> Syntax:
        opener = self.expect("(")
        self.enter()
        args = [] if self.at(")") else self.arguments()
        self.expect(")", opener)
        self.leave()
        return Syntax("call", t.text, t.pos, tuple(args), t.sub, opener.space_before)

    def index(self, t: Token, base: Syntax | None) -> Syntax:
        """`x[2]`, `A[1,2]`, `x[2:n]`, `(B x)[1]`: entries, 1-based, inclusive ranges."""
        opener = self.expect("[")
        idx = []
        while True:
            idx.append(self.bound())
            if not self.take(","):
                break
        self.expect("]", opener)
        if len(idx) > 2:
            raise self.error("an index has one or two parts", opener.pos)
        if base is None:
            return Syntax("index", t.text, t.pos, tuple(idx), t.sub)
        return Syntax("index", "", opener.pos, (base, *idx))

    def bound(self) -> Syntax:
        """One index part: k, or lo:hi, of whole numbers or dimension names, each maybe plus
        or minus more of them (`x[2:n]`, `x[1:n-1]`)."""
        parts = []
        for _ in range(2):
            part = self.bound_term()
            while self.tok.kind == "op" and self.tok.text in ("+", "-"):  # a loop: no nesting
                op = self.tok
                self.i += 1
                part = Syntax("binop", op.text, op.pos, (part, self.bound_term()))
            parts.append(part)
            if not (self.tok.kind == "op" and self.tok.text == ":"):
                break
            self.i += 1
        if len(parts) == 1:
            return parts[0]
        return Syntax("range", ":", parts[0].pos, tuple(parts))

    def bound_term(self) -> Syntax:
        k = self.tok
        if not (k.kind == "num" and k.text.isdigit() and len(k.text) <= 6) and k.kind != "name":
            raise self.error("an index x[k] or A[i,j] takes whole numbers (or ranges i:j)")
        self.i += 1
        return Syntax("num" if k.kind == "num" else "name", k.text, k.pos)

    def bracket(self) -> Syntax:
        opener = self.expect("[")
        self.enter()
        start = self.i
        node = None
        if self.at("["):
            try:
                rows = [self.row()]
                while self.take(","):
                    rows.append(self.row())
                if self.at("]"):
                    node = Syntax("list", "grid", opener.pos, tuple(rows))
            except MatcalcError:
                node = None
            if node is None:  # `[[a, b]ᵀ x, c]`: a column whose first entry starts with a literal
                self.i = start
        if node is None:
            node = Syntax("list", "column", opener.pos, tuple(self.items()))
        self.expect("]", opener)
        self.leave()
        return node

    def row(self) -> Syntax:
        opener = self.expect("[")
        self.enter()
        items = self.items()
        self.expect("]", opener)
        self.leave()
        return Syntax("list", "row", opener.pos, tuple(items))

    def arguments(self) -> list[Syntax]:
        """A call's arguments: expressions, and keywords `axis=…`, `dim=…` (the lexer makes `=`
        a token only there); reader.py says which functions take them. One loop, no helper
        method: each nesting level of f(g(…)) costs as few stack frames as `items` does."""
        out = []
        while True:
            t, eq = self.tok, self.peek()
            if t.kind == "name" and eq.kind == "op" and eq.text == "=" and t.text in KEYWORDS:
                self.i += 2
                if self.tok.kind == "end" or self.at(",", ")"):
                    raise self.error(f"{t.text}= needs a value, e.g. {t.text}=1")
                out.append(Syntax("keyword", t.text, t.pos, (self.expr(),)))
            else:
                out.append(self.expr())
            if not self.take(","):
                return out

    def items(self) -> list[Syntax]:
        out = [self.expr()]
        while self.take(","):
            out.append(self.expr())
        return out


def _ends_in_number(n: Syntax) -> bool:
    """Whether the operand ends with a number literal written as such (`2`, `3 x 2`)."""
    while n.kind == "binop" and n.text == "juxt":
        n = n.args[1]
    return n.kind == "num"


def _superscripts(sup: str) -> list[str]:
    """A run of superscripts as postfix operators: `ᵀ`, `⁻ᵀ`, `⁻¹`, `²`; `ᵀᵀ` is two."""
    out, i = [], 0
    body = sup[1:] if sup.startswith("⊙") else sup
    while i < len(body):
        j = i + 1
        if body[i] == "⁻":
            j = i + 2 if i + 1 < len(body) and body[i + 1] == "ᵀ" else i + 1
        if body[i] != "ᵀ" and not (body[i] == "⁻" and j == i + 2):
            while j < len(body) and body[j] not in "ᵀ⁻":
                j += 1
        out.append(("⊙" if sup.startswith("⊙") else "") + body[i:j])
        i = j
    return out


def parse_syntax(text: str, functions: frozenset[str] = frozenset()) -> Syntax:
    """Parse one expression of the language of SPEC §2 into its syntax tree; `functions` are
    the names that are calls even when a space comes before the parenthesis."""
    return Parser(text, functions).parse()
