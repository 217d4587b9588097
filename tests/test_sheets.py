"""Spreadsheets as consultants have them: Chinese words in every profile, the encodings Excel
saves, headers by label, calc's output by suffix, workbooks in and out, templates for batch.

Files are made as Excel makes them: text through Python's own encoders (GB18030, GBK, UTF-16 with
its BOM, tab-separated), workbooks with openpyxl, typed cells as numbers, dates and formulas.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from subsidycli import sheets
from subsidycli.errors import ProfileError
from subsidycli.policy import Policy
from tests.conftest import ROOT, Run

EXAMPLE = str(ROOT / "examples" / "enterprise.json")

# ---------------------------------------------------------------------------------------------
# Chinese values wherever a profile is read

APPLICANT_WORDS = [
    ("企业", "enterprise"),
    ("公司", "enterprise"),
    ("Enterprise", "enterprise"),
    ("高校", "university"),
    ("大学", "university"),
    ("高等院校", "university"),
    ("科研院所", "research_institute"),
    ("新型研发机构", "new_rd_institution"),
    ("其他", "other"),
    ("ＯＴＨＥＲ", "other"),
    (" 企 业 ", "enterprise"),
]


@pytest.mark.parametrize(("written", "value"), APPLICANT_WORDS)
def test_applicant_types_in_chinese_everywhere(
    written: str, value: str, policy: Policy, run: Run, tmp_path: Path
) -> None:
    assert policy.inputs["applicant_type"].parse(written) == value
    as_set = run("calc", "--set", f"applicant_type={written}", "-f", "json")
    assert as_set.exit_code == 0, as_set.output
    as_json = run("calc", "-", "-f", "json", input=json.dumps({"applicant_type": written}))
    toml = tmp_path / "p.toml"
    toml.write_text(f'applicant_type = "{written}"\n', encoding="utf-8")
    as_toml = run("calc", str(toml), "-f", "json")
    outputs = [json.loads(r.stdout) for r in (as_set, as_json, as_toml)]
    expected = run("calc", "--set", f"applicant_type={value}", "-f", "json").stdout
    assert all(o == json.loads(expected) for o in outputs)


def test_a_word_that_names_no_applicant_type_lists_the_choices(run: Run) -> None:
    result = run("calc", "--set", "applicant_type=银行")
    assert result.exit_code == 2
    assert "'银行' is not one of enterprise (企业), university (高等院校)" in result.stderr


@pytest.mark.parametrize(
    ("written", "value"),
    [("是", True), ("否", False), ("有", True), ("无", False), ("yes", True), ("0", False)],
)
def test_yes_and_no_in_chinese(written: str, value: bool, calc_json: Any) -> None:
    data = calc_json({"gazelle_first": written})
    gazelle = next(r for r in data["results"] if r["article"] == "gazelle")
    assert gazelle["status"] == ("eligible" if value else "not_eligible")


def test_the_interview_takes_the_same_words_and_the_numbers_shown(policy: Policy) -> None:
    from subsidycli.interview import parse_answer

    item = policy.inputs["applicant_type"]
    assert parse_answer(item, "大学", "zh") == "university"
    assert parse_answer(item, "2", "zh") == "university"
    assert parse_answer(item, "５", "zh") == "other"
    with pytest.raises(ProfileError.__mro__[2]):  # MoneyError: a value that is not valid
        parse_answer(item, "9", "zh")


def test_a_word_for_two_choices_is_a_policy_error(run: Run, tmp_path: Path) -> None:
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    path = tmp_path / "clash.toml"
    path.write_text(text.replace('aliases = ["公司"]', 'aliases = ["公司", "高校"]'), "utf-8")
    result = run("lint", str(path))
    assert result.exit_code == 2
    assert "'高校' names both enterprise and university" in result.stderr


# ---------------------------------------------------------------------------------------------
# The encoding of a CSV file, decided once from its bytes

ROWS = [
    [
        "单位名称",
        "申报主体类型",
        "年度研发费用",
        "可加计扣除研发费用额",
        "持有有效高新技术企业证书",
        "备注",
    ],
    ["镇江甲科技有限公司", "企业", "1200万", "1000万", "是", "重点客户"],
    ["乙大学", "高校", "", "", "否", ""],
]


def excel_csv(rows: list[list[str]], encoding: str, delimiter: str = ",") -> bytes:
    """Bytes as Excel saves a sheet: CRLF lines, the csv module's quoting, the given codec
    ("utf-8-sig" is "CSV UTF-8"; "gbk" is "CSV" on Chinese Windows; "utf-16" with tabs is
    "Unicode text")."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ",", "UTF-8"),
        ("utf-8-sig", ",", "UTF-8 with BOM"),
        ("gbk", ",", "GB18030/GBK"),
        ("gb18030", ",", "GB18030/GBK"),
        ("utf-16", "\t", "UTF-16"),
        ("utf-16-be", "\t", None),
    ],
)
def test_each_encoding_excel_saves_is_read_alike(
    encoding: str, delimiter: str, expected: str | None, policy: Policy
) -> None:
    data = excel_csv(ROWS, encoding, delimiter)
    if encoding == "utf-16-be":  # with a BOM, as Excel writes it
        data = b"\xfe\xff" + data
        expected = "UTF-16"
    assert sheets.detect_encoding(data, True, "x.csv").name == expected
    warnings: list[str] = []
    records = list(
        sheets.read_sheet(io.BytesIO(data), "csv", policy, "x.csv", warn=warnings.append)
    )
    assert records == [
        (
            2,
            {
                "name": "镇江甲科技有限公司",
                "applicant_type": "企业",
                "annual_rd_expense": "1200万",
                "deductible_rd_expense": "1000万",
                "high_tech_enterprise": "是",
            },
        ),
        (
            3,
            {
                "name": "乙大学",
                "applicant_type": "高校",
                "annual_rd_expense": "",
                "deductible_rd_expense": "",
                "high_tech_enterprise": "否",
            },
        ),
    ]
    assert warnings == [
        "x.csv:1: ignored columns that name no field: 备注 (--strict makes this an error)"
    ]


