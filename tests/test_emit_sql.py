"""`summary --emit-sql DIALECT`: the summary query for a table of profiles, where the data lives.

Each dialect's text parses (sqlglot); the DuckDB text, run on a table of text cells, gives the
Python engine's summary exactly; the Spark text does too on a local Spark session (`local[2]`),
with the settings it states (without them, Spark's DECIMAL rules round a product: shown here);
half-fen ties round half-up everywhere; and the command's mistakes exit 2 saying why.

The Spark tests run when SUBSIDYCLI_SPARK=1 (`.ci/run` sets it, and fetches Java and pyspark
while the rest of the suite runs): a Spark session plans each query for tens of seconds, which
the suite's other runs need not wait for. Where Java or pyspark is missing they skip, saying which.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from subsidycli import summary
from subsidycli.output.dialects import DIALECTS, BadTable, emit_sql
from subsidycli.policy import Policy, bundled_paths, load_policy
from subsidycli.sql import COLUMN_TYPES, Unsupported, compile_summary
from subsidycli.sql.cells import canonical
from tests.conftest import ROOT, Run, cli_env
from tests.test_batch_properties import AMOUNTS, CAPS, TIERS, WHENS, WHO, inputs_toml

BUNDLED = load_policy(bundled_paths()[0])
SECOND = load_policy(bundled_paths()[1])  # liuhe-2023: ranges, schedules by year, not_with
Row = dict[str, str | None]


# ---------------------------------------------------------------------------------------------
# Profiles as a table holds them: canonical text, NULL or blank where unknown


CELLS = {
    # half-fen ties (0.5% of 1 元 is 0.005 元), 8 places, the parsers' limits, thresholds
    "money": ["0", "1", "3", "0.01", "0.005", "0.015", "2.5", "4000000.5", "10000000",
              "12000000", "9999999.99", "0.00000001", "999999999999999.99999999",
              "1000000000000000", "300000", "200000"],
    "count": ["0", "1", "2", "3", "7", "999999", "1000000"],
    "bool": ["true", "false"],
    "rate": ["0", "0.15", "0.25", "0.5", "0.1", "0.0000000001", "0.4999999999", "0.9999999999"],
    "quantity": ["0", "1", "2.5", "999999999.999999"],
    "text": ["acme", "甲公司"],
}  # fmt: skip


def _places(cell: str) -> int:
    return len(cell.partition(".")[2])


def profiles(policy: Policy, n: int, seed: int = 23) -> list[Row]:
    """`n` profiles of canonical cells, about one cell in four unknown (NULL, or blank), each
    number with no more places than the query's column holds."""
    shapes = compile_summary(policy).shapes
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        row: Row = {}
        for name, item in policy.inputs.items():
            shape = shapes[item.type]
            pool = ([c["value"] for c in item.choices] if item.type == "choice"
                    else [c for c in CELLS[item.type] if shape is None or _places(c) <= shape[1]])
            pick = rng.random()
            row[name] = None if pick < 0.2 else "" if pick < 0.25 else rng.choice(pool)
        rows.append(row)
    return rows


