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
    type: Literal["money", "count", "bool", "rate", "choice", "text"]
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


@with_config(_TABLE)
class TierSpec(TypedDict):
    """One tier of a tiered article; only the last may leave out `when`."""

    when: NotRequired[str | None]
    amount: str


@with_config(_TABLE)
class ArticleSpec(TypedDict):
    """An `[[articles]]` table: one article of the policy."""

    id: Annotated[str, Field(pattern=_ID)]
    section: str
    title: Text
    who: NotRequired[Annotated[list[str], Field(min_length=1)]]  # left out: ["any"]
    basis: Literal["up_to", "exact", "unspecified", "tax_deduction", "info"]
    values: NotRequired[dict[str, str | int | float]]  # left out: none
    when: NotRequired[str | None]
    amount: NotRequired[str | None]
    cap: NotRequired[str | None]
    tiers: NotRequired[list[TierSpec] | None]
    count: NotRequired[str | None]
    tax_saving: NotRequired[str | None]
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


@with_config(_TABLE)
class PolicyFile(TypedDict):
    """A whole policy file."""

    policy: PolicyMeta
    sections: Annotated[list[SectionSpec], Field(min_length=1)]
    inputs: Annotated[list[InputSpec], Field(min_length=1)]
    articles: Annotated[list[ArticleSpec], Field(min_length=1)]


@cache
def validator() -> TypeAdapter[PolicyFile]:
    """pydantic's validator of a whole file, built on first use (it costs tens of milliseconds)."""
    from pydantic import TypeAdapter

    return TypeAdapter(PolicyFile)
