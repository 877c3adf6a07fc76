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
  with the command: on SIGINT or SIGTERM the parent stops them, and each also watches its
  parent (``PR_SET_PDEATHSIG`` on Linux, a polling thread elsewhere), so a killed command
  leaves no worker behind to publish later. A stopped worker removes its staging folder and
  shuts its kernel down; the kernel also exits when its parent dies (ipykernel's parent
  poller). An interrupted run raises ``KeyboardInterrupt`` (``Interrupted`` for SIGTERM) and
  publishes nothing more: the CLI says "interrupted; the last good report is kept".
- **No notebook runs forever**: each cell has ``RunPlan.timeout`` seconds (``--timeout``).
- **Failed runs of real data disclose no rows**: the kept notebooks lose their outputs but the
  error message, unless ``--debug`` (``_redact_failed``).

- **The analysis runs once per run**: the run's result (``analyse.pipeline.run_result``) is
  computed before any notebook starts and stored in the staging folder; every notebook loads it,
  and ``results.json`` is written from the same object.
- **One kernel per run**: the notebooks execute in turn in one Jupyter kernel whose namespace
  is reset between notebooks, so the scientific stack is imported once per run instead of once
  per notebook (``benchmarks/pipeline.py`` measures this against concurrent kernels).

Notebooks receive flat parameters (``analyse.params.flat_parameters``: ``name``, ``survey``,
``sesoi``, ..., with defaults filled in) plus ``output_dir``, the run's staging folder.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any, Literal, Protocol

from rich.console import Console

from analyse.data.provenance import is_synthetic
from analyse.errors import InputError, Problem
from analyse.params import (
    MAPPING_FIELDS,
    RunParams,
    flat_parameters,
    load_params,
    params_digest,
    shown_input,
)
from analyse.paths import project_root
from analyse.pipeline.manifest import (
    code_digest,
    damaged_outputs,
    environment_versions,
    git_state,
    input_checksums,
    inputs_digest,
)
from analyse.pipeline.progress import RunDisplay, say
from analyse.pipeline.publish import (
    FAILED_DIR,
    MANIFEST_FILE,
    PDF_FILES,
    STAGING_PREFIX,
    apply_modes,
    backup_name,
    chromium,
    clean_leftovers,
    not_a_report,
    publish_run,
    read_json,
    replaceable,
    staging_prefix,
    write_notebook_pages,
    write_site_index,
)

KERNEL_NAME = "python3"
# The kernel's own log goes straight to the terminal, once per notebook: a transport warning
# at start, and "KeyboardInterrupt caught" when jupyter_client interrupts it before shutdown.
# Neither concerns the user; errors raised by cells are recorded in the executed notebook and a
# dead kernel is reported by papermill, so the kernel's log is kept to critical messages.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
KERNEL_START_TIMEOUT = 60  # seconds
ANALYSIS_STEP = "analysis"  # the progress step before the notebooks: computing the result
# What the kernel imports while the runner computes the result, and how it forgets a notebook.
WARM_UP = (
    "import analyse.pipeline.run_result, analyse.report.notebook, analyse.report.plots, "
    "analyse.report.tables"
)
# Before each notebook: no figure, style, working folder or variable of the previous one. Only
# imported modules (the point of one kernel) and their own state, and warning filters, remain.
RESET = (
    "import matplotlib as _mpl, matplotlib.pyplot as _plt, os as _os\n"
    "_plt.close('all'); _mpl.rcdefaults(); _os.chdir({cwd!r})\n"
    "get_ipython().reset(new_session=True)"
)
Status = Literal["published", "skipped", "failed"]
DEFAULT_TIMEOUT = 600  # seconds a notebook cell may run (``analyse run --timeout``)
INTERRUPTED = "interrupted; the last good report is kept"
PDF_SKIPPED = (
    "PDF skipped: Chromium (chromium or chromium-browser) was not found on PATH; install it "
    "(Debian: apt-get install chromium) to print the reports"
)
# How long stopped workers get to remove their staging folder and shut their kernel down
# before they are killed, and how often a worker checks that its parent is alive.
STOP_GRACE = 20.0  # seconds
PARENT_POLL = 0.5  # seconds
REDACTED_NOTICE = (
    "**Outputs removed.** This run failed on real (not synthetic) survey data, and a cell's "
    "output may show respondents' rows: only the error message of the failed cell is kept. "
    "Rerun with `analyse run --debug` to keep every output."
)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM; SIGINT raises a plain ``KeyboardInterrupt``)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class NotebookTimeout(TimeoutError):
    """A cell ran longer than the run's ``timeout``; the kernel is shut down with the run."""


