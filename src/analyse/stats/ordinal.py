"""Per-theme ordinal models: does size matter for some themes even if not for the index?

Each theme's level (the mean of its items rounded to a codebook level) is modelled by a
proportional-odds logit on the same terms as the index. Seven themes mean seven tests, so size's
p-values are Holm-adjusted (a family-wise correction valid under any dependence between
themes). The proportional-odds assumption is checked with Brant's (1990) Wald test that the
slopes of the cumulative binary logits are equal; a small p-value warns that one slope per
term summarises the theme poorly. Where a cut's binary logit is separated Brant's test does not
exist: the theme is "not testable" and left out of that Holm family. For size, the term the
claim is about, the likelihood-ratio test of ``ordinal::clm(..., nominal = ~ size)`` against
the proportional-odds model (size alone with one slope per threshold) also checks the
assumption; it needs no binary logit per cut, so it survives separated cuts.

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
from analyse.reasons import Reason, error_reason
from analyse.stats.regression import Design


@dataclass(frozen=True)
class BrantTest:
    """Brant's test of one theme; ``note`` says why it is not testable ("" when it is)."""

    chi2: float
    df: int
    p: float
    note: str = ""

    @property
    def testable(self) -> bool:
        return not self.note


@dataclass(frozen=True)
class NominalTest:
    """Likelihood-ratio test of proportional odds for one term (``clm(nominal = ~ term)``).

    ``note`` says why there is no test ("" when there is one)."""

    lr: float
    df: int
    p: float
    note: str = ""


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
    brant_note: str = ""
    po_size_lr: float = float("nan")
    po_size_df: int = 0
    po_size_p: float = float("nan")
    po_size_note: str = ""

    @property
    def brant_testable(self) -> bool:
        return not self.brant_note


def fit_theme(
    levels: pd.Series, x: pd.DataFrame, theme: str, nominal: str | None = "size"
) -> ThemeFit:
    """Proportional-odds logit of one theme's level on ``x`` (no intercept column).

    Also checks proportional odds twice: Brant's Wald test on every term, and the
    likelihood-ratio test of letting ``nominal`` (size by default; None for none) alone have
    one slope per threshold.
    """
    y = levels.astype("int64")
    observed = np.sort(y.unique())
    if len(observed) < 2:
        raise ValueError(f"theme {theme!r}: every respondent is at the same level")
    codes = np.searchsorted(observed, y.to_numpy())  # drop unused levels
    xa = x.to_numpy(dtype="float64")
    polr = _fit_polr(codes, xa, len(observed))
    params, cov, loglik, converged = polr.params, polr.cov, polr.loglik, polr.converged
    k = xa.shape[1]
    se = pd.Series(np.sqrt(np.diag(cov))[:k], index=x.columns)
    coef = pd.Series(params[:k], index=x.columns)
    p = pd.Series(2 * stats.norm.sf(np.abs(coef / se)), index=x.columns)
    cuts = params[k:]
    names = [f"{observed[i]}|{observed[i + 1]}" for i in range(len(observed) - 1)]
    nan = float("nan")
    try:
        brant = brant_test(codes, xa, len(cuts), names)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        # a check of the model, never a reason to lose the model: not testable, and why
        brant = BrantTest(
            nan, (len(cuts) - 1) * k, nan, Reason("not_computable", {"error": str(exc)}).english()
        )
    if nominal is None or nominal not in x.columns:
        po = NominalTest(nan, 0, nan, Reason("no_term").english())
    else:
        try:
            po = nominal_lr_test(codes, xa, len(observed), list(x.columns).index(nominal), polr)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            po = NominalTest(
                nan, len(cuts) - 1, nan, Reason("not_computable", {"error": str(exc)}).english()
            )
    return ThemeFit(
        theme=theme,
        coef=coef,
        se=se,
        p=p,
        thresholds=pd.Series(cuts, index=names),
        loglik=loglik,
        n=len(y),
        converged=converged,
        brant_chi2=brant.chi2,
        brant_df=brant.df,
        brant_p=brant.p,
        brant_note=brant.note,
        po_size_lr=po.lr,
        po_size_df=po.df,
        po_size_p=po.p,
        po_size_note=po.note,
    )


