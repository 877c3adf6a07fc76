"""« Lecture / Champ / Source » under a figure or a table, as national statistics notes print.

« Lecture » reads one value of the figure in a sentence (the reader checks they read the chart
as meant); « Champ » says which bodies it covers; « Source » where the data come from. The
three are computed from the run (``results.json``, and for some figures the frame the notebook
drew), never fixed: a sentence that depends on the data changes with it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from analyse.report.findings import controls_held, held_words, means_case, unit_word
from analyse.report.headline import champ, noun, source
from analyse.report.i18n import Messages


def _points(m: Messages, value: float | None) -> str:
    return m.number(value, 1, sign=True)


def _size_coefficients(document: Mapping[str, Any], m: Messages, **_: Any) -> str | None:
    estimands = document.get("estimands") or {}
    total, direct = estimands.get("total"), estimands.get("direct")
    if not total or not direct:
        return None
    if means_case(document) == "none" and not controls_held(document):
        # no mean, no control: the figure has the total alone
        return m(
            "lecture.size_coefficients_total",
            noun=noun(document, m),
            total=_points(m, total.get("coef_points")),
            total_unit=unit_word(m, total.get("coef_points")),
        )
    return m(
        "lecture.size_coefficients",
        held=held_words(document, m),
        noun=noun(document, m),
        total=_points(m, total.get("coef_points")),
        total_unit=unit_word(m, total.get("coef_points")),
        direct=_points(m, direct.get("coef_points")),
        direct_unit=unit_word(m, direct.get("coef_points")),
    )


def _by_type(document: Mapping[str, Any], m: Messages, medians: Any = None, **_: Any) -> str | None:
    """The highest and lowest median of the figure's groups (the statistic it draws: one per
    page, the median, as its title says)."""
    # a pandas Series, duck-typed: the index pages import this module without pandas
    if medians is None or not hasattr(medians, "idxmax") or len(medians) < 2:
        return None
    return m(
        "lecture.by_type",
        high_type=str(medians.idxmax()),
        high=m.number(float(medians.max()), 0),
        low_type=str(medians.idxmin()),
        low=m.number(float(medians.min()), 0),
    )


def _forest(
    document: Mapping[str, Any],
    m: Messages,
    themes: Any = None,
    codebook: Any = None,
    **_: Any,
) -> str | None:
    """The theme whose odds move most with size, read for a tenfold population
    (``tables.theme_table``; its label in the report's language from the ``codebook``)."""
    if themes is None or not hasattr(themes, "columns") or "odds_ratio" not in themes:
        return None
    rated = themes["odds_ratio"].astype("float64").dropna()
    # an odds ratio of 0 or infinity (a theme model that separates: too few bodies) has no
    # reading per tenfold population: left out of the sentence
    rated = rated[[0 < v < math.inf for v in rated]]
    if rated.empty:
        return None
    theme = (rated.map(math.log).abs()).idxmax()
    label = themes.loc[theme, "label"] if "label" in themes else str(theme)
    if codebook is not None:
        found = codebook.theme(theme)
        label = found.label_fr if m.lang == "fr" else found.label_en
    return m("lecture.forest", theme=str(label), odds=m.number(float(rated[theme]), 2))


def _curve(document: Mapping[str, Any], m: Messages, **_: Any) -> str | None:
    robustness = document.get("robustness") or {}
    verdicts = robustness.get("verdicts") or {}
    count = int(robustness.get("specifications") or 0)
    if not verdicts or not count:
        return None
    verdict, most = max(verdicts.items(), key=lambda item: item[1])
    return m(
        "lecture.curve",
        held=held_words(document, m),
        count=m.integer(count),
        most=m.integer(most),
        label=m.get(f"verdicts.{verdict}.label", verdict),
    )


def _power(document: Mapping[str, Any], m: Messages, **_: Any) -> str | None:
    sensitivity = document.get("sensitivity") or {}
    if sensitivity.get("tost_power") is None:
        return None
    return m("lecture.power", share=m.percent(sensitivity["tost_power"], 1))


def _published(
    document: Mapping[str, Any], m: Messages, comparison: Any = None, **_: Any
) -> str | None:
    """How to read the published comparison's bars; nothing when the figure is not drawn
    (``comparison`` marked ``not_shown``: the codebook is not the barometer's).
    Without ``comparison`` (a caller that cannot say), the reading stays."""
    if comparison is not None and (
        getattr(comparison, "attrs", {}).get("not_shown")
        or "difference" not in getattr(comparison, "columns", ())
    ):
        return None
    return m("lecture.published")


def _band(document: Mapping[str, Any], m: Messages, **_: Any) -> str | None:
    return m("lecture.size_band", noun=noun(document, m))


READERS = {
    "size_coefficients": _size_coefficients,
    "maturity_by_type": _by_type,
    "maturity_by_size_band": _band,
    "forest": _forest,
    "specification_curve": _curve,
    "power": _power,
    "published": _published,
}


def notes(key: str, document: Mapping[str, Any], m: Messages, **data: Any) -> list[str]:
    """The « Lecture », « Champ » and « Source » lines of figure or table ``key`` (a key with
    no reading sentence, e.g. ``"table"``, gets the two others)."""
    lines = []
    reader = READERS.get(key)
    reading = reader(document, m, **data) if reader else None
    if reading:
        lines.append(m("lecture.lecture", text=reading))
    if key == "input":  # the data as received: every row, the analysed ones among them
        n = int(document.get("n") or 0)
        lines.append(
            m(
                "lecture.champ_input",
                total=m.integer(n + int(document.get("n_excluded") or 0)),
                n=m.integer(n),
            )
        )
    else:
        lines.append(champ(document, m))
    lines.append(source(document, m))
    return lines


def notes_html(key: str, document: Mapping[str, Any], m: Messages, **data: Any) -> str:
    """The lines as ``<div class="notes">``, one escaped paragraph each."""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in notes(key, document, m, **data))
    return f'<div class="notes">{body}</div>'
