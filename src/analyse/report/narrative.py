"""The notebooks' narrative: catalogue texts filled with numbers computed from the run.

A notebook's prose used to be Markdown cells written once for one dataset ("with 56
respondents..."), false as soon as the data changed, and in one language. Here every sentence
a reader sees is a catalogue message (``messages/<lang>/nb*.yaml``, ``narrative.yaml``) whose
placeholders are filled from ``facts``: numbers computed from the run's ``results.json``
document and parameters, formatted in the report's language. A message that depends on the
outcome (how to read the verdict, whether the sample could detect effects that matter) has one
variant per outcome, chosen by ``VARIANTS``; the notebook only names the message.

``tests/test_narrative.py`` runs two very different parameter files and checks that every
number of the narrative is one of these facts, and that the facts match ``results.json``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import pandas as pd

from analyse.params import RunParams, shown_input
from analyse.report.escape import markdown_code, markdown_text
from analyse.report.findings import (
    capital,
    controls_held,
    estimand_sentences,
    held_means,
    held_words,
    key_findings,
    means_case,
    points_per_tenfold,
    words,
    words_of,
)
from analyse.report.headline import kind as data_kind
from analyse.report.headline import scope as run_scope
from analyse.report.i18n import Messages, current, placeholders

if TYPE_CHECKING:
    from IPython.display import HTML, Markdown

# Output metadata marking what a notebook displays as narrative (text for readers), so that
# tests and the publisher can tell it from tables, which also have a Markdown form.
NARRATIVE_METADATA: dict[str, Any] = {"analyse": {"role": "narrative"}}
POWER_TARGET = 0.8  # the power the minimum detectable effect is defined at (stats.sensitivity)
Z95 = 1.959963984540054  # normal quantile of a 95 % interval


def _get(document: Mapping[str, Any], *path: str) -> Any:
    value: Any = document
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def share_margin(n: int, alpha: float | None = None) -> float:
    """The widest margin of error of a share among ``n`` respondents (at 50 %), in percentage
    points: the gap between two shares below which sampling noise is expected. At 95 % by
    default; with ``alpha``, at the (1 - 2 alpha) level of the verdicts' intervals (90 % at the
    default alpha), the one level the reader pages give."""
    z = Z95 if alpha is None else float(NormalDist().inv_cdf(1 - alpha))
    return 100 * z * math.sqrt(0.25 / n) if n > 0 else math.nan


@dataclass(frozen=True)
class Facts:
    """The run's numbers as the narrative writes them (``text``), and the outcomes that pick a
    message's variant."""

    text: dict[str, str]
    verdict: str
    synthetic: bool
    sample_can_detect: bool  # both minimum detectable effects are within the SESOI, in points
    weighted: bool
    influence: str = "unweighted"  # which checks of influence the run has (``_influence``)
    decisive_power_known: bool = True  # twice the SESOI has a simulated world
    scope: str = "mixed"  # what the run covers (analyse.report.headline.scope)
    types: int = 0  # how many contract types it covers
    kind: str = "survey"  # survey, census or synthetic (analyse.report.headline.kind)
    means: str = "all"  # which means the model holds: all, some, none (findings.means_case)
    published: bool = True  # the codebook is the barometer's: its shares meet the published ones
    themes: int = 0  # how many themes chapter 4 models: one is one test, with no correction


