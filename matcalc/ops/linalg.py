"""Linear algebra: matrix product, transpose, inverse, matrix power, det, log det, trace (⊗ and
its partial inner products are in kronecker.py).

Each entry's rules follow Magnus & Neudecker: d(AB) = dA B + A dB, d(X⁻¹) = −X⁻¹ dX X⁻¹,
d det X = det X tr(X⁻¹ dX), d log det X = tr(X⁻¹ dX); a linear operator's transpose rule moves
a cotangent onto its operand (⟨G, A dX B⟩ = ⟨AᵀGBᵀ, dX⟩) and its vec rule gives
vec(A dX B) = (Bᵀ ⊗ A) vec dX.
"""

from __future__ import annotations

import itertools
from functools import reduce

import sympy as sp

from ..errors import ShapeError, UndefinedError
from ..expr.arrays import from_two_d, two_d
from ..expr.node import ONE, Node, norm_shape, shape_str, transposed
from ..expr.registry import ATOM, POSTFIX, PROD, Op, Rewrite, alias, register, role
from .base import (
    add,
    apply,
    call_latex,
    call_text,
    comm,
    deflinear,
    det,
    eye,
    flat,
    inv,
    is_scalar_lit,
    is_zero,
    kron,
    linear_unary_rewrites,
    lit,
    lit_rows,
    matmul,
    matpow,
    mismatch,
    mul,
    mx,
    neg,
    num,
    ones,
    pow_,
    superscript,
    trace,
    transpose,
    zero,
)
from .explicit import explicit_det, explicit_inverse, lit_matmul


def _need_square(what: str):
    def shape(args: tuple[Node, ...], data: object) -> tuple:
        a = args[0]
        if not a.is_square:
            raise ShapeError(f"{what} needs a square matrix, got {shape_str(a.shape)}")
        return a.shape

    return shape


def _square_to_scalar(what: str):
    square = _need_square(what)
    return lambda args, data: (square(args, data), ())[1]


# ---------------------------------------------------------------- matrix product


def _matmul_shape(args: tuple[Node, ...], data: object) -> tuple:
    mats = [a for a in args if not a.is_scalar]
    for a, b in itertools.pairwise(mats):
        if a.shape[1] != b.shape[0]:
            raise mismatch("product", a, b)
    if not mats:
        return ()
    return norm_shape((mats[0].shape[0], mats[-1].shape[1]))


def _power_base(n: Node) -> tuple[Node, int]:
    return (n.args[0], n.data) if n.op == "matpow" else (n, 1)


def _cancels(a: Node, b: Node) -> bool:
    return (a.op == "inv" and a.args[0] == b) or (b.op == "inv" and b.args[0] == a)


def _canonical_matmul(args: tuple[Node, ...], data: object) -> Node:
    coeffs: list[Node] = []
    flat: list[Node] = []
    out: list[Node] = []  # a leading product is canonical already: A B … Z times C is
    stack = list(reversed(args))  # checked at Z C only (a chain of n is built in O(n), not n²)
    while stack:
        f = stack.pop()
        if f.is_scalar:
            coeffs.append(f)
        elif f.op == "mul":  # c A; as written (raw) also A c, its scalars anywhere
            coeffs.extend(a for a in f.args if a.is_scalar)
            stack.extend(reversed([a for a in f.args if not a.is_scalar]))
        elif f.op == "matmul" and not flat and not out:
            out.extend(f.args)
        elif f.op == "matmul":
            stack.extend(reversed(f.args))
        else:
            flat.append(f)
    _matmul_shape(tuple(out[-1:] + flat), None)  # the seam and the new factors
    first, last = (
        (out or flat)[0] if out or flat else None,
        (flat or out)[-1] if out or flat else None,
    )
    shape = norm_shape((first.shape[0], last.shape[1])) if first is not None else ()
    if any(is_zero(f) for f in flat):
        return zero(shape)
    for f in flat:
        if f.op == "eye":
            continue
        if out and _cancels(out[-1], f):
            out.pop()
            continue
        if out and out[-1].op == "ones" and f.op == "ones":  # 𝟏ᵀ𝟏 = n, ones(k, m) 𝟏 = m 𝟏
            coeffs.append(num(f.shape[0]))
            shape = norm_shape((out.pop().shape[0], f.shape[1]))
            if shape != ():
                out.append(ones(shape))
            continue
        if out and _power_base(out[-1])[0] == _power_base(f)[0]:  # X Xᵏ = Xᵏ⁺¹
            base, k = _power_base(out.pop())
            merged = matpow(base, k + _power_base(f)[1])
            if merged.op != "eye":
                out.append(merged)
            continue
        out.append(f)
    if not out:
        core = eye(first.shape[0]) if first is not None else num(1)
    elif len(out) == 1:
        core = out[0]
    else:
        core = Node("matmul", tuple(out), None, norm_shape((out[0].shape[0], out[-1].shape[1])))
    return mul(*coeffs, core) if coeffs else core


