"""Cost-aware code (SPEC §7.4): a rewrite of the trees that code formats print, never of the
printed math. A product with a sum of matrices whose other side is a vector is distributed,
(A + Aᵀ) x → A x + Aᵀ x, so no matrix temporary is formed: k matrix-vector products instead of
an n×m sum and one product. Scalar factors of a term move out of the product (2 B x, not (2 B) x)
and the identity drops (𝐈 x = x). A Kronecker product times a vector is applied without being
formed: (A ⊗ B) v = vec(B V Aᵀ) with V = unvec(v), and yᵀ (A ⊗ B) = vec(Bᵀ Y A)ᵀ with Y = unvec(y)
(vec stacks columns): two products of the factors' sizes, not a (pr)×(qc) matrix. The order of
each product is chosen when it is printed (render/numpy.chain, the matrix-chain program of
derive/order.py). A row softmax and the row log-sum-exp of the same matrix share one exponential:
with M the row maxima, E = exp(Z − M 𝟏ᵀ) and s = E 𝟏, logsumexp(Z, 2) = M + log(s) and
softmax(Z, 2) = diag(s)⁻¹ E (a batch cross-entropy's loss and gradient, as a hand would write)."""

from __future__ import annotations

from ..expr.node import Node, norm_shape, postorder
from ..expr.registry import role


def _rows(shape) -> object:
    return shape[0] if shape else 1


def _cols(shape) -> object:
    return shape[1] if shape else 1


def _matrix(shape) -> bool:
    return len(shape) == 2 and shape[0] != 1 and shape[1] != 1


def _product(factors: tuple[Node, ...]) -> Node:
    """The product of factors as one chain node (a product inside is flattened into it)."""
    flat: list[Node] = []
    for f in factors:
        flat += list(f.args) if role(f) == "matrix product" else [f]
    if len(flat) > 1:  # 𝐈 x = x
        flat = [f for f in flat if role(f) != "identity"] or flat[:1]
    if len(flat) == 1:
        return flat[0]
    return Node(
        "matmul", tuple(flat), None, norm_shape((_rows(flat[0].shape), _cols(flat[-1].shape)))
    )


def _term_times(term: Node, left: tuple[Node, ...], right: tuple[Node, ...]) -> Node:
    """left · term · right, with the term's scalar factors outside the product."""
    if role(term) == "identity":
        return _product(left + right)
    if role(term) == "scaling":
        scalars = tuple(a for a in term.args if a.shape == ())
        rest = [a for a in term.args if a.shape != ()]
        if scalars and len(rest) == 1:
            inner = _product((*left, rest[0], *right))
            return Node("mul", (*scalars, inner), None, inner.shape)
    return _product((*left, term, *right))


def _distributed(n: Node) -> Node:
    """A product with a matrix sum whose side toward the end is a vector, distributed."""
    args = n.args
    for i, f in enumerate(args):
        if role(f) != "addition" or not _matrix(f.shape) or any(t.shape != f.shape for t in f.args):
            continue
        left, right = args[:i], args[i + 1 :]
        if right and _cols(_product(right).shape) == 1:  # (A + B) x: A x + B x
            terms = tuple(_term_times(t, (), right) for t in f.args)
            total = Node("add", terms, None, terms[0].shape)
            return _distributed(_product((*left, total))) if left else total
        if left and _rows(_product(left).shape) == 1:  # yᵀ (A + B): yᵀ A + yᵀ B
            terms = tuple(_term_times(t, left, ()) for t in f.args)
            total = Node("add", terms, None, terms[0].shape)
            return _distributed(_product((total, *right))) if right else total
    return n


def _kron_applied(n: Node) -> Node:
    """A product with A ⊗ B whose side toward the end is a vector, with the Kronecker product
    applied to the vector instead of formed."""
    from ..ops import transpose, unvec, vec

    if role(n) != "matrix product":
        return n
    args = n.args
    for i, f in enumerate(args):
        if role(f) != "kronecker" or not _matrix(f.shape) or any(a.shape == () for a in f.args):
            continue
        (a, b), left, right = f.args, args[:i], args[i + 1 :]
        (r, c), (p, q) = a.shape, b.shape
        if right and _cols(_product(right).shape) == 1:  # (A ⊗ B) v = vec(B unvec(v) Aᵀ)
            v = _kron_applied(_product(right))  # a Kronecker product further right too
            applied = vec(_product((b, unvec(v, (q, c)), transpose(a))))
            return _kron_applied(_product((*left, applied))) if left else applied
        if left and _rows(_product(left).shape) == 1:  # yᵀ (A ⊗ B) = vec(Bᵀ unvec(y) A)ᵀ
            y = transpose(_kron_applied(_product(left)))
            applied = transpose(vec(_product((transpose(b), unvec(y, (p, r)), a))))
            return _kron_applied(_product((applied, *right))) if right else applied
    return n


def _each_product(nodes: list[Node], rewrite) -> list[Node]:
    """The trees with every matrix product rewritten by `rewrite`, innermost first."""
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        if role(out) == "matrix product":
            out = rewrite(out)
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def _one_exponential(nodes: list[Node]) -> list[Node]:
    """softmax(Z, 2) and logsumexp(Z, 2) both needed: written with one E = exp(Z − M 𝟏ᵀ)."""
    from ..ops import rows_by_one_exponential

    seen = postorder(nodes)
    both = {n.args[0] for n in seen if role(n) == "row log-sum-exp"}
    both &= {n.args[0] for n in seen if role(n) == "row softmax"}
    if not both:
        return nodes
    shared = {z: rows_by_one_exponential(z) for z in both}
    roles = {"row log-sum-exp": 0, "row softmax": 1}
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        if role(n) in roles and n.args[0] in shared:
            out = shared[n.args[0]][roles[role(n)]]
        else:
            out = Node(n.op, tuple(go(a) for a in n.args), n.data, n.shape) if n.args else n
        memo[n] = out
        return out

    return [go(n) for n in nodes]


