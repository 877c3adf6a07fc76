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


def test_an_unmapped_header_that_looks_like_an_id_is_warned_about(tmp_path, codebook):
    """Rows named row-<line> while the export holds an identifier the mapping forgot: said,
    never silent; once mapped (or absent) nothing is said."""
    _, text = _text(codebook)
    text = text.rename(columns={"respondent_id": "N° de réponse"})
    path = write_text_csv(text, tmp_path / "forgot.csv")
    loaded = load_configured(load_params(_params(tmp_path, path)))
    [warning] = loaded.warnings
    assert "'N° de réponse'" in warning and "row-<line>" in warning
    assert loaded.survey["respondent_id"].iloc[0] == "row-2"
    mapped = _params(tmp_path, path, columns={"respondent_id": "N° de réponse"})
    assert load_configured(load_params(mapped)).warnings == []
    absent = write_text_csv(text.drop(columns="N° de réponse"), tmp_path / "noid.csv")
    assert load_configured(load_params(_params(tmp_path, absent))).warnings == []


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
    problem, way_out = exc.value.problems  # the row's, then how to go on without it
    assert problem.row == 9 and problem.message == "is empty"
    assert way_out.row is None and "data.bad_rows: exclude" in way_out.message


@pytest.mark.parametrize(
    ("missing", "extra", "says"),
    [
        ("0", {}, "level 0 of the codebook"),
        ("oui", {"answer_labels": {"Oui": 3}}, "the answer label 'Oui' (level 3)"),
        ("cc", {"type_labels": {"CC": "CC"}}, "the type label 'CC' (CC)"),
    ],
)
def test_a_missing_value_that_is_also_an_answer_is_refused(
    tmp_path, codebook, missing, extra, says
):
    """``missing_values: ["0"]`` would blank every level-0 answer, ``["CC"]`` every type CC:
    refused, naming what the text also is."""
    _, text = _text(codebook)
    path = write_text_csv(text, tmp_path / "s.csv")
    params = load_params(_params(tmp_path, path, missing_values=["NA", missing], **extra))
    with pytest.raises(InputError) as exc:
        load_configured(params)
    [problem] = exc.value.problems
    assert says in problem.message and "data.missing_values" in problem.message


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


# --- duplicates ---------------------------------------------------------------------------


def _repeated(tmp_path: Path, codebook) -> tuple[Path, pd.DataFrame]:
    """A survey where row 3 repeats row 1's SIREN, row 5 row 2's INSEE code (no SIREN), and
    row 7 row 4's name, type and population (no identifier); row 8 shares row 4's name and type
    but not its population: another body. Rows are file lines 2 to n + 1."""
    survey, text = _text(codebook, n=20, seed=5)
    text["siren"] = ""
    text["code_insee"] = ""
    text["name"] = [f"Commune {i}" for i in range(len(text))]
    text.loc[[1, 3], "siren"] = "200067106"
    text.loc[[2, 5], "code_insee"] = "75056"
    text.loc[[2, 5], "collectivity_type"] = "commune"
    for i in (4, 7, 8):
        text.loc[i, ["name", "collectivity_type", "population"]] = [
            "Saint-Denis",
            "commune",
            "1200",
        ]
    text.loc[7, "name"] = "SAINT DENIS"  # the same name, normalised
    text.loc[8, "population"] = "2400"
    return write_text_csv(text, tmp_path / "repeated.csv"), text


def test_a_body_answering_twice_is_warned_about_and_kept_by_default(tmp_path, codebook):
    from analyse.data.checks import survey_warnings

    path, text = _repeated(tmp_path, codebook)
    configured = load_configured(load_params(_params(tmp_path, path)))
    assert (configured.survey[EXCLUSION_COLUMN].fillna("") == "").all()
    warnings = survey_warnings(configured.survey, np.arange(2, len(text) + 2))
    repeats = [w for w in warnings if "answers 2 times" in w]
    assert len(repeats) == 3, warnings
    assert repeats[0].startswith("SIREN 200067106 answers 2 times (rows 3 and 5 ")
    assert repeats[1].startswith("INSEE code 75056 answers 2 times (rows 4 and 7 ")
    assert repeats[2].startswith(
        "name 'Saint-Denis' (commune, 1200) answers 2 times (rows 6 and 9 "
    )


