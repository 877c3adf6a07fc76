"""Real surveys lack columns, repeat values and separate themes: the run says so and goes on.

Issue 12, items 4-6 and 9: every explanatory column but population is optional; a model the
survey cannot identify stops before any fit with a message naming the column (exit 2); a
secondary analysis that cannot be computed is reported "not estimable" and the verdict still
publishes; descriptives follow the data (bands by kind of body, groups the survey lacks, the
published comparison only with the barometer's codebook, protected groups labelled).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import Codebook, load_codebook
from analyse.errors import InputError
from analyse.params import RunParams, load_params
from analyse.paths import project_root
from analyse.pipeline.publish import dump_json
from analyse.pipeline.run_result import compute_run_result, load_scored, results_document
from analyse.report import groups, i18n, plots, tables
from analyse.stats.equivalence import VERDICTS
from analyse.stats.regression import build_design, check_identifiable

CI = project_root() / "params" / "ci.yaml"


@pytest.fixture(scope="module")
def base() -> RunParams:
    return load_params(CI)


@pytest.fixture(scope="module")
def panel(base) -> pd.DataFrame:
    """The shipped synthetic panel as a survey file holds it (56 respondents)."""
    return pd.read_csv(base.survey_path)


@pytest.fixture(autouse=True)
def english():
    """Group labels follow the report's language (French by default); the figures' own words
    are still English, so these tests read both in English."""
    i18n.use("en")
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


@pytest.fixture(autouse=True)
def _close_figures():
    i18n.use("en")  # the assertions below read the English words of tables and figures
    yield
    plt.close("all")
    i18n.use("fr")


def variant(base: RunParams, panel: pd.DataFrame, tmp_path, change: Callable) -> RunParams:
    """The run parameters of the panel changed by ``change`` (a function of a copy)."""
    data = change(panel.copy())
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    return base.model_copy(update={"data": base.data.model_copy(update={"survey": str(path)})})


def _separate_theme(data: pd.DataFrame, codebook: Codebook, theme: str) -> pd.DataFrame:
    """Every respondent at least as populous as the median at the top level of ``theme``,
    every other at the bottom: size predicts the theme's level perfectly."""
    big = data["population"] >= data["population"].median()
    for column in codebook.theme(theme).columns:
        data[column] = np.where(big, codebook.max_level, codebook.min_level)
    return data


# ---------------------------------------------------------------- 4. optional model terms


def test_a_survey_without_budget_runs_and_reports_the_dropped_term(base, panel, tmp_path):
    """Failed before: budget_per_capita was a required column, and the specification curve
    indexed the budget term unconditionally (KeyError: 'budget')."""
    params = variant(base, panel, tmp_path, lambda d: d.drop(columns="budget_per_capita"))
    result = compute_run_result(params)
    document = json.loads(dump_json(results_document(result)))  # strict JSON, as published
    assert document["dropped_terms"] == ["budget"]
    assert document["verdict"] in VERDICTS
    assert "budget" not in document["ols"]["terms"]
    assert set(document["importance"]) == {"size", "staff", "sponsorship"}
    assert document["robustness"]["specifications"] > 0
    spec = tables.model_specification(result.claim)["value"]
    assert spec["Terms dropped"] == "budget (no budget_per_capita column)"
    # notebook 2's budget section: the figure and the table say why there is nothing to show
    described = groups.with_groups(result.scored)
    assert "budget_band" not in described
    table = tables.describe_by(described, "budget_band", min_cell=5)
    assert list(table.index) == ["not described: no budget_per_capita column in these data"]
    for ax in (plots.maturity_vs_budget(described), plots.maturity_by_budget_band(described)):
        title = " ".join(ax.get_title().split())
        assert "not drawn: no budget_per_capita column in these data" in title


def test_an_empty_optional_column_is_dropped_like_an_absent_one(base, panel, tmp_path):
    params = variant(base, panel, tmp_path, lambda d: d.assign(digital_staff_fte=np.nan))
    scored, _ = load_scored(params)
    design = build_design(scored)
    assert design.dropped_terms == ["staff"]
    assert design.dropped_reasons == {"staff": "column digital_staff_fte is empty"}
    assert len(design.y) == scored["maturity_index"].notna().sum()  # it costs no respondent


