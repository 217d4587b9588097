"""Batch agrees with calc, record for record, on generated profiles and generated policies.

Batch keeps each article's result under the profile's values of the fields that article reads
(`batch.Memo`). These tests would fail if any key left out a field: every run sends many
profiles drawn from small pools of values, so that two profiles often agree on all but one field
of an article, through one memo, and compares every record with `engine.evaluate` (calc's path).
Policies are generated too, with formulas in caps, counts with caps, tiers, and defaults of
defaults.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from subsidycli import batch, engine, i18n
from subsidycli import profile as profiles
from subsidycli.errors import ProfileError
from subsidycli.output.cells import output_columns
from subsidycli.output.data import evaluation_dict
from subsidycli.policy import Policy, bundled_paths, load_policy
from tests.conftest import deterministic

# Few values a field, so that profiles collide: on an article's threshold, either side, zero.
MONEY = ["0", "50万", "999.99万", "1000万", "1,000万", 12_000_000, "1.2亿", "4000000.5"]
COUNTS = [0, 1, 2, "3"]
BOOLS = [True, False, "是", "否"]
RATES = ["15%", "25%", "0.1"]


def _values(policy: Policy, name: str) -> st.SearchStrategy[Any]:
    item = policy.inputs[name]
    pools: dict[str, list[Any]] = {"money": MONEY, "count": COUNTS, "bool": BOOLS, "rate": RATES}
    if item.type == "choice":
        return st.sampled_from([c["value"] for c in item.choices])
    if item.type == "text":
        return st.sampled_from(["acme", "甲公司", "=1+1"])
    return st.sampled_from(pools[item.type])


@st.composite
def raw_profiles(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(list(policy.inputs)), unique=True, max_size=14))
    return {n: draw(_values(policy, n)) for n in names}


def batch_vs_calc(policy: Policy, raws: list[dict[str, Any]], lang: str = "en") -> None:
    """Run the profiles through batch (lean, explained and CSV, one memo a run) and check each
    record against calc's evaluation of the same profile, both in `lang`."""
    with i18n.using(lang):
        _batch_vs_calc(policy, raws)


def _batch_vs_calc(policy: Policy, raws: list[dict[str, Any]]) -> None:
    source = "".join(json.dumps(raw, ensure_ascii=False) + "\n" for raw in raws).encode()
    outputs = {}
    for fmt, explain in (("jsonl", False), ("jsonl", True), ("csv", False)):
        out, errors = io.BytesIO(), []
        batch.run(policy, io.BytesIO(source), out, input_format="jsonl", output_format=fmt,
                  explain=explain, on_error=errors.append)  # fmt: skip
        outputs[fmt, explain] = (out.getvalue().decode(), errors)
    lean = iter(json.loads(line) for line in outputs["jsonl", False][0].splitlines())
    full = iter(json.loads(line) for line in outputs["jsonl", True][0].splitlines())
    columns = [c.id for c in output_columns(policy)]  # headings follow the language
    table = list(csv.reader(io.StringIO(outputs["csv", False][0])))
    assert table[0] == [c.head for c in output_columns(policy)]
    rows = iter([dict(zip(columns, cells, strict=True)) for cells in table[1:]])
    failed = []
    for line, raw in enumerate(raws, start=1):
        try:
            profile = profiles.parse_profile(raw, policy)
        except ProfileError as exc:
            failed.append([f"<input>:{line}: {p}" for p in exc.problems])
            row = next(rows)  # a bad record keeps its row: line, no amounts, the problem
            assert (row["line"], row["total"]) == (str(line), "") and row["error"]
            continue
        calc = evaluation_dict(engine.evaluate(policy, profile))
        record = next(lean)
        assert record["line"] == line
        assert (record["name"], record["total"], record["missing"]) == (
            calc["name"], calc["total"], calc["missing"]
        )  # fmt: skip
        shown = [r for r in calc["results"] if r["basis"] != "info"]
        assert [r["article"] for r in record["results"]] == [r["article"] for r in shown]
        for got, want in zip(record["results"], shown, strict=True):
            assert got == {k: v for k, v in want.items() if k in got}
            assert set(want) - set(got) <= {
                "policy",
                "title",
                "section",
                "basis",
                "explanation",
                "source",
                "note",
                "overridden",
            }
        assert next(full) == {**record, "results": calc["results"]}
        row = next(rows)
        assert (row["line"], row["total"], row["error"]) == (str(line), calc["total"], "")
        for r in shown:  # a cash article's amount; a tax item's deduction and saving apart
            if r["basis"] == "tax_deduction":
                cells = (row[f"{r['article']}.deduction"], row[f"{r['article']}.tax_saving"])
                assert cells == (r["amount"] or "", r["tax_saving"] or "")
            elif r["basis"] != "unspecified":  # no amount to show: no column
                assert row[r["article"]] == (r["amount"] or "")
        cash = [c for c in columns[3:] if "." not in c and c != "error"]
        assert sum(Decimal(row[c] or 0) for c in cash) == Decimal(calc["total"])
    for _, errors in outputs.values():
        assert errors == failed
    assert next(lean, None) is None and next(rows, None) is None


