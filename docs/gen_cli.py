"""Write docs/cli.md from the commands' own --help (`make docs`); tests/test_docs.py checks it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMMANDS = ["grad", "jacobian", "hessian", "vjp", "jvp", "chain", "cost", "selfcheck"]


def help_text(args: list[str]) -> str:
    """The help of one command, rendered as plain text at a fixed width."""
    from typer.testing import CliRunner

    from matcalc.cli import app

    env = {"COLUMNS": "100", "TERMINAL_WIDTH": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, [*args, "--help"], env=env, prog_name="matcalc")
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip()


def reference() -> str:
    parts = [
        "# Command reference",
        "",
        "Generated from `--help` by `docs/gen_cli.py` (`make docs`); a test fails when it is stale.",
        "",
        "```text",
        help_text([]),
        "```",
    ]
    for cmd in COMMANDS:
        parts += ["", f"## matcalc {cmd}", "", "```text", help_text([cmd]), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "100")
    target = Path(__file__).with_name("cli.md")
    target.write_text(reference())
    sys.stdout.write(f"wrote {target}\n")
