"""`summary --sweep ARTICLE.KEY=…`: the cost curve of one number, in one read of the input.

Each point must equal what a separate `summary --override ARTICLE.KEY=VALUE` says (on the Python
engine, the reference), whichever engine runs the sweep; the values are read as --override reads
them; a wrong option is refused in one line, in English and in Chinese."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from subsidycli import sweep as sweeps
from subsidycli.policy import Policy
from tests.conftest import Run

# Enterprises around the R&D subsidy's threshold (1000万) and cap (0.5% reaches 20万 at 4000万),
# one that needs information, one a university, one with a bad amount (left out, counted).
ROWS = [
    ("甲", "enterprise", "1200万", "1000万", "1"),
    ("乙", "企业", "900万", "900万", "0"),
    ("丙", "enterprise", "5000万", "4500万", ""),
    ("丁", "enterprise", "", "3000万", "2"),
    ("戊", "university", "2000万", "2000万", "1"),
    ("己", "enterprise", "1000万", "", "0"),
    ("庚", "enterprise", "8000万", "7000万", "1"),
    ("辛", "enterprise", "x", "100万", "0"),
    ("壬", "enterprise", "3000万", "2999.99万", "3"),
]
MAX = "rd-investment-subsidy.max"


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    lines = ["name,applicant_type,annual_rd_expense,deductible_rd_expense,jiebang_projects"]
    lines += [",".join(row) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json(run: Run, *args: str, status: int = 1) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == status, result.output  # 1: the bad record of the sheet
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _point_of(summary: dict[str, Any], article: str) -> dict[str, Any]:
    row = next(r for r in summary["articles"] if r["article"] == article)
    return {"eligible": row["eligible"], "needs_info": row["needs_info"],
            "amount": row["amount"], "total": summary["total"]}  # fmt: skip


@pytest.mark.parametrize("engine", ["duckdb", "python"])
@pytest.mark.parametrize(
    ("key", "values", "plain"),
    [
        (MAX, "10万,20万,35万", ["100000.00", "200000.00", "350000.00"]),
        ("rd-investment-subsidy.rate", "0.5%,1%,2.5%", ["0.005", "0.01", "0.025"]),
        ("rd-investment-subsidy.threshold", "500万..3000万/1250万",
         ["5000000.00", "17500000.00", "30000000.00"]),
        ("jiebang-guashuai.per_item", "50万,100万", ["500000.00", "1000000.00"]),
        ("rd-investment-subsidy.cap", "5万,15万", ["50000.00", "150000.00"]),
    ],
)  # fmt: skip
def test_a_sweep_equals_one_override_run_per_value(
    run: Run, clients: Path, engine: str, key: str, values: str, plain: list[str]
) -> None:
    data = _json(run, "summary", str(clients), "--sweep", f"{key}={values}", "-f", "json",
                 "--engine", engine)  # fmt: skip
    article = key.rpartition(".")[0]
    sweep = data.pop("sweep")
    assert (sweep["article"], sweep["key"]) == (article, key.rpartition(".")[2])
    assert [p["value"] for p in sweep["points"]] == plain
    for point, value in zip(sweep["points"], plain, strict=True):
        alone = _json(run, "summary", str(clients), "--override", f"{key}={value}", "-f",
                      "json", "--engine", "python")  # fmt: skip
        assert {k: point[k] for k in ("eligible", "needs_info", "amount", "total")} == _point_of(
            alone, article
        ), value
    # Beside the curve, the summary of the policy as it stands, as `summary` alone gives it.
    assert data == _json(run, "summary", str(clients), "-f", "json", "--engine", "python")


def test_the_curve_moves_with_the_value(run: Run, clients: Path) -> None:
    """Not the same number every time: a higher cap pays more, up to where no one reaches it."""
    data = _json(run, "summary", str(clients), "--sweep", f"{MAX}=5万..40万/5万", "-f", "json")
    amounts = [Decimal(p["amount"]) for p in data["sweep"]["points"]]
    assert amounts == sorted(amounts) and amounts[0] < amounts[-1]
    assert [p["current"] for p in data["sweep"]["points"]].count(True) == 1  # 20万, the policy's
    assert data["sweep"]["current"] == "200000.00"


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_a_sweep_goes_on_top_of_the_overrides(run: Run, clients: Path, engine: str) -> None:
    rate = ("--override", "rd-investment-subsidy.rate=1%")
    data = _json(run, "summary", str(clients), *rate, "--sweep", f"{MAX}=10万,30万", "-f", "json",
                 "--engine", engine)  # fmt: skip
    assert data["baseline_total"] != data["total"]  # the what-if beside its baseline, as before
    for point, value in zip(data["sweep"]["points"], ("10万", "30万"), strict=True):
        alone = _json(run, "summary", str(clients), *rate, "--override", f"{MAX}={value}", "-f",
                      "json", "--engine", "python")  # fmt: skip
        assert point["total"] == alone["total"] and point["amount"] == _point_of(
            alone, "rd-investment-subsidy")["amount"]  # fmt: skip


def test_the_range_form(policy: Policy) -> None:
    def values(spec: str) -> list[str]:
        found = sweeps.plan(policy, spec)
        return [sweeps.value_text(found.kind, v) for v in found.values]

    assert values(f"{MAX}=10万..50万/10万") == ["10万", "20万", "30万", "40万", "50万"]
    assert values(f"{MAX}=10万..45万/10万") == ["10万", "20万", "30万", "40万"]  # 50万 is past it
    assert values(f"{MAX}=100000..300000/100000") == ["10万", "20万", "30万"]
    assert values(f"{MAX}=20万..20万/1万") == ["20万"]
    assert values("rd-investment-subsidy.rate=0.5%..2%/0.5%") == ["0.5%", "1%", "1.5%", "2%"]
    assert values(f"{MAX}=30万,10万，10万、20万") == ["10万", "20万", "30万"]  # sorted, each once
    assert len(sweeps.plan(policy, f"{MAX}=1万..200万/1万").values) == sweeps.MAX_VALUES


ERRORS = [
    ("rd-investmnt-subsidy.max=10万", "no article 'rd-investmnt-subsidy' (did you mean "
     "rd-investment-subsidy?)", "没有条款 'rd-investmnt-subsidy'"),
    ("rd-investment-subsidy.when=1,2", "'when' is not a number of the article; it has: "
     "threshold, rate, max, amount, cap", "'when' 不是该条款的数值"),
    (f"{MAX}=50万..10万/10万", "the range runs downward", "范围是从大到小的"),
    (f"{MAX}=10万..50万/0", "the step must be above zero", "步长必须大于 0"),
    (f"{MAX}=1万..1000万/1万", "1,000 values; a sweep takes at most 200", "共 1,000 个取值"),
    (f"{MAX}=10万..50万", "'10万..50万' is not an amount", "10万..50万"),
    (f"{MAX}=", "no value given", "没有给出取值"),
    (f"{MAX}=10万,,20万", "an empty value between commas", "逗号之间有空的取值"),
    (f"{MAX}=lots", "is an amount of money (20万) and stays one", "lots"),
    ("rd-investment-subsidy.rate=50%,150%", "'150%' is not between 0 and 1", "150%"),
    ("max=10万", "expected ARTICLE.KEY=V1,V2,… or ARTICLE.KEY=FROM..TO/STEP", "条款.名称=值1,值2"),
]  # fmt: skip


@pytest.mark.parametrize(("option", "english", "chinese"), ERRORS)
def test_a_wrong_sweep_is_refused_in_one_line(
    run: Run, clients: Path, option: str, english: str, chinese: str
) -> None:
    for lang, said in (("en", english), ("zh", chinese)):
        result = run("summary", str(clients), "--sweep", option, "--lang", lang)
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("subsidy: --sweep "), result.stderr
        assert said in lines[0], lines[0]
        assert result.stdout == ""


def test_a_key_swept_and_overridden_is_refused(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "--override", f"{MAX}=30万", "--sweep", f"{MAX}=1万,2万")
    assert result.exit_code == 2
    assert result.stderr == (f"subsidy: --sweep {MAX}: {MAX} is also given to --override; give "
                             "it to one of them\n")  # fmt: skip


def test_a_tiered_articles_amount_is_no_number_to_sweep(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "--policy", "liuhe-2023", "--sweep",
                 "fixed-asset-agriculture.amount=1万,2万")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "subsidy: --sweep fixed-asset-agriculture.amount: 'amount' is not a number of the "
        "article; it has: floor, t2, t3, r1, r2, r3"
    )


def test_the_html_has_one_point_per_value_and_no_script(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "--sweep", f"{MAX}=5万..40万/5万", "-f", "html")
    assert result.exit_code == 1, result.output
    page = result.stdout
    svg = page[page.index('<svg class="chart"') : page.index("</svg>", page.index("<svg class"))]
    assert len(re.findall(r'<circle class="point"', svg)) == 8
    assert "<script" not in page.lower() and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # fmt: skip
    assert "(万元)" in svg  # the amount axis says its unit
    assert "max (万元)" in svg  # so does the axis of the values
    assert page.count('<tr class="current">') == 1  # the policy's own value, marked


def test_the_html_in_chinese_and_by_suffix(run: Run, clients: Path, tmp_path: Path) -> None:
    page = tmp_path / "curve.html"
    result = run("summary", str(clients), "--sweep", f"{MAX}=10万,20万", "-o", str(page),
                 "--lang", "zh")  # fmt: skip
    assert result.exit_code == 1, result.output
    text = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "本条合计（万元）" in text and "20万（现行）" in text


def test_html_without_a_sweep_is_refused(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "-f", "html")
    assert result.exit_code == 2
    assert "give --sweep" in result.stderr


def test_the_csv_has_one_row_per_value(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "--sweep", f"{MAX}=10万..30万/10万", "-f", "csv")
    assert result.exit_code == 1, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["value", "eligible", "needs_info", "amount", "total", "current"]
    assert [r[0] for r in rows[1:]] == ["100000.00", "200000.00", "300000.00"]
    assert [r[5] for r in rows[1:]] == ["false", "true", "false"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_table_fits_80_columns(run: Run, clients: Path, lang: str) -> None:
    result = run("summary", str(clients), "--sweep", "rd-investment-subsidy.threshold=500万.."
                 "5000万/500万", "--lang", lang)  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert max(map(cell_len, lines)) <= 80, result.stdout
    for wan in range(500, 5001, 500):  # one row per value
        assert sum(line.startswith(f"│ {wan}万") for line in lines) == 1, (wan, result.stdout)
    current = "1000万 (current)" if lang == "en" else "1000万（现行）"
    assert sum(current in line for line in lines) == 1, result.stdout


def test_markdown(run: Run, clients: Path) -> None:
    result = run("summary", str(clients), "--sweep", f"{MAX}=10万,20万", "-f", "markdown")
    assert result.exit_code == 1, result.output
    assert "| 10万 |" in result.stdout and "| 20万 (current) |" in result.stdout


def test_the_contract_names_the_sweeps_keys_and_columns(run: Run, clients: Path) -> None:
    from tests.test_contract_doc import section

    text = " ".join(section("Populations: sweeps, engines, Parquet, SQL").split())
    found = re.search(r'"sweep": \{(.*?)"points": \[\{(.*?)\}', text)
    assert found is not None, text
    data = _json(run, "summary", str(clients), "--sweep", f"{MAX}=10万,20万", "-f", "json")
    assert [*re.findall(r'"(\w+)"', found.group(1)), "points"] == list(data["sweep"])
    assert re.findall(r'"(\w+)"', found.group(2)) == list(data["sweep"]["points"][0])
    columns = re.search(r"columns `([^`]+)`", text)
    assert columns is not None
    sheet = run("summary", str(clients), "--sweep", f"{MAX}=10万", "-f", "csv").stdout
    assert sheet.splitlines()[0] == columns.group(1).replace(" ", "")


SAME_NUMBER = [  # the --override as written, the --sweep as written: one number both ways
    ("研发投入补助.max", MAX),
    (MAX, "研发投入补助.max"),
    ("R&D investment subsidy.max", MAX),
    (MAX, "R&D investment subsidy.max"),
]
SAID = {
    "en": "subsidy: --sweep {sweep}: {override} is also given to --override; give it to one of "
    "them\n",
    "zh": "subsidy: --sweep {sweep}：{override} 也出现在 --override 中；只能交给其中一个\n",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("override", "swept"), SAME_NUMBER)
def test_one_number_overridden_and_swept_by_title_and_id_is_refused(
    run: Run, clients: Path, override: str, swept: str, lang: str
) -> None:
    result = run("summary", str(clients), "--override", f"{override}=1万", "--sweep",
                 f"{swept}=10万,20万", "--lang", lang)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr == SAID[lang].format(sweep=swept, override=override)
    assert result.stdout == ""


def test_another_number_of_the_same_article_may_be_overridden(run: Run, clients: Path) -> None:
    data = _json(run, "summary", str(clients), "--override", "研发投入补助.rate=1%", "--sweep",
                 f"{MAX}=10万,20万", "-f", "json")  # fmt: skip
    assert [p["value"] for p in data["sweep"]["points"]] == ["100000.00", "200000.00"]


AMOUNT = re.compile(r"(-?\d[\d,]*\.\d\d) ?(万元|元)")


def _units(text: str) -> set[str]:
    return {m.group(2) for m in AMOUNT.finditer(" ".join(text.split()))}


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_sweep_shows_元_throughout_when_a_sum_has_fen_万元_would_drop(
    run: Run, clients: Path, fmt: str
) -> None:
    """壬's subsidy is 0.5% of 2999.99万 = 149,999.50 元: no two decimals of 万元 show it, so
    every amount of the view is in 元, the round ones too (10万: 350,000.00 元, not 35.00 万元)."""
    result = run("summary", str(clients), "--sweep", f"{MAX}=10万,20万", "-f", fmt, "--lang", "zh")
    assert result.exit_code == 1, result.output
    assert _units(result.stdout) == {"元"}, result.stdout
    text = " ".join(result.stdout.split())
    assert "350,000.00 元" in text and "599,999.50 元" in text, result.stdout
    if fmt == "table":
        assert max(map(cell_len, result.stdout.splitlines())) <= 80, result.stdout


def test_a_sweep_shows_万元_throughout_when_each_amount_is_whole(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "round.csv"
    lines = ["name,applicant_type,annual_rd_expense,deductible_rd_expense,jiebang_projects"]
    lines += [",".join(row) for row in ROWS if row[0] not in ("壬", "辛")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("summary", str(path), "--sweep", f"{MAX}=10万,20万", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert _units(result.stdout) == {"万元"}, result.stdout


def test_the_sweep_title_keeps_the_id_whole_at_80_columns(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "generic.csv"
    path.write_text("name,完成仿制药一致性评价的品种数（个）\n甲,2\n", encoding="utf-8")
    result = run("summary", str(path), "-p", "liuhe-2023", "--date", "2024-06-01", "--sweep",
                 "generic-consistency.per_item=100万,300万", "--lang", "zh")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(cell_len, lines)) <= 80, result.stdout
    assert any("generic-consistency.per_item" in line for line in lines), result.stdout
    title = lines[: next(n for n, line in enumerate(lines) if line.startswith("┏"))]
    whole = "参数测算：仿制药一致性评价奖励（单品种最高300万元）（generic-consistency.per_item）"
    assert "".join(title) == whole, result.stdout
