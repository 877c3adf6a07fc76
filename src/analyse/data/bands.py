"""Population bands: one definition for raking, the specification curve and the descriptives.

The bands follow the barometer's way of speaking of EPCI sizes (under 20,000 inhabitants up to
250,000 and more). Each band includes its lower edge: 20,000 inhabitants is in "20-50k".
Communes have their own bands in the descriptives (``COMMUNE_BAND_*``: the thresholds of French
municipal law and statistics, 3,500, 10,000 and 100,000 inhabitants): an EPCI band would put
nine communes in ten in "<20k".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

POPULATION_BAND_EDGES: tuple[float, ...] = (0, 20_000, 50_000, 100_000, 250_000, np.inf)
POPULATION_BAND_LABELS: tuple[str, ...] = ("<20k", "20-50k", "50-100k", "100-250k", "250k+")


def population_band(population: pd.Series) -> pd.Series:
    """The population band of each row, as an ordered categorical; missing stays missing."""
    return _band(population, POPULATION_BAND_EDGES, POPULATION_BAND_LABELS)


def _band(population: pd.Series, edges: tuple[float, ...], labels: tuple[str, ...]) -> pd.Series:
    """Bands with their lower edge included (``right=False``), as an ordered categorical."""
    return pd.cut(
        pd.Series(population).astype("float64"), bins=list(edges), labels=list(labels), right=False
    )


COMMUNE_BAND_EDGES: tuple[float, ...] = (0, 3_500, 10_000, 100_000, np.inf)
COMMUNE_BAND_LABELS: tuple[str, ...] = ("<3,500", "3,500-10,000", "10,000-100,000", "100,000+")


def commune_band(population: pd.Series) -> pd.Series:
    """The commune population band of each row (lower edge included); missing stays missing."""
    return _band(population, COMMUNE_BAND_EDGES, COMMUNE_BAND_LABELS)


# ------------------------------------------------------------------ raking bands, by tier
#
# Raking calibrates to collectivity type x population band. Bands are per *tier* (the level of
# government: communes, EPCI, EPT, départements, régions), because one set of edges cannot fit
# bodies of 10 and of 10 million inhabitants: EPCI edges would put 34,000 of the 35,000 communes
# in "<20k". Every band belongs to one tier and every type to one tier, so the calibration
# problem splits into independent blocks, one per tier (``analyse.stats.weights``).
#
# - communes: <500, 500-2k, 2-10k, 10-50k, 50k+ (18,258 / 11,135 / 4,497 / 932 / 135 communes
#   of the 2026 frame). Finer than the descriptive bands above at the small end, where half of
#   all communes are and where a survey of communes is thinnest; 50,000 is the top so that the
#   highest band still holds 135 units, enough for a survey to reach.
# - EPCI (CC, CA, CU, metropole): the barometer's bands above.
# - EPT: one band (all sizes). The 11 territories of the Grand Paris range from 321,000 to
#   734,000 inhabitants: any split leaves bands of a handful of units, so they are calibrated on
#   type alone.
# - départements: <250k, 250-500k, 500k-1M, 1M+ (19 / 31 / 29 / 22 of the 101): roughly
#   quartiles, in round figures.
# - régions: <1M, 1M+ (6 / 12 of the 18): the five overseas régions and Corse against the
#   twelve of the mainland, all above 2.5 million; any finer split leaves bands of 2-4 units.
#
# Départements and régions are few, and a survey reaches a handful of them: when no merge of
# their adjacent bands can be met they are calibrated on type alone (``type_only``), and the
# weights say so; communes and EPCI never are (size is what the analysis is about, and they are
# numerous enough for their bands to be met by any survey that reaches them at all).


@dataclass(frozen=True)
class RakingTier:
    """One level of government, its collectivity types and its raking bands."""

    name: str
    types: tuple[str, ...]
    edges: tuple[float, ...]
    prefix: str  # written before each band label ("commune <500"); "" for EPCI, as they were
    type_only: bool  # may fall back to calibrating on type alone when bands cannot be met

    @property
    def labels(self) -> tuple[str, ...]:
        """The band labels, lower edge included: ``<20k``, ``20-50k`` ... ``250k+``."""
        return tuple(
            self.label(low, high) for low, high in zip(self.edges[:-1], self.edges[1:], strict=True)
        )

    def label(self, low: float, high: float) -> str:
        """The label of [low, high) in this tier, e.g. ``commune 500-2k``, ``region 1M+``."""
        if low == 0 and np.isinf(high):
            text = "all sizes"
        elif low == 0:
            text = f"<{_amount(high)}"
        elif np.isinf(high):
            text = f"{_amount(low)}+"
        else:
            a, b = _amount(low), _amount(high)
            same_unit = a[-1:] == b[-1:] and a[-1:] in ("k", "M")
            text = f"{a[:-1] if same_unit else a}-{b}"
        return f"{self.prefix} {text}" if self.prefix else text


def _amount(x: float) -> str:
    """500 -> ``500``, 20,000 -> ``20k``, 1,000,000 -> ``1M``."""
    if x >= 1_000_000:
        return f"{x / 1_000_000:g}M"
    return f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"


EPCI_TIER = RakingTier(
    "epci", ("CC", "CA", "CU", "metropole"), POPULATION_BAND_EDGES, "", type_only=False
)
RAKING_TIERS: tuple[RakingTier, ...] = (
    RakingTier("commune", ("commune",), (0, 500, 2_000, 10_000, 50_000, np.inf), "commune", False),
    EPCI_TIER,
    RakingTier("ept", ("EPT",), (0, np.inf), "EPT", type_only=True),
    RakingTier(
        "departement",
        ("departement",),
        (0, 250_000, 500_000, 1_000_000, np.inf),
        "departement",
        type_only=True,
    ),
    RakingTier("region", ("region",), (0, 1_000_000, np.inf), "region", type_only=True),
)
_TIER_OF_TYPE = {t: tier for tier in RAKING_TIERS for t in tier.types}
_TIER_OF_LABEL = {label: tier for tier in RAKING_TIERS for label in tier.labels}


def raking_tier(collectivity_type: str) -> RakingTier:
    """The tier of a collectivity type; a type of no tier is banded as an EPCI (the tier the
    raking had before it knew others, and the bands a test frame of made-up types expects)."""
    return _TIER_OF_TYPE.get(str(collectivity_type), EPCI_TIER)


def raking_tier_of_band(label: str) -> RakingTier:
    """The tier a raking band label belongs to."""
    return _TIER_OF_LABEL[label]


def raking_band(types: pd.Series, population: pd.Series) -> pd.Series:
    """Each row's raking band (its tier's, as text), missing where the population is missing
    or not positive: a population of 0 (Verdun's communes "mortes pour la France") or less
    has no band, so that it is never calibrated on. Lower edges are included, as
    ``population_band``'s. Plain numpy: a frame of every tier has 36,000 rows."""
    types = pd.Series(types)
    values = pd.to_numeric(pd.Series(population, index=types.index), errors="coerce")
    pop = values.to_numpy(dtype="float64", na_value=np.nan)
    kinds = types.astype("string").fillna("").to_numpy(dtype=object)
    out = np.full(len(types), None, dtype=object)
    usable = (pop > 0) & (kinds != "")  # False for NaN; a row of no type has no tier
    for kind in pd.unique(kinds[usable]):
        tier = raking_tier(kind)
        rows = usable & (kinds == kind)
        position = np.searchsorted(np.asarray(tier.edges), pop[rows], side="right") - 1
        out[rows] = np.asarray(tier.labels, dtype=object)[position]
    return pd.Series(out, index=types.index, dtype="string")


def _group_ranges() -> dict[str, tuple[RakingTier, float, float]]:
    """Every band label raking can write (a tier's bands and every contiguous group of them,
    as ``analyse.stats.weights`` merges them) -> its tier and population range."""
    out: dict[str, tuple[RakingTier, float, float]] = {}
    for tier in RAKING_TIERS:
        n = len(tier.labels)
        for first in range(n):
            for last in range(first, n):
                low, high = tier.edges[first], tier.edges[last + 1]
                out[tier.label(low, high)] = (tier, low, high)
    return out


_GROUP_RANGES = _group_ranges()


def raking_band_range(label: str) -> tuple[RakingTier, float, float] | None:
    """The tier and population range [low, high) of a raking band label (``commune 500-2k``,
    a merged ``20-100k``, ``departement all sizes``), None for any other text: a page words a
    band from its range, the label alone being ambiguous (``500-2k`` is 500 to 2,000)."""
    return _GROUP_RANGES.get(str(label))
