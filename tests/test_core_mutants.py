"""Rules of the core this round changed, each stated where a surviving mutant showed no test
said it: a value's places against its column, the narrow columns a wide product needs, the
bound of an amount times a count, the day's sources and their words, override keys, and the
Chinese of a bare JSON string."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import sql
from subsidycli.policy import load_policy
from subsidycli.sql.cells import fits
from subsidycli.sql.types import COLUMN_TYPES, NARROW
from tests.conftest import Run

POLICY = """\
[policy]
id = "wide"
title = {{ zh = "宽度", en = "Width" }}
issuer = {{ zh = "某市人民政府", en = "Some City Government" }}

[[sections]]
id = "1"
title = {{ zh = "奖励", en = "Grants" }}

[[inputs]]
name = "revenue"
type = "money"
label = {{ zh = "营业收入", en = "Revenue" }}

[[inputs]]
name = "share"
type = "rate"
label = {{ zh = "比例", en = "Share" }}

[[inputs]]
name = "items"
type = "count"
label = {{ zh = "项目数", en = "Projects" }}

[[articles]]
id = "grant"
section = "1"
title = {{ zh = "奖励", en = "Grant" }}
basis = "exact"
{rule}
source = "按比例奖励。"
"""


def _policy(tmp_path: Path, rule: str) -> object:
    path = tmp_path / "wide.toml"
    path.write_text(POLICY.format(rule=rule), encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize(("value", "shape", "fitting"), [
    (Decimal("1.12345678"), (16, 8), True),
    (Decimal("1.123456789"), (16, 8), False),  # a ninth place: evaluated in Python
    (Decimal("1200"), (7, 0), True),  # normalized 1.2E+3: no places at all
    (Decimal("12.5"), (7, 0), False),
])  # fmt: skip
def test_a_value_fits_its_column_by_its_places(value: Decimal, shape: tuple[int, int],
                                                fitting: bool) -> None:  # fmt: skip
    assert fits(value, shape) is fitting


def test_a_product_too_wide_for_the_wide_columns_runs_on_the_narrow_ones(tmp_path: Path) -> None:
    wide = _policy(tmp_path, 'when = "items >= 1"\namount = "share * revenue * items"')
    query = sql.compile_summary(wide)  # type: ignore[arg-type]
    assert dict(query.shapes) == dict(NARROW) != dict(COLUMN_TYPES)


def test_an_amount_times_its_count_at_10_to_the_24_is_refused(tmp_path: Path) -> None:
    """1000 × revenue stays under 10^18; times a count of up to 10^6 it could reach 10^24."""
    per_item = _policy(tmp_path, 'when = "items >= 1"\namount = "revenue * 1000"\n'
                                 'count = "items"')  # fmt: skip
    with pytest.raises(sql.Unsupported):
        sql.compile_summary(per_item)  # type: ignore[arg-type]
    alone = _policy(tmp_path, 'when = "items >= 1"\namount = "revenue * 1000"')
    sql.compile_summary(alone)  # type: ignore[arg-type]  # without the count: it fits


def test_a_bare_json_string_is_named_in_chinese(run: Run) -> None:
    result = run("calc", "-", "--lang", "zh", input='"x"')
    assert result.exit_code == 2
    assert "申报资料应为 JSON 对象 {...}，而不是文字" in result.output


def test_a_bad_date_is_named_with_what_would_be_valid(run: Run) -> None:
    result = run("calc", "--date", "2024-13-01")
    assert result.exit_code == 2
    assert "subsidy: --date '2024-13-01': expected a date as YYYY-MM-DD" in result.output


def test_subsidycli_today_sets_the_day_and_a_bad_one_is_named(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUBSIDYCLI_TODAY", "2024-01-01")
    result = run("calc", "--policy", "liuhe-2023")
    assert result.exit_code == 0, result.output
    assert "Expired" not in result.output and "2024-01-01" in result.output
    monkeypatch.setenv("SUBSIDYCLI_TODAY", "bad")
    result = run("calc", "--policy", "liuhe-2023")
    assert result.exit_code == 2
    assert "subsidy: SUBSIDYCLI_TODAY='bad': expected a date as YYYY-MM-DD" in result.output


def test_an_unknown_article_is_named_after_an_override_that_applied(run: Run) -> None:
    result = run("calc", "--override", "rd-investment-subsidy.max=30万", "--override",
                 "nosuch.max=1")  # fmt: skip
    assert result.exit_code == 2
    assert "--override nosuch.max: no article 'nosuch'" in result.output


def test_an_unknown_article_suggests_every_near_id(run: Run) -> None:
    result = run("calc", "--policy", "liuhe-2023", "--override", "new-drug-class.x=1")
    assert result.exit_code == 2
    assert "no article 'new-drug-class' (did you mean new-drug-class2, new-drug-class1?)" in (
        result.output)  # fmt: skip


def test_an_override_key_is_split_at_its_last_dot(run: Run, tmp_path: Path) -> None:
    """An article named by a title with a dot in it: the key's last dot starts the value."""
    path = tmp_path / "dotted.toml"
    text = POLICY.format(rule='values = { award = "10万" }\nwhen = "revenue > 0"\n'
                              'amount = "award"')  # fmt: skip
    path.write_text(text.replace('en = "Grant" }', 'en = "Grant No. 2" }'), encoding="utf-8")
    result = run("calc", "--policy", str(path), "--set", "revenue=100万", "--override",
                 "Grant No. 2.award=20万", "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"total": "200000.00"' in result.stdout


def test_a_name_of_many_articles_lists_eight_of_them(run: Run, tmp_path: Path) -> None:
    head, _, article = POLICY.partition("[[articles]]")
    rule = 'values = { award = "1万" }\nwhen = "revenue > 0"\namount = "award"'
    text = head.format() + "".join(
        "[[articles]]" + article.replace('id = "grant"', f'id = "g{n}"').format(rule=rule)
        for n in range(1, 11))  # fmt: skip
    path = tmp_path / "many.toml"
    path.write_text(text, encoding="utf-8")
    result = run("calc", "--policy", str(path), "--override", "奖励.award=2万")
    assert result.exit_code == 2
    listed = result.output.split("names several articles: ")[1].split("\n")[0]
    assert listed.split(", ") == [f"g{n} (奖励)" for n in range(1, 9)]  # of the ten


def test_a_text_with_a_direction_mark_is_refused_with_its_words(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bidi.json"
    path.write_text('{"name": "a\\u202eb"}', encoding="utf-8")
    result = run("calc", str(path))
    assert result.exit_code == 2
    assert ("bidi.json: name: 'a\\u202eb' contains an invisible direction or line-separator mark "
            "(U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C, U+2028, U+2029): remove it"
            ) in " ".join(result.output.split())  # fmt: skip


def test_a_count_with_a_conditional_default_is_left_to_python(tmp_path: Path) -> None:
    from dataclasses import replace

    from subsidycli.expr import Symbol, compile_expr

    policy = _policy(tmp_path, 'when = "items >= 1"\namount = "revenue"\ncount = "items"')
    sql.compile_summary(policy)  # type: ignore[arg-type]  # a plain count: compiled
    symbols = {"revenue": Symbol("money")}
    items = replace(policy.inputs["items"],  # type: ignore[attr-defined]
                    default_if=compile_expr("revenue > 0", symbols))  # fmt: skip
    defaulted = replace(policy, inputs={**policy.inputs, "items": items})  # type: ignore[type-var,attr-defined]
    with pytest.raises(sql.Unsupported, match="count = 'items'"):
        sql.compile_summary(defaulted)
