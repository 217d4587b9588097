"""`subsidy summary`: the population view of a batch input, and the what-if beside its baseline.

Pure: no typer, no rich. Records are read and evaluated as `batch` does them (the same reader,
parser and memo); instead of a record each, the results are added up per article as they stream
past, so memory stays flat however long the input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from subsidycli import engine
from subsidycli.batch import Job, OnError, Progress, Reader, Unreadable
from subsidycli.errors import ProfileError, SubsidyError
from subsidycli.meter import Meter
from subsidycli.policy import SUMMED_BASES, Article, Policy


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
    return article.basis in SUMMED_BASES


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
    every: int = 1000, path: Path | None = None,
) -> Population:  # fmt: skip
    """`tally`, with the adding up done by DuckDB: the same tallies, to the fen.

    A CSV or Parquet file (at `path`, or the file `source` is open on) is read by DuckDB itself
    where it reads it exactly as batch's reader does (`sqlread`); any other input, and such a
    file where it would not, is read by batch's reader and sent to DuckDB as canonical text.
    Either way one reading serves every policy. Raises `sql.Unsupported` before reading anything
    when a policy uses what the SQL compiler does not know (or reads other inputs than the
    first): the caller then runs `tally`.
    """
    import duckdb

    from subsidycli import sql
    from subsidycli.i18n import t
    from subsidycli.parquet import interrupted

    policy = policies[0]
    LAST_SCAN.file = None
    if not all(sql.same_inputs(policy, other) for other in policies[1:]):
        raise sql.Unsupported(t("the SQL engine needs a baseline with the same inputs"))
    queries = [sql.compile_summary(p, "profiles", assume_no) for p in policies]
    rest = _Rest(policies, queries, assume_no, on_error, name)
    connection = _connect(duckdb)
    meter: Meter | None = None
    try:
        file = path if path is not None else _file_of(source)
        if input_format in ("csv", "parquet") and file is not None:
            from subsidycli import sqlread

            size = file.stat().st_size
            if progress is not None:  # the bar moved by DuckDB's progress, a share a query
                steps = (sqlread.long_queries(input_format, size) + _held(policies)
                         + (1 if _unites(policies) else len(policies)))  # fmt: skip
                meter = Meter(connection, progress, size, steps)
            scanner = sqlread.scan_csv if input_format == "csv" else sqlread.scan_parquet
            scan = scanner(connection, source, file, policy, rest.shapes, name, meter)
            if scan is not None:
                LAST_SCAN.file = file
                population = _tally_scan(scan, rest, connection, warn, meter)
                if meter is not None:  # stopped first: nothing moves the bar after it is full
                    meter.close()
                    meter = None
                if progress is not None:  # done: the bar full
                    progress(scan.rows, size)
                return population
            if meter is not None:
                meter.close()
                meter = None
            connection.close()
            connection = _connect(duckdb)
        return _tally_read(rest, connection, source, input_format, progress, warn, every)
    except (duckdb.Error, RuntimeError) as exc:
        if interrupted(exc):  # Ctrl-C during a query: stop as the Python engine does
            raise KeyboardInterrupt from None
        raise
    finally:
        if meter is not None:
            meter.close()
        connection.close()


def _still() -> None:
    """No bar to move."""


def _connect(duckdb: Any) -> Any:
    """A DuckDB connection in memory, with as many threads as this process may use cores
    (`taskset` and containers give fewer than the machine has); in a bounded address space
    (`ulimit -v`), one thread and a quarter of it, where DuckDB's defaults fail to allocate."""
    import os

    connection = duckdb.connect(":memory:")
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    try:
        import resource

        bound = resource.getrlimit(resource.RLIMIT_AS)[0]
        bound = -1 if bound == resource.RLIM_INFINITY else bound
    except (ImportError, OSError, ValueError):  # not Unix
        bound = -1
    if bound > 0:
        threads = 1
        connection.execute(f"SET memory_limit = '{bound // 4 >> 20}MB'")
    if threads:
        connection.execute(f"SET threads = {threads}")
    return connection


@dataclass(slots=True)
class _LastScan:
    """The file DuckDB read itself in the last `tally_sql` call (None: it did not): the tests
    see the fast path taken. Reset on each call, so nothing accumulates."""

    file: Path | None = None


LAST_SCAN = _LastScan()


def _file_of(source: BinaryIO) -> Path | None:
    """The regular file `source` is open on (None for stdin, a pipe, a stream in memory)."""
    import os
    import stat

    name = getattr(source, "name", None)
    if not isinstance(name, str):
        return None
    try:
        opened, found = os.fstat(source.fileno()), os.stat(name)
    except (OSError, ValueError, AttributeError):
        return None
    if not stat.S_ISREG(opened.st_mode) or not os.path.samestat(opened, found):
        return None
    return Path(name)


