"""What the second policy taught the policy language: ranges, case by case, schedules of years,
quantities (亩), stages of payment, waits (第12条) and exclusions settled by a stacking rule
(就高不重复), each as a reader of `calc`, `explain` and `lint` sees it, and each refused with its
line when a file writes it wrong. The law's own cases are tests/cases/liuhe-2023/."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from subsidycli import money
from subsidycli.errors import MoneyError, PolicyError
from subsidycli.policy import load_policy, resolve
from tests.conftest import Run

ON = ("--date", "2024-06-01")  # a day the Liuhe policy was in force
LIUHE = resolve("liuhe-2023")


def _calc(run: Run, *args: str, lang: str = "en") -> dict[str, Any]:
    result = run("calc", "--policy", "liuhe-2023", *ON, "-f", "json", "--lang", lang, *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _sets(**fields: str) -> list[str]:
    return [arg for name, value in fields.items() for arg in ("--set", f"{name}={value}")]


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["article"]: r for r in data["results"]}


# ---------------------------------------------------------------------------------------------
# Ranges, case by case, schedules, quantities, stages: what calc says


def test_a_range_shows_its_least_and_most_and_the_total_counts_the_most(run: Run) -> None:
    data = _calc(run, *_sets(project_type="industrial", fixed_asset_investment="2000万",
                             investment_per_mu="200万"))  # fmt: skip
    result = _by_id(data)["fixed-asset-industrial"]
    assert (result["basis"], result["amount"], result["minimum"]) == (
        "range", "4000000.00", "1000000.00")  # fmt: skip
    assert "5% × 20,000,000.00 = 1,000,000.00" in result["explanation"]
    assert "20% × 20,000,000.00" in result["explanation"]
    assert data["total"] == "4000000.00"
    # Only a range has a `minimum`: every other result keeps its keys as they were.
    assert all("minimum" not in r for r in data["results"] if r["basis"] != "range")


def test_a_range_still_unknown_has_a_minimum_of_null(run: Run) -> None:
    result = _by_id(_calc(run, *_sets(project_type="industrial")))["fixed-asset-industrial"]
    assert (result["status"], result["amount"], result["minimum"]) == ("needs_info", None, None)


def test_case_by_case_is_eligible_without_an_amount_and_never_in_the_total(run: Run) -> None:
    data = _calc(run, *_sets(tech_upgrade_completed="yes", upgrade_equipment_investment="500万",
                             new_key_project="no", generic_consistency_products="3"))  # fmt: skip
    upgrade, generic = _by_id(data)["tech-upgrade"], _by_id(data)["generic-consistency"]
    assert (upgrade["status"], upgrade["amount"], upgrade["cap"]) == (
        "eligible", None, "500000.00")  # fmt: skip
    assert (generic["amount"], generic["cap"], generic["count"]) == (None, "9000000.00", 3)
    assert data["total"] == "0.00"
    assert "case by case" in upgrade["explanation"]


def test_a_schedule_picks_the_year_and_shows_every_year(run: Run) -> None:
    common = _sets(new_key_project="yes", tax_per_mu="10万", local_fiscal_contribution="1000万")
    amounts = {}
    for year in ("1", "2", "3", "5", "6", "0"):
        result = _by_id(_calc(run, *common, "--set", f"performance_year={year}"))
        amounts[year] = result["performance-reward"]["amount"]
    assert amounts == {"1": "8000000.00", "2": "8000000.00", "3": "5000000.00",
                       "5": "5000000.00", "6": "0.00", "0": "0.00"}  # fmt: skip
    zh = _by_id(_calc(run, *common, "--set", "performance_year=3", lang="zh"))
    text = zh["performance-reward"]["explanation"]
    assert text.startswith("第3年：50% × 10,000,000.00")
    assert "第1–2年 80% × 年度地方财政贡献" in text and "第3–5年 50% × 年度地方财政贡献" in text
    late = _by_id(_calc(run, *common, "--set", "performance_year=6", lang="zh"))
    assert late["performance-reward"]["status"] == "not_eligible"
    assert late["performance-reward"]["explanation"] == "第6年不在奖励年度内（第1–2年、第3–5年）"


def test_a_total_paid_over_years_is_the_amount_and_its_years_are_shown(run: Run) -> None:
    result = _by_id(_calc(run, *_sets(newly_in_statistics="services"), lang="zh"))
    services = result["new-above-scale-services"]
    assert services["amount"] == "100000.00"
    assert services["explanation"] == (
        "定额 100,000.00；分年兑付：第1年 50,000.00、第2年 30,000.00、第3年 20,000.00")


def test_an_area_in_mu_is_read_exactly_with_its_decimals_and_its_unit(run: Run) -> None:
    for written, amount in (("120.35", "12035.00"), ("120.35亩", "12035.00"),
                            ("120.35 mu", "12035.00"), ("500", "50000.00"),
                            ("500.01", "100002.00")):  # fmt: skip
        data = _calc(run, *_sets(medicine_enterprise="yes", gap_base_area=written))
        assert _by_id(data)["gap-planting-base"]["amount"] == amount, written
    bad = run("calc", "--policy", "liuhe-2023", *ON, "--set", "gap_base_area=much")
    assert bad.exit_code == 2 and "gap_base_area" in bad.stderr and "120.5" in bad.stderr


@pytest.mark.parametrize(
    ("written", "read"),
    [("120.35亩", "120.35"), ("1,200.5", "1200.5"), (120, "120"), (0.1, "0.1"),
     (Decimal("99.999999"), "99.999999"), (" 85 亩 ", "85")],
)  # fmt: skip
def test_a_quantity_is_an_exact_decimal(written: object, read: str) -> None:
    assert money.parse_quantity(written, ("亩", "mu")) == Decimal(read)


@pytest.mark.parametrize(
    "written", ["-1", "1e3", "abc", "NaN", True, None, 10**9 + 1, "1.0000001", "12,50", "120 公顷"]
)
def test_a_quantity_that_is_not_one_is_refused_saying_what_is(written: object) -> None:
    with pytest.raises(MoneyError) as caught:
        money.parse_quantity(written, ("亩",))
    assert caught.value.message


def test_staged_payment_is_in_the_affected_explanations_and_in_explain(run: Run) -> None:
    data = _calc(run, *_sets(project_type="industrial", fixed_asset_investment="2000万",
                             investment_per_mu="200万"), lang="zh")  # fmt: skip
    staged = _by_id(data)["fixed-asset-industrial"]["explanation"]
    assert "按第21条分阶段兑现：30%/30%/40%" in staged
    shown = run("explain", "fixed-asset-industrial", "--policy", "liuhe-2023", "--lang", "zh")
    assert shown.exit_code == 0, shown.output
    assert "分阶段兑现（第21条）：" in shown.stdout
    assert "40% 正常运营满6个月后（以企业开出第一张发票为起止时间）" in shown.stdout
    schedule = run("explain", "performance-reward", "--policy", "liuhe-2023", "--lang", "zh")
    assert "第1–2年：80% × 年度地方财政贡献" in schedule.stdout


# ---------------------------------------------------------------------------------------------
# Waits (第12条) and exclusions (就高不重复)


def test_fiscal_growth_waits_for_the_article_still_paying_and_names_it(run: Run) -> None:
    base = _sets(production_enterprise="yes", annual_tax_paid="800万",
                 fiscal_contribution_increase="100万")  # fmt: skip
    new = _sets(new_key_project="yes", tax_per_mu="10万", performance_year="2",
                local_fiscal_contribution="1000万")  # fmt: skip
    waiting = _by_id(_calc(run, *base, *new, lang="zh"))["fiscal-growth"]
    assert (waiting["status"], waiting["amount"]) == ("not_eligible", "0.00")
    assert waiting["explanation"] == "待第4条（新建项目绩效奖励）享受完后执行（该条仍可获奖励）"
    old = _by_id(_calc(run, *base, *_sets(new_key_project="no")))["fiscal-growth"]
    assert (old["status"], old["amount"]) == ("eligible", "200000.00")
    unknown = _by_id(_calc(run, *base))["fiscal-growth"]
    assert unknown["status"] == "needs_info" and "new_key_project" in unknown["missing"]


OTHER = """
[policy]
id = "tonghua-2024"
title = {{ zh = "通化市示例奖励办法", en = "Tonghua example rewards" }}
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
{values}
when = "high_tech_first"
{amount}
not_with = ["liuhe-2023:high-tech-first"]
source = "对初次认定为国家高新技术企业的，给予奖励。"
"""


def _other(tmp_path: Path, basis: str = "exact", amount: str = '"sum"', sum_: str = "30万") -> str:
    values = f'values = {{ sum = "{sum_}" }}' if "sum" in amount else ""
    line = f"amount = {amount}" if basis != "case_by_case" else ""
    path = tmp_path / "tonghua-2024.toml"
    path.write_text(OTHER.format(basis=basis, values=values, amount=line), encoding="utf-8")
    return str(path)


def _both(run: Run, other: str, *args: str, day: str = "2024-06-01") -> dict[str, Any]:
    result = run("calc", "--policy", "liuhe-2023", "--policy", other, "--date", day, "-f", "json",
                 "--set", "high_tech_first=yes", *args)  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_higher_of_two_articles_not_paid_together_is_paid(run: Run, tmp_path: Path) -> None:
    data = _both(run, _other(tmp_path))
    county, city = _by_id(data)["high-tech-first"], _by_id(data)["high-tech-city"]
    assert (city["status"], city["amount"]) == ("eligible", "300000.00")
    assert (county["status"], county["amount"]) == ("not_eligible", "0.00")
    assert "City high-tech reward" in county["explanation"]
    assert "300,000.00" in county["explanation"]
    assert data["total"] == "300000.00"  # nothing is added twice


def test_a_tie_pays_the_article_listed_first(run: Run, tmp_path: Path) -> None:
    data = _both(run, _other(tmp_path, sum_="20万"))
    county, city = _by_id(data)["high-tech-first"], _by_id(data)["high-tech-city"]
    assert (county["status"], city["status"]) == ("eligible", "not_eligible")
    assert "第9条" in city["explanation"]
    assert data["total"] == "200000.00"


def test_an_unknown_amount_makes_the_other_wait(run: Run, tmp_path: Path) -> None:
    data = _both(run, _other(tmp_path, amount='"city_share"'))
    county = _by_id(data)["high-tech-first"]
    assert (county["status"], county["amount"], county["missing"]) == (
        "needs_info", None, ["city_share"])  # fmt: skip
    assert county["explanation"].startswith("needs: ")  # what to answer, then why it waits
    assert "(to compare with " in county["explanation"]
    settled = _by_id(_both(run, _other(tmp_path, amount='"city_share"'), "--set", "city_share=5万"))
    assert settled["high-tech-first"]["status"] == "eligible"
    assert settled["high-tech-city"]["status"] == "not_eligible"


def test_case_by_case_excludes_nothing_and_says_so(run: Run, tmp_path: Path) -> None:
    data = _both(run, _other(tmp_path, basis="case_by_case"))
    county, city = _by_id(data)["high-tech-first"], _by_id(data)["high-tech-city"]
    assert (county["status"], county["amount"]) == ("eligible", "200000.00")
    assert (city["status"], city["amount"]) == ("eligible", None)
    assert "both are shown" in county["explanation"] and "both are shown" in city["explanation"]


def test_a_policy_not_in_force_takes_part_in_nothing(run: Run, tmp_path: Path) -> None:
    data = _both(run, _other(tmp_path, sum_="10万"), day="2027-01-01")
    county, city = _by_id(data)["high-tech-first"], _by_id(data)["high-tech-city"]
    # Liuhe has expired: still computed and shown, excluding nothing, and not in the total.
    assert (county["status"], county["amount"]) == ("eligible", "200000.00")
    assert (city["status"], city["amount"]) == ("eligible", "100000.00")
    assert data["total"] == "100000.00"


def test_batch_settles_as_calc_does(run: Run, tmp_path: Path) -> None:
    profile = {"new_key_project": True, "tax_per_mu": "10万", "performance_year": 2,
               "local_fiscal_contribution": "1000万", "production_enterprise": True,
               "annual_tax_paid": "800万", "fiscal_contribution_increase": "100万"}  # fmt: skip
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(profile) + "\n" + json.dumps({**profile, "new_key_project": False})
                      + "\n", encoding="utf-8")  # fmt: skip
    lean = run("batch", str(source), "--policy", "liuhe-2023", *ON)
    assert lean.exit_code == 0, lean.output
    records = [json.loads(line) for line in lean.stdout.splitlines()]
    statuses = [{r["article"]: r["status"] for r in rec["results"]}["fiscal-growth"]
                for rec in records]  # fmt: skip
    assert statuses == ["not_eligible", "eligible"]
    full = run("batch", str(source), "--policy", "liuhe-2023", *ON, "--explain")
    first = json.loads(full.stdout.splitlines()[0])
    calc = _calc(run, *(arg for k, v in profile.items()
                        for arg in ("--set", f"{k}={str(v).lower() if v is True else v}")))
    assert first["results"] == calc["results"]


# ---------------------------------------------------------------------------------------------
# Refused when written wrong: each problem at its line


def _with_article(tmp_path: Path, article: str, stacking: bool = True) -> Path:
    text = LIUHE.read_text(encoding="utf-8")
    if not stacking:
        text = text.replace('stacking = "highest"\n', "")
    path = tmp_path / "changed.toml"
    path.write_text(text + "\n[[articles]]\n" + article, encoding="utf-8")
    return path


ARTICLE = '''id = "extra"
section = "2.5"
title = { zh = "额外", en = "Extra" }
source = "鼓励企业产值稳步增长。"
'''


@pytest.mark.parametrize(
    ("article", "said"),
    [
        ('basis = "range"\nvalues = { r = "20%" }\namount = "r * output_growth"\n',
         "a range states its least amount"),
        ('basis = "exact"\nvalues = { r = "20%" }\namount = "r * output_growth"\n'
         'minimum = "r * output_growth"\n', "only a range (basis range) has a minimum"),
        ('basis = "case_by_case"\nvalues = { r = "20%" }\namount = "r * output_growth"\n',
         "a case_by_case article states no amount"),
        ('basis = "exact"\nvalues = { r = "20%" }\nyear = "output_growth"\n'
         'schedule = [{ from = 1, amount = "r * output_growth" }]\n',
         "'output_growth' is not a declared count input"),
        ('basis = "exact"\nvalues = { r = "20%" }\nyear = "hq_year"\nschedule = [\n'
         '  { from = 1, to = 3, amount = "r * output_growth" },\n'
         '  { from = 3, amount = "r * output_growth" },\n]\n', "year 3 is already in row 1"),
        ('basis = "exact"\nvalues = { r = "20%" }\namount = "r * output_growth"\n'
         'schedule = [{ from = 1 }]\n', "each row says what its year pays"),
        ('basis = "exact"\nvalues = { r = "20%" }\namount = "r * output_growth"\n'
         'waits_for = { articles = ["no-such-article"] }\n', "'no-such-article': no such article"),
        ('basis = "info"\nstages = [{ share = "30%", stage = { zh = "甲", en = "a" } },\n'
         '  { share = "30%", stage = { zh = "乙", en = "b" } }]\napplies_to = ["listing"]\n',
         "add up to 60%, not 100%"),
        ('basis = "info"\nstages = [{ share = "50%", stage = { zh = "甲", en = "a" } },\n'
         '  { share = "50%", stage = { zh = "乙", en = "b" } }]\napplies_to = ["nothing"]\n',
         "'nothing': no such article"),
    ],
)  # fmt: skip
def test_a_misused_key_is_refused_at_its_line(tmp_path: Path, article: str, said: str) -> None:
    path = _with_article(tmp_path, ARTICLE + article)
    with pytest.raises(PolicyError) as caught:
        load_policy(path, validate=True)
    text = "\n".join(caught.value.lines())
    assert said in text, text
    first = text.splitlines()[0]
    added = len(LIUHE.read_text(encoding="utf-8").splitlines())  # the article's lines follow
    assert first.startswith(f"{path}:") and int(first.split(":")[1]) > added, first


def test_not_with_needs_a_stacking_rule(tmp_path: Path) -> None:
    article = 'basis = "exact"\nvalues = { sum = "1万" }\namount = "sum"\nnot_with = ["x-1:y"]\n'
    path = _with_article(tmp_path, ARTICLE + article, stacking=False)
    with pytest.raises(PolicyError) as caught:
        load_policy(path, validate=True)
    assert 'stacking = "highest"' in "\n".join(caught.value.lines())


def test_lint_holds_stage_shares_and_a_schedule_s_years_to_the_source(
    run: Run, tmp_path: Path
) -> None:
    assert run("lint", str(LIUHE)).exit_code == 0
    text = LIUHE.read_text(encoding="utf-8").replace('{ share = "40%"', '{ share = "40.0%"')
    text = text.replace('y3 = "2万" }', 'y3 = "2万", extra = "2万" }', 1)
    text = text.replace('{ from = 3, amount = "y3" },', '{ from = 3, amount = "y3" },\n'
                        '  { from = 4, amount = "extra" },', 1)  # fmt: skip
    (tmp_path / "liuhe-2023.source.zh.txt").write_bytes(
        LIUHE.with_name("liuhe-2023.source.zh.txt").read_bytes())
    changed = tmp_path / "liuhe-2023.toml"
    changed.write_text(text, encoding="utf-8")
    result = run("lint", str(changed))
    assert result.exit_code == 2
    assert "new-above-scale-services.schedule: the years pay 12万 in all, but the amount is 10万" \
        in result.stderr  # fmt: skip
