"""The law's cases: every tests/cases/*.toml is a profile in and the expected results out.

Run with the runner `subsidy test` uses (subsidycli.cases), so a case passes here exactly when
it passes there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from subsidycli import cases
from subsidycli.policy import Policy

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))


def test_there_are_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, policy: Policy) -> None:
    outcome = cases.run_case(path, policy)
    assert outcome.passed, "\n".join(cases.report(outcome))
