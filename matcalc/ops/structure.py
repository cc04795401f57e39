"""Structure: explicit (block) matrices, slices, diag, vec — and explicit-matrix helpers.

A literal `[a, b, c]` is a column of blocks, `[[a, b], [c, d]]` a grid of blocks; entries may be
scalars, vectors or matrices whose sizes fit. Explicit values (components, numbers at a point)
are literals of scalar entries, and the `expand` rules of every entry compute on them.
"""

from __future__ import annotations

import sympy as sp

from ..errors import MatcalcError, NotMatrixLevel, ShapeError
from ..expr.arrays import from_two_d, two_d
from ..expr.node import ONE, Node, as_pair, brief, dim_symbol, norm_shape, shape_str, size
from ..expr.registry import ATOM, Rewrite, alias, build, register
from .base import (
    add,
    deflinear,
    diag,
    diagof,
    eye,
    grid,
    had,
    is_scalar_lit,
    is_zero,
    kron,
    linear_unary_rewrites,
    lit,
    lit_rows,
    matmul,
    mismatch,
    mul,
    mx,
    num,
    ones,
    sized_zero,
    slice_,
    transpose,
    unvec,
    vec,
    zero,
)

# ---------------------------------------------------------------- literals


def _lit_shape(args: tuple[Node, ...], data: tuple[int, int]) -> tuple:
    r, c = data
    rows = [list(args[i * c : (i + 1) * c]) for i in range(r)]
    heights = []
    for row in rows:
        h = as_pair(row[0].shape)[0]
        for b in row[1:]:
            if as_pair(b.shape)[0] != h:
                raise mismatch("a row of a literal", row[0], b)
        heights.append(h)
    widths = []
    for j in range(c):
        w = as_pair(rows[0][j].shape)[1]
        for row in rows[1:]:
            if as_pair(row[j].shape)[1] != w:
                raise mismatch("a column of a literal", rows[0][j], row[j])
        widths.append(w)
    return norm_shape((sp.Add(*heights), sp.Add(*widths)))


def _merge_blocks(args, data):
    """A literal of explicit blocks is one explicit literal; a single block is itself."""
    r, c = data
    if r * c == 1:
        return args[0]
    rows = [list(args[i * c : (i + 1) * c]) for i in range(r)]
    if all(a.is_scalar for a in args) or not all(
        a.is_scalar or is_scalar_lit(a) or _explicit_zero(a) for a in args
    ):
        return None
    out: list[list[Node]] = []
    for row in rows:
        parts = [_zero_rows(b) if _explicit_zero(b) else lit_rows(b) for b in row]
        for i in range(len(parts[0])):
            out.append([e for part in parts for e in part[i]])
    return lit(out)


def _explicit_zero(a: Node) -> bool:
    return a.op == "zero" and all(d.is_Integer for d in a.shape)


def _zero_rows(a: Node) -> list[list[Node]]:
    r, c = (int(d) for d in a.shape)
    return [[num(0)] * c for _ in range(r)]


def offsets(n: Node) -> tuple[list, list]:
    rows = grid(n)
    r0 = [sp.Integer(0)]
    for row in rows:
        r0.append(r0[-1] + as_pair(row[0].shape)[0])
    c0 = [sp.Integer(0)]
    for b in rows[0]:
        c0.append(c0[-1] + as_pair(b.shape)[1])
    return r0, c0


def _lit_transpose(n: Node, g: Node, i: int) -> Node:
    _, c = n.data
    bi, bj = divmod(i, c)
    if (
        g.op == "lit"
        and g.data == n.data
        and all(x.shape == y.shape for x, y in zip(g.args, n.args, strict=True))
    ):
        return g.args[i]
    r0, c0 = offsets(n)
    return slice_(g, r0[bi], r0[bi + 1], c0[bj], c0[bj + 1])


def _lit_vec(n: Node, i: int, k: Node) -> Node:
    r, c = n.data
    width = k.shape[1] if k.shape else ONE
    if c == 1 and all(a.is_scalar or a.is_vector for a in n.args):
        blocks = [
            k if j == i else zero(norm_shape((size(a.shape), width))) for j, a in enumerate(n.args)
        ]
        return lit([[b] for b in blocks])
    if all(a.is_scalar for a in n.args):
        order = [bi * c + bj for bj in range(c) for bi in range(r)]  # column-major
        blocks = [k if j == i else zero(norm_shape((ONE, width))) for j in order]
        return lit([[b] for b in blocks])
    raise NotMatrixLevel("vec of a block literal with matrix blocks")


