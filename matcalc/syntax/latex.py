"""`--input latex`: LaTeX → the expression language, then the ordinary parser.

Reads at least everything `--format latex` writes (\\frac, \\left( \\right), ^{\\top}, ^{-1},
^{-\\top}, ^{\\circ k}, \\odot, \\otimes, \\operatorname{tr}, \\log\\det, \\sigma, \\lVert \\rVert,
\\sqrt, subscripts, Greek letters, \\mathbf{1}, \\mathbf{I}, bmatrix) and the common spellings of
a paper (\\|x\\|, \\cdot, \\top, \\intercal, T or \\mathsf{T} as a superscript, \\mathrm{tr},
\\bm{x}, \\boldsymbol{\\mu}, \\dfrac, \\tfrac, \\log|\\det X|). A run of letters is one name
when it is a declared name or a function; otherwise each letter is a factor (`Ax` is A x).
Nothing is evaluated: the result is text that the parser reads like any other input.
The functions' bare commands (\\sin, \\det, \\ln, …) are not listed here: the caller passes them
in, a view of the registry's entries (`expr.registry.latex_commands`).
"""

from __future__ import annotations

import re

from .. import limits
from ..errors import LimitError, MatcalcError
from .names import GREEK

_BOUND = r"[0-9A-Za-z]+(?:[+-][0-9A-Za-z]+)*"
_PART = rf"{_BOUND}(?::{_BOUND})?"
_SLICE = re.compile(rf"(?=.*:){_PART}(?:,{_PART})?")  # a range in one part at least
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|\s+|.", re.S)

INFIX = {
    r"\odot": " .* ",
    r"\otimes": " ⊗ ",
    r"\oslash": " ./ ",
    r"\cdot": " * ",
    r"\times": " * ",
    r"\circ": " .* ",
}
IGNORED = {r"\,", r"\;", r"\:", r"\!", r"\quad", r"\qquad", r"\ ", r"\displaystyle", r"\limits"}
_CLOSERS = {
    "(": (")",),
    "[": ("]",),
    "|": ("|",),
    r"\|": (r"\|", r"\rVert"),
    r"\lVert": (r"\rVert", r"\|"),
}
GREEK_COMMANDS = {
    "\\" + ("lambda" if n == "lam" else "Lambda" if n == "Lam" else n): n for n in GREEK
}


LATEX_CHARS = 4 * limits.MAX_INPUT_CHARS  # LaTeX is verbose: 4× the text limit
_MARK = 0xF0000  # private-use characters: "what follows came from source token k"


class LatexText(str):
    """The expression language's text for a LaTeX input, with where each character came from:
    a parse error points into what the user typed, not into matcalc's translation."""

    latex: str
    origin: tuple[int, ...]

    def source_pos(self, pos: int) -> int:
        return self.origin[pos] if 0 <= pos < len(self.origin) else len(self.latex)

    def relocate(self, err: MatcalcError) -> MatcalcError:
        """An error located in this text, moved to the LaTeX it was read from."""
        if err.source == str(self) and err.pos is not None:
            err.message += f" (matcalc read the LaTeX as: {self!s})"
            err.source, err.pos = self.latex, self.source_pos(err.pos)
        return err


