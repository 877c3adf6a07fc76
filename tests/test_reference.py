"""The committed population frame is complete, typed, and agrees with its source.

Three layers of evidence: the CSV against known published counts; the CSV against the control
totals that ``build_frame.py`` recorded in ``frame_source.json`` from the source JSON; and, when
the pinned npm tarball is in the git-ignored cache (i.e. someone ran the build script on this
machine), the CSV against totals recomputed here from the tarball itself. Tests never download.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analyse.data.reference import load_frame, reference_dir

TARBALL = reference_dir() / ".cache" / "etalab-decoupage-administratif-6.0.0.tgz"
TYPES = ("CC", "CA", "CU", "metropole")
SOURCE_TYPE_MAP = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "metropole", "MET69": "metropole"}
LYON_SIREN = "200046977"


@pytest.fixture(scope="module")
def epci() -> pd.DataFrame:
    return load_frame("epci")


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    return load_frame("communes")


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return json.loads((reference_dir() / "frame_source.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def source() -> tuple[list[dict], list[dict]]:
    if not TARBALL.exists():
        pytest.skip(
            f"no cached source tarball at {TARBALL}: run `python data/reference/build_frame.py` "
            "to fetch it (tests do not download)"
        )
    with tarfile.open(TARBALL, "r:gz") as tar:
        return _member(tar, "epci.json"), _member(tar, "communes.json")


def _member(tar: tarfile.TarFile, name: str) -> list[dict]:
    handle = tar.extractfile(f"package/data/{name}")
    assert handle is not None, name
    return json.loads(handle.read().decode("utf-8"))


# --------------------------------------------------------------------------- EPCI


def test_epci_has_every_epci(epci: pd.DataFrame) -> None:
    assert len(epci) == 1255
    assert list(epci.columns) == ["siren", "name", "collectivity_type", "population"]


def test_epci_counts_per_type(epci: pd.DataFrame) -> None:
    counts = epci["collectivity_type"].value_counts().to_dict()
    assert counts == {"CC": 989, "CA": 230, "CU": 14, "metropole": 22}


def test_lyon_is_a_metropole(epci: pd.DataFrame) -> None:
    lyon = epci.loc[epci["siren"] == LYON_SIREN]
    assert lyon["name"].tolist() == ["Métropole de Lyon"]
    assert lyon["collectivity_type"].tolist() == ["metropole"]


def test_epci_dtypes(epci: pd.DataFrame) -> None:
    assert epci["siren"].dtype == "string"
    assert epci["name"].dtype == "string"
    assert epci["collectivity_type"].dtype == "string"
    assert epci["population"].dtype == "int64"
    assert (epci["population"] > 0).all()


def test_epci_siren_nine_digits_unique(epci: pd.DataFrame) -> None:
    assert epci["siren"].str.fullmatch(r"\d{9}").all()
    assert epci["siren"].is_unique


def test_epci_population_sums_match_record(epci: pd.DataFrame, recorded: dict) -> None:
    sums = epci.groupby("collectivity_type")["population"].sum().to_dict()
    assert sums == recorded["totals"]["epci"]["population_sum_by_type"]
    assert dict(Counter(epci["collectivity_type"])) == recorded["totals"]["epci"]["count_by_type"]


def test_epci_population_sums_match_source(epci: pd.DataFrame, source: tuple) -> None:
    epci_json, _ = source
    expected: Counter[str] = Counter()
    for e in epci_json:
        expected[SOURCE_TYPE_MAP[e["type"]]] += e["populationTotale"]
    sums = epci.groupby("collectivity_type")["population"].sum().to_dict()
    assert sums == dict(expected)
    assert sorted(epci["siren"]) == sorted(e["code"] for e in epci_json)


def test_epci_medians(epci: pd.DataFrame) -> None:
    medians = epci.groupby("collectivity_type")["population"].median().to_dict()
    # CC and CA equal the published medians; CU's 212,025 is 212,024.5 rounded.
    assert medians == {"CC": 19216, "CA": 85625, "CU": 212024.5, "metropole": 495426.5}
    # The published métropole median (483,199) leaves out the Métropole de Lyon (a collectivité
    # à statut particulier): it is the median of the 21 others.
    others = epci.loc[
        (epci["collectivity_type"] == "metropole") & (epci["siren"] != LYON_SIREN), "population"
    ]
    assert len(others) == 21
    assert others.median() == 483199


# --------------------------------------------------------------------------- communes


def test_communes_has_every_current_commune(communes: pd.DataFrame) -> None:
    assert len(communes) == 34969
    assert list(communes.columns) == [
        "siren",
        "name",
        "collectivity_type",
        "population",
        "code_insee",
        "epci_siren",
    ]
    assert (communes["collectivity_type"] == "commune").all()
    assert communes["code_insee"].is_unique
    assert communes["code_insee"].str.fullmatch(r"\d[\dAB]\d{3}").all()


def test_communes_dtypes(communes: pd.DataFrame) -> None:
    for col in ("siren", "name", "collectivity_type", "code_insee", "epci_siren"):
        assert communes[col].dtype == "string", col
    assert communes["population"].dtype == "Int64"


def test_communes_population(communes: pd.DataFrame, recorded: dict) -> None:
    pop = communes["population"]
    assert pop.isna().sum() == 6  # TAAF districts and Clipperton: no inhabitants recorded
    assert int((pop >= 3500).sum()) == 3290
    totals = recorded["totals"]["communes"]
    assert int(pop.sum()) == totals["population_sum"]
    assert int(pop.isna().sum()) == totals["population_missing"]


def test_communes_siren(communes: pd.DataFrame) -> None:
    siren = communes["siren"].dropna()
    assert siren.str.fullmatch(r"\d{9}").all()
    assert siren.is_unique
    # Only communes of the overseas collectivities (COM, codes 975xx-989xx) lack a SIREN.
    missing = communes.loc[communes["siren"].isna(), "code_insee"]
    assert len(missing) == 94
    assert missing.str.match(r"9[78]").all()
    assert not missing.str.match(r"97[1-4]|976").any()


def test_communes_point_to_real_epci(communes: pd.DataFrame, epci: pd.DataFrame) -> None:
    linked = communes["epci_siren"].dropna()
    assert linked.isin(epci["siren"]).all()
    assert set(linked) == set(epci["siren"])  # every EPCI has members
    # Outside any EPCI: the 94 COM communes and four single-commune islands exempted by law.
    outside = communes.loc[communes["epci_siren"].isna() & communes["siren"].notna(), "name"]
    assert set(outside) == {"Ouessant", "L'Île-d'Yeu", "Île-de-Bréhat", "Île-de-Sein"}


def test_communes_match_source(communes: pd.DataFrame, source: tuple) -> None:
    epci_json, communes_json = source
    current = [c for c in communes_json if c["type"] == "commune-actuelle"]
    assert sorted(communes["code_insee"]) == sorted(c["code"] for c in current)
    assert int(communes["population"].sum()) == sum(c.get("population", 0) for c in current)
    members = {m["code"]: e["code"] for e in epci_json for m in e["membres"]}
    linked = communes.dropna(subset=["epci_siren"])
    assert dict(zip(linked["code_insee"], linked["epci_siren"], strict=True)) == members


# --------------------------------------------------------------------------- the record


def test_csv_bytes_match_record(recorded: dict) -> None:
    for name, info in recorded["outputs"].items():
        data = (reference_dir() / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], name


def test_record_describes_the_pinned_package(recorded: dict) -> None:
    assert recorded["package"] == "@etalab/decoupage-administratif"
    assert recorded["version"] == "6.0.0"
    assert recorded["tarball"]["integrity"].startswith("sha512-")
    assert len(recorded["tarball"]["sha256"]) == 64


def test_cached_tarball_matches_record(recorded: dict) -> None:
    if not TARBALL.exists():
        pytest.skip(f"no cached source tarball at {TARBALL} (tests do not download)")
    assert hashlib.sha256(Path(TARBALL).read_bytes()).hexdigest() == recorded["tarball"]["sha256"]


# --------------------------------------------------------------------------- API


def test_commune_alias() -> None:
    pd.testing.assert_frame_equal(load_frame("commune"), load_frame("communes"))


def test_unknown_level_raises() -> None:
    with pytest.raises(ValueError, match="'epci'.*'communes'"):
        load_frame("departement")
