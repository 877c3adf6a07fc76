"""One run, one result: the analysis a report shows is computed once and read by every page.

A run's result is the scored survey, the judgement of the claim (``analyse.stats.claim``), the
specification curve and the power curve. The runner computes it once per run, before any
notebook starts, and stores it in the run's staging folder; each notebook then loads it
(``run_result(params, output_dir)``) instead of recomputing the bootstrap, the simulations and
the specification curve with its null curves, and ``results.json`` is written from the same
object (``results_document``), so the verdict in the HTML equals the one in ``results.json``
by construction.

The stored file carries a format version and a key: the digest of everything the result
depends on (parameters, the bytes of the survey, codebook and reference frame, the ``analyse``
source). In a run, the user's files are those the runner copied into the staging folder
(``analyse.pipeline.snapshot``): the result is computed from the copies and found by their
checksums, so every notebook shows the result of the bytes the manifest describes, whatever
happens to the user's files meanwhile. A notebook loads it only when both match its own
parameters, so an edited parameter cell never shows a stale result. A notebook run alone
(JupyterLab, plain papermill without ``output_dir``) computes the result itself.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analyse import __version__
from analyse.data.codebook import Codebook
from analyse.data.configured import load_configured
from analyse.data.provenance import file_sha256, is_synthetic, truth_path
from analyse.data.reference import frame_files, load_frame
from analyse.data.scoring import EXCLUSION_COLUMN, score_survey
from analyse.data.user_weights import describe_weights, read_user_weights
from analyse.errors import InputError, Problem
from analyse.params import BUILTIN_CONTROLS, ColumnWeights, RunParams, shown_input
from analyse.pipeline.manifest import canonical_digest, code_digest, package_versions
from analyse.pipeline.plan import RESULT_FILE
from analyse.pipeline.snapshot import Snapshot, read_snapshot
from analyse.reasons import Reason
from analyse.report.gradient import mean_by_type, types_present
from analyse.report.i18n import messages
from analyse.report.prose import verdict_sentence
from analyse.report.tables import power_curve_table
from analyse.stats.claim import ClaimAnalysis, analyse_claim, to_results
from analyse.stats.regression import build_design, check_identifiable
from analyse.stats.robustness import DRAWS as CURVE_DRAWS
from analyse.stats.robustness import specification_curve
from analyse.stats.weights import CalibrationError, rake

# Bump when RunResult or anything it holds changes shape: an older file is then recomputed.
# 9: sesoi_points, confounders, power per verdict; 8: descriptives, language; 7: controls_merged;
# 6: not-estimable parts; 5: enrichment report; 11: name methods, distance and review
# in the enrichment report; 12: input_warnings
RESULT_VERSION = 12


@dataclass(frozen=True)
class RunResult:
    """Everything a run reports, computed once."""

    key: str
    params: RunParams
    codebook: Codebook
    scored: pd.DataFrame  # the validated survey with theme scores and the maturity index
    claim: ClaimAnalysis
    curve: pd.DataFrame  # the specification curve, one row per specification
    power: pd.DataFrame  # power of the tests against the true size effect (notebook 5)
    synthetic: bool  # marked synthetic by its generator (analyse.data.provenance)
    # what the reference frame filled, row by row (analyse.data.enrich); None without
    # data.enrich_from_frame
    enrichment: pd.DataFrame | None = None
    # what loading the export warned about (an identifier that does not parse, a repeated
    # body...): ``analyse run`` prints them as ``validate --params`` does
    input_warnings: tuple[str, ...] = ()
    version: int = RESULT_VERSION

    @property
    def verdict(self) -> str:
        return self.claim.verdict


def result_key(params: RunParams, snapshot: Snapshot | None = None) -> str:
    """Digest of everything a run's result depends on (not the notebooks: they only show it):
    every file the analysis reads, as ``analyse.pipeline.manifest.input_checksums`` lists them
    for the inputs digest.

    With the run's ``snapshot`` (``analyse.pipeline.snapshot``), the user's files count by the
    checksums of the copies the analysis read, and are not read again: what they became since
    does not change the key, and a deleted survey does not stop a notebook.
    """

    def sha(role: str, path: Path) -> str:
        copied = None if snapshot is None else snapshot.sha256(role)
        return copied if copied is not None else file_sha256(path)

    if snapshot is None:
        provenance = [file_sha256(p) for p in [truth_path(params.survey_path)] if p.is_file()]
    else:
        provenance = [s for s in [snapshot.sha256("provenance")] if s is not None]
    return canonical_digest(
        {
            "version": RESULT_VERSION,
            "analyse": __version__,
            "code": code_digest(),
            "libraries": package_versions(),  # an upgrade can change a result or its pickle
            "params": params.model_dump(mode="json"),
            "survey": sha("survey", params.survey_path),
            "codebook": sha("codebook", params.codebook_path),
            "frame": {path.name: file_sha256(path) for path in frame_files()},
            "mappings": {k: sha(f"mappings/{k}", v) for k, v in params.mapping_paths().items()},
            # the generator's sidecar decides RunResult.synthetic (analyse.data.provenance)
            "provenance": provenance,
        }
    )


def load_scored(params: RunParams) -> tuple[pd.DataFrame, Codebook]:
    """The validated, scored survey a run analyses, and its codebook: the parameter file's
    mappings and the reference frame applied (``analyse.data.configured``).

    Raises ``InputError`` when the main model cannot be identified on it (a constant column,
    collinear columns, too few respondents: ``check_identifiable``), before anything is fitted.
    """
    configured = load_configured(params)
    scored = score_run(params, configured.survey, configured.codebook)
    check_identifiable(
        scored,
        params.analysis.controls,
        file=str(params.survey_path),
        min_cell=params.analysis.min_cell,
    )
    return scored, configured.codebook


def score_run(params: RunParams, survey: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Score a loaded survey with the run's ``analysis.min_themes``, and exclude the rows whose
    shipped weight is 0 (``analysis.weights: {column: NAME}``), each with its reason.

    ``min_themes`` larger than the codebook's number of themes is the user's to fix (exit 2).
    """
    min_themes = params.analysis.min_themes
    n_themes = len(codebook.themes)
    if min_themes is not None and min_themes > n_themes:
        raise InputError(
            [
                Problem(
                    str(params.codebook_path),
                    f"analysis.min_themes is {min_themes} but the codebook has {n_themes} themes",
                    expected=f"null (every theme) or an integer from 1 to {n_themes}",
                )
            ]
        )
    scored = score_survey(survey, codebook, min_themes=min_themes)
    weights = params.analysis.weights
    if isinstance(weights, ColumnWeights):
        w = _user_weights(params, scored, weights.column)
        zero = (w == 0) & scored["maturity_index"].notna()
        if zero.any():
            scored.loc[zero, EXCLUSION_COLUMN] = Reason(
                "weight_zero", {"column": weights.column}
            ).english()
            scored.loc[zero, "maturity_index"] = float("nan")
    return scored


