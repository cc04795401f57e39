"""The command line: options → API → renderer. Errors: one line on stderr, exit 2."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from . import __version__, limits
from .budget import INTERRUPTED
from .errors import TOO_LARGE, InternalError, MatcalcError, quote, shown
from .options import Options

app = typer.Typer(
    name="matcalc",
    help="Symbolic matrix calculus: gradients, Jacobians, Hessians, vjp/jvp and the chain rule.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Expr = Annotated[str, typer.Argument(help="The expression (quote it); '-' reads standard input.")]
Wrt = Annotated[str, typer.Option("--wrt", help="Variable: a name, or scalars x1,x2,x3.")]
Let = Annotated[
    list[str] | None, typer.Option("--let", help="Declare a shape: x:n, A:n,m, S:n,n,sym.")
]
Layout = Annotated[str, typer.Option("--layout", help="mixed (default), numerator or denominator.")]
Format = Annotated[
    str,
    typer.Option("--format", "-f", help="text, latex, table, numpy, json, python, torch or jax."),
]
CostFormat = Annotated[str, typer.Option("--format", "-f", help="text or json.")]
At = Annotated[
    list[str] | None, typer.Option("--at", help="Evaluate at NAME=VALUE, e.g. x=[1,2,3].")
]
Check = Annotated[bool, typer.Option("--check", help="Verify against finite differences.")]
Expand = Annotated[bool, typer.Option("--expand", help="Componentwise, for integer sizes.")]
Vec = Annotated[bool, typer.Option("--vec", help="Tensor derivatives as d vec F / d vec(X)ᵀ.")]
Steps = Annotated[bool, typer.Option("--steps", help="Show the derivation with differentials.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
Input = Annotated[
    str, typer.Option("--input", help="text (default) or latex: how EXPR is written.")
]
Standalone = Annotated[
    bool, typer.Option("--standalone", help="With --format latex: a complete LaTeX document.")
]
V = Annotated[
    str, typer.Option("--v", help="The vector v: 3,2,1, [[1,0],[0,1]] or a declared name.")
]


_STDIN: list[str] = []


def _read(expr: str) -> str:
    """The expression; `-` reads standard input (once: a second use sees the same text)."""
    if expr.strip() != "-":
        return expr.strip() if expr[:1] == " " else expr
    if sys.stdin is None:
        raise MatcalcError("EXPR is '-' but standard input is closed")
    if not _STDIN:
        _STDIN.append(sys.stdin.read(limits.MAX_INPUT_CHARS + 1).strip())
    return _STDIN[0]


def _fail(message: str, code: int) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _guard(fn, debug: bool):
    try:
        return fn()
    except MatcalcError as err:
        _fail(err.render(), 2)
    except (typer.Exit, BrokenPipeError):
        raise
    except KeyboardInterrupt:
        _fail(INTERRUPTED, 130)
    except RecursionError:
        _fail("error: expression too deeply nested", 2)
    except OverflowError:
        _fail(f"error: {TOO_LARGE}", 2)
    except MemoryError:
        raise
    except Exception as err:  # an internal error: short message, no traceback without --debug
        if debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
            raise typer.Exit(1) from None
        name = type(err).__name__
        _fail(
            f"internal error ({name}: {shown(str(err)[:200])}); this is a bug in matcalc {__version__}, "
            "please report it with the command line (--debug shows the traceback)",
            1,
        )


def _check_format(fmt: str, allowed: tuple[str, ...] | None = None, command: str = "") -> None:
    from .render import FORMATS

    allowed = allowed or FORMATS
    if fmt not in FORMATS:
        raise MatcalcError(f"unknown format {quote(fmt)}; choose one of {', '.join(allowed)}")
    if fmt not in allowed:
        raise MatcalcError(
            f"{command} does not print --format {fmt}; choose one of {', '.join(allowed)}"
        )


def _terminal_size() -> tuple[int, int]:
    """Columns and lines: $COLUMNS/$LINES when a positive integer (at most 10⁶), else the
    terminal's own size, else 80×25 — Rich would print nothing at COLUMNS=0 and fail on COLUMNS=²."""
    try:
        measured = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        measured = os.terminal_size((0, 0))
    size = []
    for name, own, default in (("COLUMNS", measured.columns, 80), ("LINES", measured.lines, 25)):
        text = os.environ.get(name, "").strip().lstrip("0")
        if text.isascii() and text.isdigit():
            size.append(int(text) if len(text) <= 6 else 10**6)
        else:
            size.append(own or default)
    return size[0], size[1]