def _lit_np(ctx, n: Node, *vs):
    """The blocks, each made 2-D by its shape, joined; the result back in the convention."""
    xp = ctx.xp
    r, c = n.data
    blocks = [
        [
            two_d(xp, xp.asarray(vs[i * c + j], dtype=float), n.args[i * c + j].shape)
            for j in range(c)
        ]
        for i in range(r)
    ]
    return from_two_d(xp, xp.block(blocks), n.shape)


def _lit_expand(ctx, n: Node, *vs: Node) -> Node:
    return build("lit", *vs, data=n.data)


def _block(p, b: Node) -> str:
    """A block of a literal; a zero block carries its size, which nothing else in the text fixes."""
    if b.op == "zero":
        return sized_zero(p, b)
    if b.op == "T" and b.args[0].op == "zero":  # as written, in show
        return sized_zero(p, Node("zero", (), None, b.shape))
    return p(b)


def _lit_text(p, n: Node) -> str:
    r, c = n.data
    rows = grid(n)
    if c == 1:
        return "[" + ", ".join(_block(p, b) for b in n.args) + "]"
    if r == 1 and all(b.is_scalar or b.is_row for b in n.args):
        return "[" + ", ".join(_block(p, transpose(b)) for b in n.args) + "]ᵀ"
    return "[" + ", ".join("[" + ", ".join(_block(p, b) for b in row) + "]" for row in rows) + "]"


def _lit_latex(p, n: Node) -> str:
    body = r" \\ ".join(" & ".join(_block(p, b) for b in row) for row in grid(n))
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def _lit_numpy(p, n: Node) -> str:
    rows = grid(n)
    if all(b.is_scalar for b in n.args):
        if n.is_vector or n.is_row:
            return "np.array([" + ", ".join(p(b) for b in n.args) + "], dtype=float)"
        return (
            "np.array(["
            + ", ".join("[" + ", ".join(p(b) for b in row) + "]" for row in rows)
            + "], dtype=float)"
        )
    code = (
        "np.block(["
        + ", ".join("[" + ", ".join(p.two_d(b) for b in row) + "]" for row in rows)
        + "])"
    )
    return f"np.ravel({code})" if (n.is_vector or n.is_row) else code


def _lit_sympy(n: Node, *a):
    r, c = n.data
    if all(x.is_scalar for x in n.args):
        return sp.ImmutableMatrix(r, c, list(a))
    return mx().BlockMatrix([list(a[i * c : (i + 1) * c]) for i in range(r)])


register(
    deflinear(
        "lit",
        shape=_lit_shape,
        np=_lit_np,
        expand=_lit_expand,
        sympy=_lit_sympy,
        text=_lit_text,
        latex=_lit_latex,
        numpy=_lit_numpy,
        prec=ATOM,
        steps="d of a literal is the literal of the differentials",
        arity=None,
        transpose=_lit_transpose,
        # vec: the blocks' rows of K stacked (a matrix value: not derived)
        vec=_lit_vec,
        push_T=lambda a: build(
            "lit",
            *(transpose(b) for col in zip(*grid(a), strict=True) for b in col),
            data=(a.data[1], a.data[0]),
        ),
        rewrites=[
            Rewrite(
                "one block is itself; explicit blocks merge",
                _merge_blocks,
                ("[1, 2]", "[3, 4]"),
                data=(2, 1),
            )
        ],
    )
)


# ---------------------------------------------------------------- slices


def slice_shape(args, data):
    r0, r1, c0, c1 = data
    return norm_shape((r1 - r0, c1 - c0))


def _slice_transpose(n: Node, g: Node, i: int) -> Node:
    r0, r1, c0, c1 = n.data
    rows, cols = as_pair(n.args[0].shape)
    hs = [h for h in (r0, r1 - r0, rows - r1) if h != 0]
    ws = [w for w in (c0, c1 - c0, cols - c1) if w != 0]
    bi = 1 if r0 != 0 else 0
    bj = 1 if c0 != 0 else 0
    grid = [
        [g if (i_ == bi and j == bj) else zero(norm_shape((h, w))) for j, w in enumerate(ws)]
        for i_, h in enumerate(hs)
    ]
    return lit(grid)


