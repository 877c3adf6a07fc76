"""Equivalence test, verdicts, sensitivity and bootstrap: closed forms and known truths."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyse.stats.equivalence import (
    VERDICTS,
    equivalence_interval,
    judge_size,
    minimal_effect_test,
    points_from_sesoi,
    sesoi_from_points,
    test_size,
    tost,
    verdict,
)
from analyse.stats.importance import relative_importance
from analyse.stats.regression import fit_ols
from analyse.stats.sensitivity import sensitivity

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))
from verdict_calibration import linear_sample  # noqa: E402


@pytest.mark.parametrize(
    ("p_zero", "p_tost", "p_met", "expected"),
    [
        (0.50, 0.01, 0.99, "negligible"),
        (0.01, 0.01, 0.99, "significant_but_negligible"),
        (0.001, 0.99, 0.01, "decisive"),
        (0.01, 0.50, 0.30, "significant_undetermined"),
        (0.50, 0.50, 0.50, "inconclusive"),
        (0.05, 0.05, 0.05, "inconclusive"),  # p equal to alpha does not reject
    ],
)
def test_verdict_table(p_zero, p_tost, p_met, expected):
    assert verdict(p_zero, p_tost, p_met, 0.05) == expected
    assert expected in VERDICTS


def _judge(std_coef: float, std_se: float, df: float = 1000.0, sesoi: float = 0.2):
    p = float(2 * stats.t.sf(abs(std_coef / std_se), df))
    return judge_size(std_coef, std_se, p, std_coef, std_se, df, sesoi=sesoi, alpha=0.05)


def test_an_effect_different_from_zero_but_not_beyond_the_sesoi_is_not_decisive():
    """The review's example: 0.25 with 90 % interval [0.11, 0.39] straddles the SESOI 0.2, so
    it is not shown to reach it (the four-verdict rule called it decisive)."""
    se = 0.14 / stats.t.ppf(0.95, 1000)
    test = _judge(0.25, se)
    low, high = equivalence_interval(test)
    assert (round(low, 2), round(high, 2)) == (0.11, 0.39)
    assert test.verdict == "significant_undetermined"
    assert test.direction == "positive"


@pytest.mark.parametrize(
    ("estimate", "expected", "direction"),
    [
        (0.45, "decisive", "positive"),
        (-0.45, "decisive", "negative"),
        (0.02, "negligible", None),
        (0.11, "significant_but_negligible", "positive"),
        (-0.25, "significant_undetermined", "negative"),
    ],
)
def test_each_verdict_reads_the_interval(estimate, expected, direction):
    test = _judge(estimate, 0.05)
    low, high = equivalence_interval(test)
    assert test.verdict == expected
    assert test.direction == direction
    assert (test.met_p < 0.05) == (low > 0.2 or high < -0.2)
    assert (test.tost_p < 0.05) == (low > -0.2 and high < 0.2)


def test_decisive_needs_the_test_of_zero_when_the_sesoi_is_tiny():
    """With sesoi 0.01 and SE 0.13 the 90 % interval clears +sesoi (one-sided at alpha) while
    the two-sided test of zero does not reject: not "decisive" beside p = 0.079."""
    test = _judge(0.229, 0.13, sesoi=0.01)
    assert test.met_p < 0.05 < test.p
    assert test.verdict == "inconclusive"
    assert test.direction is None


def test_minimal_effect_test_closed_form():
    p_above, p_below, p = minimal_effect_test(0.5, 0.1, 0.2, 50)
    assert p_above == pytest.approx(stats.t.sf(3.0, 50))
    assert p_below == pytest.approx(stats.t.cdf(7.0, 50))
    assert p == pytest.approx(min(p_above, p_below))
    # the complement of the TOST's one-sided tests
    p_lower, p_upper, _ = tost(0.5, 0.1, 0.2, 50)
    assert p_above == pytest.approx(1 - p_upper)
    assert p_below == pytest.approx(1 - p_lower)


@pytest.mark.slow  # a simulation of the level: about 2 s
@pytest.mark.parametrize("effect", [0.2, -0.2])
def test_decisive_is_not_liberal_at_the_bound(effect):
    """With the true standardized effect exactly on a bound, "decisive" in at most ~alpha of
    samples (the four-verdict rule called it decisive in most large samples)."""
    rng = np.random.default_rng(12)
    decisive = [
        test_size(fit_ols(linear_sample(1000, effect, rng))).verdict == "decisive"
        for _ in range(300)
    ]
    # 300 draws at alpha 0.05: mean 15, P(X > 27) < 0.2 % under a correct test
    assert sum(decisive) <= 27


def test_tost_closed_form():
    p_lower, p_upper, p = tost(0.05, 0.1, 0.2, 50)
    assert p_lower == pytest.approx(stats.t.sf(2.5, 50))
    assert p_upper == pytest.approx(stats.t.cdf(-1.5, 50))
    assert p == pytest.approx(max(p_lower, p_upper))


def test_tost_rejects_iff_the_90_percent_interval_is_inside_the_bounds():
    rng = np.random.default_rng(3)
    for _ in range(30):
        fit = fit_ols(linear_sample(int(rng.integers(40, 400)), rng.uniform(-0.3, 0.3), rng))
        test = test_size(fit, sesoi=0.2, alpha=0.05)
        low, high = equivalence_interval(test)
        assert (test.tost_p < 0.05) == (low > -0.2 and high < 0.2)


@pytest.mark.parametrize(
    ("n", "effect", "expected"),
    [(5000, 0.0, "negligible"), (500, 0.5, "decisive"), (20, 0.0, "inconclusive")],
)
def test_verdict_recovers_the_known_truth(n, effect, expected):
    """Most of 40 samples reach the right verdict (validation/ checks it over many more)."""
    rng = np.random.default_rng(n)
    got = [test_size(fit_ols(linear_sample(n, effect, rng))).verdict for _ in range(40)]
    assert got.count(expected) >= 34, got


@pytest.mark.slow  # a simulation of the level: about 2 s
def test_tost_is_not_liberal_at_the_bound():
    rng = np.random.default_rng(11)
    rejections = [
        test_size(fit_ols(linear_sample(400, 0.2, rng))).tost_p < 0.05 for _ in range(300)
    ]
    # 300 draws at alpha 0.05: mean 15, P(X > 27) < 0.2 % under a correct test
    assert sum(rejections) <= 27


def test_minimum_detectable_effect_matches_the_normal_approximation():
    fit = fit_ols(linear_sample(300, 0.0, np.random.default_rng(5)))
    test = test_size(fit)
    result = sensitivity(fit, sesoi=0.2, alpha=0.05, power=0.8, simulations=4000, seed=1)
    approx = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * test.std_se
    assert result.mde_std == pytest.approx(approx, rel=0.12)
    assert 0.0 <= result.tost_power <= 1.0


def test_tost_power_grows_with_the_sample():
    small = sensitivity(fit_ols(linear_sample(56, 0.0, np.random.default_rng(1))), seed=2)
    large = sensitivity(fit_ols(linear_sample(2000, 0.0, np.random.default_rng(1))), seed=2)
    assert small.tost_power < 0.2 < 0.9 < large.tost_power
    assert large.mde_std < small.mde_std


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    design = linear_sample(150, 0.1, np.random.default_rng(8))
    design.groups = {
        "size": ["size"],
        "budget": ["budget"],
        "staff": ["staff"],
        "sponsorship": ["elected_digital_lead", "strategy_adopted"],
    }
    a = relative_importance(design, bootstrap=300, seed=4)
    b = relative_importance(design, bootstrap=300, seed=4)
    assert a.draws.equals(b.draws)
    assert ((a.intervals["low"] <= a.shares) & (a.shares <= a.intervals["high"])).all()
    assert a.shares.sum() == pytest.approx(fit_ols(design).r2)
    assert set(a.prob_size_below.index) == {"budget", "staff", "sponsorship"}


@pytest.mark.parametrize("weighted", [False, True])
def test_a_sesoi_in_points_reads_the_points_interval_against_it(weighted):
    """With ``sesoi_points`` P the standardized bound is P / ln 10 * sd(size) / sd(index) (SDs
    weighted like the fit), so the verdict is the one read from the interval in index points
    for a tenfold population, ln 10 (b -+ t se), against ±P: inside iff the TOST rejects,
    beyond iff the minimal-effect test does."""
    rng = np.random.default_rng(21)
    for _ in range(40):
        design = linear_sample(int(rng.integers(40, 300)), rng.uniform(-0.4, 0.4), rng)
        w = pd.Series(rng.uniform(0.2, 3.0, len(design.y)), index=design.y.index)
        fit = fit_ols(design, weights=w if weighted else None)
        points = float(rng.uniform(1.0, 15.0))
        test = test_size(fit, sesoi_points=points, alpha=0.05)
        x, y = design.X["size"].to_numpy(), design.y.to_numpy()
        aweights = w.to_numpy() if weighted else None
        ratio = math.sqrt(np.cov(x, aweights=aweights) / np.cov(y, aweights=aweights))
        assert test.sesoi == pytest.approx(points / math.log(10) * ratio, rel=1e-12)
        assert test.sesoi_points == points
        q = stats.t.ppf(0.95, fit.df_resid)
        low, high = (math.log(10) * (test.coef + k * q * test.se_hc3) for k in (-1, 1))
        assert (test.tost_p < 0.05) == (-points < low and high < points)
        assert (test.met_p < 0.05) == (low > points or high < -points)
        # the same test as the standardized bound it converts to
        same = test_size(fit, sesoi=test.sesoi, alpha=0.05)
        assert same.verdict == test.verdict
        assert (same.tost_p, same.met_p) == pytest.approx((test.tost_p, test.met_p), rel=1e-9)
        assert same.sesoi_points == pytest.approx(points, rel=1e-12)  # converted back


def test_points_and_standardized_bounds_convert_both_ways():
    assert sesoi_from_points(25.0, 0.5) == pytest.approx(25.0 / math.log(10) * 0.5)
    assert points_from_sesoi(sesoi_from_points(25.0, 0.37), 0.37) == pytest.approx(25.0)
    assert math.isnan(points_from_sesoi(0.2, 0.0))
    # judge_size converts with the scale it is given (the curve's band specifications give
    # ln population's), else with std_se / se
    test = judge_size(1.0, 0.5, 0.04, 0.3, 0.15, 50.0, sesoi_points=10.0)
    assert test.sesoi == pytest.approx(10.0 / math.log(10) * 0.3)
    other = judge_size(1.0, 0.5, 0.04, 0.3, 0.15, 50.0, sesoi_points=10.0, scale=0.1)
    assert other.sesoi == pytest.approx(10.0 / math.log(10) * 0.1)
