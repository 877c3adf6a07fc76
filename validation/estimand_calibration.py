"""Validation of the total and indirect effects of size on worlds with a known mediated effect.

``analyse.stats.estimands`` answers two questions about size: its *total* effect (the index on
size alone) with the five verdicts, and its *indirect* effect (total - direct, the part that
passes through the means) with a bootstrap (1 - 2 alpha) interval. This script checks both
where the truth is known, as ``verdict_calibration.py`` does for the direct effect:

1. Size of the total verdict at the bounds: with the population's standardized total effect
   exactly +sesoi or -sesoi, ``decisive`` and the equivalence verdicts (``negligible``,
   ``significant_but_negligible``) should each occur in at most about ``alpha`` of samples.
2. Total verdicts in clear cases (null total, large total, a total between 0 and the SESOI, a
   small sample, an effect of size that passes wholly through the means).
3. Coverage of ``indirect_ci90_points``: about 1 - 2 alpha = 90 % with a mediated effect and
   without one (the means independent of size), and how often the interval excludes 0 when the
   true indirect effect is 0 (that is 1 - coverage: about 2 alpha). A third world has neither
   path (a = 0 and gamma = 0): there the percentile interval of a sum of products of two
   zero-mean estimates is known to be conservative (MacKinnon, Lockwood & Williams 2004): one
   product a*g has sampling variance about V(a) V(g) there, while its resamples spread about
   their own nonzero estimates, with variance a^2 V(g) + g^2 V(a) + V(a) V(g), some 3 V(a) V(g)
   on average. Coverage near 100 % is expected there, not 90 %.

The worlds (``World``) and their closed forms. Size S = ln(population) is drawn with
replacement from the real EPCI frame, so its mean m and variance s^2 (the frame's, ddof 0) are
exactly those of the draws' distribution. The means (budget, staff, two sponsorship-like
columns) are M = a (S - m) + U with U ~ N(0, Sigma) independent of S, and the index is
Y = c + beta_d (S - m) + gamma'M + sigma e, e ~ N(0, 1) independent of (S, U). Then

- direct: E[Y | S, M] = c + beta_d (S - m) + gamma'M, so the regression of Y on S and M (the
  main model) is correctly specified and its size slope is beta_d;
- total: E[Y | S] = c + (beta_d + gamma'a)(S - m) since E[U | S] = 0, so the regression of Y on
  S alone is correctly specified too, with slope beta_t = beta_d + gamma'a and a residual
  gamma'U + sigma e independent of S, of variance R = gamma' Sigma gamma + sigma^2;
- indirect: (beta_t - beta_d) ln 10 = gamma'a ln 10 index points for a tenfold population
  (zero when a = 0, the means independent of size, or gamma = 0);
- standardized: Var(Y) = beta_t^2 s^2 + R, so the total's standardized effect is
  tau_t = beta_t s / sqrt(beta_t^2 s^2 + R) and the direct's tau_d = beta_d s / sd(Y). A world
  with a given tau_t has beta_t = tau_t sqrt(R / (1 - tau_t^2)) / s, and beta_d = beta_t -
  gamma'a (``World.with_total``).

Errors are homoskedastic and normal, the regressions linear: what is checked is the package's
estimation and inference (standardization on the sample's SDs, HC3, the t-based verdicts, the
percentile bootstrap), not its robustness to misspecification.
Run: ``.venv/bin/python validation/estimand_calibration.py``
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from tqdm import tqdm

from analyse.data.reference import load_frame
from analyse.stats.equivalence import test_size
from analyse.stats.estimands import Estimands, estimate_estimands
from analyse.stats.regression import Design, fit_ols

LN10 = math.log(10.0)
MEANS = ("budget", "staff", "elected_digital_lead", "strategy_adopted")
GROUPS = {
    "size": ["size"],
    "budget": ["budget"],
    "staff": ["staff"],
    "sponsorship": ["elected_digital_lead", "strategy_adopted"],
}
# Means per unit of ln(population) (about the slopes of analyse.data.simulate's worlds, where
# sponsorship is a 0/1 answer: here a linear stand-in), their residual SDs and correlation, and
# their effects on the index in points per unit.
A = (0.05, 0.08, 0.05, 0.04)
MEAN_SD = np.array([0.4, 0.5, 0.45, 0.45])
MEAN_CORR = 0.3
GAMMA = (8.0, 10.0, 5.0, 7.0)
ZERO = (0.0, 0.0, 0.0, 0.0)
SIGMA = 12.0  # SD of the index around its mean given size and means, points
CENTRE = 50.0  # index at the frame's mean size and zero means


@cache
def frame_sizes() -> np.ndarray:
    """ln(population) of the EPCI frame: the distribution every world's sizes are drawn from."""
    return np.log(load_frame("epci")["population"].to_numpy(dtype="float64"))


