"""evaluate(policy, profile) -> Evaluation: every article's status, amount, cap and reason.

Pure: no I/O, no typer, no rich. A profile is a mapping of declared input names to parsed values
(see `profile.py`); a field it leaves out is unknown, never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from typing import Any, NamedTuple

from subsidycli import explain, money
from subsidycli.errors import MoneyError, SubsidyError
from subsidycli.expr import Expr, Node, Unknown
from subsidycli.i18n import N_, pick, t
from subsidycli.policy import CASH_BASES, Article, Policy, ScheduleRow

ELIGIBLE, NOT_ELIGIBLE, NEEDS_INFO, INFO = "eligible", "not_eligible", "needs_info", "info"
ZERO = Decimal("0.00")
# The arithmetic of an evaluation, exact for every product the input limits allow: an amount
# (at most 10^15 with 8 decimals: 23 digits) × a rate or a policy's number (10 decimals) × a count
# (at most 10^6) has at most 41 digits, and a formula may multiply more than two. Decimal's default
# 28 digits would round 0.5371275754 × 186181622268900.18836296 = 100003283353333.0049999… to
# ….005 before the half-up rounding to the fen, and pay 0.01 too much. Only the rounding to the
# fen (money.round_fen) rounds an amount; a division is still rounded, far below the fen.
EXACT = Context(prec=100)

# A status and a basis in words, for people (JSON and CSV in English keep the ids).
STATUS_WORDS = {
    ELIGIBLE: N_("eligible"), NOT_ELIGIBLE: N_("not eligible"), NEEDS_INFO: N_("needs info"),
    INFO: N_("info"),
}  # fmt: skip
BASIS_WORDS = {
    "up_to": N_("up to"), "exact": N_("fixed"), "unspecified": N_("amount not stated"),
    "tax_deduction": N_("tax benefit"), "info": "—", "range": N_("range"),
    "case_by_case": N_("case by case"),
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
    minimum: Decimal | None = None  # a range's least amount (`amount` is its most)

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
    policy: Policy, profile: Mapping[str, Any], results: tuple[ArticleResult, ...],
    explained: bool = True,
) -> Evaluation:  # fmt: skip
    """Every article's result gathered into an Evaluation, with the total and what is missing.

    The one place that settles results against each other (`settle`), adds up a total and lists
    the missing fields: `evaluate` uses it, and so does batch, whose results may come from its
    memo (`explained=False`: results without explanations get none from settling either).
    """
    if policy.pairs or policy.waits:
        results = settle(policy, profile, results, explained)
    # The eligible cash of the policies in force on the day: `uncounted` holds the articles of
    # the others. As `ArticleResult.counts_to_total`, inline: batch collects millions of these.
    skip = policy.uncounted
    with localcontext(EXACT):
        total = sum(
            [r.amount for r in results if r.amount and r.status == ELIGIBLE
             and r.basis in CASH_BASES and not (skip and r.article in skip)],
            ZERO,
        )  # fmt: skip
    wanted = set().union(*[r.missing for r in results if r.missing])
    missing = tuple(filter(wanted.__contains__, policy.inputs)) if wanted else ()
    return Evaluation(policy, profile, results, total, missing)


def settle(
    policy: Policy, profile: Mapping[str, Any], results: tuple[ArticleResult, ...],
    explained: bool = True,
) -> tuple[ArticleResult, ...]:  # fmt: skip
    """The results, settled against each other as the policies say.

    First the waits (`waits_for`: 第12条 is paid only after 第2、4条): while the wait's
    condition holds and an article waited for pays, the waiting article is not eligible, naming
    it; while that is unknown, it needs what would settle it. Then each pair not paid together
    (`not_with`), by the stacking rule 就高不重复: of two eligible cash amounts the higher is
    paid (the one listed first on a tie) and the other is not eligible, naming the one paid; an
    unknown amount makes the other wait (needs_info); an amount decided case by case, or not
    stated, excludes nothing (both shown, each saying so). A policy not in force on the day
    (`policy.lapsed`) takes part in nothing.
    """
    settled = list(results)
    env: dict[str, Any] | None = None
    for n, waited in policy.waits:
        wait = policy.articles[n].waits_for
        if settled[n].status not in (ELIGIBLE, NEEDS_INFO) or wait is None or not waited:
            continue
        if env is None and wait.when is not None:
            env = environment(policy, profile)
        held = True if wait.when is None else wait.when.fn(env or {})
        if held is not False:
            settled[n] = _waiting(policy, settled, n, waited, held, explained)
    lapsed = policy.lapsed
    for i, j in policy.pairs:
        if lapsed and {policy.articles[i].policy, policy.articles[j].policy} & lapsed:
            continue
        settled[i], settled[j] = _stacked(policy, settled[i], settled[j], i, j, explained)
    return tuple(settled)


def _waiting(
    policy: Policy, results: list[ArticleResult], n: int, waited: tuple[int, ...], held: Any,
    explained: bool,
) -> ArticleResult:  # fmt: skip
    """Article n's result while it waits for the articles `waited` (their results known)."""
    result = results[n]
    paying = [policy.articles[i] for i in waited if results[i].status == ELIGIBLE]
    open_ = [i for i in waited if results[i].status == NEEDS_INFO]
    if paying and held is True:  # it waits, whatever else it still needs
        text = ""
        if explained:
            names = t(", ").join(a.named for a in paying)
            text = t("paid only after {articles} (it still pays)", articles=names)
        return result._replace(status=NOT_ELIGIBLE, amount=ZERO, minimum=None, explanation=text,
                               missing=(), gaps=())  # fmt: skip
    if not paying and not open_:
        return result  # nothing to wait for: paid as it stands
    fields: set[str] = set(held.fields) if isinstance(held, Unknown) else set()
    if held is not False:
        fields.update(*(results[i].missing for i in open_))
    missing = tuple(dict.fromkeys([*result.missing, *(f for f in policy.inputs if f in fields)]))
    text = result.explanation
    if explained:
        names = t(", ").join(a.named for a in [*paying, *(policy.articles[i] for i in open_)])
        text = t("needs: {fields}", fields=t(", ").join(_field_label(policy, f) for f in missing))
        text += t(" (whether it waits for {articles})", articles=names)
    return result._replace(status=NEEDS_INFO, amount=None, minimum=None, explanation=text,
                           missing=missing, gaps=())  # fmt: skip