def facts(document: Mapping[str, Any], params: RunParams, m: Messages) -> Facts:
    """Everything the narrative may say, from ``results.json``'s document and the parameters."""
    n = int(document.get("n") or 0)
    sesoi = float(document.get("sesoi", params.analysis.sesoi))
    alpha = float(document.get("alpha", params.analysis.alpha))
    mde = _get(document, "sensitivity", "mde_std")
    mde_pos = _get(document, "sensitivity", "mde_std_positive")
    mde_neg = _get(document, "sensitivity", "mde_std_negative")
    synthetic = bool(_get(document, "run", "synthetic"))
    themes = document.get("themes") or {}
    robustness = document.get("robustness") or {}
    inference = robustness.get("inference") or {}
    weights = document.get("weights") or {}
    verdict = str(document.get("verdict"))
    detect = _detection(document, sesoi)
    text = {
        "n": m.integer(n),
        "n_excluded": m.integer(document.get("n_excluded") or 0),
        "survey": markdown_code(shown_input(params.data.survey)),
        "alpha": m.number(alpha, 2),
        "tost_level": m.percent(1 - 2 * alpha),
        "sesoi": m.number(sesoi, 2),
        "sesoi_points": m.number(
            document.get("sesoi_points") or points_per_tenfold(document, sesoi), 1
        ),
        "power_decisive": m.percent(_get(document, "sensitivity", "power_decisive"), 1),
        "decisive_at_points": m.number(_decisive_at_points(document), 1, sign=True),
        "decisive_at_std": m.number(
            _get(document, "sensitivity", "power_decisive_at_std"), 2, sign=True
        ),
        "min_cell": m.integer(params.analysis.min_cell),
        "bootstrap": m.integer(document.get("importance_bootstrap_draws") or 0),
        "bf_prior_scale": m.number(params.analysis.bf_prior_scale, 3),
        "mde": m.number(mde, 2),
        "mde_positive": m.number(mde_pos, 2),
        "mde_negative": m.number(mde_neg, 2),
        "mde_points": m.number(detect.mde_points, 1),
        "mde_points_positive": m.number(detect.positive_points, 1, sign=True),
        "mde_points_negative": m.number(detect.negative_points, 1, sign=True),
        "unweighted_note": m("nb5.unweighted_note")
        if weights.get("method") not in (None, "none")
        else "",
        "power_target": m.percent(POWER_TARGET),
        "tost_power": m.percent(_get(document, "sensitivity", "tost_power"), 1),
        "simulations": m.integer(_get(document, "sensitivity", "simulations") or 0),
        "themes": m.integer(len(themes)),
        # the codebook's levels a theme's ordinal model reads (« de 0 à 4 »)
        "level_low": m.integer(_levels(document)[0]),
        "level_high": m.integer(_levels(document)[1]),
        # « (après correction) »: only several themes have their p-values corrected
        "after_correction": m("nb4.after_correction") if len(themes) > 1 else "",
        "specifications": m.integer(robustness.get("specifications") or 0),
        "draws": m.integer(inference.get("draws") or 0),
        # at 95 %: the largest of several gaps is judged against it, and a 90 % margin would
        # call noise a difference too often (said with its level on the page)
        "share_margin": m.number(share_margin(n), 0),
        "means": words(m, held_means(document)[0]),
        # what the direct model holds equal, in words (« à moyens égaux », « à budget égal »,
        # « toutes voies confondues »), and the means the data lack
        "held": held_words(document, m),
        "Held": capital(held_words(document, m)),
        "missing": words(m, held_means(document)[1]),
        # what chapter 2 describes the index by: size, type, and the means the data measure
        "described": words_of(m, [m(f"nb2.described.{k}") for k in described(document)]),
        "controls_note": m("nb3.controls_note", held=held_words(document, m))
        if controls_held(document)
        else "",
        # what else a verdict depends on: who answered (a survey), what the source published
        "who_note": m(
            "narrative.who_note.census"
            if data_kind(document) == "census"
            else "narrative.who_note.survey"
        ),
        # « , même à moyens égaux » when a mean is held; nothing when none is
        "even_held": m("narrative.even_held", held=held_words(document, m))
        if means_case(document) != "none"
        else "",
        # the bodies the model describes: respondents of a survey, observed bodies of a census
        "n_counted": m(
            "narrative.n_counted.census"
            if data_kind(document) == "census"
            else "narrative.n_counted.survey",
            n=m.integer(n),
        ),
        "verdict_label": m(f"verdicts.{verdict}.label")
        if m.has(f"verdicts.{verdict}.label")
        else verdict,
    }
    influence, influence_text = _influence(document, m, alpha)
    text.update(influence_text)
    return Facts(
        text=text,
        verdict=verdict,
        synthetic=synthetic,
        sample_can_detect=detect.can_detect,
        weighted=bool(weights) and weights.get("method") not in (None, "none"),
        influence=influence,
        decisive_power_known=_get(document, "sensitivity", "power_decisive") is not None,
        scope=run_scope(document),
        types=len(_get(document, "descriptives", "scope") or []),
        kind=data_kind(document),
        means=means_case(document),
        published=_barometer_codebook(params),
        themes=len(themes),
    )


