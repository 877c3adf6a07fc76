"""The report's figures: matplotlib on the tables of ``analyse.report.tables``, in the report's
language.

Every function takes a tidy DataFrame (or a results object) and an optional ``ax``, draws on it
and returns the ``Axes``; none calls ``plt.show()``. Readers are French-speaking elected
officials, directors of digital services and journalists, so every word of a figure (title,
axes, legend, annotations) comes from the catalogue of the current language
(``analyse.report.i18n.current()``, ``messages/<lang>/figures.yaml``) and every number from its
formats (a decimal comma on French axes, log axes included). Group figures hide groups of fewer
than ``min_cell`` respondents, as the tables do.

Three rules hold across all figures:

- **Nothing is cut.** Labels are wrapped to the width the figure gives them and a figure this
  module creates grows until its tight bounding box lies inside its canvas (``fit``), under
  matplotlib's constrained layout.
- **One meaning per colour** (``PALETTE``): a verdict is told by its Okabe-Ito colour *and*
  its marker (``VERDICT_STYLES``), which readers with any colour vision can tell apart; size,
  wherever it is compared with other terms, has one highlight colour that no verdict uses;
  everything else is grey.
- **Readable log axes**: at least three labelled ticks in range, in plain numbers
  (``log_ticks``), never powers of ten.

Each figure has an ``alt_<figure>`` function giving its text alternative: the figure's message
in one or two sentences computed from the same data (``show_figure(fig, alt=...)``).
"""

from __future__ import annotations

import math
import re
import textwrap
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, Formatter, NullLocator, ScalarFormatter
from scipy import stats

from analyse.data.codebook import Codebook
from analyse.report import i18n
from analyse.report.disclosure import suppression_labels
from analyse.report.escape import mpl_text
from analyse.report.groups import unavailable, with_groups
from analyse.stats.equivalence import VERDICTS, SizeTest, equivalence_interval
from analyse.stats.regression import OUTCOME
from analyse.stats.robustness import CHOICES, SHIPPED

# --------------------------------------------------------------------------- palette

# Okabe & Ito (2008), "Color universal design": eight colours told apart under every common
# colour-vision deficiency.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "bluish_green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "reddish_purple": "#cc79a7",
}


@dataclass(frozen=True)
class Style:
    """How a verdict is drawn: a colour and a marker, so that neither alone carries it."""

    colour: str
    marker: str


VERDICT_STYLES: dict[str, Style] = {
    "negligible": Style(OKABE_ITO["bluish_green"], "o"),
    "significant_but_negligible": Style(OKABE_ITO["sky_blue"], "s"),
    "decisive": Style(OKABE_ITO["vermillion"], "^"),
    "significant_undetermined": Style(OKABE_ITO["orange"], "D"),
    "inconclusive": Style(OKABE_ITO["reddish_purple"], "X"),
}
SIZE_COLOUR = OKABE_ITO["blue"]  # size, wherever it is compared with other terms; no verdict
NEUTRAL = "#333333"  # data points, other predictors, intervals, reference lines
GREY = "#8c8c8c"  # secondary reference lines (power level, alpha)
LIGHT = "#d0d0d0"  # context: box fills, the published reference bars
# One meaning per colour: what each colour says, in every figure. The region of negligible
# effects (±SESOI) is drawn in the "negligible" colour because it is what that verdict means.
PALETTE: dict[str, str] = {
    **{verdict: style.colour for verdict, style in VERDICT_STYLES.items()},
    "size": SIZE_COLOUR,
    "neutral": NEUTRAL,
    "grey": GREY,
    "light": LIGHT,
}
REGION_ALPHA = 0.15  # the ±SESOI band, light enough for the marks on top of it
TYPE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")


def verdict_style(verdict: str) -> Style:
    """The colour and marker of a verdict (a verdict unknown to this module is drawn neutral)."""
    return VERDICT_STYLES.get(verdict, Style(NEUTRAL, "o"))


def verdict_label(verdict: str) -> str:
    """The verdict's words for readers (``verdicts.<verdict>.label``)."""
    return i18n.current().get(f"verdicts.{verdict}.label", verdict)


# --------------------------------------------------------------------------- numbers


def _decimals(values: Sequence[float]) -> int:
    """The fewest decimals (0-4) that write every value exactly (0.25 -> 2, 10 -> 0)."""
    finite = [v for v in values if math.isfinite(v)]
    for digits in range(5):
        if all(abs(v - round(v, digits)) <= 1e-9 * max(1.0, abs(v)) for v in finite):
            return digits
    return 4


