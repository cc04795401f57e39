"""Unicode text: `(A + Aᵀ) x`, `X⁻ᵀ`, `σ(x) ⊙ y` — valid input, read back to the same value."""

from .printer import to_text

__all__ = ["to_text"]
