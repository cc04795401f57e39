"""The rewrites that relate operators of different families: `log det X = logdet X`,
`sum(A ⊗ B) = sum A sum B`, `tr(XᵀX) = ‖X‖²`, `vec(u vᵀ) = v ⊗ u`. A family's own rewrites
stay with its entry; one that builds or inspects another family's operator lives here, the top
of ops/ (so do the few that move a transpose through a reduction or a slice), and `attach` puts
it into the entry's list at the place it always had (rewrites are tried in order, so the place
decides printed forms). Each keeps its `Rewrite` doc, example and `let`, which the registry
tests check by value."""

from __future__ import annotations

import sympy as sp

from ..expr.node import ONE, Node, as_pair, norm_shape, size, transposed
from ..expr.registry import OPS, Rewrite, build
from .arith import sum_terms
from .base import (
    add,
    apply,
    comm,
    det,
    diag,
    diagof,
    eye,
    grid,
    had,
    inner,
    inv,
    is_num,
    is_scalar_lit,
    is_zero,
    kron,
    kron_inner_left,
    kron_inner_right,
    lambda_extreme,
    lit,
    lit_rows,
    logdet,
    logsumexp,
    matfun,
    matmul,
    matpow,
    matpowk,
    mean,
    mul,
    neg,
    norm2,
    num,
    ones,
    pow_,
    slice_,
    split_coeff,
    sub,
    sum_,
    symmetric,
    trace,
    transpose,
    transposes,
    unvec,
    zero,
)
from .kronecker import kil_shape, kir_shape, kron_shape
from .structure import offsets, slice_shape


def attach(op_name: str, *rewrites: Rewrite, before: str | None = None) -> None:
    """Put `rewrites` into the entry's list: before the rewrite whose doc is `before`, else last."""
    rws = OPS[op_name].rewrites
    at = len(rws) if before is None else next(i for i, r in enumerate(rws) if r.doc == before)
    rws[at:at] = rewrites


# ---------------------------------------------------------------- sums and powers


def _sum_of_literals(args: tuple[Node, ...], data: object) -> Node | None:
    """Explicit matrices add entry by entry."""
    lits = [a for a in args if is_scalar_lit(a)]
    if len(lits) < 2:
        return None
    rows = [lit_rows(a) for a in lits]
    summed = [
        [add(*(r[i][j] for r in rows)) for j in range(len(rows[0][0]))] for i in range(len(rows[0]))
    ]
    rest = [a for a in args if not is_scalar_lit(a)]
    return add(lit(summed), *rest) if rest else lit(summed)


def _lit_terms(t: Node) -> int:
    """How many block literals a term of a sum holds (as itself, scaled, or in a nested sum)."""
    if t.op == "lit" or (t.op == "mul" and t.args[-1].op == "lit"):
        return 1
    return sum(_lit_terms(u) for u in t.args) if t.op == "add" else 0


def _sum_of_blocks(args: tuple[Node, ...], data: object) -> Node | None:
    """Block literals of one structure add block by block: [a, 0] + [0, b] = [a, b]."""
    if sum(_lit_terms(a) for a in args) < 2:
        return None
    groups: dict[tuple, list[tuple[sp.Expr, Node]]] = {}
    rest: list[Node] = []
    for c, t in sum_terms(args):
        if t is not None and t.op == "lit":
            groups.setdefault((t.data, tuple(b.shape for b in t.args)), []).append((c, t))
        else:
            rest.append(num(c) if t is None else mul(num(c), t))
    if all(len(g) < 2 for g in groups.values()):
        return None
    merged = []
    for (data, _), g in groups.items():
        blocks = [add(*(mul(num(c), t.args[i]) for c, t in g)) for i in range(len(g[0][1].args))]
        merged.append(build("lit", *blocks, data=data))
    return add(*merged, *rest)


attach(
    "add",
    Rewrite("sum of literals: entry by entry", _sum_of_literals, ("[a, b]", "[c, 1]")),
    Rewrite(
        "sum of block literals: block by block",
        _sum_of_blocks,
        ("[x, a]", "[y, 1]"),
        ("x:n", "y:n"),
    ),
    before="flatten, fold numbers, combine like terms",
)