class LocaleFormatter(Formatter):
    """Tick labels in the report's language: decimal comma and true minus sign in French,
    ``kind`` "number", "percent" (ticks are shares 0-1) or "euros".

    With ``common`` the ticks of an axis share their number of decimals (0,0 0,5 1,0 reads
    better than 0 0,5 1); a log axis writes each tick with its own (0,5 1 2).
    """

    def __init__(self, kind: str = "number", common: bool = True):
        self.kind = kind
        self.common = common

    def _scaled(self, x: float) -> float:
        return 100.0 * x if self.kind == "percent" else x

    def _text(self, x: float, digits: int) -> str:
        m = i18n.current()
        if self.kind == "percent":
            return m.percent(x, digits)
        if self.kind == "euros":
            return m.euros(x, digits)
        return m.number(x, digits)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._text(x, _decimals([self._scaled(x)]))

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        if not self.common:
            return [self(v) for v in values]
        digits = _decimals([self._scaled(v) for v in values])
        return [self._text(v, digits) for v in values]


# Mantissas of log ticks, coarsest first: the first set that puts at least three ticks in the
# axis's range is used, so a narrow range (odds ratios 0.8 to 1.3) gets 0.8 0.9 1 1.1 1.2.
_MANTISSAS: tuple[tuple[float, ...], ...] = (
    (1.0,),
    (1.0, 2.0, 5.0),
    (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
    (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0),
    (
        *(round(1.0 + 0.1 * i, 1) for i in range(10)),
        2.0,
        2.5,
        3.0,
        3.5,
        4.0,
        5.0,
        6.0,
        7.0,
        8.0,
        9.0,
    ),
    tuple(round(1.0 + 0.1 * i, 1) for i in range(90)),
)


def log_ticks(low: float, high: float, at_least: int = 3, at_most: int = 9) -> list[float]:
    """Between ``at_least`` and ``at_most`` round ticks in [low, high] for a log axis.

    Raises ``ValueError`` unless 0 < low < high. A range too narrow for any round mantissa
    (less than 1 % wide) gets evenly spaced ticks.
    """
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(f"a log axis needs 0 < low < high, got {low!r} and {high!r}")
    decades = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
    for mantissas in _MANTISSAS:
        candidates = {round(m * 10.0**e, 12) for e in decades for m in mantissas}
        ticks = sorted(t for t in candidates if low <= t <= high)
        if len(ticks) >= at_least:
            return ticks[:: math.ceil(len(ticks) / at_most)]
    return [float(t) for t in np.geomspace(low, high, at_least)]


def _log_axis(ax: Axes, low: float, high: float, kind: str = "number") -> None:
    """A log x axis on [low, high] with ``log_ticks`` labelled in the report's language."""
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(low, high)))
    ax.xaxis.set_major_formatter(LocaleFormatter(kind, common=False))
    ax.xaxis.set_minor_locator(NullLocator())


def _localize_axes(ax: Axes) -> None:
    """Number ticks through the report's language wherever matplotlib's default formatter is
    still in place (categorical and log axes have their own)."""
    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_formatter(), ScalarFormatter):
            axis.set_major_formatter(LocaleFormatter())


# --------------------------------------------------------------------------- layout

# Figures this module created (and may therefore resize), and the unwrapped text of every
# title and label it set (to rewrap it to the width the layout leaves).
_OWNED: weakref.WeakSet[Figure] = weakref.WeakSet()
_FITTED: weakref.WeakSet[Figure] = weakref.WeakSet()  # laid out by fit (see is_fitted)
_RAW: weakref.WeakKeyDictionary[Text, str] = weakref.WeakKeyDictionary()


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.8)) -> Axes:
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    _OWNED.add(fig)
    return fig.add_subplot()


# French puts a space before ":" ";" "!" "?" "»" and after "«": a line must not start or end
# there, so it is a non-breaking one (textwrap breaks at ASCII whitespace only).
_NO_BREAK = re.compile(r"(?<=«) | (?=[:;!?»])")


def _wrap(label: object, width: int = 22) -> str:
    """A label in lines of at most ``width`` characters (words are not cut), with every ``$``
    escaped for matplotlib (labels come from the codebook and the data: ``$x^$`` would be
    parsed as math and fail)."""
    text = _NO_BREAK.sub("\u00a0", str(label))
    lines = [
        "\n".join(textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False))
        for part in text.split("\n")
    ]
    return mpl_text("\n".join(lines) or text)


