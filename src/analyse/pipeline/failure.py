"""What a failed run leaves: its executed notebooks and pages in ``_failed/``, and a message
that names the notebook and the cell where it stopped. The published report is never touched.

Failed runs of real data disclose no rows: the kept notebooks lose their outputs but the error
message, unless ``--debug`` (``redact_failed``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from analyse.data.provenance import is_synthetic
from analyse.pipeline.analysis_in_kernel import ANSWER_FILE, WARNINGS_FILE
from analyse.pipeline.kernel import KernelDied, NotebookTimeout
from analyse.pipeline.output_folder import usable_failed_dir
from analyse.pipeline.plan import RESULT_FILE, NotebookFailure, RunOutcome, RunPlan
from analyse.pipeline.publish import write_notebook_pages
from analyse.pipeline.site_layout import FAILED_DIR
from analyse.pipeline.snapshot import INPUTS_DIR
from analyse.pipeline.staging import os_reason

REDACTED_NOTICE = (
    "**Outputs removed.** This run failed on real (not synthetic) survey data, and a cell's "
    "output may show respondents' rows: only the error message of the failed cell is kept. "
    "Rerun with `analyse run --debug` to keep every output."
)


def drop_run_result(staging: Path) -> None:
    """Remove the run's stored result, what the kernel's analysis left and the run's copy of
    its input files (``analyse.pipeline.snapshot``) from ``staging``."""
    for name in (RESULT_FILE, ANSWER_FILE, WARNINGS_FILE):
        (staging / name).unlink(missing_ok=True)
    shutil.rmtree(staging / INPUTS_DIR, ignore_errors=True)


def fail_run(
    plan: RunPlan,
    staging: Path,
    notebook: str | None,
    exc: Exception,
    stage: str = "publishing",
) -> RunOutcome:
    """Keep what was executed in ``_failed/`` (with HTML), never touching the published run.

    When nothing can be kept (``_failed`` is not a folder, or the disk is full), the staging
    folder is removed instead, so that nothing half-written is left, and the message says why.
    """
    drop_run_result(staging)  # it holds respondent-level rows: never kept
    name = plan.params.name
    if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
        # the disk is full: keeping the failed run would fill it again (and the next run
        # would fail the same way); nothing half-written is left, the last report stays
        shutil.rmtree(staging, ignore_errors=True)
        message = f"run {name}: {_what_failed(notebook, exc, stage)}; nothing kept"
        return RunOutcome(name, plan.params_path, "failed", plan.output_dir, message)
    try:
        return _keep_failed(plan, staging, notebook, exc, stage)
    except UnusableFailedDir as unusable:
        shutil.rmtree(staging, ignore_errors=True)
        message = (
            f"run {name}: {_what_failed(notebook, exc, stage)}; nothing kept: {unusable.path} "
            "is not a folder (a file or a symbolic link), where analyse keeps failed runs: "
            "move it or choose another --output-dir"
        )
        return RunOutcome(name, plan.params_path, "failed", unusable.path, message, None, True)
    except OSError as error:  # e.g. the disk filled up: keep nothing rather than half
        shutil.rmtree(staging, ignore_errors=True)
        message = (
            f"run {name}: {_what_failed(notebook, exc, stage)}; nothing kept: {os_reason(error)}"
        )
        return RunOutcome(name, plan.params_path, "failed", plan.output_dir, message)


_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})


class UnusableFailedDir(Exception):
    """``_failed`` is a file or a symbolic link: a failed run is never kept into it."""

    def __init__(self, path: Path):
        super().__init__(f"{path} is not a folder")
        self.path = path


def _what_failed(notebook: str | None, exc: Exception, stage: str) -> str:
    """What stopped the run, in a few words (the start of its message)."""
    reason = _reason(exc)
    return f"{stage} failed: {reason}" if notebook is None else f"notebook {notebook}: {reason}"


def _reason(exc: Exception) -> str:
    """An exception in words; a file system's refusal (a full disk...) as the user acts on it."""
    if isinstance(exc, OSError) and not isinstance(exc, NotebookTimeout) and exc.errno:
        return os_reason(exc)
    return f"{type(exc).__name__}: {exc}"


def _keep_failed(
    plan: RunPlan, staging: Path, notebook: str | None, exc: Exception, stage: str
) -> RunOutcome:
    failure = None if notebook is None else _describe(notebook, exc, staging / notebook)
    if failure is not None and isinstance(exc, (NotebookTimeout, KernelDied)):
        _mark_stopped_cell(staging / notebook, failure)
    synthetic = is_synthetic(plan.params.survey_path) if plan.synthetic is None else plan.synthetic
    _drop_unreadable(staging, plan.notebooks)  # saved halfway: nothing to read in it
    if not (plan.debug or synthetic):
        _redact_failed(staging, plan.notebooks)
    _convert_partial(plan, staging, plan.notebooks)
    if not _is_cell_error(exc):
        # an analysis that failed in the kernel brings the kernel's traceback
        text = getattr(exc, "kernel_traceback", None) or "".join(traceback.format_exception(exc))
        (staging / "error.txt").write_text(text, encoding="utf-8")
    kept = _failed_folder(plan)
    os.replace(staging, kept)
    name = plan.params.name
    if notebook is None or failure is None:
        executed = any((kept / nb.name).exists() for nb in plan.notebooks)
        what = "executed notebooks and error.txt" if executed else "error.txt"
        message = f"run {name}: {stage} failed: {_reason(exc)}; {what} kept in {kept}"
        return RunOutcome(name, plan.params_path, "failed", kept, message)
    where = (
        f"partial notebook kept in {kept / notebook}"
        if (kept / notebook).exists()
        else f"the notebook could not be saved whole and was removed; the rest is kept in {kept}"
    )
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
    elif isinstance(exc, OSError) and exc.errno:  # e.g. a read-only folder
        at = "" if failure.cell == "unknown" else f" at cell {failure.cell}"
        message = f"run {name}: notebook {notebook} stopped{at}: {os_reason(exc)}; {where}"
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


def _drop_unreadable(staging: Path, notebooks: Sequence[Path]) -> None:
    """Remove an executed notebook that cannot be read (saved halfway): it is no diagnosis,
    and its page cannot be made."""
    import nbformat

    for notebook in notebooks:
        path = staging / notebook.name
        if not path.exists():
            continue
        try:
            nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - truncated or not a notebook
            path.unlink()


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
    """Keep only the error messages of an executed notebook; one that cannot be read (saved
    halfway, on a full disk) cannot be redacted, so it is removed, not kept as it is."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - truncated or not a notebook: nothing safe to keep
        path.unlink()
        return
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
    """A new folder's path in ``_failed``, which is made if missing and never followed if it
    is a symbolic link or not a folder (``UnusableFailedDir``)."""
    root = plan.output_dir / FAILED_DIR
    with contextlib.suppress(FileExistsError):
        root.mkdir()
    if not usable_failed_dir(root):
        raise UnusableFailedDir(root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = root / f"{plan.params.name}-{stamp}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = root / f"{plan.params.name}-{stamp}-{n}"
    return candidate


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