def _matmul_transpose(n: Node, g: Node, i: int) -> Node:
    left = [transpose(f) for f in reversed(n.args[:i])]
    right = [transpose(f) for f in reversed(n.args[i + 1 :])]
    return matmul(*left, g, *right)


def _matmul_vec(n: Node, i: int, k: Node) -> Node:
    """vec(L dM R) = (Rᵀ ⊗ L) vec dM."""
    mid = n.args[i]
    left = matmul(*n.args[:i]) if i else eye(mid.shape[0])
    right = matmul(*n.args[i + 1 :]) if i + 1 < len(n.args) else eye(mid.shape[1])
    return matmul(kron(transpose(right), left), k)


def _chain_sized(fs: tuple[Node, ...], i: int) -> bool:
    """Whether the parser can size a bare 𝐈 or 𝟏 at position i of a product chain."""
    f = fs[i]
    if f.op == "T" and f.args[0].op in ("ones", "eye"):  # as written: (𝟏)ᵀ
        f = transpose(f.args[0])
    if f.op == "eye":
        return len(fs) > 1
    if f.op == "ones" and f.is_row:
        return i == 0 and len(fs) > 1
    if f.op == "ones":
        return i > 0
    return False


def _matmul_text(p, n: Node) -> str:
    fs = flat(n)
    parts = []
    for i, f in enumerate(fs):
        if (
            i == 0 and f.op == "mul"
        ):  # (c A) B = c A B: a leading scale needs no (), and reads (1/2) A B
            p.leading = True
            try:
                parts.append(p.in_context(f, PROD, _chain_sized(fs, i)))
            finally:
                p.leading = False
        else:
            parts.append(p.in_context(f, PROD + 1, _chain_sized(fs, i)))
    return " ".join(parts)


def _matmul_numpy(p, n: Node) -> str:
    return p.chain(n.args)


def _matmul_np(ctx, n: Node, *vs):
    """The product with each vector made 2-D by its shape (x yᵀ is an outer product, xᵀ y a
    number), the result back in the convention."""
    xp = ctx.xp
    vs = [v if a.is_scalar else two_d(xp, v, a.shape) for a, v in zip(n.args, vs, strict=True)]
    out = reduce(lambda a, b: a @ b if xp.ndim(a) and xp.ndim(b) else a * b, vs)
    return from_two_d(xp, out, n.shape)


def _matmul_expand(ctx, n: Node, *vs: Node) -> Node:
    return reduce(lit_matmul, vs)


def _matmul_sympy(n: Node, *a):
    m = mx().MatMul(*a)
    return m[0, 0] if n.is_scalar and hasattr(m, "shape") else m


register(
    deflinear(
        "matmul",
        shape=_matmul_shape,
        np=_matmul_np,
        expand=_matmul_expand,
        sympy=_matmul_sympy,
        text=lambda p, n: _matmul_text(p, n),
        latex=lambda p, n: _matmul_text(p, n),
        numpy=_matmul_numpy,
        prec=PROD,
        steps="product rule d(AB) = dA B + A dB",
        arity=None,
        multilinear=True,
        transpose=_matmul_transpose,
        # vec: (Bᵀ ⊗ A) K, the textbook form (a matrix value: not derived)
        vec=_matmul_vec,
        push_T=lambda a: matmul(*(transpose(f) for f in reversed(a.args))),
        rewrites=[
            Rewrite(
                "scalars out, 𝐈 dropped, X X⁻¹ = 𝐈, X Xᵏ = Xᵏ⁺¹, 𝟏ᵀ𝟏 = n, ones(k, n) 𝟏 = n 𝟏",
                _canonical_matmul,
                ("2*A", "inv(A)", "B*B", "x"),
                ("A:n,n", "B:n,n", "x:n"),
            ),
        ],
        role="matrix product",
        chain=True,
    )
)


