"""What every operator file shares, below all of them: the constructors of every operator (each
a named call of `build`, which finds the entry by name when it runs, so an operator file that
builds another family's node imports it from here, never from that family's file; a constant's
node is made here directly) and the helpers more than one family uses (shape errors, the product
rule, linear rewrites, the rows of an explicit matrix). It imports no operator file."""

from __future__ import annotations

import weakref

import sympy as sp

from .. import limits
from ..budget import Memo
from ..errors import LimitError, MatcalcError, NotMatrixLevel, ShapeError, UndefinedError
from ..expr.node import Node, Shape, brief, dim_symbol, postorder, shape_str
from ..expr.registry import Op, Rewrite, build, canonical

# ---------------------------------------------------------------- constants (entries in leaves.py)


_NUMS = Memo("constants", limits.MEMO_CONSTANTS)  # (type, value) → its node


def num(value: object) -> Node:
    """An exact constant; an undefined one (0/0, log 0, √−1) is a user error."""
    key = (type(value), value)
    try:
        known = _NUMS.get(key)
    except TypeError:
        known = None
    if known is not None:
        return known
    out = _num(value)
    if type(value) is int or isinstance(value, sp.Number):
        _NUMS.put(key, out)
    return out


def too_large(what: str) -> LimitError:
    """A constant whose exact value SymPy cannot even estimate (mpmath overflows on e^(e^8103))."""
    if len(what) > 80:
        what = f"{what[:60]}… ({len(what):,} characters)"
    return LimitError(f"{what} is too large to compute: a number in it has too many digits")


def _num(value: object) -> Node:
    v = sp.sympify(value)  # safe: ints, Rationals and SymPy constants only, never user text
    if v.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or v.has(sp.I) or v.is_real is False:
        raise UndefinedError("the value is undefined (a division by zero, or outside the domain)")
    if v.free_symbols and not all(s.is_integer and s.is_positive for s in v.free_symbols):
        raise MatcalcError(f"internal: constant {v} has a free symbol")
    if v.is_Integer and abs(v) > 10**limits.MAX_CONST_DIGITS:
        raise LimitError(f"a constant has more than {limits.MAX_CONST_DIGITS} digits")
    return Node("num", (), v, ())


def is_num(n: Node, value: object = None) -> bool:
    return n.op == "num" and (value is None or n.data == value)


def is_zero(n: Node) -> bool:
    return n.op == "zero" or (n.op == "num" and n.data == 0)


def check_power(b: sp.Expr, p: sp.Expr) -> None:
    """Refuse a number power whose value would have more than MAX_CONST_DIGITS digits."""
    if p.is_Number and abs(p) > limits.MAX_POWER:
        raise LimitError(f"exponent {p} is over the limit {limits.MAX_POWER}")
    if b.is_Number and p.is_Number and b != 0 and abs(b) != 1:
        if abs(sp.log(abs(b), 10).evalf(5)) * abs(p) > limits.MAX_CONST_DIGITS:
            raise LimitError(f"constant {b}**{p} is too large to compute")


def with_dims(e: sp.Expr, dims: dict) -> sp.Expr:
    """A constant with values for its dimensions (n**n**n with n = 3), its powers checked
    before SymPy computes them."""
    if not dims or not e.free_symbols:
        return e
    if e.is_Symbol:
        return sp.S(dims.get(e, e))  # safe: a size (int or SymPy), never user text
    args = [with_dims(a, dims) for a in e.args]
    if isinstance(e, sp.Pow):
        check_power(*args)
    return e.func(*args)


def dvar(name: str, shape: Shape = ()) -> Node:
    """The differential dX of a variable X: a leaf no parsed name can equal."""
    return Node("dvar", (), name, shape)


def zero(shape: Shape) -> Node:
    return num(0) if shape == () else Node("zero", (), None, shape)


