"""Reasons as codes with parameters (``analyse.reasons``), worded by the catalogues
(``analyse.report.reasons``): the English stays the text ``results.json`` always held, every
code has its words in both languages, and the French words hold no English."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analyse.data.reference import load_frame
from analyse.params import load_params
from analyse.pipeline.run_result import load_scored
from analyse.reasons import ENGLISH, TEMPLATES, TEXT, Reason, error_reason, parse
from analyse.report import i18n
from analyse.report.reasons import band_words, word
from analyse.stats.weights import rake

# one example of each code, with the text runs wrote before codes existed where it was fixed
EXAMPLES: dict[str, Reason] = {
    "no_answer": Reason("no_answer", {"themes": ["user_services", "data_ai"]}),
    "too_few_themes": Reason("too_few_themes", {"min_themes": 5, "n_themes": 7}),
    "population_not_found": Reason("population_not_found"),
    "population_no_column": Reason("population_no_column"),
    "epci_not_found": Reason("epci_not_found"),
    "type_left_out": Reason("type_left_out", {"value": "Autre"}),
    "type_unknown": Reason("type_unknown", {"value": "Syndicat mixte"}),
    "type_left_out_other": Reason("type_left_out_other", {"min_cell": 5}),
    "type_unknown_other": Reason("type_unknown_other", {"min_cell": 5}),
    "population_zero": Reason("population_zero"),
    "population_negative": Reason("population_negative"),
    "population_empty": Reason("population_empty"),
    "population_not_number": Reason("population_not_number"),
    "type_empty": Reason("type_empty"),
    "population_not_positive": Reason("population_not_positive"),
    "duplicate_siren": Reason("duplicate_siren", {"row": 4}),
    "duplicate_insee": Reason("duplicate_insee", {"row": 12}),
    "duplicate_name": Reason("duplicate_name", {"row": 7}),
    "duplicate_frame": Reason("duplicate_frame", {"row": 3}),
    "weight_zero": Reason("weight_zero", {"column": "poids"}),
    "missing_term_value": Reason("missing_term_value"),
    "missing_control_value": Reason("missing_control_value", {"column": "party"}),
    "no_column": Reason("no_column", {"column": "digital_staff_fte"}),
    "empty_column": Reason("empty_column", {"column": "budget_per_capita"}),
    "not_requested": Reason("not_requested"),
    "rare_value": Reason("rare_value", {"value": "1", "min_cell": 5}),
    "same_level": Reason("same_level", {"level": 3}),
    "separation": Reason("separation"),
    "no_finite_se": Reason("no_finite_se"),
    "cut_separation": Reason("cut_separation", {"cut": "2|3"}),
    "few_levels": Reason("few_levels"),
    "model_not_estimable": Reason("model_not_estimable"),
    "not_converged": Reason("not_converged"),
    "no_term": Reason("no_term"),
    "not_computable": Reason("not_computable", {"error": "Singular matrix"}),
    "design_not_identified": Reason("design_not_identified"),
    "hc3_undefined": Reason("hc3_undefined"),
    "weights_not_met": Reason("weights_not_met"),
    "error": Reason("error", {"name": "LinAlgError", "message": "Singular matrix"}),
    "empty_bands": Reason("empty_bands", {"bands": ["<20k"], "units": 515}),
    "no_frame_unit": Reason("no_frame_unit", {"margin": "type", "category": "CU"}),
    "types_short": Reason(
        "types_short",
        {
            "types": ["CC"],
            "bands": ["<20k", "20-50k"],
            "have_pct": 76.97,
            "have": 966,
            "need_pct": 78.8,
            "need": 989,
        },
    ),
    "types_exact": Reason(
        "types_exact", {"types": ["CC", "CA"], "bands": ["<20k"], "need_pct": 50.0, "need": 600}
    ),
    "bounds_unmet": Reason("bounds_unmet", {"lower": 0.5, "upper": 3.0}),
}
EXAMPLES["bands_merged"] = Reason(
    "bands_merged",
    {
        "merges": [{"bands": ["20-50k", "50-100k"], "into": "20-100k"}],
        "because": EXAMPLES["types_short"],
    },
)

# the English results.json held before codes: it must not change (CI consumers read it)
LEGACY = {
    "no_answer": "no answer in theme(s): user_services, data_ai",
    "type_left_out": "type 'Autre' is left out by the type-label mapping",
    "no_column": "no digital_staff_fte column",
    "cut_separation": "cut 2|3: binary logit not identified (separation)",
    "same_level": "every respondent is at the same level (3): nothing to model",
    "weight_zero": "weight 0 in column 'poids'",
    "bands_merged": (
        "population bands merged: 20-50k and 50-100k into 20-100k, because collectivity type "
        "CC has respondents only in population band(s) <20k, 20-50k, which hold 76.97 % of the "
        "frame (966 units), less than the 78.80 % (989) to match"
    ),
    "error": "LinAlgError: Singular matrix",
}
# words that are English and not French: none may be left in a French wording
ENGLISH_WORDS = re.compile(
    r"\b(?:the|of|not|no|and|with|which|because|only|less|than|fewer|column|respondents?|left"
    r"|out|merged|answer|theme|mapping|separation|identified|binary|band|bands|frame|holds?"
    r"|unknown|empty|requested|model|level|value|weights?|error|cut|found|computable"
    r"|units?|type-label|logit|HC3|leverage|singular|matrix|[a-z]+_[a-z_]+)\b",
    re.IGNORECASE,
)
THEMES = {"user_services": "Services et relations usagers", "data_ai": "Données et IA"}


def test_every_code_has_an_example():
    assert set(EXAMPLES) == set(ENGLISH)


@pytest.mark.parametrize("code", sorted(LEGACY))
def test_the_english_is_the_text_runs_always_wrote(code):
    assert EXAMPLES[code].english() == LEGACY[code]


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_a_reason_written_as_text_reads_back_as_its_code(code):
    reason = EXAMPLES[code]
    parsable = code in TEMPLATES or code in {
        "type_left_out",
        "type_unknown",
        "weight_zero",
        "same_level",
    }
    if not parsable:  # a structured reason travels as a dict (results.json's collapsed_code)
        assert Reason.from_dict(reason.to_dict()) == reason
        return
    back = parse(reason.english())
    assert back.code == code and back.english() == reason.english()


def test_text_no_code_wrote_is_shown_as_it_is():
    assert parse("a reason from elsewhere").code == TEXT
    for lang in ("fr", "en"):
        assert word("a reason from elsewhere", i18n.messages(lang)) == "a reason from elsewhere"
    # a code the catalogue does not know falls back to its English, never fails
    assert word(Reason("made_up", {"text": "made up"}), i18n.messages("fr")) == "made up"


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_every_code_is_worded_in_french_without_english(code):
    fr = word(EXAMPLES[code], i18n.messages("fr"), THEMES)
    assert fr != EXAMPLES[code].english()
    assert not ENGLISH_WORDS.findall(fr), fr
    assert "{" not in fr


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_every_code_is_worded_in_english(code):
    en = word(EXAMPLES[code], i18n.messages("en"), THEMES)
    assert en and "{" not in en
    assert "_" not in en.replace("\u00a0", " "), en  # no internal name


def test_the_french_wording_names_what_the_reason_names():
    m = i18n.messages("fr")
    nbsp = "\u00a0"
    no_answer = word(EXAMPLES["no_answer"], m, THEMES)
    assert no_answer == (
        f"aucune réponse aux thèmes «{nbsp}Services et relations usagers{nbsp}» et "
        f"«{nbsp}Données et IA{nbsp}»"
    )
    one = word(Reason("no_answer", {"themes": ["data_ai"]}), m, THEMES)
    assert one == f"aucune réponse au thème «{nbsp}Données et IA{nbsp}»"
    assert word(LEGACY["type_left_out"], m) == (
        f"type «{nbsp}Autre{nbsp}» écarté par la correspondance des types"
    )
    assert word(LEGACY["no_column"], m) == "l'enquête ne renseigne pas les effectifs du numérique"
    assert word(LEGACY["cut_separation"], m).startswith("seuil entre les niveaux 2 et 3")
    assert "Singular" not in word(error_reason(ValueError("Singular matrix")), m)
    thin = "\u202f"  # Babel's French thousands separator
    assert band_words("20-100k", m) == f"20{thin}000 à 100{thin}000 hab."
    assert band_words("250k+", m) == f"250{thin}000 hab. et plus"


def test_the_raked_panel_says_in_french_which_bands_it_merged_and_why():
    """The 2025-like panel (params/default.yaml with weights: raked) merges two bands: the
    model table's « Pondération » cell said so in English before."""
    params = load_params(Path(__file__).parents[1] / "params" / "default.yaml")
    scored, _ = load_scored(params)
    weights = rake(scored[scored["maturity_index"].notna()], load_frame("epci"))
    code = Reason.from_dict(weights.attrs["collapsed_code"])
    assert code.english() == weights.attrs["collapsed"]  # results.json's text, unchanged
    fr = word(code, i18n.messages("fr"))
    assert fr.startswith("tranches de population regroupées")
    assert "Communauté de communes (CC)" in fr and "77,0" in fr and "78,8" in fr
    assert not ENGLISH_WORDS.findall(fr), fr


