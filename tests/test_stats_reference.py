"""The statistical core agrees with R on the same data (tests/fixtures/r_reference/).

Reference values come from tests/fixtures/r_reference/reference.R (lm + sandwich HC3, lmtest,
an all-subsets Shapley LMG, MASS::polr cross-checked with ordinal::clm). Tolerances: OLS
coefficients and HC3 SEs 1e-6, LMG 1e-6, ordinal coefficients 1e-6, ordinal SEs 1e-4 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.scoring import theme_levels, theme_scores
from analyse.stats.equivalence import test_size
from analyse.stats.importance import lmg
from analyse.stats.nested import compare_nested
from analyse.stats.ordinal import fit_theme, holm
from analyse.stats.regression import Design, fit_ols, type_dummies

FIXTURE = Path(__file__).parent / "fixtures" / "r_reference"
TERMS = ["size", "budget", "staff", "elected_digital_lead", "strategy_adopted"]
GROUPS = {
    "size": ["size"],
    "budget": ["budget"],
    "staff": ["staff"],
    "sponsorship": ["elected_digital_lead", "strategy_adopted"],
}
THEMES = [
    "responsible_digital",
    "user_services",
    "compliance",
    "digital_inclusion",
    "cybersecurity",
    "agent_services",
    "data_ai",
]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "data.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((FIXTURE / "reference.json").read_text(encoding="utf-8"))


def _design(data: pd.DataFrame, controls: bool) -> Design:
    x = data[TERMS].astype(float)
    groups = dict(GROUPS)
    if controls:
        dummies = type_dummies(data["collectivity_type"])
        x = pd.concat([x, dummies], axis=1)
        groups["controls"] = list(dummies.columns)
    x.insert(0, "Intercept", 1.0)
    return Design(y=data["maturity_index"].astype(float), X=x, groups=groups)


@pytest.mark.parametrize("variant", ["no_controls", "controls"])
def test_ols_hc3_matches_r(data, ref, variant):
    fit = fit_ols(_design(data, variant == "controls"))
    expected = ref["ols"][variant]
    assert set(fit.coef.index) == set(expected["terms"])
    for name, values in expected["terms"].items():  # matched by name, never by position
        assert fit.coef[name] == pytest.approx(values["coef"], abs=1e-6)
        assert fit.se[name] == pytest.approx(values["se_hc3"], abs=1e-6)
        assert fit.p[name] == pytest.approx(values["p"], abs=1e-8)
    assert fit.r2 == pytest.approx(expected["r2"], abs=1e-10)
    assert fit.df_resid == expected["df_resid"]


def test_standardized_size_and_tost_match_r(data, ref):
    test = test_size(fit_ols(_design(data, False)), sesoi=0.2, alpha=0.05)
    expected = ref["size"]
    for key in (
        "coef",
        "se_hc3",
        "p",
        "std_coef",
        "std_se",
        "tost_p",
        "tost_p_lower",
        "tost_p_upper",
    ):
        assert getattr(test, key) == pytest.approx(expected[key], abs=1e-7), key


def test_nested_comparison_matches_r(data, ref):
    nested = compare_nested(fit_ols(_design(data, False)))
    expected = ref["nested"]
    assert nested.marginal_coef == pytest.approx(expected["marginal"]["coef"], abs=1e-6)
    assert nested.marginal_se == pytest.approx(expected["marginal"]["se_hc3"], abs=1e-6)
    assert nested.partial_r2 == pytest.approx(expected["partial_r2"], abs=1e-10)
    assert nested.wald_f == pytest.approx(expected["wald_F"], rel=1e-8)
    assert nested.wald_p == pytest.approx(expected["wald_p"], abs=1e-8)
    # BF01 is checked against BayesFactor in tests/test_bayes_factor.py.


@pytest.mark.parametrize("variant", ["no_controls", "controls"])
def test_lmg_matches_r_and_sums_to_r2(data, ref, variant):
    design = _design(data, variant == "controls")
    shares = lmg(design)
    for group, value in ref["lmg"][variant].items():
        assert shares[group] == pytest.approx(value, abs=1e-6)
    assert shares.sum() == pytest.approx(fit_ols(design).r2, abs=1e-12)


@pytest.mark.parametrize("theme", THEMES)
def test_ordinal_logit_matches_polr(data, ref, theme):
    fit = fit_theme(data[f"level_{theme}"], data[TERMS].astype(float), theme)
    expected = ref["themes"][theme]
    assert fit.converged
    for term in TERMS:
        assert fit.coef[term] == pytest.approx(expected["coef"][term], abs=1e-6)
        assert fit.se[term] == pytest.approx(expected["se"][term], rel=1e-4)
    for cut, value in expected["zeta"].items():
        assert fit.thresholds[cut] == pytest.approx(value, abs=1e-5)
    assert fit.loglik == pytest.approx(expected["loglik"], abs=1e-8)


def test_holm_adjustment_matches_p_adjust(data, ref):
    from statsmodels.stats.multitest import multipletests

    p = [fit_theme(data[f"level_{t}"], data[TERMS].astype(float), t).p["size"] for t in THEMES]
    adjusted = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(
        adjusted, [ref["themes_size_p_holm"][t] for t in THEMES], atol=1e-4
    )  # SEs agree to 1e-4 relative


@pytest.mark.parametrize("theme", THEMES)
def test_po_size_lr_matches_clm_nominal(data, ref, theme):
    """anova(clm(PO), clm(nominal = ~ size)) on centred size: LR to 1e-6, its p and df."""
    fit = fit_theme(data[f"level_{theme}"], data[TERMS].astype(float), theme)
    expected = ref["themes"][theme]
    assert fit.po_size_lr == pytest.approx(expected["po_lr"], abs=1e-6)
    assert fit.po_size_p == pytest.approx(expected["po_p"], abs=1e-8)
    assert fit.po_size_df == expected["po_df"]


# --- Exact theme levels from item answers (reference.json "exact_levels") ----------------------


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    codebook = load_codebook()
    return pd.read_csv(FIXTURE / "items.csv", dtype={c: "Int64" for c in codebook.item_columns})


def test_theme_levels_equal_r_integer_levels(items, ref):
    """Python's levels equal R's floor((2S + n) / (2n)) on integers, cell for cell (NaN where
    a theme is left blank). The fixture has 326 exact halves; the former route through the
    0-100 score gave another level on 180 cells (R counts them too), so this failed before."""
    codebook = load_codebook()
    expected = ref["exact_levels"]
    assert expected["levels"] == codebook.level_values
    levels = theme_levels(items, codebook)
    for theme in codebook.theme_keys:
        r_levels = np.array([np.nan if v is None else v for v in expected["theme_levels"][theme]])
        np.testing.assert_array_equal(levels[theme].to_numpy(), r_levels)
    span = codebook.max_level - codebook.min_level
    former = np.floor(theme_scores(items, codebook) / 100.0 * span + codebook.min_level + 0.5)
    assert (
        int(((former != levels) & levels.notna()).to_numpy().sum())
        == (expected["n_old_rounding_differs"])
    )


@pytest.mark.parametrize("theme", THEMES)
def test_ordinal_logit_on_exact_levels_matches_polr(items, ref, theme):
    """polr/clm on R's own levels: slopes 1e-6, SEs 1e-4 relative (clm's analytic fit far
    closer), and the LR test of a threshold-specific size slope (clm nominal = ~ size) 1e-6."""
    levels = theme_levels(items, load_codebook())[theme]
    answered = levels.notna()
    fit = fit_theme(levels[answered], items.loc[answered, TERMS].astype(float), theme)
    expected = ref["exact_levels"]["themes"][theme]
    assert fit.n == expected["n"]
    assert fit.converged
    for term in TERMS:
        assert fit.coef[term] == pytest.approx(expected["coef"][term], abs=1e-6)
        assert fit.se[term] == pytest.approx(expected["se"][term], rel=1e-4)
        assert fit.coef[term] == pytest.approx(expected["clm_coef"][term], abs=1e-9)
        assert fit.se[term] == pytest.approx(expected["clm_se"][term], rel=1e-8)
    for cut, value in expected["zeta"].items():
        assert fit.thresholds[cut] == pytest.approx(value, abs=1e-5)
    assert fit.loglik == pytest.approx(expected["loglik"], abs=1e-8)
    assert fit.po_size_lr == pytest.approx(expected["po_lr"], abs=1e-6)
    assert fit.po_size_p == pytest.approx(expected["po_p"], abs=1e-8)
    assert fit.po_size_df == expected["po_df"]


def test_holm_on_exact_levels_matches_p_adjust(items, ref):
    codebook = load_codebook()
    levels = theme_levels(items, codebook)
    p = []
    for theme in THEMES:
        answered = levels[theme].notna()
        x = items.loc[answered, TERMS].astype(float)
        p.append(fit_theme(levels.loc[answered, theme], x, theme).p["size"])
    expected = [ref["exact_levels"]["themes_size_p_holm"][t] for t in THEMES]
    np.testing.assert_allclose(holm(np.array(p)), expected, atol=1e-4)
