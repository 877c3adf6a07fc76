"""Disclosure control beyond the descriptive tables: no published figure, coefficient or label
describes a group smaller than ``analysis.min_cell`` (issue 11, item 3).

Each test says which check failed before: the budget scatter drew every respondent, the type
control published the coefficient of a 2-respondent type, and the scatter never said what it
left out.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.errors import InputError
from analyse.report import i18n, plots, tables
from analyse.report.disclosure import PROTECTING, suppression_labels
from analyse.report.groups import TYPE_LABELS
from analyse.report.notebook import figure_alt
from analyse.stats.claim import analyse_claim, to_results
from analyse.stats.regression import (
    build_design,
    check_identifiable,
    merge_rare_types,
    type_dummies,
)
from analyse.stats.robustness import specification_curve


@pytest.fixture(scope="module")
def scored(codebook) -> pd.DataFrame:
    """The barometer-like panel (CA 18, métropole 17, CC 12, CU 9) with two respondents
    turned into EPT: one type of 2, under the default min_cell of 5."""
    survey = generate(design="barometre-2025", seed=5, with_truth=False).data
    scored = score_survey(survey, codebook)
    ca = scored.index[(scored["collectivity_type"] == "CA") & scored["maturity_index"].notna()]
    scored = scored.copy()
    scored["collectivity_type"] = scored["collectivity_type"].astype("object")
    scored.loc[ca[:2], "collectivity_type"] = "EPT"
    return scored


@pytest.fixture(autouse=True)
def _close_figures():
    i18n.use("en")  # the assertions below read the English words of the figures
    yield
    plt.close("all")
    i18n.use("fr")


# --------------------------------------------------------------------------- the budget scatter


def _drawn_points(ax) -> set[tuple[float, float]]:
    """Every point the Axes' collections draw, as (spending, index) rounded for matching."""
    points = set()
    for collection in ax.collections:
        for x, y in np.asarray(collection.get_offsets()):
            points.add((round(float(x), 6), round(float(y), 6)))
    return points


def _points_of(scored: pd.DataFrame, mask: pd.Series) -> set[tuple[float, float]]:
    rows = scored[mask & scored["maturity_index"].notna() & scored["budget_per_capita"].notna()]
    return {
        (round(float(x), 6), round(float(y), 6))
        for x, y in zip(rows["budget_per_capita"], rows["maturity_index"], strict=True)
    }


def test_budget_scatter_draws_no_suppressed_group(scored):
    """Failed before: the scatter drew the 2 EPT and the CU hidden to protect them."""
    types = scored["collectivity_type"]
    counts = types[scored["maturity_index"].notna() & scored["budget_per_capita"].notna()]
    labels = suppression_labels(counts.value_counts(), 5)
    assert labels["EPT"] == "fewer than 5" and labels["CU"] == PROTECTING  # the set-up
    ax = plots.maturity_vs_budget(scored, 5)
    drawn = _drawn_points(ax)
    assert not drawn & _points_of(scored, types == "EPT")
    assert not drawn & _points_of(scored, types == "CU")
    assert drawn == _points_of(scored, types.isin(["CA", "CC", "metropole"]))
    # what was left out, and why, is said in the title and so in the text alternative
    alt = figure_alt(ax)
    assert f"{TYPE_LABELS['EPT']} (fewer than 5)" in alt
    assert f"{TYPE_LABELS['CU']} ({PROTECTING})" in alt


def test_budget_scatter_says_the_true_threshold(scored):
    """Failed before: nothing said a group was left out. With min_cell 10 and the CU (9 with an
    index) the hidden group is "fewer than 10", never "< 5"."""
    ax = plots.maturity_vs_budget(scored, 10)
    alt = figure_alt(ax)
    assert f"{TYPE_LABELS['CU']} (fewer than 10)" in alt
    assert "< 5" not in alt and "fewer than 5" not in alt
    assert not _drawn_points(ax) & _points_of(scored, scored["collectivity_type"] == "CU")


def test_budget_scatter_with_every_type_too_small_draws_nothing(scored):
    ax = plots.maturity_vs_budget(scored, 100)
    assert not _drawn_points(ax)
    assert "fewer than 100" in ax.get_title().replace("\n", " ")


