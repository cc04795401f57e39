"""The house rules of docs/design.md, read off the code's own imports (every `import` and `from …
import`, also those inside functions, which are arrows all the same):

* stages run one way: errors/limits → syntax → expr → ops → derive/evaluate/simplify → the
  printers of expressions (render/printer, text, numpy, python) → result → the formats of a
  result (render/json, plain, rich_text, chain) → api → cli; a module imports only its own stage
  or stages below it;
* no import circle between modules;
* no module imports another module's private name.

What the code still breaks is listed in KNOWN (issue 20 removes it); a new arrow that breaks a
rule fails, and so does a listed one that is gone (strike it from the list: the ratchet only
tightens).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matcalc"

# Lower numbers are lower stages; the longest matching prefix decides.
STAGES = {
    "matcalc.errors": 0,
    "matcalc.limits": 0,
    "matcalc.budget": 0,
    "matcalc.syntax": 1,
    "matcalc.expr": 2,
    "matcalc.ops": 3,
    "matcalc.identities": 3,
    "matcalc.derive": 4,
    "matcalc.evaluate": 4,
    "matcalc.simplify": 4,
    "matcalc.render.printer": 5,
    "matcalc.render.text": 5,
    "matcalc.render.numpy": 5,
    "matcalc.render.python": 5,
    "matcalc.render.names": 5,
    "matcalc.render.backends": 5,
    "matcalc.render.cost": 5,
    "matcalc.result": 6,
    "matcalc.render": 7,  # the formats of a result: json, plain, rich_text, chain, render()
    "matcalc.api": 8,
    "matcalc.selfcheck": 9,
    "matcalc": 9,  # the package's __init__: the public API
    "matcalc.cli": 10,
    "matcalc.__main__": 11,
}

KNOWN_UPHILL = {
    ("matcalc.expr.build", "matcalc.ops"),
    ("matcalc.expr.decls", "matcalc.ops"),
    ("matcalc.expr.node", "matcalc.render.text"),
    ("matcalc.ops.arith", "matcalc.render.numpy"),
    ("matcalc.ops.arith", "matcalc.render.text"),
    ("matcalc.ops.linalg", "matcalc.render.numpy"),
}
KNOWN_CIRCLES = {
    frozenset(
        {
            "matcalc.expr.node",
            "matcalc.expr.registry",
            "matcalc.render.names",
            "matcalc.render.printer",
            "matcalc.render.text",
        }
    ),
    frozenset(
        {
            "matcalc.ops.arith",
            "matcalc.ops.elementwise",
            "matcalc.ops.leaves",
            "matcalc.ops.linalg",
            "matcalc.ops.reductions",
            "matcalc.ops.structure",
        }
    ),
}
KNOWN_PRIVATE = {
    ("matcalc.ops.structure", "matcalc.ops.arith", "_expand_mul"),
    ("matcalc.ops.elementwise", "matcalc.ops.arith", "_product_rule"),
    ("matcalc.ops.elementwise", "matcalc.ops.linalg", "_flat"),
    ("matcalc.ops.linalg", "matcalc.ops.arith", "_product_rule"),
}


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(mods: dict[str, Path]) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """(importer, imported module) arrows and (importer, module, private name) uses."""
    arrows: set[tuple[str, str]] = set()
    private: set[tuple[str, str, str]] = set()
    for name, path in mods.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                arrows |= {(name, a.name) for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target not in mods:
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    arrows.add((name, sub if sub in mods else target))
                    if sub not in mods and a.name.startswith("_") and not a.name.startswith("__"):
                        private.add((name, target, a.name))
    return {(a, b) for a, b in arrows if a != b}, private


def stage(module: str) -> int:
    best = max((k for k in STAGES if module == k or module.startswith(k + ".")), key=len)
    return STAGES[best]


def circles(mods: dict[str, Path], arrows: set[tuple[str, str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    out_edges: dict[str, list[str]] = {m: [] for m in mods}
    for a, b in arrows:
        out_edges[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for root in mods:
        if root in index:
            continue
        work = [(root, iter(out_edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(out_edges[w])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.add(frozenset(comp))
    return found


@pytest.fixture(scope="module")
def graph():
    mods = modules()
    arrows, private = imports(mods)
    return mods, arrows, private


def test_every_module_has_a_stage(graph):
    mods, _, _ = graph
    assert all(stage(m) is not None for m in mods)


def test_imports_run_downhill(graph):
    _, arrows, _ = graph
    uphill = {(a, b) for a, b in arrows if stage(b) > stage(a)}
    assert uphill - KNOWN_UPHILL == set(), "new uphill imports"
    assert KNOWN_UPHILL - uphill == set(), "fixed: strike these from KNOWN_UPHILL"


def test_no_new_import_circle(graph):
    mods, arrows, _ = graph
    found = circles(mods, arrows)
    assert found - KNOWN_CIRCLES == set(), "new import circles"
    assert KNOWN_CIRCLES - found == set(), "fixed: strike these from KNOWN_CIRCLES"


def test_no_private_name_crosses_a_module(graph):
    _, _, private = graph
    assert private - KNOWN_PRIVATE == set(), "new imports of private names"
    assert KNOWN_PRIVATE - private == set(), "fixed: strike these from KNOWN_PRIVATE"


def test_the_walker_sees_a_circle_and_an_uphill_arrow():
    """The rules can fail: a made-up circle and an arrow from syntax up to render are seen."""
    mods = {"matcalc.syntax.a": Path(), "matcalc.render.b": Path(), "matcalc.syntax.c": Path()}
    arrows = {("matcalc.syntax.a", "matcalc.syntax.c"), ("matcalc.syntax.c", "matcalc.syntax.a")}
    assert circles(mods, arrows) == {frozenset({"matcalc.syntax.a", "matcalc.syntax.c"})}
    assert stage("matcalc.render.b") > stage("matcalc.syntax.a")
