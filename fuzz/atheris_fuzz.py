"""Coverage-guided fuzzing of the parser and the derivation with atheris (`make fuzz`).

Every input must end in a result or a MatcalcError; anything else is a crash atheris keeps.
    .venv/bin/python fuzz/atheris_fuzz.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import matcalc
    from matcalc.errors import MatcalcError

LET = ["x:n", "y:n", "A:n,n", "B:n,m"]
KINDS = ("grad", "jacobian", "hessian")


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    kind = KINDS[fdp.ConsumeIntInRange(0, len(KINDS) - 1)]
    wrt = ("x", "A", "t", "x1")[fdp.ConsumeIntInRange(0, 3)]
    text = fdp.ConsumeUnicodeNoSurrogates(200)
    try:
        getattr(matcalc, kind)(text, wrt=wrt, let=LET)
    except MatcalcError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
