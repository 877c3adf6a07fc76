"""Enrichment from the reference frame: who is found, by which key, and what is filled.

Most tests run against a small hand-made frame whose answers are known by construction (same
columns as ``load_frame``'s); a few run against the committed frame, where the answers are the
published ones (Bouches-du-Rhône is ``13``, Auvergne-Rhône-Alpes ``84``, ...).
"""

from __future__ import annotations

import pandas as pd
import pytest

from analyse.data.enrich import (
    FRAME_BODY,
    REPORT_COLUMNS,
    enrich_from_frame,
    enrichment_details,
    enrichment_summary,
    luhn_valid,
    name_keys,
    population_conflict,
    siren_key,
)
from analyse.data.reference import load_frame

CA_AVIGNON = "248400251"
AVIGNON = "218400075"
EPT_PLAINE = "200057867"


def _frame(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for col in columns:
        frame[col] = frame[col].astype("Int64" if col == "population" else "string")
    return frame


FRAMES: dict[str, pd.DataFrame] = {
    "communes": _frame(
        [
            (AVIGNON, "Avignon", "commune", 92188, "84007", CA_AVIGNON),
            ("210100012", "L'Abergement-Clémenciat", "commune", 860, "01001", None),
            ("217200000", "Le Mans", "commune", 17400, "72181", None),
            ("200000001", "Saint-Martin", "commune", 1000, "11111", None),
            ("200000002", "Saint Martin", "commune", 2000, "22222", None),
            ("200000003", "Ville-d'Avray", "commune", 11000, "92077", None),
            ("200000004", "Grand", "commune", 400, "88212", None),
            ("200000005", "Ville-la-Grand", "commune", 9000, "74305", None),
            ("200000006", "Saint-Étienne", "commune", 170000, "42218", None),
            (None, "Clipperton", "commune", None, "98901", None),
        ],
        ("siren", "name", "collectivity_type", "population", "code_insee", "epci_siren"),
    ),
    "epci": _frame(
        [
            (CA_AVIGNON, "CA du Grand Avignon (COGA)", "CA", 201600),
            ("244200770", "Saint-Étienne Métropole", "metropole", 410000),
            ("200000010", "CC du Pays de Test", "CC", 10000),
            ("200000011", "CA Dupont", "CA", 50000),
            ("200000012", "CC Dupont", "CC", 8000),
        ],
        ("siren", "name", "collectivity_type", "population"),
    ),
    "ept": _frame(
        [(EPT_PLAINE, "Plaine Commune", "EPT", 455226)],
        ("siren", "name", "collectivity_type", "population"),
    ),
    "departements": _frame(
        [
            (None, "Bouches-du-Rhône", "departement", 2087658, "13", "93"),
            (None, "Corse-du-Sud", "departement", 168306, "2A", "94"),
            (None, "Vaucluse", "departement", 572056, "84", "93"),
            (None, "Seine-Saint-Denis", "departement", 1704316, "93", "11"),
            (None, "Ain", "departement", 679344, "01", "84"),
        ],
        ("siren", "name", "collectivity_type", "population", "code_insee", "region_code"),
    ),
    "regions": _frame(
        [
            (None, "Île-de-France", "region", 12463067, "11"),
            (None, "Auvergne-Rhône-Alpes", "region", 8205557, "84"),
            (None, "Provence-Alpes-Côte d'Azur", "region", 5218960, "93"),
        ],
        ("siren", "name", "collectivity_type", "population", "code_insee"),
    ),
}


def fake_loader(level: str) -> pd.DataFrame:
    return FRAMES[level].copy()


def survey(*rows: dict) -> pd.DataFrame:
    """A survey as the lead's loading hands it over: string keys, Int64 population."""
    base = {
        "collectivity_type": None,
        "population": None,
        "siren": None,
        "code_insee": None,
        "name": None,
    }
    records = [{"respondent_id": f"r{i}", **base, **row} for i, row in enumerate(rows, 1)]
    frame = pd.DataFrame(records)
    frame["population"] = frame["population"].astype("Int64")
    for col in ("respondent_id", "collectivity_type", "siren", "code_insee", "name"):
        frame[col] = frame[col].astype("string")
    return frame


def one(row: dict, loader=fake_loader) -> tuple[pd.Series, pd.Series]:
    result = enrich_from_frame(survey(row), frame_loader=loader)
    return result.data.iloc[0], result.report.iloc[0]


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Communauté d'agglomération du Grand Avignon", "CA DU GRAND AVIGNON (COGA)"),
        ("Communauté d’agglomération du Grand Avignon", "CA du Grand Avignon"),
        ("Commune de L'Abergement-Clémenciat", "L'ABERGEMENT CLEMENCIAT"),
        ("St-Étienne Métropole", "Saint-Étienne Métropole"),
        ("Le Mans Métropole", "CU Le Mans Métropole"),
        ("Conseil départemental des Bouches-du-Rhône", "Département Bouches du Rhône"),
        ("Région Île-de-France", "ILE DE FRANCE"),
    ],
)
def test_core_keys_agree(a: str, b: str) -> None:
    assert name_keys(a)[1] == name_keys(b)[1] != ""


