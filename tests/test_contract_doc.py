"""docs/contract.md is true: its tables, ids, keys, exit statuses and examples, run through the
real commands; and nothing in the repository refers to a file outside it.

The test reads the page itself (not a copy of its lists), so a change to either the page or the
product that makes them disagree fails here. A section marked "Status: not yet implemented — issue
N" is skipped with that reason, and fails once a probe shows the feature works, so that the status
line goes when the work lands.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer.main
from openpyxl import load_workbook

from subsidycli.cli import app
from subsidycli.policy import Policy
from tests.conftest import ROOT, Run, cli_command, cli_env

DOC = ROOT / "docs" / "contract.md"
TEXT = DOC.read_text(encoding="utf-8")
STATUS = re.compile(r"Status: (not yet implemented — issue \d+)")
NOT_YET = re.compile(r"\*Not yet implemented — (issue \d+)\.\*")


def _sections(text: str) -> dict[str, str]:
    """Each heading's own text, up to the next heading of any level (code blocks kept whole)."""
    sections: dict[str, list[str]] = {}
    body: list[str] = []
    fenced = False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        heading = None if fenced else re.match(r"#+ (.+)", line)
        if heading:
            body = sections.setdefault(heading.group(1).strip(), [])
        else:
            body.append(line)
    return {title: "\n".join(lines) for title, lines in sections.items()}


SECTIONS = _sections(TEXT)


def section(title: str) -> str:
    assert title in SECTIONS, f"docs/contract.md has no section {title!r}"
    return SECTIONS[title]


def status(title: str) -> str | None:
    """The section's "Status:" line, which must be the first line of its text."""
    lines = [line for line in section(title).splitlines() if line.strip()]
    first = STATUS.match(lines[0]) if lines else None
    return first.group(1) if first else None


def said(phrase: str, title: str) -> None:
    """The section `title` says `phrase` (line breaks aside): the claim a test is about."""
    assert " ".join(phrase.split()) in " ".join(section(title).split()), (title, phrase)


def found(pattern: str, text: str) -> re.Match[str]:
    """The match of `pattern` (across lines) in the page's `text`, which must be there."""
    match = re.search(pattern, text, re.S)
    assert match, f"docs/contract.md no longer says {pattern!r}"
    return match


def ticks(text: str) -> list[str]:
    """The code spans of a text: ids, keys, file names, examples."""
    return re.findall(r"`([^`]+)`", text)


def table(body: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table in `body` whose first column is headed `header`."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        rows.append([cell.replace("\\|", "|").strip() for cell in cells])
    return rows


def figures(text: str) -> list[Decimal]:
    """The numbers a cell states, outside its code spans: 1,000,000 and 0.5% (as 0.005)."""
    plain = re.sub(r"`[^`]*`", "", text)
    return [
        Decimal(number.replace(",", "")) / (100 if percent else 1)
        for number, percent in re.findall(r"(\d[\d,]*(?:\.\d+)?)(%?)", plain)
    ]


def _commands() -> dict[str, Any]:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def _calc(run: Run, profile: dict[str, Any], *extra: str) -> dict[str, Any]:
    out = _ok(run("calc", "-", "-f", "json", *extra, input=json.dumps(profile))).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["article"]: r for r in data["results"]}


# ---------------------------------------------------------------------------------------------
# Every section is checked here, marked as not yet built, or prose with nothing to run

CHECKED = {
    "Commands (names fixed; options may grow)", "Money",
    "Profile fields (the Zhenjiang policy's inputs)", "Articles with money (ids fixed)",
    "`calc --format json` output", "`batch` records and `summary`", "Spreadsheets", "Errors",
    "Policy files: tiers", "Several policies, dates and stacking", "Outputs never clobber inputs",
    "The second policy: 柳河县 2023 (`liuhe-2023`)",
    "Units in headers, failed rows kept, the template's example row",  # test_hostile_sheets.py
    "Populations: sweeps, engines, Parquet, SQL",  # test_sweep, _parquet, _sql, _emit_sql.py
}  # fmt: skip
PROSE = {
    "subsidycli — the contract": "the preface: what the page is and how it is kept true",
    "What it is": "a description for readers; its commands are checked under Commands",
}


def test_every_section_is_checked_marked_or_prose() -> None:
    for title in SECTIONS:
        kinds = [title in CHECKED, title in PROSE, status(title) is not None]
        assert kinds.count(True) == 1, (title, "checked/prose/marked", kinds)
    assert CHECKED <= set(SECTIONS), CHECKED - set(SECTIONS)


def _probe_error_column(run: Run, tmp: Path) -> bool:
    sheet = tmp / "in.csv"
    sheet.write_text("name,jiebang_projects\nA,1\nB,abc\n", encoding="utf-8")
    header = (run("batch", str(sheet), "-f", "csv").stdout.splitlines() or [""])[0]
    return "error" in header.split(",")


def _probe_no_clobber(run: Run, tmp: Path) -> bool:
    profile = tmp / "p.json"
    profile.write_text('{"jiebang_projects": 1}', encoding="utf-8")
    result = run("calc", str(profile), "-o", str(profile))
    return (
        result.exit_code == 2 and profile.read_text(encoding="utf-8") == '{"jiebang_projects": 1}'
    )


# What shows that a section marked not yet implemented has landed.
PROBES: dict[str, Callable[[Run, Path], bool]] = {
    "Units in headers, failed rows kept, the template's example row": _probe_error_column,
    "Populations: sweeps, engines, Parquet, SQL": lambda run, tmp: any(
        "--sweep" in p.opts for p in _commands()["summary"].params
    ),
    "Outputs never clobber inputs": _probe_no_clobber,
    "Several policies, dates and stacking": lambda run, tmp: "policies" in _commands(),
    "The second policy: 柳河县 2023 (`liuhe-2023`)": lambda run, tmp: (
        run("calc", "--policy", "liuhe-2023", "-f", "json").exit_code == 0
    ),
}
MARKED = [title for title in SECTIONS if status(title)]


@pytest.mark.parametrize("title", MARKED)
def test_a_section_not_yet_implemented_is_skipped_until_it_lands(
    title: str, run: Run, tmp_path: Path
) -> None:
    assert title in PROBES, f"{title}: add a probe that shows when it lands"
    assert not PROBES[title](run, tmp_path), (
        f"docs/contract.md § {title} says {status(title)!r}, but it works now: "
        "drop the status line and check the section in tests/test_contract_doc.py"
    )
    pytest.skip(f"docs/contract.md § {title}: {status(title)}")


