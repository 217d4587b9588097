"""The second policy's constructs on DuckDB, equal to the Python engine byte for byte: a `range`
(its maximum in the sums, its minimum unknown leaves it unknown), `case_by_case`, `schedule`s of
years (with and without `year`), payment `stages`, `waits_for`, `not_with` (就高不重复), quantities
(per 亩), and policies not in force on the day (computed, out of the total).

Generated profiles over the bundled Liuhe policy, on a day it is in force and one it is not,
alone, beside a policy that stacks with it, and under overrides; generated policies that use each
construct; half-fen ties and the parsers' limits. Then the compiler is broken on purpose, once per
pitfall (half-even rounding, LEAST without its NULL guard, an ELSE default, a tie paid to the
second article, a wait that ignores an unknown condition), and the differential tests are shown
to catch each.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from subsidycli import engine, sql
from subsidycli.policy import Input, Policy, combine, load_policy
from subsidycli.policy.load import load_policy_for
from subsidycli.sql import cells as sqlcells
from subsidycli.sql import compile as compiled
from tests.conftest import deterministic
from tests.test_batch_properties import INPUTS, POLICY_HEAD
from tests.test_sql import engines_agree

IN_FORCE, LAPSED = "2024-06-01", "2027-01-01"  # Liuhe: 2023-02-08 to 2026-02-07

# Cells around the Liuhe policy's thresholds (200万 per 亩, 500万, 1000万, 2000万, 3000万, 5000万,
# 1亿), half-fen ties (0.5% of 1000万 + 1 元 is 0.005 元) and the parsers' limits; blank is unknown.
MONEY = ["0", "1", "10万", "99999.99", "200万", "1999999.99", "500万", "5000000.01", "1000万",
         "10000001", "10000000.5", "10000003", "2000万", "20000000.01", "3000万", "5000万",
         "50000000.01", "1亿", "100000000.01", "3亿", "999999999999999.99999999",
         "1000000000000000", "", "1,000万", "0.005", 12_000_000, "0.00000001"]  # fmt: skip
YEARS = ["0", "1", "2", "3", "5", "6", "1000000", "", 2]
COUNTS = ["0", "1", "2", "999999", "1000000", "", 2]
QUANTITIES = ["0", "99.999999", "100", "250.25", "500", "500.000001", "1000", "999999999",
              "1000000000", "0.000001", "", 3]  # fmt: skip
BOOLS = ["true", "true", "false", "yes", "是", "否", True, False, ""]
RATES = ["0.5", "0.15", "1", "15%", "0.0000000001", ""]
# Cells the parsers refuse, or read otherwise than SQL would: drawn now and then (a record with
# one fails as a whole, in both engines alike).
ODD = ["-5", "x", "1000000000000001", "0.000000001", "1000001", "-1", "3项", "2.5亩", "maybe",
       "1000000001", "0.00000000001", "2", " 企 业 ", "nobody", "1年"]  # fmt: skip


def _years(policy: Policy) -> set[str]:
    return {a.year for a in policy.articles if a.year}


def _pool(policy: Policy, name: str) -> list[Any]:
    item = policy.inputs[name]
    if item.type == "choice":
        words = [c["value"] for c in item.choices]
        return [*words, *words, *(c["zh"] for c in item.choices)]
    if item.type == "text":
        return ["acme", "甲公司", ""]
    if name in _years(policy):
        return YEARS
    pools = {"money": MONEY, "count": COUNTS, "bool": BOOLS, "rate": RATES,
             "quantity": QUANTITIES}  # fmt: skip
    return pools[item.type]


@st.composite
def profiles(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    """A profile giving each field with probability 3/4 (enough for articles that read several
    to decide), from values around the thresholds, one in 150 an odd cell; now and then a field
    no policy declares."""
    raw = {}
    for name in policy.inputs:  # (sampled_from: integers() would favour 0, their edge)
        if draw(st.sampled_from(range(4))):
            odd = draw(st.sampled_from(range(150))) == 1
            raw[name] = draw(st.sampled_from(ODD if odd else _pool(policy, name)))
    if draw(st.sampled_from(range(30))) == 1:
        raw["no_such_field"] = "1"
    return raw


def _liuhe(day: str, overrides: dict[str, str] | None = None) -> Policy:
    return load_policy_for(["liuhe-2023"], overrides, day)


LIUHE = {day: _liuhe(day) for day in (IN_FORCE, LAPSED)}


def test_the_liuhe_policy_compiles_with_every_construct() -> None:
    """Liuhe uses each construct: the compiler knows them all, and the policy is lapsed on the
    one day and not the other."""
    policy = LIUHE[IN_FORCE]
    bases = {a.basis for a in policy.articles}
    assert {"range", "case_by_case", "unspecified"} <= bases
    assert any(a.year for a in policy.articles) and policy.waits
    assert any(a.schedule and not a.year for a in policy.articles)
    assert any(a.payment for a in policy.articles)
    assert not policy.lapsed and LIUHE[LAPSED].lapsed == {"liuhe-2023"}
    query = sql.compile_summary(policy)
    assert "w" + str(policy.waits[0][0]) in query.sql  # the wait's condition, per row


@deterministic(12)
@given(raws=st.lists(profiles(LIUHE[IN_FORCE]), min_size=1, max_size=25),
       day=st.sampled_from([IN_FORCE, LAPSED]), assume_no=st.booleans())  # fmt: skip
def test_duckdb_equals_python_on_liuhe(raws: list[dict[str, Any]], day: str,
                                       assume_no: bool) -> None:  # fmt: skip
    engines_agree(LIUHE[day], raws, assume_no=assume_no)


LIUHE_OVERRIDES = [
    {"performance-reward.max": "30万"},
    {"fixed-asset-industrial.high": "25%", "fixed-asset-industrial.floor": "500万"},
    {"hq-economy.r3": "95%"},
    {"fiscal-growth.when": "annual_tax_paid > tax_floor"},
    {"output-growth.rate": "0.6%"},
    {"gap-planting-base.r2": "250"},
    {"tech-upgrade.max": "60万"},
]


@deterministic(8)
@given(data=st.data(), which=st.integers(0, len(LIUHE_OVERRIDES) - 1),
       day=st.sampled_from([IN_FORCE, LAPSED]))  # fmt: skip
def test_duckdb_equals_python_on_liuhe_overrides(data: st.DataObject, which: int,
                                                 day: str) -> None:  # fmt: skip
    policy = _liuhe(day, LIUHE_OVERRIDES[which])
    raws = data.draw(st.lists(profiles(policy), min_size=1, max_size=15))
    engines_agree(policy, raws, baseline=LIUHE[day])


# A policy of another level that pays one of Liuhe's rewards too (就高不重复 between them).
CITY = """
[policy]
id = "tonghua-2024"
title = {{ zh = "通化市奖励", en = "Tonghua rewards" }}
issuer = {{ zh = "通化市", en = "Tonghua" }}
region = {{ zh = "通化市", en = "Tonghua" }}
effective_from = 2024-01-01
stacking = "highest"

