"""Problems and warnings about a renamed column name the export's header beside the contract
column (issue 20, item 9): the user looks for « Nb habitants » in the file, not ``population``."""

from __future__ import annotations

import numpy as np
import pytest
from survey_factory import as_text, build_survey, write_text_csv

from analyse.data.checks import column_words, few_values_warnings
from analyse.data.codebook import load_codebook
from analyse.data.loading import load_survey
from analyse.errors import InputError, Problem
from analyse.paths import default_codebook_path


def _export(tmp_path, mutate=None):
    codebook = load_codebook(default_codebook_path())
    text = as_text(build_survey(codebook, n=30, seed=5))
    if mutate:
        mutate(text)
    text = text.rename(columns={"population": "Nb habitants"})
    return write_text_csv(text, tmp_path / "export.csv"), codebook


def test_a_cell_problem_names_the_export_header(tmp_path):
    def bad(text):
        text.loc[3, "population"] = "beaucoup"

    path, codebook = _export(tmp_path, bad)
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, columns={"population": "Nb habitants"})
    (problem,) = [p for p in exc.value.problems if p.column == "population"]
    assert problem.header == "Nb habitants" and problem.row == 5
    assert "column 'population' (export header \"Nb habitants\")" in str(problem)


def test_a_missing_mapped_column_names_the_header_looked_for(tmp_path):
    path, codebook = _export(tmp_path)
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, columns={"population": "Habitants"})
    problems = [p for p in exc.value.problems if p.column == "population"]
    assert problems and all('(export header "Habitants")' in str(p) for p in problems)


def test_an_unmapped_column_is_named_alone():
    problem = Problem(file="f.csv", message="is empty", row=2, column="population")
    assert str(problem) == "f.csv, row 2, column 'population': is empty"
    assert column_words("population") == "population"
    assert column_words("population", {"population": "population"}) == "population"


def test_a_warning_names_the_export_header():
    import pandas as pd

    scored = pd.DataFrame(
        {
            "population": np.repeat([1000, 2000], 10),
            "maturity_index": np.linspace(0, 1, 20),
        }
    )
    warnings = few_values_warnings(scored, {"population": "Nb habitants"})
    assert any('population (export header "Nb habitants")' in w for w in warnings)
