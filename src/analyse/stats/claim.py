"""Judge the claim "size is not decisive" on one survey: every piece of evidence, one call.

This is the function a notebook calls and the runner serialises to ``results.json``. It fits
the main model and gathers the equivalence test and verdict, relative importance, the marginal
versus conditional comparison, the sensitivity of the sample and the per-theme ordinal models.

Only the main model can fail the analysis: a survey it cannot identify is an ``InputError``
(``check_identifiable``), raised before anything is fitted. A secondary analysis that cannot be
computed (a theme separated by size, relative importance, the Bayes factor) is kept with its
reason (``not_estimable`` keys of ``to_results``), so that the verdict is still published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyse.data.codebook import Codebook
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.reasons import Reason, cell_texts_pooled
from analyse.stats.binary import LogitAME, is_binary_outcome, logit_ame
from analyse.stats.equivalence import SizeTest, equivalence_interval, test_size
from analyse.stats.estimands import Estimands, estimate_estimands
from analyse.stats.estimands import to_results as estimands_results
from analyse.stats.importance import Importance, relative_importance, unavailable
from analyse.stats.influence import Influence, influence_checks
from analyse.stats.nested import DEFAULT_PRIOR_SCALE, NestedComparison, compare_nested
from analyse.stats.ordinal import fit_themes
from analyse.stats.regression import (
    DEFAULT_MIN_CELL,
    OTHER_TYPE,
    Design,
    OLSFit,
    WeightsTest,
    check_identifiable,
    fit_ols,
    informative_weights,
)
from analyse.stats.sensitivity import Sensitivity, sensitivity


@dataclass
class ClaimAnalysis:
    """Everything needed to report on the claim, with the sample it rests on."""

    n: int
    n_excluded: int
    # reason -> count, as published: type labels of fewer than min_cell rows pooled
    exclusions: pd.Series
    dropped_terms: list[str]
    controls: list[str]
    fit: OLSFit
    size: SizeTest
    importance: Importance
    nested: NestedComparison
    sensitivity: Sensitivity
    themes: pd.DataFrame
    weighted_parts: list[str]
    weights_converged: bool | None = None  # whether raking met the frame's margins
    weights_summary: dict | None = None  # results.json's "weights" block (WEIGHTS_KEYS)
    # control -> categories merged into "other" for fewer than min_cell respondents each
    controls_merged: dict[str, list[str]] = field(default_factory=dict)
    min_cell: int = DEFAULT_MIN_CELL
    # the total, direct (= size) and indirect effects of size (analyse.stats.estimands)
    estimands: Estimands | None = None
    # HC2 with Bell-McCaffrey df, leave-one-out range (analyse.stats.influence)
    influence: Influence | None = None
    # the controls that come before size, held equal in the total effect too (estimands)
    confounders: list[str] = field(default_factory=list)
    # under weights: the DuMouchel-Duncan test of whether they change what the model estimates
    # (None unweighted, or when not testable), and the unweighted model's size test, so that a
    # page can say whether weighting changes the answer
    informative: WeightsTest | None = None
    # analysis.sesoi_points as given (None: the SESOI was given as ``sesoi``, standardized)
    sesoi_points_given: float | None = None
    size_unweighted: SizeTest | None = None
    # theme key -> its label per language (the codebook's), for a page to name the themes a
    # reason cites ("no answer in theme(s): user_services")
    theme_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    # when the index is 0 or 100 only (a share of bodies, analyse.stats.binary): the logit's
    # average marginal effect of size beside the linear probability model's, weighted as it
    # is; None otherwise
    logit_ame: LogitAME | None = None

    @property
    def verdict(self) -> str:
        return self.size.verdict


def analyse_claim(
    scored: pd.DataFrame,
    codebook: Codebook,
    sesoi: float = 0.2,
    alpha: float = 0.05,
    controls: Sequence[str] = (),
    bootstrap: int = 1000,
    seed: int = 0,
    simulations: int = 2000,
    weights: pd.Series | None = None,
    bf_prior_scale: float = DEFAULT_PRIOR_SCALE,
    min_cell: int = DEFAULT_MIN_CELL,
    sesoi_points: float | None = None,
    confounders: Sequence[str] = (),
) -> ClaimAnalysis:
    """Fit and test everything on a scored survey (output of ``analyse.data.scoring.score_survey``).

    With survey ``weights`` (e.g. ``analyse.stats.weights.rake``), the main model, the verdict and
    the nested comparison are weighted; relative importance, sensitivity and the theme models
    describe the unweighted sample (``weighted_parts`` says which is which). The verdict's
    standard error is then design-based (``analyse.stats.regression.linearization_se``:
    accounting for calibration with raked weights, for fixed weights with shipped ones); the
    DuMouchel-Duncan test (``informative``) says whether the weights change what the model
    estimates, and ``size_unweighted`` is the unweighted verdict to compare with. The sensitivity
    simulations redraw errors on the design with equal weights and refit by OLS, so they start
    from the unweighted OLS fit of the same design, not from the weighted coefficients.
    ``bf_prior_scale`` is the scale r of the JZS prior of the Bayes factor BF01
    (``analyse.stats.nested``). ``min_cell`` is the smallest group a coefficient may describe:
    with the control collectivity_type, rarer types share the dummy ``collectivity_type[T.other]``
    (``controls_merged`` lists them), or the survey is refused if even merged they are fewer.
    ``sesoi_points``, the SESOI in index points for a tenfold population, replaces ``sesoi``
    for every verdict, each fit converting it with its own SDs (``analyse.stats.equivalence``);
    the sensitivity converts it with the unweighted OLS fit's. ``confounders``, controls that
    come before size, are held equal in the total effect too (``analyse.stats.estimands``).
    """
    not_controls = [c for c in confounders if c not in controls]
    if not_controls:  # analyse.params refuses it first, naming the keys
        raise ValueError(f"confounders {not_controls} are not among the controls {list(controls)}")
    # the main model: a survey it cannot identify is the user's to fix (InputError, exit 2)
    design = check_identifiable(scored, controls=controls, min_cell=min_cell)
    fit = fit_ols(design, weights=weights)
    ols = fit if weights is None else fit_ols(design)  # what the sensitivity simulates
    excluded = scored[EXCLUSION_COLUMN].fillna("") != ""
    missing_terms = len(scored) - int(excluded.sum()) - fit.nobs
    # published: a type label on fewer than min_cell rows is pooled, not named (it may be a
    # respondent's free text); ``analyse validate`` shows the analyst every label
    counts = scored.loc[excluded, EXCLUSION_COLUMN].value_counts()
    exclusions = pd.Series(
        cell_texts_pooled(counts.to_dict(), min_cell), dtype="int64", name=counts.name
    )
    for control, count in design.missing_controls.items():  # data.extra_columns left empty
        exclusions[Reason("missing_control_value", {"column": control}).english()] = count
        missing_terms -= count
    if missing_terms:
        exclusions[Reason("missing_term_value").english()] = missing_terms
    size = test_size(fit, sesoi=sesoi, alpha=alpha, sesoi_points=sesoi_points)
    informative = None if weights is None else informative_weights(design, weights)
    return ClaimAnalysis(
        n=fit.nobs,
        n_excluded=len(scored) - fit.nobs,
        exclusions=exclusions,
        dropped_terms=list(design.dropped_terms),
        controls=list(controls),
        fit=fit,
        size=size,
        importance=_importance(design, bootstrap=bootstrap, seed=seed),
        nested=compare_nested(fit, weights=weights, bf_prior_scale=bf_prior_scale),
        sensitivity=sensitivity(
            ols,
            sesoi=sesoi,
            alpha=alpha,
            simulations=simulations,
            seed=seed,
            sesoi_points=sesoi_points,
            effect_sign=size.std_coef,
        ),
        themes=fit_themes(scored, design, codebook, alpha=alpha),
        weighted_parts=["ols", "size", "nested"] if weights is not None else [],
        weights_converged=None if weights is None else weights.attrs.get("converged"),
        weights_summary=None if weights is None else weights_summary(weights, informative),
        controls_merged=dict(design.controls_merged),
        min_cell=min_cell,
        estimands=estimate_estimands(
            fit, size, confounders=tuple(confounders), bootstrap=bootstrap, seed=seed
        ),
        influence=influence_checks(fit, size),
        confounders=list(confounders),
        sesoi_points_given=sesoi_points,
        informative=informative,
        theme_labels={t.key: {"fr": t.label_fr, "en": t.label_en} for t in codebook.themes},
        logit_ame=logit_ame(design, weights=weights) if is_binary_outcome(design.y) else None,
        size_unweighted=None
        if weights is None
        else test_size(ols, sesoi=sesoi, alpha=alpha, sesoi_points=sesoi_points),
    )


def _importance(design: Design, bootstrap: int, seed: int) -> Importance:
    """Relative importance, or why it cannot be computed: a secondary analysis never stops the
    run (the verdict rests on the main model alone)."""
    try:
        return relative_importance(design, bootstrap=bootstrap, seed=seed)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        return unavailable(design, f"{type(exc).__name__}: {exc}")


def _number(value: object) -> float | None:
    """A float for results.json, None where it could not be computed (NaN)."""
    return None if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _influence(found: Influence) -> dict:
    """``results.json``'s leave-one-out summary: a range and a count, no respondent."""
    return {
        "loo_std_range": None if found.loo_std_range is None else list(found.loo_std_range),
        "moved_by_tenth_sesoi": found.moved,
        "threshold_std": found.threshold,
    }


