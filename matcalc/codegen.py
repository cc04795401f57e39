"""`--format python`: a complete, importable NumPy function for the value and the derivative.

Common subexpressions of the value and the derivative are computed once (CSE over the
expression DAG, so `X @ w` is shared by a loss and its gradient); matrix-vector chains multiply
right to left and scalars multiply vectors, not matrices, as the NumPy printer already does.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp

from .expr import Node
from .printing import text_name, to_text

_LEAVES = {"sym", "scalar", "eye", "ones", "zero", "comm"}


def _count(nodes: list[Node]) -> Counter:
    seen: Counter = Counter()

    def go(n: Node) -> None:
        seen[n] += 1
        if seen[n] == 1:
            for a in n.args:
                go(a)

    for n in nodes:
        go(n)
    return seen


def _worth_sharing(n: Node) -> bool:
    if n.op in _LEAVES or n.op == "matrix":
        return False
    return not (n.op == "T" and n.args[0].op == "sym")


def _postorder(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    done: set[Node] = set()

    def go(n: Node) -> None:
        if n in done:
            return
        done.add(n)
        for a in n.args:
            go(a)
        out.append(n)

    for n in nodes:
        go(n)
    return out


def _parameters(f: Node, decls, names: dict[sp.Symbol, str]) -> tuple[list[str], list[str]]:
    """Declared variables (in declaration order) and scalar names, as the function's parameters."""
    free = f.free()
    arrays = [n for n in decls.items if n in free]
    scalars = sorted(
        {
            s
            for s in free
            if s not in decls.items and "[" not in s and s not in {str(k) for k in names}
        }
    )
    return arrays, scalars


def _share_chains(nodes: list[Node]) -> list[Node]:
    """Rewrite a product chain to reuse a shorter chain computed elsewhere: yᵀ X w with X w
    already needed becomes yᵀ (X w), so the matrix is read once."""
    chains = {n for n in _postorder(nodes) if n.op == "matmul"}
    memo: dict[Node, Node] = {}

    def sub_chain(args: tuple[Node, ...]) -> Node | None:
        if len(args) < 2:
            return None
        r, c = args[0].shape[0], args[-1].shape[1]
        shape = () if (r == 1 and c == 1) else (r, c)
        cand = Node("matmul", args, None, shape)
        return cand if cand in chains else None

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = n
        if n.args:
            out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape)
        if out.op == "matmul" and len(out.args) >= 3:
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


def _share_functions(nodes: list[Node]) -> list[Node]:
    """Hoist function calls out of entrywise bodies when the same call on the same argument
    occurs twice: tanh(W x) in a loss and 1 − tanh(W x)² in its gradient is computed once."""
    elems = [n for n in _postorder(nodes) if n.op == "elem"]
    calls: Counter = Counter()
    for e in elems:
        for g in _calls(e.data):
            calls[(g, e.args[0])] += 1
    shared = {k for k, v in calls.items() if v > 1}
    if not shared:
        return nodes
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        args = tuple(go(a) for a in n.args)
        out = Node(n.op, args, n.data, n.shape) if args != n.args else n
        if n.op == "elem":
            hoisted = [g for g in _calls(n.data) if (g, n.args[0]) in shared and g != n.data]
            if hoisted:
                symbols = tuple(sp.Dummy(f"u{i}") for i in range(len(hoisted)))
                body = n.data.xreplace(dict(zip(hoisted, symbols, strict=True)))
                parts = tuple(Node("elem", (args[0],), g, n.shape) for g in hoisted)
                out = Node("elemx", (args[0], *parts), (body, symbols), n.shape)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _calls(body: sp.Expr) -> list[sp.Expr]:
    from .expr import T_DUMMY

    return [a for a in sp.preorder_traversal(body) if isinstance(a, sp.Function) and a.has(T_DUMMY)]


def python_function(kind: str, wrt: str, layout: str, f: Node, d: Node, decls, names) -> str:
    """The source of `def f_and_<kind>(...)`, importable on its own."""
    from .numpy_code import NumpyPrinter

    arrays, scalars = _parameters(f, decls, names)
    doc_f, doc_d = f, d
    f, d = _share_functions(_share_chains([f, d]))
    counts = _count([f, d])
    temps = [n for n in _postorder([f, d]) if counts[n] > 1 and _worth_sharing(n)]
    printer = NumpyPrinter(names)
    lines: list[str] = []
    dims: dict[str, str] = {}
    for name in arrays:
        for axis, dim in enumerate(decls.items[name].shape):
            if dim.is_Symbol and str(dim) not in dims:
                dims[str(dim)] = f"{name}.shape[{axis}]"
    lines += [f"    {dim} = {src}" for dim, src in dims.items()]
    for i, t in enumerate(temps):
        code = printer(t)
        name = f"_t{i}"
        printer.node_names[t] = name
        lines.append(f"    {name} = {code}")
    value, deriv = printer(f), printer(d)
    params = [f"{a}: np.ndarray" for a in arrays] + [f"{s}: float" for s in scalars]
    shapes = ", ".join(f"{a}: {_shape(decls.items[a].shape)}" for a in arrays) or "scalars only"
    what = {"grad": "gradient", "jacobian": "Jacobian", "hessian": "Hessian"}[kind]
    out_type = "np.ndarray" if d.shape != () else "float"
    f_type = "float" if f.shape == () else "np.ndarray"
    doc = [
        f'    """f = {to_text(doc_f)}, and its {what} by {text_name(wrt)} ({layout} layout).',
        "",
        f"    Shapes: {shapes}; vectors are 1-D arrays.",
        f"    Returns (f, {what} = {to_text(doc_d)}), the {what} of shape {_shape(d.shape)}.",
        '    """',
    ]
    body = [*doc, *lines, f"    return {value}, {deriv}"]
    return "\n".join(
        [
            "import numpy as np",
            "",
            "",
            f"def f_and_{kind}({', '.join(params)}) -> tuple[{f_type}, {out_type}]:",
            *body,
            "",
        ]
    )


def _shape(shape: tuple) -> str:
    if shape == ():
        return "()"
    r, c = shape
    if c == 1:
        return f"({r},)"
    if r == 1:
        return f"({c},)"
    return f"({r}, {c})"
