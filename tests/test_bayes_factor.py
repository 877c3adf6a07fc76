"""The JZS Bayes factor BF01 of "size adds nothing": R's BayesFactor, a second integration,
Monte Carlo with a known error, and closed-form limits in the prior scale.

Reference values: tests/fixtures/r_bayes/ (``lmBF(reduced) / lmBF(full)`` with every column
numeric, and BayesFactor's ``linearReg.R2stat`` on a grid of n, p, R², r). BayesFactor integrates
at R's default tolerance, rel.tol = 1.22e-4, and its reported error is not a bound (it is up to
8 times too small on the grid), so BayesFactor's values are matched at 1.22e-4 (on the data
sets, where its reported error happens to cover it, at that error), and the fixture's own
tight integral (rel.tol 1e-12) at 1e-9.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from analyse.stats.nested import (
    DEFAULT_PRIOR_SCALE,
    compare_nested,
    jzs_bf01,
    jzs_log_bf10,
)
from analyse.stats.regression import Design, fit_ols, type_dummies

HERE = Path(__file__).parent / "fixtures"
BAYES = json.loads((HERE / "r_bayes" / "bayes_factor.json").read_text(encoding="utf-8"))
RTOL_BAYESFACTOR = BAYES["meta"]["rtol_bayesfactor"]  # eps^0.25, R's integrate() default
TERMS = ["size", "budget", "staff", "elected_digital_lead", "strategy_adopted"]
SCALES = ["medium", "one", "narrow"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "r_reference" / "data.csv")


def _fixture_fit(data: pd.DataFrame, controls: bool):
    x = data[TERMS].astype(float)
    if controls:
        x = pd.concat([x, type_dummies(data["collectivity_type"])], axis=1)
    x.insert(0, "Intercept", 1.0)
    return fit_ols(Design(y=data["maturity_index"].astype(float), X=x, groups={}))


def _synthetic_fit():
    """The 2000-row data set of bayes_factor.R, rebuilt from its formula (no RNG)."""
    n = 2000
    i = np.arange(n)

    def q(k: int, c: int) -> np.ndarray:
        return special.ndtri(((k * i + c) % n + 0.5) / n)

    size = q(1, 0)
    budget = 0.6 * size + 0.8 * q(7, 3)
    staff = 0.5 * budget + 0.7 * q(13, 5)
    y = 50 + 0.65 * size + 3 * budget + 2 * staff + 10 * q(1237, 11)
    x = pd.DataFrame({"Intercept": 1.0, "size": size, "budget": budget, "staff": staff})
    return fit_ols(Design(y=pd.Series(y), X=x, groups={}))


def _old_bic_bf01(full, reduced) -> float:
    """The unit-information BIC approximation that BF01 used to be (kept here to show why)."""
    return math.exp((full.result.bic - reduced.result.bic) / 2.0)


@pytest.mark.parametrize("variant", ["no_controls", "controls"])
@pytest.mark.parametrize("scale", SCALES)
def test_bf01_matches_bayesfactor_on_the_fixture(data, variant, scale):
    """Failed before: the old BIC value (4.95 without controls) is not BayesFactor's (3.13)."""
    expected = BAYES["fixture"][variant][scale]
    fit = _fixture_fit(data, variant == "controls")
    nested = compare_nested(fit, bf_prior_scale=expected["rscale"])
    assert fit.nobs == expected["n"] and fit.result.df_model == expected["p_full"]
    assert nested.r2_full == pytest.approx(expected["r2_full"], abs=1e-12)
    assert nested.r2_without_size == pytest.approx(expected["r2_without_size"], abs=1e-12)
    assert nested.bf01 == pytest.approx(expected["bf01_tight"], rel=1e-9)
    assert nested.bf01 == pytest.approx(expected["bf01"], rel=expected["bf01_error"])
    assert nested.bf_prior_scale == expected["rscale"]


