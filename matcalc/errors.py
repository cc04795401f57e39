"""User errors (exit 2, with a position when there is one) and internal errors (exit 1)."""

from __future__ import annotations


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
            return f"error: {self.message}"
        col = self.pos + 1
        shown, caret = _window(self.source, self.pos)
        return f"error: {self.message} (column {col})\n  {shown}\n  {caret}^"


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


def _window(source: str, pos: int, width: int = 70) -> tuple[str, str]:
    """Cut a long input around pos so the caret stays on screen."""
    start = max(0, min(pos - width // 2, len(source) - width))
    text = source[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(source) else ""
    return prefix + text + suffix, " " * (len(prefix) + pos - start)
