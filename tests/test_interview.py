"""The interview, driven through a pseudo-terminal as a person would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pexpect
import pytest

from tests.conftest import ROOT, cli_command, cli_env

EXAMPLE = json.loads((ROOT / "examples" / "enterprise.json").read_text(encoding="utf-8"))
QUESTION = re.compile(r"\((\d+)/(\d+)\) ([^\r\n]+)")


def spawn(args: list[str], lang: str = "en", cwd: Path | None = None) -> pexpect.spawn:
    env = {
        "LANG": "zh_CN.UTF-8" if lang == "zh" else "C.UTF-8",
        "PATH": "/usr/bin:/bin",
        "SUBSIDYCLI_CACHE_DIR": "",
        "COLUMNS": "120",
    }
    command = cli_command(*args)
    return pexpect.spawn(
        command[0],
        command[1:],
        env=cli_env(env),
        encoding="utf-8",
        timeout=300,  # per answer; only a guard against a hang: the machine may be loaded
        cwd=str(cwd) if cwd else None,
        dimensions=(50, 120),
    )


def answer_all(child: pexpect.spawn, answer: dict[str, str] | None = None) -> list[str]:
    """Answer every question (no/0 unless `answer` maps a label fragment to a reply)."""
    asked = []
    while True:
        index = child.expect([QUESTION, pexpect.EOF])
        if index == 1:
            return asked
        label = child.match.group(3).strip()
        asked.append(label)
        child.expect("> ")
        text = child.before
        reply = next((v for k, v in (answer or {}).items() if k in label), None)
        if reply is None:
            reply = "n" if ("yes / no" in text or "是 / 否" in text) else "0"
        child.sendline(reply)


def test_university_is_never_asked_enterprise_questions() -> None:
    child = spawn(["interview", "--lang", "en"])
    asked = answer_all(child, {"Type of applicant": "2"})
    child.close()
    assert child.exitstatus == 0
    assert asked[0] == "Type of applicant"
    joined = "\n".join(asked)
    for enterprise_only in (
        "gazelle",
        "unicorn",
        "Annual R&D expense",
        "innovation voucher",
        "JITRI",
    ):
        assert enterprise_only not in joined
    assert any("basic science centre" in q.lower() for q in asked)


def test_one_missing_field_gets_exactly_one_question(tmp_path: Path) -> None:
    partial = dict(EXAMPLE)
    del partial["gazelle_first"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial, ensure_ascii=False), encoding="utf-8")
    child = spawn(["interview", str(path), "--format", "json"])
    asked = answer_all(child, {"gazelle": "y"})
    child.close()
    assert child.exitstatus == 0
    assert len(asked) == 1 and "gazelle" in asked[0]


def test_threshold_below_ends_deductible_question() -> None:
    child = spawn(["interview", "--lang", "en"])
    asked = answer_all(child, {"Type of applicant": "1", "Annual R&D expense": "800万"})
    child.close()
    assert any("Annual R&D expense" in q for q in asked)
    assert not any("super deduction" in q for q in asked)


def test_bad_money_is_asked_again_and_full_width_digits_work(tmp_path: Path) -> None:
    save = tmp_path / "answers.json"
    child = spawn(["interview", "--lang", "en", "--save", str(save)])
    child.expect("Type of applicant")
    child.expect("> ")
    child.sendline("1")
    while True:
        child.expect(QUESTION)
        label = child.match.group(3)
        child.expect("> ")
        if "Annual R&D expense" in label:
            break
        child.sendline("n" if "yes / no" in child.before else "0")
    child.sendline("a lot")
    child.expect("not an amount")
    child.expect("> ")
    child.sendline("１２００万")  # full-width digits from a Chinese input method
    answer_all(child, {"super deduction": "1,000万元"})
    child.close()
    assert child.exitstatus == 0
    saved = json.loads(save.read_text(encoding="utf-8"))
    assert saved["annual_rd_expense"] == "12000000"
    assert saved["deductible_rd_expense"] == "10000000"


def test_saved_profile_feeds_back_into_calc(tmp_path: Path) -> None:
    save = tmp_path / "acme.toml"
    child = spawn(["interview", "--save", str(save), "--format", "json"])
    answer_all(
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
    import subprocess

    calc = subprocess.run(
        cli_command("calc", str(save), "-f", "json"),
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(calc.stdout)
    assert data["total"] == "4275000.00"  # 75,000 R&D + 200,000 gazelle + 2 × 2,000,000 consortium
    assert data["missing"] == []
    assert '"total": "4275000.00"' in output


def test_ctrl_c_leaves_no_file(tmp_path: Path) -> None:
    save = tmp_path / "never.json"
    child = spawn(["interview", "--save", str(save)])
    child.expect("> ")
    child.sendline("1")
    child.expect("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 or child.signalstatus is not None
    assert child.exitstatus == 130
    assert "Traceback" not in child.before
    assert not save.exists()
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


def test_zh_locale_speaks_chinese() -> None:
    child = spawn(["interview"], lang="zh")
    child.expect("申报主体类型")
    child.expect("> ")
    child.sendline("高等院校")
    child.expect("成功揭榜合作的项目数（项）")
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
    assert "(1/" not in child.before
