"""Numbers and sentences for the report's prose: true minus signs, p-values, the verdict.

The verdict sentence is written here once; the notebooks show it and ``results.json`` carries
it, so a reader sees the same words everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyse.stats.equivalence import equivalence_interval

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


def verdict_sentence(analysis: ClaimAnalysis) -> str:
    """The verdict in one plain sentence with the numbers it rests on.

    Starts with "Verdict: <key>." where the key is exactly the ``verdict`` of ``results.json``.
    """
    test = analysis.size
    low, high = equivalence_interval(test)
    level = f"{100 * (1 - 2 * test.alpha):g} %"
    return (
        f"Verdict: {test.verdict}. With {analysis.n} respondents, the standardized size effect "
        f"is {number(test.std_coef)} ({level} CI {number(low)} to {number(high)}): {test.sentence} "
        f"(equivalence test against ±{number(test.sesoi)}: {p_value(test.tost_p)}; "
        f"test of no effect: {p_value(test.p)}; n = {analysis.n})."
    )
