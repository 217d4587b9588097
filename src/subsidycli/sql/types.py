"""What the SQL compiler's columns are and what it refuses: the types each input's column has
(as the parsers bound its values), and `Unsupported`, raised for a policy it cannot run exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

MAX_DIGITS = 38  # DECIMAL's precision in DuckDB, Spark, Trino
AMOUNT_LIMIT = Decimal(10) ** 24  # `money.round_fen` refuses 10^24 and more
# The most each numeric input can be, as its parser bounds it.
BOUNDS = {"money": Decimal(10) ** 15, "rate": Decimal(1), "count": Decimal(10) ** 6,
          "quantity": Decimal(10) ** 9}  # fmt: skip
# Each input type's column: (integer digits, scale) for numbers, None for BOOLEAN / VARCHAR.
# The bounds are the parsers': money ≤ 10^15 with 8 places, a rate 0..1 with 10, a count
# ≤ 10^6, a quantity ≤ 10^9 with 6.
COLUMN_TYPES: Mapping[str, tuple[int, int] | None] = {
    "money": (16, 8), "rate": (1, 10), "count": (7, 0), "quantity": (10, 6),
    "bool": None, "choice": None, "text": None,
}  # fmt: skip
# Narrower columns, tried when a policy's products do not fit the wide ones (a rate of 10
# places × money of 8 × a count passes 38 digits): a cell with more places than these is then
# evaluated by the Python engine, and its results added to the database's.
NARROW: Mapping[str, tuple[int, int] | None] = {
    **COLUMN_TYPES, "money": (16, 2), "rate": (1, 4), "quantity": (10, 2),
}  # fmt: skip


class Unsupported(SubsidyError):
    """A policy uses something the SQL compiler does not know: `summary` runs it in Python."""


def refuse(what: str) -> Unsupported:
    """`Unsupported`, naming what the compiler does not know."""
    return Unsupported(t("the SQL engine does not know {what}", what=what))
