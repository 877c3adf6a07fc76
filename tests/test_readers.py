"""Reading files into raw text cells: formats, delimiters, encodings, row numbers, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from survey_factory import build_survey, write_parquet, write_sav, write_xlsx, xlsx_rows

from analyse.data.readers import (
    cell_text,
    column_letter,
    decode_text,
    detect_delimiter,
    read_raw,
)
from analyse.errors import InputError

HEADER = ["respondent_id", "collectivity_type", "population", "resp_1"]


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def lines(*rows: str, sep: str = ",") -> str:
    return "\n".join(sep.join(r.split("|")) for r in rows) + "\n"


def only_problem(exc: pytest.ExceptionInfo[InputError]):
    assert len(exc.value.problems) == 1, exc.value.problems
    return exc.value.problems[0]


# --- text files ---------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_detected_and_cells_stay_raw_text(tmp_path, sep):
    header = "respondent_id|collectivity_type|population|resp_1"
    text = lines(header, 'A|commune|1 234|"2,5"', sep=sep)
    path = write_bytes(tmp_path / "s.csv", text.encode())
    table = read_raw(path)
    assert list(table.frame.columns) == HEADER
    assert table.frame.iloc[0].tolist() == ["A", "commune", "1 234", "2,5"]


def test_detect_delimiter_honours_quotes_and_defaults_to_comma():
    assert detect_delimiter('"a;b",c,d\n1,2,3') == ","
    assert detect_delimiter("a;b;c\n1,5;2;3") == ";"
    assert detect_delimiter("single\n1\n") == ","


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
    ids=["utf8", "utf8-bom", "cp1252"],
)
def test_encodings_decode_to_the_same_cells(tmp_path, encoding, prefix):
    text = lines("respondent_id;Libellé;population", "A;Communauté d'agglomération;12", sep=";")
    path = write_bytes(tmp_path / "s.csv", prefix + text.encode(encoding))
    table = read_raw(path)
    assert list(table.frame.columns) == ["respondent_id", "Libellé", "population"]
    assert table.frame.loc[0, "Libellé"] == "Communauté d'agglomération"


def test_utf16_is_refused_with_a_clear_message(tmp_path):
    text = lines("respondent_id,population", "A,12")
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):
        path = write_bytes(tmp_path / "s.csv", data)
        with pytest.raises(InputError) as exc:
            read_raw(path)
        problem = only_problem(exc)
        assert problem.file == str(path)
        assert "UTF-16" in problem.message
        assert "UTF-8" in problem.expected


def test_binary_garbage_is_refused(tmp_path):
    path = write_bytes(tmp_path / "s.csv", bytes(range(256)) * 8)
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert "not a text file" in only_problem(exc).message


def test_control_characters_without_nul_are_refused(tmp_path):
    path = write_bytes(tmp_path / "s.txt", b"id,population\n\x02\x03,\x05\n")
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert "control character" in only_problem(exc).message


def test_bytes_undefined_in_cp1252_are_refused(tmp_path):
    path = write_bytes(tmp_path / "s.csv", b"id,population\n\x81\x8d,12\n")
    with pytest.raises(InputError) as exc:
        read_raw(path)
    problem = only_problem(exc)
    assert "not readable as UTF-8 or cp1252" in problem.message
    assert "Windows-1252" in problem.expected


def test_a_workbook_renamed_csv_is_recognised(tmp_path):
    write_xlsx(build_survey(n=2), tmp_path / "s.xlsx")
    path = write_bytes(tmp_path / "s.csv", (tmp_path / "s.xlsx").read_bytes())
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert "Excel .xlsx" in only_problem(exc).message


def test_decode_text_strips_bom_and_dos_eof():
    assert decode_text(b"\xef\xbb\xbfid\r\nA\r\n\x1a", "f") == "id\r\nA\r\n"


def test_blank_lines_are_dropped_but_row_numbers_kept(tmp_path):
    text = "respondent_id,population\nA,1\n\n ,  \nB,2\n\n"
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()))
    assert table.frame["respondent_id"].tolist() == ["A", "B"]
    assert table.rows.tolist() == [2, 5]


def test_leading_blank_lines_and_excel_sep_line(tmp_path):
    text = "\r\n  \r\nrespondent_id,population\r\nA,1\r\n"
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()))
    assert (table.header_row, table.rows.tolist()) == (3, [4])
    # Excel's "sep=" line names the delimiter and is hidden, so the header stays on row 1.
    text = "sep=;\nrespondent_id;name\nA;x, y\n"
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()))
    assert table.frame.to_dict("list") == {"respondent_id": ["A"], "name": ["x, y"]}
    assert (table.header_row, table.rows.tolist()) == (1, [2])


def test_crlf_quoted_fields_and_short_rows(tmp_path):
    text = 'respondent_id;name;population\r\n"A";"x; y";12\r\nB;z\r\n'
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()))
    assert table.frame.loc[0, "name"] == "x; y"
    assert table.frame.loc[1, "population"] == ""


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_old_mac_line_endings_read_like_any_other(tmp_path, encoding):
    """Lines ended by a lone CR (failed before: csv's "new-line character seen in unquoted
    field", a traceback and exit 1)."""
    text = 'respondent_id;name;population\r"A";"Évry; y";12\rB;z;7\r'
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode(encoding)))
    assert list(table.frame.columns) == ["respondent_id", "name", "population"]
    assert table.frame.loc[0, "name"] == "Évry; y"
    assert table.frame.loc[1, "population"] == "7"
    assert detect_delimiter("a;b;c\rd;e;f") == ";"


