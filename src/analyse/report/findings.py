"""The key findings of a run, in plain words, computed from its ``results.json`` alone.

Readers (elected officials, directors of digital services, journalists) read the first
paragraph of a report and perhaps nothing else. It must say, without SESOI, TOST, HC3 or LMG,
the two answers to « la taille est-elle déterminante ? » (``analyse.stats.estimands``): the
total effect of size, whatever the route, and what is left of it once budget, digital staff
and sponsorship are held equal, the barometer's claim; how much passes through the means; the
verdict; and how large an effect this sample could have detected at all. Every number comes
from the run's ``results.json``, so the index pages (which read only that file) and the
notebooks (which hold the analysis) say the same words, and no sentence is fixed when the
data change.
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
    return words_of(m, [m(f"findings.means.{k}") for k in keys])


def control_name(control: str) -> str:
    """A control of ``data.extra_columns`` as readers see it: the name the parameter file gave
    it, '_' read as a space (``couleur_politique`` -> "couleur politique"). The analyst chose
    that name for the run; the export's header is often a whole question ("Quelle est la
    couleur politique de l'exécutif ?"), which reads badly in a list of what is held equal."""
    return control.replace("_", " ").strip()


def control_words(m: Messages, controls: list[str]) -> list[str]:
    """The controls held equal, in the language: the type's words, an extra's name."""
    return [
        m("findings.means.controls") if c == "collectivity_type" else control_name(c)
        for c in controls
    ]


def held_words(m: Messages, means: list[str], controls: list[str]) -> str:
    """What the direct effect holds equal: the means, then the controls, as one list."""
    return words_of(m, [m(f"findings.means.{k}") for k in means] + control_words(m, controls))


def words_of(m: Messages, names: list[str]) -> str:
    """``a, b et c``: names already in the language, joined as a list."""
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


def unit_word(m: Messages, value: float | None) -> str:
    """ "point" or "points" by the language's rule for the value as written, whatever its sign
    (French: −1,2 point, 2,0 points)."""
    return m.choose("findings.unit", round(abs(value or 0.0), 1))


def _tenfold(coef: float | None) -> float | None:
    return None if coef is None else float(coef) * LN10


def key_findings(results: Mapping[str, Any], m: Messages) -> list[str]:
    """The key findings as paragraphs of plain text (the caller escapes them)."""
    return list(_parts(results, m).values())


def summary(results: Mapping[str, Any], m: Messages) -> str:
    """The key findings in a few short sentences, for the page that compares runs (read on a
    phone too): the answer to the barometer's claim (the effect with the means held equal,
    its verdict), the total effect beside it, whether weighting changes the verdict and the
    smallest effect the sample could detect. Results older than the estimands get the long
    sentences they can."""
    estimands = results.get("estimands") or {}
    total, direct = estimands.get("total"), estimands.get("direct")
    if not total or not direct:
        parts = _parts(results, m)
        verdict = results.get("verdict")
        if verdict and "held" not in parts:
            parts["verdict"] = m("findings.verdict_short", label=m(f"verdicts.{verdict}.label"))
        keys = ("raw", "held", "verdict", "mde")
        return " ".join(parts[k] for k in keys if k in parts)
    sentences = [
        m("findings.summary.held", **effect_words(m, direct)),
        m("findings.summary.total", **effect_words(m, total)),
    ]
    parts = _parts(results, m)
    if "weighting" in parts:
        sentences.append(parts["weighting"])
    reach = detectable_points(results)
    if reach is not None:
        sentences.append(m("findings.summary.detectable", points=m.number(reach, 0)))
    return " ".join(sentences)


def detectable_points(results: Mapping[str, Any]) -> float | None:
    """The larger magnitude of the two smallest detectable effects, in points (the one number
    a summary gives), None when the sensitivity has neither."""
    sensitivity = results.get("sensitivity") or {}
    reach = [
        abs(v)
        for v in (sensitivity.get("mde_points_positive"), sensitivity.get("mde_points_negative"))
        if v is not None
    ]
    return max(reach) if reach else None


