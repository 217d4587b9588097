"""What the interview asks next, and in what form: pure functions of the policy and the answers.

The engine says which fields can still change a result (`Evaluation.missing`). This module
decides how to ask them in few prompts, and in what order:

1. the applicant type, unless it is known (it decides which articles apply at all);
2. the amounts (and choices) that decide cash articles, one prompt each — where the policy's
   `[interview] first` is "amounts", as a policy whose money hangs on amounts most organisations
   have says; where it is "checklists", the choices only, and the amounts after step 3, so that a
   "no" ends the question of an amount few organisations have;
3. checklists of the yes/no and count items, one per section of the policy, sections packed into
   pages that fit the screen (the whole policy on one page when it fits), answered in one line;
   an amount that decides no cash (the expense of a tax deduction) is an item too;
4. the amounts of the expenses ticked, and the counts of the count items ticked, in one prompt.

"Widest first" is read off the policy, never a hand list: a field that decides articles more
kinds of applicant may claim comes first, then one that decides more articles, then the policy's
own order. Sections are ordered by their widest item, so narrow ones (a new R&D institution's
postdoctoral workstation) come last.

No I/O here: the interview module prompts and reads; everything it decides is decided here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from subsidycli import engine
from subsidycli.i18n import NO_WORDS
from subsidycli.money import normalize_text
from subsidycli.policy import CASH_BASES, Input, Policy

APPLICANT = "applicant_type"
NAME = "name"  # the organisation's name: it heads the report and decides nothing


@dataclass(frozen=True, slots=True)
class Ask:
    """One field, one prompt: a choice, an amount, a count or a yes/no on its own."""

    field: str


@dataclass(frozen=True, slots=True)
class Checklist:
    """Numbered items answered in one line; `groups` are (section id, items) in the order shown."""

    groups: tuple[tuple[str | None, tuple[str, ...]], ...]

    @property
    def items(self) -> tuple[str, ...]:
        """The fields in the order shown; item n of the list is items[n - 1]."""
        return tuple(name for _, names in self.groups for name in names)


@dataclass(frozen=True, slots=True)
class Counts:
    """How many, for each count item ticked without a number: one prompt for all of them."""

    fields: tuple[str, ...]


Step = Ask | Checklist | Counts


@dataclass(frozen=True, slots=True)
class State:
    """Where the interview stands: the answers, the items ticked whose number or amount is still
    to come, and the fields the person chose to leave unknown."""

    answers: Mapping[str, Any]
    ticked: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Screen:
    """The room a checklist page has: lines for its body, and the lines one item or heading takes
    (they wrap on a narrow terminal)."""

    rows: int
    item_lines: Callable[[str], int] = lambda name: 1
    heading_lines: Callable[[str], int] = lambda section: 1


# ---------------------------------------------------------------------------------------------
# Order, read off the policy


def reach(policy: Policy) -> dict[str, tuple[int, int]]:
    """For each field: how many kinds of applicant may claim an article it decides, and how many
    articles it decides (articles that pay nothing computable are left out)."""
    kinds = _applicant_kinds(policy)
    claimants: dict[str, set[str]] = {}
    decided: dict[str, int] = {}
    for article in policy.articles:
        if article.basis == "info":
            continue
        who = kinds if article.who is None else set(article.who)
        for name in article.inputs:
            if name != APPLICANT:
                claimants.setdefault(name, set()).update(who)
                decided[name] = decided.get(name, 0) + 1
    return {name: (len(claimants[name]), decided[name]) for name in claimants}


def order_key(policy: Policy) -> Callable[[str], tuple[int, int, int]]:
    """Sort key of fields, widest first: kinds of applicant reached, articles decided, the
    policy's order."""
    wide = reach(policy)
    position = {name: i for i, name in enumerate(policy.inputs)}

    def key(name: str) -> tuple[int, int, int]:
        kinds, articles = wide.get(name, (0, 0))
        return (-kinds, -articles, position.get(name, len(position)))

    return key


def decides_cash(policy: Policy, name: str) -> bool:
    """Whether the field decides some article that pays cash (not only a tax benefit)."""
    return any(a.basis in CASH_BASES and name in a.inputs for a in policy.articles)


def is_item(policy: Policy, name: str) -> bool:
    """Whether the field is asked as an item of a checklist: a yes/no, a count, or an amount
    that decides no cash (ticked, then its amount is asked)."""
    item = policy.inputs[name]
    if item.type == "count" and any(a.year == name for a in policy.articles):
        return False  # which year of a schedule (第几年): a number to ask, not a thing to tick
    if item.type in ("bool", "count"):
        return True
    return item.type == "money" and not decides_cash(policy, name)


