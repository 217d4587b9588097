"""Policy authoring: what an analyst writing a policy file is told, and where.

--override keeps the kind of what it overrides and blames itself; defaults that go round in a
circle and effective dates out of order are refused; lint checks figures against the source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidycli.policy import bundled_paths
from tests.conftest import Run

BUNDLED = bundled_paths()[0]
TEXT = BUNDLED.read_text(encoding="utf-8")
SOURCE = BUNDLED.parent / "zhenjiang-2024.source.zh.txt"
RD = ("--set", "annual_rd_expense=1亿", "--set", "deductible_rd_expense=1亿")


def policy_copy(tmp_path: Path, old: str, new: str, *, source: bool = True) -> Path:
    """The bundled policy with one edit, beside a copy of its source text."""
    assert old in TEXT, old
    path = tmp_path / "copy.toml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    if source:
        (tmp_path / SOURCE.name).write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def rd(data: dict[str, object]) -> dict[str, object]:
    return next(r for r in data["results"] if r["article"] == "rd-investment-subsidy")  # type: ignore[attr-defined,index]


# --- --override keeps the kind of what it overrides -------------------------------------------


@pytest.mark.parametrize(
    ("override", "amount"),
    [
        ("rd-investment-subsidy.max=30万", "300000.00"),
        ("rd-investment-subsidy.max=300000", "300000.00"),
        ("rd-investment-subsidy.max=¥300,000.00", "300000.00"),
        ("rd-investment-subsidy.rate=0.1%", "100000.00"),
        ("rd-investment-subsidy.rate=0.001", "100000.00"),
        ("rd-investment-subsidy.threshold=2亿", "0.00"),
    ],
)
def test_an_override_of_the_same_kind_is_taken(run: Run, override: str, amount: str) -> None:
    result = run("calc", "-f", "json", *RD, "--override", override)
    assert result.exit_code == 0, result.output
    assert rd(json.loads(result.stdout))["amount"] == amount


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rd-investment-subsidy.max=1%", "max is an amount of money (20万) and stays one: '1%'"),
        ("rd-investment-subsidy.threshold=0.5", None),  # 0.5 元 is money: taken, not refused
        ("rd-investment-subsidy.rate=30万", "rate is a rate (0.5%) and stays one: '30万'"),
        ("rd-investment-subsidy.cap=rate", "cap is an amount of money, not a rate"),
        ("rd-investment-subsidy.amount=rate", "amount is an amount of money, not a rate"),
        ("rd-investment-subsidy.cap=1 +", "not a valid expression"),
        ("high-tech-application.amount=10万", "the source states no amount"),
        ("high-tech-application.cap=10万", "the source states no amount"),
        ("talent-attraction.when=true", "an info article pays nothing"),
        ("gazelle.cap=10万", None),  # a cap where there was none: a real what-if
    ],
)
def test_an_override_blames_itself_not_a_line_of_the_file(
    run: Run, override: str, message: str | None
) -> None:
    result = run("calc", "-f", "json", *RD, "--override", override)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    key, _, value = override.partition("=")
    assert result.stderr.startswith(f"subsidy: --override {key}={value}: "), result.stderr
    assert message in result.stderr
    assert "zhenjiang-2024.toml" not in result.stderr  # the file is not to blame
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_override_of_a_value_no_expression_reads_is_refused(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path,
        'values = { max = "15万" }',
        'values = { max = "15万", spare = "5万" }',
    )
    result = run("calc", "--policy", str(path), "--override", "high-tech-recognition.spare=6万")
    assert result.exit_code == 2
    assert "no condition or amount of high-tech-recognition reads spare" in result.stderr
    used = run("calc", "--policy", str(path), "--override", "high-tech-recognition.max=6万")
    assert used.exit_code == 0, used.output


# --- defaults and dates -------------------------------------------------------------------------


def test_defaults_in_a_circle_are_refused_at_the_line(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "income_tax_rate > 0.2", then = false, else = true }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, 'default = { if = "income_tax_rate > 0.2"')  # the first of the circle
    assert f"{path}:{line}: input high_tech_enterprise: default: the defaults go round" in (
        result.stderr
    )
    assert "high_tech_enterprise → income_tax_rate → high_tech_enterprise" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one circle, said once


def test_a_default_that_reads_itself_is_a_circle(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "high_tech_enterprise", then = true, else = false }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    assert "high_tech_enterprise → high_tech_enterprise" in result.stderr


def test_a_chain_of_defaults_is_not_a_circle(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "high_tech_recognized", then = true, else = false }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 0, result.output


def test_effective_dates_out_of_order_are_refused(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path,
        'id = "zhenjiang-2024"\n',
        'id = "zhenjiang-2024"\neffective_from = 2026-01-01\neffective_to = 2025-12-31\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, "effective_to")
    assert f"{path}:{line}: policy.effective_to 2025-12-31 is before effective_from" in (
        result.stderr
    )
    same_day = policy_copy(
        tmp_path,
        'id = "zhenjiang-2024"\n',
        'id = "zhenjiang-2024"\neffective_from = 2026-01-01\neffective_to = 2026-01-01\n',
    )
    assert run("lint", str(same_day)).exit_code == 0
