"""Workbooks written with openpyxl (imported only when one is written): `XlsxWriter` streams rows
into a one-sheet workbook in write-only mode (a frozen header, each column as wide as its widest
cell as shown, money as numbers in a 元 format, text never a formula, a total row), and
`write_xlsx` writes calc's result as one.

Writing only: reading a workbook is `sheets.py`'s. No rich.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, BinaryIO

from subsidycli.engine import (
    Evaluation,
)
from subsidycli.i18n import t
from subsidycli.output.cells import CSV_COLUMNS, article_sheet
from subsidycli.text import cell_width, column_letter


def write_xlsx(evaluation: Evaluation, handle: BinaryIO) -> None:
    """calc's result as a workbook: `article_sheet`'s rows, money as numbers in a 元 format,
    then a total row (the cash amounts add up to the total; the tax columns are summed apart)."""
    heads, rows = article_sheet(evaluation)
    summed = {"amount", "deduction", "tax_saving"}
    columns = [
        Column(head, "money" if key in summed or key == "cap" else "text", key in summed)
        for head, key in zip(heads, CSV_COLUMNS, strict=True)
    ]
    with XlsxWriter(columns, title="subsidy") as sheet:
        for row in rows:  # the total row is `total`'s: of the policies in force on the day
            sheet.row(row, summed=row[0] not in evaluation.policy.uncounted)
        name = evaluation.profile.get("name")
        sheet.total_row(t("Total (maximum claimable)") + (f" — {name}" if name else ""), at=1)
        sheet.save(handle)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a written sheet: its heading, what it holds, whether the total row sums it,
    and the widest it grows, in characters (a longer text wraps)."""

    head: str
    kind: str  # "text", "int", "money"
    summed: bool = False  # in the total row
    most: float = 60


MONEY_FORMAT = '#,##0.00" 元"'


def shown(value: Any) -> str:
    """A cell's value as a spreadsheet shows it: money (a Decimal) in `MONEY_FORMAT`."""
    if isinstance(value, Decimal):
        return f"{value:,.2f} 元"
    return str(value)


def column_width(*texts: str, least: float = 8, most: float = 60) -> float:
    """A width in characters that shows each text whole on one line, capped at `most`."""
    return fitted(max(map(cell_width, texts), default=0), least, most)


# Points a line of wrapped text takes in the default 11-point font: 15 for Latin text, more in
# the taller Chinese fonts a spreadsheet falls back to (Noto Sans CJK: about 17).
LINE_HEIGHT = 18