# ---------------------------------------------------------------------------------------------
# Commands


def _command_rows() -> list[tuple[list[str], str]]:
    rows = table(section("Commands (names fixed; options may grow)"), "command")
    return [(re.findall(r"`subsidy (\w+)", command), job) for command, job in rows]


def test_the_command_table_names_every_command() -> None:
    listed = {name for names, job in _command_rows() if not NOT_YET.search(job) for name in names}
    assert listed == set(_commands())
    for names, job in _command_rows():
        if NOT_YET.search(job):
            assert not set(names) & set(_commands()), f"{names} exist: drop '*Not yet implemented*'"


def test_the_options_the_table_names_exist_with_their_choices() -> None:
    commands = _commands()
    for names, job in _command_rows():
        if NOT_YET.search(job):
            continue
        params = [p for name in names for p in commands[name].params]
        for option in set(re.findall(r"`(--[a-z-]+)", job)):
            assert any(option in p.opts for p in params), (names, option)
        for option, choices in re.findall(r"`(--[a-z-]+) ([a-z]+(?:\\?\|[a-z]+)+)`", job):
            stated = choices.replace("\\", "").split("|")
            for p in params:
                if option in p.opts:
                    assert list(p.type.choices) == stated, (names, option)


def test_init_writes_every_template_the_table_names(run: Run, tmp_path: Path) -> None:
    job = next(job for names, job in _command_rows() if names == ["init"])
    suffixes = [s for s in ticks(job) if s.startswith(".")]
    assert suffixes
    for suffix in suffixes:
        target = tmp_path / f"template{suffix}"
        _ok(run("init", str(target)))
        assert target.stat().st_size > 0, suffix


def test_subsidy_test_runs_case_files_and_folders(run: Run) -> None:
    job = next(job for names, job in _command_rows() if names == ["test"])
    folder = ROOT / next(t for t in ticks(job) if t.endswith("/"))
    one = sorted(folder.glob("*.toml"))[0]
    for target in (one, folder):
        assert " 0 failed" in _ok(run("test", str(target))).stdout


def test_python_m_subsidycli_works_the_same(run: Run) -> None:
    said("`python -m subsidycli` works the same", "Commands (names fixed; options may grow)")
    own = subprocess.run(cli_command("--version"), env=cli_env(), capture_output=True, text=True)
    assert own.returncode == 0, own.stderr
    assert own.stdout == _ok(run("--version")).stdout


# ---------------------------------------------------------------------------------------------
# Money


# What each spelling the page lists is worth, worked out by hand.
SPELLINGS = {"12000000": 12_000_000, '"12,000,000"': 12_000_000, '"¥12,000,000.00"': 12_000_000,
             '"1200万"': 12_000_000, '"1,200万元"': 12_000_000, '"1.2亿"': 120_000_000}  # fmt: skip


def test_every_spelling_of_money_is_read_as_written(run: Run) -> None:
    bullet = next(line for line in section("Money").split("\n- ") if "Inputs accept" in line)
    assert ticks(bullet) == list(SPELLINGS)
    for written, worth in SPELLINGS.items():
        profile = {"annual_rd_expense": "1000万", "deductible_rd_expense": json.loads(written)}
        rd = _by_id(_calc(run, profile))["rd-investment-subsidy"]
        assert rd["explanation"].startswith(f"0.5% × {worth:,}.00 = "), (written, rd["explanation"])


@pytest.mark.parametrize("written", ["-1200万", "abc"])
def test_negative_or_non_numeric_money_is_an_input_error(run: Run, written: str) -> None:
    said("Negative or non-numeric money is an input error", "Money")
    result = run("calc", "--set", f"annual_rd_expense={written}")
    assert result.exit_code == 2 and "annual_rd_expense" in result.stderr, result.output


def test_amounts_are_rounded_half_up_to_the_fen(run: Run) -> None:
    said("rounded half-up to 0.01 元", "Money")
    # 0.5% of 10,000,001 is 50,000.005: half-up pays 50,000.01, half-even would pay 50,000.00.
    data = _calc(run, {"annual_rd_expense": "1000万", "deductible_rd_expense": 10_000_001})
    assert _by_id(data)["rd-investment-subsidy"]["amount"] == "50000.01"


# ---------------------------------------------------------------------------------------------
# Profile fields

TYPES = {"text": "text", "money": "money", "bool": "bool", "count": "count", "decimal 0–1": "rate"}


def test_the_field_table_is_the_policy_s_inputs(policy: Policy) -> None:
    rows = table(section("Profile fields (the Zhenjiang policy's inputs)"), "field")
    listed = [ticks(field)[0] for field, _, _ in rows]
    assert sorted(listed) == sorted(policy.inputs)  # every input, once
    for field, kind, label in rows:
        item = policy.inputs[ticks(field)[0]]
        assert label == item.label["zh"], (item.name, "the Chinese label a header may use")
        if item.type == "choice":
            assert ticks(kind) == [c["value"] for c in item.choices], item.name
            assert f"`{item.default}` (default)" in kind, item.name
        else:
            assert TYPES[kind.split(";")[0]] == item.type, item.name


def test_the_income_tax_rate_defaults_as_stated(run: Run) -> None:
    rows = table(section("Profile fields (the Zhenjiang policy's inputs)"), "field")
    kind = next(kind for field, kind, _ in rows if field == "`income_tax_rate`")
    high, low = found(r"default ([\d.]+) if `high_tech_enterprise` else ([\d.]+)", kind).groups()
    for high_tech, rate in ((True, high), (False, low)):
        profile = {
            "commissioned_basic_research_expense": "100万",
            "high_tech_enterprise": high_tech,
        }
        tax = _by_id(_calc(run, profile))["basic-research-tax-deduction"]
        assert Decimal(tax["tax_saving"]) == Decimal(tax["amount"]) * Decimal(rate)


def test_a_field_left_out_is_unknown_not_zero(run: Run) -> None:
    text = section("Profile fields (the Zhenjiang policy's inputs)")
    assert "`needs_info`" in text and "`--assume-no`" in text
    rd = _by_id(_calc(run, {}))["rd-investment-subsidy"]
    assert rd["status"] == "needs_info"
    assert rd["missing"] == ["annual_rd_expense", "deductible_rd_expense"]
    assumed = _calc(run, {}, "--assume-no")
    assert {r["status"] for r in assumed["results"]} <= {"not_eligible", "info"}


