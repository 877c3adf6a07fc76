"""Benchmark of the pipeline: a full report against the floor of executing any notebook.

Prints, measured in one session (machines here are shared and noisy: compare the ratios):

- **bytecode**: both sides run compiled. A Python that has imported a library once has its
  ``.pyc`` files; a fresh ``uv pip install`` writes none unless asked (``--compile-bytecode``),
  and some machines set ``PYTHONDONTWRITEBYTECODE=1``, so that every process and kernel would
  recompile pandas, statsmodels and matplotlib, which slows the floor more than the run and
  flatters the ratio. So the venv's site-packages and the project's ``src`` are compiled once
  up front (only what lacks an up-to-date ``.pyc``), and every timed process runs without
  ``PYTHONDONTWRITEBYTECODE``, as an analyst's Python does; the output says what was compiled;
- **full run**: ``analyse run PARAMS --force`` as a user types it, in a fresh process (CLI start,
  checksums, the analysis, every notebook, publishing), wall time and CPU time (the command's
  own, and its children's: the Jupyter kernel);
- **floor**: ``papermill`` executing one trivial notebook that imports the same stack (pandas,
  statsmodels, seaborn, matplotlib, analyse): what any papermill report costs at least;
- their **ratio** (goal: <= 3);
- **unchanged run**: the same command again, skipped because nothing changed (goal: <= 1 s),
  beside ``analyse --help``, the cost of starting the command at all;
- **where a full run goes**: the command's and the kernel's CPU, the analysis (computed in the
  kernel) and each notebook as the manifest times them (wall), the kernel's start and imports
  on their own;
- **compute**: the run's whole analysis called in-process (``compute_run_result``);
- **notebooks, one kernel vs concurrent kernels**: the run's notebooks executed on a stored
  result, either in turn in one kernel (what the runner does) or by concurrent papermill
  processes, one kernel each, ``--jobs`` at a time; the faster is kept in the runner;
- **set-up** (with ``--setup``): the install part of the README's first quick-start line in a
  fresh clone with an empty package cache (network included).

Each command is run once untimed first (caches warm, any missing ``.pyc`` written), then
``--repeats`` times; medians are printed.

Run: ``.venv/bin/python benchmarks/pipeline.py [--params params/default.yaml] [--setup]``.
Everything is written to a temporary folder, never to reports/.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import nbformat
import yaml

from analyse.params import flat_parameters, load_params
from analyse.paths import project_root
from analyse.pipeline.kernel import KERNEL_NAME, Kernel
from analyse.pipeline.run_result import compute_run_result, save_run_result
from analyse.pipeline.runner import find_notebooks

ROOT = project_root()
BIN = Path(sys.executable).parent
FLOOR_SOURCE = (
    "import pandas, statsmodels.api, seaborn, matplotlib.pyplot\n"
    "import analyse.pipeline.run_result, analyse.report.plots, analyse.report.tables"
)
# ``analyse`` as its console script runs it, plus the CPU time of the process itself and of its
# children (the kernel, git), written at exit to the file named by ANALYSE_BENCH_RUSAGE.
COMMAND = """
import atexit, json, os, resource, sys

def _report():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["ANALYSE_BENCH_RUSAGE"], "w") as fh:
        json.dump({"command": own.ru_utime + own.ru_stime,
                   "children": children.ru_utime + children.ru_stime}, fh)

