"""`.xlsx` workbooks read as a sheet's rows, bounded: a zip whose parts would expand past
MAX_PART (MAX_SHARED for the shared strings) or MAX_TOTAL is refused before anything is
inflated, a sheet holds at most MAX_CELLS cells and a cell at most MAX_CELL characters, XML with
a DOCTYPE (entity expansion) is refused, and every problem is a message naming the sheet, and
the row and column where there is one: never a traceback.

The sheet read is the workbook's active one, or its first visible one when the active sheet is
hidden. Rows stream from the sheet's XML (an incremental parser, each row dropped once read), so
memory stays flat whatever the sheet's length; only the shared strings are held.

Cells come as the values they hold: text, bool, Decimal (a number's shortest form: what was
typed), or `Refused` (a formula, an error value, a date, a number that cannot be read).
Pure: no typer, no rich, no openpyxl (only its table of number formats, to tell dates).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, BinaryIO, NamedTuple
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from subsidycli.errors import ProfileError
from subsidycli.i18n import t

MAX_PART = 1 << 30  # uncompressed bytes of one sheet's XML
MAX_SHARED = 32 << 20  # uncompressed bytes of the shared strings, which are held in memory
MAX_SMALL = 16 << 20  # uncompressed bytes of the workbook, its relationships, its styles
MAX_TOTAL = 2 << 30  # uncompressed bytes of the whole workbook
MAX_CELLS = 4_000_000  # cells of a sheet, counting the blank ones a row's width holds
MAX_CELL = 32_767  # characters in a cell: Excel's own limit
MAX_COLUMNS = 16_384  # XFD, Excel's last column
MAX_ROWS = 1_048_576
CHUNK = 1 << 16

_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class Refused(NamedTuple):
    """A workbook cell that is refused: why (a formula, an error value, a date, bad content)."""

    why: str


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    part: str  # the sheet's XML in the zip
    visible: bool


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class Workbook:
    """An `.xlsx` file opened for reading its sheets (`rows`). Raises ProfileError, naming
    `where`, for a file that is not a workbook or that would expand past the limits."""

    def __init__(self, source: BinaryIO, where: str) -> None:
        self.where = where
        try:
            self.zip = zipfile.ZipFile(source)
            infos = {info.filename: info for info in self.zip.infolist()}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            # zipfile's words are Python's, in English: say what they mean
            why = t("not a ZIP archive, as every .xlsx is") if isinstance(
                exc, zipfile.BadZipFile) else exc  # fmt: skip
            raise self.error(t("is not an Excel workbook (.xlsx) that can be read ({why}); save "
                               "it again in Excel as .xlsx, or as CSV UTF-8", why=why),
                             ) from None  # fmt: skip
        self.infos = infos
        if sum(info.file_size for info in infos.values()) > MAX_TOTAL:
            raise self.error(self._too_big(MAX_TOTAL))
        book = self._xml("xl/workbook.xml", MAX_SMALL)
        rels = self._xml("xl/_rels/workbook.xml.rels", MAX_SMALL)
        targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter() if _local(r.tag) ==
                   "Relationship"}  # fmt: skip
        self.sheets: list[SheetInfo] = []
        active = 0
        self.date1904 = False
        for element in book.iter():
            tag = _local(element.tag)
            if tag == "sheet":
                target = targets.get(element.get(_RELS) or element.get("id"), "")
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                visible = element.get("state", "visible") == "visible"
                self.sheets.append(SheetInfo(element.get("name") or "?", part, visible))
            elif tag == "workbookView":
                active = _int(element.get("activeTab"), 0)
            elif tag == "workbookPr":
                self.date1904 = element.get("date1904") in ("1", "true")
        shown = [s for s in self.sheets if s.visible]
        if not shown:
            raise self.error(t("holds no sheet that can be read (no sheet, or every sheet "
                               "hidden)"))  # fmt: skip
        self.sheet = self.sheets[active] if 0 <= active < len(self.sheets) else shown[0]
        if not self.sheet.visible:
            self.sheet = shown[0]
        self._strings: list[str] | None = None
        self._dates: frozenset[int] | None = None

    def error(self, problem: str, sheet: str | None = None) -> ProfileError:
        where = self.where if sheet is None else f"{self.where} [{sheet}]"
        return ProfileError([problem], where=where)

    def _too_big(self, limit: int) -> str:
        return t("expands to more than {size} MiB; a workbook of clients is far smaller: save it "
                 "again in Excel, or split it", size=limit >> 20)  # fmt: skip

    def _open(self, part: str, limit: int) -> IO[bytes]:
        info = self.infos.get(part)
        if info is None:
            raise self.error(t("is not a complete Excel workbook: it has no {part}; save it "
                               "again in Excel as .xlsx", part=part))  # fmt: skip
        if info.file_size > limit:  # checked before anything is inflated
            raise self.error(self._too_big(limit))
        try:
            return self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise self.error(t("cannot be read ({why}); save it again in Excel as .xlsx",
                               why=exc)) from None  # fmt: skip

    def _events(
        self, part: str, limit: int, sheet: str | None = None
    ) -> Iterator[tuple[str, Element]]:
        """The (event, element) pairs of a part's XML, read as it is inflated."""
        with self._open(part, limit) as stream:
            parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
            first = True
            try:
                while chunk := stream.read(CHUNK):
                    if first and _DOCTYPE.search(chunk):
                        raise self.error(t("{part} declares a DOCTYPE (entities), which a "
                                           "workbook never does; it is refused", part=part),
                                         sheet)  # fmt: skip
                    first = False
                    parser.feed(chunk)
                    yield from parser.read_events()  # type: ignore[misc]
                parser.close()
                yield from parser.read_events()  # type: ignore[misc]
            except (ParseError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise self.error(t("{part} is not well-formed XML ({why}); save the workbook "
                                   "again in Excel", part=part, why=exc), sheet,
                                 ) from None  # fmt: skip

    def _xml(self, part: str, limit: int) -> Element:
        root = None
        for event, element in self._events(part, limit):
            if root is None and event == "start":
                root = element
        assert root is not None
        return root

    def strings(self) -> list[str]:
        """The shared strings (each one's runs joined; phonetic runs left out)."""
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self.infos:
                root = None
                for event, element in self._events("xl/sharedStrings.xml", MAX_SHARED):
                    if root is None:
                        root = element
                    elif event == "end" and _local(element.tag) == "si":
                        self._strings.append(_text(element))
                        root.clear()  # each string read is dropped from the tree
        return self._strings

    def dates(self) -> frozenset[int]:
        """The styles (indexes into cellXfs) whose number format shows a date or a time."""
        if self._dates is None:
            from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

            custom: dict[int, str] = {}
            styles: list[int] = []
            if "xl/styles.xml" in self.infos:
                root = self._xml("xl/styles.xml", MAX_SMALL)
                for element in root.iter():
                    if _local(element.tag) == "numFmt":
                        custom[_int(element.get("numFmtId"), -1)] = element.get("formatCode") or ""
                for xfs in root.iter():
                    if _local(xfs.tag) == "cellXfs":
                        styles = [_int(xf.get("numFmtId"), 0) for xf in xfs
                                  if _local(xf.tag) == "xf"]  # fmt: skip
            self._dates = frozenset(
                i for i, fmt in enumerate(styles)
                if is_date_format(custom.get(fmt) or BUILTIN_FORMATS.get(fmt) or "General")
            )  # fmt: skip
        return self._dates

    def holds_data(self, sheet: SheetInfo) -> bool:
        """Whether a sheet has a cell with a value (read up to the first one)."""
        try:
            for event, element in self._events(sheet.part, MAX_PART, sheet.name):
                if event == "end" and _local(element.tag) in ("v", "t") and element.text:
                    return True
        except ProfileError:
            return True  # it holds something, if not something readable
        return False

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The rows of the sheet read (`self.sheet`) that hold a cell: (row number, cells)."""
        sheet = self.sheet
        strings, dates = self.strings(), self.dates()
        budget = MAX_CELLS
        number = 0
        data: Element | None = None
        for event, element in self._events(sheet.part, MAX_PART, sheet.name):
            tag = _local(element.tag)
            if event == "start":
                if tag == "sheetData":
                    data = element
                continue
            if tag != "row":
                continue
            number = _int(element.get("r"), number + 1)
            if not 0 < number <= MAX_ROWS:
                raise self.error(t("row {row} is not a row number (1 to {most})",
                                   row=element.get("r"), most=MAX_ROWS), sheet.name)  # fmt: skip
            cells = self._cells(element, number, strings, dates)
            budget -= max(len(cells), 1)
            if budget < 0:
                raise self.error(t("has more than {cells} cells; split it, or save it as CSV",
                                   cells=f"{MAX_CELLS:,}"), sheet.name)  # fmt: skip
            element.clear()
            if data is not None:
                data.clear()  # rows read are dropped: memory stays flat
            if cells:
                yield number, cells

    def _cells(
        self, row: Element, number: int, strings: list[str], dates: frozenset[int]
    ) -> list[Any]:
        cells: list[Any] = []
        for cell in row:
            if _local(cell.tag) != "c":
                continue
            ref = cell.get("r")
            column = len(cells)
            if ref is not None:
                found = _REF.fullmatch(ref)
                column = _column(found.group(1)) if found else -1
                if found is None or int(found.group(2)) != number or not 0 <= column < MAX_COLUMNS:
                    raise self.error(t("row {row}: {ref} is not a cell of this row (a column A to "
                                       "XFD and the row's number)", row=number, ref=ref),
                                     self.sheet.name)  # fmt: skip
            if column < len(cells):
                raise self.error(t("row {row}: cell {ref} comes twice or out of order", row=number,
                                   ref=ref), self.sheet.name)  # fmt: skip
            cells.extend([None] * (column - len(cells)))
            cells.append(self._value(cell, strings, dates))
        while cells and (cells[-1] is None or (type(cells[-1]) is str and cells[-1].isspace())
                         or cells[-1] == ""):  # fmt: skip
            cells.pop()
        return cells

    def _value(self, cell: Element, strings: list[str], dates: frozenset[int]) -> Any:
        kind = cell.get("t", "n")
        value = formula = None
        inline = None
        for part in cell:
            tag = _local(part.tag)
            if tag == "v":
                value = part.text or ""
            elif tag == "f":
                formula = part.text or ""
            elif tag == "is":
                inline = _text(part)
        if formula is not None:
            return Refused(t("is a formula ({formula}); copy the column and paste it as values "
                             "(Paste Special > Values)", formula=("=" + formula)[:40]))  # fmt: skip
        if kind == "inlineStr":
            return _bounded(inline or "")
        if value is None or (value == "" and kind == "n"):
            return None
        if kind == "s":
            index = _int(value, -1)
            if not 0 <= index < len(strings):
                return Refused(t("refers to shared text {index}, which the workbook does not "
                                 "have; save the workbook again in Excel",
                                 index=value[:20]))  # fmt: skip
            return _bounded(strings[index])
        if kind in ("str", "d"):
            return _bounded(value) if kind == "str" else Refused(_date_words(value))
        if kind == "b":
            return value.strip() in ("1", "true")
        if kind == "e":
            return Refused(t("is an error value ({value}); enter the number itself",
                             value=value[:20]))  # fmt: skip
        return self._number(value, _int(cell.get("s"), 0) in dates)

    def _number(self, value: str, date: bool) -> Any:
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            return Refused(t("holds {value}, which is not a number that can be read; enter the "
                             "number again", value=value[:40]))  # fmt: skip
        if date:
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

            try:
                shown = from_excel(number, CALENDAR_MAC_1904 if self.date1904 else
                                   CALENDAR_WINDOWS_1900)  # fmt: skip
            except (OverflowError, ValueError):
                shown = value
            return Refused(_date_words(shown))
        # The cell stores the digits typed; a float's shortest repr gives them back exactly.
        exact = Decimal(repr(number))
        return exact if exact != exact.to_integral_value() else Decimal(int(number))


def _date_words(value: Any) -> str:
    return t("is a date or time ({value}), not a number; format the cell as a number or text and "
             "enter the value again", value=value)  # fmt: skip


def _bounded(text: str) -> Any:
    if len(text) > MAX_CELL:
        return Refused(t("holds more than {size} characters (Excel's limit for a cell)",
                         size=f"{MAX_CELL:,}"))  # fmt: skip
    return text


def _text(element: Element) -> str:
    """The text of a rich or plain string (`<si>`, `<is>`): its `t` parts, not phonetic runs."""
    parts: list[str] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(g.text or "" for g in child if _local(g.tag) == "t")
    return "".join(parts)


def _int(text: str | None, default: int) -> int:
    if text is None or not text.isascii() or not text.strip().isdigit() or len(text) > 12:
        return default
    return int(text)


def _column(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1

