"""Hostile input: every input surface ends in success or exit 2 with a message.

Never a traceback, a hang, or a silently wrong number; a policy file never runs code; a file the
tool writes is complete or untouched. docs/hostile-inputs.md lists what is tried here and how each
is answered; keep the two in step.
"""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import money
from subsidycli.engine import evaluate
from subsidycli.errors import ExpressionError, MoneyError, PolicyError, ProfileError, SubsidyError
from subsidycli.expr import Symbol, compile_expr
from subsidycli.files import atomic_writer, decode, write_atomic
from subsidycli.interview import InterviewEnded, InterviewQuit, interview, run_interview
from subsidycli.policy import Policy, bundled_paths, load_policy
from subsidycli.profile import loads_json, loads_toml, parse_profile
from tests.conftest import ROOT, Run, batch_in_flight, cli_command, cli_env, deterministic

BUNDLED = bundled_paths()[0]
POLICY_TEXT = BUNDLED.read_text(encoding="utf-8")

# Modest, deterministic fuzzing: the same examples on every run and in CI.
FUZZ = deterministic(150)


def refused(result: Any, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one `subsidy: …` line per problem, no traceback."""
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"crashed: {exc!r}\n{result.output}"
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines, "no message on stderr"
    assert all(line.startswith("subsidy: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert not any(
        unicodedata.category(c) == "Cc" for c in result.stderr.rstrip("\n").replace("\n", "")
    )
    for fragment in fragments:
        assert fragment in result.stderr
    return str(result.stderr)


def accepted(result: Any) -> dict[str, Any]:
    """Exit 0 with a JSON result; every amount in it a plain, non-negative two-decimal string."""
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"crashed: {exc!r}\n{result.output}"
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    for r in data["results"]:
        for key in ("amount", "cap", "tax_saving"):
            if r.get(key) is not None:
                assert not r[key].startswith("-"), r
    assert "-0.00" not in result.stdout
    return data


def amounts(data: dict[str, Any]) -> dict[str, str | None]:
    return {r["article"]: r["amount"] for r in data["results"]}


# ---------------------------------------------------------------------------------------------
# Profile files: JSON

DEEP = 100_000
JSON_REFUSED = [
    ("empty", b"", "is empty"),
    ("whitespace only", b" \n\t ", "is empty"),
    ("null", b"null", "not null"),
    ("array", b"[]", "not a list"),
    ("array of objects", b'[{"jiebang_projects": 1}]', "not a list"),
    ("string", b'"jiebang_projects"', "not a string"),
    ("number", b"12", "not a number"),
    ("boolean", b"true", "not true or false"),
    ("NaN", b'{"annual_rd_expense": NaN}', "NaN is not a number"),
    ("Infinity", b'{"annual_rd_expense": Infinity}', "Infinity is not a number"),
    ("-Infinity", b'{"annual_rd_expense": -Infinity}', "Infinity is not a number"),
    ("NaN as text", b'{"annual_rd_expense": "NaN"}', "is not an amount"),
    ("Infinity as text", b'{"annual_rd_expense": "Infinity"}', "is not an amount"),
    ("1e400", b'{"annual_rd_expense": 1e400}', "implausibly large"),
    ("-1e400", b'{"annual_rd_expense": -1e400}', "is negative"),
    ("1e-400", b'{"annual_rd_expense": 1e-400}', "more than 8 decimal places"),
    ("1e5 as text", b'{"annual_rd_expense": "1e5"}', "is not an amount"),
    ("5000-digit integer", b'{"annual_rd_expense": ' + b"9" * 5000 + b"}", "implausibly large"),
    ("3000-digit integer", b'{"annual_rd_expense": 1' + b"0" * 3000 + b"}", "implausibly large"),
    (
        "5000-digit decimal",
        b'{"annual_rd_expense": 1.' + b"0" * 5000 + b"1}",
        "more than 8 decimal",
    ),
    ("5000-digit text", b'{"annual_rd_expense": "' + b"9" * 5000 + b'"}', "is not an amount"),
    (
        "300000 万",
        '{{"annual_rd_expense": "1{}"}}'.format("万" * 300_000).encode(),
        "is not an amount",
    ),
    ("negative amount", b'{"annual_rd_expense": -1}', "is negative"),
    ("negative amount text", '{"annual_rd_expense": "-1万"}'.encode(), "is negative"),
    ("true as money", b'{"annual_rd_expense": true}', "true is not an amount"),
    ("false as money", b'{"annual_rd_expense": false}', "false is not an amount"),
    ("object as money", b'{"annual_rd_expense": {"value": 1}}', "is not an amount"),
    ("array as money", b'{"annual_rd_expense": [1]}', "is not an amount"),
    ("decimal comma", b'{"annual_rd_expense": "12,50"}', "commas"),
    ("stray commas", b'{"annual_rd_expense": "1,2,3"}', "commas"),
    ("fractional count", b'{"jiebang_projects": 1.5}', "not a whole number"),
    ("fractional count text", b'{"jiebang_projects": "0.5"}', "not a count"),
    ("negative count", b'{"jiebang_projects": -1}', "is negative"),
    ("negative fractional count", b'{"jiebang_projects": -0.5}', "not a whole number"),
    ("1e400 count", b'{"jiebang_projects": 1e400}', "implausibly large"),
    # Beyond Decimal's exponent range: one bad value, never a decimal.Overflow traceback.
    ("1e1000000 count", b'{"jiebang_projects": 1e1000000}', "implausibly large"),
    ("-1e1000000 count", b'{"jiebang_projects": -1e1000000}', "implausibly large"),
    # Below it: not rounded to 0 on the way to a whole number.
    ("1e-999999999 count", b'{"jiebang_projects": 1e-999999999}', "not a whole number"),
    ("1e1000000 money", b'{"annual_rd_expense": 1e1000000}', "implausibly large"),
    ("1e1000000 rate", b'{"income_tax_rate": 1e1000000}', "between 0 and 1"),
    # Unicode folding would read these as other digits: "500000²" as 5000002, "①" as 1.
    ("superscript digit", '{"annual_rd_expense": "500000²"}'.encode(), "² is not a plain digit"),
    ("subscript digit", '{"annual_rd_expense": "₅万"}'.encode(), "₅ is not a plain digit"),
    ("circled digit", '{"jiebang_projects": "①"}'.encode(), "① is not a plain digit"),
    ("circled digit money", '{"annual_rd_expense": "⑫万"}'.encode(), "⑫ is not a plain digit"),
    ("superscript count", '{"jiebang_projects": "1²"}'.encode(), "² is not a plain digit"),
    ("circled rate", '{"income_tax_rate": "①⑤%"}'.encode(), "not a rate"),
    ("billion count", b'{"jiebang_projects": 1000000000}', "implausibly large"),
    ("true as count", b'{"jiebang_projects": true}', "not a count"),
    ("2 as yes/no", b'{"gazelle_first": 2}', "not yes/no"),
    ("1.0 as yes/no", b'{"gazelle_first": 1.0}', "not yes/no"),
    ("maybe as yes/no", b'{"gazelle_first": "maybe"}', "not yes/no"),
    ("rate above 1", b'{"income_tax_rate": "150%"}', "between 0 and 1"),
    ("negative rate", b'{"income_tax_rate": -0.1}', "between 0 and 1"),
    ("rate NaN", b'{"income_tax_rate": "NaN"}', "not a rate"),
    ("rate 1e-999999", b'{"income_tax_rate": "1e-999999"}', "not a rate"),
    ("rate 1e-400", b'{"income_tax_rate": 1e-400}', "more than 10 decimal places"),
    ("deep arrays", b"[" * DEEP + b"]" * DEEP, "invalid JSON"),
    ("deep objects", b'{"name": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}", "invalid JSON"),
    ("long text", b'{"name": "' + b"x" * 100_000 + b'"}', "longer than 500"),
    ("long field name", b'{"' + b"x" * 100_000 + b'": 1}', "unknown field"),
    ("newline in a field name", b'{"a\\nforged line": 1}', "unknown field"),
    ("escape in a field name", b'{"\\u001b[2J": 1}', "unknown field"),
    ("unknown field", b'{"annual_rd_expens": 1}', "did you mean annual_rd_expense"),
    ("duplicate key", b'{"annual_rd_expense": 1, "annual_rd_expense": 2}', "duplicate key"),
    ("trailing garbage", b'{"jiebang_projects": 1} x', "Extra data"),
    ("two objects", b"{}{}", "Extra data"),
    ("trailing comma", b'{"jiebang_projects": 1,}', "invalid JSON"),
    ("comment", b'{/* no */"jiebang_projects": 1}', "invalid JSON"),
    ("single quotes", b"{'jiebang_projects': 1}", "invalid JSON"),
    ("lone surrogate", b'{"name": "\\ud800"}', "broken Unicode"),
    ("escape sequence in name", b'{"name": "\\u001b[2J"}', "control characters"),
    ("NUL escape in name", b'{"name": "a\\u0000b"}', "control characters"),
    # Shown reversed; a JSON Lines record split in two under str.splitlines.
    ("right-to-left override", b'{"name": "ACME\\u202eevil"}', "invisible direction"),
    ("line separator", '{"name": "A\u2028B"}'.encode(), "line-separator mark"),
    ("choice by wrong type", b'{"applicant_type": 1}', "is not text"),
    ("unknown choice", b'{"applicant_type": "company"}', "is not one of"),
    ("UTF-16 LE", '{"jiebang_projects": 1}'.encode("utf-16"), "is UTF-16"),
    ("UTF-16 BE", b"\xfe\xff" + '{"jiebang_projects": 1}'.encode("utf-16-be"), "is UTF-16"),
    ("UTF-16 without BOM", '{"jiebang_projects": 1}'.encode("utf-16-le"), "binary"),
    ("GBK", '{"name": "镇江示例"}'.encode("gbk"), "not UTF-8"),
    ("Latin-1", '{"name": "café"}'.encode("latin-1"), "not UTF-8"),
    ("binary", bytes(range(256)), "not UTF-8"),
    ("NUL bytes", b'{"name": "a\x00b"}', "binary"),
]


JSON_ACCEPTED = [
    ("byte-order mark", b'\xef\xbb\xbf{"jiebang_projects": 2}', "jiebang-guashuai", "2000000.00"),
    (
        "negative zero",
        b'{"annual_rd_expense": "1000\xe4\xb8\x87", "deductible_rd_expense": -0}',
        "rd-investment-subsidy",
        "0.00",
    ),
    (
        "negative zero float",
        b'{"annual_rd_expense": "1000\xe4\xb8\x87", "deductible_rd_expense": -0.0}',
        "rd-investment-subsidy",
        "0.00",
    ),
    (
        "negative zero text",
        b'{"annual_rd_expense": "1000\xe4\xb8\x87", "deductible_rd_expense": "-0"}',
        "rd-investment-subsidy",
        "0.00",
    ),
    ("whole float count", b'{"jiebang_projects": 2.0}', "jiebang-guashuai", "2000000.00"),
    ("exponent count", b'{"jiebang_projects": 1e1}', "jiebang-guashuai", "10000000.00"),
    ("1 as yes", b'{"gazelle_first": 1}', "gazelle", "200000.00"),
    ("null is unknown", b'{"gazelle_first": null}', "gazelle", None),
    ("blank is unknown", b'{"gazelle_first": "  "}', "gazelle", None),
    ("empty object", b"{}", "gazelle", None),
    (
        "full-width digits",
        '{"university_cooperation_expense": "１０万"}'.encode(),
        "innovation-voucher",
        "30000.00",
    ),
    (
        "8 decimal places",
        b'{"university_cooperation_expense": "0.00000005"}',
        "innovation-voucher",
        "0.00",
    ),
    (
        "at the money limit",
        b'{"university_cooperation_expense": 1000000000000000}',
        "innovation-voucher",
        "200000.00",
    ),
]


# ---------------------------------------------------------------------------------------------
# Profile files: TOML

TOML_REFUSED = [
    ("syntax error", b"a = ", "invalid TOML"),
    ("trailing garbage", b"annual_rd_expense = 1 x\n", "invalid TOML"),
    ("duplicate key", b"annual_rd_expense = 1\nannual_rd_expense = 2\n", "invalid TOML"),
    ("nan", b"annual_rd_expense = nan\n", "not a finite amount"),
    ("inf", b"annual_rd_expense = inf\n", "not a finite amount"),
    ("-inf", b"annual_rd_expense = -inf\n", "not a finite amount"),
    ("1e400", b"annual_rd_expense = 1e400\n", "implausibly large"),
    ("5000-digit integer", b"annual_rd_expense = " + b"9" * 5000 + b"\n", "invalid TOML"),
    ("bool as money", b"annual_rd_expense = true\n", "true is not an amount"),
    ("date as money", b"annual_rd_expense = 2024-01-01\n", "is not an amount"),
    ("datetime as money", b"annual_rd_expense = 2024-01-01T00:00:00Z\n", "is not an amount"),
    ("table as money", b"[annual_rd_expense]\na = 1\n", "is not an amount"),
    ("array as count", b"jiebang_projects = [1, 2]\n", "not a count"),
    ("array of tables", b"[[jiebang_projects]]\n", "not a count"),
    ("fractional count", b"jiebang_projects = 1.5\n", "not a whole number"),
    ("negative count", b"jiebang_projects = -2\n", "is negative"),
    ("1e1000000 count", b"jiebang_projects = 1e1000000\n", "implausibly large"),
    ("1e-999999999 count", b"jiebang_projects = 1e-999999999\n", "not a whole number"),
    ("circled digit", 'annual_rd_expense = "⑫万"\n'.encode(), "⑫ is not a plain digit"),
    ("deep arrays", b"name = " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "invalid TOML"),
    ("deep inline tables", b"name = " + b"{a=" * 5000 + b"1" + b"}" * 5000 + b"\n", "invalid TOML"),
    ("long text", b'name = "' + b"x" * 100_000 + b'"\n', "longer than 500"),
    ("control character", b'name = "\\u001b]0;pwned\\u0007"\n', "control characters"),
    ("right-to-left override", b'name = "ACME\\u202Eevil"\n', "invisible direction"),
    ("paragraph separator", 'name = "A\u2029B"\n'.encode(), "line-separator mark"),
    ("unknown field", b"gazele_first = true\n", "did you mean gazelle_first"),
    ("UTF-16", "jiebang_projects = 1\n".encode("utf-16"), "is UTF-16"),
    ("binary", bytes(range(256)), "not UTF-8"),
    ("NUL bytes", b"name = 'a\x00b'\n", "binary"),
]


REFUSED = [("json", *p) for p in JSON_REFUSED] + [("toml", *p) for p in TOML_REFUSED]


@pytest.mark.parametrize(
    ("suffix", "content", "message"),
    [(p[0], *p[2:]) for p in REFUSED],
    ids=[f"{p[0]}: {p[1]}" for p in REFUSED],
)
def test_hostile_profile_file_is_refused(
    run: Run, tmp_path: Path, suffix: str, content: bytes, message: str
) -> None:
    path = tmp_path / f"profile.{suffix}"
    path.write_bytes(content)
    err = refused(run("calc", str(path), "--format", "json"), message)
    assert str(path) in err


TOML_ACCEPTED = [
    ("empty file", b"", "gazelle", None),
    ("byte-order mark", b"\xef\xbb\xbfjiebang_projects = 3\n", "jiebang-guashuai", "3000000.00"),
    (
        "negative zero",
        "annual_rd_expense = '1000万'\ndeductible_rd_expense = -0.0\n".encode(),
        "rd-investment-subsidy",
        "0.00",
    ),
    ("exact decimal", b"university_cooperation_expense = 0.1\n", "innovation-voucher", "0.03"),
    ("comments only", b"# nothing known yet\n", "gazelle", None),
]


ACCEPTED = [("json", *p) for p in JSON_ACCEPTED] + [("toml", *p) for p in TOML_ACCEPTED]


@pytest.mark.parametrize(
    ("suffix", "content", "article", "amount"),
    [(p[0], *p[2:]) for p in ACCEPTED],
    ids=[f"{p[0]}: {p[1]}" for p in ACCEPTED],
)
def test_odd_but_valid_profile_file_gives_the_right_number(
    run: Run, tmp_path: Path, suffix: str, content: bytes, article: str, amount: str | None
) -> None:
    path = tmp_path / f"profile.{suffix}"
    path.write_bytes(content)
    assert amounts(accepted(run("calc", str(path), "--format", "json")))[article] == amount


# ---------------------------------------------------------------------------------------------
# Paths: directories, missing files, unknown suffixes, oversized files


def test_directory_as_profile(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "profile.json"
    folder.mkdir()
    refused(run("calc", str(folder)), "is a directory")


def test_missing_profile(run: Run, tmp_path: Path) -> None:
    refused(run("calc", str(tmp_path / "nope.json")), "no such file")


@pytest.mark.parametrize(
    "name", ["profile.yaml", "profile", "profile.", "profile.json.bak", ".json"]
)
def test_unknown_suffix(run: Run, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("{}", encoding="utf-8")
    refused(run("calc", str(path)), "unknown profile type")


def test_upper_case_suffix_is_fine(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "PROFILE.JSON"
    path.write_text('{"gazelle_first": true}', encoding="utf-8")
    assert amounts(accepted(run("calc", str(path), "-f", "json")))["gazelle"] == "200000.00"


def test_oversized_profile(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: no 11 MB actually written
        handle.truncate(11 * 1024 * 1024)
    refused(run("calc", str(path)), "larger than 10 MiB")


# ---------------------------------------------------------------------------------------------
# stdin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("null", "not null"),
        ("[1]", "not a list"),
        ("{} {}", "Extra data"),
        ('{"annual_rd_expense": NaN}', "NaN is not a number"),
    ],
)
def test_hostile_stdin(run: Run, text: str, message: str) -> None:
    assert "<stdin>" in refused(run("calc", "-", input=text), message)


def test_stdin_with_byte_order_mark(run: Run) -> None:
    data = accepted(run("calc", "-", "-f", "json", input='\ufeff{"jiebang_projects": 1}'))
    assert amounts(data)["jiebang-guashuai"] == "1000000.00"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"name": "\xff"}', "not UTF-8"),
        ('{"jiebang_projects": 1}'.encode("utf-16"), "UTF-16"),
        (bytes(range(256)), "not UTF-8"),
    ],
)
def test_binary_stdin_in_process(run: Run, content: bytes, message: str) -> None:
    refused(run("calc", "-", input=content), message)


def _subsidy(
    args: list[str], stdin: bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SUBSIDYCLI_CACHE_DIR": "",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        cli_command(*args),
        input=stdin,
        capture_output=True,
        env=cli_env({**base, **(env or {})}),
        timeout=60,
        cwd=ROOT,
    )


def test_binary_stdin_in_a_real_process_with_strict_utf8() -> None:
    """Under a UTF-8 locale Python decodes stdin strictly: bad bytes must not become a traceback."""
    proc = _subsidy(["calc", "-", "--format", "json"], b'{"name": "\xff\xfe"}\x00\x01')
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == b""
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.startswith(b"subsidy: <stdin>: ")


def test_binary_answers_to_the_interview_in_a_real_process() -> None:
    proc = _subsidy(["interview", "--lang", "en", "--format", "json"], b"\xff\xfe\n" + b"\n" * 80)
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "✗".encode() in proc.stderr  # the bad answer was refused and the question asked again
    json.loads(proc.stdout)


# ---------------------------------------------------------------------------------------------
# --set values

SET_REFUSED = [
    ("=", "expected FIELD=VALUE"),
    ("=1", "expected FIELD=VALUE"),
    ("annual_rd_expense", "expected FIELD=VALUE"),
    ("nonsense=1", "unknown field"),
    ("annual_rd_expense=NaN", "is not an amount"),
    ("annual_rd_expense=inf", "is not an amount"),
    ("annual_rd_expense=1e400", "is not an amount"),
    ("annual_rd_expense=" + "9" * 5000, "is not an amount"),
    ("annual_rd_expense=-0.01", "is negative"),
    ("annual_rd_expense=true", "is not an amount"),
    ("annual_rd_expense=1" + "亿" * 100_000, "is not an amount"),
    ("annual_rd_expense=12,50", "commas"),
    ("jiebang_projects=1.5", "not a count"),
    ("jiebang_projects=-1", "is negative"),
    ("jiebang_projects=1e3", "not a count"),
    ("gazelle_first=maybe", "not yes/no"),
    ("income_tax_rate=150%", "between 0 and 1"),
    ("income_tax_rate=1e-999999999", "not a rate"),
    ("annual_rd_expense=500000²", "² is not a plain digit"),
    ("jiebang_projects=①", "① is not a plain digit"),
    ("annual_rd_expense=⑫万", "⑫ is not a plain digit"),
    ("income_tax_rate=0.12345678901", "more than 10 decimal places"),
    ("applicant_type=company", "is not one of"),
    ("name=" + "x" * 100_000, "longer than 500"),
    ("name=\x1b[2J\x1b[H", "control characters"),
    ("name=\udcff", "broken Unicode"),  # what Python makes of a non-UTF-8 byte in argv
    ("name=ACME\u202eevil", "invisible direction"),
    ("name=A\u2028B", "line-separator mark"),
]


@pytest.mark.parametrize(
    "assignment", [p[0] for p in SET_REFUSED], ids=[f"set-{i}" for i in range(len(SET_REFUSED))]
)
def test_hostile_set_value(run: Run, assignment: str) -> None:
    message = dict(SET_REFUSED)[assignment]
    refused(run("calc", "--set", assignment, "--format", "json"), message)


@pytest.mark.parametrize(
    ("assignments", "article", "amount"),
    [
        (["jiebang_projects=-0"], "jiebang-guashuai", "0.00"),
        (["gazelle_first=是"], "gazelle", "200000.00"),
        (["gazelle_first=y", "gazelle_first=n"], "gazelle", "0.00"),  # the last --set wins
        (["university_cooperation_expense=１０万元"], "innovation-voucher", "30000.00"),
        (["gazelle_first="], "gazelle", None),
    ],
)
def test_odd_but_valid_set_value(
    run: Run, assignments: list[str], article: str, amount: str | None
) -> None:
    args = [arg for a in assignments for arg in ("--set", a)]
    assert amounts(accepted(run("calc", *args, "-f", "json")))[article] == amount


@pytest.mark.parametrize(
    "name", ["[/]", "[bold red]ACME[/bold red]", "[link=file:///etc/passwd]x[/link]"]
)
def test_markup_in_a_name_is_shown_as_written(run: Run, name: str) -> None:
    result = run("calc", "--set", f"name={name}", "--set", "gazelle_first=y")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, result.output
    assert name in result.stdout


# ---------------------------------------------------------------------------------------------
# Interview answers (in-process: `interview` takes read/write callables)

HOSTILE_ANSWERS = {
    "money": [
        "-1",
        "NaN",
        "Infinity",
        "1e400",
        "9" * 5000,
        "1" + "万" * 50_000,
        "true",
        "¥",
        "1.2.3",
        "12,50",
        "-0.01",
        "0.000000001",
        "\x00",
        "\udcff",
        "500000²",
        "⑫万",
    ],
    "count": ["-1", "1.5", "1e3", "NaN", "99999999999", "true", "\x00", "\udcff", "①"],
    "bool": ["maybe", "2", "-1", "NaN", "是否", "\x00", "\udcff"],
    "rate": ["150%", "-1", "NaN", "1e-999999", "Infinity%", "%", "\x00", "\udcff"],
    "choice": ["0", "6", "company", "-1", "\x00", "\udcff"],
    "text": ["\x00", "\x1b[2J", "\udcff", "x" * 600, "ACME\u202eevil", "A\u2028B"],
}
VALID_ANSWER = {"money": "0", "count": "0", "bool": "n", "rate": "0.25", "choice": "1", "text": "x"}


WIDE = (10_000, 50)  # (columns, rows): no question wraps, so each is read off one line


class Person:
    """Answers each question of the one-by-one interview with the given hostile answers first,
    then with a valid one."""

    def __init__(self, policy: Policy, hostile: dict[str, list[str]]) -> None:
        self.labels = {
            item.label["en"] + (f" ({item.unit['en']})" if item.unit else ""): item
            for item in policy.inputs.values()
        }
        self.hostile = hostile
        self.pending: list[str] = []
        self.transcript: list[str] = []
        self.questions = 0
        self.refusals = 0

    def write(self, text: str) -> None:
        self.transcript.append(text)
        self.refusals += text.count("✗")
        for line in text.splitlines():
            if line.startswith("Step ") and " · " in line:
                item = self.labels.get(line.split(" · ", 1)[1].strip())
                if item is not None:
                    self.questions += 1
                    self.pending = [*self.hostile.get(item.type, []), VALID_ANSWER[item.type]]

    def read(self) -> str:
        assert len(self.transcript) < 20_000, "the interview does not end"
        return (self.pending.pop(0) if self.pending else "") + "\n"


def test_every_hostile_answer_is_asked_again(policy: Policy) -> None:
    clean = Person(policy, {})
    want = interview(policy, {}, clean.read, clean.write, one_by_one=True, size=lambda: WIDE)
    person = Person(policy, HOSTILE_ANSWERS)
    got = interview(policy, {}, person.read, person.write, one_by_one=True, size=lambda: WIDE)
    assert got == want  # nothing hostile got through, nothing valid got lost
    assert person.questions == clean.questions == len(got)
    expected = sum(len(HOSTILE_ANSWERS[policy.inputs[f].type]) for f in got)
    assert person.refusals == expected


ANSWERS = st.sampled_from(
    ["", "1", "2", "0", "3", "n", "y", "是", "否", "1200万", "15%", "-1", "x"]
)


@FUZZ
@given(st.lists(ANSWERS | st.text(max_size=30), max_size=60))
def test_interview_fuzz_ends_with_a_profile_or_end_of_input(
    policy: Policy, lines: list[str]
) -> None:
    feed = iter(lines)
    writes: list[str] = []

    def write(text: str) -> None:
        writes.append(text)
        assert len(writes) < 10_000, "the interview does not end"

    def read() -> str:
        line = next(feed, None)
        return "" if line is None else line.replace("\n", " ").replace("\r", " ") + "\n"

    try:
        answers = interview(policy, {}, read, write)
    except InterviewEnded:
        return
    except InterviewQuit as stop:  # `q`: the answers so far, as valid as a finished interview's
        answers = stop.answers
    # Every answer kept is a valid, parsed value of a declared field.
    assert set(answers) <= set(policy.inputs)
    assert (
        parse_profile(
            {k: str(v) if isinstance(v, Decimal) else v for k, v in answers.items()}, policy
        )
        == answers
    )


@pytest.mark.parametrize("ending", ["eof", "interrupt"])
def test_an_interrupted_interview_leaves_the_saved_file_untouched(
    policy: Policy, tmp_path: Path, ending: str
) -> None:
    save = tmp_path / "acme.json"
    save.write_text("previous", encoding="utf-8")

    class Stdin(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            line = super().readline()
            if not line and ending == "interrupt":
                raise KeyboardInterrupt
            return line

    status = run_interview(
        policy,
        {},
        save=str(save),
        show=lambda e: None,
        stdin=Stdin("1\n0\n0\n"),
        stderr=io.StringIO(),
    )
    assert status == (1 if ending == "eof" else 130)
    assert save.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.json"]


# ---------------------------------------------------------------------------------------------
# Policy files: nothing runs, nothing hangs; each refusal names the file and the line


def policy_with(tmp_path: Path, key: str, expression: str) -> tuple[Path, int]:
    """The bundled policy with rd-investment-subsidy's `when` or `amount` replaced."""
    old = {
        "when": 'when = "annual_rd_expense >= threshold"',
        "amount": 'amount = "rate * deductible_rd_expense"',
    }[key]
    assert POLICY_TEXT.count(old) == 1
    new = tomli_w.dumps({key: expression}).strip()
    text = POLICY_TEXT.replace(old, new)
    line = text[: text.index(new)].count("\n") + 1
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path, line


HOSTILE_EXPRESSIONS = [
    # attribute access
    ("attribute", "when", "annual_rd_expense.__class__ == 1", "attribute access"),
    ("attribute of a literal", "when", "(1).real == 1", "attribute access"),
    ("method call", "when", "'x'.join('y') == 'x'", "function calls not allowed"),
    ("mro walk", "when", "annual_rd_expense.__class__.__mro__ == 1", "attribute access"),
    # dunder names
    (
        "__import__",
        "when",
        "__import__('os').system('touch pwned') == 0",
        "function calls not allowed",
    ),
    ("__builtins__", "when", "__builtins__ == 1", "not allowed"),
    ("__debug__", "when", "__debug__", "not allowed"),
    ("__class__", "when", "__class__ == 1", "not allowed"),
    ("full-width open", "when", "ｏｐｅｎ('pwned', 'w') == 1", "function calls not allowed"),
    # calls other than min and max
    ("open", "when", "open('pwned', 'w') == 1", "function calls not allowed"),
    ("eval", "when", "eval('1') == 1", "function calls not allowed"),
    ("exec", "when", "exec(\"open('pwned', 'w')\") == 1", "function calls not allowed"),
    ("getattr", "when", "getattr(min, '__self__') == 1", "function calls not allowed"),
    ("print", "when", "print('pwned') == 1", "function calls not allowed"),
    ("pow", "amount", "pow(9, 99999999)", "function calls not allowed"),
    ("breakpoint", "when", "breakpoint() == 1", "function calls not allowed"),
    ("min with keyword", "amount", "min(1, key=open)", "no keywords"),
    ("min with starred", "amount", "min(*[open('pwned', 'w')])", "not allowed"),
    ("min attribute", "amount", "min.__call__(1)", "function calls not allowed"),
    ("call of a call", "amount", "min(1)(2)", "function calls not allowed"),
    # comprehensions and lambdas
    ("list comprehension", "when", "[open('pwned', 'w') for x in 'a'] == 1", "comprehensions"),
    ("set comprehension", "when", "{x for x in 'a'} == 1", "comprehensions"),
    ("dict comprehension", "when", "{x: 1 for x in 'a'} == 1", "comprehensions"),
    ("generator", "amount", "min(open('pwned', 'w') for x in 'a')", "comprehensions"),
    ("lambda", "when", "(lambda: open('pwned', 'w'))() == 1", "function calls not allowed"),
    ("bare lambda", "when", "lambda: True", "lambdas"),
    # exponentiation and other operators
    ("power", "amount", "annual_rd_expense ** 2", "only + - * /"),
    ("power tower", "amount", "9 ** 9 ** 9 ** 9", "only + - * /"),
    ("left shift", "amount", "1 << 100000000", "only + - * /"),
    ("floor division", "amount", "annual_rd_expense // 2", "only + - * /"),
    ("modulo", "amount", "annual_rd_expense % 7", "only + - * /"),
    ("string repetition", "when", "'x' * 999999999 == 'x'", "arithmetic takes numbers"),
    ("walrus", "when", "(x := 1) == 1", "assignment"),
    ("conditional", "amount", "1 if annual_rd_expense else 2", "conditional expressions"),
    ("subscript", "amount", "'abc'[0]", "subscripts"),
    ("f-string", "when", "f'{annual_rd_expense}' == 'x'", "f-strings"),
    ("membership", "when", "annual_rd_expense in (1, 2)", "comparisons are allowed"),
    ("await", "when", "await annual_rd_expense", "not"),
    ("yield", "when", "(yield 1)", "not"),
    ("statement", "when", "annual_rd_expense > 1; import os", "not a valid expression"),
    ("bytes literal", "when", "b'x' == b'x'", "not allowed"),
    ("complex literal", "amount", "1j", "not allowed"),
    # huge literals and deep nesting
    ("40-digit literal", "amount", "1" + "0" * 40, "longer than"),
    ("10000-digit literal", "amount", "1" + "0" * 10_000, "longer than"),
    ("1e400 literal", "amount", "1e400", "plain digits"),
    ("1e-400 literal", "amount", "1e-400 * annual_rd_expense", "plain digits"),
    ("hexadecimal literal", "when", "annual_rd_expense > 0x10", "plain digits"),
    ("octal literal", "when", "annual_rd_expense > 0o7", "plain digits"),
    ("long string", "when", "applicant_type == '" + "x" * 200 + "'", "string literal longer"),
    ("long expression", "amount", "annual_rd_expense + " * 300 + "1", "longer than"),
    ("nested min", "amount", "min(" * 30 + "annual_rd_expense" + ")" * 30, "nested deeper"),
    ("nested not", "when", "not " * 40 + "gazelle_first", "nested deeper"),
    ("nested minus", "amount", "-" * 40 + "annual_rd_expense", "nested deeper"),
    ("nested parentheses", "amount", "(" * 300 + "1" + ")" * 300, "not a valid expression"),
    ("chained comparison", "when", " < ".join(["annual_rd_expense"] * 60), "longer than"),
    # names and types
    ("undeclared name", "when", "os == 1", "undeclared name"),
    ("type mismatch", "when", "gazelle_first + 1 > 0", "arithmetic takes numbers"),
    ("division by zero", "amount", "annual_rd_expense / 0", "division by zero"),
]


@pytest.mark.parametrize(
    ("key", "expression", "message"),
    [p[1:] for p in HOSTILE_EXPRESSIONS],
    ids=[p[0] for p in HOSTILE_EXPRESSIONS],
)
def test_hostile_expression_is_refused_at_load_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, expression: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path, line = policy_with(tmp_path, key, expression)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    lines = info.value.lines()
    assert any(
        text.startswith(f"{path}:{line}: rd-investment-subsidy.{key}: ") for text in lines
    ), lines
    assert message in info.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.toml"]  # nothing ran


def test_hostile_expression_through_the_cli(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path, line = policy_with(tmp_path, "when", "__import__('os').system('touch pwned') == 0")
    refused(run("calc", "--policy", str(path), "--set", "annual_rd_expense=1"), f"{path}:{line}: ")
    result = run("lint", str(path))
    assert result.exit_code == 2 and f"{path}:{line}: " in result.output
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rd-investment-subsidy.amount=__import__('os').getcwd()", "function calls not allowed"),
        ("rd-investment-subsidy.cap=9 ** 9 ** 9", "only + - * /"),
        ("rd-investment-subsidy.cap=0-5", "0-5 is -5: an amount or a cap is never negative"),
        ("rd-investment-subsidy.amount=max - threshold", "is -9800000: an amount or a cap"),
        ("rd-investment-subsidy.rate=1e400%", "is not a rate"),
        ("rd-investment-subsidy.max=nan", "is not an amount"),
        ("rd-investment-subsidy.__class__=1", "no such value"),
        ("nope.max=1", "no article"),
    ],
)
def test_hostile_override(run: Run, override: str, message: str) -> None:
    refused(run("calc", "--override", override, "--set", "annual_rd_expense=2000万"), message)


