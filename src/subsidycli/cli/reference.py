"""The reference commands: policies, articles, explain, schema, init."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from subsidycli.cli.app import app, reports_errors
from subsidycli.cli.console import print_data, warn
from subsidycli.cli.options import (
    DateOpt,
    LangOpt,
    ListFormatOpt,
    OverrideOpt,
    PolicyOpt,
    _overrides,
    choices,
)
from subsidycli.errors import SubsidyError
from subsidycli.i18n import t


@app.command()
@reports_errors
def articles(
    fmt: ListFormatOpt = "table",
    lang: LangOpt = None,  # read at start-up (cli.lang)
    policy_ref: PolicyOpt = None,
    day: DateOpt = None,
) -> None:
    """List every article of the policy: id, section, title, who may claim it, basis and cap.

    Examples:

    \b
      subsidy articles
      subsidy articles --format json --lang zh
    """
    from subsidycli import catalog
    from subsidycli.policy.load import load_policy_for
    from subsidycli.render.policy_views import articles_text

    policy = load_policy_for(policy_ref, None, day, warn)
    rows = catalog.article_rows(policy)
    if fmt == "json":
        print_data(rows)
    else:
        articles_text(rows, sys.stdout)


@app.command()
@reports_errors
def policies(
    fmt: Annotated[
        str, typer.Option("--format", "-f", click_type=choices("policies"), help="Output format.")
    ] = "table",
    lang: LangOpt = None,  # read at start-up (cli.lang)
    policy_ref: PolicyOpt = None,
    day: DateOpt = None,
) -> None:
    """List the bundled policies, and any given with --policy: id, title, issuer, region, dates,
    whether each is in force today (or on --date), expired, or states no dates, and how many
    articles it has.

    Examples:

    \b
      subsidy policies
      subsidy policies --policy my-city-2026.toml --format json
    """
    from subsidycli import catalog
    from subsidycli.policy import bundled_paths, load_policy, resolve
    from subsidycli.policy.load import evaluation_day
    from subsidycli.render.policy_views import policies_text

    when = evaluation_day(day)
    paths = {p.resolve(): p for p in [*bundled_paths(), *map(resolve, policy_ref or ())]}
    rows = catalog.policy_rows([load_policy(path) for path in paths.values()], when)
    if fmt == "json":
        print_data(rows)
    else:
        policies_text(rows, when, sys.stdout)


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
    fmt: ListFormatOpt = "table",
    lang: LangOpt = None,  # read at start-up (cli.lang)
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
    from subsidycli import catalog
    from subsidycli.policy.load import load_policy_for
    from subsidycli.render.policy_views import explain_text
    from subsidycli.render.table import write_lines

    policy = load_policy_for(policy_ref, _overrides(override))
    data = catalog.describe_article(policy, article_id)
    if fmt == "json":
        print_data(data)
    else:
        write_lines(explain_text(data), sys.stdout)


@app.command()
@reports_errors
def schema(policy_ref: PolicyOpt = None) -> None:
    """Print the JSON Schema (draft 2020-12) of a profile, with Chinese and English descriptions.

    Examples:

    \b
      subsidy schema > profile.schema.json
    """
    from subsidycli import catalog
    from subsidycli.policy.load import load_policy_for

    print_data(catalog.profile_schema(load_policy_for(policy_ref)))


@app.command()
@reports_errors
def init(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FILE]",
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
    from subsidycli.policy.load import load_policy_for
    from subsidycli.profile import profile_suffix

    policy = load_policy_for(policy_ref)
    if file is None:
        sys.stdout.write(catalog.template(policy, "toml"))
        return
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json", ".csv", ".xlsx"):
        shown = repr(suffix) if suffix else repr(t("(no suffix)"))
        raise SubsidyError(t("unknown template type {suffix} (use .toml or .json for a profile, "
                             ".csv or .xlsx for batch)", suffix=shown),
                           where=str(file))  # fmt: skip
    if file.exists() and not force:
        raise SubsidyError(t("already exists (use --force to replace it)"), where=str(file))
    from subsidycli.files import atomic_writer, write_atomic

    if suffix == ".xlsx":
        from subsidycli.output.templates import write_template_xlsx

        with atomic_writer(file) as handle:
            write_template_xlsx(policy, handle.buffer)
    elif suffix == ".csv":
        from subsidycli.output.templates import write_template_csv

        write_atomic(file, write_template_csv(policy), bom=True)  # the BOM: Excel reads UTF-8
    else:
        write_atomic(file, catalog.template(policy, profile_suffix(str(file))))
    typer.echo(t("wrote {file}", file=file), err=True)
