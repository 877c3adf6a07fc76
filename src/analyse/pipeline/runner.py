"""Run every notebook for each parameter file and publish the result, safely.

The promises of the pipeline, and how they are kept:

- **Nothing runs on bad input**: every params file is validated first and all problems are
  raised together (``InputError``, exit 2).
- **The last good report survives**: a run is built in a hidden staging folder beside its
  target and swapped in with renames only when every notebook ran and publishing succeeded.
  A failed run is moved to ``_failed/<name>-<timestamp>/`` with its partial notebook.
- **Unchanged inputs are not recomputed**: a run whose inputs digest equals the published
  manifest's is skipped unless forced.
- **Several parameter files use several cores**: runs execute in worker processes, which stop
  with the command (``analyse.pipeline.workers``). A stopped worker removes its staging folder
  and shuts its kernel down; the kernel also exits when its parent dies (ipykernel's parent
  poller). An interrupted run raises ``KeyboardInterrupt`` (``Interrupted`` for SIGTERM) and
  publishes nothing more: the CLI says "interrupted; the last good report is kept".
- **No notebook runs forever**: each cell has ``RunPlan.timeout`` seconds (``--timeout``).
- **Failed runs of real data disclose no rows**: the kept notebooks lose their outputs but the
  error message, unless ``--debug`` (``analyse.pipeline.failure``).

- **The analysis runs once per run**: the run's result (``analyse.pipeline.run_result``) is
  computed before any notebook starts and stored in the staging folder; every notebook loads it,
  and ``results.json`` is written from the same object.
- **One kernel per run**: the run's kernel computes the result
  (``analyse.pipeline.analysis_in_kernel``), then executes the notebooks in turn, its namespace
  reset between them, so the scientific stack is imported once per run, in the kernel, instead
  of once per notebook and once more in the command (``analyse.pipeline.kernel``;
  ``benchmarks/pipeline.py`` measures this against concurrent kernels). The command imports
  neither pandas nor the analysis: a skipped run costs a fraction of a second.

The parts live in their own modules: ``plan`` (what a run is given and returns), ``kernel``,
``staging`` (the output folder, the swap), ``failure`` (what a failed run keeps and says) and
``workers`` (processes that stop with the command); this module ties them together.

Notebooks receive flat parameters (``analyse.params.flat_parameters``: ``name``, ``survey``,
``sesoi``, ..., with defaults filled in) plus ``output_dir``, the run's staging folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from analyse.data.provenance import is_synthetic
from analyse.errors import InputError, Problem
from analyse.params import (
    MAPPING_FIELDS,
    RunParams,
    load_params,
    params_digest,
    shown_input,
)
from analyse.paths import project_root
from analyse.pipeline.analysis_in_kernel import WARNINGS_FILE, read_answer
from analyse.pipeline.analysis_in_kernel import request as analysis_request
from analyse.pipeline.failure import drop_run_result, fail_run, now
from analyse.pipeline.index_pages import write_site_index
from analyse.pipeline.kernel import KERNEL_NAME, Kernel, KernelDied, NotebookTimeout
from analyse.pipeline.manifest import (
    code_digest,
    damaged_outputs,
    display_path,
    environment_versions,
    git_state,
    input_checksums,
    inputs_digest,
    tracked_by_git,
    untrusted_checkout,
)
from analyse.pipeline.output_folder import (
    apply_modes,
    clean_leftovers,
    not_a_report,
    replaceable,
    reserved_entry_problems,
    staging_prefix,
)
from analyse.pipeline.plan import (
    DEFAULT_TIMEOUT,
    Events,
    NotebookFailure,
    RunOutcome,
    RunPlan,
    Status,
)
from analyse.pipeline.progress import RunDisplay, say
from analyse.pipeline.publish import PDF_FILES, chromium, publish_run, write_notebook_pages
from analyse.pipeline.site_layout import MANIFEST_FILE, read_json
from analyse.pipeline.snapshot import read_snapshot, snapshot_checksums, take_snapshot
from analyse.pipeline.staging import prepare_output_dir, swap_in
from analyse.pipeline.workers import Interrupted, execute_in_pool, sigterm_interrupts

# Names other modules and the tests reach through the runner.
__all__ = [
    "DEFAULT_TIMEOUT",
    "KERNEL_NAME",
    "Events",
    "Interrupted",
    "KernelDied",
    "NotebookFailure",
    "NotebookTimeout",
    "RunOutcome",
    "RunPlan",
    "Status",
    "check_all",
    "execute_run",
    "find_notebooks",
    "load_all",
    "make_plan",
    "run_all",
    "skip_outcome",
]
_Kernel = Kernel  # the benchmark's and the tests' name
_swap_in = swap_in
_prepare_output_dir = prepare_output_dir

ANALYSIS_STEP = "analysis"  # the progress step before the notebooks: computing the result
INTERRUPTED = "interrupted; the last good report is kept"
PDF_SKIPPED = (
    "PDF skipped: Chromium (chromium or chromium-browser) was not found on PATH; install it "
    "(Debian: apt-get install chromium) to print the reports"
)


# ------------------------------------------------------------------------------ entry point


def run_all(
    param_paths: Sequence[str | Path],
    output_dir: str | Path,
    jobs: int | None = None,
    force: bool = False,
    notebooks_dir: str | Path | None = None,
    *,
    console: Console | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    debug: bool = False,
    pdf: bool = False,
    warn: Callable[[str], None] | None = None,
) -> list[RunOutcome]:
    """Validate, execute and publish every parameter file; one outcome per file, in order.

    Raises ``InputError`` (and runs nothing) when any params file, the notebooks folder or the
    output folder is unusable. Failed notebooks do not raise: they are failed outcomes.
    ``console`` receives progress and one line per outcome; ``None`` keeps the call quiet.
    ``timeout`` bounds each notebook cell, in seconds; ``debug`` keeps the outputs of failed
    runs of real data. ``pdf`` prints each published run's reader report to a PDF with the
    system's headless Chromium; without Chromium, ``console`` is told in one line that the PDF
    is skipped, and the runs are published without it. SIGINT or SIGTERM stops every run,
    publishes nothing more and raises ``KeyboardInterrupt`` (``Interrupted`` for SIGTERM).
    ``warn`` receives warnings that do not stop the runs (real survey data tracked by git).
    """
    params = load_all(param_paths)
    if warn is not None:
        for text in tracked_data_warnings(params):
            warn(text)
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else project_root() / "notebooks"
    notebooks = find_notebooks(nb_dir)
    out = prepare_output_dir(Path(output_dir), [p.name for _, p in params])
    problems = reserved_entry_problems(out, Path(output_dir))
    if problems:  # a user's index.html, a _failed that is a file or a link
        raise InputError(problems)
    clean_leftovers(out)  # of runs that were killed or interrupted
    environment = {"git": git_state(), "versions": environment_versions(), "code": code_digest()}
    if pdf and chromium() is None:
        if console is not None:
            console.print(PDF_SKIPPED, markup=False)
        pdf = False
    plans = [
        replace(
            make_plan(path, p, notebooks, out, environment), timeout=timeout, debug=debug, pdf=pdf
        )
        for path, p in params
    ]
    check_targets(plans, Path(output_dir))

    outcomes: dict[str, RunOutcome] = {}
    todo = []
    for plan in plans:
        skipped = None if force else skip_outcome(plan, console)
        if skipped is None:
            todo.append(plan)
        else:
            outcomes[plan.params.name] = skipped
            say(console, skipped)
    with sigterm_interrupts():
        for outcome in _execute(todo, jobs, console):
            outcomes[outcome.name] = outcome
    write_site_index(out)
    return [outcomes[plan.params.name] for plan in plans]


def tracked_data_warnings(params: Iterable[tuple[Path, RunParams]]) -> list[str]:
    """A warning per survey of real (not synthetic) data that git tracks: microdata committed
    to a repository are copied to every clone and stay in its history, where deleting the file
    later does not reach them. One ``git ls-files`` per run (and a checksum only for a tracked
    file of the size of a shipped synthetic survey): no warning outside a git repository or
    when git is absent. A checkout git refuses (another user's) is said once instead, since
    neither the commit nor the tracked files can then be known."""
    if untrusted_checkout():
        root = project_root()
        return [
            f"git refuses this checkout ({root}) because another user owns it: the published "
            "reports will give their commit as unknown, and a real survey tracked by git "
            "cannot be detected; trust it with "
            f"'git config --global --add safe.directory {root}'"
        ]
    warnings = []
    for params_path, p in params:
        survey = p.survey_path
        if tracked_by_git(survey) and not is_synthetic(survey):
            shown = _as_typed(survey)  # to untrack it from where the user is
            warnings.append(
                f"{_as_typed(params_path)}: data.survey {shown} holds real (not synthetic) survey "
                "data and is tracked by git: microdata should stay out of the repository; "
                f"untrack it with 'git rm --cached {shown}' and keep such files under exports/ "
                "(ignored by .gitignore); a file already committed stays in the history, and "
                "in every clone, until the history is rewritten"
            )
    return warnings


def _as_typed(path: Path) -> str:
    """A path as the user would type it from the working folder: relative when inside it."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_all(
    param_paths: Sequence[str | Path],
    output_dir: str | Path,
    notebooks_dir: str | Path | None = None,
    pdf: bool = False,
) -> list[tuple[str, str | None]]:
    """For each parameter file, in order, its run's name and why its published report is out
    of date with its inputs (``None`` when it is up to date): ``analyse run --check``.

    The same test as the skip of an unchanged run (``skip_outcome``): the inputs digest of
    the published manifest, and the published files against its checksums. Nothing is
    written, no kernel is started, the output folder is not created: a CI job that only
    verifies can run it on a read-only checkout. Bad parameter files raise ``InputError``, as
    does an output folder that is a file. ``pdf``: a report published without the PDF that
    ``run --pdf`` would print is out of date too (whether Chromium is here or not: the check
    says what ``run --pdf`` would publish, not what this machine can print).
    """
    params = load_all(param_paths)
    if Path(output_dir).exists() and not Path(output_dir).is_dir():
        raise InputError([Problem(str(output_dir), "output folder is an existing file")])
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else project_root() / "notebooks"
    notebooks = find_notebooks(nb_dir)
    environment = {"git": {}, "versions": environment_versions(), "code": code_digest()}
    out = Path(output_dir)
    verdicts: list[tuple[str, str | None]] = []
    for path, p in params:
        plan = make_plan(path, p, notebooks, out, environment)
        manifest = read_json(plan.target / MANIFEST_FILE)
        reason: str | None = None
        if not manifest:
            reason = f"not published in {out / p.name}"
        elif manifest.get("inputs_digest") != plan.inputs_digest:
            since = manifest.get("ended_at", "an unknown date")
            reason = (
                f"its inputs (parameters, data, mappings, frame, notebooks, code or library "
                f"versions) changed since it was published ({since})"
            )
        else:
            damaged = damaged_outputs(plan.target, manifest)
            if damaged:
                reason = f"the published report was altered ({_listed(damaged)} missing or changed)"
            elif pdf and _pdf_missing(plan):
                reason = f"published without its PDF ({PDF_FILES[p.lang]}), which --pdf asks for"
        verdicts.append((p.name, reason))
    return verdicts


