"""The typed expression tree: one generic node, shapes, and constructors that check and tidy.

Every node is `Node(op, args, data, shape)`. Shapes are `()` for a scalar and `(rows, cols)`
otherwise (a column vector is `(n, 1)`); dimensions are SymPy integers or symbols. The
constructors below are the only way nodes are made: they check shapes (raising ShapeError
with both shapes named), fold scalars with SymPy, push transposes to the leaves and drop
zeros and identities, so that equal expressions usually become equal trees.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import sympy as sp

from .errors import NotMatrixLevel, ShapeError

Dim = sp.Expr
Shape = tuple[()] | tuple[Dim, Dim]
ONE = sp.Integer(1)

T_DUMMY = sp.Symbol("_t")  # the argument of an elementwise function body


class Node:
    """One operation with its operands, its payload and its shape; immutable and hashable."""

    __slots__ = ("_free", "_hash", "args", "data", "op", "shape")

    def __init__(self, op: str, args: tuple[Node, ...] = (), data: Any = None, shape: Shape = ()):
        self.op, self.args, self.data, self.shape = op, args, data, shape
        self._hash = hash((op, args, data, shape))
        self._free: frozenset[str] | None = None

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node) or self._hash != other._hash:
            return False
        return (self.op, self.data, self.shape, self.args) == (
            other.op,
            other.data,
            other.shape,
            other.args,
        )

    def __repr__(self) -> str:
        from .printing import to_text  # printing is core; imported late to avoid a cycle

        return to_text(self)

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def is_vector(self) -> bool:
        return self.shape != () and self.shape[1] == 1

    @property
    def is_row(self) -> bool:
        return self.shape != () and self.shape[0] == 1 and self.shape[1] != 1

    def free(self) -> frozenset[str]:
        """Names of the variables (declared symbols and scalar symbols) this node depends on."""
        if self._free is None:
            if self.op == "sym":
                self._free = frozenset([self.data[0]])
            elif self.op == "scalar":
                self._free = frozenset(str(s) for s in self.data.free_symbols)
            elif self.op == "matrix":
                self._free = frozenset(str(s) for s in self.data.free_symbols)
            elif self.op == "elem":  # a body only holds T_DUMMY, but never trust that blindly
                body = frozenset(str(s) for s in self.data.free_symbols if s != T_DUMMY)
                self._free = body | self.args[0].free()
            else:
                out: frozenset[str] = frozenset()
                for a in self.args:
                    out |= a.free()
                self._free = out
        return self._free

    def depends(self, name: str) -> bool:
        return name in self.free()


# ---------------------------------------------------------------- shape helpers


def shape_str(shape: Shape) -> str:
    """A shape as a user reads it: `scalar`, `n (vector)`, `1×n (row)`, `n×m`."""
    if shape == ():
        return "scalar"
    r, c = shape
    if c == 1:
        return f"{r} (vector)"
    if r == 1:
        return f"1×{c} (row vector)"
    return f"{r}×{c}"


def is_square(node: Node) -> bool:
    return node.shape != () and node.shape[0] == node.shape[1]


def _mismatch(what: str, a: Node, b: Node) -> ShapeError:
    from .printing import to_text

    return ShapeError(
        f"shape mismatch in {what}: {to_text(a)} is {shape_str(a.shape)} "
        f"but {to_text(b)} is {shape_str(b.shape)}"
    )


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise ShapeError(message)


def _norm_shape(shape: Shape) -> Shape:
    """A 1×1 result is a scalar everywhere."""
    if shape != () and shape[0] == 1 and shape[1] == 1:
        return ()
    return shape


# ---------------------------------------------------------------- leaves


def scalar_symbol(name: str) -> sp.Symbol:
    """A scalar variable: real, so that |x|, relu and sqrt differentiate as a reader expects."""
    return sp.Symbol(name, real=True)


def dim_symbol(name: str) -> sp.Symbol:
    """A symbolic dimension: a positive integer symbol, the same object everywhere."""
    return sp.Symbol(name, integer=True, positive=True)


def sym(name: str, shape: Shape = (), symmetric: bool = False) -> Node:
    """A declared variable; scalars are SymPy symbols in a `scalar` leaf instead."""
    if shape == ():
        return scalar(scalar_symbol(name))
    return Node("sym", (), (name, symmetric), shape)


def dsym(name: str, shape: Shape) -> Node:
    """The differential dX of a variable: a leaf named ∂X, which no parsed name can equal."""
    return Node("sym", (), ("∂" + name, False), shape)


def scalar(value: sp.Expr | int) -> Node:
    """A pure scalar leaf holding a SymPy expression (numbers, scalar symbols, their algebra)."""
    return Node("scalar", (), sp.sympify(value), ())  # safe: ints and SymPy objects only


def zero(shape: Shape) -> Node:
    if shape == ():
        return scalar(0)
    return Node("zero", (), None, shape)


def eye(n: Dim) -> Node:
    n = sp.sympify(n)  # safe: a dimension (int or SymPy), never user text
    if n == 1:
        return scalar(1)
    return Node("eye", (), None, (n, n))


def ones(shape: Shape) -> Node:
    if shape == ():
        return scalar(1)
    return Node("ones", (), None, shape)


def matrix(value: sp.MatrixBase) -> Node:
    """An explicit matrix of SymPy scalars (componentwise results, literals)."""
    m = sp.ImmutableMatrix(value)
    if m.shape == (1, 1):
        return scalar(m[0, 0])
    return Node("matrix", (), m, (sp.Integer(m.shape[0]), sp.Integer(m.shape[1])))


def is_zero(n: Node) -> bool:
    return n.op == "zero" or (n.op == "scalar" and n.data == 0)


def is_const(n: Node, value: int) -> bool:
    return n.op == "scalar" and n.data == value


# ---------------------------------------------------------------- sums and products


def split_coeff(n: Node) -> tuple[sp.Expr, Node | None]:
    """Split off a constant number: `3*A*x` → (3, A*x); a scalar leaf → (leaf, None)."""
    if n.op == "scalar":
        return n.data, None
    if n.op == "mul" and n.args[0].op == "scalar":
        rest = n.args[1:]
        return n.args[0].data, rest[0] if len(rest) == 1 else Node("mul", rest, None, n.shape)
    return ONE, n


def add(*terms: Node) -> Node:
    """Sum of same-shaped terms; like terms are combined, zeros dropped."""
    flat: list[Node] = []
    for t in terms:
        flat.extend(t.args if t.op == "add" else (t,))
    if not flat:
        raise ValueError("add needs a term")
    shape = flat[0].shape
    for t in flat[1:]:
        if t.shape != shape:
            raise _mismatch("sum", flat[0], t)
    const = sp.Integer(0)
    coeffs: dict[Node, sp.Expr] = {}
    for t in flat:
        c, rest = split_coeff(t)
        if rest is None:
            const += c
        elif rest.op != "zero":
            coeffs[rest] = coeffs.get(rest, sp.Integer(0)) + c
    order = sorted(
        coeffs.items(),
        key=lambda rc: (_transposes(rc[0]), rc[1].could_extract_minus_sign(), rc[0].op == "sym"),
    )
    out = [mul(scalar(c), r) for r, c in order if c != 0]
    if const != 0:
        out.append(scalar(const))
    if not out:
        return zero(shape)
    if len(out) == 1:
        return out[0]
    return Node("add", tuple(out), None, shape)


def _transposes(n: Node) -> int:
    return (n.op == "T") + sum(_transposes(a) for a in n.args)


def neg(a: Node) -> Node:
    return mul(scalar(-1), a)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def mul(*factors: Node) -> Node:
    """Scalar times anything: scalar factors first (numbers folded), at most one non-scalar."""
    flat: list[Node] = []
    for f in factors:
        flat.extend(f.args if f.op == "mul" else (f,))
    coeff = sp.Integer(1)
    scalars: list[Node] = []
    big: list[Node] = []
    for f in flat:
        if f.op == "scalar":
            coeff *= f.data
        elif f.is_scalar:
            scalars.append(f)
        else:
            big.append(f)
    if len(big) > 1:
        raise ShapeError("internal: scalar product of two non-scalars")
    shape = big[0].shape if big else ()
    if coeff == 0 or any(b.op == "zero" for b in big):
        return zero(shape)
    if big and big[0].op == "mul":  # cannot happen after flattening, kept for safety
        return mul(scalar(coeff), *scalars, *big[0].args)
    scalars = _merge_scalar_functions(scalars)
    number, rest_coeff = coeff.as_coeff_Mul()
    if number != 1 and scalars and scalars[0].op == "elem":  # 2·(1/(2√u)) → 1/√u
        first = scalars[0]
        scalars[0] = elem(sp.expand(number * first.data), first.args[0])
        coeff = rest_coeff
        if scalars[0].op == "scalar":
            coeff, scalars = coeff * scalars[0].data, scalars[1:]
    rest = scalars + big
    if not rest:
        return scalar(coeff)
    if coeff != 1:
        rest.insert(0, scalar(coeff))
    if len(rest) == 1:
        return rest[0]
    return Node("mul", tuple(rest), None, shape)


def _merge_scalar_functions(items: list[Node]) -> list[Node]:
    """f(u)·g(u)·u^p → (f·g·tᵖ)(u) for scalar-shaped u: one scalar reads as one expression."""
    by_arg: dict[Node, sp.Expr] = {}
    for f in items:
        if f.op == "elem":
            base, body = f.args[0], f.data
        elif f.op == "pow" and f.args[1].op == "scalar":
            base, body = f.args[0], T_DUMMY ** f.args[1].data
        else:
            base, body = f, T_DUMMY
        by_arg[base] = by_arg.get(base, sp.Integer(1)) * body
    return [elem(body, a) for a, body in by_arg.items()]


def times(a: Node, b: Node) -> Node:
    """The user's `*`: a scalar product when either side is a scalar, else a matrix product."""
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    return matmul(a, b)


