"""Dates of force, families of versions and the same policy loaded twice (docs/contract.md,
"Several policies, dates and stacking"): a policy not in force on the day is computed, marked
and kept out of the total, everywhere; `--date` is the day, recorded in the receipt."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from subsidycli.policy import bundled_paths
from tests.conftest import Run

ZHENJIANG = bundled_paths()[0]
LIUHE = ZHENJIANG.parent / "liuhe-2023.toml"

# A policy of one article: 10万 to an organisation with revenue of 100万 or more.
SMALL = """\
[policy]
id = "{id}"
title = {{ zh = "{title}", en = "Small grants {id}" }}
issuer = {{ zh = "某市人民政府", en = "Some City Government" }}
{extra}

[[sections]]
id = "1"
title = {{ zh = "奖励", en = "Awards" }}

[[inputs]]
name = "revenue"
type = "money"
label = {{ zh = "营业收入", en = "Revenue" }}

[[articles]]
id = "grant"
section = "1"
title = {{ zh = "营收奖励", en = "Revenue grant" }}
basis = "exact"
values = {{ floor = "100万", award = "10万" }}
when = "revenue >= floor"
amount = "award"
source = "{source}"
"""


def small(
    tmp_path: Path, ident: str, extra: str = "", title: str | None = None,
    source: str = "营业收入100万元以上的，奖励10万元。",
) -> Path:  # fmt: skip
    path = tmp_path / f"{ident}.toml"
    text = SMALL.format(id=ident, title=title or f"小额奖励{ident}", extra=extra, source=source)
    path.write_text(text, encoding="utf-8")
    return path


EXPIRED = "effective_from = 2020-01-01\neffective_to = 2022-12-31"
RICH = ("--set", "revenue=200万")


def calc_json(run: Run, *args: str) -> dict:
    result = run("calc", "-f", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data


# --- one policy, on a day in force or not -----------------------------------------------------


def test_a_policy_not_in_force_is_computed_marked_and_not_counted(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "old", EXPIRED)
    data = calc_json(run, "--policy", str(path), *RICH, "--date", "2024-06-01")
    assert data["policy"]["in_force"] is False
    assert data["policy"]["effective_to"] == "2022-12-31"
    assert data["results"][0]["status"] == "eligible"
    assert data["results"][0]["amount"] == "100000.00"  # what it would pay, shown
    assert data["total"] == "0.00"  # never counted
    assert data["receipt"]["evaluated_on"] == "2024-06-01"
    inside = calc_json(run, "--policy", str(path), *RICH, "--date", "2022-12-31")  # last day
    assert inside["policy"]["in_force"] is True and inside["total"] == "100000.00"


def test_without_date_the_day_is_today(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "old", EXPIRED)
    data = calc_json(run, "--policy", str(path), *RICH)
    assert data["receipt"]["evaluated_on"] == dt.date.today().isoformat()
    assert data["policy"]["in_force"] is False and data["total"] == "0.00"


def test_the_table_markdown_and_report_say_so_in_a_headline(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "old", EXPIRED)
    args = ("calc", "--policy", str(path), *RICH, "--date", "2024-06-01")
    said = "Expired: Small grants old (old) was in force from 2020-01-01 to 2022-12-31, not on "
    table = run(*args)
    assert table.exit_code == 0 and said in table.stdout
    assert table.stdout.index("Expired:") < table.stdout.index("Revenue grant")  # a headline
    assert "Total (maximum claimable): 0.00" in table.stdout
    for fmt in ("markdown", "html"):
        out = run(*args, "-f", fmt)
        assert said in out.stdout, fmt
        assert "not on 2024-06-01" in out.stderr  # and a note where no table shows it
    chinese = run(*args, "--lang", "zh").stdout
    assert "已失效" in chinese and "2020-01-01" in chinese and "2022-12-31" in chinese


def test_a_policy_not_yet_in_force_says_when_it_begins(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "new", "effective_from = 2030-01-01")
    result = run("calc", "--policy", str(path), *RICH, "--date", "2029-12-31")
    assert "Not yet in force: Small grants new (new) takes effect on 2030-01-01" in result.stdout
    assert "尚未生效" in run("calc", "--policy", str(path), "--lang", "zh").stdout
    assert calc_json(run, "--policy", str(path), *RICH, "--date", "2030-01-01")["total"] == (
        "100000.00"
    )


def test_a_policy_stating_no_dates_is_in_force(run: Run) -> None:
    data = calc_json(
        run, "--set", "annual_rd_expense=2000万", "--set", "deductible_rd_expense=2000万"
    )
    assert data["policy"] == {"id": "zhenjiang-2024", "title": data["policy"]["title"],
                              "in_force": True}  # fmt: skip
    assert data["total"] == "100000.00"


def test_with_another_policy_only_the_one_in_force_counts(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "old", EXPIRED)
    args = ("--policy", "zhenjiang-2024", "--policy", str(path), *RICH, "--date", "2024-06-01")
    data = calc_json(run, *args, "--set", "annual_rd_expense=2000万",
                     "--set", "deductible_rd_expense=2000万")  # fmt: skip
    assert data["policy"]["in_force"] is False  # not every part is
    assert [(p["id"], p["in_force"]) for p in data["policy"]["policies"]] == [
        ("zhenjiang-2024", True),
        ("old", False),
    ]
    grant = next(r for r in data["results"] if r["article"] == "grant")
    assert grant["status"] == "eligible" and grant["amount"] == "100000.00"
    assert data["total"] == "100000.00"  # Zhenjiang's R&D subsidy only, not the grant


def test_the_interview_says_so_before_the_first_question(run: Run, tmp_path: Path) -> None:
    path = small(tmp_path, "old", EXPIRED)
    args = ("interview", "--policy", str(path), "-f", "json", "--date", "2023-01-01")
    result = run(*args, "--lang", "zh", input="200万\n\n\n")
    assert result.exit_code == 0, result.output
    note = "已失效：小额奖励old（old）的有效期为 2020-01-01 至 2022-12-31，2023-01-01 不在有效期内"
    assert note in result.stderr
    assert result.stderr.index(note) < result.stderr.index("营业收入")  # before the question
    data = json.loads(result.stdout)
    assert data["results"][0]["amount"] == "100000.00" and data["total"] == "0.00"


def test_calc_s_workbook_total_row_is_the_total(run: Run, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    old, current = small(tmp_path, "old", EXPIRED), small(tmp_path, "current", title="现行")
    target = tmp_path / "r.xlsx"
    both = ("--policy", str(old), "--policy", str(current), "--date", "2024-06-01")
    assert run("calc", *both, *RICH, "-o", str(target)).exit_code == 0
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    amounts = {r[0]: r[5] for r in rows[1:-1]}
    assert amounts == {"old:grant": 100000, "current:grant": 100000}  # both shown
    assert rows[-1][5] == 100000  # the total row: the policy in force only


# --- families of versions ----------------------------------------------------------------------


def test_of_one_family_the_version_in_force_is_used(run: Run, tmp_path: Path) -> None:
    first = small(tmp_path, "grants-2020", f'family = "grants"\n{EXPIRED}', title="小额奖励")
    second = small(tmp_path, "grants-2023", 'family = "grants"\neffective_from = 2023-01-01',
                   title="小额奖励")  # fmt: skip
    both = ("--policy", str(first), "--policy", str(second), *RICH)
    old = calc_json(run, *both, "--date", "2021-05-01")
    assert old["policy"]["id"] == "grants-2020" and old["policy"]["in_force"] is True
    assert len(old["results"]) == 1 and old["total"] == "100000.00"
    new = calc_json(run, *both, "--date", "2024-05-01")
    assert new["policy"]["id"] == "grants-2023" and new["total"] == "100000.00"
    left = run("calc", "-f", "json", *both, "--date", "2024-05-01")
    assert "grants-2020 is left out: grants-2023 of the same policy family 'grants'" in left.stderr
    # None in force: the latest is computed, and marked.
    before = calc_json(run, *both, "--date", "2019-05-01")
    assert before["policy"]["id"] == "grants-2023" and before["policy"]["in_force"] is False
    assert before["total"] == "0.00"


def test_two_versions_in_force_on_one_day_are_an_error_naming_both(
    run: Run, tmp_path: Path
) -> None:
    first = small(tmp_path, "grants-2020", 'family = "grants"\neffective_from = 2020-01-01')
    second = small(tmp_path, "grants-2023", 'family = "grants"\neffective_from = 2023-01-01')
    both = ("--policy", str(first), "--policy", str(second))
    result = run("calc", *both, "--date", "2024-01-01")
    assert result.exit_code == 2
    assert f"{first} and {second} of policy family 'grants' are both in force on 2024-01-01" in (
        result.stderr
    )
    assert run("calc", *both, "--date", "2021-01-01").exit_code == 0  # only the first, then


# --- the same policy twice ---------------------------------------------------------------------


def test_a_copy_of_a_policy_is_refused_not_added_twice(run: Run, tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    text = ZHENJIANG.read_text(encoding="utf-8")
    copy.write_text(text.replace('id = "zhenjiang-2024"', 'id = "zhenjiang-copy"', 1), "utf-8")
    result = run("calc", "--policy", "zhenjiang-2024", "--policy", str(copy), *RICH)
    assert result.exit_code == 2 and result.stdout == ""
    assert (f"{ZHENJIANG} (zhenjiang-2024) and {copy} (zhenjiang-copy) are the same policy "
            "(same title and issuer)") in result.stderr  # fmt: skip


def test_the_same_id_twice_is_refused(run: Run, tmp_path: Path) -> None:
    one = small(tmp_path, "grants", title="甲")
    other = tmp_path / "other.toml"
    other.write_text(one.read_text(encoding="utf-8").replace('zh = "甲"', 'zh = "乙"'), "utf-8")
    result = run("calc", "--policy", str(one), "--policy", str(other))
    assert result.exit_code == 2
    assert f"policy id 'grants' is used by more than one file ({one}, {other})" in result.stderr
    again = run("calc", "--policy", "zhenjiang-2024", "--policy", str(ZHENJIANG))
    assert again.exit_code == 2 and "the same policy file is given twice" in again.stderr


def test_versions_of_one_family_are_not_copies(run: Run, tmp_path: Path) -> None:
    """Same title and issuer, but declared versions: chosen by date, never both counted."""
    first = small(tmp_path, "v1", f'family = "g"\n{EXPIRED}', title="同名")
    second = small(tmp_path, "v2", 'family = "g"\neffective_from = 2023-01-01', title="同名")
    data = calc_json(run, "--policy", str(first), "--policy", str(second), *RICH)
    assert data["policy"]["id"] == "v2" and data["total"] == "100000.00"
    alone = tmp_path / "v3.toml"  # no family: a copy of v2 under another id
    alone.write_text(second.read_text("utf-8").replace('id = "v2"', 'id = "v3"', 1), "utf-8")
    assert run("calc", "--policy", str(second), "--policy", str(alone)).exit_code == 2


def test_lint_with_warns_of_the_same_source_sentence(run: Run, tmp_path: Path) -> None:
    one = small(tmp_path, "one", title="甲")
    other = small(tmp_path, "other", title="乙")
    result = run("lint", str(one), "--with", str(other))
    assert result.exit_code == 0, result.output
    assert ("article grant quotes the same source sentence as other:grant in "
            f"{other}") in result.stderr  # fmt: skip
    assert result.stderr.startswith(f"subsidy: {one}:")
    different = small(tmp_path, "third", title="丙", source="营业收入100万元以上的，奖励20万元。")
    quiet = run("lint", str(one), "--with", str(different))
    assert quiet.exit_code == 0 and "same source sentence" not in quiet.stderr
    copy = tmp_path / "copy.toml"
    copy.write_text(one.read_text("utf-8").replace('id = "one"', 'id = "copy"', 1), "utf-8")
    refused = run("lint", str(one), "--with", str(copy))
    assert refused.exit_code == 2 and "are the same policy" in refused.stderr


# --- batch and summary -------------------------------------------------------------------------


def test_batch_and_summary_note_it_and_leave_it_out_of_the_total(run: Run, tmp_path: Path) -> None:
    old = small(tmp_path, "old", EXPIRED)
    current = small(tmp_path, "current", title="现行")
    rows = tmp_path / "in.jsonl"
    rows.write_text('{"revenue": "200万"}\n', encoding="utf-8")
    both = ("--policy", str(old), "--policy", str(current), "--date", "2024-06-01")
    result = run("batch", str(rows), *both)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["total"] == "100000.00"
    assert "Expired: Small grants old (old)" in result.stderr
    sheet = run("batch", str(rows), *both, "-f", "csv")
    head, line = sheet.stdout.splitlines()[:2]
    assert head.split(",") == ["line", "name", "total", "current:grant", "old:grant.not_in_force",
                               "error"]  # fmt: skip
    assert line.split(",")[2:5] == ["100000.00", "100000.00", "100000.00"]
    zh = run("batch", str(rows), *both, "-f", "csv", "--lang", "zh").stdout.splitlines()[0]
    assert zh.split(",")[4] == "营收奖励（不在有效期内）"
    summary = run("summary", str(rows), *both, "-f", "json")
    data = json.loads(summary.stdout)
    assert data["total"] == "100000.00"
    assert [(a["article"], a["amount"], a.get("in_force")) for a in data["articles"]] == [
        ("old:grant", "100000.00", False),
        ("current:grant", "100000.00", None),
    ]
    assert "Expired: Small grants old (old)" in summary.stderr
    table = run("summary", str(rows), *both, "-f", "markdown").stdout
    assert "| Revenue grant (old:grant) (not in force) |" in table
    assert "- Expired: Small grants old (old)" in table


# --- the bundled Liuhe policy (第26条: 2023-02-08 to 2026-02-07) --------------------------------


@pytest.mark.skipif(not LIUHE.exists(), reason="policies/liuhe-2023.toml is not bundled yet")
def test_liuhe_is_expired_today_and_in_force_in_2024(run: Run) -> None:
    profile = ("--set", "project_type=industrial", "--set", "fixed_asset_investment=2000万",
               "--set", "investment_per_mu=300万")  # fmt: skip
    today = calc_json(run, "--policy", "liuhe-2023", *profile)
    expired = dt.date.today() > dt.date(2026, 2, 7)
    assert today["policy"]["in_force"] is not expired
    assert (today["total"] == "0.00") is expired
    assert any(r["status"] == "eligible" and r["amount"] for r in today["results"])
    then = calc_json(run, "--policy", "liuhe-2023", *profile, "--date", "2024-06-01")
    assert then["policy"]["in_force"] is True and then["total"] != "0.00"
    assert then["receipt"]["evaluated_on"] == "2024-06-01"
    table = run("calc", "--policy", "liuhe-2023", *profile, "--lang", "zh", "--date", "2026-02-08")
    table = table.stdout
    assert "已失效" in table and "2026-02-07" in table