def _user_weights(params: RunParams, scored: pd.DataFrame, column: str) -> pd.Series:
    """The shipped weights of ``scored``'s rows, checked where the analysis needs them."""
    w = read_user_weights(
        params.survey_path,
        column,
        needed=scored["maturity_index"].notna(),
        sheet=params.data.sheet,
    )
    if len(w) != len(scored):  # the loader keeps every row it reads: a bug if not
        raise RuntimeError(f"{len(w)} weights for {len(scored)} survey rows")
    return w.set_axis(scored.index)


def model_rows(params: RunParams, scored: pd.DataFrame) -> pd.Index:
    """The rows the run's main model is fitted on: with the run's ``min_cell``, which decides
    which 0/1 terms are dropped and so which rows a missing value leaves out."""
    a = params.analysis
    return build_design(scored, controls=list(a.controls), min_cell=a.min_cell).y.index


def run_weights(params: RunParams, scored: pd.DataFrame, frame: pd.DataFrame) -> pd.Series | None:
    """The survey weights the parameters ask for, on the rows the model is fitted on, or None.

    ``weights: raked``: raked on type and population band, merging adjacent bands if the
    margins cannot be met otherwise (``rake``), to ``frame``: the run's is every tier's
    (``load_frame("all")``), so that communes, EPT, départements and régions are weighted as
    EPCI are, each tier on its own bands; a tier without respondents is left out and named.
    A survey that cannot be raked at all is the user's to fix, like a bad file: ``InputError``
    naming the survey and why, which the CLI reports with exit status 2. ``weights: {column:
    NAME}``: the weights shipped in the survey file's column NAME
    (``analyse.data.user_weights``), scaled to mean 1.
    """
    choice = params.analysis.weights
    if isinstance(choice, ColumnWeights):
        rows = model_rows(params, scored)
        return describe_weights(
            _user_weights(params, scored, choice.column).loc[rows], choice.column
        )
    if choice != "raked":
        return None
    # rake the rows the model is fitted on (an optional term may be missing for some), so
    # that the weights actually used meet the frame's margins
    rows = model_rows(params, scored)
    try:
        return rake(scored.loc[rows], frame)
    except CalibrationError as exc:  # the user's survey cannot be raked: exit 2, say why
        raise InputError(
            [Problem(str(params.survey_path), f"analysis.weights is 'raked' but {exc}")]
        ) from exc


