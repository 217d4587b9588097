"""A policy other than Zhenjiang's: the interview, the template and the report take everything
from its file, and no Python module names a field or article of Zhenjiang's.

The interview runs the installed `subsidy` in a pseudo-terminal of 80 columns, in Chinese, as a
person would. SECOND is written here, small and unlike Zhenjiang's (other fields, other
choices, `[interview] first = "checklists"`); the bundled liuhe-2023 is run too, on a day it is
in force.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import tokenize
import tomllib
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from subsidycli.policy import load_policy
from subsidycli.text import cell_width
from tests.conftest import ROOT, Run
from tests.test_interview import ANSI, HEADER, spawn

SECOND = """
[policy]
id = "second-2025"
title = { zh = "某县产业扶持办法", en = "A county's industry support measures" }

[interview]
first = "checklists"
headings = "section"

[[sections]]
id = "1"
title = { zh = "一、支持范围", en = "I. Scope" }

[[sections]]
id = "1.1"
title = { zh = "(一)投资奖励", en = "(1) Investment" }

[[sections]]
id = "1.2"
title = { zh = "(二)医药产业", en = "(2) Medicine" }

[[inputs]]
name = "applicant_type"
type = "choice"
label = { zh = "申报主体", en = "Applicant" }
choices = [
  { value = "company", zh = "公司", en = "Company" },
  { value = "cooperative", zh = "合作社", en = "Cooperative" },
]
default = "company"

[[inputs]]
name = "name"
type = "text"
label = { zh = "单位名称", en = "Name" }

[[inputs]]
name = "project_type"
type = "choice"
label = { zh = "项目类别", en = "Project type" }
choices = [
  { value = "industrial", zh = "工业类", en = "Industrial" },
  { value = "other", zh = "其他", en = "Other" },
]
section = "1.1"

[[inputs]]
name = "investment"
type = "money"
label = { zh = "项目固定资产投资", en = "Fixed-asset investment" }
unit = { zh = "元", en = "CNY" }
section = "1.1"
example = "2亿"

[[inputs]]
name = "key_project"
type = "bool"
label = { zh = "重点项目", en = "Key project" }
section = "1.1"

[[inputs]]
name = "medicine_enterprise"
type = "bool"
label = { zh = "医药企业", en = "Medicine enterprise" }
section = "1.2"

[[inputs]]
name = "base_cost"
type = "money"
label = { zh = "种植基地建设投入", en = "Planting base cost" }
unit = { zh = "元", en = "CNY" }
section = "1.2"

[[articles]]
id = "investment-award"
section = "1.1"
title = { zh = "投资奖励", en = "Investment award" }
who = ["company"]
basis = "up_to"
values = { floor = "1000万", rate = "5%", max = "500万" }
when = "project_type == 'industrial' and investment >= floor"
amount = "rate * investment"
cap = "max"
source = "固定资产投资1000万元及以上的工业类项目，按固定资产投资的5%给予奖励，最高500万元。"

[[articles]]
id = "key-project-award"
section = "1.1"
title = { zh = "重点项目奖励", en = "Key project award" }
basis = "exact"
values = { award = "20万" }
when = "key_project"
amount = "award"
source = "对重点项目奖励20万元。"

