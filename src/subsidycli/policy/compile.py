"""The compiler: a policy file's tables, as `schema.py` declares them, to a frozen `Policy`.

`compile_policy` reads the file in named steps, each adding its problems to one report: the
sections, the inputs (their parsers, choices and defaults, the circles defaults may make, their
`at_most` bounds), the dates of force, then each article (`compile_article`: its section and
applicants, the `--override`s applied, its named values, how it pays, each expression, its tiers,
the inputs its result depends on). Every problem is found before any is raised: a file's own
problems name their lines, an `--override`'s name the option.

The tables are typed by `schema.py`'s TypedDicts, imported for mypy only: the file is the parsed
TOML itself, validated by pydantic just before, or known to have passed before (`trust.py`). Only
whitelisted expressions are compiled (`expr.compile_expr`); nothing from a file is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from subsidycli.errors import ExpressionError, MoneyError
from subsidycli.expr import Symbol, compile_expr
from subsidycli.i18n import t
from subsidycli.policy import payments
from subsidycli.policy.article import ArticleContext, Report, as_text, compile_article, maybe_text
from subsidycli.policy.keylines import KeyLines
from subsidycli.policy.model import (
    Article,
    Input,
    Interview,
    Meta,
    Policy,
    Text,
)
from subsidycli.policy.parsers import PARSERS, choice_words, quantity_parser, text_parser

if TYPE_CHECKING:
    from subsidycli.policy import schema


def compile_policy(
    data: schema.PolicyFile, lines: KeyLines, where: str, sha256: str, overrides: Mapping[str, str]
) -> Policy:
    """A validated policy file as a `Policy`; raise PolicyError listing every problem found.

    `lines` places a problem in the file `where`; `overrides` maps "article-id.key" to a new
    value (see `load_policy`); `sha256` is the file's, kept on the policy.
    """
    report = Report(lines)
    sections = _sections(data["sections"], report)
    inputs, symbols = _declare_inputs(data["inputs"], sections, report)
    _set_defaults(data["inputs"], inputs, symbols, report)
    _check_default_cycles(data["inputs"], inputs, report)
    meta = _meta(data["policy"], report)
    _check_bounds(data["inputs"], inputs, report)
    who = _applicant_types(inputs)
    context = ArticleContext(meta.id, sections, inputs, symbols, who, overrides)
    articles = _compile_articles(data["articles"], context, report)
    articles = payments.link(articles, data["articles"], meta.id, meta.stacking, report.at)
    report.raise_any(where)
    return Policy(
        id=meta.id, title=meta.title, meta=meta, sections=sections, inputs=inputs,
        articles=tuple(articles), path=where, sha256=sha256, data=data,
        interview=_interview(data.get("interview")),
    )  # fmt: skip


def _interview(spec: schema.InterviewSpec | None) -> Interview:
    """The `[interview]` table, its keys left out taking Interview's defaults."""
    return Interview(**spec) if spec else Interview()


def _sections(specs: Sequence[schema.SectionSpec], report: Report) -> dict[str, Text]:
    """Section id → title; an id declared twice is a problem (the last title stands)."""
    sections: dict[str, Text] = {}
    for i, section in enumerate(specs):
        if section["id"] in sections:
            report.at(("sections", i, "id"), t("duplicate section id {id}", id=repr(section["id"])))
        sections[section["id"]] = as_text(section["title"])
    return sections


def _declare_inputs(
    specs: Sequence[schema.InputSpec], sections: Mapping[str, Text], report: Report
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
        if item.get("example") is not None:
            try:  # the template's example row holds it: a value a profile may hold
                inputs[name] = replace(inputs[name], example=inputs[name].parse(item["example"]))
            except MoneyError as exc:
                why = t("input {name}: example: {why}", name=name, why=exc.message)
                report.at(("inputs", i, "example"), why)
    return inputs, symbols


def _check_input(
    i: int, item: schema.InputSpec, sections: Mapping[str, Text], report: Report
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
    name, kind, label = item["name"], item["type"], as_text(item["label"])
    choices = item.get("choices") or []
    values = frozenset(c["value"] for c in choices)
    unit = maybe_text(item.get("unit"))
    if kind == "quantity":  # a number of units (亩): a plain number to expressions
        symbol = Symbol("number", label=label)
        parse = quantity_parser(unit)
    else:
        words = {c["value"]: {"zh": c["zh"], "en": c["en"]} for c in choices} or None
        symbol = Symbol(kind if kind in PARSERS else "text", label=label, choices=values or None,
                        words=words)  # fmt: skip
        parse = PARSERS.get(kind) or text_parser(choices or None)
    declared = Input(
        name=name, type=kind, label=label, help=maybe_text(item.get("help")),
        unit=unit, section=item.get("section"), choices=tuple(choices),
        default=None, default_if=None, default_then=None, default_else=None, parse=parse,
        aliases=tuple(item.get("aliases") or ()),
        check=maybe_text(item.get("check")), at_most=item.get("at_most"),
    )  # fmt: skip
    return declared, symbol


def _set_defaults(
    specs: Sequence[schema.InputSpec], inputs: dict[str, Input], symbols: Mapping[str, Symbol],
    report: Report,
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
    specs: Sequence[schema.InputSpec], inputs: Mapping[str, Input], report: Report
) -> None:
    """Conditional defaults that read each other in a circle (`default_cycles`) are a problem."""
    order = {item["name"]: i for i, item in enumerate(specs)}
    for cycle in default_cycles(inputs):
        loop = " → ".join([*cycle, cycle[0]])
        report.at(("inputs", order[cycle[0]], "default"),
                  t("input {name}: default: the defaults go round in a circle ({loop}), so none "
                    "of them is ever asked for; make one of them a plain default or none",
                    name=cycle[0], loop=loop))  # fmt: skip


def _meta(meta: schema.PolicyMeta, report: Report) -> Meta:
    """The `[policy]` table; a policy must not end before it starts."""
    start, end = meta.get("effective_from"), meta.get("effective_to")
    if start is not None and end is not None and end < start:
        report.at(("policy", "effective_to"),
                  t("policy.effective_to {end} is before effective_from {start}", end=end,
                    start=start))  # fmt: skip
    return Meta(
        id=meta["id"], title=as_text(meta["title"]), issuer=maybe_text(meta.get("issuer")),
        region=maybe_text(meta.get("region")), source_file=meta.get("source_file"),
        preamble=meta.get("preamble"), not_stated=tuple(meta.get("not_stated", ())),
        effective_from=start, effective_to=end, family=meta.get("family"),
        issue_date=meta.get("issue_date"), stacking=meta.get("stacking"),
    )  # fmt: skip


def _check_bounds(
    specs: Sequence[schema.InputSpec], inputs: Mapping[str, Input], report: Report
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
    specs: Sequence[schema.ArticleSpec], context: ArticleContext, report: Report
) -> list[Article]:
    """Every article that compiles (the others have added their problems); ids are unique."""
    articles: list[Article] = []
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        if spec["id"] in seen:
            report.at(("articles", i, "id"), t("duplicate article id {id}", id=repr(spec["id"])))
        seen.add(spec["id"])
        article = compile_article(spec, i, context, report)
        if article is not None:
            articles.append(article)
    return articles


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
# One article: `compile_article` and its steps


