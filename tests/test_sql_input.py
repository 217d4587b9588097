"""`summary` on DuckDB reading a CSV file itself (`sqlread`) against the Python engine: the same
summary, the same failed count, the same messages with the same file:line, the same warnings;
and the files it must not read itself are read by batch's reader, with the same results."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from subsidycli import sqlread, summary
from subsidycli.errors import SubsidyError
from subsidycli.policy import Policy, bundled_paths, load_policy
from subsidycli.render.summary import summary_dict
from subsidycli.sql.cells import cell_pattern
from tests.conftest import Run

POLICY = load_policy(bundled_paths()[0])
WHAT_IF = load_policy(bundled_paths()[0],
                      {"rd-investment-subsidy.cap": "annual_rd_expense * 0.001"})  # fmt: skip

# Cells as people write them: canonical ones the database casts, others the parser reads once
# each, bad ones (the record fails), blanks and cells of spaces.
MONEY = ["0", "500000", "1200000.5", "8000000", "12000000", "", " ", "1200万", " 12 ",
         "1,000", "1,000万", "x", "-5", "999.5", "0.000000001", "4000000.12345678", "\u3000"]
COUNTS = ["0", "1", "2", "3", "", "2项", "-1", "1000001", " 3 "]
BOOLS = ["true", "false", "", "是", "否", "maybe", "YES", " "]
RATES = ["0.15", "0.25", "", "15%", "2", "0.0000000001"]
TEXT = ["acme", "甲公司", "某某（苏州）有限公司", " acme ", "", "a,b", '"hi"', "x\u202ey"]


def _cell(policy: Policy, name: str, rng: random.Random) -> str:
    item = policy.inputs[name]
    if item.type == "choice":
        words = [c["value"] for c in item.choices] + [c["zh"] for c in item.choices]
        return rng.choice([*words, " 企 业 ", "nobody", ""])
    pools = {"money": MONEY, "count": COUNTS, "bool": BOOLS, "rate": RATES, "text": TEXT}
    pool = pools.get(item.type, ["1", "2.5", "x", ""])
    return rng.choice(pool if rng.random() < 0.2 else pool[:4])  # mostly canonical


def _quoted(cell: str) -> str:
    if any(c in cell for c in ',"'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def write_csv(path: Path, rows: int, seed: int, *, header: list[str] | None = None,
              extra: str = "", newline: str = "\n", encoding: str = "utf-8",
              blank_every: int = 17) -> Path:  # fmt: skip
    """`rows` rows of the bundled policy's fields (a random few columns of them) at `path`."""
    rng = random.Random(seed)
    names = header or rng.sample(list(POLICY.inputs), 12)
    lines = [",".join(names)] + ([extra] if extra else [])
    for n in range(rows):
        if n % blank_every == 5:
            lines.append(",".join(rng.choice(["", " ", "\u3000"]) for _ in names))
            continue
        cells = [_cell(POLICY, name, rng) if name in POLICY.inputs else rng.choice(["", "note"])
                 for name in names]  # fmt: skip
        lines.append(",".join(_quoted(c) for c in cells))
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def engines(path: Path, policies: list[Policy], *, fast: bool = True, fmt: str = "csv",
            **options: Any) -> dict[str, Any]:  # fmt: skip
    """Both engines over the file at `path`: equal summaries, failed counts, messages and
    warnings; asserts that DuckDB read the file itself (`fast`) or left it to batch's reader.
    Returns what the Python engine gave."""
    got = []
    for run in (summary.tally, summary.tally_sql):
        errors: list[list[str]] = []
        warnings: list[str] = []
        with path.open("rb") as stream:
            try:
                population = run(policies, stream, input_format=fmt, on_error=errors.append,
                                 warn=warnings.append, name=path.name, **options)  # fmt: skip
            except SubsidyError as exc:
                got.append({"raised": exc.lines(), "warnings": warnings})
                continue
        if run is summary.tally_sql:
            assert (summary.LAST_SCAN.file == path) is fast, "DuckDB read the file itself"
        tallies = [json.dumps(summary_dict(summary.Summary(
            population.records, population.failed, t, None)), ensure_ascii=False)
            for t in population.tallies]  # fmt: skip
        got.append({"records": population.records, "failed": population.failed,
                    "tallies": tallies, "errors": errors, "warnings": warnings})  # fmt: skip
    assert got[1] == got[0]
    return got[0]


