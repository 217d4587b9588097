"""Policy files: what a file that compiles gives, and every problem of one that does not, with its
line. Each edit below breaks one rule of the `policy` package (its schema or its compiler); the
message names the line, the place in the file and what would be valid."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import i18n, money
from subsidycli import policy as policies
from subsidycli.errors import MoneyError, PolicyError
from subsidycli.policy import Policy, load_policy
from tests.conftest import cli_env

BASE = """\
[policy]
id = "unit"
title = { zh = "单元", en = "Unit" }

[[sections]]
id = "1"
title = { zh = "一", en = "One" }

[[sections]]
id = "2"
title = { zh = "二", en = "Two" }

[[inputs]]
name = "applicant_type"
type = "choice"
label = { zh = "申报主体类型", en = "Type of applicant" }
choices = [
  { value = "enterprise", zh = "企业", en = "Enterprise", aliases = ["公司"] },
  { value = "university", zh = "高等院校", en = "University" },
]
default = "enterprise"

[[inputs]]
name = "expense"
type = "money"
label = { zh = "费用", en = "Expense" }
section = "1"

[[inputs]]
name = "items"
type = "count"
label = { zh = "项目数", en = "Items" }

[[inputs]]
name = "flag"
type = "bool"
label = { zh = "标志", en = "Flag" }

[[inputs]]
name = "note"
type = "text"
label = { zh = "备注", en = "Note" }

[[articles]]
id = "capped"
section = "1"
title = { zh = "封顶", en = "Capped" }
who = ["enterprise"]
basis = "up_to"
values = { rate = "30%", max = "20万", threshold = "100万" }
when = "expense >= threshold and flag"
amount = "rate * expense"
cap = "max"
source = "按费用的30%补助，最高20万元。"