def _stacked(
    policy: Policy, one: ArticleResult, other: ArticleResult, i: int, j: int, explained: bool
) -> tuple[ArticleResult, ArticleResult]:
    """Two results not paid together, settled by 就高不重复 (i is listed before j)."""
    a, b = policy.articles[i], policy.articles[j]
    statuses = {one.status, other.status}
    if ELIGIBLE not in statuses or not statuses <= {ELIGIBLE, NEEDS_INFO}:
        return one, other  # one of them does not pay: nothing to settle
    if any(r.status == ELIGIBLE and r.basis not in CASH_BASES for r in (one, other)):
        if not explained:  # case by case, or no amount: nothing to compare, nothing excluded
            return one, other
        return (one._replace(explanation=one.explanation + _both_shown(b)),
                other._replace(explanation=other.explanation + _both_shown(a)))
    if one.status == NEEDS_INFO or other.status == NEEDS_INFO:  # the known one waits
        known, unknown, named = (other, one, a) if one.status == NEEDS_INFO else (one, other, b)
        text = ""
        if explained:
            text = t("needs: {fields}", fields=t(", ").join(
                _field_label(policy, f) for f in unknown.missing))  # fmt: skip
            text += t(" (to compare with {article}: the higher one is paid)", article=named)
        waiting = known._replace(status=NEEDS_INFO, amount=None, minimum=None, explanation=text,
                                 missing=unknown.missing, gaps=())  # fmt: skip
        return (waiting, other) if known is one else (one, waiting)
    first_pays = (one.amount or ZERO) >= (other.amount or ZERO)  # a tie pays the one listed first
    paid, lost, named = (one, other, a) if first_pays else (other, one, b)
    text = ""
    if explained:
        shown = explain.show_exact(paid.amount or ZERO)
        text = t("not paid together with {article}, which pays more ({amount}): the higher one is "
                 "paid", article=named, amount=shown)  # fmt: skip
    lost = lost._replace(status=NOT_ELIGIBLE, amount=ZERO, minimum=None, explanation=text,
                         missing=(), gaps=())  # fmt: skip
    return (paid, lost) if first_pays else (lost, paid)