# ---------------------------------------------------------------- transpose


def _t_scalar(args, data):
    return args[0] if args[0].is_scalar else None


def _t_twice(args, data):
    return args[0].args[0] if args[0].op == "T" else None


def _t_inside(args, data):
    from ..expr.registry import OPS

    push = OPS[args[0].op].push_T
    return push(args[0]) if push is not None else None


def _t_text(p, n: Node) -> str:
    return p.arg(n.args[0], ATOM) + "ᵀ"


def _t_numpy(p, n: Node) -> str:
    a = n.args[0]
    if a.is_scalar or a.is_vector or a.is_row:  # a float, or 1-D: the value itself, grouped
        return p.arg(a, ATOM)
    return p.arg(a, ATOM) + ".T"


register(
    deflinear(
        "T",
        shape=lambda args, data: transposed(args[0].shape),
        np=lambda ctx, n, a: ctx.xp.transpose(a),
        expand=lambda ctx, n, a: _expand_transpose(a),
        sympy=lambda n, a: mx().Transpose(a) if hasattr(a, "shape") else a,
        text=_t_text,
        latex=lambda p, n: p.arg(n.args[0], ATOM) + r"^{\top}",
        numpy=_t_numpy,
        prec=POSTFIX,
        steps="d(Xᵀ) = (dX)ᵀ",
        names=(),
        transpose=lambda n, g, i: transpose(g),
        # vec: the commutation matrix K (a matrix value: not derived)
        vec=lambda n, i, k: matmul(comm(*n.args[0].shape), k),
        rewrites=[
            Rewrite("a scalar is its own transpose", _t_scalar, ("t",)),
            Rewrite("(Aᵀ)ᵀ = A", _t_twice, ("A.T",), ("A:n,m",)),
            Rewrite("transposes move to the leaves", _t_inside, ("A*B",), ("A:n,m", "B:m,k")),
        ],
        role="transpose",
        keeps_context=True,
        view=True,
    )
)


def _expand_transpose(a: Node) -> Node:
    if a.is_scalar:
        return a
    if is_scalar_lit(a):
        rows = lit_rows(a)
        return lit([list(col) for col in zip(*rows, strict=True)])
    return transpose(a)


# ---------------------------------------------------------------- inverse and powers


def _inv_trivial(args, data):
    a = args[0]
    if a.op == "inv":
        return a.args[0]
    if a.op == "eye":
        return a
    if is_zero(a):
        raise UndefinedError("the inverse of a zero matrix does not exist")
    return None


def _inv_scalars_out(args, data):
    a = args[0]
    if a.op == "mul":
        return mul(*(pow_(f, num(-1)) for f in a.args[:-1]), inv(a.args[-1]))
    return None


def _inv_text(p, n: Node) -> str:
    a = n.args[0]
    if a.op == "T":
        return p.arg(a.args[0], ATOM) + "⁻ᵀ"
    return p.arg(a, ATOM) + "⁻¹"


def _inv_latex(p, n: Node) -> str:
    a = n.args[0]
    if a.op == "T":
        return p.arg(a.args[0], ATOM) + r"^{-\top}"
    return p.arg(a, ATOM) + "^{-1}"


def _inv_np(ctx, n: Node, a):
    return ctx.xp.linalg.inv(a)


def _nonsingular(xp, n: Node, a) -> bool:
    import numpy

    return bool(numpy.linalg.cond(numpy.asarray(a, dtype=float)) < 1e6)


def _inv_expand(ctx, n: Node, a: Node) -> Node:
    return explicit_inverse(a, n)


register(
    Op(
        "inv",
        shape=_need_square("inv"),
        jvp=lambda n, d: neg(matmul(n, d[0], n)),
        np=_inv_np,
        expand=_inv_expand,
        sympy=lambda n, a: mx().Inverse(a),
        text=_inv_text,
        latex=_inv_latex,
        numpy=lambda p, n: f"np.linalg.inv({p(n.args[0])})",
        prec=POSTFIX,
        steps="d(X⁻¹) = −X⁻¹ dX X⁻¹",
        domain=_nonsingular,
        names=(),
        role="inverse",  # code solves X⁻¹ B as solve(X, B) (render/products.py)
        push_T=lambda a: inv(transpose(a.args[0])),
        rewrites=[
            Rewrite("(X⁻¹)⁻¹ = X, 𝐈⁻¹ = 𝐈", _inv_trivial, ("inv(A)",), ("A:n,n",)),
            Rewrite("(c X)⁻¹ = X⁻¹/c", _inv_scalars_out, ("2*A",), ("A:n,n",)),
        ],
    )
)


