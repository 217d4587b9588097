"""What the interview asks and in what order: pure functions of the policy and the answers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import asking, engine
from subsidycli.asking import Ask, BadTicks, Checklist, Counts, Screen, State, Ticks
from subsidycli.errors import PolicyError
from subsidycli.policy import Policy, load_policy
from subsidycli.text import cell_width, wrap
from tests.conftest import deterministic

ROOMY = Screen(rows=200)


def steps_for(policy: Policy, answers: dict[str, object], screen: Screen = ROOMY) -> list:
    return asking.plan(policy, State(answers), screen)


# ---------------------------------------------------------------------------------------------
# The plan


def test_applicant_type_first_then_cash_amounts_then_one_checklist(policy: Policy) -> None:
    steps = steps_for(policy, {})
    assert steps[0] == Ask("applicant_type")
    steps = steps_for(policy, {"applicant_type": "enterprise"})
    amounts = [s.field for s in steps if isinstance(s, Ask)]
    assert amounts == [
        "annual_rd_expense",
        "deductible_rd_expense",
        "university_cooperation_expense",
    ]
    assert all(asking.decides_cash(policy, f) for f in amounts)
    assert [type(s) for s in steps] == [Ask, Ask, Ask, Checklist]
    (checklist,) = [s for s in steps if isinstance(s, Checklist)]
    missing = engine.evaluate(policy, {"applicant_type": "enterprise"}).missing
    # Every other field that can still matter is an item, once; the tax deduction's expense too.
    assert sorted(checklist.items) == sorted(set(missing) - set(amounts))
    assert "commissioned_basic_research_expense" in checklist.items


def test_a_low_rd_expense_drops_the_deductible_amount(policy: Policy) -> None:
    answers = {"applicant_type": "enterprise", "annual_rd_expense": Decimal("8000000")}
    fields = [s.field for s in steps_for(policy, answers) if isinstance(s, Ask)]
    assert fields == ["university_cooperation_expense"]


@pytest.mark.parametrize("kind", ["university", "research_institute", "new_rd_institution"])
def test_no_one_is_shown_an_item_of_articles_they_cannot_claim(policy: Policy, kind: str) -> None:
    steps = steps_for(policy, {"applicant_type": kind})
    shown = {f for s in steps for f in (s.items if isinstance(s, Checklist) else [s.field])}
    for name in shown:
        claimants = {
            w
            for a in policy.articles
            if name in a.inputs and a.basis != "info"
            for w in (a.who or {kind})
        }
        assert kind in claimants, name


def test_wide_items_come_before_narrow_ones(policy: Policy) -> None:
    (checklist,) = steps_for(policy, {"applicant_type": "new_rd_institution"})[1:]
    assert isinstance(checklist, Checklist)
    items = list(checklist.items)
    narrow = [n for n in items if asking.reach(policy)[n][0] == 1]
    assert "postdoc_workstation" in narrow and "jiebang_projects" not in narrow
    # the new R&D institution's own section (博士后工作站 …) comes after every section open to all
    assert items[-len(narrow) :] == narrow


def write_policy(tmp_path: Path, inputs: str, articles: str) -> Policy:
    text = f"""
[policy]
id = "tiny"
title = {{ zh = "小", en = "Tiny" }}

[[sections]]
id = "1"
title = {{ zh = "一", en = "One" }}

[[sections]]
id = "2"
title = {{ zh = "二", en = "Two" }}

