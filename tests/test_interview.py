"""The interview, driven through a pseudo-terminal as a person would: prompts are counted, the
saved profile is checked against what was shown, and the result against `calc`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pexpect
import pytest

from subsidycli.policy import bundled_paths, load_policy
from subsidycli.text import cell_width
from tests.conftest import ROOT, cli_command, cli_env

POLICY = load_policy(bundled_paths()[0])
EXAMPLE = json.loads((ROOT / "examples" / "enterprise.json").read_text(encoding="utf-8"))
HEADER = re.compile(r"(?:第 (\d+) 步，共约 (\d+) 步|Step (\d+) of about (\d+)) · ")
ITEM = re.compile(r"^ {1,3}(\d+)  (.*)$")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The last prompt, not a step: the organisation's name, for the report's heading.
NAME_PROMPT = r"(?:Name of the organisation, to head the report|单位名称（用作报告抬头)"

# The done-when profile of issue 16: R&D expense above the threshold, a cooperation expense,
# high-tech recognition, one platform.
TYPICAL = {
    "applicant_type": "enterprise",
    "annual_rd_expense": "2000万",
    "deductible_rd_expense": "1500万",
    "university_cooperation_expense": "50万",
    "high_tech_recognized": True,
    "provincial_platforms": 1,
}


def spawn(
    args: list[str], lang: str = "en", cwd: Path | None = None, size: tuple[int, int] = (50, 120)
) -> pexpect.spawn:
    rows, columns = size
    env = {
        "LANG": "zh_CN.UTF-8" if lang == "zh" else "C.UTF-8",
        "PATH": "/usr/bin:/bin",
        "SUBSIDYCLI_CACHE_DIR": "",
    }
    command = cli_command(*args)
    return pexpect.spawn(
        command[0],
        command[1:],
        env=cli_env(env),
        # Ctrl-C is the test's to send: a run started in the background (SIGINT ignored) too.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        encoding="utf-8",
        timeout=300,  # per answer; only a guard against a hang: the machine may be loaded
        cwd=str(cwd) if cwd else None,
        dimensions=(rows, columns),
    )


def _names(lang: str) -> dict[str, str]:
    """Field by the words the interview shows for it (its label, or its checklist wording)."""
    names = {}
    for item in POLICY.inputs.values():
        names[item.label[lang]] = item.name
        if item.check:
            names[item.check[lang]] = item.name
    return names


class Person:
    """Answers an interview from a profile it knows, as a person would, and keeps a transcript.

    A field the profile does not hold is "no" in a checklist and "?" (not known) elsewhere.
    """

    def __init__(self, child: pexpect.spawn, truth: Mapping[str, Any], lang: str) -> None:
        self.child, self.truth, self.lang = child, truth, lang
        self.names = _names(lang)
        self.prompts: list[str] = []
        self.steps: list[tuple[int, int]] = []
        self.shown: list[str] = []  # fields shown, in order
        self.named = 0  # times the name was asked (once, last, not a step)
        self.transcript = ""

    def run(self) -> str:
        """Answer until the end; returns what came after the last prompt."""
        while True:
            index = self.child.expect([r"> ", pexpect.EOF])
            text = ANSI.sub("", self.child.before.replace("\r\n", "\n"))
            self.transcript += text + ("> " if index == 0 else "")
            if index == 1:
                return text
            if re.search(NAME_PROMPT, text) and not HEADER.search(text):
                self.named += 1
                self.child.sendline(str(self.truth.get("name", "")))
                continue
            self.prompts.append(text)
            self.child.sendline(self.answer(text))

    def answer(self, text: str) -> str:
        header = list(HEADER.finditer(text))
        if not header:
            return ""  # a confirmation: keep what was typed
        match = header[-1]
        numbers = [int(g) for g in match.groups() if g]
        self.steps.append((numbers[0], numbers[1]))
        body = text[match.end() :]
        title = body.splitlines()[0]
        items = self.items(body)
        if items:
            self.shown += items
            if title.startswith(("以下各项各有多少", "How many of each")):
                return ",".join(str(self.truth.get(f, "?")) for f in items)
            ticked = [str(n) for n, f in enumerate(items, start=1) if self.truth.get(f)]
            return ",".join(ticked)
        joined = ("" if self.lang == "zh" else " ").join(line.strip() for line in body.splitlines())
        field = self.names[max((k for k in self.names if joined.startswith(k)), key=len)]
        self.shown.append(field)
        value = self.truth.get(field)
        if value is None:
            return "?"
        if isinstance(value, bool):
            return "y" if value else "n"
        if field == "applicant_type":
            return next(c[self.lang] for c in POLICY.inputs[field].choices if c["value"] == value)
        return str(value)

    def items(self, body: str) -> list[str]:
        """The fields of a checklist's numbered items (wrapped lines joined again)."""
        labels: list[str] = []
        joiner = "" if self.lang == "zh" else " "
        for line in body.splitlines()[1:]:
            match = ITEM.match(line)
            if match:
                labels.append(match.group(2).strip())
            elif labels and line.startswith(" " * 6) and not line.startswith(" " * 7):
                labels[-1] += joiner + line.strip()
            elif line.startswith("  ") and not line.startswith("   "):
                break  # the line saying how to answer
        fields = []
        for label in labels:
            plain = re.sub(r"（[^）]*）$| \([^)]*\)$", "", label)
            fields.append(self.names.get(label) or self.names[plain])
        return fields


