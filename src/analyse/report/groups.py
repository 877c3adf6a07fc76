"""The groups descriptive tables and figures compare: population bands, spending bands,
collectivity types with readable labels, and political sponsorship in four groups.

Kept apart from the tables so that figures and tables group respondents identically. Every
grouping but the type follows the data: population bands depend on the kind of body (communes
and EPCI have their own bands, départements and régions none), and a grouping whose column the
survey lacks is simply absent (``unavailable`` says why), so that a report describes what the
survey has rather than failing on what it has not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyse.data.bands import (
    COMMUNE_BAND_LABELS,
    POPULATION_BAND_LABELS,
    commune_band,
    population_band,
)
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


# The kinds of bodies whose populations are banded alike; départements and régions are few and
# far larger: no band (NOT_BANDED), they are described by type.
EPCI_TYPES: tuple[str, ...] = ("CC", "CA", "CU", "metropole", "EPT")
NOT_BANDED = "Département or région (no band)"


def size_bands(population: pd.Series, types: pd.Series | None = None) -> pd.Series:
    """Population bands, by kind of body when ``types`` are given.

    Without ``types``: the EPCI bands of ``analyse.data.bands``, as raking uses. With them:
    communes get the commune bands (<3,500 ... 100,000+), EPCI and EPT the EPCI bands, and
    départements and régions the single group ``NOT_BANDED``. When communes and EPCI are both
    present, each label names its kind ("Commune <3,500", "EPCI <20k"), smallest first.
    """
    if types is None:
        return population_band(population)
    population = pd.Series(population)
    kinds = pd.Series(types, index=population.index).astype("object")
    commune = (kinds == "commune").to_numpy()
    epci = kinds.isin(EPCI_TYPES).to_numpy()
    mixed = bool(commune.any() and epci.any())
    commune_labels = [f"Commune {b}" if mixed else b for b in COMMUNE_BAND_LABELS]
    epci_labels = [f"EPCI {b}" if mixed else b for b in POPULATION_BAND_LABELS]
    labels = pd.Series(np.nan, index=population.index, dtype="object")
    if commune.any():
        codes = commune_band(population[commune]).cat.codes.to_numpy()
        labels[commune] = [commune_labels[c] if c >= 0 else np.nan for c in codes]
    if epci.any():
        codes = population_band(population[epci]).cat.codes.to_numpy()
        labels[epci] = [epci_labels[c] if c >= 0 else np.nan for c in codes]
    unbanded = kinds.isin(("departement", "region")).to_numpy()
    labels[unbanded] = NOT_BANDED
    categories = (commune_labels if commune.any() else []) + (epci_labels if epci.any() else [])
    if unbanded.any():
        categories.append(NOT_BANDED)
    return pd.Series(
        pd.Categorical(labels, categories=categories, ordered=True), index=population.index
    )


def budget_bands(budget_per_capita: pd.Series) -> pd.Series:
    """Spending per inhabitant in bands (euros, lower edge included), ordered categorical."""
    budget = pd.Series(budget_per_capita).astype("float64")
    return pd.cut(
        budget, bins=list(BUDGET_BAND_EDGES), labels=list(BUDGET_BAND_LABELS), right=False
    )


# The labels of sponsorship when the survey asked only one of its two questions.
ONE_SPONSORSHIP_LABELS: dict[str, tuple[str, str]] = {
    "elected_digital_lead": ("No elected lead", "Elected lead"),
    "strategy_adopted": ("No strategy", "Strategy adopted"),
}


def sponsorship(scored: pd.DataFrame) -> pd.Series:
    """Political sponsorship in four groups from the elected lead and the adopted strategy, or
    in two from whichever of the two questions the survey has (each is optional)."""
    present = [c for c in ONE_SPONSORSHIP_LABELS if _has_values(scored, c)]
    if len(present) == 1:
        labels_of = ONE_SPONSORSHIP_LABELS[present[0]]
        code = scored[present[0]].astype("Float64").astype("float64")
    else:
        labels_of = SPONSORSHIP_LABELS
        lead = scored["elected_digital_lead"].astype("Float64")
        strategy = scored["strategy_adopted"].astype("Float64")
        code = (lead + 2 * strategy).astype("float64")
    labels = pd.Series(np.nan, index=scored.index, dtype="object")
    for value, label in enumerate(labels_of):
        labels[code == value] = label
    return pd.Series(
        pd.Categorical(labels, categories=list(labels_of), ordered=True),
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


# The survey columns each grouping needs (any one of them, for sponsorship).
GROUP_SOURCES: dict[str, tuple[str, ...]] = {
    "size_band": ("population",),
    "type_label": ("collectivity_type",),
    "budget_band": ("budget_per_capita",),
    "sponsorship": ("elected_digital_lead", "strategy_adopted"),
}


def _has_values(scored: pd.DataFrame, column: str) -> bool:
    """The column is in the survey and has at least one value (an empty column is absent)."""
    return column in scored.columns and bool(scored[column].notna().any())


def unavailable(scored: pd.DataFrame, group: str) -> str:
    """Why the grouping ``group`` of ``with_groups`` cannot be formed from ``scored`` ("" when
    it can), e.g. "no budget_per_capita column in this survey"."""
    sources = GROUP_SOURCES.get(group)
    if sources is None or any(_has_values(scored, c) for c in sources):
        return ""
    return f"no {' or '.join(sources)} column in this survey"


def with_groups(scored: pd.DataFrame) -> pd.DataFrame:
    """The scored survey with the grouping columns the descriptive tables and figures use:
    ``size_band``, ``type_label``, ``budget_band`` and ``sponsorship``, each when the survey
    has a value in one of its source columns (``unavailable`` says why one is absent)."""
    out = scored.copy()
    if _has_values(out, "population"):
        types = out.get("collectivity_type")
        out["size_band"] = size_bands(out["population"], types)
    if _has_values(out, "collectivity_type"):
        out["type_label"] = collectivity_types(out["collectivity_type"])
    if _has_values(out, "budget_per_capita"):
        out["budget_band"] = budget_bands(out["budget_per_capita"])
    if not unavailable(out, "sponsorship"):
        out["sponsorship"] = sponsorship(out)
    return out