def test_keep_first_leaves_the_later_rows_out_with_their_reason(tmp_path, codebook):
    from analyse.data.checks import survey_warnings

    path, text = _repeated(tmp_path, codebook)
    params = load_params(_params(tmp_path, path, duplicates="keep_first"))
    loaded = load_configured(params).survey
    reasons = loaded[EXCLUSION_COLUMN].fillna("")
    assert reasons[reasons != ""].to_dict() == {
        3: "the same body as row 3 (same SIREN)",
        5: "the same body as row 4 (same INSEE code and type)",
        7: "the same body as row 6 (same name, type and population)",
    }
    assert not [w for w in survey_warnings(loaded) if "answers 2 times" in w]
    scored = score_survey(loaded, codebook)
    excluded = int((scored[EXCLUSION_COLUMN].fillna("") != "").sum())
    assert excluded >= 3
    assert int(scored["maturity_index"].notna().sum()) + excluded == len(text)


def test_duplicates_error_stops_naming_the_rows(tmp_path, codebook):
    path, _ = _repeated(tmp_path, codebook)
    params = load_params(_params(tmp_path, path, duplicates="error"))
    with pytest.raises(InputError) as exc:
        load_configured(params)
    messages = [p.message for p in exc.value.problems]
    assert messages == [
        "one body answers 2 times: SIREN 200067106 on rows 3, 5",
        "one body answers 2 times: INSEE code 75056 on rows 4, 7",
        "one body answers 2 times: name 'Saint-Denis' (commune, 1200) on rows 6, 9",
    ]
    with pytest.raises(InputError):
        load_params(_params(tmp_path, path, duplicates="drop"))


def test_a_departement_and_a_region_of_one_code_are_two_bodies(tmp_path, codebook):
    _, text = _text(codebook, n=12)
    text["code_insee"] = ""
    text.loc[[0, 1], "code_insee"] = "11"
    text.loc[0, "collectivity_type"] = "departement"
    text.loc[1, "collectivity_type"] = "region"
    path = write_text_csv(text, tmp_path / "codes.csv")
    params = load_params(_params(tmp_path, path, duplicates="error"))
    assert len(load_configured(params).survey) == len(text)


def _run_validate(monkeypatch, params: Path) -> int:
    import sys

    from analyse import cli

    monkeypatch.setattr(sys, "argv", ["analyse", "validate", "--params", str(params)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


def test_rows_matched_to_one_frame_body_are_one_body(tmp_path, codebook):
    """With data.enrich_from_frame, one body named differently on two rows (its INSEE code on
    one, its name in capitals without code on another; a SIREN on a third) is found as
    repeated: the frame body each row was matched to is the key."""
    _, text = _text(codebook, n=20, seed=5)
    text["siren"] = ""
    text["code_insee"] = ""
    text["name"] = [f"Nulle part {i}" for i in range(len(text))]
    text["collectivity_type"] = "commune"
    text.loc[0, ["name", "code_insee"]] = ["Lyon", "69123"]
    text.loc[1, ["name", "code_insee"]] = ["COMMUNE DE LYON", ""]
    text.loc[2, ["name", "siren"]] = ["Ville de Lyon", "216901231"]
    path = write_text_csv(text, tmp_path / "lyon.csv")
    params = _params(tmp_path, path, enrich_from_frame=True, duplicates="keep_first")
    reasons = load_configured(load_params(params)).survey[EXCLUSION_COLUMN].fillna("")
    expected = "the same body as row 2 (matched to the same body of the frame)"
    assert reasons[reasons != ""].to_dict() == {1: expected, 2: expected}


def test_validate_params_on_a_census_without_ids_with_na_and_repeats(
    tmp_path, codebook, monkeypatch, capsys
):
    path, text = _repeated(tmp_path, codebook)
    text = text.drop(columns="respondent_id")
    text.loc[10, "budget_per_capita"] = "NA"
    text.loc[11, codebook.item_columns[0]] = "n/a"
    path = write_text_csv(text, tmp_path / "census.csv")
    base = {"missing_values": ["NA", "n/a"]}
    assert _run_validate(monkeypatch, _params(tmp_path, path, **base)) == 0
    out, err = capsys.readouterr()
    assert f"Rows: {len(text)}" in out and "Traceback" not in err
    assert "warning: SIREN 200067106 answers 2 times (rows 3 and 5" in err
    params = _params(tmp_path, path, duplicates="keep_first", **base)
    assert _run_validate(monkeypatch, params) == 0
    out, err = capsys.readouterr()
    assert "the same body as row 3 (same SIREN)" in out and "answers 2 times" not in err
    assert _run_validate(monkeypatch, _params(tmp_path, path, duplicates="error", **base)) == 2
    out, err = capsys.readouterr()
    assert "one body answers 2 times: INSEE code 75056 on rows 4, 7" in err
    assert "Traceback" not in err