def test_an_unknown_field_is_named_with_the_nearest_name(run: Run) -> None:
    said("Unknown fields in a profile are an input error that names the field and suggests the "
         "nearest name", "Profile fields (the Zhenjiang policy's inputs)")  # fmt: skip
    result = run("calc", "-", input='{"jiebang_projectz": 1}')
    assert result.exit_code == 2
    assert "jiebang_projectz" in result.stderr and "jiebang_projects" in result.stderr.replace(
        "jiebang_projectz", ""
    )


# ---------------------------------------------------------------------------------------------
# Articles with money


def _article_rows() -> list[list[str]]:
    return table(section("Articles with money (ids fixed)"), "id")


def test_the_article_table_is_every_article_that_pays(policy: Policy) -> None:
    listed = [ticks(row[0])[0] for row in _article_rows()]
    assert listed == [a.id for a in policy.articles if a.basis != "info"]


def test_each_article_row_is_what_the_policy_file_says(policy: Policy, run: Run) -> None:
    articles = {a.id: a for a in policy.articles}
    caps = _by_id(_calc(run, {}))
    for cell, who, condition, amount, basis in _article_rows():
        a = articles[ticks(cell)[0]]
        assert basis == a.basis, a.id
        named = re.sub(r"\s*\(.*\)", "", who).split(", ")
        assert (a.who is None) if named == ["any"] else (set(named) == a.who), a.id
        fields = set(ticks(condition) + ticks(amount)) - {"tax_saving"}  # a key of the result
        assert fields <= set(a.inputs), (a.id, fields - set(a.inputs))
        defaults = {f for n in fields if (d := policy.inputs[n].default_if) for f in d.inputs}
        assert set(a.inputs) - {"applicant_type"} <= fields | defaults, a.id
        # Every figure the row states is one the file states, and the other way round (a
        # comparison with 0 or 1 only says "some" or "any").
        stated = [f for f in figures(condition) if f not in (0, 1)] + figures(amount)
        assert sorted(stated) == sorted(v for v, _ in a.values.values()), a.id
        per_item = "× n" in amount and not amount.startswith("min(")
        assert (a.count in ticks(condition)) if per_item else a.count is None, a.id
        cap = None if not figures(amount) or basis == "tax_deduction" else figures(amount)[
            -1 if amount.startswith("min(") else 0]  # fmt: skip
        shown = caps[a.id]["cap"]
        assert (None if shown is None else Decimal(shown)) == cap, a.id


def test_every_article_with_money_states_its_reading(policy: Policy, run: Run) -> None:
    said("Each article's reading is stated in its `note`, and `explain` shows it",
         "Articles with money (ids fixed)")  # fmt: skip
    for a in policy.articles:
        if a.basis != "info":
            assert a.note and re.match(r"Per (item|organisation)", a.note["en"]), a.id
    shown = _ok(run("explain", "jiebang-guashuai")).stdout
    assert "Per item" in re.sub(r"\s+", " ", shown)


def test_every_other_paragraph_is_an_info_article(policy: Policy, run: Run) -> None:
    text = section("Articles with money (ids fixed)")
    listed = {ticks(row[0])[0] for row in _article_rows()}
    info = [a for a in policy.articles if a.id not in listed]
    assert info and all(a.basis == "info" for a in info)
    for r in _calc(run, {"jiebang_projects": 1})["results"]:
        if r["article"] not in listed:
            assert (r["status"], r["amount"]) == ("info", None), r["article"]
    named, part_five = found(
        r"no amount — (.+?)\s+each heading of part 五 \((.+?)\)", text
    ).groups()
    for topic in re.findall(r"[\u4e00-\u9fff]+", named):
        assert any(topic in a.source or topic in a.title["zh"] for a in info), topic
    headings = {s: t["zh"] for s, t in policy.sections.items() if s.startswith("5.")}

    def reads(short: str, heading: str) -> bool:  # 国际合作 for 加强国际科技与区域创新合作
        return re.search(".*".join(short), heading) is not None

    shorts = part_five.split(", ")
    assert all(any(reads(s, h) for h in headings.values()) for s in shorts), shorts
    for number, heading in headings.items():
        assert any(reads(s, heading) for s in shorts), heading
        assert any(a.section == number for a in info), heading


# ---------------------------------------------------------------------------------------------
# calc --format json


