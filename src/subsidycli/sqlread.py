"""A CSV or Parquet file read by DuckDB for `summary`, exactly as `sheets.Sheet` reads it, or
not at all.

Pure: no typer, no rich. `summary.tally_sql` asks `scan_csv` (`scan_parquet`) for a file; it
answers None wherever the database's reading could differ from the Python reader's in the
least, and the caller then reads the file in Python (the same results, slower). Where it answers:

- the header is read by `sheets.Sheet` itself (its warnings kept, to be said in their place);
  the database reads the rows under the first record as text, by position, one line a row;
- each cell is tested against its input's canonical pattern (`sql.cells.cell_pattern`, the
  one definition `canonical` uses too); the distinct cells that fail it are parsed once each by
  the input's own parser, and a table maps each to its canonical text, or marks it blank, or
  odd: a cell the parser refuses, or whose value has more places than the query's column;
- a row with an odd cell is handed back (its line and cells) for the Python path, which gives
  it batch's messages or evaluates it; the others form the view `scanned` the queries read;
- the amounts warning of a money column (`sheets._Amounts`) is counted in SQL and said by
  `_Amounts` itself.

A CSV file is one line a row when the database's count of rows is the file's count of lines
under the header: a cell over several lines, a blank line, a quote left open all break that
count, and the file is read in Python. A Parquet file's cells are `parquet.parquet_text_sql`'s,
the definition the Python reader uses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from subsidycli import csvtext, money, parquet, sheets
from subsidycli.errors import MoneyError, SubsidyError
from subsidycli.meter import Meter
from subsidycli.policy import Input, Policy
from subsidycli.sql.cells import cell_pattern, cell_text, fits
from subsidycli.sql.compile import quote, string

CHUNK = 1 << 24  # bytes of the file looked at at a time
LAST_SPACE = 0x3000  # the last character str.isspace takes (a test checks)
FIELD_LIMIT = 100_000  # characters: Python's csv module refuses a cell over 131,072


@dataclass(slots=True)
class Scan:
    """What the database read: the view `scanned` (one canonical text column per input, blank
    NULL) over the rows it can add up, and what is left for the Python path."""

    rows: int  # records: rows under the header that are not blank, odd ones included
    odd: list[tuple[int, list[Any]]]  # (line, cells) of the rows for the Python path
    header: sheets.Header
    notes: list[str] = field(default_factory=list)  # the reader's warnings before the records
    after: list[str] = field(default_factory=list)  # its warnings after them (amounts)


@functools.cache
def _blank_pattern() -> str:
    """RE2's pattern of a cell of spaces: every character Python's str.isspace takes."""
    spaces = (chr(c) for c in range(LAST_SPACE + 1) if chr(c).isspace())
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in spaces) + "]+"


def scan_csv(connection: Any, stream: BinaryIO, path: Path, policy: Policy,
             shapes: Mapping[str, tuple[int, int] | None], name: str,
             meter: Meter | None = None) -> Scan | None:  # fmt: skip
    """Read the CSV file at `path` (open as `stream`, left where it was) into the view
    `scanned` on `connection`; None where the Python reader must read it. `meter` is stepped
    before each long query (`long_queries` of them)."""
    probe = _probe(stream, "csv", policy, name)
    if probe is None or not _plain_csv(stream, probe):
        return None
    lines = _lines(path)
    if lines is None:
        return None
    import duckdb

    header, first, _ = probe
    try:
        if meter is not None:
            meter.count(lines - first + 1)  # the rows, blank ones too: about the records
        tables = _csv_tables(connection, path, len(header.fields), first, meter)
    except duckdb.InterruptException:  # stopped (summary says so), not a file to read in Python;
        raise  # Ctrl-C itself comes as a RuntimeError, which is no duckdb.Error
    except duckdb.Error:  # a row the database reads otherwise (ragged, a stray quote…)
        return None
    source = _Source(*tables, expected=lines - first + 1, fetch=functools.partial(_cells, path))
    return _scan(connection, probe, source, policy, shapes, name, meter)


def scan_parquet(connection: Any, stream: BinaryIO, path: Path, policy: Policy,
                 shapes: Mapping[str, tuple[int, int] | None], name: str,
                 meter: Meter | None = None) -> Scan | None:  # fmt: skip
    """`scan_csv` for a Parquet file: its cells are the Python reader's text
    (`parquet.parquet_text_sql`), its rows numbered from 1."""
    probe = _probe(stream, "parquet", policy, name)
    if probe is None or probe[0].line != 0:
        return None
    import duckdb

    header, first, _ = probe
    try:
        columns = parquet.parquet_columns(connection, str(path))
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        return None
    if len(columns) != len(header.fields):
        return None
    cells = ", ".join(f"{quote(c)} AS c{i}" for i, c in enumerate(columns))
    text = parquet.parquet_text_sql(str(path), columns)
    rows = f"(SELECT __row AS r, __long, {cells} FROM ({text}) WHERE __row >= {first})"
    return _scan(connection, probe, _Source(rows, rows, long=True), policy, shapes, name, meter)


def long_queries(input_format: str, size: int) -> int:
    """How many long queries `scan_csv` (`scan_parquet`) makes of a file of `size` bytes: the
    first pass, and the reading of a CSV file into a table where it is held."""
    return 2 if input_format == "csv" and size <= HELD else 1


@dataclass(frozen=True, slots=True)
class _Source:
    """The rows under the header as SQL: `rows` (columns c0, c1…), `numbered` (r, the line, then
    the same); `expected`, how many rows the file's lines say; `fetch`, the cells of some lines
    as the Python reader reads them (None: as the database reads them); `long`, whether a cell
    may pass the Python reader's MAX_LINE (then `rows` has the flag `__long`)."""

    rows: str
    numbered: str
    expected: int | None = None
    fetch: Callable[[list[int]], list[list[Any]]] | None = None
    long: bool = False


