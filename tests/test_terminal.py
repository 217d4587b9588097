"""What a person sees in a real terminal of 60 to 120 columns: every character, nothing cropped.

Each command runs in a pseudo-terminal of the given width. A line no wider than the terminal is
a line of the screen as it is; so the test checks that no line is wider, then that each amount
and cap is whole on one line and each explanation is all there, in order, with no number broken
across lines (text may wrap only between words, or anywhere inside Chinese).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pexpect
import pytest
from rich.cells import cell_len

from subsidycli import i18n, money
from tests.conftest import ROOT, cli_command, cli_env

EXAMPLE = str(ROOT / "examples" / "enterprise.json")
WIDTHS = (80, 100, 120)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BORDERS = re.compile(r"[│┃║|]")
NUMBER = re.compile(r"\d[\d,.]*%?")


def people(amount: Decimal, lang: str) -> str:
    """Money as a person reads it in `lang`."""
    with i18n.using(lang):
        return money.format_for_people(amount)


def screen(args: list[str], columns: int, env: dict[str, str] | None = None) -> list[str]:
    """The lines `subsidy ARGS` shows in a terminal `columns` wide (colours taken off)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    environ.update(env or {})
    command = cli_command(*args)
    child = pexpect.spawn(
        command[0], command[1:], env=cli_env(environ), encoding="utf-8",
        dimensions=(60, columns), timeout=300,  # only a guard against a hang
    )  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    text = ANSI.sub("", child.before or "")
    lines = text.replace("\r\n", "\n").split("\n")
    for line in lines:
        assert cell_len(line) <= columns, f"wider than {columns}: {line!r}"
    return lines


def flat(text: str) -> str:
    """Text without borders or white space: what must read on whatever lines wrap it."""
    return re.sub(r"\s+", "", BORDERS.sub("", text))


def assert_whole(lines: list[str], text: str) -> None:
    """`text` is on screen in order, every number of it unbroken on one line."""
    assert flat(text) in flat("".join(lines)), text
    for number in NUMBER.findall(text):
        assert any(number in line for line in lines), f"{number} broken or lost in {text!r}"


def assert_title(lines: list[str], title: str) -> None:
    """A title in the first column may wrap beside the other cells: its words are all there, in
    order, none of them broken."""
    screen_text = flat("".join(lines))
    position = 0
    for word in title.split():
        if word.isascii():
            assert any(word in line for line in lines), f"{word!r} of {title!r} is broken"
        for char in flat(word):
            position = screen_text.find(char, position) + 1
            assert position, f"{title!r} is not all on screen"


def on_one_line(lines: list[str], text: str) -> None:
    assert any(text in line for line in lines), f"{text!r} is not whole on any line"


def example_results(lang: str) -> list[dict[str, Any]]:
    from typer.testing import CliRunner

    from subsidycli.cli import app

    result = CliRunner().invoke(app, ["calc", EXAMPLE, "--format", "json", "--lang", lang])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    shown = [r for r in data["results"] if r["status"] in ("eligible", "needs_info")]
    assert shown
    return shown


def shown_explanations(lang: str) -> dict[str, str]:
    """Each article's explanation as the table writes it: money in the table's unit (万元 in
    Chinese), where JSON keeps 元."""
    from subsidycli import explain
    from subsidycli.engine import evaluate
    from subsidycli.policy import bundled_paths, load_policy
    from subsidycli.profile import parse_profile

    policy = load_policy(bundled_paths()[0])
    data = json.loads(Path(EXAMPLE).read_text(encoding="utf-8"))
    with i18n.using(lang), explain.for_people():
        evaluation = evaluate(policy, parse_profile(data, policy, "example"))
    return {r.article: r.explanation for r in evaluation.results}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("columns", WIDTHS)
def test_every_amount_cap_and_explanation_is_on_screen_whole(lang: str, columns: int) -> None:
    lines = screen(["calc", EXAMPLE, "--lang", lang], columns)
    explanations = shown_explanations(lang)
    for result in example_results(lang):
        for key in ("amount", "cap", "tax_saving"):
            if result.get(key) is not None:
                on_one_line(lines, people(Decimal(result[key]), lang))
        assert_whole(lines, explanations[result["article"]])
        assert_title(lines, result["title"])
        on_one_line(lines, result["article"])
    total = people(Decimal("3785000"), lang)
    on_one_line(lines, total)


