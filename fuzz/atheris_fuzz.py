"""Coverage-guided fuzzing of the parser, the derivation and the printers with atheris (`make fuzz`).

Every input must end as the command line would end it: a result, a MatcalcError, or one of the
CLI's own limits — its memory limit (RLIMIT_AS, a MemoryError here) and its wall-clock limit (an
alarm here). Anything else is a crash atheris keeps; an input that ignores the alarm is a timeout.
    .venv/bin/python fuzz/atheris_fuzz.py -max_total_time=60
"""

from __future__ import annotations

import resource
import signal
import sys

import atheris

with atheris.instrument_imports():
    import matcalc
    from matcalc.errors import MatcalcError

MEMORY_BYTES = 3 * 1024**3  # above the CLI's 2 GB: the interpreter and libFuzzer need some
WALL_SECONDS = 20  # the CLI's MATCALC_TIMEOUT default


class Stopped(Exception):
    """The wall-clock limit, as the CLI's supervisor would stop the worker."""


def _stop(signum, frame):
    raise Stopped


LETS = (
    ["x:n", "y:n", "A:n,n", "B:n,m", "S:n,n,sym"],
    ["x:3", "y:3", "A:3,3", "B:3,2", "t:1"],
)
KINDS = ("grad", "jacobian", "hessian", "vjp", "jvp", "show")
WRT = ("x", "A", "t", "x1", "B", "S", "x1,x2")
LAYOUTS = ("mixed", "numerator", "denominator")


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    kind = KINDS[fdp.ConsumeIntInRange(0, len(KINDS) - 1)]
    let = LETS[fdp.ConsumeIntInRange(0, 1)]
    wrt = WRT[fdp.ConsumeIntInRange(0, len(WRT) - 1)]
    layout = LAYOUTS[fdp.ConsumeIntInRange(0, 2)]
    flags = fdp.ConsumeIntInRange(0, 7)
    text = fdp.ConsumeUnicodeNoSurrogates(200)
    source = "latex" if flags & 4 else "text"  # half the inputs go through the LaTeX reader
    signal.alarm(WALL_SECONDS)
    try:
        if kind == "show":
            r = matcalc.show(text, let=let, input=source)
        elif kind in ("vjp", "jvp"):
            r = getattr(matcalc, kind)(
                text, wrt=wrt, v="y", let=let, expand=bool(flags & 1), input=source
            )
        else:
            r = getattr(matcalc, kind)(
                text,
                wrt=wrt,
                let=let,
                layout=layout,
                expand=bool(flags & 1),
                vec=bool(flags & 2),
                input=source,
            )
        r.text()
        r.latex()
        r.numpy()
    except MatcalcError as err:
        if err.message.startswith("internal"):  # a bug reported as a message is still a bug
            raise
    except (MemoryError, Stopped):  # the CLI's memory and wall-clock limits
        pass
    finally:
        signal.alarm(0)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGALRM, _stop)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