def _set_text(text: Text, raw: str, width: int) -> None:
    """Set a title or label wrapped at ``width``, remembering the raw text for ``fit``."""
    _RAW[text] = raw
    text.set_text(_wrap(raw, width))


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Title and axis labels, wrapped for an 8-inch figure (``fit`` rewraps what still does not
    fit), and the numbers of the axes in the report's language."""
    _set_text(ax.title, title, 60)
    _set_text(ax.xaxis.label, xlabel, 75)
    _set_text(ax.yaxis.label, ylabel, 40)
    _localize_axes(ax)
    return ax


def _overflow(text: Text, fig: Figure, renderer: Any) -> float:
    """How much wider (or, for a vertical label, taller) than its room the text is, as a
    ratio > 1; its room is the figure less a small margin."""
    box = text.get_window_extent(renderer)
    vertical = text.get_rotation() % 180 == 90
    room = (fig.bbox.height if vertical else fig.bbox.width) * 0.96
    size = box.height if vertical else box.width
    low, high = (box.y0, box.y1) if vertical else (box.x0, box.x1)
    limit = fig.bbox.height if vertical else fig.bbox.width
    if low < 0 or high > limit:
        return max(size / room, 1.05)
    return size / room


def fit(fig: Figure | Axes, rounds: int = 8) -> Figure:
    """Lay the figure out so that nothing is cut, and return it.

    Each round runs the layout (a draw) and then either rewraps a title or label that
    overflows the canvas to fewer characters per line, or, for a figure this module created,
    grows the canvas by what still overflows (wide tick labels, a legend beside the axes). A
    figure drawn on the caller's axes is never resized: only its texts are rewrapped.

    On return the canvas holds the figure as returned, drawn, and the figure is not stale:
    ``analyse.report.notebook.show_figure`` shows those pixels without drawing or fitting the
    figure again, unless something changed it since (which marks it stale).
    """
    figure = fig.get_figure(root=True) if isinstance(fig, Axes) else fig
    assert figure is not None
    for _ in range(rounds):
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        rewrapped = False
        for text, raw in list(_RAW.items()):
            if text.get_figure(root=True) is not figure or not text.get_text():
                continue
            ratio = _overflow(text, figure, renderer)
            if ratio > 1:
                chars = max(len(line) for line in text.get_text().split("\n"))
                width = max(10, int(chars / ratio) - 2)
                if width < chars:
                    text.set_text(_wrap(raw, width))
                    rewrapped = True
        if rewrapped:
            continue
        box = figure.get_tightbbox(renderer)
        if box is None:
            break
        width, height = figure.get_size_inches()
        grow_w = max(0.0, -box.x0) + max(0.0, box.x1 - width)
        grow_h = max(0.0, -box.y0) + max(0.0, box.y1 - height)
        if grow_w < 0.01 and grow_h < 0.01:
            break
        if figure not in _OWNED:
            break
        figure.set_size_inches(
            width + (grow_w + 0.15 if grow_w >= 0.01 else 0),
            height + (grow_h + 0.15 if grow_h >= 0.01 else 0),
        )
    else:  # the rounds ran out after a change: the canvas is drawn as returned all the same
        figure.canvas.draw()
    # Measuring the layout (get_tightbbox) marked the figure stale, yet changed nothing drawn.
    figure.stale = False
    _FITTED.add(figure)
    return figure


def is_fitted(figure: Figure) -> bool:
    """Whether ``fit`` laid the figure out and nothing changed it since: its canvas then shows
    it as it is (any change to a figure marks it stale)."""
    return figure in _FITTED and not figure.stale


def _done(ax: Axes) -> Axes:
    fit(ax)
    return ax


