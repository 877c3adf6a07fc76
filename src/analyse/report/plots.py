"""The report's figures: matplotlib on the tables of ``analyse.report.tables``, in the report's
language.

Every function takes a tidy DataFrame (or a results object) and an optional ``ax``, draws on it
and returns the ``Axes``; none calls ``plt.show()``. Readers are French-speaking elected
officials, directors of digital services and journalists, so every word of a figure (title,
axes, legend, annotations) comes from the catalogue of the current language
(``analyse.report.i18n.current()``, ``messages/<lang>/figures.yaml``) and every number from its
formats (a decimal comma on French axes, log axes included). Group figures hide groups of fewer
than ``min_cell`` respondents, as the tables do.

What every figure shares (palette, numbers, layout: nothing cut, one meaning per colour,
readable log axes) lives in ``analyse.report.figure_base``, and the figures of notebook 2 in
``analyse.report.descriptive_figures``; this module re-exports both, so that
``plots.maturity_vs_budget`` or ``plots.PALETTE`` is where a notebook or a test finds it.

Each figure has an ``alt_<figure>`` function giving its text alternative: the figure's message
in one or two sentences computed from the same data (``show_figure(fig, alt=...)``).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from analyse.data.codebook import Codebook
from analyse.report import i18n
from analyse.report.descriptive_figures import (  # noqa: F401 - re-exported
    CAPTIONED,
    DENSE_POINTS,
    GROUP_FIGURES,
    UNKNOWN_TYPE,
    _groups,
    _maturity_by,
    alt_maturity_by_budget_band,
    alt_maturity_by_size_band,
    alt_maturity_by_sponsorship,
    alt_maturity_by_type,
    alt_maturity_vs_budget,
    caption_key,
    maturity_by_budget_band,
    maturity_by_size_band,
    maturity_by_sponsorship,
    maturity_by_type,
    maturity_vs_budget,
    shown_medians,
)
from analyse.report.figure_base import (  # noqa: F401 - re-exported
    _OWNED,
    GREY,
    LIGHT,
    MIN_TEXT_PX,
    NEUTRAL,
    OKABE_ITO,
    PALETTE,
    PHONE_WIDTH,
    REGION_ALPHA,
    REGION_TEXT,
    SIZE_COLOUR,
    TYPE_COLOURS,
    TYPE_MARKERS,
    VERDICT_STYLES,
    LocaleFormatter,
    Style,
    _axes,
    _chars,
    _decimals,
    _done,
    _label,
    _localize_axes,
    _log_axis,
    _not_drawn,
    _set_text,
    _wrap,
    displayed_text_px,
    fit,
    is_fitted,
    is_phone,
    log_ticks,
    not_drawn_alt,
    phone_layout,
    type_style,
    verdict_label,
    verdict_style,
)
from analyse.report.findings import MEANS, capital, control_name, held_phrase, words
from analyse.report.groups import with_groups  # noqa: F401 - re-exported
from analyse.stats.equivalence import LN10, VERDICTS, SizeTest, equivalence_interval
from analyse.stats.robustness import CHOICES, SHIPPED

# --------------------------------------------------------------------------- data quality


def _theme_labels(table: pd.DataFrame, codebook: Codebook | None) -> list[str]:
    """Theme names in the report's language when the codebook is given, else the table's."""
    if codebook is None:
        return [str(label) for label in table["label"]]
    french = i18n.current().lang == "fr"
    labels = []
    for key, label in zip(table.index, table["label"], strict=True):
        try:
            theme = codebook.theme(str(key))
        except KeyError:
            labels.append(str(label))
            continue
        labels.append(theme.label_fr if french else theme.label_en)
    return labels


def published_vs_survey(
    comparison: pd.DataFrame, ax: Axes | None = None, codebook: Codebook | None = None
) -> Axes:
    """Published 2025 share per theme next to this survey's (``tables.published_comparison``),
    under a title that says in how many themes this survey is below the published share; the
    two bars are named on the first theme's bars, not in a legend. With ``codebook``, themes
    are named in the report's language."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 5.2) if not is_phone() else (8.0, 6.4))
    title, xlabel, ylabel = (m(f"figures.published.{k}") for k in ("title", "x", "y"))
    if comparison.attrs.get("not_shown"):  # another survey's codebook: nothing to compare
        return _not_drawn(ax, title, xlabel, ylabel, m("figures.published.not_drawn"))
    labels = _theme_labels(comparison, codebook)
    y = np.arange(len(comparison))[::-1]
    height = 0.38
    bars = [
        ("published_2025", m("figures.published.published_short"), LIGHT, +height / 2),
        ("this_survey", m("figures.published.survey"), NEUTRAL, -height / 2),
    ]
    for column, name, colour, offset in bars:
        values = comparison[column].astype("float64").to_numpy()
        container = ax.barh(y + offset, values, height=height, color=colour)
        texts = [m.number(v, 0) if math.isfinite(v) else "" for v in values]
        # the first (top) theme's bar says which bar it is: inside it when it is long enough
        # for the words, else after its value
        if len(texts) and texts[0]:
            if values[0] >= (62 if is_phone() else 45):
                ax.text(
                    1.5,
                    y[0] + offset,
                    name,
                    va="center",
                    fontsize="small",
                    color="white" if colour == NEUTRAL else NEUTRAL,
                )
            else:
                texts[0] = m("figures.published.bar_label", value=texts[0], name=name)
        ax.bar_label(container, labels=texts, padding=2, fontsize="small")
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, _chars(24, 14)) for label in labels])
    ax.set_xlim(0, 105)
    ax.set_ylim(-0.6, len(comparison) - 0.2)
    _label(ax, _published_message(comparison) or title, xlabel, "" if is_phone() else ylabel)
    return _done(ax)