[[articles]]
id = "per-item"
section = "2"
title = { zh = "每项", en = "Per item" }
basis = "up_to"
values = { per_item = "10万" }
count = "items"
when = "items >= 1"
amount = "per_item"
source = "每项最高10万元。"
"""


TITLE = 'title = { zh = "单元", en = "Unit" }\n'


def with_meta(lines: str) -> str:
    """BASE with more keys in its [policy] table."""
    return BASE.replace(TITLE, TITLE + lines, 1)


def write(tmp_path: Path, text: str = BASE) -> Path:
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(tmp_path: Path, old: str, new: str) -> Path:
    assert BASE.count(old) == 1, old
    return write(tmp_path, BASE.replace(old, new))


def line_of(path: Path, snippet: str, nth: int = 1) -> int:
    """The line of the nth line that starts with `snippet` (after indentation)."""
    found = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip().startswith(snippet)
    ]
    return found[nth - 1]


def at(path: Path, snippet: str, nth: int = 1) -> str:
    """`FILE:LINE` of the nth line starting with `snippet`, as a message begins."""
    return f"{path}:{line_of(path, snippet, nth)}"


def refused(path: Path, overrides: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path, overrides, validate=True)
    return info.value.lines()


# --- A policy that compiles ------------------------------------------------------------------


def test_a_policy_compiles_to_what_its_file_says(tmp_path: Path) -> None:
    path = write(tmp_path)
    policy = load_policy(path)
    assert (policy.id, policy.title["en"], policy.path) == ("unit", "Unit", str(path))
    assert policy.sections == {"1": {"zh": "一", "en": "One"}, "2": {"zh": "二", "en": "Two"}}
    assert list(policy.inputs) == ["applicant_type", "expense", "items", "flag", "note"]
    assert policy.inputs["expense"].section == "1" and policy.inputs["items"].section is None
    assert policy.inputs["applicant_type"].default == "enterprise"
    assert [i.name for i in policy.defaulted] == ["applicant_type"]
    capped, per_item = policy.articles
    assert policy.article("per-item") is per_item and policy.article("nope") is None
    assert capped.who == frozenset({"enterprise"}) and per_item.who is None
    assert capped.who_label == {"zh": "企业", "en": "Enterprise"} and per_item.who_label is None
    assert capped.values == {
        "rate": (Decimal("0.3"), "rate"), "max": (Decimal(200_000), "money"),
        "threshold": (Decimal(1_000_000), "money"),
    }  # fmt: skip
    assert capped.inputs == ("applicant_type", "expense", "flag")
    assert capped.labels["flag"] == {"zh": "标志", "en": "Flag"}
    assert per_item.inputs == ("items",) and per_item.count == "items"
    assert (capped.policy, capped.section, capped.basis) == ("unit", "1", "up_to")
    assert capped.when is not None and capped.when.text == "expense >= threshold and flag"
    assert capped.cap is not None and capped.cap({}) == Decimal(200_000)
    assert capped.overridden == frozenset() and capped.tax_saving is None
    assert policy.files == (policy,) and policy.parts == ()
    assert len(policy.sha256) == 64


def test_a_choice_is_named_by_its_value_labels_and_aliases(tmp_path: Path) -> None:
    parse = load_policy(write(tmp_path)).inputs["applicant_type"].parse
    for word in (
        "enterprise",
        "企业",
        "Enterprise",
        " ENTERPRISE ",
        "公司",
        "企 业",
        "ｅｎｔｅｒｐｒｉｓｅ",
    ):
        assert parse(word) == "enterprise", word
    assert parse("高等院校") == "university"
    with pytest.raises(MoneyError) as info:
        parse("公 司 x")
    assert info.value.message == (
        "'公 司 x' is not one of enterprise (企业), university (高等院校)"
    )


def test_a_choice_word_reads_alike_as_written_and_folded(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A word as the policy folds it is taken as it is; with spaces around, it is folded first.
    choices = {i.name: policies.choice_words(i.choices) for i in policy.inputs.values()}
    choices = {name: words for name, words in choices.items() if words}
    assert choices
    for name, words in choices.items():
        for word, value in words.items():
            assert policy.inputs[name].parse(f" {word.upper()} ") == value, word

    def no_folding(text: str) -> str:
        raise AssertionError(f"{text!r} was folded")

    monkeypatch.setattr(money, "normalize_text", no_folding)  # as written: not folded
    for name, words in choices.items():
        for word, value in words.items():
            assert policy.inputs[name].parse(word) == value, word


def test_free_text_is_kept_as_written_but_never_control_characters(tmp_path: Path) -> None:
    parse = load_policy(write(tmp_path)).inputs["note"].parse
    assert parse(" 甲 公司 ") == "甲 公司"  # folded to NFKC and stripped, inner spaces kept
    assert parse("ＡＢＣ") == "ABC"
    assert parse("x" * 500) == "x" * 500
    with pytest.raises(MoneyError, match="^text longer than 500 characters$"):
        parse("x" * 501)
    with pytest.raises(MoneyError, match="contains control characters or broken Unicode"):
        parse("a\x1b[2Jb")
    with pytest.raises(MoneyError, match="contains control characters or broken Unicode"):
        parse("a\ud800")
    # Not control characters, but they split a JSON Lines record or show text reversed (issue 25).
    for mark in ("\u2028", "\u2029", "\u202e", "\u2066", "\u200f"):
        with pytest.raises(MoneyError, match="invisible direction or line-separator mark"):
            parse(f"a{mark}b")
    assert parse("a\u200db") == "a\u200db"  # a zero-width joiner (emoji, scripts) is kept
    with pytest.raises(MoneyError, match="^3 is not text$"):
        parse(3)


def test_policies_are_found_by_path_or_by_bundled_id(tmp_path: Path) -> None:
    bundled = policies.bundled_paths()
    assert bundled and all(p.suffix == ".toml" for p in bundled)
    # The default policy (policies/DEFAULT) first, then the others by name.
    assert bundled[0] == policies.load.default_path() and bundled[1:] == sorted(bundled[1:])
    assert policies.resolve(bundled[0].stem) == bundled[0]
    assert policies.resolve("elsewhere.toml") == Path("elsewhere.toml")  # a path, even if absent
    existing = tmp_path / "no-suffix"
    existing.write_text("", encoding="utf-8")
    assert policies.resolve(str(existing)) == existing
    with pytest.raises(PolicyError) as info:
        policies.resolve("zhenjiang-2042")
    known = ", ".join(p.stem for p in bundled)
    assert info.value.lines() == [
        f"no policy file or bundled policy id 'zhenjiang-2042' (bundled: {known})"
    ]


def test_a_policy_is_in_force_between_its_dates_inclusive(tmp_path: Path) -> None:
    dated = with_meta("effective_from = 2025-01-01\neffective_to = 2025-12-31\n")
    policy = load_policy(write(tmp_path, dated))
    for day, inside in [
        (dt.date(2024, 12, 31), False), (dt.date(2025, 1, 1), True),
        (dt.date(2025, 12, 31), True), (dt.date(2026, 1, 1), False),
    ]:  # fmt: skip
        assert policy.in_force(day) is inside, day
    assert load_policy(write(tmp_path)).in_force(dt.date(1900, 1, 1)) is True  # open ends


def test_a_source_text_is_read_beside_the_policy(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path)).source_text() is None
    with_source = with_meta('source_file = "unit.txt"\n')
    policy = load_policy(write(tmp_path, with_source))
    assert policy.source_text() is None  # named, but not there
    (tmp_path / "unit.txt").write_text("原文。", encoding="utf-8")
    assert policy.source_text() == "原文。"


def test_the_fields_a_default_reads_are_inputs_of_the_articles_that_read_it(
    tmp_path: Path,
) -> None:
    text = BASE.replace(
        'label = { zh = "标志", en = "Flag" }\n',
        'label = { zh = "标志", en = "Flag" }\ndefault = { if = "items >= 2", then = true, '
        "else = false }\n",
    )
    policy = load_policy(write(tmp_path, text))
    assert policy.articles[0].inputs == ("applicant_type", "expense", "flag", "items")
    assert policies.with_defaults(["flag", "flag", "nope"], policy.inputs) == [
        "flag", "nope", "items",
    ]  # fmt: skip


# --- Problems of a file, each at its line ----------------------------------------------------


def test_the_file_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert refused(missing) == [f"{missing}: No such file or directory"]
    assert refused(tmp_path) == [f"{tmp_path}: is a directory, not a policy file"]


def test_toml_syntax_errors_have_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "x = = 1\n")
    (line,) = refused(path)
    assert line.startswith(f"{path}:{BASE.count(chr(10)) + 1}:5: invalid TOML: ")
    assert policies.toml_error("Invalid value (at line 3, column 7)") == (
        "3:7", "invalid TOML: Invalid value",
    )  # fmt: skip
    assert policies.toml_error("Something else") == "invalid TOML: Something else"


def test_toml_too_deep_or_too_long_is_refused_in_one_line(tmp_path: Path) -> None:
    deep = write(tmp_path, BASE + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert refused(deep) == [f"{deep}: invalid TOML: nested too deeply"]


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ('id = "2"\n', 'id = "1"\n', ('id = "1"', 2),
         "duplicate section id '1'"),
        ('name = "note"\n', 'name = "flag"\n', ('name = "flag"', 2),
         "duplicate input 'flag'"),
        ('id = "capped"\nsection = "1"', 'id = "capped"\nsection = "9"', ('section = "9"', 1),
         "capped.section: unknown section '9' (declared: 1, 2)"),
        ('  { value = "university", zh = "高等院校", en = "University" },\n', "",
         None, None),
        ('who = ["enterprise"]', 'who = ["any", "enterprise"]', ("who =", 1),
         "capped.who: 'any' stands alone"),
        ('who = ["enterprise"]', 'who = ["enterprize"]', ("who =", 1),
         "capped.who: 'enterprize' is not an applicant_type choice (enterprise, university)"),
        ('source = "每项最高10万元。"', 'source = "  "', ('source = "  "', 1),
         "per-item.source: an article must quote its source text"),
        ('values = { per_item = "10万" }', 'values = { per_item = "10万", items = 3 }',
         ("values =", 2), "per-item.values: value 'items' shadows an input or keyword; rename it"),
        ('values = { per_item = "10万" }', 'values = { per_item = "10万", amount = 3 }',
         ("values =", 2), "per-item.values: value 'amount' shadows an input or keyword; rename it"),
        ('values = { per_item = "10万" }', 'values = { per_item = "-10万" }',
         ("values =", 2),
         "per-item.values: per_item: '-10万' is negative (a non-negative amount in 元, e.g. "
         "12000000, 12,000,000, ¥12,000,000.00, 1200万, 1.2亿)"),
        ('count = "items"', 'count = "flag"', ('count = "flag"', 1),
         "per-item.count: 'flag' is not a declared count input"),
        ('count = "items"', 'count = "nothing"', ('count = "nothing"', 1),
         "per-item.count: 'nothing' is not a declared count input"),
        ('when = "items >= 1"', 'when = "items >= one"', ('when = "items', 1),
         "per-item.when: undeclared name 'one' in 'items >= one'"),
        ('amount = "per_item"', 'amount = "flag"', ('amount = "flag"', 1),
         "per-item.amount: an amount must be a number, not bool: 'flag'"),
        ('when = "items >= 1"', 'when = "items"', ('when = "items"', 1),
         "per-item.when: a condition must be true or false, not count: 'items'"),
        ('cap = "max"\n', 'cap = "max"\ntax_saving = "amount"\n', ("tax_saving", 1),
         "capped.tax_saving: only a tax_deduction article has a tax saving"),
        ('amount = "per_item"\n', "", ("[[articles]]", 2),  # a key left out: its table's line
         "per-item.amount: basis 'up_to' needs an amount (or `tiers`)"),
        ('amount = "rate * expense"\n', "", ("[[articles]]", 1),
         "capped.amount: basis 'up_to' needs an amount (or `tiers`)"),
    ],
)  # fmt: skip
def test_each_problem_of_an_article_is_at_its_line(
    tmp_path: Path, old: str, new: str, where: tuple[str, int] | None, message: str | None
) -> None:
    path = edited(tmp_path, old, new)
    if message is None:  # the edit itself is fine (a choice fewer)
        load_policy(path, validate=True)
        return
    assert where is not None
    lines = refused(path)
    assert at(path, *where) + f": {message}" in lines, lines


def test_a_cap_without_an_amount_is_refused(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'basis = "up_to"\nvalues = { rate', 'basis = "unspecified"\nvalues = { rate'
    )
    path = write(
        tmp_path, path.read_text(encoding="utf-8").replace('amount = "rate * expense"\n', "")
    )
    assert refused(path) == [at(path, "cap =") + ": capped.cap: a cap without an amount"]


def test_an_info_article_has_no_condition_nor_amount(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'basis = "up_to"\nvalues = { per_item', 'basis = "info"\nvalues = { per_item'
    )
    assert refused(path) == [
        at(path, 'when = "items') + ": per-item.when: an info article has no condition or amount",
        at(path, 'amount = "per_item') + ": per-item.amount: an info article has no condition or "
        "amount",
        at(path, 'count = "items') + ": per-item.count: an info article has no condition or amount",
    ]


def test_an_unknown_section_of_an_input_and_a_choice_without_choices(tmp_path: Path) -> None:
    text = BASE.replace('section = "1"\n\n[[inputs]]\nname = "items"',
                        'section = "7"\n\n[[inputs]]\nname = "items"')  # fmt: skip
    text = text.replace('type = "text"', 'type = "choice"')
    path = write(tmp_path, text)
    assert refused(path) == [
        at(path, 'section = "7"') + ": input expense: unknown section '7'",
        at(path, 'type = "choice"', 2) + ": input note: a choice needs `choices`",
    ]


def test_a_word_that_names_two_choices_is_refused(tmp_path: Path) -> None:
    path = edited(tmp_path, 'aliases = ["公司"]', 'aliases = ["University"]')
    assert refused(path) == [
        at(path, "choices =") + ": input applicant_type: 'university' names both "
        "enterprise and university"
    ]


def test_defaults_are_parsed_as_their_field(tmp_path: Path) -> None:
    path = edited(tmp_path, 'default = "enterprise"', 'default = "nobody"')
    assert refused(path) == [
        at(path, "default =") + ": input applicant_type: default: 'nobody' is not "
        "one of enterprise (企业), university (高等院校)"
    ]
    bad_if = edited(tmp_path, 'label = { zh = "标志", en = "Flag" }\n',
                    'label = { zh = "标志", en = "Flag" }\n'
                    'default = { if = "items", then = true, else = false }\n')  # fmt: skip
    assert refused(bad_if) == [
        at(bad_if, "default = {") + ": input flag: default: a condition must be "
        "true or false, not count: 'items'"
    ]


def test_defaults_that_go_round_in_a_circle_are_refused(tmp_path: Path) -> None:
    text = BASE.replace(
        'label = { zh = "标志", en = "Flag" }\n',
        'label = { zh = "标志", en = "Flag" }\ndefault = { if = "items >= 1", then = true, '
        "else = false }\n",
    ).replace(
        'label = { zh = "项目数", en = "Items" }\n',
        'label = { zh = "项目数", en = "Items" }\ndefault = { if = "flag", then = 1, else = 0 }\n',
    )
    path = write(tmp_path, text)
    assert refused(path) == [
        at(path, 'default = { if = "flag"') + ": input items: default: the "
        "defaults go round in a circle (items → flag → items), so none of them is ever asked "
        "for; make one of them a plain default or none"
    ]


def test_default_cycles_are_each_found_once() -> None:
    from subsidycli.expr import Symbol, compile_expr
    from subsidycli.policy import Input, default_cycles

    symbols = {n: Symbol("bool", label={"zh": n, "en": n}) for n in "abcde"}

    def item(name: str, reads: str | None) -> Input:
        cond = compile_expr(reads, symbols) if reads else None
        return Input(name, "bool", {"zh": name, "en": name}, None, None, None, (), None, cond,
                     True, False, lambda v: v)  # fmt: skip

    inputs = {i.name: i for i in [item("a", "b"), item("b", "c"), item("c", "a"),
                                  item("d", "a"), item("e", "e")]}  # fmt: skip
    assert default_cycles(inputs) == [["a", "b", "c"], ["e"]]
    assert default_cycles({"a": item("a", "b"), "b": item("b", None)}) == []


def test_effective_dates_out_of_order_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, with_meta("effective_from = 2025-01-02\neffective_to = 2025-01-01\n"))
    assert refused(path) == [
        at(path, "effective_to") + ": policy.effective_to 2025-01-01 is before "
        "effective_from 2025-01-02"
    ]
    same = write(tmp_path, with_meta("effective_from = 2025-01-01\neffective_to = 2025-01-01\n"))
    assert load_policy(same).in_force(dt.date(2025, 1, 1))


def test_a_duplicate_article_is_named_at_its_second_place(tmp_path: Path) -> None:
    path = edited(tmp_path, 'id = "per-item"', 'id = "capped"')
    assert refused(path) == [at(path, 'id = "capped"', 2) + ": duplicate article "
                             "id 'capped'"]  # fmt: skip


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = BASE.replace('who = ["enterprise"]', 'who = ["nobody"]')
    text = text.replace('count = "items"', 'count = "flag"')
    path = write(tmp_path, text)
    assert refused(path) == [
        at(path, "who =") + ": capped.who: 'nobody' is not an applicant_type choice "
        "(enterprise, university)",
        at(path, "count =") + ": per-item.count: 'flag' is not a declared count input",
    ]


def test_schema_problems_name_the_place_in_the_file(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'basis = "up_to"\nvalues = { per_item', 'basis = "upto"\nvalues = { per_item'
    )
    (line,) = refused(path)
    assert line.startswith(at(path, 'basis = "upto"') + ": articles[per-item].basis: ")
    typo = edited(tmp_path, 'cap = "max"', 'cpa = "max"')
    (line,) = refused(typo)
    assert line.startswith(at(typo, 'cpa =') + ": articles[capped].cpa: unknown key "
                           "`cpa` (did you mean `cap`? allowed: id, section, title, ")  # fmt: skip
    synonym = edited(tmp_path, 'cap = "max"', 'limit = "max"')
    (line,) = refused(synonym)
    assert "articles[capped].limit: unknown key `limit` (did you mean `cap`? allowed: " in line
    odd = edited(tmp_path, 'cap = "max"', 'zzzzzz = "max"')
    (line,) = refused(odd)
    assert "unknown key `zzzzzz` (allowed: id, " in line
    top = write(tmp_path, BASE + "\n[extra]\nx = 1\n")
    (line,) = refused(top)
    assert line == at(top, '[extra]') + ": extra: unknown key `extra` (allowed: " \
                   "policy, sections, inputs, articles, interview)"  # fmt: skip


def test_a_table_written_as_a_value_is_named_by_its_type(tmp_path: Path) -> None:
    """A table of the schema (a TypedDict of schema.py) written as something else is said as
    pydantic says it of a model, with the table's type; a mapping that is no table is not."""
    title = edited(tmp_path, 'title = { zh = "封顶", en = "Capped" }', 'title = "封顶"')
    assert refused(title) == [at(title, 'title = "封顶"') + ": articles[capped].title: Input "
                              "should be a valid dictionary or instance of Text"]  # fmt: skip
    values = edited(tmp_path, 'values = { per_item = "10万" }', 'values = "10万"')
    assert refused(values) == [
        at(values, 'values = "10万"') + ": articles[per-item].values: Input should be a valid "
        "dictionary"
    ]