class KernelDied(RuntimeError):
    """The kernel died while a cell ran: ``how`` says what is known (killed by SIGKILL...)."""

    def __init__(self, how: str):
        super().__init__(f"the Jupyter kernel died ({how})")
        self.how = how


@dataclass(frozen=True)
class NotebookFailure:
    """Where a run stopped: the notebook, the cell as its ``In [n]`` prompt shows, the error."""

    notebook: str
    cell: int | str
    ename: str
    evalue: str


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one parameter file; ``path`` is the report or the kept failed folder."""

    name: str
    params_path: Path
    status: Status
    path: Path
    message: str
    failure: NotebookFailure | None = None
    user_error: bool = False  # failed on the user's input (``InputError``): the CLI exits 2

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class RunPlan:
    """Everything a worker process needs for one run (picklable, computed in the parent)."""

    params_path: Path
    params: RunParams
    notebooks: tuple[Path, ...]
    notebooks_dir: Path
    output_dir: Path
    checksums: dict[str, Any]
    inputs_digest: str
    environment: dict[str, Any] = field(default_factory=dict)
    timeout: int = DEFAULT_TIMEOUT  # seconds per cell; not an input: no effect on the results
    debug: bool = False  # keep every output of a failed run of real data
    pdf: bool = False  # print the reader report to a PDF (``analyse run --pdf``)

    @property
    def target(self) -> Path:
        return self.output_dir / self.params.name


class Events(Protocol):
    """Where a worker reports progress: a ``Manager().Queue()`` proxy, or the display itself."""

    def put(self, item: tuple[str, str, str]) -> None: ...


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
    """
    params = load_all(param_paths)
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else project_root() / "notebooks"
    notebooks = find_notebooks(nb_dir)
    out = _prepare_output_dir(Path(output_dir), [p.name for _, p in params])
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
    with _sigterm_interrupts():
        for outcome in _execute(todo, jobs, console):
            outcomes[outcome.name] = outcome
    write_site_index(out)
    return [outcomes[plan.params.name] for plan in plans]


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
    from analyse.data.readers import check_survey_file

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


