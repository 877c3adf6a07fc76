"""Benchmark of the pipeline: a full report against the floor of executing any notebook.

Prints, measured in one session (machines here are shared and noisy: compare the ratios):

- **full run**: ``analyse run PARAMS --force`` as a user types it, in a fresh process (CLI start,
  checksums, the analysis, every notebook, publishing);
- **floor**: ``papermill`` executing one trivial notebook that imports the same stack (pandas,
  statsmodels, seaborn, matplotlib, analyse): what any papermill report costs at least;
- their **ratio** (goal: <= 3);
- **unchanged run**: the same command again, skipped because nothing changed (goal: <= 1 s);
- **compute**: the run's whole analysis called in-process (``compute_run_result``);
- **notebooks, one kernel vs concurrent kernels**: the run's notebooks executed on a stored
  result, either in turn in one kernel (what the runner does) or by concurrent papermill
  processes, one kernel each, ``--jobs`` at a time; the faster is kept in the runner;
- **set-up** (with ``--setup``): the install part of the README's first quick-start line in a
  fresh clone with an empty package cache (network included).

Run: ``.venv/bin/python benchmarks/pipeline.py [--params params/default.yaml] [--setup]``.
Everything is written to a temporary folder, never to reports/.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import yaml

from analyse.params import flat_parameters, load_params
from analyse.paths import project_root
from analyse.pipeline.run_result import compute_run_result, save_run_result
from analyse.pipeline.runner import KERNEL_NAME, _Kernel, find_notebooks

ROOT = project_root()
BIN = Path(sys.executable).parent
FLOOR_SOURCE = (
    "import pandas, statsmodels.api, seaborn, matplotlib.pyplot\n"
    "import analyse.pipeline.run_result, analyse.report.plots, analyse.report.tables"
)


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best_of(n: int, fn: Callable[[], object]) -> float:
    """The median of ``n`` timings: robust to one slow run on a shared machine."""
    return statistics.median(timed(fn) for _ in range(n))


def run(*cmd: str, **kwargs) -> None:
    subprocess.run(cmd, check=True, capture_output=True, **kwargs)


def trivial_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def notebooks_in_one_kernel(plan_params, notebooks, staging: Path) -> None:
    from types import SimpleNamespace

    plan = SimpleNamespace(params=plan_params, notebooks_dir=notebooks[0].parent)
    with _Kernel(plan.notebooks_dir) as kernel:
        kernel.start()
        for nb in notebooks:
            kernel.execute(nb, staging / nb.name, plan, staging)


def notebooks_in_concurrent_kernels(params, notebooks, staging: Path, jobs: int) -> None:
    """One ``papermill`` process (and kernel) per notebook, ``jobs`` at a time: processes, not
    threads, since papermill changes the working directory of the process it runs in."""
    parameters = yaml.safe_dump({**flat_parameters(params), "output_dir": str(staging)})
    papermill = str(BIN / "papermill")

    def one(nb: Path) -> None:
        out = staging / nb.name
        run(papermill, str(nb), str(out), "-y", parameters, "--no-progress-bar", cwd=nb.parent)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, notebooks))


def setup_command() -> str:
    """The install part of the README's first quick-start line (everything before the run)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)\n```", readme, re.S)
    assert block, "no quick-start block in README.md"
    first = block.group(1).splitlines()[0]
    return first.split(" && .venv/bin/analyse run")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--setup", action="store_true", help="also time the README's install")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="analyse-bench-"))
    analyse_cli, papermill_cli = str(BIN / "analyse"), str(BIN / "papermill")
    try:
        out = tmp / "reports"
        full = best_of(
            args.repeats,
            lambda: run(analyse_cli, "run", args.params, "--force", "--output-dir", str(out)),
        )
        skipped = best_of(
            args.repeats, lambda: run(analyse_cli, "run", args.params, "--output-dir", str(out))
        )
        floor_nb = trivial_notebook(tmp)
        floor = best_of(
            args.repeats,
            lambda: run(papermill_cli, str(floor_nb), str(tmp / "floor.out.ipynb"), cwd=tmp),
        )
        params = load_params(args.params)
        compute_run_result(params)  # warm: imports and caches, as in a run's worker
        compute = best_of(args.repeats, lambda: compute_run_result(params))
        notebooks = find_notebooks(ROOT / "notebooks")
        staging = tmp / "staging"
        save_run_result(compute_run_result(params), staging)
        one_kernel = best_of(
            args.repeats, lambda: notebooks_in_one_kernel(params, notebooks, staging)
        )
        concurrent = best_of(
            args.repeats,
            lambda: notebooks_in_concurrent_kernels(params, notebooks, staging, args.jobs),
        )
        setup = None
        if args.setup:
            clone = tmp / "clone"
            run("git", "clone", "-q", str(ROOT), str(clone))
            env = {**os.environ, "UV_CACHE_DIR": str(tmp / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
            setup = timed(lambda: run("bash", "-c", setup_command(), cwd=clone, env=env))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"cores available: {os.cpu_count()}; median of {args.repeats} runs each")
    print(f"full run (analyse run {args.params} --force): {full:7.2f} s")
    print(f"floor (papermill, one trivial notebook importing the stack): {floor:7.2f} s")
    print(f"ratio full run / floor: {full / floor:.2f} (goal <= 3)")
    print(f"unchanged run (skipped): {skipped:7.2f} s (goal <= 1 s)")
    print(f"compute (the run's whole analysis, in-process): {compute:7.2f} s (goal <= 2 s)")
    print(f"{len(notebooks)} notebooks on a stored result:")
    print(f"  in turn in one kernel (the runner's choice): {one_kernel:7.2f} s")
    print(f"  concurrent kernels, {args.jobs} at a time:          {concurrent:7.2f} s")
    faster = "one kernel" if one_kernel <= concurrent else "concurrent kernels"
    print(f"  faster: {faster} ({max(one_kernel, concurrent) / min(one_kernel, concurrent):.2f}x)")
    if setup is not None:
        print(f"set-up (README line 1 install, fresh clone, empty cache): {setup:7.1f} s")
        print(f"  command: {setup_command()}")


if __name__ == "__main__":
    main()
