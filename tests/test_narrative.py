"""Every sentence of the reports is computed from the run (issue 10, item 3).

Two very different runs (the 2025-like panel in French, the census of EPCI in English) are
published; every number of their narrative (the Markdown the notebooks display) must be one of
the run's facts, and the facts must be the numbers of the run's ``results.json``. A number
written into a catalogue text is allowed only if it is a constant of the method listed below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analyse.params import load_params
from analyse.pipeline.site_layout import notebook_title
from analyse.report import i18n
from analyse.report.findings import key_findings, points_per_tenfold
from analyse.report.narrative import (
    NARRATIVE_METADATA,
    VARIANTS,
    Narrator,
    facts,
    share_margin,
)

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?:[\u202f\u00a0 ,.]\d{3})*(?:[,.]\d+)?")

# Numbers the catalogue texts may write as such: constants of the method or of the published
# barometer, true whatever the data (each with where it comes from).
METHOD_CONSTANTS = {
    "0",  # 0 = "not engaged", the lowest level; "0 %"
    "1",  # odds ratio of no effect, notebook 1, BF01 threshold 1/3
    "2",  # the 2 % trimmed at each end of the population (specification curve)
    "3",  # the top level; BF01 thresholds 3 and 1/3; alpha / 3
    "5",  # 2,5e / 97,5e percentiles (tokens "2,5" "97,5" below)
    "2,5",
    "2.5",
    "97,5",
    "97.5",  # percentile bounds of a 95 % bootstrap interval
    "0,7",
    "0.7",
    "0,8",
    "0.8",  # usual thresholds of Cronbach's alpha
    "1,5",
    "1.5",
    "50",  # odds ratio example: 1.5 = odds 50 % higher
    "0,5",
    "0.5",  # a probability of one half: the bootstrap cannot rank two groups
    "2,7",
    "2.7",  # e: one unit of log population
    "2,3",
    "2.3",  # ln 10: from one unit of log population to a tenfold population
    "10",  # "ten times as populous" is written in words; 10 % population mismatch threshold
    "53",
    "56",
    "59",  # the barometer's published common range and its midpoint
    "95",
    "80",  # 95 % confidence intervals; the 80 % power the MDE is defined at
    "100",  # the index's scale (0 to 100)
    "2023",
    "2025",  # barometer editions
    "4",  # notebook and figure numbers (1 to 5)
    "3 500",
    "3\u202f500",
    "3,500",
    "10 000",
    "10\u202f000",
    "10,000",
    "20 000",
    "20,000",
    "50 000",
    "50,000",
    "100 000",
    "100,000",
    "250 000",
    "250,000",  # population bands
}


def _numbers(text: str) -> list[str]:
    return [n.replace("\u202f", " ").replace("\u00a0", " ") for n in NUMBER.findall(text)]


def _constants() -> set[str]:
    return {c.replace("\u202f", " ").replace("\u00a0", " ") for c in METHOD_CONSTANTS}


def test_catalogue_texts_write_no_number_but_method_constants():
    """A fixed sample size or result in a catalogue text ("56 respondents") fails here."""
    allowed = _constants()
    for lang in i18n.LANGUAGES:
        m = i18n.messages(lang)
        for key, text in m.texts.items():
            if key.split(".")[0] not in {"narrative", "findings", "prose"} and not key.startswith(
                "nb"
            ):
                continue
            literal = re.sub(r"\{[^}]*\}", " ", text)
            for number in _numbers(literal):
                assert number in allowed, (lang, key, number)


def test_every_variant_exists_for_every_outcome():
    m = i18n.messages("fr")
    outcomes = {
        "narrative.caveat": ["synthetic", "real", "census"],
        "narrative.reminder": ["synthetic", "real", "census"],
        "nb3.reading": [
            "negligible",
            "significant_but_negligible",
            "decisive",
            "significant_undetermined",
            "inconclusive",
        ],
        # one theme: its one interval
        "nb4.information": ["little", "enough", "little_one", "enough_one"],
        "nb1.intro": ["compared", "alone"],  # the published comparison is left out
        # no section on spending or sponsorship; some means only, named
        "nb2.intro": ["means", "some", "none"],
        "nb4.intro": ["barometer", "other", "one"],  # one theme: the index is its score
        "nb4.table": ["many", "one"],  # one theme: one test, nothing corrected
        # one theme: no « thème par thème », no « pour chaque thème »
        "nb4.title": ["many", "one"],
        "nb4.figure": ["many", "one"],
        "nb1.published_noise": ["within", "beyond"],  # chosen by Narrator.published_noise
        "nb5.intro": ["little", "enough"],
        "nb5.mde_reading": ["little", "enough"],
        "nb5.influence": ["unweighted", "weighted", "none"],
        "nb5.decisive_power": ["known", "none"],
        "nb2.size": ["intercommunal", "commune", "mixed"],
        "nb2.type": ["intercommunal", "single", "mixed"],
        # the model holds some mean equal, or the data measure none
        **{
            f"nb3.{key}": ["means", "none"]
            for key in ("intro", "model", "estimands", "estimands_figure", "importance", "verdict")
        },
        # only some means: what is held equal is named (« à budget égal »), not « à moyens égaux »
        **{
            f"nb3.{key}": ["means", "some", "none"]
            for key in ("intro", "model", "estimands", "estimands_figure", "importance")
        },
    }
    assert set(outcomes) - {"nb1.published_noise"} == set(VARIANTS)
    for key, variants in outcomes.items():
        for variant in variants:
            assert m.has(f"{key}.{variant}"), (key, variant)


def test_share_margin_is_the_95_percent_margin_at_one_half():
    assert share_margin(100) == pytest.approx(9.79982, abs=1e-4)
    assert share_margin(1225) == pytest.approx(2.8, abs=1e-3)
    # at the verdicts' level, 90 % for alpha 0.05: z = 1.6449 (the pages' one level)
    assert share_margin(100, alpha=0.05) == pytest.approx(100 * 1.644854 * 0.05, abs=1e-4)


# ----------------------------------------------------------------------------- two real runs


@pytest.fixture(scope="module")
def two_runs(published_site) -> dict[str, Path]:
    """The panel in French and the census in English, published in one folder (conftest)."""
    return {"panel-fr": published_site.run("ci"), "census-en": published_site.run("census-en")}


PARAMS = {"panel-fr": "ci", "census-en": "census-en"}


def _narrative(run: Path) -> str:
    """Every narrative output of the run's executed notebooks (what readers read as text:
    the outputs marked with ``NARRATIVE_METADATA``; tables have their own Markdown form)."""
    parts = []
    for ipynb in sorted(run.glob("*.ipynb")):
        nb = json.loads(ipynb.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/markdown")
                # IPython files a Markdown object's metadata under its MIME type
                metadata = (output.get("metadata") or {}).get("text/markdown")
                if text and metadata == NARRATIVE_METADATA:
                    parts.append("".join(text))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["panel-fr", "census-en"])
def test_every_number_of_the_narrative_comes_from_the_run(two_runs, published_site, name):
    run = two_runs[name]
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    params = load_params(published_site.params[PARAMS[name]])
    m = i18n.messages(params.lang)
    narrator = Narrator(results, params, m)
    computed = " | ".join(
        [
            *narrator.facts.text.values(),
            *key_findings(results, m),
            results["verdict_sentence"],
        ]
    )
    # the largest gap to the published shares, judged against the margin of error of a share
    french = params.lang == "fr"
    published = pd.read_csv(
        run / "tables" / "published_comparison.csv",
        encoding="utf-8-sig",
        sep=";" if french else ",",
        decimal="," if french else ".",
    )
    gap = published[m("tables.published_comparison.difference")].abs().max()
    computed += " | " + m.number(gap, 0)
    allowed = set(_numbers(computed)) | _constants()
    narrative = _narrative(run)
    assert narrative, "no narrative found"
    # the curve's summary is computed by analyse.report.prose from the curve itself: its
    # numbers are checked against results.json below
    unexplained = [n for n in _numbers(narrative) if n not in allowed]
    inference = results["robustness"]["inference"]
    curve_numbers = set(
        _numbers(
            " | ".join(
                [
                    m.number(inference["median_std_coef"]),
                    m.percent(inference["share_significant"]),
                    *(m.number(inference[k], 3) for k in ("median_p", "share_significant_p")),
                    m.number(inference["mean_z_p"], 3),
                    m.integer(inference["draws"]),
                    m.number(results["alpha"], 2),
                    *(m.integer(v) for v in results["robustness"]["verdicts"].values()),
                    m.integer(results["robustness"]["specifications"]),
                ]
            )
        )
    )
    assert [n for n in unexplained if n not in curve_numbers] == []
    # the language of the run
    assert ("Verdict\u00a0:" in narrative) == (params.lang == "fr")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["panel-fr", "census-en"])
def test_the_facts_are_the_numbers_of_results_json(two_runs, published_site, name):
    run = two_runs[name]
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    params = load_params(published_site.params[PARAMS[name]])
    m = i18n.messages(params.lang)
    text = facts(results, params, m).text
    assert text["n"] == m.integer(results["n"])
    assert text["n_excluded"] == m.integer(results["n_excluded"])
    assert text["mde"] == m.number(results["sensitivity"]["mde_std"], 2)
    assert text["mde_positive"] == m.number(results["sensitivity"]["mde_std_positive"], 2)
    assert text["sesoi"] == m.number(results["sesoi"], 2)
    assert text["sesoi_points"] == m.number(points_per_tenfold(results, results["sesoi"]), 1)
    assert text["specifications"] == m.integer(results["robustness"]["specifications"])
    assert text["themes"] == m.integer(len(results["themes"]))
    assert text["verdict_label"] == m(f"verdicts.{results['verdict']}.label")
    narrative = _narrative(run)
    assert text["n"] in narrative
    assert m(f"verdicts.{results['verdict']}.label") in narrative


@pytest.mark.slow
def test_the_two_runs_say_different_things(two_runs):
    """The census and the panel differ in n, verdict and power: so must their words."""
    panel, census = (_narrative(two_runs[k]) for k in ("panel-fr", "census-en"))
    assert "55" in panel and "1,225" in census
    assert "non concluant" in panel
    assert "negligible effect" in census
    assert "these data detect the effects that matter" in census
    assert "ne peuvent pas déceler tous les effets" in panel
    # the gaps to the published 2025 shares: sampling noise for the panel; for the census of
    # every EPCI (data.kind: census) no sampling chance at all (failed before: both called them
    # sampling noise)
    assert "peut relever du seul hasard" in panel
    assert "there is no sampling chance" in census


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_notebook_heading_is_its_page_title(lang):
    """The h1 a notebook displays and the page's <title> and index link say the same words
    (chapter 4's for one theme and for several: ``site_layout.notebook_title``)."""
    m = i18n.messages(lang)
    for number, stem in enumerate(sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")), 1):
        if m.has(f"nb{number}.title.one"):
            for themes, variant in ((1, "one"), (2, "many")):
                title = notebook_title(stem, m, themes)
                assert m(f"nb{number}.title.{variant}") == f"# {number}. {title}"
            continue
        assert m(f"nb{number}.title") == f"# {number}. {m(f'pages.notebooks.{stem}')}"


def test_key_findings_say_what_the_total_effect_holds_equal():
    """With analysis.confounders, the total effect is not "size alone": the findings say
    which factor it holds equal; without, they say nothing of it."""
    results = json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))
    m = i18n.messages("fr")
    plain = " ".join(key_findings(results, m))
    assert "antérieur à la taille" not in plain
    results["estimands"]["total"]["terms"] = ["size", "controls"]
    total = next(p for p in key_findings(results, m) if "+29,0" in p)
    assert "ne tenant égal que le type de collectivité" in total
    assert "antérieur à la taille" in total


