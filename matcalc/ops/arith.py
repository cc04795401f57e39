"""Arithmetic: sums, products with scalars, and (entrywise) powers.

`add` and `mul` keep a canonical form — numbers folded, like terms combined, equal bases
merged, factors in a fixed order — so that equal expressions usually become equal trees.
`mul` is the product of scalars and at most one vector or matrix (c·A); the matrix product
is `matmul` and the entrywise one `had` (ops/linalg.py, ops/elementwise.py).
"""

from __future__ import annotations

from functools import reduce

import sympy as sp

from ..errors import UndefinedError
from ..expr.node import Node
from ..expr.registry import ATOM, NEG, POSTFIX, PROD, SUM, Op, Rewrite, register
from .base import (
    add,
    apply,
    broadcast,
    check_power,
    deflinear,
    emul,
    factor_order,
    inner,
    is_num,
    is_zero,
    matmul,
    mismatch,
    mul,
    mx,
    num,
    ones,
    pow_,
    same_shapes,
    saves_marks,
    split_coeff,
    sub,
    superscript,
    transpose,
    transposes,
    vec,
    zero,
)
from .explicit import elementwise_lit, expand_mul

# ---------------------------------------------------------------- shapes


# ---------------------------------------------------------------- sums


def sum_terms(args: tuple[Node, ...]) -> list[tuple[sp.Expr, Node | None]]:
    """Flatten nested sums, distributing a constant coefficient over a sum: c(a + b) = ca + cb."""
    out: list[tuple[sp.Expr, Node | None]] = []
    stack = [(sp.Integer(1), t) for t in reversed(args)]
    while stack:
        c, t = stack.pop()
        if t.op == "add":
            stack.extend((c, u) for u in reversed(t.args))
            continue
        k, rest = split_coeff(t)
        if rest is not None and rest.op == "add":
            stack.extend((c * k, u) for u in reversed(rest.args))
            continue
        out.append((c * k, rest))
    return out


def _term_order(cr: tuple[sp.Expr, Node]) -> tuple:
    """Terms in a sum: positive first, then fewer transposes, then a fixed order."""
    return (bool(cr[0].could_extract_minus_sign()), transposes(cr[1]), cr[1].sortkey())


def _canonical_sum(args: tuple[Node, ...], data: object) -> Node:
    shape = args[0].shape
    const = sp.Integer(0)
    coeffs: dict[Node, sp.Expr] = {}
    for c, rest in sum_terms(args):
        if rest is None:
            const += c
        elif not is_zero(rest):
            coeffs[rest] = coeffs.get(rest, sp.Integer(0)) + c
    terms = sorted(((c, r) for r, c in coeffs.items() if c != 0), key=_term_order)
    out = [mul(num(c), r) for c, r in terms]
    if const != 0:  # 1 − tanh(u)², but σ(u) − 1
        out.insert(0 if const.could_extract_minus_sign() is False else len(out), num(const))
    if not out:
        return zero(shape)
    if len(out) == 1:
        return out[0]
    return Node("add", tuple(out), None, shape)


def _terms_text(p, terms, sized: bool) -> str:
    out = p.in_context(terms[0], SUM, sized)
    for t in terms[1:]:
        s = p.in_context(t, SUM, sized)
        out += f" - {s[1:].lstrip()}" if s.startswith("-") else f" + {s}"
    return out


def _flipped(n: Node) -> list[Node] | None:
    """The terms transposed, when (x − a)ᵀ saves marks over xᵀ − aᵀ (printed that way):
    (𝟏 − tanh(X W + 𝟏 bᵀ)⊙²)ᵀ, not 𝟏 − tanh(b 𝟏ᵀ + Wᵀ Xᵀ)⊙²."""
    if n.is_scalar:
        return None
    flipped = [_t(t) for t in n.args]
    if saves_marks(list(n.args), flipped):
        # in the order the sum of them has: (X W + 𝟏 bᵀ − Y)ᵀ, not (𝟏 bᵀ + X W − Y)ᵀ
        return sorted(flipped, key=lambda t: _term_order(split_coeff(t)))
    return None


def _bare_constant(t: Node) -> bool:
    """c𝟏, c𝐈, c𝟏ᵀ: a term that cannot fix the size of the others."""
    while t.op == "mul" and t.args[-1].is_scalar is False:
        t = t.args[-1]
    while t.op == "T":
        t = t.args[0]
    return t.op in ("ones", "eye", "zero")


