"""The names generated code uses, in one place: the user's names (variables, dimensions) are
taken first and kept as written; every name the code itself introduces — module aliases,
temporaries, loop variables — is chosen fresh against them, so no user name can shadow a module
or a builtin, or be overwritten by a temporary. Every code format (numpy, python, and any later
one) prints through a `Namespace`.

While printing, a user's name is wrapped in two control characters no identifier contains, so
that `finish` tells the printed names from the templates' own words (`np.`, `float`) exactly."""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Iterable

OPEN, CLOSE = "\x00", "\x01"  # around a user's name in code not yet finished
# How the print rules name a module → what code imports. SciPy (SPEC §7.2) is imported only
# by code that calls it: `scipy.linalg.expm_frechet`, `scipy.special.ndtr` (SciPy 1.11+ loads
# the submodules on first use).
MODULES = {"np": "numpy", "scipy": "scipy"}
_NAMED = re.compile(f"{OPEN}([^{CLOSE}]*){CLOSE}")
_MODULE = re.compile(r"(?<![\w.])(" + "|".join(MODULES) + r")\.")
_FLOAT = re.compile(r"(?<![\w.])float\b")  # the one builtin the NumPy print rules use


class Namespace:
    """The user's names, and fresh names for what generated code adds beside them."""

    def __init__(self, user: Iterable[str], spelled: dict[str, str] | None = None):
        self.spelled = dict(spelled or {})  # a variable's name in code, if not its own (x1: x_1)
        self.user = {self.spelled.get(u, u) for u in user} | set(self.spelled)
        self.taken = self.user | set(keyword.kwlist) | set(keyword.softkwlist)
        self.modules: dict[str, str] = {}  # module name as the print rules write it → alias
        self.translate = None  # a framework's spelling of the rules' NumPy (render/backends.py)
        self._temps = 0

    def fresh(self, want: str) -> str:
        """`want`, or `want_1`, `want_2`, … : the first that no name in this code has."""
        for name in itertools.chain([want], (f"{want}_{k}" for k in itertools.count(1))):
            if name not in self.taken:
                self.taken.add(name)
                return name
        raise AssertionError("unreachable")

    def temporary(self, prefix: str = "_t") -> str:
        """The next of `_t0`, `_t1`, … that no name in this code has."""
        while f"{prefix}{self._temps}" in self.taken:
            self._temps += 1
        self.taken.add(f"{prefix}{self._temps}")
        return f"{prefix}{self._temps}"

    def module(self, rules_name: str, want: str | None = None) -> str:
        """The alias under which the code reaches a module that print rules call `rules_name`."""
        if rules_name not in self.modules:
            self.modules[rules_name] = self.fresh(want or rules_name)
        return self.modules[rules_name]

    def spell(self, user_name: str) -> str:
        """A user's name as the finished code writes it."""
        return self.spelled.get(user_name, user_name)

    def name(self, user_name: str) -> str:
        """A user's name while printing (finished to its spelling by `finish`)."""
        return f"{OPEN}{user_name}{CLOSE}"

    def finish(self, code: str, translate: bool = True) -> str:
        """Printed code made final: the templates' calls in the framework's spelling, their
        module prefixes as this code's aliases, the builtin `float` as the module's (a user
        may name a variable `float`), user names spelled."""
        parts = _NAMED.split(code)
        np_alias = self.module("np")
        for i in range(0, len(parts), 2):  # the print rules' own text
            text = parts[i] if self.translate is None or not translate else self.translate(parts[i])
            text = _MODULE.sub(lambda m: self.module(m.group(1)) + ".", text)
            parts[i] = _FLOAT.sub(f"{np_alias}.float64", text)
        for i in range(1, len(parts), 2):  # a user's name
            parts[i] = self.spell(parts[i])
        return "".join(parts)


def user_names(trees: list, decls=None) -> set[str]:
    """Every variable and dimension name of the trees (in shapes and constants) and of the
    declarations: the names generated code must leave to the user."""
    from ..expr.node import postorder

    out: set[str] = set(decls.items) | set(decls.dims()) if decls is not None else set()
    for n in postorder(trees):
        if n.is_variable:
            out.add(n.data[0])
        symbols = [s for d in n.shape for s in d.free_symbols]
        if n.is_number:
            symbols += n.data.free_symbols
        out |= {s.name for s in symbols}
    return out


def spellings(source: str, family: Iterable[str]) -> dict[str, str]:
    """How the user wrote each indexed scalar: x1 as `x_1` when `x_1` is how it is written, and
    never `x1` (written both ways, it is x1); `x[1]` and `x₁` are not Python names: x1."""
    from ..errors import MatcalcError
    from ..syntax.lexer import tokenize
    from ..syntax.names import FAMILY

    wanted = set(family)
    try:
        tokens = tokenize(source)
    except MatcalcError:
        return {}
    written: dict[str, list[str]] = {}
    for tok in tokens:
        m = FAMILY.match(tok.text) if tok.kind == "name" and not tok.sub else None
        canonical = f"{m.group(1)}{int(m.group(2))}" if m else None
        if canonical in wanted:
            written.setdefault(canonical, []).append(tok.text)
    return {k: v[0] for k, v in written.items() if k not in v}
