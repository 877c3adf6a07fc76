"""Sensitivity on the true standardized scale: known truths, closed forms and the noncentral t.

The effect of a simulated world is ``b * sd(size) / sd_world(b)`` with ``sd_world`` the sd of
the index in that world (``analyse.stats.sensitivity``). The designs here correlate size
strongly with the other terms, where labelling by the observed sd of the index went wrong.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from analyse.data.codebook import load_codebook
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.stats.claim import analyse_claim, to_results
from analyse.stats.equivalence import judge_size, test_size, tost
from analyse.stats.regression import Design, build_design, fit_ols
from analyse.stats.sensitivity import _Simulator, power_curve, sensitivity
from analyse.stats.weights import rake


def correlated_fit(n: int, r: float, seed: int):
    """OLS fit of a design where budget and staff correlate ``r`` with size, homoskedastic
    normal errors, and the index carried by budget and staff only (size's fitted slope ~0)."""
    rng = np.random.default_rng(seed)
    size = rng.standard_normal(n)
    others = r * size[:, None] + math.sqrt(1 - r * r) * rng.standard_normal((n, 2))
    x = pd.DataFrame(
        {"Intercept": 1.0, "size": size, "budget": others[:, 0], "staff": others[:, 1]}
    )
    y = 50 + 6 * others[:, 0] + 4 * others[:, 1] + 8 * rng.standard_normal(n)
    return fit_ols(Design(y=pd.Series(y), X=x, groups={}))


@pytest.fixture(scope="module")
def census_like():
    return correlated_fit(1200, 0.8, 1)


def test_slope_is_the_branch_root_and_the_limits_are_where_the_docstring_says(census_like):
    sim = _Simulator(census_like, 10, 0)
    assert sim.rho > 0.5  # size carries the other terms: the directions differ
    negative_limit, reached = sim.limit(-1)
    assert reached and negative_limit == pytest.approx(1 / math.sqrt(1 - sim.rho**2))
    assert sim.limit(1) == (1.0, False)
    b_star = -sim.v0 / sim.s_bs  # the slope where the effect against rho is largest
    assert sim.effect(b_star) == pytest.approx(-negative_limit, rel=1e-12)
    for effect in (-1.2, -0.9, -0.5, -0.2, 0.0, 0.2, 0.5, 0.9, 0.99):
        b = sim.slope(effect)
        assert sim.effect(b) == pytest.approx(effect, rel=1e-10, abs=1e-14)
        # the independent root of effect(b) = e on the branch through 0 (V0 + b S_bs > 0)
        if effect:
            lo, hi = (0.0, 1e6) if effect > 0 else (b_star, 0.0)
            root = optimize.brentq(lambda s, e=effect: sim.effect(s) - e, lo, hi, xtol=1e-13)
            assert b == pytest.approx(root, rel=1e-8)
    assert sim.slope(-negative_limit) == pytest.approx(b_star)
    for missing in (1.0, 1.01, -negative_limit - 1e-6):
        assert math.isnan(sim.slope(missing))


def test_world_sd_is_the_expected_sd_of_a_simulated_index(census_like):
    """E[var(y)] over samples is the world variance: compare with 2000 simulated samples."""
    sim = _Simulator(census_like, 2000, 2)
    for effect in (-0.6, 0.0, 0.6):
        k = sim.slope(effect)
        var_y = (sim.ss0 + 2 * k * sim.ss1 + k * k * sim.ss2) / (sim.n - 1)
        # 4 simulation standard errors of the mean of 2000 sample variances
        assert var_y.mean() == pytest.approx(
            sim.world_sd(k) ** 2, abs=4 * var_y.std() / math.sqrt(len(var_y))
        )


@pytest.mark.parametrize("effect", [-0.4, -0.2, 0.2, 0.4])
def test_simulated_standardized_effect_is_the_labelled_one(census_like, effect):
    """The samples of the world labelled ``effect`` estimate ``effect`` on average.

    Failed before the fix: the slope was ``effect * sd(observed index) / sd(size)``, whose
    samples estimate -0.235 at a label of -0.2 and 0.179 at +0.2 on this design.
    """
    sim = _Simulator(census_like, 2000, 3)
    std_b = sim.tests(effect)[0]
    # 4 simulation standard errors, plus 0.002 for the O(1/n) bias of a ratio of estimates
    # (the estimate is standardized by the sample's own sd of the index)
    tolerance = 4 * std_b.std() / math.sqrt(len(std_b)) + 0.002
    assert std_b.mean() == pytest.approx(effect, abs=tolerance)


def test_mdes_differ_by_direction(census_like):
    """Size correlates positively with the rest of the index: a raw slope upwards adds to the
    index's spread, downwards it cancels part of it. The raw MDE is (nearly) symmetric, so the
    standardized MDE is smaller upwards; the curve crosses the power at -negative, +positive.

    Failed before the fix: one MDE, no direction."""
    sens = sensitivity(census_like, simulations=2000, seed=5)
    assert 0 < sens.mde_std_positive < sens.mde_std_negative
    assert sens.mde_std_negative / sens.mde_std_positive > 1.08
    assert sens.mde_std == max(sens.mde_std_positive, sens.mde_std_negative)
    curve = power_curve(
        census_like, [-sens.mde_std_negative, sens.mde_std_positive], simulations=2000, seed=5
    )
    assert list(curve["power"]) == pytest.approx([0.8, 0.8], abs=0.005)


@pytest.mark.parametrize("seed", [4, 6])
def test_simulated_mde_matches_the_noncentral_t(seed):
    """Homoskedastic normal errors, n = 1000: the classical t test has exactly the noncentral t
    power, P(|T'| > t_crit) with T' ~ t(df, b / (sigma sqrt((X'X)^-1_jj))), and HC3 agrees
    closely at this n. The analytic MDE is symmetric in the raw slope; on the standardized
    scale, each direction goes through the same world sd as the simulations: that conversion is
    the implementation's own ``effect`` map, checked independently against the variance of
    simulated outcomes elsewhere in this file, so this test checks the power search itself."""
    fit = correlated_fit(1000, 0.6, seed)
    simulations = 2000
    sim = _Simulator(fit, 10, 0)  # only for sigma and the world's sd
    x = fit.design.X.to_numpy()
    sd_b = sim.sigma * math.sqrt(np.linalg.inv(x.T @ x)[1, 1])
    critical = stats.t.isf(0.025, fit.df_resid)

    def analytic_power(b: float) -> float:
        ncp = abs(b) / sd_b
        return stats.nct.sf(critical, fit.df_resid, ncp) + stats.nct.cdf(
            -critical, fit.df_resid, ncp
        )

    b80 = optimize.brentq(lambda b: analytic_power(b) - 0.8, 0.0, 4 * sd_b, xtol=1e-12)
    expected = {1: sim.effect(b80), -1: -sim.effect(-b80)}
    sens = sensitivity(fit, simulations=simulations, seed=seed)
    got = {1: sens.mde_std_positive, -1: sens.mde_std_negative}
    for sign in (1, -1):
        # The simulated power at the analytic MDE is a binomial share: sd sqrt(0.8 * 0.2 / 2000)
        # = 0.0089. The simulated MDE is where the simulated curve crosses 0.8, so it sits about
        # (power error) / (slope of the power curve) away: 3 such sds (two-sided 0.3 %) on the
        # effect scale. HC3's extra loss of power against the classical SE is O(k/n): measured
        # at 0.0003-0.0006 in effect with 8000-20000 simulations, a tenth of this tolerance.
        e, h = expected[sign], 1e-5
        slope = abs(
            analytic_power(sim.slope(sign * (e + h))) - analytic_power(sim.slope(sign * (e - h)))
        ) / (2 * h)
        tolerance = 3 * math.sqrt(0.8 * 0.2 / simulations) / slope
        assert got[sign] == pytest.approx(e, abs=tolerance)
    assert expected[-1] > expected[1]  # rho > 0: the directions differ analytically too


@pytest.mark.parametrize("effect", [-0.2, 0.2])
def test_equivalence_rarely_declares_an_effect_at_the_sesoi_negligible(census_like, effect):
    """At a true effect of ±SESOI the TOST's null holds at its boundary: it may declare size
    negligible in at most alpha of the samples (up to simulation error).

    Failed before the fix at +0.2 (14.6 % of samples on this census-sized design): the world
    labelled +0.2 really had a smaller effect, inside the equivalence region.
    """
    simulations, alpha = 4000, 0.05
    curve = power_curve(
        census_like, [effect], alpha=alpha, simulations=simulations, seed=8, sesoi=0.2
    )
    # 3 binomial sds of a share alpha over 4000 samples: 0.0103
    assert curve.loc[0, "negligible"] <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / simulations)


