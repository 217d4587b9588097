"""The `subsidy` command: parse options, call the core, hand the result to `render`.

Start-up time is a feature: the core (pydantic) and rich are imported inside the commands that
need them, so `subsidy --help` costs little more than typer itself.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TypeVar

import typer

from subsidycli import __version__
from subsidycli.cli_lang import SubsidyGroup
from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

if TYPE_CHECKING:
    from subsidycli.engine import Evaluation
    from subsidycli.policy import Policy

app = typer.Typer(
    cls=SubsidyGroup,
    name="subsidy",
    help="Which subsidies can this organisation claim under the policy, and how much at most?\n\n"
    "哪些科技政策支持可以申报、最多能拿多少。Run `subsidy calc --help` to start.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


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


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Bad input becomes one line per problem on stderr and exit status 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SubsidyError as exc:
            for line in exc.lines():
                typer.echo(f"subsidy: {line}", err=True)
            raise typer.Exit(2) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    """A warning on stderr: the run goes on."""
    typer.echo(f"subsidy: {message}", err=True)


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


def load_policy_for(
    refs: list[str] | None, overrides: dict[str, str] | None = None, day: str | None = None
) -> Policy:
    """The policy a command works on: those named by --policy (combined), or the bundled ones.

    With `day` (YYYY-MM-DD), only the policies in force on that day are kept.
    """
    from subsidycli import policy as policies

    paths = [policies.resolve(ref) for ref in refs] if refs else policies.bundled_paths()
    loaded = [policies.load_policy(path, overrides) for path in dict.fromkeys(paths)]
    problems = policies.unmatched_overrides(loaded, overrides or {})
    if problems:
        from subsidycli.errors import Problems

        raise Problems(list(problems))
    if day is not None:
        import datetime as dt

        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            raise SubsidyError(
                t("--date {day}: expected a date as YYYY-MM-DD", day=repr(day))
            ) from None
        for undated in (p for p in loaded if not (p.meta.effective_from or p.meta.effective_to)):
            warn(
                t("--date {day}: {policy} states no dates of force (effective_from, "
                  "effective_to): it is used whatever the day", day=day, policy=undated.id)
            )  # fmt: skip
        in_force = [p for p in loaded if p.in_force(when)]
        if not in_force:
            spans = ", ".join(
                f"{p.id} ({p.meta.effective_from or '…'} – {p.meta.effective_to or '…'})"
                for p in loaded
            )
            raise SubsidyError(
                t("--date {day}: no policy in force on that day ({spans})", day=day, spans=spans)
            )
        loaded = in_force
    return policies.combine(loaded)


def receipt(
    policy: Policy, overrides: dict[str, str], profile: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What makes a calculation reproducible: tool, policy file hash, date, overrides, and the
    digest of the profile it was computed from (after --set), so two estimates can be told apart."""
    import datetime as dt

    data = {
        "tool": "subsidycli",
        "version": __version__,
        "policies": [
            {"id": p.id, "file": Path(p.path).name, "sha256": p.sha256} for p in policy.files
        ],
        "evaluated_on": dt.date.today().isoformat(),
        "overrides": overrides,
    }
    if profile is not None:
        from subsidycli.profile import digest

        data["profile_sha256"] = digest(profile)
    return data


def emit(
    evaluation: Evaluation, fmt: Format, show_all: bool, output: Path | None,
    receipt_data: dict[str, Any] | None,
) -> None:  # fmt: skip
    """Write an evaluation in `fmt` to stdout, or atomically to `output`."""
    from subsidycli import render

    if output is None:
        render.write(evaluation, fmt.value, show_all, sys.stdout, receipt_data)
    elif fmt is Format.xlsx:
        from subsidycli.files import atomic_writer

        with atomic_writer(output) as handle:
            render.write_xlsx(evaluation, handle.buffer)
    else:
        from subsidycli.files import write_atomic

        text = render.text(evaluation, fmt.value, show_all, receipt_data)
        write_atomic(output, text, bom=fmt is Format.csv)


