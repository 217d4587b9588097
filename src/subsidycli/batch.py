"""Many profiles at once: JSON Lines, CSV or .xlsx in and out, streaming in flat memory.

Pure: no typer, no rich. The CLI hands in the streams and two callbacks (one for a bad record's
messages, one for progress) and gets a `Summary` back.

Every record takes one path: `Reader.records` reads it as a raw dict (a JSON object, or a sheet's
row by its header) -> `profile.parse_profile` -> `Memo.evaluate` -> a `Writer` encodes it.
The only speed machinery is `Memo`: an article's result depends on nothing but the profile's
values of `article.inputs` (the policy compiler finds them, with whatever the fields' defaults
read), so it is kept under those values, with the writer's rendering beside it; total and
missing come from `engine.collect`, as for `calc`. Work is done in chunks, in this process or in
a pool of `--jobs` processes that keeps the input's order.
"""

from __future__ import annotations

import codecs
import itertools
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import call, itemgetter
from typing import Any, BinaryIO, NamedTuple

from subsidycli import engine, i18n, sheets
from subsidycli import profile as profiles
from subsidycli.errors import Problem, ProfileError, SubsidyError
from subsidycli.files import decode, not_text, peek
from subsidycli.i18n import t
from subsidycli.output.records import WRITERS, Writer
from subsidycli.policy import Policy

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
    name: str | None = None  # the record's name, where it could be read (a sheet's name column)