def _scan(connection: Any, probe: tuple[sheets.Header, int, list[str]], source: _Source,
          policy: Policy, shapes: Mapping[str, tuple[int, int] | None], name: str,
          meter: Meter | None) -> Scan | None:  # fmt: skip
    import duckdb

    header, _, notes = probe
    try:
        scan = _Reader(connection, source, header, policy, shapes, name, meter).read()
    except duckdb.InterruptException:
        raise
    except (_Odd, duckdb.Error):  # the database does not read it as the Python reader does
        return None
    scan.notes = notes
    return scan


def _probe(stream: BinaryIO, fmt: str, policy: Policy,
           name: str) -> tuple[sheets.Header, int, list[str]] | None:  # fmt: skip
    """The header as `sheets.Sheet` reads it (no unit in it), the line of the first record (a
    record it can read) and the warnings said before it; None otherwise. `stream` is left
    where it was."""
    notes: list[str] = []
    start = stream.tell()
    sheet = sheets.Sheet(stream, fmt, policy, name, warn=notes.append)
    records = sheet.records()
    try:
        line, record = next(records)
    except (StopIteration, SubsidyError):
        return None
    finally:
        getattr(records, "close", lambda: None)()  # a generator: its file is let go
        stream.seek(start)
    header = sheet.header
    if header is None or header.scales or type(record) is not dict:
        return None
    text = sheet._text  # noqa: SLF001 - the same reader's encoding, decided on the whole file
    if fmt == "csv" and (text is None or text.encoding not in (csvtext.UTF8, csvtext.UTF8_BOM)):
        return None
    return header, line, notes


def _plain_csv(stream: BinaryIO, probe: tuple[sheets.Header, int, list[str]]) -> bool:
    """Whether the header is line 1, comma-separated, and the rows skipped under it (ids, the
    example) one line each."""
    header, first, _ = probe
    if header.line != 1:
        return False
    start = stream.tell()
    try:
        head = stream.readline(csvtext.MAX_LINE)
        if head.count(b"\t") > head.count(b","):  # read as tab-separated
            return False
        return not any(b'"' in stream.readline(csvtext.MAX_LINE) for _ in range(first - 2))
    finally:
        stream.seek(start)


def read_csv_sql(path: Path, columns: Sequence[str], options: str) -> str:
    """DuckDB's `read_csv` of the file at `path`: every cell text, comma-separated, quoted as
    the csv module quotes, nothing guessed, the columns named; `options`, the rest."""
    named = ", ".join(f"{string(c)}: 'VARCHAR'" for c in columns)
    return (f"read_csv({string(str(path))}, {options}, all_varchar = true, delim = ',',"
            f" quote = '\"', escape = '\"', auto_detect = false, columns = {{{named}}})")


