"""Weights shipped with the survey (``analysis.weights: {column: NAME}``), read from the file.

A survey tool or a statistics office often delivers its own weights (design weights, or a
calibration made with information the package does not have). They are read here straight from
the survey file, with the same reader as the survey itself (``analyse.data.readers``), because
the loaded survey keeps only the contract's columns. Rows are aligned by position: the reader
drops the same blank rows for both, so the k-th weight is the k-th respondent.

A weight must be a finite number >= 0 and the weights of the analysed rows must not all be 0:
anything else is the user's to fix (``InputError`` naming the file, row and column, exit 2).
A respondent with weight 0 stands for nobody; the run excludes it with that reason rather than
fitting it with no influence (a weighted least squares fit would still count it in its degrees
of freedom). A row the analysis leaves out anyway (excluded before or at scoring) may have an
empty weight.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.cell_problems import cell_problems
from analyse.data.numbers import parse_numbers
from analyse.data.readers import read_raw
from analyse.errors import InputError, Problem
from analyse.suggest import closest, did_you_mean

EXPECTED = "a finite number >= 0 (the respondent's survey weight)"


def method_name(column: str) -> str:
    """``results.json``'s ``weights.method`` for weights read from ``column``."""
    return f"column {column}"


def read_user_weights(
    survey_path: str | Path,
    column: str,
    needed: np.ndarray | pd.Series | None = None,
    sheet: str | int | None = None,
) -> pd.Series:
    """The survey file's ``column`` as float weights, one per data row (``RangeIndex``).

    ``needed`` marks the rows whose weight the analysis uses (default: every row); an empty
    cell elsewhere is allowed and read as NaN. Raises ``InputError`` listing every bad cell
    (not a number, infinite, negative, empty where needed), a missing or repeated column, or
    needed weights that are all 0. ``sheet`` is the worksheet of an .xlsx survey
    (``data.sheet``).
    """
    table = read_raw(survey_path, sheet=sheet)
    header = list(table.frame.columns)
    where = f"analysis.weights names the column {column!r}"
    if column not in header:
        raise InputError(
            [
                Problem(
                    file=table.file,
                    column=column,
                    message=f"{where}, which is not in the file"
                    + did_you_mean(closest(column, header)),
                    expected="the name of the file's column of weights, exactly as in its header",
                )
            ]
        )
    if header.count(column) > 1:
        raise InputError(
            [
                Problem(
                    file=table.file,
                    column=column,
                    message=f"{where}, which the header has {header.count(column)} times",
                    expected="each column name once in the header",
                )
            ]
        )
    raw = table.frame[column]
    numbers = parse_numbers(raw)
    need = (
        np.ones(len(raw), dtype=bool)
        if needed is None
        else np.asarray(needed, dtype=bool).reshape(-1)
    )
    if len(need) != len(raw):
        raise ValueError(f"needed has {len(need)} rows, the file {len(raw)}")
    values = numbers.values.to_numpy(dtype="float64")
    faults = np.select(
        [
            numbers.empty & need,
            numbers.empty,
            ~numbers.is_number,
            values < 0,
        ],
        ["is empty", "", "is not a finite number", "is negative"],
        default="",
    )
    problems = cell_problems(table, column, faults, EXPECTED)
    if not problems and need.any() and not (values[need] > 0).any():
        problems.append(
            Problem(
                file=table.file,
                column=column,
                message="every weight of the analysed rows is 0",
                expected="at least one positive weight",
            )
        )
    if problems:
        raise InputError(problems)
    return pd.Series(np.where(numbers.empty, np.nan, values), name=column, dtype="float64")


def describe_weights(weights: pd.Series, column: str) -> pd.Series:
    """``weights`` scaled to mean 1, with the ``attrs`` a report reads from raked weights.

    ``method`` is ``"column NAME"``; ``kish_n`` is Kish's effective sample size
    (sum w)^2 / sum w^2 and ``max_ratio`` the largest weight over the smallest, as for raking;
    ``collapsed`` and ``dropped`` describe a raking and are None; ``converged`` (whether raking
    met the frame's margins) is None too: these weights are not calibrated here.
    """
    w = weights.astype("float64")
    scaled = w / w.mean()
    scaled.attrs.update(
        converged=None,
        method=method_name(column),
        kish_n=float(w.sum() ** 2 / (w**2).sum()),
        max_ratio=float(w.max() / w.min()),
        collapsed=None,
        collapsed_code=None,
        dropped=None,
    )
    return scaled
