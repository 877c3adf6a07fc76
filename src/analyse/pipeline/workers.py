"""Runs in worker processes that never outlive the command.

Several parameter files use several cores: runs execute in worker processes, which stop with
the command. On SIGINT or SIGTERM the parent stops them, and each also watches its parent
(``PR_SET_PDEATHSIG`` on Linux, a polling thread elsewhere), so a killed command leaves no
worker behind to publish later. A stopped worker unwinds its run (its staging folder and kernel
go) and exits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing.managers import SyncManager

from analyse.pipeline.plan import Events, RunOutcome, RunPlan
from analyse.pipeline.progress import RunDisplay

# How long stopped workers get to remove their staging folder and shut their kernel down
# before they are killed, and how often a worker checks that its parent is alive.
STOP_GRACE = 20.0  # seconds
PARENT_POLL = 0.5  # seconds


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM; SIGINT raises a plain ``KeyboardInterrupt``)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _mp_context() -> multiprocessing.context.BaseContext:
    """Fork on Linux: workers start at once and inherit the parent's imports and state."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


Run = Callable[[RunPlan, Events], RunOutcome]  # how a worker executes one plan


def execute_in_pool(
    plans: list[RunPlan], workers: int, display: RunDisplay, run: Run
) -> list[RunOutcome]:
    """Run the plans in worker processes that never outlive this one; ``run`` executes one plan
    in a worker (``analyse.pipeline.runner.execute_run``) and must be picklable.

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
            futures = {pool.submit(_run_in_worker, run, plan, queue): plan for plan in plans}
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
def sigterm_interrupts():
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


def _run_in_worker(run: Run, plan: RunPlan, events: Events) -> RunOutcome:
    """``run`` (the runner's ``execute_run``) in a worker; an interrupted worker exits once
    the run has cleaned up.

    It must not return to the pool: its parent is stopping it, or dead, and waiting for the
    next run would leave it running forever.
    """
    global _worker_busy
    _worker_busy = True
    try:
        return run(plan, events)
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
