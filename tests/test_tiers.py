"""Tiered articles: the first tier that holds pays; unknown before a match is needs_info; the
explanation names the tier; the gap speaks of the next tier up; a cap still applies."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from subsidycli import i18n
from subsidycli.engine import ELIGIBLE, NEEDS_INFO, NOT_ELIGIBLE, evaluate
from subsidycli.errors import PolicyError
from subsidycli.policy import Policy, load_policy
from subsidycli.profile import parse_profile
from tests.conftest import Run

HEAD = """\
[policy]
id = "tier-test"
title = { zh = "分档", en = "Tiers" }

[[sections]]
id = "1"
title = { zh = "奖励", en = "Awards" }

[[inputs]]
name = "revenue"
type = "money"
label = { zh = "营业收入", en = "Revenue" }

[[inputs]]
name = "staff"
type = "count"
label = { zh = "职工人数", en = "Staff" }

[[inputs]]
name = "sites"
type = "count"
label = { zh = "基地数", en = "Sites" }
"""

# 超过1亿 (exclusive), 5000万（含）以上, otherwise: three tiers above a floor of 1000万（含）.
ARTICLE = """\
[[articles]]
id = "award"
section = "1"
title = { zh = "营收奖励", en = "Revenue award" }
basis = "up_to"
values = { floor = "1000万", t1 = "1亿", t2 = "5000万", a1 = "30万", a2 = "20万", a3 = "10万" }
when = "revenue >= floor"
tiers = [
  { when = "revenue > t1", amount = "a1" },
  { when = "revenue >= t2", amount = "a2" },
  { amount = "a3" },
]
source = "营业收入超过1亿元的奖励30万元，5000万元（含）以上的奖励20万元，\
1000万元（含）以上的奖励10万元。"
"""


def write(tmp_path: Path, article: str = ARTICLE, name: str = "tiers.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + "\n" + article, encoding="utf-8")
    return path


@pytest.fixture
def tiered(tmp_path: Path) -> Policy:
    return load_policy(write(tmp_path))


def result(policy: Policy, lang: str = "en", **profile: Any) -> Any:
    with i18n.using(lang):
        evaluation = evaluate(policy, parse_profile(profile, policy))
    return evaluation.results[0]


@pytest.mark.parametrize(
    ("revenue", "tier", "amount"),
    [
        ("2亿", 1, "300000.00"),
        ("100000000.01", 1, "300000.00"),  # 超过1亿: one fen above
        ("1亿", 2, "200000.00"),  # exactly 1亿 is not 超过
        ("5000万", 2, "200000.00"),  # 5000万（含）
        ("49999999.99", 3, "100000.00"),
        ("1000万", 3, "100000.00"),  # the floor（含）
    ],
)
def test_each_tier_and_its_boundaries(tiered: Policy, revenue: str, tier: int, amount: str) -> None:
    r = result(tiered, revenue=revenue)
    assert (r.status, r.tier, str(r.amount), str(r.cap)) == (ELIGIBLE, tier, amount, amount)
    assert r.explanation.startswith(f"tier {tier}: ")
    assert r.counts_to_total


def test_below_the_floor_is_not_eligible(tiered: Policy) -> None:
    r = result(tiered, revenue="9999999.99")
    assert (r.status, r.amount, r.tier) == (NOT_ELIGIBLE, Decimal("0.00"), None)
    assert r.cap == Decimal("300000.00")  # the most a tier pays
    assert [(g.threshold, g.short_by) for g in r.gaps] == [(Decimal(10**7), Decimal("0.01"))]


def test_the_explanation_names_the_tier_in_chinese(tiered: Policy) -> None:
    r = result(tiered, "zh", revenue="6000万")
    assert r.explanation == "第2档：最高 200,000.00"


@pytest.mark.parametrize(
    ("revenue", "threshold", "short"),
    [("6000万", "100000000", "40000000"), ("2000万", "50000000", "30000000")],
)
def test_the_gap_is_the_next_tier_up(
    tiered: Policy, revenue: str, threshold: str, short: str
) -> None:
    r = result(tiered, revenue=revenue)
    assert [(g.threshold, g.short_by, g.inclusive) for g in r.gaps] == [
        (Decimal(threshold), Decimal(short), threshold == "50000000")
    ]


def test_the_top_tier_has_no_gap(tiered: Policy) -> None:
    assert result(tiered, revenue="3亿").gaps == ()


def test_the_first_tier_that_holds_pays_even_when_later_ones_hold_too(tmp_path: Path) -> None:
    article = ARTICLE.replace('"revenue > t1", amount = "a1"', '"revenue >= floor", amount = "a3"')
    policy = load_policy(write(tmp_path, article))
    r = result(policy, revenue="3亿")
    assert (r.tier, r.amount) == (1, Decimal("100000.00"))


STAFF_TIERS = ARTICLE.replace('"revenue > t1"', '"revenue > t1 and staff >= 100"').replace(
    '"revenue >= t2"', '"sites >= 1"'
)


def test_an_unknown_condition_before_a_match_needs_info(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, STAFF_TIERS))
    r = result(policy, revenue="2亿")
    assert (r.status, r.missing, r.amount, r.tier) == (NEEDS_INFO, ("staff",), None, None)
    assert r.cap == Decimal("300000.00")
    evaluation = evaluate(policy, parse_profile({"revenue": "2亿"}, policy))
    assert evaluation.missing == ("staff",)


def test_a_false_tier_then_an_unknown_one_asks_only_for_the_unknown(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, STAFF_TIERS))
    r = result(policy, revenue="2亿", staff=3)
    assert (r.status, r.missing) == (NEEDS_INFO, ("sites",))


def test_an_unknown_condition_after_a_match_does_not_matter(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, STAFF_TIERS))
    r = result(policy, revenue="2亿", staff=100)
    assert (r.status, r.tier, r.amount, r.missing) == (ELIGIBLE, 1, Decimal("300000.00"), ())


def test_an_unknown_article_condition_with_a_tier_that_holds_needs_info(tiered: Policy) -> None:
    r = result(tiered)
    assert (r.status, r.missing, r.cap) == (NEEDS_INFO, ("revenue",), Decimal("300000.00"))


def test_no_tier_holds_is_not_eligible_with_the_gap_to_the_lowest_tier(tmp_path: Path) -> None:
    article = ARTICLE.replace(
        '  { amount = "a3" },\n', '  { when = "revenue >= floor", amount = "a3" },\n'
    )
    article = article.replace('when = "revenue >= floor"\ntiers', "tiers")
    policy = load_policy(write(tmp_path, article))
    r = result(policy, revenue="800万")
    assert (r.status, r.amount, r.tier) == (NOT_ELIGIBLE, Decimal("0.00"), None)
    assert r.explanation == "condition not met: Revenue 8,000,000.00 < 10,000,000.00"
    assert [g.threshold for g in r.gaps] == [Decimal(10**7)]
    assert result(policy, revenue="1000万").tier == 3
    assert result(policy).status == NEEDS_INFO


def test_a_cap_still_applies_to_a_tier(tmp_path: Path) -> None:
    article = ARTICLE.replace('a3 = "10万" }', 'a3 = "10万", max = "25万" }').replace(
        "tiers = [", 'cap = "max"\ntiers = ['
    )
    policy = load_policy(write(tmp_path, article))
    top = result(policy, revenue="2亿")
    assert (top.tier, top.amount, top.cap) == (1, Decimal("250000.00"), Decimal("250000.00"))
    assert top.explanation == "tier 1: 300,000.00 > 250,000.00, capped at 250,000.00"
    assert result(policy, revenue="6000万").amount == Decimal("200000.00")


def test_a_tier_amount_is_a_formula_and_is_rounded(tmp_path: Path) -> None:
    article = ARTICLE.replace('a1 = "30万"', 'a1 = "0.3333%"').replace(
        'amount = "a1"', 'amount = "a1 * revenue"'
    )
    policy = load_policy(write(tmp_path, article))
    r = result(policy, revenue="100000001.5")  # 0.3333% × it = 333,300.0049995 → 333,300.00
    assert (r.tier, r.amount) == (1, Decimal("333300.00"))
    # The cap of a needs-info result: unknown while a tier's amount reads an unknown field.
    assert result(policy).cap is None


def test_tiers_multiply_by_a_count(tmp_path: Path) -> None:
    article = ARTICLE.replace(
        'when = "revenue >= floor"', 'when = "revenue >= floor"\ncount = "sites"'
    )
    policy = load_policy(write(tmp_path, article))
    r = result(policy, revenue="6000万", sites=3)
    assert (r.tier, r.amount, r.cap, r.count) == (2, Decimal("600000.00"), Decimal("600000.00"), 3)
    assert r.explanation == "tier 2: 200,000.00 × 3 = 600,000.00"


def test_calc_and_batch_agree_on_tiers(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path)
    revenues = ["2亿", "1亿", "6000万", "5000万", "2000万", "999万", None]
    lines = [json.dumps({} if r is None else {"revenue": r}, ensure_ascii=False) for r in revenues]
    batch = run("batch", "-", "--policy", str(path), input="\n".join(lines) + "\n")
    assert batch.exit_code == 0, batch.output
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    got = [tuple(r["results"][0][k] for k in ("status", "amount", "tier")) for r in records]
    assert got == [
        ("eligible", "300000.00", 1), ("eligible", "200000.00", 2), ("eligible", "200000.00", 2),
        ("eligible", "200000.00", 2), ("eligible", "100000.00", 3), ("not_eligible", "0.00", None),
        ("needs_info", None, None),
    ]  # fmt: skip
    for line, record in zip(lines, records, strict=True):
        calc = run("calc", "-", "-f", "json", "--policy", str(path), input=line)
        result = json.loads(calc.stdout)["results"][0]
        assert (result["amount"], result["tier"]) == (
            record["results"][0]["amount"],
            record["results"][0]["tier"],
        )


def test_override_a_named_value_of_a_tier(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path)
    args = ("calc", "-f", "json", "--policy", str(path), "--set", "revenue=6000万")
    data = json.loads(run(*args, "--override", "award.a2=25万").stdout)
    assert data["results"][0]["amount"] == "250000.00"
    assert data["results"][0]["overridden"] == ["a2"]
    refused = run(*args, "--override", "award.amount=25万")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("subsidy: --override award.amount=25万: ")
    assert "pays by tiers" in refused.stderr


def test_explain_lists_the_tiers(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path)
    text = run("explain", "award", "--policy", str(path)).stdout
    assert "  tier 1: Revenue > 100,000,000.00 → 300,000.00" in text
    assert "  tier 3: otherwise → 100,000.00" in text
    data = json.loads(run("explain", "award", "--policy", str(path), "-f", "json").stdout)
    assert [t["tier"] for t in data["tiers"]] == [1, 2, 3]
    assert data["tiers"][2]["condition"] is None


def test_diff_shows_a_changed_tier(run: Run, tmp_path: Path) -> None:
    old = write(tmp_path, name="old.toml")
    new = write(tmp_path, ARTICLE.replace('"revenue >= t2"', '"revenue > t2"'), "new.toml")
    changes = json.loads(run("diff", str(old), str(new), "-f", "json").stdout)
    assert list(changes[0]["fields"]) == ["tiers"]


# --- refused tiers, with file:line ----------------------------------------------------------


def line_of(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        (
            '  { when = "revenue >= t2", amount = "a2" },',
            '  { amount = "a2" },',
            '  { amount = "a2" },',
            "award.tiers[2].when: only the last tier may leave out `when`",
        ),
        (
            '  { when = "revenue >= t2", amount = "a2" },',
            '  { when = "revenue >= t2", amount = "a9" },',
            '  { when = "revenue >= t2", amount = "a9" },',
            "award.tiers[2].amount: undeclared name 'a9'",
        ),
        (
            '  { when = "revenue >= t2", amount = "a2" },',
            '  { when = "revenue + t2", amount = "a2" },',
            '  { when = "revenue + t2", amount = "a2" },',
            "award.tiers[2].when: a condition must be true or false",
        ),
        (
            "tiers = [",
            'amount = "a1"\ntiers = [',
            "tiers = [",
            "award.tiers: an article pays by `amount` or by `tiers`, not both",
        ),
        ('basis = "up_to"', 'basis = "tax_deduction"', "tiers = [", "award.tiers: tiers pay cash"),
        (
            '  { when = "revenue >= t2", amount = "a2" },',
            '  { when = "revenue >= t2", amout = "a2" },',
            '  { when = "revenue >= t2", amout = "a2" },',
            "amout",
        ),
    ],
)
def test_a_bad_tier_is_refused_at_its_line(
    run: Run, tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    assert old in ARTICLE
    path = write(tmp_path, ARTICLE.replace(old, new))
    result = run("lint", str(path))
    assert result.exit_code == 2
    assert f"{path}:{line_of(path, at)}: " in result.stderr and message in result.stderr


def test_an_empty_tiers_list_is_refused(tmp_path: Path) -> None:
    start, end = ARTICLE.index("tiers = ["), ARTICLE.index("]\nsource")
    path = write(tmp_path, ARTICLE[:start] + "tiers = [" + ARTICLE[end:])
    with pytest.raises(PolicyError, match="needs at least one tier"):
        load_policy(path)


def test_key_lines_of_tiers_ignore_brackets_inside_text() -> None:
    from subsidycli.policy import KeyLines

    text = (
        '[[articles]]\nid = "a"\nnot_stated = [\n  "x[1",\n]\ntiers = [\n'
        '  { when = "a[", amount = "b" },\n  { amount = "c" },\n]\nsource = "x"\n'
    )
    lines = KeyLines(text).lines
    assert lines[("articles", 0, "tiers", 0)] == 7
    assert lines[("articles", 0, "tiers", 1)] == 8
    assert lines[("articles", 0, "source")] == 10
    assert ("articles", 0, "tiers", 2) not in lines


@pytest.mark.parametrize(
    ("override", "amount", "message"),
    [
        ("award.factor=3", "600000.00", None),
        ("award.factor=1.5", "300000.00", None),
        ("award.factor=3万", None, "factor is a plain number (2) and stays one: '3万' is not"),
        ("award.factor=nan", None, "'nan' is not a number"),
        ("award.t2=1%", None, "t2 is an amount of money (5000万) and stays one"),
        ("award.cap=25万", "250000.00", None),
        ("award.when=revenue > t1", "0.00", None),
    ],
)
def test_an_override_of_a_plain_number_stays_a_number(
    run: Run, tmp_path: Path, override: str, amount: str | None, message: str | None
) -> None:
    article = ARTICLE.replace('a3 = "10万" }', 'a3 = "10万", factor = 2 }').replace(
        'amount = "a2"', 'amount = "a2 * factor"'
    )
    path = write(tmp_path, article)
    args = ("calc", "-f", "json", "--policy", str(path), "--set", "revenue=6000万")
    result = run(*args, "--override", override)
    if message is not None:
        assert result.exit_code == 2
        assert result.stderr.startswith(f"subsidy: --override {override}: ")
        assert message in result.stderr
        return
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["amount"] == amount
