"""Shared helpers: run the CLI in-process, and evaluate NumPy output as the SPEC says."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli(*args, stdin=None) -> (exit code, stdout, stderr), through matcalc.cli.main."""
    from matcalc.cli import main

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["matcalc", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        monkeypatch.setenv("MATCALC_PLAIN", "1")
        monkeypatch.setenv("MATCALC_NO_WORKER", "1")
        try:
            main()
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def numpy_values(point, decls) -> dict[str, object]:
    """SPEC §4 values: vectors 1-D, matrices 2-D, scalars floats, dimension names bound."""
    out: dict[str, object] = {}
    for name, arr in point.values.items():
        decl = decls.get(name)
        out[name] = arr[:, 0].copy() if decl is not None and decl.shape[1] == 1 else arr.copy()
    for s, v in point.symvals.items():
        if "[" not in s.name:
            out[s.name] = v
    for d, k in point.dims.items():
        out[str(d)] = k
    return out


def as_layout_array(value: object) -> np.ndarray:
    """A 2-D result as the NumPy format shapes it: row or column vectors 1-D."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 2 and (a.shape[0] == 1 or a.shape[1] == 1) and a.size >= 1:
        return a.reshape(-1) if a.shape != (1, 1) else a.reshape(())
    return a
