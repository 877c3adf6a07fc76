"""Raking reaches the frame's margins; the specification curve covers every combination."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyse.data import simulate
from analyse.data.bands import population_band
from analyse.data.codebook import load_codebook
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.stats.robustness import CHOICES, specification_curve
from analyse.stats.weights import rake


@pytest.fixture(scope="module")
def frame():
    return load_frame("epci")


def _shares(values: pd.Series, weights: pd.Series) -> pd.Series:
    return weights.groupby(values.astype(str).to_numpy()).sum() / weights.sum()


def test_single_margin_raking_has_the_closed_form():
    sample = pd.DataFrame(
        {"collectivity_type": ["CC", "CC", "CA", "CA", "CA", "CA"], "population": [10_000] * 6}
    )
    frame = pd.DataFrame({"collectivity_type": ["CC"] * 3 + ["CA"], "population": [10_000] * 4})
    w = rake(sample, frame, margins=("collectivity_type",))
    # target shares 3/4 and 1/4 over sample shares 1/3 and 2/3, rescaled to mean 1
    raw = np.array([0.75 / (2 / 6)] * 2 + [0.25 / (4 / 6)] * 4)
    np.testing.assert_allclose(w.to_numpy(), raw / raw.mean())
    assert w.attrs["converged"]


def test_raking_matches_both_margins_on_a_random_sample(frame):
    data = simulate.generate("random", seed=1, n=300, with_truth=False).data
    w = rake(data, frame)
    assert w.attrs["converged"]
    assert w.mean() == pytest.approx(1.0)
    for margin, values in (
        ("collectivity_type", data["collectivity_type"]),
        ("band", population_band(data["population"])),
    ):
        fvalues = frame[margin] if margin != "band" else population_band(frame["population"])
        target = fvalues.astype(str).value_counts(normalize=True)
        got = _shares(values, w)
        pd.testing.assert_series_equal(
            got.sort_index(),
            target.sort_index(),
            check_names=False,
            atol=1e-7,
            check_dtype=False,
            check_index_type=False,
        )


def test_raking_refuses_types_absent_from_the_frame(frame):
    sample = pd.DataFrame({"collectivity_type": ["region"], "population": [1_000_000]})
    with pytest.raises(ValueError, match="region"):
        rake(sample, frame)


def test_specification_curve_covers_every_combination(frame):
    codebook = load_codebook()
    data = simulate.generate("random", seed=4, n=400, with_truth=False).data
    curve = specification_curve(score_survey(data, codebook), frame)
    assert len(curve) == np.prod([len(v) for v in CHOICES.values()])
    assert curve["std_coef"].is_monotonic_increasing
    assert set(curve["verdict"]) <= {
        "negligible",
        "significant_but_negligible",
        "decisive",
        "inconclusive",
    }
    raked = curve[curve["weights"] == "raked"]
    assert raked["weights_converged"].all()  # a random sample can meet the frame's margins
    assert curve.loc[curve["weights"] == "none", "weights_converged"].isna().all()
    trimmed = curve[curve["sample"] == "trim_2pct"]["n"]
    assert (trimmed < curve[curve["sample"] == "all"]["n"].max()).all()


def test_specification_curve_skips_raking_without_a_frame():
    codebook = load_codebook()
    data = simulate.generate("random", seed=4, n=200, with_truth=False).data
    curve = specification_curve(score_survey(data, codebook), None)
    assert set(curve["weights"]) == {"none"}
    assert curve.attrs["skipped"]["raked"] == "no reference frame given"


def test_raked_run_reports_whether_raking_converged(frame):
    from analyse.stats.claim import analyse_claim, to_results

    codebook = load_codebook()
    scored = score_survey(
        simulate.generate("random", seed=2, n=300, with_truth=False).data, codebook
    )
    weights = rake(scored[scored["maturity_index"].notna()], frame)
    results = to_results(
        analyse_claim(scored, codebook, bootstrap=20, simulations=200, weights=weights)
    )
    assert results["weighted_parts"] == ["ols", "size", "nested"]
    assert results["weights_converged"] is True
    assert results["weights"] == {
        "method": "raking",
        "kish_n": weights.attrs["kish_n"],
        "max_ratio": weights.attrs["max_ratio"],
        "collapsed": weights.attrs["collapsed"],
        "dropped": weights.attrs["dropped"],
    }
    assert results["nested"]["bf01"] is None  # no Bayes factor from a weighted pseudo-likelihood
    unweighted = to_results(analyse_claim(scored, codebook, bootstrap=20, simulations=200))
    assert unweighted["weights_converged"] is None
    assert unweighted["weights"] is None and unweighted["nested"]["bf01"] > 0
    assert unweighted["size"]["coef"] != results["size"]["coef"]
