"""Loading and checking surveys: typed round trips, and one located problem per malformation."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from survey_factory import (
    as_text,
    build_survey,
    with_extra_columns,
    write_csv,
    write_parquet,
    write_sav,
    write_text_csv,
    write_xlsx,
    xlsx_rows,
)

from analyse.data.cell_problems import MAX_PROBLEMS_PER_COLUMN
from analyse.data.contract import EXPECTED
from analyse.data.loading import item_dtype, load_survey, suggest_collectivity_type, summarize
from analyse.data.mapping_files import read_answer_labels, read_column_mapping
from analyse.data.numbers import parse_numbers
from analyse.errors import InputError, Problem

LEVELS = "an answer level among 0, 1, 2, 3, or empty"
EXPECTED_DTYPES = {
    "respondent_id": "string",
    "collectivity_type": "string",
    "population": "Int64",
    "budget_per_capita": "float64",
    "digital_staff_fte": "float64",
    "elected_digital_lead": "Int64",
    "strategy_adopted": "Int64",
    "siren": "string",
    "edition": "Int64",
}


@pytest.fixture
def survey(codebook):
    """A survey as the loader types it: items in the codebook's small integer dtype."""
    built = build_survey(codebook, n=24, seed=3)
    return built.astype(dict.fromkeys(codebook.item_columns, item_dtype(codebook)))


def problems_of(path: Path, codebook, **kwargs) -> list[Problem]:
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, **kwargs)
    return exc.value.problems


def damaged_csv(tmp_path: Path, survey: pd.DataFrame, changes: dict) -> Path:
    """The survey as CSV text with ``{(row index, column): raw text}`` replaced."""
    text = as_text(survey)
    for (i, column), value in changes.items():
        text.loc[i, column] = value
    return write_text_csv(text, tmp_path / "survey.csv")


# --- good files ---------------------------------------------------------------------------


