"""The HTML report (`--format html`): `report_view` gathers what the report shows as plain
values (totals, the SVG chart's bars and labels, every article by section, the open questions,
the receipt), and `to_html` renders them through `report.html.j2` with Jinja2, imported only
then.

The page is self-contained (inline CSS, an SVG chart, no script, no network) and every text from
a profile or a policy is escaped by autoescape. No rich; the amounts shown are the engine's,
formatted, never recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from subsidycli import explain
from subsidycli.catalog import validity_notes
from subsidycli.engine import (
    ELIGIBLE,
    INFO,
    NEEDS_INFO,
    NOT_ELIGIBLE,
    STATUS_WORDS,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import current_lang, pick, pt, t
from subsidycli.policy import Article, Policy
from subsidycli.render import nothing
from subsidycli.render.table import (
    amount_text,
    cap_cell,
    cap_words,
    is_tax,
    lapsed_note,
    tax_cells,
    total_note,
)
from subsidycli.text import ems, fit

if TYPE_CHECKING:
    import jinja2

CHART_WIDTH = 720  # the SVG's own units; it scales to the page


CHART_ROW = 42  # a label line, then its bar


CHART_FONT = 13  # the labels' size in the SVG's units


STATUS_MARKS = {ELIGIBLE: "✓", NEEDS_INFO: "?", NOT_ELIGIBLE: "✗", INFO: "·"}


def to_html(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> str:
    """A report for people to print or forward: every article, a chart, the open questions.

    Self-contained (CSS inline, an SVG chart, no script, no network); every text from the profile
    or the policy is escaped by Jinja2's autoescape.
    """
    return page_template("report.html.j2").render(report_view(evaluation, receipt))


def page_template(name: str) -> jinja2.Template:
    """A page's template in this folder (the report, the sweep's chart), as every page is
    rendered: each text escaped by autoescape, an undefined name an error, `t` for its words.
    Jinja2 is imported only here."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("subsidycli", "render"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=t)
    return env.get_template(name)


