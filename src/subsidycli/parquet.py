"""Parquet: a registry exported from a database, read through DuckDB (imported only when a
Parquet file is read). A cell's text is DuckDB's VARCHAR cast of its value (`parquet_text_sql`),
the one definition both engines of `summary` read; the rows then go through `sheets` as a CSV
sheet's do. Every read is bounded: the file's magic bytes, its columns, its unpacked sizes
(refused before any row is read) and each cell's length (flagged in SQL, never materialised).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from subsidycli.csvtext import MAX_LINE
from subsidycli.errors import ProfileError
from subsidycli.i18n import t

PARQUET_MAGIC = b"PAR1"  # a Parquet file starts and ends with these bytes
MAX_PARQUET_COLUMNS = 16_384  # as wide as Excel's widest sheet; wider is no table of profiles
PARQUET_BATCH = 2048  # rows fetched at a time: memory stays flat however long the file
# Uncompressed sizes (parquet_metadata) refused before any row is read: a few KB of zstd can
# unpack to gigabytes. DuckDB holds one row group's column chunk at a time, so the chunk bound
# keeps memory bounded; the total bounds the work.
MAX_PARQUET_TOTAL = 4 << 30  # bytes, the whole file unpacked
MAX_PARQUET_CHUNK = 256 << 20  # bytes, one column of one row group unpacked


def interrupted(exc: BaseException) -> bool:
    """Whether DuckDB stopped a query for Ctrl-C: Ctrl-C reaches it as a RuntimeError saying
    "Query interrupted" (from `execute` or a fetch); `connection.interrupt()`, as an
    InterruptException."""
    import duckdb

    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and str(exc) == "Query interrupted")  # fmt: skip


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_columns(connection: Any, path: str) -> list[str]:
    """The names of a Parquet file's columns, in order (`connection`: a DuckDB connection)."""
    return [name for name, _ in parquet_schema(connection, path)]


def parquet_schema(connection: Any, path: str) -> list[tuple[str, str]]:
    """A Parquet file's columns, in order: (name, DuckDB's type)."""
    found = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})")
    return [(row[0], str(row[1])) for row in found.fetchall()]


FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8"})


class FloatText(str):
    """A money cell from a Parquet file's floating-point column: its text, and the hint the
    parser's message about it ends with (`profile.parse_profile` adds `hint`)."""

    __slots__ = ()

    @property
    def hint(self) -> str:
        return t("the column is a floating-point type (FLOAT or DOUBLE) in the Parquet file, "
                 "which cannot hold amounts exactly: export it as DECIMAL, e.g. DECIMAL(18, 2)")


def parquet_text_sql(path: str, columns: Sequence[str]) -> str:
    """The one definition of a Parquet file's cells as text, for the Python reader and the SQL
    engine alike: `__row`, the row's number from 1, `__long`, whether a cell is longer than
    MAX_LINE characters, then each of `columns` as DuckDB's VARCHAR cast of its value (DECIMAL
    1200.50 -> "1200.50", DOUBLE 1200.5 -> "1200.5", its shortest form, BOOLEAN -> "true");
    NULL stays NULL, a blank cell, and so does a cell that long (never fetched). Rows come in
    the file's order."""
    names = [_identifier(c) for c in columns]
    text = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in names)
    long = " OR ".join(f"coalesce(length({c}) > {MAX_LINE}, FALSE)" for c in names) or "FALSE"
    cells = "".join(f", CASE WHEN length({c}) > {MAX_LINE} THEN NULL ELSE {c} END AS {c}"
                    for c in names)  # fmt: skip
    inner = (f"SELECT file_row_number + 1 AS __row{', ' + text if text else ''} "
             f"FROM read_parquet({_literal(path)}, file_row_number = true)")  # fmt: skip
    return f"SELECT __row, ({long}) AS __long{cells} FROM ({inner})"


def parquet_too_big(connection: Any, path: str) -> str | None:
    """Why the Parquet file is refused before reading, by the uncompressed sizes its metadata
    states (MAX_PARQUET_TOTAL, MAX_PARQUET_CHUNK); None when it is not."""
    found = connection.execute(
        "SELECT coalesce(sum(total_uncompressed_size), 0), coalesce(max(total_uncompressed_size),"
        f" 0) FROM parquet_metadata({_literal(path)})").fetchone()  # fmt: skip
    total, chunk = (int(v) for v in found) if found else (0, 0)
    if chunk > MAX_PARQUET_CHUNK:
        return t("has a column that unpacks to {size} MiB in one row group; at most {most} MiB "
                 "is read: export it again in smaller row groups, or as .csv",
                 size=f"{chunk >> 20:,}", most=MAX_PARQUET_CHUNK >> 20)  # fmt: skip
    if total > MAX_PARQUET_TOTAL:
        return t("unpacks to {size} MiB; at most {most} MiB is read: split the table into "
                 "several files", size=f"{total >> 20:,}",
                 most=f"{MAX_PARQUET_TOTAL >> 20:,}")  # fmt: skip
    return None