[[articles]]
id = "medicine-base"
section = "1.2"
title = { zh = "医药基地补助", en = "Medicine base subsidy" }
basis = "up_to"
values = { floor = "100万", rate = "10%", max = "50万" }
when = "medicine_enterprise and base_cost >= floor"
amount = "rate * base_cost"
cap = "max"
source = "医药企业种植基地建设投入100万元及以上的，按投入的10%给予补助，最高50万元。"
"""

ZHENJIANG = ROOT / "policies" / "zhenjiang-2024.toml"
LIUHE = ROOT / "policies" / "liuhe-2023.toml"
IN_FORCE = "2024-06-01"  # a day liuhe-2023 is in force (2023-02-08 to 2026-02-07)


@pytest.fixture
def second(tmp_path: Path) -> Path:
    path = tmp_path / "second-2025.toml"
    path.write_text(SECOND, encoding="utf-8")
    return path


def interview(
    args: list[str], answer: Callable[[str, str], str], cwd: Path
) -> tuple[list[str], str, int]:
    """Run `subsidy interview` at 80 columns in Chinese; `answer(title, prompt)` answers each
    question. Returns the titles asked (a field's label, or the checklist's question), the
    whole transcript, and the exit status."""
    child = spawn(["interview", *args], lang="zh", cwd=cwd, size=(60, 80))
    titles: list[str] = []
    transcript = ""
    while child.expect([r"> ", pexpect.EOF]) == 0:
        text = ANSI.sub("", child.before.replace("\r\n", "\n"))
        transcript += text + "> "
        header = list(HEADER.finditer(text))
        if not header:  # not a question: a "> " in the result, or a confirmation
            child.sendline("")
            continue
        title = text[header[-1].end() :].splitlines()[0]
        title = re.sub(r"（[^（）]*）$", "", title)  # the unit: （元）
        titles.append(title)
        child.sendline(answer(title, text))
    transcript += ANSI.sub("", child.before.replace("\r\n", "\n"))
    child.close()
    return titles, transcript, child.exitstatus


def labels_of(path: Path) -> set[str]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {item["label"]["zh"] for item in data["inputs"]}


CHECKLIST = "以下各项，哪些适用于本单位？"


def test_the_second_policys_interview_asks_its_gates_before_its_amounts(
    second: Path, tmp_path: Path
) -> None:
    """`first = "checklists"`: the choice, then the checklist (headed by the policy's own
    sections), then only the amounts the ticks leave open — a "no" to 医药企业 ends the question
    of the planting base's cost; nothing of Zhenjiang's is asked or shown."""
    given = {"申报主体": "1", "项目类别": "1", "项目固定资产投资": "2亿"}

    def answer(title: str, prompt: str) -> str:
        if title == CHECKLIST:
            items = dict(re.findall(r"^ +(\d+)  (\S+)$", prompt, re.M))
            return next(n for n, label in items.items() if label == "重点项目")
        return given[title]

    titles, transcript, status = interview(
        ["--policy", str(second), "--save", "p.json"], answer, tmp_path
    )
    assert status == 0, transcript
    assert titles == ["申报主体", "项目类别", CHECKLIST, "项目固定资产投资"]
    assert "【(一)投资奖励】" in transcript and "【(二)医药产业】" in transcript
    assert "种植基地建设投入" not in transcript.split(CHECKLIST)[1]  # a "no" ended it
    assert not labels_of(ZHENJIANG) & set(re.findall(r"[\u4e00-\u9fff]+", transcript)) - {
        "单位名称"
    }
    assert "520.00 万元" in transcript  # 500万 (5% of 2亿, capped) + 20万
    assert all(cell_width(line) <= 80 for line in transcript.splitlines()), transcript


@pytest.mark.skipif(not LIUHE.exists(), reason="policies/liuhe-2023.toml is not written yet")
def test_the_liuhe_interview_completes_and_asks_only_its_own_fields(tmp_path: Path) -> None:
    """Every question of `subsidy interview --policy liuhe-2023` is one of its fields, a year of
    a schedule is asked on its own (never ticked), and the result is shown."""
    own = labels_of(LIUHE)
    years = {"绩效奖励年度", "总部经济奖励年度"}

    def answer(title: str, prompt: str) -> str:
        if title == CHECKLIST:  # a new key project and a new headquarters; the rest no
            items = dict(re.findall(r"^ +(\d+)  (.+)$", prompt, re.M))
            wanted = ("重点产业新建项目", "新引进的总部经济项目")
            return ",".join(n for n, label in items.items() if label.strip() in wanted)
        if any(title.startswith(year) for year in years):
            return "2"
        return "1" if title in ("申报主体类型", "项目类别") else ""

    titles, transcript, status = interview(
        ["--policy", "liuhe-2023", "--date", IN_FORCE], answer, tmp_path
    )
    assert status == 0, transcript
    asked = [t for t in titles if t != CHECKLIST]
    assert asked and all(any(t.startswith(label) for label in own) for t in asked), asked
    assert CHECKLIST in titles
    assert any(t.startswith("绩效奖励年度") for t in asked), asked
    checklists = [part.split("输入适用项")[0] for part in transcript.split(CHECKLIST)[1:]]
    assert not any("第几年" in page for page in checklists), checklists
    assert all(cell_width(line) <= 80 for line in transcript.splitlines())


def test_the_template_takes_its_example_row_from_the_policy(
    second: Path, run: Run, tmp_path: Path
) -> None:
    """`example = "2亿"` in the file is the example row's amount; the columns are the policy's."""
    sheet = tmp_path / "clients.csv"
    result = run("init", "--policy", str(second), str(sheet))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    example = dict(zip(rows[1], rows[2], strict=True))
    assert rows[1] == ["name", "applicant_type", "project_type", "investment", "key_project",
                       "medicine_enterprise", "base_cost"]  # fmt: skip
    assert example["investment"] == "200000000"
    assert example["base_cost"] == ""  # no example: blank, never a made-up amount
    assert example["project_type"] == "工业类"  # no default: the first choice


def test_a_sheet_naming_no_field_is_told_this_policys_ids(
    second: Path, run: Run, tmp_path: Path
) -> None:
    sheet = tmp_path / "clients.csv"
    sheet.write_text("公司,地址\n甲,某地\n", encoding="utf-8")
    result = run("batch", str(sheet), "--policy", str(second))
    assert result.exit_code == 2
    assert "write ids (investment) or labels (项目固定资产投资)" in result.output
    zhenjiang = run("batch", str(sheet))
    assert "write ids (annual_rd_expense) or labels (年度研发费用)" in zhenjiang.output


def test_a_bad_example_is_refused_naming_the_line(second: Path, run: Run) -> None:
    bad = second.read_text(encoding="utf-8").replace('example = "2亿"', 'example = "很多"')
    second.write_text(bad, encoding="utf-8")
    result = run("lint", str(second))
    assert result.exit_code == 2
    line = bad.splitlines().index('example = "很多"') + 1
    assert f"{second.name}:{line}:" in result.output and "example" in result.output


def test_a_report_without_tax_articles_says_nothing_of_tax(second: Path, run: Run) -> None:
    result = run("calc", "--policy", str(second), "--set", "key_project=yes", "--lang", "zh",
                 "--format", "html")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "税" not in result.stdout
    table = run("calc", "--policy", str(second), "--set", "key_project=yes", "--lang", "zh")
    assert "税" not in table.stdout
    zhenjiang = run("calc", "--set", "applicant_type=enterprise", "--lang", "zh",
                    "--format", "html")  # fmt: skip
    assert "税收优惠（不计入合计）" in zhenjiang.stdout


@pytest.mark.skipif(not LIUHE.exists(), reason="policies/liuhe-2023.toml is not written yet")
def test_a_case_by_case_article_sums_to_no_amount(run: Run, tmp_path: Path) -> None:
    """summary: 一事一议 states no amount, so its sum is unknown (null, —), never 0.00."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text(
        "name,project_type,fixed_asset_investment,investment_per_mu\n甲,industrial,2亿,300万\n",
        encoding="utf-8",
    )
    result = run("summary", str(sheet), "--policy", "liuhe-2023", "--date", IN_FORCE,
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["article"]: row for row in json.loads(result.stdout)["articles"]}
    assert rows["major-project"]["eligible"] == 1
    assert rows["major-project"]["amount"] is None
    assert rows["fixed-asset-industrial"]["amount"] == "40000000.00"  # a range at its maximum


