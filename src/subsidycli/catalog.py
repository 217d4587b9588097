"""What a policy says, as data: its articles, one article explained, the profile's JSON Schema, a
profile template, lint findings and the differences between two policy files.

Pure functions over loaded policies; `render.py` turns their results into text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli import engine, explain, money
from subsidycli.errors import PolicyError, UnknownArticle
from subsidycli.i18n import NO_WORDS, YES_WORDS, t, word
from subsidycli.policy import Article, Input, Policy, combine, load_policy

EXAMPLE_COUNT = 2
EXAMPLE_MONEY = Decimal(1_000_000)  # for an article that states no amount to go by


def stated_cap(article: Article) -> Decimal | None:
    """The cap the policy states for one claim (per item for count articles), or None."""
    return engine.known_cap(article, {})


def who_text(article: Article, lang: str) -> str:
    """Who may claim, in words."""
    if article.who_label:
        return article.who_label[lang]
    return word(lang, "any_applicant")


def article_rows(policy: Policy, lang: str) -> list[dict[str, Any]]:
    """One row per article: id, section, title, who, basis, the stated cap."""
    return [_head(policy, article, lang) for article in policy.articles]


def _head(policy: Policy, article: Article, lang: str) -> dict[str, Any]:
    """What `articles` lists of an article, and `explain` begins with."""
    cap = stated_cap(article)
    return {
        "id": article.id,
        "policy": article.policy,
        "section": article.section.rpartition("/")[2],
        "section_title": policy.sections[article.section][lang],
        "title": article.title[lang],
        "who": sorted(article.who) if article.who else ["any"],
        "who_text": who_text(article, lang),
        "basis": article.basis,
        "cap": None if cap is None else money.format_plain(cap),
        "per_item": article.count,
    }


def find_article(policy: Policy, name: str) -> Article:
    """The article with this id, or with this title (Chinese or English, or a unique part of
    one: "瞪羚" finds 首次评定瞪羚企业支持); else UnknownArticle naming the nearest."""
    article = policy.article(name)
    if article is not None:
        return article
    from subsidycli.money import normalize_text

    wanted = normalize_text(name).casefold()
    titles = {a.id: [normalize_text(a.title[lang]).casefold() for lang in ("zh", "en")]
              for a in policy.articles}  # fmt: skip
    exact = [a for a in policy.articles if wanted in titles[a.id]]
    partial = [a for a in policy.articles if wanted and any(wanted in t for t in titles[a.id])]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(f"{a.id} ({a.title['zh']})" for a in found[:8])
        raise UnknownArticle(t("{name} names several articles: {articles}", name=repr(name),
                               articles=listed))  # fmt: skip
    import difflib

    ids = [a.id for a in policy.articles]
    near = difflib.get_close_matches(name, ids, n=3, cutoff=0.4)
    hint = (
        t("did you mean {names}?", names=", ".join(near)) if near
        else t("see `subsidy articles` for the ids and titles")
    )  # fmt: skip
    raise UnknownArticle(t("no article {name} ({hint})", name=repr(name), hint=hint))


def describe_article(policy: Policy, article_id: str, lang: str) -> dict[str, Any]:
    """One article in full: source, who, condition and formula in words, inputs, an example."""
    article = find_article(policy, article_id)
    reads = [_input_entry(policy.inputs[name], lang) for name in article.inputs]
    data: dict[str, Any] = {
        **_head(policy, article, lang),
        "source": article.source,
        "condition": _words(article.when, lang),
        "amount": _words(article.amount, lang),
        "cap_formula": _words(article.cap, lang),
        "values": {
            name: explain.show_value(value, kind, lang)
            for name, (value, kind) in article.values.items()
        },
        "inputs": reads,
        "note": article.note[lang] if article.note else None,
        "not_stated": list(article.not_stated),
        "overridden": sorted(article.overridden),
        "example": _worked_example(policy, article, lang),
    }
    if article.tax_saving is not None:
        data["tax_saving"] = _words(article.tax_saving, lang)
    if article.tiers:
        data["tiers"] = _tier_words(article, lang)
    return data


def _tier_words(article: Article, lang: str) -> list[dict[str, Any]]:
    """Each tier in words: its number (from 1), condition (None: otherwise) and amount."""
    return [
        {"tier": n, "condition": _words(tier.when, lang), "amount": _words(tier.amount, lang)}
        for n, tier in enumerate(article.tiers, start=1)
    ]


def _words(expr: Any, lang: str) -> str | None:
    return None if expr is None else explain.formula(expr.node, None, lang)


def _input_entry(item: Input, lang: str) -> dict[str, Any]:
    return {
        "name": item.name,
        "label": item.label[lang],
        "type": item.type,
        "unit": item.unit[lang] if item.unit else None,
    }


def _example_money(article: Article) -> Decimal:
    """An amount that clears the article's thresholds: 1.2 × the largest sum it states."""
    stated = [value for value, kind in article.values.values() if kind == "money"]
    return max([*stated, EXAMPLE_MONEY]) * Decimal("1.2")


