"""The compiler: a policy file's validated tables to a frozen `Policy` (inputs, articles, tiers).

Only whitelisted expressions are compiled (`expr.compile_expr`); nothing from a file is evaluated."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from subsidycli import money
from subsidycli.errors import ExpressionError, MoneyError, PolicyError, Problem
from subsidycli.expr import Expr, Symbol, compile_expr
from subsidycli.i18n import t
from subsidycli.policy.keylines import KeyLines
from subsidycli.policy.model import ANY, CASH_BASES, Article, Input, Meta, Policy, Text, Tier
from subsidycli.policy.overrides import _no_effect, _override_expr, _override_value

_PARSERS: dict[str, Callable[[object], Any]] = {
    "money": money.parse_money,
    "count": money.parse_count,
    "bool": money.parse_bool,
    "rate": money.parse_rate,
}


def choice_words(choices: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every word that names a choice, folded (`fold`), and the choice's value: the value, its
    Chinese and English labels and its aliases (企业, 公司, Enterprise -> enterprise)."""
    words: dict[str, str] = {}
    for choice in choices:
        names = [choice["value"], choice["zh"], choice["en"], *choice.get("aliases", ())]
        for name in names:
            words.setdefault(fold(name), choice["value"])
    return words


def fold(text: str) -> str:
    """A word as it is compared with the policy's words: full-width folded, case ignored, and
    no spaces (`企 业`, `ＥＮＴＥＲＰＲＩＳＥ`, ` Enterprise ` are the same word)."""
    return "".join(money.normalize_text(text).casefold().split())


def _text_parser(choices: Iterable[Mapping[str, Any]] | None) -> Callable[[object], Any]:
    words = choice_words(choices) if choices else None
    shown = ", ".join(f"{c['value']} ({c['zh']})" for c in choices or ())

    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise MoneyError(t("{value} is not text", value=f"{value!r:.40}"))
        printable = value.isprintable()  # the common case, checked in C; implies no Cc, Cs
        if not printable and any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
            # Terminal escapes, NUL, or a non-UTF-8 byte smuggled in as a lone surrogate.
            raise MoneyError(
                t("{value} contains control characters or broken Unicode", value=f"{value!r:.40}")
            )
        if words is not None:
            found = words.get(value)  # a word as the policy folds it: nothing to fold
            if found is not None:
                return found
        text = money.normalize_text(value)
        if words is not None:
            found = words.get(fold(text))
            if found is None:
                raise MoneyError(
                    t("{value} is not one of {choices}", value=f"{value!r:.40}", choices=shown)
                )
            return found
        if len(text) > 500:
            raise MoneyError(t("text longer than 500 characters"))
        return text

    return parse


def with_defaults(fields: Iterable[str], inputs: Mapping[str, Input]) -> list[str]:
    """The fields, then the fields their conditional defaults read, however deep (in order)."""
    deps = list(dict.fromkeys(fields))
    for dep in deps:  # grows while it is read: a default's fields, and their defaults' fields
        cond = inputs[dep].default_if if dep in inputs else None
        if cond is not None:
            deps.extend(n for n in cond.inputs if n not in deps)
    return deps