def load_all(param_paths: Iterable[str | Path]) -> list[tuple[Path, RunParams]]:
    """Load every params file, collecting the problems of all of them before raising."""
    problems: list[Problem] = []
    loaded: list[tuple[Path, RunParams]] = []
    seen: dict[str, Path] = {}
    for raw in param_paths:
        path = Path(raw)
        try:
            params = load_params(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if params.name in seen:
            problems.append(
                Problem(
                    str(path),
                    f"name: run name {params.name!r} is also used by {seen[params.name]}",
                    expected="a different name per params file",
                )
            )
            continue
        seen[params.name] = path
        problems.extend(_survey_file_problems(path, params))
        loaded.append((path.resolve(), params))
    if not loaded and not problems:
        problems.append(Problem("(command line)", "no parameter file given"))
    if problems:
        raise InputError(problems)
    return loaded


def _survey_file_problems(params_path: Path, params: RunParams) -> list[Problem]:
    """What makes the survey file unreadable whatever it holds (not a regular file, an
    unsupported type, empty), found with one ``stat``: before the inputs are hashed (hashing
    a device never ends) and before any kernel starts, so that the run exits 2 at once."""
    from analyse.data.survey_file import check_survey_file  # no pandas: a skipped run is quick

    try:
        check_survey_file(params.survey_path)
    except InputError as exc:
        return [
            replace(p, file=str(params_path), message=f"data.survey: {p.file}: {p.message}")
            for p in exc.problems
        ]
    return []


def find_notebooks(notebooks_dir: Path) -> tuple[Path, ...]:
    """The notebooks a run executes, in file-name order (``01_...``, ``02_...``)."""
    if not notebooks_dir.is_dir():
        raise InputError([Problem(str(notebooks_dir), "notebooks folder not found")])
    notebooks = tuple(sorted(p.resolve() for p in notebooks_dir.glob("*.ipynb")))
    if not notebooks:
        raise InputError([Problem(str(notebooks_dir), "no .ipynb notebook in this folder")])
    return notebooks


def make_plan(
    params_path: Path,
    params: RunParams,
    notebooks: tuple[Path, ...],
    output_dir: Path,
    environment: dict[str, Any],
) -> RunPlan:
    checksums = input_checksums(params_path, params, notebooks)
    digest = inputs_digest(params, checksums, environment["versions"], environment["code"])
    return RunPlan(
        params_path=params_path,
        params=params,
        notebooks=notebooks,
        notebooks_dir=notebooks[0].parent,
        output_dir=output_dir,
        checksums=checksums,
        inputs_digest=digest,
        environment=environment,
    )


def check_targets(plans: Sequence[RunPlan], shown_dir: Path) -> None:
    """Refuse (``InputError``, before anything runs) a run whose folder holds something that
    is not this package's report: publishing replaces the folder, which would delete it.

    ``shown_dir`` is the output folder as the user wrote it, for the message.
    """
    problems = [
        not_a_report(shown_dir / plan.params.name, plan.target)
        for plan in plans
        if not replaceable(plan.target)
    ]
    if problems:
        raise InputError(problems)


def _pdf_missing(plan: RunPlan) -> bool:
    """Whether the run's published folder lacks the PDF ``--pdf`` prints."""
    return not (plan.target / PDF_FILES[plan.params.lang]).is_file()


def _listed(files: Sequence[str]) -> str:
    """The first five files, and how many more."""
    more = f" and {len(files) - 5} more" if len(files) > 5 else ""
    return ", ".join(files[:5]) + more


def skip_outcome(plan: RunPlan, console: Console | None = None) -> RunOutcome | None:
    """A skipped outcome when the published report was made from the very same inputs and is
    still, file for file, what was published (the manifest's checksums); a damaged report is
    rebuilt, and ``console`` is told why."""
    manifest = read_json(plan.target / MANIFEST_FILE)
    if not manifest or manifest.get("inputs_digest") != plan.inputs_digest:
        return None
    if plan.pdf and _pdf_missing(plan):
        return None  # the PDF was asked for and is not there: the report is rebuilt with it
    damaged = damaged_outputs(plan.target, manifest)
    if damaged:
        if console is not None:
            console.print(
                f"run {plan.params.name}: inputs unchanged but the published report was "
                f"altered ({_listed(damaged)} missing or changed): rebuilding it",
                markup=False,
            )
        return None
    since = manifest.get("ended_at", "an unknown date")
    return RunOutcome(
        plan.params.name,
        plan.params_path,
        "skipped",
        plan.target,
        f"run {plan.params.name}: unchanged since {since}, skipped",
    )


# -------------------------------------------------------------------------- parallel driver


def _execute(plans: list[RunPlan], jobs: int | None, console: Console | None) -> list[RunOutcome]:
    """Run the plans, in worker processes when there are several to run at once.

    A single run stays in this process: no fork, and a debugger or a monkeypatch sees it.
    """
    if not plans:
        return []
    workers = max(1, min(jobs or os.cpu_count() or 1, len(plans)))
    display = RunDisplay(console, plans)
    if workers == 1:
        outcomes = []
        with display:
            for plan in plans:
                outcomes.append(execute_run(plan, display))
                display.finished(outcomes[-1])
        return outcomes
    return execute_in_pool(plans, workers, display, execute_run)


# ------------------------------------------------------------------------------- one run


def execute_run(plan: RunPlan, events: Events) -> RunOutcome:
    """Execute and publish one run in a staging folder; swap it in only if all went well."""
    name = plan.params.name
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(name), dir=plan.output_dir))
    started = now()
    timings: list[dict[str, Any]] = []
    try:
        # The kernel starts and imports while this process imports papermill and nbconvert,
        # then computes the result; each notebook's pages are written while the next one runs.
        # Both overlap waiting with work on two cores.
        with Kernel(plan.notebooks_dir, KERNEL_NAME) as kernel, ThreadPoolExecutor(1) as pages:
            try:
                kernel.start()
            except Exception as exc:  # no kernel (not installed, cannot start): a failed run
                return fail_run(plan, staging, None, exc, stage="starting the Jupyter kernel")
            events.put((name, "start", ANALYSIS_STEP))
            try:  # while the kernel starts: the run's own copy of the user's files
                plan = _snapshot_inputs(plan, staging)
            except InputError as exc:  # deleted or unreadable since the run was planned
                failed = fail_run(plan, staging, None, exc, stage="reading the inputs")
                return replace(failed, user_error=True)
            except OSError as exc:  # e.g. a full disk
                return fail_run(plan, staging, None, exc, stage="copying the inputs")
            try:
                kernel.wait_ready()  # the kernel imports, this process imports papermill
            except Exception as exc:
                return fail_run(plan, staging, None, exc, stage="starting the Jupyter kernel")
            t0 = time.perf_counter()
            computing = _RUN_KERNEL.set(kernel)
            try:
                results = _compute_results(plan.params, staging)
            except Exception as exc:  # the main analysis failed: nothing to show
                failed = fail_run(plan, staging, None, exc, stage="analysis")
                return replace(failed, user_error=isinstance(exc, InputError))
            finally:
                _RUN_KERNEL.reset(computing)
            analysis_seconds = round(time.perf_counter() - t0, 3)
            events.put((name, "done", ANALYSIS_STEP))
            for text in _stored_warnings(plan.params, staging):  # as `analyse validate` warns
                events.put((name, "warning", text))
            written = []
            for notebook in plan.notebooks:
                events.put((name, "start", notebook.name))
                t0 = time.perf_counter()
                try:
                    kernel.execute(notebook, staging / notebook.name, plan, staging)
                except Exception as exc:  # any failure of a notebook fails the run
                    wait(written)
                    return fail_run(plan, staging, notebook.name, exc)
                timings.append(
                    {"file": notebook.name, "duration_seconds": round(time.perf_counter() - t0, 3)}
                )
                written.append(
                    pages.submit(
                        write_notebook_pages,
                        staging / notebook.name,
                        plan.params.lang,
                        plan.params.name,
                        results,
                    )
                )
                events.put((name, "done", notebook.name))
        try:
            for future in written:
                future.result()
            _publish(plan, staging, started, timings, results, analysis_seconds)
            swap_in(staging, plan.target)
        except Exception as exc:  # kept with its traceback in error.txt
            failed = fail_run(plan, staging, None, exc)
            return replace(failed, user_error=isinstance(exc, InputError))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # interrupted: leave no half-built folder
        raise
    return RunOutcome(
        name,
        plan.params_path,
        "published",
        plan.target,
        f"run {name}: published {len(plan.notebooks)} notebook(s) to {plan.target}",
    )


