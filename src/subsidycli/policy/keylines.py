"""Where each key of a TOML file is (its line), for messages that name `file:line`; and
tomllib's own errors as problems at their line and column."""

from __future__ import annotations

import re
from typing import Any

from subsidycli.errors import Problem
from subsidycli.i18n import t


def toml_error(message: str) -> Problem:
    """A tomllib error as a problem at its line and column."""
    from subsidycli.i18n.foreign import TOML, say

    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        detail = say(message[: match.start()].strip(), TOML)
        return (f"{match.group(1)}:{match.group(2)}", t("invalid TOML: {why}", why=detail))
    end = re.fullmatch(r"(.*?)\s*\(at end of document\)", message, re.DOTALL)
    if end:  # the position is the file's end: say so, in words
        why = t("{problem} at the end of the file", problem=say(end.group(1), TOML))
        return t("invalid TOML: {why}", why=why)
    return t("invalid TOML: {why}", why=say(message, TOML))


class KeyLines:
    """Line numbers of tables and keys in a TOML text, for error messages.

    tomllib keeps no positions, so this scans the text: it knows `[[articles]]` blocks by their
    index and the `key =` lines inside them, which is all an error message needs. The scan runs
    only when a message needs a line: a good file never pays for it.
    """

    _HEADER = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.\-]+)\s*\]")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*[.=]")
    # Brackets in text are not arrays. Unrolled (a run of plain characters, then an escape): a
    # group repeated once per character kept a backtracking frame each, 3.8 GB for a 50 MB string.
    _STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|\'[^\']*\'')

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[tuple[Any, ...], int] | None = None

    @property
    def lines(self) -> dict[tuple[Any, ...], int]:
        if self._lines is None:
            self._lines = self._scan(self._text)
        return self._lines

    def _scan(self, text: str) -> dict[tuple[Any, ...], int]:
        lines: dict[tuple[Any, ...], int] = {}
        counts: dict[str, int] = {}
        table: tuple[Any, ...] = ()
        in_multiline = False
        array: tuple[Any, ...] | None = None  # the key of a multi-line array being read
        depth = index = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                was = in_multiline
                in_multiline = not in_multiline
                if was:
                    continue
            elif in_multiline:
                continue
            if array is not None:  # `tiers = [` … `]`: an inline table a line, by its index
                if line.lstrip().startswith("{"):
                    lines.setdefault((*array, index), number)
                    index += 1
                bare = self._STRING.sub("", line)
                depth += bare.count("[") - bare.count("]")
                if depth <= 0:
                    array = None
                continue
            header = self._HEADER.match(line)
            if header:
                name = header.group(2)
                if header.group(1):
                    index = counts.get(name, -1) + 1
                    counts[name] = index
                    table = (*name.split("."), index)
                else:
                    parts = name.split(".")
                    if parts[0] in counts:
                        table = (parts[0], counts[parts[0]], *parts[1:])
                    else:
                        table = tuple(parts)
                lines.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                lines.setdefault((*table, key.group(1)), number)
                rest = self._STRING.sub("", line[key.end() :]).lstrip()
                if rest.startswith("[") and rest.count("[") > rest.count("]"):
                    array, depth, index = (*table, key.group(1)), 1, 0
        return lines

    def line(self, loc: tuple[Any, ...]) -> int:
        """The line of the longest known prefix of `loc` (1 when nothing matches)."""
        for end in range(len(loc), 0, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found:
                return found
        return 1
