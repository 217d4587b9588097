"""TODO."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from subsidycli import money
from subsidycli.i18n import word
from subsidycli.render.table import TableColumn, TableRow, _console, amount_text, fitted_table

if TYPE_CHECKING:
    pass


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


