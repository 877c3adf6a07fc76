"""Reading numbers written the French or the English way, and saying when a cell cannot be read.

Survey exports come from French office tools as often as from English ones, so every numeric cell
of a survey (contract columns, numeric items, extra controls, user weights, a draft mapping's
guess) is read by the same rules, kept here apart from the checks that use them: ``3,5`` and
``3.5`` are both 3.5, ``12 345`` (with a normal, non-breaking or narrow space) is 12345, and a
whole number may be written ``2.0``.

One separator followed by exactly three digits (``12,000``, ``1.294``) is a thousands separator
in English and a decimal separator in French: ``ambiguous_numbers`` finds such cells, read as a
decimal only when another cell of the same column uses that separator for decimals in a way that
cannot be thousands (``845,5``, ``0,125``, ``1294,50``); ``ambiguous_message`` says what to write
instead, and ``mixed_decimals`` refuses a column that writes decimals both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyse.data.cells import distinct
from analyse.data.readers import RawTable
from analyse.errors import Problem

_SPACES = "\u0020\u00a0\u202f\u2009"
_GROUPED = rf"[+-]?\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?"
_DECIMAL_COMMA = r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_EXACT_INT_LIMIT = 2.0**53  # beyond this a float no longer holds every whole number
# One "," or "." after 1 to 3 digits (not a lone 0) and before exactly 3: 12,000 or 1.294.
_AMBIGUOUS = r"[+-]?[1-9]\d{0,2}[.,]\d{3}"


@dataclass(frozen=True)
class Numbers:
    """A text column read as numbers; the masks let each rule report its own failure."""

    empty: np.ndarray
    is_number: np.ndarray
    whole: np.ndarray
    values: pd.Series  # float64, NaN where empty or not a number


def parse_numbers(raw: pd.Series) -> Numbers:
    """Read numbers written with a decimal point or comma and optional space thousands groups."""
    text = raw.astype(str).str.strip()
    grouped = text.str.fullmatch(_GROUPED)
    text = text.where(~grouped, text.str.replace(f"[{_SPACES}]", "", regex=True))
    comma = text.str.fullmatch(_DECIMAL_COMMA)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    is_number = text.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    values = pd.to_numeric(text.where(is_number), errors="coerce").astype("float64")
    finite = np.isfinite(values.to_numpy())
    with np.errstate(invalid="ignore"):
        whole = finite & (values.to_numpy() % 1 == 0) & (values.abs().to_numpy() < _EXACT_INT_LIMIT)
    return Numbers(
        empty=text.eq("").to_numpy(dtype=bool),
        is_number=is_number & finite,
        whole=whole,
        values=values.where(finite),
    )


def ambiguous_numbers(raw: pd.Series, whole: bool) -> np.ndarray:
    """Cells whose one separator may group thousands or mark decimals: ``12,000``, ``1.294``.

    Read either way the cell is a valid number a thousand times apart, so neither reading is
    safe: in a whole-number column (``whole``) every such cell is ambiguous. In a decimal
    column, the column's other cells may show the convention: when one of them uses the same
    separator for decimals in a way that cannot be a thousands separator (``845,5``,
    ``0,125``, ``1 294,50``), the cell is a decimal like its neighbours and not ambiguous.
    """
    text = raw.astype(str).str.strip()
    ambiguous = text.str.fullmatch(_AMBIGUOUS).to_numpy(dtype=bool)
    if whole or not ambiguous.any():
        return ambiguous
    for sep in ",.":
        decimal = text.str.fullmatch(rf"[+-]?[\d{_SPACES}]*\{sep}\d+(?:[eE][+-]?\d+)?")
        if (decimal.to_numpy(dtype=bool) & ~ambiguous).any():
            ambiguous = ambiguous & ~text.str.contains(sep, regex=False).to_numpy(dtype=bool)
    return ambiguous


def ambiguous_message(value: str, whole: bool) -> str:
    """What to write instead of ``value``: the digits without the separator, or spaced."""
    text = value.strip()
    sep = "," if "," in text else "."
    digits = text.replace(sep, "")
    spaced = text.replace(sep, " ")
    meaning = f"{sep!r} may separate thousands or decimals"
    if whole:
        return f"is ambiguous ({meaning}): write {digits} or {spaced}"
    name = "comma" if sep == "," else "point"
    return (
        f"is ambiguous ({meaning}): write {digits} or {spaced} for thousands; a decimal "
        f"{name} is read as such only when another value of the column has one (e.g. 3{sep}5)"
    )


# Thousands grouped with one separator, decimals with the other (1.008,58, 1,008.58), or
# thousands grouped more than once (1.234.567): refused, since a point or a comma alone is
# read as decimals, but ``number_hint`` says how to write them.
_GROUPED_BOTH = re.compile(r"[+-]?\d{1,3}(?:(?P<sep>[.,])\d{3})+(?!(?P=sep))[.,]\d+")
_GROUPED_TWICE = re.compile(r"[+-]?\d{1,3}(?:(?P<sep>[.,])\d{3})(?:(?P=sep)\d{3})+")


def number_hint(value: object) -> str:
    """How to write a cell that is a number grouped by thousands with a point or a comma:
    "1.008,58" -> " (thousands separated by '.', decimals by ','): write 1008,58 or
    1008.58", "" for any other cell."""
    text = str(value).strip()
    both = _GROUPED_BOTH.fullmatch(text)
    if both:
        sep = both.group("sep")
        digits = text.replace(sep, "")
        decimal = "," if sep == "." else "."
        other = digits.replace(decimal, sep)
        return (
            f" (thousands separated by {sep!r}, decimals by {decimal!r}): write {digits} or {other}"
        )
    twice = _GROUPED_TWICE.fullmatch(text)
    if twice:
        sep = twice.group("sep")
        return (
            f" (thousands separated by {sep!r}): write {text.replace(sep, '')} or "
            f"{text.replace(sep, ' ')}"
        )
    return ""


