"""Exports of other shapes read from configuration alone (issue 20): no id column, one header
feeding two contract columns, R's ``NA`` and friends as missing cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from survey_factory import as_text, build_survey, write_text_csv

from analyse.data.configured import load_configured
from analyse.data.loading import load_survey
from analyse.data.scoring import EXCLUSION_COLUMN, score_survey
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path


def _params(tmp_path: Path, survey: Path, **data) -> Path:
    path = tmp_path / "params.yaml"
    document = {
        "name": "shapes",
        "data": {"survey": str(survey), "codebook": str(default_codebook_path()), **data},
        "analysis": {"bootstrap": 0},
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _text(codebook, n: int = 30, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    survey = build_survey(codebook, n=n, seed=seed)
    return survey, as_text(survey)


# --- respondent_id optional ---------------------------------------------------------------


def test_without_an_id_column_rows_are_named_by_their_line(tmp_path, codebook):
    survey, text = _text(codebook)
    path = write_text_csv(text.drop(columns="respondent_id"), tmp_path / "noid.csv")
    loaded = load_survey(path, codebook)
    assert list(loaded["respondent_id"]) == [f"row-{i + 2}" for i in range(len(survey))]
    assert loaded["population"].tolist() == survey["population"].tolist()


def test_a_problem_of_a_file_without_ids_points_at_its_line(tmp_path, codebook):
    _, text = _text(codebook)
    text.loc[4, "population"] = "beaucoup"
    path = write_text_csv(text.drop(columns="respondent_id"), tmp_path / "noid.csv")
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook)
    [problem] = exc.value.problems
    assert problem.row == 6 and problem.column == "population"


def test_one_export_column_feeds_two_contract_columns(tmp_path, codebook):
    survey, text = _text(codebook)
    text = text.drop(columns="respondent_id")
    text.insert(0, "Collectivité", [f"Commune numéro {i}" for i in range(len(text))])
    path = write_text_csv(text, tmp_path / "named.csv")
    params = load_params(
        _params(tmp_path, path, columns={"name": "Collectivité", "respondent_id": "Collectivité"})
    )
    loaded = load_configured(params).survey
    assert loaded["respondent_id"].tolist() == text["Collectivité"].tolist()
    assert loaded["name"].tolist() == text["Collectivité"].tolist()
    assert len(loaded) == len(survey)


# --- missing_values -----------------------------------------------------------------------


def test_missing_values_are_missing_in_every_column(tmp_path, codebook):
    survey, text = _text(codebook)
    first, second = codebook.item_columns[:2]
    text.loc[0, "budget_per_capita"] = "NA"
    text.loc[1, "digital_staff_fte"] = " n/a "
    text.loc[2, "budget_per_capita"] = "-"
    text.loc[3, first] = "NA"
    text.loc[4, second] = "#N/A"
    text.loc[5, "siren"] = "NA"
    path = write_text_csv(text, tmp_path / "r_export.csv")
    with pytest.raises(InputError) as exc:  # without the key, R's NA is not a number
        load_configured(load_params(_params(tmp_path, path)))
    assert any(p.value == "NA" and p.column == "budget_per_capita" for p in exc.value.problems)
    params = load_params(_params(tmp_path, path, missing_values=["NA", "N/A", "-", "#N/A"]))
    loaded = load_configured(params).survey
    assert loaded.loc[[0, 2], "budget_per_capita"].isna().all()
    assert pd.isna(loaded.loc[1, "digital_staff_fte"])
    assert pd.isna(loaded.loc[3, first]) and pd.isna(loaded.loc[4, second])
    assert pd.isna(loaded.loc[5, "siren"])
    assert loaded.loc[6, "budget_per_capita"] == pytest.approx(survey.loc[6, "budget_per_capita"])
    assert loaded.loc[6, first] == survey.loc[6, first]
    scored = score_survey(loaded, codebook)
    excluded = (scored[EXCLUSION_COLUMN].fillna("") != "").sum()
    assert scored["maturity_index"].notna().sum() + excluded == len(survey)


def test_a_missing_population_is_still_a_problem_when_required(tmp_path, codebook):
    _, text = _text(codebook)
    text.loc[7, "population"] = "NA"
    path = write_text_csv(text, tmp_path / "r_export.csv")
    params = load_params(_params(tmp_path, path, missing_values=["NA"]))
    with pytest.raises(InputError) as exc:
        load_configured(params)
    [problem] = exc.value.problems
    assert problem.row == 9 and problem.message == "is empty"


def test_missing_values_default_to_none_and_are_checked(tmp_path, codebook):
    _, text = _text(codebook)
    path = write_text_csv(text, tmp_path / "s.csv")
    assert load_params(_params(tmp_path, path)).data.missing_values == []
    with pytest.raises(InputError):
        load_params(_params(tmp_path, path, missing_values="NA"))
    assert np.array_equal(
        load_configured(load_params(_params(tmp_path, path, missing_values=["zz"]))).survey[
            "population"
        ],
        load_configured(load_params(_params(tmp_path, path))).survey["population"],
    )
