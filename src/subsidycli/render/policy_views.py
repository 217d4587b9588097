"""The policy commands for people: `articles` as a fitted table, `explain` as one article's
block of text, `diff` as a block per changed article.

Each renders the dicts `catalog` builds (the same ones `--format json` prints) and computes
nothing of its own; rich is imported only where the articles table is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TextIO

from subsidycli import money
from subsidycli.engine import BASIS_WORDS, STATUS_WORDS
from subsidycli.i18n import N_, pt, t
from subsidycli.policy.parsers import TYPE_WORDS
from subsidycli.render.table import TableColumn, TableRow, amount_text, console_on, fitted_table


def articles_text(rows: list[dict[str, Any]], file: TextIO) -> None:
    """The list of articles as a table that fits the width at hand (see `fitted_table`)."""
    from rich.text import Text

    columns = [TableColumn(t("Id")), TableColumn(t("§")),
               TableColumn(t("Cap"), "right"), TableColumn(t("Title")), TableColumn(t("Who")),
               TableColumn(t("Basis"))]  # fmt: skip
    table_rows = []
    for row in rows:
        cap = amount_text(Decimal(row["cap"])) if row["cap"] else "—"
        if row["cap"] and row["per_item"]:
            cap = t("{cap} each", cap=cap)
        cells = [Text(row["id"]), Text(row["section"]), Text(cap)]
        basis = t(BASIS_WORDS[row["basis"]])
        under = [Text(row["title"]), Text(row["who_text"]), Text(basis)]
        table_rows.append(TableRow(cells, under))
    fitted_table(
        console_on(file), None, columns[:3], columns[3:], table_rows, join_under=" · ",
        wide_order=[0, 1, 3, 4, 5, 2],
    )  # fmt: skip


# Whether a policy is in force on the day, in words (JSON keeps the id).
STANDING_WORDS = {
    "in_force": N_("in force"), "expired": N_("expired"), "not_yet": N_("not yet in force"),
    "not_stated": N_("dates not stated"),
}  # fmt: skip


def policies_text(rows: list[dict[str, Any]], day: dt.date, file: TextIO) -> None:
    """`subsidy policies` as a table that fits the width at hand: id, whether in force on
    `day`, the number of articles; title, issuer, region and dates under them."""
    from rich.text import Text

    columns = [TableColumn(t("Id")), TableColumn(t("On {day}", day=day.isoformat())),
               TableColumn(t("Articles"), "right"), TableColumn(t("Policy")),
               TableColumn(t("Issued by")), TableColumn(t("Region")),
               TableColumn(t("Dates of force"))]  # fmt: skip
    table_rows = []
    for row in rows:
        start, end = row["effective_from"], row["effective_to"]
        dates = t("{start} to {end}", start=start or "…", end=end or "…") if start or end else "—"
        standing = t(STANDING_WORDS[row["status"]])
        cells = [Text(row["id"]), Text(standing), Text(str(row["articles"]))]
        under = [Text(row["title"]), Text(row["issuer"] or "—"), Text(row["region"] or "—"),
                 Text(dates)]  # fmt: skip
        table_rows.append(TableRow(cells, under))
    fitted_table(console_on(file), None, columns[:3], columns[3:], table_rows, join_under=" · ")


def explain_text(data: Mapping[str, Any]) -> str:
    """One article explained for a reader: source, who, condition, formula, inputs, example."""

    def line(head: str, text: str) -> str:
        return t("{head}: {text}", head=head, text=text)

    clause = f"{data['clause']} " if data.get("clause") else ""
    out = [f"{clause}{data['title']} ({data['id']})",
           f"§{data['section']} {data['section_title']}", ""]  # fmt: skip
    out += [t("{head}:", head=t("Source text")), f"  {data['source']}", ""]
    out.append(line(t("Who may claim"), data["who_text"]))
    basis = t("{basis} ({id})", basis=t(BASIS_WORDS[data["basis"]]), id=data["basis"])
    out.append(line(t("Basis"), basis))
    if data["condition"]:
        out.append(line(t("Condition"), data["condition"]))
    if data["amount"]:
        per_item = f" × {data['per_item']}" if data["per_item"] else ""
        out.append(line(t("Amount"), f"{data['amount']}{per_item}"))
    if data.get("tax_saving"):
        out.append(line(t("Tax saved"), data["tax_saving"]))
    for tier in data.get("tiers", ()):
        label = t("tier {n}: ", n=tier["tier"]).strip(" ：:")
        condition = tier["condition"] or t("otherwise")
        out.append("  " + line(label, f"{condition} → {tier['amount']}"))
    out += _payment_lines(data, line)
    example = data["example"]
    if data["cap"]:
        cap = amount_text(Decimal(data["cap"]))
        shown = money.format_money(Decimal(data["cap"]))
        formula = f" ({data['cap_formula']})" if data["cap_formula"] not in (None, shown) else ""
        if data["per_item"]:  # one item's cap, and the cap for the worked example's count
            cap = t("{cap} per item", cap=cap)
            if example and example["count"] and example["cap"]:
                total = amount_text(Decimal(example["cap"]))
                cap += t(" ({cap} for {count} items)", count=example["count"], cap=total)
        out.append(line(t("Cap"), f"{cap}{formula}"))
    if data["values"]:
        out.append(line(t("Numbers stated"),
                        ", ".join(f"{k} = {v}" for k, v in data["values"].items())))  # fmt: skip
    if data["inputs"]:
        out.append(t("{head}:", head=t("Inputs read")))
        for item in data["inputs"]:
            unit = f" [{item['unit']}]" if item["unit"] else ""
            kind = t(" ({unit})", unit=t(TYPE_WORDS[item["type"]]))
            out.append(f"  {item['name']}: {item['label']}{unit}{kind}")
    if data["note"]:
        out.append(line(t("Note"), data["note"]))
    if data["not_stated"]:
        out.append(line(t("Not stated in the source"), ", ".join(data["not_stated"])))
    if data["overridden"]:
        out.append(line(t("Overridden (--override)"), ", ".join(data["overridden"])))
    if example:
        # As a profile writes them: true and false, whatever the language
        profile = ", ".join(
            f"{k}={str(v).lower() if isinstance(v, bool) else v}"
            for k, v in example["profile"].items()
        )  # fmt: skip
        out += ["", line(t("Worked example"), profile or "—"), f"  → {example['explanation']}"]
    return "\n".join(out) + "\n"


def _payment_lines(data: Mapping[str, Any], line: Callable[[str, str], str]) -> list[str]:
    """A range's least amount, the schedule of years, the stages of payment, what the article
    waits for and is not paid together with: each where the article has it."""
    out = []
    if data.get("minimum"):
        out.append(line(t("Least amount"), t("{minimum} (the amount above is the most; the total "
                                             "counts it)", minimum=data["minimum"])))  # fmt: skip
    if data.get("schedule"):
        chosen = t(" (the year: {field})", field=data["year"]) if data.get("year") else ""
        out.append(line(t("Schedule"), t("by year{chosen}", chosen=chosen)))
        for row in data["schedule"]:
            out.append("  " + line(row["years"], row["amount"] or t("as above")))
    if data.get("stages"):
        head = t("Paid in stages ({clause})", clause=data["paid_as"]) if data.get("paid_as") \
            else t("Paid in stages")  # fmt: skip
        out.append(t("{head}:", head=head))
        out += [f"  {stage['share']} {stage['stage']}" for stage in data["stages"]]
    if data.get("waits_for"):
        wait = data["waits_for"]
        names = t(", ").join(wait["articles"])
        when = t(" while {condition}", condition=wait["when"]) if wait["when"] else ""
        out.append(line(t("Paid only after"), f"{names}{when}"))
    if data.get("not_with"):
        out.append(line(t("Not paid together with (the higher is paid)"),
                        t(", ").join(data["not_with"])))  # fmt: skip
    return out


def _key_words() -> dict[str, str]:
    """The keys of a policy's article that `diff` compares, in words (JSON keeps the keys)."""
    return {
        "title": pt("policy key", "title"), "who": pt("policy key", "who"),
        "basis": pt("policy key", "basis"), "when": pt("policy key", "when"),
        "amount": pt("policy key", "amount"), "tiers": pt("policy key", "tiers"),
        "cap": pt("policy key", "cap"), "count": pt("policy key", "count"),
        "values": pt("policy key", "values"), "source": pt("policy key", "source"),
        "result": pt("policy key", "result"), "tax_saving": pt("policy key", "tax_saving"),
        "clause": pt("policy key", "clause"), "minimum": pt("policy key", "minimum"),
        "schedule": pt("policy key", "schedule"), "year": pt("policy key", "year"),
        "stages": pt("policy key", "stages"), "waits_for": pt("policy key", "waits_for"),
        "not_with": pt("policy key", "not_with"),
    }  # fmt: skip


