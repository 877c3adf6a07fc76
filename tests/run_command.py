"""``analyse run`` as an analyst types it, in a fresh process from the project folder: the
end-to-end tests of messy inputs publish through it (the notebooks' kernels, the pages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