WRITERS = {
    "csv": lambda df, d, cb: write_csv(df, d / "s.csv"),
    "csv-bom": lambda df, d, cb: write_csv(df, d / "s.csv", bom=True),
    "csv-french": lambda df, d, cb: write_csv(
        df, d / "s.csv", sep=";", decimal=",", encoding="cp1252"
    ),
    "tsv": lambda df, d, cb: write_csv(df, d / "s.tsv", sep="\t"),
    "txt-semicolon": lambda df, d, cb: write_csv(df, d / "s.txt", sep=";", decimal=","),
    "xlsx": lambda df, d, cb: write_xlsx(df, d / "s.xlsx", header_row=2, blank_rows_after=[3]),
    "sav": lambda df, d, cb: write_sav(df, d / "s.sav", cb),
    "parquet": lambda df, d, cb: write_parquet(df, d / "s.parquet"),
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_round_trip_gives_the_same_typed_frame(tmp_path, codebook, survey, fmt):
    path = WRITERS[fmt](survey, tmp_path, codebook)
    loaded = load_survey(path, codebook)
    pd.testing.assert_frame_equal(loaded, survey)


def test_dtypes_and_column_order(tmp_path, codebook, survey):
    loaded = load_survey(write_csv(survey, tmp_path / "s.csv"), codebook)
    assert list(loaded.columns) == list(EXPECTED_DTYPES) + codebook.item_columns
    assert {c: str(loaded[c].dtype) for c in EXPECTED_DTYPES} == EXPECTED_DTYPES
    assert {str(loaded[c].dtype) for c in codebook.item_columns} == {"Int8"}  # levels 0-3
    assert isinstance(loaded.index, pd.RangeIndex)


def test_french_office_csv_equals_utf8_comma_csv(tmp_path, codebook, survey):
    extra = {
        "Nom de la collectivité": ["Communauté d'agglomération du Pays Basque"] * len(survey),
        "Commentaire": ["Élu référent nommé en 2024; à suivre"] * len(survey),
    }
    rich = with_extra_columns(survey, extra)
    utf8 = write_csv(rich, tmp_path / "utf8.csv")
    french = write_csv(rich, tmp_path / "french.csv", sep=";", decimal=",", encoding="cp1252")
    raw = french.read_bytes()
    assert b";" in raw and "é".encode("cp1252") in raw and "é".encode() not in raw
    assert any("," in cell for cell in raw.decode("cp1252").splitlines()[1].split(";")[3:5])
    pd.testing.assert_frame_equal(load_survey(french, codebook), load_survey(utf8, codebook))
    pd.testing.assert_frame_equal(load_survey(french, codebook), survey)


def test_extra_columns_are_ignored(tmp_path, codebook, survey):
    rich = with_extra_columns(survey, {"score_total": "n/a", "Unnamed": "", "resp_99": "9"})
    loaded = load_survey(write_csv(rich, tmp_path / "s.csv"), codebook)
    pd.testing.assert_frame_equal(loaded, survey)


def test_absent_optional_columns_are_not_added(tmp_path, codebook, survey):
    lean = survey.drop(columns=["digital_staff_fte", "siren", "edition"])
    loaded = load_survey(write_csv(lean, tmp_path / "s.csv"), codebook)
    assert "siren" not in loaded.columns and "edition" not in loaded.columns
    pd.testing.assert_frame_equal(loaded, lean)


def test_empty_optional_cells_and_unanswered_items_are_missing(tmp_path, codebook, survey):
    text = as_text(survey)
    text.loc[0, ["digital_staff_fte", "elected_digital_lead", "siren", "edition"]] = ""
    text.loc[0, "resp_1"] = "  "
    loaded = load_survey(write_text_csv(text, tmp_path / "s.csv"), codebook)
    assert (
        loaded.loc[0, ["digital_staff_fte", "elected_digital_lead", "siren", "edition", "resp_1"]]
        .isna()
        .all()
    )


def test_numbers_as_french_tools_write_them(tmp_path, codebook, survey):
    text = as_text(survey)
    text.loc[0, ["population", "budget_per_capita", "digital_staff_fte"]] = [
        "12 345",
        "1\u202f234,5",
        "3,5",
    ]
    text.loc[1, ["population", "budget_per_capita", "resp_1", "siren"]] = [
        "1\u00a0234\u00a0567",
        " 987.25 ",
        "2.0",
        "213 100 125",
    ]
    loaded = load_survey(write_text_csv(text, tmp_path / "s.csv", sep=";"), codebook)
    assert loaded.loc[0, "population"] == 12345
    assert loaded.loc[0, "budget_per_capita"] == 1234.5
    assert loaded.loc[0, "digital_staff_fte"] == 3.5
    assert loaded.loc[1, "population"] == 1234567
    assert loaded.loc[1, "budget_per_capita"] == 987.25
    assert loaded.loc[1, "resp_1"] == 2
    assert loaded.loc[1, "siren"] == "213100125"


def test_parse_numbers_is_strict_about_ambiguous_text():
    cells = ["1,5", "1.5", "1 234", "12 34", "1.234,5", "1e3", "inf", "", "-0"]
    n = parse_numbers(pd.Series(cells))
    assert n.is_number.tolist() == [True, True, True, False, False, True, False, False, True]
    assert n.values.iloc[[0, 1, 2, 5]].tolist() == [1.5, 1.5, 1234.0, 1000.0]


def test_column_mapping(tmp_path, codebook, survey):
    renamed = survey.rename(
        columns={"respondent_id": "Identifiant", "population": "Population", "resp_1": "Q1"}
    )
    mapping = {"respondent_id": "Identifiant", "population": "Population", "resp_1": "Q1"}
    loaded = load_survey(write_csv(renamed, tmp_path / "s.csv"), codebook, columns=mapping)
    pd.testing.assert_frame_equal(loaded, survey)


def test_answer_labels(tmp_path, codebook, survey):
    names = {0: "Non", 1: "Un peu", 2: "Plutôt", 3: "Oui"}
    text = as_text(survey)
    for item in codebook.item_columns:
        text[item] = survey[item].map(names, na_action="ignore").astype(object).fillna("")
    text.loc[0, "resp_1"] = "  oui "
    text.loc[1, "resp_1"] = "2"  # numbers stay numbers
    expected = survey.copy()
    expected.loc[0, "resp_1"] = 3
    expected.loc[1, "resp_1"] = 2
    labels = {"Oui": 3, "plutôt": 2, "UN PEU": 1, "non": 0}
    loaded = load_survey(write_text_csv(text, tmp_path / "s.csv"), codebook, answer_labels=labels)
    pd.testing.assert_frame_equal(loaded, expected)


def test_answer_labels_do_not_reach_binary_columns(tmp_path, codebook, survey):
    path = damaged_csv(tmp_path, survey, {(2, "strategy_adopted"): "Oui"})
    [problem] = problems_of(path, codebook, answer_labels={"Oui": 1})
    assert (problem.row, problem.column, problem.value) == (4, "strategy_adopted", "Oui")


def test_sav_value_labels_via_answer_labels(tmp_path, codebook, survey):
    text_items = survey.copy()
    names = {lv.value: lv.label_fr for lv in codebook.levels}
    for item in codebook.item_columns:
        text_items[item] = survey[item].map(names, na_action="ignore").astype("string")
    path = write_sav(text_items, tmp_path / "s.sav")
    labels = {lv.label_fr: lv.value for lv in codebook.levels}
    pd.testing.assert_frame_equal(load_survey(path, codebook, answer_labels=labels), survey)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_input_file_is_never_modified(tmp_path, codebook, survey, fmt):
    good = WRITERS[fmt](survey, tmp_path, codebook)
    bad = damaged_csv(tmp_path, survey, {(0, "population"): "-1"})
    for path in (good, bad):
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        with contextlib.suppress(InputError):
            load_survey(path, codebook)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# --- one malformed cell, one located problem ----------------------------------------------


CELL_CASES = [
    # (id, column, bad value, message fragment, expected)
    ("negative-population", "population", "-5", "is negative", EXPECTED["int_pos"]),
    ("zero-population", "population", "0", "is zero", EXPECTED["int_pos"]),
    ("fractional-population", "population", "12.5", "is not a whole number", EXPECTED["int_pos"]),
    (
        "fractional-population-comma",
        "population",
        "12,5",
        "is not a whole number",
        EXPECTED["int_pos"],
    ),
    ("text-population", "population", "beaucoup", "is not a number", EXPECTED["int_pos"]),
    ("empty-population", "population", "", "is empty", EXPECTED["int_pos"]),
    ("text-budget", "budget_per_capita", "abc", "is not a number", EXPECTED["float_pos"]),
    ("zero-budget", "budget_per_capita", "0", "is zero", EXPECTED["float_pos"]),
    ("negative-budget", "budget_per_capita", "-3,5", "is negative", EXPECTED["float_pos"]),
    ("blank-population", "population", " ", "is empty", EXPECTED["int_pos"]),
    ("negative-staff", "digital_staff_fte", "-1", "is negative", EXPECTED["float_nonneg"]),
    ("binary-two", "elected_digital_lead", "2", "is neither 0 nor 1", EXPECTED["binary"]),
    ("binary-oui", "strategy_adopted", "oui", "is neither 0 nor 1", EXPECTED["binary"]),
    ("short-siren", "siren", "12345", "is not 9 (or 14) digits", EXPECTED["siren"]),
    ("letter-siren", "siren", "21310012A", "is not 9 (or 14) digits", EXPECTED["siren"]),
    ("old-edition", "edition", "1800", "is not a plausible year", EXPECTED["year"]),
    ("fractional-edition", "edition", "2025.5", "is not a whole number", EXPECTED["year"]),
    (
        "unknown-type",
        "collectivity_type",
        "syndicat",
        "is not a known collectivity type",
        EXPECTED["type"] + ", or an entry 'syndicat: <type>' in data.type_labels (epci for an "
        "EPCI whose legal type comes from the reference frame, null to leave those rows out)",
    ),
    ("empty-type", "collectivity_type", "", "is empty", EXPECTED["type"]),
    ("empty-id", "respondent_id", "", "is empty", EXPECTED["string"]),
    ("fractional-level", "resp_2", "2.5", "is not a whole number", LEVELS),
    (
        "text-level",
        "cyber_3",
        "beaucoup",
        "text answer in 1 cell(s) of column(s) cyber_3 has no level in the answer-label mapping",
        "an entry 'beaucoup: <level>' in data.answer_labels (an answer level among 0, 1, 2, 3), "
        "or null for a non-answer",
    ),
    ("level-too-high", "data_4", "4", "is not a level of the codebook", LEVELS),
    ("level-negative", "incl_1", "-1", "is not a level of the codebook", LEVELS),
]


@pytest.mark.parametrize(
    ("column", "value", "message", "expected"),
    [case[1:] for case in CELL_CASES],
    ids=[case[0] for case in CELL_CASES],
)
def test_each_malformed_cell_is_located(
    tmp_path, codebook, survey, column, value, message, expected
):
    path = damaged_csv(tmp_path, survey, {(5, column): value})
    [problem, *way_out] = problems_of(path, codebook)
    # an empty population is followed by one problem saying how to go on without it
    assert [p.message.split(":")[0] for p in way_out] == (
        ["1 row(s) have an empty population"]
        if (column, message) == ("population", "is empty")
        else []
    )
    assert problem.file == str(path)
    assert problem.row == 7  # data row index 5, under a header on row 1
    assert problem.column == column
    assert problem.value == value
    assert message in problem.message
    assert problem.expected == expected
    assert f"row 7, column {column!r}" in str(problem)


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("Métropole", "metropole"),
        ("COMMUNE", "commune"),
        ("cc", "CC"),
        ("Département", "departement"),
        ("Communauté d'agglomération", "CA"),
        ("communaute urbaine", "CU"),
        ("regoin", "region"),
    ],
)
def test_collectivity_type_is_strict_but_suggests(tmp_path, codebook, survey, value, suggestion):
    assert suggest_collectivity_type(value) == suggestion
    path = damaged_csv(tmp_path, survey, {(0, "collectivity_type"): value})
    [problem] = problems_of(path, codebook)
    assert problem.row == 2 and problem.value == value
    assert f"did you mean {suggestion!r}?" in problem.message


