"""Benchmark: one run at scale (default panel, census of 35,000 communes, 100,000 bodies).

For each survey:

- **compute**: one fresh process runs ``compute_run_result`` once and reports its wall and CPU
  time, the time of its main parts (measured inside that one call by wrapping the functions it
  calls: loading and scoring, ``analyse_claim`` and within it the LMG bootstrap, the
  sensitivity simulations and the theme ordinal models, the specification curve and within it
  its null curves, the power curve) and the **peak resident memory** of the process
  (``ru_maxrss``: what the operating system had to provide, imports included), beside the same
  process's memory after its imports (the floor any run pays);
- **publish** (``--publish``): ``analyse run PARAMS --force`` as a user types it, in a fresh
  process, ``--repeats`` times (3) one survey after the other: its median wall time and the
  **largest peak resident memory of any one process** of the run (the command, a worker or the
  kernel: ``ru_maxrss`` of the children of a process that waits for the run, since each process
  waits for its own), with the per-process peaks read from /proc every 0.2 s to say which
  process it was. The census of communes is compared with the default run measured in the same
  benchmark run (goal: <= 2x, peak <= 1.5 GB; 100,000 rows <= 2 GB).

The large surveys are drawn here by the package's own simulator into a temporary folder:

- ``communes-35k``: ``analyse simulate --design census-communes`` (every inhabited commune of
  the reference frame, 34,957 rows);
- ``all-tiers-100k``: ``analyse simulate --design random --n 100000`` (bodies of every tier).

Every survey runs with ``bootstrap: 1000`` (the default panel's own setting).

``--before REV`` also runs each compute with the ``analyse`` of git revision REV (exported with
``git archive`` to a temporary folder and put first on ``PYTHONPATH``), in the same benchmark
run, so that the figures before and after a change are comparable (machines here are shared
and noisy: compare ratios measured in one run). The two results must agree: the script prints
the largest difference of the published numbers (``results_document``) between them.

Run: ``.venv/bin/python benchmarks/scale.py [--publish] [--before REV] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTS = (
    "load + score",
    "analyse_claim",
    "  LMG + bootstrap",
    "  sensitivity",
    "  theme ordinal models",
    "specification curve",
    "  null curves",
    "power curve",
)


# --------------------------------------------------------------------------- surveys


def simulated_survey(design: str, n: int | None, out: Path) -> Path:
    """``analyse simulate`` of ``design`` (contract form, with its truth file) to ``out``."""
    from analyse.data import simulate

    survey = simulate.generate(design, seed=2025, n=n)
    return simulate.write(survey, out)[0]


def write_params(name: str, survey_csv: Path, folder: Path) -> Path:
    """A parameter file like ``params/default.yaml`` pointing at ``survey_csv``."""
    text = (ROOT / "params" / "default.yaml").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("name:"):
            line = f"name: {name}"
        elif line.strip().startswith("survey:"):
            line = f"  survey: {survey_csv}"
        elif line.strip().startswith("codebook:"):
            line = f"  codebook: {ROOT / 'data' / 'codebook.yaml'}"
        lines.append(line)
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- one measurement


def _timed(
    table: dict[str, float], peaks: dict[str, float], name: str, module: Any, attr: str
) -> None:
    """Wrap ``module.attr`` so that the wall time of its calls adds up in ``table[name]``, and
    ``peaks[name]`` is the process's peak resident memory (MB) when its last call ended: the
    first part whose figure reaches the run's peak is where the peak is."""
    fn: Callable[..., Any] = getattr(module, attr)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[name] = table.get(name, 0.0) + time.perf_counter() - t0
            peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    setattr(module, attr, wrapper)


