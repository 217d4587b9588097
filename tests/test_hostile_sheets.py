"""Hostile and careless sheets (issue 25): units in headers, small amounts where 万 was meant,
CSV quotes left open, failed rows kept in the output, the template's example row, workbooks with
hidden or several sheets, malformed cells and zip bombs.

The workbooks are built here as real zip files with `zipfile` (no openpyxl: what it would never
write is the point). Each test runs the installed command (`subsidy_command`, the source under
test) in a process of its own, with a time limit and a memory limit.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_env, subsidy_command

MEMORY = 1 << 30  # address space: a bomb that were inflated would fail fast, not the host
RD = "rd-investment-subsidy"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def subsidy(
    *args: str, cwd: Path, input: str | None = None, lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`subsidy ARGS` in a process of its own (in English, or `lang`), with a time and a memory
    limit."""
    env = cli_env({**os.environ, "LANG": "C.UTF-8"})
    return subprocess.run(
        subsidy_command(*args, *(("--lang", lang) if lang else ())), cwd=cwd, env=env, input=input,
        capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory,
    )  # fmt: skip


def jsonl(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def amount(record: dict[str, Any], article: str = RD) -> str | None:
    found: str | None = next(r["amount"] for r in record["results"] if r["article"] == article)
    return found


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# --- Workbooks as zip files -------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell(ref: str, value: Any, kind: str | None = None) -> str:
    """A `<c>`: a str is an inline string unless `kind` says otherwise."""
    if isinstance(value, str) and kind is None:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    typed = f' t="{kind}"' if kind else ""
    return f'<c r="{ref}"{typed}><v>{value}</v></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def sheet_xml(*rows: str, head: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{head}<worksheet xmlns="{MAIN}">'
            f'<sheetData>{"".join(rows)}</sheetData></worksheet>')  # fmt: skip


def workbook(
    path: Path, sheets: list[tuple[str, str, str]], *, active: int = 0,
    shared: list[str] | None = None, parts: dict[str, bytes | str] | None = None,
) -> Path:  # fmt: skip
    """A workbook of `sheets` (name, XML, state), each part written as given."""
    entries = "".join(
        f'<sheet name="{name}" sheetId="{i + 1}" state="{state}" r:id="rId{i + 1}"/>'
        for i, (name, _, state) in enumerate(sheets)
    )
    book = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<bookViews><workbookView activeTab="{active}"/></bookViews>'
            f"<sheets>{entries}</sheets></workbook>")  # fmt: skip
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}'
        '.xml"/>' for i in range(len(sheets))
    ) + (f'<Relationship Id="rId99" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
         if shared is not None else "")  # fmt: skip
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{ct}.worksheet+xml"/>'
        for i in range(len(sheets))
    ) + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
         if shared is not None else "")  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:  # as Excel lays it out
        z.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
            '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f"{types}</Types>"))  # fmt: skip
        z.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))  # fmt: skip
        z.writestr("xl/workbook.xml", book)
        package = "http://schemas.openxmlformats.org/package/2006/relationships"
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="{package}">{rels}</Relationships>')  # fmt: skip
        for i, (_, xml, _) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        if shared is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{items}</sst>')
        for name, data in (parts or {}).items():
            z.writestr(name, data)
    return path


HEADER = row(
    1, cell("A1", "单位名称"), cell("B1", "年度研发费用"), cell("C1", "可加计扣除研发费用额")
)


def one_sheet(path: Path, *rows: str, **options: Any) -> Path:
    return workbook(path, [("客户", sheet_xml(HEADER, *rows), "visible")], **options)


# --- 1. Units in headers -----------------------------------------------------------------------