# The kernel of the run being executed (set by ``execute_run`` around the analysis): the one
# that computes the result.
_RUN_KERNEL: ContextVar[Kernel | None] = ContextVar("run_kernel", default=None)


def _compute_results(params: RunParams, staging: Path) -> dict:
    """Compute the run's result once, store it for the notebooks, return ``results.json``.

    In a run, the run's kernel computes it (``analyse.pipeline.analysis_in_kernel``: the
    kernel imports the analysis for the notebooks anyway, so this process never does); the
    survey's warnings are then left in ``staging`` for ``_stored_warnings``. Called outside a
    run (a test, a script), in this process: ``analyse.pipeline.run_result`` is imported late,
    as it pulls in the whole analysis.
    """
    kernel = _RUN_KERNEL.get()
    if kernel is not None:
        kernel.run_analysis(analysis_request(params, staging))
        results, warnings = read_answer(staging)
        (staging / WARNINGS_FILE).write_text(json.dumps(warnings), encoding="utf-8")
        return results
    from analyse.pipeline.run_result import (
        compute_run_result,
        results_document,
        save_run_result,
    )

    result = compute_run_result(params, snapshot=read_snapshot(staging))
    save_run_result(result, staging)
    return results_document(result)


def _stored_warnings(params: RunParams, staging: Path) -> list[str]:
    """The survey's warnings (``analyse.data.checks``): those the run's kernel left in
    ``staging``, else from the result stored there; none when no result was stored there."""
    left = staging / WARNINGS_FILE
    if left.is_file():
        warnings = json.loads(left.read_text(encoding="utf-8"))
        left.unlink()
        return warnings
    from analyse.pipeline.analysis_in_kernel import run_warnings
    from analyse.pipeline.run_result import load_run_result, result_key

    snapshot = read_snapshot(staging)
    result = load_run_result(staging, result_key(params, snapshot))
    return [] if result is None else run_warnings(params, result, snapshot)


