"""The interview asks the organisation's name, once, last, skippable with Enter, and keeps it:
the saved profile holds it and the report is headed by it, not by 「（未填写单位名称）」. The
name is not a step: the money questions are as many as before (issue 24, point 5)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pexpect
import pytest

from subsidycli.i18n import set_lang
from subsidycli.interview import interview
from subsidycli.text import cell_width
from tests.conftest import cli_command, cli_env
from tests.htmltree import parse
from tests.test_interview import EXAMPLE, NAME_PROMPT, POLICY, TYPICAL, Person, spawn

NAME = "镇江示例智能装备有限公司"
NOT_NAMED = ("（未填写单位名称）", "(organisation not named)")


def heading(report: Path) -> str:
    """The organisation the report is about, as its first page shows it."""
    page, _ = parse(report.read_text(encoding="utf-8"))
    return next(e for e in page.iter("p", "org")).text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_calc_on_a_terminal_asks_the_name_last_and_the_report_is_headed_by_it(
    tmp_path: Path, lang: str
) -> None:
    report = tmp_path / "report.html"
    child = spawn(["calc", "-o", str(report)], lang=lang, size=(24, 80))
    person = Person(child, {**TYPICAL, "name": NAME}, lang)
    person.run()
    child.close()
    assert child.exitstatus == 0, person.transcript[-2000:]
    assert person.named == 1
    # Last, after every step, and not one of them: the steps count as before.
    assert person.transcript.rindex("Step " if lang == "en" else "步 · ") < person.transcript.index(
        "Name of the organisation" if lang == "en" else "单位名称（用作报告抬头"
    )
    assert len(person.prompts) <= 8 and person.steps[-1][1] == len(person.prompts)
    assert max(cell_width(line) for line in person.transcript.splitlines()) <= 80
    assert f"→ {NAME}" in person.transcript  # repeated as understood
    assert heading(report) == NAME
    assert not any(words in report.read_text(encoding="utf-8") for words in NOT_NAMED)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_saved_profile_keeps_the_name(tmp_path: Path, lang: str) -> None:
    save = tmp_path / "acme.json"
    child = spawn(["interview", "--save", str(save)], lang=lang, size=(24, 80))
    person = Person(child, {**TYPICAL, "name": NAME}, lang)
    person.run()
    child.close()
    assert child.exitstatus == 0, person.transcript[-2000:]
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved["name"] == NAME


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_enter_skips_the_name(tmp_path: Path, lang: str) -> None:
    save = tmp_path / "acme.json"
    report = tmp_path / "r.html"
    child = spawn(["interview", "--save", str(save)], lang=lang, size=(24, 80))
    person = Person(child, TYPICAL, lang)  # knows no name: Enter
    person.run()
    child.close()
    assert child.exitstatus == 0 and person.named == 1
    assert "→ 已跳过" in person.transcript or "→ skipped" in person.transcript
    assert "name" not in json.loads(save.read_text(encoding="utf-8"))
    subprocess.run(cli_command("calc", str(save), "-o", str(report), "--lang", lang),
                   env=cli_env(), check=True, capture_output=True)  # fmt: skip
    assert heading(report) in NOT_NAMED  # said, not left blank


def test_a_name_already_known_is_not_asked(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({**TYPICAL, "name": NAME}, ensure_ascii=False), encoding="utf-8")
    child = spawn(["interview", str(draft), "--save", str(tmp_path / "out.json")], lang="zh",
                  size=(24, 80))  # fmt: skip
    person = Person(child, TYPICAL, "zh")
    person.run()
    child.close()
    assert child.exitstatus == 0
    assert person.named == 0


def test_a_name_that_cannot_be_shown_is_asked_again(tmp_path: Path) -> None:
    save = tmp_path / "acme.json"
    draft = tmp_path / "draft.json"
    complete = {k: v for k, v in EXAMPLE.items() if k != "name"}  # nothing left to ask but the name
    draft.write_text(json.dumps(complete, ensure_ascii=False), encoding="utf-8")
    child = spawn(["interview", str(draft), "--save", str(save)], lang="en", size=(24, 80))
    child.expect(NAME_PROMPT)
    child.expect("> ")
    child.sendline("ACME\u202eevil")  # shows reversed: refused
    child.expect("invisible direction")
    child.expect("> ")
    child.sendline("ACME Ltd")
    child.expect("→ ACME Ltd")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(save.read_text(encoding="utf-8"))["name"] == "ACME Ltd"


def test_the_name_is_asked_once_after_the_questions_in_process() -> None:
    """In-process, one question a prompt: the questions, then the name, then nothing more."""
    set_lang("en")
    written: list[str] = []
    answers = iter(["1", "800万", *["0"] * 60])
    asked: list[str] = []

    def read() -> str:
        text = "".join(written)
        written.clear()
        asked.append(text)
        if "to head the report" in text:
            return "ACME\n"
        return next(answers) + "\n"

    profile = interview(POLICY, {}, read, written.append, one_by_one=True)
    assert profile["name"] == "ACME"
    named = [i for i, text in enumerate(asked) if "to head the report" in text]
    assert named == [len(asked) - 1]
