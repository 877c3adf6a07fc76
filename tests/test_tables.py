"""Report tables: small-cell suppression, size bands, the verdict sentence, published shares."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey, share_at_least
from analyse.data.simulate import PUBLISHED_2025_SHARES, generate
from analyse.report import groups, i18n, prose, tables
from analyse.report.i18n import messages
from analyse.stats.claim import analyse_claim
from analyse.stats.equivalence import VERDICTS


def plain(text: str) -> str:
    """French text with its no-break spaces (before : ; ? ! % », after «) as plain spaces."""
    return text.replace("\u00a0", " ")


@pytest.fixture(scope="module")
def scored(codebook):
    return score_survey(generate(design="barometre-2025", seed=5, with_truth=False).data, codebook)


@pytest.fixture(scope="module")
def analysis(scored, codebook):
    return analyse_claim(scored, codebook, bootstrap=20, seed=3, simulations=100)


@pytest.fixture(autouse=True)
def english():
    """Group and suppression labels follow the report's language (French by default): these
    tests read them in English (tests/test_reader_tables.py checks both languages)."""
    i18n.use("en")
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


def _groups(sizes: dict[str, int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(g, float(v)) for g, n in sizes.items() for v in rng.uniform(0, 100, n)]
    return pd.DataFrame(rows, columns=["group", "maturity_index"])


# --------------------------------------------------------------------------- describe_by


def test_group_below_min_cell_shows_no_statistics():
    data = _groups({"small": 3, "big": 12, "mid": 9, "other": 20})
    table = tables.describe_by(data, "group", min_cell=5)
    assert table.loc["small", "n"] == "fewer than 5"
    assert list(table.loc["small", ["mean", "sd", "median"]]) == ["", "", ""]


def test_shown_group_statistics_are_its_own():
    data = _groups({"a": 6, "b": 7, "c": 8})
    table = tables.describe_by(data, "group", min_cell=5)
    b = data.loc[data["group"] == "b", "maturity_index"]
    assert table.loc["b", "n"] == 7
    assert table.loc["b", "mean"] == pytest.approx(round(b.mean(), 1))
    assert table.loc["b", "sd"] == pytest.approx(round(b.std(ddof=1), 1))
    assert table.loc["b", "median"] == pytest.approx(round(b.median(), 1))


def test_a_lone_suppressed_group_takes_the_next_smallest_with_it():
    # Otherwise the hidden group's count and mean follow from the total and the others.
    data = _groups({"small": 3, "big": 12, "mid": 9, "other": 20})
    table = tables.describe_by(data, "group", min_cell=5)
    # hidden though it has 9: said so, not "fewer than 5", which would be false
    assert table.loc["mid", "n"] == "hidden to protect a smaller group"
    assert table.loc["small", "n"] == "fewer than 5"
    assert table.loc["big", "n"] == 12
    assert table.loc["other", "n"] == 20


def test_no_secondary_suppression_when_two_groups_are_hidden():
    data = _groups({"s1": 2, "s2": 4, "big": 12, "mid": 9})
    table = tables.describe_by(data, "group", min_cell=5)
    assert table["n"].to_dict() == {"big": 12, "mid": 9, "s1": "fewer than 5", "s2": "fewer than 5"}


def test_no_published_count_is_below_min_cell():
    data = _groups({"a": 1, "b": 4, "c": 5, "d": 6, "e": 30})
    for min_cell in (1, 3, 5, 7, 10):
        table = tables.describe_by(data, "group", min_cell=min_cell)
        counts = [n for n in table["n"] if not isinstance(n, str)]
        assert all(n >= min_cell for n in counts)


def test_respondents_without_an_index_are_not_counted():
    data = _groups({"a": 6, "b": 6})
    data.loc[0, "maturity_index"] = np.nan
    table = tables.describe_by(data, "group", min_cell=5)
    assert table.loc["a", "n"] == 5


def test_missing_group_value_forms_its_own_group():
    data = _groups({"a": 6, "b": 6, "c": 6})
    data.loc[data.index[:6], "group"] = None
    table = tables.describe_by(data, "group", min_cell=5)
    assert "Not given" in table.index
    assert table.loc["Not given", "n"] == 6


def test_describe_by_size_band_keeps_band_order(scored):
    table = tables.describe_by(groups.with_groups(scored), "size_band", min_cell=1)
    assert list(table.index) == [b for b in groups.size_band_labels() if b in table.index]


def test_describe_by_rejects_unknown_column(scored):
    with pytest.raises(KeyError, match="no column"):
        tables.describe_by(scored, "not_a_column")


# --------------------------------------------------------------------------- bands


def test_size_band_edges_include_their_lower_bound():
    pop = pd.Series([1, 19_999, 20_000, 49_999, 50_000, 99_999, 100_000, 249_999, 250_000, 7e6])
    bands = groups.size_bands(pop)
    assert list(bands.astype(str)) == [
        "< 20,000 inh.",
        "< 20,000 inh.",
        "20,000–50,000 inh.",
        "20,000–50,000 inh.",
        "50,000–100,000 inh.",
        "50,000–100,000 inh.",
        "100,000–250,000 inh.",
        "100,000–250,000 inh.",
        "250,000 inh. and more",
        "250,000 inh. and more",
    ]
    assert bands.cat.ordered
    assert list(bands.cat.categories) == groups.size_band_labels()


def test_size_band_of_missing_population_is_missing():
    bands = groups.size_bands(pd.Series([pd.NA, 30_000], dtype="Int64"))
    assert pd.isna(bands.iloc[0])
    assert bands.iloc[1] == "20,000–50,000 inh."


def test_sponsorship_groups():
    frame = pd.DataFrame({"elected_digital_lead": [0, 1, 0, 1], "strategy_adopted": [0, 0, 1, 1]})
    assert list(groups.sponsorship(frame).astype(str)) == [
        "Neither",
        "Elected lead only",
        "Strategy only",
        "Elected lead and strategy",
    ]


ENGLISH = messages("en")

# --------------------------------------------------------------------------- verdict


def test_verdict_sentence_names_the_verdict_label_and_n(analysis):
    sentence = prose.verdict_sentence(analysis, ENGLISH)
    assert sentence.startswith(f"Verdict: {ENGLISH(f'verdicts.{analysis.verdict}.label')}.")
    assert f"With {analysis.n} respondents" in sentence


@pytest.mark.parametrize("key", VERDICTS)
def test_verdict_sentence_says_every_verdict_in_words(analysis, key):
    forced = replace(analysis, size=replace(analysis.size, verdict=key))
    for lang in ("fr", "en"):
        m = messages(lang)
        sentence = plain(prose.verdict_sentence(forced, m))
        assert sentence.startswith(f"Verdict{' :' if lang == 'fr' else ':'} ")
        assert plain(m(f"verdicts.{key}.label")) in sentence
        assert plain(m(f"verdicts.{key}.meaning")) in sentence


def test_verdict_sentence_numbers(analysis):

    from scipy import stats

    test = replace(
        analysis.size, coef=-0.5, se=3.2, std_coef=-0.0243, std_se=0.157, tost_p=0.1345, p=0.8779
    )
    # the gap in points for a tenfold population, and the (1 - 2 alpha) interval of the raw
    # coefficient, in points too
    q = stats.t.ppf(1 - test.alpha, test.df_resid)
    low, high = ((test.coef - q * test.se) * np.log(10), (test.coef + q * test.se) * np.log(10))
    sentence = prose.verdict_sentence(replace(analysis, size=test), ENGLISH)
    assert "is \u22121.2 points (90% confidence interval" in sentence
    assert f"{low:.1f}".replace("-", "\u2212") in sentence
    assert f"+{high:.1f}" in sentence
    # one unit for readers: no standardized effect, no p-value (on the code version's tables)
    assert "standard deviation" not in sentence and "p = " not in sentence
    french = plain(prose.verdict_sentence(replace(analysis, size=test), messages("fr")))
    assert "vaut \u22121,2 point (intervalle de confiance à 90 %" in french
    assert "exclut zéro" not in french  # the interval holds zero: no note


def test_verdict_sentence_says_when_the_interval_clears_zero_but_the_test_does_not(analysis):
    """The (1 - 2 alpha) interval can exclude zero while the two-sided test of zero at alpha
    does not reject (read on a raked panel: +2,3 to +31,2 points, p = 0,058)."""
    from scipy import stats

    q90, q95 = (stats.t.ppf(v, analysis.size.df_resid) for v in (0.95, 0.975))
    se = 1.0
    coef = (q90 + q95) / 2 * se  # between the two critical values
    p = 2 * stats.t.sf(coef / se, analysis.size.df_resid)
    test = replace(analysis.size, coef=coef, se=se, p=p)
    assert 0.05 < p < 0.10
    french = plain(prose.verdict_sentence(replace(analysis, size=test), messages("fr")))
    assert "exclut zéro, mais le test d'un effet nul" in french


def test_sesoi_in_points_is_the_raw_gap_for_a_tenfold_population(analysis):
    """sesoi sd of the index per sd of ln(population), times ln(10): from the design itself."""
    design = analysis.fit.design
    if analysis.weighted_parts:
        pytest.skip("weighted SDs")
    per_log_unit = analysis.size.sesoi * design.y.std(ddof=1) / design.X["size"].std(ddof=1)
    assert prose.sesoi_in_points(analysis.size) == pytest.approx(per_log_unit * np.log(10))
    points = f"±{prose.sesoi_in_points(analysis.size):.1f} points"
    assert points in prose.verdict_sentence(analysis, ENGLISH)


# --------------------------------------------------------------------------- data quality


def test_published_comparison_equals_share_at_least(scored, codebook):
    table = tables.published_comparison(scored, codebook)
    expected = share_at_least(scored, codebook, 2).astype("float64") * 100
    pd.testing.assert_series_equal(
        table["this_survey"], expected.rename("this_survey"), check_names=False
    )
    for theme, share in PUBLISHED_2025_SHARES.items():
        assert table.loc[theme, "published_2025"] == pytest.approx(share * 100)
    assert np.allclose(table["difference"], table["this_survey"] - table["published_2025"])
    assert table.loc["data_ai", "label"] == codebook.theme("data_ai").label_en


def test_exclusions_table_accounts_for_every_respondent(analysis, scored):
    table = tables.exclusions_table(analysis)
    assert table["respondents"].sum() == len(scored)
    assert table.loc["analysed (in the model)", "respondents"] == analysis.n


def test_theme_table_odds_ratios(analysis, codebook):
    table = tables.theme_table(analysis, codebook)
    themes = analysis.themes
    # for a tenfold population: the coefficient is per unit of ln population
    assert np.allclose(table["odds_ratio"], np.exp(themes["coef"] * np.log(10)), atol=1e-4)
    assert (table["low"] <= table["odds_ratio"]).all()
    assert (table["odds_ratio"] <= table["high"]).all()
    assert np.allclose(table["p_holm"], themes["p_holm"], atol=1e-4)


def test_size_effects_are_the_estimands_in_points(analysis):
    """The three rows are results.json's estimands: points for a tenfold population, the
    interval each verdict reads, the verdicts of the total and direct effects."""
    from analyse.stats.estimands import to_results

    effects = tables.size_effects(analysis)
    found = to_results(analysis.estimands)
    assert list(effects.index) == ["total", "direct", "indirect"]
    for name in effects.index:
        assert effects.loc[name, "points"] == found[name]["coef_points"]
        assert [effects.loc[name, "low"], effects.loc[name, "high"]] == found[name]["ci90_points"]
    assert effects.loc["direct", "verdict"] == analysis.verdict
    assert effects.loc["total", "verdict"] == analysis.estimands.total.verdict
    assert effects.loc["indirect", "verdict"] == ""
    assert (effects["low"] < effects["points"]).all()
    assert (effects["points"] < effects["high"]).all()
    assert effects.attrs["sesoi_points"] > 0


def test_size_effects_names_what_is_held_fixed(scored, codebook):
    from analyse.report import readable

    i18n.use("en")
    with_type = analyse_claim(
        scored, codebook, controls=["collectivity_type"], bootstrap=0, simulations=50
    )
    labels = readable.size_effects(with_type).row_labels
    assert "budget" in labels[1] and "collectivity type" in labels[1]


def test_summaries_show_counts_as_integers(analysis):
    assert tables.equivalence_summary(analysis).loc["Respondents", "value"] == analysis.n
    sens = tables.sensitivity_summary(analysis)
    assert sens.loc["Simulated samples", "value"] == analysis.sensitivity.simulations
    assert isinstance(sens.loc["Simulated samples", "value"], int)


def test_model_specification_reports_dropped_terms():
    from analyse.data import simulate
    from analyse.data.scoring import score_survey
    from analyse.report.tables import model_specification
    from analyse.stats.claim import analyse_claim

    codebook = load_codebook()
    data = simulate.generate("random", seed=3, n=120, with_truth=False).data
    data = data.drop(columns=["digital_staff_fte"])
    analysis = analyse_claim(score_survey(data, codebook), codebook, bootstrap=20, simulations=200)
    spec = model_specification(analysis)["value"]
    assert spec["Terms dropped"] == "staff (no digital_staff_fte column)"
    assert "staff" not in spec["Terms in the model"]
    assert spec["Respondents in the model"] == analysis.n


def test_theme_results_and_table_carry_both_proportional_odds_checks(analysis, codebook):
    """results.json themes.<theme> keys are a public contract: spelled exactly, brant_p null
    exactly when Brant's test is not testable; the theme table shows both checks."""
    from analyse.stats.claim import to_results

    themes = to_results(analysis)["themes"]
    for theme, entry in themes.items():
        assert set(entry) == {
            "coef",
            "se",
            "p",
            "p_holm",
            "brant_p",
            "brant_p_holm",
            "brant_testable",
            "po_size_p",
            "po_size_p_holm",
            "not_estimable",
        }
        assert entry["not_estimable"] is None  # every theme of the default panel is estimated
        assert isinstance(entry["brant_testable"], bool)
        assert (entry["brant_p"] is None) is (not entry["brant_testable"])
        assert (entry["brant_p_holm"] is None) is (not entry["brant_testable"])
        assert entry["po_size_p"] == pytest.approx(analysis.themes.loc[theme, "po_size_p"])
    table = tables.theme_table(analysis, codebook)
    for column in ("brant_p_holm", "brant_note", "po_size_p", "po_size_p_holm"):
        assert column in table.columns
    assert (table["brant_note"] == "").eq(analysis.themes["brant_testable"]).all()


def test_power_curve_spans_finite_effects_when_an_mde_is_not_reached(analysis):
    """A tiny sample may never reach the power in one direction (MDE NaN): the curve's range
    then comes from the SESOI, not NaN everywhere."""
    sens = replace(analysis.sensitivity, mde_std=float("nan"))
    curve = tables.power_curve_table(replace(analysis, sensitivity=sens), seed=1, points=5)
    assert np.isfinite(curve["effect"]).all()


def test_weighted_sensitivity_says_how_much_larger_the_weighted_se_is(scored, codebook):
    from analyse.data.reference import load_frame
    from analyse.stats.weights import rake

    weights = rake(scored[scored["maturity_index"].notna()], load_frame("epci"))
    weighted = analyse_claim(scored, codebook, bootstrap=20, simulations=100, weights=weights)
    table = tables.sensitivity_summary(weighted)
    ratio = table["value"].iloc[-1]
    assert "Weighted / unweighted standard error" in table.index[-1]
    assert ratio == pytest.approx(
        weighted.size.std_se
        / analyse_claim(scored, codebook, bootstrap=20, simulations=100).size.std_se,
        rel=1e-3,
    )
