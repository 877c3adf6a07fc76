"""Numbers and sentences for the report's prose: true minus signs, p-values, the verdict.

The verdict sentence is written here once; the notebooks show it and ``results.json`` carries
it, so a reader sees the same words everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyse.stats.equivalence import SizeTest, equivalence_interval

if TYPE_CHECKING:
    from analyse.stats.claim import ClaimAnalysis


def number(x: float, digits: int = 2) -> str:
    """A number for prose, with a true minus sign."""
    text = f"{x:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "-0.00"
    return text.replace("-", "\u2212")


def p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def sesoi_in_points(test: SizeTest, fold: float = 10.0) -> float:
    """The SESOI in index points: the gap it means between two collectivities, one ``fold``
    times as populous as the other, all else equal.

    The standardized effect is b * sd(size) / sd(index) with size = ln(population), so the
    SESOI is a raw slope of sesoi * sd(index) / sd(size) points per unit of ln(population);
    ``std_se / se_hc3`` is that sd ratio as the test used it (weighted SDs under weights).
    """
    scale = test.std_se / test.se_hc3
    return float(test.sesoi / scale * np.log(fold))


def verdict_sentence(analysis: ClaimAnalysis) -> str:
    """The verdict in one plain sentence with the numbers it rests on.

    Starts with "Verdict: <key>." where the key is exactly the ``verdict`` of ``results.json``.
    """
    test = analysis.size
    low, high = equivalence_interval(test)
    level = f"{100 * (1 - 2 * test.alpha):g} %"
    way = {
        "positive": " (larger collectivities are more mature)",
        "negative": " (larger collectivities are less mature)",
    }.get(test.direction or "", "")
    return (
        f"Verdict: {test.verdict}. With {analysis.n} respondents, the standardized size effect "
        f"is {number(test.std_coef)} ({level} CI {number(low)} to {number(high)}): "
        f"{test.sentence}{way}. The smallest effect of interest, ±{number(test.sesoi)} "
        f"standard deviations, is a gap of {number(sesoi_in_points(test), 1)} index points "
        f"between two collectivities one ten times as populous as the other, all else equal "
        f"(equivalence test: {p_value(test.tost_p)}; minimal-effect test: "
        f"{p_value(test.met_p)}; test of no effect: {p_value(test.p)}; n = {analysis.n})."
    )


def _share_p(p: float | None, draws: int) -> str:
    """A p-value that is a share of null curves: never "p = 0" (it is below 1 / draws)."""
    if p is None:
        return "p not computed"
    return f"p < {1 / draws:.3f}" if p == 0 else f"p = {p:.3f}"


def curve_summary(curve: pd.DataFrame) -> str:
    """The specification curve in two sentences, from the curve itself (counts, median, share
    significant) and its inferential test (Simonsohn, Simmons & Nelson 2020)."""
    if curve.empty:
        return "No specification of the curve could be fitted."
    counts = curve["verdict"].value_counts()
    verdicts = (
        f"{counts.index[0]} in all of them"
        if len(counts) == 1
        else ", ".join(f"{key} in {int(n)}" for key, n in counts.items())
    )
    text = (
        f"Across the {len(curve)} specifications that estimate the same size effect, the "
        f"verdict is {verdicts}."
    )
    skipped = curve.attrs.get("skipped") or {}
    if skipped:
        text += f" {len(skipped)} more could not be estimated and are not counted (listed below)."
    inference = curve.attrs.get("inference")
    if inference:
        keys = ("median_p", "share_significant_p", "mean_z_p")
        unusual = any(inference[k] is not None and inference[k] < 0.05 for k in keys)
        draws = int(inference["draws"])
        text += (
            f" The median standardized effect is {number(inference['median_std_coef'])} and "
            f"{100 * inference['share_significant']:.0f} % of the specifications are "
            f"significant; compared with {draws} curves drawn with no size effect, the whole "
            f"curve is {'' if unusual else 'not '}unusual "
            f"({_share_p(inference['median_p'], draws)} for the median, "
            f"{_share_p(inference['share_significant_p'], draws)} for the share significant, "
            f"{_share_p(inference['mean_z_p'], draws)} for the average z)."
        )
    return text