[[sections]]
id = "1"
title = {{ zh = "奖励", en = "Rewards" }}

[[inputs]]
name = "applicant_type"
type = "choice"
label = {{ zh = "申报主体类型", en = "Type of applicant" }}
choices = [
  {{ value = "enterprise", zh = "企业", en = "Enterprise" }},
  {{ value = "university", zh = "高等院校", en = "University" }},
  {{ value = "research_institute", zh = "科研院所", en = "Research institute" }},
  {{ value = "new_rd_institution", zh = "新型研发机构", en = "New R&D institution" }},
  {{ value = "other", zh = "其他", en = "Other" }},
]
default = "enterprise"

[[inputs]]
name = "high_tech_first"
type = "bool"
label = {{ zh = "初次认定为国家高新技术企业", en = "First recognised as high-tech" }}

[[inputs]]
name = "city_share"
type = "money"
label = {{ zh = "市级分担额", en = "City share" }}

[[articles]]
id = "high-tech-city"
section = "1"
title = {{ zh = "高新技术企业市级奖励", en = "City high-tech reward" }}
who = ["enterprise"]
basis = "{basis}"
when = "high_tech_first"
{amount}
not_with = ["liuhe-2023:high-tech-first", "liuhe-2023:tech-center-provincial"]
source = "对初次认定为国家高新技术企业的，给予奖励。"
"""
CITY_AMOUNTS = [("exact", 'amount = "city_share"'),
                ("up_to", 'values = { limit = "20万" }\namount = "min(city_share, limit)"'),
                ("case_by_case", ""), ("unspecified", "")]  # fmt: skip


@deterministic(10)
@given(data=st.data(), which=st.integers(0, len(CITY_AMOUNTS) - 1),
       day=st.sampled_from(["2023-06-01", IN_FORCE, LAPSED]))  # fmt: skip
def test_duckdb_equals_python_on_articles_not_paid_together(
    tmp_path_factory: Any, data: st.DataObject, which: int, day: str
) -> None:
    """Liuhe beside a city policy that pays the same reward: the higher is paid (Liuhe's on a
    tie, listed first), an unknown makes the other unknown, an amount not stated excludes
    nothing, and on a day one of them is not in force, the pair is not settled."""
    basis, amount = CITY_AMOUNTS[which]
    path = Path(tmp_path_factory.mktemp("city")) / "tonghua-2024.toml"
    path.write_text(CITY.format(basis=basis, amount=amount), encoding="utf-8")
    policy = load_policy_for(["liuhe-2023", str(path)], None, day)
    assert policy.pairs
    city_share = ["10万", "20万", "20万", "30万", "199999.995", "", "x"]
    raws = []
    for raw in data.draw(st.lists(profiles(LIUHE[IN_FORCE]), min_size=1, max_size=15)):
        for name, pool in (("high_tech_first", BOOLS), ("city_share", city_share),
                           ("provincial_tech_center_first", BOOLS)):  # fmt: skip
            raw[name] = data.draw(st.sampled_from(pool))
        raws.append(raw)
    engines_agree(policy, raws)


# ---------------------------------------------------------------------------------------------
# Generated policies: each construct, drawn at random, over the generated policies' inputs and a
# quantity and a year.

NEW_INPUTS = [*INPUTS, ("q1", "quantity", None), ("y1", "count", None)]
VALUES = ('values = { threshold = "1000万", top = "20万", rate = "0.5%", low = "0.1%", '
          'per = "100元/亩", small = 100 }')  # fmt: skip
WHENS = [None, "m1 >= threshold", "b1", "c1 >= 1", "not b1 or m2 > 0", "r2 > 0.2",
         "q1 >= small", "name == 'acme'"]  # fmt: skip
AMOUNTS = ["r2 * m2", "top", "m1 - m2", "rate * m1", "min(m1, m2) * r1", "per * q1"]
CAPS = [None, "top", "min(top, m1 * r1)", "max(top, m2 * r2)"]
TIERS = ['{ when = "m1 >= threshold", amount = "top" }, { when = "b2", amount = "rate * m2" }, '
         '{ amount = "rate * m1" }',
         '{ when = "q1 > 500", amount = "per * q1 * 2" }, { when = "q1 >= small", '
         'amount = "per * q1" }']  # fmt: skip
SCHEDULES = [  # (rows, whether the rows pay without the article's own amount)
    ('[{ from = 1, to = 2, amount = "rate * m1" }, { from = 3, to = 5, amount = "low * m1" }]',
     True),
    ("[{ from = 1, to = 5 }]", False),
    ('[{ from = 1, amount = "top" }, { from = 2, to = 3 }, { from = 5 }]', False),
]


def _inputs_toml(policy_id: str, lapsed_dates: bool) -> str:
    head = POLICY_HEAD.replace('id = "generated"', f'id = "{policy_id}"\nstacking = "highest"')
    if lapsed_dates:
        head = head.replace("[[sections]]", "effective_from = 2020-01-01\n"
                            "effective_to = 2020-12-31\n\n[[sections]]", 1)  # fmt: skip
    parts = [head]
    for name, kind, default in NEW_INPUTS:
        parts.append(f'[[inputs]]\nname = "{name}"\ntype = "{kind}"\nsection = "1"\n'
                     f'label = {{ zh = "字段{name}", en = "Field {name}" }}')  # fmt: skip
        if kind == "choice":
            parts.append('choices = [{ value = "enterprise", zh = "企业", en = "Enterprise" }, '
                         '{ value = "university", zh = "高校", en = "University" }]')  # fmt: skip
        if default:
            parts.append(f"default = {default}")
    return "\n".join(parts) + "\n"


@st.composite
def new_article(draw: st.DrawFn, policy_id: str, i: int, n: int, others: list[str]) -> str:
    """Article a{i} of n: a range, case by case, by a schedule of years, or as before; perhaps
    waiting for others of the policy, perhaps not paid together with others (of either)."""
    kind = draw(st.sampled_from(["range", "case_by_case", "year", "total", "tiers", "plain"]))
    who = draw(st.sampled_from(["any", "enterprise", "university"]))
    lines = ["[[articles]]", f'id = "a{i}"', 'section = "1"',
             f'title = {{ zh = "条{i}", en = "Article {i}" }}', f'who = ["{who}"]', VALUES,
             f'source = "第{i}条。"']  # fmt: skip
    when = draw(st.sampled_from(WHENS))
    if when:
        lines.append(f'when = "{when}"')
    cap = draw(st.sampled_from(CAPS))
    if kind == "range":
        lines += ['basis = "range"', f'amount = "{draw(st.sampled_from(AMOUNTS))}"',
                  f'minimum = "{draw(st.sampled_from(["low * m1", "m2", "per * q1", "top"]))}"']
    elif kind == "case_by_case":
        lines.append('basis = "case_by_case"')
        cap = draw(st.sampled_from([None, "top", "m1 * rate"]))
    elif kind == "year":
        rows, paying = draw(st.sampled_from(SCHEDULES))
        basis = draw(st.sampled_from(["up_to", "exact", "range"]))
        lines += [f'basis = "{basis}"', 'year = "y1"', f"schedule = {rows}"]
        if basis == "range":
            lines += ['amount = "rate * m1"', 'minimum = "low * m1"']
        elif not paying or draw(st.booleans()):
            if draw(st.booleans()):
                lines.append(f"tiers = [{draw(st.sampled_from(TIERS))}]")
            else:
                lines.append(f'amount = "{draw(st.sampled_from(AMOUNTS))}"')
    elif kind == "total":  # a schedule without `year`: how the total is paid out
        lines += ['basis = "exact"', 'amount = "top"', 'schedule = [{ from = 1, amount = '
                  '"top * 0.5" }, { from = 2, amount = "top * 0.5" }]']  # fmt: skip
    elif kind == "tiers":
        lines += ['basis = "exact"', f"tiers = [{draw(st.sampled_from(TIERS))}]"]
    else:
        basis = draw(st.sampled_from(["up_to", "exact", "tax_deduction", "unspecified"]))
        lines.append(f'basis = "{basis}"')
        if basis != "unspecified":
            lines.append(f'amount = "{draw(st.sampled_from(AMOUNTS))}"')
        if basis == "tax_deduction":
            lines.append('tax_saving = "amount * r1"')
        if basis in ("tax_deduction", "unspecified"):
            cap = None
    if cap and kind != "total":
        lines.append(f'cap = "{cap}"')
    if draw(st.booleans()):
        lines.append(f'count = "{draw(st.sampled_from(["c1", "c2"]))}"')
    mine = [f"a{k}" for k in range(n) if k != i]
    if mine and draw(st.integers(0, 2)) == 0:
        waited = draw(st.lists(st.sampled_from(mine), min_size=1, max_size=3, unique=True))
        held = draw(st.sampled_from([None, "b1", "m2 > 0", "c1 >= 1"]))
        condition = f'when = "{held}", ' if held else ""
        lines.append(f"waits_for = {{ {condition}articles = {json.dumps(waited)} }}")
    partners = [f"{policy_id}:{a}" for a in mine] + others
    if partners and draw(st.integers(0, 1)) == 0:
        pair = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=3, unique=True))
        lines.append(f"not_with = {json.dumps(pair)}")
    return "\n".join(lines)


@st.composite
def new_policy_text(draw: st.DrawFn, policy_id: str, others: list[str]) -> str:
    lapsed = draw(st.integers(0, 3)) == 0
    n = draw(st.integers(1, 5))
    parts = [_inputs_toml(policy_id, lapsed)]
    parts += [draw(new_article(policy_id, i, n, others)) for i in range(n)]
    paid = draw(st.lists(st.sampled_from([f"a{i}" for i in range(n)]), max_size=2, unique=True))
    stages = ""
    if paid:  # the clause on payment: stages of the amounts of some articles
        stages = ('stages = [{ share = "30%", stage = { zh = "封闭", en = "closed" } }, '
                  '{ share = "70%", stage = { zh = "验收", en = "accepted" } }]\n'
                  f"applies_to = {json.dumps(paid)}\n")  # fmt: skip
    parts.append('[[articles]]\nid = "info"\nsection = "1"\ntitle = { zh = "说明", en = "Info" }\n'
                 f'who = ["any"]\nbasis = "info"\n{stages}source = "说明。"')  # fmt: skip
    return "\n".join(parts) + "\n"


def _load(folder: Path, name: str, text: str) -> Policy:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


@deterministic(25)
@given(data=st.data())
def test_duckdb_equals_python_on_generated_policies_of_the_second_kind(
    tmp_path_factory: Any, data: st.DataObject
) -> None:
    """Ranges, case by case, schedules, stages, waits and pairs not paid together (within one
    policy and across two, one of which may be lapsed), quantities, counts, caps, tax items."""
    folder = Path(tmp_path_factory.mktemp("policy"))
    second = [f"gen-b:a{k}" for k in range(3)]
    policy = _load(folder, "gen-a", data.draw(new_policy_text("gen-a", second)))
    if data.draw(st.booleans()):
        other = _load(folder, "gen-b", data.draw(new_policy_text("gen-b", ["gen-a:a0"])))
        policy = combine([policy, other])
    lapsed = data.draw(st.sets(st.sampled_from([p.id for p in policy.files])))
    policy = dataclasses.replace(policy, lapsed=frozenset(lapsed))
    sql.compile_summary(policy)  # every construct is known: nothing is refused
    raws = data.draw(st.lists(profiles(policy), min_size=1, max_size=20))
    engines_agree(policy, raws, assume_no=data.draw(st.booleans()))


# ---------------------------------------------------------------------------------------------
# Each construct, by hand: what a summary shows.

HEAD = _inputs_toml("one", False)


def _policy(tmp_path: Path, *articles: str) -> Policy:
    text = HEAD + "".join(
        f'[[articles]]\nid = "a{i}"\nsection = "1"\ntitle = {{ zh = "条{i}", en = "A{i}" }}\n'
        f'who = ["any"]\nsource = "条。"\n{lines}\n' for i, lines in enumerate(articles))
    return _load(tmp_path, "one", text)


def _rows(shown: str) -> list[tuple[Any, ...]]:
    data = json.loads(shown)
    return [(a["eligible"], a["needs_info"], a["amount"]) for a in data["articles"]]


def test_a_range_sums_its_maximum_and_needs_its_minimum(tmp_path: Path) -> None:
    """A range pays from `minimum` to `amount`: the summary adds the maximum, and a record
    whose minimum is unknown (m2) needs information though its maximum is known."""
    policy = _policy(tmp_path, 'basis = "range"\namount = "m1"\nminimum = "m2"\n')
    shown = engines_agree(policy, [{"m1": "100", "m2": "10"}, {"m1": "50"}])
    assert _rows(shown) == [(1, 1, "100.00")] and json.loads(shown)["total"] == "100.00"


def test_case_by_case_counts_and_adds_nothing(tmp_path: Path) -> None:
    """Case by case: eligible and needs-info counted, no amount (—), nothing in the total; an
    unknown ceiling (the cap) needs information."""
    policy = _policy(tmp_path, 'basis = "case_by_case"\nwhen = "b1"\ncap = "m1"\n')
    shown = engines_agree(policy, [{"b1": "true", "m1": "5"}, {"b1": "true"}, {"b1": "false"}])
    assert _rows(shown) == [(1, 1, None)] and json.loads(shown)["total"] == "0.00"


def test_a_schedule_pays_the_year_s_row_and_not_the_years_it_does_not_hold(tmp_path: Path) -> None:
    """Years 1–2 pay 0.5% of m1, years 3–5 the tiers (which fail here): year 6 and year 0 are not
    eligible, an unknown year needs information, year 3 with no tier holding is not eligible."""
    policy = _policy(tmp_path, 'basis = "up_to"\nyear = "y1"\nvalues = { rate = "0.5%" }\n'
                     'schedule = [{ from = 1, to = 2, amount = "rate * m1" }, '
                     '{ from = 3, to = 5 }]\n'
                     'tiers = [{ when = "b1", amount = "m2" }]\n')  # fmt: skip
    raws = [{"y1": "1", "m1": "1"}, {"y1": "2", "m1": "3"}, {"y1": "6", "m1": "1"},
            {"y1": "0", "m1": "1"}, {"m1": "1"}, {"y1": "3", "b1": "false", "m1": "1"},
            {"y1": "4", "b1": "true", "m2": "7"}]  # fmt: skip
    shown = engines_agree(policy, raws)
    assert _rows(shown) == [(3, 1, "7.03")]  # 0.005 → 0.01, 0.015 → 0.02 (half-up), and 7


def test_a_waiting_article_is_not_paid_while_one_it_waits_for_pays(tmp_path: Path) -> None:
    """a1 waits for a0 while b1: a0 pays → a1 not eligible; a0 unknown → a1 unknown; b1
    unknown and a0 paying → a1 unknown; b1 false → a1 paid."""
    policy = _policy(tmp_path, 'basis = "exact"\namount = "m1"\n',
                     'basis = "exact"\namount = "m2"\n'
                     'waits_for = { when = "b1", articles = ["a0"] }\n')  # fmt: skip
    raws = [{"b1": "true", "m1": "1", "m2": "2"}, {"b1": "true", "m2": "2"},
            {"m1": "1", "m2": "2"}, {"b1": "false", "m1": "1", "m2": "2"}]  # fmt: skip
    shown = engines_agree(policy, raws)
    assert _rows(shown) == [(3, 1, "3.00"), (1, 2, "2.00")]
    assert json.loads(shown)["total"] == "5.00"


def test_of_two_not_paid_together_the_higher_is_paid_the_first_on_a_tie(tmp_path: Path) -> None:
    """就高不重复: the higher rounded amount is paid, the article listed first on a tie; an
    unknown amount makes the other unknown; not in the total twice."""
    policy = _policy(tmp_path, 'basis = "exact"\namount = "m1"\nnot_with = ["one:a1"]\n',
                     'basis = "exact"\namount = "m2"\n')  # fmt: skip
    raws = [{"m1": "5", "m2": "5"}, {"m1": "5", "m2": "5.001"}, {"m1": "1", "m2": "9"},
            {"m1": "1"}]  # fmt: skip
    shown = engines_agree(policy, raws)
    assert _rows(shown) == [(2, 1, "10.00"), (1, 1, "9.00")]
    assert json.loads(shown)["total"] == "19.00"


def test_a_lapsed_policy_is_summed_but_not_in_the_total(tmp_path: Path) -> None:
    policy = _policy(tmp_path, 'basis = "exact"\namount = "m1"\nnot_with = ["one:a1"]\n',
                     'basis = "exact"\namount = "m2"\n')  # fmt: skip
    lapsed = dataclasses.replace(policy, lapsed=frozenset({"one"}))
    shown = json.loads(engines_agree(lapsed, [{"m1": "5", "m2": "7"}]))
    assert [a["amount"] for a in shown["articles"]] == ["5.00", "7.00"]  # no pair settled
    assert shown["total"] == "0.00" and all(a["in_force"] is False for a in shown["articles"])


def test_an_amount_per_mu_at_the_quantity_s_limits(tmp_path: Path) -> None:
    """100元/亩 × a quantity of up to 10^9 亩 with 6 places: exact, half-up to the fen."""
    policy = _policy(tmp_path, 'basis = "exact"\nvalues = { per = "100.005元/亩" }\n'
                     'amount = "per * q1"\n')  # fmt: skip
    raws = [{"q1": "999999999.999999"}, {"q1": "0.000001"}, {"q1": "1"}, {"q1": "1000000001"}]
    shown = json.loads(engines_agree(policy, raws, assume_no=True))
    assert shown["failed"] == 1
    # 100,004,999,999.999899995 → …000.00, 0.000100005 → 0.00, 100.005 → 100.01 (half-up)
    assert shown["total"] == "100005000100.01"


def test_the_minimum_s_bound_is_checked_like_the_amount_s(tmp_path: Path) -> None:
    """A minimum that could reach 10^24 元 (where the engine refuses the record) is refused at
    compile time, as an amount would be."""
    policy = _policy(tmp_path, 'basis = "range"\namount = "m1"\nminimum = "m1 * c1 * c2"\n')
    with pytest.raises(sql.Unsupported, match="10\\^24"):
        sql.compile_summary(policy)


def test_a_new_field_of_a_schedule_row_or_a_wait_is_refused(tmp_path: Path) -> None:
    """A field the compiler was not taught, on a schedule's row or a wait, is refused."""

    @dataclasses.dataclass(frozen=True)
    class Row:
        first: int
        last: int
        amount: Any
        share: Decimal = Decimal(1)

    policy = _policy(tmp_path, 'basis = "exact"\namount = "m1"\nyear = "y1"\n'
                     'schedule = [{ from = 1 }]\n')  # fmt: skip
    article = dataclasses.replace(policy.articles[0], schedule=(Row(1, 1, None, Decimal(2)),))
    with pytest.raises(sql.Unsupported, match="schedule.share"):
        sql.compile_summary(dataclasses.replace(policy, articles=(article,)))


