"""A field or an article named as a person names it: by its Chinese or English label or title,
wherever its id is taken — `--set FIELD=…`, `--override ARTICLE.KEY=…`, `explain` — as a sheet's
header already may. A name of several is refused, listing them; an unknown one suggests ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from subsidycli.policy import bundled_paths, load_policy
from subsidycli.policy.names import field_names
from tests.conftest import ROOT


def calc(run: Any, *args: str) -> dict[str, Any]:
    result = run("calc", "--format", "json", "--set", "applicant_type=enterprise", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def amount(data: dict[str, Any], article: str) -> str | None:
    found: str | None = next(r["amount"] for r in data["results"] if r["article"] == article)
    return found


@pytest.mark.parametrize(
    ("annual", "deductible"),
    [
        ("年度研发费用", "可加计扣除研发费用额"),
        ("Annual R&D expense", "R&D expense eligible for super deduction"),
        ("annual r&d EXPENSE", "R&D  expense eligible for super deduction"),  # case, spaces
    ],
)
def test_set_takes_a_fields_label(run: Any, annual: str, deductible: str) -> None:
    by_id = calc(run, "--set", "annual_rd_expense=1200万", "--set", "deductible_rd_expense=1000万")
    by_label = calc(run, "--set", f"{annual}=1200万", "--set", f"{deductible}=1000万")
    assert amount(by_label, "rd-investment-subsidy") == "50000.00"
    assert by_label["results"] == by_id["results"]
    assert by_label["total"] == by_id["total"]


def test_set_blank_by_label_leaves_the_field_unknown(run: Any, tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"annual_rd_expense": "1200万"}), encoding="utf-8")
    result = run("calc", str(profile), "--set", "年度研发费用=", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "annual_rd_expense" in json.loads(result.stdout)["missing"]


def test_set_unknown_label_suggests_the_id(run: Any) -> None:
    result = run("calc", "--set", "年度研发费=1200万", "--lang", "zh")
    assert result.exit_code == 2
    assert "年度研发费" in result.stderr and "annual_rd_expense" in result.stderr


@pytest.mark.parametrize(
    "name",
    ["研发投入补助", "R&D investment subsidy", "r&d INVESTMENT subsidy", "rd-investment-subsidy"],
)
def test_override_takes_an_articles_title(run: Any, name: str) -> None:
    data = calc(run, "--set", "annual_rd_expense=1亿", "--set", "deductible_rd_expense=1亿",
                "--override", f"{name}.max=30万")  # fmt: skip
    assert amount(data, "rd-investment-subsidy") == "300000.00"  # 0.5% × 1亿 = 50万, capped
    assert data["total"] == calc(run, "--set", "annual_rd_expense=1亿", "--set",
                                 "deductible_rd_expense=1亿", "--override",
                                 "rd-investment-subsidy.max=30万")["total"]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_override_by_title_is_the_what_if_by_id(
    run: Any, tmp_path: Path, lang: str
) -> None:
    clients = tmp_path / "c.csv"
    clients.write_text(
        "applicant_type,年度研发费用,可加计扣除研发费用额\n企业,1亿,1亿\n", encoding="utf-8"
    )
    title = "研发投入补助" if lang == "zh" else "R&D investment subsidy"
    outputs = []
    for name in (title, "rd-investment-subsidy"):
        result = run("summary", str(clients), "--override", f"{name}.max=30万", "-f", "json",
                     "--lang", lang)  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["change"] == "100000.00"


@pytest.mark.parametrize(
    ("name", "lang"), [("研发投入补助", "zh"), ("R&D investment subsidy", "en")]
)
def test_explain_with_an_override_by_title(run: Any, name: str, lang: str) -> None:
    result = run("explain", name, "--override", f"{name}.max=30万", "-f", "json", "--lang", lang)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "rd-investment-subsidy"
    assert data["overridden"] == ["max"]
    assert data["cap"] == "300000.00"


def test_explain_by_a_part_of_a_title_still_works(run: Any) -> None:
    result = run("explain", "瞪羚", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "gazelle"


@pytest.mark.parametrize(
    ("name", "near"),
    [("研发投入补助x", "rd-investment-subsidy"), ("rd-investment-subsidi", "rd-investment-subsidy"),
     ("瞪羚", "gazelle")],
)  # fmt: skip
def test_override_naming_no_article_suggests_ids(run: Any, name: str, near: str) -> None:
    result = run("calc", "--override", f"{name}.max=30万", "--lang", "en")
    assert result.exit_code == 2
    assert f"no article {name!r}" in result.stderr
    assert f"did you mean {near}" in result.stderr


def test_override_by_a_part_of_several_titles_lists_them(run: Any) -> None:
    result = run("calc", "--override", "研发.max=30万", "--lang", "en")
    assert result.exit_code == 2
    assert "part of several titles" in result.stderr
    assert "rd-investment-subsidy (研发投入补助)" in result.stderr
    assert "nri-recognition" in result.stderr


@pytest.fixture
def twin(tmp_path: Path) -> Path:
    """The bundled policy with a second article titled 研发投入补助, and a field whose alias is
    another field's label: names that name two things."""
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    for old, new in [
        ('title = { zh = "企业基础研究、技术攻关和成果转化项目支持"',
         'title = { zh = "研发投入补助"'),
        ('label = { zh = "可加计扣除研发费用额", en = "R&D expense eligible for super deduction" }',
         'label = { zh = "可加计扣除研发费用额", en = "R&D expense eligible for super deduction" }'
         '\naliases = ["年度研发费用"]'),
    ]:  # fmt: skip
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "twin.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_title_of_two_articles_is_refused_listing_both(run: Any, twin: Path) -> None:
    for args in (["explain", "研发投入补助"], ["calc", "--override", "研发投入补助.max=30万"]):
        result = run(*args, "--policy", str(twin), "--lang", "en")
        assert result.exit_code == 2, result.output
        assert "names several articles" in result.stderr
        assert "rd-investment-subsidy (研发投入补助)" in result.stderr
        assert "enterprise-rd-project (研发投入补助)" in result.stderr


