"""The thresholds said under calc's table and in the report: each names its article, and only
an article that misses nothing but its amounts is said to be near (a project of another kind
is not near, however near its amounts)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Run

# An industrial project of 2000万 at 300万 a 亩: the modern-service article is kept out by the
# project's kind (its 3000万 floor is beside the point); the major-project one, by its 1亿 alone.
LIUHE = ("--policy", "liuhe-2023", "--date", "2024-01-01", "--set", "applicant_type=enterprise",
         "--set", "project_type=industrial", "--set", "fixed_asset_investment=2000万",
         "--set", "investment_per_mu=300万")  # fmt: skip


def test_a_threshold_is_said_only_where_it_is_all_an_article_misses(run: Run) -> None:
    result = run("calc", *LIUHE)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text.count("Gap (") == 1, text
    assert "Gap (Major industrial projects: reward decided case by case): Fixed-asset " in text
    assert "80,000,000.00 short of the 100,000,000.00 (inclusive) threshold" in text
    assert "30,000,000.00 (inclusive) threshold" not in text  # modern service: not near


def test_the_report_lists_the_same_near_thresholds(run: Run) -> None:
    result = run("calc", *LIUHE, "-f", "html")
    assert result.exit_code == 0, result.output
    assert "100,000,000.00" in result.stdout
    assert "30,000,000.00" not in re.sub(r"<[^>]+>", " ", result.stdout.split("gaps")[-1])


@pytest.mark.parametrize(("lang", "line"), [
    ("zh", "差距（研发投入补助）：年度研发费用 800.00 万元，距 1000 万元（含）门槛还差 "
           "200.00 万元"),
    ("en", "Gap (R&D investment subsidy): Annual R&D expense 8,000,000.00: 2,000,000.00 short of "
           "the 10,000,000.00 (inclusive) threshold"),
])  # fmt: skip
def test_a_gap_names_its_article(run: Run, lang: str, line: str) -> None:
    result = run("calc", "--set", "annual_rd_expense=800万", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert line in " ".join(result.stdout.split()).replace("： ", "：")
