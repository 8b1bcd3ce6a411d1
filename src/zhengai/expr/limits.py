"""Named limits of the expression language, enforced at compile time.

Together they bound the work of every evaluation: an expression that passes
them runs in time linear in the data and allocates no more than a fixed number
of arrays per syntax node.  ``DECIMALS`` fixes how many decimal places
comparisons look at, in every backend alike.
"""

from __future__ import annotations

import simpleeval

__all__ = [
    "DECIMALS",
    "EPSILON",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LAG",
    "MAX_LIST_LENGTH",
    "MAX_NODES",
    "MAX_SOURCE_LENGTH",
    "MAX_STRING_LENGTH",
]

#: Comparisons look at ``round(a - b, DECIMALS)``: 2.3 - 1.8 >= 0.5 is True.
DECIMALS = 9
#: Half a unit in the last decimal place: ``round(d, DECIMALS) == 0`` iff ``|d| < EPSILON``.
EPSILON = 0.5 * 10.0**-DECIMALS
#: Longest accepted source text, in characters (checked before parsing).
MAX_SOURCE_LENGTH = 4_000
#: Deepest accepted nesting of syntax nodes.
MAX_DEPTH = 64
#: Most syntax nodes in one expression.
MAX_NODES = 1_000
#: Longest string literal; simpleeval's own bound is the outer wall.
MAX_STRING_LENGTH = min(1_000, simpleeval.MAX_STRING_LENGTH)
#: Longest list or tuple literal (right-hand side of ``in``).
MAX_LIST_LENGTH = 256
#: Largest ``|n|`` in ``x ** n`` (``n`` must be an integer literal).
MAX_EXPONENT = 10
#: Furthest look-back of history functions, in periods.
MAX_LAG = 20