def test_only_one_sponsorship_column_runs_notebook_two_s_code(base, panel, tmp_path):
    """Failed before: with_groups formed no sponsorship group without both columns, and
    notebook 2's describe_by / maturity_by_sponsorship raised KeyError: 'sponsorship'."""
    params = variant(base, panel, tmp_path, lambda d: d.drop(columns="strategy_adopted"))
    scored, codebook = load_scored(params)
    design = build_design(scored)
    assert design.dropped_terms == ["strategy_adopted"]
    assert design.groups["sponsorship"] == ["elected_digital_lead"]
    described = groups.with_groups(scored)
    assert list(described["sponsorship"].cat.categories) == ["No elected lead", "Elected lead"]
    table = tables.describe_by(described, "sponsorship", min_cell=5)
    assert set(table.index) == {"No elected lead", "Elected lead"}
    assert sum(table["n"]) == int(scored["maturity_index"].notna().sum())
    ax = plots.maturity_by_sponsorship(described, 5)
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == [
        "No elected lead",
        "Elected lead",
    ]
    for draw in (plots.maturity_by_size_band, plots.maturity_by_type):
        draw(described, 5)
    plots.maturity_vs_budget(described)


# ---------------------------------------------------------------- 5. identifiability


def test_a_constant_column_is_an_input_error_naming_it(base, panel, tmp_path):
    """Failed before: the design was singular and the run died inside the sensitivity
    simulations (numpy.linalg.LinAlgError: Singular matrix), or reported nonsense."""
    params = variant(base, panel, tmp_path, lambda d: d.assign(budget_per_capita=1200))
    with pytest.raises(InputError) as caught:
        load_scored(params)
    (problem,) = caught.value.problems
    assert problem.column == "budget_per_capita"
    assert problem.file == str(params.survey_path)
    assert problem.message.startswith(
        "column budget_per_capita has the same value (1200) for every respondent in the model"
    )
    assert "remove the column or fix the data" in problem.message
    with pytest.raises(InputError):  # the run stops there too, before anything is fitted
        compute_run_result(params)


def test_perfectly_collinear_columns_are_named(base, panel, tmp_path):
    params = variant(
        base, panel, tmp_path, lambda d: d.assign(strategy_adopted=1 - d["elected_digital_lead"])
    )
    with pytest.raises(InputError) as caught:
        load_scored(params)
    (problem,) = caught.value.problems
    assert "columns elected_digital_lead and strategy_adopted are perfectly collinear" in str(
        problem
    )
    assert "and a constant" in problem.message  # lead + strategy = 1


def test_fewer_respondents_than_coefficients_is_an_input_error(base, panel, tmp_path):
    # min_cell 1 keeps the two 0/1 terms (under 5, fewer than 10 respondents cannot have 5 on
    # each side of one: they are dropped, and 4 coefficients are left)
    params = variant(base, panel, tmp_path, lambda d: d.head(6))
    analysis = base.analysis.model_copy(update={"min_cell": 1})
    params = params.model_copy(update={"analysis": analysis})
    with pytest.raises(InputError, match=r"\d respondents in the model .* cannot estimate 6 "):
        load_scored(params)
    params = variant(base, panel, tmp_path, lambda d: d.head(4))
    with pytest.raises(InputError, match=r"\d respondents in the model .* cannot estimate 4 "):
        load_scored(params)


def _one_metropole(d: pd.DataFrame) -> pd.DataFrame:
    metropoles = d.index[d["collectivity_type"] == "metropole"]
    return d.drop(index=metropoles[1:])


def test_a_type_alone_under_the_type_control_is_named(base, panel, tmp_path):
    """One métropole with ``controls: [collectivity_type]`` and min_cell 1 (every type its own
    dummy): its dummy fits it exactly, and its HC3 term is 0/0."""
    params = variant(base, panel, tmp_path, _one_metropole)
    scored, _ = load_scored(params)  # fine without the control
    with pytest.raises(InputError) as caught:
        check_identifiable(scored, ["collectivity_type"], file="survey.csv", min_cell=1)
    (problem,) = caught.value.problems
    assert problem.column == "collectivity_type"
    assert "is the only metropole in the model" in problem.message


def test_a_type_alone_is_merged_under_the_default_min_cell(base, panel, tmp_path):
    """With min_cell 5 the lone métropole has no dummy of its own (it would publish one
    respondent's coefficient): merged with the next smallest type into "other", the model
    fits."""
    params = variant(base, panel, tmp_path, _one_metropole)
    scored, _ = load_scored(params)
    design = check_identifiable(scored, ["collectivity_type"], file="survey.csv")
    assert "metropole" in design.controls_merged["collectivity_type"]
    assert "collectivity_type[T.metropole]" not in design.X.columns
    assert design.X["collectivity_type[T.other]"].sum() >= 5


# ---------------------------------------------------------------- 6. never sink the verdict