def section_of(policy: Policy, item: Input) -> str | None:
    """The section a checklist groups a field under: the field's own (e.g. 3.3), as declared."""
    return item.section if item.section in policy.sections else None


def heading_of(policy: Policy, section: str | None) -> str | None:
    """The heading shown above a section's items: its part of the policy (3 for 3.3), or the
    section itself where the policy's `[interview] headings` says "section"."""
    if section is None:
        return None
    if policy.interview.headings == "section":
        return section
    parent = section.rpartition(".")[0]
    return parent if parent in policy.sections else section


# ---------------------------------------------------------------------------------------------
# The plan


def plan(policy: Policy, state: State, screen: Screen) -> list[Step]:
    """The prompts still to come, in order; the first is the one to ask now.

    Re-planned after every answer, so a field that stops mattering (the deductible R&D expense
    once the R&D expense is below the threshold) is never asked.
    """
    missing = [
        name
        for name in engine.evaluate(policy, state.answers).missing
        if name not in state.unknown and name in policy.inputs
    ]
    key = order_key(policy)
    steps: list[Step] = []
    if (
        APPLICANT in policy.inputs
        and APPLICANT not in state.answers
        and APPLICANT not in state.unknown
    ):
        steps.append(Ask(APPLICANT))
    open_fields = [n for n in missing if n not in state.ticked and n != APPLICANT]
    alone = [Ask(n) for n in sorted(open_fields, key=key) if not is_item(policy, n)]
    if policy.interview.first == "checklists":  # the choices, the checklists, then the amounts
        choices = [a for a in alone if policy.inputs[a.field].type == "choice"]
        steps += choices
        alone = [a for a in alone if a not in choices]
    else:
        steps += alone
        alone = []
    items = [n for n in open_fields if is_item(policy, n)]
    if len(items) == 1:
        steps.append(Ask(items[0]))
    elif items:
        steps += paginate(policy, items, screen)
    steps += alone
    pending = sorted((n for n in missing if n in state.ticked), key=key)
    steps += [Ask(n) for n in pending if policy.inputs[n].type != "count"]
    counts = tuple(n for n in pending if policy.inputs[n].type == "count")
    if len(counts) == 1:
        steps.append(Ask(counts[0]))
    elif counts:
        steps.append(Counts(counts))
    return steps


def estimate(policy: Policy, steps: list[Step]) -> int:
    """How many prompts are likely still to come: the plan, plus one for the counts when a
    checklist still to come has count items (a tick there asks how many)."""
    ahead = len(steps)
    asks_counts = any(isinstance(s, Counts) for s in steps) or any(
        isinstance(s, Ask) and policy.inputs[s.field].type == "count" for s in steps
    )
    lists_counts = any(
        isinstance(s, Checklist) and any(policy.inputs[n].type == "count" for n in s.items)
        for s in steps
    )
    return ahead + (1 if lists_counts and not asks_counts else 0)


def paginate(policy: Policy, fields: Iterable[str], screen: Screen) -> list[Checklist]:
    """Checklist pages: items grouped by section, sections widest first, packed into pages that
    fit `screen` (a section longer than a page is split)."""
    key = order_key(policy)
    by_section: dict[str | None, list[str]] = {}
    for name in sorted(fields, key=key):
        by_section.setdefault(section_of(policy, policy.inputs[name]), []).append(name)
    # dicts keep insertion order: sections come in the order of their widest item
    room = max(screen.rows, 3)
    pages: list[Checklist] = []
    groups: list[tuple[str | None, tuple[str, ...]]] = []
    used = 0
    shown: str | None = None  # the heading last shown on this page

    def heading_cost(head: str | None) -> int:
        if head is None or (groups and head == shown):
            return 0
        return screen.heading_lines(head)

    for section, names in by_section.items():
        head = heading_of(policy, section)
        body = sum(screen.item_lines(n) for n in names)
        alone = body + (screen.heading_lines(head) if head is not None else 0)
        if groups and used + heading_cost(head) + body > room and alone <= room:
            pages.append(Checklist(_merge(groups)))  # the section fits a page of its own: start one
            groups, used = [], 0
        for name in names:
            cost = heading_cost(head) + screen.item_lines(name)
            if groups and used + cost > room:
                pages.append(Checklist(_merge(groups)))
                groups, used = [], 0
                cost = heading_cost(head) + screen.item_lines(name)
            groups.append((section, (name,)))
            shown = head
            used += cost
    if groups:
        pages.append(Checklist(_merge(groups)))
    return pages


Group = tuple[str | None, tuple[str, ...]]


def _merge(groups: list[Group]) -> tuple[Group, ...]:
    merged: list[Group] = []
    for section, names in groups:
        if merged and merged[-1][0] == section:
            merged[-1] = (section, merged[-1][1] + names)
        else:
            merged.append((section, names))
    return tuple(merged)