def test_full_key_ignores_case_accents_punctuation_articles() -> None:
    assert name_keys("L'Haÿ-les-Roses")[0] == "HAY LES ROSES"
    assert name_keys("  la   ROCHELLE ")[0] == name_keys("Rochelle (La)")[0] == "ROCHELLE"
    assert name_keys("De la Tour")[0] == "TOUR"
    assert name_keys("Œuilly")[0] == "OEUILLY"
    # The legal-form words are only dropped from the core key, and never to nothing.
    assert name_keys("Ville-d'Avray") == ("VILLE D AVRAY", "AVRAY")
    assert name_keys("CA") == ("CA", "CA")
    assert name_keys(None) == ("", "")
    assert name_keys(pd.NA) == ("", "")


def test_siren_key() -> None:
    assert siren_key("248400251") == CA_AVIGNON
    assert siren_key("248 400 251 00012") == CA_AVIGNON  # a SIRET, with spaces
    assert siren_key("24840025100012") == CA_AVIGNON
    assert siren_key("2484002") == ""
    assert siren_key("24840025X") == ""
    assert siren_key(pd.NA) == ""


# --------------------------------------------------------------------------- each method


def test_match_by_siren_fills_population_and_epci_legal_type() -> None:
    data, report = one({"collectivity_type": "epci", "siren": CA_AVIGNON})
    assert report["method"] == "siren"
    assert report["frame_name"] == "CA du Grand Avignon (COGA)"
    assert data["collectivity_type"] == "CA"
    assert data["population"] == 201600
    assert report["population_filled"] and report["type_filled"]
    assert report["conflict"] == ""


def test_match_by_siret_derived_siren() -> None:
    data, report = one({"collectivity_type": "epci", "siren": "248 400 251 00012"})
    assert report["method"] == "siren"
    assert data["collectivity_type"] == "CA"


def test_ept_is_an_epci_legal_type() -> None:
    data, report = one({"collectivity_type": "epci", "siren": EPT_PLAINE})
    assert report["method"] == "siren"
    assert data["collectivity_type"] == "EPT"
    assert data["population"] == 455226


def test_match_by_code_insee_commune() -> None:
    data, report = one({"collectivity_type": "commune", "code_insee": "84007"})
    assert (report["method"], report["frame_name"], data["population"]) == (
        "code_insee",
        "Avignon",
        92188,
    )
    # A spreadsheet that dropped the leading zero: 1001 is 01001.
    _, report = one({"collectivity_type": "commune", "code_insee": "1001"})
    assert report["frame_name"] == "L'Abergement-Clémenciat"


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("departement", "13", "Bouches-du-Rhône"),
        ("departement", "2A", "Corse-du-Sud"),
        ("departement", "2a", "Corse-du-Sud"),
        ("departement", "93", "Seine-Saint-Denis"),
        ("departement", "1", "Ain"),
        ("region", "84", "Auvergne-Rhône-Alpes"),
        ("region", "93", "Provence-Alpes-Côte d'Azur"),
        (None, "13", "Bouches-du-Rhône"),  # without a type, a code found in one list only
    ],
)
def test_departements_and_regions_by_code(kind: str | None, code: str, expected: str) -> None:
    data, report = one({"collectivity_type": kind, "code_insee": code})
    assert report["method"] == "code_insee"
    assert report["frame_name"] == expected
    assert report["population_filled"]
    assert data["collectivity_type"] == report["frame_type"]
    assert report["type_filled"] == (kind is None)


