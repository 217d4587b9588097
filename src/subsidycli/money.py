"""Values as people write them: money ("1,200万", "1.2亿", "¥12,000.00"), counts, rates, yes/no.

Every parser takes what a JSON/TOML/CSV file or a person may give and returns an exact value, or
raises MoneyError saying what would be valid. Floats are refused where they arrive as floats:
JSON is read with Decimal numbers, so nothing here ever rounds.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from subsidycli.errors import MoneyError
from subsidycli.i18n import NO_WORDS, YES_WORDS, current_lang, t

FEN = Decimal("0.01")
# Larger than any budget; refusing beyond it keeps the engine's arithmetic (engine.EXACT) exact.
MONEY_LIMIT = Decimal(10) ** 15
# Beyond this an amount cannot be rounded to the fen exactly (Decimal's 28 digits).
AMOUNT_LIMIT = Decimal(10) ** 24
_SCALES = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1000)}
_STRIP = re.compile(r"[\s_¥]|元|人民币|RMB|CNY", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# Commas group thousands only: "12,50" is refused, not read as 1250.
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# What most amounts look like: 12000000, 12,000,000.00, ¥12,000.5, 1200万, 1.2亿元. Such text needs
# no folding, and is a valid amount when it has at most 8 decimals and is at most MONEY_LIMIT;
# anything else takes the general path, which says what is wrong.
_SIMPLE_MONEY = re.compile(r"¥?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?(万|亿)?元?")


def _money_hint() -> str:
    return t(
        "a non-negative amount in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿"
    )


def _money_hint_paren() -> str:
    return t("({hint})", hint=_money_hint())  # full-width in Chinese


def normalize_text(text: str) -> str:
    """Fold full-width digits and punctuation (from Chinese input methods) to ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def _fold_number(text: str) -> str:
    """normalize_text for a number: full-width digits fold to ASCII, but a digit that is
    superscript, subscript, circled or a fraction ("500000²", "①", "⑫万", "½") is refused: folding
    would read "500000²" as 5000002."""
    folded = normalize_text(text)
    if not text.isascii():
        for char in text:
            if _odd_digit(char):
                raise MoneyError(
                    t(
                        "{value}: {char} is not a plain digit (write digits 0-9)",
                        value=_describe(text),
                        char=char,
                    )
                )
    return folded


def _odd_digit(char: str) -> bool:
    """A character that stands for a number without being a decimal digit, and that NFKC would
    fold into digits (² ₅ ① ⑫ ½ Ⅻ); 万 and 五 stay as they are, so they are not odd."""
    return (
        unicodedata.decimal(char, None) is None
        and unicodedata.numeric(char, None) is not None
        and unicodedata.normalize("NFKC", char) != char
    )


def parse_money(value: object) -> Decimal:
    """Parse an amount of money in 元 into an exact Decimal.

    >>> parse_money("1,200万元")
    Decimal('12000000')
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError(
            t("{value} is not an amount ({hint})", value=_describe(value), hint=_money_hint())
        )
    if isinstance(value, int):
        if 0 <= value <= MONEY_LIMIT:  # whole yuan, in range: nothing more to check
            return Decimal(value)
        number = Decimal(value) if abs(value) <= MONEY_LIMIT else MONEY_LIMIT * 2
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        fast = _SIMPLE_MONEY.fullmatch(value)
        if fast is not None:  # the common forms, already plain: no folding, no stripping
            digits, fraction, scale = fast.groups()
            if fraction is None or len(fraction) <= 9:  # at most 8 decimals
                number = Decimal(digits.replace(",", "") + (fraction or ""))
                if scale:
                    number *= _SCALES[scale]
                if number <= MONEY_LIMIT:
                    return number
        number = _parse_money_text(value)
    else:
        raise MoneyError(
            t("{value} is not an amount ({hint})", value=_describe(value), hint=_money_hint())
        )
    return _check_money(number, value)


def _parse_money_text(text: str) -> Decimal:
    cleaned = _STRIP.sub("", _fold_number(text))
    if len(cleaned) > 40:  # before the scales: "1万万万…" must not overflow Decimal
        raise MoneyError(
            t("{value} is not an amount ({hint})", value=_describe(text), hint=_money_hint())
        )
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    scale = Decimal(1)
    while cleaned and cleaned[-1] in _SCALES:
        scale *= _SCALES[cleaned[-1]]
        cleaned = cleaned[:-1]
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            raise MoneyError(
                t(
                    "{value}: commas group thousands, e.g. 12,000,000 ({hint})",
                    value=_describe(text),
                    hint=_money_hint(),
                )
            )
        cleaned = cleaned.replace(",", "")
    if not _NUMBER.fullmatch(cleaned):
        raise MoneyError(
            t("{value} is not an amount ({hint})", value=_describe(text), hint=_money_hint())
        )
    number = Decimal(cleaned) * scale
    return -number if negative else number


def _check_money(
    number: Decimal, original: object, hint: str = "", places: int = 8,
) -> Decimal:  # fmt: skip
    """A finite, non-negative number of bounded size and precision (the engine's arithmetic is
    exact only for such numbers), without a negative zero's sign."""
    if not number.is_finite():
        shown = _describe(original)
        raise MoneyError(
            t("{value} is not a finite number {hint}", value=shown, hint=hint)
            if hint
            else t("{value} is not a finite amount {hint}", value=shown, hint=_money_hint_paren())
        )
    if number < 0:
        raise MoneyError(
            t(
                "{value} is negative {hint}",
                value=_describe(original),
                hint=hint or _money_hint_paren(),
            )
        )
    if number > MONEY_LIMIT:
        raise MoneyError(
            t("{value} is implausibly large (at most 10^15)", value=_describe(original))
        )
    if _places(number) > places:
        raise MoneyError(
            t(
                "{value} has more than {places} decimal places",
                value=_describe(original),
                places=places,
            )
        )
    return number + 0


