"""Results that name what they repeat (SPEC §7.3): `Xᵀ (P - Y)/m  where P = softmax(…)`.

A book names a sub-expression it would otherwise write twice (GPML's α = K⁻¹y, Kalman's
S = H P Hᵀ + R), and keeps the names its reader gave. `where_clause` chooses the names: the
user's where names that the result holds, then, largest first, each sub-expression of at least
`MIN_CHARS` characters that would still be written at least twice, when naming it saves at least
`MIN_SAVED` characters. Fresh names collide with nothing the result, its declarations or the
user's names use. The definitions come each after the names it uses."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .. import ops as O
from ..errors import LimitError, MatcalcError
from ..expr.node import Node, postorder, var, written_size
from ..expr.registry import role
from ..syntax.lexer import WHERE, tokenize
from .printer import Printer, latex_name, text_name, to_text

MIN_CHARS = 13  # a shorter one is written out however often it occurs: diag(s) - s sᵀ, s = softmax(x) stays diag(softmax(x)) - softmax(x) softmax(x)ᵀ
MIN_SAVED = 12  # … and so is one whose name would save fewer characters
MAX_NAMES = 8
MAX_WRITTEN = 20_000  # operations written out: a larger answer is printed as it is (or refused)
MAX_NODES = 4000  # a larger result is printed as it is (choosing would cost more than it saves)
POOLS = {  # fresh names, as books choose them: capitals for matrices, small letters else
    "matrix": "P Q S U V G M B C D F".split(),
    "vector": "u v w z p q r s g h".split(),
    "scalar": "a b c d r s g h q".split(),
}


@dataclass
class Where:
    """A printed answer's names: `names` maps each named sub-expression to its name, `defs` is
    the where clause (name, definition) in dependency order."""

    names: dict[Node, str]
    defs: list[tuple[str, Node]]
    root: Node | None = None  # the answer as printed: user names' products grouped (K⁻¹ y → α)

    def spelled(self, fmt: str) -> dict[Node, str]:
        """What each named node prints as, its transpose too (vᵀ for (y - H m)ᵀ, which the
        tree holds as yᵀ - mᵀHᵀ)."""
        spell = text_name if fmt == "text" else latex_name
        mark = "ᵀ" if fmt == "text" else r"^{\top}"
        out = {}
        for n, name in self.names.items():
            t = twin(n)
            if t is not None:
                out[t] = spell(name) + mark
            out[n] = spell(name)
        return out


NONE = Where({}, [])


def twin(n: Node) -> Node | None:
    """The canonical transpose of a vector or matrix, when it is another node."""
    if n.is_scalar:
        return None
    try:
        t = O.transpose(n)
    except MatcalcError:
        return None
    return None if t == n else t


def written_counts(root: Node, defined: Iterable[Node], hidden: Iterable[Node] = ()) -> Counter:
    """How often each sub-expression is written when `defined` nodes print as their names and
    their definitions are written once each, and `hidden` ones (their transposes) as names."""
    defined, hidden = set(defined), set(hidden)
    count: Counter = Counter({root: 1})
    for n in reversed(postorder([root, *defined])):  # each node after every node that holds it
        times = 1 if n in defined else 0 if n in hidden else count[n]
        for a in n.args:
            count[a] += times
    return count


def _trivial(n: Node) -> bool:
    return not n.args or n.is_number or n.is_variable or n.is_literal or role(n) == "transpose"


def _kind(n: Node) -> str:
    if n.is_scalar:
        return "scalar"
    return "vector" if n.is_vector or n.is_row else "matrix"


def where_clause(root: Node, user: list[tuple[str, Node]] = (), taken: Iterable[str] = ()) -> Where:
    """The names the printed `root` uses: the user's first, then the shared sub-expressions."""
    if written_size(root) > MAX_WRITTEN:
        return NONE
    nodes = postorder([root])
    if len(nodes) > MAX_NODES:
        return NONE
    root = grouped(root, list(user))
    nodes = postorder([root])
    inside = set(nodes) - {root}
    where = Where({}, [])
    printed_names = {n.data[0] for n in nodes if n.is_variable}
    for name, node in user:
        held = node in inside or twin(node) in inside or name in printed_names
        if held and not _trivial(node) and node not in where.names:
            where.names[node] = name
    candidates = sorted(
        {_upright(n) for n in inside if not _trivial(n) and len(to_text(n)) >= MIN_CHARS},
        key=lambda n: -len(to_text(n)),
    )
    used = set(taken) | root.free() | {name for name, _ in user} | {WHERE, "e", "pi"}
    while len(where.names) < MAX_NAMES:
        spelled = where.spelled("text")
        count = written_counts(root, where.names, spelled)
        best, gain = None, (0, 0)
        for n in candidates:
            if len(to_text(n)) < gain[0]:  # written out in full, shorter than the best so far
                break
            if n in spelled:
                continue
            times = count[n] + (count[twin(n)] if twin(n) is not None else 0)
            length = _length(n, spelled) if times >= 2 else 0
            saved = times * length - (length + times + 4)
            if length >= MIN_CHARS and saved >= MIN_SAVED and (length, saved) > gain:
                best, gain = n, (length, saved)
        if best is None:
            break
        where.names[best] = _fresh(_kind(best), used | set(where.names.values()))
    if not where.names:
        return NONE
    return Where(where.names, _in_order(root, where.names), root)


