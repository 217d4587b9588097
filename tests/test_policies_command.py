"""`subsidy policies`: the bundled policies and those given with --policy, whether each is in
force; and `subsidy articles --format json`'s source sentences, which batch's lean records
leave out on the promise that `articles` has them (docs/contract.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidycli.policy import bundled_paths, load_policy
from tests.conftest import Run

KEYS = {"id", "title", "issuer", "region", "issue_date", "effective_from", "effective_to",
        "family", "status", "articles", "file"}  # fmt: skip


def listed(run: Run, *args: str) -> dict[str, dict]:
    result = run("policies", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_every_bundled_policy_is_listed_with_its_articles(run: Run) -> None:
    rows = listed(run)
    bundled = [load_policy(path) for path in bundled_paths()]
    assert list(rows) == [p.id for p in bundled]  # the default first
    for p in bundled:
        row = rows[p.id]
        assert set(row) == KEYS
        assert row["articles"] == len(p.articles)
        assert row["title"] == p.title["en"]
    zhenjiang = rows["zhenjiang-2024"]
    assert zhenjiang["status"] == "not_stated"  # the source says only 近期印发
    assert zhenjiang["issuer"] == (
        "CPC Zhenjiang Municipal Committee and Zhenjiang Municipal People's Government"
    )
    assert zhenjiang["region"] == "Zhenjiang" and zhenjiang["effective_from"] is None


def test_the_status_follows_the_date(run: Run) -> None:
    if "liuhe-2023" not in listed(run):
        pytest.skip("policies/liuhe-2023.toml is not bundled yet (the next test covers dates)")
    assert listed(run, "--date", "2024-06-01")["liuhe-2023"]["status"] == "in_force"
    assert listed(run, "--date", "2026-02-08")["liuhe-2023"]["status"] == "expired"
    assert listed(run, "--date", "2023-02-07")["liuhe-2023"]["status"] == "not_yet"


def test_a_policy_given_with_policy_is_listed_too(run: Run, tmp_path: Path) -> None:
    text = bundled_paths()[0].read_text(encoding="utf-8")
    path = tmp_path / "city.toml"
    path.write_text(text.replace('id = "zhenjiang-2024"', 'id = "city-2020"\n'
                                 "effective_from = 2020-01-01\neffective_to = 2022-12-31", 1),
                    encoding="utf-8")  # fmt: skip
    rows = listed(run, "--policy", str(path), "--date", "2021-06-30")
    assert rows["city-2020"]["status"] == "in_force"
    assert (rows["city-2020"]["effective_from"], rows["city-2020"]["effective_to"]) == (
        "2020-01-01",
        "2022-12-31",
    )
    assert listed(run, "--policy", str(path), "--date", "2023-01-01")["city-2020"]["status"] == (
        "expired"
    )
    assert listed(run, "--policy", str(path), "--date", "2019-12-31")["city-2020"]["status"] == (
        "not_yet"
    )
    # A bundled policy named again is listed once.
    assert list(listed(run, "--policy", "zhenjiang-2024")).count("zhenjiang-2024") == 1


def test_the_table_says_it_in_words(run: Run, tmp_path: Path) -> None:
    result = run("policies", "--date", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert "zhenjiang-2024" in result.stdout and "dates not stated" in result.stdout
    assert "On 2025-01-01" in result.stdout
    chinese = run("policies", "--lang", "zh").stdout
    assert "未载明施行日期" in chinese and "镇江市" in chinese


def test_a_policy_that_cannot_be_read_is_an_error(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy\n", encoding="utf-8")
    result = run("policies", "--policy", str(bad))
    assert result.exit_code == 2 and str(bad) in result.stderr and result.stdout == ""


def test_articles_json_gives_each_source_sentence(run: Run) -> None:
    policy = load_policy(bundled_paths()[0])
    result = run("articles", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["source"] for r in rows] == [a.source for a in policy.articles]
    rd = next(r for r in rows if r["id"] == "rd-investment-subsidy")
    assert rd["source"].startswith("鼓励企业建立研发准备金制度")
