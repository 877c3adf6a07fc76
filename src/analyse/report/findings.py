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


def means_case(results: Mapping[str, Any]) -> str:
    """``all`` (the model holds budget, staff and sponsorship equal), ``some`` or ``none``
    (the data measure none of them: only the gap with the controls, if any, is measured and
    the barometer's claim, about the gap with the means held equal, cannot be tested)."""
    held, missing = held_means(results)
    if not missing:
        return "all"
    return "some" if held else "none"


def controls_held(results: Mapping[str, Any]) -> list[str]:
    """The controls the direct model holds equal and the total model does not (the type of
    collectivity as ``collectivity_type``, an extra control by its name): the two estimands
    then differ even with no mean in the model. Empty when there are none."""
    estimands = results.get("estimands") or {}
    direct = list((estimands.get("direct") or {}).get("terms") or [])
    total = set((estimands.get("total") or {}).get("terms") or [])
    if direct or total:
        means = set(MEANS) | {t for terms in MEANS.values() for t in terms} | {"size"}
        return [
            "collectivity_type" if t == "controls" else t
            for t in direct
            if t not in total and t not in means
        ]
    return [str(c) for c in results.get("controls") or []]


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


def held_phrase(
    m: Messages, means: list[str], controls: list[str] | bool, listed: bool = False
) -> str:
    """What the direct effect holds equal, as a phrase to put after « l'effet de la taille »:
    « à moyens égaux » when every mean is in the model, « à budget et type de collectivité
    égaux » when only some are, « à type de collectivité égal » with no mean but a control,
    « toutes voies confondues » with nothing held equal. Computed from the run: a page never
    says that staff was held equal when the data had no staff column. ``controls`` lists the
    controls held (``controls_held``); ``True`` stands for the type of collectivity."""
    if controls is True:
        controls = ["collectivity_type"]
    controls = list(controls or [])
    if len(means) == len(MEANS) and not listed:
        return m("findings.held_phrase.all")
    keys = means + (["controls"] if "collectivity_type" in controls else [])
    extras = [control_name(c) for c in controls if c != "collectivity_type"]
    if not keys and not extras:
        return m("findings.held_phrase.nothing")
    if len(keys) == 1 and not extras:
        return m(f"findings.held_phrase.one.{keys[0]}")
    if len(extras) == 1 and not keys:  # a name whose gender is unknown: « identique »
        return m("findings.held_phrase.named", name=extras[0])
    names = [m(f"findings.means.{k}") for k in keys] + extras
    return m("findings.held_phrase.many", means=words_of(m, names))


def held_words(results: Mapping[str, Any], m: Messages, listed: bool = False) -> str:
    """``held_phrase`` of a run's ``results.json`` (``listed``: each mean named even when
    the model holds them all)."""
    return held_phrase(m, held_means(results)[0], controls_held(results), listed)


def capital(text: str) -> str:
    """The text with its first letter in capitals (``str.capitalize`` lowers the rest)."""
    return text[:1].upper() + text[1:]


def data_words(results: Mapping[str, Any], m: Messages) -> str:
    """« Avec cet échantillon » (a survey) or « Avec ces données (313 collectivités) » (a
    census: no sample, the power is about the model's noise), to open a sentence on the
    smallest detectable effect."""
    census = (results.get("run") or {}).get("kind") == "census"
    return m(
        "findings.with_data.census" if census else "findings.with_data.sample",
        n=m.integer(results.get("n") or 0),
    )


