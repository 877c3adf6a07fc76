"""Small-sample and influence checks of the size effect: is the verdict leaning on a few
respondents, or on a standard error too optimistic for a small sample?

- **HC2 with Bell-McCaffrey degrees of freedom** (Bell & McCaffrey 2002; Imbens & Kolesár 2016;
  R's clubSandwich, ``vcovCR(type = "CR2")`` with every respondent its own cluster and the
  Satterthwaite test): HC2 is unbiased under homoskedasticity, and its t reference with
  ``df_bm`` degrees of freedom (often far fewer than n - p when a few respondents have high
  leverage) keeps the test's level in small samples where HC3 with n - p df may not.
- **Leave-one-out**: the size effect refitted without each respondent in turn, from the closed
  form ``b - b_(i) = (X'WX)^-1 x_i w_i e_i / (1 - h_i)`` (R's ``dfbeta``): the range of the
  standardized effect and how many respondents each move it by more than a tenth of the SESOI.
  Counts and the range only: no respondent is named or shown.

With survey weights the leave-one-out is that of the weighted fit; HC2 and its degrees of
freedom are given for unweighted fits only (``None`` under weights: the design-based standard
error is the weighted fit's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyse.stats.equivalence import SizeTest, std_scale
from analyse.stats.regression import OLSFit

LOO_SESOI_SHARE = 0.1  # a respondent "moves" the effect by more than this share of the SESOI


@dataclass(frozen=True)
class Influence:
    se_hc2: float | None  # HC2 standard error of size's coefficient (index points)
    df_bm: float | None  # Bell-McCaffrey degrees of freedom of its t test
    # leave-one-out range of the standardized effect; None when a respondent has leverage 1
    # (the model cannot be fitted without it: a category of one respondent)
    loo_std_range: tuple[float, float] | None
    moved: int | None  # respondents whose removal moves it by more than LOO_SESOI_SHARE * sesoi
    threshold: float  # that move, standardized


def influence_checks(fit: OLSFit, size: SizeTest) -> Influence:
    x = fit.design.X.to_numpy(dtype="float64")
    y = fit.design.y.to_numpy(dtype="float64")
    weighted = fit.weights is not None
    if weighted:
        root = np.sqrt(fit.weights.to_numpy(dtype="float64"))  # type: ignore[union-attr]
        x, y = x * root[:, None], y * root
    q, r = np.linalg.qr(x)
    h = np.einsum("ij,ij->i", q, q)  # leverages
    threshold = LOO_SESOI_SHARE * size.sesoi
    if h.max() > 1.0 - 1e-10:
        return Influence(None, None, None, None, float(threshold))
    at = list(fit.design.X.columns).index("size")
    # row `at` of (X'X)^-1 X': the weights of each respondent in size's coefficient
    c = np.linalg.solve(r, q.T)[at]
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    scale = std_scale(fit)  # b to the standardized scale (defined even when b is 0)
    change = c * resid / (1.0 - h) * scale  # standardized b - b_(i)
    loo = size.std_coef - change
    se_hc2 = df_bm = None
    if not weighted:
        a2 = c**2 / (1.0 - h)
        se_hc2 = float(np.sqrt(a2 @ resid**2))
        # Satterthwaite df of sum a_i^2 e_i^2 under the working model e = M eps, eps ~ (0, I):
        # (tr D M D)^2 / tr((D M D)^2), D^2 = diag(a2), computed without any n x n matrix
        qdq = q.T @ (a2[:, None] * q)
        numerator = float(a2 @ (1.0 - h)) ** 2
        denominator = float(a2**2 @ (1.0 - 2.0 * h)) + float(np.sum(qdq**2))
        df_bm = numerator / denominator
    return Influence(
        se_hc2=se_hc2,
        df_bm=df_bm,
        loo_std_range=(float(loo.min()), float(loo.max())),
        moved=int(np.count_nonzero(np.abs(change) > threshold)),
        threshold=float(threshold),
    )
