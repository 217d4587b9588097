"""`--override ARTICLE.KEY=VALUE`: a what-if on a policy's numbers, checked like the file itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from subsidycli import money
from subsidycli.errors import MoneyError
from subsidycli.i18n import t
from subsidycli.policy.model import Policy
from subsidycli.policy.names import article_names, near_articles, several


def no_effect(
    key: str, basis: str, exprs: Mapping[str, str | None], tiers: Sequence[Any] | None,
    by_year: bool = False,
) -> str | None:  # fmt: skip
    """Why overriding an article's `when`, `amount` or `cap` would change nothing, if it would.
    `by_year`: each row of the article's schedule says what its year pays."""
    if basis == "info":
        return t("an info article pays nothing, whatever its condition or amount")
    if basis == "unspecified" and key != "when":
        return t("the source states no amount (basis unspecified), so none is shown or added up")
    if basis == "case_by_case" and key == "amount":
        return t("the amount is decided case by case (basis case_by_case): none is shown or "
                 "added up; `cap` is its ceiling")  # fmt: skip
    if key == "amount" and tiers is not None:
        return t("this article pays by tiers: override the named value a tier pays (see `values`)")
    if key == "amount" and by_year and not exprs["amount"]:
        return t("each year of this article's schedule says what it pays: override the named "
                 "value a year pays (see `values`)")  # fmt: skip
    if key == "cap" and not exprs["amount"] and tiers is None:
        if basis != "case_by_case" and not by_year:
            return t("the article has no amount to cap")
    return None


def _kind_words(kind: str) -> str:
    """What a value is, in words."""
    if kind == "money":
        return t("an amount of money")
    return t("a rate") if kind == "rate" else t("a plain number")


def override_value(key: str, original: object, value: str) -> object:
    """A new value for a named number keeps its kind: money stays money ("30万", "300000"), a
    rate stays a rate ("0.01" or "1%"), a plain number stays a number."""
    try:
        _, kind = money.parse_policy_number(original)
    except (MoneyError, ArithmeticError):
        return value  # the file's own value is wrong: loading names it
    try:
        if kind == "rate":
            return f"{money.parse_rate(value) * 100}%"
        if kind == "money":
            return f"{money.parse_money(value):f}"
        number = Decimal(value.strip())
        if not number.is_finite():
            raise ArithmeticError
        return number
    except (MoneyError, ArithmeticError) as exc:
        detail = (
            exc.message
            if isinstance(exc, MoneyError)
            else t("{name} is not a number", name=repr(value))
        )
        shown = original if isinstance(original, str) else repr(original)
        message = t("{key} is {kind} ({shown}) and stays one: {detail}", key=key,
                    kind=_kind_words(kind), shown=shown, detail=detail)  # fmt: skip
        raise MoneyError(message) from None


def by_id(
    policies: Sequence[Policy], overrides: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The overrides with each article named by its title (Chinese or English) written by its
    id: `研发投入补助.max` is `rd-investment-subsidy.max`. A name of several articles of
    `policies` is a problem listing them; a name of none stays, for `unmatched_overrides`."""
    articles = {a.id: a for p in policies for a in p.articles}
    names = article_names((a.id, a.title) for a in articles.values())
    result: dict[str, str] = {}
    problems = []
    for key, value in overrides.items():
        article, dot, name = key.rpartition(".")
        found = names.named(article)
        if len(found) > 1:
            titles = {i: articles[i].title for i in found}
            problems.append(f"--override {key}: {several(article, found, titles)}")
        result[f"{found[0]}{dot}{name}" if len(found) == 1 else key] = value
    return result, problems


def unmatched_overrides(policies: Sequence[Policy], overrides: Mapping[str, str]) -> list[str]:
    """The --override keys that changed nothing in any of `policies`: an article no id or title
    names, the nearest ids suggested (`by_id` has written titles as ids)."""
    applied = {f"{a.id}.{name}" for p in policies for a in p.articles for name in a.overridden}
    articles = {a.id: a for p in policies for a in p.articles}
    names = article_names((a.id, a.title) for a in articles.values())
    problems = []
    for key in overrides:
        if key in applied:
            continue
        article_id = key.rpartition(".")[0]
        if names.named(article_id):
            continue  # the article exists: its compile step already named the bad value
        titles = {i: a.title for i, a in articles.items()}
        hint = near_articles(article_id, names, titles)
        problems.append(t("--override {key}: no article {article} ({hint})", key=key,
                          article=repr(article_id), hint=hint))  # fmt: skip
    return problems


def override_expr(value: str) -> str:
    """An override of an expression may be a plain amount such as 30万: make it a literal."""
    try:
        return str(money.parse_money(value))
    except MoneyError:
        return value


