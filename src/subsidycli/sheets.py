"""Spreadsheets as consultants have them, read: CSV in the encodings Excel saves (`csvtext`),
`.xlsx` workbooks (`workbook`), Parquet files a database exports (read by DuckDB), a header
naming each column's field by id, Chinese label or alias (title rows above it and a row of ids
beneath it skipped; a unit in it, `（万元）`, read), and each row's cells. Every row read is
accounted for: a record, or why it cannot be read (a quote left open in CSV names each line it
swallowed). The `init` template's example row is skipped.

Reading only: workbooks and templates are written by `output/`. Pure: no typer, no rich.

A sheet is read as (line, record) pairs: a record is a dict of field -> cell as read (text, or a
number or yes/no typed in a workbook), or a str saying why that line cannot be read. The line is
the file's line (CSV) or the sheet's row number (`.xlsx`), as the user sees it; a Parquet file's
rows are numbered from 1, its column names being the header.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

from subsidycli import money, workbook
from subsidycli.csvtext import (
    MAX_LINE,
    CsvText,
    seekable,
)
from subsidycli.errors import ProfileError
from subsidycli.i18n import t
from subsidycli.parquet import FloatText, ParquetRows
from subsidycli.policy import Policy
from subsidycli.policy.names import Names, field_names
from subsidycli.text import column_letter, suggest

Record = dict[str, Any] | str  # the cells of a row by field, or why the row cannot be read


class Unread(str):
    """Why a sheet's row cannot be read, with the name in its name column (for the output's row
    of that record: a consultant sees which client failed)."""

    name: str | None = None


Warn = Callable[[str], None]

MAX_TITLES = 3  # rows of one cell each above a sheet's header, taken as its title
# The name of the example row of `subsidy init`'s templates: that row is skipped, never a client.
EXAMPLE_NAME = "示例科技有限公司"


# ---------------------------------------------------------------------------------------------
# Headers: a column names a field by its id, its label (zh or en) or an alias


@dataclass(frozen=True, slots=True)
class Header:
    """What each column of a sheet names: a field, or None (blank, or a column ignored)."""

    fields: tuple[str | None, ...]
    ignored: tuple[str, ...]  # the columns that name no field, as written
    line: int
    unnamed: frozenset[int] = frozenset()  # the columns without a name (their cells must be blank)
    # The money columns whose header states a unit other than 元: (column, scale), as 万元 -> 万.
    scales: tuple[tuple[int, str], ...] = ()
    floats: frozenset[int] = frozenset()  # Parquet's FLOAT and DOUBLE columns

    def ignored_text(self, policy: Policy) -> str:
        """The ignored columns, each with the nearest field name when there is one."""
        names = [*policy.inputs, *(i.label["zh"] for i in policy.inputs.values())]
        shown = []
        for column in self.ignored:
            near = suggest(column, names)
            shown.append(t("{column} (did you mean {name}?)", column=column, name=near[0])
                         if near else column)  # fmt: skip
        return ", ".join(shown)


_NOTE = re.compile(r"^(.*?)\s*[（(\[【][^（()）\]【】]*[)）\]】]\s*$")


def _column_names(policy: Policy) -> Names:
    """Every name a column may carry (`policy.names.field_names`: id, labels, aliases)."""
    return field_names(policy.inputs)


def field_of(cell: str, names: Names) -> str | None:
    """The field a header cell names: by id, label or alias, ignoring case, width and spaces;
    a trailing note in brackets is allowed (`年度研发费用（元）`, `申报主体类型（企业/高校…）`).
    A name of several fields names none (the column is ignored, with a warning)."""
    found = names.named(cell)
    if not found:
        note = _NOTE.match(cell.strip())
        if note and note.group(1):
            found = names.named(note.group(1))
    return found[0] if len(found) == 1 else None


# A unit at the end of a header: `（万元）`, `(万元/亩)`, `（单位：万元）`, ` 单位：万元`.
_UNIT = re.compile(
    r"^(?P<name>.*?)\s*(?:[（(\[【]\s*(?:单位\s*[:：]\s*)?(?P<bracket>[^（()）\[\]【】/]*?)\s*"
    r"(?:/[^（()）\[\]【】]*)?[)）\]】]|单位\s*[:：]\s*(?P<said>[^\s/]+?)(?:/\S*)?)\s*$"
)
# A unit of money that is not read (千元, 百万元, 美元, 万美元, 港币): refused, never taken as 元.
_OTHER_MONEY = re.compile(r"[千百万亿十]*(?:(?:美|港|欧|日|英|澳|加)?(?:元|币)|美金)")


def header_unit(text: str) -> tuple[str, str | None]:
    """A header without the unit it ends with, and that unit (元, 万元 or 亿元; "?" + the unit
    for a unit of money that is not read); a bracket that names no unit is left as it is, a
    note (`（科技创新券）`)."""
    found = _UNIT.match(text)
    if found is None:
        return text, None
    unit = (found.group("bracket") if found.group("said") is None else found.group("said")) or ""
    if unit in money.HEADER_UNITS:
        return found.group("name"), unit
    if _OTHER_MONEY.fullmatch(unit):
        return found.group("name"), "?" + unit
    return text, None


def read_header(cells: Sequence[str], policy: Policy, line: int, where: str) -> Header:
    """Map a header row onto the policy's fields. Two columns that name one field are an error,
    and so is a unit of money that is not read (`（千元）`)."""
    names = _column_names(policy)
    fields: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, int] = {}
    scales: list[tuple[int, str]] = []
    problems = []
    for i, cell in enumerate(cells, start=1):
        text = cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell))
        name, unit = header_unit(text) if text else (text, None)
        found = field_of(name, names) if name else None
        if found is not None and unit is not None and policy.inputs[found].type == "money":
            if unit.startswith("?"):
                problems.append(t(
                    "column {number} ({heading}): amounts in {unit} are not read; write them in "
                    "元, 万元 or 亿元 and say which in the header, e.g. {label}（万元）",
                    number=i, heading=text, unit=unit[1:], label=name,
                ))  # fmt: skip
            elif money.HEADER_UNITS[unit]:
                scales.append((i - 1, money.HEADER_UNITS[unit]))
        if text and found is None:
            ignored.append(text)
        if found is not None and found in seen:
            problems.append(t(
                "columns {first} and {second} both name the field {field} ({heading})",
                first=seen[found], second=i, field=found, heading=text,
            ))  # fmt: skip
        elif found is not None:
            seen[found] = i
        fields.append(found)
    if problems:
        raise ProfileError(problems, where=_where(where, line))
    unnamed = frozenset(i for i, cell in enumerate(cells) if _blank(cell))
    return Header(tuple(fields), tuple(ignored), line, unnamed, tuple(scales))


def _where(where: str, line: int) -> str:
    """`where:line`; a Parquet file's header (its column names, line 0) is the file itself."""
    return f"{where}:{line}" if line else where


