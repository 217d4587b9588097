"""The command line in the user's language: help pages and the framework's own messages.

The language is decided once, at start-up, from `--lang` on the command line, else the locale
(i18n.default_lang), and set for the whole process (i18n.set_lang). In English nothing here costs
anything beyond reading the arguments. In another language the help texts (the commands'
docstrings and `help=` texts, whose English is their msgid in the catalog) and the framework's
words (usage, headings, errors: click's templates in i18n.foreign) are said through the catalog.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import IO, Any

import typer
from typer import _click as click  # typer 0.28 carries its own copy of click
from typer.core import TyperGroup

from subsidycli import i18n
from subsidycli.i18n import t
from subsidycli.text import cell_width, wrap


def lang_from_args(args: Sequence[str]) -> str | None:
    """The value of --lang/-l among command-line arguments, if given (and valid)."""
    for number, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg in ("--lang", "-l") and number + 1 < len(args):
            value = args[number + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        elif arg.startswith("-l") and len(arg) > 2 and not arg.startswith("--"):
            value = arg[2:]
        if value in i18n.LANGS:
            return value
    return None


class SubsidyGroup(TyperGroup):
    """The `subsidy` command group: sets the language before anything runs."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        lang = lang_from_args(argv) or i18n.default_lang()
        i18n.set_lang(lang)
        if lang == i18n.SOURCE_LANG:
            return super().main(argv, *rest, **extra)
        standalone = extra.pop("standalone_mode", True)
        extra["standalone_mode"] = False  # errors come back here, to be said in the language
        try:
            code = super().main(argv, *rest, **extra)
        except click.exceptions.ClickException as exc:
            show_error(exc, sys.stderr)
            if not standalone:
                raise
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone:
                raise
            sys.stderr.write(t("Aborted!") + "\n")
            sys.exit(1)
        if not standalone:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            command.context_class = Context  # help wrapped by display width, in any language
            if i18n.current_lang() != i18n.SOURCE_LANG:
                localize(command)
        return command

    def make_context(
        self, info_name: Any, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        self.context_class = Context
        if i18n.current_lang() != i18n.SOURCE_LANG:
            localize(self)
            self.subcommand_metavar = t("COMMAND [ARGS]...")
        return super().make_context(info_name, args, parent=parent, **extra)


def localize(command: Any) -> None:
    """Say a command's help in the current language, and show its pages with `Context`."""
    if getattr(command, "_subsidy_lang", None) == i18n.current_lang():
        return
    command._subsidy_lang = i18n.current_lang()
    if command.help:
        command.help = t(command.help)
    if command.options_metavar:
        command.options_metavar = t(command.options_metavar)
    for param in command.params:  # FILE, PATH|ID, ARTICLE.NAME=VALUE… (a choice has none)
        if param.metavar:
            param.metavar = t(param.metavar)
    command.context_class = Context


class HelpFormatter(click.formatting.HelpFormatter):
    """Help pages in the current language: usage, headings, and every option's help (its help=
    text is its msgid; typer's "[default: …]" is said apart), wrapped by the cells each
    character takes on the terminal (a Chinese character two), with Chinese line-breaking:
    click's own wrapping counts characters and breaks only at spaces."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = t("Usage: ") if prefix is None else prefix
        head = f"{prefix:>{self.current_indent}}{prog} "
        hanging = " " * min(cell_width(head), self.width // 2)
        self.write("\n".join(wrap(args, self.width, head, hanging)) + "\n")

    def write_heading(self, heading: str) -> None:
        said = t("{heading}:", heading=t(heading))
        self.write(f"{'':>{self.current_indent}}{said}\n")

    def write_text(self, text: str) -> None:
        self.write(paragraphs(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:  # fmt: skip
        rows = [(term, help_text(text)) for term, text in rows]
        indent = " " * self.current_indent
        first = min(max((cell_width(term) for term, _ in rows), default=0), col_max)
        hanging = indent + " " * (first + col_spacing)
        room = max(self.width, cell_width(hanging) + 20)
        for term, text in rows:
            if not text:
                self.write(f"{indent}{term}\n")
                continue
            head = f"{indent}{term}"
            if cell_width(term) <= first:
                head += " " * (first + col_spacing - cell_width(term))
            else:  # a long term: its help starts on the next line
                self.write(head + "\n")
                head = hanging
            self.write(paragraphs(text, room, head, hanging) + "\n")


def paragraphs(text: str, width: int, indent: str, hanging: str | None = None) -> str:
    """Help text wrapped to `width` cells: paragraphs apart as written; a paragraph after a line
    of just "\\b" (click's mark), or one indented more than the first, kept line by line (the
    examples); a paragraph's lines joined with a space between Latin words and none between
    Chinese characters, then wrapped. The first line starts with `indent`, the rest `hanging`."""
    hanging = indent if hanging is None else hanging
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = block.split("\n")
        if lines[0].strip() == "\b" or lines[0].startswith(" "):
            out += [hanging + line for line in lines if line.strip() != "\b"]
        else:  # a `code span` is not broken (its spaces held by no-break spaces meanwhile)
            joined = lines[0].strip()
            for line in lines[1:]:
                line = line.strip()
                wide = joined[-1:] and cell_width(joined[-1]) == 2 or cell_width(line[:1]) == 2
                joined += line if wide else " " + line
            joined = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\u00a0"), joined)
            wrapped = wrap(joined, width, hanging if out else indent, hanging)
            out += [line.replace("\u00a0", " ") for line in wrapped]
        out.append("")
    return "\n".join(out[:-1])


def help_text(text: str) -> str:
    """An option's help in the current language, typer's extras ("  [default: table]") too."""
    if i18n.current_lang() == i18n.SOURCE_LANG:
        return text
    from subsidycli.i18n.foreign import CLICK_HELP, say

    said = t(text)
    match = re.fullmatch(r"(.*?)\s*\[([^\[\]]*)\]", text, re.DOTALL)
    if said != text or match is None:  # a help= text that says its own "[default: …]"
        return said
    extras = t("; ").join(say(extra, CLICK_HELP) for extra in match.group(2).split("; "))
    said = t("[{extras}]", extras=extras)
    return f"{t(match.group(1))}  {said}" if match.group(1) else said


class Context(click.Context):
    formatter_class = HelpFormatter


def show_error(exc: click.exceptions.ClickException, file: IO[str]) -> None:
    """A command-line mistake in the current language: the usage line, where to find help, and
    what is wrong (click's `show`, said through the catalog)."""
    from subsidycli.i18n.foreign import CLICK, say

    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        exc.show(file)  # the help page, made by `HelpFormatter`
        return
    if isinstance(exc, click.exceptions.UsageError) and exc.ctx is not None:
        ctx = exc.ctx
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = t("Try '{command} {option}' for help.", command=ctx.command_path,
                     option=ctx.help_option_names[0]) + "\n"  # fmt: skip
        file.write(f"{ctx.get_usage()}\n{hint}\n")
    file.write(t("Error: {message}", message=say(exc.format_message(), CLICK)) + "\n")
