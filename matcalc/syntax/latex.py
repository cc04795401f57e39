"""`--input latex`: LaTeX → the expression language, then the ordinary parser.

Reads at least everything `--format latex` writes (\\frac, \\left( \\right), ^{\\top}, ^{-1},
^{-\\top}, ^{\\circ k}, \\odot, \\otimes, \\operatorname{tr}, \\log\\det, \\sigma, \\lVert \\rVert,
\\sqrt, subscripts, Greek letters, \\mathbf{1}, \\mathbf{I}, bmatrix) and the common spellings of
a paper (\\|x\\|, \\cdot, \\top, T as a superscript, \\mathrm{tr}). A run of letters is one name
when it is a declared name or a function; otherwise each letter is a factor (`Ax` is A x).
Nothing is evaluated: the result is text that the parser reads like any other input.
"""

from __future__ import annotations

import re

from .. import limits
from ..errors import LimitError, MatcalcError
from .names import GREEK

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|\s+|.", re.S)

FUNCTIONS = {
    r"\sin": "sin", r"\cos": "cos", r"\tan": "tan", r"\exp": "exp", r"\log": "log", r"\ln": "log",
    r"\tanh": "tanh", r"\det": "det", r"\arcsin": "arcsin", r"\arccos": "arccos",
    r"\arctan": "arctan", r"\tr": "tr", r"\max": "max",
}  # fmt: skip
INFIX = {r"\odot": " .* ", r"\otimes": " ⊗ ", r"\oslash": " ./ ", r"\cdot": " * ", r"\times": " * ", r"\circ": " .* "}
IGNORED = {r"\,", r"\;", r"\:", r"\!", r"\quad", r"\qquad", r"\ ", r"\displaystyle", r"\limits"}
GREEK_COMMANDS = {"\\" + ("lambda" if n == "lam" else "Lambda" if n == "Lam" else n): n for n in GREEK}


