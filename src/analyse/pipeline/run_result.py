"""From a parameter file to the ``results.json`` of a run.

The runner calls this in-process, and the notebooks call the same ``analyse_claim``, so the
published verdict and the one in ``results.json`` come from the same computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyse import __version__
from analyse.data.codebook import load_codebook
from analyse.data.loading import load_survey
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.stats.claim import analyse_claim, to_results
from analyse.stats.robustness import specification_curve
from analyse.stats.weights import rake

if TYPE_CHECKING:
    from analyse.params import RunParams


def is_synthetic(params: RunParams) -> bool:
    return "synthetic" in str(params.survey_path).lower()


def load_scored(params: RunParams):
    """The validated, scored survey a run analyses, and its codebook."""
    codebook = load_codebook(params.codebook_path)
    survey = load_survey(params.survey_path, codebook=codebook, columns=params.data.columns)
    return score_survey(survey, codebook), codebook


def run_analysis(params: RunParams, scored=None, codebook=None):
    """The full analysis a run reports, as set by the parameter file (the survey is loaded and
    scored unless the caller already did)."""
    if scored is None or codebook is None:
        scored, codebook = load_scored(params)
    a = params.analysis
    weights = None
    if a.weights == "raked":
        weights = rake(scored[scored["maturity_index"].notna()], load_frame("epci"))
    return analyse_claim(
        scored,
        codebook,
        sesoi=a.sesoi,
        alpha=a.alpha,
        controls=list(a.controls),
        bootstrap=a.bootstrap,
        seed=params.seed,
        weights=weights,
    )


def specification_curve_for(params: RunParams, scored=None):
    """The specification curve of a run (see ``analyse.stats.robustness``)."""
    if scored is None:
        scored, _ = load_scored(params)
    return specification_curve(
        scored, load_frame("epci"), sesoi=params.analysis.sesoi, alpha=params.analysis.alpha
    )


def compute_results(params: RunParams) -> dict:
    """The results contract plus what identifies the run (no timings: same inputs, same bytes)."""
    scored, codebook = load_scored(params)
    results = to_results(run_analysis(params, scored, codebook))
    curve = specification_curve_for(params, scored)
    results["robustness"] = {
        "specifications": len(curve),
        "verdicts": {k: int(v) for k, v in curve["verdict"].value_counts().sort_index().items()},
        "skipped": curve.attrs["skipped"],
    }
    results["run"] = {
        "name": params.name,
        "survey": params.data.survey,
        "synthetic": is_synthetic(params),
        "seed": params.seed,
        "analyse_version": __version__,
    }
    return results
