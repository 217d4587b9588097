"""`subsidy summary`: the population view of a batch input, and the what-if beside its baseline.

Pure: no typer, no rich. Records are read and evaluated as `batch` does them (the same reader,
parser and memo); instead of a record each, the results are added up per article as they stream
past, so memory stays flat however long the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from subsidycli import engine
from subsidycli.batch import Job, OnError, Progress, Reader
from subsidycli.errors import SubsidyError
from subsidycli.policy import Article, Policy


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
                    None if articles[i].basis == "unspecified" else self.amount[i],
                    self.saving[i] if articles[i].basis == "tax_deduction" else None,
                )  # fmt: skip
                for i in self.index
            ),
            self.total,
        )


def summarise(
    policy: Policy, source: BinaryIO, *, input_format: str,
    baseline: Policy | None = None, assume_no: bool = False,
    on_error: OnError | None = None, progress: Progress | None = None, name: str = "<input>",
    warn: Callable[[str], None] | None = None,
    every: int = 1000,
) -> Summary:  # fmt: skip
    """Read profiles from `source` and add up each article's results under `policy` (and, for a
    what-if, under `baseline` too). A bad record's messages go to `on_error`, as in batch, and
    it is counted in `failed`; `progress` is called every `every` records. Raises SubsidyError
    when the input as a whole cannot be read."""
    adders = [_Adder(p, assume_no) for p in (policy, baseline) if p is not None]
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
    tallies = [adder.tally() for adder in adders]
    return Summary(records, failed, tallies[0], tallies[1] if baseline else None)
