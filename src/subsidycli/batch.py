"""Many profiles at once: JSON Lines or CSV in, JSON Lines or CSV out, streaming in flat memory.

Pure: no typer, no rich. The CLI hands in the streams and two callbacks (one for a bad record's
messages, one for progress) and gets a `Summary` back.

Speed comes from memoising, never from shortcuts in the law. An article's result depends only on
the values of `article.inputs` (found when the policy is compiled), so each result is kept, with
its JSON text and CSV cell already encoded, under those values; the next profile that gives the
article the same values gets the same bytes back. A record is then a join of cached bytes around
a template cut from `render.evaluation_fields`, so it is exactly `calc --format json`'s object
(plus `line`). The caches are bounded: memory stays flat however long the input.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import itertools
import operator
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring
from operator import attrgetter, itemgetter
from typing import Any, BinaryIO, NamedTuple

import orjson

from subsidycli import engine, money, render
from subsidycli import profile as profiles
from subsidycli.errors import MoneyError, ProfileError, SubsidyError
from subsidycli.files import decode
from subsidycli.policy import Article, Policy, with_defaults

FORMATS = ("jsonl", "csv")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".csv": "csv"}
MAX_LINE = profiles.MAX_INPUT_BYTES
CACHE_LIMIT = 1024  # entries kept per article or block; a full cache is emptied
CACHE_BYTES = 32 * 1024 * 1024  # about what all the caches may hold; then they are all emptied
ENTRY_BYTES = 600  # the size of a result object and its cache slot, roughly, besides its text
OUTPUT_BUFFER = 1 << 20  # bytes gathered for one write: a JSON Lines record is ~20 pieces, ~20 kB
CHUNK_RECORDS = {"jsonl": 200, "csv": 2000}  # per chunk of work, by output format (JSON is ~20 kB)

OnError = Callable[[list[str]], None]
Progress = Callable[[int, int], None]  # (records done, input bytes read)
Payload = bytes | list[str] | str  # a JSON line, a CSV row, or why the input could not be read
Chunk = list[tuple[int, Payload]]
Done = tuple[list[bytes] | bytes, list[list[str]], int]  # a chunk's output, failures, records


@dataclass(frozen=True, slots=True)
class Summary:
    """What a batch did: records written, records that failed, and whether it stopped early."""

    written: int
    failed: int
    stopped: bool


def format_for(path: str) -> str | None:
    """The format a file's suffix names (jsonl or csv), or None."""
    for suffix, fmt in SUFFIXES.items():
        if path.lower().endswith(suffix):
            return fmt
    return None


# ---------------------------------------------------------------------------------------------
# One profile -> one record, memoised


_ABSENT = object()  # the key value of a field the profile leaves out


class Entry(NamedTuple):
    """What the caches keep for an article, or a block of articles, under the values it reads."""

    results: tuple[engine.ArticleResult, ...]
    text: bytes  # the encoded output: JSON objects, each with its comma, or CSV cells
    cash: Decimal | None  # what adds to the total
    mask: int  # the missing fields, a bit each


_TEXT = 1  # Entry.text, for itemgetter
BLOCK_FIELDS = 4  # a block of articles reads at most this many fields (one more: applicant_type)


