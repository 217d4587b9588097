"""The policy commands for people: `articles` as a fitted table, `explain` as one article's
block of text, `diff` as a block per changed article.

Each renders the dicts `catalog` builds (the same ones `--format json` prints) and computes
nothing of its own; rich is imported only where the articles table is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TextIO

from subsidycli import money
from subsidycli.engine import BASIS_WORDS, STATUS_WORDS
from subsidycli.i18n import N_, pt, t
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


# An input's type in words (JSON keeps the type's id).
TYPE_WORDS = {
    "money": N_("money"), "count": N_("count"), "bool": N_("yes/no"), "rate": N_("rate"),
    "choice": N_("choice"), "text": N_("text"),
}  # fmt: skip


def explain_text(data: Mapping[str, Any]) -> str:
    """One article explained for a reader: source, who, condition, formula, inputs, example."""

    def line(head: str, text: str) -> str:
        return t("{head}: {text}", head=head, text=text)

    out = [f"{data['title']} ({data['id']})", f"§{data['section']} {data['section_title']}", ""]
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


def _key_words() -> dict[str, str]:
    """The keys of a policy's article that `diff` compares, in words (JSON keeps the keys)."""
    return {
        "title": pt("policy key", "title"), "who": pt("policy key", "who"),
        "basis": pt("policy key", "basis"), "when": pt("policy key", "when"),
        "amount": pt("policy key", "amount"), "tiers": pt("policy key", "tiers"),
        "cap": pt("policy key", "cap"), "count": pt("policy key", "count"),
        "values": pt("policy key", "values"), "source": pt("policy key", "source"),
        "result": pt("policy key", "result"),
    }  # fmt: skip


def diff_text(changes: list[dict[str, Any]]) -> str:
    """What changed between two policies, one article a block; unchanged articles are left out."""
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
    return "\n".join(out) + "\n"


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
    return str(value)


def _result_text(result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "—"
    amount = result["amount"]
    shown = amount_text(Decimal(amount)) if amount is not None else "—"
    return f"{t(STATUS_WORDS[result['status']])} {shown}"
