#!/usr/bin/env python3
"""Build the reference frame of French collectivities from a pinned npm package.

Run from anywhere::

    python data/reference/build_frame.py            # fetch (or reuse the cache), verify, write
    python data/reference/build_frame.py --check    # rebuild in memory, fail if files differ
    python data/reference/build_frame.py --refresh  # re-download even if the cache holds it

Source: the npm package ``@etalab/decoupage-administratif`` 6.0.0 (2026 vintage), which repackages
the INSEE Code officiel géographique, the INSEE legal populations and the DGCL list of EPCI à
fiscalité propre as JSON. The tarball is fetched with ``npm pack`` into ``.cache/`` next to this
script (git-ignored) and checked against the SHA-256, SHA-512 (npm ``integrity``) and SHA-1 (npm
``shasum``) pinned below, so a republished or tampered package stops the build instead of
silently changing the frame.

Outputs, written next to this script and byte-for-byte reproducible (sorted rows, fixed
formatting, ``\\n`` line endings, UTF-8):

* ``epci.csv``: ``siren,name,collectivity_type,population`` — one row per EPCI.
* ``communes.csv``: ``siren,name,collectivity_type,population,code_insee,epci_siren`` — one row
  per current commune.
* ``departements.csv``: ``siren,name,collectivity_type,population,code_insee,region_code`` — one
  row per département of metropolitan France and the overseas departments (101).
* ``regions.csv``: ``siren,name,collectivity_type,population,code_insee`` — one row per région
  (18).
* ``ept.csv``: ``siren,name,collectivity_type,population`` — one row per établissement public
  territorial of the Métropole du Grand Paris (11).
* ``frame_source.json``: provenance, checksums and control totals computed from the source JSON
  by a code path separate from the CSV writer, so tests can cross-check the two.

Only the Python standard library is used (plus ``npm`` through ``subprocess``).
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
TARBALL_NAME = "etalab-decoupage-administratif-6.0.0.tgz"
EXPECTED_SHA256 = "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"
EXPECTED_INTEGRITY = (
    "sha512-"
    "XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
)
EXPECTED_SHASUM = "0330556cf07e21fff21111e5775a316ec18b9636"

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".cache"
EPCI_CSV = HERE / "epci.csv"
COMMUNES_CSV = HERE / "communes.csv"
DEPARTEMENTS_CSV = HERE / "departements.csv"
REGIONS_CSV = HERE / "regions.csv"
EPT_CSV = HERE / "ept.csv"
SOURCE_JSON = HERE / "frame_source.json"

EPCI_COLUMNS = ("siren", "name", "collectivity_type", "population")
COMMUNE_COLUMNS = ("siren", "name", "collectivity_type", "population", "code_insee", "epci_siren")
DEPARTEMENT_COLUMNS = (
    "siren",
    "name",
    "collectivity_type",
    "population",
    "code_insee",
    "region_code",
)
REGION_COLUMNS = ("siren", "name", "collectivity_type", "population", "code_insee")
EPT_COLUMNS = ("siren", "name", "collectivity_type", "population")

# DGCL "nature_juridique" codes (field ``type`` in epci.json) -> the project's vocabulary
# (analyse.data.contract.COLLECTIVITY_TYPES). MET69 is the Métropole de Lyon, a collectivité
# à statut particulier that the DGCL lists apart; for size comparisons it is a métropole.
EPCI_TYPE_MAP = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "metropole", "MET69": "metropole"}
EPCI_TYPE_ORDER = ("CC", "CA", "CU", "metropole")
# EPCI population: DGCL total population (population totale, which adds the "comptés à part").
EPCI_POPULATION_FIELD = "populationTotale"
EPCI_POPULATION_ALT_FIELD = "populationMunicipale"
COMMUNE_TYPE = "commune-actuelle"
COMMUNE_POPULATION_FIELD = "population"  # INSEE population municipale (PMUN)
SMALL_COMMUNE_THRESHOLD = 3500
# Départements and régions: the package gives codes, names and chef-lieux but no population and
# no SIREN; their population is the sum of their current communes' population municipale. The
# overseas collectivities (zone "com": Saint-Pierre-et-Miquelon, Polynésie, ...) are listed in
# departements.json / regions.json as pseudo-départements and pseudo-régions but are neither, so
# they are left out.
TERRITORY_ZONES = ("metro", "drom")
# The Département du Rhône does not administer the 59 communes of the Métropole de Lyon (a
# collectivité à statut particulier since 2015, already in epci.csv as a métropole), although
# the COG still places them in département 69: the département's population is that of the
# communes it administers, i.e. département 69 without the Métropole de Lyon's members.
LYON_EPCI_TYPE = "MET69"
RHONE_CODE = "69"
# EPT: the package's ept.json (INSEE list of EPT at 1 January 2025, populations joined by the
# package from INSEE's legal populations). ``populationTotale`` is used, the same definition as
# the EPCI's, since EPT are intercommunal bodies whose size is read beside the EPCI's.
EPT_SOURCE_TYPE = "EPT"
EPT_POPULATION_FIELD = "populationTotale"
EPT_POPULATION_ALT_FIELD = "populationMunicipale"
METROPOLE_DU_GRAND_PARIS = "200054781"


class BuildError(RuntimeError):
    """The source is not what this script was written for; stop rather than guess."""


# --------------------------------------------------------------------------- fetch and verify


def digests(path: Path) -> dict[str, str]:
    """SHA-256 (hex), npm-style SHA-512 integrity and SHA-1 shasum of a file."""
    data = path.read_bytes()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii"),
        "shasum": hashlib.sha1(data).hexdigest(),
    }


def verify(path: Path) -> dict[str, str]:
    found = digests(path)
    expected = {
        "sha256": EXPECTED_SHA256,
        "integrity": EXPECTED_INTEGRITY,
        "shasum": EXPECTED_SHASUM,
    }
    bad = [k for k in expected if found[k] != expected[k]]
    if bad:
        raise BuildError(
            f"{path} does not match the pinned {', '.join(bad)}: "
            + "; ".join(f"{k} found {found[k]} expected {expected[k]}" for k in bad)
            + ". Delete the cache and retry; if it persists, the package was republished."
        )
    return found


def npm_pack(dest: Path) -> Path:
    """Download the tarball with ``npm pack`` (no install, no lifecycle scripts) into ``dest``."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not on PATH; it is needed once to fetch the package tarball")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        proc = subprocess.run(
            [
                npm,
                "pack",
                f"{PACKAGE}@{VERSION}",
                "--json",
                "--ignore-scripts",
                "--pack-destination",
                tmp,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp,
        )
        if proc.returncode != 0:
            raise BuildError(f"npm pack failed ({proc.returncode}):\n{proc.stderr}")
        info = json.loads(proc.stdout)[0]
        if info.get("integrity") != EXPECTED_INTEGRITY or info.get("shasum") != EXPECTED_SHASUM:
            raise BuildError(
                f"npm reports integrity {info.get('integrity')} / shasum {info.get('shasum')}, "
                f"not the pinned {EXPECTED_INTEGRITY} / {EXPECTED_SHASUM}"
            )
        fetched = Path(tmp) / info["filename"]
        verify(fetched)
        target = dest / TARBALL_NAME
        shutil.move(fetched, target)
    return target


def fetch(refresh: bool = False) -> Path:
    cached = CACHE_DIR / TARBALL_NAME
    if refresh or not cached.exists():
        print(f"fetching {PACKAGE}@{VERSION} with npm pack into {CACHE_DIR}", file=sys.stderr)
        npm_pack(CACHE_DIR)
    else:
        print(f"using cached {cached}", file=sys.stderr)
    return cached


def read_member(tar: tarfile.TarFile, name: str) -> Any:
    member = tar.extractfile(f"package/{name}")
    if member is None:
        raise BuildError(f"{name} missing from the tarball")
    return json.loads(member.read().decode("utf-8"))


def load_source(tarball: Path) -> dict[str, Any]:
    """The package metadata and the five JSON lists the frame is built from, by short name."""
    with tarfile.open(tarball, "r:gz") as tar:
        source = {
            "package": read_member(tar, "package.json"),
            "epci": read_member(tar, "data/epci.json"),
            "communes": read_member(tar, "data/communes.json"),
            "departements": read_member(tar, "data/departements.json"),
            "regions": read_member(tar, "data/regions.json"),
            "ept": read_member(tar, "data/ept.json"),
        }
    package = source["package"]
    if package.get("name") != PACKAGE or package.get("version") != VERSION:
        raise BuildError(f"tarball holds {package.get('name')}@{package.get('version')}")
    return source


# --------------------------------------------------------------------------- derived rows


def epci_rows(epci: list[dict]) -> list[dict[str, Any]]:
    unknown = sorted({e["type"] for e in epci} - set(EPCI_TYPE_MAP))
    if unknown:
        raise BuildError(f"unmapped EPCI types in the source: {unknown}")
    rows = [
        {
            "siren": e["code"],
            "name": e["nom"],
            "collectivity_type": EPCI_TYPE_MAP[e["type"]],
            "population": int(e[EPCI_POPULATION_FIELD]),
        }
        for e in epci
    ]
    rows.sort(key=lambda r: r["siren"])
    return rows


def epci_of_commune(epci: list[dict]) -> dict[str, str]:
    """INSEE commune code -> SIREN of its EPCI; a commune in two EPCI is an error."""
    out: dict[str, str] = {}
    for e in epci:
        for m in e["membres"]:
            if m["code"] in out:
                raise BuildError(f"commune {m['code']} is in EPCI {out[m['code']]} and {e['code']}")
            out[m["code"]] = e["code"]
    return out


def commune_rows(communes: list[dict], epci: list[dict]) -> list[dict[str, Any]]:
    membership = epci_of_commune(epci)
    current = [c for c in communes if c["type"] == COMMUNE_TYPE]
    orphans = sorted(set(membership) - {c["code"] for c in current})
    if orphans:
        raise BuildError(f"EPCI members that are not current communes: {orphans[:10]}")
    rows = [
        {
            "siren": c.get("siren", ""),
            "name": c["nom"],
            "collectivity_type": "commune",
            "population": c.get(COMMUNE_POPULATION_FIELD, ""),
            "code_insee": c["code"],
            "epci_siren": membership.get(c["code"], ""),
        }
        for c in current
    ]
    rows.sort(key=lambda r: r["code_insee"])
    return rows


def lyon_members(epci: list[dict]) -> set[str]:
    """INSEE codes of the communes of the Métropole de Lyon (the one EPCI of type MET69)."""
    lyon = [e for e in epci if e["type"] == LYON_EPCI_TYPE]
    if len(lyon) != 1:
        raise BuildError(f"expected one EPCI of type {LYON_EPCI_TYPE}, found {len(lyon)}")
    return {m["code"] for m in lyon[0]["membres"]}


def territory_populations(
    communes: list[dict], epci: list[dict]
) -> tuple[dict[str, int], dict[str, int]]:
    """Population of each département and région: the sum of its current communes' population
    municipale, département 69 without the Métropole de Lyon (see ``RHONE_CODE``)."""
    lyon = lyon_members(epci)
    by_dep: Counter[str] = Counter()
    by_reg: Counter[str] = Counter()
    for c in communes:
        if c["type"] != COMMUNE_TYPE or c["zone"] not in TERRITORY_ZONES:
            continue
        pop = c.get(COMMUNE_POPULATION_FIELD)
        if pop is None:
            raise BuildError(f"commune {c['code']} of a département has no population")
        by_reg[c["region"]] += pop
        if not (c["departement"] == RHONE_CODE and c["code"] in lyon):
            by_dep[c["departement"]] += pop
    return dict(by_dep), dict(by_reg)


def departement_rows(
    departements: list[dict], communes: list[dict], epci: list[dict]
) -> list[dict[str, Any]]:
    by_dep, _ = territory_populations(communes, epci)
    kept = [d for d in departements if d["zone"] in TERRITORY_ZONES]
    missing = sorted({d["code"] for d in kept} ^ set(by_dep))
    if missing:
        raise BuildError(
            f"départements without communes, or communes without département: {missing}"
        )
    rows = [
        {
            "siren": "",
            "name": d["nom"],
            "collectivity_type": "departement",
            "population": by_dep[d["code"]],
            "code_insee": d["code"],
            "region_code": d["region"],
        }
        for d in kept
    ]
    rows.sort(key=lambda r: r["code_insee"])
    return rows


def region_rows(
    regions: list[dict], communes: list[dict], epci: list[dict]
) -> list[dict[str, Any]]:
    _, by_reg = territory_populations(communes, epci)
    kept = [r for r in regions if r["zone"] in TERRITORY_ZONES]
    missing = sorted({r["code"] for r in kept} ^ set(by_reg))
    if missing:
        raise BuildError(f"régions without communes, or communes without région: {missing}")
    rows = [
        {
            "siren": "",
            "name": r["nom"],
            "collectivity_type": "region",
            "population": by_reg[r["code"]],
            "code_insee": r["code"],
        }
        for r in kept
    ]
    rows.sort(key=lambda r: r["code_insee"])
    return rows


def ept_rows(ept: list[dict], communes: list[dict], epci: list[dict]) -> list[dict[str, Any]]:
    """One row per EPT; every member must be a current commune of the Métropole du Grand Paris
    and belong to one EPT only, else the source is not what this script expects."""
    unknown = sorted({e["type"] for e in ept} - {EPT_SOURCE_TYPE})
    if unknown:
        raise BuildError(f"unexpected types in ept.json: {unknown}")
    mgp = [e for e in epci if e["code"] == METROPOLE_DU_GRAND_PARIS]
    if len(mgp) != 1:
        raise BuildError(f"Métropole du Grand Paris ({METROPOLE_DU_GRAND_PARIS}) not in epci.json")
    mgp_members = {m["code"] for m in mgp[0]["membres"]}
    current = {c["code"] for c in communes if c["type"] == COMMUNE_TYPE}
    seen: dict[str, str] = {}
    for e in ept:
        for m in e["membres"]:
            if m["code"] in seen:
                raise BuildError(f"commune {m['code']} is in EPT {seen[m['code']]} and {e['code']}")
            if m["code"] not in current or m["code"] not in mgp_members:
                raise BuildError(f"EPT member {m['code']} is not a commune of the Grand Paris")
            seen[m["code"]] = e["code"]
    rows = [
        {
            "siren": e["code"],
            "name": e["nom"],
            "collectivity_type": "EPT",
            "population": int(e[EPT_POPULATION_FIELD]),
        }
        for e in ept
    ]
    rows.sort(key=lambda r: r["siren"])
    return rows


def csv_bytes(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- control totals


def control_totals(source: dict[str, Any]) -> dict[str, Any]:
    """Counts and population sums straight from the source JSON (not from the CSV rows)."""
    epci, communes = source["epci"], source["communes"]
    epci_count: Counter[str] = Counter()
    epci_pop: Counter[str] = Counter()
    epci_pop_alt: Counter[str] = Counter()
    source_types: Counter[str] = Counter()
    for e in epci:
        t = EPCI_TYPE_MAP[e["type"]]
        source_types[e["type"]] += 1
        epci_count[t] += 1
        epci_pop[t] += e[EPCI_POPULATION_FIELD]
        epci_pop_alt[t] += e[EPCI_POPULATION_ALT_FIELD]
    members = {m["code"] for e in epci for m in e["membres"]}

    current = [c for c in communes if c["type"] == COMMUNE_TYPE]
    with_pop = [c[COMMUNE_POPULATION_FIELD] for c in current if COMMUNE_POPULATION_FIELD in c]
    return {
        "epci": {
            "rows": len(epci),
            "source_type_counts": dict(sorted(source_types.items())),
            "count_by_type": {t: epci_count[t] for t in EPCI_TYPE_ORDER},
            "population_field": EPCI_POPULATION_FIELD,
            "population_sum_by_type": {t: epci_pop[t] for t in EPCI_TYPE_ORDER},
            "population_sum": sum(epci_pop.values()),
            "population_municipale_sum_by_type": {t: epci_pop_alt[t] for t in EPCI_TYPE_ORDER},
        },
        "communes": {
            "rows": len(current),
            "source_type_counts": dict(sorted(Counter(c["type"] for c in communes).items())),
            "count_by_zone": dict(sorted(Counter(c["zone"] for c in current).items())),
            "population_field": COMMUNE_POPULATION_FIELD,
            "population_sum": sum(with_pop),
            "population_missing": len(current) - len(with_pop),
            f"population_ge_{SMALL_COMMUNE_THRESHOLD}": sum(
                p >= SMALL_COMMUNE_THRESHOLD for p in with_pop
            ),
            "siren_missing": sum("siren" not in c for c in current),
            "outside_any_epci": sum(c["code"] not in members for c in current),
        },
        **territory_totals(source),
    }


def territory_totals(source: dict[str, Any]) -> dict[str, Any]:
    """Départements, régions and EPT totals, by loops independent of the row builders: the
    populations are summed from the commune list by zone, and Lyon's share is taken off once."""
    pop = {
        c["code"]: c.get(COMMUNE_POPULATION_FIELD, 0)
        for c in source["communes"]
        if c["type"] == COMMUNE_TYPE
    }
    zone = {c["code"]: c["zone"] for c in source["communes"] if c["type"] == COMMUNE_TYPE}
    in_territories = sum(p for code, p in pop.items() if zone[code] in TERRITORY_ZONES)
    lyon = [e for e in source["epci"] if e["type"] == LYON_EPCI_TYPE][0]
    lyon_pop = sum(pop[m["code"]] for m in lyon["membres"])
    ept = source["ept"]
    return {
        "departements": {
            "rows": sum(d["zone"] in TERRITORY_ZONES for d in source["departements"]),
            "source_rows": len(source["departements"]),
            "count_by_zone": dict(
                sorted(Counter(d["zone"] for d in source["departements"]).items())
            ),
            "population_definition": "sum of the communes' population municipale",
            "population_sum": in_territories - lyon_pop,
            "metropole_de_lyon_population_left_out": lyon_pop,
        },
        "regions": {
            "rows": sum(r["zone"] in TERRITORY_ZONES for r in source["regions"]),
            "source_rows": len(source["regions"]),
            "count_by_zone": dict(sorted(Counter(r["zone"] for r in source["regions"]).items())),
            "population_definition": "sum of the communes' population municipale",
            "population_sum": in_territories,
        },
        "ept": {
            "rows": len(ept),
            "population_field": EPT_POPULATION_FIELD,
            "population_sum": sum(e[EPT_POPULATION_FIELD] for e in ept),
            "population_municipale_sum": sum(e[EPT_POPULATION_ALT_FIELD] for e in ept),
            "member_communes": sum(len(e["membres"]) for e in ept),
        },
    }


# --------------------------------------------------------------------------- main


def build(tarball: Path, previous: dict[str, Any] | None) -> dict[Path, bytes]:
    sums = verify(tarball)
    source = load_source(tarball)
    package, epci, communes = source["package"], source["epci"], source["communes"]
    csvs = {
        EPCI_CSV: csv_bytes(EPCI_COLUMNS, epci_rows(epci)),
        COMMUNES_CSV: csv_bytes(COMMUNE_COLUMNS, commune_rows(communes, epci)),
        DEPARTEMENTS_CSV: csv_bytes(
            DEPARTEMENT_COLUMNS, departement_rows(source["departements"], communes, epci)
        ),
        REGIONS_CSV: csv_bytes(REGION_COLUMNS, region_rows(source["regions"], communes, epci)),
        EPT_CSV: csv_bytes(EPT_COLUMNS, ept_rows(source["ept"], communes, epci)),
    }

    # Keep the recorded retrieval date while the tarball is unchanged, so a rebuild is a no-op.
    if previous and previous.get("tarball", {}).get("sha256") == sums["sha256"]:
        retrieved = previous["retrieved"]
    else:
        retrieved = dt.date.today().isoformat()

    meta = {
        "package": PACKAGE,
        "version": VERSION,
        "vintage": 2026,
        "license": package.get("license"),
        "license_note": (
            "package.json declares MIT; the package README states 'Données : Licence Ouverte, "
            "Code : MIT'. Attribution: Etalab / DINUM (packaging); INSEE (Code officiel "
            "géographique, populations légales); DGCL (liste des EPCI à fiscalité propre)."
        ),
        "sources": [
            "INSEE, Code officiel géographique 2026",
            "INSEE, populations légales (population municipale of communes)",
            "DGCL, liste et composition des EPCI à fiscalité propre 2026 (epcicom2026.xlsx)",
            "INSEE, liste des établissements publics territoriaux au 1er janvier 2025",
        ],
        "population_vintages": {
            "epci": "DGCL population totale, epcicom2026.xlsx",
            "ept": "INSEE population totale of the member communes, as joined by the package",
            "communes": (
                "INSEE population municipale, populations légales 2023 in force on 1 January"
                " 2026 (Mayotte: 2017 census)"
            ),
            "departements": "sum of the communes' population municipale (same vintage)",
            "regions": "sum of the communes' population municipale (same vintage)",
        },
        "retrieved": retrieved,
        "tarball": {"filename": TARBALL_NAME, **sums},
        "rebuild": "python data/reference/build_frame.py",
        "totals": control_totals(source),
        "outputs": {
            path.name: {"sha256": hashlib.sha256(data).hexdigest()} for path, data in csvs.items()
        },
    }
    meta_bytes = (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return {**csvs, SOURCE_JSON: meta_bytes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--refresh", action="store_true", help="re-download the tarball")
    args = parser.parse_args(argv)

    previous = json.loads(SOURCE_JSON.read_text("utf-8")) if SOURCE_JSON.exists() else None
    try:
        outputs = build(fetch(refresh=args.refresh), previous)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    if args.check:
        stale = [p.name for p, data in outputs.items() if not p.exists() or p.read_bytes() != data]
        if stale:
            print(f"out of date: {', '.join(stale)}", file=sys.stderr)
            return 1
        print("reference frame is up to date", file=sys.stderr)
        return 0

    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"wrote {path.relative_to(HERE.parents[1])} ({len(data):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