def _levels(document: Mapping[str, Any]) -> tuple[int, int]:
    """The codebook's lowest and highest levels (``run.levels``); the barometer's 0 to 3 for a
    results.json written before that key existed."""
    levels = list(_get(document, "run", "levels") or (0, 3))
    return int(levels[0]), int(levels[-1])


def described(document: Mapping[str, Any]) -> list[str]:
    """What chapter 2 describes the index by: size and type, then spending and sponsorship
    when the data measure them (``held_means``; the grouping itself is
    ``analyse.report.groups.unavailable``, from the same columns)."""
    held = held_means(document)[0]
    return ["size", "type", *(k for k in ("budget", "sponsorship") if k in held)]


def _barometer_codebook(params: RunParams) -> bool:
    """Whether the run's codebook is the 2025 barometer's (only then are its theme shares set
    beside the published ones); a codebook that cannot be read is reported by the notebook's
    loading, not here."""
    from analyse.data.codebook import load_codebook
    from analyse.errors import InputError

    try:
        return load_codebook(params.codebook_path).is_barometer_2025
    except (InputError, OSError):
        return False


def _decisive_at_points(document: Mapping[str, Any]) -> float | None:
    """The world of ``power_decisive`` in index points for a tenfold population: its own raw
    slope (``sensitivity.power_decisive_at_points``). A results.json written before that key
    existed had only the standardized effect, converted here with the main fit's SDs as the
    page then did."""
    sensitivity = document.get("sensitivity") or {}
    if "power_decisive_at_points" in sensitivity:
        return sensitivity["power_decisive_at_points"]
    return points_per_tenfold(document, sensitivity.get("power_decisive_at_std"))


@dataclass(frozen=True)
class _Detection:
    """Whether the sample detects the effects that matter, and the numbers that say it, all in
    index points for a tenfold population."""

    can_detect: bool
    mde_points: float | None  # the MDE farther from zero, a magnitude
    positive_points: float | None  # the two MDEs, signed
    negative_points: float | None


def _detection(document: Mapping[str, Any], sesoi: float) -> _Detection:
    """The two minimum detectable effects in points (``sensitivity.mde_points_*``, each through
    its simulated world's own slope) against the SESOI in points (``sesoi_points``): the
    reader's unit, the same for the simulated worlds and the document. Comparing the
    standardized MDE of the unweighted simulated world with a standardized SESOI converted
    with another fit's SDs (weighted) would compare two scales. A results.json without those
    keys (an older version) is judged as it then was: the standardized MDE against the
    standardized SESOI, both shown in points with the same factor, so the words and the
    numbers agree."""
    sensitivity = document.get("sensitivity") or {}
    sesoi_points = document.get("sesoi_points")
    if (
        "mde_points_positive" in sensitivity
        and "mde_points_negative" in sensitivity
        and sesoi_points is not None
    ):
        positive = sensitivity["mde_points_positive"]
        negative = sensitivity["mde_points_negative"]
        if positive is None or negative is None:  # an MDE no simulated world reaches
            return _Detection(False, None, positive, negative)
        larger = max(abs(float(positive)), abs(float(negative)))
        return _Detection(larger <= abs(float(sesoi_points)), larger, positive, negative)
    mde = sensitivity.get("mde_std")
    mde_pos, mde_neg = sensitivity.get("mde_std_positive"), sensitivity.get("mde_std_negative")
    return _Detection(
        can_detect=mde is not None and mde <= sesoi,
        mde_points=points_per_tenfold(document, mde) if mde else None,
        positive_points=None if mde_pos is None else points_per_tenfold(document, mde_pos),
        negative_points=None if mde_neg is None else points_per_tenfold(document, -mde_neg),
    )


