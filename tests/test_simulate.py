"""The synthetic survey: reproducible, calibrated, anonymous, and faithful to its known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analyse.data import simulate
from analyse.data.codebook import load_codebook
from analyse.data.contract import COLUMN_NAMES
from analyse.data.scoring import score_survey, share_at_least
from analyse.data.terms import model_terms


def test_same_seed_same_bytes_and_different_seeds_differ(tmp_path):
    paths = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        sv = simulate.generate("random", seed=seed, n=80)
        paths.append(simulate.write(sv, tmp_path / f"{name}.csv"))
    (a, ta), (b, tb), (c, _) = paths
    assert a.read_bytes() == b.read_bytes()
    assert ta.read_bytes() == tb.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_designs_have_the_promised_units():
    baro = simulate.generate("barometre-2025", seed=3, with_truth=False).data
    assert len(baro) == 56
    counts = baro["collectivity_type"].value_counts().to_dict()
    assert counts == simulate.BAROMETRE_2025_QUOTAS
    census = simulate.generate("census-epci", seed=3, with_truth=False).data
    assert len(census) == 1255
    rnd = simulate.generate("random", seed=3, n=100, with_truth=False).data
    assert len(rnd) == 100


def test_no_real_identity_is_attached():
    data = simulate.generate("census-epci", seed=1, with_truth=False).data
    assert "siren" not in data.columns and "name" not in data.columns
    assert data["respondent_id"].str.fullmatch(r"SYN-\d{4}").all()
    assert data["respondent_id"].is_unique


def test_columns_follow_the_contract(codebook):
    data = simulate.generate("barometre-2025", seed=1, with_truth=False).data
    contract = [c for c in data.columns if c in COLUMN_NAMES]
    assert set(contract) >= {
        "respondent_id",
        "collectivity_type",
        "population",
        "budget_per_capita",
    }
    assert [c for c in data.columns if c not in COLUMN_NAMES] == codebook.item_columns


def test_unknown_design_and_bad_n_are_user_errors():
    from analyse.errors import InputError

    with pytest.raises(InputError, match="unknown design"):
        simulate.generate("everyone", seed=1, with_truth=False)
    with pytest.raises(InputError, match="1 <= n"):
        simulate.generate("random", seed=1, n=0, with_truth=False)


@pytest.mark.slow  # over 2 s
def test_calibration_matches_published_shares_on_average(codebook):
    """Mean share at level >= 2 over 100 panels is within 3 points of each published figure."""
    shares = [
        share_at_least(
            simulate.generate("barometre-2025", seed=s, with_truth=False).data, codebook, 2
        )
        for s in range(100)
    ]
    mean = pd.DataFrame(shares).astype(float).mean()
    for theme, target in simulate.PUBLISHED_2025_SHARES.items():
        assert abs(mean[theme] - target) < 0.03, (theme, mean[theme], target)


def test_budget_follows_ofgl_medians_by_type():
    data = pd.concat(
        [simulate.generate("census-epci", seed=s, with_truth=False).data for s in range(5)]
    )
    medians = data.groupby("collectivity_type")["budget_per_capita"].median()
    for ctype, (_, median, _) in simulate.OFGL_BUDGET_QUANTILES.items():
        assert medians[ctype] == pytest.approx(median, rel=0.05)


def test_size_is_correlated_with_the_means():
    data = simulate.generate("census-epci", seed=11, with_truth=False).data
    terms = model_terms(data)
    corr = terms.corr()["size"]
    assert corr["staff"] > 0.1
    assert corr["elected_digital_lead"] > 0.1
    assert corr["strategy_adopted"] > 0.1
    assert corr["budget"] > 0.1  # through type, as across real EPCI


def _ols_hc3(data, codebook):
    scored = score_survey(data, codebook)
    scored = scored[scored["maturity_index"].notna()]
    x = sm.add_constant(model_terms(scored)).rename(columns={"const": "Intercept"})
    return sm.OLS(scored["maturity_index"].astype(float), x).fit(cov_type="HC3")


def test_truth_is_recovered_on_the_census(codebook):
    """95 % intervals cover the index-scale truth in most seeds (the full check, over many
    seeds, is scripts/validate_simulation.py)."""
    truth = simulate.generate("census-epci", seed=0).truth["index_scale"]["coefficients"]
    seeds = range(20)
    hits = {k: 0 for k in truth}
    for seed in seeds:
        ci = _ols_hc3(
            simulate.generate("census-epci", seed=seed, with_truth=False).data, codebook
        ).conf_int()
        for k, v in truth.items():
            hits[k] += ci.loc[k, 0] <= v <= ci.loc[k, 1]
    for k, h in hits.items():
        assert h >= 16, (k, h)  # P(fewer than 16 of 20 | 95 % coverage) < 0.3 %


@pytest.mark.slow  # over 2 s
def test_size_effect_parameter_moves_the_truth():
    null = simulate.generate("census-epci", seed=0, size_effect=0.0).truth
    big = simulate.generate("census-epci", seed=0, size_effect=0.5).truth
    assert null["latent_coefficients"]["size"] == 0.0
    assert big["latent_coefficients"]["size"] == 0.5
    assert abs(null["index_scale"]["std_coef_size"]) < 0.05
    assert big["index_scale"]["std_coef_size"] > 0.2
    # and the estimate follows it
    data = simulate.generate("census-epci", seed=5, size_effect=0.5, with_truth=False).data
    est = _ols_hc3(data, load_codebook()).params["size"]
    assert est == pytest.approx(big["index_scale"]["coefficients"]["size"], rel=0.35)


def test_truth_file_is_labelled_and_complete(tmp_path):
    sv = simulate.generate("barometre-2025", seed=2)
    _, tpath = simulate.write(sv, tmp_path / "s.csv")
    truth = json.loads(tpath.read_text(encoding="utf-8"))
    assert tpath.name == "s.truth.json"
    assert truth["synthetic"] is True
    assert set(truth["theme_offsets"]) == set(simulate.PUBLISHED_2025_SHARES)
    assert set(truth["index_scale"]["coefficients"]) == {
        "Intercept",
        "size",
        "budget",
        "staff",
        "elected_digital_lead",
        "strategy_adopted",
    }
    assert truth["model"]["size_effect"] == 0.0
    assert np.isfinite(truth["index_scale"]["std_coef_size"])
