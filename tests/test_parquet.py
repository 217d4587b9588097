"""Parquet input: a registry exported from a database, read by `batch` and `summary` (both
engines) as a sheet whose header is the column names and whose cells are DuckDB's text of each
value; a file that is not Parquet is refused in one line.

The files are written by DuckDB's own COPY, with typed columns (DECIMAL, DOUBLE, BIGINT, BOOLEAN,
VARCHAR); the same table copied to CSV by DuckDB is the reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from subsidycli import parquet
from tests.conftest import Run

# Typed columns as a database has them: ids and a Chinese label as names, 1200万 as text, NULLs.
TABLE = """
SELECT * FROM (VALUES
  ('甲科技有限公司', 'enterprise', 12000000.50::DECIMAL(18,2), 9000000.25::DOUBLE, 1::BIGINT,
   true, '1200万', NULL::VARCHAR),
  ('乙公司', '企业', 30000000.00::DECIMAL(18,2), 1200.5::DOUBLE, 0::BIGINT, false, '300万', '12'),
  ('丙大学', 'university', NULL::DECIMAL(18,2), NULL::DOUBLE, 2::BIGINT, NULL::BOOLEAN, NULL,
   NULL),
  ('丁公司', 'enterprise', 8000000.00::DECIMAL(18,2), 40000000::DOUBLE, NULL::BIGINT, true,
   '2000万', '1'),
  ('戊公司', 'enterprise', 99999999.99::DECIMAL(18,2), 0.1::DOUBLE, 3::BIGINT, true, '1,000万',
   '0')
) AS t(name, applicant_type, annual_rd_expense, deductible_rd_expense, jiebang_projects,
       high_tech_enterprise, university_cooperation_expense,
       "获批省级研发平台数（企业技术中心、工程技术研究中心、院士工作站）")
