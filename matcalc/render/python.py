"""`--format python|torch|jax`: a complete, importable module with one function that returns
the value and the derivative(s), shared work computed once. One emitter for every framework: the
entries' NumPy print rules, spelled by the backend's table (render/backends.py).

Common subexpressions of the value and every derivative are bound to names once (CSE over the
expression DAG, so `X @ w` is shared by a loss and its gradient); a product chain that
contains a chain computed elsewhere reuses it; matrix-vector chains multiply right to left.
Every name the module adds (the NumPy alias, temporaries) comes from a `Namespace`
(render/names.py), fresh against the user's names, which stay the function's parameters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..errors import MatcalcError
from ..expr.node import Node, postorder
from ..expr.registry import OPS, Joint, role
from .backends import BACKENDS, Spelling
from .cost import cost_aware
from .names import MODULES, Namespace, spellings, user_names
from .numpy import tensor_line
from .printer import Printer, text_name, to_text


def _count(nodes: list[Node]) -> Counter:
    seen: Counter = Counter()
    stack = list(nodes)
    while stack:
        n = stack.pop()
        seen[n] += 1
        if seen[n] == 1 or role(n) == "diagonal":  # diag(v) is not formed: v is what is shared
            stack.extend(n.args)
    return seen


def _worth_sharing(n: Node) -> bool:
    entry = OPS[n.op]  # a constant, a variable, or a view of one (Xᵀ, X[i, j]) costs nothing
    if role(n) == "diagonal":  # products scale by v (render/products.py): np.diag(v) is unused
        return False
    return not (entry.leaf or (entry.view and n.args[0].is_variable))


def _solved_inverses(nodes: list[Node], counts: Counter) -> tuple[set[Node], dict[Node, Node]]:
    """Inverses that no temporary forms, used only as factors of products (or transposed,
    there), where each product solves instead (render/products.py): X⁻¹ whose X has its own
    solver (a triangular factor, the entry's `solve`), n² per column; and a general X⁻¹ that
    several products share, returned as {inverse: X}: X is LU-factored once, each product
    solves with the factors (2n² per column, where the inverse costs 2n³ and its products as
    much as the solves). The transposes of these inverses bind no temporary either."""
    parents: dict[Node, set[Node]] = {}
    order = postorder(nodes)
    for n in order:
        for a in n.args:
            parents.setdefault(a, set()).add(n)

    def in_products(n: Node) -> bool:
        return all(role(u) == "matrix product" for u in parents.get(n, ()))

    def factor(u: Node) -> bool:
        return role(u) == "matrix product" or (role(u) == "transpose" and in_products(u))

    solved: set[Node] = set()
    factored: dict[Node, Node] = {}
    for n in order:
        if role(n) != "inverse" or n in nodes or not all(factor(u) for u in parents[n]):
            continue
        x = n.args[0]
        while role(x) == "transpose":
            x = x.args[0]
        if OPS[x.op].solve is not None:
            solved.add(n)
        elif counts[n] > 1 or any(counts[u] > 1 for u in parents[n] if role(u) == "transpose"):
            factored[n] = x
        else:
            continue
        solved |= {u for u in parents[n] if role(u) == "transpose"}
    return solved | set(factored), factored


def _joint_calls(nodes: list[Node], temps: list[Node]) -> list[tuple[Joint, list]]:
    """The calls that compute several needed nodes at once (an entry's `joint`: expm_frechet's
    expm(X) beside L(X, E), eigh's eigenvalue beside its eigenvector), each with the nodes it
    gives as written here: (node, member index, transposed). Only where two members are needed,
    and where the call's operands are ready before the first member is (no cycle, no recompute)."""
    from ..ops import transpose

    order = postorder(nodes)
    present = set(order)
    position = {n: i for i, n in enumerate(order)}
    temp_set = set(temps)
    taken: set[Node] = set()
    out = []
    for n in order:
        make = OPS[n.op].joint
        joint = make(n) if make is not None and n not in taken else None
        if joint is None:
            continue
        found = []
        for i, m in enumerate(joint.members):
            if m in present:
                found.append((m, i, False))
            elif not m.is_scalar and transpose(m) in present:
                found.append((transpose(m), i, True))
        if len(found) < 2 or any(f[0] in taken for f in found):
            continue
        first = min(position[f[0]] for f in found)
        operands = {a for m in joint.members for a in m.args}
        inputs = set(postorder(list(operands)))
        if any(f[0] in inputs for f in found):  # a member feeds the call: a cycle
            continue
        if any(a in temp_set and position[a] > first for a in inputs if a in position):
            continue
        taken |= {f[0] for f in found}
        out.append((joint, found))
    return out


def _share_chains(nodes: list[Node]) -> list[Node]:
    """yᵀ X w with X w needed elsewhere becomes yᵀ (X w), so the matrix is read once."""
    chains = {n.args: n for n in postorder(nodes) if role(n) == "matrix product"}
    memo: dict[Node, Node] = {}

    def sub_chain(args: tuple[Node, ...]) -> Node | None:
        return chains.get(args) if len(args) >= 2 else None

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        if role(out) == "matrix product" and len(out.args) >= 3:
            for k in range(1, len(out.args) - 1):
                tail, head = sub_chain(n.args[k:]), sub_chain(n.args[: len(n.args) - k])
                if tail is not None:
                    out = Node("matmul", (*out.args[:k], go(tail)), None, out.shape)
                    break
                if head is not None:
                    out = Node("matmul", (go(head), *out.args[len(n.args) - k :]), None, out.shape)
                    break
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _matrix(f: Node) -> bool:
    return len(f.shape) == 2 and 1 not in f.shape


def _plain(f: Node) -> bool:
    """A factor that is a variable or its transpose (X, Wᵀ): a pair of them is cheap to name."""
    return f.is_variable or (role(f) == "transpose" and f.args[0].is_variable)


def _pair_key(pair: tuple[Node, Node]) -> tuple:
    """X W before its transpose Wᵀ Xᵀ: fewer transposed factors first, then a fixed order."""
    return (sum(role(f) == "transpose" for f in pair), pair[0].sortkey(), pair[1].sortkey())


def _share_pairs(nodes: list[Node]) -> list[Node]:
    """Two adjacent matrix factors of plain arrays that several products contain, as written or
    transposed (X W_K in one, W_Kᵀ Xᵀ in another), multiplied once: the products then read the
    shared X W_K (attention's K = X W_K, V = X W_V), as a hand would write them."""
    from ..expr.registry import raw_mode
    from ..ops import transpose

    products = [n for n in postorder(nodes) if role(n) == "matrix product"]
    seen: Counter = Counter()
    for n in products:
        pairs = set()
        for a, b in zip(n.args, n.args[1:], strict=False):
            if _plain(a) and _plain(b) and _matrix(a) and _matrix(b):
                pair = (a, b)
                flipped = (transpose(b), transpose(a))
                pairs.add(min(pair, flipped, key=_pair_key))
        seen.update(pairs)
    shared = {pair for pair, count in seen.items() if count > 1}
    if not shared:
        return nodes
    memo: dict[Node, Node] = {}

    def factor(a: Node, b: Node) -> Node | None:
        if (a, b) in shared:
            return Node("matmul", (a, b), None, (a.shape[0], b.shape[1]))
        if (transpose(b), transpose(a)) in shared:
            inner = Node("matmul", (transpose(b), transpose(a)), None, (b.shape[1], a.shape[0]))
            with raw_mode():
                return Node("T", (inner,), None, (a.shape[0], b.shape[1]))
        return None

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        if role(out) == "matrix product":
            args, k = [], 0
            while k < len(out.args):
                pair = factor(*out.args[k : k + 2]) if k + 1 < len(out.args) else None
                args.append(pair if pair is not None else out.args[k])
                k += 2 if pair is not None else 1
            if len(args) == 1:
                out = args[0]
            elif len(args) < len(out.args):
                out = Node("matmul", tuple(args), None, out.shape)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _broadcast_terms(nodes: list[Node]) -> set[tuple[Node, ...]]:
    """The factors of each 𝟏ₘ bᵀ or v 𝟏ₖᵀ that is only ever a term of sums which also have a
    term of full size not of this kind: NumPy broadcasts b (or v[:, None]) there by itself."""

    def spread(n: Node) -> bool:
        if role(n) != "matrix product" or len(n.args) != 2:
            return False
        a, b = n.args
        ones = role(a) == "all-ones" or role(b) == "all-ones"
        return ones and a.is_vector and b.is_row and a.shape[0] != 1

    parents: dict[Node, list[Node]] = {}
    for n in postorder(nodes):
        for a in n.args:
            parents.setdefault(a, []).append(n)

    def scaled(u: Node, n: Node) -> bool:  # -v 𝟏ₖᵀ: a scalar times the product
        return role(u) == "scaling" and all(a.shape == () or a is n for a in u.args)

    def term_of_sums(n: Node) -> bool:
        ups = parents.get(n, [])
        return (
            bool(ups)
            and n not in nodes
            and all(
                (scaled(u, n) and term_of_sums(u))
                or (
                    role(u) == "addition"
                    and any(t.shape == n.shape and not spread(t) for t in u.args)
                )
                for u in ups
            )
        )

    return {n.args for n in parents if spread(n) and term_of_sums(n)}


def _share_transposes(nodes: list[Node]) -> list[Node]:
    """A node whose transpose is computed elsewhere becomes that node, transposed: tanh(xᵀ W1ᵀ)
    is tanh(W1 x) read as a row (free for a 1-D array), inv(Mᵀ) is inv(M).T — computed once."""
    from ..expr.registry import raw_mode
    from ..ops import transpose, transposes

    present = set(postorder(nodes))
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        if not n.is_scalar and not OPS[n.op].leaf and role(n) != "transpose":
            other = transpose(n)
            if (
                other in present
                and other != n
                and (transposes(other), other.sortkey()) < (transposes(n), n.sortkey())
            ):
                with raw_mode():
                    out = Node("T", (go(other),), None, n.shape)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _untransposed_operands(nodes: list[Node]) -> list[Node]:
    """For XLA: a function of a transposed matrix that commutes with the transpose is computed
    on the matrix itself, inv(Aᵀ) as inv(A)ᵀ — the transposed operand would be copied, and the
    same factorization of A elsewhere (log det A beside its gradient A⁻ᵀ) could not be shared."""
    from ..expr.registry import raw_mode
    from ..ops import transpose, transposes

    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        entry = OPS[n.op]
        if (
            len(n.shape) == 2
            and not (entry.leaf or entry.chain or role(n) not in ("", "inverse"))
            and any(role(a) == "transpose" and a.args[0].is_variable for a in n.args)
        ):
            other = transpose(n)
            if role(other) != "transpose" and transposes(other) < transposes(n):
                with raw_mode():
                    out = Node("T", (go(other),), None, n.shape)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _a_call(e) -> bool:
    """A function of numbers alone that code would print as a call: log(2π), sqrt(π)."""
    import sympy as sp

    if e.free_symbols:
        return False
    return isinstance(e, sp.Function) or (isinstance(e, sp.Pow) and not e.exp.is_Integer)


def _fold_constants(nodes: list[Node]) -> list[Node]:
    """Scalar sub-expressions of numbers alone (log(2π)) as one float: torch's functions take
    tensors, not numbers."""
    import sympy as sp

    from ..evaluate.sympy_form import to_sympy

    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = n
        if n.is_number and any(map(_a_call, sp.preorder_traversal(n.data))):
            # n log(2π)/2, 2/sqrt(π): the log and the root as floats
            data = n.data.replace(_a_call, lambda e: sp.Float(sp.N(e, 17)))
            out = Node("num", (), data, n.shape)
        if n.args and n.shape == () and all(m.is_number for m in postorder([n]) if not m.args):
            value = to_sympy(n)
            if not value.free_symbols:
                out = Node("num", (), sp.Float(sp.N(value, 17)), ())
        if out is n and n.args:
            out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _parameters(f: Node, extra: list[Node], decls) -> tuple[list[str], list[str]]:
    """Declared variables (in declaration order) and scalar names: the function's parameters."""
    free = set(f.free())
    for e in extra:
        free |= e.free()
    arrays = [n for n in decls.items if n in free and decls.items[n].node().shape != ()]
    scalars = sorted(s for s in free if s not in arrays)
    return arrays, scalars


def _dimensions(nodes: list[Node]) -> set:
    """Every dimension symbol the trees use, in shapes and in constants."""
    out: set = set()
    for n in postorder(nodes):
        for d in n.shape:
            out |= d.free_symbols
        if n.is_number:
            out |= n.data.free_symbols
    return out


def _shape(shape: tuple) -> str:
    if shape == ():
        return "()"
    r, c = shape
    if c == 1:
        return f"({r},)"
    if r == 1:
        return f"({c},)"
    return f"({r}, {c})"


WHAT = {
    "grad": "gradient",
    "jacobian": "Jacobian",
    "hessian": "Hessian",
    "vjp": "vector-Jacobian product",
    "jvp": "Jacobian-vector product",
    "hvp": "Hessian-vector product",
    "show": "value",
}


@dataclass(frozen=True)
class Part:
    """One derivative the module returns: by which name, its tree, its text (for the
    docstring), and whether the name is a whole declared variable (its size fixes the
    derivative's)."""

    wrt: str
    node: Node
    text: str
    whole: bool
    tensor: Any = None  # a derivative that is a linear map (a Result): its full array returned


def python_module(
    kind: str,
    layout: str,
    f: Node,
    decls,
    source: str,
    parts: list[Part],
    framework: str = "python",
    names: dict[Node, str] | None = None,
) -> str:
    """The source of `def f_and_<kind>(...)`, importable on its own: f and the derivatives in
    `parts` (none for `show`), in NumPy (`python`), torch or JAX. A shared temporary that the
    printed answer names (`names`, its where clause) takes that name."""
    backend = BACKENDS[framework]
    tensors = [r.tensor for r in parts if r.tensor is not None] if kind != "show" else []
    if tensors and framework != "python":
        raise MatcalcError(
            f"--format {framework} of a tensor derivative: use --vec, or --format python or numpy"
        )
    derivs = [] if kind == "show" else [r.node for r in parts if r.tensor is None]
    arrays, scalars = _parameters(f, [*derivs, *(t.array for t in tensors)], decls)
    for r in parts:  # the variable itself fixes the sizes of its derivative
        if r.whole and r.wrt in decls.items and r.wrt not in arrays:
            if decls.items[r.wrt].node().shape != ():
                arrays.append(r.wrt)
    shared = _share_pairs(_share_chains(_share_transposes(cost_aware([f, *derivs]))))
    if backend.row_products:  # XLA copies a transposed operand (render/backends.py)
        shared = _untransposed_operands(shared)
    if backend.scalar_in:
        shared = _fold_constants(shared)
    counts = _count(shared)
    solved, factored = _solved_inverses(shared, counts)
    temps = [
        n for n in postorder(shared) if counts[n] > 1 and _worth_sharing(n) and n not in solved
    ]
    joints = _joint_calls(shared, temps)
    first_member = {}
    for joint, found in joints:
        for node, _, _ in found:
            first_member.setdefault(node, (joint, found))
    temp_set = set(temps)
    temps = [n for n in postorder(shared) if n in first_member or n in temp_set or n in factored]
    name = "f" if kind == "show" else f"f_and_{kind}"
    user = user_names([f, *derivs], decls) | set(arrays)
    ns = Namespace(user, spellings(source, scalars))
    ns.taken.add(name)
    ns.module("np", backend.alias)  # `import numpy as np` unless a user's name is np (torch, jnp)
    spelling = Spelling(backend, ns)
    ns.translate = spelling
    printer = Printer("numpy", ns)
    printer.row_products = backend.row_products  # read by render/numpy.chain
    printer.broadcasts = True  # 𝟏ₘ bᵀ as b broadcast (render/products.py), not np.outer
    printer.broadcast_terms = _broadcast_terms(shared)
    printer.scale_after = True  # M * c for a NumPy scalar c: M scaled in place (ops/arith.py)
    printer.adds_in_place = framework == "python"  # a sum starts with a fresh array (NumPy)
    lines: list[str] = []
    dims: dict[str, str] = {}
    for a in arrays:
        shape = decls.items[a].shape
        for axis, dim in enumerate(shape if shape[1] != 1 else shape[:1]):
            if dim.is_Symbol and str(dim) not in dims:
                dims[str(dim)] = f"{ns.spell(a)}.shape[{axis}]"
    lines += [f"    {ns.spell(dim)} = {src}" for dim, src in dims.items()]
    if backend.scalar_in:  # torch: a number parameter becomes a 0-d tensor
        for s in scalars:
            code = ns.finish(backend.scalar_in.format(ns.spell(s)), translate=False)
            lines.append(f"    {ns.spell(s)} = {code}")
    arrays_of_maps = [t.array for t in tensors]
    unbound = sorted(
        str(d) for d in _dimensions([f, *derivs, *arrays_of_maps]) if str(d) not in dims
    )
    printer.factored = {}  # a matrix → the name of its LU factors (render/products.py)
    for t in temps:
        if t in factored:  # X⁻¹ that products share: X factored once, where X⁻¹ would be formed
            x = factored[t]
            if x not in printer.factored:
                temp = ns.temporary()
                lines.append(f"    {temp} = {ns.finish(f'scipy.linalg.lu_factor({printer(x)})')}")
                printer.factored[x] = temp
            continue
        if t in printer.node_names:  # given by a joint call already
            continue
        if t in first_member:  # one call, several results: `_t0, _t1 = f(…)`
            joint, found = first_member[t]
            outs = [ns.temporary() for _ in range(joint.outputs)]
            lines.append(f"    {', '.join(outs)} = {ns.finish(joint.code(printer))}")
            for node, i, transposed in found:
                k, suffix = joint.select[i]
                code = f"{outs[k]}{suffix}" + (".T" if transposed else "")
                if names and node in names:  # the printed answer's name for it (`where u = …`)
                    temp = ns.fresh(names[node])
                    lines.append(f"    {temp} = {code}")
                    code = temp
                printer.node_names[node] = code
            continue
        code = ns.finish(printer(t))
        temp = ns.fresh(names[t]) if names and t in names else ns.temporary()
        printer.node_names[t] = temp
        lines.append(f"    {temp} = {code}")
    value = ns.finish(printer(shared[0]))
    plain = iter(ns.finish(printer(d)) for d in shared[1:])
    outs = [  # in the order of --wrt: a linear map as its full array (SPEC §4's numpy line)
        tensor_line(r.tensor, ns) if r.tensor is not None else next(plain)
        for r in (parts if kind != "show" else [])
    ]
    array_type = ns.finish(backend.array_type, translate=False)
    params = [f"{ns.spell(a)}: {array_type}" for a in arrays]
    params += [f"{ns.spell(s)}: float" for s in scalars]
    params += [f"{ns.spell(d)}: int" for d in unbound]
    shapes = ", ".join(f"{a}: {_shape(decls.items[a].shape)}" for a in arrays) or "scalars only"
    what = WHAT[kind]
    by = ", ".join(text_name(r.wrt) for r in parts)
    scalar_type = "float" if framework == "python" else array_type
    f_type = scalar_type if f.shape == () else array_type
    out_types = [
        array_type if r.tensor is not None or r.node.shape != () else scalar_type
        for r in (parts if kind != "show" else [])
    ]
    returns = ", ".join([value, *outs])
    doc = [
        f'    """f = {to_text(f)}'
        + (f", and its {what} by {by} ({layout} layout)." if out_types else "."),
        "",
    ]
    doc.append(f"    Shapes: {shapes}; vectors are 1-D arrays.")
    if backend.note:
        doc.append(f"    {backend.note}")
    for r in parts if kind != "show" else []:
        shape = (
            "(" + ", ".join(str(a) for a in r.tensor.tensor_shape()) + ")"
            if r.tensor is not None
            else _shape(r.node.shape)
        )
        doc.append(f"    Returns the {what} by {text_name(r.wrt)} = {r.text}, of shape {shape}.")
    doc.append('    """')
    ret_type = f"tuple[{', '.join([f_type, *out_types])}]" if out_types else f_type
    body = [*doc, *lines, f"    return {returns}"]
    if spelling.missing:  # a SciPy function the backend's table does not spell
        raise MatcalcError(
            f"--format {framework}: the code calls {', '.join(sorted(spelling.missing))}, "
            f"which has no {framework} spelling here; use --format python"
        )
    modules = {**MODULES, "np": backend.module}
    imports = [
        f"import {modules[m]}" + ("" if a == modules[m] else f" as {a}")
        for m, a in ns.modules.items()
    ]
    helpers = [ns.finish(d, translate=False) for d in spelling.definitions()]
    helpers = [line for d in helpers for line in ["", "", *d.rstrip("\n").split("\n")]]
    signature = f"def {name}({', '.join(params)}) -> {ret_type}:"
    return "\n".join([*imports, *helpers, "", "", signature, *body, ""])