def _places(number: Decimal) -> int:
    """Decimal places that matter: 0.0100 has 2 (1.0E-10 亿 is one fen), 0E-10 has none."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0 or not any(digits):
        return 0
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - zeros)


def _count_hint() -> str:  # made only for a message: t() reads the locale
    return t("a whole number ≥ 0, e.g. 0, 1, 2")


def parse_count(value: object) -> int:
    """Parse a whole, non-negative number of items."""
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 9:
        number = int(value)
        if number <= 1_000_000:
            return number  # plain digits, the common case in a sheet: nothing to fold
    if isinstance(value, bool) or value is None:
        raise MoneyError(
            t("{value} is not a count ({hint})", value=_describe(value), hint=_count_hint())
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, (Decimal, float)):
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        if exact.is_finite() and exact.copy_abs() > 1_000_000:  # copy_abs: never Overflow
            raise MoneyError(
                t("{value} is implausibly large (at most 1,000,000)", value=_describe(value))
            )
        if not _is_whole(value):
            raise MoneyError(
                t(
                    "{value} is not a whole number ({hint})",
                    value=_describe(value),
                    hint=_count_hint(),
                )
            )
        number = int(value)
    elif isinstance(value, str):
        text = _fold_number(value).rstrip("项个家次件")
        if not re.fullmatch(r"-?\d{1,9}(?:\.0+)?", text):
            raise MoneyError(
                t("{value} is not a count ({hint})", value=_describe(value), hint=_count_hint())
            )
        number = int(Decimal(text))
    else:
        raise MoneyError(
            t("{value} is not a count ({hint})", value=_describe(value), hint=_count_hint())
        )
    if number < 0:
        raise MoneyError(
            t("{value} is negative ({hint})", value=_describe(value), hint=_count_hint())
        )
    if number > 1_000_000:
        raise MoneyError(
            t("{value} is implausibly large (at most 1,000,000)", value=_describe(value))
        )
    return number


# A quantity (亩 of land): larger than any plot, and finer than any survey measures.
QUANTITY_LIMIT = Decimal(10) ** 9
QUANTITY_PLACES = 6


def _quantity_hint(units: tuple[str, ...]) -> str:  # made only for a message: t() reads the locale
    unit = units[0] if units else ""
    return t("a number ≥ 0, decimals allowed, e.g. 120 or 120.5{unit}", unit=unit)


def parse_quantity(value: object, units: tuple[str, ...] = ()) -> Decimal:
    """Parse a number of units that may have decimals (120.35 亩) into an exact Decimal.

    A text may end in one of `units` (its names: 亩, mu) and group thousands with commas; the
    number is at most 10^9 with at most 6 decimals. Floats arrive from JSON as Decimal, from
    TOML as their shortest repr: never binary arithmetic.

    >>> parse_quantity("120.35亩", ("亩",))
    Decimal('120.35')
    """
    hint = _quantity_hint(units)
    if isinstance(value, bool) or value is None:
        raise MoneyError(t("{value} is not a number ({hint})", value=_describe(value), hint=hint))
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = normalize_text(value)
        for unit in sorted(units, key=len, reverse=True):
            if unit and text.casefold().endswith(unit.casefold()):
                text = text[: -len(unit)].strip()
                break
        if "," in text and _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        if not _NUMBER.fullmatch(text):
            raise MoneyError(
                t("{value} is not a number ({hint})", value=_describe(value), hint=hint)
            )
        number = Decimal(text)
    else:
        raise MoneyError(t("{value} is not a number ({hint})", value=_describe(value), hint=hint))
    if not number.is_finite() or number < 0:
        raise MoneyError(
            t("{value} is not a number ≥ 0 ({hint})", value=_describe(value), hint=hint)
        )
    if number > QUANTITY_LIMIT:
        raise MoneyError(t("{value} is implausibly large (at most 10^9)", value=_describe(value)))
    if _places(number) > QUANTITY_PLACES:
        raise MoneyError(t("{value} has more than {places} decimal places", value=_describe(value),
                           places=QUANTITY_PLACES))  # fmt: skip
    return number + 0


def _is_whole(value: Decimal | float) -> bool:
    """Whole, compared exactly: 1e-999999999 is not 0 (`% 1` would underflow to 0). A float is
    whole exactly when its binary value is, so it needs no repr()."""
    exact = Decimal(value)
    return exact.is_finite() and exact == exact.to_integral_value()


def parse_bool(value: object) -> bool:
    """Parse yes/no as people write it (`i18n.YES_WORDS`, `NO_WORDS`): true/false, 是/否, 1/0 ..."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        found = _YES_NO.get(value)  # a word as the lists write it: nothing to fold
        if found is None:
            found = _YES_NO.get(normalize_text(value).lower())
        if found is not None:
            return found
    raise MoneyError(
        t("{value} is not yes/no (true/false, yes/no, 是/否, 有/无, 1/0)", value=_describe(value))
    )