def _power_of_product(args: tuple[Node, ...], data: object) -> Node | None:
    """(c u)^p = c^p u^p, for an integer p or a positive constant c; (A ⊙ B)^k = A^k ⊙ B^k."""
    base, e = args
    if e.op != "num":
        return None
    p = e.data
    if base.op == "mul":
        if p.is_Integer:
            return mul(*(pow_(f, e) for f in base.args))
        c = base.args[0]
        if c.op == "num" and c.data.is_positive:
            return mul(pow_(c, e), pow_(mul(*base.args[1:]), e))
    if base.op == "had" and p.is_Integer:
        return had(*(pow_(f, e) for f in base.args))
    return None


def _norm_of_inner(args: tuple[Node, ...], data: object) -> Node | None:
    """(xᵀx)^p = ‖x‖^(2p) and tr(XᵀX)^p = ‖X‖^(2p): √(xᵀx) is the norm."""
    base, e = args
    if e.op != "num" or e.data.is_Integer:
        return None
    inner = base.args[0] if base.op == "tr" else base
    if inner.op == "matmul" and len(inner.args) == 2:
        a, b = inner.args
        if a.op == "T" and a.args[0] == b:
            return pow_(norm2(b), num(2 * e.data))
    return None


attach(
    "pow",
    Rewrite("(c u)ᵖ = cᵖ uᵖ", _power_of_product, ("2*t", "3")),
    Rewrite("√(xᵀx) = ‖x‖", _norm_of_inner, ("x.T*x", "1/2"), ("x:n",)),
)


# ---------------------------------------------------------------- linear algebra


def _t_symmetric(args, data):
    a = args[0]
    if (a.op == "var" and a.data[1]) or a.op in ("eye", "diag"):
        return a
    if a.op in ("zero", "ones"):
        return Node(a.op, (), None, transposed(a.shape))
    if a.op == "comm":
        return comm(a.data[1], a.data[0])
    return None


attach(
    "T",
    Rewrite(
        "symmetric: Sᵀ = S, 𝐈ᵀ = 𝐈, diag(x)ᵀ = diag(x)",
        _t_symmetric,
        ("S",),
        ("S:n,n,sym",),
    ),
    before="transposes move to the leaves",
)


def _inv_of_diag(args, data):
    a = args[0]
    if a.op == "diag":
        return diag(pow_(a.args[0], num(-1)))
    if a.op == "matpow":
        return matpow(inv(a.args[0]), a.data)
    if a.op == "matmul" and all(
        f.is_square for f in a.args
    ):  # (A B)⁻¹ = B⁻¹ A⁻¹ for square factors
        return matmul(*(inv(f) for f in reversed(a.args)))
    return None


attach(
    "inv",
    Rewrite("diag(x)⁻¹ = diag(x⊙⁻¹), (Xᵏ)⁻¹ = (X⁻¹)ᵏ", _inv_of_diag, ("diag(x)",), ("x:n",)),
    Rewrite("(A B)⁻¹ = B⁻¹ A⁻¹ for square factors", _inv_of_diag, ("A*B",), ("A:n,n", "B:n,n")),
)


def _logdet_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return logdet(a.args[0])
    if a.op == "inv":
        return neg(logdet(a.args[0]))
    if a.op == "eye":
        return num(0)
    if a.op == "mul":
        c, rest = split_coeff(a)
        if rest is not None and c.is_positive and len(a.args) == 2:
            return add(mul(num(a.shape[0]), apply("log", num(c))), logdet(rest))
    return None


attach(
    "logdet",
    Rewrite(
        "log det Xᵀ = log det X, log det X⁻¹ = −log det X, log det(c X) = n log c + log det X",
        _logdet_rewrite,
        ("inv(A)",),
        ("A:n,n",),
    ),
)


