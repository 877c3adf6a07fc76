"""What a run is given and what it gives back: the plan a worker executes, the outcome it returns.

Shared by the runner, its workers, the kernel and the progress display; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from analyse.params import RunParams

# The run's result in its staging folder (``analyse.pipeline.run_result``): respondent-level
# rows, never published nor kept with a failed run.
RESULT_FILE = "run_result.pickle"
Status = Literal["published", "skipped", "failed"]
DEFAULT_TIMEOUT = 600  # seconds a notebook cell may run (``analyse run --timeout``)


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
    # whether the run's copy of its survey is synthetic (``analyse.pipeline.snapshot``); None
    # until the copy is taken
    synthetic: bool | None = None

    @property
    def target(self) -> Path:
        return self.output_dir / self.params.name


class Events(Protocol):
    """Where a worker reports progress: a ``Manager().Queue()`` proxy, or the display itself."""

    def put(self, item: tuple[str, str, str]) -> None: ...
