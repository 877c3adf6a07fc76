"""Per-theme ordinal models: does size matter for some themes even if not for the index?

Each theme's level (the mean of its items rounded to a codebook level) is modelled by a
proportional-odds logit on the same terms as the index. Seven themes mean seven tests, so size's
p-values are Holm-adjusted (a family-wise correction valid under any dependence between
themes). The proportional-odds assumption is checked with Brant's (1990) Wald test that the
slopes of the cumulative binary logits are equal; a small p-value warns that one slope per
term summarises the theme poorly.

The model is fitted by Newton-Raphson with the analytic gradient and Hessian of the
log-likelihood in (slopes, thresholds), the parameterisation of R's ``MASS::polr`` and
``ordinal::clm`` (logit P(Y <= j) = zeta_j - x'beta), in which it is concave (Pratt 1981): from
the null model's thresholds it converges quadratically to the maximum in a handful of steps,
and the standard errors are the inverse of the exact Hessian there (as ``clm``'s). statsmodels'
``OrderedModel`` was used before: its default Nelder-Mead stops short of the optimum, and even
BFGS polished by Newton steps relies on finite-difference derivatives, which leave slopes about
1e-8 from the maximum, SEs up to ~3e-5 off, and took a few hundred times longer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

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
    if len(observed) < 2:
        raise ValueError(f"theme {theme!r}: every respondent is at the same level")
    codes = np.searchsorted(observed, y.to_numpy())  # drop unused levels
    xa = x.to_numpy(dtype="float64")
    params, cov, loglik, converged = _fit_polr(codes, xa, len(observed))
    k = xa.shape[1]
    se = pd.Series(np.sqrt(np.diag(cov))[:k], index=x.columns)
    coef = pd.Series(params[:k], index=x.columns)
    p = pd.Series(2 * stats.norm.sf(np.abs(coef / se)), index=x.columns)
    cuts = params[k:]
    names = [f"{observed[i]}|{observed[i + 1]}" for i in range(len(observed) - 1)]
    chi2, df, bp = brant_test(codes, xa, len(cuts))
    return ThemeFit(
        theme=theme,
        coef=coef,
        se=se,
        p=p,
        thresholds=pd.Series(cuts, index=names),
        loglik=loglik,
        n=len(y),
        converged=converged,
        brant_chi2=chi2,
        brant_df=df,
        brant_p=bp,
    )


class _Polr:
    """Log-likelihood of the proportional-odds logit and its analytic derivatives.

    Parameters are (beta, zeta). Respondent i at level c lies between the bounds
    ``upper = zeta_c - x_i'beta`` and ``lower = zeta_{c-1} - x_i'beta`` (zeta_{-1} = -inf,
    zeta_{J-1} = +inf), with probability ``p_i = F(upper) - F(lower)``, F the logistic CDF and
    f = F(1 - F) its density. The bounds are linear in the parameters, with gradients
    ``du_i = (-x_i, e_c)`` and ``dl_i = (-x_i, e_{c-1})`` (zero at an infinite bound), so

        d log p_i = (f(upper) du_i - f(lower) dl_i) / p_i = g_i
        d2 log p_i = (f'(upper) du_i du_i' - f'(lower) dl_i dl_i') / p_i - g_i g_i'

    with f' = f (1 - 2F).
    """

    def __init__(self, codes: np.ndarray, x: np.ndarray, n_levels: int):
        n, k = x.shape
        self.k, self.n_cuts = k, n_levels - 1
        self.codes, self.x = codes, x
        rows = np.arange(n)
        has_upper, has_lower = codes < self.n_cuts, codes > 0
        self.du = np.zeros((n, k + self.n_cuts))
        self.dl = np.zeros((n, k + self.n_cuts))
        self.du[has_upper, :k] = -x[has_upper]
        self.dl[has_lower, :k] = -x[has_lower]
        self.du[rows[has_upper], k + codes[has_upper]] = 1.0
        self.dl[rows[has_lower], k + codes[has_lower] - 1] = 1.0

    def _probabilities(self, params: np.ndarray) -> tuple[np.ndarray, ...]:
        """F and 1 - F at both bounds, and each respondent's probability ``p_i``.

        1 - F is computed as F(-z), not by subtraction, and ``p_i`` as F(-lower) - F(-upper)
        when both bounds are in the upper tail, so that no precision is lost where F is near 1.
        """
        eta = self.x @ params[: self.k]
        cuts = np.concatenate(([-np.inf], params[self.k :], [np.inf]))
        upper, lower = cuts[self.codes + 1] - eta, cuts[self.codes] - eta
        fu, su, fl, sl = expit(upper), expit(-upper), expit(lower), expit(-lower)
        prob = np.where(lower > 0, sl - su, fu - fl)
        return fu, su, fl, sl, prob

    def loglik(self, params: np.ndarray) -> float:
        if np.any(np.diff(params[self.k :]) <= 0):
            return -np.inf  # thresholds out of order: outside the parameter space
        prob = self._probabilities(params)[-1]
        with np.errstate(divide="ignore"):
            return float(np.sum(np.log(prob)))

    def derivatives(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, gradient and Hessian at ``params``."""
        fu, su, fl, sl, prob = self._probabilities(params)
        dens_u, dens_l = fu * su, fl * sl  # f = F (1 - F)
        g = self.du * (dens_u / prob)[:, None] - self.dl * (dens_l / prob)[:, None]
        a = dens_u * (su - fu) / prob  # f' = f (1 - 2F)
        b = dens_l * (sl - fl) / prob
        hess = (self.du * a[:, None]).T @ self.du - (self.dl * b[:, None]).T @ self.dl - g.T @ g
        with np.errstate(divide="ignore"):
            loglik = float(np.sum(np.log(prob)))
        return loglik, g.sum(axis=0), hess


