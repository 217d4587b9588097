"""What every view for people draws with: `fitted_table` (a rich table that fits any terminal
width without cutting a character), `write_lines` (text wrapped to the terminal under its
indent), `console_on` (a rich console on a stream) and the cells the views share: money for
people, a result's amount and cap cells, Markdown escaping.

rich is imported inside the functions that draw, never at import, so that a command printing
JSON does not load it; nothing here computes a result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TextIO

from subsidycli import money
from subsidycli.engine import (
    BASIS_WORDS,
    ELIGIBLE,
    NEEDS_INFO,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import t
from subsidycli.policy import Policy
from subsidycli.text import wrap

TABLE_WIDTH = 110


def amount_text(amount: Decimal | None, unit: str | None = None) -> str:
    """Money for people: "20.00 万元" in Chinese, "200,000.00" in English. `unit` (`view_unit`)
    writes Chinese in the one unit of a whole view; without it, each amount in its own."""
    if amount is None:
        return "—"
    return money.format_for_people(amount, unit)


def view_unit(amounts: Iterable[Decimal | None]) -> str:
    """The one unit of a view (a summary, a sweep) that shows `amounts` ("—" for None): 万元
    when two decimals of 万元 show each of them to the fen, else 元 (`money.unit_for`)."""
    return money.unit_for(a for a in amounts if a is not None)


def escape_md(text: str) -> str:
    """`text` safe inside a Markdown table cell: no HTML tag, no column bar, on one line."""
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def markdown_table(heads: list[str], rows: list[list[str]]) -> list[str]:
    """A table of figures in Markdown, a line a row: the first column left, the others right
    (counts and amounts); the cells escaped (`escape_md`), the headings as they are."""
    lines = ["| " + " | ".join(heads) + " |", "|---" + "|---:" * (len(heads) - 1) + "|"]
    return lines + ["| " + " | ".join(escape_md(c) for c in row) + " |" for row in rows]


def console_on(file: TextIO) -> Any:
    """A rich console on `file`: a terminal's own width; piped or redirected, a fixed one."""
    from rich.console import Console

    # Piped output keeps one layout whatever the terminal, at a width that fits the table.
    return Console(file=file, highlight=False, width=None if file.isatty() else TABLE_WIDTH)


@dataclass(frozen=True)
class TableColumn:
    head: str
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class TableRow:
    cells: list[Any]  # rich Text, one per main column
    under: list[Any]  # rich Text, one per column shown under the row when space is short


# The narrowest the first (wrapping) column may get before the rows become blocks.
MIN_FIRST_COLUMN = 14


def fitted_table(
    console: Any, title: Any, columns: list[TableColumn], under: list[TableColumn],
    rows: list[TableRow], *, join_under: str | None = None, wide_order: list[int] | None = None,
) -> None:  # fmt: skip
    """Draw rows at the console's width, whatever it is, without cutting a character.

    Three layouts, the first that fits: a plain table of every column, each cell on its lines
    unbroken; rows of the main columns with the `under` columns on lines of their own beneath
    each row, across the whole width (only the first column may wrap); one block per row, each
    value on its own line under its heading. Amounts never break inside, as rich would crop
    a no-wrap cell that does not fit.

    `join_under` puts the under columns on one line, joined by it; `wide_order` orders the
    columns of the plain table (indices into main columns then under columns).
    """
    from rich import box
    from rich.cells import cell_len
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    width = console.width
    every = [*columns, *under]

    def natural(column: int, cells: list[Any]) -> int:
        lines = [every[column].head, *(line for c in cells for line in c.plain.split("\n"))]
        return max(map(cell_len, lines))

    widths = [natural(i, [row.cells[i] for row in rows]) for i in range(len(columns))]
    widths += [natural(len(columns) + i, [row.under[i] for row in rows]) for i in range(len(under))]
    if join_under is not None:  # the under columns on one line
        widths[len(columns) :] = [sum(widths[len(columns) :]) + len(join_under) * (len(under) - 1)]
    if sum(widths) + 3 * len(widths) + 1 <= width:  # borders: "│ " before, " │" after a cell
        order = wide_order or list(range(len(every)))
        multiline = any("\n" in c.plain for row in rows for c in [*row.cells, *row.under])
        table = Table(title=title, show_lines=multiline, box=box.HEAVY_HEAD)
        for number in order:
            table.add_column(every[number].head, justify=every[number].justify, no_wrap=True)
        for row in rows:
            cells = [*row.cells, *row.under]
            table.add_row(*(cells[number] for number in order))
        console.print(table)
        return
    inner = width - 4  # one column of the outer table: "│ " and " │"
    rest = sum(widths[1 : len(columns)]) + 2 * (len(columns) - 1)
    first = min(widths[0], inner - rest)
    outer = Table(title=title, show_lines=True, box=box.HEAVY_HEAD, width=width)
    # Ids and numbers in the first column must not break: it is at least as wide as the longest.
    words = (w for row in rows for w in re.findall(r"[!-~]+", row.cells[0].plain))
    if first >= max(MIN_FIRST_COLUMN, *map(len, words)):
        longest = max([first + rest, *(widths[len(columns) :])])
        size = min(width, longest + 4)
        outer = Table(title=title, show_lines=True, box=box.HEAVY_HEAD, width=size)
        first = size - 4 - rest  # the first column takes what is left

        def grid(cells: list[Any]) -> Any:
            inner_grid = Table.grid(padding=(0, 2))
            for number, column in enumerate(columns):
                inner_grid.add_column(
                    justify=column.justify, width=first if number == 0 else widths[number],
                    no_wrap=number > 0, overflow="fold",
                )  # fmt: skip
            inner_grid.add_row(*cells)
            return inner_grid

        def lines(texts: list[Any]) -> list[Any]:
            if join_under is not None:
                texts = [Text(join_under).join(texts)]
            return [Padding(_folding(t), (0, 0, 0, 2)) for t in texts]

        heads = lines([Text(c.head, style="bold") for c in under])
        outer.add_column(Group(grid([Text(c.head, style="bold") for c in columns]), *heads))
        for row in rows:
            outer.add_row(Group(grid(row.cells), *lines(row.under)))
        console.print(outer)
        return
    outer.show_header = False
    outer.add_column(overflow="fold")
    heads = [c.head for c in every[1:]]
    head_width = max(map(cell_len, heads))
    for row in rows:
        pairs = Table.grid(padding=(0, 2))
        pairs.add_column(width=head_width, no_wrap=True, style="bold")
        pairs.add_column(overflow="fold")
        for head, cell in zip(heads, [*row.cells[1:], *row.under], strict=True):
            pairs.add_row(head, _folding(cell))
        outer.add_row(Group(_folding(row.cells[0]), pairs))
    console.print(outer)