def _at(line: int, what: str) -> str | tuple[str, str]:
    """A problem at `line` (none for a Parquet file's column names, line 0)."""
    return (str(line), what) if line else what


def is_ids_row(cells: Sequence[Any], header: Header) -> bool:
    """Whether a row under the header repeats its fields' ids (the second header row of a
    template): every cell blank or the id of its column's field, and at least one an id."""
    ids = 0
    for cell, name in zip(cells, header.fields, strict=False):
        text = cell.strip() if isinstance(cell, str) else cell
        if text in ("", None):
            continue
        if text != name:
            return False
        ids += 1
    return ids > 0


# ---------------------------------------------------------------------------------------------
# Reading a sheet: CSV or .xlsx -> numbered records


class Sheet:
    """The records of a CSV (`fmt` "csv"), workbook ("xlsx") or Parquet ("parquet") sheet, in
    order, with the line each starts on; counts the bytes read (CSV, Parquet), for progress.

    The header is the first row that is not blank; a row of ids under it is skipped. Columns
    that name no field are ignored with one warning (`warn`), or refused with `strict`.
    `records` raises ProfileError for what spoils the whole sheet: its encoding, its header.
    """

    def __init__(
        self, source: BinaryIO, fmt: str, policy: Policy, where: str, *, strict: bool = False,
        warn: Warn | None = None,
    ) -> None:  # fmt: skip
        self.source, self.fmt, self.policy, self.where = source, fmt, policy, where
        self.strict, self.warn = strict, warn
        self._text: CsvText | None = None
        self._parquet: ParquetRows | None = None
        self.example: int | None = None  # the line of the template's example row, skipped
        self.header: Header | None = None
        self._amounts: _Amounts | None = None

    @property
    def bytes_read(self) -> int:
        if self._parquet is not None:
            return self._parquet.bytes_read
        return self._text.bytes_read if self._text is not None else 0

    def _rows(self) -> Iterator[tuple[int, list[Any] | str]]:
        if self.fmt == "xlsx":
            return _xlsx_rows(self.source, self.where, self.warn)
        if self.fmt == "parquet":
            self._parquet = ParquetRows(self.source, self.where)
            return self._parquet.rows()
        self._text = CsvText(self.source, self.where)
        return _csv_rows(self._text, self._width)

    def _width(self) -> int | None:
        """The header's width, once it is read (for a CSV row a stray quote ran on from)."""
        return None if self.header is None else len(self.header.fields)

    def records(self) -> Iterator[tuple[int, Record]]:
        """Every record: the cells of a row by field, or a str saying why it cannot be read."""
        where, policy = self.where, self.policy
        header: Header | None = None
        first, yielded = True, False
        titles: list[tuple[int, list[Any]]] = []  # rows of one cell above the header: a title
        for line, cells in self._rows():
            if isinstance(cells, str):
                if header is None:
                    raise ProfileError([(str(line), cells)], where=where)
                first, yielded = False, True
                yield line, cells
                continue
            if header is None:
                header = self.header = self._header(cells, line, len(titles))
                if header is None:
                    titles.append((line, cells))
                continue
            if first:  # the row under the header: a row of ids, or the first data row
                first = False
                if is_ids_row(cells, header):
                    continue
            if not yielded and self.example is None and self._is_example(cells, header, line):
                continue
            yielded = True
            record = _record(cells, header, policy, short_ok=self.fmt == "xlsx")
            if type(record) is str:
                record = _named(record, cells, header)
            if self._amounts is None:
                self._amounts = _Amounts(header, policy)
            if type(record) is dict:
                self._amounts.add(line, record)
            yield line, record
        if self._amounts is not None and self.warn is not None:
            for warning in self._amounts.warnings():
                self.warn(f"{where}: {warning}")
        if header is None and titles:  # no header after all: the first was meant as one
            line, cells = titles[0]
            self._header(cells, line, MAX_TITLES)
        if self.example is not None and not yielded:
            raise ProfileError([t("holds no record: only the template's example row (line "
                                  "{line}, {name}), which is skipped; fill in one client a row",
                                  line=self.example, name=EXAMPLE_NAME)], where=where)  # fmt: skip

    def _is_example(self, cells: list[Any], header: Header, line: int) -> bool:
        """Whether the first row under the header is the template's example (named
        EXAMPLE_NAME): it is skipped, with one note."""
        if "name" not in header.fields:
            return False
        column = header.fields.index("name")
        cell = cells[column] if column < len(cells) else None
        if not (isinstance(cell, str) and cell.strip() == EXAMPLE_NAME):
            return False
        self.example = line
        if self.warn is not None:
            self.warn(f"{self.where}:{line}: " + t("the template's example row ({name}) is "
                                                   "skipped, not counted as a client",
                                                   name=EXAMPLE_NAME))  # fmt: skip
        return True

    def _header(self, cells: list[Any], line: int, titles: int) -> Header | None:
        """The header, or None for a title above it (`客户清单`: one cell, no field)."""
        header = read_header(cells, self.policy, line, self.where)
        if self.fmt == "parquet":  # the columns' names: never a title
            titles = MAX_TITLES
            if self._parquet is not None and self._parquet.floats:
                header = dataclasses.replace(header, floats=self._parquet.floats)
        if not any(header.fields) and titles < MAX_TITLES and len(header.ignored) == 1:
            if sum(not _blank(cell) for cell in cells) == 1:
                return None
        if header.ignored:
            columns = header.ignored_text(self.policy)
            if self.strict:
                what = t("--strict: columns that name no field: {columns}", columns=columns)
                raise ProfileError([_at(line, what)], where=self.where)
            if self.warn is not None:
                what = t("ignored columns that name no field: {columns} (--strict makes this an "
                         "error)", columns=columns)  # fmt: skip
                self.warn(f"{_where(self.where, line)}: {what}")
        if not any(header.fields):
            field = self.policy.showcase or next(iter(self.policy.inputs.values()))
            what = t("the header names no field; write ids ({id}) or labels ({label}), as "
                     "`subsidy init clients.csv` does", id=field.name, label=field.label["zh"])
            raise ProfileError([_at(line, what)], where=self.where)
        return header


