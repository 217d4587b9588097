"""Money, counts, rates and yes/no as people write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import money
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
    assert money.format_for_people(Decimal(200_000), "zh") == "20.00 万元"
    assert money.format_for_people(Decimal(200_000), "en") == "200,000.00"


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
