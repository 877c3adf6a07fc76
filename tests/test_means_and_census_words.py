"""The pages say what the run holds equal and what kind of data it read, never more.

Found reading a real census (Éclaireur Public's transparency grades) with no budget, staff or
sponsorship column: the pages still said « À moyens égaux, la taille … », « À égaux, entre
deux collectivités… », drew a « Par les moyens 0,0 » bar, called the verdict one on the
barometer's claim, spoke of « cet échantillon » and « répondants volontaires », and offered
empty tables for download. Each test builds a ``results.json`` document from the panel fixture
and changes only what the case needs.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from run_command import analyse_run

from analyse.pipeline.index_pages import caveats
from analyse.report import findings, headline, lecture, method_box
from analyse.report.findings import controls_held, held_phrase, held_words
from analyse.report.i18n import messages

ROOT = Path(__file__).resolve().parents[1]
PANEL = json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))
ALL_MEAN_TERMS = ["budget", "staff", "elected_digital_lead", "strategy_adopted"]


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _no_means(controls: bool = False, census: bool = True) -> dict:
    """The panel's results as a run whose data measure no mean: the direct model holds nothing
    but (``controls``) the type of collectivity, as the stats layer writes it."""
    results = copy.deepcopy(PANEL)
    results["dropped_terms"] = list(ALL_MEAN_TERMS)
    results["controls"] = ["collectivity_type"] if controls else []
    estimands = results["estimands"]
    estimands["total"]["terms"] = ["size"]
    estimands["direct"]["terms"] = ["size", "controls"] if controls else ["size"]
    if not controls:  # nothing held equal: the direct model is the total one
        estimands["direct"] = copy.deepcopy(estimands["total"])
    else:  # a gap of its own, so that a page quoting the total instead would show
        estimands["direct"]["coef_points"] = estimands["total"]["coef_points"] + 0.7
    estimands["indirect"].update(coef_points=0.0, by_mean={}, ci90_points=[0.0, 0.0])
    results["verdict"] = estimands["direct"]["verdict"]
    results["run"] = {**results["run"], "kind": "census" if census else "survey"}
    return results


def _everything(results: dict, lang: str) -> str:
    """Every sentence of a page's top computed from ``results``: title, chapeau, key
    findings, the runs' summary, the headline figure's reading, chapter 3's method box."""
    m = messages(lang)
    parts = [headline.headline(results, m), *headline.chapeau(results, m)]
    parts += findings.key_findings(results, m) + [findings.summary(results, m)]
    parts += lecture.notes("size_coefficients", results, m)
    parts.append(method_box.method_box(results, m, 3))
    return _plain(" ".join(parts))


def test_the_panel_still_says_its_means_are_held_equal():
    """The case that was right stays right: all means in the model, the claim answered."""
    text = _everything(PANEL, "fr")
    assert headline.headline(PANEL, messages("fr")).startswith("À moyens égaux")
    assert "affirmation du baromètre" in text and "ne peut pas être testée" not in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_with_no_mean_the_pages_say_the_claim_cannot_be_tested(lang):
    """Failed before: « À moyens égaux » in the title, « À égaux » in the chapeau, a verdict
    « sur l'affirmation du baromètre » that no mean in the model could support."""
    results = _no_means()
    m = messages(lang)
    text = _everything(results, lang)
    title = headline.headline(results, m)
    if lang == "fr":
        assert title.startswith("Toutes voies confondues")
        for wrong in ("À moyens égaux", "moyens égaux, entre", "À égaux", "À  égaux", "Par les"):
            assert wrong not in _plain(title + " ".join(headline.chapeau(results, m))), wrong
        assert "ne peut pas être testée" in text
        # the missing means named, in words
        assert "budget, effectifs du numérique et portage politique" in text
        assert "Verdict sur l'écart toutes voies confondues" in text
        assert "Verdict sur l'affirmation du baromètre" not in text
    else:
        assert title.startswith("All routes combined")
        assert "with resources held equal" not in title.lower()
        assert "cannot be tested" in text and "budget, digital staff and political" in text
    # the verdict's words for the measured gap are still given, with its numbers
    label = m(f"verdicts.{results['verdict']}.label")
    assert label in text
    total = m.number(results["estimands"]["total"]["coef_points"], 1, sign=True)
    assert total in text
    # nothing passes through means the data do not have
    parts = findings.key_findings(results, m)
    assert not any(
        m("findings.indirect", points="", unit="", low="", high="", level="", share="", routes="")[
            :20
        ]
        in p
        for p in parts
    )


