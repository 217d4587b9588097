"""`subsidy batch`: JSON Lines and CSV in and out, lean and explained records, bad records, order,
atomic output. (Batch against calc on generated profiles and policies: test_batch_properties.py.)"""

from __future__ import annotations

import csv
import io
import json
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from subsidycli import batch, engine
from subsidycli.output.cells import csv_text
from subsidycli.policy import Policy
from tests.conftest import ROOT, Run, batch_in_flight

EXAMPLE = json.loads((ROOT / "examples" / "enterprise.json").read_text(encoding="utf-8"))
PROFILES = [
    EXAMPLE,
    {"name": "甲大学", "applicant_type": "university", "basic_science_center_approved": True},
    {"annual_rd_expense": "800万", "deductible_rd_expense": "700万"},
    {"name": 'A, "quoted" Ltd', "jiebang_projects": 2, "gazelle_first": "是"},
    {},
]


def jsonl(*profiles: Any) -> str:
    return "".join(
        (p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)) + "\n" for p in profiles
    )


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def sheet_ids(policy: Policy) -> list[str]:
    """A batch sheet's columns: line, name, total, the cash articles, the tax items' two."""
    cash = [a.id for a in policy.articles if a.basis in ("up_to", "exact")]
    tax = [a.id for a in policy.articles if a.basis == "tax_deduction"]
    return [
        "line",
        "name",
        "total",
        *cash,
        *(f"{t}.{p}" for t in tax for p in ("deduction", "tax_saving")),
        "error",
    ]


def done(written: int, failed: int, where: str = "stdout") -> str:
    """The last line batch writes on stderr."""
    return f"subsidy: records written: {written}, failed: {failed}; output: {where}"


def problems(result: Any) -> list[str]:
    """The lines of stderr before batch's last line, which must be there."""
    lines: list[str] = result.stderr.splitlines()
    assert lines and lines[-1].startswith("subsidy: records written: "), result.stderr
    return lines[:-1]


LEAN_KEYS = ("article", "status", "amount", "cap", "missing", "tax_saving", "count", "gap")


def lean(line: int, calc: dict[str, Any]) -> dict[str, Any]:
    """docs/contract.md's lean batch record, cut from calc's output for the same profile:
    the articles with an amount, each with the keys a script needs and no words."""
    results = [
        {key: r[key] for key in LEAN_KEYS if key in r}
        for r in calc["results"] if r["basis"] != "info"
    ]  # fmt: skip
    return {"line": line, "name": calc["name"], "total": calc["total"],
            "missing": calc["missing"], "results": results}  # fmt: skip


def explained(line: int, calc: dict[str, Any]) -> dict[str, Any]:
    """The record `--explain` gives: the lean envelope around calc's full results."""
    return {**lean(line, calc), "results": calc["results"]}


# --- JSON Lines ------------------------------------------------------------------------------


def test_jsonl_records_agree_with_calc_record_for_record(run: Run, calc_json: Any) -> None:
    result = run("batch", "-", input=jsonl(*PROFILES))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [done(5, 0)]
    out = records(result.stdout)
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5]
    for i, (record, profile) in enumerate(zip(out, PROFILES, strict=True), start=1):
        assert list(record) == ["line", "name", "total", "missing", "results"]
        assert record == lean(i, calc_json(profile))
    assert out[0]["name"] == "镇江示例智能装备有限公司" and out[0]["total"] == "3785000.00"
    assert out[4]["name"] is None
    voucher = next(r for r in out[0]["results"] if r["article"] == "innovation-voucher")
    assert voucher == {"article": "innovation-voucher", "status": "eligible",
                       "amount": "135000.00", "cap": "200000.00", "missing": []}  # fmt: skip
    below = next(r for r in out[2]["results"] if r["article"] == "rd-investment-subsidy")
    assert below["gap"][0]["short_by"] == "2000000.00"  # 800万 of 1000万


def test_explain_gives_calc_s_full_results(run: Run, calc_json: Any) -> None:
    result = run("batch", "-", "--explain", input=jsonl(*PROFILES))
    assert result.exit_code == 0, result.output
    out = records(result.stdout)
    for i, (record, profile) in enumerate(zip(out, PROFILES, strict=True), start=1):
        assert record == explained(i, calc_json(profile))
    assert "揭榜挂帅" in out[0]["results"][0]["source"]  # the article's words are there
    lean_size = len(run("batch", "-", input=jsonl(*PROFILES)).stdout)
    assert lean_size * 3 < len(result.stdout)  # lean records leave the words out


