"""Scores checked against hand-computed answers and a closed form for Cronbach's alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import Codebook
from analyse.data.scoring import (
    _complete_mean,
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


def _scale(n_levels: int, lowest: int, items: int) -> Codebook:
    """One theme of ``items`` items on ``n_levels`` consecutive levels starting at ``lowest``."""
    levels = range(lowest, lowest + n_levels)
    return Codebook.model_validate(
        {
            "levels": [{"value": v, "label_fr": str(v), "label_en": str(v)} for v in levels],
            "themes": [
                {
                    "key": "t",
                    "label_fr": "T",
                    "label_en": "T",
                    "items": [{"column": f"i{j}"} for j in range(items)],
                }
            ],
        }
    )


@pytest.mark.parametrize("lowest", [0, 1])
@pytest.mark.parametrize("n_levels", [4, 5, 6])
def test_theme_levels_round_every_half_up(n_levels, lowest):
    """Every mean that ends in .5 goes up, on 4-, 5- and 6-level scales (2 and 4 items).

    Failed before the levels were computed in integers: on 0-3, a mean of 0.5 went through
    the 0-100 score as 0.49999999999999994 and was rounded down to 0."""
    from fractions import Fraction

    for n_items in (2, 4):
        codebook = _scale(n_levels, lowest, n_items)
        rows = []
        for low in range(n_levels - 1):  # mean low + 1/2: half the items at low, half above
            half = n_items // 2
            rows.append([low] * half + [low + 1] * half)
        survey = pd.DataFrame(rows, columns=codebook.theme("t").columns, dtype="Int64") + lowest
        levels = theme_levels(survey, codebook)["t"]
        assert levels.tolist() == [float(lowest + low + 1) for low in range(n_levels - 1)]
        # and every possible answer pattern agrees with exact rounding (fractions)
        grid = np.array(np.meshgrid(*[range(n_levels)] * n_items)).reshape(n_items, -1).T
        survey = pd.DataFrame(grid + lowest, columns=codebook.theme("t").columns, dtype="Int64")
        expected = [
            float(lowest + int(Fraction(int(row.sum()), n_items) + Fraction(1, 2))) for row in grid
        ]
        assert theme_levels(survey, codebook)["t"].tolist() == expected


def test_theme_levels_skip_missing_items_and_empty_themes():
    """The mean is over answered items only; a wholly unanswered theme has no level."""
    codebook = _scale(4, 0, 3)
    survey = pd.DataFrame(
        {"i0": [0, 1, pd.NA, pd.NA], "i1": [1, pd.NA, 2, pd.NA], "i2": [pd.NA, 2, 3, pd.NA]},
        dtype="Int64",
    )
    levels = theme_levels(survey, codebook)["t"]
    assert levels.iloc[:3].tolist() == [1.0, 2.0, 3.0]  # means 0.5, 1.5, 2.5 all round up
    assert np.isnan(levels.iloc[3])
    assert levels.dtype == "float64"


def _three_themes() -> Codebook:
    return Codebook.model_validate(
        {
            "levels": [{"value": v, "label_fr": str(v), "label_en": str(v)} for v in range(4)],
            "themes": [
                {"key": k, "label_fr": k, "label_en": k, "items": [{"column": f"{k}1"}]}
                for k in ("a", "b", "c")
            ],
        }
    )


def test_min_themes_index_is_the_mean_of_the_themes_answered():
    """``analysis.min_themes``: at least k themes answered -> mean of those; fewer -> excluded.

    By hand on 0-3 items (one item per theme, so a theme score is level/3*100).
    """
    book = _three_themes()
    survey = pd.DataFrame(
        {"a1": [3, 3, 3, pd.NA], "b1": [0, pd.NA, pd.NA, pd.NA], "c1": [3, 0, pd.NA, pd.NA]},
        dtype="Int64",
    )
    out = score_survey(survey, book, min_themes=2)
    # row 0, every theme: (100 + 0 + 100) / 3; row 1, a and c: (100 + 0) / 2
    assert out["maturity_index"].iloc[:2].tolist() == pytest.approx([200.0 / 3, 50.0])
    assert out["excluded_reason"].tolist() == [
        "",
        "",
        "fewer than 2 of the 3 themes answered",
        "fewer than 2 of the 3 themes answered",
    ]
    assert out["maturity_index"].iloc[2:].isna().all()
    one = score_survey(survey, book, min_themes=1)
    assert (
        one.loc[2, "maturity_index"] == pytest.approx(100.0) and one.loc[2, "excluded_reason"] == ""
    )
    assert np.isnan(one.loc[3, "maturity_index"])  # nothing answered: never an index
    # k = every theme is the default rule, reasons included
    pd.testing.assert_frame_equal(
        score_survey(survey, book, min_themes=3), score_survey(survey, book)
    )


@pytest.mark.parametrize("k", [0, 4])
def test_min_themes_out_of_range_is_refused(k):
    survey = pd.DataFrame({"a1": [1], "b1": [1], "c1": [1]}, dtype="Int64")
    with pytest.raises(ValueError, match="between 1 and 3"):
        score_survey(survey, _three_themes(), min_themes=k)


def test_a_reason_set_before_scoring_stands(two_themes):
    """A row the loader already excluded (e.g. a type label mapped to null) gets no index."""
    survey = pd.DataFrame({"a1": [1, 2], "a2": [2, 2], "b1": [3, 1], "b2": [0, 1], "b3": [1, 1]})
    survey["excluded_reason"] = ["", "type label 'Autre' mapped to null"]
    out = score_survey(
        survey.astype({c: "Int64" for c in ("a1", "a2", "b1", "b2", "b3")}), two_themes
    )
    assert out["excluded_reason"].tolist() == ["", "type label 'Autre' mapped to null"]
    assert out["maturity_index"].notna().tolist() == [True, False]


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_the_index_is_pandas_row_mean_to_the_last_bit(k):
    """``_complete_mean`` sums the theme scores column by column instead of letting pandas
    copy them all (the peak of ``analyse validate`` on a census): on every row where no theme
    is missing, the same float as ``DataFrame.mean(axis=1)``, bit for bit, with scores of very
    different magnitudes so that a different order of summation would show."""
    rng = np.random.default_rng(k)
    values = rng.normal(50, 30, (k, 20_000)) * rng.choice([1.0, 1e-3, 1e3], size=(k, 1))
    values[rng.random(values.shape) < 0.05] = np.nan
    scores = pd.DataFrame(values.T, columns=[f"t{i}" for i in range(k)], copy=False)
    complete = scores.notna().all(axis=1).to_numpy()
    expected = scores.mean(axis=1).to_numpy()[complete]
    got = _complete_mean(scores).to_numpy()[complete]
    assert complete.sum() > 5_000
    assert np.array_equal(got, expected)  # bit for bit
    if k >= 3:  # another order of summation gives other last bits: the check can fail
        reverse = values[::-1].T[complete]
        assert not np.array_equal(got, np.add.reduce(reverse, axis=1) / k)
