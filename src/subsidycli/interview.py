"""The interview: ask only the questions whose answers can still change a result.

After every answer the engine re-evaluates the profile; the next question is the first field of
its `missing` list (the policy declares inputs in asking order, grouped by section), so a
university is never asked about enterprise-only articles and an R&D expense below the threshold
ends the questions about the deductible amount. Every label, unit and help line comes from the
policy file.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from subsidycli import engine
from subsidycli.errors import MoneyError
from subsidycli.i18n import word
from subsidycli.policy import Input, Policy


class InterviewEnded(Exception):
    """The person ended the interview (end of input) before it was complete."""


def ask_order(policy: Policy, profile: Mapping[str, Any], skipped: set[str]) -> list[str]:
    """The fields still worth asking, in order: the applicant type first unless it is known."""
    fields = [f for f in engine.evaluate(policy, profile).missing if f not in skipped]
    applicant = "applicant_type"
    if applicant in policy.inputs and applicant not in profile and applicant not in skipped:
        fields.insert(0, applicant)
    return fields


def interview(
    policy: Policy,
    profile: Mapping[str, Any],
    lang: str,
    read: Callable[[], str],
    write: Callable[[str], None],
) -> dict[str, Any]:
    """Ask until nothing that matters is unknown; return the completed profile.

    `read` returns one line (empty string at end of input); `write` shows text. An empty answer
    skips a question (the field stays unknown). Raises InterviewEnded at end of input.
    """
    answers = dict(profile)
    skipped: set[str] = set()
    asked = 0
    section = None
    write(word(lang, "iv.intro") + "\n")
    while True:
        order = ask_order(policy, answers, skipped)
        if not order:
            return answers
        item = policy.inputs[order[0]]
        if item.section and item.section != section:
            section = item.section
            write(f"\n【{policy.sections[section][lang]}】")
        write("\n")
        asked += 1
        write(_question(item, lang, asked, asked + len(order) - 1))
        while True:
            write("> ")
            line = read()
            if line == "":
                raise InterviewEnded
            text = line.strip()
            if not text:
                skipped.add(item.name)
                break
            try:
                answers[item.name] = parse_answer(item, text, lang)
                break
            except MoneyError:
                write(f"  ✗ {text!r}: {word(lang, 'iv.bad.' + item.type)}\n")


def _question(item: Input, lang: str, number: int, total: int) -> str:
    unit = (
        f"（{item.unit[lang]}）"
        if item.unit and lang == "zh"
        else (f" ({item.unit[lang]})" if item.unit else "")
    )
    lines = [f"({number}/{total}) {item.label[lang]}{unit}"]
    if item.help:
        lines.append(f"  {item.help[lang]}")
    if item.type == "choice":
        choices = "  ".join(f"{i}) {c[lang]}" for i, c in enumerate(item.choices, start=1))
        lines.append(f"  {choices}")
    lines.append(f"  {word(lang, 'iv.how.' + item.type)}")
    return "\n".join(lines) + "\n"


def parse_answer(item: Input, text: str, lang: str) -> Any:
    """Parse one typed answer; a choice may be given by its number in the list shown, or by any
    word a profile may use for it (value, label, alias)."""
    if item.type == "choice":
        from subsidycli.money import normalize_text

        number = normalize_text(text)
        if number.isdigit() and 1 <= int(number) <= len(item.choices):
            return item.choices[int(number) - 1]["value"]
    return item.parse(text)


def run_interview(
    policy: Policy,
    profile: Mapping[str, Any],
    lang: str,
    *,
    save: str | None,
    show: Callable[[engine.Evaluation], None],
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the interview on the terminal, show the result, save the profile; return exit status.

    Questions go to stderr so that stdout holds only the result. Ctrl-C returns 130 and end of
    input 1, with nothing written.
    """
    source = stdin or sys.stdin
    if isinstance(source, io.TextIOWrapper):  # a non-UTF-8 byte is a bad answer, not a crash
        source.reconfigure(errors="surrogateescape")
    out = stderr or sys.stderr

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    try:
        answers = interview(policy, profile, lang, source.readline, write)
    except KeyboardInterrupt:
        write("\n" + word(lang, "iv.interrupted") + "\n")
        return 130
    except InterviewEnded:
        write("\n" + word(lang, "iv.eof") + "\n")
        return 1
    write("\n")
    evaluation = engine.evaluate(policy, answers, lang)
    if save:
        from subsidycli.files import write_atomic
        from subsidycli.profile import dump_profile

        write_atomic(save, dump_profile(answers, policy, save))
        write(word(lang, "iv.saved", path=save) + "\n")
    show(evaluation)
    return 0