def _add_text(p, n: Node) -> str:
    sized = not n.is_scalar and not all(_bare_constant(t) for t in n.args)
    flipped = _flipped(n)
    if flipped is not None:
        inner = _terms_text(p, flipped, sized)
        return rf"\left({inner}\right)^{{\top}}" if p.fmt == "latex" else f"({inner})ᵀ"
    return _terms_text(p, n.args, sized)


def _broadcast_const(t: Node) -> Node | None:
    """c 𝟏 in a sum with an array beside it: NumPy broadcasts the number c itself."""
    if t.op == "ones":
        return num(1)
    if t.op == "mul" and t.args[-1].op == "ones" and all(f.op == "num" for f in t.args[:-1]):
        return mul(*t.args[:-1])
    return None


def _add_numpy(p, n: Node) -> str:
    terms = list(n.args)
    if not n.is_scalar and any(_broadcast_const(t) is None for t in terms):
        terms = [_broadcast_const(t) or t for t in terms]
    if getattr(p, "adds_in_place", False) and not n.is_scalar and _held(p, terms[0]):
        fresh = [t for t in terms if t.shape == n.shape and not _held(p, t)]
        if fresh:  # a NumPy module: `-(u * S) + P` adds into the fresh array, not a new one
            terms = [fresh[0], *(t for t in terms if t is not fresh[0])]
    parts = [p.arg(t, SUM + 1) for t in terms]
    code = parts[0] + "".join(f" - {s[1:]}" if s.startswith("-") else f" + {s}" for s in parts[1:])
    return f"({code})" if _flipped(n) is not None else code


def _held(p, t: Node) -> bool:
    """A term that code reads from a name (a variable, a temporary, its transpose, a vector
    broadcast over rows): NumPy cannot reuse it for the sum, as it can a fresh array."""
    while t.op == "mul" and t.args[0].op == "num" and len(t.args) == 2 and t not in p.node_names:
        t = t.args[1]
    if t.op == "T" and t not in p.node_names:
        t = t.args[0]
    if t.is_variable or t.is_number or t in p.node_names:
        return True
    return t.op == "matmul" and any(f.op == "ones" for f in t.args)  # b 𝟏ᵀ: a broadcast view


def _add_prec(n: Node) -> int:
    return POSTFIX if _flipped(n) is not None else SUM


register(
    deflinear(
        "add",
        shape=same_shapes("sum"),
        np=lambda ctx, n, *vs: reduce(lambda a, b: a + b, vs),
        expand=lambda ctx, n, *vs: add(*vs),
        sympy=lambda n, *a: sp.Add(*a) if n.is_scalar else mx().MatAdd(*a),
        text=_add_text,
        latex=_add_text,
        numpy=_add_numpy,
        prec=_add_prec,
        steps="d is linear: d(A + B) = dA + dB",
        names=(),
        arity=None,
        transpose=lambda n, g, i: g,
        # vec: the identity on each term (a matrix value: not derived)
        vec=lambda n, i, k: k,
        push_T=lambda a: add(*(_t(t) for t in a.args)),
        rewrites=[
            Rewrite(
                "flatten, fold numbers, combine like terms",
                _canonical_sum,
                ("x", "2*x - y"),
                ("x:n", "y:n"),
            ),
        ],
        role="addition",
        chain=True,
    )
)


def _t(a: Node) -> Node:
    return transpose(a)


# ---------------------------------------------------------------- products with scalars


def _mul_shape(args: tuple[Node, ...], data: object) -> tuple:
    big = [a for a in args if not a.is_scalar]
    if len(big) > 1:
        raise mismatch("scalar product", big[0], big[1])
    return big[0].shape if big else ()


_ONE = num(1)


def _power_parts(f: Node) -> tuple[Node, Node]:
    """u^e → (u, e), (u^a)^k → (u, a k) for an integer k; anything else → (itself, 1)."""
    if f.op == "pow" and f.args[0].is_scalar and f.args[1].is_scalar:
        base, e = f.args
        if base.op == "pow" and e.op == "num" and e.data.is_Integer and base.args[1].is_scalar:
            return base.args[0], mul(base.args[1], e)
        return base, e
    return f, _ONE


