"""The renderer's numbers: how an amount, a cap and a tax saving are shown in a table cell, a CSV
cell and JSON, for each status. (Money's own formats are in test_money.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

from subsidycli import i18n
from subsidycli.engine import ELIGIBLE, INFO, NEEDS_INFO, NOT_ELIGIBLE, ArticleResult
from subsidycli.output.cells import sheet_csv_line
from subsidycli.output.data import plain
from subsidycli.render.table import amount_cell, amount_text, cap_cell


def result(
    status: str, amount: str | None, cap: str | None = None, basis: str = "up_to",
    tax_saving: str | None = None,
) -> ArticleResult:  # fmt: skip
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return ArticleResult("a", status, basis, dec(amount), dec(cap), "", (), dec(tax_saving))


@pytest.mark.parametrize(
    ("row", "en", "zh"),
    [
        (result(ELIGIBLE, "200000.00"), "200,000.00", "20.00 万元"),
        (result(ELIGIBLE, "61728.39"), "61,728.39", "61,728.39 元"),
        (result(NOT_ELIGIBLE, "0.00"), "0.00", "0.00 元"),
        (result(NEEDS_INFO, None), "?", "?"),
        (result(ELIGIBLE, None, basis="unspecified"), "—", "—"),
        (result(INFO, None, basis="info"), "—", "—"),
        (result(ELIGIBLE, "800000.00", basis="tax_deduction", tax_saving="120000.00"),
         "800,000.00\n(tax saved 120,000.00)", "80.00 万元\n(节税 12.00 万元)"),
        (result(ELIGIBLE, "800000.00", basis="tax_deduction"), "800,000.00", "80.00 万元"),
        # a range: the most, and the least on a line of its own
        (result(ELIGIBLE, "4000000", "4000000", basis="range")._replace(
            minimum=Decimal("1000000")), "4,000,000.00\n(at least 1,000,000.00)",
         "400.00 万元\n(最低 100.00 万元)"),
    ],
)  # fmt: skip
def test_the_amount_cell_of_each_status(row: ArticleResult, en: str, zh: str) -> None:
    assert amount_cell(row) == en
    with i18n.using("zh"):
        assert amount_cell(row) == zh


@pytest.mark.parametrize(
    ("row", "en", "zh"),
    [
        (result(ELIGIBLE, "1.00", "200000.00"), "up to 200,000.00", "最高 20.00 万元"),
        (result(NOT_ELIGIBLE, "0.00", "200000.00"), "up to 200,000.00", "最高 20.00 万元"),
        (result(NEEDS_INFO, None, "3000000.00"), "up to 3,000,000.00", "最高 300.00 万元"),
        (result(ELIGIBLE, "5.00", "5.00", basis="exact"), "fixed 5.00", "定额 5.00 元"),
        (result(NEEDS_INFO, None), "up to", "最高"),
        (result(ELIGIBLE, "1.00", basis="tax_deduction"), "tax benefit", "税收优惠"),
        (result(ELIGIBLE, None, basis="unspecified"), "amount not stated", "金额未明确"),
        # a range's most: its least is the amount's "at least", not a second cap
        (result(ELIGIBLE, "4000000", "4000000", basis="range"), "range up to 4,000,000.00",
         "区间，最高 400.00 万元"),
        (result(NEEDS_INFO, None, "4000000", basis="range"), "range up to 4,000,000.00",
         "区间，最高 400.00 万元"),
        (result(NEEDS_INFO, None, None, basis="range"), "range", "区间"),
    ],
)  # fmt: skip
def test_the_cap_cell_says_the_basis_and_the_cap(row: ArticleResult, en: str, zh: str) -> None:
    assert cap_cell(row) == en
    with i18n.using("zh"):
        assert cap_cell(row) == zh


def test_amount_text_is_a_dash_when_there_is_no_amount() -> None:
    assert amount_text(None) == "—"
    assert amount_text(Decimal("0.005")) == "0.01"
    with i18n.using("zh"):
        assert amount_text(None) == "—"
        assert amount_text(Decimal("3735000")) == "373.50 万元"


def test_machine_forms_of_an_amount() -> None:
    cells = [result(ELIGIBLE, "1200.5").amount, result(NEEDS_INFO, None).amount,
             result(NOT_ELIGIBLE, "0.00").amount, Decimal("-0.001"), "=1+1"]  # fmt: skip
    assert sheet_csv_line(cells) == "1200.50,,0.00,0.00,'=1+1\r\n"  # a sheet's CSV row
    assert plain(Decimal("-0.001")) == "0.00"
    assert plain(None) is None