def _trace_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return trace(a.args[0])
    flipped = transpose(a)
    if transposes(flipped) < transposes(a):  # tr M = tr Mᵀ: the form with fewer transposes
        return trace(flipped)
    if a.op == "eye":
        return num(a.shape[0])
    if is_zero(a):
        return num(0)
    if a.op == "kron" and all(f.is_square for f in a.args):  # tr(A ⊗ B) = tr A tr B
        return mul(trace(a.args[0]), trace(a.args[1]))
    if a.op == "matmul" and len(a.args) == 2 and a.args[0] == transpose(a.args[1]):
        return pow_(norm2(a.args[1]), num(2))  # tr(XᵀX) = ‖X‖²
    if a.op == "matmul" and a.args[-1].is_row:  # tr(M u vᵀ) = vᵀ M u
        return matmul(a.args[-1], *a.args[:-1])
    if a.op == "matmul" and a.args[0].is_vector:  # tr(u vᵀ M) = vᵀ M u
        return matmul(*a.args[1:], a.args[0])
    return None


attach(
    "tr",
    Rewrite(
        "tr Aᵀ = tr A, tr 𝐈 = n, tr(A ⊗ B) = tr A tr B, tr(u vᵀ M) = vᵀ M u",
        _trace_rewrite,
        ("A*x*y.T",),
        ("A:n,n", "x:n", "y:n"),
    ),
)


def _kron_rewrite(args, data):
    a, b = args
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    if is_zero(a) or is_zero(b):
        return zero(kron_shape(args, data))
    if a.op == "mul":
        return mul(*a.args[:-1], kron(a.args[-1], b))
    if b.op == "mul":
        return mul(*b.args[:-1], kron(a, b.args[-1]))
    if a.op == "eye" and b.op == "eye":
        return eye(a.shape[0] * b.shape[0])
    if a.is_row and b.is_vector:  # a ⊗ b = b a for a row a and a column b
        return matmul(b, a)
    if a.is_vector and b.is_row:  # a ⊗ b = a b
        return matmul(a, b)
    return None


attach(
    "kron",
    Rewrite(
        "scalars out, 𝐈 ⊗ 𝐈 = 𝐈, a ⊗ bᵀ = a bᵀ",
        _kron_rewrite,
        ("x", "y.T"),
        ("x:n", "y:m"),
    ),
)


def _kil_rewrite(args, data):
    a, g = args
    if a.is_vector and g.is_vector:  # Σ_a a_a g_a = unvec(g) a
        p_ = sp.cancel(g.shape[0] / a.shape[0])
        return matmul(unvec(g, (p_, a.shape[0])), a)
    if is_zero(g):
        return zero(kil_shape(args, data))
    if g.op == "add":
        return add(*(kron_inner_left(a, t) for t in g.args))
    if g.op == "mul":
        return mul(*g.args[:-1], kron_inner_left(a, g.args[-1]))
    if g.op == "kron" and g.args[0].shape == a.shape:
        return mul(inner(a, g.args[0]), g.args[1])
    if g.op == "ones":  # 𝟏 = 𝟏 ⊗ 𝟏
        return mul(sum_(a), ones(kil_shape(args, data)))
    return None


attach(
    "kron_inner_left",
    Rewrite(
        "⟨A, C ⊗ D⟩₁ = ⟨A, C⟩ D, linear in G",
        _kil_rewrite,
        ("A", "kron(B, C)"),
        ("A:k,k", "B:k,k", "C:n,n"),
    ),
)


def _kir_rewrite(args, data):
    g, b = args
    if b.is_vector and g.is_vector:  # ⟨g_a, b⟩ = (unvec(g)ᵀ b)_a
        k = sp.cancel(g.shape[0] / b.shape[0])
        return matmul(transpose(unvec(g, (b.shape[0], k))), b)
    if is_zero(g):
        return zero(kir_shape(args, data))
    if g.op == "add":
        return add(*(kron_inner_right(t, b) for t in g.args))
    if g.op == "mul":
        return mul(*g.args[:-1], kron_inner_right(g.args[-1], b))
    if g.op == "kron" and g.args[1].shape == b.shape:
        return mul(inner(g.args[1], b), g.args[0])
    if g.op == "ones":  # 𝟏 = 𝟏 ⊗ 𝟏
        return mul(sum_(b), ones(kir_shape(args, data)))
    return None


attach(
    "kron_inner_right",
    Rewrite(
        "⟨C ⊗ D, B⟩₂ = ⟨D, B⟩ C, linear in G",
        _kir_rewrite,
        ("kron(A, C)", "B"),
        ("A:k,k", "B:n,n", "C:n,n"),
    ),
)


# ---------------------------------------------------------------- log


