"""A compiled policy: frozen dataclasses for its meta, inputs, articles and tiers.

The compiler (`compile.py`) makes them from a validated file; the engine reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli.expr import Expr

CASH_BASES = frozenset({"up_to", "exact"})
ANY = "any"

Text = Mapping[str, str]  # {"zh": ..., "en": ...}


@dataclass(frozen=True, slots=True)
class Meta:
    """The `[policy]` table: what the policy is, and what the source does not state."""

    id: str
    title: Text
    issuer: Text | None
    region: Text | None
    source_file: str | None
    preamble: str | None
    not_stated: tuple[str, ...]
    effective_from: dt.date | None
    effective_to: dt.date | None


# ---------------------------------------------------------------------------------------------
# The compiled policy


@dataclass(frozen=True, slots=True)
class Input:
    """A profile field the policy declares: its type, labels, and how to parse a value."""

    name: str
    type: str
    label: Text
    help: Text | None
    unit: Text | None
    section: str | None
    choices: tuple[Mapping[str, Any], ...]  # {"value", "zh", "en", "aliases"?}
    default: Any  # a parsed value, or None
    default_if: Expr | None
    default_then: Any
    default_else: Any
    parse: Callable[[object], Any]
    aliases: tuple[str, ...] = ()  # other header names of the field in a spreadsheet
    check: Text | None = None  # how a checklist names the item: the things, not "number of"
    at_most: str | None = None  # another input this one cannot exceed (a part of that amount)


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier of a tiered article: it pays `amount` when `when` holds (None: always)."""

    when: Expr | None
    amount: Expr


@dataclass(frozen=True, slots=True)
class Article:
    """One article of the policy, its numbers and its compiled condition and amount."""

    id: str
    section: str
    title: Text
    who: frozenset[str] | None  # None: any applicant
    basis: str
    values: Mapping[str, tuple[Decimal, str]]
    when: Expr | None
    amount: Expr | None
    cap: Expr | None
    count: str | None
    tax_saving: Expr | None
    source: str
    note: Text | None
    not_stated: tuple[str, ...]
    inputs: tuple[str, ...]  # every input field the result depends on
    labels: Mapping[str, Mapping[str, str]]  # the labels of those fields, by language
    who_label: Mapping[str, str] | None  # the applicant types that may claim, in words
    overridden: frozenset[str] = frozenset()
    policy: str = ""  # the id of the policy the article belongs to
    # Paid by tiers instead of `amount`: the first whose condition holds pays. Tier n in words
    # (第n档 / tier n) is tiers[n - 1].
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded, validated and compiled policy file."""

    id: str
    title: Text
    meta: Meta
    sections: Mapping[str, Text]  # section id -> title
    inputs: Mapping[str, Input]
    articles: tuple[Article, ...]
    path: str
    sha256: str
    data: Mapping[str, Any] = field(repr=False)  # the file as parsed, for `diff`
    parts: tuple[Policy, ...] = ()  # the policies a combined policy is made of
    # The inputs with a default, in the policy's order: what `engine.environment` fills in.
    defaulted: tuple[Input, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        defaulted = (i for i in self.inputs.values() if (i.default, i.default_if) != (None, None))
        object.__setattr__(self, "defaulted", tuple(defaulted))

    @property
    def files(self) -> tuple[Policy, ...]:
        """The loaded policy files behind this policy (itself, or the parts it combines)."""
        return self.parts or (self,)

    def article(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        return next((a for a in self.articles if a.id == article_id), None)

    def source_text(self) -> str | None:
        """The full source text shipped beside the policy file, if any."""
        if not self.meta.source_file:
            return None
        path = Path(self.path).parent / self.meta.source_file
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def in_force(self, day: dt.date) -> bool:
        """Whether the policy is in force on `day` (an open end is in force)."""
        start, end = self.meta.effective_from, self.meta.effective_to
        return (start is None or start <= day) and (end is None or day <= end)
