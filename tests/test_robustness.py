"""Raking reaches the frame's margins; the specification curve covers every combination of
choices that estimate one quantity, counts only feasible weights, and tests the whole curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyse.data import simulate
from analyse.data.bands import population_band
from analyse.data.codebook import load_codebook
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.data.terms import model_terms
from analyse.report.tables import curve_inference_table
from analyse.stats import resampling, robustness
from analyse.stats.equivalence import test_size
from analyse.stats.regression import build_design, fit_ols, ols_hc3
from analyse.stats.robustness import CHOICES, curve_inference, specification_curve
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
    assert len(curve) == np.prod([len(v) for v in CHOICES.values()]) == 16
    assert curve.attrs["skipped"] == {}
    assert curve.attrs["inference"] is None  # no null curve asked for
    assert curve["std_coef"].is_monotonic_increasing
    assert set(curve["verdict"]) <= {
        "negligible",
        "significant_but_negligible",
        "decisive",
        "significant_undetermined",
        "inconclusive",
    }
    raked = curve[curve["weights"] == "raked"]
    assert raked["weights_converged"].all()  # a random sample can meet the frame's margins
    assert curve.loc[curve["weights"] == "none", "weights_converged"].isna().all()
    trimmed = curve[curve["sample"] == "trim_2pct"]["n"]
    assert (trimmed < curve[curve["sample"] == "all"]["n"].max()).all()


def test_every_specification_estimates_the_main_models_size_effect(frame):
    """One estimand: budget per inhabitant and the two sponsorship terms in every specification.

    With total budget, ln B = ln(B/P) + ln P turns the size coefficient into b_size - b_budget
    (another quantity), and the sponsorship count only duplicated the two-term specifications.
    """
    assert "budget" not in CHOICES and "sponsorship" not in CHOICES
    data = simulate.generate("random", seed=4, n=400, with_truth=False).data
    scored = score_survey(data, load_codebook())
    curve = specification_curve(scored, frame)
    assert not {"budget", "sponsorship"} & set(curve.columns)
    main = test_size(fit_ols(build_design(scored)))
    base = curve[
        (curve["controls"] == "none")
        & (curve["size"] == "ln_population")
        & (curve["sample"] == "all")
        & (curve["weights"] == "none")
    ]
    assert len(base) == 1
    assert base["std_coef"].iloc[0] == pytest.approx(main.std_coef, rel=1e-10)


def test_specification_curve_skips_raking_without_a_frame():
    codebook = load_codebook()
    data = simulate.generate("random", seed=4, n=200, with_truth=False).data
    curve = specification_curve(score_survey(data, codebook), None)
    assert set(curve["weights"]) == {"none"}
    assert len(curve) + len(curve.attrs["skipped"]) == 16
    raked = {k: v for k, v in curve.attrs["skipped"].items() if "weights=raked" in k}
    assert len(raked) == 8 and set(raked.values()) == {"no reference frame given"}


def _not_converged(sample: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Weights as the old ``rake`` returned them when IPF stopped short of the margins."""
    weights = pd.Series(np.r_[1e-93, np.ones(len(sample) - 1)], index=sample.index)
    weights.attrs.update(converged=False, dropped=0)
    return weights


