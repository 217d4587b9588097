"""Every help page as a person sees it in a real terminal of 80 and 120 columns, in both
languages: no line wider than the screen (a Chinese character takes two cells), no word or file
name broken across lines, no Chinese line starting with closing punctuation or ending with an
opening bracket, and under zh the usage words said in Chinese (issue 24, point 10)."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from subsidycli.cli.lang import paragraphs
from tests.test_terminal import screen

COMMANDS = ("", "calc", "interview", "batch", "summary", "init", "articles", "explain",
            "policies", "lint", "test", "diff", "schema")  # fmt: skip
# Words that must appear whole on one line of the page that mentions them (a file name, an
# environment variable, an option): click's own wrapping cut "CS/V", ".x/lsx", "LC_ALL/L/ANG".
WHOLE = ("LC_ALL/LANG", "--output", "--override", ".xlsx", ".jsonl", "subsidy")
NO_LINE_START = "，。、；：！？）》」』】］"
NO_LINE_END = "（《「『【［"
# click's and typer's English usage words, which a zh page must not show.
ENGLISH_USAGE = re.compile(r"\[OPTIONS\]|\{INPUT\}|<int range>|<file>|\bFILE\b|\bPATH\|ID\b|"
                           r"\bdefault:|\bARTICLE\.NAME=VALUE\b|\bUsage:")  # fmt: skip


def page(command: str, lang: str, columns: int) -> list[str]:
    args = [command, "--help"] if command else ["--help"]
    env = {"LANG": "zh_CN.UTF-8" if lang == "zh" else "C.UTF-8", "LC_ALL": ""}
    return [line.rstrip() for line in screen(args, columns, env)]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_help_page_fits_the_screen_and_breaks_no_word(command: str, lang: str,
                                                        columns: int) -> None:  # fmt: skip
    lines = page(command, lang, columns)
    text = "\n".join(lines)
    assert "Usage" in text or "用法" in text
    for line in lines:  # `screen` has checked each line's width already
        stripped = line.strip()
        if not stripped:
            continue
        assert stripped[0] not in NO_LINE_START, f"starts with punctuation: {line!r}"
        assert stripped[-1] not in NO_LINE_END, f"ends with an opening bracket: {line!r}"
    joined = " ".join(line.strip() for line in lines)
    for word in WHOLE:
        if word in joined.replace(" ", ""):  # mentioned: then whole on some line
            assert word in text, f"{word} is broken across lines"


@pytest.mark.parametrize("command", ["", "calc", "batch", "summary", "explain", "diff", "lint"])
def test_chinese_help_says_the_usage_words_in_chinese(command: str) -> None:
    text = "\n".join(page(command, "zh", 80))
    assert "用法：" in text and "[选项]" in text
    assert not ENGLISH_USAGE.findall(text), ENGLISH_USAGE.findall(text)


def test_the_usage_line_names_the_argument_in_chinese() -> None:
    assert re.search(r"^用法：.* batch \[选项\] \{输入文件\}$", page("batch", "zh", 80)[0])
    jobs = [line for line in page("batch", "zh", 80) if "--jobs" in line or "至少为" in line]
    assert any("--jobs N" in line for line in jobs), jobs
    assert "x>=" not in "\n".join(page("batch", "zh", 120))


def test_paragraphs_join_chinese_lines_without_a_space_and_keep_examples() -> None:
    text = "第一行中文\n接着写。\nEnglish words\nflow on.\n\nExamples:\n\n\b\n  subsidy calc a.json"
    lines = paragraphs(text, 80, "  ")
    assert lines.split("\n")[0] == "  第一行中文接着写。English words flow on."
    assert "    subsidy calc a.json" in lines.split("\n")
    narrow = paragraphs("费用" * 30 + "（`N passed, N failed`）", 40, "")
    assert all(cell_len(line) <= 40 for line in narrow.split("\n"))
    assert "`N passed, N failed`" in narrow  # a code span is not broken
