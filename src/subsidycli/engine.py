"""evaluate(policy, profile) -> Evaluation: every article's status, amount, cap and reason.

Pure: no I/O, no typer, no rich. A profile is a mapping of declared input names to parsed values
(see `profile.py`); a field it leaves out is unknown, never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from subsidycli import explain, money
from subsidycli.errors import MoneyError, SubsidyError
from subsidycli.expr import Node, Unknown
from subsidycli.i18n import N_, pick, t
from subsidycli.policy import CASH_BASES, Article, Policy

ELIGIBLE, NOT_ELIGIBLE, NEEDS_INFO, INFO = "eligible", "not_eligible", "needs_info", "info"
ZERO = Decimal("0.00")

# A status and a basis in words, for people (JSON and CSV in English keep the ids).
STATUS_WORDS = {
    ELIGIBLE: N_("eligible"), NOT_ELIGIBLE: N_("not eligible"), NEEDS_INFO: N_("needs info"),
    INFO: N_("info"),
}  # fmt: skip
BASIS_WORDS = {
    "up_to": N_("up to"), "exact": N_("fixed"), "unspecified": N_("amount not stated"),
    "tax_deduction": N_("tax benefit"), "info": "—",
}  # fmt: skip


class ArticleResult(NamedTuple):
    """The result of one article for one profile.

    Immutable, as batch's memo shares results between records; a tuple, as it is made millions of
    times (three times faster than a frozen dataclass).
    """

    article: str
    status: str
    basis: str
    amount: Decimal | None  # rounded to the fen; None when unknown or not stated
    cap: Decimal | None
    explanation: str
    missing: tuple[str, ...]
    tax_saving: Decimal | None = None
    count: int | None = None  # type: ignore[assignment]  # a field, not tuple.count
    gaps: tuple[explain.Gap, ...] = ()
    tier: int | None = None  # the tier that pays (1 is the first), for a tiered article

    @property
    def counts_to_total(self) -> bool:
        """True when this result's amount is cash that adds to the total."""
        return self.status == ELIGIBLE and self.basis in CASH_BASES


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every article's result for one profile, the total and what is still missing."""

    policy: Policy
    profile: Mapping[str, Any]
    results: tuple[ArticleResult, ...]
    total: Decimal
    missing: tuple[str, ...]
    # The fields that were unknown and taken as 0 / no (`--assume-no`), in interview order.
    assumed: tuple[str, ...] = ()


def environment(policy: Policy, profile: Mapping[str, Any]) -> dict[str, Any]:
    """The values the expressions see: the profile, plus the policy's defaults for the rest."""
    env = dict(profile)
    for item in policy.defaulted:
        name = item.name
        if name in env:
            continue
        if item.default is not None:
            env[name] = item.default
        elif item.default_if is not None:
            cond = item.default_if(env)
            if cond is True:
                env[name] = item.default_then
            elif cond is False:
                env[name] = item.default_else
            else:
                env[name] = cond
    return env


def evaluate(policy: Policy, profile: Mapping[str, Any]) -> Evaluation:
    """Evaluate every article of `policy` for `profile`; explanations are in the current
    language (i18n)."""
    env = environment(policy, profile)
    results = tuple(evaluate_article(article, env) for article in policy.articles)
    return collect(policy, profile, results)


def collect(
    policy: Policy, profile: Mapping[str, Any], results: tuple[ArticleResult, ...]
) -> Evaluation:
    """Every article's result gathered into an Evaluation, with the total and what is missing.

    The one place that adds up a total and lists the missing fields: `evaluate` uses it, and so
    does batch, whose results may come from its memo.
    """
    total = sum(
        [r.amount for r in results if r.amount and r.status == ELIGIBLE and r.basis in CASH_BASES],
        ZERO,
    )  # as `ArticleResult.counts_to_total`, inline: batch collects millions of evaluations
    wanted = set().union(*[r.missing for r in results if r.missing])
    missing = tuple(filter(wanted.__contains__, policy.inputs)) if wanted else ()
    return Evaluation(policy, profile, results, total, missing)


def evaluate_article(
    article: Article, env: Mapping[str, Any], *, explained: bool = True, gaps: bool = False
) -> ArticleResult:  # fmt: skip
    """One article's result. Depends only on the env values named in `article.inputs`.

    `explained=False` leaves the explanation and gaps empty (for output that shows amounts only),
    the gaps too unless `gaps`; every other field is the same. Raises SubsidyError naming the
    article when its formula yields an amount out of range.
    """
    try:
        return _evaluate_article(article, env, explained, gaps or explained)
    except MoneyError as exc:
        message = t("{article}: amount {problem}; check the policy's formula", article=article.id,
                    problem=exc.message)  # fmt: skip
        raise SubsidyError(message) from None


