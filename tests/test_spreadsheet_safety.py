"""Downloads that a spreadsheet cannot turn against its reader (issue 21, item 1).

A codebook label ``=HYPERLINK("http://…","clic")`` became a live formula cell in the published
``tables/*.xlsx`` (openpyxl ``data_type == 'f'``), and labels starting ``@``, ``+``, ``-`` were
written as they are to the CSVs. Every test here failed before: now a text that starts like a
formula gets a leading apostrophe (OWASP's advice), an XLSX text cell is always a string, and
numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from analyse.report import i18n
from analyse.report.escape import one_line, spreadsheet_text
from analyse.report.reader_table import Column, ReaderTable

HYPERLINK = '=HYPERLINK("http://example.invalid/x","clic")'
DDE = "-2+3+cmd|' /C calc'!A0"
HOSTILE_TEXTS = [HYPERLINK, "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", DDE, "\t=1+1", "\r=1+1"]


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


def injected_table() -> ReaderTable:
    """Hostile texts as row labels, as a header, as a text value and in a numeric column (a
    reason said in place of a number), beside real negative numbers."""
    frame = pd.DataFrame(
        {
            "mean": [-1.5, 2.25, "=1+1", -3.0, 0.5, -0.0],
            "reason": [*HOSTILE_TEXTS[:5], "plain"],
            "n": [7, 8, 9, 10, 11, 12],
        },
        dtype=object,
    )
    return ReaderTable(
        frame=frame,
        caption=HYPERLINK,
        columns=[
            Column("mean", "=mean", "number", 2),
            Column("reason", "@reason", "text"),
            Column("n", "-n", "count"),
        ],
        row_header="+group",
        row_labels=HOSTILE_TEXTS,
    )


def _live(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as the start of a formula."""
    visible = text.lstrip(" \t\r\n\u202e\u200b\ufeff")
    if text[:1] in {"\t", "\r", "\n"}:
        return True
    return visible[:1] in {"=", "+", "@"} or (visible[:1] == "-" and not visible[1:2].isdigit())


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_a_text_that_starts_like_a_formula_is_quoted(text):
    assert spreadsheet_text(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["Communauté de communes", "moins de 5", "", "1,5", "a=b", "'déjà"]
)
def test_plain_text_is_left_as_it_is(text):
    assert spreadsheet_text(text) == text


def test_invisible_characters_in_front_do_not_hide_a_formula():
    assert spreadsheet_text("\u202e=1+1").startswith("'")
    assert spreadsheet_text(" \u200b@x").startswith("'")


def test_control_characters_are_dropped_and_hide_no_formula(tmp_path):
    """A label with BEL, US or NUL in front (which an XLSX cannot store: the whole workbook was
    refused, and the run failed) is written without them, quoted when a formula follows."""
    assert spreadsheet_text("\x07=BELL()") == "'=BELL()"
    assert spreadsheet_text("\x1f=US()") == "'=US()" and spreadsheet_text("a\x00b") == "ab"
    assert spreadsheet_text("a\tb") == "a\tb"  # a tab inside a text is kept
    table = ReaderTable(
        frame=pd.DataFrame({"v": ["\x07=BELL()", "ok"]}, dtype=object),
        caption="c",
        columns=[Column("v", "\x00=NUL()", "text")],
        row_header="g",
        row_labels=["\x1f=US()", "b"],
    )
    _, xlsx = table.save(tmp_path, "controls")
    sheet = openpyxl.load_workbook(xlsx).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "'=NUL()" in values and "'=US()" in values and "'=BELL()" in values


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_xlsx_cell_is_a_formula_and_numbers_stay_numbers(tmp_path, lang):
    i18n.use(lang)
    _, xlsx = injected_table().save(tmp_path, "injected")
    sheet = openpyxl.load_workbook(xlsx).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and _live(c.value)]
    # the header and a row label, quoted; the numbers, numbers
    assert sheet.cell(1, 2).value == "'=mean" and sheet.cell(2, 1).value == "'" + HYPERLINK
    assert sheet.cell(2, 2).value == -1.5 and sheet.cell(2, 2).data_type == "n"
    assert sheet.cell(5, 2).value == -3.0 and sheet.cell(2, 4).value == 7
    assert sheet.cell(4, 2).value == "'=1+1"  # text in a numeric column is text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_csv_text_cell_starts_a_formula_and_negative_numbers_stay_numbers(tmp_path, lang):
    i18n.use(lang)
    written, _ = injected_table().save(tmp_path, "injected")
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    rows = list(csv.reader(io.StringIO(written.read_text(encoding="utf-8-sig")), delimiter=sep))
    assert rows[0][:2] == ["'+group", "'=mean"]
    # quoted, on one line (a carriage return in a label is a space, as on the page)
    assert [row[0] for row in rows[1:]] == ["'" + one_line(t) for t in HOSTILE_TEXTS]
    assert not [cell for row in rows for cell in row if _live(cell)]
    assert rows[1][1] == f"-1{decimal}5"  # a real negative number is written as a number
    assert rows[4][1] == f"-3{decimal}0"