def as_csv(policy: Policy, rows: list[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(policy.inputs))
    writer.writerows([[r[n] or "" for n in policy.inputs] for r in rows])
    return buffer.getvalue().encode()


def reference(policy: Policy, rows: list[Row], assume_no: bool = False) -> dict[str, str]:
    """The Python engine's summary of `rows` as the emitted query's columns, each as text."""
    result = summary.summarise(policy, io.BytesIO(as_csv(policy, rows)), input_format="csv",
                               assume_no=assume_no)  # fmt: skip
    assert result.failed == 0
    columns = {}
    for tally in result.tally.articles:
        key = tally.article.id
        columns[f"{key}.eligible"] = str(tally.eligible)
        columns[f"{key}.needs_info"] = str(tally.needs_info)
        if tally.amount is not None:
            columns[f"{key}.amount"] = str(tally.amount)
        if tally.tax_saving is not None:
            columns[f"{key}.tax_saving"] = str(tally.tax_saving)
    columns["total"] = str(result.tally.total)
    columns["records"] = str(result.records)  # the rows not entirely blank
    columns["noncanonical_records"] = str(sum(map(noncanonical, itertools.repeat(policy), rows)))
    return columns


def noncanonical(policy: Policy, row: Row) -> bool:
    """Whether a row has a cell not in the canonical form the query states (the compiler's
    `canonical`: a yes/no or choice cell as its value, a number within its column's places)."""
    shapes = compile_summary(policy).shapes
    for name, item in policy.inputs.items():
        cell = (row[name] or "").strip()
        if cell and canonical(item, shapes[item.type])(cell) != cell:
            return True
    return False


def shown(row: dict[str, Any]) -> dict[str, str]:
    """A database's result row as text: counts as integers, sums as exact decimals (a float, or
    a sum with other than 2 places, fails here)."""
    out = {}
    for key, value in row.items():
        assert isinstance(value, int | Decimal) and not isinstance(value, bool), (key, value)
        out[key] = str(value)
    return out


def statements(text: str) -> list[str]:
    """The emitted text's statements, its comment lines left out."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


def _article(key: str, title: str, *lines: str) -> str:
    head = [f'[[articles]]\nid = "{key}"\nsection = "1"',
            f'title = {{ zh = "{title}", en = "{key}" }}', 'source = "条。"',
            'values = { threshold = "1000万", top = "20万", rate = "0.5%" }']  # fmt: skip
    return "\n".join([*head, *lines])


def kitchen_sink(tmp: Path) -> Policy:
    """One policy with many articles: every amount, cap, condition and who of the generated
    policies (tests/test_batch_properties.py), tiers, counts, tax items, defaults of defaults."""
    parts = [inputs_toml()]
    combos = itertools.product(AMOUNTS, CAPS, [None, "c1", "c2"])
    whens, whos = itertools.cycle(WHENS), itertools.cycle(WHO)
    for i, (amount, cap, count) in enumerate(combos):
        if i % 3:  # a third of the combinations keeps the query of a fair size
            continue
        lines = [f"who = {next(whos)}", 'basis = "up_to"', f'amount = "{amount}"']
        when = next(whens)
        if when:
            lines.append(f'when = "{when}"')
        if cap:
            lines.append(f'cap = "{cap.replace(" / 0.1", " * 10")}"')
        if count:
            lines.append(f'count = "{count}"')
        parts.append(_article(f"a{i}", f"条{i}", *lines))
    for j, tiers in enumerate(TIERS):
        parts.append(_article(f"t{j}", "层", 'who = ["any"]', 'basis = "exact"',
                              f"tiers = [{tiers}]"))  # fmt: skip
    for k, rate in enumerate(["r1", "r2"]):
        parts.append(_article(f"tax{k}", "税", 'who = ["enterprise"]', 'basis = "tax_deduction"',
                              'amount = "rate * m1"', f'tax_saving = "amount * {rate}"'))
    parts.append(_article("u", "未定", 'who = ["any"]', 'basis = "unspecified"', 'when = "b1"'))
    path = tmp / "sink.toml"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return load_policy(path)


def one_article(tmp: Path, lines: str) -> Policy:
    path = tmp / "one.toml"
    path.write_text(inputs_toml() + (
        '[[articles]]\nid = "a0"\nsection = "1"\ntitle = { zh = "条", en = "A" }\n'
        'who = ["any"]\nsource = "条。"\n' + lines), encoding="utf-8")  # fmt: skip
    return load_policy(path)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return kitchen_sink(tmp_path_factory.mktemp("sink"))


# ---------------------------------------------------------------------------------------------
# Every dialect parses; DuckDB's text runs and equals the Python engine


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_dialect_parses_and_states_the_table_and_the_columns(dialect: str) -> None:
    text = emit_sql(BUNDLED, dialect, "crm.profiles")
    parsed = [sqlglot.parse_one(s, read=dialect) for s in statements(text)]
    query = parsed[-1]
    assert isinstance(query, sqlglot.exp.Select)
    names = [c.alias_or_name for c in query.expressions]
    assert names == list(reference(BUNDLED, []))  # every summary key, in summary's order
    tables = {".".join(p.name for p in t.parts) for t in query.find_all(sqlglot.exp.Table)}
    assert tables - {f"p{n}" for n in range(len(BUNDLED.inputs) + 1)} == {"crm.profiles"}
    comment = " ".join(line[3:] for line in text.splitlines() if line.startswith("-- "))
    assert all(f"--   {name} " in text for name in BUNDLED.inputs)  # one line a column
    assert "NULL or blank is unknown" in comment and "<id>.needs_info" in comment
    assert ("SET spark.sql.decimalOperations.allowPrecisionLoss = false;" in text) == (
        dialect == "spark")  # fmt: skip


def test_trino_has_no_is_true_and_keeps_an_unknown_condition_unknown() -> None:
    """sqlglot writes Trino's `c IS FALSE` as `NOT c`; emitted, it is NOT COALESCE(c, TRUE)."""
    text = emit_sql(BUNDLED, "trino")
    assert " IS TRUE" not in text and " IS FALSE" not in text
    assert "NOT COALESCE(" in text


def run_duckdb(text: str, policy: Policy, rows: list[Row]) -> dict[str, str]:
    import duckdb

    connection = duckdb.connect(":memory:")
    try:
        names = list(policy.inputs)
        columns = ", ".join(f'"{n}" VARCHAR' for n in names)
        connection.execute(f"CREATE TABLE profiles ({columns})")
        if rows:
            connection.executemany(f"INSERT INTO profiles VALUES ({', '.join('?' * len(names))})",
                                   [[r[n] for n in names] for r in rows])  # fmt: skip
        *settings, query = statements(text)
        assert not settings
        found = connection.execute(query).fetchone()
        assert found is not None
        return shown(dict(zip([d[0] for d in connection.description or ()], found, strict=True)))
    finally:
        connection.close()


@pytest.mark.parametrize("assume_no", [False, True])
def test_the_duckdb_text_equals_the_python_engine(sink: Policy, assume_no: bool) -> None:
    for policy in (BUNDLED, SECOND, sink):
        rows = profiles(policy, 600)
        got = run_duckdb(emit_sql(policy, "duckdb", assume_no=assume_no), policy, rows)
        assert got == reference(policy, rows, assume_no)
        assert Decimal(got["total"]) > 0


def test_the_duckdb_text_of_nothing_is_zeros() -> None:
    got = run_duckdb(emit_sql(BUNDLED, "duckdb"), BUNDLED, [])
    assert got == reference(BUNDLED, []) and got["total"] == "0.00"


def test_a_blank_cell_is_unknown_as_null_is() -> None:
    rows = profiles(BUNDLED, 50)
    blanked = [{k: ("  " if v is None else v) for k, v in r.items()} for r in rows]
    text = emit_sql(BUNDLED, "duckdb")
    assert run_duckdb(text, BUNDLED, blanked) == run_duckdb(text, BUNDLED, rows)


def test_a_typed_table_gives_the_same_as_a_text_one() -> None:
    """DECIMAL and BOOLEAN columns, as a warehouse types them, are read as their text."""
    import duckdb

    rows = profiles(BUNDLED, 300)
    types = {"money": "DECIMAL(24, 8)", "count": "INTEGER", "bool": "BOOLEAN",
             "rate": "DECIMAL(11, 10)"}  # fmt: skip
    names = list(BUNDLED.inputs)
    connection = duckdb.connect(":memory:")
    try:
        cols = ", ".join(f'"{n}" {types.get(BUNDLED.inputs[n].type, "VARCHAR")}' for n in names)
        connection.execute(f"CREATE TABLE profiles ({cols})")
        connection.executemany(f"INSERT INTO profiles VALUES ({', '.join('?' * len(names))})",
                               [[r[n] or None for n in names] for r in rows])  # fmt: skip
        found = connection.execute(statements(emit_sql(BUNDLED, "duckdb"))[-1]).fetchone()
        assert found is not None
        got = shown(dict(zip([d[0] for d in connection.description or ()], found, strict=True)))
    finally:
        connection.close()
    assert got == reference(BUNDLED, rows)


def test_a_number_with_more_places_than_a_narrow_column_is_counted(sink: Policy) -> None:
    """The kitchen sink's products pass 38 digits on the wide columns: money is cast to the
    fen, and a record holding 0.005 元 is counted in noncanonical_records, not silently rounded."""
    assert compile_summary(sink).shapes != COLUMN_TYPES
    rows = [r for r in profiles(sink, 40) if not noncanonical(sink, r)][:20]
    text = emit_sql(sink, "duckdb")
    assert run_duckdb(text, sink, rows)["noncanonical_records"] == "0"
    rows[3]["m1"], rows[7]["m2"], rows[8]["r1"] = "0.005", "1.001", "0.00001"
    assert run_duckdb(text, sink, rows)["noncanonical_records"] == "3"


def _refused_by_summary(rows: list[Row]) -> int:
    result = summary.summarise(BUNDLED, io.BytesIO(as_csv(BUNDLED, rows)), input_format="csv")
    return result.failed


@pytest.mark.parametrize(("column", "cell"), [
    ("deductible_rd_expense", "10000000.000000005"),  # 9 places: the cast would round it
    ("income_tax_rate", "0.15000000001"),  # 11 places
    ("jiebang_projects", "-5"),  # negative
    ("national_platforms", "1.5"),  # a count with places: the cast would give 2
])  # fmt: skip
def test_a_cell_summary_refuses_is_counted_on_the_wide_columns(column: str, cell: str) -> None:
    """On the bundled policy's wide columns, a cell of more places than its column (which the
    CAST would round silently) or a negative number is counted in noncanonical_records, as
    `summary` refuses its record; records counts every row not entirely blank."""
    assert compile_summary(BUNDLED).shapes == COLUMN_TYPES
    rows = [r for r in profiles(BUNDLED, 40) if not noncanonical(BUNDLED, r)][:12]
    rows[5][column] = cell
    assert _refused_by_summary(rows) == 1
    text = emit_sql(BUNDLED, "duckdb")
    clean = [r for i, r in enumerate(rows) if i != 5]
    got = run_duckdb(text, BUNDLED, clean)
    assert got["noncanonical_records"] == "0" and got["records"] == "11"
    got = run_duckdb(text, BUNDLED, rows)
    assert got["noncanonical_records"] == "1" and got["records"] == "12"


def test_rows_entirely_blank_are_skipped_as_summary_skips_them() -> None:
    """Blank rows (NULL or spaces) count in no article and not in records, as in `summary`."""
    rows = profiles(BUNDLED, 40)
    blank: list[Row] = [dict.fromkeys(BUNDLED.inputs), dict.fromkeys(BUNDLED.inputs, "  ")]
    text = emit_sql(BUNDLED, "duckdb")
    got = run_duckdb(text, BUNDLED, [*rows[:20], *blank, *rows[20:]])
    assert got == run_duckdb(text, BUNDLED, rows) == reference(BUNDLED, rows)
    assert got["records"] == "40"
    assert any(k.endswith(".needs_info") and v != "0" for k, v in got.items())


def test_a_table_name_must_be_an_identifier() -> None:
    for bad in ("profiles; DROP TABLE x", "my table", "1st", "a.b.c.d", '"q"', ""):
        with pytest.raises(BadTable):
            emit_sql(BUNDLED, "duckdb", bad)
    assert 'FROM "db"."profiles_2024"' in emit_sql(BUNDLED, "duckdb", "db.profiles_2024")
    assert "FROM `db`.`profiles_2024`" in emit_sql(BUNDLED, "spark", "db.profiles_2024")


# ---------------------------------------------------------------------------------------------
# The command line


def test_emit_sql_prints_the_query_with_overrides_and_assume_no(run: Run, tmp_path: Path) -> None:
    plain = run("summary", "--emit-sql", "postgres")
    assert plain.exit_code == 0, plain.output
    # the same text as the function's, but for the day the command evaluates on
    tail = emit_sql(BUNDLED, "postgres").split("\n--\n", 1)[1]
    assert plain.stdout.endswith("\n--\n" + tail)
    changed = run("summary", "--emit-sql", "postgres", "--override",
                  "rd-investment-subsidy.max=37万", "--assume-no")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "'370000'" in changed.stdout and "'370000'" not in plain.stdout
    assert changed.stdout.count("COALESCE(") > plain.stdout.count("COALESCE(")
    target = tmp_path / "summary.sql"
    written = run("summary", "--emit-sql", "spark", "--table", "crm.profiles", "-o", str(target))
    assert written.exit_code == 0, written.output
    assert written.stdout == "" and "FROM `crm`.`profiles`" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "en", "zh"), [
    ((), "Missing argument 'INPUT'", "缺少参数 'INPUT'"),
    (("x.csv", "--emit-sql", "duckdb"), "reads no INPUT", "不读取输入文件"),
    (("--table", "t"), "give --emit-sql DIALECT too", "同时给出 --emit-sql"),
    (("--emit-sql", "duckdb", "--table", "a b"), "--table 'a b': not a table name", "不是表名"),
    (("--emit-sql", "duckdb", "-f", "json"), "cannot go with --format", "不能与 --format"),
    (("--emit-sql", "duckdb", "--engine", "python"), "cannot go with --engine", "不能与 --engine"),
])  # fmt: skip
def test_emit_sql_mistakes_exit_2_saying_why(run: Run, args: tuple[str, ...], en: str,
                                             zh: str) -> None:  # fmt: skip
    for lang, said in (("en", en), ("zh", zh)):
        result = run("summary", *args, "--lang", lang)
        assert result.exit_code == 2, result.output
        assert said in result.stderr, (lang, result.stderr)
        assert result.stdout == ""


