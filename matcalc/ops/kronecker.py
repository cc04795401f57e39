"""The Kronecker product A ⊗ B and its two partial inner products ⟨A, G⟩₁ and ⟨G, B⟩₂, which
its vec and transpose rules give: ⟨G, dA ⊗ B⟩ = ⟨kron_inner_right(G, B), dA⟩."""

from __future__ import annotations

import sympy as sp

from ..errors import ShapeError
from ..expr.arrays import from_two_d, two_d
from ..expr.node import ONE, Node, norm_shape
from ..expr.registry import ATOM, PROD, register
from .base import (
    add,
    call_latex,
    call_text,
    check_explicit,
    comm,
    deflinear,
    eye,
    kron,
    kron_inner_left,
    kron_inner_right,
    lit,
    lit_rows,
    matmul,
    mismatch,
    mul,
    mx,
    transpose,
    unvec,
    vec,
)

# ---------------------------------------------------------------- Kronecker product


def kron_shape(args, data):
    a, b = (x.shape if x.shape else (ONE, ONE) for x in args)
    return norm_shape((a[0] * b[0], a[1] * b[1]))


def _kron_permutation(a_shape, b_shape) -> Node:
    """P with vec(A ⊗ B) = P (vec A ⊗ vec B) (Magnus–Neudecker, Theorem 3.10)."""
    (r, c), (p_, q) = a_shape, b_shape
    return kron(kron(eye(c), comm(q, r)), eye(p_))


def _kron_vec(n: Node, i: int, k: Node) -> Node:
    a, b = n.args
    (r, c), (p_, q) = a.shape, b.shape
    perm = _kron_permutation(a.shape, b.shape)
    if i == 0:
        return matmul(perm, kron(eye(r * c), vec(b)), k)
    return matmul(perm, kron(vec(a), eye(p_ * q)), k)


def _kron_transpose(n: Node, g: Node, i: int) -> Node:
    a, b = n.args
    return kron_inner_right(g, b) if i == 0 else kron_inner_left(a, g)


def _kron_numpy(p, n: Node) -> str:
    code = f"np.kron({p.two_d(n.args[0])}, {p.two_d(n.args[1])})"
    return f"np.ravel({code})" if (n.is_vector or n.is_row) else code


def _kron_np(ctx, n: Node, a, b):
    xp, (x, y) = ctx.xp, n.args
    return from_two_d(xp, xp.kron(two_d(xp, a, x.shape), two_d(xp, b, y.shape)), n.shape)


def _kron_expand(ctx, n: Node, a: Node, b: Node) -> Node:
    ra, rb = lit_rows(a), lit_rows(b)
    check_explicit(len(ra) * len(rb), len(ra[0]) * len(rb[0]))
    return lit([[mul(x, y) for x in row_a for y in row_b] for row_a in ra for row_b in rb])


register(
    deflinear(
        "kron",
        shape=kron_shape,
        np=_kron_np,
        expand=_kron_expand,
        sympy=lambda n, a, b: mx().KroneckerProduct(a, b),
        text=lambda p, n: " ⊗ ".join(p.arg(f, PROD + 1) for f in n.args),
        latex=lambda p, n: r" \otimes ".join(p.arg(f, PROD + 1) for f in n.args),
        numpy=_kron_numpy,
        prec=PROD,
        steps="product rule for ⊗: d(A ⊗ B) = dA ⊗ B + A ⊗ dB",
        names=("kron", "TensorProduct"),  # SymPy's name too (SPEC §7.8)
        arity=2,
        multilinear=True,
        role="kronecker",  # generated code applies it to a vector unformed (render/cost.py)
        transpose=_kron_transpose,
        # vec: the Kronecker block form prints better than any derived one
        vec=_kron_vec,
        push_T=lambda a: kron(transpose(a.args[0]), transpose(a.args[1])),
    )
)


# The adjoints of ⊗: ⟨G, A ⊗ dB⟩ = ⟨kron_inner_left(A, G), dB⟩ and
# ⟨G, dA ⊗ B⟩ = ⟨kron_inner_right(G, B), dA⟩, with G cut into blocks G_ab the size of B.


def _block_shape(what: str, g: Node, part: Node) -> tuple:
    if part.is_scalar or g.is_scalar:
        raise ShapeError(f"{what} takes two matrices")
    dims = tuple(sp.cancel(g.shape[i] / part.shape[i]) for i in (0, 1))
    if not all(d.is_integer and d.is_positive for d in dims):
        raise mismatch(what, part, g)
    return norm_shape(dims)


def kil_shape(args, data):
    return _block_shape("kron_inner_left", args[1], args[0])


def kir_shape(args, data):
    return _block_shape("kron_inner_right", args[0], args[1])


def _blocks(xp, g, r, c):
    p_, q = g.shape[0] // r, g.shape[1] // c
    return xp.reshape(g, (r, p_, c, q))


def _kil_np(ctx, n: Node, a, g):
    xp = ctx.xp
    a, g = (two_d(xp, v, x.shape) for v, x in zip((a, g), n.args, strict=True))
    out = xp.einsum("ab,apbq->pq", a, _blocks(xp, g, a.shape[0], a.shape[1]))
    return from_two_d(xp, out, n.shape)


def _kir_np(ctx, n: Node, g, b):
    xp = ctx.xp
    g, b = (two_d(xp, v, x.shape) for v, x in zip((g, b), n.args, strict=True))
    r, c = g.shape[0] // b.shape[0], g.shape[1] // b.shape[1]
    return from_two_d(xp, xp.einsum("apbq,pq->ab", _blocks(xp, g, r, c), b), n.shape)


