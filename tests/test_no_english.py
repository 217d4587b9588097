"""Under Chinese, no English: every command's output paths, run under a zh locale, say no
English word except the ones a Chinese reader needs as they are.

Those are: the policy's ids and the words of its Chinese data (article and field ids, choice
values, quotes, formulas), the command line's own names (commands, options, their metavars and
choice values), file names and paths, and a few proper names (Excel, CSV, UTF-8 ...). The
allow-list is built from the policy and from the app, never from the outputs: a new message
without its Chinese fails here.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from subsidycli.cli import app
from subsidycli.policy import bundled_paths
from tests.conftest import ROOT, Run

ZH = {"LANG": "zh_CN.UTF-8"}
BUNDLED = bundled_paths()[0]
TEXT = BUNDLED.read_text(encoding="utf-8")
EXAMPLE = str(ROOT / "examples" / "enterprise.json")
TIERS = ROOT / "examples" / "policy-tiers" / "example-2026.toml"

# Names of things, not words of a language: formats, encodings, products, keys.
PROPER_NAMES = {
    "subsidy", "subsidycli", "Excel", "CSV", "JSON", "TOML", "UTF-8", "UTF-16", "GBK", "GB18030",
    "Unicode", "SHA-256", "MiB", "Ctrl-C", "YYYY-MM-DD", "sha256", "Lines", "Schema", "draft",
    "NUL", "true", "false", "null", "Parquet", "SQL",
}  # fmt: skip
# The statuses a case file expects, as it writes them (`subsidy test` reports them so).
STATUSES = ("eligible", "not_eligible", "needs_info", "info")
# Keys whose values are the policy language's own vocabulary, to be said in words, not shown.
VOCABULARY_KEYS = {"en", "basis", "type"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]{2,}")
# Shown as they are: file names and paths, options, `code`, NAME=VALUE as typed, command lines
# of examples, digests, markup.
LITERAL = re.compile(
    r"(?:[\w.~-]*/)+[\w.-]*|[\w.-]+\.(?:json|jsonl|toml|csv|xlsx|xls|md|html|txt)\b"
    r"|(?<![\w-])--?[A-Za-z][\w-]*|`[^`\n]*`|\S+=\S+|^\s*(?:subsidy|cat) .*$"
    r"|\b[0-9a-f]{12,64}\b|<[^>\n]*>|&\w+;|(?<!\w)\.[a-z]{2,5}\b|\b\d+x\d+\b",
    re.MULTILINE,
)


def _policy_words(data: Any, key: str = "") -> Iterator[str]:
    """Every word of a policy file's data but its English and its vocabulary."""
    if key in VOCABULARY_KEYS:
        return
    if isinstance(data, dict):
        for name, value in data.items():
            if key == "values":  # the names of an article's numbers are ids
                yield name
            yield from _policy_words(value, name)
    elif isinstance(data, list):
        for value in data:
            yield from _policy_words(value, key)
    elif isinstance(data, str):
        yield from WORD.findall(data)


def _app_words() -> Iterator[str]:
    """The command line's own names: commands, options' metavars and choices."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for name, command in group.commands.items():
        yield name
        for param in command.params:
            yield param.name or ""
            for text in (param.metavar or "", *getattr(param.type, "choices", ())):
                yield from WORD.findall(str(text))


# Every bundled policy and the example: the keys and ids their authors write.
POLICIES = [tomllib.loads(path.read_text("utf-8")) for path in (*bundled_paths(), TIERS)]
ALLOWED = {*PROPER_NAMES, *_app_words(), *(w for data in POLICIES for w in _policy_words(data))}


def _keys(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for name, value in data.items():
            yield name
            yield from _keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _keys(value)


# The keys of a policy file: the words of its author's messages (lint, a broken policy).
KEYS = {k for data in POLICIES for k in _keys(data)}


def english(text: str, given: Iterable[str] = ()) -> list[str]:
    """The English words of `text` that are not allowed; `given`: what the person typed, or
    the files they gave, which the product may repeat."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # colours
    text = re.sub(r"-\n\s*", "-", text)  # an id broken at a hyphen by a wrapped line
    text = LITERAL.sub(" ", text)
    allowed = ALLOWED | {w for g in given for w in WORD.findall(g)}
    return sorted({w for w in WORD.findall(text) if w not in allowed})


class Said(str):
    """What a command said (stdout, then stderr), and what it was given (its arguments)."""

    given: tuple[str, ...] = ()


@pytest.fixture
def zh(run: Run) -> Run:
    """`subsidy ARGS` in-process under a Chinese locale; returns stdout + stderr."""

    def call(*args: str, input: str | None = None, code: int | None = 0) -> Said:
        result = run(*args, input=input, env=ZH)
        if code is not None:
            assert result.exit_code == code, result.stdout + result.stderr
        said = Said(str(result.stdout) + str(result.stderr))
        said.given = (*args, input or "")
        return said

    return call


