"""One unit per view (issue 24, point 6): the money in an explanation is written as the view's
amount column writes it.

In Chinese the table, Markdown and the HTML report show amounts in 万元 (元 where 万元 to two
decimals would drop a fen), the unit in every cell: the explanations do the same, never a bare
9,800,000.00 beside a 980.00 万元. In English every amount is 元, bare, under a heading that says
CNY. JSON (and CSV) keep 元, as the contract says.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Run
from tests.htmltree import parse
from tests.test_terminal import flat, screen

# 980万 of deductible R&D expense: 0.5% of it is 4.90万, under the 20万 cap.
PROFILE = ["--set", "annual_rd_expense=1200万", "--set", "deductible_rd_expense=980万"]
ZH_FORMULA = "0.5% × 980.00 万元 = 4.90 万元 ≤ 20.00 万元"
EN_FORMULA = "0.5% × 9,800,000.00 = 49,000.00 ≤ 200,000.00"
# Money as the views write it: two decimals or more, grouped by commas.
MONEY = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})*\.\d{2,}(?![\d.])")


def bare_money(text: str) -> list[str]:
    """The amounts in `text` (white space taken out) not followed by their unit."""
    return [m.group() for m in MONEY.finditer(text) if not text.startswith(("万元", "元"), m.end())]


@pytest.mark.parametrize("columns", [80, 120])
def test_chinese_table_explains_in_the_amount_columns_unit(columns: int) -> None:
    lines = screen(["calc", *PROFILE, "--lang", "zh"], columns)
    text = flat("\n".join(lines))
    assert flat(ZH_FORMULA) in text
    assert "4.90万元" in text  # the amount column, in the same unit
    assert "9,800,000" not in text and "200,000.00" not in text
    # Every amount on the screen says its unit: the cells, the explanations, the footer.
    assert not bare_money(text), bare_money(text)


@pytest.mark.parametrize("columns", [80, 120])
def test_english_table_says_its_unit_in_the_headings(columns: int) -> None:
    lines = screen(["calc", *PROFILE, "--lang", "en"], columns)
    text = flat("\n".join(lines))
    assert flat(EN_FORMULA) in text
    assert "Amount(CNY)" in text and "Cap(CNY)" in text
    assert "万" not in text  # one unit: 元 throughout, as the amount column


def test_a_fen_that_万元_would_round_away_is_shown_in_元_with_its_unit(run: Run) -> None:
    """12,345,678.90 × 0.5% = 61,728.3945: not a whole number of 0.01万, so in 元, every digit
    the formula made, the unit written; the cap, a whole number of 万, stays in 万元."""
    result = run(
        "calc", "--set", "annual_rd_expense=1300万", "--set", "deductible_rd_expense=12345678.90",
        "--lang", "zh", "--format", "markdown",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "rd-investment-subsidy" in line)
    assert "| 61,728.39 元 |" in row
    assert "0.5% × 12,345,678.90 元 = 61,728.3945 元 ≤ 20.00 万元，四舍五入至 61,728.39 元" in row


@pytest.mark.parametrize(("lang", "formula"), [("zh", ZH_FORMULA), ("en", EN_FORMULA)])
def test_markdown_explains_in_the_amount_columns_unit(run: Run, lang: str, formula: str) -> None:
    result = run("calc", *PROFILE, "--lang", lang, "--format", "markdown", "--all")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "rd-investment-subsidy" in line)
    assert row.endswith(f"| {formula} |"), row
    if lang == "zh":
        table = "".join(line for line in result.stdout.splitlines() if line.startswith("|"))
        assert not bare_money("".join(table.split())), bare_money("".join(table.split()))
    else:
        assert "| Amount (CNY) | Cap (CNY) |" in result.stdout


@pytest.mark.parametrize(("lang", "formula"), [("zh", ZH_FORMULA), ("en", EN_FORMULA)])
def test_report_explains_in_the_amount_columns_unit(run: Run, lang: str, formula: str) -> None:
    result = run("calc", *PROFILE, "--lang", lang, "--format", "html")
    assert result.exit_code == 0, result.output
    root, _ = parse(result.stdout)
    row = root.by_id("article-rd-investment-subsidy")
    assert row.find("td", "explanation").text() == formula
    assert row.find("td", "amount").text() == ("4.90 万元" if lang == "zh" else "49,000.00")
    if lang == "zh":
        table = "".join(root.find("table", "articles").text().split())
        assert not bare_money(table), bare_money(table)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_json_and_csv_keep_元(run: Run, lang: str) -> None:
    data = run("calc", *PROFILE, "--lang", lang, "--format", "json")
    assert data.exit_code == 0, data.output
    result = next(
        r for r in json.loads(data.stdout)["results"] if r["article"] == "rd-investment-subsidy"
    )
    assert (result["amount"], result["cap"]) == ("49000.00", "200000.00")
    assert result["explanation"] == EN_FORMULA
    sheet = run("calc", *PROFILE, "--lang", lang, "--format", "csv")
    assert sheet.exit_code == 0, sheet.output
    assert EN_FORMULA in sheet.stdout and "万元 =" not in sheet.stdout