def matmul(*factors: Node) -> Node:
    """Matrix product; scalar coefficients move to the front, identities drop, X·X⁻¹ cancels."""
    coeffs: list[Node] = []
    flat: list[Node] = []
    for f in factors:
        if f.is_scalar:
            coeffs.append(f)
            continue
        if f.op == "mul":
            coeffs.extend(f.args[:-1])
            f = f.args[-1]
        flat.extend(f.args if f.op == "matmul" else (f,))
    for a, b in itertools.pairwise(flat):
        if a.shape[1] != b.shape[0]:
            raise _mismatch("product", a, b)
    if not flat:
        return mul(*coeffs) if coeffs else scalar(1)
    shape = _norm_shape((flat[0].shape[0], flat[-1].shape[1]))
    if any(f.op == "zero" for f in flat):
        return zero(shape)
    out: list[Node] = []
    for f in flat:
        if f.op == "eye":
            continue
        if out and _cancels(out[-1], f):
            out.pop()
            continue
        if out and _power_base(out[-1])[0] == _power_base(f)[0]:  # X Xᵏ → Xᵏ⁺¹
            base, k = _power_base(out.pop())
            out.append(matpow(base, k + _power_base(f)[1]))
            if out[-1].op == "eye":
                out.pop()
            continue
        out.append(f)
    if not out:
        core = eye(flat[0].shape[0])
    elif len(out) == 1:
        core = out[0]
    else:
        core = Node("matmul", tuple(out), None, shape)
    if core.shape != shape and core.op != "eye":  # a 1×1 single factor cannot happen
        core = Node("matmul", (core,), None, shape)
    return mul(*coeffs, core) if coeffs else core