def figures_table(console: Any, title: str, heads: list[str], rows: list[list[str]]) -> None:
    """Draw a table of figures under its title in bold (`fitted_table`): the first column left,
    the others right (counts and amounts). An empty title: the caller has printed it."""
    from rich.text import Text

    columns = [TableColumn(head, "left" if i == 0 else "right") for i, head in enumerate(heads)]
    fitted_table(console, Text(title, style="bold") if title else None, columns, [],
                 [TableRow([Text(cell) for cell in row], []) for row in rows])  # fmt: skip


def _folding(text: Any) -> Any:
    """Text that wraps at spaces and folds a word longer than the line, never crops it."""
    text = text.copy()
    text.overflow = "fold"
    return text


def write_lines(text: str, file: TextIO) -> None:
    """Text for a reader: on a terminal, each line wrapped to its width under its own indent
    (a long source sentence stays readable at 80 columns); piped, exactly as it is."""
    if not file.isatty():
        file.write(text)
        return
    import shutil

    width = max(shutil.get_terminal_size().columns, 20)
    for line in text.splitlines():
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        for piece in wrap(body, width - len(indent)):
            file.write(f"{indent}{piece}\n")
    file.flush()


def amount_cell(result: ArticleResult) -> str:
    """A result's amount as a table shows it: "?" while information is missing, "—" where none
    is stated, and a tax item's saving on a line of its own."""
    if result.status == NEEDS_INFO:
        return "?"
    if result.amount is None:
        return "—"
    text = amount_text(result.amount)
    if result.tax_saving is not None:
        saved = amount_text(result.tax_saving)
        text += "\n(" + t("tax saved") + f" {saved})"
    if result.minimum is not None:  # a range: the most above, the least below it
        text += "\n(" + t("at least") + f" {amount_text(result.minimum)})"
    return text


def cap_cell(result: ArticleResult) -> str:
    """A result's basis in words and, where it has one, its cap: "up to 200,000.00", "fixed 5.00",
    "tax benefit"; a range's most, "range up to 200,000.00" (its least is the amount's
    "at least")."""
    words = cap_words(result)
    return words if result.cap is None else f"{words} {amount_text(result.cap)}"


def cap_words(result: ArticleResult) -> str:
    """The words before a result's cap: its basis ("up to", "fixed"), or "range up to" before a
    range's most."""
    if result.basis == "range" and result.cap is not None:
        return t("range up to")
    return t(BASIS_WORDS[result.basis])


def total_note(evaluation: Evaluation) -> str:
    """What the cash total is, said after it: no more than the known articles' while some of
    the policies in force need information (it may grow), nothing while none is in force;
    "" when it is all there is."""
    policy = evaluation.policy
    if lapsed_note(policy):
        return lapsed_note(policy)
    unknown = sum(r.status == NEEDS_INFO and r.article not in policy.uncounted
                  for r in evaluation.results)  # fmt: skip
    if unknown:  # the total is a floor: articles still to be settled may add to it
        return t(" (known articles only; {count} more need information)", count=unknown)
    return ""


def lapsed_note(policy: Policy) -> str:
    """Said after a cash total of 0 when no policy shown is in force on the day; "" else."""
    uncounted = policy.uncounted
    if not uncounted or any(a.id not in uncounted for a in policy.articles):
        return ""
    return t(" (no policy shown is in force on {day}: nothing counts)",
             day=str(policy.evaluated_on))  # fmt: skip


def is_tax(result: ArticleResult) -> bool:
    """A tax benefit (an extra deduction): shown apart from cash, never in the cash total."""
    return result.basis == "tax_deduction"


def tax_cells(result: ArticleResult) -> tuple[str, str]:
    """A tax benefit's extra deduction and tax saved, as its own table shows them: "?" while
    information is missing (unknown is never shown as none), "—" where there is none."""
    if result.status == NEEDS_INFO:
        return "?", "?"
    if result.status != ELIGIBLE or result.amount is None:
        return "—", "—"
    if result.tax_saving is not None:
        saved = amount_text(result.tax_saving)
    else:  # a saving that waits for an answer is unknown; one the policy does not state, none
        saved = "?" if result.missing else "—"
    return amount_text(result.amount), saved


