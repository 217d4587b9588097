"""The interview: a few prompts whose answers can still change a result, then the result.

What to ask and in what order is decided by `asking` (pure); this module only shows a prompt,
reads a line and says what it understood. After every answer the plan is made again from the
engine's `missing` list, so a university never sees an enterprise-only item and an R&D expense
below the threshold ends the question of the deductible amount. Every label, unit and help line
comes from the policy file.

Two forms: checklists (the default: the applicant type, the amounts, then one line of ticks per
page of yes/no and count items) and `one_by_one` (one question a prompt, in the policy's order,
for screen readers and scripts driving a terminal).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TextIO

from subsidycli import asking, engine
from subsidycli.errors import MoneyError, SubsidyError
from subsidycli.i18n import N_, NO_WORDS, pick, t
from subsidycli.money import normalize_text
from subsidycli.policy import Input, Policy
from subsidycli.text import wrap

QUIT_WORDS = frozenset({"q", "quit", "exit", "退出"})
SKIP = object()  # an answer left unknown
WAN = Decimal(10_000)
_WAN_WORDS = frozenset({"万", "万元", "w", "wan"})

# How to answer a question of each type, and what was wrong with an answer that cannot be read.
HOW_TO_ANSWER = {
    "money": N_("an amount, e.g. 1200万, 1.2亿, 12,000,000"),
    "count": N_("a whole number, e.g. 0, 1, 2"),
    "quantity": N_("a number, e.g. 120 or 85.5"),
    "bool": N_("yes / no (y/n, 是/否)"),
    "rate": N_("a rate, e.g. 15% or 0.15"),
    "choice": N_("a number or a name from the list"),
    "text": N_("text"),
}
BAD_ANSWER = {
    "money": N_("not an amount; write e.g. 1200万, 1.2亿 or 12,000,000 (not negative)"),
    "count": N_("not a whole number ≥ 0; write e.g. 0, 1, 2"),
    "quantity": N_("not a number ≥ 0; write e.g. 120 or 85.5"),
    "bool": N_("please answer yes or no (y/n, 是/否)"),
    "rate": N_("not a rate from 0 to 1; write e.g. 15% or 0.15"),
    "choice": N_("please give a number or a name from the list"),
    "text": N_("please type some text"),
}
# A checklist answer that cannot be read (asking.BadTicks names which).
BAD_TICKS = {
    "iv.ticks.bad": N_("cannot read {token!r}: type item numbers, e.g. 1,3,5 or 2-4"),
    "iv.ticks.range": N_("{token!r}: no such item (1–{size})"),
    "iv.ticks.twice": N_("item {token} is given twice"),
    "iv.ticks.not_count": N_("item {token} is not a number of things; it takes no x"),
    "iv.counts.size": N_("type {token} numbers, in order, separated by commas"),
    "iv.counts.bad": N_("{token!r} is not a whole number ≥ 0"),
}


class InterviewEnded(Exception):
    """The person ended the interview (end of input) before it was complete."""


class InterviewQuit(Exception):
    """The person asked to stop (`q`): the answers so far are to be kept."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        super().__init__("quit")
        self.answers = dict(answers)


def ask_order(policy: Policy, profile: Mapping[str, Any], skipped: set[str]) -> list[str]:
    """One question a prompt: the fields still worth asking, in the policy's order, the
    applicant type first unless it is known."""
    fields = [f for f in engine.evaluate(policy, profile).missing if f not in skipped]
    applicant = asking.APPLICANT
    if applicant in policy.inputs and applicant not in profile and applicant not in skipped:
        fields.insert(0, applicant)
    return fields


def interview(
    policy: Policy,
    profile: Mapping[str, Any],
    read: Callable[[], str],
    write: Callable[[str], None],
    *,
    one_by_one: bool = False,
    size: Callable[[], tuple[int, int]] = lambda: (80, 24),
) -> dict[str, Any]:
    """Ask until nothing that matters is unknown; return the completed profile.

    `read` returns one line (empty string at end of input); `write` shows text; `size` gives the
    terminal's (columns, rows). Raises InterviewEnded at end of input and InterviewQuit when the
    person types q.
    """
    return _Interview(policy, profile, read, write, size).run(one_by_one)


