"""The schema of a policy file, as pydantic models: the one definition of a valid file.

Imported only to validate a policy file that has not been validated before (see `policy.py`'s
cache of validated files), by `subsidy lint`, and by tests: pydantic's model building is the
largest start-up cost of the tool, and a file that passed once needs no second check.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ANY = "any"
_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_NAME = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ChoiceSpec(_Strict):
    value: str = Field(pattern=_NAME)
    zh: str
    en: str
    # Other words people write for this choice (公司 for 企业): accepted wherever a profile is read.
    aliases: list[str] = Field(default_factory=list)


class ConditionalDefault(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    if_: str = Field(alias="if")
    then: str | int | float | bool
    else_: str | int | float | bool = Field(alias="else")


class InputSpec(_Strict):
    name: str = Field(pattern=_NAME)
    type: Literal["money", "count", "bool", "rate", "choice", "text"]
    label: Text
    help: Text | None = None
    unit: Text | None = None
    section: str | None = None
    choices: list[ChoiceSpec] | None = None
    # Other names of the field in a spreadsheet's header (企业名称 for name), besides id and label.
    aliases: list[str] = Field(default_factory=list)
    default: str | int | float | bool | ConditionalDefault | None = None
    # How the interview's checklist names the item, when the label names a number ("…项目数").
    check: Text | None = None
    # Another input this one cannot exceed (the deductible part of the R&D expense).
    at_most: str | None = Field(default=None, pattern=_NAME)


class TierSpec(_Strict):
    when: str | None = None
    amount: str


class ArticleSpec(_Strict):
    id: str = Field(pattern=_ID)
    section: str
    title: Text
    who: list[str] = Field(default_factory=lambda: [ANY], min_length=1)
    basis: Literal["up_to", "exact", "unspecified", "tax_deduction", "info"]
    values: dict[str, str | int | float] = Field(default_factory=dict)
    when: str | None = None
    amount: str | None = None
    cap: str | None = None
    tiers: list[TierSpec] | None = None
    count: str | None = None
    tax_saving: str | None = None
    source: str = Field(min_length=1)
    note: Text | None = None
    not_stated: list[str] = Field(default_factory=list)


class SectionSpec(_Strict):
    id: str
    title: Text


class PolicyMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: Text
    issuer: Text | None = None
    region: Text | None = None
    source_file: str | None = None
    preamble: str | None = None
    not_stated: list[str] = Field(default_factory=list)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class PolicyFile(_Strict):
    policy: PolicyMeta
    sections: list[SectionSpec] = Field(min_length=1)
    inputs: list[InputSpec] = Field(min_length=1)
    articles: list[ArticleSpec] = Field(min_length=1)
