"""What a policy says, as data: its articles, one article explained (found by id or title), the
profile's JSON Schema, a profile template and the differences between two policy files.

Pure functions over loaded policies, returning plain dicts and lists: `render/` turns them into
text and tables; checking a policy file against its source is `lint`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from subsidycli import engine, explain, money
from subsidycli.i18n import NO_WORDS, YES_WORDS, pick, t
from subsidycli.policy import Article, Input, Policy

EXAMPLE_COUNT = 2
EXAMPLE_MONEY = Decimal(1_000_000)  # for an article that states no amount to go by


def stated_cap(article: Article) -> Decimal | None:
    """The cap the policy states for one claim (per item for count articles), or None."""
    return engine.known_cap(article, {})


def who_text(article: Article) -> str:
    """Who may claim, in words."""
    if article.who_label:
        return pick(article.who_label)
    return t("any applicant")


def article_rows(policy: Policy) -> list[dict[str, Any]]:
    """One row per article: id, section, title, who, basis, the stated cap."""
    return [_head(policy, article) for article in policy.articles]


def _head(policy: Policy, article: Article) -> dict[str, Any]:
    """What `articles` lists of an article, and `explain` begins with."""
    cap = stated_cap(article)
    return {
        "id": article.id,
        "policy": article.policy,
        "section": article.section.rpartition("/")[2],
        "section_title": pick(policy.sections[article.section]),
        "title": pick(article.title),
        "who": sorted(article.who) if article.who else ["any"],
        "who_text": who_text(article),
        "basis": article.basis,
        "cap": None if cap is None else money.format_plain(cap),
        "per_item": article.count,
        "source": article.source,
    }


def validity_notes(policy: Policy) -> list[str]:
    """One headline per policy file not in force on the day `policy` is evaluated on: expired
    or not yet in force, with its dates; its amounts are shown but not counted in the total."""
    notes = []
    day = policy.evaluated_on
    for part in policy.files:
        if day is None or part.id not in policy.lapsed:
            continue
        start, end = part.meta.effective_from, part.meta.effective_to
        words = {
            "policy": t("{title} ({id})", title=pick(part.title), id=part.id),
            "day": day.isoformat(),
            "start": _iso(start) or "…", "end": _iso(end) or "…",
        }  # fmt: skip
        if part.standing(day) == "expired":
            note = t(
                "Expired: {policy} was in force from {start} to {end}, not on {day}; "
                "its amounts are shown for reference and are not in the total",
                **words,
            )
        else:
            note = t(
                "Not yet in force: {policy} takes effect on {start}, after {day}; "
                "its amounts are shown for reference and are not in the total",
                **words,
            )
        notes.append(note)
    return notes


def policy_rows(policies: list[Policy], day: dt.date) -> list[dict[str, Any]]:
    """`subsidy policies`: each policy's id, title, issuer, region, dates, whether it is in force
    on `day` (`in_force`, `expired`, `not_yet`, or `not_stated` when it states no dates) and how
    many articles it has."""
    rows = []
    for p in policies:
        meta = p.meta
        dated = meta.effective_from is not None or meta.effective_to is not None
        rows.append({
            "id": p.id,
            "title": pick(p.title),
            "issuer": pick(meta.issuer) if meta.issuer else None,
            "region": pick(meta.region) if meta.region else None,
            "issue_date": _iso(meta.issue_date),
            "effective_from": _iso(meta.effective_from),
            "effective_to": _iso(meta.effective_to),
            "family": meta.family,
            "status": p.standing(day) if dated else "not_stated",
            "articles": len(p.articles),
            "file": p.path,
        })  # fmt: skip
    return rows


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def find_article(policy: Policy, name: str) -> Article:
    """The article with this id, or with this title (Chinese or English, or a unique part of
    one: "瞪羚" finds 首次评定瞪羚企业支持); else UnknownArticle naming the nearest."""
    from subsidycli.policy.names import find_article as named

    return named(policy.articles, name, partial=True)


def describe_article(policy: Policy, article_id: str) -> dict[str, Any]:
    """One article in full: source, who, condition and formula in words, inputs, an example."""
    article = find_article(policy, article_id)
    reads = [_input_entry(policy.inputs[name]) for name in article.inputs]
    data: dict[str, Any] = {
        **_head(policy, article),
        "source": article.source,
        "condition": _words(article.when),
        "amount": _words(article.amount),
        "cap_formula": _words(article.cap),
        "values": {
            name: explain.show_value(value, kind) for name, (value, kind) in article.values.items()
        },
        "inputs": reads,
        "note": pick(article.note) if article.note else None,
        "not_stated": list(article.not_stated),
        "overridden": sorted(article.overridden),
        "example": _worked_example(policy, article),
    }
    if article.tax_saving is not None:
        data["tax_saving"] = _words(article.tax_saving)
    if article.tiers:
        data["tiers"] = _tier_words(article)
    data.update(_payment_words(policy, article))
    return data


def _payment_words(policy: Policy, article: Article) -> dict[str, Any]:
    """What an article says beyond its condition and amount, in words, where it says it: its
    clause, a range's minimum, its schedule of years (and the input choosing the year), the
    stages it is paid in (or states), what it waits for and is not paid together with."""
    data: dict[str, Any] = {}
    if article.clause:
        data["clause"] = article.clause
    if article.minimum is not None:
        data["minimum"] = _words(article.minimum)
    if article.schedule:
        data["schedule"] = [
            {"years": explain.years_text(row.first, row.last), "from": row.first,
             "to": row.last, "amount": _words(row.amount)}
            for row in article.schedule
        ]  # fmt: skip
        data["year"] = article.year
    stages = article.payment.stages if article.payment else article.stages
    if stages:
        data["stages"] = [{"share": money.format_rate(share), "stage": pick(stage)}
                          for share, stage in stages]  # fmt: skip
        if article.payment is not None:
            data["paid_as"] = article.payment.clause or pick(article.payment.title)
    if article.waits_for is not None:
        waited = [a for a in policy.articles if a.key in article.waits_for.articles]
        data["waits_for"] = {"when": _words(article.waits_for.when),
                             "articles": [a.named for a in waited]}  # fmt: skip
    if article.not_with:
        known = {a.key: a.named for a in policy.articles}
        data["not_with"] = [known.get(key, key) for key in article.not_with]
    return data


def _tier_words(article: Article) -> list[dict[str, Any]]:
    """Each tier in words: its number (from 1), condition (None: otherwise) and amount."""
    return [
        {"tier": n, "condition": _words(tier.when), "amount": _words(tier.amount)}
        for n, tier in enumerate(article.tiers, start=1)
    ]


def _words(expr: Any) -> str | None:
    return None if expr is None else explain.formula(expr.node, None)


def _input_entry(item: Input) -> dict[str, Any]:
    return {
        "name": item.name,
        "label": pick(item.label),
        "type": item.type,
        "unit": pick(item.unit) if item.unit else None,
    }


def _example_money(article: Article) -> Decimal:
    """An amount that clears the article's thresholds: 1.2 × the largest sum it states."""
    stated = [value for value, kind in article.values.values() if kind == "money"]
    return max([*stated, EXAMPLE_MONEY]) * Decimal("1.2")