def skip_outcome(plan: RunPlan, console: Console | None = None) -> RunOutcome | None:
    """A skipped outcome when the published report was made from the very same inputs and is
    still, file for file, what was published (the manifest's checksums); a damaged report is
    rebuilt, and ``console`` is told why."""
    manifest = read_json(plan.target / MANIFEST_FILE)
    if not manifest or manifest.get("inputs_digest") != plan.inputs_digest:
        return None
    if plan.pdf and not (plan.target / PDF_FILES[plan.params.lang]).is_file():
        return None  # the PDF was asked for and is not there: the report is rebuilt with it
    damaged = damaged_outputs(plan.target, manifest)
    if damaged:
        if console is not None:
            shown = ", ".join(damaged[:5]) + (
                f" and {len(damaged) - 5} more" if len(damaged) > 5 else ""
            )
            console.print(
                f"run {plan.params.name}: inputs unchanged but the published report was "
                f"altered ({shown} missing or changed): rebuilding it",
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


def _prepare_output_dir(output_dir: Path, names: Sequence[str] = ()) -> Path:
    """The output folder, created if needed, checked writable and with room for the run names.

    Each way it can be unusable (a file, a path through a file, a read-only or forbidden
    folder, names longer than its file system takes) is the user's to fix: ``InputError``
    before anything runs, not a traceback once the notebooks have run.
    """
    shown = str(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError([Problem(shown, "output folder is an existing file")])
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        # what every run does first: create its staging folder there
        os.rmdir(tempfile.mkdtemp(prefix=staging_prefix("write-test"), dir=output_dir))
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    shown,
                    f"output folder cannot be used: {_os_reason(exc)}",
                    expected="a folder you can write to: --output-dir",
                )
            ]
        ) from None
    try:
        limit = os.pathconf(output_dir, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    problems = [
        Problem(
            shown,
            f"run name {name!r} is too long for this folder's file system, which takes names "
            f"of {limit} bytes and the runner adds up to {_NAME_OVERHEAD}",
            expected="a shorter name in the parameter file",
        )
        for name in names
        if len(name.encode("utf-8")) + _NAME_OVERHEAD > limit
    ]
    if problems:
        raise InputError(problems)
    return output_dir.resolve()


# Characters the runner adds to a run name in the output folder, at most: the staging folder's
# ".staging-<name>.<pid>." (a Linux process id has at most 7 digits) and mkdtemp's 8 random
# characters; ".old-*" and "_failed/<name>-<stamp>" names are shorter.
_NAME_OVERHEAD = len(STAGING_PREFIX) + len(".4194304.") + 8


def _os_reason(exc: OSError) -> str:
    """Why the file system refused, in words a user acts on."""
    reasons = {
        errno.ENOTDIR: "part of the path is a file, not a folder",
        errno.EEXIST: "part of the path is a file, not a folder",
        errno.EACCES: "permission denied (the folder is not writable by you)",
        errno.EPERM: "permission denied (the folder is not writable by you)",
        errno.EROFS: "the file system is read-only",
        errno.ENAMETOOLONG: "a name in the path is too long for the file system",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
    }
    where = f" ({exc.filename})" if exc.filename else ""
    return reasons.get(exc.errno, exc.strerror or type(exc).__name__) + where


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
    return _execute_in_pool(plans, workers, display)


def _mp_context() -> multiprocessing.context.BaseContext:
    """Fork on Linux: workers start at once and inherit the parent's imports and state."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _execute_in_pool(plans: list[RunPlan], workers: int, display: RunDisplay) -> list[RunOutcome]:
    """Run the plans in worker processes that never outlive this one.

    On an interruption (``KeyboardInterrupt``, ``Interrupted``) the workers are stopped
    (``_stop_workers``) before it propagates: none goes on to publish. The progress queue's
    manager process and the workers die with this process however it ends (``_die_with_parent``).
    """
    ctx = _mp_context()
    outcomes: dict[str, RunOutcome] = {}
    manager = SyncManager(ctx=ctx)
    manager.start(_init_helper_process, (os.getpid(),))
    with manager:
        queue = manager.Queue()
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
        )
        try:
            # Submit (and so fork the workers) before the display starts its refresh thread.
            futures = {pool.submit(_run_in_worker, plan, queue): plan for plan in plans}
            with display:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    display.drain(queue)
                    for future in done:
                        outcome = _result(future, futures[future])
                        outcomes[outcome.name] = outcome
                        display.finished(outcome)
                display.drain(queue)
        except BaseException:
            _stop_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return [outcomes[plan.params.name] for plan in plans]


# ------------------------------------------------------- processes that stop with the command

_worker_busy = False  # in a worker: whether it is executing a run (set by _run_in_worker)


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM interrupts like SIGINT (``Interrupted``), so a terminated command cleans up.

    Only the main thread may set a handler: elsewhere SIGTERM keeps its default action.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _init_worker(parent_pid: int) -> None:
    """A worker: stopped by its parent with SIGTERM, never by a terminal's Ctrl-C directly.

    SIGINT reaches the whole foreground process group: ignoring it here lets the parent stop
    every worker the same way, after which each cleans up (``_stop_worker``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    _die_with_parent(parent_pid)


def _init_helper_process(parent_pid: int) -> None:
    """The progress queue's manager: ignores Ctrl-C (its parent shuts it down) and dies with
    its parent; SIGTERM ends it at once (the handler inherited from ``run_all`` is undone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent_pid)


def _stop_worker(signum: int, frame: object) -> None:
    """SIGTERM in a worker: unwind the run (its staging folder and kernel go), or just exit.

    Handled once: the cleanup it starts is not interrupted by the next SIGTERM.
    """
    signal.signal(signum, signal.SIG_IGN)
    if _worker_busy:
        raise Interrupted(signum)
    os._exit(128 + signum)


def _run_in_worker(plan: RunPlan, events: Events) -> RunOutcome:
    """``execute_run`` in a worker; an interrupted worker exits once the run has cleaned up.

    It must not return to the pool: its parent is stopping it, or dead, and waiting for the
    next run would leave it running forever.
    """
    global _worker_busy
    _worker_busy = True
    try:
        return execute_run(plan, events)
    except KeyboardInterrupt as exc:
        os._exit(128 + getattr(exc, "signum", signal.SIGINT))
    finally:
        _worker_busy = False


def _die_with_parent(parent_pid: int) -> None:
    """Receive SIGTERM when the parent process dies, however it dies (SIGKILL included).

    On Linux the kernel sends it (``prctl(PR_SET_PDEATHSIG)``, set in the child; the parent's
    main thread forked it, and the signal comes when that thread ends, i.e. with the process).
    A thread polling ``os.getppid()`` covers other systems, and kills the process if its
    cleanup takes longer than ``STOP_GRACE``.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os.kill(os.getpid(), signal.SIGTERM)
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True
    )
    watchdog.start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)  # ignored if the cleanup already started
    time.sleep(STOP_GRACE)
    os._exit(1)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM to every worker, wait for their cleanup, kill those still running after
    ``STOP_GRACE``. The pool keeps its processes in a private mapping: there is no public way
    to stop a running task."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _result(future, plan: RunPlan) -> RunOutcome:
    """A worker that died (killed, out of memory) fails its run without stopping the others."""
    try:
        return future.result()
    except Exception as exc:  # reported as a failed run, with its cause
        return RunOutcome(
            plan.params.name,
            plan.params_path,
            "failed",
            plan.target,
            f"run {plan.params.name}: worker process failed: {type(exc).__name__}: {exc}",
        )


