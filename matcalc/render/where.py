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
from ..errors import MatcalcError
from ..expr.node import Node, postorder, var, written_size
from ..expr.registry import role
from ..syntax.lexer import WHERE, tokenize
from .printer import Printer, latex_name, text_name, to_text

MIN_CHARS = 13  # a shorter one is written out however often it occurs: diag(s) - s sᵀ, s = softmax(x) stays diag(softmax(x)) - softmax(x) softmax(x)ᵀ
MIN_SAVED = 7  # … and one whose name saves less: one of MIN_CHARS written twice saves 26 - (13 + 6)
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
    written = Printer("text")  # one printer: its memo prints each subtree once
    full = {n: len(written.in_context(n, 0, True)) for n in inside if not _trivial(n)}
    upright = {_upright(n) for n, k in full.items() if k >= MIN_CHARS}
    full |= {n: len(written.in_context(n, 0, True)) for n in upright - full.keys()}
    recip = {r: n for n in inside if (r := reciprocal(n)) is not None}  # √(v + ε) for its 1/…
    full |= {r: len(written.in_context(r, 0, True)) for r in recip.keys() - full.keys()}
    candidates = sorted(upright, key=lambda n: (-full[n], to_text(n)))  # ties: by text, not hash
    used = set(taken) | root.free() | {name for name, _ in user} | {WHERE, "e", "pi"}
    while len(where.names) < MAX_NAMES:
        spelled = where.spelled("text")
        hidden = set(spelled) | {recip[r] for r in where.names if r in recip}
        count = written_counts(root, where.names, hidden)
        best, gain = None, (0, 0)
        for n in candidates:
            if full[n] < gain[0]:  # written out in full, shorter than the best so far
                break
            if n in spelled:
                continue
            times = count[n] + (count[twin(n)] if twin(n) is not None else 0)
            times += count[recip[n]] if n in recip else 0
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
    scaled: list[tuple[Node, dict, Node]] = []  # x̂ = c u: (u, c's powers, what prints instead)
    for name, u in user:
        if role(u) == "scaling" and _scaling(u) is not None:
            scaled.append((*_scaling(u), var(name, u.shape)))
        if role(u) != "matrix product":
            continue
        runs.append((u, var(name, u.shape)))
        t = twin(u)
        if t is not None and role(t) == "matrix product":
            runs.append((t, O.transpose(var(name, u.shape))))
    if not runs and not scaled:
        return root
    runs.sort(key=lambda r: -len(r[0].args))
    new: dict[Node, Node] = {}
    for n in postorder([root]):
        args = [new[a] for a in n.args]
        if role(n) == "matrix product":
            args = _group_runs(args, runs)
        if role(n) == "scaling":
            for u, c, name in scaled:
                args = _regrouped(args, u, c, name) or args
        new[n] = n if tuple(args) == n.args else Node(n.op, tuple(args), n.data, n.shape)
    return new[root]


def _power(f: Node) -> tuple[Node, object]:
    """A scalar factor as (base, exponent)."""
    if role(f) == "power" and f.args[1].is_number and f.args[0].is_scalar:
        return f.args[0], f.args[1].data
    return f, 1


def _scaling(n: Node) -> tuple[Node, dict] | None:
    """x̂ = c u, c a product of powers of scalars (no number): (u, {base: exponent})."""
    big = [f for f in n.args if not f.is_scalar]
    if len(big) != 1 or any(f.is_number for f in n.args):
        return None
    powers: dict = {}
    for f in n.args:
        if f.is_scalar:
            base, e = _power(f)
            powers[base] = powers.get(base, 0) + e
    return big[0], powers


