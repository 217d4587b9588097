"""The thresholds said under calc's table and in the report: each names its article, and only
an article that misses nothing but its amounts is said to be near (a project of another kind
is not near, however near its amounts)."""

from __future__ import annotations

import re
from pathlib import Path

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
    ("zh", "差距【研发投入补助】：年度研发费用 800.00 万元，距 1000 万元（含）门槛还差 "
           "200.00 万元"),
    ("en", "Gap (R&D investment subsidy): Annual R&D expense 8,000,000.00: 2,000,000.00 short of "
           "the 10,000,000.00 (inclusive) threshold"),
])  # fmt: skip
def test_a_gap_names_its_article(run: Run, lang: str, line: str) -> None:
    result = run("calc", "--set", "annual_rd_expense=800万", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert line in " ".join(result.stdout.split()).replace("： ", "：")


def test_either_of_two_thresholds_is_near_and_both_are_said(run: Run, tmp_path: Path) -> None:
    """`a >= t or b >= t`, both short: meeting either would do, so each is said."""
    from subsidycli.policy import bundled_paths

    text = bundled_paths()[0].read_text(encoding="utf-8")
    either = 'when = "annual_rd_expense >= threshold or deductible_rd_expense >= threshold"'
    assert text.count('when = "annual_rd_expense >= threshold"') == 1
    path = tmp_path / "either.toml"
    path.write_text(text.replace('when = "annual_rd_expense >= threshold"', either),
                    encoding="utf-8")  # fmt: skip
    result = run("calc", "--policy", str(path), "--set", "annual_rd_expense=800万",
                 "--set", "deductible_rd_expense=700万")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text.count("Gap (R&D investment subsidy): ") == 2, text
    assert "2,000,000.00 short of the 10,000,000.00" in text
    assert "3,000,000.00 short of the 10,000,000.00" in text


def test_a_policy_not_in_force_has_no_near_threshold(run: Run) -> None:
    result = run("calc", *LIUHE[:2], "--date", "2026-12-06", *LIUHE[4:])
    assert result.exit_code == 0, result.output
    assert "nothing counts" in result.stdout
    assert "Gap (" not in result.stdout


def test_the_report_of_a_policy_not_in_force_asks_for_nothing_first(run: Run) -> None:
    """Not in force, nothing counts: no alert that nothing can be computed until the questions
    are answered (answers would not make it count)."""
    result = run("calc", *LIUHE[:2], "--date", "2026-12-06", *LIUHE[4:], "-f", "html")
    assert result.exit_code == 0, result.output
    assert 'class="alert"' not in result.stdout
    in_force = run("calc", *LIUHE[:2], "--date", "2024-01-01", "-f", "html")  # nothing answered
    assert in_force.exit_code == 0, in_force.output
    assert ('<p class="alert">Nothing can be computed yet: 37 articles need information.'
            in in_force.stdout)  # fmt: skip