# ------------------------------------------------------------------------------- one run


def execute_run(plan: RunPlan, events: Events) -> RunOutcome:
    """Execute and publish one run in a staging folder; swap it in only if all went well."""
    name = plan.params.name
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(name), dir=plan.output_dir))
    started = _now()
    timings: list[dict[str, Any]] = []
    try:
        # The kernel starts and imports while the result is computed; each notebook's pages
        # are written while the next one runs. Both overlap waiting with work on two cores.
        with _Kernel(plan.notebooks_dir) as kernel, ThreadPoolExecutor(1) as pages:
            try:
                kernel.start()
            except Exception as exc:  # no kernel (not installed, cannot start): a failed run
                return _fail(plan, staging, None, exc, stage="starting the Jupyter kernel")
            events.put((name, "start", ANALYSIS_STEP))
            t0 = time.perf_counter()
            try:
                results = _compute_results(plan.params, staging)
            except Exception as exc:  # the main analysis failed: nothing to show
                failed = _fail(plan, staging, None, exc, stage="analysis")
                return replace(failed, user_error=isinstance(exc, InputError))
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
                    return _fail(plan, staging, notebook.name, exc)
                timings.append(
                    {"file": notebook.name, "duration_seconds": round(time.perf_counter() - t0, 3)}
                )
                written.append(
                    pages.submit(
                        write_notebook_pages,
                        staging / notebook.name,
                        plan.params.lang,
                        plan.params.name,
                    )
                )
                events.put((name, "done", notebook.name))
        try:
            for future in written:
                future.result()
            _publish(plan, staging, started, timings, results, analysis_seconds)
            _swap_in(staging, plan.target)
        except Exception as exc:  # kept with its traceback in error.txt
            failed = _fail(plan, staging, None, exc)
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


