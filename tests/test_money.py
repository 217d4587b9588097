"""Money, counts, rates and yes/no as people write them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import i18n, money
from subsidycli.errors import MoneyError


@pytest.mark.parametrize(
    "text",
    [
        12000000,
        "12000000",
        "12,000,000",
        "¥12,000,000.00",
        "￥12,000,000",
        "1200万",
        "1,200万元",
        "0.12亿",
        "１２００万",
        "1200 万元",
        "RMB 12,000,000",
        Decimal("12000000.00"),
        " 1200万 ",
    ],
)
def test_every_way_of_writing_twelve_million(text: object) -> None:
    assert money.parse_money(text) == Decimal(12_000_000)


@pytest.mark.parametrize(
    "bad",
    [
        "-5",
        "-1万",
        "abc",
        "",
        "1.2.3",
        "NaN",
        "Infinity",
        "1e400",
        True,
        None,
        [1],
        {"a": 1},
        "9" * 50,
        Decimal("NaN"),
        Decimal("-0.01"),
        10**20,
        "1万万万万万",
    ],
)
def test_refuses_bad_money(bad: object) -> None:
    with pytest.raises(MoneyError):
        money.parse_money(bad)


def test_negative_zero_is_zero() -> None:
    assert str(money.parse_money(Decimal("-0"))) == "0"


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_formats_round_trip(amount: Decimal) -> None:
    for text in (
        money.format_money(amount),
        money.format_plain(amount),
        "¥" + money.format_money(amount),
    ):
        assert money.parse_money(text) == amount
    wan = money.format_money_zh(amount)
    assert money.parse_money(wan.replace(" ", "")) == amount


@given(st.integers(min_value=0, max_value=10**7))
def test_wan_and_yi(n: int) -> None:
    assert money.parse_money(f"{n}万") == n * 10_000
    assert money.parse_money(f"{n}亿") == n * 100_000_000


def test_round_half_up() -> None:
    assert money.round_fen(Decimal("61728.395")) == Decimal("61728.40")
    assert money.round_fen(Decimal("30.015")) == Decimal("30.02")
    assert money.round_fen(Decimal("0.005")) == Decimal("0.01")


def test_chinese_reading() -> None:
    assert money.format_money_zh(Decimal(200_000)) == "20.00 万元"
    assert money.format_money_zh(Decimal(3_735_000)) == "373.50 万元"
    assert money.format_money_zh(Decimal("1200000000")) == "120,000.00 万元"
    assert money.format_money_zh(Decimal("30.02")) == "30.02 元"
    assert money.format_money_zh(Decimal(1200)) == "1,200.00 元"


@pytest.mark.parametrize(
    ("amount", "want"),
    [
        ("3735006", "3,735,006.00 元"),  # never "373.5006 万元"
        ("61728.4", "61,728.40 元"),
        ("10050.5", "10,050.50 元"),
        ("9900", "9,900.00 元"),  # under 1 万: in 元
        ("10000", "1.00 万元"),
        ("12345600", "1,234.56 万元"),
    ],
)
def test_chinese_reading_at_most_two_decimals_of_wan(amount: str, want: str) -> None:
    assert money.format_money_zh(Decimal(amount)) == want
    number = want.split()[0]
    assert len(number.partition(".")[2]) == 2  # two decimals, whatever the unit


def test_money_for_people_follows_the_language() -> None:
    with i18n.using("zh"):
        assert money.format_for_people(Decimal(200_000)) == "20.00 万元"
    assert money.format_for_people(Decimal(200_000)) == "200,000.00"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("是", True),
        ("否", False),
        ("y", True),
        ("NO", False),
        ("true", True),
        (0, False),
        (1, True),
        ("１", True),
    ],
)
def test_yes_no(text: object, want: bool) -> None:
    assert money.parse_bool(text) is want


@pytest.mark.parametrize("bad", ["maybe", 2, None, "", Decimal("0.5")])
def test_refuses_bad_yes_no(bad: object) -> None:
    with pytest.raises(MoneyError):
        money.parse_bool(bad)


@pytest.mark.parametrize(
    ("text", "want"), [(3, 3), ("3", 3), ("３项", 3), (Decimal("2.0"), 2), ("0", 0)]
)
def test_counts(text: object, want: int) -> None:
    assert money.parse_count(text) == want


@pytest.mark.parametrize("bad", [-1, 1.5, "1.5", True, "x", None, 10**9, Decimal("NaN")])
def test_refuses_bad_counts(bad: object) -> None:
    with pytest.raises(MoneyError):
        money.parse_count(bad)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("15%", Decimal("0.15")),
        (Decimal("0.2"), Decimal("0.2")),
        (0.25, Decimal("0.25")),
        ("0.15", Decimal("0.15")),
    ],
)
def test_rates(text: object, want: Decimal) -> None:
    assert money.parse_rate(text) == want


@pytest.mark.parametrize("bad", ["150%", -0.1, "x", True, 2])
def test_refuses_bad_rates(bad: object) -> None:
    with pytest.raises(MoneyError):
        money.parse_rate(bad)


# --- The limits, at their edges ---------------------------------------------------------------


@pytest.mark.parametrize(
    "at_limit",
    [10**15, "1000000000000000", "1,000,000,000,000,000", "10000000亿", "100000000000万",
     Decimal("1E+15"), "1000000000000000.00"],
)  # fmt: skip
def test_the_money_limit_itself_is_accepted(at_limit: object) -> None:
    assert money.parse_money(at_limit) == money.MONEY_LIMIT == Decimal(10) ** 15


@pytest.mark.parametrize(
    "over",
    [10**15 + 1, "1000000000000000.01", "1,000,000,000,000,001", "10000000.00000001亿",
     Decimal("1000000000000000.01"), -(10**15), -(10**20), 1e16],
)  # fmt: skip
def test_a_fen_over_the_money_limit_is_refused(over: object) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_money(over)
    assert ("at most 10^15" in info.value.message) or ("negative" in info.value.message)


def test_eight_decimal_places_are_the_most_an_amount_may_have() -> None:
    assert money.parse_money("0.12345678") == Decimal("0.12345678")
    assert money.parse_money("1.0000000000") == Decimal(1)  # trailing zeros do not count
    assert money.parse_money("0.0000000001亿") == Decimal("0.01")  # a fen, written in 亿
    for bad, shown in [("0.123456789", "'0.123456789'"), (Decimal("0.123456789"), "0.123456789"),
                       ("1,000.123456789", "'1,000.123456789'")]:  # fmt: skip
        with pytest.raises(MoneyError) as info:
            money.parse_money(bad)
        assert info.value.message == f"{shown} has more than 8 decimal places"


def test_text_longer_than_forty_characters_is_refused_before_its_scales() -> None:
    assert money.parse_money("1" + "0" * 14) == Decimal(10) ** 14  # 15 characters: read
    with pytest.raises(MoneyError, match="is not an amount"):
        money.parse_money("1" + "万" * 40)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1千", Decimal(1000)), ("1.5千万", Decimal(15_000_000)), ("1万亿", Decimal(10) ** 12),
        ("¥ 1 200 万", Decimal(12_000_000)), ("12,000.50元", Decimal("12000.50")),
        (".5万", Decimal(5000)), ("CNY 100", Decimal(100)), ("人民币100元", Decimal(100)),
        (0.5, Decimal("0.5")), ("0", Decimal(0)), (0, Decimal(0)),
    ],
)  # fmt: skip
def test_scales_and_marks_people_write(text: object, want: Decimal) -> None:
    assert money.parse_money(text) == want


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("12,50", "commas group thousands"),
        ("1,2345", "commas group thousands"),
        (",100", "commas group thousands"),
        ("-0.01", "is negative"),
        ("1e5", "is not an amount"),
        ("1..2", "is not an amount"),
        ("万", "is not an amount"),
        (Decimal("Infinity"), "is not a finite amount"),
        (float("nan"), "is not a finite amount"),
        (True, "is not an amount"),
        (None, "null is not an amount"),
        ([1], "is not an amount"),
    ],
)
def test_bad_money_says_what_is_wrong(bad: object, message: str) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_money(bad)
    assert message in info.value.message
    assert (
        "e.g. 12000000" in info.value.message
        or "10^15" in info.value.message
        or ("decimal places" in info.value.message)
    )


def test_a_long_value_is_shown_cut_in_a_message() -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_money("x" * 100)
    assert info.value.message.startswith("'" + "x" * 36 + "...")


# --- Rounding half-up to the fen, and its range -----------------------------------------------


@pytest.mark.parametrize(
    ("amount", "want"),
    [
        ("0.005", "0.01"), ("0.015", "0.02"), ("0.025", "0.03"),  # half-up, never to the even fen
        ("2.345", "2.35"), ("2.3449999", "2.34"), ("61728.385", "61728.39"),
        ("-0.004", "0.00"), ("-0.005", "-0.01"), ("0", "0.00"), ("7", "7.00"),
    ],
)  # fmt: skip
def test_round_fen_rounds_half_up(amount: str, want: str) -> None:
    rounded = money.round_fen(Decimal(amount))
    assert str(rounded) == want


def test_round_fen_works_up_to_its_limit_and_refuses_beyond() -> None:
    below = money.AMOUNT_LIMIT - Decimal("0.01")
    assert money.round_fen(below) == below
    assert money.round_fen(-below) == -below
    for out in (money.AMOUNT_LIMIT, -money.AMOUNT_LIMIT, Decimal("Infinity"), Decimal("NaN")):
        with pytest.raises(MoneyError, match=r"out of range \(at most 10\^24 元\)"):
            money.round_fen(out)


# --- Formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "plain", "grouped", "zh"),
    [
        ("0", "0.00", "0.00", "0.00 元"),
        ("0.005", "0.01", "0.01", "0.01 元"),
        ("9999.99", "9999.99", "9,999.99", "9,999.99 元"),
        ("9999.995", "10000.00", "10,000.00", "1.00 万元"),  # rounded first, then read in 万
        ("10000", "10000.00", "10,000.00", "1.00 万元"),
        ("10100", "10100.00", "10,100.00", "1.01 万元"),
        ("10001", "10001.00", "10,001.00", "10,001.00 元"),  # 1.0001 万元 would hide a yuan
        ("10000.5", "10000.50", "10,000.50", "10,000.50 元"),
        ("12345.678", "12345.68", "12,345.68", "12,345.68 元"),
        ("200000", "200000.00", "200,000.00", "20.00 万元"),
        ("3735000", "3735000.00", "3,735,000.00", "373.50 万元"),
        ("3735006", "3735006.00", "3,735,006.00", "3,735,006.00 元"),
        ("81234567.89", "81234567.89", "81,234,567.89", "81,234,567.89 元"),
        ("1000000000000", "1000000000000.00", "1,000,000,000,000.00", "100,000,000.00 万元"),
        ("-0.001", "0.00", "0.00", "-0.00 元"),
    ],
)
def test_money_is_formatted_to_the_fen(amount: str, plain: str, grouped: str, zh: str) -> None:
    value = Decimal(amount)
    assert money.format_plain(value) == plain
    assert money.format_money(value) == grouped
    if not amount.startswith("-"):
        assert money.format_money_zh(value) == zh


@pytest.mark.parametrize(
    ("rate", "want"),
    [("0.005", "0.5%"), ("0.15", "15%"), ("1", "100%"), ("0", "0%"), ("0.3000", "30%")],
)
def test_rates_are_shown_as_percentages(rate: str, want: str) -> None:
    assert money.format_rate(Decimal(rate)) == want


@pytest.mark.parametrize(
    ("number", "want"),
    [(3, "3"), (1234567, "1,234,567"), (Decimal("2.50"), "2.5"), (Decimal("1000.0"), "1,000"),
     (Decimal("1234.5"), "1,234.5")],
)  # fmt: skip
def test_plain_numbers_have_no_needless_decimals(number: Decimal | int, want: str) -> None:
    assert money.format_number(number) == want


# --- Counts, rates, yes/no and policy numbers at their edges -----------------------------------


def test_count_limits() -> None:
    assert money.parse_count(1_000_000) == 1_000_000
    assert money.parse_count("1000000") == 1_000_000
    assert money.parse_count(Decimal(1_000_000)) == 1_000_000
    assert money.parse_count(2.0) == 2
    assert money.parse_count("2.00") == 2
    assert money.parse_count("-0") == 0
    for bad, message in [
        (1_000_001, "implausibly large (at most 1,000,000)"),
        ("1000001", "implausibly large"),
        (Decimal(1_000_001), "implausibly large"),
        (-1, "is negative"),
        ("-1", "is negative"),
        (Decimal("1.5"), "is not a whole number"),
        (float("inf"), "is not a whole number"),
        ("1.5", "is not a count"),
        ([1], "is not a count"),
    ]:
        with pytest.raises(MoneyError) as info:
            money.parse_count(bad)
        assert message in info.value.message, bad
        assert "a whole number ≥ 0" in info.value.message or "1,000,000" in info.value.message


def test_rate_limits() -> None:
    assert money.parse_rate("0%") == 0 and money.parse_rate("100%") == 1
    assert money.parse_rate(1) == 1 and money.parse_rate(0) == 0
    assert money.parse_rate("０.５") == Decimal("0.5")
    assert money.parse_rate(" 15 % ") == Decimal("0.15")
    assert money.parse_rate("0.0000000001") == Decimal("1E-10")
    for bad, message in [
        ("100.01%", "is not between 0 and 1"),
        (Decimal("1.0001"), "is not between 0 and 1"),
        (Decimal("-0.0001"), "is not between 0 and 1"),
        (Decimal("NaN"), "is not between 0 and 1"),
        ("0.00000000001", "more than 10 decimal places"),
        ("NaN", "is not a rate"),
        ("1e-2", "is not a rate"),
        (None, "is not a rate"),
        ([0.1], "is not a rate"),
    ]:
        with pytest.raises(MoneyError) as info:
            money.parse_rate(bad)
        assert message in info.value.message, bad
        assert "e.g. 0.15 or 15%" in info.value.message


def test_yes_no_words() -> None:
    from subsidycli.i18n import NO_WORDS, YES_WORDS

    for word in YES_WORDS:
        assert money.parse_bool(word.upper()) is True
        assert money.parse_bool(f" {word} ") is True
    for word in NO_WORDS:
        assert money.parse_bool(word) is False
    with pytest.raises(MoneyError, match=r"'maybe' is not yes/no \(true/false, yes/no"):
        money.parse_bool("maybe")


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("100万", (Decimal(1_000_000), "money")),
        ("0.5%", (Decimal("0.005"), "rate")),
        (" 15 % ", (Decimal("0.15"), "rate")),
        (3, (Decimal(3), "number")),
        (0.25, (Decimal("0.25"), "number")),
        (Decimal("1.5"), (Decimal("1.5"), "number")),
        ("0.00000001%", (Decimal("1E-10"), "rate")),
    ],
)
def test_policy_numbers_keep_their_kind(value: object, want: tuple[Decimal, str]) -> None:
    got = money.parse_policy_number(value)
    assert got == want


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x%", "is not a percentage"),
        (True, "is not a number"),
        (None, "is not a number"),
        (-1, "is negative"),
        (float("inf"), "is not a finite number"),
        (Decimal("0.00000000001"), "more than 10 decimal places"),
        ("0.000000001%", "more than 10 decimal places"),
        (10**16, "implausibly large"),
    ],
)
def test_bad_policy_numbers(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_policy_number(value)
    assert message in info.value.message


def test_people_read_money_in_their_language() -> None:
    with i18n.using("zh"):
        assert money.format_for_people(Decimal(200_000)) == "20.00 万元"
    assert money.format_for_people(Decimal(200_000)) == "200,000.00"
    assert money.format_for_people(Decimal("0.005")) == "0.01"


@pytest.mark.parametrize("value", [None, True, False])
def test_no_value_and_yes_no_are_not_counts(value: object) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_count(value)
    shown = {None: "null", True: "true", False: "false"}[value]  # as JSON and TOML write them
    assert info.value.message == f"{shown} is not a count (a whole number ≥ 0, e.g. 0, 1, 2)"


@pytest.mark.parametrize(
    ("text", "want"), [("3项", 3), ("3个", 3), ("2家", 2), ("4次", 4), ("5件", 5), ("6项项", 6)]
)
def test_a_count_may_name_what_it_counts(text: str, want: int) -> None:
    assert money.parse_count(text) == want


@pytest.mark.parametrize("text", ["3X", "X3", "3万", "3元"])
def test_a_count_names_only_items(text: str) -> None:
    with pytest.raises(MoneyError, match="is not a count"):
        money.parse_count(text)


@pytest.mark.parametrize("bad", [None, True, "NaN", "1e-2", "abc", [0.1]])
def test_what_is_not_a_rate_is_said_in_full(bad: object) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_rate(bad)
    shown = money.describe(bad)  # the person's words: null, true, 'abc', a list
    assert shown in ("null", "true", "a list") or shown == repr(bad)
    assert info.value.message == f"{shown} is not a rate (a rate from 0 to 1, e.g. 0.15 or 15%)"


# The parsers take a word or plain digits as written without folding them (batch reads millions):
# with spaces around, the same text takes the folding path, which must read it alike.


def _outcome(parse: object, value: str) -> object:
    try:
        return parse(value)  # type: ignore[operator]
    except MoneyError as exc:  # the message names the value as written: compare the rest
        return exc.message.replace(repr(value), "VALUE")


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_plain_digits_count_as_the_folding_path_reads_them(digits: str) -> None:
    assert _outcome(money.parse_count, digits) == _outcome(money.parse_count, f" {digits} ")


@pytest.mark.parametrize("value", [0, 1, 1_000_000, "0", "1000000", "007"])
def test_a_count_in_range_is_taken_as_it_is(value: object) -> None:
    count = money.parse_count(value)
    assert type(count) is int and count == int(value)  # type: ignore[call-overload]


@pytest.mark.parametrize(("text", "count"), [("１２", 12), ("１２个", 12), ("٣", 3)])
def test_digits_of_other_scripts_are_folded_first(text: str, count: int) -> None:
    assert money.parse_count(text) == count  # "１２".isdigit(), but not ASCII: fold it
    # "²".isdigit() too, but a superscript is no digit to fold: refused (issue 25).


@pytest.mark.parametrize("value", [1_000_001, "1000001", "999999999", -1, True])
def test_a_count_out_of_range_is_refused_however_written(value: object) -> None:
    with pytest.raises(MoneyError):
        money.parse_count(value)


@pytest.mark.parametrize("word", sorted(money.YES_WORDS | money.NO_WORDS))
def test_yes_no_words_read_alike_with_or_without_folding(word: str) -> None:
    assert money.parse_bool(word) is (word in money.YES_WORDS)
    assert money.parse_bool(f" {word.upper()} ") is money.parse_bool(word)


def test_the_common_forms_are_read_without_folding(monkeypatch: pytest.MonkeyPatch) -> None:
    # Batch reads millions of cells: plain digits and the yes/no words as the lists write them
    # skip Unicode folding, the slow part. Folding here would fail the test.
    def no_folding(text: str) -> str:
        raise AssertionError(f"{text!r} was folded")

    monkeypatch.setattr(money, "normalize_text", no_folding)
    for value, count in [("0", 0), ("1", 1), ("1000000", 1_000_000), ("000000001", 1),
                         (0, 0), (1_000_000, 1_000_000)]:  # fmt: skip
        assert money.parse_count(value) == count
    for word in money.YES_WORDS | money.NO_WORDS:
        assert money.parse_bool(word) is (word in money.YES_WORDS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1000001", "'1000001' is implausibly large (at most 1,000,000)"),
        (1_000_001, "1000001 is implausibly large (at most 1,000,000)"),
        (Decimal("1000001"), "1000001 is implausibly large (at most 1,000,000)"),
        (Decimal("1000000.5"), "1000000.5 is implausibly large (at most 1,000,000)"),
        (Decimal("2.5"), "2.5 is not a whole number (a whole number ≥ 0, e.g. 0, 1, 2)"),
        ("abc", "'abc' is not a count (a whole number ≥ 0, e.g. 0, 1, 2)"),
        ("0000000001", "'0000000001' is not a count (a whole number ≥ 0, e.g. 0, 1, 2)"),
        ("-1", "'-1' is negative (a whole number ≥ 0, e.g. 0, 1, 2)"),
        (True, "true is not a count (a whole number ≥ 0, e.g. 0, 1, 2)"),
        ([1], "a list is not a count (a whole number ≥ 0, e.g. 0, 1, 2)"),
    ],
)
def test_a_bad_count_is_named_as_written(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as info:
        money.parse_count(value)
    assert info.value.message == message


def test_a_value_is_quoted_whole_up_to_forty_characters() -> None:
    for text, shown in [("x" * 38, repr("x" * 38)), ("x" * 39, repr("x" * 39)[:37] + "...")]:
        with pytest.raises(MoneyError) as info:
            money.parse_count(text)
        assert info.value.message.startswith(shown + " is not a count"), info.value.message


MONEY_HINT = (
    "(a non-negative amount in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿)"
)
RATE_HINT = "(a rate from 0 to 1, e.g. 0.15 or 15%)"
POLICY_HINT = '(e.g. "100万", "0.5%", 3)'


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (money.parse_money, "abc", f"'abc' is not an amount {MONEY_HINT}"),
        (money.parse_money, True, f"true is not an amount {MONEY_HINT}"),
        (money.parse_money, Decimal("NaN"), f"NaN is not a finite amount {MONEY_HINT}"),
        (
            money.parse_money,
            "1,20,000",
            f"'1,20,000': commas group thousands, e.g. 12,000,000 {MONEY_HINT}",
        ),  # fmt: skip
        (money.parse_money, 10**16, "10000000000000000 is implausibly large (at most 10^15)"),
        (money.parse_money, "9" * 16, "'9999999999999999' is implausibly large (at most 10^15)"),
        (money.parse_rate, "abc", f"'abc' is not a rate {RATE_HINT}"),
        (money.parse_rate, "x%", f"'x%' is not a rate {RATE_HINT}"),
        (money.parse_rate, [1], f"a list is not a rate {RATE_HINT}"),
        (money.parse_rate, "150%", f"'150%' is not between 0 and 1 {RATE_HINT}"),
        (
            money.parse_rate,
            "0.12345678901",
            f"'0.12345678901' has more than 10 decimal places {RATE_HINT}",
        ),  # fmt: skip
        (money.parse_policy_number, "x%", f"'x%' is not a percentage {POLICY_HINT}"),
        (money.parse_policy_number, [1], f"a list is not a number {POLICY_HINT}"),
        (money.parse_policy_number, Decimal("NaN"), f"NaN is not a finite number {POLICY_HINT}"),
        (money.parse_policy_number, Decimal("-1"), f"-1 is negative {POLICY_HINT}"),
        (money.round_fen, Decimal("1e30"), "1.000e+30 元 is out of range (at most 10^24 元)"),
    ],
)
def test_a_bad_number_is_named_as_written_with_what_would_do(
    parse: Any, value: object, message: str
) -> None:
    with pytest.raises(MoneyError) as info:
        parse(value)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("text", "char"),
    [("500000²", "²"), ("①", "①"), ("⑫万", "⑫"), ("₅", "₅"), ("½万", "½"), ("１²", "²")],
)
def test_superscript_subscript_circled_and_fraction_digits_are_refused(
    text: str, char: str
) -> None:
    # NFKC would read "500000²" as 5000002 and "⑫万" as 120000: a digit must be written as one.
    for parse in (money.parse_money, money.parse_count):
        with i18n.using("en"), pytest.raises(MoneyError, match=f"{char} is not a plain digit"):
            parse(text)


@pytest.mark.parametrize("text", ["①%", "1²%", "0.①"])
def test_circled_or_superscript_rate_is_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        money.parse_rate(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("１２００万", 12_000_000), ("１，２００万元", 12_000_000), ("٣", 3), ("五万", None)],
)
def test_plain_digits_of_any_width_still_fold(text: str, value: int | None) -> None:
    # Full-width digits (an input method's) are digits; 万 is a scale, not a folded digit.
    if value is None:
        with i18n.using("en"), pytest.raises(MoneyError, match="is not an amount"):
            money.parse_money(text)
    else:
        assert money.parse_money(text) == value
    assert money.parse_count("３") == 3
    assert money.parse_rate("１５％") == Decimal("0.15")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1e1000000"), "implausibly large"),
        (Decimal("-1e1000000"), "implausibly large"),
        (Decimal("1e-999999999"), "not a whole number"),
        (Decimal("1e-30"), "not a whole number"),
        (Decimal("1000001"), "implausibly large"),
        (Decimal("-1000001"), "implausibly large"),
        (Decimal("NaN"), "not a whole number"),
        (Decimal("Infinity"), "not a whole number"),
    ],
)
def test_counts_beyond_or_below_decimal_range_are_refused_not_crashed(
    value: Decimal, message: str
) -> None:
    with i18n.using("en"), pytest.raises(MoneyError, match=message):
        money.parse_count(value)


@pytest.mark.parametrize(
    ("value", "count"),
    [(Decimal("2.0"), 2), (Decimal("1e1"), 10), (Decimal("1000000"), 1_000_000), (3.0, 3)],
)
def test_whole_decimal_counts_are_read(value: Decimal | float, count: int) -> None:
    assert money.parse_count(value) == count


@pytest.mark.parametrize(
    ("text", "shown"), [("abc", "'abc'"), ("1e-999999", "'1e-999999'"), ("①%", "'①%'")]
)
def test_a_rate_that_is_no_number_says_what_it_got_and_what_would_do(text: str, shown: str) -> None:
    with i18n.using("en"), pytest.raises(MoneyError) as caught:
        money.parse_rate(text)
    assert caught.value.message == f"{shown} is not a rate (a rate from 0 to 1, e.g. 0.15 or 15%)"


@pytest.mark.parametrize("value", [2.0, 1e6, -3.0, 0.0])
def test_a_whole_float_count_is_whole(value: float) -> None:
    if value < 0:
        with pytest.raises(MoneyError, match="is negative"):
            money.parse_count(value)
    else:
        assert money.parse_count(value) == int(value)


@pytest.mark.parametrize("value", [0.1, 2.5, float("nan"), float("inf")])
def test_a_fractional_or_non_finite_float_count_is_refused(value: float) -> None:
    with pytest.raises(MoneyError):
        money.parse_count(value)


@pytest.mark.parametrize(
    ("parse", "text"), [(money.parse_money, "500000²"), (money.parse_count, "⑫个")]
)
def test_an_odd_digit_is_named_with_the_text_it_came_in(parse: Any, text: str) -> None:
    with i18n.using("en"), pytest.raises(MoneyError) as caught:
        parse(text)
    char = text[-1] if parse is money.parse_money else text[0]
    assert caught.value.message == f"{text!r}: {char} is not a plain digit (write digits 0-9)"


@pytest.mark.parametrize("value", [Decimal("-0"), Decimal("-0.00"), -0.0])
def test_a_negative_zero_rate_is_zero_without_its_sign(value: object) -> None:
    rate = money.parse_rate(value)
    assert rate == 0 and not rate.is_signed()


@pytest.mark.parametrize(("value", "shown"), [([15], "a list"), ({"rate": 1}, "an object")])
def test_a_rate_of_another_type_says_what_it_got(value: object, shown: str) -> None:
    with i18n.using("en"), pytest.raises(MoneyError) as caught:
        money.parse_rate(value)
    assert caught.value.message == f"{shown} is not a rate (a rate from 0 to 1, e.g. 0.15 or 15%)"


def test_text_of_more_than_40_characters_is_no_amount_and_40_digits_too_large() -> None:
    with i18n.using("en"), pytest.raises(MoneyError) as caught:
        money.parse_money("1" * 41)
    hint = "a non-negative amount in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿"
    assert caught.value.message == f"'{'1' * 36}... is not an amount ({hint})"
    with i18n.using("en"), pytest.raises(MoneyError, match="implausibly large"):
        money.parse_money("1" * 40)  # 40 characters are read, and are beyond 10^15


def test_a_quantity_refusal_says_its_unit_in_the_example() -> None:
    with pytest.raises(MoneyError) as caught:
        money.parse_quantity("abc", ("亩", "mu"))
    assert caught.value.message == (
        "'abc' is not a number (a number ≥ 0, decimals allowed, e.g. 120 or 120.5亩)"
    )
    with pytest.raises(MoneyError) as caught:
        money.parse_quantity("abc")
    assert caught.value.message.endswith("e.g. 120 or 120.5)")


@pytest.mark.parametrize(
    ("cell", "scale", "meant"),
    [(1200, "万", "1200万"), (Decimal("1200.5"), "万", "1200.5万"), (" 1,200 ", "万", "1,200万"),
     ("1200万", "万", "1200万"), ("5000元", "万", "5000元"), (True, "万", True), (1200, "", 1200)],
)  # fmt: skip
def test_a_bare_number_in_a_column_with_a_unit_takes_the_unit(
    cell: object, scale: str, meant: object
) -> None:
    assert money.in_unit(cell, scale) == meant


@pytest.mark.parametrize(
    ("cell", "number"),
    [(1200, Decimal(1200)), (Decimal("1.5"), Decimal("1.5")), (" 1,200.5 ", Decimal("1200.5")),
     ("1200万", None), (True, None), ("abc", None)],
)  # fmt: skip
def test_a_bare_amount_is_a_number_of_yuan_without_a_unit(cell: object, number: object) -> None:
    assert money.bare_amount(cell) == number
