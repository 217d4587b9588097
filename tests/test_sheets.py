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

from subsidycli import csvtext, sheets
from subsidycli.errors import ProfileError
from subsidycli.output.xlsx import MONEY_FORMAT, Column, XlsxWriter
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
    assert parse_answer(item, "大学") == "university"
    assert parse_answer(item, "2") == "university"
    assert parse_answer(item, "５") == "other"
    with pytest.raises(ProfileError.__mro__[2]):  # MoneyError: a value that is not valid
        parse_answer(item, "9")


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
    assert csvtext.detect_encoding(data, True, "x.csv").name == expected
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
                "high_tech_enterprise": "否",
            },  # blank cells: unknown, left out
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
        csvtext.detect_encoding(data, True, "x.csv")
    assert 'save it as "CSV UTF-8 (Comma delimited)"' in caught.value.lines()[0]


def test_gbk_after_a_long_ascii_start_is_found_in_a_file_and_named_in_a_pipe(
    policy: Policy,
) -> None:
    head = b"name,jiebang_projects\r\n" + b"".join(b"c%d,1\r\n" % i for i in range(200_000))
    data = head + "镇江公司,1\r\n".encode("gbk")
    assert len(head) > csvtext.SAMPLE_BYTES
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
        csvtext.detect_encoding(buffer.getvalue(), True, "clients.csv")


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
        },  # empty cells: unknown, left out
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
    assert sheet["F2"].number_format == MONEY_FORMAT
    assert sheet.column_dimensions["B"].width > 10


def test_a_formula_looking_name_stays_text_in_a_workbook(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    columns = [Column("name", "text", 10), Column("total", "money", 10, True)]
    writer = XlsxWriter(columns)
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


# ---------------------------------------------------------------------------------------------
# batch: sheets in and out, as Excel saves them

CLIENTS = [
    ["单位名称", "申报主体类型", "年度研发费用", "可加计扣除研发费用额",
     "企业委托高校院所开展基础研究的支出", "持有有效高新技术企业证书", "首次评定为瞪羚企业",
     "备注"],
    ["镇江甲科技有限公司", "公司", "1200万", "1,000万元", "80万", "是", "有", "老客户"],
    ["=HYPERLINK(\"x\")", "企业", "800万", "", "", "否", "无", ""],
    ["乙大学", "高校", "", "", "", "", "", "新客户"],
]  # fmt: skip
# The same clients as profiles, in the words calc reads: what every sheet must agree with.
CLIENT_PROFILES = [
    {"name": "镇江甲科技有限公司", "applicant_type": "enterprise", "annual_rd_expense": "1200万",
     "deductible_rd_expense": "1000万", "commissioned_basic_research_expense": "80万",
     "high_tech_enterprise": True, "gazelle_first": True},
    {"name": '=HYPERLINK("x")', "applicant_type": "enterprise", "annual_rd_expense": "800万",
     "high_tech_enterprise": False, "gazelle_first": False},
    {"name": "乙大学", "applicant_type": "university"},
]  # fmt: skip


def expected_rows(calc_json: Any, policy: Policy, lang: str = "en") -> list[dict[str, Any]]:
    """What a batch sheet must say for CLIENT_PROFILES, from calc, by column id."""
    rows = []
    for line, profile in enumerate(CLIENT_PROFILES, start=2):
        data = calc_json(profile, "--lang", lang)
        row: dict[str, Any] = {"line": line, "name": data["name"], "total": data["total"]}
        for r in data["results"]:
            if r["basis"] in ("up_to", "exact"):
                row[r["article"]] = r["amount"]
            elif r["basis"] == "tax_deduction":
                row[f"{r['article']}.deduction"] = r["amount"]
                row[f"{r['article']}.tax_saving"] = r["tax_saving"]
        rows.append(row)
    return rows


def batch_csv(run: Run, source: Path, *extra: str) -> tuple[Any, list[dict[str, str]]]:
    result = run("batch", str(source), "-f", "csv", *extra)
    return result, list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [("clients.csv", "gbk", ","), ("clients.csv", "gb18030", ","),
     ("clients.csv", "utf-8-sig", ","), ("clients.csv", "utf-8", ","),
     ("clients.txt", "utf-16", "\t")],
)  # fmt: skip
def test_batch_reads_each_csv_excel_saves(
    run: Run, calc_json: Any, policy: Policy, tmp_path: Path, name: str, encoding: str,
    delimiter: str,
) -> None:  # fmt: skip
    source = tmp_path / name
    source.write_bytes(excel_csv(CLIENTS, encoding, delimiter))
    result, rows = batch_csv(run, source)
    assert result.exit_code == 0, result.output
    want = expected_rows(calc_json, policy)
    for row, expected in zip(rows, want, strict=True):
        assert {k: row[k] for k in expected} == {
            k: "" if v is None else str(v) for k, v in expected.items()
        } | {
            "name": "'" + expected["name"] if expected["name"].startswith("=") else expected["name"]
        }
    assert result.stderr.splitlines() == [
        f"subsidy: {source}:1: ignored columns that name no field: 备注 (--strict makes this an "
        "error)",
        "subsidy: records written: 3, failed: 0; output: stdout",
    ]