BUNDLED = load_policy(bundled_paths()[0])


@deterministic(60)
@given(raws=st.lists(raw_profiles(BUNDLED), min_size=1, max_size=30),
       lang=st.sampled_from(["en", "zh"]))  # fmt: skip
def test_batch_equals_calc_on_generated_profiles(raws: list[dict[str, Any]], lang: str) -> None:
    batch_vs_calc(BUNDLED, raws, lang)


# What-ifs a policy office asks, as --override gives them: formulas in caps and conditions,
# counts with caps that read other fields.
OVERRIDES = [
    {"rd-investment-subsidy.cap": "annual_rd_expense * 0.001"},
    {"rd-investment-subsidy.when": "annual_rd_expense >= threshold / 2 and high_tech_enterprise"},
    {"jiebang-guashuai.cap": "min(deductible_rd_expense * 0.1, 800000)"},
    {"incubator-new.cap": "annual_rd_expense / 20"},
    {"innovation-voucher.amount": "university_cooperation_expense * income_tax_rate"},
    {"gazelle.when": "gazelle_first and income_tax_rate < 0.2"},
    {"empowerment-reform.cap": "annual_max * jiebang_projects"},
]
OVERRIDDEN = [load_policy(bundled_paths()[0], o) for o in OVERRIDES]


@deterministic(40)
@given(data=st.data(), which=st.integers(0, len(OVERRIDES) - 1))
def test_batch_equals_calc_on_overridden_policies(data: st.DataObject, which: int) -> None:
    policy = OVERRIDDEN[which]
    batch_vs_calc(policy, data.draw(st.lists(raw_profiles(policy), min_size=1, max_size=30)))


# Generated policies: inputs with defaults, one of which depends on another (r2 on r1 on b1),
# articles whose conditions, amounts and caps are drawn from formulas over them.
POLICY_HEAD = """
[policy]
id = "generated"
title = { zh = "生成的政策", en = "A generated policy" }
issuer = { zh = "甲", en = "A" }
region = { zh = "乙", en = "B" }

[[sections]]
id = "1"
title = { zh = "一", en = "One" }
"""
INPUTS = [
    ("name", "text", None),
    ("applicant_type", "choice", '"enterprise"'),
    ("b1", "bool", None),
    ("b2", "bool", "false"),
    ("r1", "rate", '{ if = "b1", then = "15%", else = "25%" }'),
    ("r2", "rate", '{ if = "r1 < 0.2", then = "10%", else = "30%" }'),  # a default's default
    ("m1", "money", None),
    ("m2", "money", None),
    ("c1", "count", None),
    ("c2", "count", "1"),
]
CHOICES = (
    'choices = [{ value = "enterprise", zh = "企业", en = "Enterprise" }, '
    '{ value = "university", zh = "高校", en = "University" }]'
)
WHENS = [None, "m1 >= threshold", "b1", "c1 >= 1", "m1 >= threshold and b2", "not b1 or m2 > 0",
         "r2 > 0.2", "m1 + m2 >= threshold", "name == 'acme'"]  # fmt: skip
AMOUNTS = ["r2 * m2", "top", "m1 - m2", "rate * m1", "min(m1, m2) * r1", "rate * (m1 + m2)"]
CAPS = [None, "top", "min(top, m1 * r1)", "m2 * rate", "top * r2 / 0.1", "max(top, m2 * r2)"]
TIERS = [
    '{ when = "m1 >= threshold", amount = "top" }, { when = "b2", amount = "rate * m2" }, '
    '{ amount = "rate * m1" }',
    '{ when = "c1 >= 2", amount = "top" }, { when = "m2 > 0", amount = "m2 * r2" }',
]
WHO = ['["any"]', '["enterprise"]', '["university"]', '["enterprise", "university"]']


