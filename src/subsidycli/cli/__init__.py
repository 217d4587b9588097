"""The `subsidy` command: the Typer app and its commands, grouped by job.

app (the app, its error edge), options (the shared options and the one table of formats), stdin,
console (warnings and the progress bar), then the commands: calc (calc, interview), reference
(policies, articles, explain, schema, init), authoring (lint, test, diff), batch (batch, summary).
Start-up time is a feature: the core (pydantic) and rich are imported inside the commands that
need them, so `subsidy --help` costs little more than typer itself.
"""

from subsidycli.cli.app import app

# Each module adds its commands to `app`; `subsidy --help` lists them in this order.
# isort: off
from subsidycli.cli import calc, reference, authoring, batch  # noqa: F401, E402
# isort: on


def main() -> None:
    """Entry point of the `subsidy` console script."""
    app()


__all__ = ["app", "main"]
