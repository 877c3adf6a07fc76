"""The fast paths of the compute agree with the straightforward computations they replace.

Each vectorised or hand-written routine is checked against a known answer: statsmodels fits
refitted one by one, or the simple formula the shortcut rewrites.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analyse.codebook import load_codebook
from analyse.regression import build_design, fit_ols
from analyse.scoring import score_survey
from analyse.sensitivity import _Simulator
from analyse.simulate import generate


@pytest.fixture(scope="module")
def scored():
    codebook = load_codebook()
    return score_survey(generate(design="barometre-2025", seed=3, with_truth=False).data, codebook)


@pytest.mark.parametrize("controls", [[], ["collectivity_type"]])
@pytest.mark.parametrize("effect", [0.0, 0.4])
def test_simulated_tests_match_statsmodels_refits(scored, controls, effect):
    """Each simulated sample, refitted by statsmodels (OLS, HC3, t), gives the same test."""
    fit = fit_ols(build_design(scored, controls=controls))
    simulations, seed = 30, 5
    sim = _Simulator(fit, simulations, seed)
    std_b, std_se, p = sim.tests(effect)
    x = fit.design.X
    beta = fit.coef.copy()
    beta["size"] = 0.0
    sd_y, sd_size = fit.design.y.std(ddof=1), x["size"].std(ddof=1)
    y0 = x.to_numpy() @ beta.to_numpy() + effect * sd_y / sd_size * x["size"].to_numpy()
    errors = np.sqrt(fit.result.scale) * np.random.default_rng(seed).standard_normal(
        (simulations, len(x))
    )
    for i in range(simulations):
        y = y0 + errors[i]
        res = sm.OLS(y, x).fit(cov_type="HC3", use_t=True)
        scale = sd_size / np.std(y, ddof=1)
        assert std_b[i] == pytest.approx(res.params["size"] * scale, rel=1e-9, abs=1e-12)
        assert std_se[i] == pytest.approx(res.bse["size"] * scale, rel=1e-9)
        assert p[i] == pytest.approx(res.pvalues["size"], rel=1e-8, abs=1e-14)


def test_power_counts_the_same_rejections_as_the_p_values(scored):
    sim = _Simulator(fit_ols(build_design(scored)), 2000, 0)
    for effect in (0.0, 0.2, 0.45, 1.0):
        for alpha in (0.05, 0.1):
            assert sim.power(effect, alpha) == float((sim.tests(effect)[2] < alpha).mean())
