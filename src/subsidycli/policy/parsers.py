"""How a profile's value for an input is read: the parser of each input type.

money, count, bool and rate are `money`'s parsers; text is any printable text; a choice is any
word that names one of its values (its value, Chinese or English label, or an alias), compared
folded (`fold`: full-width forms, case and spaces ignored). The compiler gives each `Input` its
parser (`Input.parse`); profiles, spreadsheets and the interview read values through it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from subsidycli import money
from subsidycli.errors import MoneyError
from subsidycli.i18n import N_, t

# An input's type in words (JSON and policies keep the type's id): `t(TYPE_WORDS[type])`.
TYPE_WORDS = {
    "money": N_("money"), "count": N_("count"), "bool": N_("yes/no"), "rate": N_("rate"),
    "choice": N_("choice"), "text": N_("text"), "quantity": N_("quantity"),
}  # fmt: skip

# The parser of each input type that is not text (a choice is text, checked against its words).
PARSERS: dict[str, Callable[[object], Any]] = {
    "money": money.parse_money,
    "count": money.parse_count,
    "bool": money.parse_bool,
    "rate": money.parse_rate,
}


def quantity_parser(unit: Mapping[str, str] | None) -> Callable[[object], Any]:
    """The parser of a quantity input: a number that may have decimals, and may be written
    with the input's unit (`120.35亩`, `120.35 mu`)."""
    units = tuple(dict.fromkeys(unit.values())) if unit else ()

    def parse(value: object) -> Any:
        return money.parse_quantity(value, units)

    return parse


def choice_words(choices: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every word that names a choice, folded (`fold`), and the choice's value: the value, its
    Chinese and English labels and its aliases (企业, 公司, Enterprise -> enterprise)."""
    words: dict[str, str] = {}
    for choice in choices:
        names = [choice["value"], choice["zh"], choice["en"], *choice.get("aliases", ())]
        for name in names:
            words.setdefault(fold(name), choice["value"])
    return words


def fold(text: str) -> str:
    """A word as it is compared with the policy's words: full-width folded, case ignored, and
    no spaces (`企 业`, `ＥＮＴＥＲＰＲＩＳＥ`, ` Enterprise ` are the same word)."""
    return "".join(money.normalize_text(text).casefold().split())


# Marks that change how text around them is shown or split: the bidirectional controls, and
# the line and paragraph separators.
_MARKS = frozenset(
    "\u061c\u200e\u200f\u2028\u2029" + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)


def text_parser(choices: Iterable[Mapping[str, Any]] | None) -> Callable[[object], Any]:
    """The parser of a text input, or of a choice input given its `choices`: printable text of
    at most 500 characters, or the value of the choice a word names (`choice_words`)."""
    words = choice_words(choices) if choices else None
    shown = ", ".join(f"{c['value']} ({c['zh']})" for c in choices or ())

    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise MoneyError(t("{value} is not text", value=money.describe(value)))
        printable = value.isprintable()  # the common case, checked in C; implies no Cc, Cs
        if not printable and any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
            # Terminal escapes, NUL, or a non-UTF-8 byte smuggled in as a lone surrogate.
            raise MoneyError(
                t("{value} contains control characters or broken Unicode", value=f"{value!r:.40}")
            )
        if not printable and not _MARKS.isdisjoint(value):
            # U+202E shows a name reversed; U+2028 splits a JSON Lines record under splitlines().
            raise MoneyError(
                t(
                    "{value} contains an invisible direction or line-separator mark "
                    "(U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C, U+2028, U+2029): "
                    "remove it",
                    value=f"{value!r:.40}",
                )
            )
        if words is not None:
            found = words.get(value)  # a word as the policy folds it: nothing to fold
            if found is not None:
                return found
        text = money.normalize_text(value)
        if words is not None:
            found = words.get(fold(text))
            if found is None:
                raise MoneyError(
                    t("{value} is not one of {choices}", value=f"{value!r:.40}", choices=shown)
                )
            return found
        if len(text) > 500:
            raise MoneyError(t("text longer than 500 characters"))
        return text

    return parse
