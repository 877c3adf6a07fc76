"""Population bands: one definition for raking, the specification curve and the descriptives.

The bands follow the barometer's way of speaking of EPCI sizes (under 20,000 inhabitants up to
250,000 and more). Each band includes its lower edge: 20,000 inhabitants is in "20-50k".
Communes have their own bands in the descriptives (``COMMUNE_BAND_*``: the thresholds of French
municipal law and statistics, 3,500, 10,000 and 100,000 inhabitants): an EPCI band would put
nine communes in ten in "<20k".
"""

from __future__ import annotations

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