def test_a_policy_the_compiler_does_not_know_exits_2_with_the_reason(
    run: Run, tmp_path: Path
) -> None:
    one_article(tmp_path, 'basis = "up_to"\namount = "m1 / 3"\n')
    for lang, said in (("en", "does not know division"), ("zh", "除法")):
        result = run("summary", "--emit-sql", "spark", "--policy", str(tmp_path / "one.toml"),
                     "--lang", lang)  # fmt: skip
        assert result.exit_code == 2, result.output
        assert said in result.stderr and result.stdout == ""
    with pytest.raises(Unsupported):
        emit_sql(load_policy(tmp_path / "one.toml"), "duckdb")


# Runs the command in this process, then says on stderr whether sqlglot was imported.
_IMPORTED = ("import sys\nfrom subsidycli.cli import main\nsys.argv[0] = 'subsidy'\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('SQLGLOT', 'sqlglot' in sys.modules, file=sys.stderr)\n")  # fmt: skip


@pytest.mark.parametrize(("args", "imported"), [
    (("calc", "-"), False),
    (("summary", str(ROOT / "examples" / "clients.csv")), False),
    (("summary", "--emit-sql", "trino"), True),
])  # fmt: skip
def test_sqlglot_is_imported_by_emit_sql_only(args: tuple[str, ...], imported: bool) -> None:
    done = subprocess.run([sys.executable, "-c", _IMPORTED, *args], input="{}", env=cli_env(),
                          capture_output=True, text=True)  # fmt: skip
    assert done.stderr.splitlines()[-1] == f"SQLGLOT {imported}", done.stderr