def emit(result, fmt: str, standalone: bool = False) -> None:
    """Print a result: Rich on a terminal in text format, the plain rendering otherwise."""
    from .render import plain, render

    if fmt == "text" and sys.stdout.isatty() and not os.environ.get("MATCALC_PLAIN"):
        from rich.console import Console

        from .render.rich_text import show

        plain_style = bool(os.environ.get("NO_COLOR"))
        color = None if plain_style else "auto"
        width, height = _terminal_size()
        show(result, Console(highlight=False, color_system=color, width=width, height=height))
    else:
        out = render(result, fmt)
        if standalone and fmt == "latex":
            out = plain.standalone(out)
        sys.stdout.write(out + "\n")
    for note in result.notes:
        sys.stderr.write(f"note: {shown(note)}\n")
    if getattr(result, "steps", None) and fmt in ("text", "table"):
        from .render.steps import steps_text

        sys.stdout.write(steps_text(result) + "\n")
    if result.check_error is not None and fmt != "json":
        stream = sys.stdout if fmt in ("text", "table") else sys.stderr
        stream.write(plain.check_line(result) + "\n")
    if result.check_ok is False:
        raise typer.Exit(1)
    if getattr(result, "check_refusal", ""):  # no verdict is not a failure, nor a pass
        raise typer.Exit(2)


def _derivative(kind: str, doc: str):
    def command(
        expr: Expr,
        wrt: Wrt,
        let: Let = None,
        layout: Layout = "mixed",
        fmt: Format = "text",
        at: At = None,
        check: Check = False,
        expand: Expand = False,
        vec: Vec = False,
        steps: Steps = False,
        standalone: Standalone = False,
        input: Input = "text",
        debug: Debug = False,
    ) -> None:
        flags = locals()

        def run() -> None:
            from . import api

            _check_format(fmt)
            emit(api.run(kind, _read(expr), wrt, Options.of(flags)), fmt, standalone)

        _guard(run, debug)

    command.__doc__ = doc
    return command


app.command(
    "grad",
    help=(
        'Gradient of a scalar expression.\n\nExample: matcalc grad "x.T*A*x" --let x:n --let A:n,n --wrt x'
    ),
)(_derivative("grad", "Gradient of a scalar expression."))
app.command(
    "jacobian",
    help=(
        "Jacobian of a vector expression (m×n in the mixed layout).\n\n"
        'Example: matcalc jacobian "[x1**2, x1*x2]" --wrt x'
    ),
)(_derivative("jacobian", "Jacobian of a vector expression."))
app.command(
    "hessian",
    help=(
        'Hessian of a scalar expression by a vector.\n\nExample: matcalc hessian "x.T*A*x" --let x:n --let A:n,n --wrt x'
    ),
)(_derivative("hessian", "Hessian of a scalar expression."))