def _log_special(args, data):
    u = args[0]
    if u.op == "det":
        return logdet(u.args[0])
    if u.op == "pow" and u.args[1].op == "num" and u.args[1].data.is_Integer and u.args[1].data % 2:
        return mul(u.args[1], apply("log", u.args[0]))  # log uᵏ = k log u for an odd k
    if u.op == "sum" and u.args[0].op == "exp" and u.args[0].is_vector:
        return logsumexp(u.args[0].args[0])
    if u.op == "softmax":  # log softmax(z) = z − logsumexp(z) 𝟏
        z = u.args[0]
        return sub(z, mul(logsumexp(z), ones(z.shape)))
    if u.op == "add" and len(u.args) == 2:  # log(1 + exp(z)) = softplus(z)
        for one, e in (u.args, u.args[::-1]):
            if e.op == "exp" and (is_num(one, 1) or _ones(one, e.shape)):
                return apply("softplus", e.args[0])
    return None


def _ones(n: Node, shape: tuple) -> bool:
    return n.shape == shape and (
        n.op == "ones" or (n.op == "mul" and is_num(n.args[0], 1) and n.args[-1].op == "ones")
    )


attach(
    "log",
    Rewrite(
        "log det X = logdet X, log sum exp x = logsumexp x, log softmax z = z − logsumexp(z) 𝟏, "
        "log(1 + exp z) = softplus z, log uᵏ = k log u (k odd)",
        _log_special,
        ("sum(exp(x))",),
        ("x:n",),
    ),
    Rewrite("log softmax z = z − logsumexp(z) 𝟏", _log_special, ("softmax(x)",), ("x:n",)),
    Rewrite("log(1 + exp z) = softplus z", _log_special, ("1 + exp(x)",), ("x:n",)),
)


# ---------------------------------------------------------------- sum, mean, norms


def _sum_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return sum_(a.args[0])
    if is_zero(a):
        return num(0)
    if a.op == "ones":
        return num(size(a.shape))
    if a.op == "kron":  # sum(A ⊗ B) = sum A sum B
        return mul(sum_(a.args[0]), sum_(a.args[1]))
    if a.op == "diag":
        return sum_(a.args[0])
    if a.op == "had" and len(a.args) == 2 and a.is_vector:  # sum(a ⊙ b) = aᵀ b
        return matmul(transpose(a.args[0]), a.args[1])
    if is_scalar_lit(a):
        return add(*(e for row in lit_rows(a) for e in row))
    return None


attach(
    "sum",
    Rewrite(
        "sum Aᵀ = sum A, sum 𝟏 = n, sum(A ⊗ B) = sum A sum B, sum(a ⊙ b) = aᵀb",
        _sum_rewrite,
        ("hadamard(x, y)",),
        ("x:n", "y:n"),
    ),
)


def _eig_of_unsymmetric(args) -> bool:
    """eig(X), X not symmetric by structure: read only by its sum and product, also as written."""
    return args[0].op == "eig" and not symmetric(args[0].args[0])


for _name, _of, _before in (
    ("sum", trace, "sum Aᵀ = sum A, sum 𝟏 = n, sum(A ⊗ B) = sum A sum B, sum(a ⊙ b) = aᵀb"),
    ("prod", det, None),
):
    _rw = (lambda f: lambda args, data: f(args[0].args[0]) if args[0].op == "eig" else None)(_of)
    _doc = f"{_name}(eig(X)) = {'tr' if _of is trace else 'det'} X (SPEC §7.2)"
    attach(
        _name,
        Rewrite(_doc, _rw, ("eig(S)",), ("S:n,n,sym",), None, _eig_of_unsymmetric),
        before=_before,
    )


def _mean_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return mean(a.args[0])
    if is_zero(a):
        return num(0)
    if a.op == "ones":
        return num(1)
    return None


attach("mean", Rewrite("mean Aᵀ = mean A, mean 𝟏 = 1", _mean_rewrite, ("A.T",), ("A:n,m",)))


def _norm_rewrite(name: str):
    def rewrite(args, data):
        a = args[0]
        if a.op == "T":
            return build(name, a.args[0])
        if is_zero(a):
            return num(0)
        c, rest = split_coeff(a)
        if rest is not None and c != 1 and c.is_number:
            return mul(num(abs(c)), build(name, rest))
        return None

    return rewrite


