"""Specification curve: does the verdict survive reasonable alternative analyses?

A single model is one of many defensible choices. The curve refits the size test under every
combination of: controls for type or not; size as ln(population) or as an ordered population
band; all respondents or without the smallest and largest 2 % by population; no weights or
weights raked to the reference frame. Each specification gets its standardized size effect, its
90 % interval (the equivalence interval) and its verdict (Simonsohn, Simmons and Nelson 2020).

Every specification must estimate the same quantity, the *direct* effect of size (the means
per inhabitant held fixed; ``analyse.stats.estimands``), or the curve mixes estimands and its
counts mean nothing. The specifications that control for legal type estimate it *within type*
(pages label them so): legal type is defined by population thresholds, so holding it equal
compares collectivities of one type only, not "the same conditional effect" of size. Two
alternatives that earlier versions tried are not choices:

- **total budget** instead of budget per inhabitant: ln B = ln(B/P) + ln P, so with ln B in the
  model the size coefficient becomes b_size - b_budget, the effect of size *at fixed total
  budget* (a larger collectivity with the same money has less per inhabitant). That is another
  question, and on the shipped panels it produced every "decisive" specification of the curve;
- **sponsorship as the count** of its two indicators instead of the two indicators (the main
  model's form): it changes only the adjustment for sponsorship, and the size estimates of the
  two forms were near-identical (paired standardized effects differ by at most 0.035 on the
  shipped panel, 0.009 on the census; correlation 0.9998 and 1.0000), so every specification
  was counted twice.

With a SESOI in index points (``sesoi_points``), each specification converts it to its own
standardized scale, with the SDs of ln population and of the index on its own rows (weighted
for a weighted specification; ``analyse.stats.equivalence.sesoi_from_points``): a population
band specification too, whose standardized effect stands for the effect of ln population.

Raking is to the frame the caller gives: the pipeline's holds every tier (communes, EPCI, EPT,
départements, régions; ``analyse.stats.weights``), so a survey of any tier has its raked
specifications. A raked specification is fitted only when raking meets the frame's margins:
weights that do not (``rake`` raises, or returns ``attrs['converged']`` False) describe no
population, so the specification goes to ``attrs['skipped']`` with reason "weights
infeasible: ..." and is neither given a verdict nor counted.

A weighted specification (raked, or shipped weights) is judged with WLS and HC3, not with the
design-based standard error of the main model's verdict (``size.se``,
``analyse.stats.regression.linearization_se``): the curve asks whether the verdict survives other
reasonable choices of model, and its many small fits and null curves stay matrix algebra on
HC3 (``ols_hc3``, ``_null_fits``). So a weighted specification's verdict can differ from the
main weighted verdict through the standard error alone, when the two standard errors differ.

``specification_curve(..., draws=500)`` adds the inferential test of the curve (Simonsohn,
Simmons and Nelson 2020, "Specification curve analysis", Nature Human Behaviour 4, 1208-1214):
is the curve as a whole more extreme than curves drawn where size has no effect? The null is
imposed in each specification by subtracting its own estimated size effect from the outcome,
y*_k = y - b_k size_k, so that specification k's estimate on the observed rows is exactly zero.
Rows are then resampled with replacement (the same rows for every specification of a draw) and
every specification is re-estimated on its own y*_k. Three statistics of each null curve are
compared with the observed ones, each p-value being (1 + the number of null curves at least as
extreme) / (1 + draws), in either direction since the barometer's claim predicts no sign:

- the median standardized size effect across specifications (``|median|``);
- the share of specifications significant at ``alpha`` in the dominant direction (the sign of
  the curve's median), each null curve in its own dominant direction;
- the mean z across specifications (Stouffer), z_k the normal quantile of specification k's
  one-sided t tail, signed (``|mean z|``).

The refits are matrix algebra over the draws (``_null_fits``): a resample is a vector of row
counts, and OLS with HC3 on a resample with repeated rows equals the count-weighted normal
equations with each copy's leverage and residual. Raked specifications keep each respondent's
raking weight with the respondent (weights are not re-raked in every draw, as the curve's own
HC3 intervals also treat them as fixed). Trimming keeps the observed 2 % cut-offs: a resampled
row is in the trimmed sample when the observed row was. A draw in which any specification is
not identified (a collectivity type or a sponsorship value absent from the resample, or a
respondent alone in its type, whose HC3 term is 0/0) is discarded and replaced by a new one.
A null curve's standardized effects use the SD of its own outcome y*_k (the index of a world
without the size effect), the observed curve's the SD of y: the two differ by the small share
of the index's variance that size explains; the t and z statistics do not depend on it.

At scale (35,000 respondents and more), the resamples are drawn and refitted a chunk of about
``_CHUNK_CELLS`` counts at a time, on threads (``_inference``): memory stays bounded whatever n,
and the draws, hence the p-values, are the same as drawing all at once. The null curves are not
stopped early: a p-value that is "settled" (on one side of alpha whatever the remaining draws)
would still be published as another number than the one ``draws`` null curves give, and the
three p-values are published, not only their side of alpha.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analyse.data.bands import POPULATION_BAND_LABELS as BAND_LABELS
from analyse.data.bands import population_band
from analyse.data.terms import SPONSORSHIP_TERMS, model_terms
from analyse.reasons import Reason
from analyse.stats.equivalence import equivalence_interval, judge_size
from analyse.stats.regression import (
    DEFAULT_MIN_CELL,
    OUTCOME,
    build_design,
    category_dummies,
    is_numeric_control,
    ols_hc3,
    type_dummies,
)
from analyse.stats.resampling import full_rank, row_counts
from analyse.stats.weights import rake

SHIPPED = "survey_weights"  # the curve's label of weights shipped with the survey

CHOICES: dict[str, tuple[str, ...]] = {
    "controls": ("none", "collectivity_type"),
    "size": ("ln_population", "population_band"),
    "sample": ("all", "trim_2pct"),
    "weights": ("none", "raked"),  # "raked" shows as SHIPPED when the survey ships weights
}

DRAWS = 500  # null curves of the inferential test, as Simonsohn, Simmons and Nelson (2020)
_MAX_ROUNDS = 20  # rounds of ``draws`` resamples tried to collect ``draws`` identified ones
_CHUNK_CELLS = 2_000_000  # draws x rows of one chunk of refits (16 MB per array)
_LEVERAGE_TOL = 1e-8  # a resampled row with leverage above 1 - this makes HC3 undefined


@dataclass(frozen=True)
class Specification:
    """One specification on the rows of the estimation sample (respondents with an index).

    ``x`` has the intercept first and size second; ``rows`` marks the rows it is fitted on
    (trimmed sample, no missing regressor); ``weights`` are the raking weights (0 off
    ``rows``) or None; ``coef`` is the fitted size coefficient, used to impose the null.
    """

    choice: dict[str, str]
    x: np.ndarray
    rows: np.ndarray
    weights: np.ndarray | None
    coef: float


def spec_label(choice: dict[str, str]) -> str:
    """A readable name of one specification, e.g. for ``attrs['skipped']``."""
    return ", ".join(f"{k}={v}" for k, v in choice.items())


def _raking(data: pd.DataFrame, frame: pd.DataFrame | None) -> pd.Series | str:
    """Raking weights that meet the frame's margins, or why there are none.

    ``rake`` raises ``ValueError`` (``CalibrationError`` is one) when the margins cannot be met;
    a result marked ``converged`` False (weights that stopped short of the margins) is refused
    the same way.
    """
    if frame is None:
        return "no reference frame given"
    try:
        weights = rake(data, frame)
    except ValueError as exc:
        return f"weights infeasible: {exc}"
    except Exception as exc:  # noqa: BLE001 - a raking that fails is a skipped specification
        return f"weights not computable: {type(exc).__name__}: {exc}"
    if weights.attrs.get("converged") is False:
        return Reason("weights_not_met").english()
    return weights


def _shipped(data: pd.DataFrame, weights: pd.Series) -> pd.Series | str:
    """Weights shipped with the survey for these rows, or why they cannot serve."""
    w = weights.reindex(data.index)
    if w.isna().any() or not np.isfinite(w.to_numpy(dtype="float64")).all():
        return "weights missing for some respondents of this sample"
    if not (w > 0).any():
        return "every weight of this sample is 0"
    return w.astype("float64")


def _build(
    scored: pd.DataFrame,
    frame: pd.DataFrame | None,
    user_weights: pd.Series | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    extra_controls: tuple[str, ...] = (),
) -> tuple[
    pd.DataFrame, np.ndarray, list[Specification], list[Any], dict[str, str], dict[str, list[str]]
]:
    """The estimation sample, its outcome, and every specification that can be fitted, with its
    ``ols_hc3`` fit; the others in ``skipped`` with the reason. ``user_weights`` (indexed like
    ``scored``) replace raking in the weighted specifications. The last item maps a
    type-controlled specification to the types merged into "other" for ``min_cell``
    (``type_dummies``), as in the main model. The means adjusted for are the main model's
    (``build_design`` with the same ``min_cell``): a 0/1 term it drops is in no specification.
    So are the main model's extra controls (``data.extra_columns`` named in
    ``analysis.controls``): part of what the direct effect holds equal, they are in every
    specification, a number as a linear term, text as dummies made on each specification's
    rows with the main model's ``min_cell`` merge (``category_dummies``)."""
    data = scored[scored[OUTCOME].notna()]
    y = data[OUTCOME].astype("float64").to_numpy()
    pop = data["population"].astype("float64")
    low, high = pop.quantile([0.02, 0.98])
    samples = {
        "all": np.ones(len(data), dtype=bool),
        "trim_2pct": pop.between(low, high).to_numpy(),
    }
    # the main model's terms (analyse.data.terms) and size as an ordered population band
    terms = model_terms(data)
    columns = {
        "ln_population": terms["size"].to_numpy(),
        "population_band": population_band(pop).cat.codes.astype("float64").to_numpy(),
    }
    # the means the main model keeps (build_design): each is optional, an absent column is
    # dropped, and so is a 0/1 term whose rarer value fewer than min_cell respondents hold, so
    # that every specification adjusts for the same terms as the main model
    kept = build_design(scored, controls=extra_controls, min_cell=min_cell).X.columns
    means = []
    for c in ("budget", "staff", *SPONSORSHIP_TERMS):
        if c in kept:
            columns[c] = terms[c].to_numpy()
            means.append(c)
    categorical = [c for c in extra_controls if not is_numeric_control(data[c])]
    for c in extra_controls:
        if c in kept and c not in categorical:  # a number kept by the main model
            columns[c] = data[c].astype("float64").to_numpy()
            means.append(c)
    # raking weights must meet the margins on the rows actually fitted: respondents with every
    # regressor (an optional column such as staff may be missing for some)
    complete = np.ones(len(data), dtype=bool)
    for c in means:
        complete &= ~np.isnan(columns[c])
    for c in categorical:
        complete &= data[c].notna().to_numpy()
    samples = {name: mask & complete for name, mask in samples.items()}
    weights: dict[str, pd.Series | str] = {}
    svds: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    specs, fits, skipped = [], [], {}
    merged: dict[str, list[str]] = {}
    for values in product(*CHOICES.values()):
        choice = dict(zip(CHOICES, values, strict=True))
        in_sample = samples[choice["sample"]]
        w = None
        if choice["weights"] == "raked":
            if choice["sample"] not in weights:
                weights[choice["sample"]] = (
                    _raking(data[in_sample], frame)
                    if user_weights is None
                    else _shipped(data[in_sample], user_weights)
                )
            raked = weights[choice["sample"]]
            if isinstance(raked, str):
                skipped[spec_label(choice)] = raked
                continue
            w = np.zeros(len(data))
            w[in_sample] = raked.to_numpy()
        names = (choice["size"], *means)
        x = np.column_stack([np.ones(len(data))] + [columns[c] for c in names])
        rows = in_sample & ~np.isnan(x).any(axis=1)
        if choice["controls"] == "collectivity_type":
            # dummies of the types present in this specification's rows, as build_design makes
            # them: types with fewer than min_cell respondents share one dummy, "other"
            types = data["collectivity_type"][rows]
            dummies = type_dummies(types, min_cell=min_cell)
            if dummies.attrs["merged"]:
                if int(types.isin(dummies.attrs["merged"]).sum()) < min_cell:
                    skipped[spec_label(choice)] = (
                        f"fewer than {min_cell} respondents (analysis.min_cell) in this sample"
                    )
                    continue
                merged[spec_label(choice)] = list(dummies.attrs["merged"])
            names += tuple(dummies.columns)
            full = np.zeros((len(data), dummies.shape[1]))
            full[rows] = dummies.to_numpy()
            x = np.column_stack([x, full])
        too_few = ""
        for c in categorical:  # on this specification's rows, as build_design on the model's
            dummies = category_dummies(data[c][rows], c, min_cell=min_cell)
            merged_here = dummies.attrs["merged"]
            if merged_here and int(data[c][rows].isin(merged_here).sum()) < min_cell:
                too_few = (
                    f"fewer than {min_cell} respondents (analysis.min_cell) in the "
                    f"categories of {c} merged into 'other' in this sample"
                )
                break
            names += tuple(dummies.columns)
            full = np.zeros((len(data), dummies.shape[1]))
            full[rows] = dummies.to_numpy()
            x = np.column_stack([x, full])
        if too_few:
            skipped[spec_label(choice)] = too_few
            continue
        x = np.where(rows[:, None], x, 0.0)
        xs, ys = x[rows], y[rows]
        # identified if the unweighted design has full rank, as numpy's matrix_rank counts it
        # (its SVD serves the unweighted fit), and HC3 is defined if no respondent has leverage
        # 1 (e.g. alone in its collectivity type: its HC3 term is 0/0); weights change neither
        reason = Reason("design_not_identified").english()
        if xs.shape[1] < len(ys):
            key = (choice["sample"], names)
            if key not in svds:
                svds[key] = np.linalg.svd(xs, full_matrices=False)
            u, s, _ = svds[key]
            if np.count_nonzero(s > s.max() * max(xs.shape) * np.finfo(s.dtype).eps) == xs.shape[1]:
                reason = ""
                if np.max(np.sum(u**2, axis=1)) > 1.0 - _LEVERAGE_TOL:
                    reason = Reason("hc3_undefined").english()
        if reason:
            skipped[spec_label(choice)] = reason
            continue
        svd = svds[(choice["sample"], names)]
        try:
            fit = ols_hc3(xs, ys, svd=svd) if w is None else ols_hc3(xs, ys, w[rows])
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            skipped[spec_label(choice)] = f"not estimable: {exc}"
            continue
        if not (np.isfinite(fit.coef[1]) and np.isfinite(fit.se[1]) and fit.se[1] > 0):
            skipped[spec_label(choice)] = "not estimable: no finite size estimate or SE"
            continue
        specs.append(Specification(choice, x, rows, w, float(fit.coef[1])))
        fits.append(fit)
    return data, y, specs, fits, skipped, merged