HOSTILE_VALUES = [
    ("nan", "max = nan", "not a finite"),
    ("inf", "max = inf", "not a finite"),
    ("1e400", "max = 1e400", "not a finite"),
    ("huge integer", "max = 1" + "0" * 100, "implausibly large"),
    ("negative", "max = -5", "negative"),
    ("negative rate", 'rate = "-0.5%"', "is not a percentage"),
    ("huge rate", 'rate = "1e400%"', "is not a percentage"),
    ("tiny rate", 'rate = "1e-999999%"', "is not a percentage"),
    ("garbage rate", 'rate = "abc%"', "is not a percentage"),
    ("boolean", "max = true", "is not a number"),
]


@pytest.mark.parametrize(
    ("value", "message"), [p[1:] for p in HOSTILE_VALUES], ids=[p[0] for p in HOSTILE_VALUES]
)
def test_hostile_policy_value_is_refused_at_load(tmp_path: Path, value: str, message: str) -> None:
    old = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'
    name = value.split(" = ")[0]
    new = old.replace(f'{name} = "{"0.5%" if name == "rate" else "20万"}"', value)
    assert new != old
    text = POLICY_TEXT.replace(old, new)
    path = tmp_path / "values.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    line = text[: text.index(new)].count("\n") + 1
    assert any(
        t.startswith(f"{path}:{line}: rd-investment-subsidy.values: {name}: ")
        for t in info.value.lines()
    )
    assert message in info.value.message


