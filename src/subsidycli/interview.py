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
from subsidycli.i18n import NO_WORDS, word
from subsidycli.money import normalize_text
from subsidycli.policy import Input, Policy
from subsidycli.text import wrap

QUIT_WORDS = frozenset({"q", "quit", "exit", "退出"})
SKIP = object()  # an answer left unknown
WAN = Decimal(10_000)
_WAN_WORDS = frozenset({"万", "万元", "w", "wan"})


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
    lang: str,
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
    return _Interview(policy, profile, lang, read, write, size).run(one_by_one)


class _Interview:
    def __init__(
        self, policy: Policy, profile: Mapping[str, Any], lang: str, read: Callable[[], str],
        write: Callable[[str], None], size: Callable[[], tuple[int, int]],
    ) -> None:  # fmt: skip
        self.policy, self.lang, self._read, self._write, self.size = (
            policy, lang, read, write, size
        )  # fmt: skip
        self.answers: dict[str, Any] = dict(profile)
        self.ticked: frozenset[str] = frozenset()
        self.unknown: frozenset[str] = frozenset()
        self.done = 0

    # -- the loop ------------------------------------------------------------------------------

    def run(self, one_by_one: bool) -> dict[str, Any]:
        self.say(word(self.lang, "iv.intro"))
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
                return self.answers
            self.done += 1
            progress = word(self.lang, "iv.step", n=self.done, total=self.done - 1 + ahead)
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

    # -- one value -----------------------------------------------------------------------------

    def ask_value(self, item: Input, progress: str) -> Any:
        lang = self.lang
        self.write("\n")
        self.say(f"{progress} · {item.label[lang]}{self.unit(item)}", hanging="  ")
        if item.help:
            self.say(item.help[lang], indent="  ")
        if item.type == "choice":
            choices = "  ".join(f"{i}) {c[lang]}" for i, c in enumerate(item.choices, start=1))
            self.say(choices, indent="  ")
        self.say(f"{word(lang, 'iv.how.' + item.type)}；{word(lang, 'iv.skip')}"
                 if lang == "zh" else f"{word(lang, 'iv.how.' + item.type)}; "
                 f"{word(lang, 'iv.skip')}", indent="  ")  # fmt: skip
        while True:
            text = self.read()
            if not text or text in ("?", "？"):
                self.say("→ " + word(lang, "iv.unknown"), indent="  ")
                return SKIP
            try:
                value = parse_answer(item, text, lang)
            except MoneyError:
                self.say(f"✗ {text!r}: {word(lang, 'iv.bad.' + item.type)}", indent="  ")
                continue
            if item.type == "money":
                value = self.check_amount(item, text, value)
            else:
                self.say("→ " + self.shown(item, value), indent="  ")
            return value

    def check_amount(self, item: Input, text: str, value: Decimal) -> Decimal:
        """Repeat the amount as understood; confirm one that looks like a slip of the unit, and
        one larger than the amount it is a part of."""
        lang = self.lang
        while True:
            self.say("→ " + self.shown(item, value), indent="  ")
            if _bare(text) and 0 < value < WAN:
                self.say(
                    "⚠ " + word(lang, "iv.slip", label=item.label[lang],
                                value=self.shown(item, value), wan=self.shown(item, value * WAN)),
                    indent="  ", hanging="    ",
                )  # fmt: skip
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
            value: Decimal = parse_answer(item, text, self.lang)
            return value
        except MoneyError:
            self.say(f"✗ {text!r}: {word(self.lang, 'iv.bad.money')}", indent="  ")
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
                lang = self.lang
                return word(
                    lang, "iv.at_most", label=part.label[lang], value=self.shown(part, part_value),
                    other=whole.label[lang], limit=self.shown(whole, whole_value),
                )  # fmt: skip
        return None

    # -- checklists ----------------------------------------------------------------------------

    def ask_checklist(self, checklist: asking.Checklist, progress: str) -> None:
        lang, policy = self.lang, self.policy
        self.write("\n")
        self.say(f"{progress} · {word(lang, 'iv.checklist')}", hanging="  ")
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
        self.say(word(lang, "iv.checklist.how"), indent="  ")
        items = checklist.items
        while True:
            text = self.read()
            try:
                ticks = asking.parse_ticks(text, len(items))
                answers, ticked, unknown = asking.apply_ticks(policy, checklist, ticks)
            except asking.BadTicks as exc:
                message = word(lang, exc.key, token=exc.token, size=len(items))
                self.say(f"✗ {message}", indent="  ")
                continue
            break
        self.answers.update(answers)
        self.ticked = self.ticked | ticked
        self.unknown = self.unknown | unknown
        self.echo_ticks(items, [items[n - 1] for n in sorted(ticks.yes)], unknown)

    def echo_ticks(self, items: tuple[str, ...], yes: list[str], unknown: frozenset[str]) -> None:
        lang = self.lang
        sep = "；" if lang == "zh" else "; "
        parts = []
        if yes:
            shown = [self.check(n) + self.count_text(n) for n in yes]
            parts.append(word(lang, "iv.echo.yes", items=word(lang, "and").join(shown)))
        if unknown and len(unknown) == len(items):
            parts.append(word(lang, "iv.echo.all_unknown", n=len(items)))
        elif unknown:
            shown = [self.check(n) for n in items if n in unknown]
            parts.append(word(lang, "iv.echo.unknown", items=word(lang, "and").join(shown)))
        rest = len(items) - len(yes) - len(unknown)
        if rest and (yes or unknown):
            parts.append(word(lang, "iv.echo.no", n=rest))
        elif rest:
            parts.append(word(lang, "iv.echo.none"))
        self.say("→ " + sep.join(parts), indent="  ", hanging="    ")

    def count_text(self, name: str) -> str:
        value = self.answers.get(name)
        if self.policy.inputs[name].type == "count" and isinstance(value, int):
            return f" ×{value}"
        return ""

    def ask_counts(self, step: asking.Counts, progress: str) -> None:
        lang = self.lang
        self.write("\n")
        self.say(f"{progress} · {word(lang, 'iv.counts')}", hanging="  ")
        for number, name in enumerate(step.fields, start=1):
            item = self.policy.inputs[name]
            self.write("\n".join(self.item_lines(number, name, item.label[lang] + self.unit(item))))
            self.write("\n")
        self.say(word(lang, "iv.counts.how"), indent="  ")
        while True:
            text = self.read()
            try:
                numbers = asking.parse_counts(text, len(step.fields))
            except asking.BadTicks as exc:
                self.say(f"✗ {word(lang, exc.key, token=exc.token)}", indent="  ")
                continue
            break
        shown = []
        for name, count in zip(step.fields, numbers, strict=True):
            self.ticked = self.ticked - {name}
            if count is None:
                self.unknown = self.unknown | {name}
                shown.append(f"{self.check(name)} {word(lang, 'iv.unknown')}")
            else:
                self.answers[name] = count
                shown.append(f"{self.check(name)} ×{count}")
        self.say("→ " + word(lang, "and").join(shown), indent="  ", hanging="    ")

    # -- text on the terminal ------------------------------------------------------------------

    def screen(self) -> asking.Screen:
        """The room for a checklist page: the terminal's rows less the prompt's own lines."""
        columns, rows = self.size()
        how = wrap(word(self.lang, "iv.checklist.how"), columns, "  ")
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
        title = self.policy.sections[section][self.lang]
        return f"【{title}】" if self.lang == "zh" else f"[{title}]"

    def check(self, name: str) -> str:
        item = self.policy.inputs[name]
        return (item.check or item.label)[self.lang]

    def unit(self, item: Input) -> str:
        if not item.unit:
            return ""
        return f"（{item.unit['zh']}）" if self.lang == "zh" else f" ({item.unit['en']})"

    def shown(self, item: Input, value: Any) -> str:
        """A value as understood, in words: an amount in 元 (or 万元), yes/no, a choice's name."""
        lang = self.lang
        if item.type == "money":
            from subsidycli.money import format_for_people

            shown = format_for_people(value, lang)  # in Chinese it carries 元 or 万元
            return shown if lang == "zh" or not item.unit else f"{shown} {item.unit[lang]}"
        if item.type == "bool":
            return word(lang, "yes" if value else "no")
        if item.type == "choice":
            return next((c[lang] for c in item.choices if c["value"] == value), str(value))
        if item.type == "count" and item.unit:
            return f"{value} {item.unit[lang]}"
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


