"""The run's own words: a census is not a survey, and another codebook's index is not the
barometer's « indice de maturité ».

Found reading a real census (Éclaireur Public's transparency grades, every tier, no means):
the model table said « Répondants dans le modèle », the methods box said the index was related
to budget, staff and sponsorship (none in the data), « 2 000 enquêtes simulées » and
« rééchantillonnage des répondants », chapter 1's scope « 328 réponses reçues », the published
comparison's reading stood under a figure not drawn, every title called a transparency grade
« maturité numérique », and a theme with one item at E everywhere had « alpha = 0,00 ».
Each test builds a ``results.json`` document (the panel fixture) or a small table and changes
only what the case needs; one slow test runs a census end to end.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from run_command import analyse_run

from analyse.data.codebook import Codebook, load_codebook
from analyse.data.scoring import alpha_fault, alpha_notes, cronbach_alpha, reliability
from analyse.errors import InputError
from analyse.pipeline.index_pages import page_top, run_index_html
from analyse.report import findings, headline, i18n, lecture, method_box, readable
from analyse.report.i18n import for_run, index_words, messages

ROOT = Path(__file__).resolve().parents[1]
PANEL = json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))
ALL_MEAN_TERMS = ["budget", "staff", "elected_digital_lead", "strategy_adopted"]
LABELS = {"fr": "indice de transparence", "en": "transparency index"}


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _census(label: bool = True, means: bool = False) -> dict:
    """The panel's results as a census run; without ``means`` its data measure none (the
    direct model is the total one); with ``label`` its codebook names the index."""
    results = copy.deepcopy(PANEL)
    if not means:
        results["dropped_terms"] = list(ALL_MEAN_TERMS)
        results["estimands"]["total"]["terms"] = ["size"]
        results["estimands"]["direct"] = copy.deepcopy(results["estimands"]["total"])
        results["estimands"]["indirect"].update(coef_points=0.0, by_mean={})
        results["verdict"] = results["estimands"]["direct"]["verdict"]
    results["run"] = {**results["run"], "kind": "census", "synthetic": False, "levels": [0, 4]}
    if label:
        results["run"]["index_label"] = dict(LABELS)
    return results


def _top(results: dict, lang: str) -> str:
    """Title, chapeau, key findings, the summary, the headline figure's notes and chapter 3
    and 5's methods boxes, as the index pages write them (bound to the run)."""
    m = for_run(messages(lang), results)
    parts = [headline.headline(results, m), *headline.chapeau(results, m)]
    parts += findings.key_findings(results, m) + [findings.summary(results, m)]
    parts += lecture.notes("size_coefficients", results, m)
    parts += [method_box.method_box(results, m, 3), method_box.method_box(results, m, 5)]
    return _plain(" ".join(parts))


# ----------------------------------------------------------------------------- index words


def test_the_barometer_keeps_its_words():
    fr, en = index_words("fr"), index_words("en")
    assert (fr["the_index"], fr["of_index"], fr["quality"]) == (
        "l'indice de maturité",
        "d'indice de maturité",
        "maturité numérique",
    )
    assert fr["Index"] == "Indice de maturité" and en["index"] == "maturity index"
    panel = _plain(headline.headline(PANEL, messages("fr")))
    assert panel.endswith("leur maturité numérique"), panel


def test_a_label_takes_french_elision_and_articles():
    vowel = index_words("fr", "indice de transparence")
    assert vowel["the_index"] == "l'indice de transparence"
    assert vowel["of_index"] == "d'indice de transparence"
    assert vowel["The_index"] == "L'indice de transparence"
    consonant = index_words("fr", "score de transparence")
    assert consonant["the_index"] == "le score de transparence"
    assert consonant["of_index"] == "de score de transparence"
    assert consonant["have_higher"] == "ont un score de transparence plus élevé"
    english = index_words("en", "transparency index")
    assert english["the_index"] == "the transparency index"
    assert english["Index"] == "Transparency index"


def test_a_message_asked_without_values_keeps_the_callers_placeholders():
    """The narrative fills a message's placeholders after the catalogue fills the index's."""
    m = messages("fr").bind(index_label="indice de transparence")
    template = m("nb2.budget_figure")
    assert "{min_cell}" in template and "{The_index}" not in template
    assert template.startswith("**Figure A.** L'indice de transparence selon")
    assert m.fill(template, min_cell="5").count("5 répondants") == 1


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pages_name_the_codebooks_index(lang):
    """Failed before: « la taille … ne départage pas leur maturité numérique » for a grade of
    transparency, « l'indice de maturité » in the chapeau and the figure's reading."""
    text = _top(_census(label=True), lang)
    assert LABELS[lang] in text
    banned = ("maturité", "matures") if lang == "fr" else ("maturity", "mature")
    for word in banned:
        assert word not in text.lower(), (lang, word)
    title = headline.headline(_census(), for_run(messages(lang), _census()))
    assert LABELS[lang] in title, title
    # without a label, the barometer's words
    plain = _top(_census(label=False), lang)
    assert ("indice de maturité" if lang == "fr" else "maturity index") in plain