def _snapshot_inputs(plan: RunPlan, staging: Path) -> RunPlan:
    """Copy the run's input files into ``staging`` (``analyse.pipeline.snapshot``): the plan
    then describes the copies, which the analysis reads, whatever the files were when the run
    was planned or become while it runs."""
    snapshot = take_snapshot(plan.params, staging)
    checksums = snapshot_checksums(plan.checksums, snapshot, display_path)
    digest = plan.inputs_digest
    if checksums != plan.checksums:  # changed since planned: the manifest says what was read
        env = plan.environment
        digest = inputs_digest(plan.params, checksums, env["versions"], env["code"])
    return replace(plan, checksums=checksums, inputs_digest=digest, synthetic=snapshot.synthetic)


def published_params(params: RunParams) -> dict[str, Any]:
    """The parameters as the manifest publishes them: input paths given as absolute show the
    file's name only (``analyse.params.shown_input``); ``params_digest`` and the inputs'
    checksums still identify them exactly."""
    dumped = params.model_dump(mode="json")
    data = dumped["data"]
    for key in ("survey", "codebook", *MAPPING_FIELDS):
        if isinstance(data.get(key), str):
            data[key] = shown_input(data[key])
    return dumped


def _publish(
    plan: RunPlan,
    staging: Path,
    started: str,
    timings: list[dict[str, Any]],
    results: dict[str, Any],
    analysis_seconds: float,
) -> dict[str, Any]:
    drop_run_result(staging)  # it holds respondent-level rows: never published
    manifest = {
        "name": plan.params.name,
        "synthetic": (
            is_synthetic(plan.params.survey_path) if plan.synthetic is None else plan.synthetic
        ),
        "params": published_params(plan.params),
        "params_digest": params_digest(plan.params),
        "inputs": plan.checksums,
        "code_digest": plan.environment["code"],
        "inputs_digest": plan.inputs_digest,
        "git": plan.environment["git"],
        "versions": plan.environment["versions"],
        "kernel": KERNEL_NAME,
        "started_at": started,
        "ended_at": now(),
        "analysis": {"duration_seconds": analysis_seconds},  # the run's result, computed once
        "notebooks": timings,
    }
    executed = [staging / nb.name for nb in plan.notebooks]
    published = publish_run(staging, executed, results, manifest, pages_written=True, pdf=plan.pdf)
    apply_modes(staging)  # mkdtemp made it 0700: readable like any folder the user makes
    return published