# ------------------------------------------- what the sample can detect, in the reader's unit


def _panel() -> dict:
    return json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))


def _say(results: dict, lang: str = "en") -> Narrator:
    return Narrator(results, load_params(ROOT / "params" / "default.yaml"), i18n.messages(lang))


def test_whether_the_sample_detects_enough_is_judged_in_points():
    """Raked panel with ``sesoi_points`` 25 (methods review): the two MDEs are about ±20.4
    points, within the 25 points that matter, yet the standardized MDE of the unweighted
    simulated world (0.52) exceeds the SESOI converted with the weighted SDs (0.27). The pages
    said "little" (failed before: the two standardized numbers were compared)."""
    results = _panel()
    results["sesoi"], results["sesoi_points"] = 0.27, 25.0
    sensitivity = results["sensitivity"]
    sensitivity["mde_points_positive"], sensitivity["mde_points_negative"] = 20.4, -20.38
    assert sensitivity["mde_std"] > results["sesoi"]
    say = _say(results)
    assert say.facts.sample_can_detect
    intro, reading = say.text("nb5.intro"), say.text("nb5.mde_reading")
    assert intro == say.text("nb5.intro.enough") and "+20.4 points" in intro
    assert "−20.4 points" in intro and "±25.0 points" in intro
    assert "these data detect the effects that matter" in reading
    # one MDE beyond the SESOI in points: "little", whatever the standardized numbers say
    sensitivity["mde_points_negative"], sensitivity["mde_std"] = -25.3, 0.1
    say = _say(results)
    assert not say.facts.sample_can_detect
    assert "−25.3 points" in say.text("nb5.intro") and "±25.0" in say.text("nb5.mde_reading")
    assert say.text("nb5.mde_reading") == say.text("nb5.mde_reading.little")
    # an MDE no simulated world reaches (null): the sample cannot detect every effect
    sensitivity["mde_points_negative"] = None
    assert not _say(results).facts.sample_can_detect