def _csv_tables(connection: Any, path: Path, width: int, first: int,
                meter: Meter | None) -> tuple[str, str]:  # fmt: skip
    """The CSV file's rows from line `first` on, as `_Source.rows` and `.numbered`; a file up
    to HELD bytes is read into a table once."""
    rows = read_csv_sql(path, [f"c{i}" for i in range(width)],
                        f"header = false, skip = {first - 1}, strict_mode = true, null_padding ="
                        f" false, max_line_size = {FIELD_LIMIT}")  # fmt: skip
    if path.stat().st_size <= HELD:
        if meter is not None:
            meter.step()
        connection.execute(f"CREATE TEMP TABLE sheet AS SELECT * FROM {rows}")
        return "sheet", f"(SELECT rowid + {first} AS r, * FROM sheet)"
    return rows, f"(SELECT row_number() OVER () + {first - 1} AS r, * FROM {rows})"


def _lines(path: Path) -> int | None:
    """The file's lines, when the database reads them as the csv module does: no NUL, no CR
    but in CR LF, no space beside a quote (the database trims it); else None."""
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if last == b"\r" and not chunk.startswith(b"\n"):
                return None
            ends = chunk.endswith(b"\r")
            if b"\x00" in chunk or chunk.count(b"\r") - ends != chunk.count(b"\r\n"):
                return None
            joined = last + chunk
            if b'"' in chunk and (b' "' in joined or b'" ' in joined):
                return None
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last == b"\r":
        return None
    return lines + (last not in (b"", b"\n"))


class _Odd(Exception):  # noqa: N818 - not an error: the file is read in Python
    """The file is read in Python after all (a row the database reads otherwise)."""


# A file up to this size is read into a table once (about its size in memory); a larger one is
# read by each pass, in flat memory.
HELD = 64 << 20
INLINE = 64  # a column's looked-up cells written into the query; more go in a table


@dataclass(slots=True)
class _Column:
    """One column of the sheet: its field's input (None: ignored or unnamed), its pattern, and
    the cells the pattern leaves: cell -> canonical text (None: blank or odd)."""

    index: int
    item: Input | None
    pattern: str | None
    money: bool  # counted for the amounts warning
    lookup: dict[str, str | None] = field(default_factory=dict)
    blank: list[str] = field(default_factory=list)  # cells of spaces
    odd: list[str] = field(default_factory=list)  # cells the parser refuses, or too precise

    @property
    def cell(self) -> str:
        return f"c{self.index}"

    def canonical(self) -> str:
        """SQL: the cell is canonical (no cell that fails is: `lookup` holds those)."""
        if self.pattern is None:
            return "FALSE"
        return f"regexp_full_match({self.cell}, {string(self.pattern)})"


