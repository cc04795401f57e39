"""The operator registry: every entry is complete, every table is a view of it, and every
canonical rewrite and textbook form keeps the value — checked on its own, raw node against
rewritten node."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import matcalc
from matcalc.evaluate.numeric import evaluate
from matcalc.evaluate.points import valid_point
from matcalc.expr.decls import Decls
from matcalc.expr.node import LITERAL, NUMBER, VARIABLE, Node, var
from matcalc.expr.registry import ALL, FUNCTIONS, OPS, ROLES, missing_parts, raw_mode, role
from matcalc.reader import parse_expr

from .op_specs import INTERNAL, ROWS, references

REWRITES = [  # the canonical rewrites, then the textbook forms the simplifier names
    (name, i, rw) for name, op in OPS.items() for i, rw in enumerate([*op.rewrites, *op.forms])
]


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_entry_is_complete(name):
    """The entry has every part a format needs (registry.missing_parts), and the tests have what
    they need of it: an elementwise entry's reference row (the random tester draws it), a row
    for each language function, whose LaTeX reads back (a bare command it prints is one of the
    reader's names: the entry's `latex_names`)."""
    missing = missing_parts(OPS[name]) + missing_in_tests(name)
    assert missing == [], f"{name} lacks {missing}"


def rows_using(op) -> list:
    """The spec rows that call one of the entry's surface names."""
    names = "|".join(map(re.escape, op.names))
    pattern = re.compile(rf"(?<![A-Za-z0-9_])({names})\s*\(")
    return [row for row in ROWS if pattern.search(row.expr)]


def missing_in_tests(name: str) -> list[str]:
    op = OPS[name]
    out = []
    if op.entrywise and name not in references(ROWS):
        out.append("a reference row (ref=, domain=) in tests/op_specs.py")
    if not op.names or set(op.names) <= INTERNAL:
        return out
    rows = rows_using(op)
    if not rows:
        out.append("a row in tests/op_specs.py")
    for row in rows[:1]:
        latex = matcalc.show(row.expr, let=list(row.let)).latex()
        try:
            matcalc.show(latex, input="latex", let=list(row.let))
        except matcalc.MatcalcError as err:
            out.append(f"a LaTeX name the reader knows (latex_names): {latex} gives {err}")
    return out


def test_completeness_sees_a_missing_reference_row(monkeypatch):
    """An elementwise entry without a reference row is incomplete, and so is the random tester."""
    from tests import randexpr

    monkeypatch.setattr(OPS["tanh"], "entrywise", True)
    rows = [row for row in ROWS if row.id != "tanh"]
    monkeypatch.setattr(sys.modules["tests.op_specs"], "ROWS", rows)
    monkeypatch.setattr(sys.modules[__name__], "ROWS", rows)
    assert "a reference row (ref=, domain=) in tests/op_specs.py" in missing_in_tests("tanh")
    with pytest.raises(randexpr.MissingReference, match="tanh"):
        randexpr.entrywise_functions()


def test_random_tester_draws_every_operator():
    """Every operator enters the random tester: an elementwise entry with its reference row, a
    matrix operator through its spec rows used as templates, the grammar's own operators by
    hand (each with what it adds), or set aside as internal with a reason. A new operator with
    a row is drawn with no edit to tests/randexpr.py."""
    from tests import randexpr

    ways = [set(randexpr.FUNCTIONS), randexpr.TEMPLATE_OPS, set(randexpr.HAND)]
    drawn = set().union(*ways) | set(randexpr.INTERNAL) | set(randexpr.NOT_YET)
    assert sorted(set(OPS) - drawn) == [], "operators neither drawn nor internal with a reason"
    assert sorted(drawn - set(OPS)) == [], "names in tests/randexpr.py that are no operator"
    reasons = {**randexpr.HAND, **randexpr.INTERNAL, **randexpr.NOT_YET}
    assert all(reasons.values()), "a reason each"
    excused = set(randexpr.INTERNAL) | set(randexpr.NOT_YET)
    assert not excused & set().union(*ways), "internal or not drawn yet, yet drawn"


def test_random_tester_sees_an_operator_without_a_drawable_row(monkeypatch):
    """The check above can fail: remove logdet's rows and logdet is no longer drawn."""
    from tests import randexpr

    rows = [row for row in ROWS if "logdet" not in row.expr]
    monkeypatch.setattr(sys.modules["tests.op_specs"], "ROWS", rows)
    ops = frozenset().union(*(t.ops for t in randexpr.spec_templates()[0] if t.drawable))
    assert "logdet" not in ops and "det" in ops
    assert "logdet" in randexpr.TEMPLATE_OPS  # with its rows, it is


