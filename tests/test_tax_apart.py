"""Tax benefits apart from cash (issue 24, point 7).

An extra deduction is not money paid: it has a table of its own, 「税收优惠（不计入现金合计）」,
with its own headings (加计扣除额, 节税额), after the cash table and its total, in the terminal at
any width, in Markdown and in the HTML report; the report's chart is cash only, so a 500万
deduction no longer draws the longest bar. A tax benefit that waits for an answer shows "?",
never 0.
"""

from __future__ import annotations

import pytest

from tests.conftest import Run
from tests.htmltree import parse
from tests.test_terminal import flat, screen

TAX = "basic-research-tax-deduction"
# A 500万 deduction (saving 75万 at 15%) beside cash items of 200万 and less.
PROFILE = [
    "--set", "annual_rd_expense=1200万", "--set", "deductible_rd_expense=1200万",
    "--set", "commissioned_basic_research_expense=500万", "--set", "enterprise_rd_projects=1",
    "--set", "gazelle_first=是", "--set", "high_tech_enterprise=是",
]  # fmt: skip
TITLE = {"zh": "税收优惠（不计入现金合计）", "en": "Tax benefits (not in the cash total)"}
HEADS = {"zh": ("加计扣除额", "节税额"), "en": ("Extra deduction (CNY)", "Tax saved (CNY)")}
DEDUCTION = {"zh": ("500.00 万元", "75.00 万元"), "en": ("5,000,000.00", "750,000.00")}
TOTAL = {"zh": "合计（最高可申报）", "en": "Total (maximum claimable)"}


def at(lines: list[str], text: str) -> int:
    """The first line on which `text` reads (white space and borders aside)."""
    return next(i for i, line in enumerate(lines) if flat(text) in flat(line))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("columns", [80, 120])
def test_terminal_shows_tax_in_its_own_table_after_the_cash_total(lang: str, columns: int) -> None:
    lines = screen(["calc", *PROFILE, "--lang", lang], columns)
    total, title, tax = at(lines, TOTAL[lang]), at(lines, TITLE[lang]), at(lines, TAX)
    assert total < title < tax  # the cash table and its total, then the tax benefits
    cash = flat("".join(lines[:total]))
    assert "rd-investment-subsidy" in cash and "enterprise-rd-project" in cash
    assert TAX not in cash
    below = "\n".join(lines[title:])
    for head in HEADS[lang]:
        assert flat(head) in flat(below), head
    deduction, saving = DEDUCTION[lang]
    assert any(deduction in line and saving in line for line in lines[title:]), below


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_tax_benefit_is_a_question_mark_in_its_table(lang: str) -> None:
    lines = screen(["calc", "--set", "annual_rd_expense=1200万", "--lang", lang], 80)
    title = at(lines, TITLE[lang])
    end = next(i for i in range(title, len(lines)) if lines[i].startswith("└"))
    table = flat("".join(lines[title : end + 1]))
    assert TAX in table
    assert table.count("?") == 2, lines[title : end + 1]  # the deduction and the saving
    assert "0.00" not in table


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_gives_tax_a_section_of_its_own(run: Run, lang: str) -> None:
    result = run("calc", *PROFILE, "--lang", lang, "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    cash, _, rest = text.partition(f"### {TITLE[lang]}")
    assert rest, text
    assert TAX not in cash and "rd-investment-subsidy" in cash
    heading = next(line for line in rest.splitlines() if line.startswith("| "))
    assert all(head in heading for head in HEADS[lang]), heading
    row = next(line for line in rest.splitlines() if TAX in line)
    deduction, saving = DEDUCTION[lang]
    assert f"| {deduction} | {saving} |" in row


def test_markdown_tax_waiting_for_an_answer_is_unknown_not_zero(run: Run) -> None:
    result = run(
        "calc", "--set", "annual_rd_expense=1200万", "--lang", "zh", "--format", "markdown"
    )
    row = next(line for line in result.stdout.splitlines() if TAX in line)
    assert "| 待补充 | ? | ? |" in row, row


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_chart_is_cash_only_and_tax_has_its_own_table(run: Run, lang: str) -> None:
    result = run("calc", *PROFILE, "--lang", lang, "--format", "html")
    assert result.exit_code == 0, result.output
    root, _ = parse(result.stdout)
    chart = root.find("svg", "chart")
    bars = list(chart.iter("g", "bar"))
    amounts = [bar.find("text", "amount").text() for bar in bars]
    assert DEDUCTION[lang][0] not in amounts and not any("(" in a for a in amounts), amounts
    # The longest bar is the largest cash item, not the 500万 deduction.
    assert amounts[0] == ("200.00 万元" if lang == "zh" else "2,000,000.00")
    cash = root.find("table", "articles")
    assert TAX not in cash.text() and "rd-investment-subsidy" in cash.text()
    assert root.by_id("tax-benefits").text() == TITLE[lang]
    own = root.find("table", "tax")
    assert tuple(th.text() for th in own.find("thead").iter("th"))[2:4] == HEADS[lang]
    row = own.by_id(f"article-{TAX}")
    assert row.find("td", "deduction").text() == DEDUCTION[lang][0]
    assert row.find("td", "saving").text() == DEDUCTION[lang][1]


def test_report_tax_waiting_for_an_answer_is_unknown_not_zero(run: Run) -> None:
    result = run("calc", "--set", "annual_rd_expense=1200万", "--lang", "zh", "--format", "html")
    root, _ = parse(result.stdout)
    row = root.find("table", "tax").by_id(f"article-{TAX}")
    assert (row.find("td", "deduction").text(), row.find("td", "saving").text()) == ("?", "?")
    assert "待补充" in row.find("td", "status").text()
