"""Policy tooling: articles, explain, schema, init, lint, --policy, --date, --override, diff,
receipts, and the bundled policy's faithfulness to its source text."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from subsidycli.lint import uncovered_source
from subsidycli.policy import Policy, bundled_paths, load_policy
from tests.conftest import ROOT, Run

BUNDLED = bundled_paths()[0]
TEXT = BUNDLED.read_text(encoding="utf-8")


def policy_copy(tmp_path: Path, old: str, new: str, name: str = "copy.toml") -> Path:
    assert old in TEXT, old
    path = tmp_path / name
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def rd(data: dict[str, object]) -> dict[str, object]:
    return next(r for r in data["results"] if r["article"] == "rd-investment-subsidy")  # type: ignore[attr-defined,index]


# --- the bundled policy and its source ---------------------------------------------------------


def test_every_paragraph_of_the_source_is_quoted(policy: Policy) -> None:
    assert policy.source_text() is not None
    assert uncovered_source(policy) == []


def test_the_coverage_check_can_fail(policy: Policy, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path,
        'source = "完善财政经费分配管理机制，扩大科研经费“包干制”范围。"',
        'source = "完善财政经费分配管理机制，"',
    )
    (tmp_path / "zhenjiang-2024.source.zh.txt").write_text(
        policy.source_text() or "", encoding="utf-8"
    )
    assert uncovered_source(load_policy(path)) == ["扩大科研经费“包干制”范围。"]


def test_every_quote_is_verbatim_from_the_source(policy: Policy) -> None:
    squashed = "".join((policy.source_text() or "").split())
    for article in policy.articles:
        assert "".join(article.source.split()) in squashed, article.id


def test_unstated_facts_are_marked_not_invented(policy: Policy) -> None:
    assert {"issue_date", "document_number"} <= set(policy.meta.not_stated)
    data = tomllib.loads(TEXT)
    assert "issue_date" not in data["policy"] and "document_number" not in data["policy"]


def test_lint_passes_on_the_bundled_policy(run: Run) -> None:
    result = run("lint")
    assert result.exit_code == 0, result.output
    assert "ok (49 articles" in result.stdout


# --- lint and load refuse bad policy files -----------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'when = "annual_rd_expense >= threshold"',
            "when = \"__import__('os').system('touch pwned') == 0\"",
            "rd-investment-subsidy.when: function calls not allowed",
        ),
        (
            'amount = "rate * deductible_rd_expense"',
            'amount = "rate * deductible_rd_expens"',
            "undeclared name 'deductible_rd_expens'",
        ),
        ('id = "gazelle"', 'id = "unicorn"', "duplicate article id 'unicorn'"),
        ('basis = "unspecified"', 'basis = "maybe"', "basis: Input should be"),
        (
            'values = { threshold = "1000万", rate = "0.5%", max = "20万" }',
            'values = { threshold = "1000万", rate = "0.5%", max = "lots" }',
            "max: 'lots' is not an amount",
        ),
        (
            'when = "key_lab_cultivation"',
            'when = "key_lab_cultivation"\nfoo = 1',
            "unknown key `foo` (allowed: id, section,",
        ),
    ],
)
def test_lint_and_calc_refuse_with_file_and_line(
    run: Run, tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = policy_copy(tmp_path, old, new)
    line = TEXT[: TEXT.index(old)].count("\n") + 1
    lint = run("lint", str(path))
    assert lint.exit_code == 2
    assert message in lint.stderr
    assert f"{path}:" in lint.stderr
    calc = run("calc", "--policy", str(path))
    assert calc.exit_code == 2
    assert message in calc.stderr and "Traceback" not in calc.output
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    if "unknown key" not in message and "duplicate" not in message:
        assert f"{path}:{line}:" in lint.stderr


def test_toml_syntax_error_has_line_and_column(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[policy]\nid = "x"\ntitle = {zh = "a", en = }\n', encoding="utf-8")
    result = run("lint", str(path))
    assert result.exit_code == 2
    assert f"{path}:3:" in result.stderr and "invalid TOML" in result.stderr


def test_article_without_source_is_refused(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path, 'source = "完善财政经费分配管理机制，扩大科研经费“包干制”范围。"', 'source = ""'
    )
    result = run("lint", str(path))
    assert result.exit_code == 2 and "source" in result.stderr


# --- articles, explain, schema, init ----------------------------------------------------------


def test_articles_lists_every_article(run: Run, policy: Policy) -> None:
    result = run("articles", "--format", "json")
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [a.id for a in policy.articles]
    gazelle = next(r for r in rows if r["id"] == "gazelle")
    assert (
        gazelle["who"] == ["enterprise"]
        and gazelle["cap"] == "200000.00"
        and gazelle["basis"] == "up_to"
    )
    table = run("articles", "--lang", "zh").stdout
    assert "rd-investment-subsidy" in table and "研发投入补助" in table


def test_explain_shows_source_formula_and_example(run: Run) -> None:
    result = run("explain", "rd-investment-subsidy")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "单个企业最高20万元" in text
    assert "Annual R&D expense ≥ 10,000,000.00" in text
    assert "0.5% × R&D expense eligible for super deduction" in text
    assert "0.5% × 12,000,000.00 = 60,000.00 ≤ 200,000.00" in text
    data = json.loads(run("explain", "innovation-voucher", "-f", "json").stdout)
    assert data["cap"] == "200000.00" and data["example"]["amount"] == "200000.00"


def test_explain_unknown_id_suggests(run: Run) -> None:
    result = run("explain", "gazele")
    assert result.exit_code == 2
    assert "did you mean gazelle" in result.stderr


def test_schema_is_valid_and_accepts_what_calc_accepts(run: Run) -> None:
    schema = json.loads(run("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = json.loads((ROOT / "examples" / "enterprise.json").read_text(encoding="utf-8"))
    validator.validate(example)
    validator.validate(
        {"annual_rd_expense": 12000000, "income_tax_rate": "15%", "gazelle_first": "是"}
    )
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"annual_rd_expens": 1})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"applicant_type": "company"})
    prop = schema["properties"]["annual_rd_expense"]["anyOf"][0]
    assert prop["x-unit"] == {"zh": "元", "en": "CNY"} and "年度研发费用" in prop["description"]


@pytest.mark.parametrize("name", ["t.toml", "t.json"])
def test_init_template_is_accepted_by_calc(run: Run, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert run("init", str(path)).exit_code == 0
    text = path.read_text(encoding="utf-8")
    if name.endswith(".toml"):
        assert "# 年度研发费用（元） / Annual R&D expense (CNY)" in text
    result = run("calc", str(path), "-f", "json")
    assert result.exit_code == 0, result.output
    again = run("init", str(path))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_filled_template_changes_the_result(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    run("init", str(path))
    text = path.read_text(encoding="utf-8").replace(
        '# annual_rd_expense = "1200万"', 'annual_rd_expense = "1200万"'
    )
    text = text.replace('# deductible_rd_expense = "1200万"', 'deductible_rd_expense = "1200万"')
    path.write_text(text, encoding="utf-8")
    data = json.loads(run("calc", str(path), "-f", "json").stdout)
    assert rd(data)["amount"] == "60000.00"


# --- other policies, dates, what-if, diff, receipts ---------------------------------------------

# A profile far above the R&D subsidy's threshold and cap (1亿 of R&D, all deductible).
RD_ONE_YI = ("--set", "annual_rd_expense=1亿", "--set", "deductible_rd_expense=1亿")
RD_VALUES = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'


def test_the_law_lives_in_the_data(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path, RD_VALUES, RD_VALUES.replace('"20万"', '"50万"').replace("0.5%", "1%")
    )
    args = ("calc", "-f", "json", *RD_ONE_YI)
    assert rd(json.loads(run(*args).stdout))["amount"] == "200000.00"
    assert rd(json.loads(run(*args, "--policy", str(path)).stdout))["amount"] == "500000.00"


def test_policy_by_bundled_id(run: Run) -> None:
    assert run("calc", "--policy", "zhenjiang-2024", "-f", "json").exit_code == 0
    missing = run("calc", "--policy", "nowhere-2030")
    assert missing.exit_code == 2 and "zhenjiang-2024" in missing.stderr


def test_date_marks_a_policy_not_in_force_and_keeps_it_out_of_the_total(
    run: Run, tmp_path: Path
) -> None:
    """--date no longer drops a policy: it is computed, marked and not counted (more in
    test_validity.py); a copy of the bundled policy beside it is refused."""
    later = policy_copy(
        tmp_path,
        'id = "zhenjiang-2024"',
        'id = "zhenjiang-2026"\neffective_from = 2026-07-01',
        "later.toml",
    )
    early = json.loads(run("calc", "-f", "json", "--policy", str(later), *RD_ONE_YI,
                           "--date", "2026-01-01").stdout)  # fmt: skip
    assert len(early["results"]) == 49 and early["policy"]["in_force"] is False
    assert rd(early)["amount"] == "200000.00" and early["total"] == "0.00"
    on = json.loads(run("calc", "-f", "json", "--policy", str(later), *RD_ONE_YI,
                        "--date", "2026-08-01").stdout)  # fmt: skip
    assert on["policy"]["in_force"] is True and on["total"] == "200000.00"
    both = run("calc", "--policy", str(BUNDLED), "--policy", str(later))
    assert both.exit_code == 2 and "are the same policy" in both.stderr
    assert run("calc", "--date", "tomorrow").exit_code == 2


def test_override_models_a_changed_policy(run: Run) -> None:
    args = ("calc", "-f", "json", *RD_ONE_YI)
    data = json.loads(run(*args, "--override", "rd-investment-subsidy.cap=300000").stdout)
    assert rd(data)["amount"] == "300000.00" and rd(data)["overridden"] == ["cap"]
    assert data["receipt"]["overrides"] == {"rd-investment-subsidy.cap": "300000"}
    rate = json.loads(run(*args, "--override", "rd-investment-subsidy.rate=0.001").stdout)
    assert rd(rate)["amount"] == "100000.00"
    table = run("calc", *RD_ONE_YI, "--override", "rd-investment-subsidy.max=30万").stdout
    assert "--override max" in table
    bad = run("calc", "--override", "rd-investment-subsidy.speed=1")
    assert bad.exit_code == 2 and "no such value" in bad.stderr
    unknown = run("calc", "--override", "rd-investmnt.max=1")
    assert unknown.exit_code == 2 and "did you mean rd-investment-subsidy" in unknown.stderr


def test_diff_shows_changes_and_result_changes(run: Run, tmp_path: Path) -> None:
    path = policy_copy(tmp_path, RD_VALUES, RD_VALUES.replace('"20万"', '"30万"'))
    profile = tmp_path / "p.json"
    profile.write_text(
        '{"annual_rd_expense": "1亿", "deductible_rd_expense": "1亿"}', encoding="utf-8"
    )
    result = run("diff", str(BUNDLED), str(path), str(profile))
    assert result.exit_code == 0, result.output
    assert "~ rd-investment-subsidy" in result.stdout
    assert "values.max: 200,000.00  →  300,000.00" in result.stdout
    assert "eligible 200,000.00  →  eligible 300,000.00" in result.stdout
    changes = json.loads(run("diff", str(BUNDLED), str(path), "-f", "json").stdout)
    assert [c["article"] for c in changes if c["change"] != "same"] == ["rd-investment-subsidy"]
    same = run("diff", str(BUNDLED), str(BUNDLED))
    assert "No differences." in same.stdout


def test_receipt_pins_the_policy_file(run: Run) -> None:
    data = json.loads(run("calc", "-f", "json").stdout)
    receipt = data["receipt"]
    assert receipt["tool"] == "subsidycli" and receipt["version"]
    assert receipt["policies"][0]["sha256"] == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert receipt["evaluated_on"]
    assert f"sha256:{receipt['policies'][0]['sha256'][:12]}" in run("calc").stdout


def test_validation_cache_never_hides_an_edit(run: Run, tmp_path: Path) -> None:
    good = policy_copy(tmp_path, RD_VALUES, RD_VALUES, "good.toml")
    assert run("calc", "--policy", str(good)).exit_code == 0  # validated and remembered
    good.write_text(
        good.read_text(encoding="utf-8").replace('basis = "unspecified"', 'basis = "sometimes"'),
        encoding="utf-8",
    )
    result = run("calc", "--policy", str(good))
    assert result.exit_code == 2 and "basis" in result.stderr


def test_shipped_validation_record_matches_the_bundled_files() -> None:
    """policies/VALIDATED lets the first run skip schema building; it must name exactly the
    bundled files as they are (lint above proves they pass). After editing a bundled policy,
    in policies/: sha256sum *.toml > VALIDATED"""
    listed = {}
    for line in (BUNDLED.parent / "VALIDATED").read_text(encoding="ascii").splitlines():
        sha, name = line.split()
        listed[name] = sha
    actual = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in bundled_paths()}
    assert listed == actual


def test_unknown_applicant_type_needs_info_when_the_policy_has_no_default(
    run: Run, tmp_path: Path
) -> None:
    path = policy_copy(tmp_path, 'default = "enterprise"\n', "")
    data = json.loads(run("calc", "--policy", str(path), "-f", "json").stdout)
    gazelle = next(r for r in data["results"] if r["article"] == "gazelle")
    assert gazelle["status"] == "needs_info" and "applicant_type" in gazelle["missing"]
    assert data["missing"][0] == "applicant_type"


def test_a_default_of_a_default_is_still_asked_for(run: Run, tmp_path: Path) -> None:
    """income_tax_rate defaults on high_tech_enterprise; give that a default on a third field."""
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path, old,
        old + 'default = { if = "high_tech_recognized", then = true, else = false }\n',
    )  # fmt: skip
    args = ("calc", "--policy", str(path), "-f", "json", "--set",
            "commissioned_basic_research_expense=100万")  # fmt: skip
    tax = next(r for r in json.loads(run(*args).stdout)["results"]
               if r["article"] == "basic-research-tax-deduction")  # fmt: skip
    assert tax["tax_saving"] is None and tax["missing"] == ["high_tech_recognized"]
    known = json.loads(run(*args, "--set", "high_tech_recognized=yes").stdout)["results"]
    tax = next(r for r in known if r["article"] == "basic-research-tax-deduction")
    assert tax["tax_saving"] == "150000.00"


@pytest.mark.parametrize(
    ("name", "article"),
    [
        ("科技创新券", "innovation-voucher"),
        ("首次评定瞪羚企业支持", "gazelle"),
        ("瞪羚", "gazelle"),  # a unique part of a title
        ("r&d investment subsidy", "rd-investment-subsidy"),  # English, any case
        ("ＲＤ投入补助", None),  # folded to "rd投入补助": no title has it
    ],
)
def test_explain_finds_an_article_by_its_title(run: Run, name: str, article: str | None) -> None:
    result = run("explain", name, "--format", "json")
    if article is None:
        assert result.exit_code == 2
        assert "no article 'ＲＤ投入补助'" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["id"] == article


def test_explain_names_every_article_a_shared_word_could_mean(run: Run) -> None:
    result = run("explain", "平台", "--lang", "zh")
    assert result.exit_code == 2
    assert "'平台' 对应多个条款" in result.stderr
    assert "national-platform (国家级创新平台支持)" in result.stderr


def test_date_on_a_policy_without_dates_says_so(run: Run, tmp_path: Path) -> None:
    undated = run("calc", "-f", "json", "--date", "2026-03-01")
    assert undated.exit_code == 0
    assert undated.stderr == (
        "subsidy: --date 2026-03-01: zhenjiang-2024 states no dates of force (effective_from, "
        "effective_to): it is used whatever the day\n"
    )
    dated = policy_copy(
        tmp_path, 'id = "zhenjiang-2024"', 'id = "zhenjiang-2026"\neffective_from = 2026-01-01',
        "dated.toml",
    )  # fmt: skip
    quiet = run("calc", "-f", "json", "--policy", str(dated), "--date", "2026-03-01")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert run("calc", "-f", "json").stderr == ""  # no --date, nothing to say