def test_completeness_sees_an_unreadable_latex_command(monkeypatch):
    monkeypatch.setattr(OPS["det"], "latex_names", ())
    assert any("LaTeX name" in m for m in missing_in_tests("det"))


def test_completeness_check_sees_a_missing_part(monkeypatch):
    """The completeness test can fail: an entry without its transpose rule is reported."""
    monkeypatch.setattr(OPS["tr"], "transpose", None)
    assert missing_parts(OPS["tr"]) == ["transpose"]


def test_every_role_is_held_by_one_entry():
    """The simplifier and the printers ask `role(n)` (registry.ROLES): each role is one entry's,
    no entry claims a role outside ROLES (a misspelt role would be one nobody asks for), and the
    kinds of value that nodes answer for (`is_number`, …) name registered entries."""
    holders: dict[str, list[str]] = {}
    for name, op in OPS.items():
        if op.role:
            holders.setdefault(op.role, []).append(name)
    assert {r: len(h) for r, h in holders.items()} == {r: 1 for r in ROLES}, holders
    assert OPS[NUMBER].leaf and OPS[VARIABLE].leaf and not OPS[LITERAL].leaf
    assert var("x").is_variable and not var("x").is_number


def test_the_roles_are_the_operations_they_name():
    """Each role's entry builds what its description says, read off the printed text."""
    d = Decls.parse(["A:n,n", "B:n,n", "u:n"])
    text = {
        "addition": "A + B",
        "scaling": "2 A",
        "matrix product": "A B",
        "entrywise product": "A ⊙ B",
        "power": "A⊙²",
        "transpose": "Aᵀ",
        "diagonal": "diag(u)",
        "all-ones": "ones(n)",
        "kronecker": "A ⊗ B",
        "inverse": "inv(A)",
        "row softmax": "softmax(A, 2)",
        "row log-sum-exp": "logsumexp(A, 2)",
    }
    for r, source in text.items():
        node = parse_expr(source, d)
        assert role(node) == r, (source, node.op)


def test_function_names_are_a_view_of_the_entries():
    """Every entry's surface names are language functions, and they build that entry."""
    for op in OPS.values():
        for name in op.names:
            assert name in FUNCTIONS, name
    d = Decls.parse(["A:n,n", "x:n"])
    assert parse_expr("Trace(A)", d) == parse_expr("tr(A)", d)
    assert parse_expr("ln(x)", d) == parse_expr("log(x)", d)


def test_a_domain_is_declared_where_one_is_needed():
    restricted = {
        "log",
        "arcsin",
        "arccos",
        "tan",
        "abs",
        "relu",
        "sign",
        "step",
        "inv",
        "logdet",
        "det",
        "pow",
    }
    for name in restricted:
        assert OPS[name].domain is not ALL, name


@pytest.mark.parametrize("name,i,rw", REWRITES, ids=[f"{n}-{i}" for n, i, _ in REWRITES])
def test_rewrite_keeps_the_value(name, i, rw):
    """Build the raw node (no rewrite) from the example's operands, apply this one rewrite,
    and compare values at random points with entries of both signs."""
    decls = Decls.parse(list(rw.let))
    args = tuple(parse_expr(a, decls) for a in rw.example)
    with raw_mode():
        before = _raw(name, args, rw.data)
    after = rw.fn(args, before.data)
    assert after is not None, (
        f"rewrite {rw.doc!r} of {name} did not fire on its example {rw.example}"
    )
    rng = np.random.default_rng(i)
    checked = 0
    for _ in range(3):
        pt = valid_point([before, after], decls, rng)
        if pt is None:
            continue
        a = np.asarray(evaluate(before, pt.values, pt.dims), dtype=float)
        b = np.asarray(evaluate(after, pt.values, pt.dims), dtype=float)
        assert a.shape == b.shape or a.size == b.size == 1, (rw.doc, a.shape, b.shape)
        assert np.allclose(a.reshape(b.shape), b, rtol=1e-9, atol=1e-9), (rw.doc, a, b)
        checked += 1
    assert checked, f"no point found for {rw.doc}"


def _raw(name: str, args: tuple[Node, ...], data: object = None) -> Node:
    return Node(name, args, data, OPS[name].shape(args, data))


def test_a_wrong_rewrite_is_caught():
    """The rewrite test can fail: a rewrite that drops a factor changes the value."""
    decls = Decls.parse(["A:n,n", "x:n"])
    args = (parse_expr("A", decls), parse_expr("x", decls))
    with raw_mode():
        before = _raw("matmul", args)
    wrong = args[1]  # "A x = x": not a valid rewrite
    pt = valid_point([before, wrong], decls, np.random.default_rng(0))
    a = np.asarray(evaluate(before, pt.values, pt.dims))
    b = np.asarray(evaluate(wrong, pt.values, pt.dims))
    assert not np.allclose(a, b)