def _not_drawn(ax: Axes, title: str, xlabel: str, ylabel: str, reason: str) -> Axes:
    """An empty figure that says why it is empty, in its title too (so in its text
    alternative): a survey without a budget column gets a report that says so, not an error."""
    m = i18n.current()
    ax.text(
        0.5,
        0.5,
        _wrap(m("figures.not_drawn", reason=reason), 60),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color=NEUTRAL,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    _label(ax, m("figures.not_drawn_title", title=title, reason=reason), xlabel, ylabel)
    return _done(ax)


def not_drawn_alt(title: str, reason: str) -> str:
    """The text alternative of a figure that is not drawn: its title and why."""
    return i18n.current()("figures.not_drawn_title", title=title, reason=reason)


# --------------------------------------------------------------------------- descriptives

GROUP_FIGURES: dict[str, str] = {  # grouping column -> key of its figure in figures.yaml
    "size_band": "size_band",
    "type_label": "type",
    "sponsorship": "sponsorship",
    "budget_band": "budget_band",
}


@dataclass(frozen=True)
class _Groups:
    """The groups of one box plot: their order, counts, what is said instead of a hidden
    group's count ("" when shown), and the values of the shown groups."""

    order: list[str]
    counts: pd.Series
    suppressed: pd.Series
    values: pd.DataFrame
    min_cell: int

    def hidden(self, group: str) -> bool:
        return bool(self.suppressed[group])

    def protecting(self, group: str) -> bool:
        """Hidden although large enough: hidden so that a smaller group cannot be deduced."""
        return self.hidden(group) and int(self.counts[group]) >= self.min_cell

    @property
    def shown(self) -> pd.DataFrame:
        return self.values[self.values["group"].isin([g for g in self.order if not self.hidden(g)])]


def _groups(scored: pd.DataFrame, column: str, min_cell: int) -> _Groups | str:
    """The groups of ``column`` (``analyse.report.groups``), or why they cannot be formed."""
    data = with_groups(scored) if column not in scored.columns else scored
    if column not in data.columns:
        return unavailable(scored, column)
    data = data.loc[data[OUTCOME].notna() & data[column].notna(), [column, OUTCOME]]
    groups = data[column]
    if isinstance(groups.dtype, pd.CategoricalDtype):
        order = [str(c) for c in groups.cat.categories]
    else:
        order = sorted(groups.astype(str).unique())
    values = pd.DataFrame({"group": groups.astype(str), OUTCOME: data[OUTCOME].astype("float64")})
    counts = values["group"].value_counts().reindex(order, fill_value=0)
    order = [g for g in order if counts[g] > 0]
    counts = counts[order]
    return _Groups(order, counts, suppression_labels(counts, min_cell), values, min_cell)


def _maturity_by(
    scored: pd.DataFrame,
    column: str,
    min_cell: int,
    ax: Axes | None,
    title: str,
    xlabel: str,
) -> Axes:
    """Box plot and points of the maturity index per group; small groups are named, not drawn,
    and so is a group hidden to protect a smaller one (``analyse.report.disclosure``)."""
    m = i18n.current()
    ax = _axes(ax)
    index_label = m("terms.index")
    found = _groups(scored, column, min_cell)
    if isinstance(found, str):
        return _not_drawn(ax, title, xlabel, index_label, found)
    shown = found.shown
    order = found.order
    positions = [i for i, g in enumerate(order) if not found.hidden(g)]
    if positions:
        # matplotlib's boxplot rather than seaborn's, which passes a deprecated argument to
        # matplotlib 3.11 and would print a warning into every report.
        ax.boxplot(
            [shown.loc[shown["group"] == order[i], OUTCOME].to_numpy() for i in positions],
            positions=positions,
            widths=0.6,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": LIGHT, "edgecolor": GREY},
            medianprops={"color": NEUTRAL, "linewidth": 1.5},
            whiskerprops={"color": GREY},
            capprops={"color": GREY},
        )
    ax.set_xlim(-0.6, len(order) - 0.4)
    # Points jittered with a fixed seed, so that the same data give the same figure.
    rng = np.random.default_rng(0)
    position = {g: i for i, g in enumerate(order)}
    x = shown["group"].map(position).to_numpy(dtype="float64")
    ax.scatter(
        x + rng.uniform(-0.18, 0.18, len(x)),
        shown[OUTCOME],
        s=14,
        color=NEUTRAL,
        alpha=0.7,
        zorder=3,
    )
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels([_group_tick(found, g) for g in order])
    ax.set_ylim(0, 100)
    _label(ax, title, xlabel, index_label)
    return _done(ax)


def _group_tick(found: _Groups, group: str) -> str:
    m = i18n.current()
    name = _wrap(group, 16)
    if not found.hidden(group):
        return f"{name}\n{m('figures.groups.n', n=m.integer(found.counts[group]))}"
    reason = str(found.suppressed[group])
    if found.protecting(group):
        return f"{name}\n({_wrap(reason, 18)})"
    return f"{name}\n({_wrap(m('figures.groups.hidden', reason=reason), 18)})"


def _group_figure(scored: pd.DataFrame, column: str, min_cell: int, ax: Axes | None) -> Axes:
    m = i18n.current()
    key = GROUP_FIGURES[column]
    return _maturity_by(
        scored, column, min_cell, ax, m(f"figures.{key}.title"), m(f"figures.{key}.x")
    )


def maturity_by_size_band(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index per population band (<20k ... 250k+ inhabitants)."""
    return _group_figure(scored, "size_band", min_cell, ax)


def maturity_by_type(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index per collectivity type, smallest kind first."""
    return _group_figure(scored, "type_label", min_cell, ax)


def maturity_by_sponsorship(
    scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None
) -> Axes:
    """Maturity index per political sponsorship (elected digital lead, adopted strategy)."""
    return _group_figure(scored, "sponsorship", min_cell, ax)


def maturity_by_budget_band(
    scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None
) -> Axes:
    """Maturity index per band of spending per inhabitant."""
    return _group_figure(scored, "budget_band", min_cell, ax)


def _alt_maturity_by(scored: pd.DataFrame, column: str, min_cell: int) -> str:
    """The medians of the shown groups, lowest and highest named, and how many are hidden."""
    m = i18n.current()
    key = GROUP_FIGURES[column]
    title = m(f"figures.{key}.title")
    found = _groups(scored, column, min_cell)
    if isinstance(found, str):
        return not_drawn_alt(title, found)
    shown = [g for g in found.order if not found.hidden(g)]
    medians = found.shown.groupby("group")[OUTCOME].median()
    parts = [
        m(
            "figures.groups.alt_group",
            group=g,
            median=m.number(float(medians[g]), 0),
            n=m.integer(found.counts[g]),
        )
        for g in shown
    ]
    text = (
        m("figures.groups.alt", title=title, groups=m("figures.list_separator").join(parts))
        if parts
        else m("figures.groups.alt_nothing", title=title)
    )
    hidden = len(found.order) - len(shown)
    if hidden:
        text += " " + m.choose("figures.groups.alt_hidden", hidden, number=m.integer(hidden))
    return text


def alt_maturity_by_size_band(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_by_size_band``: the median index of each band."""
    return _alt_maturity_by(scored, "size_band", min_cell)


def alt_maturity_by_type(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_by_type``: the median index of each type."""
    return _alt_maturity_by(scored, "type_label", min_cell)


def alt_maturity_by_sponsorship(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_by_sponsorship``: the median index of each group."""
    return _alt_maturity_by(scored, "sponsorship", min_cell)


def alt_maturity_by_budget_band(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_by_budget_band``: the median index of each band."""
    return _alt_maturity_by(scored, "budget_band", min_cell)


UNKNOWN_TYPE = "Type not given"


@dataclass(frozen=True)
class _Scatter:
    """The respondents ``maturity_vs_budget`` draws, and its title (which names who is not)."""

    data: pd.DataFrame
    typed: bool
    title: str
    not_drawn: str  # why nothing is drawn ("" when something is)


def _budget_scatter(scored: pd.DataFrame, min_cell: int) -> _Scatter:
    m = i18n.current()
    data = with_groups(scored)
    title = m("figures.budget.title")
    if "budget_band" not in data.columns:  # no budget column: say so rather than fail
        return _Scatter(data, False, title, unavailable(scored, "budget_band"))
    data = data[data[OUTCOME].notna() & data["budget_per_capita"].notna()].copy()
    data["budget_per_capita"] = data["budget_per_capita"].astype("float64")
    data[OUTCOME] = data[OUTCOME].astype("float64")
    typed = "type_label" in data.columns
    if typed:
        types = data["type_label"]
        if types.isna().any():
            unknown = m("figures.budget.unknown_type")
            types = types.cat.add_categories([unknown]).fillna(unknown)
        data["type_label"] = types.cat.remove_unused_categories()
        counts = data["type_label"].value_counts(sort=False)
    else:  # no type column: the respondents form one group
        counts = pd.Series({m("figures.budget.everyone"): len(data)})
    suppressed = suppression_labels(counts, min_cell)
    left_out = [f"{group} ({suppressed[group]})" for group in counts.index if suppressed[group]]
    if left_out:
        shown = [group for group in counts.index if not suppressed[group]]
        if not shown:  # every group is too small (complementary suppression needs two shown)
            key = "too_small_typed" if typed else "too_small"
            reason = m(f"figures.budget.{key}", min_cell=m.integer(min_cell))
            return _Scatter(data.iloc[:0], typed, title, reason)
        title = m("figures.budget.title_left_out", title=title, groups=", ".join(left_out))
        data = data[data["type_label"].isin(shown)].copy()
        data["type_label"] = data["type_label"].cat.remove_unused_categories()
    return _Scatter(data, typed, title, "")


def maturity_vs_budget(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index against spending per inhabitant (log scale), one point per respondent,
    told apart by collectivity type (marker and shade of grey: colours are kept for verdicts
    and size), with the least-squares line of the index on ln(spending).

    Points are drawn for the collectivity types a table may show only: a type with fewer than
    ``min_cell`` respondents in the figure, and a type hidden to protect it (complementary
    suppression, ``analyse.report.disclosure``), are not drawn, and the title names them and
    why (so the figure's text alternative does too). The line is fitted on the points drawn.
    """
    m = i18n.current()
    ax = _axes(ax, (8.0, 4.8))
    xlabel = m("figures.budget.x")
    index_label = m("terms.index")
    scatter = _budget_scatter(scored, min_cell)
    if scatter.not_drawn:
        return _not_drawn(ax, scatter.title, xlabel, index_label, scatter.not_drawn)
    data = scatter.data
    if scatter.typed:
        groups = [
            (str(t), data[data["type_label"] == t]) for t in data["type_label"].cat.categories
        ]
    else:
        groups = [(m("figures.budget.everyone"), data)]
    shades = np.linspace(0.55, 0.1, len(groups)) if len(groups) > 1 else [0.2]
    for (name, part), shade, marker in zip(groups, shades, TYPE_MARKERS * 3, strict=False):
        ax.scatter(
            part["budget_per_capita"],
            part[OUTCOME],
            s=36,
            color=str(round(float(shade), 2)),
            marker=marker,
            edgecolors="white",
            linewidths=0.4,
            label=_wrap(name, 30),
        )
    if len(data) > 2:
        slope, intercept = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)
        grid = np.geomspace(data["budget_per_capita"].min(), data["budget_per_capita"].max(), 50)
        ax.plot(
            grid,
            intercept + slope * np.log(grid),
            color=NEUTRAL,
            lw=1.5,
            label=_wrap(m("figures.budget.fit"), 30),
        )
    low, high = float(data["budget_per_capita"].min()), float(data["budget_per_capita"].max())
    _log_axis(ax, low / 1.1, high * 1.1, kind="euros")
    ax.set_ylim(0, 100)
    ax.legend(
        title=_wrap(m("terms.collectivity_type"), 30) if scatter.typed else None,
        fontsize="small",
        title_fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    _label(ax, scatter.title, xlabel, index_label)
    return _done(ax)


def alt_maturity_vs_budget(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_vs_budget``: how much the index changes, on the fitted
    line, when spending per inhabitant doubles, and who is not drawn."""
    m = i18n.current()
    scatter = _budget_scatter(scored, min_cell)
    if scatter.not_drawn:
        return not_drawn_alt(scatter.title, scatter.not_drawn)
    data = scatter.data
    text = scatter.title + "."
    if len(data) > 2:
        slope, _ = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)
        text += " " + m(
            "figures.budget.alt",
            n=m.integer(len(data)),
            change=m.number(float(slope) * math.log(2), 1, sign=True),
        )
    return text


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
    """Published 2025 share per theme next to this survey's (``tables.published_comparison``);
    with ``codebook``, themes are named in the report's language."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 5.2))
    title, xlabel, ylabel = (m(f"figures.published.{k}") for k in ("title", "x", "y"))
    if comparison.attrs.get("not_shown"):  # another survey's codebook: nothing to compare
        reason = comparison.attrs["not_shown"].removeprefix("not shown: ")
        return _not_drawn(ax, title, xlabel, ylabel, reason)
    labels = _theme_labels(comparison, codebook)
    y = np.arange(len(comparison))[::-1]
    height = 0.38
    bars = [
        ("published_2025", m("figures.published.published"), LIGHT, +height / 2),
        ("this_survey", m("figures.published.survey"), NEUTRAL, -height / 2),
    ]
    for column, name, colour, offset in bars:
        values = comparison[column].astype("float64").to_numpy()
        container = ax.barh(y + offset, values, height=height, color=colour, label=name)
        ax.bar_label(
            container,
            labels=[m.number(v, 0) if math.isfinite(v) else "" for v in values],
            padding=2,
            fontsize="small",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, 24) for label in labels])
    ax.set_xlim(0, 105)
    ax.legend(title=None, loc="lower right", fontsize="small")
    _label(ax, title, xlabel, ylabel)
    return _done(ax)


def alt_published_vs_survey(comparison: pd.DataFrame, codebook: Codebook | None = None) -> str:
    """Text alternative of ``published_vs_survey``: the range of the gaps between this survey
    and the published barometer, and the theme of the largest."""
    m = i18n.current()
    title = m("figures.published.title")
    if comparison.attrs.get("not_shown"):
        return not_drawn_alt(title, comparison.attrs["not_shown"].removeprefix("not shown: "))
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


def size_coefficients(effects: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Marginal and conditional size coefficients with their intervals (``tables.size_effects``:
    its first row is size alone, its second size with the other terms held fixed)."""
    m = i18n.current()
    ax = _axes(ax, (8.0, 3.6))
    y = np.arange(len(effects))[::-1]
    ax.errorbar(
        effects["coef"],
        y,
        xerr=[effects["coef"] - effects["low"], effects["high"] - effects["coef"]],
        fmt="o",
        color=SIZE_COLOUR,
        ecolor=NEUTRAL,
        capsize=4,
        markersize=7,
    )
    ax.axvline(0, color=NEUTRAL, lw=1, ls="--")
    for yi, coef in zip(y, effects["coef"], strict=True):
        ax.annotate(
            m.number(float(coef), 1, sign=True),
            (coef, yi),
            xytext=(0, 8),
            textcoords="offset points",
            ha="center",
        )
    names = [m("figures.size_coefficients.marginal"), m("figures.size_coefficients.conditional")]
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(n, 24) for n in (names + list(effects.index))[: len(effects)]])
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    # room for the annotations and the caps at both ends
    low, high = float(effects["low"].min()), float(effects["high"].max())
    pad = 0.08 * max(high - low, 1e-9)
    ax.set_xlim(min(low, 0.0) - pad, max(high, 0.0) + pad)
    _label(
        ax,
        m("figures.size_coefficients.title"),
        m("figures.size_coefficients.x"),
        m("figures.size_coefficients.y"),
    )
    return _done(ax)


def alt_size_coefficients(effects: pd.DataFrame) -> str:
    """Text alternative of ``size_coefficients``: the two effects and their intervals."""
    m = i18n.current()
    rows = [effects.iloc[i] for i in range(min(len(effects), 2))]
    if len(rows) < 2:
        return m("figures.size_coefficients.title")

    def n(x: float) -> str:
        return m.number(float(x), 1, sign=True)

    return m(
        "figures.size_coefficients.alt",
        marginal=n(rows[0]["coef"]),
        marginal_low=n(rows[0]["low"]),
        marginal_high=n(rows[0]["high"]),
        conditional=n(rows[1]["coef"]),
        conditional_low=n(rows[1]["low"]),
        conditional_high=n(rows[1]["high"]),
    )


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
    return i18n.current().get(f"terms.{key}", fallback)


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
    themes: pd.DataFrame, ax: Axes | None = None, codebook: Codebook | None = None
) -> Axes:
    """Size's odds ratio in each theme's ordinal model with 95 % CI and Holm-adjusted p
    (``tables.theme_table``); a theme whose model has no estimate is listed as "not
    estimable" in the margin, with no mark. With ``codebook``, themes are named in the
    report's language."""
    m = i18n.current()
    ax = _axes(ax, (8.5, 4.8))
    y = np.arange(len(themes))[::-1]
    estimated = themes["odds_ratio"].notna().to_numpy()
    ax.errorbar(
        themes["odds_ratio"][estimated],
        y[estimated],
        xerr=[
            (themes["odds_ratio"] - themes["low"])[estimated],
            (themes["high"] - themes["odds_ratio"])[estimated],
        ],
        fmt="s",
        color=SIZE_COLOUR,
        ecolor=NEUTRAL,
        capsize=3,
    )
    ax.axvline(1, color=NEUTRAL, lw=1, ls="--")
    low, high = themes["low"].min(), themes["high"].max()
    if estimated.any() and np.isfinite([low, high]).all() and low > 0:
        low, high = min(float(low), 1.0) / 1.15, max(float(high), 1.0) * 1.15
    else:  # no theme estimated: a neutral range around 1
        low, high = 0.25, 4.0
    _log_axis(ax, low, high)
    for yi, p, ok in zip(y, themes["p_holm"], estimated, strict=True):
        # in the margin right of the axes (x in axes fraction, y in data units)
        text = (
            m("figures.forest.holm", p=m.p_value(float(p)))
            if ok and pd.notna(p)
            else m("figures.forest.not_estimable")
            if not ok
            else ""
        )
        ax.text(1.02, yi, text, va="center", fontsize="small", transform=ax.get_yaxis_transform())
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, 26) for label in _theme_labels(themes, codebook)])
    ax.set_ylim(-0.6, len(themes) - 0.4)
    _label(ax, m("figures.forest.title"), m("figures.forest.x"), m("figures.forest.y"))
    return _done(ax)