def fitted(cells: int, least: float = 8, most: float = 60) -> float:
    """The width of a column that shows `cells` terminal cells whole (a Chinese character is
    two), capped at `most`. Padded, and a little more for a long text: a Chinese character set
    in a spreadsheet's fallback font is about 2.1 times as wide as the digit that measures
    columns."""
    return float(min(max(cells + 2 + cells // 12, least), most))


@functools.cache
def one_line(most: float) -> int:
    """The widest text, in cells, that a column at most `most` wide shows on one line."""
    cells = int(most)
    while cells and fitted(cells, most=math.inf) > most:
        cells -= 1
    return cells


def lines(cells: int, most: float) -> int:
    """The lines a text `cells` wide takes in a column at most `most` wide, wrapped: a little
    more than its width over the column's, as lines break between words."""
    if cells <= one_line(most):
        return 1
    return math.ceil(cells * 1.15 / (most - 2))


class XlsxWriter:
    """Rows into a one-sheet workbook in openpyxl's write-only mode: rows go to a temporary
    file as they come, so memory stays flat however many there are. A frozen header row, each
    column as wide as its header and its widest cell as shown (a text wider than the column's
    `most` wraps), money as numbers in a 元 format, text never a formula, an optional total row.

    A context manager: leaving the block without `save` lets go of the unfinished workbook."""

    def __init__(self, columns: Sequence[Column], title: str = "results") -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, NamedStyle

        self._cell = WriteOnlyCell
        self.columns = tuple(columns)
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title[:31])
        self.sheet.freeze_panes = "A2"
        head = NamedStyle(name="head", font=Font(bold=True), alignment=Alignment(wrap_text=True))
        self.book.add_named_style(head)
        wrap = NamedStyle(name="wrap", alignment=Alignment(wrap_text=True, vertical="top"))
        self.book.add_named_style(wrap)
        self._money = [c.kind == "money" for c in self.columns]
        self._summed = [c.summed for c in self.columns]
        # Each summed column's sum, None while every cell in it is unknown (the total row then
        # leaves it empty: unknown is never shown as 0.00).
        self._sums: list[Decimal | None] = [None] * len(self.columns)
        # What each column must show whole: its widest text (in cells), its least and greatest
        # number (the widest of those as shown is the widest number).
        self._wide = [0] * len(self.columns)
        self._low: list[Any] = [None] * len(self.columns)
        self._high: list[Any] = [None] * len(self.columns)
        # The widest text in cells each column shows on one line (a wider one wraps).
        self._one_line = [one_line(c.most) for c in self.columns]
        self._open = True
        self.rows = 0  # data rows
        self._written = 0  # rows in the sheet, header and total row included
        tall = max((self._measure(i, c.head) for i, c in enumerate(self.columns)), default=1)
        self._append([self._styled(c.head, "head") for c in self.columns], tall)

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()

    def _append(self, cells: list[Any], lines: int = 1) -> None:
        """Append a row of cells, `lines` lines high (more than one: it has wrapped text). A
        spreadsheet does not grow a row for wrapped text by itself, and cuts the text."""
        self._written += 1
        if lines == 1:
            self.sheet.append(cells)
            return
        self.sheet.row_dimensions[self._written].height = LINE_HEIGHT * lines
        self.sheet.append(cells)
        del self.sheet.row_dimensions[self._written]  # written: memory stays flat

    def _styled(self, value: Any, style: str) -> Any:
        cell = self._cell(self.sheet, value)
        if style == "money":  # a number format, not a named style: twice as fast to write
            cell.number_format = MONEY_FORMAT
            return cell
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula, whatever it begins with
        cell.style = style
        return cell

    def _measure(self, i: int, value: Any) -> int:
        """Widen column `i` to show `value`; the lines `value` takes there (more than one: a
        text wider than the column may grow, which wraps)."""
        if not isinstance(value, str):
            low, high = self._low[i], self._high[i]
            if low is None or value < low:
                self._low[i] = value
            if high is None or value > high:
                self._high[i] = value
            return 1
        # No character is wider than two cells: most texts need not be measured.
        if 2 * len(value) <= min(self._wide[i], self._one_line[i]):
            return 1
        width = cell_width(value)
        self._wide[i] = max(self._wide[i], width)
        return lines(width, self.columns[i].most)

    def row(self, values: Sequence[Any], summed: bool = True) -> None:
        """Append a row: money as Decimal (or None for an empty cell), text as str. A row not
        `summed` (an article of a policy not in force) adds nothing to the total row."""
        cells: list[Any] = []
        tall = 1
        for i, value in enumerate(values):
            if value is None:
                cells.append(None)
                continue
            wraps = self._measure(i, value)
            tall = max(tall, wraps)
            if self._money[i]:
                if self._summed[i]:
                    total, add = self._sums[i], value if summed else value * 0
                    self._sums[i] = add if total is None else total + add
                cells.append(self._styled(value, "money"))
            elif wraps > 1:
                cells.append(self._styled(value, "wrap"))
            elif isinstance(value, str) and value.startswith("="):
                cell = self._cell(self.sheet, value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        self._append(cells, tall)
        self.rows += 1

    def total_row(self, label: str, at: int = 0) -> None:
        """A last row with each summed column's sum (empty when every cell in it is unknown),
        `label` in column `at`."""
        cells: list[Any] = [None] * len(self.columns)
        cells[at] = self._styled(label, "head")
        tall = self._measure(at, label)
        for i, total in enumerate(self._sums):
            if total is not None:
                cells[i] = self._styled(total, "money")
                self._measure(i, total)
        self._append(cells, tall)

    def widths(self) -> list[float]:
        """Each column's width in characters: its header and its widest cell as shown."""
        widths = []
        for i, column in enumerate(self.columns):
            numbers = (n for n in (self._low[i], self._high[i]) if n is not None)
            cells = max([self._wide[i], *(cell_width(shown(n)) for n in numbers)])
            widths.append(fitted(cells, most=column.most))
        return widths

    def save(self, handle: BinaryIO) -> None:
        """Write the workbook (a zip file) to a binary stream."""
        self._close()  # the rows' XML complete in openpyxl's spool file
        for i, width in enumerate(self.widths()):
            self.sheet.column_dimensions[column_letter(i)].width = width
        _put_columns(self.sheet)
        save_book(self.book, handle)

    def discard(self) -> None:
        """Let go of a workbook that will not be saved (a failed or interrupted run). The spool
        file itself goes with its folder (`files.spool_folder`)."""
        with contextlib.suppress(OSError, ValueError):  # a full disk: the run says so
            self._close()

    def _close(self) -> None:
        """End the sheet's rows and close its spool file, once, now and in order. Left to the
        garbage collector, openpyxl's row writer could be ended after the file it writes to had
        closed, and complain on stderr."""
        if not self._open:
            return
        self._open = False
        try:
            self.sheet.close()
        except (OSError, ValueError):  # the spool file failed (a full disk)
            writer = getattr(self.sheet, "_writer", None)
            with contextlib.suppress(OSError, ValueError):
                if writer is not None:
                    writer.xf.close()  # what is left of the sheet's XML, ended now
            raise


def save_book(book: Any, handle: BinaryIO) -> None:
    """Write an openpyxl workbook (a zip file) to a binary stream, as `Workbook.save` does, but
    with the zip closed at once when writing fails (a full disk, an interrupt): left open, it
    would try to finish itself when collected, on a stream closed by then, and say so on stderr.
    """
    import datetime as dt
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(handle, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        book.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
        ExcelWriter(book, archive).write_data()
    except BaseException:
        with contextlib.suppress(OSError, ValueError):  # the stream that failed, most likely
            archive.close()
        raise
    archive.close()


def _put_columns(sheet: Any) -> None:
    """Put a closed write-only sheet's column widths into its spooled XML.

    openpyxl writes `<cols>` before the first row, when no row's width is known yet; so the
    sheet is spooled without it, and it goes in front of `<sheetData>` (where the schema puts
    it) once every row has been seen, by one copy of the spool file."""
    from openpyxl.xml.functions import tostring

    cols = tostring(sheet.column_dimensions.to_tree())
    spooled = sheet._writer.out
    with open(spooled, "rb") as source:
        start = source.read(1 << 16)
        at = start.index(b"<sheetData")
        if b"<cols" in start[:at]:
            raise AssertionError("the sheet's widths were set before its rows")
        try:
            with open(f"{spooled}.cols", "wb") as target:
                target.write(start[:at] + cols + start[at:])
                shutil.copyfileobj(source, target, 1 << 20)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(f"{spooled}.cols")
            raise
    os.replace(f"{spooled}.cols", spooled)