def _power_base(n: Node) -> tuple[Node, int]:
    return (n.args[0], n.data) if n.op == "matpow" else (n, 1)


def _cancels(a: Node, b: Node) -> bool:
    return (a.op == "inv" and a.args[0] == b) or (b.op == "inv" and b.args[0] == a)


# ---------------------------------------------------------------- transpose and inverse


def transpose(a: Node) -> Node:
    """Aᵀ, pushed down to the leaves so that equal expressions compare equal."""
    if a.is_scalar:
        return a
    op = a.op
    if op == "sym":
        if a.data[1]:
            return a
        return Node("T", (a,), None, (a.shape[1], a.shape[0]))
    if op == "T":
        return a.args[0]
    if op in ("eye", "diag"):
        return a
    if op in ("zero", "ones"):
        return Node(op, (), None, (a.shape[1], a.shape[0]))
    if op == "matrix":
        return matrix(a.data.T)
    if op == "add":
        return add(*(transpose(t) for t in a.args))
    if op == "mul":
        return mul(*a.args[:-1], transpose(a.args[-1]))
    if op == "matmul":
        return matmul(*(transpose(f) for f in reversed(a.args)))
    if op == "inv":
        return inv(transpose(a.args[0]))
    if op == "elem":
        return elem(a.data, transpose(a.args[0]))
    if op == "had":
        return hadamard(*(transpose(t) for t in a.args))
    if op == "kron":
        return kron(transpose(a.args[0]), transpose(a.args[1]))
    if op == "matpow":
        return matpow(transpose(a.args[0]), a.data)
    return Node("T", (a,), None, (a.shape[1], a.shape[0]))