def _canonical_product(args: tuple[Node, ...], data: object) -> Node:
    coeff = sp.Integer(1)
    scalars: list[Node] = []
    big: Node | None = None
    stack = list(reversed(args))
    while stack:
        f = stack.pop()
        if f.op == "mul":
            stack.extend(reversed(f.args))
        elif f.op == "num":
            coeff *= f.data
        elif f.is_scalar:
            scalars.append(f)
        else:
            big = f
    shape = big.shape if big is not None else ()
    if coeff == 0 or (big is not None and is_zero(big)):
        return zero(shape)
    merged = _merge_powers(scalars)
    if len(merged) != len(scalars) or any(m.op in ("num", "mul") for m in merged):
        return mul(num(coeff), *merged, *([big] if big is not None else []))
    factors = sorted(merged, key=factor_order)
    out = ([num(coeff)] if coeff != 1 else []) + factors + ([big] if big is not None else [])
    if not out:
        return num(1)
    if len(out) == 1:
        return out[0]
    return Node("mul", tuple(out), None, shape)


def _merge_powers(scalars: list[Node]) -> list[Node]:
    """u^a · u^b = u^(a+b) for scalar factors with the same base."""
    groups: dict[Node, list[Node]] = {}
    for f in scalars:
        groups.setdefault(_power_parts(f)[0], []).append(f)
    out = []
    for base, fs in groups.items():
        if len(fs) == 1:
            out.append(fs[0])
        else:
            out.append(pow_(base, add(*(_power_parts(f)[1] for f in fs))))
    return out


def _mul_transpose(n: Node, g: Node, i: int) -> Node:
    f = n.args[i]
    others = mul(*n.args[:i], *n.args[i + 1 :])
    if f.is_scalar and not n.is_scalar:
        return inner(g, others)
    return mul(others, g)


def _mul_vec(n: Node, i: int, k: Node) -> Node:
    f = n.args[i]
    others = mul(*n.args[:i], *n.args[i + 1 :])
    if f.is_scalar and not n.is_scalar:
        return matmul(vec(others), k)
    return mul(others, k)


def _denominator_parts(n: Node) -> tuple[sp.Expr, list[Node], list[Node], Node | None]:
    """A product as coefficient, numerator factors, denominator factors (positive powers), big."""
    coeff = sp.Integer(1)
    top: list[Node] = []
    bottom: list[Node] = []
    big = None
    factors: list[Node] = []
    stack = list(reversed(n.args))
    while stack:  # a product as written may nest products: (a b)/c reads a b/c
        f = stack.pop()
        if f.op == "mul":
            stack.extend(reversed(f.args))
        else:
            factors.append(f)
    for f in factors:
        if f.op == "num" and f.data.is_Rational:
            coeff *= f.data
        elif f.op == "num":  # π/n, 1/(m² n): its factors go above and below the line
            c, rest = f.data.as_coeff_Mul()
            coeff *= c
            for g in sp.Mul.make_args(rest):
                if g.is_Pow and g.exp.is_negative:
                    bottom.append(num(g.base**-g.exp))
                else:
                    top.append(num(g))
        elif not f.is_scalar:
            big = f
        elif f.op == "pow" and is_num(f.args[1]) and f.args[1].data.is_negative:
            bottom.append(pow_(f.args[0], num(-f.args[1].data)))
        else:
            top.append(f)
    return coeff, top, bottom, big


def _mul_text(p, n: Node) -> str:
    coeff, top, bottom, big = _denominator_parts(n)
    sign = "-" if coeff.could_extract_minus_sign() else ""
    coeff = -coeff if sign else coeff
    if coeff.is_Rational and not coeff.is_Integer and (bottom or top or big is not None):
        numer, denom = sp.Integer(coeff.p), sp.Integer(coeff.q)
    else:
        numer, denom = coeff, sp.Integer(1)
    parts = [p.const(numer)] if numer != 1 else []
    alone = numer == 1 and len(top) + (big is not None) == 1 and not bottom
    for f in top:
        parts.append(p.arg(f, PROD if alone else PROD + 1))
    if big is not None:
        parts.append(p.arg(big, PROD))
    if denom != 1 and not bottom and big is not None and (p.prec_of(big) == PROD or p.leading):
        lead = f"({p.const(numer)}/{p.const(denom)})"  # (1/2) diag(u) A, not diag(u) A/2
        return sign + " ".join([lead, *parts[1 if numer != 1 else 0 :]])
    den = ([p.const(denom)] if denom != 1 else []) + [p.arg(f, PROD + 1) for f in bottom]
    head = _digits_apart(parts)
    head = head or "1"
    if not den:
        return sign + head
    lower = den[0] if len(den) == 1 else "(" + _digits_apart(den) + ")"
    return f"{sign}{head}/{lower}"