def _refused(sample: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """``rake`` refusing weights that cannot meet the margins (``CalibrationError``)."""
    raise ValueError("no weights meet the band margin <20k with 2 respondents")


@pytest.mark.parametrize(
    ("fake_rake", "reason"),
    [
        (_not_converged, "weights infeasible: raking did not meet the frame's margins"),
        (_refused, "weights infeasible: no weights meet the band margin <20k with 2 respondents"),
    ],
)
def test_raked_specifications_without_feasible_weights_are_never_counted(
    frame, monkeypatch, fake_rake, reason
):
    monkeypatch.setattr(robustness, "rake", fake_rake)
    scored = score_survey(
        simulate.generate("random", seed=4, n=200, with_truth=False).data, load_codebook()
    )
    curve = specification_curve(scored, frame, draws=50)
    assert set(curve["weights"]) == {"none"}
    raked = {k: v for k, v in curve.attrs["skipped"].items() if "weights=raked" in k}
    assert len(raked) == 8 and set(raked.values()) == {reason}
    assert len(curve) + len(curve.attrs["skipped"]) == 16


def test_the_shipped_panel_counts_raked_specifications_only_with_feasible_weights(frame):
    """The synthetic 2025 panel has too few small EPCI for the frame's margins: its raked
    specifications were counted with weights as small as 1e-93 (raking did not converge). Now
    raking merges two population bands and meets the margins, or the specification is skipped."""
    from analyse.params import load_params
    from analyse.pipeline.run_result import load_scored

    scored, _ = load_scored(load_params("params/default.yaml"))
    curve = specification_curve(scored, frame)
    raked = curve[curve["weights"] == "raked"]
    skipped = {k: v for k, v in curve.attrs["skipped"].items() if "weights=raked" in k}
    assert len(raked) + len(skipped) == 8
    assert raked["weights_converged"].all()
    assert all(v.startswith("weights infeasible: ") for v in skipped.values())


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
        "collapsed_code": weights.attrs["collapsed_code"],
        "dropped": weights.attrs["dropped"],
        "dropped_types": weights.attrs["dropped_types"],
        "informative_p": results["weights"]["informative_p"],
        "unweighted_verdict": results["weights"]["unweighted_verdict"],
    }
    assert 0 < results["weights"]["informative_p"] < 1
    assert results["size"]["se_method"] == "linearization_calibrated_hc3"
    assert 0 < results["size"]["se_linearization"] < results["size"]["se"]
    assert results["nested"]["bf01"] is None  # no Bayes factor from a weighted pseudo-likelihood
    unweighted = to_results(analyse_claim(scored, codebook, bootstrap=20, simulations=200))
    assert unweighted["weights_converged"] is None
    assert unweighted["weights"] is None and unweighted["nested"]["bf01"] > 0
    assert unweighted["size"]["coef"] != results["size"]["coef"]
    assert unweighted["size"]["se_method"] == "hc3"
    assert unweighted["size"]["se"] == unweighted["size"]["se_hc3"]
    assert unweighted["size"]["se_linearization"] is None
    # the verdict the weighted run would give unweighted is the unweighted run's
    assert results["weights"]["unweighted_verdict"] == unweighted["verdict"]


# --- the inferential specification-curve test (Simonsohn, Simmons and Nelson 2020) ----------


def _linear_survey(seed: int, n: int, effect: float) -> pd.DataFrame:
    """A scored random survey whose maturity index is linear in the main terms with a known
    standardized size effect (0: no specification has any size effect)."""
    scored = score_survey(
        simulate.generate("random", seed=seed, n=n, with_truth=False).data, load_codebook()
    )
    terms = model_terms(scored)
    rng = np.random.default_rng(seed)
    size = terms["size"].to_numpy()
    y = 50 + 4 * terms["budget"] + 3 * terms["staff"] + 5 * terms["strategy_adopted"]
    y = y.to_numpy() + rng.normal(0, 8, len(scored))
    y += effect * np.std(y) / np.std(size) * size
    return scored.assign(maturity_index=y)