def test_a_theme_with_perfect_separation_is_not_estimable_and_the_run_publishes(
    base, panel, tmp_path, codebook
):
    """Failed before: Newton stopped unconverged and the theme reported an odds ratio of
    e^875 with p = 1, counted in the Holm family as a tested theme."""
    params = variant(base, panel, tmp_path, lambda d: _separate_theme(d, codebook, "data_ai"))
    result = compute_run_result(params)
    document = json.loads(dump_json(results_document(result)))
    assert document["verdict"] in VERDICTS
    theme = document["themes"]["data_ai"]
    assert theme["not_estimable"].startswith("separation:")
    assert theme["coef"] is None and theme["p"] is None and theme["p_holm"] is None
    assert theme["brant_testable"] is False and theme["brant_p"] is None
    others = {k: v for k, v in document["themes"].items() if k != "data_ai"}
    assert all(v["not_estimable"] is None and v["coef"] is not None for v in others.values())
    # Holm over the six estimable themes only
    p = np.array([v["p"] for v in others.values()])
    adjusted = np.minimum(np.sort(p) * np.arange(6, 0, -1), 1.0)
    assert min(v["p_holm"] for v in others.values()) == pytest.approx(adjusted[0])
    table = tables.theme_table(result.claim, result.codebook)
    assert table.loc["data_ai", "model"].startswith("not estimable: separation")
    assert (table.drop(index="data_ai")["model"] == "").all()
    ax = plots.theme_forest(table)
    assert "not estimable" in [t.get_text() for t in ax.texts]


def test_a_theme_at_one_level_is_not_estimable(base, panel, tmp_path, codebook):
    """Failed before: fit_theme raised ValueError and took the whole run with it."""

    def one_level(d: pd.DataFrame) -> pd.DataFrame:
        for column in codebook.theme("cybersecurity").columns:
            d[column] = 2
        return d

    result = compute_run_result(variant(base, panel, tmp_path, one_level))
    theme = results_document(result)["themes"]["cybersecurity"]
    assert theme["not_estimable"] == "every respondent is at the same level (2): nothing to model"


def test_importance_that_cannot_be_computed_is_null_with_its_reason(
    base, panel, tmp_path, monkeypatch
):
    from analyse.stats import claim

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(claim, "relative_importance", broken)
    result = compute_run_result(variant(base, panel, tmp_path, lambda d: d))
    document = json.loads(dump_json(results_document(result)))
    assert document["importance_not_estimable"] == "LinAlgError: Singular matrix"
    assert set(document["importance"].values()) == {None}
    assert document["verdict"] in VERDICTS
    table = tables.importance_table(result.claim)
    assert (table["note"] == "not estimable: LinAlgError: Singular matrix").all()
    assert "not drawn" in " ".join(plots.relative_importance(table).get_title().split())


def test_results_json_keys_of_what_could_be_estimated_are_null_reasons(base):
    """The keys exist (null) when everything was estimated, so consumers need no guessing."""
    document = results_document(compute_run_result(base))
    assert document["importance_not_estimable"] is None
    assert document["nested"]["bf01_not_estimable"] is None
    assert document["robustness"]["inference_not_estimable"] is None
    assert all(t["not_estimable"] is None for t in document["themes"].values())


# ---------------------------------------------------------------- 9. descriptives


def test_population_bands_follow_the_kind_of_body():
    types = pd.Series(["commune", "commune", "commune", "CC", "metropole", "departement", "region"])
    population = pd.Series([3_499, 3_500, 150_000, 19_999, 600_000, 500_000, 3_000_000])
    bands = groups.size_bands(population, types)
    assert bands.tolist() == [
        "Commune < 3,500 inh.",
        "Commune 3,500–10,000 inh.",
        "Commune 100,000 inh. and more",
        "EPCI < 20,000 inh.",
        "EPCI 250,000 inh. and more",
        groups.not_banded(),
        groups.not_banded(),
    ]
    assert bands.cat.categories[0] == "Commune < 3,500 inh." and bands.cat.ordered
    communes = groups.size_bands(population[:3], types[:3])
    assert communes.tolist() == ["< 3,500 inh.", "3,500–10,000 inh.", "100,000 inh. and more"]
    epci = groups.size_bands(population[3:5], types[3:5])
    assert epci.tolist() == ["< 20,000 inh.", "250,000 inh. and more"]
    assert list(epci.cat.categories) == groups.size_band_labels()  # as before for EPCI


def test_published_comparison_only_with_the_barometer_codebook(base, codebook, tmp_path):
    import yaml

    scored, _ = load_scored(base)
    assert codebook.is_barometer_2025
    assert len(tables.published_comparison(scored, codebook)) == len(codebook.themes)
    raw = yaml.safe_load(base.codebook_path.read_text(encoding="utf-8"))
    raw["themes"] = raw["themes"][:-1]  # another survey: one theme fewer
    other_path = tmp_path / "codebook.yaml"
    other_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    other = load_codebook(other_path)
    assert not other.is_barometer_2025
    table = tables.published_comparison(scored, other)
    assert table.attrs["not_shown"].startswith("not shown: the survey's codebook is not")
    assert table[["published_2025", "this_survey"]].isna().all().all()
    assert "not drawn" in " ".join(plots.published_vs_survey(table).get_title().split())


