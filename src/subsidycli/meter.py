"""The progress bar of a population run on DuckDB, moved while the database works.

Pure: no typer, no rich, no duckdb import (the connection is handed in). `summary.tally_sql`
knows before it starts how many long queries a run makes (reading the file into a table, the
first pass over the cells, the sums); each is an equal share of the bar. A thread asks DuckDB
how far the query running has gone (`query_progress`, which DuckDB answers from another
thread) and moves the bar within that query's share; `step` starts the next share. Without a
bar (scripts, logs) there is no thread and DuckDB keeps its progress off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

POLL = 0.2  # seconds between two looks at the query running


class Meter:
    """`steps` long queries on `connection`, shown on `progress` (batch's bar: records done,
    bytes read) as a share each of `size` bytes and of `rows` records (0 until the rows are
    counted: `count`)."""

    def __init__(self, connection: Any, progress: Callable[[int, int], None], size: int,
                 steps: int, rows: int = 0, poll: float = POLL) -> None:  # fmt: skip
        self.connection, self.progress, self.size, self.rows = connection, progress, size, rows
        self.steps = max(steps, 1)
        self.done = -1  # the share running: none yet
        self.shown = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poll = poll
        connection.execute("SET enable_progress_bar = true")
        connection.execute("SET enable_progress_bar_print = false")
        self._thread = threading.Thread(target=self._run)  # joined by `close`, always
        self._thread.start()

    def step(self) -> None:
        """The next long query starts (the one before is done)."""
        with self._lock:
            self.done = min(self.done + 1, self.steps - 1)
        self._show(0.0)

    def count(self, rows: int) -> None:
        """The records, now counted."""
        with self._lock:
            self.rows = rows

    def close(self) -> None:
        """Stop looking (the caller draws the bar full)."""
        self._stop.set()
        self._thread.join()

    def fraction(self, query: float) -> float:
        """The share of the whole done when the query running is `query` percent done (DuckDB
        says -1 when it cannot tell): never back, never past the running query's share."""
        with self._lock:
            return self._fraction(query)

    def _fraction(self, query: float) -> float:
        if self.done < 0:
            return self.shown
        within = min(max(query, 0.0), 100.0) / 100
        return max(self.shown, (self.done + within) / self.steps)

    def _show(self, query: float) -> None:
        """Work out the share, keep it and draw it in one go: a step and a look never cross."""
        with self._lock:
            self.shown = self._fraction(query)
            self.progress(int(self.rows * self.shown), int(self.size * self.shown))

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self._show(float(self.connection.query_progress()))
            except Exception:  # noqa: BLE001 - a look or a draw that fails moves nothing; the
                continue  # run goes on, and says its own errors