class _Rest:
    """The records the database does not add up: parsed here, with batch's messages for the bad
    ones, or evaluated here when a value has more places than the query's column."""

    def __init__(self, policies: Sequence[Policy], queries: Sequence[Any], assume_no: bool,
                 on_error: OnError | None, name: str) -> None:  # fmt: skip
        from subsidycli.sql.cells import canonical

        self.policies, self.queries, self.on_error, self.name = policies, queries, on_error, name
        policy = policies[0]
        self.columns: tuple[str, ...] = queries[0].columns
        # Each type's column as the narrowest query has it: a value fits every query's.
        self.shapes = {kind: min((q.shapes[kind] for q in queries), key=_places)
                       for kind in queries[0].shapes}  # fmt: skip
        self.column_shapes = [self.shapes[policy.inputs[c].type] for c in self.columns]
        self.casts = [canonical(policy.inputs[c], s)
                      for c, s in zip(self.columns, self.column_shapes, strict=True)]  # fmt: skip
        self.adders = [_Adder(p, assume_no) for p in policies]
        self.assume_no = assume_no
        self.records = self.failed = 0

    def parse(self, line: int, raw: object) -> dict[str, Any] | None:
        """The record's values, or None when it is bad (its messages said, as batch says them)."""
        from subsidycli import profile as profiles

        try:
            if isinstance(raw, Unreadable):  # as batch's Job refuses it
                raise ProfileError(list(raw.problems))
            return profiles.parse_profile(raw, self.policies[0])  # type: ignore[arg-type]
        except SubsidyError as exc:
            self.failed += 1
            exc.where = f"{self.name}:{line}"
            if self.on_error is not None:
                self.on_error(exc.lines())
            return None

    def row(self, line: int, raw: object) -> list[str] | None:
        """A record's canonical cells for the database; None when it is bad or was evaluated
        here (its values do not fit the query's columns)."""
        from subsidycli.sql.cells import cell_text, fits

        parsed = self.parse(line, raw)
        if parsed is None:
            return None
        self.records += 1
        if not all(fits(parsed.get(c), s) for c, s in zip(self.columns, self.column_shapes,
                                                           strict=True)):  # fmt: skip
            self.evaluate(raw)
            return None
        return [cell_text(parsed[c]) if c in parsed else "" for c in self.columns]

    def evaluate(self, raw: Any) -> None:
        for adder in self.adders:
            adder.add(adder.job.evaluate(raw)[0])

    def tallies(self, connection: Any, step: Callable[[], None] = _still) -> tuple[Tally, ...]:
        """Each policy's tally: its query's over `profiles` (several policies' articles in one
        query where `_union` can), and the records evaluated here; `step` before each query."""
        found = _union(self.policies, self.shapes, self.assume_no, connection, step)
        if found is None:
            found = []
            for policy, query in zip(self.policies, self.queries, strict=True):
                step()
                found.append(_run(policy, query, connection))
        return tuple(_added(tally, adder.tally())
                     for tally, adder in zip(found, self.adders, strict=True))  # fmt: skip


def _held(policies: Sequence[Policy]) -> bool:
    """Whether the rows are held in a table for the queries (several policies read them
    several times) rather than read through a view."""
    return len(policies) > 2


def _unites(policies: Sequence[Policy]) -> bool:
    """Whether `_union` may run the policies as one query (its compiling may still refuse)."""
    return len(policies) > 1 and not any(p.pairs or p.waits or p.lapsed or p.uncounted
                                         for p in policies)  # fmt: skip


def _union(policies: Sequence[Policy], shapes: Mapping[str, Any], assume_no: bool,
           connection: Any, step: Callable[[], None]) -> list[Tally] | None:  # fmt: skip
    """Several policies (a what-if, a sweep) as one query: their distinct articles compiled
    together, each row's results worked out once for all, each policy's tally read from its own
    articles' sums and its total added up from them (exact: DECIMAL sums, amounts to the fen).
    None where that is not the same: one policy, results settled against each other, articles
    left out of the total, or columns other than the policies' own."""
    from subsidycli import sql
    from subsidycli.sql.known import CASH

    if not _unites(policies):
        return None
    articles: list[Article] = []
    where: list[list[int]] = []  # each policy's articles' places among `articles`
    by_id: dict[str, list[int]] = {}
    for policy in policies:
        places = []
        for article in policy.articles:
            same = by_id.setdefault(article.id, [])
            found = next((i for i in same if _same(articles[i], article)), None)
            if found is None:
                found = len(articles)
                articles.append(article)
                same.append(found)
            places.append(found)
        where.append(places)
    union = dataclasses.replace(policies[0], articles=tuple(articles))
    try:
        query = sql.compile_summary(union, "profiles", assume_no)
    except sql.Unsupported:
        return None
    if dict(query.shapes) != dict(shapes):
        return None
    step()
    row = _row(query, connection)
    tallies = []
    for policy, places in zip(policies, where, strict=True):
        tallied = [_article_tally(policy.articles[n], row, places[n])
                   for n in range(len(policy.articles)) if policy.articles[n].basis != "info"]
        total = sum((_fen(row[f"a{places[n]}"]) for n, a in enumerate(policy.articles)
                     if a.basis in CASH), engine.ZERO)  # fmt: skip
        tallies.append(Tally(policy, tuple(tallied), total))
    return tallies


