"""The power curve reuses the sensitivity simulations: it agrees with the MDE and the TOST power."""

from __future__ import annotations

import numpy as np
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.stats.regression import build_design, fit_ols
from analyse.stats.sensitivity import _Simulator, power_curve, sensitivity


@pytest.fixture(scope="module")
def fit():
    codebook = load_codebook()
    scored = score_survey(
        generate(design="barometre-2025", seed=2, with_truth=False).data, codebook
    )
    return fit_ols(build_design(scored))


def test_power_at_zero_effect_is_the_test_size(fit):
    curve = power_curve(fit, [0.0], alpha=0.05, simulations=4000, seed=1)
    # HC3 t tests hold their level closely; 4000 draws give a standard error of 0.0035.
    assert curve.loc[0, "power"] == pytest.approx(0.05, abs=0.02)


def test_curve_crosses_the_chosen_power_at_the_mde_of_each_direction(fit):
    sens = sensitivity(fit, sesoi=0.2, alpha=0.05, power=0.8, simulations=1000, seed=4)
    at = [-sens.mde_std_negative, sens.mde_std_positive]
    curve = power_curve(fit, at, alpha=0.05, simulations=1000, seed=4)
    assert list(curve["power"]) == pytest.approx([0.8, 0.8], abs=0.005)
    assert sens.mde_std == max(sens.mde_std_negative, sens.mde_std_positive)


def test_negligible_at_zero_is_the_tost_power(fit):
    sens = sensitivity(fit, sesoi=0.3, alpha=0.05, simulations=1000, seed=9)
    curve = power_curve(fit, [0.0], alpha=0.05, simulations=1000, seed=9, sesoi=0.3)
    assert curve.loc[0, "negligible"] == sens.tost_power


def test_power_grows_with_the_effect_and_is_symmetric_in_the_raw_slope(fit):
    """On the standardized scale the two directions differ (size correlates with the other
    terms, see analyse.stats.sensitivity); in the raw slope the t test is symmetric."""
    effects = np.linspace(0, 0.95, 7)
    up = power_curve(fit, effects, simulations=1000, seed=0)
    down = power_curve(fit, -effects, simulations=1000, seed=0)
    assert list(up["effect"]) == pytest.approx(list(effects))
    assert np.all(np.diff(up["power"]) >= 0)
    assert np.all(np.diff(down["power"]) >= 0)
    assert up["power"].iloc[-1] > 0.95
    sim = _Simulator(fit, 1000, 0)
    slopes = np.array([sim.slope(e) for e in effects[1:]])
    mirrored = power_curve(
        fit, [sim.effect(-b) for b in slopes], simulations=1000, seed=0
    )  # the effects of the opposite slopes
    assert np.allclose(up["power"].iloc[1:], mirrored["power"], atol=0.05)


def test_columns_without_and_with_sesoi(fit):
    assert list(power_curve(fit, [0.1], simulations=50).columns) == ["effect", "power"]
    assert list(power_curve(fit, [0.1], simulations=50, sesoi=0.2).columns) == [
        "effect",
        "power",
        "negligible",
    ]