def diff_text(changes: list[dict[str, Any]], totals: Mapping[str, Any] | None = None) -> str:
    """What changed between two policies, one article a block; unchanged articles are left out.
    With a profile's `totals` (`catalog.compare`), its total before → after and the change, and
    a line saying so when none of its results changes."""
    marks = {"added": "+", "removed": "-", "changed": "~"}
    out = []
    for entry in changes:
        if entry["change"] == "same":
            continue
        out.append(f"{marks[entry['change']]} {entry['article']}  {entry['title']}")
        for key, pair in entry.get("fields", {}).items():
            old, new = _value_text(key, pair["old"]), _value_text(key, pair["new"])
            out.append("    " + t("{head}: {text}", head=_key_text(key), text=f"{old}  →  {new}"))
        result = entry.get("result")
        if result and result["old"] != result["new"]:
            old, new = _result_text(result["old"]), _result_text(result["new"])
            text = f"{old}  →  {new}"
            out.append("    " + t("{head}: {text}", head=_key_words()["result"], text=text))
    if not out:
        out.append(t("No differences."))
    if totals is not None:
        out += ["", *_total_lines(totals)]
    return "\n".join(out) + "\n"


def _total_lines(totals: Mapping[str, Any]) -> list[str]:
    """The profile's total under each policy, and whether its results change at all."""
    old, new, change = (Decimal(totals[key]) for key in ("old", "new", "change"))
    sign = "+" if change > 0 else ""
    fields = {"old": amount_text(old), "new": amount_text(new),
              "change": sign + amount_text(change)}  # fmt: skip
    lines = [
        t("Total for the profile (tax items apart): {old} → {new} ({change})", **fields)
        if totals["tax_apart"] else t("Total for the profile: {old} → {new} ({change})", **fields)
    ]  # fmt: skip
    if not totals["results_changed"]:
        lines.append(t("The profile's results are unchanged: every article's status and amount "
                       "are as before."))  # fmt: skip
    return lines


def _key_text(key: str) -> str:
    """A compared key in words: `cap`, `values.max` (a named value keeps its name)."""
    first, dot, name = key.partition(".")
    return _key_words()[first] + dot + name


def _value_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key == "basis" and value in BASIS_WORDS:
        return t("{basis} ({id})", basis=t(BASIS_WORDS[value]), id=value)
    if key == "who" and isinstance(value, list):
        return t(", ").join(t("any applicant") if v == "any" else str(v) for v in value)
    if isinstance(value, list):  # tiers, a schedule's years, stages: one after another
        return "; ".join(map(str, value)) or "—"
    return str(value)


def _result_text(result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "—"
    amount = result["amount"]
    shown = amount_text(Decimal(amount)) if amount is not None else "—"
    return f"{t(STATUS_WORDS[result['status']])} {shown}"
