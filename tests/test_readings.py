"""How each article reads the source: per item or per organisation, who may claim, and what the
tool says about its own assumptions (issue: readings of the source)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import catalog
from subsidycli.engine import ELIGIBLE, environment, evaluate_article
from subsidycli.policy import Policy
from tests.conftest import ROOT, Run

PER_ITEM = ("按项计", "Per item")
PER_ORGANISATION = ("按单位计", "Per organisation")


def money_articles(policy: Policy) -> list:
    return [a for a in policy.articles if a.basis != "info"]


def test_every_money_article_states_its_reading(policy: Policy) -> None:
    for article in money_articles(policy):
        assert article.note, f"{article.id}: no note stating its reading"
        zh, en = article.note["zh"], article.note["en"]
        item = PER_ITEM[0] in zh
        assert item != (PER_ORGANISATION[0] in zh), f"{article.id}: per item or per organisation?"
        assert (PER_ITEM[1] in en) == item and (PER_ORGANISATION[1] in en) != item, article.id
        assert "申报主体" in zh and "Who" in en, f"{article.id}: the note must say who may claim"
        if article.count:
            assert item, f"{article.id} multiplies by {article.count} but does not read per item"


def _count_inputs(policy: Policy, article) -> list[str]:
    return [n for n in article.inputs if policy.inputs[n].type == "count"]


def _amount(policy: Policy, article, profile: dict) -> Decimal | None:
    result = evaluate_article(article, environment(policy, profile))
    assert result.status == ELIGIBLE, (article.id, result)
    return result.amount


@pytest.mark.parametrize("count", [2, 3, 7])
def test_a_per_organisation_article_pays_once_whatever_the_count(
    policy: Policy, count: int
) -> None:
    """对承担…的 / 对成功获批…的 / no item named: the count only decides ≥ 1."""
    checked = 0
    for article in money_articles(policy):
        if PER_ITEM[0] in article.note["zh"] or article.basis == "unspecified":
            continue
        for field in _count_inputs(policy, article):
            base = {n: True for n in article.inputs if policy.inputs[n].type == "bool"}
            base |= dict.fromkeys(_count_inputs(policy, article), 1)
            if article.who:
                base["applicant_type"] = sorted(article.who)[0]
            once = _amount(policy, article, base)
            assert _amount(policy, article, base | {field: count}) == once, article.id
            checked += 1
    assert (
        checked >= 4
    )  # enterprise-rd-project, national-major/key-rd-project, provincial-rd-platform


@pytest.mark.parametrize(
    ("article_id", "field", "each"),
    [
        ("jiebang-guashuai", "jiebang_projects", "1000000.00"),
        ("innovation-consortium", "consortium_projects", "2000000.00"),
        ("joint-basic-research", "joint_basic_research_projects", "5000000.00"),
        ("national-platform", "national_platforms", "10000000.00"),
        ("provincial-platform", "provincial_platforms", "3000000.00"),
        ("public-service-platform", "public_service_platforms", "3000000.00"),
        ("incubator-new", "new_incubators", "500000.00"),
    ],
)
def test_a_per_item_article_pays_each_item(
    policy: Policy, article_id: str, field: str, each: str
) -> None:
    article = policy.article(article_id)
    assert article is not None
    profile = {"applicant_type": "enterprise", field: 3}
    assert _amount(policy, article, profile) == Decimal(each) * 3


@pytest.mark.parametrize(
    ("article_id", "allowed"),
    [
        ("public-service-platform", {"university", "research_institute", "new_rd_institution",
                                     "enterprise"}),
        ("public-service-platform-excellent", {"university", "research_institute",
                                               "new_rd_institution", "enterprise"}),
        ("innovation-consortium", {"enterprise"}),
        ("nri-joint-rd", {"new_rd_institution"}),
    ],
)  # fmt: skip
def test_who_may_claim_is_the_source_s(policy: Policy, article_id: str, allowed: set) -> None:
    article = policy.article(article_id)
    assert article is not None and article.who == frozenset(allowed)


@pytest.mark.parametrize(
    "words",
    ["良好", "（含重新认定）", "在镇落地", "研究生（博士后）", "（课题）", "本年度", "本纳税年度"],
)
def test_input_help_adds_no_words_the_source_does_not_have(policy: Policy, words: str) -> None:
    source = policy.source_text()
    assert source is not None and words not in source
    for item in policy.inputs.values():
        texts = [item.label["zh"], item.help["zh"] if item.help else ""]
        assert all(words not in t for t in texts), f"{item.name}: {words!r} is not the source's"


def test_assumptions_are_named_as_such(policy: Policy) -> None:
    rate = policy.inputs["income_tax_rate"]
    assert rate.help and "假设" in rate.help["zh"] and "assume" in rate.help["en"]
    note = policy.article("rd-investment-subsidy").note  # type: ignore[union-attr]
    assert note and "择优" in note["zh"] and "择优" in note["en"]


def test_explain_shows_the_reading_and_a_per_item_cap_for_the_count(policy: Policy) -> None:
    for article in money_articles(policy):
        data = catalog.describe_article(policy, article.id)
        assert data["note"] == article.note["en"]
        example = data["example"]
        if example and example["cap"] and example["amount"]:
            assert Decimal(example["cap"]) >= Decimal(example["amount"]), article.id


def test_explain_text_of_a_per_item_article(run: Run) -> None:
    en = run("explain", "jiebang-guashuai", "--lang", "en")
    assert en.exit_code == 0, en.output
    assert "Cap: 1,000,000.00 per item (2,000,000.00 for 2 items)" in en.stdout
    assert "Per item" in en.stdout
    zh = run("explain", "jiebang-guashuai", "--lang", "zh")
    assert "上限：每项 100.00 万元（2 项共 200.00 万元）" in zh.stdout
    per_org = run("explain", "national-major-project", "--lang", "en")
    assert "Cap: 5,000,000.00\n" in per_org.stdout and "per item" not in per_org.stdout


def _json(run: Run, *args: str) -> dict:
    result = run("calc", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_empty_set_makes_a_field_unknown(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"annual_rd_expense": "1200万", "deductible_rd_expense": "1000万"}')
    before = _json(run, str(path))
    subsidy = {r["article"]: r for r in before["results"]}["rd-investment-subsidy"]
    assert subsidy["status"] == "eligible"
    after = _json(run, str(path), "--set", "deductible_rd_expense=")
    subsidy = {r["article"]: r for r in after["results"]}["rd-investment-subsidy"]
    assert subsidy["status"] == "needs_info"
    assert subsidy["missing"] == ["deductible_rd_expense"]
    assert "deductible_rd_expense" in after["missing"]


def test_an_empty_set_of_an_unknown_field_is_refused(run: Run) -> None:
    result = run("calc", "--set", "anual_rd_expense=")
    assert result.exit_code == 2
    assert "anual_rd_expense" in result.stderr and "annual_rd_expense" in result.stderr


def test_assume_no_names_what_it_assumed(run: Run) -> None:
    data = _json(run, "--set", "annual_rd_expense=1200万", "--assume-no")
    assert data["missing"] == []
    assert "deductible_rd_expense" in data["assumed"] and "gazelle_first" in data["assumed"]
    assert "annual_rd_expense" not in data["assumed"]
    table = run("calc", "--set", "annual_rd_expense=1200万", "--assume-no", "--lang", "en")
    shown = " ".join(table.stdout.split())
    assert "complete" not in shown
    assert "taken as 0 / no" in shown and "R&D expense eligible" in shown


def test_assume_no_on_a_complete_profile_assumes_nothing(run: Run) -> None:
    example = str(ROOT / "examples" / "enterprise.json")
    assert _json(run, example)["missing"] == []
    data = _json(run, example, "--assume-no")
    assert "assumed" not in data
    table = run("calc", example, "--assume-no", "--lang", "en")
    assert "complete enough" in " ".join(table.stdout.split())


def test_the_receipt_names_the_profile_it_was_computed_from(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"annual_rd_expense": "1200万", "gazelle_first": true}')
    first = _json(run, str(path))["receipt"]["profile_sha256"]
    same = _json(run, "--set", "gazelle_first=yes", "--set", "annual_rd_expense=12,000,000.00")
    assert same["receipt"]["profile_sha256"] == first  # the same facts, written otherwise
    changed = _json(run, str(path), "--set", "annual_rd_expense=1300万")
    assert changed["receipt"]["profile_sha256"] != first
    assert len(first) == 64
    table = run("calc", str(path))
    assert f"profile sha256:{first[:12]}" in table.stdout


def test_assume_no_keeps_a_conditional_default(tmp_path: Path, run: Run) -> None:
    """A yes/no field whose default depends on another is filled by that default, not by no."""
    from subsidycli.policy import bundled_paths, load_policy
    from subsidycli.profile import assume_no

    source = bundled_paths()[0]
    text = source.read_text(encoding="utf-8")
    old = 'name = "gazelle_first"\ntype = "bool"\n'
    assert old in text
    new = old + 'default = { if = "unicorn_first", then = true, else = false }\n'
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    (tmp_path / "zhenjiang-2024.source.zh.txt").write_bytes(
        (source.parent / "zhenjiang-2024.source.zh.txt").read_bytes()
    )
    changed = load_policy(path)
    assert "gazelle_first" not in assume_no({"unicorn_first": True}, changed)
    data = json.loads(
        run("calc", "--policy", str(path), "--set", "unicorn_first=yes", "--assume-no",
            "-f", "json").stdout
    )  # fmt: skip
    gazelle = {r["article"]: r for r in data["results"]}["gazelle"]
    assert gazelle["status"] == "eligible" and gazelle["amount"] == "200000.00"