class _Interview:
    def __init__(
        self, policy: Policy, profile: Mapping[str, Any], read: Callable[[], str],
        write: Callable[[str], None], size: Callable[[], tuple[int, int]],
    ) -> None:  # fmt: skip
        self.policy, self._read, self._write, self.size = policy, read, write, size
        self.answers: dict[str, Any] = dict(profile)
        self.ticked: frozenset[str] = frozenset()
        self.unknown: frozenset[str] = frozenset()
        self.done = 0

    # -- the loop ------------------------------------------------------------------------------

    def run(self, one_by_one: bool) -> dict[str, Any]:
        self.say(t("Answer a few questions to see what you can claim and the most each pays. "
                   "q saves the answers so far and quits; Ctrl-C quits without saving."))
        while True:
            if one_by_one:
                order = ask_order(self.policy, self.answers, set(self.unknown))
                steps: list[asking.Step] = [asking.Ask(f) for f in order]
                ahead = len(steps)
            else:
                state = asking.State(self.answers, self.ticked, self.unknown)
                steps = asking.plan(self.policy, state, self.screen())
                ahead = asking.estimate(self.policy, steps)
            if not steps:
                self.ask_name()
                return self.answers
            self.done += 1
            progress = t("Step {n} of about {total}", n=self.done, total=self.done - 1 + ahead)
            step = steps[0]
            if isinstance(step, asking.Ask):
                self.ask_one(step.field, progress)
            elif isinstance(step, asking.Checklist):
                self.ask_checklist(step, progress)
            else:
                self.ask_counts(step, progress)

    def ask_one(self, name: str, progress: str) -> None:
        item = self.policy.inputs[name]
        value = self.ask_value(item, progress)
        self.ticked = self.ticked - {name}
        if value is SKIP:
            self.unknown = self.unknown | {name}
        else:
            self.answers[name] = value

    def ask_name(self) -> None:
        """Last, the organisation's name, which heads the report: one line, Enter skips it. Not
        a step: it changes no result. Asked only when the policy has the field and the profile
        has no name yet."""
        item = self.policy.inputs.get(asking.NAME)
        if item is None or self.answers.get(asking.NAME):
            return
        self.write("\n")
        self.say(t("{label}, to head the report (Enter to skip)", label=pick(item.label)),
                 hanging="  ")  # fmt: skip
        while True:
            text = self.read()
            if not text or text in ("?", "？"):
                self.say("→ " + t("skipped"), indent="  ")
                return
            try:
                name = item.parse(text)
            except MoneyError as exc:
                self.say(f"✗ {exc.message}", indent="  ", hanging="    ")
                continue
            self.answers[asking.NAME] = name
            self.say("→ " + name, indent="  ", hanging="    ")
            return

    # -- one value -----------------------------------------------------------------------------

    def ask_value(self, item: Input, progress: str) -> Any:
        self.write("\n")
        self.say(f"{progress} · {pick(item.label)}{self.unit(item)}", hanging="  ")
        if item.help:
            self.say(pick(item.help), indent="  ")
        if item.type == "choice":
            choices = "  ".join(f"{i}) {pick(c)}" for i, c in enumerate(item.choices, start=1))
            self.say(choices, indent="  ")
        skip = t("Enter or ? = not known (skip); q = save and quit")
        self.say(t("{how}; {skip}", how=t(HOW_TO_ANSWER[item.type]), skip=skip), indent="  ")
        while True:
            text = self.read()
            if not text or text in ("?", "？"):
                self.say("→ " + t("not known"), indent="  ")
                return SKIP
            try:
                value = parse_answer(item, text)
            except MoneyError:
                self.say(f"✗ {text!r}: {t(BAD_ANSWER[item.type])}", indent="  ")
                continue
            if item.type == "money":
                value = self.check_amount(item, text, value)
            else:
                self.say("→ " + self.shown(item, value), indent="  ")
            return value

    def check_amount(self, item: Input, text: str, value: Decimal) -> Decimal:
        """Repeat the amount as understood; confirm one that looks like a slip of the unit, and
        one larger than the amount it is a part of."""
        while True:
            self.say("→ " + self.shown(item, value), indent="  ")
            if _bare(text) and 0 < value < WAN:
                slip = t("{label}: only {value}? Enter to confirm; 万 (or w) for {wan}; or type "
                         "the amount again", label=pick(item.label),
                         value=self.shown(item, value), wan=self.shown(item, value * WAN))
                self.say("⚠ " + slip, indent="  ", hanging="    ")  # fmt: skip
                reply = self.read()
                if not reply:
                    pass
                elif reply.lower() in _WAN_WORDS:
                    value, text = value * WAN, "万"
                    continue
                else:
                    text, value = reply, self.reparse(item, reply, value)
                    continue
            conflict = self.exceeds(item, value)
            if conflict is None:
                return value
            self.say("⚠ " + conflict, indent="  ", hanging="    ")
            reply = self.read()
            if not reply:
                return value
            text, value = reply, self.reparse(item, reply, value)

    def reparse(self, item: Input, text: str, before: Decimal) -> Decimal:
        try:
            value: Decimal = parse_answer(item, text)
            return value
        except MoneyError:
            self.say(f"✗ {text!r}: {t(BAD_ANSWER['money'])}", indent="  ")
            return before

    def exceeds(self, item: Input, value: Decimal) -> str | None:
        """The warning when this amount and one it is bounded by (or bounds) disagree."""
        for other in self.policy.inputs.values():
            if other is not item and item.at_most == other.name:
                part, whole = item, other
            elif other is not item and other.at_most == item.name:
                part, whole = other, item
            else:
                continue
            known = self.answers.get(other.name)
            if not isinstance(known, Decimal):
                continue
            part_value, whole_value = (value, known) if part is item else (known, value)
            if part_value > whole_value:
                return t(
                    "{label} ({value}) is more than {other} ({limit}); please check. Enter "
                    "keeps it, or type it again", label=pick(part.label),
                    value=self.shown(part, part_value), other=pick(whole.label),
                    limit=self.shown(whole, whole_value),
                )  # fmt: skip
        return None

    # -- checklists ----------------------------------------------------------------------------

    def ask_checklist(self, checklist: asking.Checklist, progress: str) -> None:
        policy = self.policy
        self.write("\n")
        self.say(progress + " · " + t("Which of these apply to the organisation?"), hanging="  ")
        heading = None
        number = 0
        for section, names in checklist.groups:
            head = asking.heading_of(policy, section)
            if head is not None and head != heading:
                self.say(self.heading(head))
                heading = head
            for name in names:
                number += 1
                self.write("\n".join(self.item_lines(number, name)) + "\n")
        self.say(_checklist_how(), indent="  ")
        items = checklist.items
        while True:
            text = self.read()
            try:
                ticks = asking.parse_ticks(text, len(items))
                answers, ticked, unknown = asking.apply_ticks(policy, checklist, ticks)
            except asking.BadTicks as exc:
                message = t(BAD_TICKS[exc.key], token=exc.token, size=len(items))
                self.say(f"✗ {message}", indent="  ")
                continue
            break
        self.answers.update(answers)
        self.ticked = self.ticked | ticked
        self.unknown = self.unknown | unknown
        self.echo_ticks(items, [items[n - 1] for n in sorted(ticks.yes)], unknown)

    def echo_ticks(self, items: tuple[str, ...], yes: list[str], unknown: frozenset[str]) -> None:
        parts = []
        if yes:
            shown = [self.check(n) + self.count_text(n) for n in yes]
            parts.append(t("yes: {items}", items=t(", ").join(shown)))
        if unknown and len(unknown) == len(items):
            parts.append(t("all {n} not known", n=len(items)))
        elif unknown:
            shown = [self.check(n) for n in items if n in unknown]
            parts.append(t("not known: {items}", items=t(", ").join(shown)))
        rest = len(items) - len(yes) - len(unknown)
        if rest and (yes or unknown):
            parts.append(t("the other {n}: no", n=rest))
        elif rest:
            parts.append(t("none of these"))
        self.say("→ " + t("; ").join(parts), indent="  ", hanging="    ")

    def count_text(self, name: str) -> str:
        value = self.answers.get(name)
        if self.policy.inputs[name].type == "count" and isinstance(value, int):
            return f" ×{value}"
        return ""

    def ask_counts(self, step: asking.Counts, progress: str) -> None:
        self.write("\n")
        self.say(progress + " · " + t("How many of each?"), hanging="  ")
        for number, name in enumerate(step.fields, start=1):
            item = self.policy.inputs[name]
            self.write("\n".join(self.item_lines(number, name, pick(item.label) + self.unit(item))))
            self.write("\n")
        self.say(t("Type the numbers in order, separated by commas, e.g. 2,1; ? for one not "
                   "known; q = save and quit"), indent="  ")  # fmt: skip
        while True:
            text = self.read()
            try:
                numbers = asking.parse_counts(text, len(step.fields))
            except asking.BadTicks as exc:
                self.say(f"✗ {t(BAD_TICKS[exc.key], token=exc.token)}", indent="  ")
                continue
            break
        shown = []
        for name, count in zip(step.fields, numbers, strict=True):
            self.ticked = self.ticked - {name}
            if count is None:
                self.unknown = self.unknown | {name}
                shown.append(self.check(name) + " " + t("not known"))
            else:
                self.answers[name] = count
                shown.append(f"{self.check(name)} ×{count}")
        self.say("→ " + t(", ").join(shown), indent="  ", hanging="    ")

    # -- text on the terminal ------------------------------------------------------------------

    def screen(self) -> asking.Screen:
        """The room for a checklist page: the terminal's rows less the prompt's own lines."""
        columns, rows = self.size()
        how = wrap(_checklist_how(), columns, "  ")
        body = rows - len(how) - 3  # a blank line, the progress line, the `> ` line
        return asking.Screen(
            body,
            item_lines=lambda name: len(self.item_lines(99, name)),
            heading_lines=lambda section: len(wrap(self.heading(section), columns)),
        )

    def item_lines(self, number: int, name: str, text: str | None = None) -> list[str]:
        columns, _ = self.size()
        return wrap(text or self.check(name), columns, f"{number:>4}  ", " " * 6)

    def heading(self, section: str) -> str:
        return t("[{title}]", title=pick(self.policy.sections[section]))

    def check(self, name: str) -> str:
        item = self.policy.inputs[name]
        return pick(item.check or item.label)

    def unit(self, item: Input) -> str:
        return t(" ({unit})", unit=pick(item.unit)) if item.unit else ""

    def shown(self, item: Input, value: Any) -> str:
        """A value as understood, in words: an amount in 元 (or 万元), yes/no, a choice's name."""
        if item.type == "money":
            from subsidycli.money import format_for_people

            shown = format_for_people(value)
            # Chinese money carries its unit (元 or 万元); English names the policy's
            return t("{amount} {unit}", amount=shown, unit=pick(item.unit)) if item.unit else shown
        if item.type == "bool":
            return t("yes") if value else t("no")
        if item.type == "choice":
            return next((pick(c) for c in item.choices if c["value"] == value), str(value))
        if item.type in ("count", "quantity") and item.unit:
            return f"{value} {pick(item.unit)}"
        if item.type == "rate":
            from subsidycli.money import format_rate

            return format_rate(value)
        return str(value)

    def say(self, text: str, indent: str = "", hanging: str | None = None) -> None:
        columns, _ = self.size()
        self.write("\n".join(wrap(text, columns, indent, hanging)) + "\n")

    def write(self, text: str) -> None:
        self._write(text)

    def read(self) -> str:
        """One answer, stripped; end of input and `q` end the interview."""
        self.write("> ")
        line = self._read()
        if line == "":
            raise InterviewEnded
        text = line.strip()
        if text.lower() in QUIT_WORDS:
            raise InterviewQuit(self.answers)
        return text