class _Reader:
    def __init__(self, src: str, names: set[str], commands: dict[str, str]):
        if len(src) > LATEX_CHARS:
            raise LimitError(f"LaTeX input is {len(src)} characters, over the limit {LATEX_CHARS}")
        self.src = src
        self.names = names
        self.commands = commands
        self.toks = [(m.group(), m.start()) for m in _TOKEN.finditer(src)]
        self.i = 0
        self.last = 0
        self.depth = 0
        self.marks: list[int] = []

    def translate_next(self) -> str:
        """The next token's translation, marked with where the token starts in the source."""
        while self.i < len(self.toks) and self.toks[self.i][0].isspace():
            self.i += 1
        self.marks.append(self.pos())
        mark = chr(_MARK + len(self.marks) - 1)
        return mark + self.one(self.next())

    # -- tokens
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        while j < len(self.toks) and self.toks[j][0].isspace():
            j += 1
        return self.toks[j][0] if j < len(self.toks) else ""

    def adjacent(self) -> str:
        """The very next token, spaces included (σ(x) is sigmoid, σ (x) a product)."""
        return self.toks[self.i][0] if self.i < len(self.toks) else ""

    def next(self) -> str:
        while self.i < len(self.toks) and self.toks[self.i][0].isspace():
            self.i += 1
        if self.i >= len(self.toks):
            return ""
        tok = self.toks[self.i][0]
        self.last = self.toks[self.i][1]  # where the token just read starts, for its errors
        self.i += 1
        return tok

    def pos(self) -> int:
        return self.toks[self.i][1] if self.i < len(self.toks) else len(self.src)

    def error(self, message: str, here: bool = False) -> MatcalcError:
        """An error at the next token, or (here) at the token just read."""
        pos = self.last if here else self.pos()
        return MatcalcError(f"LaTeX input: {message}", source=self.src, pos=min(pos, len(self.src)))

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise self.error(f"expected {tok!r}, found {got or 'end of input'!r}")

    def group(self) -> str:
        """{…} as text, or a single token."""
        if self.peek() == "{":
            self.next()
            self.depth += 1
            if self.depth > limits.MAX_DEPTH:
                raise LimitError(f"nesting deeper than {limits.MAX_DEPTH}")
            out = self.until("}")
            self.expect("}")
            self.depth -= 1
            return out
        tok = self.next()
        if not tok:
            raise self.error("something is missing at the end")
        return self.one(tok)

    def raw_group(self) -> str:
        """{…} as its literal characters (for \\mathbf{1}, \\operatorname{tr})."""
        self.expect("{")
        parts = []
        while self.peek() != "}":
            tok = self.next()
            if not tok:
                raise self.error("an unclosed {")
            parts.append(tok)
        self.expect("}")
        return "".join(parts).strip()

    # -- translation
    def until(self, *stops: str) -> str:
        out: list[str] = []
        while self.peek() not in (*stops, ""):
            out.append(self.translate_next())
        return "".join(out)

    def one(self, tok: str) -> str:
        if tok in IGNORED:
            return " "
        if tok == "{":
            self.depth += 1
            if self.depth > limits.MAX_DEPTH:
                raise LimitError(f"nesting deeper than {limits.MAX_DEPTH}")
            inner = self.until("}")
            self.expect("}")
            self.depth -= 1
            return f"({inner})"
        if tok in ("^", "_"):
            raise self.error(f"{tok} needs something before it")
        if tok == r"\left":
            return self.delimited()
        if tok == r"\right":
            raise self.error("\\right without its \\left")
        if tok in (r"\|", r"\lVert", r"\rVert", r"\Vert"):
            return "‖" + self.scripts()
        if tok == "|":
            return "|" + self.scripts()
        if tok in (r"\frac", r"\dfrac", r"\tfrac"):
            a, b = self.group(), self.group()
            return f" (({a})/({b}))" + self.scripts()
        if tok == r"\sqrt":
            return f" sqrt({self.group()})" + self.scripts()
        if tok in (
            r"\mathbf",
            r"\boldsymbol",
            r"\bm",
            r"\mathrm",
            r"\mathsf",
            r"\mathit",
            r"\operatorname",
            r"\text",
            r"\textrm",
        ):
            return self.styled(tok)
        if tok == r"\log" and self.peek() == r"\det":
            self.next()
            return self.applied(r"\log\det", "logdet")
        if tok == r"\sigma":
            if self.adjacent() in (r"\left", "("):  # σ(x), written together: sigmoid
                return " sigmoid" + self.call_group()
            return " sigma" + self.scripts(name=True)
        if tok in self.commands:
            return self.applied(tok, self.commands[tok])
        if tok in INFIX:
            return INFIX[tok]
        if tok in GREEK_COMMANDS:
            return " " + GREEK_COMMANDS[tok] + self.scripts(name=True)
        if tok in (r"\top", r"\intercal"):
            return "'"
        if tok == r"\sum":
            raise self.error(
                "\\sum over an index is not part of the expression language: write the vector "
                "form, \\operatorname{sum}(u) for the sum of u's entries (Σᵢ uᵢ), e.g. "
                "\\operatorname{sum}(\\log\\sigma(y \\odot (X w)))",
                here=True,
            )
        if tok in (r"\infty", r"\partial", r"\prod", r"\int", r"\lim"):
            raise self.error(f"{tok} is not part of the expression language", here=True)
        if tok == r"\begin":
            return self.environment()
        if tok.startswith("\\"):
            raise self.error(f"unknown command {tok}", here=True)
        if tok[0].isalpha():
            return self.letters(tok)
        if tok[0].isdigit():
            return " " + tok + self.scripts()
        if tok in "+-*/(),[]":
            return {"(": " (", "[": " ["}.get(tok, tok) + (self.scripts() if tok in ")]" else "")
        if tok in "&":
            raise self.error("& outside a matrix")
        if tok == "'":
            return "'"
        if tok == "=":  # `\quad\text{where } K = …` (SPEC §7.3); elsewhere the parser refuses it
            return " ="
        raise self.error(f"unexpected {tok!r}")

    def applied(self, tok: str, name: str) -> str:
        """A function and its argument: \\log(x), \\log\\left(…\\right), or, as papers write,
        the next atom: \\log x, \\log \\sigma(z), \\sin^2 x, \\log|\\det X| (SPEC §7.8)."""
        if self.peek() in (r"\left", "(") and self.peek(1) != "|":
            return f" {name}" + self.call_group()
        powers = self.scripts()
        if self.peek() == r"\left" and self.peek(1) == "|":  # \log\left|x\right|
            return f" {name}({self.translate_next()})" + powers
        if self.peek() in (r"\left", "("):
            return f" {name}" + self.call_group() + powers
        if self.peek() == "|":  # \log|x|: of the absolute value, as `ln|x|` in text
            self.next()
            inner = self.until("|")
            self.expect("|")
            return f" {name}(abs({inner}))" + self.scripts() + powers
        if self.peek() in ("", "}", "+", "-", "&", r"\\", r"\right", ")", "]", ",", "="):
            raise self.error(f"{tok} needs an argument")
        return f" {name}({self.translate_next()})" + powers

    def letters(self, run: str) -> str:
        """A run of letters: one name if it is known, else a product of single letters."""
        if run == "K" and self.peek() == "_" and self.peek(1) == "{" and self.peek(2) == "(":
            self.next()  # K_{(m,n)}: the commutation matrix
            body = self.raw_group().strip("()").replace(" ", "")
            return f" comm({body})" + self.scripts()
        if run in self.names or len(run) == 1:
            return " " + run + self.scripts(name=True)
        if run in ("e", "pi"):
            return " " + run + self.scripts()
        out = " ".join(run[:-1])
        return " " + out + " " + run[-1] + self.scripts(name=True)

    def styled(self, cmd: str) -> str:
        start = self.last  # where the command starts, for its error
        body = self.raw_group()
        bold = cmd in (r"\mathbf", r"\boldsymbol", r"\bm")
        if bold and body == "1":
            return self.sized("ones")
        if bold and body == "I":
            return self.sized("eye")
        if bold and body == "0":
            return self.sized("zeros")
        if body in GREEK_COMMANDS:  # \boldsymbol{\mu}: the name mu, as \mu is
            return " " + GREEK_COMMANDS[body] + self.scripts(name=True)
        if cmd == r"\mathrm" and body == "d":  # a differential dX
            nxt = self.peek()
            if nxt[:1].isalpha():
                self.next()
                return " d" + nxt + self.scripts(name=True)
            return " d"
        name = body.replace(r"\_", "_").replace(" ", "")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            self.last = start
            raise self.error(f"cannot read {cmd}{{{body}}}", here=True)
        if cmd == r"\operatorname" and self.peek() in (r"\left", "("):  # a function call
            return " " + name + self.call_group()
        return " " + name + self.scripts(name=True)

    def sized(self, what: str) -> str:
        """\\mathbf{1}_{n}, \\mathbf{I}_{n}: a size in the subscript, else the context's."""
        if self.peek() == "_":
            self.next()
            size = self.group().replace("*", ",")
            return f" {what}({size})" + self.scripts()
        return {"ones": " 𝟏", "eye": " 𝐈", "zeros": " 0"}[what] + self.scripts()

    def call_group(self) -> str:
        """A function's argument group, written right after its name: f(…)."""
        if self.peek() == "(":
            self.next()
            inner = self.until(")")
            self.expect(")")
        else:
            self.next()  # \left
            opener = self.next()
            if opener != "(":
                raise self.error(
                    f"a function's argument goes in \\left( … \\right), not \\left{opener}"
                )
            inner = self.inside(opener)
        return f"({inner})" + self.scripts()

    def inside(self, opener: str) -> str:
        """The text up to the matching \\right, nested \\left … \\right included."""
        self.depth += 1
        if self.depth > limits.MAX_DEPTH:
            raise LimitError(f"nesting deeper than {limits.MAX_DEPTH}")
        parts = []
        while True:
            tok = self.peek()
            if tok == "":
                raise self.error(f"\\left{opener} without its \\right")
            if tok == r"\right":
                self.next()
                closer = self.next()
                if closer not in _CLOSERS.get(opener, ()):
                    raise self.error(f"\\left{opener} closed by \\right{closer}")
                break
            parts.append(self.translate_next())
        self.depth -= 1
        return "".join(parts)

    def delimited(self) -> str:
        """\\left( … \\right), \\left| … \\right|, \\left\\lVert … \\right\\rVert, with what follows."""
        opener = self.next()
        if opener not in _CLOSERS:
            raise self.error(f"cannot read \\left{opener}")
        inner = self.inside(opener)
        if opener in ("(", "["):
            return f" ({inner})" + self.scripts(index=True)
        if opener == "|":
            return f" abs({inner})" + self.scripts()
        sub = ""
        if self.peek() == "_":
            self.next()
            sub = (self.raw_group() if self.peek() == "{" else self.next()).replace(" ", "")
            if sub not in ("1", "2", "F"):
                raise self.error(f"a norm's subscript is 1, 2 or F, not {sub!r}")
        return (" norm1" if sub == "1" else " norm2") + f"({inner})" + self.scripts()

    def scripts(self, name: bool = False, index: bool = False) -> str:
        """Superscripts and subscripts after an atom; after a group, a subscript is an entry."""
        out = ""
        while self.peek() in ("^", "_", "'"):
            tok = self.next()
            if tok == "'":
                out += "'"
            elif tok == "_":
                out += self.subscript(name, index)
            else:
                out += self.superscript()
            name = index = False
        return out

    def subscript(self, name: bool, index: bool = False) -> str:
        body = self.raw_group() if self.peek() == "{" else self.next()
        body = body.replace(" ", "")
        if not body:
            raise self.error("an empty subscript")
        if (name or index) and _SLICE.fullmatch(body):  # x_{1:4}, X_{1:2,n-1}: a slice
            return "[" + body + "]"
        if index:  # (A x)_{2}, (X)_{1,2}: entries
            if re.fullmatch(r"[0-9]+(,[0-9]+)?", body):
                return "[" + body + "]"
            raise self.error(f"cannot read the subscript {body} of a group")
        if body == "1" and not name:
            return "₁"
        if body in ("F", "2") and not name:
            return ""  # ‖X‖_F and ‖x‖_2 are the norm2 matcalc writes
        if not name:
            raise self.error(f"cannot read the subscript {body}")
        if re.fullmatch(r"[0-9]+", body):
            return "_" + body
        if re.fullmatch(r"[0-9]+,[0-9]+", body):
            return "[" + body + "]"
        if re.fullmatch(r"[A-Za-z0-9]+", body):
            return "_" + body
        raise self.error(f"cannot read the subscript {body}")

    def superscript(self) -> str:
        if not self.peek():
            raise self.error("^ needs an exponent after it")
        body = self.group() if self.peek() == "{" else self.one(self.next())
        body = body.strip()
        plain = _unmarked(body).replace(" ", "")
        if plain in ("'", "T", r"\top", "⊤"):
            return "'"
        if plain in ("-1",):
            return "^(-1)"
        if plain in ("-'", "-T", r"-\top"):
            return "⁻ᵀ"
        if plain.startswith(".*"):
            return ".^(" + plain[2:] + ")"
        return f"^({body})"

    def environment(self) -> str:
        kind = self.raw_group()
        if kind not in ("bmatrix", "pmatrix", "matrix", "vmatrix"):
            raise self.error(f"cannot read the environment {kind}")
        rows, cells, cell = [], [], []
        while True:
            tok = self.peek()
            if tok == "":
                raise self.error(f"an unclosed {kind}")
            if tok == r"\end":
                self.next()
                end = self.raw_group()
                if end != kind:
                    raise self.error(f"\\begin{{{kind}}} closed by \\end{{{end}}}")
                break
            if tok == "&":
                self.next()
                cells.append("".join(cell))
                cell = []
            elif tok == r"\\":
                self.next()
                cells.append("".join(cell))
                rows.append(cells)
                cells, cell = [], []
            else:
                cell.append(self.translate_next())
        if cell or cells:
            cells.append("".join(cell))
            rows.append(cells)
        if any(len(r) != len(rows[0]) for r in rows):
            raise self.error("the rows of the matrix differ in length")
        body = (
            "["
            + ", ".join(
                "[" + ", ".join(c.strip() if _unmarked(c).strip() else "0" for c in r) + "]"
                for r in rows
            )
            + "]"
        )
        return " " + body + self.scripts()


