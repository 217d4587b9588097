"""The commands that compute: `calc` (one profile, every article) and `interview` (the
questions, then calc's result)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from subsidycli.cli.app import app, reports_errors
from subsidycli.cli.console import warn
from subsidycli.cli.options import (
    AssumeNoOpt,
    DateOpt,
    LangOpt,
    OutputOpt,
    OverrideOpt,
    PolicyOpt,
    SetOpt,
    _overrides,
    choices,
    output_format,
    output_path,
    refuse_inputs_as_output,
)
from subsidycli.cli.stdin import _piped_profile, read_profile_args

if TYPE_CHECKING:
    from subsidycli.engine import Evaluation
    from subsidycli.policy import Policy


def emit(
    evaluation: Evaluation, fmt: str, show_all: bool, output: Path | None,
    receipt_data: dict[str, Any] | None,
) -> None:  # fmt: skip
    """Write an evaluation in `fmt` to stdout, or atomically to `output`."""
    from subsidycli.render.calc import text, write

    if output is None:
        write(evaluation, fmt, show_all, sys.stdout, receipt_data)
    elif fmt == "xlsx":
        from subsidycli.files import atomic_writer, spool_folder
        from subsidycli.output.xlsx import write_xlsx

        with atomic_writer(output) as handle, spool_folder():
            write_xlsx(evaluation, handle.buffer)
    else:
        from subsidycli.files import write_atomic

        write_atomic(output, text(evaluation, fmt, show_all, receipt_data), bom=fmt == "csv")


@app.command()
@reports_errors
def calc(
    profile: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROFILE]",
            help="Profile: a .json or .toml file, or - for JSON on stdin. "
            "Left out on a terminal: run the interview.",
            show_default=False,
        ),
    ] = None,
    set_: SetOpt = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            click_type=choices("calc"),
            show_default=False,
            help="Output format [default: from --output's suffix (.json .csv .md .html .xlsx), "
            "else table]. html: a printable report with a chart, one self-contained file.",
        ),
    ] = None,  # fmt: skip
    lang: LangOpt = None,  # read at start-up (cli.lang)
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Also show the articles that do not apply.")
    ] = False,
    assume_no: AssumeNoOpt = False,
    output: OutputOpt = None,
    policy_ref: PolicyOpt = None,
    override: OverrideOpt = None,
    day: DateOpt = None,
) -> None:
    """Show every article of the policy with its status, maximum amount, cap and reason.

    Fields left out are unknown, not zero: articles that need them say so, and the footer lists
    what to answer next. Money may be written 12000000, 12,000,000, ¥12,000,000.00, 1200万 or 1.2亿.

    Examples:

    \b
      subsidy calc profile.json
      subsidy calc --policy liuhe-2023 --set fixed_asset_investment=2000万
      cat profile.json | subsidy calc - --format json
      subsidy calc profile.json -o report.html
      subsidy calc profile.json -o result.xlsx
    """
    from subsidycli import engine
    from subsidycli.output.data import receipt
    from subsidycli.policy.load import load_policy_for

    output = output_path(output)
    chosen = output_format("calc", fmt, output)
    refuse_inputs_as_output(output, [profile], policy_ref)
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day, warn)
    if profile is None and not set_:
        if sys.stdin.isatty():
            _interview(policy, {}, None, chosen, show_all, overrides, output=output)
            return
    if chosen != "table":  # a table says it in its headline
        _say_validity(policy)
        if _piped_profile():  # `echo '{…}' | subsidy calc` reads it, as `subsidy calc -` does
            profile = "-"
    data = read_profile_args(profile, set_, policy)
    from subsidycli.render.calc import explained_for

    with explained_for(chosen):  # explanations in the unit of the view's amounts
        evaluation = engine.evaluate(policy, data)
        if assume_no:  # the fields that mattered and were unknown are named, never hidden
            from dataclasses import replace

            from subsidycli.profile import assume_no as fill

            assumed = evaluation.missing
            evaluation = replace(engine.evaluate(policy, fill(data, policy)), assumed=assumed)
    emit(evaluation, chosen, show_all, output, receipt(policy, overrides, evaluation.profile))


def _interview(
    policy: Policy, start: dict[str, Any], save: Path | None, fmt: str, show_all: bool,
    overrides: dict[str, str], one_by_one: bool = False, output: Path | None = None,
) -> None:  # fmt: skip
    from subsidycli.interview import check_save_path, run_interview
    from subsidycli.output.data import receipt

    if save is not None:
        check_save_path(str(save))  # refuse a bad --save before asking anything
    _say_validity(policy)  # before the first question: what follows would not be paid today
    from subsidycli.render.calc import explained_for

    with explained_for(fmt):  # explanations in the unit of the view's amounts
        status = run_interview(
            policy, start, save=str(save) if save else None, one_by_one=one_by_one,
            show=lambda evaluation: emit(  # `calc -o report.html` on a terminal: to the file
                evaluation, fmt, show_all, output, receipt(policy, overrides, evaluation.profile)
            ),
        )  # fmt: skip
    if status:
        raise typer.Exit(status)


def _say_validity(policy: Policy) -> None:
    """A policy not in force on the day, said on stderr: computed, not in the total."""
    from subsidycli.catalog import validity_notes

    for note in validity_notes(policy):
        warn(note)


@app.command()
@reports_errors
def interview(
    profile: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROFILE]",
            help="A partial profile (.json or .toml) to start from.", show_default=False
        ),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Write the completed profile here (.json or .toml), atomically.",
            dir_okay=False,
        ),
    ] = None,  # fmt: skip
    set_: SetOpt = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", click_type=choices("calc"), help="Format of the result."),
    ] = "table",
    lang: LangOpt = None,  # read at start-up (cli.lang)
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Also show the articles that do not apply.")
    ] = False,
    one_by_one: Annotated[
        bool,
        typer.Option(
            "--one-by-one",
            help="One question a prompt, in the policy's order, instead of checklists "
            "(for screen readers and scripts driving a terminal).",
        ),
    ] = False,
    policy_ref: PolicyOpt = None,
    override: OverrideOpt = None,
    day: DateOpt = None,
) -> None:
    """Answer a few questions, in Chinese or English, and see what the organisation can claim.

    Only what can still change a result is asked: the applicant type, the amounts (R&D expense,
    cooperation expense), then checklists of the yes/no and count items answered in one line
    (1,3,5; Enter for none; ? for not known), then how many of each item ticked. Amounts as you
    write them (1200万, 1.2亿, １２００万). q saves the answers so far and quits; Ctrl-C quits
    without saving.

    Examples:

    \b
      subsidy interview
      subsidy interview draft.toml --save acme.toml --lang zh
    """
    from subsidycli.policy.load import load_policy_for
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day, warn)
    start = read_profile_args(profile, set_, policy)
    _interview(policy, start, save, fmt, show_all, overrides, one_by_one)


