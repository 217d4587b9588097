"""The commands over many profiles: `batch` (one result a record, streamed) and `summary` (per
article, how many organisations and how much, with a what-if beside the baseline)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._types import TyperChoice

from subsidycli.cli.app import app, reports_errors
from subsidycli.cli.console import console, interrupt, warn
from subsidycli.cli.options import (
    AssumeNoOpt,
    DateOpt,
    InputFormatOpt,
    LangOpt,
    OutputOpt,
    OverrideOpt,
    PolicyOpt,
    _overrides,
    choices,
    output_path,
    refuse_inputs_as_output,
    suffix_format,
)
from subsidycli.cli.options import (
    input_format as format_of_input,
)
from subsidycli.cli.stdin import _open_input
from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

if TYPE_CHECKING:
    from collections.abc import Callable

    from subsidycli.policy import Policy


@app.command()
@reports_errors
def batch(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Profiles: a .jsonl file (one JSON object a line), a .csv file, an .xlsx "
            "workbook (a header row of field ids or Chinese labels), a .parquet file (columns "
            "named so), or - for stdin.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            click_type=choices("batch"),
            help="Output format [default: from --output's suffix, else the input's format; csv "
            "for Parquet]",
            show_default=False,
        ),
    ] = None,
    input_format: InputFormatOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            dir_okay=False,
            help="Write to this file instead of "
            "stdout: complete, or not at all. A CSV file starts with a byte-order mark "
            "for Excel; .xlsx writes a workbook.",
        ),
    ] = None,
    lang: LangOpt = None,  # read at start-up (cli.lang)
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse a sheet with a column that names no field (else it is "
            "ignored, with a warning).",
        ),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="JSON Lines: give each record calc's full results (titles, explanations, "
            "sources, gaps) instead of the lean ones.",
        ),
    ] = False,
    assume_no: AssumeNoOpt = False,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast", help="Stop at the first bad record; --output is then left as it was."
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            help="Processes to share the work; the output keeps the input's order.",
        ),
    ] = 1,
    policy_ref: PolicyOpt = None,
    override: OverrideOpt = None,
    day: DateOpt = None,
) -> None:
    """Evaluate many profiles: JSON Lines, CSV or .xlsx in and out, streaming.

    JSON Lines output: one lean object a record, in input order: line, name, total, missing and
    each article's status, amount, cap and missing fields (`--explain`: calc's full results;
    `subsidy articles --format json` gives the titles and sources once). CSV and .xlsx output:
    line, name, total, one column per cash article (they add up to the total), then each tax
    item's deduction and tax saving; Chinese headings under --lang zh. A sheet may be CSV in
    UTF-8, GB18030/GBK or UTF-16 (Excel's "Unicode text"), or a workbook; its header names
    fields by id or Chinese label (`subsidy init clients.xlsx` writes one); values may be
    Chinese (企业, 高校, 是, 否) and a blank cell is unknown. A bad record is reported on stderr
    as `FILE:LINE: field: problem` and the others are still written; the exit status is then 1
    (2 when the command itself is wrong, or the input holds no record). The last line on stderr
    says how many records were written and failed, and where the output went.

    Examples:

    \b
      subsidy batch clients.xlsx --output results.xlsx --lang zh
      subsidy batch clients.csv --output results.csv
      subsidy batch profiles.jsonl > results.jsonl
      cat profiles.jsonl | subsidy batch - --format csv --jobs 4
    """
    import codecs
    import functools
    import signal

    from subsidycli import batch as batches
    from subsidycli.files import atomic_writer, spool_folder
    from subsidycli.policy.load import load_policy_for

    output = output_path(output)
    in_fmt = format_of_input(source, input_format)
    # Parquet is read, never written: a table of results in, CSV out.
    out_fmt = fmt or suffix_format("batch", output) or (in_fmt if in_fmt != "parquet" else "csv")
    refuse_inputs_as_output(output, [source], policy_ref)
    jobs = _cap_jobs(jobs)
    if out_fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise SubsidyError(t("xlsx output is a workbook, not text: give it a file with "
                             "--output results.xlsx"))  # fmt: skip
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day, warn)
    _say_validity(policy)
    name = "<stdin>" if source == "-" else source
    options: dict[str, Any] = {
        "input_format": in_fmt, "output_format": out_fmt, "explain": explain,
        "assume_no": assume_no, "fail_fast": fail_fast,
        # Workers load the policy again, on the same day (a run may pass midnight).
        "jobs": jobs,
        "loader": functools.partial(load_policy_for, policy_ref, overrides, policy.evaluated_on),
        "on_error": console.report, "name": name, "strict": strict, "warn": console.warn,
    }  # fmt: skip
    try:
        with contextlib.ExitStack() as stack:
            stream = _open_input(source, stack)
            options["progress"] = console.progress(stack, stream)
            # A terminated run must not leave a half-written file, nor the workbook writer's
            # spool files: make SIGTERM an interrupt, which unwinds and removes them.
            previous = signal.signal(signal.SIGTERM, interrupt)
            stack.callback(signal.signal, signal.SIGTERM, previous)
            if out_fmt == "xlsx":  # the workbook's spool, where a later run finds what a kill left
                stack.enter_context(spool_folder())
            if output is None:
                summary = batches.run(policy, stream, sys.stdout.buffer, **options)
                sys.stdout.buffer.flush()
                _no_records(summary.written + summary.failed, name)
            else:
                handle = stack.enter_context(atomic_writer(output, newline=""))
                if out_fmt == "csv":
                    handle.buffer.write(codecs.BOM_UTF8)  # so that Excel reads the Chinese
                summary = batches.run(policy, stream, handle.buffer, **options)
                # Before the file is renamed into place: an input without records makes none.
                _no_records(summary.written + summary.failed, name)
                if summary.stopped:  # --fail-fast: the run is not complete, keep the earlier file
                    raise typer.Exit(1)
    except typer.Exit:  # stopped by --fail-fast: the output file is left as it was
        _batch_done(summary, str(output), kept=True)
        raise
    _batch_done(summary, str(output) if output else None)
    raise typer.Exit(1 if summary.failed else 0)


def _cap_jobs(jobs: int) -> int:
    """--jobs at most the CPUs this process may run on: more workers than CPUs only slow the
    run down. Said on stderr when it lowers the number."""
    import os

    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        available = os.cpu_count() or 1
    if jobs > available:
        warn(t("--jobs {jobs}: only {cpus} CPUs are available; using {cpus}", jobs=jobs,
               cpus=available))  # fmt: skip
        return available
    return jobs


def _no_records(count: int, name: str) -> None:
    """An input that holds no record is never a silent success."""
    if count == 0:
        raise SubsidyError(t("holds no record (it is empty, or a header without rows)"), where=name)


def _batch_done(summary: Any, output: str | None, kept: bool = False) -> None:
    """The last line on stderr: what was written, what failed, where the output went."""
    counts = {"written": f"{summary.written:,}", "failed": f"{summary.failed:,}"}
    if kept:
        done = t("records written: {written}, failed: {failed}; {file} not written (--fail-fast "
                 "stopped at the first bad record; an earlier file is left as it was)",
                 file=output, **counts)  # fmt: skip
    elif output is None:
        done = t("records written: {written}, failed: {failed}; output: stdout", **counts)
    else:
        done = t("records written: {written}, failed: {failed}; output: {file}", file=output,
                 **counts)  # fmt: skip
    typer.echo(f"subsidy: {done}", err=True)


@app.command()
@reports_errors
def summary(
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="INPUT",
            show_default=False,
            help="Profiles, as for `subsidy batch`: .jsonl, .csv, .xlsx, .parquet, or - for "
            "stdin (none with --emit-sql).",
        ),
    ] = None,  # fmt: skip
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            click_type=choices("summary"),
            show_default=False,
            help="Output format [default: from --output's suffix, else table]",
        ),
    ] = None,  # fmt: skip
    input_format: InputFormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,  # read at start-up (cli.lang)
    assume_no: AssumeNoOpt = False,
    policy_ref: PolicyOpt = None,
    override: OverrideOpt = None,
    baseline_ref: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            metavar="PATH|ID",
            help="The policy to compare with [default: --policy without --override]. Repeatable.",
        ),
    ] = None,  # fmt: skip
    day: DateOpt = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            click_type=TyperChoice(["duckdb", "python"]),
            help="duckdb: the policy compiled to SQL (where it compiles; else python, said on "
            "stderr); python: the reference engine.",
        ),
    ] = "duckdb",
    emit_sql: Annotated[
        str | None,
        typer.Option(
            "--emit-sql",
            click_type=TyperChoice(["duckdb", "spark", "trino", "postgres"]),
            help="Print the summary query for a table of profiles (--table) in this SQL dialect, "
            "and read no INPUT: to run it where the data lives.",
        ),
    ] = None,  # fmt: skip
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            metavar="NAME",
            show_default=False,
            help="With --emit-sql: the table of profiles, one text column per input "
            "[default: profiles]; schema.table is allowed.",
        ),
    ] = None,  # fmt: skip
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            metavar="ARTICLE.KEY=V1,V2,…",
            show_default=False,
            help="The cost curve of one number of an article (a value, a rate, a threshold, "
            "cap or amount): per value, how many are eligible, the article's sum and the total, "
            "in one read of INPUT. Values as --override takes them, or a range FROM..TO/STEP "
            "(TO included when a step reaches it), at most 200. On top of any --override; "
            "--format html draws the chart.",
        ),
    ] = None,  # fmt: skip
) -> None:
    """The population view: per article, how many organisations are eligible, how many need
    information, and the sum of their amounts; the grand total.

    With --override (or --baseline), the what-if beside the baseline, with the change per
    article: what raising a cap or lowering a threshold would cost over these organisations.
    With --sweep, the cost curve of one number over many values, in one read of the input.
    Bad records are reported on stderr as `FILE:LINE: field: problem`, counted and left out; the
    exit status is then 1. Memory stays flat however long the input.

    Examples:

    \b
      subsidy summary clients.csv
      subsidy summary clients.csv --override rd-investment-subsidy.max=30万
      subsidy summary profiles.jsonl -p draft.toml --baseline zhenjiang-2024
      subsidy summary --emit-sql spark --table crm.profiles > summary.sql
      subsidy summary reg.parquet --sweep rd-investment-subsidy.max=5万..30万/5万
      subsidy summary reg.csv --sweep rd-investment-subsidy.rate=1%,2% -o c.html
    """
    from subsidycli import summary as summaries
    from subsidycli.policy.load import load_policy_for
    from subsidycli.render.summary import print_summary, summary_text

    output = output_path(output)
    if emit_sql is not None or table is not None:
        _alone_with_emit_sql(emit_sql, table, source, {
            "--format": fmt, "--input-format": input_format, "--baseline": baseline_ref,
            "--engine": engine != "duckdb" or None, "--sweep": sweep,
        })  # fmt: skip
        policy = load_policy_for(policy_ref, _overrides(override), day, warn)
        _say_validity(policy)
        _write_sql(policy, emit_sql, table, assume_no, output, policy_ref)
        return
    if source is None:
        raise SubsidyError(t("Missing argument 'INPUT': the profiles to add up (or --emit-sql "
                             "DIALECT, for the query alone)."))  # fmt: skip
    in_fmt = format_of_input(source, input_format)
    out_fmt = fmt or suffix_format("summary", output) or "table"
    if out_fmt == "html" and sweep is None:
        raise SubsidyError(t("summary's HTML is the chart of a sweep: give --sweep ARTICLE.KEY="
                             "V1,V2,…, or choose another --format"))  # fmt: skip
    refuse_inputs_as_output(output, [source], [*(policy_ref or ()), *(baseline_ref or ())] or None)
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day, warn)
    _say_validity(policy)
    baseline = None
    if baseline_ref or overrides:
        baseline = load_policy_for(baseline_ref or policy_ref, None, day, warn)
    if sweep is not None:
        _sweep(sweep, policy, baseline, source, engine=engine, out_fmt=out_fmt, output=output,
               load=lambda more: load_policy_for(policy_ref, {**overrides, **more}, day),
               overrides=overrides, input_format=in_fmt, assume_no=assume_no)  # fmt: skip
    policies = [policy, *([baseline] if baseline is not None else [])]
    population = _read(source, _engine(engine, summaries.tally, summaries.tally_sql), policies,
                       input_format=in_fmt, assume_no=assume_no)  # fmt: skip
    _deliver(population.summary(baseline is not None), print_summary, summary_text, out_fmt,
             output)  # fmt: skip
    raise typer.Exit(1 if population.failed else 0)


def _alone_with_emit_sql(dialect: str | None, table: str | None, source: str | None,
                         others: dict[str, Any]) -> None:  # fmt: skip
    """Refuse what --emit-sql cannot go with: it reads no INPUT and runs nothing."""
    if dialect is None:
        raise SubsidyError(t("--table names the table of --emit-sql: give --emit-sql DIALECT too"))
    if source is not None:
        raise SubsidyError(t("--emit-sql prints the query and reads no INPUT: leave {input} out",
                             input=source))  # fmt: skip
    for option, value in others.items():
        if value:
            raise SubsidyError(t("--emit-sql cannot go with {option}", option=option))


def _write_sql(policy: Policy, dialect: str | None, table: str | None, assume_no: bool,
               output: Path | None, policy_ref: list[str] | None) -> None:  # fmt: skip
    """The query on stdout, or in the file --output names; a policy the compiler does not
    know is an error saying why (there is no Python engine to fall back on in a database)."""
    from subsidycli.output.dialects import emit_sql
    from subsidycli.sql import Unsupported

    assert dialect is not None
    try:
        text = emit_sql(policy, dialect, table or "profiles", assume_no)
    except Unsupported as exc:
        raise SubsidyError(t("--emit-sql: {why}", why=exc.message)) from None
    if output is None:
        sys.stdout.write(text)
        return
    from subsidycli.files import write_atomic

    refuse_inputs_as_output(output, [], policy_ref)
    write_atomic(output, text)


def _engine(engine: str, python: Callable[..., Any], sql: Callable[..., Any]) -> Any:
    """The function of the engine asked for (`summarise`, or `tally` for several policies over
    one read): DuckDB's (`sql`), falling back to Python's (said once on stderr) for a policy the
    SQL compiler does not know."""
    if engine == "python":
        return python

    def run(policy: Any, stream: Any, **options: Any) -> Any:
        from subsidycli.sql import Unsupported

        try:
            return sql(policy, stream, **options)
        except Unsupported as exc:
            warn(t("{why}: running the Python engine", why=exc.lines()[0]))
            return python(policy, stream, **options)

    return run


def _read(source: str, run: Callable[..., Any], policy: Any, **options: Any) -> Any:
    """`run` (an engine's summarise or tally) over the profiles of INPUT, with the progress bar
    and each bad record on stderr; an input without records is an error."""
    name = "<stdin>" if source == "-" else source
    with contextlib.ExitStack() as stack:
        stream = _open_input(source, stack)
        result = run(policy, stream, on_error=console.report, name=name, warn=console.warn,
                     progress=console.progress(stack, stream), **options)  # fmt: skip
    _no_records(result.records + result.failed, name)
    return result


def _deliver(result: Any, draw: Callable[[Any, Any], None], text: Callable[[Any, str], str],
             out_fmt: str, output: Path | None) -> None:  # fmt: skip
    """`result` as the table `draw` draws (to the terminal's width on stdout), or as the `text`
    of another format; on stdout, or in the file --output names, complete or not at all (a CSV
    file with a byte-order mark, so that Excel reads the Chinese)."""
    if output is None:
        if out_fmt == "table":
            draw(result, sys.stdout)
        else:
            sys.stdout.write(text(result, out_fmt))
        return
    import io

    from subsidycli.files import write_atomic

    buffer = io.StringIO()
    if out_fmt == "table":
        draw(result, buffer)
    else:
        buffer.write(text(result, out_fmt))
    write_atomic(output, buffer.getvalue(), bom=out_fmt == "csv")


def _sweep(option: str, policy: Policy, baseline: Policy | None, source: str, *, engine: str,
           out_fmt: str, output: Path | None, load: Any, overrides: dict[str, str],
           input_format: str, assume_no: bool) -> None:  # fmt: skip
    """`summary --sweep`: one policy per value (on top of --override), all tallied in one read
    of the input, written as the curve; exits."""
    from subsidycli import summary as summaries
    from subsidycli import sweep as sweeps
    from subsidycli.render.sweep import print_sweep, sweep_text

    plan = sweeps.plan(policy, option, overrides)
    policies = [policy, *([baseline] if baseline is not None else []), *sweeps.policies(plan, load)]
    population = _read(source, _engine(engine, summaries.tally, summaries.tally_sql), policies,
                       input_format=input_format, assume_no=assume_no)  # fmt: skip
    curve = sweeps.curve(plan, population, baseline is not None)
    _deliver(curve, print_sweep, sweep_text, out_fmt, output)
    raise typer.Exit(1 if population.failed else 0)


def _say_validity(policy: Policy) -> None:
    """A policy not in force on the day, said on stderr: computed, its amounts not in the total."""
    from subsidycli.catalog import validity_notes

    for note in validity_notes(policy):
        warn(note)