def ones(shape: Shape) -> Node:
    """𝟏: every entry 1 (a scalar broadcast to a shape is c·𝟏)."""
    return num(1) if shape == () else Node("ones", (), None, shape)


def eye(n: object) -> Node:
    n = sp.sympify(n)  # safe: a dimension (int or SymPy), never user text
    return num(1) if n == 1 else Node("eye", (), None, (n, n))


def sized_zero(p, n: Node) -> str:
    """A zero block written with its size, where neighbours do not fix it: zeros(n)ᵀ, 𝟎 in LaTeX."""
    r, c = n.shape
    if p.fmt == "latex":
        size = (
            p.dim_text(r)
            if c == 1
            else p.dim_text(c)
            if r == 1
            else f"{p.dim_text(r)} \\times {p.dim_text(c)}"
        )
        return rf"\mathbf{{0}}_{{{size}}}" + (r"^{\top}" if n.is_row else "")
    if c == 1:
        return f"zeros({p.dim_text(r)})"
    if r == 1:
        return f"zeros({p.dim_text(c)})ᵀ"
    return f"zeros({p.dim_text(r)}, {p.dim_text(c)})"


def comm(m: object, n: object) -> Node:
    """The commutation matrix K with K vec(A) = vec(Aᵀ) for an m×n matrix A."""
    m, n = sp.sympify(m), sp.sympify(n)  # safe: dimensions
    if m == 1 or n == 1:
        return eye(m * n)
    return Node("comm", (), (m, n), (m * n, m * n))


# ---------------------------------------------------------------- conversions and printing


def mx():
    """SymPy's matrix expressions, imported when first needed (start-up time is a feature)."""
    from sympy.matrices import expressions

    return expressions


def call_text(name: str):
    """The text rule of an operator written as a call: `name(a, b)`."""
    return lambda p, n: f"{name}({', '.join(p(a) for a in n.args)})"


def call_latex(cmd: str):
    """The LaTeX rule of an operator written as a call: `\\cmd\\left(a, b\\right)`."""
    return lambda p, n: rf"{cmd}\left({', '.join(p(a) for a in n.args)}\right)"


# ---------------------------------------------------------------- sums, products, powers (entries in arith.py); helpers every family uses


def mismatch(what: str, a: Node, b: Node) -> ShapeError:
    """The error that names both operands and both shapes."""
    return ShapeError(
        f"shape mismatch in {what}: {brief(a)} is {shape_str(a.shape)} "
        f"but {brief(b)} is {shape_str(b.shape)}"
    )


def same_shapes(what: str):
    def shape(args: tuple[Node, ...], data: object) -> tuple:
        for t in args[1:]:
            if t.shape != args[0].shape:
                raise mismatch(what, args[0], t)
        return args[0].shape

    return shape


def split_coeff(n: Node) -> tuple[sp.Expr, Node | None]:
    """`3*A*x` → (3, A*x); a constant → (value, None)."""
    if n.op == "num":
        return n.data, None
    if n.op == "mul" and n.args[0].op == "num":
        rest = n.args[1:]
        return n.args[0].data, rest[0] if len(rest) == 1 else Node("mul", rest, None, n.shape)
    return sp.Integer(1), n


def transposes(n: Node) -> int:
    """Transposes in the tree as printed (a shared subtree counts each time: memoized, linear)."""
    if n._transposes is None:
        n._transposes = (n.op == "T") + sum(transposes(a) for a in n.args)
    return n._transposes


_ROW_ONES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ones_row(n: Node) -> bool:
    return (n.op == "ones" and n.is_row) or (n.op == "T" and n.args[0].op == "ones")