def _both_shown(partner: Article) -> str:
    return t("; not paid together with {article} (the higher is paid): an amount is not stated, "
             "so both are shown", article=partner.named)  # fmt: skip


def _field_label(policy: Policy, name: str) -> str:
    item = policy.inputs.get(name)
    return pick(item.label) if item is not None else name


def evaluate_article(
    article: Article, env: Mapping[str, Any], *, explained: bool = True, gaps: bool = False
) -> ArticleResult:  # fmt: skip
    """One article's result. Depends only on the env values named in `article.inputs`.

    `explained=False` leaves the explanation and gaps empty (for output that shows amounts only),
    the gaps too unless `gaps`; every other field is the same. Raises SubsidyError naming the
    article when its formula yields an amount out of range.
    """
    try:
        with localcontext(EXACT):
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

    year, row = _schedule_row(article, env)
    if row is _OFF:  # a year the schedule does not pay: not eligible, whatever else is known
        return _off_schedule(article, env, year, explained)
    count = env.get(article.count) if article.count else None
    tier = None
    pays = None  # what pays this year, when a row of the schedule says
    if isinstance(row, ScheduleRow) and row.amount is not None:
        pays = row.amount
        raw = pays.fn(env)
    elif article.tiers:
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
    low = article.minimum.fn(env) if article.minimum is not None else None
    unknowns = [v for v in (condition, year, raw, cap, count, low) if isinstance(v, Unknown)]
    if unknowns:
        fields = frozenset().union(*(u.fields for u in unknowns))
        missing = tuple(n for n in article.inputs if n in fields)
        return ArticleResult(
            article.id, NEEDS_INFO, basis, None, known_cap(article, env),
            _needs(article, missing) if explained else "", missing, count=_int(count),
        )  # fmt: skip

    if basis == "case_by_case":
        return _case_by_case(article, env, cap, count, explained)
    if basis == "unspecified" or raw is None:
        text = t("support promised; the source states no amount")
        return ArticleResult(article.id, ELIGIBLE, basis, None, None, text, ())

    result = _amount_result(article, env, raw, cap, count, explained, gaps, tier, low, pays)
    if explained and (article.schedule or article.payment):
        text = _paid_over(article, env, year, result.explanation)
        result = result._replace(explanation=text)
    return result


_OFF = object()  # a year outside an article's schedule


def _schedule_row(article: Article, env: Mapping[str, Any]) -> tuple[Any, Any]:
    """(the year, its row of the article's schedule): (None, None) without a schedule chosen by
    year; (Unknown, None) while the year is unknown; (year, _OFF) for a year no row pays."""
    if not article.year or not article.schedule:
        return None, None
    year = env.get(article.year)
    if isinstance(year, Unknown) or year is None:
        return year if isinstance(year, Unknown) else Unknown(frozenset({article.year})), None
    row = next((r for r in article.schedule if r.first <= year <= r.last), None)
    return year, _OFF if row is None else row


def _off_schedule(
    article: Article, env: Mapping[str, Any], year: int, explained: bool
) -> ArticleResult:
    """Not eligible in a year the schedule does not pay (the 6th of 连续5年): not an input error."""
    text = ""
    if explained:
        years = t(", ").join(explain.years_text(r.first, r.last) for r in article.schedule)
        text = t("{year} is not a year that pays ({years})", year=explain.year_text(year),
                 years=years)  # fmt: skip
    cap = known_cap(article, env)
    return ArticleResult(article.id, NOT_ELIGIBLE, article.basis, ZERO, cap, text, ())


