"""Spreadsheets as consultants have them, read: CSV in the encodings Excel saves (decided once per
file, from its bytes), `.xlsx` workbooks, a header naming each column's field by id, Chinese
label or alias (title rows above it and a row of ids beneath it skipped), and each row's cells.

Reading only: workbooks and templates are written by `output/`. Pure: no typer, no rich; openpyxl
is imported only by the function that reads `.xlsx`, so a command that never opens a workbook
never pays for it.

A sheet is read as (line, record) pairs: a record is a dict of field -> cell as read (text, or a
number or yes/no typed in a workbook), or a str saying why that line cannot be read. The line is
the file's line (CSV) or the sheet's row number (`.xlsx`), as the user sees it.
"""

from __future__ import annotations

import codecs
import collections
import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple

from subsidycli.errors import ProfileError
from subsidycli.i18n import t
from subsidycli.policy import Policy, fold
from subsidycli.text import column_letter, suggest

Record = dict[str, Any] | str  # the cells of a row by field, or why the row cannot be read
Warn = Callable[[str], None]

SAMPLE_BYTES = 1 << 20  # what the encoding is decided on when the input cannot be read twice
MAX_LINE = 10 * 1024 * 1024  # characters in one line of CSV text
MAX_TITLES = 3  # rows of one cell each above a sheet's header, taken as its title


def save_as() -> str:
    """How to save a sheet that cannot be read, in the words Excel's Save As dialog uses."""
    return t('in Excel, save it as "CSV UTF-8 (Comma delimited)" (File > Save As)')


# ---------------------------------------------------------------------------------------------
# CSV bytes -> text: the encoding is decided once per file, from its bytes, never guessed wrong


class Encoding(NamedTuple):
    codec: str  # for Python
    name: str  # for people


UTF8 = Encoding("utf-8", "UTF-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8 with BOM")
UTF16 = Encoding("utf-16", "UTF-16")
GB18030 = Encoding("gb18030", "GB18030/GBK")


@functools.cache
def _not_chinese() -> re.Pattern[str]:
    """A character that Chinese text saved by Excel does not hold (compiled when first asked)."""
    return re.compile(
        "[^\x00-\x7f"
        "\u00a0-\u00ff"  # Latin-1 signs GBK has: ¥ · × ÷ ° § ±
        "\u2000-\u22ff"  # general punctuation (“” — …), letterlike symbols (℃ №), numerals, arrows
        "\u2460-\u24ff\u2500-\u257f\u25a0-\u25ff\u2600-\u26ff"  # ① boxes ■ ★
        "\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u32ff"  # CJK punctuation, kana, bopomofo
        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"  # ideographs
        "\U00020000-\U0003134f"  # rarer ideographs (GB18030's four-byte part)
        "]"
    )


def detect_encoding(head: bytes, complete: bool, where: str) -> Encoding:
    """The encoding of a CSV file, from its first bytes (all of them when `complete`).

    UTF-8 and UTF-16 are certain (a BOM, or bytes that are valid UTF-8). GB18030 (which covers
    GBK, what Excel on Chinese Windows saves) is taken only when the bytes decode as GB18030 to
    Chinese text, most of it in two-byte characters of the common range: a file in another
    single-byte code page (é, ü) is refused, not read as wrong Chinese. Anything else: a
    ProfileError saying how to save the file.
    """
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    if head.startswith(b"PK\x03\x04"):
        raise ProfileError([t("is an Excel workbook (.xlsx), not CSV text: name it .xlsx")],
                           where=where)  # fmt: skip
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ProfileError([t("is an old Excel workbook (.xls), not CSV text; {save_as}",
                              save_as=save_as())], where=where)  # fmt: skip
    if b"\x00" in head:
        raise ProfileError([t("is UTF-16 without a byte-order mark, or binary; {save_as}",
                              save_as=save_as())], where=where)  # fmt: skip
    if _decodes(head, "utf-8", complete):
        return UTF8
    if _decodes(head, "gb18030", complete) and _looks_chinese(head, complete):
        return GB18030
    raise ProfileError(
        [t("is not text in UTF-8, UTF-16 or GB18030/GBK, so its encoding cannot be told; "
           "{save_as}", save_as=save_as())], where=where,
    )  # fmt: skip


