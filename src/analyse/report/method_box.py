"""« Sources et méthodes »: the one place of a reader page where the methods are named.

A reader page keeps one unit and the answer; the statistician's detail (standardized effects,
test statistics, variance shares) is on the code version of the chapter. The box at the end of
each reader page says, one line per method, what each method used in that chapter does and
where its detail is, with the run's own numbers where a method's result needs reconciling with
the verdict (the Bayes factor) or could be read as a finding (variance shares, an allocation
convention). Every name of a method (HC3, Wald, BF01, LMG, Cronbach, logit, Holm, Brant,
bootstrap, Kish, JZS, Shapley, Stouffer) appears on a reader page only here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from analyse.report.findings import (
    MEANS,
    control_name,
    controls_held,
    held_means,
    held_words,
    means_case,
    words_of,
)
from analyse.report.headline import source
from analyse.report.i18n import Messages

# The codebook's lowest and highest levels when results.json does not say (``run.levels``):
# the barometer's.
DEFAULT_LEVELS = (0, 3)
# The methods each chapter uses, by its number, in reading order.
CHAPTER_METHODS: dict[int, tuple[str, ...]] = {
    1: ("scoring", "cronbach", "disclosure"),
    2: ("disclosure",),
    3: ("model", "tests", "standardized", "estimands", "bayes", "shares"),
    4: ("ordinal", "holm"),
    5: ("shares", "power", "influence", "curve"),
}
WEIGHTED_METHODS = ("weights",)  # added to chapters 3 and 5 of a weighted run
# Added to chapter 3 when the index is 0 or 100 only (``size.logit_ame`` set): the linear model
# is then a linear probability model, and the logit's average marginal effect stands beside it.
BINARY_METHODS = ("binary",)


def _facts(results: Mapping[str, Any], m: Messages) -> dict[str, str]:
    """The run's numbers the lines quote."""
    nested = results.get("nested") or {}
    bf01 = nested.get("bf01")
    importance = results.get("importance") or {}
    weights = results.get("weights") or {}
    size = results.get("size") or {}
    ame = size.get("logit_ame") or {}
    tenfold = math.log(10.0)  # per unit of ln(population) -> for a tenfold population

    levels = list((results.get("run") or {}).get("levels") or DEFAULT_LEVELS)

    def points(value: float | None) -> str:
        return m.number(None if value is None else value * tenfold, 1, sign=True)

    return {
        "lpm_points": points(size.get("coef")),
        "logit": m(
            "method.logit.estimated",
            ame_points=points(ame.get("coef")),
            ame_se=m.number(None if ame.get("se") is None else ame["se"] * tenfold, 1),
            weighting=m(f"method.logit.{_logit_weighting(results)}"),
        )
        if ame.get("coef") is not None
        else m("method.logit.not_estimable"),
        "bf01": m.number(bf01, 2) if bf01 is not None else m("format.missing"),
        "bf_reading": m(f"method.bayes_readings.{bayes_reading(bf01)}") if bf01 else "",
        "size_share": m.percent(importance.get("size"), 0),
        "kish": m.integer(weights.get("kish_n")),
        "n": m.integer(results.get("n") or 0),
        "draws": m.integer(results.get("importance_bootstrap_draws") or 0),
        "simulations": m.integer((results.get("sensitivity") or {}).get("simulations") or 0),
        "held": held_words(results, m, listed=True),
        # the means the data lack (« effectifs du numérique et portage politique »)
        "missing": words_of(m, [m(f"findings.means.{k}") for k in held_means(results)[1]]),
        "terms": words_of(
            m,
            [term_words(m, t, linear=t in linear_controls(results)) for t in model_terms(results)],
        ),
        # « , leurs moyens » when the simulated worlds keep the means the data measure
        "simulated_means": m("method.simulated_means") if held_means(results)[0] else "",
        "low": m.integer(levels[0]),
        "high": m.integer(levels[1]),
        "verdict": m.get(f"verdicts.{results.get('verdict')}.label", str(results.get("verdict"))),
    }


def _logit_weighting(results: Mapping[str, Any]) -> str:
    """How the linear model and the logit stand on the survey weights: ``weighted`` (both),
    ``unweighted`` (neither), or ``mixed`` (a weighted run whose logit was not, as results
    written before the logit took the weights): the reading of a gap depends on it."""
    weighted_run = "size" in (results.get("weighted_parts") or []) or (
        (results.get("weights") or {}).get("method") not in (None, "none")
    )
    ame_weighted = bool(((results.get("size") or {}).get("logit_ame") or {}).get("weighted"))
    if weighted_run:
        return "weighted" if ame_weighted else "mixed"
    return "unweighted"


