"""Determinism, output that cannot attack a terminal, and the exit-code contract."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from matcalc.identities import IDENTITIES

DRIVER = """
import sys
from matcalc import api
from matcalc.identities import IDENTITIES
from matcalc.render import render
out = []
for i in IDENTITIES:
    r = getattr(api, i.kind)(i.expr, wrt=i.wrt, let=list(i.let), check=True)
    out.append(render(r, "json"))
for e in ["[x1*x2, sin(x1)]", "x1**3+2*x2**2+3*x3", "[x_1, x_2**2]", "tr([[a, b], [c, d]]*[[x1, x2], [x3, x4]])",
          "sigmoid(x1)*relu(x2)", "x1**x2"]:
    out.append(render(api.jacobian(e, wrt="x", check=True), "json"))
sys.stdout.write("\\n".join(out))
"""


def test_same_bytes_for_every_hash_seed():
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", DRIVER], capture_output=True, text=True, env=env, check=True
        )
        outputs.append(run.stdout)
    assert len(outputs[0].splitlines()) == len(IDENTITIES) + 6 >= 50
    assert outputs[0] == outputs[1] == outputs[2]


def test_rich_output_never_interprets_user_text():
    """Text that looks like Rich markup, in a name, in the title and in a table cell, is printed
    as it is: Rich never reads it as markup (no hyperlink escape, no style)."""
    import dataclasses

    from rich.console import Console

    import matcalc
    from matcalc import ops as O
    from matcalc.render.rich_text import show

    evil = "[link=http://evil]x[/link][bold]"
    r = matcalc.grad("x1*x2", wrt="x", expand=True)
    for node in (O.lit([[O.var(evil)], [O.num(1)]]), O.mul(O.var(evil), O.var("t"))):
        fake = dataclasses.replace(r, node=node, wrt="[red]w[/red]")
        buf = io.StringIO()
        show(fake, Console(file=buf, force_terminal=True, color_system=None, width=80))
        text = buf.getvalue()
        assert evil in text and "[red]w[/red]" in text, text
        assert "\x1b]8;" not in text


@pytest.mark.parametrize("expand", [False, True])
def test_a_narrow_terminal_gets_no_newline_inside_an_expression(expand):
    """SPEC v2: text output wraps between expressions or not at all (copy and paste survives)."""
    from rich.console import Console

    import matcalc
    from matcalc.render.rich_text import show

    expr, let = ("sum(sqrt(1 + (A*x-b).^2))", ["A:m,n", "x:n", "b:m"])
    if expand:
        expr, let = "sum(sqrt(1 + (A*x-b).^2))", ["A:2,2", "x:2", "b:2"]
    r = matcalc.grad(expr, wrt="x", let=let, expand=expand)
    buf = io.StringIO()
    show(r, Console(file=buf, force_terminal=True, color_system=None, width=25))
    lines = buf.getvalue().splitlines()
    body = "".join(lines[1:])
    assert all(body.count(c) == r.text().count(c) for c in "()[]")
    for line in lines[1:]:
        assert line.count("(") == line.count(")"), lines


def test_error_messages_echo_no_control_characters(cli):
    for bad in ["x\x1b[31mred", "x\x07", "x\u202e", "x\r\n)", "x\x0b"]:
        code, _, err = cli("grad", "--wrt", "x", "--", bad)
        assert code == 2
        assert all(c == "\n" or " " <= c <= "~" or c in "…^" for c in err), repr(err)


def test_internal_error_is_short_with_version(cli, monkeypatch):
    import matcalc.api

    def boom(*a, **k):
        raise ZeroDivisionError("simulated")

    monkeypatch.setattr(matcalc.api, "run", boom)  # the runner behind every command
    code, _out, err = cli("grad", "x", "--wrt", "x")
    assert code == 1 and "this is a bug" in err and matcalc.__version__ in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    code, _out, err = cli("grad", "x", "--wrt", "x", "--debug")  # SPEC §5: --debug, a traceback
    assert code == 1 and "Traceback" in err and "ZeroDivisionError: simulated" in err


def test_failed_check_exits_1(cli, monkeypatch):
    """Break the matrix product's differential rule: --check notices and the exit code is 1."""
    from matcalc import ops as O
    from matcalc.expr.registry import OPS

    good = OPS["matmul"].jvp
    monkeypatch.setattr(OPS["matmul"], "jvp", lambda n, d: O.mul(O.num(3), good(n, d)))
    code, out, _ = cli("grad", "x.T*x", "--let", "x:n", "--wrt", "x", "--check")
    assert code == 1 and "FAILED" in out
    assert out.splitlines()[0] == "6 x"  # the wrong rule really was used
    monkeypatch.setattr(OPS["matmul"], "jvp", good)
    code, out, _ = cli("grad", "x.T*x", "--let", "x:n", "--wrt", "x", "--check")
    assert code == 0 and out.splitlines()[0] == "2 x" and "(ok)" in out


def test_no_color_and_plain_when_piped():
    run = subprocess.run(
        [sys.executable, "-m", "matcalc", "jacobian", "[x1*x2, x1]", "--wrt", "x"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert "\x1b" not in run.stdout and run.stdout == "[[x2, x1], [1, 0]]\n"


def test_terminal_output_is_a_table(tmp_path):
    """On a terminal (a pseudo-tty), text output is a Rich table titled with the shape."""
    import pty

    out = bytearray()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["NO_COLOR"] = "1"
        os.environ["COLUMNS"] = "80"
        os.execv(
            sys.executable,
            [sys.executable, "-m", "matcalc", "jacobian", "[x1*x2, x1]", "--wrt", "x"],
        )
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode()
    assert "jacobian by x · 2×2 · mixed layout" in text
    assert "x2" in text and "\x1b[" not in text