def test_a_conditional_default_is_a_table_of_if_then_else(tmp_path: Path) -> None:
    """Its keys are `if`, `then` and `else`, and no others: not `if_` and `else_`, the names a
    Python model gives them (which once passed the schema and then failed to compile)."""
    default = 'default = "enterprise"'
    typo = edited(tmp_path, default, 'default = { iff = "flag", then = "university", '
                                     'else = "enterprise" }')  # fmt: skip
    problems = refused(typo)
    assert at(typo, "default =") + ": inputs[applicant_type].default.ConditionalDefault.iff: " \
        "unknown key `iff` (did you mean `if`? allowed: if, then, else)" in problems  # fmt: skip
    python = edited(tmp_path, default, 'default = { if_ = "flag", then = "university", '
                                       'else_ = "enterprise" }')  # fmt: skip
    problems = [p.partition(".ConditionalDefault.")[2] for p in refused(python)]
    assert problems[-4:] == [
        "if: Field required",
        "else: Field required",
        "if_: unknown key `if_` (did you mean `if`? allowed: if, then, else)",
        "else_: unknown key `else_` (did you mean `else`? allowed: if, then, else)",
    ]
    fine = edited(tmp_path, default, 'default = { if = "flag", then = "university", '
                                     'else = "enterprise" }')  # fmt: skip
    applicant = load_policy(fine, validate=True).inputs["applicant_type"]
    assert (applicant.default_then, applicant.default_else) == ("university", "enterprise")