def _published_message(comparison: pd.DataFrame) -> str | None:
    """The figure's message: in how many themes (of those with both shares) this survey's
    share is below the published one, or None when no theme has both."""
    m = i18n.current()
    both = comparison[["published_2025", "this_survey"]].astype("float64").dropna()
    if both.empty:
        return None
    below = int((both["this_survey"] < both["published_2025"]).sum())
    return m.choose(
        "figures.published.message", below, below=m.integer(below), themes=m.integer(len(both))
    )


def alt_published_vs_survey(comparison: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """Text alternative of ``published_vs_survey``: the range of the gaps between this survey
    and the published barometer, and the theme of the largest."""
    m = i18n.current()
    title = m("figures.published.title")
    if comparison.attrs.get("not_shown"):
        return not_drawn_alt(title, m("figures.published.not_drawn"))
    gaps = (comparison["this_survey"] - comparison["published_2025"]).astype("float64")
    labels = pd.Series(_theme_labels(comparison, codebook), index=comparison.index)
    if gaps.notna().sum() == 0:
        return m("figures.published.alt_none", title=title)
    largest = gaps.abs().idxmax()
    return m(
        "figures.published.alt",
        low=m.number(float(gaps.min()), 0, sign=True),
        high=m.number(float(gaps.max()), 0, sign=True),
        theme=labels[largest],
        gap=m.number(float(gaps[largest]), 0, sign=True),
    )


# --------------------------------------------------------------------------- the claim


def _points(value: float, digits: int = 1) -> str:
    """A signed number of index points, the unit agreeing with it (« −1,2 point », « +29,0
    points »)."""
    m = i18n.current()
    return m.choose("figures.points", abs(value), number=m.number(value, digits, sign=True))


def size_coefficients(effects: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The total, direct and indirect effects of size with their intervals
    (``tables.size_effects``), in index points for a tenfold population, against the region of
    effects smaller than the smallest effect of interest (the bound the total and direct
    verdicts read; the indirect effect is not judged against it), named on the band itself.
    Each verdict marks its estimate by its colour and marker; the indirect effect is neutral.
    The title gives the total and direct effects and their verdicts: the figure's message."""
    m = i18n.current()
    labels = [
        _wrap(_estimand_label(effects, name), _chars(22, 10))
        # on a phone the title gives the verdicts: the labels keep the axes wide
        + (f"\n({verdict_label(verdict)})" if verdict and not is_phone() else "")
        for name, verdict in zip(effects.index, effects["verdict"], strict=True)
    ]
    # a phone's labels wrap in many lines (« À effectifs du numérique et portage politique
    # égaux »): the figure grows so that each row's label stays beside its own row
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    tall = 4.6 + 0.25 * max(0, lines - 3) * len(labels)
    ax = _axes(ax, (8.0, 3.8) if not is_phone() else (8.0, tall))
    bound = float(effects.attrs.get("sesoi_points", math.nan))
    y = np.arange(len(effects))[::-1]
    bottom = y.min() - (1.1 if math.isfinite(bound) else 0.7) if len(y) else -0.7
    if math.isfinite(bound):
        ax.axvspan(-bound, bound, color=PALETTE["negligible"], alpha=REGION_ALPHA)
        ax.text(
            0,
            bottom + 0.08,
            _wrap(m("figures.size_coefficients.region", points=m.number(bound, 1)), 22),
            ha="center",
            va="bottom",
            fontsize="small",
            color=REGION_TEXT,
        )
    ax.axvline(0, color=NEUTRAL, lw=1, ls="--")
    for yi, (_, row) in zip(y, effects.iterrows(), strict=True):
        if math.isfinite(row["low"]):
            ax.plot((row["low"], row["high"]), (yi, yi), color=NEUTRAL, lw=2.5)
        style = verdict_style(row["verdict"]) if row["verdict"] else None
        ax.plot(
            [row["points"]],
            [yi],
            linestyle="none",
            marker=style.marker if style else "o",
            color=style.colour if style else SIZE_COLOUR,
            markeredgecolor=NEUTRAL,
            markersize=10,
        )
        ax.annotate(
            m.number(float(row["points"]), 1, sign=True),
            (row["points"], yi),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
        )
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_ylim(bottom, y.max() + 0.7 if len(y) else 0.7)
    ends = [effects["low"], effects["high"], effects["points"]]
    low = float(np.nanmin([np.nanmin(v) for v in ends]))
    high = float(np.nanmax([np.nanmax(v) for v in ends]))
    if math.isfinite(bound):
        low, high = min(low, -bound), max(high, bound)
    pad = 0.08 * max(high - low, 1e-9)
    ax.set_xlim(min(low, 0.0) - pad, max(high, 0.0) + pad)
    level = m.percent(1 - 2 * float(effects.attrs.get("alpha", 0.05)))
    _label(
        ax,
        _size_message(effects) or _size_title(effects, level),
        m("figures.size_coefficients.x", level=level),
        "",
    )
    return _done(ax)


def _held(effects: pd.DataFrame) -> str:
    """What the direct effect holds equal (``tables.size_effects``' attributes), in words:
    « à moyens égaux », « à budget égal », « à type de collectivité égal »."""
    means = effects.attrs.get("means_held", list(MEANS))
    return held_phrase(i18n.current(), means, list(effects.attrs.get("controls_held") or []))


def _measured_means(effects: pd.DataFrame) -> dict[str, str] | None:
    """The means the direct effect holds equal, as a message's values (``means``: « budget »),
    when the data measure only some of them; None when they measure all (or none: then no
    indirect row is drawn). The indirect effect then passes through those means only, and the
    figure says so rather than « par les moyens »."""
    means = list(effects.attrs.get("means_held", list(MEANS)))
    if not means or len(means) == len(MEANS):
        return None
    return {"means": words(i18n.current(), means)}


def _size_title(effects: pd.DataFrame, level: str) -> str:
    """The figure's title when it has no message (``_size_message``): what the three rows are,
    the held-equal one named by what the data let the model hold."""
    m = i18n.current()
    measured = _measured_means(effects)
    if measured is None:
        return m("figures.size_coefficients.title", level=level)
    return m("figures.size_coefficients.title_some", level=level, held=_held(effects), **measured)


def _estimand_label(effects: pd.DataFrame, name: str) -> str:
    """A row's label: the direct effect named by what it holds equal (never « à moyens
    égaux » when the data measure no mean), the indirect one by the means it passes through
    when the data measure only some."""
    m = i18n.current()
    if name == "direct":
        return capital(_held(effects))
    measured = _measured_means(effects)
    if name == "indirect" and measured is not None:  # a phone: the list is in the caption
        return m(
            f"figures.size_coefficients.indirect_some{'_phone' if is_phone() else ''}", **measured
        )
    return m(f"figures.size_coefficients.{name}")


def _size_message(effects: pd.DataFrame) -> str | None:
    """The figure's message: the total and direct effects with their verdicts, or the total
    alone when the direct effect is the same (no mean, no control); None without them."""
    m = i18n.current()
    if "total" not in effects.index or not math.isfinite(float(effects.loc["total", "points"])):
        return None
    total = effects.loc["total"]
    if "direct" not in effects.index:
        return m(
            "figures.size_coefficients.message_total",
            total=_points(float(total["points"])),
            total_verdict=verdict_label(str(total["verdict"])),
        )
    direct = effects.loc["direct"]
    if not math.isfinite(float(direct["points"])):
        return None
    return m(
        "figures.size_coefficients.message",
        total=_points(float(total["points"])),
        total_verdict=verdict_label(str(total["verdict"])),
        direct=_points(float(direct["points"])),
        direct_verdict=verdict_label(str(direct["verdict"])),
        held=_held(effects),
    )


def alt_size_coefficients(effects: pd.DataFrame) -> str:
    """Text alternative of ``size_coefficients``: the three effects, their intervals and the
    two verdicts."""
    m = i18n.current()
    level = m.percent(1 - 2 * float(effects.attrs.get("alpha", 0.05)))
    bound = m.number(float(effects.attrs.get("sesoi_points", math.nan)), 1)
    if "indirect" not in effects.index and "total" in effects.index:
        # no mean measured: the total, and the gap with the controls held equal if any
        total = effects.loc["total"]
        text = m(
            "figures.size_coefficients.alt_total",
            level=level,
            total=m.number(float(total["points"]), 1, sign=True),
            total_unit=m.choose("findings.unit", round(abs(float(total["points"])), 1)),
            total_low=m.number(float(total["low"]), 1, sign=True),
            total_high=m.number(float(total["high"]), 1, sign=True),
            total_verdict=verdict_label(total["verdict"]),
            bound=bound,
        )
        if "direct" in effects.index:
            direct = effects.loc["direct"]
            text += " " + m(
                "figures.size_coefficients.alt_held",
                held=capital(_held(effects)),
                direct=m.number(float(direct["points"]), 1, sign=True),
                direct_unit=m.choose("findings.unit", round(abs(float(direct["points"])), 1)),
                direct_low=m.number(float(direct["low"]), 1, sign=True),
                direct_high=m.number(float(direct["high"]), 1, sign=True),
                direct_verdict=verdict_label(direct["verdict"]),
            )
        return text
    if not set(effects.index) >= {"total", "direct", "indirect"}:
        return _size_title(effects, "")

    def n(x: float) -> str:
        return m.number(float(x), 1, sign=True)

    def unit(x: float) -> str:  # « point » or « points » by the value as written
        return m.choose("findings.unit", round(abs(float(x)), 1))

    total, direct, indirect = (effects.loc[k] for k in ("total", "direct", "indirect"))
    return m(
        "figures.size_coefficients.alt",
        level=level,
        held=_held(effects),
        total=n(total["points"]),
        total_unit=unit(total["points"]),
        direct_unit=unit(direct["points"]),
        indirect_unit=unit(indirect["points"]),
        total_low=n(total["low"]),
        total_high=n(total["high"]),
        total_verdict=verdict_label(total["verdict"]),
        direct=n(direct["points"]),
        direct_low=n(direct["low"]),
        direct_high=n(direct["high"]),
        direct_verdict=verdict_label(direct["verdict"]),
        indirect=n(indirect["points"]),
        indirect_low=n(indirect["low"]),
        indirect_high=n(indirect["high"]),
        through=_through(effects),
        bound=bound,
    )


def _through(effects: pd.DataFrame) -> str:
    """What the indirect effect passes through, in words: « les moyens », or « les moyens que
    ces données mesurent (budget) » when they measure only some."""
    m = i18n.current()
    measured = _measured_means(effects)
    if measured is None:
        return m("figures.size_coefficients.through.all")
    return m("figures.size_coefficients.through.some", **measured)


def equivalence(test: SizeTest, ax: Axes | None = None) -> Axes:
    """The standardized size effect with its (1 - 2 alpha) and (1 - alpha) intervals against
    the region of negligible effects ±sesoi; the estimate is drawn in its verdict's colour
    and marker."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 3.4))
    low, high = equivalence_interval(test)
    q = stats.t.ppf(1 - test.alpha / 2, test.df_resid)
    wide = (test.std_coef - q * test.std_se, test.std_coef + q * test.std_se)
    sesoi = m.number(test.sesoi, 2)
    ax.axvspan(
        -test.sesoi,
        test.sesoi,
        color=PALETTE["negligible"],
        alpha=REGION_ALPHA,
        label=m("figures.equivalence.region", sesoi=sesoi),
    )
    ax.axvline(0, color=NEUTRAL, lw=1, ls="--")
    ax.plot(
        wide,
        [0, 0],
        color=NEUTRAL,
        lw=1.5,
        label=m("figures.equivalence.ci_zero", level=m.percent(1 - test.alpha)),
    )
    ax.plot(
        (low, high),
        [0, 0],
        color=NEUTRAL,
        lw=6,
        solid_capstyle="butt",
        label=m("figures.equivalence.ci_equivalence", level=m.percent(1 - 2 * test.alpha)),
    )
    style = verdict_style(test.verdict)
    ax.plot(
        [test.std_coef],
        [0],
        linestyle="none",
        marker=style.marker,
        color=style.colour,
        markeredgecolor=NEUTRAL,
        markersize=11,
        label=m("figures.equivalence.estimate", verdict=verdict_label(test.verdict)),
    )
    reach = max(abs(wide[0]), abs(wide[1]), test.sesoi) * 1.25
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-1, 1)
    ax.set_yticks([0])
    ax.set_yticklabels([_wrap(m("figures.equivalence.tick"), 16)])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), fontsize="small", ncol=2)
    _label(
        ax,
        m("figures.equivalence.title", verdict=verdict_label(test.verdict)),
        m("figures.std_effect"),
        m("figures.equivalence.y"),
    )
    return _done(ax)


def alt_equivalence(test: SizeTest) -> str:
    """Text alternative of ``equivalence``: where the (1 - 2 alpha) interval lies against the
    region of negligible effects, hence the verdict."""
    m = i18n.current()
    low, high = equivalence_interval(test)
    if -test.sesoi < low and high < test.sesoi:
        where = "inside"
    elif high <= -test.sesoi or low >= test.sesoi:
        where = "outside"
    else:
        where = "overlap"
    return m(
        f"figures.equivalence.alt_{where}",
        low=m.number(low, 2, sign=True),
        high=m.number(high, 2, sign=True),
        level=m.percent(1 - 2 * test.alpha),
        sesoi=m.number(test.sesoi, 2),
        verdict=verdict_label(test.verdict),
    )


def _group_name(group: str, fallback: str) -> str:
    """A group of predictors named in the report's language (``terms.yaml``)."""
    key = "collectivity_type" if group == "controls" else group
    return i18n.current().get(f"terms.{key}", control_name(fallback))  # an extra control


def relative_importance(importance: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """LMG shares of the index's variance with bootstrap intervals (``tables.importance_table``);
    size in its highlight colour, the other groups neutral."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 4.0))
    confidence = importance.attrs.get("confidence", 0.95)
    draws = importance.attrs.get("draws")
    title = (
        m("figures.importance.title_draws", level=m.percent(confidence), draws=m.integer(draws))
        if draws
        else m("figures.importance.title", level=m.percent(confidence))
    )
    xlabel, ylabel = m("figures.importance.x"), m("figures.importance.y")
    if importance["share_pct"].isna().all():
        reason = importance.attrs.get("not_estimable") or m("figures.importance.no_share")
        return _not_drawn(ax, title, xlabel, ylabel, reason)
    data = importance.sort_values("share_pct")
    y = np.arange(len(data))
    colours = [SIZE_COLOUR if g == "size" else NEUTRAL for g in data.index]
    has_ci = data[["low_pct", "high_pct"]].notna().all(axis=1)
    for yi, (_, row), colour, ci in zip(y, data.iterrows(), colours, has_ci, strict=True):
        if ci:
            ax.plot([row["low_pct"] / 100, row["high_pct"] / 100], [yi, yi], color=colour, lw=2)
        ax.plot([row["share_pct"] / 100], [yi], "o", color=colour, markersize=8)
        ax.annotate(
            m.percent(row["share_pct"] / 100),
            (row["share_pct"] / 100, yi),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            _wrap(_group_name(g, label), 26)
            for g, label in zip(data.index, data["label"], strict=True)
        ]
    )
    ax.set_xlim(left=0)
    ax.set_ylim(-0.6, len(data) - 0.4)
    _label(ax, title, xlabel, ylabel)
    ax.xaxis.set_major_formatter(LocaleFormatter("percent"))
    return _done(ax)


def alt_relative_importance(importance: pd.DataFrame) -> str:
    """Text alternative of ``relative_importance``: size's share (and interval) against each
    other group's, largest first."""
    m = i18n.current()
    confidence = importance.attrs.get("confidence", 0.95)
    if importance["share_pct"].isna().all():
        reason = importance.attrs.get("not_estimable") or m("figures.importance.no_share")
        return not_drawn_alt(m("figures.importance.title", level=m.percent(confidence)), reason)
    data = importance.sort_values("share_pct", ascending=False)
    others = [
        m(
            "figures.importance.alt_other",
            share=m.percent(row["share_pct"] / 100),
            label=_group_name(str(g), str(row["label"])),
        )
        for g, row in data.iterrows()
        if g != "size" and pd.notna(row["share_pct"])
    ]
    if "size" not in data.index or pd.isna(data.loc["size", "share_pct"]):
        return m("figures.importance.alt_no_size", others=", ".join(others))
    size = data.loc["size"]
    interval = ""
    if pd.notna(size["low_pct"]) and pd.notna(size["high_pct"]):
        interval = m(
            "figures.importance.alt_interval",
            level=m.percent(confidence),
            low=m.percent(size["low_pct"] / 100),
            high=m.percent(size["high_pct"] / 100),
        )
    return m(
        "figures.importance.alt",
        size=m.percent(size["share_pct"] / 100),
        interval=interval,
        others=", ".join(others) or m("format.missing"),
    )


def theme_forest(
    themes: pd.DataFrame,
    ax: Axes | None = None,
    codebook: Codebook | None = None,
    alpha: float = 0.05,
) -> Axes:
    """For each theme, by how much the chances of a higher level are multiplied for a
    population ten times larger (size's odds ratio in the theme's ordinal model,
    ``tables.theme_table``, for a tenfold population), with its interval, under a title that
    says in how many themes it is clear after the correction for several comparisons (Holm
    p below ``alpha``); those themes are marked in the size colour, the others hollow. A
    theme whose model has no estimate is listed as "not estimable" in the margin, with no
    mark. With ``codebook``, themes are named in the report's language."""
    m = i18n.current()
    ax = _axes(ax, (8.5, 4.8) if not is_phone() else (8.5, 1.8 + 0.8 * len(themes)))
    y = np.arange(len(themes))[::-1]
    estimated = themes["odds_ratio"].notna().to_numpy()
    # ``tables.theme_table`` gives them for a tenfold population already
    ratio, low_end, high_end = (themes[c] for c in ("odds_ratio", "low", "high"))
    clear = (themes["p_holm"] < alpha).fillna(False).to_numpy(dtype=bool) & estimated
    for marks, face in ((clear, SIZE_COLOUR), (estimated & ~clear, "white")):
        if not marks.any():
            continue
        ax.errorbar(
            ratio[marks],
            y[marks],
            xerr=[(ratio - low_end)[marks], (high_end - ratio)[marks]],
            fmt="s",
            color=SIZE_COLOUR,
            markerfacecolor=face,
            markersize=7,
            ecolor=NEUTRAL,
            capsize=3,
        )
    ax.axvline(1, color=NEUTRAL, lw=1, ls="--")
    low, high = low_end.min(), high_end.max()
    if estimated.any() and np.isfinite([low, high]).all() and low > 0:
        low, high = min(float(low), 1.0) / 1.15, max(float(high), 1.0) * 1.15
    else:  # no theme estimated: a neutral range around 1
        low, high = 0.25, 4.0
    _log_axis(ax, low, high, at_most=_chars(9, 5))
    for yi, ok in zip(y, estimated, strict=True):
        if not ok:  # in the plot, at its left edge (x in axes fraction, y in data units)
            ax.text(
                0.02,
                yi,
                m("figures.forest.not_estimable"),
                va="center",
                fontsize="small",
                transform=ax.get_yaxis_transform(),
            )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, _chars(26, 14)) for label in _theme_labels(themes, codebook)])
    ax.set_ylim(-0.6, len(themes) - 0.4)
    count = int(estimated.sum())
    if not count:
        title = m("figures.forest.title")
    elif count == 1:  # one test: no « dans 1 thème sur 1 », no « aucun des 1 thèmes »
        title = m(f"figures.forest.message_single.{'clear' if clear.any() else 'not_clear'}")
    elif not clear.any():
        title = m("figures.forest.message_none", themes=m.integer(count))
    else:
        title = m.choose(
            "figures.forest.message",
            int(clear.sum()),
            number=m.integer(int(clear.sum())),
            themes=m.integer(count),
        )
    _label(ax, title, m("figures.forest.x"), "")
    return _done(ax)