@app.command()
@reports_errors
def calc(
    profile: Annotated[
        str | None,
        typer.Argument(
            help="Profile: a .json or .toml file, or - for JSON on stdin. "
            "Left out on a terminal: run the interview.",
            show_default=False,
        ),
    ] = None,
    set_: SetOpt = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            show_default=False,
            help="Output format [default: from --output's suffix (.json .csv .md .html .xlsx), "
            "else table]. html: a printable report with a chart, one self-contained file.",
        ),
    ] = None,  # fmt: skip
    lang: LangOpt = None,
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
      subsidy calc --set annual_rd_expense=1200万 --set deductible_rd_expense=1000万
      cat profile.json | subsidy calc - --format json
      subsidy calc profile.json -o report.html
      subsidy calc profile.json -o result.xlsx
    """
    from subsidycli import engine

    chosen = output_format(fmt, output)
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day)
    if profile is None and not set_:
        if sys.stdin.isatty():
            _interview(policy, {}, _lang(lang), None, chosen, show_all, overrides)
            return
        if _piped_profile():  # `echo '{…}' | subsidy calc` reads it, as `subsidy calc -` does
            profile = "-"
    data = read_profile_args(profile, set_, policy)
    evaluation = engine.evaluate(policy, data, _lang(lang))
    if assume_no:  # the fields that mattered and were unknown are named, never hidden
        from dataclasses import replace

        from subsidycli.profile import assume_no as fill

        assumed = evaluation.missing
        evaluation = replace(
            engine.evaluate(policy, fill(data, policy), _lang(lang)), assumed=assumed
        )
    emit(evaluation, chosen, show_all, output, receipt(policy, overrides, evaluation.profile))


def _piped_profile() -> bool:
    """Whether stdin brings a profile: a redirected file, or a pipe with something in it.

    A pipe that stays open without data (a harness that never closes stdin) is not waited for.
    """
    import os
    import select
    import stat

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stdin (tests): read it
        return bool(sys.stdin.readable() and _peek_in_memory())
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return os.fstat(fd).st_size > 0
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        ready, _, _ = select.select([fd], [], [], 0.05)
        return bool(ready) and _has_bytes(fd)
    return False


def _has_bytes(fd: int) -> bool:
    import fcntl
    import struct
    import termios

    try:
        waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return True
    return bool(waiting)


def _peek_in_memory() -> bool:
    buffer = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        position = buffer.tell()
        data = buffer.read(1)
        buffer.seek(position)
    except (OSError, ValueError):
        return False
    return bool(data)


def _read_stdin() -> str:
    """stdin decoded as a profile file is: a byte-order mark is fine; UTF-16 or binary is named."""
    from subsidycli.errors import ProfileError
    from subsidycli.files import decode
    from subsidycli.profile import MAX_INPUT_BYTES

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    raw = buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ProfileError([t("is larger than 10 MiB; use `subsidy batch`")], where="<stdin>")
    return decode(raw, "<stdin>")


def read_profile_args(
    profile: str | None, sets: list[str] | None, policy: Policy
) -> dict[str, Any]:
    """The profile named on the command line (file or - for stdin), with --set fields on top."""
    from subsidycli import profile as profiles
    from subsidycli.errors import ProfileError

    assignments, problems = profiles.parse_assignments(sets or ())
    data: dict[str, Any] = {}
    if profile is not None:  # every problem of the file and of --set is reported, together
        stdin_text = _read_stdin() if profile == "-" else None
        where = "<stdin>" if profile == "-" else profile
        try:
            data = profiles.parse_profile(profiles.read_profile(profile, stdin_text), policy, where)
        except ProfileError as exc:
            problems[:0] = exc.lines()
    try:
        data.update(profiles.parse_profile(assignments, policy, "--set"))
    except ProfileError as exc:
        problems += exc.lines()
    for key, value in assignments.items():
        if not value:  # `--set FIELD=`: unknown, whatever the file says (as a blank CSV cell)
            data.pop(key, None)
    if problems:
        raise ProfileError(problems)
    return data


def _interview(
    policy: Policy, start: dict[str, Any], lang: str, save: Path | None, fmt: Format,
    show_all: bool, overrides: dict[str, str], one_by_one: bool = False,
) -> None:  # fmt: skip
    from subsidycli.interview import check_save_path, run_interview

    if save is not None:
        check_save_path(str(save))  # refuse a bad --save before asking anything
    status = run_interview(
        policy, start, lang, save=str(save) if save else None, one_by_one=one_by_one,
        show=lambda evaluation: emit(
            evaluation, fmt, show_all, None, receipt(policy, overrides, evaluation.profile)
        ),
    )  # fmt: skip
    if status:
        raise typer.Exit(status)


@app.command()
@reports_errors
def interview(
    profile: Annotated[
        str | None,
        typer.Argument(
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
        Format, typer.Option("--format", "-f", help="Format of the result.")
    ] = Format.table,
    lang: LangOpt = None,
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
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day)
    start = read_profile_args(profile, set_, policy)
    _interview(policy, start, _lang(lang), save, fmt, show_all, overrides, one_by_one)


class ListFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _print_json(data: Any) -> None:
    from subsidycli.render import print_json

    print_json(data, sys.stdout)


ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]


@app.command()
@reports_errors
def articles(
    fmt: ListFormatOpt = ListFormat.table,
    lang: LangOpt = None,
    policy_ref: PolicyOpt = None,
    day: DateOpt = None,
) -> None:
    """List every article of the policy: id, section, title, who may claim it, basis and cap.

    Examples:

    \b
      subsidy articles
      subsidy articles --format json --lang zh
    """
    from subsidycli import catalog, render

    policy = load_policy_for(policy_ref, None, day)
    rows = catalog.article_rows(policy, _lang(lang))
    if fmt is ListFormat.json:
        _print_json(rows)
    else:
        render.articles_text(rows, _lang(lang), sys.stdout)


@app.command()
@reports_errors
def explain(
    article_id: Annotated[
        str,
        typer.Argument(
            metavar="ARTICLE_ID",
            help="An article id (gazelle) or its title, Chinese or English, or a unique part of "
            "one (首次评定瞪羚企业支持, 瞪羚).",
        ),
    ],
    fmt: ListFormatOpt = ListFormat.table,
    lang: LangOpt = None,
    policy_ref: PolicyOpt = None,
    override: OverrideOpt = None,
) -> None:
    """Show one article: its source text, who may claim, condition, formula, inputs, an example.

    The article may be named by its id or by its title (科技创新券 finds innovation-voucher).

    Examples:

    \b
      subsidy explain rd-investment-subsidy
      subsidy explain 科技创新券 --format json
    """
    from subsidycli import catalog, render

    policy = load_policy_for(policy_ref, _overrides(override))
    data = catalog.describe_article(policy, article_id, _lang(lang))
    if fmt is ListFormat.json:
        _print_json(data)
    else:
        render.write_lines(render.explain_text(data, _lang(lang)), sys.stdout)


@app.command()
@reports_errors
def schema(policy_ref: PolicyOpt = None) -> None:
    """Print the JSON Schema (draft 2020-12) of a profile, with Chinese and English descriptions.

    Examples:

    \b
      subsidy schema > profile.schema.json
    """
    from subsidycli import catalog

    _print_json(catalog.profile_schema(load_policy_for(policy_ref)))


@app.command()
@reports_errors
def init(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the template: a profile (.toml, .json) or a sheet for batch "
            "(.csv, .xlsx); stdout (TOML) if left out.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,  # fmt: skip
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    policy_ref: PolicyOpt = None,
) -> None:
    """Write a template: a profile with every field commented, or a sheet for `subsidy batch`.

    A profile template is accepted by `subsidy calc` as it stands (every field unknown); fill in
    what you know. A sheet (.csv, .xlsx) has Chinese headers, a row of field ids under them, one
    example row and the choices of the yes/no and applicant-type columns (dropdowns in .xlsx);
    one client a row, then `subsidy batch clients.xlsx -o results.xlsx`.

    Examples:

    \b
      subsidy init acme.toml
      subsidy init clients.xlsx
    """
    from subsidycli import catalog
    from subsidycli.profile import profile_suffix

    policy = load_policy_for(policy_ref)
    if file is None:
        sys.stdout.write(catalog.template(policy, "toml"))
        return
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json", ".csv", ".xlsx"):
        raise SubsidyError(t("unknown template type {suffix} (use .toml or .json for a profile, "
                             ".csv or .xlsx for batch)", suffix=repr(suffix or t("(no suffix)"))),
                           where=str(file))  # fmt: skip
    if file.exists() and not force:
        raise SubsidyError(t("already exists (use --force to replace it)"), where=str(file))
    from subsidycli.files import atomic_writer, write_atomic

    if suffix == ".xlsx":
        from subsidycli.sheets import write_template_xlsx

        with atomic_writer(file) as handle:
            write_template_xlsx(policy, handle.buffer)
    elif suffix == ".csv":
        from subsidycli.sheets import write_template_csv

        write_atomic(file, write_template_csv(policy), bom=True)  # the BOM: Excel reads UTF-8
    else:
        write_atomic(file, catalog.template(policy, profile_suffix(str(file))))
    typer.echo(f"wrote {file}", err=True)


@app.command()
@reports_errors
def lint(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[POLICY.toml ...]",
            help="Policy files; the bundled ones if none.",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    together: Annotated[
        list[Path] | None,
        typer.Option(
            "--with",
            metavar="POLICY.toml",
            help="Also check that each file can be used together with this one (as repeated "
            "--policy does): shared inputs declared alike. Repeatable.",
        ),
    ] = None,  # fmt: skip
    lang: LangOpt = None,  # the language of the messages: read at start-up (cli_lang)
) -> None:
    """Validate policy files: TOML syntax, schema, expressions, ids, and the source: every figure
    in `values` stated in its quote, every quote verbatim in `source_file`; as file:line: message.

    Exit status 2 when any file has a problem.

    Examples:

    \b
      subsidy lint
      subsidy lint policies/my-city-2026.toml
      subsidy lint policies/my-city-2026.toml --with zhenjiang-2024
      subsidy lint policies/my-city-2026.toml --lang zh
    """
    from subsidycli import catalog
    from subsidycli.policy import bundled_paths, resolve

    partners = [resolve(str(p)) for p in together or ()]
    problems, summaries = catalog.lint(files or bundled_paths(), partners)
    for line in summaries:
        typer.echo(line)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(2)


@app.command("test")
@reports_errors
def test_cases(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="CASES...", help="Case files (*.toml) or folders of them.", show_default=False
        ),
    ],
    policy_ref: Annotated[
        str | None,
        typer.Option(
            "--policy",
            "-p",
            metavar="PATH|ID",
            help="Test every case against this policy [default: the case's own `policy = …`, "
            "else the bundled policies].",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Run the law's cases: each case file is a profile and the results it expects.

    Prints each failing case with the expected and actual status and amount of each article
    that differs, then a `N passed, N failed` line. Exit status 1 when a case fails, 2 when a
    case file cannot be run. The format is that of tests/cases/*.toml (see policies/README.md).

    Examples:

    \b
      subsidy test tests/cases
      subsidy test my-cases/ --policy policies/my-city-2026.toml
    """
    from subsidycli import cases

    files = cases.case_files(paths)
    if not files:
        raise SubsidyError(t("no case files (*.toml) in {paths}", paths=", ".join(map(str, paths))))
    loaded: dict[str | None, Policy] = {}
    if policy_ref is not None:  # a bad --policy is the command's problem, not each case's
        loaded[policy_ref] = load_policy_for([policy_ref])
    passed = failed = broken = 0
    for path in files:
        try:
            case = cases.read_case(path)
            ref = policy_ref or cases.case_policy(path, case)
            if ref not in loaded:
                loaded[ref] = load_policy_for([ref] if ref else None)
            outcome = cases.run_case(path, loaded[ref], case, _lang(lang))
        except SubsidyError as exc:
            broken += 1
            for line in exc.lines():
                typer.echo(f"ERROR {line}", err=True)
            continue
        if outcome.passed:
            passed += 1
            continue
        failed += 1
        for line in cases.report(outcome):
            typer.echo(line)
    typer.echo(cases.summary(passed, failed + broken))
    if broken or failed:
        raise typer.Exit(2 if broken else 1)


