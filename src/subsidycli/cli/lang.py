"""The command line in the user's language: help pages and command-line errors in Chinese.

The language is decided once, at start-up, from `--lang` on the command line, else the locale
(i18n.default_lang). In English nothing here costs anything beyond reading the arguments. In
Chinese, help pages take their words from help_zh (read only when a help page is shown), and
the framework's own messages (no such option, invalid value …) are put in Chinese.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer import _click as click  # typer 0.28 carries its own copy of click
from typer.core import TyperGroup

from subsidycli import i18n


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
        if value in ("zh", "en"):
            return value
    return None


class SubsidyGroup(TyperGroup):
    """The `subsidy` command group: sets the language of messages and help before anything runs."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        lang = lang_from_args(argv) or i18n.default_lang()
        i18n.set_message_lang(lang)
        if lang != "zh":
            return super().main(argv, *rest, **extra)
        standalone = extra.pop("standalone_mode", True)
        extra["standalone_mode"] = False  # errors come back here, to be said in Chinese
        try:
            code = super().main(argv, *rest, **extra)
        except click.exceptions.ClickException as exc:
            buffer = io.StringIO()
            exc.show(buffer)
            sys.stderr.write(translate_click(buffer.getvalue()))
            if not standalone:
                raise
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone:
                raise
            sys.stderr.write("已中止。\n")
            sys.exit(1)
        if not standalone:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and i18n.message_lang() == "zh":
            localize(command, cmd_name)
        return command

    def make_context(
        self, info_name: Any, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        if i18n.message_lang() == "zh":
            from subsidycli.i18n.help_zh import APP

            self.help = APP
            localize(self, "")
        return super().make_context(info_name, args, parent=parent, **extra)


def localize(command: Any, name: str) -> None:
    """Put a command's help, and its options' and arguments', in Chinese (help_zh)."""
    from subsidycli.i18n.help_zh import COMMANDS

    if getattr(command, "_subsidy_zh", False):
        return
    command._subsidy_zh = True
    if name:
        command.help = COMMANDS.get(name, command.help)
    command.context_class = ZhContext
    for param in command.params:
        text = zh_help(name, param)
        if text is not None:
            param.help = text


def zh_help(command: str, param: Any) -> str | None:
    """A parameter's Chinese help from help_zh: "COMMAND --option", "--option", "COMMAND ARG"."""
    from subsidycli.i18n.help_zh import OPTIONS

    if param.param_type_name == "argument":
        return OPTIONS.get(f"{command} {param.name.upper()}")
    flag = max(param.opts, key=len)
    return OPTIONS.get(f"{command} {flag}", OPTIONS.get(flag))


class ZhHelpFormatter(click.formatting.HelpFormatter):
    """Help pages with Chinese headings and notes ("用法：", "选项", "[默认：…]")."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        from subsidycli.i18n.help_zh import HEADINGS

        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        from subsidycli.i18n.help_zh import HEADINGS

        def words(text: str) -> str:
            text = HEADINGS.get(text, text)
            text = re.sub(r"\[default: ", "［" + HEADINGS["default:"], text)
            return text.replace("[required]", f"［{HEADINGS['required']}］")

        super().write_dl([(term, words(text)) for term, text in rows], *args, **kwargs)


class ZhContext(click.Context):
    formatter_class = ZhHelpFormatter


# The framework's messages about the command line, in Chinese: (English pattern, Chinese).
CLICK_ZH = [
    (r"^Usage: ", "用法："),
    (r"^Try '(.+)' for help\.$", r"运行 '\1' 查看帮助。"),
    (r"^Error: ", "错误："),
    (r"No such option: (\S+)", r"没有选项 \1"),
    (r"\(Possible options: (.+)\)", r"（可用的选项：\1）"),
    (r"Did you mean (\S+)\?", r"您是否想用 \1？"),
    (r"Invalid value for (.+?): ", r"\1 的值无效："),
    (r"(.+) is not one of (.+)\.$", r"\1 不是 \2 之一。"),
    (r"(.+) is not a valid integer( range)?\.", r"\1 不是有效的整数。"),
    (r"(.+) is not in the range (.+)\.", r"\1 不在范围 \2 内。"),
    (r"Missing argument '(.+)'\.", r"缺少参数 '\1'。"),
    (r"Missing option '(.+)'\.", r"缺少选项 '\1'。"),
    (r"Option '(.+)' requires an argument\.", r"选项 '\1' 需要一个值。"),
    (r"Option '(.+)' does not take a value\.", r"选项 '\1' 不接受值。"),
    (r"Got unexpected extra arguments? \((.+)\)", r"多余的参数（\1）"),
    (r"No such command '(.+)'\.", r"没有命令 '\1'。"),
    (r"Missing command\.", "缺少命令。"),
    (r"File '(.+)' does not exist\.", r"文件 '\1' 不存在。"),
    (r"File '(.+)' is a directory\.", r"'\1' 是文件夹。"),
]


def translate_click(text: str) -> str:
    """A framework message (usage line, hint, error) in Chinese, line by line."""
    lines = []
    for line in text.split("\n"):
        for pattern, replacement in CLICK_ZH:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    return "\n".join(lines)