def test_narrowest_terminal_still_shows_everything() -> None:
    lines = screen(["calc", EXAMPLE, "--lang", "en"], 60)
    for result in example_results("en"):
        assert_whole(lines, result["explanation"])
        if result["cap"] is not None:
            on_one_line(lines, money.format_money(Decimal(result["cap"])))


def test_a_wide_terminal_gets_one_row_per_article() -> None:
    lines = screen(["articles", "--lang", "zh"], 220)
    row = next(line for line in lines if "rd-investment-subsidy" in line)
    assert "研发投入补助" in row and "20.00 万元" in row  # id, title and cap side by side


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("columns", (60, *WIDTHS))
def test_articles_fit_the_terminal(lang: str, columns: int) -> None:
    from typer.testing import CliRunner

    from subsidycli.cli import app

    listed = CliRunner().invoke(app, ["articles", "--format", "json", "--lang", lang])
    lines = screen(["articles", "--lang", lang], columns)
    for row in json.loads(listed.stdout):
        on_one_line(lines, row["id"])
        assert_whole(lines, row["title"])
        if row["cap"]:
            on_one_line(lines, people(Decimal(row["cap"]), lang))
    if lang == "zh":  # the report of issue 14: one Chinese character per line
        assert not [line for line in lines if len(flat(line)) == 1]


@pytest.mark.parametrize("columns", (60, 80))
def test_explain_wraps_under_its_indent(columns: int) -> None:
    from subsidycli.policy import bundled_paths, load_policy

    article = load_policy(bundled_paths()[0]).article("rd-investment-subsidy")
    assert article is not None
    lines = screen(["explain", "rd-investment-subsidy", "--lang", "zh"], columns)
    assert_whole(lines, article.source)
    start = next(i for i, line in enumerate(lines) if line.startswith("原文"))
    source_lines = lines[start + 1 : start + 3]
    assert all(line.startswith("  ") for line in source_lines), source_lines


def test_piped_output_keeps_one_layout(tmp_path: Path) -> None:
    """Redirected to a file, the table is the same whatever the terminal's width."""
    outputs = []
    for columns in ("60", "200"):
        out = tmp_path / f"{columns}.txt"
        command = " ".join(shlex.quote(part) for part in cli_command("calc", EXAMPLE))
        child = pexpect.spawn(
            "bash", ["-c", f"{command} > {shlex.quote(str(out))}"],
            env=cli_env({**os.environ, "COLUMNS": columns}), dimensions=(60, int(columns)),
            timeout=300,  # only a guard against a hang
        )  # fmt: skip
        child.expect(pexpect.EOF)
        child.close()
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert "1,000,000.00 × 1 = 1,000,000.00" in outputs[0]


class _Terminal(io.TextIOWrapper):
    """A stderr that says it is a terminal, as a real one (a text layer over bytes)."""

    def isatty(self) -> bool:
        return True


def test_an_error_during_batch_lands_above_the_progress_bar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The bar is drawn when it starts; a bad record's message then clears the bar's line first
    (rich's live display) instead of being written after the bar's text."""
    from subsidycli.cli.console import console

    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", _Terminal(raw, encoding="utf-8", write_through=True))
    source = tmp_path / "in.jsonl"
    source.write_text('{"annual_rd_expense": "1200万"}\n' * 100, encoding="utf-8")
    with source.open("rb") as stream, contextlib.ExitStack() as stack:
        tick = console.progress(stack, stream)
        assert tick is not None
        tick(10, 100)
        console.report(["in.jsonl:2: annual_rd_expense: 'abc' is not an amount"])
        tick(20, 200)
    text = raw.getvalue().decode("utf-8")
    assert "profiles" in text  # the bar was drawn
    before = text.split("subsidy: in.jsonl:2:")[0]
    assert before.endswith(("\x1b[2K", "\n")), repr(before[-40:])


@pytest.mark.parametrize("width", [10, 17, 40])
def test_wrapping_breaks_chinese_anywhere_and_ascii_words_never(width: int) -> None:
    from subsidycli.text import wrap

    text = "鼓励企业建立研发准备金制度，对年度研发费用1000 万元（含）以上的，"
    text += "按 rd-investment-subsidy 补助"
    lines = wrap(text, width)
    assert all(cell_len(line) <= width for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for word in ("1000", "rd-investment-subsidy"):
        if len(word) <= width:
            assert any(word in line for line in lines), lines
    assert all(len(line) >= 1 for line in lines)