@app.command()
@reports_errors
def diff(
    old: Annotated[
        str, typer.Argument(metavar="OLD", help="The earlier policy file (or bundled id).")
    ],
    new: Annotated[
        str, typer.Argument(metavar="NEW", help="The later policy file (or bundled id).")
    ],
    profile: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROFILE]",
            help="A profile: also show how its results change.",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    fmt: ListFormatOpt = ListFormat.table,
    lang: LangOpt = None,
) -> None:
    """Compare two policy files article by article: added, removed, amount, cap, condition.

    With a profile, also show how each of its results changes.

    Examples:

    \b
      subsidy diff zhenjiang-2024 my-draft.toml
      subsidy diff old.toml new.toml acme.json --format json
    """
    from subsidycli import catalog, render
    from subsidycli import policy as policies

    before = policies.load_policy(policies.resolve(old))
    after = policies.load_policy(policies.resolve(new))
    data = None
    if profile is not None:
        data = read_profile_args(profile, None, after)
    changes = catalog.diff(before, after, data, _lang(lang))
    if fmt is ListFormat.json:
        _print_json(changes)
    else:
        render.write_lines(render.diff_text(changes, _lang(lang)), sys.stdout)


class BatchFormat(enum.StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


InputFormatOpt = Annotated[
    BatchFormat | None,
    typer.Option("--input-format", "-i", show_default=False,
                 help="Input format [default: from INPUT's suffix; jsonl for -]"),
]  # fmt: skip


@app.command()
@reports_errors
def batch(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Profiles: a .jsonl file (one JSON object a line), a .csv file or an .xlsx "
            "workbook (a header row of field ids or Chinese labels), or - for stdin.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        BatchFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: from --output's suffix, else the input's format]",
            show_default=False,
        ),
    ] = None,
    input_format: InputFormatOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write to this file instead of "
            "stdout: complete, or not at all. A CSV file starts with a byte-order mark "
            "for Excel; .xlsx writes a workbook.",
        ),
    ] = None,
    lang: LangOpt = None,
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
    from subsidycli.files import atomic_writer

    in_fmt = _input_format(source, input_format)
    out_fmt = fmt.value if fmt else (output and batches.format_for(str(output))) or in_fmt
    if out_fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise SubsidyError(t("xlsx output is a workbook, not text: give it a file with "
                             "--output results.xlsx"))  # fmt: skip
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day)
    name = "<stdin>" if source == "-" else source
    options: dict[str, Any] = {
        "input_format": in_fmt, "output_format": out_fmt, "lang": _lang(lang),
        "explain": explain, "assume_no": assume_no, "fail_fast": fail_fast,
        "jobs": jobs, "loader": functools.partial(load_policy_for, policy_ref, overrides, day),
        "on_error": _report, "name": name, "strict": strict, "warn": _warn,
    }  # fmt: skip
    try:
        with contextlib.ExitStack() as stack:
            stream = _open_input(source, stack)
            options["progress"] = _progress_bar(stack, stream)
            if output is None:
                summary = batches.run(policy, stream, sys.stdout.buffer, **options)
                sys.stdout.buffer.flush()
                _no_records(summary.written + summary.failed, name)
            else:
                # A terminated run must not leave a half-written file: make SIGTERM an
                # interrupt, which the atomic writer answers by removing its temporary file.
                previous = signal.signal(signal.SIGTERM, _interrupt)
                stack.callback(signal.signal, signal.SIGTERM, previous)
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


class SummaryFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


SUMMARY_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown"}


@app.command()
@reports_errors
def summary(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            show_default=False,
            help="Profiles, as for `subsidy batch`: .jsonl, .csv, .xlsx, or - for stdin.",
        ),
    ],  # fmt: skip
    fmt: Annotated[
        SummaryFormat | None,
        typer.Option(
            "--format",
            "-f",
            show_default=False,
            help="Output format [default: from --output's suffix, else table]",
        ),
    ] = None,  # fmt: skip
    input_format: InputFormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
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
) -> None:
    """The population view: per article, how many organisations are eligible, how many need
    information, and the sum of their amounts; the grand total.

    With --override (or --baseline), the what-if beside the baseline, with the change per
    article: what raising a cap or lowering a threshold would cost over these organisations.
    Bad records are reported on stderr as `FILE:LINE: field: problem`, counted and left out; the
    exit status is then 1. Memory stays flat however long the input.

    Examples:

    \b
      subsidy summary clients.csv
      subsidy summary clients.csv --override rd-investment-subsidy.max=30万
      subsidy summary profiles.jsonl --policy draft.toml --baseline zhenjiang-2024 -f json
    """
    from subsidycli import render
    from subsidycli import summary as summaries

    in_fmt = _input_format(source, input_format)
    suffix = SUMMARY_SUFFIXES.get(output.suffix.lower()) if output else None
    out_fmt = fmt.value if fmt else suffix or "table"
    overrides = _overrides(override)
    policy = load_policy_for(policy_ref, overrides, day)
    baseline = None
    if baseline_ref or overrides:
        baseline = load_policy_for(baseline_ref or policy_ref, None, day)
    with contextlib.ExitStack() as stack:
        stream = _open_input(source, stack)
        result = summaries.summarise(
            policy, stream, input_format=in_fmt, lang=_lang(lang), baseline=baseline,
            assume_no=assume_no, on_error=_report, progress=_progress_bar(stack, stream),
            name="<stdin>" if source == "-" else source, warn=_warn,
        )  # fmt: skip
    _no_records(result.records + result.failed, "<stdin>" if source == "-" else source)
    if output is not None:
        from subsidycli.files import write_atomic

        if out_fmt == "table":
            import io

            buffer = io.StringIO()
            render.print_summary(result, buffer)
            text = buffer.getvalue()
        else:
            text = render.summary_text(result, out_fmt)
        write_atomic(output, text, bom=out_fmt == "csv")
    elif out_fmt == "table":
        render.print_summary(result, sys.stdout)
    else:
        sys.stdout.write(render.summary_text(result, out_fmt))
    raise typer.Exit(1 if result.failed else 0)


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


