"""``12,000`` is twelve thousand in English and twelve in French: a cell whose one separator
is followed by exactly three digits is refused where it would be a guess (exit 2, with the row
and what to write), and read as a decimal only where the column shows that convention."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from survey_factory import as_text, build_survey, write_parquet, write_text_csv, write_xlsx

from analyse import cli
from analyse.data.loading import load_survey
from analyse.data.numbers import ambiguous_numbers
from analyse.data.readers import cell_text
from analyse.errors import InputError


@pytest.fixture
def survey(codebook):
    return build_survey(codebook, n=12, seed=4)


def problems(path, codebook) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook)
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("value", ["12,000", "12.000", "1,294", "300.500", "-1,000"])
def test_population_with_one_separator_and_three_digits_is_refused(
    tmp_path, survey, codebook, value
):
    """Before: 12,000 and 12.000 were 12 inhabitants (exit 0)."""
    text = as_text(survey)
    text.loc[3, "population"] = value
    path = write_text_csv(text, tmp_path / "s.csv", sep=";")
    (problem,) = problems(path, codebook)
    digits = value.replace(",", "").replace(".", "")
    assert "row 5, column 'population': is ambiguous" in problem
    assert f"write {digits} or {value.replace(',', ' ').replace('.', ' ')}" in problem


def test_validate_exits_2_on_an_ambiguous_population(tmp_path, survey, monkeypatch, capsys):
    text = as_text(survey)
    text.loc[0, "population"] = "12,000"
    path = write_text_csv(text, tmp_path / "s.csv", sep=";")
    monkeypatch.setattr(sys, "argv", ["analyse", "validate", str(path)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "row 2, column 'population': is ambiguous" in err and "write 12000 or 12 000" in err


def test_unambiguous_spellings_are_still_read(tmp_path, survey, codebook):
    text = as_text(survey)
    text["budget_per_capita"] = "845,5"  # the column's convention: a decimal comma
    text.loc[0:4, "population"] = ["12000", "12 000", "12\u202f000", "1 234 567", "0"]
    text.loc[4, "population"] = "7"
    text.loc[0:3, "budget_per_capita"] = ["1,294", "1 294,50", "0,125", "12,5"]
    text.loc[0:2, "digital_staff_fte"] = ["2.5", "1.125", ""]  # "." decimal shown by 2.5
    loaded = load_survey(write_text_csv(text, tmp_path / "s.csv", sep=";"), codebook)
    assert loaded["population"].iloc[:5].tolist() == [12000, 12000, 12000, 1234567, 7]
    assert loaded["budget_per_capita"].iloc[:4].tolist() == [1.294, 1294.5, 0.125, 12.5]
    assert loaded.loc[1, "digital_staff_fte"] == 1.125


def test_budget_1294_with_a_comma_is_refused_without_a_decimal_comma_elsewhere(
    tmp_path, survey, codebook
):
    """Before: 1,294 was 1.294 euros per inhabitant (exit 0). The other budgets use a decimal
    point (1437.05), which says nothing about what the comma means here."""
    text = as_text(survey)
    text.loc[2, "budget_per_capita"] = "1,294"
    path = write_text_csv(text, tmp_path / "s.csv", sep=";")
    (problem,) = problems(path, codebook)
    assert "row 4, column 'budget_per_capita': is ambiguous" in problem
    assert "write 1294 or 1 294 for thousands" in problem


def test_ambiguous_numbers_rule():
    cells = pd.Series(["1,294", "1.294", "0,125", "1294,5", "12,50", "1 234", "", "x", "1.5"])
    assert ambiguous_numbers(cells, whole=True).tolist() == [
        True, True, False, False, False, False, False, False, False,
    ]  # fmt: skip
    # in a decimal column, "1294,5" shows the comma is decimal; "1.5" shows the point is
    assert not ambiguous_numbers(cells, whole=False).any()
    alone = pd.Series(["1,294", "1.294", "845"])
    assert ambiguous_numbers(alone, whole=False).tolist() == [True, True, False]
    # a decimal point elsewhere resolves "1.294", not "1,294"
    mixed = pd.Series(["1,294", "1.294", "845.25"])
    assert ambiguous_numbers(mixed, whole=False).tolist() == [True, False, False]


@pytest.mark.parametrize("writer", [write_xlsx, write_parquet])
def test_numbers_stored_as_numbers_are_never_ambiguous(tmp_path, survey, codebook, writer):
    """A workbook or Parquet file stores 1.125 as a number: no separator to guess."""
    survey = survey.copy()
    survey.loc[0, "budget_per_capita"] = 1.125
    survey.loc[1, "digital_staff_fte"] = 2.375
    path = writer(survey, tmp_path / ("s.xlsx" if writer is write_xlsx else "s.parquet"))
    loaded = load_survey(path, codebook)
    assert loaded.loc[0, "budget_per_capita"] == 1.125
    assert loaded.loc[1, "digital_staff_fte"] == 2.375


@pytest.mark.parametrize(
    ("value", "text"), [(1.125, "1.1250"), (-123.456, "-123.4560"), (1234.567, "1234.567")]
)
def test_cell_text_of_three_decimals(value, text):
    assert cell_text(value) == text
    assert float(text) == value
    assert not ambiguous_numbers(pd.Series([text]), whole=False).any() or np.isclose(value, 0)