def judge_claim(
    params: RunParams, scored: pd.DataFrame, codebook: Codebook, weights: pd.Series | None
) -> ClaimAnalysis:
    """``analyse.stats.claim.analyse_claim`` with the run's assumptions."""
    a = params.analysis
    return analyse_claim(
        scored,
        codebook,
        sesoi=a.sesoi,
        alpha=a.alpha,
        controls=list(a.controls),
        bootstrap=a.bootstrap,
        seed=params.seed,
        weights=weights,
        bf_prior_scale=a.bf_prior_scale,
        min_cell=a.min_cell,
        sesoi_points=a.sesoi_points,
        confounders=list(a.confounders),
    )


def run_curve(
    params: RunParams,
    scored: pd.DataFrame,
    frame: pd.DataFrame,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """The specification curve with the run's SESOI (in points if given) and alpha, and its
    inferential test (``attrs['inference']``) against ``CURVE_DRAWS`` null curves drawn from
    the run's seed.

    With weights shipped in the survey (``weights: {column: NAME}``, as ``run_weights``
    returns them), the curve's weighted specifications use them instead of raking.
    """
    a = params.analysis
    user = weights if isinstance(a.weights, ColumnWeights) else None
    return specification_curve(
        scored,
        frame,
        sesoi=a.sesoi,
        alpha=a.alpha,
        draws=CURVE_DRAWS,
        seed=params.seed,
        weights=user,
        min_cell=a.min_cell,
        sesoi_points=a.sesoi_points,
        extra_controls=[c for c in a.controls if c not in BUILTIN_CONTROLS],
    )


def compute_run_result(
    params: RunParams, key: str | None = None, snapshot: Snapshot | None = None
) -> RunResult:
    """Load, validate and score the survey, judge the claim and draw the specification curve.

    With the run's ``snapshot``, the files read are the run's copies of the user's
    (``analyse.pipeline.snapshot``); the result and its messages still name the user's files.
    """
    if snapshot is None:
        return _compute(params, params, key or result_key(params), None)
    key = key or result_key(params, snapshot)
    try:
        return _compute(params, snapshot.reading(params), key, snapshot)
    except InputError as exc:
        raise snapshot.named_as_given(exc) from None


def _compute(
    params: RunParams, reading: RunParams, key: str, snapshot: Snapshot | None
) -> RunResult:
    """The run's result for ``params``, its files read from where ``reading`` says."""
    configured = load_configured(reading)
    codebook = configured.codebook
    scored = score_run(reading, configured.survey, codebook)
    frame = load_frame("all")  # every tier: raking covers whichever the survey reached
    weights = run_weights(reading, scored, frame)
    claim = judge_claim(params, scored, codebook, weights)
    curve = run_curve(params, scored, frame, weights)
    power = power_curve_table(claim, seed=params.seed)
    warnings = [w if snapshot is None else snapshot.as_given(w) for w in configured.warnings]
    return RunResult(
        key=key,
        params=params,
        codebook=codebook,
        scored=scored,
        claim=claim,
        curve=curve,
        power=power,
        synthetic=is_synthetic(params.survey_path) if snapshot is None else snapshot.synthetic,
        enrichment=configured.enrichment,
        input_warnings=tuple(warnings),
    )


def save_run_result(result: RunResult, folder: str | Path) -> Path:
    """Store a result in ``folder`` atomically: a reader sees the old file or the new one.

    The file starts with one JSON line, ``{"version": ..., "key": ...}``, so that a reader can
    reject a result of another version or for other inputs *before* unpickling anything.
    Only the runner calls this, on its own staging folder, which is never published.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / RESULT_FILE
    header = (
        json.dumps({"version": result.version, "key": result.key}, allow_nan=False).encode("ascii")
        + b"\n"
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{RESULT_FILE}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header)
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_run_result(folder: str | Path, key: str) -> RunResult | None:
    """The result stored in ``folder`` if it was computed from the same inputs, else None.

    The header is checked first: a file of another version, for other inputs, or not written
    by ``save_run_result`` is never unpickled. Anything unreadable is ignored, and the caller
    computes the result instead.
    """
    path = Path(folder) / RESULT_FILE
    try:
        with path.open("rb") as fh:
            header = json.loads(fh.readline(4096))
            if header != {"version": RESULT_VERSION, "key": key}:
                return None
            result = pickle.load(fh)  # noqa: S301 - written by save_run_result, key checked
    except Exception:  # noqa: BLE001 - a result that cannot be read is recomputed
        return None
    if not isinstance(result, RunResult) or result.key != key:
        return None
    return result


def run_result(params: RunParams, output_dir: str | Path = "") -> RunResult:
    """The result a notebook shows: the run's stored one when it matches, else computed here.

    ``output_dir`` is where the runner stored the run's result, beside its copy of the inputs
    (``analyse.pipeline.snapshot``): the result is found by the copies' checksums, so a survey
    edited or deleted while the run's notebooks execute changes nothing they show. A notebook
    never stores a result itself: the result holds respondent-level rows, which must not land
    in a folder the user chose (a published report, the repository).
    """
    snapshot = read_snapshot(output_dir) if output_dir else None
    if snapshot is not None and not snapshot.matches(params):
        snapshot = None
    key = result_key(params, snapshot)
    if output_dir:
        stored = load_run_result(output_dir, key)
        if stored is not None:
            return stored
    return compute_run_result(params, key, snapshot)


def index_labels(codebook: Codebook) -> dict[str, str] | None:
    """``run.index_label``: the codebook's name of its index in each language that gives one
    (``{"fr": "indice de transparence", "en": "transparency index"}``), None when it names
    none (the pages then say the barometer's « indice de maturité »)."""
    found = {lang: codebook.index_label(lang) for lang in ("fr", "en")}
    return {lang: label for lang, label in found.items() if label} or None


def results_document(result: RunResult) -> dict[str, Any]:
    """The ``results.json`` contract (keys are a public interface), written only from here.

    No timings or paths of the building machine: same inputs, same bytes.
    """
    params = result.params
    curve = result.curve
    document = to_results(result.claim)
    # the sentence every page shows (analyse.report.prose): one wording of the verdict
    document["verdict_sentence"] = verdict_sentence(
        result.claim,
        messages(params.lang).bind(
            kind=params.data.kind, index_label=result.codebook.index_label(params.lang)
        ),
        kind=params.data.kind,
    )
    # the raw gap between kinds of collectivity, which the key findings start from
    document["descriptives"] = {
        "by_type": mean_by_type(result.scored, params.analysis.min_cell),
        "min_cell": params.analysis.min_cell,
        # the kinds of body the analysis covers (no counts): the pages' « Champ »
        "scope": types_present(result.scored),
    }
    document["robustness"] = {
        "specifications": len(curve),
        "verdicts": {k: int(v) for k, v in curve["verdict"].value_counts().sort_index().items()},
        "skipped": curve.attrs["skipped"],
        # the curve as a whole against null curves (Simonsohn, Simmons and Nelson 2020)
        "inference": curve.attrs.get("inference"),
        "inference_not_estimable": curve.attrs.get("inference_not_estimable"),
    }
    document["run"] = {
        "name": params.name,
        "survey": shown_input(params.data.survey),
        "synthetic": result.synthetic,
        # survey, census or synthetic: data.kind, or synthetic when the export says so
        "kind": params.data.kind or ("synthetic" if result.synthetic else "survey"),
        "title": params.title,
        # the codebook's name of the index, by language (None: the barometer's words), for
        # the pages that read only this file
        "index_label": index_labels(result.codebook),
        # the codebook's lowest and highest levels, which the methods box quotes
        "levels": [result.codebook.min_level, result.codebook.max_level],
        "seed": params.seed,
        "lang": params.lang,
        "analyse_version": __version__,
    }
    return document
