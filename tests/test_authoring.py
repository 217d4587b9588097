"""Policy authoring: what an analyst writing a policy file is told, and where.

--override keeps the kind of what it overrides and blames itself; defaults that go round in a
circle and effective dates out of order are refused; lint checks figures against the source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidycli.expr import Symbol
from subsidycli.policy import bundled_paths
from tests.conftest import Run

BUNDLED = bundled_paths()[0]
TEXT = BUNDLED.read_text(encoding="utf-8")
SOURCE = BUNDLED.parent / "zhenjiang-2024.source.zh.txt"
RD = ("--set", "annual_rd_expense=1亿", "--set", "deductible_rd_expense=1亿")


def policy_copy(tmp_path: Path, old: str, new: str, *, source: bool = True) -> Path:
    """The bundled policy with one edit, beside a copy of its source text."""
    assert old in TEXT, old
    path = tmp_path / "copy.toml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    if source:
        (tmp_path / SOURCE.name).write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def rd(data: dict[str, object]) -> dict[str, object]:
    return next(r for r in data["results"] if r["article"] == "rd-investment-subsidy")  # type: ignore[attr-defined,index]


# --- --override keeps the kind of what it overrides -------------------------------------------


@pytest.mark.parametrize(
    ("override", "amount"),
    [
        ("rd-investment-subsidy.max=30万", "300000.00"),
        ("rd-investment-subsidy.max=300000", "300000.00"),
        ("rd-investment-subsidy.max=¥300,000.00", "300000.00"),
        ("rd-investment-subsidy.rate=0.1%", "100000.00"),
        ("rd-investment-subsidy.rate=0.001", "100000.00"),
        ("rd-investment-subsidy.threshold=2亿", "0.00"),
    ],
)
def test_an_override_of_the_same_kind_is_taken(run: Run, override: str, amount: str) -> None:
    result = run("calc", "-f", "json", *RD, "--override", override)
    assert result.exit_code == 0, result.output
    assert rd(json.loads(result.stdout))["amount"] == amount


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rd-investment-subsidy.max=1%", "max is an amount of money (20万) and stays one: '1%'"),
        ("rd-investment-subsidy.threshold=0.5", None),  # 0.5 元 is money: taken, not refused
        ("rd-investment-subsidy.rate=30万", "rate is a rate (0.5%) and stays one: '30万'"),
        ("rd-investment-subsidy.cap=rate", "cap is an amount of money, not a rate"),
        ("rd-investment-subsidy.amount=rate", "amount is an amount of money, not a rate"),
        ("rd-investment-subsidy.cap=1 +", "not a valid expression"),
        ("high-tech-application.amount=10万", "the source states no amount"),
        ("high-tech-application.cap=10万", "the source states no amount"),
        ("talent-attraction.when=true", "an info article pays nothing"),
        ("gazelle.cap=10万", None),  # a cap where there was none: a real what-if
    ],
)
def test_an_override_blames_itself_not_a_line_of_the_file(
    run: Run, override: str, message: str | None
) -> None:
    result = run("calc", "-f", "json", *RD, "--override", override)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    key, _, value = override.partition("=")
    assert result.stderr.startswith(f"subsidy: --override {key}={value}: "), result.stderr
    assert message in result.stderr
    assert "zhenjiang-2024.toml" not in result.stderr  # the file is not to blame
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_override_of_a_value_no_expression_reads_is_refused(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path,
        'values = { max = "15万" }',
        'values = { max = "15万", spare = "5万" }',
    )
    result = run("calc", "--policy", str(path), "--override", "high-tech-recognition.spare=6万")
    assert result.exit_code == 2
    assert "no condition or amount of high-tech-recognition reads spare" in result.stderr
    used = run("calc", "--policy", str(path), "--override", "high-tech-recognition.max=6万")
    assert used.exit_code == 0, used.output


# --- defaults and dates -------------------------------------------------------------------------


def test_defaults_in_a_circle_are_refused_at_the_line(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "income_tax_rate > 0.2", then = false, else = true }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, 'default = { if = "income_tax_rate > 0.2"')  # the first of the circle
    assert f"{path}:{line}: input high_tech_enterprise: default: the defaults go round" in (
        result.stderr
    )
    assert "high_tech_enterprise → income_tax_rate → high_tech_enterprise" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one circle, said once


def test_a_default_that_reads_itself_is_a_circle(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "high_tech_enterprise", then = true, else = false }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    assert "high_tech_enterprise → high_tech_enterprise" in result.stderr


def test_a_chain_of_defaults_is_not_a_circle(run: Run, tmp_path: Path) -> None:
    old = 'name = "high_tech_enterprise"\ntype = "bool"\n'
    path = policy_copy(
        tmp_path,
        old,
        old + 'default = { if = "high_tech_recognized", then = true, else = false }\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 0, result.output


def test_effective_dates_out_of_order_are_refused(run: Run, tmp_path: Path) -> None:
    path = policy_copy(
        tmp_path,
        'id = "zhenjiang-2024"\n',
        'id = "zhenjiang-2024"\neffective_from = 2026-01-01\neffective_to = 2025-12-31\n',
    )
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, "effective_to")
    assert f"{path}:{line}: policy.effective_to 2025-12-31 is before effective_from" in (
        result.stderr
    )
    same_day = policy_copy(
        tmp_path,
        'id = "zhenjiang-2024"\n',
        'id = "zhenjiang-2024"\neffective_from = 2026-01-01\neffective_to = 2026-01-01\n',
    )
    assert run("lint", str(same_day)).exit_code == 0


# --- lint holds a policy to its source ----------------------------------------------------------

RD_VALUES = 'values = { threshold = "1000万", rate = "0.5%", max = "20万" }'


def test_the_bundled_policy_is_lint_clean(run: Run) -> None:
    result = run("lint", str(BUNDLED))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('max = "60万"', "60万"),
        ("max = 600000", None),  # a plain TOML number: not a money figure, not checked
        ('max = "600,000"', "60万"),
        ('max = "0.6亿"', "6000万"),
        ('threshold = "1001万"', "1001万"),
        ('threshold = "1亿"', "1亿"),
        ('rate = "0.6%"', "0.6%"),
        ('rate = "5%"', "5%"),
    ],
)
def test_a_figure_the_quote_does_not_state_is_an_error(
    run: Run, tmp_path: Path, value: str, shown: str | None
) -> None:
    name = value.split(" = ")[0]
    old = {"max": 'max = "20万"', "threshold": 'threshold = "1000万"', "rate": 'rate = "0.5%"'}
    path = policy_copy(tmp_path, RD_VALUES, RD_VALUES.replace(old[name], value))
    result = run("lint", str(path))
    if shown is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    line = line_of(path, "values = { threshold")
    expected = f"{path}:{line}: rd-investment-subsidy.values.{name}: {shown} does not appear"
    assert expected in result.stderr
    assert "对年度研发费用1000 万元（含）以上的" in result.stderr  # the quote, to compare
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "value",
    [
        'max = "200000"',
        'max = "200,000元"',
        'max = "20万元"',
        'max = "¥200,000.00"',
        'max = "0.002亿"',
    ],
)
def test_a_figure_in_any_form_the_money_parser_reads_matches(
    run: Run, tmp_path: Path, value: str
) -> None:
    path = policy_copy(tmp_path, RD_VALUES, RD_VALUES.replace('max = "20万"', value))
    result = run("lint", str(path))
    assert result.exit_code == 0, result.output


def test_a_quote_in_other_forms_matches_the_value(tmp_path: Path, run: Run) -> None:
    """The quote may write the figure as 200,000元 or with full-width digits."""
    from subsidycli.lint import figures

    assert [(str(v), k) for v, k, _ in figures("最高２０万元，或200,000元，1.5亿，0.5%，3项")] == [
        ("200000", "money"), ("200000", "money"), ("150000000.0", "money"), ("0.005", "rate"),
        ("3", "money"),
    ]  # fmt: skip


def test_a_missing_source_file_is_an_error(run: Run, tmp_path: Path) -> None:
    path = policy_copy(tmp_path, RD_VALUES, RD_VALUES, source=False)
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, "source_file =")
    assert f"{path}:{line}: source_file 'zhenjiang-2024.source.zh.txt' does not exist" in (
        result.stderr
    )


def test_a_quote_not_verbatim_in_the_source_says_where_it_parts(run: Run, tmp_path: Path) -> None:
    old = 'source = "对通过高新技术企业认定的，给予最高15万元支持。"'
    path = policy_copy(tmp_path, old, 'source = "对通过高新技术企业认定的，给予最多15万元支持。"')
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, "给予最多15万元")
    assert f"{path}:{line}: high-tech-recognition.source: not verbatim in " in result.stderr
    assert "after “…新技术企业认定的，给予最” the quote has “多15万元支持。…”" in result.stderr
    assert "where the source has “高15万元" in result.stderr
    # The paragraph the quote no longer covers is named at its line of the source text.
    source = tmp_path / SOURCE.name
    source_line = line_of(source, "对通过高新技术企业\n认定的")
    assert f"{source}:{source_line}: source text not quoted by any article" in result.stderr


def test_line_breaks_and_spaces_in_a_quote_are_not_differences(run: Run, tmp_path: Path) -> None:
    old = 'source = "对通过高新技术企业认定的，给予最高15万元支持。"'
    path = policy_copy(tmp_path, old, 'source = "对通过高新技术企业认定的， 给予最高 15万元支持。"')
    assert run("lint", str(path)).exit_code == 0


def test_money_times_money_is_refused(run: Run, tmp_path: Path) -> None:
    old = 'amount = "rate * deductible_rd_expense"'
    path = policy_copy(tmp_path, old, 'amount = "annual_rd_expense * deductible_rd_expense"')
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, 'amount = "annual_rd')
    assert f"{path}:{line}: rd-investment-subsidy.amount: " in result.stderr
    assert "money × money is no amount of money" in result.stderr
    allowed = policy_copy(tmp_path, old, 'amount = "rate * deductible_rd_expense * 2"')
    assert run("lint", str(allowed)).exit_code == 0


# --- errors an analyst can act on -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("annual_rd_expense >= 1000万", "1000万 is a figure of the policy: put it in the article"),
        ("annual_rd_expense >= 10,000,000", "10,000,000 is a figure of the policy"),
        ("annual_rd_expense >= 1000 万元", "1000 万元 is a figure of the policy"),
        ("annual_rd_expense = threshold", "did you mean 'annual_rd_expense == threshold'?"),
        ("annual_rd_expense ≥ threshold", "did you mean 'annual_rd_expense >= threshold'?"),
        ("annual_rd_expense ＞＝ threshold", "did you mean 'annual_rd_expense >= threshold'?"),
        (
            "annual_rd_expense >= threshold 且 high_tech_enterprise",
            "did you mean 'annual_rd_expense >= threshold and high_tech_enterprise'?",
        ),
        (
            "annual_rd_expense >= threshold && !high_tech_enterprise",
            "did you mean 'annual_rd_expense >= threshold and not high_tech_enterprise'?",
        ),
        (
            "（annual_rd_expense >= threshold） || high_tech_enterprise",
            "did you mean '(annual_rd_expense >= threshold) or high_tech_enterprise'?",
        ),
    ],
)
def test_a_slip_in_an_expression_gets_what_was_meant(
    run: Run, tmp_path: Path, expression: str, message: str
) -> None:
    old = 'when = "annual_rd_expense >= threshold"'
    path = policy_copy(tmp_path, old, f'when = "{expression}"')
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, f'when = "{expression}"')
    assert f"{path}:{line}: rd-investment-subsidy.when: " in result.stderr
    assert message in result.stderr


def test_a_suggestion_is_only_made_when_it_compiles(tmp_path: Path, run: Run) -> None:
    old = 'when = "annual_rd_expense >= threshold"'
    path = policy_copy(tmp_path, old, 'when = "annual_rd_expens = threshold"')
    result = run("lint", str(path))
    assert result.exit_code == 2
    # `annual_rd_expens == threshold` names no input, so it is not offered as what was meant
    assert result.stderr.endswith(
        ": rd-investment-subsidy.when: not a valid expression: invalid syntax\n"
    )
    assert "did you mean" not in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'when = "key_lab_cultivation"',
            'condition = "key_lab_cultivation"',
            "unknown key `condition` (did you mean `when`?",
        ),
        ('when = "key_lab_cultivation"', 'wehn = "key_lab_cultivation"', "did you mean `when`?"),
        (
            'when = "key_lab_cultivation"\namount = "max"',
            'when = "key_lab_cultivation"\nformula = "max"',
            "did you mean `amount`?",
        ),
        ('name = "annual_rd_expense"', 'nme = "annual_rd_expense"', "did you mean `name`?"),
    ],
)
def test_a_misspelled_key_gets_the_key_meant_at_its_line(
    run: Run, tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = policy_copy(tmp_path, old, new)
    result = run("lint", str(path))
    assert result.exit_code == 2
    line = line_of(path, new.split("\n")[-1].split(" = ")[0] + " = ")
    assert f"{path}:{line}: " in result.stderr and message in result.stderr


# --- two policies at once -------------------------------------------------------------------------


def other_policy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """Another policy sharing the bundled one's inputs: another id and title (with only its id
    changed it would be a copy, refused)."""
    text = TEXT.replace('id = "zhenjiang-2024"', 'id = "other-2026"', 1)
    text = text.replace('title = { zh = "', 'title = { zh = "另一', 1)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "other.toml"
    path.write_text(text.replace('source_file = "zhenjiang-2024.source.zh.txt"\n', ""), "utf-8")
    return path


def test_lint_with_checks_two_files_together(run: Run, tmp_path: Path) -> None:
    good = other_policy(tmp_path)
    result = run("lint", str(BUNDLED), "--with", str(good))
    assert result.exit_code == 0, result.output
    assert f"works with {good}" in result.stdout
    bad = other_policy(
        tmp_path,
        (
            'name = "annual_rd_expense"\ntype = "money"',
            'name = "annual_rd_expense"\ntype = "count"',
        ),
        ('at_most = "annual_rd_expense"\n', ""),  # a money amount cannot be bounded by a count
        ('example = "1200万"', 'example = "3"'),  # a count's example is a count
    )
    result = run("lint", str(BUNDLED), "--with", str(bad))
    assert result.exit_code == 2
    mine, theirs = line_of(BUNDLED, 'name = "annual_rd_expense"'), line_of(bad, 'name = "annual_rd')
    assert (
        f"input annual_rd_expense is shared but declared differently: type is 'money' in "
        f"{BUNDLED}:{mine} but 'count' in {bad}:{theirs}"
    ) in result.stderr


def test_a_shared_input_conflict_says_what_differs_and_where(run: Run, tmp_path: Path) -> None:
    bad = other_policy(tmp_path, ('default = "enterprise"', 'default = "university"'))
    result = run("calc", "--policy", str(BUNDLED), "--policy", str(bad))
    assert result.exit_code == 2
    line = line_of(bad, 'name = "applicant_type"')
    assert f"default is 'enterprise' in {BUNDLED}:" in result.stderr
    assert f"but 'university' in {bad}:{line}" in result.stderr
    assert "type is '" not in result.stderr  # only what differs


# --- the pieces, one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [("500000", "50万"), ("120000000", "1.2亿"), ("100000000", "1亿"), ("5000", "5000元"),
     ("10010000", "1001万"), ("150000.5", "150000.5元"), ("12345", "12345元")],
)  # fmt: skip
def test_a_figure_is_named_as_a_policy_writes_it(value: str, shown: str) -> None:
    from decimal import Decimal

    from subsidycli.lint import _money

    assert _money(Decimal(value)) == shown


@pytest.mark.parametrize(
    ("quote", "source", "reason"),
    [
        ("给予最高15万元", "对认定的，给予最高\n15万元支持。", None),
        ("给予最多15万元", "对认定的，给予最高15万元支持。",
         "after “…给予最” the quote has “多15万元…” where the source has “高15万元支持。…”"),
        ("完全不同", "对认定的，给予最高15万元支持。", "the source has no “完全不同…”"),
    ],
)  # fmt: skip
def test_not_verbatim_says_where_quote_and_source_part(
    quote: str, source: str, reason: str | None
) -> None:
    from subsidycli.lint import not_verbatim

    assert not_verbatim(quote, source) == reason


def test_default_cycles_finds_each_circle_once() -> None:
    from subsidycli.expr import Symbol, compile_expr
    from subsidycli.policy import default_cycles, load_policy

    policy = load_policy(BUNDLED)
    symbols = {n: Symbol(i.type if i.type != "choice" else "text", label=i.label)
               for n, i in policy.inputs.items()}  # fmt: skip
    from dataclasses import replace

    inputs = dict(policy.inputs)

    def depends(name: str, on: str) -> None:
        kind = inputs[on].type
        cond = f"{on} > 0" if kind in ("money", "count") else on
        inputs[name] = replace(inputs[name], default_if=compile_expr(cond, symbols))

    assert default_cycles(inputs) == []  # income_tax_rate on high_tech_enterprise: a chain
    depends("high_tech_enterprise", "gazelle_first")
    depends("gazelle_first", "unicorn_first")
    assert default_cycles(inputs) == []
    depends("unicorn_first", "high_tech_enterprise")
    assert default_cycles(inputs) == [["high_tech_enterprise", "gazelle_first", "unicorn_first"]]


SLIP_SYMBOLS = {"rd": Symbol("money", label={"zh": "研发", "en": "R&D"})}


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("rd = 1", "'rd == 1'"),
        ("rd ≥ 1", "'rd >= 1'"),
        ("rd ≤ 1", "'rd <= 1'"),
        ("rd ≠ 1", "'rd != 1'"),
        ("rd <> 1", "'rd != 1'"),
        ("rd =< 1", "'rd <= 1'"),
        ("rd => 1", "'rd >= 1'"),
        ("rd × 2 > 1", "'rd * 2 > 1'"),
        ("rd ÷ 2 > 1", "'rd / 2 > 1'"),
        ("rd > 1 且 rd < 2", "'rd > 1 and rd < 2'"),
        ("rd > 1 并且 rd < 2", "'rd > 1 and rd < 2'"),
        ("rd > 1 && rd < 2", "'rd > 1 and rd < 2'"),
        ("rd > 1 & rd < 2", "'rd > 1 and rd < 2'"),
        ("rd > 1 或 rd < 2", "'rd > 1 or rd < 2'"),
        ("rd > 1 或者 rd < 2", "'rd > 1 or rd < 2'"),
        ("rd > 1 || rd < 2", "'rd > 1 or rd < 2'"),
        ("rd > 1 | rd < 2", "'rd > 1 or rd < 2'"),
        ("!(rd > 1)", "'not (rd > 1)'"),
        ("非 rd > 1", "'not rd > 1'"),
        ("rd > 1 AND rd < 2", "'rd > 1 and rd < 2'"),
        ("rd > 1 OR rd < 2", "'rd > 1 or rd < 2'"),
        ("NOT rd > 1", "'not rd > 1'"),
        ("（rd ＞ 1）", "'(rd > 1)'"),
        ("rd ＝＝ 1", "'rd == 1'"),
    ],
)
def test_what_was_meant(text: str, meant: str) -> None:
    from subsidycli.expr import what_was_meant

    said = what_was_meant(text, SLIP_SYMBOLS)
    assert said is not None and said.endswith(f"did you mean {meant}?"), said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("rd > 1000万", "1000万 is a figure"),
        ("rd > 1.2亿元", "1.2亿元 is a figure"),
        ("rd > 200000元", "200000元 is a figure"),
        ("rd * 0.5% > 1", "0.5% is a figure"),
        ("rd > 5,000,000", "5,000,000 is a figure"),
        ("rd ≥ 1000万", "1000万 is a figure of the policy: put it in the article's `values` (e.g. "
         'values = { limit = "1000万" }) and use its name here; also `≥` is written `>=`'),
        ("rd * 5% > 1", 'values = { rate = "5%" }'),
    ],
)  # fmt: skip
def test_a_figure_in_an_expression_goes_to_values(text: str, said: str) -> None:
    from subsidycli.expr import what_was_meant

    assert said in (what_was_meant(text, SLIP_SYMBOLS) or "")


@pytest.mark.parametrize(
    "text",
    ["rd > 1 +", "rdx = 1", "rd == '且'", "open('x') = 1", "rd ** 2 > 1"],
)
def test_no_suggestion_that_would_not_compile(text: str) -> None:
    from subsidycli.expr import what_was_meant

    said = what_was_meant(text, SLIP_SYMBOLS)
    assert said is None, said