CDOT = r" \cdot "
_DIGITS = tuple("0123456789")


def _juxtapose(parts: list[str], sep: str) -> str:
    """Factors side by side; a factor that starts with a digit after another gets `sep`
    (2 · 2ᵗ, not 2 2ᵗ, which would read as two numbers)."""
    out = ""
    for part in parts:
        sigma_call = out.endswith(r"\sigma") and part.startswith(("(", r"\left("))
        if out and (part[:1] in _DIGITS or sigma_call):
            # σ (t + 1) typeset is σ(t + 1), which reads as sigmoid: σ · (t + 1)
            out += sep + part
        else:
            out += (" " if out else "") + part
    return out


def _digits_apart(parts: list[str]) -> str:
    """Text factors side by side, one that starts with a digit after another in parentheses."""
    return " ".join(f"({x})" if i and x[:1] in _DIGITS else x for i, x in enumerate(parts))


def _mul_latex(p, n: Node) -> str:
    coeff, top, bottom, big = _denominator_parts(n)
    sign = "-" if coeff.could_extract_minus_sign() else ""
    coeff = -coeff if sign else coeff
    numer, denom = (sp.Integer(coeff.p), sp.Integer(coeff.q)) if coeff.is_Rational else (coeff, 1)
    tail = [p.arg(big, PROD)] if big is not None else []
    lone = len(bottom) + (denom != 1) == 1
    down = ([p.const(denom)] if denom != 1 else []) + [
        p(f) if lone else p.arg(f, PROD + 1) for f in bottom
    ]
    if down:  # inside \frac{…}{…} a single factor needs no parentheses
        lone = len(top) + (numer != 1) == 1
        up = ([p.const(numer)] if numer != 1 else []) + [
            p(f) if lone else p.arg(f, PROD + 1) for f in top
        ]
        below = _juxtapose(down, CDOT)
        if tail and p.prec_of(big) >= POSTFIX and not up:  # \frac{x}{‖x‖}
            return sign + rf"\frac{{{tail[0]}}}{{{below}}}"
        head = rf"\frac{{{_juxtapose(up, CDOT) or '1'}}}{{{below}}}"
        return sign + " ".join([head, *tail])
    alone = numer == 1 and len(top) + (big is not None) == 1
    up = ([p.const(numer)] if numer != 1 else []) + [
        p.arg(f, PROD if alone else PROD + 1) for f in top
    ]
    return sign + (_juxtapose([*up, *tail], CDOT) or "1")


def _mul_numpy(p, n: Node) -> str:
    """Scalars times an array; times a matrix product, the scalar scales its smallest factor."""
    coeff, top, bottom, big = _denominator_parts(n)
    parts = [p.const(coeff)] if coeff != 1 else []
    parts += [p.arg(f, ATOM) for f in top]
    scalar = " * ".join(parts) if parts else ""
    for f in bottom:
        scalar = f"{scalar or '1.0'} / {p.arg(f, ATOM)}"
    if scalar.startswith("-1 * "):
        scalar = "-" + scalar[5:]
    if big is None:
        return scalar or "1.0"
    after = getattr(p, "scale_after", False) and any(map(_numpy_scalar, top + bottom))
    if big.op == "matmul" and scalar and big not in p.node_names:
        scale = f"({scalar})" if not _atomic(scalar) else scalar
        return p.chain(big.args, scale=scale, after=after)
    body = p.arg(big, ATOM)
    if not scalar:
        return body
    if scalar == "-1":
        return f"-{body}"
    if after and not (big in p.node_names or big.is_variable):  # a fresh M: M * c, in place
        return f"({body} * {scalar if _atomic(scalar) else f'({scalar})'})"
    return f"{scalar} * {body}"


def _numpy_scalar(f: Node) -> bool:
    """A scalar factor that code computes as a NumPy scalar (np.sqrt(d), x @ y), not a Python
    number or a parameter: on the left of `*` it keeps NumPy from reusing the array operand."""
    if f.is_variable:
        return False
    if f.is_number:
        return any(
            isinstance(e, sp.Function) or (e.is_Pow and not e.exp.is_Integer)
            for e in sp.preorder_traversal(f.data)
        )
    return True


def _atomic(code: str) -> bool:
    return code.replace("_", "").replace(".", "").isalnum()


def _mul_prec(n: Node) -> int:
    first = n.args[0]
    return NEG if first.op == "num" and first.data.could_extract_minus_sign() else PROD


