"""`subsidy summary`: the population view, checked against the sum of calc's per-record results;
the what-if beside its baseline; bad records counted; memory flat however long the input."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import batch, engine, i18n, summary
from subsidycli import profile as profiles
from subsidycli.errors import ProfileError
from subsidycli.output.data import evaluation_dict
from subsidycli.policy import Policy, bundled_paths, load_policy
from subsidycli.render.summary import print_summary, summary_dict
from tests.conftest import Run, deterministic
from tests.test_batch_properties import BUNDLED, raw_profiles

CLIENTS = (
    "name,applicant_type,annual_rd_expense,deductible_rd_expense,jiebang_projects,gazelle_first\n"
    "甲,enterprise,1200万,1000万,1,是\n"
    "乙,enterprise,800万,,2,否\n"
    "丙,university,,,0,\n"
    "丁,enterprise,x,,,\n"
    "戊,enterprise,3000万,5000万,,是\n"
)


def expected(policy: Policy, raws: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary as the sum of calc's results, record by record (bad records left out)."""
    records = failed = 0
    total = Decimal(0)
    articles: dict[str, dict[str, Any]] = {
        a.id: {"eligible": 0, "needs_info": 0, "amount": Decimal(0)}
        for a in policy.articles
        if a.basis != "info"
    }
    for raw in raws:
        try:
            profile = profiles.parse_profile(raw, policy)
        except ProfileError:
            failed += 1
            continue
        records += 1
        calc = evaluation_dict(engine.evaluate(policy, profile))
        total += Decimal(calc["total"])
        for result in calc["results"]:
            if result["article"] not in articles:
                continue
            tally = articles[result["article"]]
            tally["eligible"] += result["status"] == "eligible"
            tally["needs_info"] += result["status"] == "needs_info"
            if result["status"] == "eligible" and result["amount"] is not None:
                tally["amount"] += Decimal(result["amount"])
    return {"records": records, "failed": failed, "total": total, "articles": articles}