WEIGHTS_KEYS = (
    "method",
    "kish_n",
    "max_ratio",
    "collapsed",
    "collapsed_code",
    "dropped",
    "dropped_types",
    "informative_p",
    "unweighted_verdict",
)


def weights_summary(weights: pd.Series, informative: WeightsTest | None = None) -> dict:
    """How the weights were made and how much they cost (from ``rake``'s attrs), and the
    DuMouchel-Duncan p-value of whether they are informative for the model (None when the test
    has no product term left or no residual df)."""
    summary = {key: weights.attrs.get(key) for key in WEIGHTS_KEYS}
    summary["informative_p"] = None if informative is None else informative.p
    return summary


def _weights_block(analysis: ClaimAnalysis) -> dict | None:
    """``weights``, with the verdict the same model would give unweighted: a page says when
    weighting changes the answer."""
    if analysis.weights_summary is None:
        return None
    unweighted = analysis.size_unweighted
    return {
        **analysis.weights_summary,
        "unweighted_verdict": None if unweighted is None else unweighted.verdict,
    }


def to_results(analysis: ClaimAnalysis) -> dict:
    """The ``results.json`` contract read by CI consumers (keys are a public interface)."""
    s = analysis.size
    imp = analysis.importance
    nested = analysis.nested
    return {
        "n": analysis.n,
        "n_excluded": analysis.n_excluded,
        "exclusions": {str(k): int(v) for k, v in analysis.exclusions.items()},
        "dropped_terms": analysis.dropped_terms,
        "controls": analysis.controls,
        # the types merged into the control's category "other" (one dummy,
        # collectivity_type[T.other]) so that no coefficient describes fewer than min_cell
        # respondents: the rarer types and, if they are still too few, the next smallest
        # (an extra control's rare categories are counted, not named: they may be anything,
        # a name or a free text, and results.json is published)
        "controls_merged": {
            control: {
                "into": OTHER_TYPE,
                **(
                    {"categories": list(merged)}
                    if control == "collectivity_type"
                    else {"n_categories": len(merged)}
                ),
                "min_cell": analysis.min_cell,
            }
            for control, merged in analysis.controls_merged.items()
        },
        "weighted_parts": analysis.weighted_parts,
        "weights_converged": analysis.weights_converged,
        "weights": _weights_block(analysis),  # None when unweighted
        "sesoi": s.sesoi,
        # the same bound in index points for a tenfold population (as given, or converted
        # with the direct model's SDs)
        "sesoi_points": _number(s.sesoi_points),
        "alpha": s.alpha,
        "verdict": s.verdict,
        # the total effect of size, the direct one (= "size", the verdict's) and their difference
        "estimands": (
            None if analysis.estimands is None else estimands_results(analysis.estimands)
        ),
        "size": {
            "coef": s.coef,
            "se_hc3": s.se_hc3,
            # the SE the verdict reads (HC3 unweighted, design-based under weights) and how
            "se": s.se,
            "se_method": s.se_method,
            # under weights, R's svyglm SE: the linearization without the verdict's leverage
            # correction (too small at this n); null unweighted
            "se_linearization": s.se_linearization,
            "p": s.p,
            "std_coef": s.std_coef,
            "std_se": s.std_se,
            "tost_p": s.tost_p,
            "tost_p_lower": s.tost_p_lower,
            "tost_p_upper": s.tost_p_upper,
            "met_p": s.met_p,
            # the (1 - 2 alpha) interval the verdict reads: 90 % at the default alpha 0.05
            "ci90": [float(v) for v in equivalence_interval(s)],
            "direction": s.direction,
            # small-sample check: HC2 with Bell-McCaffrey df (null under weights)
            "se_hc2_bm": None if analysis.influence is None else analysis.influence.se_hc2,
            "df_bm": None if analysis.influence is None else analysis.influence.df_bm,
            # the index is 0 or 100 only (a share of bodies): the model above is a linear
            # probability model, and this the logit's average marginal effect of size beside
            # it, in the same unit as coef, weighted as coef is (``weighted``); null when the
            # index is not 0/100
            "logit_ame": None if analysis.logit_ame is None else analysis.logit_ame.to_results(),
        },
        "influence": None if analysis.influence is None else _influence(analysis.influence),
        "ols": {
            "r2": analysis.fit.r2,
            "df_resid": analysis.fit.df_resid,
            "terms": {
                name: {"coef": float(row.coef), "se_hc3": float(row.se_hc3), "p": float(row.p)}
                for name, row in analysis.fit.table().iterrows()
            },
        },
        "importance": {k: _number(v) for k, v in imp.shares.items()},
        "importance_ci": {
            k: [_number(imp.intervals.loc[k, "low"]), _number(imp.intervals.loc[k, "high"])]
            for k in imp.shares.index
        },
        "importance_prob_size_below": {k: _number(v) for k, v in imp.prob_size_below.items()},
        "importance_bootstrap_draws": len(imp.draws),
        "importance_not_estimable": imp.not_estimable or None,
        "nested": {
            "marginal": {
                "coef": nested.marginal_coef,
                "se_hc3": nested.marginal_se,
                "p": nested.marginal_p,
            },
            "conditional": {
                "coef": nested.conditional_coef,
                "se_hc3": nested.conditional_se,
                "p": nested.conditional_p,
            },
            "partial_r2": nested.partial_r2,
            "wald_f": nested.wald_f,
            "wald_p": nested.wald_p,
            "bf01": nested.bf01,
            "bf01_not_estimable": nested.bf01_not_estimable,
            "bf_prior_scale": nested.bf_prior_scale,
        },
        "sensitivity": {
            "mde_std_positive": analysis.sensitivity.mde_std_positive,
            "mde_std_negative": analysis.sensitivity.mde_std_negative,
            "mde_std": analysis.sensitivity.mde_std,
            # the same in index points for a tenfold population, signed, via the world's slope
            "mde_points_positive": _number(analysis.sensitivity.mde_points_positive),
            "mde_points_negative": _number(analysis.sensitivity.mde_points_negative),
            "tost_power": analysis.sensitivity.tost_power,
            # the power to reach each verdict (analyse.stats.sensitivity)
            "power_negligible": _number(analysis.sensitivity.power_negligible),
            "power_decisive": _number(analysis.sensitivity.power_decisive),
            "power_decisive_at_std": _number(analysis.sensitivity.power_decisive_at_std),
            "power_decisive_at_points": _number(analysis.sensitivity.power_decisive_at_points),
            "power": analysis.sensitivity.power,
            "simulations": analysis.sensitivity.simulations,
            "weighted": False,  # always the unweighted OLS design (analyse_claim)
        },
        "themes": {
            theme: {
                # null, with the reason in not_estimable, when the theme's model has no estimate
                "coef": _number(row.coef),
                "se": _number(row.se),
                "p": _number(row.p),
                "p_holm": _number(row.p_holm),
                "not_estimable": row.not_estimable or None,
                "brant_p": None if pd.isna(row.brant_p) else float(row.brant_p),
                "brant_p_holm": None if pd.isna(row.brant_p_holm) else float(row.brant_p_holm),
                "brant_testable": bool(row.brant_testable),
                "po_size_p": None if pd.isna(row.po_size_p) else float(row.po_size_p),
                "po_size_p_holm": (
                    None if pd.isna(row.po_size_p_holm) else float(row.po_size_p_holm)
                ),
            }
            for theme, row in analysis.themes.iterrows()
        },
    }
