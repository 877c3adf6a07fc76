"""Theme scores, the 0-100 maturity index and their reliability.

A theme score is the mean of the theme's answered items, rescaled to 0-100 by the number of
levels in the codebook, so that surveys with 4 or 6 levels give comparable scores. A respondent
with one theme wholly unanswered has no overall index by default: averaging the remaining themes
would compare collectivities on different content (``analysis.min_themes`` relaxes this on
purpose). Such respondents are kept in the table with a reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyse.data.codebook import Codebook
from analyse.reasons import Reason

EXCLUSION_COLUMN = "excluded_reason"


def theme_scores(survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One column per theme: mean answered level rescaled to 0-100 (NaN if no item answered)."""
    span = codebook.max_level - codebook.min_level
    # one float block filled theme by theme, as pandas would lay the columns out, and each
    # theme's mean from its items one at a time: no float copy of every item and no second
    # copy of the scores (hundreds of MB on a survey of millions)
    scores = np.empty((len(codebook.themes), len(survey)), dtype="float64")
    for row, theme in zip(scores, codebook.themes, strict=True):
        row[:] = _answered_mean(survey, theme.columns)
        row -= codebook.min_level  # in place, in the order of (mean - min) / span * 100
        row /= span
        row *= 100.0
    return pd.DataFrame(scores.T, index=survey.index, columns=codebook.theme_keys, copy=False)


def _answered_mean(survey: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Per row, the mean of the answered (non-missing) ``columns``, NaN if none is answered:
    ``DataFrame.mean(axis=1, skipna=True)``, summed in column order, one column at a time."""
    total = np.zeros(len(survey), dtype="float64")
    count = np.zeros(len(survey), dtype=np.int32)
    for column in columns:
        values = survey[column].to_numpy(dtype="float64", na_value=np.nan)
        answered = ~np.isnan(values)
        np.add(total, values, out=total, where=answered)
        count += answered
    total[count == 0] = np.nan
    np.divide(total, count, out=total, where=count > 0)
    return total


def score_survey(
    survey: pd.DataFrame, codebook: Codebook, min_themes: int | None = None
) -> pd.DataFrame:
    """The survey with theme scores, ``maturity_index`` and ``excluded_reason`` added.

    With ``min_themes`` None (the default) ``maturity_index`` is the mean of the theme scores,
    missing when any theme is wholly unanswered, and ``excluded_reason`` names those themes.
    With ``min_themes`` = k, a respondent who answered at least k themes gets the mean of the
    themes answered, and one who answered fewer is excluded with the reason "fewer than k of
    the T themes answered": an analyst who accepts indexes built on different content says so
    in the parameters rather than by silently dropping themes. k equal to the number of themes
    is the default rule.

    A reason already set in ``survey`` (a row excluded before scoring, e.g. an unmapped type)
    is kept, and that row gets no index. ``excluded_reason`` is the empty string when included.
    """
    n_themes = len(codebook.themes)
    if min_themes is not None and not 1 <= min_themes <= n_themes:
        raise ValueError(f"min_themes must be between 1 and {n_themes}, not {min_themes}")
    scores = theme_scores(survey, codebook)
    missing = scores.isna()
    if min_themes is None or min_themes == n_themes:
        index = _complete_mean(scores).where(~missing.any(axis=1))
        reason = _unanswered_reason(missing)
    else:
        enough = (~missing).sum(axis=1) >= min_themes
        index = scores.mean(axis=1, skipna=True).where(enough)
        text = Reason("too_few_themes", {"min_themes": min_themes, "n_themes": n_themes}).english()
        reason = pd.Series(np.where(enough, "", text), index=survey.index, dtype=object)
    if EXCLUSION_COLUMN in survey.columns:  # excluded before scoring: that reason stands
        prior = survey[EXCLUSION_COLUMN].fillna("").astype(str)
        reason = reason.where(prior == "", prior)
        index = index.where(prior == "")
    out = survey.copy(deep=False)  # copy-on-write: the survey's columns are not duplicated
    for key in codebook.theme_keys:
        out[key] = scores[key]
    out["maturity_index"] = index
    out[EXCLUSION_COLUMN] = reason.astype("string") if len(out) else pd.Series(dtype="string")
    return out


def _complete_mean(scores: pd.DataFrame) -> pd.Series:
    """Per row, the mean of the theme scores, exact where every theme is scored (elsewhere
    the caller masks it): ``scores.mean(axis=1)``'s figures, the columns summed in order,
    without the float copy of every score (NaN set to 0) and its mask that pandas makes,
    the peak of ``analyse validate`` on a census of millions (benchmarks/validate_memory.py)."""
    if scores.shape[1] == 0:
        return scores.mean(axis=1)
    total = scores.iloc[:, 0].to_numpy(dtype="float64", copy=True)
    for column in scores.columns[1:]:
        total += scores[column].to_numpy(dtype="float64")
    total /= float(scores.shape[1])
    return pd.Series(total, index=scores.index, copy=False)


def _unanswered_reason(missing: pd.DataFrame) -> pd.Series:
    """Per row, "no answer in theme(s): ..." naming its wholly unanswered themes ("" if none).

    Written once per distinct pattern of unanswered themes and spread back to the rows: a
    row-wise ``apply`` builds a Series for every respondent, minutes and hundreds of MB of
    short-lived objects on a survey of millions.
    """
    patterns, inverse = np.unique(missing.to_numpy(dtype=bool), axis=0, return_inverse=True)
    themes = np.asarray(missing.columns, dtype=object)
    texts = np.array(
        [
            Reason("no_answer", {"themes": list(themes[pattern])}).english()
            if pattern.any()
            else ""
            for pattern in patterns
        ],
        dtype=object,
    )
    return pd.Series(texts[inverse.reshape(-1)], index=missing.index, dtype=object)


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha on complete cases: k/(k-1) * (1 - sum of item variances / total variance).

    Complete cases only, because alpha compares item and total variances on the same people.
    Returns NaN when alpha says nothing (``alpha_fault``): fewer than two items or two complete
    respondents, a constant total, or an item without variance. A constant item (every body at
    E on a grade) adds nothing to the total's variance, and the formula then gives a number
    (0.00 for two items) that reads as « the items disagree » when they were never compared.
    """
    if alpha_fault(items) is not None:
        return float("nan")
    complete = items.dropna().astype("float64")
    k = complete.shape[1]
    item_var = complete.var(axis=0, ddof=1).sum()
    total_var = complete.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - item_var / total_var))