def mean_cov() -> np.ndarray:
    corr = np.full((len(MEANS), len(MEANS)), MEAN_CORR)
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(MEAN_SD, MEAN_SD)


@dataclass(frozen=True)
class World:
    """A linear world whose total, direct and indirect effects of size are known (see the
    module's docstring for the closed forms)."""

    direct_slope: float  # beta_d, points per unit of ln(population)
    a: tuple[float, ...] = A  # size -> each mean, per unit of ln(population)
    gamma: tuple[float, ...] = GAMMA  # each mean -> index, points per unit
    sigma: float = SIGMA

    @classmethod
    def with_total(
        cls, tau_total: float, a: tuple[float, ...] = A, gamma: tuple[float, ...] = GAMMA
    ) -> World:
        """The world whose population standardized total effect is exactly ``tau_total``."""
        probe = cls(0.0, a, gamma)
        s = frame_sizes().std()
        beta_t = tau_total * math.sqrt(probe.residual_var / (1.0 - tau_total**2)) / s
        return cls(beta_t - probe.mediated_slope, a, gamma)

    @property
    def mediated_slope(self) -> float:
        """gamma'a: the part of the total slope that passes through the means."""
        return float(np.dot(self.gamma, self.a))

    @property
    def residual_var(self) -> float:
        """R = Var(Y | S) = gamma' Sigma gamma + sigma^2."""
        gamma = np.asarray(self.gamma)
        return float(gamma @ mean_cov() @ gamma) + self.sigma**2

    @property
    def total_slope(self) -> float:
        return self.direct_slope + self.mediated_slope

    @property
    def indirect_points(self) -> float:
        return self.mediated_slope * LN10

    @property
    def sd_index(self) -> float:
        return math.sqrt(self.total_slope**2 * frame_sizes().var() + self.residual_var)

    @property
    def std_total(self) -> float:
        return self.total_slope * frame_sizes().std() / self.sd_index

    @property
    def std_direct(self) -> float:
        return self.direct_slope * frame_sizes().std() / self.sd_index

    def sample(self, n: int, rng: np.random.Generator) -> Design:
        """n collectivities of this world, as the main model's design."""
        sizes = frame_sizes()
        size = rng.choice(sizes, size=n)
        centred = size - sizes.mean()
        means = np.outer(centred, np.asarray(self.a)) + rng.multivariate_normal(
            np.zeros(len(MEANS)), mean_cov(), size=n
        )
        y = (
            CENTRE
            + self.direct_slope * centred
            + means @ np.asarray(self.gamma)
            + self.sigma * rng.standard_normal(n)
        )
        x = pd.DataFrame(means, columns=list(MEANS))
        x.insert(0, "size", size)
        x.insert(0, "Intercept", 1.0)
        return Design(y=pd.Series(y, name="maturity_index"), X=x, groups=dict(GROUPS))


def estimate(
    world: World, n: int, rng: np.random.Generator, bootstrap: int = 0, seed: int = 0
) -> Estimands:
    """The package's estimands on one sample of ``world``, as the pipeline computes them."""
    fit = fit_ols(world.sample(n, rng))
    return estimate_estimands(fit, test_size(fit), bootstrap=bootstrap, seed=seed)


def mc_se(p: float, reps: int) -> float:
    return math.sqrt(p * (1.0 - p) / reps)