def _row_ones(n: Node) -> tuple[int, int]:
    """In a tree as printed: the rows of ones 𝟏ᵀ that are leaves (a transpose counts its own),
    and the products that end in one, c 𝟏ᵀ (a column repeated, which books write 𝟏 cᵀ)."""
    if n not in _ROW_ONES:
        leaf = int(n.op == "ones" and n.is_row)
        outer = int(n.op == "matmul" and _ones_row(n.args[-1]))
        for a in n.args:
            a_leaf, a_outer = _row_ones(a)
            leaf, outer = leaf + a_leaf, outer + a_outer
        _ROW_ONES[n] = (leaf, outer)
    return _ROW_ONES[n]


def marks(n: Node) -> int:
    """The ᵀ marks of a tree as printed: its transposes, and each row of ones 𝟏ᵀ."""
    return transposes(n) + _row_ones(n)[0]


def saves_marks(terms: list[Node], flipped: list[Node]) -> bool:
    """Whether (A + B)ᵀ, the flipped terms under one ᵀ, is the better print of Aᵀ + Bᵀ: fewer ᵀ
    marks, or as many and fewer c 𝟏ᵀ — a book's broadcast is 𝟏 μᵀ, as in (X − 𝟏 μᵀ)ᵀ 𝟏."""

    def count(ts: list[Node]) -> tuple[int, int]:
        return sum(marks(t) for t in ts), sum(_row_ones(t)[1] for t in ts)

    (mf, rf), (mo, ro) = count(flipped), count(terms)
    return (mf + 1, rf) < (mo, ro)


def factor_order(f: Node) -> tuple:
    """The order of a product's factors: sums last, σ(u) (1 − σ(u)); otherwise a fixed order."""
    return (f.op == "add" or (f.op == "pow" and f.args[0].op == "add"), f.sortkey())


def product_rule(n: Node, d: list[Node]) -> Node:
    terms = [
        build(n.op, *n.args[:i], di, *n.args[i + 1 :], data=n.data)
        for i, di in enumerate(d)
        if not is_zero(di)
    ]
    return add(*terms) if terms else zero(n.shape)


_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def superscript(k: int) -> str:
    return str(k).translate(_SUPER)


def add(*terms: Node) -> Node:
    if len(terms) == 1:
        return terms[0]
    return build("add", *terms)


def neg(a: Node) -> Node:
    return mul(num(-1), a)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def mul(*factors: Node) -> Node:
    if len(factors) == 1:
        return factors[0]
    return build("mul", *factors)


def div(a: Node, b: Node) -> Node:
    """a / b for a scalar b."""
    if not b.is_scalar:
        raise ShapeError(
            f"/ divides by a scalar only, got {shape_str(b.shape)}; for entrywise division use ./"
        )
    return mul(a, pow_(b, num(-1)))


def emul(a: Node, b: Node) -> Node:
    """The entrywise product, a scalar broadcasting: what elementwise derivatives multiply by."""
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    return had(a, b)


def broadcast(c: Node, shape: tuple) -> Node:
    """A scalar as a matrix of the shape: c·𝟏 (NumPy's rule for a scalar beside an array)."""
    return c if shape == () else mul(c, ones(shape))


def pow_(base: Node, e: Node) -> Node:
    """base to the power e, entrywise for a vector or matrix base."""
    return build("pow", base, e)


def sqrt(a: Node) -> Node:
    return pow_(a, num(sp.Rational(1, 2)))


# ---------------------------------------------------------------- entrywise (entries in elementwise.py)


def had(*terms: Node) -> Node:
    """The entrywise product of same-shaped operands (a scalar operand scales)."""
    if len(terms) == 1:
        return terms[0]
    return build("had", *terms)


def apply(name: str, u: Node) -> Node:
    """The elementwise function `name` applied to u."""
    return build(name, u)


def one_like(u: Node) -> Node:
    return num(1) if u.is_scalar else ones(u.shape)


# ---------------------------------------------------------------- matrix products and linear algebra (entries in linalg.py)


def flat(n: Node) -> tuple[Node, ...]:
    """A product's factors with nested products of the same kind inlined (it is associative)."""
    out: list[Node] = []
    for f in n.args:
        out.extend(flat(f) if f.op == n.op else (f,))
    return tuple(out)


