"""The product's language, and the one way it says a word: gettext catalogs.

Code writes every word in English, `t("{value} is not an amount ({hint})", value=..., hint=...)`;
under Chinese it is looked up in locale/zh/LC_MESSAGES/subsidycli.mo, compiled from the .po file
beside it (`python tools/i18n.py` extracts, updates and compiles; docs/development.md says how).
English pays nothing: the catalog is read only when a word is first said in another language.
The policy's words live in its TOML file, in both languages: `pick` chooses one.

The language is process state, set once at start-up by the command line (`--lang`, else the
locale): functions read it where they say something, none takes it as a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gettext import NullTranslations

# Yes and no as people write them, wherever a profile is read (JSON, TOML, CSV, .xlsx, --set, the
# interview): the one table of such words, read by `money.parse_bool`. Compared in lower case.
YES_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "对", "√"})
NO_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "没有", "不是", "×"})

LANGS = ("zh", "en")
SOURCE_LANG = "en"  # the language the code is written in: it needs no catalog
DOMAIN = "subsidycli"
LOCALE_DIR = Path(__file__).parent / "locale"

# The language of everything said: set once at start-up by the command line (cli.lang), from
# --lang or the locale; the locale's when not set.
_lang: str | None = None
_catalogs: dict[str, NullTranslations] = {}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """Chinese under a zh locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE), English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(lang: str | None) -> None:
    """Say everything in `lang` ("zh" or "en") from now on; None: follow the locale."""
    global _lang
    _lang = lang


def current_lang() -> str:
    """The language of everything said: as set at start-up, else the locale's."""
    return _lang or default_lang()


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Say everything in `lang` inside the block (for a library caller, or a test)."""
    before = _lang
    set_lang(lang)
    try:
        yield
    finally:
        set_lang(before)


def catalog(lang: str) -> NullTranslations:
    """The compiled catalog of `lang`, read once; the source language's is empty."""
    found = _catalogs.get(lang)
    if found is None:
        import gettext  # already imported by typer: costs nothing more

        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if lang == SOURCE_LANG or not path.is_file():
            found = gettext.NullTranslations()
        else:
            with path.open("rb") as handle:
                found = gettext.GNUTranslations(handle)
        _catalogs[lang] = found
    return found


def t(text: str, /, **fields: object) -> str:
    """`text` (an English template) in the current language, its {fields} filled in."""
    lang = _lang or default_lang()
    if lang != SOURCE_LANG:
        text = catalog(lang).gettext(text)
    return text.format(**fields) if fields else text


def pt(context: str, text: str, /, **fields: object) -> str:
    """As `t`, for a word whose translation depends on where it stands (gettext's pgettext):
    `pt("column", "amount")` is the heading of a sheet's column, `t("Amount")` a table's."""
    lang = _lang or default_lang()
    if lang != SOURCE_LANG:
        text = catalog(lang).pgettext(context, text)
    return text.format(**fields) if fields else text


def N_(text: str) -> str:  # gettext's name for it, which the extractor knows
    """Marks a template for the catalog that is said later, by `t(variable)`."""
    return text


def pick(text: Mapping[str, str]) -> str:
    """The policy's words ({"zh": ..., "en": ...}) in the current language."""
    return text[_lang or default_lang()]


def id_or(ident: str, said: str) -> str:
    """A sheet's heading or cell: the id in English, which scripts read (stable whatever the
    wording), else `said`, the words of the current language."""
    return ident if (_lang or default_lang()) == SOURCE_LANG else said