def _evaluate_article(
    article: Article, env: Mapping[str, Any], explained: bool, gaps: bool
) -> ArticleResult:
    basis = article.basis
    if basis == "info":
        text = t("policy statement; no computable amount")
        return ArticleResult(article.id, INFO, basis, None, None, text, ())

    if article.who is not None:
        applicant = env.get("applicant_type")
        if applicant is None or isinstance(applicant, Unknown):  # a policy without a default
            text = _needs(article, ("applicant_type",)) if explained else ""
            return ArticleResult(
                article.id, NEEDS_INFO, basis, None, known_cap(article, env), text,
                ("applicant_type",),
            )  # fmt: skip
        if applicant not in article.who:
            who = pick(article.who_label) if article.who_label else ", ".join(article.who)
            text = t("only for: {who}", who=who) if explained else ""
            return ArticleResult(
                article.id, NOT_ELIGIBLE, basis, ZERO, known_cap(article, env), text, ()
            )

    condition = article.when.fn(env) if article.when is not None else True
    if condition is False:
        assert article.when is not None
        return _not_met(article, article.when.node, env, explained, gaps)

    count = env.get(article.count) if article.count else None
    tier = None
    if article.tiers:
        tier, held = pick_tier(article, env)
        if held is False:  # why and how far: from the lowest tier's condition
            lowest = article.tiers[-1].when
            assert lowest is not None  # a last tier without a condition always holds
            return _not_met(article, lowest.node, env, explained, gaps)
        # An unknown tier condition before any that holds: the amount is unknown with it.
        raw = article.tiers[tier - 1].amount.fn(env) if held is True else held
    else:
        raw = article.amount.fn(env) if article.amount is not None else None
    cap = article.cap.fn(env) if article.cap is not None else None
    if (
        isinstance(condition, Unknown) or isinstance(raw, Unknown)
        or isinstance(cap, Unknown) or isinstance(count, Unknown)
    ):  # fmt: skip
        unknowns = [v for v in (condition, raw, cap, count) if isinstance(v, Unknown)]
        fields = frozenset().union(*(u.fields for u in unknowns))
        missing = tuple(n for n in article.inputs if n in fields)
        return ArticleResult(
            article.id, NEEDS_INFO, basis, None, known_cap(article, env),
            _needs(article, missing) if explained else "", missing, count=_int(count),
        )  # fmt: skip

    if basis == "unspecified" or raw is None:
        text = t("support promised; the source states no amount")
        return ArticleResult(article.id, ELIGIBLE, basis, None, None, text, ())

    return _amount_result(article, env, raw, cap, count, explained, gaps, tier)


def pick_tier(article: Article, env: Mapping[str, Any]) -> tuple[int, Any]:
    """The first tier whose condition holds, as (its number from 1, True).

    (n, Unknown) when tier n's condition is unknown and no tier before it holds; (0, False)
    when no tier holds.
    """
    for number, tier in enumerate(article.tiers, start=1):
        held = True if tier.when is None else tier.when.fn(env)
        if held is not False:
            return number, held
    return 0, False


def _not_met(
    article: Article, node: Node, env: Mapping[str, Any], explained: bool, gaps: bool
) -> ArticleResult:
    """Not eligible because the condition `node` is false: why, and how far (the gaps)."""
    text = t("condition not met: {why}", why=explain.why_false(node, env)) if explained else ""
    found = tuple(explain.gaps(node, env)) if gaps else ()
    cap = known_cap(article, env)
    return ArticleResult(article.id, NOT_ELIGIBLE, article.basis, ZERO, cap, text, (), gaps=found)


def _needs(article: Article, missing: tuple[str, ...]) -> str:
    labels = t(", ").join(_input_label(article, n) for n in missing)
    return t("needs: {fields}", fields=labels)


