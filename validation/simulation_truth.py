"""Validation of the synthetic survey against its known truth, over many seeds.

Prints (1) the mean share of respondents at level 2 or more per theme over many
``barometre-2025`` panels next to the published 2025 figures, and (2) the coverage of 95 % HC3
intervals of the OLS coefficients on the ``census-epci`` design, against the index-scale truth.

Run: ``.venv/bin/python validation/simulation_truth.py [--seeds 200]``
"""

from __future__ import annotations

import argparse

import pandas as pd
import statsmodels.api as sm
from tqdm import tqdm

from analyse.data import simulate
from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey, share_at_least
from analyse.data.terms import model_terms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    codebook = load_codebook()

    shares = [
        share_at_least(
            simulate.generate("barometre-2025", seed=s, with_truth=False).data, codebook, 2
        )
        for s in tqdm(range(args.seeds), desc="calibration")
    ]
    mean = pd.DataFrame(shares).astype(float).mean()
    table = pd.DataFrame(
        {"published": pd.Series(simulate.PUBLISHED_2025_SHARES), "simulated_mean": mean}
    )
    table["gap_points"] = 100 * (table["simulated_mean"] - table["published"])
    print(f"\nShare at level >= 2, barometre-2025 design, mean over {args.seeds} panels")
    print(table.round(3).to_string())

    truth = simulate.generate("census-epci", seed=0).truth["index_scale"]["coefficients"]
    hits = dict.fromkeys(truth, 0)
    for seed in tqdm(range(args.seeds), desc="coverage"):
        data = score_survey(
            simulate.generate("census-epci", seed=seed, with_truth=False).data, codebook
        )
        data = data[data["maturity_index"].notna()]
        x = sm.add_constant(model_terms(data)).rename(columns={"const": "Intercept"})
        ci = sm.OLS(data["maturity_index"].astype(float), x).fit(cov_type="HC3").conf_int()
        for k, v in truth.items():
            hits[k] += bool(ci.loc[k, 0] <= v <= ci.loc[k, 1])
    print(f"\nCoverage of 95 % HC3 intervals, census-epci design, {args.seeds} seeds")
    for k, h in hits.items():
        print(f"  {k:<22} {h / args.seeds:.3f}  (truth {truth[k]:.4f})")


if __name__ == "__main__":
    main()
