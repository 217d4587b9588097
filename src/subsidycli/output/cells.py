"""Results as spreadsheet cells: the columns and cells of a batch sheet (`sheet_columns`,
`sheet_cells`), calc's sheet of one row per article (`article_sheet`), and CSV text as Excel
reads it: money as plain decimals, a field quoted only when it must be, Excel's line ending,
and no cell that a spreadsheet would run as a formula.

Strings and Decimals only: no rich, and no openpyxl (a workbook is `xlsx.py`'s).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from subsidycli import explain, money
from subsidycli.engine import (
    BASIS_WORDS,
    STATUS_WORDS,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import id_or, pick, pt, t
from subsidycli.policy import CASH_BASES, Article, Policy

TAX = "tax_deduction"  # the basis of a tax benefit: not cash, kept out of the total


CSV_COLUMNS = (
    "article", "title", "section", "status", "basis", "amount", "cap", "deduction", "tax_saving",
    "missing", "gap", "explanation",
)  # fmt: skip


class SheetColumn(NamedTuple):
    """A column of a batch sheet: its stable id, its heading in the output's language, what it
    holds ("int", "text" or "money") and whether the total row sums it."""

    id: str
    head: str
    kind: str
    summed: bool = False


def csv_heads() -> list[str]:
    """The headings of `CSV_COLUMNS`: the ids in English, words in another language."""
    return [
        pt("column", "article"), pt("column", "title"), pt("column", "section"),
        pt("column", "status"), pt("column", "basis"), pt("column", "amount"),
        pt("column", "cap"), pt("column", "deduction"), pt("column", "tax_saving"),
        pt("column", "missing"), pt("column", "gap"), pt("column", "explanation"),
    ]


def sheet_articles(policy: Policy) -> tuple[Article, ...]:
    """The articles with columns in a batch sheet, in the columns' order: the cash ones, then
    the tax items; those of a policy not in force on the day after all the others."""
    cash = [a for a in policy.articles if a.basis in CASH_BASES]
    ordered = (*cash, *(a for a in policy.articles if a.basis == TAX))
    if not policy.uncounted:
        return ordered
    lapsed = [a for a in ordered if a.id in policy.uncounted]
    return (*(a for a in ordered if a.id not in policy.uncounted), *lapsed)


def sheet_columns(policy: Policy) -> list[SheetColumn]:
    """A batch sheet's columns: line, name, total, one per cash article (they add up to the
    total), then two per tax item, `<id>.deduction` and `<id>.tax_saving`. Headings are the ids
    in English (stable for scripts), and words in another language."""
    columns = [
        SheetColumn("line", pt("column", "line"), "int"),
        SheetColumn("name", pt("column", "name"), "text"),
        SheetColumn("total", pt("column", "total"), "money", True),
    ]
    for a in sheet_articles(policy):
        if a.basis != TAX:
            columns.append(_lapsed(policy, a, SheetColumn(a.id, id_or(a.id, pick(a.title)),
                                                          "money", True)))  # fmt: skip
            continue
        parts = {"deduction": pt("column", "deduction"), "tax_saving": pt("column", "tax_saving")}
        for part, words in parts.items():
            ident = f"{a.id}.{part}"
            head = id_or(ident, t("{title} ({part})", title=pick(a.title), part=words))
            columns.append(_lapsed(policy, a, SheetColumn(ident, head, "money", True)))
    return columns


def _lapsed(policy: Policy, article: Article, column: SheetColumn) -> SheetColumn:
    """The column of an article of a policy not in force on the day, headed as such: its
    amounts are not in `total` (`<id>.not_in_force` in English)."""
    if article.id not in policy.uncounted:
        return column
    ident = f"{column.id}.not_in_force"
    head = id_or(ident, t("{heading} (not in force)", heading=column.head))
    return column._replace(id=ident, head=head)


def error_column() -> SheetColumn:
    """The last column of a batch sheet: why a record failed (empty for the others), so that
    the sheet keeps one row for each input row."""
    return SheetColumn("error", pt("column", "error"), "text")


def output_columns(policy: Policy) -> list[SheetColumn]:
    """The columns batch writes, in order: `sheet_columns`, then the error column last. (Columns
    about each record are added here, before the error column.)"""
    return [*sheet_columns(policy), error_column()]


def sheet_cells(article: Article, result: ArticleResult) -> tuple[Decimal | None, ...]:
    """An article's cells in a batch sheet: its amount (None when unknown or not stated, 0.00
    when not eligible); for a tax item, its deduction and its tax saving."""
    if article.basis == TAX:
        return (result.amount, result.tax_saving)
    return (result.amount,)


def sheet_csv_line(cells: Sequence[Any]) -> str:
    """A sheet row as a CSV line: money plain (12000000.00), text formula-safe, None empty."""
    out = []
    for cell in cells:
        if cell is None:
            out.append("")
        elif isinstance(cell, Decimal):
            out.append(money.format_plain(cell))
        else:
            out.append(csv_text(str(cell)))
    return ",".join(out) + "\r\n"


def article_sheet(evaluation: Evaluation) -> tuple[list[str], list[list[Any]]]:
    """calc's result as a sheet, one row per article: the headings (ids in English, words
    in another language) and the rows. `amount` holds cash only, so that it adds up to the
    total; a tax item's deduction and tax saving stand apart in their own columns."""
    policy = evaluation.policy
    heads = csv_heads()
    rows = []
    for result in evaluation.results:
        article = policy.article(result.article)
        assert article is not None
        tax = result.basis == "tax_deduction"
        rows.append([
            result.article, pick(article.title), article.section,
            id_or(result.status, t(STATUS_WORDS[result.status])),
            id_or(result.basis, t(BASIS_WORDS[result.basis])),
            None if tax else result.amount, result.cap, result.amount if tax else None,
            result.tax_saving, ";".join(result.missing),
            "; ".join(explain.gap_text(g, pick(policy.inputs[g.field].label))
                      for g in result.gaps),
            result.explanation,
        ])  # fmt: skip
    return heads, rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP: prefix such cells with ')."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(text: str) -> str:
    """One CSV field as the csv module writes it (quoted only when it must), formula-safe."""
    text = spreadsheet_safe(text)
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: list[str]) -> str:
    """One CSV row with Excel's line ending."""
    return ",".join(map(csv_text, cells)) + "\r\n"


def to_csv(evaluation: Evaluation) -> str:
    """One row per article (`article_sheet`), money as plain decimals, ready for a spreadsheet."""
    heads, rows = article_sheet(evaluation)
    return "".join(map(sheet_csv_line, [heads, *rows]))


