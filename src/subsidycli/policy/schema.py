"""The shape of a policy file, declared once: `TypedDict`s that mypy checks and pydantic validates.

The compiler (`compile.py`) reads a file's tables through these types, so a key it misspells is a
type error; `validate.py` checks a file against them with a pydantic `TypeAdapter`. The compiler
imports this module for typing only: importing pydantic and building its validator are the largest
start-up costs of the tool, and a file whose exact bytes passed once is not checked again (see
`trust.py`), so a `subsidy calc` on a known file never imports pydantic at all.

A key that may be left out is `NotRequired`; what the compiler assumes when it is (`who` is
`["any"]`, `values` is empty, ...) is said beside it. Every table forbids unknown keys
(`extra="forbid"`), and each keeps the name its pydantic model had, as the error wording shows it
("Input should be a valid dictionary or instance of Text").
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic refuses typing's before Python 3.12

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_NAME = r"^[a-z][a-z0-9_]*$"
_TABLE = ConfigDict(extra="forbid")

Name = Annotated[str, Field(pattern=_NAME)]
Said = Annotated[str, Field(min_length=1)]
Scalar = str | int | float | bool


@with_config(_TABLE)
class Text(TypedDict):
    """Words in both languages: {zh = "…", en = "…"}."""

    zh: Said
    en: Said


@with_config(_TABLE)
class ChoiceSpec(TypedDict):
    """One value of a `choice` input, and the words that name it."""

    value: Name
    zh: str
    en: str
    # Other words people write for this choice (公司 for 企业): accepted wherever a profile is
    # read. Left out: none.
    aliases: NotRequired[list[str]]


# `if` and `else` are Python keywords, so this table is declared by the functional syntax.
ConditionalDefault = TypedDict("ConditionalDefault", {"if": str, "then": Scalar, "else": Scalar})
"""A default that depends on other fields: `then` when the expression `if` holds, else `else`."""
with_config(_TABLE)(ConditionalDefault)


@with_config(_TABLE)
class InputSpec(TypedDict):
    """A profile field the policy reads (an `[[inputs]]` table)."""

    name: Name
    # quantity: a number of units that may have decimals (亩), read exactly; `unit` names them.
    type: Literal["money", "count", "bool", "rate", "choice", "text", "quantity"]
    label: Text
    help: NotRequired[Text | None]
    unit: NotRequired[Text | None]
    section: NotRequired[str | None]
    choices: NotRequired[list[ChoiceSpec] | None]
    # Other names of the field in a spreadsheet's header (企业名称 for name), besides id and label.
    aliases: NotRequired[list[str]]
    default: NotRequired[Scalar | ConditionalDefault | None]
    # How the interview's checklist names the item, when the label names a number ("…项目数").
    check: NotRequired[Text | None]
    # Another input this one cannot exceed (the deductible part of the R&D expense).
    at_most: NotRequired[Name | None]
    # The value of the example row of `subsidy init`'s sheet template, written as a profile
    # writes it ("1200万"). Left out: blank for an amount, a quantity, a rate or text; no for a
    # yes/no; 0 for a count; the default (else the first) choice.
    example: NotRequired[Scalar | None]


@with_config(_TABLE)
class TierSpec(TypedDict):
    """One tier of a tiered article; only the last may leave out `when`."""

    when: NotRequired[str | None]
    amount: str


# `from` is a Python keyword, so this table is declared by the functional syntax.
ScheduleRowSpec = TypedDict(
    "ScheduleRowSpec",
    {
        "from": Annotated[int, Field(ge=0, le=1000)],
        "to": NotRequired[Annotated[int, Field(ge=0, le=1000)]],  # left out: the year `from`
        "amount": NotRequired[str],  # left out: the article's amount or tiers pay that year
    },
)
"""Years `from`..`to` of a multi-year article (the first year is 1) and what each pays."""
with_config(_TABLE)(ScheduleRowSpec)

_KEY = r"^[a-z0-9][a-z0-9._-]*:[a-z0-9]+(?:-[a-z0-9]+)*$"  # "policy-id:article-id"


@with_config(_TABLE)
class WaitSpec(TypedDict):
    """`waits_for`: the article is paid only after these articles of the policy stop paying,
    while `when` holds (left out: always)."""

    when: NotRequired[str | None]
    articles: Annotated[list[Annotated[str, Field(pattern=_ID)]], Field(min_length=1)]


@with_config(_TABLE)
class StageSpec(TypedDict):
    """One stage of payment: the share of the amount paid, and when."""

    share: str
    stage: Text


@with_config(_TABLE)
class ArticleSpec(TypedDict):
    """An `[[articles]]` table: one article of the policy."""

    id: Annotated[str, Field(pattern=_ID)]
    section: str
    title: Text
    who: NotRequired[Annotated[list[str], Field(min_length=1)]]  # left out: ["any"]
    basis: Literal[
        "up_to", "exact", "range", "case_by_case", "unspecified", "tax_deduction", "info"
    ]
    clause: NotRequired[Annotated[str, Field(min_length=1)] | None]  # the source's 第4条
    values: NotRequired[dict[str, str | int | float]]  # left out: none
    when: NotRequired[str | None]
    amount: NotRequired[str | None]
    minimum: NotRequired[str | None]  # a range's least amount
    cap: NotRequired[str | None]
    tiers: NotRequired[list[TierSpec] | None]
    count: NotRequired[str | None]
    year: NotRequired[Name | None]  # the count input choosing the schedule's row
    schedule: NotRequired[Annotated[list[ScheduleRowSpec], Field(min_length=1)] | None]
    tax_saving: NotRequired[str | None]
    not_with: NotRequired[list[Annotated[str, Field(pattern=_KEY)]]]  # left out: none
    waits_for: NotRequired[WaitSpec | None]
    stages: NotRequired[Annotated[list[StageSpec], Field(min_length=2)] | None]
    applies_to: NotRequired[list[Annotated[str, Field(pattern=_ID)]]]  # the articles staged
    source: Said
    note: NotRequired[Text | None]
    not_stated: NotRequired[list[str]]  # left out: none


@with_config(_TABLE)
class SectionSpec(TypedDict):
    """A `[[sections]]` table: a heading the articles and inputs are grouped under."""

    id: str
    title: Text


@with_config(_TABLE)
class PolicyMeta(TypedDict):
    """The `[policy]` table: what the policy is, who issued it, when it is in force."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    title: Text
    issuer: NotRequired[Text | None]
    region: NotRequired[Text | None]
    source_file: NotRequired[str | None]
    preamble: NotRequired[str | None]
    not_stated: NotRequired[list[str]]  # left out: none
    effective_from: NotRequired[dt.date | None]
    effective_to: NotRequired[dt.date | None]
    # Versions of one policy share a family: on a date, the one in force is used.
    family: NotRequired[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] | None]
    issue_date: NotRequired[dt.date | None]
    stacking: NotRequired[Literal["highest"] | None]  # 就高不重复