def test_jsonl_file_in_chinese(run: Run, tmp_path: Path, calc_json: Any) -> None:
    source = tmp_path / "clients.jsonl"
    source.write_text(jsonl(PROFILES[2]), encoding="utf-8")
    out = records(run("batch", str(source), "--lang", "zh", "--explain").stdout)
    assert out[0] == explained(1, calc_json(PROFILES[2], "--lang", "zh"))
    assert "研发" in out[0]["results"][0]["title"] + json.dumps(out, ensure_ascii=False)
    gap = records(run("batch", str(source), "--lang", "zh").stdout)[0]["results"]
    texts = [g["text"] for r in gap for g in r.get("gap", [])]
    assert texts and all("万" in text or "元" in text for text in texts), texts


def test_blank_lines_are_skipped_and_lines_keep_their_numbers(run: Run) -> None:
    text = "\n" + jsonl(PROFILES[2]) + "   \n\n" + jsonl(PROFILES[3])
    result = run("batch", "-", input=text)
    assert result.exit_code == 0, result.output
    assert [r["line"] for r in records(result.stdout)] == [2, 5]


def test_assume_no_treats_unanswered_fields_as_no(run: Run, calc_json: Any) -> None:
    # Each profile after another: a field left out and one given as no share cached results.
    given_no = {**PROFILES[3], "gazelle_first": False, "high_tech_enterprise": "否"}
    profiles = [PROFILES[3], given_no, *PROFILES, PROFILES[3]]
    out = records(run("batch", "-", "--assume-no", input=jsonl(*profiles)).stdout)
    assert out[0]["missing"] == []
    for i, (record, profile) in enumerate(zip(out, profiles, strict=True), start=1):
        assert record == lean(i, calc_json(profile, "--assume-no"))


# --- Bad records -----------------------------------------------------------------------------


def test_bad_records_are_reported_by_line_and_the_good_ones_still_written(run: Run) -> None:
    text = jsonl(
        PROFILES[2],
        '{"annual_rd_expense": "-5"}',
        '{"annual_rd_expens": 1}',
        "{broken",
        "[1, 2]",
        PROFILES[3],
        '{"jiebang_projects": 1.5, "gazelle_first": "maybe"}',
    )
    result = run("batch", "-", input=text)
    assert result.exit_code == 1, result.output
    assert [r["line"] for r in records(result.stdout)] == [1, 6]
    assert result.stderr.splitlines()[-1] == done(2, 5)
    errors = problems(result)
    assert errors[0].startswith("subsidy: <stdin>:2: annual_rd_expense: '-5' is negative")
    assert errors[1] == ("subsidy: <stdin>:3: annual_rd_expens: unknown field "
                         "(did you mean annual_rd_expense?)")  # fmt: skip
    assert errors[2].startswith("subsidy: <stdin>:4: column 2: invalid JSON")
    assert errors[3].startswith("subsidy: <stdin>:5: a profile is a JSON object")
    assert errors[4].startswith("subsidy: <stdin>:7: jiebang_projects:")  # every problem of a line
    assert errors[5].startswith("subsidy: <stdin>:7: gazelle_first:")
    assert len(errors) == 6
    assert "Traceback" not in result.output


def test_fail_fast_stops_at_the_first_bad_record(run: Run) -> None:
    text = jsonl(PROFILES[2], '{"annual_rd_expense": "x"}', PROFILES[3], "{broken")
    result = run("batch", "-", "--fail-fast", input=text)
    assert result.exit_code == 1
    assert [r["line"] for r in records(result.stdout)] == [1]
    assert result.stderr.splitlines() == [
        "subsidy: <stdin>:2: annual_rd_expense: 'x' is not an amount (a non-negative amount in 元, "
        "e.g. 12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿)",
        done(1, 1),
    ]


