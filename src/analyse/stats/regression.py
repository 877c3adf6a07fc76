"""OLS of the maturity index on size and means, with HC3 standard errors.

HC3 because a survey of 56 collectivities of very different sizes is small and heteroskedastic:
HC3 is the heteroskedasticity-consistent estimator that behaves best in small samples (Long and
Ervin 2000). Inference uses t with the residual degrees of freedom, as R's ``coeftest`` does.
Coefficients are always matched by name, never by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analyse.data.contract import COLLECTIVITY_TYPES
from analyse.data.terms import available_terms, model_terms

OUTCOME = "maturity_index"
CONTROLS: tuple[str, ...] = ("collectivity_type",)
REFERENCE_TYPE = "CC"


@dataclass
class Design:
    """Outcome and regressors of one model, on the estimation sample."""

    y: pd.Series
    X: pd.DataFrame
    groups: dict[str, list[str]]  # term group -> columns of X (for relative importance)
    dropped_terms: list[str] = field(default_factory=list)


def build_design(
    scored: pd.DataFrame,
    controls: Sequence[str] = (),
    terms: Sequence[str] | None = None,
) -> Design:
    """Regressors for the respondents with a maturity index.

    Terms whose survey column is absent are dropped and listed in ``dropped_terms`` so a report
    can say so; rows with a missing value in a kept term are left out of the estimation sample.
    """
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}; available: {list(CONTROLS)}")
    present, dropped = available_terms(scored)
    if terms is not None:
        dropped += [t for t in terms if t not in present]
        present = [t for t in present if t in terms]
    sample = scored[scored[OUTCOME].notna()]
    x = model_terms(sample)[present]
    groups = {t: [t] for t in present}
    if "elected_digital_lead" in groups or "strategy_adopted" in groups:
        sponsorship = [t for t in ("elected_digital_lead", "strategy_adopted") if t in present]
        for t in sponsorship:
            groups.pop(t)
        groups["sponsorship"] = sponsorship
    if "collectivity_type" in controls:
        dummies = type_dummies(sample["collectivity_type"])
        x = pd.concat([x, dummies], axis=1)
        if len(dummies.columns):
            groups["controls"] = list(dummies.columns)
    keep = x.notna().all(axis=1)
    x = x[keep]
    x.insert(0, "Intercept", 1.0)
    y = sample.loc[keep, OUTCOME].astype("float64")
    return Design(y=y, X=x.astype("float64"), groups=groups, dropped_terms=dropped)


def type_dummies(types: pd.Series) -> pd.DataFrame:
    """Treatment dummies for collectivity type, CC as reference when present.

    Column names follow patsy (``collectivity_type[T.CA]``) so tables read like statsmodels'.
    """
    present = [t for t in COLLECTIVITY_TYPES if (types == t).any()]
    reference = REFERENCE_TYPE if REFERENCE_TYPE in present else (present[0] if present else None)
    cols = {
        f"collectivity_type[T.{t}]": (types == t).astype("float64")
        for t in present
        if t != reference
    }
    return pd.DataFrame(cols, index=types.index)


@dataclass
class OLSFit:
    """An OLS fit with HC3 inference, named terms, and the sample it used."""

    coef: pd.Series
    se: pd.Series
    p: pd.Series
    r2: float
    df_resid: float
    nobs: int
    design: Design
    result: object  # statsmodels RegressionResults, for anything else a notebook wants
    weights: pd.Series | None = None  # survey weights of the WLS fit, on the estimation sample

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"coef": self.coef, "se_hc3": self.se, "p": self.p})


def fit_ols(design: Design, weights: pd.Series | None = None) -> OLSFit:
    """OLS (or WLS with survey weights) with HC3 covariance and t inference."""
    if len(design.y) <= design.X.shape[1]:
        raise ValueError(
            f"{len(design.y)} respondents cannot identify {design.X.shape[1]} coefficients"
        )
    if weights is not None:
        weights = weights.loc[design.y.index]
    if weights is None:
        model = sm.OLS(design.y, design.X)
    else:
        model = sm.WLS(design.y, design.X, weights=weights)
    res = model.fit(cov_type="HC3", use_t=True)
    return OLSFit(
        coef=res.params,
        se=res.bse,
        p=res.pvalues,
        r2=float(res.rsquared),
        df_resid=float(res.df_resid),
        nobs=int(res.nobs),
        design=design,
        result=res,
        weights=weights,
    )


class HC3Arrays(NamedTuple):
    """What ``ols_hc3`` returns: coefficients, HC3 SEs and t p-values, by column of ``x``."""

    coef: np.ndarray
    se: np.ndarray
    p: np.ndarray
    df_resid: float
    rank: int


def ols_hc3(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> HC3Arrays:
    """The numbers of ``fit_ols`` from plain arrays, without building a statsmodels model.

    For loops of many small fits (the specification curve), where the statsmodels result object
    costs far more than the algebra. It repeats statsmodels' own computation step by step, so
    the two agree to rounding: the pseudo-inverse from the SVD of the (weighted) design with
    singular values below 1e-15 of the largest treated as zero, the rank as numpy counts it,
    leverages from the normalized covariance, HC3 as (pinv X) diag(e^2 / (1-h)^2) (pinv X)',
    and two-sided t p-values with n - rank degrees of freedom.

    ``svd``, the thin SVD of ``x`` (``np.linalg.svd(x, full_matrices=False)``), may be passed by
    a caller that already has it (it checked the design's rank); it is ignored with weights.
    """
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype="float64"))
        x, y = x * root[:, None], y * root
        svd = None
    u, s, vt = np.linalg.svd(x, full_matrices=False) if svd is None else svd
    s_inv = np.where(s > 1e-15 * s.max(), 1.0 / np.where(s > 0, s, 1.0), 0.0)
    pinv = vt.T @ (s_inv[:, None] * u.T)
    rank = int(np.count_nonzero(s > s.max() * len(s) * np.finfo(s.dtype).eps))  # as numpy's
    coef = pinv @ y
    resid = y - x @ coef
    h = np.einsum("ij,ik,kj->i", x, x, pinv @ pinv.T)
    het = (resid / (1.0 - h)) ** 2
    se = np.sqrt(np.einsum("ji,i,ji->j", pinv, het, pinv))
    df_resid = float(len(y) - rank)
    p = 2 * stats.t.sf(np.abs(coef / se), df_resid)
    return HC3Arrays(coef=coef, se=se, p=p, df_resid=df_resid, rank=rank)