def test_a_unit_in_the_header_is_read_and_an_unknown_one_refused(tmp_path: Path) -> None:
    text = ("单位名称,年度研发费用（万元）,可加计扣除研发费用额(单位：万元),"
            "企业与高校院所的科技合作费用（科技创新券）（元）\n"
            "甲,1200,1000,450000\n"  # 1200 in a 万元 column: 12,000,000 元
            "乙,1200万,10000000元,\n"  # a cell that says its unit is read as written
            "丙,800,700,\n")  # fmt: skip
    result = subsidy("batch", "-", "-i", "csv", "-f", "jsonl", cwd=tmp_path, input=text)
    assert result.returncode == 0, result.stderr
    records = jsonl(result)
    assert [amount(r) for r in records] == ["50000.00", "50000.00", "0.00"]
    assert amount(records[0], "innovation-voucher") == "135000.00"  # （科技创新券） is a note
    assert [r["total"] for r in records][:1] != ["0.00"]
    # 亿元 in a header without brackets, and a workbook's number cell in a 万元 column
    billion = "单位名称,年度研发费用 单位：亿元,可加计扣除研发费用额（元）\n甲,0.12,10000000\n"
    result = subsidy("batch", "-", "-i", "csv", "-f", "jsonl", cwd=tmp_path, input=billion)
    assert amount(jsonl(result)[0]) == "50000.00", result.stderr
    book = workbook(tmp_path / "c.xlsx", [("客户", sheet_xml(
        row(1, cell("A1", "单位名称"), cell("B1", "年度研发费用（万元）"),
            cell("C1", "可加计扣除研发费用额（万元）")),
        row(2, cell("A2", "甲"), cell("B2", 1200), cell("C2", 1000)),
    ), "visible")])  # fmt: skip
    result = subsidy("batch", str(book), "-f", "jsonl", cwd=tmp_path)
    assert amount(jsonl(result)[0]) == "50000.00", result.stderr
    for unit in ("千元", "美元", "万美元", "百万元"):
        bad = f"单位名称,年度研发费用（{unit}）\n甲,1200\n"
        result = subsidy("batch", "-", "-i", "csv", "-o", "out.csv", cwd=tmp_path, input=bad)
        assert result.returncode == 2, result.stderr
        assert (f"<stdin>:1: column 2 (年度研发费用（{unit}）): amounts in {unit} are not read"
                in result.stderr), result.stderr  # fmt: skip
        assert not (tmp_path / "out.csv").exists()


def test_the_templates_headers_say_yuan(tmp_path: Path) -> None:
    assert subsidy("init", "t.csv", cwd=tmp_path).returncode == 0
    heads = next(csv.reader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8-sig"))))
    assert "年度研发费用（元）" in heads and "可加计扣除研发费用额（元）" in heads


# --- 2. Small amounts where 万 was meant ------------------------------------------------------


def test_small_amounts_in_an_expense_column_are_warned_about_once(tmp_path: Path) -> None:
    text = ("单位名称,年度研发费用,可加计扣除研发费用额\n"
            "甲,1200,15000000\n乙,800,0\n丙,900,\n丁,,2000万\n")
    result = subsidy("batch", "-", "-i", "csv", "-f", "jsonl", cwd=tmp_path, input=text)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "below 10,000" in line]
    assert warned == [
        "subsidy: <stdin>: column B (年度研发费用): 3 of 3 amounts are below 10,000 元, e.g. line "
        "2: 1200; if 万元 was meant, write 1200万, or put （万元） in the header"
    ]
    fine = "单位名称,年度研发费用（万元）\n甲,1200\n"  # the header says 万元: nothing to question
    result = subsidy("batch", "-", "-i", "csv", "-f", "jsonl", cwd=tmp_path, input=fine)
    assert "below 10,000" not in result.stderr


# --- 7. A CSV quote left open -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_quote_left_open_names_every_line_it_swallowed(tmp_path: Path, fmt: str) -> None:
    text = ('name,annual_rd_expense\na,1200万\nb,"1200万\nc,1200万\n\nd,1200万\n')  # to the end
    result = subsidy("batch", "-", "-i", "csv", "-f", fmt, cwd=tmp_path, input=text)
    assert result.returncode == 1
    no_traceback(result)
    assert result.stderr.splitlines() == [
        'subsidy: <stdin>:3: a quote (") opened on this line is not closed where its cell ends: '
        'lines 3-6 were read as one cell; close the quote (or write "" for a quote inside a cell)',
        "subsidy: <stdin>:4: swallowed by the quote opened on line 3",
        "subsidy: <stdin>:6: swallowed by the quote opened on line 3",
        "subsidy: records written: 1, failed: 3; output: stdout",  # 4 rows read
    ]
    closed_later = 'name,annual_rd_expense\na,1\nb,"2\nc,3\nd,"4"\ne,5\n'  # closed on line 5
    result = subsidy("batch", "-", "-i", "csv", "-f", "csv", cwd=tmp_path, input=closed_later)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["line"], r["name"], r["error"][:30]) for r in rows] == [
        ("2", "a", ""), ("3", "", 'a quote (") opened on this lin'),
        ("4", "", "swallowed by the quote opened "), ("5", "", "swallowed by the quote opened "),
        ("6", "e", ""),
    ]  # fmt: skip
    last = result.stderr.splitlines()[-1]
    assert last == "subsidy: records written: 2, failed: 3; output: stdout"


# --- 9. Failed rows kept; the template's example row; summary's last line -----------------------