# ---------------------------------------------------------------------------------------------
# The compiler broken on purpose: each pitfall of issue 23 is caught by the differential tests.


def _fails(check: Any, *args: Any) -> None:
    with pytest.raises(AssertionError):
        check(*args)


def test_half_even_rounding_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import test_sql

    def half_even(value: compiled.Sql) -> str:
        assert value.digits is not None
        text = f"ROUND_EVEN({compiled._cast(value, value.digits)}, 2)"
        return f"CAST({text} AS {compiled._decimal(value.digits[0] + 1, 2)})"

    test_sql.test_half_fen_ties_round_half_up(tmp_path)
    monkeypatch.setattr(compiled, "_fen", half_even)
    _fails(test_sql.test_half_fen_ties_round_half_up, tmp_path)


def test_least_without_its_null_guard_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import test_sql

    def unguarded(self: compiled._Expressions, node: Any) -> compiled.Sql:
        args = [self.node(a) for a in node.args]
        shape = compiled._wider(*(a.digits for a in args))
        function = "LEAST" if node.name == "min" else "GREATEST"
        inner = ", ".join(compiled._cast(a, shape) for a in args)
        return compiled.Sql(f"{function}({inner})", "number", shape, max(a.bound for a in args))

    test_sql.test_an_unknown_argument_of_min_leaves_the_amount_unknown(tmp_path)
    monkeypatch.setattr(compiled._Expressions, "_call", unguarded)
    _fails(test_sql.test_an_unknown_argument_of_min_leaves_the_amount_unknown, tmp_path)