def _influence(document: Mapping[str, Any], m: Messages, alpha: float) -> tuple[str, dict]:
    """What the checks of influence and small-sample inference (``results.json``'s
    ``influence`` and ``size.se_hc2_bm``/``df_bm``) say, in index points for a tenfold
    population; the variant is ``none`` when leave-one-out could not be computed, ``weighted``
    when the small-sample check is not defined (survey weights), else ``unweighted``."""
    from scipy import stats

    size = document.get("size") or {}
    found = document.get("influence") or {}
    loo = found.get("loo_std_range")
    if not loo:
        return "none", {}
    to_points = points_per_tenfold
    direct = to_points(document, size.get("std_coef"))
    threshold = to_points(document, found.get("threshold_std"))
    sesoi_points = 10 * threshold if threshold is not None else None  # a tenth of the SESOI
    low, high = to_points(document, loo[0]), to_points(document, loo[1])
    largest = max(abs(direct - low), abs(high - direct))  # the furthest leave-one-out estimate
    moved = int(found.get("moved_by_tenth_sesoi") or 0)
    text = {
        "direct_points": m.number(direct, 1, sign=True),
        "loo_low": m.number(low, 1, sign=True),
        "loo_high": m.number(high, 1, sign=True),
        "moved": m.integer(moved),
        "threshold_points": m.number(threshold, 1),
        "threshold_unit": m.choose("findings.unit", round(threshold or 0.0, 1)),
        # « aucune collectivité ne le déplace », « une seule le déplace », « 3 le déplacent »:
        # the verb and the pronouns agree with the count, not only the noun
        "moved_reading": m(
            f"nb5.moved.{'none' if moved == 0 else 'one' if moved == 1 else 'many'}",
            moved=m.integer(moved),
            threshold_points=m.number(threshold, 1),
        ),
        "largest_reading": m(
            f"nb5.influence_largest.{'below' if largest < sesoi_points else 'above'}",
            largest=m.number(largest, 1),
            sesoi_points=m.number(sesoi_points, 1),
        ),
    }
    se_hc2, df_bm = size.get("se_hc2_bm"), size.get("df_bm")
    coef, se, df = size.get("coef"), size.get("se_hc3"), document.get("ols", {}).get("df_resid")
    if se_hc2 is None or df_bm is None or coef is None or se is None or df is None:
        return "weighted", text
    ln10 = math.log(10.0)
    usual, small = stats.t.ppf(1 - alpha, df) * se, stats.t.ppf(1 - alpha, df_bm) * se_hc2
    text["width_reading"] = m(f"nb5.influence_width.{'wider' if small > usual else 'narrower'}")
    for key, half in (("usual", usual), ("small", small)):
        text[f"{key}_low"] = m.number((coef - half) * ln10, 1, sign=True)
        text[f"{key}_high"] = m.number((coef + half) * ln10, 1, sign=True)
    return "unweighted", text


def _real(f: Facts) -> str:
    """Real data: a census (every body of the scope, observed) or a volunteer survey."""
    return "census" if f.kind == "census" else "real"


def _measured(f: Facts) -> str:
    """``means`` when the model holds some mean equal, ``none`` when the data measure none."""
    return "none" if f.means == "none" else "means"


def _measured_some(f: Facts) -> str:
    """``_measured``, with ``some`` when the data measure only some of the means: the text
    names what the model holds equal and what it cannot, rather than « à moyens égaux »."""
    return "some" if f.means == "some" else _measured(f)