def test_an_older_results_file_is_judged_on_the_standardized_scale():
    """Without ``mde_points_*`` (a results.json of an older version), today's comparison of
    the standardized MDE with the standardized SESOI; the points shown are both converted with
    the same factor, so words and numbers agree."""
    results = _panel()
    for key in ("mde_points_positive", "mde_points_negative"):
        del results["sensitivity"][key]
    for mde, detects in ((0.19, True), (0.21, False)):
        results["sensitivity"]["mde_std"] = mde
        say = _say(results)
        assert say.facts.sample_can_detect is detects
        shown = float(say.facts.text["mde_points"])
        assert (shown <= float(say.facts.text["sesoi_points"])) is detects


def test_the_decisive_power_sentence_names_the_world_simulated():
    """The points are the simulated world's own slope (``power_decisive_at_points``), not the
    standardized effect converted with the main fit's SDs (raked, default SESOI: the page said
    +21.2 points for a world of +27.9); an older results.json falls back to that conversion."""
    results = _panel()
    results["sensitivity"]["power_decisive_at_points"] = -27.9
    text = _say(results).text("nb5.decisive_power")
    # one unit on reader pages: points, not the world's standardized effect
    assert "−27.9 points" in text and "standard deviation" not in text
    del results["sensitivity"]["power_decisive_at_points"]
    converted = points_per_tenfold(results, results["sensitivity"]["power_decisive_at_std"])
    m = i18n.messages("en")
    assert m.number(converted, 1, sign=True) in _say(results).text("nb5.decisive_power")
    # no world at twice a standardized SESOI: the sentence says so, in the reader's words
    results["sensitivity"]["power_decisive"] = None
    results["sensitivity"]["power_decisive_at_std"] = 1.26
    for lang in ("en", "fr"):
        text = _say(results, lang).text("nb5.decisive_power")
        assert text == _say(results, lang).text("nb5.decisive_power.none")
        assert "1.26" not in text and "1,26" not in text


def test_notebook_3_says_when_weighting_changes_the_answer():
    """Weighted runs compare their verdict with the unweighted one; a changed verdict that the
    DuMouchel-Duncan test does not explain is put down to the precision the weights cost."""
    results = _panel()
    assert _say(results, "fr").weighting() is None  # unweighted: nothing to say
    results["weights"] = {
        "method": "raking",
        "kish_n": 18.3,
        "informative_p": 0.62,
        "unweighted_verdict": "negligible",
    }
    text = _say(results, "fr").weighting().data.replace("\xa0", " ")
    assert "« effet négligeable »" in text and "la pondération change la réponse" in text
    assert "précision perdue" in text and "18 répondants sur 55" in text
    results["weights"]["informative_p"] = 0.01
    text = _say(results, "fr").weighting().data.replace("\xa0", " ")
    assert "montre qu'ils changent ce qu'il estime" in text and "précision" not in text
    results["weights"]["unweighted_verdict"] = results["verdict"]
    text = _say(results, "en").weighting().data
    assert "the same verdict" in text