def _matches(example: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` differs from the page's example: "..." is any value, "…" ends a prefix,
    `[]` is empty, and each item of a longer list is one of actual's (by "article" if any)."""
    if example == "...":
        return []
    if isinstance(example, str) and example.endswith("…"):
        ok = isinstance(actual, str) and actual.startswith(example[:-1])
        return [] if ok else [f"{where}: {actual!r} does not begin {example[:-1]!r}"]
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{where}: not an object"]
        absent = [f"{where}: no key {k}" for k in example if k not in actual]
        return absent + [
            p
            for k, v in example.items()
            if k in actual
            for p in _matches(v, actual[k], f"{where}.{k}")
        ]
    if isinstance(example, list) and example not in ([], ["..."]):
        problems = []
        for item in example:
            pool = [a for a in actual if not isinstance(item, dict) or "article" not in item
                    or a.get("article") == item["article"]]  # fmt: skip
            if all(_matches(item, a) for a in pool):
                problems.append(f"{where}: no item like {item!r}")
        return problems
    if example == ["..."]:
        return [] if isinstance(actual, list) else [f"{where}: not a list"]
    return [] if example == actual else [f"{where}: {actual!r} is not {example!r}"]


def test_the_json_example_is_what_calc_prints(run: Run) -> None:
    text = section("`calc --format json` output")
    profile = json.loads(found(r"For the profile `(\{.+?\})`", text).group(1))
    example = json.loads(found(r"```json\n(.+?)```", text).group(1))
    assert _matches(example, _calc(run, profile)) == []


def test_statuses_order_total_and_tax_as_stated(run: Run, policy: Policy) -> None:
    text = section("`calc --format json` output")
    bullets = {b.split(" ")[0].strip("`"): b for b in text.split("\n- ")[1:]}
    statuses = set(ticks(bullets["status"])) - {"status"}
    profiles = [
        {"jiebang_projects": 1, "gazelle_first": False},
        {"applicant_type": "university"},
        {"commissioned_basic_research_expense": "100万", "high_tech_application": True},
    ]
    seen = set()
    cash = set(ticks(bullets["total"])) - {"total", "amount", "eligible"}
    assert cash == {"up_to", "exact"}
    for profile in profiles:
        data = _calc(run, profile)
        seen |= {r["status"] for r in data["results"]}
        assert [r["article"] for r in data["results"]] == [a.id for a in policy.articles]
        paid = [Decimal(r["amount"]) for r in data["results"]
                if r["status"] == "eligible" and r["basis"] in cash]  # fmt: skip
        assert Decimal(data["total"]) == sum(paid, Decimal(0)), profile
        for r in data["results"]:
            assert ("tax_saving" in r) == (r["basis"] == "tax_deduction"), r["article"]
    assert seen == statuses
    said('Tax articles add `"tax_saving"`', "`calc --format json` output")


def test_missing_leaves_out_what_can_no_longer_matter(run: Run, policy: Policy) -> None:
    said("an enterprise-only field for a university", "`calc --format json` output")
    enterprise_only = {f for a in policy.articles if a.who == {"enterprise"} for f in a.inputs}
    enterprise_only -= {f for a in policy.articles if a.who != {"enterprise"} for f in a.inputs}
    university = _calc(run, {"applicant_type": "university"})["missing"]
    assert enterprise_only and not enterprise_only & set(university)
    assert "deductible_rd_expense" not in _calc(run, {"annual_rd_expense": "800万"})["missing"]
    assert _calc(run, {}, "--assume-no")["missing"] == []


# ---------------------------------------------------------------------------------------------
# batch records and summary


def _shape(text: str, first: str) -> tuple[list[str], list[str]]:
    """The keys of a shape the page writes as `{"a", "b", "list": [{"c", …}, …]}`."""
    span = next(t for t in ticks(text) if t.startswith(f'{{"{first}"'))
    outer, inner = span.split("[{")
    return re.findall(r'"(\w+)"', outer), re.findall(r'"(\w+)"', inner)


def test_a_batch_record_is_lean(run: Run, tmp_path: Path) -> None:
    text = section("`batch` records and `summary`")
    outer, inner = _shape(text, "line")
    extras = set(ticks(found(r"\(plus (.+?)\)", text).group(1)))
    assert extras == {"tax_saving", "count", "gap"}
    source = tmp_path / "p.jsonl"
    source.write_text('{"jiebang_projects": 1, "annual_rd_expense": "800万"}\n', encoding="utf-8")
    record = json.loads(_ok(run("batch", str(source))).stdout)
    assert list(record) == outer
    seen: set[str] = set()
    for r in record["results"]:
        assert set(inner) <= set(r) <= set(inner) | extras, r
        seen |= set(r) - set(inner)
    assert seen == extras
    articles = json.loads(_ok(run("articles", "--format", "json")).stdout)
    assert all(a["title"] for a in articles)
    said("gives the titles and source sentences (`source`) once", "`batch` records and `summary`")
    assert all(a["source"] for a in articles)
    explained = json.loads(_ok(run("batch", str(source), "--explain")).stdout)
    assert explained["results"] == _calc(run, json.loads(source.read_text()))["results"]


def test_several_policies_dates_and_copies_as_stated(run: Run, tmp_path: Path) -> None:
    title = "Several policies, dates and stacking"
    said("A policy that states no dates (Zhenjiang's summary) is taken as in force "
         '(`"in_force": true`)', title)  # fmt: skip
    rd = {"annual_rd_expense": "2000万", "deductible_rd_expense": "2000万"}
    today = _calc(run, rd)
    assert today["policy"]["in_force"] is True and today["total"] == "100000.00"
    said("records that date in the receipt (`evaluated_on`)", title)
    assert _calc(run, rd, "--date", "2024-01-31")["receipt"]["evaluated_on"] == "2024-01-31"
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    dated = tmp_path / "dated.toml"
    dated.write_text(text.replace('id = "zhenjiang-2024"', 'id = "zhenjiang-2026"\n'
                                  "effective_from = 2026-07-01", 1), encoding="utf-8")  # fmt: skip
    said('it is marked `"in_force": false` in the JSON `policy` block', title)
    said("and its amounts are not in `total`", title)
    before = _calc(run, rd, "--policy", str(dated), "--date", "2026-06-30")
    assert before["policy"]["in_force"] is False and before["total"] == "0.00"
    assert _by_id(before)["rd-investment-subsidy"]["amount"] == "100000.00"  # still computed
    said("the same title and issuer under another id (a copy)", title)
    copy = run("calc", "--policy", "zhenjiang-2024", "--policy", str(dated))
    assert copy.exit_code == 2 and "are the same policy" in copy.stderr
    said("a policy not in force keeps its columns, after the others, headed as not in force",
         title)  # fmt: skip


def test_summary_json_has_the_keys_stated(run: Run, tmp_path: Path) -> None:
    text = section("`batch` records and `summary`")
    outer, inner = _shape(text, "records")
    source = tmp_path / "p.jsonl"
    source.write_text('{"jiebang_projects": 1}\n', encoding="utf-8")
    plain = json.loads(_ok(run("summary", str(source), "-f", "json")).stdout)
    assert set(outer) <= set(plain) and set(inner) <= set(plain["articles"][0])
    what_if = run(
        "summary", str(source), "-f", "json", "--override", "jiebang-guashuai.per_item=200万"
    )
    data = json.loads(_ok(what_if).stdout)
    baseline = [t.strip('"') for t in ticks(text.split("with `--override`")[1])]
    assert baseline == ["baseline_total", "baseline_amount"]
    assert baseline[0] in data and all(baseline[1] in a for a in data["articles"])


# ---------------------------------------------------------------------------------------------
# Spreadsheets

SHEET = [
    ["name", "年度研发费用", "deductible_rd_expense", "申报主体类型", "gazelle_first", "备注",
     "commissioned_basic_research_expense"],
    ["=SUM(A1)", "1200万", "1200万", "企业", "是", "a note", "100万"],
    ["+Plus", "1200万", "1200万", "高校", "否", "", ""],
    ["-Minus", "", "", "企业", "否", "", ""],
    ["@At", "", "", "企业", "是", "", ""],
]  # fmt: skip


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_a_sheet_is_read_and_written_as_stated(run: Run, policy: Policy, tmp_path: Path) -> None:
    words = set(ticks(section("Spreadsheets")))
    assert {"年度研发费用", "企业", "高校", "是", "否", "备注", "=", "+", "-", "@", "'"} <= words
    assert policy.inputs["annual_rd_expense"].label["zh"] == "年度研发费用"
    sheet = tmp_path / "clients.csv"
    sheet.write_text(_csv(SHEET), encoding="utf-8")
    result = _ok(run("batch", str(sheet), "-f", "csv"))
    warnings = result.stderr.splitlines()[:-1]  # the last line counts the records
    assert len(warnings) == 1 and "备注" in warnings[0], result.stderr
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    cash = [a.id for a in policy.articles if a.basis in ("up_to", "exact")]
    tax = [f"{a.id}.{part}" for a in policy.articles if a.basis == "tax_deduction"
           for part in ("deduction", "tax_saving")]  # fmt: skip
    assert header == ["line", "name", "total", *cash, *tax, "error"]
    assert {"<id>.deduction", "<id>.tax_saving"} <= words
    assert [row[1] for row in rows] == ["'" + r[0] for r in SHEET[1:]]  # text, never a formula
    for row in rows:
        paid = [Decimal(v) for v in row[3 : 3 + len(cash)] if v]
        assert sum(paid, Decimal(0)) == Decimal(row[2]), row
    assert Decimal(rows[0][2]) == 260000 and Decimal(rows[0][-3]) == 1_000_000  # 企业, 是 read
    assert Decimal(rows[1][2]) == 0  # 高校: the enterprise articles are not its
    zh = _ok(run("batch", str(sheet), "-f", "csv", "--lang", "zh")).stdout.splitlines()[0]
    assert not set(zh.split(",")) & {"line", "name", "total", *cash}
    book = tmp_path / "out.xlsx"
    _ok(run("batch", str(sheet), "-o", str(book)))
    cell = load_workbook(book).worksheets[0]["B2"]
    assert (cell.value, cell.data_type) == ("=SUM(A1)", "s")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_in_each_encoding_stated(run: Run, tmp_path: Path, encoding: str) -> None:
    text = section("Spreadsheets")
    assert {"utf-8": "UTF-8", "utf-8-sig": "with or without BOM", "gb18030": "GB18030",
            "gbk": "GBK", "utf-16": "UTF-16"}[encoding] in text  # fmt: skip
    sheet = tmp_path / "clients.csv"
    sheet.write_bytes(_csv(SHEET).encode(encoding))
    assert _ok(run("batch", str(sheet), "-f", "csv")).stdout.splitlines()[1].startswith("2,'=SUM")


def test_an_undecodable_sheet_is_refused_saying_how_to_save_it(run: Run, tmp_path: Path) -> None:
    said("an undecodable file is refused with a message saying how to save it", "Spreadsheets")
    sheet = tmp_path / "binary.csv"
    sheet.write_bytes(bytes(range(256)) * 4)
    result = run("batch", str(sheet))
    assert result.exit_code == 2 and "save it as" in result.stderr, result.output


def test_bad_records_on_stderr_and_none_in_json_lines(run: Run, tmp_path: Path) -> None:
    said("(`FILE:LINE: field: problem`)", "Spreadsheets")
    source = tmp_path / "p.jsonl"
    source.write_text('{"jiebang_projects": 1}\n{"jiebang_projects": "abc"}\n', encoding="utf-8")
    result = run("batch", str(source))
    assert re.search(rf"^subsidy: {re.escape(str(source))}:2: jiebang_projects: \S", result.stderr,
                     re.M), result.stderr  # fmt: skip
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1]


