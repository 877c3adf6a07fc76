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
    w = np.ones(len(sample))
    converged = False
    for _ in range(max_iter):
        for code, target in zip(codes, targets, strict=True):
            current = np.bincount(code, weights=w, minlength=len(target)) / w.sum()
            w = w * (target / current)[code]
        gap = max(
            np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) / w.sum() - t))
            for c, t in zip(codes, targets, strict=True)
        )
        if gap < tol:
            converged = True
            break
    weights = pd.Series(w / w.mean(), index=sample.index, name="weight")
    weights.attrs["dropped"] = dropped
    weights.attrs["converged"] = converged
    return weights
