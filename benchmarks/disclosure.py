"""Benchmark: the linked suppression of notebook 2's four breakdowns (issue 21, item 2).

``analyse.report.disclosure.breakdown_suppression`` searches, for every pair of breakdowns of
the same respondents (size band, type, spending band, sponsorship), the differences of unions
of groups that give fewer than ``min_cell`` respondents away, and hides groups until there is
none. Its cost grows with the number of groups (2 ** groups subsets of the finer side), not
with the respondents past the cross-tabulation. Each table and figure of notebook 2 calls it
(about ten calls a run). This script times one call on surveys of every tier at three sizes,
with a few rare types so that suppression has work to do, and prints the groups hidden.

Run: ``.venv/bin/python benchmarks/disclosure.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from analyse.data.contract import COLLECTIVITY_TYPES
from analyse.report import disclosure
from analyse.report.groups import with_groups
from analyse.stats.regression import OUTCOME


def survey(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` bodies of every tier, communes the most, a handful of régions and EPT."""
    rng = np.random.default_rng(seed)
    weights = np.array([60, 10, 8, 3, 2, 1, 1, 0.3][: len(COLLECTIVITY_TYPES)], dtype=float)
    weights = np.resize(weights, len(COLLECTIVITY_TYPES))
    types = rng.choice(list(COLLECTIVITY_TYPES), size=n, p=weights / weights.sum())
    return pd.DataFrame(
        {
            "collectivity_type": types,
            "population": np.exp(rng.normal(9, 2, n)).round() + 1,
            "budget_per_capita": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(300, 1500, n)),
            "elected_digital_lead": rng.integers(0, 2, n),
            "strategy_adopted": rng.integers(0, 2, n),
            OUTCOME: rng.uniform(0, 100, n),
        }
    )


def with_rare_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The same survey with 2 EPT, 3 régions and 4 départements only: three small types."""
    frame = frame.copy()
    kinds = frame["collectivity_type"].to_numpy().copy()
    kinds[np.isin(kinds, ["EPT", "region", "departement"])] = "commune"
    kinds[:2], kinds[2:5], kinds[5:9] = "EPT", "region", "departement"
    frame["collectivity_type"] = kinds
    return frame


def main() -> None:
    for n, rare in ((60, False), (2_000, False), (2_000, True), (35_000, False), (35_000, True)):
        scored = with_groups(with_rare_types(survey(n)) if rare else survey(n))
        groups = {b: disclosure.breakdown_groups(scored, b) for b in disclosure.BREAKDOWNS}
        sizes = ", ".join(f"{b} {groups[b].nunique()}" for b in disclosure.BREAKDOWNS)
        start = time.perf_counter()
        hidden = disclosure.linked_suppression(groups, 5)
        seconds = time.perf_counter() - start
        counts = ", ".join(f"{b} {int(h.sum())}" for b, h in hidden.items())
        kind = "rare types" if rare else "drawn types"
        print(f"{n:>6} respondents, {kind} ({sizes} groups): {seconds:.2f} s; hidden: {counts}")


if __name__ == "__main__":
    main()
