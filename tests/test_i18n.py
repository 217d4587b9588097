"""Chinese under a Chinese locale or --lang zh: messages, warnings and help; English elsewhere.

Every word goes through one catalog (gettext: src/subsidycli/i18n/locale/zh/LC_MESSAGES/*.po,
compiled to the .mo beside it by tools/i18n.py). These tests hold the catalog to the code: every
word the code says has its Chinese, with the same {fields}; none is left over; the committed .mo
is the .po compiled. tests/test_no_english.py runs every command under zh.
"""

from __future__ import annotations

import ast
import gettext
import importlib.util
import io
import os
import re
import string
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from subsidycli import i18n
from subsidycli.cli.lang import lang_from_args
from subsidycli.i18n import foreign
from subsidycli.policy import bundled_paths
from tests.conftest import ROOT, Run, cli_env, subsidy_command

SRC = ROOT / "src" / "subsidycli"
PO = SRC / "i18n" / "locale" / "zh" / "LC_MESSAGES" / "subsidycli.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def subsidy(*args: str, lang: str = "zh_CN.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang}
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        env.pop(var, None)
    return subprocess.run(
        subsidy_command(*args), env=cli_env(env), capture_output=True, text=True, timeout=600,
    )  # fmt: skip  # the timeout only stops a hang


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """tools/i18n.py: the catalog's extract, update and compile (Babel)."""
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- the catalog and the code -----------------------------------------------------------------


def test_every_word_the_code_says_has_its_chinese(tool: ModuleType) -> None:
    said = list(tool.messages())
    assert len(said) > 400  # the extraction works: t(), pt(), N_(), the template, the help
    assert any(where.startswith("subsidy calc") for _, _, where in said)  # help texts
    assert any(where.endswith(".j2") for _, _, where in said)  # the HTML report's words
    problems = tool.problems(PO)
    assert not problems, "run `python tools/i18n.py` and translate:\n" + "\n".join(problems)


def test_every_translation_keeps_its_fields(tool: ModuleType) -> None:
    """A translation may leave out a {field} its language does not need ("{basis} ({id})" is
    "{basis}" in Chinese), never name one the code does not give."""
    catalog = tool.read(PO)
    checked = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        assert isinstance(message.id, str) and isinstance(message.string, str)
        extra = fields(message.string) - fields(message.id)
        assert not extra, f"{message.id!r}: the translation names {extra}"
        message.string.format(**dict.fromkeys(fields(message.id), "x"))  # well formed
        checked += 1
    assert checked > 400


def test_no_translation_is_left_over(tool: ModuleType) -> None:
    said = {(context, message) for context, message, _ in tool.messages()}
    kept = {(m.context, m.id) for m in tool.read(PO) if m.id}
    assert not kept - said, "no code says these: run `python tools/i18n.py update`"


def test_the_committed_mo_is_the_po_compiled(tool: ModuleType) -> None:
    """The product reads the .mo: it must say what the .po says (compared as catalogs, not as
    bytes, which carry the version of Babel that wrote them)."""
    fresh = gettext.GNUTranslations(io.BytesIO(tool.compiled(PO)))
    with PO.with_suffix(".mo").open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    assert _messages(committed) == _messages(fresh), "run `python tools/i18n.py compile`"


def _messages(catalog: gettext.GNUTranslations) -> dict[str, str]:
    return {k: v for k, v in catalog._catalog.items() if k}  # type: ignore[attr-defined]


def test_babel_finds_every_word_the_code_says(tool: ModuleType) -> None:
    """Babel's extractor reads no call inside an f-string or inside another call's arguments:
    every literal `t(...)`, `pt(...)` and `N_(...)` of the source must be one it finds."""
    found = {(context, message) for context, message, _ in tool.messages()}
    calls = 0
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if node.func.id in ("t", "N_") and args and isinstance(args[0], str):
                key = (None, args[0])
            elif node.func.id == "pt" and len(args) > 1 and None not in args[:2]:
                key = (args[0], args[1])
            else:
                continue
            calls += 1
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert key in found, f"{where}: Babel does not see {key[1]!r}; say it outside"
    assert calls > 300


def test_one_way_to_translate() -> None:
    """The old ways are gone: no table of words by key, no word chosen by a branch on zh."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    gone = (r"\bWORDS\[", r"\bword\(", r"\.messages_zh", r"\.help_zh", "CLICK_ZH", "message_lang")
    for pattern in gone:
        assert not re.search(pattern, code), pattern
    assert code.count('== "zh"') <= 3  # number formats: 20.00 万元 in Chinese (money, explain)


# --- the language at start-up -----------------------------------------------------------------


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
    assert i18n.current_lang() == "en"


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


def test_the_framework_s_messages_are_said_from_the_catalog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """click writes its messages as plain English: each is matched to its template and said
    through the catalog, nested ones too; a message no template knows is passed on as it is."""
    monkeypatch.setattr(i18n, "_lang", "zh")
    said = foreign.say("Invalid value for '--format' / '-f': 'yaml' is not one of 'table', "
                       "'json'.", foreign.CLICK)  # fmt: skip
    assert said == "'--format' / '-f' 的值无效：'yaml' 不是 'table', 'json' 之一。"
    assert foreign.say("No such option: --frmat (Possible options: --format)", foreign.CLICK) == (
        "没有选项 --frmat（可用的选项：--format）"
    )
    assert foreign.say("Something new.", foreign.CLICK) == "Something new."
    assert foreign.say("Illegal character '\\n'", foreign.TOML) == "非法字符 '\\n'"
    monkeypatch.setattr(i18n, "_lang", "en")
    assert foreign.say("Expecting value", foreign.JSON) == "Expecting value"


def test_a_usage_error_is_shown_whole_in_chinese(run: Run) -> None:
    result = run("diff", "--lang", "zh")
    assert result.exit_code == 2
    usage, *rest = result.stderr.split("\n")
    assert usage.startswith("用法：subsidy diff [选项] ") and "[申报资料]" in usage
    assert rest == ["运行 'subsidy diff -h' 查看帮助。", "", "错误：缺少参数 '旧政策'。", ""]


def test_messages_follow_the_locale_when_no_language_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    i18n.set_lang(None)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.t("no such file") == "文件不存在"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.t("no such file") == "no such file"
    with i18n.using("zh"):
        assert i18n.pick({"zh": "是", "en": "yes"}) == "是"
        assert i18n.id_or("not_eligible", i18n.t("not eligible")) == "不符合"
    assert i18n.id_or("not_eligible", i18n.t("not eligible")) == "not_eligible"


def test_english_reads_no_catalog(tmp_path: Path) -> None:
    """English start-up pays nothing for the Chinese: no catalog is read, the library
    templates are not even imported."""
    code = (
        "import sys\nfrom subsidycli.cli import main\nfrom subsidycli import i18n\n"
        "sys.argv = ['subsidy', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert not i18n._catalogs, i18n._catalogs\n"
        "assert 'subsidycli.i18n.foreign' not in sys.modules\n"
    )
    example = str(ROOT / "examples" / "enterprise.json")
    for args in (["calc", "--help"], ["calc", example, "--format", "json"], ["calc", example]):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
            env=cli_env({**os.environ, "LANG": "C.UTF-8"}),
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
