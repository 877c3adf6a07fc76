"""Survey files that are not what they seem: an executable, UTF-32 text, a device, a named
pipe, a zip bomb, a workbook whose formulas were saved without values. Each is refused with a
message that says what the file is, with exit status 2, before anything is computed."""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from run_command import run_main
from survey_factory import as_text, build_survey, write_text_csv, write_xlsx

from analyse.data import readers
from analyse.data.readers import read_raw
from analyse.errors import InputError

CSV = "respondent_id,population\nA,12\nB,300\n"


def message(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        read_raw(path)
    (problem,) = exc.value.problems
    return problem.message


@pytest.fixture
def survey(codebook):
    return build_survey(codebook, n=20, seed=3)


# --- what a file is -----------------------------------------------------------------------


def test_an_executable_is_not_called_utf16(tmp_path):
    """Before: "encoded in UTF-16" (an ELF binary is full of NUL bytes)."""
    path = tmp_path / "s.csv"
    shutil.copyfile(shutil.which("true") or "/bin/true", path)
    text = message(path)
    assert "not a text file" in text and "ELF" in text and "UTF-16" not in text


def test_binary_with_many_nul_bytes_is_not_called_utf16(tmp_path):
    """Before: a file of small 16-bit integers (a NUL byte every other byte, the other bytes
    control codes, not text) was "encoded in UTF-16"."""
    path = tmp_path / "s.csv"
    path.write_bytes(b"".join(i.to_bytes(2, "little") for i in list(range(1, 32)) * 8))
    text = message(path)
    assert "not a text file" in text and "UTF-16" not in text


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_is_named(tmp_path, encoding):
    """Before: "encoded in UTF-16" (the BOM of UTF-32-LE starts like UTF-16's)."""
    path = tmp_path / "s.csv"
    path.write_bytes(CSV.encode(encoding))
    text = message(path)
    assert "UTF-32" in text and "UTF-8" in text and "UTF-16" not in text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_still_recognised(tmp_path, encoding):
    path = tmp_path / "s.csv"
    path.write_bytes(CSV.encode(encoding))
    assert "UTF-16" in message(path)


def test_a_device_is_named_as_such(tmp_path):
    """Before: "not a file (a directory?)"."""
    path = tmp_path / "s.csv"
    path.symlink_to("/dev/zero")
    assert message(path) == "is not a regular file (a device)"


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    path = tmp_path / "s.csv"
    os.mkfifo(path)
    found: list[str] = []
    thread = threading.Thread(target=lambda: found.append(message(path)), daemon=True)
    thread.start()
    thread.join(10)
    assert found == ["is not a regular file (a named pipe)"]


def test_a_directory_is_named_as_such(tmp_path):
    folder = tmp_path / "s.csv"
    folder.mkdir()
    assert message(folder) == "is a directory, not a file"


def test_validate_on_a_device_exits_2(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.csv"
    path.symlink_to("/dev/zero")
    assert run_main(monkeypatch, "validate", path) == 2
    err = capsys.readouterr().err
    assert "is not a regular file (a device)" in err and "Traceback" not in err


# --- workbooks ----------------------------------------------------------------------------


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    """A valid workbook carrying a part of 3 MB of zeros (3 KB compressed), with the limit
    lowered to 2 MB so that the test stays small: the declared sizes are summed before
    openpyxl inflates anything. Before: no limit (read, exit 0)."""
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 2_000_000)
    path = tmp_path / "s.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["respondent_id", "population"])
    workbook.active.append(["A", 12])
    workbook.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(3_000_000))
    assert path.stat().st_size < 50_000
    text = message(path)
    assert "decompresses to 3 MB" in text and "zip bomb" in text


def test_the_limit_on_workbooks_leaves_room_for_real_surveys():
    assert readers.MAX_XLSX_UNCOMPRESSED >= 200_000_000


def test_a_formula_without_saved_value_exits_2_naming_the_cell(
    tmp_path, survey, monkeypatch, capsys
):
    """openpyxl (and other programs) save formulas without their value; read for values, the
    cell was empty: an answer became "unanswered" and validate exited 0."""
    path = write_xlsx(survey, tmp_path / "s.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    column = list(survey.columns).index("resp_1") + 1
    cell = sheet.cell(row=5, column=column)
    cell.value = "=1+1"
    workbook.save(path)
    assert run_main(monkeypatch, "validate", path) == 2
    err = capsys.readouterr().err
    assert f"row 5: cell {cell.coordinate} holds a formula without a saved value" in err
    assert "open the file in a spreadsheet program and save it" in err


def test_formulas_with_saved_values_are_read(tmp_path):
    """A workbook saved by a spreadsheet program keeps each formula's value next to it."""
    path = tmp_path / "s.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["respondent_id", "population"])
    workbook.active.append(["A", "=6*2"])
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<f>6*2</f><v />" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<f>6*2</f><v />", b"<f>6*2</f><v>12</v>")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert read_raw(path).frame["population"].tolist() == ["12"]


def test_several_formulas_are_counted(tmp_path):
    path = tmp_path / "s.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["respondent_id", "population"])
    for i in range(8):
        workbook.active.append([f"R{i}", "=1+1"])
    workbook.save(path)
    text = message(path)
    assert text.startswith("8 cells (B2, B3, B4, B5, B6 and 3 more) hold a formula")


def test_text_csv_keeps_working(tmp_path, survey):
    path = write_text_csv(as_text(survey), tmp_path / "s.csv")
    assert len(read_raw(path).frame) == len(survey)


# --- analyse run --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("survey", "fragment"),
    [
        ("/etc/passwd", "unsupported file type (no extension)"),
        ("/dev/zero", "is not a regular file (a device)"),
    ],
)
def test_run_refuses_an_unreadable_survey_before_any_kernel_starts(
    tmp_path, monkeypatch, capsys, survey, fragment
):
    """Before: for /etc/passwd the kernel started before the survey was read; a survey that is
    a device was "file not found"."""
    from analyse.pipeline import runner

    started: list[object] = []

    def no_kernel(self):
        started.append(self)
        raise RuntimeError("no kernel in this test")

    monkeypatch.setattr(runner._Kernel, "start", no_kernel)
    link = tmp_path / "survey.csv"
    if survey == "/dev/zero":
        link.symlink_to(survey)  # a .csv name: only its being a device is wrong
        survey = str(link)
    params = tmp_path / "p.yaml"
    params.write_text(f"name: pw\ndata:\n  survey: {survey}\n", encoding="utf-8")
    done: list[int] = []
    thread = threading.Thread(
        target=lambda: done.append(
            run_main(monkeypatch, "run", params, "--output-dir", tmp_path / "out")
        ),
        daemon=True,
    )
    thread.start()
    thread.join(60)
    assert done == [2]
    assert started == []
    err = capsys.readouterr().err
    assert f"{params}: data.survey: {survey}" in err and fragment in err
    assert "Traceback" not in err