def test_bands_of_every_tier_and_merges_in_two_tiers_are_worded_in_french():
    """Raking bands of the other tiers ("commune 500-2k": 500 to 2,000, not 500,000) are worded
    from their range with their tier's name; a merge in two tiers is two reasons, chained, each
    worded, and its English is ``collapsed``'s."""
    m = i18n.messages("fr")
    thin = "\u202f"
    assert band_words("commune 500-2k", m) == f"Commune 500 à 2{thin}000 hab."
    assert band_words("departement 500k-1M", m) == (
        f"Département 500{thin}000 à 1{thin}000{thin}000 hab."
    )
    assert band_words("region all sizes", m) == "Région toutes tailles"
    assert band_words("<20k", m) == f"< 20{thin}000 hab."  # EPCI bands as before
    frame = load_frame("all")
    deps = frame[frame["collectivity_type"] == "departement"]
    regions = frame[frame["collectivity_type"] == "region"]
    sample = pd.concat(
        [deps[deps["population"].between(500_000, 999_999)].head(3), regions.head(2)]
    )
    weights = rake(sample, frame)
    code = Reason.from_dict(weights.attrs["collapsed_code"])
    assert code.english() == weights.attrs["collapsed"]
    assert "; population bands merged: region <1M and region 1M+ into region all sizes" in (
        code.english()
    )
    fr = word(code, m)
    assert fr.count("tranches de population regroupées") == 2
    assert "Département toutes tailles" in fr and "Région toutes tailles" in fr
    assert not ENGLISH_WORDS.findall(fr), fr
