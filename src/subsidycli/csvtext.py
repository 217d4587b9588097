"""CSV bytes as text: the encoding is decided once per file, from its bytes (UTF-8 with or without
BOM, UTF-16, GB18030/GBK), never guessed silently wrong; a file that cannot be told is refused
with a message saying how to save it. Lines come bounded (MAX_LINE).

Pure: no typer, no rich. `sheets.py` reads the text's rows.
"""

from __future__ import annotations

import codecs
import collections
import functools
import io
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NamedTuple

from subsidycli.errors import ProfileError
from subsidycli.i18n import t

SAMPLE_BYTES = 1 << 20  # what the encoding is decided on when the input cannot be read twice
MAX_LINE = 10 * 1024 * 1024  # characters in one line of CSV text


def save_as() -> str:
    """How to save a sheet that cannot be read, in the words Excel's Save As dialog uses."""
    return t('in Excel, save it as "CSV UTF-8 (Comma delimited)" (File > Save As)')


# ---------------------------------------------------------------------------------------------
# CSV bytes -> text: the encoding is decided once per file, from its bytes, never guessed wrong


class Encoding(NamedTuple):
    codec: str  # for Python
    name: str  # for people


UTF8 = Encoding("utf-8", "UTF-8")
UTF8_BOM = Encoding("utf-8-sig", "UTF-8 with BOM")
UTF16 = Encoding("utf-16", "UTF-16")
GB18030 = Encoding("gb18030", "GB18030/GBK")


@functools.cache
def _not_chinese() -> re.Pattern[str]:
    """A character that Chinese text saved by Excel does not hold (compiled when first asked)."""
    return re.compile(
        "[^\x00-\x7f"
        "\u00a0-\u00ff"  # Latin-1 signs GBK has: ¥ · × ÷ ° § ±
        "\u2000-\u22ff"  # general punctuation (“” — …), letterlike symbols (℃ №), numerals, arrows
        "\u2460-\u24ff\u2500-\u257f\u25a0-\u25ff\u2600-\u26ff"  # ① boxes ■ ★
        "\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u32ff"  # CJK punctuation, kana, bopomofo
        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"  # ideographs
        "\U00020000-\U0003134f"  # rarer ideographs (GB18030's four-byte part)
        "]"
    )


def detect_encoding(head: bytes, complete: bool, where: str) -> Encoding:
    """The encoding of a CSV file, from its first bytes (all of them when `complete`).

    UTF-8 and UTF-16 are certain (a BOM, or bytes that are valid UTF-8). GB18030 (which covers
    GBK, what Excel on Chinese Windows saves) is taken only when the bytes decode as GB18030 to
    Chinese text, most of it in two-byte characters of the common range: a file in another
    single-byte code page (é, ü) is refused, not read as wrong Chinese. Anything else: a
    ProfileError saying how to save the file.
    """
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    if head.startswith(b"PK\x03\x04"):
        raise ProfileError([t("is an Excel workbook (.xlsx), not CSV text: name it .xlsx")],
                           where=where)  # fmt: skip
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ProfileError([t("is an old Excel workbook (.xls), not CSV text; {save_as}",
                              save_as=save_as())], where=where)  # fmt: skip
    if b"\x00" in head:
        raise ProfileError([t("is UTF-16 without a byte-order mark, or binary; {save_as}",
                              save_as=save_as())], where=where)  # fmt: skip
    if _decodes(head, "utf-8", complete):
        return UTF8
    if _decodes(head, "gb18030", complete) and _looks_chinese(head, complete):
        return GB18030
    raise ProfileError(
        [t("is not text in UTF-8, UTF-16 or GB18030/GBK, so its encoding cannot be told; "
           "{save_as}", save_as=save_as())], where=where,
    )  # fmt: skip


def _decodes(data: bytes, codec: str, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _looks_chinese(data: bytes, complete: bool) -> bool:
    """Whether GB18030 bytes read as Chinese text: no character outside what Chinese text holds,
    and at most half of the two-byte characters with a second byte below 0x80 (the rare ones; a
    Latin-1 letter before an ASCII letter decodes as one of those)."""
    text = codecs.getincrementaldecoder("gb18030")().decode(data, final=complete)
    if _not_chinese().search(text):
        return False
    counts = collections.Counter(text)  # each character's bytes looked at once, not per use
    wide = rare = 0
    for char, n in counts.items():
        if char > "\x7f":
            wide += n
            encoded = char.encode("gb18030")
            rare += n if len(encoded) == 2 and encoded[1] < 0x80 else 0
    return rare * 2 <= wide


class CsvText:
    """The lines of a CSV file as text, in the encoding decided once from its bytes
    (`detect_encoding`); counts the bytes read, for progress.

    A file is read through once to decide; a stream that cannot be read twice (stdin) is
    decided on its first MiB, and a later byte that breaks that encoding stops the run with a
    message naming the line, never a silent misreading.
    """

    def __init__(self, stream: BinaryIO, where: str) -> None:
        self.where = where
        self.bytes_read = 0
        if seekable(stream):
            start = stream.tell()
            self.encoding = _detect_whole(stream, where)
            stream.seek(start)
            self._stream = stream
        else:
            head = stream.read(SAMPLE_BYTES)
            self.encoding = detect_encoding(head, len(head) < SAMPLE_BYTES, where)
            self._stream = io.BufferedReader(_Prefixed(head, stream))

    def lines(self) -> Iterator[str]:
        """Every line, with its line ending; a line longer than MAX_LINE comes as "\x00\n" (the
        reader refuses such a row)."""
        read: Callable[[], Any]
        newline: Any
        line: Any
        if self.encoding is UTF16:  # b"\n" is not a line end in UTF-16: decode, then split
            text = io.TextIOWrapper(self._stream, encoding="utf-16", newline="")
            read, newline, width = (lambda: text.readline(MAX_LINE)), "\n", 2
        else:  # in UTF-8 and GB18030 the byte \n is a line end and nothing else: split, decode
            read, newline, width = (lambda: self._stream.readline(MAX_LINE)), b"\n", 1
        codec = self.encoding.codec
        number = 0
        while True:
            number += 1
            try:
                line = read()
                self.bytes_read += len(line) * width
                if len(line) >= MAX_LINE and not line.endswith(newline):
                    while line and not line.endswith(newline):  # skip the rest of the line
                        line = read()
                        self.bytes_read += len(line) * width
                    yield "\x00\n"
                    continue
                if not line:
                    return
                yield line if width == 2 else line.decode(codec)
            except UnicodeDecodeError:
                problem = t("is not {encoding}, as the lines before it; {save_as}",
                            encoding=self.encoding.name, save_as=save_as())  # fmt: skip
                raise ProfileError([(str(number), problem)], where=self.where) from None


def seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError):
        return False


def _detect_whole(stream: BinaryIO, where: str) -> Encoding:
    """Decide on the first MiB, then check that the rest of the file is in that encoding."""
    head = stream.read(SAMPLE_BYTES)
    more = stream.read(1)
    encoding = detect_encoding(head, not more, where)
    if not more:
        return encoding
    decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
    decoder.decode(head)
    chunk = more + stream.read(SAMPLE_BYTES)
    while True:
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ProfileError(
                [t("begins as {encoding} text but is not {encoding} further on (a mix of "
                   "encodings); {save_as}", encoding=encoding.name, save_as=save_as())],
                where=where,
            ) from None  # fmt: skip
        if not chunk:
            return encoding
        chunk = stream.read(SAMPLE_BYTES)


class _Prefixed(io.RawIOBase):
    """The bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
