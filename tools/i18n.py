"""The catalog of the product's words: extract them from the code, update the translations, compile.

    python tools/i18n.py extract   # every word the code says -> build/subsidycli.pot
    python tools/i18n.py update    # the .pot merged into each language's .po (new words empty)
    python tools/i18n.py compile   # each .po -> its .mo, which the product reads
    python tools/i18n.py check     # what a .po lacks: words with no translation, or a fuzzy one
    python tools/i18n.py           # all of the above, in that order

A word is found where the code says it: `t("...")`, `pt("context", "...")` and `N_("...")` in the
Python source and the HTML report's template (Babel's extractors), and the help and metavar (FILE,
PATH|ID…) of every command, option and argument, read from the Typer app itself (the English
docstrings and `help=` texts are their msgids). A new word: write it in English in the code, run
this, put its Chinese in the .po (a msgstr may leave out a {field} the language does not need, never
add one), run it again and commit the .po with its .mo. tests/test_i18n.py fails until then. Needs
Babel (the `test` extra).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "subsidycli"
LOCALE = PACKAGE / "i18n" / "locale"
DOMAIN = "subsidycli"
TEMPLATE = ROOT / "build" / f"{DOMAIN}.pot"  # made afresh from the code: not kept in git
KEYWORDS = {"t": None, "pt": ((1, "c"), 2), "N_": None}
METHODS = [("**.py", "python"), ("**.j2", "jinja2.ext:babel_extract")]


def messages() -> Iterator[tuple[str | None, str, str]]:
    """Every word the product says, as (context, English, where), in the order found."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        found = list(extract_from_dir(
            PACKAGE, METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
        ))  # fmt: skip
    for line in said.getvalue().splitlines():
        # An f-string given as a {field}'s value (t("{n} records", n=f"{n:,}")) is no word.
        if "Skipping f-string" not in line:
            print(line, file=sys.stderr)
    for filename, _, message, _, context in found:
        if isinstance(message, str) and message:
            yield context, message, f"src/subsidycli/{filename}"
    yield from help_messages()


def help_messages() -> Iterator[tuple[str | None, str, str]]:
    """The help of the app, of every command and of every option and argument."""
    sys.path.insert(0, str(SRC))
    import typer.main

    from subsidycli.cli import app

    group = typer.main.get_command(app)
    commands = [("", group)] + sorted(getattr(group, "commands", {}).items())
    for name, command in commands:
        where = f"subsidy {name}".strip()
        if command.help:
            yield None, command.help, where
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                yield None, text, f"{where} {max(param.opts, key=len)}"
            if param.metavar:
                yield None, param.metavar, f"{where} {max(param.opts, key=len)}"


def template() -> Catalog:
    """The catalog of every English word, without translations (the .pot)."""
    catalog = Catalog(project="subsidycli", domain=DOMAIN, charset="utf-8", fuzzy=False)
    for context, message, where in messages():
        found = catalog.get(message, context)
        locations = [*found.locations, (where, None)] if found else [(where, None)]
        catalog.add(message, context=context, locations=sorted(set(locations)))
    return catalog


def po_files() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, domain=DOMAIN)


def write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def extract() -> None:
    pot = template()
    TEMPLATE.parent.mkdir(exist_ok=True)
    write(TEMPLATE, pot)
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(pot)} messages")


def update() -> None:
    pot = template()
    for path in po_files():
        catalog = read(path)
        created = catalog.creation_date
        catalog.update(pot, no_fuzzy_matching=False)
        catalog.creation_date = created  # the .po changes only where its words do
        catalog.obsolete.clear()  # a word no code says any more: git keeps its history
        write(path, catalog)
        print(f"{path.relative_to(ROOT)}: updated")


def compiled(path: Path) -> bytes:
    """The .mo of a .po, as bytes: fuzzy translations left out (they are not yet checked)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(path), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for path in po_files():
        path.with_suffix(".mo").write_bytes(compiled(path))
        print(f"{path.with_suffix('.mo').relative_to(ROOT)}: compiled")


def problems(path: Path) -> list[str]:
    """The words a .po does not yet say: untranslated or fuzzy."""
    found = []
    catalog = read(path)
    for context, message, where in messages():
        entry = catalog.get(message, context)
        if entry is None or not entry.string:
            found.append(f"{where}: no translation: {message!r}")
        elif entry.fuzzy:
            found.append(f"{where}: fuzzy (check it, then drop the flag): {message!r}")
    return found


def check() -> int:
    found = [f"{path.relative_to(ROOT)}: {p}" for path in po_files() for p in problems(path)]
    for line in found:
        print(line)
    return 1 if found else 0


def main(argv: list[str]) -> int:
    steps = {"extract": extract, "update": update, "compile": compile_all}
    if not argv:
        for step in steps.values():
            step()
        return check()
    if argv == ["check"]:
        return check()
    if len(argv) != 1 or argv[0] not in steps:
        print(__doc__, file=sys.stderr)
        return 2
    steps[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