def _weighted_sd(v: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        return float(np.std(v, ddof=1))
    return float(np.sqrt(np.sum(w * (v - np.average(v, weights=w)) ** 2) / np.sum(w)))


def test_null_refits_equal_ols_hc3_fits_on_one_resample(frame):
    """The vectorised refits of every specification (raked, trimmed, with type dummies) on one
    resample equal ``ols_hc3`` on the drawn rows, repeats included, with the null imposed."""
    scored = _linear_survey(seed=11, n=300, effect=0.3)  # 3+ respondents of each type
    _, y, specs, fits, skipped, _ = robustness._build(scored, frame)
    assert len(specs) == 16 and not skipped
    n = len(y)
    rng = np.random.default_rng(3)
    index = np.sort(rng.integers(0, n, size=(8, n)), axis=1)
    counts = np.stack([np.bincount(i, minlength=n) for i in index]).astype("float64")
    std, t, df, ok = robustness._null_fits(y, specs, counts)
    assert ok.mean() > 0.5
    for b in range(len(index)):
        for j, spec in enumerate(specs):
            drawn = index[b][spec.rows[index[b]]]
            x = spec.x[drawn]
            y_null = y[drawn] - spec.coef * x[:, 1]
            w = None if spec.weights is None else spec.weights[drawn]
            if not ok[b, j]:  # discarded only when the resample's design is degenerate
                u, sv, _ = np.linalg.svd(x, full_matrices=False)
                rank = np.count_nonzero(sv > sv.max() * max(x.shape) * np.finfo(float).eps)
                assert rank < x.shape[1] or np.max(np.sum(u**2, axis=1)) > 1 - 1e-8
                continue
            fit = ols_hc3(x, y_null, w)
            # weighted SDs for a raked spec, as stats.equivalence.standardize
            expected_std = fit.coef[1] * _weighted_sd(x[:, 1], w) / _weighted_sd(y_null, w)
            assert std[b, j] == pytest.approx(expected_std, rel=1e-10, abs=1e-13)
            assert t[b, j] == pytest.approx(fit.coef[1] / fit.se[1], rel=1e-10, abs=1e-10)
            assert df[b, j] == fit.df_resid
    # with every row once and the observed outcome, the refits are the curve itself
    std0, t0, _, _ = robustness._null_fits(y, specs, np.ones((1, n)), null=False)
    for j, fit in enumerate(fits):
        assert t0[0, j] == pytest.approx(fit.coef[1] / fit.se[1], rel=1e-10)
    # and with the null imposed, every specification estimates exactly zero on the data
    std_null, _, _, _ = robustness._null_fits(y, specs, np.ones((1, n)))
    np.testing.assert_allclose(std_null, 0.0, atol=1e-10)


def test_inference_reports_the_observed_curve(frame):
    scored = _linear_survey(seed=8, n=200, effect=0.0)
    curve = specification_curve(scored, frame, draws=100, seed=1)
    inference = curve.attrs["inference"]
    assert list(inference) == [
        "draws",
        "median_std_coef",
        "median_p",
        "share_significant",
        "share_significant_p",
        "mean_z",
        "mean_z_p",
    ]
    assert inference["draws"] == 100
    assert inference["median_std_coef"] == pytest.approx(curve["std_coef"].median(), rel=1e-9)
    sign = np.sign(inference["median_std_coef"])
    significant = (curve["p"] < 0.05) & (np.sign(curve["std_coef"]) == sign)
    assert inference["share_significant"] == pytest.approx(significant.mean())
    assert inference == curve_inference(scored, frame, draws=100, seed=1)  # same seed, same draws
    table = curve_inference_table(curve)
    assert table["observed"].tolist() == pytest.approx(
        [inference["median_std_coef"], inference["share_significant"], inference["mean_z"]],
        abs=5e-4,  # shown to 3 decimals
    )
    assert curve_inference_table(specification_curve(scored, frame)).empty


@pytest.mark.slow  # over 2 s
def test_inference_holds_its_level_without_a_size_effect_and_detects_a_real_one():
    """Under a true null the p-values are roughly uniform (rejections near alpha: 6.5 % for the
    median, 5 % for the share significant, 7.5 % for the mean z over 200 such surveys); with a
    real size effect they are small. The share significant has a floor: when every
    specification is significant its p-value is the null probability that all are, which for
    near-identical specifications is close to alpha itself."""
    null = [
        curve_inference(_linear_survey(seed, 120, 0.0), None, draws=100, seed=seed)
        for seed in range(40)
    ]
    for key in ("median_p", "share_significant_p", "mean_z_p"):
        p = np.array([r[key] for r in null])
        assert np.mean(p < 0.05) <= 0.2, key  # ~3 of 40 expected
    for key in ("median_p", "mean_z_p"):
        assert 0.35 < np.mean([r[key] for r in null]) < 0.65, key
    real = [
        curve_inference(_linear_survey(seed, 120, 0.6), None, draws=100, seed=seed)
        for seed in range(8)
    ]
    for key in ("median_p", "mean_z_p"):
        assert np.mean([r[key] < 0.05 for r in real]) >= 0.8, key
    assert np.mean([r["share_significant_p"] <= 0.05 for r in real]) >= 0.8


def test_inference_without_identified_resamples_gives_no_p_value(monkeypatch):
    """If no resample identifies every specification, the p-values are None, never NaN
    (results.json is strict JSON), and the observed statistics are still reported."""
    monkeypatch.setattr(resampling, "EIGEN_TOL", 2.0)  # no resample passes the check
    monkeypatch.setattr(robustness, "_MAX_ROUNDS", 2)
    inference = curve_inference(_linear_survey(3, 120, 0.0), None, draws=20, seed=0)
    assert inference["draws"] == 0
    assert inference["median_p"] is inference["share_significant_p"] is inference["mean_z_p"]
    assert inference["median_p"] is None
    assert np.isfinite(inference["median_std_coef"])


def test_the_table_of_specifications_not_counted_is_never_blank(frame):
    scored = _linear_survey(seed=11, n=300, effect=0.0)  # 3+ respondents of each type
    from analyse.report.tables import skipped_specifications

    assert list(skipped_specifications(specification_curve(scored, frame))["reason"]) == [
        "every specification was estimated"
    ]
    skipped = skipped_specifications(specification_curve(scored, None))
    assert len(skipped) == 8 and skipped.index.name == "specification not counted"


def test_a_sesoi_in_points_is_converted_on_each_specification_s_rows(frame):
    """One bound in points, a standardized bound per specification: SDs of ln population and
    of the index on the specification's own rows (the population band's specifications too:
    their effect stands for ln population's)."""
    import math

    scored = _linear_survey(seed=11, n=300, effect=0.3)
    curve = specification_curve(scored, frame, sesoi_points=6.0)
    ln10 = math.log(10)

    def pick(**choice):
        rows = curve
        for key, value in choice.items():
            rows = rows[rows[key] == value]
        assert len(rows) == 1
        return rows.iloc[0]

    base = pick(controls="none", size="ln_population", sample="all", weights="none")
    main = test_size(fit_ols(build_design(scored)), sesoi_points=6.0)
    assert base["sesoi"] == pytest.approx(main.sesoi, rel=1e-10)
    band = pick(controls="none", size="population_band", sample="all", weights="none")
    assert band["sesoi"] == pytest.approx(base["sesoi"], rel=1e-10)
    # trimmed rows, computed here: the 2 % cut-offs of the population
    pop = scored["population"].astype(float)
    low, high = pop.quantile([0.02, 0.98])
    kept = scored[pop.between(low, high)]
    size, y = np.log(kept["population"].astype(float)), kept["maturity_index"]
    trimmed = pick(controls="none", size="ln_population", sample="trim_2pct", weights="none")
    expected = 6.0 / ln10 * np.std(size, ddof=1) / np.std(y, ddof=1)
    assert trimmed["sesoi"] == pytest.approx(expected, rel=1e-10)
    assert trimmed["sesoi"] != pytest.approx(base["sesoi"], rel=1e-3)
    # raked rows: weighted SDs with the raking weights (as stats.equivalence.standardize)
    w = rake(scored, frame).to_numpy()
    size_all, y_all = np.log(pop.to_numpy()), scored["maturity_index"].to_numpy()
    raked = pick(controls="none", size="ln_population", sample="all", weights="raked")
    expected = 6.0 / ln10 * _weighted_sd(size_all, w) / _weighted_sd(y_all, w)
    assert raked["sesoi"] == pytest.approx(expected, rel=1e-10)
    # each specification's points_scale, sd(ln population) / sd(index) on its own rows (the
    # figure converts the curve to points with it): the SDs computed here
    assert trimmed["points_scale"] == pytest.approx(
        np.std(size, ddof=1) / np.std(y, ddof=1), rel=1e-10
    )
    assert raked["points_scale"] == pytest.approx(
        _weighted_sd(size_all, w) / _weighted_sd(y_all, w), rel=1e-10
    )
    assert curve["sesoi"].to_numpy() == pytest.approx(
        (6.0 / ln10 * curve["points_scale"]).to_numpy(), rel=1e-10
    )
    # each verdict reads its interval against its own bound
    inside = (curve["ci90_low"] > -curve["sesoi"]) & (curve["ci90_high"] < curve["sesoi"])
    negligible = curve["verdict"].isin(["negligible", "significant_but_negligible"])
    assert (inside == negligible).all()
    # without sesoi_points the bound is sesoi everywhere
    assert (specification_curve(scored, frame)["sesoi"] == 0.2).all()


@pytest.mark.parametrize(("lang", "words"), [("en", "Within type"), ("fr", "Au sein du type")])
def test_specifications_controlling_for_type_are_labelled_within_type(lang, words):
    from analyse.report import i18n
    from analyse.report.plots import choice_label

    previous = i18n.current().lang
    i18n.use(lang)
    try:
        assert choice_label("controls", "collectivity_type").startswith(words)
        assert words.lower() in i18n.current()("tables.options.collectivity_type").lower()
    finally:
        i18n.use(previous)