def test_with_no_mean_but_the_type_held_equal_both_gaps_are_given():
    """The direct model holds the type of collectivity: its gap is said as such, with its
    own number, beside the total (never « à moyens égaux »)."""
    results = _no_means(controls=True)
    m = messages("fr")
    text = _everything(results, "fr")
    assert headline.headline(results, m).startswith("À type de collectivité égal")
    direct = m.number(results["estimands"]["direct"]["coef_points"], 1, sign=True)
    total = m.number(results["estimands"]["total"]["coef_points"], 1, sign=True)
    assert f"À type de collectivité égal, l'écart est de {direct}" in text
    assert total in text
    assert "À moyens égaux" not in _plain(" ".join(headline.chapeau(results, m)))


@pytest.mark.parametrize(
    ("dropped", "held_fr", "missing_fr"),
    [
        (["staff", "elected_digital_lead", "strategy_adopted"], "À budget égal", "effectifs du"),
        (["budget", "staff"], "À portage politique égal", "budget et effectifs du numérique"),
        (
            ["elected_digital_lead", "strategy_adopted"],
            "À budget et effectifs du numérique égaux",
            "portage politique",
        ),
    ],
)
def test_some_means_the_held_ones_are_named_from_the_run(dropped, held_fr, missing_fr):
    """Failed before: « À budget égaux » for one mean, and the fixed « budget, effectifs et
    portage égaux » whatever the data held."""
    results = copy.deepcopy(PANEL)
    results["dropped_terms"] = dropped
    results["controls"] = []
    m = messages("fr")
    chapeau = _plain(" ".join(headline.chapeau(results, m)))
    assert chapeau.startswith(held_fr + ", entre deux"), chapeau
    text = _everything(results, "fr")
    assert missing_fr in text
    assert "budget, effectifs et portage égaux" not in text
    # the title says what is held, with the agreement of its words
    assert headline.headline(results, m).startswith(held_fr)
    # the key findings do not call it the barometer's question: the closest these data allow
    found = " ".join(findings.key_findings(results, m))
    assert "la question que tranche l'affirmation" not in found
    assert "Verdict sur l'affirmation du baromètre" not in found
    assert f"Verdict sur l'écart {held_fr[0].lower()}{held_fr[1:]} (au plus près" in found


def test_a_census_is_not_called_a_sample_nor_its_bodies_respondents():
    """Failed before: « Avec cet échantillon, seul un écart… » on a census of every body."""
    for lang, banned in (
        ("fr", ("échantillon,", "cet échantillon", "répondant")),
        ("en", ("this sample", "respondent")),
    ):
        results = _no_means(census=True)
        m = messages(lang)
        top = _plain(" ".join([*headline.chapeau(results, m), *findings.key_findings(results, m)]))
        for word in banned:
            assert word not in top, (lang, word)
        n = m.integer(results["n"])
        assert (
            f"Avec ces données ({n} collectivités)"
            if lang == "fr"
            else f"With these data ({n} collectivities)"
        ) in top
    survey = _no_means(census=False)
    assert "Avec cet échantillon" in " ".join(headline.chapeau(survey, messages("fr")))