class Evaluator:
    """Evaluates profiles of one policy in one language into batch records, with caches.

    Two levels. An article's entry is its result, its encoded output (JSON text for `jsonl`, its
    amount cell for `csv`), its cash amount and its missing fields as a bit mask, kept under the
    profile's values of the fields it reads. A block is a run of neighbouring articles that read
    few fields between them (an article that reads an amount stands alone): its entry joins its
    articles' entries and is kept under the values of all their fields, so a typical profile costs
    one lookup per block, and a record is a join of a dozen cached byte strings. Beside an
    article's cache, a not_eligible result is also kept under the fewer fields it depends on
    (`ruled_out_fields`), so that it serves whatever the other fields. For CSV input a
    third level keeps the blocks' entries under the cells as read, so that a row whose blocks are
    all found is not parsed at all (`raw_blocks`); JSON Lines input does the same with the values
    of a JSON object, where they are exact keys (`Job._as_values`).
    """

    def __init__(
        self, policy: Policy, lang: str, receipt: Mapping[str, Any] | None = None,
        fmt: str = "jsonl", columns: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.policy = policy
        self.lang = lang
        self.fmt = fmt
        self.parse_memo: profiles.Memo = {}
        articles = policy.articles
        names = tuple(policy.inputs)
        self._names = names
        self._absent = (_ABSENT,) * len(names)
        self._bits = {name: 1 << i for i, name in enumerate(names)}
        # Keys are read from a vector of the profile's values; its slot 0 is a constant, the key
        # of whatever reads no field.
        slot = {name: i + 1 for i, name in enumerate(names)}
        self._slot = slot

        def getter(fields: Iterable[str]) -> Callable[[list[Any]], Any]:
            slots = [slot[n] for n in dict.fromkeys(fields)]
            return itemgetter(*slots) if slots else itemgetter(0)

        # An article's result depends only on its inputs (with the fields its defaults read).
        fields = [a.inputs for a in articles]
        self._keys = tuple(map(getter, fields))
        self._caches: tuple[dict[Any, Entry], ...] = tuple({} for _ in articles)
        # Beside each article's cache, one for the results its condition rules out, under the
        # fewer fields those depend on (`ruled_out_fields`), or None.
        self._ruled_out_keys = tuple(
            None if read is None else getter(read)
            for read in (ruled_out_fields(policy, a) for a in articles)
        )
        self._ruled_out: tuple[dict[Any, Entry], ...] = tuple({} for _ in articles)
        self._blocks = _blocks(policy, fields)
        self._block_fields = tuple(
            tuple(dict.fromkeys(f for i in b for f in fields[i])) for b in self._blocks
        )
        # A block of one article is that article: the same key, the same cache.
        self._block_keys = tuple(
            self._keys[b[0]] if len(b) == 1 else getter(read)
            for b, read in zip(self._blocks, self._block_fields, strict=True)
        )
        self._block_caches = tuple(self._caches[b[0]] if len(b) == 1 else {} for b in self._blocks)
        self.read = frozenset(f for read in fields for f in read)  # the fields some article reads
        # Above those, a layer keyed on a record's values as read (see `raw_blocks`): a vector of
        # the values by `columns`, then a constant, which is also what a column not given reads.
        cell = {name: i for i, name in enumerate(columns) if name}
        self._raw_keys = tuple(
            itemgetter(*[cell.get(f, len(columns)) for f in b] or [len(columns)])
            for b in self._block_fields
        )
        self._raw_caches: tuple[dict[Any, Entry], ...] = tuple({} for _ in self._blocks)
        self._missing_json: dict[int, bytes] = {}
        self._held = 0  # bytes held by the caches, roughly
        # The record's JSON around its slots, with quotes and brackets folded in. In the results
        # array every article's text ends in a comma but the last one's.
        p = [p.encode() for p in render.batch_json_template(policy, lang, receipt)]
        self._pieces = (p[0], p[1], p[2] + b"[", b"]" + p[3] + b'"', b'"' + p[4], p[5] + b"\n")
        self._last = len(articles) - 1
        self._encoders = [render.ResultEncoder(policy, a, lang) for a in articles]
        self.parts = self.json_parts if fmt == "jsonl" else self.csv_parts
        self.write = self._json if fmt == "jsonl" else self._csv  # (line, name, found, out)

    def raw_blocks(
        self, values: list[Any], parse: Callable[[Iterable[str]], Mapping[str, Any]]
    ) -> list[Entry]:
        """Every block's cache entry for a record as read: its values by `columns`, then None.

        A block found under the values as read needs no parsing: they were parsed without a
        problem when its entry was made. Otherwise `parse` gives the profile of the blocks'
        fields (raising ProfileError for a bad value), and the entry comes from under the parsed
        values, as in `blocks`, or is evaluated. The values must be exact keys: CSV cells (text)
        are; JSON values only where no value of another meaning equals them (`Job._as_values`:
        true == 1).
        """
        keys = list(map(operator.call, self._raw_keys, itertools.repeat(values)))
        found = list(map(dict.get, self._raw_caches, keys))
        if all(found):
            return found  # type: ignore[return-value]  # no None
        missed = [b for b, entry in enumerate(found) if entry is None]
        profile = parse(dict.fromkeys(f for b in missed for f in self._block_fields[b]))
        parsed = [None, *self._absent]
        slot = self._slot
        for name, value in profile.items():
            parsed[slot[name]] = value
        env: dict[str, Any] = {}
        for b in missed:
            key = self._block_keys[b](parsed)
            entry = self._block_caches[b].get(key)
            if entry is None:
                entry = self._block(b, key, parsed, profile, env)
            _keep(self._raw_caches[b], keys[b], entry)
            found[b] = entry
        return found  # type: ignore[return-value]  # no None left

    def blocks(self, profile: Mapping[str, Any]) -> list[Entry]:
        """Every block's cache entry for a parsed profile, in the policy's order."""
        values = [None, *map(profile.get, self._names, self._absent)]
        keys = list(map(operator.call, self._block_keys, itertools.repeat(values)))
        found = list(map(dict.get, self._block_caches, keys))
        if not all(found):
            env: dict[str, Any] = {}
            for b, entry in enumerate(found):
                if entry is None:
                    found[b] = self._block(b, keys[b], values, profile, env)
        return found  # type: ignore[return-value]  # no None left

    def _block(
        self, b: int, key: Any, values: list[Any], profile: Mapping[str, Any], env: dict[str, Any]
    ) -> Entry:
        if not env:  # once per profile, and only when some article must be evaluated
            env.update(engine.environment(self.policy, profile))
        members = self._blocks[b]
        if len(members) == 1:
            return self._evaluate(members[0], key, values, env)
        parts = []
        for i in members:
            akey = self._keys[i](values)
            entry = self._caches[i].get(akey)
            parts.append(entry if entry is not None else self._evaluate(i, akey, values, env))
        cash = [e.cash for e in parts if e.cash is not None]
        block = Entry(
            tuple(r for e in parts for r in e.results),
            b"".join(e.text for e in parts),
            sum(cash, engine.ZERO) if cash else None,
            functools.reduce(operator.or_, (e.mask for e in parts), 0),
        )
        self._account(len(block.text))
        _keep(self._block_caches[b], key, block)
        return block

    def _evaluate(self, i: int, key: Any, values: list[Any], env: Mapping[str, Any]) -> Entry:
        ruled_out = self._ruled_out_keys[i]
        if ruled_out is not None:
            narrow = ruled_out(values)
            entry = self._ruled_out[i].get(narrow)
            if entry is not None:
                _keep(self._caches[i], key, entry)
                return entry
        article = self.policy.articles[i]
        # A CSV row shows amounts only: no explanation is written for it.
        result = engine.evaluate_article(article, env, self.lang, explained=self.fmt == "jsonl")
        cash = result.amount if result.counts_to_total and result.amount else None
        mask = 0
        for name in result.missing:
            mask |= self._bits[name]
        if self.fmt == "jsonl":  # the result's object, and the comma after it but the last
            text = self._encoders[i].encode(result) + (b"," if i < self._last else b"")
        elif article.basis != "info":  # a CSV column, and the comma before it
            text = b"," + render.amount_cell(result).encode()  # digits and a point: no quotes
        else:
            text = b""
        entry = Entry((result,), text, cash, mask)
        self._account(len(text))
        _keep(self._caches[i], key, entry)
        if ruled_out is not None and result.status == engine.NOT_ELIGIBLE:
            _keep(self._ruled_out[i], narrow, entry)
        return entry

    def _account(self, size: int) -> None:
        """Count what a new entry holds; past CACHE_BYTES, empty every cache and start again."""
        self._held += size + ENTRY_BYTES
        if self._held > CACHE_BYTES:
            caches: list[dict[Any, Any]] = [
                *self._raw_caches,
                *self._block_caches,
                *self._caches,
                *self._ruled_out,
                self._missing_json,
            ]
            for cache in caches:
                cache.clear()
            self._held = size + ENTRY_BYTES

    def evaluation(self, profile: Mapping[str, Any]) -> engine.Evaluation:
        """The memoised path as an `engine.Evaluation`: equal to `engine.evaluate`'s."""
        found = self.blocks(profile)
        results = tuple(r for block in found for r in block.results)
        return engine.Evaluation(
            self.policy, profile, results, self._total(found), self._missing(found), self.lang
        )

    @staticmethod
    def _total(found: list[Entry]) -> Decimal:
        # As engine.evaluate: the sum of eligible cash amounts (exact: no rounding at this size).
        return sum(filter(None, map(attrgetter("cash"), found)), engine.ZERO)

    @staticmethod
    def _mask(found: list[Entry]) -> int:
        """The missing fields of every block, as one bit mask."""
        return functools.reduce(operator.or_, filter(None, map(attrgetter("mask"), found)), 0)

    def _names_in(self, mask: int) -> list[str]:
        """The fields of a bit mask, in the policy's order (bit i is field i)."""
        names = []
        while mask:
            low = mask & -mask
            names.append(self._names[low.bit_length() - 1])
            mask ^= low
        return names

    def _missing(self, found: list[Entry]) -> tuple[str, ...]:
        return tuple(self._names_in(self._mask(found)))

    def json_parts(self, line: int, profile: Mapping[str, Any], out: list[bytes]) -> None:
        """Append one JSON Lines record to `out`, in pieces: `calc --format json`'s object with
        `line` first, and a newline. (A record is ~20 kB: joining it would copy it once more.)"""
        self._json(line, profile.get("name"), self.blocks(profile), out)

    def csv_parts(self, line: int, profile: Mapping[str, Any], out: list[bytes]) -> None:
        """Append one CSV row to `out`: line, name, total, then each money article's amount."""
        self._csv(line, profile.get("name"), self.blocks(profile), out)

    def _json(self, line: int, name: str | None, found: list[Entry], out: list[bytes]) -> None:
        # Whatever may fail comes first: a bad record must leave `out` as it was.
        p = self._pieces
        total = money.format_plain(self._total(found)).encode()
        quoted = b"null" if name is None else _utf8(encode_basestring(name))
        mask = self._mask(found)
        missing = self._missing_json.get(mask)
        if missing is None:
            missing = render.compact_json(self._names_in(mask)).encode()
            _keep(self._missing_json, mask, missing)
        out += (p[0], str(line).encode(), p[1], quoted, p[2])
        out += map(itemgetter(_TEXT), found)
        out += (p[3], total, p[4], missing, p[5])

    def _csv(self, line: int, name: str | None, found: list[Entry], out: list[bytes]) -> None:
        total = money.format_plain(self._total(found))
        out.append(_utf8(f"{line},{'' if name is None else render.csv_text(name)},{total}"))
        out += map(itemgetter(_TEXT), found)
        out.append(b"\r\n")

    def json_record(self, line: int, profile: Mapping[str, Any]) -> bytes:
        """One JSON Lines record, whole."""
        out: list[bytes] = []
        self.json_parts(line, profile, out)
        return b"".join(out)

    def csv_record(self, line: int, profile: Mapping[str, Any]) -> bytes:
        """One CSV row, whole."""
        out: list[bytes] = []
        self.csv_parts(line, profile, out)
        return b"".join(out)


def _keep(cache: dict[Any, Any], key: Any, entry: Any) -> None:
    if len(cache) >= CACHE_LIMIT:  # bounded: start again rather than grow
        cache.clear()
    cache[key] = entry


def _blocks(policy: Policy, fields: list[tuple[str, ...]]) -> list[tuple[int, ...]]:
    """Runs of neighbouring articles that read few fields; one that reads an amount stands alone."""
    wide = {n for n, item in policy.inputs.items() if item.type in ("money", "rate", "text")}
    blocks: list[tuple[int, ...]] = []
    run: list[int] = []
    seen: set[str] = set()
    for i, read in enumerate(fields):
        if wide.intersection(read):
            blocks += [tuple(run), (i,)] if run else [(i,)]
            run, seen = [], set()
            continue
        more = seen.union(read) - {"applicant_type"}
        if run and len(more) > BLOCK_FIELDS:
            blocks.append(tuple(run))
            run, more = [], set(read) - {"applicant_type"}
        run.append(i)
        seen = more
    if run:
        blocks.append(tuple(run))
    return blocks


def ruled_out_fields(policy: Policy, article: Article) -> tuple[str, ...] | None:
    """The fields an article's result depends on when its condition rules the profile out, or
    None when the article has no condition or that is every field it reads (a second key
    would gain nothing).

    `engine` rules a profile out on the applicant type or on the condition alone, and then
    writes why from those and shows the cap from the cap (else the amount) and the count
    (`known_cap`): for `annual_rd_expense >= threshold`, whatever the deductible expense.
    """
    if article.when is None:
        return None
    read = ["applicant_type"] if article.who is not None else []
    read += article.when.inputs
    shown = [article.cap] if article.cap else [article.amount, *(t.amount for t in article.tiers)]
    read += [name for expr in shown if expr is not None for name in expr.inputs]
    read += [article.count] if article.count else []
    fewer = with_defaults(read, policy.inputs)
    return None if set(fewer) >= set(article.inputs) else tuple(fewer)


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate, from a JSON escape such as \ud800
        raise ProfileError(["name: is not valid Unicode text"]) from None


# ---------------------------------------------------------------------------------------------
# Reading: numbered records from a binary stream


class Reader:
    """Numbered records of a JSON Lines or CSV stream; counts the bytes read for progress.

    A record is (line number, payload): the line's bytes (JSON Lines), the row's cells (CSV), or
    a str saying why the input at that line cannot be read. Blank lines are skipped.
    """

    def __init__(self, stream: BinaryIO, fmt: str, name: str = "<input>") -> None:
        self.name = name
        self.stream = stream
        self.fmt = fmt
        self.bytes_read = 0
        self.header: list[str] = []
        self.header_line = 0
        self._bad_lines: set[int] = set()
        self._first = True

    def _lines(self) -> Iterator[bytes | None]:
        """Lines as bytes (None for a line longer than MAX_LINE), the first without a BOM."""
        readline = self.stream.readline
        while True:
            line = readline(MAX_LINE)
            if not line:
                return
            self.bytes_read += len(line)
            if self._first:
                self._first = False
                if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise ProfileError(["is UTF-16; save it as UTF-8"], where=f"{self.name}:1")
                if line.startswith(codecs.BOM_UTF8):
                    line = line[3:]
            if len(line) >= MAX_LINE and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = readline(MAX_LINE)
                    self.bytes_read += len(line)
                yield None
                continue
            yield line

    def records(self) -> Iterator[tuple[int, Payload]]:
        """Every record with its line number, in input order."""
        if self.fmt == "jsonl":
            return self._jsonl()
        return self._csv()

    def _jsonl(self) -> Iterator[tuple[int, Payload]]:
        too_long = f"is longer than {MAX_LINE // 1024 // 1024} MiB"
        for number, line in enumerate(self._lines(), start=1):
            if line is None:
                yield number, too_long
            elif not line.isspace():
                yield number, line

    def _text_lines(self) -> Iterator[str]:
        for number, line in enumerate(self._lines(), start=1):
            if line is None:
                self._bad_lines.add(number)
                yield "\n"
                continue
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_lines.add(number)
                yield line.decode("utf-8", "replace")

    def _csv(self) -> Iterator[tuple[int, Payload]]:
        reader = csv.reader(self._text_lines())
        rows = self._rows(reader)
        for number, row in rows:
            if isinstance(row, list):
                self.header = self._check_header(row, number)
                self.header_line = number
                break
        else:
            return
        width = len(self.header)
        for number, row in rows:
            if isinstance(row, list) and len(row) != width:
                extra = row[width:]
                if len(row) < width or any(c.strip() for c in extra):
                    row = f"has {len(row)} cells; the header (line 1) has {width}"
                else:
                    row = row[:width]
            yield number, row

    def _rows(self, reader: Any) -> Iterator[tuple[int, list[str] | str]]:
        bad = self._bad_lines
        start = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, f"invalid CSV: {exc}"
                start = reader.line_num + 1
                continue
            end = reader.line_num
            if bad and any(n in bad for n in range(start, end + 1)):
                yield start, "is not UTF-8 text (or longer than 10 MiB)"
            elif any(row):
                yield start, row
            start = end + 1

    def _check_header(self, row: list[str], number: int) -> list[str]:
        names = [cell.strip() for cell in row]
        problems = []
        seen: set[str] = set()
        for i, name in enumerate(names, start=1):
            if name in seen:
                problems.append(f"{name}: column {i} repeats a column name")
            seen.add(name)
        if problems:
            raise ProfileError(problems, where=f"{self.name}:{number}")
        return names


# ---------------------------------------------------------------------------------------------
# Running: records -> output, in one process or in several


class Job:
    """What every worker needs to turn records into output: a policy, a language, formats."""

    def __init__(
        self, policy: Policy, lang: str, receipt: Mapping[str, Any] | None, input_format: str,
        output_format: str, header: list[str], assume_no: bool = False, name: str = "<input>",
    ) -> None:  # fmt: skip
        self.name = name  # of the input, for messages: name:line: field: what is wrong
        self.policy = policy
        self.assume_no = assume_no
        self.header = header
        self._columns = [(i, name) for i, name in enumerate(header) if name]
        self._all_named = len(self._columns) == len(header)
        # Records are looked up under their values as read (Evaluator.raw_blocks): a CSV row's
        # cells by its header; a JSON object's values by the policy's fields.
        columns = header if input_format == "csv" else list(policy.inputs)
        self.evaluator = Evaluator(policy, lang, receipt, output_format, columns)
        read = self.evaluator.read
        self._unread = [  # (index, column, its parser): the name, and what no article reads
            (i, c, policy.inputs[c].parse if c else None)
            for i, c in enumerate(columns) if c not in read or c == "name"
        ]  # fmt: skip
        self._cell = {c: i for i, c in enumerate(columns) if c}
        if input_format == "csv":
            self.record = self._csv_record
        else:
            self._fields = tuple(columns)
            self._known = frozenset(columns)
            # A JSON value is an exact key only where no other value equals it: bool where yes/no
            # is asked (False == 0 elsewhere), int elsewhere (1 == True), text, null; never a
            # float (inexact here, and 1.0 == 1) nor a list. Anything else takes the parsed path.
            bools = [i for i, c in enumerate(columns) if policy.inputs[c].type == "bool"]
            others = [i for i in range(len(columns)) if i not in bools]
            none = (len(columns),) * 2  # the constant None, twice: itemgetter gives a tuple
            self._bool_values = itemgetter(*bools, *none)
            self._other_values = itemgetter(*others, *none)
            self.record = self._jsonl_record

    def _parse(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        profile = profiles.parse_profile(raw, self.policy, memo=self.evaluator.parse_memo)
        return profiles.assume_no(profile, self.policy) if self.assume_no else profile

    def _as_read(self, line: int, values: list[Any], out: list[bytes]) -> None:
        """A record's output from its values as read (a CSV row's cells, or a JSON object's
        values by field), then None (Evaluator.raw_blocks); the values no article reads are
        checked every time. ProfileError for a bad value."""
        name = None
        for i, column, parse_value in self._unread:  # checked every time: no key holds them
            value = values[i]
            if value is None or (value.__class__ is str and not value.strip()):  # unknown
                continue
            if parse_value is None:
                raise _unnamed(i)
            try:
                parsed = parse_value(value)
            except MoneyError as exc:
                raise ProfileError([f"{column}: {exc.message}"]) from None
            if column == "name":
                name = parsed
        cell = self._cell

        def parse(fields: Iterable[str]) -> dict[str, Any]:
            return self._parse({f: values[cell[f]] for f in fields if f in cell})

        found = self.evaluator.raw_blocks(values, parse)
        self.evaluator.write(line, name, found, out)

    def _jsonl_record(self, line: int, payload: Payload, out: list[bytes]) -> None:
        """Append one record's output to `out`; raises SubsidyError (without a line number) for
        a bad record, leaving `out` as it was."""
        if isinstance(payload, str):
            raise ProfileError([payload])
        assert isinstance(payload, bytes)
        values = self._as_values(payload)
        if values is not None:
            try:
                return self._as_read(line, values, out)
            except ProfileError:
                pass  # the parsed path below names every problem
        self._parsed_record(line, payload, out)

    def _as_values(self, payload: bytes) -> list[Any] | None:
        """The values of a JSON line for `_as_read`: by field, then the constant None. Returns
        None instead when some value is not an exact key (see __init__): the line takes the
        parsed path. orjson is exact for what it lets through here: text, bools and whole
        numbers (a float, or a number it reads as one, is sent back)."""
        try:
            raw = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None  # a BOM, NaN, a lone surrogate ...: json, below, decides and says why
        # A key of any object is followed by a colon: as many colons as keys means no key
        # is repeated (json refuses that; orjson keeps the last). A nested object with no
        # key, `{}`, is refused by the type check below.
        if raw.__class__ is not dict or payload.count(b":") != len(raw):
            return None
        if not raw.keys() <= self._known:
            return None
        values = [*map(raw.get, self._fields), None]
        if not (
            set(map(type, self._bool_values(values))) <= _BOOL_FIELD_TYPES
            and set(map(type, self._other_values(values))) <= _OTHER_FIELD_TYPES
        ):
            return None
        return values

    def _parsed_record(self, line: int, payload: bytes, out: list[bytes]) -> None:
        if payload.startswith(codecs.BOM_UTF8) or b"\x00" in payload:
            text = decode(payload, "")  # takes a BOM off (files joined by `cat`); names NUL
        else:
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                text = decode(payload, "")  # raises, saying where
        raw = profiles.loads_json(text, "", one_line=True)
        self.evaluator.parts(line, self._parse(raw), out)

    def _csv_record(self, line: int, payload: Payload, out: list[bytes]) -> None:
        """As `_jsonl_record`, for a CSV row."""
        if isinstance(payload, str):
            raise ProfileError([payload])
        assert isinstance(payload, list)
        try:
            self._as_read(line, [*payload, None], out)
        except ProfileError:
            self._parse(self._csv_profile(payload))  # the whole row: every problem at once
            raise

    def _csv_profile(self, payload: list[str]) -> dict[str, Any]:
        if self._all_named:
            return dict(zip(self.header, payload, strict=True))
        for i, name in enumerate(self.header):
            if not name and payload[i].strip():
                raise _unnamed(i)
        return {name: payload[i] for i, name in self._columns}

    def run(self, chunk: Chunk, fail_fast: bool) -> tuple[list[bytes], list[list[str]], int]:
        """A chunk of records: (output in pieces, the messages of each bad record, records
        written)."""
        out: list[bytes] = []
        failures: list[list[str]] = []
        record = self.record
        written = 0
        for line, payload in chunk:
            try:
                record(line, payload, out)
                written += 1
            except SubsidyError as exc:
                exc.where = f"{self.name}:{line}"
                failures.append(exc.lines())
                if fail_fast:
                    break
        return out, failures, written


_BOOL_FIELD_TYPES = frozenset({bool, str, type(None)})  # JSON values that are exact keys (Job)
_OTHER_FIELD_TYPES = frozenset({int, str, type(None)})


def _unnamed(i: int) -> ProfileError:
    return ProfileError([f"column {i + 1} has a value but no name in the header"])


def _chunks(records: Iterable[tuple[int, Payload]], size: int) -> Iterator[Chunk]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def run(
    policy: Policy, source: BinaryIO, out: BinaryIO, *, input_format: str, output_format: str,
    lang: str, receipt: Mapping[str, Any] | None = None, assume_no: bool = False,
    fail_fast: bool = False, jobs: int = 1, loader: Callable[[], Policy] | None = None,
    on_error: OnError | None = None, progress: Progress | None = None, name: str = "<input>",
) -> Summary:  # fmt: skip
    """Read profiles from `source`, write one record per good profile to `out`, in input order.

    Each bad record's messages (`NAME:LINE: field: what is wrong`) go to `on_error`; with
    `fail_fast` the run stops at the first. `jobs` > 1 spreads chunks of records over that
    many processes, each building its policy with `loader` (picklable; a compiled policy is
    not). `progress` is called after each chunk with the records done and the input bytes read.
    `out` is a binary stream: it is written through a 1 MB buffer, with bytes-like objects.
    Raises SubsidyError when the input as a whole cannot be read (UTF-16, a repeated column).
    """
    reader = Reader(source, input_format, name)
    records = reader.records()
    first = next(records, None)  # reads a CSV header before any work is shared out
    unknown = [profiles.unknown_field(n, policy.inputs) for n in reader.header
               if n and n not in policy.inputs]  # fmt: skip
    if unknown:
        raise ProfileError(unknown, where=f"{name}:{reader.header_line}")
    if output_format == "csv":
        out.write(render.csv_line(render.batch_csv_header(policy)).encode())
    if first is None:
        return Summary(0, 0, False)
    args = (lang, receipt, input_format, output_format, reader.header, assume_no, name)
    chunks = _chunks(itertools.chain([first], records), CHUNK_RECORDS[output_format])
    if jobs > 1:
        if loader is None:
            raise ValueError("jobs > 1 needs a loader")
        results: Iterator[Done] = _in_processes(
            chunks, jobs, fail_fast, (loader, policy.sha256, *args)
        )
    else:
        job = Job(policy, *args)
        results = (job.run(chunk, fail_fast) for chunk in chunks)
    into = _Into(out)
    sink = io.BufferedWriter(into, OUTPUT_BUFFER)
    try:
        summary = _drain(results, sink, fail_fast, on_error, progress, reader)
    except BaseException:
        with contextlib.suppress(Exception):  # the records done go out, unless a write failed
            sink.flush()
        into.closed_for_good = True  # and nothing goes out later, when the buffer is collected
        raise
    sink.flush()
    return summary


def _drain(
    results: Iterator[Done], sink: io.BufferedWriter[Any],
    fail_fast: bool, on_error: OnError | None, progress: Progress | None, reader: Reader,
) -> Summary:  # fmt: skip
    written = failed = 0
    with contextlib.closing(results):  # type: ignore[type-var]  # stops the workers early
        for data, failures, count in results:
            if isinstance(data, bytes):
                sink.write(data)
            else:
                sink.writelines(data)
            written += count
            failed += len(failures)
            for lines in failures:
                if on_error is not None:
                    on_error(lines)
            if progress is not None:
                progress(written + failed, reader.bytes_read)
            if failures and fail_fast:
                return Summary(written, failed, True)
    return Summary(written, failed, False)


class _Into(io.RawIOBase):
    """The caller's stream under our buffer: written to, never closed. After a write that
    failed (a full disk, an interrupt), nothing more is written: what the buffer still holds
    may be out already, and must not be written twice."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.closed_for_good = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self.closed_for_good:
            try:
                self._out.write(data)
            except BaseException:
                self.closed_for_good = True
                raise
        return len(data)


# Multiprocessing: each worker builds its own Job once; chunks go out and come back in order, with
# at most two per worker in flight so that memory stays bounded whatever the input's length.

_job: Job | SubsidyError | None = None


def _start_worker(spec: tuple[Any, ...]) -> None:
    # An exception here would make the pool start workers forever: keep it for the first chunk.
    global _job
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    loader, sha256, *args = spec
    try:
        policy = loader()
        if policy.sha256 != sha256:
            raise SubsidyError("the policy file changed while the batch was starting")
        _job = Job(policy, *args)
    except SubsidyError as exc:
        # Problems' constructor takes a list, which does not survive pickling: send plain text.
        _job = SubsidyError("; ".join(exc.lines()))


def _work(chunk: Chunk, fail_fast: bool, path: str) -> tuple[str, list[list[str]], int]:
    """Do a chunk; its output goes to the file `path` (a JSON Lines chunk is megabytes: through
    a file it costs the parent a read, not unpickling from a pipe)."""
    if isinstance(_job, SubsidyError):
        raise _job
    assert _job is not None
    pieces, failures, written = _job.run(chunk, fail_fast)
    try:
        with open(path, "wb") as file:
            file.writelines(pieces)
    except OSError as exc:
        raise SubsidyError(f"--jobs: cannot write a temporary file: {exc.strerror}") from None
    return path, failures, written


def _in_processes(
    chunks: Iterator[Chunk], jobs: int, fail_fast: bool, spec: tuple[Any, ...]
) -> Iterator[tuple[bytes, list[list[str]], int]]:
    import multiprocessing
    import shutil
    import tempfile
    from concurrent.futures import Future, ProcessPoolExecutor

    # spawn, not fork: the parent may run a progress thread, and fork with threads is unsafe.
    # An executor, not a Pool: a worker that dies breaks the run instead of being restarted.
    context = multiprocessing.get_context("spawn")
    try:
        folder = tempfile.mkdtemp(prefix="subsidy-batch-")  # the chunks' outputs, on their way
    except OSError as exc:
        raise SubsidyError(f"--jobs: cannot make a temporary folder: {exc.strerror}") from None
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                               initargs=(spec,))  # fmt: skip

    def collect(future: Future[tuple[str, list[list[str]], int]]) -> tuple[bytes, Any, int]:
        path, failures, written = future.result()
        with open(path, "rb") as file:
            data = file.read()
        os.unlink(path)
        return data, failures, written

    try:
        pending: deque[Future[tuple[str, list[list[str]], int]]] = deque()
        for n, chunk in enumerate(chunks):
            pending.append(pool.submit(_work, chunk, fail_fast, os.path.join(folder, str(n))))
            if len(pending) >= 2 * jobs:
                yield collect(pending.popleft())
        while pending:
            yield collect(pending.popleft())
    finally:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:  # even when a second Ctrl-C cuts the wait short
            shutil.rmtree(folder, ignore_errors=True)
