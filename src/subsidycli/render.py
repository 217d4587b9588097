"""The one place that turns evaluations into output: table, JSON, CSV, Markdown, HTML.

JSON keys are English and stable (SPEC.md); labels follow the language. Rich is imported only
when a table is drawn, Jinja2 only when an HTML report is rendered.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple, TextIO

from subsidycli import explain, money
from subsidycli.engine import (
    ELIGIBLE,
    INFO,
    NEEDS_INFO,
    NOT_ELIGIBLE,
    ZERO,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import word
from subsidycli.policy import CASH_BASES, Article, Policy

if TYPE_CHECKING:
    from subsidycli.summary import ArticleTally, Summary

TABLE_WIDTH = 110
SHOWN_BY_DEFAULT = frozenset({ELIGIBLE, NEEDS_INFO})
TAX = "tax_deduction"  # the basis of a tax benefit: not cash, kept out of the total
CSV_COLUMNS = (
    "article", "title", "section", "status", "basis", "amount", "cap", "deduction", "tax_saving",
    "missing", "gap", "explanation",
)  # fmt: skip


def _plain(amount: Decimal | None) -> str | None:
    return None if amount is None else money.format_plain(amount)


def gap_entries(policy: Policy, result: ArticleResult, lang: str) -> list[dict[str, Any]]:
    """The threshold gaps of a result as JSON objects."""
    entries = []
    for gap in result.gaps:
        label = policy.inputs[gap.field].label[lang]
        entries.append({
            "field": gap.field, "value": _plain(gap.value), "threshold": _plain(gap.threshold),
            "inclusive": gap.inclusive, "short_by": _plain(gap.short_by),
            "text": explain.gap_text(gap, label, lang),
        })  # fmt: skip
    return entries


def result_dict(
    policy: Policy, result: ArticleResult, lang: str, article: Article | None = None
) -> dict[str, Any]:
    """One article's result as SPEC's JSON object (plus a few documented extra keys).

    `article` is the result's article when the caller has it at hand (saves a lookup).
    """
    if article is None:
        article = policy.article(result.article)
    assert article is not None and article.id == result.article
    entry: dict[str, Any] = {
        "article": article.id,
        "policy": article.policy,
        "title": article.title[lang],
        "section": article.section,
        "status": result.status,
        "basis": article.basis,
        "amount": _plain(result.amount),
        "cap": _plain(result.cap),
        "explanation": result.explanation,
        "missing": list(result.missing),
        "source": article.source,
    }
    _add_details(entry, policy, article, result, lang)
    if article.note:
        entry["note"] = article.note[lang]
    if article.overridden:
        entry["overridden"] = sorted(article.overridden)
    return entry


def _add_details(
    entry: dict[str, Any], policy: Policy, article: Article, result: ArticleResult, lang: str
) -> dict[str, Any]:
    """The keys a result has where they apply: tax_saving, count, tier, gap (calc's and batch's)."""
    if article.basis == "tax_deduction":
        entry["tax_saving"] = _plain(result.tax_saving)
    if article.count:
        entry["count"] = result.count
    if article.tiers:  # the tier that pays, 1 the first; null when none does (yet)
        entry["tier"] = result.tier
    if result.gaps:
        entry["gap"] = gap_entries(policy, result, lang)
    return entry


def evaluation_dict(
    evaluation: Evaluation, receipt: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The whole evaluation as SPEC's JSON object."""
    policy, lang = evaluation.policy, evaluation.lang
    data: dict[str, Any] = {
        "policy": {"id": policy.id, "title": policy.title[lang]},
        "name": evaluation.profile.get("name"),
        "results": [
            result_dict(policy, r, lang, a)
            for a, r in zip(policy.articles, evaluation.results, strict=True)
        ],
        "total": money.format_plain(evaluation.total),
        "missing": list(evaluation.missing),
    }
    if evaluation.assumed:
        data["assumed"] = list(evaluation.assumed)
    if receipt is not None:
        data["receipt"] = dict(receipt)
    return data


# ---------------------------------------------------------------------------------------------
# Batch output: one record per profile, as JSON Lines, CSV or a workbook (see batch.py)


class SheetColumn(NamedTuple):
    """A column of a batch sheet: its stable id, its heading in the output's language, what it
    holds ("int", "text" or "money") and whether the total row sums it."""

    id: str
    head: str
    kind: str
    summed: bool = False


def sheet_articles(policy: Policy) -> tuple[Article, ...]:
    """The articles with columns in a batch sheet, in the columns' order: the cash ones, then
    the tax items."""
    cash = [a for a in policy.articles if a.basis in CASH_BASES]
    return (*cash, *(a for a in policy.articles if a.basis == TAX))


def sheet_columns(policy: Policy, lang: str) -> list[SheetColumn]:
    """A batch sheet's columns: line, name, total, one per cash article (they add up to the
    total), then two per tax item, `<id>.deduction` and `<id>.tax_saving`. Headings are the ids
    in English (stable for scripts) and Chinese labels under zh."""
    zh = lang == "zh"
    columns = [
        SheetColumn("line", word(lang, "sheet.line"), "int"),
        SheetColumn("name", word(lang, "sheet.name"), "text"),
        SheetColumn("total", word(lang, "sheet.total"), "money", True),
    ]
    for a in sheet_articles(policy):
        if a.basis != TAX:
            columns.append(SheetColumn(a.id, a.title["zh"] if zh else a.id, "money", True))
            continue
        for part in ("deduction", "tax_saving"):
            head = f"{a.title['zh']}（{word(lang, 'sheet.' + part)}）" if zh else f"{a.id}.{part}"
            columns.append(SheetColumn(f"{a.id}.{part}", head, "money", True))
    return columns