def test_negligible_share_uses_the_tost_of_the_analysis(census_like):
    sim = _Simulator(census_like, 300, 1)
    std_b, std_se, _ = sim.tests(0.1)
    expected = float((tost(std_b, std_se, 0.2, sim.df)[2] < 0.05).mean())
    curve = power_curve(census_like, [0.1], simulations=300, seed=1, sesoi=0.2)
    assert curve.loc[0, "negligible"] == expected


def test_effects_without_a_world_get_nan(census_like):
    curve = power_curve(census_like, [-2.0, 0.5, 1.0, 1.5], simulations=50, sesoi=0.2)
    assert curve["power"].isna().tolist() == [True, False, True, True]
    assert curve["negligible"].isna().tolist() == [True, False, True, True]


def test_weighted_fit_gives_the_unweighted_sensitivity():
    """Survey weights do not enter the simulations: a weighted fit is refitted by OLS.

    Failed before the fix: the WLS coefficients and weighted residual variance were simulated
    on the unweighted design.
    """
    codebook = load_codebook()
    scored = score_survey(
        generate(design="barometre-2025", seed=2, with_truth=False).data, codebook
    )
    weights = rake(scored, load_frame("epci"))
    design = build_design(scored)
    weighted, plain = fit_ols(design, weights=weights), fit_ols(design)
    assert weighted.coef["size"] != pytest.approx(plain.coef["size"])
    assert sensitivity(weighted, simulations=300) == sensitivity(plain, simulations=300)
    analysis = analyse_claim(scored, codebook, bootstrap=0, simulations=300, weights=weights)
    assert analysis.sensitivity == sensitivity(plain, simulations=300)
    assert "sensitivity" not in analysis.weighted_parts
    results = to_results(analysis)["sensitivity"]
    assert results["weighted"] is False
    assert set(results) == {
        "mde_std_positive",
        "mde_std_negative",
        "mde_std",
        "mde_points_positive",
        "mde_points_negative",
        "tost_power",
        "power_negligible",
        "power_decisive",
        "power_decisive_at_std",
        "power_decisive_at_points",
        "power",
        "simulations",
        "weighted",
    }


