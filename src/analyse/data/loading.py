"""Loading a survey file into typed contract columns, reporting every problem at once.

``load_survey`` reads a file (``analyse.data.readers``), checks each contract column and
each codebook item column with vectorised rules, and either returns a typed DataFrame or raises one
``InputError`` listing every bad cell with its spreadsheet row, column, value and what was
expected: a user fixes a survey export in one pass rather than one error per run.

Parsing is strict (a value is accepted only if it means exactly one thing) but tolerant of how
French office tools write numbers (``analyse.data.numbers``: ``3,5`` and ``3.5`` are both 3.5).
One separator followed by exactly three digits (``12,000``, ``1.294``) is refused in a
whole-number column (population), and in a decimal column (budget, staff) it is read as a decimal
only when another cell of the same column shows that convention (``ambiguous_numbers``). A
collectivity type must be spelt as in the contract; near misses get a suggestion, not a guess.
The mapping files come from ``analyse.data.mapping_files``, the extra control columns are
checked by ``analyse.data.extra_columns``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.cell_problems import cell_problems
from analyse.data.cells import categorical, distinct, release_memory
from analyse.data.codebook import Codebook, load_codebook
from analyse.data.contract import COLLECTIVITY_TYPES, COLUMN_NAMES, COLUMNS, ColumnSpec
from analyse.data.extra_columns import check_extra, extra_column_problems, extra_spec
from analyse.data.label_names import level_labels, looks_like_type, near_labels, words
from analyse.data.mapping_files import (
    MappingFile,
    mapping_where,
    read_answer_labels,
    read_column_mapping,
)
from analyse.data.numbers import (
    ambiguous_message,
    ambiguous_numbers,
    mixed_decimals,
    number_hint,
    parse_numbers,
)
from analyse.data.readers import RawTable, normalise_label, read_raw
from analyse.data.scoring import EXCLUSION_COLUMN, reliability, score_survey
from analyse.errors import InputError, Problem
from analyse.reasons import Reason
from analyse.suggest import closest, did_you_mean

EPCI_PLACEHOLDER = "epci"  # type-label target: an EPCI whose legal type the frame gives
YEAR_RANGE: tuple[int, int] = (1900, 2100)

DTYPES: dict[str, str] = {
    "string": "string",
    "type": "string",
    "siren": "string",
    "text": "string",
    "code_insee": "string",
    "int_pos": "Int64",
    "float_pos": "float64",
    "float_nonneg": "float64",
    "binary": "Int64",
    "year": "Int64",
}
# Item answers are small integers: the smallest nullable integer holding the codebook's levels
# (Int8 for 0 to 3) costs 2 bytes a cell rather than Int64's 9, over dozens of item columns.
ITEM_DTYPES: tuple[str, ...] = ("Int8", "Int16", "Int32", "Int64")

WHOLE_KINDS: tuple[str, ...] = ("int_pos", "binary", "year")

# Spellings a user may write for a collectivity type, folded (no accent, case or punctuation).
_TYPE_ALIASES: dict[str, str] = {
    "communautedecommunes": "CC",
    "communautedagglomeration": "CA",
    "communauteurbaine": "CU",
    "etablissementpublicterritorial": "EPT",
    "ville": "commune",
    "conseildepartemental": "departement",
    "conseilregional": "region",
}


# --- column checks ------------------------------------------------------------------------


def _faults(conditions: list[np.ndarray], messages: list[str]) -> np.ndarray:
    """``np.select`` of per-cell messages as an object array sharing one string per message.

    ``np.select`` on strings gives a fixed-width array that stores 4 bytes per character of
    the longest message in every cell: a few hundred bytes per cell, gigabytes on a survey of
    a million rows checked column after column. Here a cell costs a pointer.
    """
    codes = np.select(conditions, list(range(1, len(messages) + 1)), 0)
    return np.array(["", *messages], dtype=object)[codes]


def _starts_with(faults: np.ndarray, prefix: str) -> np.ndarray:
    """Which cells' messages start with ``prefix`` (without a fixed-width string copy)."""
    return np.fromiter(
        (isinstance(f, str) and f.startswith(prefix) for f in faults), bool, len(faults)
    )


@dataclass(frozen=True)
class Checked:
    """A column's typed values (meaningful where ``messages`` is empty) and per-cell faults."""

    values: pd.Series
    messages: np.ndarray  # "" where the cell is fine, else what is wrong with it (objects)


def check_column(raw: pd.Series, column: ColumnSpec, rows: np.ndarray) -> Checked:
    """Check one contract column according to its kind.

    A column read as a categorical (``analyse.data.cells``) is checked once per distinct text
    and the verdicts spread back by code: every rule is per cell, or (the decimal convention
    of ``ambiguous_numbers``) depends on which texts the column holds, not how often; the
    identifier's uniqueness is the exception and is checked cell by cell.
    """
    if isinstance(raw.dtype, pd.CategoricalDtype) and column.kind != "string":
        codes, texts = distinct(raw)
        checked = _check_kind(texts, column, rows)
        values = pd.Series(checked.values.array.take(codes), index=raw.index)
        return Checked(values, checked.messages[codes])
    return _check_kind(raw, column, rows)


def _check_kind(raw: pd.Series, column: ColumnSpec, rows: np.ndarray) -> Checked:
    if column.kind == "string":
        return _check_identifier(raw, rows)
    if column.kind == "type":
        return _check_type(raw, column.required)
    if column.kind == "siren":
        return _check_siren(raw, column.required)
    if column.kind == "text":
        text = raw.astype(str).str.strip()
        return Checked(text.where(text != "").astype("string"), np.full(len(text), "", object))
    if column.kind == "code_insee":
        return _check_code_insee(raw)
    return _check_number(raw, column.kind, column.required)