def test_batch_refuses_a_csv_it_cannot_decode_and_leaves_the_output(
    run: Run, tmp_path: Path
) -> None:
    source, target = tmp_path / "clients.csv", tmp_path / "out.xlsx"
    source.write_bytes("name,gazelle_first\r\nCafé Müller,1\r\n".encode("cp1252"))
    target.write_bytes(b"previous")
    result = run("batch", str(source), "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"subsidy: {source}: is not text in UTF-8, UTF-16 or GB18030/GBK, so its encoding cannot "
        f"be told; {csvtext.save_as()}\n"
    )
    assert target.read_bytes() == b"previous"


def client_workbook(path: Path) -> Path:
    """CLIENTS as a consultant types them into Excel: amounts as numbers, yes/no as TRUE/FALSE
    or 是/否, then a row with a date and one with a formula."""
    import datetime as dt

    rows: list[list[Any]] = [
        CLIENTS[0],
        ["镇江甲科技有限公司", "公司", 12000000.0, 10000000, 800000.0, True, "有", "老客户"],
        ['=HYPERLINK("x")', "企业", 8000000, None, None, False, "无"],
        ["乙大学", "高校"],
        ["丙公司", "企业", dt.date(2024, 3, 1)],
        ["丁公司", "企业", "=C2*2"],
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    sheet["A3"].data_type = "s"  # typed as text in Excel: not a formula
    book.save(path)
    return path


def test_batch_reads_a_workbook_and_refuses_dates_and_formulas_by_row(
    run: Run, calc_json: Any, policy: Policy, tmp_path: Path
) -> None:
    source = client_workbook(tmp_path / "clients.xlsx")
    result, rows = batch_csv(run, source)
    assert result.exit_code == 1
    want = expected_rows(calc_json, policy)
    assert [(r["line"], r["total"]) for r in rows[:3]] == [(str(w["line"]), w["total"])
                                                           for w in want]  # fmt: skip
    # The failed rows are kept, with their names, no amounts, and the problem last.
    assert [(r["line"], r["name"], r["total"]) for r in rows[3:]] == [("5", "丙公司", ""),
                                                                      ("6", "丁公司", "")]
    assert rows[3]["error"].startswith("annual_rd_expense (年度研发费用, column C): is a date")
    assert rows[0]["rd-investment-subsidy"] == "50000.00"  # 0.5% × 10,000,000 (a number cell)
    errors = result.stderr.splitlines()
    assert errors[1] == (
        f"subsidy: {source}:5: annual_rd_expense (年度研发费用, column C): is a date or time "
        "(2024-03-01 00:00:00), not a number; format the cell as a number or text and enter the "
        "value again"
    )
    assert errors[2].startswith(f"subsidy: {source}:6: annual_rd_expense (年度研发费用, column C): "
                                "is a formula (=C2*2)")  # fmt: skip
    assert errors[3] == "subsidy: records written: 3, failed: 2; output: stdout"


def test_workbook_numbers_are_exact(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    heads = ["annual_rd_expense", "deductible_rd_expense", "commissioned_basic_research_expense"]
    sheet.append([*heads, "income_tax_rate"])
    sheet.append([12345681.0, 12345681.0, 1234567.89, 0.15])
    book.save(path)
    record = json.loads(run("batch", str(path), "-f", "jsonl", "--explain").stdout)
    rd = next(r for r in record["results"] if r["article"] == "rd-investment-subsidy")
    assert rd["amount"] == "61728.41"  # 0.5% × 12,345,681.00 = 61,728.405, half-up
    tax = next(r for r in record["results"] if r["article"] == "basic-research-tax-deduction")
    assert (tax["amount"], tax["tax_saving"]) == ("1234567.89", "185185.18")  # × 15%
    assert "15%" in tax["explanation"]


def test_batch_writes_a_workbook(run: Run, calc_json: Any, policy: Policy, tmp_path: Path) -> None:
    source, target = tmp_path / "clients.csv", tmp_path / "results.xlsx"
    source.write_bytes(excel_csv(CLIENTS, "gbk"))
    for lang in ("zh", "en"):
        result = run("batch", str(source), "-o", str(target), "--lang", lang)
        assert result.exit_code == 0, result.output
        last = "已写入 3 条记录，失败 0 条；输出：" if lang == "zh" else "records written: 3, "
        assert result.stderr.splitlines()[-1].startswith(f"subsidy: {last}")
        assert str(target) in result.stderr.splitlines()[-1]
        sheet = load_workbook(target).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        from subsidycli import i18n
        from subsidycli.output.cells import output_columns

        with i18n.using(lang):
            columns = output_columns(policy)
        assert list(rows[0]) == [c.head for c in columns]
        if lang == "zh":
            assert rows[0][:4] == ("行号", "单位名称", "合计（元）", "揭榜挂帅项目支持")
            assert rows[0][-2:] == ("委托基础研究加计扣除（节税额（元，税收优惠））", "错误")
        ids = [c.id for c in columns]
        assert ids[-3:] == ["basic-research-tax-deduction.deduction",
                            "basic-research-tax-deduction.tax_saving", "error"]  # fmt: skip
        want = expected_rows(calc_json, policy, lang)
        for got, expected in zip(rows[1:4], want, strict=True):
            by_id = dict(zip(ids, got, strict=True))
            for key, value in expected.items():
                if key in ("line", "name"):
                    assert by_id[key] == value
                else:
                    assert by_id[key] == (None if value is None else Decimal(value)), key
            cash = [by_id[i] or 0 for c, i in zip(columns, ids, strict=True)
                    if c.summed and i != "total" and "." not in i]  # fmt: skip
            assert sum(map(Decimal, map(str, cash))) == Decimal(expected["total"])
        assert sheet["B3"].data_type == "s" and sheet["B3"].value == '=HYPERLINK("x")'
        assert sheet.freeze_panes == "A2"
        assert sheet["C2"].number_format == MONEY_FORMAT
        total = rows[4]
        assert total[1] == ("合计（元）" if lang == "zh" else "total")
        assert total[2] == sum(Decimal(w["total"]) for w in want)
        assert sheet.column_dimensions["D"].width >= 10


def test_the_templates_round_trip_through_batch(
    run: Run, calc_json: Any, policy: Policy, tmp_path: Path
) -> None:
    """init, fill in as a consultant does (Excel; a CSV saved again on Chinese Windows), batch."""
    book_path, csv_path = tmp_path / "clients.xlsx", tmp_path / "clients.csv"
    assert run("init", str(book_path)).exit_code == 0
    assert run("init", str(csv_path)).exit_code == 0
    book = load_workbook(book_path)
    sheet = book.active
    assert sheet is not None
    ids = [c.value for c in sheet[2]]
    example = {i: c.value for i, c in zip(ids, sheet[3], strict=True)}
    first = dict(example, name="镇江丙科技有限公司", high_tech_enterprise="是", gazelle_first="是")
    second = dict.fromkeys(ids) | {"name": "丁大学", "applicant_type": "高等院校",
                                   "basic_science_center_approved": "是"}  # fmt: skip
    filled = [first, second]
    for row, values in enumerate(filled, start=3):  # over the example row, and one more
        for column, key in enumerate(ids, start=1):
            sheet.cell(row=row, column=column, value=values[key])
    book.save(book_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    rows[2:] = [["" if v[k] is None else str(v[k]) for k in ids] for v in filled]
    csv_path.write_bytes(excel_csv(rows, "gbk"))  # saved again as "CSV" on Chinese Windows
    profiles = [{k: v for k, v in f.items() if v not in (None, "")} for f in filled]
    expected = [calc_json(p) for p in profiles]
    assert expected[0]["total"] == "250000.00" and expected[1]["total"] == "5000000.00"
    for source in (book_path, csv_path):
        result = run("batch", str(source), "-f", "jsonl", "--explain")
        assert result.exit_code == 0, result.output
        out = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["line"] for r in out] == [3, 4]  # the ids row is skipped, lines as shown
        assert [(r["name"], r["total"], r["results"]) for r in out] == [
            (e["name"], e["total"], e["results"]) for e in expected
        ]


def test_an_excel_round_trip_through_the_installed_command(tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import cli_command, cli_env

    source, target = tmp_path / "客户.csv", tmp_path / "结果.xlsx"
    source.write_bytes(excel_csv(CLIENTS, "gbk"))
    done = subprocess.run(cli_command("batch", str(source), "-o", str(target), "--lang", "zh"),
                          env=cli_env(), capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().endswith(f"已写入 3 条记录，失败 0 条；输出：{target}\n")
    sheet = load_workbook(target).active
    assert sheet is not None
    assert [c.value for c in sheet["B"]][1:4] == ["镇江甲科技有限公司", '=HYPERLINK("x")', "乙大学"]


def test_a_title_above_the_header_is_skipped(policy: Policy, tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["2024年客户清单"],
        [],
        ["单位名称", "首次评定为瞪羚企业"],
        ["甲", "是"],
    ]
    path = workbook(tmp_path / "c.xlsx", rows)
    with path.open("rb") as file:
        assert list(sheets.read_sheet(file, "xlsx", policy, "c.xlsx")) == [
            (4, {"name": "甲", "gazelle_first": "是"})
        ]
    data = excel_csv([["客户", "备注"], ["甲", "x"]], "gbk")  # two cells: a header, not a title
    with pytest.raises(ProfileError, match="the header names no field"):
        list(sheets.read_sheet(io.BytesIO(data), "csv", policy, "x.csv"))
