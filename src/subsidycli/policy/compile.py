"""The compiler: a policy file's tables, as `schema.py` declares them, to a frozen `Policy`.

`compile_policy` reads the file in named steps, each adding its problems to one report: the
sections, the inputs (their parsers, choices and defaults, the circles defaults may make, their
`at_most` bounds), the dates of force, then each article (`_compile_article`: its section and
applicants, the `--override`s applied, its named values, how it pays, each expression, its tiers,
the inputs its result depends on). Every problem is found before any is raised: a file's own
problems name their lines, an `--override`'s name the option.

The tables are typed by `schema.py`'s TypedDicts, imported for mypy only: the file is the parsed
TOML itself, validated by pydantic just before, or known to have passed before (`trust.py`). Only
whitelisted expressions are compiled (`expr.compile_expr`); nothing from a file is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

from subsidycli import money
from subsidycli.errors import ExpressionError, MoneyError, PolicyError, Problem
from subsidycli.expr import Expr, Symbol, compile_expr
from subsidycli.i18n import t
from subsidycli.policy.keylines import KeyLines
from subsidycli.policy.model import ANY, CASH_BASES, Article, Input, Meta, Policy, Text, Tier
from subsidycli.policy.overrides import no_effect, override_expr, override_value
from subsidycli.policy.parsers import PARSERS, choice_words, text_parser

if TYPE_CHECKING:
    from subsidycli.policy import schema


def compile_policy(
    data: schema.PolicyFile, lines: KeyLines, where: str, sha256: str, overrides: Mapping[str, str]
) -> Policy:
    """A validated policy file as a `Policy`; raise PolicyError listing every problem found.

    `lines` places a problem in the file `where`; `overrides` maps "article-id.key" to a new
    value (see `load_policy`); `sha256` is the file's, kept on the policy.
    """
    report = _Report(lines)
    sections = _sections(data["sections"], report)
    inputs, symbols = _declare_inputs(data["inputs"], sections, report)
    _set_defaults(data["inputs"], inputs, symbols, report)
    _check_default_cycles(data["inputs"], inputs, report)
    meta = _meta(data["policy"], report)
    _check_bounds(data["inputs"], inputs, report)
    context = _Context(meta.id, sections, inputs, symbols, _applicant_types(inputs), overrides)
    articles = _compile_articles(data["articles"], context, report)
    report.raise_any(where)
    return Policy(
        id=meta.id, title=meta.title, meta=meta, sections=sections, inputs=inputs,
        articles=tuple(articles), path=where, sha256=sha256, data=data,
    )  # fmt: skip


_Loc = tuple[Any, ...]  # where a key is in the file: ("articles", 3, "when")


class _Report:
    """The problems found in one file: the file's own at their lines, an `--override`'s apart
    (the command's problem, not a line of the file's)."""

    def __init__(self, lines: KeyLines) -> None:
        self._lines = lines
        self._located: list[Problem] = []
        self._blamed: list[str] = []

    def at(self, loc: _Loc, message: str) -> None:
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


def _text(text: schema.Text) -> Text:
    """The schema's {zh, en} table as the model's Text: the same mapping (mypy sees no `Mapping`
    in a TypedDict)."""
    return cast(Text, text)


def _maybe_text(text: schema.Text | None) -> Text | None:
    return None if text is None else cast(Text, text)


def _sections(specs: Sequence[schema.SectionSpec], report: _Report) -> dict[str, Text]:
    """Section id → title; an id declared twice is a problem (the last title stands)."""
    sections: dict[str, Text] = {}
    for i, section in enumerate(specs):
        if section["id"] in sections:
            report.at(("sections", i, "id"), t("duplicate section id {id}", id=repr(section["id"])))
        sections[section["id"]] = _text(section["title"])
    return sections


def _declare_inputs(
    specs: Sequence[schema.InputSpec], sections: Mapping[str, Text], report: _Report
) -> tuple[dict[str, Input], dict[str, Symbol]]:
    """Each input (without its default: `_set_defaults`), and the symbol expressions read it by.

    A name declared twice keeps its first declaration."""
    inputs: dict[str, Input] = {}
    symbols: dict[str, Symbol] = {}
    for i, item in enumerate(specs):
        name = item["name"]
        if name in inputs:
            report.at(("inputs", i, "name"), t("duplicate input {name}", name=repr(name)))
            continue
        _check_input(i, item, sections, report)
        inputs[name], symbols[name] = _input(item)
    return inputs, symbols


def _check_input(
    i: int, item: schema.InputSpec, sections: Mapping[str, Text], report: _Report
) -> None:
    """An input's section is declared; a choice has choices, and no word names two of them."""
    name, section, choices = item["name"], item.get("section"), item.get("choices") or []
    if section is not None and section not in sections:
        unknown = t("input {name}: unknown section {section}", name=name, section=repr(section))
        report.at(("inputs", i, "section"), unknown)
    if item["type"] == "choice" and not choices:
        report.at(("inputs", i, "type"), t("input {name}: a choice needs `choices`", name=name))
    named: dict[str, str] = {}
    for choice in choices:
        for word in choice_words([choice]):
            if named.setdefault(word, choice["value"]) != choice["value"]:
                report.at(("inputs", i, "choices"),
                          t("input {name}: {word} names both {one} and {other}", name=name,
                            word=repr(word), one=named[word], other=choice["value"]))  # fmt: skip