def test_a_file_that_passed_before_is_compiled_without_pydantic() -> None:
    """The compiler reads the file through schema.py's TypedDicts, for mypy only: loading a
    file whose bytes passed validation before never imports pydantic (start-up time)."""
    code = (
        "import sys\n"
        "from subsidycli.policy import bundled_paths, load_policy\n"
        "for path in bundled_paths():\n"
        "    load_policy(path)\n"
        "print('pydantic' in sys.modules)\n"
        "load_policy(bundled_paths()[0], validate=True)\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = cli_env({**os.environ, "SUBSIDYCLI_CACHE_DIR": ""})
    ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["False", "True"]


# --- --override ------------------------------------------------------------------------------


def test_an_override_changes_one_value_and_keeps_its_kind(tmp_path: Path) -> None:
    path = write(tmp_path)
    policy = load_policy(
        path, {"capped.max": "30万", "capped.rate": "0.5", "per-item.per_item": "1"}
    )
    capped, per_item = policy.articles
    assert capped.values["max"] == (Decimal(300_000), "money")
    assert capped.values["rate"] == (Decimal("0.5"), "rate")
    assert per_item.values["per_item"] == (Decimal(1), "money")
    assert capped.overridden == frozenset({"max", "rate"})
    assert per_item.overridden == frozenset({"per_item"})
    as_rate = load_policy(path, {"capped.rate": "15%"}).articles[0]
    assert as_rate.values["rate"] == (Decimal("0.15"), "rate")


def test_an_override_of_an_expression(tmp_path: Path) -> None:
    path = write(tmp_path)
    capped = load_policy(path, {"capped.cap": "5万", "capped.when": "flag"}).articles[0]
    assert capped.cap is not None and capped.cap({}) == Decimal(50_000)
    assert capped.when is not None and capped.when.text == "flag"
    assert capped.inputs == ("applicant_type", "flag", "expense")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capped.nope": "1"},
         "--override capped.nope=1: no such value (allowed: rate, max, threshold, when, amount, "
         "cap)"),
        ({"capped.rate": "150%"},
         "--override capped.rate=150%: rate is a rate (30%) and stays one: '150%' is not between "
         "0 and 1 (a rate from 0 to 1, e.g. 0.15 or 15%)"),
        ({"capped.max": "lots"},
         "--override capped.max=lots: max is an amount of money (20万) and stays one: 'lots' is "
         "not an amount (a non-negative amount in 元, e.g. 12000000, 12,000,000, "
         "¥12,000,000.00, 1200万, 1.2亿)"),
        ({"capped.cap": "rate"},
         "--override capped.cap=rate: cap is an amount of money, not a rate; write e.g. 30万 or "
         "rate * field"),
        ({"capped.when": "expense >"},
         "--override capped.when=expense >: not a valid expression: invalid syntax"),
    ],
)  # fmt: skip
def test_a_bad_override_blames_the_option(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    assert refused(write(tmp_path), overrides) == [message]


def test_a_plain_number_stays_a_number(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'values = { per_item = "10万" }', 'values = { per_item = "10万", n = 2 }'
    )
    path = write(tmp_path, path.read_text(encoding="utf-8").replace(
        'amount = "per_item"', 'amount = "per_item * n"'))  # fmt: skip
    assert load_policy(path, {"per-item.n": " 3 "}).articles[1].values["n"] == (
        Decimal(3),
        "number",
    )
    for bad in ("x", "NaN", "Infinity"):
        assert refused(path, {"per-item.n": bad}) == [
            f"--override per-item.n={bad}: n is a plain number (2) and stays one: {bad!r} is not "
            "a number"
        ]


def test_overrides_of_unknown_articles_are_named(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path), {"capped.max": "1"})
    assert policies.unmatched_overrides([policy], {"capped.max": "1"}) == []
    assert policies.unmatched_overrides([policy], {"capped.nope": "1"}) == []  # named elsewhere
    assert policies.unmatched_overrides([policy], {"caped.max": "1", "zzz.max": "1"}) == [
        "--override caped.max: no article 'caped' (did you mean capped?)",
        "--override zzz.max: no article 'zzz' (see `subsidy articles` for the ids and titles)",
    ]


