"""Every example in README.md runs as shown.

- A ```console block under `<!-- output: python tools/readme.py -->` is written by that script,
  from what its commands print: it must be exactly what the script would write now.
- Any other ```console block is a session: `$ COMMAND` lines, each followed by the output it prints
  (stdout and stderr, as a terminal shows them). The commands of a block run one after another in
  one shell, so `echo $?` reports the command before it. A line that is `…` alone stands for any
  number of lines (an abridged output). A block whose output has `> ANSWER` lines is an
  interactive session: it runs in a pseudo-terminal and the answers are typed at each `> `.
- A ```sh block is a list of commands, each of which must succeed (exit status 0).
- Trailing spaces are ignored. Nothing else is: a date or a policy's SHA-256 shown must be the
  one printed (today is fixed at tools/readme.py's TODAY, through $SUBSIDYCLI_TODAY).

The commands run as tools/readme.py runs them: in a scratch folder holding a copy of `examples/`,
with a `subsidy` on PATH that runs the source under test, whatever else is installed, in a fixed
environment (`environment`). The set-up commands (`pip install …`, `pytest`) are not run here:
CI runs them.
"""

from __future__ import annotations

import difflib
import importlib.util
import io
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pexpect
import pytest

from tests.conftest import ROOT, Run


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_tool", ROOT / "tools" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SETUP = re.compile(r"^(pip install|pytest)\b")
MARK = "@@readme-command-done@@"


@dataclass(frozen=True)
class Block:
    kind: str  # "console" or "sh"
    line: int  # where the block starts in README.md, for the test's id
    text: str
    generated: bool = False  # under tools/readme.py's marker: written by it


def blocks(path: Path = README) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2),
              text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip() == TOOL.MARKER)
        for m in FENCE.finditer(text)
        if m.group(1) in ("console", "sh")
    ]  # fmt: skip


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
    return Path(TOOL.workdir(tmp_path))


def environment(cwd: Path) -> dict[str, str]:
    env: dict[str, str] = TOOL.environment(cwd.parent)  # beside the scratch folder, not in it
    return env


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


@pytest.mark.parametrize(
    "block", [b for b in blocks() if not b.generated], ids=lambda b: f"{b.kind}-line{b.line}"
)
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


def test_the_readmes_generated_outputs_are_what_the_tool_prints() -> None:
    text = README.read_text(encoding="utf-8")
    assert sum(b.generated for b in blocks()) >= 4, "the README's outputs are generated"
    new = TOOL.generate(text)
    difference = "".join(difflib.unified_diff(
        text.splitlines(keepends=True), new.splitlines(keepends=True), "README.md", "printed"
    ))  # fmt: skip
    assert new == text, "README.md is stale: run `python tools/readme.py`\n" + difference


def test_the_readme_tool_rewrites_a_stale_output() -> None:
    stale = (
        f"Before.\n\n{TOOL.MARKER}\n```console\n"
        "$ subsidy calc --set annual_rd_expense=1200万 | tail -n 1\n"
        "subsidycli 0.0.9 · zhenjiang-2024 sha256:000000000000 · 2020-01-01\n"
        "$ echo $?\n7\n```\n\nAfter: ```console\nnot marked\n```\n"
    )
    new = TOOL.generate(stale)
    footer = re.search(r"\$ subsidy calc .*\n(.*)\n\$ echo \$\?\n0\n```\n", new)
    assert footer, new
    assert footer.group(1).startswith("subsidycli ") and f"· {TOOL.TODAY} ·" in footer.group(1)
    assert "sha256:000000000000" not in new and "2020-01-01" not in new
    assert new.startswith("Before.\n\n") and new.endswith("After: ```console\nnot marked\n```\n")


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


def test_subsidycli_today_fixes_the_day_a_result_is_computed_on(run: Run) -> None:
    fixed = run("calc", "--set", "annual_rd_expense=1200万", "-f", "json",
                env={"SUBSIDYCLI_TODAY": "2026-11-30"})  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["receipt"]["evaluated_on"] == "2026-11-30"
    assert fixed.stderr == ""  # today, not a --date: nothing to say about it
    bad = run("calc", "--set", "annual_rd_expense=1200万", env={"SUBSIDYCLI_TODAY": "30/11/2026"})
    assert bad.exit_code == 2
    assert bad.stderr == "subsidy: SUBSIDYCLI_TODAY='30/11/2026': expected a date as YYYY-MM-DD\n"
