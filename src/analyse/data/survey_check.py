"""What ``analyse validate SURVEY`` reports: the survey's summary and its warnings.

Both come from one reading and one scoring of the file: a survey of millions of rows is read
once, and its raw cells are not held beside the scored table. Only ``analyse.data`` is
imported, so that checking a file does not pay for loading the statistical models.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analyse.data.cells import release_memory
from analyse.data.checks import OUTCOME, survey_warnings
from analyse.data.codebook import load_codebook
from analyse.data.loading import SurveySummary, load_survey_rows, summarize_scored
from analyse.data.mapping_files import read_answer_labels, read_column_mapping
from analyse.data.scoring import EXCLUSION_COLUMN, reliability, score_survey
from analyse.data.terms import TERM_SOURCES


def check_file(
    path: str | Path,
    codebook: str | Path | None = None,
    columns: str | Path | None = None,
    answer_labels: str | Path | None = None,
    sheet: str | int | None = None,
) -> tuple[SurveySummary, list[str]]:
    """``loading.validate_file``'s summary and ``preflight.file_warnings``'s warnings of a
    survey file, with its codebook, column mapping and answer labels (paths or None) and the
    worksheet of an .xlsx workbook (``sheet``)."""
    summary, warnings, _scored = check_file_scored(path, codebook, columns, answer_labels, sheet)
    return summary, warnings


def check_file_scored(
    path: str | Path,
    codebook: str | Path | None = None,
    columns: str | Path | None = None,
    answer_labels: str | Path | None = None,
    sheet: str | int | None = None,
) -> tuple[SurveySummary, list[str], pd.DataFrame]:
    """``check_file`` and the scored survey's columns the main model reads (index, exclusion
    reason, the terms' source columns), for ``analyse validate FILE`` to check that the model
    can be fitted on it, as ``validate --params`` and a run do. Those columns only: checking
    the design copies the rows it selects, and the theme scores and items of a survey of
    millions of rows would double the command's peak memory."""
    book = load_codebook(codebook)
    mapping = read_column_mapping(columns) if columns is not None else None
    labels = read_answer_labels(answer_labels) if answer_labels is not None else None
    survey, rows = load_survey_rows(path, book, columns=mapping, answer_labels=labels, sheet=sheet)
    scored = score_survey(survey, book)
    release_memory()  # what scoring freed, before the reliabilities and the warnings
    summary = summarize_scored(scored, reliability(survey, book), str(path))
    warnings = survey_warnings(scored, rows=rows)
    read = {OUTCOME, EXCLUSION_COLUMN, "collectivity_type"}.union(*TERM_SOURCES.values())
    return summary, warnings, scored[[c for c in scored.columns if c in read]]
