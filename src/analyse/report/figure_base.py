"""What every figure of the report shares: the palette, numbers in the report's language,
readable log axes, and a layout in which nothing is cut.

``analyse.report.plots`` (the figures of the claim and of data quality) and
``analyse.report.descriptive_figures`` (the figures of notebook 2) draw with these; ``plots``
re-exports the public names, so ``plots.PALETTE`` or ``plots.fit`` keep working.

Three rules hold across all figures:

- **Nothing is cut.** Labels are wrapped to the width the figure gives them and a figure this
  module creates grows until its tight bounding box lies inside its canvas (``fit``), under
  matplotlib's constrained layout.
- **One meaning per colour** (``PALETTE``): a verdict is told by its Okabe-Ito colour *and*
  its marker (``VERDICT_STYLES``), which readers with any colour vision can tell apart; size,
  wherever it is compared with other terms, has one highlight colour that no verdict uses;
  everything else is grey. The figures that describe the data draw no verdict: there each
  collectivity type has its own colour and marker (``type_style``).
- **Readable log axes**: at least three labelled ticks in range, in plain numbers
  (``log_ticks``), never powers of ten.
"""

from __future__ import annotations

import contextlib
import math
import re
import textwrap
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, Formatter, NullLocator, ScalarFormatter

from analyse.report import i18n
from analyse.report.escape import mpl_text

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
REGION_TEXT = "#00664a"  # the band's words, on the band: the negligible colour, darkened to 4.5:1
TYPE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")
# Collectivity types in the figures that describe the data (notebook 2, where no verdict is
# drawn): each type its Okabe-Ito colour, in the order of the types (smallest kind first), and
# its marker, so that neither alone tells them apart. Yellow, too light for a mark on white,
# comes last.
TYPE_COLOURS: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in (
        "sky_blue",
        "orange",
        "bluish_green",
        "blue",
        "vermillion",
        "reddish_purple",
        "black",
        "yellow",
    )
)


def type_style(position: int) -> Style:
    """The colour and marker of the collectivity type at ``position`` in the types' order."""
    return Style(
        TYPE_COLOURS[position % len(TYPE_COLOURS)], TYPE_MARKERS[position % len(TYPE_MARKERS)]
    )


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


def _log_axis(ax: Axes, low: float, high: float, kind: str = "number", at_most: int = 9) -> None:
    """A log x axis on [low, high] with ``log_ticks`` labelled in the report's language (at
    most ``at_most`` ticks: fewer on a narrow panel)."""
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(low, high, at_most=at_most)))
    ax.xaxis.set_major_formatter(LocaleFormatter(kind, common=False))
    ax.xaxis.set_minor_locator(NullLocator())


def _localize_axes(ax: Axes) -> None:
    """Number ticks through the report's language wherever matplotlib's default formatter is
    still in place (categorical and log axes have their own)."""
    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_formatter(), ScalarFormatter):
            axis.set_major_formatter(LocaleFormatter())


# --------------------------------------------------------------------------- phone layout

# A reader page on a phone (390 px wide: the main column is 390 - 2 x 24 px of padding) shows
# a figure PHONE_DISPLAY_PX wide. An 8-inch figure would show its 10-point text at 6 px there,
# so the reader's figures are drawn a second time in the phone layout, PHONE_WIDTH inches
# wide, which the page serves below 600 px (``analyse.pipeline.publish``): a point of text is
# then PHONE_DISPLAY_PX / (PHONE_WIDTH x 72) = 1.19 px, and the smallest text a phone figure
# uses ("small", 10 points under the report's style) shows at 11.9 px, no less than the
# 11 px the reports promise (``displayed_text_px``).
PHONE_WIDTH = 4.0  # inches
PHONE_DISPLAY_PX = 342.0  # CSS px: the width a figure is shown at on a 390 px phone
PHONE_DPI = 170  # pixels per inch of the phone PNG: sharp on a screen of 2 device px per CSS px
MIN_TEXT_PX = 11.0  # the smallest text, in CSS px, a reader figure shows on a phone
_PHONE = [False]


@contextlib.contextmanager
def phone_layout() -> Iterator[None]:
    """Draw figures, inside the block, in the phone layout (``is_phone``): PHONE_WIDTH inches
    wide, labels wrapped shorter, nothing beside the axes."""
    before = _PHONE[0]
    _PHONE[0] = True
    try:
        yield
    finally:
        _PHONE[0] = before


def is_phone() -> bool:
    """Whether figures are being drawn in the phone layout (``phone_layout``)."""
    return _PHONE[0]


def _size(width: float, height: float, phone_height: float | None = None) -> tuple[float, float]:
    """A figure's size in inches: as given, or PHONE_WIDTH wide in the phone layout (and
    ``phone_height`` tall, when given; else as tall as on a desktop)."""
    if is_phone():
        return (PHONE_WIDTH, phone_height if phone_height is not None else height)
    return (width, height)


def _chars(desktop: int, phone: int) -> int:
    """Characters per line of a wrapped label: ``phone`` in the phone layout."""
    return phone if is_phone() else desktop


def displayed_text_px(figure: Figure, display_px: float = PHONE_DISPLAY_PX) -> float:
    """The height, in CSS px, of the smallest text of ``figure`` when the figure is shown
    ``display_px`` wide: its font size in points times the px per point of that display
    (``display_px`` over the figure's width in points). Texts with no characters are ignored."""
    width_pt = float(figure.get_size_inches()[0]) * 72.0
    sizes = [
        float(text.get_fontsize())
        for text in figure.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]
    return min(sizes, default=math.inf) * display_px / width_pt


# --------------------------------------------------------------------------- layout

# Figures this module created (and may therefore resize), and the unwrapped text of every
# title and label it set (to rewrap it to the width the layout leaves).
_OWNED: weakref.WeakSet[Figure] = weakref.WeakSet()
_FITTED: weakref.WeakSet[Figure] = weakref.WeakSet()  # laid out by fit (see is_fitted)
_RAW: weakref.WeakKeyDictionary[Text, str] = weakref.WeakKeyDictionary()


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.8)) -> Axes:
    if ax is not None:
        return ax
    if is_phone():
        figsize = (PHONE_WIDTH, figsize[1])
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
    """Title and axis labels, wrapped for an 8-inch figure or for the phone layout (``fit``
    rewraps what still does not fit), and the numbers of the axes in the report's language."""
    _set_text(ax.title, title, _chars(60, 34))
    _set_text(ax.xaxis.label, xlabel, _chars(75, 42))
    _set_text(ax.yaxis.label, ylabel, _chars(40, 30))
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
