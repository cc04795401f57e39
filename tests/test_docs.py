"""Documentation runs: every `$ matcalc …` example in README.md and docs/ is executed and its
output compared with the document, so the docs cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs from the console blocks of a Markdown text."""
    out: list[tuple[str, str]] = []
    for block in BLOCK.findall(text):
        cmd: str | None = None
        lines: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ matcalc"):
                if cmd is not None:
                    out.append((cmd, "\n".join(lines)))
                cmd, lines = line[2:], []
            elif cmd is not None:
                lines.append(line)
        if cmd is not None:
            out.append((cmd, "\n".join(lines)))
    return out


# The check's error is floating-point noise (6.4e-12 here, 6.1e-12 on another machine): the docs
# show a real run, the comparison reads past the digits; "(ok)" or "FAILED" is still compared.
NOISE = re.compile(r"(largest relative error) [0-9.]+(?:e[-+]?[0-9]+)?")


def same_output(actual: str, documented: str) -> bool:
    """The documented output, up to the noise digits of a check's error."""
    return NOISE.sub(r"\1 …", actual.rstrip("\n")) == NOISE.sub(r"\1 …", documented)


def mismatches(text: str, cli) -> list[str]:
    """Every example whose real output differs from the document."""
    bad = []
    for cmd, expected in examples(text):
        _, out, _ = cli(*shlex.split(cmd)[1:])
        if not same_output(out, expected):
            bad.append(f"{cmd}\n--- documented\n{expected}\n--- actual\n{out}")
    return bad


ALL = [(p.name, cmd, exp) for p in DOCS for cmd, exp in examples(p.read_text())]


@pytest.mark.parametrize(
    "doc,cmd,expected", ALL, ids=[f"{d}:{i}" for i, (d, _, _) in enumerate(ALL)]
)
def test_documented_example(cli, doc, cmd, expected):
    _code, out, err = cli(*shlex.split(cmd)[1:])
    assert same_output(out, expected), f"{doc}: {cmd}\n{out}\n{err}"


def test_examples_exist():
    assert len(examples((ROOT / "docs" / "tutorial.md").read_text())) >= 15
    assert len(examples((ROOT / "README.md").read_text())) >= 8


def test_noise_digits_are_read_past_but_the_verdict_is_not():
    line = "check: largest relative error {} against finite differences ({})"
    assert same_output(line.format("6.1e-12", "ok"), line.format("6.4e-12", "ok"))
    assert not same_output(line.format("6.1e-12", "FAILED"), line.format("6.4e-12", "ok"))
    assert not same_output("[17, 52, 82]", "[17, 52, 81]")


def test_changed_output_is_caught(cli):
    text = (ROOT / "docs" / "tutorial.md").read_text()
    assert mismatches(text, cli) == []
    broken = text.replace("[17, 52, 81]\nvᵀJ", "[17, 52, 82]\nvᵀJ", 1)
    assert broken != text
    assert len(mismatches(broken, cli)) == 1


def test_readme_python_example():
    import doctest

    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 4


def _generator() -> dict:
    import runpy

    return runpy.run_path(str(ROOT / "docs" / "gen_docs.py"))


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == _generator()["reference"](), "run `make docs`"


def test_identities_doc_is_current():
    assert (ROOT / "docs" / "identities.md").read_text() == _generator()["identities"](), (
        "run `make docs`"
    )


def test_every_command_has_help_and_is_documented():
    from matcalc.cli import app

    gen = _generator()
    names = {c.name for c in app.registered_commands}
    assert names == set(gen["COMMANDS"])
    for c in app.registered_commands:
        assert c.help and len(c.help) > 20, c.name
        assert "Example" in c.help or c.name == "selfcheck", c.name


def test_changed_help_makes_the_reference_stale(monkeypatch):
    from matcalc.cli import app

    gen = _generator()
    before = gen["reference"]()
    cmd = next(c for c in app.registered_commands if c.name == "cost")
    monkeypatch.setattr(cmd, "help", cmd.help + " Changed.")
    assert gen["reference"]() != before


PYBLOCK = re.compile(r"```python\n(.*?)```", re.S)


def torch_blocks() -> list[str]:
    return [b for p in DOCS for b in PYBLOCK.findall(p.read_text()) if "import torch" in b]


@pytest.mark.parametrize("block", torch_blocks(), ids=lambda b: b.splitlines()[1][:40])
def test_pytorch_examples_print_what_they_say(block, capsys):
    """The PyTorch snippets in the docs run, and print what their comments say (where torch is)."""
    pytest.importorskip("torch")
    expected = [
        line.split("#", 1)[1].strip() for line in block.splitlines() if line.startswith("print(")
    ]
    exec(compile(block, "<docs>", "exec"), {})  # the documentation's own example
    printed = " ".join(capsys.readouterr().out.split())
    for want in expected:
        assert " ".join(want.split()) in printed.replace("\n", " "), (want, printed)


def test_there_are_pytorch_examples():
    assert len(torch_blocks()) >= 2
