"""What the SQL compiler knows: every field of a policy, its inputs, articles, tiers, schedule
rows and waits is walked, and one the compiler was not taught must keep its default, or the
policy is refused (`Unsupported`): a new construct is refused until it is taught.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from subsidycli.policy import CASH_BASES, Policy
from subsidycli.sql.types import COLUMN_TYPES
from subsidycli.sql.types import refuse as _refuse

BASES = frozenset({"info", "up_to", "exact", "unspecified", "tax_deduction", "range",
                   "case_by_case"})  # fmt: skip
CASH = CASH_BASES  # the bases whose eligible amount counts in the total
OPS = frozenset({"name", "const", "and", "or", "not", "cmp", "arith", "neg", "call"})
# The fields of an article, a tier, an input and a policy the compiler knows; any other field
# must keep its default, or the policy is refused.
KNOWN_ARTICLE = frozenset({
    "id", "section", "title", "who", "basis", "values", "when", "amount", "cap", "count",
    "tax_saving", "source", "note", "not_stated", "inputs", "labels", "who_label", "overridden",
    "policy", "tiers", "clause", "minimum", "year", "schedule", "not_with", "waits_for", "stages",
    "payment",
})  # fmt: skip
KNOWN_TIER = frozenset({"when", "amount"})
KNOWN_ROW = frozenset({"first", "last", "amount"})  # a row of a schedule
KNOWN_WAIT = frozenset({"when", "articles"})
KNOWN_INPUT = frozenset({
    "name", "type", "label", "help", "unit", "section", "choices", "default", "default_if",
    "default_then", "default_else", "parse", "aliases", "check", "at_most", "example",
})  # fmt: skip
KNOWN_POLICY = frozenset({
    "id", "title", "meta", "sections", "inputs", "articles", "path", "sha256", "data", "parts",
    "interview", "evaluated_on", "lapsed", "uncounted", "defaulted", "pairs", "waits",
})  # fmt: skip


def _check_fields(obj: Any, known: frozenset[str], what: str) -> None:
    for item in dataclasses.fields(obj):
        if item.name in known or not item.init:
            continue
        default = item.default
        if default is dataclasses.MISSING and item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        if default is dataclasses.MISSING or getattr(obj, item.name) != default:
            raise _refuse(f"{what}.{item.name}")


def check(policy: Policy) -> None:
    """Raise Unsupported when `policy` uses anything the compiler does not know."""
    _check_fields(policy, KNOWN_POLICY, "policy")
    for item in policy.inputs.values():
        _check_fields(item, KNOWN_INPUT, "inputs")
        if item.type not in COLUMN_TYPES:
            raise _refuse(f"type = {item.type!r}")
    for article in policy.articles:
        _check_fields(article, KNOWN_ARTICLE, "articles")
        if article.basis not in BASES:
            raise _refuse(f"basis = {article.basis!r}")
        for tier in article.tiers:
            _check_fields(tier, KNOWN_TIER, "tiers")
        for row in article.schedule:
            _check_fields(row, KNOWN_ROW, "schedule")
        if article.waits_for is not None:
            _check_fields(article.waits_for, KNOWN_WAIT, "waits_for")
        if article.count is not None:
            counted = policy.inputs.get(article.count)
            if counted is None or counted.default_if is not None:
                raise _refuse(f"count = {article.count!r}")


def same_inputs(one: Policy, other: Policy) -> bool:
    """Whether two policies read the same inputs, of the same types (one table serves both)."""
    def shape(policy: Policy) -> list[tuple[str, str, Any]]:
        return [(i.name, i.type, i.choices) for i in policy.inputs.values()]

    return shape(one) == shape(other)