def test_type_with_surrounding_spaces_is_accepted(tmp_path, codebook, survey):
    path = damaged_csv(tmp_path, survey, {(0, "collectivity_type"): "  EPT "})
    assert load_survey(path, codebook).loc[0, "collectivity_type"] == "EPT"


def test_duplicate_ids_name_the_first_occurrence(tmp_path, codebook, survey):
    first = survey.loc[1, "respondent_id"]
    path = damaged_csv(
        tmp_path, survey, {(4, "respondent_id"): first, (9, "respondent_id"): f" {first} "}
    )
    problems = problems_of(path, codebook)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (6, "respondent_id", first),
        (11, "respondent_id", f" {first} "),
    ]
    assert all("repeats the respondent_id of row 3" in p.message for p in problems)
    assert all(p.expected == EXPECTED["string"] for p in problems)


def test_xlsx_problems_give_the_sheet_row(tmp_path, codebook, survey):
    damaged = survey.astype({"population": "float64"})
    damaged.loc[4, "population"] = 12.5
    path = write_xlsx(damaged, tmp_path / "s.xlsx", header_row=3, blank_rows_after=[0, 2])
    [problem] = problems_of(path, codebook)
    assert problem.row == xlsx_rows(len(survey), 3, [0, 2])[4] == 10
    assert problem.value == "12.5"


