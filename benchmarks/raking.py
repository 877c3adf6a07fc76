"""Benchmark: raking a census of every tier (36,000 bodies) against raking the EPCI panel.

Raking works on cells (type x band: at most 8 types and 17 bands), not on rows, and its
feasibility check and band merges run tier by tier (``analyse.stats.weights``), so a census of
every tier should cost little more than reading and banding its rows. Prints wall times (median
of ``--repeat``) and their ratio measured in the same run (machines here are shared and noisy:
compare ratios, not absolute times), and checks that the census's weights meet every margin.

Run: ``.venv/bin/python benchmarks/raking.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.bands import raking_band
from analyse.data.reference import load_frame
from analyse.stats.weights import rake

PANEL = Path(__file__).parents[1] / "tests" / "fixtures" / "r_estimands" / "data.csv"


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    frame = load_frame("all")
    populated = pd.to_numeric(frame["population"]).gt(0).fillna(False).to_numpy(dtype=bool)
    census = frame[populated].reset_index(drop=True)
    # a census with its small communes under-represented (one in three answered): the weights
    # then differ from 1 and every tier's bands must be matched
    rng = np.random.default_rng(0)
    small = pd.to_numeric(census["population"]).lt(500).to_numpy()
    answered = census[~small | (rng.random(len(census)) < 1 / 3)].reset_index(drop=True)
    panel = pd.read_csv(PANEL)
    epci = load_frame("epci")

    t_load, _ = timed(lambda: load_frame("all"), args.repeat)
    t_panel, _ = timed(lambda: rake(panel, epci), args.repeat)
    t_panel_all, _ = timed(lambda: rake(panel, frame), args.repeat)
    t_census, w = timed(lambda: rake(answered, frame), args.repeat)
    t_logit, _ = timed(
        lambda: rake(answered, frame, method="logit", bounds=(0.2, 5.0)), args.repeat
    )

    groups = w.attrs["band_groups"]
    gap = 0.0
    for of in (
        lambda d: d["collectivity_type"].astype(str),
        lambda d: raking_band(d["collectivity_type"], d["population"]).astype(str).map(groups),
    ):
        got = (w * len(census) / w.sum()).groupby(of(answered).to_numpy()).sum()
        target = of(census).value_counts()
        gap = max(gap, float((got.sort_index() - target.sort_index()).abs().max()))

    print(f"Frame of every tier: {len(frame):,} rows ({len(frame) - len(census)} of no population)")
    print(f"  load_frame('all'):                          {t_load:.3f} s")
    print(f"EPCI panel, n={len(panel)}, raked (median of {args.repeat})")
    print(f"  to the EPCI frame ({len(epci):,} rows):              {t_panel:.3f} s")
    print(f"  to the frame of every tier:                 {t_panel_all:.3f} s")
    print(f"Census of every tier, n={len(answered):,} (a third of the communes <500 answered)")
    print(f"  raking:                                     {t_census:.3f} s")
    print(f"  bounded logit (0.2, 5):                     {t_logit:.3f} s")
    print(f"  ratio census / EPCI panel (raking):   {t_census / t_panel:.1f}x")
    print(f"  largest gap to a margin (units):      {gap:.2e}; Kish n {w.attrs['kish_n']:,.0f}")


if __name__ == "__main__":
    main()