def words(m: Messages, keys: list[str]) -> str:
    """``budget, effectifs du numérique et portage politique``: a list in the language."""
    return words_of(m, [m(f"findings.means.{k}") for k in keys])


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
    held = capital(held_words(results, m))
    if means_case(results) == "none":  # no mean measured: the total, and the controls' gap
        sentences = [m("findings.summary.no_means")]
        sentences.append(m("findings.summary.total", **effect_words(m, total)))
        if controls_held(results):
            sentences.append(m("findings.summary.held", held=held, **effect_words(m, direct)))
    else:
        sentences = [
            m("findings.summary.held", held=held, **effect_words(m, direct)),
            m("findings.summary.total", **effect_words(m, total)),
        ]
    parts = _parts(results, m)
    if "weighting" in parts:
        sentences.append(parts["weighting"])
    reach = detectable_points(results)
    if reach is not None:
        sentences.append(
            m(
                "findings.summary.detectable",
                points=m.number(reach, 0),
                held=held_words(results, m),
            )
        )
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
    return [parts[k] for k in ("no_means", "total", "held", "indirect") if k in parts]


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
    held_listed = held_words(results, m, listed=True)  # « à budget égal »
    listed = capital(held_listed)
    held = held_words(results, m)
    weights = results.get("weights") or {}
    weighted = weights.get("method") not in (None, "none")

    if not means:
        # no mean measured: the claim (a gap with the means held equal) cannot be tested
        parts["no_means"] = m(
            f"findings.no_means.{'controls' if controls_held(results) else 'nothing'}",
            missing=words(m, missing),
            held=held,
        )
    if not means and controls_held(results) and direct.get("coef_points") is not None:
        parts["held"] = m(
            "findings.held_controls",
            held=capital(held),
            **_effect(m, float(direct["coef_points"])),
            **_interval(m, direct),
            level=level,
            label=m(f"verdicts.{direct['verdict']}.label"),
        )
    elif means and direct.get("coef_points") is not None:
        parts["held"] = m(
            "findings.held_some" if missing else "findings.held",
            held=listed,
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
                held=listed,
                points=m.number(held, 1, sign=True),
                unit=unit_word(m, abs(held)),
            )
    if "held" in parts and means and missing:
        parts["held"] += " " + m("findings.not_held", missing=words(m, missing))
    verdict = results.get("verdict")
    if verdict:
        parts["verdict"] = m(
            "findings.verdict_no_means"
            if not means
            else "findings.verdict_some"
            if missing
            else "findings.verdict",
            label=m(f"verdicts.{verdict}.label"),
            meaning=m(f"verdicts.{verdict}.meaning"),
            held=held if not means else held_listed,
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
        key = "findings.total_confounded" if confounders else "findings.total"
        parts["total"] = m(
            key if means else f"{key}_no_means",
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
            data=data_words(results, m),
            held=held,
            positive=m.number(positive, 1, sign=True),
            negative=m.number(negative, 1, sign=True),
        )
        if census:
            parts["mde"] += " " + m("findings.mde_census")
        if weighted:
            parts["mde"] += " " + m("findings.mde_unweighted")
    return parts


def _indirect(
    m: Messages, indirect: Mapping[str, Any], level: str, direct: Mapping[str, Any]
) -> str:
    """The part of the total effect that passes through the means, and each mean's part; the
    share of the total only when the total is shown to differ from zero, said to be imprecise
    when its interval leaves [0, 100 %]. Parts through controls that are not means (the type,
    an extra control not named in ``analysis.confounders``) are summed and named apart, so
    that a party or a region is never called a mean."""
    points = float(indirect["coef_points"])
    by_mean = sorted(
        (indirect.get("by_mean") or {}).items(), key=lambda item: abs(item[1]), reverse=True
    )
    # the parts through the means (budget, staff, sponsorship) and those through the other
    # controls of the direct model (the type, an extra control not named a confounder): both
    # are routes of the size effect in the estimands, but only the first are "means"
    through_means = [(k, v) for k, v in by_mean if k in MEANS]
    through_others = [(k, v) for k, v in by_mean if k not in MEANS]

    def routes(parts: list[tuple[str, float]]) -> str:
        return ", ".join(
            m(
                "findings.route",
                mean=m.get(f"findings.means.{k}", control_name(k)),  # an extra control by name
                points=m.number(v, 1, sign=True),
            )
            for k, v in parts
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
    if not through_others:
        key, split = "findings.indirect", {}
    elif not through_means:
        key, split = "findings.indirect_controls", {}
    else:
        key = "findings.indirect_split"
        split = {
            "means_points": m.number(sum(v for _, v in through_means), 1, sign=True),
            "means": routes(through_means),
            "others_points": m.number(sum(v for _, v in through_others), 1, sign=True),
            "others": routes(through_others),
        }
    return m(
        key,
        **_effect(m, points),
        **_interval(m, indirect),
        level=level,
        share=how,
        routes=routes(by_mean),
        **split,
    )
