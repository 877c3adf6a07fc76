"""« Lecture / Champ / Source » (analyse.report.lecture) read the run's own numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analyse.report.i18n import messages
from analyse.report.lecture import notes, notes_html

RESULTS = json.loads(
    (Path(__file__).parent / "fixtures" / "results_panel.json").read_text(encoding="utf-8")
)


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_the_headline_figure_is_read_with_the_run_s_two_effects():
    m = messages("fr")
    lecture, champ, source = (_plain(line) for line in notes("size_coefficients", RESULTS, m))
    total = m.number(RESULTS["estimands"]["total"]["coef_points"], 1, sign=True)
    direct = m.number(RESULTS["estimands"]["direct"]["coef_points"], 1, sign=True)
    assert lecture.startswith("Lecture : ") and _plain(total) in lecture
    assert f"{_plain(direct)} point " in lecture  # « −1,2 point »: singular below 2
    assert champ == f"Champ : {RESULTS['n']} intercommunalités répondantes." or champ.startswith(
        f"Champ : {RESULTS['n']} intercommunalités répondantes ("
    )
    assert source.startswith("Source : enquête synthétique")


def test_a_figure_is_read_by_the_statistic_it_draws_and_input_tables_count_every_row():
    m = messages("fr")
    medians = pd.Series({"Métropole": 77.2, "Communauté de communes (CC)": 23.4})
    (lecture, *_) = notes("maturity_by_type", RESULTS, m, medians=medians)
    assert "médian" in lecture and "77" in lecture and "23" in lecture
    (champ, _) = notes("input", RESULTS, m)
    total = RESULTS["n"] + RESULTS["n_excluded"]
    assert _plain(champ) == f"Champ : {total} réponses reçues, dont {RESULTS['n']} analysées."
    assert len(notes("table", RESULTS, m)) == 2  # no reading sentence under a table
    odd = {**RESULTS, "run": {**RESULTS["run"], "kind": "survey", "survey": "a<b>.csv"}}
    page = notes_html("table", odd, m)
    assert page.startswith('<div class="notes">') and "a&lt;b&gt;.csv" in page


def test_a_theme_whose_odds_ratio_is_0_has_no_reading_and_no_crash():
    """A tiny survey whose theme model separates gives an odds ratio of 0 (or infinity): the
    figure's reading names the theme that moves most among the others (it crashed with
    ``math domain error`` and stopped the run)."""
    from analyse.report.lecture import _forest

    themes = pd.DataFrame(
        {"odds_ratio": [0.0, 1.8, float("inf"), 0.7], "label": ["a", "b", "c", "d"]},
        index=["t0", "t1", "t2", "t3"],
    )
    text = _forest({}, messages("en"), themes=themes)
    assert "b" in text and "1.80" in text
    assert _forest({}, messages("en"), themes=themes.iloc[[0, 2]]) is None