def linear_unary_rewrites(
    builder, sum_example: str, scaled_example: str, let: tuple[str, ...]
) -> list[Rewrite]:
    """A linear L distributes: L(A + B) = L(A) + L(B), L(c A) = c L(A), L(0) = 0."""

    def over_sum(args, data):
        a = args[0]
        return add(*(builder(t) for t in a.args)) if a.op == "add" else None

    def scalars_out(args, data):
        a = args[0]
        if a.op == "mul" and not a.is_scalar:
            return mul(*a.args[:-1], builder(a.args[-1]))
        return None

    return [
        Rewrite("linear: over a sum", over_sum, (sum_example,), let),
        Rewrite("linear: scalars out", scalars_out, (scaled_example,), let),
    ]


def linear_jvp(n: Node, d: list[Node]) -> Node:
    """The differential of an operator linear in all its operands together (a sum, a block
    literal, L(X)): the operator applied to the tangents, d L(A, B) = L(dA, dB)."""
    if all(is_zero(t) for t in d):
        return zero(n.shape)
    return build(n.op, *d, data=n.data)


def deflinear(name: str, *, transpose, vec=None, multilinear: bool = False, **parts) -> Op:
    """An entry for a linear operator, declared once (JAX's `ad.deflinear`): its differential
    follows from the operator itself, L applied to the tangents (`linear_jvp`), or for a
    `multilinear` one, linear in each operand separately (A B, A ⊗ B, c A), the product rule:
    the operator with the tangent in one slot, summed over the slots (`product_rule`).
    `transpose(n, g, i)` moves a cotangent onto operand i. The vec rule follows from the
    transpose for a scalar-valued operator (`scalar_vec`: K = vec(Lᵀ(1))ᵀ); an operator with a
    matrix value passes its own `vec`. tests/test_linear.py checks the three agree, for every
    linear entry, at random non-square sizes."""
    if vec is None:
        vec = _derived_vec(name, transpose)
    jvp = product_rule if multilinear else linear_jvp
    return Op(name, jvp=jvp, linear=True, transpose=transpose, vec=vec, **parts)


def _derived_vec(name: str, op_transpose):
    scalar = scalar_vec(op_transpose)

    def rule(n: Node, i: int, k: Node) -> Node:
        if not n.is_scalar:
            raise NotMatrixLevel(f"no vec rule for {name!r} with a {shape_str(n.shape)} value")
        return scalar(n, i, k)

    return rule


def scalar_vec(op_transpose):
    """The vec rule of a scalar-valued linear operator: d s = vec(L*(1))ᵀ d vec(A)."""

    def rule(n: Node, i: int, k: Node) -> Node:
        return matmul(transpose(vec(op_transpose(n, num(1), i))), k)

    return rule


def inner(g: Node, m: Node) -> Node:
    """⟨G, M⟩ = tr(GᵀM), written as a scalar product: g m, gᵀm, g mᵀ or tr(GᵀM)."""
    if g.is_scalar or m.is_scalar:
        return mul(g, m)
    if g.is_vector:
        return matmul(transpose(g), m)
    if g.is_row:
        return matmul(g, transpose(m))
    return trace(matmul(transpose(g), m))


def matmul(*factors: Node) -> Node:
    """The matrix product; scalar factors move out, identities drop, X X⁻¹ cancels."""
    if len(factors) == 1:
        return factors[0]
    return build("matmul", *factors)


def transpose(a: Node) -> Node:
    """Aᵀ, pushed down to the leaves so that equal expressions compare equal."""
    return build("T", a)


def inv(a: Node) -> Node:
    return build("inv", a)


def matpow(a: Node, k: int) -> Node:
    """Xᵏ for an integer k (negative: powers of the inverse)."""
    return build("matpow", a, data=int(k))


