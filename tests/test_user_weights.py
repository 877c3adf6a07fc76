"""``analysis.weights: {column: NAME}``: weights shipped with the survey are read from its file,
checked (finite, >= 0, not all 0, else exit 2 naming the cell), and reach everything raked
weights reach: the main model, the verdict and the curve's weighted specifications.

The reach is checked by a known answer: shipping the raking weights themselves in a column must
reproduce the raked run's weighted numbers exactly, but for the verdict's design-based standard
error: shipped weights are taken as fixed, raked ones as calibrated to the frame
(``analyse.stats.regression.linearization_se``, with its leverage correction).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.readers import read_raw
from analyse.data.user_weights import read_user_weights
from analyse.errors import InputError
from analyse.params import ColumnWeights, RunParams, load_params
from analyse.paths import project_root
from analyse.pipeline import run_result as rr
from analyse.report.tables import _weights_description
from analyse.stats.claim import WEIGHTS_KEYS

CI = project_root() / "params" / "ci.yaml"


def _text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _with_column(params: RunParams, values: list[str], path: Path, name: str = "Poids") -> Path:
    text = _text(params.survey_path)
    text[name] = values
    text.to_csv(path, index=False)
    return path


def _params(params: RunParams, survey: Path, weights, **analysis) -> RunParams:
    return params.model_copy(
        update={
            "data": params.data.model_copy(update={"survey": str(survey)}),
            "analysis": params.analysis.model_copy(update={"weights": weights, **analysis}),
        }
    )


@pytest.fixture(scope="module")
def ci() -> RunParams:
    return load_params(CI)


@pytest.fixture(scope="module")
def raked(ci):
    return rr.compute_run_result(_params(ci, ci.survey_path, "raked"))


def test_shipped_raking_weights_reproduce_the_raked_run(ci, raked, tmp_path):
    weights = rr.run_weights(raked.params, raked.scored, rr.load_frame("epci"))
    # rows without an index need no weight: their cells stay empty
    cells = ["" if i not in weights.index else repr(float(weights[i])) for i in raked.scored.index]
    assert "" in cells
    survey = _with_column(ci, cells, tmp_path / "weighted.csv")
    shipped = rr.compute_run_result(_params(ci, survey, ColumnWeights(column="Poids")))

    a, b = shipped.claim, raked.claim
    assert a.n == b.n and a.weighted_parts == b.weighted_parts == ["ols", "size", "nested"]
    np.testing.assert_allclose(a.fit.coef, b.fit.coef, rtol=1e-10)
    np.testing.assert_allclose(a.fit.se, b.fit.se, rtol=1e-10)
    assert a.size.std_coef == pytest.approx(b.size.std_coef, rel=1e-10)
    assert a.size.se_hc3 == pytest.approx(b.size.se_hc3, rel=1e-10)
    # the weights are the same, not what is known of them: fixed here, calibrated when raked
    assert (a.size.se_method, b.size.se_method) == (
        "linearization_hc3",
        "linearization_calibrated_hc3",
    )
    assert a.size.se != pytest.approx(b.size.se, rel=1e-3)
    assert a.size.se_linearization != pytest.approx(b.size.se_linearization, rel=1e-3)
    # the same weights: the same DuMouchel-Duncan test
    assert a.informative.p == pytest.approx(b.informative.p, rel=1e-10)
    # the curve: weighted specifications on every respondent use the shipped weights (the
    # trimmed ones are re-raked on their own rows by a raked run, so they differ)
    key = ["controls", "size", "sample", "weights"]
    # shipped weights take the "raked" choice's place, labelled as the survey's own weights
    assert set(shipped.curve["weights"]) == {"none", "survey_weights"}
    assert (
        shipped.curve.loc[shipped.curve["weights"] == "survey_weights", "weights_converged"]
        .isna()
        .all()
    )
    relabelled = shipped.curve.replace({"weights": {"survey_weights": "raked"}})
    left, right = (c.set_index(key).sort_index() for c in (relabelled, raked.curve))
    assert list(left.index) == list(right.index)
    same = [i for i in left.index if i[2] == "all" or i[3] == "none"]
    np.testing.assert_allclose(
        left.loc[same, "std_coef"], right.loc[same, "std_coef"], rtol=1e-9, atol=1e-12
    )
    trimmed_weighted = [i for i in left.index if i[2] == "trim_2pct" and i[3] == "raked"]
    assert not np.allclose(
        left.loc[trimmed_weighted, "std_coef"], right.loc[trimmed_weighted, "std_coef"]
    )

    document = rr.results_document(shipped)
    assert set(document["weights"]) == set(WEIGHTS_KEYS)
    assert document["weights"]["method"] == "column Poids"
    assert document["weights"]["kish_n"] == pytest.approx(raked.claim.weights_summary["kish_n"])
    assert document["weights_converged"] is None  # not a calibration made here
    assert document["size"]["se_method"] == "linearization_hc3"
    assert document["size"]["se"] == document["estimands"]["direct"]["se"] == a.size.se
    assert document["size"]["se_linearization"] == a.size.se_linearization < a.size.se
    assert 0 < document["weights"]["informative_p"] < 1
    described = _weights_description(document["weights"])
    assert described.startswith("shipped with the survey (column Poids), not calibrated here")
    assert document["n"] + document["n_excluded"] == len(read_raw(survey).frame)


def test_a_zero_weight_excludes_its_respondent_with_the_reason(ci, tmp_path):
    default, _ = rr.load_scored(ci)
    n = len(default)
    zero, heavy, light = np.flatnonzero(default["maturity_index"].notna())[:3]
    cells = ["1"] * n
    cells[zero] = "0"
    cells[heavy] = "2,5"  # French decimal comma
    survey = _with_column(ci, cells, tmp_path / "zero.csv", name="pondération")
    params = _params(ci, survey, ColumnWeights(column="pondération"), bootstrap=0)
    scored, _ = rr.load_scored(params)
    assert scored.loc[zero, "excluded_reason"] == "weight 0 in column 'pondération'"
    assert np.isnan(scored.loc[zero, "maturity_index"])
    weights = rr.run_weights(params, scored, rr.load_frame("epci"))
    assert zero not in weights.index and weights.mean() == pytest.approx(1.0)
    assert weights[heavy] / weights[light] == pytest.approx(2.5)
    claim = rr.judge_claim(params, scored, _, weights)
    assert claim.n + claim.n_excluded == n
    assert claim.exclusions["weight 0 in column 'pondération'"] == 1


def test_bad_weights_are_reported_cell_by_cell(ci, tmp_path):
    n = len(_text(ci.survey_path))
    cells = ["1"] * n
    cells[0], cells[1], cells[2], cells[4] = "beaucoup", "-1", "1e999", ""
    survey = _with_column(ci, cells, tmp_path / "bad.csv")
    with pytest.raises(InputError) as exc:
        read_user_weights(survey, "Poids")
    found = {(p.row, p.message) for p in exc.value.problems}
    # spreadsheet rows: the header is row 1
    assert found == {
        (2, "is not a finite number"),
        (3, "is negative"),
        (4, "is not a finite number"),
        (6, "is empty"),
    }
    assert all(p.column == "Poids" and p.file == str(survey) for p in exc.value.problems)
    # an empty weight is fine where the analysis does not need it
    needed = np.ones(n, dtype=bool)
    needed[4] = False
    cells[0], cells[1], cells[2] = "1", "1", "1"
    survey = _with_column(ci, cells, tmp_path / "ok.csv")
    assert np.isnan(read_user_weights(survey, "Poids", needed=needed)[4])


def test_all_zero_or_absent_weights_exit_2(ci, tmp_path):
    n = len(_text(ci.survey_path))
    survey = _with_column(ci, ["0"] * n, tmp_path / "zeros.csv")
    with pytest.raises(InputError, match="every weight of the analysed rows is 0"):
        read_user_weights(survey, "Poids")
    with pytest.raises(InputError) as exc:
        rr.load_scored(_params(ci, survey, ColumnWeights(column="poids")))
    (problem,) = exc.value.problems
    assert "'poids'" in problem.message and "not in the file" in problem.message
    assert "Poids" in problem.message  # did you mean


def test_min_themes_reaches_the_run_and_is_checked_against_the_codebook(ci):
    scored, _ = rr.load_scored(_params(ci, ci.survey_path, "none", min_themes=6))
    default, _ = rr.load_scored(ci)
    # respondents who skipped one theme now have an index, the mean of the six others
    gained = default["maturity_index"].isna() & scored["maturity_index"].notna()
    assert gained.any()
    themes = [t.key for t in load_codebook(ci.codebook_path).themes]
    row = scored[gained].iloc[0]
    assert row["maturity_index"] == pytest.approx(row[themes].dropna().mean())
    with pytest.raises(InputError) as exc:
        rr.load_scored(_params(ci, ci.survey_path, "none", min_themes=8))
    assert "analysis.min_themes is 8 but the codebook has 7 themes" in str(exc.value.problems[0])


@pytest.mark.slow
def test_a_weights_column_gives_svyglm_s_design_based_errors(ci, tmp_path):
    """The issue's acceptance: a survey shipping the R fixture's weights ``w`` (on the rows the
    model fits, in their order) gives, in results.json, svyglm's coefficient and design-based
    SE of size on svydesign(ids = ~1, weights = ~w), for the direct and the total model
    (tests/fixtures/r_estimands/reference.json): ``size.se_linearization``, beside the
    verdict's leverage-adjusted ``size.se``."""
    import json

    fixture = project_root() / "tests" / "fixtures" / "r_estimands"
    data = pd.read_csv(fixture / "data.csv")
    reference = json.loads((fixture / "reference.json").read_text(encoding="utf-8"))["weighted"]
    scored, _ = rr.load_scored(ci)
    rows = rr.model_rows(ci, scored)
    # the fixture's rows are these, in this order
    np.testing.assert_allclose(np.log(scored.loc[rows, "population"].astype(float)), data["size"])
    by_row = dict(zip(rows, data["w"], strict=True))
    cells = [repr(float(by_row[i])) if i in by_row else "" for i in scored.index]
    survey = _with_column(ci, cells, tmp_path / "w.csv", name="w")
    result = rr.compute_run_result(_params(ci, survey, ColumnWeights(column="w")))
    document = rr.results_document(result)
    size, total = document["size"], document["estimands"]["total"]
    assert size["se_method"] == "linearization_hc3"
    assert size["coef"] == pytest.approx(reference["direct"]["coef"], abs=1e-6)
    assert size["se_linearization"] == pytest.approx(reference["direct"]["se"], abs=1e-4)
    assert size["se"] > size["se_linearization"]
    assert document["estimands"]["direct"]["se"] == size["se"]
    assert total["coef"] == pytest.approx(reference["total"]["coef"], abs=1e-6)
    # the total's svyglm SE is that of the fit it reads (estimands.total follows the verdict's)
    result_total = result.claim.estimands.total
    assert result_total.se_linearization == pytest.approx(reference["total"]["se"], abs=1e-4)
    assert total["se"] == result_total.se > result_total.se_linearization
    assert document["weights"]["informative_p"] == pytest.approx(
        reference["informative"]["p"], rel=1e-8
    )
    # ols.terms keep the WLS HC3 they name
    assert document["ols"]["terms"]["size"]["se_hc3"] == size["se_hc3"] != size["se"]