def test_an_unknown_dialect_is_refused_with_the_choices(run: Run) -> None:
    result = run("summary", "--emit-sql", "oracle")
    assert result.exit_code == 2
    assert "duckdb" in result.output and "postgres" in result.output


# ---------------------------------------------------------------------------------------------
# Spark: a local session, the emitted text run on a table of strings


def _spark_missing() -> str | None:
    if os.environ.get("SUBSIDYCLI_SPARK") != "1":
        return "opt-in: set SUBSIDYCLI_SPARK=1 (.ci/run does, after the rest of the suite)"
    if shutil.which("java") is None:
        return "no java (apt-get install default-jre-headless; .ci/run does, SUBSIDYCLI_SPARK=1)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "no pyspark (pip install pyspark; .ci/run does with SUBSIDYCLI_SPARK=1)"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    missing = _spark_missing()
    if missing:
        pytest.skip(f"Spark test: {missing}")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("subsidycli-emit-sql")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def run_spark(session: Any, text: str, policy: Policy, rows: list[Row],
              settings: bool = True) -> dict[str, str]:  # fmt: skip
    names = list(policy.inputs)
    schema = ", ".join(f"`{n}` STRING" for n in names)
    frame = session.createDataFrame([tuple(r[n] for n in names) for r in rows], schema)
    frame.createOrReplaceTempView("profiles")
    *sets, query = statements(text)
    for statement in sets if settings else ("SET spark.sql.ansi.enabled = false",
                                            "SET spark.sql.decimalOperations.allowPrecisionLoss"
                                            " = true"):  # fmt: skip
        session.sql(statement)
    try:
        found = session.sql(query).collect()[0].asDict()
    finally:
        session.sql("RESET")
    return shown(found)