# --- Several policies as one -----------------------------------------------------------------


def test_policies_combine_with_their_articles_in_order(tmp_path: Path) -> None:
    one = load_policy(write(tmp_path))
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_text = BASE.replace('id = "unit"', 'id = "other"').replace(
        'title = { zh = "单元", en = "Unit" }', 'title = { zh = "其他", en = "Other" }'
    ).replace('id = "capped"', 'id = "capped-too"')  # fmt: skip
    other = load_policy(write(other_dir, other_text))
    both = policies.combine([one, other])
    assert policies.combine([one]) is one
    assert both.id == "unit+other" and both.title == {"zh": "单元 + 其他", "en": "Unit + Other"}
    # Both have a "per-item": every id is prefixed with its policy's.
    assert [a.id for a in both.articles] == [
        "unit:capped", "unit:per-item", "other:capped-too", "other:per-item",
    ]  # fmt: skip
    assert [a.section for a in both.articles] == ["unit/1", "unit/2", "other/1", "other/2"]
    assert list(both.sections) == ["unit/1", "unit/2", "other/1", "other/2"]
    assert both.inputs["expense"].section == "unit/1" and both.inputs["items"].section is None
    assert both.parts == (one, other) and both.files == (one, other)
    assert (both.path, both.sha256, both.meta) == (one.path, one.sha256, one.meta)


