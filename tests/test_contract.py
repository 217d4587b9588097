"""docs/contract.md: the JSON keys scripts rely on, and help for every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from subsidycli.cli import app
from tests.conftest import ROOT, Run

CONTRACT_RESULT_KEYS = {
    "article",
    "title",
    "status",
    "basis",
    "amount",
    "cap",
    "explanation",
    "missing",
    "source",
}
CONTRACT_IDS = [
    "jiebang-guashuai",
    "innovation-consortium",
    "joint-basic-research",
    "basic-science-center",
    "basic-research-tax-deduction",
    "national-platform",
    "provincial-platform",
    "key-lab-cultivation",
    "key-lab-performance",
    "nri-recognition",
    "nri-excellent",
    "nri-joint-rd",
    "nri-postdoc-workstation",
    "nri-practice-base",
    "public-service-platform",
    "public-service-platform-excellent",
    "incubator-new",
    "incubator-benchmark",
    "rd-investment-subsidy",
    "enterprise-rd-project",
    "provincial-rd-platform",
    "provincial-rd-platform-excellent",
    "jitri-joint-center",
    "national-major-project",
    "national-key-rd-project",
    "unicorn",
    "gazelle",
    "high-tech-application",
    "high-tech-recognition",
    "innovation-voucher",
    "science-award",
    "empowerment-reform",
    "proof-of-concept-center",
    "pilot-platform",
    "tech-contract-registration",
]


def test_json_keys(calc_json: object) -> None:
    data = calc_json({"annual_rd_expense": "1200万", "deductible_rd_expense": "1200万"})  # type: ignore[operator]
    assert {"policy", "results", "total", "missing"} <= set(data)
    assert {"id", "title"} <= set(data["policy"])
    for result in data["results"]:
        assert CONTRACT_RESULT_KEYS <= set(result), result["article"]
        assert result["status"] in {"eligible", "not_eligible", "needs_info", "info"}
        assert result["basis"] in {"up_to", "exact", "unspecified", "tax_deduction", "info"}
    rd = next(r for r in data["results"] if r["article"] == "rd-investment-subsidy")
    assert rd["amount"] == "60000.00" and rd["cap"] == "200000.00"
    assert rd["explanation"] == "0.5% × 12,000,000.00 = 60,000.00 ≤ 200,000.00"
    assert rd["source"].startswith("鼓励企业建立研发准备金制度")
    tax = next(r for r in data["results"] if r["article"] == "basic-research-tax-deduction")
    assert "tax_saving" in tax


def test_money_is_a_two_decimal_string(calc_json: object) -> None:
    data = calc_json({"jiebang_projects": 2})  # type: ignore[operator]
    assert re.fullmatch(r"\d+\.\d\d", data["total"])
    for result in data["results"]:
        for key in ("amount", "cap", "tax_saving"):
            value = result.get(key)
            assert value is None or re.fullmatch(r"\d+\.\d\d", value), (
                result["article"],
                key,
                value,
            )


def test_results_hold_every_article_in_policy_order(calc_json: object, policy: object) -> None:
    data = calc_json({})  # type: ignore[operator]
    ids = [r["article"] for r in data["results"]]
    assert ids == [a.id for a in policy.articles]  # type: ignore[attr-defined]
    positions = [ids.index(i) for i in CONTRACT_IDS]
    assert positions == sorted(positions)
    assert len(ids) == len(set(ids))


def test_total_is_sum_of_eligible_cash(calc_json: object) -> None:
    data = calc_json(
        {
            "jiebang_projects": 3,
            "gazelle_first": True,
            "high_tech_application": True,
            "commissioned_basic_research_expense": "100万",
        }
    )  # type: ignore[operator]
    cash = sum(
        float(r["amount"])
        for r in data["results"]
        if r["status"] == "eligible" and r["basis"] in ("up_to", "exact")
    )
    assert float(data["total"]) == cash == 3_200_000


def test_missing_excludes_what_can_no_longer_matter(calc_json: object) -> None:
    university = calc_json({"applicant_type": "university"})  # type: ignore[operator]
    assert "gazelle_first" not in university["missing"]
    assert "annual_rd_expense" not in university["missing"]
    assert "basic_science_center_approved" in university["missing"]
    low = calc_json({"annual_rd_expense": "800万"})  # type: ignore[operator]
    assert "deductible_rd_expense" not in low["missing"]
    unknown = calc_json({})  # type: ignore[operator]
    assert unknown["missing"].index("annual_rd_expense") < unknown["missing"].index(
        "deductible_rd_expense"
    )


def _commands(group: typer.Typer) -> list[str]:
    return [c.name or c.callback.__name__ for c in group.registered_commands]  # type: ignore[union-attr]


@pytest.mark.parametrize("command", _commands(app))
def test_every_command_has_help_with_an_example(run: Run, command: str) -> None:
    for flag in ("--help", "-h"):
        result = run(command, flag)
        assert result.exit_code == 0, result.output
        assert "Example" in result.stdout, command


def test_spec_commands_exist() -> None:
    spec = {"calc", "interview", "batch", "summary", "articles", "explain", "schema", "init",
            "lint"}  # fmt: skip
    assert spec <= set(_commands(app))


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r"pip install '\.\[test\]' && pytest[^\n`]*", readme)
    assert command is not None and command.group(0) in ci


def test_summary_json_keys_are_spec_s(tmp_path: Path) -> None:
    """docs/contract.md: `{"records", "failed", "total", "articles": [{"article", "eligible",
    "needs_info", "amount"}, …]}`; with --override, also `baseline_total` and `baseline_amount`."""
    from typer.testing import CliRunner

    source = tmp_path / "p.jsonl"
    source.write_text('{"jiebang_projects": 1}\n', encoding="utf-8")
    runner = CliRunner()
    plain = json.loads(runner.invoke(app, ["summary", str(source), "-f", "json"]).stdout)
    assert {"records", "failed", "total", "articles"} <= set(plain)
    assert {"article", "eligible", "needs_info", "amount"} <= set(plain["articles"][0])
    what_if = ["--override", "jiebang-guashuai.per_item=200万"]
    data = json.loads(runner.invoke(app, ["summary", str(source), "-f", "json", *what_if]).stdout)
    assert "baseline_total" in data and "baseline_amount" in data["articles"][0]
