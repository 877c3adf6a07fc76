"""Wide and long-headed survey files (issue 21, items 6 and 7).

An export may carry thousands of columns the analysis ignores (free texts, one column per option
of a multiple choice), and its header line may then exceed the 131,072 characters the ``csv``
module accepts in a field. Time is measured by benchmarks/wide_files.py (linear in the columns),
never here: these tests check that such files are read, cell for cell, and validate.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from run_command import run_main

from analyse.data.codebook import load_codebook
from analyse.data.loading import load_survey
from analyse.data.readers import detect_delimiter, read_raw
from analyse.paths import project_root

SYNTHETIC = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"


def extra_cell(row: int, j: int) -> str:
    """The text of extra column ``j`` on data row ``row``: every third column repeats three
    texts (read as a categorical), the others hold one text per row (read as strings), and
    some cells are empty."""
    if j % 3 == 0:
        return f"choix {row % 3}"
    if (row + j) % 7 == 0:
        return ""
    return f"texte {row} {j}"


def wide_copy(path: Path, extra: int, sep: str = ",", name=None) -> list[str]:
    """The synthetic survey with ``extra`` text columns after its own; returns their names.
    ``name(j)`` names column ``j`` (``commentaire_j`` by default)."""
    header, *lines = SYNTHETIC.read_text(encoding="utf-8").splitlines()
    names = [name(j) if name else f"commentaire_{j}" for j in range(extra)]
    out = [sep.join(header.split(",") + names)]
    for row, line in enumerate(lines):
        out.append(sep.join(line.split(",") + [extra_cell(row, j) for j in range(extra)]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return names


@pytest.mark.slow  # 3,000 columns: several seconds (the time itself: benchmarks/wide_files.py)
def test_a_file_of_3000_extra_columns_reads_cell_for_cell_and_loads_as_the_narrow_one(tmp_path):
    """Before: minutes (each raw column popped out of the parsed table one by one rebuilt its
    list of blocks: quadratic in the columns). The wide file gives every cell as written, in
    the file's order, and the same loaded survey as the file without the extra columns."""
    path = tmp_path / "wide.csv"
    names = wide_copy(path, 3000)
    frame = read_raw(path).frame
    assert list(frame.columns)[36:] == names and frame.shape == (56, 3036)
    plain = pd.read_csv(path, dtype=str, keep_default_na=False)
    for position in [0, 7, 36, 37, 38, 1000, 2001, 3035]:
        cells = frame.iloc[:, position].astype(str).tolist()
        assert cells == plain.iloc[:, position].tolist(), position
    assert isinstance(frame.iloc[:, 36].dtype, pd.CategoricalDtype)  # "choix": three texts
    assert not isinstance(frame.iloc[:, 37].dtype, pd.CategoricalDtype)  # one text per row
    codebook = load_codebook()
    pd.testing.assert_frame_equal(load_survey(path, codebook), load_survey(SYNTHETIC, codebook))


def test_a_wide_file_with_blank_rows_and_repeated_headers_validates(tmp_path, monkeypatch, capsys):
    """Blank rows are dropped from the wide table and the others keep their row numbers;
    headers repeated among the ignored columns are harmless."""
    path = tmp_path / "wide.csv"
    wide_copy(path, 600, name=lambda j: "Autre (précisez)" if j % 2 else f"q{j}")
    lines = path.read_text(encoding="utf-8").splitlines()
    blank = "," * (lines[0].count(","))
    path.write_text("\n".join([lines[0], blank, *lines[1:3], blank, *lines[3:]]) + "\n", "utf-8")
    table = read_raw(path)
    assert len(table.frame) == 56 and table.rows[:3].tolist() == [3, 4, 6]
    assert run_main(monkeypatch, "validate", path) == 0
    assert "Rows: 56" in capsys.readouterr().out


# --- a header longer than the csv module's field limit (131,072 characters) ----------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_a_header_longer_than_the_csv_field_limit_is_read(tmp_path, monkeypatch, capsys, sep):
    """Before: ``_csv.Error: field larger than field limit (131072)`` from ``detect_delimiter``
    (split on a wrong delimiter the header is one field), exit 1 with a traceback."""
    path = tmp_path / "long_header.csv"
    question = "Précisez votre réponse à la question ouverte suivante en quelques mots " * 2
    wide_copy(path, 1000, sep=sep, name=lambda j: f"{question}({j})")
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert len(first) > csv.field_size_limit()
    assert detect_delimiter(first + "\n") == sep
    assert csv.field_size_limit() == 131_072  # raised for the split only, then put back
    assert run_main(monkeypatch, "validate", path) == 0
    out, err = capsys.readouterr()
    assert "Rows: 56" in out and "Traceback" not in err


def test_a_column_name_longer_than_the_csv_field_limit_is_read(tmp_path, monkeypatch, capsys):
    """One header of 200,000 characters, in a cp1252 file (decoded in memory: the other path to
    the delimiter) and in a plain UTF-8 one."""
    header, *lines = SYNTHETIC.read_text(encoding="utf-8").splitlines()
    long_name = "é" * 200_000
    text = "\n".join([f"{header};{long_name}"] + [f"{line};x" for line in lines]) + "\n"
    text = text.replace(",", ";")
    for encoding in ("cp1252", "utf-8"):
        path = tmp_path / f"long_name_{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        table = read_raw(path)
        assert list(table.frame.columns)[-1] == long_name
        assert run_main(monkeypatch, "validate", path) == 0
        out, err = capsys.readouterr()
        assert "Rows: 56" in out and "Traceback" not in err