class _Polr:
    """Log-likelihood of a cumulative logit and its analytic derivatives.

    Parameters are (beta, zeta), or (beta, zeta, delta_1 .. delta_{J-2}) when one column s of
    x is ``nominal``: logit P(Y <= j) = zeta_j - x'beta - s delta_j with delta_0 = 0, the
    partial proportional-odds model of ``ordinal::clm(..., nominal = ~ s)`` written so that the
    proportional-odds model is delta = 0 (clm's threshold-specific coefficients of s are
    -(beta_s + delta_j); same likelihood). Respondent i at level c lies between the bounds
    ``upper`` = cut c and ``lower`` = cut c - 1 (cut -1 = -inf, cut J-1 = +inf), with
    probability ``p_i = F(upper) - F(lower)``, F the logistic CDF and f = F(1 - F) its density.
    The bounds are linear in the parameters, ``upper_i = du_i'params`` with
    ``du_i = (-x_i, e_c, -s_i e_c)`` (its delta part only for c >= 1), likewise ``dl_i`` for
    cut c - 1, and zero at an infinite bound, so

        d log p_i = (f(upper) du_i - f(lower) dl_i) / p_i = g_i
        d2 log p_i = (f'(upper) du_i du_i' - f'(lower) dl_i dl_i') / p_i - g_i g_i'

    with f' = f (1 - 2F). log p_i is concave in (upper, lower) (Pratt 1981), hence in the
    parameters, on the convex set where every p_i > 0.
    """

    def __init__(self, codes: np.ndarray, x: np.ndarray, n_levels: int, nominal: int | None = None):
        n, k = x.shape
        self.k, self.n_cuts, self.nominal = k, n_levels - 1, nominal
        self.codes = codes
        rows = np.arange(n)
        self.has_upper, self.has_lower = codes < self.n_cuts, codes > 0
        has_upper, has_lower = self.has_upper, self.has_lower
        width = k + self.n_cuts + (self.n_cuts - 1 if nominal is not None else 0)
        self.du = np.zeros((n, width))
        self.dl = np.zeros((n, width))
        self.du[has_upper, :k] = -x[has_upper]
        self.dl[has_lower, :k] = -x[has_lower]
        self.du[rows[has_upper], k + codes[has_upper]] = 1.0
        self.dl[rows[has_lower], k + codes[has_lower] - 1] = 1.0
        if nominal is not None:
            s, first = x[:, nominal], k + self.n_cuts - 1  # delta_j in column first + j
            up = has_upper & (codes >= 1)
            self.du[rows[up], first + codes[up]] = -s[up]
            low = has_lower & (codes >= 2)
            self.dl[rows[low], first + codes[low] - 1] = -s[low]

    def _probabilities(self, params: np.ndarray) -> tuple[np.ndarray, ...]:
        """F and 1 - F at both bounds, and each respondent's probability ``p_i``.

        1 - F is computed as F(-z), not by subtraction, and ``p_i`` as F(-lower) - F(-upper)
        when both bounds are in the upper tail, so that no precision is lost where F is near 1.
        """
        upper = np.where(self.has_upper, self.du @ params, np.inf)
        lower = np.where(self.has_lower, self.dl @ params, -np.inf)
        fu, su, fl, sl = expit(upper), expit(-upper), expit(lower), expit(-lower)
        prob = np.where(lower > 0, sl - su, fu - fl)
        return fu, su, fl, sl, prob

    def loglik(self, params: np.ndarray) -> float:
        """The log-likelihood, -inf outside the parameter space (some p_i <= 0)."""
        if self.nominal is None and np.any(np.diff(params[self.k :]) <= 0):
            return -np.inf  # thresholds out of order
        prob = self._probabilities(params)[-1]
        if not np.all(prob > 0):
            return -np.inf  # crossing thresholds: a negative probability
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