def test_a_row_with_too_many_fields_is_located(tmp_path):
    text = "\nrespondent_id;population\nA;12\nB;3;4\n"
    path = write_bytes(tmp_path / "s.csv", text.encode())
    with pytest.raises(InputError) as exc:
        read_raw(path)
    problem = only_problem(exc)
    assert problem.row == 4
    assert "3 fields but the header has 2" in problem.message
    assert "semicolon" in problem.expected


# --- refusals common to every format ------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputError) as exc:
        read_raw(path)
    problem = only_problem(exc)
    assert (problem.file, problem.message) == (str(path), "file not found")
    assert ".xlsx" in problem.expected


def test_a_file_that_cannot_be_opened(tmp_path, monkeypatch):
    path = write_bytes(tmp_path / "s.csv", b"respondent_id\nA\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # a text file is read whole (read_bytes) or, when plain UTF-8, in chunks (open)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert only_problem(exc).message == "cannot be read (Permission denied)"


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(InputError) as exc:
        read_raw(tmp_path)
    assert "not a file" in only_problem(exc).message


@pytest.mark.parametrize("name", ["s.xls", "s.json", "survey"])
def test_unknown_extension(tmp_path, name):
    path = write_bytes(tmp_path / name, b"respondent_id\nA\n")
    with pytest.raises(InputError) as exc:
        read_raw(path)
    problem = only_problem(exc)
    assert problem.message.startswith("unsupported file type")
    assert ".csv" in problem.expected and ".parquet" in problem.expected


@pytest.mark.parametrize("name", ["s.csv", "s.xlsx", "s.sav", "s.parquet"])
def test_zero_byte_file_is_empty(tmp_path, name):
    path = write_bytes(tmp_path / name, b"")
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert only_problem(exc).message == "file is empty (0 bytes)"


def test_blank_only_text_is_empty(tmp_path):
    with pytest.raises(InputError) as exc:
        read_raw(write_bytes(tmp_path / "s.csv", b"\r\n\r\n  \n"))
    assert "empty" in only_problem(exc).message


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "parquet"])
def test_header_only_file_has_no_data_rows(tmp_path, fmt, codebook):
    empty = build_survey(codebook, n=3).iloc[:0]
    path = tmp_path / f"s.{fmt}"
    if fmt == "csv":
        path.write_text(",".join(empty.columns) + "\n\n", encoding="utf-8")
    elif fmt == "xlsx":
        write_xlsx(empty, path)
    elif fmt == "sav":
        write_sav(empty.astype({c: "float64" for c in empty.columns[2:]}), path)
    else:
        write_parquet(empty, path)
    with pytest.raises(InputError) as exc:
        read_raw(path)
    assert "no data rows" in only_problem(exc).message


@pytest.mark.parametrize("name", ["s.xlsx", "s.sav", "s.parquet"])
def test_corrupt_binary_files_are_refused(tmp_path, name):
    path = write_bytes(tmp_path / name, b"this is not what the extension says" * 10)
    with pytest.raises(InputError) as exc:
        read_raw(path)
    problem = only_problem(exc)
    assert problem.message.startswith("not readable as")
    assert problem.file == str(path)


# --- spreadsheet and statistical formats --------------------------------------------------


def test_xlsx_rows_are_the_sheet_rows(tmp_path, codebook):
    survey = build_survey(codebook, n=5)
    path = write_xlsx(survey, tmp_path / "s.xlsx", header_row=3, blank_rows_after=[1])
    table = read_raw(path)
    assert table.header_row == 3
    assert (
        table.rows.tolist()
        == xlsx_rows(5, header_row=3, blank_rows_after=[1])
        == [
            4,
            5,
            7,
            8,
            9,
        ]
    )
    assert table.frame["respondent_id"].tolist() == survey["respondent_id"].tolist()


def test_xlsx_typed_cells_become_text(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["respondent_id", "population", "budget_per_capita", "strategy_adopted", "d"])
    sheet.append(["A", 1234.0, 1741.5, True, dt.date(2025, 3, 1)])
    sheet.append([7, None, 3, False, "x"])
    workbook.save(tmp_path / "s.xlsx")
    frame = read_raw(tmp_path / "s.xlsx").frame
    assert frame.iloc[0].tolist() == ["A", "1234", "1741.5", "1", "2025-03-01T00:00:00"]
    assert frame.iloc[1].tolist() == ["7", "", "3", "0", "x"]