def _themes_intro(f: Facts) -> str:
    """One theme (the index is its score); the barometer's themes (its 2023 finding on
    cybersecurity, its level names); another codebook's themes."""
    if f.themes == 1:
        return "one"
    return "barometer" if f.published else "other"


def _one_theme(f: Facts) -> str:
    """``one`` when the codebook has a single theme (chapter 4 then models that theme alone),
    else ``many``."""
    return "one" if f.themes == 1 else "many"


# message -> which of its variants (``<message>.<variant>``) the run's outcome selects
VARIANTS: dict[str, Callable[[Facts], str]] = {
    "narrative.caveat": lambda f: "synthetic" if f.synthetic else _real(f),
    "narrative.reminder": lambda f: "synthetic" if f.synthetic else _real(f),
    # the chapter announces the published comparison only when it has one (the barometer's
    # own codebook); with other themes the section is left out (tables.compared)
    "nb1.intro": lambda f: "compared" if f.published else "alone",
    "nb3.reading": lambda f: f.verdict,
    # chapter 2 without a section on spending or sponsorship: the data measure no mean
    # some means only: chapter 3 separates size from those, not from all
    "nb2.intro": _measured_some,
    # the data measure no mean: the claim cannot be tested, only the gaps they measure
    "nb3.intro": _measured_some,
    "nb3.model": _measured_some,
    "nb3.estimands": _measured_some,
    "nb3.estimands_figure": _measured_some,
    "nb3.importance": _measured_some,
    "nb3.verdict": _measured,
    # one theme: its one interval, not « chaque thème »
    "nb4.information": lambda f: (
        ("enough" if f.sample_can_detect else "little") + ("_one" if f.themes == 1 else "")
    ),
    "nb4.intro": _themes_intro,
    # one theme: one test, no correction for several, no « l'un d'eux »
    "nb4.table": _one_theme,
    # one theme: no « thème par thème », no « certains thèmes », no « pour chaque thème »
    "nb4.title": _one_theme,
    "nb4.figure": _one_theme,
    "nb5.intro": lambda f: "enough" if f.sample_can_detect else "little",
    "nb5.mde_reading": lambda f: "enough" if f.sample_can_detect else "little",
    "nb5.influence": lambda f: f.influence,
    "nb5.decisive_power": lambda f: "known" if f.decisive_power_known else "none",
    # the size bands and the link of type and size that the run's scope has
    "nb2.size": lambda f: f.scope if f.scope in ("intercommunal", "commune") else "mixed",
    "nb2.type": lambda f: (
        "single" if f.types == 1 else ("intercommunal" if f.scope == "intercommunal" else "mixed")
    ),
}