# --- structural problems ------------------------------------------------------------------


def test_missing_required_column(tmp_path, codebook, survey):
    path = write_csv(survey.drop(columns=["population"]), tmp_path / "s.csv")
    [problem] = problems_of(path, codebook)
    assert (problem.row, problem.column) == (None, "population")
    assert problem.message.startswith("required column is missing")
    assert "population" in problem.expected


def test_missing_required_column_points_at_a_near_header(tmp_path, codebook, survey):
    path = write_csv(survey.rename(columns={"population": "Population"}), tmp_path / "s.csv")
    [problem] = problems_of(path, codebook)
    assert problem.column == "population"
    assert "the file has a column 'Population'" in problem.message


def test_missing_item_column(tmp_path, codebook, survey):
    path = write_csv(survey.drop(columns=["user_3", "data_1"]), tmp_path / "s.csv")
    problems = problems_of(path, codebook)
    assert [(p.column, p.row) for p in problems] == [("user_3", None), ("data_1", None)]
    assert all(p.message == "item column of the codebook is missing" for p in problems)
    assert "'user_services'" in problems[0].expected


def test_duplicated_column_header(tmp_path, codebook, survey):
    doubled = pd.concat([survey, survey[["resp_1"]]], axis=1)
    path = write_csv(doubled, tmp_path / "s.csv")
    [problem] = problems_of(path, codebook)
    assert problem.column == "resp_1"
    assert "2 columns named 'resp_1'" in problem.message


