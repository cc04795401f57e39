"""Unicode text: `(A + Aᵀ) x`, `X⁻ᵀ`, `σ(x) ⊙ y` — valid input, read back to the same value."""

from .printer import brief, to_text

__all__ = ["brief", "to_text"]