def sheet_cells(article: Article, result: ArticleResult) -> tuple[Decimal | None, ...]:
    """An article's cells in a batch sheet: its amount (None when unknown or not stated, 0.00
    when not eligible); for a tax item, its deduction and its tax saving."""
    if article.basis == TAX:
        return (result.amount, result.tax_saving)
    return (result.amount,)


class Writer:
    """A batch output format.

    `show` renders one article's result, once: batch keeps the rendering beside the result in
    its memo, for every record that shares it. `encode` renders a record from its evaluation
    and the renderings of `articles`, in that order. Both run where records are evaluated (a
    `--jobs` worker); `start`, `write` (a chunk of encoded records, in input order) and `finish`
    handle the output stream, in the process that reads the input.
    """

    explained = gaps = False  # whether results need their explanations, their gaps

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        self.policy, self.lang, self.explain = policy, lang, explain
        self.articles: tuple[Article, ...] = ()

    def show(self, article: Article, result: ArticleResult) -> Any:
        raise NotImplementedError

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        raise NotImplementedError

    def start(self, out: BinaryIO) -> None:
        """Begin the output (a header)."""

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        out.write(b"".join(encoded))

    def finish(self, out: BinaryIO) -> None:
        """End the output."""


class JsonLinesWriter(Writer):
    """One compact JSON object a line (UTF-8, Chinese not escaped): the lean record of SPEC.md
    (article, status, amount, cap, missing; tax_saving, count, gap where they apply; no
    `info` article, whose result is the same for every profile), or with `explain` calc's
    results. An article's result is rendered as JSON once, an `orjson.Fragment` that records
    include as it is."""

    gaps = True  # lean records show them

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        import orjson

        super().__init__(policy, lang, explain)
        self.articles = policy.articles if explain else money_articles(policy)
        self.explained = explain
        self._dumps, self._fragment = orjson.dumps, orjson.Fragment
        self._newline = orjson.OPT_APPEND_NEWLINE

    def show(self, article: Article, result: ArticleResult) -> Any:
        if self.explain:
            entry = result_dict(self.policy, result, self.lang, article)
        else:
            entry = {"article": article.id, "status": result.status,
                     "amount": _plain(result.amount), "cap": _plain(result.cap),
                     "missing": result.missing}  # fmt: skip
            _add_details(entry, self.policy, article, result, self.lang)
        # Kept in batch's memo: a copy of the exact size, as orjson's bytes keep the capacity of
        # its write buffer (4 kB each, measured), which 4,096 results an article would multiply.
        return self._fragment(bytes(memoryview(self._dumps(entry))))

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> bytes:
        record = {"line": line, "name": evaluation.profile.get("name"),
                  "total": money.format_plain(evaluation.total), "missing": evaluation.missing,
                  "results": shown}  # fmt: skip
        return self._dumps(record, option=self._newline)


class CsvWriter(Writer):
    """One row a record under `sheet_columns`: line, name, total, each cash article's amount
    (empty when unknown, 0.00 when not eligible), then each tax item's deduction and tax
    saving. Money is plain (12000000.00), text formula-safe."""

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        super().__init__(policy, lang, explain)
        self.articles = sheet_articles(policy)

    def show(self, article: Article, result: ArticleResult) -> Any:
        cells = sheet_cells(article, result)
        return tuple("" if cell is None else money.format_plain(cell) for cell in cells)

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        name = evaluation.profile.get("name")
        total = money.format_plain(evaluation.total)
        cells = [str(line), "" if name is None else csv_text(name), total, *itertools.chain(*shown)]
        return (",".join(cells) + "\r\n").encode()

    def start(self, out: BinaryIO) -> None:
        out.write(csv_line([c.head for c in sheet_columns(self.policy, self.lang)]).encode())


class WorkbookWriter(CsvWriter):
    """The CSV's rows in a workbook (`sheets.XlsxWriter`): numbers as numbers in a 元 format, a
    frozen header, a total row. Rows stream to a temporary file; the workbook is written to
    the output when the run ends."""

    def show(self, article: Article, result: ArticleResult) -> Any:
        return sheet_cells(article, result)

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        name = evaluation.profile.get("name")  # plain values: they cross --jobs
        return [line, name, evaluation.total, *itertools.chain(*shown)]

    def start(self, out: BinaryIO) -> None:
        from subsidycli import sheets

        self.sheet = sheets.XlsxWriter(
            [sheets.Column(c.head, c.kind, sheets.column_width(c.head, least=10, most=30),
                           c.summed) for c in sheet_columns(self.policy, self.lang)],
            title=self.policy.id,
        )  # fmt: skip

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        for row in encoded:
            self.sheet.row(row)

    def finish(self, out: BinaryIO) -> None:
        self.sheet.total_row(word(self.lang, "sheet.total"), at=1)
        self.sheet.save(out)


