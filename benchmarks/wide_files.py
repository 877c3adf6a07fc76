"""Benchmark of ``analyse validate`` on wide files: its time must grow linearly with columns.

A survey export may carry thousands of columns the analysis ignores (free-text answers, one
column per option of a multiple choice, timestamps). For each N, this writes the shipped
synthetic survey with N extra text columns (every other one repeats three texts, so that it is
read as a categorical; the others hold a distinct text per row, read as strings: both readings
of ``analyse.data.cells`` are exercised), runs ``python -m analyse validate FILE`` in a fresh
process, as a user types it, and prints:

- the wall time of the command and its exit status;
- the time of the check itself (``check_file``: read, check, score, in a fresh process but
  without the imports, whose time varies by a second or more on a loaded machine);
- the time per column, ``check / N``, and per extra column, ``(check - check with none) / N``:
  flat when the cost is linear, growing with N when it is quadratic. Each time is the least of
  ``--repeats`` runs (the machine is shared); ratios are compared within one run only.

Run: ``.venv/bin/python benchmarks/wide_files.py [--columns 0 250 500 1000 2000 3000]
[--rows 56] [--repeats 2]``. Files go to a temporary folder, deleted afterwards.

Measured on this machine (2 shared cores, load average about 7 to 10 from other work; issue
21; wide_files.out). Before the fix the check took 0.3 s with no extra column, 1.6 s with 250,
4.6 s with 500 and 71 s with 1,000: 5.3, 8.6 then 70.7 ms per extra column, quadratic (the
review saw 114 s with 1,000 and no end after 600 s with 4,000). Now 0.5 s with none, 1.4 s with
1,000 and 3.6 s with 3,000 (6.5 s for the whole command): 1.3, 1.5, 0.9, 1.0 and 1.0 ms per
extra column from 250 to 3,000, flat, i.e. linear. The quadratic parts were in reading the
file (each raw column popped out of the parsed table, whose list of one block per text column
was rebuilt at every pop) and in the checks (each contract column dropped from the whole table
once typed, the same rebuild); the sample that chooses each column's dtype was parsed as
categoricals, about ten times the cost of strings per column, and the search for blank rows
went on through every column when the first already had none.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analyse.paths import project_root

SOURCE = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"


def generate(path: Path, extra: int, rows: int) -> None:
    """The synthetic survey (its rows repeated with fresh ids up to ``rows``) with ``extra``
    text columns after the contract's."""
    header, *lines = SOURCE.read_text(encoding="utf-8").splitlines()
    bodies = [line.split(",", 1)[1] for line in lines]
    names = "".join(f",commentaire_{j}" for j in range(extra))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + names + "\n")
        for r in range(rows):
            cells = "".join(
                f",texte libre {r} {j}" if j % 2 else f",choix {r % 3}" for j in range(extra)
            )
            fh.write(f"W{r + 1:06d},{bodies[r % len(bodies)]}{cells}\n")


_INSIDE = (
    "import sys, time\n"
    "from analyse.data.survey_check import check_file\n"
    "t0 = time.perf_counter()\n"
    "check_file(sys.argv[1])\n"
    "print(time.perf_counter() - t0)\n"
)


def timed(path: Path) -> tuple[float, float, int, str]:
    """Wall seconds, exit status and stderr of ``python -m analyse validate path``, and the
    seconds of the check itself (reading, checking, scoring: ``check_file``) in a fresh
    process, without the imports, which a loaded machine makes vary by a second or more."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "analyse", "validate", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    wall = time.perf_counter() - t0
    inside = subprocess.run(
        [sys.executable, "-c", _INSIDE, str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return wall, float(inside.stdout.strip().splitlines()[-1]), proc.returncode, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="+", default=[0, 250, 500, 1000, 2000, 3000])
    parser.add_argument("--rows", type=int, default=56)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}; load average at start: {os.getloadavg()}")
    print(f"{args.rows} respondents, 36 contract columns plus N extra text columns")
    print(
        f"{'N':>6} {'MB':>5} {'wall s':>7} {'check s':>8} {'check/N ms':>11} "
        f"{'(check-check0)/N ms':>20}  exit"
    )
    base = None
    with tempfile.TemporaryDirectory(prefix="wide-files-") as tmp:
        for n in sorted(args.columns):
            path = Path(tmp) / f"wide_{n}.csv"
            generate(path, n, args.rows)
            runs = [timed(path) for _ in range(args.repeats)]
            wall = min(r[0] for r in runs)
            check = min(r[1] for r in runs)
            status = max(r[2] for r in runs)
            base = check if base is None else base
            per = f"{1000 * check / n:11.3f}" if n else f"{'':>11}"
            above = f"{1000 * (check - base) / n:20.3f}" if n else f"{'':>20}"
            size = path.stat().st_size / 1e6
            print(f"{n:>6} {size:5.1f} {wall:7.2f} {check:8.2f} {per} {above}  {status}")
            if status != 0:
                print("  stderr: " + runs[0][3].strip()[-500:].replace("\n", "\n  "))
            path.unlink()


if __name__ == "__main__":
    main()