def alt_theme_forest(
    themes: pd.DataFrame, alpha: float = 0.05, codebook: Codebook | None = None
) -> str:
    """Text alternative of ``theme_forest``: the range of size's odds ratios over the themes
    and which are significant at ``alpha`` after Holm's correction."""
    m = i18n.current()
    labels = pd.Series(_theme_labels(themes, codebook), index=themes.index)
    estimated = themes[themes["odds_ratio"].notna()]
    if estimated.empty:
        return m("figures.forest.alt_none")
    lowest, highest = estimated["odds_ratio"].idxmin(), estimated["odds_ratio"].idxmax()
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
    missing = len(themes) - len(estimated)
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


def specification_curve(
    curve: pd.DataFrame, sesoi: float, alpha: float = 0.05, fig: Figure | None = None
) -> Axes:
    """The specification curve (Simonsohn, Simmons and Nelson 2020) of
    ``analyse.stats.robustness.specification_curve``: above, each specification's standardized
    size effect with its (1 - 2 alpha) interval, sorted, marked by its verdict (colour and
    marker), against zero and the region of negligible effects ±sesoi; below, aligned on the
    same x, a dot matrix of the analytic choices each specification makes (one row per value
    of each choice). Every specification is drawn, however many.

    Draws on ``fig`` (a new figure by default) and returns the axes of the estimates.
    """
    m = i18n.current()
    rows = _choice_rows(curve)
    if fig is None:
        width = max(9.0, min(14.0, 5.0 + 0.22 * len(curve)))
        fig = plt.figure(figsize=(width, 5.0 + 0.3 * len(rows)), layout="constrained")
        _OWNED.add(fig)
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3.0, max(1.0, 0.3 * len(rows))]}
    )
    x = np.arange(len(curve))
    top.axhspan(
        -sesoi,
        sesoi,
        color=PALETTE["negligible"],
        alpha=REGION_ALPHA,
        label=m("figures.specification.region", sesoi=m.number(sesoi, 2)),
    )
    top.axhline(0, color=NEUTRAL, lw=1, ls="--")
    verdicts = curve["verdict"].astype(str) if len(curve) else pd.Series([], dtype=str)
    ordered = [v for v in VERDICTS if (verdicts == v).any()]
    ordered += [v for v in pd.unique(verdicts) if v not in ordered]
    for verdict in ordered:
        part = (verdicts == verdict).to_numpy()
        style = verdict_style(verdict)
        top.vlines(
            x[part],
            curve.loc[part, "ci90_low"],
            curve.loc[part, "ci90_high"],
            color=style.colour,
            lw=1.5,
        )
        top.plot(
            x[part],
            curve.loc[part, "std_coef"],
            linestyle="none",
            marker=style.marker,
            color=style.colour,
            markeredgecolor=NEUTRAL,
            markeredgewidth=0.5,
            markersize=7,
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
                markersize=6,
            )
    # the legend under both panels, across the figure: beside the axes it would leave the
    # curve a narrow strip (and constrained layout does not stack it under a suptitle)
    handles, labels = top.get_legend_handles_labels()
    fig.legend(
        handles,
        [_wrap(label, 40) for label in labels],
        title=m("figures.specification.legend"),
        loc="outside lower center",
        ncols=min(3, len(labels)),
        fontsize="small",
        title_fontsize="small",
    )
    level = m.percent(1 - 2 * alpha)
    title = m.choose("figures.specification.title", len(curve), n=m.integer(len(curve)))
    _set_text(fig.suptitle(title, fontweight="bold"), title, 90)
    _set_text(top.yaxis.label, m("figures.specification.y", level=level), 36)
    _localize_axes(top)
    # the dot matrix: one row per choice value, a line between the choices
    bottom.set_yticks(range(len(rows)))
    bottom.set_yticklabels([_wrap(choice_label(c, v), 48) for c, v in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    for row in range(1, len(rows)):
        if rows[row][0] != rows[row - 1][0]:
            bottom.axhline(row - 0.5, color=LIGHT, lw=1)
    bottom.grid(axis="y", visible=False)
    bottom.set_xlim(-0.7, len(curve) - 0.3)
    bottom.set_xticks(x)
    bottom.set_xticklabels([m.integer(i + 1) for i in x], fontsize="small")
    _set_text(bottom.xaxis.label, m("figures.specification.x"), 80)
    _set_text(bottom.yaxis.label, m("figures.specification.y_choices"), 30)
    fit(fig)
    return top


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