def grouped(root: Node, user: list[tuple[str, Node]]) -> Node:
    """The tree with each run of factors that is a user's named product (or its transpose)
    replaced by the name, a print-only variable: K⁻¹ y yᵀ K⁻¹ prints α αᵀ for α = K⁻¹ y.
    The result's own tree is not changed."""
    runs: list[tuple[Node, Node]] = []  # (the product, what prints instead)
    for name, u in user:
        if role(u) != "matrix product":
            continue
        runs.append((u, var(name, u.shape)))
        t = twin(u)
        if t is not None and role(t) == "matrix product":
            runs.append((t, O.transpose(var(name, u.shape))))
    if not runs:
        return root
    runs.sort(key=lambda r: -len(r[0].args))
    new: dict[Node, Node] = {}
    for n in postorder([root]):
        args = [new[a] for a in n.args]
        if role(n) == "matrix product":
            args = _group_runs(args, runs)
        new[n] = n if tuple(args) == n.args else Node(n.op, tuple(args), n.data, n.shape)
    return new[root]


def _group_runs(args: list[Node], runs: list[tuple[Node, Node]]) -> list[Node]:
    out, i = [], 0
    while i < len(args):
        for u, name in runs:
            k = len(u.args)
            if 1 < k < len(args) and tuple(args[i : i + k]) == u.args:
                out.append(name)
                i += k
                break
        else:
            out.append(args[i])
            i += 1
    return out


def _upright(n: Node) -> Node:
    """A node or its transpose, whichever a book would name: (y - H m)ᵀ is vᵀ, v = y - H m."""
    t = twin(n)
    return t if t is not None and to_text(n).endswith("ᵀ") and not to_text(t).endswith("ᵀ") else n


def _length(n: Node, spelled: dict[Node, str]) -> int:
    """The length of n's text, the names chosen so far printed as names."""
    p = Printer("text")
    p.node_names = {k: v for k, v in spelled.items() if k != n and k != twin(n)}
    return len(p(n))


def _fresh(kind: str, used: set[str]) -> str:
    for name in POOLS[kind] + [f"{POOLS[kind][0]}{k}" for k in range(1, 100)]:
        if name not in used:
            return name
    raise AssertionError("unreachable: 100 names are never all taken")


def _in_order(root: Node, names: dict[Node, str]) -> list[tuple[str, Node]]:
    """The definitions, each after the names its definition uses (operands come first)."""
    order = postorder([root, *names])
    return [(names[n], n) for n in order if n in names]


def definition(n: Node, fmt: str, where: Where) -> str:
    """n in text or LaTeX, the other named sub-expressions printed as their names."""
    p = Printer(fmt)
    p.node_names = {k: v for k, v in where.spelled(fmt).items() if k != n and k != twin(n)}
    return p(n)


def printed(root: Node, fmt: str, where: Where) -> str:
    """The answer in text or LaTeX, with its where clause."""
    spell = text_name if fmt == "text" else latex_name
    main = definition(where.root or root, fmt, where)
    if not where.defs:
        return main
    defs = ", ".join(f"{spell(name)} = {definition(n, fmt, where)}" for name, n in where.defs)
    return f"{main}  where {defs}" if fmt == "text" else rf"{main} \quad\text{{where }} {defs}"


def checked(root: Node, where: Where) -> Where:
    """The clause without the names the text does not write (a print rule may look inside a
    named operand): every name must be used where it is printed, or it would not read back."""
    while where.defs:
        text = printed(root, "text", where)
        body = text.split(f"  {WHERE} ", 1)[0]
        rest = text[len(body) :]
        try:
            tokens = tokenize(body + " " + re.sub(r"\b\w+ = ", " ", rest))
        except LimitError:  # longer than any input: it cannot read back, so name nothing
            return NONE
        uses = Counter(t.text for t in tokens if t.kind == "name")
        unused = [n for n, name in where.names.items() if uses[name] == 0]
        if not unused:
            return where
        names = {n: v for n, v in where.names.items() if n not in unused}
        where = Where(names, [(v, n) for v, n in where.defs if n in names], where.root)
    return NONE