register(
    deflinear(
        "mul",
        shape=_mul_shape,
        np=lambda ctx, n, *vs: reduce(lambda a, b: a * b, vs),
        expand=lambda ctx, n, *vs: expand_mul(vs),
        sympy=lambda n, *a: sp.Mul(*a) if n.is_scalar else mx().MatMul(*a),
        text=_mul_text,
        latex=_mul_latex,
        numpy=_mul_numpy,
        prec=_mul_prec,
        steps="product rule d(c A) = dc A + c dA",
        arity=None,
        multilinear=True,
        transpose=_mul_transpose,
        # vec: c K, or vec(A) K for the scalar slot (a matrix value: not derived)
        vec=_mul_vec,
        push_T=lambda a: mul(*(f if f.is_scalar else _t(f) for f in a.args)),
        rewrites=[
            Rewrite(
                "flatten, fold numbers, merge equal bases, order the factors",
                _canonical_product,
                ("2", "t", "t", "x"),
                ("x:n",),
            ),
        ],
        role="scaling",
        chain=True,
        keeps_context=True,
    )
)


# ---------------------------------------------------------------- powers


def _pow_shape(args: tuple[Node, ...], data: object) -> tuple:
    base, e = args
    if e.is_scalar:
        return base.shape
    if base.is_scalar:
        return e.shape
    if base.shape != e.shape:
        raise mismatch("entrywise power", base, e)
    return base.shape


def _fold_numbers(args: tuple[Node, ...], data: object) -> Node | None:
    base, e = args
    if not (base.op == "num" and e.op == "num"):
        return None
    b, p = base.data, e.data
    if b == 0 and p.is_negative:
        raise UndefinedError("division by zero")
    check_power(b, p)
    try:
        return num(sp.Pow(b, p))
    except UndefinedError:
        if p.is_Rational and not p.is_Integer and b.is_negative:
            what = "the square root" if p.q == 2 else f"the root of order {p.q}"
            raise UndefinedError(f"{what} of the negative number {b}") from None
        raise UndefinedError(f"{b} to the power {p} is not a real number") from None


def _trivial_power(args: tuple[Node, ...], data: object) -> Node | None:
    base, e = args
    shape = _pow_shape(args, data)
    if is_num(e, 1) and base.shape == shape:
        return base
    if is_num(e, 0) or is_num(base, 1) or base.op == "ones":
        return ones(shape)
    if is_zero(base) and e.op == "num":
        if e.data.is_negative:
            raise UndefinedError("division by zero")
        return zero(shape)
    return None


def _power_of_power(args: tuple[Node, ...], data: object) -> Node | None:
    """(u^a)^k = u^(a k) for an integer k."""
    base, e = args
    if base.op == "pow" and e.op == "num" and e.data.is_Integer and base.args[1].op == "num":
        return pow_(base.args[0], num(base.args[1].data * e.data))
    return None


def _pow_text(p, n: Node) -> str:
    base, e = n.args
    entrywise = not base.is_scalar
    if e.op == "num":
        k = e.data
        if k == sp.Rational(1, 2):
            return f"sqrt({p(base)})"
        if k == -sp.Rational(1, 2) and not entrywise:
            return f"1/sqrt({p(base)})"
        if k.is_Integer:
            if k < 0 and not entrywise:
                return "1/" + p.arg(pow_(base, num(-k)), POSTFIX)
            return p.arg(base, ATOM) + ("⊙" if entrywise else "") + superscript(int(k))
        if k.is_Rational:
            return (
                p.arg(base, ATOM)
                + (".^" if entrywise or not e.is_scalar else "^")
                + f"({p.const(k)})"
            )
    op = ".^" if entrywise or not e.is_scalar else "^"
    if op == "^" and _is_letter_t(e):  # t^T is tᵀ = t (SPEC §7.8): a power by a scalar T is t**T
        op = "**"
    return p.arg(base, ATOM) + op + p.arg(e, ATOM)


def _is_letter_t(e: Node) -> bool:
    """The exponent T or -T, which `^` reads as a transpose unless T is declared."""
    if e.op == "mul" and len(e.args) == 2 and is_num(e.args[0], -1):
        e = e.args[1]
    return e.is_variable and e.data[0] == "T"