def _matpow_trivial(args, data):
    a, k = args[0], data
    if k == 0:
        return eye(a.shape[0])
    if k == 1:
        return a
    if k < 0:
        return matpow(inv(a), -k)
    if a.op == "eye":
        return a
    if is_zero(a):
        return a
    if a.op == "matpow":
        return matpow(a.args[0], a.data * k)
    return None


def _matpow_scalars_out(args, data):
    a = args[0]
    if a.op == "mul":
        return mul(*(pow_(f, num(data)) for f in a.args[:-1]), matpow(a.args[-1], data))
    return None


def _matpow_text(p, n: Node) -> str:
    a = n.args[0]
    if a.op == "inv" and a.args[0].op != "T":
        return p.arg(a.args[0], ATOM) + "⁻" + superscript(n.data)
    return _printed_base(p, a) + superscript(n.data)


def _printed_base(p, a: Node) -> str:
    """The base of a power: a differential in parentheses, (dX)², which dX² would not say."""
    return f"({p(a)})" if a.op == "dvar" else p.arg(a, ATOM)


def _matpow_latex(p, n: Node) -> str:
    a = n.args[0]
    if a.op == "inv" and a.args[0].op != "T":
        return p.arg(a.args[0], ATOM) + "^{-" + str(n.data) + "}"
    return _printed_base(p, a) + "^{" + str(n.data) + "}"


def _matpow_jvp(n: Node, d: list[Node]) -> Node:
    """d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ."""
    x, k = n.args[0], n.data
    return add(*(matmul(matpow(x, i), d[0], matpow(x, k - 1 - i)) for i in range(k)))


def _matpow_expand(ctx, n: Node, a: Node) -> Node:
    return reduce(lit_matmul, [a] * n.data)


register(
    Op(
        "matpow",
        shape=_need_square("a matrix power"),
        jvp=_matpow_jvp,
        np=lambda ctx, n, a: ctx.xp.linalg.matrix_power(a, n.data),
        expand=_matpow_expand,
        sympy=lambda n, a: mx().MatPow(a, n.data),
        text=_matpow_text,
        latex=_matpow_latex,
        numpy=lambda p, n: f"np.linalg.matrix_power({p(n.args[0])}, {n.data})",
        prec=POSTFIX,
        steps="d(Xᵏ) = Σ Xⁱ dX Xᵏ⁻¹⁻ⁱ",
        push_T=lambda a: matpow(transpose(a.args[0]), a.data),
        rewrites=[
            Rewrite(
                "X⁰ = 𝐈, X¹ = X, X⁻ᵏ = (X⁻¹)ᵏ, (Xʲ)ᵏ = Xʲᵏ",
                _matpow_trivial,
                ("A*A",),
                ("A:n,n",),
                2,
            ),
            Rewrite("(c X)ᵏ = cᵏ Xᵏ", _matpow_scalars_out, ("2*A",), ("A:n,n",), 3),
        ],
    )
)


# ---------------------------------------------------------------- determinants


def _det_rewrite(args, data):
    a = args[0]
    if a.op == "T":
        return det(a.args[0])
    if a.op == "eye":
        return num(1)
    if is_zero(a):
        return num(0)
    if a.op == "inv":
        return pow_(det(a.args[0]), num(-1))
    if a.op == "matpow":
        return pow_(det(a.args[0]), num(a.data))
    if a.op == "mul":
        return mul(*(pow_(f, num(a.shape[0])) for f in a.args[:-1]), det(a.args[-1]))
    return None


def _det_expand(ctx, n: Node, a: Node) -> Node:
    return explicit_det(a)


register(
    Op(
        "det",
        shape=_square_to_scalar("det"),
        jvp=lambda n, d: mul(n, trace(matmul(inv(n.args[0]), d[0]))),
        np=lambda ctx, n, a: ctx.xp.linalg.det(a),
        expand=_det_expand,
        sympy=lambda n, a: mx().Determinant(a),
        text=call_text("det"),
        latex=call_latex(r"\det"),
        latex_names=(r"\det",),
        numpy=lambda p, n: f"np.linalg.det({p(n.args[0])})",
        prec=ATOM,
        steps="Jacobi: d det X = det X tr(X⁻¹ dX)",
        domain=_nonsingular,
        names=("det", "Det", "Determinant"),
        builder=lambda a: det(a),
        rewrites=[
            Rewrite(
                "det Xᵀ = det X, det X⁻¹ = 1/det X, det(c X) = cⁿ det X, det Xᵏ = (det X)ᵏ",
                _det_rewrite,
                ("inv(A)",),
                ("A:n,n",),
            ),
        ],
    )
)


