"""`subsidy test`: case files run for a policy's author, failures shown expected beside actual;
and the example policy of policies/README.md, written from the guide, lints clean and passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidycli import cases
from subsidycli.errors import CaseError
from subsidycli.policy import load_policy
from tests.conftest import ROOT, Run

EXAMPLE = ROOT / "examples" / "policy-tiers"
EXAMPLE_POLICY = EXAMPLE / "example-2026.toml"
EXAMPLE_CASES = sorted((EXAMPLE / "cases").glob("*.toml"))
RD_CASE = ROOT / "tests" / "cases" / "rd-cap-reached.toml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- the example policy of the guide ------------------------------------------------------------


def test_the_example_policy_lints_clean(run: Run) -> None:
    result = run("lint", str(EXAMPLE_POLICY))
    assert result.exit_code == 0, result.output
    assert "ok (2 articles" in result.stdout


def test_the_example_policy_can_be_used_with_the_bundled_one(run: Run) -> None:
    result = run("lint", str(EXAMPLE_POLICY), "--with", "zhenjiang-2024")
    assert result.exit_code == 0, result.output
    assert "works with" in result.stdout
    both = run("calc", "-f", "json", "--policy", "zhenjiang-2024", "--policy", str(EXAMPLE_POLICY),
               "--set", "revenue=6000万", "--set", "annual_rd_expense=1200万")  # fmt: skip
    assert both.exit_code == 0, both.output
    results = {r["article"]: r for r in json.loads(both.stdout)["results"]}
    assert results["revenue-award"]["tier"] == 2
    assert results["rd-investment-subsidy"]["status"] == "needs_info"


def test_the_example_cases_pass_with_subsidy_test(run: Run) -> None:
    result = run("test", str(EXAMPLE / "cases"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == f"{len(EXAMPLE_CASES)} passed, 0 failed"


def test_the_example_cases_cover_each_tier_and_boundary() -> None:
    policy = load_policy(EXAMPLE_POLICY)
    tiers = {}
    for path in EXAMPLE_CASES:
        outcome = cases.run_case(path, policy)
        assert outcome.passed, "\n".join(cases.report(outcome))
        result = outcome.results["revenue-award"]
        tiers.setdefault(result.tier, []).append(result.status)
    assert {1, 2, 3, None} <= set(tiers)


@pytest.mark.parametrize(
    ("revenue", "tier", "amount"),
    [
        ("100000000.01", 1, "300000.00"),
        ("1亿", 2, "200000.00"),  # 5000万元（含）至1亿元（含）
        ("5000万", 2, "200000.00"),
        ("49999999.99", 3, "100000.00"),
        ("1000万", 3, "100000.00"),
        ("9999999.99", None, "0.00"),
    ],
)
def test_the_example_tiers_through_calc(
    run: Run, revenue: str, tier: int | None, amount: str
) -> None:
    args = ("calc", "--policy", str(EXAMPLE_POLICY), "-f", "json", "--set", f"revenue={revenue}")
    result = json.loads(run(*args).stdout)["results"][0]
    assert result["amount"] == amount
    assert result["explanation"].startswith(f"tier {tier}: ") == (tier is not None)


# --- the runner -----------------------------------------------------------------------------------


def test_a_failing_case_shows_expected_and_actual_status_and_amount(
    run: Run, tmp_path: Path
) -> None:
    text = RD_CASE.read_text(encoding="utf-8")
    assert 'status = "eligible"\namount = "200000.00"' in text
    bad = write(tmp_path / "bad.toml", text.replace('amount = "200000.00"', 'amount = "30万"', 1))
    good = write(tmp_path / "good.toml", text)
    result = run("test", str(tmp_path))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"FAIL {bad}: ")
    assert (
        lines[1] == "  rd-investment-subsidy: expected eligible 300000.00, got eligible 200000.00"
    )
    assert lines[2].startswith("    (0.5% × 100,000,000.00 = 500,000.00 > 200,000.00")
    assert lines[-1] == "1 passed, 1 failed"
    assert str(good) not in result.stdout


def test_a_wrong_status_and_other_fields_are_each_shown(run: Run, tmp_path: Path) -> None:
    case = write(
        tmp_path / "c.toml",
        'name = "n"\n[profile]\nannual_rd_expense = "500万"\n[expect]\ntotal = "1.00"\n'
        'missing = ["deductible_rd_expense"]\n[expect."rd-investment-subsidy"]\n'
        'status = "eligible"\ncap = "10万"\nmissing = []\n',
    )
    result = run("test", str(case))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "  total: expected 1.00, got 0.00" in lines
    assert "  missing: expected [deductible_rd_expense], got [" in result.stdout
    assert "  rd-investment-subsidy: expected eligible 0.00, got not_eligible 0.00" in lines
    assert "    cap: expected 100000.00, got 200000.00" in lines
    assert not any(line.startswith("    missing:") for line in lines)  # [] == [] passes


def test_money_may_be_expected_as_a_profile_writes_it(run: Run, tmp_path: Path) -> None:
    text = RD_CASE.read_text(encoding="utf-8").replace('amount = "200000.00"', 'amount = "20万"', 1)
    assert run("test", str(write(tmp_path / "c.toml", text))).exit_code == 0
    wrong = text.replace('amount = "20万"', "amount = 200000.001")
    assert run("test", str(write(tmp_path / "c.toml", wrong))).exit_code == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ('name = "x"\n[profile]\n[expect."gazele"]\nstatus = "eligible"\n',
         ":3: expect.gazele: no article 'gazele' in zhenjiang-2024 (did you mean 'gazelle'?)"),
        ('name = "x"\n[profile]\n[expect."gazelle"]\nstatu = "eligible"\n',
         ":3: expect.gazelle.statu: not a field of a result (did you mean 'status'?"),
        ('name = "x"\nprofil = {}\n[expect]\ntotal = "0.00"\n',
         ":2: unknown key 'profil' (did you mean 'profile'?)"),
        ('name = "x"\n[profile]\nannual_rd_expens = 1\n[expect]\ntotal = "0.00"\n',
         ": annual_rd_expens: unknown field"),
        ('name = "x"\n[profile]\n[expect]\n', ": [expect] is empty"),
        ('name = "x"\n[profile\n', ":2:"),
    ],
)  # fmt: skip
def test_a_case_that_cannot_run_is_an_error_at_its_line(
    run: Run, tmp_path: Path, case: str, message: str
) -> None:
    path = write(tmp_path / "broken.toml", case)
    good = write(tmp_path / "good.toml", RD_CASE.read_text(encoding="utf-8"))
    result = run("test", str(path), str(good))
    assert result.exit_code == 2, result.output
    assert f"ERROR {path}{message}" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_policy_option_and_the_cases_own_policy(run: Run, tmp_path: Path) -> None:
    case = (EXAMPLE / "cases" / "typical-enterprise.toml").read_text(encoding="utf-8")
    without = write(tmp_path / "c.toml", case.replace('policy = "../example-2026.toml"\n', ""))
    assert run("test", str(without)).exit_code == 2  # the bundled policy has no `revenue`
    assert run("test", str(without), "--policy", str(EXAMPLE_POLICY)).exit_code == 0
    missing = run("test", str(without), "--policy", "nowhere.toml")
    assert missing.exit_code == 2 and "nowhere.toml" in missing.stderr
    assert "passed" not in missing.stdout  # the command's problem: no case was run


def test_no_cases_or_no_such_path_is_a_command_problem(run: Run, tmp_path: Path) -> None:
    empty = run("test", str(tmp_path))
    assert empty.exit_code == 2 and "no case files" in empty.stderr
    nowhere = run("test", str(tmp_path / "nope"))
    assert nowhere.exit_code == 2 and "no such case file or folder" in nowhere.stderr


def test_case_files_finds_folders_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.toml", "b/1.toml", "a.toml", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    found = cases.case_files([tmp_path, tmp_path / "a.toml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.toml", "b/1.toml", "b/2.toml"]
    with pytest.raises(CaseError):
        cases.case_files([tmp_path / "missing"])


@pytest.mark.parametrize(
    ("key", "want", "got", "same"),
    [
        ("amount", "null", None, True),
        ("amount", "0.00", None, False),
        ("amount", "null", cases.Decimal("0.00"), False),
        ("amount", "5万", cases.Decimal("50000.00"), True),
        ("amount", "50000.01", cases.Decimal("50000.00"), False),
        ("status", "eligible", "eligible", True),
        ("status", "eligible", "not_eligible", False),
        ("tier", 2, 2, True),
        ("tier", 2, 1, False),
        ("tier", True, 1, False),  # a TOML boolean is not a tier
        ("missing", ["a"], ("a",), True),
        ("missing", ["a", "b"], ("b", "a"), False),
        ("missing", "a", ("a",), False),
    ],
)
def test_how_values_compare(key: str, want: object, got: object, same: bool) -> None:
    assert cases._same(key, want, got) is same


def test_the_guides_worked_example_is_the_shipped_one() -> None:
    """policies/README.md shows the example's article: every line of it is in the shipped file."""
    guide = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")
    start = guide.index("## A new policy, step by step")
    block = guide[guide.index("```toml\n[[articles]]", start) + 8 :]
    block = block[: block.index("```")]
    shipped = [
        line.split("#")[0].rstrip() for line in EXAMPLE_POLICY.read_text("utf-8").splitlines()
    ]
    for line in block.splitlines():
        if not line.startswith("source = "):  # shortened in the guide
            assert line in shipped, line
    assert f"prints `{len(EXAMPLE_CASES)} passed, 0 failed`" in guide