[[inputs]]
name = "applicant_type"
type = "choice"
label = {{ zh = "类型", en = "Type" }}
choices = [
  {{ value = "enterprise", zh = "企业", en = "Enterprise" }},
  {{ value = "university", zh = "高校", en = "University" }},
]
default = "enterprise"
{inputs}
{articles}
"""
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def _bool(name: str, section: str) -> str:
    label = f'{{ zh = "{name}", en = "{name}" }}'
    return f'[[inputs]]\nname = "{name}"\ntype = "bool"\nlabel = {label}\nsection = "{section}"\n'


def _article(ident: str, section: str, who: str, when: str) -> str:
    title = f'{{ zh = "{ident}", en = "{ident}" }}'
    return (
        f'[[articles]]\nid = "{ident}"\nsection = "{section}"\ntitle = {title}\nwho = {who}\n'
        f'basis = "up_to"\nvalues = {{ max = "10万" }}\nwhen = "{when}"\namount = "max"\n'
        f'source = "对{ident}给予支持。"\n'
    )


def test_the_order_is_read_off_the_policy_not_its_declaration(tmp_path: Path) -> None:
    """A field declared first but open to one kind of applicant comes after one open to all; a
    field deciding two articles before one deciding one."""
    policy = write_policy(
        tmp_path,
        _bool("narrow", "1") + _bool("single", "2") + _bool("double", "2"),
        _article("a-narrow", "1", '["enterprise"]', "narrow")
        + _article("a-single", "2", '["any"]', "single")
        + _article("a-double", "2", '["any"]', "double")
        + _article("b-double", "2", '["any"]', "double"),
    )
    (checklist,) = steps_for(policy, {"applicant_type": "enterprise"})
    assert checklist.items == ("double", "single", "narrow")
    assert [section for section, _ in checklist.groups] == ["2", "1"]


def test_ticked_counts_are_asked_together_and_expenses_one_by_one(policy: Policy) -> None:
    answers = {"applicant_type": "enterprise", "annual_rd_expense": Decimal(0)}
    answers |= {"university_cooperation_expense": Decimal(0)}
    ticked = frozenset({"national_platforms", "jiebang_projects"})
    ticked |= {"commissioned_basic_research_expense"}
    state = State(answers, ticked, frozenset())
    steps = asking.plan(policy, state, ROOMY)
    assert steps[-2:] == [
        Ask("commissioned_basic_research_expense"),
        Counts(("jiebang_projects", "national_platforms")),
    ]
    assert not any(isinstance(s, Checklist) and ticked & set(s.items) for s in steps)


def test_fields_left_unknown_are_not_asked_again(policy: Policy) -> None:
    missing = engine.evaluate(policy, {"applicant_type": "university"}).missing
    state = State({"applicant_type": "university"}, unknown=frozenset(missing))
    assert asking.plan(policy, state, ROOMY) == []


@pytest.mark.parametrize("rows", [6, 10, 15, 24, 40])
def test_pages_fit_the_screen_and_hold_every_item_once(policy: Policy, rows: int) -> None:
    screen = Screen(rows, item_lines=lambda n: 2 if "platform" in n else 1)
    steps = steps_for(policy, {"applicant_type": "enterprise"}, screen)
    pages = [s for s in steps if isinstance(s, Checklist)]
    for page in pages:
        heads = [asking.heading_of(policy, section) for section, _ in page.groups]
        shown = sum(1 for i, h in enumerate(heads) if i == 0 or h != heads[i - 1])
        used = sum(screen.item_lines(n) for n in page.items) + shown
        assert used <= rows
    (whole,) = [
        s for s in steps_for(policy, {"applicant_type": "enterprise"}) if type(s) is Checklist
    ]
    assert [n for p in pages for n in p.items] == list(whole.items)
    assert len(pages) == 1 if rows >= 40 else len(pages) > 1


def test_estimate_counts_a_counts_prompt_while_count_items_are_listed(policy: Policy) -> None:
    steps = steps_for(policy, {"applicant_type": "university"})
    assert asking.estimate(policy, steps) == len(steps) + 1


# ---------------------------------------------------------------------------------------------
# Checklist answers


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("", Ticks()),
        ("无", Ticks()),
        ("none", Ticks()),
        ("0", Ticks()),
        ("1,3,5", Ticks({1: None, 3: None, 5: None})),
        ("１，３、5", Ticks({1: None, 3: None, 5: None})),
        ("2-4", Ticks({2: None, 3: None, 4: None})),
        ("3x2 1", Ticks({3: 2, 1: None})),
        ("3×2", Ticks({3: 2})),
        ("?", Ticks(rest_unknown=True)),
        ("？", Ticks(rest_unknown=True)),
        ("1 ?", Ticks({1: None}, rest_unknown=True)),
        ("1,?4-5", Ticks({1: None}, frozenset({4, 5}))),
    ],
)
def test_checklist_answers_are_read(text: str, ticks: Ticks) -> None:
    assert asking.parse_ticks(text, 5) == ticks


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("6", "iv.ticks.range"),
        ("4-2", "iv.ticks.range"),
        ("1,1", "iv.ticks.twice"),
        ("1,?1", "iv.ticks.twice"),
        ("one", "iv.ticks.bad"),
        ("?2x3", "iv.ticks.bad"),
        ("1.5", "iv.ticks.bad"),
    ],
)
def test_bad_checklist_answers_say_why(text: str, key: str) -> None:
    with pytest.raises(BadTicks) as caught:
        asking.parse_ticks(text, 5)
    assert caught.value.key == key


def test_an_answer_ticks_unknowns_and_noes(policy: Policy) -> None:
    page = Checklist(
        (("3.3", ("gazelle_first", "unicorn_first", "national_major_projects")),
         ("4.1", ("science_award",)), ("1.2", ("commissioned_basic_research_expense",)))
    )  # fmt: skip
    answers, ticked, unknown = asking.apply_ticks(policy, page, asking.parse_ticks("1,3 ?4", 5))
    assert answers == {
        "gazelle_first": True,
        "unicorn_first": False,
        "commissioned_basic_research_expense": Decimal(0),
    }
    assert ticked == {"national_major_projects"}
    assert unknown == {"science_award"}
    answers, ticked, _ = asking.apply_ticks(policy, page, asking.parse_ticks("3x2,5", 5))
    assert answers["national_major_projects"] == 2 and ticked == {
        "commissioned_basic_research_expense"
    }
    with pytest.raises(BadTicks):
        asking.apply_ticks(policy, page, asking.parse_ticks("1x2", 5))


def test_counts_are_read_in_order() -> None:
    assert asking.parse_counts("2, 1", 2) == [2, 1]
    assert asking.parse_counts("？ ３", 2) == [None, 3]
    with pytest.raises(BadTicks):
        asking.parse_counts("2", 2)
    with pytest.raises(BadTicks):
        asking.parse_counts("2,-1", 2)


# ---------------------------------------------------------------------------------------------
# Text on a terminal


def test_cell_width_counts_chinese_as_two() -> None:
    assert cell_width("R&D 研发") == 8
    assert cell_width("ＡＢ") == 4


@deterministic(200)
@given(
    st.lists(st.sampled_from(["研发", "费用", "R&D", "expense", "，", "(CNY)", " ", "1,200万"])),
    st.integers(min_value=12, max_value=120),
)
def test_wrapped_lines_fit_and_keep_the_text(parts: list[str], width: int) -> None:
    text = "".join(parts)
    lines = wrap(text, width, "  ", "    ")
    assert all(cell_width(line) <= width for line in lines)
    assert "".join(line.strip().replace(" ", "") for line in lines) == text.replace(" ", "")


def test_english_wraps_at_spaces() -> None:
    lines = wrap("Annual R&D expense eligible for the super deduction", 20)
    assert lines == ["Annual R&D expense", "eligible for the", "super deduction"]


def test_at_most_must_name_another_input_of_its_type(tmp_path: Path) -> None:
    inputs = _bool("flag", "1") + 'at_most = "nothing"\n'
    with pytest.raises(PolicyError) as caught:
        write_policy(tmp_path, inputs, _article("a", "1", '["any"]', "flag"))
    assert "at_most" in str(caught.value.lines())


def _money(name: str, section: str) -> str:
    label = f'{{ zh = "{name}", en = "{name}" }}'
    return f'[[inputs]]\nname = "{name}"\ntype = "money"\nlabel = {label}\nsection = "{section}"\n'


def _choice(name: str, section: str) -> str:
    label = f'{{ zh = "{name}", en = "{name}" }}'
    choices = '[{ value = "a", zh = "甲", en = "A" }, { value = "b", zh = "乙", en = "B" }]'
    return (
        f'[[inputs]]\nname = "{name}"\ntype = "choice"\nlabel = {label}\nsection = "{section}"\n'
        f"choices = {choices}\n"
    )


def _gated(tmp_path: Path, first: str | None) -> Policy:
    """A cost that matters only behind a yes (gate), a choice, and another yes/no."""
    table = f'\n[interview]\nfirst = "{first}"\n' if first else ""
    return write_policy(
        tmp_path,
        _money("cost", "1") + _bool("gate", "1") + _choice("kind", "2") + _bool("flag", "2"),
        _article("a-cost", "1", '["any"]', "gate and cost >= max")
        + _article("a-kind", "2", '["any"]', "kind == 'a' and flag")
        + table,
    )


def test_amounts_first_unless_the_policy_says_checklists(tmp_path: Path) -> None:
    """Left out (and "amounts"): the amount and the choice, then the checklist. "checklists":
    the choice, the checklist, then the amount; a "no" at its gate ends the amount's question."""
    start = {"applicant_type": "enterprise"}
    steps = steps_for(_gated(tmp_path, None), start)
    assert [type(s).__name__ for s in steps] == ["Ask", "Ask", "Checklist"]
    assert {s.field for s in steps[:2]} == {"cost", "kind"}
    policy = _gated(tmp_path, "checklists")
    kind, checklist, cost = steps_for(policy, start)
    assert (kind, cost) == (Ask("kind"), Ask("cost"))
    assert set(checklist.items) == {"gate", "flag"}
    assert Ask("cost") not in steps_for(policy, start | {"gate": False, "flag": False})
    assert Ask("cost") in steps_for(policy, start | {"gate": True, "flag": False})


def test_checklist_headings_are_the_part_or_the_section(policy: Policy) -> None:
    from dataclasses import replace

    from subsidycli.policy.model import Interview

    assert asking.heading_of(policy, "3.1") == "3"
    by_section = replace(policy, interview=Interview(headings="section"))
    assert asking.heading_of(by_section, "3.1") == "3.1"


def test_an_unknown_interview_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        _gated(tmp_path, "money")
    assert "first" in str(caught.value.lines())


def test_the_year_of_a_schedule_is_asked_alone() -> None:
    """A count that says which year of a schedule applies (第几年) is a number to ask, never a
    thing to tick; other counts stay checklist items."""
    liuhe = Path(__file__).resolve().parent.parent / "policies" / "liuhe-2023.toml"
    if not liuhe.exists():
        pytest.skip("policies/liuhe-2023.toml is not written yet")
    policy = load_policy(liuhe)
    years = {a.year for a in policy.articles if a.year}
    assert "performance_year" in years
    assert not any(asking.is_item(policy, name) for name in years)
    counts = [n for n, i in policy.inputs.items() if i.type == "count" and n not in years]
    assert counts and all(asking.is_item(policy, name) for name in counts)