def test_index_pages_read_the_label_from_results_json():
    results = _census()
    top = page_top(results, for_run(messages("fr"), results))
    assert top is not None and "indice de transparence plus élevé" in top.headline
    manifest = {
        "name": "census",
        "lang": "fr",
        "notebooks": [],
        "git": {"commit": "0" * 40, "dirty": False},
        "inputs": {"params": {"path": "p.yaml"}, "survey": {"path": "s.csv"}},
        "versions": {"analyse": "0"},
        "inputs_digest": "x",
        "params": {"data": {"kind": "census"}},
    }
    page = _plain(run_index_html(manifest, results, []))
    assert "census : indice de transparence et taille des collectivités" in page
    assert "maturité numérique" not in page


def test_a_codebook_names_its_index_or_keeps_the_barometers(tmp_path):
    base = yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text("utf-8"))
    assert load_codebook(ROOT / "data" / "codebook.yaml").index_label("fr") is None
    named = Codebook.model_validate(
        {**base, "index_label_fr": "  indice   de transparence ", "index_label_en": ""}
    )
    assert named.index_label("fr") == "indice de transparence"
    assert named.index_label("en") is None  # empty: the barometer's words
    assert named.is_barometer_2025  # a name changes no structure
    path = tmp_path / "codebook.yaml"
    path.write_text(
        yaml.safe_dump({**base, "index_label_fr": "indice {x}"}, allow_unicode=True), "utf-8"
    )
    with pytest.raises(InputError, match="braces"):
        load_codebook(path)


# ----------------------------------------------------------------------------- census wording


def test_every_census_wording_replaces_a_message_the_caller_can_fill():
    """A census variant is read instead of its survey message: it must exist as a message,
    and need no value its caller does not give."""
    for lang in i18n.LANGUAGES:
        m = messages(lang)
        variants = [k for k in m.texts if k.startswith(i18n.CENSUS)]
        assert len(variants) > 50
        for key in variants:
            base = key.removeprefix(i18n.CENSUS)
            assert base in m.texts, (lang, key)
            theirs = i18n.placeholders(m.texts[key]) - i18n.RUN_WORDS
            assert theirs <= i18n.placeholders(m.texts[base]), (lang, key)


@pytest.mark.parametrize(
    ("key", "survey_fr", "census_fr"),
    [
        ("tables.model_specification.rows.n", "Répondants dans le modèle", "Collectivités"),
        ("tables.exclusions_table.caption", "Répondants exclus", "Lignes exclues"),
        ("reasons.no_column", "l'enquête ne renseigne pas", "les données ne renseignent pas"),
        ("lecture.champ_input", "réponses reçues", "lignes lues"),
    ],
)
def test_a_census_reads_its_own_wording(key, survey_fr, census_fr):
    values = {"column": "le budget", "total": "328", "n": "321"}
    survey = messages("fr")
    census = survey.bind(kind="census")
    assert survey_fr in _plain(survey(key, **values))
    assert census_fr in _plain(census(key, **values))
    assert survey_fr not in _plain(census(key, **values))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_census_methods_box_names_no_respondent_survey_or_absent_mean(lang):
    """Failed before: « L'indice est rapporté … au budget par habitant, aux effectifs du
    numérique et au portage politique » with none in the data, « rééchantillonnage des
    répondants », « 2 000 enquêtes sont simulées »."""
    results = _census()
    m = for_run(messages(lang), results)
    box = _plain(" ".join(method_box.method_box(results, m, c) for c in range(1, 6)))
    banned = (
        ("répondant", "enquête", "budget", "effectifs du numérique", "portage", "0 à 3")
        if lang == "fr"
        else ("respondent", "survey", "budget", "digital staff", "sponsorship", "0 to 3")
    )
    for word in banned:
        assert word not in box, (lang, word)
    related = "rapporté au logarithme de la population ;" if lang == "fr" else "log of population;"
    assert related in box
    assert ("de 0 à 4" if lang == "fr" else "0 to 4") in box  # the codebook's levels
    # a survey holding every mean keeps them listed, and its respondents
    panel = _plain(method_box.method_box(PANEL, messages("fr"), 3))
    assert (
        "au logarithme de la population, au budget par habitant, aux effectifs du numérique "
        "et au portage politique" in panel
    )


def test_the_model_line_names_the_type_and_an_extra_control():
    results = copy.deepcopy(PANEL)
    results["estimands"]["direct"]["terms"] = ["size", "staff", "controls", "couleur_politique"]
    terms = method_box.model_terms(results)
    assert terms == ["size", "staff", "collectivity_type", "couleur_politique"]
    text = _plain(method_box.method_box(results, messages("fr"), 3))
    assert (
        "au logarithme de la population, aux effectifs du numérique, au type de collectivité "
        "et à « couleur politique »" in text
    )


