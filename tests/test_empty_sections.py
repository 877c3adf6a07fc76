"""A report shows no section with nothing in it: with data that cannot fill a section (other
themes than the barometer's, no spending or sponsorship column), the section is left out,
heading, contents entry, figure and table, and the chapter's intro says only what is true."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analyse.data.codebook import load_codebook
from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline.run_result import load_scored
from analyse.report import groups, i18n, narrative, tables

ROOT = project_root()
CI = ROOT / "params" / "ci.yaml"
PANEL = json.loads((ROOT / "tests" / "fixtures" / "results_panel.json").read_text("utf-8"))


def _other_themes(tmp_path: Path) -> Path:
    """The barometer's codebook with one theme renamed: same survey columns, other themes."""
    raw = yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    raw["themes"][0]["key"] = "autre_theme"
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    return load_scored(load_params(CI))[0]


def test_the_published_comparison_is_a_section_only_with_the_barometer_codebook(scored, tmp_path):
    barometer = load_codebook(ROOT / "data" / "codebook.yaml")
    assert tables.compared(tables.published_comparison(scored, barometer))
    other = load_codebook(_other_themes(tmp_path))
    assert not other.is_barometer_2025
    assert not tables.compared(tables.published_comparison(scored, other))


def test_chapter_two_has_a_section_only_for_what_the_data_measure(scored):
    described = groups.with_groups(scored)
    assert all(groups.describable(described, g) for g in ("size_band", "budget_band"))
    assert groups.describable(described, "sponsorship")
    bare = groups.with_groups(
        scored.drop(columns=["budget_per_capita", "elected_digital_lead", "strategy_adopted"])
    )
    assert groups.describable(bare, "size_band") and groups.describable(bare, "type_label")
    assert not groups.describable(bare, "budget_band")
    assert not groups.describable(bare, "sponsorship")
    # one sponsorship question is enough for the section
    one = groups.with_groups(scored.drop(columns=["strategy_adopted"]))
    assert groups.describable(one, "sponsorship")


@pytest.mark.parametrize(
    ("dropped", "expected"),
    [
        ([], ["size", "type", "budget", "sponsorship"]),
        (["budget"], ["size", "type", "sponsorship"]),
        (["elected_digital_lead"], ["size", "type", "budget", "sponsorship"]),
        (["elected_digital_lead", "strategy_adopted"], ["size", "type", "budget"]),
        (["budget", "staff", "elected_digital_lead", "strategy_adopted"], ["size", "type"]),
    ],
)
def test_chapter_two_announces_what_it_describes(dropped, expected):
    assert narrative.described({**PANEL, "dropped_terms": dropped}) == expected


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_intros_say_only_what_the_chapters_show(lang):
    m = i18n.messages(lang)
    params = load_params(CI)
    say = narrative.Narrator(PANEL, params, m)
    assert say.facts.published  # the CI panel has the barometer's codebook
    barometer = "barometer" if lang == "en" else "baromètre"
    assert barometer in say.text("nb1.intro")
    say.facts = dataclasses.replace(say.facts, published=False)
    assert barometer not in say.text("nb1.intro")
    spending = m("nb2.described.budget")
    assert spending in say.text("nb2.intro")
    none = {
        **PANEL,
        "dropped_terms": ["budget", "staff", "elected_digital_lead", "strategy_adopted"],
    }
    bare = narrative.Narrator(none, params, m)
    intro = bare.text("nb2.intro")
    assert intro.count(spending) == 1  # named once, as what these data do not record
    assert m("nb2.described.size") in intro and m("nb2.described.type") in intro


@pytest.mark.slow
def test_sections_the_data_cannot_fill_are_left_out_of_the_pages(tmp_path):
    """Chapters 1 and 2 executed as the runner does, on the panel with other themes than the
    barometer's and without spending or sponsorship columns: no heading, no figure file, no
    table to download for the sections those data cannot fill (they had one each before)."""
    import nbformat
    import papermill

    panel = pd.read_csv(load_params(CI).survey_path)
    survey = tmp_path / "survey.csv"
    panel.drop(columns=["budget_per_capita", "elected_digital_lead", "strategy_adopted"]).to_csv(
        survey, index=False
    )
    raw = yaml.safe_load(CI.read_text(encoding="utf-8"))
    raw["data"] = {**raw["data"], "survey": str(survey), "codebook": str(_other_themes(tmp_path))}
    raw["analysis"]["bootstrap"] = 50
    out_dir = tmp_path / "run"
    texts = []
    for name in ("01_data_quality", "02_descriptives"):
        out = tmp_path / f"{name}.ipynb"
        papermill.execute_notebook(
            str(ROOT / "notebooks" / f"{name}.ipynb"),
            str(out),
            parameters={**raw, "output_dir": str(out_dir)},
            cwd=str(ROOT / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
        nb = nbformat.read(out, as_version=4)
        texts.append(
            "".join(
                str(o.get("data", {}).get(kind, "")) + str(o.get("text", ""))
                for c in nb.cells
                for o in c.get("outputs", [])
                for kind in ("text/markdown", "text/html")
            )
        )
    m = i18n.messages("fr")
    chapter1, chapter2 = texts
    assert "## Qui est écarté" in chapter1  # the chapter itself ran
    for key in ("nb1.published", "nb1.published_figure"):
        assert m(key).splitlines()[0] not in chapter1
    assert "rien à montrer" not in chapter1
    assert m("nb1.intro.alone") in chapter1 and m("nb1.intro.compared") not in chapter1
    for key in ("nb2.budget", "nb2.sponsorship"):
        assert m(key).splitlines()[0] not in chapter2
    assert "## Selon la taille" in chapter2 and "non décrit" not in chapter2
    written = {p.name for p in out_dir.rglob("*") if p.is_file()}
    assert "maturity_by_size_band.png" in written
    for gone in (
        "published_vs_survey.png",
        "maturity_vs_budget.png",
        "maturity_by_sponsorship.png",
    ):
        assert gone not in written
    assert not [n for n in written if n.startswith(("published_comparison", "maturity_by_budget"))]