def _newton(
    model: _Polr, params: np.ndarray, max_iter: int = 100, tol: float = 1e-10
) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Newton-Raphson from ``params``: the last point, its log-likelihood and Hessian, and
    whether it converged (a full step below ``tol``).

    A step that would lower the likelihood or leave the parameter space is halved. A design
    that separates the levels has no maximum: Newton then stops unconverged rather than
    raising.
    """
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
    return params, loglik, hess, converged


@dataclass(frozen=True)
class _PolrFit:
    """The fit of ``_fit_polr``; ``centred`` are the parameters for the centred regressors."""

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    centre: np.ndarray
    centred: np.ndarray


def _fit_polr(codes: np.ndarray, x: np.ndarray, n_levels: int) -> _PolrFit:
    """Maximum likelihood (beta, zeta), their covariance, the log-likelihood and whether Newton
    converged.

    The regressors are centred while fitting: with raw regressors (size ~ 11) the thresholds
    are nearly collinear with the slopes and the Hessian is badly conditioned. Starts from the
    null model (slopes 0, thresholds at the logits of the cumulative frequencies, as
    statsmodels and clm do).
    """
    centre = x.mean(axis=0)
    model = _Polr(codes, x - centre, n_levels)
    cumulative = np.cumsum(np.bincount(codes, minlength=n_levels))[:-1] / len(codes)
    start = np.concatenate((np.zeros(x.shape[1]), np.log(cumulative / (1 - cumulative))))
    params, loglik, hess, converged = _newton(model, start)
    with np.errstate(over="ignore", invalid="ignore"):
        cov = _covariance(-hess)
    # back from centred regressors: zeta = zeta_c + centre'beta (a linear change of the
    # thresholds only, which leaves the slopes and their covariance block unchanged)
    k = x.shape[1]
    jacobian = np.eye(len(params))
    jacobian[k:, :k] = centre
    return _PolrFit(
        jacobian @ params, jacobian @ cov @ jacobian.T, loglik, converged, centre, params
    )


def nominal_lr_test(
    codes: np.ndarray, x: np.ndarray, n_levels: int, column: int, po: _PolrFit | None = None
) -> NominalTest:
    """Likelihood-ratio test of proportional odds for column ``column`` of ``x`` alone.

    R's ``anova(clm(y ~ x), clm(y ~ x, nominal = ~ s))``: the partial proportional-odds model
    gives s one slope per threshold (``_Polr`` with ``nominal``), LR = 2 (ll_nominal - ll_po)
    on J - 2 df. Both are fitted on centred regressors, an exact reparameterisation (as the R
    reference centres size) that keeps the Hessian well conditioned; the nominal model starts
    from the proportional-odds optimum (delta = 0), so its likelihood can only rise. No test
    (NaN and a note) with fewer than three levels, or when either maximum does not exist (a
    slope or a threshold-specific slope that the data separate).
    """
    n_cuts = n_levels - 1
    nan = float("nan")
    if n_cuts < 2:
        return NominalTest(nan, 0, nan, Reason("few_levels").english())
    po = po or _fit_polr(codes, x, n_levels)
    if not po.converged:
        return NominalTest(nan, n_cuts - 1, nan, Reason("not_converged").english())
    model = _Polr(codes, x - po.centre, n_levels, nominal=column)
    start = np.concatenate((po.centred, np.zeros(n_cuts - 1)))
    _, loglik, _, converged = _newton(model, start)
    if not converged:
        return NominalTest(
            nan, n_cuts - 1, nan, "the threshold-specific model did not converge (separation)"
        )
    lr = max(2.0 * (loglik - po.loglik), 0.0)
    return NominalTest(lr, n_cuts - 1, float(stats.chi2.sf(lr, n_cuts - 1)))


def separates(codes: np.ndarray, x: np.ndarray, n_levels: int, column: int) -> bool:
    """Whether the levels are (quasi-)separated along a direction that moves column ``column``
    of ``x``: then that column's slope has no finite maximum-likelihood estimate.

    The log-likelihood of the cumulative logit never decreases along a direction d of the
    parameters (slopes, thresholds) when every respondent's upper bound does not fall
    (``du_i'd >= 0``), its lower bound does not rise (``dl_i'd <= 0``) and the thresholds stay
    in order (the recession cone; Albert and Anderson 1984, Konis 2007 for the linear
    programme). With regressors of full rank the only direction leaving the likelihood
    unchanged is 0, so the maximum is infinite in the column's slope exactly when the cone
    holds a direction with a non-zero component there. Two linear programmes (push the slope
    up, then down, within the unit box) decide it. A control that separates the levels on its
    own (a type present only at the top level) leaves the column's slope finite.
    """
    from scipy.optimize import linprog

    model = _Polr(codes, x - x.mean(axis=0), n_levels)
    k, n_cuts = x.shape[1], n_levels - 1
    order = np.zeros((max(n_cuts - 1, 0), model.du.shape[1]))
    for j in range(n_cuts - 1):  # zeta_j - zeta_{j+1} <= 0
        order[j, k + j], order[j, k + j + 1] = 1.0, -1.0
    a_ub = np.vstack([-model.du[model.has_upper], model.dl[model.has_lower], order])
    b_ub = np.zeros(len(a_ub))
    for sign in (1.0, -1.0):
        objective = np.zeros(model.du.shape[1])
        objective[column] = -sign  # maximise sign * d_column
        res = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(-1.0, 1.0), method="highs")
        if res.status == 0 and -res.fun > 1e-7:
            return True
    return False


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


def brant_test(
    codes: np.ndarray, x: np.ndarray, n_cuts: int, cut_names: list[str] | None = None
) -> BrantTest:
    """Brant's Wald test that the J-1 cumulative logits share their slopes.

    Fits one binary logit per cut (level > j), stacks the slopes, and tests their differences
    with the covariance of Brant (1990, eq. 2.4); chi-square with (J-2) * k degrees of freedom.
    Not testable (NaN, with the reason in ``note``) with fewer than three observed levels
    (nothing to compare) or when a cut's binary logit is not identified: the regressors
    separate that cut, its slopes are infinite, and no Wald test exists. Such a theme is left
    out of the Holm family rather than counted as tested and fine.
    """
    k = x.shape[1]
    names = cut_names or [f"{j}|{j + 1}" for j in range(n_cuts)]
    if n_cuts < 2:
        return BrantTest(float("nan"), 0, float("nan"), Reason("few_levels").english())
    xi = np.column_stack([np.ones(len(x)), x])
    fits, probs = [], []
    for j in range(n_cuts):
        try:
            b = _logit_fit((codes > j).astype("float64"), xi)
        except (np.linalg.LinAlgError, FloatingPointError):
            note = Reason("cut_separation", {"cut": names[j]}).english()
            return BrantTest(float("nan"), (n_cuts - 1) * k, float("nan"), note)
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
    return BrantTest(chi2, df, float(stats.chi2.sf(chi2, df)))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (R's ``p.adjust(p, "holm")``).

    The k-th smallest of m p-values is multiplied by m - k + 1, made non-decreasing and capped
    at 1. A NaN (a test that could not be done) stays NaN and is not counted in m, as in R:
    counting it as p = 1 would pass an untestable theme off as tested and fine. Written out
    because statsmodels' ``multipletests(method="holm")`` forces a full garbage collection on
    every call, which alone cost a run more than the seven theme models.
    """
    p = np.asarray(p, dtype="float64")
    out = np.full_like(p, np.nan)
    tested = ~np.isnan(p)
    q = p[tested]
    order = np.argsort(q)
    adjusted = np.minimum(np.maximum.accumulate(q[order] * np.arange(len(q), 0, -1)), 1.0)
    ranked = np.empty_like(adjusted)
    ranked[order] = adjusted
    out[tested] = ranked
    return out