class _Kernel:
    """One Jupyter kernel executing a run's notebooks in turn, through papermill.

    Starting a kernel and importing pandas, statsmodels and seaborn costs seconds; the analysis
    a notebook shows costs milliseconds once computed. So the kernel starts, and imports the
    report's modules (``WARM_UP``), while the runner computes the run's result on the other
    core. Before each notebook the kernel's namespace and history are reset
    (``InteractiveShell.reset(new_session=True)``): a notebook sees no variable of the previous
    one and its cells are numbered from 1, as in a fresh kernel; imported modules stay loaded,
    which is the point.
    """

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.manager: Any = None
        self.client: Any = None  # one control client for the warm-up and every reset
        self._warming: threading.Thread | None = None

    def __enter__(self) -> _Kernel:
        return self

    def start(self) -> None:
        """Start the kernel and, in the background, its warm-up."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_client.utils import run_sync

        self.manager = AsyncKernelManager(kernel_name=KERNEL_NAME)
        run_sync(self.manager.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(self.cwd))
        self._warming = threading.Thread(target=self._warm_up, name="kernel-warm-up", daemon=True)
        self._warming.start()

    def __exit__(self, *exc_info: object) -> None:
        from jupyter_client.utils import run_sync

        self._join_warm_up()
        if self.client is not None:
            self.client.stop_channels()
        if self.manager is None:
            return
        try:
            if run_sync(self.manager.is_alive)():
                run_sync(self.manager.shutdown_kernel)(now=True)
            else:  # died: only its connection file is left to remove
                run_sync(self.manager.cleanup_resources)()
        except Exception:  # e.g. interrupted amid a cell: never leave the kernel running
            self._kill()
            if exc_info[0] is None:  # else the interruption propagates, not this
                raise

    def _kill(self) -> None:
        process = getattr(getattr(self.manager, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def exit_status(self) -> str:
        """How the kernel process ended, as far as its exit status tells."""
        process = getattr(getattr(self.manager, "provisioner", None), "process", None)
        code = None if process is None else process.poll()
        if code is None:
            return "no exit status known"
        if code == -signal.SIGKILL:
            return "killed by SIGKILL, as the system kills a process that runs out of memory"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def _warm_up(self) -> None:
        """Connect, and import the report's stack ahead of the first notebook.

        A failed import only costs time: the notebook's own import cell then fails, and is
        reported with its notebook and cell like any other.
        """
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        with contextlib.suppress(Exception):
            self.client.wait_for_ready(timeout=KERNEL_START_TIMEOUT)
            self._run(WARM_UP)

    def _join_warm_up(self) -> None:
        # The thread hands the client over: a zmq socket may change threads after a join.
        if self._warming is not None:
            self._warming.join()
            self._warming = None

    def _run(self, code: str) -> None:
        reply = self.client.execute_interactive(
            code, store_history=False, silent=True, timeout=KERNEL_START_TIMEOUT
        )
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"kernel could not run {code!r}: {content.get('evalue')}")

    def execute(self, notebook: Path, output: Path, plan: RunPlan, staging: Path) -> None:
        import papermill  # deferred: importing papermill costs a second for `analyse --help`

        self._join_warm_up()
        self._run(RESET.format(cwd=str(self.cwd)))
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        parameters = {**flat_parameters(plan.params), "output_dir": str(staging)}
        try:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                km=self.manager,
                cwd=str(plan.notebooks_dir),
                progress_bar=False,
                log_output=False,
                execution_timeout=plan.timeout,
            )
        except CellTimeoutError as exc:  # nbclient's message holds the cell's code: not shown
            raise NotebookTimeout(f"exceeded the {plan.timeout} s timeout") from exc
        except DeadKernelError as exc:
            raise KernelDied(self.exit_status()) from exc


def _compute_results(params: RunParams, staging: Path) -> dict:
    """Compute the run's result once, store it for the notebooks, return ``results.json``.

    Imported late: ``analyse.pipeline.run_result`` pulls in the whole analysis.
    """
    from analyse.pipeline.run_result import (
        compute_run_result,
        results_document,
        save_run_result,
    )

    result = compute_run_result(params)
    save_run_result(result, staging)
    return results_document(result)


def _stored_warnings(params: RunParams, staging: Path) -> list[str]:
    """The survey's warnings (``analyse.data.checks``), from the result stored in ``staging``;
    none when no result was stored there."""
    from analyse.pipeline.preflight import run_warnings
    from analyse.pipeline.run_result import load_run_result, result_key

    result = load_run_result(staging, result_key(params))
    return [] if result is None else run_warnings(params, result.scored)


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


def _drop_run_result(staging: Path) -> None:
    from analyse.pipeline.run_result import RESULT_FILE

    (staging / RESULT_FILE).unlink(missing_ok=True)


def _publish(
    plan: RunPlan,
    staging: Path,
    started: str,
    timings: list[dict[str, Any]],
    results: dict[str, Any],
    analysis_seconds: float,
) -> dict[str, Any]:
    _drop_run_result(staging)  # it holds respondent-level rows: never published
    manifest = {
        "name": plan.params.name,
        "synthetic": is_synthetic(plan.params.survey_path),
        "params": published_params(plan.params),
        "params_digest": params_digest(plan.params),
        "inputs": plan.checksums,
        "code_digest": plan.environment["code"],
        "inputs_digest": plan.inputs_digest,
        "git": plan.environment["git"],
        "versions": plan.environment["versions"],
        "kernel": KERNEL_NAME,
        "started_at": started,
        "ended_at": _now(),
        "analysis": {"duration_seconds": analysis_seconds},  # the run's result, computed once
        "notebooks": timings,
    }
    executed = [staging / nb.name for nb in plan.notebooks]
    published = publish_run(staging, executed, results, manifest, pages_written=True, pdf=plan.pdf)
    apply_modes(staging)  # mkdtemp made it 0700: readable like any folder the user makes
    return published


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames on one filesystem.

    The old report is renamed aside first (a directory cannot be replaced while non-empty),
    and put back if the second rename fails, so ``target`` is never left half-written. What is
    there is checked again (``replaceable``): a folder made while the run ran is not deleted.
    """
    if not replaceable(target):
        raise InputError([not_a_report(target, target)])
    backup = None
    if target.exists():
        backup = target.with_name(backup_name(target.name))
        os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def _fail(
    plan: RunPlan,
    staging: Path,
    notebook: str | None,
    exc: Exception,
    stage: str = "publishing",
) -> RunOutcome:
    """Keep what was executed in ``_failed/`` (with HTML), never touching the published run."""
    _drop_run_result(staging)  # it holds respondent-level rows: never kept
    failure = None if notebook is None else _describe(notebook, exc, staging / notebook)
    if failure is not None and isinstance(exc, (NotebookTimeout, KernelDied)):
        _mark_stopped_cell(staging / notebook, failure)
    if not (plan.debug or is_synthetic(plan.params.survey_path)):
        _redact_failed(staging, plan.notebooks)
    _convert_partial(plan, staging, plan.notebooks)
    if not _is_cell_error(exc):
        (staging / "error.txt").write_text(
            "".join(traceback.format_exception(exc)), encoding="utf-8"
        )
    kept = _failed_folder(plan)
    os.replace(staging, kept)
    name = plan.params.name
    if notebook is None or failure is None:
        executed = any((kept / nb.name).exists() for nb in plan.notebooks)
        what = "executed notebooks and error.txt" if executed else "error.txt"
        message = f"run {name}: {stage} failed: {type(exc).__name__}: {exc}; {what} kept in {kept}"
        return RunOutcome(name, plan.params_path, "failed", kept, message)
    where = f"partial notebook kept in {kept / notebook}"
    if isinstance(exc, NotebookTimeout):
        message = (
            f"run {name}: notebook {notebook} exceeded the {plan.timeout} s timeout "
            f"(cell {failure.cell}); raise --timeout or check the data; {where}"
        )
    elif isinstance(exc, KernelDied):
        message = (
            f"run {name}: the Jupyter kernel died while running notebook {notebook}, "
            f"cell {failure.cell} ({exc.how}); {where}"
        )
    else:
        message = (
            f"run {name}: notebook {notebook} failed at cell {failure.cell}: "
            f"{failure.ename}: {failure.evalue}; {where}"
        )
    return RunOutcome(name, plan.params_path, "failed", kept, message, failure)


