"""TODO."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

if TYPE_CHECKING:
    pass


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"


# `-o FILE` without --format: the format its suffix names (anything else gets the table).
FORMAT_SUFFIXES = {
    ".json": Format.json, ".csv": Format.csv, ".md": Format.markdown,
    ".markdown": Format.markdown, ".html": Format.html, ".htm": Format.html,
    ".xlsx": Format.xlsx,
}  # fmt: skip


def output_format(fmt: Format | None, output: Path | None) -> Format:
    """The format asked for, else the one `output`'s suffix names, else the table."""
    if fmt is not None:
        chosen = fmt
    else:
        suffix = output.suffix.lower() if output else ""
        chosen = FORMAT_SUFFIXES.get(suffix, Format.table)
    if chosen is Format.xlsx and output is None:
        raise SubsidyError(
            t("--format xlsx writes a workbook: give the file with --output FILE.xlsx")
        )
    return chosen


class Lang(enum.StrEnum):
    zh = "zh"
    en = "en"


# Options shared by several commands.
PolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy", "-p", metavar="PATH|ID",
        help="Policy file (or bundled policy id) to use instead of the bundled one. Repeatable.",
    ),
]  # fmt: skip


OverrideOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--override", metavar="ARTICLE.NAME=VALUE",
        help="What-if: change a number or formula of an article, e.g. "
        "rd-investment-subsidy.max=30万 or rd-investment-subsidy.cap=300000. Repeatable.",
    ),
]  # fmt: skip


LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", "-l", help="Language of labels and explanations [default: zh under a "
                 "zh locale (LC_ALL/LANG), else en]", show_default=False),
]  # fmt: skip


DateOpt = Annotated[
    str | None,
    typer.Option("--date", metavar="YYYY-MM-DD",
                 help="Use only the policies in force on this day (effective_from/effective_to)."),
]  # fmt: skip


AssumeNoOpt = Annotated[
    bool, typer.Option("--assume-no", help="Treat every unanswered field as 0 / no.")
]


OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", dir_okay=False,
                 help="Write to this file (atomically) instead of stdout."),
]  # fmt: skip


SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="FIELD=VALUE",
                 help="Set or override a field, e.g. annual_rd_expense=1200万. Repeatable."),
]  # fmt: skip


def _lang(lang: Lang | None) -> str:
    from subsidycli.i18n import default_lang

    return lang.value if lang else default_lang()


def _overrides(items: list[str] | None) -> dict[str, str]:
    result = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise SubsidyError(
                t("--override {item}: expected ARTICLE.NAME=VALUE, "
                  "e.g. rd-investment-subsidy.max=30万", item=repr(item))
            )  # fmt: skip
        result[key.strip()] = value.strip()
    return result


class ListFormat(enum.StrEnum):
    table = "table"
    json = "json"


ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]


class BatchFormat(enum.StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


InputFormatOpt = Annotated[
    BatchFormat | None,
    typer.Option("--input-format", "-i", show_default=False,
                 help="Input format [default: from INPUT's suffix; jsonl for -]"),
]  # fmt: skip


class SummaryFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


SUMMARY_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown"}


def _input_format(source: str, given: BatchFormat | None) -> str:
    """The format of a batch input: as given, else by its suffix; stdin is JSON Lines."""
    from subsidycli.batch import INPUT_SUFFIXES, format_for

    found = given.value if given else (
        "jsonl" if source == "-" else format_for(source, INPUT_SUFFIXES)
    )  # fmt: skip
    if found is None and source.lower().endswith(".xls"):
        raise SubsidyError(t("is an old Excel workbook (.xls): save it as .xlsx"), where=source)
    if found is None:
        raise SubsidyError(t("cannot tell the format from the name (.jsonl, .csv or .xlsx); "
                             "add --input-format jsonl, csv or xlsx"), where=source)  # fmt: skip
    return found


