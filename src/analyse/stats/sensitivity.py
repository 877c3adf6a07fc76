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
    def __init__(self, fit: OLSFit, simulations: int, seed: int):
        x = fit.design.X.to_numpy()
        self.j = list(fit.design.X.columns).index("size")
        xtx_inv = np.linalg.inv(x.T @ x)
        self.a = (xtx_inv @ x.T)[self.j]  # size row of (X'X)^-1 X'
        h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
        self.hc3 = self.a**2 / (1.0 - h) ** 2
        self.m = np.eye(len(h)) - x @ xtx_inv @ x.T  # residual maker
        beta = fit.coef.to_numpy().copy()
        beta[self.j] = 0.0
        self.base = x @ beta
        self.size = x[:, self.j]
        self.sd_y = float(fit.design.y.std(ddof=1))
        self.sd_size = float(np.std(self.size, ddof=1))
        sigma = float(np.sqrt(fit.result.scale))
        self.errors = sigma * np.random.default_rng(seed).standard_normal((simulations, len(h)))
        self.df = fit.df_resid

    def tests(self, std_effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardized estimates, their SEs and two-sided p-values over the simulations."""
        y = self.base + std_effect * self.sd_y / self.sd_size * self.size
        y = y[None, :] + self.errors
        b = y @ self.a
        resid = y @ self.m.T
        se = np.sqrt((resid**2) @ self.hc3)
        sd_y = y.std(axis=1, ddof=1)
        std_b = b * self.sd_size / sd_y
        std_se = se * self.sd_size / sd_y
        p = 2 * stats.t.sf(np.abs(b / se), self.df)
        return std_b, std_se, p


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
        return float((sim.tests(effect)[2] < alpha).mean())

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