class Narrator:
    """``say = Narrator(results_document(result), params)``; ``say("nb3.intro")`` displays
    that message, filled with the run's facts, as Markdown."""

    def __init__(self, document: Mapping[str, Any], params: RunParams, m: Messages | None = None):
        self.m = m or current()
        self.document = document
        self.params = params
        self.facts = facts(document, params, self.m)

    def text(self, key: str, **extra: str) -> str:
        """The message's Markdown, its variant picked and its placeholders filled."""
        if key in VARIANTS:
            key = f"{key}.{VARIANTS[key](self.facts)}"
        template = self.m(key)
        values = {name: self.facts.text[name] for name in placeholders(template) - set(extra)}
        return self.m.fill(template, **values, **extra)

    def __call__(self, key: str, **extra: str) -> Markdown:
        from IPython.display import Markdown

        return Markdown(self.text(key, **extra), metadata=NARRATIVE_METADATA)

    def show(self, *keys: str) -> None:
        """Display several messages in turn (a cell shows only its last value)."""
        from IPython.display import display

        for key in keys:
            display(self(key))

    def published_noise(self, comparison: pd.DataFrame) -> Markdown | None:
        """Whether the gaps between this survey and the published 2025 shares are within
        sampling noise, judged against the margin of error of a share with this sample's n
        (never a fixed judgement: the census's gaps are ten times the margin)."""
        from IPython.display import Markdown

        if "difference" not in comparison.columns:
            return None  # no comparison (another codebook): nothing to judge
        gaps = pd.to_numeric(comparison["difference"], errors="coerce").abs()
        if not gaps.notna().any():
            return None
        largest = float(gaps.max())
        n = int(self.document.get("n") or 0)
        within = largest <= share_margin(n)
        key = f"nb1.published_noise.{'within' if within else 'beyond'}"
        if data_kind(self.document) == "census":  # no sample: no margin of sampling error
            key = "nb1.published_noise.census"
        text = self.text(key, gap=self.m.number(largest, 0))
        return Markdown(text, metadata=NARRATIVE_METADATA)

    def weighting(self) -> Markdown | None:
        """Whether weighting changes the answer: the verdict without the weights and the test
        of whether the weights change what the model estimates; nothing for an unweighted run.
        """
        from IPython.display import Markdown

        weights = self.document.get("weights") or {}
        unweighted = weights.get("unweighted_verdict")
        if not unweighted:
            return None
        same = unweighted == self.facts.verdict
        text = self.text(
            f"nb3.weighting.{'same' if same else 'changed'}",
            unweighted=self.m.get(f"verdicts.{unweighted}.label", unweighted),
        )
        p = weights.get("informative_p")
        if p is not None:
            alpha = float(self.document.get("alpha", 0.05))
            key = "informative" if p < alpha else "not_informative"
            if key == "not_informative" and not same:
                key = "precision"  # the weights change the verdict through its precision
            text += " " + self.text(
                f"nb3.weighting.{key}",
                p=self.m.p_value(p),
                kish=self.m.integer(weights.get("kish_n")),
            )
        return Markdown(text, metadata=NARRATIVE_METADATA)

    def chapeau(self) -> HTML:
        """The top of a reader page (``analyse.report.headline``): the finding as a title, then
        the chapeau: both answers with their verdicts, the scope, the data and the limit."""
        from IPython.display import HTML

        from analyse.report.headline import chapeau, headline

        title = html.escape(headline(self.document, self.m))
        sentences = " ".join(html.escape(s) for s in chapeau(self.document, self.m))
        body = f'<p class="headline">{title}</p>\n<p class="chapeau">{sentences}</p>'
        return HTML(body, metadata=NARRATIVE_METADATA)

    def notes(self, key: str, **data: Any) -> HTML:
        """« Lecture », « Champ » and « Source » under figure or table ``key``
        (``analyse.report.lecture``); ``data`` is what a figure's reading needs beyond
        ``results.json`` (e.g. ``themes``, the frame the forest plot drew)."""
        from IPython.display import HTML

        from analyse.report.lecture import notes_html

        return HTML(notes_html(key, self.document, self.m, **data), metadata=NARRATIVE_METADATA)

    def method_box(self, chapter: int) -> HTML:
        """« Sources et méthodes » of chapter ``chapter`` (``analyse.report.method_box``)."""
        from IPython.display import HTML

        from analyse.report.method_box import method_box

        return HTML(method_box(self.document, self.m, chapter), metadata=NARRATIVE_METADATA)

    def estimands(self) -> Markdown:
        """The two answers about size and what separates them, in plain words
        (``analyse.report.findings.estimand_sentences``)."""
        from IPython.display import Markdown

        paragraphs = [markdown_text(p) for p in estimand_sentences(self.document, self.m)]
        return Markdown("\n\n".join(paragraphs), metadata=NARRATIVE_METADATA)

    def key_findings(self) -> Markdown:
        """The run's key findings (``analyse.report.findings``), under their heading."""
        from IPython.display import Markdown

        paragraphs = [markdown_text(p) for p in key_findings(self.document, self.m)]
        heading = f"## {self.m('narrative.key_findings')}"
        return Markdown("\n\n".join([heading, *paragraphs]), metadata=NARRATIVE_METADATA)
