"""`subsidy summary`: the population view of a batch input, and the what-if beside its baseline.

Pure: no typer, no rich. Records are read and evaluated as `batch` does them (the same reader,
parser and memo); instead of a record each, the results are added up per article as they stream
past, so memory stays flat however long the input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

from subsidycli import engine
from subsidycli.batch import Job, OnError, Progress, Reader
from subsidycli.errors import SubsidyError
from subsidycli.policy import CASH_BASES, Article, Policy


@dataclass(frozen=True, slots=True)
class ArticleTally:
    """One article over the population: how many are eligible or need information, and the sum
    of the eligible amounts (None when the article states no amount)."""

    article: Article
    eligible: int
    needs_info: int
    amount: Decimal | None
    tax_saving: Decimal | None  # tax articles: the sum of the tax saved, where it is known


@dataclass(frozen=True, slots=True)
class Tally:
    """A policy over the population: every money article's tally and the grand total."""

    policy: Policy
    articles: tuple[ArticleTally, ...]
    total: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    """The population view: records read, records that failed, the tally, and, for a what-if,
    the baseline's tally over the same records."""

    records: int
    failed: int
    tally: Tally
    baseline: Tally | None

    def rows(self) -> list[tuple[ArticleTally | None, ArticleTally | None]]:
        """Each article's tally beside the baseline's, matched by id: the what-if's articles in
        their order, then those only the baseline has. Without a baseline, (tally, None)."""
        if self.baseline is None:
            return [(a, None) for a in self.tally.articles]
        before = {a.article.id: a for a in self.baseline.articles}
        now = {a.article.id for a in self.tally.articles}
        rows: list[tuple[ArticleTally | None, ArticleTally | None]] = [
            (a, before.get(a.article.id)) for a in self.tally.articles
        ]
        return rows + [(None, b) for b in self.baseline.articles if b.article.id not in now]


def _sums(article: Article) -> bool:
    """Whether the article's amounts add up to a sum: cash and tax deductions do; an article
    that states no amount (`unspecified`, `case_by_case`) has none, shown as —, never 0."""
    return article.basis in CASH_BASES or article.basis == "tax_deduction"


class _Adder:
    """Adds one policy's evaluations up, article by article."""

    def __init__(self, policy: Policy, assume_no: bool) -> None:
        self.policy = policy
        self.job = Job(policy, assume_no=assume_no)
        self.index = [i for i, a in enumerate(policy.articles) if a.basis != "info"]
        self.eligible = [0] * len(policy.articles)
        self.needs_info = [0] * len(policy.articles)
        self.amount = [engine.ZERO] * len(policy.articles)
        self.saving = [engine.ZERO] * len(policy.articles)
        self.total = engine.ZERO

    def add(self, evaluation: engine.Evaluation) -> None:
        for i in self.index:
            result = evaluation.results[i]
            if result.status == engine.ELIGIBLE:
                self.eligible[i] += 1
                if result.amount is not None:
                    self.amount[i] += result.amount
                if result.tax_saving is not None:
                    self.saving[i] += result.tax_saving
            elif result.status == engine.NEEDS_INFO:
                self.needs_info[i] += 1
        self.total += evaluation.total

    def tally(self) -> Tally:
        articles = self.policy.articles
        return Tally(
            self.policy,
            tuple(
                ArticleTally(
                    articles[i],
                    self.eligible[i],
                    self.needs_info[i],
                    self.amount[i] if _sums(articles[i]) else None,
                    self.saving[i] if articles[i].basis == "tax_deduction" else None,
                )  # fmt: skip
                for i in self.index
            ),
            self.total,
        )


@dataclass(frozen=True, slots=True)
class Population:
    """Several policies over one population, read once: records read, records that failed,
    and each policy's tally, in the order the policies were given."""

    records: int
    failed: int
    tallies: tuple[Tally, ...]

    def summary(self, what_if: bool) -> Summary:
        """The first policy's summary; for a what-if, the second's tally is the baseline."""
        return Summary(self.records, self.failed, self.tallies[0],
                       self.tallies[1] if what_if else None)  # fmt: skip