def test_budget_scatter_draws_everyone_when_no_group_is_small(codebook):
    survey = generate(design="barometre-2025", seed=5, with_truth=False).data
    scored = score_survey(survey, codebook)
    ax = plots.maturity_vs_budget(scored, 5)
    assert _drawn_points(ax) == _points_of(scored, scored["collectivity_type"].notna())
    assert "not drawn" not in ax.get_title()


# --------------------------------------------------------------------------- labels


def test_a_group_hidden_for_its_size_says_the_run_threshold():
    """A group of 9 with min_cell 10: "fewer than 10" in the table and the box plot."""
    rng = np.random.default_rng(0)
    sizes = {"a": 9, "b": 3, "c": 20}
    rows = [(g, float(v)) for g, n in sizes.items() for v in rng.uniform(0, 100, n)]
    data = pd.DataFrame(rows, columns=["group", "maturity_index"])
    table = tables.describe_by(data, "group", min_cell=10)
    assert table.loc["a", "n"] == "fewer than 10"
    ax = plots._maturity_by(data, "group", 10, None, "t", "x")
    labels = " ".join(t.get_text().replace("\n", " ") for t in ax.get_xticklabels())
    assert "a (fewer than 10, not shown)" in labels
    assert "< 5" not in labels


# --------------------------------------------------------------------------- the type control


def test_merge_rare_types_takes_the_next_smallest_when_alone():
    types = pd.Series(["CA"] * 18 + ["metropole"] * 17 + ["CC"] * 12 + ["CU"] * 7 + ["EPT"] * 2)
    assert merge_rare_types(types, 5) == ["CU", "EPT"]  # EPT alone (2) is too few
    assert merge_rare_types(types, 1) == []
    assert merge_rare_types(types, 8) == ["CU", "EPT"]  # 9 together: enough
    assert merge_rare_types(types, 13) == ["CC", "CU", "EPT"]  # CC joins, 21 together
    # with two rare types enough together, no shown type is merged
    types = pd.Series(["CA"] * 18 + ["CU"] * 3 + ["EPT"] * 2)
    assert merge_rare_types(types, 5) == ["CU", "EPT"]


def test_type_dummies_merge_into_other_and_keep_cc_as_reference():
    types = pd.Series(["CC"] * 6 + ["CA"] * 6 + ["CU"] * 3 + ["EPT"] * 2)
    dummies = type_dummies(types, min_cell=5)
    assert list(dummies.columns) == ["collectivity_type[T.CA]", "collectivity_type[T.other]"]
    assert dummies["collectivity_type[T.other]"].sum() == 5
    assert dummies.attrs["merged"] == ["CU", "EPT"]
    # a rare CC is merged too: the reference is then the first type kept
    types = pd.Series(["CC"] * 2 + ["CA"] * 6 + ["CU"] * 6 + ["EPT"] * 3)
    dummies = type_dummies(types, min_cell=5)
    assert list(dummies.columns) == ["collectivity_type[T.CU]", "collectivity_type[T.other]"]
    assert dummies.attrs["merged"] == ["CC", "EPT"]


def test_no_published_coefficient_describes_a_type_under_min_cell(scored, codebook):
    """Failed before: results.json's ols.terms held collectivity_type[T.EPT], the coefficient
    of 2 respondents."""
    analysis = analyse_claim(
        scored, codebook, controls=["collectivity_type"], bootstrap=0, simulations=50
    )
    document = json.loads(json.dumps(to_results(analysis)))
    terms = document["ols"]["terms"]
    assert "collectivity_type[T.EPT]" not in terms
    assert "collectivity_type[T.CU]" not in terms  # joined EPT: 2 alone are too few
    assert "collectivity_type[T.other]" in terms
    assert document["controls_merged"] == {
        "collectivity_type": {"into": "other", "categories": ["CU", "EPT"], "min_cell": 5}
    }
    # every category of the control, the reference included, has min_cell respondents or more
    x = analysis.fit.design.X
    dummies = [c for c in x.columns if c.startswith("collectivity_type[")]
    assert (x[dummies].sum() >= 5).all()
    assert (x[dummies].sum(axis=1) == 0).sum() >= 5
    # the model table says what was merged
    controls = tables.model_specification(analysis).loc["Controls", "value"]
    assert "CU, EPT merged into one category 'other'" in controls
    assert "fewer than 5 respondents" in controls