def _verdicts_by_loop(fit, std_effect: float, sesoi: float, simulations: int, seed: int):
    """The verdicts of ``simulations`` samples of the world with true standardized effect
    ``std_effect``, each drawn and analysed one at a time: outcome ``base + b size + e`` (the
    fit's other coefficients, its residual sd, the slope of that world), OLS, HC3, sample SDs,
    and ``judge_size``. Independent of the simulator's matrix algebra; only the world's slope
    is its own (``_Simulator.slope``, checked against a root finder above)."""
    x = fit.design.X.to_numpy()
    j = list(fit.design.X.columns).index("size")
    beta = fit.coef.to_numpy().copy()
    beta[j] = _Simulator(fit, 2, 0).slope(std_effect)
    sigma = math.sqrt(fit.result.scale)
    xtx_inv = np.linalg.inv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    n, k = x.shape
    rng = np.random.default_rng(seed)
    verdicts = []
    for _ in range(simulations):
        y = x @ beta + sigma * rng.standard_normal(n)
        b = xtx_inv @ x.T @ y
        e = y - x @ b
        meat = (x * (e / (1 - h))[:, None] ** 2 / 1.0).T @ x
        se = math.sqrt((xtx_inv @ meat @ xtx_inv)[j, j])
        p = 2 * stats.t.sf(abs(b[j] / se), n - k)
        scale = np.std(x[:, j], ddof=1) / np.std(y, ddof=1)
        test = judge_size(b[j], se, p, b[j] * scale, se * scale, n - k, sesoi=sesoi)
        verdicts.append(test.verdict)
    return np.asarray(verdicts)