def test_code_in_two_lists_without_a_type_matches_nothing() -> None:
    # "84" is the Vaucluse and Auvergne-Rhône-Alpes: without a declared type, no guess.
    data, report = one({"code_insee": "84"})
    assert report["method"] == ""
    assert pd.isna(data["population"])


def test_match_by_name_within_the_declared_type() -> None:
    data, report = one({"collectivity_type": "commune", "name": "AVIGNON"})
    assert (report["method"], report["distance"], report["review"]) == ("exact_name", 0, "")
    assert data["population"] == 92188
    # "Avignon" as an EPCI is not the commune; the CA's core key is "GRAND AVIGNON".
    _, report = one({"collectivity_type": "epci", "name": "Avignon"})
    assert report["method"] == ""


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("Communauté d'agglomération du Grand Avignon", "prefix_stripped"),
        ("CA DU GRAND AVIGNON (COGA)", "exact_name"),
        ("Grand Avignon", "prefix_stripped"),
        ("Communauté d’Agglomération du GRAND-AVIGNON", "prefix_stripped"),
        ("Agglo du Grand Avignon", "prefix_stripped"),
    ],
)
def test_grand_avignon_spellings(name: str, method: str) -> None:
    data, report = one({"collectivity_type": "epci", "name": name})
    assert report["method"] == method
    assert report["frame_name"] == "CA du Grand Avignon (COGA)"
    assert data["collectivity_type"] == "CA"


def test_acronyms_are_not_guessed() -> None:
    # COGA is the short name the frame writes after the CA's name; MEL is written nowhere.
    _, report = one({"collectivity_type": "epci", "name": "COGA"})
    assert (report["method"], report["frame_name"]) == ("short_name", "CA du Grand Avignon (COGA)")
    _, report = one({"collectivity_type": "epci", "name": "MEL"})
    assert report["method"] == ""


def test_name_edge_cases() -> None:
    cases = {
        "Mans (Le)": "Le Mans",
        "Commune de Ville-d’Avray": "Ville-d'Avray",
        "Ville-d'Avray": "Ville-d'Avray",
        # "Grand" is its own commune although Ville-la-Grand's core key is also GRAND.
        "Grand": "Grand",
        "St Étienne": "Saint-Étienne",
    }
    for name, expected in cases.items():
        _, report = one({"collectivity_type": "commune", "name": name})
        assert report["frame_name"] == expected, name
    _, report = one({"collectivity_type": "metropole", "name": "St-Etienne Metropole"})
    assert report["frame_name"] == "Saint-Étienne Métropole"


def test_ambiguous_name_matches_nothing() -> None:
    # Two frame communes normalise to SAINT MARTIN.
    data, report = one({"collectivity_type": "commune", "name": "SAINT-MARTIN"})
    assert report["method"] == ""
    assert pd.isna(data["population"])
    # "Dupont" is a CA and a CC: as an "epci" it is ambiguous, as a CC it is not.
    _, report = one({"collectivity_type": "epci", "name": "Dupont"})
    assert report["method"] == ""
    data, report = one({"collectivity_type": "CC", "name": "Dupont"})
    assert (report["frame_name"], data["population"]) == ("CC Dupont", 8000)


def test_no_name_matching_without_a_type() -> None:
    _, report = one({"name": "Avignon"})
    assert report["method"] == ""


def test_order_siren_then_code_then_name() -> None:
    # Without a name, each key points elsewhere: the SIREN wins, then the code.
    _, report = one({"collectivity_type": "commune", "siren": AVIGNON, "code_insee": "72181"})
    assert (report["method"], report["frame_name"]) == ("siren", "Avignon")
    _, report = one({"collectivity_type": "commune", "code_insee": "72181"})
    assert (report["method"], report["frame_name"]) == ("code_insee", "Le Mans")
    # With a name that agrees, likewise.
    _, report = one(
        {"collectivity_type": "commune", "siren": AVIGNON, "code_insee": "72181", "name": "AVIGNON"}
    )
    assert (report["method"], report["frame_name"]) == ("siren", "Avignon")
    _, report = one({"collectivity_type": "commune", "code_insee": "72181", "name": "Le Mans"})
    assert (report["method"], report["frame_name"]) == ("code_insee", "Le Mans")


# --------------------------------------------------------------------------- what is filled


def test_survey_values_win_and_far_populations_are_reported() -> None:
    data, report = one({"collectivity_type": "commune", "code_insee": "72181", "population": 12000})
    assert data["population"] == 12000
    assert not report["population_filled"]
    assert report["conflict"] == "survey population 12,000 is 31 % from the frame's 17,400"