def _check_number(raw: pd.Series, kind: str, required: bool) -> Checked:
    n = parse_numbers(raw)
    v = n.values.to_numpy()
    whole = kind in WHOLE_KINDS
    ambiguous = ambiguous_numbers(raw, whole)
    conditions = [n.empty & required, n.empty, ~n.is_number, ambiguous]
    messages = [
        "is empty",
        "",
        "is neither 0 nor 1" if kind == "binary" else "is not a number",
        "ambiguous",  # replaced below by a message saying what to write
    ]
    if kind in ("int_pos", "binary", "year"):
        conditions.append(~n.whole)
        messages.append("is not a whole number")
    if kind in ("int_pos", "float_pos", "float_nonneg"):
        conditions.append(v < 0)
        messages.append("is negative")
    if kind in ("int_pos", "float_pos"):
        conditions.append(v == 0)
        messages.append("is zero")
    if kind == "binary":
        conditions.append(~np.isin(v, (0, 1)))
        messages.append("is neither 0 nor 1")
    if kind == "year":
        low, high = YEAR_RANGE
        conditions.append((v < low) | (v > high))
        messages.append(f"is not a plausible year ({low} to {high})")
    faults = _faults(conditions, messages)
    at = faults == "ambiguous"
    faults[at] = [ambiguous_message(value, whole) for value in raw.to_numpy()[at]]
    _hint_numbers(faults, raw)
    good = n.values.where(faults == "")
    values = good.astype(DTYPES[kind]) if DTYPES[kind] != "Int64" else _to_int(good)
    return Checked(values, faults)


def _hint_numbers(faults: np.ndarray, raw: pd.Series) -> None:
    """Add to each "is not a number" the way to write it when it is a number grouped by
    thousands (``number_hint``: « 1.008,58 »), in place; the message keeps its start, which
    ``data.bad_rows: exclude`` looks for."""
    at = np.flatnonzero(faults == "is not a number")
    for i, value in zip(at, raw.to_numpy()[at], strict=True):
        faults[i] = "is not a number" + number_hint(value)


def _to_int(values: pd.Series) -> pd.Series:
    return values.where(values % 1 == 0).astype("Int64")


def _check_identifier(raw: pd.Series, rows: np.ndarray) -> Checked:
    """Non-empty and unique; a repeat names the row of the first occurrence."""
    text = raw.astype(str).str.strip()
    empty = text.eq("").to_numpy(dtype=bool)
    # each id's first position, from codes: a group-by on millions of ids costs far more
    codes, ids = pd.factorize(text.where(~empty))  # -1 where empty
    positions = np.arange(len(codes))
    first_by_code = np.empty(len(ids), dtype=np.intp)
    # the last write wins: writing in reverse leaves each id's first position
    first_by_code[codes[~empty][::-1]] = positions[~empty][::-1]
    first_pos = np.zeros(len(codes), dtype=np.intp)
    first_pos[~empty] = first_by_code[codes[~empty]]
    repeated = ~empty & (first_pos != positions)
    first_row = np.asarray(rows)[first_pos]
    faults = _faults([empty], ["is empty"])
    faults[repeated] = [f"repeats the respondent_id of row {r}" for r in first_row[repeated]]
    return Checked(text.where(~empty).astype("string"), faults)


def _check_type(raw: pd.Series, required: bool) -> Checked:
    text = raw.astype(str).str.strip()
    empty = text.eq("").to_numpy(dtype=bool)
    # "epci" comes only from a type-label mapping: an EPCI whose legal type the frame gives
    known = text.isin((*COLLECTIVITY_TYPES, EPCI_PLACEHOLDER)).to_numpy(dtype=bool)
    bad = ~known & ~empty
    faults = _faults([empty & required], ["is empty"])
    faults[bad] = [
        "is not a known collectivity type" + did_you_mean(suggest_collectivity_type(value))
        for value in text[bad]
    ]
    return Checked(text.where(~empty).astype("string"), faults)


def _check_siren(raw: pd.Series, required: bool) -> Checked:
    """Nine digits, or a SIRET of fourteen whose first nine are the SIREN (survey tools often
    ask for the establishment's SIRET); spaces between digit groups ("213 100 125") are
    layout and are removed."""
    compact = raw.astype(str).str.replace(r"\s", "", regex=True)
    empty = compact.eq("").to_numpy(dtype=bool)
    valid = compact.str.fullmatch(r"\d{9}|\d{14}").to_numpy(dtype=bool)
    faults = _faults([empty & required, empty, ~valid], ["is empty", "", "is not 9 (or 14) digits"])
    return Checked(compact.str[:9].where(~empty).astype("string"), faults)


def _check_code_insee(raw: pd.Series) -> Checked:
    """A commune (5 characters, Corsica 2A/2B), département (2 or 3) or région (2) code.

    A spreadsheet that stored codes as numbers dropped their leading zero ("1053" for Ambérieu
    01053, "1" for the Ain): a 4-digit code is read as a commune's, a 1-digit one as a
    département's, with the zero put back."""
    text = raw.astype(str).str.strip().str.upper()
    text = text.mask(text.str.fullmatch(r"\d{4}"), "0" + text)
    text = text.mask(text.str.fullmatch(r"\d"), "0" + text)
    empty = text.eq("").to_numpy(dtype=bool)
    valid = text.str.fullmatch(r"\d{2,3}|2[AB]|\d{5}|2[AB]\d{3}").to_numpy(dtype=bool)
    faults = _faults([~empty & ~valid], ["is not an INSEE code"])
    return Checked(text.where(~empty).astype("string"), faults)


def check_levels(raw: pd.Series, codebook: Codebook) -> Checked:
    """An item answer: empty (unanswered) or a whole number among the codebook's levels."""
    n = parse_numbers(raw)
    conditions = [
        n.empty,
        ~n.is_number,
        ~n.whole,
        ~np.isin(n.values.to_numpy(), codebook.level_values),
    ]
    messages = [
        "",
        _TEXT_ANSWER,
        "is not a whole number",
        "is not a level of the codebook",
    ]
    faults = _faults(conditions, messages)
    return Checked(_to_int(n.values.where(faults == "")).astype(item_dtype(codebook)), faults)