@pytest.mark.parametrize(
    "data",
    [
        "name,x\r\nMüller GmbH,1\r\n".encode("cp1252"),  # decodes as GB18030, but not as Chinese
        "name\r\nCafé\r\n".encode("cp1252"),
        "名称\r\n甲\r\n".encode("utf-16-le"),  # UTF-16 without its BOM
        b"name\r\n\x80\xff\r\n",  # not text in any
    ],
)
def test_a_file_in_no_known_encoding_is_refused_saying_how_to_save_it(data: bytes) -> None:
    with pytest.raises(ProfileError) as caught:
        sheets.detect_encoding(data, True, "x.csv")
    assert 'save it as "CSV UTF-8 (Comma delimited)"' in caught.value.lines()[0]


def test_gbk_after_a_long_ascii_start_is_found_in_a_file_and_named_in_a_pipe(
    policy: Policy,
) -> None:
    head = b"name,jiebang_projects\r\n" + b"".join(b"c%d,1\r\n" % i for i in range(200_000))
    data = head + "镇江公司,1\r\n".encode("gbk")
    assert len(head) > sheets.SAMPLE_BYTES
    with pytest.raises(ProfileError) as whole:  # a file: read through once, mixed encodings
        list(sheets.read_sheet(io.BytesIO(data), "csv", policy, "x.csv"))
    assert "a mix of encodings" in whole.value.lines()[0]

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    records = sheets.read_sheet(io.BufferedReader(Pipe(data)), "csv", policy, "<stdin>")
    with pytest.raises(ProfileError) as piped:  # a pipe: decided on its start, stopped loudly
        list(records)
    assert piped.value.lines()[0].startswith("<stdin>:200002: is not UTF-8")


def test_a_workbook_named_csv_is_told_apart() -> None:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with pytest.raises(ProfileError, match=r"is an Excel workbook \(.xlsx\)"):
        sheets.detect_encoding(buffer.getvalue(), True, "clients.csv")


