"""`python -m matcalc`."""

from .cli import main

main()