def bounds(reps: int, rng: np.random.Generator, sesoi: float, alpha: float) -> None:
    print(
        f"1. Total verdict at a bound (population standardized total effect = ±{sesoi}), "
        f"alpha = {alpha}, {reps} samples each; Monte Carlo SE of a rate near {alpha}: "
        f"{mc_se(alpha, reps):.3f}"
    )
    for tau in (sesoi, -sesoi):
        world = World.with_total(tau)
        print(
            f"  world: total {world.std_total:+.3f} std ({world.total_slope * LN10:+.2f} points"
            f" for a tenfold population), direct {world.std_direct:+.3f} std, indirect"
            f" {world.indirect_points:+.2f} points"
        )
        for n in (56, 200, 1000):
            counts: Counter = Counter()
            std_total = []
            for _ in tqdm(range(reps), desc=f"total={tau:+} n={n}", leave=False):
                total = estimate(world, n, rng).total
                counts[total.verdict] += 1
                std_total.append(total.std_coef)
            equivalent = counts["negligible"] + counts["significant_but_negligible"]
            print(
                f"    n = {n:>5}: decisive {counts['decisive'] / reps:.3f}, equivalence declared"
                f" {equivalent / reps:.3f}; mean estimated std total {np.mean(std_total):+.3f}"
                f" (SE {np.std(std_total, ddof=1) / math.sqrt(reps):.3f})"
            )


def clear_cases(reps: int, rng: np.random.Generator) -> None:
    print(f"\n2. Total (and direct) verdicts in clear cases, {reps} samples each")
    all_mediated = World(0.0, a=tuple(4 * v for v in A))  # size acts only through the means
    cases = (
        ("null total, n = 5000", World.with_total(0.0), 5000),
        ("total 0.5, n = 500", World.with_total(0.5), 500),
        ("total 0.1, n = 5000", World.with_total(0.1), 5000),
        ("null total, n = 20", World.with_total(0.0), 20),
        ("all through the means, n = 1000", all_mediated, 1000),
    )
    for label, world, n in cases:
        totals: Counter = Counter()
        directs: Counter = Counter()
        for _ in tqdm(range(reps), desc=label, leave=False):
            e = estimate(world, n, rng)
            totals[e.total.verdict] += 1
            directs[e.direct.verdict] += 1
        print(f"  {label} (true std total {world.std_total:+.3f}, direct {world.std_direct:+.3f})")
        for name, counts in (("total", totals), ("direct", directs)):
            shares = ", ".join(f"{k} {v / reps:.2f}" for k, v in counts.most_common())
            print(f"    {name:<7} {shares}")


def coverage(reps: int, draws: int, rng: np.random.Generator, alpha: float) -> None:
    level = 1 - 2 * alpha
    print(
        f"\n3. Coverage of the indirect effect's {level:.0%} bootstrap interval "
        f"(indirect_ci90_points), {reps} samples each, {draws} bootstrap draws per sample; "
        f"Monte Carlo SE of a coverage near {level:.2f}: {mc_se(level, reps):.3f}"
    )
    worlds = (
        ("mediated", World.with_total(0.2)),
        ("none: means independent of size (a = 0)", World.with_total(0.2, a=ZERO)),
        ("none: a = 0 and means without effect (gamma = 0)", World.with_total(0.2, ZERO, ZERO)),
    )
    for label, world in worlds:
        truth = world.indirect_points
        print(f"  {label}: true indirect {truth:+.3f} points, std total {world.std_total:+.3f}")
        for n in (56, 200, 1000):
            below = above = 0
            estimates, widths = [], []
            for i in tqdm(range(reps), desc=f"{label[:12]} n={n}", leave=False):
                e = estimate(world, n, rng, bootstrap=draws, seed=i)
                low, high = e.indirect_ci90_points
                below += high < truth  # the interval lies below the truth
                above += low > truth
                estimates.append(e.indirect_points)
                widths.append(high - low)
            covered = 1 - (below + above) / reps
            excludes = " (= excludes 0)" if truth == 0 else ""
            print(
                f"    n = {n:>5}: coverage {covered:.3f} (MC SE {mc_se(covered, reps):.3f});"
                f" misses{excludes} below {below / reps:.3f}, above {above / reps:.3f};"
                f" mean estimate {np.mean(estimates):+.3f}"
                f" (SE {np.std(estimates, ddof=1) / math.sqrt(reps):.3f}),"
                f" median width {np.median(widths):.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="samples per bound cell")
    parser.add_argument("--coverage-reps", type=int, default=400, help="samples per coverage cell")
    parser.add_argument("--draws", type=int, default=400, help="bootstrap draws per sample")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sesoi, alpha = 0.2, 0.05
    bounds(args.reps, rng, sesoi, alpha)
    clear_cases(max(50, args.reps // 10), rng)
    coverage(args.coverage_reps, args.draws, rng, alpha)


if __name__ == "__main__":
    main()
