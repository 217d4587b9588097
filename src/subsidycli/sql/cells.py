"""Cells: what the database casts itself, and what goes through the Python parser. One
definition of an input's canonical cells (`cell_pattern`, `cell_words`), used by `summary`'s
readers and by the query `--emit-sql` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from subsidycli.i18n import NO_WORDS, YES_WORDS
from subsidycli.policy import Input
from subsidycli.policy.parsers import choice_words
from subsidycli.sql.types import COLUMN_TYPES


def canonical(item: Input, shape: tuple[int, int] | None = None) -> Callable[[Any], str | None]:
    """For an input, a function giving a cell's canonical text (what SQL casts exactly as the
    Python parser reads it), or None when the cell must go through the parser: plain decimals
    within the parser's bounds, yes/no words and choice words as the policy lists them."""
    import re

    words = cell_words(item)
    if words is not None:
        return lambda cell: words.get(cell) if type(cell) is str else None
    pattern = cell_pattern(item, shape)
    if pattern is None:
        return lambda cell: None
    match = re.compile(pattern).fullmatch
    return lambda cell: cell if type(cell) is str and match(cell) else None


# Text the text parser gives back unchanged: printable ASCII and the common CJK ideographs
# (NFKC leaves both as they are), no space at either end, at most 500 characters.
_PLAIN = "!-~\u4e00-\u9fa5"
_TEXT = f"[{_PLAIN}](?:[ {_PLAIN}]{{0,498}}[{_PLAIN}])?"


def cell_words(item: Input) -> dict[str, str] | None:
    """The canonical cells of a yes/no or choice input and the text each stands for: the
    yes/no words as the lists write them, a choice's words as the policy lists them (`true`,
    `是` -> true; `企业` -> enterprise); None for other types (`cell_pattern`)."""
    if item.type == "bool":
        return {**dict.fromkeys(YES_WORDS, "true"), **dict.fromkeys(NO_WORDS, "false")}
    if item.type == "choice":
        return choice_words(item.choices)
    return None


def cell_pattern(item: Input, shape: tuple[int, int] | None = None) -> str | None:
    """The regular expression of an input's canonical cells, whole (Python's `re` and the
    database's RE2 read it alike: ASCII digits and literal characters only), or None (yes/no
    and choice inputs: `cell_words`). `canonical` and the SQL reader of `summary` both test
    cells with it."""
    kind = item.type
    places = (shape or COLUMN_TYPES.get(kind) or (0, 0))[1]
    patterns = {  # within the parsers' bounds, and at most the column's places
        "money": rf"[0-9]{{1,15}}(?:\.[0-9]{{1,{places}}})?",  # < 10^15
        "count": r"[0-9]{1,6}",  # < 10^6
        "rate": rf"0(?:\.[0-9]{{1,{places}}})?",  # 0 ≤ rate < 1
        "quantity": rf"[0-9]{{1,9}}(?:\.[0-9]{{1,{places}}})?",  # < 10^9
        "text": _TEXT,
    }
    return patterns.get(kind)


def fits(value: Any, shape: tuple[int, int] | None) -> bool:
    """Whether a parsed value fits its column exactly (its places at most the column's)."""
    if shape is None or not isinstance(value, Decimal):
        return True
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent <= shape[1]


def cell_text(value: Any) -> str:
    """A parsed value as the canonical text the query casts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