def _kil_expand(ctx, n: Node, a: Node, g: Node) -> Node:
    ra, rg = lit_rows(a), lit_rows(g)
    r, c = len(ra), len(ra[0])
    p_, q = len(rg) // r, len(rg[0]) // c
    return lit(
        [
            [
                add(*(mul(ra[x][y], rg[x * p_ + i][y * q + j]) for x in range(r) for y in range(c)))
                for j in range(q)
            ]
            for i in range(p_)
        ]
    )


def _kir_expand(ctx, n: Node, g: Node, b: Node) -> Node:
    rg, rb = lit_rows(g), lit_rows(b)
    p_, q = len(rb), len(rb[0])
    r, c = len(rg) // p_, len(rg[0]) // q
    return lit(
        [
            [
                add(
                    *(mul(rb[i][j], rg[x * p_ + i][y * q + j]) for i in range(p_) for j in range(q))
                )
                for y in range(c)
            ]
            for x in range(r)
        ]
    )


def _rearranged(g: Node, a_shape, b_shape) -> Node:
    """R(G)ᵀ (p q × r c): its column (a, b) is vec of the block G_ab, so R(A ⊗ B) = vec A vec Bᵀ."""
    (r, c), (p_, q) = a_shape, b_shape
    perm = _kron_permutation(a_shape, b_shape)
    return unvec(matmul(transpose(perm), vec(g)), (p_ * q, r * c))


def _kil_transpose(n: Node, h: Node, i: int) -> Node:
    a, g = n.args
    if i == 1:
        return kron(a, h)
    # a scalar value is ⟨A, G⟩ (blocks 1×1), whose adjoint in A is h G
    return mul(h, g) if h.is_scalar else kron_inner_right(g, h)


def _kir_transpose(n: Node, h: Node, i: int) -> Node:
    g, b = n.args
    if i == 0:
        return kron(h, b)
    return mul(h, g) if h.is_scalar else kron_inner_left(h, g)  # as in _kil_transpose


def _kil_vec(n: Node, i: int, k: Node) -> Node:
    a, g = n.args
    b_shape = n.shape if n.shape else (ONE, ONE)
    if i == 1:  # the adjoint of H ↦ A ⊗ H
        q = matmul(_kron_permutation(a.shape, b_shape), kron(vec(a), eye(b_shape[0] * b_shape[1])))
        return matmul(transpose(q), k)
    return matmul(_rearranged(g, a.shape, b_shape), k)


def _kir_vec(n: Node, i: int, k: Node) -> Node:
    g, b = n.args
    a_shape = n.shape if n.shape else (ONE, ONE)
    if i == 0:  # the adjoint of H ↦ H ⊗ B
        q = matmul(_kron_permutation(a_shape, b.shape), kron(eye(a_shape[0] * a_shape[1]), vec(b)))
        return matmul(transpose(q), k)
    return matmul(transpose(_rearranged(g, a_shape, b.shape)), k)


register(
    deflinear(
        "kron_inner_left",
        shape=kil_shape,
        np=_kil_np,
        expand=_kil_expand,
        sympy=lambda n, a, g: sp.Function("kron_inner_left")(a, g),
        text=call_text("kron_inner_left"),
        latex=call_latex(r"\operatorname{kron\_inner\_left}"),
        numpy=lambda p, n: _raveled(
            n,
            (
                f"np.einsum('ab,apbq->pq', {p.two_d(n.args[0])}, np.reshape({p.two_d(n.args[1])}, "
                f"({p.dim(n.args[0].shape[0])}, {p.dim(n.shape[0] if n.shape else 1)}, "
                f"{p.dim(n.args[0].shape[1])}, {p.dim(n.shape[1] if n.shape else 1)})))"
            ),
        ),
        prec=ATOM,
        steps="product rule (the adjoint of ⊗)",
        names=("kron_inner_left",),
        arity=2,
        multilinear=True,
        transpose=_kil_transpose,
        # vec: as kron's, a matrix value (not derived)
        vec=_kil_vec,
    )
)
register(
    deflinear(
        "kron_inner_right",
        shape=kir_shape,
        np=_kir_np,
        expand=_kir_expand,
        sympy=lambda n, g, b: sp.Function("kron_inner_right")(g, b),
        text=call_text("kron_inner_right"),
        latex=call_latex(r"\operatorname{kron\_inner\_right}"),
        numpy=lambda p, n: _raveled(
            n,
            (
                f"np.einsum('apbq,pq->ab', np.reshape({p.two_d(n.args[0])}, "
                f"({p.dim(n.shape[0] if n.shape else 1)}, {p.dim(n.args[1].shape[0])}, "
                f"{p.dim(n.shape[1] if n.shape else 1)}, {p.dim(n.args[1].shape[1])})), {p.two_d(n.args[1])})"
            ),
        ),
        prec=ATOM,
        steps="product rule (the adjoint of ⊗)",
        names=("kron_inner_right",),
        arity=2,
        multilinear=True,
        transpose=_kir_transpose,
        # vec: as kron's, a matrix value (not derived)
        vec=_kir_vec,
    )
)


def _raveled(n: Node, code: str) -> str:
    """A vector or row result is 1-D in NumPy; a scalar is a float."""
    if n.is_scalar:
        return f"float(np.ravel({code})[0])"
    return f"np.ravel({code})" if (n.is_vector or n.is_row) else code