def summarise(policy: Policy, source: BinaryIO, *, baseline: Policy | None = None,
              **options: Any) -> Summary:  # fmt: skip
    """Read profiles from `source` and add up each article's results under `policy` (and, for a
    what-if, under `baseline` too), on the Python engine: `tally`'s options."""
    policies = [p for p in (policy, baseline) if p is not None]
    return tally(policies, source, **options).summary(baseline is not None)


def summarise_sql(policy: Policy, source: BinaryIO, *, baseline: Policy | None = None,
                  **options: Any) -> Summary:  # fmt: skip
    """`summarise` on DuckDB: the same Summary, to the fen (`tally_sql`)."""
    policies = [p for p in (policy, baseline) if p is not None]
    return tally_sql(policies, source, **options).summary(baseline is not None)


def tally(
    policies: Sequence[Policy], source: BinaryIO, *, input_format: str, assume_no: bool = False,
    on_error: OnError | None = None, progress: Progress | None = None, name: str = "<input>",
    warn: Callable[[str], None] | None = None,
    every: int = 1000,
) -> Population:  # fmt: skip
    """Read profiles from `source` and add up each article's results under each of `policies`
    (which read the records as the first does), on the Python engine. A bad record's messages
    go to `on_error`, as in batch, and it is counted in `failed`; `progress` is called every
    `every` records. Raises SubsidyError when the input as a whole cannot be read."""
    policy = policies[0]
    adders = [_Adder(p, assume_no) for p in policies]
    reader = Reader(source, input_format, policy, name, warn=warn)
    records = failed = 0
    for line, raw in reader.records():
        try:
            evaluations = [adder.job.evaluate(raw)[0] for adder in adders]
        except SubsidyError as exc:
            failed += 1
            exc.where = f"{name}:{line}"
            if on_error is not None:
                on_error(exc.lines())
            continue
        for adder, evaluation in zip(adders, evaluations, strict=True):
            adder.add(evaluation)
        records += 1
        if progress is not None and (records + failed) % every == 0:
            progress(records + failed, reader.bytes_read)
    return Population(records, failed, tuple(adder.tally() for adder in adders))


# ---------------------------------------------------------------------------------------------
# The same summary on DuckDB: the policy compiled to SQL (`subsidycli.sql`), the records read
# as batch reads them, canonical cells cast by the database, the others parsed in Python.


def tally_sql(
    policies: Sequence[Policy], source: BinaryIO, *, input_format: str, assume_no: bool = False,
    on_error: OnError | None = None, progress: Progress | None = None, name: str = "<input>",
    warn: Callable[[str], None] | None = None,
    every: int = 1000,
) -> Population:  # fmt: skip
    """`tally`, with the adding up done by DuckDB: the same tallies, to the fen.

    Raises `sql.Unsupported` before reading anything when a policy uses what the SQL compiler
    does not know (or reads other inputs than the first): the caller then runs `tally`.
    """
    import csv
    import tempfile
    from pathlib import Path

    from subsidycli import profile as profiles
    from subsidycli import sql
    from subsidycli.i18n import t
    from subsidycli.sql.compile import canonical, cell_text, fits

    policy = policies[0]
    if not all(sql.same_inputs(policy, other) for other in policies[1:]):
        raise sql.Unsupported(t("the SQL engine needs a baseline with the same inputs"))
    queries = [sql.compile_summary(p, "profiles", assume_no) for p in policies]
    columns = queries[0].columns
    known = frozenset(columns)
    shapes = [queries[0].shapes[policy.inputs[c].type] for c in columns]
    casts = [canonical(policy.inputs[c], s) for c, s in zip(columns, shapes, strict=True)]
    # Records whose values do not fit the query's columns: evaluated here, added in at the end.
    adders = [_Adder(p, assume_no) for p in policies]
    reader = Reader(source, input_format, policy, name, warn=warn)
    records = failed = 0
    with tempfile.TemporaryDirectory(prefix="subsidy-") as folder:
        path = Path(folder) / "profiles.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            rows = csv.writer(handle)
            rows.writerow(["__line", *columns])
            for line, raw in reader.records():
                row = _canonical_row(raw, columns, known, casts)
                if row is None:  # the Python parser: its values, or its messages
                    try:
                        if not isinstance(raw, dict):
                            Job(policy).evaluate(raw)  # raises for an unreadable record
                            raise AssertionError(raw)
                        parsed = profiles.parse_profile(raw, policy)
                    except SubsidyError as exc:
                        failed += 1
                        exc.where = f"{name}:{line}"
                        if on_error is not None:
                            on_error(exc.lines())
                        continue
                    if not all(fits(parsed.get(c), s) for c, s in zip(columns, shapes,
                                                                        strict=True)):  # fmt: skip
                        for adder in adders:
                            adder.add(adder.job.evaluate(raw)[0])
                        records += 1
                        continue
                    row = [cell_text(parsed[c]) if c in parsed else "" for c in columns]
                rows.writerow([line, *row])
                records += 1
                if progress is not None and (records + failed) % every == 0:
                    progress(records + failed, reader.bytes_read)
        tallies = tuple(_added(_run(p, q, path), adder.tally())
                        for p, q, adder in zip(policies, queries, adders, strict=True))  # fmt: skip
    return Population(records, failed, tallies)


