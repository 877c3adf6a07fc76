"""Words that agree with their number, and the sentences a run with one theme, two themes,
no collectivity moved or only some means measured must say (analyse.report.i18n's
``{n:one|other}``, analyse.report.narrative's variants, the theme forest's text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analyse.params import load_params
from analyse.pipeline import site_layout
from analyse.report import i18n
from analyse.report.method_box import methods
from analyse.report.narrative import Narrator
from analyse.report.plots import alt_theme_forest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("lang", "written", "form"),
    [
        # French: « one » for 0 and 1 and any number below 2 (CLDR: i = 0,1)
        ("fr", 0, "point"),
        ("fr", 1, "point"),
        ("fr", 2, "points"),
        ("fr", "0,1", "point"),
        ("fr", "1,5", "point"),
        ("fr", "1,0", "point"),
        ("fr", "2,0", "points"),
        ("fr", "+1,8", "point"),
        ("fr", "\u22121,8", "point"),  # the sign does not count: « −1,8 point »
        ("fr", "1\u202f225", "points"),
        ("fr", "—", "points"),  # no number written: the general form
        ("fr", "NaN", "points"),  # nor here (a caller's str(nan)): no crash
        ("fr", "inf", "points"),
        ("en", "Infinity", "points"),
        # English: « one » for 1 written without decimals only
        ("en", 0, "points"),
        ("en", 1, "point"),
        ("en", "1", "point"),
        ("en", "1.0", "points"),
        ("en", "0.1", "points"),
        ("en", "1.5", "points"),
        ("en", "+1.8", "points"),
        ("en", "1,225", "points"),
    ],
)
def test_a_word_takes_the_form_of_the_number_as_written(lang, written, form):
    assert i18n.messages(lang).plural(written, "point", "points") == form


def test_a_message_writes_the_form_beside_its_number():
    fr, en = i18n.messages("fr"), i18n.messages("en")
    template = "{n} {n:collectivité|collectivités}"
    assert [fr.fill(template, n=fr.integer(k)) for k in (0, 1, 2)] == [
        "0 collectivité",
        "1 collectivité",
        "2 collectivités",
    ]
    assert en.fill("{n} {n:theme|themes}", n=en.integer(1)) == "1 theme"
    assert en.fill("{n} {n:theme|themes}", n=en.integer(0)) == "0 themes"
    # asked for without values (the narrative fills it later), the form is kept for the caller
    kept = fr("nb4.information.little")
    assert "{n:répondant|répondants}" in kept and "{n}" in kept
    assert fr.fill(kept, n="1", after_correction="").startswith("Avec 1 répondant,")


# the nouns a catalogue counts: after a number placeholder, each must be written with its two
# forms ({n} {n:thème|thèmes}), never as a bare plural that « 1 thèmes » would print
COUNTED = {
    "fr": "collectivités|répondants|thèmes|points|lignes|tests|tirages|groupes|analyses|"
    "spécifications|réponses|unités|catégories|colonnes|enquêtes|jeux|échantillons|courbes",
    "en": "collectivities|respondents|themes|points|rows|tests|draws|groups|analyses|"
    "specifications|responses|units|categories|columns|surveys|datasets|samples|curves",
}
# placeholders that are not counts (a list of names, a share, the index's words)
NOT_COUNTS = {"types", "share", "power", "kind", "total", "values", "the_index", "The_index"}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_catalogue_writes_a_bare_plural_after_a_number(lang):
    bare = re.compile(r"\{(\w+)\} (?:" + COUNTED[lang] + r")\b")
    found = [
        (key, match[0])
        for key, text in i18n.messages(lang).texts.items()
        # a variant chosen for a plural count (``choose``, or the caller's rule): plural already
        if not key.endswith((".other", ".many"))
        for match in [bare.search(text)]
        if match and match[1] not in NOT_COUNTS
    ]
    assert found == []


# ----------------------------------------------------------------- the narrative's sentences


def _panel() -> dict:
    return json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))


def _say(results: dict, lang: str) -> Narrator:
    return Narrator(results, load_params(ROOT / "params" / "default.yaml"), i18n.messages(lang))


def _keep_themes(results: dict, count: int) -> dict:
    results["themes"] = dict(list(results["themes"].items())[:count])
    return results


def test_one_theme_is_one_test_with_nothing_corrected():
    for lang, one, wrong in (
        ("fr", "Avec un seul thème", ("1 thèmes", "1 tests", "corrigée pour le nombre")),
        ("en", "With a single theme", ("1 themes", "1 tests", "corrected for the number")),
    ):
        say = _say(_keep_themes(_panel(), 1), lang)
        table, intro = say.text("nb4.table"), say.text("nb4.intro")
        assert one in table and not any(w in table for w in wrong), table
        assert intro == say.text("nb4.intro.one")
        assert "(" not in say.text("nb4.information")  # no « (après correction) »
    two = _say(_keep_themes(_panel(), 2), "fr")
    assert "Avec 2 thèmes, donc 2 tests" in two.text("nb4.table")
    assert "(après correction)" in two.text("nb4.information")
    # no Holm line, and the model line says « le thème », not « chaque thème »
    assert methods(_keep_themes(_panel(), 1), 4) == ["ordinal_one"]
    assert methods(_keep_themes(_panel(), 2), 4) == ["ordinal", "holm"]


@pytest.mark.parametrize(
    ("lang", "plural"),
    [
        ("fr", ("certains thèmes", "Thème par thème", "chaque thème", "Pour chaque thème")),
        ("en", ("some themes", "Theme by theme", "each theme", "For each theme")),
    ],
)
def test_chapter_4_of_one_theme_has_a_title_and_captions_in_the_singular(lang, plural):
    """With a single theme, chapter 4's title, figure caption and note on information speak of
    that theme; with two, they keep « thème par thème » and « pour chaque thème » (failed
    before: the one-theme chapter asked whether size mattered « pour certains thèmes »)."""
    say = _say(_keep_themes(_panel(), 1), lang)
    one = [say.text(k) for k in ("nb4.title", "nb4.figure", "nb4.information")]
    assert not any(w in text for text in one for w in plural), one
    m = i18n.messages(lang)
    assert one[0] == f"# 4. {site_layout.notebook_title('04_themes', m, themes=1)}"
    assert "4. " + site_layout.notebook_title("04_themes", m, themes=1) in (
        site_layout.page_title("04_themes", "ci", m, themes=1)
    )
    two = _say(_keep_themes(_panel(), 2), lang)
    assert plural[0] in two.text("nb4.title") and plural[3] in two.text("nb4.figure")
    assert two.text("nb4.title") == f"# 4. {site_layout.notebook_title('04_themes', m, 2)}"
    # the index pages and page titles count the themes of the run's results.json
    assert site_layout.run_themes(_keep_themes(_panel(), 1)) == 1
    assert site_layout.run_themes(None) is None
    assert site_layout.notebook_title("04_themes", m) == m("pages.notebooks.04_themes")


@pytest.mark.parametrize("census", [False, True])
def test_the_information_of_one_theme_has_a_census_wording_too(census):
    """A census says « collectivités », not « répondants », in the one-theme note as well."""
    results = _keep_themes(_panel(), 1)
    if census:
        results["run"]["kind"] = "census"
    for lang in i18n.LANGUAGES:
        m = i18n.for_run(i18n.messages(lang), results)
        text = Narrator(results, load_params(ROOT / "params" / "default.yaml"), m).text(
            "nb4.information"
        )
        respondents = "répondant" in text or "respondent" in text
        assert respondents != census, text


def test_chapter_4_says_what_is_held_equal_from_the_run():
    results = _panel()
    assert "à moyens égaux\u00a0:" in _say(results, "fr").text("nb4.table")
    results["dropped_terms"] = ["budget", "staff", "elected_digital_lead", "strategy_adopted"]
    fr, en = _say(results, "fr").text("nb4.table"), _say(results, "en").text("nb4.table")
    assert "plus peuplée, toutes voies confondues\u00a0:" in fr and "  " not in fr
    assert "all routes combined:" in en and "with  held" not in en


@pytest.mark.parametrize(
    ("moved", "french", "english"),
    [
        (0, "Aucune collectivité ne le déplace, à elle seule,", "No collectivity moves it"),
        (1, "Une seule collectivité le déplace, à elle seule,", "A single collectivity moves"),
        (13, "13 collectivités le déplacent chacune, à elles seules,", "13 collectivities each"),
    ],
)
def test_the_collectivities_that_move_the_effect_agree_with_their_count(moved, french, english):
    results = _panel()
    results["influence"]["moved_by_tenth_sesoi"] = moved
    fr = _say(results, "fr").text("nb5.influence")
    assert french in fr and "à lui seul" not in fr
    assert english in _say(results, "en").text("nb5.influence")


@pytest.mark.parametrize(("mde", "french"), [(1.8, "+1,8 point pour"), (2.0, "+2,0 points pour")])
def test_an_amount_of_points_below_two_is_singular_in_french(mde, french):
    results = _panel()
    sensitivity = results["sensitivity"]
    sensitivity["mde_points_positive"], sensitivity["mde_points_negative"] = mde, -mde
    assert french in _say(results, "fr").text("nb5.sensitivity")
    assert f"+{mde:.1f} points for" in _say(results, "en").text("nb5.sensitivity")


def test_only_some_means_measured_are_named_not_all():
    results = _panel()
    results["dropped_terms"] = ["staff", "elected_digital_lead", "strategy_adopted"]
    say = _say(results, "fr")
    assert say.facts.means == "some"
    intro = say.text("nb2.intro")
    assert "à budget égal" in intro and "effectifs du numérique et portage politique" in intro
    assert "sépare les deux" not in intro
    assert "à budget égal" in say.text("nb3.intro")
    assert "**À budget égal**" in say.text("nb3.estimands")
    english = _say(results, "en").text("nb2.intro")
    assert "with budget held equal" in english and "separates the two" not in english


@pytest.mark.parametrize(
    ("lang", "held", "missing", "everything"),
    [
        (
            "fr",
            "à budget égal",
            "effectifs du numérique et portage politique",
            ("Taille, budget, effectifs et portage", "toutes voies confondues, à moyens égaux"),
        ),
        (
            "en",
            "with budget held equal",
            "digital staff and political sponsorship",
            ("Size, budget, staff and sponsorship", "all routes combined, with the means held"),
        ),
    ],
)
def test_only_some_means_chapter_3_model_figure_and_shares_name_them(
    lang, held, missing, everything
):
    """Failed before: with only the budget measured, chapter 3's figure caption said « à
    moyens égaux » and its shares section « Taille, budget, effectifs et portage vont de
    pair »; with every mean, both keep those words."""
    results = _panel()
    results["dropped_terms"] = ["staff", "elected_digital_lead", "strategy_adopted"]
    say = _say(results, lang)
    figure, shares, model = (say.text(k) for k in ("nb3.estimands_figure", "nb3.importance",
                                                    "nb3.model"))  # fmt: skip
    assert held in figure and "(budget)" in figure and everything[1] not in figure
    assert everything[0] not in shares and "(budget)" in shares and missing in shares
    assert held in model and missing in model
    full = _say(_panel(), lang)
    assert everything[1] in full.text("nb3.estimands_figure")
    assert everything[0] in full.text("nb3.importance")


# ---------------------------------------------------------------------- the theme forest's text


def _themes(*rows: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"label": label, "odds_ratio": odds, "p_holm": p} for label, odds, p in rows],
        index=[f"t{i}" for i in range(len(rows))],
    )


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_forest_text_of_one_theme_names_no_range_and_no_correction(lang):
    try:
        i18n.use(lang)
        one = alt_theme_forest(_themes(("Dépenses", 1.08, 0.25)))
        two = alt_theme_forest(_themes(("Dépenses", 1.08, 0.25), ("Marchés", 1.30, 0.01)))
    finally:
        i18n.use(i18n.DEFAULT_LANGUAGE)
    number = "1,08" if lang == "fr" else "1.08"
    assert one.count(number) == 1 and "Dépenses" in one
    assert not re.search(r"\b1 th[eè]mes\b", one)
    assert "compte tenu" not in one and "given the number" not in one
    assert ("Sur 2 thèmes" if lang == "fr" else "Over 2 themes") in two


@pytest.mark.parametrize(
    ("lang", "key", "values", "one", "two"),
    [
        (
            "fr",
            "tables.model_specification.rare_categories",
            {},
            "1 catégorie rare",
            "2 catégories rares",
        ),
        (
            "en",
            "tables.model_specification.rare_categories",
            {},
            "1 rare category",
            "2 rare categories",
        ),
        (
            "fr",
            "prose.curve_skipped",
            {},
            "1 autre n'a pas pu être estimée et n'est pas comptée",
            "2 autres n'ont pas pu être estimées et ne sont pas comptées",
        ),
        (
            "en",
            "prose.curve_skipped",
            {},
            "1 more could not be estimated and is not counted",
            "2 more could not be estimated and are not counted",
        ),
    ],
)
def test_the_words_that_agree_with_a_count_take_its_form(lang, key, values, one, two):
    """Not only the noun: its adjective and verb agree too (« 1 catégorie rare »)."""
    m = i18n.messages(lang)
    name = "n" if "rare" in key else "count"
    assert one in m(key, **{name: m.integer(1)}, **values).replace("\u202f", " ")
    assert two in m(key, **{name: m.integer(2)}, **values).replace("\u202f", " ")


@pytest.mark.parametrize(
    ("lang", "draw", "simulation"),
    [
        ("fr", "1 échantillon est tiré", "1 enquête est simulée"),
        ("en", "1 sample is drawn", "1 survey is simulated"),
    ],
)
def test_one_bootstrap_draw_and_one_simulation_are_written_in_the_singular(lang, draw, simulation):
    m = i18n.messages(lang)
    one = m.integer(1)
    curve = m("nb5.curve", held="", specifications=m.integer(16), draws=one)
    power = m("method.terms.power.text", simulations=one, simulated_means="")
    assert draw in curve and simulation in power