def inv(a: Node) -> Node:
    _need(is_square(a), f"inv needs a square matrix, got {shape_str(a.shape)}")
    if a.op == "inv":
        return a.args[0]
    if a.op == "eye":
        return a
    if a.op == "mul":
        return mul(*(pow_(f, scalar(-1)) for f in a.args[:-1]), inv(a.args[-1]))
    return Node("inv", (a,), None, a.shape)


def matpow(a: Node, k: int) -> Node:
    """A**k for an integer k (negative: powers of the inverse)."""
    _need(is_square(a), f"** on a matrix needs a square matrix, got {shape_str(a.shape)}")
    if k == 0:
        return eye(a.shape[0])
    if k < 0:
        return matpow(inv(a), -k)
    if k == 1:
        return a
    return Node("matpow", (a,), k, a.shape)


def pow_(base: Node, exp: Node) -> Node:
    """Scalar power; both sides scalar-shaped."""
    _need(exp.is_scalar, "an exponent must be a scalar")
    _need(base.is_scalar, f"** needs a scalar or a square matrix, got {shape_str(base.shape)}")
    if base.op == "scalar" and exp.op == "scalar":
        return scalar(sp.Pow(base.data, exp.data))
    if is_const(exp, 1):
        return base
    if is_const(exp, 0):
        return scalar(1)
    if exp.op == "scalar":  # a constant power is an entrywise function of its base
        return elem(T_DUMMY**exp.data, base)
    return Node("pow", (base, exp), None, ())


def div(a: Node, b: Node) -> Node:
    _need(b.is_scalar, f"/ divides by a scalar only, got {shape_str(b.shape)}")
    return mul(a, pow_(b, scalar(-1)))


# ---------------------------------------------------------------- matrix functions


def trace(a: Node) -> Node:
    if a.is_scalar:
        return a
    _need(is_square(a), f"tr needs a square matrix, got {shape_str(a.shape)}")
    if a.op == "add":
        return add(*(trace(t) for t in a.args))
    if a.op == "mul":
        return mul(*a.args[:-1], trace(a.args[-1]))
    if a.op == "eye":
        return scalar(a.shape[0])
    if a.op == "zero":
        return scalar(0)
    if a.op == "T":
        return trace(a.args[0])
    if a.op == "kron" and all(is_square(f) for f in a.args):  # tr(A ⊗ B) = tr A · tr B
        return mul(trace(a.args[0]), trace(a.args[1]))
    if a.op == "matmul" and a.args[-1].is_row:  # tr(M u vᵀ) = vᵀ M u, a scalar product
        return matmul(a.args[-1], *a.args[:-1])
    if a.op == "matmul" and a.args[0].is_vector:  # tr(u vᵀ M) = vᵀ M u
        return matmul(*a.args[1:], a.args[0])
    return Node("tr", (a,), None, ())


def det(a: Node) -> Node:
    if a.is_scalar:
        return a
    _need(is_square(a), f"det needs a square matrix, got {shape_str(a.shape)}")
    if a.op == "T":
        return det(a.args[0])
    if a.op == "eye":
        return scalar(1)
    if a.op == "inv":
        return pow_(det(a.args[0]), scalar(-1))
    return Node("det", (a,), None, ())


def logdet(a: Node) -> Node:
    _need(is_square(a), f"logdet needs a square matrix, got {shape_str(a.shape)}")
    if a.op == "T":
        return logdet(a.args[0])
    if a.op == "inv":
        return neg(logdet(a.args[0]))
    if a.op == "eye":
        return scalar(0)
    return Node("logdet", (a,), None, ())


def sum_(a: Node) -> Node:
    if a.is_scalar:
        return a
    if a.op == "add":
        return add(*(sum_(t) for t in a.args))
    if a.op == "mul":
        return mul(*a.args[:-1], sum_(a.args[-1]))
    if a.op == "zero":
        return scalar(0)
    if a.op == "T":
        return sum_(a.args[0])
    if a.op == "kron":  # sum(A ⊗ B) = sum A · sum B
        return mul(sum_(a.args[0]), sum_(a.args[1]))
    if a.is_vector:  # sum(x) = 1ᵀx: a product the engine already knows
        return matmul(ones((ONE, a.shape[0])), a)
    return Node("sum", (a,), None, ())


