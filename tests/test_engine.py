"""The engine's rules, on small policies written for each rule (the law's cases are in cases/).

Each test states a rule of `engine.evaluate` that holds for any policy: what a status shows as
its cap, how an unknown applicant type or an unknown count is answered, how amounts are capped,
rounded and added up.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from subsidycli import engine, i18n
from subsidycli.engine import ELIGIBLE, INFO, NEEDS_INFO, NOT_ELIGIBLE, evaluate, evaluate_article
from subsidycli.errors import SubsidyError
from subsidycli.policy import Policy, load_policy
from subsidycli.profile import parse_profile


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


APPLICANT: dict[str, Any] = {
    "name": "applicant_type", "type": "choice", "label": _text("申报主体类型", "Type of applicant"),
    "choices": [
        {"value": "enterprise", "zh": "企业", "en": "Enterprise"},
        {"value": "university", "zh": "高等院校", "en": "University"},
    ],
}  # fmt: skip
INPUTS: list[dict[str, Any]] = [
    {"name": "expense", "type": "money", "label": _text("费用", "Expense")},
    {"name": "items", "type": "count", "label": _text("项目数", "Items")},
    {"name": "flag", "type": "bool", "label": _text("标志", "Flag")},
    {"name": "high_tech", "type": "bool", "label": _text("高新", "High-tech")},
    {"name": "tax_rate", "type": "rate", "label": _text("税率", "Tax rate"),
     "default": {"if": "high_tech", "then": "15%", "else": "25%"}},
]  # fmt: skip


def article(id: str, **fields: Any) -> dict[str, Any]:
    """An article of a test policy: cash up to its amount, open to any applicant, unless told."""
    return {"id": id, "section": "1", "title": _text(id, id), "basis": "up_to",
            "source": "测试条款。", **fields}  # fmt: skip


def make_policy(
    tmp_path: Path, *articles: dict[str, Any], default_applicant: str | None = "enterprise"
) -> Policy:
    applicant = dict(APPLICANT)
    if default_applicant is not None:
        applicant["default"] = default_applicant
    data = {
        "policy": {"id": "test", "title": _text("测试", "Test")},
        "sections": [{"id": "1", "title": _text("一", "One")}],
        "inputs": [applicant, *INPUTS],
        "articles": list(articles),
    }
    path = tmp_path / "test.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_policy(path)


def result(policy: Policy, profile: dict[str, Any], article_id: str) -> engine.ArticleResult:
    found = evaluate(policy, parse_profile(profile, policy)).results
    return next(r for r in found if r.article == article_id)


# Up to 30% of the expense, at most 200,000, for enterprises whose expense is at least 1,000,000.
RATE_CAPPED = article(
    "rate-capped", who=["enterprise"], values={"rate": "30%", "max": "20万", "threshold": "100万"},
    when="expense >= threshold", amount="rate * expense", cap="max",
)  # fmt: skip
# Up to 1,000,000 per item, when the flag is set and there is at least one item.
PER_ITEM = article(
    "per-item", values={"per_item": "100万"}, count="items", when="items >= 1 and flag",
    amount="per_item",
)  # fmt: skip


# Tiers: 30万 above 1亿 (exclusive), 20万 from 5000万, else 10万; only from 1000万.
TIERED = article(
    "tiered", values={"floor": "1000万", "t1": "1亿", "t2": "5000万", "a1": "30万", "a2": "20万",
                      "a3": "10万"},
    when="expense >= floor",
    tiers=[{"when": "expense > t1", "amount": "a1"}, {"when": "expense >= t2", "amount": "a2"},
           {"amount": "a3"}],
)  # fmt: skip
# Tiers all with a condition: nothing below 5000万.
TIERED_FLOOR = article(
    "tiered-floor", values={"t1": "1亿", "t2": "5000万", "a1": "30万", "a2": "20万"},
    tiers=[{"when": "expense > t1", "amount": "a1"}, {"when": "expense >= t2", "amount": "a2"}],
)  # fmt: skip


# --- The cap is shown whatever the status ----------------------------------------------------


def test_an_article_for_other_applicants_shows_its_cap(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, RATE_CAPPED)
    got = result(policy, {"applicant_type": "university", "expense": "500万"}, "rate-capped")
    assert (got.status, got.amount, got.cap) == (NOT_ELIGIBLE, Decimal("0.00"), Decimal(200_000))
    assert got.missing == () and "Enterprise" in got.explanation


def test_an_article_whose_condition_fails_shows_its_cap(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, RATE_CAPPED)
    got = result(policy, {"expense": "99万"}, "rate-capped")
    assert (got.status, got.amount, got.cap) == (NOT_ELIGIBLE, Decimal("0.00"), Decimal(200_000))
    assert [gap.field for gap in got.gaps] == ["expense"]
    assert got.gaps[0].short_by == Decimal(10_000)


def test_an_article_that_needs_an_answer_shows_its_cap(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, RATE_CAPPED)
    got = result(policy, {}, "rate-capped")
    assert (got.status, got.amount, got.cap) == (NEEDS_INFO, None, Decimal(200_000))
    assert got.missing == ("expense",)


def test_a_cap_that_depends_on_an_unknown_is_not_shown(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, article("no-cap", when="flag", amount="expense"))
    got = result(policy, {}, "no-cap")
    assert (got.status, got.cap, got.missing) == (NEEDS_INFO, None, ("flag", "expense"))
    shown = result(policy, {"expense": "3万"}, "no-cap")
    assert (shown.status, shown.cap, shown.missing) == (NEEDS_INFO, Decimal(30_000), ("flag",))


# --- Who may claim ---------------------------------------------------------------------------


def test_an_unknown_applicant_type_is_unknown_not_ineligible(tmp_path: Path) -> None:
    """Without a default, an article for some applicants only needs the applicant type."""
    policy = make_policy(tmp_path, RATE_CAPPED, default_applicant=None)
    got = result(policy, {"expense": "500万"}, "rate-capped")
    assert (got.status, got.amount, got.cap) == (NEEDS_INFO, None, Decimal(200_000))
    assert got.missing == ("applicant_type",)
    assert "Type of applicant" in got.explanation
    assert evaluate(policy, parse_profile({"expense": "500万"}, policy)).missing == (
        "applicant_type",
    )


def test_an_article_for_any_applicant_does_not_ask_the_type(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, PER_ITEM, default_applicant=None)
    got = result(policy, {"items": 2, "flag": True}, "per-item")
    assert (got.status, got.amount, got.missing) == (ELIGIBLE, Decimal(2_000_000), ())


def test_the_applicant_types_are_named_in_the_reason(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, RATE_CAPPED)
    raw = parse_profile({"applicant_type": "university", "expense": "500万"}, policy)
    with i18n.using("zh"):
        zh = evaluate(policy, raw).results[0]
    assert zh.status == NOT_ELIGIBLE and "企业" in zh.explanation


# --- Per-item articles -----------------------------------------------------------------------


def test_a_per_item_article_that_needs_an_answer_shows_the_cap_for_all_its_items(
    tmp_path: Path,
) -> None:
    policy = make_policy(tmp_path, PER_ITEM)
    got = result(policy, {"items": 3}, "per-item")
    assert (got.status, got.amount, got.missing) == (NEEDS_INFO, None, ("flag",))
    assert got.cap == Decimal(3_000_000) and got.count == 3


def test_a_per_item_article_pays_and_caps_per_item(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, PER_ITEM)
    got = result(policy, {"items": 3, "flag": True}, "per-item")
    assert (got.status, got.amount, got.cap, got.count) == (
        ELIGIBLE, Decimal(3_000_000), Decimal(3_000_000), 3,
    )  # fmt: skip
    assert got.explanation == "1,000,000.00 × 3 = 3,000,000.00"


def test_an_unknown_count_is_asked_for(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, PER_ITEM)
    got = result(policy, {"flag": True}, "per-item")
    assert (got.status, got.amount, got.missing, got.count) == (NEEDS_INFO, None, ("items",), None)
    assert got.cap == Decimal(1_000_000)  # the count unknown: the cap of one item


def test_a_per_item_rate_is_capped_per_item(tmp_path: Path) -> None:
    capped = article(
        "capped-items", values={"rate": "50%", "max": "10万"}, count="items", when="items >= 1",
        amount="rate * expense", cap="max",
    )  # fmt: skip
    policy = make_policy(tmp_path, capped)
    over = result(policy, {"items": 2, "expense": "30万"}, "capped-items")
    assert (over.amount, over.cap) == (Decimal(200_000), Decimal(200_000))  # 2 × min(15万, 10万)
    under = result(policy, {"items": 2, "expense": "10万"}, "capped-items")
    assert (under.amount, under.cap) == (Decimal(100_000), Decimal(200_000))  # 2 × 5万


# --- Amounts: capped, never negative, rounded half-up after the cap ---------------------------


@pytest.mark.parametrize(
    ("expense", "amount", "words"),
    [
        ("1000000", "200000.00", "30% × 1,000,000.00 = 300,000.00 > 200,000.00"),
        ("666666.67", "200000.00", None),  # 200,000.001 is over the cap: the cap
        ("666666.65", "200000.00", None),  # 199,999.995 rounds half-up, after the cap
        ("666666.55", "199999.97", None),  # 199,999.965: half-up, not to the even fen
        ("666666.63", "199999.99", None),  # 199,999.989 rounds up
        ("666666.61", "199999.98", None),  # 199,999.983 rounds down
        ("100", "30.00", "30% × 100.00 = 30.00 ≤ 200,000.00"),
    ],
)
def test_amounts_are_capped_then_rounded_half_up(
    tmp_path: Path, expense: str, amount: str, words: str | None
) -> None:
    policy = make_policy(tmp_path, article("rated", values={"rate": "30%", "max": "20万"},
                                           amount="rate * expense", cap="max"))  # fmt: skip
    got = result(policy, {"expense": expense}, "rated")
    assert got.status == ELIGIBLE and str(got.amount) == amount and got.cap == Decimal(200_000)
    if words is not None:
        assert got.explanation.startswith(words)


def test_rounding_is_said_in_the_explanation(tmp_path: Path) -> None:
    policy = make_policy(
        tmp_path, article("rated", values={"rate": "30%"}, amount="rate * expense")
    )
    got = result(policy, {"expense": "0.05"}, "rated")  # 0.015 → 0.02
    assert got.amount == Decimal("0.02")
    assert got.explanation.startswith("30% × 0.05 = 0.015") and "0.02" in got.explanation


def test_a_negative_formula_pays_nothing(tmp_path: Path) -> None:
    policy = make_policy(
        tmp_path, article("less", values={"base": "10万"}, amount="expense - base")
    )
    below = result(policy, {"expense": "4万"}, "less")
    assert (below.status, below.amount) == (ELIGIBLE, Decimal("0.00"))
    assert "below zero" in below.explanation
    exact = result(policy, {"expense": "10万"}, "less")
    assert exact.amount == Decimal("0.00") and "below zero" not in exact.explanation


def test_an_amount_out_of_range_names_the_article(tmp_path: Path) -> None:
    huge = article("huge", values={"big": 10**15}, amount="expense * big * big")  # 10^30
    policy = make_policy(tmp_path, huge)
    with pytest.raises(SubsidyError, match=r"^huge: amount .* check the policy's formula"):
        evaluate(policy, parse_profile({"expense": "1"}, policy))


# --- Bases, totals, and what is missing ------------------------------------------------------


def test_the_total_adds_eligible_cash_only(tmp_path: Path) -> None:
    policy = make_policy(
        tmp_path,
        article("cash", values={"max": "10万"}, when="flag", amount="max"),
        article("exact", basis="exact", values={"sum": "5万"}, amount="sum"),
        article("unstated", basis="unspecified", when="flag"),
        article("tax", basis="tax_deduction", values={"rate": "100%"}, amount="rate * expense",
                tax_saving="amount * tax_rate"),
        article("not-met", values={"max": "7万"}, when="not flag", amount="max"),
        article("words", basis="info"),
    )  # fmt: skip
    profile = {"flag": True, "expense": "100万", "high_tech": False}
    found = evaluate(policy, parse_profile(profile, policy))
    assert found.total == Decimal(150_000)
    by_id = {r.article: r for r in found.results}
    assert [by_id[i].counts_to_total for i in by_id] == [True, True, False, False, False, False]
    assert (by_id["unstated"].status, by_id["unstated"].amount) == (ELIGIBLE, None)
    assert by_id["unstated"].cap is None
    assert (by_id["words"].status, by_id["words"].amount, by_id["words"].cap) == (INFO, None, None)
    tax = by_id["tax"]
    assert (tax.amount, tax.cap, tax.tax_saving) == (Decimal(1_000_000), None, Decimal(250_000))
    assert found.missing == ()


def test_a_tax_saving_that_needs_an_answer_names_it(tmp_path: Path) -> None:
    tax = article("tax", basis="tax_deduction", values={"rate": "100%"}, amount="rate * expense",
                  tax_saving="amount * tax_rate")  # fmt: skip
    policy = make_policy(tmp_path, tax)
    got = result(policy, {"expense": "100万"}, "tax")
    assert (got.status, got.amount, got.tax_saving) == (ELIGIBLE, Decimal(1_000_000), None)
    assert got.missing == ("high_tech",)
    high_tech = result(policy, {"expense": "100万", "high_tech": True}, "tax")
    assert (high_tech.tax_saving, high_tech.missing) == (Decimal(150_000), ())
    stated = result(policy, {"expense": "100万", "tax_rate": "20%"}, "tax")
    assert (stated.tax_saving, stated.missing) == (Decimal(200_000), ())


def test_missing_fields_are_listed_in_the_policy_order_once(tmp_path: Path) -> None:
    policy = make_policy(
        tmp_path, article("a", when="flag and items >= 1", amount="expense"),
        article("b", when="expense >= 1", amount="expense"), default_applicant=None,
    )  # fmt: skip
    found = evaluate(policy, {})
    assert found.missing == ("expense", "items", "flag")  # the order of the policy's inputs
    assert [r.missing for r in found.results] == [("flag", "items", "expense"), ("expense",)]


def test_unexplained_results_equal_the_explained_ones_but_for_the_words(tmp_path: Path) -> None:
    tax = article("tax", basis="tax_deduction", values={"rate": "100%"}, amount="rate * expense")
    policy = make_policy(
        tmp_path, RATE_CAPPED, PER_ITEM, TIERED, TIERED_FLOOR, tax, default_applicant=None
    )
    enterprise = {"applicant_type": "enterprise"}
    profiles = [
        {}, {"applicant_type": "university"}, {**enterprise, "expense": "99万"},
        {**enterprise, "expense": "500万"}, {"items": 2}, {"items": 2, "flag": True},
        {"expense": "6000万"}, {"expense": "2亿"}, {"expense": "1000万"},
    ]  # fmt: skip
    for raw in profiles:
        env = engine.environment(policy, parse_profile(raw, policy))
        for item in policy.articles:
            full = evaluate_article(item, env)
            bare = evaluate_article(item, env, explained=False)
            assert bare == full._replace(explanation="", gaps=()), raw
            assert full.explanation


# --- Defaults --------------------------------------------------------------------------------


def test_a_conditional_default_follows_its_condition(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, PER_ITEM)
    assert engine.environment(policy, {"high_tech": True})["tax_rate"] == Decimal("0.15")
    assert engine.environment(policy, {"high_tech": False})["tax_rate"] == Decimal("0.25")
    unknown = engine.environment(policy, {})["tax_rate"]
    assert unknown.fields == {"high_tech"}
    stated = engine.environment(policy, {"high_tech": True, "tax_rate": Decimal("0.2")})
    assert stated["tax_rate"] == Decimal("0.2")
    assert engine.environment(policy, {})["applicant_type"] == "enterprise"
    assert engine.environment(policy, {"applicant_type": "university"})["applicant_type"] == (
        "university"
    )


# --- Tiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expense", "status", "amount", "tier"),
    [
        ("2亿", ELIGIBLE, "300000.00", 1),
        ("1亿", ELIGIBLE, "200000.00", 2),  # 超过1亿: 1亿 itself is the next tier's
        ("5000万", ELIGIBLE, "200000.00", 2),
        ("4999万", ELIGIBLE, "100000.00", 3),
        ("1000万", ELIGIBLE, "100000.00", 3),
        ("999万", NOT_ELIGIBLE, "0.00", None),
    ],
)
def test_the_first_tier_that_holds_pays(
    tmp_path: Path, expense: str, status: str, amount: str, tier: int | None
) -> None:
    policy = make_policy(tmp_path, TIERED)
    got = result(policy, {"expense": expense}, "tiered")
    assert (got.status, str(got.amount), got.tier) == (status, amount, tier)
    # The cap: what the tier that holds pays; the most any tier pays when none holds.
    assert got.cap == (Decimal(amount) if tier else Decimal(300_000))
    if tier is not None:
        assert got.explanation.startswith(f"tier {tier}: ")


def test_no_tier_holding_is_not_eligible_with_the_lowest_tier_as_the_reason(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, TIERED_FLOOR)
    got = result(policy, {"expense": "4000万"}, "tiered-floor")
    assert (got.article, got.status, got.amount, got.cap) == (
        "tiered-floor", NOT_ELIGIBLE, Decimal("0.00"), Decimal(300_000),
    )  # fmt: skip
    assert got.explanation == "condition not met: Expense 40,000,000.00 < 50,000,000.00"
    assert [(g.field, g.short_by) for g in got.gaps] == [("expense", Decimal(10_000_000))]
    assert got.missing == () and got.tier is None


def test_an_unknown_tier_condition_before_any_that_holds_is_unknown(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, TIERED_FLOOR)
    got = result(policy, {}, "tiered-floor")
    assert (got.status, got.amount, got.missing, got.cap) == (
        NEEDS_INFO, None, ("expense",), Decimal(300_000),
    )  # fmt: skip


def test_pick_tier_says_which_tier_holds(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, TIERED_FLOOR)
    (item,) = policy.articles
    assert engine.pick_tier(item, {"expense": Decimal(200_000_000)}) == (1, True)
    assert engine.pick_tier(item, {"expense": Decimal(60_000_000)}) == (2, True)
    assert engine.pick_tier(item, {"expense": Decimal(1)}) == (0, False)
    number, held = engine.pick_tier(item, {})
    assert number == 1 and held.fields == {"expense"}


def test_a_tax_deduction_without_a_saving_says_only_the_deduction(tmp_path: Path) -> None:
    tax = article("tax", basis="tax_deduction", values={"rate": "100%"}, amount="rate * expense")
    policy = make_policy(tmp_path, tax)
    got = result(policy, {"expense": "100万"}, "tax")
    assert (got.amount, got.tax_saving, got.missing) == (Decimal(1_000_000), None, ())
    assert got.explanation == "extra deduction 100% × 1,000,000.00 = 1,000,000.00"


# --- The bundled policy: the tax saving in words, and one item's cap at a count of 0 ---------


def _bundled(article_id: str, raw: dict[str, Any], lang: str, *, explained: bool = True) -> Any:
    from subsidycli.policy import bundled_paths

    policy = load_policy(bundled_paths()[0])
    env = engine.environment(policy, parse_profile(raw, policy))
    found = policy.article(article_id)
    assert found is not None
    with i18n.using(lang):
        return evaluate_article(found, env, explained=explained)


def test_a_tax_saving_is_explained_with_its_formula() -> None:
    raw = {"commissioned_basic_research_expense": "80万", "high_tech_enterprise": True}
    known = _bundled("basic-research-tax-deduction", raw, "en")
    assert known.tax_saving == Decimal("120000.00")
    assert "800,000.00 × 15% = 120,000.00" in known.explanation
    quiet = _bundled("basic-research-tax-deduction", raw, "en", explained=False)
    assert (quiet.tax_saving, quiet.explanation) == (Decimal("120000.00"), "")


def test_an_unknown_tax_rate_names_the_field_it_needs() -> None:
    raw = {"commissioned_basic_research_expense": "80万"}  # high-tech status unknown: rate too
    unknown = _bundled("basic-research-tax-deduction", raw, "zh")
    assert unknown.amount == Decimal("800000.00") and unknown.tax_saving is None
    assert unknown.missing == ("high_tech_enterprise",)
    assert "持有有效高新技术企业证书" in unknown.explanation
    quiet = _bundled("basic-research-tax-deduction", raw, "zh", explained=False)
    assert (quiet.missing, quiet.explanation) == (("high_tech_enterprise",), "")


def test_a_count_of_zero_shows_one_item_s_cap() -> None:
    none = _bundled("jiebang-guashuai", {"jiebang_projects": 0}, "en")
    assert none.status == NOT_ELIGIBLE and none.cap == Decimal("1000000.00")


# --- Exact arithmetic up to the fen ----------------------------------------------------------

# 0.5371275754 × 186181622268900.18836296 = 100003283353333.004999999999967184 exactly: 0.00 fen
# to round, but Decimal's default 28 digits make it ….0050000000000 first, which rounds up.
PRECISE_RATE, PRECISE_EXPENSE = "0.5371275754", "186181622268900.18836296"


def test_a_product_wider_than_28_digits_is_rounded_to_the_fen_once(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, article("precise", amount="tax_rate * expense"))
    got = result(policy, {"tax_rate": PRECISE_RATE, "expense": PRECISE_EXPENSE}, "precise")
    assert (got.status, got.amount) == (ELIGIBLE, Decimal("100003283353333.00"))


def test_the_engine_computes_in_a_context_of_at_least_40_digits(tmp_path: Path) -> None:
    # A rate × an amount × a count: up to 41 digits, all of them exact before the fen.
    assert engine.EXACT.prec >= 41
    policy = make_policy(tmp_path, article("precise", amount="tax_rate * expense", count="items"))
    profile = {"tax_rate": "0.5999134271", "expense": "541555284810183.68683989", "items": 38}
    # 0.5999134271 × 541555284810183.68683989 × 38 = 12345678901234567.004999999997706722
    assert result(policy, profile, "precise").amount == Decimal("12345678901234567.00")


def test_the_case_through_the_cli(run: Any) -> None:
    # The bundled policy's deduction at a what-if rate of ten decimals.
    result = run(
        "calc", "--set", "applicant_type=enterprise",
        "--set", f"commissioned_basic_research_expense={PRECISE_EXPENSE}",
        "--override", f"basic-research-tax-deduction.rate={PRECISE_RATE}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    found = {r["article"]: r for r in json.loads(result.stdout)["results"]}
    assert found["basic-research-tax-deduction"]["amount"] == "100003283353333.00"


# --- Never below zero --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "expense", "cap": "0-5"},
         "cap: 0-5 is -5: an amount or a cap is never negative"),
        ({"values": {"a": "1万", "b": "2万"}, "amount": "a - b"}, "amount: a - b is -10000"),
        ({"values": {"max": "20万", "cut": "30万"}, "amount": "expense", "cap": "max - cut"},
         "cap: max - cut is -100000"),
    ],
)  # fmt: skip
def test_a_constant_amount_or_cap_below_zero_is_refused_at_load(
    tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    with i18n.using("en"), pytest.raises(SubsidyError, match=message):
        make_policy(tmp_path, article("negative", **fields))


def test_a_constant_zero_cap_loads(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, article("zero", amount="expense", cap="5-5"))
    got = result(policy, {"expense": "3万"}, "zero")
    assert (got.status, got.amount, got.cap) == (ELIGIBLE, Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    "fields",
    [{"values": {"floor": "100万"}, "amount": "expense", "cap": "expense - floor"},
     {"values": {"floor": "100万"}, "amount": "expense - floor"}],
)  # fmt: skip
def test_a_cap_or_amount_formula_below_zero_shows_zero_never_a_negative_cap(
    tmp_path: Path, fields: dict[str, Any]
) -> None:
    policy = make_policy(tmp_path, article("formula", **fields))
    got = result(policy, {"expense": "50万"}, "formula")
    assert (got.status, got.amount, got.cap) == (ELIGIBLE, Decimal("0.00"), Decimal("0.00"))
    assert engine.known_cap(policy.articles[0], {"expense": Decimal(500_000)}) == Decimal("0.00")
    above = result(policy, {"expense": "150万"}, "formula")
    assert (above.amount, above.cap) == (Decimal(500_000), Decimal(500_000))
