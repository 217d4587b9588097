"""What-ifs as a person sees them in a terminal of 80 and 120 columns, in Chinese and English.

`summary --override` shows the articles the what-if changes, and one line counting those it
leaves as they were (JSON and CSV keep every article); `diff` with a profile says the profile's
total before → after, and says so plainly when none of its results changes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pexpect
import pytest
from rich.cells import cell_len

from tests.conftest import ROOT, cli_command, cli_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (80, 120)
LANGS = ("zh", "en")

CLIENTS = """name,applicant_type,annual_rd_expense,deductible_rd_expense,high_tech_enterprise,\
jiebang_projects
甲公司,enterprise,1200万,1000万,是,1
乙公司,enterprise,800万,700万,否,0
丙研究院,new_rd_institution,,,,
"""  # fmt: skip
# Lowering the threshold below 乙's 800万 makes 乙 eligible; a higher rate pays 甲 more.
WHAT_IF = ["--override", "rd-investment-subsidy.threshold=500万",
           "--override", "rd-investment-subsidy.rate=3%"]  # fmt: skip
UNCHANGED = {"zh": "另有 {n} 条未变化", "en": "{n} more articles unchanged"}
TOTAL_LINE = {"zh": "合计（最高可申报", "en": "Total (maximum claimable"}
NOTHING = {"zh": "没有条款变化", "en": "No article changes"}


def screen(args: list[str], columns: int) -> list[str]:
    """The lines `subsidy ARGS` shows in a pseudo-terminal `columns` wide (colours taken off, a
    line redrawn as it ends up); none is wider than the terminal."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    command = cli_command(*args)
    child = pexpect.spawn(command[0], command[1:], env=cli_env(environ), encoding="utf-8",
                          dimensions=(200, columns), timeout=300)  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    text = ANSI.sub("", child.before or "").replace("\r\n", "\n")
    lines = [line.split("\r")[-1] for line in text.split("\n")]  # a progress bar redrawn
    for line in lines:
        assert cell_len(line) <= columns, f"wider than {columns}: {line!r}"
    return lines


def at(lines: list[str], text: str) -> int:
    """The number of the first line holding `text`."""
    found = [n for n, line in enumerate(lines) if text in line]
    assert found, f"{text!r} is not on screen:\n" + "\n".join(lines)
    return found[0]


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    path.write_text(CLIENTS, encoding="utf-8")
    return path


def summary_json(run: Any, clients: Path, *extra: str) -> dict[str, Any]:
    result = run("summary", str(clients), "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_summary_what_if_shows_the_changed_article_and_counts_the_rest(
    run: Any, clients: Path, columns: int, lang: str
) -> None:
    data = summary_json(run, clients, *WHAT_IF)
    changed = [a for a in data["articles"] if a["change"] not in ("0.00", None)]
    assert [a["article"] for a in changed] == ["rd-investment-subsidy"]
    unchanged = len(data["articles"]) - 1
    assert unchanged > 20  # JSON keeps every article, the unchanged ones too

    lines = screen(["summary", str(clients), *WHAT_IF, "--lang", lang], columns)
    text = "\n".join(lines)
    first = at(lines, "rd-investment-subsidy")
    count = at(lines, UNCHANGED[lang].format(n=unchanged))
    total = at(lines, TOTAL_LINE[lang])
    assert first < count < total, text
    # Only the changed article is drawn: no card or row of an article the what-if leaves alone
    for article in data["articles"]:
        if article not in changed:
            assert f"({article['article']})" not in text, article["article"]
    # Its count of eligible organisations as before → now: 甲 alone, then 甲 and 乙
    assert "1 → 2" in text
    said = "".join(lines[total : total + 2])  # at 80 columns the change may wrap
    assert "→" in said and ("+35.00 万元" if lang == "zh" else "+350,000.00") in said, said


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_summary_what_if_that_changes_nothing_says_so(
    clients: Path, columns: int, lang: str
) -> None:
    # The cap is far above 0.5% of any client's expense: nothing changes
    lines = screen(["summary", str(clients), "--override", "rd-investment-subsidy.max=30万",
                    "--lang", lang], columns)  # fmt: skip
    text = "\n".join(lines)
    assert NOTHING[lang] in text
    assert "┏" not in text and "┌" not in text, text  # no table of unchanged rows
    assert "(rd-investment-subsidy)" not in text