def _regrouped(args: list[Node], u: Node, c: dict, name: Node) -> list[Node] | None:
    """A product that writes u k times (as a factor, or in a scalar product such as doutᵀ u)
    and holds cᵏ among its scalars, with x̂ = c u printed instead: (doutᵀ u) u/(v + ε) is
    (doutᵀ x̂) x̂ for x̂ = u/√(v + ε) (Ioffe & Szegedy's batch norm)."""
    swap = {u: name}
    if twin(u) is not None:
        swap[twin(u)] = O.transpose(name)
    out, k, inner = [], 0, set()
    for a in args:
        if a in swap:
            out.append(swap[a])
            k += 1
        elif a.is_scalar and role(a) == "matrix product" and any(f in swap for f in a.args):
            out.append(Node(a.op, tuple(swap.get(f, f) for f in a.args), a.data, a.shape))
            k += sum(f in swap for f in a.args)
            inner.add(len(out) - 1)
        else:
            out.append(a)
    if k == 0:
        return None
    for base, e in c.items():  # cᵏ must be there, and is taken out: its exponents move to 0
        at = next((i for i, a in enumerate(out) if i not in inner and _power(a)[0] == base), None)
        if at is None:
            return None
        have = _power(out[at])[1]
        left = have - k * e
        if have * e <= 0 or abs(left) >= abs(have):
            return None
        out[at] = O.pow_(base, O.num(left)) if left != 0 else None
    return [a for a in out if a is not None]


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


def reciprocal(n: Node) -> Node | None:
    """cᵖ for a scalar c⁻ᵖ (p ≠ 1), which a product prints below its line: √(v + ε) for
    (v + ε)^(-1/2). None for anything else."""
    if role(n) != "power" or not n.is_scalar or not n.args[1].is_number:
        return None
    e = n.args[1].data
    if not (e.is_Rational and e < 0 and e != -1) or n.args[0].is_number:
        return None
    return O.pow_(n.args[0], O.num(-e))


def _upright(n: Node) -> Node:
    """A node, its transpose or its reciprocal, whichever a book would name: (y - H m)ᵀ is
    vᵀ, v = y - H m; 1/√(v + ε) is 1/s, s = √(v + ε)."""
    r = reciprocal(n)
    if r is not None:
        return r
    t = twin(n)
    return t if t is not None and to_text(n).endswith("ᵀ") and not to_text(t).endswith("ᵀ") else n


def _length(n: Node, spelled: dict[Node, str]) -> int:
    """The length of n's text where it is written, inside the answer (its 𝟏 and 𝐈 bare, as
    their size is fixed there: u = -mean(x) ones(N) is not worth naming in x - mean(x) 𝟏), the
    names chosen so far printed as names."""
    p = Printer("text")
    p.node_names = {k: v for k, v in spelled.items() if k != n and k != twin(n)}
    return len(p.in_context(n, 0, True))


def _fresh(kind: str, used: set[str]) -> str:
    for name in POOLS[kind] + [f"{POOLS[kind][0]}{k}" for k in range(1, 100)]:
        if name not in used:
            return name
    raise AssertionError("unreachable: 100 names are never all taken")


def _in_order(root: Node, names: dict[Node, str]) -> list[tuple[str, Node]]:
    """The definitions, each after the names its definition uses (operands come first)."""
    order = postorder([root, *names])
    at = {n: i for i, n in enumerate(order)}

    def place(n: Node) -> int:  # a named √(v + ε) comes where its 1/√(v + ε) is first used
        if role(n) == "power" and n.is_scalar and n.args[1].is_number:
            return min(at[n], at.get(O.pow_(n.args[0], O.num(-n.args[1].data)), at[n]))
        return at[n]

    return [(names[n], n) for n in sorted(names, key=place)]


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


def _names(text: str, chunk: int = 4000) -> Counter:
    """How often each name occurs in the text, read by the lexer a piece at a time (cut at
    spaces): a long answer is over the input limits, which are for what a user types."""
    uses: Counter = Counter()
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= chunk else text.rfind(" ", start, start + chunk)
        end = start + chunk if end <= start else end
        uses.update(t.text for t in tokenize(text[start:end]) if t.kind == "name")
        start = end
    return uses


def checked(root: Node, where: Where) -> Where:
    """The clause without the names the text does not write (a print rule may look inside a
    named operand): every name must be used where it is printed, or it would not read back."""
    while where.defs:
        text = printed(root, "text", where)
        body = text.split(f"  {WHERE} ", 1)[0]
        rest = text[len(body) :]
        uses = _names(body + " " + re.sub(r"\b\w+ = ", " ", rest))
        unused = [n for n, name in where.names.items() if uses[name] == 0]
        if not unused:
            return where
        names = {n: v for n, v in where.names.items() if n not in unused}
        where = Where(names, [(v, n) for v, n in where.defs if n in names], where.root)
    return NONE
