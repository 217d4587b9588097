"""`summary --emit-sql`: the summary query for a table of profiles, in another SQL dialect.

The query is `sql.compile_summary`'s (DuckDB's dialect), read by sqlglot and written in the
dialect asked for, with the changes that make it stand alone: a blank cell is unknown as NULL
is (a text table from a CSV file holds '' where the value is not known); the result's columns
are named by article id and summary key (`rd-subsidy.eligible`, `rd-subsidy.amount`, …,
`total`), the sums of nothing reading 0 as `summary` writes them; rows entirely blank skipped
as `summary` skips them, with `records` counting the others and `noncanonical_records` those with
a cell not in canonical form (which the cast may round or misread); for Trino, no IS TRUE; and
a leading comment says what the table must hold and what each column means (for Spark, the
settings it needs). The table's name is quoted, so its case counts. sqlglot is imported by this
module only, and this module only by `--emit-sql`.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import sqlglot
from sqlglot import exp

from subsidycli.errors import SubsidyError
from subsidycli.i18n import pick, t
from subsidycli.policy import SUMMED_BASES, Input, Policy
from subsidycli.policy.parsers import TYPE_WORDS
from subsidycli.sql import Query, compile_summary
from subsidycli.sql.cells import cell_pattern, cell_words
from subsidycli.sql.compile import quote, string

DIALECTS = ("duckdb", "spark", "trino", "postgres")
# A table name: an identifier, or up to three of them dotted (catalog.schema.table).
TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){0,2}")
# What Spark needs to compute the query exactly (docs/populations.md, "Beyond one machine"):
# products keep their scale past 38 digits of type (the compiler bounds their values), and a
# cast or sum that overflows is an error, never NULL (which would read as unknown).
SPARK_SETTINGS = (
    "SET spark.sql.ansi.enabled = true;",
    "SET spark.sql.decimalOperations.allowPrecisionLoss = false;",
)
# The summary key of each of the compiler's result columns (`e3` is article 3's eligible count).
KEYS = {"e": "eligible", "n": "needs_info", "a": "amount", "s": "tax_saving"}


class BadTable(SubsidyError):
    """A --table name that is not an SQL identifier (or a dotted path of them)."""


def emit_sql(policy: Policy, dialect: str, table: str = "profiles",
             assume_no: bool = False) -> str:  # fmt: skip
    """The summary of `policy` over `table` as SQL text in `dialect`, with its leading comment
    (and for Spark the settings it needs), ending in a newline. Raises BadTable, and
    `sql.Unsupported` for a policy the compiler does not know."""
    if dialect not in DIALECTS:  # the command line offers these only
        raise ValueError(dialect)
    if not TABLE.fullmatch(table):
        raise BadTable(t("--table {table!r}: not a table name (letters, digits and _, not "
                         "starting with a digit; schema.table is allowed)", table=table))
    quoted = ".".join('"' + part + '"' for part in table.split("."))
    query = compile_summary(policy, quoted, assume_no)
    tree = sqlglot.parse_one(query.sql, read="duckdb")
    assert isinstance(tree, exp.Select)
    _blank_is_unknown(tree, policy)
    _name_columns(tree, policy, query)
    _count_records(tree, policy, query, quoted)
    if dialect == "trino":
        _no_is_true(tree)
    text = tree.sql(dialect=dialect, pretty=True)
    settings = SPARK_SETTINGS if dialect == "spark" else ()
    return "\n".join([*_comment(policy, query, table, dialect), *settings, text + ";", ""])


def _cell(name: str) -> str:
    """A cell as text, blank (or spaces) as NULL."""
    return f"NULLIF(TRIM(CAST({quote(name)} AS VARCHAR)), '')"


def _not_blank(policy: Policy) -> str:
    """The condition of a row with a cell not blank (`summary` skips the others)."""
    cells = [_cell(name) for name in policy.inputs]
    return f"COALESCE({', '.join(cells)}) IS NOT NULL" if cells else "FALSE"


def _blank_is_unknown(tree: exp.Select, policy: Policy) -> None:
    """Each cell cast from its column as CAST(NULLIF(TRIM(CAST(c AS VARCHAR)), '') AS type):
    '' and spaces are unknown, and a typed column (DECIMAL, BOOLEAN) is read as well; a row
    entirely blank is skipped."""
    base = next(c for c in tree.find_all(exp.CTE) if c.alias == "p0")
    for cast in list(base.find_all(exp.Cast)):
        column = cast.this
        if isinstance(column, exp.Column):
            text = exp.cast(column.copy(), exp.DataType.build("VARCHAR"))
            blank = exp.Nullif(this=exp.Trim(this=text), expression=exp.Literal.string(""))
            column.replace(blank)
    select = base.this  # its casts made; now the rows it skips
    assert isinstance(select, exp.Select)
    select.where(sqlglot.parse_one(_not_blank(policy), read="duckdb"), copy=False)


def _name_columns(tree: exp.Select, policy: Policy, query: Query) -> None:
    """The outer SELECT's columns named `article-id.key` as summary's JSON names them, those
    with nothing to add up dropped, and a sum of no rows 0 (the Python engine's sum)."""
    ids = {n: policy.articles[n].id for n in query.articles}
    kept: list[Any] = []
    for column in tree.expressions:
        assert isinstance(column, exp.Alias)
        name = column.alias
        if name == "total":
            kept.append(_zero_if_none(column, "total"))
            continue
        key, n = KEYS[name[0]], int(name[1:])
        article = policy.articles[n]
        if (key == "amount" and article.basis not in SUMMED_BASES) or (
                key == "tax_saving" and article.basis != "tax_deduction"):  # fmt: skip
            continue
        label = f"{ids[n]}.{key}"
        kept.append(_zero_if_none(column, label) if key in ("amount", "tax_saving")
                    else exp.alias_(column.this, label, quoted=True))  # fmt: skip
    tree.set("expressions", kept)


def _count_records(tree: exp.Select, policy: Policy, query: Query, table: str) -> None:
    """Two columns: `records`, the rows not entirely blank (those the result counts), and
    `noncanonical_records`, the rows with a cell not in canonical form for its input, or of more
    places than its column holds (`sql.cells.cell_pattern` at the query's column, as the SQL
    reader of `summary` tests cells; yes/no and choice cells: the values `cell_words` gives,
    which the query compares them with). `summary` reads such a cell through its parser, or
    refuses it; the cast would round it, misread it or fail."""
    checks = []
    for name, item in policy.inputs.items():
        cell = _cell(name)
        words = cell_words(item)
        pattern = cell_pattern(item, query.shapes[item.type])
        if words is not None:
            own = sorted(set(words.values()))  # the values the query compares cells with
            checks.append(f"NOT {cell} IN ({', '.join(string(w) for w in own)})")
        elif pattern is not None:  # anchored: REGEXP_MATCHES transpiles to every dialect
            checks.append(f"NOT REGEXP_MATCHES({cell}, {string('^(?:' + pattern + ')$')})")
    columns = [(f"(SELECT COUNT(*) FROM {table} WHERE {_not_blank(policy)})", "records"),
               (f"(SELECT COUNT(*) FROM {table} WHERE {' OR '.join(checks) or 'FALSE'})",
                "noncanonical_records")]  # fmt: skip
    tree.set("expressions", [*tree.expressions, *(
        exp.alias_(sqlglot.parse_one(sql, read="duckdb"), name, quoted=True)
        for sql, name in columns)])  # fmt: skip


def _zero_if_none(column: exp.Alias, label: str) -> Any:
    zero = exp.cast(exp.Literal.number(0), exp.DataType.build("DECIMAL(3, 2)"))
    return exp.alias_(exp.Coalesce(this=column.this, expressions=[zero]), label, quoted=True)


def _no_is_true(tree: exp.Select) -> None:
    """Trino has no IS TRUE / IS FALSE (and sqlglot writes `c` and `NOT c`, which take an
    unknown c as false outside a WHEN): `COALESCE(c, FALSE)` and `NOT COALESCE(c, TRUE)` are
    exact anywhere."""
    for node in list(tree.find_all(exp.Is)):
        value = node.expression
        if isinstance(value, exp.Boolean):
            truth = value.this
            covered = exp.Coalesce(this=node.this.copy(), expressions=[exp.Boolean(this=not truth)])
            node.replace(exp.paren(covered) if truth else exp.paren(exp.not_(covered)))


def _comment(policy: Policy, query: Query, table: str, dialect: str) -> list[str]:
    """The leading comment: the policy, the table's columns, the result's columns."""
    fields = {"dialect": dialect, "title": pick(policy.title), "policy": policy.id}
    lines = [
        t("subsidy summary --emit-sql {dialect}: {title} ({policy}), evaluated on {day}",
          day=policy.evaluated_on, **fields) if policy.evaluated_on
        else t("subsidy summary --emit-sql {dialect}: {title} ({policy})", **fields),
        "",
        t("The table {table}: one row per organisation, one column per input named by its id, "
          "holding text in canonical form (or the SQL type); NULL or blank is unknown, and a "
          "cell the cast refuses is an error:", table=table),
    ]
    width = max((len(name) for name in policy.inputs), default=0)
    for name, item in policy.inputs.items():
        lines.append(f"  {name.ljust(width)}  {_canonical(item, query)}")
    lines += [
        "",
        t("The result, one row: per article, <id>.eligible (organisations eligible), "
          "<id>.needs_info (organisations missing information), <id>.amount (the sum of the "
          "eligible amounts, 元, each half-up to the fen), <id>.tax_saving (a tax item: the tax "
          "saved); total: the cash total, as `subsidy summary --format json` gives them."),
    ]
    lines += ["", t("records: the rows with a cell not blank (rows entirely blank are skipped, "
                    "as `subsidy summary` skips them). noncanonical_records: the rows with a cell "
                    "not in the form above (for a number: more places than its column holds, "
                    "which the cast rounds); give those records to `subsidy summary`, which reads "
                    "or refuses them. It must be 0 for the sums to be `subsidy summary`'s.")]
    if dialect == "spark":
        lines += ["", t("Spark: the SET statements below keep DECIMAL exact (docs/populations.md"
                        "); run them in the same session before the query.")]  # fmt: skip
    wrapped = []
    for line in lines:
        keep = line.startswith("  ") or not line  # a column's line, or a blank one
        wrapped += [line] if keep else textwrap.wrap(line, 96, break_on_hyphens=False)
    return ["-- " + line if line else "--" for line in wrapped]


def _canonical(item: Input, query: Query) -> str:
    """What one column's cells may hold."""
    shape = query.shapes[item.type]
    if item.type == "bool":
        return t("yes/no: true or false")
    if item.type == "choice":
        values = ", ".join(str(c["value"]) for c in item.choices)
        return t("one of: {values}", values=values)
    if shape is None:
        return t("text")
    places = shape[1]
    if places == 0:
        return t("{type}: a whole number (12)", type=t(TYPE_WORDS[item.type]))
    examples = {"money": t("1200000.5, not 120万"), "rate": t("0.15, not 15%")}
    example = examples.get(item.type, "2.5")
    return t("{type}: a plain decimal, at most {places} places ({example})",
             type=t(TYPE_WORDS[item.type]),
             places=places, example=example)  # fmt: skip
