"""The house rules of docs/design.md, read off the code's own imports (every `import` and `from …
import`, also those inside functions, which are arrows all the same):

* stages run one way: errors/limits → options/syntax → expr → ops (base → explicit → the families
  side by side → rules) → reader → derive/evaluate/simplify → the printers of expressions
  (render/printer, text, numpy, products, python) → result → the formats of a result
  (render/json, plain, rich_text, chain) → api → cli; a module imports only its own stage or
  stages below it, and an operator family never imports another;
* no import circle between modules;
* no module imports another module's private name;
* outside matcalc/ops/, no code compares a node's `.op` with a registered operator's name: it
  asks the node or its entry (docs/design.md, "What the rest of matcalc asks of an entry").

The KNOWN sets list tolerated breaches; issue 20 emptied them (KNOWN_OP_NAMES keeps the
comparisons of two code-format modules, each with its reason). A new arrow that breaks a rule
fails, and so does a listed one that is gone (strike it from the list: the ratchet only
tightens). No module is longer than 700 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matcalc"

FAMILIES = 3.4  # the stage of the operator families (ops/arith.py, linalg.py, ...)

# Lower numbers are lower stages; the longest matching prefix decides.
STAGES = {
    "matcalc.errors": 0,
    "matcalc.limits": 0,
    "matcalc.budget": 0,
    "matcalc.options": 1,  # the options every command shares: above errors, below everything else
    "matcalc.syntax": 1,
    "matcalc.expr": 2,
    # inside ops: base (constructors, shared helpers) → explicit → the families, which never
    # import each other → rules → the package's __init__
    "matcalc.ops.base": 3.2,
    "matcalc.ops.explicit": 3.3,
    "matcalc.ops.broadcasting": 3.3,  # SPEC §7.1: a vector beside a matrix, for the reader and ⊙
    "matcalc.ops.leaves": FAMILIES,
    "matcalc.ops.arith": FAMILIES,
    "matcalc.ops.elementwise": FAMILIES,
    "matcalc.ops.linalg": FAMILIES,
    "matcalc.ops.kronecker": FAMILIES,
    "matcalc.ops.reductions": FAMILIES,
    "matcalc.ops.extrema": FAMILIES,  # max and min of the entries or of each row (SPEC §7.1)
    "matcalc.ops.structure": FAMILIES,
    "matcalc.ops.matfun": FAMILIES,  # SPEC §7.2: expm, logm, sqrtm and their Fréchet derivatives
    "matcalc.ops.decomp": FAMILIES,  # chol, eig, λ_max, λ_min, solve
    "matcalc.ops.powers": FAMILIES,  # Xᵏ with a symbolic k
    "matcalc.ops.rules": 3.5,  # the rewrites that relate operators of different families
    "matcalc.ops.textbook": 3.5,  # the textbook forms the simplifier names (σ(u)): cross-family too
    "matcalc.ops": 3.9,
    "matcalc.indexing": 3.94,  # the reader's indices and slices (x1, x[2:n], A[i,j])
    "matcalc.reader": 3.95,  # syntax tree → expression, through the operators' constructors
    "matcalc.calls": 3.95,  # the reader's calls with an axis, max/min of two operands (a mixin)
    "matcalc.identities": 3,
    "matcalc.derive": 4,
    "matcalc.evaluate": 4,
    "matcalc.simplify": 4,
    "matcalc.render.printer": 5,
    "matcalc.render.text": 5,
    "matcalc.render.numpy": 5,
    "matcalc.render.products": 5,
    "matcalc.render.python": 5,
    "matcalc.render.names": 5,
    "matcalc.render.where": 5,  # the where clause of a printed answer (SPEC §7.3)
    "matcalc.render.backends": 5,
    "matcalc.render.cost": 5,
    "matcalc.result": 6,
    "matcalc.render": 7,  # the formats of a result: json, plain, rich_text, chain, render()
    "matcalc.api": 8,
    "matcalc.selfcheck": 9,
    "matcalc.serve": 9,  # the page and its JSON API: over the public API and the renderers
    "matcalc": 9,  # the package's __init__: the public API
    "matcalc.cli": 10,
    "matcalc.__main__": 11,
}

KNOWN_UPHILL: set[tuple[str, str]] = set()
KNOWN_CIRCLES: set[frozenset[str]] = set()
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()


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


def test_operator_families_do_not_import_each_other(graph):
    """What two families share lives below them (ops/base.py, ops/explicit.py)."""
    _, arrows, _ = graph
    families = {m for m in STAGES if m.startswith("matcalc.ops.") and STAGES[m] == FAMILIES}
    assert {(a, b) for a, b in arrows if a in families and b in families} == set()


def test_no_new_import_circle(graph):
    mods, arrows, _ = graph
    found = circles(mods, arrows)
    assert found - KNOWN_CIRCLES == set(), "new import circles"
    assert KNOWN_CIRCLES - found == set(), "fixed: strike these from KNOWN_CIRCLES"


def test_no_private_name_crosses_a_module(graph):
    _, _, private = graph
    assert private - KNOWN_PRIVATE == set(), "new imports of private names"
    assert KNOWN_PRIVATE - private == set(), "fixed: strike these from KNOWN_PRIVATE"


MAX_LINES = 700  # a module a newcomer reads in one sitting (STYLE.md: small files)


def test_every_module_is_at_most_700_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"over {MAX_LINES} lines: split by family or purpose"


def test_the_walker_sees_a_circle_and_an_uphill_arrow():
    """The rules can fail: a made-up circle and an arrow from syntax up to render are seen."""
    mods = {"matcalc.syntax.a": Path(), "matcalc.render.b": Path(), "matcalc.syntax.c": Path()}
    arrows = {("matcalc.syntax.a", "matcalc.syntax.c"), ("matcalc.syntax.c", "matcalc.syntax.a")}
    assert circles(mods, arrows) == {frozenset({"matcalc.syntax.a", "matcalc.syntax.c"})}
    assert stage("matcalc.render.b") > stage("matcalc.syntax.a")


def test_a_node_prints_as_the_text_the_user_types():
    """Node.__repr__ needs no printer import: render/printer.py installs the text printer, so a
    node named in a message or a failing test still reads `A x`."""
    import sympy as sp

    from matcalc.expr.node import var
    from matcalc.ops import matmul, transpose

    three, one = sp.Integer(3), sp.Integer(1)  # dimensions are SymPy integers (expr/node.py)
    a, x = var("A", (three, three)), var("x", (three, one))
    assert repr(matmul(transpose(x), a, x)) == "xᵀ A x"
    assert f"{transpose(a)}" == "Aᵀ"


def test_a_family_rewrite_mentions_only_its_family_and_arithmetic():
    """A rewrite that builds or inspects another family's operator lives in ops/rules.py (which
    attaches it to its entry); a family's own rewrites use its own operators, the constants, the
    arithmetic (sums, scalar products, powers) and the transpose, read off each rewrite's code:
    the operator names it compares with and the constructors it calls, through the helpers it
    calls."""
    import types

    from matcalc.expr.registry import OPS
    from matcalc.ops import base

    family = {}  # operator → the module that registers it
    for path in (PACKAGE / "ops").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("Op", "elementwise", "deflinear")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                family[node.args[0].value] = path.stem
    # the constants, the arithmetic, and ᵀ, which every canonical form pushes to the leaves
    common = {name for name, module in family.items() if module in ("leaves", "arith")} | {"T"}

    def mentioned(fn, seen) -> set[str]:
        """Operator names in fn's code, its nested code, its closure, and what it calls in its
        own module or in ops/base.py."""
        if fn in seen or not isinstance(fn, types.FunctionType):
            return set()
        seen.add(fn)
        out: set[str] = set()
        codes = [fn.__code__]
        while codes:
            code = codes.pop()
            for c in code.co_consts:
                if isinstance(c, types.CodeType):
                    codes.append(c)
                elif isinstance(c, str) and c in family:
                    out.add(c)
            for name in code.co_names:
                g = fn.__globals__.get(name)
                if isinstance(g, types.FunctionType) and g.__module__ in (
                    fn.__module__,
                    base.__name__,
                ):
                    out |= mentioned(g, seen)
        for cell in fn.__closure__ or ():
            out |= mentioned(cell.cell_contents, seen)
        return out

    crossing = []
    for name, op in OPS.items():
        for rw in op.rewrites:
            if rw.fn.__module__.endswith(".rules"):
                continue
            other = {m for m in mentioned(rw.fn, set()) if m not in common}
            other = {m for m in other if family[m] != family[name]}
            if other:
                crossing.append((name, rw.doc, sorted(other)))
    assert crossing == [], "\n".join(map(str, crossing))


# ---------------------------------------------------------------- operator knowledge outside ops/

KNOWN_OP_NAMES: dict[tuple[str, str], str] = {
    # (module, operator name) → why it may compare a node's `.op` with that name outside ops/
    ("matcalc/expr/node.py", "num"): "the kinds of value, named once beside the node: is_number",
    ("matcalc/expr/node.py", "var"): "the kinds of value, named once beside the node: is_variable",
    ("matcalc/expr/node.py", "lit"): "the kinds of value, named once beside the node: is_literal",
}


def _strings(node: ast.AST, constants: dict[str, set[str]]) -> set[str]:
    """The strings an expression stands for: a constant, a tuple/list/set of constants (also
    inside frozenset(…)), or a module-level name bound to one of these."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_strings(e, constants) for e in node.elts))
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("frozenset", "set"):
        return set().union(*(_strings(a, constants) for a in node.args))
    if isinstance(node, ast.Name):
        return constants.get(node.id, set())
    return set()


