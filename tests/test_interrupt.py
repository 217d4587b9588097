"""Ctrl-C while DuckDB adds up a summary stops the run as it stops the Python engine (a
KeyboardInterrupt: exit 130, no traceback, no output left), whether DuckDB says so from
`execute` or from a fetch, or after `connection.interrupt()`; it is never taken for a file
DuckDB cannot read (which would read the whole file again in Python)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest

from subsidycli import summary
from subsidycli.policy import Policy

FIRST_PASS = "SELECT count(*), count(*) - count(coalesce("


class _Stopped:
    """A cursor whose fetch says the query was interrupted (DuckDB's words)."""

    def fetchone(self) -> Any:
        raise RuntimeError("Query interrupted")


class _Connection:
    """A real connection, but the first pass over the cells is interrupted."""

    def __init__(self, real: Any, how: str) -> None:
        self.real, self.how = real, how

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith(FIRST_PASS):
            if self.how == "execute":  # what Ctrl-C raises from `execute`
                raise RuntimeError("Query interrupted")
            if self.how == "interrupt":  # what `connection.interrupt()` raises
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
            return _Stopped()
        return self.real.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("how", ["execute", "interrupt", "fetch"])
def test_ctrl_c_during_a_query_stops_the_summary(
    policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = tmp_path / "profiles.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["annual_rd_expense"])
        out.writerows([["1200万"], ["800000"]] * 50)
    connect = summary._connect  # noqa: SLF001
    monkeypatch.setattr(summary, "_connect", lambda duck: _Connection(connect(duck), how))
    read: list[Any] = []
    monkeypatch.setattr(summary, "_tally_read", lambda *a, **k: read.append(a))
    with path.open("rb") as stream, pytest.raises(KeyboardInterrupt):
        summary.tally_sql([policy], stream, input_format="csv")
    assert read == []  # not read again in Python


def test_another_runtime_error_is_not_taken_for_ctrl_c() -> None:
    from subsidycli.parquet import interrupted

    assert interrupted(RuntimeError("Query interrupted"))
    assert interrupted(duckdb.InterruptException("INTERRUPT Error: Interrupted!"))
    assert not interrupted(RuntimeError("Out of memory"))
    assert not interrupted(duckdb.IOException("No files found"))