def measure(params_path: str) -> dict[str, Any]:
    """Run ``compute_run_result`` once in this process; its times, peak memory and results."""
    import analyse.pipeline.run_result as rr
    import analyse.stats.claim as claim
    import analyse.stats.robustness as robustness
    from analyse.params import load_params

    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parts: dict[str, float] = {}
    peaks: dict[str, float] = {}
    _timed(parts, peaks, "load + score", rr, "load_configured")
    _timed(parts, peaks, "load + score", rr, "score_run")
    _timed(parts, peaks, "analyse_claim", rr, "judge_claim")
    _timed(parts, peaks, "  LMG + bootstrap", claim, "relative_importance")
    _timed(parts, peaks, "  sensitivity", claim, "sensitivity")
    _timed(parts, peaks, "  theme ordinal models", claim, "fit_themes")
    _timed(parts, peaks, "specification curve", rr, "run_curve")
    _timed(parts, peaks, "  null curves", robustness, "_inference")
    _timed(parts, peaks, "power curve", rr, "power_curve_table")
    params = load_params(params_path)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = rr.compute_run_result(params, key="benchmark")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    document = rr.results_document(result)
    document.pop("run", None)
    return {
        "respondents": len(result.scored),
        "specifications": len(result.curve),
        "wall": wall,
        "cpu": cpu,
        "parts": parts,
        "peaks": peaks,
        "floor_mb": floor,
        "peak_mb": peak,
        "document": document,
    }


def _numbers(doc: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a results document by its path."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            out.update(_numbers(v, f"{path}/{k}"))
        return out
    if isinstance(doc, list):
        out = {}
        for i, v in enumerate(doc):
            out.update(_numbers(v, f"{path}/{i}"))
        return out
    return {path: doc}


def largest_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, str]:
    """The largest absolute difference between two results documents' numbers (inf if a
    non-number or the set of keys differs), and where."""
    na, nb = _numbers(a), _numbers(b)
    if set(na) != set(nb):
        return float("inf"), f"keys differ: {sorted(set(na) ^ set(nb))[:5]}"
    worst, where = 0.0, ""
    for k, va in na.items():
        vb = nb[k]
        if isinstance(va, bool) or not isinstance(va, int | float) or va is None:
            if va != vb:
                return float("inf"), k
            continue
        if not isinstance(vb, int | float) or isinstance(vb, bool):
            return float("inf"), k
        if va != vb and not (va != va and vb != vb):  # NaN == NaN here
            gap = abs(float(va) - float(vb))
            if gap > worst:
                worst, where = gap, k
    return worst, where


