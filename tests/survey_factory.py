"""Small valid surveys, and writers that save them the way real tools export them.

``build_survey`` returns a frame already in the typed form ``load_survey`` must produce, so a
round trip through any writer can be compared with it directly. Writers only ever write where
they are told (a pytest ``tmp_path``), never into the repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat

from analyse.data.codebook import Codebook, load_codebook
from analyse.data.contract import COLLECTIVITY_TYPES

STRING_COLUMNS = ("respondent_id", "collectivity_type", "siren")


def build_survey(
    codebook: Codebook | None = None,
    n: int = 24,
    seed: int = 0,
    *,
    unanswered_share: float = 0.05,
    unanswered_theme_rows: Sequence[tuple[int, str]] = (),
) -> pd.DataFrame:
    """A valid survey of ``n`` respondents with the dtypes ``load_survey`` returns.

    Item answers share a per-respondent latent level so that themes have a positive alpha.
    ``unanswered_theme_rows`` blanks a whole theme for given (row, theme key) pairs, to create
    respondents without a maturity index.
    """
    codebook = codebook or load_codebook()
    rng = np.random.default_rng(seed)
    low, high = codebook.min_level, codebook.max_level
    frame = pd.DataFrame(
        {
            "respondent_id": pd.array([f"R{i + 1:04d}" for i in range(n)], dtype="string"),
            "collectivity_type": pd.array(
                rng.choice(COLLECTIVITY_TYPES, size=n).tolist(), dtype="string"
            ),
            "population": pd.array(rng.integers(150, 600_000, size=n), dtype="Int64"),
            "budget_per_capita": np.round(rng.uniform(400, 3000, size=n), 2),
            "digital_staff_fte": _with_missing(np.round(rng.uniform(0, 40, size=n), 1), rng),
            "elected_digital_lead": _with_missing(rng.integers(0, 2, size=n), rng, "Int64"),
            "strategy_adopted": pd.array(rng.integers(0, 2, size=n), dtype="Int64"),
            "siren": pd.array(
                [f"2{x:08d}" for x in rng.integers(0, 10**8, size=n)], dtype="string"
            ),
            "edition": pd.array([2025] * n, dtype="Int64"),
        }
    )
    frame.loc[frame.index[::7], "siren"] = pd.NA  # an optional value left empty
    latent = rng.uniform(low, high, size=n)
    for item in codebook.item_columns:
        levels = np.clip(np.rint(latent + rng.normal(0, 0.7, size=n)), low, high).astype(int)
        answers = pd.array(levels, dtype="Int64")
        answers[rng.random(n) < unanswered_share] = pd.NA
        frame[item] = answers
    for row, theme in unanswered_theme_rows:
        frame.loc[row, codebook.theme(theme).columns] = pd.NA
    return frame


def _with_missing(values: np.ndarray, rng: np.random.Generator, dtype: str = "float64"):
    out = pd.Series(values).astype(dtype)
    out[rng.random(len(values)) < 0.15] = pd.NA if dtype == "Int64" else np.nan
    return out.to_numpy() if dtype == "float64" else out.array


def with_extra_columns(frame: pd.DataFrame, extra: Mapping[str, object]) -> pd.DataFrame:
    """The frame with columns a survey tool adds and validation must ignore."""
    out = frame.copy()
    for name, values in extra.items():
        out[name] = values
    return out


def write_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    sep: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    """A CSV as exported by a survey tool or a French office suite (``;``, ``3,5``, cp1252)."""
    if bom and encoding.replace("-", "").lower() == "utf8":
        encoding = "utf-8-sig"
    frame.to_csv(path, sep=sep, decimal=decimal, encoding=encoding, index=False)
    return path


def write_xlsx(
    frame: pd.DataFrame,
    path: Path,
    *,
    header_row: int = 1,
    blank_rows_after: Sequence[int] = (),
) -> Path:
    """An Excel sheet whose header sits at ``header_row``, with blank rows after given rows.

    Written cell by cell with openpyxl so that the sheet row of every respondent is known.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    row = header_row
    for col, name in enumerate(frame.columns, start=1):
        sheet.cell(row=row, column=col, value=name)
    for i, record in enumerate(frame.itertuples(index=False)):
        row += 1
        for col, value in enumerate(record, start=1):
            sheet.cell(row=row, column=col, value=_python_value(value))
        if i in blank_rows_after:
            row += 1
    workbook.save(path)
    return path


def xlsx_rows(n: int, header_row: int = 1, blank_rows_after: Sequence[int] = ()) -> list[int]:
    """The sheet row of each respondent written by ``write_xlsx`` with the same layout."""
    rows, row = [], header_row
    for i in range(n):
        row += 1
        rows.append(row)
        if i in blank_rows_after:
            row += 1
    return rows


def _python_value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_sav(frame: pd.DataFrame, path: Path, codebook: Codebook | None = None) -> Path:
    """An SPSS file with value labels on item columns, as survey platforms export it."""
    labels = {}
    if codebook is not None:
        level_labels = {lv.value: lv.label_fr for lv in codebook.levels}
        labels = {c: level_labels for c in codebook.item_columns if c in frame.columns}
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == "string":
            out[name] = out[name].fillna("").astype(object)
    pyreadstat.write_sav(out, str(path), variable_value_labels=labels)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the strings a CSV holds (``""`` for missing), ready to be damaged by a test."""
    return frame.astype("string").fillna("").astype(object)


def write_text_csv(text: pd.DataFrame, path: Path, *, sep: str = ",", encoding: str = "utf-8"):
    """Write string cells exactly as given (no number formatting by pandas)."""
    text.to_csv(path, sep=sep, encoding=encoding, index=False)
    return path