def test_summary_without_what_if_lists_every_article(run: Any, clients: Path) -> None:
    result = run("summary", str(clients), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "(jiebang-guashuai)" in result.stdout
    assert "unchanged" not in result.stdout


def test_machine_formats_keep_every_article(run: Any, clients: Path) -> None:
    plain = summary_json(run, clients)
    what_if = summary_json(run, clients, *WHAT_IF)
    assert [a["article"] for a in what_if["articles"]] == [a["article"] for a in plain["articles"]]
    result = run("summary", str(clients), *WHAT_IF, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == len(plain["articles"]) + 2  # head, total


def test_markdown_what_if_has_the_changed_row_and_the_count_line(run: Any, clients: Path) -> None:
    result = run("summary", str(clients), *WHAT_IF, "-f", "markdown", "--lang", "en")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 2  # the heading and the one article changed
    assert "rd-investment-subsidy" in rows[1]
    total = len(summary_json(run, clients)["articles"]) - 1
    assert f"- {total} more articles unchanged" in result.stdout


# --- diff ------------------------------------------------------------------------------------


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """The bundled policy with the R&D subsidy's threshold lowered from 1000万 to 500万."""
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    old = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'
    assert old in text
    path = tmp_path / "draft.toml"
    path.write_text(text.replace(old, old.replace("1000万", "500万")), encoding="utf-8")
    return path


def profile(tmp_path: Path, rd: str) -> Path:
    path = tmp_path / f"p{rd}.json"
    data = {"applicant_type": "enterprise", "annual_rd_expense": rd, "deductible_rd_expense": rd}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


TOTAL = {"zh": "该档案的合计", "en": "Total for the profile"}
SAME = {"zh": "该档案的结果不变", "en": "The profile's results are unchanged"}


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_diff_says_the_profiles_total_before_and_after(
    tmp_path: Path, draft: Path, columns: int, lang: str
) -> None:
    # 800万 of R&D: below the old threshold, above the new one: 0.5% × 800万 = 4万 more
    lines = screen(["diff", "zhenjiang-2024", str(draft), str(profile(tmp_path, "800万")),
                    "--lang", lang], columns)  # fmt: skip
    line = lines[at(lines, TOTAL[lang])]
    change = "+4.00 万元" if lang == "zh" else "+40,000.00"
    assert change in line and "→" in line, line
    assert SAME[lang] not in "\n".join(lines)


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_diff_says_plainly_when_the_profiles_results_do_not_change(
    tmp_path: Path, draft: Path, columns: int, lang: str
) -> None:
    # 1200万: eligible under both thresholds, for the same amount
    lines = screen(["diff", "zhenjiang-2024", str(draft), str(profile(tmp_path, "1200万")),
                    "--lang", lang], columns)  # fmt: skip
    line = lines[at(lines, TOTAL[lang])]
    assert ("0.00 元" if lang == "zh" else "(0.00)") in line, line
    at(lines, SAME[lang])
    at(lines, "rd-investment-subsidy")  # the article that changed is still listed


def test_diff_without_a_profile_has_no_total(run: Any, draft: Path) -> None:
    result = run("diff", "zhenjiang-2024", str(draft), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Total for the profile" not in result.stdout
    assert "rd-investment-subsidy" in result.stdout


def test_diff_compares_the_second_policys_keys(run: Any, tmp_path: Path) -> None:
    """A range's minimum, a schedule's years and the stages of payment are compared."""
    text = (ROOT / "policies" / "liuhe-2023.toml").read_text(encoding="utf-8")
    edits = [
        ('minimum = "low * fixed_asset_investment"',
         'minimum = "low * fixed_asset_investment / 2"'),
        ('{ from = 3, to = 5, amount = "late', '{ from = 3, to = 4, amount = "late'),
        ('{ share = "40%", stage', '{ share = "50%", stage'),
        ('{ share = "30%", stage = { zh = "项目实现', '{ share = "20%", stage = { zh = "项目实现'),
    ]  # fmt: skip
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    draft = tmp_path / "liuhe-draft.toml"
    draft.write_text(text, encoding="utf-8")
    result = run("diff", "liuhe-2023", str(draft), "--lang", "en", "-f", "json")
    assert result.exit_code == 0, result.output
    fields = {e["article"]: e.get("fields", {}) for e in json.loads(result.stdout)}
    assert fields["fixed-asset-industrial"]["minimum"]["new"].endswith("÷ 2")
    assert "years 3–4" in "; ".join(fields["performance-reward"]["schedule"]["new"])
    assert fields["staged-payment"]["stages"]["new"][0].startswith("20%")
    result = run("diff", "liuhe-2023", str(draft), "--lang", "zh")
    assert "最低金额：" in result.stdout and "分年度：" in result.stdout
    assert "第3–4年" in result.stdout and "→  20% 项目实现" in result.stdout


AMOUNT = re.compile(r"(-?\d[\d,]*\.\d\d) ?(万元|元)")
# 甲's deductible expense of 1000.0123万 makes its subsidy 0.5% × 10,000,123 = 50,000.62 元: a
# fen no two decimals of 万元 can show.
ODD = CLIENTS.replace("1200万,1000万", "1200万,1000.0123万")


def units(lines: list[str]) -> set[str]:
    """The units of the amounts on screen (a line broken between an amount and its unit too)."""
    return {m.group(2) for m in AMOUNT.finditer(" ".join(" ".join(lines).split()))}


@pytest.mark.parametrize(("sheet", "unit"), [(CLIENTS, "万元"), (ODD, "元")])
@pytest.mark.parametrize("what_if", [False, True])
def test_a_summary_shows_its_amounts_in_one_unit(
    tmp_path: Path, sheet: str, unit: str, what_if: bool
) -> None:
    """At 80 columns in Chinese, every amount of a summary (cards and total line, a what-if's
    baseline and change) is in 万元 when each is whole at two decimals of 万元, else in 元."""
    path = tmp_path / "clients.csv"
    path.write_text(sheet, encoding="utf-8")
    lines = screen(["summary", str(path), *(WHAT_IF if what_if else []), "--lang", "zh"], 80)
    assert units(lines) == {unit}, "\n".join(lines)
    text = " ".join(" ".join(lines).split())
    if unit == "元":  # the round amounts too, and the fen kept
        assert ("1,000,000.00 元" if not what_if else "400,000.00 元") in text, text
        assert "50,000.62 元" in text, text


def test_a_summary_in_markdown_shows_its_amounts_in_one_unit(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(ODD, encoding="utf-8")
    result = run("summary", str(path), "-f", "markdown", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert units(result.stdout.splitlines()) == {"元"}, result.stdout
    assert "50,000.62 元" in result.stdout