def norm2(a: Node) -> Node:
    if a.is_scalar:
        return elem(sp.Abs(T_DUMMY), a)
    return Node("norm2", (a,), None, ())


def diag(a: Node) -> Node:
    """Vector → diagonal matrix; square matrix → vector of its diagonal."""
    if a.is_scalar:
        return a
    if a.is_vector:
        if a.op == "zero":
            return zero((a.shape[0], a.shape[0]))
        if a.op == "ones":
            return eye(a.shape[0])
        if a.op == "mul":
            return mul(*a.args[:-1], diag(a.args[-1]))
        return Node("diag", (a,), None, (a.shape[0], a.shape[0]))
    _need(is_square(a), f"diag needs a vector or a square matrix, got {shape_str(a.shape)}")
    if a.op == "diag":
        return a.args[0]
    if a.op == "eye":
        return ones((a.shape[0], ONE))
    if a.op == "zero":
        return zero((a.shape[0], ONE))
    if a.op == "add":
        return add(*(diag(t) for t in a.args))
    if a.op == "mul":
        return mul(*a.args[:-1], diag(a.args[-1]))
    if a.op == "T":
        return diag(a.args[0])
    if a.op == "matmul":  # diag(P Q) = P ⊙ Qᵀ where P is a column and Q a row
        for k in range(1, len(a.args)):
            if a.args[k - 1].is_vector:
                return hadamard(matmul(*a.args[:k]), transpose(matmul(*a.args[k:])))
    return Node("diagof", (a,), None, (a.shape[0], ONE))


def hadamard(*terms: Node) -> Node:
    """Entrywise product of same-shaped operands (a scalar operand scales)."""
    flat: list[Node] = []
    coeffs: list[Node] = []
    for t in terms:
        if t.is_scalar:
            coeffs.append(t)
        elif t.op == "mul":
            coeffs.extend(t.args[:-1])
            flat.extend(_had_parts(t.args[-1]))
        else:
            flat.extend(_had_parts(t))
    if not flat:
        return mul(*coeffs)
    shape = flat[0].shape
    for t in flat[1:]:
        if t.shape != shape:
            raise _mismatch("hadamard", flat[0], t)
    if any(t.op == "zero" for t in flat):
        return zero(shape)
    flat = [t for t in flat if t.op != "ones"] or [ones(shape)]
    flat = _collect_powers(flat)
    core = flat[0] if len(flat) == 1 else Node("had", tuple(sorted(flat, key=_order)), None, shape)
    return mul(*coeffs, core) if coeffs else core


def _had_parts(t: Node) -> tuple[Node, ...]:
    return t.args if t.op == "had" else (t,)


def _collect_powers(items: list[Node]) -> list[Node]:
    """u ⊙ u → u∘², kept as an elementwise function so it prints and differentiates."""
    counts: dict[Node, sp.Expr] = {}
    for t in items:
        base, p = (t.args[0], t.data.args[1]) if _is_elem_pow(t) else (t, ONE)
        counts[base] = counts.get(base, sp.Integer(0)) + p
    out = []
    for base, p in counts.items():
        out.append(base if p == 1 else elem(T_DUMMY**p, base))
    return out


def _is_elem_pow(t: Node) -> bool:
    return t.op == "elem" and t.data.is_Pow and t.data.args[0] == T_DUMMY


def _order(n: Node) -> tuple[int, str]:
    return (0 if n.op == "sym" else 1, n.op)