def test_declared_type_is_kept() -> None:
    data, report = one({"collectivity_type": "CA", "siren": CA_AVIGNON})
    assert data["collectivity_type"] == "CA"
    assert not report["type_filled"]


def test_conflict_threshold_is_ten_percent_of_the_frame() -> None:
    assert population_conflict(11000, 10000) == ""
    assert population_conflict(9000, 10000) == ""
    assert population_conflict(11001, 10000) == (
        "survey population 11,001 is 10.0 % from the frame's 10,000"
    )
    assert population_conflict(8999, 10000).startswith("survey population 8,999 is 10.0 %")
    assert population_conflict(5000, 10000).endswith("is 50 % from the frame's 10,000")


def test_sirens_type_contradicting_the_declared_one_is_not_used() -> None:
    # A commune that gives its EPCI's SIREN: not taken as the CA; found by name instead.
    data, report = one({"collectivity_type": "commune", "siren": CA_AVIGNON, "name": "Avignon"})
    assert report["method"] == "exact_name"
    assert data["population"] == 92188
    assert (
        "SIREN 248400251 is the CA 'CA du Grand Avignon (COGA)' in the frame"
        in (report["conflict"])
    )


def test_unmatched_epci_keeps_the_placeholder() -> None:
    data, report = one({"collectivity_type": "epci", "siren": "999999999", "name": "Nowhere"})
    assert data["collectivity_type"] == "epci"
    assert pd.isna(data["population"])
    assert (report["method"], report["population_filled"], report["type_filled"]) == (
        "",
        False,
        False,
    )
    assert pd.isna(report["frame_name"])


def test_frame_row_without_population_fills_nothing() -> None:
    data, report = one({"collectivity_type": "commune", "code_insee": "98901"})
    assert report["method"] == "code_insee"
    assert pd.isna(data["population"])
    assert not report["population_filled"]


def test_data_keeps_rows_columns_and_dtypes() -> None:
    frame = survey(
        {"collectivity_type": "epci", "siren": CA_AVIGNON},
        {"collectivity_type": "commune", "population": 500, "name": "nobody"},
    )
    frame["extra"] = [1.5, 2.5]
    result = enrich_from_frame(frame, frame_loader=fake_loader)
    # the survey's columns, and the frame body each row was matched to (for repeated bodies)
    assert list(result.data.columns) == [*frame.columns, FRAME_BODY]
    assert result.data[FRAME_BODY].isna().tolist() == [False, True]
    assert result.data.index.equals(frame.index)
    assert result.data["population"].dtype == "Int64"
    assert result.data["collectivity_type"].dtype == "string"
    assert result.data["extra"].tolist() == [1.5, 2.5]
    assert frame.loc[0, "collectivity_type"] == "epci"  # the input is not modified
    assert tuple(result.report.columns) == REPORT_COLUMNS
    assert result.report["respondent_id"].tolist() == ["r1", "r2"]


def test_optional_key_columns_may_be_absent() -> None:
    frame = pd.DataFrame(
        {
            "respondent_id": ["a"],
            "collectivity_type": pd.array(["commune"], dtype="string"),
            "population": pd.array([None], dtype="Int64"),
            "code_insee": pd.array(["84007"], dtype="string"),
        }
    )
    result = enrich_from_frame(frame, frame_loader=fake_loader)
    assert result.data["population"].tolist() == [92188]


# --------------------------------------------------------------------------- summaries