def _amount_result(
    article: Article, env: Mapping[str, Any], raw: Decimal, cap: Decimal | None,
    count: int | None, explained: bool, gaps: bool, tier: int | None = None,
) -> ArticleResult:  # fmt: skip
    if count is not None:
        raw = raw * count
        cap = cap * count if cap is not None else None
    value = raw if cap is None else min(raw, cap)
    negative = value < 0  # a formula such as `x - 100万` below zero: nothing to pay, never a debt
    if negative:
        value = ZERO
    amount = money.round_fen(value)
    tax_saving: Decimal | None = None
    tax_text = ""
    missing: tuple[str, ...] = ()
    if article.basis == "tax_deduction":
        tax_saving, tax_text, missing = _tax_saving(article, env, amount, explained)
    text = ""
    if explained:
        pays = article.amount if tier is None else article.tiers[tier - 1].amount
        assert pays is not None
        text = _amount_text(article, pays.node, env, raw, cap, count, negative, value, amount)
        text += tax_text
        if tier is not None:
            text = t("tier {n}: ", n=tier) + text
    found: tuple[explain.Gap, ...] = ()
    above = article.tiers[tier - 2].when if gaps and tier is not None and tier > 1 else None
    if above is not None:  # the next tier up, never one passed: what it would take to get more
        found = tuple(explain.gaps(above.node, env))
    shown_cap = None
    if article.basis != "tax_deduction":
        shown_cap = money.round_fen(cap if cap is not None else raw)
    return ArticleResult(
        article.id, ELIGIBLE, article.basis, amount, shown_cap, text, missing,
        tax_saving=tax_saving, count=count, gaps=found, tier=tier,
    )  # fmt: skip


def _amount_text(
    article: Article, node: Node, env: Mapping[str, Any], raw: Decimal, cap: Decimal | None,
    count: int | None, negative: bool, value: Decimal, amount: Decimal,
) -> str:  # fmt: skip
    """The arithmetic in words: `0.5% × 12,000,000.00 = 60,000.00 ≤ 200,000.00`."""
    formula = explain.formula(node, env)
    simple = node.op in ("name", "const") and count is None
    if count is not None:
        formula = f"{formula} × {count}"
    if article.basis == "tax_deduction":
        return t("extra deduction {formula} = {value}", formula=formula,
                 value=explain.show_exact(amount))  # fmt: skip
    if simple and cap is None and article.basis in CASH_BASES:
        shown = explain.show_exact(raw)
        text = t("up to {value}", value=shown) if article.basis == "up_to" else t(
            "fixed {value}", value=shown)  # fmt: skip
    elif simple:
        text = formula
    else:
        text = f"{formula} = {explain.show_exact(raw)}"
    if cap is not None:
        shown_cap = explain.show_exact(cap)
        text += " " + (t("> {cap}, capped at {cap}", cap=shown_cap) if raw > cap
                       else t("≤ {cap}", cap=shown_cap))  # fmt: skip
    if negative:
        text += t(", below zero, counted as 0.00")
    if amount != value:
        text += t(", rounded half-up to {value}", value=money.format_money(amount))
    return text


def _tax_saving(
    article: Article, env: Mapping[str, Any], amount: Decimal, explained: bool
) -> tuple[Decimal | None, str, tuple[str, ...]]:
    if article.tax_saving is None:
        return None, "", ()
    scope = {**env, "amount": amount}
    saving = article.tax_saving(scope)
    if isinstance(saving, Unknown):
        missing = tuple(n for n in article.inputs if n in saving.fields)
        if not explained:
            return None, "", missing
        labels = t(", ").join(_input_label(article, n) for n in missing)
        return None, t("; tax saved needs: {fields}", fields=labels), missing
    saving = money.round_fen(saving)
    if not explained:
        return saving, "", ()
    shown = explain.formula(article.tax_saving.node, scope)
    text = t("; tax saved {formula} = {value}", formula=shown, value=money.format_money(saving))
    return saving, text, ()


def known_cap(article: Article, env: Mapping[str, Any]) -> Decimal | None:
    """The cap, when the profile's unknowns do not hide it (per item × count, or one item)."""
    if article.basis not in CASH_BASES:
        return None
    if article.cap is None and article.tiers:  # the most a tier pays
        paid = [tier.amount(env) for tier in article.tiers]
        if any(isinstance(p, Unknown) for p in paid):
            return None
        cap = max(paid)
    else:
        expr = article.cap or article.amount
        if expr is None:
            return None
        cap = expr(env)
        if isinstance(cap, Unknown):
            return None
    count = env.get(article.count) if article.count else None
    if isinstance(count, int) and count > 0:
        cap = cap * count
    return money.round_fen(cap)


def _input_label(article: Article, name: str) -> str:
    label = article.labels.get(name)
    return pick(label) if label else name


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
