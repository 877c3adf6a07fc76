"""A census of every tier as open-data portals publish it, made from the reference frame.

Real censuses of French local authorities (transparency grades, open-data counts) come as one
row per body with a name in capitals and a legal prefix (« COMMUNE DE … », « DEPARTEMENT
DU … »), a type code (COM, MET, DEP, REG), a population, no identifier column, R's ``NA`` in
empty cells, bodies listed twice, populations of 0, counts rather than levels and, when a SIRET
is given, some typed badly. ``write_census`` writes such a file, with every one of those
shapes at known rows, so that tests can check that each row is accounted for.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.reference import load_frame

# the census's own type codes: EPCI and EPT are both "MET" (« métropoles et intercos »)
TYPE_CODES = {"commune": "COM", "epci": "MET", "EPT": "MET", "departement": "DEP", "region": "REG"}
PREFIXES = {
    "commune": "COMMUNE DE ",
    "departement": "DEPARTEMENT ",
    "region": "REGION ",
    "epci": "",
    "EPT": "",
}
GRADES = ["D", "C", "B", "A"]  # lowest first, as the codebook's levels
CUTS = [1, 10, 100]  # datasets published: 0 / 1-9 / 10-99 / 100 or more


@dataclass
class Census:
    """The written file and what was put where (0-based positions in the body rows)."""

    path: Path
    rows: int
    na_population: list[int] = field(default_factory=list)
    zero_population: list[int] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)  # later copies of an earlier row
    bad_siret: list[int] = field(default_factory=list)


def plain(text: str) -> str:
    """Capitals without accents, as such exports write names."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def census_codebook(path: Path) -> Path:
    """Two items on four levels: a grade A–D and a count of datasets cut at 1, 10, 100."""
    path.write_text(
        "name: census-test\nversion: 1\nlevels:\n"
        + "".join(
            f'  - {{value: {i}, label_fr: "{g}", label_en: "{g}"}}\n' for i, g in enumerate(GRADES)
        )
        + "themes:\n  - key: transparency\n    label_fr: Transparence\n"
        "    label_en: Transparency\n    items:\n"
        "      - {column: note, text_fr: Note, text_en: Grade}\n"
        f"      - {{column: jeux, text_fr: Jeux publiés, text_en: Datasets, cuts: {CUTS}}}\n",
        encoding="utf-8",
    )
    return path


def _sample(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    unique = frame[~frame["name"].map(plain).duplicated(keep=False)]
    return unique.iloc[rng.choice(len(unique), size=min(n, len(unique)), replace=False)]


def write_census(
    path: Path,
    *,
    communes: int = 150,
    epci: int = 40,
    departements: int = 20,
    regions: int = 8,
    ept: int = 3,
    seed: int = 7,
) -> Census:
    """A census of every tier with each messy shape at known rows (see the module)."""
    rng = np.random.default_rng(seed)
    parts = [
        _sample(load_frame("communes").query("population > 0"), communes, rng),
        _sample(load_frame("epci"), epci, rng),
        _sample(load_frame("departements"), departements, rng),
        _sample(load_frame("regions"), regions, rng),
        _sample(load_frame("ept"), ept, rng),
    ]
    bodies = pd.concat(parts, ignore_index=True)
    tier = bodies["collectivity_type"].map(
        lambda t: t if t in ("commune", "departement", "region", "EPT") else "epci"
    )
    pop = bodies["population"].astype(float).to_numpy()
    # a size effect with noise: larger bodies publish more and are graded higher
    datasets = rng.poisson(np.exp(-2.0 + 0.45 * np.log(pop) + rng.normal(0, 0.8, len(pop))))
    grade = np.clip(np.round(0.25 * np.log(pop) - 1.2 + rng.normal(0, 0.7, len(pop))), 0, 3).astype(
        int
    )
    # only the intercommunalities carry a SIRET (as in such files): the others match by name
    siret = [
        f"{s}00019" if t == "epci" and isinstance(s, str) and len(s) == 9 else ""
        for s, t in zip(
            bodies["siren"].astype(object).where(bodies["siren"].notna(), ""), tier, strict=True
        )
    ]
    out = pd.DataFrame(
        {
            "Collectivite": [
                plain(PREFIXES[t] + n) for t, n in zip(tier, bodies["name"], strict=True)
            ],
            "type": tier.map(TYPE_CODES),
            "SIRET": siret,
            "population": [f"{int(p)}" for p in pop],
            "note": [GRADES[g] for g in grade],
            "jeux": [str(int(d)) for d in datasets],
            "annee": "2024",
        }
    )
    census = Census(path=path, rows=0)
    communes_at = np.flatnonzero(tier.to_numpy() == "commune")
    census.na_population = [int(i) for i in communes_at[:6]]
    out.loc[census.na_population, "population"] = "NA"
    census.zero_population = [int(i) for i in communes_at[6:8]]
    out.loc[census.zero_population, "population"] = "0"
    out.loc[communes_at[8:12], "jeux"] = "NA"
    with_siret = np.flatnonzero(out["SIRET"] != "")
    census.bad_siret = [int(i) for i in with_siret[:3]]
    for i, bad in zip(census.bad_siret, ["2000 067 106 00019", "28184", "00010"], strict=False):
        out.loc[i, "SIRET"] = bad
    repeats = out.iloc[communes_at[20:24]]
    census.repeated = list(range(len(out), len(out) + len(repeats)))
    out = pd.concat([out, repeats], ignore_index=True)
    out.to_csv(path, index=False)
    census.rows = len(out)
    return census


def census_params(path: Path, census: Census, codebook: Path, **data: object) -> dict:
    """The parameter file an analyst writes for such a census (configuration alone)."""
    return {
        "name": "census-every-tier",
        "title": "Recensement de test, toutes strates",
        "data": {
            "survey": str(census.path),
            "codebook": str(codebook),
            "kind": "census",
            "columns": {
                "name": "Collectivite",
                "collectivity_type": "type",
                "siren": "SIRET",
                "population": "population",
            },
            "answer_labels": {g: i for i, g in enumerate(GRADES)},
            "type_labels": {"COM": "commune", "MET": "epci", "DEP": "departement", "REG": "region"},
            "missing_values": ["NA"],
            "duplicates": "keep_first",
            "bad_rows": "exclude",
            "enrich_from_frame": True,
            **data,
        },
        "analysis": {"min_themes": 1, "bootstrap": 0},
    }
