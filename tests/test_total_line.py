"""What the line under the cash total says of it: a floor while articles in force need
information, nothing to count while no policy shown is in force — in the table, Markdown and
the report alike. An expired policy's open questions never make the total a floor."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, Run

EXAMPLES = ROOT / "examples"

LIUHE_TODAY = ("calc", "--policy", "liuhe-2023", "--date", "2026-12-06",
               "--set", "fixed_asset_investment=2000万")  # fmt: skip


@pytest.mark.parametrize(("fmt", "lang", "said"), [
    ("table", "en", "Total (maximum claimable): 0.00 (no policy shown is in force on 2026-12-06: "
                    "nothing counts)"),
    ("table", "zh", "合计（最高可申报）: 0.00 元（所示政策在 2026-12-06 均不在有效期内："
                    "不计入任何金额）"),
    ("markdown", "en", "**Total (maximum claimable): 0.00 (no policy shown is in force on "
                       "2026-12-06: nothing counts)**"),
])  # fmt: skip
def test_an_expired_policy_s_total_says_nothing_counts(run: Run, fmt: str, lang: str,
                                                        said: str) -> None:  # fmt: skip
    result = run(*LIUHE_TODAY, "-f", fmt, "--lang", lang)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert " ".join(said.split()) in text
    assert "need information" not in text and "待补充资料" not in text


def test_the_report_says_it_under_the_total(run: Run) -> None:
    result = run(*LIUHE_TODAY, "-f", "html")
    assert result.exit_code == 0, result.output
    note = "(no policy shown is in force on 2026-12-06: nothing counts)"
    assert f'<div class="note" id="known-only">{note}</div>' in result.stdout


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "Total (maximum claimable): 0.00 (known articles only; 35 more need information)"),
    ("zh", "合计（最高可申报）: 0.00 元（仅含金额已知的条款；另有 35 条待补充资料）"),
])  # fmt: skip
def test_in_force_the_total_is_a_floor_while_articles_need_information(
    run: Run, lang: str, line: str
) -> None:
    result = run("calc", "--policy", "liuhe-2023", "--date", "2024-01-01",
                 "--set", "fixed_asset_investment=2000万", "--lang", lang)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert line in result.stdout.splitlines()


def test_only_the_articles_in_force_that_need_information_are_counted(run: Run) -> None:
    """Zhenjiang in force and answered in full beside Liuhe expired, whose articles need
    information: the total is all there is, not a floor."""
    result = run("calc", str(EXAMPLES / "enterprise.json"), "--policy", "zhenjiang-2024",
                 "--policy", "liuhe-2023", "--date", "2026-12-06")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Total (maximum claimable): 3,785,000.00\n" in result.stdout
    assert "need information" not in result.stdout


@pytest.mark.parametrize(("fmt", "lang", "said", "counted"), [
    ("table", "en", "Total (maximum claimable): 0.00 (no policy shown is in force on 2026-12-06: "
                    "nothing counts)", "4 counted, none failed"),
    ("markdown", "zh", "合计（最高可申报）: 0.00 元（所示政策在 2026-12-06 均不在有效期内："
                       "不计入任何金额）", "4 条计入，无有误记录"),
])  # fmt: skip
def test_summary_of_a_policy_not_in_force_says_nothing_counts(
    run: Run, fmt: str, lang: str, said: str, counted: str
) -> None:
    result = run("summary", str(EXAMPLES / "clients.csv"), "--policy", "liuhe-2023", "--date",
                 "2026-12-06", "-f", fmt, "--lang", lang)  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert said in text
    assert counted in text
    in_force = run("summary", str(EXAMPLES / "clients.csv"), "--policy", "liuhe-2023", "--date",
                   "2024-01-01", "-f", fmt, "--lang", lang)  # fmt: skip
    assert in_force.exit_code == 0, in_force.output
    assert "nothing counts" not in in_force.stdout and "不计入任何金额" not in in_force.stdout


INDUSTRIAL = ("--set", "applicant_type=enterprise", "--set", "project_type=industrial",
              "--set", "fixed_asset_investment=2000万",
              "--set", "investment_per_mu=300万")  # fmt: skip


def _chart(html: str) -> str:
    return html.split('<svg class="chart"')[1].split("</svg>")[0] if '<svg class="chart"' in html \
        else ""  # fmt: skip


def test_the_report_s_chart_shows_only_what_is_in_the_total(run: Run) -> None:
    """Zhenjiang in force beside Liuhe expired, each with an eligible cash article: the chart
    ("in the total") has Zhenjiang's bars, not Liuhe's; Liuhe alone and expired, no chart."""
    both = run("calc", str(EXAMPLES / "enterprise.json"), "--policy", "zhenjiang-2024",
               "--policy", "liuhe-2023", "--date", "2026-12-06", *INDUSTRIAL,
               "-f", "html")  # fmt: skip
    assert both.exit_code == 0, both.output
    chart = _chart(both.stdout)
    assert "R&amp;D investment subsidy" in chart or "R&D investment subsidy" in chart
    assert "Fixed-asset investment reward" not in chart
    assert "Fixed-asset investment reward: industrial projects" in both.stdout  # in the table
    alone = run("calc", "--policy", "liuhe-2023", "--date", "2026-12-06", *INDUSTRIAL, "-f", "html")
    assert alone.exit_code == 0, alone.output
    assert "<figure>" not in alone.stdout
    in_force = run("calc", "--policy", "liuhe-2023", "--date", "2024-01-01", *INDUSTRIAL,
                   "-f", "html")  # fmt: skip
    assert in_force.exit_code == 0, in_force.output
    assert "Fixed-asset investment reward: industrial projects" in _chart(in_force.stdout)


@pytest.mark.parametrize(("lang", "amount", "least", "cap"), [
    ("en", "4,000,000.00", "(at least <span class=\"money\">1,000,000.00</span>)",
     "range up to <span class=\"money\">4,000,000.00</span>"),
    ("zh", "400.00 万元", "(最低 <span class=\"money\">100.00 万元</span>)",
     "区间，最高 <span class=\"money\">400.00 万元</span>"),
])  # fmt: skip
def test_a_range_in_the_report_shows_its_most_and_under_it_its_least(
    run: Run, lang: str, amount: str, least: str, cap: str
) -> None:
    result = run("calc", "--policy", "liuhe-2023", "--date", "2024-01-01", *INDUSTRIAL,
                 "-f", "html", "--lang", lang)  # fmt: skip
    assert result.exit_code == 0, result.output
    row = result.stdout.split('<span class="id">fixed-asset-industrial</span>')[1]
    row = row.split("</tr>")[0]
    assert f'<span class="money">{amount}</span><br><span class="least">{least}</span>' in row
    assert cap in row


def test_a_what_if_of_a_policy_not_in_force_says_nothing_counts(run: Run) -> None:
    result = run("summary", str(EXAMPLES / "clients.csv"), "--policy", "liuhe-2023", "--date",
                 "2026-12-06", "--override", "fixed-asset-industrial.high=25%")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ("Total (maximum claimable): 0.00 → 0.00 (0.00) (no policy shown is in force on "
            "2026-12-06: nothing counts)") in " ".join(result.stdout.split())  # fmt: skip


@pytest.mark.parametrize(("day", "listed"), [("2024-01-01", True), ("2026-12-06", False)])
def test_an_article_with_no_amount_stated_is_listed_by_the_total_only_in_force(
    run: Run, day: str, listed: bool
) -> None:
    result = run("calc", "-p", "zhenjiang-2024", "-p", "liuhe-2023", "--date", day,
                 "--set", "applicant_type=enterprise", "--set", "phase3_drug_settled=是",
                 "-f", "html")  # fmt: skip
    assert result.exit_code == 0, result.output
    note = "Also eligible, with no amount stated in the source: Priority support for phase III"
    assert (note in result.stdout) is listed
