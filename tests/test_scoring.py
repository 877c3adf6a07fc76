"""Scores checked against hand-computed answers and a closed form for Cronbach's alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import Codebook
from analyse.data.scoring import (
    cronbach_alpha,
    reliability,
    score_survey,
    share_at_least,
    theme_levels,
)


@pytest.fixture()
def two_themes() -> Codebook:
    return Codebook.model_validate(
        {
            "levels": [{"value": v, "label_fr": str(v), "label_en": str(v)} for v in range(4)],
            "themes": [
                {
                    "key": "a",
                    "label_fr": "A",
                    "label_en": "A",
                    "items": [{"column": "a1"}, {"column": "a2"}],
                },
                {
                    "key": "b",
                    "label_fr": "B",
                    "label_en": "B",
                    "items": [{"column": "b1"}, {"column": "b2"}, {"column": "b3"}],
                },
            ],
        }
    )


def test_theme_scores_and_index_by_hand(two_themes):
    survey = pd.DataFrame(
        {
            "a1": [3, 0, 1, pd.NA],
            "a2": [3, 1, pd.NA, pd.NA],
            "b1": [0, 2, 2, 3],
            "b2": [3, 2, pd.NA, 3],
            "b3": [3, 2, 2, 3],
        },
        dtype="Int64",
    )
    out = score_survey(survey, two_themes)
    # row 0: a = mean(3,3)/3*100 = 100; b = mean(0,3,3)/3*100 = 66.67; index = 83.33
    assert out.loc[0, "a"] == pytest.approx(100.0)
    assert out.loc[0, "b"] == pytest.approx(200.0 / 3)
    assert out.loc[0, "maturity_index"] == pytest.approx(250.0 / 3)
    # row 2: a answered on one item only -> 1/3*100
    assert out.loc[2, "a"] == pytest.approx(100.0 / 3)
    # row 3: theme a wholly unanswered -> no index, a reason, row kept
    assert np.isnan(out.loc[3, "maturity_index"])
    assert out.loc[3, "excluded_reason"] == "no answer in theme(s): a"
    assert out.loc[0, "excluded_reason"] == ""
    assert len(out) == len(survey)


def test_scores_scale_with_the_number_of_levels(two_themes):
    raw = two_themes.model_dump()
    raw["levels"] = [{"value": v, "label_fr": str(v), "label_en": str(v)} for v in range(6)]
    six = Codebook.model_validate(raw)
    survey = pd.DataFrame({"a1": [5], "a2": [0], "b1": [5], "b2": [5], "b3": [5]}, dtype="Int64")
    out = score_survey(survey, six)
    assert out.loc[0, "a"] == pytest.approx(50.0)
    assert out.loc[0, "b"] == pytest.approx(100.0)


def test_input_is_not_modified(two_themes):
    survey = pd.DataFrame({"a1": [1], "a2": [2], "b1": [3], "b2": [0], "b3": [1]}, dtype="Int64")
    before = survey.copy()
    score_survey(survey, two_themes)
    pd.testing.assert_frame_equal(survey, before)


def test_cronbach_alpha_closed_form():
    # Parallel items x + e_j: alpha equals the Spearman-Brown value k*r/(1+(k-1)*r) in the
    # population; with a large sample the estimate is close to it.
    rng = np.random.default_rng(0)
    n, k, r = 200_000, 4, 0.5
    true = rng.standard_normal(n)
    items = pd.DataFrame(
        {f"i{j}": true + rng.standard_normal(n) * np.sqrt((1 - r) / r) for j in range(k)}
    )
    assert cronbach_alpha(items) == pytest.approx(k * r / (1 + (k - 1) * r), abs=0.005)


def test_cronbach_alpha_small_exact():
    items = pd.DataFrame({"x": [1, 2, 3, 4], "y": [2, 2, 4, 4], "z": [1, 3, 3, 5]})
    k = 3
    item_var = items.var(ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    assert cronbach_alpha(items) == pytest.approx(k / (k - 1) * (1 - item_var / total_var))
    # variances: x 1.6667, y 1.3333, z 2.6667; totals 4,7,10,13 -> var 15
    assert cronbach_alpha(items) == pytest.approx(1.5 * (1 - 5.6666667 / 15.0))


def test_cronbach_alpha_undefined_cases():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"x": [1, 2, 3]})))
    assert np.isnan(cronbach_alpha(pd.DataFrame({"x": [1], "y": [2]})))
    assert np.isnan(cronbach_alpha(pd.DataFrame({"x": [1, 1], "y": [2, 2]})))


def test_reliability_counts_complete_cases(two_themes):
    survey = pd.DataFrame(
        {
            "a1": [0, 1, 2, 3, pd.NA],
            "a2": [0, 1, 3, 3, 1],
            "b1": [0, 1, 2, 3, 1],
            "b2": [1, 1, 2, 3, 1],
            "b3": [0, 2, 2, 3, 1],
        },
        dtype="Int64",
    )
    rel = reliability(survey, two_themes).set_index("theme")
    assert rel.loc["a", "n_complete"] == 4
    assert rel.loc["b", "n_complete"] == 5
    assert rel.loc["b", "n_items"] == 3


def test_theme_levels_round_half_up_and_shares(two_themes):
    survey = pd.DataFrame(
        {
            "a1": [1, 2, 1, 0],
            "a2": [2, 2, 1, 0],
            "b1": [1, 3, 0, 0],
            "b2": [2, 3, 0, 0],
            "b3": [2, 3, 0, pd.NA],
        },
        dtype="Int64",
    )
    levels = theme_levels(survey, two_themes)
    assert levels["a"].tolist() == [2.0, 2.0, 1.0, 0.0]  # mean 1.5 rounds up to 2
    assert levels["b"].tolist() == [2.0, 3.0, 0.0, 0.0]  # mean 1.667 -> 2
    shares = share_at_least(survey, two_themes, 2)
    assert shares["a"] == pytest.approx(0.5)
    assert shares["b"] == pytest.approx(0.5)