SEPARATION = Reason("separation").english()


def _fit_or_reason(levels: pd.Series, x: pd.DataFrame, theme: str) -> ThemeFit | str:
    """``fit_theme``, or why the theme's model gives no estimate of size: a secondary analysis
    that fails is reported, never allowed to stop the run.

    Newton stops short of a maximum that does not exist (``_newton``). When it stops, the
    theme is not estimable if the levels are separated along a direction that moves size
    (``separates``): its last point is then no estimate, whatever its numbers look like. A
    separation by another term alone (a type found only at the top level) leaves size's slope
    finite, with its standard error from the rest of the information (``_covariance``).
    """
    answered = levels.notna()  # a theme left blank by a respondent is modelled without them
    y, x = levels[answered], x[answered]
    observed = np.sort(y.unique())
    if len(observed) < 2:
        level = int(observed[0]) if len(observed) else None
        return Reason("same_level", {"level": level}).english()
    try:
        fit = fit_theme(y, x, theme)
        if not fit.converged and "size" in x.columns:
            codes = np.searchsorted(observed, y.to_numpy(dtype="float64"))
            column = list(x.columns).index("size")
            if separates(codes, x.to_numpy(dtype="float64"), len(observed), column):
                return SEPARATION
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        return error_reason(exc).english()
    se = fit.se.get("size", np.nan)
    if not (np.isfinite(fit.coef.get("size", np.nan)) and np.isfinite(se) and se > 0):
        return Reason("no_finite_se").english()
    return fit