def _input(item: schema.InputSpec) -> tuple[Input, Symbol]:
    """An input as the policy keeps it (its parser made), and as expressions see it."""
    name, kind, label = item["name"], item["type"], _text(item["label"])
    choices = item.get("choices") or []
    values = frozenset(c["value"] for c in choices)
    symbol = Symbol(kind if kind in PARSERS else "text", label=label, choices=values or None)
    parse = PARSERS.get(kind) or text_parser(choices or None)
    declared = Input(
        name=name, type=kind, label=label, help=_maybe_text(item.get("help")),
        unit=_maybe_text(item.get("unit")), section=item.get("section"), choices=tuple(choices),
        default=None, default_if=None, default_then=None, default_else=None, parse=parse,
        aliases=tuple(item.get("aliases") or ()),
        check=_maybe_text(item.get("check")), at_most=item.get("at_most"),
    )  # fmt: skip
    return declared, symbol


def _set_defaults(
    specs: Sequence[schema.InputSpec], inputs: dict[str, Input], symbols: Mapping[str, Symbol],
    report: _Report,
) -> None:  # fmt: skip
    """Each declared input's default, parsed as its values are (`inputs` is updated)."""
    for i, item in enumerate(specs):
        default, name = item.get("default"), item["name"]
        if default is None or name not in inputs:
            continue
        try:
            inputs[name] = _with_default(inputs[name], default, symbols)
        except (ExpressionError, MoneyError) as exc:
            report.at(("inputs", i, "default"),
                      t("input {name}: default: {why}", name=name, why=exc.message))  # fmt: skip


def _with_default(
    item: Input, default: schema.Scalar | schema.ConditionalDefault, symbols: Mapping[str, Symbol]
) -> Input:
    """The input with its default: a value, or `then` when the expression `if` holds, else
    `else`."""
    if isinstance(default, dict):
        cond = compile_expr(default["if"], symbols, expect="bool")
        then, other = item.parse(default["then"]), item.parse(default["else"])
        return replace(item, default_if=cond, default_then=then, default_else=other)
    return replace(item, default=item.parse(default))


def _check_default_cycles(
    specs: Sequence[schema.InputSpec], inputs: Mapping[str, Input], report: _Report
) -> None:
    """Conditional defaults that read each other in a circle (`default_cycles`) are a problem."""
    order = {item["name"]: i for i, item in enumerate(specs)}
    for cycle in default_cycles(inputs):
        loop = " → ".join([*cycle, cycle[0]])
        report.at(("inputs", order[cycle[0]], "default"),
                  t("input {name}: default: the defaults go round in a circle ({loop}), so none "
                    "of them is ever asked for; make one of them a plain default or none",
                    name=cycle[0], loop=loop))  # fmt: skip


def _meta(meta: schema.PolicyMeta, report: _Report) -> Meta:
    """The `[policy]` table; a policy must not end before it starts."""
    start, end = meta.get("effective_from"), meta.get("effective_to")
    if start is not None and end is not None and end < start:
        report.at(("policy", "effective_to"),
                  t("policy.effective_to {end} is before effective_from {start}", end=end,
                    start=start))  # fmt: skip
    return Meta(
        id=meta["id"], title=_text(meta["title"]), issuer=_maybe_text(meta.get("issuer")),
        region=_maybe_text(meta.get("region")), source_file=meta.get("source_file"),
        preamble=meta.get("preamble"), not_stated=tuple(meta.get("not_stated", ())),
        effective_from=start, effective_to=end,
    )  # fmt: skip


def _check_bounds(
    specs: Sequence[schema.InputSpec], inputs: Mapping[str, Input], report: _Report
) -> None:
    """An input's `at_most` names another declared input of its own type."""
    for i, item in enumerate(specs):
        bound, name = item.get("at_most"), item["name"]
        if bound is None or name not in inputs:
            continue
        other = inputs.get(bound)
        if other is None or other.type != inputs[name].type or bound == name:
            kind = inputs[name].type
            report.at(("inputs", i, "at_most"),
                      t("input {name}: at_most: {bound} is not another declared input of type "
                        "{kind}", name=name, bound=repr(bound), kind=kind))  # fmt: skip


def _applicant_types(inputs: Mapping[str, Input]) -> frozenset[str]:
    """The values of the `applicant_type` choice: what an article's `who` may name."""
    applicant = inputs.get("applicant_type")
    return frozenset(c["value"] for c in applicant.choices) if applicant else frozenset()