def _checklist_how() -> str:
    return t("Numbers that apply, e.g. 1,3,5 or 2-4 (3x2 = item 3, two of them); Enter = none "
             "of these; ? = the rest not known, ?4 = item 4 not known; q = save and quit")


def _bare(text: str) -> bool:
    """Whether an amount was typed as a bare number, without 万, 亿, 元 or ¥."""
    folded = normalize_text(text)
    return not any(mark in folded for mark in ("万", "亿", "千", "元", "¥", "￥"))


def parse_answer(item: Input, text: str) -> Any:
    """Parse one typed answer; a choice may be given by its number in the list shown, or by any
    word a profile may use for it (value, label, alias)."""
    if item.type == "choice":
        number = normalize_text(text)
        if number.isdigit() and 1 <= int(number) <= len(item.choices):
            return item.choices[int(number) - 1]["value"]
    if item.type in ("money", "count", "quantity") and normalize_text(text).lower() in NO_WORDS:
        return item.parse(0)  # "无", "没有", "no": none of it
    return item.parse(text)


def terminal_size(stream: TextIO) -> tuple[int, int]:
    """(columns, rows) of the terminal `stream` writes to; COLUMNS and LINES override it."""
    import shutil

    try:
        size = os.get_terminal_size(stream.fileno())
        columns, rows = size.columns, size.lines
    except (AttributeError, OSError, ValueError):
        columns, rows = shutil.get_terminal_size()
    columns = _env_int("COLUMNS") or columns or 80
    rows = _env_int("LINES") or rows or 24
    return max(columns, 20), max(rows, 8)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def run_interview(
    policy: Policy,
    profile: Mapping[str, Any],
    *,
    save: str | None,
    show: Callable[[engine.Evaluation], None],
    one_by_one: bool = False,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the interview on the terminal, show the result, save the profile; return exit status.

    Questions go to stderr so that stdout holds only the result. Ctrl-C returns 130 and end of
    input 1, with nothing written; `q` saves the answers so far (to `save`, or where the person
    says) and returns 0.
    """
    source = stdin or sys.stdin
    if isinstance(source, io.TextIOWrapper):  # a non-UTF-8 byte is a bad answer, not a crash
        source.reconfigure(errors="surrogateescape")
    out = stderr or sys.stderr

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    def size() -> tuple[int, int]:
        return terminal_size(out)

    try:
        try:
            answers = interview(
                policy, profile, source.readline, write, one_by_one=one_by_one, size=size
            )
        except InterviewQuit as stop:
            return _save_partial(policy, stop.answers, save, source.readline, write)
    except KeyboardInterrupt:
        write("\n" + t("Interrupted; nothing was saved.") + "\n")
        return 130
    except InterviewEnded:
        write("\n" + t("End of input before the interview was complete; nothing was saved.")
              + "\n")  # fmt: skip
        return 1
    write("\n")
    evaluation = engine.evaluate(policy, answers)
    if save:
        _save(policy, answers, save, write)
    show(evaluation)
    return 0


def _save(
    policy: Policy, answers: Mapping[str, Any], path: str, write: Callable[[str], None]
) -> None:
    from subsidycli.files import write_atomic
    from subsidycli.profile import dump_profile

    write_atomic(path, dump_profile(answers, policy, path))
    write(t("Profile saved to {path}", path=path) + "\n")


def _save_partial(
    policy: Policy, answers: Mapping[str, Any], save: str | None, read: Callable[[], str],
    write: Callable[[str], None],
) -> int:  # fmt: skip
    """After `q`: keep the answers so far, in `save` or in a file the person names."""
    path = save
    while path is None:
        write("\n" + t("{n} answers so far. Save them to which file? (.json or .toml; Enter = "
                        "do not save)", n=len(answers)) + "\n> ")  # fmt: skip
        line = read()
        if line == "":
            raise InterviewEnded
        text = line.strip()
        if not text:
            write(t("Not saved; quit.") + "\n")
            return 0
        try:
            check_save_path(text)
        except SubsidyError as exc:
            write("\n".join(f"  ✗ {problem}" for problem in exc.lines()) + "\n")
            continue
        if os.path.exists(text):
            write(t("{path} exists; replace it? (y/n)", path=text) + "\n> ")
            reply = read()
            if reply == "":
                raise InterviewEnded
            from subsidycli.money import parse_bool

            try:
                if not parse_bool(reply.strip()):
                    continue
            except MoneyError:
                continue
        path = text
    write("\n")
    _save(policy, answers, path, write)
    write(t("To go on later: subsidy interview {path} --save {path}", path=path) + "\n")
    return 0


def check_save_path(path: str) -> None:
    """Refuse a profile path that cannot be written: wrong suffix, or no such folder."""
    from pathlib import Path

    from subsidycli.profile import profile_suffix

    profile_suffix(path)
    folder = Path(path).parent
    if not folder.is_dir():
        from subsidycli.i18n import t

        raise SubsidyError(
            t("folder {folder} does not exist", folder=repr(str(folder))), where=path
        )
