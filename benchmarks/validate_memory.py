"""Benchmark of ``analyse validate``'s memory on a large survey export.

Generates a CSV of about ``--size-mb`` megabytes (200 by default) in a temporary folder by
repeating the rows of the shipped synthetic survey with fresh respondent ids, then runs
``python -m analyse validate FILE`` in a fresh process, as a user types it, and prints:

- the file's size;
- the **peak resident memory** of that process (``ru_maxrss`` from ``os.wait4``: what the
  operating system had to provide, imports included), and its ratio to the file size
  (goal: <= 4);
- the same for a process that only imports the CLI and pandas (the floor any command pays),
  and the peak above that floor, so that the cost of reading the file stands out;
- the wall time and the exit status of ``validate`` (0: the generated file is valid).

Run: ``.venv/bin/python benchmarks/validate_memory.py [--size-mb 200] [--repeats 1]
[--baseline SRC]``. With ``--baseline``, the ``src`` folder of a previous version (``git archive
COMMIT | tar -x -C DIR``, then DIR/src) runs the same command in turn with each repeat: the
ratios of peaks and times come from one run on the same load, and the two outputs are compared.
Everything is written to a temporary folder, deleted afterwards.

Measured on this machine (2 shared cores; issue 11): before the fixes, 4807 MB peak on a 50 MB
file (96 x; 200 MB was not attempted: it would need about 19 GB). After the first round: 948 MB
on 50 MB (19.0 x) and 3016 MB on 200 MB (15.1 x, 151 s). Now: 296 MB on 50 MB (5.9 x; the
124 MB floor is most of it) and 754 MB on 200 MB (3.8 x, 24 s): goal met. Issues 20-21 then
added the search for bodies answering twice and, in ``validate FILE``, the check that the model
can be fitted (as ``validate --params`` does): 1,243 MB on 200 MB. The repeats are then found
from integer codes and the check read the design through its triangular factor: 1,005 MB
(5.0 x), the check's copies of the design (about 1.6 x the file) on top of what reading and
scoring had freed but the C library still held. Now the check accumulates the triangular
factor and the leverages a block of rows at a time, the command hands the freed memory back
before it, and the maturity index is summed theme by theme: about 735 MB (3.7 x, 0.99 x the
time of the previous version in the same run, its bytecode compiled as this version's is,
the same output; validate_memory.out, with ``--baseline``). Goal met.

What changed, and where the memory now goes on 200 MB (above the floor): a plain UTF-8 file is
parsed from disk (no decoded and re-encoded copies of the file); columns whose texts repeat
(answers, types, 0/1) are read as categoricals, one byte a cell, so the raw table is about 110
MB instead of about 700 MB of Arrow strings, and each raw column is freed once typed (the
generated file repeats 56 rows, so its populations and budgets repeat too; in a real export they
are read as strings, about 35 MB a column more); the typed table is about 280 MB (items Int8
rather than Int64); the file is read and scored once (the command used to load it twice and read
it a third time), and the theme scores add about 100 MB. The peak comes from transients on top
of the typed and scored tables: now Cronbach's alphas (a float copy of each theme's complete
answers); scoring (the index) peaks about 90 MB below it, the model's check about 140 MB
below (its design made by ``build_design``, about 290 MB, the rows of the model). Arrow uses
the system allocator in ``validate`` and freed memory is handed back to the operating system
between stages: Arrow's default pool (mimalloc) keeps freed pages for itself, about 100 MB
more at the peak when measured.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from analyse.paths import project_root

SOURCE = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"
MB = 1_000_000


def generate(path: Path, size_mb: float) -> int:
    """A valid survey of about ``size_mb`` MB: the synthetic rows over and over, each with a
    unique respondent id; returns the number of data rows."""
    header, *rows = SOURCE.read_text(encoding="utf-8").splitlines()
    bodies = [row.split(",", 1)[1] for row in rows]
    target = size_mb * MB
    written = n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + "\n")
        while written < target:
            chunk = []
            for body in bodies:
                n += 1
                chunk.append(f"R{n:09d},{body}\n")
            text = "".join(chunk)
            fh.write(text)
            written += len(text)
    return n


class Run(NamedTuple):
    peak: int  # bytes
    seconds: float
    status: int
    out: str
    err: str


def peak_rss(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Peak resident set size, wall time, exit status, stdout and stderr of a process."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env
        )
        err = proc.stderr.read() if proc.stderr else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    # ru_maxrss is in KiB
    return Run(usage.ru_maxrss * 1024, seconds, os.waitstatus_to_exitcode(status), text, err)


def show(label: str, run: Run, floor: int, size: int) -> None:
    print(
        f"{label}: peak RSS {run.peak / MB:8.1f} MB = {run.peak / size:.2f} x the file; "
        f"above the floor {(run.peak - floor) / MB:8.1f} MB = {(run.peak - floor) / size:.2f} x; "
        f"{run.seconds:.1f} s, exit status {run.status}"
    )
    if run.status != 0:
        print("  stderr: " + run.err.strip()[-500:].replace("\n", "\n  "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="src folder of a previous version (e.g. a git archive of a commit): each repeat "
        "also runs it, alternating, and compares peaks, times and outputs",
    )
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}; load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="validate-memory-") as tmp:
        path = Path(tmp) / "large_survey.csv"
        rows = generate(path, args.size_mb)
        size = path.stat().st_size
        columns = SOURCE.read_text(encoding="utf-8").split("\n", 1)[0].count(",") + 1
        print(f"generated {path.name}: {size / MB:.1f} MB, {rows} respondents, {columns} columns")
        floor = peak_rss(
            [sys.executable, "-c", "import pandas, pyarrow, analyse.cli, analyse.data.loading"]
        ).peak
        print(f"floor (python -c 'import pandas, analyse.cli ...'): {floor / MB:8.1f} MB")
        command = [sys.executable, "-m", "analyse", "validate", str(path)]
        before = {**os.environ, "PYTHONPATH": str(args.baseline)} if args.baseline else None
        if args.baseline:  # compiled once, as this version's package is: like for like
            compileall.compile_dir(str(args.baseline), quiet=1)
        runs, baselines = [], []
        for _ in range(args.repeats):
            if before is not None:
                baselines.append(peak_rss(command, env=before))
                show("baseline validate", baselines[-1], floor, size)
            runs.append(peak_rss(command))
            show("analyse validate ", runs[-1], floor, size)
        peak = max(run.peak for run in runs)
        if baselines:
            old, new = min(baselines, key=lambda r: r.peak), min(runs, key=lambda r: r.peak)
            said = {(r.status, r.out, r.err) for r in runs + baselines}
            same = len(said) == 1
            print(
                f"this version / baseline: peak {new.peak / old.peak:.3f}, "
                f"time {sum(r.seconds for r in runs) / sum(r.seconds for r in baselines):.3f} "
                f"(total over {args.repeats} alternating runs each); "
                f"output and exit status {'identical' if same else 'DIFFER'}"
            )
        goal = "met" if peak <= 4 * size else "NOT met"
        print(f"goal peak <= 4 x file size: {goal} (highest of {args.repeats} runs)")


if __name__ == "__main__":
    main()
