"""The one place that turns evaluations into output: table, JSON, CSV, Markdown.

JSON keys are English and stable (SPEC.md); labels follow the language. Rich is imported only
when a table is drawn.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TextIO

from subsidycli import explain, money
from subsidycli.engine import ELIGIBLE, INFO, NEEDS_INFO, ArticleResult, Evaluation
from subsidycli.i18n import word
from subsidycli.policy import Policy

FORMATS = ("table", "json", "csv", "markdown")
TABLE_WIDTH = 110
SHOWN_BY_DEFAULT = frozenset({ELIGIBLE, NEEDS_INFO})
CSV_COLUMNS = (
    "article", "title", "section", "status", "basis", "amount", "cap", "tax_saving", "missing",
    "gap", "explanation",
)  # fmt: skip


def _plain(amount: Decimal | None) -> str | None:
    return None if amount is None else money.format_plain(amount)


def gap_entries(evaluation_policy: Policy, result: ArticleResult, lang: str) -> list[dict[str, Any]]:
    """The threshold gaps of a result as JSON objects."""
    entries = []
    for gap in result.gaps:
        label = evaluation_policy.inputs[gap.field].label[lang]
        entries.append(
            {
                "field": gap.field,
                "value": _plain(gap.value),
                "threshold": _plain(gap.threshold),
                "inclusive": gap.inclusive,
                "short_by": _plain(gap.short_by),
                "text": explain.gap_text(gap, label, lang),
            }
        )
    return entries


def result_dict(policy: Policy, result: ArticleResult, lang: str) -> dict[str, Any]:
    """One article's result as SPEC's JSON object (plus a few documented extra keys)."""
    article = policy.article(result.article)
    assert article is not None
    entry: dict[str, Any] = {
        "article": result.article,
        "title": article.title[lang],
        "section": article.section,
        "status": result.status,
        "basis": result.basis,
        "amount": _plain(result.amount),
        "cap": _plain(result.cap),
        "explanation": result.explanation,
        "missing": list(result.missing),
        "source": article.source,
    }
    if article.basis == "tax_deduction":
        entry["tax_saving"] = _plain(result.tax_saving)
    if article.count:
        entry["count"] = result.count
    if result.gaps:
        entry["gap"] = gap_entries(policy, result, lang)
    if article.note:
        entry["note"] = article.note[lang]
    if article.overridden:
        entry["overridden"] = sorted(article.overridden)
    return entry


def evaluation_dict(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole evaluation as SPEC's JSON object."""
    policy, lang = evaluation.policy, evaluation.lang
    data: dict[str, Any] = {
        "policy": {"id": policy.id, "title": policy.title[lang]},
        "name": evaluation.profile.get("name"),
        "results": [result_dict(policy, r, lang) for r in evaluation.results],
        "total": money.format_plain(evaluation.total),
        "missing": list(evaluation.missing),
    }
    if receipt is not None:
        data["receipt"] = dict(receipt)
    return data