# ---------------------------------------------------------------- end to end (slow)


@pytest.mark.slow
def test_notebook_two_runs_with_one_sponsorship_column_and_no_budget(base, panel, tmp_path):
    """Failed before: KeyError: 'sponsorship' (and the budget column was required)."""
    papermill = pytest.importorskip("papermill")
    params = variant(
        base, panel, tmp_path, lambda d: d.drop(columns=["strategy_adopted", "budget_per_capita"])
    )
    notebook = project_root() / "notebooks" / "02_descriptives.ipynb"
    out = tmp_path / notebook.name
    papermill.execute_notebook(
        str(notebook),
        str(out),
        parameters={**base.model_dump(mode="json"), "survey": str(params.survey_path)},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"]
    text = " ".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    # in the report's language, French by default
    assert "Pas d'élu chargé du numérique" in text and "Élu chargé du numérique" in text
    # no budget column: no section about spending (before: « non décrit : pas de colonne… »)
    shown = " ".join(
        "".join(o.get("data", {}).get(kind, ""))
        for o in outputs
        for kind in ("text/plain", "text/markdown", "text/html")
    )
    assert "Pas d'élu chargé du numérique" in shown  # the texts are read where they are
    assert "non décrit" not in shown and "budget_per_capita" not in shown


@pytest.mark.slow
def test_the_runner_publishes_a_separated_theme_and_exits_2_on_a_constant_column(
    base, panel, tmp_path, codebook
):
    """Through the pipeline: the real analysis, a tiny notebook. A theme that cannot be
    estimated does not stop the run; a constant column stops it as the user's error (the CLI
    exits 2 on ``user_error``)."""
    import nbformat
    import yaml
    from nbformat.v4 import new_code_cell, new_notebook

    from analyse.pipeline import runner

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python", "language": "python"}
    nb.cells = [
        new_code_cell('name = "x"\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        new_code_cell("print(name)"),
    ]
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nb, notebooks / "01_tiny.ipynb")

    def params_file(name: str, change: Callable) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        params = variant(base, panel, folder, change)
        raw = params.model_dump(mode="json")
        raw["name"] = name
        raw["data"]["codebook"] = str(params.codebook_path)
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return path

    separated = params_file("separated", lambda d: _separate_theme(d, codebook, "data_ai"))
    constant = params_file("constant", lambda d: d.assign(budget_per_capita=1200))
    out = tmp_path / "reports"
    ok, failed = runner.run_all([separated, constant], out, notebooks_dir=notebooks)
    assert ok.ok, ok.message
    published = json.loads((out / "separated" / "results.json").read_text(encoding="utf-8"))
    assert published["themes"]["data_ai"]["not_estimable"].startswith("separation:")
    assert published["verdict"] in VERDICTS
    assert not failed.ok and failed.user_error
    assert "budget_per_capita has the same value (1200)" in failed.message


def test_separation_is_found_only_along_the_directions_that_separate():
    """``separates`` (the linear programme on the recession cone of the cumulative logit):
    levels cut from size exactly are separated in size; noisy levels are not; a dummy found
    only at the top level separates along the dummy and leaves size's slope finite; levels
    separated at one cut only are not separated for the proportional-odds model (one slope for
    every cut), whose maximum exists: Newton converges there."""
    from analyse.stats.ordinal import fit_theme, separates

    rng = np.random.default_rng(0)
    n = 300
    size, other = rng.normal(size=n), rng.normal(size=n)
    x = np.column_stack([size, other])
    exact = np.digitize(size, [-0.5, 0.5])
    assert separates(exact, x, 3, 0)
    noisy = np.digitize(size + rng.logistic(size=n), [-1.0, 1.0])
    assert not separates(noisy, x, 3, 0) and not separates(noisy, x, 3, 1)
    dummy = np.zeros(n)
    dummy[np.flatnonzero(noisy == 2)[:5]] = 1.0
    with_dummy = np.column_stack([size, other, dummy])
    assert separates(noisy, with_dummy, 3, 2) and not separates(noisy, with_dummy, 3, 0)
    one_cut = np.where(size > 1.0, 3, np.clip(noisy, 0, 2))  # size >1 exactly at the top
    assert not separates(one_cut, x, 4, 0)
    fit = fit_theme(pd.Series(one_cut), pd.DataFrame(x, columns=["size", "other"]), "t")
    assert fit.converged and np.isfinite(fit.se["size"])