def _unmarked(text: str) -> str:
    return "".join(c for c in text if ord(c) < _MARK)


def _body(typed: str) -> tuple[int, int]:
    """The span of the expression inside $…$, \\[…\\], and after `dF =`."""
    start, end = 0, len(typed)
    while start < end and typed[start].isspace():
        start += 1
    while end > start and typed[end - 1].isspace():
        end -= 1
    for left, right in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        inner = typed[start:end]
        if inner.startswith(left) and inner.endswith(right) and len(inner) > len(left) + len(right):
            start, end = start + len(left), end - len(right)
            break
    m = re.compile(r"\s*\\mathrm\{d\}\^?\{?2?\}?[A-Za-z]\s*=").match(typed, start, end)
    if m:  # dF = …, d²f = …: the map itself
        start = m.end()
    return start, end


def latex_to_text(
    typed: str, names: set[str] | None = None, commands: dict[str, str] | None = None
) -> LatexText:
    """The expression language's text for a LaTeX math expression, with a map back to it.

    `names` are the names read whole (functions, declared names); `commands` the bare LaTeX
    commands of functions (`\\sin` → sin), which the caller takes from the operator registry."""
    start, end = _body(typed)
    reader = _Reader(typed[start:end], set(names or ()), dict(commands or {}))
    try:
        out = reader.until("")
        if reader.peek():
            raise reader.error(f"unexpected {reader.peek()!r}")
    except MatcalcError as err:
        if err.source == reader.src and err.pos is not None:
            err.source, err.pos = typed, err.pos + start
        raise
    chars: list[str] = []
    origin: list[int] = []
    here = start
    for c in out:
        if ord(c) >= _MARK:
            here = reader.marks[ord(c) - _MARK] + start
        elif not (c.isspace() and (not chars or chars[-1] in " ([")):
            chars.append(" " if c.isspace() else c)
            origin.append(here)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    text = LatexText("".join(chars))
    text.latex, text.origin = typed, tuple(origin)
    return text