def _product(kind: str):
    def command(
        expr: Expr,
        wrt: Wrt,
        v: V,
        let: Let = None,
        layout: Annotated[
            str, typer.Option("--layout", help="Accepted and ignored: vᵀJ / J v have one shape.")
        ] = "mixed",
        fmt: Format = "text",
        at: At = None,
        check: Check = False,
        expand: Expand = False,
        explain: Annotated[
            bool, typer.Option("--explain", help="Show vᵀJ as a weighted sum of rows.")
        ] = False,
        steps: Annotated[
            bool, typer.Option("--steps", help="hvp: show the gradient, then its differential.")
        ] = False,
        standalone: Standalone = False,
        input: Input = "text",
        debug: Debug = False,
    ) -> None:
        flags = locals()

        def run() -> None:
            from . import api

            _check_format(fmt)
            if explain and kind == "hvp":
                raise MatcalcError("--explain applies to vjp and jvp, not hvp")
            if steps and kind != "hvp":
                raise MatcalcError(
                    f"--steps applies to grad, jacobian, hessian and hvp, not {kind}"
                )
            emit(api.run(kind, _read(expr), wrt, Options.of(flags), v), fmt, standalone)
            if explain:
                text = api.explain(kind, _read(expr), wrt=wrt, v=v, let=let, at=at)
                sys.stdout.write(text + "\n")

        _guard(run, debug)

    return command


app.command(
    "vjp",
    help=(
        "Vector-Jacobian product vᵀJ, shaped like the variable: what PyTorch's y.backward(v) "
        'leaves in x.grad.\n\nExample: matcalc vjp "[x1**2, x1*x2]" --wrt x --v 1,1 --at x=[1,2]'
    ),
)(_product("vjp"))
app.command(
    "jvp",
    help=(
        "Jacobian-vector product J v (forward mode), shaped like the expression.\n\n"
        'Example: matcalc jvp "A*x" --let A:n,n --let x:n --let u:n --wrt x --v u'
    ),
)(_product("jvp"))
app.command(
    "hvp",
    help=(
        "Hessian-vector product H v (forward over reverse, H never formed), shaped like the "
        'variable.\n\nExample: matcalc hvp "x.T*A*x" --let A:n,n --let x:n --let u:n --wrt x --v u'
    ),
)(_product("hvp"))


@app.command(
    "chain",
    help=(
        "Chain rule through named steps: every factor with its shape, the product formula in the "
        "layout, backpropagation's adjoints δ for a scalar output, and a comparison with the "
        "direct derivative. --wrt may name several variables (W1,W2,v), each in any step.\n\n"
        'Example: matcalc chain "L = (y - t)**2/2" "y = v.T*s" "s = W2*z" "z = W1*x" '
        "--let x:n --let W1:n,n --let W2:n,n --let v:n --wrt W1,W2,v"
    ),
)
def chain_command(
    steps: Annotated[list[str], typer.Argument(help="Steps NAME = EXPR, in any order.")],
    wrt: Wrt,
    let: Let = None,
    layout: Layout = "mixed",
    fmt: Format = "text",
    check: Check = False,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode", help="forward or reverse: the order of the products and their cost."
        ),
    ] = None,
    standalone: Standalone = False,
    debug: Debug = False,
) -> None:
    flags = locals()

    def run() -> None:
        from . import api  # the CLI is a thin layer over the API (its limits included)

        _check_format(
            fmt, ("text", "latex", "table", "numpy", "json", "python", "torch", "jax"), "chain"
        )
        given = [_read(s) for s in steps]
        options = Options.of(flags, besides=["steps"])  # the steps NAME = EXPR, not --steps
        result = api.run("chain", given, wrt, options)
        from .render.chain import parts, render_chain

        out = render_chain(result, fmt)
        if standalone and fmt == "latex":
            from .render.plain import standalone as wrap

            out = wrap(out)
        sys.stdout.write(out + "\n")
        if result.check_error is not None and fmt != "json":
            from .render.plain import check_line

            sys.stdout.write(check_line(result) + "\n")
        differs = any(x.chain.agreement.startswith("DIFFERS") for x in parts(result))
        if differs or result.check_ok is False:
            raise typer.Exit(1)
        if getattr(result, "check_refusal", ""):  # no verdict is not a failure, nor a pass
            raise typer.Exit(2)

    _guard(run, debug)


