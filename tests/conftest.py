"""Shared fixtures: the bundled policy, a CLI runner with a fixed language and width."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from subsidycli.cli import app
from subsidycli.policy import Policy, bundled_paths, load_policy

ROOT = Path(__file__).resolve().parent.parent


def deterministic(max_examples: int) -> settings:
    """Hypothesis settings that draw the same examples on every run and in CI."""
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
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "110")
    monkeypatch.setenv("SUBSIDYCLI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


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
