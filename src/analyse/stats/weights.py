"""Calibrating survey weights to the population of collectivities.

The 2025 panel over-represents large urban EPCI. Calibration gives each respondent a weight so
that the weighted sample matches the reference frame on two margins: collectivity type and
population band. It corrects the composition of the panel, not its self-selection within a type
and band.

**Every tier.** A survey may reach communes, EPCI, EPT, départements and régions at once; the
pipeline calibrates to the frame of all of them (``load_frame("all")``). Population bands are
per tier (``analyse.data.bands.RAKING_TIERS``): communes <500 / 500-2k / 2-10k / 10-50k / 50k+,
EPCI <20k ... 250k+, départements <250k / 250-500k / 500k-1M / 1M+, régions <1M / 1M+ (the
overseas régions and Corse against the mainland), EPT one band (eleven units from 321,000 to
734,000 inhabitants: any split leaves bands of a handful). Why these edges is said there. Each
type and each band belongs to one tier, so the problem is *block-separable*: the cells of one
tier share no margin with another's, and feasibility, merges and weights are worked out tier by
tier, each with its own design weight N_t/n_t (the shares a reason gives, "which hold
76.97 % of the frame", are of its tier's part of the frame). Départements and régions are few
(101 and 18) and a survey reaches a handful: when no merge of their adjacent bands can be met
they are calibrated on type alone (their bands merged into one, ``departement all sizes``, and
said so); communes and EPCI never are (a ``CalibrationError`` says why). A tier with no
respondent at all is out of the weights' population: its units are left out of both margins and
named in ``attrs['dropped_tiers']`` (not in ``dropped``, which stays the units of types left out
within the tiers surveyed, so that an EPCI survey's weights and results are those of an EPCI
frame). Frame units with no population (missing, 0 or less: the six communes "mortes pour la
France" near Verdun have 0 inhabitants) are never calibrated on (``attrs['unpopulated']`` counts
them).

Weights that do not meet the margins are worse than none: they look like a correction and are
not one. So ``rake`` first checks that the margins *can* be met by the cells (type x band) that
have respondents, and never returns weights that do not meet them:

- **Feasibility, raking.** Respondents who share a cell share a weight, so calibrating is a
  transportation problem: the frame count of each type must be shipped to the bands through the
  sample's cells only. Raking (a weight ``exp(.)`` per cell) needs a solution with every cell
  weight *positive*. By Gale's supply-demand theorem a non-negative solution exists iff every set
  of types S holds no more of the frame than the bands where S has respondents, N(S):
  ``T(S) <= B(N(S))``. A positive one exists iff moreover, whenever ``T(S) = B(N(S))``, no
  other type has respondents in N(S) (such cells would be forced to weight 0). This is the
  condition for a biproportional fit to exist (Bacharach 1965; Pukelsheim 2014, Ann. Oper. Res.
  215:269-283); IPF without it drifts towards zero weights without ever meeting the margins.
  The check enumerates every S in exact integer counts within each connected component of the
  cells (a set spanning two components holds if its parts do; ``_type_subsets``), at most 15
  sets for the four EPCI types and one for each other tier's single type, and a failing S is
  the reason given to the user ("CC has respondents only in bands <20k, 20-50k, which hold
  76.97 % of the frame, less than CC's 78.80 %").
- **Feasibility, bounded.** The logit calibration of Deville and Sarndal (1992) keeps each
  weight within ``[lower, upper]`` times the design weight N_t/n_t of its tier. Feasibility is
  then a linear programme (``scipy.optimize.linprog``): the largest margin ``s`` by which the
  cell weights can stay inside the bounds while meeting the margins; it must be positive.
- **Collapse.** When the margins cannot be met, adjacent population bands of the tier that
  fails are merged (in the sample and the frame alike), trying the partitions of its bands into
  contiguous groups with the fewest merges first, and among those the one giving the largest
  Kish effective n (per tier: sum w is fixed within a tier and sum w^2 adds up over tiers, so
  this is also the largest Kish n overall). The band margin is never merged into a single group
  (that would silently drop it), except for départements and régions as above: if no partition
  into two or more groups works, ``CalibrationError`` says why. When several tiers are merged,
  ``attrs['collapsed_code']`` chains one ``bands_merged`` reason per tier (``then``).
- **Solution.** The calibration equations are solved by Newton's method on the cells, as
  ``survey::calibrate`` does (``tests/fixtures/r_calibration`` checks the weights against it to
  1e-8, an EPCI sample and a mixed one of EPCI, communes and départements), and weights are
  returned only once every margin is met to ``tol``. With several tiers the model matrix
  ``~ type + band`` is rank-deficient (a tier's type indicators and its bands' add up to the
  same column); the targets are consistent, and ``lstsq`` takes the minimum-norm step.

Raking never drops frame units silently. A population band of the frame with no respondent
(say, the panel without its small CC: no respondent under 20,000 inhabitants, 515 of the 1,255
EPCI) cannot be matched as it is, so it is an infeasible margin like the others: it is merged
into a neighbouring band by the same collapse (the adjacent band, or the two, whose merge gives
the largest Kish n), and ``attrs['collapsed']`` says so. A collectivity *type* of the frame with
no respondent cannot be merged into another type (types are not ordered, and a CU is not a
metropole): its units are left out of both margins, the weights then describe the frame without
that type, and ``attrs['dropped_types']`` names it with its units (``attrs['dropped']`` is their
total, 0 when every type has respondents).

For the design-based standard errors (``analyse.stats.regression.linearization_se``), the
weights carry their calibration cells in ``attrs['calibration']``: each respondent's category on
each margin as calibrated (bands after any merge, labelled by tier: ``commune 500-2k``), and its
weight. The residualisation on those cells projects on their span, which a rank-deficient set
of indicators does not change.

Hand-written rather than from ``samplics`` or ``balance``: neither checks feasibility or
collapses cells (they run IPF until ``max_iter`` and warn), and ``balance`` brings in
scikit-learn, glmnet and plotting libraries for what is here a few hundred lines on a handful
of cells. A census of every tier (36,000 rows) is raked in well under a second: the work is on
the cells (at most 17 bands), never on the rows (``benchmarks/raking.out``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from analyse.data.bands import (
    RAKING_TIERS,
    RakingTier,
    population_band,
    raking_band,
    raking_tier,
    raking_tier_of_band,
)
from analyse.reasons import Reason
from analyse.stats.regression import CALIBRATION

__all__ = ["CalibrationError", "population_band", "rake"]

Method = Literal["raking", "logit"]
TYPE, BAND = "collectivity_type", "band"


class CalibrationError(ValueError):
    """The sample cannot be weighted to meet the frame's margins; the message says why."""


