"""Benchmark: ``analyse validate --params`` and ``analyse run`` on a census of every tier.

Issue 20 asks that a census of some 36,000 bodies of every tier validates and runs in a few
minutes on two cores. The census is the messy one the tests make (``tests/census_factory.py``)
at full size: every commune whose name is unique once written in capitals, and every EPCI,
EPT, département and région, with no id column, names behind legal prefixes, R's ``NA`` in
some populations and counts, two populations of 0, four bodies listed twice, three SIRETs typed
badly, a count of datasets as an item cut into levels; raked to the frame of every tier, with
the default 2,000 bootstrap draws. Each command runs in a fresh process as an analyst types
it; the script prints its wall time and peak memory (``ru_maxrss`` of the children), and the
rows read, in the model and excluded. Timings vary with the machine's load.

Run: ``.venv/bin/python benchmarks/census_every_tier.py``
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from census_factory import census_codebook, census_params, write_census  # noqa: E402


def _timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - start, done


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        census = write_census(
            base / "census.csv", communes=40_000, epci=2_000, departements=200, regions=50, ept=20
        )
        codebook = census_codebook(base / "codebook.yaml")
        document = census_params(base / "p.yaml", census, codebook)
        document["analysis"] = {"min_themes": 1, "weights": "raked"}  # default bootstrap
        params = base / "p.yaml"
        params.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        print(f"census: {census.rows:,} rows of every tier, raked, bootstrap 2,000 draws")
        command = [sys.executable, "-m", "analyse"]
        seconds, done = _timed([*command, "validate", "--params", str(params)])
        assert done.returncode == 0, done.stderr[-2000:]
        print(f"validate --params: {seconds:6.1f} s (exit {done.returncode})")
        out = base / "reports"
        seconds, done = _timed([*command, "run", str(params), "--output-dir", str(out)])
        assert done.returncode == 0, done.stderr[-2000:]
        print(f"run:               {seconds:6.1f} s (exit {done.returncode})")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory of a child process: {peak:,.0f} MB")
        [results_file] = out.glob("*/results.json")
        results = json.loads(results_file.read_text(encoding="utf-8"))
        print(
            f"rows read {census.rows:,} = in the model {results['n']:,} "
            f"+ excluded {results['n_excluded']:,}"
        )


if __name__ == "__main__":
    main()