atexit.register(_report)
sys.argv = ["analyse", *sys.argv[1:]]
from analyse.cli import main
sys.exit(main())
"""


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


class Timed:
    """Wall and CPU time (children included) of a subprocess, run as ``run`` runs it."""

    def __init__(self, tmp: Path):
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.usage_file = tmp / "rusage.json"
        self.env["ANALYSE_BENCH_RUSAGE"] = str(self.usage_file)

    def __call__(self, *cmd: str, cwd: Path = ROOT) -> dict[str, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=cwd, env=self.env)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall": wall, "cpu": cpu}

    def analyse(self, *args: str) -> dict[str, float]:
        """``analyse ARGS`` with the command's and its children's CPU time."""
        self.usage_file.unlink(missing_ok=True)
        timing = self(sys.executable, "-c", COMMAND, *args)
        return {**timing, **json.loads(self.usage_file.read_text())}


def repeat(n: int, fn: Callable[[], dict[str, float]]) -> dict[str, float]:
    """One untimed run, then the median of ``n`` timings of each figure."""
    fn()
    runs = [fn() for _ in range(n)]
    return {key: median(r[key] for r in runs) for key in runs[0]}


def best_of(n: int, fn: Callable[[], object]) -> float:
    """The median of ``n`` wall timings of an in-process call."""

    def one() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    return median(one() for _ in range(n))


# ------------------------------------------------------------------------------- bytecode


def bytecode_folders() -> list[Path]:
    """Where the timed processes import from: the venv's site-packages and the project's src."""
    paths = sysconfig.get_paths()
    folders = {Path(paths["purelib"]), Path(paths["platlib"]), ROOT / "src"}
    return sorted(f for f in folders if f.is_dir())


def lacking_bytecode(folders: Iterable[Path]) -> int:
    """Modules whose ``.pyc`` (for this Python) is missing or older than their source."""
    count = 0
    for folder in folders:
        for source in folder.rglob("*.py"):
            cached = Path(importlib.util.cache_from_source(str(source)))
            try:
                if cached.stat().st_mtime < source.stat().st_mtime:
                    count += 1
            except OSError:
                count += 1
    return count


def compile_bytecode() -> str:
    """Compile what lacks bytecode, once, before anything is timed; say what was done."""
    folders = bytecode_folders()
    missing = lacking_bytecode(folders)
    if missing:
        for folder in folders:
            compileall.compile_dir(folder, quiet=2, workers=0)
    left = lacking_bytecode(folders)  # files that do not compile (e.g. Python 2 test data)
    where = " and ".join(
        str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in folders
    )
    done = f"compiled {missing - left} module(s) first" if missing else "already compiled"
    return (
        f"bytecode: {where}: {done} ({left} file(s) without bytecode: not importable code); "
        "PYTHONDONTWRITEBYTECODE unset in every timed process: both sides import compiled "
        "modules, as an analyst's Python does after its first import"
    )


# ----------------------------------------------------------------------------- the floor


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


# ------------------------------------------------------------------------- parts of a run


def kernel_ready(notebooks_dir: Path) -> None:
    """A kernel started and warmed up (the report's imports), then shut down."""
    with Kernel(notebooks_dir) as kernel:
        kernel.start()
        kernel._join_warm_up()


def notebooks_in_one_kernel(plan_params, notebooks, staging: Path) -> None:
    plan = SimpleNamespace(params=plan_params, notebooks_dir=notebooks[0].parent, timeout=600)
    with Kernel(plan.notebooks_dir) as kernel:
        kernel.start()
        for nb in notebooks:
            kernel.execute(nb, staging / nb.name, plan, staging)


def notebooks_in_concurrent_kernels(params, notebooks, staging: Path, jobs: int) -> None:
    """One ``papermill`` process (and kernel) per notebook, ``jobs`` at a time: processes, not
    threads, since papermill changes the working directory of the process it runs in."""
    parameters = yaml.safe_dump({**flat_parameters(params), "output_dir": str(staging)})
    papermill = str(BIN / "papermill")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def one(nb: Path) -> None:
        out = staging / nb.name
        subprocess.run(
            [papermill, str(nb), str(out), "-y", parameters, "--no-progress-bar"],
            check=True,
            capture_output=True,
            cwd=nb.parent,
            env=env,
        )

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
    # Kernels started from this process inherit its environment: compiled, like the rest.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    bytecode = compile_bytecode()
    tmp = Path(tempfile.mkdtemp(prefix="analyse-bench-"))
    timed = Timed(tmp)
    load_start = os.getloadavg()
    try:
        out = tmp / "reports"
        floor_nb = trivial_notebook(tmp)
        floor_out = str(tmp / "floor.out.ipynb")
        papermill = str(BIN / "papermill")
        full = repeat(
            args.repeats,
            lambda: timed.analyse("run", args.params, "--force", "--output-dir", str(out)),
        )
        floor = repeat(args.repeats, lambda: timed(papermill, str(floor_nb), floor_out, cwd=tmp))
        params = load_params(args.params)
        manifest = json.loads((out / params.name / "manifest.json").read_text())
        skipped = repeat(
            args.repeats, lambda: timed.analyse("run", args.params, "--output-dir", str(out))
        )
        helped = repeat(args.repeats, lambda: timed.analyse("--help"))
        notebooks = find_notebooks(ROOT / "notebooks")
        kernel = best_of(args.repeats, lambda: kernel_ready(notebooks[0].parent))
        compute_run_result(params)  # warm: imports and caches, as in a run's kernel
        compute = best_of(args.repeats, lambda: compute_run_result(params))
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
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
            env = {**os.environ, "UV_CACHE_DIR": str(tmp / "uv-cache"), "PIP_NO_CACHE_DIR": "1"}
            t0 = time.perf_counter()
            subprocess.run(["bash", "-c", setup_command()], cwd=clone, env=env, check=True)
            setup = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_end = os.getloadavg()

    print(f"cores available: {os.cpu_count()}; median of {args.repeats} runs each, after one")
    print(f"untimed run; load average (1 min) {load_start[0]:.2f} at the start, ", end="")
    print(f"{load_end[0]:.2f} at the end")
    print(bytecode)
    print(f"full run (analyse run {args.params} --force): {full['wall']:7.2f} s", end="")
    print(f"  (CPU {full['cpu']:.2f} s)")
    print(
        f"floor (papermill, one trivial notebook importing the stack): {floor['wall']:7.2f} s",
        end="",
    )
    print(f"  (CPU {floor['cpu']:.2f} s)")
    print(f"ratio full run / floor, both compiled: {full['wall'] / floor['wall']:.2f} (goal <= 3)")
    print(f"  the same in CPU time: {full['cpu'] / floor['cpu']:.2f}")
    print(f"unchanged run (skipped): {skipped['wall']:7.2f} s (goal <= 1 s)", end="")
    print(f"  (CPU {skipped['cpu']:.2f} s); analyse --help: {helped['wall']:.2f} s")
    print("where a full run goes:")
    print(f"  CPU of the command process: {full['command']:6.2f} s (checksums, papermill and")
    print("    its client, nbconvert and the HTML pages, publishing)")
    print(f"  CPU of its children (the Jupyter kernel): {full['children']:6.2f} s (its imports,")
    print("    the analysis, the notebooks)")
    print(f"  kernel started and warmed up alone: {kernel:6.2f} s (wall)")
    analysis = manifest["analysis"]["duration_seconds"]
    print(f"  analysis, in the kernel once warm (manifest, wall): {analysis:6.2f} s")
    for entry in manifest["notebooks"]:
        print(f"  {entry['file']:<32} {entry['duration_seconds']:6.2f} s (manifest, wall)")
    shown = sum(e["duration_seconds"] for e in manifest["notebooks"])
    print(f"  notebooks together: {shown:6.2f} s")
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