def _slice_vec(n: Node, i: int, k: Node) -> Node:
    """The rows of K that belong to the slice, one column of the slice at a time."""
    r0, r1, c0, c1 = n.data
    rows = as_pair(n.args[0].shape)[0]
    width = k.shape[1] if k.shape else ONE
    if not (c0.is_Integer and c1.is_Integer):
        raise NotMatrixLevel("vec of a slice at a symbolic column")
    return lit(
        [[slice_(k, rows * j + r0, rows * j + r1, 0, width)] for j in range(int(c0), int(c1))]
    )


def _slice_np(ctx, n: Node, a):
    r0, r1, c0, c1 = (int(sp.sympify(x).xreplace(ctx.dims)) for x in n.data)  # safe: dimensions
    return from_two_d(ctx.xp, two_d(ctx.xp, a, n.args[0].shape)[r0:r1, c0:c1], n.shape)


def _slice_expand(ctx, n: Node, a: Node) -> Node:
    rows = lit_rows(a)
    r0, r1, c0, c1 = (int(sp.sympify(x).xreplace(ctx.dims)) for x in n.data)  # safe: dimensions
    return lit([row[c0:c1] for row in rows[r0:r1]])


def _index_text(p, n: Node) -> str:
    a = n.args[0]
    r0, r1, c0, c1 = n.data

    def span(lo, hi) -> str:
        return p.dim_text(lo + 1) if hi - lo == 1 else f"{p.dim_text(lo + 1)}:{p.dim_text(hi)}"

    if a.is_vector:
        return f"{p.arg(a, ATOM)}[{span(r0, r1)}]"
    return f"{p.arg(a, ATOM)}[{span(r0, r1)},{span(c0, c1)}]"


def _index_latex(p, n: Node) -> str:
    """x_{2}, X_{1,2}, and slices as papers write them: x_{1:4}, X_{1:2,2:3}, x_{2:n - 1}."""
    a = n.args[0]
    r0, r1, c0, c1 = n.data

    def span(lo, hi) -> str:
        return p.dim_text(lo + 1) if hi - lo == 1 else f"{p.dim_text(lo + 1)}:{p.dim_text(hi)}"

    sub = (
        span(r0, r1)
        if a.is_vector
        else span(c0, c1)
        if a.is_row
        else f"{span(r0, r1)},{span(c0, c1)}"
    )
    base = p(a) if a.op == "var" and "_" not in p(a) else p.wrap(p(a))  # no double subscript
    return f"{base}_{{{sub}}}"


def _index_numpy(p, n: Node) -> str:
    a = n.args[0]
    r0, r1, c0, c1 = n.data
    if a.is_vector:
        return (
            f"{p.arg(a, ATOM)}[{p.dim(r0)}]"
            if n.is_scalar
            else f"{p.arg(a, ATOM)}[{p.dim(r0)}:{p.dim(r1)}]"
        )
    if a.is_row:  # a row is 1-D in NumPy too
        return (
            f"{p.arg(a, ATOM)}[{p.dim(c0)}]"
            if n.is_scalar
            else f"{p.arg(a, ATOM)}[{p.dim(c0)}:{p.dim(c1)}]"
        )
    if n.is_scalar:
        return f"{p.arg(a, ATOM)}[{p.dim(r0)}, {p.dim(c0)}]"
    code = f"{p.two_d(a)}[{p.dim(r0)}:{p.dim(r1)}, {p.dim(c0)}:{p.dim(c1)}]"
    return f"np.ravel({code})" if (n.is_vector or n.is_row) else code


def _slice_sympy(n: Node, a):
    r0, r1, c0, c1 = n.data
    if n.is_scalar:
        return a[r0, c0]
    return a[r0:r1, c0:c1]


