"""The per-theme checks of proportional odds: Brant's test where it exists, Holm over the
themes actually tested, and the likelihood-ratio test of a threshold-specific size slope.

The R comparisons (clm's nominal model) are in tests/test_stats_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline.run_result import load_scored
from analyse.stats.ordinal import brant_test, fit_theme, fit_themes, holm, nominal_lr_test
from analyse.stats.regression import build_design


def _ordinal_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Four levels from a proportional-odds logit on two regressors."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.normal(size=n)])
    latent = x @ np.array([0.8, -0.5]) + rng.logistic(size=n)
    return np.digitize(latent, [-1.0, 0.0, 1.0]), x


def test_holm_leaves_untested_out_of_the_family():
    """R: p.adjust(c(0.01, NA, 0.04, 0.03), "holm") = 0.03, NA, 0.06, 0.06 (m = 3, not 4).
    Failed before: NaN made the adjustment NaN or, after fillna(1.0), a tested theme."""
    np.testing.assert_allclose(
        holm(np.array([0.01, np.nan, 0.04, 0.03])), [0.03, np.nan, 0.06, 0.06], rtol=1e-15
    )
    assert np.isnan(holm(np.array([np.nan, np.nan]))).all()
    assert holm(np.array([])).shape == (0,)


def test_brant_on_a_separated_cut_is_not_testable():
    """A binary regressor that is 0 for every respondent at the top level (and 1 for half of
    the others) separates cut 2|3 only: that binary logit has no maximum, so there is no
    Brant test (not a p-value of 1), and the note names the cut."""
    codes, x = _ordinal_sample(200, 1)
    z = np.where(codes == 3, 0.0, np.arange(len(codes)) % 2)
    x = np.column_stack([x, z])
    brant = brant_test(codes, x, 3, ["0|1", "1|2", "2|3"])
    assert not brant.testable
    assert np.isnan(brant.p) and np.isnan(brant.chi2)
    assert "2|3" in brant.note and "separation" in brant.note
    assert brant_test(*_ordinal_sample(200, 1), 3).testable  # without the separating column
    two_levels = brant_test(np.minimum(codes, 1), x, 1)
    assert not two_levels.testable and "three levels" in two_levels.note


def test_nominal_lr_is_null_distributed_under_proportional_odds():
    """Under a true proportional-odds model LR ~ chi2(J - 2): over 300 simulated samples the
    rejection rate at 5 % stays within a binomial 99.9 % band and the mean LR is near 2."""
    lrs = []
    for seed in range(300):
        codes, x = _ordinal_sample(300, 100 + seed)
        test = nominal_lr_test(codes, x, 4, column=0)
        assert test.df == 2 and not test.note
        lrs.append(test.lr)
    lrs = np.array(lrs)
    rate = np.mean(stats.chi2.sf(lrs, 2) < 0.05)
    low, high = stats.binom.ppf([0.0005, 0.9995], 300, 0.05) / 300
    assert low <= rate <= high
    assert lrs.mean() == pytest.approx(2.0, abs=0.5)


def test_nominal_lr_detects_a_threshold_specific_slope():
    """When the first regressor's slope differs across cuts (a mixture of binary logits with
    slopes 0 at the bottom cut and 1.5 at the top one) the LR test rejects."""
    rng = np.random.default_rng(7)
    n = 1500
    x = np.column_stack([rng.normal(size=n), rng.normal(size=n)])
    u = rng.uniform(size=(n, 1))
    cut_logits = np.array([-1.0, 0.0, 1.0])[None, :] - np.outer(x[:, 0], [0.0, 0.75, 1.5])
    cumulative = np.sort(1 / (1 + np.exp(-cut_logits)), axis=1)  # P(Y <= j), kept monotone
    codes = (u > cumulative).sum(axis=1)
    test = nominal_lr_test(codes, x, 4, column=0)
    assert test.p < 1e-6
    assert nominal_lr_test(codes, x, 4, column=1).p > 1e-3  # the other regressor is PO


def test_fit_themes_adjusts_each_check_over_the_testable_themes_only():
    """Default panel: agent_services and data_ai have a separated top cut. Their Brant p is
    NaN and not testable; Holm runs over the other five. Failed before: fillna(1.0) made
    them tested and fine, and multiplied the others' p-values by up to 7 instead of 5."""
    params = load_params(project_root() / "params" / "default.yaml")
    scored, codebook = load_scored(params)
    table = fit_themes(scored, build_design(scored, controls=[]), codebook)
    untestable = ["agent_services", "data_ai"]
    assert not table.loc[untestable, "brant_testable"].any()
    assert table.loc[untestable, ["brant_p", "brant_p_holm"]].isna().all().all()
    assert table.loc[untestable, "brant_note"].str.contains("separation").all()
    testable = table[table["brant_testable"]]
    assert len(testable) == 5 and (testable["brant_note"] == "").all()
    np.testing.assert_allclose(testable["brant_p_holm"], holm(testable["brant_p"].to_numpy()))
    # the LR test needs no per-cut binary logit: every theme has one, adjusted over all 7
    assert table["po_size_p"].notna().all() and (table["po_size_df"] == 2).all()
    np.testing.assert_allclose(table["po_size_p_holm"], holm(table["po_size_p"].to_numpy()))
    fits = table.attrs["fits"]
    assert [f.brant_testable for f in fits] == table["brant_testable"].tolist()


def test_fit_theme_without_size_has_no_nominal_test():
    codes, x = _ordinal_sample(200, 3)
    fit = fit_theme(pd.Series(codes), pd.DataFrame(x, columns=["a", "b"]), "t")
    assert np.isnan(fit.po_size_lr) and fit.po_size_note
    fit = fit_theme(pd.Series(codes), pd.DataFrame(x, columns=["size", "b"]), "t")
    assert fit.po_size_df == 2 and fit.po_size_lr >= 0 and not fit.po_size_note