def _positive_det(xp, n: Node, a) -> bool:
    import numpy

    sign, _ = numpy.linalg.slogdet(numpy.asarray(a, dtype=float))
    return bool(sign > 0 and numpy.linalg.cond(numpy.asarray(a, dtype=float)) < 1e6)


def _logdet_np(ctx, n: Node, a):
    sign, val = ctx.xp.linalg.slogdet(a)
    return val if sign > 0 else float("nan")


def _logdet_expand(ctx, n: Node, a: Node) -> Node:
    d = explicit_det(a)
    if d.op == "num" and not d.data.is_positive:
        raise UndefinedError("logdet needs det > 0")
    return apply("log", d)


register(
    Op(
        "logdet",
        shape=_square_to_scalar("logdet"),
        jvp=lambda n, d: trace(matmul(inv(n.args[0]), d[0])),
        np=_logdet_np,
        expand=_logdet_expand,
        sympy=lambda n, a: sp.log(mx().Determinant(a)),
        text=call_text("logdet"),
        latex=call_latex(r"\log\det"),
        numpy=lambda p, n: f"np.linalg.slogdet({p(n.args[0])})[1]",
        prec=ATOM,
        steps="d log det X = tr(X⁻¹ dX)",
        domain=_positive_det,
        names=("logdet",),
    )
)


# ---------------------------------------------------------------- trace


def _trace_transpose(n: Node, g: Node, i: int) -> Node:
    return mul(g, eye(n.args[0].shape[0]))


def _trace_expand(ctx, n: Node, a: Node) -> Node:
    rows = lit_rows(a)
    return add(*(rows[i][i] for i in range(len(rows))))


def _trace_numpy(p, n: Node) -> str:
    """tr(P Q) of two matrices as the sum of P ⊙ Qᵀ: n m multiplications, where forming P Q
    costs n² m (Pᵀ or Qᵀ read off a transposed factor, never transposed twice); not where a
    factor is an inverse, which the product solves with instead of forming it."""
    a = n.args[0]
    if role(a) == "matrix product" and len(a.args) == 2 and a not in p.node_names:
        pf, qf = a.args
        inverse = any(
            role(f) == "inverse" or (role(f) == "transpose" and role(f.args[0]) == "inverse")
            for f in a.args
        )
        if ONE not in pf.shape and ONE not in qf.shape and not inverse:  # X⁻¹ B: a solve
            if role(pf) == "transpose" and pf not in p.node_names:
                return f"np.sum({p.arg(pf.args[0], POSTFIX)} * {p.arg(qf, POSTFIX)})"
            if role(qf) == "transpose" and qf not in p.node_names:
                return f"np.sum({p.arg(pf, POSTFIX)} * {p.arg(qf.args[0], POSTFIX)})"
            return f"np.sum({p.arg(pf, POSTFIX)} * {p.arg(qf, POSTFIX)}.T)"
    return f"np.trace({p(a)})"


register(
    deflinear(
        "tr",
        shape=_square_to_scalar("tr"),
        np=lambda ctx, n, a: ctx.xp.trace(a),
        expand=_trace_expand,
        sympy=lambda n, a: mx().Trace(a),
        text=call_text("tr"),
        latex=call_latex(r"\operatorname{tr}"),
        latex_names=(r"\tr",),  # a paper's spelling
        numpy=_trace_numpy,
        prec=ATOM,
        steps="d tr X = tr dX",
        names=("tr", "trace", "Tr", "Trace"),
        builder=lambda a: trace(a),
        transpose=_trace_transpose,
        rewrites=[
            *linear_unary_rewrites(lambda a: trace(a), "A + B", "2*t*A", ("A:n,n", "B:n,n")),
        ],
    )
)


def _inv_surface(a: Node) -> Node:
    """`inv(t)` of a scalar is 1/t."""
    return pow_(a, num(-1)) if a.is_scalar else inv(a)


alias("inv", 1, _inv_surface)
alias("Inverse", 1, _inv_surface)
