"""Names: what a variable may be called, the Greek letters the printer writes and the parser
reads, reserved words with a spelling that works instead, and near-miss suggestions."""

from __future__ import annotations

import difflib
import keyword
import re

import sympy as sp

from ..errors import MatcalcError, quote

# An indexed member of a family: x1, x_1 (the base, then the index).
FAMILY = re.compile(r"([A-Za-z][A-Za-z_]*?)_?([0-9]+)\Z", re.ASCII)

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Greek letters by name. Capitals that look like Latin letters (Α, Β, Ε, …) and omicron are left
# out: the printer writes those names in ASCII, and the parser refuses the look-alike glyphs.
_LOWER = (
    "alpha α beta β gamma γ delta δ epsilon ε zeta ζ eta η theta θ iota ι kappa κ lam λ mu μ "
    "nu ν xi ξ pi π rho ρ sigma σ tau τ upsilon υ phi φ chi χ psi ψ omega ω"
).split()
_UPPER = "Gamma Γ Delta Δ Theta Θ Lam Λ Xi Ξ Pi Π Sigma Σ Phi Φ Psi Ψ Omega Ω".split()
GREEK: dict[str, str] = dict(zip(_LOWER[::2], _LOWER[1::2], strict=True))
GREEK.update(dict(zip(_UPPER[::2], _UPPER[1::2], strict=True)))
GLYPH_NAMES: dict[str, str] = {g: n for n, g in GREEK.items()}

SUGGEST = {"lambda": "lam", "Lambda": "Lam", "in": "in_", "is": "is_", "as": "as_"}


def text_name(name: str) -> str:
    """A variable name in text: Greek names as Greek letters (`alpha_1` → `α_1`)."""
    if name in GREEK:
        return GREEK[name]
    base, sep, rest = name.partition("_")
    if sep and base in GREEK:
        return GREEK[base] + sep + rest
    return name


def latex_name(name: str) -> str:
    """A variable name in LaTeX as SymPy writes it (`W_{1}`, `\\alpha`), `lam` as λ, and a name of
    several letters as one italic word (`\\mathit{eps}`): bare, a reader takes it for e·p·s."""
    if name in ("lam", "Lam"):
        return r"\lambda" if name == "lam" else r"\Lambda"
    written = sp.latex(sp.Symbol(name))
    base, sub, rest = written.partition("_{")
    if len(base) > 1 and base.isascii() and base.isalpha():
        return rf"\mathit{{{base}}}{sub}{rest}"
    return written


def check_name(name: str, what: str = "name") -> None:
    """Names follow SPEC §2: identifiers, no Python keyword, no dunder."""
    if not NAME_RE.match(name):
        raise MatcalcError(f"{what} {quote(name)} is not a valid name")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        better = SUGGEST.get(name, name + "_")
        raise MatcalcError(
            f"{what} {quote(name)} is a reserved word; write {quote(better)} instead"
        )
    if name.startswith("__"):
        raise MatcalcError(f"{what} {quote(name)} starts with '__', which is not allowed")


def nearest(name: str, known: list[str]) -> str | None:
    """The closest known name, for a 'did you mean' hint."""
    got = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return got[0] if got else None