def check_cuts(raw: pd.Series, cuts: Sequence[float], codebook: Codebook) -> Checked:
    """A numeric item's cell (``Item.cuts``): empty (unanswered) or a number, read as the
    codebook's lowest level plus the number of cuts at or below it.

    Numbers are read as in the contract's decimal columns (``parse_numbers``: ``12,5``,
    ``1 234``). A cell whose one separator may group thousands or mark decimals (``1,500``)
    is refused only when its two readings fall in different levels: ``12,000`` is level 2
    of the cuts ``[1, 10]`` whether it means 12 or 12000.
    """
    n = parse_numbers(raw)
    edges = np.asarray(cuts, dtype="float64")
    values = n.values.to_numpy()
    # side="right": a value equal to a cut counts that cut (cuts "at or below the value")
    level = np.searchsorted(edges, np.nan_to_num(values), side="right") + codebook.min_level
    ambiguous = ambiguous_numbers(raw, whole=False)
    if ambiguous.any():
        other = parse_numbers(raw.astype(str).str.replace(r"[.,]", "", regex=True)).values
        other_level = np.searchsorted(edges, np.nan_to_num(other.to_numpy()), side="right")
        ambiguous = ambiguous & (other_level + codebook.min_level != level)
    faults = _faults([n.empty, ~n.is_number, ambiguous], ["", "is not a number", "ambiguous"])
    at = faults == "ambiguous"
    faults[at] = [ambiguous_message(value, False) for value in raw.to_numpy()[at]]
    _hint_numbers(faults, raw)
    good = pd.Series(level, index=raw.index, dtype="float64").where(faults == "")
    return Checked(_to_int(good.where(~n.empty)).astype(item_dtype(codebook)), faults)


def cuts_expected(cuts: Sequence[float], codebook: Codebook) -> str:
    """Expected wording for a numeric item's cells, naming its cuts and levels."""
    shown = ", ".join(f"{c:g}" for c in cuts)
    return (
        f"a number (the cuts [{shown}] make it a level from {codebook.min_level} to "
        f"{codebook.max_level}), or empty"
    )


def item_dtype(codebook: Codebook) -> str:
    """The smallest nullable integer dtype holding every level of ``codebook``."""
    low, high = min(codebook.level_values), max(codebook.level_values)
    for dtype in ITEM_DTYPES:
        info = np.iinfo(dtype.lower())
        if info.min <= low and high <= info.max:
            return dtype
    return ITEM_DTYPES[-1]


_TEXT_ANSWER = "is not an answer level (text answers need an answer-label mapping)"


def level_expected(codebook: Codebook) -> str:
    """Expected wording for item cells, e.g. 'an answer level among 0, 1, 2, 3, or empty'."""
    levels = ", ".join(str(v) for v in codebook.level_values)
    return f"an answer level among {levels}, or empty"


def suggest_collectivity_type(value: str) -> str | None:
    """The valid type a misspelt one most likely means ("Métropole" -> "metropole"), if any."""
    return closest(value, {t: t for t in COLLECTIVITY_TYPES} | _TYPE_ALIASES, cutoff=0.75)


# --- problems -----------------------------------------------------------------------------


def _missing_columns(
    table: RawTable, codebook: Codebook, population_optional: bool = False
) -> list[Problem]:
    present = list(table.frame.columns)
    known = set(COLUMN_NAMES) | set(codebook.item_columns)
    unused = [h for h in present if h and h not in known]
    problems = [
        Problem(
            file=table.file,
            column=c.name,
            message="required column is missing" + _near_header(c.name, unused),
            expected=f"a column named {c.name!r} ({c.meaning})",
        )
        for c in COLUMNS
        if c.required
        and c.name not in present
        and c.name != "respondent_id"  # rows are then numbered by line (_number_rows)
        and not (population_optional and c.name == "population")
    ]
    if problems and table.sheets:  # the data may sit on another worksheet: say which exist
        problems[0] = replace(problems[0], message=problems[0].message + table.sheets)
    for theme in codebook.themes:
        problems += [
            Problem(
                file=table.file,
                column=item,
                message="item column of the codebook is missing" + _near_header(item, unused),
                expected=f"a column named {item!r} (an item of theme {theme.key!r})",
            )
            for item in theme.columns
            if item not in present
        ]
    return problems


def _near_header(name: str, unused: list[str]) -> str:
    """Point at an ignored header that is probably the missing column spelt differently."""
    match = closest(name, unused, cutoff=0.8)
    if match is None:
        return ""
    return f"; the file has a column {match!r} (rename it or give a column mapping)"


def _missing_value_problems(
    file: str,
    codebook: Codebook,
    answer_labels: Mapping[str, int | None] | None,
    type_labels: Mapping[str, str | None] | None,
    missing_values: Sequence[str],
) -> list[Problem]:
    """A ``data.missing_values`` text that is also an answer: a level (``0``), an answer label
    mapped to a level, or a type label mapped to a type. Every such cell would be read as
    empty, silently turning real answers into non-answers (or every type into "is empty")."""
    answers = {
        normalise_label(k): f"the answer label {k!r} (level {v})"
        for k, v in (answer_labels or {}).items()
        if v is not None
    }
    types = {
        normalise_label(k): f"the type label {k!r} ({v})"
        for k, v in (type_labels or {}).items()
        if v is not None
    }
    levels = {str(v): f"level {v} of the codebook" for v in codebook.level_values}
    problems = []
    for value in missing_values:
        key = normalise_label(value)
        what = answers.get(key) or types.get(key) or levels.get(str(value).strip())
        if what:
            problems.append(
                Problem(
                    file=file,
                    message=f"data.missing_values lists {value!r}, which is also {what}: "
                    "every such cell would be read as empty",
                    value=str(value),
                    expected="missing values that are not answers (NA, n/a, -, #N/A...)",
                )
            )
    return problems