WRITERS: dict[str, type[Writer]] = {
    "jsonl": JsonLinesWriter, "csv": CsvWriter, "xlsx": WorkbookWriter,
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Sheets: calc's result as CSV rows and as a workbook


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
    """calc's result as a sheet, one row per article: the headings (ids in English, Chinese
    under zh) and the rows. `amount` holds cash only, so that it adds up to the total; a tax
    item's deduction and tax saving stand apart in their own columns."""
    lang, policy = evaluation.lang, evaluation.policy
    zh = lang == "zh"
    heads = [word(lang, f"sheet.{c}") for c in CSV_COLUMNS]
    rows = []
    for result in evaluation.results:
        article = policy.article(result.article)
        assert article is not None
        tax = result.basis == "tax_deduction"
        rows.append([
            result.article, article.title[lang], article.section,
            word(lang, f"status.{result.status}") if zh else result.status,
            word(lang, f"basis.{result.basis}") if zh else result.basis,
            None if tax else result.amount, result.cap, result.amount if tax else None,
            result.tax_saving, ";".join(result.missing),
            "; ".join(explain.gap_text(g, policy.inputs[g.field].label[lang], lang)
                      for g in result.gaps),
            result.explanation,
        ])  # fmt: skip
    return heads, rows


def write_xlsx(evaluation: Evaluation, handle: BinaryIO) -> None:
    """calc's result as a workbook: `article_sheet`'s rows, money as numbers in a 元 format,
    then a total row (the cash amounts add up to the total; the tax columns are summed apart)."""
    from subsidycli.sheets import Column, XlsxWriter, column_width

    heads, rows = article_sheet(evaluation)
    summed = {"amount", "deduction", "tax_saving"}
    columns = [
        Column(head, "money" if key in summed or key == "cap" else "text",
               column_width(head, *(str(r[i] or "")[:40] for r in rows), most=60), key in summed)
        for i, (head, key) in enumerate(zip(heads, CSV_COLUMNS, strict=True))
    ]  # fmt: skip
    sheet = XlsxWriter(columns, title="subsidy")
    for row in rows:
        sheet.row(row)
    name = evaluation.profile.get("name")
    sheet.total_row(word(evaluation.lang, "total") + (f" — {name}" if name else ""), at=1)
    sheet.save(handle)


def money_articles(policy: Policy) -> tuple[Article, ...]:
    """The articles with an amount (basis other than `info`): the results of a lean record."""
    return tuple(a for a in policy.articles if a.basis != "info")


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


def text(
    evaluation: Evaluation, fmt: str, show_all: bool, receipt: Mapping[str, Any] | None = None
) -> str:
    """An evaluation in one of the formats `table`, `json`, `csv`, `markdown`, `html`, as text."""
    if fmt == "html":
        return to_html(evaluation, receipt)
    if fmt == "json":
        return to_json(evaluation, receipt)
    if fmt == "csv":
        return to_csv(evaluation)
    if fmt == "markdown":
        return to_markdown(evaluation, show_all, receipt)
    buffer = io.StringIO()
    print_table(evaluation, show_all, buffer, receipt)
    return buffer.getvalue()


def write(
    evaluation: Evaluation, fmt: str, show_all: bool, file: TextIO,
    receipt: Mapping[str, Any] | None = None,
) -> None:  # fmt: skip
    """Write an evaluation to a stream; a table is drawn for the stream's own width."""
    if fmt == "table":
        print_table(evaluation, show_all, file, receipt)
    else:
        file.write(text(evaluation, fmt, show_all, receipt))
    file.flush()


def print_json(data: Any, file: TextIO) -> None:
    """Any JSON-ready data (articles, explain, schema, diff), pretty and UTF-8."""
    file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def to_json(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> str:
    """Pretty JSON, UTF-8 text (Chinese is not escaped)."""
    return json.dumps(evaluation_dict(evaluation, receipt), ensure_ascii=False, indent=2) + "\n"


def to_csv(evaluation: Evaluation) -> str:
    """One row per article (`article_sheet`), money as plain decimals, ready for a spreadsheet."""
    heads, rows = article_sheet(evaluation)
    return "".join(map(sheet_csv_line, [heads, *rows]))


def _shown(evaluation: Evaluation, show_all: bool) -> list[ArticleResult]:
    return [r for r in evaluation.results if show_all or r.status in SHOWN_BY_DEFAULT]


def amount_text(amount: Decimal | None, lang: str) -> str:
    """Money for people: "20.00 万元" in Chinese, "200,000.00" in English."""
    if amount is None:
        return "—"
    return money.format_for_people(amount, lang)


def _amount_cell(result: ArticleResult, lang: str) -> str:
    if result.status == NEEDS_INFO:
        return "?"
    if result.amount is None:
        return "—"
    text = amount_text(result.amount, lang)
    if result.tax_saving is not None:
        saved = amount_text(result.tax_saving, lang)
        text += f"\n({word(lang, 'tax_saved')} {saved})"
    return text


def _cap_cell(result: ArticleResult, lang: str) -> str:
    basis = word(lang, f"basis.{result.basis}")
    if result.cap is None:
        return basis
    return f"{basis} {amount_text(result.cap, lang)}"


def _lines_after(evaluation: Evaluation, shown: int, show_all: bool) -> list[str]:
    lang, policy = evaluation.lang, evaluation.policy
    total = f"{word(lang, 'total')}: {amount_text(evaluation.total, lang)}"
    unknown = sum(r.status == NEEDS_INFO for r in evaluation.results)
    if unknown:  # the total is a floor: articles still to be settled may add to it
        total += word(lang, "total_known_only", count=unknown)
    lines = [total, word(lang, "total_note")]
    gaps = [
        explain.gap_text(g, policy.inputs[g.field].label[lang], lang)
        for r in evaluation.results
        for g in r.gaps
    ]
    for text in dict.fromkeys(gaps):
        lines.append(word(lang, "gap_label") + text)
    if evaluation.missing:
        labels = [policy.inputs[n].label[lang] for n in evaluation.missing]
        lines.append(word(lang, "missing") + " " + word(lang, "and").join(labels))
    elif evaluation.assumed:
        labels = [policy.inputs[n].label[lang] for n in evaluation.assumed]
        lines.append(word(lang, "assumed") + " " + word(lang, "and").join(labels))
    else:
        lines.append(word(lang, "none_missing"))
    if not show_all:
        lines.append(word(lang, "shown", shown=shown, all=len(evaluation.results)))
    return lines


def receipt_line(receipt: Mapping[str, Any] | None) -> str:
    """The short form of a receipt for a table's footer."""
    if not receipt:
        return ""
    policies = ", ".join(
        f"{p['id']} sha256:{p['sha256'][:12]}" for p in receipt.get("policies", [])
    )
    parts = [
        f"{receipt.get('tool')} {receipt.get('version')}",
        policies,
        str(receipt.get("evaluated_on")),
    ]
    if receipt.get("profile_sha256"):
        parts.append(f"profile sha256:{receipt['profile_sha256'][:12]}")
    overrides = receipt.get("overrides")
    if overrides:
        parts.append("overrides: " + ", ".join(f"{k}={v}" for k, v in overrides.items()))
    return " · ".join(p for p in parts if p)


def to_markdown(
    evaluation: Evaluation, show_all: bool, receipt: Mapping[str, Any] | None = None
) -> str:
    """A Markdown report: a table of the applicable articles, the total and what is missing."""
    lang = evaluation.lang
    heads = [word(lang, f"col.{c}") for c in ("article", "status", "amount", "cap", "explanation")]
    out = [f"## {evaluation.policy.title[lang]}", ""]
    name = evaluation.profile.get("name")
    if name:
        out += [f"**{_md(str(name))}**", ""]
    out += ["| " + " | ".join(heads) + " |", "|---|---|---:|---:|---|"]
    shown = _shown(evaluation, show_all)
    for r in shown:
        article = evaluation.policy.article(r.article)
        assert article is not None
        cells = [
            f"{article.title[lang]} (`{r.article}`)",
            word(lang, f"status.{r.status}"),
            _amount_cell(r, lang).replace("\n", " "),
            _cap_cell(r, lang),
            r.explanation,
        ]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    out.append("")
    lines = _lines_after(evaluation, len(shown), show_all)
    out.append(f"**{lines[0]}**")
    out += [f"- {line}" for line in lines[1:]]
    if receipt:
        out += ["", f"<sub>{receipt_line(receipt)}</sub>"]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def print_table(
    evaluation: Evaluation, show_all: bool, file: TextIO, receipt: Mapping[str, Any] | None = None
) -> None:
    """Draw the results for the width at hand, losing no character (see `fitted_table`)."""
    from rich.text import Text

    lang, policy = evaluation.lang, evaluation.policy
    console = _console(file)
    heads = [word(lang, f"col.{c}") for c in ("article", "status", "amount", "cap", "explanation")]
    styles = {ELIGIBLE: "green", NEEDS_INFO: "yellow", INFO: "dim"}
    rows = []
    for r in _shown(evaluation, show_all):
        article = policy.article(r.article)
        assert article is not None
        label = Text(article.title[lang])
        label.append(f"\n{r.article}", style="dim")
        if article.overridden:
            label.append(f"\n✱ --override {', '.join(sorted(article.overridden))}", style="magenta")
        status = Text(word(lang, f"status.{r.status}"), style=styles.get(r.status, "red"))
        cells = [label, status, Text(_amount_cell(r, lang)), Text(_cap_cell(r, lang))]
        rows.append(TableRow(cells, [Text(r.explanation)]))
    name = evaluation.profile.get("name")
    # Text, not markup: a name like "[/]" or "[link=…]" is shown as written.
    title = Text(policy.title[lang] + (f"\n{name}" if name else ""), style="bold")
    columns = [TableColumn(heads[0]), TableColumn(heads[1]), TableColumn(heads[2], "right"),
               TableColumn(heads[3], "right")]  # fmt: skip
    fitted_table(console, title, columns, [TableColumn(heads[4])], rows)
    lines = _lines_after(evaluation, len(rows), show_all)
    console.print(Text(lines[0], style="bold"))
    for line in lines[1:]:
        console.print(Text(line))
    if receipt:
        console.print(Text(receipt_line(receipt), style="dim"))


def _console(file: TextIO) -> Any:
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


def _folding(text: Any) -> Any:
    """Text that wraps at spaces and folds a word longer than the line, never crops it."""
    text = text.copy()
    text.overflow = "fold"
    return text


# ---------------------------------------------------------------------------------------------
# HTML: a printable report, one self-contained file (report.html.j2 beside this module)

CHART_WIDTH = 720  # the SVG's own units; it scales to the page
CHART_ROW = 42  # a label line, then its bar
CHART_FONT = 13  # the labels' size in the SVG's units
STATUS_MARKS = {ELIGIBLE: "✓", NEEDS_INFO: "?", NOT_ELIGIBLE: "✗", INFO: "·"}


def to_html(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> str:
    """A report for people to print or forward: every article, a chart, the open questions.

    Self-contained (CSS inline, an SVG chart, no script, no network); every text from the profile
    or the policy is escaped by Jinja2's autoescape.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("subsidycli", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(report_view(evaluation, receipt))


def report_view(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the HTML report shows, as plain values: texts in the evaluation's language."""
    lang, policy = evaluation.lang, evaluation.policy
    pairs = list(zip(policy.articles, evaluation.results, strict=True))
    counts = {s: sum(r.status == s for r in evaluation.results) for s in STATUS_MARKS}
    tax = [
        {"title": a.title[lang], "deduction": amount_text(r.amount, lang),
         "saving": amount_text(r.tax_saving, lang) if r.tax_saving is not None else "?"}
        for a, r in pairs
        if r.status == ELIGIBLE and a.basis == "tax_deduction"
    ]  # fmt: skip
    name = evaluation.profile.get("name")
    return {
        "lang": lang,
        "t": functools.partial(word, lang),
        "name": str(name) if name else None,
        "policy": {
            "id": policy.id,
            "title": policy.title[lang],
            "issuer": policy.meta.issuer[lang] if policy.meta.issuer else None,
        },
        "total": amount_text(evaluation.total, lang),
        "counts": counts,
        "tax": tax,
        "chart": _chart(pairs, lang),
        "unstated": [a.title[lang] for a, r in pairs if r.status == ELIGIBLE and r.amount is None],
        "sections": _report_sections(policy, pairs, lang),
        "questions": _questions(evaluation),
        "assumed": [policy.inputs[n].label[lang] for n in evaluation.assumed],
        "gaps": [
            {
                "article": a.title[lang],
                "value": amount_text(g.value, lang),
                "threshold": amount_text(g.threshold, lang),
                "inclusive": g.inclusive,
                "short_by": amount_text(g.short_by, lang),
                "text": explain.gap_text(g, policy.inputs[g.field].label[lang], lang),
            }
            for a, r in pairs
            for g in r.gaps
        ],
        "receipt": _receipt_rows(receipt, lang),
    }


def _money(amount: Decimal | None, lang: str) -> str | None:
    """Money for people, or None (not "—") where there is none: the template leaves it out."""
    return None if amount is None else amount_text(amount, lang)


def _chart(pairs: list[tuple[Article, ArticleResult]], lang: str) -> dict[str, Any] | None:
    """Bars of the eligible amounts, largest first; None when no article has one."""
    bars = sorted(
        ((a, r) for a, r in pairs if r.status == ELIGIBLE and r.amount is not None),
        key=lambda pair: -(pair[1].amount or 0),
    )
    if not bars:
        return None
    largest = max(r.amount or 0 for _, r in bars) or Decimal(1)
    rows = []
    for i, (article, result) in enumerate(bars):
        assert result.amount is not None
        shown = amount_text(result.amount, lang)
        if result.tax_saving is not None:
            shown += f" ({word(lang, 'tax_saved')} {amount_text(result.tax_saving, lang)})"
        rows.append({
            "title": article.title[lang],
            "label": _fit(article.title[lang], CHART_WIDTH / CHART_FONT - _ems(shown) - 1),
            "amount": shown,
            "y": i * CHART_ROW,
            "width": round(float(result.amount / largest) * CHART_WIDTH, 1),
            "tax": article.basis == "tax_deduction",
        })  # fmt: skip
    return {
        "width": CHART_WIDTH, "height": len(rows) * CHART_ROW, "rows": rows,
        "cash": not all(row["tax"] for row in rows), "tax": any(row["tax"] for row in rows),
    }  # fmt: skip


def _ems(text: str) -> float:
    """About how wide a text is, in em: CJK characters are square, others about half as wide."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _fit(text: str, ems: float) -> str:
    """`text`, cut with an ellipsis to about `ems` wide: an SVG label does not wrap, and a
    policy's title may be long (the table below shows it whole)."""
    if _ems(text) <= ems:
        return text
    while text and _ems(text) > ems - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def _report_sections(
    policy: Policy, pairs: list[tuple[Article, ArticleResult]], lang: str
) -> list[dict[str, Any]]:
    """Every article's row, grouped under its section heading in the policy's order. Of several
    policies (--policy twice), each policy's first section carries the policy's title, and the
    sections are numbered as in their own policy (combine's "policy-id/1.1" is "1.1")."""
    parts = {p.id: p for p in policy.parts}
    sections: dict[str, dict[str, Any]] = {}
    for article, result in pairs:
        section = sections.get(article.section)
        if section is None:
            heading = policy.sections.get(article.section)
            part, _, number = article.section.rpartition("/") if parts else ("", "", "")
            first = parts and not any(s["part"] == part for s in sections.values())
            section = sections[article.section] = {
                "id": number or article.section, "title": heading[lang] if heading else "",
                "part": part, "policy": parts[part].title[lang] if first else None, "rows": [],
            }  # fmt: skip
        if result.status == ELIGIBLE:
            amount = amount_text(result.amount, lang)
        else:
            amount = "?" if result.status == NEEDS_INFO else "—"
        section["rows"].append({
            "id": article.id,
            "title": article.title[lang],
            "status": result.status,
            "mark": STATUS_MARKS[result.status],
            "status_text": word(lang, f"status.{result.status}"),
            "amount": amount,
            "saving": _money(result.tax_saving, lang) if result.status == ELIGIBLE else None,
            "basis": word(lang, f"basis.{result.basis}"),
            "cap": _money(result.cap, lang),
            "explanation": result.explanation,
            "source": article.source,
        })  # fmt: skip
    return list(sections.values())


def _questions(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The missing fields, in the interview's order, each with the articles it could settle."""
    lang, policy = evaluation.lang, evaluation.policy
    out = []
    for name in evaluation.missing:
        item = policy.inputs[name]
        settles = [
            {"title": a.title[lang],
             "cap": _cap_cell(r, lang)}
            for a, r in zip(policy.articles, evaluation.results, strict=True)
            if name in r.missing
        ]  # fmt: skip
        out.append({
            "field": name,
            "label": item.label[lang],
            "help": item.help[lang] if item.help else "",
            "how": word(lang, f"iv.how.{item.type}"),
            "settles": settles,
        })  # fmt: skip
    return out


def _receipt_rows(receipt: Mapping[str, Any] | None, lang: str) -> list[tuple[str, str]]:
    """The receipt as labelled lines: what the result was computed from, in full."""
    if not receipt:
        return []
    rows = [(word(lang, "report.r.tool"), f"{receipt.get('tool')} {receipt.get('version')}")]
    for item in receipt.get("policies", []):
        rows.append((word(lang, "report.r.policy"), f"{item['id']} ({item['file']})"))
        rows.append((word(lang, "report.r.sha256"), str(item["sha256"])))
    rows.append((word(lang, "report.r.date"), str(receipt.get("evaluated_on"))))
    if receipt.get("profile_sha256"):
        rows.append((word(lang, "report.r.profile"), str(receipt["profile_sha256"])))
    overrides = receipt.get("overrides") or {}
    shown = ", ".join(f"{k}={v}" for k, v in overrides.items()) or word(lang, "report.r.none")
    rows.append((word(lang, "report.r.overrides"), shown))
    return rows


# ---------------------------------------------------------------------------------------------
# Policy views: articles, explain, diff


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
        for piece in wrap_cells(body, width - len(indent)) or [""]:
            file.write(f"{indent}{piece}\n")
    file.flush()


_TOKENS = re.compile(r"[!-~]+|\s+|.")  # a word of ASCII, a run of spaces, or one other character


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal cells: Chinese may break between any two
    characters, an ASCII word (a number, an id) only when it is longer than a line."""
    from rich.cells import cell_len

    lines: list[str] = []
    line, used = "", 0
    for token in _TOKENS.findall(text):
        size = cell_len(token)
        if used + size <= width:
            line, used = line + token, used + size
            continue
        if token.isspace():  # a break: the space goes
            lines.append(line.rstrip())
            line, used = "", 0
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0
        while cell_len(token) > width:  # longer than a line: fold it
            cut = max(1, next(i for i in range(len(token), 0, -1) if cell_len(token[:i]) <= width))
            lines.append(token[:cut])
            token = token[cut:]
        line, used = token, cell_len(token)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines if text else []


def articles_text(rows: list[dict[str, Any]], lang: str, file: TextIO) -> None:
    """The list of articles as a table that fits the width at hand (see `fitted_table`)."""
    from rich.text import Text

    zh = lang == "zh"
    heads = [("编号", "Id"), ("章节", "§"), ("上限", "Cap"), ("条款", "Title"), ("申报主体", "Who"),
             ("方式", "Basis")]  # fmt: skip
    columns = [TableColumn(zh_head if zh else en_head) for zh_head, en_head in heads]
    columns[2] = TableColumn(columns[2].head, "right")
    table_rows = []
    for row in rows:
        cap = amount_text(Decimal(row["cap"]), lang) if row["cap"] else "—"
        if row["cap"] and row["per_item"]:
            cap += " / 项" if zh else " each"
        cells = [Text(row["id"]), Text(row["section"]), Text(cap)]
        basis = word(lang, f"basis.{row['basis']}")
        under = [Text(row["title"]), Text(row["who_text"]), Text(basis)]
        table_rows.append(TableRow(cells, under))
    fitted_table(
        _console(file), None, columns[:3], columns[3:], table_rows, join_under=" · ",
        wide_order=[0, 1, 3, 4, 5, 2],
    )  # fmt: skip


HEADS = ("source", "who", "basis", "condition", "amount", "cap", "values", "inputs", "note",
         "not_stated", "example", "tax")  # fmt: skip


def explain_text(data: Mapping[str, Any], lang: str) -> str:
    """One article explained for a reader: source, who, condition, formula, inputs, example."""
    zh = lang == "zh"
    heads = {key: word(lang, f"head.{key}") for key in HEADS}
    out = [f"{data['title']} ({data['id']})", f"§{data['section']} {data['section_title']}", ""]
    out += [f"{heads['source']}:", f"  {data['source']}", ""]
    out.append(f"{heads['who']}: {data['who_text']}")
    out.append(f"{heads['basis']}: {word(lang, 'basis.' + data['basis'])} ({data['basis']})")
    if data["condition"]:
        out.append(f"{heads['condition']}: {data['condition']}")
    if data["amount"]:
        per_item = f" × {data['per_item']}" if data["per_item"] else ""
        out.append(f"{heads['amount']}: {data['amount']}{per_item}")
    if data.get("tax_saving"):
        out.append(f"{heads['tax']}: {data['tax_saving']}")
    for tier in data.get("tiers", ()):
        label = word(lang, "tier", n=tier["tier"]).strip(" ：:")
        otherwise = "其他情形" if zh else "otherwise"
        out.append(f"  {label}: {tier['condition'] or otherwise} → {tier['amount']}")
    example = data["example"]
    if data["cap"]:
        cap = amount_text(Decimal(data["cap"]), lang)
        shown = money.format_money(Decimal(data["cap"]))
        formula = f" ({data['cap_formula']})" if data["cap_formula"] not in (None, shown) else ""
        if data["per_item"]:  # one item's cap, and the cap for the worked example's count
            cap = word(lang, "cap_each", cap=cap)
            if example and example["count"] and example["cap"]:
                total = amount_text(Decimal(example["cap"]), lang)
                cap += word(lang, "cap_for_count", count=example["count"], cap=total)
        out.append(f"{heads['cap']}: {cap}{formula}")
    if data["values"]:
        out.append(
            f"{heads['values']}: " + ", ".join(f"{k} = {v}" for k, v in data["values"].items())
        )
    if data["inputs"]:
        out.append(f"{heads['inputs']}:")
        for item in data["inputs"]:
            unit = f" [{item['unit']}]" if item["unit"] else ""
            out.append(f"  {item['name']}: {item['label']}{unit} ({item['type']})")
    if data["note"]:
        out.append(f"{heads['note']}: {data['note']}")
    if data["not_stated"]:
        out.append(f"{heads['not_stated']}: {', '.join(data['not_stated'])}")
    if data["overridden"]:
        out.append(
            ("已改动（--override）: " if zh else "Overridden (--override): ")
            + ", ".join(data["overridden"])
        )
    if example:
        profile = ", ".join(f"{k}={v}" for k, v in example["profile"].items())
        out += ["", f"{heads['example']}: {profile or '—'}", f"  → {example['explanation']}"]
    return "\n".join(out) + "\n"


def diff_text(changes: list[dict[str, Any]], lang: str) -> str:
    """What changed between two policies, one article a block; unchanged articles are left out."""
    marks = {"added": "+", "removed": "-", "changed": "~"}
    out = []
    for entry in changes:
        if entry["change"] == "same":
            continue
        out.append(f"{marks[entry['change']]} {entry['article']}  {entry['title']}")
        for key, pair in entry.get("fields", {}).items():
            out.append(f"    {key}: {pair['old']}  →  {pair['new']}")
        result = entry.get("result")
        if result and result["old"] != result["new"]:
            old, new = _result_text(result["old"], lang), _result_text(result["new"], lang)
            out.append(f"    result: {old}  →  {new}")
    if not out:
        out.append(word(lang, "no_differences"))
    return "\n".join(out) + "\n"


def _result_text(result: Mapping[str, Any] | None, lang: str) -> str:
    if result is None:
        return "—"
    amount = result["amount"]
    shown = amount_text(Decimal(amount), lang) if amount is not None else "—"
    return f"{word(lang, 'status.' + result['status'])} {shown}"


# ---------------------------------------------------------------------------------------------
# Summary: the population view (see summary.py)


def summary_dict(summary: Summary) -> dict[str, Any]:
    """`subsidy summary --format json`: records, failed, total, and per money article how many
    are eligible, how many need information and the sum of the amounts; a what-if adds the
    baseline's figures and the change beside each."""
    tally, baseline = summary.tally, summary.baseline
    data: dict[str, Any] = {"records": summary.records, "failed": summary.failed,
                            "total": money.format_plain(tally.total)}  # fmt: skip
    if baseline is not None:
        data["baseline_total"] = money.format_plain(baseline.total)
        data["change"] = money.format_plain(tally.total - baseline.total)
    data["articles"] = [_summary_row(now, before, summary) for now, before in summary.rows()]
    return data


def _summary_row(now: ArticleTally | None, before: ArticleTally | None, summary: Summary) -> Any:
    some = now or before
    assert some is not None
    row: dict[str, Any] = {
        "article": some.article.id,
        "title": some.article.title[summary.lang],
        "basis": some.article.basis,
        "eligible": now.eligible if now else None,
        "needs_info": now.needs_info if now else None,
        "amount": _plain(now.amount) if now else None,
    }
    if some.article.basis == "tax_deduction":
        row["tax_saving"] = _plain(now.tax_saving) if now else None
    if summary.baseline is not None:
        row["baseline_eligible"] = before.eligible if before else None
        row["baseline_needs_info"] = before.needs_info if before else None
        row["baseline_amount"] = _plain(before.amount) if before else None
        old = before.amount if before else None
        new = now.amount if now else None
        row["change"] = None
        if old is not None or new is not None:
            row["change"] = money.format_plain((new or ZERO) - (old or ZERO))
    return row


# The summary's CSV columns: ids in English (stable for scripts), and under zh these words.
SUMMARY_CSV = {
    "article": "sheet.article", "title": "sheet.title", "basis": "sheet.basis",
    "eligible": "sum.eligible", "needs_info": "sum.needs_info", "amount": "sheet.amount",
    "tax_saving": "sheet.tax_saving", "baseline_eligible": "sum.baseline_eligible",
    "baseline_needs_info": "sum.baseline_needs_info", "baseline_amount": "sum.baseline_amount",
    "change": "sum.change_amount",
}  # fmt: skip


def summary_text(summary: Summary, fmt: str) -> str:
    """The summary as `json`, `csv` or `markdown` text (`print_summary` draws the table)."""
    data = summary_dict(summary)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        zh = summary.lang == "zh"
        columns = [c for c in SUMMARY_CSV if any(c in row for row in data["articles"])]
        lines = [csv_line([word("zh", SUMMARY_CSV[c]) if zh else c for c in columns])]
        for row in data["articles"]:
            if zh:
                row = row | {"basis": word("zh", f"basis.{row['basis']}")}
            lines.append(csv_line(["" if row.get(c) is None else str(row[c]) for c in columns]))
        total = {"article": word(summary.lang, "sum.total_row"), "amount": data["total"]}
        if summary.baseline is not None:
            total |= {"baseline_amount": data["baseline_total"], "change": data["change"]}
        lines.append(csv_line([total.get(c, "") for c in columns]))
        return "".join(lines)
    heads, rows, footer = _summary_cells(summary, data)
    title = word(summary.lang, "sum.title", policy=summary.tally.policy.title[summary.lang])
    out = [f"## {title}", "", "| " + " | ".join(heads) + " |",
           "|---" + "|---:" * (len(heads) - 1) + "|"]  # fmt: skip
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return "\n".join([*out, "", *(f"- {line}" for line in footer)]) + "\n"


def _summary_cells(
    summary: Summary, data: Mapping[str, Any]
) -> tuple[list[str], list[list[str]], list[str]]:
    """The summary for people: headings, rows and the lines beneath (table and Markdown)."""
    lang = summary.lang
    whatif = summary.baseline is not None
    heads = [word(lang, "col.article"), word(lang, "sum.eligible"), word(lang, "sum.needs_info"),
             word(lang, "sum.baseline") if whatif else word(lang, "sum.amount")]  # fmt: skip
    if whatif:
        heads += [word(lang, "sum.amount"), word(lang, "sum.change")]

    def shown(value: str | None) -> str:
        return "—" if value is None else amount_text(Decimal(value), lang)

    def count(value: int | None) -> str:
        return "—" if value is None else f"{value:,}"

    rows = []
    for row in data["articles"]:
        cells = [f"{row['title']} ({row['article']})", count(row["eligible"]),
                 count(row["needs_info"])]  # fmt: skip
        if whatif:
            change = row["change"]
            signed = "" if change is None or Decimal(change) <= 0 else "+"
            cells += [shown(row["baseline_amount"]), shown(row["amount"]), signed + shown(change)]
        else:
            cells.append(shown(row["amount"]))
        rows.append(cells)
    total = f"{word(lang, 'sum.total')}: {shown(data['total'])}"
    if whatif:
        change = Decimal(data["change"])
        total = (
            f"{word(lang, 'sum.total')}: {shown(data['baseline_total'])} → "
            f"{shown(data['total'])} ({'+' if change > 0 else ''}{shown(data['change'])})"
        )
    footer = [total, word(lang, "sum.records", records=f"{summary.records:,}",
                          failed=f"{summary.failed:,}")]  # fmt: skip
    policy = summary.tally.policy
    overridden = [f"{a.id}.{o}" for a in policy.articles for o in sorted(a.overridden)]
    if overridden:
        footer.append(word(lang, "sum.whatif", overrides=", ".join(overridden)))
    return heads, rows, footer


def print_summary(summary: Summary, file: TextIO) -> None:
    """Draw the summary as a table with rich, for the stream's width."""
    from rich.console import Console
    from rich.text import Text

    heads, rows, footer = _summary_cells(summary, summary_dict(summary))
    console = Console(file=file, highlight=False, width=None if file.isatty() else TABLE_WIDTH)
    title = word(summary.lang, "sum.title", policy=summary.tally.policy.title[summary.lang])
    columns = [TableColumn(head, "left" if i == 0 else "right") for i, head in enumerate(heads)]
    fitted_table(console, Text(title, style="bold"), columns, [],
                 [TableRow([Text(cell) for cell in row], []) for row in rows])  # fmt: skip
    console.print(Text(footer[0], style="bold"))
    for line in footer[1:]:
        console.print(Text(line))