def _applicant_kinds(policy: Policy) -> set[str]:
    applicant = policy.inputs.get(APPLICANT)
    if applicant is None or not applicant.choices:
        return {"any"}
    return {c["value"] for c in applicant.choices}


# ---------------------------------------------------------------------------------------------
# Answers to a checklist


class BadTicks(ValueError):
    """A checklist answer that cannot be read; the message key says why (see i18n `iv.ticks.*`)."""

    def __init__(self, key: str, token: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.token = token


@dataclass(frozen=True, slots=True)
class Ticks:
    """A checklist answer: the items ticked (1-based, with a number where one was given), the items
    left unknown, and whether every item not named is unknown (a lone `?`) rather than "no"."""

    yes: Mapping[int, int | None] = field(default_factory=dict)
    unknown: frozenset[int] = frozenset()
    rest_unknown: bool = False


_NONE_WORDS = NO_WORDS | {"none", "都没有"}
_SPLIT = re.compile(r"[\s,;、]+")
_ITEM = re.compile(r"(\?)?(\d+)(?:-(\d+))?(?:[x*×](\d+))?")


def parse_ticks(text: str, size: int) -> Ticks:
    """Read a checklist answer over items 1..size: `1,3,5`, `2-4`, `3x2` (item 3, two of them),
    `?4` (item 4 unknown), `?` alone or after ticks (the rest unknown), `无` or nothing (none).

    Raises BadTicks naming the first token that cannot be read.
    """
    folded = normalize_text(text).lower().replace("？", "?")
    tokens = [t for t in _SPLIT.split(folded) if t]
    if not tokens or (len(tokens) == 1 and tokens[0] in _NONE_WORDS):
        return Ticks()
    yes: dict[int, int | None] = {}
    unknown: set[int] = set()
    rest_unknown = False
    for token in tokens:
        if token == "?":
            rest_unknown = True
            continue
        match = _ITEM.fullmatch(token)
        if match is None:
            raise BadTicks("iv.ticks.bad", token)
        mark, first, last, count = match.groups()
        start, end = int(first), int(last or first)
        if not 1 <= start <= end <= size:
            raise BadTicks("iv.ticks.range", token)
        if mark and count:
            raise BadTicks("iv.ticks.bad", token)
        for number in range(start, end + 1):
            if number in yes or number in unknown:
                raise BadTicks("iv.ticks.twice", str(number))
            if mark:
                unknown.add(number)
            else:
                yes[number] = int(count) if count is not None else None
    return Ticks(yes, frozenset(unknown), rest_unknown)


def apply_ticks(
    policy: Policy, checklist: Checklist, ticks: Ticks
) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """What a checklist answer says: (answers, ticked items still needing a number or amount,
    fields left unknown). An item not ticked is "no" (0) unless the answer left it unknown.

    Raises BadTicks when a number is given to an item that is not counted.
    """
    answers: dict[str, Any] = {}
    ticked: set[str] = set()
    unknown: set[str] = set()
    for number, name in enumerate(checklist.items, start=1):
        kind = policy.inputs[name].type
        if number in ticks.yes:
            count = ticks.yes[number]
            if count is not None and kind != "count":
                raise BadTicks("iv.ticks.not_count", str(number))
            if kind == "bool":
                answers[name] = True
            elif count is not None:
                answers[name] = count
            else:
                ticked.add(name)
        elif number in ticks.unknown or ticks.rest_unknown:
            unknown.add(name)
        else:
            answers[name] = False if kind == "bool" else _zero(policy.inputs[name])
    return answers, frozenset(ticked), frozenset(unknown)


def parse_counts(text: str, size: int) -> list[int | None]:
    """Read the numbers of `size` ticked count items, in order: `2,1` (`?` for one not known).

    Raises BadTicks when there are not `size` of them or one is not a whole number ≥ 0.
    """
    from subsidycli.errors import MoneyError
    from subsidycli.money import parse_count

    folded = normalize_text(text).replace("？", "?")
    tokens = [t for t in _SPLIT.split(folded) if t]
    if len(tokens) != size:
        raise BadTicks("iv.counts.size", str(size))
    numbers: list[int | None] = []
    for token in tokens:
        if token == "?":
            numbers.append(None)
            continue
        try:
            numbers.append(parse_count(token))
        except MoneyError:
            raise BadTicks("iv.counts.bad", token) from None
    return numbers


def _zero(item: Input) -> Any:
    return item.parse(0)


# ---------------------------------------------------------------------------------------------
# Text on a terminal: widths in cells (a Chinese character takes two), wrapping


