"""Warnings about a survey that loads: things a user should look at, not errors.

Nothing here stops a run (``analyse validate`` exits 0 and ``analyse run`` goes on); each
warning names what to look at:

- **one body answering twice**: two rows for the same body, by SIREN, else INSEE code, else
  name, type and population (two services answered, an export that repeats a row, a SIRET of
  the wrong body typed in). The model would count that body
  twice. Both spreadsheet rows are named so the user can keep one.
- **a model term with fewer than ``MIN_DISTINCT`` distinct values** among the respondents
  analysed: its coefficient then rests on a few contrasts (a budget copied from one figure per
  type, populations rounded to bands), and size, whose coefficient the verdict reads, may be
  confounded with it. The 0/1 sponsorship indicators have two values by design and are not
  checked. A term with one value cannot be estimated at all: that is an error of the model's
  own checks, and it is warned about here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analyse.data.terms import (
    MAIN_TERMS,
    SPONSORSHIP_TERMS,
    TERM_SOURCES,
    drop_reason,
    model_term,
)

MIN_DISTINCT = 5
OUTCOME = "maturity_index"


def survey_warnings(
    scored: pd.DataFrame,
    rows: Sequence[int] | np.ndarray | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Every warning about a scored survey (``analyse.data.scoring.score_survey``'s output).

    ``rows`` gives the spreadsheet row of each row of ``scored`` (``RawTable.rows``), so a
    warning points at the file; without it rows are numbered from 1 in table order.
    ``headers`` (``data.columns``: contract column to the export's header) names the export's
    header beside each contract column a warning names.
    """
    numbers = np.arange(1, len(scored) + 1) if rows is None else np.asarray(rows)
    if len(numbers) != len(scored):
        raise ValueError(f"{len(numbers)} row numbers for {len(scored)} rows")
    return duplicate_siren_warnings(scored, numbers) + few_values_warnings(scored, headers)


def column_words(column: str, headers: Mapping[str, str] | None = None) -> str:
    """A contract column as a user finds it in the export: ``population (export header
    "Nb habitants")`` when the mapping renamed it, else the column alone."""
    header = (headers or {}).get(column)
    if header is None or str(header) == column:
        return column
    return f'{column} (export header "{header}")'


def duplicate_siren_warnings(scored: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """One warning per body found on more than one row (same SIREN, else same INSEE code and
    type, else same name, type and population: ``analyse.data.duplicates``), naming the rows.
    Rows already left out as a repeat (``data.duplicates: keep_first``) are not counted."""
    from analyse.data.duplicates import REASON_CODES, describe, find_repeats
    from analyse.data.scoring import EXCLUSION_COLUMN
    from analyse.reasons import parse

    considered = None
    if EXCLUSION_COLUMN in scored.columns:
        repeat_codes = set(REASON_CODES.values())
        reasons = scored[EXCLUSION_COLUMN].fillna("").astype(str)
        # once per distinct reason, not per row
        repeat = {r: bool(r) and parse(r).code in repeat_codes for r in reasons.unique()}
        considered = ~reasons.map(repeat).to_numpy(dtype=bool)
    warnings = []
    for kind, shown, positions in find_repeats(scored, considered).groups:
        where = [int(rows[p]) for p in positions]
        listed = ", ".join(str(r) for r in where[:-1]) + f" and {where[-1]}"
        warnings.append(
            f"{describe(kind, shown)} answers {len(where)} times (rows {listed} of the survey "
            "file): the same body would count more than once; keep one answer per body "
            "(data.duplicates: keep_first), or check the identifier typed in"
        )
    return warnings


def few_values_warnings(
    scored: pd.DataFrame, headers: Mapping[str, str] | None = None
) -> list[str]:
    """One warning per non-binary model term with fewer than ``MIN_DISTINCT`` distinct values
    among the respondents with a maturity index.

    Term by term, from that term's columns of those rows only: selecting the rows of the whole
    scored table, or building every term at once, would hold copies of a large survey.
    """
    analysed = scored[OUTCOME].notna() if OUTCOME in scored.columns else slice(None)
    warnings = []
    for term in MAIN_TERMS:
        columns = list(TERM_SOURCES[term])
        if term in SPONSORSHIP_TERMS or not set(columns) <= set(scored.columns):
            continue
        sample = scored.loc[analysed, columns]
        if drop_reason(sample, term):
            continue  # absent or empty: not a model term (model_terms leaves it out too)
        values = pd.Series(model_term(sample, term))
        distinct = int(values.round(12).nunique(dropna=True))
        if distinct < MIN_DISTINCT:
            source = " and ".join(column_words(c, headers) for c in TERM_SOURCES[term])
            warnings.append(
                f"model term {term!r} (from {source}) has {distinct} distinct "
                f"value{'s' if distinct != 1 else ''} among the {len(sample)} respondents "
                f"with an index (fewer than {MIN_DISTINCT}): its coefficient rests on few "
                "contrasts; check that the column holds each body's own value"
            )
    return warnings