@pytest.mark.parametrize(("seed", "held"), [(n, n % 2 == 0) for n in range(6)])
def test_duckdb_reads_a_csv_file_as_the_python_engine_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int,
        held: bool) -> None:  # fmt: skip
    """Held in a table (a small file), or read by each pass (a large one), alike."""
    monkeypatch.setattr(sqlread, "HELD", sqlread.HELD if held else 0)
    found = engines(write_csv(tmp_path / "clients.csv", 300, seed), [POLICY])
    assert found["failed"] and found["errors"]  # bad cells were there, and are said
    lines = [int(re.match(r"clients\.csv:(\d+):", e[0]).group(1)) for e in found["errors"]]
    assert lines == sorted(lines)


def test_a_what_if_and_a_sweep_read_the_file_once_and_agree(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", 200, 7, header=list(POLICY.inputs))
    engines(path, [WHAT_IF, POLICY])
    sweep = [load_policy(bundled_paths()[0], {"rd-investment-subsidy.cap": f"{n}0000"})
             for n in (10, 20, 30, 40)]  # fmt: skip
    engines(path, [*sweep, POLICY], assume_no=True)


def test_a_sweep_is_one_query_over_its_policies_distinct_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A sweep's cost is one query, not one a policy: `_run` (a policy's own query) is not
    called, and each policy's tally still equals the Python engine's."""
    path = write_csv(tmp_path / "clients.csv", 100, 8, header=list(POLICY.inputs))
    sweep = [load_policy(bundled_paths()[0], {"rd-investment-subsidy.cap": f"{n}0000"})
             for n in (10, 20, 30)]  # fmt: skip
    ran: list[str] = []
    run = summary._run
    monkeypatch.setattr(summary, "_run", lambda *a: ran.append("query") or run(*a))
    engines(path, [POLICY, *sweep])
    assert ran == []


def test_a_byte_order_mark_crlf_and_an_ignored_column(tmp_path: Path) -> None:
    header = ["annual_rd_expense", "备注", "high_tech_enterprise", "applicant_type"]
    path = write_csv(tmp_path / "c.csv", 120, 3, header=header, newline="\r\n",
                     encoding="utf-8-sig")  # fmt: skip
    found = engines(path, [POLICY])
    assert any("备注" in w for w in found["warnings"])


def test_a_row_of_ids_and_the_example_row_are_skipped_by_line(tmp_path: Path) -> None:
    header = ["name", "annual_rd_expense", "high_tech_enterprise"]
    path = write_csv(tmp_path / "c.csv", 60, 4, header=header,
                     extra="name,annual_rd_expense,high_tech_enterprise\n示例科技有限公司,1200万,是")
    found = engines(path, [POLICY])
    assert any("示例科技有限公司" in w for w in found["warnings"])


@pytest.mark.parametrize("held", [True, False])
def test_amounts_below_one_wan_are_warned_about_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: bool) -> None:  # fmt: skip
    monkeypatch.setattr(sqlread, "HELD", sqlread.HELD if held else 0)
    path = tmp_path / "small.csv"
    rows = ["annual_rd_expense,deductible_rd_expense"] + [
        f"{n % 9000 + 1},{'1200万' if n % 3 else '500'}" for n in range(50)] + ["0,0", "x,"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    found = engines(path, [POLICY])
    assert sum("below 10,000" in w for w in found["warnings"]) == 1


@pytest.mark.parametrize(("name", "text"), [
    ("quote run-on", 'annual_rd_expense,name\n1,"acme\n2,b\n3,c\n'),
    ("cell over two lines", 'annual_rd_expense,name\n1,"ac\nme"\n2,b\n'),
    ("blank line", "annual_rd_expense,name\n1,a\n\n2,b\n"),
    ("space beside a quote", 'annual_rd_expense,name\n1, "a"\n2,b\n'),
    ("short row", "annual_rd_expense,name\n1\n2,b\n"),
    ("long row", "annual_rd_expense,name\n1,a,x\n2,b\n"),
    ("value in an unnamed column", "annual_rd_expense,,name\n1,x,a\n2,,b\n"),
    ("unit in the header", "年度研发费用（万元）,name\n1200,a\n3,b\n"),
    ("title row", "客户清单\nannual_rd_expense,name\n1,a\n"),
    ("tab-separated", "annual_rd_expense\tname\n1\ta\n"),
    ("lone CR", "annual_rd_expense,name\r1,a\r"),
    ("only the example row", "name,annual_rd_expense\n示例科技有限公司,1\n"),
])  # fmt: skip
def test_files_duckdb_would_read_otherwise_go_to_the_python_reader(
        tmp_path: Path, name: str, text: str) -> None:  # fmt: skip
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    engines(path, [POLICY], fast=False)


def test_gbk_goes_to_the_python_reader(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("申报主体类型,年度研发费用\n企业,1200万\n高校,x\n".encode("gbk"))
    found = engines(path, [POLICY], fast=False)
    assert found["failed"] == 1


def test_trailing_empty_cells_and_an_unnamed_blank_column_stay_fast(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("annual_rd_expense,name,\n1200万,a,\n5,b, \n,,\n3,c,\u3000\n", encoding="utf-8")
    engines(path, [POLICY])


def test_duckdb_reads_a_parquet_file_as_the_python_reader_does(tmp_path: Path) -> None:
    import duckdb

    csv = write_csv(tmp_path / "c.csv", 300, 9, header=list(POLICY.inputs), blank_every=13)
    path = tmp_path / "clients.parquet"
    typed = {"annual_rd_expense": "DOUBLE", "deductible_rd_expense": "DECIMAL(18, 2)",
             "high_tech_enterprise": "BOOLEAN", "jiebang_projects": "INTEGER"}
    cells = ", ".join(f'TRY_CAST("{n}" AS {typed[n]}) AS "{n}"' if n in typed else f'"{n}"'
                      for n in POLICY.inputs)  # fmt: skip
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}', all_varchar = true)")
    connection.execute(f"COPY (SELECT {cells} FROM t) TO '{path}' (FORMAT parquet)")
    connection.close()
    found = engines(path, [WHAT_IF, POLICY], fmt="parquet")
    assert found["failed"] and found["records"] > 50


def test_stdin_and_streams_in_memory_use_the_python_reader() -> None:
    import io

    errors: list[list[str]] = []
    summary.LAST_SCAN.file = Path("stale")
    summary.tally_sql([POLICY], io.BytesIO(b"annual_rd_expense\nx\n1\n"), input_format="csv",
                      on_error=errors.append)  # fmt: skip
    assert summary.LAST_SCAN.file is None and len(errors) == 1


def test_the_cli_writes_the_same_bytes_and_messages(run: Run, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", 150, 11)
    what_if = ["--override", "rd-investment-subsidy.max=30万"]
    duck = run("summary", str(path), "-f", "json", *what_if)
    assert summary.LAST_SCAN.file == path
    python = run("summary", str(path), "-f", "json", "--engine", "python", *what_if)
    assert duck.exit_code == python.exit_code == 1
    assert duck.stdout == python.stdout
    assert duck.stderr == python.stderr


def test_canonical_text_is_what_the_text_parser_gives_back() -> None:
    rng = random.Random(5)
    item = next(i for i in POLICY.inputs.values() if i.type == "text")
    pattern = re.compile(cell_pattern(item) or "")
    alphabet = "ab 1（）甲\u3000\u00a0\uff21,.\t-"
    for _ in range(3000):
        cell = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        if pattern.fullmatch(cell):
            assert item.parse(cell) == cell


def test_the_blank_pattern_takes_every_space_python_takes() -> None:
    assert max(c for c in range(sys.maxunicode + 1) if chr(c).isspace()) == sqlread.LAST_SPACE


@pytest.mark.parametrize("body", [
    "A,100\nB,200,extra\nC,300\n",  # a ragged row
    '"A"x,100\nB,200\n',  # a stray quote
    'A,100\n"B,200\nC,300\n',  # a quote left open
])  # fmt: skip
@pytest.mark.parametrize("sweep", [[], ["--sweep", "rd-investment-subsidy.max=5万,30万"]])
def test_a_row_the_database_refuses_is_read_as_the_python_engine_reads_it(
    run: Run, tmp_path: Path, body: str, sweep: list[str]
) -> None:
    path = tmp_path / "r.csv"
    path.write_text("name,annual_rd_expense\n" + body, encoding="utf-8")
    duck = run("summary", str(path), *sweep)
    python = run("summary", str(path), "--engine", "python", *sweep)
    assert "Traceback" not in duck.stderr and "duckdb" not in duck.stderr.lower()
    assert (duck.exit_code, duck.stdout, duck.stderr) == (
        python.exit_code, python.stdout, python.stderr)  # fmt: skip
    assert duck.exit_code in (0, 1)
