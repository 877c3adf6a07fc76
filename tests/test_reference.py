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

from analyse.data.reference import frame_files, load_frame, reference_dir

TARBALL = reference_dir() / ".cache" / "etalab-decoupage-administratif-6.0.0.tgz"
TYPES = ("CC", "CA", "CU", "metropole")
SOURCE_TYPE_MAP = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "metropole", "MET69": "metropole"}
LYON_SIREN = "200046977"
GRAND_PARIS_SIREN = "200054781"


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
def departements() -> pd.DataFrame:
    return load_frame("departements")


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return load_frame("regions")


@pytest.fixture(scope="module")
def ept() -> pd.DataFrame:
    return load_frame("ept")


def _source_members(*names: str) -> tuple[list[dict], ...]:
    if not TARBALL.exists():
        pytest.skip(
            f"no cached source tarball at {TARBALL}: run `python data/reference/build_frame.py` "
            "to fetch it (tests do not download)"
        )
    with tarfile.open(TARBALL, "r:gz") as tar:
        return tuple(_member(tar, name) for name in names)


@pytest.fixture(scope="module")
def source() -> tuple[list[dict], ...]:
    return _source_members("epci.json", "communes.json")


@pytest.fixture(scope="module")
def territories() -> tuple[list[dict], ...]:
    """departements.json, regions.json, ept.json, communes.json, epci.json from the tarball."""
    return _source_members(
        "departements.json", "regions.json", "ept.json", "communes.json", "epci.json"
    )


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
    with pytest.raises(ValueError, match="'epci'.*'communes'.*'ept'.*'departements'.*'regions'"):
        load_frame("canton")


@pytest.mark.parametrize(
    ("alias", "level"), [("departement", "departements"), ("region", "regions")]
)
def test_singular_aliases(alias: str, level: str) -> None:
    pd.testing.assert_frame_equal(load_frame(alias), load_frame(level))


def test_frame_files_lists_every_level() -> None:
    names = [p.name for p in frame_files()]
    assert names == sorted(
        ["communes.csv", "departements.csv", "epci.csv", "ept.csv", "regions.csv"]
    )


# --------------------------------------------------------------------------- départements


def _departement_of(code_insee: pd.Series) -> pd.Series:
    """Département code of a commune code: 3 characters overseas (971..976), else 2."""
    return code_insee.where(~code_insee.str.startswith("97"), code_insee.str[:3]).where(
        code_insee.str.startswith("97"), code_insee.str[:2]
    )


def test_departements_shape(departements: pd.DataFrame) -> None:
    assert len(departements) == 101
    assert list(departements.columns) == [
        "siren",
        "name",
        "collectivity_type",
        "population",
        "code_insee",
        "region_code",
    ]
    assert (departements["collectivity_type"] == "departement").all()
    assert departements["siren"].isna().all()  # the package gives départements no SIREN
    assert departements["siren"].dtype == "string"
    assert departements["code_insee"].dtype == "string"
    assert departements["population"].dtype == "int64"
    assert departements["code_insee"].is_unique
    overseas = departements.loc[departements["code_insee"].str.len() == 3, "code_insee"]
    assert sorted(overseas) == ["971", "972", "973", "974", "976"]
    assert {"01", "2A", "2B", "13", "69", "75", "93"} <= set(departements["code_insee"])
    assert "20" not in set(departements["code_insee"])


def test_departement_population_is_the_sum_of_its_communes(
    departements: pd.DataFrame, communes: pd.DataFrame
) -> None:
    in_departements = communes.loc[~communes["code_insee"].str.match(r"97[578]|98")]
    sums = in_departements.groupby(_departement_of(in_departements["code_insee"]))[
        "population"
    ].sum()
    lyon = in_departements.loc[in_departements["epci_siren"] == LYON_SIREN, "population"].sum()
    expected = sums.to_dict()
    # The Département du Rhône does not administer the Métropole de Lyon's 59 communes.
    expected["69"] -= lyon
    got = dict(zip(departements["code_insee"], departements["population"], strict=True))
    assert got == {k: int(v) for k, v in expected.items()}
    assert got["13"] == int(sums["13"])  # an ordinary one, spelled out
    assert got["69"] == 478313


def test_departement_totals_match_record(departements: pd.DataFrame, recorded: dict) -> None:
    totals = recorded["totals"]["departements"]
    assert len(departements) == totals["rows"]
    assert int(departements["population"].sum()) == totals["population_sum"]


