"""How an article pays beyond one amount, and how articles settle one another: the compiler's
steps for a `range` (`minimum`), `case_by_case`, a `schedule` of years, `stages` of payment, and
the links between articles — `not_with` (not paid together), `waits_for` (paid only after) and
`applies_to` (whose payment the stages describe).

`compile.py` calls these with its own ways of reporting a problem (`fail(key, message, where)`
for a key of one article, `at(loc, message)` for any line of the file) and of compiling an
expression, so every problem is reported at its line as the rest of the file's are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from subsidycli import money
from subsidycli.errors import MoneyError
from subsidycli.expr import Expr
from subsidycli.i18n import t
from subsidycli.policy.model import Article, Input, Payment, ScheduleRow, Text, Wait

if TYPE_CHECKING:
    from subsidycli.policy import schema

Fail = Callable[..., None]  # fail(key, message, where=()): a problem with one key of the article
At = Callable[[tuple[Any, ...], str], None]  # at(loc, message): a problem at a line of the file
Compile = Callable[[str, str, tuple[Any, ...]], "Expr | None"]  # (key, text, where) -> expr


def extras(
    article: schema.ArticleSpec, index: int, inputs: Mapping[str, Input], policy: str,
    compiled: Compile, fail: Fail,
) -> dict[str, Any]:  # fmt: skip
    """What an article states beyond condition, amount and tiers, as `Article`'s fields: its
    clause, a range's minimum, its schedule of years, what it is not paid with or waits for,
    and the stages of payment it states."""
    minimum = article.get("minimum")
    return {
        "clause": article.get("clause"),
        "minimum": None if minimum is None else compiled("minimum", minimum, ()),
        "year": article.get("year"),
        "schedule": schedule(article, index, inputs, compiled, fail),
        "not_with": tuple(article.get("not_with") or ()),
        "waits_for": wait(article, policy, compiled),
        "stages": stages(article, fail),
    }


def check_basis(article: schema.ArticleSpec, fail: Fail) -> None:
    """A `range` states its `minimum` beside its `amount` (the maximum); `case_by_case` states no
    amount (a `cap` is its ceiling); `minimum`, `year`, `schedule`, `not_with`, `waits_for`,
    `stages` belong where they can mean something."""
    basis, tiers = article["basis"], article.get("tiers")
    minimum = article.get("minimum")
    if basis == "range":
        if not minimum:
            fail("minimum", t("a range states its least amount: `minimum` (and `amount`, the "
                              "most)"))  # fmt: skip
        if tiers is not None:
            fail("tiers", t("a range pays from `minimum` to `amount`, not by tiers"))
    elif minimum is not None:
        fail("minimum", t("only a range (basis range) has a minimum"))
    if basis == "case_by_case":
        for key in ("amount", "tiers", "tax_saving"):
            if article.get(key) is not None:
                fail(key, t("a case_by_case article states no amount (a `cap` is its ceiling)"))
    if basis == "info":
        for key in ("minimum", "year", "schedule", "not_with", "waits_for"):
            if article.get(key):
                fail(key, t("an info article has no condition or amount"))
    elif article.get("stages") is not None or article.get("applies_to") is not None:
        fail("stages", t("stages of payment are stated by an info article (the source's clause "
                         "on payment), with `applies_to`"))  # fmt: skip
    if (article.get("stages") is None) != (article.get("applies_to") is None):
        fail("stages", t("`stages` and `applies_to` go together: how, and to which articles"))


def schedule(
    article: schema.ArticleSpec, index: int, inputs: Mapping[str, Input], compile_amount: Compile,
    fail: Fail,
) -> tuple[ScheduleRow, ...]:  # fmt: skip
    """The article's schedule: rows of years in order, none overlapping, each with its amount
    (or the article's). With `year`, the profile's year picks the row; without, the article's
    amount is the total and every row says what is paid in its year."""
    specs, year = article.get("schedule"), article.get("year")
    if year is not None:
        item = inputs.get(year)
        if item is None or item.type != "count":
            fail("year", t("{year} is not a declared count input", year=repr(year)))
        if not specs:
            fail("year", t("`year` chooses a row of a `schedule`: the article has none"))
    if not specs:
        return ()
    rows: list[ScheduleRow] = []
    own = article.get("amount") is not None or article.get("tiers") is not None
    for n, row in enumerate(specs, start=1):
        where = ("articles", index, "schedule", n - 1)
        first, last = row["from"], row.get("to", row["from"])
        if last < first:
            fail("schedule", t("schedule row {n}: `to` {last} is before `from` {first}", n=n,
                               last=last, first=first), where)  # fmt: skip
        if rows and first <= rows[-1].last:
            fail("schedule", t("schedule row {n}: year {year} is already in row {m} (rows go "
                               "in order, without overlap)", n=n, year=first,
                               m=len(rows)), where)  # fmt: skip
        text = row.get("amount")
        if text is None and (year is None or not own):
            fail("schedule", t("schedule row {n} needs an `amount`{why}", n=n, why=t(
                " (the article has no amount or tiers of its own)") if year else t(
                " (without `year`, each row says what its year pays)")), where)  # fmt: skip
        amount = None if text is None else compile_amount(f"schedule[{n}].amount", text, where)
        rows.append(ScheduleRow(first, last, amount))
    if year is None and article.get("amount") is None:
        fail("schedule", t("without `year`, the article's `amount` is the total the schedule "
                           "pays out over its years"))  # fmt: skip
    return tuple(rows)


def stages(article: schema.ArticleSpec, fail: Fail) -> tuple[tuple[Decimal, Text], ...]:
    """The stages of payment an article states: each share (a rate) and its stage in words;
    the shares add up to 100%."""
    found: list[tuple[Decimal, Text]] = []
    for n, spec in enumerate(article.get("stages") or (), start=1):
        try:
            share = money.parse_rate(spec["share"])
        except MoneyError as exc:
            fail("stages", t("stage {n}: share {why}", n=n, why=exc.message))
            continue
        found.append((share, spec["stage"]))  # type: ignore[arg-type]  # Text is a Mapping
    total = sum((share for share, _ in found), Decimal(0))
    if found and total != 1:
        fail("stages", t("the shares of the stages add up to {total}, not 100%",
                         total=money.format_rate(total)))  # fmt: skip
    return tuple(found)


def wait(article: schema.ArticleSpec, policy: str, compile_when: Compile) -> Wait | None:
    """`waits_for` as the engine reads it: its condition and the keys of the articles waited
    for (their existence is checked by `link`, once every article is compiled)."""
    spec = article.get("waits_for")
    if spec is None:
        return None
    text = spec.get("when")
    when = None if text is None else compile_when("waits_for.when", text, ())
    return Wait(when, tuple(f"{policy}:{name}" for name in spec["articles"]))


def link(
    articles: list[Article], specs: Sequence[schema.ArticleSpec], policy: str,
    stacking: str | None, at: At,
) -> list[Article]:  # fmt: skip
    """The links between the policy's articles, checked and made: what `waits_for`, `not_with`
    (of this policy) and `applies_to` name exists; `not_with` needs the policy's stacking rule;
    an article named by `applies_to` gets the stages (`Article.payment`)."""
    index = {spec["id"]: i for i, spec in enumerate(specs)}
    known = {a.id for a in articles}
    payments: dict[str, Payment] = {}
    for article in articles:
        i = index[article.id]
        spec = specs[i]
        waits = spec.get("waits_for")
        names = [("waits_for", n) for n in (waits["articles"] if waits else ())]
        names += [("not_with", key.partition(":")[2]) for key in article.not_with
                  if key.partition(":")[0] == policy]  # fmt: skip
        names += [("applies_to", n) for n in spec.get("applies_to") or ()]
        for key, name in names:
            if name == article.id or name not in known:
                why = t("it is the article itself") if name == article.id else t("no such article")
                at(("articles", i, key), t("{article}.{key}: {name}: {why}", article=article.id,
                                            key=key, name=repr(name), why=why))  # fmt: skip
        if article.not_with and stacking is None:
            at(("articles", i, "not_with"),
               t("{article}.not_with: the policy states no stacking rule to settle the pair; "
                 "say which in [policy]: stacking = \"highest\" (就高不重复)",
                 article=article.id))  # fmt: skip
        if article.stages:
            paid = Payment(article.id, article.clause, article.title, article.stages)
            payments.update(dict.fromkeys(spec.get("applies_to") or (), paid))
    return [replace(a, payment=payments[a.id]) if a.id in payments else a for a in articles]