SMALL = Decimal(10_000)  # an amount below one 万 in an expense column: 万 probably meant
MOSTLY = Decimal("0.8")  # the share of a column's amounts that are small before it is warned about


class _Amounts:
    """The amounts of a sheet's money columns, as they stream past: how many are bare numbers
    below one 万 (1200 where 1200万 was probably meant), and the first such, for one warning a
    column when most are (the interview asks about such an answer; a sheet cannot)."""

    def __init__(self, header: Header, policy: Policy) -> None:
        self.header, self.policy = header, policy
        scaled = {i for i, _ in header.scales}  # a column in 万元 says what it means
        self.fields = [name for i, name in enumerate(header.fields) if name is not None
                       and i not in scaled and policy.inputs[name].type == "money"]  # fmt: skip
        self.amounts = dict.fromkeys(self.fields, 0)
        self.small = dict.fromkeys(self.fields, 0)
        self.first: dict[str, tuple[int, str]] = {}  # the first small amount: line, cell

    def add(self, line: int, record: dict[str, Any]) -> None:
        for name in self.fields:
            value = record.get(name)
            if value is None:
                continue
            amount = money.bare_amount(value)
            if amount == 0:
                continue
            self.amounts[name] += 1
            if amount is not None and amount < SMALL:
                self.small[name] += 1
                self.first.setdefault(name, (line, str(value).strip()))

    def warnings(self) -> Iterator[str]:
        for name in self.fields:
            small, amounts = self.small[name], self.amounts[name]
            if small and small >= MOSTLY * amounts:
                line, cell = self.first[name]
                column = self.header.fields.index(name)
                yield t("column {letter} ({label}): {small} of {amounts} amounts are below 10,000 "
                        "元, e.g. line {line}: {cell}; if 万元 was meant, write {cell}万, or put "
                        "（万元） in the header", letter=column_letter(column),
                        label=self.policy.inputs[name].label["zh"], small=small, amounts=amounts,
                        line=line, cell=cell)  # fmt: skip