@pytest.mark.parametrize("scale", SCALES)
def test_a_small_real_effect_is_not_called_evidence_for_none(scale):
    """n = 2000, a real size slope (t = 2.6, standardized about 0.06). The unit-information BIC
    approximation favours "no effect" (BF01 = 1.47 > 1); the JZS factor at the default scale
    does not (0.59). Failed before: the old bf01 was the BIC value."""
    expected = BAYES["synthetic"][scale]
    full = _synthetic_fit()
    nested = compare_nested(full, bf_prior_scale=expected["rscale"])
    assert full.result.rsquared == pytest.approx(expected["r2_full"], abs=1e-12)
    assert nested.bf01 == pytest.approx(expected["bf01_tight"], rel=1e-9)
    assert nested.bf01 == pytest.approx(expected["bf01"], rel=expected["bf01_error"])
    reduced = fit_ols(Design(y=full.design.y, X=full.design.X.drop(columns="size"), groups={}))
    assert _old_bic_bf01(full, reduced) == pytest.approx(expected["bf01_bic"], rel=1e-9)
    if scale == "medium":
        assert expected["bf01_bic"] > 1.4 and nested.bf01 < 0.6


@pytest.mark.parametrize(
    "case", BAYES["grid"], ids=lambda c: "n{n}-p{p}-R2{r2}-r{rscale:.3g}".format(**c)
)
def test_log_bf10_matches_bayesfactor_over_n_p_r2_and_scale(case):
    """n from 55 to 5000 and R² from 0.001 to 0.999: no overflow, no loss of 1 - R²."""
    log_bf, error = jzs_log_bf10(case["n"], case["p"], case["r2"], case["rscale"])
    assert error < 1e-9
    assert log_bf == pytest.approx(case["log_bf10_tight"], rel=1e-9, abs=1e-9)
    assert math.exp(log_bf - case["log_bf10"]) == pytest.approx(1.0, abs=RTOL_BAYESFACTOR)


def _bf10_over_prior_quantiles(n: int, p: int, r2: float, rscale: float) -> float:
    """BF10 as the mean of the likelihood ratio over the prior: ∫_0^1 L(g(v)) dv, g(v) the v-th
    quantile of the inverse-gamma(1/2, r² n / 2) prior. No change of variable to log g, no
    Jacobian: a different integrand from the package's, bounded by L at its maximum."""
    b = rscale**2 * n / 2.0

    def log_lik(g):
        return 0.5 * (n - p - 1) * np.log1p(g) - 0.5 * (n - 1) * np.log1p(g * (1.0 - r2))

    g_hat = max(((n - p - 1) - (n - 1) * (1.0 - r2)) / (p * (1.0 - r2)), 0.0)
    top = float(log_lik(g_hat))
    v_hat = float(special.gammaincc(0.5, b / g_hat)) if g_hat > 0 else 0.0  # prior CDF at g_hat

    def integrand(v: float) -> float:
        g = b / special.gammainccinv(0.5, v)  # P(g <= x) = Q(1/2, b/x)
        return float(np.exp(log_lik(g) - top))

    pieces = [(0.0, v_hat), (v_hat, 1.0)] if 0 < v_hat < 1 else [(0.0, 1.0)]
    total = sum(
        integrate.quad(integrand, a, c, epsabs=0, epsrel=1e-11, limit=500)[0] for a, c in pieces
    )
    return top + math.log(total)


@pytest.mark.parametrize(
    ("n", "p", "r2", "rscale"),
    [(146, 5, 0.614, DEFAULT_PRIOR_SCALE), (55, 6, 0.63, 1.0), (1225, 2, 0.467, 0.2),
     (2000, 3, 0.52, DEFAULT_PRIOR_SCALE), (60, 1, 0.01, DEFAULT_PRIOR_SCALE)],
)  # fmt: skip
def test_a_second_integration_on_the_prior_quantile_scale_agrees(n, p, r2, rscale):
    log_bf, _ = jzs_log_bf10(n, p, r2, rscale)
    assert log_bf == pytest.approx(_bf10_over_prior_quantiles(n, p, r2, rscale), abs=1e-7)


def test_monte_carlo_over_the_prior_agrees_within_its_standard_error():
    """g = r² n / z² with z standard normal is a draw from the prior; BF10 = E[L(g)]."""
    n, p, r2, rscale = 60, 2, 0.08, DEFAULT_PRIOR_SCALE
    z = np.random.default_rng(20250909).standard_normal(400_000)
    g = rscale**2 * n / z**2
    lik = np.exp(0.5 * (n - p - 1) * np.log1p(g) - 0.5 * (n - 1) * np.log1p(g * (1 - r2)))
    estimate, se = lik.mean(), lik.std(ddof=1) / math.sqrt(len(lik))
    exact = math.exp(jzs_log_bf10(n, p, r2, rscale)[0])
    assert abs(estimate - exact) < 4 * se and se < 0.01 * exact