@with_config(_TABLE)
class InterviewSpec(TypedDict):
    """The `[interview]` table: the order `subsidy interview` asks in. Left out: as below."""

    # "amounts": each amount (and choice) that decides cash, one prompt each, before the
    # checklists of yes/no and count items; "checklists": the choices, then the checklists, then
    # only the amounts still open (a policy whose amounts matter only to a few). Left out: amounts.
    first: NotRequired[Literal["amounts", "checklists"]]
    # The heading a checklist shows over an input's items: "part" (the input's section's parent,
    # 3 for 3.1, when the policy declares it) or "section" (the input's own). Left out: part.
    headings: NotRequired[Literal["part", "section"]]


@with_config(_TABLE)
class PolicyFile(TypedDict):
    """A whole policy file."""

    policy: PolicyMeta
    sections: Annotated[list[SectionSpec], Field(min_length=1)]
    inputs: Annotated[list[InputSpec], Field(min_length=1)]
    articles: Annotated[list[ArticleSpec], Field(min_length=1)]
    interview: NotRequired[InterviewSpec]  # left out: the defaults of InterviewSpec


@cache
def validator() -> TypeAdapter[PolicyFile]:
    """pydantic's validator of a whole file, built on first use (it costs tens of milliseconds)."""
    from pydantic import TypeAdapter

    return TypeAdapter(PolicyFile)
