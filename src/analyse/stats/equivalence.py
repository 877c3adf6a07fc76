"""Is the size effect negligible? The equivalence test and the four-way verdict.

A non-significant size coefficient does not show that size is not decisive: a 56-respondent
survey may simply be unable to tell. The claim "size is not decisive" is an equivalence claim,
so it is tested as one (two one-sided tests, Schuirmann 1987; Lakens 2017) against a smallest
effect size of interest (SESOI) on the standardized scale, alongside the usual test of zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analyse.stats.regression import OLSFit

VERDICTS = ("negligible", "significant_but_negligible", "decisive", "inconclusive")

VERDICT_SENTENCES = {
    "negligible": "size is not decisive: its effect is statistically equivalent to zero "
    "(within the smallest effect of interest) and not different from zero",
    "significant_but_negligible": "size has a detectable effect, but one too small to matter: "
    "different from zero yet within the smallest effect of interest",
    "decisive": "size is decisive: its effect is different from zero and not within the "
    "smallest effect of interest",
    "inconclusive": "the data cannot settle whether size matters: its effect is neither "
    "different from zero nor shown to be within the smallest effect of interest",
}


@dataclass(frozen=True)
class SizeTest:
    coef: float
    se_hc3: float
    p: float
    std_coef: float
    std_se: float
    tost_p: float
    tost_p_lower: float
    tost_p_upper: float
    sesoi: float
    alpha: float
    df_resid: float
    verdict: str

    @property
    def sentence(self) -> str:
        return VERDICT_SENTENCES[self.verdict]


def standardize(fit: OLSFit, term: str = "size") -> tuple[float, float]:
    """``b * sd(term) / sd(y)`` and its HC3 standard error, SDs on the estimation sample.

    A weighted fit estimates the population's slope, so it is standardized by the population's
    SDs: the weighted SDs with the fit's own weights, sd_w(x)^2 = sum w (x - xbar_w)^2 / sum w
    with xbar_w = sum w x / sum w (the Hajek estimator; Lumley 2010, Complex Surveys, sec. 2.3,
    R's ``survey::svyvar``). Any n/(n-1)-type factor is common to both SDs and cancels in the
    ratio, so unweighted this is the usual ``ddof=1`` ratio, and weights all equal give it too.
    """
    x, y = fit.design.X[term], fit.design.y
    if fit.weights is None:
        scale = float(x.std(ddof=1) / y.std(ddof=1))
    else:
        w = fit.weights.to_numpy(dtype="float64")
        scale = float(np.sqrt(_weighted_ss(x.to_numpy(), w) / _weighted_ss(y.to_numpy(), w)))
    return float(fit.coef[term]) * scale, float(fit.se[term]) * scale


def _weighted_ss(v: np.ndarray, w: np.ndarray) -> float:
    """sum w (v - weighted mean)^2: the weighted variance up to a factor common to x and y."""
    return float(w @ (v - (w @ v) / w.sum()) ** 2)


def tost(estimate, se, bound: float, df: float):
    """Two one-sided t tests of ``|effect| < bound``: (p_lower, p_upper, p_tost = max).

    Works on scalars and on arrays (the sensitivity simulations test thousands at once).
    """
    p_lower = stats.t.sf((np.asarray(estimate) + bound) / se, df)
    p_upper = stats.t.cdf((np.asarray(estimate) - bound) / se, df)
    return p_lower, p_upper, np.maximum(p_lower, p_upper)


def verdict(p_zero: float, p_tost: float, alpha: float) -> str:
    different = p_zero < alpha
    equivalent = p_tost < alpha
    if equivalent and not different:
        return "negligible"
    if equivalent and different:
        return "significant_but_negligible"
    if different:
        return "decisive"
    return "inconclusive"


def test_size(fit: OLSFit, sesoi: float = 0.2, alpha: float = 0.05) -> SizeTest:
    """The equivalence and difference tests of the size coefficient, and the verdict."""
    if "size" not in fit.coef.index:
        raise ValueError("the model has no size term: the survey lacks a population column")
    std_coef, std_se = standardize(fit)
    return judge_size(
        coef=float(fit.coef["size"]),
        se=float(fit.se["size"]),
        p=float(fit.p["size"]),
        std_coef=std_coef,
        std_se=std_se,
        df_resid=fit.df_resid,
        sesoi=sesoi,
        alpha=alpha,
    )


def judge_size(
    coef: float,
    se: float,
    p: float,
    std_coef: float,
    std_se: float,
    df_resid: float,
    sesoi: float = 0.2,
    alpha: float = 0.05,
) -> SizeTest:
    """``test_size`` from the size estimates themselves (raw and standardized), for callers
    that fit without an ``OLSFit`` (the specification curve's many small fits)."""
    p_lower, p_upper, p_tost = (float(v) for v in tost(std_coef, std_se, sesoi, df_resid))
    return SizeTest(
        coef=coef,
        se_hc3=se,
        p=p,
        std_coef=std_coef,
        std_se=std_se,
        tost_p=p_tost,
        tost_p_lower=p_lower,
        tost_p_upper=p_upper,
        sesoi=float(sesoi),
        alpha=float(alpha),
        df_resid=df_resid,
        verdict=verdict(p, p_tost, alpha),
    )


test_size.__test__ = False  # not a pytest test despite its name


def equivalence_interval(test: SizeTest) -> tuple[float, float]:
    """The (1 - 2 alpha) interval of the standardized effect: inside ±sesoi iff TOST rejects."""
    q = stats.t.ppf(1 - test.alpha, test.df_resid)
    return test.std_coef - q * test.std_se, test.std_coef + q * test.std_se
