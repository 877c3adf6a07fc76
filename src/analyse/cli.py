"""The ``analyse`` command line.

Expected user errors (bad files, bad parameters) are printed as a list of problems with exit
status 2 and no traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import inspect
import os
import shlex
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from analyse.errors import InputError, Problem

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
# The machine's faults a run cannot work around, said in words with exit status 1 (not the
# user's input: exit 2; not a bug: a traceback): a full disk, a quota, a read-only file system.
SYSTEM_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})
LAST_GOOD_KEPT = "nothing more was published; the last good report of each run is kept"


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


@app.command()
def validate(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Survey file: .csv, .txt, .tsv, .xlsx, .sav or .parquet (or give --params)."
        ),
    ] = None,
    params: Annotated[
        Path | None,
        typer.Option(
            "--params",
            help="Parameter file: check its survey exactly as 'analyse run' would see it.",
        ),
    ] = None,
    codebook: Annotated[
        Path | None, typer.Option(help="Codebook YAML (default: data/codebook.yaml).")
    ] = None,
    columns: Annotated[
        Path | None,
        typer.Option(help="YAML mapping 'contract_column: name in the file'."),
    ] = None,
    answer_labels: Annotated[
        Path | None,
        typer.Option(help="YAML mapping 'answer label: level' for item columns, e.g. 'Oui: 3'."),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            help="Worksheet of an .xlsx survey: its name, or its 0-based position "
            "(default: the first)."
        ),
    ] = None,
) -> None:
    """Check a survey against the data contract and the codebook; list every problem.

    Either a survey FILE (with --codebook, --columns, --answer-labels), or --params FILE: the
    survey of a parameter file with everything its run applies. Warnings (one SIREN answering
    twice, a model term with few distinct values) are printed and do not fail the check.
    """
    from analyse.data.cells import release_memory, return_freed_memory

    return_freed_memory()  # a large export's footprint: benchmarks/validate_memory.py
    given = [name for name, value in (("--codebook", codebook), ("--columns", columns),
             ("--answer-labels", answer_labels), ("--sheet", sheet))
             if value is not None]  # fmt: skip
    if (file is None) == (params is None):
        raise InputError(
            [
                Problem(
                    "(command line)",
                    "give either a survey file or --params, not "
                    + ("both" if file is not None else "neither"),
                    expected="analyse validate SURVEY [--columns ...] or "
                    "analyse validate --params params/NAME.yaml",
                )
            ]
        )
    if params is not None and given:
        raise InputError(
            [
                Problem(
                    "(command line)",
                    f"{', '.join(given)} cannot be combined with --params: the parameter file "
                    "says which codebook and mappings its run uses",
                    expected="analyse validate --params FILE alone",
                )
            ]
        )
    if params is not None:
        from analyse.params import load_params

        loaded = load_params(params)  # a bad file fails before the pipeline is imported
        from analyse.pipeline.preflight import check_params

        checked = check_params(loaded)
        console.print(checked.render(), markup=False)
        report_warnings(checked.warnings)
        if checked.error is not None:
            raise checked.error  # after the summary that explains it: exit 2
        return
    from analyse.data.survey_check import check_file_scored

    assert file is not None
    summary, warnings, scored = check_file_scored(
        file, codebook, columns=columns, answer_labels=answer_labels, sheet=sheet
    )
    # the raw and whole scored tables were freed on return: hand their pages back before the
    # model's check allocates its own (about 280 MB on a 200 MB file, otherwise kept by the C
    # library's allocator below the peak; benchmarks/validate_memory.py)
    release_memory()
    from analyse.pipeline.preflight import alpha_lines

    console.print("\n".join([summary.render(), *alpha_lines(summary.reliability)]), markup=False)
    report_warnings(warnings)
    # as --params checks its run's model: a file whose model cannot be fitted (one row, every
    # row left out) would stop a run with the default parameters, so it fails here too
    from analyse.stats.regression import check_identifiable

    check_identifiable(scored, file=str(file))  # InputError after the summary: exit 2


def report_warnings(warnings: list[str]) -> None:
    """Warnings on stderr, one per line, each starting with "warning:"."""
    for text in warnings:
        err_console.print("[bold yellow]warning:[/] ", end="")
        err_console.print(text, markup=False)


@app.command("draft-mapping")
def draft_mapping(
    export: Annotated[
        Path, typer.Argument(help="Survey export: .csv, .txt, .tsv, .xlsx, .sav or .parquet.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Folder of the drafted files (default: the export's folder)."),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            help="Codebook whose item texts are matched to headers (default: data/codebook.yaml)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite drafted files that exist.")] = False,
    sheet: Annotated[
        str | None,
        typer.Option(
            help="Worksheet of an .xlsx export: its name, or its 0-based position (default: "
            "the first); written as data.sheet in params.yaml."
        ),
    ] = None,
) -> None:
    """Draft columns.yaml, answers.yaml, types.yaml and params.yaml for a new export.

    Every column of the export is listed (roles guessed from the headers), every text answer
    of the item-like columns with its count, every type value. Confident guesses are filled
    in (the codebook's level labels, the contract's type names such as « Une métropole »,
    « Un EPCI (hors métropole) » -> epci); non-answers (« Ne sait pas ») stay null; uncertain
    ones are null and marked CHECK. params.yaml runs the export with them: check it with
    'analyse validate --params DIR/params.yaml'. Existing files are never overwritten without
    --force.
    """
    from analyse.data.codebook import load_codebook
    from analyse.data.draft_mapping import draft_mapping as draft
    from analyse.data.draft_mapping import sheet_notes, write_draft

    drafted = draft(export, load_codebook(codebook), sheet=sheet)
    target = out if out is not None else export.parent
    written = write_draft(drafted, target, force=force, codebook=codebook)
    report_warnings(sheet_notes(drafted))
    console.print(
        f"Drafted from {export}: {len(drafted.guesses)} of {len(drafted.columns)} columns "
        "guessed. Look over the lines marked CHECK, then check with:\n"
        f"  analyse validate --params {shlex.quote(str(target / 'params.yaml'))}\n"
        "Files written:",
        markup=False,
    )
    for path in written:
        console.print(f"  {path}", markup=False)


@app.command()
def simulate(
    design: Annotated[
        str,
        typer.Option(
            help="barometre-2025 (56 EPCI like the 2025 panel), census-epci (all 1,255 EPCI), "
            "census-communes (all 34,957 inhabited communes), random (--n bodies: EPCI up to "
            "1,255; beyond, every tier: communes, EPCI, EPT, départements, régions)."
        ),
    ] = "barometre-2025",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 2025,
    out: Annotated[
        Path | None,
        typer.Option(
            help="CSV to write (a path ending in .csv); the truth goes beside it (default: "
            "synthetic_survey.csv, or synthetic_export.csv with --format export)."
        ),
    ] = None,
    n: Annotated[
        int | None,
        typer.Option(
            help="Sample size of the random design: up to 1,255, a simple random sample of "
            "EPCI; beyond (up to 1,000,000), a sample of every tier stratified by type in "
            "proportion to the frame, at least 5 of each type, bodies repeated past a "
            "type's count."
        ),
    ] = None,
    size_effect: Annotated[
        float, typer.Option(help="True latent size effect per unit of ln(population).")
    ] = 0.0,
    format: Annotated[  # noqa: A002 - the option users type is --format
        str,
        typer.Option(
            "--format",
            help="contract: the data contract's columns; export: a messy survey-tool export "
            "(French questions and labels, SIRET, type labels, other bodies, missing "
            "populations) to read through mappings.",
        ),
    ] = "contract",
) -> None:
    """Write a synthetic survey drawn from the real frame of collectivities, with its known
    truth."""
    from analyse.data import simulate as sim

    if format not in ("contract", "export"):
        raise InputError(
            [Problem("--format", "unknown format", value=format, expected="contract or export")]
        )
    if out is not None and out.suffix.lower() != ".csv":
        # both formats are CSV text: a workbook's name would hold CSV a spreadsheet cannot open
        raise InputError(
            [
                Problem(
                    "--out",
                    "simulate writes a CSV file (either --format), not "
                    + (f"a {out.suffix} file" if out.suffix else "a file without extension"),
                    value=str(out),
                    expected="a path ending in .csv (a spreadsheet opens it and can save it "
                    "as .xlsx)",
                )
            ]
        )
    try:
        if format == "export":
            table = sim.generate_export(design=design, seed=seed, n=n, size_effect=size_effect)
        else:
            survey = sim.generate(design=design, seed=seed, n=n, size_effect=size_effect)
    except sim.DesignError as exc:  # name the option the user typed
        raise InputError(
            [replace(p, file=f"--{p.column}", column=None) for p in exc.problems]
        ) from None
    if format == "export":
        target = out or Path("synthetic_export.csv")
        data_path, truth = sim.write_export(
            table, target, sim.export_truth(design, seed, n, size_effect)
        )
        console.print(
            f"Wrote a synthetic survey-tool export of {len(table)} rows ({design}, seed {seed})"
            f" to {data_path}\nIts provenance record: {truth}\n"
            f"Draft its mappings with: analyse draft-mapping {shlex.quote(str(data_path))}",
            markup=False,
        )
        return
    data_path, truth = sim.write(survey, out or Path("synthetic_survey.csv"))
    console.print(
        f"Wrote {len(survey.data)} synthetic respondents ({design}, seed {seed}) to {data_path}"
        f"\nTrue coefficients and every parameter: {truth}"
    )


@app.command()
def run(
    params: Annotated[
        list[Path],
        typer.Argument(metavar="PARAMS.yaml", help="Parameter files, e.g. params/default.yaml."),
    ],
    output_dir: Annotated[
        Path, typer.Option(help="Folder of the published reports, one sub-folder per run.")
    ] = Path("reports"),
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Runs executed in parallel.",
            show_default=f"the number of CPUs, {os.cpu_count() or 1} here",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Rerun even when the inputs did not change.")] = False,
    timeout: Annotated[
        int,
        typer.Option(min=1, help="Seconds a notebook cell may run before the run fails."),
    ] = 600,
    debug: Annotated[
        bool,
        typer.Option(
            help="Keep every output of a failed run in _failed/, even on real data (they may "
            "show respondents' rows)."
        ),
    ] = False,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf",
            help="Also print each run's reader report to <run>/rapport.pdf (report.pdf in "
            "English), A4, with the system's headless Chromium; without Chromium, say so, skip "
            "the PDF and publish the rest.",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Run nothing: exit 1 when a published report is out of date with its inputs "
            "(or missing, or altered), 0 when every one is up to date.",
        ),
    ] = False,
) -> None:
    """Execute every notebook for each parameter file and publish HTML, figures and results.

    Ctrl-C (or SIGTERM) stops every run: nothing more is published and the last good report
    of each run is kept (exit 130, or 143 for SIGTERM). With --check, nothing runs: the
    command says which published reports are out of date with their inputs (exit 1) or that
    every one is up to date (exit 0), as a CI job that only verifies needs.
    """
    if check:
        from analyse.pipeline.runner import check_all

        if force:
            err_console.print(
                "analyse run: --check runs nothing, so --force (rerun) has no meaning with it: "
                "give one or the other",
                markup=False,
            )
            raise typer.Exit(USER_ERROR)
        stale = 0
        for name, reason in check_all(params, output_dir, pdf=pdf):
            if reason is None:
                console.print(f"run {name}: up to date", markup=False)
            else:
                stale += 1
                err_console.print(f"run {name}: out of date: {reason}", markup=False)
        if stale:
            raise typer.Exit(1)
        return
    from analyse.pipeline.kernel import skip_iri_grammars
    from analyse.pipeline.runner import INTERRUPTED, run_all

    skip_iri_grammars()  # this process imports papermill and nbconvert, not the IRI grammars
    try:
        outcomes = run_all(
            params,
            output_dir,
            jobs=jobs,
            force=force,
            console=console,
            timeout=timeout,
            debug=debug,
            pdf=pdf,
            warn=lambda text: report_warnings([text]),
        )
    except KeyboardInterrupt as exc:  # the runner stopped its workers and removed staging
        err_console.print(INTERRUPTED, markup=False)
        raise typer.Exit(128 + getattr(exc, "signum", signal.SIGINT)) from None
    except OSError as exc:
        if exc.errno not in SYSTEM_FAULTS:
            raise  # anything else is a bug: its traceback is kept
        from analyse.pipeline.staging import os_reason

        err_console.print(f"analyse run: {os_reason(exc)}; {LAST_GOOD_KEPT}", markup=False)
        raise typer.Exit(1) from None
    if any(outcome.status == "skipped" for outcome in outcomes):
        console.print("Inputs unchanged since the last publication: use --force to rerun.")
    if any(outcome.user_error for outcome in outcomes):  # e.g. a survey that cannot be raked
        raise typer.Exit(USER_ERROR)
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


def _unwrapped(doc: str) -> str:
    """A docstring's paragraphs each on one line: rich keeps the docstring's line breaks, so a
    paragraph wrapped at the source's width would break mid-sentence in ``--help``."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


for _info in app.registered_commands:
    if _info.help is None and _info.callback is not None and _info.callback.__doc__:
        _info.help = _unwrapped(_info.callback.__doc__)


def main() -> None:
    try:
        app()
    except InputError as exc:
        report_input_error(exc)
        sys.exit(USER_ERROR)