_YES_NO = {**dict.fromkeys(YES_WORDS, True), **dict.fromkeys(NO_WORDS, False)}


def _rate_hint() -> str:  # made only for a message: t() reads the locale
    return t("a rate from 0 to 1, e.g. 0.15 or 15%")


def parse_rate(value: object) -> Decimal:
    """Parse a rate between 0 and 1, written as 0.15 or "15%"."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(
            t("{value} is not a rate ({hint})", value=_describe(value), hint=_rate_hint())
        )
    try:
        if isinstance(value, str):
            text = _fold_number(value).replace(" ", "")
            digits = text[:-1] if text.endswith("%") else text
            if not _NUMBER.fullmatch(digits):  # no NaN, no 1e-999999: plain digits
                raise ValueError  # said below, as any text that is no number (or not plain digits)
            number = Decimal(digits) / 100 if text.endswith("%") else Decimal(digits)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            number = Decimal(value)
        else:
            raise ValueError  # said below, as text that is no number
    except (InvalidOperation, ValueError):
        raise MoneyError(
            t("{value} is not a rate ({hint})", value=_describe(value), hint=_rate_hint())
        ) from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise MoneyError(
            t("{value} is not between 0 and 1 ({hint})", value=_describe(value), hint=_rate_hint())
        )
    if _places(number) > 10:
        raise MoneyError(
            t(
                "{value} has more than 10 decimal places ({hint})",
                value=_describe(value),
                hint=_rate_hint(),
            )
        )
    return number + 0


def parse_policy_number(value: object) -> tuple[Decimal, str]:
    """Parse a number stated in a policy file: "100万" is money, "0.5%" a rate, 3 a number.

    Returns the value and its kind ("money", "rate" or "number").
    """
    hint = t('(e.g. "100万", "0.5%", 3)')
    if isinstance(value, str) and value.strip().endswith("%"):
        digits = _fold_number(value)[:-1].strip()
        if not _NUMBER.fullmatch(digits):
            raise MoneyError(
                t("{value} is not a percentage {hint}", value=_describe(value), hint=hint)
            )
        number, kind = Decimal(digits) / 100, "rate"
    elif isinstance(value, str):
        # Money per unit (100元/亩) is money: the unit is the quantity it multiplies.
        amount, per, unit = value.partition("/")
        if per and unit.strip() and not any(ch.isdigit() for ch in unit):
            return parse_money(amount), "money"
        return parse_money(value), "money"
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(repr(value) if isinstance(value, float) else value)
        kind = "number"
    else:
        raise MoneyError(t("{value} is not a number {hint}", value=_describe(value), hint=hint))
    return _check_money(number, value, hint, places=10), kind


def round_fen(amount: Decimal) -> Decimal:
    """Round half-up to 0.01 元."""
    try:
        if _MINUS_LIMIT < amount < AMOUNT_LIMIT:
            return amount.quantize(FEN, ROUND_HALF_UP) + _ZERO  # + 0: never "-0.00"
    except InvalidOperation:  # NaN
        pass
    raise MoneyError(t("{amount} 元 is out of range (at most 10^24 元)", amount=f"{amount:.3e}"))


_MINUS_LIMIT = -AMOUNT_LIMIT
_ZERO = Decimal("0.00")


def format_money(amount: Decimal) -> str:
    """12000000 -> "12,000,000.00" (rounded half-up to the fen)."""
    return f"{round_fen(amount):,.2f}"


def format_plain(amount: Decimal) -> str:
    """The machine form: 12000000 -> "12000000.00"."""
    return str(round_fen(amount))  # two decimals, never an exponent: what quantize gives


def wan_exact(amount: Decimal) -> bool:
    """Whether two decimals of 万元 show `amount` to the fen: a whole number of 百元."""
    return not round_fen(amount) % 100


def unit_for(amounts: Iterable[Decimal]) -> str:
    """The one unit of a view that shows all of `amounts` (a column, a table and its totals):
    "万元" when two decimals of 万元 show every one of them exactly and one is 1 万 or more
    (as `format_money_zh` chooses for one amount), else "元"."""
    fens = [round_fen(amount) for amount in amounts]
    exact = all(map(wan_exact, fens)) and any(abs(fen) >= 10_000 for fen in fens)
    return "万元" if exact else "元"


def format_money_zh(amount: Decimal, unit: str | None = None) -> str:
    """Money as a Chinese reader says it: in 万元 with two decimals when that is exact, else in 元.

    200000 -> "20.00 万元", 3735000 -> "373.50 万元", but 3735006 -> "3,735,006.00 元" (never
    "373.5006 万元") and 30.02 -> "30.02 元": the fen are always there to see. `unit` ("万元" or
    "元", `unit_for` a whole view) writes it in that unit; 万元 only where that is exact.
    """
    fen = round_fen(amount)
    if unit is None:
        unit = "万元" if fen >= 10_000 and wan_exact(fen) else "元"
    if unit == "万元" and wan_exact(fen):
        return f"{fen / 10_000:,.2f} 万元"
    return f"{fen:,.2f} 元"


def format_for_people(amount: Decimal, unit: str | None = None) -> str:
    """Money shown to a person: format_money_zh in Chinese (in `unit` if given); "12,000,000.00"
    in English."""
    return format_money_zh(amount, unit) if current_lang() == "zh" else format_money(amount)


def format_rate(rate: Decimal) -> str:
    """0.005 -> "0.5%"."""
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def format_number(number: Decimal | int) -> str:
    """A plain number with thousands separators and no needless decimals."""
    if isinstance(number, int) or number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def describe(value: object) -> str:
    """A value as a message quotes it, in the words the person wrote, never Python's: text in
    quotes, a number as written (2.5 and 1e400, not Decimal('2.5') or 1E+400: see `read_number`),
    true/false/null as JSON and TOML spell them, a date as written, and a list or an object
    (a TOML table) by what it is, not by its contents."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, Decimal):
        text = getattr(value, "written", None) or str(value)
    elif isinstance(value, (list, tuple)):
        return t("a list")
    elif isinstance(value, dict):
        return t("an object")
    elif isinstance(value, (datetime.date, datetime.time)):  # TOML's dates and times
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_describe = describe


