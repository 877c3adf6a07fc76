"""Benchmark of the pipeline: full run, skipped run, direct analysis, parallel speed-up.

Prints, measured in one session (compare ratios; machines here are shared and noisy):
- the wall time of a full default run (every notebook executed, report published);
- the wall time of the same run when nothing changed (skipped);
- the same analysis called directly in one Python process, without notebooks;
- two parameter files run serially (--jobs 1) and in parallel (--jobs 2), and the speed-up.

Run: ``.venv/bin/python benchmarks/pipeline.py [--params params/default.yaml]``
Everything is written to a temporary folder, never to reports/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from analyse.params import load_params
from analyse.pipeline.run_result import compute_results
from analyse.pipeline.runner import run_all


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/default.yaml")
    parser.add_argument("--second", default="params/ci.yaml")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="analyse-bench-"))
    try:
        t_full, out = timed(lambda: run_all([args.params], tmp / "a", jobs=1, force=True))
        assert all(o.ok for o in out), out
        t_skip, out = timed(lambda: run_all([args.params], tmp / "a", jobs=1))
        assert [o.status for o in out] == ["skipped"], out
        params = load_params(args.params)
        t_direct, _ = timed(lambda: compute_results(params))
        pair = [args.params, args.second]
        t_serial, _ = timed(lambda: run_all(pair, tmp / "serial", jobs=1, force=True))
        t_parallel, _ = timed(lambda: run_all(pair, tmp / "parallel", jobs=2, force=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"cores available: {os.cpu_count()}")
    print(f"full run ({args.params}):            {t_full:8.2f} s")
    print(f"unchanged run (skipped):              {t_skip:8.2f} s")
    print(
        f"analysis called directly (no notebooks): {t_direct:5.2f} s "
        f"({t_full / t_direct:.1f}x faster than the full run)"
    )
    print(f"two parameter files, serial (--jobs 1):   {t_serial:6.2f} s")
    print(f"two parameter files, parallel (--jobs 2): {t_parallel:6.2f} s")
    print(f"parallel speed-up: {t_serial / t_parallel:.2f}x")


if __name__ == "__main__":
    main()