def test_the_readme_example_profile(run: Run) -> None:
    path = next(t for t in ticks(section("Spreadsheets")) if t.startswith("examples/"))
    assert path in (ROOT / "README.md").read_text(encoding="utf-8")
    _ok(run("calc", str(ROOT / path)))


# ---------------------------------------------------------------------------------------------
# Errors


def test_exit_statuses_are_the_ones_stated(run: Run, tmp_path: Path) -> None:
    stated = dict(re.findall(r"\*\*(\d)\*\* ([^;]+)", section("Errors")))
    good = tmp_path / "good.jsonl"
    good.write_text('{"jiebang_projects": 1}\n', encoding="utf-8")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"jiebang_projects": 1}\n{"jiebang_projects": -1}\n', encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"annual_rd_expense": "lots"}', encoding="utf-8")
    cases = {
        "0": [("calc", "--set", "jiebang_projects=1"), ("batch", str(good)),
              ("summary", str(good))],
        "1": [("batch", str(mixed)), ("summary", str(mixed))],
        "2": [("calc", str(bad)), ("calc", "--bogus"), ("calc", str(tmp_path / "none.json")),
              ("calc", "--set", "jiebang_projects=1", "-o", str(tmp_path / "no" / "dir.json"))],
    }  # fmt: skip
    assert set(stated) == set(cases)
    for code, commands in cases.items():
        for args in commands:
            result = run(*args)
            assert result.exit_code == int(code), (args, result.output)
            assert "Traceback" not in result.output
            if code == "1":
                assert result.stdout.strip(), args  # the rest is written
    message = run("calc", str(bad)).stderr
    assert "bad.json" in message and "annual_rd_expense" in message and "(" in message


def test_an_output_file_is_complete_or_untouched(run: Run, tmp_path: Path) -> None:
    said("an output file is either complete or untouched", "Errors")
    source = tmp_path / "mixed.jsonl"
    source.write_text('{"jiebang_projects": 1}\n{"jiebang_projects": -1}\n', encoding="utf-8")
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    assert run("batch", str(source), "--fail-fast", "-o", str(target)).exit_code != 0
    assert target.read_text(encoding="utf-8") == "old\n"


# ---------------------------------------------------------------------------------------------
# Tiers: the page's example, in a policy of its own

FRAME = """\
[policy]
id = "contract-tiers"
title = {{ zh = "示例", en = "Example" }}
[[sections]]
id = "1"
title = {{ zh = "示例", en = "Example" }}
[[inputs]]
name = "revenue"
type = "money"
label = {{ zh = "营业收入", en = "Revenue" }}
[[articles]]
id = "revenue-award"
section = "1"
title = {{ zh = "营业收入分档奖励", en = "Revenue award" }}
basis = "exact"
source = "营业收入1000万元以上的，1亿元以上奖励30万元，5000万元以上奖励20万元，其余奖励10万元。"
{example}
"""


