"""Where the command line's messages go: stderr, one line a message, above a live progress bar.

The core never prints: it hands warnings and bad records to callbacks, and these are they.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

import typer

from subsidycli.i18n import t


class Console:
    """The process's stderr, and the progress bar while one is drawn (messages go above it)."""

    def __init__(self) -> None:
        self._live: Any = None  # rich's console of the bar being drawn, if any

    def report(self, lines: list[str]) -> None:
        """A bad record's messages, on stderr: above a live progress bar, never on its line."""
        for line in lines:
            if self._live is not None:
                self._live.print(f"subsidy: {line}", markup=False, highlight=False, soft_wrap=True)
            else:
                typer.echo(f"subsidy: {line}", err=True)

    def warn(self, message: str) -> None:
        """A warning on stderr: the run goes on."""
        self.report([message])

    def progress(
        self, stack: contextlib.ExitStack[Any], stream: BinaryIO
    ) -> Callable[[int, int], None] | None:
        """On a terminal, a progress bar (profiles, profiles/s, time left) drawn on stderr until
        `stack` closes, and the callback that moves it; None for scripts and logs."""
        if not sys.stderr.isatty():
            return None
        import os
        import stat
        import time

        from rich.console import Console as RichConsole
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        info = os.fstat(stream.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else None
        profiles = t("{done} profiles", done="{task.fields[done]:,}")
        bar = Progress(
            TextColumn(profiles), BarColumn(),
            TextColumn(t("{rate}/s", rate="{task.fields[rate]:,.0f}")), TimeRemainingColumn(),
            console=RichConsole(stderr=True), transient=True,
        )  # fmt: skip
        task = bar.add_task("batch", total=size, done=0, rate=0.0)
        started = time.monotonic()

        def tick(done: int, read: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=read, done=done, rate=rate)

        stack.enter_context(bar)
        self._live = bar.console
        stack.callback(setattr, self, "_live", None)  # runs before the bar stops
        return tick


console = Console()
warn = console.warn


def print_data(data: Any) -> None:
    """`data` as JSON on stdout: the machine formats' one way out."""
    from subsidycli.output.data import print_json

    print_json(data, sys.stdout)


def interrupt(signum: int, frame: Any) -> None:
    """A SIGTERM handler: stop as Ctrl-C does, so that partial outputs are removed."""
    raise KeyboardInterrupt