def op_name_comparisons(path: Path, registered: set[str]) -> set[tuple[str, int]]:
    """(operator name, line) of each comparison of an `.op` attribute with a registered
    operator's name, written as a constant or a module-level name for one (`n.op == "add"`,
    `n.op in ("mul", "had")`, `n.op in _LEAVES`)."""
    tree = ast.parse(path.read_text())
    constants: dict[str, set[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    constants[t.id] = _strings(stmt.value, constants)
                elif isinstance(t, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                    for name, value in zip(t.elts, stmt.value.elts, strict=False):
                        if isinstance(name, ast.Name):
                            constants[name.id] = _strings(value, constants)
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if not any(isinstance(s, ast.Attribute) and s.attr == "op" for s in sides):
            continue
        for s in sides:
            found |= {(name, node.lineno) for name in _strings(s, constants) & registered}
    return found


@pytest.fixture(scope="module")
def op_comparisons() -> dict[tuple[str, str], list[int]]:
    """(module, operator name) → lines, for every module outside matcalc/ops/."""
    from matcalc.expr.registry import OPS

    out: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith("matcalc/ops/"):
            continue
        for name, line in sorted(op_name_comparisons(path, set(OPS))):
            out.setdefault((rel, name), []).append(line)
    return out


def test_operator_knowledge_outside_ops_is_asked_of_the_entries(op_comparisons):
    """Outside ops/, code asks a node or its entry (`n.is_number`, `registry.role(n)`,
    `OPS[n.op].chain`, an entry's `forms`) instead of comparing `n.op` with an operator's name:
    such a comparison is a rule the registry's completeness test never sees, which a new
    operator silently misses."""
    new = {k: v for k, v in op_comparisons.items() if k not in KNOWN_OP_NAMES}
    assert new == {}, "ask the entry (a field or a predicate; docs/design.md), not the name"
    gone = set(KNOWN_OP_NAMES) - set(op_comparisons)
    assert gone == set(), "fixed: strike these from KNOWN_OP_NAMES"


def test_the_walker_sees_a_comparison_with_an_operator_name(tmp_path):
    """The rule can fail: each way of writing the comparison is seen, and a string that names
    no operator, or a comparison of something else, is not."""
    code = tmp_path / "m.py"
    code.write_text(
        "LEAVES = {'num', 'var'}\n"
        "A, B = 'add', 'x'\n"
        "def f(n, op):\n"
        "    if n.op == 'matmul' or 'had' != n.args[0].op: pass\n"
        "    if n.op in ('mul', 'pow', '+') or n.op not in LEAVES or n.op == A: pass\n"
        "    if n.op == B or op == 'T' or n.kind == 'exp' or n.op == op: pass\n"
    )
    registered = {"num", "var", "add", "matmul", "had", "mul", "pow", "T", "exp"}
    assert op_name_comparisons(code, registered) == {
        ("matmul", 4),
        ("had", 4),
        ("mul", 5),
        ("pow", 5),
        ("num", 5),
        ("var", 5),
        ("add", 5),
    }