class Written(Decimal):
    """A number read from a file that Decimal would spell otherwise (1e400 is 1E+400): the same
    number, with the text as written, for messages (`describe`)."""

    written: str

    def __reduce__(self) -> tuple[Any, ...]:  # kept across --jobs' processes
        return (_written, (self.written,))


def _written(text: str) -> Decimal:
    number = Written(text)
    number.written = text
    return number


# Longer integers than Python converts by default (sys.get_int_max_str_digits); such a number is
# read as a Decimal, so that it is refused as too large, in its own words, not as a Python error.
_INT_DIGITS = 4300


def read_number(text: str) -> Decimal:
    """JSON's and TOML's `parse_float`: the exact number, spelled as written where Decimal's own
    spelling differs (1e400, 0.0000001)."""
    number = Decimal(text)
    return number if str(number) == text else _written(text)


def read_integer(text: str) -> int | Decimal:
    """JSON's `parse_int`: an int, or for more digits than Python converts, the exact Decimal."""
    return int(text) if len(text) < _INT_DIGITS else _written(text)


# A sheet's header may state its column's unit (年度研发费用（万元）): the units read, each with the
# scale a bare number of that column is written with (1200 in a 万元 column is 1200万).
HEADER_UNITS = {"元": "", "万元": "万", "亿元": "亿"}
_BARE = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+")


def in_unit(value: object, scale: str) -> object:
    """A cell of a column whose header states its unit, as the amount it means: a bare number
    (1200, 1,200.5, a workbook's number) gets the column's scale (`1200万`, read by parse_money
    as written); a cell that says its own unit (1200万, 5000元), or is not a bare number, is
    left as it is, for parse_money to read or refuse."""
    if not scale or isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return f"{value:f}{scale}" if isinstance(value, Decimal) else f"{value}{scale}"
    if isinstance(value, str) and _BARE.fullmatch(normalize_text(value)):
        return value.strip() + scale
    return value


def bare_amount(value: object) -> Decimal | None:
    """The number a cell holds when it is a bare number of 元, without a unit of its own (1200,
    1,200.5, a workbook's number); None for anything else (1200万, text, yes/no)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and _BARE.fullmatch(text):
            return Decimal(text.replace(",", ""))
    return None