def specification_curve(
    scored: pd.DataFrame,
    frame: pd.DataFrame | None,
    sesoi: float = 0.2,
    alpha: float = 0.05,
    draws: int = 0,
    seed: int = 0,
    weights: pd.Series | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    sesoi_points: float | None = None,
    extra_controls: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """One row per counted specification, sorted by standardized size effect.

    ``extra_controls``, the main model's controls from ``data.extra_columns``, are held equal
    in every specification, like the means (``_build``).

    ``sesoi_points`` (index points for a tenfold population) replaces ``sesoi``, converted on
    each specification's rows (module docstring; column ``sesoi`` holds each bound used).
    Column ``points_scale`` holds each specification's sd(ln population) / sd(index) on its
    rows, which converts its standardized numbers to index points for a tenfold population
    (``analyse.stats.equivalence.points_from_sesoi``), as readers read them.

    Raked specifications are skipped (not faked) when no frame is given or raking cannot meet
    the frame's margins; ``attrs['skipped']`` says why, by specification. ``weights``, survey
    weights shipped with the survey and indexed like ``scored``, take the place of raking in
    the specifications whose ``weights`` choice is "raked" (the choice keeps its name; the
    frame is then not used for them). With ``draws`` > 0,
    ``attrs['inference']`` holds the test of the whole curve against ``draws`` null curves
    (``curve_inference``); else it is None. In the specifications that control for type, types
    with fewer than ``min_cell`` respondents share one dummy "other", as in the main model
    (``build_design``); ``attrs['controls_merged']`` lists them by specification. Every
    specification adjusts for the terms of the main model with the same ``min_cell`` (a 0/1
    term with fewer than ``min_cell`` respondents on one side is in none).

    Each specification is fitted like ``fit_ols`` and tested like ``test_size``, but with
    ``ols_hc3`` on arrays: the specifications share one estimation sample, so its regressors
    are computed once and a specification only picks its columns and rows.
    """
    data, y, specs, fits, skipped, merged = _build(
        scored, frame, weights, min_cell, tuple(extra_controls)
    )
    ln_population = model_terms(data)["size"].to_numpy() if len(data) else np.empty(0)
    # weights shipped with the survey take the "raked" choice's place: say so in its label
    shipped = weights is not None
    if shipped:
        skipped = {k.replace("weights=raked", f"weights={SHIPPED}"): v for k, v in skipped.items()}
        merged = {k.replace("weights=raked", f"weights={SHIPPED}"): v for k, v in merged.items()}
    rows = []
    for spec, fit in zip(specs, fits, strict=True):
        x1, ys = spec.x[spec.rows, 1], y[spec.rows]
        # standardized like ``standardize`` (stats.equivalence): weighted SDs for raked specs
        w = np.ones(len(ys)) if spec.weights is None else spec.weights[spec.rows]
        ss_y = _weighted_ss(ys, w[None, :])[0]
        scale = float(np.sqrt(_weighted_ss(x1, w[None, :])[0] / ss_y))
        # the bound in points converts with ln population's SD, whatever size's coding
        points_scale = (
            scale
            if spec.choice["size"] == "ln_population"
            else float(np.sqrt(_weighted_ss(ln_population[spec.rows], w[None, :])[0] / ss_y))
        )
        test = judge_size(
            coef=float(fit.coef[1]),
            se=float(fit.se[1]),
            p=float(fit.p[1]),
            std_coef=float(fit.coef[1]) * scale,
            std_se=float(fit.se[1]) * scale,
            df_resid=fit.df_resid,
            sesoi=sesoi,
            alpha=alpha,
            sesoi_points=sesoi_points,
            scale=points_scale,
        )
        low, high = equivalence_interval(test)
        rows.append(
            {
                **spec.choice,
                **({"weights": SHIPPED} if shipped and spec.weights is not None else {}),
                "weights_converged": None if spec.weights is None or shipped else True,
                "n": len(ys),
                "std_coef": test.std_coef,
                "std_se": test.std_se,
                "ci90_low": low,
                "ci90_high": high,
                "p": test.p,
                "tost_p": test.tost_p,
                "verdict": test.verdict,
                "sesoi": test.sesoi,
                "points_scale": points_scale,
            }
        )
    columns = [*CHOICES, "weights_converged", "n", "std_coef", "std_se"]
    columns += ["ci90_low", "ci90_high", "p", "tost_p", "verdict", "sesoi", "points_scale"]
    curve = pd.DataFrame(rows, columns=columns).sort_values("std_coef", ignore_index=True)
    curve.attrs["skipped"] = skipped
    curve.attrs["controls_merged"] = merged
    curve.attrs["bands"] = list(BAND_LABELS)
    curve.attrs["inference"] = None
    curve.attrs["inference_not_estimable"] = None
    if draws > 0 and specs:
        try:
            curve.attrs["inference"] = _inference(y, specs, draws=draws, seed=seed, alpha=alpha)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            # a secondary analysis: the run still publishes, saying why there is no test
            curve.attrs["inference_not_estimable"] = f"{type(exc).__name__}: {exc}"
    return curve


def curve_inference(
    scored: pd.DataFrame,
    frame: pd.DataFrame | None,
    draws: int = DRAWS,
    seed: int = 0,
    alpha: float = 0.05,
    weights: pd.Series | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    extra_controls: tuple[str, ...] | list[str] = (),
) -> dict[str, Any] | None:
    """The inferential specification-curve test alone (see the module docstring); None when
    no specification can be fitted. ``weights`` and ``min_cell`` as in
    ``specification_curve``.

    Keys: ``draws`` (null curves used), ``median_std_coef``, ``share_significant``, ``mean_z``
    (observed statistics) and ``median_p``, ``share_significant_p``, ``mean_z_p`` ((1 + the
    number of null curves at least as extreme) / (1 + draws); None if no resample identified
    every specification).
    """
    _, y, specs, _, _, _ = _build(scored, frame, weights, min_cell, tuple(extra_controls))
    return _inference(y, specs, draws=draws, seed=seed, alpha=alpha) if specs else None


@dataclass(frozen=True)
class _Prepared:
    """What the refits of one specification need that does not depend on the resample.

    ``x`` is centred and scaled on the specification's rows (the same fit: slopes rescale, t
    and leverages do not change, with a far better conditioned X'WX), 0 off them; ``yk`` its
    outcome (null imposed or not), 0 off the rows; ``moment_cols`` the n x m products whose
    count-weighted sums are X'WX (its q = p(p+1)/2 distinct entries), X'Wy, and the sum and
    sum of squares of the size column and of the outcome centred on the rows (for the SDs).
    """

    rows: np.ndarray
    w: np.ndarray | None
    x: np.ndarray
    yk: np.ndarray
    moment_cols: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray]
    lever_factor: np.ndarray  # q: 1 on the diagonal of A^-1, 2 off it (it is symmetric)


