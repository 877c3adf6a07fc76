"""Stopping ``analyse run`` stops everything it started, and publishes nothing more.

The command runs in a child process with two parameter files and ``--jobs 2``; once both
runs are inside a long notebook cell, the command alone (not its process group) receives
SIGINT, SIGTERM or SIGKILL. Every process it started (the progress queue's manager, the
workers, their Jupyter kernels) must be gone within seconds, no report published, no staging
folder left. Before this was fixed the workers went on and published after the command ended.
Linux only: the processes are found through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell
from test_runner import notebook, write_notebooks, write_params

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)"),
]

# The command as `analyse run` runs it, with the analysis replaced by a constant (the
# notebooks are what takes time here) and the remaining arguments from the test.
COMMAND = """
import sys
from analyse import cli
from analyse.pipeline import runner
runner._compute_results = lambda params, staging=None: {"verdict": "negligible"}
sys.argv = ["analyse", "run", *sys.argv[1:]]
cli.main()
"""
SLOW = notebook(
    new_code_cell(
        "import pathlib, time\npathlib.Path(output_dir, 'started').touch()\ntime.sleep(120)"
    )
)


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def descendants(pid: int) -> set[int]:
    table = process_table()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = {p for p, (ppid, _) in table.items() if ppid == parent}
        todo.extend(children - found)
        found |= children
    return found


def alive(pids: set[int]) -> set[int]:
    table = process_table()
    return {p for p in pids if p in table and table[p][1] != "Z"}  # zombies have ended


def wait_for(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


@pytest.mark.parametrize(
    ("signum", "status", "names"),
    [
        (signal.SIGINT, 130, ("left", "right")),
        (signal.SIGTERM, 143, ("left", "right")),
        (signal.SIGKILL, -signal.SIGKILL, ("left", "right")),
        (signal.SIGINT, 130, ("left",)),  # one run: in the command's own process
    ],
    ids=["SIGINT", "SIGTERM", "SIGKILL", "SIGINT-one-run"],
)
def test_a_stopped_command_leaves_no_process_and_publishes_nothing(tmp_path, signum, status, names):
    root = tmp_path / "project"
    write_notebooks(root / "notebooks", **{"01_slow": SLOW})
    paths = [str(write_params(tmp_path / "params", name)) for name in names]
    out = tmp_path / "reports"
    env = {
        **os.environ,
        "ANALYSE_ROOT": str(root),
        "PYTHONPATH": os.pathsep.join(sys.path),
        "TERM": "dumb",
    }
    command = subprocess.Popen(
        [sys.executable, "-c", COMMAND, *paths, "--output-dir", str(out), "--jobs", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # signals from the test reach the command alone
    )
    started: set[int] = set()
    try:
        # a deadline, not a timing: with the suite's other workers publishing reports on the same
        # two cores, starting two kernels once took longer than 120 s
        running = wait_for(lambda: len(list(out.glob(".staging-*/started"))) == len(names), 300)
        assert running, command.stderr.read() if command.poll() is not None else ""
        started = descendants(command.pid)
        # the kernels, and with two runs the progress queue's manager and two workers
        assert len(started) >= (1 if len(names) == 1 else 5)

        os.kill(command.pid, signum)
        stdout, stderr = command.communicate(timeout=60)
        assert command.returncode == status
        if signum != signal.SIGKILL:
            assert "interrupted; the last good report is kept" in stderr
            assert "Traceback" not in stdout + stderr
        assert wait_for(lambda: not alive(started), 30), f"still running: {alive(started)}"
        assert not [name for name in names if (out / name).exists()]
        assert not list(out.glob(".staging-*"))
    finally:  # whatever failed, stop what this test started, by pid
        for pid in alive(started | {command.pid}):
            os.kill(pid, signal.SIGKILL)
        command.wait()
