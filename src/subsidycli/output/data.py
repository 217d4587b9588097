"""Results as the JSON of docs/contract.md: one article's result (`result_dict`), a whole
evaluation (`evaluation_dict`, `to_json`), the receipt that makes a calculation reproducible,
and the pieces batch's lean records share with them (`plain`, `add_details`, `money_articles`).

Plain dicts and text with stable English keys; no rich, and nothing is recomputed: every value
is the engine's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from subsidycli import __version__, explain, money
from subsidycli.engine import (
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import pick
from subsidycli.policy import Article, Policy


def plain(amount: Decimal | None) -> str | None:
    return None if amount is None else money.format_plain(amount)


def gap_entries(policy: Policy, result: ArticleResult) -> list[dict[str, Any]]:
    """The threshold gaps of a result as JSON objects."""
    entries = []
    for gap in result.gaps:
        label = pick(policy.inputs[gap.field].label)
        entries.append({
            "field": gap.field, "value": plain(gap.value), "threshold": plain(gap.threshold),
            "inclusive": gap.inclusive, "short_by": plain(gap.short_by),
            "text": explain.gap_text(gap, label),
        })  # fmt: skip
    return entries


def result_dict(
    policy: Policy, result: ArticleResult, article: Article | None = None
) -> dict[str, Any]:
    """One article's result as the JSON object of docs/contract.md (plus documented extra keys).

    `article` is the result's article when the caller has it at hand (saves a lookup).
    """
    if article is None:
        article = policy.article(result.article)
    assert article is not None and article.id == result.article
    entry: dict[str, Any] = {
        "article": article.id,
        "policy": article.policy,
        "title": pick(article.title),
        "section": article.section,
        "status": result.status,
        "basis": article.basis,
        "amount": plain(result.amount),
        "cap": plain(result.cap),
        "explanation": result.explanation,
        "missing": list(result.missing),
        "source": article.source,
    }
    add_details(entry, policy, article, result)
    if article.note:
        entry["note"] = pick(article.note)
    if article.overridden:
        entry["overridden"] = sorted(article.overridden)
    return entry


def add_details(
    entry: dict[str, Any], policy: Policy, article: Article, result: ArticleResult
) -> dict[str, Any]:
    """The keys a result has where they apply: tax_saving, count, tier, minimum, gap (calc's and
    batch's)."""
    if article.basis == "tax_deduction":
        entry["tax_saving"] = plain(result.tax_saving)
    if article.count:
        entry["count"] = result.count
    if article.tiers:  # the tier that pays, 1 the first; null when none does (yet)
        entry["tier"] = result.tier
    if article.basis == "range":  # the least it pays; `amount` is the most, as the total counts
        entry["minimum"] = plain(result.minimum)
    if result.gaps:
        entry["gap"] = gap_entries(policy, result)
    return entry


def evaluation_dict(
    evaluation: Evaluation, receipt: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The whole evaluation as docs/contract.md's `calc --format json` object."""
    policy = evaluation.policy
    data: dict[str, Any] = {
        "policy": policy_block(policy),
        "name": evaluation.profile.get("name"),
        "results": [
            result_dict(policy, r, a)
            for a, r in zip(policy.articles, evaluation.results, strict=True)
        ],
        "total": money.format_plain(evaluation.total),
        "missing": list(evaluation.missing),
    }
    if evaluation.assumed:
        data["assumed"] = list(evaluation.assumed)
    if receipt is not None:
        data["receipt"] = dict(receipt)
    return data


def policy_block(policy: Policy) -> dict[str, Any]:
    """The JSON `policy` block: id, title, and whether it is in force on the day it was evaluated
    on (`in_force`; a policy that states no dates is). The dates where the file states them; for
    several policies, each of them under `policies`."""
    block = _standing(policy, policy.files[0])
    if len(policy.files) > 1:
        block = {"id": policy.id, "title": pick(policy.title), "in_force": not policy.lapsed}
        block["policies"] = [_standing(policy, p) for p in policy.files]
    return block


def _standing(policy: Policy, part: Policy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": part.id, "title": pick(part.title), "in_force": part.id not in policy.lapsed,
    }  # fmt: skip
    for key in ("effective_from", "effective_to"):
        day = getattr(part.meta, key)
        if day is not None:
            entry[key] = day.isoformat()
    return entry


def money_articles(policy: Policy) -> tuple[Article, ...]:
    """The articles with an amount (basis other than `info`): the results of a lean record."""
    return tuple(a for a in policy.articles if a.basis != "info")


def print_json(data: Any, file: TextIO) -> None:
    """Any JSON-ready data (articles, explain, schema, diff), pretty and UTF-8."""
    file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def to_json(evaluation: Evaluation, receipt: Mapping[str, Any] | None = None) -> str:
    """Pretty JSON, UTF-8 text (Chinese is not escaped)."""
    return json.dumps(evaluation_dict(evaluation, receipt), ensure_ascii=False, indent=2) + "\n"


def receipt(
    policy: Policy, overrides: dict[str, str], profile: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What makes a calculation reproducible: tool, policy file hash, the day it was evaluated
    on (`--date`, else today), overrides, and the digest of the profile it was computed from
    (after --set), so two estimates can be told apart."""
    from subsidycli.policy.load import today

    day = policy.evaluated_on or today()
    data = {
        "tool": "subsidycli",
        "version": __version__,
        "policies": [
            {"id": p.id, "file": Path(p.path).name, "sha256": p.sha256} for p in policy.files
        ],
        "evaluated_on": day.isoformat(),
        "overrides": overrides,
    }
    if profile is not None:
        from subsidycli.profile import digest

        data["profile_sha256"] = digest(profile)
    return data


