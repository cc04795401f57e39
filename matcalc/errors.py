"""User errors (exit 2, with a position when there is one) and internal errors (exit 1)."""

from __future__ import annotations

import unicodedata

QUOTE_CHARS = 40  # a quoted user value is cut to this many characters, with …
MESSAGE_CHARS = 400  # a message longer than this (a long name, unquoted) is cut in the middle


class MatcalcError(Exception):
    """A problem with the user's input: printed as one message, exit code 2."""

    def __init__(self, message: str, *, source: str | None = None, pos: int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.pos = pos

    def located(self, source: str, pos: int) -> MatcalcError:
        """Attach the input text and the 0-based column, unless already located."""
        if self.source is None:
            self.source, self.pos = source, pos
        return self

    def render(self) -> str:
        """The message, with the input and a caret under the offending character."""
        if self.source is None or self.pos is None:
            return f"error: {shown(self.message)}"
        col = self.pos + 1
        text, caret = _window(self.source, self.pos)
        return f"error: {shown(self.message)} (column {col})\n  {text}\n  {caret}^"


class ShapeError(MatcalcError):
    """Operands whose shapes do not fit the operator."""


class LimitError(MatcalcError):
    """Input over one of the documented limits (docs/limits.md)."""


TOO_LARGE = "a number in the expression is too large to compute (it has too many digits)"
"""What an OverflowError from big-number work (SymPy, mpmath, int → float) means to a user."""


class UndefinedError(MatcalcError):
    """A value that does not exist: a division by zero, a log of 0, a singular inverse (SPEC §5)."""


class NotMatrixLevel(Exception):
    """The matrix-level engine has no closed form here; callers fall back to components."""


class InternalError(Exception):
    """A bug in matcalc: exit code 1 with a short message."""


def _visible(c: str) -> bool:
    """Whether a character may reach a terminal as it is: not a control, format (bidi override,
    zero-width), combining or unassigned character, which could hide or move text."""
    return (" " <= c <= "~") or (
        not c.isascii() and c.isprintable() and unicodedata.category(c)[0] not in "CMZ"
    )


def _escaped(text: str) -> str:
    return "".join(
        c if c == " " or _visible(c) else c.encode("unicode_escape").decode() for c in text
    )


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """User text as a message quotes it: in quotes, invisible characters escaped (\\x1b, \\u202e),
    longer text cut in the middle with … so the message stays one short line."""
    if len(text) > limit:
        text = text[: limit * 3 // 4] + "…" + text[-(limit // 4) :]
    return "'" + _escaped(text.replace("\\", "\\\\")).replace("'", "\\'") + "'"


def shown(message: str) -> str:
    """A message as it may be printed: invisible characters escaped, at most MESSAGE_CHARS long."""
    message = _escaped(message)
    if len(message) > MESSAGE_CHARS:
        half = MESSAGE_CHARS // 2
        message = message[:half] + "…" + message[-half:]
    return message


def _window(source: str, pos: int, width: int = 70) -> tuple[str, str]:
    """Cut a long input around pos so the caret stays on screen."""
    start = max(0, min(pos - width // 2, len(source) - width))
    text = source[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(source) else ""
    text = "".join(c if _visible(c) else "?" for c in text)  # one for one: the caret stays
    return prefix + text + suffix, " " * (len(prefix) + pos - start)