def test_power_to_be_decisive_agrees_with_an_independent_monte_carlo():
    """``power_decisive``: the share of samples whose verdict is "decisive" when the true
    effect is twice the SESOI. 2000 vectorized simulations against 600 looped ones: the two
    shares differ by a binomial error of sd sqrt(p (1 - p) (1/2000 + 1/600)) <= 0.024."""
    fit = correlated_fit(80, 0.5, 12)
    sens = sensitivity(fit, sesoi=0.2, simulations=2000, seed=3, effect_sign=1.0)
    assert sens.power_decisive_at_std == 0.4
    looped = (_verdicts_by_loop(fit, 0.4, 0.2, 600, seed=99) == "decisive").mean()
    assert 0.1 < looped < 0.9  # a share the comparison can tell apart
    assert sens.power_decisive == pytest.approx(looped, abs=4 * 0.024)
    negative = sensitivity(fit, sesoi=0.2, simulations=2000, seed=3, effect_sign=-0.3)
    assert negative.power_decisive_at_std == -0.4
    looped = (_verdicts_by_loop(fit, -0.4, 0.2, 600, seed=98) == "decisive").mean()
    assert negative.power_decisive == pytest.approx(looped, abs=4 * 0.024)


def test_power_to_be_negligible_agrees_with_an_independent_monte_carlo():
    """``power_negligible`` = ``tost_power``: samples declared negligible at a true effect 0
    (the verdicts "negligible" and "significant_but_negligible")."""
    fit = correlated_fit(120, 0.3, 5)
    sens = sensitivity(fit, sesoi=0.2, simulations=2000, seed=4)
    assert sens.power_negligible == sens.tost_power
    verdicts = _verdicts_by_loop(fit, 0.0, 0.2, 600, seed=97)
    looped = np.isin(verdicts, ["negligible", "significant_but_negligible"]).mean()
    assert 0.1 < looped < 0.9
    assert sens.power_negligible == pytest.approx(looped, abs=4 * 0.024)


def test_power_to_be_decisive_is_nan_without_a_world_and_follows_the_estimate_s_sign(
    census_like,
):
    """rho > 0 here: +2 SESOI = 1.2 has no world (module docstring), -1.2 has one."""
    up = sensitivity(census_like, sesoi=0.6, simulations=200, seed=1, effect_sign=2.0)
    assert up.power_decisive_at_std == 1.2 and math.isnan(up.power_decisive)
    assert math.isnan(up.power_decisive_at_points)
    down = sensitivity(census_like, sesoi=0.6, simulations=200, seed=1, effect_sign=-2.0)
    assert down.power_decisive_at_std == -1.2 and 0 <= down.power_decisive <= 1
    # the world simulated, in points: its own slope, not the observed sd of the index
    slope = _Simulator(census_like, 2, 0).slope(-1.2)
    assert down.power_decisive_at_points == pytest.approx(slope * math.log(10), rel=1e-12)
    zero = sensitivity(census_like, sesoi=0.2, simulations=200, seed=1, effect_sign=0.0)
    assert zero.power_decisive_at_std == 0.4  # positive when the estimate is 0
    default = sensitivity(census_like, sesoi=0.2, simulations=200, seed=1)
    sign = 1 if census_like.coef["size"] >= 0 else -1
    assert default.power_decisive_at_std == 0.4 * sign


