"""The options every command shares, in one object, checked in one place (SPEC §1, §3, §4).

The API's functions keep their keyword signatures (SPEC §6) and build an `Options` from them;
the CLI builds the same object from its flags. Adding an option is one field here, one keyword
where the API takes it and one flag declaration in cli.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from .errors import MatcalcError, quote

LAYOUTS = ("mixed", "numerator", "denominator")
INPUTS = ("text", "latex")
MODES = (None, "forward", "reverse")

At = Mapping[str, object] | Iterable[str] | None


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise MatcalcError(f"unknown layout {quote(layout)}; choose one of {', '.join(LAYOUTS)}")
    return layout


@dataclass(frozen=True)
class Options:
    """`--let`, `--layout`, `--at`, `--check`, `--expand`, `--vec`, `--steps`, `--input`,
    `--mode` and the API's `timeout=`: what a command is asked besides its expression, its
    `--wrt` and its `--v`. Each value is checked when the object is made."""

    let: tuple[str, ...] = ()
    layout: str = "mixed"
    at: At = None
    check: bool = False
    expand: bool = False
    vec: bool = False
    steps: bool = False
    input: str = "text"
    timeout: float | None = None
    mode: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "let", tuple(self.let or ()))
        check_layout(self.layout)
        if self.input not in INPUTS:
            raise MatcalcError(f"unknown --input {self.input!r}; choose text or latex")
        if self.mode not in MODES:
            raise MatcalcError(f"--mode is forward or reverse, not {quote(self.mode)}")

    @classmethod
    def of(cls, given: Mapping[str, object], *, besides: Iterable[str] = ()) -> Options:
        """The options among a call's arguments (an API function's or a CLI command's
        `locals()`): every other name (the expression, `--wrt`, `--format`) is left out, and so
        are the names `besides` (chain's `steps` are its steps, not `--steps`)."""
        names = [f.name for f in fields(cls) if f.name in given and f.name not in besides]
        return cls(**{name: given[name] for name in names})


__all__ = ["INPUTS", "LAYOUTS", "MODES", "At", "Options", "check_layout"]