def _bare(text: str) -> bool:
    """Whether an amount was typed as a bare number, without 万, 亿, 元 or ¥."""
    folded = normalize_text(text)
    return not any(mark in folded for mark in ("万", "亿", "千", "元", "¥", "￥"))


def parse_answer(item: Input, text: str, lang: str) -> Any:
    """Parse one typed answer; a choice may be given by its number in the list shown, or by any
    word a profile may use for it (value, label, alias)."""
    if item.type == "choice":
        number = normalize_text(text)
        if number.isdigit() and 1 <= int(number) <= len(item.choices):
            return item.choices[int(number) - 1]["value"]
    if item.type in ("money", "count") and normalize_text(text).lower() in NO_WORDS:
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
    lang: str,
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
                policy, profile, lang, source.readline, write, one_by_one=one_by_one, size=size
            )
        except InterviewQuit as stop:
            return _save_partial(policy, stop.answers, lang, save, source.readline, write)
    except KeyboardInterrupt:
        write("\n" + word(lang, "iv.interrupted") + "\n")
        return 130
    except InterviewEnded:
        write("\n" + word(lang, "iv.eof") + "\n")
        return 1
    write("\n")
    evaluation = engine.evaluate(policy, answers, lang)
    if save:
        _save(policy, answers, save, lang, write)
    show(evaluation)
    return 0


def _save(
    policy: Policy, answers: Mapping[str, Any], path: str, lang: str, write: Callable[[str], None]
) -> None:
    from subsidycli.files import write_atomic
    from subsidycli.profile import dump_profile

    write_atomic(path, dump_profile(answers, policy, path))
    write(word(lang, "iv.saved", path=path) + "\n")


def _save_partial(
    policy: Policy, answers: Mapping[str, Any], lang: str, save: str | None,
    read: Callable[[], str], write: Callable[[str], None],
) -> int:  # fmt: skip
    """After `q`: keep the answers so far, in `save` or in a file the person names."""
    path = save
    while path is None:
        write("\n" + word(lang, "iv.quit.where", n=len(answers)) + "\n> ")
        line = read()
        if line == "":
            raise InterviewEnded
        text = line.strip()
        if not text:
            write(word(lang, "iv.quit.unsaved") + "\n")
            return 0
        try:
            check_save_path(text)
        except SubsidyError as exc:
            write("\n".join(f"  ✗ {problem}" for problem in exc.lines()) + "\n")
            continue
        if os.path.exists(text):
            write(word(lang, "iv.quit.exists", path=text) + "\n> ")
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
    _save(policy, answers, path, lang, write)
    write(word(lang, "iv.resume", path=path) + "\n")
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