def alt_theme_forest(
    themes: pd.DataFrame, alpha: float = 0.05, codebook: Codebook | None = None
) -> str:
    """Text alternative of ``theme_forest``: the range over the themes of the factor by which
    a tenfold population multiplies the chances of a higher level, and in which themes it is
    clear at ``alpha`` after the correction for several comparisons (Holm's)."""
    m = i18n.current()
    labels = pd.Series(_theme_labels(themes, codebook), index=themes.index)
    estimated = themes[themes["odds_ratio"].notna()]
    if estimated.empty:
        return m("figures.forest.alt_none")
    lowest, highest = estimated["odds_ratio"].idxmin(), estimated["odds_ratio"].idxmax()
    missing = len(themes) - len(estimated)
    if len(estimated) == 1:  # one theme: no range over themes, one test, nothing corrected
        clear = bool(estimated["p_holm"].iloc[0] < alpha)
        text = m(
            "figures.forest.alt_single",
            theme=labels[lowest],
            odds=m.number(float(estimated.loc[lowest, "odds_ratio"]), 2),
            verdict=m(
                f"figures.forest.alt_single_{'clear' if clear else 'not_clear'}",
                alpha=m.number(alpha, 2),
            ),
        )
        if missing:
            text += " " + m.choose("figures.forest.alt_missing", missing, number=m.integer(missing))
        return text
    significant = [labels[t] for t in estimated.index if estimated.loc[t, "p_holm"] < alpha]
    if significant:
        verdict = m.choose(
            "figures.forest.alt_significant",
            len(significant),
            number=m.integer(len(significant)),
            themes=", ".join(significant),
            alpha=m.number(alpha, 2),
        )
    else:
        verdict = m("figures.forest.alt_not_significant", alpha=m.number(alpha, 2))
    text = m(
        "figures.forest.alt",
        count=m.integer(len(estimated)),
        low=m.number(float(estimated.loc[lowest, "odds_ratio"]), 2),
        low_theme=labels[lowest],
        high=m.number(float(estimated.loc[highest, "odds_ratio"]), 2),
        high_theme=labels[highest],
        verdict=verdict,
    )
    if missing:
        text += " " + m.choose("figures.forest.alt_missing", missing, number=m.integer(missing))
    return text