def test_mapped_column_absent(tmp_path, codebook, survey):
    path = write_csv(survey.rename(columns={"population": "Pop"}), tmp_path / "s.csv")
    problems = problems_of(path, codebook, columns={"population": "Population"})
    assert [p.column for p in problems] == ["population", "population"]
    assert "'Population'" in problems[0].message and "'population'" in problems[0].message
    assert problems[1].message.startswith("required column is missing")


def test_mapping_naming_an_unknown_column(tmp_path, codebook, survey):
    path = write_csv(survey, tmp_path / "s.csv")
    [problem] = problems_of(path, codebook, columns={"populaton": "population"})
    assert problem.column == "populaton"
    assert "neither in the contract nor in the codebook" in problem.message


def test_answer_label_with_an_invalid_level(tmp_path, codebook, survey):
    path = write_csv(survey, tmp_path / "s.csv")
    problems = problems_of(path, codebook, answer_labels={"Oui": 7, "Non": 0, " non ": 1})
    assert [p.value for p in problems] == ["7", "0 and 1"]
    assert "among 0, 1, 2, 3" in problems[0].expected


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "file is empty (0 bytes)"),
        (b"respondent_id,collectivity_type,population\n", "no data rows"),
        ("respondent_id,population\nA,1\n".encode("utf-16"), "UTF-16"),
        (bytes(range(256)), "not a text file"),
    ],
    ids=["empty", "header-only", "utf16", "binary"],
)
def test_unreadable_files(tmp_path, codebook, content, fragment):
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    [problem] = problems_of(path, codebook)
    assert problem.file == str(path)
    assert fragment in problem.message
    assert problem.expected


def test_missing_file_and_unknown_extension(tmp_path, codebook):
    [missing] = problems_of(tmp_path / "absent.csv", codebook)
    assert missing.message == "file not found"
    (tmp_path / "s.ods").write_bytes(b"x")
    [unknown] = problems_of(tmp_path / "s.ods", codebook)
    assert "'.ods'" in unknown.message


# --- every problem at once, but not a flood -----------------------------------------------