# a number whose separator can only mark decimals: a point or a comma followed by digits,
# unless it is one of the ambiguous thousands (``_AMBIGUOUS``: 1,500 or 1.500)
_DECIMAL_WITH = {sep: re.compile(rf"[+-]?[\d{_SPACES}]*\{sep}\d+(?:[eE][+-]?\d+)?") for sep in ".,"}


def mixed_decimals(
    table: RawTable, column: str, excluded: np.ndarray, expected: str
) -> list[Problem]:
    """One problem when a numeric column writes decimals both ways (``0.99`` and ``1,5``).

    Each cell would be read its own way, so the column has no one convention and its other
    cells (``1.500``, ``12,000``) no safe reading: it is refused, naming one row of each.
    Cells whose separator may be a thousands one (``_AMBIGUOUS``) show no convention and are
    not counted; rows left out of the analysis (``excluded``) are not checked.
    """
    codes, texts = distinct(table.frame[column])
    stripped = texts.astype(str).str.strip()
    unsure = stripped.str.fullmatch(_AMBIGUOUS).to_numpy(dtype=bool)
    first: dict[str, tuple[str, int]] = {}
    for sep, pattern in _DECIMAL_WITH.items():
        kinds = stripped.str.fullmatch(pattern).to_numpy(dtype=bool) & ~unsure
        at = np.flatnonzero(kinds[codes] & ~excluded)
        if len(at):
            first[sep] = (str(stripped.iloc[codes[at[0]]]), int(table.rows[at[0]]))
    if len(first) < 2:
        return []
    (point, point_row), (comma, comma_row) = first["."], first[","]
    return [
        Problem(
            file=table.file,
            column=column,
            message=f"the column writes decimals both with a point ({point!r}, row {point_row}) "
            f"and with a comma ({comma!r}, row {comma_row}): each cell would be read its own "
            "way, and a cell such as 1,500 or 1.500 has no safe reading",
            expected=f"{expected}, every decimal written with the same separator",
        )
    ]
