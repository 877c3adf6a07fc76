"""A survey exactly as a run sees it: the parameter file's mappings, then the reference frame.

A survey-tool export reaches the contract through three mappings of its parameter file
(``data.columns``, ``data.answer_labels``, ``data.type_labels``, each inline or in a YAML file)
and, with ``data.enrich_from_frame``, through the reference frame, which fills population and
the legal type of EPCI for rows it recognises. ``analyse run`` and ``analyse validate --params``
both go through ``load_configured``, so what validation accepts is what the run analyses.

Every row read stays in the result: a row the analysis cannot use (a type mapped to null, an
EPCI the frame does not know, no population anywhere) carries its reason in
``excluded_reason``, so that ``n + n_excluded`` equals the rows of the file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyse.data.codebook import Codebook, load_codebook
from analyse.data.label_names import words
from analyse.data.loading import EPCI_PLACEHOLDER, load_survey_rows
from analyse.data.mapping_files import (
    mapping_where,
    read_answer_labels,
    read_column_mapping,
    read_type_labels,
)
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.errors import InputError, Problem
from analyse.params import RunParams
from analyse.reasons import Reason


@dataclass(frozen=True)
class ConfiguredSurvey:
    """The loaded survey (contract columns, items, ``excluded_reason``), its codebook, and
    what the reference frame did to it (None without ``enrich_from_frame``)."""

    survey: pd.DataFrame
    codebook: Codebook
    enrichment: pd.DataFrame | None
    # What loading let pass but a user should see (an identifier that does not parse).
    warnings: list[str] = dataclasses.field(default_factory=list)


def mappings(params: RunParams) -> dict[str, dict[str, Any] | None]:
    """The three mappings of ``data``, read from their files where given as paths."""
    readers = {
        "columns": read_column_mapping,
        "answer_labels": read_answer_labels,
        "type_labels": read_type_labels,
    }
    paths = params.mapping_paths()
    out: dict[str, dict[str, Any] | None] = {}
    for field, reader in readers.items():
        value = getattr(params.data, field)
        out[field] = reader(paths[field]) if field in paths else value
    return out


def load_configured(params: RunParams) -> ConfiguredSurvey:
    """Load, map, check and (optionally) enrich the run's survey; raise ``InputError`` with
    every problem a user can fix."""
    codebook = load_codebook(params.codebook_path)
    maps = mappings(params)
    enrich = params.data.enrich_from_frame
    _check_placeholder(params, maps["type_labels"])
    survey, rows = load_survey_rows(
        params.survey_path,
        codebook=codebook,
        columns=maps["columns"],
        answer_labels=maps["answer_labels"],
        type_labels=maps["type_labels"],
        population_optional=enrich,
        strict_identifiers=params.data.strict_identifiers,
        bad_rows=params.data.bad_rows,
        missing_values=params.data.missing_values,
        extra_columns=params.data.extra_columns,
        sheet=params.data.sheet,
    )
    warnings = list(survey.attrs.pop("warnings", []))
    if EXCLUSION_COLUMN not in survey:
        survey[EXCLUSION_COLUMN] = pd.Series("", index=survey.index, dtype="string")
    report = None
    keys = [c for c in ("siren", "code_insee", "name") if c in survey.columns]
    if enrich and not keys:
        raise InputError(
            [
                Problem(
                    file=str(params.survey_path),
                    message="data.enrich_from_frame is true but the survey has none of the "
                    "columns the reference frame is matched on (siren, code_insee, name)",
                    expected="a column mapping of siren (SIREN or SIRET), code_insee or name "
                    "in data.columns, or data.enrich_from_frame: false",
                )
            ]
        )
    if enrich:
        from analyse.data.enrich import enrich_from_frame

        keep = survey[EXCLUSION_COLUMN].fillna("") == ""
        enrichment = enrich_from_frame(survey[keep])
        survey = survey.copy()
        for column in enrichment.data.columns:
            if column in survey.columns:
                survey.loc[keep, column] = enrichment.data[column]
            else:
                survey[column] = enrichment.data[column].reindex(survey.index)
        report = enrichment.report
    survey[EXCLUSION_COLUMN] = _unusable(survey)
    survey[EXCLUSION_COLUMN] = _repeated_bodies(params, survey, rows)
    return ConfiguredSurvey(survey=survey, codebook=codebook, enrichment=report, warnings=warnings)


def _check_placeholder(params: RunParams, type_labels: dict[str, Any] | None) -> None:
    """``epci`` means "the frame gives the legal type": it needs ``enrich_from_frame``."""
    placeholders = [k for k, v in (type_labels or {}).items() if v == EPCI_PLACEHOLDER]
    if placeholders and not params.data.enrich_from_frame:
        raise InputError(
            [
                Problem(
                    file=str(params.mapping_paths().get("type_labels", "data.type_labels")),
                    message=f"type label(s) {', '.join(map(repr, placeholders))} map to "
                    "'epci', whose legal type (CC, CA, CU, metropole) comes from the "
                    "reference frame, but data.enrich_from_frame is false",
                    expected="data.enrich_from_frame: true, or a legal type instead of epci",
                )
            ]
        )


def _unusable(survey: pd.DataFrame) -> pd.Series:
    """Each row's reason to be left out before scoring, keeping reasons already given."""
    reason = survey[EXCLUSION_COLUMN].fillna("").astype(str)
    if "population" in survey:
        no_population = survey["population"].isna() & (reason == "")
        reason = reason.mask(
            no_population,
            Reason("population_not_found").english(),
        )
        # ln(population) must be finite whatever filled it: never a 0 into a fit
        population = pd.to_numeric(survey["population"], errors="coerce").astype("float64")
        not_positive = ~(population > 0) & population.notna() & (reason == "")
        reason = reason.mask(not_positive, Reason("population_not_positive").english())
    else:
        reason = reason.mask(reason == "", Reason("population_no_column").english())
    placeholder = (survey["collectivity_type"] == EPCI_PLACEHOLDER).fillna(False)
    reason = reason.mask(
        placeholder & (reason == ""),
        Reason("epci_not_found").english(),
    )
    return reason.astype("string")