attach("norm2", Rewrite("‖Aᵀ‖ = ‖A‖, ‖c A‖ = |c| ‖A‖", _norm_rewrite("norm2"), ("-2*x",), ("x:n",)))


attach(
    "norm1",
    Rewrite("‖Aᵀ‖₁ = ‖A‖₁, ‖c A‖₁ = |c| ‖A‖₁", _norm_rewrite("norm1"), ("A.T",), ("A:n,m",)),
)


# ---------------------------------------------------------------- slices, diag, vec


def _slice_rewrite(args, data):
    a = args[0]
    r0, r1, c0, c1 = data
    shape = as_pair(a.shape)
    if (r0, r1, c0, c1) == (0, shape[0], 0, shape[1]):
        return a
    if is_zero(a):
        return zero(slice_shape(args, data))
    if a.op in ("ones", "eye") and all(x.is_Integer for x in data):  # entries of 𝟏 and 𝐈
        entry = (lambda i, j: 1) if a.op == "ones" else (lambda i, j: int(i == j))
        return lit(
            [[num(entry(i, j)) for j in range(int(c0), int(c1))] for i in range(int(r0), int(r1))]
        )
    if a.op in ("add",):
        return add(*(slice_(t, *data) for t in a.args))
    if a.op == "mul":
        return mul(*a.args[:-1], slice_(a.args[-1], *data))
    if a.op == "T":
        return transpose(slice_(a.args[0], c0, c1, r0, r1))
    if a.op == "lit":
        ro, co = offsets(a)
        if r0 in ro and r1 in ro and c0 in co and c1 in co:
            bi0, bi1, bj0, bj1 = ro.index(r0), ro.index(r1), co.index(c0), co.index(c1)
            blocks = grid(a)
            return lit([row[bj0:bj1] for row in blocks[bi0:bi1]])
        if is_scalar_lit(a) and all(x.is_Integer for x in data):
            rows = lit_rows(a)
            return lit([row[int(c0) : int(c1)] for row in rows[int(r0) : int(r1)]])
    return None


attach(
    "slice",
    Rewrite(
        "a slice of a sum, of a product with scalars, of a literal",
        _slice_rewrite,
        ("[a, b, c]",),
        data=(sp.Integer(1), sp.Integer(2), sp.Integer(0), sp.Integer(1)),
    ),
)


def _diagof_rewrite(args, data):
    a = args[0]
    n = a.shape[0]
    if a.op == "diag":
        return a.args[0]
    if a.op == "eye":
        return ones((n, ONE))
    if is_zero(a):
        return zero((n, ONE))
    if a.op == "T":
        return diagof(a.args[0])
    if is_scalar_lit(a):
        rows = lit_rows(a)
        return lit([[rows[i][i]] for i in range(len(rows))])
    if a.op == "matmul":
        fs = a.args
        for k, f in enumerate(fs):
            if f.op == "diag":  # diag(L diag(v) R) = (L ⊙ Rᵀ) v
                left, right = fs[:k], fs[k + 1 :]
                v = f.args[0]
                if not left and not right:
                    return v
                if not left:
                    return had(diagof(matmul(*right)), v)
                if not right:
                    return had(diagof(matmul(*left)), v)
                return matmul(had(matmul(*left), transpose(matmul(*right))), v)
        for k in range(1, len(fs)):
            if fs[k - 1].is_vector:  # diag(P Q) = P ⊙ Qᵀ for a column P and a row Q
                return had(matmul(*fs[:k]), transpose(matmul(*fs[k:])))
    return None


attach(
    "diagof",
    Rewrite(
        "diag(diag(x)) = x, diag(P Q) = P ⊙ Qᵀ, diag(L diag(v) R) = (L ⊙ Rᵀ) v",
        _diagof_rewrite,
        ("A*diag(x)*B",),
        ("A:n,n", "B:n,n", "x:n"),
    ),
)


