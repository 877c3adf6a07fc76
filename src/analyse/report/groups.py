"""The groups descriptive tables and figures compare: population bands, spending bands,
collectivity types with readable labels, and political sponsorship in four groups.

Labels are in the report's language (``analyse.report.i18n``, catalogue ``groups.yaml`` and
``terms.types``), with numbers in the locale's spelling ("< 20 000 hab.", "< 600 €"): they are
what tables and figures show. The bands themselves (edges, lower edge included) are
``analyse.data.bands``', which raking uses with its own internal labels.

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
    COMMUNE_BAND_EDGES,
    POPULATION_BAND_EDGES,
    commune_band,
    population_band,
)
from analyse.data.contract import COLLECTIVITY_TYPES
from analyse.report import i18n

BUDGET_BAND_EDGES: tuple[float, ...] = (0, 600, 900, 1_200, np.inf)
# Smallest to largest, the order in which tables and figures list types.
TYPE_ORDER: tuple[str, ...] = COLLECTIVITY_TYPES
# The four sponsorship groups (elected lead + 2 x strategy), as keys of ``groups.sponsorship``.
SPONSORSHIP_KEYS: tuple[str, ...] = ("neither", "lead_only", "strategy_only", "both")

# The kinds of bodies whose populations are banded alike; départements and régions are few and
# far larger: no band (``not_banded``), they are described by type.
EPCI_TYPES: tuple[str, ...] = ("CC", "CA", "CU", "metropole", "EPT")


def _messages(m: i18n.Messages | None) -> i18n.Messages:
    return m if m is not None else i18n.current()


def band_labels(edges: tuple[float, ...], unit: str, m: i18n.Messages | None = None) -> list[str]:
    """The labels of bands cut at ``edges`` (lower edge included) in the report's language:
    "< 20 000 hab.", "20 000 à 50 000 hab.", "250 000 hab. et plus" (``unit`` "population");
    "< 600 €" ... "1 200 € et plus" (``unit`` "budget")."""
    m = _messages(m)
    labels = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        if low <= 0:
            labels.append(m(f"groups.{unit}.below", high=m.integer(high)))
        elif not np.isfinite(high):
            labels.append(m(f"groups.{unit}.above", low=m.integer(low)))
        else:
            labels.append(m(f"groups.{unit}.between", low=m.integer(low), high=m.integer(high)))
    return labels


def size_band_labels(m: i18n.Messages | None = None) -> list[str]:
    """The EPCI population bands (``analyse.data.bands``) in the report's language."""
    return band_labels(POPULATION_BAND_EDGES, "population", m)


def commune_band_labels(m: i18n.Messages | None = None) -> list[str]:
    """The commune population bands in the report's language."""
    return band_labels(COMMUNE_BAND_EDGES, "population", m)


def budget_band_labels(m: i18n.Messages | None = None) -> list[str]:
    """The spending bands per inhabitant in the report's language ("< 600 €" ...)."""
    return band_labels(BUDGET_BAND_EDGES, "budget", m)


def not_banded(m: i18n.Messages | None = None) -> str:
    """The one group of départements and régions in a population-band table."""
    return _messages(m)("groups.population.not_banded")


def type_label(collectivity_type: str, m: i18n.Messages | None = None) -> str:
    """A collectivity type in words (``terms.types.<type>``); an unknown code as written."""
    return _messages(m).get(f"terms.types.{collectivity_type}", str(collectivity_type))


def sponsorship_labels(m: i18n.Messages | None = None) -> list[str]:
    """The four sponsorship groups in the report's language, in the order of their codes."""
    m = _messages(m)
    return [m(f"groups.sponsorship.{key}") for key in SPONSORSHIP_KEYS]


def size_bands(
    population: pd.Series, types: pd.Series | None = None, m: i18n.Messages | None = None
) -> pd.Series:
    """Population bands, by kind of body when ``types`` are given, labelled in the report's
    language (``size_band_labels``).

    Without ``types``: the EPCI bands of ``analyse.data.bands``, as raking uses. With them:
    communes get the commune bands (< 3 500 ... 100 000 et plus), EPCI and EPT the EPCI bands,
    and départements and régions the single group ``not_banded``. When communes and EPCI are
    both present, each label names its kind ("Commune < 3 500 hab.", "EPCI < 20 000 hab."),
    smallest first.
    """
    m = _messages(m)
    if types is None:
        return population_band(population).cat.rename_categories(size_band_labels(m))
    population = pd.Series(population)
    kinds = pd.Series(types, index=population.index).astype("object")
    commune = (kinds == "commune").to_numpy()
    epci = kinds.isin(EPCI_TYPES).to_numpy()
    mixed = bool(commune.any() and epci.any())
    commune_labels = [
        m("groups.population.commune", band=b) if mixed else b for b in commune_band_labels(m)
    ]
    epci_labels = [m("groups.population.epci", band=b) if mixed else b for b in size_band_labels(m)]
    labels = pd.Series(np.nan, index=population.index, dtype="object")
    if commune.any():
        codes = commune_band(population[commune]).cat.codes.to_numpy()
        labels[commune] = [commune_labels[c] if c >= 0 else np.nan for c in codes]
    if epci.any():
        codes = population_band(population[epci]).cat.codes.to_numpy()
        labels[epci] = [epci_labels[c] if c >= 0 else np.nan for c in codes]
    unbanded = kinds.isin(("departement", "region")).to_numpy()
    labels[unbanded] = not_banded(m)
    categories = (commune_labels if commune.any() else []) + (epci_labels if epci.any() else [])
    if unbanded.any():
        categories.append(not_banded(m))
    return pd.Series(
        pd.Categorical(labels, categories=categories, ordered=True), index=population.index
    )


