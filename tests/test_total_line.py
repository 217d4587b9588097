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
    assert "nothing counts" not in in_force.stdout and "不计入任何金额" not in in_force.stdout