def test_not_utf8_and_too_long_lines_are_bad_records(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE", 200)
    source = tmp_path / "p.jsonl"
    long = json.dumps({"name": "x" * 500})
    source.write_bytes(jsonl(PROFILES[3]).encode() + b'{"name": "\xff"}\n' + long.encode() + b"\n"
                       + jsonl(PROFILES[2]).encode())  # fmt: skip
    result = run("batch", str(source))
    assert result.exit_code == 1
    assert [r["line"] for r in records(result.stdout)] == [1, 4]
    assert ":2: is not UTF-8 text" in result.stderr
    assert ":3: is longer than" in result.stderr


# --- Command problems: exit 2, nothing written -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "missing.jsonl"], "missing.jsonl: no such file"),
        (["batch", "profiles.xml"], "add --input-format jsonl, csv, xlsx or parquet"),
        (["batch", "old.xls"], "old.xls: is an old Excel workbook (.xls): save it as .xlsx"),
        (["batch", "-"], "<stdin>: is empty: it holds no record"),
        (["batch", "-", "--jobs", "0"], "Invalid value for '--jobs'"),
        (["batch", "-", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_command_problems_exit_2(run: Run, args: list[str], message: str) -> None:
    result = run(*args, input="")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_utf16_input_is_a_command_problem(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "p.jsonl"
    source.write_bytes(jsonl(PROFILES[2]).encode("utf-16"))
    result = run("batch", str(source))
    assert result.exit_code == 2
    assert ":1: is UTF-16; save it as UTF-8" in result.stderr


# --- CSV -------------------------------------------------------------------------------------

CSV_IN = (
    "name,applicant_type,annual_rd_expense,deductible_rd_expense,high_tech_enterprise,"
    "gazelle_first,jiebang_projects,university_cooperation_expense\r\n"
    '镇江甲公司,enterprise,1200万,"10,000,000",是,yes,1,¥450000.00\r\n'
    '"B, Ltd",,800万,,否,0,0,\r\n'
    "乙大学,university,,,,,2,\r\n"
)


def test_csv_in_csv_out_opens_as_a_sheet(run: Run, policy: Policy, calc_json: Any) -> None:
    result = run("batch", "-", "--input-format", "csv", "--format", "csv", input=CSV_IN)
    assert result.exit_code == 0, result.output
    assert not result.stdout.startswith("\ufeff")  # a BOM only in files
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == sheet_ids(policy)
    assert [(r["line"], r["name"]) for r in rows] == [
        ("2", "镇江甲公司"), ("3", "B, Ltd"), ("4", "乙大学")
    ]  # fmt: skip
    first = calc_json({"name": "镇江甲公司", "annual_rd_expense": "1200万",
                       "deductible_rd_expense": "1000万", "high_tech_enterprise": True,
                       "gazelle_first": True, "jiebang_projects": 1,
                       "university_cooperation_expense": "45万"})  # fmt: skip
    assert rows[0]["total"] == first["total"] == "1385000.00"
    amounts = {r["article"]: r["amount"] or "" for r in first["results"]
               if r["basis"] in ("up_to", "exact")}  # fmt: skip
    assert {k: rows[0][k] for k in amounts} == amounts
    cash = sum(Decimal(rows[0][k] or 0) for k in amounts)
    assert cash == Decimal(rows[0]["total"])  # the cash columns add up to the total
    tax = "basic-research-tax-deduction"
    assert (rows[0][f"{tax}.deduction"], rows[0][f"{tax}.tax_saving"]) == ("", "")  # unknown
    assert rows[0]["rd-investment-subsidy"] == "50000.00"
    assert rows[0]["innovation-voucher"] == "135000.00"
    assert rows[1]["rd-investment-subsidy"] == "0.00"  # 800万 is under the threshold
    assert rows[2]["jiebang-guashuai"] == "2000000.00" and rows[2]["gazelle"] == "0.00"
    assert rows[2]["basic-science-center"] == ""  # unknown: needs an answer


def test_csv_to_jsonl_agrees_with_calc(run: Run, calc_json: Any, tmp_path: Path) -> None:
    source = tmp_path / "clients.csv"
    source.write_text("\ufeff" + CSV_IN, encoding="utf-8")  # as Excel saves it
    out = records(run("batch", str(source), "--format", "jsonl").stdout)
    expected = calc_json({"name": "B, Ltd", "annual_rd_expense": "800万",
                          "high_tech_enterprise": False, "gazelle_first": False,
                          "jiebang_projects": 0})  # fmt: skip
    assert out[1] == lean(3, expected)


def test_csv_file_output_starts_with_a_bom(run: Run, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(CSV_IN, encoding="utf-8")
    result = run("batch", str(source), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfline,name,total,")
    assert "镇江甲公司" in data.decode("utf-8-sig")
    as_jsonl = tmp_path / "out.jsonl"
    assert run("batch", str(source), "-o", str(as_jsonl)).exit_code == 0  # format from suffix
    assert as_jsonl.read_bytes().startswith(b'{"line":2,')


def test_csv_bad_rows_and_multiline_cells_keep_line_numbers(run: Run) -> None:
    text = (
        "name,annual_rd_expense,gazelle_first\n"
        "first,100万,否\n"  # line 2
        '"two\nlines",100万,否\n'  # lines 3-4: a name is one line
        "bad,-1,否\n"  # line 5
        "short,1\n"  # line 6
        'ok,"1,000",1\n'  # line 7
    )
    result = run("batch", "-", "-i", "csv", "-f", "jsonl", input=text)
    assert result.exit_code == 1
    out = records(result.stdout)
    assert [(r["line"], r["name"]) for r in out] == [(2, "first"), (7, "ok")]
    errors = problems(result)
    assert errors[0].startswith("subsidy: <stdin>:3: name:")
    assert errors[1].startswith("subsidy: <stdin>:5: annual_rd_expense: '-1' is negative")
    assert errors[2] == "subsidy: <stdin>:6: has 2 cells; the header (line 1) has 3"
    assert len(errors) == 3


def test_a_column_that_names_no_field_is_ignored_with_a_warning_or_refused_strictly(
    run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous", encoding="utf-8")
    text = "name,annual_rd_expens,备注\nx,1,重点\ny,2,\n"
    warned = run("batch", "-", "-i", "csv", "-f", "jsonl", input=text)
    assert warned.exit_code == 0, warned.output
    assert [(r["line"], r["name"]) for r in records(warned.stdout)] == [(2, "x"), (3, "y")]
    assert problems(warned) == [
        "subsidy: <stdin>:1: ignored columns that name no field: annual_rd_expens (did you mean "
        "annual_rd_expense?), 备注 (--strict makes this an error)"
    ]
    strict = run("batch", "-", "-i", "csv", "-o", str(target), "--strict", input=text)
    assert strict.exit_code == 2
    assert strict.stderr == (
        "subsidy: <stdin>:1: --strict: columns that name no field: annual_rd_expens (did you mean "
        "annual_rd_expense?), 备注\n"
    )
    assert target.read_text(encoding="utf-8") == "previous"
    header_only = run("batch", "-", "-i", "csv", "-f", "csv", input="annual_rd_expens\n")
    assert header_only.exit_code == 2 and header_only.stdout == ""
    assert "<stdin>:1: the header names no field" in header_only.stderr


def test_an_input_without_records_is_never_a_silent_success(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    for text, fmt in [("", "jsonl"), ("\n\n", "jsonl"), ("name,gazelle_first\r\n", "csv"),
                      ("单位名称\r\n,\r\n", "csv")]:  # fmt: skip
        result = run("batch", "-", "-i", fmt, "-o", str(target), input=text)
        assert result.exit_code == 2, (text, result.output)
        assert result.stderr == (  # nothing at all is said as such
            "subsidy: <stdin>: is empty: it holds no record\n" if not text else
            "subsidy: <stdin>: holds no record (it is empty, or a header without rows)\n"
        )  # fmt: skip
        assert not target.exists()  # no file holding a header alone


def test_csv_quoting_is_the_csv_modules() -> None:
    for text in ["plain", "a,b", 'say "hi"', "two\nlines", "cr\r", "", " space ", "中文，逗号"]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([text, "x"])
        assert csv_text(text) + ",x\r\n" == buffer.getvalue(), text


# --- Atomic output ---------------------------------------------------------------------------


def test_fail_fast_leaves_an_existing_output_file_untouched(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("previous", encoding="utf-8")
    result = run("batch", "-", "-o", str(target), "--fail-fast",
                 input=jsonl(PROFILES[2], "{broken", PROFILES[3]))  # fmt: skip
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary file left


def test_bad_records_without_fail_fast_still_write_the_output(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("previous", encoding="utf-8")
    result = run("batch", "-", "-o", str(target), input=jsonl(PROFILES[2], "{broken", PROFILES[3]))
    assert result.exit_code == 1
    assert [r["line"] for r in records(target.read_text(encoding="utf-8"))] == [1, 3]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_run_leaves_the_earlier_output_untouched(tmp_path: Path, sig: int) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous results\n", encoding="utf-8")
    with batch_in_flight(jsonl(*PROFILES) * 4_000, target) as proc:  # 20,000 records, ~3 MB
        proc.send_signal(sig)
        proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert target.read_text(encoding="utf-8") == "previous results\n"
    if sig == signal.SIGTERM:  # a catchable signal: the temporary file is removed too
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --- Processes, progress ---------------------------------------------------------------------


def test_jobs_keep_the_input_order(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 7)  # many small chunks
    profiles = [{"name": f"c{i}", "jiebang_projects": i % 4, "annual_rd_expense": f"{i}万"}
                for i in range(100)]  # fmt: skip
    text = jsonl(*profiles[:50], "{broken", *profiles[50:])
    one = run("batch", "-", "-f", "csv", input=text)
    two = run("batch", "-", "-f", "csv", "--jobs", "2", input=text)
    assert two.exit_code == one.exit_code == 1
    assert two.stdout == one.stdout
    rows = list(csv.DictReader(io.StringIO(two.stdout)))
    names = [row["name"] for row in rows]  # the broken record keeps its row, without a name
    assert names == [p["name"] for p in profiles[:50]] + [""] + [p["name"] for p in profiles[50:]]
    assert rows[50]["line"] == "51" and rows[50]["error"].startswith("column 2: invalid JSON")
    assert rows[50]["total"] == "" and [r["error"] for r in rows].count("") == 100
    assert (
        two.stderr.splitlines()
        == one.stderr.splitlines()
        == [
            "subsidy: <stdin>:51: column 2: invalid JSON: Expecting property name enclosed in "
            "double quotes",
            done(100, 1),
        ]
    )


def test_progress_is_reported_per_chunk(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 2)
    data = jsonl(*PROFILES).encode()
    seen: list[tuple[int, int]] = []
    summary = batch.run(policy, io.BytesIO(data), io.BytesIO(), input_format="jsonl",
                        output_format="csv",
                        progress=lambda *a: seen.append(a))  # fmt: skip
    assert summary == batch.Summary(written=5, failed=0, stopped=False)
    assert seen == [(2, seen[0][1]), (4, seen[1][1]), (5, len(data))]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_record_that_fails_late_leaves_nothing_behind(fmt: str) -> None:
    """Articles within range that add up to a total beyond it: the record is reported, and no
    piece of it reaches the output."""
    from subsidycli.policy import bundled_paths, load_policy

    huge = {f"{a}.{part}": f"{field} * 600000000" for a, field in (
        ("rd-investment-subsidy", "deductible_rd_expense"),
        ("innovation-voucher", "university_cooperation_expense"),
    ) for part in ("amount", "cap")}  # fmt: skip
    policy = load_policy(bundled_paths()[0], huge)
    source = jsonl(
        {"name": "a", "annual_rd_expense": "1200万", "deductible_rd_expense": "1000000000000000",
         "university_cooperation_expense": "1000000000000000"},
        {"name": "b"},
    ).encode()  # fmt: skip
    out, errors = io.BytesIO(), []
    summary = batch.run(policy, io.BytesIO(source), out, input_format="jsonl",
                        output_format=fmt, on_error=errors.append)  # fmt: skip
    assert (summary.written, summary.failed) == (1, 1)
    assert errors == [["<input>:1: 1.200e+24 元 is out of range (at most 10^24 元)"]]
    lines = out.getvalue().decode().splitlines()
    if fmt == "jsonl":
        assert [json.loads(line)["name"] for line in lines] == ["b"]
    else:
        rows = list(csv.reader(lines))
        assert [row[:2] for row in rows] == [["line", "name"], ["1", "a"], ["2", "b"]]
        assert set(rows[1][2:-1]) == {""}  # the failed record's row: no amount of it
        assert rows[1][-1] == "1.200e+24 元 is out of range (at most 10^24 元)"


def test_a_byte_order_mark_inside_joined_files_and_a_nul_byte(policy: Policy) -> None:
    """`cat a.jsonl b.jsonl` where b.jsonl starts with a BOM: the BOM is taken off, as on line 1.
    A NUL byte is named as binary input."""
    source = b'{"name":"a"}\n\xef\xbb\xbf{"name":"b"}\n{"name":"c\x00"}\n'
    out, errors = io.BytesIO(), []
    summary = batch.run(policy, io.BytesIO(source), out, input_format="jsonl",
                        output_format="csv", on_error=errors.append)  # fmt: skip
    assert (summary.written, summary.failed) == (2, 1)
    rows = list(csv.reader(out.getvalue().decode().splitlines()[1:]))
    assert [(row[1], row[-1]) for row in rows] == [
        ("a", ""), ("b", ""), ("", "is binary, not text")
    ]  # fmt: skip
    assert errors == [["<input>:3: is binary, not text"]]


def test_csv_names_come_through_when_an_article_reads_the_name() -> None:
    from subsidycli.policy import bundled_paths, load_policy

    when = {"jiebang-guashuai.when": 'name == "acme" and jiebang_projects >= 1'}
    policy = load_policy(bundled_paths()[0], when)
    out = io.BytesIO()
    batch.run(policy, io.BytesIO(b"name,jiebang_projects\nacme,1\nzeta,1\n"), out,
              input_format="csv", output_format="jsonl")  # fmt: skip
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["name"] for r in records] == ["acme", "zeta"]
    assert [r["results"][0]["status"] for r in records] == ["eligible", "not_eligible"]


def test_a_write_that_fails_is_not_repeated(policy: Policy) -> None:
    """A stream that takes the data and then raises (Ctrl-C on a blocked pipe): what it took is
    not written again, and nothing more is written after the run."""
    taken: list[bytes] = []

    class Interrupted(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            taken.append(bytes(data))
            raise KeyboardInterrupt

    source = jsonl(*({"name": f"c{i}"} for i in range(400))).encode()  # > 1 MB of output
    with pytest.raises(KeyboardInterrupt):
        batch.run(policy, io.BytesIO(source), Interrupted(), input_format="jsonl",  # type: ignore[arg-type]
                  output_format="jsonl")  # fmt: skip
    import gc

    gc.collect()  # the run's buffer, collected, must not write what it still holds
    lines = b"".join(taken).splitlines()
    numbers = [json.loads(line)["line"] for line in lines[:-1]]  # the last may be cut short
    assert len(taken) == 1 and numbers == list(range(1, len(numbers) + 1))


def test_a_formula_at_negative_zero_pays_zero() -> None:
    """-(x) × 0 is -0 in Decimal: an amount is never written as -0.00."""
    from subsidycli.policy import bundled_paths, load_policy

    negative = {"jiebang-guashuai.when": "jiebang_projects >= 0",
                "jiebang-guashuai.amount": "annual_rd_expense - 1000000"}  # fmt: skip
    policy = load_policy(bundled_paths()[0], negative)
    profile = {"jiebang_projects": 0, "annual_rd_expense": Decimal(500_000)}
    result = engine.evaluate(policy, profile).results[0]
    assert result.article == "jiebang-guashuai" and str(result.amount) == "0.00"
    out = io.BytesIO()
    line = b'{"jiebang_projects": 0, "annual_rd_expense": 500000}\n'
    batch.run(policy, io.BytesIO(line), out, input_format="jsonl", output_format="csv")
    row = out.getvalue().decode().splitlines()[1].split(",")
    assert row[3] == "0.00" and "-0.00" not in row


def test_workers_speak_the_command_s_language(run: Run) -> None:
    """A bad record found in a --jobs worker is reported in Chinese under --lang zh, as by one."""
    text = jsonl(PROFILES[0], '{"annual_rd_expense": "-5"}', PROFILES[1])
    one = run("batch", "-", "-f", "csv", "--lang", "zh", input=text)
    two = run("batch", "-", "-f", "csv", "--lang", "zh", "--jobs", "2", input=text)
    assert two.exit_code == one.exit_code == 1
    assert two.stderr == one.stderr
    assert "<stdin>:2: annual_rd_expense: '-5' 是负数" in two.stderr


def test_a_memo_entry_holds_little_memory(policy: Policy) -> None:
    """Each new amount is a new memo entry for the articles that read it; an entry with its lean
    rendering stays small (orjson's bytes would each keep a 4 kB buffer), so the memo's bound,
    4,096 results an article, is a few MB and not a hundred."""
    import tracemalloc

    job = batch.Job(policy, "jsonl")
    profiles = [{"annual_rd_expense": Decimal(10_000_000 + i), "deductible_rd_expense":
                 Decimal(9_000_000 + i)} for i in range(2_000)]  # fmt: skip
    tracemalloc.start()
    try:
        for profile in profiles:
            job.memo.evaluate(profile)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    entries = len(job.memo)
    assert entries >= 2_000
    assert held / entries < 1_500, (held, entries)