def _mapping_problems(
    file: str,
    codebook: Codebook,
    columns: Mapping[str, str] | None,
    answer_labels: Mapping[str, int | None] | None,
    type_labels: Mapping[str, str | None] | None = None,
    extra_columns: Sequence[str] = (),
) -> list[Problem]:
    """Mistakes in the mappings themselves, which would otherwise show up as puzzling cells."""
    problems = []
    targets = (*COLLECTIVITY_TYPES, EPCI_PLACEHOLDER)
    for label, target in (type_labels or {}).items():
        if target is not None and target not in targets:
            problems.append(
                Problem(
                    file=mapping_where(type_labels, label, file),
                    message=f"the type-label mapping gives {label!r} an unknown type"
                    + did_you_mean(
                        suggest_collectivity_type(str(target))
                        or closest(str(target), [EPCI_PLACEHOLDER], cutoff=0.75)
                    ),
                    value=str(target),
                    expected="one of " + ", ".join(targets) + ", or null to leave the rows out",
                )
            )
    problems += extra_column_problems(file, codebook, extra_columns)
    known = set(COLUMN_NAMES) | set(codebook.item_columns) | set(extra_columns)
    for canonical in columns or {}:
        if canonical not in known:
            in_file = isinstance(columns, MappingFile)
            problems.append(
                Problem(
                    file=mapping_where(columns, canonical, file),
                    column=None if in_file else str(canonical),
                    message=(f"{str(canonical)!r}: " if in_file else "")
                    + "the column mapping names a column that is neither in the contract "
                    "nor in the codebook nor in data.extra_columns"
                    + did_you_mean(closest(str(canonical), sorted(known), cutoff=0.75)),
                    expected="a contract column (" + ", ".join(COLUMN_NAMES) + "), "
                    "an item column of the codebook, or a name listed in data.extra_columns",
                )
            )
    seen: dict[str, object] = {}
    for label, level in (answer_labels or {}).items():
        key = normalise_label(label)
        if level is None:
            level = "null"  # a non-answer: compared like a level for the two-levels check
            if key in seen and seen[key] != level:
                problems.append(_two_levels(file, label, seen[key], level))
            seen[key] = level
            continue
        if not _is_level(level, codebook):
            problems.append(
                Problem(
                    file=mapping_where(answer_labels, label, file),
                    message=f"the answer-label mapping gives {label!r} an invalid level",
                    value=str(level),
                    expected=level_expected(codebook).removesuffix(", or empty"),
                )
            )
        elif key in seen and seen[key] != int(level):
            problems.append(_two_levels(file, label, seen[key], level))
        else:
            seen[key] = int(level)
    return problems


def _two_levels(file: str, label: str, first: object, second: object) -> Problem:
    return Problem(
        file=file,
        message=f"the answer-label mapping gives {label!r} two levels (labels are compared "
        "ignoring case, accents' encoding, apostrophe style and surrounding spaces)",
        value=f"{first} and {second}",
        expected="one level per label",
    )


def _is_level(level: object, codebook: Codebook) -> bool:
    if isinstance(level, bool):
        return False
    try:
        return int(str(level).strip()) in codebook.level_values
    except ValueError:
        return False


# --- loading ------------------------------------------------------------------------------