@app.command(
    "cost",
    help=(
        "Cost of multiplying a chain of Jacobians left-to-right (reverse mode), right-to-left "
        "(forward mode) and in the optimal order.\n\nExample: matcalc cost 2x2 2x2 2x2 2x2 2x1\n\n"
        'From a chain: matcalc cost --from-chain "y = tanh(W*z)" "z = A*x" --let x:3 --let A:4,3 '
        "--let W:2,4 --wrt x"
    ),
)
def cost_command(
    shapes: Annotated[
        list[str],
        typer.Argument(help="Factor shapes RxC (or N for a column); with --from-chain, steps."),
    ],
    from_chain: Annotated[
        bool,
        typer.Option("--from-chain", help="Take the factors of a chain's steps (integer sizes)."),
    ] = False,
    wrt: Annotated[
        str | None, typer.Option("--wrt", help="With --from-chain: the variable.")
    ] = None,
    let: Let = None,
    fmt: CostFormat = "text",
    debug: Debug = False,
) -> None:
    def run() -> None:
        import json

        from .derive.cost import chain_shapes, cost, parse_shape

        _check_format(fmt, ("text", "json"), "cost")
        if from_chain:
            if not wrt:
                raise MatcalcError("cost --from-chain needs --wrt")
            paths = chain_shapes([_read(s) for s in shapes], wrt, let)
        else:
            paths = [([], [parse_shape(s) for s in shapes])]
        results = [(names, cost(factors)) for names, factors in paths]
        if len(results) == 1:
            out = results[0][1]
            sys.stdout.write((json.dumps(out.as_json()) if fmt == "json" else out.text()) + "\n")
        elif fmt == "json":
            sys.stdout.write(
                json.dumps({"paths": [{"steps": n, **c.as_json()} for n, c in results]}) + "\n"
            )
        else:
            blocks = [
                f"path {k + 1} of {len(results)}: {' → '.join(n)}\n{c.text()}"
                for k, (n, c) in enumerate(results)
            ]
            sys.stdout.write("\n".join(blocks) + "\n")

    _guard(run, debug)


@app.command(
    "show",
    help=(
        "The expression itself, parsed and shape-checked: to turn a formula into LaTeX or NumPy, "
        'or to evaluate it with --at.\n\nExample: matcalc show "x\'*A*x" --let x:n --let A:n,n --format latex'
    ),
)
def show_command(
    expr: Expr,
    let: Let = None,
    fmt: Format = "text",
    at: At = None,
    standalone: Standalone = False,
    input: Input = "text",
    debug: Debug = False,
) -> None:
    flags = locals()

    def run() -> None:
        from . import api

        _check_format(fmt)
        emit(api.run("show", _read(expr), None, Options.of(flags)), fmt, standalone)

    _guard(run, debug)


@app.command("selfcheck", help="Check the built-in identity table numerically, in every layout.")
def selfcheck_command(debug: Debug = False) -> None:
    def run() -> None:
        from .selfcheck import selfcheck

        report, ok = selfcheck()
        sys.stdout.write(report + "\n")
        if not ok:
            raise typer.Exit(1)

    _guard(run, debug)


@app.command(
    "serve",
    help=(
        "A local page: type an expression, see its derivative typeset, copy the LaTeX and the "
        "code (docs/serve.md). Each query runs in a worker within the CLI's limits. Ctrl-C "
        "stops it (exit 130).\n\nExample: matcalc serve --port 8000"
    ),
)
def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind: 127.0.0.1 unless you say otherwise.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 8000,
    debug: Debug = False,
) -> None:
    def run() -> None:
        from .serve import serve

        if not 0 <= port <= 65535:
            raise MatcalcError(f"--port is a number from 0 to 65535, not {port}")
        if not host.strip():  # the socket layer would read "" as every interface
            raise MatcalcError("--host is empty; name an address (0.0.0.0 is every interface)")
        try:
            serve(host, port)
        except OSError as err:  # a port in use, an address that is not this machine's
            raise MatcalcError(
                f"cannot serve on {quote(host)} port {port}: {err.strerror}"
            ) from None

    _guard(run, debug)


