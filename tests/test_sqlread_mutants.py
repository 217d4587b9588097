"""`summary` on DuckDB (`sqlread`) and the Parquet reader (`parquet`) on the files that tell
apart the mutants of them the broader tests (test_sql_input.py, test_parquet.py) let live: each
test writes a real file (CSV by the csv module, Parquet by DuckDB's COPY) and asserts what a user
sees — the two engines' summaries, failed counts, messages and warnings equal, and what they
are."""

from __future__ import annotations

import csv
import functools
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest

from subsidycli import parquet, summary
from subsidycli.render.summary import summary_dict
from tests.conftest import Run
from tests.test_parquet import _copy as copy
from tests.test_sql_input import POLICY, engines

EXPORT = "export the table as Parquet again, or give a .csv, .xlsx or .jsonl file"


def _write(path: Path, rows: list[list[str]], newline: str = "\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator=newline).writerows(rows)
    return path


def _copy(query: str, path: Path) -> Path:
    """The query's rows as a Parquet file of small row groups (a page can break alone)."""
    return copy(query, path, "parquet, ROW_GROUP_SIZE 2048")


def _amounts_warning(line: int, cell: str, small: int, amounts: int) -> str:
    return (f"c.csv: column A (年度研发费用): {small} of {amounts} amounts are below 10,000 元, "
            f"e.g. line {line}: {cell}; if 万元 was meant, write {cell}万, or put （万元） in the "
            "header")  # fmt: skip


def test_rows_of_spaces_are_not_counted_as_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.csv", [
        ["annual_rd_expense", "name"], ["1200万", "a"], [" ", "\u3000"], ["", ""], ["5", "b"],
    ])  # fmt: skip
    found = engines(path, [POLICY])
    assert found["records"] == 2


def test_small_amounts_written_with_separators_are_warned_about(tmp_path: Path) -> None:
    """Amounts the database does not cast itself ("1,000") count as small ones, and the first
    small amount named is the file's first, whichever way it is written."""
    path = _write(tmp_path / "c.csv", [
        ["annual_rd_expense", "name"], ["1,000", "a"], ["600", "b"], ["2,500", "c"],
        [" 800", "d"], ["1200万", "e"],
    ])  # fmt: skip
    found = engines(path, [POLICY])
    assert found["warnings"] == [_amounts_warning(2, "1,000", 4, 5)]
    assert found["records"] == 5 and found["failed"] == 0


def test_many_distinct_bad_cells_in_a_column_fail_their_rows_only(tmp_path: Path) -> None:
    """More distinct bad cells than are written into the query (a table holds them)."""
    bad = [f"{n} apples" for n in range(70)]
    rows = [["annual_rd_expense", "high_tech_enterprise"]]
    for n, cell in enumerate(bad):
        rows += [[cell, "是"], [f"{n + 1}00万", "否"]]
    found = engines(_write(tmp_path / "c.csv", rows), [POLICY])
    assert found["records"] == 70 and found["failed"] == 70
    assert [e[0].split(":")[1] for e in found["errors"]] == [str(2 * n + 2) for n in range(70)]