def test_summary_counts_and_details() -> None:
    frame = survey(
        {"collectivity_type": "epci", "siren": CA_AVIGNON},  # siren, both filled
        {"collectivity_type": "commune", "code_insee": "72181", "population": 12000},  # conflict
        {"collectivity_type": "departement", "code_insee": "13"},  # code, population filled
        {"collectivity_type": "commune", "name": "Grand"},  # name, population filled
        {"collectivity_type": "commune", "name": "Saint Martin"},  # ambiguous: unmatched
        {"collectivity_type": "epci", "name": "MEL"},  # unmatched
        {"collectivity_type": "epci", "name": "COGA"},  # short name: to review
    )
    report = enrich_from_frame(frame, frame_loader=fake_loader).report
    summary = enrichment_summary(report)
    assert summary["method"].tolist() == [
        "siren",
        "code_insee",
        "exact_name",
        "prefix_stripped",
        "alias",
        "short_name",
        "typo",
        "unmatched",
        "total",
    ]
    assert "respondent_id" not in summary.columns
    got = summary.set_index("method").to_dict("index")
    assert got["siren"] == {"rows": 1, "population_filled": 1, "type_filled": 1, "conflicts": 0}
    assert got["code_insee"] == {
        "rows": 2,
        "population_filled": 1,
        "type_filled": 0,
        "conflicts": 1,
    }
    assert got["exact_name"] == {
        "rows": 1,
        "population_filled": 1,
        "type_filled": 0,
        "conflicts": 0,
    }
    assert got["short_name"] == {
        "rows": 1,
        "population_filled": 1,
        "type_filled": 1,
        "conflicts": 0,
    }
    assert got["unmatched"] == {"rows": 2, "population_filled": 0, "type_filled": 0, "conflicts": 0}
    assert got["total"] == {"rows": 7, "population_filled": 4, "type_filled": 2, "conflicts": 1}

    details = enrichment_details(report)
    assert details["respondent_id"].tolist() == ["r2", "r5", "r6", "r7"]
    assert details["issue"].tolist() == ["conflict", "unmatched; review", "unmatched", "review"]
    assert details["name"].tolist()[1:] == ["Saint Martin", "MEL", "COGA"]
    assert details["review"].iloc[1].startswith("ambiguous (exact_name): 2 frame rows")
    assert details["review"].iloc[3] == (
        "short_name (distance 0): 'COGA' read as 'CA du Grand Avignon (COGA)'"
    )


# --------------------------------------------------------------------------- the real frame


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    frame = survey(
        {"collectivity_type": "departement", "code_insee": "13"},
        {"collectivity_type": "departement", "code_insee": "2A"},
        {"collectivity_type": "region", "code_insee": "84"},
        {"collectivity_type": "departement", "code_insee": "93"},
        {"collectivity_type": "epci", "name": "Communauté d'agglomération du Grand Avignon"},
        {"collectivity_type": "epci", "siren": "200 046 977 00019"},
        {"collectivity_type": "commune", "code_insee": "13055"},
        {"collectivity_type": "epci", "name": "Plaine Commune"},
    )
    result = enrich_from_frame(frame)
    return result.data.join(result.report.drop(columns=["respondent_id", "name"]))


def test_real_frame_matches(real: pd.DataFrame) -> None:
    assert real["frame_name"].tolist() == [
        "Bouches-du-Rhône",
        "Corse-du-Sud",
        "Auvergne-Rhône-Alpes",
        "Seine-Saint-Denis",
        "CA du Grand Avignon (COGA)",
        "Métropole de Lyon",
        "Marseille",
        "Plaine Commune",
    ]
    assert real["collectivity_type"].tolist() == [
        "departement",
        "departement",
        "region",
        "departement",
        "CA",
        "metropole",
        "commune",
        "EPT",
    ]


def test_real_departement_population_is_the_sum_of_its_communes(real: pd.DataFrame) -> None:
    communes = load_frame("communes")
    bouches = int(communes.loc[communes["code_insee"].str.startswith("13"), "population"].sum())
    assert real.loc[0, "population"] == bouches
    aura = load_frame("departements").query("region_code == '84'")["population"].sum()
    lyon = communes.loc[communes["epci_siren"] == "200046977", "population"].sum()
    assert real.loc[2, "population"] == aura + lyon


# --------------------------------------------------------------------------- identifiers and names


def test_code_whose_frame_name_disagrees_is_not_used() -> None:
    # 72181 is Le Mans: the survey says Avignon, so the code or the name is wrong. The code is
    # not used; the name is looked for in the code's département, where there is no Avignon.
    data, report = one({"collectivity_type": "commune", "code_insee": "72181", "name": "Avignon"})
    assert report["method"] == "" and pd.isna(data["population"])
    assert report["conflict"] == (
        "INSEE code 72181 is 'Le Mans' in the frame, not the survey's 'Avignon': "
        "a mistyped INSEE code? not used"
    )
    assert report["review"].startswith("not in département 72 (exact_name)")
    # Without a declared type there is no name matching: nothing is filled either.
    data, report = one({"code_insee": "72181", "name": "Avignon"})
    assert report["method"] == "" and pd.isna(data["population"])
    assert "'Le Mans'" in report["conflict"]