Raw = dict[str, Any] | Unreadable
Record = tuple[int, Raw]  # (line number, the raw profile or why it could not be read)


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
            return self._jsonl(peek(self.stream))
        return (
            (line, Unreadable((raw,), getattr(raw, "name", None)) if isinstance(raw, str) else raw)
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

    def _jsonl(self, head: bytes | None) -> Iterator[Record]:
        if head is not None and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            why = not_text(head)  # a binary file is one problem, not one per "line" of it
            if why is not None:
                raise ProfileError([why], where=self.name)
        too_long = Unreadable((t("is longer than {size} MiB", size=MAX_LINE // 1024 // 1024),))
        for number, line in enumerate(self._lines(), start=1):
            if line is None:
                yield number, too_long
            elif not line.isspace():
                yield number, _json_object(line)


def _json_object(line: bytes) -> Raw:
    """A JSON Lines line as a raw profile: UTF-8 (a BOM is taken off: files joined by `cat`),
    exact decimals, no repeated keys (`loads_json`)."""
    try:
        return profiles.loads_json(decode(line, ""), "", one_line=True)
    except ProfileError as exc:
        return Unreadable(tuple(exc.problems))


# ---------------------------------------------------------------------------------------------
# Evaluating: one memo per article


_ABSENT = object()  # the key value of a field the profile leaves out


class Memo:
    """Evaluates profiles of one policy, keeping each article's result under the profile's
    values of `article.inputs`, with the writer's rendering of it, bounded.

    Exact, because `engine.evaluate_article` reads nothing else: the property tests of batch
    against `calc` fail when a key leaves out any input.
    """

    def __init__(self, policy: Policy, writer: Writer | None = None) -> None:
        self.policy = policy
        # What the writer shows of a result (none for `summary`, which adds results up).
        self.explained = bool(writer and writer.explained)  # as for `engine.evaluate_article`
        self.gaps = bool(writer and writer.gaps)
        articles = policy.articles
        # A profile is read once into a vector of its values by field, and one more slot that
        # is always None: the key of an article that reads no field (an `info` one), whose
        # result is the same for every profile. Each article's key is the slots it reads.
        self._fields = tuple(policy.inputs)
        self._absent = (_ABSENT,) * len(self._fields)
        slot = {name: i for i, name in enumerate(self._fields)}
        self._keys = tuple(
            itemgetter(*([slot[name] for name in a.inputs] or [len(self._fields)]))
            for a in articles
        )  # fmt: skip
        self._kept: tuple[dict[Any, tuple[engine.ArticleResult, Any]], ...] = tuple(
            {} for _ in articles
        )
        # The writer renders the results of its `articles`, and gets them in that order.
        index = {a.id: i for i, a in enumerate(articles)}
        order = [index[a.id] for a in writer.articles] if writer else []
        self._shows = tuple(writer.show if writer and i in order else None
                            for i in range(len(articles)))  # fmt: skip
        self._shown = _tuple_getter(order)

    def __len__(self) -> int:
        """The results kept."""
        return sum(map(len, self._kept))

    def evaluate(self, profile: Mapping[str, Any]) -> tuple[engine.Evaluation, tuple[Any, ...]]:
        """The profile's evaluation, equal to `engine.evaluate`'s (explanations left empty when
        not `explained`), and the renderings of the results of the writer's `articles`."""
        values = list(map(profile.get, self._fields, self._absent))
        values.append(None)
        keys = list(map(call, self._keys, repeat(values)))
        found = list(map(dict.get, self._kept, keys))  # (result, rendering), or None
        if None in found:
            env = engine.environment(self.policy, profile)
            articles = self.policy.articles
            for i in [i for i, entry in enumerate(found) if entry is None]:
                article = articles[i]
                result = engine.evaluate_article(
                    article, env, explained=self.explained, gaps=self.gaps
                )
                show = self._shows[i]
                entry = found[i] = (result, show(article, result) if show else None)
                kept = self._kept[i]
                if len(kept) >= MEMO_LIMIT:
                    kept.clear()
                kept[keys[i]] = entry
        results, renderings = zip(*found, strict=True)
        evaluation = engine.collect(self.policy, profile, results, self.explained)
        if evaluation.results is not results:  # settled against each other: render anew
            renderings = list(renderings)
            for i, (kept, settled) in enumerate(zip(results, evaluation.results, strict=True)):
                show = self._shows[i]
                if settled is not kept and show is not None:
                    renderings[i] = show(self.policy.articles[i], settled)
        return evaluation, self._shown(renderings)


def _tuple_getter(indices: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """`itemgetter(*indices)`, whose result is a tuple however many indices there are."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return lambda items: tuple(items[i] for i in indices)


# ---------------------------------------------------------------------------------------------
# Running: records -> output, in one process or in several

Chunk = list[Record]
Done = tuple[list[Any], list[list[str]], int]  # a chunk's encoded records, failures, records


class Job:
    """What every worker needs to turn records into output: a policy, a memo, a writer (none
    for `summary`, which adds evaluations up)."""

    def __init__(
        self, policy: Policy, output_format: str | None = None, explain: bool = False,
        assume_no: bool = False, name: str = "<input>",
    ) -> None:  # fmt: skip
        self.policy = policy
        self.name = name  # of the input, for messages: name:line: field: what is wrong
        self.assume_no = assume_no
        self.writer = WRITERS[output_format](policy, explain) if output_format else None
        self.memo = Memo(policy, self.writer)

    def evaluate(self, raw: Raw) -> tuple[engine.Evaluation, tuple[Any, ...]]:
        """A raw profile's evaluation, and its shown results rendered (`Memo.evaluate`); raises
        SubsidyError (without a line number) for a bad record."""
        if isinstance(raw, Unreadable):
            raise ProfileError(list(raw.problems))
        profile = profiles.parse_profile(raw, self.policy)
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
        written = 0
        writer = self.writer
        assert writer is not None
        for line, raw in chunk:
            try:
                out.append(self.record(line, raw))
                written += 1
            except SubsidyError as exc:
                # A sheet keeps the bad record's row: line, name and what is wrong.
                name = raw.get("name") if isinstance(raw, dict) else raw.name
                kept = writer.failed(line, name, exc.lines())
                if kept is not None:
                    out.append(kept)
                exc.where = f"{self.name}:{line}"
                failures.append(exc.lines())
                if fail_fast:
                    break
        return out, failures, written


def _chunks(records: Iterable[Record], size: int) -> Iterator[Chunk]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def run(
    policy: Policy, source: BinaryIO, out: BinaryIO, *, input_format: str, output_format: str,
    explain: bool = False, assume_no: bool = False, fail_fast: bool = False,
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
    job = Job(policy, output_format, explain, assume_no, name)
    writer = job.writer
    assert writer is not None
    writer.start(out)
    try:
        if first is None:
            writer.finish(out)
            return Summary(0, 0, False)
        chunks = _chunks(itertools.chain([first], records), CHUNK_RECORDS)
        if jobs > 1:
            if loader is None:
                raise ValueError("jobs > 1 needs a loader")
            spec = (
                loader, policy.sha256, i18n.current_lang(), output_format, explain, assume_no, name,
            )  # fmt: skip
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
    finally:  # a workbook let go of now, also after a failed or stopped run
        writer.close()


# Multiprocessing: each worker builds its own Job once; chunks go out and come back in order, with
# at most two per worker in flight so that memory stays bounded whatever the input's length.

_job: Job | SubsidyError | None = None


def _start_worker(spec: tuple[Any, ...], parent: int | None = None) -> None:
    # An exception here would make the pool start workers forever: keep it for the first chunk.
    global _job
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent)
    loader, sha256, lang, *args = spec
    i18n.set_lang(lang)  # a worker speaks as the command does (--lang, the locale)
    try:
        policy = loader()
        if policy.sha256 != sha256:
            raise SubsidyError(t("the policy file changed while the batch was starting"))
        _job = Job(policy, *args)
    except SubsidyError as exc:
        # Problems' constructor takes a list, which does not survive pickling: send plain text.
        _job = SubsidyError("; ".join(exc.lines()))


def _die_with_parent(parent: int | None) -> None:
    """End this worker when the batch that started it (pid `parent`) ends, even by SIGKILL
    (which no handler sees): the kernel's parent-death signal on Linux, else a thread watching
    the parent's pid. The pid comes from the parent: a parent killed before this runs is seen."""
    import os

    parent = os.getppid() if parent is None else parent
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, 9, 0, 0, 0) != 0:  # 9: SIGKILL
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):  # not Linux: poll
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def _work(chunk: Chunk, fail_fast: bool) -> Done:
    if isinstance(_job, SubsidyError):
        raise _job
    assert _job is not None
    return _job.run(chunk, fail_fast)


def _in_processes(
    chunks: Iterator[Chunk], jobs: int, fail_fast: bool, spec: tuple[Any, ...]
) -> Generator[Done, None, None]:
    import multiprocessing
    import os
    from concurrent.futures import Future, ProcessPoolExecutor

    # spawn, not fork: the parent may run a progress thread, and fork with threads is unsafe.
    # An executor, not a Pool: a worker that dies breaks the run instead of being restarted.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                               initargs=(spec, os.getpid()))  # fmt: skip
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
