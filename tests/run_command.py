"""The command line as an analyst types it: ``analyse run`` in a fresh process from the
project folder (the end-to-end tests of messy inputs publish through it: the notebooks'
kernels, the pages), and any command in this process (``run_main``), for the tests of its
messages and exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyse import cli

ROOT = Path(__file__).resolve().parents[1]


def analyse_run(params: Path, out: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``analyse run PARAMS --output-dir OUT --jobs 1``; the caller asserts on the result."""
    return subprocess.run(
        [sys.executable, "-m", "analyse", "run", str(params), "--output-dir", str(out)]
        + ["--jobs", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def run_main(monkeypatch: pytest.MonkeyPatch, *args: object) -> int:
    """``cli.main()`` in-process with ``args`` as its command line; returns the exit status it
    ends with (an uncaught exception, a traceback for the user, fails the test)."""
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0