def _eligible_example(
    policy: Policy, article: Article, profile: dict[str, Any]
) -> engine.ArticleResult | None:
    """The article's result for `profile`, with each choice the article reads (other than the
    applicant type) set to the first of its values that makes it eligible; None when none does."""
    choices = [policy.inputs[n] for n in article.inputs
               if policy.inputs[n].type == "choice" and n != "applicant_type"]  # fmt: skip
    for item in choices:
        for choice in item.choices:
            profile[item.name] = choice["value"]
            if _result(policy, article, profile).status == engine.ELIGIBLE:
                break
    result = _result(policy, article, profile)
    return result if result.status == engine.ELIGIBLE else None


def _result(policy: Policy, article: Article, profile: Mapping[str, Any]) -> engine.ArticleResult:
    return engine.evaluate_article(article, engine.environment(policy, profile))


def _worked_example(policy: Policy, article: Article) -> dict[str, Any] | None:
    """A profile that satisfies the article (1200万 for money, 2 for counts, yes for flags)."""
    if article.basis == "info":
        return None
    profile: dict[str, Any] = {}
    for name in article.inputs:
        item = policy.inputs[name]
        if name == "applicant_type":
            anyone = item.default or item.choices[0]["value"]  # the policy's own, not a guess
            profile[name] = sorted(article.who)[0] if article.who else anyone
        elif item.type == "money":
            profile[name] = _example_money(article)
        elif item.type == "count":
            profile[name] = EXAMPLE_COUNT
        elif item.type == "bool":
            profile[name] = True
        elif item.type == "quantity":  # clears the numbers the article states (100亩, 500亩)
            stated = [v for v, kind in article.values.values() if kind == "number"]
            profile[name] = max([*stated, Decimal(EXAMPLE_COUNT)]) * Decimal("1.2")
    result = _eligible_example(policy, article, profile)
    if result is None:
        return None
    shown = {
        k: (money.format_plain(v) if isinstance(v, Decimal) else v) for k, v in profile.items()
    }
    return {
        "profile": shown,
        "count": result.count,
        "cap": None if result.cap is None else money.format_plain(result.cap),
        "amount": None if result.amount is None else money.format_plain(result.amount),
        "tax_saving": None if result.tax_saving is None else money.format_plain(result.tax_saving),
        "explanation": result.explanation,
    }


