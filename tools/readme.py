"""The README's example outputs, printed by the tool itself: each ```console block right under a
`<!-- output: python tools/readme.py -->` line is run, and what it prints written in.

    python tools/readme.py           # rewrite those blocks of README.md
    python tools/readme.py --check   # exit 1, showing the difference, if README.md is stale

Edit a block's `$ COMMAND` lines, never its output: this writes the output. A block that shows an
abridged output (`…` lines) or an interactive session has no marker: tests/test_readme.py checks
that it still matches what the command prints.

The commands run as a reader's would, in the environment `environment` fixes: a scratch folder
holding a copy of examples/, a `subsidy` on PATH that runs the source in src/, one bash session
a block (stderr with stdout, as a terminal shows both), English, 110 columns, a private cache,
and $SUBSIDYCLI_TODAY for today's date (the footer's), so that a block changes only when the
tool's output does.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- output: python tools/readme.py -->"
TODAY = "2026-11-30"  # the day the examples are computed on
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
DONE = "@@readme-command-done@@"
# What the program calls itself in usage lines when installed (the `subsidy` console script).
CONSOLE_SCRIPT = (
    "import sys; sys.argv[0] = 'subsidy'; from subsidycli.cli import main; sys.exit(main())"
)


def environment(folder: Path) -> dict[str, str]:
    """The environment the README's commands run in: a `subsidy` script in `folder/bin` first on
    PATH, running the source under src/ with this interpreter; nothing of this machine's
    language, terminal size or cache."""
    bin_folder = folder / "bin"
    bin_folder.mkdir(exist_ok=True)
    script = bin_folder / "subsidy"
    command = shlex.join([sys.executable, "-c", CONSOLE_SCRIPT])
    script.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    drop = {"LC_ALL", "LC_MESSAGES", "LANGUAGE", "LINES", "COLUMNS", "NO_COLOR", "FORCE_COLOR"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    paths = [str(ROOT / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update({
        "PATH": os.pathsep.join(filter(None, [str(bin_folder), env.get("PATH", "")])),
        "PYTHONPATH": os.pathsep.join(paths),
        "LANG": "C.UTF-8",
        "COLUMNS": "110",
        "SUBSIDYCLI_CACHE_DIR": str(folder / "cache"),
        "SUBSIDYCLI_TODAY": TODAY,
    })  # fmt: skip
    return env


def workdir(folder: Path) -> Path:
    """A scratch folder in `folder` holding a copy of examples/, where a block's commands run
    (each block in a fresh one: a block's output never depends on another's files)."""
    work = folder / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    return work


def run_session(commands: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Run the commands one after another in one bash; each one's output (stdout and stderr,
    as a terminal interleaves them)."""
    script = "".join(
        f"{command}\n__status=$?\nprintf '\\n{DONE}\\n'\n(exit $__status)\n" for command in commands
    )
    done = subprocess.run(
        ["bash", "-c", "exec 2>&1\n" + script], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    outputs = done.stdout.split(f"\n{DONE}\n")
    if len(outputs) != len(commands) + 1:
        raise RuntimeError(f"the session did not run to its end:\n{done.stdout}{done.stderr}")
    return outputs[:-1]


def commands_of(block: str) -> list[str]:
    """The `$ COMMAND` lines of a console block, without the `$ `."""
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def transcript(commands: list[str], outputs: list[str]) -> str:
    """A console block's text: each command and what it printed (trailing spaces dropped)."""
    lines = []
    for command, output in zip(commands, outputs, strict=True):
        lines.append(f"$ {command}")
        lines += [line.rstrip() for line in output.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def generate(text: str) -> str:
    """`text` (a README) with each marked console block's output as the tool prints it now."""
    with tempfile.TemporaryDirectory(prefix="readme-") as scratch:
        folder = Path(scratch)
        env = environment(folder)
        pieces, at = [], 0
        for n, match in enumerate(FENCE.finditer(text)):
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if before.strip() != MARKER:
                continue
            if match.group(1) != "console":
                raise ValueError(f"{MARKER} stands above a ```{match.group(1)} block")
            commands = commands_of(match.group(2))
            if not commands:
                raise ValueError(f"a marked block has no `$ COMMAND` line: {match.group(2)!r}")
            outputs = run_session(commands, workdir(folder / f"block-{n}"), env)
            pieces += [text[at : match.start(2)], transcript(commands, outputs)]
            at = match.end(2)
        pieces.append(text[at:])
    return "".join(pieces)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new = generate(text)
    if "--check" in argv:
        if new == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            text.splitlines(keepends=True), new.splitlines(keepends=True),
            "README.md", "README.md (as the tool prints it)",
        ))  # fmt: skip
        print("README.md is stale: run `python tools/readme.py`", file=sys.stderr)
        return 1
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: outputs rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