def test_failed_rows_keep_their_row_in_csv_and_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    text = "单位名称,年度研发费用\n甲,1200万\n乙,五百万\n丙,800万\n"
    result = subsidy("batch", "-", "-i", "csv", "-f", "csv", cwd=tmp_path, input=text, lang="zh")
    assert result.returncode == 1
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["行号", "单位名称", "合计（元）"] and rows[0][-1] == "错误"
    assert [(r[0], r[1]) for r in rows[1:]] == [("2", "甲"), ("3", "乙"), ("4", "丙")]
    assert rows[1][-1] == rows[3][-1] == ""
    assert rows[2][-1].startswith("annual_rd_expense: '五百万'")
    assert set(rows[2][2:-1]) == {""}  # a failed row's amounts are empty, never 0.00
    result = subsidy("batch", "-", "-i", "csv", "-o", "r.xlsx", cwd=tmp_path, input=text)
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "error" and [v[:2] for v in values[1:4]] == [
        (2, "甲"), (3, "乙"), (4, "丙")]  # fmt: skip
    assert values[2][2] is None and values[2][-1].startswith("annual_rd_expense: '五百万'")


def test_the_templates_example_row_is_skipped(tmp_path: Path) -> None:
    for name in ("clients.xlsx", "clients.csv"):
        assert subsidy("init", name, cwd=tmp_path).returncode == 0
        only = subsidy("batch", name, "-o", "r.csv", cwd=tmp_path)
        assert only.returncode == 2, only.stderr
        assert only.stderr.splitlines() == [
            f"subsidy: {name}:3: the template's example row (示例科技有限公司) is skipped, not "
            "counted as a client",
            f"subsidy: {name}: holds no record: only the template's example row (line 3, "
            "示例科技有限公司), which is skipped; fill in one client a row",
        ]
        assert not (tmp_path / "r.csv").exists()
    with (tmp_path / "clients.csv").open("a", encoding="utf-8") as file:
        file.write("甲公司,企业" + "," * 39 + "\r\n")
    result = subsidy("summary", "clients.csv", cwd=tmp_path, lang="zh")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 条计入，无有误记录"


def test_summary_s_last_line_says_counted_and_failed(tmp_path: Path) -> None:
    text = "单位名称,年度研发费用\n" + "".join(f"c{i},1200万\n" for i in range(7)) + "x,-1\n"
    result = subsidy("summary", "-", "-i", "csv", cwd=tmp_path, input=text, lang="zh")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "7 条计入，1 条有误（见标准错误输出）"


# --- 5 (second half). A total row leaves a column of unknowns empty -----------------------------