def skip_name(child: pexpect.spawn) -> None:
    """Enter at the last prompt, the organisation's name."""
    child.expect(NAME_PROMPT)
    child.expect("> ")
    child.sendline("")


def result_json(after: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(after[after.index("\n{") :])
    return data


def calc(path: Path, lang: str = "en") -> dict[str, Any]:
    done = subprocess.run(
        cli_command("calc", str(path), "-f", "json", "--lang", lang),
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def calc_assuming_no(truth: Mapping[str, Any]) -> dict[str, Any]:
    """`calc --assume-no` on a profile: what a person who answers "no" to the rest gets."""
    done = subprocess.run(
        cli_command("calc", "-", "-f", "json", "--assume-no"),
        env=cli_env(),
        input=json.dumps(truth),
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def without_date(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "receipt"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(24, 80), (50, 120)])
def test_typical_enterprise_reaches_the_calc_result_in_at_most_8_prompts(
    tmp_path: Path, lang: str, size: tuple[int, int]
) -> None:
    save = tmp_path / "acme.json"
    child = spawn(["interview", "--save", str(save), "-f", "json"], lang=lang, size=size)
    person = Person(child, TYPICAL, lang)
    after = person.run()
    child.close()
    assert child.exitstatus == 0, person.transcript[-2000:]
    assert len(person.prompts) <= 8, person.transcript
    # Progress is honest: steps count up by one, the estimate is never below the step reached,
    # and the last prompt says it is the last.
    assert [n for n, _ in person.steps] == list(range(1, len(person.prompts) + 1))
    assert all(total >= n for n, total in person.steps)
    assert person.steps[-1][1] == len(person.prompts)
    saved = json.loads(save.read_text(encoding="utf-8"))
    # Exactly the fields answered: each shown field, nothing else.
    assert set(saved) == set(person.shown)
    assert without_date(result_json(after)) == without_date(calc(save, lang))
    assert calc(save)["total"] == calc_assuming_no(TYPICAL)["total"] == "3375000.00"
    assert calc(save)["missing"] == []
    # Every line fits the terminal: nothing is cut or wrapped by the terminal itself.
    columns = size[1]
    before_result = person.transcript[: person.transcript.rindex("> ")]
    assert max(cell_width(line) for line in before_result.splitlines()) <= columns


def test_the_example_enterprise_gets_calcs_result(tmp_path: Path) -> None:
    """A profile with a commissioned research expense: its amount, then the tax rate's question."""
    save = tmp_path / "example.toml"
    truth = {k: v for k, v in EXAMPLE.items() if k != "name"}
    child = spawn(["interview", "--save", str(save), "-f", "json"], lang="zh")
    person = Person(child, truth, "zh")
    after = person.run()
    child.close()
    assert child.exitstatus == 0, person.transcript[-2000:]
    expected = calc(ROOT / "examples" / "enterprise.json", "zh")
    got = result_json(after)
    assert (got["total"], got["results"]) == (expected["total"], expected["results"])
    assert without_date(got) == without_date(calc(save, "zh"))
    assert "持有有效高新技术企业证书" in person.transcript  # asked once the expense was known


def enterprise_only() -> set[str]:
    """Fields that decide only articles an enterprise alone may claim."""
    fields: dict[str, set[str]] = {}
    for article in POLICY.articles:
        who = {"any"} if article.who is None else set(article.who)
        for name in article.inputs:
            fields.setdefault(name, set()).update(who)
    return {n for n, who in fields.items() if who == {"enterprise"}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_university_sees_no_enterprise_item_and_finishes_in_5_prompts(
    tmp_path: Path, lang: str
) -> None:
    save = tmp_path / "uni.json"
    truth = {"applicant_type": "university", "basic_science_center_approved": True}
    truth |= {"national_platforms": 2, "key_lab_cultivation": True}
    child = spawn(["interview", "--save", str(save), "-f", "json"], lang=lang, size=(24, 80))
    person = Person(child, truth, lang)
    after = person.run()
    child.close()
    assert child.exitstatus == 0
    assert len(person.prompts) <= 5, person.transcript
    hidden = enterprise_only()
    assert {"annual_rd_expense", "gazelle_first", "university_cooperation_expense"} <= hidden
    assert not hidden & set(person.shown)
    for name in hidden:
        item = POLICY.inputs[name]
        for words in (item.label, item.check):
            if words:
                assert words[lang] not in "\n".join(person.prompts)
    assert result_json(after)["total"] == calc(save)["total"] == calc_assuming_no(truth)["total"]


def test_a_question_mark_leaves_the_items_unknown(tmp_path: Path) -> None:
    save = tmp_path / "uni.json"
    child = spawn(["interview", "--save", str(save), "-f", "json"], size=(50, 120))
    child.expect("> ")
    child.sendline("2")  # university
    child.expect("Which of these apply")
    child.expect("> ")
    listing = child.before
    child.sendline("?")
    skip_name(child)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved == {"applicant_type": "university"}
    data = calc(save)
    assert "jiebang_projects" in data["missing"] and "science_award" in data["missing"]
    assert "Provincial basic science centre approved" in listing


def test_one_item_left_unknown_and_one_ticked_with_its_number(tmp_path: Path) -> None:
    save = tmp_path / "uni.json"
    child = spawn(["interview", "--save", str(save), "-f", "json"], size=(50, 120))
    child.expect("> ")
    child.sendline("2")
    child.expect("> ")
    labels = [ITEM.match(line) for line in child.before.replace("\r\n", "\n").splitlines()]
    numbers = {m.group(2).strip(): int(m.group(1)) for m in labels if m}
    jiebang = numbers[POLICY.inputs["jiebang_projects"].check["en"]]  # type: ignore[index]
    award = numbers[POLICY.inputs["science_award"].label["en"]]
    child.sendline(f"{jiebang}x3 ?{award}")
    skip_name(child)
    child.expect(pexpect.EOF)
    child.close()
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved["jiebang_projects"] == 3
    assert "science_award" not in saved
    assert saved["tech_contract_registered"] is False  # not ticked: no
    assert calc(save)["missing"] == ["science_award"]


def test_a_bad_checklist_answer_is_asked_again() -> None:
    child = spawn(["interview"], size=(50, 120))
    child.expect("> ")
    child.sendline("2")
    child.expect("> ")
    child.sendline("1,99")
    child.expect("no such item")
    child.expect("> ")
    child.sendline("a lot")
    child.expect("cannot read")
    child.sendintr()
    child.expect(pexpect.EOF)


def _to_amount(child: pexpect.spawn, label: str) -> None:
    child.expect("> ")
    child.sendline("1")  # enterprise
    child.expect(re.escape(label))
    child.expect("> ")


def test_a_bare_small_amount_is_confirmed_and_wan_fixes_it(tmp_path: Path) -> None:
    save = tmp_path / "a.json"
    child = spawn(["interview", "--save", str(save)], lang="zh")
    _to_amount(child, "年度研发费用（元）")
    child.sendline("1200")
    child.expect("→ 1,200.00 元")
    child.expect("年度研发费用只有 1,200.00 元？")
    child.expect("> ")
    child.sendline("万")
    child.expect("→ 1,200.00 万元")
    child.expect("可加计扣除研发费用额")
    child.expect("> ")
    child.sendline("1,000万元")
    child.expect("→ 1,000.00 万元")
    child.expect("> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved == {
        "applicant_type": "enterprise",
        "annual_rd_expense": "12000000",
        "deductible_rd_expense": "10000000",
    }


def test_a_deductible_above_the_rd_expense_is_questioned(tmp_path: Path) -> None:
    save = tmp_path / "a.json"
    child = spawn(["interview", "--save", str(save)])
    _to_amount(child, "Annual R&D expense (CNY)")
    child.sendline("1200万")
    child.expect(r"→ 12,000,000\.00 CNY")
    child.expect("> ")
    child.sendline("1500万")
    child.expect("is more than Annual R&D expense")
    child.expect("> ")
    child.sendline("1100万")
    child.expect(r"→ 11,000,000\.00 CNY")
    child.expect("> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved["deductible_rd_expense"] == "11000000"


def test_q_without_save_asks_where_and_keeps_the_answers(tmp_path: Path) -> None:
    child = spawn(["interview"], lang="zh", cwd=tmp_path)
    _to_amount(child, "年度研发费用（元）")
    child.sendline("2000万")
    child.expect("> ")
    child.sendline("退出")
    child.expect("保存到哪个文件")
    child.expect("> ")
    child.sendline("draft.yaml")
    child.expect("yaml")
    child.expect("> ")
    child.sendline("draft.toml")
    child.expect("subsidy interview draft.toml --save draft.toml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = (tmp_path / "draft.toml").read_text(encoding="utf-8")
    assert text == 'applicant_type = "enterprise"\nannual_rd_expense = "20000000"\n'
    # ... and the saved answers are where the next interview starts.
    again = spawn(["interview", "draft.toml"], lang="zh", cwd=tmp_path)
    again.expect("第 1 步，共约 \\d+ 步 · 可加计扣除研发费用额")
    again.sendintr()
    again.expect(pexpect.EOF)


def test_ctrl_c_leaves_no_file(tmp_path: Path) -> None:
    save = tmp_path / "never.json"
    child = spawn(["interview", "--save", str(save)])
    child.expect("> ")
    child.sendline("1")
    child.expect("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in child.before
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_asked_where_to_save_writes_nothing(tmp_path: Path) -> None:
    child = spawn(["interview"], cwd=tmp_path)
    child.expect("> ")
    child.sendline("q")
    child.expect("which file")
    child.expect("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []


def test_end_of_input_is_a_clean_exit(tmp_path: Path) -> None:
    save = tmp_path / "never.json"
    child = spawn(["interview", "--save", str(save)])
    child.expect("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "Traceback" not in child.before
    assert not save.exists()


# ---------------------------------------------------------------------------------------------
# --one-by-one: one question a prompt, as before


QUESTION = re.compile(r"(?:Step|第) (\d+)[^·\r\n]*· ([^\r\n]+)")


def answer_one_by_one(child: pexpect.spawn, answer: dict[str, str] | None = None) -> list[str]:
    """Answer every question (no/0 unless `answer` maps a label fragment to a reply)."""
    asked = []
    while True:
        index = child.expect([QUESTION, NAME_PROMPT, pexpect.EOF])
        if index == 2:
            return asked
        if index == 1:  # the name, last: skipped
            child.expect("> ")
            child.sendline("")
            continue
        label = child.match.group(2).strip()
        asked.append(label)
        child.expect("> ")
        text = child.before
        reply = next((v for k, v in (answer or {}).items() if k in label), None)
        if reply is None:
            reply = "n" if ("yes / no" in text or "是 / 否" in text) else "0"
        child.sendline(reply)


def test_one_by_one_university_is_never_asked_enterprise_questions() -> None:
    child = spawn(["interview", "--one-by-one", "--lang", "en"])
    asked = answer_one_by_one(child, {"Type of applicant": "2"})
    child.close()
    assert child.exitstatus == 0
    assert asked[0] == "Type of applicant"
    joined = "\n".join(asked)
    for name in enterprise_only():
        assert POLICY.inputs[name].label["en"] not in joined
    assert any("basic science centre" in q.lower() for q in asked)
    assert len(asked) == len(set(asked)) > 15  # one prompt a field: the old form, kept


def test_one_by_one_threshold_below_ends_deductible_question() -> None:
    child = spawn(["interview", "--one-by-one"])
    asked = answer_one_by_one(child, {"Type of applicant": "1", "Annual R&D expense": "800万"})
    child.close()
    assert any("Annual R&D expense" in q for q in asked)
    assert not any("super deduction" in q for q in asked)


def test_one_by_one_bad_money_is_asked_again_and_full_width_digits_work(tmp_path: Path) -> None:
    save = tmp_path / "answers.json"
    child = spawn(["interview", "--one-by-one", "--save", str(save)])
    child.expect("Type of applicant")
    child.expect("> ")
    child.sendline("1")
    while True:
        child.expect(QUESTION)
        label = child.match.group(2)
        child.expect("> ")
        if "Annual R&D expense" in label:
            break
        child.sendline("n" if "yes / no" in child.before else "0")
    child.sendline("a lot")
    child.expect("not an amount")
    child.expect("> ")
    child.sendline("１２００万")  # full-width digits from a Chinese input method
    answer_one_by_one(child, {"super deduction": "1,000万元"})
    child.close()
    assert child.exitstatus == 0
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved["annual_rd_expense"] == "12000000"
    assert saved["deductible_rd_expense"] == "10000000"


def test_one_by_one_saved_profile_feeds_back_into_calc(tmp_path: Path) -> None:
    save = tmp_path / "acme.toml"
    child = spawn(["interview", "--one-by-one", "--save", str(save), "--format", "json"])
    answer_one_by_one(
        child,
        {
            "Type of applicant": "1",
            "Annual R&D expense": "2000万",
            "super deduction": "1.5千万",
            "gazelle": "y",
            "Projects run by": "2",
        },
    )
    output = child.before
    child.close()
    assert child.exitstatus == 0
    data = calc(save)
    assert data["total"] == "4275000.00"  # 75,000 R&D + 200,000 gazelle + 2 × 2,000,000 consortium
    assert data["missing"] == []
    assert '"total": "4275000.00"' in output


def test_zh_locale_speaks_chinese() -> None:
    child = spawn(["interview"], lang="zh")
    child.expect("第 1 步，共约 \\d+ 步 · 申报主体类型")
    child.expect("> ")
    child.sendline("高等院校")
    child.expect("以下各项，哪些适用于本单位？")
    child.expect("成功揭榜合作的项目")
    child.sendintr()
    child.expect(pexpect.EOF)


def test_calc_without_profile_on_a_terminal_runs_the_interview() -> None:
    child = spawn(["calc"])
    child.expect("Type of applicant")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


@pytest.mark.parametrize("bad", ["x.yaml", "no/such/folder/x.json"])
def test_bad_save_path_is_refused_before_any_question(bad: str, tmp_path: Path) -> None:
    child = spawn(["interview", "--save", bad], cwd=tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "Step 1" not in child.before


def test_money_is_exact_in_the_saved_profile(tmp_path: Path) -> None:
    save = tmp_path / "a.json"
    child = spawn(["interview", "--save", str(save)])
    _to_amount(child, "Annual R&D expense (CNY)")
    child.sendline("12,345,678.91")
    child.expect("> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert Decimal(saved["annual_rd_expense"]) == Decimal("12345678.91")
