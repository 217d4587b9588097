"""The progress bar of `summary` on DuckDB: it moves while the database works, never back, and
ends full; the numbers it adds up are the same with it as without."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest

from subsidycli.meter import Meter
from subsidycli.policy import Policy


class _Database:
    """A connection that says how far its query has gone, as the test sets it."""

    def __init__(self) -> None:
        self.progress = -1.0
        self.said: list[str] = []
        self.asked = threading.Event()

    def execute(self, sql: str) -> None:
        self.said.append(sql)

    def query_progress(self) -> float:
        self.asked.set()
        return self.progress


def _seen(database: _Database, progress: float, calls: list[tuple[int, int]]) -> tuple[int, int]:
    """The bar after the poller has looked at `progress` at least once more."""
    database.progress = progress
    database.asked.clear()
    database.asked.wait(2)
    database.asked.clear()
    database.asked.wait(2)  # a whole look after the value was set
    return calls[-1]


def test_each_long_query_is_a_share_of_the_bar_moved_by_the_databases_progress() -> None:
    database = _Database()
    calls: list[tuple[int, int]] = []
    meter = Meter(database, lambda done, read: calls.append((done, read)), size=1000, steps=4,
                  poll=0.005)  # fmt: skip
    try:
        assert database.said == ["SET enable_progress_bar = true",
                                 "SET enable_progress_bar_print = false"]  # fmt: skip
        meter.count(200)
        meter.step()  # the first of four queries starts
        assert calls[-1] == (0, 0)
        assert _seen(database, 50.0, calls) == (25, 125)  # half of the first quarter
        assert _seen(database, -1.0, calls) == (25, 125)  # it cannot tell: nothing moves
        meter.step()
        assert calls[-1] == (50, 250)
        assert _seen(database, 100.0, calls) == (100, 500)
        database.progress = -1.0
        meter.step()
        meter.step()
        assert _seen(database, 80.0, calls) == (190, 950)
        meter.step()  # a query more than planned: the bar waits at the last share
        assert _seen(database, 10.0, calls) == (190, 950)
    finally:
        meter.close()
    reads = [read for _, read in calls]
    assert reads == sorted(reads)  # never back


def test_until_the_rows_are_counted_the_bar_counts_no_profiles() -> None:
    database = _Database()
    calls: list[tuple[int, int]] = []
    meter = Meter(database, lambda done, read: calls.append((done, read)), size=1000, steps=1,
                  poll=0.005)  # fmt: skip
    try:
        meter.step()
        assert _seen(database, 100.0, calls) == (0, 1000)
    finally:
        meter.close()


def test_the_meter_never_passes_its_query_and_never_goes_back() -> None:
    meter = Meter(_Database(), lambda done, read: None, size=100, steps=2, poll=60)
    try:
        assert meter.fraction(50) == 0  # no query started: nothing to show
        meter.step()
        assert meter.fraction(-1) == 0
        assert meter.fraction(250) == 0.5  # DuckDB over 100%: the query's share, no more
        meter.shown = 0.4
        assert meter.fraction(10) == 0.4  # a lower figure than shown: the bar stays
    finally:
        meter.close()


def test_a_look_that_fails_moves_nothing() -> None:
    class Closed(_Database):
        def query_progress(self) -> float:
            self.asked.set()
            raise RuntimeError("connection closed")

    database = Closed()
    calls: list[tuple[int, int]] = []
    meter = Meter(database, lambda done, read: calls.append((done, read)), size=10, steps=1,
                  poll=0.005)  # fmt: skip
    database.asked.wait(2)
    database.asked.clear()
    database.asked.wait(2)  # a second look: the first failure did not end the poller
    assert meter._thread.is_alive()  # noqa: SLF001
    meter.close()
    assert calls == []


def _profiles(path: Path, policy: Policy, rows: int) -> None:
    names = [n for n, item in policy.inputs.items() if item.type == "money"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(names)
        for n in range(rows):
            out.writerow([str(1_000_000 + n * 37) if k % 2 else "1200万"
                          for k in range(len(names))])  # fmt: skip


@pytest.mark.parametrize(("input_format", "policies"), [("csv", 1), ("parquet", 1), ("csv", 3)])
def test_summary_on_duckdb_moves_the_bar_to_full_and_adds_up_the_same(
    policy: Policy, tmp_path: Path, input_format: str, policies: int
) -> None:
    from subsidycli import summary

    path = tmp_path / "profiles.csv"
    _profiles(path, policy, 3000)
    if input_format == "parquet":
        import duckdb

        target = tmp_path / "profiles.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO "
                   f"'{target}' (FORMAT parquet)")  # fmt: skip
        path = target
    calls: list[tuple[int, int]] = []
    chosen = [policy] * policies

    def progress(done: int, read: int) -> None:
        calls.append((done, read))

    with path.open("rb") as stream:
        shown = summary.tally_sql(chosen, stream, input_format=input_format, progress=progress)
    assert summary.LAST_SCAN.file == path  # DuckDB read the file itself
    with path.open("rb") as stream:
        quiet = summary.tally_sql(chosen, stream, input_format=input_format)
    assert shown == quiet
    assert calls[-1] == (3000, path.stat().st_size)  # full at the end
    reads = [read for _, read in calls]
    assert reads == sorted(reads)
    assert len(calls) >= 3  # a step at each long query, then full


def test_without_a_bar_duckdb_keeps_its_progress_off(
    policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from subsidycli import summary

    started: list[Any] = []
    monkeypatch.setattr(summary, "Meter", lambda *a, **k: started.append(a))
    path = tmp_path / "profiles.csv"
    _profiles(path, policy, 10)
    with path.open("rb") as stream:
        summary.tally_sql([policy], stream, input_format="csv")
    assert started == []


def test_in_a_terminal_the_bar_is_drawn_on_stderr_and_the_summary_is_the_python_engines(
    policy: Policy, tmp_path: Path
) -> None:
    import os
    import subprocess

    import pexpect

    from tests.conftest import cli_command, cli_env

    path = tmp_path / "profiles.csv"
    _profiles(path, policy, 20_000)
    out = tmp_path / "summary.json"
    command = cli_command("summary", str(path), "-f", "json", "-o", str(out))
    child = pexpect.spawn(command[0], command[1:], env=cli_env(dict(os.environ)),
                          encoding="utf-8", dimensions=(24, 80), timeout=300)  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "profiles" in (child.before or "")  # the bar, in the terminal
    assert "Traceback" not in (child.before or "")
    python = subprocess.run([*cli_command("summary", str(path), "-f", "json", "--engine",
                                          "python")], env=cli_env(), capture_output=True,
                            check=True)  # fmt: skip
    assert out.read_bytes() == python.stdout


def test_a_bar_that_fails_to_draw_leaves_the_run_alone() -> None:
    database = _Database()
    database.progress = 50.0
    drawn: list[int] = []

    def progress(done: int, read: int) -> None:
        drawn.append(read)
        raise OSError("stderr closed")

    meter = Meter(database, progress, size=10, steps=1, poll=0.005)
    meter.done = 0  # a query running, as after `step`
    database.asked.wait(2)
    database.asked.clear()
    database.asked.wait(2)
    assert meter._thread.is_alive()  # noqa: SLF001 - the poller goes on
    meter.close()
    assert not meter._thread.is_alive()  # noqa: SLF001
    assert drawn and all(read == 5 for read in drawn)