class _Reader:
    """The queries of one file."""

    def __init__(self, connection: Any, source: _Source, header: sheets.Header, policy: Policy,
                 shapes: Mapping[str, tuple[int, int] | None], where: str,
                 meter: Meter | None) -> None:  # fmt: skip
        self.connection, self.header, self.policy, self.where = connection, header, policy, where
        self.meter = meter
        self.shapes, self.source = shapes, source
        self.amounts = sheets._Amounts(header, policy)  # noqa: SLF001 - its counting, its words
        self.tables = 0
        self.columns = [self._column(i, name) for i, name in enumerate(header.fields)]

    def _column(self, i: int, name: str | None) -> _Column:
        if name is None:
            return _Column(i, None, None, False)
        item = self.policy.inputs[name]
        return _Column(i, item, cell_pattern(item, self.shapes[item.type]),
                       name in self.amounts.fields)  # fmt: skip

    def read(self) -> Scan:
        rows = self._first_pass()
        odd = self._odd()
        self.connection.execute(f"CREATE TEMP VIEW scanned AS {self._view()}")
        return Scan(rows, odd, self.header, after=self._amounts())

    # The first pass: the count of rows, the distinct cells the patterns leave, the amounts

    def _first_pass(self) -> int:
        """Read every row once: check the count, parse the cells the patterns leave, count the
        amounts; the records (rows that are not blank)."""
        blank = string(_blank_pattern())
        cells = ", ".join(c.cell for c in self.columns)
        parts = ["count(*)", f"count(*) - count(coalesce({cells}, NULL))"]
        classes: list[str] = []
        for c in self.columns:
            if c.item is None:  # its cells of spaces; a cell in an unnamed column spoils a row
                parts += [f"list(DISTINCT {c.cell}) FILTER (WHERE regexp_full_match({c.cell},"
                          f" {blank}))", f"count(*) FILTER (WHERE NOT regexp_full_match("
                          f"{c.cell}, {blank}))" if c.index in self.header.unnamed else "0"]
                continue
            if not c.money:
                failing = f"{c.cell} IS NOT NULL AND NOT {c.canonical()}"
                parts.append(f"list(DISTINCT {c.cell}) FILTER (WHERE {failing})")
                continue
            # A money cell is tested once: k, canonical; v, its value when it is.
            k, v = f"k{c.index}", f"v{c.index}"
            classes += [f"{c.canonical()} AS {k}", f"TRY_CAST({c.cell} AS DECIMAL(38, 10)) AS {v}"]
            parts += [f"histogram({c.cell}) FILTER (WHERE NOT {k})",
                      f"count(*) FILTER (WHERE {k} AND {v} <> 0)",
                      f"count(*) FILTER (WHERE {k} AND {v} <> 0 AND {v} < {sheets.SMALL})"]
        if self.source.long:  # a cell the Python reader refuses as too long (left out: NULL)
            parts.append("coalesce(bool_or(__long), FALSE)")
        source = self.source.rows
        rows = f"(SELECT *, {', '.join(classes)} FROM {source})" if classes else source
        if self.meter is not None:
            self.meter.step()
        found = self.connection.execute(f"SELECT {', '.join(parts)} FROM {rows}").fetchone()
        if self.source.long and found[-1]:
            raise _Odd
        total, nulls, *rest = found
        if self.source.expected not in (None, total):
            raise _Odd
        values = iter(rest)
        for c in self.columns:
            cells = next(values)
            if c.item is None:
                c.blank = list(cells or ())
                if next(values):  # a value in an unnamed column: that row is read in Python
                    raise _Odd
                continue
            self._parse(c, cells)
            if c.money:
                self._count(c, cells, next(values), next(values))
        if not any(c.blank for c in self.columns):
            return int(total - nulls)
        return int(total - self._blank_rows())

    def _blank_rows(self) -> int:
        found = self.connection.execute(f"SELECT count(*) FROM {self.source.rows} WHERE "
                                        f"{self._blank_row()}").fetchone()  # fmt: skip
        return int(found[0])

    def _parse(self, column: _Column, cells: Any) -> None:
        """Each distinct cell the pattern leaves, parsed once: canonical, blank, or odd."""
        item = column.item
        assert item is not None
        shape = self.shapes[item.type]
        for cell in (cells.keys() if isinstance(cells, dict) else cells or ()):
            column.lookup[cell] = None
            if not cell.strip():
                column.blank.append(cell)
                continue
            try:
                value = item.parse(cell)
            except MoneyError:
                column.odd.append(cell)
                continue
            if fits(value, shape):
                column.lookup[cell] = cell_text(value)
            else:
                column.odd.append(cell)

    def _count(self, column: _Column, cells: Any, amounts: int, small: int) -> None:
        """The amounts warning's counts of a money column: the canonical cells' from SQL,
        the others' by `money.bare_amount`, as `_Amounts.add` counts them."""
        name = self.header.fields[column.index]
        assert name is not None
        for cell, n in (cells or {}).items():
            amount = money.bare_amount(cell) if cell.strip() else 0
            if amount == 0:
                continue
            amounts += n
            small += n if amount is not None and amount < sheets.SMALL else 0
        self.amounts.amounts[name] = amounts
        self.amounts.small[name] = small

    # The odd rows, the view

    def _in(self, cell: str, values: Sequence[str]) -> str:
        """SQL: `cell` is one of `values` (written out, or put in a table when many)."""
        if not values:
            return "FALSE"
        if len(values) <= INLINE:
            return f"{cell} IN ({', '.join(map(string, values))})"
        return f"{cell} IN (SELECT v FROM {self._table(v=list(values))})"

    def _table(self, **columns: list[str | None]) -> str:
        """A temporary table of text columns, one row per item of the lists; its name."""
        self.tables += 1
        table = f"cells{self.tables}"
        unnest = ", ".join(f"UNNEST(?::VARCHAR[]) AS {name}" for name in columns)
        self.connection.execute(f"CREATE TEMP TABLE {table} AS SELECT {unnest}",
                                list(columns.values()))  # fmt: skip
        return table

    def _odd_row(self) -> str:
        odd = [f"{self._in(c.cell, c.odd)} IS TRUE" for c in self.columns if c.odd]
        return "(" + " OR ".join(odd) + ")" if odd else "FALSE"

    def _blank_row(self) -> str:
        """SQL: a row of blank cells (skipped, as `sheets` skips it)."""
        return "(" + " AND ".join(f"({c.cell} IS NULL OR {self._in(c.cell, c.blank)})"
                                  for c in self.columns) + ")"  # fmt: skip

    def _odd(self) -> list[tuple[int, list[Any]]]:
        """The rows with an odd cell, by line, with their cells as the csv module reads the
        line (the rows are one line each)."""
        if not any(c.odd for c in self.columns):
            return []
        fetch = self.source.fetch
        cells = "" if fetch else ", " + ", ".join(c.cell for c in self.columns)
        found = self.connection.execute(f"SELECT r{cells} FROM {self.source.numbered} WHERE "
                                        f"{self._odd_row()} ORDER BY r").fetchall()  # fmt: skip
        if fetch is None:
            return [(r, list(rest)) for r, *rest in found]
        lines = [r for r, *_ in found]
        return list(zip(lines, fetch(lines), strict=True))

    def _view(self) -> str:
        """The rows the database adds up, one canonical text column per input."""
        by_name = {self.header.fields[c.index]: c for c in self.columns if c.item is not None}
        cells = []
        joins = []
        for name in self.policy.inputs:
            column = by_name.get(name)
            if column is None:
                cells.append(f"CAST(NULL AS VARCHAR) AS {quote(name)}")
                continue
            cell, other = column.cell, "NULL" if column.pattern is None else column.cell
            found = column.lookup  # cells of spaces and odd cells: NULL (odd rows are left out)
            if len(found) > INLINE:
                table = self._table(cell=list(found), canon=list(found.values()))
                joins.append(f" LEFT JOIN {table} ON {cell} = {table}.cell")
                cell = f"CASE WHEN {table}.cell IS NULL THEN {other} ELSE {table}.canon END"
            elif found:
                whens = " ".join(f"WHEN {string(k)} THEN {'NULL' if v is None else string(v)}"
                                 for k, v in found.items())  # fmt: skip
                cell = f"CASE {cell} {whens} ELSE {other} END"
            elif column.pattern is None:
                cell = "CAST(NULL AS VARCHAR)"
            cells.append(f"{cell} AS {quote(name)}")
        return (f"SELECT {', '.join(cells)} FROM {self.source.rows}{''.join(joins)}"
                f" WHERE NOT {self._odd_row()} AND NOT {self._blank_row()}")

    def _amounts(self) -> list[str]:
        """The amounts warnings (`_Amounts.warnings`), each column's first small amount found
        where one is said."""
        amounts = self.amounts
        for column in self.columns:
            name = self.header.fields[column.index]
            if not column.money or name is None:
                continue
            small = amounts.small[name]
            if small and small >= sheets.MOSTLY * amounts.amounts[name]:
                amounts.first[name] = self._first_small(column)
        return [f"{self.where}: {warning}" for warning in amounts.warnings()]

    def _first_small(self, column: _Column) -> tuple[int, str]:
        """The line and cell of a money column's first amount below one 万."""
        cell = column.cell
        value = f"TRY_CAST({cell} AS DECIMAL(38, 10))"
        others = [c for c in column.lookup if _small(c)]
        small = f"({column.canonical()} AND {value} <> 0 AND {value} < {sheets.SMALL})"
        if others:
            small = f"({small} OR {self._in(cell, others)})"
        found = self.connection.execute(
            f"SELECT r, {cell} FROM {self.source.numbered} WHERE {small} ORDER BY r LIMIT 1"
        ).fetchone()  # fmt: skip
        assert found is not None
        return found[0], str(found[1]).strip()


def _small(cell: str) -> bool:
    """Whether `_Amounts` counts the cell as an amount below one 万."""
    amount = money.bare_amount(cell) if cell.strip() else None
    return amount is not None and amount != 0 and amount < sheets.SMALL


def _cells(path: Path, lines: Sequence[int]) -> list[list[str]]:
    """The cells of the given lines (ascending, none the first) as the csv module reads them."""
    import csv

    found: list[list[str]] = []
    wanted = iter(lines)
    target = next(wanted, None)
    number = 0
    with path.open("rb") as handle:
        for line in handle:
            number += 1
            while target == number:
                found.append(next(csv.reader([line.decode("utf-8")])))
                target = next(wanted, None)
            if target is None:
                break
    return found
