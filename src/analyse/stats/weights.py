"""Raking survey weights to the population of collectivities.

The 2025 panel over-represents large urban EPCI. Raking (iterative proportional fitting) gives
each respondent a weight so that the weighted sample matches the reference frame on two
margins: collectivity type and population band. It corrects the composition of the panel, not
its self-selection within a type and band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyse.data.bands import population_band


def rake(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    margins: tuple[str, ...] = ("collectivity_type", "band"),
    max_iter: int = 2000,
    tol: float = 1e-8,
) -> pd.Series:
    """Weights (mean 1) matching the frame's shares on each margin.

    Categories with no respondent cannot be represented; their frame share is spread over the
    others by restricting the frame to categories present in the sample (reported by the caller
    through ``weights.attrs['dropped']``). IPF converges only when the margins are compatible
    with the sample's cells; ``attrs['converged']`` says whether it did.
    """
    sample = sample.assign(band=population_band(sample["population"]))
    frame = frame.assign(band=population_band(frame["population"]))
    unknown = set(sample["collectivity_type"]) - set(frame["collectivity_type"])
    if unknown:
        raise ValueError(
            f"cannot rake: collectivity type(s) {sorted(unknown)} are not in the reference frame"
        )
    keep = np.ones(len(frame), dtype=bool)
    for m in margins:
        keep &= frame[m].isin(set(sample[m])).to_numpy()
    dropped = int((~keep).sum())
    frame = frame[keep]
    codes, targets = [], []
    for m in margins:
        cats = sorted(set(sample[m].astype(str)))
        codes.append(pd.Categorical(sample[m].astype(str), categories=cats).codes)
        share = frame[m].astype(str).value_counts(normalize=True)
        targets.append(share.reindex(cats).to_numpy(dtype="float64"))
    w, converged = _ipf(np.column_stack(codes), targets, max_iter, tol)
    weights = pd.Series(w / w.mean(), index=sample.index, name="weight")
    weights.attrs["dropped"] = dropped
    weights.attrs["converged"] = converged
    return weights


def _ipf(
    codes: np.ndarray, targets: list[np.ndarray], max_iter: int, tol: float
) -> tuple[np.ndarray, bool]:
    """Iterative proportional fitting of one weight per respondent, starting from 1.

    ``codes`` (n, margins) gives each respondent's category on each margin. Every update
    multiplies a respondent's weight by a factor that depends only on their categories, so
    respondents who share a cell (a combination of categories) always share a weight: the
    iterations run on the few cells, weighted by their counts, instead of on every respondent
    (the same sequence of weights, much faster on a census and when IPF does not converge
    and runs ``max_iter`` rounds).
    """
    cells, cell_of = np.unique(codes, axis=0, return_inverse=True)
    count = np.bincount(cell_of.ravel()).astype("float64")
    cell_codes = [cells[:, k] for k in range(cells.shape[1])]
    # cell -> category indicators: a margin's totals are one small matrix product
    indicators = [np.eye(len(t))[c] for c, t in zip(cell_codes, targets, strict=True)]
    all_indicators, all_targets = np.hstack(indicators), np.concatenate(targets)
    wc = np.ones(len(cells))
    converged = False
    for _ in range(max_iter):
        for code, indicator, target in zip(cell_codes, indicators, targets, strict=True):
            mass = count * wc
            wc = wc * (target / (mass @ indicator / mass.sum()))[code]
        mass = count * wc
        if np.max(np.abs(mass @ all_indicators / mass.sum() - all_targets)) < tol:
            converged = True
            break
    return wc[cell_of.ravel()], converged