def test_spark_gives_the_python_engines_summary(spark: Any, sink: Policy) -> None:
    """A few thousand profiles each: the bundled policies, and the kitchen sink with
    --assume-no (each query costs Spark seconds to plan, whatever the rows)."""
    for policy, assume_no in ((BUNDLED, False), (SECOND, False), (sink, True)):
        rows = profiles(policy, 3000, seed=5)
        got = run_spark(spark, emit_sql(policy, "spark", assume_no=assume_no), policy, rows)
        assert got == reference(policy, rows, assume_no)
        assert Decimal(got["total"]) > 0


def test_spark_rounds_half_fen_ties_half_up(spark: Any, tmp_path: Path) -> None:
    """0.5% of 1 元 is 0.005 元: 0.01 (half-even would pay 0.00); of 3 元, 0.015: 0.02."""
    policy = one_article(tmp_path, 'basis = "up_to"\nvalues = { rate = "0.5%" }\n'
                                   'amount = "rate * m1"\n')  # fmt: skip
    rows = [dict.fromkeys(policy.inputs) | {"m1": m} for m in ("1", "3", "1", "0.001")]
    got = run_spark(spark, emit_sql(policy, "spark"), policy, rows)
    assert got["a0.amount"] == "0.04" == reference(policy, rows)["a0.amount"]  # 0.01+0.02+0.01


