"""The options several commands share (`--policy`, `--lang`, `--date`, `--set`, `--output`…), the
`--format` choices read from the one table of formats, and the format chosen for an output."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._types import TyperChoice

from subsidycli.errors import SubsidyError
from subsidycli.i18n import t
from subsidycli.output import formats


def choices(command: str) -> Any:
    """The `--format` choices of `command`, from the one table (output/formats.py): the choice
    type typer gives an Enum's values (its bundled click has no `Choice` of its own)."""
    return TyperChoice(formats.written_by(command))


def output_path(output: Path | None) -> Path | None:
    """The file `-o` names; `-o -` is stdout (None)."""
    return None if output is None or str(output) == "-" else output


def suffix_format(command: str, output: Path | None) -> str | None:
    """The format `output`'s suffix names among those `command` writes; None for a name without
    a suffix (`-o /dev/stdout`). A suffix no format of `command` claims is refused, listing
    what it can write: a file is never written silently in another format."""
    if output is None:
        return None
    found = formats.by_suffix(str(output), command)
    if found is None and output.suffix and output.parent != Path("/dev"):
        suffixes = " ".join(s for f in formats.FORMATS if command in f.writers for s in f.suffixes)
        raise SubsidyError(
            t("{command} cannot write a {suffix} file; it writes {suffixes} (or give --format)",
              command=command, suffix=output.suffix, suffixes=suffixes), where=str(output),
        )  # fmt: skip
    return found


def refuse_inputs_as_output(
    output: Path | None, inputs: list[str | None], policy_refs: list[str] | None
) -> None:
    """Refuse `-o FILE` naming an input (the profile or sheet, or a policy file in use), also
    through a symlink or a hard link: before anything is read or written."""
    from subsidycli.files import refuse_overwriting
    from subsidycli.policy.load import bundled_paths, resolve

    if output is None:
        return
    policies = [resolve(ref) for ref in policy_refs] if policy_refs else bundled_paths()
    refuse_overwriting(output, [*(i for i in inputs if i), *policies])


def output_format(command: str, fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one `output`'s suffix names, else the table."""
    chosen = fmt or suffix_format(command, output) or "table"
    if formats.named(chosen).file_only and output is None:
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
        help="What-if: change a number or formula of an article (by its id or title), e.g. "
        "rd-investment-subsidy.max=30万 or 研发投入补助.cap=300000. Repeatable.",
    ),
]  # fmt: skip


# The language is read once, before the command runs (cli.lang.SubsidyGroup); a command declares
# the option so that its help lists it, and leaves the value alone.
LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", "-l", help="Language of labels and explanations [default: zh under a "
                 "zh locale (LC_ALL/LANG), else en]", show_default=False),
]  # fmt: skip


DateOpt = Annotated[
    str | None,
    typer.Option("--date", metavar="YYYY-MM-DD",
                 help="The day to evaluate on [default: today]: a policy not in force that day "
                 "(effective_from/effective_to) is computed and marked, and not counted in the "
                 "total."),
]  # fmt: skip


AssumeNoOpt = Annotated[
    bool, typer.Option("--assume-no", help="Treat every unanswered field as 0 / no.")
]


OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", dir_okay=False,
                 help="Write to this file (atomically) instead of stdout."),
]  # fmt: skip


SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="FIELD=VALUE",
                 help="Set or override a field, FIELD=VALUE, the field by its id or label "
                 "(subsidy schema lists the fields). Repeatable."),
]  # fmt: skip


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


ListFormatOpt = Annotated[
    str, typer.Option("--format", "-f", click_type=choices("articles"), help="Output format.")
]


InputFormatOpt = Annotated[
    str | None,
    typer.Option("--input-format", "-i", show_default=False,
                 click_type=TyperChoice(formats.read_by("batch")),
                 help="Input format [default: from INPUT's suffix; jsonl for -]"),
]  # fmt: skip


def input_format(source: str, given: str | None) -> str:
    """The format of a batch input: as given, else by its suffix; stdin is JSON Lines."""
    found = given or (
        "jsonl" if source == "-" else formats.by_suffix(source, "batch", reading=True)
    )  # fmt: skip
    if found == "xlsx" and source == "-":
        raise SubsidyError(t("an .xlsx workbook is read from a file, not from stdin: give its "
                             "name"), where="<stdin>")  # fmt: skip
    if found == "parquet" and source == "-":
        raise SubsidyError(t("a Parquet file is read from a file, not from stdin: give its name"),
                           where="<stdin>")  # fmt: skip
    if found is None and source.lower().endswith(".xls"):
        raise SubsidyError(t("is an old Excel workbook (.xls): save it as .xlsx"), where=source)
    if found is None:
        raise SubsidyError(t("cannot tell the format from the name (.jsonl, .csv, .xlsx or "
                             ".parquet); add --input-format jsonl, csv, xlsx or parquet"),
                           where=source)  # fmt: skip
    return found