# ---------------------------------------------------------------------------------------------
# Headers


def test_headers_by_id_label_alias_and_with_a_note(policy: Policy) -> None:
    cells = [
        "企业名称",
        "年度研发费用（元）",
        "ANNUAL R&D expense",
        "deductible_rd_expense",
        "申报主体类型（企业/高校…）",
        "企业与高校院所的科技合作费用（科技创新券）",
        "备注",
        "",
    ]
    with pytest.raises(ProfileError, match="columns 2 and 3 both name the field annual_rd_expense"):
        sheets.read_header(cells, policy, 1, "x.csv")
    cells[2] = "联系人"
    header = sheets.read_header(cells, policy, 1, "x.csv")
    assert header.fields == (
        "name",
        "annual_rd_expense",
        None,
        "deductible_rd_expense",
        "applicant_type",
        "university_cooperation_expense",
        None,
        None,
    )
    assert header.ignored == ("联系人", "备注")


def test_an_ignored_column_warns_once_and_strict_refuses_it(policy: Policy) -> None:
    data = excel_csv(
        [["name", "annual_rd_expens", "备注"], ["甲", "1", "x"], ["乙", "2", "y"]], "utf-8"
    )
    warnings: list[str] = []
    records = list(
        sheets.read_sheet(io.BytesIO(data), "csv", policy, "x.csv", warn=warnings.append)
    )
    assert [r for _, r in records] == [{"name": "甲"}, {"name": "乙"}]
    assert warnings == [
        "x.csv:1: ignored columns that name no field: annual_rd_expens (did you mean "
        "annual_rd_expense?), 备注 (--strict makes this an error)"
    ]
    with pytest.raises(ProfileError) as strict:
        list(sheets.read_sheet(io.BytesIO(data), "csv", policy, "x.csv", strict=True))
    assert strict.value.lines() == [
        "x.csv:1: --strict: columns that name no field: annual_rd_expens (did you mean "
        "annual_rd_expense?), 备注"
    ]


# ---------------------------------------------------------------------------------------------
# Workbooks in


def workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_workbook_cells_are_read_exactly_and_dates_and_formulas_refused(
    policy: Policy, tmp_path: Path
) -> None:
    import datetime as dt

    path = workbook(
        tmp_path / "c.xlsx",
        [
            [
                "单位名称",
                "年度研发费用",
                "可加计扣除研发费用额",
                "企业所得税税率",
                "持有有效高新技术企业证书",
                "成功揭榜合作的项目数",
            ],
            [12345, 12345681.0, 1234.56, 0.15, True, 2.0],
            ["乙", dt.datetime(2024, 1, 5), None, None, "否", 1],
            ["丙", "=B2*2", None, None, None, None],
            [None, None, None, None, None, None],
            ["丁", "1200万", None, "15%", "是", "2"],
        ],
    )
    with path.open("rb") as file:
        records = list(sheets.read_sheet(file, "xlsx", policy, "c.xlsx"))
    assert records[0] == (
        2,
        {
            "name": "12345",
            "annual_rd_expense": Decimal("12345681"),
            "deductible_rd_expense": Decimal("1234.56"),
            "income_tax_rate": Decimal("0.15"),
            "high_tech_enterprise": True,
            "jiebang_projects": Decimal(2),
        },
    )
    assert (
        records[1][0] == 3
        and "annual_rd_expense (年度研发费用, column B): is a date" in records[1][1]
    )
    assert records[2][0] == 4 and "column B): is a formula (=B2*2)" in records[2][1]
    assert records[3] == (
        6,
        {
            "name": "丁",
            "annual_rd_expense": "1200万",
            "income_tax_rate": "15%",
            "high_tech_enterprise": "是",
            "jiebang_projects": "2",
            "deductible_rd_expense": None,
        },
    )


# ---------------------------------------------------------------------------------------------
# calc -o FILE: the format from the suffix


