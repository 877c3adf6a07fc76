"""Per-theme ordinal models: does size matter for some themes even if not for the index?

Each theme's level (the mean of its items rounded to a codebook level) is modelled by a
proportional-odds logit on the same terms as the index. Seven themes mean seven tests, so size's
p-values are Holm-adjusted (a family-wise correction valid under any dependence between
themes). The proportional-odds assumption is checked with Brant's (1990) Wald test that the
slopes of the cumulative binary logits are equal; a small p-value warns that one slope per
term summarises the theme poorly.

statsmodels' ``OrderedModel`` defaults to Nelder-Mead, which stops short of the optimum; it is
fitted here with BFGS and then polished with Newton steps so that coefficients agree with R's
``MASS::polr`` to reference precision.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from analyse.data.codebook import Codebook
from analyse.data.scoring import theme_levels
from analyse.stats.regression import Design


@dataclass
class ThemeFit:
    theme: str
    coef: pd.Series
    se: pd.Series
    p: pd.Series
    thresholds: pd.Series
    loglik: float
    n: int
    converged: bool
    brant_chi2: float
    brant_df: int
    brant_p: float


def fit_theme(levels: pd.Series, x: pd.DataFrame, theme: str) -> ThemeFit:
    """Proportional-odds logit of one theme's level on ``x`` (no intercept column)."""
    y = levels.astype("int64")
    observed = np.sort(y.unique())
    codes = pd.Series(np.searchsorted(observed, y), index=y.index)  # drop unused levels
    endog = pd.Series(
        pd.Categorical(codes, categories=range(len(observed)), ordered=True), index=y.index
    )
    model = OrderedModel(endog, x, distr="logit")
    with warnings.catch_warnings():
        # BFGS only provides the starting point; Newton below decides convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = model.fit(method="bfgs", maxiter=2000, disp=False, gtol=1e-10)
    res = model.fit(start_params=start.params, method="newton", maxiter=100, disp=False)
    k = x.shape[1]
    params = res.params
    cov = res.cov_params()
    se = pd.Series(np.sqrt(np.diag(cov))[:k], index=x.columns)
    coef = params.iloc[:k]
    p = pd.Series(2 * stats.norm.sf(np.abs(coef / se)), index=x.columns)
    cuts = model.transform_threshold_params(params.to_numpy())[1:-1]
    names = [f"{observed[i]}|{observed[i + 1]}" for i in range(len(observed) - 1)]
    chi2, df, bp = brant_test(codes.to_numpy(), x.to_numpy(), len(cuts))
    return ThemeFit(
        theme=theme,
        coef=coef,
        se=se,
        p=p,
        thresholds=pd.Series(cuts, index=names),
        loglik=float(res.llf),
        n=len(y),
        converged=bool(res.mle_retvals.get("converged", False)),
        brant_chi2=chi2,
        brant_df=df,
        brant_p=bp,
    )


def _logit_fit(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Binary logit by Newton-Raphson (x includes the intercept)."""
    beta = np.zeros(x.shape[1])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for _ in range(100):
            pr = 1 / (1 + np.exp(-x @ beta))
            grad = x.T @ (y - pr)
            hess = (x * (pr * (1 - pr))[:, None]).T @ x
            step = np.linalg.solve(hess, grad)
            beta += step
            if np.max(np.abs(step)) < 1e-10:
                return beta
    raise np.linalg.LinAlgError("binary logit did not converge (separation?)")


def brant_test(codes: np.ndarray, x: np.ndarray, n_cuts: int) -> tuple[float, int, float]:
    """Brant's Wald test that the J-1 cumulative logits share their slopes.

    Fits one binary logit per cut (level > j), stacks the slopes, and tests their differences
    with the covariance of Brant (1990, eq. 2.4); chi-square with (J-2) * k degrees of freedom.
    Returns NaNs when there are fewer than three observed levels (nothing to compare) or when a
    binary logit is not identified (a cut that the regressors separate perfectly).
    """
    k = x.shape[1]
    if n_cuts < 2:
        return float("nan"), 0, float("nan")
    xi = np.column_stack([np.ones(len(x)), x])
    fits, probs = [], []
    for j in range(n_cuts):
        try:
            b = _logit_fit((codes > j).astype("float64"), xi)
        except (np.linalg.LinAlgError, FloatingPointError):
            return float("nan"), (n_cuts - 1) * k, float("nan")
        fits.append(b)
        probs.append(1 / (1 + np.exp(-xi @ b)))
    info_inv = [np.linalg.inv((xi * (pj * (1 - pj))[:, None]).T @ xi) for pj in probs]
    size = k + 1
    var = np.zeros((n_cuts * size, n_cuts * size))
    for a in range(n_cuts):
        for b in range(a, n_cuts):
            # P(Y > a and Y > b) = P(Y > b) for a <= b
            w = probs[b] - probs[a] * probs[b]
            block = info_inv[a] @ ((xi * w[:, None]).T @ xi) @ info_inv[b]
            var[a * size : (a + 1) * size, b * size : (b + 1) * size] = block
            var[b * size : (b + 1) * size, a * size : (a + 1) * size] = block.T
    stacked = np.concatenate(fits)
    # contrasts: slopes of cut 0 minus slopes of cut j, for j = 1..J-2
    d = np.zeros(((n_cuts - 1) * k, n_cuts * size))
    for j in range(1, n_cuts):
        for t in range(k):
            row = (j - 1) * k + t
            d[row, 1 + t] = 1.0
            d[row, j * size + 1 + t] = -1.0
    diff = d @ stacked
    cov = d @ var @ d.T
    chi2 = float(diff @ np.linalg.pinv(cov) @ diff)
    df = (n_cuts - 1) * k
    return chi2, df, float(stats.chi2.sf(chi2, df))


def fit_themes(
    scored: pd.DataFrame, design: Design, codebook: Codebook, alpha: float = 0.05
) -> pd.DataFrame:
    """One line per theme: size's coefficient, SE, raw and Holm-adjusted p, Brant test."""
    levels = theme_levels(scored.loc[design.y.index], codebook)
    x = design.X.drop(columns="Intercept")
    fits = [fit_theme(levels[t], x, t) for t in codebook.theme_keys]
    table = pd.DataFrame(
        {
            "coef": [f.coef["size"] for f in fits],
            "se": [f.se["size"] for f in fits],
            "p": [f.p["size"] for f in fits],
            "converged": [f.converged for f in fits],
            "brant_chi2": [f.brant_chi2 for f in fits],
            "brant_df": [f.brant_df for f in fits],
            "brant_p": [f.brant_p for f in fits],
        },
        index=pd.Index(codebook.theme_keys, name="theme"),
    )
    table["p_holm"] = multipletests(table["p"], alpha=alpha, method="holm")[1]
    table["brant_p_holm"] = multipletests(table["brant_p"].fillna(1.0), alpha=alpha, method="holm")[
        1
    ]
    table.attrs["fits"] = fits
    return table