def test_policies_without_shared_article_ids_keep_them(tmp_path: Path) -> None:
    one = load_policy(write(tmp_path))
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    text = BASE.replace('id = "unit"', 'id = "other"').replace('id = "capped"', 'id = "c2"')
    other = load_policy(write(other_dir, text.replace('id = "per-item"', 'id = "p2"')))
    assert [a.id for a in policies.combine([one, other]).articles] == [
        "capped", "per-item", "c2", "p2",
    ]  # fmt: skip


def test_combined_policies_need_their_own_ids_and_agreeing_inputs(tmp_path: Path) -> None:
    one = load_policy(write(tmp_path))
    again_dir = tmp_path / "again"
    again_dir.mkdir()
    again = load_policy(write(again_dir))
    with pytest.raises(PolicyError) as info:
        policies.combine([one, again])
    assert info.value.lines() == [
        f"policy id 'unit' is used by more than one file ({one.path}, {again.path}); give each "
        "policy its own id"
    ]
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    text = BASE.replace('id = "unit"', 'id = "other"').replace(
        'name = "items"\ntype = "count"', 'name = "items"\ntype = "money"'
    ).replace('count = "items"\n', "")  # fmt: skip
    other = load_policy(write(other_dir, text))
    with pytest.raises(PolicyError) as info:
        policies.combine([one, other])
    items_line = line_of(Path(one.path), 'name = "items"')
    assert info.value.lines() == [
        f"input items is shared but declared differently: type is 'count' in {one.path}:"
        f"{items_line} but 'money' in {other.path}:{items_line} (a shared input needs the same "
        "type, choices and default)"
    ]


# --- Where a key is: the line scan behind every message ---------------------------------------

SCANNED = '''\
[policy]
id = "p"
note = """
[[articles]]
id = "not a table: inside a multi-line string"
"""

[[articles]]
id = "a"
values.rate = "1%"
tiers = [
  { when = "x", amount = "a1" },

  { amount = "a2" },
]
source = "a"

[[articles]]
  id = "b"
[articles.note]
zh = "b"
[extra.table]
key-name = 1
'''


def test_keys_are_found_at_their_lines() -> None:
    lines = policies.KeyLines(SCANNED)
    assert lines.line(("policy", "id")) == 2
    assert lines.line(("policy", "note")) == 3
    assert lines.line(("articles", 0)) == 8
    assert lines.line(("articles", 0, "id")) == 9
    assert lines.line(("articles", 0, "values", "rate")) == 10  # a dotted key: its first part
    assert lines.line(("articles", 0, "tiers")) == 11
    assert lines.line(("articles", 0, "tiers", 0)) == 12
    assert lines.line(("articles", 0, "tiers", 1, "amount")) == 14  # the tier's line
    assert lines.line(("articles", 0, "source")) == 16  # after the array: keys again
    assert lines.line(("articles", 1)) == 18
    assert lines.line(("articles", 1, "id")) == 19  # indented
    assert lines.line(("articles", 1, "note")) == 20  # a sub-table of the latest article
    assert lines.line(("articles", 1, "note", "zh")) == 21
    assert lines.line(("extra", "table", "key-name")) == 23
    assert lines.line(("articles", 5, "id")) == 1  # nothing known: the first line
    assert lines.line(()) == 1