def budget_bands(budget_per_capita: pd.Series, m: i18n.Messages | None = None) -> pd.Series:
    """Spending per inhabitant in bands (euros, lower edge included), ordered categorical,
    labelled in the report's language (``budget_band_labels``)."""
    budget = pd.Series(budget_per_capita).astype("float64")
    return pd.cut(budget, bins=list(BUDGET_BAND_EDGES), labels=budget_band_labels(m), right=False)


# The label keys of sponsorship when the survey asked only one of its two questions.
ONE_SPONSORSHIP_KEYS: dict[str, tuple[str, str]] = {
    "elected_digital_lead": ("no_lead", "lead"),
    "strategy_adopted": ("no_strategy", "strategy"),
}


def sponsorship(scored: pd.DataFrame, m: i18n.Messages | None = None) -> pd.Series:
    """Political sponsorship in four groups from the elected lead and the adopted strategy, or
    in two from whichever of the two questions the survey has (each is optional), labelled in
    the report's language."""
    m = _messages(m)
    present = [c for c in ONE_SPONSORSHIP_KEYS if _has_values(scored, c)]
    if len(present) == 1:
        labels_of = [m(f"groups.sponsorship.{k}") for k in ONE_SPONSORSHIP_KEYS[present[0]]]
        code = scored[present[0]].astype("Float64").astype("float64")
    else:
        labels_of = sponsorship_labels(m)
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


def collectivity_types(types: pd.Series, m: i18n.Messages | None = None) -> pd.Series:
    """Collectivity types with readable labels in the report's language (``terms.types``),
    smallest kind first, present types only."""
    m = _messages(m)
    present = [t for t in TYPE_ORDER if (types == t).any()]
    labels = {t: type_label(t, m) for t in TYPE_ORDER}
    return pd.Series(
        pd.Categorical(
            types.astype("object").map(labels),
            categories=[labels[t] for t in present],
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


def unavailable(scored: pd.DataFrame, group: str, m: i18n.Messages | None = None) -> str:
    """Why the grouping ``group`` of ``with_groups`` cannot be formed from ``scored`` ("" when
    it can), in the report's language, e.g. "no budget_per_capita column in this survey"."""
    sources = GROUP_SOURCES.get(group)
    if sources is None or any(_has_values(scored, c) for c in sources):
        return ""
    m = _messages(m)
    return m("groups.no_column", columns=m("groups.no_column_or").join(sources))


def describable(scored: pd.DataFrame, group: str) -> bool:
    """Whether chapter 2 has a section on ``group``: the data can form it (``unavailable``).
    A grouping the data have no column for is left out, heading, figure and table, rather
    than shown as a section that says it has nothing (the chapter's intro says what is not
    described, ``analyse.report.narrative.described``)."""
    return not unavailable(scored, group)


def with_groups(scored: pd.DataFrame, m: i18n.Messages | None = None) -> pd.DataFrame:
    """The scored survey with the grouping columns the descriptive tables and figures use:
    ``size_band``, ``type_label``, ``budget_band`` and ``sponsorship``, each when the survey
    has a value in one of its source columns (``unavailable`` says why one is absent). The
    groups are labelled in the report's language (``i18n.current()`` unless ``m`` is given):
    the columns' names stay, their values are what a reader reads."""
    m = _messages(m)
    out = scored.copy()
    if _has_values(out, "population"):
        types = out.get("collectivity_type")
        out["size_band"] = size_bands(out["population"], types, m)
    if _has_values(out, "collectivity_type"):
        out["type_label"] = collectivity_types(out["collectivity_type"], m)
    if _has_values(out, "budget_per_capita"):
        out["budget_band"] = budget_bands(out["budget_per_capita"], m)
    if not unavailable(out, "sponsorship"):
        out["sponsorship"] = sponsorship(out, m)
    return out
