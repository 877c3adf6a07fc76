"""Loading a survey file into typed contract columns, reporting every problem at once.

``load_survey`` reads a file (``analyse.data.readers``), checks each contract column and
each codebook item column with vectorised rules, and either returns a typed DataFrame or raises one
``InputError`` listing every bad cell with its spreadsheet row, column, value and what was
expected: a user fixes a survey export in one pass rather than one error per run.

Parsing is strict (a value is accepted only if it means exactly one thing) but tolerant of how
French office tools write numbers: ``3,5`` and ``3.5`` are both 3.5, ``12 345`` (with a normal,
non-breaking or narrow space) is 12345, and a whole number may be written ``2.0``. A
collectivity type must be spelt as in the contract; near misses get a suggestion, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.codebook import Codebook, load_codebook
from analyse.data.contract import COLLECTIVITY_TYPES, COLUMN_NAMES, COLUMNS, ColumnSpec
from analyse.data.readers import RawTable, normalise_label, read_raw
from analyse.data.scoring import EXCLUSION_COLUMN, reliability, score_survey
from analyse.errors import InputError, Problem
from analyse.suggest import closest, did_you_mean
from analyse.yaml_files import read_yaml

MAX_PROBLEMS_PER_COLUMN = 20
YEAR_RANGE: tuple[int, int] = (1900, 2100)

DTYPES: dict[str, str] = {
    "string": "string",
    "type": "string",
    "siren": "string",
    "int_pos": "Int64",
    "float_pos": "float64",
    "float_nonneg": "float64",
    "binary": "Int64",
    "year": "Int64",
}
ITEM_DTYPE = "Int64"

_SPACES = "\u0020\u00a0\u202f\u2009"
_GROUPED = rf"[+-]?\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?"
_DECIMAL_COMMA = r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_EXACT_INT_LIMIT = 2.0**53  # beyond this a float no longer holds every whole number

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


# --- number parsing -----------------------------------------------------------------------


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


# --- column checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A column's typed values (meaningful where ``messages`` is empty) and per-cell faults."""

    values: pd.Series
    messages: np.ndarray  # "" where the cell is fine, else what is wrong with it


def check_column(raw: pd.Series, column: ColumnSpec, rows: np.ndarray) -> Checked:
    """Check one contract column according to its kind."""
    if column.kind == "string":
        return _check_identifier(raw, rows)
    if column.kind == "type":
        return _check_type(raw, column.required)
    if column.kind == "siren":
        return _check_siren(raw, column.required)
    return _check_number(raw, column.kind, column.required)


def _check_number(raw: pd.Series, kind: str, required: bool) -> Checked:
    n = parse_numbers(raw)
    v = n.values.to_numpy()
    conditions = [n.empty & required, n.empty, ~n.is_number]
    messages = ["is empty", "", "is neither 0 nor 1" if kind == "binary" else "is not a number"]
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
    faults = np.select(conditions, messages, default="")
    good = n.values.where(faults == "")
    values = good.astype(DTYPES[kind]) if DTYPES[kind] != "Int64" else _to_int(good)
    return Checked(values, faults)


def _to_int(values: pd.Series) -> pd.Series:
    return values.where(values % 1 == 0).astype("Int64")


def _check_identifier(raw: pd.Series, rows: np.ndarray) -> Checked:
    """Non-empty and unique; a repeat names the row of the first occurrence."""
    text = raw.astype(str).str.strip()
    empty = text.eq("").to_numpy(dtype=bool)
    ids = text.where(~empty)
    repeated = (ids.duplicated(keep="first") & ~empty).to_numpy(dtype=bool)
    positions = pd.Series(np.arange(len(ids)), index=ids.index)
    first_pos = positions.groupby(ids, dropna=True).transform("min").fillna(0).astype(int)
    first_row = np.asarray(rows)[first_pos.to_numpy()]
    faults = np.where(empty, "is empty", "").astype(object)
    faults[repeated] = [f"repeats the respondent_id of row {r}" for r in first_row[repeated]]
    return Checked(text.where(~empty).astype("string"), faults.astype(str))


def _check_type(raw: pd.Series, required: bool) -> Checked:
    text = raw.astype(str).str.strip()
    empty = text.eq("").to_numpy(dtype=bool)
    known = text.isin(COLLECTIVITY_TYPES).to_numpy(dtype=bool)
    bad = ~known & ~empty
    faults = np.where(empty & required, "is empty", "").astype(object)
    faults[bad] = [
        "is not a known collectivity type" + did_you_mean(suggest_collectivity_type(value))
        for value in text[bad]
    ]
    return Checked(text.where(~empty).astype("string"), faults.astype(str))


