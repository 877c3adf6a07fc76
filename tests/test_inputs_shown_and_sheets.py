"""Issue 21, item 11: the input summary names files as results.json does; ``validate FILE``
and ``validate --params`` agree on a survey whose model cannot be fitted; ``data.sheet``
chooses the worksheet of an .xlsx survey, and a worksheet without data lists the others."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from run_command import run_main
from survey_factory import _python_value, build_survey

from analyse.data.readers import read_raw
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.errors import InputError
from analyse.params import params_from_mapping
from analyse.paths import default_codebook_path
from analyse.report import readable, tables


def params_file(tmp_path: Path, survey: Path, **data: object) -> Path:
    content = {
        "name": "check",
        "data": {"survey": str(survey), "codebook": str(default_codebook_path()), **data},
        "analysis": {"bootstrap": 0},
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def workbook(path: Path, sheets: dict[str, pd.DataFrame | list[list[object]]]) -> Path:
    """An .xlsx of the given worksheets, in order: a frame under its header, or plain rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, content in sheets.items():
        sheet = book.create_sheet(title)
        if isinstance(content, pd.DataFrame):
            sheet.append(list(content.columns))
            for record in content.itertuples(index=False):
                sheet.append([_python_value(v) for v in record])
        else:
            for row in content:
                sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def survey(codebook):
    return build_survey(codebook, n=30, seed=21)


# --- the input summary -----------------------------------------------------------------------


def test_the_input_summary_names_a_survey_outside_the_project_by_its_name(tmp_path, survey):
    """Before: the absolute path of the building machine in tables/input_summary.csv/.xlsx,
    where results.json and the manifest show the name only (``shown_input``)."""
    path = tmp_path / "private" / "enquête 2025.csv"
    path.parent.mkdir()
    survey.to_csv(path, index=False)
    params = params_from_mapping({"name": "x", "data": {"survey": str(path)}})
    scored = pd.DataFrame({EXCLUSION_COLUMN: ["", "no index", ""]})
    shown = readable.input_summary(params, scored).frame
    texts = [str(v) for v in shown.to_numpy().ravel()]
    assert "enquête 2025.csv" in texts and "data/codebook.yaml" in texts
    assert not any(str(tmp_path) in t for t in texts)
    plain = tables.input_summary(params, scored)
    assert plain.loc["Survey file", "value"] == "enquête 2025.csv"
    assert not any(str(tmp_path) in str(v) for v in plain["value"])


# --- validate FILE and validate --params agree -------------------------------------------------


def _one_row(tmp_path: Path, survey: pd.DataFrame) -> Path:
    path = tmp_path / "one.csv"
    survey.head(1).to_csv(path, index=False)
    return path


def _all_excluded(tmp_path: Path, survey: pd.DataFrame, codebook) -> Path:
    """Every row has a theme wholly unanswered: no respondent has a maturity index."""
    blank = survey.copy()
    blank[list(codebook.theme(codebook.themes[0].key).columns)] = pd.NA
    path = tmp_path / "excluded.csv"
    blank.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("case", ["one_row", "all_excluded"])
def test_validate_file_fails_where_validate_params_fails(
    tmp_path, survey, codebook, monkeypatch, capsys, case
):
    """Before: ``validate FILE`` exited 0 on a survey of 1 row, or whose rows are all left out,
    while ``validate --params`` (and the run) stopped with exit 2: the model cannot be fitted."""
    path = (
        _one_row(tmp_path, survey)
        if case == "one_row"
        else _all_excluded(tmp_path, survey, codebook)
    )
    assert run_main(monkeypatch, "validate", "--params", params_file(tmp_path, path)) == 2
    by_params = capsys.readouterr()
    assert run_main(monkeypatch, "validate", path) == 2
    by_file = capsys.readouterr()
    assert "Rows:" in by_file.out  # the summary that explains it comes first, as with --params
    assert "Traceback" not in by_file.err
    problems = [line for line in by_file.err.splitlines() if line.startswith("  - ")]
    assert problems and problems == [
        line for line in by_params.err.splitlines() if line.startswith("  - ")
    ]
    if case == "all_excluded":
        assert "nothing can be estimated" in by_file.err


def test_validate_file_still_passes_a_survey_the_model_can_fit(
    tmp_path, survey, monkeypatch, capsys
):
    path = tmp_path / "s.csv"
    survey.to_csv(path, index=False)
    assert run_main(monkeypatch, "validate", path) == 0
    assert run_main(monkeypatch, "validate", "--params", params_file(tmp_path, path)) == 0


# --- data.sheet --------------------------------------------------------------------------------


