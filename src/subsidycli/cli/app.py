"""The `subsidy` command: parse options, call the core, hand the result to `render`.

Start-up time is a feature: the core (pydantic) and rich are imported inside the commands that
need them, so `subsidy --help` costs little more than typer itself.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from subsidycli import __version__
from subsidycli.cli.lang import SubsidyGroup
from subsidycli.errors import SubsidyError

app = typer.Typer(
    cls=SubsidyGroup,
    name="subsidy",
    help="Which subsidies can this organisation claim under the policy, and how much at most?\n\n"
    "哪些政策支持可以申报、最多能拿多少。Run `subsidy calc --help` to start.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Bad input becomes one line per problem on stderr and exit status 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            finally:  # what is still buffered fails here, where it is reported, not at exit
                sys.stdout.flush()
        except SubsidyError as exc:
            for line in exc.lines():
                typer.echo(f"subsidy: {line}", err=True)
            raise typer.Exit(2) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except OSError as exc:  # stdout on a full disk (/dev/full), a full temporary folder
            from subsidycli.files import FULL
            from subsidycli.i18n import t

            if exc.errno not in FULL:
                raise
            _drop_stdout()
            where = f"{exc.filename}: " if exc.filename else ""
            why = t("cannot write: {why}", why=exc.strerror)
            typer.echo(f"subsidy: {where}{why}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that what could not be written is not tried again at exit
    (which would print a traceback and exit 120)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _version(value: bool) -> None:
    if value:
        typer.echo(f"subsidycli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Which subsidies can this organisation claim under the policy, and how much at most?"""