def test_the_published_reading_goes_with_its_figure():
    """Failed before: « chaque paire de barres compare… » under a figure not drawn."""
    m = messages("fr")
    not_drawn = pd.DataFrame({"difference": [np.nan]})
    not_drawn.attrs["not_shown"] = "another codebook"
    lines = lecture.notes("published", PANEL, m, comparison=not_drawn)
    assert not any(line.startswith("Lecture") for line in lines)
    drawn = pd.DataFrame({"difference": [3.0]})
    assert lecture.notes("published", PANEL, m, comparison=drawn)[0].startswith("Lecture")


# ----------------------------------------------------------------------------- alpha


def test_alpha_with_an_item_without_variance_is_not_computable():
    """Failed before: 2 * (1 - var/var) = 0,00, read as « the items disagree »."""
    items = pd.DataFrame({"a": [0, 0, 0, 0], "b": [0, 1, 3, 4]})
    assert alpha_fault(items) == "constant_item"
    assert np.isnan(cronbach_alpha(items))
    varying = pd.DataFrame({"a": [0, 1, 2, 4], "b": [0, 1, 3, 4]})
    assert alpha_fault(varying) is None and np.isfinite(cronbach_alpha(varying))


def test_reliability_says_why_alpha_is_missing():
    book = Codebook.model_validate(
        {
            "levels": [{"value": v, "label_fr": str(v), "label_en": str(v)} for v in range(5)],
            "themes": [
                {
                    "key": "flat",
                    "label_fr": "Plat",
                    "label_en": "Flat",
                    "items": [{"column": "a"}, {"column": "b"}],
                },
                {
                    "key": "fine",
                    "label_fr": "Bien",
                    "label_en": "Fine",
                    "items": [{"column": "c"}, {"column": "d"}],
                },
            ],
        }
    )
    survey = pd.DataFrame(
        {"a": [0, 0, 0, 0], "b": [0, 1, 3, 4], "c": [0, 1, 2, 4], "d": [0, 1, 3, 4]}
    )
    found = reliability(survey, book).set_index("theme")
    assert found.loc["flat", "alpha_fault"] == "constant_item"
    assert pd.isna(found.loc["fine", "alpha_fault"])
    assert alpha_notes(found.reset_index()) == [
        "alpha of theme 'flat' not computable (an item has no variance)"
    ]
    for lang, words in (
        ("fr", "non calculable (un item sans variance)"),
        ("en", "not computable (an item has no variance)"),
    ):
        i18n.use(lang)
        try:
            table = readable.reliability_table(survey, book)
        finally:
            i18n.use("fr")
        assert words in table.to_html() and "0,00" not in table.to_html()


# ----------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_a_labelled_census_publishes_its_own_words(tmp_path):
    """End to end on the messy census of every tier, its codebook naming its index and its
    grade at the lowest level everywhere: the pages say « indice de transparence », never
    « maturité »; a census's words (no « Répondants dans le modèle », « enquêtes simulées »,
    « réponses reçues », « rééchantillonnage des répondants »); the methods box names no
    mean the data lack; the flat theme's alpha is « non calculable »."""
    sys.path.insert(0, str(ROOT / "tests"))
    from census_factory import census_codebook, census_params, write_census

    written = write_census(tmp_path / "recensement.csv")
    raw = pd.read_csv(written.path, dtype=str, keep_default_na=False)
    raw["note"] = raw["note"].where(~raw["note"].isin(["A", "B", "C", "D"]), "D")
    raw.to_csv(written.path, index=False)
    codebook = census_codebook(tmp_path / "codebook.yaml")
    with codebook.open("a", encoding="utf-8") as fh:
        fh.write('index_label_fr: "indice de transparence"\n')
        fh.write('index_label_en: "transparency index"\n')
    params = tmp_path / "recensement.yaml"
    document = census_params(params, written, codebook)
    params.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "reports"
    done = analyse_run(params, out)
    assert done.returncode == 0, done.stderr[-3000:]
    [run] = [p.parent for p in out.glob("*/results.json")]
    results = json.loads((run / "results.json").read_text("utf-8"))
    assert results["run"]["index_label"] == LABELS
    assert results["run"]["levels"] == [0, 3]

    def text(name: str) -> str:
        page = (run / name).read_text(encoding="utf-8")
        page = re.sub(r"<(script|style).*?</\1>", " ", page, flags=re.S)
        return _plain(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))

    pages = {name: text(name) for name in ("index.html", *(p.name for p in run.glob("*.html")))}
    for name, page in pages.items():
        for wrong in (
            "maturité",
            "Répondants dans le modèle",
            "Répondants exclus",
            "enquêtes simulées",
            "réponses reçues",
            "rééchantillonnage des répondants",
            "au budget par habitant",
        ):
            assert wrong not in page, (name, wrong)
    assert "indice de transparence" in pages["index.html"]
    assert "Collectivités dans le modèle" in pages["03_is_size_decisive.html"]
    assert "Champ : " in pages["01_data_quality.reader.html"]
    assert "lignes lues" in pages["01_data_quality.reader.html"]
    assert "non calculable (un item sans variance)" in pages["01_data_quality.html"]
    assert "Lecture : chaque paire de barres" not in pages["01_data_quality.reader.html"]
