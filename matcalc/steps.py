"""`--steps`: the derivation as a person writes it, with differentials, each line with its rule.

d(xᵀ A x) = dxᵀ A x + xᵀ A dx        product rule …
          = xᵀ (A + Aᵀ) dx            a scalar is its own transpose …
⇒ ∇ = (A + Aᵀ) x                      read off …
"""

from __future__ import annotations

from . import expr as E
from .engine import Problem
from .expr import Node
from .printing import to_latex, to_text
from .rules import differential

RULE_NAMES: dict[str, str] = {
    "matmul": "product rule d(AB) = dA B + A dB",
    "mul": "product rule d(cA) = dc A + c dA",
    "had": "product rule for ⊙",
    "kron": "product rule for ⊗",
    "T": "d(Xᵀ) = (dX)ᵀ",
    "inv": "d(X⁻¹) = −X⁻¹ dX X⁻¹",
    "det": "Jacobi: d det X = det X tr(X⁻¹ dX)",
    "logdet": "d log det X = tr(X⁻¹ dX)",
    "tr": "d tr X = tr dX",
    "sum": "d sum X = sum dX",
    "norm2": "d‖x‖ = xᵀdx / ‖x‖",
    "elem": "chain rule entrywise: d f(U) = f′(U) ⊙ dU",
    "softmax": "d softmax(x) = (diag(s) − s sᵀ) dx",
    "lse": "d logsumexp(x) = softmax(x)ᵀ dx",
    "pow": "power rule",
    "matpow": "d(Xᵏ) = Σ Xⁱ dX Xᵏ⁻¹⁻ⁱ",
    "diag": "diag is linear",
    "diagof": "diag is linear",
    "add": "d is linear",
}

Step = tuple[str, str, str]  # text, LaTeX, rule


def _rules_used(n: Node, var: str) -> list[str]:
    seen: list[str] = []

    def go(m: Node) -> None:
        if not m.depends(var) or m.op in ("sym", "scalar"):
            return
        name = RULE_NAMES.get(m.op)
        if name and name not in seen and m.op != "add":
            seen.append(name)
        for a in m.args:
            go(a)

    go(n)
    return seen


def derivation_steps(p: Problem, mixed: Node, engine: str) -> list[Step]:
    """The lines of the derivation (matrix engine), or one line saying it went entry by entry."""
    var = p.var
    if engine != "matrix":
        return [
            (
                "componentwise: ∂fᵢ/∂xⱼ entry by entry",
                r"\text{componentwise}",
                "SymPy scalar derivatives",
            )
        ]
    dx = var.dnode()
    df = differential(p.node, var.name, dx)
    f_text, f_latex = to_text(p.node), to_latex(p.node)
    steps: list[Step] = [
        (
            f"d({f_text}) = {to_text(df)}",
            rf"\mathrm{{d}}\left({f_latex}\right) &= {to_latex(df)}",
            "; ".join(_rules_used(p.node, var.name)) or "d of a constant is 0",
        ),
    ]
    if var.shape == ():
        return [
            *steps,
            (
                f"⇒ d/d{var.name} = {to_text(mixed)}",
                rf"\Rightarrow \frac{{\mathrm{{d}}}}{{\mathrm{{d}}{var.name}}} &= {to_latex(mixed)}",
                "divide by d" + var.name,
            ),
        ]
    if p.kind == "grad" or (p.kind == "jacobian" and p.node.is_scalar):
        if var.shape[1] == 1:
            canon = E.matmul(E.transpose(mixed), dx)
            why = "a scalar is its own transpose: move dx to the right and collect"
            read = "df = gᵀ dx ⇒ ∇f = g"
        else:
            canon = E.trace(E.matmul(E.transpose(mixed), dx))
            why = "trace is cyclic and invariant under transpose: df = tr(Gᵀ dX)"
            read = "df = tr(Gᵀ dX) ⇒ ∇f = G"
        steps.append((f"= {to_text(canon)}", f"&= {to_latex(canon)}", why))
        steps.append(
            (
                f"⇒ ∇_{var.name} = {to_text(mixed)}",
                rf"\Rightarrow \nabla_{{{var.name}}} &= {to_latex(mixed)}",
                read,
            )
        )
    elif p.kind == "jacobian" and not p.vec:
        canon = E.matmul(mixed, dx)
        steps.append((f"= {to_text(canon)}", f"&= {to_latex(canon)}", "collect dx on the right"))
        steps.append(
            (f"⇒ J = {to_text(mixed)}", rf"\Rightarrow J &= {to_latex(mixed)}", "df = J dx ⇒ J")
        )
    else:
        steps.append(
            (
                f"⇒ {p.kind} = {to_text(mixed)}",
                rf"\Rightarrow \text{{{p.kind}}} &= {to_latex(mixed)}",
                "read off",
            )
        )
    return steps


def steps_text(result) -> str:
    """Aligned text lines: the derivation, each with its rule."""
    rows = result.steps
    indent = rows[0][0].find("= ")
    lines = [(" " * indent + t if t.startswith("= ") and indent > 0 else t) for t, _, _ in rows]
    width = max(len(t) for t in lines)
    return "\n".join(
        f"{t.ljust(width)}   [{why}]" for t, (_, _, why) in zip(lines, rows, strict=True)
    )


def steps_latex(result) -> str:
    """An align* environment, ready for an amsmath document."""
    body = " \\\\\n".join(lx for _, lx, _ in result.steps)
    return "\\begin{align*}\n" + body + "\n\\end{align*}"