def test_a_formula_beyond_exact_range_is_an_error_not_a_traceback(run: Run) -> None:
    # 10^14 元 × 10^12: beyond what rounds exactly to the fen (money × money is refused).
    override = "gazelle.amount=deductible_rd_expense * 1_000_000_000_000"
    result = run(
        "calc",
        "--override",
        override,
        "--set",
        "gazelle_first=y",
        "--set",
        "deductible_rd_expense=1000000亿",
        "-f",
        "json",
    )
    refused(result, "gazelle", "out of range")


POLICY_FILES_REFUSED = [
    (
        "deep arrays",
        lambda: (POLICY_TEXT + "\nzzz = " + "[" * 5000 + "]" * 5000 + "\n").encode(),
        "invalid TOML",
    ),
    (
        "5000-digit integer",
        lambda: (POLICY_TEXT + "\nzzz = " + "9" * 5000 + "\n").encode(),
        "invalid TOML",
    ),
    ("UTF-16", lambda: POLICY_TEXT.encode("utf-16"), "is UTF-16; save it as UTF-8"),
    ("binary", lambda: bytes(range(256)), "not UTF-8"),
    ("empty", lambda: b"", "Field required"),
    (
        "NUL byte",
        lambda: POLICY_TEXT.replace('id = "gazelle"', 'id = "gaz\x00elle"').encode(),
        "is binary, not text",
    ),
    ("not a policy", lambda: b"[x]\ny = 1\n", "Field required"),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [p[1:] for p in POLICY_FILES_REFUSED],
    ids=[p[0] for p in POLICY_FILES_REFUSED],
)
def test_hostile_policy_file(
    run: Run, tmp_path: Path, make: Callable[[], bytes], message: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(make())
    assert str(path) in refused(run("calc", "--policy", str(path)), message)


def test_policy_directory_and_missing_policy(run: Run, tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    refused(run("calc", "--policy", str(tmp_path / "dir.toml")), "is a directory")
    refused(run("calc", "--policy", str(tmp_path / "missing.toml")), "missing.toml")
    refused(run("calc", "--policy", "no-such-policy-id"), "no policy file or bundled policy id")


# ---------------------------------------------------------------------------------------------
# Fuzzing the parsers and the compiler with generated input

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["1200万", "-0", "1e400", "NaN", "是", "15%", "１２"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


FIELDS = [item["name"] for item in tomllib.loads(POLICY_TEXT)["inputs"]]


@FUZZ
@given(st.dictionaries(st.sampled_from([*FIELDS, "bogus"]), JSONISH))
def test_fuzz_profile_values(policy: Policy, raw: dict[str, Any]) -> None:
    try:
        profile = parse_profile(raw, policy, "fuzz")
    except ProfileError as exc:
        assert exc.lines() and all(line.startswith("fuzz: ") for line in exc.lines())
        return
    evaluation = evaluate(policy, profile)
    for r in evaluation.results:
        assert r.amount is None or r.amount >= 0


@FUZZ
@given(
    st.one_of(st.text(max_size=40), st.text(alphabet="0123456789.,万亿千元¥ -_eE%+", max_size=40))
)
def test_fuzz_value_parsers_answer_or_refuse(text: str) -> None:
    for parse in (money.parse_money, money.parse_count, money.parse_bool, money.parse_rate):
        try:
            value = parse(text)
        except MoneyError:
            continue
        if isinstance(value, Decimal):
            assert value.is_finite() and value >= 0 and not value.is_signed()
            assert len(f"{value:f}") < 60  # never a number too long to show


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_profile_bytes(raw: bytes) -> None:
    for loads in (loads_json, loads_toml):
        try:
            loads(decode(raw, "fuzz"), "fuzz")
        except ProfileError as exc:
            assert exc.lines()[0].startswith("fuzz")


@deterministic(60)
@given(st.text(max_size=80) | JSONISH.map(lambda v: json.dumps(v, default=str)))
def test_fuzz_stdin_through_the_cli(run: Run, text: str) -> None:
    result = run("calc", "-", "--format", "json", input=text)
    if result.exit_code == 0:
        accepted(result)
    else:
        refused(result)


SYMBOLS = {
    "rd": Symbol("money", label={"zh": "研发", "en": "R&D"}),
    "n": Symbol("count", label={"zh": "数", "en": "n"}),
    "flag": Symbol("bool", label={"zh": "是否", "en": "flag"}),
    "rate": Symbol("rate", value=Decimal("0.005")),
}
TOKENS = [
    "rd",
    "n",
    "flag",
    "rate",
    "1",
    "0",
    "1e9",
    "0x1",
    "(",
    ")",
    "[",
    "]",
    "+",
    "-",
    "*",
    "/",
    "**",
    "//",
    "<",
    ">=",
    "==",
    " and ",
    " or ",
    "not ",
    "min(",
    "max(",
    ",",
    ".",
    "__class__",
    "__import__",
    "open(",
    "lambda:",
    " for x in ",
    " if ",
    " else ",
    "'s'",
    ":=",
    "@",
    "~",
    "{",
    "}",
]


@FUZZ
@given(
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    st.sampled_from([None, "bool", "numeric"]),
)
def test_fuzz_expressions_compile_or_are_refused(text: str, expect: str | None) -> None:
    try:
        compiled = compile_expr(text, SYMBOLS, expect=expect)
    except ExpressionError as exc:
        assert exc.message
        return
    for env in (
        {},
        {"rd": Decimal(0), "n": 0, "flag": False},
        {"rd": Decimal(10**15), "n": 10**6, "flag": True},
    ):
        compiled(env)  # evaluates without raising, unknowns included


# ---------------------------------------------------------------------------------------------
# Nothing is lost: every file is written to a temporary file and renamed into place


def test_writes_go_through_a_temporary_file_and_a_rename(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        renames.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    out, save, template = tmp_path / "out.json", tmp_path / "acme.toml", tmp_path / "new.toml"
    assert run("calc", "--set", "gazelle_first=y", "-f", "json", "-o", str(out)).exit_code == 0
    assert run("init", str(template)).exit_code == 0
    status = run_interview(
        load_policy(BUNDLED),
        {"applicant_type": "university"},
        save=str(save),
        show=lambda e: None,
        stdin=io.StringIO("\n" * 40),
        stderr=io.StringIO(),
    )
    assert status == 0
    assert [Path(dst) for _, dst in renames] == [out, template, save]
    for src, dst in renames:
        assert Path(src).parent == Path(dst).parent and Path(src).name.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.toml", "new.toml", "out.json"]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "markdown"])
def test_a_failed_run_leaves_the_output_file_untouched(run: Run, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out.txt"
    out.write_text("previous", encoding="utf-8")
    refused(run("calc", "-", "-f", fmt, "-o", str(out), input='{"annual_rd_expense": "x"}'))
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError, ValueError])
def test_an_interrupted_write_leaves_the_file_untouched(
    tmp_path: Path, error: type[BaseException]
) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous", encoding="utf-8")
    with pytest.raises((error, SubsidyError)), atomic_writer(out) as handle:
        handle.write("half")
        raise error("interrupted")
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_full_disk_is_a_message_and_the_old_file_stays(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "out.json"
    out.write_text("previous", encoding="utf-8")
    refused(run("calc", "--set", "gazelle_first=y", "-f", "json", "-o", str(out)), "No space left")
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_writing_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("previous", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"


def test_writing_to_a_fifo_writes_into_it_and_keeps_it(run: Run, tmp_path: Path) -> None:
    """`-o /dev/stdout` or `-o /dev/null` must not replace the device with a regular file."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = run("calc", "--set", "gazelle_first=y", "-f", "csv", "-o", str(fifo))
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert b"gazelle" in os.read(reader, 1 << 16)
    finally:
        os.close(reader)


def test_output_into_a_missing_folder_or_a_directory(run: Run, tmp_path: Path) -> None:
    refused(run("calc", "-o", str(tmp_path / "no" / "out.json")), "does not exist")
    result = run("calc", "-o", str(tmp_path))
    assert result.exit_code == 2 and "directory" in result.output


# ---------------------------------------------------------------------------------------------
# Batch: bad records, a killed run


def _has_batch() -> bool:
    import typer.main

    from subsidycli.cli import app

    return "batch" in typer.main.get_command(app).commands  # type: ignore[attr-defined]


needs_batch = pytest.mark.skipif(not _has_batch(), reason="`subsidy batch` is not there yet")


def _jsonl(n: int) -> Iterator[str]:
    for i in range(n):
        yield json.dumps(
            {
                "name": f"c{i}",
                "annual_rd_expense": f"{1000 + i}万",
                "deductible_rd_expense": f"{900 + i}万",
                "jiebang_projects": i % 3,
            }
        )


@needs_batch
@pytest.mark.parametrize(
    "sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["KILL", "INT", "TERM"]
)
def test_killing_a_long_batch_leaves_the_earlier_output_untouched(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SUBSIDYCLI_CACHE_DIR": "",
           "LANG": "C.UTF-8"}  # fmt: skip
    records = "\n".join(_jsonl(20_000)) + "\n"  # ~3 MB of output: some of it reaches the file
    with batch_in_flight(records, out, env) as proc:  # mid-run, and it cannot end by itself
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert b"Traceback" not in err
    if sig != signal.SIGKILL:  # a signal that can be caught also removes the temporary file
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


BATCH_JSONL = [
    ("null", "null"),
    ("array", "[1, 2]"),
    ("NaN", '{"annual_rd_expense": NaN}'),
    ("1e400", '{"annual_rd_expense": 1e400}'),
    ("negative count", '{"jiebang_projects": -1}'),
    ("fractional count", '{"jiebang_projects": 0.5}'),
    ("bool as money", '{"annual_rd_expense": true}'),
    ("unknown field", '{"gazele_first": true}'),
    ("duplicate key", '{"gazelle_first": true, "gazelle_first": false}'),
    ("trailing garbage", '{"gazelle_first": true} x'),
    ("deep nesting", "[" * 50_000 + "]" * 50_000),
    ("long text", json.dumps({"name": "x" * 100_000})),
    ("control character", '{"name": "\\u001b[2J"}'),
    ("count beyond Decimal's range", '{"jiebang_projects": 1e1000000}'),  # once a decimal.Overflow
    ("count below Decimal's range", '{"jiebang_projects": 1e-999999999}'),  # once read as 0
    ("circled digit", '{"jiebang_projects": "①"}'),
]


@needs_batch
def test_batch_reports_each_bad_record_by_line_and_keeps_the_good_ones(
    run: Run, tmp_path: Path
) -> None:
    good = '{"gazelle_first": true}'
    lines = [good] + [text for _, text in BATCH_JSONL] + [good]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("batch", str(source), "--output", str(out))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    for number in range(2, len(lines)):
        assert f":{number}:" in result.stderr or f"line {number}" in result.stderr, (
            number,
            result.stderr,
        )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, len(lines)]
    assert all(r["total"] == "200000.00" for r in records)


@needs_batch
def test_summary_counts_a_count_beyond_decimal_range_as_one_bad_record(
    run: Run, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"gazelle_first": true}\n{"jiebang_projects": 1e1000000}\n{"gazelle_first": true}\n',
        encoding="utf-8",
    )
    result = run("summary", str(source), "--lang", "en")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert f"{source}:2: jiebang_projects: 1e1000000 is implausibly large" in result.stderr
    assert "400,000.00" in result.stdout  # the two good records, added up


BATCH_FILES_REFUSED = [
    ("UTF-16", "in.jsonl", '{"gazelle_first": true}\n'.encode("utf-16")),
    ("binary", "in.jsonl", bytes(range(256))),
    ("NUL bytes", "in.jsonl", b'{"gazelle_first": true}\n\x00\x00\n'),
    ("CSV in UTF-16 without its BOM", "in.csv", "gazelle_first\ny\n".encode("utf-16-le")),
    ("CSV in Latin-1", "in.csv", "name\nMüller Café\n".encode("latin-1")),  # not read as GBK
    ("binary CSV", "in.csv", bytes(range(256))),
]


@needs_batch
@pytest.mark.parametrize(
    ("name", "content"),
    [p[1:] for p in BATCH_FILES_REFUSED],
    ids=[p[0] for p in BATCH_FILES_REFUSED],
)
def test_batch_hostile_files(run: Run, tmp_path: Path, name: str, content: bytes) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    result = run("batch", str(source))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.strip() and "Traceback" not in result.stderr


@needs_batch
@pytest.mark.parametrize("name", ["missing.jsonl", "in.yaml", "folder.csv"])
def test_batch_bad_input_paths(run: Run, tmp_path: Path, name: str) -> None:
    (tmp_path / "in.yaml").write_text("{}", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    refused(run("batch", str(tmp_path / name)))


@needs_batch
@pytest.mark.parametrize(
    "csv_text",
    [
        "",
        "\ufeffname,gazelle_first\nACME,是\n",
        "name,name\nx,y\n",
        "nope\n1\n",
        'name\n"unclosed\n',
        "gazelle_first\n" + "y," * 10_000 + "\n",
        pytest.param(
            "name,gazelle_first\n=cmd|' /C calc'!A0,y\n",
            id="formula in a name",
        ),
    ],
)
def test_batch_hostile_csv(run: Run, tmp_path: Path, csv_text: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(csv_text, encoding="utf-8")
    result = run("batch", str(source), "--output", str(tmp_path / "out.csv"))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.stderr
    if result.exit_code:
        assert result.stderr.strip()
    out = tmp_path / "out.csv"
    if out.exists():  # a spreadsheet must not see a formula in a cell someone else wrote
        for line in out.read_text(encoding="utf-8-sig").splitlines():
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line.split(","))


@needs_batch
@deterministic(40)
@given(
    st.lists(st.text(max_size=40) | JSONISH.map(lambda v: json.dumps(v, default=str)), max_size=8)
)
def test_fuzz_batch_lines(run: Run, lines: list[str]) -> None:
    text = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n"
    result = run("batch", "-", input=text)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:  # only for no record at all: never a silent success
        assert not text.strip(" \n\t\r\x0b\x0c") and result.stdout == "", result.output
        assert "holds no record" in result.stderr
        return
    assert result.exit_code in (0, 1), result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    if result.exit_code == 0:  # nothing on stderr but the last line, which counts the records
        assert result.stderr.splitlines() == [
            f"subsidy: records written: {len(records)}, failed: 0; output: stdout"
        ]
    for record in records:
        assert Decimal(record["total"]) >= 0


# ---------------------------------------------------------------------------------------------
# Names that would show reversed or split a record: refused on every input path (issue 25)

MARKED_NAMES = ["ACME\u202eevil", "A\u2028B", "A\u2029B", "\u2066x\u2069"]


@needs_batch
@pytest.mark.parametrize("suffix", ["csv", "xlsx", "jsonl"])
def test_a_name_with_a_direction_or_line_mark_is_a_bad_record_in_batch(
    run: Run, tmp_path: Path, suffix: str
) -> None:
    rows = [["name", "gazelle_first"], ["Good", "y"], *([n, "y"] for n in MARKED_NAMES)]
    source = tmp_path / f"in.{suffix}"
    if suffix == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(source)
    elif suffix == "csv":
        source.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    else:
        lines = [json.dumps({"name": n, "gazelle_first": True}) for n, _ in rows[1:]]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("batch", str(source), "--output", str(out), "--lang", "en")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    first = 3 if suffix != "jsonl" else 2  # the line of the first marked name
    for line in range(first, first + len(MARKED_NAMES)):
        assert f":{line}: name: " in result.stderr, result.stderr
    assert result.stderr.count("invisible direction or line-separator mark") == len(MARKED_NAMES)
    written = out.read_text(encoding="utf-8")
    assert "Good" in written
    assert not any(mark in written for mark in "\u202e\u2028\u2029\u2066")
    assert len(written.splitlines()) == len(str.splitlines(written))  # one record a line


MARKDOWN_NAME = "[x](javascript:alert(1)) ![b](http://e.vil/t.png) A&B &copy; <i>*em*</i> `c`"


def test_markup_in_a_name_is_text_in_markdown(run: Run) -> None:
    result = run("calc", "-f", "markdown", "--lang", "en", "--set", f"name={MARKDOWN_NAME}")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "javascript" in x)
    # No link, no image, no entity, no HTML, no emphasis or code: each mark escaped.
    assert line == (
        r"**\[x\]\(javascript:alert\(1\)\) \!\[b\]\(http://e.vil/t.png\) A&amp;B &amp;copy; "
        r"&lt;i&gt;\*em\*&lt;/i&gt; \`c\`**"
    )
    for live in ("](", "![", "&copy;", "<i>", "*em*", "`c`"):
        assert live not in line


def test_an_entity_in_a_policy_title_is_text_in_markdown(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        POLICY_TEXT.replace('en = "R&D investment subsidy"', 'en = "R&D &copy; &#60;b&#62;"'),
        encoding="utf-8",
    )
    result = run(
        "calc", "--policy", str(path), "-f", "markdown", "--lang", "en",
        "--set", "annual_rd_expense=1200万", "--set", "deductible_rd_expense=1200万",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| R&D &amp;copy; &amp;#60;b&amp;#62; (`rd-investment-subsidy`) |" in result.stdout
