"""Checking a run's survey before running it: ``analyse validate --params FILE``.

The survey is read exactly as ``analyse run`` reads it, through ``run_result.load_scored``, so
whatever a run applies (column mappings, answer and type labels, enrichment from the frame,
``analysis.min_themes``, shipped weights) applies here too: a file that validates is a file
that runs, and a problem a run would stop on is reported here with exit status 2. The design
of the main model is built and the weights the parameters ask for are made (a survey that
cannot be raked is the user's to fix), but nothing is fitted, so this takes seconds.

Warnings (``analyse.data.checks``) do not fail the check; the runner reports the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyse.data.checks import survey_warnings
from analyse.data.codebook import load_codebook
from analyse.data.configured import load_configured, mapping_warnings, mappings
from analyse.data.loading import SurveySummary, summarize_scored
from analyse.data.readers import read_raw
from analyse.data.reference import load_frame
from analyse.data.scoring import EXCLUSION_COLUMN, reliability
from analyse.data.survey_check import check_file
from analyse.errors import InputError
from analyse.params import RunParams
from analyse.pipeline.run_result import RunResult, run_weights, score_run
from analyse.reasons import CELL_TEXT_CODES, parse
from analyse.stats.regression import build_design, check_identifiable, rows_left_out


def alpha_lines(alphas: pd.DataFrame) -> list[str]:
    """Under the summary's reliability table, why a theme's alpha reads "n/a"."""
    from analyse.data.scoring import alpha_notes

    return [f"  {note}" for note in alpha_notes(alphas)]


@dataclass(frozen=True)
class ParamsCheck:
    """What ``validate --params`` prints: the survey summary, the model's sample, warnings."""

    summary: SurveySummary
    model_rows: int
    terms: list[str]
    dropped_terms: list[str]
    weights: str
    warnings: list[str] = field(default_factory=list)
    enrichment: pd.DataFrame | None = None  # analyse.data.enrich's report, per row
    # extra control -> rows left out for lack of its value (Design.missing_controls)
    missing_controls: dict[str, int] = field(default_factory=dict)
    error: InputError | None = None  # what stops the run once the survey is loaded
    # every row excluded before the model: how many, and the top reasons (rows_left_out)
    left_out: str = ""

    def render(self) -> str:
        lines = [self.summary.render(), *alpha_lines(self.summary.reliability)]
        missing = self.summary.included - self.model_rows
        controls = "".join(
            f"; {count} of them without a value of the control {name}"
            for name, count in self.missing_controls.items()
        )
        lines.append(
            f"Respondents in the model: {self.model_rows}"
            + (f" ({missing} more without a value of a model term{controls})" if missing else "")
        )
        if self.left_out:  # every row excluded: no term is dropped for a column of its own
            lines.append(self.left_out[0].upper() + self.left_out[1:])
        else:
            lines.append("Model terms: " + (", ".join(self.terms) or "(none)"))
        if self.dropped_terms and not self.left_out:
            lines.append("Terms dropped: " + ", ".join(self.dropped_terms))
        lines.append(f"Weights: {self.weights}")
        if self.enrichment is not None:
            from analyse.data.enrich import enrichment_details, enrichment_summary

            lines.append("Matching to the reference frame (rows by method):")
            for rec in enrichment_summary(self.enrichment).itertuples(index=False):
                lines.append(
                    f"  {rec.method:<15} {rec.rows:>5} rows, population filled "
                    f"{rec.population_filled}, type filled {rec.type_filled}, "
                    f"conflicts {rec.conflicts}"
                )
            details = enrichment_details(self.enrichment)
            if len(details):
                lines.append(
                    "Rows to look at (unmatched, a match by usual name, short name or typo to "
                    "review, or the survey disagrees with the frame):"
                )
                for rec in details.itertuples(index=False):
                    lines.append(f"  {rec.respondent_id}  {rec.name}: {_matching_detail(rec)}")
        return "\n".join(lines)


def _matching_detail(rec: Any) -> str:
    """One row of ``enrichment_details`` in words: why it is listed, its method and score."""
    parts = []
    if str(rec.issue).startswith("unmatched"):
        # the review and conflict notes that follow say why (a code naming another body, a
        # name found only in another département, a typo not confirmed...); with none, the
        # name simply matched nothing
        explained = any(not pd.isna(t) and t for t in (rec.review, rec.conflict))
        parts.append(
            "unmatched"
            if explained
            else "unmatched: no frame row has its SIREN or INSEE code, and its name matches no "
            "row of its declared type; give its SIREN or code_insee"
        )
    elif rec.method and (pd.isna(rec.review) or not str(rec.review).startswith(rec.method)):
        distance = "" if pd.isna(rec.distance) else f", edit distance {int(rec.distance)}"
        parts.append(f"matched by {rec.method}{distance} to {rec.frame_name!r}")
    parts += [str(text) for text in (rec.review, rec.conflict) if not pd.isna(text) and text]
    return "; ".join(parts)