def det(a: Node) -> Node:
    return a if a.is_scalar else build("det", a)


def logdet(a: Node) -> Node:
    return build("logdet", a)


def trace(a: Node) -> Node:
    return a if a.is_scalar else build("tr", a)


def kron(a: Node, b: Node) -> Node:
    return build("kron", a, b)


def kron_inner_left(a: Node, g: Node) -> Node:
    return build("kron_inner_left", a, g)


def kron_inner_right(g: Node, b: Node) -> Node:
    return build("kron_inner_right", g, b)


# ---------------------------------------------------------------- reductions (entries in reductions.py)


def sum_(a: Node) -> Node:
    return a if a.is_scalar else build("sum", a)


def mean(a: Node) -> Node:
    return a if a.is_scalar else build("mean", a)


def norm2(a: Node) -> Node:
    """The Euclidean norm (Frobenius for a matrix); of a scalar, |t|."""
    return apply("abs", a) if a.is_scalar else build("norm2", a)


def norm1(a: Node) -> Node:
    """The sum of the absolute values of the entries."""
    return apply("abs", a) if a.is_scalar else build("norm1", a)


def softmax(a: Node) -> Node:
    return build("softmax", a)


def logsumexp(a: Node) -> Node:
    return build("lse", a)


def softmax_rows(a: Node) -> Node:
    """The softmax of each row of a matrix (SPEC §7.1: `softmax(Z, 2)`)."""
    return build("softmax_rows", a)


def logsumexp_rows(a: Node) -> Node:
    """The log-sum-exp of each row of a matrix, a column (`logsumexp(Z, 2)`)."""
    return build("lse_rows", a)


# ---------------------------------------------------------------- explicit matrices and reshaping (entries in structure.py)


def grid(n: Node) -> list[list[Node]]:
    r, c = n.data
    return [list(n.args[i * c : (i + 1) * c]) for i in range(r)]


def is_scalar_lit(n: Node) -> bool:
    return n.op == "lit" and all(a.is_scalar for a in n.args)


def lit_rows(n: Node) -> list[list[Node]]:
    """The entries of an explicit value as rows (a scalar is 1×1)."""
    if n.is_scalar:
        return [[n]]
    if is_scalar_lit(n):
        return grid(n)
    raise NotMatrixLevel(f"expected an explicit matrix, got {n.op}")


def check_explicit(rows: int, cols: int, products: int = 0) -> None:
    """Refuse an explicit result before building it: its entries, and the products they take."""
    if rows * cols > limits.MAX_ENTRIES:
        raise LimitError(
            f"an explicit {rows}×{cols} matrix is over the limit {limits.MAX_ENTRIES} entries"
        )
    if products > limits.MAX_PRODUCTS:
        raise LimitError(
            f"an explicit product of {products} entry products is over the limit {limits.MAX_PRODUCTS}"
        )


def lit(rows: list[list[Node]]) -> Node:
    """A (block) literal from its rows of blocks."""
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ShapeError("rows of a matrix literal differ in length")
    count = len(rows) * width
    if count > limits.MAX_ENTRIES:
        raise LimitError(f"a literal with {count} entries is over the limit {limits.MAX_ENTRIES}")
    return build("lit", *(b for r in rows for b in r), data=(len(rows), width))


def column(entries: list[Node]) -> Node:
    return lit([[e] for e in entries])


def slice_(a: Node, r0, r1, c0, c1) -> Node:
    """Rows r0..r1−1 and columns c0..c1−1 (0-based) of a; one entry is a scalar."""
    data = tuple(sp.sympify(x) for x in (r0, r1, c0, c1))  # safe: integers and dimensions
    return build("slice", a, data=data)


def entry(a: Node, i: int, j: int = 0) -> Node:
    return slice_(a, i, i + 1, j, j + 1)