def _is_cell_error(exc: Exception) -> bool:
    from papermill.exceptions import PapermillExecutionError

    return isinstance(exc, PapermillExecutionError)


def _describe(notebook: str, exc: Exception, executed: Path) -> NotebookFailure:
    """Where the notebook stopped; the cell as its ``In [n]`` prompt shows it, else its rank.

    A cell that raised is named by papermill; a cell stopped from outside (timeout, dead
    kernel) is the last one papermill started, read from the executed notebook it saved.
    """
    if _is_cell_error(exc):
        cell = exc.exec_count if exc.exec_count is not None else f"#{exc.cell_index + 1}"
        return NotebookFailure(notebook, cell, exc.ename, str(exc.evalue).strip())
    _, cell = _stopped_cell(executed)
    return NotebookFailure(notebook, cell, type(exc).__name__, str(exc).strip())


def _stopped_cell(executed: Path) -> tuple[int | None, int | str]:
    """The last cell papermill started in ``executed``: its index, and its ``In [n]`` number
    (``#rank`` when unknown, "unknown" when nothing was saved)."""
    import nbformat  # deferred, as in analyse.pipeline.publish: a slow import

    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:  # not written (stopped before its first cell) or unreadable
        return None, "unknown"
    started = [
        i for i, c in enumerate(nb.cells) if c.metadata.get("papermill", {}).get("start_time")
    ]
    if not started:
        return None, "before its first cell"
    running = started[-1]
    count = nb.cells[running].get("execution_count")
    if count is not None:
        return running, count
    # Stopped before the kernel announced the prompt (killed at once): the kernel numbers the
    # cells it runs one after the other, so it is the previous numbered cell's plus one.
    for cell in reversed(nb.cells[:running]):
        if cell.get("cell_type") == "code" and cell.get("execution_count") is not None:
            return running, cell["execution_count"] + 1
    return running, f"#{running + 1}"


