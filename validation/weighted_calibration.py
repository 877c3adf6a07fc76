"""Validation of the weighted verdict's standard error, design-based: samples drawn from a known
finite population, raked, fitted and judged as a ``weights: raked`` run does.

Under survey weights the verdict reads the design-based linearization of the WLS coefficient
with HC3's leverage correction (``size.se``, ``se_method`` ``linearization_calibrated_hc3``:
``analyse.stats.regression.linearization_se(..., hc3=True)``), not R's ``survey::svyglm``
linearization itself (``size.se_linearization``). This script measures why, and checks the
corrected one, for both standard errors read on the same samples:

1. Coverage of the verdict's (1 - 2 alpha) = 90 % interval of the standardized size effect
   (``size.ci90``) and of the raw slope's 90 % t interval, of the population's (census) values.
2. At a bound (the population's standardized effect exactly +sesoi or -sesoi): how often
   ``decisive`` and an equivalence verdict (``negligible``, ``significant_but_negligible``)
   are declared. Each rests on a one-sided test at level alpha, so each should occur in at most
   about alpha = 5 % of samples; a standard error too small makes both more frequent. At this
   sample size the 90 % interval of the standardized effect is wider than the bounds ±0.2
   (its half-width is about 0.35 to 0.45), so equivalence is almost never declared whatever the
   SE: ``decisive`` is the rate that tells the two SEs apart.

The population is the EPCI frame (``analyse.data.reference.load_frame('epci')``, 1,255 units)
with its real collectivity types and populations; size S = ln(population). Its other columns
are drawn once per world (fixed, as a finite population is): four means like the model's
(two continuous, budget- and staff-like, and two 0/1, sponsorship-like), each related to size,
and an index Y = 50 + beta (S - mean S) + 8 M1 + 6 M2 + 5 M3 + 7 M4 + 6 big (S - mean S) + 12 e,
``big`` the metropoles and CU: an effect of size that differs by type, so the model (the index on
size and the four means) is misspecified and its population slope is the census regression's,
a finite-population quantity, as in a real survey. Its standardized value is the census slope
times sd(S) / sd(Y) over the frame (``tau``), what the weighted SDs of ``standardize`` estimate.
beta is solved for tau = +sesoi and -sesoi in the bound worlds; the first world keeps beta = 3.

Each sample draws, without replacement, the shipped panel's number of respondents in each of its
collectivity type x population band cells (55 respondents, on the rows its main model fits), as
if the panel's composition were its design; rakes them to the frame's type and band margins
(``analyse.stats.weights.rake``, merging bands as a run does: a sample whose margins cannot be
met is counted and skipped); fits ``fit_ols(design, weights=w)`` and judges with ``test_size``
(``sesoi`` 0.2). The svyglm verdict is the same test read with ``fit.se_linearization``.

Run: ``.venv/bin/python validation/weighted_calibration.py`` (about 2 minutes on one core)
"""

from __future__ import annotations

import argparse
import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats
from tqdm import tqdm

from analyse.data.bands import population_band
from analyse.data.reference import load_frame
from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline.run_result import load_scored, model_rows
from analyse.stats.equivalence import equivalence_interval, test_size
from analyse.stats.regression import Design, OLSFit, fit_ols
from analyse.stats.weights import CalibrationError, rake

COLUMNS = ["Intercept", "size", "budget", "staff", "elected_digital_lead", "strategy_adopted"]
GROUPS = {
    "size": ["size"],
    "budget": ["budget"],
    "staff": ["staff"],
    "sponsorship": ["elected_digital_lead", "strategy_adopted"],
}
GAMMA = np.array([8.0, 6.0, 5.0, 7.0])  # effects of the four means on the index, points
INTERACTION = 6.0  # extra slope of size among metropoles and CU, points per unit of ln pop
SIGMA = 12.0
EQUIVALENCE = ("negligible", "significant_but_negligible")
SES = ("svyglm", "hc3")  # the two SEs read: R's svyglm linearization, the leverage-adjusted one
LABELS = {
    "svyglm": "svyglm linearization (size.se_linearization)",
    "hc3": "leverage-adjusted (size.se, the verdict's)",
}


@dataclass(frozen=True)
class Population:
    """A finite population: the frame's types and sizes with drawn means and index."""

    frame: pd.DataFrame  # collectivity_type, population, band
    x: np.ndarray  # the model's columns (COLUMNS), every frame unit
    base: np.ndarray  # the index without beta (S - mean S)
    centred: np.ndarray  # S - mean S

    def index(self, beta: float) -> np.ndarray:
        return self.base + beta * self.centred

    def census(self, beta: float) -> tuple[float, float]:
        """The census regression's size slope and its standardized value (SDs over the frame)."""
        y = self.index(beta)
        slope = float(np.linalg.lstsq(self.x, y, rcond=None)[0][1])
        return slope, slope * float(self.x[:, 1].std()) / float(y.std())

    def beta_for(self, tau: float) -> float:
        """beta giving the census standardized slope ``tau``."""
        return float(optimize.brentq(lambda b: self.census(b)[1] - tau, -50.0, 50.0, xtol=1e-12))