def test_calc_output_format_follows_the_suffix(run: Run, tmp_path: Path) -> None:
    for suffix, check in [
        (".json", lambda t: json.loads(t)["total"] == "3785000.00"),
        (".csv", lambda t: t.startswith("\ufeffarticle,title,") and "│" not in t),
        (".md", lambda t: t.startswith("## ")),
        (".txt", lambda t: "Total (maximum claimable): 3,785,000.00" in t),
    ]:
        target = tmp_path / f"r{suffix}"
        result = run("calc", EXAMPLE, "-o", str(target))
        assert result.exit_code == 0, result.output
        assert check(target.read_text(encoding="utf-8")), suffix
    forced = run("calc", EXAMPLE, "-o", str(tmp_path / "r.csv"), "--format", "json")
    assert json.loads((tmp_path / "r.csv").read_text(encoding="utf-8"))["total"] == "3785000.00"
    assert forced.exit_code == 0
    no_file = run("calc", EXAMPLE, "--format", "xlsx")
    assert no_file.exit_code == 2 and "--output FILE.xlsx" in no_file.stderr


def test_calc_csv_amounts_add_up_to_the_total_and_tax_stands_apart(run: Run) -> None:
    result = run("calc", EXAMPLE, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    total = sum(Decimal(r["amount"]) for r in rows if r["amount"])
    assert total == Decimal("3785000.00")
    tax = next(r for r in rows if r["article"] == "basic-research-tax-deduction")
    assert (tax["amount"], tax["deduction"], tax["tax_saving"]) == ("", "800000.00", "120000.00")
    zh = run("calc", EXAMPLE, "--format", "csv", "--lang", "zh").stdout
    assert zh.startswith(
        "条款编号,条款,章节,状态,方式,金额（元）,上限（元）,加计扣除额（元，税收优惠）"
    )
    assert ",可申报,最高,1000000.00," in zh


def test_calc_workbook(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    result = run("calc", EXAMPLE, "-o", str(target), "--lang", "zh")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("条款编号", "条款", "章节", "状态", "方式", "金额（元）")
    assert sheet.freeze_panes == "A2"
    amounts = [r[5] for r in rows[1:-1] if r[5] is not None]
    assert all(isinstance(a, (int, float)) for a in amounts)
    last = rows[-1]
    assert last[1].startswith("合计（最高可申报）") and last[5] == 3785000 == sum(amounts)
    assert (last[6], last[7], last[8]) == (None, 800000, 120000)  # caps are not summed
    assert sheet["F2"].number_format == sheets.MONEY_FORMAT
    assert sheet.column_dimensions["B"].width > 10


def test_a_formula_looking_name_stays_text_in_a_workbook(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    columns = [sheets.Column("name", "text", 10), sheets.Column("total", "money", 10, True)]
    writer = sheets.XlsxWriter(columns)
    writer.row(['=HYPERLINK("http://x")', Decimal("1.50")])
    writer.row(["+1", Decimal("2.25")])
    writer.total_row("Total")
    with target.open("wb") as file:
        writer.save(file)
    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == '=HYPERLINK("http://x")'
    assert sheet["B4"].value == Decimal("3.75") or sheet["B4"].value == 3.75


# ---------------------------------------------------------------------------------------------
# Templates


def test_init_writes_sheet_templates(run: Run, tmp_path: Path, policy: Policy) -> None:
    for name in ("clients.csv", "clients.xlsx"):
        result = run("init", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    text = (tmp_path / "clients.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["单位名称", "申报主体类型（企业/高等院校/科研院所/新型研发机构/其他）"]
    assert rows[1][:2] == ["name", "applicant_type"] and len(rows) == 3
    assert "获批省基础科学中心（是/否）" in rows[0]
    sheet = load_workbook(tmp_path / "clients.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == rows[0]
    assert [c.value for c in sheet[2]] == rows[1]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["B3:B10000"] == '"企业,高等院校,科研院所,新型研发机构,其他"'
    assert '"是,否"' in lists.values()
    bad = run("init", str(tmp_path / "x.txt"))
    assert bad.exit_code == 2 and ".csv or .xlsx for batch" in bad.stderr
