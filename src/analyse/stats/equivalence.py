"""Is the size effect negligible, or shown to matter? Five verdicts from two interval tests.

A non-significant size coefficient does not show that size is not decisive: a small survey may
simply be unable to tell. "Size is not decisive" is an equivalence claim, so it is tested as one
(two one-sided tests, Schuirmann 1987; Lakens 2017) against a smallest effect size of interest
(SESOI) on the standardized scale. "Size is decisive" is the opposite claim, that the effect
*reaches* the SESOI, tested by the minimal-effect test (Murphy & Myors 1999): an effect that is
merely different from zero is not shown to matter. With the test of zero, the three tests give
five verdicts (Lakens, Scheel & Isager 2018), all readable from the (1 - 2 alpha) interval
[lo, hi] of the standardized effect:

- ``negligible``: -sesoi < lo and hi < sesoi, and not different from zero;
- ``significant_but_negligible``: inside the bounds, yet different from zero;
- ``decisive``: lo > sesoi or hi < -sesoi, the effect is shown to reach the SESOI
  (``direction`` says which way), and it is different from zero (implied unless the SESOI is
  tiny against the standard error);
- ``significant_undetermined``: different from zero, neither inside nor beyond the bounds;
- ``inconclusive``: none of these.

Each one-sided test is at level alpha, so when the true effect is exactly +sesoi (or -sesoi)
neither ``negligible`` nor ``decisive`` is reached in more than about alpha of samples
(``validation/verdict_calibration.py`` checks it).

The standardized effect is b * sd(size) / sd(index) with the sample SDs treated as fixed: its
standard error is the SE of b on the same scale, HC3 unweighted and design-based under survey
weights (``OLSFit.se_verdict``, ``se_method``: svyglm's linearization with HC3's leverage
correction). That ignores the sampling variability of
the SD ratio, so this SE can be too small or too large (Yuan & Chan 2011; Jones & Waller 2013
give the delta-method SE); near zero effect the difference is negligible, and the raw
coefficient and its test of zero do not depend on it.

**A SESOI in index points.** The SESOI may be given in the reader's unit instead,
``sesoi_points`` index points for a tenfold population (``analysis.sesoi_points``): a raw slope
of ``sesoi_points / ln 10`` on size (ln population), that is ``sesoi_points / ln 10 * sd(size) /
sd(index)`` on the standardized scale of a fit (``sesoi_from_points``, with the SDs
``standardize`` uses). Each fit converts it with its own SDs, so one bound in points is one
question whatever the spread of size or of the index in the rows a design uses; the verdicts
are then read against that standardized bound exactly as above. ``SizeTest`` carries both the
standardized bound used (``sesoi``) and the bound in points (``sesoi_points``: as given, or
the standardized bound converted back with the same SDs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analyse.stats.regression import OLSFit

VERDICTS = (
    "negligible",
    "significant_but_negligible",
    "decisive",
    "significant_undetermined",
    "inconclusive",
)

VERDICT_SENTENCES = {
    "negligible": "size is not decisive: its effect is shown to be smaller than the smallest "
    "effect of interest, and it is not different from zero",
    "significant_but_negligible": "size has a detectable effect, but one shown to be smaller "
    "than the smallest effect of interest",
    "decisive": "size is decisive: its effect is shown to be larger than the smallest effect "
    "of interest",
    "significant_undetermined": "size has an effect different from zero, but the data cannot "
    "tell whether it is smaller or larger than the smallest effect of interest",
    "inconclusive": "the data cannot settle whether size matters: its effect is neither "
    "different from zero nor shown to be smaller than the smallest effect of interest",
}

DIRECTIONS = ("positive", "negative")  # positive: larger collectivities are more mature
LN10 = math.log(10.0)  # from one unit of size, ln(population), to a tenfold population


@dataclass(frozen=True)
class SizeTest:
    coef: float
    se_hc3: float  # HC3 (WLS HC3 under weights): size.se_hc3, whatever the verdict reads
    se: float  # the SE the verdict reads: HC3 unweighted, design-based under weights
    se_method: str  # how ``se`` was computed: one of regression.SE_METHODS
    p: float  # test of zero with ``se``
    std_coef: float
    std_se: float
    tost_p: float
    tost_p_lower: float
    tost_p_upper: float
    met_p: float
    sesoi: float
    alpha: float
    df_resid: float
    verdict: str
    direction: str | None  # "positive"/"negative" once the sign is established, else None
    # the bound in index points for a tenfold population: as given (analysis.sesoi_points),
    # or ``sesoi`` converted back with this fit's SDs (``points_from_sesoi``)
    sesoi_points: float = math.nan
    # R's svyglm SE under weights (the linearization without the leverage correction the
    # verdict's ``se`` has), published beside it; None unweighted
    se_linearization: float | None = None

    @property
    def sentence(self) -> str:
        return VERDICT_SENTENCES[self.verdict]


def standardize(fit: OLSFit, term: str = "size") -> tuple[float, float]:
    """``b * sd(term) / sd(y)`` and its standard error, SDs on the estimation sample.

    The standard error is the one the verdict reads (``OLSFit.se_verdict``): HC3 unweighted,
    design-based under survey weights.

    A weighted fit estimates the population's slope, so it is standardized by the population's
    SDs: the weighted SDs with the fit's own weights, sd_w(x)^2 = sum w (x - xbar_w)^2 / sum w
    with xbar_w = sum w x / sum w (the Hajek estimator; Lumley 2010, Complex Surveys, sec. 2.3,
    R's ``survey::svyvar``). Any n/(n-1)-type factor is common to both SDs and cancels in the
    ratio, so unweighted this is the usual ``ddof=1`` ratio, and weights all equal give it too.
    """
    scale = std_scale(fit, term)
    return float(fit.coef[term]) * scale, float(fit.se_verdict[term]) * scale


def std_scale(fit: OLSFit, term: str = "size") -> float:
    """``sd(term) / sd(y)`` on the fit's rows, weighted by its weights (see ``standardize``):
    the factor from a raw coefficient of ``term`` to the standardized scale."""
    x, y = fit.design.X[term], fit.design.y
    if fit.weights is None:
        return float(x.std(ddof=1) / y.std(ddof=1))
    w = fit.weights.to_numpy(dtype="float64")
    return float(np.sqrt(_weighted_ss(x.to_numpy(), w) / _weighted_ss(y.to_numpy(), w)))


def sesoi_from_points(sesoi_points: float, scale: float) -> float:
    """The standardized bound of ``sesoi_points`` index points for a tenfold population, on a
    fit whose ``std_scale`` (sd(size) / sd(index)) is ``scale``: the raw slope
    ``sesoi_points / ln 10`` times ``scale``."""
    return float(sesoi_points) / LN10 * float(scale)


def points_from_sesoi(sesoi: float, scale: float) -> float:
    """``sesoi_from_points`` inverted: a standardized bound in index points for a tenfold
    population on a fit of ``std_scale`` ``scale`` (NaN for a zero scale)."""
    return float(sesoi) / float(scale) * LN10 if scale else math.nan


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


def minimal_effect_test(estimate, se, bound: float, df: float):
    """The minimal-effect test of ``|effect| > bound`` (Murphy & Myors 1999).

    Two one-sided t tests, of ``effect > bound`` and of ``effect < -bound``; the claim that the
    effect reaches the bound in one direction is shown when either rejects at alpha, that is
    when the (1 - 2 alpha) interval lies wholly beyond one bound. Returns (p_above, p_below,
    p_met = min). Works on scalars and arrays like ``tost``.
    """
    estimate = np.asarray(estimate)
    p_above = stats.t.sf((estimate - bound) / se, df)
    p_below = stats.t.cdf((estimate + bound) / se, df)
    return p_above, p_below, np.minimum(p_above, p_below)


def verdict(p_zero: float, p_tost: float, p_met: float, alpha: float) -> str:
    """One of ``VERDICTS`` from the test of zero, the equivalence test and the minimal-effect
    test, each at ``alpha`` (a p-value equal to alpha does not reject)."""
    different = p_zero < alpha
    if p_met < alpha and different:
        # The minimal-effect test is one-sided at alpha, the test of zero two-sided: when the
        # SESOI is tiny against the SE (sesoi < (t_{1-alpha/2} - t_{1-alpha}) se) the interval
        # can clear +sesoi while the test of zero does not reject. Requiring both keeps
        # "decisive" from being said beside a non-significant effect, and keeps its rate at
        # most about alpha when the true effect is on a bound, however small the SESOI.
        return "decisive"
    if p_tost < alpha:
        return "significant_but_negligible" if different else "negligible"
    return "significant_undetermined" if different else "inconclusive"


def direction(std_coef: float, verdict_key: str) -> str | None:
    """The sign of the size effect where the verdict establishes it (different from zero or
    beyond the SESOI), else None: an interval that straddles zero has no direction."""
    if verdict_key in ("negligible", "inconclusive"):
        return None
    return "positive" if std_coef > 0 else "negative"


def test_size(
    fit: OLSFit, sesoi: float = 0.2, alpha: float = 0.05, sesoi_points: float | None = None
) -> SizeTest:
    """The equivalence and difference tests of the size coefficient, and the verdict.

    With ``sesoi_points`` (index points for a tenfold population), the bound is that, converted
    with this fit's SDs, and ``sesoi`` is not used.
    """
    if "size" not in fit.coef.index:
        raise ValueError("the model has no size term: the survey lacks a population column")
    std_coef, std_se = standardize(fit)
    return judge_size(
        coef=float(fit.coef["size"]),
        se=float(fit.se_verdict["size"]),
        p=float(fit.p_verdict["size"]),
        std_coef=std_coef,
        std_se=std_se,
        df_resid=fit.df_resid,
        sesoi=sesoi,
        alpha=alpha,
        sesoi_points=sesoi_points,
        scale=std_scale(fit),
        se_hc3=float(fit.se["size"]),
        se_method=fit.se_method,
        se_linearization=(
            None if fit.se_linearization is None else float(fit.se_linearization["size"])
        ),
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
    sesoi_points: float | None = None,
    scale: float | None = None,
    se_hc3: float | None = None,
    se_method: str = "hc3",
    se_linearization: float | None = None,
) -> SizeTest:
    """``test_size`` from the size estimates themselves (raw and standardized), for callers
    that fit without an ``OLSFit`` (the specification curve's many small fits).

    ``scale`` is sd(ln population) / sd(index) on the fit's rows, which converts a bound in
    points (``sesoi_from_points``); by default ``std_se / se``, right when size is ln
    population. With ``sesoi_points`` the bound is that, converted, and ``sesoi`` is not used.

    ``se`` (with ``p`` and ``std_se``) is what the verdict reads, computed by ``se_method``;
    ``se_hc3`` the HC3 SE, ``se`` itself when None (an HC3 verdict); ``se_linearization``
    svyglm's SE under weights, None unweighted.
    """
    if scale is None:
        scale = std_se / se if se else math.nan
    if sesoi_points is None:
        sesoi_points = points_from_sesoi(sesoi, scale)
    else:
        sesoi = sesoi_from_points(sesoi_points, scale)
    p_lower, p_upper, p_tost = (float(v) for v in tost(std_coef, std_se, sesoi, df_resid))
    p_met = float(minimal_effect_test(std_coef, std_se, sesoi, df_resid)[2])
    key = verdict(p, p_tost, p_met, alpha)
    return SizeTest(
        coef=coef,
        se_hc3=se if se_hc3 is None else se_hc3,
        se=se,
        se_method=se_method,
        p=p,
        std_coef=std_coef,
        std_se=std_se,
        tost_p=p_tost,
        tost_p_lower=p_lower,
        tost_p_upper=p_upper,
        met_p=p_met,
        sesoi=float(sesoi),
        alpha=float(alpha),
        df_resid=df_resid,
        verdict=key,
        direction=direction(std_coef, key),
        sesoi_points=float(sesoi_points),
        se_linearization=se_linearization,
    )


test_size.__test__ = False  # not a pytest test despite its name


def equivalence_interval(test: SizeTest) -> tuple[float, float]:
    """The (1 - 2 alpha) interval of the standardized effect: inside ±sesoi iff the TOST
    rejects, wholly beyond one bound iff the minimal-effect test does."""
    q = stats.t.ppf(1 - test.alpha, test.df_resid)
    return test.std_coef - q * test.std_se, test.std_coef + q * test.std_se
