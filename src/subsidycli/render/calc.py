"""The one place that turns evaluations into output: table, JSON, CSV, Markdown, HTML.

JSON keys are English and stable (SPEC.md); labels follow the language. Rich is imported only
when a table is drawn, Jinja2 only when an HTML report is rendered.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from subsidycli import explain
from subsidycli.engine import (
    ELIGIBLE,
    INFO,
    NEEDS_INFO,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import word
from subsidycli.output.cells import to_csv
from subsidycli.output.data import to_json
from subsidycli.render.html import to_html
from subsidycli.render.table import (
    TableColumn,
    TableRow,
    _amount_cell,
    _cap_cell,
    _console,
    _md,
    amount_text,
    fitted_table,
)

if TYPE_CHECKING:
    pass

SHOWN_BY_DEFAULT = frozenset({ELIGIBLE, NEEDS_INFO})
# ---------------------------------------------------------------------------------------------
# Batch output: one record per profile, as JSON Lines, CSV or a workbook (see batch.py)


# ---------------------------------------------------------------------------------------------
# Sheets: calc's result as CSV rows and as a workbook


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


def _shown(evaluation: Evaluation, show_all: bool) -> list[ArticleResult]:
    return [r for r in evaluation.results if show_all or r.status in SHOWN_BY_DEFAULT]


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


# ---------------------------------------------------------------------------------------------
# HTML: a printable report, one self-contained file (report.html.j2 beside this module)

# ---------------------------------------------------------------------------------------------
# Policy views: articles, explain, diff


# ---------------------------------------------------------------------------------------------
# Summary: the population view (see summary.py)