# ---------------------------------------------------------------------------------------------
# Profiles: schema and template

_MONEY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "examples": ["12000000", "12,000,000", "¥12,000,000.00", "1200万", "1.2亿"],
        },
    ]
}
_BOOL_WORDS = sorted(YES_WORDS | NO_WORDS)


def profile_schema(policy: Policy) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a profile, from the policy's declared inputs."""
    properties: dict[str, Any] = {}
    for item in policy.inputs.values():
        prop: dict[str, Any]
        if item.type == "money":
            prop = json.loads(json.dumps(_MONEY_SCHEMA))
        elif item.type == "count":
            prop = {
                "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "examples": ["2"]}]
            }
        elif item.type == "bool":
            prop = {
                "anyOf": [
                    {"type": "boolean"},
                    {"enum": [0, 1]},
                    {"type": "string", "enum": _BOOL_WORDS},
                ]
            }
        elif item.type == "rate":
            prop = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                              {"type": "string", "examples": ["15%", "0.15"]}]}  # fmt: skip
        elif item.type == "quantity":  # a number of units (亩), decimals allowed
            prop = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 10**9},
                              {"type": "string", "examples": ["120.5"]}]}  # fmt: skip
        elif item.type == "choice":
            # The values first (what `subsidy` writes), then the other words it reads (企业, 公司).
            words = [c[k] for c in item.choices for k in ("value", "zh", "en")]
            words += [a for c in item.choices for a in c.get("aliases", ())]
            prop = {"type": "string", "enum": list(dict.fromkeys(words))}
        else:
            prop = {"type": "string", "maxLength": 500}
        if item.unit:
            prop["x-unit"] = {"zh": item.unit["zh"], "en": item.unit["en"]}
        prop["title"] = item.label["zh"]
        help_zh = f"：{item.help['zh']}" if item.help else ""
        help_en = f": {item.help['en']}" if item.help else ""
        prop["description"] = f"{item.label['zh']}{help_zh} / {item.label['en']}{help_en}"
        prop["x-label"] = dict(item.label)
        if item.default is not None:
            prop["default"] = (
                str(item.default) if isinstance(item.default, Decimal) else item.default
            )
        properties[item.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:subsidycli:profile:{policy.id}",
        "title": f"Profile for {policy.title['en']} / {policy.title['zh']}",
        "description": "A field left out (or null) is unknown, not zero. Money is in 元 and may be "
        'written 12000000, "12,000,000", "¥12,000,000.00", "1200万" or "1.2亿".',
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {"anyOf": [prop, {"type": "null"}]} for name, prop in properties.items()
        },
    }


def template(policy: Policy, kind: str) -> str:
    """A profile template that `subsidy calc` accepts as it stands: TOML with every field
    commented by its label and unit, or JSON with every field null (unknown)."""
    if kind == "json":
        data = dict.fromkeys(policy.inputs)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    lines = [
        f"# 申报资料 / Profile — {policy.title['zh']}",
        "# 删除行首的 # 并填写；未填写的项目视为未知（不是 0）。",
        "# Remove the leading # and fill in; a field left out is unknown, not zero.",
        "# 金额可写 1200万、1.2亿、12,000,000；是/否写 true 或 false。",
        "",
    ]
    section = None
    for item in policy.inputs.values():
        if item.section and item.section != section:
            section = item.section
            lines += [
                "",
                f"# 【{policy.sections[section]['zh']}】 {policy.sections[section]['en']}",
            ]
        unit = f"（{item.unit['zh']}）" if item.unit else ""
        unit_en = f" ({item.unit['en']})" if item.unit else ""
        lines.append(f"# {item.label['zh']}{unit} / {item.label['en']}{unit_en}")
        if item.help:
            lines.append(f"#   {item.help['zh']}")
        if item.type == "choice":
            options = ", ".join(f"{c['value']} = {c['zh']}" for c in item.choices)
            lines.append(f"#   {options}")
        lines.append(f"# {item.name} = {_sample(item)}")
    return "\n".join(lines) + "\n"