def _repeated_bodies(params: RunParams, survey: pd.DataFrame, rows: np.ndarray) -> pd.Series:
    """``data.duplicates`` applied to the rows still in the analysis: ``keep_first`` gives each
    later row of a body its reason, ``error`` raises naming every group, ``warn`` changes
    nothing (``analyse.data.checks`` lists them)."""
    from analyse.data.duplicates import describe, find_repeats, repeat_reason

    reason = survey[EXCLUSION_COLUMN].fillna("").astype(str)
    policy = params.data.duplicates
    if policy == "warn":
        return reason.astype("string")
    repeats = find_repeats(survey, considered=(reason == "").to_numpy())
    numbers = np.asarray(rows)
    if policy == "error" and repeats.groups:
        raise InputError(
            [
                Problem(
                    file=str(params.survey_path),
                    row=int(numbers[positions[1]]),
                    message=f"one body answers {len(positions)} times: {describe(kind, shown)} "
                    "on rows " + ", ".join(str(int(numbers[p])) for p in positions),
                    expected="one row per body, or data.duplicates: keep_first (keep each "
                    "body's first row) or warn (keep them all)",
                )
                for kind, shown, positions in repeats.groups
            ]
        )
    reason = reason.copy()
    for position, (kind, first) in repeats.later().items():
        reason.iloc[position] = repeat_reason(kind, int(numbers[first])).english()
    return reason.astype("string")


def mapping_files(params: RunParams) -> dict[str, Path]:
    """The mapping files a run reads, for the inputs digest and the manifest."""
    return params.mapping_paths()


def mapping_warnings(params: RunParams, codebook: Codebook) -> list[str]:
    """Mappings that are valid but probably not meant: a codebook's own level label mapped to
    null turns every such answer into a non-answer (a draft placeholder left unedited)."""
    labels = mappings(params)["answer_labels"] or {}
    levels = {words(t): lv.value for lv in codebook.levels for t in (lv.label_fr, lv.label_en)}
    return [
        f"{mapping_where(labels, label, 'data.answer_labels')}: "
        f"answer label {label!r} is the codebook's label of level {levels[words(label)]} but "
        "is mapped to null (a non-answer): its answers are read as missing"
        for label, level in labels.items()
        if level is None and words(label) in levels
    ] + confounder_warnings(params)


def confounder_warnings(params: RunParams) -> list[str]:
    """Extra controls held equal but none named in ``analysis.confounders``: each is then taken
    to come after size, a route of its effect (held equal in the direct effect only, its part
    counted in the indirect effect), not a confounder. Right for a mean, rarely for a party
    label or a region: say so, since the default decides what the total effect means."""
    extra = [c for c in params.analysis.controls if c in params.data.extra_names]
    if not extra or params.analysis.confounders:
        return []
    names = ", ".join(extra)
    return [
        f"analysis.controls holds the extra control(s) {names} equal but analysis.confounders "
        "names none: each is treated as a route of the size effect (held equal in the direct "
        "effect only; its part is in the indirect effect), not as a confounder; list in "
        "analysis.confounders those that come before size (a party, a region), so that the "
        "total effect holds them equal too"
    ]