def report_view(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the HTML report shows, as plain values: texts in the current language."""
    policy = evaluation.policy
    pairs = list(zip(policy.articles, evaluation.results, strict=True))
    counts = {s: sum(r.status == s for r in evaluation.results) for s in STATUS_MARKS}
    counted = [r for r in evaluation.results if r.article not in policy.uncounted]
    # The articles in force: none eligible and some waiting, nothing can be computed yet.
    waiting = sum(r.status == NEEDS_INFO for r in counted)
    stuck = waiting if waiting and not any(r.status == ELIGIBLE for r in counted) else 0
    tax = [
        {"title": pick(a.title), "deduction": amount_text(r.amount),
         "saving": amount_text(r.tax_saving) if r.tax_saving is not None else "?"}
        for a, r in pairs
        if r.status == ELIGIBLE and a.basis == "tax_deduction"
    ]  # fmt: skip
    # A tax article that waits for answers is not "no tax benefit": unknown is never shown as none.
    tax_waiting = [
        pick(a.title) for a, r in pairs if r.status == NEEDS_INFO and a.basis == "tax_deduction"
    ]
    name = evaluation.profile.get("name")
    return {
        "lang": current_lang(),
        "t": t,
        "pt": pt,
        "name": str(name) if name else None,
        "policy": {
            "id": policy.id,
            "title": pick(policy.title),
            "issuer": pick(policy.meta.issuer) if policy.meta.issuer else None,
        },
        "validity": validity_notes(policy),
        "total": amount_text(evaluation.total),
        "counts": counts,
        "stuck": stuck,
        "total_note": total_note(evaluation).strip(),
        "lapsed": bool(lapsed_note(policy)),
        "tax": tax,
        "has_tax": policy.has_tax,  # a policy with no tax benefit has no box for one
        "tax_waiting": tax_waiting,
        "chart": _chart([(a, r) for a, r in pairs
                         if not is_tax(r) and a.id not in policy.uncounted]),  # the total's
        "unstated": [pick(a.title) for a, r in pairs if r.status == ELIGIBLE and r.amount is None
                     and a.id not in policy.uncounted],  # beside the chart of the total
        "sections": _report_sections(policy, [(a, r) for a, r in pairs if not is_tax(r)]),
        "tax_rows": [_tax_row(a, r) for a, r in pairs if is_tax(r)],
        "questions": _questions(evaluation),
        "assumed": [pick(policy.inputs[n].label) for n in evaluation.assumed],
        "gaps": [
            {
                "article": pick(a.title),
                "value": amount_text(g.value),
                "threshold": amount_text(g.threshold),
                "inclusive": g.inclusive,
                "short_by": amount_text(g.short_by),
                "text": explain.gap_text(g, pick(policy.inputs[g.field].label)),
            }
            for a, g in nothing.near_gaps(evaluation)
        ],
        "receipt": _receipt_rows(receipt),
        "nothing": nothing.report(evaluation),  # None, unless no article applies
    }


def _money(amount: Decimal | None) -> str | None:
    """Money for people, or None (not "—") where there is none: the template leaves it out."""
    return None if amount is None else amount_text(amount)


def _chart(pairs: list[tuple[Article, ArticleResult]]) -> dict[str, Any] | None:
    """Bars of the eligible amounts, largest first; None when no article has one. Given cash
    articles only: a tax deduction is not money paid, and would dwarf the cash bars."""
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
        shown = amount_text(result.amount)
        title = pick(article.title)
        rows.append({
            "title": title,
            "label": _label(title, CHART_WIDTH / CHART_FONT - ems(shown) - 1),
            "amount": shown,
            "y": i * CHART_ROW,
            "width": round(float(result.amount / largest) * CHART_WIDTH, 1),
        })  # fmt: skip
    return {"width": CHART_WIDTH, "height": len(rows) * CHART_ROW, "rows": rows}


def _label(title: str, room: float) -> str:
    """`title` whole when it is at most `room` em wide, else cut to fit with an ellipsis (an em
    kept for it): an SVG label does not wrap, and a policy's title may be long (the table below
    shows it whole)."""
    if ems(title) <= room:
        return title
    return fit(title, room - 1, ems).rstrip() + "…"


def _report_sections(
    policy: Policy, pairs: list[tuple[Article, ArticleResult]]
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
                "id": number or article.section, "title": pick(heading) if heading else "",
                "part": part, "policy": pick(parts[part].title) if first else None, "rows": [],
            }  # fmt: skip
        least = None
        if result.status == ELIGIBLE:
            amount = amount_text(result.amount)
            if result.minimum is not None:  # a range: the most, the least on a line below
                least = amount_text(result.minimum)
        else:
            amount = "?" if result.status == NEEDS_INFO else "—"
        section["rows"].append({
            **_row(article, result),
            "amount": amount,
            "least": least,
            "basis": cap_words(result),
            "cap": _money(result.cap),
        })  # fmt: skip
    return list(sections.values())


def _row(article: Article, result: ArticleResult) -> dict[str, Any]:
    """What every row of the report's tables shows of an article, besides its amounts."""
    return {
        "id": article.id,
        "title": pick(article.title),
        "status": result.status,
        "mark": STATUS_MARKS[result.status],
        "status_text": t(STATUS_WORDS[result.status]),
        "explanation": result.explanation,
        "source": article.source,
    }


def _tax_row(article: Article, result: ArticleResult) -> dict[str, Any]:
    """A tax benefit's row of its own table: the extra deduction and the tax saved ("?" while
    unknown), never cash."""
    deduction, saving = tax_cells(result)
    return {**_row(article, result), "deduction": deduction, "saving": saving}


def _questions(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The missing fields, in the interview's order, each with the articles it could settle."""
    from subsidycli.interview import HOW_TO_ANSWER

    policy = evaluation.policy
    out = []
    for name in evaluation.missing:
        item = policy.inputs[name]
        settles = [
            {"title": pick(a.title),
             "cap": cap_cell(r)}
            for a, r in zip(policy.articles, evaluation.results, strict=True)
            if name in r.missing
        ]  # fmt: skip
        out.append({
            "field": name,
            "label": pick(item.label),
            "help": pick(item.help) if item.help else "",
            "how": t(HOW_TO_ANSWER[item.type]),
            "settles": settles,
        })  # fmt: skip
    return out


def _receipt_rows(receipt: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The receipt as labelled lines: what the result was computed from, in full."""
    if not receipt:
        return []
    rows = [(t("Tool"), f"{receipt.get('tool')} {receipt.get('version')}")]
    for item in receipt.get("policies", []):
        rows.append((t("Policy file"), f"{item['id']} ({item['file']})"))
        rows.append((t("Policy SHA-256"), str(item["sha256"])))
    rows.append((t("Evaluated on"), str(receipt.get("evaluated_on"))))
    if receipt.get("profile_sha256"):
        rows.append((t("Profile digest"), str(receipt["profile_sha256"])))
    overrides = receipt.get("overrides") or {}
    shown = ", ".join(f"{k}={v}" for k, v in overrides.items()) or t("none")
    rows.append((t("What-if changes (--override)"), shown))
    return rows