def test_an_else_default_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import test_sql

    original = compiled._default

    def with_else(item: Any, expressions: Any, shapes: Any) -> str:
        text = original(item, expressions, shapes)
        return text.replace(" IS FALSE THEN", " IS NOT TRUE THEN") if item.default_if else text

    test_sql.test_an_unknown_condition_of_a_default_leaves_the_value_unknown(tmp_path)
    monkeypatch.setattr(compiled, "_default", with_else)
    _fails(test_sql.test_an_unknown_condition_of_a_default_leaves_the_value_unknown, tmp_path)


def test_a_tie_paid_to_the_second_article_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compiled._stacked

    def strict(i: int, j: int, cash_i: bool, cash_j: bool) -> dict[str, str]:
        return {k: v.replace(" >= ", " > ") for k, v in original(i, j, cash_i, cash_j).items()}

    test_of_two_not_paid_together_the_higher_is_paid_the_first_on_a_tie(tmp_path)
    monkeypatch.setattr(compiled, "_stacked", strict)
    _fails(test_of_two_not_paid_together_the_higher_is_paid_the_first_on_a_tie, tmp_path)


def test_a_wait_that_takes_an_unknown_condition_as_false_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compiled._waiting

    def lenient(n: int, waited: list[int], held: bool) -> str:
        return original(n, waited, held).replace(" IS FALSE THEN", " IS NOT TRUE THEN")

    test_a_waiting_article_is_not_paid_while_one_it_waits_for_pays(tmp_path)
    monkeypatch.setattr(compiled, "_waiting", lenient)
    _fails(test_a_waiting_article_is_not_paid_while_one_it_waits_for_pays, tmp_path)


