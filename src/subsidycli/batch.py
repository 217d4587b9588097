"""Many profiles at once: JSON Lines or CSV in, JSON Lines or CSV out, streaming in flat memory.

Pure: no typer, no rich. The CLI hands in the streams and two callbacks (one for a bad record's
messages, one for progress) and gets a `Summary` back.

Every record takes one path: `Reader.records` reads it as a raw dict (a JSON object, or a CSV row
by its header) -> `profile.parse_profile` -> `Memo.evaluate` -> a `Writer` renders it with
`render`. The only speed machinery is `Memo`: an article's result depends on nothing but the
profile's values of `article.inputs` (the policy compiler finds them, with whatever the fields'
defaults read), so it is kept under those values, with its rendering beside it; total and missing
come from `engine.collect`, as for `calc`. Work is done in chunks, in this process or in a pool
of `--jobs` processes that keeps the input's order.
"""

from __future__ import annotations

import codecs
import itertools
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from operator import call, itemgetter
from typing import Any, BinaryIO, NamedTuple

from subsidycli import engine, i18n, render, sheets
from subsidycli import profile as profiles
from subsidycli.errors import Problem, ProfileError, SubsidyError
from subsidycli.files import decode
from subsidycli.i18n import t, word
from subsidycli.policy import Article, Policy

FORMATS = ("jsonl", "csv", "xlsx")
SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".csv": "csv", ".xlsx": "xlsx",
}  # fmt: skip
# Also read as CSV: what Excel names its "Unicode text" (tab-separated), and tab-separated text.
INPUT_SUFFIXES = {**SUFFIXES, ".txt": "csv", ".tsv": "csv"}
MAX_LINE = profiles.MAX_INPUT_BYTES
MEMO_LIMIT = 4096  # results kept per article; a full memo is emptied, so memory stays flat
CHUNK_RECORDS = 500  # records per chunk of work: what a worker does at a time, and one write

OnError = Callable[[list[str]], None]
Progress = Callable[[int, int], None]  # (records done, input bytes read)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a batch did: records written, records that failed, and whether it stopped early."""

    written: int
    failed: int
    stopped: bool


class Unreadable(NamedTuple):
    """A record that could not be read as a dict (bad JSON, not UTF-8, a short CSV row)."""

    problems: tuple[Problem, ...]


Raw = dict[str, Any] | Unreadable
Record = tuple[int, Raw]  # (line number, the raw profile or why it could not be read)


def format_for(path: str, suffixes: Mapping[str, str] = SUFFIXES) -> str | None:
    """The format a file's suffix names (jsonl, csv or xlsx), or None."""
    for suffix, fmt in suffixes.items():
        if path.lower().endswith(suffix):
            return fmt
    return None


# ---------------------------------------------------------------------------------------------
# Reading: numbered raw profiles from a binary stream