def test_every_problem_is_reported_in_one_error(tmp_path, codebook, survey):
    path = damaged_csv(
        tmp_path,
        survey.drop(columns=["agent_2"]),
        {
            (0, "population"): "-5",
            (1, "budget_per_capita"): "abc",
            (2, "resp_1"): "9",
            (3, "collectivity_type"): "Métropole",
            (4, "respondent_id"): survey.loc[0, "respondent_id"],
            (5, "siren"): "1",
        },
    )
    problems = problems_of(path, codebook)
    assert [(p.row, p.column) for p in problems] == [
        (None, "agent_2"),
        (6, "respondent_id"),
        (5, "collectivity_type"),
        (2, "population"),
        (3, "budget_per_capita"),
        (7, "siren"),
        (4, "resp_1"),
    ]


def test_problems_are_capped_per_column(tmp_path, codebook):
    survey = build_survey(codebook, n=120, seed=1)
    text = as_text(survey)
    text["population"] = "-1"
    text.loc[:9, "resp_1"] = "x"
    problems = problems_of(write_text_csv(text, tmp_path / "s.csv"), codebook)
    population = [p for p in problems if p.column == "population"]
    assert len(population) == MAX_PROBLEMS_PER_COLUMN + 1
    assert [p.row for p in population[:-1]] == list(range(2, 2 + MAX_PROBLEMS_PER_COLUMN))
    assert population[-1].row is None
    assert population[-1].message.startswith("and 100 more rows")
    # ten cells with the same text answer: one problem to fix, with its count
    [label] = [p for p in problems if p.column == "resp_1"]
    assert "text answer in 10 cell(s)" in label.message and label.value == "x"


# --- mapping files and summary ------------------------------------------------------------


def test_mapping_files_keep_yaml_words_as_text(tmp_path):
    labels = tmp_path / "labels.yaml"
    labels.write_text("Oui: 3\nNo: 0\n'Plutôt oui': 2\noff: 1\n", encoding="utf-8")
    assert read_answer_labels(labels) == {"Oui": 3, "No": 0, "Plutôt oui": 2, "off": 1}
    columns = tmp_path / "columns.yaml"
    columns.write_text("respondent_id: Identifiant\nsiren: 01\n", encoding="utf-8")
    assert read_column_mapping(columns) == {"respondent_id": "Identifiant", "siren": "01"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Oui: beaucoup\n", "level is not a whole number"),
        ("- a\n- b\n", "not a mapping"),
        ("Oui: [1, 2]\n", "not a single name or number"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_answer_label_files(tmp_path, text, fragment):
    path = tmp_path / "labels.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_answer_labels(path)
    assert fragment in exc.value.problems[0].message
    # the file, and the line when the problem is one key's ("Oui: beaucoup")
    assert exc.value.problems[0].file.removesuffix(", line 1") == str(path)


def test_summary_counts_exclusions_and_alpha(codebook):
    survey = build_survey(
        codebook,
        n=60,
        seed=2,
        unanswered_theme_rows=[(0, "compliance"), (1, "compliance"), (2, "data_ai")],
    )
    summary = summarize(survey, codebook, file="s.csv")
    assert summary.rows == 60
    assert summary.excluded == 3 and summary.included == 57
    assert summary.exclusion_reasons == {
        "no answer in theme(s): compliance": 2,
        "no answer in theme(s): data_ai": 1,
    }
    assert summary.reliability["theme"].tolist() == codebook.theme_keys
    assert np.isfinite(summary.reliability["alpha"]).all()
    assert (summary.reliability["alpha"] > 0.5).all()
    text = summary.render()
    assert "File: s.csv" in text and "Rows: 60" in text and "Excluded rows: 3" in text
    assert "      2  no answer in theme(s): compliance" in text
    assert all(key in text for key in codebook.theme_keys)


def test_an_unknown_type_value_is_one_problem_with_its_count(tmp_path, codebook, survey):
    """ "Autre" on every row of its kind is one line of the type-label mapping to write."""
    path = damaged_csv(tmp_path, survey, {(i, "collectivity_type"): "Autre" for i in (2, 5, 9)})
    [problem] = problems_of(path, codebook)
    assert problem.value == "Autre" and problem.row is None
    assert "(3 row(s), first on row 4)" in problem.message
    assert "data.type_labels" in problem.expected
