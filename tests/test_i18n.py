"""Chinese under a Chinese locale or --lang zh: messages, warnings and help; English elsewhere."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from subsidycli import i18n
from subsidycli.cli import app
from subsidycli.cli.lang import lang_from_args, translate_click, zh_help
from subsidycli.i18n.help_zh import COMMANDS
from subsidycli.i18n.messages_zh import MESSAGES
from subsidycli.policy import bundled_paths
from tests.conftest import ROOT, Run, cli_env, subsidy_command

SRC = ROOT / "src" / "subsidycli"
CJK = re.compile(r"[\u4e00-\u9fff]")


def subsidy(*args: str, lang: str = "zh_CN.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang}
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        env.pop(var, None)
    return subprocess.run(
        subsidy_command(*args), env=cli_env(env), capture_output=True, text=True, timeout=600,
    )  # fmt: skip  # the timeout only stops a hang


def messages_in_code() -> dict[str, str]:
    """Every literal template given to i18n.t in the source, with the file it is in."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "t" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            ):  # fmt: skip
                found[node.args[0].value] = str(path.relative_to(SRC))
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_its_chinese_with_the_same_fields() -> None:
    found = messages_in_code()
    assert len(found) > 40
    missing = sorted(text for text in found if text not in MESSAGES)
    assert not missing, f"add to messages_zh.MESSAGES: {missing}"
    for english, chinese in MESSAGES.items():
        assert fields(english) == fields(chinese), english
        assert english in found, f"no code says {english!r}: drop it from messages_zh"


def test_every_command_option_and_argument_has_chinese_help() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    lacking = []
    for name, command in group.commands.items():
        if name not in COMMANDS:
            lacking.append(name)
        for param in command.params:
            if zh_help(name, param) is None:
                lacking.append(f"{name} {max(param.opts, key=len)}")
    assert not lacking, f"add to help_zh: {lacking}"


def test_a_bad_set_value_is_explained_in_chinese_under_a_chinese_locale() -> None:
    result = subsidy("calc", "--set", "annual_rd_expense=abc")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "subsidy: --set: annual_rd_expense: 'abc' 不是有效金额（以元计的非负金额，如 12000000、"
        "12,000,000、¥12,000,000.00、1200万、1.2亿）\n"
    )