def test_a_census_caveat_says_the_data_are_as_the_source_publishes_them():
    manifest = {"synthetic": False, "params": {"data": {"kind": "census"}}}
    m = messages("fr")
    found = " ".join(caveats(manifest, m))
    assert "que publie leur source" in found and "déclarées par les collectivités" not in found
    survey = " ".join(caveats({"params": {"data": {"kind": "survey"}}}, m))
    assert "déclarées par les collectivités" in survey


def test_the_held_phrase_agrees_with_what_is_held():
    m = messages("fr")
    assert findings.held_phrase(m, ["budget", "staff", "sponsorship"], False) == "à moyens égaux"
    assert findings.held_phrase(m, [], False) == "toutes voies confondues"
    assert findings.held_phrase(m, [], True) == "à type de collectivité égal"
    assert findings.held_phrase(m, ["staff"], False) == "à effectifs du numérique égaux"
    assert findings.held_phrase(m, ["budget"], True) == "à budget et type de collectivité égaux"
    assert findings.means_case(PANEL) == "all"
    assert findings.means_case(_no_means()) == "none"


@pytest.mark.slow
def test_a_census_with_no_means_publishes_pages_that_say_so(tmp_path):
    """End to end: a small census of every tier without any means column, run as an analyst
    types it. No page claims the means were held equal, no « par les moyens » row, no
    « échantillon » in the chapeau, and the downloads hold no table the data cannot form."""
    source = pd.read_csv(ROOT / "data" / "synthetic" / "synthetic_census_epci.csv")
    keep = ["collectivity_type", "population"]
    keep += [c for c in source.columns if re.fullmatch(r"[a-z]+_\d", c)]
    survey = source.loc[:149, keep]
    survey.to_csv(tmp_path / "census.csv", index=False)
    params = {
        "name": "census-no-means",
        "title": "Recensement sans moyens",
        "data": {
            "survey": str(tmp_path / "census.csv"),
            "codebook": str(ROOT / "data" / "codebook.yaml"),
            "kind": "census",
            "columns": None,
        },
        "analysis": {"bootstrap": 20, "controls": []},
        "seed": 2025,
    }
    path = tmp_path / "census-no-means.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "reports"
    done = analyse_run(path, out)
    assert done.returncode == 0, done.stderr[-3000:]
    run = out / "census-no-means"
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    assert set(ALL_MEAN_TERMS) <= set(results["dropped_terms"])
    index = _plain(re.sub(r"<[^>]+>", " ", (run / "index.html").read_text(encoding="utf-8")))
    chapter = _plain(
        re.sub(r"<[^>]+>", " ", (run / "03_is_size_decisive.reader.html").read_text("utf-8"))
    )
    for page in (index, chapter):
        assert "ne peut pas être testée" in page
        for wrong in ("À moyens égaux,", "À égaux", "Par les moyens", "Différence : par les"):
            assert wrong not in page, wrong
        assert "Avec cet échantillon" not in page and "répondants volontaires" not in page
    assert "Avec ces données" in index
    # no download of a table the data cannot form (no budget, no sponsorship column)
    tables = {p.stem for p in (run / "tables").glob("*.csv")}
    assert "maturity_by_budget_band" not in tables and "maturity_by_sponsorship" not in tables
    assert "maturity_by_size_band" in tables
    assert "tranche de dépense par habitant" not in index


def test_extra_controls_are_named_in_what_is_held_equal():
    """An extra control (data.extra_columns) is held equal by its name, '_' read as a space,
    alone in words that agree with any gender, or in the list with the means and the type."""
    m = messages("fr")
    assert held_phrase(m, ["budget"], ["couleur_politique"]) == (
        "à budget et couleur politique égaux"
    )
    assert held_phrase(m, [], ["couleur_politique"]) == "à couleur politique identique"
    results = {
        "dropped_terms": ["staff", "elected_digital_lead", "strategy_adopted"],
        "estimands": {
            "direct": {"terms": ["size", "budget", "controls", "couleur_politique"]},
            "total": {"terms": ["size"]},
        },
    }
    assert controls_held(results) == ["collectivity_type", "couleur_politique"]
    assert held_words(results, m) == "à budget, type de collectivité et couleur politique égaux"
    assert held_phrase(messages("en"), [], ["couleur_politique"]) == (
        "with couleur politique held equal"
    )


