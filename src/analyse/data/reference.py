"""The real population frame: every French EPCI, EPT, commune, département and région.

A survey of collectivities is a sample from this frame. Comparing who answered with who exists
(by type and by size) is how non-response is seen and how weights are built, so the frame must
be the official list, not the respondents' own claims. It is derived once from the INSEE Code
officiel géographique and the DGCL list of EPCI à fiscalité propre (2026 vintage, via the npm
package ``@etalab/decoupage-administratif`` 6.0.0) by ``data/reference/build_frame.py``, and
committed as CSV so that analyses run offline and reproducibly. ``data/reference/PROVENANCE.md``
says where every column comes from.

Populations are not of one definition across levels: EPCI carry the DGCL *population totale*
(which counts people "comptés à part", e.g. students housed elsewhere, and is the figure
published for EPCI sizes), communes carry the INSEE *population municipale* (the one used for
commune size bands such as the 3,500-inhabitant threshold). The two are from different files and
do not add up exactly; do not sum communes to rebuild an EPCI. EPT (the établissements publics
territoriaux of the Métropole du Grand Paris) carry INSEE's population totale, like the EPCI.
Départements and régions carry the sum of their communes' population municipale (the package
gives them no population), the département du Rhône without the Métropole de Lyon, which it does
not administer. The package gives départements and régions no SIREN: they are found by INSEE code
or by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from analyse.paths import data_dir

if TYPE_CHECKING:
    import pandas as pd

# Strings are read as text so that SIREN and INSEE codes keep their leading zeros ("01001") and
# Corsican codes ("2A004") are not mistaken for numbers.
_EPCI_DTYPES: dict[str, str] = {
    "siren": "string",
    "name": "string",
    "collectivity_type": "string",
    "population": "int64",
}
# Communes: six uninhabited pseudo-communes (TAAF, Clipperton) have no population and the 94
# communes of the overseas collectivities (COM) have no SIREN, hence the nullable Int64.
_COMMUNE_DTYPES: dict[str, str] = {
    "siren": "string",
    "name": "string",
    "collectivity_type": "string",
    "population": "Int64",
    "code_insee": "string",
    "epci_siren": "string",
}

# Départements and régions have no SIREN in the source: the column is kept (all missing) so that
# every level can be searched by SIREN alike. INSEE codes are text ("01", "2A", "976").
_DEPARTEMENT_DTYPES: dict[str, str] = {
    "siren": "string",
    "name": "string",
    "collectivity_type": "string",
    "population": "int64",
    "code_insee": "string",
    "region_code": "string",
}
_REGION_DTYPES: dict[str, str] = {
    "siren": "string",
    "name": "string",
    "collectivity_type": "string",
    "population": "int64",
    "code_insee": "string",
}
_EPT_DTYPES: dict[str, str] = _EPCI_DTYPES

_LEVELS: dict[str, tuple[str, dict[str, str]]] = {
    "epci": ("epci.csv", _EPCI_DTYPES),
    "communes": ("communes.csv", _COMMUNE_DTYPES),
    "commune": ("communes.csv", _COMMUNE_DTYPES),
    "ept": ("ept.csv", _EPT_DTYPES),
    "departements": ("departements.csv", _DEPARTEMENT_DTYPES),
    "departement": ("departements.csv", _DEPARTEMENT_DTYPES),
    "regions": ("regions.csv", _REGION_DTYPES),
    "region": ("regions.csv", _REGION_DTYPES),
}

# One name per level, in the order enrichment searches them.
LEVELS: tuple[str, ...] = ("communes", "epci", "ept", "departements", "regions")


def reference_dir() -> Path:
    """Folder holding the committed frame files and their provenance record."""
    return data_dir() / "reference"


def load_frame(level: str = "epci") -> pd.DataFrame:
    """Read the committed frame for one level of collectivity.

    ``level`` is one of:

    - ``"epci"``: one row per EPCI à fiscalité propre: ``siren``, ``name``,
      ``collectivity_type`` in CC/CA/CU/metropole, ``population``;
    - ``"communes"`` (or ``"commune"``): one row per current commune, adding ``code_insee`` and
      ``epci_siren``, the EPCI it belongs to, missing for the few communes outside any EPCI;
    - ``"ept"``: the 11 établissements publics territoriaux of the Grand Paris, columns as EPCI,
      ``collectivity_type`` ``EPT``;
    - ``"departements"`` (or ``"departement"``): the 101 départements (``collectivity_type``
      ``departement``; ``siren`` always missing; ``code_insee`` such as ``"01"``, ``"2A"``,
      ``"976"``; ``region_code``);
    - ``"regions"`` (or ``"region"``): the 18 régions (``collectivity_type`` ``region``; ``siren``
      always missing; ``code_insee`` such as ``"84"``).

    - ``"all"``: every tier at once, the frame raking calibrates to (``analyse.stats.weights``):
      the rows of the five levels above with ``siren``, ``name``, ``collectivity_type``,
      ``population`` (nullable ``Int64``: the six pseudo-communes have none) and ``code_insee``
      (missing for EPCI and EPT).

    Only empty cells are read as missing, so that no name is ever turned into a missing value by
    pandas' default markers ("NA", "null", ...).
    """
    key = level.strip().lower()
    if key == "all":
        import pandas as pd

        columns = ["siren", "name", "collectivity_type", "population", "code_insee"]
        parts = [load_frame(lv).reindex(columns=columns) for lv in LEVELS]
        frame = pd.concat(parts, ignore_index=True)
        return frame.astype({"population": "Int64", "code_insee": "string"})
    if key not in _LEVELS:
        valid = ", ".join(repr(k) for k in (*_LEVELS, "all"))
        raise ValueError(f"unknown frame level {level!r}; expected one of {valid}")
    filename, dtypes = _LEVELS[key]
    import pandas as pd  # here, so that checksumming the frame files does not load pandas

    return pd.read_csv(
        reference_dir() / filename,
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8",
    )


def frame_files() -> list[Path]:
    """The frame files a run may read: they enter its inputs digest, so an edited frame reruns
    the reports built on it instead of leaving them stale (a missing one is left to fail where
    it is read)."""
    paths = {reference_dir() / filename for filename, _ in _LEVELS.values()}
    return sorted(p for p in paths if p.is_file())
