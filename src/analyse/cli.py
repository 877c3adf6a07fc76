"""The ``analyse`` command line.

Expected user errors (bad files, bad parameters) are printed as a list of problems with exit
status 2 and no traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from analyse.errors import InputError

app = typer.Typer(
    name="analyse",
    help="Digital maturity of French local authorities: validate, simulate, analyse, publish.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
console = Console(highlight=False, soft_wrap=True)

USER_ERROR = 2


def report_input_error(exc: InputError) -> None:
    n = len(exc.problems)
    err_console.print(f"[bold red]{n} problem{'s' if n != 1 else ''} found:[/]")
    for problem in exc.problems:
        err_console.print(f"  - {problem}", markup=False)


@app.callback()
def _root() -> None:
    """Digital maturity of French local authorities: validate, simulate, analyse, publish."""


@app.command()
def version() -> None:
    """Print the package version."""
    from analyse import __version__

    console.print(__version__)


def main() -> None:
    try:
        app()
    except InputError as exc:
        report_input_error(exc)
        sys.exit(USER_ERROR)

