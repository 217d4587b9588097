"""`subsidy summary --sweep` for its readers: the cost curve as JSON data (`sweep_dict`), as CSV
or Markdown text (`sweep_text`), drawn as a table to the terminal's width (`print_sweep`), or as
a self-contained HTML page with an SVG chart (`to_html`: no script, no network).

The curve itself is `subsidycli.sweep`'s; this module only shapes it. rich is imported only by
`print_sweep`, Jinja2 only by `to_html`.
"""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any, TextIO

from subsidycli import money
from subsidycli.i18n import current_lang, pick, pt, t
from subsidycli.output.cells import csv_line
from subsidycli.output.data import plain
from subsidycli.render.summary import counted_line, summary_dict, whatif_line
from subsidycli.render.table import (
    amount_text,
    console_on,
    escape_md,
    figures_table,
    markdown_table,
    view_unit,
)
from subsidycli.sweep import value_plain, value_text
from subsidycli.text import wrap

if TYPE_CHECKING:
    from subsidycli.summary import ArticleTally
    from subsidycli.sweep import Curve

WAN = Decimal(10_000)
# The chart, in the SVG's own units (it scales to the page): the plot and the margins of its axes.
CHART_WIDTH, CHART_HEIGHT = 720, 380
LEFT, RIGHT, TOP, BOTTOM = 84, 24, 16, 64
TICKS = 5  # about this many steps up the amount axis
WIDTH = 80  # the table's widest: five columns fit a narrow terminal


def sweep_dict(curve: Curve) -> dict[str, Any]:
    """`summary --sweep --format json`: the summary's keys (the policy as given, its baseline
    beside for a what-if) and `sweep`: the article, the key, its kind, the policy's own value
    and one point per value (value, eligible, needs_info, amount, total, current)."""
    sweep = curve.sweep
    data = summary_dict(curve.summary)
    data["sweep"] = {
        "article": sweep.article.id,
        "title": pick(sweep.article.title),
        "key": sweep.key,
        "kind": sweep.kind,
        "current": None if sweep.current is None else value_plain(sweep.kind, sweep.current),
        "points": [
            {
                "value": value_plain(sweep.kind, p.value),
                "eligible": p.eligible,
                "needs_info": p.needs_info,
                "amount": plain(p.amount),
                "total": money.format_plain(p.total),
                "current": p.current,
            }
            for p in curve.points
        ],
    }
    return data


def sweep_columns() -> dict[str, str]:
    """The sweep's CSV columns: their ids (what English shows) and headings in the language."""
    return {
        "value": pt("column", "value"), "eligible": pt("column", "eligible"),
        "needs_info": pt("column", "needs_info"), "amount": pt("column", "amount"),
        "total": pt("column", "total"), "current": pt("column", "current"),
    }  # fmt: skip


