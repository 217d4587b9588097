"""batch's writers, one per output format (`WRITERS`): JSON Lines of lean records, CSV rows
under `sheet_columns`, and the same rows in a workbook.

A writer renders each article's result once (`show`, kept in batch's memo) and a record from
those renderings (`encode`), in the `--jobs` workers; the reading process writes the stream
(`start`, chunks in input order, `finish`). Bytes out, no rich; the run itself is `batch`'s.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, BinaryIO

from subsidycli import money
from subsidycli.engine import (
    ArticleResult,
    Evaluation,
)
from subsidycli.i18n import pt
from subsidycli.output.cells import (
    csv_line,
    csv_text,
    output_columns,
    sheet_articles,
    sheet_cells,
)
from subsidycli.output.data import add_details, money_articles, plain, result_dict
from subsidycli.policy import Article, Policy


class Writer:
    """A batch output format.

    `show` renders one article's result, once: batch keeps the rendering beside the result in
    its memo, for every record that shares it. `encode` renders a record from its evaluation
    and the renderings of `articles`, in that order. Both run where records are evaluated (a
    `--jobs` worker); `start`, `write` (a chunk of encoded records, in input order) and `finish`
    handle the output stream, in the process that reads the input.
    """

    explained = gaps = False  # whether results need their explanations, their gaps

    def __init__(self, policy: Policy, explain: bool = False) -> None:
        self.policy, self.explain = policy, explain
        self.articles: tuple[Article, ...] = ()

    def show(self, article: Article, result: ArticleResult) -> Any:
        raise NotImplementedError

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        raise NotImplementedError

    def start(self, out: BinaryIO) -> None:
        """Begin the output (a header)."""

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        out.write(b"".join(encoded))

    def finish(self, out: BinaryIO) -> None:
        """End the output."""

    def close(self) -> None:
        """Let go of what the output holds, however the run ended (after `finish`, or a failed,
        stopped or interrupted run without it)."""

    def failed(self, line: int, name: Any, problems: Sequence[str]) -> Any:
        """A bad record's output, or None for a format that leaves it out (JSON Lines: the
        problems are on stderr)."""
        return None


class JsonLinesWriter(Writer):
    """One compact JSON object a line (UTF-8, Chinese unescaped): docs/contract.md's lean record
    (article, status, amount, cap, missing; tax_saving, count, gap where they apply; no
    `info` article, whose result is the same for every profile), or with `explain` calc's
    results. An article's result is rendered as JSON once, an `orjson.Fragment` that records
    include as it is."""

    gaps = True  # lean records show them

    def __init__(self, policy: Policy, explain: bool = False) -> None:
        import orjson

        super().__init__(policy, explain)
        self.articles = policy.articles if explain else money_articles(policy)
        self.explained = explain
        self._dumps, self._fragment = orjson.dumps, orjson.Fragment
        self._newline = orjson.OPT_APPEND_NEWLINE

    def show(self, article: Article, result: ArticleResult) -> Any:
        if self.explain:
            entry = result_dict(self.policy, result, article)
        else:
            entry = {"article": article.id, "status": result.status,
                     "amount": plain(result.amount), "cap": plain(result.cap),
                     "missing": result.missing}  # fmt: skip
            add_details(entry, self.policy, article, result)
        # Kept in batch's memo: a copy of the exact size, as orjson's bytes keep the capacity of
        # its write buffer (4 kB each, measured), which 4,096 results an article would multiply.
        return self._fragment(bytes(memoryview(self._dumps(entry))))

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> bytes:
        record = {"line": line, "name": evaluation.profile.get("name"),
                  "total": money.format_plain(evaluation.total), "missing": evaluation.missing,
                  "results": shown}  # fmt: skip
        return self._dumps(record, option=self._newline)


class CsvWriter(Writer):
    """One row a record under `sheet_columns`: line, name, total, each cash article's amount
    (empty when unknown, 0.00 when not eligible), then each tax item's deduction and tax
    saving. Money is plain (12000000.00), text formula-safe."""

    def __init__(self, policy: Policy, explain: bool = False) -> None:
        super().__init__(policy, explain)
        self.articles = sheet_articles(policy)

    def show(self, article: Article, result: ArticleResult) -> Any:
        cells = sheet_cells(article, result)
        return tuple("" if cell is None else money.format_plain(cell) for cell in cells)

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        name = evaluation.profile.get("name")
        total = money.format_plain(evaluation.total)
        cells = [str(line), "" if name is None else csv_text(name), total, *itertools.chain(*shown)]
        return (",".join(cells) + ",\r\n").encode()  # the error column, empty

    def failed(self, line: int, name: Any, problems: Sequence[str]) -> Any:
        text = "" if name is None else csv_text(str(name))
        empty = "," * (len(output_columns(self.policy)) - 3)  # all but line, name and error
        return f"{line},{text}{empty},{csv_text('; '.join(problems))}\r\n".encode()

    def start(self, out: BinaryIO) -> None:
        out.write(csv_line([c.head for c in output_columns(self.policy)]).encode())


class WorkbookWriter(CsvWriter):
    """The CSV's rows in a workbook (`XlsxWriter`): numbers as numbers in a 元 format, a
    frozen header, a total row. Rows stream to a temporary file; the workbook is written to
    the output when the run ends."""

    def show(self, article: Article, result: ArticleResult) -> Any:
        return sheet_cells(article, result)

    def encode(self, line: int, evaluation: Evaluation, shown: Sequence[Any]) -> Any:
        name = evaluation.profile.get("name")  # plain values: they cross --jobs
        return [line, name, evaluation.total, *itertools.chain(*shown), None]

    def failed(self, line: int, name: Any, problems: Sequence[str]) -> Any:
        empty = [None] * (len(output_columns(self.policy)) - 3)  # all but line, name and error
        return [line, None if name is None else str(name), *empty, "; ".join(problems)]

    def start(self, out: BinaryIO) -> None:
        from subsidycli.output.xlsx import Column, XlsxWriter

        columns = [Column(c.head, c.kind, c.summed) for c in output_columns(self.policy)]
        self.sheet = XlsxWriter(columns, title=self.policy.id)

    def write(self, out: BinaryIO, encoded: list[Any]) -> None:
        for row in encoded:
            self.sheet.row(row)

    def finish(self, out: BinaryIO) -> None:
        self.sheet.total_row(pt("column", "total"), at=1)
        self.sheet.save(out)

    def close(self) -> None:
        if hasattr(self, "sheet"):
            self.sheet.discard()


WRITERS: dict[str, type[Writer]] = {
    "jsonl": JsonLinesWriter, "csv": CsvWriter, "xlsx": WorkbookWriter,
}  # fmt: skip


