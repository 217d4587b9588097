"""Workbooks as a person sees them in a spreadsheet program (issue 24, point 1): every column as
wide as its header and its widest cell as shown (no `###` for an amount, no name cut short), a
long text wrapped in a row tall enough for it, the header row frozen; and a workbook that cannot
be written says so in one line, with nothing else on stderr.

Checked twice: in the file (openpyxl's widths, wraps and frozen panes), and rendered by
LibreOffice to PDF, whose text must show every amount and every name whole.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_env, subsidy_command, wait_for

# The issue's case: a total of more than six million 元 (`###` in a column 12 wide), and names
# longer than a column 10 wide, in Chinese and in English; and a bad row, whose message is long.
BIG_NAME = "江苏镇江新区高端智能装备制造研究院有限责任公司"
LATIN_NAME = "Zhenjiang Example Intelligent Equipment Co. Ltd"
NAMES = [BIG_NAME, LATIN_NAME, "丹阳新材料科技有限公司", "扬中电气股份有限公司"]
CLIENTS = (
    "name,applicant_type,annual_rd_expense,deductible_rd_expense,high_tech_enterprise,"
    "jiebang_projects,enterprise_rd_projects,gazelle_first,national_major_projects,"
    "national_platforms,unicorn_first\n"
    f"{BIG_NAME},enterprise,2亿,1.5亿,是,2,1,否,1,1,是\n"
    f"{LATIN_NAME},enterprise,1200万,1000万,是,1,1,是,0,0,否\n"
    "丹阳新材料科技有限公司,enterprise,800万,700万,否,0,0,否,0,0,否\n"
    "扬中电气股份有限公司,enterprise,2.5亿,五百万,是,2,0,否,0,0,否\n"
)
BIG_TOTAL = "19,700,000.00 元"  # BIG_NAME's total, as the sheet shows it
BIG_PROFILE = json.dumps({
    "name": BIG_NAME, "applicant_type": "enterprise", "annual_rd_expense": "2亿",
    "deductible_rd_expense": "1.5亿", "high_tech_enterprise": True, "jiebang_projects": 2,
    "enterprise_rd_projects": 1, "national_major_projects": 1, "national_platforms": 1,
    "unicorn_first": True,
}, ensure_ascii=False)  # fmt: skip


def subsidy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        subsidy_command(*args), cwd=cwd, env=cli_env({**os.environ, "LANG": "C.UTF-8"}),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every workbook the tool writes, in both languages: batch's results, calc's result and the
    template `init` writes."""
    folder = tmp_path_factory.mktemp("books")
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    (folder / "big.json").write_text(BIG_PROFILE, encoding="utf-8")
    for lang in ("zh", "en"):
        done = subsidy("batch", "clients.csv", "-o", f"results-{lang}.xlsx", "--lang", lang,
                       cwd=folder)  # fmt: skip
        assert done.returncode == 1, done.stderr  # the bad row: kept, with its error
        done = subsidy("calc", "big.json", "-o", f"calc-{lang}.xlsx", "--lang", lang, cwd=folder)
        assert done.returncode == 0, done.stderr
    done = subsidy("init", "template.xlsx", cwd=folder)
    assert done.returncode == 0, done.stderr
    names = ["results-zh", "results-en", "calc-zh", "calc-en", "template"]
    return {name: folder / f"{name}.xlsx" for name in names}


# -- In the file --------------------------------------------------------------------------------


def display(text: str) -> int:
    """Characters a text takes on screen, a Chinese one counting two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def as_shown(cell: Any) -> str:
    """A cell's value as the spreadsheet shows it: money in its number format, 1,234.00 元."""
    value = cell.value
    if isinstance(value, int | float) and "#,##0.00" in cell.number_format:
        return f"{Decimal(str(value)):,.2f} 元"
    return str(value)