def test_nothing_merged_without_the_control_or_with_large_types(codebook):
    survey = generate(design="barometre-2025", seed=5, with_truth=False).data
    scored = score_survey(survey, codebook)
    analysis = analyse_claim(
        scored, codebook, controls=["collectivity_type"], bootstrap=0, simulations=50
    )
    assert to_results(analysis)["controls_merged"] == {}
    assert "collectivity_type[T.CU]" in analysis.fit.coef.index
    assert tables.model_specification(analysis).loc["Controls", "value"] == "collectivity_type"


def test_min_cell_reaches_the_merge(scored, codebook):
    """min_cell 1 keeps the old dummies (every type its own); min_cell 13 merges CC too."""
    design = build_design(scored, controls=["collectivity_type"], min_cell=1)
    assert "collectivity_type[T.EPT]" in design.X.columns
    assert design.controls_merged == {}
    design = build_design(scored, controls=["collectivity_type"], min_cell=13)
    merged = design.controls_merged["collectivity_type"]
    assert "CC" in merged and "EPT" in merged


def test_a_model_smaller_than_min_cell_is_refused_with_the_control(scored):
    with pytest.raises(InputError) as caught:
        check_identifiable(scored, ["collectivity_type"], file="survey.csv", min_cell=100)
    (problem,) = caught.value.problems
    assert problem.column == "collectivity_type"
    assert "fewer than 100 respondents in the model" in problem.message
    assert "remove the control collectivity_type" in problem.message


def test_specification_curve_merges_rare_types_like_the_main_model(scored, codebook):
    """The type-controlled specification of the main model's choices has the main model's
    size effect, merged types included."""
    curve = specification_curve(scored, None)
    merged = curve.attrs["controls_merged"]
    label = "controls=collectivity_type, size=ln_population, sample=all, weights=none"
    assert merged[label] == ["CU", "EPT"]
    assert all(v == ["CU", "EPT"] or "sample=trim_2pct" in k for k, v in merged.items())
    main = analyse_claim(
        scored, codebook, controls=["collectivity_type"], bootstrap=0, simulations=50
    )
    spec = curve[
        (curve["controls"] == "collectivity_type")
        & (curve["size"] == "ln_population")
        & (curve["sample"] == "all")
        & (curve["weights"] == "none")
    ]
    assert float(spec["std_coef"].iloc[0]) == pytest.approx(main.size.std_coef, rel=1e-9)


def test_the_run_applies_its_min_cell_to_the_control(tmp_path):
    """End to end through the pipeline: ``analysis.min_cell`` and ``controls`` of the params
    reach the model and results.json (min_cell 10: the CU's 9 are merged with the 2 EPT)."""
    from analyse.params import load_params
    from analyse.paths import project_root
    from analyse.pipeline.publish import dump_json
    from analyse.pipeline.run_result import compute_run_result, results_document

    base = load_params(project_root() / "params" / "ci.yaml")
    panel = pd.read_csv(base.survey_path)
    ca = panel.index[panel["collectivity_type"] == "CA"]
    panel.loc[ca[:2], "collectivity_type"] = "EPT"
    path = tmp_path / "survey.csv"
    panel.to_csv(path, index=False)
    params = base.model_copy(
        update={
            "data": base.data.model_copy(update={"survey": str(path)}),
            "analysis": base.analysis.model_copy(
                update={"controls": ["collectivity_type"], "min_cell": 10}
            ),
        }
    )
    document = json.loads(dump_json(results_document(compute_run_result(params))))
    assert document["controls_merged"]["collectivity_type"]["categories"] == ["CU", "EPT"]
    assert document["controls_merged"]["collectivity_type"]["min_cell"] == 10
    terms = document["ols"]["terms"]
    assert not {"collectivity_type[T.EPT]", "collectivity_type[T.CU]"} & set(terms)
    assert "collectivity_type[T.other]" in terms
