"""When no article applies: said in words, with what would change that, in place of an empty
table (calc's table and Markdown) and at the head of the report.

"What would change that" is the articles nearest to applying, each with the condition it does
not meet: first those that miss the fewest parts of their condition, then, of those, the ones
missing a money threshold by the smallest share (the engine's gaps), then the larger caps.
Articles the applicant type cannot claim at all are never cited: no threshold of theirs is near.
JSON is data and says none of this (docs/contract.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from subsidycli import engine, explain, money
from subsidycli.engine import ELIGIBLE, NEEDS_INFO, NOT_ELIGIBLE, Evaluation
from subsidycli.expr import Node
from subsidycli.i18n import pick, t
from subsidycli.policy import Article

NEAREST = 3  # articles cited: enough to show a way, few enough to read


@dataclass(frozen=True, slots=True)
class Nearest:
    """An article near to applying, and the condition it does not meet, in words."""

    article: str  # its title
    text: str


def applies(evaluation: Evaluation) -> bool:
    """Whether some article applies: eligible, or waiting for an answer that could make it so."""
    return any(r.status in (ELIGIBLE, NEEDS_INFO) for r in evaluation.results)


def headline() -> str:
    return t("No article of this policy applies, on the answers given.")


def nearest(evaluation: Evaluation, limit: int = NEAREST) -> list[Nearest]:
    """The articles nearest to applying (see the module's docstring), at most `limit`."""
    policy = evaluation.policy
    env = engine.environment(policy, evaluation.profile)
    applicant = env.get("applicant_type")
    ranked: list[tuple[tuple[Any, ...], Nearest]] = []
    for index, (article, result) in enumerate(zip(policy.articles, evaluation.results,
                                                  strict=True)):  # fmt: skip
        if result.status != NOT_ELIGIBLE or (article.who is not None and applicant not in
                                             article.who):  # fmt: skip
            continue
        node = _false_condition(article, env)
        if node is None:  # not eligible for another reason (a year not paid, another article)
            continue
        unmet = _unmet(node, env)
        short = min((g.short_by / g.threshold for g in result.gaps), default=Decimal(1))
        if result.gaps and unmet == len(result.gaps):  # only amounts short: say by how much
            text = t("; ").join(
                explain.gap_text(g, pick(policy.inputs[g.field].label)) for g in result.gaps
            )
        else:
            text = explain.why_false(node, env)
            if unmet > 1:
                text = t("{why} (and {n} more conditions)", why=text, n=unmet - 1)
        key = (unmet, short, -(result.cap or 0), index)
        ranked.append((key, Nearest(pick(article.title), text)))
    ranked.sort(key=lambda pair: pair[0])
    return [found for _, found in ranked[:limit]]


def near_gaps(evaluation: Evaluation) -> list[tuple[Article, explain.Gap]]:
    """The money thresholds worth saying beside a result, each with its article: an eligible
    article's next tier up, and a not-eligible article's thresholds where meeting them is all
    it takes. An article kept out by anything else as well (its applicant type, a project of
    another kind) is not near, however near its amounts; nor is one of a policy not in force."""
    policy = evaluation.policy
    env = engine.environment(policy, evaluation.profile)
    found: list[tuple[Article, explain.Gap]] = []
    for article, result in zip(policy.articles, evaluation.results, strict=True):
        # (an article the applicant type cannot claim has no gaps: its condition is not read)
        if not result.gaps or article.id in policy.uncounted:
            continue
        if result.status == NOT_ELIGIBLE:
            node = _false_condition(article, env)
            if node is None or node.fn(_met(result.gaps, env)) is not True:
                continue
        found += [(article, gap) for gap in result.gaps]
    return found


def _met(gaps: tuple[explain.Gap, ...], env: Mapping[str, Any]) -> dict[str, Any]:
    """The profile with each gap closed: its field raised to the threshold (a fen past it where
    the threshold itself does not count)."""
    raised = dict(env)
    for gap in gaps:
        need = gap.threshold if gap.inclusive else gap.threshold + money.FEN
        raised[gap.field] = max(raised[gap.field], need)
    return raised


def paragraphs(evaluation: Evaluation) -> tuple[str, str | None, list[Nearest]]:
    """What is said: the headline, the line that leads the nearest articles (or says that none
    is open to this kind of applicant; None when neither can be said), and the nearest."""
    found = nearest(evaluation)
    if found:
        return headline(), t("Nearest to applying, with the condition each does not meet:"), found
    policy = evaluation.policy
    applicant = engine.environment(policy, evaluation.profile).get("applicant_type")
    item = policy.inputs.get("applicant_type")
    claimable = [a for a in policy.articles
                 if a.basis != "info" and (a.who is None or applicant in a.who)]  # fmt: skip
    if item is not None and applicant is not None and not claimable:
        who = next((pick(c) for c in item.choices if c["value"] == applicant), str(applicant))
        return headline(), t("None of its articles is open to applicants of the kind “{who}”.",
                             who=who), []  # fmt: skip
    return headline(), None, []


def print_nothing(console: Any, title: Any, evaluation: Evaluation) -> None:
    """The table's place when nothing applies: the title, then the words, wrapped to the width."""
    from rich.text import Text

    from subsidycli.text import wrap

    width = console.width
    console.print(title)
    head, lead, found = paragraphs(evaluation)
    console.print(Text("\n".join(wrap(head, width)), style="bold"))
    if lead:
        console.print(Text("\n".join(wrap(lead, width))))
    for item in found:
        text = t("{article}: {why}", article=item.article, why=item.text)
        console.print(Text("\n".join(wrap(text, width, "  · ", "    "))))
    console.print()


def markdown(evaluation: Evaluation, escape: Any) -> list[str]:
    """The Markdown lines in the table's place when nothing applies; `escape` makes a text safe
    in Markdown."""
    head, lead, found = paragraphs(evaluation)
    out = [f"**{escape(head)}**", ""]
    if lead:
        out += [escape(lead), ""]
    out += [f"- **{escape(n.article)}**{t(': ')}{escape(n.text)}" for n in found]
    return out + ([""] if found else [])


def report(evaluation: Evaluation) -> dict[str, Any] | None:
    """What the HTML report says when nothing applies (None when something does)."""
    if applies(evaluation):
        return None
    head, lead, found = paragraphs(evaluation)
    return {"headline": head, "lead": lead,
            "nearest": [{"article": n.article, "text": n.text} for n in found]}  # fmt: skip


def _false_condition(article: Article, env: dict[str, Any]) -> Node | None:
    """The condition that keeps an article out: its own, or its lowest tier's."""
    if article.when is not None and article.when.fn(env) is False:
        return article.when.node
    if article.tiers:
        lowest = article.tiers[-1].when
        if lowest is not None and lowest.fn(env) is False:
            return lowest.node
    return None


def _unmet(node: Node, env: dict[str, Any]) -> int:
    """How many parts of a condition are not met: each false part of an `and`, the nearest
    alternative of an `or`; 0 when it is not false."""
    if node.fn(env) is not False:
        return 0
    if node.op == "and":
        return sum(_unmet(arg, env) for arg in node.args) or 1
    if node.op == "or":
        return min(_unmet(arg, env) for arg in node.args) or 1
    return 1
