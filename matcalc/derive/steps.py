"""`--steps`: the derivation as a person writes it, with differentials, each line with its rule.

d(xᵀ A x) = dxᵀ A x + xᵀ A dx        product rule …
          = ((A + Aᵀ) x)ᵀ dx          a scalar is its own transpose …
⇒ ∇ = (A + Aᵀ) x                      read off …

The rule names are the registry entries' `steps` labels. A line is data: its text and its LaTeX
are sequences of fragments — a string written as it is, a node, or RESULT (the derivative as
the result prints it); render/steps.py writes them out.
"""

from __future__ import annotations

from ..expr.node import Node, postorder
from ..expr.registry import OPS, role
from ..ops import inner, matmul, num, transpose
from ..syntax.names import latex_name, text_name
from .differential import Dependence, differential
from .pullback import pullback


class _Result:
    """The place of the derivative in a line: printed as the result prints itself."""

    def __repr__(self) -> str:
        return "RESULT"


RESULT = _Result()
Fragment = str | Node | _Result
Step = tuple[tuple[Fragment, ...], tuple[Fragment, ...], str]  # text, LaTeX, rule


def rules_used(f: Node, leaves) -> list[str]:
    """The labels of the operators the differential passes through, in order, once each."""
    depends = Dependence(leaves)
    seen: list[str] = []
    for m in reversed(postorder([f])):
        if depends(m) and not (m.is_variable or role(m) == "addition") and m not in leaves:
            label = OPS[m.op].steps
            if label and label not in seen:
                seen.append(label)
    return seen


def derivation_steps(p, res) -> list[Step]:
    """The lines of the derivation (matrix engine), or one line saying it went entry by entry:
    data that render/steps.py writes out (`res` gives the engine, the form and the tree)."""
    if res.engine != "matrix":
        return [
            (
                ("componentwise: ∂fᵢ/∂xⱼ entry by entry",),
                (r"\text{componentwise}",),
                "the same rules on the entries",
            )
        ]
    var = p.var
    leaves = var.leaves()
    df = differential(p.node, leaves)
    steps: list[Step] = [
        (
            ("d(", p.node, ") = ", df),
            (r"\mathrm{d}\left(", p.node, r"\right) &= ", df),
            "; ".join(rules_used(p.node, leaves)) or "d of a constant is 0",
        )
    ]
    name_t, name_l = text_name(var.name), latex_name(var.name) if var.kind == "whole" else var.name
    if p.kind == "hvp":
        return steps + _hvp_steps(p, df, leaves, name_t)
    if res.form == "map":
        steps.append(
            (
                ("⇒ ", RESULT),
                (r"\Rightarrow ", RESULT),
                "the derivative is this linear map of d" + name_t,
            )
        )
        return steps
    if var.shape == ():
        steps.append(
            (
                (f"⇒ d/d{name_t} = ", RESULT),
                (rf"\Rightarrow \frac{{\mathrm{{d}}}}{{\mathrm{{d}}{name_l}}} &= ", RESULT),
                "divide by d" + name_t,
            )
        )
        return steps
    if p.kind == "grad" and var.kind == "whole":
        grad = res.node if p.layout != "numerator" else transpose(res.node)
        dx = var.dleaf(var.nodes[0])
        canon = inner(grad, dx)
        row = p.layout == "numerator"  # the numerator layout reads off gᵀ, the others g
        if var.shape[1] == 1:
            why = "a scalar is its own transpose: collect dx on the right"
            read = "df = gᵀ dx ⇒ " + ("∂f/∂x = gᵀ" if row else "∇f = g")
        else:
            why = "trace is cyclic and invariant under transpose: df = tr(Gᵀ dX)"
            read = "df = tr(Gᵀ dX) ⇒ " + ("∂f/∂X = Gᵀ" if row else "∇f = G")
        steps.append((("= ", canon), ("&= ", canon), why))
        label = f"∂f/∂{name_t}" if row else f"∇_{name_t}"
        label_l = rf"\frac{{\partial f}}{{\partial {name_l}}}" if row else rf"\nabla_{{{name_l}}}"
        steps.append(
            (
                (f"⇒ {label} = ", RESULT),
                (rf"\Rightarrow {label_l} &= ", RESULT),
                f"{read} ({p.layout} layout)",
            )
        )
        return steps
    if (
        p.kind == "jacobian"
        and not p.vec
        and var.kind == "whole"
        and var.shape[1] == 1
        and not p.node.is_scalar
    ):
        jac = res.node if p.layout != "denominator" else transpose(res.node)
        canon = matmul(jac, var.dleaf(var.nodes[0]))
        steps.append((("= ", canon), ("&= ", canon), "collect dx on the right"))
        if p.layout == "denominator":  # the denominator layout writes Jᵀ
            label, label_l, read = (
                f"∂f/∂{name_t}",
                rf"\frac{{\partial f}}{{\partial {name_l}}}",
                "Jᵀ",
            )
        else:
            label, label_l, read = "J", "J", "J"
        steps.append(
            (
                (f"⇒ {label} = ", RESULT),
                (rf"\Rightarrow {label_l} &= ", RESULT),
                f"df = J dx ⇒ {label} = {read} ({p.layout} layout)"
                if label != "J"
                else f"df = J dx ⇒ J ({p.layout} layout)",
            )
        )
        return steps
    steps.append(
        (
            (f"⇒ {p.kind} = ", RESULT),
            (rf"\Rightarrow \text{{{p.kind}}} &= ", RESULT),
            f"read off ({p.layout} layout)",
        )
    )
    return steps


def _hvp_steps(p, df: Node, leaves, name_t: str) -> list[Step]:
    """H v forward over reverse: the gradient g read off df (reverse), then g's differential
    (forward), in which d{name} := v gives H v without forming H."""
    var = p.var
    dleaves = list(leaves.values())
    g = var.gradient(pullback(df, num(1), dleaves))
    steps: list[Step] = []
    if var.kind == "whole" and var.shape != ():
        canon = inner(g, var.dleaf(var.nodes[0]))
        why = (
            "a scalar is its own transpose: collect dx on the right, ∇f = g"
            if var.shape[1] == 1
            else "trace is cyclic and invariant under transpose: df = tr(Gᵀ dX), ∇f = G"
        )
        steps.append((("= ", canon), ("&= ", canon), why))
    dg = differential(g, leaves)
    steps.append(
        (
            ("d(", g, ") = ", dg),
            (r"\mathrm{d}\left(", g, r"\right) &= ", dg),
            "the gradient's differential: " + ("; ".join(rules_used(g, leaves)) or "constant"),
        )
    )
    steps.append(
        (
            ("⇒ H ", p.v, " = ", RESULT),
            (r"\Rightarrow H ", p.v, " &= ", RESULT),
            f"forward over reverse: d{name_t} := the direction, H never formed",
        )
    )
    return steps