def summarised(policy: Policy, raws: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    source = "".join(json.dumps(raw, ensure_ascii=False) + "\n" for raw in raws).encode()
    result = summary.summarise(policy, io.BytesIO(source), input_format="jsonl", **options)
    return summary_dict(result)


def agree(data: dict[str, Any], want: dict[str, Any], prefix: str = "") -> None:
    """A summary's JSON (its baseline side with `prefix`) equals the sum of calc's results."""
    assert data[prefix + "total" if prefix else "total"] == f"{want['total']:.2f}"
    for row in data["articles"]:
        tally = want["articles"][row["article"]]
        assert row[prefix + "eligible"] == tally["eligible"], row
        assert row[prefix + "needs_info"] == tally["needs_info"], row
        if row["basis"] != "unspecified":
            assert row[prefix + "amount"] == f"{tally['amount']:.2f}", row
    assert [r["article"] for r in data["articles"]] == list(want["articles"])


@deterministic(40)
@given(raws=st.lists(raw_profiles(BUNDLED), max_size=25))
def test_summary_is_the_sum_of_the_per_record_results(raws: list[dict[str, Any]]) -> None:
    data = summarised(BUNDLED, raws)
    want = expected(BUNDLED, raws)
    assert (data["records"], data["failed"]) == (want["records"], want["failed"])
    agree(data, want)
    assert list(data) == ["records", "failed", "total", "articles"]


WHAT_IFS = [
    {"rd-investment-subsidy.threshold": "500万", "rd-investment-subsidy.max": "30万"},
    {"jiebang-guashuai.cap": "min(deductible_rd_expense * 0.1, 800000)"},
    {"gazelle.when": "gazelle_first and annual_rd_expense >= 1000000"},
]
WHAT_IF_POLICIES = [load_policy(bundled_paths()[0], o) for o in WHAT_IFS]


@deterministic(30)
@given(raws=st.lists(raw_profiles(BUNDLED), max_size=20), which=st.integers(0, len(WHAT_IFS) - 1))
def test_a_what_if_is_beside_its_baseline(raws: list[dict[str, Any]], which: int) -> None:
    policy = WHAT_IF_POLICIES[which]
    data = summarised(policy, raws, baseline=BUNDLED)
    agree(data, expected(policy, raws))
    agree(data, expected(BUNDLED, raws), prefix="baseline_")
    assert Decimal(data["change"]) == Decimal(data["total"]) - Decimal(data["baseline_total"])
    for row in data["articles"]:
        if row["amount"] is not None:
            change = Decimal(row["amount"]) - Decimal(row["baseline_amount"])
            assert Decimal(row["change"]) == change


def test_summary_cli_counts_bad_records_and_exits_1(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "clients.csv"
    source.write_text(CLIENTS, encoding="utf-8")
    result = run("summary", str(source), "--format", "json")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"subsidy: {source}:5: annual_rd_expense: 'x' is not an amount (a non-negative amount "
        "in 元, e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿)"
    ]
    data = json.loads(result.stdout)
    assert (data["records"], data["failed"]) == (4, 1)
    rows = {r["article"]: r for r in data["articles"]}
    # 甲: 0.5% × 1000万 = 5万; 戊: 0.5% × 5000万 = 25万, capped at 20万; 乙 is under 1000万.
    assert rows["rd-investment-subsidy"] == {
        "article": "rd-investment-subsidy", "title": "R&D investment subsidy", "basis": "up_to",
        "eligible": 2, "needs_info": 0, "amount": "250000.00",
    }  # fmt: skip
    assert (rows["jiebang-guashuai"]["eligible"], rows["jiebang-guashuai"]["amount"]) == (
        2, "3000000.00"
    )  # fmt: skip
    assert rows["gazelle"]["eligible"] == 2 and rows["gazelle"]["needs_info"] == 0
    assert rows["basic-research-tax-deduction"]["tax_saving"] == "0.00"
    batch_out = run("batch", str(source), "--format", "csv")
    sheet = list(csv.DictReader(io.StringIO(batch_out.stdout)))
    assert [r["line"] for r in sheet if r["error"]] == ["5"]  # the bad record keeps its row
    totals = [Decimal(r["total"]) for r in sheet if not r["error"]]
    assert data["total"] == f"{sum(totals):.2f}"


def test_summary_what_if_in_every_format(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "clients.csv"
    source.write_text(CLIENTS, encoding="utf-8")
    what_if = ["--override", "rd-investment-subsidy.max=30万"]
    data = json.loads(run("summary", str(source), "-f", "json", *what_if).stdout)
    # 甲 125万 (揭榜 100万, 研发 5万, 瞪羚 20万), 乙 200万, 戊 40万 (研发 capped at 20万,
    # 瞪羚 20万); raising the cap to 30万 gives 戊 its 0.5% × 5000万 = 25万.
    assert (data["baseline_total"], data["total"], data["change"]) == (
        "3650000.00", "3700000.00", "50000.00"
    )  # fmt: skip
    rd = next(r for r in data["articles"] if r["article"] == "rd-investment-subsidy")
    assert (rd["baseline_amount"], rd["amount"], rd["change"]) == (
        "250000.00", "300000.00", "50000.00"
    )  # fmt: skip
    table = run("summary", str(source), *what_if).stdout
    assert "250,000.00" in table and "300,000.00" in table and "+50,000.00" in table
    assert "rd-investment-subsidy.max" in table  # the what-if is named
    markdown = run("summary", str(source), "-f", "markdown", "--lang", "zh", *what_if).stdout
    assert "| 研发投入补助 (rd-investment-subsidy) | 2 | 0 | 25.00 万元 | 30.00 万元 |" in markdown
    target = tmp_path / "summary.csv"
    assert run("summary", str(source), "-o", str(target), *what_if).exit_code == 1
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[-1]["article"] == "total" and rows[-1]["change"] == "50000.00"
    assert next(r for r in rows if r["article"] == "rd-investment-subsidy")["amount"] == "300000.00"


def test_summary_against_another_policy_file(run: Run, tmp_path: Path) -> None:
    """--baseline names the policy to compare with; articles only one side has show beside
    nothing on the other."""
    source = tmp_path / "clients.csv"
    source.write_text(CLIENTS, encoding="utf-8")
    draft = tmp_path / "draft.toml"
    text = bundled_paths()[0].read_text(encoding="utf-8")
    draft.write_text(text.replace('id = "gazelle"', 'id = "gazelle-2026"'), encoding="utf-8")
    result = run("summary", str(source), "-f", "json", "--policy", str(draft),
                 "--baseline", "zhenjiang-2024")  # fmt: skip
    data = json.loads(result.stdout)
    rows = {r["article"]: r for r in data["articles"]}
    assert rows["gazelle-2026"]["baseline_amount"] is None
    assert rows["gazelle"]["amount"] is None and rows["gazelle"]["baseline_amount"] == "400000.00"
    assert data["change"] == "0.00"


def _lines(n: int) -> Iterator[bytes]:
    for i in range(n):
        amount = f"{10_000_000 + i * 137}"  # a new amount each: the memo fills and is emptied
        yield json.dumps(
            {
                "name": f"c{i}",
                "annual_rd_expense": amount,
                "deductible_rd_expense": amount,
                "jiebang_projects": i % 3,
            }
        ).encode()
        yield b"\n"  # fmt: skip


class _Generated(io.RawIOBase):
    """A stream of n generated JSON lines that is never held in memory."""

    def __init__(self, n: int) -> None:
        self._pieces = _lines(n)
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._rest) < len(buffer):
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._rest += piece
        size = min(len(buffer), len(self._rest))
        buffer[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        return size


def _peak(policy: Policy, n: int) -> int:
    tracemalloc.start()
    try:
        result = summary.summarise(policy, io.BufferedReader(_Generated(n)), input_format="jsonl")
        assert result.records == n
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_summary_memory_is_flat(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten times the records, the same memory: records are added up as they stream past, and
    the memo is bounded (here to 50 results an article, so that it fills and empties within the
    smaller run)."""
    monkeypatch.setattr(batch, "MEMO_LIMIT", 50)
    small, large = _peak(policy, 1_000), _peak(policy, 10_000)
    assert large < small * 1.5, (small, large)


def test_summary_csv_speaks_chinese_under_zh(run: Run, tmp_path: Path) -> None:
    """As batch's sheets: ids in English for scripts, Chinese headings and words under zh."""
    source = tmp_path / "clients.csv"
    source.write_text(CLIENTS, encoding="utf-8")
    what_if = ["--override", "rd-investment-subsidy.max=30万"]
    text = run("summary", str(source), "-f", "csv", "--lang", "zh", *what_if).stdout
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:6] == ["条款编号", "条款", "方式", "可申报（家）", "待补充（家）", "金额（元）"]
    baseline = ["调整前可申报（家）", "调整前待补充（家）", "调整前金额（元）", "变化（元）"]
    assert rows[0][-4:] == baseline
    rd = next(r for r in rows if r[0] == "rd-investment-subsidy")
    assert rd[1:3] == ["研发投入补助", "最高"] and rd[5] == "300000.00"
    assert rows[-1][0] == "合计" and rows[-1][-1] == "50000.00"
    english = run("summary", str(source), "-f", "csv", *what_if).stdout
    assert english.lstrip("\ufeff").startswith("article,title,basis,eligible,needs_info,amount,")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_summary_table_fits_the_terminal_and_never_breaks_an_id(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(i18n, "_lang", "zh")
    result = summary.summarise(policy, io.BytesIO(CLIENTS.encode()), input_format="csv")
    terminal = _Terminal()
    print_summary(result, terminal)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in terminal.getvalue().splitlines()]
    assert max(map(cell_len, lines)) <= columns
    for tally in result.tally.articles:  # each id whole on a line: never folded
        assert any(re.search(rf"[ (]{re.escape(tally.article.id)}[ )]", line) for line in lines)
    one_line = "公共服务平台绩效优秀支持 (public-service-platform-excellent)"
    assert (one_line in "\n".join(lines)) is (columns == 120)