def _worked_example(policy: Policy, article: Article, lang: str) -> dict[str, Any] | None:
    """A profile that satisfies the article (1200万 for money, 2 for counts, yes for flags)."""
    if article.basis == "info":
        return None
    profile: dict[str, Any] = {}
    for name in article.inputs:
        item = policy.inputs[name]
        if name == "applicant_type":
            profile[name] = sorted(article.who)[0] if article.who else "enterprise"
        elif item.type == "money":
            profile[name] = _example_money(article)
        elif item.type == "count":
            profile[name] = EXAMPLE_COUNT
        elif item.type == "bool":
            profile[name] = True
    env = engine.environment(policy, profile)
    result = engine.evaluate_article(article, env, lang)
    if result.status != engine.ELIGIBLE:
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
    if item.type == "choice":
        default = item.default or item.choices[0]["value"]
        return f'"{default}"'
    return '""'


# ---------------------------------------------------------------------------------------------
# Lint


def lint(paths: Sequence[Path], together: Sequence[Path] = ()) -> tuple[list[str], list[str]]:
    """Validate policy files: (problems as "file:line: message", one summary line per good file).

    Beyond what loading checks (TOML syntax, schema, expressions, duplicate ids, caps without
    amounts, articles without source, default circles, dates), `lint.check` holds each file to
    its source: figures in the quotes, quotes verbatim in the `source_file`; and a policy that
    ships its source text must quote every paragraph of it. With `together`, each file must
    also combine with those (as `--policy A --policy B` does): shared inputs declared alike.
    """
    from subsidycli import lint as checks

    problems: list[str] = []
    summaries: list[str] = []
    partners: list[Policy] = []
    for path in together:
        try:
            partners.append(load_policy(path, validate=True))
        except PolicyError as exc:
            problems.extend(exc.lines())
    for path in paths:
        try:
            policy = load_policy(path, validate=True)
        except PolicyError as exc:
            problems.extend(exc.lines())
            continue
        found = checks.check(policy)
        text = policy.source_text()
        if text is not None:
            source = Path(policy.path).parent / str(policy.meta.source_file)
            found.extend(
                f"{source}:{_line_in(text, piece)}: "
                + t("source text not quoted by any article: {piece}…", piece=piece[:40])
                for piece in uncovered_source(policy)
            )
        with_text = ""
        if partners:
            try:
                combine([policy, *partners])
                with_text = t(", works with {files}", files=", ".join(p.path for p in partners))
            except PolicyError as exc:
                files = ", ".join(p.path for p in partners)
                found.extend(f"{path}: " + t("with {files}: {problem}", files=files, problem=line)
                             for line in exc.lines())  # fmt: skip
        problems.extend(found)
        if not found:
            summaries.append(f"{path}: " + t(
                "ok ({articles} articles, {inputs} inputs, sha256 {sha}{together})",
                articles=len(policy.articles), inputs=len(policy.inputs),
                sha=policy.sha256[:12], together=with_text,
            ))  # fmt: skip
    return problems, summaries


