"""The one place that turns evaluations into output: table, JSON, CSV, Markdown, HTML.

JSON keys are stable English (docs/contract.md); labels follow the language. Rich is imported only
when a table is drawn, Jinja2 only when an HTML report is rendered.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Mapping
from typing import Any, TextIO

from subsidycli import explain
from subsidycli.catalog import validity_notes
from subsidycli.engine import (
    ELIGIBLE,
    INFO,
    NEEDS_INFO,
    STATUS_WORDS,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import pick, t
from subsidycli.output.cells import to_csv
from subsidycli.output.data import to_json
from subsidycli.render import nothing
from subsidycli.render.html import to_html
from subsidycli.render.table import (
    TableColumn,
    TableRow,
    amount_cell,
    amount_text,
    cap_cell,
    console_on,
    escape_md,
    fitted_table,
    is_tax,
    tax_cells,
    total_note,
)

SHOWN_BY_DEFAULT = frozenset({ELIGIBLE, NEEDS_INFO})
# The formats for people: their amount columns are in 万元 in Chinese (amount_text), and so is
# the money in their explanations; the data formats (JSON, CSV, a workbook) keep 元.
PEOPLE_FORMATS = frozenset({"table", "markdown", "html"})


def explained_for(fmt: str) -> contextlib.AbstractContextManager[None]:
    """The block to evaluate in for output in `fmt`: for a view for people, explanations write
    money in the unit of the view's amount column (explain.for_people); else as data, in 元."""
    return explain.for_people() if fmt in PEOPLE_FORMATS else contextlib.nullcontext()


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
    policy = evaluation.policy
    total = t("Total (maximum claimable)") + ": " + amount_text(evaluation.total)
    total += total_note(evaluation)
    lines = [total, t("The total adds each article's maximum; awards are decided on review. "
                      "Tax benefits are not in the total.") if policy.has_tax else
             t("The total adds each article's maximum; awards are decided on review.")]  # fmt: skip
    near = nothing.near_gaps(evaluation) if shown else []  # none shown: nothing.py says them
    gaps = [t("Gap ({article}): ", article=pick(a.title))
            + explain.gap_text(g, pick(policy.inputs[g.field].label)) for a, g in near]  # fmt: skip
    lines += dict.fromkeys(gaps)
    if evaluation.missing:
        labels = [pick(policy.inputs[n].label) for n in evaluation.missing]
        lines.append(t("Still to answer (could change a result):") + " " + t(", ").join(labels))
    elif evaluation.assumed:
        labels = [pick(policy.inputs[n].label) for n in evaluation.assumed]
        lines.append(t("Not answered, taken as 0 / no (--assume-no); the result rests on this:")
                     + " " + t(", ").join(labels))  # fmt: skip
    else:
        lines.append(t("The profile is complete enough; nothing else to answer."))
    if not show_all:
        lines.append(t("Showing the {shown} of {all} articles that apply; --all shows every one.",
                       shown=shown, all=len(evaluation.results)))  # fmt: skip
    return lines


def _heads() -> list[str]:
    """The headings of calc's table and Markdown. English amounts are bare 元, so the headings
    say CNY; Chinese ones carry their unit in every cell (20.00 万元)."""
    return [t("Article"), t("Status"), t("Amount (CNY)"), t("Cap (CNY)"), t("Explanation")]


def _tax_heads() -> list[str]:
    """The headings of the tax benefits' own table: a deduction and a saving, not cash."""
    return [t("Article"), t("Status"), t("Extra deduction (CNY)"), t("Tax saved (CNY)"),
            t("Explanation")]  # fmt: skip


def _cash_and_tax(results: list[ArticleResult]) -> tuple[list[ArticleResult], list[ArticleResult]]:
    """The results split: cash (and every other kind) first, tax benefits apart."""
    return [r for r in results if not is_tax(r)], [r for r in results if is_tax(r)]


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
        parts.append(t("profile sha256:{sha}", sha=receipt["profile_sha256"][:12]))
    overrides = receipt.get("overrides")
    if overrides:
        shown = ", ".join(f"{k}={v}" for k, v in overrides.items())
        parts.append(t("overrides: {overrides}", overrides=shown))
    return " · ".join(p for p in parts if p)


# Markdown's inline markup: links and images ([x](…), ![b](…)), emphasis, code, strikethrough,
# math; escaped with a backslash, as CommonMark allows before any ASCII punctuation.
_MD_MARKUP = re.compile(r"([\\`*_\[\]()!#~|$])")
# "&copy;", "&#60;": an entity a Markdown renderer would turn into another character.
_ENTITY = re.compile(r"&(?=#?\w+;)")


def md_text(text: str) -> str:
    """Text a person gave (a name) shown in Markdown as written: never a link, an image, an
    entity, HTML or emphasis; on one line."""
    escaped = _MD_MARKUP.sub(r"\\\1", text)
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