def _vec_rewrite(args, data):
    a = args[0]
    if a.is_scalar or a.is_vector:
        return a
    if a.is_row:
        return transpose(a)
    if a.op == "matmul" and len(a.args) == 2 and a.args[0].is_vector and a.args[1].is_row:
        return kron(transpose(a.args[1]), a.args[0])  # vec(u vᵀ) = v ⊗ u
    if is_scalar_lit(a):
        rows = lit_rows(a)
        return lit([[rows[i][j]] for j in range(len(rows[0])) for i in range(len(rows))])
    return None


attach(
    "vec",
    Rewrite(
        "vec of a vector is itself, vec(u vᵀ) = v ⊗ u",
        _vec_rewrite,
        ("x*y.T",),
        ("x:n", "y:m"),
    ),
)


def _lse_of_zero(args, data):
    return apply("log", num(size(args[0].shape))) if is_zero(args[0]) else None


attach("lse", Rewrite("logsumexp(𝟎ₙ) = log n", _lse_of_zero, ("zeros(n)",), ("x:n",)))


def _lse_rows_of_zero(args, data):
    """logsumexp of each row of 𝟎 is log k: the column log(k) 𝟏ₘ (an m×k zero prints as 0)."""
    z = args[0]
    if not is_zero(z):
        return None
    return mul(apply("log", num(z.shape[1])), ones(norm_shape((z.shape[0], ONE))))


attach(
    "lse_rows",
    Rewrite("logsumexp(𝟎, 2) = log(k) 𝟏", _lse_rows_of_zero, ("zeros(m, k)",), ("X:m,k",)),
)


# ---------------------------------------------------------------- matrix functions (SPEC §7.2)


def _frechet_identity(name: str):
    """L_f(X, 𝐈) = f′(X), X commuting with 𝐈: expm(X), X⁻¹ (logm), sqrtm(X)⁻¹/2 (sqrtm)."""

    def rule(args, data):
        x, *es = args
        if len(es) != 1 or es[0].op != "eye":
            return None
        if name == "expm":
            return matfun("expm", x)
        if name == "logm":
            return inv(x)
        return mul(num(sp.Rational(1, 2)), inv(matfun("sqrtm", x)))

    return rule


for _name in ("expm", "logm", "sqrtm"):
    attach(
        f"{_name}_frechet",
        Rewrite(
            "L(X, 𝐈) = f′(X): expm(X), X⁻¹, sqrtm(X)⁻¹/2",
            _frechet_identity(_name),
            ("A", "eye(n)"),
            ("A:n,n",),
        ),
    )


def _matpow_frechet_identity(args, data):
    """X commutes with 𝐈: Σⱼ Xʲ 𝐈 Xᵏ⁻¹⁻ʲ = k Xᵏ⁻¹ (an integer k - 1 is the ordinary power)."""
    x, e, k = args
    return mul(k, matpowk(x, num(k.data - 1))) if e.op == "eye" else None


attach(
    "matpow_frechet",
    Rewrite(
        "matpow_frechet(X, 𝐈, k) = k Xᵏ⁻¹",
        _matpow_frechet_identity,
        ("A", "eye(n)", "n"),
        ("A:n,n",),
    ),
)


def _extreme_of_eig(which: str):
    def fn(args, data) -> Node | None:
        a = args[0]
        return lambda_extreme(which, a.args[0]) if data is None and a.op == "eig" else None

    return fn


for _which in ("max", "min"):
    attach(
        _which,
        Rewrite(
            f"{_which}(eig(S)) = lambda_{_which}(S) (SPEC §7.2)",
            _extreme_of_eig(_which),
            ("eig(S)",),
            ("S:n,n,sym",),
        ),
    )


def rows_by_one_exponential(z: Node) -> tuple[Node, Node]:
    """logsumexp(Z, 2) and softmax(Z, 2) written with one E = exp(Z − M 𝟏ᵀ), M the row maxima
    (exp never overflows), s = E 𝟏: M + log(s) and diag(s)⁻¹ E. For generated code that needs
    both (render/cost.py); Z is kept whole, so code computes it once."""
    one = ones(norm_shape((z.shape[1], ONE)))
    top = build("max", z, data=2)
    shift = matmul(mul(num(-1), top), transpose(one))
    e = apply("exp", Node("add", (z, shift), None, z.shape))
    s = matmul(e, one)
    return add(top, apply("log", s)), matmul(diag(pow_(s, num(-1))), e)
