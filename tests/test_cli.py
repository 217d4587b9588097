"""`subsidy calc` as scripts and people use it: formats, --set, stdin, errors, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run, cli_command, cli_env

EXAMPLE = str(ROOT / "examples" / "enterprise.json")


def test_table_shows_total_and_what_is_missing(run: Run) -> None:
    result = run(
        "calc",
        "--set",
        "annual_rd_expense=1200万",
        "--set",
        "deductible_rd_expense=1000万",
        "--lang",
        "zh",
    )
    assert result.exit_code == 0, result.output
    assert "研发投入补助" in result.stdout
    assert "5.00 万元" in result.stdout  # 0.5% × 1000万
    assert "合计（最高可申报）" in result.stdout
    assert "还需回答" in result.stdout


def test_table_is_english_by_default_under_c_locale(run: Run) -> None:
    result = run("calc", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "R&D investment subsidy" in result.stdout
    assert "Total (maximum claimable): 3,785,000.00" in result.stdout


def test_zh_locale_gives_chinese(run: Run) -> None:
    result = run("calc", EXAMPLE, env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "合计（最高可申报）: 378.50 万元" in result.stdout


def test_all_adds_articles_that_do_not_apply(run: Run) -> None:
    short = run("calc", EXAMPLE).stdout
    full = run("calc", EXAMPLE, "--all").stdout
    assert "nri-recognition" not in short
    assert "nri-recognition" in full and "funding-lump-sum" in full


def test_json_is_data_only_on_stdout(run: Run) -> None:
    result = run("calc", EXAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == "3785000.00"
    assert result.stderr == ""


def test_set_overrides_the_file(calc_json: object, run: Run) -> None:
    result = run("calc", EXAMPLE, "-f", "json", "--set", "gazelle_first=否")
    data = json.loads(result.stdout)
    gazelle = next(r for r in data["results"] if r["article"] == "gazelle")
    assert gazelle["status"] == "not_eligible"
    assert data["total"] == "3585000.00"


def test_stdin_json(run: Run) -> None:
    result = run(
        "calc",
        "-",
        "-f",
        "json",
        input='{"annual_rd_expense": "1.2亿", "deductible_rd_expense": 50000000}',
    )
    rd = next(
        r for r in json.loads(result.stdout)["results"] if r["article"] == "rd-investment-subsidy"
    )
    assert (rd["status"], rd["amount"], rd["cap"]) == ("eligible", "200000.00", "200000.00")


def test_toml_profile(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'annual_rd_expense = "1000万"\ndeductible_rd_expense = 10000000.00\n', encoding="utf-8"
    )
    data = json.loads(run("calc", str(path), "-f", "json").stdout)
    rd = next(r for r in data["results"] if r["article"] == "rd-investment-subsidy")
    assert rd["amount"] == "50000.00"


def test_csv_opens_as_a_sheet(run: Run) -> None:
    result = run("calc", EXAMPLE, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 49
    assert {r["article"]: r["amount"] for r in rows}["rd-investment-subsidy"] == "50000.00"


def test_markdown(run: Run) -> None:
    result = run("calc", EXAMPLE, "-f", "markdown")
    assert (
        "| R&D investment subsidy (`rd-investment-subsidy`) | eligible | 50,000.00 |"
        in result.stdout
    )


def test_output_file_is_written_whole(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = run("calc", EXAMPLE, "-f", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads Chinese CSV with a BOM
    assert result.stdout == ""


def test_assume_no_turns_unknown_into_no(run: Run) -> None:
    data = json.loads(run("calc", "-f", "json", "--assume-no").stdout)
    assert data["missing"] == []
    assert {r["status"] for r in data["results"]} <= {"not_eligible", "info"}


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["calc", "missing.json"], None, "missing.json: no such file"),
        (["calc", "profile.yaml"], None, "unknown profile type '.yaml'"),
        (
            ["calc", "-"],
            '{"annual_rd_expens": 1}',
            "annual_rd_expens: unknown field (did you mean annual_rd_expense?)",
        ),
        (["calc", "-"], '{"annual_rd_expense": "-5"}', "annual_rd_expense: '-5' is negative"),
        (
            ["calc", "-"],
            '{"annual_rd_expense": "lots"}',
            "annual_rd_expense: 'lots' is not an amount",
        ),
        (
            ["calc", "-"],
            '{"jiebang_projects": 1.5}',
            "jiebang_projects: 1.5 is not a whole number",  # as written in the JSON
        ),
        (["calc", "-"], '{"applicant_type": "company"}', "applicant_type: 'company' is not one of"),
        (["calc", "-"], "[1, 2]", "a profile is a JSON object"),
        (["calc", "-"], '{"a": 1,', "invalid JSON"),
        (["calc", "-"], '{"annual_rd_expense": NaN}', "NaN is not a number"),
        (["calc", "--set", "gazele_first=yes"], None, "did you mean gazelle_first"),
        (["calc", "--set", "nonsense"], None, "expected FIELD=VALUE"),
        (["calc", "--set", "high_tech_enterprise=maybe"], None, "is not yes/no"),
    ],
)
def test_bad_input_is_one_clear_message_and_exit_2(
    run: Run, args: list[str], stdin: str | None, message: str
) -> None:
    result = run(*args, input=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_every_problem_is_reported(run: Run) -> None:
    result = run("calc", "-", input='{"annual_rd_expense": "-1", "jiebang": 1}')
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 2


def test_failed_run_leaves_existing_output_untouched(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("previous", encoding="utf-8")
    result = run("calc", "-", "-f", "json", "-o", str(out), input='{"annual_rd_expense": "x"}')
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous"


def test_markdown_escapes_html_in_a_name(run: Run) -> None:
    result = run("calc", "-f", "markdown", "--set", "name=<script>alert(1)</script>")
    assert "<script>" not in result.stdout and "&lt;script&gt;" in result.stdout


def test_a_formula_below_zero_pays_nothing(run: Run, tmp_path: Path) -> None:
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    text = text.replace(
        'amount = "rate * deductible_rd_expense"', 'amount = "deductible_rd_expense - 20_000_000"'
    )
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    result = run(
        "calc",
        "--policy",
        str(path),
        "-f",
        "json",
        "--set",
        "annual_rd_expense=1200万",
        "--set",
        "deductible_rd_expense=1200万",
    )
    rd = next(
        r for r in json.loads(result.stdout)["results"] if r["article"] == "rd-investment-subsidy"
    )
    assert rd["amount"] == "0.00" and "below zero" in rd["explanation"]


def test_csv_cells_are_never_formulas(run: Run) -> None:
    result = run(
        "batch",
        "-",
        "--input-format",
        "jsonl",
        "--format",
        "csv",
        input='{"name": "=HYPERLINK(1)", "gazelle_first": true}\n',
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["name"] == "'=HYPERLINK(1)" and row["gazelle"] == "200000.00"


def test_piped_profile_without_dash_is_read(run: Run) -> None:
    result = run("calc", "-f", "json", input='{"gazelle_first": true}')
    assert json.loads(result.stdout)["total"] == "200000.00"
    empty = run("calc", "-f", "json", input="")
    assert json.loads(empty.stdout)["total"] == "0.00"


def test_piped_profile_through_a_real_pipe() -> None:
    import subprocess

    command, env = cli_command("calc", "-f", "json"), cli_env()
    piped = subprocess.run(
        command, input='{"gazelle_first": true}', capture_output=True, text=True, env=env
    )
    assert json.loads(piped.stdout)["total"] == "200000.00", piped.stderr
    silent = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env
    )
    assert json.loads(silent.stdout)["total"] == "0.00"


def test_set_problems_and_file_problems_are_reported_together(run: Run) -> None:
    result = run(
        "calc",
        "-",
        "--set",
        "foo=1",
        "--set",
        "annual_rd_expense=abc",
        "--set",
        "bar",
        input='{"gazele_first": true}',
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4, lines
    assert "did you mean gazelle_first" in lines[0] and "<stdin>" in lines[0]


def test_a_field_named_like_a_line_number_is_a_field(run: Run) -> None:
    result = run("calc", "-", input='{"123": 1}')
    assert result.exit_code == 2
    assert result.stderr.startswith("subsidy: <stdin>: 123: unknown field")


def test_several_bad_overrides_are_one_line_each(run: Run) -> None:
    result = run("calc", "--override", "nosuch.max=1", "--override", "other.x=2")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 2


def test_two_files_with_one_policy_id_are_refused(run: Run, tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(
        (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = run("calc", "--policy", "zhenjiang-2024", "--policy", str(copy))
    assert result.exit_code == 2 and "used by more than one file" in result.stderr


def test_total_over_unknowns_covers_the_known_articles_only(run: Run) -> None:
    partial = run("calc", "--set", "annual_rd_expense=1200万", "--lang", "zh")
    assert partial.exit_code == 0, partial.output
    assert "仅含金额已知的条款" in partial.stdout
    english = run("calc", "--set", "annual_rd_expense=1200万", "--lang", "en")
    assert "known articles only" in english.stdout
    complete = run("calc", str(ROOT / "examples" / "enterprise.json"), "--lang", "zh")
    assert "仅含金额已知的条款" not in complete.stdout


def test_a_cli_process_runs_the_source_under_test() -> None:
    """Every test sees a change to src/: a process started by the tests imports this checkout,
    not a copy installed somewhere (tests/conftest.py: cli_command, cli_env)."""
    import subprocess

    from tests.conftest import SRC

    code = "import subsidycli, sys; print(subsidycli.__file__)"
    command = [*cli_command()[:1], "-c", code]
    shown = subprocess.run(command, capture_output=True, text=True, env=cli_env({}), check=True)
    assert Path(shown.stdout.strip()).resolve() == (SRC / "subsidycli" / "__init__.py").resolve()
    import subsidycli

    assert Path(subsidycli.__file__).resolve().is_relative_to(SRC.resolve())  # in-process too