@dataclass(frozen=True)
class _Problem:
    """One calibration problem on cells: who is in which cell, and the frame totals."""

    margins: tuple[str, ...]
    categories: list[list[str]]  # per margin, categories with respondents, in order
    cells: np.ndarray  # (cells, margins) category index of each cell
    cell_of: np.ndarray  # (respondents,) cell of each respondent
    count: np.ndarray  # (cells,) respondents per cell
    totals: list[np.ndarray]  # per margin, frame units per category (integers)
    dropped: int  # frame units left out: of types without respondents
    dropped_types: dict[str, int]  # frame type without respondents -> its units
    empty_bands: dict[str, int]  # band (group) of the frame without respondents -> its units
    # (cells,) design weight of each cell: N_t / n_t of its tier (frame units of the tier's
    # types with respondents over the tier's respondents), which the logit's bounds are about
    design: np.ndarray

    @property
    def population(self) -> float:
        return float(self.totals[0].sum())


def rake(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: tuple[str, ...] = (TYPE, BAND),
    *,
    method: Method = "raking",
    bounds: tuple[float, float] | None = None,
    collapse: bool = True,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> pd.Series:
    """Calibrated weights (mean 1, index ``sample.index``) meeting the frame's margins.

    ``method`` is ``"raking"`` (multiplicative, weights > 0, unbounded) or ``"logit"`` (bounded:
    ``bounds=(lower, upper)`` on the ratio of a weight to its tier's design weight N_t/n_t
    (frame units of the tier's types with respondents over its respondents), with
    ``0 <= lower < 1 < upper``). ``collapse`` allows merging adjacent population bands when the
    margins cannot be met as they are. The weighted share of every category of every margin
    equals the frame's to ``tol``.

    ``attrs``: ``converged`` (always True), ``dropped`` (frame units left out: those of the
    types without respondents in the tiers that have some), ``dropped_types`` (each such type ->
    its frame units; empty when none), ``dropped_tiers`` (each tier without any respondent ->
    its frame units, e.g. ``{"region": 18}``), ``unpopulated`` (frame units of no population,
    never calibrated on), ``collapsed`` (the merge made and why, or None: a band of the frame
    without respondents is always merged), ``kish_n`` ((sum w)^2 / sum w^2), ``max_ratio``
    (largest weight / smallest), ``method``, ``bounds``, ``band_groups`` (population band -> the
    band group it was calibrated in; the identity when not collapsed), ``calibration`` (what the
    design-based standard errors need: ``index``, ``cells`` (margin -> each respondent's
    category as calibrated) and ``weight``, as lists).

    Raises ``CalibrationError`` (a ``ValueError``) when the margins cannot be met, naming the
    type and bands that cannot be matched.
    """
    if method not in ("raking", "logit"):
        raise ValueError(f"unknown calibration method {method!r}: 'raking' or 'logit'")
    if method == "logit":
        if bounds is None or not (0 <= bounds[0] < 1 < bounds[1] < np.inf):
            raise ValueError(
                "logit calibration needs bounds (lower, upper), 0 <= lower < 1 < upper"
            )
    elif bounds is not None:
        raise ValueError("bounds apply to method='logit' only")
    if not 1 <= len(margins) <= 2 or len(set(margins)) != len(margins):
        raise ValueError(f"calibrate on one or two distinct margins, not {margins}")
    sample, frame = _prepare(sample, margins), _prepare(frame, margins)
    _check_inputs(sample, frame, margins)
    frame, unpopulated = _populated(frame)
    # a tier (level of government) without any respondent is out of the weights' population:
    # named in ``dropped_tiers``, not merged into another (a commune is not an EPCI)
    surveyed = {raking_tier(t).name for t in sample[TYPE].dropna().unique()}
    frame_tier = _tier_names(frame[TYPE])
    in_survey = np.isin(frame_tier, sorted(surveyed))
    dropped_tiers = {
        tier.name: int((frame_tier == tier.name).sum())
        for tier in RAKING_TIERS
        if tier.name not in surveyed and (frame_tier == tier.name).any()
    }
    frame = frame[in_survey]

    identity = {label: label for tier in RAKING_TIERS for label in tier.labels}
    first = _build(sample, frame, margins, identity)
    reason = _infeasible(first, method, bounds)
    if reason is None:
        chosen, collapsed, band_groups = first, None, identity
        collapsed_reason = None
    else:
        band_groups, merges = _collapse_by_tier(
            sample, frame, margins, method, bounds, tol, max_iter, collapse, reason
        )
        chosen = _build(sample, frame, margins, band_groups)
        left = _infeasible(chosen, method, bounds)
        if left is not None:  # the tiers are independent blocks: cannot happen, but never lie
            raise CalibrationError(f"cannot weight the sample to the frame: {left}.")
        collapsed_reason = _describe_merges(merges)
        collapsed = collapsed_reason.english()
    g = _solve(chosen, method, bounds, tol, max_iter)
    w = g[chosen.cell_of]
    weights = pd.Series(w / w.mean(), index=sample.index, name="weight")
    cells = {
        m: [chosen.categories[k][c] for c in chosen.cells[chosen.cell_of, k]]
        for k, m in enumerate(margins)
    }
    weights.attrs.update(
        converged=True,
        dropped=chosen.dropped,
        dropped_types=dict(chosen.dropped_types),
        dropped_tiers=dropped_tiers,
        unpopulated=unpopulated,
        collapsed=collapsed,
        # the same as a code with parameters, for a page to word in its language
        collapsed_code=None if collapsed_reason is None else collapsed_reason.to_dict(),
        kish_n=_kish(w),
        max_ratio=float(w.max() / w.min()),
        method=method,
        bounds=None if bounds is None else [float(bounds[0]), float(bounds[1])],
        band_groups=band_groups if BAND in margins else None,
    )
    weights.attrs[CALIBRATION] = {
        "index": list(sample.index),
        "cells": cells,
        "weight": [float(v) for v in weights.to_numpy()],
    }
    return weights


def _collapse_by_tier(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: tuple[str, ...],
    method: Method,
    bounds: tuple[float, float] | None,
    tol: float,
    max_iter: int,
    collapse: bool,
    reason: Reason,
) -> tuple[dict[str, str], list[tuple[list[list[str]], Reason]]]:
    """The band groups that make every tier feasible, and each tier's merge with its reason.

    Types and bands of different tiers share no cell, so each tier is its own calibration
    problem (with its own design weight N_t/n_t): a tier's feasibility, its merges and its
    weights do not depend on the others', and the merges with the fewest groups lost and the
    largest Kish n overall are those of each tier chosen alone (sum w is fixed per tier, and
    sum w^2 adds up over tiers). Enumerating band partitions tier by tier also keeps the count
    small: 16 partitions of the five bands of a tier, not 2^16 of all seventeen bands.
    """
    tail = (
        " Merging adjacent population bands does not help either."
        if collapse and BAND in margins
        else ""
    )
    groups = {label: label for tier in RAKING_TIERS for label in tier.labels}
    merges: list[tuple[list[list[str]], Reason]] = []
    sample_tier, frame_tier = _tier_names(sample[TYPE]), _tier_names(frame[TYPE])
    for tier in RAKING_TIERS:
        in_sample = sample_tier == tier.name
        if not in_sample.any():
            continue
        sub_sample, sub_frame = sample[in_sample], frame[frame_tier == tier.name]
        identity = {label: label for label in tier.labels}
        why = _infeasible(_build(sub_sample, sub_frame, margins, identity), method, bounds)
        if why is None:
            continue
        candidates = (
            _collapses(sub_sample, sub_frame, margins, method, bounds, tier) if collapse else []
        )
        if not candidates:  # the tier's reason: its shares are of its own part of the frame
            raise CalibrationError(f"cannot weight the sample to the frame: {why}.{tail}")
        kish = [_candidate_kish(p, method, bounds, tol, max_iter) for _, p in candidates]
        if np.all(np.isnan(kish)):
            raise CalibrationError(
                f"cannot weight the sample to the frame: {why}. No merge of adjacent "
                "population bands could be calibrated either."
            )
        partition, _ = candidates[int(np.nanargmax(kish))]  # the first of equals
        groups.update({b: _group_label(members) for members in partition for b in members})
        merges.append((partition, why))
    if not merges:  # every tier feasible alone: the whole cannot be infeasible (blocks)
        raise CalibrationError(f"cannot weight the sample to the frame: {reason}.{tail}")
    return groups, merges


# ------------------------------------------------------------------------------ the problem


def _prepare(data: pd.DataFrame, margins: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in (TYPE, "population") if c not in data.columns]
    needed = {TYPE} if margins == (TYPE,) else {TYPE, "population"}
    if needed & set(missing):
        raise CalibrationError(f"cannot weight: no column {sorted(needed & set(missing))}")
    if BAND in margins:
        data = data.assign(band=raking_band(data[TYPE], data["population"]))
    return data


def _populated(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The frame without its units of no population (missing, 0 or less), and their count.

    Six communes "mortes pour la France" near Verdun have a population of 0 and six
    pseudo-communes none: no body answers for them, and a band of 0 inhabitants means nothing,
    so they are never calibrated on (``attrs['unpopulated']`` counts them).
    """
    if "population" not in frame.columns:
        return frame, 0
    usable = pd.to_numeric(frame["population"], errors="coerce").gt(0).fillna(False)
    usable = usable.to_numpy(dtype=bool)
    return frame[usable], int((~usable).sum())


def _tier_names(types: pd.Series) -> np.ndarray:
    """The tier (``analyse.data.bands.RAKING_TIERS``) of each row's type, as an array."""
    tier_of = {t: raking_tier(t).name for t in types.dropna().unique()}
    return types.map(tier_of).fillna("").to_numpy(dtype=object)


def _check_inputs(sample: pd.DataFrame, frame: pd.DataFrame, margins: tuple[str, ...]) -> None:
    if len(sample) == 0:
        raise CalibrationError("cannot weight an empty sample")
    if BAND in margins:
        population = pd.to_numeric(sample["population"], errors="coerce")
        n_bad = int(population.le(0).sum())
        if n_bad:
            raise CalibrationError(
                f"{n_bad} respondent(s) have a population of 0 or less: cannot weight them"
            )
    for m in margins:
        n_missing = int(sample[m].isna().sum())
        if n_missing:
            what = "population" if m == BAND else m
            raise CalibrationError(f"{n_missing} respondent(s) have no {what}: cannot weight them")
    unknown = set(sample[TYPE]) - set(frame[TYPE])
    if unknown:
        raise CalibrationError(
            f"collectivity type(s) {sorted(unknown)} are not in the frame the weights are "
            f"calibrated to (its types: {', '.join(sorted(set(frame[TYPE])))}): use weights: "
            "none, or weights shipped in a column of the survey (weights: {column: NAME})"
        )


def _build(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: tuple[str, ...],
    groups: dict[str, str],
) -> _Problem:
    """The cells and frame totals once bands are mapped to ``groups`` (label -> group label).

    Each cell's design weight is its tier's N_t / n_t: the frame units of the tier's types that
    have respondents (whatever the bands) over the tier's respondents. A sample of communes and
    EPCI is two samples drawn at different rates (300 of 34,000 communes, 100 of 1,250 EPCI),
    and a bound on w / d is about each respondent's own rate: one N/n for all would ask the
    communes' weights to be far above, and the EPCI's far below, their common design weight,
    which bounds such as (0.3, 3) cannot allow, though each tier alone is feasible. Within a
    tier the design weight is one constant, and the tier's type indicators are calibration
    variables, so raking's weights do not depend on it (it is absorbed in the multipliers); it
    only changes what the logit's bounds mean.
    """
    if BAND in margins:
        sample = sample.assign(band=sample[BAND].map(groups))
        frame = frame.assign(band=frame[BAND].map(groups))
    # a type without respondents cannot be merged into another: its units are left out (and
    # named); a band without respondents makes the problem infeasible (``_infeasible``), so
    # that the collapse merges it into a neighbour rather than leave its units out
    keep = np.ones(len(frame), dtype=bool)
    dropped_types: dict[str, int] = {}
    if TYPE in margins:
        present = frame[TYPE].isin(set(sample[TYPE])).to_numpy()
        counts = frame.loc[~present, TYPE].astype(str).value_counts()
        dropped_types = {str(t): int(k) for t, k in counts.sort_index().items()}
        keep &= present
    empty_bands: dict[str, int] = {}
    if BAND in margins:
        banded = frame[BAND].notna().to_numpy()
        has = frame[BAND].isin(set(sample[BAND])).to_numpy()
        counts = frame.loc[keep & banded & ~has, BAND].astype(str).value_counts()
        band_order = list(dict.fromkeys(groups.values()))
        empty_bands = {b: int(counts[b]) for b in band_order if b in counts.index}
        keep &= has
    kept = frame[keep]
    band_order = list(dict.fromkeys(groups.values()))
    categories = [
        sorted(set(sample[m].astype(str)), key=band_order.index if m == BAND else None)
        for m in margins
    ]
    codes = np.column_stack(
        [
            pd.Categorical(sample[m].astype(str), categories=cats).codes
            for m, cats in zip(margins, categories, strict=True)
        ]
    )
    cells, cell_of = np.unique(codes, axis=0, return_inverse=True)
    totals = [
        kept[m].astype(str).value_counts().reindex(cats, fill_value=0).to_numpy(dtype="int64")
        for m, cats in zip(margins, categories, strict=True)
    ]
    return _Problem(
        margins=margins,
        categories=categories,
        cells=cells,
        cell_of=cell_of.ravel(),
        count=np.bincount(cell_of.ravel()).astype("float64"),
        totals=totals,
        dropped=sum(dropped_types.values()),
        dropped_types=dropped_types,
        empty_bands=empty_bands,
        design=_design_weights(sample, frame, cell_of.ravel(), len(cells)),
    )


def _design_weights(
    sample: pd.DataFrame, frame: pd.DataFrame, cell_of: np.ndarray, n_cells: int
) -> np.ndarray:
    """Each cell's design weight N_t / n_t (``_build``): its tier's frame units of the types
    with respondents over its tier's respondents. A cell lies in one tier (types and bands are
    a tier's own)."""
    sample_tier = _tier_names(sample[TYPE])
    present = frame[TYPE].isin(set(sample[TYPE])).to_numpy()
    frame_tier = _tier_names(frame[TYPE])[present]
    tiers, n_t = np.unique(sample_tier.astype(str), return_counts=True)
    rate = {t: float((frame_tier == t).sum()) / n for t, n in zip(tiers, n_t, strict=True)}
    design = np.zeros(n_cells)
    design[cell_of] = [rate[str(t)] for t in sample_tier]
    return design


# ---------------------------------------------------------------------------- feasibility


def _infeasible(
    problem: _Problem, method: Method, bounds: tuple[float, float] | None
) -> Reason | None:
    """Why the margins cannot be met (a reason: its English is the user's message), or None
    when they can."""
    if problem.empty_bands:
        return Reason(
            "empty_bands",
            {"bands": list(problem.empty_bands), "units": sum(problem.empty_bands.values())},
        )
    reason = _hall_violation(problem)
    if reason is not None or method == "raking":
        return reason
    assert bounds is not None
    if _bounded_slack(problem, bounds) <= 1e-9:
        lower, upper = bounds
        return Reason("bounds_unmet", {"lower": lower, "upper": upper})
    return None


def _hall_violation(
    problem: _Problem, subsets: Iterable[tuple[int, ...]] | None = None
) -> Reason | None:
    """The first set of categories whose frame total cannot be reached through its cells.

    ``subsets``: the sets of types to check, ``_type_subsets`` by default (a test gives every
    proper subset, the check before tiers, to show the shortcut finds the same reason)."""
    n_frame = problem.population
    for m, (cats, total) in enumerate(zip(problem.categories, problem.totals, strict=True)):
        for k, cat in enumerate(cats):
            if total[k] == 0:
                margin = "band" if problem.margins[m] == BAND else "type"
                return Reason("no_frame_unit", {"margin": margin, "category": str(cat)})
    if len(problem.margins) == 1:
        return None
    types, bands = problem.categories
    t_total, b_total = problem.totals
    for subset in _type_subsets(problem) if subsets is None else subsets:
        inside = np.isin(problem.cells[:, 0], subset)
        reached = sorted(set(problem.cells[inside, 1].tolist()))
        need, have = int(t_total[list(subset)].sum()), int(b_total[reached].sum())
        where = {
            "types": [str(types[i]) for i in subset],
            "bands": [str(bands[j]) for j in reached],
            "need_pct": 100 * need / n_frame,
            "need": need,
        }
        if need > have:
            return Reason("types_short", {**where, "have_pct": 100 * have / n_frame, "have": have})
        others = ~inside & np.isin(problem.cells[:, 1], reached)
        if need == have and others.any():
            return Reason("types_exact", where)
    return None


def _type_subsets(problem: _Problem) -> list[tuple[int, ...]]:
    """The sets of types Gale's condition must be checked on, smallest first.

    Every proper subset of the types would do, but a set that spans two connected components
    of the cells (types linked through the bands where both have respondents) holds only if
    its parts do: they reach disjoint bands, so their needs and haves add up, and a tight set
    with other types in its bands has a tight part with them. The components are checked
    alone (every subset of each), in the order every proper subset would be (by size, then
    lexicographic), so the first violation found, hence the reason given, is the same. Tiers
    share no band, so with the eight types of every tier this is at most 15 sets (the four
    EPCI types) plus one per other type, instead of 255.
    """
    n_types = len(problem.categories[0])
    parent = list(range(n_types))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_type_of_band: dict[int, int] = {}
    for t, b in problem.cells[:, :2].tolist():
        if b in first_type_of_band:
            parent[root(t)] = root(first_type_of_band[b])
        else:
            first_type_of_band[b] = t
    components: dict[int, list[int]] = {}
    for t in range(n_types):
        components.setdefault(root(t), []).append(t)
    subsets = [
        subset
        for members in components.values()
        for size in range(1, len(members) + 1)
        for subset in combinations(members, size)
        if len(subset) < n_types  # all types: need = have, nobody else (as before)
    ]
    return sorted(subsets, key=lambda subset: (len(subset), subset))


def _bounded_slack(problem: _Problem, bounds: tuple[float, float]) -> float:
    """The largest s with lower + s <= g_c <= upper - s for cell ratios g_c meeting the margins.

    Variables (g_1..g_C, s); maximise s subject to sum_c n_c d g_c [c in category] = total.
    """
    lower, upper = bounds
    d = problem.design
    n_cells = len(problem.count)
    rows, rhs = [], []
    for m, total in enumerate(problem.totals):
        for k, t in enumerate(total):
            rows.append(np.append(problem.count * d * (problem.cells[:, m] == k), 0.0))
            rhs.append(float(t))
    a_ub = np.vstack(
        [
            np.hstack([-np.eye(n_cells), np.ones((n_cells, 1))]),  # s - g_c <= -lower
            np.hstack([np.eye(n_cells), np.ones((n_cells, 1))]),  # g_c + s <= upper
        ]
    )
    b_ub = np.concatenate([np.full(n_cells, -lower), np.full(n_cells, upper)])
    cost = np.append(np.zeros(n_cells), -1.0)
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.vstack(rows) / problem.population,
        b_eq=np.asarray(rhs) / problem.population,
        bounds=[(None, None)] * n_cells + [(None, (upper - lower) / 2)],
        method="highs",
    )
    return float(-res.fun) if res.status == 0 else -np.inf


# ---------------------------------------------------------------------------------- collapse


def _partitions(labels: tuple[str, ...]) -> list[list[list[str]]]:
    """Partitions of ordered labels into 2+ contiguous groups, fewest merges first."""
    out = []
    for n_cuts in range(len(labels) - 1, 0, -1):
        for cuts in combinations(range(1, len(labels)), n_cuts):
            edges = (0, *cuts, len(labels))
            out.append([list(labels[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return out


def _group_label(members: list[str]) -> str:
    """``20-50k`` + ``50-100k`` -> ``20-100k``, from the band edges of their tier (every band
    of a tier: ``departement all sizes``)."""
    if len(members) == 1:
        return members[0]
    tier = raking_tier_of_band(members[0])
    first, last = tier.labels.index(members[0]), tier.labels.index(members[-1])
    return tier.label(tier.edges[first], tier.edges[last + 1])


def _collapses(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: tuple[str, ...],
    method: Method,
    bounds: tuple[float, float] | None,
    tier: RakingTier,
) -> list[tuple[list[list[str]], _Problem]]:
    """The feasible partitions of one tier's bands with the fewest merges (several may tie).

    Bands are never merged into one group, which would drop the band margin, except in a tier
    that may be calibrated on type alone (départements, régions): when no partition into two
    or more groups is feasible, the single group is tried last.
    """
    if BAND not in margins:
        return []
    found: list[tuple[list[list[str]], _Problem]] = []
    n_groups = None
    partitions = _partitions(tier.labels)
    if tier.type_only and len(tier.labels) > 1:
        partitions.append([list(tier.labels)])
    for partition in partitions:
        if n_groups is not None and len(partition) < n_groups:
            break
        if len(partition) == len(tier.labels):
            continue  # the identity: already tried
        groups = {b: _group_label(members) for members in partition for b in members}
        problem = _build(sample, frame, margins, groups)
        if _infeasible(problem, method, bounds) is None:
            found.append((partition, problem))
            n_groups = len(partition)
    return found


def _describe_merges(merges: list[tuple[list[list[str]], Reason]]) -> Reason:
    """One ``bands_merged`` reason per tier merged, the next chained in ``then``."""
    reason = None
    for partition, because in reversed(merges):
        parts = [{"bands": m, "into": _group_label(m)} for m in partition if len(m) > 1]
        params: dict = {"merges": parts, "because": because}
        if reason is not None:
            params["then"] = reason
        reason = Reason("bands_merged", params)
    assert reason is not None
    return reason


# ----------------------------------------------------------------------------------- solving


def _calfun(method: Method, bounds: tuple[float, float] | None):
    """The calibration function F (g = F(x'lambda)) and its derivative, as in survey."""
    if method == "raking":
        return np.exp, np.exp
    assert bounds is not None
    lower, upper = bounds
    a = (upper - lower) / ((upper - 1.0) * (1.0 - lower))

    def f(u: np.ndarray) -> np.ndarray:
        # (L(U-1) + U(1-L)e^{Au}) / ((U-1) + (1-L)e^{Au}), written to stay finite for large |u|
        z = np.exp(-np.abs(a * u))
        pos = (lower * (upper - 1.0) * z + upper * (1.0 - lower)) / (
            (upper - 1.0) * z + 1.0 - lower
        )
        neg = (lower * (upper - 1.0) + upper * (1.0 - lower) * z) / (
            (upper - 1.0) + (1.0 - lower) * z
        )
        return np.where(u >= 0, pos, neg)

    def df(u: np.ndarray) -> np.ndarray:
        g = f(u)
        return a * (g - lower) * (upper - g) / (upper - lower)

    return f, df


def _solve(
    problem: _Problem,
    method: Method,
    bounds: tuple[float, float] | None,
    tol: float,
    max_iter: int,
) -> np.ndarray:
    """Weight of each cell: d * F(x_c' lambda) with sum_c n_c w_c x_c = frame totals.

    x_c is the intercept plus the indicators of every category but the first of each margin
    (the model matrix of R's ``~ type + band``), so that the system has full rank when the
    cells connect every category; ``lstsq`` takes the minimum-norm step when they do not.
    """
    f, df = _calfun(method, bounds)
    n_frame = problem.population
    d = problem.design
    columns = [np.ones(len(problem.count))]
    target = [n_frame]
    for m, total in enumerate(problem.totals):
        for k in range(1, len(total)):
            columns.append((problem.cells[:, m] == k).astype("float64"))
            target.append(float(total[k]))
    x = np.column_stack(columns)
    t = np.asarray(target)
    base = problem.count * d

    def misfit(lam: np.ndarray) -> np.ndarray:
        return t - x.T @ (base * f(x @ lam))

    lam = np.zeros(x.shape[1])
    r = misfit(lam)
    for _ in range(max_iter):
        if np.max(np.abs(r)) < tol * n_frame:
            return d * f(x @ lam)
        jac = (x * (base * df(x @ lam))[:, None]).T @ x
        step = np.linalg.lstsq(jac, r, rcond=None)[0]
        for _ in range(60):  # step halving until the misfit shrinks (Newton with backtracking)
            r_new = misfit(lam + step)
            if np.all(np.isfinite(r_new)) and np.linalg.norm(r_new) < np.linalg.norm(r):
                break
            step = step / 2
        lam, r = lam + step, r_new
    raise CalibrationError(
        f"calibration did not meet the margins within {max_iter} iterations "
        f"(largest gap {np.max(np.abs(r)) / n_frame:.2e} of the frame)"
    )


def _candidate_kish(problem, method: str, bounds, tol: float, max_iter: int) -> float:
    """Kish n of one candidate merge, NaN when its calibration fails (Newton not converging
    under bounds, say): a failed candidate is passed over, not fatal to the others."""
    try:
        return _kish(_solve(problem, method, bounds, tol, max_iter)[problem.cell_of])
    except CalibrationError:
        return float("nan")


def _kish(w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 (Kish 1965, sec. 11.7)."""
    w = np.asarray(w, dtype="float64")
    return float(w.sum() ** 2 / (w**2).sum())
