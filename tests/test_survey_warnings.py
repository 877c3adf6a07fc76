"""Warnings about a survey that loads (``analyse.data.checks``): one SIREN answering twice and a
model term with fewer than 5 distinct values are named, in ``validate`` and in the run."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from rich.console import Console

from analyse.data.checks import MIN_DISTINCT, survey_warnings
from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline import runner
from analyse.pipeline.progress import RunDisplay
from analyse.pipeline.run_result import compute_run_result, save_run_result


def _scored(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "population": rng.integers(1_000, 500_000, size=n),
            "budget_per_capita": rng.uniform(300, 2000, size=n),
            "digital_staff_fte": rng.uniform(0, 30, size=n),
            "elected_digital_lead": rng.integers(0, 2, size=n),
            "strategy_adopted": rng.integers(0, 2, size=n),
            "siren": pd.array([f"2{i:08d}" for i in range(n)], dtype="string"),
            "maturity_index": rng.uniform(0, 100, size=n),
        }
    )


def test_a_clean_survey_has_no_warning():
    assert survey_warnings(_scored()) == []  # binary sponsorship terms are not checked


def test_duplicate_siren_names_every_row_in_the_files_numbering():
    scored = _scored()
    scored.loc[[1, 4, 8], "siren"] = "200000172"
    scored.loc[2, "siren"] = pd.NA  # missing SIRENs are not duplicates of each other
    scored.loc[3, "siren"] = pd.NA
    rows = np.arange(len(scored)) + 5  # e.g. a header on row 4
    (warning,) = survey_warnings(scored, rows=rows)
    assert warning.startswith("SIREN 200000172 answers 3 times (rows 6, 9 and 13 of the survey")


def test_a_term_with_few_distinct_values_among_the_analysed_rows_is_named():
    scored = _scored()
    scored["budget_per_capita"] = [500.0, 700.0, 900.0, 1100.0] * 3
    assert survey_warnings(scored) == [
        "model term 'budget' (from budget_per_capita) has 4 distinct values among the 12 "
        f"respondents with an index (fewer than {MIN_DISTINCT}): its coefficient rests on few "
        "contrasts; check that the column holds each body's own value"
    ]
    # a fifth value on an excluded row does not count
    scored.loc[0, "budget_per_capita"] = 1234.0
    scored.loc[0, "maturity_index"] = np.nan
    assert len(survey_warnings(scored)) == 1
    scored.loc[0, "maturity_index"] = 50.0
    assert survey_warnings(scored) == []


def test_the_run_reports_the_warnings_of_its_stored_result(tmp_path, monkeypatch):
    params = load_params(project_root() / "params" / "ci.yaml")
    text = pd.read_csv(params.survey_path, dtype=str, keep_default_na=False)
    text["siren"] = [f"2000{i:05d}" for i in range(len(text))]
    text.loc[5, "siren"] = text.loc[0, "siren"]
    survey = tmp_path / "survey.csv"
    text.to_csv(survey, index=False)
    params = params.model_copy(
        update={"data": params.data.model_copy(update={"survey": str(survey)})}
    )
    assert runner._stored_warnings(params, tmp_path) == []  # nothing stored: nothing to say
    save_run_result(compute_run_result(params), tmp_path)
    (warning,) = runner._stored_warnings(params, tmp_path)
    assert warning.startswith(f"SIREN {text.loc[0, 'siren']} answers 2 times (rows 2 and 7")

    out = io.StringIO()
    display = RunDisplay(Console(file=out, width=200, force_terminal=False), [])
    with display:
        display.put(("ci", "warning", warning))
    assert out.getvalue().startswith(f"warning: run ci: {warning[:40]}")
