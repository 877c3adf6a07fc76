"""``analyse validate``: a summary and status 0 on a good file, every problem and status 2 on a
bad one, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from run_command import run_main
from survey_factory import as_text, build_survey, write_csv, write_text_csv, write_xlsx


@pytest.fixture
def survey(codebook):
    return build_survey(codebook, n=30, seed=5, unanswered_theme_rows=[(0, "cybersecurity")])


def run_module(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    """The real entry point, as a user runs it: ``python -m analyse ...``."""
    return subprocess.run(
        [sys.executable, "-m", "analyse", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=120,
    )


def test_good_file_end_to_end(tmp_path, survey, codebook):
    path = write_csv(survey, tmp_path / "enquête.csv", sep=";", decimal=",", encoding="cp1252")
    result = run_module("validate", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert str(path) in out
    assert "Rows: 30" in out
    assert "Excluded rows: 1" in out and "no answer in theme(s): cybersecurity" in out
    assert all(key in out for key in codebook.theme_keys)
    assert result.stderr == ""


def test_bad_file_end_to_end(tmp_path, survey):
    text = as_text(survey)
    text.loc[1, "population"] = "-3"
    text.loc[4, "resp_2"] = "beaucoup"
    path = write_text_csv(text.drop(columns=["collectivity_type"]), tmp_path / "bad.csv")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = run_module("validate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    err = result.stderr
    assert "3 problems found" in err
    assert f"{path}, column 'collectivity_type': required column is missing" in err
    assert f"{path}, row 3, column 'population': is negative (found '-3'" in err
    assert f"{path}, row 6, column 'resp_2'" in err
    assert "Traceback" not in err + result.stdout
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("absent.csv", None, "file not found"),
        ("s.docx", b"x", "unsupported file type"),
        ("s.csv", b"", "file is empty"),
    ],
)
def test_unreadable_files_end_to_end(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run_module("validate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_main_exits_0_with_a_summary(tmp_path, survey, monkeypatch, capsys):
    path = write_xlsx(survey, tmp_path / "s.xlsx")
    assert run_main(monkeypatch, "validate", path) == 0
    out = capsys.readouterr().out
    assert "Rows: 30" in out and "alpha" in out


def test_main_exits_2_listing_every_problem(tmp_path, survey, monkeypatch, capsys):
    text = as_text(survey)
    text.loc[0, "collectivity_type"] = "Métropole"
    text.loc[2, "siren"] = "123"
    path = write_text_csv(text, tmp_path / "s.csv")
    assert run_main(monkeypatch, "validate", path) == 2
    err = capsys.readouterr().err
    assert "2 problems found" in err
    assert "row 2, column 'collectivity_type'" in err and "did you mean 'metropole'?" in err
    assert "row 4, column 'siren'" in err
    assert "Traceback" not in err


def test_column_mapping_and_answer_labels_options(tmp_path, survey, codebook, monkeypatch, capsys):
    text = as_text(survey).rename(columns={"respondent_id": "Identifiant", "resp_1": "Q1"})
    text["Q1"] = (
        survey["resp_1"]
        .map({0: "Non", 1: "Peu", 2: "Plutôt", 3: "Oui"}, na_action="ignore")
        .astype(object)
        .fillna("")
    )
    path = write_text_csv(text, tmp_path / "s.csv", sep=";")
    columns = tmp_path / "columns.yaml"
    columns.write_text("respondent_id: Identifiant\nresp_1: Q1\n", encoding="utf-8")
    labels = tmp_path / "labels.yaml"
    labels.write_text("Non: 0\nPeu: 1\nPlutôt: 2\nOui: 3\n", encoding="utf-8")
    assert run_main(monkeypatch, "validate", path) == 2
    # without respondent_id rows are numbered by line; the renamed item is still missing
    assert "item column of the codebook is missing" in capsys.readouterr().err
    assert (
        run_main(
            monkeypatch,
            "validate",
            path,
            "--columns",
            columns,
            "--answer-labels",
            labels,
            "--codebook",
            codebook_path(),
        )
        == 0
    )
    assert "Rows: 30" in capsys.readouterr().out


def test_bad_mapping_file_exits_2(tmp_path, survey, monkeypatch, capsys):
    path = write_csv(survey, tmp_path / "s.csv")
    labels = tmp_path / "labels.yaml"
    labels.write_text("Non: 0\nOui: beaucoup\n", encoding="utf-8")
    assert run_main(monkeypatch, "validate", path, "--answer-labels", labels) == 2
    err = capsys.readouterr().err
    # the key is a label, not a column, and its line is given
    assert f"{labels}, line 2: answer label 'Oui': level is not a whole number" in err


def test_bad_codebook_path_exits_2(tmp_path, survey, monkeypatch, capsys):
    path = write_csv(survey, tmp_path / "s.csv")
    assert run_main(monkeypatch, "validate", path, "--codebook", tmp_path / "none.yaml") == 2
    assert "codebook file not found" in capsys.readouterr().err


def codebook_path():
    from analyse.paths import default_codebook_path

    return default_codebook_path()


# --- validate --params: the survey as a run sees it, and warnings -----------------------------


def _params_file(tmp_path, survey_path, **analysis) -> str:
    import yaml

    content = {
        "name": "check",
        "data": {"survey": str(survey_path), "codebook": str(codebook_path())},
        "analysis": {"bootstrap": 0, **analysis},
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return str(path)


def _ci_text():
    import pandas as pd

    from analyse.params import load_params
    from analyse.paths import project_root

    survey = load_params(project_root() / "params" / "ci.yaml").survey_path
    return pd.read_csv(survey, dtype=str, keep_default_na=False)


def test_validate_params_prints_the_runs_view_and_warnings(tmp_path, monkeypatch, capsys):
    text = _ci_text()
    text["siren"] = [f"2000{i:05d}" for i in range(len(text))]
    text.loc[9, "siren"] = text.loc[2, "siren"]  # one body answering twice: rows 4 and 11
    text["budget_per_capita"] = ["500", "800", "1200"] * (len(text) // 3) + ["500"] * (
        len(text) % 3
    )
    text["Poids"] = "1"
    path = tmp_path / "survey.csv"
    text.to_csv(path, index=False)
    params = _params_file(tmp_path, path, min_themes=6, weights={"column": "Poids"})
    assert run_main(monkeypatch, "validate", "--params", params) == 0
    out, err = capsys.readouterr()
    assert f"File: {path}" in out and f"Rows: {len(text)}" in out
    assert "Respondents in the model:" in out and "Weights: column Poids" in out
    assert "no answer in theme(s)" not in out  # min_themes 6 applied, as in the run
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, err
    assert f"SIREN {text.loc[2, 'siren']} answers 2 times (rows 4 and 11" in warnings[0]
    assert "model term 'budget' (from budget_per_capita) has 3 distinct values" in warnings[1]


def test_validate_params_exits_2_on_what_would_stop_the_run(tmp_path, monkeypatch, capsys):
    text = _ci_text()
    text["Poids"] = "1"
    text.loc[0, "Poids"] = "-2"
    path = tmp_path / "survey.csv"
    text.to_csv(path, index=False)
    params = _params_file(tmp_path, path, weights={"column": "Poids"})
    assert run_main(monkeypatch, "validate", "--params", params) == 2
    err = capsys.readouterr().err
    assert "row 2, column 'Poids'" in err and "is negative" in err
    assert "Traceback" not in err
    params = _params_file(tmp_path, path, min_themes=9)
    assert run_main(monkeypatch, "validate", "--params", params) == 2
    assert "analysis.min_themes is 9 but the codebook has 7 themes" in capsys.readouterr().err


def test_validate_needs_a_file_or_params_not_both(tmp_path, survey, monkeypatch, capsys):
    path = write_csv(survey, tmp_path / "s.csv")
    params = _params_file(tmp_path, path)
    assert run_main(monkeypatch, "validate") == 2
    assert "give either a survey file or --params, not neither" in capsys.readouterr().err
    assert run_main(monkeypatch, "validate", path, "--params", params) == 2
    assert "not both" in capsys.readouterr().err
    assert run_main(monkeypatch, "validate", "--params", params, "--columns", path) == 2
    assert "--columns cannot be combined with --params" in capsys.readouterr().err


def test_the_file_form_warns_too(tmp_path, survey, monkeypatch, capsys):
    twice = survey.copy()
    twice.loc[5, "siren"] = twice.loc[1, "siren"] = "200000172"
    path = write_csv(twice, tmp_path / "s.csv")
    assert run_main(monkeypatch, "validate", path) == 0
    out, err = capsys.readouterr()
    assert "Rows: 30" in out
    assert "warning: SIREN 200000172 answers 2 times (rows 3 and 7 of the survey file)" in err


def test_rows_left_out_counts_the_top_reasons_and_the_rest():
    import pandas as pd

    from analyse.stats.regression import rows_left_out

    reasons = ["a"] * 4 + ["b"] * 3 + ["c"] * 2 + ["d", "e"]
    scored = pd.DataFrame({"maturity_index": [float("nan")] * 11, "excluded_reason": reasons})
    assert rows_left_out(scored) == (
        "no row left in the model: 11 of the 11 rows excluded: 4 × a; 3 × b; 2 × c; "
        "2 more for 2 other reasons"
    )
    scored.loc[0, "excluded_reason"] = ""  # a row kept, lacking a term's value: not this case
    assert rows_left_out(scored) == ""


@pytest.mark.slow
def test_every_row_excluded_is_said_with_its_reasons_not_as_an_empty_column(
    tmp_path, monkeypatch, capsys
):
    """Issue 22: a type mapping left at null excludes every row; validate says so, with the
    reasons and their counts, never "column population is empty" (it is full)."""
    import yaml

    text = _ci_text()
    path = tmp_path / "survey.csv"
    text.to_csv(path, index=False)
    counts = text["collectivity_type"].value_counts()
    params = tmp_path / "params.yaml"
    content = {
        "name": "check",
        "data": {"survey": str(path), "type_labels": {t: None for t in counts.index}},
    }
    params.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    assert run_main(monkeypatch, "validate", "--params", params) == 2
    out, err = capsys.readouterr()
    n = len(text)
    said = f"no row left in the model: {n} of the {n} rows excluded: "
    assert f"No row left in the model: {n} of the {n} rows excluded: " in out
    assert said in err and "Traceback" not in err
    top = counts.index[0]
    assert f"{counts.iloc[0]} × type '{top}' is left out by the type-label mapping" in err
    if len(counts) > 3:
        others = int(counts.iloc[3:].sum())
        assert f"; {others} more for {len(counts) - 3} other reason" in err
    assert "is empty" not in out + err and "emptiest" not in err