def run_child(params_path: Path, pythonpath: str | None) -> dict[str, Any]:
    """``measure`` in a fresh process (its own peak memory), with ``pythonpath`` first."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
        env["ANALYSE_ROOT"] = str(Path(pythonpath).parent)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(params_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def export_revision(rev: str, folder: Path) -> str:
    """``git archive`` of ``rev`` in ``folder``; the path of its ``src`` for ``PYTHONPATH``."""
    archive = folder / "before.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "src", "data"], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "before", filter="data")
    return str(folder / "before" / "src")


def _tree(root: int) -> list[int]:
    """``root`` and its live descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _sample(pid: int) -> tuple[str, float, float] | None:
    """(command, peak resident MB so far (VmHWM), CPU seconds) of a live process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    hwm = next((int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:"), 0)
    ticks = os.sysconf("SC_CLK_TCK")
    return command.strip(), hwm / 1024, (int(stat[11]) + int(stat[12])) / ticks


def publish(params_path: Path, folder: Path) -> dict[str, Any]:
    """``analyse run`` of one parameter file into ``folder``, from a fresh process that waits
    for it: wall time, the largest peak resident memory of any one process of the run
    (``ru_maxrss`` of its waited-for descendants), and each process's peak and CPU as last seen
    in /proc (polled every 0.2 s; a process living less long is missed there, not in the peak).
    """
    out = subprocess.run(
        [sys.executable, __file__, "--child-publish", str(params_path), str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def publish_child(params_path: str, folder: str) -> dict[str, Any]:
    command = [str(Path(sys.executable).with_name("analyse")), "run", params_path]
    command += ["--output-dir", str(Path(folder) / "reports"), "--force", "--jobs", "1"]
    seen: dict[int, tuple[str, float, float]] = {}
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        for pid in _tree(proc.pid):
            sample = _sample(pid)
            if sample and sample[0]:  # an exiting process shows no command line or peak
                seen[pid] = sample
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"analyse run failed: {proc.stderr.read().decode()[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall": wall, "peak_mb": peak, "processes": sorted(seen.values(), key=lambda s: -s[1])}


def report_publish(m: dict[str, Any]) -> None:
    walls = ", ".join(f"{w:.2f}" for w in m.get("walls", [m["wall"]]))
    print(
        f"  publish (analyse run --force): median {m['wall']:7.2f} s wall ({walls}); "
        f"largest peak RSS of one process {m['peak_mb']:6.0f} MB"
    )
    for command, peak, cpu in m["processes"][:4]:
        names = [Path(w).name for w in command.split()]
        if "ipykernel_launcher" in names:
            name = "the kernel"
        elif "analyse" in names:
            name = "the command (analyse run)"
        else:
            name = " ".join(names[:3])[:50] or "(gone)"
        print(f"    peak {peak:6.0f} MB, CPU {cpu:6.2f} s  {name}")


def report(name: str, label: str, m: dict[str, Any]) -> None:
    print(
        f"  {label:<7} {m['respondents']:>7} respondents, {m['specifications']} specifications: "
        f"compute {m['wall']:7.2f} s wall, {m['cpu']:7.2f} s CPU; "
        f"peak RSS {m['peak_mb']:6.0f} MB (after imports {m['floor_mb']:.0f} MB)"
    )
    print(f"            {'part':<26} {'wall':>9}   peak RSS when done")
    for part in PARTS:
        print(
            f"            {part:<26} {m['parts'].get(part, 0.0):7.2f} s"
            f"   {m['peaks'].get(part, 0.0):6.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision to compare with, e.g. main")
    parser.add_argument("--only", nargs="*", help="default, communes-35k, all-tiers-100k")
    parser.add_argument(
        "--publish", action="store_true", help="also time `analyse run` and its peak memory"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="publishes per survey (the median is kept)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-publish", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    if args.child_publish:
        print(json.dumps(publish_child(*args.child_publish)))
        return
    # as an analyst's Python: bytecode compiled once and reused (the venv's libraries are
    # compiled at install, README quick start; this lets the package's own be too)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"cores available: {os.cpu_count()}; bytecode compiled and reused by every process")
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        folder = Path(tmp)
        before = export_revision(args.before, folder) if args.before else None
        surveys: dict[str, tuple[str, int | None] | None] = {
            "default": None,
            "communes-35k": ("census-communes", None),
            "all-tiers-100k": ("random", 100_000),
        }
        published: dict[str, dict[str, Any]] = {}
        for name, design in surveys.items():
            if args.only and name not in args.only:
                continue
            if design is None:
                params_path = ROOT / "params" / "default.yaml"
            else:
                csv = simulated_survey(*design, folder / f"{name}.csv")
                params_path = write_params(name, csv, folder)
            print(f"\n{name} (bootstrap: 1000)")
            after = run_child(params_path, None)
            if before:
                old = run_child(params_path, before)
                report(name, "before", old)
            report(name, "after" if before else "now", after)
            if args.publish:
                runs = [publish(params_path, folder) for _ in range(args.repeats)]
                published[name] = {
                    **runs[0],
                    "wall": statistics.median(r["wall"] for r in runs),
                    "walls": [r["wall"] for r in runs],
                    "peak_mb": max(r["peak_mb"] for r in runs),
                }
                report_publish(published[name])
            if before:
                gap, where = largest_difference(old["document"], after["document"])
                ratios = (after[k] / old[k] for k in ("wall", "cpu", "peak_mb"))
                print(
                    "  after / before: compute {:.2f}x wall, {:.2f}x CPU, peak {:.2f}x;".format(
                        *ratios
                    )
                    + f" largest difference in results.json: {gap:.3g} {where}"
                )
        if "default" in published:
            print("\npublish, against the default run of this benchmark run:")
            base = published["default"]["wall"]
            for name, m in published.items():
                print(
                    f"  {name:<16} {m['wall'] / base:5.2f}x the default run's time; "
                    f"largest peak of one process {m['peak_mb']:6.0f} MB"
                )
    print("\nload average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
