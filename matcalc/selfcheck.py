"""`matcalc selfcheck`: the identity table, every layout, against finite differences."""

from __future__ import annotations

from . import api
from .identities import IDENTITIES
from .options import LAYOUTS


def selfcheck() -> tuple[str, bool]:
    """One line per identity with its worst error over the layouts; ok when all pass."""
    lines = []
    ok = True
    for ident in IDENTITIES:
        worst, passed, text = 0.0, True, ""
        for layout in LAYOUTS:
            r = getattr(api, ident.kind)(
                ident.expr, wrt=ident.wrt, let=list(ident.let), layout=layout, check=True
            )
            worst = max(worst, r.check_error or 0.0)
            passed = passed and bool(r.check_ok)
            text = text or r.text()
        ok = ok and passed
        lines.append(
            f"{'ok  ' if passed else 'FAIL'} {ident.ref:10} {worst:8.1e}  {ident.kind} {ident.expr}  →  {text}"
        )
    lines.append(
        f"{sum(1 for x in lines if x.startswith('ok'))} of {len(IDENTITIES)} identities pass in all 3 layouts"
    )
    return "\n".join(lines), ok