def _sample(item: Input) -> str:
    if item.type == "money":
        return '"1200万"'
    if item.type == "count":
        return "0"
    if item.type == "bool":
        return "false"
    if item.type == "rate":  # an example of the form, not a rate of the policy
        return '"15%"'
    if item.type == "quantity":
        return "0"
    if item.type == "choice":
        default = item.default or item.choices[0]["value"]
        return f'"{default}"'
    return '""'


# ---------------------------------------------------------------------------------------------
# Diff

_COMPARED = (
    "title", "who", "basis", "when", "amount", "tiers", "cap", "count", "values", "source",
    "tax_saving", "clause", "minimum", "schedule", "year", "stages", "waits_for", "not_with",
)  # fmt: skip
_PAYMENT_KEYS = frozenset(_COMPARED[_COMPARED.index("clause") :])  # as `explain` words them


def diff(old: Policy, new: Policy, profile: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Article by article, what changed from `old` to `new`; with a profile, how results change."""
    return compare(old, new, profile)[0]


def compare(
    old: Policy, new: Policy, profile: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`diff`, and with a profile its total under each policy: {"old", "new", "change"} (cash;
    tax benefits apart, as everywhere: "tax_apart" when there are some) and "results_changed",
    whether any result changes."""
    evaluations = None
    if profile is not None:
        evaluations = (engine.evaluate(old, profile), engine.evaluate(new, profile))
    results_old = _results(evaluations[0] if evaluations else None)
    results_new = _results(evaluations[1] if evaluations else None)
    old_ids = {a.id: a for a in old.articles}
    new_ids = {a.id: a for a in new.articles}
    changes = []
    order = [a.id for a in old.articles] + [i for i in new_ids if i not in old_ids]
    for article_id in order:
        before, after = old_ids.get(article_id), new_ids.get(article_id)
        entry: dict[str, Any] = {"article": article_id}
        if before is None:
            assert after is not None
            entry.update(change="added", title=pick(after.title))
        elif after is None:
            entry.update(change="removed", title=pick(before.title))
        else:
            fields = {}
            for key in _COMPARED:
                a, b = _field(old, before, key), _field(new, after, key)
                if key == "values":
                    for name in dict.fromkeys([*a, *b]):
                        if a.get(name) != b.get(name):
                            fields[f"values.{name}"] = {"old": a.get(name), "new": b.get(name)}
                elif a != b:
                    fields[key] = {"old": a, "new": b}
            entry.update(
                change="changed" if fields else "same", title=pick(after.title), fields=fields
            )
        if profile is not None:
            r_old, r_new = results_old.get(article_id), results_new.get(article_id)
            entry["result"] = {"old": r_old, "new": r_new}
            if entry["change"] == "same" and r_old != r_new:
                entry["change"] = "changed"
        changes.append(entry)
    if evaluations is None:
        return changes, None
    before_total, after_total = (e.total for e in evaluations)
    totals = {
        "old": money.format_plain(before_total), "new": money.format_plain(after_total),
        "change": money.format_plain(after_total - before_total),
        "results_changed": results_old != results_new, "tax_apart": old.has_tax or new.has_tax,
    }  # fmt: skip
    return changes, totals


def _field(policy: Policy, article: Article, key: str) -> Any:
    if key == "title":
        return pick(article.title)
    if key == "who":
        return sorted(article.who) if article.who else ["any"]
    if key == "values":
        return {n: explain.show_value(v, k) for n, (v, k) in article.values.items()}
    if key == "tiers":
        return [f"{tier['condition'] or '—'} → {tier['amount']}" for tier in _tier_words(article)]
    if key in ("when", "amount", "cap", "tax_saving"):
        expr = getattr(article, key)
        return None if expr is None else explain.formula(expr.node, None)
    if key in _PAYMENT_KEYS:
        return _payment_field(_payment_words(policy, article).get(key))
    value: Any = getattr(article, key)
    return value


def _payment_field(value: Any) -> Any:
    """A key of `_payment_words` as `diff` compares and shows it: a line of words each."""
    if isinstance(value, list):
        return [_payment_item(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):  # waits_for
        when = t(" while {condition}", condition=value["when"]) if value["when"] else ""
        return t(", ").join(value["articles"]) + when
    return value


def _payment_item(item: Mapping[str, Any]) -> str:
    """A year of a schedule (第1–2年: its amount) or a stage of payment (30% its stage)."""
    if "years" in item:
        return f"{item['years']}: {item['amount'] or '—'}"
    return f"{item['share']} {item['stage']}"


def _results(evaluation: engine.Evaluation | None) -> dict[str, Any]:
    if evaluation is None:
        return {}
    return {
        r.article: {
            "status": r.status,
            "amount": None if r.amount is None else money.format_plain(r.amount),
        }
        for r in evaluation.results
    }
