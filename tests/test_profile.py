"""Profiles: reading JSON and TOML, checking every field against the policy, what stays unknown.

Each test states a rule of `profile.py`: a field left out, null or blank is unknown; every problem
is named with its file, line and field.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import profile
from subsidycli.errors import ProfileError
from subsidycli.policy import Policy


def problems(exc: pytest.ExceptionInfo[ProfileError]) -> list[str]:
    return exc.value.lines()


# --- Reading files ---------------------------------------------------------------------------


def test_a_profile_is_read_by_its_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"annual_rd_expense": 12.50}', encoding="utf-8")
    (tmp_path / "a.TOML").write_text("annual_rd_expense = 12.50\n", encoding="utf-8")
    for name in ("a.json", "a.TOML"):
        raw = profile.read_profile(str(tmp_path / name))
        assert raw == {"annual_rd_expense": Decimal("12.50")}
        assert type(raw["annual_rd_expense"]) is Decimal  # exact, never a float
    assert profile.read_profile("-", '{"x": 1}') == {"x": 1}  # "-": the text read from stdin


def test_empty_text_is_said_to_be_empty(tmp_path: Path) -> None:
    empty = 'is empty: a profile is a JSON object, e.g. {"applicant_type": "enterprise"}'
    for text in ("", None, " \n"):
        with pytest.raises(ProfileError) as info:
            profile.read_profile("-", text)
        assert problems(info) == [f"<stdin>: {empty}"]
    path = tmp_path / "e.json"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        profile.read_profile(str(path))
    assert problems(info) == [f"{path}: {empty}"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("p.yaml", "unknown profile type '.yaml' (use .json or .toml)"),
        ("profile", "unknown profile type '(no suffix)' (use .json or .toml)"),
    ],
)
def test_other_suffixes_are_refused(name: str, message: str) -> None:
    with pytest.raises(ProfileError) as info:
        profile.read_profile(name)
    assert problems(info) == [f"{name}: {message}"]


def test_unreadable_files_say_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ProfileError) as info:
        profile.read_profile(str(missing))
    assert problems(info) == [f"{missing}: no such file"]
    folder = tmp_path / "dir.json"
    folder.mkdir()
    with pytest.raises(ProfileError) as info:
        profile.read_profile(str(folder))
    assert problems(info) == [f"{folder}: is a directory, not a file"]


def test_a_file_of_more_than_ten_mib_is_refused_and_ten_mib_is_read(tmp_path: Path) -> None:
    limit = profile.MAX_INPUT_BYTES
    assert limit == 10 * 1024 * 1024
    big = tmp_path / "big.json"
    body = '{"name": "x"}'
    big.write_text(body + " " * (limit - len(body)), encoding="utf-8")
    assert profile.read_profile(str(big)) == {"name": "x"}
    big.write_text(body + " " * (limit - len(body) + 1), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        profile.read_profile(str(big))
    assert problems(info) == [f"{big}: is larger than 10 MiB; use `subsidy batch`"]


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "甲"}, ensure_ascii=False).encode())
    assert profile.read_profile(str(path)) == {"name": "甲"}


# --- JSON and TOML ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "a profile is a JSON object {...}, not a list"),
        ("12", "a profile is a JSON object {...}, not a number"),
        ("true", "a profile is a JSON object {...}, not true or false"),
        ("null", "a profile is a JSON object {...}, not null"),
        ('"x"', "a profile is a JSON object {...}, not a string"),
        ('{"a": NaN}', "invalid JSON: NaN is not a number"),
        ('{"a": -Infinity}', "invalid JSON: -Infinity is not a number"),
        ('{"a": 1, "a": 2}', "invalid JSON: duplicate key 'a'"),
    ],
)
def test_json_that_is_no_profile_is_refused(text: str, message: str) -> None:
    with pytest.raises(ProfileError) as info:
        profile.loads_json(text, "p.json")
    assert problems(info) == [f"p.json: {message}"]


def test_a_json_syntax_error_has_its_line_and_column() -> None:
    with pytest.raises(ProfileError) as info:
        profile.loads_json('{\n  "a": 1,\n}', "p.json")
    assert problems(info) == [
        "p.json:3:1: invalid JSON: Expecting property name enclosed in double quotes"
    ]
    with pytest.raises(ProfileError) as info:
        profile.loads_json('{"a": }', "p.jsonl:7", one_line=True)
    assert problems(info) == ["p.jsonl:7: column 7: invalid JSON: Expecting value"]


def test_json_nested_too_deeply_is_refused_in_one_line() -> None:
    with pytest.raises(ProfileError) as info:
        profile.loads_json("[" * 100_000 + "]" * 100_000, "deep.json")
    (line,) = problems(info)
    assert line.startswith("deep.json: invalid JSON: ") and len(line) <= len("deep.json: ") + 200


def test_json_keys_keep_their_order_and_numbers_stay_exact() -> None:
    data = profile.loads_json('{"b": 0.1, "a": 3, "c": true}', "p.json")
    assert list(data) == ["b", "a", "c"]
    assert data == {"b": Decimal("0.1"), "a": 3, "c": True}


def test_toml_numbers_stay_exact_and_errors_have_line_and_column() -> None:
    assert profile.loads_toml("x = 0.1\ny = 2\n", "p.toml") == {"x": Decimal("0.1"), "y": 2}
    with pytest.raises(ProfileError) as info:
        profile.loads_toml("x = 1\ny = \n", "p.toml")
    (line,) = problems(info)
    assert line.startswith("p.toml:2:5: invalid TOML: ")


# --- Checking and parsing fields -------------------------------------------------------------


def test_blank_values_are_unknown(policy: Policy) -> None:
    raw = {"annual_rd_expense": "", "jiebang_projects": None, "name": "  ", "gazelle_first": "是"}
    assert profile.parse_profile(raw, policy) == {"gazelle_first": True}


def test_every_problem_is_named_with_the_field(policy: Policy) -> None:
    raw = {"annual_rd_expens": "1", "jiebang_projects": "-1", "gazelle_first": "maybe", "zzz": 1}
    with pytest.raises(ProfileError) as info:
        profile.parse_profile(raw, policy, "p.json")
    assert problems(info) == [
        "p.json: annual_rd_expens: unknown field (did you mean annual_rd_expense?)",
        "p.json: jiebang_projects: '-1' is negative (a whole number ≥ 0, e.g. 0, 1, 2)",
        "p.json: gazelle_first: 'maybe' is not yes/no (true/false, yes/no, 是/否, 有/无, 1/0)",
        "p.json: zzz: unknown field (see `subsidy schema` for the fields)",
    ]


def test_a_blank_value_of_an_unknown_field_is_still_an_unknown_field(policy: Policy) -> None:
    with pytest.raises(ProfileError) as info:
        profile.parse_profile({"bogus": ""}, policy)
    assert problems(info) == ["bogus: unknown field (see `subsidy schema` for the fields)"]


def test_a_value_of_the_wrong_shape_is_named(policy: Policy) -> None:
    with pytest.raises(ProfileError) as info:
        profile.parse_profile({"annual_rd_expense": [1]}, policy)
    assert problems(info) == [
        "annual_rd_expense: a list is not an amount (a non-negative amount in 元, e.g. 12000000, "
        "12,000,000, ¥12,000,000.00, 1200万, 1.2亿)"
    ]


def test_an_unknown_field_is_shown_on_one_line() -> None:
    names = ["annual_rd_expense"]
    assert profile.unknown_field("annual_rd_expens", names) == (
        "annual_rd_expens: unknown field (did you mean annual_rd_expense?)"
    )
    assert profile.unknown_field("x" * 100, names).startswith("x" * 60 + ": unknown field")
    assert profile.unknown_field("a\nb", names).startswith("'a\\nb': unknown field")
    assert (
        profile.unknown_field(3, names) == "3: unknown field (see `subsidy schema` for the fields)"
    )


# --- --set, --assume-no, saving --------------------------------------------------------------


def test_set_assignments_are_field_equals_value() -> None:
    raw, bad = profile.parse_assignments(
        [" annual_rd_expense = 1200万 ", "name=a=b", "novalue", "=3", " =3", "empty="]
    )
    assert raw == {"annual_rd_expense": "1200万", "name": "a=b", "empty": ""}
    hint = "expected FIELD=VALUE, e.g. FIELD=1200万 (subsidy schema lists the fields)"
    assert bad == [f"--set 'novalue': {hint}", f"--set '=3': {hint}", f"--set ' =3': {hint}"]


def test_assume_no_fills_unknown_amounts_counts_and_yes_no_only(policy: Policy) -> None:
    filled = profile.assume_no({"annual_rd_expense": Decimal(5)}, policy)
    assert filled["annual_rd_expense"] == Decimal(5)  # what is known stays
    assert filled["deductible_rd_expense"] == Decimal(0)
    assert filled["jiebang_projects"] == 0 and filled["gazelle_first"] is False
    assert "name" not in filled  # text stays unknown
    assert "applicant_type" not in filled  # a field with a default keeps its default
    assert "income_tax_rate" not in filled  # a rate is not 0: it has a conditional default
    kinds = {policy.inputs[n].type for n in filled}
    assert kinds <= {"money", "count", "bool"}


def test_a_saved_profile_reads_back_in_the_policy_order(policy: Policy, tmp_path: Path) -> None:
    parsed = {"gazelle_first": True, "annual_rd_expense": Decimal("12000000.50"), "name": "甲"}
    text = profile.dump_profile(parsed, policy, "p.json")
    assert text.endswith("}\n") and '\n  "annual_rd_expense": "12000000.50"' in text
    order = [n for n in policy.inputs if n in parsed]
    assert list(json.loads(text)) == order
    toml = profile.dump_profile(parsed, policy, "p.toml")
    assert list(tomllib.loads(toml)) == order
    for name, dumped in (("p.json", text), ("p.toml", toml)):
        (tmp_path / name).write_text(dumped, encoding="utf-8")
        raw = profile.read_profile(str(tmp_path / name))
        assert profile.parse_profile(raw, policy) == parsed
    with pytest.raises(ProfileError):
        profile.dump_profile(parsed, policy, "p.yaml")


def test_toml_nested_too_deeply_names_the_file() -> None:
    with pytest.raises(ProfileError) as info:
        profile.loads_toml("x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.toml")
    (line,) = problems(info)
    assert line.startswith("deep.toml: invalid TOML: ")


def test_a_profile_digest_is_the_sha256_of_its_canonical_json() -> None:
    """Anyone can check a receipt's digest: sorted keys, no spaces, UTF-8, amounts without
    needless zeros; so 1200万 and 12,000,000.00 give the same digest."""
    import hashlib

    canonical = '{"annual_rd_expense":"12000000","gazelle_first":true,"name":"甲"}'
    want = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    written = {"name": "甲", "gazelle_first": True, "annual_rd_expense": Decimal("1.2E+7")}
    assert profile.digest(written) == want
    assert profile.digest({**written, "annual_rd_expense": Decimal("12000000.00")}) == want
    assert profile.digest({**written, "gazelle_first": False}) != want
