"""`summary` on DuckDB equals `summary --engine python`, byte for byte, on generated profiles,
generated policies, half-fen ties, values at the parsers' limits and overrides; a policy the
SQL compiler does not know is refused and runs in Python, said once on stderr.

Each example compares the two engines' whole summary (every article's eligible and needs-info
counts, sum of amounts and of tax saved, and the total) as `summary --format json` writes it,
and the messages of the bad records.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidycli import sql, summary
from subsidycli.errors import SubsidyError
from subsidycli.policy import Article, Policy, bundled_paths, load_policy
from subsidycli.render.summary import summary_dict
from tests.conftest import Run, deterministic
from tests.test_batch_properties import BUNDLED, OVERRIDDEN, inputs_toml, policy_texts


def _summarise_sql(policy: Policy, source: Any, *, baseline: Policy | None = None,
                   **options: Any) -> summary.Summary:  # fmt: skip
    """`summary.summarise` on DuckDB, as `subsidy summary` runs it."""
    policies = [p for p in (policy, baseline) if p is not None]
    return summary.tally_sql(policies, source, **options).summary(baseline is not None)


# Cells as people write them, chosen so that SQL casts some and Python parses the others:
# canonical decimals, 万 and grouped forms, half-fen ties (0.5% of 1 元 is 0.005 元), the
# parsers' limits (10^15 元, a count of 10^6, a rate of 1, 8 and 10 places) and bad cells.
MONEY = ["0", "1", "3", "0.01", "1000万", "1,000万", "999.99万", "4000000.5", "12000000",
         "999999999999999.99999999", "1000000000000000", "1000000000000001", "-5", "x", "",
         12_000_000, "1.2亿", "0.000000001"]  # fmt: skip
COUNTS = ["0", "1", "2", "999999", "1000000", "1000001", "3项", 2, "-1", ""]
BOOLS = ["true", "false", "yes", "0", "是", "否", True, "maybe", ""]
RATES = ["0.5", "0.15", "1", "15%", "0.0000000001", "0.00000000001", "2", ""]


def _values(policy: Policy, name: str) -> st.SearchStrategy[Any]:
    item = policy.inputs[name]
    if item.type == "choice":
        words = [c["value"] for c in item.choices]
        return st.sampled_from([*words, *(c["zh"] for c in item.choices), " 企 业 ", "nobody"])
    if item.type == "text":
        return st.sampled_from(["acme", "甲公司", ""])
    pools = {"money": MONEY, "count": COUNTS, "bool": BOOLS, "rate": RATES}
    return st.sampled_from(pools.get(item.type, ["1", "2.5", "x"]))


@st.composite
def raw_profiles(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(list(policy.inputs)), unique=True, max_size=14))
    raw = {n: draw(_values(policy, n)) for n in names}
    if draw(st.integers(0, 20)) == 0:
        raw["no_such_field"] = "1"
    return raw


def engines_agree(policy: Policy, raws: list[dict[str, Any]], **options: Any) -> str:
    """Both engines' summaries of `raws` (as JSON Lines and as CSV where the cells are text):
    the same JSON and the same messages. Returns the JSON."""
    sources = [("jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raws))]
    if all(isinstance(v, str) for r in raws for v in r.values()):
        names = list(dict.fromkeys(k for r in raws for k in r))
        if names:
            rows = [",".join(names)] + [",".join(f'"{r.get(n, "")}"' for n in names) for r in raws]
            sources.append(("csv", "\n".join(rows) + "\n"))
    shown = ""
    for fmt, text in sources:
        got = []
        for run in (summary.summarise, _summarise_sql):
            errors: list[list[str]] = []
            try:
                result = run(policy, io.BytesIO(text.encode()), input_format=fmt,
                             on_error=errors.append, **options)  # fmt: skip
            except SubsidyError as exc:  # the input as a whole: the same message
                got.append((str(exc.lines()), errors))
                continue
            got.append((json.dumps(summary_dict(result), ensure_ascii=False), errors))
        assert got[1] == got[0]
        shown = got[0][0]
    return shown


@deterministic(12)
@given(raws=st.lists(raw_profiles(BUNDLED), min_size=1, max_size=25), assume_no=st.booleans())
def test_duckdb_equals_python_on_generated_profiles(
    raws: list[dict[str, Any]], assume_no: bool
) -> None:
    engines_agree(BUNDLED, raws, assume_no=assume_no)


@deterministic(8)
@given(data=st.data(), which=st.integers(0, len(OVERRIDDEN) - 1))
def test_duckdb_equals_python_on_overrides_beside_their_baseline(
    data: st.DataObject, which: int
) -> None:
    policy = OVERRIDDEN[which]
    try:
        sql.compile_summary(policy)
    except sql.Unsupported as exc:  # the overrides that divide
        assert "division" in str(exc)
        return
    raws = data.draw(st.lists(raw_profiles(policy), min_size=1, max_size=20))
    engines_agree(policy, raws, baseline=BUNDLED)


@deterministic(15)
@given(data=st.data(), text=policy_texts())
def test_duckdb_equals_python_on_generated_policies(
    tmp_path_factory: Any, data: st.DataObject, text: str
) -> None:
    """Tiers, counts with caps, min/max, conditional defaults of defaults, tax items, who."""
    path = Path(tmp_path_factory.mktemp("policy")) / "generated.toml"
    path.write_text(text.replace(" / 0.1", " * 10"), encoding="utf-8")  # SQL does not divide
    policy = load_policy(path)
    raws = data.draw(st.lists(raw_profiles(policy), min_size=1, max_size=20))
    engines_agree(policy, raws, assume_no=data.draw(st.booleans()))


def _one_article(tmp_path: Path, lines: str) -> Policy:
    path = tmp_path / "one.toml"
    path.write_text(inputs_toml() + (
        '[[articles]]\nid = "a0"\nsection = "1"\ntitle = { zh = "条", en = "A" }\n'
        'who = ["any"]\nsource = "条。"\n' + lines), encoding="utf-8")  # fmt: skip
    return load_policy(path)


def test_half_fen_ties_round_half_up(tmp_path: Path) -> None:
    """0.5% of 1 元 is 0.005 元: half-up pays 0.01 (half-even would pay 0.00), and 0.5% of
    3 元 is 0.015: 0.02 either way; summed over the records."""
    policy = _one_article(tmp_path, 'basis = "up_to"\nvalues = { rate = "0.5%" }\n'
                                    'amount = "rate * m1"\n')  # fmt: skip
    shown = json.loads(engines_agree(policy, [{"m1": "1"}, {"m1": "3"}, {"m1": "1"}]))
    assert shown["total"] == "0.04"


def test_an_unknown_argument_of_min_leaves_the_amount_unknown(tmp_path: Path) -> None:
    """min(m1, m2) with m2 unknown needs m2 (LEAST would pay m1); a cap unknown likewise."""
    policy = _one_article(tmp_path, 'basis = "up_to"\namount = "min(m1, m2)"\n')
    shown = json.loads(engines_agree(policy, [{"m1": "100"}, {"m1": "100", "m2": "50"}]))
    assert shown["articles"][0]["needs_info"] == 1 and shown["total"] == "50.00"


def test_an_unknown_condition_of_a_default_leaves_the_value_unknown(tmp_path: Path) -> None:
    """r1 defaults to 15% if b1, else 25%: with b1 unknown, r1 is unknown (an ELSE would take
    25%); with b1 false it is 25%."""
    policy = _one_article(tmp_path, 'basis = "up_to"\namount = "r1 * m1"\n')
    shown = json.loads(engines_agree(policy, [{"m1": "100"}, {"m1": "100", "b1": "false"}]))
    assert shown["articles"][0]["needs_info"] == 1 and shown["total"] == "25.00"


def test_a_policy_the_compiler_does_not_know_is_refused(tmp_path: Path) -> None:
    """Division, and any field of an article the compiler was not taught, are refused."""
    dividing = _one_article(tmp_path, 'basis = "up_to"\namount = "m1 / 3"\n')
    with pytest.raises(sql.Unsupported, match="division"):
        sql.compile_summary(dividing)
    import dataclasses

    @dataclasses.dataclass(frozen=True, slots=True)
    class Later(Article):  # an article of a policy language the compiler has not been taught
        share: Decimal = Decimal(1)

    first = BUNDLED.articles[0]
    fields = {f.name: getattr(first, f.name) for f in dataclasses.fields(first)}
    same = dataclasses.replace(BUNDLED, articles=(Later(**fields), *BUNDLED.articles[1:]))
    assert sql.compile_summary(same).sql == sql.compile_summary(BUNDLED).sql  # its default
    later = dataclasses.replace(BUNDLED, articles=(Later(**fields, share=Decimal("0.3")),
                                                   *BUNDLED.articles[1:]))  # fmt: skip
    with pytest.raises(sql.Unsupported, match="articles.share"):
        sql.compile_summary(later)


def test_no_float_reaches_the_query() -> None:
    """Every number in the query is a DECIMAL: no DOUBLE, no float literal."""
    text = sql.compile_summary(BUNDLED).sql
    assert "DOUBLE" not in text and "FLOAT" not in text and "REAL" not in text


CLIENTS = (
    "name,applicant_type,annual_rd_expense,deductible_rd_expense,jiebang_projects,gazelle_first\n"
    "甲,enterprise,1200万,1000万,1,是\n"
    "乙,enterprise,8000000,,2,false\n"
    "丙,university,,,0,\n"
    "丁,enterprise,x,,,\n"
    "戊,enterprise,30000000.005,50000000,,true\n"
)


@pytest.mark.parametrize("options", [
    ["-f", "json"], ["-f", "csv"], ["-f", "json", "--assume-no"],
    ["-f", "json", "--override", "rd-investment-subsidy.max=30万"],
])  # fmt: skip
def test_the_cli_engines_write_the_same_bytes(run: Run, tmp_path: Path,
                                              options: list[str]) -> None:  # fmt: skip
    source = tmp_path / "clients.csv"
    source.write_text(CLIENTS, encoding="utf-8")
    duck = run("summary", str(source), *options)
    python = run("summary", str(source), "--engine", "python", *options)
    assert duck.exit_code == python.exit_code == 1, duck.output
    assert duck.stdout == python.stdout
    assert duck.stderr == python.stderr  # the bad record's message, the same
    assert "丁" not in duck.stdout and Decimal(0) is not None


def test_the_cli_falls_back_to_python_and_says_so_once(run: Run, tmp_path: Path) -> None:
    policy = _one_article(tmp_path, 'basis = "up_to"\namount = "m1 / 3"\n')
    source = tmp_path / "p.csv"
    source.write_text("m1\n300\n30\n", encoding="utf-8")
    duck = run("summary", str(source), "--policy", policy.path, "-f", "json")
    python = run("summary", str(source), "--policy", policy.path, "-f", "json",
                 "--engine", "python")  # fmt: skip
    assert duck.exit_code == python.exit_code == 0, duck.output
    assert duck.stdout == python.stdout
    assert duck.stderr.count("running the Python engine") == 1
    assert "division" in duck.stderr and "Python engine" not in python.stderr


def test_the_bundled_policies_compile_or_say_why() -> None:
    """The bundled policies compile, each of them (Liuhe's ranges, schedules, waits and case by
    case too): `summary` runs none of them in Python."""
    paths = bundled_paths()
    assert "liuhe-2023" in [p.stem for p in paths]
    for path in paths:
        query = sql.compile_summary(load_policy(path))
        assert query.shapes is sql.COLUMN_TYPES  # on the wide columns: no record set aside