def load_survey(
    path: str | Path,
    codebook: Codebook | str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    answer_labels: Mapping[str, int | None] | None = None,
    type_labels: Mapping[str, str | None] | None = None,
    population_optional: bool = False,
    strict_identifiers: bool = True,
    bad_rows: str = "stop",
    missing_values: Sequence[str] = (),
    extra_columns: Sequence[object] = (),
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read and check a survey file; return typed contract and item columns, or raise.

    The result has the contract columns present in the file (absent optional ones are not
    added, so that a model can drop them and say so) followed by the codebook's item columns,
    with a fresh ``RangeIndex``. Every problem found is raised in one ``InputError``.
    The file is only read, never written.

    ``type_labels`` maps the survey's type values to the contract's (``epci`` for an EPCI whose
    legal type the reference frame will give); a value mapped to None leaves its rows out of the
    analysis: they are kept, unchecked, with their reason in ``excluded_reason``, so that every
    row read is accounted for. ``population_optional`` accepts rows without a population (the
    reference frame may fill it, ``analyse.data.enrich``).

    ``strict_identifiers`` False makes a SIREN/SIRET or INSEE code that does not parse a
    warning (the cell is read as empty, so the frame matches the row by its next key) rather
    than a problem; ``bad_rows="exclude"`` leaves out, with their reason, the rows whose
    population is 0, negative or empty (when required) or whose type is unknown, rather than
    stopping. The warnings are in ``result.attrs["warnings"]`` (absent when there are none).

    A cell whose text is one of ``missing_values`` (compared like labels: R's ``NA``, ``n/a``,
    ``-``) is read as empty in every contract and item column. Without a ``respondent_id``
    column, each row is named after its line in the file, ``row-<line>``.

    ``extra_columns`` (``data.extra_columns``) are other columns of the file, under their name
    or mapped to it by ``columns``, added after the contract columns (``check_extra``): a
    column whose every cell is a number or empty is read as numbers, any other as text, and a
    column of whole numbers one of which has a leading zero (``01``) as text (codes). Each item
    is a name or declares its kind (``{name, kind}``, ``analyse.params.ExtraColumn``:
    ``category`` or ``number``), which then decides.
    """
    survey, _rows = load_survey_rows(
        path,
        codebook,
        columns,
        answer_labels,
        type_labels,
        population_optional,
        strict_identifiers=strict_identifiers,
        bad_rows=bad_rows,
        missing_values=missing_values,
        extra_columns=extra_columns,
        sheet=sheet,
    )
    return survey


def load_survey_rows(
    path: str | Path,
    codebook: Codebook | str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    answer_labels: Mapping[str, int | None] | None = None,
    type_labels: Mapping[str, str | None] | None = None,
    population_optional: bool = False,
    strict_identifiers: bool = True,
    bad_rows: str = "stop",
    missing_values: Sequence[str] = (),
    extra_columns: Sequence[object] = (),
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``load_survey`` and the spreadsheet row of each of its rows (``RawTable.rows``), for
    warnings that point at the file without reading it a second time."""
    codebook = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    extra_columns, kinds = extra_spec(extra_columns)
    problems = _mapping_problems(
        str(path), codebook, columns, answer_labels, type_labels, extra_columns
    ) + _missing_value_problems(str(path), codebook, answer_labels, type_labels, missing_values)
    if problems:
        raise InputError(problems)
    labels = {
        k: None if v is None else int(str(v).strip()) for k, v in (answer_labels or {}).items()
    }
    table = read_raw(
        path,
        columns=columns,
        answer_labels=labels,
        item_columns=codebook.item_columns,
        numeric_items=list(codebook.item_cuts),
        sheet=sheet,
    )
    release_memory()  # what parsing freed, before the typed columns are made
    _blank_missing(table, missing_values, codebook, extra_columns)
    warnings: list[str] = _unmapped_identifier_warnings(table, codebook, extra_columns)
    _number_rows(table)
    dropped: dict[str, int] = {}
    excluded = _apply_type_labels(table, type_labels or {}, dropped)
    warnings += null_label_warnings(
        codebook,
        type_labels,
        dropped,
        answer_labels,
        table.non_answers,
        str(path),
        enrich=population_optional,
    )
    if bad_rows == "exclude":
        excluded, found = _bad_row_exclusions(
            table,
            excluded,
            population_optional,
            str((columns or {}).get("population", "")) or "population",
        )
        warnings += found
    problems = list(table.problems) + _missing_columns(table, codebook, population_optional)
    present = set(table.frame.columns)  # before the checks take the checked columns away
    headers = {c: str((columns or {}).get(c, c)) for c in COLUMN_NAMES}
    typed, cell_level = _check_cells(
        table,
        codebook,
        excluded != "",
        population_optional,
        None if strict_identifiers else (headers, warnings),
        mapped_labels=list(answer_labels or {}),
        type_labels=type_labels,
    )
    problems += cell_level
    for name in extra_columns:
        values, found = check_extra(
            table, name, excluded != "", columns or {}, kind=kinds.get(name), warnings=warnings
        )
        if values is not None:
            typed[name] = values
        problems += found
    if problems:
        problems += _empty_population_way_out(problems, str(path), present)
        raise InputError(with_headers(problems, columns))
    out = pd.DataFrame(typed, copy=False)  # the checked columns, not a copy of them
    if warnings:
        out.attrs["warnings"] = warnings
    if (excluded != "").any():
        out[EXCLUSION_COLUMN] = pd.Series(excluded, dtype="string")
    release_memory()  # what the checks freed, before the caller scores the survey
    return out, table.rows


def _empty_population_way_out(
    problems: list[Problem], file: str, present: set[str]
) -> list[Problem]:
    """One problem after the rows whose population is empty, saying the ways forward: an
    export without populations (or with some missing) is common, and no row's fix is to type
    one in the file. Filling it from the reference frame needs a column it is matched on."""
    empty = [p for p in problems if p.column == "population" and p.message == "is empty"]
    if not empty:
        return []
    keys = [k for k in ("siren", "code_insee", "name") if k in present]
    frame = (
        ", or fill them from the reference frame with data.enrich_from_frame: true (matched "
        f"by {', '.join(keys)})"
        if keys
        else ""
    )
    return [
        Problem(
            file=file,
            column="population",
            message=f"{len(empty)} row(s) have an empty population: to go on without them, "
            f"set data.bad_rows: exclude (they are left out, counted among the exclusions)" + frame,
        )
    ]


def with_headers(problems: list[Problem], columns: Mapping[str, str] | None) -> list[Problem]:
    """Each problem about a column the mapping renamed, with the export's header beside the
    contract's name (``Problem.header``)."""
    renamed = {k: str(v) for k, v in (columns or {}).items() if str(v) != k}
    return [
        replace(p, header=renamed[p.column]) if p.column in renamed and p.header is None else p
        for p in problems
    ]


ROW_ID_PREFIX = "row-"  # respondent_id of a row of a file without one: row-<line>


def _number_rows(table: RawTable) -> None:
    """Without a ``respondent_id`` column, name each row after its line in the file, so that
    every message naming a row points at the line a user can open."""
    if "respondent_id" in table.frame.columns:
        return
    ids = pd.Series([f"{ROW_ID_PREFIX}{r}" for r in np.asarray(table.rows)], dtype=object)
    table.frame.insert(0, "respondent_id", ids.set_axis(table.frame.index))


# headers that look like a row's identifier: an export's own "ID", "Identifiant", "N°",
# "Numéro de réponse", or a SIREN/SIRET/INSEE code left out of data.columns
_ID_LIKE = re.compile(
    r"^(?:(?:id|identifiant|identifier|num[eé]ro|siren|siret|code insee|cog|insee)\b|n°)",
    re.IGNORECASE,
)


def _unmapped_identifier_warnings(
    table: RawTable, codebook: Codebook, extra_columns: Sequence[str] = ()
) -> list[str]:
    """Without a ``respondent_id`` column rows are named ``row-<line>``: say so when a header
    the mapping leaves out looks like an identifier, since the user probably meant to map it
    (a respondent then keeps its name across editions, and SIREN/SIRET matches the frame)."""
    if "respondent_id" in table.frame.columns:
        return []
    known = set(COLUMN_NAMES) | set(codebook.item_columns) | set(extra_columns)
    return [
        f"column {header!r} looks like an identifier but data.columns does not map it: rows "
        f"are named row-<line>; map it as respondent_id (or as siren / code_insee if it is "
        "one) to name them"
        for header in dict.fromkeys(str(h) for h in table.frame.columns)
        if header not in known and _ID_LIKE.match(header.strip())
    ]


def _blank_missing(
    table: RawTable,
    missing_values: Sequence[str],
    codebook: Codebook,
    extra_columns: Sequence[str] = (),
) -> None:
    """Empty the cells of ``missing_values`` in the contract, item and extra columns, once per
    distinct text of a column (``analyse.data.cells.distinct``)."""
    keys = {normalise_label(v) for v in missing_values}
    if not keys:
        return
    frame = table.frame
    read = set(COLUMN_NAMES) | set(codebook.item_columns) | set(extra_columns)
    for position, name in enumerate(list(frame.columns)):
        if name not in read:
            continue
        raw = frame.iloc[:, position]
        codes, texts = distinct(raw)
        hit = texts.map(normalise_label).isin(keys)
        if not hit.any():
            continue
        frame.isetitem(position, categorical(codes, texts.mask(hit, ""), frame.index))


def _apply_type_labels(
    table: RawTable,
    type_labels: Mapping[str, str | None],
    dropped: dict[str, int] | None = None,
) -> np.ndarray:
    """Rewrite the type column through the mapping (labels compared like answer labels); the
    reason each row left out by a None target is excluded ("" for the others). ``dropped``
    receives the rows left out by each label (normalised)."""
    excluded = np.full(len(table.frame), "", dtype=object)
    column = "collectivity_type"
    if not type_labels or column not in table.frame.columns:
        return excluded
    if isinstance(table.frame[column], pd.DataFrame):
        return excluded  # a duplicated header, reported elsewhere
    lookup = {normalise_label(k): v for k, v in type_labels.items()}
    raw = table.frame[column].astype(str)
    keys = raw.map(normalise_label)
    mapped = keys.map(lambda k: lookup.get(k, _UNMAPPED))
    dropped_rows = mapped.isna().to_numpy()
    if dropped is not None:
        dropped.update({str(k): int(n) for k, n in keys[dropped_rows].value_counts().items()})
    dropped = dropped_rows
    excluded[dropped] = [
        Reason("type_left_out", {"value": value.strip()}).english() for value in raw[dropped]
    ]
    keep = mapped.where(mapped.notna() & (mapped != _UNMAPPED), raw)
    table.frame[column] = keep.where(~dropped, "").astype(str)
    return excluded


_UNMAPPED = "\x00unmapped"


def null_label_warnings(
    codebook: Codebook,
    type_labels: Mapping[str, str | None] | None,
    dropped: Mapping[str, int],
    answer_labels: Mapping[str, int | None] | None,
    non_answers: Mapping[str, int],
    file: str,
    enrich: bool = True,
) -> list[str]:
    """A label left null in a mapping that looks like a known one, and drops rows or answers:
    valid, since « Autre: null » is how rows are left out, but a draft placeholder left
    unedited on « Une métroploe » or « Mise en oeuvre... » loses them silently otherwise.
    ``dropped`` and ``non_answers``: rows and cells each label (normalised) took away. The
    codebook's exact wording of a level left null is ``configured.mapping_warnings``'s.
    ``enrich`` (``data.enrich_from_frame``): mapping to ``epci`` needs it, else the advice is
    the legal type or turning it on."""
    warnings = []
    for label, target in (type_labels or {}).items():
        rows = dropped.get(normalise_label(label), 0)
        like = looks_like_type(label) if target is None and rows else None
        if like is not None:
            advice = (
                f"map it to {like} if it is one"
                if like != EPCI_PLACEHOLDER or enrich
                else "map it to its legal type (CC, CA, CU or metropole) if it is one, or to "
                "epci with data.enrich_from_frame: true (the frame then gives the legal type)"
            )
            warnings.append(
                f"{mapping_where(type_labels, label, 'data.type_labels')}: type label "
                f"{label!r} is mapped to null, which leaves its {rows} row(s) of {file} out of "
                f"the analysis, but it looks like the type {like!r}: {advice}"
            )
    own = level_labels(codebook)
    for label, level in (answer_labels or {}).items():
        cells = non_answers.get(normalise_label(label), 0)
        near = near_labels(label, own) if level is None and cells else None
        if near is not None and words(label) not in own:
            text = next(
                (lv.label_fr for lv in codebook.levels if own[near] == lv.value and lv.label_fr),
                near,
            )
            warnings.append(
                f"{mapping_where(answer_labels, label, 'data.answer_labels')}: answer label "
                f"{label!r} is mapped to null (a non-answer), which reads its {cells} "
                f"answer(s) as missing, but it looks like the codebook's label of level "
                f"{own[near]} ({text!r}): map it to {own[near]} if it is that level"
            )
    return warnings


_IDENTIFIER_KINDS = ("siren", "code_insee")


def _bad_row_exclusions(
    table: RawTable, excluded: np.ndarray, population_optional: bool, header: str = "population"
) -> tuple[np.ndarray, list[str]]:
    """``data.bad_rows: exclude``: the reason each row that would stop the run is left out
    (a type no mapping names or an empty type, a population of 0, negative, empty where one is
    required, or not a number), added to the reasons already given. Such a row is then not
    checked, like a row left out by the type mapping, and is counted among the exclusions.

    The reasons are published (counted in the report), so none holds what a cell said: a
    population cell may hold anything ("22243 hab. (source : J. Dupont, 06 …)"). The values
    of the cells that are not numbers come back as warnings, for ``validate`` to show the
    analyst, one per row."""
    out = excluded.copy()
    warnings: list[str] = []
    frame = table.frame
    open_ = out == ""
    if "collectivity_type" in frame.columns and isinstance(frame["collectivity_type"], pd.Series):
        spec = next(c for c in COLUMNS if c.name == "collectivity_type")
        faults = check_column(frame["collectivity_type"], spec, table.rows).messages
        unknown = _starts_with(faults, _UNKNOWN_TYPE) & open_
        values = frame["collectivity_type"].astype(str).str.strip().to_numpy()[unknown]
        out[unknown] = [Reason("type_unknown", {"value": v}).english() for v in values]
        out[(faults == "is empty") & open_] = Reason("type_empty").english()
        open_ = out == ""
    if "population" in frame.columns and isinstance(frame["population"], pd.Series):
        spec = next(c for c in COLUMNS if c.name == "population")
        if population_optional:
            spec = replace(spec, required=False)
        faults = check_column(frame["population"], spec, table.rows).messages
        for message, code in (
            ("is zero", "population_zero"),
            ("is negative", "population_negative"),
            ("is empty", "population_empty"),
        ):
            at = (faults == message) & open_
            out[at] = Reason(code).english()
        # a text where a number is expected ("inconnue", "12 000 hab."): left out, its value
        # said to the analyst only; data.missing_values can turn such a text into an empty
        # cell for the frame to fill
        text = _starts_with(faults, "is not a number") & open_
        out[text] = Reason("population_not_number").english()
        shown = f"'{header}'" if header == "population" else f"'{header}' (population)"
        warnings += [
            f"row {int(row)}, column {shown}: {str(value).strip()!r} is not a number; the row is "
            "left out (data.bad_rows: exclude)"
            for row, value in zip(
                np.asarray(table.rows)[text], frame["population"].to_numpy()[text], strict=True
            )
        ]
    return out, warnings


def _identifier_warnings(
    table: RawTable, column: str, header: str, checked: Checked, excluded: np.ndarray
) -> tuple[Checked, list[str]]:
    """``data.strict_identifiers: false``: a SIREN/SIRET or INSEE code that does not parse is
    only a matching aid typed badly. Each becomes a warning naming its row, header and value,
    and the cell is read as empty, so the reference frame matches the row by its next key."""
    bad = (checked.messages != "") & ~excluded
    values = checked.values.copy()
    values[bad] = pd.NA
    raw = table.frame[column].to_numpy()[bad]
    rows = np.asarray(table.rows)[bad]
    shown = f"'{header}'" if header == column else f"'{header}' ({column})"
    warnings = [
        f"row {int(row)}, column {shown}: {str(value).strip()!r} "
        f"{checked.messages[bad][i]}; the identifier is ignored and the row is matched by "
        "its next key (code_insee, then name)"
        for i, (row, value) in enumerate(zip(rows, raw, strict=True))
    ]
    return Checked(values, np.full(len(values), "", dtype=object)), warnings


def _check_cells(
    table: RawTable,
    codebook: Codebook,
    excluded: np.ndarray,
    population_optional: bool,
    lenient: tuple[Mapping[str, str], list[str]] | None = None,
    mapped_labels: Sequence[str] = (),
    type_labels: Mapping[str, str | None] | None = None,
) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Typed columns in output order, and the problems of every readable column
    (``mapped_labels``: the answer-label mapping's keys, ``type_labels`` the type mapping,
    for "did you mean").

    Rows left out of the analysis (``excluded``) are not checked: an "Autre" body without a
    population is not a fault of the file. Each checked column is removed from
    ``table.frame`` once typed and reported, so that the raw and the typed table are not held
    whole at the same time. ``lenient`` (the export's header of each contract column, and a
    list to append to) turns identifier faults into warnings (``_identifier_warnings``).
    """
    whole = table.frame
    duplicated = set(whole.columns[whole.columns.duplicated()])
    usable = {c for c in whole.columns if c not in duplicated}
    items = [item for item in codebook.item_columns if item in usable]
    checked_names = [c.name for c in COLUMNS if c.name in usable and c.name not in items]
    # The columns checked here are set apart in a table of their own, from which each is
    # dropped once typed: dropping a column rebuilds its table's list of blocks, one per
    # column of text, so dropping them one by one from a file of thousands of columns would
    # cost the contract's columns times the file's. The other columns stay in ``table.frame``.
    frame = whole[checked_names + items]
    rest = whole.drop(columns=checked_names + items)
    table.frame = frame
    del whole
    try:
        typed, problems = _check_set_apart(
            table,
            codebook,
            frame,
            items,
            usable,
            excluded,
            population_optional,
            lenient,
            mapped_labels,
            type_labels,
        )
    finally:
        table.frame = pd.concat([frame, rest], axis=1) if frame.shape[1] else rest
    return typed, problems


def _check_set_apart(
    table: RawTable,
    codebook: Codebook,
    frame: pd.DataFrame,
    items: list[str],
    usable: set[str],
    excluded: np.ndarray,
    population_optional: bool,
    lenient: tuple[Mapping[str, str], list[str]] | None,
    mapped_labels: Sequence[str] = (),
    type_labels: Mapping[str, str | None] | None = None,
) -> tuple[dict[str, pd.Series], list[Problem]]:
    """``_check_cells`` on ``frame`` (``table.frame`` meanwhile), the contract and item
    columns to check, each dropped from it once typed and reported."""
    typed: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for column in COLUMNS:
        if column.name in usable:
            if column.name == "population" and population_optional:
                column = replace(column, required=False)
            checked = check_column(frame[column.name], column, table.rows)
            if lenient is not None and column.kind in _IDENTIFIER_KINDS:
                headers, warnings = lenient
                checked, found = _identifier_warnings(
                    table, column.name, headers[column.name], checked, excluded
                )
                warnings += found
            faults = np.where(excluded, "", checked.messages)
            typed[column.name] = checked.values
            if column.kind == "type":
                problems += _unknown_type_problems(table, faults, type_labels)
                faults = np.where(_starts_with(faults, _UNKNOWN_TYPE), "", faults)
            problems += cell_problems(table, column.name, faults, column.expected)
            if column.name not in items:
                del frame[column.name]  # typed now: the raw cells need not be held with it
    expected = level_expected(codebook)
    cuts = codebook.item_cuts
    unmapped: dict[str, tuple[int, set[str], int]] = {}
    for item, checked in zip(items, _check_items(frame, items, codebook), strict=True):
        typed[item] = checked.values
        faults = np.where(excluded, "", checked.messages)
        if item in cuts:  # a numeric item: each bad cell is its own problem
            problems += cell_problems(table, item, faults, cuts_expected(cuts[item], codebook))
            problems += mixed_decimals(table, item, excluded, cuts_expected(cuts[item], codebook))
            del frame[item]
            continue
        text = faults == _TEXT_ANSWER
        for label, row in zip(frame[item][text], np.asarray(table.rows)[text], strict=True):
            count, where, first = unmapped.get(label.strip(), (0, set(), int(row)))
            unmapped[label.strip()] = (count + 1, where | {item}, first)
        problems += cell_problems(table, item, np.where(text, "", faults), expected)
        del frame[item]
    problems += _unmapped_label_problems(table.file, unmapped, codebook, mapped_labels)
    return typed, problems


_UNKNOWN_TYPE = "is not a known collectivity type"


def _unknown_type_problems(
    table: RawTable, faults: np.ndarray, type_labels: Mapping[str, str | None] | None = None
) -> list[Problem]:
    """One problem per distinct unknown type value, with its count: an export writes "Autre"
    on every row of its kind, and the fix is one line of the type-label mapping. A value close
    to a key of the mapping (« Une métropole » against « Une metropol: metropole ») is that key
    misspelt: reported against the mapping's line, as for answer labels."""
    unknown = _starts_with(faults, _UNKNOWN_TYPE)
    if not unknown.any():
        return []
    values = table.frame["collectivity_type"].astype(str).str.strip()[unknown]
    rows = np.asarray(table.rows)[unknown]
    keys = [str(k) for k in (type_labels or {})]
    problems = []
    for value, count in values.value_counts(sort=True).items():
        first = int(rows[(values == value).to_numpy()][0])
        message = faults[unknown][(values == value).to_numpy()][0]
        near = closest(str(value), keys, cutoff=0.85)
        if near is not None and near != value:
            problems.append(
                Problem(
                    file=mapping_where(type_labels, near, "data.type_labels"),
                    message=f"the type {value!r} of {table.file} ({count} row(s), first on "
                    f"row {first}) is not in the type-label mapping; the mapping has "
                    f"{near!r}: did you mean {value!r} there?",
                )
            )
            continue
        problems.append(
            Problem(
                file=table.file,
                row=first if count == 1 else None,
                column="collectivity_type",
                value=value,
                message=f"{message} ({count} row(s), first on row {first})",
                expected="one of " + ", ".join(COLLECTIVITY_TYPES) + f", or an entry "
                f"'{value}: <type>' in data.type_labels (epci for an EPCI whose legal type "
                "comes from the reference frame, null to leave those rows out)",
            )
        )
    return problems


def _unmapped_label_problems(
    file: str,
    unmapped: Mapping[str, tuple[int, set[str], int]],
    codebook: Codebook,
    mapped_labels: Sequence[str] = (),
) -> list[Problem]:
    """One problem per distinct text answer without a level, with its count and columns: an
    export answers in labels, and "Je ne sais pas" in 900 cells is one thing to map, not 900.
    A label found in one cell is located by its row and column. A label close to a key of the
    mapping (``mapped_labels``) is that key misspelt in the mapping or in the cells: said."""
    problems = []
    for label, (count, where, first) in sorted(unmapped.items(), key=lambda kv: -kv[1][0]):
        near = closest(label, list(mapped_labels), cutoff=0.85)
        hint = (
            f"; the mapping has {near!r}: did you mean {label!r} there?"
            if near is not None and near != label
            else ""
        )
        columns = sorted(where)
        shown = ", ".join(columns[:5]) + (
            f" and {len(columns) - 5} more" if len(columns) > 5 else ""
        )
        problems.append(
            Problem(
                file=file,
                row=first if count == 1 else None,
                column=columns[0] if len(columns) == 1 else None,
                value=label,
                message=f"text answer in {count} cell(s) of column(s) {shown} has no level "
                f"in the answer-label mapping{hint}",
                expected=f"an entry '{label}: <level>' in data.answer_labels "
                f"({level_expected(codebook).removesuffix(', or empty')}), or null for a "
                "non-answer",
            )
        )
    return problems


def _check_items(frame: pd.DataFrame, items: list[str], codebook: Codebook) -> Iterator[Checked]:
    """``check_levels`` of every item column, computed once per distinct cell text.

    A survey has dozens of item columns whose cells take a handful of distinct texts ("0" to
    "3", empty, a few typos): the rules are per cell, so checking the distinct texts of all
    the columns once and spreading the verdicts back by each cell's code
    (``analyse.data.cells.distinct``) gives the same result as checking column by column,
    without the per-column cost of a dozen vectorised string operations. Columns are yielded
    one at a time, so that a caller holds one column's per-cell verdicts at once, not all.
    """
    cuts = codebook.item_cuts
    answered = [item for item in items if item not in cuts]
    if not answered:
        yield from (_check_numeric_item(frame[item], cuts[item], codebook) for item in items)
        return
    texts = {item: distinct(frame[item])[1] for item in answered}
    union = pd.unique(np.concatenate([t.to_numpy(dtype=object) for t in texts.values()]))
    checked = check_levels(pd.Series(union, dtype=object), codebook)
    values, messages = checked.values.array, checked.messages
    position = {text: i for i, text in enumerate(union)}
    for item in items:
        if item in cuts:
            yield _check_numeric_item(frame[item], cuts[item], codebook)
            continue
        column_texts = texts[item]
        codes, _ = distinct(frame[item])
        at = np.array([position[text] for text in column_texts], dtype=np.intp)[codes]
        yield Checked(pd.Series(values.take(at), index=frame.index), messages[at])


def _check_numeric_item(raw: pd.Series, cuts: Sequence[float], codebook: Codebook) -> Checked:
    """``check_cuts`` of one numeric item, once per distinct text of the column (the decimal
    convention of ``ambiguous_numbers`` is the column's own, so columns are not pooled)."""
    codes, texts = distinct(raw)
    checked = check_cuts(texts, cuts, codebook)
    return Checked(
        pd.Series(checked.values.array.take(codes), index=raw.index), checked.messages[codes]
    )


# --- summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveySummary:
    """What a user checks after validation: size, who has no index and why, reliability."""

    file: str | None
    rows: int
    excluded: int
    exclusion_reasons: dict[str, int]
    reliability: pd.DataFrame  # theme, n_items, n_complete, alpha

    @property
    def included(self) -> int:
        return self.rows - self.excluded

    def render(self) -> str:
        """A plain-text report; plain so that it reads the same in a terminal, log or test."""
        lines = []
        if self.file is not None:
            lines.append(f"File: {self.file}")
        lines.append(f"Rows: {self.rows}")
        lines.append(f"Rows with a maturity index: {self.included}")
        lines.append(f"Excluded rows: {self.excluded}")
        for reason, count in self.exclusion_reasons.items():
            lines.append(f"  {count:>5}  {reason}")
        lines.append("Reliability per theme (Cronbach's alpha on complete respondents):")
        width = max([len("theme"), *(len(t) for t in self.reliability["theme"])])
        lines.append(f"  {'theme':<{width}}  items  complete  alpha")
        for rec in self.reliability.itertuples(index=False):
            alpha = "n/a" if np.isnan(rec.alpha) else f"{rec.alpha:.2f}"
            lines.append(
                f"  {rec.theme:<{width}}  {rec.n_items:>5}  {rec.n_complete:>8}  {alpha:>5}"
            )
        return "\n".join(lines)


def summarize(df: pd.DataFrame, codebook: Codebook, file: str | None = None) -> SurveySummary:
    """Rows, rows without a maturity index (by reason) and per-theme alpha of a loaded survey."""
    return summarize_scored(score_survey(df, codebook), reliability(df, codebook), file)


def summarize_scored(
    scored: pd.DataFrame, alphas: pd.DataFrame, file: str | None = None
) -> SurveySummary:
    """``summarize`` for a table already scored (whatever left its rows out, e.g. a run's
    mappings and ``min_themes``), with its per-theme alphas."""
    reasons = scored[EXCLUSION_COLUMN].fillna("")
    counts = reasons[reasons != ""].value_counts()
    return SurveySummary(
        file=file,
        rows=len(scored),
        excluded=int(counts.sum()),
        exclusion_reasons={str(k): int(v) for k, v in counts.items()},
        reliability=alphas,
    )


def validate_file(
    path: str | Path,
    codebook: str | Path | None = None,
    columns: str | Path | None = None,
    answer_labels: str | Path | None = None,
) -> SurveySummary:
    """What ``analyse validate`` does, from file paths: load every input, check, summarise."""
    book = load_codebook(codebook)
    mapping = read_column_mapping(columns) if columns is not None else None
    labels = read_answer_labels(answer_labels) if answer_labels is not None else None
    survey = load_survey(path, book, columns=mapping, answer_labels=labels)
    return summarize(survey, book, file=str(path))