def _places(shape: tuple[int, int] | None) -> int:
    return -1 if shape is None else shape[1]


def _tally_scan(scan: Any, rest: _Rest, connection: Any, warn: Callable[[str], None] | None,
                meter: Meter | None) -> Population:  # fmt: skip
    """The tallies of a file DuckDB read (`sqlread.Scan`): its odd rows through the Python
    path, in line order, between the reader's warnings before and after the records."""
    from subsidycli.sheets import _record

    for note in scan.notes:
        if warn is not None:
            warn(note)
    for line, cells in scan.odd:
        record = _record(cells, scan.header, rest.policies[0], short_ok=False)
        raw = Unreadable((record,)) if isinstance(record, str) else record
        if rest.parse(line, raw) is not None:
            rest.evaluate(raw)
    # Several policies read the rows once: a table, else the view each query scans.
    kind = "TABLE" if _held(rest.policies) else "VIEW"
    step = _still if meter is None else meter.step
    if meter is not None:
        meter.count(scan.rows)
    if kind == "TABLE":
        step()
    connection.execute(f"CREATE TEMP {kind} profiles AS SELECT * FROM scanned")
    tallies = rest.tallies(connection, step)
    for note in scan.after:
        if warn is not None:
            warn(note)
    return Population(scan.rows - rest.failed, rest.failed, tallies)


def _tally_read(rest: _Rest, connection: Any, source: BinaryIO, input_format: str,
                progress: Progress | None, warn: Callable[[str], None] | None,
                every: int) -> Population:  # fmt: skip
    """The tallies of records read by batch's reader: canonical cells written to a temporary
    CSV file for DuckDB, the others through the Python parser."""
    import csv
    import tempfile

    from subsidycli.sqlread import read_csv_sql

    policy = rest.policies[0]
    known = frozenset(rest.columns)
    reader = Reader(source, input_format, policy, rest.name, warn=warn)
    with tempfile.TemporaryDirectory(prefix="subsidy-") as folder:
        path = Path(folder) / "profiles.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            rows = csv.writer(handle)
            rows.writerow(["__line", *rest.columns])
            for line, raw in reader.records():
                row = _canonical_row(raw, rest.columns, known, rest.casts)
                if row is None:  # the Python parser: its values, or its messages
                    row = rest.row(line, raw)
                else:
                    rest.records += 1
                if row is not None:
                    rows.writerow([line, *row])
                if progress is not None and (rest.records + rest.failed) % every == 0:
                    progress(rest.records + rest.failed, reader.bytes_read)
        scanned = read_csv_sql(path, ["__line", *rest.columns], "header = true")
        connection.execute(f"CREATE TEMP VIEW profiles AS SELECT * FROM {scanned}")
        tallies = rest.tallies(connection)
    return Population(rest.records, rest.failed, tallies)


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


def _run(policy: Policy, query: object, connection: Any) -> Tally:
    """One policy's tally: its query over the view or table `profiles` on `connection`."""
    from subsidycli.sql import Query

    assert isinstance(query, Query)
    row = _row(query, connection)
    tallied = [_article_tally(policy.articles[n], row, n) for n in query.articles]
    return Tally(policy, tuple(tallied), _fen(row["total"]))


def _same(one: Any, other: Any) -> bool:
    """Whether two articles (or any parts of them) are the same to the compiler: equal field by
    field, an expression tree by its structure (its evaluator, a closure, left aside)."""
    if one is other:
        return True
    if type(one) is not type(other):
        return False
    if dataclasses.is_dataclass(one):
        return all(_same(getattr(one, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(one) if f.compare and f.name != "fn")  # fmt: skip
    if isinstance(one, (tuple, list)):
        return len(one) == len(other) and all(map(_same, one, other))
    if isinstance(one, Mapping):
        return one.keys() == other.keys() and all(_same(one[k], other[k]) for k in one)
    return bool(one == other)


def _row(query: Any, connection: Any) -> dict[str, Any]:
    """The one row of a summary query, by column name."""
    found = connection.execute(query.sql).fetchone()
    assert found is not None
    return dict(zip([d[0] for d in connection.description or ()], found, strict=True))


def _article_tally(article: Article, row: Mapping[str, Any], n: int) -> ArticleTally:
    """An article's tally from a summary query's row, where its columns are numbered `n`."""
    amount = _fen(row[f"a{n}"]) if _sums(article) else None
    saving = _fen(row[f"s{n}"]) if article.basis == "tax_deduction" else None
    return ArticleTally(article, row[f"e{n}"], row[f"n{n}"], amount, saving)


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
