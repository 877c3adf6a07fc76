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
resample's centred cross-product matrix is formed once and every subset model is solved from
its blocks, instead of rebuilding a design per subset.

A resample is never built as rows (a copy of the design per resample: B x n x p numbers, 840 MB
a chunk at 35,000 respondents). It is a vector of counts w (``np.bincount`` of its drawn row
indices), and its cross-products are the weighted ones, X'WX = sum_i w_i x_i x_i': for a chunk
of resamples, one matrix product of the (resamples x n) counts with the n rows' outer products
(``_moments``). Chunks hold about ``_CHUNK_CELLS`` counts whatever n, so memory stays bounded;
the rank of a resample's design is checked on its (p+1) x (p+1) cross-product matrix
(``_identified``), not on an n x p copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from analyse.stats.regression import Design
from analyse.stats.resampling import full_rank, row_counts

_CHUNK_CELLS = 4_000_000  # resamples x rows of the counts refitted at once (32 MB)


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
    return lmgrow_counts(design, row_counts(rows, len(design.y)))


def lmgrow_counts(design: Design, counts: np.ndarray) -> pd.DataFrame:
    """LMG shares for each resample given as row counts ``counts`` (B, n): one line each.

    A resample with counts w is the sample in which row i appears w_i times: its fits are the
    w-weighted ones (``_moments``).
    """
    return _lmg_moments(design, _moments(design, counts))


def _lmg_moments(design: Design, moments: np.ndarray) -> pd.DataFrame:
    """LMG shares from the resamples' cross-products (``_moments``)."""
    groups = list(design.groups)
    columns = _columns(design)
    gram, cross, tss = _centred(moments)
    r2 = {(): np.zeros(len(moments))}
    for subset in _subsets(groups)[1:]:
        idx = _positions(design, columns, subset)
        r2[subset] = _batched_r2(gram[:, idx][:, :, idx], cross[:, idx], tss)
    return pd.DataFrame(_shapley(r2, groups))


def _columns(design: Design) -> list[str]:
    return [c for c in design.X.columns if c != "Intercept"]


def _moments(design: Design, counts: np.ndarray) -> np.ndarray:
    """Count-weighted cross-products of (1, x, y) for each resample: (B, q, q), q = p + 2.

    x and y are first centred on the whole sample (a shift that changes no fit), so that the
    per-resample centring in ``_centred`` subtracts small numbers. Only the q(q+1)/2 distinct
    products of each row are formed (n x q(q+1)/2 numbers), and all resamples' sums of them
    are one matrix product with the counts.
    """
    z = np.column_stack([design.X[_columns(design)].to_numpy(), design.y.to_numpy()])
    z = np.column_stack([np.ones(len(z)), z - z.mean(axis=0)])
    q = z.shape[1]
    i, j = np.triu_indices(q)
    sums = counts @ (z[:, i] * z[:, j])
    out = np.empty((len(counts), q, q))
    out[:, i, j] = sums
    out[:, j, i] = sums
    return out


def _centred(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each resample's centred cross-products from its moments: the regressors' (B, p, p),
    theirs with the outcome (B, p) and the outcome's total sum of squares (B,)."""
    total = moments[:, 0, 0]
    sums = moments[:, 0, 1:]
    centred = moments[:, 1:, 1:] - sums[:, :, None] * sums[:, None, :] / total[:, None, None]
    return centred[:, :-1, :-1], centred[:, :-1, -1], centred[:, -1, -1]


def _identified(moments: np.ndarray) -> np.ndarray:
    """Which resamples have a full-rank design (so that every subset model is identified):
    ``full_rank`` of the design's (p+1) x (p+1) cross-products X'WX, intercept included. On
    the shipped panels and on small panels with rare categories the same resamples pass as
    under numpy's ``matrix_rank`` of the resampled design (``tests/test_scale_reference.py``).
    """
    return full_rank(moments[:, :-1, :-1])


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
    constant) are skipped; ``draws`` holds the usable ones. ``chunk`` bounds the resamples
    refitted at once (fewer on a large sample, see ``_CHUNK_CELLS``); it does not change them.
    """
    shares = lmg(design)
    rng = np.random.default_rng(seed)
    n = len(design.y)
    # resamples drawn at once: ``chunk`` on a small panel, fewer on a large one (bounded
    # memory); drawing them in smaller groups leaves numpy's stream, so the draws, unchanged
    step = max(1, min(chunk, _CHUNK_CELLS // n))
    parts = []
    for start in range(0, bootstrap, step):
        counts = row_counts(rng.integers(0, n, size=(min(step, bootstrap - start), n)), n)
        moments = _moments(design, counts)
        keep = _identified(moments)
        if keep.any():
            parts.append(_draws(design, moments[keep]))
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


def _draws(design: Design, moments: np.ndarray) -> pd.DataFrame:
    """``lmg`` of a chunk of resamples given by their moments; if one of them is numerically
    singular after all (full rank, but a subset's cross-product matrix is not invertible),
    each resample is computed alone and the ones that fail are skipped, like a rank-deficient
    resample."""
    try:
        return _lmg_moments(design, moments)
    except np.linalg.LinAlgError:
        kept = []
        for one in moments:
            try:
                kept.append(_lmg_moments(design, one[None]))
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