def _raw_verdicts_on_the_simulator_s_errors(fit, slope: float, sesoi_points: float, sims: int):
    """The verdict of each sample the simulator draws (the same errors: ``_Simulator`` draws
    ``sigma * standard_normal((simulations, n))`` from ``default_rng(seed)``, one chunk at
    this size), in the world with raw size slope ``slope``, each analysed on its own: OLS and
    HC3 with numpy, its own sd(size) / sd(index), and ``judge_size`` with ``sesoi_points``,
    the conversion the real analysis makes (``test_size``)."""
    x = fit.design.X.to_numpy()
    j = list(fit.design.X.columns).index("size")
    beta = fit.coef.to_numpy().copy()
    beta[j] = slope
    n, k = x.shape
    errors = math.sqrt(fit.result.scale) * np.random.default_rng(0).standard_normal((sims, n))
    xtx_inv = np.linalg.inv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    verdicts = []
    for e in errors:
        y = x @ beta + e
        b = xtx_inv @ x.T @ y
        resid = y - x @ b
        meat = (x * (resid / (1 - h))[:, None] ** 2).T @ x
        se = math.sqrt((xtx_inv @ meat @ xtx_inv)[j, j])
        p = 2 * stats.t.sf(abs(b[j] / se), n - k)
        scale = np.std(x[:, j], ddof=1) / np.std(y, ddof=1)
        test = judge_size(
            b[j], se, p, b[j] * scale, se * scale, n - k, sesoi_points=sesoi_points, scale=scale
        )
        verdicts.append(test.verdict)
    return np.asarray(verdicts)


NEGLIGIBLE = ["negligible", "significant_but_negligible"]


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_sesoi_in_points_judges_each_sample_as_the_analysis_does(sign):
    """With ``sesoi_points`` the real analysis converts the bound with each fit's own SDs; the
    simulations must judge each sample the same way, and simulate "twice the SESOI" as twice
    the bound in points (a raw slope of 2 * 8 / ln 10). Sample by sample on the simulator's own
    errors, so the shares agree exactly (one sample of slack for a rounding tie).

    Failed before the fix on this design (n = 60, size correlated 0.7 with the rest): one
    standardized bound for every sample and a world at twice the standardized bound gave
    0.99 decisive where the analysis' rule gives 0.69, and 0.26 negligible against 0.37."""
    fit, sims, points = correlated_fit(60, 0.7, 3), 300, 8.0
    sens = sensitivity(fit, sesoi_points=points, simulations=sims, seed=0, effect_sign=sign)
    slope = 2 * sign * points / math.log(10)
    assert sens.power_decisive_at_points == pytest.approx(2 * sign * points, rel=1e-12)
    assert sens.power_decisive_at_std == _Simulator(fit, 2, 0).effect(slope)
    decisive = _raw_verdicts_on_the_simulator_s_errors(fit, slope, points, sims) == "decisive"
    assert 0.1 < decisive.mean() < 0.9  # a share the comparison can tell apart
    assert sens.power_decisive == pytest.approx(decisive.mean(), abs=1 / sims)
    at_zero = _raw_verdicts_on_the_simulator_s_errors(fit, 0.0, points, sims)
    negligible = np.isin(at_zero, NEGLIGIBLE)
    assert 0.1 < negligible.mean() < 0.9
    assert sens.power_negligible == sens.tost_power
    assert sens.power_negligible == pytest.approx(negligible.mean(), abs=1 / sims)


