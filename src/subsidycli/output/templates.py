"""The template `subsidy init clients.csv|xlsx` writes for batch: Chinese headings (with the
choices of yes/no and choice columns), a row of field ids and an example row; in a workbook, a
dropdown on those columns and each heading's help as a comment.

Writing only: `sheets.py` reads the filled-in sheet back. No rich.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from typing import Any, BinaryIO

from subsidycli.output.xlsx import LINE_HEIGHT, column_width, lines, save_book
from subsidycli.policy import Policy
from subsidycli.sheets import EXAMPLE_NAME
from subsidycli.text import cell_width, column_letter

# A template is in Chinese whatever the language of the command (its headers are the labels the
# people who fill it in read); its yes and no are among the words read back (i18n.YES_WORDS).
YES, NO = "是", "否"
HEAD = 30  # the widest a column grows for its heading, in characters; a longer heading wraps


def template_rows(policy: Policy) -> tuple[list[str], list[str], list[Any]]:
    """The header (Chinese labels, with the choices of yes/no and choice columns in brackets),
    the ids, and an example row, for `subsidy init clients.csv|xlsx`."""
    yes_no = f"{YES}/{NO}"
    heads, ids, example = [], [], []
    for item in template_fields(policy):
        head = item.label["zh"]
        if item.type == "bool":
            head += f"（{yes_no}）"
        elif item.type == "choice":
            head += "（" + "/".join(c["zh"] for c in item.choices) + "）"
        elif item.unit:
            head += f"（{item.unit['zh']}）"
        heads.append(head)
        ids.append(item.name)
        example.append(_example(item))
    return heads, ids, example


def template_fields(policy: Policy) -> list[Any]:
    """The fields of a template's columns: the name first, then the policy's order."""
    inputs = policy.inputs
    first = [inputs["name"]] if "name" in inputs else []
    return [*first, *(i for n, i in inputs.items() if n != "name")]


def _example(item: Any) -> Any:
    """An example value for a template's example row: the input's `example` in the policy file,
    else a neutral one (no, 0, the default choice; blank for an amount or a rate)."""
    if item.name == "name":
        return EXAMPLE_NAME  # batch skips the row that bears it
    if item.type == "choice":
        default = item.example or item.default or item.choices[0]["value"]
        return str(next(c["zh"] for c in item.choices if c["value"] == default))
    if item.type == "bool":
        return NO if not item.example else YES
    if item.example is not None:
        return _cell(item.example)
    if item.type == "count":
        return 0
    return None  # an amount, a quantity, a rate (its default applies), text


def _cell(value: Any) -> Any:
    """A parsed example as a sheet's cell: a whole amount as an integer (12000000, not
    12000000.00), any other number exact."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def write_template_xlsx(policy: Policy, handle: BinaryIO) -> None:
    """The batch template as a workbook: header, ids, example row; dropdowns for yes/no and
    choice columns; each header's help as a comment."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    heads, ids, example = template_rows(policy)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "clients"
    sheet.append(heads)
    sheet.append(ids)
    sheet.append(example)
    sheet.freeze_panes = "B3"
    grey = Font(color="808080", size=9)
    for i, item in enumerate(template_fields(policy)):
        letter = column_letter(i)
        head = sheet.cell(row=1, column=i + 1)
        head.font = Font(bold=True)
        head.alignment = Alignment(wrap_text=True, vertical="top")
        head.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.cell(row=2, column=i + 1).font = grey
        # The id and the example whole, and the heading up to HEAD wide (a longer one wraps).
        sheet.column_dimensions[letter].width = max(
            column_width(heads[i], least=12, most=HEAD),
            column_width(ids[i], "" if example[i] is None else str(example[i]), most=math.inf),
        )
        if item.help:
            head.comment = Comment(f"{item.help['zh']}\n{item.help['en']}", "subsidy")
        choices = None
        if item.type == "bool":
            choices = [YES, NO]
        elif item.type == "choice":
            choices = [c["zh"] for c in item.choices]
        if choices:
            rule = DataValidation(
                type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                showErrorMessage=True, error="请从下拉列表中选择 / choose from the list",
            )  # fmt: skip
            rule.add(f"{letter}3:{letter}10000")
            sheet.add_data_validation(rule)
    tall = max((lines(cell_width(head), HEAD) for head in heads), default=1)
    sheet.row_dimensions[1].height = LINE_HEIGHT * tall
    save_book(book, handle)


def write_template_csv(policy: Policy) -> str:
    """The batch template as CSV text (the caller writes it with a BOM, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(template_rows(policy))
    return buffer.getvalue()


