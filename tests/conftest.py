"""Shared fixtures: the bundled policy, a CLI runner with a fixed language and width."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from subsidycli import i18n
from subsidycli.cli import app
from subsidycli.policy import Policy, bundled_paths, load_policy

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

# At most this many examples per property test (--property-examples): mutation testing runs the
# tests that reach a mutant once per mutant, and asks for fewer (see docs/mutation.md).
_examples_limit: int | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--property-examples", type=int, default=None, metavar="N",
        help="at most N examples per property test of tests.conftest.deterministic",
    )  # fmt: skip
    parser.addoption(
        "--cheap-first", action="store_true",
        help="run the quick unit tests of the core before the rest (mutation testing stops at "
        "the first failure: a mutant is caught sooner)",
    )  # fmt: skip


# Quick tests that state the core's rules, cheapest first; any other test file comes after them.
CHEAP_FIRST = (
    "test_engine.py", "test_money.py", "test_expr.py", "test_profile.py", "test_policy.py",
    "test_render_numbers.py", "test_cases.py", "test_tiers.py", "test_contract.py",
    "test_cli.py", "test_policy_tools.py", "test_authoring.py", "test_properties.py",
)  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("cheap_first"):
        rank = {name: i for i, name in enumerate(CHEAP_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable within a file


def pytest_configure(config: pytest.Config) -> None:
    global _examples_limit
    _examples_limit = config.getoption("property_examples")


def deterministic(max_examples: int) -> settings:
    """Hypothesis settings that draw the same examples on every run and in CI."""
    if _examples_limit is not None:
        max_examples = min(max_examples, _examples_limit)
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@pytest.fixture(autouse=True)
def _stable_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """English, fixed width, and a private validation cache, whatever the machine's settings."""
    # LINES too: pytest-xdist's workers inherit LINES=24, which the interview reads as its height.
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "LINES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "110")
    monkeypatch.setenv("SUBSIDYCLI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    # A command run in-process sets the language of messages (--lang): not for the next test.
    monkeypatch.setattr(i18n, "_lang", None)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(bundled_paths()[0])


Run = Callable[..., Any]


@pytest.fixture
def run() -> Run:
    """Run `subsidy ARGS` in-process; returns the click Result (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, env=env)

    return invoke


@pytest.fixture
def calc_json(run: Run) -> Callable[..., dict[str, Any]]:
    """`subsidy calc --format json` on a profile dict; returns the parsed output."""

    def call(profile: dict[str, Any], *extra: str) -> dict[str, Any]:
        result = run("calc", "-", "--format", "json", *extra, input=json.dumps(profile))
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    return call


# --- The CLI in a process of its own ---------------------------------------------------------


def cli_command(*args: str) -> list[str]:
    """`subsidy ARGS` as a command line that runs the source under test.

    Never a `subsidy` found on PATH or next to the interpreter, which may be another install:
    this interpreter, `-m subsidycli`, with `cli_env`'s import path.
    """
    return [sys.executable, "-m", "subsidycli", *args]


# What the `subsidy` console script runs, so that the program calls itself `subsidy` (in usage
# lines) as an installed one does.
_CONSOLE_SCRIPT = (
    "import sys; sys.argv[0] = 'subsidy'; from subsidycli.cli import main; sys.exit(main())"
)


def subsidy_command(*args: str) -> list[str]:
    """`cli_command`, but named `subsidy` as the installed script is (for usage and help text)."""
    return [sys.executable, "-c", _CONSOLE_SCRIPT, *args]


def cli_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for `cli_command`: `env` (default: this process's), with the source under
    test first on the import path, so that a change to src/ is what the process runs."""
    base = dict(os.environ if env is None else env)
    paths = [str(SRC), *filter(None, base.get("PYTHONPATH", "").split(os.pathsep))]
    base["PYTHONPATH"] = os.pathsep.join(paths)
    return base


def cli_on_path(folder: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`cli_env(env)` with a `subsidy` command first on PATH that runs the source under test,
    for tests that run shell command lines as a user types them (the script is put in `folder`)."""
    script = folder / "subsidy"
    command = " ".join(shlex.quote(part) for part in subsidy_command())
    script.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    full = cli_env(env)
    full["PATH"] = os.pathsep.join(filter(None, [str(folder), full.get("PATH", "")]))
    return full


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    """Wait until `condition()` holds, while `proc` runs.

    An event, not a duration: the time limit only stops a test that would otherwise hang, and is
    far above what the slowest machine needs (a loaded 2-core machine may be 20 times slower).
    """
    deadline = time.monotonic() + 300
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the process ended before {what}: {err.decode(errors='replace')}")
        assert time.monotonic() < deadline, f"{what}: still waiting after 300 s"
        time.sleep(0.01)


@contextmanager
def batch_in_flight(
    records: str, output: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`subsidy batch - --output OUTPUT`, caught in the middle of its run.

    Its input is a pipe that stays open: it has read `records` and is writing the output's
    temporary file, and it cannot finish, however fast or slow the machine, until the caller
    signals it or leaves the block (which closes its input and waits for its exit). `records`
    should make well over 1 MB of output, so that some of it has reached the temporary file.
    """
    proc = subprocess.Popen(
        cli_command("batch", "-", "--output", str(output)), env=cli_env(env),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=output.parent,
    )  # fmt: skip
    assert proc.stdin is not None
    try:
        proc.stdin.write(records.encode())
        proc.stdin.flush()

        def writing() -> bool:
            temporary = [p for p in output.parent.iterdir() if p.name.endswith(".tmp")]
            return any(p.stat().st_size > 0 for p in temporary)

        wait_for(writing, proc, "the batch started writing its output")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