def diag(a: Node) -> Node:
    """Vector → diagonal matrix; square matrix → the vector of its diagonal; scalar → itself."""
    if a.is_scalar:
        return a
    if a.is_row:
        a = transpose(a)
    if a.is_vector:
        return build("diag", a)
    if not a.is_square:
        raise ShapeError(f"diag needs a vector or a square matrix, got {shape_str(a.shape)}")
    return build("diagof", a)


def diagof(a: Node) -> Node:
    return build("diagof", a)


def vec(a: Node) -> Node:
    """The columns stacked into one vector."""
    return build("vec", a)


def unvec(a: Node, shape) -> Node:
    """The r×c matrix whose vec is a."""
    r, c = (sp.sympify(d) for d in shape)  # safe: dimensions
    return build("unvec", a, data=(r, c))


# ---------------------------------------------------------------- matrix functions, decompositions, Xᵏ (matfun.py, decomp.py, powers.py)


def matfun(name: str, x: Node) -> Node:
    """expm(X), logm(X), sqrtm(X) (`name`); of a 1×1 matrix, the scalar function."""
    return build(name, x)


def frechet(name: str, x: Node, *es: Node) -> Node:
    """L_f(X, E) (one direction) or D²f(X)[E₁, E₂] (two) of the matrix function `name`."""
    return build(f"{name}_frechet", x, *es)


def tril_half(a: Node) -> Node:
    """Φ(A): the lower triangle of A with half its diagonal."""
    return a if a.op == "zero" else build("tril_half", a)


def symmetric(a: Node) -> bool:
    """Aᵀ = A by structure: a `sym` variable, A + Aᵀ, M Mᵀ + 𝐈, Xᵀ S X, (X + Xᵀ)/2 — the
    canonical transpose is the node itself (also for a tree built as written)."""
    if a.is_scalar:
        return True
    known = _SYMMETRIC.get(a)
    if known is None:
        known = canonical(transpose(a)) == canonical(a)
        _SYMMETRIC.put(a, known)
    return known


_SYMMETRIC = Memo("symmetric by structure", limits.MEMO_CANONICAL)


def eig(a: Node) -> Node:
    """The eigenvalues of a symmetric matrix, ascending (of a scalar, itself)."""
    return a if a.is_scalar else build("eig", a)


def lambda_extreme(which: str, a: Node) -> Node:
    """λ_max(S) or λ_min(S) (`which` is "max" or "min")."""
    return build(f"lambda_{which}", a)


def matpowk(x: Node, k: Node) -> Node:
    """Xᵏ for a symbolic integer k ≥ 0 (a constant node); a number k is the ordinary power."""
    if k.data.is_Integer:
        return matpow(x, int(k.data))
    return build("matpowk", x, k)


def integer_exponent(e: Node, is_integer_name=lambda name: True) -> Node | None:
    """A matrix power's exponent read as an integer constant: a number, or an integer expression
    (k, k - 1, 2 k) of names that `is_integer_name` accepts, each a positive integer symbol as a
    dimension is (SPEC §7.2); None when it is not one (k/2, sqrt(k), -k: negative for every k).
    An exponent not known to be ≥ 0 (k - 2, which the derivative of X^(k - 1) holds: X⁻¹ at
    k = 1) is one, as the power's shape rule takes it."""
    memo: dict[Node, Node] = {}
    for m in postorder([e]):
        if m.is_variable and m.shape == () and is_integer_name(m.data[0]):
            memo[m] = num(dim_symbol(m.data[0]))
        else:
            memo[m] = build(m.op, *(memo[a] for a in m.args), data=m.data) if m.args else m
    k = memo[e]
    if k.is_number and k.data.is_integer and not k.data.is_negative:
        return k
    return None


def matpow_frechet(x: Node, e: Node, k: Node) -> Node:
    """Σⱼ Xʲ E Xᵏ⁻¹⁻ʲ, the derivative of Xᵏ in the direction E."""
    return build("matpow_frechet", x, e, k)