def test_departements_match_source(departements: pd.DataFrame, territories: tuple) -> None:
    deps, _, _, communes_json, _ = territories
    kept = {d["code"]: d for d in deps if d["zone"] != "com"}
    assert sorted(departements["code_insee"]) == sorted(kept)
    for row in departements.itertuples():
        assert row.name == kept[row.code_insee]["nom"]
        assert row.region_code == kept[row.code_insee]["region"]
    current = [c for c in communes_json if c["type"] == "commune-actuelle"]
    bouches = sum(c["population"] for c in current if c["departement"] == "13")
    assert departements.set_index("code_insee").loc["13", "population"] == bouches


# --------------------------------------------------------------------------- régions


def test_regions_shape(regions: pd.DataFrame) -> None:
    assert len(regions) == 18
    assert list(regions.columns) == [
        "siren",
        "name",
        "collectivity_type",
        "population",
        "code_insee",
    ]
    assert (regions["collectivity_type"] == "region").all()
    assert regions["siren"].isna().all()
    assert regions["code_insee"].is_unique
    assert regions.set_index("code_insee").loc["84", "name"] == "Auvergne-Rhône-Alpes"
    assert regions.set_index("code_insee").loc["93", "name"] == "Provence-Alpes-Côte d'Azur"


def test_region_population_is_the_sum_of_its_departements(
    regions: pd.DataFrame, departements: pd.DataFrame, communes: pd.DataFrame
) -> None:
    sums = departements.groupby("region_code")["population"].sum().to_dict()
    # The région Auvergne-Rhône-Alpes does include the Métropole de Lyon.
    sums["84"] += int(communes.loc[communes["epci_siren"] == LYON_SIREN, "population"].sum())
    got = dict(zip(regions["code_insee"], regions["population"], strict=True))
    assert got == sums
    # Every commune with a population belongs to a région, except the overseas collectivities'.
    com = communes["code_insee"].str.match(r"97[578]|98")
    assert int(regions["population"].sum()) == int(communes.loc[~com, "population"].sum())


def test_region_totals_match_record(regions: pd.DataFrame, recorded: dict) -> None:
    totals = recorded["totals"]["regions"]
    assert len(regions) == totals["rows"]
    assert int(regions["population"].sum()) == totals["population_sum"]


def test_regions_match_source(regions: pd.DataFrame, territories: tuple) -> None:
    _, regs, _, communes_json, _ = territories
    kept = {r["code"]: r["nom"] for r in regs if r["zone"] != "com"}
    assert dict(zip(regions["code_insee"], regions["name"], strict=True)) == kept
    current = [c for c in communes_json if c["type"] == "commune-actuelle"]
    aura = sum(c["population"] for c in current if c["region"] == "84")
    assert regions.set_index("code_insee").loc["84", "population"] == aura


# --------------------------------------------------------------------------- EPT


def test_ept_shape(ept: pd.DataFrame, epci: pd.DataFrame, communes: pd.DataFrame) -> None:
    assert len(ept) == 11
    assert list(ept.columns) == ["siren", "name", "collectivity_type", "population"]
    assert (ept["collectivity_type"] == "EPT").all()
    assert ept["siren"].str.fullmatch(r"\d{9}").all()
    assert ept["siren"].is_unique
    # An EPT's SIREN is no EPCI's nor commune's: one SIREN, one body, across the whole frame.
    assert not ept["siren"].isin(epci["siren"]).any()
    assert not ept["siren"].isin(communes["siren"].dropna()).any()
    assert ept.set_index("siren").loc["200057867", "name"] == "Plaine Commune"


def test_ept_totals_match_record(ept: pd.DataFrame, recorded: dict) -> None:
    totals = recorded["totals"]["ept"]
    assert len(ept) == totals["rows"]
    assert int(ept["population"].sum()) == totals["population_sum"]


def test_ept_match_source(ept: pd.DataFrame, territories: tuple) -> None:
    _, _, ept_json, communes_json, epci_json = territories
    assert dict(zip(ept["siren"], ept["population"], strict=True)) == {
        e["code"]: e["populationTotale"] for e in ept_json
    }
    grand_paris = next(e for e in epci_json if e["code"] == GRAND_PARIS_SIREN)
    mgp = {m["code"] for m in grand_paris["membres"]}
    members = [m["code"] for e in ept_json for m in e["membres"]]
    assert len(members) == len(set(members)) == 129
    assert mgp - set(members) == {"75056"}  # Paris is in the Grand Paris but in no EPT
    # The EPT's population municipale is the sum of its communes' (INSEE) populations.
    pop = {c["code"]: c.get("population") for c in communes_json if c["type"] == "commune-actuelle"}
    for e in ept_json:
        assert e["populationMunicipale"] == sum(pop[m["code"]] for m in e["membres"])
