"""Workbooks written with openpyxl (imported only when one is written): `XlsxWriter` streams rows
into a one-sheet workbook in write-only mode (a frozen header, column widths, money as numbers in
a 元 format, text never a formula, a total row), and `write_xlsx` writes calc's result as one.

Writing only: reading a workbook is `sheets.py`'s. No rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
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
        Column(head, "money" if key in summed or key == "cap" else "text",
               column_width(head, *(str(r[i] or "")[:40] for r in rows), most=60), key in summed)
        for i, (head, key) in enumerate(zip(heads, CSV_COLUMNS, strict=True))
    ]  # fmt: skip
    sheet = XlsxWriter(columns, title="subsidy")
    for row in rows:  # the total row is `total`'s: of the policies in force on the day
        sheet.row(row, summed=row[0] not in evaluation.policy.uncounted)
    name = evaluation.profile.get("name")
    sheet.total_row(t("Total (maximum claimable)") + (f" — {name}" if name else ""), at=1)
    sheet.save(handle)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a written sheet: its heading, what it holds, its width in characters."""

    head: str
    kind: str  # "text", "int", "money"
    width: float
    summed: bool = False  # in the total row


MONEY_FORMAT = '#,##0.00" 元"'


class XlsxWriter:
    """Rows into a one-sheet workbook in openpyxl's write-only mode: rows go to a temporary
    file as they come, so memory stays flat however many there are. A frozen header row, column
    widths, money as numbers in a 元 format, text never a formula, an optional total row."""

    def __init__(self, columns: Sequence[Column], title: str = "results") -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, NamedStyle

        self._cell = WriteOnlyCell
        self.columns = tuple(columns)
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title[:31])
        self.sheet.freeze_panes = "A2"
        for i, column in enumerate(self.columns):
            self.sheet.column_dimensions[column_letter(i)].width = column.width
        head = NamedStyle(name="head", font=Font(bold=True), alignment=Alignment(wrap_text=True))
        self.book.add_named_style(head)
        self._money = [c.kind == "money" for c in self.columns]
        self._summed = [c.summed for c in self.columns]
        # Each summed column's sum, None while every cell in it is unknown (the total row then
        # leaves it empty: unknown is never shown as 0.00).
        self._sums: list[Decimal | None] = [None] * len(self.columns)
        self.rows = 0
        self._append([self._styled(c.head, "head") for c in self.columns])

    def _append(self, cells: list[Any]) -> None:
        self.sheet.append(cells)

    def _styled(self, value: Any, style: str) -> Any:
        cell = self._cell(self.sheet, value)
        if style == "money":  # a number format, not a named style: twice as fast to write
            cell.number_format = MONEY_FORMAT
            return cell
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula, whatever it begins with
        cell.style = style
        return cell

    def row(self, values: Sequence[Any], summed: bool = True) -> None:
        """Append a row: money as Decimal (or None for an empty cell), text as str. A row not
        `summed` (an article of a policy not in force) adds nothing to the total row."""
        cells: list[Any] = []
        for i, value in enumerate(values):
            if value is None:
                cells.append(None)
            elif self._money[i]:
                if self._summed[i]:
                    total, add = self._sums[i], value if summed else value * 0
                    self._sums[i] = add if total is None else total + add
                cells.append(self._styled(value, "money"))
            elif isinstance(value, str) and value.startswith("="):
                cell = self._cell(self.sheet, value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        self._append(cells)
        self.rows += 1

    def total_row(self, label: str, at: int = 0) -> None:
        """A last row with each summed column's sum (empty when every cell in it is unknown),
        `label` in column `at`."""
        cells: list[Any] = [None] * len(self.columns)
        cells[at] = self._styled(label, "head")
        for i, total in enumerate(self._sums):
            if total is not None:
                cells[i] = self._styled(total, "money")
        self._append(cells)

    def save(self, handle: BinaryIO) -> None:
        """Write the workbook (a zip file) to a binary stream."""
        self.book.save(handle)


def column_width(*texts: str, least: float = 8, most: float = 40) -> float:
    """A width in characters that shows each text whole (a Chinese character is two wide)."""
    widest = max(map(cell_width, texts), default=0)
    return float(min(max(widest + 2, least), most))