def read_sheet(
    source: BinaryIO, fmt: str, policy: Policy, where: str, *, strict: bool = False,
    warn: Warn | None = None,
) -> Iterator[tuple[int, Record]]:  # fmt: skip
    """`Sheet(...).records()`."""
    return Sheet(source, fmt, policy, where, strict=strict, warn=warn).records()


def _record(cells: Sequence[Any], header: Header, policy: Policy, short_ok: bool) -> Record:
    width = len(header.fields)
    if (len(cells) < width and not short_ok) or any(not _blank(c) for c in cells[width:]):
        return t("has {cells} cells; the header (line {line}) has {width}", cells=len(cells),
                 line=header.line, width=width)  # fmt: skip
    record: dict[str, Any] = {}
    for i, (cell, name) in enumerate(zip(cells, header.fields, strict=False)):
        if name is None:
            if i in header.unnamed and not _blank(cell):
                return t("column {letter} ({number}) has a value but no name in the header",
                         letter=column_letter(i), number=i + 1)  # fmt: skip
            continue  # an ignored column (warned about once), or a blank one
        if type(cell) is str:  # CSV's cells, and a workbook's text
            if cell and not cell.isspace():
                floating = i in header.floats and policy.inputs[name].type == "money"
                record[name] = FloatText(cell) if floating else cell
            continue
        if cell is None:
            continue  # an empty cell
        if isinstance(cell, workbook.Refused):
            label = policy.inputs[name].label["zh"]
            where = t("{field} ({label}, column {letter})", field=name, label=label,
                      letter=column_letter(i))  # fmt: skip
            return f"{where}: {cell.why}"
        if isinstance(cell, (int, Decimal)) and not isinstance(cell, bool):
            if policy.inputs[name].type in ("text", "choice"):  # a name typed as 12345
                cell = str(cell)
        record[name] = cell
    for i, scale in header.scales:  # 1200 in a 万元 column: 1200万
        name = header.fields[i]
        if name in record:
            record[name] = money.in_unit(record[name], scale)
    return record


