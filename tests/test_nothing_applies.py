"""When no article applies, `calc` says so in words, with the articles nearest to applying and
what each misses, in place of an empty table under a title squeezed to its width: at a real
terminal of 80 and 120 columns, in Markdown and in the HTML report; JSON stays data (issue 24,
point 9)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pexpect
import pytest

from subsidycli.text import cell_width
from tests.conftest import Run
from tests.htmltree import parse
from tests.test_interview import ANSI, POLICY, spawn

# An enterprise with every item "no" and an R&D expense 200万 short of the 1000万 threshold.
SHORT = ["--set", "applicant_type=enterprise", "--set", "annual_rd_expense=800万",
         "--assume-no"]  # fmt: skip
HEADLINE = {
    "en": "No article of this policy applies, on the answers given.",
    "zh": "按已填资料，本政策没有适用于本单位的条款。",
}
GAP = {
    "en": "Annual R&D expense 8,000,000.00: 2,000,000.00 short of the 10,000,000.00 (inclusive) "
    "threshold",
    "zh": "年度研发费用 800.00 万元，距 1000 万元（含）门槛还差 200.00 万元",
}
TABLE_LINES = set("┏┃┡└│━")
TITLE = {lang: POLICY.title[lang] for lang in ("en", "zh")}


def screen(args: list[str], lang: str, columns: int) -> str:
    """What a person sees: `subsidy ARGS` run in a pseudo-terminal `columns` wide."""
    child = spawn(args, lang=lang, size=(50, columns))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(ANSI.sub("", child.before.replace("\r\n", "\n")))


def joined(text: str, lang: str) -> str:
    """The text with its wrapped lines joined again (a Chinese line wraps without a space)."""
    return ("" if lang == "zh" else " ").join(line.strip() for line in text.splitlines())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [80, 120])
def test_a_terminal_reads_that_nothing_applies_and_what_is_nearest(lang: str, columns: int) -> None:
    text = screen(["calc", *SHORT, "--lang", lang], lang, columns)
    assert not TABLE_LINES & set(text), text  # no empty table drawn
    assert max(cell_width(line) for line in text.splitlines()) <= columns
    flat = joined(text, lang)
    assert HEADLINE[lang] in flat
    lead = text.splitlines()[text.splitlines().index(HEADLINE[lang]) + 1]
    assert lead.startswith(("Nearest to applying", "最接近适用的条款"))
    items = [line for line in text.splitlines() if line.startswith("  · ")]
    assert len(items) == 3
    # The nearest first: the R&D subsidy, missed only by an amount (the others need a yes).
    assert items[0].startswith(("  · R&D investment subsidy", "  · 研发投入补助"))
    assert GAP[lang] in joined("\n".join(text.splitlines()), lang)
    # The title is wrapped to the terminal, not to an empty table's few columns.
    first = text.splitlines()[0]
    assert first == TITLE[lang] or cell_width(first) > columns - 20, first
    # The footer still says how to see every article and why it does not apply.
    assert "--all" in text


@pytest.mark.parametrize("columns", [80, 120])
def test_an_organisation_s_name_heads_it(columns: int) -> None:
    text = screen(["calc", *SHORT, "--set", "name=镇江示例公司", "--lang", "zh"], "zh", columns)
    lines = text.splitlines()
    assert lines[1] == "镇江示例公司" and lines[2] == HEADLINE["zh"]


def test_no_threshold_of_an_article_the_applicant_cannot_claim(run: Run) -> None:
    """A university's R&D expense decides only enterprise articles: none is cited."""
    result = run("calc", "--set", "applicant_type=university", "--set", "annual_rd_expense=800万",
                 "--assume-no", "--lang", "zh", "-f", "markdown")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert HEADLINE["zh"] in result.stdout
    assert "研发投入补助" not in result.stdout and "年度研发费用" not in result.stdout
    assert "门槛还差" not in result.stdout


def test_a_policy_with_nothing_for_this_kind_of_applicant_says_so(run: Run) -> None:
    result = run("calc", "--policy", "liuhe-2023", "--set", "applicant_type=other", "--assume-no",
                 "--date", "2024-01-01", "--lang", "zh")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "本政策没有面向“其他”类申报主体的条款。" in result.stdout
    assert not TABLE_LINES & set(result.stdout)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_says_it_in_words_not_an_empty_table(run: Run, lang: str) -> None:
    result = run("calc", *SHORT, "--lang", lang, "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "|---|" not in result.stdout
    assert f"**{HEADLINE[lang]}**" in result.stdout
    bullets = [html.unescape(line.replace("\\", "")) for line in result.stdout.splitlines()
               if line.startswith("- **")]  # as a Markdown reader shows them  # fmt: skip
    assert len(bullets) == 3 and GAP[lang] in bullets[0]
    assert "Gap (" not in result.stdout and "差距【" not in result.stdout  # said once, above


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_says_it_at_its_head(run: Run, tmp_path: Path, lang: str) -> None:
    target = tmp_path / "report.html"
    result = run("calc", *SHORT, "--lang", lang, "-o", str(target))
    assert result.exit_code == 0, result.output
    page, _ = parse(target.read_text(encoding="utf-8"))
    box = next(e for e in page.iter("div") if e.attrs.get("id") == "nothing-applies")
    assert HEADLINE[lang] in box.text()
    items = [li.text() for li in box.iter("li")]
    assert len(items) == 3 and GAP[lang] in items[0]
    summary = next(e for e in page.iter("section") if e.attrs.get("id") == "summary")
    assert box in list(summary.iter("div"))  # in the summary, before the list of articles


def test_json_stays_data(run: Run) -> None:
    nothing = run("calc", *SHORT, "-f", "json")
    something = run("calc", "--set", "applicant_type=enterprise", "--set",
                    "annual_rd_expense=1200万", "--assume-no", "-f", "json")  # fmt: skip
    data, other = json.loads(nothing.stdout), json.loads(something.stdout)
    assert set(data) == set(other)
    assert {r["status"] for r in data["results"]} <= {"not_eligible", "info"}
    assert "No article" not in nothing.stdout


def test_when_something_applies_there_is_no_such_word(run: Run) -> None:
    result = run("calc", "--set", "applicant_type=enterprise", "--set", "annual_rd_expense=1200万",
                 "--assume-no")  # fmt: skip
    assert HEADLINE["en"] not in result.stdout
    assert TABLE_LINES & set(result.stdout)


def test_all_still_draws_every_article(run: Run) -> None:
    result = run("calc", *SHORT, "--all")
    assert result.exit_code == 0, result.output
    assert TABLE_LINES & set(result.stdout)
    assert len(re.findall("not eligible", result.stdout)) > 20