def check_params(params: RunParams) -> ParamsCheck:
    """Load, score and weight the survey as the run would; raise ``InputError`` as it would.

    A survey that loads but whose model cannot be fitted or weighted (``error``) still gets its
    summary: which rows were left out and why, and what the reference frame matched, are what
    explains "nothing can be estimated" (every row left out by an unedited type mapping, say).
    """
    configured = load_configured(params)
    codebook = configured.codebook
    scored = score_run(params, configured.survey, codebook)
    design = build_design(
        scored, controls=list(params.analysis.controls), min_cell=params.analysis.min_cell
    )
    error: InputError | None = None
    weights = None
    try:
        check_identifiable(
            scored,
            params.analysis.controls,
            file=str(params.survey_path),
            min_cell=params.analysis.min_cell,
        )
        weights = run_weights(params, scored, load_frame("all"))
    except InputError as exc:
        error = exc
    choice = params.analysis.weights
    described = (
        "none"
        if weights is None
        else f"{weights.attrs.get('method')} (effective sample size (Kish) "
        f"{float(weights.attrs.get('kish_n', np.nan)):.1f})"
    )
    if choice == "raked" and weights is not None and weights.attrs.get("collapsed"):
        described += f"; {weights.attrs['collapsed']}"
    if choice == "raked" and weights is not None and weights.attrs.get("dropped_types"):
        types = ", ".join(f"{t} ({k:,} units)" for t, k in weights.attrs["dropped_types"].items())
        described += f"; types without respondents, left out of the frame: {types}"
    if choice == "raked" and weights is not None and weights.attrs.get("dropped_tiers"):
        tiers = ", ".join(f"{t} ({k:,} units)" for t, k in weights.attrs["dropped_tiers"].items())
        described += f"; tiers without respondents, not weighted to: {tiers}"
    return ParamsCheck(
        summary=summarize_scored(scored, reliability(scored, codebook), str(params.survey_path)),
        model_rows=len(design.y),
        terms=[c for c in design.X.columns if c != "Intercept"],
        dropped_terms=[
            f"{term} ({design.dropped_reasons.get(term, 'no column')})"
            for term in design.dropped_terms
        ],
        weights=described if error is None else "not made (see the problems)",
        warnings=configured.warnings + run_warnings(params, scored),
        enrichment=configured.enrichment,
        error=error,
        missing_controls=dict(design.missing_controls),
        left_out=rows_left_out(scored) if len(design.y) == 0 else "",
    )


def run_warnings(params: RunParams, scored: pd.DataFrame, name_labels: bool = True) -> list[str]:
    """The warnings about a run's mappings and scored survey, pointing at the file's rows.

    ``name_labels`` False (``analyse run``, whose output may be a public CI log) counts the
    rare type labels without naming them; ``validate --params`` names them."""
    return (
        mapping_warnings(params, load_codebook(params.codebook_path))
        + survey_warnings(
            scored,
            rows=_spreadsheet_rows(params.survey_path, len(scored), params.data.sheet),
            headers=mappings(params)["columns"],
        )
        + pooled_label_warnings(
            scored, params.analysis.min_cell, None if name_labels else params.name
        )
    )


def pooled_label_warnings(
    scored: pd.DataFrame, min_cell: int, unnamed_in_run: str | None = None
) -> list[str]:
    """One warning, for the analyst only, naming the type labels the report does not name.

    The report counts the rows left out for a type label that fewer than ``min_cell`` rows
    hold under one reason that names none (``analyse.reasons.cell_texts_pooled``): such a
    label may be a respondent's own text. The terminal is where the analyst learns which
    labels they are, to map them (``data.type_labels``) or leave them out knowingly: with
    ``validate --params``. ``unnamed_in_run`` (the run's name) counts them only, as
    ``analyse run`` does, whose output may be a CI job's log, readable by anyone on a public
    repository."""
    if EXCLUSION_COLUMN not in scored.columns:
        return []
    reasons = scored[EXCLUSION_COLUMN].fillna("").astype(str)
    counts = reasons[reasons != ""].value_counts()
    pooled = [
        (found.params.get("value"), int(count))
        for text, count in counts.items()
        if (found := parse(str(text))).code in CELL_TEXT_CODES and count < min_cell
    ]
    if not pooled:
        return []
    if unnamed_in_run is not None:
        return [
            f"run {unnamed_in_run}: {sum(c for _, c in pooled)} rows are left out for "
            f"{len(pooled)} type label(s) that fewer than analysis.min_cell ({min_cell}) rows "
            "hold; neither the report nor this log names them (each may be a respondent's own "
            "text): 'analyse validate --params' lists them"
        ]
    listed = ", ".join(f"{value!r} ({count})" for value, count in pooled)
    return [
        f"{sum(c for _, c in pooled)} rows are left out for a type label that fewer than "
        f"analysis.min_cell ({min_cell}) rows hold: {listed}; the report counts them together "
        "and names none of these labels (each may be a respondent's own text)"
    ]


def result_warnings(params: RunParams, result: RunResult, name_labels: bool = True) -> list[str]:
    """Every warning of a computed run, as ``validate --params`` prints them: loading's (in
    ``result.input_warnings``) then the mappings' and the scored survey's (``name_labels``:
    ``run_warnings``)."""
    return list(result.input_warnings) + run_warnings(params, result.scored, name_labels)


def file_warnings(
    path: str | Path,
    codebook: str | Path | None = None,
    columns: str | Path | None = None,
    answer_labels: str | Path | None = None,
) -> list[str]:
    """The warnings of ``validate SURVEY --codebook --columns --answer-labels`` (the file form,
    whose summary ``loading.validate_file`` makes): the survey is loaded the same way."""
    return check_file(path, codebook, columns, answer_labels)[1]


def _spreadsheet_rows(
    path: str | Path, n: int, sheet: str | int | None = None
) -> np.ndarray | None:
    """Each loaded row's row in the file as a spreadsheet shows it (the loader keeps every
    non-blank row in order); None if the counts disagree, and rows are then numbered 1..n."""
    rows = read_raw(path, sheet=sheet).rows
    return rows if len(rows) == n else None