def _compile_articles(
    specs: Sequence[schema.ArticleSpec], context: _Context, report: _Report
) -> list[Article]:
    """Every article that compiles (the others have added their problems); ids are unique."""
    articles: list[Article] = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        if spec["id"] in seen:
            report.at(("articles", i, "id"), t("duplicate article id {id}", id=repr(spec["id"])))
        seen.add(spec["id"])
        article = _compile_article(spec, i, context, report)
        if article is not None:
            articles.append(article)
    return articles


def with_defaults(fields: Iterable[str], inputs: Mapping[str, Input]) -> list[str]:
    """The fields, then the fields their conditional defaults read, however deep (in order)."""
    deps = list(dict.fromkeys(fields))
    for dep in deps:  # grows while it is read: a default's fields, and their defaults' fields
        cond = inputs[dep].default_if if dep in inputs else None
        if cond is not None:
            deps.extend(n for n in cond.inputs if n not in deps)
    return deps


def default_cycles(inputs: Mapping[str, Input]) -> list[list[str]]:
    """Conditional defaults that read each other in a circle (each circle once, in file order).

    `a` defaults on `b` and `b` on `a`: neither is ever asked, as each seems to have a value.
    """
    reads = {
        name: [n for n in item.default_if.inputs if n in inputs]
        for name, item in inputs.items()
        if item.default_if is not None
    }
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in reads:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in reads and node not in done:
            if node in path:
                cycles.append(path[path.index(node) :])
                break
            path.append(node)
            node = next((n for n in reads[node] if n in reads), None)
        done.update(path)
    return cycles


# ---------------------------------------------------------------------------------------------
# One article: `_compile_article` and its steps


_ExprKey = Literal["when", "amount", "cap", "tax_saving"]  # an article's expressions
_EXPRESSIONS: tuple[_ExprKey, ...] = ("when", "amount", "cap", "tax_saving")


@dataclass(frozen=True, slots=True)
class _Context:
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
    report: _Report
    ok: bool = True
    refused: bool = False  # an override was refused: nothing is compiled with it

    def fail(self, key: str, message: str, where: _Loc = ()) -> None:
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


def _compile_article(
    article: schema.ArticleSpec, i: int, context: _Context, report: _Report
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
    _check_count(count, context.inputs, faults)
    compiled = {
        key: None if text is None else _expression(key, text, local, faults)
        for key, text in exprs.items()
    }
    tiers = _tiers(article.get("tiers") or [], local, faults)
    if not faults.ok or _refuse_unused(values, [*compiled.values(), *_exprs(tiers)], faults):
        return None
    deps = _dependencies(who, [*compiled.values(), *_exprs(tiers)], count, context.inputs)
    return Article(
        id=name, section=article["section"], title=_text(article["title"]),
        who=None if who == {ANY} else frozenset(who), basis=article["basis"], values=values,
        when=compiled["when"], amount=compiled["amount"], cap=compiled["cap"], count=count,
        tax_saving=compiled["tax_saving"], source=article["source"],
        note=_maybe_text(article.get("note")), not_stated=tuple(article.get("not_stated", ())),
        inputs=tuple(deps), labels={n: context.inputs[n].label for n in deps},
        who_label=_who_label(who, context.inputs), overridden=frozenset(mine),
        policy=context.policy, tiers=tuple(tiers),
    )  # fmt: skip


def _check_heading(article: schema.ArticleSpec, context: _Context, faults: _Faults) -> set[str]:
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
    exprs: dict[str, str | None] = {key: article.get(key) for key in _EXPRESSIONS}
    for key, value in faults.mine.items():
        if key in ("when", "amount", "cap"):
            reason = no_effect(key, article["basis"], exprs, article.get("tiers"))
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
    if tiers is not None:
        if article.get("amount") is not None:
            faults.fail("tiers", t("an article pays by `amount` or by `tiers`, not both"))
        if basis not in CASH_BASES:
            cash = t("tiers pay cash: basis up_to or exact, not {basis}", basis=repr(basis))
            faults.fail("tiers", cash)
        if not tiers:
            faults.fail("tiers", t("a tiers list needs at least one tier"))
    elif basis in CASH_BASES | {"tax_deduction"} and not exprs["amount"]:
        faults.fail("amount", t("basis {basis} needs an amount (or `tiers`)", basis=repr(basis)))
    if exprs["cap"] and not exprs["amount"] and tiers is None:
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
    key: str, text: str, local: Mapping[str, Symbol], faults: _Faults, where: _Loc = ()
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
    who: set[str], exprs: Iterable[Expr | None], count: str | None, inputs: Mapping[str, Input]
) -> list[str]:
    """Every input the article's result depends on: the applicant type when not everyone may
    claim, the inputs its expressions read, its count, and what their defaults read."""
    deps: list[str] = []
    if who != {ANY}:
        deps.append("applicant_type")
    for expr in exprs:
        if expr is not None:
            deps.extend(n for n in expr.inputs if n != "amount")
    if count:
        deps.append(count)
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