def to_json(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> str:
    """Pretty JSON, UTF-8 text (Chinese is not escaped)."""
    return json.dumps(evaluation_dict(evaluation, receipt), ensure_ascii=False, indent=2) + "\n"


def to_csv(evaluation: Evaluation) -> str:
    """One row per article, money as plain decimals, ready for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for result in evaluation.results:
        entry = result_dict(evaluation.policy, result, evaluation.lang)
        entry["missing"] = ";".join(entry["missing"])
        entry["gap"] = "; ".join(g["text"] for g in entry.get("gap", []))
        writer.writerow(["" if entry.get(c) is None else entry.get(c) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _shown(evaluation: Evaluation, show_all: bool) -> list[ArticleResult]:
    return [r for r in evaluation.results if show_all or r.status in SHOWN_BY_DEFAULT]


def amount_text(amount: Decimal | None, lang: str) -> str:
    """Money for people: "20.00 万元" in Chinese, "200,000.00" in English."""
    if amount is None:
        return "—"
    return money.format_money_zh(amount) if lang == "zh" else money.format_money(amount)


def _amount_cell(result: ArticleResult, lang: str) -> str:
    if result.status == NEEDS_INFO:
        return "?"
    if result.amount is None:
        return "—"
    text = amount_text(result.amount, lang)
    if result.tax_saving is not None:
        saved = amount_text(result.tax_saving, lang)
        text += f"\n({'节税' if lang == 'zh' else 'tax saved'} {saved})"
    return text


def _cap_cell(result: ArticleResult, lang: str) -> str:
    basis = word(lang, f"basis.{result.basis}")
    if result.cap is None:
        return basis
    return f"{basis} {amount_text(result.cap, lang)}"


def _lines_after(evaluation: Evaluation, shown: int, show_all: bool) -> list[str]:
    lang, policy = evaluation.lang, evaluation.policy
    lines = [f"{word(lang, 'total')}: {amount_text(evaluation.total, lang)}", word(lang, "total_note")]
    gaps = [
        explain.gap_text(g, policy.inputs[g.field].label[lang], lang)
        for r in evaluation.results
        for g in r.gaps
    ]
    for text in dict.fromkeys(gaps):
        lines.append(("差距：" if lang == "zh" else "Gap: ") + text)
    if evaluation.missing:
        labels = [policy.inputs[n].label[lang] for n in evaluation.missing]
        lines.append(word(lang, "missing") + " " + word(lang, "and").join(labels))
    else:
        lines.append(word(lang, "none_missing"))
    if not show_all:
        lines.append(word(lang, "shown", shown=shown, all=len(evaluation.results)))
    return lines


def receipt_line(receipt: Mapping[str, Any] | None) -> str:
    """The short form of a receipt for a table's footer."""
    if not receipt:
        return ""
    policies = ", ".join(f"{p['id']} sha256:{p['sha256'][:12]}" for p in receipt.get("policies", []))
    parts = [f"{receipt.get('tool')} {receipt.get('version')}", policies, str(receipt.get("evaluated_on"))]
    overrides = receipt.get("overrides")
    if overrides:
        parts.append("overrides: " + ", ".join(f"{k}={v}" for k, v in overrides.items()))
    return " · ".join(p for p in parts if p)


def to_markdown(evaluation: Evaluation, show_all: bool, receipt: Mapping[str, Any] | None = None) -> str:
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
    return text.replace("|", "\\|").replace("\n", " ")


def print_table(
    evaluation: Evaluation, show_all: bool, file: TextIO, receipt: Mapping[str, Any] | None = None
) -> None:
    """Draw the result table with rich: long Chinese text folds, amounts align right."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    lang, policy = evaluation.lang, evaluation.policy
    # Piped or redirected output gets a fixed width that fits the table, not rich's 80 columns.
    width = None if file.isatty() else TABLE_WIDTH
    console = Console(file=file, highlight=False, width=width)
    name = evaluation.profile.get("name")
    title = policy.title[lang] + (f"\n{name}" if name else "")
    table = Table(title=title, show_lines=True, expand=False, title_style="bold")
    table.add_column(word(lang, "col.article"), min_width=10, ratio=2, overflow="fold")
    table.add_column(word(lang, "col.status"), no_wrap=True)
    table.add_column(word(lang, "col.amount"), justify="right", no_wrap=True)
    table.add_column(word(lang, "col.cap"), justify="right", no_wrap=True)
    table.add_column(word(lang, "col.explanation"), min_width=16, ratio=3, overflow="fold")
    styles = {ELIGIBLE: "green", NEEDS_INFO: "yellow", INFO: "dim"}
    shown = _shown(evaluation, show_all)
    for r in shown:
        article = policy.article(r.article)
        assert article is not None
        label = Text(article.title[lang])
        label.append(f"\n{r.article}", style="dim")
        table.add_row(
            label,
            Text(word(lang, f"status.{r.status}"), style=styles.get(r.status, "red")),
            _amount_cell(r, lang),
            _cap_cell(r, lang),
            r.explanation,
        )
    console.print(table)
    lines = _lines_after(evaluation, len(shown), show_all)
    console.print(Text(lines[0], style="bold"))
    for line in lines[1:]:
        console.print(Text(line))
    if receipt:
        console.print(Text(receipt_line(receipt), style="dim"))