def _compile(
    data: Mapping[str, Any], lines: KeyLines, where: str, sha256: str, overrides: dict[str, str]
) -> Policy:
    problems: list[Problem] = []
    blamed: list[str] = []  # problems of an --override: the command's, not a line of the file

    def problem(loc: tuple[Any, ...], message: str) -> None:
        if loc:
            problems.append((str(lines.line(loc)), message))
        else:
            blamed.append(message)

    sections: dict[str, Text] = {}
    for i, section in enumerate(data["sections"]):
        if section["id"] in sections:
            problem(("sections", i, "id"), t("duplicate section id {id}", id=repr(section["id"])))
        sections[section["id"]] = section["title"]

    inputs: dict[str, Input] = {}
    symbols: dict[str, Symbol] = {}
    for i, item in enumerate(data["inputs"]):
        name, kind = item["name"], item["type"]
        if name in inputs:
            problem(("inputs", i, "name"), t("duplicate input {name}", name=repr(name)))
            continue
        section = item.get("section")
        if section is not None and section not in sections:
            unknown = t("input {name}: unknown section {section}", name=name, section=repr(section))
            problem(("inputs", i, "section"), unknown)
        choices = frozenset(c["value"] for c in item.get("choices") or ())
        if kind == "choice" and not choices:
            problem(("inputs", i, "type"), t("input {name}: a choice needs `choices`", name=name))
        named: dict[str, str] = {}
        for choice in item.get("choices") or ():
            for word in choice_words([choice]):
                if named.setdefault(word, choice["value"]) != choice["value"]:
                    problem(("inputs", i, "choices"),
                            t("input {name}: {word} names both {one} and {other}", name=name,
                              word=repr(word), one=named[word], other=choice["value"]))  # fmt: skip
        parse = _PARSERS.get(kind) or _text_parser(item.get("choices") or None)
        symbols[name] = Symbol(
            kind if kind in _PARSERS else "text", label=item["label"], choices=choices or None
        )
        inputs[name] = Input(
            name=name, type=kind, label=item["label"], help=item.get("help"),
            unit=item.get("unit"), section=section, choices=tuple(item.get("choices") or ()),
            default=None, default_if=None, default_then=None, default_else=None, parse=parse,
            aliases=tuple(item.get("aliases") or ()),
            check=item.get("check"), at_most=item.get("at_most"),
        )  # fmt: skip
    for i, item in enumerate(data["inputs"]):
        default, name = item.get("default"), item["name"]
        if default is None or name not in inputs:
            continue
        try:
            parse = inputs[name].parse
            if isinstance(default, dict):
                cond = compile_expr(default["if"], symbols, expect="bool")
                then, other = parse(default["then"]), parse(default["else"])
                inputs[name] = replace(
                    inputs[name], default_if=cond, default_then=then, default_else=other
                )
            else:
                inputs[name] = replace(inputs[name], default=parse(default))
        except (ExpressionError, MoneyError) as exc:
            problem(("inputs", i, "default"),
                    t("input {name}: default: {why}", name=name, why=exc.message))  # fmt: skip
    order = {item["name"]: i for i, item in enumerate(data["inputs"])}
    for cycle in default_cycles(inputs):
        loop = " → ".join([*cycle, cycle[0]])
        problem(
            ("inputs", order[cycle[0]], "default"),
            t(
                "input {name}: default: the defaults go round in a circle ({loop}), so none of "
                "them is ever asked for; make one of them a plain default or none",
                name=cycle[0],
                loop=loop,
            ),
        )
    meta = data["policy"]
    start, end = meta.get("effective_from"), meta.get("effective_to")
    if start is not None and end is not None and end < start:
        problem(("policy", "effective_to"),
                t("policy.effective_to {end} is before effective_from {start}", end=end,
                  start=start))  # fmt: skip

    for i, item in enumerate(data["inputs"]):
        bound, name = item.get("at_most"), item["name"]
        if bound is not None and name in inputs:
            other = inputs.get(bound)
            if other is None or other.type != inputs[name].type or bound == name:
                problem(
                    ("inputs", i, "at_most"),
                    t(
                        "input {name}: at_most: {bound} is not another declared input of type "
                        "{kind}",
                        name=name,
                        bound=repr(bound),
                        kind=inputs[name].type,
                    ),
                )

    applicant = inputs.get("applicant_type")
    applicant_types = frozenset(c["value"] for c in applicant.choices) if applicant else frozenset()
    articles: list[Article] = []
    seen: set[str] = set()
    for i, article in enumerate(data["articles"]):
        if article["id"] in seen:
            problem(("articles", i, "id"), t("duplicate article id {id}", id=repr(article["id"])))
        seen.add(article["id"])
        compiled = _compile_article(
            article, i, symbols, inputs, sections, applicant_types, overrides, problem
        )
        if compiled is not None:
            articles.append(replace(compiled, policy=meta["id"]))
    if blamed:  # the file's own problems keep their lines; the override's name the option
        located = PolicyError(problems, where=where).lines() if problems else []
        raise PolicyError([*located, *blamed])
    if problems:
        raise PolicyError(problems, where=where)
    return Policy(
        id=meta["id"], title=meta["title"],
        meta=Meta(
            id=meta["id"], title=meta["title"], issuer=meta.get("issuer"),
            region=meta.get("region"), source_file=meta.get("source_file"),
            preamble=meta.get("preamble"), not_stated=tuple(meta.get("not_stated", ())),
            effective_from=start, effective_to=end,
        ),
        sections=sections, inputs=inputs, articles=tuple(articles), path=where, sha256=sha256,
        data=data,
    )  # fmt: skip


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


