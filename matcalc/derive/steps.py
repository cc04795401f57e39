"""`--steps`: the derivation as a person writes it, with differentials, each line with its rule.

d(xᵀ A x) = dxᵀ A x + xᵀ A dx        product rule …
          = ((A + Aᵀ) x)ᵀ dx          a scalar is its own transpose …
⇒ ∇ = (A + Aᵀ) x                      read off …

The rule names are the registry entries' `steps` labels.
"""

from __future__ import annotations

from ..expr.node import Node, postorder
from ..expr.registry import OPS
from ..ops import inner, matmul, transpose
from ..render.printer import latex_name, text_name, to_latex, to_text
from .differential import Dependence, differential

Step = tuple[str, str, str]  # text, LaTeX, rule


def rules_used(f: Node, leaves) -> list[str]:
    """The labels of the operators the differential passes through, in order, once each."""
    depends = Dependence(leaves)
    seen: list[str] = []
    for m in reversed(postorder([f])):
        if depends(m) and m.op not in ("var", "add") and m not in leaves:
            label = OPS[m.op].steps
            if label and label not in seen:
                seen.append(label)
    return seen


def derivation_steps(p, res) -> list[Step]:
    """The lines of the derivation (matrix engine), or one line saying it went entry by entry."""
    if res.engine != "matrix":
        return [
            (
                "componentwise: ∂fᵢ/∂xⱼ entry by entry",
                r"\text{componentwise}",
                "the same rules on the entries",
            )
        ]
    var = p.var
    leaves = var.leaves()
    df = differential(p.node, leaves)
    f_text, f_latex = to_text(p.node), to_latex(p.node)
    steps: list[Step] = [
        (
            f"d({f_text}) = {to_text(df)}",
            rf"\mathrm{{d}}\left({f_latex}\right) &= {to_latex(df)}",
            "; ".join(rules_used(p.node, leaves)) or "d of a constant is 0",
        )
    ]
    name_t, name_l = text_name(var.name), latex_name(var.name) if var.kind == "whole" else var.name
    result_t, result_l = res.text(), res.latex()
    if res.form == "map":
        steps.append(
            (
                f"⇒ {result_t}",
                rf"\Rightarrow {result_l}",
                "the derivative is this linear map of d" + name_t,
            )
        )
        return steps
    if var.shape == ():
        steps.append(
            (
                f"⇒ d/d{name_t} = {result_t}",
                rf"\Rightarrow \frac{{\mathrm{{d}}}}{{\mathrm{{d}}{name_l}}} &= {result_l}",
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
        steps.append((f"= {to_text(canon)}", f"&= {to_latex(canon)}", why))
        label = f"∂f/∂{name_t}" if row else f"∇_{name_t}"
        label_l = rf"\frac{{\partial f}}{{\partial {name_l}}}" if row else rf"\nabla_{{{name_l}}}"
        steps.append(
            (
                f"⇒ {label} = {result_t}",
                rf"\Rightarrow {label_l} &= {result_l}",
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
        steps.append((f"= {to_text(canon)}", f"&= {to_latex(canon)}", "collect dx on the right"))
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
                f"⇒ {label} = {result_t}",
                rf"\Rightarrow {label_l} &= {result_l}",
                f"df = J dx ⇒ {label} = {read} ({p.layout} layout)"
                if label != "J"
                else f"df = J dx ⇒ J ({p.layout} layout)",
            )
        )
        return steps
    steps.append(
        (
            f"⇒ {p.kind} = {result_t}",
            rf"\Rightarrow \text{{{p.kind}}} &= {result_l}",
            f"read off ({p.layout} layout)",
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
    body = " \\\\\n".join(lx if "&" in lx else "&" + lx for _, lx, _ in result.steps)
    return "\\begin{align*}\n" + body + "\n\\end{align*}"