def test_outputs_never_clobber_inputs_as_stated(run: Run, tmp_path: Path) -> None:
    said("also through a link", "Outputs never clobber inputs")
    profile = tmp_path / "p.json"
    profile.write_text('{"jiebang_projects": 1}', encoding="utf-8")
    (tmp_path / "link.json").symlink_to(profile)
    for target in (profile, tmp_path / "link.json"):
        assert run("calc", str(profile), "-o", str(target)).exit_code == 2
    assert profile.read_text(encoding="utf-8") == '{"jiebang_projects": 1}'
    assert json.loads(_ok(run("calc", str(profile), "-f", "json", "-o", "-")).stdout)["results"]
    assert not (Path.cwd() / "-").exists()
    for command, name in (("calc", "x.pdf"), ("batch", "x.xls"), ("summary", "x.xlsx")):
        args = (str(profile),) if command == "calc" else (str(tmp_path / "in.jsonl"),)
        (tmp_path / "in.jsonl").write_text('{"jiebang_projects": 1}\n', encoding="utf-8")
        result = run(command, *args, "-o", str(tmp_path / name))
        assert result.exit_code == 2 and "cannot write a" in result.output, result.output
        assert not (tmp_path / name).exists()


def test_the_tiers_example_runs_as_stated(run: Run, tmp_path: Path) -> None:
    text = section("Policy files: tiers")
    example = found(r"```toml\n(.+?)```", text).group(1)
    policy = tmp_path / "tiers.toml"
    policy.write_text(FRAME.format(example=example), encoding="utf-8")

    def award(revenue: str | None, *extra: str) -> dict[str, Any]:
        profile = {} if revenue is None else {"revenue": revenue}
        return _by_id(_calc(run, profile, "--policy", str(policy), *extra))["revenue-award"]

    assert [award(r)["amount"] for r in ("2亿", "6000万", "2000万")] == [
        "300000.00", "200000.00", "100000.00"]  # fmt: skip
    assert award("500万")["status"] == "not_eligible"
    assert award(None)["status"] == "needs_info"
    assert "第2档 / tier 2" in text and "tier 2" in award("6000万")["explanation"]
    assert "第2档" in award("6000万", "--lang", "zh")["explanation"]
    said("overriding a named value (`ID.a2=25万`) is", "Policy files: tiers")
    assert award("6000万", "--override", "revenue-award.a2=25万")["amount"] == "250000.00"


# ---------------------------------------------------------------------------------------------
# The page and the project refer to nothing outside the repository


def test_the_paths_the_page_names_exist() -> None:
    for title, body in SECTIONS.items():
        if status(title):
            continue  # names files the work will add
        for name in ticks(body):
            if re.fullmatch(r"(docs|examples|policies|src|tests|benchmarks|tools)/[\w./-]*", name):
                assert (ROOT / name).exists(), (title, name)