def power_curve(
    curve: pd.DataFrame,
    mde: float | tuple[float, float] | None = None,
    sesoi: float | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    ax: Axes | None = None,
) -> Axes:
    """Power of the two-sided test against the true standardized size effect
    (``analyse.stats.sensitivity.power_curve``), with the MDE and the region of negligible
    effects marked.

    ``mde`` is the pair of magnitudes ``(mde_std_negative, mde_std_positive)``, marked at
    -negative and +positive where the curve crosses ``power``; a single number (``mde_std``,
    detected in both directions) is marked at ±mde."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 5.8))
    if sesoi is not None:
        ax.axvspan(
            -sesoi,
            sesoi,
            color=PALETTE["negligible"],
            alpha=REGION_ALPHA,
            label=m("figures.power.region", sesoi=m.number(sesoi, 2)),
        )
    ax.plot(curve["effect"], curve["power"], color=NEUTRAL, lw=2, label=m("figures.power.rejects"))
    if "negligible" in curve:
        ax.plot(
            curve["effect"],
            curve["negligible"],
            color=PALETTE["negligible"],
            lw=2,
            ls="-.",
            label=m("figures.power.negligible"),
        )
    ax.axhline(
        power, color=GREY, lw=1, ls=":", label=m("figures.power.level", power=m.percent(power))
    )
    ax.axhline(
        alpha, color=GREY, lw=1, ls="--", label=m("figures.power.alpha", alpha=m.number(alpha, 2))
    )
    if mde is not None:
        pair = isinstance(mde, tuple)
        negative, positive = mde if pair else (mde, mde)
        label = (
            m(
                "figures.power.mde_pair",
                negative=m.number(-negative, 2),
                positive=m.number(positive, 2, sign=True),
            )
            if pair
            else m("figures.power.mde_one", mde=m.number(positive, 2))
        )
        marks = [at for at in (-negative, positive) if np.isfinite(at)]  # NaN: none exists
        for i, at in enumerate(marks):
            ax.axvline(at, color=NEUTRAL, lw=1.5, ls="--", label=None if i else label)
    ax.set_ylim(0, 1.02)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles,
        [_wrap(label, 44) for label in labels],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=2,
        fontsize="small",
    )
    _label(ax, m("figures.power.title"), m("figures.power.x"), m("figures.power.y"))
    ax.yaxis.set_major_formatter(LocaleFormatter("percent"))
    return _done(ax)


def alt_power_curve(
    curve: pd.DataFrame,
    mde: float | tuple[float, float] | None = None,
    sesoi: float | None = None,
    power: float = 0.8,
) -> str:
    """Text alternative of ``power_curve``: from which true effect this sample detects size
    with the given power, against the region of negligible effects."""
    m = i18n.current()
    if mde is None:
        text = m(
            "figures.power.alt_range",
            low=m.percent(float(curve["power"].min())),
            high=m.percent(float(curve["power"].max())),
            first=m.number(float(curve["effect"].min()), 2, sign=True),
            last=m.number(float(curve["effect"].max()), 2, sign=True),
        )
    else:
        negative, positive = mde if isinstance(mde, tuple) else (mde, mde)
        if isinstance(mde, tuple) and negative != positive:
            text = m(
                "figures.power.alt_pair",
                power=m.percent(power),
                negative=m.number(-negative, 2),
                positive=m.number(positive, 2, sign=True),
            )
        else:
            text = m("figures.power.alt_one", power=m.percent(power), mde=m.number(positive, 2))
    if sesoi is not None:
        text += " " + m("figures.power.alt_region", sesoi=m.number(sesoi, 2))
    return text


# --------------------------------------------------------------------------- specification curve


def choice_label(column: str, value: object) -> str:
    """One analytic choice in words (``figures.specification.choices.<column>.<value>``)."""
    m = i18n.current()
    value = SHIPPED if value == SHIPPED else str(value)
    return m.get(f"figures.specification.choices.{column}.{value}", f"{column} = {value}")


def _choice_rows(curve: pd.DataFrame) -> list[tuple[str, str]]:
    """The (column, value) rows of the dot matrix: each choice of ``robustness.CHOICES`` the
    curve has, each value in the order CHOICES lists it (values it does not list last)."""
    rows = []
    for column, values in CHOICES.items():
        if column not in curve:
            continue
        present = [str(v) for v in pd.unique(curve[column].dropna())]
        known = [*values, SHIPPED] if column == "weights" else list(values)
        rows += [(column, v) for v in known if v in present]
        rows += [(column, v) for v in present if v not in known]
    return rows


def curve_in_points(curve: pd.DataFrame) -> pd.DataFrame | None:
    """Each specification's effect, interval and bound in index points for a tenfold
    population (columns ``effect``, ``low``, ``high``, ``bound``), converted with its own
    ``points_scale`` (``analyse.stats.robustness``): ``points_from_sesoi`` of each number.
    None when the curve has no ``points_scale`` (an older curve), or a scale is not positive."""
    if "points_scale" not in curve or len(curve) == 0:
        return None
    scale = curve["points_scale"].astype("float64")
    if not (np.isfinite(scale) & (scale > 0)).all():
        return None
    factor = LN10 / scale
    return pd.DataFrame(
        {
            "effect": curve["std_coef"] * factor,
            "low": curve["ci90_low"] * factor,
            "high": curve["ci90_high"] * factor,
            "bound": curve["sesoi"] * factor,
        },
        index=curve.index,
    )


def specification_curve(
    curve: pd.DataFrame, sesoi: float, alpha: float = 0.05, fig: Figure | None = None
) -> Axes:
    """The specification curve (Simonsohn, Simmons and Nelson 2020) of
    ``analyse.stats.robustness.specification_curve``: above, each specification's size effect
    with its (1 - 2 alpha) interval, sorted, marked by its verdict (colour and marker),
    against zero and the region of negligible effects (each specification's own bound); below,
    aligned on the same x, a dot matrix of the analytic choices each specification makes (one
    row per value of each choice). Every specification is drawn, however many.

    Effects are in index points for a tenfold population, the reader pages' one unit, when
    the curve gives each specification's scale (``curve_in_points``); else standardized, with
    the bound ``sesoi``. The title says how many specifications give the most frequent verdict
    and the range of the effects: the figure's message.

    Draws on ``fig`` (a new figure by default) and returns the axes of the estimates.
    """
    m = i18n.current()
    rows = _choice_rows(curve)
    points = curve_in_points(curve)
    phone = is_phone()
    if fig is None:
        width = max(9.0, min(14.0, 5.0 + 0.22 * len(curve)))
        height = 5.0 + 0.3 * len(rows)
        fig = plt.figure(
            figsize=(4.0, 4.5 + 0.62 * len(rows)) if phone else (width, height),
            layout="constrained",
        )
        _OWNED.add(fig)
    top, bottom = fig.subplots(
        2,
        1,
        sharex=True,
        gridspec_kw={"height_ratios": [3.0, max(1.0, (0.55 if phone else 0.3) * len(rows))]},
    )
    x = np.arange(len(curve))
    if points is not None:
        effect, low, high, bound = (points[c] for c in ("effect", "low", "high", "bound"))
    else:
        effect, low, high = curve["std_coef"], curve["ci90_low"], curve["ci90_high"]
        bound = pd.Series(float(sesoi), index=curve.index)
    if len(curve):
        edges = np.concatenate([[-0.5], x + 0.5])
        widths = np.concatenate([bound.to_numpy(dtype="float64"), [float(bound.iloc[-1])]])
        top.fill_between(
            edges, -widths, widths, step="post", color=PALETTE["negligible"], alpha=REGION_ALPHA
        )
        same = bool(np.allclose(bound, bound.iloc[0]))
        region = m(
            "figures.specification.region_points" if points is not None else
            "figures.specification.region",
            sesoi=m.number(float(bound.iloc[0]), 1 if points is not None else 2),
        ) if same else m("figures.specification.region_each")  # fmt: skip
        top.text(
            0.02,
            0.02,
            _wrap(region, _chars(60, 30)),
            transform=top.transAxes,
            ha="left",
            va="bottom",
            fontsize="small",
            color=REGION_TEXT,
        )
    top.axhline(0, color=NEUTRAL, lw=1, ls="--")
    verdicts = curve["verdict"].astype(str) if len(curve) else pd.Series([], dtype=str)
    ordered = [v for v in VERDICTS if (verdicts == v).any()]
    ordered += [v for v in pd.unique(verdicts) if v not in ordered]
    for verdict in ordered:
        part = (verdicts == verdict).to_numpy()
        style = verdict_style(verdict)
        top.vlines(x[part], low[part], high[part], color=style.colour, lw=1.5)
        top.plot(
            x[part],
            effect[part],
            linestyle="none",
            marker=style.marker,
            color=style.colour,
            markeredgecolor=NEUTRAL,
            markeredgewidth=0.5,
            markersize=6 if phone else 7,
            label=m(
                "figures.specification.verdict",
                label=verdict_label(verdict),
                count=m.integer(int(part.sum())),
            ),
        )
        for row, (column, value) in enumerate(rows):
            uses = part & (curve[column].astype(str) == value).to_numpy()
            bottom.plot(
                x[uses],
                np.full(int(uses.sum()), row),
                linestyle="none",
                marker=style.marker,
                color=style.colour,
                markeredgecolor=NEUTRAL,
                markeredgewidth=0.5,
                markersize=5 if phone else 6,
            )
    # the verdicts' key under both panels when they are several (one is said by the title)
    handles, labels = top.get_legend_handles_labels()
    if len(labels) > 1:
        fig.legend(
            handles,
            [_wrap(label, _chars(40, 24)) for label in labels],
            title=m("figures.specification.legend"),
            loc="outside lower center",
            ncols=min(_chars(3, 2), len(labels)),
            fontsize="small",
            title_fontsize="small",
        )
    level = m.percent(1 - 2 * alpha)
    title = _curve_message(curve, effect, points is not None) or m.choose(
        "figures.specification.title", len(curve), n=m.integer(len(curve))
    )
    _set_text(fig.suptitle(title, fontweight="bold"), title, _chars(90, 34))
    y_key = "figures.specification.y_points" if points is not None else "figures.specification.y"
    _set_text(top.yaxis.label, m(y_key, level=level), _chars(36, 24))
    _localize_axes(top)
    # the dot matrix: one row per choice value, a line between the choices
    bottom.set_yticks(range(len(rows)))
    bottom.set_yticklabels([_wrap(choice_label(c, v), _chars(48, 20)) for c, v in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    for row in range(1, len(rows)):
        if rows[row][0] != rows[row - 1][0]:
            bottom.axhline(row - 0.5, color=LIGHT, lw=1)
    bottom.grid(axis="y", visible=False)
    bottom.set_xlim(-0.7, len(curve) - 0.3)
    step = max(1, math.ceil(len(curve) / (8 if phone else 40)))
    bottom.set_xticks(x[::step])
    bottom.set_xticklabels([m.integer(i + 1) for i in x[::step]], fontsize="small")
    _set_text(bottom.xaxis.label, m("figures.specification.x"), _chars(80, 30))
    if not phone:  # on a phone the choices name themselves; the room goes to the curve
        _set_text(bottom.yaxis.label, m("figures.specification.y_choices"), 30)
    fit(fig)
    return top


def _curve_message(curve: pd.DataFrame, effect: pd.Series, in_points: bool) -> str | None:
    """The figure's message: how many specifications give the most frequent verdict, and the
    range of the effects (None for an empty curve)."""
    m = i18n.current()
    if curve.empty:
        return None
    counts = curve["verdict"].astype(str).value_counts()
    verdict = str(counts.index[0])
    unit, digits = ("points", 1) if in_points else ("std", 2)
    return m(
        f"figures.specification.message_{unit}",
        count=m.integer(int(counts.iloc[0])),
        n=m.integer(len(curve)),
        label=verdict_label(verdict),
        low=m.number(float(effect.min()), digits, sign=True),
        high=m.number(float(effect.max()), digits, sign=True),
    )


def alt_specification_curve(curve: pd.DataFrame, sesoi: float | None = None) -> str:
    """Text alternative of ``specification_curve``: how many specifications give each verdict
    (count and share) and the range of their estimates."""
    m = i18n.current()
    if curve.empty:
        return m("figures.specification.alt_empty")
    counts = curve["verdict"].astype(str).value_counts()
    order = [v for v in VERDICTS if v in counts.index] + [
        v for v in counts.index if v not in VERDICTS
    ]
    shares = [
        m.choose(
            "figures.specification.alt_share",
            int(counts[v]),
            number=m.integer(int(counts[v])),
            share=m.percent(counts[v] / len(curve)),
            label=verdict_label(v),
        )
        for v in order
    ]
    points = curve_in_points(curve)
    if points is not None:  # the figure's unit: points for a tenfold population
        return m(
            "figures.specification.alt_points",
            n=m.integer(len(curve)),
            shares=m("figures.list_separator").join(shares),
            low=m.number(float(points["effect"].min()), 1, sign=True),
            high=m.number(float(points["effect"].max()), 1, sign=True),
        )
    text = m(
        "figures.specification.alt",
        n=m.integer(len(curve)),
        shares=m("figures.list_separator").join(shares),
        low=m.number(float(curve["std_coef"].min()), 2, sign=True),
        high=m.number(float(curve["std_coef"].max()), 2, sign=True),
    )
    if sesoi is not None:
        text += " " + m("figures.specification.alt_region", sesoi=m.number(sesoi, 2))
    return text


def legend_markers(where: Axes | Figure) -> dict[str, tuple[str, str]]:
    """The (colour, marker) of each entry of the legend of an axes (or of a figure), by its
    text on one line: what a reader matches a mark with."""
    legend = where.get_legend() if isinstance(where, Axes) else next(iter(where.legends), None)
    if legend is None:
        return {}
    found = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        if isinstance(handle, Line2D):
            key = " ".join(text.get_text().replace("\u00a0", " ").split())
            found[key] = (to_hex(handle.get_color()), str(handle.get_marker()))
    return found