def population(rng: np.random.Generator) -> Population:
    frame = load_frame("epci").reset_index(drop=True)
    frame = frame[["collectivity_type", "population"]].copy()
    frame["band"] = population_band(frame["population"]).astype(str)
    n = len(frame)
    size = np.log(frame["population"].to_numpy(dtype="float64"))
    centred = size - size.mean()
    budget = 0.3 * centred + rng.normal(0.0, 0.5, n)
    staff = 0.2 * centred + rng.normal(0.0, 0.5, n)
    lead = (0.6 * centred + rng.normal(0.0, 1.0, n) > 0).astype("float64")
    strategy = (0.4 * centred + rng.normal(0.0, 1.0, n) > -0.3).astype("float64")
    means = np.column_stack([budget, staff, lead, strategy])
    big = frame["collectivity_type"].isin(["metropole", "CU"]).to_numpy()
    base = 50.0 + means @ GAMMA + INTERACTION * big * centred + SIGMA * rng.standard_normal(n)
    x = np.column_stack([np.ones(n), size, means])
    return Population(frame=frame, x=x, base=base, centred=centred)


def panel_cells() -> pd.Series:
    """The shipped panel's respondents per type x band cell, on the rows its model fits."""
    params = load_params(project_root() / "params" / "default.yaml")
    scored, _ = load_scored(params)
    panel = scored.loc[model_rows(params, scored), ["collectivity_type", "population"]]
    bands = population_band(panel["population"].astype("float64")).astype(str)
    return panel.assign(band=bands).groupby(["collectivity_type", "band"]).size()


def svyglm_fit(fit: OLSFit) -> OLSFit:
    """The same fit read with svyglm's linearization (what the verdict read before)."""
    se = fit.se_linearization
    p = pd.Series(2 * stats.t.sf(np.abs(fit.coef / se), fit.df_resid), index=se.index)
    method = fit.se_method.removesuffix("_hc3")
    return replace(fit, se_verdict=se, p_verdict=p, se_method=method)


def mc_se(p: float, reps: int) -> float:
    return math.sqrt(p * (1 - p) / reps)


def run_world(
    pop: Population,
    beta: float,
    cells: pd.Series,
    reps: int,
    rng: np.random.Generator,
    sesoi: float,
    label: str,
) -> None:
    slope, tau = pop.census(beta)
    y = pop.index(beta)
    groups = pop.frame.groupby(["collectivity_type", "band"]).indices
    margins = pop.frame[["collectivity_type", "population"]]
    covered = {k: 0 for k in SES}
    covered_raw = {k: 0 for k in SES}
    decisive = {k: 0 for k in SES}
    equivalent = {k: 0 for k in SES}
    se_sum = {k: 0.0 for k in SES}
    estimates, kish, skipped = [], [], 0
    for _ in tqdm(range(reps), desc=label, leave=False):
        rows = np.concatenate(
            [rng.choice(groups[c], size=k, replace=False) for c, k in cells.items()]
        )
        sample = pop.frame.loc[rows, ["collectivity_type", "population"]].reset_index(drop=True)
        try:
            w = rake(sample, margins)
        except CalibrationError:
            skipped += 1
            continue
        design = Design(
            y=pd.Series(y[rows]), X=pd.DataFrame(pop.x[rows], columns=COLUMNS), groups=GROUPS
        )
        fit = fit_ols(design, weights=w)
        q = stats.t.ppf(0.95, fit.df_resid)
        for key, f in (("hc3", fit), ("svyglm", svyglm_fit(fit))):
            test = test_size(f, sesoi=sesoi)
            low, high = equivalence_interval(test)
            covered[key] += low < tau < high
            covered_raw[key] += abs(test.coef - slope) < q * test.se
            decisive[key] += test.verdict == "decisive"
            equivalent[key] += test.verdict in EQUIVALENCE
            se_sum[key] += test.std_se
        estimates.append(test.std_coef)
        kish.append(w.attrs["kish_n"])
    done = reps - skipped
    est = np.asarray(estimates)
    print(
        f"  {label}: census standardized effect {tau:+.3f} (slope {slope:+.3f}, beta {beta:+.3f}); "
        f"{done} samples ({skipped} whose margins could not be met skipped), "
        f"median Kish n {np.median(kish):.1f}"
    )
    spread = est.std()
    print(
        f"    standardized estimate: mean {est.mean():+.3f} "
        f"(MC SE {spread / math.sqrt(done):.3f}), SD across samples {spread:.3f}"
    )
    for key in SES:
        cov, raw = covered[key] / done, covered_raw[key] / done
        dec, eq = decisive[key] / done, equivalent[key] / done
        print(
            f"    {LABELS[key]}: mean std SE {se_sum[key] / done:.3f}; 90% coverage, "
            f"standardized {cov:.3f} (MC SE {mc_se(cov, done):.3f}), raw slope {raw:.3f}; "
            f"decisive {dec:.3f} (MC SE {mc_se(dec, done):.3f}), "
            f"equivalence declared {eq:.3f} (MC SE {mc_se(eq, done):.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="samples per world")
    parser.add_argument("--sesoi", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(args.seed)
    cells = panel_cells()
    pop = population(rng)
    print(
        f"Weighted verdicts, design-based: {len(pop.frame)} EPCI as the population, samples of "
        f"{int(cells.sum())} in the panel's {len(cells)} type x band cells, raked; "
        f"{args.reps} samples per world, sesoi {args.sesoi}, alpha 0.05 (a one-sided test's "
        "rate should be at most about 0.05 at a bound; coverage about 0.90)"
    )
    worlds = [
        ("beta 3", 3.0),
        ("at +sesoi", pop.beta_for(args.sesoi)),
        ("at -sesoi", pop.beta_for(-args.sesoi)),
    ]
    for label, beta in worlds:
        run_world(pop, beta, cells, args.reps, rng, args.sesoi, label)


if __name__ == "__main__":
    main()
