"""The law's cases: every tests/cases/*.toml is a profile in and the expected results out.

Run with the runner `subsidy test` uses (subsidycli.cases), so a case passes here exactly when
it passes there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from subsidycli import cases
from subsidycli.policy import Policy, load_policy, resolve

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))
# The cases of the second bundled policy, each naming it (`policy = "liuhe-2023"`) and the day
# it was in force that it is evaluated on (`date`).
LIUHE = sorted((Path(__file__).parent / "cases" / "liuhe-2023").glob("*.toml"))


def test_there_are_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, policy: Policy) -> None:
    outcome = cases.run_case(path, policy)
    assert outcome.passed, "\n".join(cases.report(outcome))


@pytest.fixture(scope="module")
def liuhe() -> Policy:
    return load_policy(resolve("liuhe-2023"))


def test_there_are_liuhe_cases_for_every_money_article(liuhe: Policy) -> None:
    expected = set()
    for path in LIUHE:
        case = cases.read_case(path)
        assert case["policy"] == "liuhe-2023" and case["date"].isoformat() == "2024-06-01", path
        expected |= {key for key in case["expect"] if key not in ("total", "missing")}
    paying = {a.id for a in liuhe.articles if a.basis != "info"}
    assert paying <= expected, sorted(paying - expected)


@pytest.mark.parametrize("path", LIUHE, ids=[p.stem for p in LIUHE])
def test_liuhe_case(path: Path, liuhe: Policy) -> None:
    outcome = cases.run_case(path, liuhe)
    assert outcome.passed, "\n".join(cases.report(outcome))
