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
from subsidycli.i18n import pick, t

# The bases whose amount is cash that counts in the total: a `range` counts at its maximum.
CASH_BASES = frozenset({"up_to", "exact", "range"})
# The bases whose amounts add up to a sum over a population: cash, and tax deductions (an
# article that states no amount, `unspecified` or `case_by_case`, has none: —, never 0).
SUMMED_BASES = CASH_BASES | {"tax_deduction"}
ANY = "any"
# The stacking rules a policy may state (`[policy] stacking`): "highest" is 就高不重复, of two
# articles not paid together (`not_with`) the higher amount is paid.
STACKING_RULES = frozenset({"highest"})

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
    # Files of one family are versions of one policy: on a date, the one in force is used.
    family: str | None = None
    issue_date: dt.date | None = None  # the date the source gives the document (发布/印发)
    stacking: str | None = None  # the policy's stacking rule (STACKING_RULES), if it states one


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
    example: Any = None  # the template's example value (parsed), or None: the type's own


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier of a tiered article: it pays `amount` when `when` holds (None: always)."""

    when: Expr | None
    amount: Expr


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """Years `first`..`last` (counted from 1) of a multi-year article, and what each pays:
    `amount`, or the article's own amount or tiers when None."""

    first: int
    last: int
    amount: Expr | None


@dataclass(frozen=True, slots=True)
class Wait:
    """An article paid only after others (第12条: 新建项目在享受完…后执行): while `when` holds
    and one of `articles` (keys "policy-id:article-id") still pays, it is not paid."""

    when: Expr | None
    articles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Payment:
    """How an article's amount is paid out, as another article of the policy states it
    (第21条: 30% / 30% / 40% by construction stage): `stages` are (share, stage in words)."""

    article: str  # the id of the article that states it
    clause: str | None
    title: Text
    stages: tuple[tuple[Decimal, Text], ...]


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
    clause: str | None = None  # the source's own number for the clause: 第4条
    minimum: Expr | None = None  # a `range`: the least it pays (`amount` is the most)
    year: str | None = None  # the count input saying which year of a schedule the profile is in
    schedule: tuple[ScheduleRow, ...] = ()
    not_with: tuple[str, ...] = ()  # "policy-id:article-id": not paid together with these
    waits_for: Wait | None = None
    stages: tuple[tuple[Decimal, Text], ...] = ()  # an article stating how others are paid out
    payment: Payment | None = None  # how this article is paid out, if another article says

    @property
    def key(self) -> str:
        """The article's id across policies, "policy-id:article-id" (as `not_with` names it),
        whether or not combining policies prefixed its id."""
        return self.id if ":" in self.id else f"{self.policy}:{self.id}"

    @property
    def named(self) -> str:
        """The article as a reason names it: its clause and title (第4条“新建项目绩效奖励”)."""
        title = pick(self.title)
        if self.clause:
            return t("{clause} ({title})", clause=self.clause, title=title)
        return title


@dataclass(frozen=True, slots=True)
class Interview:
    """The `[interview]` table: what the interview asks first ("amounts" or "checklists"), and
    which heading a checklist shows over an input's items ("part": its section's parent)."""

    first: str = "amounts"
    headings: str = "part"


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
    interview: Interview = Interview()  # how `subsidy interview` asks (frozen: shared safely)
    # The day it is evaluated on (`--date`, else today; None: not decided, as for `lint`), and
    # the ids of its policy files not in force that day: computed and shown, never in the total.
    evaluated_on: dt.date | None = None
    lapsed: frozenset[str] = frozenset()
    # The ids of the articles of lapsed policy files: the engine leaves them out of the total.
    uncounted: frozenset[str] = field(init=False, repr=False, compare=False)
    # The inputs with a default, in the policy's order: what `engine.environment` fills in.
    defaulted: tuple[Input, ...] = field(init=False, repr=False, compare=False)
    # Results that settle other results (`engine.settle`), by article index: the pairs not paid
    # together (`not_with`, either side declaring it; a partner not loaded is no pair), and each
    # waiting article with the articles it waits for.
    pairs: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    waits: tuple[tuple[int, tuple[int, ...]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        defaulted = (i for i in self.inputs.values() if (i.default, i.default_if) != (None, None))
        object.__setattr__(self, "defaulted", tuple(defaulted))
        lapsed = (a.id for a in self.articles if (a.policy or self.id) in self.lapsed)
        object.__setattr__(self, "uncounted", frozenset(lapsed) if self.lapsed else frozenset())
        index = {a.key: n for n, a in enumerate(self.articles)}
        pairs: dict[tuple[int, int], None] = {}
        waits: list[tuple[int, tuple[int, ...]]] = []
        for n, article in enumerate(self.articles):
            for key in article.not_with:
                other = index.get(key)
                if other is not None and other != n:
                    pairs[(min(n, other), max(n, other))] = None
            if article.waits_for is not None:
                found = (index.get(key) for key in article.waits_for.articles)
                waits.append((n, tuple(i for i in found if i is not None)))
        object.__setattr__(self, "pairs", tuple(pairs))
        object.__setattr__(self, "waits", tuple(waits))

    @property
    def showcase(self) -> Input | None:
        """The field a message names as an example of this policy's: the first with an
        `example`, else the first but the name and the applicant type (common to all policies)."""
        fields = [i for n, i in self.inputs.items() if n not in ("name", "applicant_type")]
        return next((i for i in fields if i.example is not None), fields[0] if fields else None)

    @property
    def has_tax(self) -> bool:
        """Whether some article is a tax benefit: only then do outputs say tax stays apart."""
        return any(a.basis == "tax_deduction" for a in self.articles)

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
        return self.standing(day) == "in_force"

    def standing(self, day: dt.date) -> str:
        """On `day`: "in_force", "expired" (after `effective_to`) or "not_yet" (before
        `effective_from`). A policy that states no dates is taken as in force."""
        start, end = self.meta.effective_from, self.meta.effective_to
        if end is not None and day > end:
            return "expired"
        if start is not None and day < start:
            return "not_yet"
        return "in_force"