def _check_siren(raw: pd.Series, required: bool) -> Checked:
    """Nine digits; spaces between digit groups ("213 100 125") are layout and are removed."""
    compact = raw.astype(str).str.replace(r"\s", "", regex=True)
    empty = compact.eq("").to_numpy(dtype=bool)
    nine = compact.str.fullmatch(r"\d{9}").to_numpy(dtype=bool)
    faults = np.select([empty & required, empty, ~nine], ["is empty", "", "is not 9 digits"], "")
    return Checked(compact.where(~empty).astype("string"), faults)


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
        "is not an answer level (text answers need an answer-label mapping)",
        "is not a whole number",
        "is not a level of the codebook",
    ]
    faults = np.select(conditions, messages, default="")
    return Checked(_to_int(n.values.where(faults == "")), faults)


def level_expected(codebook: Codebook) -> str:
    """Expected wording for item cells, e.g. 'an answer level among 0, 1, 2, 3, or empty'."""
    levels = ", ".join(str(v) for v in codebook.level_values)
    return f"an answer level among {levels}, or empty"


def suggest_collectivity_type(value: str) -> str | None:
    """The valid type a misspelt one most likely means ("Métropole" -> "metropole"), if any."""
    return closest(value, {t: t for t in COLLECTIVITY_TYPES} | _TYPE_ALIASES, cutoff=0.75)


# --- problems -----------------------------------------------------------------------------


def cell_problems(table: RawTable, column: str, faults: np.ndarray, expected: str) -> list[Problem]:
    """One problem per faulty cell of ``column``, capped so a broken file stays readable."""
    positions = np.flatnonzero(faults != "")
    raw = table.frame[column].to_numpy()
    problems = [
        Problem(
            file=table.file,
            row=int(table.rows[i]),
            column=column,
            value=str(raw[i]),
            message=str(faults[i]),
            expected=expected,
        )
        for i in positions[:MAX_PROBLEMS_PER_COLUMN]
    ]
    hidden = len(positions) - MAX_PROBLEMS_PER_COLUMN
    if hidden > 0:
        problems.append(
            Problem(
                file=table.file,
                column=column,
                message=f"and {hidden} more rows with a problem in this column "
                f"(only the first {MAX_PROBLEMS_PER_COLUMN} are listed)",
                expected=expected,
            )
        )
    return problems


def _missing_columns(table: RawTable, codebook: Codebook) -> list[Problem]:
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
        if c.required and c.name not in present
    ]
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


def _mapping_problems(
    file: str,
    codebook: Codebook,
    columns: Mapping[str, str] | None,
    answer_labels: Mapping[str, int] | None,
) -> list[Problem]:
    """Mistakes in the mappings themselves, which would otherwise show up as puzzling cells."""
    problems = []
    known = set(COLUMN_NAMES) | set(codebook.item_columns)
    for canonical in columns or {}:
        if canonical not in known:
            problems.append(
                Problem(
                    file=file,
                    column=str(canonical),
                    message="the column mapping names a column that is neither in the contract "
                    "nor in the codebook",
                    expected="a contract column (" + ", ".join(COLUMN_NAMES) + ") "
                    "or an item column of the codebook",
                )
            )
    seen: dict[str, object] = {}
    for label, level in (answer_labels or {}).items():
        key = normalise_label(label)
        if not _is_level(level, codebook):
            problems.append(
                Problem(
                    file=file,
                    message=f"the answer-label mapping gives {label!r} an invalid level",
                    value=str(level),
                    expected=level_expected(codebook).removesuffix(", or empty"),
                )
            )
        elif key in seen and seen[key] != int(level):
            problems.append(
                Problem(
                    file=file,
                    message=f"the answer-label mapping gives {label!r} two levels "
                    "(labels are compared ignoring case and surrounding spaces)",
                    value=f"{seen[key]} and {level}",
                    expected="one level per label",
                )
            )
        else:
            seen[key] = int(level)
    return problems


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
    answer_labels: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Read and check a survey file; return typed contract and item columns, or raise.

    The result has the contract columns present in the file (absent optional ones are not
    added, so that a model can drop them and say so) followed by the codebook's item columns,
    with a fresh ``RangeIndex``. Every problem found is raised in one ``InputError``.
    The file is only read, never written.
    """
    codebook = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    problems = _mapping_problems(str(path), codebook, columns, answer_labels)
    if problems:
        raise InputError(problems)
    labels = {k: int(str(v).strip()) for k, v in (answer_labels or {}).items()}
    table = read_raw(
        path, columns=columns, answer_labels=labels, item_columns=codebook.item_columns
    )
    problems = list(table.problems) + _missing_columns(table, codebook)
    typed, cell_level = _check_cells(table, codebook)
    problems += cell_level
    if problems:
        raise InputError(problems)
    return pd.DataFrame(typed)


def _check_cells(table: RawTable, codebook: Codebook) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Typed columns in output order, and the problems of every readable column."""
    frame = table.frame
    duplicated = set(frame.columns[frame.columns.duplicated()])
    usable = [c for c in frame.columns if c not in duplicated]
    typed: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for column in COLUMNS:
        if column.name in usable:
            checked = check_column(frame[column.name], column, table.rows)
            typed[column.name] = checked.values
            problems += cell_problems(table, column.name, checked.messages, column.expected)
    expected = level_expected(codebook)
    items = [item for item in codebook.item_columns if item in usable]
    for item, checked in zip(items, _check_items(frame, items, codebook), strict=True):
        typed[item] = checked.values
        problems += cell_problems(table, item, checked.messages, expected)
    return typed, problems