register(
    deflinear(
        "slice",
        shape=slice_shape,
        np=_slice_np,
        expand=_slice_expand,
        sympy=_slice_sympy,
        text=_index_text,
        latex=_index_latex,
        numpy=_index_numpy,
        prec=ATOM,
        steps="d of an entry is the entry of the differential",
        transpose=_slice_transpose,
        # vec: the slice's rows of K (a matrix value: not derived)
        vec=_slice_vec,
        # no push_T: a transpose stays outside a slice (the rewrite moves it out), else the two
        # rewrites would hand (x[1:4])ᵀ back and forth for ever
        view=True,
    )
)


# ---------------------------------------------------------------- diag


def _selection(n) -> Node:
    """S (n²×n) with vec(diag(v)) = S v: S = (𝐈 ⊗ 𝟏) ⊙ (𝟏 ⊗ 𝐈)."""
    col = ones((n, ONE))
    return had(kron(eye(n), col), kron(col, eye(n)))


def _diag_rewrite(args, data):
    a = args[0]
    if is_zero(a):
        return zero((a.shape[0], a.shape[0]))
    if a.op == "ones":
        return eye(a.shape[0])
    if is_scalar_lit(a):
        entries = [e for row in lit_rows(a) for e in row]
        k = len(entries)
        return lit([[entries[i] if i == j else num(0) for j in range(k)] for i in range(k)])
    return None


def _diag_np(ctx, n: Node, v):
    return ctx.xp.diag(ctx.xp.ravel(v))


def _diag_expand(ctx, n: Node, v: Node) -> Node:
    entries = [e for row in lit_rows(v) for e in row]
    k = len(entries)
    return lit([[entries[i] if i == j else num(0) for j in range(k)] for i in range(k)])


register(
    deflinear(
        "diag",
        shape=lambda args, data: (args[0].shape[0], args[0].shape[0]),
        np=_diag_np,
        expand=_diag_expand,
        sympy=lambda n, a: mx().DiagMatrix(a),
        text=lambda p, n: f"diag({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{diag}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.diag({p(n.args[0])})",
        prec=ATOM,
        steps="diag is linear",
        transpose=lambda n, g, i: diagof(g),
        # vec: the selection matrix S (a matrix value: not derived)
        vec=lambda n, i, k: matmul(_selection(n.shape[0]), k),
        push_T=lambda a: a,
        rewrites=[
            linear_unary_rewrites(lambda a: diag(a), "x + y", "2*t*x", ("x:n", "y:n"))[1],
            Rewrite(
                "diag(0) = 0, diag(𝟏) = 𝐈, explicit diagonals",
                _diag_rewrite,
                ("ones(n)",),
                ("x:n",),
            ),
        ],
        role="diagonal",
    )
)


def _diagof_shape(args, data) -> tuple:
    a = args[0]
    if not a.is_square:  # diag(·) checks too; a rectangular one would fail its transpose rule
        raise ShapeError(
            f"the diagonal of {brief(a)} needs a square matrix, got {shape_str(a.shape)}"
        )
    return (a.shape[0], ONE)


register(
    deflinear(
        "diagof",
        shape=_diagof_shape,
        np=lambda ctx, n, a: ctx.xp.diag(a),
        expand=lambda ctx, n, a: lit([[r[i]] for i, r in enumerate(lit_rows(a))]),
        sympy=lambda n, a: mx().DiagonalOf(a),
        text=lambda p, n: f"diag({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{diag}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.diag({p(n.args[0])})",
        prec=ATOM,
        steps="diag is linear",
        transpose=lambda n, g, i: diag(g),
        # vec: Sᵀ (a matrix value: not derived)
        vec=lambda n, i, k: matmul(transpose(_selection(n.shape[0])), k),
        rewrites=[
            *linear_unary_rewrites(lambda a: diagof(a), "A + B", "2*t*A", ("A:n,n", "B:n,n")),
        ],
    )
)


alias("diag", 1, diag)


# ---------------------------------------------------------------- vec and its inverse


def _vec_expand(ctx, n: Node, a: Node) -> Node:
    """An explicit value's columns stacked."""
    if a.is_scalar or a.is_vector or not is_scalar_lit(a):
        return a
    rows = lit_rows(a)
    return lit([[rows[i][j]] for j in range(len(rows[0])) for i in range(len(rows))])