@pytest.mark.parametrize("end", [",\r", "5,\r"])
def test_a_file_ending_in_a_lone_cr_goes_to_the_python_reader(tmp_path: Path, end: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(f"annual_rd_expense,name\n1200万,a\n{end}".encode())
    found = engines(path, [POLICY], fast=False)
    assert found["records"] == 1 + (end != ",\r")


def test_a_file_of_the_magic_bytes_alone_is_cut_short(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    path.write_bytes(parquet.PARQUET_MAGIC * 2)
    result = run("summary", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"subsidy: {path}: is a Parquet file cut short (it does not end as Parquet files do): "
        + EXPORT
    ]


def test_a_file_of_too_many_columns_is_refused_with_both_numbers(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(parquet, "MAX_PARQUET_COLUMNS", 1_000)
    columns = ", ".join(f"NULL::VARCHAR AS c{n}" for n in range(1_000))
    path = _copy(f"SELECT 1 AS annual_rd_expense, {columns}", tmp_path / "wide.parquet")
    result = run("summary", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"subsidy: {path}: has 1,001 columns; a table of profiles has at most 1,000"
    ]


@pytest.mark.parametrize("page", ["min", "max"])
def test_a_broken_page_is_refused_with_duckdbs_reason(
        run: Run, tmp_path: Path, page: str) -> None:  # fmt: skip
    """The file's footer reads, a page is garbled: the first (the query fails) or the last (the
    rows fail as they are fetched); the message gives the database's reason."""
    path = _copy("SELECT 'n' || i AS name, (i * 1000)::DECIMAL(18, 2) AS annual_rd_expense "
                 "FROM range(5000) t(i)", tmp_path / "c.parquet")  # fmt: skip
    connection = duckdb.connect(":memory:")
    at = connection.execute(f"SELECT {page}(data_page_offset) FROM parquet_metadata('{path}')"
                              ).fetchone()[0]  # fmt: skip
    data = bytearray(path.read_bytes())
    data[at : at + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(duckdb.Error) as caught:
        connection.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    connection.close()
    reason = str(caught.value).strip().splitlines()[0][:200]
    for engine in ("duckdb", "python"):
        result = run("summary", str(path), "--engine", engine)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"subsidy: {path}: cannot be read as Parquet ({reason}); {EXPORT}"
        ]


def test_reading_parquet_leaves_no_file_behind(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    path = _copy("SELECT 'enterprise' AS applicant_type, 12000000 AS annual_rd_expense",
                 tmp_path / "c.parquet")  # fmt: skip
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for engine in ("duckdb", "python"):
        result = run("summary", str(path), "-f", "json", "--engine", engine)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["records"] == 1
    assert list(here.iterdir()) == []


def test_a_parquet_stream_without_a_file_reads_as_the_file_does(tmp_path: Path) -> None:
    """Parquet given as bytes in memory (no file name): copied to a file, then read alike."""
    path = _copy("SELECT 'n' || i AS name, (i * 100000)::DECIMAL(18, 2) AS annual_rd_expense, "
                 "i % 2 = 0 AS high_tech_enterprise FROM range(3000) t(i)",
                 tmp_path / "c.parquet")  # fmt: skip
    got = []
    for source in (path.open("rb"), io.BytesIO(path.read_bytes())):
        with source:
            population = summary.tally([POLICY], source, input_format="parquet",
                                       name="c.parquet")  # fmt: skip
        got.append([population.records, population.failed] + [
            summary_dict(summary.Summary(population.records, population.failed, t, None))
            for t in population.tallies])  # fmt: skip
    assert got[1] == got[0]
    assert got[0][:2] == [3000, 0]


def test_quotes_in_a_folder_and_a_column_name_are_read_alike(tmp_path: Path) -> None:
    """A path with an apostrophe and a Parquet column whose name has a double quote (ignored,
    and warned about) reach the database quoted: it reads both files itself."""
    folder = tmp_path / 'o\'brien "co"'
    folder.mkdir()
    path = _write(folder / "c.csv", [["annual_rd_expense", "name"], ["1200万", "a"], ["5", "b"]])
    assert engines(path, [POLICY])["records"] == 2
    path = _copy("SELECT 12000000 AS annual_rd_expense, 'x' AS \"note \"\"a\"\"\"",
                 folder / "c.parquet")  # fmt: skip
    found = engines(path, [POLICY], fmt="parquet")
    assert found["records"] == 1
    assert any('note "a"' in w for w in found["warnings"]), found["warnings"]


def test_a_text_file_named_parquet_is_not_a_parquet_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    path.write_text("annual_rd_expense\n1200万\n", encoding="utf-8")
    result = run("summary", str(path))
    assert result.stderr.splitlines() == [f"subsidy: {path}: is not a Parquet file: {EXPORT}"]


def test_a_parquet_files_progress_is_the_share_of_rows_read(tmp_path: Path) -> None:
    path = _copy("SELECT i AS annual_rd_expense FROM range(5000) t(i)", tmp_path / "c.parquet")
    size = path.stat().st_size
    with path.open("rb") as source:
        reader = parquet.ParquetRows(source, "c.parquet")
        shares = [reader.bytes_read for line, _ in reader.rows() if line in (0, 2500, 5000)]
    assert shares == [0, size // 2, size]


def test_a_parquet_file_is_read_where_it_is_not_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A registry can be gigabytes: a file is read in place (no temporary folder is there to
    copy it to); only a stream without a file is copied."""
    path = _copy("SELECT 12000000 AS annual_rd_expense", tmp_path / "c.parquet")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    assert engines(path, [POLICY], fmt="parquet")["records"] == 1


def test_a_tab_separated_file_with_commas_goes_to_the_python_reader(tmp_path: Path) -> None:
    """As many commas as tabs in each row: the database would read it as comma-separated."""
    path = tmp_path / "c.tsv"
    path.write_text("annual_rd_expense\tname\n1200万\tacme, inc\n500万\tb, c\n", encoding="utf-8")
    found = engines(path, [POLICY], fast=False)
    assert found["records"] == 2 and found["failed"] == 0


def test_warnings_before_the_records_name_the_parquet_file(tmp_path: Path) -> None:
    path = _copy("SELECT 12000000 AS annual_rd_expense, 'x' AS 备注", tmp_path / "c.parquet")
    found = engines(path, [POLICY], fmt="parquet")
    assert found["warnings"] and all(w.startswith("c.parquet: ") for w in found["warnings"])


@pytest.mark.parametrize(("cells", "warned"), [
    (["600", "900", "10,000", "1200万", "2,000"], False),  # 3 of 5: 10,000 is not below
    (["600", " ", "\u3000", " ", "900"], True),  # cells of spaces are no amounts: 2 of 2
])  # fmt: skip
def test_the_amounts_warning_of_a_money_column_after_others(
        tmp_path: Path, cells: list[str], warned: bool) -> None:  # fmt: skip
    rows = [["name", "high_tech_enterprise", "annual_rd_expense"]]
    rows += [[f"c{n}", "是", cell] for n, cell in enumerate(cells)]
    found = engines(_write(tmp_path / "c.csv", rows), [POLICY])
    warning = _amounts_warning(2, "600", 2, 2).replace("column A", "column C")
    assert found["warnings"] == ([warning] if warned else [])


def test_a_parquet_row_of_nulls_is_no_record_and_the_file_stays_fast(tmp_path: Path) -> None:
    path = _copy(
        "SELECT * FROM (VALUES (12000000, true), (NULL, NULL), (5000000, false)) "
        "AS t(annual_rd_expense, high_tech_enterprise)",
        tmp_path / "c.parquet",
    )
    assert engines(path, [POLICY], fmt="parquet")["records"] == 2


def test_two_columns_of_many_distinct_cells_and_an_empty_yes_no_column(tmp_path: Path) -> None:
    """Each column's looked-up cells in a table of its own; a yes/no column with no cell."""
    rows = [["annual_rd_expense", "deductible_rd_expense", "high_tech_enterprise"]]
    rows += [[f"{n},000", f"{n}00万", ""] for n in range(100, 180)]
    found = engines(_write(tmp_path / "c.csv", rows), [POLICY])
    assert found["records"] == 80 and found["failed"] == 0


def test_a_nul_past_the_first_mib_fails_its_row_on_both_engines(tmp_path: Path) -> None:
    """The encoding is told from the first MiB; a NUL after it fails its line alone."""
    path = tmp_path / "c.csv"
    rows = ["annual_rd_expense,name,备注"] + [f"{n}00万,c{n},{'.' * 90_000}" for n in range(1, 13)]
    path.write_bytes(("\n".join([*rows, "5,b\x00c,", "6,d,"]) + "\n").encode())
    found = engines(path, [POLICY], fast=False)
    assert (found["records"], found["failed"]) == (13, 1)
    assert found["errors"] == [["c.csv:14: is longer than 10 MiB, or holds a NUL character"]]


@pytest.mark.parametrize(("fmt", "held", "shares"), [
    ("csv", "yes", 3),  # read into a table, the first pass over the cells, the sums
    ("csv", "just", 3),  # a file of exactly HELD bytes is held too
    ("csv", "no", 2),  # read by each pass: the first pass, the sums
    ("parquet", "yes", 2),
])  # fmt: skip
def test_the_bar_moves_an_equal_share_at_each_long_query(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, held: str,
        shares: int) -> None:  # fmt: skip
    """The bar of `summary` on DuckDB, without its looks at the database between steps (never
    due): each long query starts a share of the records and bytes, then the bar ends full."""
    from subsidycli import meter, sqlread

    monkeypatch.setattr(summary, "Meter", functools.partial(meter.Meter, poll=3600))
    path = _write(tmp_path / "c.csv", [["annual_rd_expense", "name"]] + [
        [f"{n}00万", f"c{n}"] for n in range(1, 300)])  # fmt: skip
    if fmt == "parquet":
        path = _copy(f"SELECT * FROM read_csv('{path}', all_varchar = true)",
                     tmp_path / "c.parquet")  # fmt: skip
    size = path.stat().st_size
    monkeypatch.setattr(sqlread, "HELD", {"yes": sqlread.HELD, "just": size, "no": size - 1}[held])
    calls: list[tuple[int, int]] = []
    with path.open("rb") as stream:
        summary.tally_sql([POLICY], stream, input_format=fmt,
                          progress=lambda done, read: calls.append((done, read)))  # fmt: skip
    assert summary.LAST_SCAN.file == path
    assert calls == [(299 * k // shares, size * k // shares) for k in range(shares)] + [
        (299, size)]  # fmt: skip


class _Interrupted:
    """A real connection whose query of a Parquet file's rows is stopped by Ctrl-C: from
    `execute`, or from a fetch (DuckDB's words for each)."""

    def __init__(self, real: Any, how: str) -> None:
        self.real, self.how = real, how

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("SELECT __row"):
            if self.how == "execute":
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
            return self
        return self.real.execute(sql, *args)

    def fetchmany(self, size: int) -> Any:
        raise RuntimeError("Query interrupted")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("how", ["execute", "fetch"])
def test_ctrl_c_while_parquet_is_read_stops_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:  # fmt: skip
    """Never taken for a file that cannot be read (a message, exit 2)."""
    path = _copy("SELECT 12000000 AS annual_rd_expense", tmp_path / "c.parquet")
    connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: _Interrupted(connect(*a, **k), how))
    with path.open("rb") as stream, pytest.raises(KeyboardInterrupt):
        summary.tally([POLICY], stream, input_format="parquet", name="c.parquet")


def test_another_runtime_error_while_parquet_is_read_is_not_taken_for_ctrl_c_or_a_bad_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    class Broken(_Interrupted):
        def fetchmany(self, size: int) -> Any:
            raise RuntimeError("Out of memory")

    path = _copy("SELECT 12000000 AS annual_rd_expense", tmp_path / "c.parquet")
    connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Broken(connect(*a, **k), "fetch"))
    with path.open("rb") as stream, pytest.raises(RuntimeError, match="Out of memory"):
        summary.tally([POLICY], stream, input_format="parquet", name="c.parquet")