def test_the_generated_liuhe_profiles_catch_a_schedule_that_ignores_the_year(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not only the cases written for it: the generated Liuhe profiles catch a compiler that
    pays every year of a schedule (the 6th year of 连续5年 too)."""
    original = compiled._year_rows

    def every_year(article: Any, expressions: Any) -> Any:
        year, rows = original(article, expressions)
        return year, [(f"({held} OR TRUE)", pays) for held, pays in rows]

    monkeypatch.setattr(compiled, "_year_rows", every_year)
    quick = settings(deterministic(12), phases=[Phase.generate])  # the failure, not shrunk
    rerun = quick(given(raws=st.lists(profiles(LIUHE[IN_FORCE]), min_size=1, max_size=25),
                        day=st.sampled_from([IN_FORCE, LAPSED]), assume_no=st.booleans())(
        test_duckdb_equals_python_on_liuhe.hypothesis.inner_test))  # type: ignore[attr-defined]
    _fails(rerun)


def test_the_engine_total_leaves_out_what_the_summary_leaves_out() -> None:
    """The reference the tests compare with: on a lapsed day the engine's total is 0.00 while
    the articles still pay (so a total that forgot `uncounted` would show)."""
    policy = LIUHE[LAPSED]
    profile = {"high_tech_first": True, "applicant_type": "enterprise"}
    evaluation = engine.evaluate(policy, profile)
    paid = [r for r in evaluation.results if r.article == "high-tech-first"]
    assert paid[0].amount == Decimal("200000.00") and evaluation.total == Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Cells: which the database casts itself (canonical text), which go through the Python parser.


def test_plain_decimals_within_the_bounds_are_cast_by_the_database() -> None:
    """A plain decimal within its parser's bounds and the column's places goes to SQL as it is;
    `1200万`, a grouped number, too many places or digits go through the Python parser (None)."""
    policy = LIUHE[IN_FORCE]
    cases = {
        "fixed_asset_investment": {"12000000": "12000000", "0.01": "0.01",
                                   "1200万": None, "1,200": None, "1000000000000000": None},
        "class1_drug_products": {"3": "3", "999999": "999999", "3项": None, "1.5": None},
        "gap_base_area": {"500.5": "500.5", "999999999": "999999999", "500亩": None},
    }  # fmt: skip
    for name, cells in cases.items():
        cast = sqlcells.canonical(policy.inputs[name])
        assert {cell: cast(cell) for cell in cells} == cells, name
        assert cast(3) is None  # not text: the parser reads it
    narrow = sqlcells.canonical(policy.inputs["fixed_asset_investment"], (16, 2))
    assert (narrow("1.25"), narrow("1.255")) == ("1.25", None)  # more places than the column


def test_rates_words_and_choices_as_the_policy_lists_them() -> None:
    generated = load_policy_for(None)  # the default policy: a rate input
    rate = next(i for i in generated.inputs.values() if i.type == "rate")
    cast = sqlcells.canonical(rate)
    assert (cast("0.15"), cast("1"), cast("15%")) == ("0.15", None, None)
    policy = LIUHE[IN_FORCE]
    yes_no = sqlcells.canonical(policy.inputs["high_tech_first"])
    assert (yes_no("true"), yes_no("no"), yes_no("maybe")) == ("true", "false", None)
    choice = sqlcells.canonical(policy.inputs["project_type"])
    assert (choice("industrial"), choice("nobody")) == ("industrial", None)


# ---------------------------------------------------------------------------------------------
# The compiler's own rules, each stated (mutants of sql.compile that survived the tests above).


def test_a_rate_below_one_times_money_at_the_parser_s_limit(tmp_path: Path) -> None:
    """0.5% × 10^15 元 (the most money the parser reads): the product's integer digits are
    fewer than the money's, and the money must still be cast wide enough to hold it."""
    policy = _policy(tmp_path, 'basis = "up_to"\nvalues = { rate = "0.5%" }\n'
                     'amount = "rate * m1"\n')  # fmt: skip
    shown = json.loads(engines_agree(policy, [{"m1": "1000000000000000"}, {"m1": "1"}]))
    assert shown["total"] == "5000000000000.01"


def test_a_cap_wider_than_the_amount_is_not_cut_to_the_amount_s_digits(tmp_path: Path) -> None:
    """A constant amount (20万: six digits, no places) capped by money (16 digits, 8 places):
    the cap keeps its places (0.50, not 1) and its digits (no overflow at 1234万)."""
    policy = _policy(tmp_path, 'basis = "up_to"\nvalues = { top = "20万" }\namount = "top"\n'
                     'cap = "m1"\n')  # fmt: skip
    raws = [{"m1": "0.5"}, {"m1": "12345678.5"}, {"m1": "0.004"}]
    assert json.loads(engines_agree(policy, raws))["total"] == "200000.50"


@pytest.mark.parametrize(("k", "refused"), [("1000", True), ("999", False)])
def test_an_amount_that_could_reach_ten_to_the_24_is_refused(tmp_path: Path, k: str,
                                                              refused: bool) -> None:  # fmt: skip
    """10^15 元 × a count of 10^6 × 1000 is 10^24 exactly, which `round_fen` refuses: refused at
    compile time; × 999 stays below, and compiles."""
    policy = _policy(tmp_path, f'basis = "up_to"\nvalues = {{ k = {k} }}\namount = "m1 * c1 * k"\n')
    if refused:
        with pytest.raises(sql.Unsupported, match="10\\^24"):
            sql.compile_summary(policy)
    else:
        assert sql.compile_summary(policy).sql


def test_a_negated_amount(tmp_path: Path) -> None:
    """Unary minus: m1 + -m2, below zero counted as 0."""
    policy = _policy(tmp_path, 'basis = "up_to"\namount = "m1 + -m2"\n')
    raws = [{"m1": "5", "m2": "2"}, {"m1": "1", "m2": "2"}, {"m1": "1"}]
    shown = json.loads(engines_agree(policy, raws))
    assert (shown["total"], shown["articles"][0]["needs_info"]) == ("3.00", 1)


def test_new_fields_are_refused_by_name_and_kept_defaults_are_not(tmp_path: Path) -> None:
    """A field the compiler was not taught is refused, naming where it is (`inputs.share`);
    at its default (a default factory's too) it changes nothing and the policy compiles."""
    policy = _policy(tmp_path, 'basis = "up_to"\namount = "m1"\n')

    @dataclasses.dataclass(frozen=True)
    class Later(Input):
        share: tuple[str, ...] = dataclasses.field(default_factory=tuple)

    item = policy.inputs["m1"]
    fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    for value, refused in (((), False), (("x",), True)):
        inputs = {**policy.inputs, "m1": Later(**fields, share=value)}
        changed = dataclasses.replace(policy, inputs=inputs)
        if refused:
            with pytest.raises(sql.Unsupported, match="inputs\\.share"):
                sql.compile_summary(changed)
        else:
            assert sql.compile_summary(changed).sql == sql.compile_summary(policy).sql


def test_a_count_times_a_rate_of_zero(tmp_path: Path) -> None:
    """A what-if's 0% (`--override …rate=0%`) × a count: the product is known to be 0 (one
    digit), yet the count must be cast as wide as its own 7 digits before it is multiplied."""
    policy = _policy(tmp_path, 'basis = "up_to"\nvalues = { rate = "0%", top = "20万" }\n'
                     'amount = "c1 * rate * top"\n')  # fmt: skip
    raws = [{"c1": "1000000"}, {"c1": "12"}, {"c1": "1"}]
    assert json.loads(engines_agree(policy, raws))["total"] == "0.00"
