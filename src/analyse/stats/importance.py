"""Relative importance: how much of the explained variance belongs to size, means, sponsorship.

LMG (Lindeman, Merenda and Gold 1980), i.e. the Shapley value of R² over groups of regressors:
each group's average gain in R² over all orders of entry. Unlike comparing coefficients, it
shares out the variance that size and the means explain jointly (they are correlated), and the
shares sum to R². Groups: size, budget, staff, sponsorship (both terms, or the one the
survey has), controls; a group whose columns the survey lacks is absent.

LMG is an allocation convention, not an estimate of a causal quantity: with correlated
regressors there is no unique way to split R², and LMG's way (averaging over orders of entry)
is one defensible choice among several (Grömping 2007, The American Statistician 61:139-147).
It answers "how much of the explained variance can be attributed to size under that
convention", which is why it sits beside, not in place of, the equivalence test.

``prob_size_below`` is the share of bootstrap samples in which size's share is below another
group's: a description of the resampling spread, not a posterior probability.

Bootstrap intervals refit every subset model on every resample; this is vectorised with batched
normal equations (numpy), not a loop of statsmodels fits. Every model has the intercept, so each
resample's outcome and regressors are centred once and every subset model is solved from blocks
of that one cross-product matrix, instead of rebuilding a design per subset.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from analyse.stats.regression import Design


def _subsets(groups: list[str]) -> list[tuple[str, ...]]:
    return [s for k in range(len(groups) + 1) for s in combinations(groups, k)]


def _positions(design: Design, columns: list[str], subset: tuple[str, ...]) -> list[int]:
    return [columns.index(c) for g in subset for c in design.groups[g]]


def _batched_r2(gram: np.ndarray, cross: np.ndarray, tss: np.ndarray) -> np.ndarray:
    """R² for a batch of models with an intercept, from the centred regressors' cross-products
    ``gram`` (B, p, p), their cross-products with the centred outcome ``cross`` (B, p) and its
    total sum of squares ``tss`` (B,).

    The residual sum of squares is evaluated as ``tss - 2 b'c + b'G b`` rather than
    ``tss - b'c``: the two are equal at the exact solution, but the first is stationary in
    ``b``, so the rounding of the solve does not reach R² to first order.
    """
    beta = np.linalg.solve(gram, cross[..., None])[..., 0]
    rss = (
        tss - 2.0 * np.einsum("bi,bi->b", beta, cross) + np.einsum("bi,bij,bj->b", beta, gram, beta)
    )
    return 1.0 - rss / tss


def _shapley(r2: dict[tuple[str, ...], np.ndarray], groups: list[str]) -> dict[str, np.ndarray]:
    g = len(groups)
    out = {}
    for grp in groups:
        total = 0.0
        for subset in r2:
            if grp in subset:
                continue
            with_g = tuple(x for x in groups if x in subset or x == grp)
            weight = factorial(len(subset)) * factorial(g - len(subset) - 1) / factorial(g)
            total = total + weight * (r2[with_g] - r2[subset])
        out[grp] = total
    return out


def lmg_batch(design: Design, rows: np.ndarray) -> pd.DataFrame:
    """LMG shares for each row-index vector in ``rows`` (B, n): one line per resample."""
    groups = list(design.groups)
    columns = [c for c in design.X.columns if c != "Intercept"]
    x = design.X[columns].to_numpy()[rows]
    y = design.y.to_numpy()[rows]
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    gram = np.einsum("bni,bnj->bij", x, x)
    cross = np.einsum("bni,bn->bi", x, y)
    tss = np.einsum("bn,bn->b", y, y)
    r2 = {(): np.zeros(len(rows))}
    for subset in _subsets(groups)[1:]:
        idx = _positions(design, columns, subset)
        r2[subset] = _batched_r2(gram[:, idx][:, :, idx], cross[:, idx], tss)
    return pd.DataFrame(_shapley(r2, groups))


def lmg(design: Design) -> pd.Series:
    """LMG share of R² per group of regressors; the shares sum to the model's R²."""
    return lmg_batch(design, np.arange(len(design.y))[None, :]).iloc[0]


@dataclass
class Importance:
    shares: pd.Series  # point estimates
    intervals: pd.DataFrame  # percentile bootstrap, columns low/high
    prob_size_below: pd.Series  # share of resamples where size's share < the group's
    draws: pd.DataFrame  # the bootstrap shares, one line per resample
    confidence: float
    not_estimable: str = ""  # why there are no shares at all ("" when there are)

    def table(self) -> pd.DataFrame:
        out = pd.DataFrame({"lmg": self.shares}).join(self.intervals)
        out["share_of_r2"] = self.shares / self.shares.sum()
        return out


def relative_importance(
    design: Design,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    chunk: int = 250,
) -> Importance:
    """LMG with percentile bootstrap intervals (respondents resampled with replacement).

    Resamples whose design is singular (a binary regressor or a type dummy that happens to be
    constant) are skipped; ``draws`` holds the usable ones.
    """
    shares = lmg(design)
    rng = np.random.default_rng(seed)
    n = len(design.y)
    parts = []
    for start in range(0, bootstrap, chunk):
        rows = rng.integers(0, n, size=(min(chunk, bootstrap - start), n))
        keep = _full_rank(design.X.to_numpy(), rows)
        if keep.any():
            parts.append(_draws(design, rows[keep]))
    draws = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=shares.index)
    tail = (1 - confidence) / 2
    intervals = pd.DataFrame(
        {"low": draws.quantile(tail), "high": draws.quantile(1 - tail)}
    ).reindex(shares.index)
    others = [g for g in shares.index if g != "size"]
    prob = (
        pd.Series(
            {g: float((draws["size"] < draws[g]).mean()) if len(draws) else np.nan for g in others}
        )
        if "size" in shares.index
        else pd.Series(dtype="float64")
    )
    return Importance(shares, intervals, prob, draws, confidence)


def _draws(design: Design, rows: np.ndarray) -> pd.DataFrame:
    """``lmg_batch`` of a chunk of resamples; if one of them is numerically singular after all
    (full rank, but a subset's cross-product matrix is not invertible), each resample is
    computed alone and the ones that fail are skipped, like a rank-deficient resample."""
    try:
        return lmg_batch(design, rows)
    except np.linalg.LinAlgError:
        kept = []
        for one in rows:
            try:
                kept.append(lmg_batch(design, one[None, :]))
            except np.linalg.LinAlgError:
                continue
        return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def unavailable(design: Design, reason: str, confidence: float = 0.95) -> Importance:
    """The ``Importance`` of a design whose shares cannot be computed: NaN shares for its
    groups and the reason, so that a report says so and the run still publishes."""
    groups = pd.Index(list(design.groups))
    nan = pd.Series(np.nan, index=groups, dtype="float64")
    return Importance(
        shares=nan,
        intervals=pd.DataFrame({"low": nan, "high": nan}),
        prob_size_below=pd.Series(dtype="float64"),
        draws=pd.DataFrame(columns=groups),
        confidence=confidence,
        not_estimable=reason,
    )


def _full_rank(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which resamples have a full-rank design (so that every subset model is identified)."""
    return np.linalg.matrix_rank(x[rows]) == x.shape[1]