def model_terms(results: Mapping[str, Any]) -> list[str]:
    """What the main model relates the index to, in order: ``size``, each mean it holds
    (``budget``, ``staff``, ``sponsorship``), ``collectivity_type`` when it holds the type, an
    extra control by its name. From the direct estimand's terms, the model the verdict reads;
    older results: size, the means held and the controls held."""
    terms = ((results.get("estimands") or {}).get("direct") or {}).get("terms")
    if terms is None:
        return ["size", *held_means(results)[0], *controls_held(results)]
    by_term = {t: mean for mean, carried in MEANS.items() for t in carried}
    found: list[str] = []
    for term in terms:
        key = by_term.get(term, "collectivity_type" if term == "controls" else term)
        if key not in found:
            found.append(key)
    return found


def linear_controls(results: Mapping[str, Any]) -> set[str]:
    """The extra controls (``data.extra_columns``) the model holds as numbers: one linear
    term, named after the control itself among the model's terms (a control read as
    categories has terms ``name[T.category]``)."""
    terms = (results.get("ols") or {}).get("terms") or {}
    extra = [c for c in results.get("controls") or [] if c != "collectivity_type"]
    return {c for c in extra if c in terms}


def term_words(m: Messages, term: str, linear: bool = False) -> str:
    """A term of the model as the « Modèle » line names it (« au budget par habitant »); an
    extra control read as a number says it is one linear term (``linear``), so that a code
    read as a quantity (« Code région » 11, 24, 84) shows on the page."""
    key = f"method.model_terms.{term}"
    if m.has(key):
        return m(key)
    extra = "method.model_terms.extra_linear" if linear else "method.model_terms.extra"
    return m(extra, name=control_name(term))


def bayes_reading(bf01: float) -> str:
    """The usual reading of a Bayes factor BF01 (Jeffreys' scale as Lee and Wagenmakers word
    it): strong (> 10) or moderate (3 to 10) evidence for no effect, weak (1/3 to 3), moderate
    or strong evidence for an effect."""
    if bf01 > 10:
        return "strong_null"
    if bf01 > 3:
        return "moderate_null"
    if bf01 >= 1 / 3:
        return "weak"
    return "moderate_effect" if bf01 >= 1 / 10 else "strong_effect"


def methods(results: Mapping[str, Any], chapter: int) -> list[str]:
    """The method keys a chapter's box explains (weights only for a weighted run; the Bayes
    factor only when the run has one)."""
    keys = list(CHAPTER_METHODS.get(chapter, ()))
    weights = results.get("weights") or {}
    if chapter in (3, 5) and weights.get("method") not in (None, "none"):
        keys += list(WEIGHTED_METHODS)
    if (results.get("nested") or {}).get("bf01") is None and "bayes" in keys:
        keys.remove("bayes")
    if chapter == 3 and (results.get("size") or {}).get("logit_ame") is not None:
        keys[keys.index("model") + 1 : keys.index("model") + 1] = BINARY_METHODS
    if chapter == 4 and len(results.get("themes") or {}) <= 1 and "holm" in keys:
        keys.remove("holm")  # one theme, one test: nothing corrected for several
    if chapter == 4 and len(results.get("themes") or {}) == 1 and "ordinal" in keys:
        keys[keys.index("ordinal")] = "ordinal_one"  # « le thème », not « chaque thème »
    if "estimands" in keys and means_case(results) == "none":  # no mean: no direct effect
        keys[keys.index("estimands")] = "estimands_no_means"
    if "estimands" in keys and means_case(results) == "some":  # named by what it holds
        keys[keys.index("estimands")] = "estimands_some"
    return keys


def method_box(results: Mapping[str, Any], m: Messages, chapter: int) -> str:
    """The box's HTML: ``<section class="method">``, a heading, one line per method (a term
    and its explanation), then the source. Every text is escaped."""
    facts = _facts(results, m)
    lines = []
    for key in methods(results, chapter):
        term = html.escape(m(f"method.terms.{key}.term", **facts))
        text = html.escape(m(f"method.terms.{key}.text", **facts))
        lines.append(f"<dt>{term}</dt><dd>{text}</dd>")
    heading = html.escape(m("method.heading"))
    intro = html.escape(m("method.intro"))
    where = html.escape(source(results, m))
    return (
        f'<section class="method" aria-label="{heading}">\n<h2>{heading}</h2>\n'
        f"<p>{intro}</p>\n<dl>{''.join(lines)}</dl>\n<p>{where}</p>\n</section>"
    )