def _check_items(frame: pd.DataFrame, items: list[str], codebook: Codebook) -> list[Checked]:
    """``check_levels`` of every item column, computed once per distinct cell text.

    A survey has dozens of item columns whose cells take a handful of distinct texts ("0" to
    "3", empty, a few typos): the rules are per cell, so checking the distinct texts once and
    spreading the verdicts back gives the same result as checking column by column, without
    the per-column cost of a dozen vectorised string operations.
    """
    if not items:
        return []
    text = pd.concat([frame[item].astype(str) for item in items], ignore_index=True)
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    checked = check_levels(pd.Series(distinct, dtype=text.dtype), codebook)
    values, messages = checked.values.array, checked.messages
    out = []
    for j in range(len(items)):
        at = codes[j * len(frame) : (j + 1) * len(frame)]
        out.append(Checked(pd.Series(values.take(at), index=frame.index), messages[at]))
    return out


# --- mapping files ------------------------------------------------------------------------


def _read_yaml_mapping(path: str | Path, what: str) -> dict[str, str]:
    """A flat YAML mapping with every scalar kept as text.

    YAML's base loader is used so that labels such as ``No`` or ``Off`` stay text instead of
    becoming booleans, and ``01`` stays ``01``.
    """
    path = Path(path)
    name = str(path)
    expected = f"a YAML file of '{what}' lines"
    raw = read_yaml(path, expected=expected, text_scalars=True)
    if not isinstance(raw, dict) or not raw:
        raise InputError([Problem(file=name, message="not a mapping", expected=expected)])
    bad = [k for k, v in raw.items() if not isinstance(v, str) or not str(k).strip()]
    if bad:
        raise InputError(
            [
                Problem(
                    file=name,
                    column=str(k),
                    message="value is not a single name or number",
                    value=str(raw[k]),
                    expected=expected,
                )
                for k in bad
            ]
        )
    return {str(k): v for k, v in raw.items()}


def read_column_mapping(path: str | Path) -> dict[str, str]:
    """A column mapping file: ``canonical_name: name in the file`` per line."""
    return _read_yaml_mapping(path, "contract_column: column name in the file")


def read_answer_labels(path: str | Path) -> dict[str, int]:
    """An answer-label file: ``label: level`` per line, e.g. ``Oui: 3``."""
    raw = _read_yaml_mapping(path, "answer label: level")
    bad = [label for label, level in raw.items() if not re.fullmatch(r"\s*[+-]?\d+\s*", level)]
    if bad:
        raise InputError(
            [
                Problem(
                    file=str(path),
                    column=label,
                    message="level is not a whole number",
                    value=raw[label],
                    expected="a whole number such as 0 or 3",
                )
                for label in bad
            ]
        )
    return {label: int(level) for label, level in raw.items()}


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
    scored = score_survey(df, codebook)
    reasons = scored[EXCLUSION_COLUMN].fillna("")
    counts = reasons[reasons != ""].value_counts()
    return SurveySummary(
        file=file,
        rows=len(df),
        excluded=int(counts.sum()),
        exclusion_reasons={str(k): int(v) for k, v in counts.items()},
        reliability=reliability(df, codebook),
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