def _mark_stopped_cell(executed: Path, failure: NotebookFailure) -> None:
    """Show, under the cell a timeout or a dead kernel stopped, why it stopped."""
    import nbformat

    index, _ = _stopped_cell(executed)
    if index is None:  # nothing was saved, or no cell started: the message says it all
        return
    nb = nbformat.read(executed, as_version=4)
    nb.cells[index].outputs.append(
        nbformat.v4.new_output(
            "error",
            ename=failure.ename,
            evalue=failure.evalue,
            traceback=[f"{failure.ename}: {failure.evalue}"],
        )
    )
    nbformat.write(nb, executed)


def _redact_failed(staging: Path, notebooks: Sequence[Path]) -> None:
    """Remove from a failed run of real data whatever may show respondents' rows.

    Every output of the executed notebooks goes but the error message (``ename: evalue``, not
    the traceback, whose frames may print values), and a notice says so; files the notebooks
    wrote (figures, tables) go too. Kept with ``--debug``.
    """
    executed = {nb.name for nb in notebooks}
    for path in sorted(staging.rglob("*"), reverse=True):  # files before their folders
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()  # only if emptied
        elif path.parent != staging or path.name not in executed:
            path.unlink()
    for name in sorted(executed):
        path = staging / name
        if path.exists():
            _redact_notebook(path)


def _redact_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell.outputs = [
            nbformat.v4.new_output(
                "error",
                ename=output.get("ename", ""),
                evalue=output.get("evalue", ""),
                traceback=[f"{output.get('ename', '')}: {output.get('evalue', '')}"],
            )
            for output in cell.get("outputs", [])
            if output.get("output_type") == "error"
        ]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(REDACTED_NOTICE))
    nbformat.write(nb, path)


def _convert_partial(plan: RunPlan, staging: Path, notebooks: Sequence[Path]) -> None:
    """HTML of every notebook executed so far, the failed one included, for diagnosis."""
    for notebook in notebooks:
        executed = staging / notebook.name
        if not executed.exists():
            continue
        try:
            write_notebook_pages(executed, plan.params.lang, plan.params.name)
        except Exception as exc:  # the notebook itself is what matters
            (staging / f"{notebook.stem}.html-error.txt").write_text(
                f"{type(exc).__name__}: {exc}\n", encoding="utf-8"
            )


def _failed_folder(plan: RunPlan) -> Path:
    root = plan.output_dir / FAILED_DIR
    root.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = root / f"{plan.params.name}-{stamp}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = root / f"{plan.params.name}-{stamp}-{n}"
    return candidate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
