"""The groups descriptive tables and figures compare: population bands, spending bands,
collectivity types with readable labels, and political sponsorship in four groups.

Kept apart from the tables so that figures and tables group respondents identically.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyse.data.bands import POPULATION_BAND_LABELS, population_band
from analyse.data.contract import COLLECTIVITY_TYPES

SIZE_BAND_LABELS: tuple[str, ...] = POPULATION_BAND_LABELS
BUDGET_BAND_EDGES: tuple[float, ...] = (0, 600, 900, 1_200, np.inf)
BUDGET_BAND_LABELS: tuple[str, ...] = ("<600 €", "600-900 €", "900-1,200 €", "1,200 € +")

TYPE_LABELS: dict[str, str] = {
    "commune": "Commune",
    "CC": "Community of communes (CC)",
    "CA": "Agglomeration community (CA)",
    "CU": "Urban community (CU)",
    "metropole": "Métropole",
    "EPT": "Territorial public body (EPT)",
    "departement": "Département",
    "region": "Région",
}
# Smallest to largest, the order in which tables and figures list types.
TYPE_ORDER: tuple[str, ...] = COLLECTIVITY_TYPES
SPONSORSHIP_LABELS: tuple[str, ...] = (
    "Neither",
    "Elected lead only",
    "Strategy only",
    "Elected lead and strategy",
)


def size_bands(population: pd.Series) -> pd.Series:
    """Population bands (``analyse.data.bands``): the same bands as raking uses."""
    return population_band(population)


def budget_bands(budget_per_capita: pd.Series) -> pd.Series:
    """Spending per inhabitant in bands (euros, lower edge included), ordered categorical."""
    budget = pd.Series(budget_per_capita).astype("float64")
    return pd.cut(
        budget, bins=list(BUDGET_BAND_EDGES), labels=list(BUDGET_BAND_LABELS), right=False
    )


def sponsorship(scored: pd.DataFrame) -> pd.Series:
    """Political sponsorship in four groups from the elected lead and the adopted strategy."""
    lead = scored["elected_digital_lead"].astype("Float64")
    strategy = scored["strategy_adopted"].astype("Float64")
    code = (lead + 2 * strategy).astype("float64")
    labels = pd.Series(np.nan, index=scored.index, dtype="object")
    for value, label in enumerate(SPONSORSHIP_LABELS):
        labels[code == value] = label
    return pd.Series(
        pd.Categorical(labels, categories=list(SPONSORSHIP_LABELS), ordered=True),
        index=scored.index,
    )


def collectivity_types(types: pd.Series) -> pd.Series:
    """Collectivity types with readable labels, smallest kind first, present types only."""
    present = [t for t in TYPE_ORDER if (types == t).any()]
    return pd.Series(
        pd.Categorical(
            types.astype("object").map(TYPE_LABELS),
            categories=[TYPE_LABELS[t] for t in present],
            ordered=True,
        ),
        index=types.index,
    )


def with_groups(scored: pd.DataFrame) -> pd.DataFrame:
    """The scored survey with the grouping columns the descriptive tables and figures use:
    ``size_band``, ``type_label``, ``budget_band`` and ``sponsorship`` (when their source
    columns are present)."""
    out = scored.copy()
    if "population" in out:
        out["size_band"] = size_bands(out["population"])
    if "collectivity_type" in out:
        out["type_label"] = collectivity_types(out["collectivity_type"])
    if "budget_per_capita" in out:
        out["budget_band"] = budget_bands(out["budget_per_capita"])
    if {"elected_digital_lead", "strategy_adopted"} <= set(out.columns):
        out["sponsorship"] = sponsorship(out)
    return out
