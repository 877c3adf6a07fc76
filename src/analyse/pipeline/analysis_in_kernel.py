"""The run's analysis computed in the run's Jupyter kernel, for the runner.

The kernel imports pandas, statsmodels and the analysis anyway, to show the result in the
notebooks; computing the result there too spares the command process those imports (about two
seconds of CPU, the analysis' largest cost on the default panel), so that the command itself
stays light: it checks the inputs, drives the notebooks and publishes.

The runner asks with ``request(params, staging)``, code the kernel executes; the kernel stores
the result for the notebooks (``analyse.pipeline.run_result.save_run_result``) and leaves
``ANSWER_FILE`` in the staging folder: ``results.json``'s document and the survey's warnings,
or the exception that stopped the analysis with its traceback, which the runner reports as it
reports an analysis computed in its own process (``read_answer``). Only this module's function
runs in the kernel: the runner never imports the analysis.
"""

from __future__ import annotations

import base64
import pickle
import traceback
from pathlib import Path
from typing import Any

from analyse.errors import InputError

ANSWER_FILE = ".analysis-answer.pickle"  # in the staging folder; removed before publishing
WARNINGS_FILE = ".analysis-warnings.json"  # the warnings, for the runner; likewise


class AnalysisError(Exception):
    """An exception of the analysis that could not travel from the kernel as itself."""


def request(params: Any, staging: Path) -> str:
    """The code the kernel executes to compute and store the run's result in ``staging``."""
    payload = base64.b64encode(pickle.dumps((params, str(staging)))).decode("ascii")
    return (
        "from analyse.pipeline.analysis_in_kernel import answer as _analyse_answer\n"
        f"_analyse_answer({payload!r})\n"
        "del _analyse_answer"
    )


def answer(payload: str) -> None:
    """In the kernel: compute, store, and write the answer (never raises for the analysis).

    The files read are the run's copies in ``staging`` (``analyse.pipeline.snapshot``) when the
    runner took them; the warnings still name the user's files.
    """
    from analyse.pipeline.run_result import compute_run_result, results_document, save_run_result
    from analyse.pipeline.snapshot import read_snapshot

    params, staging = pickle.loads(base64.b64decode(payload))  # noqa: S301 - from the runner
    try:
        snapshot = read_snapshot(staging)
        result = compute_run_result(params, snapshot=snapshot)
        save_run_result(result, staging)
        reply: tuple[Any, ...] = (
            "ok",
            results_document(result),
            run_warnings(params, result, snapshot),
        )
    except Exception as exc:  # reported by the runner as the analysis' failure
        text = "".join(traceback.format_exception(exc))
        reply = ("error", _portable(exc), text)
    (Path(staging) / ANSWER_FILE).write_bytes(pickle.dumps(reply))


def run_warnings(params: Any, result: Any, snapshot: Any) -> list[str]:
    """The survey's warnings (``analyse.pipeline.preflight.result_warnings``), read from the
    run's copies of its files when there are, naming the user's files. The rare type labels
    the report pools are counted, not named (``preflight.pooled_label_warnings``)."""
    from analyse.pipeline.preflight import result_warnings

    if snapshot is None:
        return result_warnings(params, result, name_labels=False)
    try:
        warnings = result_warnings(snapshot.reading(params), result, name_labels=False)
    except InputError as exc:  # it names the copies
        raise snapshot.named_as_given(exc) from None
    return [snapshot.as_given(w) for w in warnings]


def _portable(exc: Exception) -> Exception:
    """``exc`` if it comes back from a pickle as itself (same type, same message), else an
    ``AnalysisError`` that says what it was."""
    try:
        copy = pickle.loads(pickle.dumps(exc))  # noqa: S301 - made here
        if type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    except Exception:  # noqa: BLE001 - any exception that does not travel is described
        pass
    return AnalysisError(f"{type(exc).__name__}: {exc}")


def read_answer(staging: Path) -> tuple[dict, list[str]]:
    """``results.json``'s document and the warnings the kernel left in ``staging``; raises the
    analysis' own exception when it failed (its kernel traceback in ``kernel_traceback``).

    The file is removed: it is no part of a report.
    """
    path = staging / ANSWER_FILE
    reply = pickle.loads(path.read_bytes())  # noqa: S301 - written by answer() for this run
    path.unlink()
    if reply[0] == "ok":
        return reply[1], reply[2]
    _, exc, text = reply
    exc.kernel_traceback = text
    raise exc