_EXPRESSIONS = ("when", "amount", "cap", "tax_saving")


def _compile_article(
    article: Mapping[str, Any],
    i: int,
    symbols: Mapping[str, Symbol],
    inputs: Mapping[str, Input],
    sections: Mapping[str, Text],
    applicant_types: frozenset[str],
    overrides: Mapping[str, str],
    problem: Callable[[tuple[Any, ...], str], None],
) -> Article | None:
    loc = ("articles", i)
    name = article["id"]
    basis = article["basis"]
    count = article.get("count")
    raw_tiers: list[Mapping[str, Any]] | None = article.get("tiers")
    ok = True
    mine = {k[len(name) + 1 :]: v for k, v in overrides.items() if k.startswith(name + ".")}

    def fail(key: str, message: str, where: tuple[Any, ...] = ()) -> None:
        nonlocal ok
        ok = False
        if key in mine:  # an overridden expression: the option is to blame, not the file
            problem((), f"--override {name}.{key}={mine[key]}: {message}")
        else:
            problem(where or (*loc, key), f"{name}.{key}: {message}")

    refused = False

    def refuse(key: str, message: str) -> None:
        nonlocal ok, refused
        ok, refused = False, True
        problem((), f"--override {name}.{key}={mine[key]}: {message}")

    if article["section"] not in sections:
        fail(
            "section",
            t(
                "unknown section {section} (declared: {declared})",
                section=repr(article["section"]),
                declared=", ".join(sections),
            ),
        )
    who = set(article.get("who", [ANY]))
    if ANY in who and len(who) > 1:
        fail("who", t("'any' stands alone"))
    for kind in who - {ANY} - applicant_types:
        fail(
            "who",
            t(
                "{kind} is not an applicant_type choice ({choices})",
                kind=repr(kind),
                choices=", ".join(sorted(applicant_types)),
            ),
        )
    if not article["source"].strip():
        fail("source", t("an article must quote its source text"))

    values: dict[str, tuple[Decimal, str]] = {}
    raw_values: dict[str, Any] = dict(article.get("values", {}))
    exprs: dict[str, str | None] = {key: article.get(key) for key in _EXPRESSIONS}
    for key, value in mine.items():
        if key in ("when", "amount", "cap"):
            reason = _no_effect(key, basis, exprs, raw_tiers)
            if reason:
                refuse(key, reason)
            exprs[key] = _override_expr(value)
            continue
        if key not in raw_values:
            allowed = ", ".join([*raw_values, "when", "amount", "cap"])
            refuse(key, t("no such value (allowed: {allowed})", allowed=allowed))
            continue
        try:
            raw_values[key] = _override_value(key, raw_values[key], value)
        except MoneyError as exc:
            refuse(key, exc.message)
    if refused:
        return None
    for key, value in raw_values.items():
        if key in symbols or key in ("amount", "count"):
            fail("values", t("value {key} shadows an input or keyword; rename it", key=repr(key)))
            continue
        try:
            values[key] = money.parse_policy_number(value)
        except (MoneyError, ArithmeticError) as exc:
            message = exc.message if isinstance(exc, MoneyError) else str(exc)
            fail("values", f"{key}: {message}")
    local = dict(symbols)
    for key, (number, kind) in values.items():
        local[key] = Symbol(kind, value=number)

    if basis == "info":
        for key in ("when", "amount", "cap", "count", "tax_saving", "tiers"):
            if article.get(key) is not None:
                fail(key, t("an info article has no condition or amount"))
    if raw_tiers is not None:
        if article.get("amount") is not None:
            fail("tiers", t("an article pays by `amount` or by `tiers`, not both"))
        if basis not in CASH_BASES:
            fail("tiers", t("tiers pay cash: basis up_to or exact, not {basis}", basis=repr(basis)))
        if not raw_tiers:
            fail("tiers", t("a tiers list needs at least one tier"))
    elif basis in CASH_BASES | {"tax_deduction"} and not exprs["amount"]:
        fail("amount", t("basis {basis} needs an amount (or `tiers`)", basis=repr(basis)))
    if exprs["cap"] and not exprs["amount"] and raw_tiers is None:
        fail("cap", t("a cap without an amount"))
    if exprs["tax_saving"] and basis != "tax_deduction":
        fail("tax_saving", t("only a tax_deduction article has a tax saving"))
    if count is not None:
        target = inputs.get(count)
        if target is None or target.type != "count":
            fail("count", t("{count} is not a declared count input", count=repr(count)))

    def compiled_expr(key: str, text: str, where: tuple[Any, ...] = ()) -> Expr | None:
        scope = local
        if key == "tax_saving":
            scope = {**local, "amount": Symbol("money", label={"zh": "扣除额", "en": "deduction"})}
        try:
            expr = compile_expr(text, scope, expect="bool" if key.endswith("when") else "numeric")
        except ExpressionError as exc:
            fail(key, exc.message, where)
            return None
        if key in mine and key != "when" and expr.kind == "rate":
            fail(
                key,
                t(
                    "{key} is an amount of money, not a rate; write e.g. 30万 or rate * field",
                    key=key,
                ),
            )
        return expr

    compiled: dict[str, Expr | None] = {}
    for key, text in exprs.items():
        compiled[key] = None if text is None else compiled_expr(key, text)
    tiers: list[Tier] = []
    for tier_index, tier in enumerate(raw_tiers or ()):
        here = (*loc, "tiers", tier_index)
        cond = tier.get("when")
        if cond is None and tier_index < len(raw_tiers or ()) - 1:
            fail(
                f"tiers[{tier_index + 1}].when", t("only the last tier may leave out `when`"), here
            )
        when = None if cond is None else compiled_expr(f"tiers[{tier_index + 1}].when", cond, here)
        pays = compiled_expr(f"tiers[{tier_index + 1}].amount", tier["amount"], here)
        if pays is not None:
            tiers.append(Tier(when, pays))
    if not ok:
        return None
    unused = sorted(set(mine) & set(values) - _names_read([*compiled.values(), *_exprs(tiers)]))
    for key in unused:
        refuse(
            key,
            t(
                "no condition or amount of {name} reads {key}: it would change nothing",
                name=name,
                key=key,
            ),
        )
    if unused:
        return None

    deps: list[str] = []
    if who != {ANY}:
        deps.append("applicant_type")
    for expr in [*compiled.values(), *_exprs(tiers)]:
        if expr is not None:
            deps.extend(n for n in expr.inputs if n != "amount")
    if count:
        deps.append(count)
    deps = with_defaults(deps, inputs)
    who_label = None
    if who != {ANY} and "applicant_type" in inputs:
        kinds = [c for c in inputs["applicant_type"].choices if c["value"] in who]
        who_label = {
            "zh": "、".join(c["zh"] for c in kinds),
            "en": ", ".join(c["en"] for c in kinds),
        }
    return Article(
        id=name, section=article["section"], title=article["title"],
        who=None if who == {ANY} else frozenset(who), basis=basis, values=values,
        when=compiled["when"], amount=compiled["amount"], cap=compiled["cap"], count=count,
        tax_saving=compiled["tax_saving"], source=article["source"], note=article.get("note"),
        not_stated=tuple(article.get("not_stated", ())), inputs=tuple(deps),
        labels={n: inputs[n].label for n in deps}, who_label=who_label,
        overridden=frozenset(mine), tiers=tuple(tiers),
    )  # fmt: skip


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


