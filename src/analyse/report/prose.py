"""Sentences for the report's prose: the verdict and the specification curve's summary.

The verdict sentence is written here once, in the run's language (``analyse.report.i18n``);
the notebooks show it and ``results.json`` carries it, so a reader sees the same words
everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from analyse.report.findings import held_words
from analyse.report.i18n import Messages, current
from analyse.stats.equivalence import SizeTest

if TYPE_CHECKING:
    from analyse.stats.claim import ClaimAnalysis


def sesoi_in_points(test: SizeTest, fold: float = 10.0) -> float:
    """The SESOI in index points: the gap it means between two collectivities, one ``fold``
    times as populous as the other, all else equal.

    The standardized effect is b * sd(size) / sd(index) with size = ln(population), so the
    SESOI is a raw slope of sesoi * sd(index) / sd(size) points per unit of ln(population);
    ``std_se / se`` is that sd ratio as the test used it (weighted SDs under weights; both the
    verdict's SE).
    """
    scale = test.std_se / test.se
    return float(test.sesoi / scale * np.log(fold))


def held_of(analysis: ClaimAnalysis, m: Messages) -> str:
    """What the verdict's model holds equal, in words (``findings.held_phrase``): « à moyens
    égaux », « à budget égal », « toutes voies confondues » when the data measure no mean."""
    seen: dict = {"dropped_terms": list(analysis.dropped_terms)}
    estimands = getattr(analysis, "estimands", None)
    if estimands is not None:
        seen["estimands"] = {
            "total": {"terms": list(estimands.total_fit.design.groups)},
            "direct": {"terms": list(estimands.direct_fit.design.groups)},
        }
    else:
        seen["controls"] = list(getattr(analysis, "controls", []) or [])
    return held_words(seen, m)


def verdict_sentence(
    analysis: ClaimAnalysis, m: Messages | None = None, kind: str | None = None
) -> str:
    """The verdict in one sentence with the numbers it rests on, in ``m``'s language (the
    current one by default). It starts with "Verdict: <label>." (the verdict's label in the
    language; ``results.json``'s ``verdict`` holds its key). ``kind`` is the data's
    (``run.kind``): a census counts observed collectivities, not respondents."""
    m = m or current()
    test = analysis.size
    ln10 = float(np.log(10.0))
    q = stats.t.ppf(1 - test.alpha, test.df_resid)
    effect = test.coef * ln10
    low, high = (test.coef - q * test.se) * ln10, (test.coef + q * test.se) * ln10
    way = m(f"prose.way_{test.direction}") if test.direction else ""
    zero_note = ""
    if test.p >= test.alpha and (low > 0 or high < 0):  # the interval clears 0, the test not
        zero_note = m(
            "prose.zero_note",
            level=m.percent(1 - 2 * test.alpha),
            alpha=m.number(test.alpha, 2),
        )
    return m(
        "prose.verdict",
        label=m(f"verdicts.{test.verdict}.label"),
        n=m.integer(analysis.n),
        counted=m(
            "prose.counted_census" if kind == "census" else "prose.counted", n=m.integer(analysis.n)
        ),
        held=held_of(analysis, m),
        effect=m.number(effect, 1, sign=True),
        unit=m.choose("findings.unit", round(abs(effect), 1)),
        level=m.percent(1 - 2 * test.alpha),
        low=m.number(low, 1, sign=True),
        high=m.number(high, 1, sign=True),
        zero_note=zero_note,
        meaning=m(f"verdicts.{test.verdict}.meaning"),
        way=way,
        points=m.number(sesoi_in_points(test), 1),
    )


def curve_summary(
    curve: pd.DataFrame,
    alpha: float = 0.05,
    m: Messages | None = None,
    analysis: ClaimAnalysis | None = None,
) -> str:
    """The specification curve in a few sentences, from the curve itself (verdict counts) and
    its inferential test (Simonsohn, Simmons & Nelson 2020).

    The test has three correlated statistics; the curve is called unusual only when one of
    them is below alpha / 3 (Bonferroni over the three), so that the sentence's claim holds at
    ``alpha`` whatever their dependence.
    """
    m = m or current()
    if curve.empty:
        return m("prose.curve_empty")
    # what the curve's models hold equal: the verdict's model's means (``analysis``)
    held = held_of(analysis, m) if analysis is not None else m("findings.held_phrase.all")
    counts = curve["verdict"].value_counts()
    count = m.integer(len(curve))
    if len(counts) == 1:
        text = m(
            "prose.curve_all",
            count=count,
            label=m(f"verdicts.{counts.index[0]}.label"),
            held=held,
        )
    else:
        shares = ", ".join(
            m("prose.curve_share", label=m(f"verdicts.{key}.label"), n=m.integer(n))
            for key, n in counts.items()
        )
        text = m("prose.curve_mixed", count=count, shares=shares, held=held)
    skipped = curve.attrs.get("skipped") or {}
    if skipped:
        text += " " + m("prose.curve_skipped", count=m.integer(len(skipped)))
    inference = curve.attrs.get("inference")
    if inference:
        median = inference["median_std_coef"]
        p_values = [inference[k] for k in ("median_p", "share_significant_p", "mean_z_p")]
        shown = [m("prose.curve_not_computed") if p is None else m.number(p, 3) for p in p_values]
        text += " " + m(
            "prose.curve_inference",
            median=m.number(median),
            share=m.percent(inference["share_significant"]),
            alpha=m.number(alpha, 2),
            way=m("prose.curve_way_negative" if median < 0 else "prose.curve_way_positive"),
            draws=m.integer(inference["draws"]),
            p_median=shown[0],
            p_share=shown[1],
            p_z=shown[2],
        )
        if any(p is None for p in p_values):
            text += "."
        elif min(p_values) < alpha / 3:
            text += m("prose.curve_unusual", alpha=m.number(alpha, 2))
        else:
            text += m("prose.curve_usual", alpha=m.number(alpha, 2))
    return text
