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
from analyse.report.disclosure import protecting, suppression_labels
from analyse.report.groups import type_label
from analyse.report.notebook import figure_alt
from analyse.stats.claim import analyse_claim, to_results
from analyse.stats.regression import (
    build_design,
    check_identifiable,
    merge_rare_types,
    type_dummies,
)
from analyse.stats.robustness import specification_curve


@pytest.fixture(autouse=True)
def english():
    """Suppression labels follow the report's language (French by default); the figures' own
    words are still English, so these tests read both in English."""
    i18n.use("en")
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


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
    assert labels["EPT"] == "fewer than 5" and labels["CU"] == protecting()  # the set-up
    ax = plots.maturity_vs_budget(scored, 5)
    drawn = _drawn_points(ax)
    assert not drawn & _points_of(scored, types == "EPT")
    assert not drawn & _points_of(scored, types == "CU")
    assert drawn == _points_of(scored, types.isin(["CA", "CC", "metropole"]))
    # what was left out, and why, is said in the title and so in the text alternative
    alt = figure_alt(ax)
    assert f"{type_label('EPT')} (fewer than 5)" in alt
    assert f"{type_label('CU')} ({protecting()})" in alt


def test_budget_scatter_says_the_true_threshold(scored):
    """Failed before: nothing said a group was left out. With min_cell 10 and the CU (9 with an
    index) the hidden group is "fewer than 10", never "< 5"."""
    ax = plots.maturity_vs_budget(scored, 10)
    alt = figure_alt(ax)
    assert f"{type_label('CU')} (fewer than 10)" in alt
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


# ------------------------------------------------------------------ 0/1 terms held by few


def _held_by(scored: pd.DataFrame, holders: int, value: int = 1) -> pd.DataFrame:
    """``scored`` with elected_digital_lead = ``value`` for exactly ``holders`` respondents of
    the model (those with an index) and the other value for everyone else."""
    out = scored.copy()
    model = out.index[out["maturity_index"].notna()]
    column = pd.Series(1 - value, index=out.index, dtype="float64")
    column[model[:holders]] = value
    out["elected_digital_lead"] = column
    return out


REASON = "value {v} held by fewer than {m} respondents in the model, below analysis.min_cell"


@pytest.fixture(scope="module")
def panel_scored(codebook) -> pd.DataFrame:
    """The barometer-like panel as generated (every type at least 9 respondents)."""
    survey = generate(design="barometre-2025", seed=5, with_truth=False).data
    return score_survey(survey, codebook)


@pytest.mark.parametrize("value", [1, 0], ids=["3 hold it", "all but 3 hold it"])
def test_no_published_coefficient_describes_a_binary_group_under_min_cell(
    panel_scored, codebook, value
):
    """Failed before: results.json's ols.terms held elected_digital_lead, a coefficient that
    is in effect the mean residual of 3 respondents."""
    scored = _held_by(panel_scored, 3, value)
    analysis = analyse_claim(scored, codebook, bootstrap=20, simulations=50)
    design = analysis.fit.design
    assert analysis.dropped_terms == ["elected_digital_lead"]
    assert design.dropped_reasons == {"elected_digital_lead": REASON.format(v=value, m=5)}
    assert "elected_digital_lead" not in design.X.columns
    assert design.groups["sponsorship"] == ["strategy_adopted"]
    # no respondent is lost for it, and the rest of the run is computed
    assert analysis.n == int(scored["maturity_index"].notna().sum())
    document = json.loads(json.dumps(to_results(analysis)))
    assert document["dropped_terms"] == ["elected_digital_lead"]
    assert "elected_digital_lead" not in document["ols"]["terms"]
    # the term's name appears nowhere else in results.json: no estimate describes the group
    assert json.dumps(document).count("elected_digital_lead") == 1
    assert {"size", "budget", "staff", "strategy_adopted"} <= set(document["ols"]["terms"])
    assert np.isfinite(document["size"]["std_coef"]) and np.isfinite(document["size"]["tost_p"])
    assert set(document["importance"]) == {"size", "budget", "staff", "sponsorship"}
    assert all(v is not None for v in document["importance"].values())
    assert document["nested"]["bf01"] is not None
    assert np.isfinite(document["sensitivity"]["mde_std"])
    assert any(theme["coef"] is not None for theme in document["themes"].values())
    # the report's model table says why
    dropped = tables.model_specification(analysis).loc["Terms dropped", "value"]
    assert dropped == f"elected_digital_lead ({REASON.format(v=value, m=5)})"
    # the specification curve adjusts for the same terms: its main-choice specification is the
    # main model's size effect
    curve = specification_curve(scored, None)
    spec = curve[
        (curve["controls"] == "none")
        & (curve["size"] == "ln_population")
        & (curve["sample"] == "all")
        & (curve["weights"] == "none")
    ]
    assert float(spec["std_coef"].iloc[0]) == pytest.approx(analysis.size.std_coef, rel=1e-9)


def test_exactly_min_cell_holders_keep_the_binary_term(panel_scored):
    """The boundary: min_cell holders are enough (a table shows a group of min_cell)."""
    scored = _held_by(panel_scored, 5)
    design = check_identifiable(scored)
    assert "elected_digital_lead" in design.X.columns
    assert design.dropped_terms == []
    # a larger min_cell drops it, saying its own threshold (failed before: kept)
    design = check_identifiable(scored, min_cell=6)
    assert design.dropped_reasons == {"elected_digital_lead": REASON.format(v=1, m=6)}


