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


def curve_summary(curve: pd.DataFrame, alpha: float = 0.05) -> str:
    """The specification curve in a few sentences, from the curve itself (verdict counts) and
    its inferential test (Simonsohn, Simmons & Nelson 2020).

    The test has three correlated statistics; the curve is called unusual only when one of
    them is below alpha / 3 (Bonferroni over the three), so that the sentence's claim holds at
    ``alpha`` whatever their dependence.
    """
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
        median = inference["median_std_coef"]
        way = "negative" if median < 0 else "positive"
        p_values = [inference[k] for k in ("median_p", "share_significant_p", "mean_z_p")]
        text += (
            f" The median standardized effect is {number(median)}, and "
            f"{100 * inference['share_significant']:.0f} % of the specifications are "
            f"significant at {alpha:g} in its ({way}) direction. Compared with "
            f"{inference['draws']} curves drawn with no size effect, the share at least as "
            f"extreme is {_share(p_values[0])} for the median, {_share(p_values[1])} for the "
            f"share significant and {_share(p_values[2])} for the average z"
        )
        if any(p is None for p in p_values):
            text += "."
        elif min(p_values) < alpha / 3:
            text += ": the curve is unusual for a world where size has no effect (one share "
            text += f"below {alpha:g} / 3)."
        else:
            text += ": the curve is not unusual for a world where size has no effect (no "
            text += f"share below {alpha:g} / 3)."
    return text


def _share(p: float | None) -> str:
    return "not computed" if p is None else f"{p:.3f}"