@st.composite
def article_toml(draw: st.DrawFn, i: int) -> str:
    basis = draw(st.sampled_from(["up_to", "up_to", "exact", "tax_deduction", "unspecified"]))
    who = draw(st.sampled_from(WHO))
    lines = ["[[articles]]", f'id = "a{i}"', 'section = "1"',
             f'title = {{ zh = "条{i}", en = "Article {i}" }}', f"who = {who}",
             f'basis = "{basis}"', 'values = { threshold = "1000万", top = "20万", rate = "0.5%" }',
             f'source = "第{i}条。"']  # fmt: skip
    when = draw(st.sampled_from(WHENS))
    if when:
        lines.append(f'when = "{when}"')
    if basis == "unspecified":
        return "\n".join(lines)
    if basis in ("up_to", "exact") and draw(st.booleans()):  # paid by tiers, the first that holds
        lines.append(f"tiers = [{draw(st.sampled_from(TIERS))}]")
    else:
        lines.append(f'amount = "{draw(st.sampled_from(AMOUNTS))}"')
    if basis == "tax_deduction":
        lines.append(f'tax_saving = "amount * {draw(st.sampled_from(["r1", "r2"]))}"')
        return "\n".join(lines)
    cap = draw(st.sampled_from(CAPS))
    if cap:
        lines.append(f'cap = "{cap}"')
    count = draw(st.sampled_from([None, "c1", "c2"]))
    if count:
        lines.append(f'count = "{count}"')
    return "\n".join(lines)


def inputs_toml() -> str:
    """The generated policies' head and inputs, as TOML."""
    parts = [POLICY_HEAD]
    for name, kind, default in INPUTS:
        parts.append(f'[[inputs]]\nname = "{name}"\ntype = "{kind}"\nsection = "1"\n'
                     f'label = {{ zh = "字段{name}", en = "Field {name}" }}')  # fmt: skip
        if kind == "choice":
            parts.append(CHOICES)
        if default:
            parts.append(f"default = {default}")
    return "\n".join(parts) + "\n"


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    parts = [inputs_toml()]
    n = draw(st.integers(1, 5))
    parts += [draw(article_toml(i)) for i in range(n)]
    parts.append('[[articles]]\nid = "info"\nsection = "1"\ntitle = { zh = "说明", en = "Info" }\n'
                 'who = ["any"]\nbasis = "info"\nsource = "说明。"')  # fmt: skip
    return "\n".join(parts) + "\n"


@deterministic(60)
@given(data=st.data(), text=policy_texts())
def test_batch_equals_calc_on_generated_policies(
    tmp_path_factory: Any, data: st.DataObject, text: str
) -> None:
    path = Path(tmp_path_factory.mktemp("policy")) / "generated.toml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    raws = data.draw(st.lists(raw_profiles(policy), min_size=1, max_size=30))
    batch_vs_calc(policy, raws, data.draw(st.sampled_from(["en", "zh"])))


def test_the_generated_policies_default_a_default(tmp_path: Path) -> None:
    """The chain the generated policies rely on: r2's default reads r1, whose default reads b1;
    so an article whose amount reads r2 reads b1 as well, and b1 decides its amount."""
    text = inputs_toml() + (
        '[[articles]]\nid = "a0"\nsection = "1"\ntitle = { zh = "条", en = "A" }\n'
        'who = ["any"]\nbasis = "up_to"\namount = "r2 * m2"\nsource = "条。"\n'
    )
    path = tmp_path / "chain.toml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    assert set(policy.articles[0].inputs) == {"r2", "m2", "r1", "b1"}
    amounts = [
        engine.evaluate(policy, {"m2": Decimal(1_000_000), "b1": b1}).results[0].amount
        for b1 in (True, False)
    ]
    assert amounts == [Decimal("100000.00"), Decimal("300000.00")]  # 10% and 30%
    batch_vs_calc(policy, [{"m2": "100万", "b1": b1} for b1 in (True, False, True)])