def effect_words(m: Messages, block: Mapping[str, Any]) -> dict[str, str]:
    """An estimand's block (``estimands.total`` or ``.direct``) as the words a sentence fills:
    ``points``, ``unit``, ``low``, ``high`` (its interval) and its verdict's ``label``."""
    points = float(block["coef_points"])
    return {
        **_effect(m, points),
        **_interval(m, block),
        "label": m(f"verdicts.{block['verdict']}.label"),
    }


def estimand_sentences(results: Mapping[str, Any], m: Messages) -> list[str]:
    """The two answers and what separates them, in plain words: the total effect of size, the
    effect with the means held equal, and the part that passes through the means (notebook 3
    states them where it presents the two estimands)."""
    parts = _parts(results, m)
    return [parts[k] for k in ("total", "held", "indirect") if k in parts]


def _interval(m: Messages, block: Mapping[str, Any], key: str = "ci90_points") -> dict[str, str]:
    low, high = (list(block.get(key) or []) + [None, None])[:2]
    return {"low": m.number(low, 1, sign=True), "high": m.number(high, 1, sign=True)}


def _effect(m: Messages, points: float) -> dict[str, str]:
    return {"points": m.number(points, 1, sign=True), "unit": unit_word(m, abs(points))}


def _parts(results: Mapping[str, Any], m: Messages) -> dict[str, str]:
    """Each sentence of the key findings under its name, those the results allow, in reading
    order: the answer to the barometer's claim (the effect with the means held equal) and its
    verdict first, then the total effect, what separates them, and the context.

    The effects are index points for a tenfold population with the interval the verdicts read
    (90 % at the default alpha); ``estimands`` gives them. A ``results.json`` written before the
    estimands existed still gets its raw and held-equal gaps from ``nested`` (index pages list
    old reports too)."""
    alpha = float(results.get("alpha", 0.05))
    level = m.percent(1 - 2 * alpha)
    n = results.get("n")
    synthetic = (results.get("run") or {}).get("synthetic")
    census = (results.get("run") or {}).get("kind") == "census"
    kind = m(
        "findings.synthetic" if synthetic else ("findings.census" if census else "findings.real")
    )
    parts = {
        "sample": m(
            "findings.sample_census" if census else "findings.sample", n=m.integer(n), kind=kind
        )
    }
    estimands = results.get("estimands") or {}
    total, direct = estimands.get("total") or {}, estimands.get("direct") or {}
    means, missing = held_means(results)
    held = held_words(m, means, list(results.get("controls") or []))
    weights = results.get("weights") or {}
    weighted = weights.get("method") not in (None, "none")

    if means and direct.get("coef_points") is not None:
        parts["held"] = m(
            "findings.held",
            means=held,
            **_effect(m, float(direct["coef_points"])),
            **_interval(m, direct),
            level=level,
            label=m(f"verdicts.{direct['verdict']}.label"),
        )
    elif means:
        conditional = (results.get("nested") or {}).get("conditional") or {}
        held = _tenfold(conditional.get("coef"))
        if held is not None:
            remains = conditional.get("p") is not None and conditional["p"] < alpha
            parts["held"] = m(
                "findings.held_remains" if remains else "findings.held_vanishes",
                means=held,
                points=m.number(held, 1, sign=True),
                unit=unit_word(m, abs(held)),
            )
    if "held" in parts and missing:
        parts["held"] += " " + m("findings.not_held", missing=words(m, missing))
    verdict = results.get("verdict")
    if verdict:
        parts["verdict"] = m(
            "findings.verdict",
            label=m(f"verdicts.{verdict}.label"),
            meaning=m(f"verdicts.{verdict}.meaning"),
        )
        low, high = (list(direct.get("ci90_points") or []) + [None, None])[:2]
        p = direct.get("p")
        if low is not None and p is not None and p >= alpha and (low > 0 or high < 0):
            # the (1 - 2 alpha) interval clears zero, the two-sided test of zero does not
            parts["verdict"] += " " + m("findings.zero_note", level=level, alpha=m.number(alpha, 2))
    if weighted and weights.get("unweighted_verdict"):
        same = weights["unweighted_verdict"] == verdict
        parts["weighting"] = m(
            "findings.weighting_same" if same else "findings.weighting_changed",
            kish=m.integer(weights.get("kish_n")),
            n=m.integer(n),
            unweighted=m(f"verdicts.{weights['unweighted_verdict']}.label"),
        )

    if total.get("coef_points") is not None:
        confounders = [t for t in total.get("terms") or [] if t != "size"]
        names = [m.get(f"findings.confounder.{t}", control_name(t)) for t in confounders]
        parts["total"] = m(
            "findings.total_confounded" if confounders else "findings.total",
            terms=words_of(m, names),
            **_effect(m, float(total["coef_points"])),
            **_interval(m, total),
            level=level,
            label=m(f"verdicts.{total['verdict']}.label"),
        )
    else:
        raw = _tenfold(((results.get("nested") or {}).get("marginal") or {}).get("coef"))
        if raw is not None:
            way = "up" if raw > 0 else "down"
            parts["raw"] = m(
                f"findings.raw_{way}", points=m.number(abs(raw), 1), unit=unit_word(m, abs(raw))
            )
    indirect = estimands.get("indirect") or {}
    if means and indirect.get("coef_points") is not None:
        parts["indirect"] = _indirect(m, indirect, level, direct)
    sesoi = results.get("sesoi")
    sesoi_points = results.get("sesoi_points")
    if sesoi_points is None and sesoi:
        sesoi_points = points_per_tenfold(results, sesoi)
    if sesoi_points is not None:
        parts["sesoi"] = m(
            "findings.sesoi",
            sesoi=m.number(sesoi, 2),
            points=m.number(sesoi_points, 1),
            unit=unit_word(m, sesoi_points),
        )
    sensitivity = results.get("sensitivity") or {}
    positive, negative = (
        sensitivity.get("mde_points_positive"),
        sensitivity.get("mde_points_negative"),
    )
    if positive is not None and negative is not None:
        parts["mde"] = m(
            "findings.mde",
            positive=m.number(positive, 1, sign=True),
            negative=m.number(negative, 1, sign=True),
        )
        if weighted:
            parts["mde"] += " " + m("findings.mde_unweighted")
    return parts