def fit_themes(
    scored: pd.DataFrame, design: Design, codebook: Codebook, alpha: float = 0.05
) -> pd.DataFrame:
    """One line per theme: size's coefficient, SE, raw and Holm-adjusted p, and two checks of
    proportional odds, each Holm-adjusted over the themes where it could be done: Brant's test
    (``brant_testable``, and ``brant_note`` saying why not) and the likelihood-ratio test of a
    threshold-specific size slope (``po_size_*``).

    A theme whose model cannot be estimated (separation, a single level, a singular design) has
    ``not_estimable`` set to the reason ("" otherwise) and NaN everywhere else; it is left out
    of every Holm family, and the other themes are reported as usual.

    ``alpha`` is accepted for the callers' sake: Holm-adjusted p-values do not depend on it.
    """
    levels = theme_levels(scored.loc[design.y.index], codebook)
    x = design.X.drop(columns="Intercept")
    outcomes = {t: _fit_or_reason(levels[t], x, t) for t in codebook.theme_keys}
    fits = [f for f in outcomes.values() if isinstance(f, ThemeFit)]
    nan = float("nan")
    rows = []
    for outcome in outcomes.values():
        if isinstance(outcome, str):
            rows.append(
                {
                    "coef": nan,
                    "se": nan,
                    "p": nan,
                    "converged": False,
                    "brant_chi2": nan,
                    "brant_df": 0,
                    "brant_p": nan,
                    "brant_testable": False,
                    "brant_note": Reason("model_not_estimable").english(),
                    "po_size_lr": nan,
                    "po_size_df": 0,
                    "po_size_p": nan,
                    "not_estimable": outcome,
                }
            )
            continue
        f = outcome
        rows.append(
            {
                "coef": f.coef["size"],
                "se": f.se["size"],
                "p": f.p["size"],
                "converged": f.converged,
                "brant_chi2": f.brant_chi2,
                "brant_df": f.brant_df,
                "brant_p": f.brant_p,
                "brant_testable": f.brant_testable,
                "brant_note": f.brant_note,
                "po_size_lr": f.po_size_lr,
                "po_size_df": f.po_size_df,
                "po_size_p": f.po_size_p,
                "not_estimable": "",
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(codebook.theme_keys, name="theme"))
    table["p_holm"] = holm(table["p"].to_numpy())
    table["brant_p_holm"] = holm(table["brant_p"].to_numpy())
    table["po_size_p_holm"] = holm(table["po_size_p"].to_numpy())
    table.attrs["fits"] = fits  # the estimable themes' fits, in theme order
    return table
