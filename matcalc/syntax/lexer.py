"""Text → tokens. The language of SPEC §2: ASCII, matrixcalculus.org's entrywise operators, and
the notation matcalc's own text output uses (ᵀ ⁻¹ superscripts ⊙ ⊗ ‖x‖ σ 𝟏 𝐈 Greek letters),
so that every result can be read back. Any other character is an error at its column."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .. import limits
from ..errors import LimitError, MatcalcError
from .foreign import foreign_code
from .names import GLYPH_NAMES as GREEK_NAMES

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ"
SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
SUB_LETTERS = dict(zip("ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "aeoxhklmnpstijruv", strict=True))  # sizes of 𝐈ₙ, 𝟏ₘ
_SUP_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUB_DIGITS = str.maketrans(SUBSCRIPTS, "0123456789")

_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<tr>\.T(?![A-Za-z0-9_])|\^[ \t]*(?:\\top(?![A-Za-z])|\{{[ \t]*\\top[ \t]*\}}))
  | (?P<eop>\.\*|\./|\.\^)
  | (?P<num>(?:[0-9]+(?:\.(?![*/^])[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*|[{"".join(GREEK_NAMES)}])(?P<sub>[{SUBSCRIPTS}]+)?
  | (?P<const>[𝟏𝐈])(?P<csub>[{SUBSCRIPTS}{"".join(SUB_LETTERS)}]+)?
  | (?P<esup>⊙[{SUPERSCRIPTS}]+)
  | (?P<sup>[{SUPERSCRIPTS}]+)
  | (?P<subs>[{SUBSCRIPTS}]+)
  | (?P<op>\*\*|[-+*/^@()\[\],:'|‖⊙⊘⊗−·⋅{{}}])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, tr, eop, sup, esup, end
    text: str
    pos: int
    sub: str = ""  # subscript digits after a name (x₁), as ASCII digits
    space_before: bool = False
    glyph: str = ""  # the Greek letter a name was written as (σ is also sigmoid)


def _describe(ch: str) -> str:
    if ch.isascii() and ch.isprintable():
        return repr(ch)
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")


def safe(text: str) -> str:
    """The input as it may be echoed: printable characters kept; control, format (bidi
    overrides, zero-width), combining and unassigned characters, which could hide or move text
    on a terminal, replaced by ?."""
    out = []
    for c in text:
        ok = (" " <= c <= "~") or (
            not c.isascii() and c.isprintable() and unicodedata.category(c)[0] not in "CMZ"
        )
        out.append(c if ok else "?")
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Split the input; any character outside the language is an error at its column."""
    if len(text) > limits.MAX_INPUT_CHARS:
        raise LimitError(
            f"expression is {len(text)} characters, over the limit {limits.MAX_INPUT_CHARS}"
        )
    out: list[Token] = []
    pos = 0
    space = False
    where = False  # seen the keyword where: `=` may follow a name
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if (
            m is None
            and text[pos] == "="
            and (where or _keyword_at(out))
            and out[-1].kind == "name"
        ):
            out.append(Token("op", "=", pos, "", space))
            space = False
            pos += 1
            continue
        if m is None:
            ch = text[pos]
            hint = ""
            if ch == "\\":
                hint = "; LaTeX input needs --input latex"
            elif ch == "√":
                hint = "; write sqrt(...)"
            elif ch == ".":
                found = foreign_code(text, pos)
                if found is not None:
                    raise MatcalcError(found[0], source=safe(text), pos=found[1])
            raise MatcalcError(
                f"unexpected character {_describe(ch)}{hint}", source=safe(text), pos=pos
            )
        kind = m.lastgroup or ""
        if kind == "num":
            _refuse_foreign_literal(text, pos, m.end())
        if kind == "sub":
            kind = "name"
        if kind == "csub":
            kind = "const"
        if kind == "ws":
            space = True
        else:
            value = m.group(kind) if kind != "name" else m.group("name")
            if kind == "subs":
                value = value.translate(_SUB_DIGITS)
            if kind == "op" and value == "−":
                value = "-"
            if kind == "op" and value in "·⋅":  # a paper's centred dot: the product
                value = "*"
            sub = (m.group("sub") or "").translate(_SUB_DIGITS) if kind == "name" else ""
            if kind == "const":
                sub = "".join(SUB_LETTERS.get(c, c) for c in (m.group("csub") or "")).translate(
                    _SUB_DIGITS
                )
            glyph = value if kind == "name" and value in GREEK_NAMES else ""
            if glyph:
                value = GREEK_NAMES[glyph]
            out.append(Token(kind, value, pos, sub, space, glyph))
            where = where or (kind == "name" and value == WHERE and not sub)
            space = False
            if len(out) > limits.MAX_NODES:
                raise LimitError(f"expression has more than {limits.MAX_NODES} tokens")
        pos = m.end()
    out.append(Token("end", "", len(text), "", space))
    return out


# The keyword arguments of a call (SPEC §7.1: `softmax(Z, axis=1)`, `sum(X, dim=0)`): `=` is a
# token after one of these names written right after `(` or `,`; elsewhere it stays an error.
KEYWORDS = ("axis", "dim")


def _keyword_at(out: list[Token]) -> bool:
    """The tokens so far end with `(` or `,` and a keyword name: a call's `axis=` or `dim=`."""
    return (
        len(out) >= 2
        and out[-1].kind == "name"
        and out[-1].text in KEYWORDS
        and not out[-1].sub
        and out[-2].kind == "op"
        and out[-2].text in ("(", ",")
    )


# The keyword of a where clause, `EXPR where K = …, α = …` (SPEC §7.3): `=` is a token only
# after it (elsewhere `=` stays an unexpected character, as before: `--at a=1,b=2`).
WHERE = "where"

_FOREIGN = re.compile(r"[A-Za-z0-9_]*")
_BASES = {"x": ("a hexadecimal", 16), "o": ("an octal", 8), "b": ("a binary", 2)}


def _refuse_foreign_literal(text: str, start: int, end: int) -> None:
    """A number in another language's literal syntax (SPEC §7.7) is an error, not a product by
    juxtaposition: `0x10` (not 0 · x10), `0o7`, `0b1`, `1_000`, `1j`, `2.5e3j`. A `0` before a
    lone letter (`0x`, `0b`) and a number before any other name (`2b`, `2x`, `2jk`) multiply."""
    rest = _FOREIGN.match(text, end).group()
    literal = text[start : end + len(rest)]
    base = _BASES.get(rest[:1].lower())
    if text[start:end] == "0" and base and len(rest) > 1:
        why = f"{base[0]} literal; matcalc reads decimal numbers only"
        why += _decimal(rest[1:], base[1])
    elif rest[:1] == "_" and rest[1:2].isdigit():
        why = "a number with digit separators; matcalc reads decimal numbers only"
        why += _decimal(literal, 10)
    elif rest in ("j", "J"):
        why = "an imaginary literal; matcalc has real numbers only"
    else:
        return
    raise MatcalcError(f"{literal} is {why}", source=safe(text), pos=start)


def _decimal(digits: str, base: int) -> str:
    """`: write 16` for a short literal that is a number in its base, else nothing."""
    try:
        return f": write {int(digits, base)}" if len(digits) <= 20 else ""
    except ValueError:
        return ""


def superscript_value(sup: str) -> str:
    """`²` → "2", `⁻¹` → "-1", `ᵀ` → "T", `⁻ᵀ` → "-T"."""
    return sup.replace("ᵀ", "T").translate(_SUP_DIGITS)
