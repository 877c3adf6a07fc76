"""What this sample can detect: minimum detectable size effect and power of the equivalence test.

A verdict of "inconclusive" from 56 respondents is not evidence that size does not matter.
These simulations keep the fitted design (the respondents' actual sizes, means and sponsorship)
and the fitted coefficients of the other terms, draw normal errors with the fitted residual
variance, and set the standardized size effect to chosen values. Each simulated sample is
analysed exactly as the real one (OLS, HC3, t tests), all at once with matrix algebra: with the
design fixed, the HC3 variance of the size coefficient is a weighted sum of squared residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyse.stats.equivalence import tost
from analyse.stats.regression import OLSFit


@dataclass(frozen=True)
class Sensitivity:
    mde_std: float  # smallest standardized size effect detected with `power` (two-sided test)
    tost_power: float  # P(TOST rejects | true standardized size effect = 0)
    power: float
    simulations: int


class _Simulator:
    """The simulated samples of one fitted design, reduced to what the tests need.

    A simulated outcome is ``y = base + k * size + e`` (``base`` the fitted values without size,
    ``k`` the raw size effect, ``e`` the errors of one simulation). Everything the tests need is
    linear or quadratic in ``k``, so the work on the (simulations x n) errors is done once, not
    once per effect tried by the bisection:

    - the size estimate is ``a'y = a'base + k a'size + a'e`` (``a`` the size row of
      (X'X)^-1 X');
    - the residuals are ``M y = M e`` because ``M``, the residual maker, annihilates ``base`` and
      ``size`` (columns of X and their combinations): the HC3 SE does not depend on ``k``;
    - the sum of squares of the centred outcome is a quadratic in ``k`` whose coefficients are
      inner products of the centred ``base``, ``size`` and errors.

    ``M e`` is formed as ``e - (e Q) Q'`` with Q an orthonormal basis of X's columns (thin QR),
    never as the n x n matrix ``M``, which would cost n^2 per simulation on a census.
    """

    def __init__(self, fit: OLSFit, simulations: int, seed: int):
        x = fit.design.X.to_numpy()
        self.j = list(fit.design.X.columns).index("size")
        xtx_inv = np.linalg.inv(x.T @ x)
        a = (xtx_inv @ x.T)[self.j]  # size row of (X'X)^-1 X'
        h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
        hc3 = a**2 / (1.0 - h) ** 2
        beta = fit.coef.to_numpy().copy()
        beta[self.j] = 0.0
        base = x @ beta
        size = x[:, self.j]
        self.sd_y = float(fit.design.y.std(ddof=1))
        self.sd_size = float(np.std(size, ddof=1))
        sigma = float(np.sqrt(fit.result.scale))
        errors = sigma * np.random.default_rng(seed).standard_normal((simulations, len(h)))
        self.df = fit.df_resid
        self.n = len(h)
        q = np.linalg.qr(x)[0]
        resid = errors - (errors @ q) @ q.T
        # the HC3 SE of size: the same for every effect (see above)
        self.se = np.sqrt(np.einsum("si,si,i->s", resid, resid, hc3))
        # size estimate: a'base + k a'size + a'e
        self.b_base = float(base @ a)
        self.b_size = float(size @ a)
        self.b_errors = errors @ a
        # sum of squares of the centred outcome: ss0 + 2k ss1 + k^2 ss2
        base_c = base - base.mean()
        size_c = size - size.mean()
        errors_c = errors - errors.mean(axis=1, keepdims=True)
        self.ss0 = (
            float(base_c @ base_c)
            + 2 * (errors_c @ base_c)
            + np.einsum("si,si->s", errors_c, errors_c)
        )
        self.ss1 = float(base_c @ size_c) + errors_c @ size_c
        self.ss2 = float(size_c @ size_c)
        self._critical: dict[float, float] = {}

    def tests(self, std_effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardized estimates, their SEs and two-sided p-values over the simulations."""
        k = std_effect * self.sd_y / self.sd_size
        b = self.b_base + k * self.b_size + self.b_errors
        sd_y = np.sqrt((self.ss0 + 2 * k * self.ss1 + k * k * self.ss2) / (self.n - 1))
        std_b = b * self.sd_size / sd_y
        std_se = self.se * self.sd_size / sd_y
        p = 2 * stats.t.sf(np.abs(b / self.se), self.df)
        return std_b, std_se, p

    def power(self, std_effect: float, alpha: float) -> float:
        """Share of simulations whose two-sided p-value is below ``alpha``.

        Same decisions as ``tests(...)[2] < alpha``, but compares |t| with the critical value
        instead of computing 2000 t tail probabilities per effect (the bisection tries ~30
        effects); the few |t| within 1e-9 of the critical value are decided by the p-value
        itself, so rounding cannot flip a decision.
        """
        k = std_effect * self.sd_y / self.sd_size
        t = np.abs((self.b_base + k * self.b_size + self.b_errors) / self.se)
        if alpha not in self._critical:
            self._critical[alpha] = float(stats.t.isf(alpha / 2, self.df))
        critical = self._critical[alpha]
        reject = t > critical
        close = np.abs(t - critical) <= 1e-9 * critical
        if close.any():
            reject[close] = 2 * stats.t.sf(t[close], self.df) < alpha
        return float(reject.mean())


def sensitivity(
    fit: OLSFit,
    sesoi: float = 0.2,
    alpha: float = 0.05,
    power: float = 0.8,
    simulations: int = 2000,
    seed: int = 0,
) -> Sensitivity:
    """Minimum detectable standardized size effect (bisection on simulated power) and the power
    of the TOST to declare size negligible when its true effect is zero."""
    sim = _Simulator(fit, simulations, seed)

    def detect(effect: float) -> float:
        return sim.power(effect, alpha)

    lo, hi = 0.0, 0.5
    while detect(hi) < power and hi < 8.0:
        lo, hi = hi, hi * 2
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if detect(mid) >= power else (mid, hi)
    std_b, std_se, _ = sim.tests(0.0)
    p_tost = tost(std_b, std_se, sesoi, sim.df)[2]
    return Sensitivity(
        mde_std=float((lo + hi) / 2),
        tost_power=float((p_tost < alpha).mean()),
        power=power,
        simulations=simulations,
    )


def power_curve(
    fit: OLSFit,
    effects,
    alpha: float = 0.05,
    simulations: int = 2000,
    seed: int = 0,
    sesoi: float | None = None,
) -> pd.DataFrame:
    """Power of the two-sided test of size at each true standardized size effect in ``effects``.

    Same simulations as ``sensitivity`` (same design, residual variance and, for the same
    ``seed`` and ``simulations``, the same random errors), so the curve crosses the chosen power
    at ``sensitivity(...).mde_std``. With ``sesoi``, a column ``negligible`` adds the probability
    that the equivalence test declares the effect within ±sesoi.
    """
    sim = _Simulator(fit, simulations, seed)
    rows = []
    for effect in np.asarray(effects, dtype="float64").ravel():
        std_b, std_se, p = sim.tests(float(effect))
        row = {"effect": float(effect), "power": float((p < alpha).mean())}
        if sesoi is not None:
            row["negligible"] = float((tost(std_b, std_se, sesoi, sim.df)[2] < alpha).mean())
        rows.append(row)
    columns = ["effect", "power"] + (["negligible"] if sesoi is not None else [])
    return pd.DataFrame(rows, columns=columns)