def _indirect(
    m: Messages, indirect: Mapping[str, Any], level: str, direct: Mapping[str, Any]
) -> str:
    """The part of the total effect that passes through the means, and each mean's part; the
    share of the total only when the total is shown to differ from zero, said to be imprecise
    when its interval leaves [0, 100 %]."""
    points = float(indirect["coef_points"])
    by_mean = sorted(
        (indirect.get("by_mean") or {}).items(), key=lambda item: abs(item[1]), reverse=True
    )
    routes = ", ".join(
        m(
            "findings.route",
            mean=m.get(f"findings.means.{k}", control_name(k)),  # an extra control by its name
            points=m.number(v, 1, sign=True),
        )
        for k, v in by_mean
    )
    share = indirect.get("share")
    if share is None:
        how = m("findings.share_none")
    else:
        interval = indirect.get("ci90_share")
        how = m("findings.share", share=m.percent(share))
        if share > 1:
            settled = direct.get("direction") is not None
            how += m("findings.share_above" if settled else "findings.share_above_unsettled")
        if interval and interval[1] - interval[0] > 0.5:  # wider than 50 points of share
            key = "findings.share_imprecise"
        else:
            key = "findings.share_interval"
        if interval:
            how += m(key, low=m.percent(interval[0]), high=m.percent(interval[1]), level=level)
    return m(
        "findings.indirect",
        **_effect(m, points),
        **_interval(m, indirect),
        level=level,
        share=how,
        routes=routes,
    )