def _decodes(data: bytes, codec: str, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _looks_chinese(data: bytes, complete: bool) -> bool:
    """Whether GB18030 bytes read as Chinese text: no character outside what Chinese text holds,
    and at most half of the two-byte characters with a second byte below 0x80 (the rare ones; a
    Latin-1 letter before an ASCII letter decodes as one of those)."""
    text = codecs.getincrementaldecoder("gb18030")().decode(data, final=complete)
    if _not_chinese().search(text):
        return False
    counts = collections.Counter(text)  # each character's bytes looked at once, not per use
    wide = rare = 0
    for char, n in counts.items():
        if char > "\x7f":
            wide += n
            encoded = char.encode("gb18030")
            rare += n if len(encoded) == 2 and encoded[1] < 0x80 else 0
    return rare * 2 <= wide


class CsvText:
    """The lines of a CSV file as text, in the encoding decided once from its bytes
    (`detect_encoding`); counts the bytes read, for progress.

    A file is read through once to decide; a stream that cannot be read twice (stdin) is
    decided on its first MiB, and a later byte that breaks that encoding stops the run with a
    message naming the line, never a silent misreading.
    """

    def __init__(self, stream: BinaryIO, where: str) -> None:
        self.where = where
        self.bytes_read = 0
        if _seekable(stream):
            start = stream.tell()
            self.encoding = _detect_whole(stream, where)
            stream.seek(start)
            self._stream = stream
        else:
            head = stream.read(SAMPLE_BYTES)
            self.encoding = detect_encoding(head, len(head) < SAMPLE_BYTES, where)
            self._stream = io.BufferedReader(_Prefixed(head, stream))

    def lines(self) -> Iterator[str]:
        """Every line, with its line ending; a line longer than MAX_LINE comes as "\x00\n" (the
        reader refuses such a row)."""
        read: Callable[[], Any]
        newline: Any
        line: Any
        if self.encoding is UTF16:  # b"\n" is not a line end in UTF-16: decode, then split
            text = io.TextIOWrapper(self._stream, encoding="utf-16", newline="")
            read, newline, width = (lambda: text.readline(MAX_LINE)), "\n", 2
        else:  # in UTF-8 and GB18030 the byte \n is a line end and nothing else: split, decode
            read, newline, width = (lambda: self._stream.readline(MAX_LINE)), b"\n", 1
        codec = self.encoding.codec
        number = 0
        while True:
            number += 1
            try:
                line = read()
                self.bytes_read += len(line) * width
                if len(line) >= MAX_LINE and not line.endswith(newline):
                    while line and not line.endswith(newline):  # skip the rest of the line
                        line = read()
                        self.bytes_read += len(line) * width
                    yield "\x00\n"
                    continue
                if not line:
                    return
                yield line if width == 2 else line.decode(codec)
            except UnicodeDecodeError:
                problem = t("is not {encoding}, as the lines before it; {save_as}",
                            encoding=self.encoding.name, save_as=save_as())  # fmt: skip
                raise ProfileError([(str(number), problem)], where=self.where) from None


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _detect_whole(stream: BinaryIO, where: str) -> Encoding:
    """Decide on the first MiB, then check that the rest of the file is in that encoding."""
    head = stream.read(SAMPLE_BYTES)
    more = stream.read(1)
    encoding = detect_encoding(head, not more, where)
    if not more:
        return encoding
    decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
    decoder.decode(head)
    chunk = more + stream.read(SAMPLE_BYTES)
    while True:
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ProfileError(
                [t("begins as {encoding} text but is not {encoding} further on (a mix of "
                   "encodings); {save_as}", encoding=encoding.name, save_as=save_as())],
                where=where,
            ) from None  # fmt: skip
        if not chunk:
            return encoding
        chunk = stream.read(SAMPLE_BYTES)


class _Prefixed(io.RawIOBase):
    """The bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# ---------------------------------------------------------------------------------------------
# Headers: a column names a field by its id, its label (zh or en) or an alias


@dataclass(frozen=True, slots=True)
class Header:
    """What each column of a sheet names: a field, or None (blank, or a column ignored)."""

    fields: tuple[str | None, ...]
    ignored: tuple[str, ...]  # the columns that name no field, as written
    line: int
    unnamed: frozenset[int] = frozenset()  # the columns without a name (their cells must be blank)

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


def _column_names(policy: Policy) -> dict[str, str]:
    """Every name a column may carry, folded, and the field it names."""
    names: dict[str, str] = {}
    for item in policy.inputs.values():
        for name in (item.name, item.label["zh"], item.label["en"], *item.aliases):
            names.setdefault(fold(name), item.name)
    return names


def field_of(cell: str, names: Mapping[str, str]) -> str | None:
    """The field a header cell names: by id, label or alias, ignoring case, width and spaces;
    a trailing note in brackets is allowed (`年度研发费用（元）`, `申报主体类型（企业/高校…）`)."""
    found = names.get(fold(cell))
    if found is None:
        note = _NOTE.match(cell.strip())
        if note and note.group(1):
            found = names.get(fold(note.group(1)))
    return found


def read_header(cells: Sequence[str], policy: Policy, line: int, where: str) -> Header:
    """Map a header row onto the policy's fields. Two columns that name one field are an error."""
    names = _column_names(policy)
    fields: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, int] = {}
    problems = []
    for i, cell in enumerate(cells, start=1):
        text = cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell))
        found = field_of(text, names) if text else None
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
        raise ProfileError(problems, where=f"{where}:{line}")
    unnamed = frozenset(i for i, cell in enumerate(cells) if _blank(cell))
    return Header(tuple(fields), tuple(ignored), line, unnamed)


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
    """The records of a CSV (`fmt` "csv") or workbook ("xlsx") sheet, in order, with the line
    each starts on; counts the bytes read (CSV), for progress.

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

    @property
    def bytes_read(self) -> int:
        return self._text.bytes_read if self._text is not None else 0

    def _rows(self) -> Iterator[tuple[int, list[Any] | str]]:
        if self.fmt == "xlsx":
            return _xlsx_rows(self.source, self.where)
        self._text = CsvText(self.source, self.where)
        return _csv_rows(self._text)

    def records(self) -> Iterator[tuple[int, Record]]:
        """Every record: the cells of a row by field, or a str saying why it cannot be read."""
        where, policy = self.where, self.policy
        header: Header | None = None
        first = True
        titles: list[tuple[int, list[Any]]] = []  # rows of one cell above the header: a title
        for line, cells in self._rows():
            if isinstance(cells, str):
                if header is None:
                    raise ProfileError([(str(line), cells)], where=where)
                yield line, cells
                continue
            if header is None:
                header = self._header(cells, line, len(titles))
                if header is None:
                    titles.append((line, cells))
                continue
            if first:
                first = False
                if is_ids_row(cells, header):
                    continue
            yield line, _record(cells, header, policy, short_ok=self.fmt == "xlsx")
        if header is None and titles:  # no header after all: the first was meant as one
            line, cells = titles[0]
            self._header(cells, line, MAX_TITLES)

    def _header(self, cells: list[Any], line: int, titles: int) -> Header | None:
        """The header, or None for a title above it (`客户清单`: one cell, no field)."""
        header = read_header(cells, self.policy, line, self.where)
        if not any(header.fields) and titles < MAX_TITLES and len(header.ignored) == 1:
            if sum(not _blank(cell) for cell in cells) == 1:
                return None
        if header.ignored:
            columns = header.ignored_text(self.policy)
            if self.strict:
                what = t("--strict: columns that name no field: {columns}", columns=columns)
                raise ProfileError([(str(line), what)], where=self.where)
            if self.warn is not None:
                what = t("ignored columns that name no field: {columns} (--strict makes this an "
                         "error)", columns=columns)  # fmt: skip
                self.warn(f"{self.where}:{line}: {what}")
        if not any(header.fields):
            raise ProfileError(
                [(str(line), t("the header names no field; write ids (annual_rd_expense) or "
                               "labels (年度研发费用), as `subsidy init clients.csv` does"))],
                where=self.where,
            )  # fmt: skip
        return header


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
                record[name] = cell
            continue
        if cell is None:
            continue  # an empty cell
        if isinstance(cell, _Refused):
            label = policy.inputs[name].label["zh"]
            where = t("{field} ({label}, column {letter})", field=name, label=label,
                      letter=column_letter(i))  # fmt: skip
            return f"{where}: {cell.why}"
        if isinstance(cell, (int, Decimal)) and not isinstance(cell, bool):
            if policy.inputs[name].type in ("text", "choice"):  # a name typed as 12345
                cell = str(cell)
        record[name] = cell
    return record


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _csv_rows(text: CsvText) -> Iterator[tuple[int, list[str] | str]]:
    lines = text.lines()
    first = next(lines, None)
    if first is None:
        return
    # Excel's "Unicode text" (UTF-16) is tab-separated; so is any file whose header has tabs
    # and no commas.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(_chain_one(first, lines), delimiter=delimiter)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, t("invalid CSV: {why}", why=exc)
            start = reader.line_num + 1
            continue
        joined = "".join(row)
        if "\x00" in joined:
            yield start, t("is longer than {size} MiB, or holds a NUL character",
                           size=MAX_LINE // 1024 // 1024)  # fmt: skip
        elif joined and not joined.isspace():  # a row of blank cells is skipped
            yield start, row
        start = reader.line_num + 1


def _chain_one(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


class _Refused(NamedTuple):
    """A workbook cell that is refused: a date, a formula, an error value."""

    why: str


def _xlsx_rows(source: BinaryIO, where: str) -> Iterator[tuple[int, list[Any] | str]]:
    """The rows of a workbook's first sheet: numbers exact (a float cell's shortest repr, which
    is what was typed), yes/no as bool, dates, formulas and error values refused."""
    import zipfile

    from openpyxl import load_workbook

    if not _seekable(source):  # a zip file is read from its end: stdin must be held whole
        source = io.BytesIO(source.read())
    try:
        book = load_workbook(source, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ProfileError(
            [t("is not an Excel workbook (.xlsx) that can be read ({why}); save it again in "
               "Excel as .xlsx, or as CSV UTF-8", why=exc)], where=where,
        ) from None  # fmt: skip
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = [_xlsx_cell(cell) for cell in row]
            while cells and _blank(cells[-1]):
                cells.pop()
            if cells and not all(_blank(c) for c in cells):
                yield getattr(row[0], "row", None) or number, cells
    finally:
        book.close()


def _xlsx_cell(cell: Any) -> Any:
    value = cell.value
    kind = getattr(cell, "data_type", None)
    if value is None:
        return None
    if kind == "f" or (isinstance(value, str) and kind != "s" and value.startswith("=")):
        return _Refused(t("is a formula ({formula}); copy the column and paste it as values "
                          "(Paste Special > Values)", formula=str(value)[:40]))  # fmt: skip
    if kind == "e":
        return _Refused(t("is an error value ({value}); enter the number itself", value=value))
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return _Refused(t("is a date or time ({value}), not a number; format the cell as a "
                          "number or text and enter the value again", value=value))  # fmt: skip
    if isinstance(value, float):
        # The cell stores the digits typed; a float's shortest repr gives them back exactly.
        exact = Decimal(repr(value))
        return exact if exact != exact.to_integral_value() else Decimal(int(value))
    return value


# ---------------------------------------------------------------------------------------------
# Writing a workbook: write-only (rows stream to disk), numbers as numbers


# ---------------------------------------------------------------------------------------------
# Templates for batch: Chinese headers, a row of ids, an example row, the choices shown


