"""When the maturity index is a share of bodies: a 0/1 outcome, its linear model and a logit.

A codebook of two levels with one item (a census noting whether each body publishes open
data), or items that every body answers alike, gives an index of 0 or 100 only. The mean index
of a group is then the share of its bodies at 100, and the main model, a linear regression of
the index, is a *linear probability model*: its size coefficient is a difference in that share,
in percentage points, assumed the same at every size. That is a fair summary of a probability
that stays away from 0 and 1, and HC3 standard errors cover its built-in heteroskedasticity;
but a reader should be told, and shown beside it the logit model's average marginal effect of
size (the mean, over the respondents, of the change in each one's fitted probability per unit
of ln(population)), which follows the S-shape of a probability. The two agree when the shares
are moderate; when they part, fitted probabilities near 0 or 1 are the reason.

The logit is fitted on the same design (same rows, same terms, same intercept) and with the
same survey weights as the linear model, so that the two compare like with like: it is a check
on the linear model's form, not a second verdict. Unweighted, it is the maximum-likelihood
logit and statsmodels' ``get_margeff``. Weighted, it is the survey-weighted pseudo-maximum-
likelihood logit (R's ``svyglm(family = quasibinomial)``: the weighted score
sum w_i (y_i - p_i) x_i = 0), its marginal effects averaged with the weights, and its standard
error the delta method on the design-based covariance of the coefficients (the linearization of
``analyse.stats.regression.influence_covariance``, with calibration's residualisation under
raked weights, as the linear model's). Both are in index points (percentage points) per unit of
ln(population), like ``size.coef``; a page multiplies by ln(10) for a tenfold population.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analyse.stats.regression import CALIBRATION, Design, calibration_rows, influence_covariance

# The two values a binary item gives the 0-100 index.
BINARY_VALUES: tuple[float, float] = (0.0, 100.0)


def is_binary_outcome(y: pd.Series) -> bool:
    """Whether every observed index value is 0 or 100 (and both occur): the index is then a
    0/1 outcome scaled by 100, and its mean a share of bodies."""
    values = pd.unique(pd.to_numeric(y, errors="coerce").dropna().astype("float64"))
    return len(values) == 2 and set(values.tolist()) == set(BINARY_VALUES)


@dataclass(frozen=True)
class LogitAME:
    """The logit model's average marginal effect of size, in index points per unit of
    ln(population), with its delta-method standard error; ``not_estimable`` says why they are
    missing (separation, no convergence)."""

    coef: float | None
    se: float | None
    not_estimable: str | None = None
    weighted: bool = False  # fitted and averaged with the survey weights

    def to_results(self) -> dict:
        """``results.json``'s ``size.logit_ame`` (keys are a public interface)."""
        return {
            "coef": self.coef,
            "se": self.se,
            "weighted": self.weighted,
            "not_estimable": self.not_estimable,
        }


def logit_ame(design: Design, term: str = "size", weights: pd.Series | None = None) -> LogitAME:
    """``Logit(y / 100, X).fit().get_margeff(at="overall")`` for ``term``, in index points;
    with survey ``weights``, its weighted counterpart (``weighted_logit_ame``).

    ``design.X`` holds the intercept as a column, which statsmodels then leaves out of the
    marginal effects; the effect of ``term`` is found by name among the others. A fit that does
    not converge or meets (quasi-)perfect separation, where the logit's coefficients run off to
    infinity and its marginal effect means nothing, is reported as not estimable.
    """
    if weights is not None:
        return weighted_logit_ame(design, weights, term=term)
    y = design.y.astype("float64") / 100.0
    x = design.X.astype("float64")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # separation and non-convergence come as warnings
            fit = sm.Logit(y, x).fit(disp=0, maxiter=200)
            effects = fit.get_margeff(at="overall", method="dydx")
    except (ArithmeticError, ValueError, np.linalg.LinAlgError, Warning) as exc:
        return LogitAME(None, None, f"{type(exc).__name__}: {exc}")
    if not fit.mle_retvals.get("converged", False):
        return LogitAME(None, None, "the logit fit did not converge")
    names = [c for c in x.columns if c != "Intercept"]
    if term not in names:
        return LogitAME(None, None, f"no {term} term in the model")
    at = names.index(term)
    coef = float(effects.margeff[at]) * 100.0
    se = float(effects.margeff_se[at]) * 100.0
    if not (np.isfinite(coef) and np.isfinite(se)):
        return LogitAME(None, None, "the logit fit gave no finite marginal effect")
    return LogitAME(coef, se)


def weighted_logit_ame(design: Design, weights: pd.Series, term: str = "size") -> LogitAME:
    """The survey-weighted logit's average marginal effect of ``term``, in index points.

    The coefficients solve the weighted score equations sum w_i (y_i - p_i) x_i = 0 (GLM
    binomial with ``var_weights``: R's ``svyglm(family = quasibinomial)``, whose point estimate
    does not depend on the weights' scale). The AME is the weighted mean of b p_i (1 - p_i),
    b the coefficient of ``term``. Its SE is the delta method, gradient
    g = mean_w[p(1-p) e_term + b p(1-p)(1-2p) x_i], on the design-based covariance of the
    coefficients: each respondent's influence w_i (y_i - p_i) x_i' A^-1, A = X' W V X (V the
    logit's variance p(1-p)), through ``influence_covariance`` (n/(n-1), and calibration's
    residualisation when the weights carry their calibration cells, as ``rake``'s). Without
    calibration this is ``vcov(svyglm)`` of ``svydesign(ids = ~1, weights = ~w)``
    (``tests/fixtures/r_logit_ame``). The AME's own sampling variation as a weighted mean over
    respondents is left out, as in R's and statsmodels' delta method.
    """
    w_series = weights.loc[design.y.index].astype("float64")
    y = design.y.astype("float64").to_numpy() / 100.0
    x_frame = design.X.astype("float64")
    x, w = x_frame.to_numpy(), w_series.to_numpy()
    if term not in x_frame.columns:
        return LogitAME(None, None, f"no {term} term in the model", weighted=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # separation and non-convergence come as warnings
            fit = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(maxiter=200)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError, Warning) as exc:
        return LogitAME(None, None, f"{type(exc).__name__}: {exc}", weighted=True)
    if not fit.converged:
        return LogitAME(None, None, "the logit fit did not converge", weighted=True)
    beta = np.asarray(fit.params, dtype="float64")
    at = list(x_frame.columns).index(term)
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    v = p * (1.0 - p)
    share = w / w.sum()
    coef = float(share @ (beta[at] * v))
    bread = np.linalg.pinv(x.T @ (x * (w * v)[:, None]))
    influence = (x * (w * (y - p))[:, None]) @ bread
    calibration = w_series.attrs.get(CALIBRATION)
    cells = None if calibration is None else calibration_rows(calibration, w_series)
    cov = influence_covariance(influence, cells)
    gradient = (share * beta[at] * v * (1.0 - 2.0 * p)) @ x
    gradient[at] += share @ v
    se = float(np.sqrt(gradient @ cov @ gradient))
    if not (np.isfinite(coef) and np.isfinite(se)):
        return LogitAME(None, None, "the logit fit gave no finite marginal effect", weighted=True)
    return LogitAME(coef * 100.0, se * 100.0, weighted=True)