def test_calc_help_is_in_chinese_under_a_chinese_locale() -> None:
    result = subsidy("calc", "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("用法：subsidy calc")
    assert "列出政策的每一条款" in out and "选项：" in out and "参数：" in out
    assert "设置或覆盖一个字段" in out  # --set
    assert "显示本帮助并退出。" in out
    for english in ("Show this message", "Usage:", "Options", "Set or override", "[default:"):
        assert english not in out
    # Every option's line says something in Chinese.
    options = out.split("选项：")[1]
    for line in options.splitlines():
        if line.strip().startswith("-"):
            flag = line.split()[0]
            assert CJK.search(line) or CJK.search(_continuation(options, line)), flag


def _continuation(text: str, line: str) -> str:
    lines = text.splitlines()
    index = lines.index(line)
    return lines[index + 1] if index + 1 < len(lines) else ""


@pytest.mark.parametrize("command", ["--help", "interview --help", "batch --help"])
def test_every_help_page_is_in_chinese(command: str) -> None:
    result = subsidy(*command.split())
    assert result.returncode == 0
    assert result.stdout.startswith("用法：")
    assert "Show this message" not in result.stdout


def test_english_stays_the_default_elsewhere() -> None:
    help_page = subsidy("calc", "--help", lang="C.UTF-8")
    assert help_page.stdout.startswith("Usage: subsidy calc")
    assert "Set or override a field" in help_page.stdout
    bad = subsidy("calc", "--set", "annual_rd_expense=abc", lang="en_US.UTF-8")
    assert "'abc' is not an amount (a non-negative amount in 元" in bad.stderr


def test_lang_zh_on_the_command_line_speaks_chinese_in_an_english_locale() -> None:
    bad = subsidy("calc", "--set", "annual_rd_expense=abc", "--lang", "zh", lang="C.UTF-8")
    assert "不是有效金额" in bad.stderr
    help_page = subsidy("calc", "-h", "--lang=zh", lang="C.UTF-8")
    assert help_page.stdout.startswith("用法：")
    english = subsidy("calc", "--set", "annual_rd_expense=abc", "-l", "en")
    assert "is not an amount" in english.stderr  # --lang en under a Chinese locale


def test_command_line_mistakes_are_in_chinese() -> None:
    result = subsidy("calc", "--frmat", "json")
    assert result.returncode == 2
    assert "错误：没有选项 --frmat" in result.stderr and "可用的选项" in result.stderr
    assert "运行 'subsidy calc -h' 查看帮助。" in result.stderr
    result = subsidy("calc", "--format", "yaml")
    assert result.returncode == 2
    assert "'--format' / '-f' 的值无效：'yaml' 不是" in result.stderr
    assert "Error" not in result.stderr


def test_warnings_are_in_chinese(run: Run) -> None:
    result = run("calc", str(ROOT / "examples" / "enterprise.json"), "--date", "2026-03-01",
                 "--format", "json", "--lang", "zh")  # fmt: skip
    assert result.exit_code == 0
    assert "未载明施行日期" in result.stderr


def test_in_process_runs_follow_their_own_arguments(run: Run) -> None:
    chinese = run("calc", "--set", "annual_rd_expense=abc", "--lang", "zh")
    english = run("calc", "--set", "annual_rd_expense=abc")
    assert "不是有效金额" in chinese.stderr
    assert "is not an amount" in english.stderr
    assert i18n.message_lang() == "en"


@pytest.mark.parametrize(
    ("args", "lang"),
    [
        (["calc", "--lang", "zh"], "zh"),
        (["calc", "--lang=en"], "en"),
        (["calc", "-lzh"], "zh"),
        (["calc", "-l", "zh", "x.json"], "zh"),
        (["calc", "--lang", "fr"], None),
        (["calc", "--", "--lang", "zh"], None),
        (["calc", "profile.json"], None),
    ],
)
def test_lang_from_args(args: list[str], lang: str | None) -> None:
    assert lang_from_args(args) == lang


def test_framework_messages_translate_line_by_line() -> None:
    text = (
        "Usage: subsidy diff\nTry 'subsidy diff -h' for help.\n\nError: Missing argument 'OLD'.\n"
    )
    assert translate_click(text) == (
        "用法：subsidy diff\n运行 'subsidy diff -h' 查看帮助。\n\n错误：缺少参数 'OLD'。\n"
    )


def test_messages_follow_the_locale_when_no_language_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    i18n.set_message_lang(None)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.t("no such file") == "文件不存在"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.t("no such file") == "no such file"


def test_the_catalogs_are_not_imported_in_english(tmp_path: Path) -> None:
    """English start-up pays nothing for the Chinese: neither catalog is even imported."""
    code = (
        "import sys\nfrom subsidycli.cli import main\nsys.argv = ['subsidy', 'calc', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'subsidycli.help_zh' not in sys.modules\n"
        "assert 'subsidycli.messages_zh' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=cli_env({**os.environ, "LANG": "C.UTF-8"}),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_bad_expression_in_a_policy_file_is_explained_in_chinese(tmp_path: Path) -> None:
    text = bundled_paths()[0].read_text(encoding="utf-8")
    old = 'amount = "rate * deductible_rd_expense"'
    assert old in text
    path = tmp_path / "copy.toml"
    path.write_text(text.replace(old, 'amount = "rate * deductible_rd_expens"', 1), "utf-8")
    result = subsidy("calc", "--policy", str(path), "--lang", "zh", lang="C.UTF-8")
    assert result.returncode == 2
    assert (
        "rd-investment-subsidy.amount: 未声明的名称 'deductible_rd_expens'（是否指 "
        in result.stderr
    )
    assert "？）（见 'rate * deductible_rd_expens'）\n" in result.stderr
    assert "undeclared" not in result.stderr


def test_a_policy_files_shape_is_explained_in_chinese(tmp_path: Path) -> None:
    """A policy author's mistakes of shape (a key misspelt, a table left out, a duplicate id)
    are said in Chinese under a Chinese locale, as the profile's are."""
    text = bundled_paths()[0].read_text(encoding="utf-8")
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace("\ncap = ", "\ncpa = ", 1), "utf-8")
    result = subsidy("lint", str(typo))
    assert result.returncode == 2
    assert ".cpa: 未知键 `cpa`（是否想写 `cap`？允许的键：id, section, " in result.stderr
    bare = tmp_path / "bare.toml"
    bare.write_text('[policy]\nid = "x"\n', "utf-8")
    result = subsidy("lint", str(bare))
    assert f"{bare}:1: articles: 缺少此项（必填）" in result.stderr.splitlines()
    twice = tmp_path / "twice.toml"
    twice.write_text(text.replace('id = "unicorn"', 'id = "gazelle"', 1), "utf-8")
    assert "条款编号 'gazelle' 重复" in subsidy("lint", str(twice)).stderr
    assert "Field required" in subsidy("lint", str(bare), lang="C.UTF-8").stderr
    assert (
        "articles: 缺少此项（必填）"
        in subsidy("lint", str(bare), "--lang", "zh", lang="C.UTF-8").stderr
    )
    assert ".toml: 通过（49 条条款，41 个输入项，sha256 " in subsidy("lint", "--lang", "zh").stdout