def test_spark_needs_its_settings_to_keep_a_product_exact(spark: Any, tmp_path: Path) -> None:
    """money × count: the compiler casts money to DECIMAL(38, 8) × DECIMAL(7, 0), which Spark
    types as 46 digits; with precision loss allowed (its default) it keeps 6 places, not 8:
    0.00499999 × 1 becomes 0.005000 and pays 0.01, not 0.00."""
    policy = one_article(tmp_path, 'basis = "up_to"\namount = "m1 * c1"\n')
    assert compile_summary(policy).shapes == COLUMN_TYPES
    rows = [dict.fromkeys(policy.inputs) | {"m1": "0.00499999", "c1": "1"}]
    text = emit_sql(policy, "spark")
    assert reference(policy, rows)["a0.amount"] == "0.00"
    assert run_spark(spark, text, policy, rows)["a0.amount"] == "0.00"
    assert run_spark(spark, text, policy, rows, settings=False)["a0.amount"] == "0.01"


def test_the_spark_settings_are_stated_before_the_query() -> None:
    text = emit_sql(BUNDLED, "spark")
    sets = [s for s in statements(text) if s.startswith("SET ")]
    assert sets == ["SET spark.sql.ansi.enabled = true",
                    "SET spark.sql.decimalOperations.allowPrecisionLoss = false"]  # fmt: skip
    assert re.search(r"^-- .*SET", text, re.M)  # the comment says why they are there