def test_binary_counts_are_those_of_the_model_rows(panel_scored):
    """Counted after listwise deletion: 6 hold the value but 2 of them have no budget figure, so
    4 are in the model and the term is dropped (failed before: kept). Respondents left out only
    by the dropped term's own missing values come back into the model."""
    scored = _held_by(panel_scored, 6)
    model = scored.index[scored["maturity_index"].notna()]
    scored.loc[model[:2], "budget_per_capita"] = np.nan
    scored.loc[model[10:13], "elected_digital_lead"] = np.nan
    design = build_design(scored)
    assert design.dropped_terms == ["elected_digital_lead"]
    assert list(design.y.index) == list(model[2:])  # the 3 without the term are back
    # 6 holders all in the model are enough
    scored.loc[model[:2], "budget_per_capita"] = panel_scored.loc[model[:2], "budget_per_capita"]
    assert "elected_digital_lead" in build_design(scored).X.columns


def test_a_term_rare_only_beside_a_dropped_one_is_kept(panel_scored):
    """Reviewer's case (failed before: both dropped, strategy_adopted with a false reason):
    elected_digital_lead is held by 3 and missing for a third of the model; among the rows with
    a lead value, 4 adopted a strategy, among all the model's rows 10. Dropping the lead gives
    its rows back, and strategy_adopted then has 10 holders: it stays in the model."""
    scored = panel_scored.copy()
    model = scored.index[scored["maturity_index"].notna()]
    with_lead, without_lead = model[: len(model) * 2 // 3], model[len(model) * 2 // 3 :]
    scored["elected_digital_lead"] = np.nan
    scored.loc[with_lead, "elected_digital_lead"] = 0.0
    scored.loc[with_lead[:3], "elected_digital_lead"] = 1.0
    scored["strategy_adopted"] = 0.0
    scored.loc[with_lead[3:7], "strategy_adopted"] = 1.0
    scored.loc[without_lead[:6], "strategy_adopted"] = 1.0
    design = build_design(scored)
    assert design.dropped_terms == ["elected_digital_lead"]
    assert "strategy_adopted" in design.X.columns
    assert int(design.X["strategy_adopted"].sum()) == 10
    assert len(design.y) == len(model)


def test_a_lone_binary_value_is_dropped_and_still_refused_with_min_cell_one(panel_scored):
    """Failed before: one respondent with elected_digital_lead = 1 stopped the run (exit 2)
    even though the term can simply be left out. With min_cell 1 the term is kept, and its lone
    holder (leverage 1, no HC3 standard error) is still refused."""
    scored = _held_by(panel_scored, 1)
    design = check_identifiable(scored, file="survey.csv")
    assert design.dropped_terms == ["elected_digital_lead"]
    with pytest.raises(InputError) as caught:
        check_identifiable(scored, file="survey.csv", min_cell=1)
    (problem,) = caught.value.problems
    assert problem.column == "elected_digital_lead"
    assert "is the only one in the model with elected_digital_lead = 1" in problem.message


def test_a_constant_binary_column_is_still_refused(panel_scored):
    """Nobody holding the value is a constant column (likely a data error), not a small group."""
    with pytest.raises(InputError) as caught:
        check_identifiable(_held_by(panel_scored, 0), file="survey.csv")
    assert caught.value.problems[0].column == "elected_digital_lead"


def test_the_run_drops_binary_terms_with_its_min_cell_everywhere(tmp_path):
    """The run's min_cell reaches every design built from the survey: the check of the
    parameters lists the dropped term with its reason, and the raked weights are made on the
    model's rows (the rows the dropped term alone left out included), so the weighted fit
    finds a weight for every respondent in the model."""
    from analyse.data.reference import load_frame
    from analyse.params import load_params
    from analyse.paths import project_root
    from analyse.pipeline.preflight import check_params
    from analyse.pipeline.run_result import load_scored, model_rows, run_weights

    base = load_params(project_root() / "params" / "ci.yaml")
    panel = pd.read_csv(base.survey_path)
    panel["elected_digital_lead"] = pd.array([1] * 7 + [0] * (len(panel) - 7), dtype="Int64")
    panel.loc[[20, 21, 22], "elected_digital_lead"] = pd.NA
    path = tmp_path / "survey.csv"
    panel.to_csv(path, index=False)
    params = base.model_copy(
        update={
            "data": base.data.model_copy(update={"survey": str(path)}),
            "analysis": base.analysis.model_copy(update={"min_cell": 10, "weights": "raked"}),
        }
    )
    check = check_params(params)
    assert check.error is None
    assert check.dropped_terms == [f"elected_digital_lead ({REASON.format(v=1, m=10)})"]
    scored, _ = load_scored(params)
    design = check_identifiable(scored, min_cell=10)
    assert list(model_rows(params, scored)) == list(design.y.index)
    assert check.model_rows == len(design.y)
    weights = run_weights(params, scored, load_frame("epci"))
    assert weights is not None
    assert list(weights.index) == list(design.y.index)