def sweep_text(curve: Curve, fmt: str) -> str:
    """The curve as `json`, `csv`, `markdown` or `html` text (`print_sweep` draws the table)."""
    if fmt == "json":
        return json.dumps(sweep_dict(curve), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return to_html(curve)
    if fmt == "csv":
        named = sweep_columns()
        lines = [csv_line(list(named.values()))]
        for point in sweep_dict(curve)["sweep"]["points"]:
            cells = [point[c] for c in named]
            lines.append(csv_line(["" if c is None else str(c).lower() if isinstance(c, bool)
                                   else str(c) for c in cells]))  # fmt: skip
        return "".join(lines)
    title, heads, rows, footer = _cells(curve)
    out = [f"## {title}", "", *markdown_table(heads, rows)]
    return "\n".join([*out, "", *(f"- {escape_md(line)}" for line in footer)]) + "\n"


def _title(curve: Curve) -> str:
    sweep = curve.sweep
    return t("Sweep: {title} ({name})", title=pick(sweep.article.title), name=sweep.name)


def _now(curve: Curve) -> ArticleTally | None:
    """The swept article's figures as the policy stands."""
    tally = curve.summary.tally
    return next((a for a in tally.articles if a.article.id == curve.sweep.article.id), None)


def _unit(curve: Curve) -> str:
    """The one unit of every amount the sweep's views show (`view_unit`)."""
    now = _now(curve)
    return view_unit([*(a for p in curve.points for a in (p.amount, p.total)),
                      now.amount if now else None, curve.summary.tally.total])  # fmt: skip


def _cells(curve: Curve) -> tuple[str, list[str], list[list[str]], list[str]]:
    """The curve for people: title, headings, rows and the lines beneath (table, Markdown)."""
    sweep, summary = curve.sweep, curve.summary
    heads = [sweep.key, t("Eligible"), t("Needs info"), t("This article"), t("Policy total")]
    now = _now(curve)
    unit = _unit(curve)
    rows = []
    for point in curve.points:
        value = value_text(sweep.kind, point.value)
        if point.current:
            value = t("{value} (current)", value=value)
        rows.append([value, f"{point.eligible:,}", f"{point.needs_info:,}",
                     amount_text(point.amount, unit), amount_text(point.total, unit)])  # fmt: skip
    if sweep.current is None:
        current = t("{key} reads the profile's fields", key=sweep.key)
    else:
        current = f"{sweep.key} = {value_text(sweep.kind, sweep.current)}"
    footer = [
        t("As the policy stands ({current}): {eligible} eligible, this article {amount}, policy "
          "total {total}", current=current, eligible=f"{now.eligible:,}" if now else "—",
          amount=amount_text(now.amount if now else None, unit),
          total=amount_text(summary.tally.total, unit)),
        counted_line(summary),
        *whatif_line(summary.tally.policy),
    ]  # fmt: skip
    if summary.tally.policy.has_tax:
        footer.append(t("The policy total adds cash; tax items are apart."))
    return _title(curve), heads, rows, footer


def print_sweep(curve: Curve, file: TextIO) -> None:
    """Draw the curve as a table with rich, for the stream's width."""
    from rich.text import Text

    title, heads, rows, footer = _cells(curve)
    console = console_on(file)
    console.width = min(console.width, WIDTH)
    # The title and the lines beneath broken at words by display width (text.wrap): rich would
    # cut an id such as generic-consistency.per_item anywhere.
    for line in wrap(title, console.width):
        console.print(Text(line, style="bold"), soft_wrap=True)
    figures_table(console, "", heads, rows)
    for number, said in enumerate(footer):
        for line in wrap(said, console.width):
            console.print(Text(line, style="bold" if number == 0 else ""), soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# The HTML page: the chart (the article's sum in 万元, one point per value) and the table.


def _nice_step(top: Decimal) -> Decimal:
    """A round step (1, 2 or 5 × 10ⁿ) of about TICKS steps up to `top`."""
    raw = top / TICKS
    base = Decimal(10) ** raw.adjusted()
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


def _coordinate(value: Decimal) -> str:
    """A position in the SVG, to a tenth of its unit."""
    return f"{value.quantize(Decimal('0.1')):f}"


def chart_view(curve: Curve) -> dict[str, Any]:
    """The chart as plain values: its axes, their ticks, and the line with one point a value.
    The line is the article's sum in 万元 (the policy total where the article states no
    amount); the amount axis starts at 0."""
    sweep, points = curve.sweep, curve.points
    series = "amount" if any(p.amount is not None for p in points) else "total"
    label = t("This article") if series == "amount" else t("Policy total")
    values = [p.value for p in points]
    low, high = min(values), max(values)
    width, height = Decimal(CHART_WIDTH - LEFT - RIGHT), Decimal(CHART_HEIGHT - TOP - BOTTOM)
    amounts = [getattr(p, series) for p in points]
    top = max([a / WAN for a in amounts if a is not None], default=Decimal(0))
    step = _nice_step(top) if top > 0 else Decimal(1)
    ceiling = step * max((top / step).to_integral_value(ROUND_CEILING), Decimal(1))

    def x(value: Decimal) -> Decimal:
        if high == low:
            return LEFT + width / 2
        return LEFT + width * (value - low) / (high - low)

    def y(amount: Decimal) -> Decimal:
        return TOP + height - height * (amount / WAN) / ceiling

    shown_in = _unit(curve)  # the amounts of the points, as the table shows them
    ticks = []
    n = Decimal(0)
    while n <= ceiling:
        ticks.append({"y": _coordinate(y(n * WAN)), "label": money.format_number(n)})
        n += step
    marks = [
        {"x": _coordinate(x(p.value)), "y": _coordinate(y(amount)),
         "title": f"{value_text(sweep.kind, p.value)}: {amount_text(amount, shown_in)}"}
        for p, amount in zip(points, amounts, strict=True)
        if amount is not None
    ]  # fmt: skip
    path = "M" + " L".join(f"{m['x']} {m['y']}" for m in marks) if marks else ""
    unit = {"money": t("万元"), "rate": "%"}.get(sweep.kind)
    xticks = [{"x": _coordinate(x(v)), "label": value_text(sweep.kind, v)} for v in values]
    if len(xticks) > 12:  # a label every few values, so that they do not run together
        xticks = xticks[:: -(-len(xticks) // 12)]
    current = None
    if sweep.current is not None and low <= sweep.current <= high:
        current = {
            "x": _coordinate(x(sweep.current)),
            "label": t("current: {value}", value=value_text(sweep.kind, sweep.current)),
        }
    if unit is None:
        x_label = sweep.key
    else:
        x_label = f"{sweep.key}（{unit}）" if current_lang() == "zh" else f"{sweep.key} ({unit})"
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": LEFT, "right": CHART_WIDTH - RIGHT,
        "top": TOP, "bottom": CHART_HEIGHT - BOTTOM, "ticks": ticks, "xticks": xticks,
        "series": series, "label": label, "path": path, "points": marks, "current": current,
        "x_label": x_label, "y_label": t("{series} (万元)", series=label),
    }  # fmt: skip


def to_html(curve: Curve) -> str:
    """The sweep as one page to print or forward: the chart and the table, no script."""
    from subsidycli.render.html import page_template

    title, heads, rows, footer = _cells(curve)
    view = {
        "lang": current_lang(), "title": title, "heads": heads, "rows": rows, "footer": footer,
        "policy": pick(curve.summary.tally.policy.title), "chart": chart_view(curve),
        "current_rows": [p.current for p in curve.points],
    }  # fmt: skip
    return page_template("sweep.html.j2").render(view)
