"""`subsidy summary` for its readers: the summary as JSON data (`summary_dict`), as CSV or
Markdown text (`summary_text`), or drawn as a table to the terminal's width (`print_summary`).

The tally itself is `subsidycli.summary`'s; this module only shapes it. rich is imported only by
`print_summary`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from subsidycli import money
from subsidycli.catalog import validity_notes
from subsidycli.engine import (
    BASIS_WORDS,
    ZERO,
)
from subsidycli.i18n import id_or, pick, pt, t
from subsidycli.output.cells import csv_line
from subsidycli.output.data import plain
from subsidycli.render.table import (
    amount_text,
    console_on,
    figures_table,
    lapsed_note,
    markdown_table,
    view_unit,
)

if TYPE_CHECKING:
    from subsidycli.policy import Policy
    from subsidycli.summary import ArticleTally, Summary


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
    for row in data["articles"]:  # a policy not in force on the day: shown, not in the total
        if row["article"] in tally.policy.uncounted:
            row["in_force"] = False
    return data


def _summary_row(now: ArticleTally | None, before: ArticleTally | None, summary: Summary) -> Any:
    some = now or before
    assert some is not None
    row: dict[str, Any] = {
        "article": some.article.id,
        "title": pick(some.article.title),
        "basis": some.article.basis,
        "eligible": now.eligible if now else None,
        "needs_info": now.needs_info if now else None,
        "amount": plain(now.amount) if now else None,
    }
    if some.article.basis == "tax_deduction":
        row["tax_saving"] = plain(now.tax_saving) if now else None
    if summary.baseline is not None:
        row["baseline_eligible"] = before.eligible if before else None
        row["baseline_needs_info"] = before.needs_info if before else None
        row["baseline_amount"] = plain(before.amount) if before else None
        old = before.amount if before else None
        new = now.amount if now else None
        row["change"] = None
        if old is not None or new is not None:
            row["change"] = money.format_plain((new or ZERO) - (old or ZERO))
    return row


def summary_columns() -> dict[str, str]:
    """The summary's CSV columns: their ids, which English shows (stable for scripts), and
    their headings in the current language."""
    return {
        "article": pt("column", "article"), "title": pt("column", "title"),
        "basis": pt("column", "basis"), "eligible": pt("column", "eligible"),
        "needs_info": pt("column", "needs_info"), "amount": pt("column", "amount"),
        "tax_saving": pt("column", "tax_saving"),
        "baseline_eligible": pt("column", "baseline_eligible"),
        "baseline_needs_info": pt("column", "baseline_needs_info"),
        "baseline_amount": pt("column", "baseline_amount"), "change": pt("column", "change"),
    }  # fmt: skip


def summary_text(summary: Summary, fmt: str) -> str:
    """The summary as `json`, `csv` or `markdown` text (`print_summary` draws the table)."""
    data = summary_dict(summary)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        named = summary_columns()
        columns = [c for c in named if any(c in row for row in data["articles"])]
        lines = [csv_line([named[c] for c in columns])]
        for row in data["articles"]:
            row = row | {"basis": id_or(row["basis"], t(BASIS_WORDS[row["basis"]]))}
            lines.append(csv_line(["" if row.get(c) is None else str(row[c]) for c in columns]))
        total = {"article": pt("row", "total"), "amount": data["total"]}
        if summary.baseline is not None:
            total |= {"baseline_amount": data["baseline_total"], "change": data["change"]}
        lines.append(csv_line([total.get(c, "") for c in columns]))
        return "".join(lines)
    heads, rows, footer = _summary_cells(summary, data)
    title = t("Summary: {policy}", policy=pick(summary.tally.policy.title))
    out = [f"## {title}", ""]
    if rows:  # a what-if that changes nothing has no rows to show, only its line saying so
        out += [*markdown_table(heads, rows), ""]
    return "\n".join([*out, *(f"- {line}" for line in footer)]) + "\n"


def _summary_cells(
    summary: Summary, data: Mapping[str, Any]
) -> tuple[list[str], list[list[str]], list[str]]:
    """The summary for people: headings, rows and the lines beneath (table and Markdown), the
    total first but for a what-if's line of articles unchanged. A what-if shows only the
    articles it changes, their counts as before → now, and says how many it leaves as they
    were (CSV and JSON keep every article)."""
    whatif = summary.baseline is not None
    heads = [t("Article"), t("Eligible"), t("Needs info"),
             t("Baseline") if whatif else pt("summary", "Amount")]  # fmt: skip
    if whatif:
        heads += [pt("summary", "Amount"), t("Change")]

    kept = [row for row, (now, before) in zip(data["articles"], summary.rows(), strict=True)
            if not whatif or _changed(now, before)]  # fmt: skip
    unchanged = len(data["articles"]) - len(kept)
    # One unit for every amount the view shows (its rows and its total line): 万元 only if exact.
    keys = ("amount", "baseline_amount", "change") if whatif else ("amount",)
    figures = [row[key] for row in kept for key in keys]
    figures += [data["total"], *((data["baseline_total"], data["change"]) if whatif else ())]
    unit = view_unit(None if value is None else Decimal(value) for value in figures)

    def shown(value: str | None) -> str:
        return "—" if value is None else amount_text(Decimal(value), unit)

    def count(value: int | None, before: int | None = None) -> str:
        if whatif and before is not None and value is not None and before != value:
            return f"{before:,} → {value:,}"
        return "—" if value is None else f"{value:,}"

    rows = []
    for row in kept:
        label = f"{row['title']} ({row['article']})"
        if row.get("in_force") is False:
            label = t("{heading} (not in force)", heading=label)
        cells = [label, count(row["eligible"], row.get("baseline_eligible")),
                 count(row["needs_info"], row.get("baseline_needs_info"))]  # fmt: skip
        if whatif:
            change = row["change"]
            signed = "" if change is None or Decimal(change) <= 0 else "+"
            cells += [shown(row["baseline_amount"]), shown(row["amount"]), signed + shown(change)]
        else:
            cells.append(shown(row["amount"]))
        rows.append(cells)
    label = _total_label(summary)
    total = f"{label}: {shown(data['total'])}{lapsed_note(summary.tally.policy)}"
    if whatif:
        change = Decimal(data["change"])
        total = (
            f"{label}: {shown(data['baseline_total'])} → "
            f"{shown(data['total'])} ({'+' if change > 0 else ''}{shown(data['change'])})"
            f"{lapsed_note(summary.tally.policy)}"
        )
    footer = [*_unchanged_line(whatif, rows, unchanged), total]
    footer.append(counted_line(summary))
    policy = summary.tally.policy
    footer += validity_notes(policy)
    return heads, rows, footer + whatif_line(policy)


def counted_line(summary: Summary) -> str:
    """How many records were counted and how many failed (each said on stderr)."""
    if not summary.failed:
        return t("{records} counted, none failed", records=f"{summary.records:,}")
    return t("{records} counted, {failed} failed (see stderr)", records=f"{summary.records:,}",
             failed=f"{summary.failed:,}")  # fmt: skip


def whatif_line(policy: Policy) -> list[str]:
    """The line naming what --override changed in `policy` (ARTICLE.KEY, …); none without."""
    overridden = [f"{a.id}.{o}" for a in policy.articles for o in sorted(a.overridden)]
    if not overridden:
        return []
    return [t("What-if: {overrides}", overrides=", ".join(overridden))]


def _total_label(summary: Summary) -> str:
    if summary.tally.policy.has_tax:
        return t("Total (maximum claimable, tax items apart)")
    return t("Total (maximum claimable)")


def _changed(now: ArticleTally | None, before: ArticleTally | None) -> bool:
    """Whether a what-if changes an article's figures over the population (or has it alone)."""
    if now is None or before is None:
        return True
    figures = ("eligible", "needs_info", "amount", "tax_saving")
    return any(getattr(now, name) != getattr(before, name) for name in figures)


def _unchanged_line(whatif: bool, rows: list[list[str]], unchanged: int) -> list[str]:
    """The line saying how many articles a what-if leaves as they were (not shown)."""
    if not whatif or not unchanged:
        return []
    if not rows:
        return [t("No article changes: every article's figures are as before "
                  "(--format csv or json lists them)")]  # fmt: skip
    if unchanged == 1:
        return [t("1 more article unchanged, not shown (--format csv or json lists every one)")]
    return [t("{count} more articles unchanged, not shown (--format csv or json lists every one)",
              count=f"{unchanged:,}")]  # fmt: skip


def print_summary(summary: Summary, file: TextIO) -> None:
    """Draw the summary as a table with rich, for the stream's width."""
    from rich.text import Text

    heads, rows, footer = _summary_cells(summary, summary_dict(summary))
    total = _total_label(summary)  # its line in bold
    console = console_on(file)
    title = t("Summary: {policy}", policy=pick(summary.tally.policy.title))
    if rows:
        figures_table(console, title, heads, rows)
    else:  # a what-if that changes nothing: its title, and the line that says so
        console.print(Text(title, style="bold"))
    for line in footer:
        console.print(Text(line, style="bold" if line.startswith(total) else ""))


