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


NEAR = """\
[policy]
id = "near"
title = { zh = "门槛奖励", en = "Threshold grants" }
issuer = { zh = "某市人民政府", en = "Some City Government" }

[[sections]]
id = "1"
title = { zh = "奖励", en = "Grants" }

[[inputs]]
name = "applicant_type"
type = "choice"
label = { zh = "申报主体类型", en = "Type of applicant" }
choices = [
  { value = "enterprise", zh = "企业", en = "Enterprise" },
  { value = "university", zh = "高等院校", en = "University" },
]

[[inputs]]
name = "revenue"
type = "money"
label = { zh = "营业收入", en = "Revenue" }

[[articles]]
id = "base"
section = "1"
title = { zh = "基础奖励", en = "Base grant" }
basis = "exact"
values = { award = "1万" }
when = "revenue > 0"
amount = "award"
source = "有营业收入的，奖励1万元。"

[[articles]]
id = "firms"
section = "1"
title = { zh = "企业奖励", en = "Firms grant" }
who = ["enterprise"]
basis = "exact"
values = { floor = "100万", award = "10万" }
when = "revenue >= floor"
amount = "award"
source = "企业营业收入100万元以上的，奖励10万元。"

[[articles]]
id = "above"
section = "1"
title = { zh = "超额奖励", en = "Above grant" }
basis = "exact"
values = { floor = "200万", award = "20万" }
when = "revenue > floor"
amount = "award"
source = "营业收入超过200万元的，奖励20万元。"

[[articles]]
id = "large"
section = "1"
title = { zh = "规模奖励", en = "Large grant" }
basis = "exact"
values = { floor = "300万", award = "30万" }
when = "revenue >= floor"
amount = "award"
source = "营业收入300万元以上的，奖励30万元。"
"""


def test_every_near_article_is_said_and_none_another_applicant_cannot_claim(
    run: Run, tmp_path: Path
) -> None:
    """A university at 50万, with the base grant: the firms' grant is not its to claim; the two
    others are near, one of them past a threshold that does not count itself (`>`: a fen
    more)."""
    path = tmp_path / "near.toml"
    path.write_text(NEAR, encoding="utf-8")
    result = run("calc", "--policy", str(path), "--set", "applicant_type=university",
                 "--set", "revenue=50万")  # fmt: skip
    assert result.exit_code == 0, result.output
    gaps = [" ".join(line.split()) for line in result.stdout.splitlines()
            if line.startswith("Gap (")]  # fmt: skip
    assert gaps == [
        "Gap (Above grant): Revenue 500,000.00: 1,500,000.00 short of the 2,000,000.00 threshold",
        "Gap (Large grant): Revenue 500,000.00: 2,500,000.00 short of the 3,000,000.00 "
        "(inclusive) threshold",
    ]
