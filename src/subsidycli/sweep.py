"""`subsidy summary --sweep ARTICLE.KEY=V1,V2,…`: the cost curve of one number of a policy.

A sweep is one `--override` per value: each value is read as `--override` reads that key (money
stays money, a rate a rate, `policy.overrides.override_value`), each becomes a policy compiled
like any other (`load`, the caller's), and all of them are tallied over one read of the input
(`summary.tally` or `summary.tally_sql`, the caller's). Per value: how many are eligible for
the article and how many need information, the article's sum and the policy's total.

Pure: no typer, no rich, no I/O of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from subsidycli import money
from subsidycli.errors import MoneyError, SubsidyError, UnknownArticle
from subsidycli.i18n import t
from subsidycli.policy import Article, Policy
from subsidycli.policy.names import find_article
from subsidycli.policy.overrides import override_value
from subsidycli.summary import ArticleTally, Population, Summary, Tally

MAX_VALUES = 200  # the values of one sweep: each is a policy evaluated over every record
EXPRESSIONS = ("amount", "cap")  # an article's expressions a sweep may set to an amount
EXAMPLE = "rd-investment-subsidy.max=10万,20万,30万"
_RANGE = re.compile(r"^(?P<start>.+?)\.\.(?P<stop>.+?)/(?P<step>.+)$")
_SEPARATORS = re.compile(r"[,，、]")


@dataclass(frozen=True, slots=True)
class Sweep:
    """One number of one article, and the values to try it at (ascending, each once)."""

    article: Article
    key: str  # a named value of the article, or `amount` / `cap`
    kind: str  # "money", "rate" or "number", as the policy states the value
    values: tuple[Decimal, ...]
    current: Decimal | None  # the policy's own value; None for an expression that reads fields

    @property
    def name(self) -> str:
        """`ARTICLE.KEY`, as --override names it."""
        return f"{self.article.id}.{self.key}"

    def override(self, value: Decimal) -> dict[str, str]:
        """The --override that sets the key to `value`."""
        return {self.name: f"{value:f}"}


@dataclass(frozen=True, slots=True)
class Point:
    """The population under one value of the sweep."""

    value: Decimal
    eligible: int  # for the swept article
    needs_info: int
    amount: Decimal | None  # the article's sum (None: it states no amount)
    total: Decimal  # the policy's grand total
    current: bool  # the value is the policy's own


@dataclass(frozen=True, slots=True)
class Curve:
    """A sweep's result: the summary of the policy as given (with its baseline for a what-if)
    and one point per value."""

    sweep: Sweep
    summary: Summary
    points: tuple[Point, ...]


def plan(policy: Policy, option: str, overrides: Mapping[str, str] | None = None) -> Sweep:
    """Read `--sweep ARTICLE.KEY=V1,V2,…` (or `ARTICLE.KEY=FROM..TO/STEP`) against `policy` (the
    policy as given, its --overrides applied). Raises SubsidyError naming the option."""
    name, sep, spec = option.partition("=")
    name, spec = name.strip(), spec.strip()
    article_id, dot, key = name.rpartition(".")
    if not sep or not dot or not article_id or not key:
        raise SubsidyError(t("--sweep {option}: expected ARTICLE.KEY=V1,V2,… or "
                             "ARTICLE.KEY=FROM..TO/STEP, e.g. {example}", option=repr(option),
                             example=EXAMPLE))  # fmt: skip
    article = _article(policy, article_id, name)
    kind, current = _number(article, key, name)
    given = _overridden_as(policy, article, key, overrides or {})
    if given is not None:
        raise SubsidyError(t("--sweep {key}: {override} is also given to --override; give it to "
                             "one of them", key=name, override=given))  # fmt: skip
    shown = _shown(kind, current)

    def read(text: str) -> Decimal:
        return _read(name, kind, shown, text)

    values = _values(spec, read, name)
    return Sweep(article, key, kind, values, current)


def _article(policy: Policy, article_id: str, name: str) -> Article:
    for article in policy.articles:
        if article_id in (article.id, article.id.rpartition(":")[2]):
            return article
    try:  # by its title, Chinese or English, as --override and explain take it
        return find_article(policy.articles, article_id)
    except UnknownArticle as exc:
        raise SubsidyError(t("--sweep {key}: {detail}", key=name, detail=exc.message)) from None


def _overridden_as(
    policy: Policy, article: Article, key: str, overrides: Mapping[str, str]
) -> str | None:
    """The --override that sets the same number as the sweep, as the person wrote it (its
    article named by id or by title, Chinese or English, as the shared resolver reads it);
    None when none does."""
    for given in overrides:
        article_name, _, given_key = given.rpartition(".")
        if given_key.strip() != key:
            continue
        try:
            found = find_article(policy.articles, article_name.strip())
        except UnknownArticle:  # no article, or several: the override's own check says so
            continue
        if found.id == article.id:
            return given
    return None


def _number(article: Article, key: str, name: str) -> tuple[str, Decimal | None]:
    """The kind of the article's number `key`, and its value (None: an expression that reads
    fields). A key that is no number of the article (a condition, a name it does not have) is
    refused, listing those it has."""
    if key in article.values:
        value, kind = article.values[key]
        return kind, value
    expr = getattr(article, key) if key in EXPRESSIONS else None
    if expr is not None:
        if expr.inputs:
            return "money", None
        value = expr({})
        return "money", value if isinstance(value, Decimal) else None
    numbers = [*article.values, *(k for k in EXPRESSIONS if getattr(article, k) is not None)]
    raise SubsidyError(t("--sweep {key}: {name} is not a number of the article; it has: "
                         "{allowed}", key=name, name=repr(key),
                         allowed=", ".join(numbers) or "—"))  # fmt: skip


def _shown(kind: str, value: Decimal | None) -> object:
    """The value as a policy file states it, for override_value to keep its kind."""
    if kind == "rate":
        return money.format_rate(value if value is not None else Decimal(0))
    if kind == "money":
        return value_text(kind, value if value is not None else Decimal(0))
    return value if value is not None else Decimal(0)


def _read(name: str, kind: str, shown: object, text: str) -> Decimal:
    """One value as --override reads it for this key (money, a rate or a plain number)."""
    try:
        value = override_value(name, shown, text)
        return value if isinstance(value, Decimal) else money.parse_policy_number(value)[0]
    except MoneyError as exc:
        raise SubsidyError(t("--sweep {key}: {detail}", key=name, detail=exc.message)) from None


def _values(spec: str, read: Callable[[str], Decimal], name: str) -> tuple[Decimal, ...]:
    """The values of `V1,V2,…` or `FROM..TO/STEP` (TO included when the steps reach it), in
    ascending order, each once; at most MAX_VALUES."""
    if not spec:
        raise SubsidyError(t("--sweep {key}=: no value given; e.g. {example} or "
                             "{key}=10万..50万/10万", key=name, example=EXAMPLE))  # fmt: skip
    ranged = _RANGE.match(spec)
    if ranged is None:
        texts = [part.strip() for part in _SEPARATORS.split(spec)]
        if "" in texts:
            raise SubsidyError(t("--sweep {key}={spec}: an empty value between commas", key=name,
                                 spec=spec))  # fmt: skip
        _at_most(len(texts), name)
        return tuple(sorted(set(map(read, texts))))
    start, stop, step = (read(ranged.group(g).strip()) for g in ("start", "stop", "step"))
    if step <= 0:
        raise SubsidyError(t("--sweep {key}={spec}: the step must be above zero", key=name,
                             spec=spec))  # fmt: skip
    if stop < start:
        raise SubsidyError(t("--sweep {key}={spec}: the range runs downward; write FROM..TO with "
                             "FROM below TO", key=name, spec=spec))  # fmt: skip
    try:
        count = int((stop - start) / step) + 1
    except (InvalidOperation, OverflowError):
        count = MAX_VALUES + 1
    _at_most(count, name)
    return tuple(start + step * n for n in range(count))


def _at_most(count: int, name: str) -> None:
    if count > MAX_VALUES:
        raise SubsidyError(t("--sweep {key}: {count} values; a sweep takes at most {most}: take "
                             "a wider step or fewer values", key=name, count=f"{count:,}",
                             most=MAX_VALUES))  # fmt: skip


def policies(sweep: Sweep, load: Callable[[dict[str, str]], Policy]) -> list[Policy]:
    """One policy per value: `load` compiles the policy with the given --override on top of the
    others (and checks it as --override does)."""
    return [load(sweep.override(value)) for value in sweep.values]


def curve(sweep: Sweep, population: Population, what_if: bool) -> Curve:
    """The curve from a population tallied under the policy, its baseline (for a what-if), then
    one policy per value, in `sweep.values` order."""
    tallies = population.tallies[2 if what_if else 1 :]
    assert len(tallies) == len(sweep.values), (len(tallies), len(sweep.values))
    points = tuple(
        _point(sweep, value, tally) for value, tally in zip(sweep.values, tallies, strict=True)
    )
    return Curve(sweep, population.summary(what_if), points)


def _point(sweep: Sweep, value: Decimal, tally: Tally) -> Point:
    found: ArticleTally | None = next(
        (a for a in tally.articles if a.article.id == sweep.article.id), None
    )
    return Point(
        value,
        found.eligible if found else 0,
        found.needs_info if found else 0,
        found.amount if found else None,
        tally.total,
        sweep.current is not None and value == sweep.current,
    )


def value_text(kind: str, value: Decimal) -> str:
    """A swept value for people, as --override would take it: money in 万 (20万), a rate in
    percent (0.5%), a plain number as it is."""
    if kind == "money":
        wan = (value / 10_000).normalize()
        return f"{wan:f}万"
    if kind == "rate":
        return money.format_rate(value)
    return f"{value.normalize():f}"


def value_plain(kind: str, value: Decimal) -> str:
    """A swept value for machines (JSON, CSV): money to the fen in 元, a rate as a fraction."""
    if kind == "money":
        return money.format_plain(value)
    return f"{value.normalize():f}"