"""


def _copy(query: str, path: Path, fmt: str) -> Path:
    connection = duckdb.connect(":memory:")
    try:
        literal = str(path).replace("'", "''")
        connection.execute(f"COPY ({query}) TO '{literal}' (FORMAT {fmt})")
    finally:
        connection.close()
    return path


@pytest.fixture
def registry(tmp_path: Path) -> tuple[Path, Path]:
    """The table as Parquet, and as CSV (DuckDB's text of each value, as the reader reads it)."""
    return (_copy(TABLE, tmp_path / "registry.parquet", "parquet"),
            _copy(TABLE, tmp_path / "registry.csv", "csv"))  # fmt: skip


def _json(run: Run, *args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_a_parquet_summary_equals_the_same_table_as_csv(
    run: Run, registry: tuple[Path, Path], engine: str
) -> None:
    parquet, csv = registry
    from_parquet = _json(run, "summary", str(parquet), "-f", "json", "--engine", engine)
    from_csv = _json(run, "summary", str(csv), "-f", "json", "--engine", "python")
    assert from_parquet == from_csv
    assert from_parquet["records"] == 5 and from_parquet["failed"] == 0
    assert from_parquet["total"] != "0.00"  # the typed columns were read, not left blank


def test_the_engines_agree_on_parquet_with_a_what_if(run: Run, registry: tuple[Path, Path]) -> None:
    parquet, _ = registry
    what_if = ("--override", "rd-investment-subsidy.max=50万", "-f", "json")
    assert _json(run, "summary", str(parquet), *what_if) == _json(
        run, "summary", str(parquet), *what_if, "--engine", "python"
    )


def test_batch_reads_parquet_rows_numbered_from_1(run: Run, registry: tuple[Path, Path]) -> None:
    parquet, csv = registry
    result = run("batch", str(parquet), "-f", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["name"] for r in records] == [
        "甲科技有限公司",
        "乙公司",
        "丙大学",
        "丁公司",
        "戊公司",
    ]
    as_csv = [
        json.loads(line) for line in run("batch", str(csv), "-f", "jsonl").stdout.splitlines()
    ]
    assert [{**r, "line": 0} for r in records] == [{**r, "line": 0} for r in as_csv]


def test_batch_writes_csv_for_parquet_by_default(run: Run, registry: tuple[Path, Path]) -> None:
    parquet, _ = registry
    result = run("batch", str(parquet))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("line,name,total,")
    assert result.stdout.splitlines()[1].startswith("1,甲科技有限公司,")


def test_cells_are_duckdbs_text_of_each_value(registry: tuple[Path, Path]) -> None:
    """The one definition both readers share: DECIMAL keeps its places, DOUBLE its shortest form,
    BOOLEAN is true/false, NULL is a blank cell."""
    path, _ = registry
    connection = duckdb.connect(":memory:")
    columns = parquet.parquet_columns(connection, str(path))
    rows = connection.execute(parquet.parquet_text_sql(str(path), columns)).fetchall()
    assert columns[:3] == ["name", "applicant_type", "annual_rd_expense"]
    assert rows[0][:8] == (
        1,
        False,  # no cell longer than the reader takes
        "甲科技有限公司",
        "enterprise",
        "12000000.50",
        "9000000.25",
        "1",
        "true",
    )
    assert (
        rows[1][5] == "1200.5" and rows[4][5] == "0.1"
    )  # never 1200.4999… nor 0.1000000000000000055
    assert rows[2][4] is None and rows[2][8] is None


def test_a_bad_value_is_named_by_file_and_row(run: Run, tmp_path: Path) -> None:
    table = ("SELECT * FROM (VALUES ('A', 'enterprise', '1000万'), ('B', 'enterprise', 'lots')) "
             "AS t(name, applicant_type, annual_rd_expense)")  # fmt: skip
    parquet = _copy(table, tmp_path / "bad.parquet", "parquet")
    result = run("summary", str(parquet), "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"] == 1
    assert f"{parquet}:2: annual_rd_expense" in result.stderr


def test_a_header_naming_no_field_is_refused_without_a_line(run: Run, tmp_path: Path) -> None:
    parquet = _copy("SELECT 1 AS foo, 2 AS bar", tmp_path / "odd.parquet", "parquet")
    result = run("summary", str(parquet))
    assert result.exit_code == 2
    last = result.stderr.splitlines()[-1]  # after the warning naming the ignored columns
    assert last.startswith(f"subsidy: {parquet}: the header names no field"), result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_text_file_named_parquet_is_refused_in_one_line(
    run: Run, tmp_path: Path, lang: str
) -> None:
    fake = tmp_path / "clients.parquet"
    fake.write_text("name,annual_rd_expense\nA,1000万\n", encoding="utf-8")
    for command in ("batch", "summary"):
        result = run(command, str(fake), "--lang", lang)
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and str(fake) in lines[0], result.stderr
        assert ".csv" in lines[0] and "Parquet" in lines[0]
        assert "Traceback" not in result.output
        if lang == "zh":
            assert "不是 Parquet 文件" in lines[0]


def test_a_truncated_parquet_file_is_refused(run: Run, registry: tuple[Path, Path]) -> None:
    parquet, _ = registry
    cut = parquet.with_name("cut.parquet")
    cut.write_bytes(parquet.read_bytes()[:-40])
    result = run("summary", str(cut))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"subsidy: {cut}: is a Parquet file cut short (it does not end as Parquet files do): "
        "export the table as Parquet again, or give a .csv, .xlsx or .jsonl file"
    ]


def test_a_parquet_file_whose_inside_is_broken_is_refused(
    run: Run, registry: tuple[Path, Path]
) -> None:
    parquet, _ = registry
    data = bytearray(parquet.read_bytes())
    broken = parquet.with_name("broken.parquet")
    data[8:-8] = b"\xff" * (len(data) - 16)  # the magic bytes kept, the rest garbage
    broken.write_bytes(bytes(data))
    result = run("batch", str(broken))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert f"{broken}: cannot be read as Parquet (" in result.stderr
    assert "Traceback" not in result.output


def test_parquet_is_not_read_from_stdin(run: Run, registry: tuple[Path, Path]) -> None:
    result = run("summary", "-", "--input-format", "parquet", input="PAR1")
    assert result.exit_code == 2
    assert "a Parquet file is read from a file, not from stdin" in result.stderr


def test_an_unknown_suffix_names_parquet_among_the_formats(run: Run, tmp_path: Path) -> None:
    odd = tmp_path / "clients.dat"
    odd.write_text("x", encoding="utf-8")
    result = run("summary", str(odd))
    assert result.exit_code == 2
    assert ".parquet" in result.stderr and "--input-format" in result.stderr


def _long_cell(path: Path, mib: int) -> Path:
    """A zstd Parquet file (a few KB) whose first row's money cell is `mib` MiB of nines."""
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(
            f"COPY (SELECT * FROM (VALUES ('A', 'enterprise', repeat('9', {mib} << 20)),"
            " ('B', 'enterprise', '1200000')) AS t(name, applicant_type, annual_rd_expense))"
            f" TO '{path}' (FORMAT parquet, COMPRESSION zstd)")  # fmt: skip
    finally:
        connection.close()
    return path


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_a_cell_over_the_limit_fails_its_row_on_both_engines(
    run: Run, tmp_path: Path, engine: str
) -> None:
    path = _long_cell(tmp_path / "long.parquet", 30)
    assert path.stat().st_size < 100_000  # it unpacks to 30 MiB
    result = run("summary", str(path), "--engine", engine, "-f", "json")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"subsidy: {path}:1: has a cell longer than 10 MiB"
    assert json.loads(result.stdout)["records"] == 1  # row 2 is read


def test_the_long_cell_never_reaches_python(tmp_path: Path) -> None:
    path = _long_cell(tmp_path / "long.parquet", 12)
    connection = duckdb.connect(":memory:")
    columns = parquet.parquet_columns(connection, str(path))
    rows = connection.execute(parquet.parquet_text_sql(str(path), columns)).fetchall()
    assert rows == [(1, True, "A", "enterprise", None), (2, False, "B", "enterprise", "1200000")]


@pytest.mark.parametrize("bound", ["MAX_PARQUET_CHUNK", "MAX_PARQUET_TOTAL"])
@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_a_file_that_unpacks_too_far_is_refused_before_reading(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, bound: str
) -> None:
    path = _long_cell(tmp_path / "bomb.parquet", 3)
    monkeypatch.setattr(parquet, bound, 2 << 20)  # the file's 3 MiB cell passes 2 MiB
    result = run("summary", str(path), "--engine", engine)
    assert result.exit_code == 2, result.output
    why = ("has a column that unpacks to 3 MiB in one row group; at most 2 MiB is read"
           if bound == "MAX_PARQUET_CHUNK" else "unpacks to 3 MiB; at most 2 MiB is read")
    assert result.stderr.startswith(f"subsidy: {path}: {why}")
    assert result.stdout == ""


FLOAT_MONEY = """
SELECT * FROM (VALUES ('A', 'enterprise', 3703.6800000000003::DOUBLE),
                      ('B', 'enterprise', 1e22::DOUBLE),
                      ('C', 'enterprise', 1200000::DOUBLE))
  AS t(name, applicant_type, annual_rd_expense)
"""


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_money_in_a_double_column_says_to_export_it_as_decimal(
    run: Run, tmp_path: Path, engine: str
) -> None:
    path = _copy(FLOAT_MONEY, tmp_path / "d.parquet", "parquet")
    result = run("summary", str(path), "--engine", engine, "-f", "json")
    assert result.exit_code == 1
    hint = ("the column is a floating-point type (FLOAT or DOUBLE) in the Parquet file, which "
            "cannot hold amounts exactly: export it as DECIMAL, e.g. DECIMAL(18, 2)")
    assert result.stderr.splitlines()[:2] == [
        f"subsidy: {path}:1: annual_rd_expense: '3703.6800000000003' has more than 8 decimal "
        f"places; {hint}",
        f"subsidy: {path}:2: annual_rd_expense: '1e+22' is not an amount (a non-negative amount "
        f"in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿); {hint}",
    ]  # fmt: skip
    assert json.loads(result.stdout)["records"] == 1
    zh = run("summary", str(path), "--engine", engine, "--lang", "zh")
    assert "该列在 Parquet 文件中是浮点类型（FLOAT 或 DOUBLE）" in zh.stderr
    assert "请导出为 DECIMAL" in zh.stderr


def test_a_text_column_of_the_same_cell_has_no_such_hint(run: Run, tmp_path: Path) -> None:
    query = FLOAT_MONEY.replace("::DOUBLE", "::DOUBLE::VARCHAR")
    path = _copy(query, tmp_path / "v.parquet", "parquet")
    result = run("summary", str(path))
    assert result.exit_code == 1
    assert "has more than 8 decimal places\n" in result.stderr
    assert "floating-point" not in result.stderr