def test_the_power_curve_judges_a_sesoi_in_points_as_the_sensitivity_does():
    """The figure's "negligible" curve at a true effect of 0 is ``power_negligible``: with a
    SESOI in points, each sample judged on the raw scale (failed before: the curve compared
    every sample with one standardized bound, 0.26 where the rule gives 0.37 on this design)."""
    fit, sims, points = correlated_fit(60, 0.7, 3), 300, 8.0
    sens = sensitivity(fit, sesoi_points=points, simulations=sims, seed=0)
    curve = power_curve(fit, [0.0], simulations=sims, seed=0, sesoi=sens.sesoi, sesoi_points=points)
    assert curve.loc[0, "negligible"] == sens.power_negligible
    standardized = power_curve(fit, [0.0], simulations=sims, seed=0, sesoi=sens.sesoi)
    assert standardized.loc[0, "negligible"] != sens.power_negligible


@pytest.mark.slow
def test_a_sesoi_in_points_agrees_with_an_independent_monte_carlo():
    """The same, against samples drawn independently and analysed by the package's own
    ``fit_ols`` and ``test_size(fit, sesoi_points=...)``: 2000 vectorized simulations against
    1000 looped ones, whose shares differ by a binomial error of sd
    sqrt(p (1 - p) (1/2000 + 1/1000)) <= 0.0194 (4 sds: 0.078; the flawed rule was off by
    0.31 decisive and 0.11 negligible here)."""
    fit, points, looped = correlated_fit(60, 0.7, 3), 8.0, 1000
    sens = sensitivity(fit, sesoi_points=points, simulations=2000, seed=3, effect_sign=1.0)
    x = fit.design.X
    rng = np.random.default_rng(123)
    sigma = math.sqrt(fit.result.scale)
    for slope, key, wanted in (
        (2 * points / math.log(10), "decisive", sens.power_decisive),
        (0.0, "negligible", sens.power_negligible),
    ):
        beta = fit.coef.copy()
        beta["size"] = slope
        mean = x.to_numpy() @ beta.to_numpy()
        verdicts = []
        for _ in range(looped):
            y = pd.Series(mean + sigma * rng.standard_normal(len(mean)))
            one = fit_ols(Design(y=y, X=x, groups={}))
            verdicts.append(test_size(one, sesoi_points=points).verdict)
        share = np.isin(verdicts, NEGLIGIBLE if key == "negligible" else ["decisive"]).mean()
        assert 0.1 < share < 0.9, key
        assert wanted == pytest.approx(share, abs=4 * 0.0194), key


def test_a_sesoi_in_points_always_has_a_world_at_twice_it():
    """Raked panel (synthetic seed 1), ``sesoi_points`` 25: twice the bound converted with
    the observed SDs is a standardized 1.26, which no world has in the direction of the
    estimate (rho > 0), so the flawed rule left ``power_decisive`` null; a world with raw slope
    2 * 25 / ln 10 exists (standardized ~0.62) and gets a share."""
    codebook = load_codebook()
    scored = score_survey(
        generate(design="barometre-2025", seed=1, with_truth=False).data, codebook
    )
    design = build_design(scored)
    weighted = fit_ols(design, weights=rake(scored, load_frame("epci")))
    plain = fit_ols(design)
    sign = test_size(weighted, sesoi_points=25.0).std_coef
    sens = sensitivity(weighted, sesoi_points=25.0, simulations=200, seed=1, effect_sign=sign)
    # the bound is converted with the unweighted fit's SDs, the sample the simulations start from
    expected = 25.0 / math.log(10) * np.std(design.X["size"], ddof=1) / np.std(design.y, ddof=1)
    assert sens.sesoi == pytest.approx(expected, rel=1e-12) and sens.sesoi_points == 25.0
    flawed = sensitivity(plain, sesoi=sens.sesoi, simulations=200, seed=1, effect_sign=sign)
    assert math.isnan(flawed.power_decisive)  # the case the flawed rule could not simulate
    assert sens.power_decisive_at_points == pytest.approx(50.0 if sign >= 0 else -50.0)
    slope = sens.power_decisive_at_points / math.log(10)
    assert sens.power_decisive_at_std == _Simulator(plain, 2, 0).effect(slope)
    assert abs(sens.power_decisive_at_std) < 1
    assert 0 <= sens.power_decisive <= 1
