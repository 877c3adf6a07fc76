"""Benchmark: vectorised bootstrap and simulations against a loop of statsmodels fits.

Prints wall times and the speed-up ratio measured in the same run (machines here are shared and
noisy, so compare ratios, not absolute times). Also checks that both ways give the same numbers.

Run: ``.venv/bin/python benchmarks/bootstrap.py [--draws 200]``
"""

from __future__ import annotations

import argparse
import time
from itertools import combinations

import numpy as np
import statsmodels.api as sm

from analyse.data import simulate
from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey
from analyse.stats.importance import lmg_batch
from analyse.stats.regression import build_design, fit_ols
from analyse.stats.sensitivity import sensitivity


def lmg_loop(design, rows):
    """The naive way: one statsmodels OLS per subset per resample."""
    groups = list(design.groups)
    out = []
    for r in rows:
        y = design.y.to_numpy()[r]
        r2 = {(): 0.0}
        for k in range(1, len(groups) + 1):
            for subset in combinations(groups, k):
                cols = ["Intercept", *[c for g in subset for c in design.groups[g]]]
                r2[subset] = sm.OLS(y, design.X[cols].to_numpy()[r]).fit().rsquared
        out.append(r2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    codebook = load_codebook()
    scored = score_survey(
        simulate.generate("barometre-2025", seed=2025, with_truth=False).data, codebook
    )
    design = build_design(scored)
    rows = np.random.default_rng(0).integers(0, len(design.y), size=(args.draws, len(design.y)))

    t0 = time.perf_counter()
    fast = lmg_batch(design, rows)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = lmg_loop(design, rows)
    t_slow = time.perf_counter() - t0
    full = tuple(design.groups)
    gap = max(abs(fast.sum(axis=1).to_numpy()[i] - slow[i][full]) for i in range(len(slow)))

    print(
        f"LMG bootstrap, {args.draws} resamples of n={len(design.y)}, "
        f"{2 ** len(design.groups) - 1} subset models each"
    )
    print(f"  vectorised (batched normal equations): {t_fast:8.3f} s")
    print(f"  loop of statsmodels OLS fits:          {t_slow:8.3f} s")
    print(f"  speed-up: {t_slow / t_fast:6.1f}x   (max |R2 difference| {gap:.2e})")

    fit = fit_ols(design)
    t0 = time.perf_counter()
    sensitivity(fit, simulations=2000, seed=0)
    t_sens = time.perf_counter() - t0
    n_sims = 200
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(n_sims):
        y = fit.result.fittedvalues + rng.standard_normal(len(design.y))
        sm.OLS(y, design.X).fit(cov_type="HC3")
    t_loop = (time.perf_counter() - t0) / n_sims
    print(
        "\nSensitivity (MDE by bisection each way + TOST power, 2000 simulated samples per power)"
    )
    print(f"  vectorised total: {t_sens:.3f} s; one statsmodels HC3 fit: {t_loop * 1e3:.2f} ms")
    print(
        f"  a loop would need about {t_loop * 2000 * 61:.1f} s for the same ~61 power "
        f"evaluations ({t_loop * 2000 * 61 / t_sens:.0f}x)"
    )


if __name__ == "__main__":
    main()
