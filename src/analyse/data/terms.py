"""The model terms built from the survey's raw columns.

The regression of the statistical core and the simulator's known truth must use exactly the
same transformations, so they live here once:

- ``size = ln(population)``: maturity is expected to grow with the order of magnitude of a
  collectivity, not with each extra inhabitant;
- ``budget = ln(budget_per_capita)``: spending per inhabitant is right-skewed across types;
- ``staff = ln(1 + 10000 * digital_staff_fte / population)``: digital staff per 10,000
  inhabitants, so that staff measures means relative to size rather than size again, and the
  ``1 +`` keeps collectivities with no dedicated staff;
- ``elected_digital_lead`` and ``strategy_adopted``: political sponsorship, 0/1 as surveyed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyse.reasons import Reason

SPONSORSHIP_TERMS: tuple[str, ...] = ("elected_digital_lead", "strategy_adopted")
MAIN_TERMS: tuple[str, ...] = ("size", "budget", "staff", *SPONSORSHIP_TERMS)
# The 0/1 terms: each splits the respondents into two groups, and its coefficient compares them
# (``analyse.stats.regression.rare_binary_terms`` drops one whose smaller group is too small).
BINARY_TERMS: tuple[str, ...] = SPONSORSHIP_TERMS

# Which survey column each term needs; a term whose column is absent is dropped (and reported).
TERM_SOURCES: dict[str, tuple[str, ...]] = {
    "size": ("population",),
    "budget": ("budget_per_capita",),
    "staff": ("digital_staff_fte", "population"),
    "elected_digital_lead": ("elected_digital_lead",),
    "strategy_adopted": ("strategy_adopted",),
}


def staff_per_10k(fte: pd.Series | np.ndarray, population: pd.Series | np.ndarray) -> np.ndarray:
    """Digital staff per 10,000 inhabitants, on the log1p scale used by the model."""
    fte = np.asarray(fte, dtype="float64")
    population = np.asarray(population, dtype="float64")
    return np.log1p(10000.0 * fte / population)


def available_terms(survey: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Split the main terms into those the survey supports and those it lacks a column for.

    A column present but empty in every row of ``survey`` counts as absent: a survey-tool
    export keeps the column of a question nobody was asked, and a term without a single value
    can only be dropped, as if the column were not there (``drop_reasons`` says which).
    """
    present, dropped = [], []
    for term in MAIN_TERMS:
        (dropped if drop_reason(survey, term) else present).append(term)
    return present, dropped


def drop_reason(survey: pd.DataFrame, term: str) -> str:
    """Why ``term`` cannot enter a model of ``survey`` ("" when it can): its column is absent
    or has no value."""
    for column in TERM_SOURCES[term]:
        if column not in survey.columns:
            return Reason("no_column", {"column": column}).english()
        if not survey[column].notna().any():
            return Reason("empty_column", {"column": column}).english()
    return ""


def drop_reasons(survey: pd.DataFrame, terms: list[str]) -> dict[str, str]:
    """``drop_reason`` of each of ``terms``, for the report's model table."""
    not_requested = Reason("not_requested").english()
    return {term: drop_reason(survey, term) or not_requested for term in terms}


def model_terms(survey: pd.DataFrame) -> pd.DataFrame:
    """The main terms the survey supports, indexed like the survey, as float64."""
    present, _ = available_terms(survey)
    out = pd.DataFrame(index=survey.index)
    for term in present:
        out[term] = model_term(survey, term)
    return out


def model_term(survey: pd.DataFrame, term: str) -> np.ndarray:
    """One main term of ``survey`` (which needs only the term's ``TERM_SOURCES`` columns)."""
    builders = {
        "size": lambda s: np.log(s["population"].astype("float64")),
        "budget": lambda s: np.log(s["budget_per_capita"].astype("float64")),
        "staff": lambda s: staff_per_10k(s["digital_staff_fte"], s["population"]),
        "elected_digital_lead": lambda s: s["elected_digital_lead"].astype("float64"),
        "strategy_adopted": lambda s: s["strategy_adopted"].astype("float64"),
    }
    return np.asarray(builders[term](survey), dtype="float64")
