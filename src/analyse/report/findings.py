"""The key findings of a run, in plain words, computed from its ``results.json`` alone.

Readers (elected officials, directors of digital services, journalists) read the first
paragraph of a report and perhaps nothing else. It must say, without SESOI, TOST, HC3 or LMG,
what they will see first and what the analysis adds: raw maturity rises with size; whether the
gap remains once budget, digital staff and sponsorship are held equal; the verdict; and how
large an effect this sample could have detected at all. Every number comes from the run's
``results.json``, so the index pages (which read only that file) and the notebooks (which hold
the analysis) say the same words, and no sentence is fixed when the data change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from analyse.report.i18n import Messages

LN10 = math.log(10.0)
# The means the model holds equal, each with the terms that carry it (analyse.data.terms).
MEANS: dict[str, tuple[str, ...]] = {
    "budget": ("budget",),
    "staff": ("staff",),
    "sponsorship": ("elected_digital_lead", "strategy_adopted"),
}


def held_means(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The means the run's model held equal and those its survey lacked, by name (``MEANS``):
    a sentence must not say that staff was held equal when the survey had no staff question."""
    dropped = set(results.get("dropped_terms") or [])
    held = [k for k, terms in MEANS.items() if any(t not in dropped for t in terms)]
    return held, [k for k in MEANS if k not in held]


def words(m: Messages, keys: list[str]) -> str:
    """``budget, effectifs du numérique et portage politique``: a list in the language."""
    names = [m(f"findings.means.{k}") for k in keys]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + m("findings.means.and") + names[-1]


def points_per_tenfold(results: Mapping[str, Any], std_effect: float) -> float | None:
    """A standardized size effect in index points between two collectivities, one ten times
    as populous as the other: std * sd(index) / sd(ln population) * ln 10.

    ``size.std_se / size.se`` is sd(ln population) / sd(index) as the run's test used it (both
    the verdict's SE, design-based under weights); a results.json written before ``size.se``
    existed had ``std_se`` from ``se_hc3``.
    """
    size = results.get("size") or {}
    std_se, se = size.get("std_se"), size.get("se", size.get("se_hc3"))
    if not std_se or not se or std_effect is None:
        return None
    return float(std_effect * se / std_se * LN10)


def _unit(m: Messages, value: float) -> str:
    """ "point" or "points" by the language's rule for the value as written (French: 1,2 point)."""
    return m.choose("findings.unit", round(value, 1))


def _tenfold(coef: float | None) -> float | None:
    return None if coef is None else float(coef) * LN10


def key_findings(results: Mapping[str, Any], m: Messages) -> list[str]:
    """The key findings as paragraphs of plain text (the caller escapes them)."""
    return list(_parts(results, m).values())


def summary(results: Mapping[str, Any], m: Messages) -> str:
    """The key findings in one paragraph, for the page that compares runs: the raw gap, whether
    it remains with the means held equal, the verdict and what the sample could detect."""
    parts = _parts(results, m)
    verdict = results.get("verdict")
    if verdict:
        parts["verdict"] = m("findings.verdict_short", label=m(f"verdicts.{verdict}.label"))
    return " ".join(parts[k] for k in ("raw", "by_type", "held", "verdict", "mde") if k in parts)


def _parts(results: Mapping[str, Any], m: Messages) -> dict[str, str]:
    """Each sentence of the key findings under its name, those the results allow."""
    nested = results.get("nested") or {}
    alpha = float(results.get("alpha", 0.05))
    n = results.get("n")
    synthetic = (results.get("run") or {}).get("synthetic")
    kind = m("findings.synthetic" if synthetic else "findings.real")
    parts = {"sample": m("findings.sample", n=m.integer(n), kind=kind)}

    marginal = nested.get("marginal") or {}
    conditional = nested.get("conditional") or {}
    raw = _tenfold(marginal.get("coef"))
    held = _tenfold(conditional.get("coef"))
    if raw is not None:
        way = "up" if raw > 0 else "down"
        parts["raw"] = m(
            f"findings.raw_{way}", points=m.number(abs(raw), 1), unit=_unit(m, abs(raw))
        )
    by_type = (results.get("descriptives") or {}).get("by_type") or []
    if len(by_type) >= 2:
        low = min(by_type, key=lambda row: row["mean"])
        high = max(by_type, key=lambda row: row["mean"])
        parts["by_type"] = m(
            "findings.by_type",
            low=m.number(low["mean"], 0),
            low_type=m(f"terms.types.{low['type']}"),
            high=m.number(high["mean"], 0),
            high_type=m(f"terms.types.{high['type']}"),
        )
    means, missing = held_means(results)
    if held is not None and means:
        remains = (conditional.get("p") is not None) and conditional["p"] < alpha
        key = "findings.held_remains" if remains else "findings.held_vanishes"
        parts["held"] = m(
            key,
            means=words(m, means),
            points=m.number(held, 1, sign=True),
            unit=_unit(m, abs(held)),
        )
        if missing:
            parts["held"] += " " + m("findings.not_held", missing=words(m, missing))

    verdict = results.get("verdict")
    if verdict:
        parts["verdict"] = m(
            "findings.verdict",
            label=m(f"verdicts.{verdict}.label"),
            meaning=m(f"verdicts.{verdict}.meaning"),
        )
    sesoi = results.get("sesoi")
    sesoi_points = points_per_tenfold(results, sesoi) if sesoi else None
    if sesoi_points is not None:
        parts["sesoi"] = m(
            "findings.sesoi", sesoi=m.number(sesoi, 2), points=m.number(sesoi_points, 1)
        )
    sensitivity = results.get("sensitivity") or {}
    mde = sensitivity.get("mde_std")
    if mde is not None:
        parts["mde"] = m(
            "findings.mde",
            positive=m.number(sensitivity.get("mde_std_positive"), 2),
            negative=m.number(sensitivity.get("mde_std_negative"), 2),
            points=m.number(points_per_tenfold(results, mde), 1),
        )
    return parts
