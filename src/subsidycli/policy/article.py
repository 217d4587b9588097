"""One article of a policy file compiled: its heading, values, expressions, tiers and payment,
and what it reads; and the `Report` where the compiler gathers problems, file:line by file:line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

from subsidycli import money
from subsidycli.errors import ExpressionError, MoneyError, PolicyError, Problem
from subsidycli.expr import Expr, Symbol, compile_expr
from subsidycli.i18n import t
from subsidycli.policy import payments
from subsidycli.policy.keylines import KeyLines
from subsidycli.policy.model import (
    ANY,
    CASH_BASES,
    Article,
    Input,
    Text,
    Tier,
)
from subsidycli.policy.overrides import no_effect, override_expr, override_value

if TYPE_CHECKING:
    from subsidycli.policy import schema


Loc = tuple[Any, ...]  # where a key is in the file: ("articles", 3, "when")


class Report:
    """The problems found in one file: the file's own at their lines, an `--override`'s apart
    (the command's problem, not a line of the file's)."""

    def __init__(self, lines: KeyLines) -> None:
        self._lines = lines
        self._located: list[Problem] = []
        self._blamed: list[str] = []

    def at(self, loc: Loc, message: str) -> None:
        """A problem of the file, at the line of `loc`."""
        self._located.append((str(self._lines.line(loc)), message))

    def blame(self, message: str) -> None:
        """A problem an `--override` brought in; `message` names the option."""
        self._blamed.append(message)

    def raise_any(self, where: str) -> None:
        """Raise PolicyError with every problem, if there is one (the file's first)."""
        if self._blamed:  # the file's own problems keep their lines; the override's name the option
            located = PolicyError(self._located, where=where).lines() if self._located else []
            raise PolicyError([*located, *self._blamed])
        if self._located:
            raise PolicyError(self._located, where=where)


def as_text(text: schema.Text) -> Text:
    """The schema's {zh, en} table as the model's Text: the same mapping (mypy sees no `Mapping`
    in a TypedDict)."""
    return cast(Text, text)


def maybe_text(text: schema.Text | None) -> Text | None:
    return None if text is None else cast(Text, text)


def with_defaults(fields: Iterable[str], inputs: Mapping[str, Input]) -> list[str]:
    """The fields, then the fields their conditional defaults read, however deep (in order)."""
    deps = list(dict.fromkeys(fields))
    for dep in deps:  # grows while it is read: a default's fields, and their defaults' fields
        cond = inputs[dep].default_if if dep in inputs else None
        if cond is not None:
            deps.extend(n for n in cond.inputs if n not in deps)
    return deps


_ExprKey = Literal["when", "amount", "cap", "tax_saving"]  # an article's expressions
EXPRESSIONS: tuple[_ExprKey, ...] = ("when", "amount", "cap", "tax_saving")


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """What every article of a policy compiles against: the policy's declarations, and the
    `--override`s ("article-id.key" → value)."""

    policy: str  # the policy's id
    sections: Mapping[str, Text]
    inputs: Mapping[str, Input]
    symbols: Mapping[str, Symbol]  # the inputs, as expressions read them
    applicant_types: frozenset[str]
    overrides: Mapping[str, str]


@dataclass(slots=True)
class _Faults:
    """One article's problems, each blamed where it comes from: a key the `--override`s of this
    article set is the option's fault, any other key the file's line's."""

    article: str  # the article's id
    index: int  # its place among the file's articles
    mine: Mapping[str, str]  # the overrides of this article: key → the value given
    report: Report
    ok: bool = True
    refused: bool = False  # an override was refused: nothing is compiled with it

    def fail(self, key: str, message: str, where: Loc = ()) -> None:
        """A problem with `key` (at `where`, else at the key's own line)."""
        self.ok = False
        if key in self.mine:  # an overridden expression: the option is to blame, not the file
            self.report.blame(f"--override {self.article}.{key}={self.mine[key]}: {message}")
        else:
            loc = where or ("articles", self.index, key)
            self.report.at(loc, f"{self.article}.{key}: {message}")

    def refuse(self, key: str, message: str) -> None:
        """The override of `key` cannot be applied."""
        self.ok, self.refused = False, True
        self.report.blame(f"--override {self.article}.{key}={self.mine[key]}: {message}")


def compile_article(
    article: schema.ArticleSpec, i: int, context: ArticleContext, report: Report
) -> Article | None:
    """One article, or None when it has a problem (added to `report`)."""
    name, count = article["id"], article.get("count")
    prefix = name + "."
    mine = {k[len(prefix) :]: v for k, v in context.overrides.items() if k.startswith(prefix)}
    faults = _Faults(name, i, mine, report)
    who = _check_heading(article, context, faults)
    raw_values, exprs = _overridden(article, faults)
    if faults.refused:
        return None
    values = _named_values(raw_values, context.symbols, faults)
    local = {**context.symbols, **{key: Symbol(kind, value=n) for key, (n, kind) in values.items()}}
    _check_info(article, faults)
    _check_payment(article, exprs, faults)
    payments.check_basis(article, faults.fail)
    _check_count(count, context.inputs, faults)
    compiled = {
        key: None if text is None else _expression(key, text, local, faults)
        for key, text in exprs.items()
    }
    tiers = _tiers(article.get("tiers") or [], local, faults)
    _check_never_negative(compiled, faults)
    def compile_key(key: str, text: str, where: Loc) -> Expr | None:
        return _expression(key, text, local, faults, where)

    extra = payments.extras(article, i, context.inputs, context.policy, compile_key, faults.fail)
    reads = [*compiled.values(), *_exprs(tiers), extra["minimum"],
             *(row.amount for row in extra["schedule"])]  # fmt: skip
    if not faults.ok or _refuse_unused(values, reads, faults):
        return None
    deps = _dependencies(who, reads, count, context.inputs, extra["year"])
    return Article(
        id=name, section=article["section"], title=as_text(article["title"]),
        who=None if who == {ANY} else frozenset(who), basis=article["basis"], values=values,
        when=compiled["when"], amount=compiled["amount"], cap=compiled["cap"], count=count,
        tax_saving=compiled["tax_saving"], source=article["source"],
        note=maybe_text(article.get("note")), not_stated=tuple(article.get("not_stated", ())),
        inputs=tuple(deps), labels={n: context.inputs[n].label for n in deps},
        who_label=_who_label(who, context.inputs), overridden=frozenset(mine),
        policy=context.policy, tiers=tuple(tiers), **extra,
    )  # fmt: skip


def _check_heading(
    article: schema.ArticleSpec, context: ArticleContext, faults: _Faults
) -> set[str]:
    """The article's section is declared, `who` names applicant types, its source is quoted.

    Returns who may claim: applicant types, or {"any"}."""
    if article["section"] not in context.sections:
        faults.fail("section", t("unknown section {section} (declared: {declared})",
                                 section=repr(article["section"]),
                                 declared=", ".join(context.sections)))  # fmt: skip
    who = set(article.get("who", [ANY]))
    if ANY in who and len(who) > 1:
        faults.fail("who", t("'any' stands alone"))
    for kind in who - {ANY} - context.applicant_types:
        faults.fail("who", t("{kind} is not an applicant_type choice ({choices})", kind=repr(kind),
                             choices=", ".join(sorted(context.applicant_types))))  # fmt: skip
    if not article["source"].strip():
        faults.fail("source", t("an article must quote its source text"))
    return who


def _overridden(
    article: schema.ArticleSpec, faults: _Faults
) -> tuple[dict[str, object], dict[str, str | None]]:
    """The article's named values and expressions, with its `--override`s applied.

    An override that would change nothing, names no value, or changes a value's kind is refused
    (`faults.refused`)."""
    raw_values: dict[str, object] = dict(article.get("values", {}))
    exprs: dict[str, str | None] = {key: article.get(key) for key in EXPRESSIONS}
    for key, value in faults.mine.items():
        if key in ("when", "amount", "cap"):
            by_year = bool(article.get("year") and article.get("schedule"))
            reason = no_effect(key, article["basis"], exprs, article.get("tiers"), by_year)
            if reason:
                faults.refuse(key, reason)
            exprs[key] = override_expr(value)
        elif key not in raw_values:
            allowed = ", ".join([*raw_values, "when", "amount", "cap"])
            faults.refuse(key, t("no such value (allowed: {allowed})", allowed=allowed))
        else:
            try:
                raw_values[key] = override_value(key, raw_values[key], value)
            except MoneyError as exc:
                faults.refuse(key, exc.message)
    return raw_values, exprs


def _named_values(
    raw_values: Mapping[str, object], symbols: Mapping[str, Symbol], faults: _Faults
) -> dict[str, tuple[Decimal, str]]:
    """The article's `values`, each a number and its kind ("money", "rate" or "number")."""
    values: dict[str, tuple[Decimal, str]] = {}
    for key, value in raw_values.items():
        if key in symbols or key in ("amount", "count"):
            fail = t("value {key} shadows an input or keyword; rename it", key=repr(key))
            faults.fail("values", fail)
            continue
        try:
            values[key] = money.parse_policy_number(value)
        except (MoneyError, ArithmeticError) as exc:
            message = exc.message if isinstance(exc, MoneyError) else str(exc)
            faults.fail("values", f"{key}: {message}")
    return values


def _check_info(article: schema.ArticleSpec, faults: _Faults) -> None:
    """An info article states no condition or amount."""
    if article["basis"] != "info":
        return
    for key in ("when", "amount", "cap", "count", "tax_saving", "tiers"):
        if article.get(key) is not None:
            faults.fail(key, t("an info article has no condition or amount"))


def _check_payment(
    article: schema.ArticleSpec, exprs: Mapping[str, str | None], faults: _Faults
) -> None:
    """The article pays as its basis says: cash by `amount` or by `tiers` (not both), a tax
    deduction by `amount`; a cap caps an amount, a tax saving belongs to a tax deduction."""
    basis, tiers = article["basis"], article.get("tiers")
    rows = article.get("schedule") or []
    # Each year's row of a schedule says what it pays: the article needs no amount of its own.
    rows_pay = bool(article.get("year") and rows and all(row.get("amount") for row in rows))
    if tiers is not None:
        if article.get("amount") is not None:
            faults.fail("tiers", t("an article pays by `amount` or by `tiers`, not both"))
        if basis not in CASH_BASES:
            cash = t("tiers pay cash: basis up_to or exact, not {basis}", basis=repr(basis))
            faults.fail("tiers", cash)
        if not tiers:
            faults.fail("tiers", t("a tiers list needs at least one tier"))
    elif basis in CASH_BASES | {"tax_deduction"} and not exprs["amount"] and not rows_pay:
        faults.fail("amount", t("basis {basis} needs an amount (or `tiers`)", basis=repr(basis)))
    ceiling = basis == "case_by_case" or rows_pay  # a cap with no amount of the article's own
    if exprs["cap"] and not exprs["amount"] and tiers is None and not ceiling:
        faults.fail("cap", t("a cap without an amount"))
    if exprs["tax_saving"] and basis != "tax_deduction":
        faults.fail("tax_saving", t("only a tax_deduction article has a tax saving"))


def _check_count(count: str | None, inputs: Mapping[str, Input], faults: _Faults) -> None:
    """`count` names a declared count input (the article pays per item)."""
    if count is None:
        return
    target = inputs.get(count)
    if target is None or target.type != "count":
        faults.fail("count", t("{count} is not a declared count input", count=repr(count)))


def _expression(
    key: str, text: str, local: Mapping[str, Symbol], faults: _Faults, where: Loc = ()
) -> Expr | None:
    """The expression `key` compiled against the inputs and the article's values; a condition
    (`…when`) is a bool, anything else a number, and an overridden amount is money."""
    scope = local
    if key == "tax_saving":  # a tax saving is worked out from the deduction
        scope = {**local, "amount": Symbol("money", label={"zh": "扣除额", "en": "deduction"})}
    try:
        expr = compile_expr(text, scope, expect="bool" if key.endswith("when") else "numeric")
    except ExpressionError as exc:
        faults.fail(key, exc.message, where)
        return None
    if key in faults.mine and key != "when" and expr.kind == "rate":
        faults.fail(key, t("{key} is an amount of money, not a rate; write e.g. 30万 or rate * "
                           "field", key=key))  # fmt: skip
    return expr


def _check_never_negative(compiled: Mapping[str, Expr | None], faults: _Faults) -> None:
    """An amount or a cap that reads no field is a constant: refused when it is below zero
    (`cap = "0-5"` would show a cap of -5.00). One that reads fields is clamped at zero by the
    engine when it comes out below zero."""
    for key in ("amount", "cap"):
        expr = compiled.get(key)
        if expr is None or expr.inputs:
            continue
        value = expr({})
        if isinstance(value, Decimal) and value < 0:
            faults.fail(key, t("{expression} is {value}: an amount or a cap is never negative",
                               expression=expr.text, value=value))  # fmt: skip


def _tiers(
    specs: Sequence[schema.TierSpec], local: Mapping[str, Symbol], faults: _Faults
) -> list[Tier]:
    """The article's tiers, each condition and amount compiled; only the last may leave out
    `when`. Tier n in messages (tiers[n]) counts from 1."""
    tiers: list[Tier] = []
    for n, tier in enumerate(specs, start=1):
        here = ("articles", faults.index, "tiers", n - 1)
        cond = tier.get("when")
        if cond is None and n < len(specs):
            faults.fail(f"tiers[{n}].when", t("only the last tier may leave out `when`"), here)
        when = None if cond is None else _expression(f"tiers[{n}].when", cond, local, faults, here)
        pays = _expression(f"tiers[{n}].amount", tier["amount"], local, faults, here)
        if pays is not None:
            tiers.append(Tier(when, pays))
    return tiers


def _refuse_unused(
    values: Mapping[str, object], exprs: Iterable[Expr | None], faults: _Faults
) -> bool:
    """Refuse an override of a named value that no expression reads: it would change nothing.
    True when one is refused."""
    unused = sorted(set(faults.mine) & set(values) - _names_read(exprs))
    for key in unused:
        faults.refuse(key, t("no condition or amount of {name} reads {key}: it would change "
                             "nothing", name=faults.article, key=key))  # fmt: skip
    return bool(unused)


def _dependencies(
    who: set[str], exprs: Iterable[Expr | None], count: str | None, inputs: Mapping[str, Input],
    year: str | None = None,
) -> list[str]:  # fmt: skip
    """Every input the article's result depends on: the applicant type when not everyone may
    claim, the inputs its expressions read, its count, the year choosing its schedule's row,
    and what their defaults read. (What settles it against other articles — `not_with`,
    `waits_for` — is the evaluation's, not the article's: see `engine.settle`.)"""
    deps: list[str] = []
    if who != {ANY}:
        deps.append("applicant_type")
    for expr in exprs:
        if expr is not None:
            deps.extend(n for n in expr.inputs if n != "amount")
    if count:
        deps.append(count)
    if year and year in inputs:
        deps.append(year)
    return with_defaults(deps, inputs)


def _who_label(who: set[str], inputs: Mapping[str, Input]) -> Mapping[str, str] | None:
    """Who may claim, in words of both languages (None: anyone)."""
    if who == {ANY} or "applicant_type" not in inputs:
        return None
    kinds = [c for c in inputs["applicant_type"].choices if c["value"] in who]
    return {"zh": "、".join(c["zh"] for c in kinds), "en": ", ".join(c["en"] for c in kinds)}


def _exprs(tiers: Iterable[Tier]) -> list[Expr | None]:
    return [expr for tier in tiers for expr in (tier.when, tier.amount)]


def _names_read(exprs: Iterable[Expr | None]) -> set[str]:
    """Every name the expressions read: inputs and named values alike."""
    names: set[str] = set()
    stack = [e.node for e in exprs if e is not None]
    while stack:
        node = stack.pop()
        if node.op == "name":
            names.add(node.name)
        stack.extend(node.args)
    return names