def test_a_key_seen_twice_keeps_its_first_line() -> None:
    lines = policies.KeyLines('[policy]\nid = "a"\nid = "b"\n')
    assert lines.line(("policy", "id")) == 2


# --- More of what a message says --------------------------------------------------------------


def test_a_schema_problem_in_an_input_names_the_input(tmp_path: Path) -> None:
    path = edited(tmp_path, 'name = "expense"\ntype = "money"', 'name = "expense"\ntype = "cash"')
    (line,) = refused(path)
    assert line.startswith(at(path, 'type = "cash"') + ": inputs[expense].type: ")


def test_overriding_the_cap_of_an_article_without_an_amount(tmp_path: Path) -> None:
    path = edited(tmp_path, 'amount = "rate * expense"\n', "")
    assert refused(path, {"capped.cap": "5万"}) == [
        "--override capped.cap=5万: the article has no amount to cap"
    ]
    unspecified = edited(
        tmp_path, 'basis = "up_to"\nvalues = { rate', 'basis = "unspecified"\nvalues = { rate'
    )
    assert refused(unspecified, {"capped.cap": "5万"}) == [
        "--override capped.cap=5万: the source states no amount (basis unspecified), so none is "
        "shown or added up"
    ]


def _other(tmp_path: Path, old: str, new: str) -> Policy:
    folder = tmp_path / "other"
    folder.mkdir(exist_ok=True)
    text = BASE.replace('id = "unit"', 'id = "other"').replace(old, new)
    return load_policy(write(folder, text))


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('type = "text"', 'type = "choice"\nchoices = [{ value = "a", zh = "甲", en = "A" }]',
         "type is 'text' in {one} but 'choice' in {two}; choices is not set in {one} but [a] in "
         "{two}"),
        ('  { value = "university", zh = "高等院校", en = "University" },\n', "",
         "choices is [enterprise, university] in {one} but [enterprise] in {two}"),
        ('default = "enterprise"', 'default = "university"',
         "default is 'enterprise' in {one} but 'university' in {two}"),
        ('label = { zh = "标志", en = "Flag" }\n',
         'label = { zh = "标志", en = "Flag" }\ndefault = { if = "items >= 1", then = true, '
         'else = false }\n', "default.if is not set in {one} but 'items >= 1' in {two}; "
         "default.then is not set in {one} but True in {two}; default.else is not set in {one} "
         "but False in {two}"),
    ],
)  # fmt: skip
def test_a_shared_input_declared_differently_says_what_differs(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    one = load_policy(write(tmp_path))
    other = _other(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        policies.combine([one, other])
    (line,) = info.value.lines()
    name = line.split()[1]
    declared = 'name = "' + name + '"'
    one_at, two_at = (at(Path(p.path), declared) for p in (one, other))
    assert line == (
        f"input {name} is shared but declared differently: "
        + said.format(one=one_at, two=two_at)
        + " (a shared input needs the same type, choices and default)"
    )


# --- lint: a policy file against the source it quotes ----------------------------------------


def test_lint_names_the_line_of_a_preamble_that_is_not_in_the_source(tmp_path: Path) -> None:
    from subsidycli import lint

    (tmp_path / "unit.txt").write_text(
        "按费用的30%补助，最高20万元。每项最高10万元。", encoding="utf-8"
    )
    path = write(tmp_path, with_meta('source_file = "unit.txt"\npreamble = "前言不在原文中。"\n'))
    assert at(path, "preamble =") + (
        ": preamble: not verbatim in unit.txt: the source has no “前言不在原文中。…”"
    ) in lint.check(load_policy(path))


def test_lint_checks_every_money_value_even_after_a_plain_number(tmp_path: Path) -> None:
    from subsidycli import lint

    text = BASE.replace(
        'values = { rate = "30%", max = "20万", threshold = "100万" }',
        'values = { n = 2, rate = "30%", max = "20万", threshold = "100万" }',
    ).replace('amount = "rate * expense"', 'amount = "rate * expense * n"')
    path = write(tmp_path, text)
    assert lint.check(load_policy(path)) == [
        at(path, "values = { n") + ": capped.values.threshold: 100万 does not appear in the "
        "source quote (its money figures: 20万): “按费用的30%补助，最高20万元。”"
    ]


def test_lint_cuts_a_long_quote_at_two_hundred_characters(tmp_path: Path) -> None:
    from subsidycli import lint

    long = "补" * 250
    path = write(tmp_path, BASE.replace('source = "每项最高10万元。"', f'source = "{long}"'))
    (message,) = [m for m in lint.check(load_policy(path)) if "per-item" in m]
    assert message.endswith("(its money figures: none): “" + "补" * 199 + "…”")
    short = "补" * 200
    path = write(tmp_path, BASE.replace('source = "每项最高10万元。"', f'source = "{short}"'))
    (message,) = [m for m in lint.check(load_policy(path)) if "per-item" in m]
    assert message.endswith("“" + short + "”")


def test_lint_says_where_a_quote_parts_from_its_source() -> None:
    from subsidycli.lint import not_verbatim

    quote = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    source = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰X巳午未申酉戌亥天地"
    assert not_verbatim(quote, source) == (
        "after “…丁戊己庚辛壬癸子丑寅卯辰” the quote has “巳午未申酉戌亥…” where the source has "
        "“X巳午未申酉戌亥天地…”"
    )
    assert not_verbatim("甲 乙\n丙", "〇甲乙丙丁") is None  # spaces and line breaks aside


def test_a_shared_input_is_found_at_its_line_in_a_file_with_a_byte_order_mark(
    tmp_path: Path,
) -> None:
    """Excel and Notepad save UTF-8 with a BOM; a file may start with its inputs."""
    start = BASE.index("[[inputs]]")
    first_input = BASE[start : BASE.index("[[inputs]]", start + 1)]
    reordered = first_input + BASE[:start] + BASE[start + len(first_input) :]
    one = load_policy(write(tmp_path, reordered))
    other = _other(tmp_path, 'default = "enterprise"', 'default = "university"')
    Path(one.path).write_bytes(b"\xef\xbb\xbf" + reordered.encode("utf-8"))
    with pytest.raises(PolicyError) as info:
        policies.combine([one, other])
    assert (
        f"'enterprise' in {one.path}:2 but 'university' in {other.path}:" in info.value.lines()[0]
    )


def test_a_choice_is_compared_with_its_values_only(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'when = "items >= 1"', "when = \"items >= 1 and applicant_type == 'university'\""
    )
    policy = load_policy(path)
    per_item = policy.articles[1]
    assert per_item.when is not None
    assert per_item.when({"items": 1, "applicant_type": "university"}) is True
    assert per_item.when({"items": 1, "applicant_type": "enterprise"}) is False
    bad = edited(tmp_path, 'when = "items >= 1"', "when = \"applicant_type == 'nobody'\"")
    assert refused(bad) == [
        at(bad, 'when = "applicant_type') + ": per-item.when: 'nobody' is not a choice of "
        "applicant_type (enterprise, university) in \"applicant_type == 'nobody'\""
    ]


def test_an_input_keeps_its_help_and_unit(tmp_path: Path) -> None:
    path = edited(tmp_path, 'label = { zh = "费用", en = "Expense" }\n',
                  'label = { zh = "费用", en = "Expense" }\nhelp = { zh = "帮助", en = "Help" }\n'
                  'unit = { zh = "元", en = "CNY" }\n')  # fmt: skip
    expense = load_policy(path).inputs["expense"]
    assert expense.help == {"zh": "帮助", "en": "Help"}
    assert expense.unit == {"zh": "元", "en": "CNY"}
    assert load_policy(write(tmp_path)).inputs["expense"].help is None


def test_problems_of_the_file_and_of_an_override_are_reported_together(tmp_path: Path) -> None:
    path = edited(tmp_path, 'count = "items"', 'count = "flag"')
    assert refused(path, {"capped.nope": "1"}) == [
        at(path, 'count = "flag"') + ": per-item.count: 'flag' is not a declared count input",
        "--override capped.nope=1: no such value (allowed: rate, max, threshold, when, amount, "
        "cap)",
    ]


def test_lint_shows_twelve_characters_either_side_of_where_a_quote_parts() -> None:
    from subsidycli.lint import not_verbatim

    quote = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"
    source = "一二三四五六七八九十甲乙X丙丁戊己庚辛壬癸子丑寅卯辰巳"
    assert not_verbatim(quote, source) == (
        "after “…一二三四五六七八九十甲乙” the quote has “丙丁戊己庚辛壬癸子丑寅卯…” where the "
        "source has “X丙丁戊己庚辛壬癸子丑寅…”"
    )


def test_schema_problems_are_said_in_the_language_of_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic's words for the common mistakes are the product's own, so Chinese has them; a
    rarer one keeps pydantic's message; an unknown key lists the keys of its own table."""
    bad = (
        BASE.replace('id = "unit"', 'id = "unit"\nzzzz = 1', 1)  # unknown key in [policy]
        .replace('title = { zh = "一", en = "One" }', 'title = { zh = "", en = "One" }', 1)
        .replace('basis = "up_to"', 'basis = "bogus"', 1)
        .replace('name = "note"\n', "", 1)  # an input without its name
    )  # fmt: skip
    path = write(tmp_path, bad)
    english = refused(path)
    monkeypatch.setattr(i18n, "_lang", "zh")
    chinese = refused(path)
    assert any(": policy.zzzz: unknown key `zzzz` (allowed: id, title, " in m for m in english)
    assert any(": policy.zzzz: 未知键 `zzzz`（允许的键：id, title, " in m for m in chinese)
    assert any(": inputs[4].name: Field required" in m for m in english)
    assert any(": inputs[4].name: 缺少此项（必填）" in m for m in chinese)
    literal = [m for m in chinese if ".basis: 应为 'up_to'" in m]
    assert literal and "'tax_deduction'" in literal[0]
    short = "sections[1].title.zh: String should have at least 1 character"
    assert any(short in m for m in english) and any(short in m for m in chinese)
