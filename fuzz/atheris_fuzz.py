"""Coverage-guided fuzzing of the parser, the derivation and the printers with atheris (`make fuzz`).

Every input must end in a result or a MatcalcError that is not an internal one; anything else is
a crash atheris keeps. An input slower than the CLI's wall-clock limit (`-timeout`) or larger than
its memory limit (`-rss_limit_mb`) is kept too: the CLI would stop it cleanly, but it is a finding.
libFuzzer itself writes each finding, from its own SIGALRM timer and memory watch: the harness sets
no alarm, no signal handler and no rlimit, which would stop the process before the file is written.
`make fuzz` runs it through fuzz/campaign.py, which keeps every finding in fuzz/findings/.
    .venv/bin/python fuzz/atheris_fuzz.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import matcalc
    from matcalc.errors import MatcalcError

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


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
