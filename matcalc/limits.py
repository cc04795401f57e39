"""Every resource limit in one place; docs/limits.md lists them with their reasons."""

MAX_INPUT_CHARS = 10_000  # characters of one expression
MAX_DEPTH = 100  # nesting of parentheses, brackets, calls, unary operators and powers
MAX_NODES = 5_000  # tokens of one expression
MAX_INT_DIGITS = 40  # digits of one integer literal (and of a mantissa)
MAX_SCI_EXPONENT = 300  # |k| in a literal like 1e-k
MAX_POWER = 1_000  # |p| in a constant exponent x**p
MAX_MATPOW = 100  # k in a matrix power A**k
MAX_CONST_DIGITS = 1_000  # digits of a constant folded from numbers, e.g. 9**9**9
MAX_DIM = 1_000  # an integer dimension in --let
MAX_ENTRIES = 40_000  # entries of any explicit (componentwise) matrix
MAX_PRODUCTS = 200_000  # entry products of one explicit matrix product (r·k·c)
MAX_DET_SIZE = 8  # explicit det/inv of a symbolic matrix larger than this is refused
MAX_LETS = 100  # --let declarations
MAX_WRITTEN = 10_000_000  # operations of a result written out (a shared subtree counts each time)
MEMO_CANONICAL = 20_000  # canonical forms remembered across calls (expr/registry.py)
MEMO_CONSTANTS = 5_000  # constant nodes remembered across calls (ops/base.py)
MEMO_TEXT = 5_000  # printed subtrees remembered across calls (render/printer.py)
TIME_BUDGET = 5.0  # seconds of simplification before matcalc returns the plain form
WALL_SECONDS = 20.0  # a CLI command is stopped after this (MATCALC_TIMEOUT)
MEMORY_MB = 2048  # address space of the CLI's worker (MATCALC_MEMORY_MB)
