"""The words of the libraries whose messages the product passes on, said through the catalog.

Typer's bundled click, tomllib, json and Python's parser write their messages as plain English
f-strings, with no hook to translate them. Each is listed here as its English template, marked
for the catalog, and `say` finds the template a message was made from, takes its {fields} back
out, and says it with `i18n.t`: one catalog for every word, the libraries' included. A message
of a newer library that no template matches is passed on as it is. Read only when such a
message is shown in a language other than English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from subsidycli.i18n import N_, SOURCE_LANG, current_lang, t

# Fields whose value is itself a library's message (click's "Invalid value for X: MESSAGE").
_NESTED = frozenset({"message"})

# click (typer 0.28's bundled copy: typer/_click, typer/core.py, typer/_types.py, models.py).
CLICK = (
    N_("No such option: {name}"),
    N_("No such option: {name} (Possible options: {options})"),
    N_("Invalid value for {param}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument {param}."),
    N_("Missing option {param}."),
    N_("Missing parameter {param}."),
    N_("Missing command."),
    N_("No such command {name}."),
    N_("No such command {name}. Did you mean {names}?"),
    N_("Got unexpected extra argument(s) ({args})"),
    N_("Option {name} requires an argument."),
    N_("Option {name} requires {count} arguments."),
    N_("Option {name} does not take a value."),
    N_("Argument {name} takes {count} values."),
    N_("{value} is not one of {choices}."),
    N_("{value} is not a valid integer."),
    N_("{value} is not a valid float."),
    N_("{value} is not in the range {range}."),
    N_("{value} is not a valid boolean. Recognized values: {values}"),
    N_("File {name} does not exist."),
    N_("Path {name} does not exist."),
    N_("File {name} is a directory."),
    N_("Path {name} is a directory."),
)
# The extras typer adds to an option's help: "[default: table]", "[required]", a range.
CLICK_HELP = (N_("default: {default}"), N_("required"), N_("x>={minimum}"))
# The words of click's help pages, said by `t(variable)` in cli.lang: headings, metavars, the
# help option's help.
CLICK_WORDS = (
    N_("Options"), N_("Arguments"), N_("Commands"), N_("[OPTIONS]"),
    N_("Show this message and exit."),
)  # fmt: skip

# tomllib (Python 3.11+): the message before "(at line L, column C)".
TOML = (
    N_("Cannot overwrite a value"),
    N_("Escaped character is not a Unicode scalar value"),
    N_("Expected '=' after a key in a key/value pair"),
    N_("Expected ']' at the end of a table declaration"),
    N_("Expected ']]' at the end of an array declaration"),
    N_("Expected newline or end of document after a statement"),
    N_("Invalid date or datetime"),
    N_("Invalid hex value"),
    N_("Invalid initial character for a key part"),
    N_("Invalid statement"),
    N_("Invalid value"),
    N_("Unclosed array"),
    N_("Unclosed inline table"),
    N_("Unescaped '\\' in a string"),
    N_("Unterminated string"),
    N_("Cannot declare {key} twice"),
    N_("Cannot mutate immutable namespace {key}"),
    N_("Cannot redefine namespace {key}"),
    N_("Duplicate inline table key {key}"),
    N_("Expected {expected}"),
    N_("Found invalid character {char}"),
    N_("Illegal character {char}"),
)

# json (the message of a JSONDecodeError, its `msg`).
JSON = (
    N_("Expecting value"),
    N_("Expecting ',' delimiter"),
    N_("Expecting ':' delimiter"),
    N_("Expecting property name enclosed in double quotes"),
    N_("Extra data"),
    N_("Unterminated string starting at"),
    N_("Invalid control character at"),
    N_("Invalid control character {char} at"),
    N_("Invalid \\escape: {char}"),
    N_("Invalid \\uXXXX escape"),
    N_("Illegal trailing comma before end of object"),
    N_("Illegal trailing comma before end of array"),
)

# Python's parser, on an expression of a policy file (the message of a SyntaxError).
PYTHON = (
    N_("invalid syntax"),
    N_("invalid syntax. Perhaps you forgot a comma?"),
    N_("invalid syntax. Maybe you meant '==' or ':=' instead of '='?"),
    N_("{bracket} was never closed"),
    N_("unmatched {bracket}"),
    N_("closing parenthesis {closing} does not match opening parenthesis {opening}"),
    N_("unterminated string literal (detected at line {line})"),
    N_("invalid decimal literal"),
    N_(
        "leading zeros in decimal integer literals are not permitted; use an 0o prefix for "
        "octal integers"
    ),
    N_("invalid character {char} (U+{code})"),
    N_("expected 'else' after 'if' expression"),
    N_("source code string cannot contain null bytes"),
)


def say(text: str, templates: Sequence[str]) -> str:
    """`text`, a library's message made from one of `templates`, in the current language;
    unchanged when no template matches it (or in English)."""
    if current_lang() == SOURCE_LANG:
        return text
    for template, pattern in _patterns(tuple(templates)):
        match = pattern.fullmatch(text)
        if match:
            fields = {
                name: say(value, templates) if name in _NESTED else value
                for name, value in match.groupdict().items()
            }
            return t(template, **fields)
    return text


@functools.cache
def _patterns(templates: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    """Each template as a pattern whose groups are its fields; the most literal first, so that
    "No such option: {name} (Possible ...)" is tried before "No such option: {name}"."""
    found = []
    for template in templates:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        literal = sum(len(part) for part in parts[::2])
        found.append((literal, template, re.compile(regex, re.DOTALL)))
    found.sort(key=lambda entry: -entry[0])
    return [(template, pattern) for _, template, pattern in found]
