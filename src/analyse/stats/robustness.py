"""Specification curve: does the verdict survive reasonable alternative analyses?

A single model is one of many defensible choices. The curve refits the size test under every
combination of: controls for type or not; size as ln(population) or as an ordered population
band; budget per inhabitant or total budget; sponsorship as two indicators or their count; all
respondents or without the smallest and largest 2 % by population; no weights or weights raked
to the reference frame. Each specification gets its standardized size effect, its 90 %
interval (the equivalence interval) and its verdict (Simonsohn, Simmons and Nelson 2020).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from analyse.data.bands import POPULATION_BAND_LABELS as BAND_LABELS
from analyse.data.bands import population_band
from analyse.data.terms import SPONSORSHIP_TERMS, model_terms
from analyse.stats.equivalence import equivalence_interval, judge_size
from analyse.stats.regression import OUTCOME, ols_hc3, type_dummies
from analyse.stats.weights import rake

CHOICES: dict[str, tuple[str, ...]] = {
    "controls": ("none", "collectivity_type"),
    "size": ("ln_population", "population_band"),
    "budget": ("per_capita", "total"),
    "sponsorship": ("two_terms", "count"),
    "sample": ("all", "trim_2pct"),
    "weights": ("none", "raked"),
}


@dataclass
class _Sample:
    """One sample of the curve (all respondents or trimmed) with every regressor any
    specification may use, computed once: a specification only picks among the columns."""

    data: pd.DataFrame
    y: np.ndarray
    columns: dict[str, np.ndarray]
    sponsorship: list[str]
    dummies: list[str]
    weights: pd.Series | ValueError | None = None  # raked once, on first use
    svds: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )  # thin SVD of the unweighted design, by regressors

    @classmethod
    def of(cls, data: pd.DataFrame) -> _Sample:
        # The main model's terms (analyse.data.terms), then the alternatives the curve tries:
        # total budget is ln(B/P) + ln P = ln B, and size as an ordered population band.
        terms = model_terms(data)
        pop = data["population"].astype("float64")
        cols = {
            "size:ln_population": terms["size"].to_numpy(),
            "size:population_band": population_band(pop).cat.codes.astype("float64").to_numpy(),
            "budget:per_capita": terms["budget"].to_numpy(),
            "budget:total": (terms["budget"] + terms["size"]).to_numpy(),
        }
        if "staff" in terms:
            cols["staff"] = terms["staff"].to_numpy()
        sponsorship = [c for c in SPONSORSHIP_TERMS if c in terms]
        for c in sponsorship:
            cols[c] = terms[c].to_numpy()
        if sponsorship:
            cols["sponsorship_count"] = terms[sponsorship].sum(axis=1, skipna=False).to_numpy()
        dummies = type_dummies(data["collectivity_type"])
        for c in dummies.columns:
            cols[c] = dummies[c].to_numpy()
        y = data[OUTCOME].astype("float64").to_numpy()
        return cls(data, y, cols, sponsorship, list(dummies.columns))

    def regressors(self, spec: dict[str, str]) -> list[str]:
        """The columns of one specification, in model order (without the intercept)."""
        names = [f"size:{spec['size']}", f"budget:{spec['budget']}"]
        if "staff" in self.columns:
            names.append("staff")
        if spec["sponsorship"] == "two_terms":
            names += self.sponsorship
        elif self.sponsorship:
            names.append("sponsorship_count")
        if spec["controls"] == "collectivity_type":
            names += self.dummies
        return names


def specification_curve(
    scored: pd.DataFrame,
    frame: pd.DataFrame | None,
    sesoi: float = 0.2,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per specification, sorted by standardized size effect.

    Raked specifications are skipped (not faked) when no frame is given or raking is impossible
    (e.g. a type absent from the frame); ``attrs['skipped']`` says why.

    Each specification is fitted like ``fit_ols`` and tested like ``test_size``, but with
    ``ols_hc3`` on arrays: the 64 fits share two samples, so each sample is trimmed, raked and
    turned into regressors once, and a specification only picks its columns.
    """
    samples: dict[str, _Sample] = {}
    rows, skipped = [], {}
    for values in product(*CHOICES.values()):
        spec = dict(zip(CHOICES, values, strict=True))
        if spec["sample"] not in samples:
            data = scored[scored[OUTCOME].notna()]
            if spec["sample"] == "trim_2pct":
                low, high = data["population"].astype(float).quantile([0.02, 0.98])
                data = data[data["population"].astype(float).between(low, high)]
            samples[spec["sample"]] = _Sample.of(data)
        sample = samples[spec["sample"]]
        weights = None
        if spec["weights"] == "raked":
            if frame is None:
                skipped["raked"] = "no reference frame given"
                continue
            if sample.weights is None:
                try:
                    sample.weights = rake(sample.data, frame)
                except ValueError as exc:
                    sample.weights = exc
            if isinstance(sample.weights, ValueError):
                skipped["raked"] = str(sample.weights)
                continue
            weights = sample.weights
        names = tuple(sample.regressors(spec))
        x = np.column_stack([sample.columns[c] for c in names])
        keep = ~np.isnan(x).any(axis=1)
        x = np.column_stack([np.ones(int(keep.sum())), x[keep]])
        y = sample.y[keep]
        fit = None
        if x.shape[1] < len(y):
            # identified if the unweighted design has full rank, as numpy's matrix_rank counts
            # it; its SVD serves the unweighted fit and the raked spec with the same columns
            if names not in sample.svds:
                sample.svds[names] = np.linalg.svd(x, full_matrices=False)
            svd = sample.svds[names]
            s = svd[1]
            if np.count_nonzero(s > s.max() * max(x.shape) * np.finfo(s.dtype).eps) == x.shape[1]:
                if weights is None:
                    fit = ols_hc3(x, y, svd=svd)
                else:
                    fit = ols_hc3(x, y, weights.to_numpy()[keep])
        if fit is None:
            skipped[str(spec)] = "design not identified"
            continue
        scale = float(np.std(x[:, 1], ddof=1) / np.std(y, ddof=1))
        test = judge_size(
            coef=float(fit.coef[1]),
            se=float(fit.se[1]),
            p=float(fit.p[1]),
            std_coef=float(fit.coef[1]) * scale,
            std_se=float(fit.se[1]) * scale,
            df_resid=fit.df_resid,
            sesoi=sesoi,
            alpha=alpha,
        )
        low, high = equivalence_interval(test)
        rows.append(
            {
                **spec,
                "weights_converged": None if weights is None else bool(weights.attrs["converged"]),
                "n": len(y),
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