def _named(why: str, cells: Sequence[Any], header: Header) -> Unread:
    """Why a row cannot be read, with the name its name column holds."""
    unread = Unread(why)
    if "name" in header.fields:
        column = header.fields.index("name")
        cell = cells[column] if column < len(cells) else None
        if isinstance(cell, str) and cell.strip():
            unread.name = cell.strip()
    return unread


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _csv_rows(
    text: CsvText, width: Callable[[], int | None] = lambda: None
) -> Iterator[tuple[int, list[str] | str]]:
    """A CSV file's rows by the line each starts on. A quote left open runs on over the lines
    after it, which the csv module reads as one row: such a row (several lines, and not as wide
    as the header, or running to the end of the file) is the line where the quote opened and one
    bad row for each line it swallowed, so that every row read is accounted for."""
    lines = _Lines(text.lines())
    first = lines.first
    if first is None:
        return
    # Excel's "Unicode text" (UTF-16) is tab-separated; so is any file whose header has tabs
    # and no commas.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    while True:
        lines.blank.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, t("invalid CSV: {why}", why=exc)
            start = reader.line_num + 1
            continue
        end = reader.line_num
        joined = "".join(row)
        if "\x00" in joined:
            yield start, t("is longer than {size} MiB, or holds a NUL character",
                           size=MAX_LINE // 1024 // 1024)  # fmt: skip
        elif end > start and _runs_on(row, width(), delimiter):
            yield start, t('a quote (") opened on this line is not closed where its cell ends: '
                           "lines {first}-{last} were read as one cell; close the quote (or "
                           'write "" for a quote inside a cell)',
                           first=start, last=end)  # fmt: skip
            swallowed = t("swallowed by the quote opened on line {line}", line=start)
            for number, blank in enumerate(lines.blank[1:], start=start + 1):
                if not blank:
                    yield number, swallowed
        elif joined and not joined.isspace():  # a row of blank cells is skipped
            yield start, row
        start = end + 1


def _runs_on(row: list[str], width: int | None, delimiter: str) -> bool:
    """Whether a row of several lines is a quote left open: not as wide as the header, its last
    cell running to the end of the file (a closed quote ends before the line's end), or a cell
    whose later lines hold the delimiter (rows swallowed up to the next quote)."""
    if width is None:
        return False
    if len(row) != width or row[-1].endswith(("\n", "\r")):
        return True
    return any("\n" in cell and delimiter in cell.split("\n", 1)[1] for cell in row)


class _Lines:
    """The lines of a CSV file for the csv reader, noting which lines of the current row are
    blank (a quote left open swallows lines: each one that is not blank is a row lost)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.first = next(lines, None)
        self.blank: list[bool] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.first is not None:
            line, self.first = self.first, None
        else:
            line = next(self._lines)
        self.blank.append(not line.strip())
        return line


def _xlsx_rows(
    source: BinaryIO, where: str, warn: Warn | None
) -> Iterator[tuple[int, list[Any] | str]]:
    """The rows of a workbook's active sheet (or first visible one), read by `workbook`: numbers
    exact, yes/no as bool; dates, formulas, error values and unreadable cells `Refused`. With
    several sheets, a note says which one is read, and a warning which others hold data."""
    if not seekable(source):  # a zip file is read from its end: stdin must be held whole
        source = io.BytesIO(source.read(workbook.MAX_TOTAL))
    book = workbook.Workbook(source, where)
    if len(book.sheets) > 1 and warn is not None:
        others = [s.name for s in book.sheets if s is not book.sheet and book.holds_data(s)]
        warn(f"{where}: " + t("reading the sheet {sheet} (the workbook's active, visible one)",
                              sheet=book.sheet.name))  # fmt: skip
        if others:
            warn(f"{where}: " + t("the sheets {sheets} also hold data and are not read; make the "
                                  "one to read the active sheet (select it, save), or copy them "
                                  "into one sheet", sheets=", ".join(others)))  # fmt: skip
    yield from book.rows()


# ---------------------------------------------------------------------------------------------
# Writing a workbook: write-only (rows stream to disk), numbers as numbers


# ---------------------------------------------------------------------------------------------
# Templates for batch: Chinese headers, a row of ids, an example row, the choices shown


