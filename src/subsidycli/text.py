"""Text measured and shaped: the cells a string takes on a terminal (`cell_width`) and, from
them, about how wide it is in a proportional font (`ems`); its longest start that fits (`fit`);
a paragraph wrapped with Chinese line-breaking (`wrap`); the names a misspelling most likely
meant (`suggest`); a spreadsheet column's letters (`column_letter`).

The ground floor: the standard library only (widths come from `unicodedata`), no import from the
package, no rich, and no words: the callers say their own messages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable


def cell_width(text: str) -> int:
    """Columns `text` takes on a terminal: two for wide (East Asian) characters, none for marks."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# A wide (two-cell) character is about square in a proportional font; a narrow one about 0.6 em.
_EMS_PER_CELLS = {0: 0.0, 1: 0.6, 2: 1.0}


def ems(text: str) -> float:
    """About how wide `text` is in a proportional font, in em, from the cells of each character
    (an SVG label, which does not wrap, must be cut to its room)."""
    return sum(_EMS_PER_CELLS[cell_width(char)] for char in text)


def fit(text: str, room: float, measure: Callable[[str], float] = cell_width) -> str:
    """The longest start of `text` at most `room` wide, by `measure` (cells; `ems` for a page)."""
    used: float = 0
    for end, char in enumerate(text):
        used += measure(char)
        if used > room:
            return text[:end]
    return text


# Characters a line must not start with (Chinese punctuation closes what precedes it), and
# those it must not end with (an opening bracket goes down with what it opens).
_NO_LINE_START = frozenset("，。、；：！？）》」』】］”’,.;:!?)")
_NO_LINE_END = frozenset("（《「『【［“‘")


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """Wrap one paragraph to `width` cells: English at spaces, Chinese between characters.

    The first line starts with `indent`, the others with `hanging` (default: `indent`). Chinese
    punctuation does not start a line (the character before it goes down with it, when the two
    fit), nor an opening bracket end one; a word longer than a line is cut. Empty text is one
    line, the indent's.
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
            if token[0] in _NO_LINE_START:  # down with the word before it (and its punctuation)
                start = len(words) - 1
                while start > 0 and words[start] in _NO_LINE_START:
                    start -= 1
                if start > 0 and words[start] != " " and (
                        cell_width(hanging + "".join(words[start:]) + token) <= width):
                    carry = words[start:]
                    del words[start:]
            while len(words) > 1 and words[-1][-1] in _NO_LINE_END:
                carry.insert(0, words.pop())
            flush()
            words = carry
        while not words and cell_width(head + token) > width and len(token) > 1:
            cut = fit(token, width - cell_width(head)) or token[0]  # a line holds one at least
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
        elif cell_width(char) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


# How alike (difflib's ratio) a name must be to a word to be offered as what the word meant.
NEAR = 0.6


def suggest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """The `choices` most like `word`, the most alike first, at most `n`: what a misspelt id,
    field or key most likely meant; none when nothing is alike enough."""
    import difflib  # on the way to an error message only

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=NEAR)


def column_letter(index: int) -> str:
    """A spreadsheet column's letters from its index counted from 0: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
