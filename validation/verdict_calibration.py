"""Validation of the equivalence test and the verdict on data with a known truth.

1. Size of the tests at the bounds: with the true standardized size effect exactly on a bound
   (+sesoi or -sesoi), the TOST should declare equivalence (``negligible`` or
   ``significant_but_negligible``) and the minimal-effect test should declare ``decisive`` each
   in at most about ``alpha`` of the samples, whatever the sample size.
2. Verdicts: with a null size effect and a large sample the verdict should be ``negligible``;
   with a large effect ``decisive``; with a small sample ``inconclusive``; with an effect
   between zero and the SESOI in a large sample ``significant_but_negligible``.

Data: the real sizes of the EPCI frame (resampled), budget/staff/sponsorship correlated with
size as in ``analyse.data.simulate``, and a linear outcome with normal errors whose standardized
size effect is set exactly. Run: ``.venv/bin/python validation/verdict_calibration.py``
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import pandas as pd
from tqdm import tqdm

from analyse.data.reference import load_frame
from analyse.stats.equivalence import test_size
from analyse.stats.regression import Design, fit_ols

OTHERS = {"budget": 0.4, "staff": 0.3, "elected_digital_lead": 0.2, "strategy_adopted": 0.3}


def linear_sample(n: int, std_effect: float, rng: np.random.Generator) -> Design:
    """A sample whose population standardized size effect is exactly ``std_effect``.

    Regressors are standardized draws correlated with size; the outcome is linear in them with
    unit-variance noise, and the size coefficient solves b / sd(y) = std_effect.
    """
    pop = load_frame("epci")["population"].to_numpy(dtype=float)
    size = np.log(rng.choice(pop, size=n))
    z = (size - np.log(pop).mean()) / np.log(pop).std()
    x = {"size": z}
    for name in OTHERS:
        x[name] = 0.4 * z + np.sqrt(1 - 0.16) * rng.standard_normal(n)
    X = pd.DataFrame(x)
    # population covariance of the regressors: unit variances, 0.4 with size, 0.16 between means
    k = len(OTHERS)
    cov = np.full((k + 1, k + 1), 0.16)
    cov[0, :] = cov[:, 0] = 0.4
    np.fill_diagonal(cov, 1.0)
    gamma = np.array(list(OTHERS.values()))
    # var(y) = b^2 + 2 b * 0.4 * sum(gamma) + gamma' C gamma + 1 ; solve b = e * sd(y)
    c = gamma @ cov[1:, 1:] @ gamma + 1.0
    s = 0.4 * gamma.sum()
    e2 = std_effect**2
    # b^2 (1 - e2) - 2 e2 s b - e2 c = 0
    b = (
        (2 * e2 * s + np.sign(std_effect) * np.sqrt(4 * e2**2 * s**2 + 4 * (1 - e2) * e2 * c))
        / (2 * (1 - e2))
        if std_effect
        else 0.0
    )
    y = b * z + X[list(OTHERS)].to_numpy() @ gamma + rng.standard_normal(n)
    X.insert(0, "Intercept", 1.0)
    return Design(y=pd.Series(y), X=X, groups={})


def verdicts(n: int, std_effect: float, reps: int, rng, sesoi: float, alpha: float) -> Counter:
    return Counter(
        test_size(fit_ols(linear_sample(n, std_effect, rng)), sesoi, alpha).verdict
        for _ in range(reps)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sesoi, alpha = 0.2, 0.05

    print(
        f"Share of samples per verdict at a bound (true standardized effect = ±{sesoi}), "
        f"alpha = {alpha}, {args.reps} samples each"
    )
    for effect in (sesoi, -sesoi):
        for n in (56, 200, 1000):
            counts = Counter()
            for _ in tqdm(range(args.reps), desc=f"effect={effect:+} n={n}", leave=False):
                test = test_size(fit_ols(linear_sample(n, effect, rng)), sesoi, alpha)
                counts[test.verdict] += 1
            equivalent = counts["negligible"] + counts["significant_but_negligible"]
            print(
                f"  effect {effect:+.1f}, n = {n:>5}: decisive {counts['decisive'] / args.reps:.3f}"
                f", equivalence declared {equivalent / args.reps:.3f}"
            )

    reps = max(50, args.reps // 10)
    print(f"\nVerdicts over {reps} samples each")
    for label, n, effect in (
        ("null effect, n = 5000", 5000, 0.0),
        ("large effect 0.5, n = 500", 500, 0.5),
        ("null effect, n = 20", 20, 0.0),
        ("effect 0.1, n = 5000", 5000, 0.1),
        ("effect 0.3, n = 200", 200, 0.3),
    ):
        counts = verdicts(n, effect, reps, rng, sesoi, alpha)
        shares = ", ".join(f"{k} {v / reps:.2f}" for k, v in counts.most_common())
        print(f"  {label:<28} {shares}")


if __name__ == "__main__":
    main()