class ParquetRows:
    """A Parquet file's rows as a sheet's: the column names (line 0), then each row's cells as
    text (`parquet_text_sql`) numbered from 1. A file that is not Parquet (or is cut short) is
    refused with one message, before any row is read."""

    def __init__(self, source: BinaryIO, where: str) -> None:
        self.source, self.where = source, where
        self.rows_read = 0
        self.total_rows = 0
        self.size = 0
        self.floats: frozenset[int] = frozenset()  # the FLOAT and DOUBLE columns

    @property
    def bytes_read(self) -> int:
        """The share of the file's bytes that the rows read stand for (for progress)."""
        return self.size * self.rows_read // self.total_rows if self.total_rows else 0

    def _refuse(self, why: str) -> ProfileError:
        return ProfileError([why], where=self.where)

    def rows(self) -> Iterator[tuple[int, list[Any] | str]]:
        import os
        import tempfile

        name = getattr(self.source, "name", None)
        if isinstance(name, str) and os.path.isfile(name):
            yield from self._read(name)
            return
        with tempfile.TemporaryDirectory(prefix="subsidy-") as folder:  # a stream without a name
            path = os.path.join(folder, "input.parquet")
            with open(path, "wb") as handle:
                while chunk := self.source.read(1 << 20):
                    handle.write(chunk)
            yield from self._read(path)

    def _check_magic(self, path: str) -> None:
        with open(path, "rb") as handle:
            head = handle.read(len(PARQUET_MAGIC))
            handle.seek(0, 2)
            self.size = handle.tell()
            handle.seek(max(self.size - len(PARQUET_MAGIC), 0))
            tail = handle.read()
        if head != PARQUET_MAGIC or tail != PARQUET_MAGIC or self.size < 3 * len(PARQUET_MAGIC):
            why = (t("is not a Parquet file") if head != PARQUET_MAGIC else
                   t("is a Parquet file cut short (it does not end as Parquet files do)"))
            raise self._refuse(t("{why}: export the table as Parquet again, or give a .csv, "
                                 ".xlsx or .jsonl file", why=why))  # fmt: skip

    def _read(self, path: str) -> Iterator[tuple[int, list[Any] | str]]:
        import duckdb

        self._check_magic(path)
        connection = duckdb.connect(":memory:")
        try:
            try:
                connection.execute("SET enable_progress_bar = false")  # stderr is ours
                schema = parquet_schema(connection, path)
                columns = [name for name, _ in schema]
                self.floats = frozenset(i for i, (_, kind) in enumerate(schema)
                                        if kind.upper() in FLOAT_TYPES)  # fmt: skip
                if len(columns) > MAX_PARQUET_COLUMNS:
                    raise self._refuse(t("has {columns} columns; a table of profiles has at most "
                                         "{most}", columns=f"{len(columns):,}",
                                         most=f"{MAX_PARQUET_COLUMNS:,}"))  # fmt: skip
                too_big = parquet_too_big(connection, path)
                if too_big is not None:
                    raise self._refuse(too_big)
                counted = connection.execute(
                    f"SELECT count(*) FROM read_parquet({_literal(path)})").fetchone()
                self.total_rows = int(counted[0]) if counted else 0
                result = connection.execute(parquet_text_sql(path, columns))
            except (duckdb.Error, RuntimeError) as exc:
                raise self._failure(exc) from None
            yield 0, list(columns)
            while True:
                try:
                    batch = result.fetchmany(PARQUET_BATCH)
                except (duckdb.Error, RuntimeError) as exc:
                    raise self._failure(exc) from None
                if not batch:
                    return
                for row, long, *cells in batch:
                    self.rows_read += 1
                    if long:  # the database left the cell out: it never reaches Python
                        yield row, t("has a cell longer than {size} MiB",
                                     size=MAX_LINE // 1024 // 1024)  # fmt: skip
                    elif any(cell is not None and cell.strip() for cell in cells):
                        yield row, cells
        finally:
            connection.close()

    def _failure(self, exc: Exception) -> BaseException:
        """What a failed read raises: Ctrl-C as Ctrl-C, not a file it cannot read; another
        RuntimeError as it is; a file DuckDB cannot read as one error naming it."""
        if interrupted(exc):
            return KeyboardInterrupt()
        if isinstance(exc, RuntimeError):
            return exc
        return self._unreadable(exc)

    def _unreadable(self, exc: Exception) -> ProfileError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return self._refuse(t("cannot be read as Parquet ({detail}); export the table as Parquet "
                              "again, or give a .csv, .xlsx or .jsonl file", detail=detail[:200]))
