"""Marginal versus conditional size effect.

The barometer's two statements reconcile if size matters marginally (large collectivities are
more mature) but not conditionally (once budget, staff and sponsorship are held fixed). This
compares the size coefficient alone with the one in the full model, and measures what size adds
to the full model: partial R², an HC3 Wald test, and a BIC approximation of the Bayes factor in
favour of the model without size (Wagenmakers 2007): BF01 > 3 is usually read as positive
evidence that size adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyse.stats.regression import Design, OLSFit, fit_ols


@dataclass(frozen=True)
class NestedComparison:
    marginal_coef: float
    marginal_se: float
    marginal_p: float
    conditional_coef: float
    conditional_se: float
    conditional_p: float
    r2_full: float
    r2_without_size: float
    partial_r2: float
    wald_f: float
    wald_p: float
    bic_full: float
    bic_without_size: float
    bf01: float


def _drop(design: Design, columns: list[str]) -> Design:
    groups = {g: [c for c in cols if c not in columns] for g, cols in design.groups.items()}
    return Design(
        y=design.y,
        X=design.X.drop(columns=columns),
        groups={g: c for g, c in groups.items() if c},
        dropped_terms=design.dropped_terms,
    )


def _bic(fit: OLSFit) -> float:
    # Same convention as R's BIC() for lm: the error variance counts as a parameter. Only
    # differences between nested models matter, so the convention does not change BF01.
    res = fit.result
    return float(-2.0 * res.llf + np.log(res.nobs) * (res.df_model + 2.0))


def compare_nested(full: OLSFit, weights=None) -> NestedComparison:
    """Size alone (with the intercept) against size in the full model, on the same sample
    (and with the same survey weights, if any)."""
    design = full.design
    marginal = fit_ols(
        Design(y=design.y, X=design.X[["Intercept", "size"]], groups={"size": ["size"]}),
        weights=weights,
    )
    reduced = fit_ols(_drop(design, ["size"]), weights=weights)
    wald = full.result.wald_test("size = 0", scalar=True, use_f=True)
    partial = (full.r2 - reduced.r2) / (1.0 - reduced.r2)
    bic_full, bic_reduced = _bic(full), _bic(reduced)
    return NestedComparison(
        marginal_coef=float(marginal.coef["size"]),
        marginal_se=float(marginal.se["size"]),
        marginal_p=float(marginal.p["size"]),
        conditional_coef=float(full.coef["size"]),
        conditional_se=float(full.se["size"]),
        conditional_p=float(full.p["size"]),
        r2_full=full.r2,
        r2_without_size=reduced.r2,
        partial_r2=float(partial),
        wald_f=float(wald.statistic),
        wald_p=float(wald.pvalue),
        bic_full=bic_full,
        bic_without_size=bic_reduced,
        # a BIC from a weighted pseudo-likelihood is no likelihood: no Bayes factor then
        bf01=float(np.exp((bic_full - bic_reduced) / 2.0)) if weights is None else float("nan"),
    )