class _Reader:
    def __init__(self, src: str, names: set[str]):
        if len(src) > limits.MAX_INPUT_CHARS:
            raise LimitError(f"expression is {len(src)} characters, over the limit {limits.MAX_INPUT_CHARS}")
        self.src = src
        self.names = names
        self.toks = [(m.group(), m.start()) for m in _TOKEN.finditer(src)]
        self.i = 0
        self.depth = 0

    # -- tokens
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        while j < len(self.toks) and self.toks[j][0].isspace():
            j += 1
        return self.toks[j][0] if j < len(self.toks) else ""

    def next(self) -> str:
        while self.i < len(self.toks) and self.toks[self.i][0].isspace():
            self.i += 1
        if self.i >= len(self.toks):
            return ""
        tok = self.toks[self.i][0]
        self.i += 1
        return tok

    def pos(self) -> int:
        return self.toks[self.i][1] if self.i < len(self.toks) else len(self.src)

    def error(self, message: str) -> MatcalcError:
        return MatcalcError(f"LaTeX input: {message}", source=self.src, pos=min(self.pos(), len(self.src)))

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
            out.append(self.one(self.next()))
        return "".join(out)

    def one(self, tok: str) -> str:
        if tok in IGNORED:
            return " "
        if tok == "{":
            inner = self.until("}")
            self.expect("}")
            return f"({inner})"
        if tok in ("^", "_"):
            raise self.error(f"{tok} needs something before it")
        if tok == r"\left":
            return self.delimiter(opening=True)
        if tok == r"\right":
            return self.delimiter(opening=False)
        if tok in (r"\|", r"\lVert", r"\rVert", r"\Vert"):
            return "‖" + self.scripts()
        if tok == "|":
            return "|" + self.scripts()
        if tok == r"\frac":
            a, b = self.group(), self.group()
            return f" (({a})/({b}))" + self.scripts()
        if tok == r"\sqrt":
            return f" sqrt({self.group()})" + self.scripts()
        if tok in (r"\mathbf", r"\boldsymbol", r"\mathrm", r"\mathit", r"\operatorname", r"\text", r"\textrm"):
            return self.styled(tok)
        if tok == r"\log" and self.peek() == r"\det":
            self.next()
            return " logdet" + self.scripts()
        if tok == r"\sigma":
            if self.peek() in (r"\left", "("):
                return " sigmoid" + self.scripts()
            return " sigma" + self.scripts()
        if tok in FUNCTIONS:
            return f" {FUNCTIONS[tok]}" + self.scripts()
        if tok in INFIX:
            return INFIX[tok]
        if tok in GREEK_COMMANDS:
            return " " + GREEK_COMMANDS[tok] + self.scripts(name=True)
        if tok == r"\top":
            return "'"
        if tok in (r"\infty", r"\partial", r"\sum", r"\prod", r"\int", r"\lim"):
            raise self.error(f"{tok} is not part of the expression language")
        if tok == r"\begin":
            return self.environment()
        if tok.startswith("\\"):
            raise self.error(f"unknown command {tok}")
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
        raise self.error(f"unexpected {tok!r}")

    def letters(self, run: str) -> str:
        """A run of letters: one name if it is known, else a product of single letters."""
        if run in self.names or len(run) == 1:
            return " " + run + self.scripts(name=True)
        if run in ("e", "pi"):
            return " " + run + self.scripts()
        out = " ".join(run[:-1])
        return " " + out + " " + run[-1] + self.scripts(name=True)

    def styled(self, cmd: str) -> str:
        body = self.raw_group()
        if cmd in (r"\mathbf", r"\boldsymbol") and body == "1":
            return self.sized("ones")
        if cmd in (r"\mathbf", r"\boldsymbol") and body == "I":
            return self.sized("eye")
        if cmd == r"\mathrm" and body == "d":  # a differential dX
            nxt = self.peek()
            if nxt[:1].isalpha():
                self.next()
                return " d" + nxt + self.scripts(name=True)
            return " d"
        name = body.replace(r"\_", "_").replace(" ", "")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise self.error(f"cannot read {cmd}{{{body}}}")
        return " " + name + self.scripts(name=True)

    def sized(self, what: str) -> str:
        """\\mathbf{1}_{n}, \\mathbf{I}_{n}: a size in the subscript, else the context's."""
        if self.peek() == "_":
            self.next()
            size = self.group().replace("*", ",")
            if what == "ones" and "," not in size:
                return f" ones({size})" + self.scripts()
            return f" {what}({size})" + self.scripts()
        return (" 𝟏" if what == "ones" else " 𝐈") + self.scripts()

    def delimiter(self, opening: bool) -> str:
        tok = self.next()
        mapping = {"(": "(", ")": ")", "[": "(", "]": ")", "|": "|", r"\|": "‖", r"\lVert": "‖", r"\rVert": "‖", ".": ""}
        if tok not in mapping:
            raise self.error(f"cannot read \\left/\\right {tok}")
        out = mapping[tok]
        if opening:
            return " " + out
        return out + self.scripts()

    def scripts(self, name: bool = False) -> str:
        """Superscripts and subscripts after an atom."""
        out = ""
        while self.peek() in ("^", "_", "'"):
            tok = self.next()
            if tok == "'":
                out += "'"
            elif tok == "_":
                out += self.subscript(name)
            else:
                out += self.superscript()
            name = False
        return out

    def subscript(self, name: bool) -> str:
        body = self.raw_group() if self.peek() == "{" else self.next()
        body = body.replace(" ", "")
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
        body = self.group() if self.peek() == "{" else self.one(self.next())
        body = body.strip()
        plain = body.replace(" ", "")
        if plain in ("'", "T", r"\top", "⊤"):
            return "'"
        if plain in ("-1",):
            return "^(-1)"
        if plain in ("-'", "-T", r"-\top"):
            return "⁻ᵀ"
        if body.startswith(".*") or plain.startswith(".*"):
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
                self.raw_group()
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
                cell.append(self.one(self.next()))
        if cell or cells:
            cells.append("".join(cell))
            rows.append(cells)
        if any(len(r) != len(rows[0]) for r in rows):
            raise self.error("the rows of the matrix differ in length")
        body = "[" + ", ".join("[" + ", ".join(c.strip() or "0" for c in r) + "]" for r in rows) + "]"
        return " " + body + self.scripts()


def latex_to_text(src: str, names: set[str] | None = None) -> str:
    """The expression language's text for a LaTeX math expression."""
    src = src.strip()
    for wrapper in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        if src.startswith(wrapper[0]) and src.endswith(wrapper[1]) and len(src) > 2 * len(wrapper[0]):
            src = src[len(wrapper[0]) : -len(wrapper[1])].strip()
    m = re.match(r"\\mathrm\{d\}\^?\{?2?\}?[A-Za-z]\s*=", src)
    if m:  # dF = …, d²f = …: the map itself
        src = src[m.end() :]
    reader = _Reader(src, set(names or ()))
    out = reader.until("")
    if reader.peek():
        raise reader.error(f"unexpected {reader.peek()!r}")
    return re.sub(r"\s+", " ", out).strip()