# ------------------------------------------------- some means only: the figure, its box, the top

ONLY_BUDGET = ["staff", "elected_digital_lead", "strategy_adopted"]


def _some_means(dropped: list[str]) -> dict:
    results = copy.deepcopy(PANEL)
    results["dropped_terms"] = list(dropped)
    results["controls"] = []
    return results


@pytest.mark.parametrize(
    ("lang", "held", "missing", "closest"),
    [
        ("fr", "à budget égal", "effectifs du numérique et portage politique", "le plus proche"),
        ("en", "with budget held equal", "digital staff and political sponsorship", "closest"),
    ],
)
def test_some_means_the_chapeau_and_method_box_name_what_is_held(lang, held, missing, closest):
    """Failed before: with only the budget measured, the chapeau said the barometer's claim
    was about that gap (it is about every mean held equal) and the method box was headed
    « Effet total, effet à moyens égaux »."""
    results = _some_means(ONLY_BUDGET)
    m = messages(lang)
    chapeau = _plain(" ".join(headline.chapeau(results, m)))
    assert closest in chapeau and missing in chapeau
    box = _plain(method_box.method_box(results, m, 3))
    assert "estimands_some" in method_box.methods(results, 3)
    assert f"{'Effet total, effet' if lang == 'fr' else 'Total effect, effect'} {held}" in box
    assert missing in box
    assert "moyens égaux" not in box and "resources held equal" not in box
    # every mean measured: the claim itself, the method box as it was
    full = _plain(" ".join(headline.chapeau(PANEL, m)))
    assert closest not in full
    assert "estimands" in method_box.methods(PANEL, 3)


def _effects(means: list[str]) -> pd.DataFrame:
    """``tables.size_effects``' frame as the stats layer writes it for a run holding ``means``."""
    effects = pd.DataFrame(
        {
            "points": [29.0, 12.6, 16.4],
            "low": [21.9, 3.6, 10.6],
            "high": [36.0, 21.6, 23.2],
            "p": [0.0, 0.03, float("nan")],
            "verdict": ["decisive", "significant_undetermined", ""],
        },
        index=pd.Index(["total", "direct", "indirect"], name="estimand"),
    )
    effects.attrs.update(alpha=0.05, sesoi_points=9.5, means_held=means, controls_held=[])
    return effects


@pytest.mark.parametrize(
    ("lang", "label", "through", "everything"),
    [
        (
            "fr",
            "Par les moyens mesurés (budget)",
            "passe par les moyens que ces données mesurent (budget).",
            ("Par les moyens", "passe par les moyens."),
        ),
        (
            "en",
            "Through the measured means (budget)",
            "passes through the means these data measure (budget).",
            ("Through the means", "passes through the means."),
        ),
    ],
)
def test_some_means_the_headline_figure_names_the_means_it_passes_through(
    lang, label, through, everything
):
    """Failed before: with only the budget measured, the figure's third row read « Par les
    moyens » and its text « passe par les moyens », as if staff and sponsorship were in it."""
    from analyse.report import i18n, plots

    try:
        i18n.use(lang)
        some, full = _effects(["budget"]), _effects(["budget", "staff", "sponsorship"])
        rows = [plots._estimand_label(some, k) for k in some.index]
        assert rows[2] == label
        assert rows[1] == ("À budget égal" if lang == "fr" else "With budget held equal")
        assert through in _plain(plots.alt_size_coefficients(some))
        assert "budget" in plots._size_title(some, "90 %")
        assert "moyens égaux" not in plots._size_title(some, "90 %")
        assert plots._estimand_label(full, "indirect") == everything[0]
        assert everything[1] in _plain(plots.alt_size_coefficients(full))
    finally:
        i18n.use(i18n.DEFAULT_LANGUAGE)
