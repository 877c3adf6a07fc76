"""The worlds of validation/estimand_calibration.py: their closed-form total, direct and
indirect effects of size are what a very large sample of them estimates."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))
from estimand_calibration import ZERO, A, World, estimate  # noqa: E402

WORLDS = {
    "total at +sesoi": World.with_total(0.2),
    "total at -sesoi": World.with_total(-0.2),
    "all through the means": World(0.0, a=tuple(4 * v for v in A)),
    "means independent of size": World.with_total(0.2, a=ZERO),
}


@pytest.mark.parametrize("tau", [-0.5, -0.2, 0.0, 0.1, 0.2, 0.5])
def test_a_world_built_for_a_total_effect_has_it(tau):
    world = World.with_total(tau)
    assert world.std_total == pytest.approx(tau, abs=1e-12)
    assert world.total_slope - world.direct_slope == pytest.approx(world.mediated_slope)


@pytest.mark.parametrize("name", list(WORLDS))
def test_closed_forms_match_a_very_large_sample(name):
    """40,000 collectivities: every estimate lies within 4 of its standard errors of the
    closed form (the indirect effect's SE read off its bootstrap interval)."""
    world = WORLDS[name]
    e = estimate(world, 40_000, np.random.default_rng(7), bootstrap=60, seed=1)
    assert e.total.coef == pytest.approx(world.total_slope, abs=4 * e.total.se_hc3)
    assert e.direct.coef == pytest.approx(world.direct_slope, abs=4 * e.direct.se_hc3)
    assert e.total.std_coef == pytest.approx(world.std_total, abs=4 * e.total.std_se)
    assert e.direct.std_coef == pytest.approx(world.std_direct, abs=4 * e.direct.std_se)
    low, high = e.indirect_ci90_points
    se = (high - low) / (2 * 1.645)
    assert e.indirect_points == pytest.approx(world.indirect_points, abs=4 * se)
    # the worlds are far enough apart for these tolerances to tell them apart
    assert 4 * e.total.std_se < 0.03
    assert 4 * se < 0.5 * max(abs(world.indirect_points), 1.0)
    assert math.isclose(sum(e.by_mean.values()), e.indirect_points, rel_tol=1e-9, abs_tol=1e-9)
