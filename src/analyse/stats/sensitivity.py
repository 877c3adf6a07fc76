"""What this sample can detect: minimum detectable size effect and power of the equivalence test.

A verdict of "inconclusive" from 56 respondents is not evidence that size does not matter.
These simulations keep the fitted design (the respondents' actual sizes, means and sponsorship)
and the fitted coefficients of the other terms, draw normal errors with the fitted residual
variance, and give size a raw slope ``b``. Each simulated sample is analysed exactly as the real
one (OLS, HC3, t tests), all at once with matrix algebra: with the design fixed, the HC3
variance of the size coefficient is a weighted sum of squared residuals.

**The scale of the effects.** An effect is the *true standardized size effect of the simulated
world*, ``b * sd(size) / sd_world(b)``, where ``sd_world(b)`` is the sd of the maturity index in
that world, not in the observed sample. Size correlates with the other terms, so giving it a
slope changes the index's spread: standardizing ``b`` by the observed sd of the index (as this
module once did) mislabels the effect, by a different amount for positive and negative effects.
The world variance is the expected sample variance (denominator n - 1) of a simulated outcome
``y = base + b * size + e`` (``base`` the fitted values without size, ``e`` ~ N(0, sigma^2)):

    sd_world(b)^2 = E[var(y)] = var(base + b * size) + sigma^2
                  = V0 + 2 b S_bs + b^2 S_ss,

with ``var`` and the covariance ``S_bs`` of ``base`` and ``size`` over the sample's design
(denominator n - 1, like ``sd(size)`` and the ``sd(y)`` that standardizes an estimate),
``S_ss = sd(size)^2`` and ``V0 = var(base) + sigma^2`` (the world without a size effect).
``E[var(y)]`` is exact (``E[sum (e_i - mean e)^2] = (n - 1) sigma^2``), so this is the sd the
analysis of a simulated sample standardizes by, on average over samples.

**From an effect to a slope.** With ``rho = S_bs / sqrt(S_ss V0)``, the correlation of size with
the world's index when size has no effect, the effect ``e`` has the raw slope

    b(e) = e * sqrt(V0 / S_ss) / (sqrt(1 - e^2 (1 - rho^2)) - e * rho),

the root of ``b^2 S_ss (1 - e^2) - 2 e^2 S_bs b - e^2 V0 = 0`` on the branch through ``b = 0``,
where the effect grows with ``b`` (``V0 + b S_bs > 0``). Not every effect exists:

- in the direction of ``rho`` (a slope that adds to what size already carries through the
  other terms), the effect tends to 1 as ``b`` grows but never reaches it: ``|e| < 1``;
- in the opposite direction, the slope first cancels the other terms' contribution, so the
  effect can exceed 1 in magnitude, up to ``1 / sqrt(1 - rho^2)``, reached at
  ``b = -V0 / S_bs``; beyond that slope the effect shrinks back towards 1.

Every ``|e| < 1`` therefore exists in both directions; effects beyond have no world here
(``_Simulator.slope`` returns NaN, ``power_curve`` reports NaN). Because the map differs with
the sign, the minimum detectable effect is searched in each direction.

**The power to reach each verdict.** Beside the power of the test of zero (the MDE), a page
needs to know whether the sample could ever give the two verdicts the claim is about:

- ``power_negligible`` (= ``tost_power``): the share of simulated samples whose equivalence
  test declares size negligible (TOST rejects at alpha) when the true effect is 0, the most
  favourable world for that verdict: when it is small, this sample could never show size to be
  negligible;
- ``power_decisive``: the share whose verdict is ``decisive`` (minimal-effect test *and* test
  of zero reject, the rule of ``analyse.stats.equivalence.verdict``) when the true effect is
  twice the SESOI, in the direction of the estimated effect (positive when it is 0). The
  world simulated is published twice: ``power_decisive_at_std``, its true standardized effect,
  and ``power_decisive_at_points``, its raw slope in index points for a tenfold population.

**Each sample is judged by the rule the real analysis applies.** With a standardized SESOI
(``sesoi``), a simulated sample's standardized estimate is compared with ``±sesoi``, and the
world of ``power_decisive`` is the one whose true standardized effect is ``±2 sesoi``
(``_Simulator.slope``); NaN when no world has that effect. With a SESOI in index points
(``sesoi_points``), the real analysis converts the bound with each fit's own SDs
(``analyse.stats.equivalence.sesoi_from_points``): the standardized estimate, its SE and the
bound all carry the same factor sd(size) / sd(index), so the tests are those of the raw slope
against ``sesoi_points / ln 10`` with the raw SE. The simulations apply exactly that rule to
each sample's raw estimate and SE (not one standardized bound shared by every sample, whose
sd(index) differs), and the world of ``power_decisive`` is the one whose raw slope is
``±2 sesoi_points / ln 10``: twice the SESOI in the unit it was given in, a world that
always exists. ``Sensitivity.sesoi`` is then the bound in points converted with the SDs of the
unweighted OLS fit's rows, the observed sample the simulations start from: what the power
curve's equivalence column and the pages compare with, not what each sample is judged by.

**Unweighted.** The simulations redraw errors on the design with equal weights and analyse each
sample with OLS, so the fit they start from must be the unweighted OLS fit of the same design:
a weighted fit is refitted without weights (``unweighted``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analyse.stats.equivalence import (
    LN10,
    minimal_effect_test,
    points_from_sesoi,
    sesoi_from_points,
    std_scale,
    tost,
)
from analyse.stats.regression import OLSFit, fit_ols

BISECTION_STEPS = 30  # on an interval of width <= 1/sqrt(1 - rho^2): precision ~1e-9
_CHUNK_CELLS = 4_000_000  # simulations x rows of errors drawn at once (32 MB)


@dataclass(frozen=True)
class Sensitivity:
    """What the sample can detect, on the true standardized scale of the module docstring.

    The minimum detectable effects (MDE) are magnitudes (all > 0): ``mde_std_negative`` is the
    smallest ``m`` such that a true effect of ``-m`` is detected with ``power``. NaN when no
    existing effect in that direction reaches ``power`` (only possible against ``rho``, for a
    tiny or near-collinear sample).
    """

    mde_std_positive: float  # smallest positive effect detected with `power` (two-sided test)
    mde_std_negative: float  # magnitude of the smallest negative effect detected with `power`
    mde_std: float  # the larger of the two: the smallest effect detectable in both directions
    tost_power: float  # P(TOST rejects | true standardized size effect = 0)
    power: float
    simulations: int
    # the two MDE in the reader's unit: index points for a tenfold population, signed, through
    # the simulated world's own slope (``_Simulator.slope``), not the observed sd of the index
    mde_points_positive: float = math.nan
    mde_points_negative: float = math.nan
    # the power to reach each verdict (module docstring): "negligible" at a true effect of 0
    # (equals tost_power), "decisive" in the world at 2 SESOI with the estimate's sign, whose
    # true standardized effect is power_decisive_at_std and raw slope, in index points for a
    # tenfold population, power_decisive_at_points (NaN when no world has 2 SESOI)
    power_negligible: float = math.nan
    power_decisive: float = math.nan
    power_decisive_at_std: float = math.nan
    power_decisive_at_points: float = math.nan
    # the bound on both scales, converted with the unweighted fit's SDs: with a standardized
    # SESOI, ``sesoi`` is what each simulated sample is judged by; with a SESOI in points,
    # ``sesoi_points`` is (on the raw scale, module docstring), ``sesoi`` only its translation
    sesoi: float = math.nan
    sesoi_points: float = math.nan  # index points for a tenfold population


def unweighted(fit: OLSFit) -> OLSFit:
    """``fit`` if it is an OLS fit, else the OLS fit of the same design (see module docstring).

    ``sm.OLS`` is a subclass of ``sm.WLS``: only a fit with survey weights is refitted.
    """
    return fit if isinstance(fit.result.model, sm.OLS) else fit_ols(fit.design)


class _Simulator:
    """The simulated samples of one fitted design, reduced to what the tests need.

    A simulated outcome is ``y = base + b * size + e`` (``base`` the fitted values without size,
    ``b`` the raw size slope, ``e`` the errors of one simulation). Everything the tests need is
    linear or quadratic in ``b``, so the work on the (simulations x n) errors is done once, not
    once per effect tried by the bisection:

    - the size estimate is ``a'y = a'base + b a'size + a'e`` (``a`` the size row of
      (X'X)^-1 X');
    - the residuals are ``M y = M e`` because ``M``, the residual maker, annihilates ``base`` and
      ``size`` (columns of X and their combinations): the HC3 SE does not depend on ``b``;
    - the sum of squares of the centred outcome is a quadratic in ``b`` whose coefficients are
      inner products of the centred ``base``, ``size`` and errors.

    ``M e`` is formed as ``e - (e Q) Q'`` with Q an orthonormal basis of X's columns (thin QR),
    never as the n x n matrix ``M``, which would cost n^2 per simulation on a census.
    """

    def __init__(self, fit: OLSFit, simulations: int, seed: int):
        fit = unweighted(fit)
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
        self.sd_size = float(np.std(size, ddof=1))
        self.sigma = float(np.sqrt(fit.result.scale))
        self.df = fit.df_resid
        self.n = len(h)
        q = np.linalg.qr(x)[0]
        base_c = base - base.mean()
        size_c = size - size.mean()
        # the simulations' errors are drawn and reduced a chunk of rows at a time, so that
        # memory does not grow with simulations x n (2000 x 35,000 numbers are 560 MB); numpy
        # draws the same stream in chunks as at once, so the errors are the same
        rng = np.random.default_rng(seed)
        step = max(1, _CHUNK_CELLS // self.n)
        se, b_errors, ss0_cross, ss0_square, ss1 = [], [], [], [], []
        for start in range(0, simulations, step):
            errors = self.sigma * rng.standard_normal((min(step, simulations - start), self.n))
            resid = errors - (errors @ q) @ q.T
            # the HC3 SE of size: the same for every effect (see above)
            se.append(np.sqrt(np.einsum("si,si,i->s", resid, resid, hc3)))
            del resid
            b_errors.append(errors @ a)
            errors_c = errors - errors.mean(axis=1, keepdims=True)
            ss0_cross.append(2 * (errors_c @ base_c))
            ss0_square.append(np.einsum("si,si->s", errors_c, errors_c))
            ss1.append(errors_c @ size_c)
        self.se = np.concatenate(se)
        # size estimate: a'base + b a'size + a'e
        self.b_base = float(base @ a)
        self.b_size = float(size @ a)
        self.b_errors = np.concatenate(b_errors)
        # sum of squares of the centred outcome: ss0 + 2b ss1 + b^2 ss2
        self.ss0 = float(base_c @ base_c) + np.concatenate(ss0_cross) + np.concatenate(ss0_square)
        self.ss1 = float(base_c @ size_c) + np.concatenate(ss1)
        self.ss2 = float(size_c @ size_c)
        # the world's variance of the index (module docstring): v0 + 2b s_bs + b^2 s_ss
        self.s_ss = self.sd_size**2
        self.s_bs = float(base_c @ size_c) / (self.n - 1)
        self.v0 = float(base_c @ base_c) / (self.n - 1) + self.sigma**2
        self.rho = self.s_bs / math.sqrt(self.s_ss * self.v0)
        self._critical: dict[float, float] = {}

    def world_sd(self, slope: float) -> float:
        """The sd of the index in the world with raw size slope ``slope``."""
        return math.sqrt(self.v0 + 2 * slope * self.s_bs + slope * slope * self.s_ss)

    def effect(self, slope: float) -> float:
        """The true standardized size effect of the world with raw slope ``slope``."""
        return slope * self.sd_size / self.world_sd(slope)

    def limit(self, sign: int) -> tuple[float, bool]:
        """The largest effect magnitude that exists in direction ``sign`` (+1 or -1), and whether
        it is reached (True against ``rho``, at the slope ``-V0 / S_bs``) or only approached (1,
        with ``rho`` or when ``rho`` is 0)."""
        if sign * self.rho < 0:
            return 1.0 / math.sqrt(1.0 - self.rho**2), True
        return 1.0, False

    def slope(self, effect: float) -> float:
        """The raw slope whose world has true standardized size effect ``effect``; NaN if no
        world has it (module docstring)."""
        if effect == 0:
            return 0.0
        magnitude, reached = self.limit(1 if effect > 0 else -1)
        if abs(effect) > magnitude or (abs(effect) == magnitude and not reached):
            return math.nan
        if reached and abs(effect) == magnitude:
            return -self.v0 / self.s_bs
        root = math.sqrt(max(1.0 - effect * effect * (1.0 - self.rho**2), 0.0))
        denominator = root - effect * self.rho
        if denominator <= 0:  # |effect| within rounding of 1 in the direction of rho
            return math.nan
        return effect * math.sqrt(self.v0 / self.s_ss) / denominator

    def raw_tests(self, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw size estimates, their HC3 SEs and two-sided p-values over the simulations, in
        the world with raw slope ``k``: what a SESOI in points is tested on (module docstring).
        """
        b = self.b_base + k * self.b_size + self.b_errors
        return b, self.se, 2 * stats.t.sf(np.abs(b / self.se), self.df)

    def tests(self, std_effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standardized estimates, their SEs and two-sided p-values over the simulations, in the
        world with true standardized size effect ``std_effect`` (NaN if it has no world)."""
        return self._tests(self.slope(std_effect))

    def _tests(self, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = self.b_base + k * self.b_size + self.b_errors
        sd_y = np.sqrt((self.ss0 + 2 * k * self.ss1 + k * k * self.ss2) / (self.n - 1))
        std_b = b * self.sd_size / sd_y
        std_se = self.se * self.sd_size / sd_y
        p = 2 * stats.t.sf(np.abs(b / self.se), self.df)
        return std_b, std_se, p

    def power(self, std_effect: float, alpha: float) -> float:
        """Share of simulations whose two-sided p-value is below ``alpha`` at the true
        standardized size effect ``std_effect`` (NaN if it has no world)."""
        k = self.slope(std_effect)
        return math.nan if math.isnan(k) else self._power(k, alpha)

    def _power(self, k: float, alpha: float) -> float:
        """Power at the raw slope ``k``.

        Same decisions as ``_tests(k)[2] < alpha``, but compares |t| with the critical value
        instead of computing 2000 t tail probabilities per effect (the bisection tries ~60
        effects); the few |t| within 1e-9 of the critical value are decided by the p-value
        itself, so rounding cannot flip a decision.
        """
        t = np.abs((self.b_base + k * self.b_size + self.b_errors) / self.se)
        if alpha not in self._critical:
            self._critical[alpha] = float(stats.t.isf(alpha / 2, self.df))
        critical = self._critical[alpha]
        reject = t > critical
        close = np.abs(t - critical) <= 1e-9 * critical
        if close.any():
            reject[close] = 2 * stats.t.sf(t[close], self.df) < alpha
        return float(reject.mean())

    def mde(self, sign: int, alpha: float, power: float) -> float:
        """Magnitude of the smallest effect in direction ``sign`` detected with ``power``.

        Bisection on the effect's magnitude over the effects that exist (``limit``); only
        midpoints are tried, so an unreachable limit (1) is never evaluated. NaN if even the
        reachable limit is detected with less than ``power``.
        """
        magnitude, reached = self.limit(sign)
        if reached and self._power(self.slope(sign * magnitude), alpha) < power:
            return math.nan
        lo, hi = 0.0, magnitude
        for _ in range(BISECTION_STEPS):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if self.power(sign * mid, alpha) >= power else (mid, hi)
        return (lo + hi) / 2


_LAST: dict[tuple[str, int, int], _Simulator] = {}  # the last simulations drawn (one entry)


def _simulator(fit: OLSFit, simulations: int, seed: int) -> _Simulator:
    """``_Simulator(fit, simulations, seed)``, drawn once for the sensitivity and the power
    curve of the same fit (a run asks for both: at 35,000 respondents, 2000 simulations of
    the whole sample are seconds of work). The key is the content of what the simulations
    depend on (the unweighted fit's design, coefficients and residual variance), not the
    object, so a changed fit is never served stale simulations."""
    ols = unweighted(fit)
    digest = hashlib.blake2b(digest_size=32)
    digest.update(repr(list(ols.design.X.columns)).encode())
    for array in (ols.design.X.to_numpy(dtype="float64"), ols.coef.to_numpy(dtype="float64")):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(np.float64(ols.result.scale).tobytes())
    key = (digest.hexdigest(), simulations, seed)
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = _Simulator(ols, simulations, seed)
    return _LAST[key]


def sensitivity(
    fit: OLSFit,
    sesoi: float = 0.2,
    alpha: float = 0.05,
    power: float = 0.8,
    simulations: int = 2000,
    seed: int = 0,
    sesoi_points: float | None = None,
    effect_sign: float | None = None,
) -> Sensitivity:
    """Minimum detectable true standardized size effect in each direction (bisection on
    simulated power), and the power to reach the verdicts "negligible" (TOST, true effect 0)
    and "decisive" (true effect twice the SESOI with the sign of ``effect_sign``, by default
    the sign of ``fit``'s size coefficient; positive when 0).

    ``sesoi_points`` (index points for a tenfold population) replaces ``sesoi``: each simulated
    sample is then judged on the raw scale against ``sesoi_points / ln 10``, the rule the real
    analysis applies, and "twice the SESOI" is a raw slope of ``2 sesoi_points / ln 10`` (module
    docstring). A weighted ``fit`` is replaced by the OLS fit of its design: the sensitivity
    describes the unweighted sample (module docstring).
    """
    sim = _simulator(fit, simulations, seed)
    scale = std_scale(unweighted(fit))
    if effect_sign is None:
        effect_sign = float(fit.coef["size"])
    sign = -1.0 if effect_sign < 0 else 1.0
    raw = sesoi_points is not None
    if raw:
        sesoi = sesoi_from_points(sesoi_points, scale)
        slope = 2 * sign * float(sesoi_points) / LN10  # exists whatever the design
        at_std = sim.effect(slope)
    else:
        sesoi_points = points_from_sesoi(sesoi, scale)
        at_std = 2 * sesoi * sign
        slope = sim.slope(at_std)  # NaN when no world has that effect
    judge = _Judge(sim, sesoi_points / LN10 if raw else sesoi, raw, alpha)
    positive = sim.mde(1, alpha, power)
    negative = sim.mde(-1, alpha, power)
    negligible = judge.negligible(0.0)
    return Sensitivity(
        mde_std_positive=positive,
        mde_std_negative=negative,
        # NaN if either is: max() would silently drop a NaN in first position
        mde_std=math.nan if math.isnan(positive + negative) else max(positive, negative),
        tost_power=negligible,
        power=power,
        simulations=simulations,
        mde_points_positive=_points(sim.slope(positive)),
        mde_points_negative=_points(sim.slope(-negative)),
        power_negligible=negligible,
        power_decisive=judge.decisive(slope),
        power_decisive_at_std=at_std,
        power_decisive_at_points=_points(slope),
        sesoi=float(sesoi),
        sesoi_points=float(sesoi_points),
    )


@dataclass(frozen=True)
class _Judge:
    """The equivalence and minimal-effect decisions of every simulated sample, by the rule the
    real analysis applies (module docstring): the standardized estimate against ``bound`` =
    the standardized SESOI, or, for a SESOI in points (``raw``), the raw estimate against
    ``bound`` = ``sesoi_points / ln 10``, the same as converting the bound with each sample's
    own SDs."""

    sim: _Simulator
    bound: float
    raw: bool
    alpha: float

    def _tests(self, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.sim.raw_tests(k) if self.raw else self.sim._tests(k)

    def negligible(self, k: float) -> float:
        """Share of the samples of the world with raw slope ``k`` whose TOST rejects."""
        estimate, se, _ = self._tests(k)
        return float((tost(estimate, se, self.bound, self.sim.df)[2] < self.alpha).mean())

    def decisive(self, k: float) -> float:
        """Share of the samples of the world with raw slope ``k`` whose verdict is "decisive":
        the minimal-effect test and the test of zero both reject at ``alpha``
        (``analyse.stats.equivalence.verdict``); NaN when ``k`` is (no world)."""
        if math.isnan(k):
            return math.nan
        estimate, se, p = self._tests(k)
        p_met = minimal_effect_test(estimate, se, self.bound, self.sim.df)[2]
        return float(((p_met < self.alpha) & (p < self.alpha)).mean())


def _points(slope: float) -> float:
    """A raw slope of the index on ln(population) as points for a tenfold population."""
    return slope * math.log(10.0)


def power_curve(
    fit: OLSFit,
    effects,
    alpha: float = 0.05,
    simulations: int = 2000,
    seed: int = 0,
    sesoi: float | None = None,
    sesoi_points: float | None = None,
) -> pd.DataFrame:
    """Power of the two-sided test of size at each true standardized size effect in ``effects``.

    Same simulations as ``sensitivity`` (same design, residual variance and, for the same
    ``seed`` and ``simulations``, the same random errors), so the curve crosses the chosen power
    at ``-mde_std_negative`` and ``+mde_std_positive``. With ``sesoi``, a column ``negligible``
    adds the probability that the equivalence test declares the effect within ±sesoi. An effect
    that no world has (module docstring: ``|e| >= 1`` in the direction of the correlation of
    size with the other terms) gets NaN. A weighted ``fit`` is refitted without weights.
    With ``sesoi_points``, the ``negligible`` column judges each sample on the raw scale against
    ``sesoi_points / ln 10``, as ``sensitivity`` and the real analysis do (``_Judge``), and
    ``sesoi`` only says that the column is wanted.
    """
    sim = _simulator(fit, simulations, seed)
    judge = None
    if sesoi is not None:
        raw = sesoi_points is not None
        judge = _Judge(sim, float(sesoi_points) / LN10 if raw else sesoi, raw, alpha)
    rows = []
    for effect in np.asarray(effects, dtype="float64").ravel():
        k = sim.slope(float(effect))
        row: dict[str, float] = {"effect": float(effect), "power": math.nan}
        if sesoi is not None:
            row["negligible"] = math.nan
        if not math.isnan(k):
            std_b, std_se, p = sim._tests(k)
            row["power"] = float((p < alpha).mean())
            if judge is not None:
                row["negligible"] = judge.negligible(k)
        rows.append(row)
    columns = ["effect", "power"] + (["negligible"] if sesoi is not None else [])
    return pd.DataFrame(rows, columns=columns)