def test_the_total_row_leaves_a_column_of_unknowns_empty(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    text = "单位名称,年度研发费用,可加计扣除研发费用额\n甲,1200万,1000万\n乙,800万,\n"
    result = subsidy("batch", "-", "-i", "csv", "-o", "r.xlsx", cwd=tmp_path, input=text)
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    heads, total = values[0], values[-1]
    column = heads.index("jiebang-guashuai")  # unknown for both: needs an answer
    assert [v[column] for v in values[1:3]] == [None, None]
    assert total[column] is None  # not 0.00
    assert total[heads.index(RD)] == Decimal("50000")  # a column with amounts is summed


# --- 10. Which sheet of a workbook ---------------------------------------------------------------


def test_the_active_visible_sheet_is_read_and_named(tmp_path: Path) -> None:
    hidden = sheet_xml(HEADER, row(2, cell("A2", "隐藏"), cell("B2", "1200万")))
    shown = sheet_xml(
        HEADER, row(2, cell("A2", "可见"), cell("B2", "1200万"), cell("C2", "1000万"))
    )
    notes = sheet_xml(row(1, cell("A1", "备注")))
    path = workbook(tmp_path / "c.xlsx", [("旧", hidden, "hidden"), ("客户", shown, "visible"),
                                          ("说明", notes, "visible")], active=0)  # fmt: skip
    result = subsidy("batch", "c.xlsx", "-f", "jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in jsonl(result)] == ["可见"]
    assert result.stderr.splitlines()[:2] == [
        f"subsidy: {path.name}: reading the sheet 客户 (the workbook's active, visible one)",
        f"subsidy: {path.name}: the sheets 旧, 说明 also hold data and are not read; make the one "
        "to read the active sheet (select it, save), or copy them into one sheet",
    ]
    workbook(path, [("一", sheet_xml(row(1, cell("A1", "x"))), "visible"), ("客户", shown,
                                                                        "visible")], active=1)
    result = subsidy("batch", "c.xlsx", "-f", "jsonl", cwd=tmp_path)
    assert [r["name"] for r in jsonl(result)] == ["可见"], result.stderr


# --- 11. Malformed cells and workbooks ---------------------------------------------------------


def test_malformed_cells_are_messages_naming_row_and_column(tmp_path: Path) -> None:
    one_sheet(
        tmp_path / "c.xlsx",
        row(2, cell("A2", "甲"), cell("B2", "1e400", "n")),
        row(3, cell("A3", "乙"), cell("B3", "abc", "n")),
        row(4, cell("A4", "丙"), cell("B4", "7", "s")),  # no such shared string
        row(5, cell("A5", "丁"), cell("B5", "1200万")),
        row(6, cell("A6", "戊"), cell("B6", "x" * 40_000)),
        shared=["只有一个"],
    )
    result = subsidy("batch", "c.xlsx", "-f", "csv", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    where = "annual_rd_expense (年度研发费用, column B)"
    assert lines[0] == (f"subsidy: c.xlsx:2: {where}: holds 1e400, which is not a number that can "
                        "be read; enter the number again")  # fmt: skip
    assert lines[1].startswith(f"subsidy: c.xlsx:3: {where}: holds abc, which is not a number")
    assert lines[2].startswith(f"subsidy: c.xlsx:4: {where}: refers to shared text 7, which")
    assert lines[3] == f"subsidy: c.xlsx:6: {where}: holds more than 32,767 characters (Excel's limit for a cell)"  # noqa: E501
    assert lines[4] == "subsidy: records written: 1, failed: 4; output: stdout"
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["line"], r["name"]) for r in rows] == [
        ("2", "甲"), ("3", "乙"), ("4", "丙"), ("5", "丁"), ("6", "戊")]  # fmt: skip


@pytest.mark.parametrize(
    ("parts", "sheets", "message"),
    [
        ({}, [], "holds no sheet that can be read"),
        ({}, [("客户", sheet_xml(HEADER) + "<broken", "visible")], "[客户]: xl/worksheets/sheet1"
         ".xml is not well-formed XML"),
        ({}, [("客户", sheet_xml(HEADER, row(2, cell("2A", "甲"))), "visible")],
         "[客户]: row 2: 2A is not a cell of this row"),
        ({}, [("客户", sheet_xml(HEADER, row(2, cell("A3", "甲"))), "visible")],
         "[客户]: row 2: A3 is not a cell of this row"),
        ({}, [("客户", sheet_xml(HEADER, head='<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
                                              '"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'), "visible")],
         "declares a DOCTYPE (entities), which a workbook never does"),
        ({"xl/sharedStrings.xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><sst/>'},
         [("客户", sheet_xml(HEADER), "visible")], "declares a DOCTYPE"),
        ({}, [("客户", sheet_xml(HEADER), "hidden")], "holds no sheet that can be read"),
    ],
)  # fmt: skip
def test_a_broken_workbook_is_refused_whole(
    tmp_path: Path, parts: dict[str, str], sheets: list[tuple[str, str, str]], message: str
) -> None:
    workbook(tmp_path / "c.xlsx", sheets, parts=parts)
    result = subsidy("batch", "c.xlsx", "-o", "r.csv", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "subsidy: c.xlsx" in result.stderr, result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_not_a_zip_and_a_zip_without_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"PK\x03\x04 not really")
    with zipfile.ZipFile(tmp_path / "b.xlsx", "w") as z:
        z.writestr("hello.txt", "hi")
    for name, message in [("a.xlsx", "is not an Excel workbook (.xlsx) that can be read"),
                          ("b.xlsx", "is not a complete Excel workbook: it has no "
                                     "xl/workbook.xml")]:  # fmt: skip
        result = subsidy("batch", name, cwd=tmp_path)
        no_traceback(result)
        assert result.returncode == 2 and message in result.stderr, result.stderr


# --- 12. Zip bombs: sizes checked before reading, cells bounded --------------------------------


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    big = "a" * (40 << 20)  # 40 MiB of one letter: 40 kB compressed
    one_sheet(tmp_path / "c.xlsx", row(2, cell("A2", "0", "s")), shared=[big])
    assert (tmp_path / "c.xlsx").stat().st_size < 1 << 20
    result = subsidy("batch", "c.xlsx", "-f", "jsonl", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2
    assert "c.xlsx: expands to more than 32 MiB" in result.stderr, result.stderr


def test_a_sheet_of_too_many_cells_is_refused(tmp_path: Path) -> None:
    # Each row reaches column XFD: 16,384 cells a row as the sheet is laid out, 300 rows.
    rows = [row(n, cell(f"A{n}", "甲"), cell(f"XFD{n}", "1")) for n in range(2, 302)]
    one_sheet(tmp_path / "c.xlsx", *rows)
    result = subsidy("batch", "c.xlsx", "-f", "jsonl", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert "c.xlsx [客户]: has more than 4,000,000 cells" in result.stderr, result.stderr