@pytest.mark.parametrize("name", ["results-zh", "results-en", "calc-zh", "calc-en", "template"])
def test_every_column_shows_its_header_and_its_widest_cell(
    books: dict[str, Path], name: str
) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(books[name]).active
    assert sheet is not None
    heads = 2 if name == "template" else 1  # the template's second row holds the field ids
    assert sheet.freeze_panes == ("B3" if name == "template" else "A2")  # right under the header
    wrapped = 0
    for column in sheet.iter_cols():
        width = sheet.column_dimensions[column[0].column_letter].width
        for cell in column:
            if cell.value is None:
                continue
            wide = display(as_shown(cell))
            if wide + 1 <= width:  # whole, with room to spare
                continue
            # Only a long text may be wider than its column: it wraps, in a row tall enough.
            where = f"{cell.coordinate} {as_shown(cell)!r} in a column {width} wide"
            assert isinstance(cell.value, str), where
            assert width >= 30, where  # a column this wide is not to grow wider
            assert cell.alignment.wrap_text, where
            lines = -(-wide // (width - 2))
            height = sheet.row_dimensions[cell.row].height
            assert height is not None and height >= 15 * lines, f"{where}: row {height} high"
            wrapped += cell.row > heads
    if name.startswith("calc"):
        assert wrapped, "the explanations are long texts: some wrap"
    if name.startswith("results"):
        assert wrapped == 1, "the bad row's error message wraps, nothing else"


def test_the_issues_total_and_names_fit(books: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(books["results-zh"]).active
    assert sheet is not None
    assert [c.value for c in sheet[1][:3]] == ["行号", "单位名称", "合计（元）"]
    assert sheet.column_dimensions["B"].width >= display(BIG_NAME) + 1
    assert sheet.column_dimensions["C"].width >= display(BIG_TOTAL) + 1
    # The total row adds them up, and is as wide as the rest.
    assert as_shown(sheet.cell(sheet.max_row, 3)).startswith("2")  # above 20,000,000.00 元


# -- Rendered by LibreOffice -------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def rendered(books: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each workbook printed to PDF by LibreOffice, as the text on its pages (whitespace runs as
    one space)."""
    if SOFFICE is None or PDFTOTEXT is None:
        pytest.skip("LibreOffice or pdftotext is not installed (Debian: apt-get install "
                    "libreoffice-calc poppler-utils), so workbooks are not rendered")  # fmt: skip
    out = tmp_path_factory.mktemp("pdf")
    profile = (out / "profile").as_uri()  # its own profile: tests in parallel do not share one
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), *map(str, books.values())],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    texts = {}
    for name in books:
        pdf = out / f"{name}.pdf"
        assert pdf.exists(), done.stdout + done.stderr
        text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True,
                              check=True, timeout=120).stdout  # fmt: skip
        texts[name] = " ".join(text.split())
    return texts


@pytest.mark.parametrize("name", ["results-zh", "results-en", "calc-zh", "calc-en", "template"])
def test_no_amount_shows_as_hashes(rendered: dict[str, str], name: str) -> None:
    assert rendered[name], "nothing rendered"
    assert "#" not in rendered[name], re.findall(r".{0,30}#+.{0,30}", rendered[name])


@pytest.mark.parametrize("name", ["results-zh", "results-en"])
def test_every_name_and_amount_shows_whole(rendered: dict[str, str], name: str) -> None:
    text = rendered[name]
    for company in NAMES:
        assert company in text, f"{company} cut short: {text[:400]}"
    assert BIG_TOTAL in text
    assert "五百万" in text  # the bad row's message, wrapped in its cell, not cut off


@pytest.mark.parametrize("name", ["calc-zh", "calc-en"])
def test_calcs_amounts_and_name_show_whole(rendered: dict[str, str], name: str) -> None:
    text = rendered[name]
    assert BIG_NAME in text.replace(" ", "")  # in the total row's label, wrapped in English
    for amount in ("2,000,000.00 元", "5,000,000.00 元"):
        assert amount in text


def test_the_templates_ids_and_examples_show_whole(rendered: dict[str, str]) -> None:
    text = rendered["template"]
    for field in ("university_cooperation_expense", "tech_contract_registered", "示例科技有限公司"):
        assert field in text


# -- A workbook that cannot be written: one line, nothing else ------------------------------------

RECORDS = "".join(
    f'{{"name": "c{i}", "annual_rd_expense": "{1000 + i}万", "deductible_rd_expense": "900万"}}\n'
    for i in range(3000)
)


def only_messages(stderr: str) -> None:
    """stderr holds the tool's own lines: no traceback, no "Exception ignored in" from a
    half-written workbook collected after its file was closed."""
    lines = stderr.splitlines()
    assert lines and all(line.startswith("subsidy: ") for line in lines), stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [("calc", "--set", "annual_rd_expense=1200万"), ("batch", "in.jsonl")],
    ids=["calc", "batch"],
)
def test_a_workbook_on_a_full_device_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "in.jsonl").write_text(RECORDS, encoding="utf-8")
    done = subsidy(*args, "-o", "/dev/full", "-f", "xlsx", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "subsidy: /dev/full: cannot write: No space left on device\n"


def test_fail_fast_into_a_workbook_says_only_why(tmp_path: Path) -> None:
    bad = '{"name": "bad", "annual_rd_expense": "x"}\n'
    (tmp_path / "in.jsonl").write_text(RECORDS[:2000] + bad, encoding="utf-8")
    done = subsidy("batch", "in.jsonl", "-o", "out.xlsx", "--fail-fast", cwd=tmp_path)
    assert done.returncode == 1
    only_messages(done.stderr)
    assert "not written" in done.stderr and not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_workbook_interrupted_mid_run_leaves_stderr_quiet(tmp_path: Path, sig: int) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    proc = subprocess.Popen(
        subsidy_command("batch", "-", "-o", "out.xlsx"), cwd=tmp_path, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=cli_env({**os.environ, "LANG": "C.UTF-8", "TMPDIR": str(spool)}),
    )  # fmt: skip
    assert proc.stdin is not None
    try:
        proc.stdin.write(RECORDS.encode())
        proc.stdin.flush()  # the input stays open: the run cannot end before the signal
        wait_for(lambda: any(spool.rglob("openpyxl*")), proc, "the workbook's rows spooled")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert "Exception ignored" not in err.decode() and "Traceback" not in err.decode(), err
    assert not (tmp_path / "out.xlsx").exists()