def _canonical_row(
    raw: object, columns: tuple[str, ...], known: frozenset[str],
    casts: list[Callable[[object], str | None]],
) -> list[str] | None:  # fmt: skip
    """A raw record's cells as canonical text, in `columns` order; None when any cell needs
    the Python parser (a field not declared, `1200万`, `是`…: it parses or says what is wrong)."""
    if not isinstance(raw, dict) or not known.issuperset(raw):
        return None
    row = []
    for column, cast in zip(columns, casts, strict=True):
        cell = raw.get(column)
        if cell is None or (type(cell) is str and not cell.strip()):
            row.append("")
            continue
        text = cast(cell)
        if text is None:
            return None
        row.append(text)
    return row


def _run(policy: Policy, query: object, path: object) -> Tally:
    """One policy's tally: its query over the canonical cells at `path`, on DuckDB."""
    import duckdb

    from subsidycli.sql import Query

    assert isinstance(query, Query)
    connection = duckdb.connect(":memory:")
    try:
        literal = str(path).replace("'", "''")
        connection.execute(
            "CREATE TEMP VIEW profiles AS SELECT * FROM read_csv('" + literal + "', header = true,"
            " all_varchar = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false,"
            " columns = {" + ", ".join(
                [f"'{c}': 'VARCHAR'" for c in ("__line", *query.columns)]) + "})"
        )  # fmt: skip
        found = connection.execute(query.sql).fetchone()
        assert found is not None
        row = dict(zip([d[0] for d in connection.description or ()], found, strict=True))
    finally:
        connection.close()
    articles = policy.articles
    tallied = []
    for n in query.articles:
        article = articles[n]
        amount = _fen(row[f"a{n}"]) if _sums(article) else None
        saving = _fen(row[f"s{n}"]) if article.basis == "tax_deduction" else None
        tallied.append(ArticleTally(article, row[f"e{n}"], row[f"n{n}"], amount, saving))
    return Tally(policy, tuple(tallied), _fen(row["total"]))


def _fen(value: object) -> Decimal:
    """A sum from the database as the engine's: exact, to the fen (None: nothing summed)."""
    if value is None:
        return engine.ZERO
    assert isinstance(value, Decimal), value  # never a float
    assert value == value.quantize(engine.ZERO), value
    return value.quantize(engine.ZERO)


def _added(one: Tally, other: Tally) -> Tally:
    """Two tallies of one policy over two sets of records, added up."""

    def plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
        return None if a is None or b is None else a + b

    articles = tuple(
        ArticleTally(a.article, a.eligible + b.eligible, a.needs_info + b.needs_info,
                     plus(a.amount, b.amount), plus(a.tax_saving, b.tax_saving))
        for a, b in zip(one.articles, other.articles, strict=True)
    )  # fmt: skip
    return Tally(one.policy, articles, one.total + other.total)