@pytest.mark.parametrize(("r2_full", "r2_reduced"), [(0.614, 0.610), (0.05, 0.01)])
def test_as_the_prior_scale_shrinks_to_zero_bf01_tends_to_one(r2_full, r2_reduced):
    """A prior concentrated on no effect makes both models the null: BF10 -> 1 for each."""
    assert jzs_log_bf10(146, 5, r2_full, 1e-40)[0] == pytest.approx(0.0, abs=1e-12)
    assert jzs_bf01(146, 5, r2_full, r2_reduced, 1e-40) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("n", "p", "r2_full", "r2_reduced"), [(146, 5, 0.614, 0.610), (55, 6, 0.63, 0.60)]
)
def test_as_the_prior_scale_grows_bf01_has_the_closed_form_of_the_lindley_limit(
    n, p, r2_full, r2_reduced
):
    """For r -> inf the likelihood ratio tends to g^(-p/2) (1-R²)^(-(n-1)/2) over the prior's
    mass, and E[g^(-p/2)] = Γ((p+1)/2) / (Γ(1/2) b^(p/2)), b = r² n / 2, so
    BF01 -> ((1-R²_full)/(1-R²_reduced))^((n-1)/2) Γ(p/2) / Γ((p+1)/2) b^(1/2): linear in r."""
    r = 1e5
    b = r**2 * n / 2
    closed = math.exp(
        0.5 * (n - 1) * (math.log1p(-r2_full) - math.log1p(-r2_reduced))
        + special.gammaln(p / 2)
        - special.gammaln((p + 1) / 2)
        + 0.5 * math.log(b)
    )
    assert jzs_bf01(n, p, r2_full, r2_reduced, r) == pytest.approx(closed, rel=1e-7)


def test_bf01_grows_with_the_prior_scale_and_is_reported_with_it(data):
    fit = _fixture_fit(data, False)
    values = [compare_nested(fit, bf_prior_scale=r).bf01 for r in (0.2, DEFAULT_PRIOR_SCALE, 1.0)]
    assert values == sorted(values)
    assert compare_nested(fit).bf_prior_scale == DEFAULT_PRIOR_SCALE


def test_no_bayes_factor_with_survey_weights(data):
    """A weighted fit is a pseudo-likelihood: no Bayes factor."""
    weights = pd.Series(np.linspace(0.5, 1.5, len(data)), index=data.index)
    fit = _fixture_fit(data, False)
    weighted = fit_ols(fit.design, weights=weights)
    assert compare_nested(weighted, weights=weights).bf01 is None


def test_jzs_log_bf10_refuses_impossible_inputs():
    assert jzs_log_bf10(50, 0, 0.0, 1.0) == (0.0, 0.0)
    for args in [(50, 2, 1.0, 0.3), (50, 2, -0.1, 0.3), (4, 3, 0.5, 0.3), (50, 2, 0.5, 0.0)]:
        with pytest.raises(ValueError):
            jzs_log_bf10(*args)


def test_results_json_reports_bf01_with_its_prior_scale_and_null_when_weighted():
    from analyse.data import simulate
    from analyse.data.codebook import load_codebook
    from analyse.data.reference import load_frame
    from analyse.data.scoring import score_survey
    from analyse.report.tables import nested_summary
    from analyse.stats.claim import analyse_claim, to_results
    from analyse.stats.weights import rake

    codebook = load_codebook()
    scored = score_survey(
        simulate.generate("random", seed=2, n=300, with_truth=False).data, codebook
    )
    kwargs = {"bootstrap": 0, "simulations": 20, "bf_prior_scale": 0.5}
    plain = analyse_claim(scored, codebook, **kwargs)
    nested = to_results(plain)["nested"]
    assert nested["bf_prior_scale"] == 0.5 and nested["bf01"] == plain.nested.bf01 > 0
    assert "r = 0.5" in nested_summary(plain).index[-1]
    weights = rake(scored[scored["maturity_index"].notna()], load_frame("epci"))
    weighted = analyse_claim(scored, codebook, weights=weights, **kwargs)
    assert to_results(weighted)["nested"]["bf01"] is None
    table = nested_summary(weighted)
    assert "not computed with survey weights" in table.index[-1]
    assert math.isnan(table["value"].iloc[-1])
