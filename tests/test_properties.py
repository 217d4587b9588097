"""Properties of the engine and the money parser, checked on generated profiles and amounts.

Each holds for every profile, not only for the law's cases in tests/cases: amounts are never
negative nor above their cap, grow with the inputs they are computed from, add up to the total, do
not depend on how a person wrote them, and an unknown field can only make a result unknown.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from subsidycli import money
from subsidycli.engine import ELIGIBLE, NEEDS_INFO, Evaluation, evaluate
from subsidycli.errors import MoneyError
from subsidycli.output.data import evaluation_dict
from subsidycli.policy import Policy, bundled_paths
from tests.conftest import deterministic

# The policy's declarations, read as data: names, types, choices and the money it states.
DATA = tomllib.loads(bundled_paths()[0].read_text(encoding="utf-8"))
INPUTS = {item["name"]: item for item in DATA["inputs"]}
STATED = sorted(
    {
        money.parse_money(v)
        for a in DATA["articles"]
        for v in a.get("values", {}).values()
        if isinstance(v, str) and not v.endswith("%")
    }
)
CASH = ("up_to", "exact")

PROPERTY = deterministic(300)

LIMIT = money.MONEY_LIMIT
amounts = st.one_of(
    st.decimals(min_value=0, max_value=LIMIT, places=2),
    st.sampled_from(STATED),  # the thresholds and caps the policy states ...
    st.sampled_from(STATED).map(lambda d: d - Decimal("0.01")),  # ... and a fen below them
    st.integers(min_value=0, max_value=10**9).map(Decimal),
)
counts = st.one_of(
    st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=1_000_000)
)


def _values(item: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    kind = item["type"]
    if kind == "money":
        return amounts
    if kind == "count":
        return counts
    if kind == "bool":
        return st.booleans()
    if kind == "rate":
        return st.decimals(min_value=0, max_value=1, places=4)
    if kind == "choice":
        return st.sampled_from([c["value"] for c in item["choices"]])
    return st.text(min_size=1, max_size=10).filter(str.isprintable)


profiles = st.fixed_dictionaries(
    {}, optional={name: _values(item) for name, item in INPUTS.items()}
)


def result(evaluation: Evaluation, article: str) -> Any:
    return next(r for r in evaluation.results if r.article == article)


def paid(policy: Policy, profile: Mapping[str, Any], article: str) -> Decimal:
    """The amount of one article; 0 when it is not eligible."""
    r = result(evaluate(policy, profile), article)
    assert r.status in (ELIGIBLE, "not_eligible"), r
    assert r.amount is not None
    return r.amount


# ---------------------------------------------------------------------------------------------
# Amounts and the total


@PROPERTY
@given(profiles)
def test_an_amount_is_never_negative_nor_above_its_cap(
    policy: Policy, profile: dict[str, Any]
) -> None:
    for r in evaluate(policy, profile).results:
        if r.amount is None:
            assert r.status != "not_eligible"
            continue
        assert r.amount >= 0 and not r.amount.is_signed()
        assert r.amount == money.round_fen(r.amount)
        if r.status != ELIGIBLE:
            assert r.amount == 0
        if r.cap is not None and r.basis in CASH:
            assert r.amount <= r.cap
        if r.tax_saving is not None:
            assert 0 <= r.tax_saving <= r.amount


@PROPERTY
@given(profiles)
def test_total_is_the_sum_of_eligible_cash_amounts(policy: Policy, profile: dict[str, Any]) -> None:
    evaluation = evaluate(policy, profile)
    cash = [r.amount for r in evaluation.results if r.status == ELIGIBLE and r.basis in CASH]
    assert evaluation.total == sum((a for a in cash if a is not None), Decimal(0))
    data = evaluation_dict(evaluation)  # and as scripts read it
    shown = [
        Decimal(r["amount"])
        for r in data["results"]
        if r["status"] == ELIGIBLE and r["basis"] in CASH and r["amount"] is not None
    ]
    assert Decimal(data["total"]) == sum(shown, Decimal(0))


# ---------------------------------------------------------------------------------------------
# Monotone in the money inputs, where the formula is


def _article_values(article: str) -> dict[str, Decimal]:
    spec = next(a for a in DATA["articles"] if a["id"] == article)
    return {k: money.parse_policy_number(v)[0] for k, v in spec.get("values", {}).items()}


RD = _article_values("rd-investment-subsidy")


@PROPERTY
@given(
    profiles, amounts, amounts, st.decimals(min_value=RD["threshold"], max_value=LIMIT, places=2)
)
def test_rd_subsidy_grows_with_the_deductible_expense(
    policy: Policy, profile: dict[str, Any], x: Decimal, y: Decimal, annual: Decimal
) -> None:
    low, high = sorted((x, y))
    base = {**profile, "applicant_type": "enterprise", "annual_rd_expense": annual}
    a = paid(policy, {**base, "deductible_rd_expense": low}, "rd-investment-subsidy")
    b = paid(policy, {**base, "deductible_rd_expense": high}, "rd-investment-subsidy")
    assert a <= b <= RD["max"]


@PROPERTY
@given(profiles, amounts, amounts)
def test_innovation_voucher_grows_with_the_cooperation_expense(
    policy: Policy, profile: dict[str, Any], x: Decimal, y: Decimal
) -> None:
    low, high = sorted((x, y))
    base = {**profile, "applicant_type": "enterprise"}
    a = paid(policy, {**base, "university_cooperation_expense": low}, "innovation-voucher")
    b = paid(policy, {**base, "university_cooperation_expense": high}, "innovation-voucher")
    assert a <= b


COUNTED = [a for a in DATA["articles"] if a.get("count")]


@PROPERTY
@given(profiles, st.sampled_from(COUNTED), counts, counts)
def test_per_item_articles_grow_with_the_count(
    policy: Policy, profile: dict[str, Any], spec: dict[str, Any], m: int, n: int
) -> None:
    low, high = sorted((m, n))
    who = spec.get("who", ["any"])[0]
    base = {**profile, "applicant_type": "enterprise" if who == "any" else who}
    field = spec["count"]
    a = paid(policy, {**base, field: low}, spec["id"])
    b = paid(policy, {**base, field: high}, spec["id"])
    assert a <= b
    per_item = _article_values(spec["id"])["per_item"]
    assert b == per_item * high  # a count multiplies the per-item amount


# ---------------------------------------------------------------------------------------------
# Unknown is not zero: leaving a field out can only make a result unknown


@PROPERTY
@given(profiles, st.data())
def test_making_a_field_unknown_only_turns_results_into_needs_info(
    policy: Policy, profile: dict[str, Any], data: st.DataObject
) -> None:
    fields = [
        f
        for f in profile
        if policy.inputs[f].default is None and policy.inputs[f].default_if is None
    ]
    assume(fields)
    field = data.draw(st.sampled_from(fields), label="field left out")
    before = evaluate(policy, profile)
    after = evaluate(policy, {k: v for k, v in profile.items() if k != field})
    for old, new in zip(before.results, after.results, strict=True):
        if (new.status, new.amount) == (old.status, old.amount):
            continue
        assert new.status == NEEDS_INFO, (field, old, new)
        assert new.amount is None and field in new.missing, (field, old, new)
    if field not in after.missing:
        assert [(r.status, r.amount) for r in after.results] == [
            (r.status, r.amount) for r in before.results
        ]


@PROPERTY
@given(profiles)
def test_a_field_with_a_default_left_out_is_its_default(
    policy: Policy, profile: dict[str, Any]
) -> None:
    """`applicant_type` is not unknown when left out: an enterprise, as docs/contract.md says."""
    for name, item in policy.inputs.items():
        if item.default is None:
            continue
        without = {k: v for k, v in profile.items() if k != name}
        left_out, stated = (
            evaluate(policy, without),
            evaluate(policy, {**without, name: item.default}),
        )
        assert [(r.status, r.amount) for r in left_out.results] == [
            (r.status, r.amount) for r in stated.results
        ]


# ---------------------------------------------------------------------------------------------
# Every way docs/contract.md lets a person write an amount parses to the same Decimal

FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def spellings(amount: Decimal) -> list[object]:
    plain = f"{amount:f}"
    grouped = f"{amount:,.2f}"
    wan, yi, qian = amount.scaleb(-4), amount.scaleb(-8), amount.scaleb(-3)
    forms: list[object] = [
        amount,
        plain,
        grouped,
        f"¥{grouped}",
        f"￥{grouped}",
        f"RMB {grouped}",
        f"CNY{plain}",
        f"{grouped}元",
        f"人民币{plain}元",
        f" {plain} 元 ",
        f"{wan:f}万",
        f"{wan:,f}万元",
        f"{wan:f} 万元",
        f"{yi:f}亿",
        f"{qian:f}千",
        plain.translate(FULL_WIDTH),
        f"{wan:,f}".translate(FULL_WIDTH) + "万",
        f"{plain}".replace(".", "．"),
    ]
    if amount == amount.to_integral_value():
        forms += [int(amount), f"{int(amount):_}"]
    return forms


@deterministic(300)
@given(
    st.one_of(
        st.decimals(min_value=0, max_value=10**12, places=2),
        st.integers(min_value=0, max_value=10**6).map(lambda n: Decimal(n) * 10_000),
    )
)
def test_every_way_of_writing_an_amount_is_the_same_decimal(amount: Decimal) -> None:
    for form in spellings(amount):
        assert money.parse_money(form) == amount, form


def test_spec_examples_of_twelve_million() -> None:
    for form in (12000000, "12,000,000", "¥12,000,000.00", "1200万", "1,200万元", "0.12亿"):
        assert money.parse_money(form) == Decimal(12_000_000)
    assert money.parse_money("1.2亿") == Decimal(120_000_000)
    assert money.parse_money("1.2345678901亿") == Decimal("123456789.01")  # to the fen in 亿


@PROPERTY
@given(st.decimals(min_value=0, max_value=LIMIT, places=2))
def test_formatted_amounts_read_back(amount: Decimal) -> None:
    for text in (
        money.format_money(amount),
        money.format_plain(amount),
        money.format_money_zh(amount).replace(" ", ""),
    ):
        assert money.parse_money(text) == amount


def _general_path(text: str) -> Decimal | str:
    """parse_money's general path alone (folding, stripping, every check), or "refused"."""
    try:
        return money._check_money(money._parse_money_text(text), text)
    except MoneyError:
        return "refused"


@deterministic(2000)
@given(st.text(alphabet="0123456789,.万亿¥元", min_size=1, max_size=24))
def test_the_fast_path_for_plain_amounts_agrees_with_the_general_one(text: str) -> None:
    try:
        fast: Decimal | str = money.parse_money(text)
    except MoneyError:
        fast = "refused"
    general = _general_path(text)
    assert fast == general
    assert str(fast) == str(general)  # the same exponent too: "12.50" stays 12.50
