"""TODO."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


_TOKENS = re.compile(r"[!-~]+|\s+|.")  # a word of ASCII, a run of spaces, or one other character


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal cells: Chinese may break between any two
    characters, an ASCII word (a number, an id) only when it is longer than a line."""
    from rich.cells import cell_len

    lines: list[str] = []
    line, used = "", 0
    for token in _TOKENS.findall(text):
        size = cell_len(token)
        if used + size <= width:
            line, used = line + token, used + size
            continue
        if token.isspace():  # a break: the space goes
            lines.append(line.rstrip())
            line, used = "", 0
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0
        while cell_len(token) > width:  # longer than a line: fold it
            cut = max(1, next(i for i in range(len(token), 0, -1) if cell_len(token[:i]) <= width))
            lines.append(token[:cut])
            token = token[cut:]
        line, used = token, cell_len(token)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines if text else []


def cell_width(text: str) -> int:
    """Columns `text` takes on a terminal: two for wide (East Asian) characters, none for marks."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# Characters a line must not start with (Chinese punctuation closes what precedes it).
_NO_LINE_START = frozenset("，。、；：！？）》」』”’,.;:!?)")


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """Wrap one paragraph to `width` cells: English at spaces, Chinese between characters.

    The first line starts with `indent`, the others with `hanging` (default: `indent`). Chinese
    punctuation does not start a line (the character before it goes down with it); a word longer
    than a line is cut.
    """
    hanging = indent if hanging is None else hanging
    lines: list[str] = []
    head: str = indent  # the current line: its indent and its tokens
    words: list[str] = []

    def used() -> int:
        return cell_width(head) + sum(cell_width(w) for w in words)

    def flush() -> None:
        nonlocal head, words
        lines.append((head + "".join(words)).rstrip())
        head, words = hanging, []

    for token in _tokens(text):
        if token == " ":
            if words and used() + 1 <= width:
                words.append(" ")
            continue
        if words and used() + cell_width(token) > width:
            carry: list[str] = []
            if token[0] in _NO_LINE_START and len(words) > 1 and words[-1] != " ":
                carry = [words.pop()]
            flush()
            words = carry
        while not words and cell_width(head + token) > width and len(token) > 1:
            cut = _fit(token, width - cell_width(head))
            words = [cut]
            flush()
            token = token[len(cut) :]
        words.append(token)
    lines.append((head + "".join(words)).rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words and spaces of Latin text; each wide character on its own (a line may break there)."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" ")
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def _fit(token: str, room: int) -> str:
    cut, used = "", 0
    for char in token:
        if used + cell_width(char) > room and cut:
            break
        cut, used = cut + char, used + cell_width(char)
    return cut


