"""Messages quote what the person wrote, in their words, never in Python's spelling: JSON's
`true`, not `True`; `1e400` as written, not `1E+400`; a list or an object named as such, not
`[1, 2]` or `{'a': 1}`. From a JSON or TOML profile, `--set`, a CSV cell and a workbook's cell,
in Chinese and English (issue 24, point 11)."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import i18n, money
from subsidycli.money import describe, read_integer, read_number
from tests.conftest import Run

PYTHON_SPELLINGS = ("True", "False", "None", "1E+400", "[1, 2]", "{'a': 1}", "Decimal(",
                    "datetime.")  # fmt: skip

PROFILE = {
    "applicant_type": "enterprise",
    "annual_rd_expense": True,
    "university_cooperation_expense": [1, 2],
    "jiebang_projects": {"a": 1},
    "high_tech_enterprise": None,
    "name": False,
}
RAW_PROFILE = json.dumps(PROFILE)[:-1] + ', "deductible_rd_expense": 1e400}'

EXPECTED = {
    "en": [
        "annual_rd_expense: true is not an amount",
        "deductible_rd_expense: 1e400 is implausibly large",
        "university_cooperation_expense: a list is not an amount",
        "jiebang_projects: an object is not a count",
        "name: false is not text",
    ],
    "zh": [
        "annual_rd_expense: true 不是有效金额",
        "deductible_rd_expense: 1e400 大得不合情理",
        "university_cooperation_expense: 一个列表 不是有效金额",
        "jiebang_projects: 一个对象 不是个数",
        "name: false 不是文字",
    ],
}


def no_python(text: str) -> None:
    for spelling in PYTHON_SPELLINGS:
        assert spelling not in text, (spelling, text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_json_profile_is_quoted_as_written(run: Run, tmp_path: Path, lang: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(RAW_PROFILE, encoding="utf-8")
    result = run("calc", str(path), "--lang", lang)
    assert result.exit_code == 2, result.output
    for line in EXPECTED[lang]:
        assert f"p.json: {line}" in result.stderr, result.stderr
    no_python(result.stderr)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_toml_profile_is_quoted_as_written(run: Run, tmp_path: Path, lang: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text("annual_rd_expense = 2024-01-01\ndeductible_rd_expense = 1e400\n"
                    "jiebang_projects = [1, 2]\nhigh_tech_enterprise = { a = 1 }\n",
                    encoding="utf-8")  # fmt: skip
    result = run("calc", str(path), "--lang", lang)
    assert result.exit_code == 2, result.output
    words = {"en": ("is not an amount", "a list", "an object"),
             "zh": ("不是有效金额", "一个列表", "一个对象")}[lang]  # fmt: skip
    assert f"annual_rd_expense: 2024-01-01 {words[0]}" in result.stderr
    assert "deductible_rd_expense: 1e400 " in result.stderr
    assert f"jiebang_projects: {words[1]} " in result.stderr
    assert f"high_tech_enterprise: {words[2]} " in result.stderr
    no_python(result.stderr)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_set_quotes_the_text_typed(run: Run, lang: str) -> None:
    result = run("calc", "--set", "annual_rd_expense=1e400", "--set", "jiebang_projects=[1,2]",
                 "--set", "high_tech_enterprise=True!", "--lang", lang)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "annual_rd_expense: '1e400' " in result.stderr
    assert "jiebang_projects: '[1,2]' " in result.stderr
    assert "high_tech_enterprise: 'True!' " in result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_csv_cell_is_quoted_as_written(run: Run, tmp_path: Path, lang: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text('name,annual_rd_expense,jiebang_projects\nA,1e400,"[1, 2]"\n', encoding="utf-8")
    result = run("batch", str(path), "--lang", lang)
    assert result.exit_code == 1, result.output
    assert "in.csv:2: annual_rd_expense: '1e400' " in result.stderr
    assert "in.csv:2: jiebang_projects: '[1, 2]' " in result.stderr
    assert "1E+400" not in result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_workbook_s_yes_no_cell_is_true_not_python_s_true(
    run: Run, tmp_path: Path, lang: str
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "annual_rd_expense"])
    sheet.append(["A", True])
    book.save(tmp_path / "in.xlsx")
    result = run("batch", str(tmp_path / "in.xlsx"), "--lang", lang)
    assert result.exit_code == 1, result.output
    word = "is not an amount" if lang == "en" else "不是有效金额"
    assert f"in.xlsx:2: annual_rd_expense: true {word}" in result.stderr
    no_python(result.stderr)


def test_a_jsonl_record_is_quoted_as_written_in_every_process(run: Run, tmp_path: Path) -> None:
    """With --jobs the records cross to other processes: the text as written crosses too."""
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"name": f"n{i}", "annual_rd_expense": "1200万"}) for i in range(3)]
    lines.append('{"name": "big", "annual_rd_expense": 1e400, "jiebang_projects": true}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for jobs in ("1", "2"):
        result = run("batch", str(path), "--jobs", jobs, "--lang", "en")
        assert result.exit_code == 1, result.output
        assert "in.jsonl:4: annual_rd_expense: 1e400 is implausibly large" in result.stderr
        assert "in.jsonl:4: jiebang_projects: true is not a count" in result.stderr
        no_python(result.stderr)


def test_an_integer_too_long_for_python_is_too_large_not_a_python_error(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"annual_rd_expense": ' + "9" * 5000 + "}", encoding="utf-8")
    result = run("calc", str(path), "--lang", "en")
    assert result.exit_code == 2, result.output
    assert "annual_rd_expense: 99999999" in result.stderr
    assert "is implausibly large" in result.stderr
    assert "set_int_max_str_digits" not in result.stderr


def test_numbers_read_keep_their_value_and_their_spelling() -> None:
    for text in ("1e400", "1E+400", "0.0000001", "10e-1", "2.50"):
        number = read_number(text)
        assert number == Decimal(text)
        assert describe(number) == text
        again = pickle.loads(pickle.dumps(number))
        assert again == Decimal(text) and describe(again) == text
    assert type(read_number("12.50")) is Decimal  # the common spelling: a plain Decimal
    assert read_integer("12") == 12 and type(read_integer("12")) is int
    assert money.parse_money(read_number("1.2E+3")) == Decimal(1200)
    assert type(money.parse_money(read_number("1.2E+3"))) is Decimal  # parsed: plain again


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [(True, "true", "true"), (False, "false", "false"), (None, "null", "null"),
     ([1, 2], "a list", "一个列表"), ((), "a list", "一个列表"),
     ({"a": 1}, "an object", "一个对象"),
     ("x", "'x'", "'x'"), (Decimal("2.5"), "2.5", "2.5")],
)  # fmt: skip
def test_describe(value: object, en: str, zh: str) -> None:
    for lang, expected in (("en", en), ("zh", zh)):
        i18n.set_lang(lang)
        try:
            assert describe(value) == expected
        finally:
            i18n.set_lang("en")