def _open_input(source: str, stack: contextlib.ExitStack[Any]) -> BinaryIO:
    """A batch input as a binary stream, closed with `stack`: a file, or stdin for `-`."""
    if source == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(source, "rb"))
    except FileNotFoundError:
        raise SubsidyError(t("no such file"), where=source) from None
    except OSError as exc:
        raise SubsidyError(exc.strerror or str(exc), where=source) from None


# The console of the live progress bar, while one is drawn: messages go through it.
_live: list[Any] = []


def _report(lines: list[str]) -> None:
    """A bad record's messages, on stderr: above a live progress bar, never on its line."""
    for line in lines:
        if _live:
            _live[-1].print(f"subsidy: {line}", markup=False, highlight=False, soft_wrap=True)
        else:
            typer.echo(f"subsidy: {line}", err=True)


def _warn(text: str) -> None:
    """A warning about the input as a whole (columns that name no field), on stderr as a bad
    record's messages are: above a live progress bar."""
    _report([text])


def _progress_bar(
    stack: contextlib.ExitStack[Any], stream: BinaryIO
) -> Callable[[int, int], None] | None:
    """On a terminal, a progress bar (profiles, profiles/s, time left) drawn on stderr until
    `stack` closes, and the callback that moves it; None for scripts and logs."""
    if not sys.stderr.isatty():
        return None
    import os
    import stat
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    info = os.fstat(stream.fileno())
    size = info.st_size if stat.S_ISREG(info.st_mode) else None
    bar = Progress(
        TextColumn("{task.fields[done]:,} profiles"), BarColumn(),
        TextColumn("{task.fields[rate]:,.0f}/s"), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip
    task = bar.add_task("batch", total=size, done=0, rate=0.0)
    started = time.monotonic()

    def tick(done: int, read: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        bar.update(task, completed=read, done=done, rate=rate)

    stack.enter_context(bar)
    _live.append(bar.console)
    stack.callback(_live.remove, bar.console)  # runs before the bar stops
    return tick


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the `subsidy` console script."""
    app()


if __name__ == "__main__":
    main()