# ---------------------------------------------------------------------------------------------
# No Python module knows a field of Zhenjiang's


def _policy_words(path: Path) -> tuple[set[str], set[str]]:
    """The field names (but the common two) and article ids of a policy, and its choice values."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    common = {"name", "applicant_type"}  # docs/contract.md: the code may know these two
    names = {item["name"] for item in data["inputs"]} - common
    names |= {article["id"] for article in data["articles"]}
    values = {c["value"] for item in data["inputs"] for c in item.get("choices") or []}
    return names, values


def test_no_module_of_src_keys_on_a_zhenjiang_field_or_article() -> None:
    """No identifier or string literal of src/ is a field name or article id of Zhenjiang's, and
    no string literal is one of its choice values: the interview, templates, report, summary and
    explain read them from the policy file. Help and messages may still show the default
    policy's names as examples of what to type (`--set annual_rd_expense=1200万`): that is
    prose about the default policy, not a rule of it, so a literal holding more than the name
    is not counted."""
    names, values = _policy_words(ZHENJIANG)
    assert "annual_rd_expense" in names and "rd-investment-subsidy" in names
    found = []
    for path in sorted((ROOT / "src" / "subsidycli").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            word = token.string
            if token.type == tokenize.STRING:
                try:
                    word = ast.literal_eval(word)
                except (ValueError, SyntaxError):
                    continue  # an f-string
                hit = word in names or word in values
            else:
                hit = token.type == tokenize.NAME and word in names
            if hit:
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {word}")
    for path in sorted((ROOT / "src" / "subsidycli").rglob("*.j2")):
        text = path.read_text(encoding="utf-8")
        for name in names:
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    assert not found, "\n".join(found)


def test_the_check_finds_a_zhenjiang_field_where_there_is_one(tmp_path: Path) -> None:
    """The tokens the test above reads do catch a field named in code."""
    names, _ = _policy_words(ZHENJIANG)
    code = 'EXAMPLE = {"annual_rd_expense": 12_000_000}\n'
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    strings = [ast.literal_eval(t.string) for t in tokens if t.type == tokenize.STRING]
    assert set(strings) & names == {"annual_rd_expense"}
    assert load_policy(ZHENJIANG).inputs["annual_rd_expense"].example == 12_000_000
