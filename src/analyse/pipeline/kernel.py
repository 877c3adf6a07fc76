"""One Jupyter kernel computing a run's result and executing its notebooks in turn.

Starting a kernel and importing the scientific stack costs seconds, the notebooks themselves
little once the run's result is computed: so one kernel serves every notebook of a run (its
namespace reset between them). It starts, and imports the report's modules, while the command
imports papermill and nbconvert, then computes the run's result with the same modules
(``analyse.pipeline.analysis_in_kernel``): the command never imports the analysis.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from analyse.params import flat_parameters
from analyse.pipeline.plan import RunPlan

KERNEL_NAME = "python3"
# The kernel's own log goes straight to the terminal, once per notebook: a transport warning
# at start, and "KeyboardInterrupt caught" when jupyter_client interrupts it before shutdown.
# Neither concerns the user; errors raised by cells are recorded in the executed notebook and a
# dead kernel is reported by papermill, so the kernel's log is kept to critical messages.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
KERNEL_START_TIMEOUT = 60  # seconds
# What the kernel imports while the runner computes the result. The modules' objects are then
# moved out of the garbage collector's sight (``gc.freeze``): they live as long as the kernel,
# and IPython's reset between notebooks runs a full collection, which otherwise walks all of
# pandas, statsmodels and matplotlib each time (a quarter of a second per notebook).
WARM_UP = (
    "import analyse.pipeline.run_result, analyse.report.notebook, analyse.report.plots, "
    "analyse.report.tables\n"
    "import gc as _gc\n"
    "_gc.collect(); _gc.freeze()"
)
# Before each notebook: no figure, style, working folder or variable of the previous one. Only
# imported modules (the point of one kernel) and their own state, and warning filters, remain.
RESET = (
    "import matplotlib as _mpl, matplotlib.pyplot as _plt, os as _os\n"
    "_plt.close('all'); _mpl.rcdefaults(); _os.chdir({cwd!r})\n"
    "get_ipython().reset(new_session=True)"
)


def skip_iri_grammars() -> None:
    """Spare this process the IRI grammars of ``jsonschema``: call it before papermill or
    nbconvert is imported, in a process of one's own (the ``analyse run`` command).

    Importing papermill or nbconvert imports nbformat, hence jsonschema, which imports
    ``rfc3987_syntax`` when installed (JupyterLab's ``jupyter-events`` installs it) and compiles
    its Lark grammars on import: more than a second of CPU, for the "iri" string format that
    no notebook schema uses. Marked absent, jsonschema skips that format; everything else is
    unchanged. Nothing is done once jsonschema is imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


class NotebookTimeout(TimeoutError):
    """A cell ran longer than the run's ``timeout``; the kernel is shut down with the run."""


class KernelDied(RuntimeError):
    """The kernel died while a cell ran: ``how`` says what is known (killed by SIGKILL...)."""

    def __init__(self, how: str):
        super().__init__(f"the Jupyter kernel died ({how})")
        self.how = how


class Kernel:
    """One Jupyter kernel executing a run's notebooks in turn, through papermill.

    Starting a kernel and importing pandas, statsmodels and seaborn costs seconds; the analysis
    a notebook shows costs milliseconds once computed. So the kernel starts, and imports the
    report's modules (``WARM_UP``), while the command imports papermill and nbconvert on the
    other core; then it computes the run's result (``run_analysis``), with the modules it has
    imported for the notebooks. Before each notebook the kernel's namespace and history are reset
    (``InteractiveShell.reset(new_session=True)``): a notebook sees no variable of the previous
    one and its cells are numbered from 1, as in a fresh kernel; imported modules stay loaded,
    which is the point.
    """

    def __init__(self, cwd: Path, kernel_name: str = KERNEL_NAME):
        self.cwd = cwd
        self.kernel_name = kernel_name
        self.manager: Any = None
        self.client: Any = None  # one control client for the warm-up and every reset
        self._warming: threading.Thread | None = None
        self._ready = False  # answered before KERNEL_START_TIMEOUT (set by the warm-up)

    def __enter__(self) -> Kernel:
        return self

    def start(self) -> None:
        """Start the kernel and, in the background, its warm-up."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_client.utils import run_sync

        self.manager = AsyncKernelManager(kernel_name=self.kernel_name)
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
            self._ready = True
            self._run(WARM_UP)

    def wait_ready(self) -> None:
        """Wait for the warm-up; ``RuntimeError`` if the kernel never answered.

        While the kernel imports, this process imports what it needs next: papermill, which
        executes every notebook, and nbconvert, which writes their pages.
        """
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401

        self._join_warm_up()
        if not self._ready:
            raise RuntimeError(f"the Jupyter kernel was not ready within {KERNEL_START_TIMEOUT} s")

    def run_analysis(self, code: str) -> None:
        """Execute ``code`` (the run's analysis: ``analyse.pipeline.analysis_in_kernel``) once
        the kernel is ready, however long it takes, without output.

        ``KernelDied`` if the kernel dies meanwhile, ``RuntimeError`` if it cannot run the code.
        """
        import queue

        self.wait_ready()
        msg_id = self.client.execute(code, silent=True, store_history=False)
        while True:
            try:
                reply = self.client.get_shell_msg(timeout=1)
            except queue.Empty:
                if not self._alive():
                    raise KernelDied(self.exit_status()) from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(
                f"the Jupyter kernel could not run the analysis: {content.get('ename')}: "
                f"{content.get('evalue')}"
            )

    def _alive(self) -> bool:
        from jupyter_client.utils import run_sync

        return bool(run_sync(self.manager.is_alive)())

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
                kernel_name=self.kernel_name,
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