def _fit_polr(
    codes: np.ndarray, x: np.ndarray, n_levels: int, max_iter: int = 100, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Maximum likelihood (beta, zeta), their covariance, the log-likelihood and whether Newton
    converged (a full step below ``tol``).

    The regressors are centred while fitting: with raw regressors (size ~ 11) the thresholds
    are nearly collinear with the slopes and the Hessian is badly conditioned. Starts from the
    null model (slopes 0, thresholds at the logits of the cumulative frequencies, as
    statsmodels and clm do) and halves a step that would lower the likelihood or
    disorder the thresholds. A design that separates the levels has no maximum: Newton then
    stops unconverged, as statsmodels did, rather than raising.
    """
    centre = x.mean(axis=0)
    model = _Polr(codes, x - centre, n_levels)
    cumulative = np.cumsum(np.bincount(codes, minlength=n_levels))[:-1] / len(codes)
    params = np.concatenate((np.zeros(x.shape[1]), np.log(cumulative / (1 - cumulative))))
    converged = False
    with np.errstate(over="ignore", invalid="ignore"):
        loglik, grad, hess = model.derivatives(params)
        for _ in range(max_iter):
            try:
                step = np.linalg.solve(hess, -grad)
            except np.linalg.LinAlgError:
                break
            t = 1.0
            while t > 1e-10:
                new = params + t * step
                new_loglik = model.loglik(new)
                if np.isfinite(new_loglik) and new_loglik >= loglik - 1e-12 * abs(loglik):
                    break
                t /= 2
            else:
                break  # no step improves the likelihood
            params = new
            loglik, grad, hess = model.derivatives(params)
            if t == 1.0 and np.max(np.abs(step)) < tol:
                converged = True
                break
        cov = _covariance(-hess)
    # back from centred regressors: zeta = zeta_c + centre'beta (a linear change of the
    # thresholds only, which leaves the slopes and their covariance block unchanged)
    k = x.shape[1]
    jacobian = np.eye(len(params))
    jacobian[k:, :k] = centre
    return jacobian @ params, jacobian @ cov @ jacobian.T, loglik, converged


def _covariance(information: np.ndarray) -> np.ndarray:
    """The inverse of the observed information, or its pseudo-inverse when it is singular.

    Under quasi-separation (a category of a control at only the top levels, say) the
    likelihood keeps rising along one direction and the information is singular there only;
    the pseudo-inverse still gives the other coefficients, size's among them, their usual
    standard errors (as statsmodels does) instead of turning every one into NaN.
    """
    try:
        cov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(information)
    return cov if np.all(np.isfinite(cov)) else np.linalg.pinv(information)


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


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (R's ``p.adjust(p, "holm")``).

    The k-th smallest of m p-values is multiplied by m - k + 1, made non-decreasing and capped
    at 1. Written out because statsmodels' ``multipletests(method="holm")`` forces a full
    garbage collection on every call, which alone cost a run more than the seven theme models.
    """
    p = np.asarray(p, dtype="float64")
    order = np.argsort(p)
    adjusted = np.minimum(np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)), 1.0)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def fit_themes(
    scored: pd.DataFrame, design: Design, codebook: Codebook, alpha: float = 0.05
) -> pd.DataFrame:
    """One line per theme: size's coefficient, SE, raw and Holm-adjusted p, Brant test.

    ``alpha`` is accepted for the callers' sake: Holm-adjusted p-values do not depend on it.
    """
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
    table["p_holm"] = holm(table["p"].to_numpy())
    table["brant_p_holm"] = holm(table["brant_p"].fillna(1.0).to_numpy())
    table.attrs["fits"] = fits
    return table