def kron(a: Node, b: Node) -> Node:
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    if a.op == "zero" or b.op == "zero":
        return zero((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))
    if a.op == "mul":
        return mul(*a.args[:-1], kron(a.args[-1], b))
    if b.op == "mul":
        return mul(*b.args[:-1], kron(a, b.args[-1]))
    if a.op == "eye" and b.op == "eye":
        return eye(a.shape[0] * b.shape[0])
    return Node("kron", (a, b), None, (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def elem(body: sp.Expr, a: Node) -> Node:
    """Apply the scalar function `body` (an expression in T_DUMMY) to every entry of a."""
    if a.op == "scalar":
        return scalar(body.subs(T_DUMMY, a.data))
    if body == T_DUMMY:
        return a
    if not body.has(T_DUMMY):
        return mul(scalar(body), ones(a.shape))
    if a.op == "elem":  # f(g(u)) is one entrywise function
        return elem(body.subs(T_DUMMY, a.data), a.args[0])
    if not a.is_scalar:  # constant factors come out: 2⊙x → 2 x
        coeff, rest = body.as_coeff_Mul()
        if coeff != 1:
            return mul(scalar(coeff), elem(rest, a))
    if a.op == "zero" and body.subs(T_DUMMY, 0) == 0:
        return a
    return Node("elem", (a,), body, a.shape)


def softmax(a: Node) -> Node:
    _need(a.is_vector, f"softmax needs a vector, got {shape_str(a.shape)}")
    return Node("softmax", (a,), None, a.shape)


def logsumexp(a: Node) -> Node:
    _need(a.is_vector, f"logsumexp needs a vector, got {shape_str(a.shape)}")
    return Node("lse", (a,), None, ())


def dot(a: Node, b: Node) -> Node:
    _need(a.is_vector and b.is_vector, "dot needs two vectors")
    if a.shape != b.shape:
        raise _mismatch("dot", a, b)
    return matmul(transpose(a), b)


def comm(m: Dim, n: Dim) -> Node:
    """The commutation matrix K with K vec(A) = vec(Aᵀ) for A m×n."""
    return Node("comm", (), (m, n), (m * n, m * n))


def vec(a: Node) -> Node:
    """Columns stacked into one vector (column-major)."""
    if a.is_scalar or a.is_vector:
        return a
    if a.is_row:
        return transpose(a)
    if a.op == "mul":
        return mul(*a.args[:-1], vec(a.args[-1]))
    return Node("vec", (a,), None, (a.shape[0] * a.shape[1], ONE))


def literal(rows: Sequence[Sequence[Node]]) -> Node:
    """An explicit vector `[a, b]` or matrix `[[a, b], [c, d]]` of scalar entries."""
    for row in rows:
        for e in row:
            _need(e.is_scalar, f"entries of [..] must be scalars, got {shape_str(e.shape)}")
    width = len(rows[0])
    _need(all(len(r) == width for r in rows), "rows of a matrix literal differ in length")
    entries = tuple(e for r in rows for e in r)
    if all(e.op == "scalar" for e in entries):
        return matrix(sp.Matrix(len(rows), width, [e.data for e in entries]))
    return Node("lit", entries, (len(rows), width), (sp.Integer(len(rows)), sp.Integer(width)))


# ---------------------------------------------------------------- traversal


def rebuild(n: Node, args: Iterable[Node]) -> Node:
    """The same operation on new operands, through its constructor (so it tidies again)."""
    args = tuple(args)
    if args == n.args:
        return n
    build = BUILDERS.get(n.op)
    if build is None:
        raise NotMatrixLevel(f"no constructor for {n.op}")
    return build(n, args)


def replace(n: Node, mapping: dict[Node, Node]) -> Node:
    """Substitute subtrees (e.g. dx → v for a Jacobian-vector product)."""
    memo: dict[Node, Node] = {}

    def go(m: Node) -> Node:
        if m in mapping:
            return mapping[m]
        if m in memo:
            return memo[m]
        out = rebuild(m, (go(a) for a in m.args)) if m.args else m
        memo[m] = out
        return out

    return go(n)


BUILDERS: dict[str, Any] = {
    "add": lambda n, a: add(*a),
    "mul": lambda n, a: mul(*a),
    "matmul": lambda n, a: matmul(*a),
    "pow": lambda n, a: pow_(*a),
    "matpow": lambda n, a: matpow(a[0], n.data),
    "T": lambda n, a: transpose(a[0]),
    "inv": lambda n, a: inv(a[0]),
    "det": lambda n, a: det(a[0]),
    "logdet": lambda n, a: logdet(a[0]),
    "tr": lambda n, a: trace(a[0]),
    "sum": lambda n, a: sum_(a[0]),
    "norm2": lambda n, a: norm2(a[0]),
    "diag": lambda n, a: diag(a[0]),
    "diagof": lambda n, a: diag(a[0]),
    "had": lambda n, a: hadamard(*a),
    "kron": lambda n, a: kron(*a),
    "elem": lambda n, a: elem(n.data, a[0]),
    "softmax": lambda n, a: softmax(a[0]),
    "lse": lambda n, a: logsumexp(a[0]),
    "vec": lambda n, a: vec(a[0]),
    "lit": lambda n, a: literal(
        [list(a[i * n.data[1] : (i + 1) * n.data[1]]) for i in range(n.data[0])]
    ),
}