def test_sav_gives_codes_not_value_labels(tmp_path, codebook):
    survey = build_survey(codebook, n=4)
    table = read_raw(write_sav(survey, tmp_path / "s.sav", codebook))
    expected = survey["resp_2"].astype("string").fillna("").tolist()
    assert table.frame["resp_2"].tolist() == expected
    assert table.frame["population"].tolist() == survey["population"].astype(str).tolist()
    assert table.rows.tolist() == [2, 3, 4, 5]


def test_parquet_typed_columns_become_text(tmp_path):
    frame = pd.DataFrame(
        {
            "respondent_id": pd.array(["A", None], dtype="string"),
            "population": pd.array([12, None], dtype="Int64"),
            "budget_per_capita": [3.25, np.nan],
            "strategy_adopted": [True, False],
        }
    )
    table = read_raw(write_parquet(frame, tmp_path / "s.parquet"))
    assert table.frame.to_dict("list") == {
        "respondent_id": ["A", ""],
        "population": ["12", ""],
        "budget_per_capita": ["3.25", ""],
        "strategy_adopted": ["1", "0"],
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (np.nan, ""),
        (pd.NA, ""),
        (3, "3"),
        (np.int64(3), "3"),
        (3.0, "3"),
        (2.5, "2.5"),
        (np.float64(0.1), "0.1"),
        (1e20, "1e+20"),
        (True, "1"),
        (" x ", " x "),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_column_letter():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


# --- header: mapping, duplicates, labels --------------------------------------------------


def test_column_mapping_renames_on_read(tmp_path):
    text = lines("Identifiant|Type|Pop|Commentaire", "A|commune|12|ok")
    table = read_raw(
        write_bytes(tmp_path / "s.csv", text.encode()),
        columns={"respondent_id": "Identifiant", "collectivity_type": "Type", "population": "Pop"},
    )
    assert list(table.frame.columns) == [
        "respondent_id",
        "collectivity_type",
        "population",
        "Commentaire",
    ]
    assert table.problems == []


def test_mapped_column_absent_names_both_names(tmp_path):
    path = write_bytes(tmp_path / "s.csv", lines("Identifiant|Pop", "A|12").encode())
    table = read_raw(path, columns={"respondent_id": "Identifiant", "population": "Popul"})
    [problem] = table.problems
    assert problem.column == "population"
    assert "'Popul'" in problem.message and "'population'" in problem.message
    assert "did you mean 'Pop'?" in problem.message
    assert problem.file == str(path)


def test_one_file_column_feeds_two_canonical_names(tmp_path):
    path = write_bytes(tmp_path / "s.csv", lines("Nom|Pop", "Ville A|12", "Ville B|13").encode())
    table = read_raw(path, columns={"name": "Nom", "respondent_id": "Nom"})
    assert table.problems == []
    assert table.frame["name"].tolist() == ["Ville A", "Ville B"]
    assert table.frame["respondent_id"].tolist() == ["Ville A", "Ville B"]


def test_duplicated_relevant_header_is_a_problem_ignored_one_is_not(tmp_path):
    text = lines("respondent_id|population|note|population|note", "A|12|x|13|y")
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()))
    [problem] = table.problems
    assert problem.column == "population"
    assert "2 columns named 'population'" in problem.message
    assert "B, D" in problem.message


def test_mapping_onto_an_existing_name_is_a_duplicate(tmp_path):
    text = lines("respondent_id|population|Pop", "A|12|13")
    table = read_raw(write_bytes(tmp_path / "s.csv", text.encode()), columns={"population": "Pop"})
    [problem] = table.problems
    assert "after applying the column mapping" in problem.message


def test_answer_labels_apply_to_item_columns_only(tmp_path):
    text = lines(
        "respondent_id|strategy_adopted|resp_1|resp_2", "A|Oui| oui |NON", "B|1|2|Peut-être"
    )
    table = read_raw(
        write_bytes(tmp_path / "s.csv", text.encode()),
        answer_labels={"Oui": 3, "non": 0},
        item_columns=["resp_1", "resp_2"],
    )
    assert table.frame["resp_1"].tolist() == ["3", "2"]
    assert table.frame["resp_2"].tolist() == ["0", "Peut-être"]
    assert table.frame["strategy_adopted"].tolist() == ["Oui", "1"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "parquet"])
def test_reading_leaves_the_file_untouched(tmp_path, fmt, codebook):
    survey = build_survey(codebook, n=5)
    path = tmp_path / f"s.{fmt}"
    {
        "csv": lambda: survey.to_csv(path, index=False),
        "xlsx": lambda: write_xlsx(survey, path),
        "sav": lambda: write_sav(survey, path, codebook),
        "parquet": lambda: write_parquet(survey, path),
    }[fmt]()
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_raw(
        path,
        columns={"respondent_id": "respondent_id"},
        answer_labels={"x": 1},
        item_columns=codebook.item_columns,
    )
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