def test_missing_rule_names_the_operator(monkeypatch):
    monkeypatch.setattr(OPS["logdet"], "jvp", None)
    with pytest.raises(matcalc.MatcalcError, match="no jvp rule for 'logdet'"):
        matcalc.grad("logdet(X)", wrt="X", let=["X:n,n"])


ENTRYWISE = sorted(name for name, op in OPS.items() if op.entrywise)


@pytest.mark.parametrize("name", ENTRYWISE)
def test_latex_of_every_function_reads_back(name):
    """The LaTeX reader's command names are a view of the entries: every elementwise function's
    LaTeX (a bare command such as \\sin, or \\operatorname{…}) reads back as that function."""
    shown = matcalc.show(f"{name}(t/3) + 1")
    back = matcalc.show(shown.latex(), input="latex")
    assert back.text() == shown.text(), shown.latex()


def test_latex_reader_reads_every_bare_command_an_entry_declares():
    """`\\det`, `\\ln`, `\\tr`: each entry's extra LaTeX names read as that entry."""
    from matcalc.expr.registry import latex_commands

    cmds = latex_commands()
    assert cmds[r"\ln"] == "log" and cmds[r"\det"] == "det" and cmds[r"\tr"] == "tr"
    d = ["X:n,n"]
    assert matcalc.show(r"\ln t + \det(X) + \tr X", input="latex", let=d).text() == (
        "log(t) + det(X) + tr(X)"
    )


UFUNC_ROWS = sorted(n for n, row in references(ROWS).items() if isinstance(row.ref, np.ufunc))


@pytest.mark.parametrize("name", UFUNC_ROWS)
def test_gradient_of_every_function_matches_autograd(name):
    """The tests' reference (conftest.ref_eval) knows every elementwise function whose row's
    reference is a NumPy ufunc, with no edit to conftest: matcalc's gradient of Σ f(x) agrees
    with autograd's, at a point inside the row's domain."""
    from .conftest import reference

    domain = references(ROWS)[name].domain
    x = {"all": np.array([0.7, -0.4, 1.1]), "positive": np.array([0.7, 0.4, 1.1])}.get(
        domain, np.array([0.3, -0.2, 0.4])
    )
    r = matcalc.grad(f"sum({name}(x))", wrt="x", let=["x:n"])
    got = eval(r.numpy(), {"np": np, "x": x, "n": 3})
    assert np.allclose(got, reference("grad", f"sum({name}(x))", "x", {"x": x}), rtol=1e-9)


@pytest.mark.parametrize(
    "build, reference",
    [
        ("vec", lambda a: a.flatten(order="F").reshape(-1, 1)),
        ("sum_", lambda a: a.sum()),
    ],
)
def test_expand_of_an_explicit_matrix_matches_numpy(build, reference):
    """`vec` and `sum` of an explicit 2×3 matrix, computed by their own `expand` rules, against
    NumPy (their rewrites live in ops/rules.py; their expansion does not)."""
    import sympy as sp

    from matcalc import ops
    from matcalc.evaluate.explicit import as_sympy, expand

    values = np.array([[1, 2, 3], [-4, 5, 7]])
    a = ops.var("A", (sp.Integer(2), sp.Integer(3)))
    explicit = ops.lit([[ops.num(int(v)) for v in row] for row in values])
    out = as_sympy(expand(getattr(ops, build)(a), {"A": explicit}))
    assert np.array(out, dtype=float).tolist() == np.array(reference(values), dtype=float).tolist()


def test_rewrites_attached_by_the_rule_set_keep_their_place():
    """ops/rules.py attaches the rewrites that relate two families; rewrites are tried in order
    (the first that applies wins), so each goes where it always was, not merely last."""
    assert [rw.doc for rw in OPS["T"].rewrites] == [
        "a scalar is its own transpose",
        "(Aᵀ)ᵀ = A",
        "symmetric: Sᵀ = S, 𝐈ᵀ = 𝐈, diag(x)ᵀ = diag(x)",
        "transposes move to the leaves",
    ]
    assert [rw.doc for rw in OPS["add"].rewrites] == [
        "sum of literals: entry by entry",
        "sum of block literals: block by block",
        "flatten, fold numbers, combine like terms",
    ]
    assert [rw.doc for rw in OPS["sum"].rewrites][-1].startswith("sum Aᵀ = sum A")