def _prepare(y: np.ndarray, specs: list[Specification], null: bool) -> list[_Prepared]:
    out = []
    for spec in specs:
        p = spec.x.shape[1]
        yk = y - spec.coef * spec.x[:, 1] if null else y
        yk = np.where(spec.rows, yk, 0.0)
        x = spec.x.copy()
        centre = x[spec.rows, 1:].mean(axis=0)
        spread = x[spec.rows, 1:].std(axis=0)
        x[:, 1:] = np.where(spec.rows[:, None], (x[:, 1:] - centre) / spread, 0.0)
        i, j = np.triu_indices(p)
        y_c = np.where(spec.rows, yk - yk[spec.rows].mean(), 0.0)
        moment_cols = np.column_stack([x[:, i] * x[:, j], x * yk[:, None], y_c, y_c**2])
        factor = np.where(i == j, 1.0, 2.0)
        out.append(_Prepared(spec.rows, spec.weights, x, yk, moment_cols, (i, j), factor))
    return out


def _null_fits(
    y: np.ndarray, specs: list[Specification], counts: np.ndarray, null: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardized size effect, t statistic, residual df and identification of every
    specification on every resample, as ``ols_hc3`` would fit them, in matrix algebra.

    ``counts`` (draws, n) gives how often each row of the estimation sample is drawn. With
    ``null`` the outcome of specification k is y - coef_k * size_k. Returns (draws, K) arrays.
    For a resample, OLS (or WLS) on the drawn rows, repeats included, is the count-weighted
    normal equations A b = X'Wy with W = counts * raking weight; a copy of row i has leverage
    h_i = w_i x_i'A^-1 x_i and the HC3 variance of the size coefficient is
    sum_i counts_i w_i^2 e_i^2 (x_i'a)^2 / (1 - h_i)^2, a the size row of A^-1.
    """
    return _refit(_prepare(y, specs, null), counts)


def _refit(
    prepared: list[_Prepared], counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_null_fits`` of specifications made ready by ``_prepare``.

    Every sum over the resample's rows that does not involve a residual or a leverage (X'WX,
    X'Wy, the sums of squares of the standardization) is one product of the counts with
    columns computed once (``_Prepared.moment_cols``); only the HC3 variance needs a pass
    over the (draws, n) rows, and it is computed in place, with as few passes as it needs.
    """
    n_draws, k = counts.shape[0], len(prepared)
    std = np.full((n_draws, k), np.nan)
    t = np.full((n_draws, k), np.nan)
    df = np.full((n_draws, k), np.nan)
    ok = np.zeros((n_draws, k), dtype=bool)
    for j, prep in enumerate(prepared):
        x, yk, w = prep.x, prep.yk, prep.w
        p = x.shape[1]
        q = len(prep.pairs[0])
        freq = counts * prep.rows  # (B, n): copies of each row in this specification
        wt = freq if w is None else freq * w  # regression weight of each row
        sums = wt @ prep.moment_cols
        a = np.empty((n_draws, p, p))
        a[:, prep.pairs[0], prep.pairs[1]] = sums[:, :q]
        a[:, prep.pairs[1], prep.pairs[0]] = sums[:, :q]
        xty = sums[:, q : q + p]
        # identified when X'WX scaled to unit diagonal is well conditioned (a column constant
        # at 0 on the drawn rows, e.g. an absent type, has a zero diagonal)
        ident = full_rank(a)
        a_inv = np.linalg.inv(np.where(ident[:, None, None], a, np.eye(p)))
        a_inv = (a_inv + a_inv.transpose(0, 2, 1)) / 2
        coef = np.einsum("bij,bj->bi", a_inv, xty)
        # leverages h = w x'A^-1 x from the distinct entries of A^-1 (symmetric) and the
        # products x_j x_k already among the moment columns (no second n x q array)
        lever = a_inv[:, prep.pairs[0], prep.pairs[1]] * prep.lever_factor
        h = lever @ prep.moment_cols[:, :q].T  # (B, n)
        if w is not None:
            h *= w
        drawn = wt > 0
        with np.errstate(invalid="ignore"):
            top = np.max(np.where(drawn, h, -np.inf), axis=1)
        ident &= ~(top > 1.0 - _LEVERAGE_TOL)
        # HC3: sum over drawn rows of freq w^2 (e g / (1 - h))^2, e the residual and g the size
        # row of A^-1 times x_i; undrawn rows (freq 0) and unidentified draws divide by 1
        h = np.subtract(1.0, h, out=h)
        h[~(drawn & ident[:, None])] = 1.0
        del drawn
        term = yk - coef @ x.T  # (B, n) residuals
        term *= np.ascontiguousarray(a_inv[:, 1, :]) @ x.T
        term /= h
        del h
        term *= term
        var = np.einsum("bn,bn->b", freq if w is None else freq * w**2, term)
        del term
        # standardized as the curve does: SDs of size and outcome on the drawn rows, weighted
        # by the raking weights for a raked spec (the normalisation cancels in the ratio);
        # sums of squares about the resample's (weighted) mean, from sums: the size column is
        # standardized on the rows and the outcome centred on them, so nothing cancels badly
        total = a[:, 0, 0]
        ss_x = a[:, 1, 1] - a[:, 0, 1] ** 2 / total
        ss_y = sums[:, q + p + 1] - sums[:, q + p] ** 2 / total
        n_rows = freq.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            std[:, j] = coef[:, 1] * np.sqrt(ss_x / ss_y)
            t[:, j] = coef[:, 1] / np.sqrt(var)
        df[:, j] = n_rows - p
        ok[:, j] = ident & np.isfinite(t[:, j]) & np.isfinite(std[:, j]) & (n_rows > p)
    return std, t, df, ok


def _weighted_ss(v: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum w (v - weighted mean)^2 for each row of ``weight`` (B, n): the observed curve's
    standardization, with raking weights for a raked specification. Centred first for
    accuracy. A ratio of two such sums is a ratio of (weighted) variances whatever their
    normalisation."""
    total = weight.sum(axis=1)
    mean = (weight @ v) / total
    dev = v[None, :] - mean[:, None]
    return np.sum(weight * dev**2, axis=1)


def _curve_statistics(
    std: np.ndarray, t: np.ndarray, df: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three statistics of curves given as (curves, K) arrays: median standardized effect,
    share significant in the curve's dominant direction (the sign of its median), mean z."""
    median = np.median(std, axis=1)
    sign = np.where(median < 0, -1.0, 1.0)
    tail = stats.t.sf(np.abs(t), df)  # one-sided p of |t|
    significant = (2 * tail < alpha) & (np.sign(t) == sign[:, None])
    z = np.sign(t) * stats.norm.isf(np.clip(tail, 1e-300, 0.5))
    return median, significant.mean(axis=1), z.mean(axis=1)


def _inference(
    y: np.ndarray, specs: list[Specification], draws: int, seed: int, alpha: float
) -> dict[str, Any]:
    """The observed curve's three statistics and the share of null curves at least as
    extreme (see the module docstring).

    The null curves are drawn and refitted a chunk of about ``_CHUNK_CELLS`` counts at a time
    (numpy draws the same stream in chunks as at once, so the chunking changes no draw), and
    the chunks are refitted on ``_workers()`` threads: numpy releases the GIL in its loops and
    matrix products, and the results are put back in the order drawn.
    """
    n = len(y)
    observed = _null_fits(y, specs, np.ones((1, n)), null=False)
    obs_median, obs_share, obs_z = (float(s[0]) for s in _curve_statistics(*observed[:3], alpha))
    prepared = _prepare(y, specs, null=True)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)  # draws refitted at once: bounded memory on large panels
    kept: list[tuple[np.ndarray, ...]] = []
    total = 0
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        for _ in range(_MAX_ROUNDS):
            # at most two chunks waiting beyond the ones being refitted: bounded memory
            futures = []
            for start in range(0, draws, chunk):
                index = rng.integers(0, n, size=(min(chunk, draws - start), n))
                futures.append(pool.submit(_refit, prepared, row_counts(index, n)))
                del index
                if len(futures) > 2 * _workers():
                    futures[-2 * _workers() - 1].result()
            parts = [f.result() for f in futures]
            std, t, df, ok = (np.concatenate([part[i] for part in parts]) for i in range(4))
            good = ok.all(axis=1)
            kept.append((std[good], t[good], df[good]))
            total += int(good.sum())
            if total >= draws:
                break
    std, t, df = (np.concatenate([part[i] for part in kept])[:draws] for i in range(3))
    result: dict[str, Any] = {
        "draws": len(std),
        "median_std_coef": obs_median,
        "median_p": None,  # no p-value without null curves (never NaN: results.json is strict)
        "share_significant": obs_share,
        "share_significant_p": None,
        "mean_z": obs_z,
        "mean_z_p": None,
    }
    if len(std):
        median, share, mean_z = _curve_statistics(std, t, df, alpha)
        result["median_p"] = _share_at_least(np.abs(median), abs(obs_median))
        result["share_significant_p"] = _share_at_least(share, obs_share)
        result["mean_z_p"] = _share_at_least(np.abs(mean_z), abs(obs_z))
    return result


def _workers() -> int:
    """Threads refitting null curves: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _share_at_least(null: np.ndarray, observed: float) -> float:
    """(1 + #null >= observed) / (1 + #null): the Monte Carlo p-value that counts the observed
    curve among the draws (Davison & Hinkley 1997, sec. 4.2.1; North et al. 2002), so it is
    never 0 and is exactly valid under the null."""
    return float((1 + np.sum(null >= observed)) / (1 + len(null)))
