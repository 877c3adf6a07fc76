"""Specification curve: does the verdict survive reasonable alternative analyses?

A single model is one of many defensible choices. The curve refits the size test under every
combination of: controls for type or not; size as ln(population) or as an ordered population
band; budget per inhabitant or total budget; sponsorship as two indicators or their count; all
respondents or without the smallest and largest 2 % by population; no weights or weights raked
to the reference frame. Each specification gets its standardized size effect, its 90 %
interval (the equivalence interval) and its verdict (Simonsohn, Simmons and Nelson 2020).
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from analyse.data.bands import POPULATION_BAND_LABELS as BAND_LABELS
from analyse.data.bands import population_band
from analyse.data.terms import staff_per_10k
from analyse.stats.equivalence import equivalence_interval, test_size
from analyse.stats.regression import OUTCOME, Design, fit_ols, type_dummies
from analyse.stats.weights import rake

CHOICES: dict[str, tuple[str, ...]] = {
    "controls": ("none", "collectivity_type"),
    "size": ("ln_population", "population_band"),
    "budget": ("per_capita", "total"),
    "sponsorship": ("two_terms", "count"),
    "sample": ("all", "trim_2pct"),
    "weights": ("none", "raked"),
}


def _design(scored: pd.DataFrame, spec: dict[str, str]) -> Design:
    pop = scored["population"].astype("float64")
    x = pd.DataFrame(index=scored.index)
    if spec["size"] == "ln_population":
        x["size"] = np.log(pop)
    else:
        x["size"] = population_band(pop).cat.codes.astype("float64")
    budget = scored["budget_per_capita"].astype("float64")
    x["budget"] = np.log(budget if spec["budget"] == "per_capita" else budget * pop)
    if "digital_staff_fte" in scored:
        x["staff"] = staff_per_10k(scored["digital_staff_fte"], pop)
    sponsorship = [c for c in ("elected_digital_lead", "strategy_adopted") if c in scored]
    if spec["sponsorship"] == "two_terms":
        for c in sponsorship:
            x[c] = scored[c].astype("float64")
    elif sponsorship:
        x["sponsorship_count"] = scored[sponsorship].astype("float64").sum(axis=1, skipna=False)
    if spec["controls"] == "collectivity_type":
        x = pd.concat([x, type_dummies(scored["collectivity_type"])], axis=1)
    keep = x.notna().all(axis=1)
    x = x[keep]
    x.insert(0, "Intercept", 1.0)
    return Design(y=scored.loc[keep, OUTCOME].astype("float64"), X=x, groups={})


def specification_curve(
    scored: pd.DataFrame,
    frame: pd.DataFrame | None,
    sesoi: float = 0.2,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per specification, sorted by standardized size effect.

    Raked specifications are skipped (not faked) when no frame is given or raking is impossible
    (e.g. a type absent from the frame); ``attrs['skipped']`` says why.
    """
    sample = scored[scored[OUTCOME].notna()]
    rows, skipped = [], {}
    for values in product(*CHOICES.values()):
        spec = dict(zip(CHOICES, values, strict=True))
        data = sample
        if spec["sample"] == "trim_2pct":
            low, high = data["population"].astype(float).quantile([0.02, 0.98])
            data = data[data["population"].astype(float).between(low, high)]
        weights = None
        if spec["weights"] == "raked":
            if frame is None:
                skipped["raked"] = "no reference frame given"
                continue
            try:
                weights = rake(data, frame)
            except ValueError as exc:
                skipped["raked"] = str(exc)
                continue
        design = _design(data, spec)
        if (
            design.X.shape[1] >= len(design.y)
            or np.linalg.matrix_rank(design.X) < design.X.shape[1]
        ):
            skipped[str(spec)] = "design not identified"
            continue
        fit = fit_ols(design, weights=weights)
        test = test_size(fit, sesoi=sesoi, alpha=alpha)
        low, high = equivalence_interval(test)
        rows.append(
            {
                **spec,
                "weights_converged": None if weights is None else bool(weights.attrs["converged"]),
                "n": fit.nobs,
                "std_coef": test.std_coef,
                "std_se": test.std_se,
                "ci90_low": low,
                "ci90_high": high,
                "p": test.p,
                "tost_p": test.tost_p,
                "verdict": test.verdict,
            }
        )
    curve = pd.DataFrame(rows).sort_values("std_coef", ignore_index=True)
    curve.attrs["skipped"] = skipped
    curve.attrs["bands"] = list(BAND_LABELS)
    return curve
