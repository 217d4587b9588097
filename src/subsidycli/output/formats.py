"""The one table of formats: which command writes (or reads) each, and the suffixes naming it.

`--format` choices, `-o FILE`'s format from its suffix and an input's format from its name all
come from `FORMATS`; a new format is one row here and its writer in `output/` or `render/`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    """One output (or input) format."""

    name: str
    suffixes: tuple[str, ...]  # the suffixes that name it, lower case; the first is its own
    writers: frozenset[str]  # the commands that write it
    readers: frozenset[str] = frozenset()  # the commands that read it
    read_also: tuple[str, ...] = ()  # more suffixes read as this format, never written
    file_only: bool = False  # binary: written to a file (-o), never to a terminal


FORMATS: tuple[Format, ...] = (
    # A text file of the table for people (`-o report.txt`); a suffix no row claims is refused.
    Format("table", (".txt",),
           frozenset({"calc", "summary", "articles", "explain", "diff", "policies"})),
    Format("json", (".json",),
           frozenset({"calc", "summary", "articles", "explain", "diff", "policies"})),
    Format("jsonl", (".jsonl", ".ndjson", ".jsonlines"), frozenset({"batch"}),
           readers=frozenset({"batch", "summary"})),
    # Also read as CSV: what Excel names its "Unicode text" (tab-separated), and tab-separated text.
    Format("csv", (".csv",), frozenset({"calc", "batch", "summary"}),
           readers=frozenset({"batch", "summary"}), read_also=(".txt", ".tsv")),
    Format("markdown", (".md", ".markdown"), frozenset({"calc", "summary"})),
    Format("html", (".html", ".htm"), frozenset({"calc", "summary"})),  # summary: a sweep's chart
    Format("xlsx", (".xlsx",), frozenset({"calc", "batch"}),
           readers=frozenset({"batch", "summary"}), file_only=True),
    # A registry exported from a database: read (from a file, not stdin), never written.
    Format("parquet", (".parquet",), frozenset(), readers=frozenset({"batch", "summary"}),
           file_only=True),
)  # fmt: skip


def written_by(command: str) -> list[str]:
    """The names of the formats `command` writes, in the table's order (its --format choices)."""
    return [f.name for f in FORMATS if command in f.writers]


def read_by(command: str) -> list[str]:
    """The names of the formats `command` reads (its --input-format choices)."""
    return [f.name for f in FORMATS if command in f.readers]


def named(name: str) -> Format:
    """The format called `name`."""
    return next(f for f in FORMATS if f.name == name)


def by_suffix(path: str, command: str, *, reading: bool = False) -> str | None:
    """The format `path`'s suffix names among those `command` writes (or reads), or None."""
    lower = path.lower()
    for f in FORMATS:
        if command in (f.readers if reading else f.writers):
            suffixes = f.suffixes + f.read_also if reading else f.suffixes
            if any(lower.endswith(suffix) for suffix in suffixes):
                return f.name
    return None