def to_markdown(
    evaluation: Evaluation, show_all: bool, receipt: Mapping[str, Any] | None = None
) -> str:
    """A Markdown report: a table of the applicable articles, the total and what is missing."""
    heads = _heads()
    out = [f"## {pick(evaluation.policy.title)}", ""]
    out += [line for note in validity_notes(evaluation.policy) for line in (f"> **{note}**", "")]
    name = evaluation.profile.get("name")
    if name:
        out += [f"**{md_text(str(name))}**", ""]
    shown = _shown(evaluation, show_all)
    cash, tax = _cash_and_tax(shown)

    def table(heads: list[str], rows: list[list[str]]) -> list[str]:
        lines = ["| " + " | ".join(heads) + " |", "|---|---|---:|---:|---|"]
        return lines + [
            "| " + " | ".join(escape_md(_ENTITY.sub("&amp;", c)) for c in cells) + " |"
            for cells in rows
        ]

    def first(r: ArticleResult) -> list[str]:
        article = evaluation.policy.article(r.article)
        assert article is not None
        return [f"{pick(article.title)} (`{r.article}`)", t(STATUS_WORDS[r.status])]

    if not shown:  # nothing applies: said in words, not as an empty table
        out += nothing.markdown(evaluation, lambda text: escape_md(_ENTITY.sub("&amp;", text)))
    elif cash or not tax:
        out += table(heads, [
            [*first(r), amount_cell(r).replace("\n", " "), cap_cell(r), r.explanation]
            for r in cash
        ])  # fmt: skip
        out.append("")
    lines = _lines_after(evaluation, len(shown), show_all)
    out.append(f"**{lines[0]}**")
    out += [f"- {line}" for line in lines[1:2]]
    if tax:  # apart from cash: a deduction and a saving are not money paid
        out += ["", f"### {t('Tax benefits (not in the cash total)')}", ""]
        out += table(_tax_heads(), [[*first(r), *tax_cells(r), r.explanation] for r in tax])
        out.append("")
    out += [f"- {line}" for line in lines[2:]]
    if receipt:
        out += ["", f"<sub>{receipt_line(receipt)}</sub>"]
    return "\n".join(out) + "\n"


def print_table(
    evaluation: Evaluation, show_all: bool, file: TextIO, receipt: Mapping[str, Any] | None = None
) -> None:
    """Draw the results for the width at hand, losing no character (see `fitted_table`)."""
    from rich.text import Text

    policy = evaluation.policy
    console = console_on(file)
    styles = {ELIGIBLE: "green", NEEDS_INFO: "yellow", INFO: "dim"}

    def row(r: ArticleResult, amounts: list[str]) -> TableRow:
        article = policy.article(r.article)
        assert article is not None
        label = Text(pick(article.title))
        label.append(f"\n{r.article}", style="dim")
        if article.overridden:
            label.append(f"\n✱ --override {', '.join(sorted(article.overridden))}", style="magenta")
        status = Text(t(STATUS_WORDS[r.status]), style=styles.get(r.status, "red"))
        return TableRow([label, status, *map(Text, amounts)], [Text(r.explanation)])

    def columns(heads: list[str]) -> list[TableColumn]:
        return [TableColumn(heads[0]), TableColumn(heads[1]), TableColumn(heads[2], "right"),
                TableColumn(heads[3], "right")]  # fmt: skip

    shown = _shown(evaluation, show_all)
    cash, tax = _cash_and_tax(shown)
    name = evaluation.profile.get("name")
    # Text, not markup: a name like "[/]" or "[link=…]" is shown as written.
    title = Text(pick(policy.title) + (f"\n{name}" if name else ""), style="bold")
    for note in validity_notes(policy):  # a policy not in force: said before anything else
        console.print(Text(note, style="bold red"))
    heads = _heads()
    if not shown:  # nothing applies: said in words, not as an empty table
        nothing.print_nothing(console, title, evaluation)
    elif cash or not tax:
        rows = [row(r, [amount_cell(r), cap_cell(r)]) for r in cash]
        fitted_table(console, title, columns(heads), [TableColumn(heads[4])], rows)
    else:  # only tax benefits apply: the headline without an empty cash table
        console.print(title, justify="center")
    lines = _lines_after(evaluation, len(shown), show_all)
    console.print(Text(lines[0], style="bold"))
    console.print(Text(lines[1]))
    if tax:  # apart from cash, under its own title: a deduction and a saving are not money paid
        heads = _tax_heads()
        console.print()
        tax_title = Text(t("Tax benefits (not in the cash total)"), style="bold")
        rows = [row(r, list(tax_cells(r))) for r in tax]
        fitted_table(console, tax_title, columns(heads), [TableColumn(heads[4])], rows)
    for line in lines[2:]:
        console.print(Text(line))
    if receipt:
        console.print(Text(receipt_line(receipt), style="dim"))


# ---------------------------------------------------------------------------------------------
# HTML: a printable report, one self-contained file (report.html.j2 beside this module)

# ---------------------------------------------------------------------------------------------
# Policy views: articles, explain, diff


# ---------------------------------------------------------------------------------------------
# Summary: the population view (see summary.py)