def _vec_np(ctx, n: Node, a):
    return from_two_d(ctx.xp, ctx.xp.ravel(two_d(ctx.xp, a, n.args[0].shape), order="F"), n.shape)


register(
    deflinear(
        "vec",
        shape=lambda args, data: norm_shape((size(args[0].shape), ONE)),
        np=_vec_np,
        expand=_vec_expand,
        sympy=lambda n, a: sp.ImmutableMatrix(a.as_explicit().T.reshape(size(n.args[0].shape), 1)),
        text=lambda p, n: f"vec({p(n.args[0])})",
        latex=lambda p, n: rf"\operatorname{{vec}}\left({p(n.args[0])}\right)",
        numpy=lambda p, n: f"np.ravel({p.two_d(n.args[0])}, order='F')",
        prec=ATOM,
        steps="vec is linear",
        names=("vec",),
        transpose=lambda n, g, i: unvec(g, as_pair(n.args[0].shape)),
        # vec: the identity (a matrix value: not derived)
        vec=lambda n, i, k: k,
        rewrites=[
            *linear_unary_rewrites(lambda a: vec(a), "A + B", "2*t*A", ("A:n,m", "B:n,m")),
        ],
    )
)


def _unvec_rewrite(args, data):
    a = args[0]
    r, c = data
    if a.op == "vec" and as_pair(a.args[0].shape) == (r, c):
        return a.args[0]
    if is_zero(a):
        return zero(norm_shape((r, c)))
    if c == 1:
        return a
    if a.op == "mul":
        return mul(*a.args[:-1], unvec(a.args[-1], data))
    if a.op == "add":
        return add(*(unvec(t, data) for t in a.args))
    if is_scalar_lit(a) and r.is_Integer and c.is_Integer:
        es = [row[0] for row in lit_rows(a)]
        return lit([[es[j * int(r) + i] for j in range(int(c))] for i in range(int(r))])
    return None


def _unvec_np(ctx, n: Node, a):
    r, c = (int(sp.sympify(d).xreplace(ctx.dims)) for d in n.data)  # safe: dimensions
    return from_two_d(ctx.xp, ctx.xp.transpose(ctx.xp.reshape(a, (c, r))), n.shape)


def _unvec_shape(args, data) -> tuple:
    a, (r, c) = args[0], data
    if not (a.is_scalar or a.is_vector) or sp.expand(size(a.shape) - r * c) != 0:
        raise ShapeError(
            f"unvec to {shape_str((r, c))} needs a vector of {r * c} entries, "
            f"but {brief(a)} is {shape_str(a.shape)}"
        )
    return norm_shape((r, c))


register(
    deflinear(
        "unvec",
        shape=_unvec_shape,
        np=_unvec_np,
        expand=lambda ctx, n, a: _unvec_rewrite((a,), n.data) or unvec(a, n.data),
        sympy=lambda n, a: sp.ImmutableMatrix(a.as_explicit().reshape(*reversed(n.data)).T),
        text=lambda p, n: (
            f"unvec({p(n.args[0])}, {p.dim_text(n.data[0])}, {p.dim_text(n.data[1])})"
        ),
        latex=lambda p, n: (
            rf"\operatorname{{unvec}}\left({p(n.args[0])}, {p.dim_text(n.data[0])}, {p.dim_text(n.data[1])}\right)"
        ),
        numpy=lambda p, n: (
            f"np.reshape({p(n.args[0])}, ({p.dim(n.data[1])}, {p.dim(n.data[0])})).T"
        ),
        prec=ATOM,
        steps="the inverse of vec is linear",
        transpose=lambda n, g, i: vec(g),
        # vec: the identity (a matrix value: not derived)
        vec=lambda n, i, k: k,
        rewrites=[
            Rewrite(
                "unvec(vec(A)) = A",
                _unvec_rewrite,
                ("vec(A)",),
                ("A:n,m",),
                (dim_symbol("n"), dim_symbol("m")),
            )
        ],
    )
)


def _unvec_surface(a: Node, r: Node, c: Node) -> Node:
    if r.op != "num" or c.op != "num":
        raise MatcalcError("unvec(v, r, c) takes two sizes")
    return unvec(a, (r.data, c.data))


alias("unvec", 3, _unvec_surface)