def assert_chinese(text: str, what: str, given: Iterable[str] = ()) -> None:
    found = english(text, [*getattr(text, "given", ()), *given])
    assert not found, f"{what}: English under zh: {found}\n{text}"


def policy_copy(tmp_path: Path, old: str, new: str, name: str = "copy.toml") -> Path:
    assert old in TEXT, old
    path = tmp_path / name
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    source = BUNDLED.parent / "zhenjiang-2024.source.zh.txt"
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return path


# --- calc -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_calc_says_everything_in_chinese(zh: Run, fmt: str) -> None:
    for profile in (EXAMPLE, str(ROOT / "examples" / "draft.json")):
        assert_chinese(zh("calc", profile, "--all", "--format", fmt), f"calc --format {fmt}")
    assert_chinese(zh("calc", EXAMPLE, "--assume-no", "--format", fmt), "calc --assume-no")


def _words_for_people(data: Any) -> Iterator[str]:
    """The values of JSON output that people read: its keys and ids are English for scripts."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("title", "explanation", "text", "note", "label", "who_text"):
                yield str(value)
            else:
                yield from _words_for_people(value)
    elif isinstance(data, list):
        for value in data:
            yield from _words_for_people(value)


def test_calc_json_labels_follow_the_language(zh: Run) -> None:
    data = json.loads(zh("calc", str(ROOT / "examples" / "draft.json"), "--format", "json"))
    words = list(_words_for_people(data))
    assert len(words) > 40
    assert_chinese("\n".join(words), "calc --format json")


def test_calc_with_tiers_and_overrides_says_it_in_chinese(zh: Run) -> None:
    out = zh("calc", "--policy", str(TIERS), "--set", "revenue=2亿", "--set", "rd_expense=800万",
             "--all")  # fmt: skip
    assert_chinese(out, "calc on a tiered policy")
    out = zh("calc", EXAMPLE, "--override", "rd-investment-subsidy.max=30万", "--date",
             "2026-03-01")  # fmt: skip
    assert_chinese(out, "calc --override --date")


def test_the_html_report_is_in_chinese(zh: Run) -> None:
    page = zh("calc", EXAMPLE, "--format", "html")
    body = page.split("<body", 1)[1]
    words = re.sub(r"<[^>]*>", " ", body)
    assert_chinese(words, "calc --format html")


@pytest.mark.parametrize(
    "args",
    [
        ["calc", "--set", "annual_rd_expense=abc"],
        ["calc", "--set", "annual_rd_expens=1"],
        ["calc", "--set", "jiebang_projects=-1"],
        ["calc", "--set", "high_tech_enterprise=perhaps"],
        ["calc", "--set", "applicant_type=martian"],
        ["calc", "--set", "annual_rd_expense"],
        ["calc", "no-such-file.json"],
        ["calc", "--format", "xlsx", EXAMPLE],
        ["calc", EXAMPLE, "--override", "rd-investment-subsidy.max=abc"],
        ["calc", EXAMPLE, "--override", "rd-investment-subsdy.max=1"],
        ["calc", EXAMPLE, "--override", "funding-lump-sum.amount=1"],
        ["calc", EXAMPLE, "--override", "rd-investment-subsidy"],
        ["calc", EXAMPLE, "--date", "2026-13-01"],
        ["explain", "no-such-article"],
        ["calc", EXAMPLE, "--policy", "no-such-policy"],
    ],
)
def test_errors_are_in_chinese(zh: Run, args: list[str]) -> None:
    assert_chinese(zh(*args, code=2), " ".join(args))


def test_a_bad_profile_file_is_explained_in_chinese(zh: Run, tmp_path: Path) -> None:
    for name, text in [
        ("bad.json", '{"annual_rd_expens": "1200万", "jiebang_projects": "two"}'),
        ("broken.json", '{"annual_rd_expense": '),
        ("broken.toml", "annual_rd_expense = "),
        ("list.json", "[1, 2]"),
    ]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert_chinese(zh("calc", str(path), code=2), name, [text])


# --- init, batch, summary ---------------------------------------------------------------------


def test_init_says_what_it_wrote_in_chinese(zh: Run, tmp_path: Path) -> None:
    for name in ("acme.toml", "acme.json", "clients.csv", "clients.xlsx"):
        assert_chinese(zh("init", str(tmp_path / name)), f"init {name}")
    assert_chinese(zh("init", str(tmp_path / "acme.toml"), code=2), "init over a file")
    assert_chinese(zh("init", str(tmp_path / "acme.yaml"), code=2), "init .yaml")


def test_batch_says_everything_in_chinese(zh: Run, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(
        json.dumps({"annual_rd_expense": "1200万"}) + "\n"
        + '{"annual_rd_expense": "abc"}\n' + "not json\n",
        encoding="utf-8",
    )  # fmt: skip
    given = [records.read_text("utf-8")]
    for fmt in ("jsonl", "csv"):
        out = zh("batch", str(records), "--output", str(tmp_path / f"out.{fmt}"), "--explain",
                 code=1)  # fmt: skip
        assert_chinese(out, f"batch to {fmt}", given)
    # A bad record's row quotes what was typed ('abc') in its error column, as stderr does.
    assert_chinese((tmp_path / "out.csv").read_text("utf-8"), "batch's CSV", given)
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    assert_chinese("\n".join(_words_for_people([json.loads(line) for line in lines])), "JSONL")
    sheet = tmp_path / "in.csv"
    sheet.write_text("annual_rd_expense,colour\n1200万,red\n", encoding="utf-8")
    assert_chinese(zh("batch", str(sheet), code=None), "batch of a sheet with an extra column",
                   ["colour red"])  # fmt: skip
    assert_chinese(zh("batch", str(tmp_path / "in.txt"), code=2), "batch of an unknown format")


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_in_chinese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Run
) -> None:
    from subsidycli import i18n
    from subsidycli.cli.console import console

    run("--help", env=ZH)  # sets the language, as every command does at start-up
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", _Terminal(raw, encoding="utf-8", write_through=True))
    source = tmp_path / "in.jsonl"
    source.write_text('{"annual_rd_expense": "1200万"}\n' * 100, encoding="utf-8")
    with source.open("rb") as stream, contextlib.ExitStack() as stack:
        tick = console.progress(stack, stream)
        assert tick is not None
        tick(10, 100)
    text = raw.getvalue().decode("utf-8")
    assert "条" in text, text  # the bar was drawn
    assert_chinese(text, "the progress bar")
    assert i18n.t("no such file") == "文件不存在"


def test_summary_says_everything_in_chinese(zh: Run, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(
        json.dumps({"annual_rd_expense": "1200万", "deductible_rd_expense": "1000万"}) + "\n"
        + json.dumps({"applicant_type": "university"}) + "\n" + "[]\n",
        encoding="utf-8",
    )  # fmt: skip
    for fmt in ("table", "markdown", "csv"):
        out = zh("summary", str(records), "--format", fmt, code=1)
        assert_chinese(out, f"summary --format {fmt}")
    out = zh("summary", str(records), "--override", "rd-investment-subsidy.max=30万", code=1)
    assert_chinese(out, "summary with a what-if")


# --- what a policy says: articles, explain, diff ----------------------------------------------


def test_articles_and_every_explanation_are_in_chinese(zh: Run) -> None:
    from subsidycli.policy import load_policy

    assert_chinese(zh("articles"), "articles")
    for path in (BUNDLED, TIERS):
        for article in load_policy(path).articles:
            out = zh("explain", article.id, "--policy", str(path))
            assert_chinese(out, f"explain {article.id}")
    out = zh("explain", "rd-investment-subsidy", "--override", "rd-investment-subsidy.max=30万")
    assert_chinese(out, "explain an overridden article")


def test_diff_is_in_chinese(zh: Run, tmp_path: Path) -> None:
    old = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'
    new = 'values = { threshold = "800万", rate = "0.5%", max = "30万" }'
    path = policy_copy(tmp_path, old, new)
    text = path.read_text("utf-8").replace("cap = ", "# cap = ", 1)
    path.write_text(text.replace('id = "unicorn"', 'id = "unicorn-2"', 1), "utf-8")
    out = zh("diff", str(BUNDLED), str(path), EXAMPLE)
    assert "rd-investment-subsidy" in out
    assert_chinese(out, "diff", ["unicorn-2"])
    assert_chinese(zh("diff", str(BUNDLED), str(BUNDLED)), "diff of a file with itself")


# --- the policy author: lint, test, broken policy files ---------------------------------------


def test_lint_is_in_chinese(zh: Run, tmp_path: Path) -> None:
    assert_chinese(zh("lint"), "lint of the bundled policy")
    old = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'
    path = policy_copy(tmp_path, old, old.replace("20万", "25万"))
    quote = 'source = "对通过高新技术企业认定的，给予最高15万元支持。"'
    path.write_text(path.read_text("utf-8").replace(quote, quote.replace("最高", "最多")), "utf-8")
    assert_chinese(zh("lint", str(path), code=2), "lint of a file that misquotes", KEYS)
    other = tmp_path / "other.toml"
    other.write_text(
        TEXT.replace('id = "zhenjiang-2024"', 'id = "other-2026"', 1)
        .replace('source_file = "zhenjiang-2024.source.zh.txt"\n', "")
        .replace('type = "money"', 'type = "count"', 1),
        encoding="utf-8",
    )  # fmt: skip
    out = zh("lint", str(BUNDLED), "--with", str(other), code=2)
    assert_chinese(out, "lint --with", [*KEYS, "other-2026", "money", "count"])  # types, as written


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\ncap = ", "\ncpa = "),  # a schema error: a key misspelt
        ('[policy]\nid = "zhenjiang-2024"', '[policy]\nid = "zhenjiang-2024'),  # TOML syntax
        ('amount = "rate * deductible_rd_expense"', 'amount = "rate * deductible_rd_expens"'),
        ('amount = "rate * deductible_rd_expense"', 'amount = "rate * * 2"'),
        ('id = "unicorn"', 'id = "gazelle"'),
    ],
)
def test_a_broken_policy_file_is_explained_in_chinese(
    zh: Run, tmp_path: Path, old: str, new: str
) -> None:
    path = policy_copy(tmp_path, old, new)
    given = [*KEYS, new]  # the author's words: the file's keys, and what they wrote
    assert_chinese(zh("lint", str(path), code=2), f"lint: {new}", given)
    out = zh("calc", EXAMPLE, "--policy", str(path), code=2)
    assert_chinese(out, f"calc --policy: {new}", given)


def test_the_law_s_cases_are_reported_in_chinese(zh: Run, tmp_path: Path) -> None:
    assert_chinese(zh("test", str(ROOT / "tests" / "cases")), "test of the bundled cases")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        'name = "错的"\n[profile]\nannual_rd_expense = "1200万"\ndeductible_rd_expense = "1000万"\n'
        '[expect]\ntotal = "1.00"\n[expect."rd-investment-subsidy"]\nstatus = "not_eligible"\n'
        'amount = "1.00"\nmissing = ["x"]\n',
        encoding="utf-8",
    )  # fmt: skip
    given = [*STATUSES, wrong.read_text("utf-8")]
    assert_chinese(zh("test", str(wrong), code=1), "test of a failing case", given)
    broken = tmp_path / "broken.toml"
    broken.write_text('[profile]\n[expect."rd-investment-subsdy"]\nstatus = "x"\n', "utf-8")
    out = zh("test", str(broken), code=2)
    assert_chinese(out, "test of a broken case", [broken.read_text("utf-8")])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_chinese(zh("test", str(empty), code=2), "test of a folder without cases")


# --- help and the command line's own words ----------------------------------------------------


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return list(group.commands)


@pytest.mark.parametrize("command", ["", *_commands()])
def test_every_help_page_is_in_chinese(zh: Run, command: str) -> None:
    out = zh(*command.split(), "--help")
    assert out.startswith("用法：")
    assert_chinese(out, f"subsidy {command} --help")


@pytest.mark.parametrize(
    "args",
    [
        ["calc", "--frmat", "json"],
        ["calc", "--bogus"],
        ["calc", "--format", "yaml"],
        ["calc", "--format"],
        ["diff"],
        ["calc", "a.json", "b.json"],
        ["calcc"],
        ["batch", "--limit", "x", "in.jsonl"],
    ],
)
def test_command_line_mistakes_are_in_chinese(zh: Run, args: list[str]) -> None:
    out = zh(*args, code=2)
    assert "错误" in out
    assert_chinese(out, " ".join(args))


def test_the_interview_is_in_chinese(zh: Run) -> None:
    answers = "\n".join(["1", "1200万", "abc", "", "1,3", "?", "q", ""]) + "\n"
    out = zh("interview", "--one-by-one", input=answers, code=None)
    assert "第 1 步" in out
    assert_chinese(out, "interview")
    out = zh("interview", input="1\n500\n\n\n", code=None)
    assert_chinese(out, "interview (checklists)")


def test_the_allow_list_holds_no_english_words_of_the_product() -> None:
    """The allow-list is the policy's ids and Chinese data, not the words this test looks for."""
    for word in (
        "Usage",
        "Options",
        "Arguments",
        "wrote",
        "profiles",
        "result",
        "when",
        "cap",
        "choice",
        "money",
        "up_to",
        "eligible",
        "Error",
        "passed",
        "failed",
        "no",
    ):
        assert word not in ALLOWED, word
    assert english("Usage: subsidy calc [OPTIONS]") == ["OPTIONS", "Usage"]
    assert english("wrote /tmp/x/clients.xlsx") == ["wrote"]
    assert english("rd-investment-subsidy: 最高 20.00 万元 (up_to)") == ["up_to"]
    assert english("已写入 `subsidy init` --force a.csv x=abc 3f2a9c0d11e2") == []
