"""The synthetic survey: reproducible, calibrated, anonymous, and faithful to its known truth."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

from analyse import cli
from analyse.data import simulate
from analyse.data.codebook import load_codebook
from analyse.data.contract import COLLECTIVITY_TYPES, COLUMN_NAMES
from analyse.data.loading import load_survey
from analyse.data.provenance import is_synthetic
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey, share_at_least
from analyse.data.terms import model_terms
from analyse.paths import project_root

ROOT = project_root()


@pytest.mark.slow  # three surveys with their pooled truth: over 2 s
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


# --------------------------------------------------------------------------- beyond the EPCI


def test_census_of_communes_has_every_inhabited_commune_once():
    frame = simulate.inhabited_communes()
    communes = load_frame("communes")
    assert len(frame) == int((communes["population"].fillna(0) > 0).sum())
    data = simulate.generate("census-communes", seed=4, with_truth=False).data
    assert len(data) == len(frame)
    assert set(data["collectivity_type"]) == {"commune"}
    # every commune once, in frame order: the populations are the frame's, row for row
    assert data["population"].tolist() == frame["population"].tolist()
    assert (
        data["respondent_id"].is_unique and data["respondent_id"].str.fullmatch(r"SYN-\d{5}").all()
    )


def test_communes_have_means_that_fit_their_size():
    """Most small communes have no digital staff and few have a digital lead; large ones do."""
    data = simulate.generate("census-communes", seed=4, with_truth=False).data
    small = data[data["population"] < 500]
    large = data[data["population"] >= 20_000]
    assert (small["digital_staff_fte"] == 0).mean() > 0.95
    assert (large["digital_staff_fte"] > 0).all()
    assert small["elected_digital_lead"].mean() < 0.1 < large["elected_digital_lead"].mean()
    median = data["budget_per_capita"].median()
    assert median == pytest.approx(simulate.ASSUMED_BUDGET_QUANTILES["commune"][1], rel=0.05)


@pytest.mark.parametrize("n", [1256, 2000])
def test_random_beyond_the_epci_frame_draws_every_tier(n):
    data = simulate.generate("random", seed=9, n=n, with_truth=False).data
    assert len(data) == n
    counts = data["collectivity_type"].value_counts()
    assert set(counts.index) == set(COLLECTIVITY_TYPES)
    assert counts.min() >= simulate.TYPE_MINIMUM
    frame = simulate.all_tiers_frame()
    expected = simulate.type_allocation(frame["collectivity_type"].value_counts(sort=False), n)
    assert counts.sort_index().to_dict() == expected.sort_index().to_dict()


def test_random_beyond_the_epci_frame_follows_the_frame_shares():
    """Once the minimum per type is small beside n, each type's share is its share of the
    frame (a proportional allocation, not one tier favoured)."""
    frame = simulate.all_tiers_frame()
    idx = simulate._selection(frame, "random", np.random.default_rng(2), 20_000)
    drawn = frame["collectivity_type"].iloc[idx].value_counts(normalize=True)
    expected = frame["collectivity_type"].value_counts(normalize=True)
    assert drawn["commune"] == pytest.approx(expected["commune"], abs=0.002)
    assert drawn["CC"] == pytest.approx(expected["CC"], abs=0.002)
    assert len(set(idx)) == len(idx)  # no body twice while the frame is large enough


def test_random_up_to_the_epci_frame_is_unchanged():
    """Up to 1,255 the random design is a simple random sample of EPCI, as it always was."""
    data = simulate.generate("random", seed=3, n=1255, with_truth=False).data
    assert set(data["collectivity_type"]) <= set(simulate.EPCI_TYPES)
    epci = load_frame("epci")
    assert sorted(data["population"]) == sorted(epci["population"])


def test_random_beyond_the_whole_frame_repeats_bodies_evenly():
    frame = simulate.all_tiers_frame()
    n = len(frame) + 5_000
    idx = simulate._selection(frame, "random", np.random.default_rng(1), n)
    assert len(idx) == n
    times = np.bincount(idx, minlength=len(frame))
    assert times.min() >= 1  # every body of every tier at least once
    by_type = pd.Series(times).groupby(frame["collectivity_type"].to_numpy())
    assert (by_type.max() - by_type.min()).max() <= 1  # as evenly as possible within a type


def test_random_n_bounds_are_user_errors():
    from analyse.errors import InputError

    with pytest.raises(InputError, match="1 <= n <= 1,000,000"):
        simulate.generate("random", seed=1, n=simulate.MAX_N + 1, with_truth=False)
    with pytest.raises(InputError, match="EPCI-only frame"):
        simulate.generate("random", seed=1, n=2000, frame=load_frame("epci"), with_truth=False)


def test_every_tier_sample_is_reproducible_and_valid(tmp_path):
    paths = [
        simulate.write(simulate.generate("random", seed=s, n=1500, with_truth=False), tmp_path / f)
        for f, s in (("a.csv", 5), ("b.csv", 5), ("c.csv", 6))
    ]
    (a, _), (b, _), (c, _) = paths
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    survey = load_survey(a)  # the data contract's checks, every type included
    assert len(survey) == 1500


@pytest.mark.slow
def test_truth_of_an_every_tier_sample_is_recovered(codebook):
    """The sidecar's index-scale truth, for a survey drawn with a known size effect, lies
    within 3 standard errors of an OLS on a large draw, and its latent size effect is the one
    asked for."""
    survey = simulate.generate("random", seed=12, n=20_000, size_effect=0.3)
    truth = survey.truth
    assert truth["latent_coefficients"]["size"] == 0.3
    assert set(truth["frame"]["types"]) == set(COLLECTIVITY_TYPES)
    fit = _ols_hc3(survey.data, codebook)
    z = (fit.params - pd.Series(truth["index_scale"]["coefficients"])) / fit.bse
    assert (z.abs() < 3).all(), z.to_dict()
    assert fit.params["size"] > 4 * fit.bse["size"]  # a size effect was put in, and is seen


@pytest.mark.slow
def test_truth_of_the_census_of_communes_is_recovered(codebook):
    """As above, on the census of communes itself (about 10 s: the truth pools 20 censuses)."""
    survey = simulate.generate("census-communes", seed=2, size_effect=0.2)
    assert survey.truth["latent_coefficients"]["size"] == 0.2
    assert survey.truth["index_scale"]["replicates"] == 20
    fit = _ols_hc3(survey.data, codebook)
    z = (fit.params - pd.Series(survey.truth["index_scale"]["coefficients"])) / fit.bse
    assert (z.abs() < 3).all(), z.to_dict()


def test_pooling_in_batches_equals_one_stacked_fit():
    """The truth's batches are pooled through cross-products and Chan's update of the
    deviations: the same OLS and standard deviations as on the stacked rows."""
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(10_000), rng.normal(10, 2, (10_000, 3))])
    y = x @ np.array([50.0, 3.0, -1.0, 0.5]) + rng.normal(0, 15, 10_000)
    pool = simulate._Pool()
    for part in np.array_split(np.arange(10_000), [1000, 1001, 4500]):  # uneven, one of 1 row
        pool.add(x[part], y[part])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(np.linalg.solve(pool.xtx, pool.xty), beta, rtol=1e-10)
    assert pool.sd(1) == pytest.approx(np.std(x[:, 1], ddof=1), rel=1e-12)
    assert pool.sd(-1) == pytest.approx(np.std(y, ddof=1), rel=1e-12)
    assert pool.rows == 10_000


def test_truth_in_batches_agrees_with_one_pool(codebook):
    """Drawn in batches, the pooled truth estimates what one stacked pool does (other draws,
    so within Monte Carlo error, not to the digit)."""
    frame = load_frame("epci")
    model = simulate.SurveyModel(size_effect=0.2)
    offsets = simulate.calibrate_theme_offsets(model, codebook)
    args = ("random", 1000, model, codebook, frame, offsets)
    one = simulate.index_scale_truth(*args, replicates=40)
    old = simulate.TRUTH_BATCH_ROWS
    try:
        simulate.TRUTH_BATCH_ROWS = 5_000  # eight batches of five replicates
        batched = simulate.index_scale_truth(*args, replicates=40)
    finally:
        simulate.TRUTH_BATCH_ROWS = old
    assert batched["pooled_rows"] == pytest.approx(one["pooled_rows"], rel=0.01)
    assert batched["coefficients"]["size"] == pytest.approx(one["coefficients"]["size"], abs=0.4)
    assert batched["sd_maturity_index"] == pytest.approx(one["sd_maturity_index"], rel=0.02)


def test_export_of_every_tier_names_its_bodies():
    export = simulate.generate_export("random", seed=3, n=1500)
    headers = simulate.EXPORT_COLUMNS
    types = export[headers["collectivity_type"]]
    for ctype in ("commune", "EPT", "departement", "region"):
        assert (types == simulate.EXPORT_TYPE_LABELS[ctype]).sum() >= simulate.TYPE_MINIMUM
    no_siren = types.isin([simulate.EXPORT_TYPE_LABELS[t] for t in ("departement", "region")])
    assert (export.loc[no_siren, headers["siren"]] == "").all()
    named = set(export.loc[no_siren, headers["name"]])
    frame_names = set(load_frame("departements")["name"]) | set(load_frame("regions")["name"])
    assert named <= frame_names
    assert len(export) == 1500 + len(simulate.EXPORT_OTHER_BODIES)


def _main(monkeypatch, *args: object) -> int:
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


@pytest.mark.slow
def test_cli_census_of_communes_validates(tmp_path, monkeypatch, capsys):
    out = tmp_path / "communes.csv"
    args = ("simulate", "--design", "census-communes", "--seed", "1", "--out", out)
    assert _main(monkeypatch, *args) == 0
    assert is_synthetic(out)
    truth = json.loads(simulate.truth_path(out).read_text(encoding="utf-8"))
    assert truth["design"] == "census-communes" and truth["frame"]["types"] == {
        "commune": len(simulate.inhabited_communes())
    }
    capsys.readouterr()
    assert _main(monkeypatch, "validate", out) == 0
    assert f"Rows: {len(simulate.inhabited_communes())}" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_export_of_every_tier_runs_through_mappings(tmp_path, monkeypatch, capsys):
    """An export beyond the EPCI reads with the example's mappings plus a type for each tier,
    the frame filling the populations it leaves empty."""
    out = tmp_path / "export.csv"
    args = ("simulate", "--design", "random", "--n", 1300, "--seed", "4", "--format", "export")
    assert _main(monkeypatch, *args, "--out", out) == 0
    labels = simulate.EXPORT_TYPE_LABELS
    types = {labels[t]: t for t in ("commune", "metropole", "EPT", "departement", "region")}
    types |= {labels["CC"]: "epci", simulate.OTHER_TYPE_LABEL: None}
    (tmp_path / "types.yaml").write_text(yaml.safe_dump(types, allow_unicode=True), "utf-8")
    example = ROOT / "data" / "example-export"
    params = yaml.safe_load((ROOT / "params" / "example-export.yaml").read_text("utf-8"))
    params["data"] |= {
        "survey": str(out),
        "codebook": str(ROOT / "data" / "codebook.yaml"),
        "columns": str(example / "columns.yaml"),
        "answer_labels": str(example / "answers.yaml"),
        "type_labels": str(tmp_path / "types.yaml"),
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), "utf-8")
    capsys.readouterr()
    assert _main(monkeypatch, "validate", "--params", tmp_path / "p.yaml") == 0
    report = capsys.readouterr().out
    assert "Rows: 1308" in report  # and the eight other bodies, left out by their type
    in_model = int(re.search(r"Respondents in the model: (\d+)", report).group(1))
    assert 1250 <= in_model <= 1300  # bodies of every tier kept, a few skipped themes left out
