"""The law's cases: every tests/cases/*.toml is a profile in and the expected results out."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from subsidycli import money
from subsidycli.engine import evaluate
from subsidycli.policy import Policy
from subsidycli.profile import parse_profile

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))


def _shown(value: Any) -> Any:
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, money.Decimal):
        return money.format_plain(value)
    return value


def test_there_are_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, policy: Policy) -> None:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    evaluation = evaluate(policy, parse_profile(case["profile"], policy), "zh")
    results = {r.article: r for r in evaluation.results}
    expect = dict(case["expect"])
    assert expect, "a case must expect something"
    if "total" in expect:
        assert money.format_plain(evaluation.total) == expect.pop("total"), case["name"]
    if "missing" in expect:
        assert list(evaluation.missing) == expect.pop("missing"), case["name"]
    for article_id, fields in expect.items():
        assert article_id in results, f"{path.name}: unknown article {article_id}"
        result = results[article_id]
        for key, want in fields.items():
            got = _shown(getattr(result, key))
            assert got == want, f"{case['name']}: {article_id}.{key} = {got!r}, expected {want!r}"
