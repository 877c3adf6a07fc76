"""The compact layout of a survey in memory (issue 11: ``validate`` of a large export).

Memory itself is measured by benchmarks/validate_memory.py, never here; these tests pin the
choices that keep it low, and that each choice leaves every value, message and score as the
plain layout gives them: items in a small integer dtype, repeated raw cells as categoricals,
a plain UTF-8 file parsed from disk rather than read whole, checks made once per distinct text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyse.data.cells import distinct, read_csv_cells
from analyse.data.codebook import Codebook, Level, load_codebook
from analyse.data.contract import COLUMNS
from analyse.data.loading import check_column, item_dtype, load_survey
from analyse.data.readers import read_raw
from analyse.data.scoring import score_survey, theme_scores
from analyse.paths import project_root

SYNTHETIC = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"


def test_loaded_items_are_the_smallest_integer_dtype_of_the_levels():
    codebook = load_codebook()
    survey = load_survey(SYNTHETIC, codebook)
    assert {str(survey[c].dtype) for c in codebook.item_columns} == {"Int8"}
    wide = codebook.model_copy(
        update={"levels": [Level(value=v, label_fr=str(v), label_en=str(v)) for v in range(300)]}
    )
    assert item_dtype(Codebook.model_validate(wide.model_dump())) == "Int16"


def test_repeated_raw_cells_are_categoricals_and_hold_the_same_texts():
    table = read_raw(SYNTHETIC)
    frame = table.frame
    # answers, types and 0/1 repeat: one code per cell; identifiers do not
    for column in ["collectivity_type", "strategy_adopted", "resp_1", "agent_4"]:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert not isinstance(frame["respondent_id"].dtype, pd.CategoricalDtype)
    plain = pd.read_csv(SYNTHETIC, dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(plain.columns)
    for column in plain.columns:
        assert frame[column].astype(str).tolist() == plain[column].tolist(), column


def test_short_rows_and_the_header_leave_no_trace_in_the_categories(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b\n" + "1,x\n" * 5 + "2\n" + "1,y\n" * 5, encoding="utf-8")
    header, body = read_csv_cells(str(path), ",")
    assert header == ["a", "b"]
    assert body[1].tolist() == ["x"] * 5 + [""] + ["y"] * 5
    assert sorted(body[1].cat.categories) == ["", "x", "y"]  # not "b", the header's text
    assert sorted(body[0].cat.categories) == ["1", "2"]


def test_a_plain_utf8_file_is_parsed_from_disk_not_read_whole(tmp_path, monkeypatch):
    path = tmp_path / "s.csv"
    path.write_bytes(SYNTHETIC.read_bytes())
    expected = read_raw(path).frame

    def whole(self):
        raise AssertionError("read whole into memory")

    monkeypatch.setattr(Path, "read_bytes", whole)
    pd.testing.assert_frame_equal(read_raw(path).frame, expected)


@pytest.mark.parametrize("column", [c for c in COLUMNS if c.kind != "string"], ids=str)
def test_checks_once_per_distinct_text_equal_checks_cell_by_cell(column):
    texts = [
        "", " ", "3", "3,5", "3.5", "1,294", "845,5", "1.294", "12 345", "0", "-2", "x",
        "2025", "1", "CC", "metropole", "Métropole", "213 100 125", "2A", "1053", "nan",
    ]  # fmt: skip
    cells = pd.Series(np.random.default_rng(0).choice(texts, size=200), dtype=str)
    rows = np.arange(len(cells)) + 2
    plain = check_column(cells, column, rows)
    compact = check_column(cells.astype("category"), column, rows)
    pd.testing.assert_series_equal(compact.values, plain.values)
    np.testing.assert_array_equal(compact.messages, plain.messages)


def test_distinct_texts_are_those_of_the_cells():
    cells = pd.Series(["b", "a", "b"], dtype="category").cat.add_categories(["unused"])
    codes, texts = distinct(cells)
    assert texts[codes].tolist() == ["b", "a", "b"]
    assert "unused" not in texts.tolist()  # a category of no cell would sway a column's checks


def test_scores_and_reasons_equal_their_row_by_row_definitions():
    codebook = load_codebook()
    rng = np.random.default_rng(4)
    n = 500
    items = {c: pd.array(rng.integers(0, 4, size=n), dtype="Int8") for c in codebook.item_columns}
    survey = pd.DataFrame(items)
    for theme in codebook.themes:  # some themes wholly unanswered, some items missing
        survey.loc[rng.random(n) < 0.15, theme.columns] = pd.NA
        survey.loc[rng.random(n) < 0.2, theme.columns[0]] = pd.NA
    span = codebook.max_level - codebook.min_level
    expected = pd.DataFrame(
        {
            t.key: (survey[t.columns].astype("float64").mean(axis=1) - codebook.min_level)
            / span
            * 100.0
            for t in codebook.themes
        }
    )
    pd.testing.assert_frame_equal(theme_scores(survey, codebook), expected)
    missing = expected.isna()
    reasons = missing.apply(
        lambda row: "" if not row.any() else "no answer in theme(s): " + ", ".join(row.index[row]),
        axis=1,
    )
    scored = score_survey(survey, codebook)
    assert scored["excluded_reason"].tolist() == reasons.tolist()
    assert (scored["excluded_reason"] != "").any() and (scored["excluded_reason"] == "").any()