class Reader:
    """The records of a JSON Lines stream, a CSV sheet or a workbook (`sheets.Sheet`); counts
    the bytes read, for progress."""

    def __init__(
        self, stream: BinaryIO, fmt: str, policy: Policy, name: str = "<input>", *,
        strict: bool = False, warn: Callable[[str], None] | None = None,
    ) -> None:  # fmt: skip
        self.stream = stream
        self.fmt = fmt
        self.policy = policy
        self.name = name
        self._read = 0
        self._sheet = None
        if fmt != "jsonl":
            self._sheet = sheets.Sheet(stream, fmt, policy, name, strict=strict, warn=warn)

    @property
    def bytes_read(self) -> int:
        return self._sheet.bytes_read if self._sheet is not None else self._read

    def records(self) -> Iterator[Record]:
        """Every record, in input order, with the number of the line it starts on: a raw profile
        (field -> value as written), or `Unreadable`. Blank lines are skipped. A sheet whose
        encoding or header is wrong raises ProfileError."""
        if self._sheet is None:
            return self._jsonl()
        return (
            (line, Unreadable((raw,)) if isinstance(raw, str) else raw)
            for line, raw in self._sheet.records()
        )

    def _lines(self) -> Iterator[bytes | None]:
        """Lines as bytes (None for a line longer than MAX_LINE)."""
        readline = self.stream.readline
        first = True
        while line := readline(MAX_LINE):
            self._read += len(line)
            if first:
                first = False
                if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise ProfileError([t("is UTF-16; save it as UTF-8")], where=f"{self.name}:1")
            if len(line) >= MAX_LINE and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = readline(MAX_LINE)
                    self._read += len(line)
                yield None
                continue
            yield line

    def _jsonl(self) -> Iterator[Record]:
        too_long = Unreadable((t("is longer than {size} MiB", size=MAX_LINE // 1024 // 1024),))
        for number, line in enumerate(self._lines(), start=1):
            if line is None:
                yield number, too_long
            elif not line.isspace():
                yield number, _json_object(line)


def _json_object(line: bytes) -> Raw:
    """A JSON Lines line as a raw profile: exact decimals, no repeated keys (`loads_json`)."""
    try:
        if line.startswith(codecs.BOM_UTF8) or b"\x00" in line:
            text = decode(line, "")  # takes a BOM off (files joined by `cat`); names NUL
        else:
            try:
                text = line.decode()
            except UnicodeDecodeError:
                text = decode(line, "")  # raises, saying where
        return profiles.loads_json(text, "", one_line=True)
    except ProfileError as exc:
        return Unreadable(tuple(exc.problems))


# ---------------------------------------------------------------------------------------------
# Evaluating: one memo per article


_ABSENT = object()  # the key value of a field the profile leaves out
Entry = tuple[engine.ArticleResult, Any]  # a result, and what `show` made of it


class Memo:
    """Evaluates profiles of one policy, keeping each article's result under the profile's
    values of `article.inputs`, with what `show` made of it (its rendering), bounded.

    Exact, because `engine.evaluate_article` reads nothing else: the property tests of batch
    against `calc` fail when a key leaves out any input.
    """

    def __init__(
        self, policy: Policy, lang: str, *, explained: bool = True, gaps: bool = False,
        show: Callable[[Article, engine.ArticleResult], Any] | None = None,
        shown: Iterable[Article] = (),
    ) -> None:  # fmt: skip
        self.policy = policy
        self.lang = lang
        self.explained, self.gaps = explained, gaps  # as for `engine.evaluate_article`
        self.show = show
        articles = policy.articles
        self._fields = tuple(policy.inputs)
        self._absent = (_ABSENT,) * len(self._fields)
        # A profile is read once into a vector of its values by field; each article's key is the
        # slots it reads. An article that reads no field (an `info` one) has one result: kept
        # apart, after the others, and put back in the policy's order by `_order`.
        slot = {name: i for i, name in enumerate(self._fields)}
        reading = [i for i, a in enumerate(articles) if a.inputs]
        fixed = [i for i, a in enumerate(articles) if not a.inputs]
        self._reading = [articles[i] for i in reading]
        self._keys = tuple(itemgetter(*[slot[n] for n in a.inputs]) for a in self._reading)
        self._kept: tuple[dict[Any, Entry], ...] = tuple({} for _ in reading)
        env = engine.environment(policy, {})
        self._fixed = [self._entry(articles[i], env) for i in fixed]
        order = [*reading, *fixed]
        self._order = itemgetter(*map(order.index, range(len(articles))), 0)  # 0: a tuple always
        wanted = {a.id for a in shown}
        self._shown = [i for i, a in enumerate(articles) if a.id in wanted]

    def evaluate(self, profile: Mapping[str, Any]) -> tuple[engine.Evaluation, list[Any]]:
        """The profile's evaluation, equal to `engine.evaluate`'s (explanations left empty when
        not `explained`), and the renderings of the `shown` articles' results, in order."""
        values = list(map(profile.get, self._fields, self._absent))
        keys = list(map(call, self._keys, repeat(values)))
        found: list[Any] = list(map(dict.get, self._kept, keys))  # an Entry, or None
        if None in found:
            env = engine.environment(self.policy, profile)
            for i, entry in enumerate(found):
                if entry is None:
                    entry = found[i] = self._entry(self._reading[i], env)
                    kept = self._kept[i]
                    if len(kept) >= MEMO_LIMIT:
                        kept.clear()
                    kept[keys[i]] = entry
        entries = self._order([*found, *self._fixed])[:-1]
        results = tuple(map(itemgetter(0), entries))
        evaluation = engine.collect(self.policy, profile, results, self.lang)
        return evaluation, [entries[i][1] for i in self._shown]

    def _entry(self, article: Article, env: Mapping[str, Any]) -> Entry:
        result = engine.evaluate_article(article, env, self.lang, explained=self.explained,
                                         gaps=self.gaps)  # fmt: skip
        return result, self.show(article, result) if self.show is not None else None


# ---------------------------------------------------------------------------------------------
# Writing: a record's output is made where it is evaluated, and written in input order


class Writer:
    """An output format. `show` renders one article's result and `encode` a record, in the
    process that evaluates it; `start`, `write` (a chunk of encoded records, in input order) and
    `finish` handle the output stream, in the process that reads the input."""

    explained = gaps = False  # whether results need their explanations, their gaps

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        self.policy, self.lang, self.explain = policy, lang, explain
        self.articles: tuple[Article, ...] = ()  # the articles whose results a record shows

    def show(self, article: Article, result: engine.ArticleResult) -> Any:
        raise NotImplementedError

    def encode(self, line: int, evaluation: engine.Evaluation, shown: list[Any]) -> Any:
        raise NotImplementedError

    def start(self, out: BinaryIO) -> None:
        """Begin the output (a header)."""

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        out.write(b"".join(encoded))

    def finish(self, out: BinaryIO) -> None:
        """End the output."""


class JsonLinesWriter(Writer):
    """One JSON object a line: the lean record of SPEC.md, or calc's results with `explain`."""

    gaps = True  # lean records show them

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        super().__init__(policy, lang, explain)
        self.articles = render.batch_articles(policy, explain)
        self.explained = explain

    def show(self, article: Article, result: engine.ArticleResult) -> Any:
        return render.batch_result(self.policy, article, result, self.lang, self.explain)

    def encode(self, line: int, evaluation: engine.Evaluation, shown: list[Any]) -> bytes:
        try:
            return render.json_line(render.batch_record(line, evaluation, shown))
        except TypeError:  # orjson: a lone surrogate, from a JSON escape such as \ud800
            raise ProfileError(["name: " + t("is not valid Unicode text")]) from None


class CsvWriter(Writer):
    """One row a record (`render.sheet_columns`): line, name, total, each cash article's
    amount, then each tax item's deduction and tax saving."""

    def __init__(self, policy: Policy, lang: str, explain: bool = False) -> None:
        super().__init__(policy, lang, explain)
        self.articles = render.sheet_articles(policy)

    def show(self, article: Article, result: engine.ArticleResult) -> Any:
        return render.sheet_cells(article, result)

    def encode(self, line: int, evaluation: engine.Evaluation, shown: list[Any]) -> Any:
        row = render.sheet_row(line, evaluation, shown)
        try:
            return render.sheet_csv_line(row).encode()
        except UnicodeEncodeError:  # a lone surrogate, from a JSON escape such as \ud800
            raise ProfileError(["name: " + t("is not valid Unicode text")]) from None

    def start(self, out: BinaryIO) -> None:
        heads = [c.head for c in render.sheet_columns(self.policy, self.lang)]
        out.write(render.csv_line(heads).encode())


class XlsxWriter(CsvWriter):
    """The CSV's rows in a workbook (`sheets.XlsxWriter`): numbers as numbers in a 元 format, a
    frozen header, a total row. Rows stream to a temporary file; the workbook is written to
    the output when the run ends."""

    def encode(self, line: int, evaluation: engine.Evaluation, shown: list[Any]) -> Any:
        return render.sheet_row(line, evaluation, shown)  # plain values: they cross --jobs

    def start(self, out: BinaryIO) -> None:
        columns = render.sheet_columns(self.policy, self.lang)
        self.sheet = sheets.XlsxWriter(
            [
                sheets.Column(
                    c.head, c.kind, sheets.column_width(c.head, least=10, most=30), c.summed
                )
                for c in columns
            ],  # fmt: skip
            title=self.policy.id,
        )

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        for row in encoded:
            self.sheet.row(row)

    def finish(self, out: BinaryIO) -> None:
        self.sheet.total_row(word(self.lang, "sheet.total"), at=1)
        self.sheet.save(out)


WRITERS: dict[str, type[Writer]] = {"jsonl": JsonLinesWriter, "csv": CsvWriter, "xlsx": XlsxWriter}


# ---------------------------------------------------------------------------------------------
# Running: records -> output, in one process or in several

Chunk = list[Record]
Done = tuple[list[Any], list[list[str]], int]  # a chunk's encoded records, failures, records


class Job:
    """What every worker needs to turn records into output: a policy, a memo, a writer (none
    for `summary`, which adds evaluations up)."""

    def __init__(
        self, policy: Policy, lang: str, output_format: str | None = None, explain: bool = False,
        assume_no: bool = False, name: str = "<input>",
    ) -> None:  # fmt: skip
        self.policy = policy
        self.name = name  # of the input, for messages: name:line: field: what is wrong
        self.assume_no = assume_no
        w = self.writer = WRITERS[output_format](policy, lang, explain) if output_format else None
        self.memo = Memo(policy, lang, explained=bool(w and w.explained), gaps=bool(w and w.gaps),
                         show=w.show if w else None, shown=w.articles if w else ())  # fmt: skip
        self.parse_memo: profiles.Memo = {}

    def evaluate(self, raw: Raw) -> tuple[engine.Evaluation, list[Any]]:
        """A raw profile's evaluation, and its shown results rendered (`Memo.evaluate`); raises
        SubsidyError (without a line number) for a bad record."""
        if isinstance(raw, Unreadable):
            raise ProfileError(list(raw.problems))
        profile = profiles.parse_profile(raw, self.policy, memo=self.parse_memo)
        if self.assume_no:
            profile = profiles.assume_no(profile, self.policy)
        return self.memo.evaluate(profile)

    def record(self, line: int, raw: Raw) -> Any:
        """One record's output; raises SubsidyError (without a line number) for a bad record."""
        assert self.writer is not None
        return self.writer.encode(line, *self.evaluate(raw))

    def run(self, chunk: Chunk, fail_fast: bool) -> Done:
        """A chunk of records: (their output, the messages of each bad record, records written)."""
        out: list[Any] = []
        failures: list[list[str]] = []
        for line, raw in chunk:
            try:
                out.append(self.record(line, raw))
            except SubsidyError as exc:
                exc.where = f"{self.name}:{line}"
                failures.append(exc.lines())
                if fail_fast:
                    break
        return out, failures, len(out)


def _chunks(records: Iterable[Record], size: int) -> Iterator[Chunk]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def run(
    policy: Policy, source: BinaryIO, out: BinaryIO, *, input_format: str, output_format: str,
    lang: str, explain: bool = False, assume_no: bool = False, fail_fast: bool = False,
    jobs: int = 1, loader: Callable[[], Policy] | None = None, on_error: OnError | None = None,
    progress: Progress | None = None, name: str = "<input>", strict: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Summary:  # fmt: skip
    """Read profiles from `source`, write one record per good profile to `out`, in input order.

    Each bad record's messages (`NAME:LINE: field: what is wrong`) go to `on_error`; with
    `fail_fast` the run stops at the first. `jobs` > 1 spreads chunks of records over that
    many processes, each building its policy with `loader` (picklable; a compiled policy is
    not). `progress` is called after each chunk with the records done and the input bytes read.
    A sheet's columns that name no field are ignored with a warning (`warn`), or refused with
    `strict`. Raises SubsidyError when the input as a whole cannot be read (an encoding that
    cannot be told, a bad header).
    """
    reader = Reader(source, input_format, policy, name, strict=strict, warn=warn)
    records = reader.records()
    first = next(records, None)  # reads a CSV header before anything is written
    job = Job(policy, lang, output_format, explain, assume_no, name)
    writer = job.writer
    assert writer is not None
    writer.start(out)
    if first is None:
        writer.finish(out)
        return Summary(0, 0, False)
    chunks = _chunks(itertools.chain([first], records), CHUNK_RECORDS)
    if jobs > 1:
        if loader is None:
            raise ValueError("jobs > 1 needs a loader")
        spec = (
            loader,
            policy.sha256,
            i18n.message_lang(),
            lang,
            output_format,
            explain,
            assume_no,
            name,
        )
        done: Generator[Done, None, None] = _in_processes(chunks, jobs, fail_fast, spec)
    else:
        done = (job.run(chunk, fail_fast) for chunk in chunks)
    written = failed = 0
    try:
        for encoded, failures, count in done:
            writer.write(out, encoded)
            written += count
            failed += len(failures)
            for lines in failures:
                if on_error is not None:
                    on_error(lines)
            if progress is not None:
                progress(written + failed, reader.bytes_read)
            if failures and fail_fast:
                return Summary(written, failed, True)
    finally:
        done.close()  # stops the workers early
    writer.finish(out)
    return Summary(written, failed, False)


# Multiprocessing: each worker builds its own Job once; chunks go out and come back in order, with
# at most two per worker in flight so that memory stays bounded whatever the input's length.

_job: Job | SubsidyError | None = None


def _start_worker(spec: tuple[Any, ...]) -> None:
    # An exception here would make the pool start workers forever: keep it for the first chunk.
    global _job
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    loader, sha256, messages, *args = spec
    i18n.set_message_lang(messages)  # a worker speaks as the command does (--lang, the locale)
    try:
        policy = loader()
        if policy.sha256 != sha256:
            raise SubsidyError("the policy file changed while the batch was starting")
        _job = Job(policy, *args)
    except SubsidyError as exc:
        # Problems' constructor takes a list, which does not survive pickling: send plain text.
        _job = SubsidyError("; ".join(exc.lines()))


def _work(chunk: Chunk, fail_fast: bool) -> Done:
    if isinstance(_job, SubsidyError):
        raise _job
    assert _job is not None
    return _job.run(chunk, fail_fast)


def _in_processes(
    chunks: Iterator[Chunk], jobs: int, fail_fast: bool, spec: tuple[Any, ...]
) -> Generator[Done, None, None]:
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    # spawn, not fork: the parent may run a progress thread, and fork with threads is unsafe.
    # An executor, not a Pool: a worker that dies breaks the run instead of being restarted.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                               initargs=(spec,))  # fmt: skip
    try:
        pending: deque[Future[Done]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_work, chunk, fail_fast))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