def _project_files() -> list[Path]:
    """The files of the project as git sees them: tracked, and new ones not ignored."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"no git checkout to list the project's files: {error}")
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _texts() -> list[tuple[Path, str]]:
    texts = []
    for path in _project_files():
        try:
            texts.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # an image or a workbook: it names no path
    return texts


# A file outside the project: the contract's old copy beside the repository, or a path that
# exists only on one machine. System paths such as /dev/null or /etc/passwd, which tests use as
# hostile input and docs as examples, are the same everywhere and allowed. A test may also write
# /tmp/… as sample text (a message to check): its own files are in tmp_path, never at a fixed path.
OUTSIDE = re.compile(
    r"\.\./shared|shared/SPEC|SPEC\.md|\bSPEC\b|(?<![\w.~])/(?:work|root|home|Users)/"
)
FIXED_TMP = re.compile(r"(?<![\w.~])/tmp/")  # outside tests/


def test_nothing_in_the_project_refers_to_files_outside_it() -> None:
    this = Path(__file__).resolve()
    referring = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for path, text in _texts() if path.resolve() != this  # its patterns name them
        for pattern in (OUTSIDE, *(() if path.is_relative_to(ROOT / "tests") else (FIXED_TMP,)))
        for m in pattern.finditer(text)
    ]  # fmt: skip
    assert referring == []


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_resolves_inside_the_project() -> None:
    root = ROOT.resolve()
    for path, text in _texts():
        if path.suffix != ".md":
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path.resolve()
            assert linked.is_relative_to(root) and linked.exists(), (path.name, target)
            if anchor and linked.suffix == ".md":
                headings = [_slug(h) for h in _sections(linked.read_text(encoding="utf-8"))]
                assert anchor in headings, (path.name, target)


# ---------------------------------------------------------------------------------------------
# The second policy: 柳河县 2023

SECOND = "The second policy: 柳河县 2023 (`liuhe-2023`)"
KINDS = {"money": "money", "bool": "bool", "count": "count", "number of 亩": "quantity"}
ON_A_DAY_IN_FORCE = ("--policy", "liuhe-2023", "--date", "2024-06-01")


@pytest.fixture(scope="module")
def liuhe() -> Policy:
    from subsidycli.policy import load_policy, resolve

    return load_policy(resolve("liuhe-2023"))


def _liuhe(run: Run, profile: dict[str, Any], *extra: str) -> dict[str, dict[str, Any]]:
    return _by_id(_calc(run, profile, *ON_A_DAY_IN_FORCE, *extra))


def test_the_second_policy_is_bundled_with_its_source(run: Run, liuhe: Policy) -> None:
    said("Bundled as `policies/liuhe-2023.toml` and chosen with `--policy liuhe-2023`; the "
         "Zhenjiang policy stays the default", SECOND)  # fmt: skip
    assert _calc(run, {})["policy"]["id"] == "zhenjiang-2024"
    source = ROOT / "policies" / "liuhe-2023.source.zh.txt"
    assert liuhe.meta.source_file == source.name and "Vnissun/LiuheSWJ" in Path(
        liuhe.path).read_text(encoding="utf-8")  # the provenance, at the head of the file
    assert _ok(run("lint", liuhe.path)).stdout.startswith(f"{liuhe.path}: ok")
    said("第26条 gives `effective_from`/`effective_to`", SECOND)
    said("in force 2023-02-08 to 2026-02-07", SECOND)
    meta = liuhe.meta
    assert (str(meta.effective_from), str(meta.effective_to)) == ("2023-02-08", "2026-02-07")
    said("第25条 is the policy's stacking rule", SECOND)
    assert meta.stacking == "highest"


def test_the_second_policy_s_fields_are_its_inputs(run: Run, liuhe: Policy) -> None:
    for cell, kind, _ in table(section(SECOND), "field"):
        for name in ticks(cell):
            item = liuhe.inputs[name]
            if kind.startswith("choice"):
                assert item.type == "choice", name
                assert [c["value"] for c in item.choices] == ticks(kind), name
            else:
                assert item.type == KINDS[kind], name
    said("`name` and `applicant_type` are common to every policy", SECOND)
    both = run("calc", "-", "--policy", "zhenjiang-2024", "--policy", "liuhe-2023", "-f", "json",
               input="{}")  # fmt: skip
    assert both.exit_code == 0, both.output  # declared alike, so the two combine


def test_every_clause_is_an_article_of_the_second_policy(liuhe: Policy) -> None:
    said("Every clause that pays an organisation is an article (about 35)", SECOND)
    assert {a.clause for a in liuhe.articles} == {f"第{n}条" for n in range(1, 27)}
    assert 30 <= len([a for a in liuhe.articles if a.basis != "info"]) <= 45
    info = {a.clause for a in liuhe.articles if a.basis == "info"}
    assert {f"第{n}条" for n in (1, 18, 19, 20, 22, 23, 24)} <= info
    for cell, clause, _ in table(section(SECOND), "article"):
        for name in ticks(cell):
            article = liuhe.article(name)
            assert article is not None and article.clause == clause, name
    said("最高/不超过 make it `up_to`, otherwise it is `exact`", SECOND)
    shares = {"fixed-asset-agriculture": "exact", "performance-reward": "up_to",
              "hq-economy": "exact", "output-growth": "up_to", "fiscal-growth": "exact",
              "merger-asset-transfer": "exact", "merger-growth": "exact"}  # fmt: skip
    assert {n: liuhe.article(n).basis for n in shares} == shares  # type: ignore[union-attr]


# Each reading of the article table, through `calc --date 2024-06-01`: a profile, an article,
# and what it gives (status, amount, and for a range its minimum).
READINGS: list[tuple[dict[str, Any], str, tuple[Any, ...]]] = [
    ({"project_type": "industrial", "fixed_asset_investment": "1000万",
      "investment_per_mu": "200万"}, "fixed-asset-industrial", ("eligible", "2000000.00",
                                                               "500000.00")),
    ({"project_type": "industrial", "fixed_asset_investment": "9999999.99",
      "investment_per_mu": "200万"}, "fixed-asset-industrial", ("not_eligible", "0.00", None)),
    ({"project_type": "modern_service", "fixed_asset_investment": "3000万",
      "investment_per_mu": "200万"}, "fixed-asset-service", ("eligible", "6000000.00",
                                                            "1500000.00")),
    ({"project_type": "special_agriculture", "fixed_asset_investment": "5000万",
      "local_fiscal_contribution": "100万"}, "fixed-asset-agriculture", ("eligible", "700000.00")),
    ({"project_type": "special_agriculture", "fixed_asset_investment": "1亿",
      "local_fiscal_contribution": "100万"}, "fixed-asset-agriculture", ("eligible", "800000.00")),
    ({"project_type": "special_agriculture", "fixed_asset_investment": "100000000.01",
      "local_fiscal_contribution": "100万"}, "fixed-asset-agriculture", ("eligible", "900000.00")),
    ({"project_type": "modern_service", "fixed_asset_investment": "1亿",
      "investment_per_mu": "200万"}, "major-project", ("eligible", None)),
    ({"new_key_project": True, "tax_per_mu": "10万", "performance_year": 2,
      "local_fiscal_contribution": "1000万"}, "performance-reward", ("eligible", "8000000.00")),
    ({"new_key_project": True, "tax_per_mu": "10万", "performance_year": 3,
      "local_fiscal_contribution": "1000万"}, "performance-reward", ("eligible", "5000000.00")),
    ({"new_key_project": True, "tax_per_mu": "10万", "performance_year": 6,
      "local_fiscal_contribution": "1000万"}, "performance-reward", ("not_eligible", "0.00")),
    ({"new_key_project": True, "tax_per_mu": "10万", "performance_year": 1,
      "local_fiscal_contribution": "1亿"}, "performance-reward", ("eligible", "50000000.00")),
    ({"hq_new": True, "hq_year": 1, "local_fiscal_contribution": "999万"}, "hq-economy",
     ("not_eligible", "0.00")),
    ({"hq_new": True, "hq_year": 5, "local_fiscal_contribution": "2000万"}, "hq-economy",
     ("eligible", "14000000.00")),
    ({"hq_new": True, "hq_year": 2, "local_fiscal_contribution": "5000万"}, "hq-economy",
     ("eligible", "40000000.00")),
    ({"hq_new": True, "hq_year": 2, "local_fiscal_contribution": "1亿"}, "hq-economy",
     ("eligible", "90000000.00")),
    ({"hq_new": True, "hq_year": 6, "local_fiscal_contribution": "1亿"}, "hq-economy",
     ("not_eligible", "0.00")),
    ({"national_tech_center_first": True}, "tech-center-national", ("eligible", "1000000.00")),
    ({"provincial_tech_center_first": True}, "tech-center-provincial", ("eligible", "300000.00")),
    ({"high_tech_first": True}, "high-tech-first", ("eligible", "200000.00")),
    ({"above_scale_industrial": True, "output_growth": "1000万"}, "output-growth",
     ("not_eligible", "0.00")),
    ({"above_scale_industrial": True, "output_growth": "1100万"}, "output-growth",
     ("eligible", "5000.00")),
    ({"above_scale_industrial": True, "output_growth": "1亿"}, "output-growth",
     ("eligible", "200000.00")),
    ({"listing_board": "main"}, "listing", ("eligible", "3000000.00")),
    ({"listing_board": "sme_chinext_star"}, "listing", ("eligible", "2000000.00")),
    ({"listing_board": "neeq"}, "listing", ("eligible", "1000000.00")),
    ({"medicine_enterprise": True, "gap_base_area": "99.9"}, "gap-planting-base",
     ("not_eligible", "0.00")),
    ({"medicine_enterprise": True, "gap_base_area": "500"}, "gap-planting-base",
     ("eligible", "50000.00")),
    ({"medicine_enterprise": True, "gap_base_area": "600.5"}, "gap-planting-base",
     ("eligible", "120100.00")),
    ({"production_enterprise": True, "annual_tax_paid": "500万", "new_key_project": False,
      "fiscal_contribution_increase": "100万"}, "fiscal-growth", ("not_eligible", "0.00")),
    ({"production_enterprise": True, "annual_tax_paid": "5000000.01", "new_key_project": False,
      "fiscal_contribution_increase": "1亿"}, "fiscal-growth", ("eligible", "20000000.00")),
]  # fmt: skip


@pytest.mark.parametrize(("profile", "article", "expected"), READINGS)
def test_each_reading_of_the_second_policy_holds(
    run: Run, profile: dict[str, Any], article: str, expected: tuple[Any, ...]
) -> None:
    result = _liuhe(run, profile)[article]
    got = (result["status"], result["amount"], result.get("minimum"))
    assert got[: len(expected)] == expected


def test_fiscal_growth_waits_for_the_new_project_s_rewards(run: Run) -> None:
    title = "the reason names the article it waits for (第4条 / 第2条); `new_key_project = false` "
    said(title + "does not wait", SECOND)
    tax = {"production_enterprise": True, "annual_tax_paid": "800万",
           "fiscal_contribution_increase": "100万"}  # fmt: skip
    fourth = {"new_key_project": True, "tax_per_mu": "10万", "performance_year": 1,
              "local_fiscal_contribution": "100万"}  # fmt: skip
    second = {"new_key_project": True, "project_type": "industrial", "tax_per_mu": "1万",
              "fixed_asset_investment": "2000万", "investment_per_mu": "200万"}  # fmt: skip
    for waited, clause in ((fourth, "第4条"), (second, "第2条")):
        result = _liuhe(run, {**tax, **waited}, "--lang", "zh")["fiscal-growth"]
        assert result["status"] == "not_eligible" and clause in result["explanation"], clause
    assert _liuhe(run, {**tax, "new_key_project": False})["fiscal-growth"]["status"] == "eligible"


def test_the_second_policy_out_of_force_is_shown_and_not_counted(run: Run) -> None:
    said("Validity (第26条: from publication, 暂定三年)", SECOND)
    profile = {"high_tech_first": True}
    on = _calc(run, profile, *ON_A_DAY_IN_FORCE)
    after = _calc(run, profile, "--policy", "liuhe-2023", "--date", "2026-02-08")
    assert on["total"] == "200000.00" and after["total"] == "0.00"
    assert _by_id(after)["high-tech-first"]["amount"] == "200000.00"  # computed, not counted
    assert after["policy"]["in_force"] is False


def test_the_readings_left_open_are_stated_in_the_notes(liuhe: Policy) -> None:
    said("Where the text is genuinely ambiguous, take the narrower reading, say so", SECOND)
    for clause in ("第6条", "第7条", "第8条", "第10条", "第13条", "第16条"):
        notes = [a.note for a in liuhe.articles if a.clause == clause and a.note]
        assert any("本工具" in n["zh"] and "the tool" in n["en"] for n in notes), clause
    for a in liuhe.articles:
        if a.basis != "info":
            assert a.note and "申报主体" in a.note["zh"] and "Who" in a.note["en"], a.id
    said("the services 10万 and trade 5万 state their schedules", SECOND)
    for name, years in (("new-above-scale-services", ("5万", "3万", "2万")),
                        ("new-above-limit-trade", ("2万", "2万", "1万"))):  # fmt: skip
        article = liuhe.article(name)
        assert article is not None and article.year is None
        paid = [row.amount({}) for row in article.schedule if row.amount is not None]
        assert [f"{v / 10_000:f}万" for v in paid] == list(years), name


def test_multi_year_articles_show_their_schedule(run: Run, tmp_path: Path) -> None:
    said("Multi-year articles (第4, 5, 14, 16条) show their schedule (per year) in `explain`, the "
         "table's explanation and the report", SECOND)  # fmt: skip
    profile = {"new_key_project": True, "tax_per_mu": "10万", "performance_year": 4,
               "local_fiscal_contribution": "1000万", "hq_new": True, "hq_year": 2,
               "newly_in_statistics": "services", "merger_continuing": True, "merger_year": 1,
               "merger_contribution_increase": "100万"}  # fmt: skip
    results = _liuhe(run, profile, "--lang", "zh")
    for name, rows in (("performance-reward", "第1–2年 80%"), ("hq-economy", "第1–5年"),
                       ("new-above-scale-services", "第1年 50,000.00"),
                       ("merger-growth", "第1–3年 70%")):  # fmt: skip
        assert rows in results[name]["explanation"], name
        shown = _ok(run("explain", name, "--policy", "liuhe-2023", "--lang", "zh")).stdout
        assert "分年" in shown and rows.split(" ")[0] in shown, name
    report = tmp_path / "report.html"
    _ok(run("calc", "-", *ON_A_DAY_IN_FORCE, "--lang", "zh", "-o", str(report),
            input=json.dumps(profile)))  # fmt: skip
    assert "第1–2年 80%" in report.read_text(encoding="utf-8")


def test_a_range_has_a_minimum_and_case_by_case_no_amount(run: Run) -> None:
    title = "`calc --format json` output"
    said("A `range` result also has `minimum`, the least it pays (`amount` is the most); no other "
         "result has that key", title)  # fmt: skip
    said("A `case_by_case` result is `eligible` with `amount` null", title)
    results = _liuhe(run, {"project_type": "industrial", "fixed_asset_investment": "2亿",
                           "investment_per_mu": "300万", "tech_upgrade_completed": True,
                           "upgrade_equipment_investment": "300万", "new_key_project": False})
    assert results["fixed-asset-industrial"]["minimum"] == "10000000.00"
    assert [r for r, v in results.items() if "minimum" in v] == [
        "fixed-asset-industrial", "fixed-asset-service"]  # the two ranges, eligible or not
    assert (results["major-project"]["status"], results["major-project"]["amount"]) == (
        "eligible", None)  # fmt: skip
    assert results["tech-upgrade"]["cap"] == "500000.00"
