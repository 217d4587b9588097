"""The authoring commands: lint, test, diff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from subsidycli.cli.app import app, reports_errors
from subsidycli.cli.console import print_data, warn
from subsidycli.cli.options import LangOpt, ListFormatOpt
from subsidycli.cli.stdin import read_profile_args
from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

if TYPE_CHECKING:
    from subsidycli.policy import Policy


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
    lang: LangOpt = None,  # read at start-up (cli.lang)
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
    from subsidycli.lint import check_files
    from subsidycli.policy import bundled_paths, resolve

    partners = [resolve(str(p)) for p in together or ()]
    problems, summaries = check_files(files or bundled_paths(), partners, warn)
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
    lang: LangOpt = None,  # read at start-up (cli.lang)
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
    from subsidycli.policy.load import load_policy_for

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
            day = cases.case_day(path, case)  # a family's version is chosen for the case's day
            key = f"{ref}@{day}" if day and ref != policy_ref else ref
            if key not in loaded:
                loaded[key] = load_policy_for([ref] if ref else None, day=day and day.isoformat())
            outcome = cases.run_case(path, loaded[key], case)
        except SubsidyError as exc:
            broken += 1
            for line in exc.lines():
                typer.echo(t("ERROR {problem}", problem=line), err=True)
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
    fmt: ListFormatOpt = "table",
    lang: LangOpt = None,  # read at start-up (cli.lang)
) -> None:
    """Compare two policy files article by article: added, removed, amount, cap, condition.

    With a profile, also show how each of its results changes.

    Examples:

    \b
      subsidy diff zhenjiang-2024 my-draft.toml
      subsidy diff old.toml new.toml acme.json --format json
    """
    from subsidycli import catalog
    from subsidycli import policy as policies
    from subsidycli.render.policy_views import diff_text
    from subsidycli.render.table import write_lines

    before = policies.load_policy(policies.resolve(old))
    after = policies.load_policy(policies.resolve(new))
    data = None
    if profile is not None:
        data = read_profile_args(profile, None, after)
    changes, totals = catalog.compare(before, after, data)
    if fmt == "json":
        print_data(changes)
    else:
        write_lines(diff_text(changes, totals), sys.stdout)