def version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"matcalc {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Symbolic matrix calculus on the command line."""


_VALUED = {"--wrt", "--let", "--layout", "--format", "-f", "--at", "--v", "--input", "--mode"}
_FLAGS = {"-f", "-h"}


def protect_expression(argv: list[str]) -> list[str]:
    """An EXPR that starts with '-' (`-sum(log(b - A*x))`) is an expression, not an option
    (SPEC §1 v2): it gets a leading space, which the option parser leaves alone."""
    out = list(argv)
    i = 2  # after the program and the command
    while i < len(out):
        a = out[i]
        if a in _VALUED:
            i += 2
            continue
        if a.startswith("--") or a in _FLAGS or ("=" in a and a.startswith("--")):
            i += 1
            continue
        if a.startswith("-") and a != "-":
            out[i] = " " + a
        if not a.startswith("-") or a == "-" or out[i].startswith(" "):
            break
        i += 1
    return out


def main() -> None:
    """Entry point: each command runs in a bounded worker process (see budget.py)."""
    sys.argv = protect_expression(sys.argv)
    if _fill_closed_streams():
        sys.stderr.write("error: standard output is closed; there is nowhere to print the answer\n")
        sys.exit(2)
    serving = sys.argv[1:2] == ["serve"]  # it bounds each query in a worker of its own
    if os.environ.get("MATCALC_NO_WORKER") or not hasattr(os, "fork") or serving:
        code = run_app()
        _flush_stdout()
        sys.exit(code)
    from .budget import supervise

    code = supervise(run_app)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the worker did the work; tearing down SymPy here would only cost time


def _fill_closed_streams() -> bool:
    """Put /dev/null on a closed standard stream (`<&-`, `>&-`, `2>&-`), so that no file or pipe
    opened later takes its number; stdin stays None (`-` then says so). True if stdout was closed."""
    closed = [fd for fd, stream in enumerate((sys.stdin, sys.stdout, sys.stderr)) if stream is None]
    for fd in closed:
        try:
            os.fstat(fd)
            continue  # open after all (a host set the stream to None): not ours to replace
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if 2 in closed:
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    if 1 in closed:
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        return True
    return False


def _flush_stdout() -> None:
    """Flush stdout; a reader that has gone (`| head -1`) is not an error: the rest is dropped."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    """Send what is left for stdout to /dev/null (after a broken pipe), so no later flush fails."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def _usage_error_types() -> tuple[type[Exception], ...]:
    """Typer's usage errors: click's ClickException (Typer < 0.25) or TyperException (newer)."""
    found: list[type[Exception]] = []
    if hasattr(typer, "TyperException"):
        found.append(typer.TyperException)
    try:
        import click

        found.append(click.ClickException)
    except ImportError:
        pass
    return tuple(found)


def run_app() -> int:
    """Typer's own usage errors also become one line and exit 2."""
    from .budget import memory_message

    out_of_memory = memory_message()
    try:
        code = app(standalone_mode=False)
    except typer.Exit as done:
        code = done.exit_code
    except typer.Abort as err:  # Click's answer to Ctrl-C outside a command, and to EOF
        interrupted = isinstance(err.__cause__, KeyboardInterrupt)
        sys.stderr.write(f"{INTERRUPTED if interrupted else 'error: aborted'}\n")
        code = 130 if interrupted else 1
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        code = 130
    except BrokenPipeError:  # the reader of stdout has gone: silent, exit 1, as Click does it
        _drop_stdout()
        code = 1
    except _usage_error_types() as err:
        ctx = getattr(err, "ctx", None)
        if type(err).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            code = 0
        else:
            sys.stderr.write(f"error: {shown(err.format_message())}\n")
            code = 2
    except InternalError as err:
        sys.stderr.write(f"internal error: {shown(str(err))}\n")
        code = 1
    except MemoryError:
        os.write(2, out_of_memory)
        code = 2
    return code if isinstance(code, int) else 0
