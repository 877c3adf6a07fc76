"""Benchmark: the compute of one run, stage by stage, on the default panel and the census.

Prints the median wall time over a few repeats of each stage of ``compute_results``:
loading + validating + scoring the survey, every part of ``analyse_claim`` (main OLS, size
test, LMG relative importance with its bootstrap, nested comparison, sensitivity simulations,
per-theme ordinal models), the specification curve (and its inferential test alone),
``analyse_claim`` as one call, and the whole ``compute_results``. Machines here are shared and
noisy: compare figures measured in one run.

Run: ``.venv/bin/python benchmarks/compute.py [--repeats 5] [params/default.yaml ...]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from analyse.data.reference import load_frame
from analyse.params import RunParams, load_params
from analyse.pipeline.run_result import (
    compute_run_result,
    judge_claim,
    load_scored,
    run_curve,
    run_weights,
)
from analyse.stats.equivalence import test_size
from analyse.stats.importance import relative_importance
from analyse.stats.nested import compare_nested
from analyse.stats.ordinal import fit_themes
from analyse.stats.regression import build_design, fit_ols
from analyse.stats.robustness import DRAWS as CURVE_DRAWS
from analyse.stats.robustness import curve_inference
from analyse.stats.sensitivity import sensitivity


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def stages(params: RunParams, repeats: int) -> list[tuple[str, float]]:
    """(stage, median seconds) for one parameter file; sub-stages are indented."""
    a = params.analysis
    scored, codebook = load_scored(params)
    out = [("load + validate + score", median_time(lambda: load_scored(params), repeats))]
    frame = load_frame("epci")
    weights = run_weights(params, scored, frame)
    if a.weights == "raked":
        out.append(("raking", median_time(lambda: run_weights(params, scored, frame), repeats)))
    design = build_design(scored, controls=list(a.controls))
    fit = fit_ols(design, weights=weights)
    parts: list[tuple[str, Callable[[], object]]] = [
        ("design + OLS HC3", lambda: fit_ols(build_design(scored, list(a.controls)), weights)),
        ("size test (TOST)", lambda: test_size(fit, sesoi=a.sesoi, alpha=a.alpha)),
        (
            f"relative importance ({a.bootstrap} draws)",
            lambda: relative_importance(design, bootstrap=a.bootstrap, seed=params.seed),
        ),
        ("nested comparison", lambda: compare_nested(fit, weights=weights)),
        (
            "sensitivity (2000 simulations)",
            lambda: sensitivity(fit, sesoi=a.sesoi, alpha=a.alpha, seed=params.seed),
        ),
        ("theme ordinal models", lambda: fit_themes(scored, design, codebook, alpha=a.alpha)),
    ]
    claim = median_time(lambda: judge_claim(params, scored, codebook, weights), repeats)
    out.append(("analyse_claim", claim))
    out += [(f"  {name}", median_time(fn, repeats)) for name, fn in parts]
    out.append(
        (
            "specification curve",
            median_time(lambda: run_curve(params, scored, load_frame("epci")), repeats),
        )
    )
    out.append(
        (
            f"  curve inference ({CURVE_DRAWS} null curves)",
            median_time(
                lambda: curve_inference(scored, frame, CURVE_DRAWS, params.seed, a.alpha),
                repeats,
            ),
        )
    )
    out.append(
        ("total compute_run_result", median_time(lambda: compute_run_result(params), repeats))
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("params", nargs="*", default=["params/default.yaml", "params/census.yaml"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}; median of {args.repeats} repeats")
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for path in args.params:
        params = load_params(path)
        scored, _ = load_scored(params)
        print(f"\n{path} ({len(scored)} respondents)")
        for name, seconds in stages(params, args.repeats):
            print(f"  {name:<42} {seconds:8.3f} s")
    print("\nload average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