def _case_by_case(
    article: Article, env: Mapping[str, Any], cap: Decimal | None, count: int | None,
    explained: bool,
) -> ArticleResult:  # fmt: skip
    """Eligible, with the amount to be decided case by case (一事一议): no amount, never in the
    total; the ceiling the source states, if any (per item × count)."""
    ceiling = None
    if cap is not None:
        ceiling = money.round_fen(cap * count if count is not None else cap)
    text = ""
    if explained:
        text = t("decided case by case; the source states no amount")
        if ceiling is not None:
            text += t(", at most {cap}", cap=explain.show_exact(ceiling))
        if article.payment is not None:
            text += _stages_text(article)
    return ArticleResult(
        article.id, ELIGIBLE, article.basis, None, ceiling, text, (), count=_int(count)
    )


def _paid_over(article: Article, env: Mapping[str, Any], year: Any, text: str) -> str:
    """An eligible amount's explanation with its schedule (the year it is in, and every year's
    row) and the stages it is paid in, where the policy states them."""
    if article.schedule and article.year:
        own = t("by the tiers") if article.tiers else (
            explain.formula(article.amount.node, None) if article.amount is not None else "")
        rows = [explain.years_text(r.first, r.last) + " " + (
                explain.formula(r.amount.node, None) if r.amount is not None else own)
                for r in article.schedule]  # fmt: skip
        text = t("{year}: ", year=explain.year_text(year)) + text
        text += t("; schedule: {rows}", rows=t("; ").join(rows))
    elif article.schedule:  # the amount is the total; each row says what its year pays
        rows = [explain.years_text(r.first, r.last) + " " + explain.show_exact(r.amount.fn(env))
                for r in article.schedule if r.amount is not None]  # fmt: skip
        text += t("; paid by year: {rows}", rows=t(", ").join(rows))
    if article.payment is not None:
        text += _stages_text(article)
    return text


def _stages_text(article: Article) -> str:
    """The stages an amount is paid in, short: `; paid in stages (第21条): 30%/30%/40%`."""
    payment = article.payment
    assert payment is not None
    shares = "/".join(money.format_rate(share) for share, _ in payment.stages)
    return t("; paid in stages ({clause}): {shares}", clause=payment.clause or pick(payment.title),
             shares=shares)  # fmt: skip


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
    low: Decimal | None = None, pays: Expr | None = None,
) -> ArticleResult:  # fmt: skip
    if count is not None:
        raw = raw * count
        cap = cap * count if cap is not None else None
        low = low * count if low is not None else None
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
        if pays is None:
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
        # A cap from a formula below zero caps at nothing: 0.00, as the amount (never a debt).
        shown_cap = money.round_fen(max(cap if cap is not None else raw, ZERO))
    minimum = None
    if low is not None:  # a range: from the least to the most, each capped and rounded alike
        minimum = money.round_fen(max(low if cap is None else min(low, cap), ZERO))
        if explained:
            assert article.minimum is not None
            least = f"{explain.formula(article.minimum.node, env)} = {explain.show_exact(low)}"
            if count is not None:
                least = f"{explain.formula(article.minimum.node, env)} × {count} = " + (
                    explain.show_exact(low))  # fmt: skip
            text = t("{minimum} to {maximum} (the total counts the maximum)", minimum=least,
                     maximum=text)  # fmt: skip
    return ArticleResult(
        article.id, ELIGIBLE, article.basis, amount, shown_cap, text, missing,
        tax_saving=tax_saving, count=count, gaps=found, tier=tier, minimum=minimum,
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
        text += t(", rounded half-up to {value}", value=explain.show_exact(amount))
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
    text = t("; tax saved {formula} = {value}", formula=shown, value=explain.show_exact(saving))
    return saving, text, ()


def known_cap(article: Article, env: Mapping[str, Any]) -> Decimal | None:
    """The cap, when the profile's unknowns do not hide it (per item × count, or one item); for
    an amount decided case by case, the ceiling the source states."""
    if article.basis not in CASH_BASES and not (article.basis == "case_by_case" and article.cap):
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
    return money.round_fen(max(cap, ZERO))  # below zero: 0.00, as the amount


def _input_label(article: Article, name: str) -> str:
    label = article.labels.get(name)
    return pick(label) if label else name


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
