"""Every example in README.md runs as shown.

- A ```console block is a session: `$ COMMAND` lines, each followed by the output it prints
  (stdout and stderr, as a terminal shows them). The commands of a block run one after another in
  one shell, so `echo $?` reports the command before it. A line that is `…` alone stands for any
  number of lines (an abridged output). A block whose output has `> ANSWER` lines is an
  interactive session: it runs in a pseudo-terminal and the answers are typed at each `> `.
- A ```sh block is a list of commands, each of which must succeed (exit status 0).
- Dates and SHA-256 digests change from day to day and from policy edit to edit: they are
  compared as placeholders. Trailing spaces are ignored.

The commands run in a scratch folder holding a copy of `examples/`, with a `subsidy` on PATH that
runs the source under test (tests.conftest.cli_on_path), whatever else is installed.
The set-up commands (`pip install …`, `pytest`) are not run here: CI runs them.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from tests.conftest import ROOT, cli_on_path

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SETUP = re.compile(r"^(pip install|pytest)\b")
MARK = "@@readme-command-done@@"


@dataclass(frozen=True)
class Block:
    kind: str  # "console" or "sh"
    line: int  # where the block starts in README.md, for the test's id
    text: str


def blocks(path: Path = README) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) in ("console", "sh")
    ]


def session(text: str) -> list[tuple[str, list[str]]]:
    """A console block as (command, expected output lines) pairs."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before any command: {line!r}"
            steps[-1][1].append(line)
    return steps


def normalize(text: str) -> str:
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "YYYY-MM-DD", text)
    text = re.sub(r"sha256:[0-9a-f]{12,64}", "sha256:…", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "…", text)
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").splitlines())


def matches(expected: list[str], actual: str) -> bool:
    """Whether the output is as shown, a line `…` standing for any number of lines."""
    pattern = []
    for line in normalize("\n".join(expected)).splitlines():
        pattern.append(r"(?:[^\n]*\n)*?" if line.strip() == "…" else re.escape(line) + r"\n")
    text = normalize(actual).strip("\n") + "\n"
    return re.fullmatch("".join(pattern), text) is not None


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    (tmp_path / "bin").mkdir()
    return work


def environment(cwd: Path) -> dict[str, str]:
    return cli_on_path(cwd.parent / "bin")  # beside the scratch folder, not in it


def run_session(steps: list[tuple[str, list[str]]], cwd: Path) -> list[str]:
    """Run the commands in one shell; returns each command's output (stdout and stderr)."""
    script = "".join(
        f"{command}\n__status=$?\nprintf '\\n{MARK}\\n'\n(exit $__status)\n" for command, _ in steps
    )
    done = subprocess.run(
        ["bash", "-c", "exec 2>&1\n" + script], cwd=cwd, env=environment(cwd),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    outputs = done.stdout.split(f"\n{MARK}\n")
    assert len(outputs) == len(steps) + 1, done.stdout
    return outputs[:-1]


def run_interactive(command: str, expected: list[str], cwd: Path) -> str:
    """Run one command in a pseudo-terminal, typing each `> ANSWER` of the transcript."""
    answers = [line[2:] for line in expected if line.startswith("> ")]
    child = pexpect.spawn(
        "bash", ["-c", command], cwd=str(cwd), env=environment(cwd), encoding="utf-8",
        dimensions=(50, 110), timeout=300,
    )  # fmt: skip
    log = io.StringIO()
    child.logfile_read = log
    for answer in answers:
        child.expect_exact("> ")
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return log.getvalue()


@pytest.mark.parametrize("block", blocks(), ids=lambda b: f"{b.kind}-line{b.line}")
def test_readme_example_runs_as_shown(block: Block, workdir: Path) -> None:
    if block.kind == "sh":
        for line in block.text.splitlines():
            if not line.strip() or line.startswith("#") or SETUP.match(line):
                continue
            done = subprocess.run(
                ["bash", "-c", line], cwd=workdir, env=environment(workdir), capture_output=True,
                text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        return
    steps = session(block.text)
    if any(line.startswith("> ") for _, expected in steps for line in expected):
        assert len(steps) == 1, "an interactive block holds one command"
        command, expected = steps[0]
        outputs = [run_interactive(command, expected, workdir)]
    else:
        outputs = run_session(steps, workdir)
    for (command, expected), output in zip(steps, outputs, strict=True):
        assert matches(expected, output), (
            f"$ {command}\n--- shown:\n"
            + "\n".join(expected)
            + f"\n--- printed:\n{normalize(output)}"
        )


def test_every_example_file_the_readme_names_is_shipped() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"examples/[\w.-]+", text))
    assert named, "the README names no example file"
    for name in sorted(named):
        assert (ROOT / name).is_file(), name


def test_the_quick_start_opens_the_readme() -> None:
    kinds = [b.text.strip() for b in blocks()[:2]]
    assert kinds == [
        "pip install . && subsidy calc examples/enterprise.json",
        "pip install '.[test]' && pytest",
    ]


def test_the_matcher_can_fail() -> None:
    assert matches(["a", "…", "c"], "a\nb\nb\nc\n")
    assert not matches(["a", "…", "c"], "a\nb\n")
    assert not matches(["a", "b"], "a\nc\n")