def test_a_label_of_two_fields_is_refused_listing_both(run: Any, twin: Path) -> None:
    result = run("calc", "--policy", str(twin), "--set", "年度研发费用=1200万", "--lang", "en")
    assert result.exit_code == 2, result.output
    assert "names several fields" in result.stderr
    assert "annual_rd_expense (年度研发费用)" in result.stderr
    assert "deductible_rd_expense (可加计扣除研发费用额)" in result.stderr


def test_a_title_of_articles_in_two_policies_is_refused(run: Any, tmp_path: Path) -> None:
    """Each file alone has one article of that title: together they have two."""
    text = (ROOT / "policies" / "liuhe-2023.toml").read_text(encoding="utf-8")
    first = text.index('title = { zh = "', text.index("[[articles]]"))
    end = text.index('"', first + len('title = { zh = "'))
    draft = tmp_path / "other.toml"
    draft.write_text(text[:first] + 'title = { zh = "研发投入补助' + text[end:], encoding="utf-8")
    result = run("calc", "--policy", "zhenjiang-2024", "--policy", str(draft),
                 "--override", "研发投入补助.max=30万", "--lang", "en")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "names several articles" in result.stderr


def test_the_id_wins_over_another_fields_label() -> None:
    """A name that is one field's id and another's alias is the field with that id."""
    policy = load_policy(bundled_paths()[0])
    names = field_names(policy.inputs)
    assert names.named("annual_rd_expense") == ["annual_rd_expense"]
    assert names.named("ＡＮＮＵＡＬ_RD_EXPENSE") == ["annual_rd_expense"]  # full width, case
    assert names.named("名称") == ["name"]  # an alias a sheet's header uses
    assert names.named("研发") == []  # a part of a label names nothing: only titles of lookups