def cost_aware(nodes: list[Node]) -> list[Node]:
    """The trees as code should compute them: sums of matrices distributed over the vectors
    that multiply them, then Kronecker products applied to the vectors they multiply; a row
    softmax and log-sum-exp of one matrix computed from one exponential."""
    nodes = _each_product(_each_product(nodes, _distributed), _kron_applied)
    return _scalars_out(_one_exponential(nodes))


def _coefficient(n: Node):
    """(c, A) for a term c A, c the product of its number factors; (1, n) otherwise."""
    import sympy as sp

    if role(n) != "scaling":
        return sp.Integer(1), n
    numbers = [a for a in n.args if a.is_number]
    rest = [a for a in n.args if not a.is_number]
    if not numbers or len(rest) != 1:
        return sp.Integer(1), n
    return sp.Mul(*(a.data for a in numbers)), rest[0]


def _scaled(c, n: Node) -> Node:
    """c A as one scaling node (A itself when c = 1)."""
    from ..ops import num

    if c == 1:
        return n
    inner, body = _coefficient(n)
    return Node("mul", (num(c * inner), body), None, body.shape)


def _factored_sum(n: Node) -> Node:
    """c A ± c B ± … as c (A ± B ± …): one scaling of the sum, not one per term."""
    import sympy as sp

    c = _coefficient(n.args[0])[0]
    if c == 1:
        return n
    parts = [(sp.Mul(k, 1 / c), a) for k, a in map(_coefficient, n.args)]  # ±1 when c is common
    if any(k not in (1, -1) for k, _ in parts):
        return n
    terms = tuple(_scaled(k, a) for k, a in parts)
    return _scaled(c, Node("add", terms, None, n.shape))


def _hoisted(n: Node, alone: set[Node]) -> Node:
    """A product with a factor c A as c times the product: the chain's one scale, which the
    code applies to the smallest factor or to the result (render/products.py). A factor that
    is itself a product used nowhere else joins the chain (diag(u) (diag(s)⁻¹ E): one scaling)."""
    import sympy as sp

    parts = [_coefficient(f) for f in n.args]
    flat: list[Node] = []
    for _, a in parts:
        flat += list(a.args) if role(a) == "matrix product" and a in alone else [a]
    if all(k == 1 for k, _ in parts) and len(flat) == len(n.args):
        return n
    body = Node("matmul", tuple(flat), None, n.shape)
    return _scaled(sp.Mul(*(k for k, _ in parts)), body)


def _sub_sums(nodes: list[Node]) -> dict[Node, list[tuple[frozenset, Node]]]:
    """The array sums of distinct terms in the trees, as (terms, sum), listed under each term."""
    out: dict[Node, list[tuple[frozenset, Node]]] = {}
    for n in postorder(nodes):
        if role(n) == "addition" and not n.is_scalar and len(set(n.args)) == len(n.args):
            for t in n.args:
                out.setdefault(t, []).append((frozenset(n.args), n))
    return out


def _with_sub_sum(n: Node, sums: dict[Node, list[tuple[frozenset, Node]]]) -> tuple[Node, ...]:
    """The terms of a sum, those that form a sum computed elsewhere (the largest) as that sum:
    Z + c where Z = A + B is needed too, not A + B + c (one addition, not two)."""
    terms = set(n.args)
    if len(terms) != len(n.args) or len(terms) < 3:
        return n.args
    inner = {k: s for t in n.args for k, s in sums.get(t, ()) if len(k) < len(terms) and k <= terms}
    if not inner:
        return n.args
    best = max(inner, key=lambda k: (len(k), sorted(t.sortkey() for t in k)))
    return (inner[best], *(t for t in n.args if t not in best))


def _scalars_out(nodes: list[Node]) -> list[Node]:
    """Number factors common to every term of a matrix sum factored out of it, and number
    factors of a product's factors moved to the product's scale, innermost first: where the
    derivative has c P - c diag(P 𝟏) S inside Xᵀ (…) K, code computes c (Xᵀ (P - diag(P 𝟏) S) K)
    with c on the n×d result, not on two m×m terms (attention's backward, as a hand writes it).
    A sum that contains a sum needed elsewhere adds to it (the logits Z in Z - L 𝟏ᵀ)."""
    uses: dict[Node, int] = {n: 1 for n in nodes}
    for n in postorder(nodes):
        for a in set(n.args):
            uses[a] = uses.get(a, 0) + 1
    alone = {n for n, k in uses.items() if k == 1}
    sums = _sub_sums(nodes)
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        if n in memo:
            return memo[n]
        args = _with_sub_sum(n, sums) if role(n) == "addition" and not n.is_scalar else n.args
        out = Node(n.op, tuple(go(a) for a in args), n.data, n.shape) if args else n
        if role(out) == "addition" and not out.is_scalar:
            out = _factored_sum(out)
        elif role(out) == "matrix product":
            out = _hoisted(out, {go(a) for a in n.args if a in alone})
        elif role(out) == "scaling":
            c, body = _coefficient(out)
            out = _scaled(c, body) if c != 1 else out  # c (c' A) as (c c') A
        memo[n] = out
        return out

    return [go(n) for n in nodes]
