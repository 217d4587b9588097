"""TODO."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from subsidycli import explain
from subsidycli.engine import (
    ELIGIBLE,
    INFO,
    NEEDS_INFO,
    NOT_ELIGIBLE,
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import word
from subsidycli.policy import Article, Policy
from subsidycli.render.table import _cap_cell, amount_text

if TYPE_CHECKING:
    pass


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
        loader=jinja2.PackageLoader("subsidycli", "render"),
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