def test_siren_whose_frame_name_disagrees_is_not_used() -> None:
    data, report = one({"collectivity_type": "commune", "siren": AVIGNON, "name": "Le Mans"})
    assert (report["method"], report["frame_name"], data["population"]) == (
        "exact_name",
        "Le Mans",
        17400,
    )
    assert report["conflict"].startswith(
        f"SIREN {AVIGNON} is 'Avignon' in the frame, not the survey's 'Le Mans'"
    )


@pytest.mark.parametrize(
    ("row", "method", "expected"),
    [
        (
            {"collectivity_type": "commune", "code_insee": "84007", "name": "AVIGNON"},
            "code_insee",
            "Avignon",
        ),
        (
            {"collectivity_type": "commune", "code_insee": "84007", "name": "Ville d'Avignon"},
            "code_insee",
            "Avignon",
        ),
        (
            {"collectivity_type": "commune", "code_insee": "84007", "name": "Avignom"},
            "code_insee",
            "Avignon",
        ),
        (
            {"collectivity_type": "epci", "siren": CA_AVIGNON, "name": "COGA"},
            "siren",
            "CA du Grand Avignon (COGA)",
        ),
        (
            {"collectivity_type": "epci", "siren": CA_AVIGNON, "name": "Grand Avignon"},
            "siren",
            "CA du Grand Avignon (COGA)",
        ),
        (
            {"collectivity_type": "region", "code_insee": "93", "name": "Région Sud"},
            "code_insee",
            "Provence-Alpes-Côte d'Azur",
        ),
    ],
)
def test_names_that_agree_with_the_identifier(row: dict, method: str, expected: str) -> None:
    # the same full or core key, a short name, an alias, or one letter away
    _, report = one(row)
    assert (report["method"], report["frame_name"], report["conflict"]) == (method, expected, "")


def test_an_identifier_of_another_legal_form_is_used_and_reviewed() -> None:
    # The SIREN and the name agree on the body; the name's legal form is a former one.
    data, report = one(
        {
            "collectivity_type": "epci",
            "siren": CA_AVIGNON,
            "name": "Communauté de communes du Grand Avignon",
        }
    )
    assert (report["method"], data["collectivity_type"]) == ("siren", "CA")
    assert report["review"] == (
        "legal form: the name says CC, the frame's 'CA du Grand Avignon (COGA)' found by siren "
        "is a CA"
    )


def test_luhn_check_of_siren() -> None:
    # Every SIREN of the committed frame passes it (the check is safe to enforce) ...
    for level in ("communes", "epci", "ept"):
        sirens = load_frame(level)["siren"].dropna()
        assert len(sirens) > 0 and sirens.map(luhn_valid).all(), level
    # ... and every single digit mistyped in one of them fails it.
    for position in range(9):
        for digit in "0123456789":
            typo = AVIGNON[:position] + digit + AVIGNON[position + 1 :]
            assert luhn_valid(typo) == (typo == AVIGNON), typo
    assert luhn_valid("356000000")  # La Poste's SIREN (its SIRETs are the exception)


def test_siren_failing_luhn_is_ignored_and_the_next_key_used() -> None:
    typo = AVIGNON[:-1] + "6"  # 218400076: the last digit mistyped
    assert not luhn_valid(typo)
    data, report = one({"collectivity_type": "commune", "siren": typo, "code_insee": "84007"})
    assert (report["method"], data["population"]) == ("code_insee", 92188)
    assert report["conflict"].startswith(f"SIREN {typo} fails the Luhn check")
    data, report = one({"collectivity_type": "epci", "siren": "248400252"})
    assert report["method"] == "" and pd.isna(data["population"])
    assert "fails the Luhn check" in report["conflict"]


def test_lagnieu_with_a_mistyped_code_is_lagnieu() -> None:
    # 01022 is Artemare (a digit of Lagnieu's 01202 moved): the name and the département decide.
    data, report = one(
        {"collectivity_type": "commune", "code_insee": "01022", "name": "Lagnieu"},
        loader=load_frame,
    )
    communes = load_frame("communes").set_index("code_insee")
    assert (report["method"], report["frame_name"]) == ("exact_name", "Lagnieu")
    assert data["population"] == communes.loc["01202", "population"]
    assert "'Artemare'" in report["conflict"] and "'Lagnieu'" in report["conflict"]
