"""Progress of runs on the terminal: a live bar per run, or plain lines in a CI log.

Workers report ``(run name, "start" | "done", step)`` events, through a queue when they are
separate processes; the display lives in the parent process only, so bars never interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from analyse.pipeline.plan import RunOutcome, RunPlan


class RunDisplay:
    """Progress in the parent: a live bar per run on a terminal, plain lines in a CI log."""

    def __init__(self, console: Console | None, plans: Sequence[RunPlan]):
        self.console = console
        self.plans = list(plans)
        self.progress = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RunDisplay:
        if self.console is not None and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.progress.start()
            for plan in self.plans:
                self.tasks[plan.params.name] = self.progress.add_task(
                    f"run {plan.params.name}", total=len(plan.notebooks) + 1
                )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def put(self, item: tuple[str, str, str]) -> None:
        """One event from a run: ``(run name, "start" | "done", notebook file)``, or
        ``(run name, "warning", text)``, printed at once (above the bars on a terminal)."""
        name, kind, notebook = item
        if kind == "warning":
            console = self.progress.console if self.progress is not None else self.console
            if console is not None:
                console.print(f"warning: run {name}: {notebook}", style="yellow", markup=False)
            return
        if self.progress is not None:
            task = self.tasks[name]
            if kind == "start":
                self.progress.update(task, description=f"run {name}: {notebook}")
            else:
                self.progress.advance(task)
        elif self.console is not None and kind == "done":
            self.console.print(f"run {name}: {notebook} done", markup=False)

    def drain(self, queue: Any) -> None:
        while not queue.empty():
            self.put(queue.get())

    def finished(self, outcome: RunOutcome) -> None:
        if self.progress is not None:
            self.progress.update(
                self.tasks[outcome.name], description=f"run {outcome.name}: {outcome.status}"
            )
        say(self.console, outcome)


def say(console: Console | None, outcome: RunOutcome) -> None:
    if console is None:
        return
    style = "bold red" if outcome.status == "failed" else None
    console.print(outcome.message, style=style, markup=False)