def _line_in(text: str, squashed: str) -> int:
    """The line of `text` where `squashed` (a piece of it without whitespace) begins."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    start = "".join(text[i] for i in positions).find(squashed)
    return text[: positions[start]].count("\n") + 1 if start >= 0 else 1


def uncovered_source(policy: Policy) -> list[str]:
    """Paragraphs of the shipped source text that no article, section title or preamble quotes."""
    text = policy.source_text()
    if text is None:
        return []
    quoted = [a.source for a in policy.articles] + [t["zh"] for t in policy.sections.values()]
    if policy.meta.preamble:
        quoted.append(policy.meta.preamble)
    rest = _squash(text)
    for piece in sorted((_squash(q) for q in quoted), key=len, reverse=True):
        rest = rest.replace(piece, "\n")
    leftovers = [part for part in rest.split("\n") if any(ch.isalnum() for ch in part)]
    return leftovers


def _squash(text: str) -> str:
    return "".join(text.split())


# ---------------------------------------------------------------------------------------------
# Diff

_COMPARED = (
    "title", "who", "basis", "when", "amount", "tiers", "cap", "count", "values", "source",
)  # fmt: skip


def diff(
    old: Policy, new: Policy, profile: Mapping[str, Any] | None, lang: str
) -> list[dict[str, Any]]:
    """Article by article, what changed from `old` to `new`; with a profile, how results change."""
    old_ids = {a.id: a for a in old.articles}
    new_ids = {a.id: a for a in new.articles}
    results_old = _results(old, profile, lang)
    results_new = _results(new, profile, lang)
    changes = []
    order = [a.id for a in old.articles] + [i for i in new_ids if i not in old_ids]
    for article_id in order:
        before, after = old_ids.get(article_id), new_ids.get(article_id)
        entry: dict[str, Any] = {"article": article_id}
        if before is None:
            assert after is not None
            entry.update(change="added", title=after.title[lang])
        elif after is None:
            entry.update(change="removed", title=before.title[lang])
        else:
            fields = {}
            for key in _COMPARED:
                a, b = _field(before, key, lang), _field(after, key, lang)
                if key == "values":
                    for name in dict.fromkeys([*a, *b]):
                        if a.get(name) != b.get(name):
                            fields[f"values.{name}"] = {"old": a.get(name), "new": b.get(name)}
                elif a != b:
                    fields[key] = {"old": a, "new": b}
            entry.update(
                change="changed" if fields else "same", title=after.title[lang], fields=fields
            )
        if profile is not None:
            r_old, r_new = results_old.get(article_id), results_new.get(article_id)
            entry["result"] = {"old": r_old, "new": r_new}
            if entry["change"] == "same" and r_old != r_new:
                entry["change"] = "changed"
        changes.append(entry)
    return changes


def _field(article: Article, key: str, lang: str) -> Any:
    if key == "title":
        return article.title[lang]
    if key == "who":
        return sorted(article.who) if article.who else ["any"]
    if key == "values":
        return {n: explain.show_value(v, k, lang) for n, (v, k) in article.values.items()}
    if key == "tiers":
        return [f"{t['condition'] or '—'} → {t['amount']}" for t in _tier_words(article, lang)]
    if key in ("when", "amount", "cap"):
        expr = getattr(article, key)
        return None if expr is None else explain.formula(expr.node, None, lang)
    value: Any = getattr(article, key)
    return value


def _results(policy: Policy, profile: Mapping[str, Any] | None, lang: str) -> dict[str, Any]:
    if profile is None:
        return {}
    evaluation = engine.evaluate(policy, profile, lang)
    return {
        r.article: {
            "status": r.status,
            "amount": None if r.amount is None else money.format_plain(r.amount),
        }
        for r in evaluation.results
    }