# Why a theme's alpha is not computable (``alpha_fault``), in words for the command line; the
# reports say it in their language (``tables.reliability_table.not_computable.<reason>``).
ALPHA_FAULTS: dict[str, str] = {
    "few_items": "fewer than two items",
    "few_complete": "fewer than two complete rows",
    "constant_item": "an item has no variance",
    "constant_total": "the total has no variance",
}


def alpha_fault(items: pd.DataFrame) -> str | None:
    """Why Cronbach's alpha of these items cannot be computed (a key of ``ALPHA_FAULTS``), or
    None when it can: on the complete cases, at least two items and two rows, every item and
    the total varying."""
    complete = items.dropna().astype("float64")
    if complete.shape[1] < 2:
        return "few_items"
    if len(complete) < 2:
        return "few_complete"
    if (complete.var(axis=0, ddof=1) == 0).any():
        return "constant_item"
    if complete.sum(axis=1).var(ddof=1) == 0:
        return "constant_total"
    return None


@dataclass(frozen=True)
class Reliability:
    theme: str
    n_items: int
    n_complete: int
    alpha: float
    # why alpha is NaN (a key of ``ALPHA_FAULTS``), None when it was computed
    alpha_fault: str | None = None


def reliability(survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Cronbach's alpha per theme, with the number of complete respondents it rests on and,
    when it cannot be computed, why (``alpha_fault``)."""
    rows = []
    for theme in codebook.themes:
        items = survey[theme.columns]
        rows.append(
            Reliability(
                theme=theme.key,
                n_items=len(theme.columns),
                n_complete=int(items.notna().all(axis=1).sum()),
                alpha=cronbach_alpha(items),
                alpha_fault=alpha_fault(items),
            ).__dict__
        )
    return pd.DataFrame(rows)


def alpha_notes(alphas: pd.DataFrame) -> list[str]:
    """One line per theme whose alpha is not computable, saying why (the summary prints
    "n/a" for it): "alpha of theme 'transparence' not computable (an item has no variance)"."""
    if "alpha_fault" not in alphas:
        return []
    return [
        f"alpha of theme {rec.theme!r} not computable "
        f"({ALPHA_FAULTS.get(rec.alpha_fault, rec.alpha_fault)})"
        for rec in alphas.itertuples(index=False)
        if isinstance(rec.alpha_fault, str)
    ]


def theme_levels(survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Each theme's level: the mean of its answered items rounded half up to a codebook level.

    This is the scale on which the barometer reports theme maturity and on which the per-theme
    ordinal models are fitted. Missing when the theme is wholly unanswered.

    Computed exactly, in integers: with items shifted to start at 0, S the sum and n the number
    of answered items, the level is ``floor((2S + n) / (2n)) + min_level`` = floor(S/n + 1/2).
    Going through the 0-100 score instead loses the half: on a 0-3 scale a mean of 0.5 becomes
    (0.5/3*100)/100*3 = 0.49999999999999994 and rounded down to 0, which moved 28 respondent-
    theme cells of the default panel and 918 of the census.
    """
    levels = {}
    for theme in codebook.themes:
        values = survey[theme.columns].to_numpy(dtype="float64", na_value=np.nan)
        answered = ~np.isnan(values)
        shifted = np.where(answered, values - codebook.min_level, 0.0)
        if not np.array_equal(shifted, np.round(shifted)):
            raise ValueError(f"theme {theme.key!r}: item answers must be whole codebook levels")
        total = shifted.astype("int64").sum(axis=1)
        count = answered.sum(axis=1).astype("int64")
        level = (2 * total + count) // np.maximum(2 * count, 1) + codebook.min_level
        levels[theme.key] = np.where(count > 0, level.astype("float64"), np.nan)
    return pd.DataFrame(levels, index=survey.index, dtype="float64")


def share_at_least(survey: pd.DataFrame, codebook: Codebook, level: int) -> pd.Series:
    """Share of respondents whose theme level reaches ``level``, per theme.

    The barometer's headline figures read this way ("59 % at formalised actions or better").
    Respondents who left a theme unanswered are left out of that theme's denominator.
    """
    levels = theme_levels(survey, codebook)
    return (levels >= level).where(levels.notna()).astype("float64").mean(axis=0)