def _pow_latex(p, n: Node) -> str:
    base, e = n.args
    entrywise = not base.is_scalar
    if e.op == "num" and not entrywise:
        k = e.data
        if k == sp.Rational(1, 2):
            return rf"\sqrt{{{p(base)}}}"
        if k == -sp.Rational(1, 2):
            return rf"\frac{{1}}{{\sqrt{{{p(base)}}}}}"
        if k.is_negative:
            return rf"\frac{{1}}{{{p(pow_(base, num(-k)))}}}"
    circ = r"\circ " if entrywise or not e.is_scalar else ""
    if not circ and _is_letter_t(e):  # t^{T} is tᵀ = t (SPEC §7.8): t^{1 T} is the power
        return f"{p.arg(base, ATOM)}^{{{'-' if e.op == 'mul' else ''}1 {p.name('T')}}}"
    return f"{p.arg(base, ATOM)}^{{{circ}{p(e)}}}"


def _pow_prec(n: Node) -> int:
    base, e = n.args
    if e.op == "num" and abs(e.data) == sp.Rational(1, 2):
        return PROD if e.data < 0 and base.is_scalar else ATOM if base.is_scalar else POSTFIX
    if e.op == "num" and e.data.is_Integer and e.data < 0 and base.is_scalar:
        return PROD
    return POSTFIX


def _pow_jvp(n: Node, d: list[Node]) -> Node:
    """d(u^p) = p u^(p−1) du + u^p log(u) dp."""
    (u, p), (du, dp) = n.args, d
    if not is_zero(du) and not is_zero(dp):  # uᵖ (p/u du + log(u) dp): t^t (1 + log t) dt
        ratio = emul(p, pow_(u, num(-1)))
        return emul(n, add(emul(ratio, du), emul(apply("log", u), dp)))
    terms = []
    if not is_zero(du):
        terms.append(emul(emul(p, pow_(u, sub(p, broadcast(num(1), p.shape)))), du))
    if not is_zero(dp):
        terms.append(emul(emul(n, apply("log", u)), dp))
    return add(*terms) if terms else zero(n.shape)


def _pow_domain(xp, n: Node, u, p) -> bool:
    e = n.args[1]
    if e.op == "num" and e.data.is_Integer:
        return bool(e.data >= 0 or xp.all(xp.abs(u) > 1e-3))
    return bool(xp.all(xp.asarray(u) > 1e-3))


def _pow_numpy(p, n: Node) -> str:
    """NumPy refuses an integer to a negative integer power: floats where it could happen."""
    base, e = n.args
    if e.op == "num" and e.data == sp.Rational(1, 2):
        return f"np.sqrt({p(base)})"
    if e.op == "num" and e.data == 2 and base.op == "norm2":  # ‖u‖² = u·u, without the square root
        u = p.arg(base.args[0], ATOM)
        return (
            f"({u} @ {u})"
            if base.args[0].is_vector or base.args[0].is_row
            else f"np.sum({u} * {u})"
        )
    if e.op == "num" and e.data == 2:
        return f"np.square({p(base)})"
    if e.op == "num" and e.data.is_Integer and e.data < 0:
        k = -e.data
        return f"(1.0 / {p.arg(base, ATOM)})" if k == 1 else f"(1.0 / {p.arg(base, ATOM)} ** {k})"
    if e.op == "num" and e.data.is_Integer:
        return f"({p.arg(base, ATOM)} ** {e.data})"
    b = f"{float(base.data)!r}" if base.op == "num" and base.data.is_Integer else p(base)
    return f"np.power({b}, {p(e)})"


def _pow_expand(ctx, n: Node, u: Node, e: Node) -> Node:
    return elementwise_lit(pow_, u, e)


register(
    Op(
        "pow",
        shape=_pow_shape,
        jvp=_pow_jvp,
        np=lambda ctx, n, u, e: ctx.xp.power(u, e),
        expand=_pow_expand,
        sympy=lambda n, u, e: sp.Pow(u, e) if n.is_scalar else mx().HadamardPower(u, e),
        text=_pow_text,
        latex=_pow_latex,
        numpy=_pow_numpy,
        prec=_pow_prec,
        steps="power rule d(uᵖ) = p uᵖ⁻¹ du",
        domain=_pow_domain,
        arity=2,
        push_T=lambda a: pow_(_t(a.args[0]), _t(a.args[1])),
        rewrites=[
            Rewrite("numbers fold", _fold_numbers, ("2", "3")),
            Rewrite("u¹ = u, u⁰ = 1, 1ᵖ = 1, 0ᵖ = 0", _trivial_power, ("t", "1")),
            Rewrite("(uᵃ)ᵏ = uᵃᵏ for an integer k", _power_of_power, ("t**3", "2")),
        ],
        role="power",
    )
)
