"""The extra control columns of a survey (``data.extra_columns``): declared, checked and typed.

Besides the contract and the codebook, a run may take other columns of the file as controls of
its models. Whether such a column is read as numbers or as categories is decided from its cells
or its declared kind (``check_extra``), with warnings when the cells suggest codes rather than
quantities; those rules are their own concern, kept here apart from the loading of the contract
and item columns (``analyse.data.loading``), which calls them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analyse.data.cell_problems import cell_problems
from analyse.data.codebook import Codebook
from analyse.data.numbers import ambiguous_message, ambiguous_numbers, parse_numbers
from analyse.data.readers import RawTable, normalise_label
from analyse.errors import Problem


def extra_spec(items: Sequence[object]) -> tuple[list[str], dict[str, str]]:
    """The names of ``data.extra_columns`` items and the kind each declares: an item is a
    name, or has ``name`` and ``kind`` (``analyse.params.ExtraColumn``, or a mapping)."""
    names: list[str] = []
    kinds: dict[str, str] = {}
    for item in items:
        if isinstance(item, str):
            names.append(item)
            continue
        name = item.get("name") if isinstance(item, Mapping) else getattr(item, "name", None)
        kind = item.get("kind") if isinstance(item, Mapping) else getattr(item, "kind", None)
        if not isinstance(name, str):
            raise TypeError(f"an extra column is a name or has a name and a kind, not {item!r}")
        names.append(name)
        if kind is not None:
            kinds[name] = str(kind)
    return names, kinds


# An undeclared numeric extra control with at most this many distinct whole values may be
# codes (a region, a département, a class) rather than a quantity: warn, suggesting a kind.
FEW_CODES = 12
# a whole number written with a leading zero (« 01 », « 06 »): a code, not a quantity
_LEADING_ZERO = re.compile(r"^[+-]?0\d+$")


def check_extra(
    table: RawTable,
    name: str,
    excluded: np.ndarray,
    columns: Mapping[str, str],
    kind: str | None = None,
    warnings: list[str] | None = None,
) -> tuple[pd.Series | None, list[Problem]]:
    """An extra column (``data.extra_columns``) typed, or the problems that stop it.

    Undeclared (``kind`` None): numbers (float64) when every cell of the rows in the analysis
    is a number or empty, so that a share or an amount enters a model as a linear term; else
    text (stripped, inner spaces collapsed; empty -> missing), whose categories become
    dummies. Whole numbers one of which is written with a leading zero (``01``, a département)
    are codes, read as text, with a warning; numbers with 3 to ``FEW_CODES`` distinct whole
    values (``11, 24, 84``, a region code) stay one linear term, with a warning that suggests
    ``kind: category`` (two values fit alike either way: no warning). A number whose one
    separator may group thousands or mark decimals (``1,250``) is refused in a numeric column,
    as in the contract's decimal columns (``ambiguous_numbers``). Rows left out of the analysis
    (``excluded``) do not decide the kind and are not checked.

    ``kind`` ``category`` reads the column as text whatever its cells; ``number`` as numbers,
    each cell that is not one a problem. Warnings are appended to ``warnings``.
    """
    frame = table.frame
    if name not in frame.columns:
        mapped = columns.get(name)
        where = f"the header {mapped!r}" if mapped else f"a column {name!r}"
        return None, [
            Problem(
                file=table.file,
                column=name,
                message=f"data.extra_columns lists {name!r} but the file has no column for it "
                f"(looked for {where})",
                expected=f"a column named {name!r} in the file, or an entry "
                f"'{name}: <header in the file>' in data.columns",
            )
        ]
    if isinstance(frame[name], pd.DataFrame):  # the reader reports a mapped one
        return None, [] if name in columns else [
            Problem(
                file=table.file,
                column=name,
                message=f"the header has {frame[name].shape[1]} columns named {name!r}, which "
                "data.extra_columns lists",
                expected=f"one column named {name!r}, or an entry '{name}: <header>' in "
                "data.columns naming the one to read",
            )
        ]
    raw = frame[name].astype(str)
    text = raw.str.strip().str.replace(r"\s+", " ", regex=True)
    numbers = parse_numbers(raw)
    used = ~excluded & ~numbers.empty
    said = warnings if warnings is not None else []
    numeric = bool((numbers.is_number | ~used).all())
    if numeric and kind is None:
        zeros = used & text.str.match(_LEADING_ZERO).to_numpy()
        if zeros.any():
            numeric = False
            first = int(np.flatnonzero(zeros)[0])
            said.append(
                f"data.extra_columns: {name!r} is read as categories, not as a number: its "
                f"cells are whole numbers written with a leading zero ({text.iloc[first]!r}, "
                f"row {int(table.rows[first])}), i.e. codes; declare "
                f"{{name: {name}, kind: number}} in data.extra_columns to read it as a number"
            )
    if kind == "number" or (numeric and kind != "category"):
        ambiguous = ambiguous_numbers(raw, whole=False) & ~excluded
        faults = np.where(ambiguous, "ambiguous", "").astype(object)
        faults[ambiguous] = [ambiguous_message(v, False) for v in raw.to_numpy()[ambiguous]]
        not_number = used & ~numbers.is_number
        faults[not_number] = "is not a number, but data.extra_columns declares kind: number"
        expected = "a number (read as a linear term), or empty"
        problems = cell_problems(table, name, faults, expected)
        values = numbers.values.where(~excluded & ~ambiguous & ~not_number).astype("float64")
        if kind is None and not problems:
            said += _few_codes_warning(name, values)
        return values.set_axis(frame.index), problems
    if kind is None and used.any():
        # mostly numbers: the few other cells are typos or missing values written as text
        # ("NA", "n.d.", "−3"), not categories; read as text, every number would become a
        # category of its own and the control would hold nothing equal
        share = float((numbers.is_number & used).sum()) / float(used.sum())
        if MOSTLY_NUMBERS <= share < 1.0:
            faults = np.where(used & ~numbers.is_number, "is not a number", "").astype(object)
            expected = (
                "a number, or empty (list a text meaning 'missing' in data.missing_values); "
                f"or {{name: {name}, kind: category}} in data.extra_columns to read the column "
                "as categories"
            )
            return None, cell_problems(table, name, faults, expected)
    kept = text.where((text != "") & ~excluded)
    values = _one_spelling(kept).astype("string")
    return values.set_axis(frame.index), []


# share of a column's cells that are numbers above which the others are read as mistakes
MOSTLY_NUMBERS = 0.8


def _one_spelling(text: pd.Series) -> pd.Series:
    """Categories compared like answer labels (case, accents, apostrophes): « Droite » and
    « droite » are one category, written as its most frequent spelling."""
    filled = text.dropna()
    if filled.empty:
        return text
    counts = filled.value_counts(sort=True)
    spelling: dict[str, str] = {}
    for value in counts.index:  # most frequent first
        spelling.setdefault(normalise_label(value), value)
    canonical = {value: spelling[normalise_label(value)] for value in counts.index}
    return text.map(canonical, na_action="ignore")


def _few_codes_warning(name: str, values: pd.Series) -> list[str]:
    """A numeric extra control of few distinct whole values may be codes (11, 24, 84): it
    enters the model as one linear term, a slope per unit of the code. Say so, suggesting
    ``kind: category`` (or ``kind: number`` to keep the slope and silence the warning)."""
    distinct = np.unique(values.dropna().to_numpy(dtype="float64"))
    if not 3 <= len(distinct) <= FEW_CODES or not np.all(distinct == np.round(distinct)):
        return []
    shown = ", ".join(f"{v:g}" for v in distinct[:6]) + (", ..." if len(distinct) > 6 else "")
    return [
        f"data.extra_columns: {name!r} has only {len(distinct)} distinct whole values "
        f"({shown}) and enters the model as one linear term (one slope per unit); if they are "
        f"codes (a region, a département, a class), declare {{name: {name}, kind: category}} "
        f"in data.extra_columns; {{name: {name}, kind: number}} keeps the linear term"
    ]


def extra_column_problems(
    file: str, codebook: Codebook, extra_columns: Sequence[str]
) -> list[Problem]:
    """An extra column named like an item or a theme of the codebook would be two columns of
    the scored table under one name (``analyse.params`` checks the other reserved names)."""
    items, themes = set(codebook.item_columns), set(codebook.theme_keys)
    return [
        Problem(
            file=file,
            column=name,
            message=f"data.extra_columns: {name!r} is "
            + ("an item column" if name in items else "a theme")
            + " of the codebook",
            expected="another name for the extra column (and the same name in data.columns)",
        )
        for name in extra_columns
        if name in items or name in themes
    ]