def test_data_on_the_second_sheet_is_refused_listing_the_sheets(tmp_path, survey):
    """Before: "no data rows (the file has a header only)", naming no sheet."""
    path = workbook(
        tmp_path / "s.xlsx",
        {"Notice": [["Baromètre 2025 : export des réponses"]], "Réponses": survey, "Vide": []},
    )
    with pytest.raises(InputError) as exc:
        read_raw(path)
    (problem,) = exc.value.problems
    assert "no data rows" in problem.message
    assert "0 'Notice' (1 row), 1 'Réponses' (31 rows), 2 'Vide' (0 rows)" in problem.message
    assert "data.sheet" in problem.message
    for chosen in ("Réponses", " réponses ", 1, "1"):
        table = read_raw(path, sheet=chosen)
        assert len(table.frame) == 30 and table.rows.tolist() == list(range(2, 32))
    with pytest.raises(InputError) as exc:
        read_raw(path, sheet=2)
    assert "the worksheet 'Vide' is empty" in exc.value.problems[0].message


def test_a_first_sheet_of_notes_without_the_columns_lists_the_sheets(tmp_path, survey, codebook):
    """A « Notice » sheet of a few text rows first: the columns are missing, and the message
    says which worksheets there are (before: only "required column is missing", 30 times)."""
    from analyse.data.loading import load_survey

    notes = [["Notice"], ["Export du 3 mars"], ["Colonnes : voir l'onglet Réponses"]]
    path = workbook(tmp_path / "s.xlsx", {"Notice": notes, "Réponses": survey})
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook)
    first = exc.value.problems[0]
    assert "required column is missing" in first.message
    assert "1 'Réponses' (31 rows)" in first.message and "data.sheet" in first.message
    assert len(load_survey(path, codebook, sheet="Réponses")) == 30


def test_a_sheet_that_does_not_exist_is_named_with_the_sheets(tmp_path, survey):
    path = workbook(tmp_path / "s.xlsx", {"Notice": [["x"]], "Réponses": survey})
    with pytest.raises(InputError) as exc:
        read_raw(path, sheet="Reponse")
    message = exc.value.problems[0].message
    assert "no worksheet named 'Reponse'; did you mean 'Réponses'?" in message
    assert "1 'Réponses' (31 rows)" in message
    with pytest.raises(InputError) as exc:
        read_raw(path, sheet=2)
    assert "no worksheet at position 2 (positions count from 0)" in exc.value.problems[0].message
    csv = tmp_path / "s.csv"
    survey.to_csv(csv, index=False)
    with pytest.raises(InputError) as exc:
        read_raw(csv, sheet=1)
    assert "only an .xlsx workbook has worksheets" in exc.value.problems[0].message


def test_data_sheet_in_params_and_sheet_option_of_validate(tmp_path, survey, monkeypatch, capsys):
    path = workbook(tmp_path / "s.xlsx", {"Notice": [["x"]], "Réponses": survey})
    assert run_main(monkeypatch, "validate", path) == 2
    err = capsys.readouterr().err
    assert "1 'Réponses' (31 rows)" in err and "Traceback" not in err
    assert run_main(monkeypatch, "validate", path, "--sheet", "Réponses") == 0
    assert "Rows: 30" in capsys.readouterr().out
    assert run_main(monkeypatch, "validate", path, "--sheet", "1") == 0
    capsys.readouterr()
    assert run_main(monkeypatch, "validate", "--params", params_file(tmp_path, path)) == 2
    assert "0 'Notice'" in capsys.readouterr().err
    for sheet in ("Réponses", 1):
        params = params_file(tmp_path, path, sheet=sheet)
        assert run_main(monkeypatch, "validate", "--params", params) == 0
        assert "Rows: 30" in capsys.readouterr().out
    params = params_file(tmp_path, path)
    assert run_main(monkeypatch, "validate", "--params", params, "--sheet", "1") == 2
    assert "--sheet cannot be combined with --params" in capsys.readouterr().err


def test_weights_shipped_on_the_chosen_sheet_are_read_from_it(
    tmp_path, survey, monkeypatch, capsys
):
    """The column of shipped weights is read from the worksheet ``data.sheet`` names too."""
    weighted = survey.assign(Poids=1.5)
    path = workbook(tmp_path / "s.xlsx", {"Notice": [["x"]], "Réponses": weighted})
    params = params_file(tmp_path, path, sheet="Réponses")
    content = yaml.safe_load(params.read_text(encoding="utf-8"))
    content["analysis"]["weights"] = {"column": "Poids"}
    params.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    assert run_main(monkeypatch, "validate", "--params", params) == 0
    assert "Weights: column Poids" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (-1, "greater than or equal to 0"),
        ("", "at least 1 character"),
        (1.5, "must be a worksheet's name or its 0-based position"),
        (True, "must be a worksheet's name or its 0-based position"),
    ],
)
def test_a_bad_data_sheet_is_a_parameter_problem(value, fragment):
    with pytest.raises(InputError) as exc:
        params_from_mapping({"name": "x", "data": {"survey": "data/codebook.yaml", "sheet": value}})
    (problem,) = exc.value.problems
    assert problem.message.startswith("data.sheet: ") and fragment in problem.message
