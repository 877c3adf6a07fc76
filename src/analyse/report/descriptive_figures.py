"""The figures of notebook 2 (descriptives): the maturity index by group (box plots) and
against spending per inhabitant (scatter), under the disclosure rule (groups of fewer than
``min_cell`` respondents are named, not drawn).

Each figure reads at any number of respondents. Up to ``DENSE_POINTS`` points, every respondent
is a point; beyond, points would merge into a solid block in which one collectivity type hides
another (and make a heavy page), so a box plot shows each group's distribution as its density
(a violin behind the box), and the scatter gives each collectivity type a panel of its own, its
respondents counted in hexagons shaded on one scale for all panels.

``analyse.report.plots`` re-exports these functions (``plots.maturity_vs_budget``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from analyse.report import i18n
from analyse.report.disclosure import breakdown_suppression, suppression_labels
from analyse.report.figure_base import _OWNED as _OWNED
from analyse.report.figure_base import (
    GREY,
    LIGHT,
    NEUTRAL,
    LocaleFormatter,
    _axes,
    _chars,
    _done,
    _label,
    _log_axis,
    _not_drawn,
    _set_text,
    _wrap,
    fit,
    is_phone,
    not_drawn_alt,
    type_style,
)
from analyse.report.groups import unavailable, with_groups
from analyse.stats.regression import OUTCOME

# Above this many points a figure draws densities (violins, hexagons) instead of points: at
# 35,000 respondents points are a solid block, and a heavy page.
DENSE_POINTS = 2_000
HEXAGONS_ACROSS = 22  # hexagons across a panel of the scatter, in the dense form

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
    # the groups the table of this breakdown hides, beside the others (disclosure, rule 3)
    linked = breakdown_suppression(scored, column, min_cell)
    labels = suppression_labels(counts, min_cell, hidden=linked)
    return _Groups(order, counts, labels, values, min_cell)


def _maturity_by(
    scored: pd.DataFrame,
    column: str,
    min_cell: int,
    ax: Axes | None,
    title: str,
    xlabel: str,
) -> Axes:
    """Box plot and points of the maturity index per group, each group's median written on its
    box, under a title that says which group has the highest median and which the lowest (the
    figure's message, from the data); small groups are named, not drawn, and so is a group
    hidden to protect a smaller one (``analyse.report.disclosure``). Grouped by collectivity
    type, each type's box and points are drawn in its colour (``type_style``) and named beside
    its box (in dark text: three of the Okabe-Ito colours are too light for text on white).

    Above ``DENSE_POINTS`` points the points would hide the boxes under a solid block: each
    group's distribution is then drawn as its density (a violin, scaled to the same width in
    every group) behind a narrower box, and no point is drawn.
    """
    m = i18n.current()
    found = _groups(scored, column, min_cell)
    many = not isinstance(found, str) and len(found.order) > 6
    # past six groups (every tier of collectivities: up to nine types) each gets 1.3 inches
    width = max(8.0, 1.3 * len(found.order)) if many else 8.0
    # on a phone the groups are rows (their names read across, not squeezed under a box)
    flat = is_phone()
    rows = 0 if isinstance(found, str) else len(found.order)
    ax = _axes(ax, (width, 4.8) if not flat else (width, 1.8 + 0.75 * rows))
    index_label = m("figures.groups.y")
    if isinstance(found, str):
        return _not_drawn(ax, title, xlabel, index_label, found)
    shown = found.shown
    order = found.order
    positions = [i for i, g in enumerate(order) if not found.hidden(g)]
    dense = len(shown) > DENSE_POINTS
    values = [shown.loc[shown["group"] == order[i], OUTCOME].to_numpy() for i in positions]
    typed = column == "type_label"
    colours = [type_style(i).colour if typed else NEUTRAL for i in range(len(order))]
    if dense:
        _violins(ax, values, positions, [colours[i] for i in positions] if typed else None, flat)
    if positions:
        # matplotlib's boxplot rather than seaborn's, which passes a deprecated argument to
        # matplotlib 3.11 and would print a warning into every report.
        boxes = ax.boxplot(
            values,
            positions=positions,
            widths=0.3 if dense else 0.6,
            showfliers=False,
            patch_artist=True,
            orientation="horizontal" if flat else "vertical",
            # white on the grey of the densities, light grey on the white of the points
            boxprops={"facecolor": "white" if dense or typed else LIGHT, "edgecolor": GREY},
            medianprops={"color": NEUTRAL, "linewidth": 1.5},
            whiskerprops={"color": GREY},
            capprops={"color": GREY},
        )
        if typed:
            for box, i in zip(boxes["boxes"], positions, strict=True):
                box.set_edgecolor(colours[i])
                box.set_linewidth(1.5)
        for i, v in zip(positions, values, strict=True):
            median = float(np.median(v))
            ax.annotate(
                m.number(median, 0),
                (median, i) if flat else (i, median),
                xytext=(2, 0) if flat else (0, 2),
                textcoords="offset points",
                ha="left" if flat else "center",
                va="bottom",
                fontsize="small",
                fontweight="bold",
                color=NEUTRAL,
                zorder=5,
                path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
            )
    (ax.set_ylim(len(order) - 0.4, -0.6) if flat else ax.set_xlim(-0.6, len(order) - 0.4))
    if not dense:
        # Points jittered with a fixed seed, so that the same data give the same figure.
        rng = np.random.default_rng(0)
        position = {g: i for i, g in enumerate(order)}
        x = shown["group"].map(position).to_numpy(dtype="float64")
        point_colours = [colours[int(i)] for i in x] if typed else NEUTRAL
        jittered = x + rng.uniform(-0.18, 0.18, len(x))
        ax.scatter(
            shown[OUTCOME] if flat else jittered,
            jittered if flat else shown[OUTCOME],
            s=14,
            color=point_colours,
            alpha=0.8,
            zorder=3,
        )
    groups_axis, index_axis = (ax.yaxis, ax.xaxis) if flat else (ax.xaxis, ax.yaxis)
    groups_axis.set_ticks(range(len(order)))
    width_chars = _chars(12 if many else 16, 13)
    groups_axis.set_ticklabels([_group_tick(found, g, width_chars) for g in order])
    (ax.set_xlim if flat else ax.set_ylim)(0, 100)
    if flat:
        _label(ax, _message_title(found, title), index_label, "")
    else:
        _label(ax, _message_title(found, title), xlabel, index_label)
    return _done(ax)


def _message_title(found: _Groups, title: str) -> str:
    """The figure's message: the shown group with the highest median index, and the one with
    the lowest (``title`` alone when fewer than two groups are shown)."""
    m = i18n.current()
    shown = [g for g in found.order if not found.hidden(g)]
    if len(shown) < 2:
        return title
    medians = found.shown.groupby("group")[OUTCOME].median().reindex(shown)
    high, low = medians.idxmax(), medians.idxmin()
    return m(
        "figures.groups.message",
        high_group=high,
        high=m.number(float(medians[high]), 0),
        low_group=low,
        low=m.number(float(medians[low]), 0),
    )


def _violins(
    ax: Axes,
    values: list[np.ndarray],
    positions: list[int],
    colours: list[str] | None = None,
    flat: bool = False,
) -> None:
    """Each group's density of the index, in grey (or in its type's ``colours``, lightly)
    behind its box; a group whose values do not vary has no density and is drawn as its points
    (it cannot hide anything)."""
    spread = [i for i, v in enumerate(values) if len(np.unique(v)) > 1]
    if spread:
        parts = ax.violinplot(
            [values[i] for i in spread],
            positions=[positions[i] for i in spread],
            widths=0.85,
            showextrema=False,
            orientation="horizontal" if flat else "vertical",
        )
        for body, i in zip(parts["bodies"], spread, strict=True):
            body.set_facecolor(colours[i] if colours else LIGHT)
            body.set_edgecolor("none")
            body.set_alpha(0.35 if colours else 1.0)
            body.set_zorder(1)
    for i in (i for i in range(len(values)) if i not in spread):
        at = np.full(len(values[i]), positions[i])
        ax.scatter(*((values[i], at) if flat else (at, values[i])), s=14, color=NEUTRAL)


def _group_tick(found: _Groups, group: str, width: int = 16) -> str:
    m = i18n.current()
    name = _wrap(group, width)
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


# the captions of notebook 2's figures (catalogue keys) -> the figure's grouping column
CAPTIONED: dict[str, str | None] = {
    "nb2.size_figure": "size_band",
    "nb2.type_figure": "type_label",
    "nb2.budget_figure": None,  # the scatter against spending per inhabitant
    "nb2.sponsorship_figure": "sponsorship",
}


def caption_key(key: str, scored: pd.DataFrame, min_cell: int = 5) -> str:
    """The caption to show for a figure of notebook 2: ``key`` (a key of ``CAPTIONED``), or
    its ``_dense`` variant when the figure draws densities (violins, hexagons) instead of one
    point per respondent, decided on the same rows as the figure itself, so that a caption
    never describes points that are not drawn."""
    column = CAPTIONED[key]
    if column is None:
        scatter = _budget_scatter(scored, min_cell)
        dense = not scatter.not_drawn and len(scatter.data) > DENSE_POINTS
    else:
        found = _groups(scored, column, min_cell)
        dense = not isinstance(found, str) and len(found.shown) > DENSE_POINTS
    return key + ("_dense" if dense else "")


def shown_medians(scored: pd.DataFrame, column: str, min_cell: int) -> pd.Series:
    """The median index of each group a figure shows (none hidden for too few respondents),
    in the figure's order: what its « Lecture » reads."""
    found = _groups(scored, column, min_cell)
    if isinstance(found, str):
        return pd.Series(dtype="float64")
    medians = found.shown.groupby("group")[OUTCOME].median()
    return medians.reindex([g for g in found.order if not found.hidden(g)]).dropna()


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
    linked = breakdown_suppression(scored, "type_label", min_cell) if typed else None
    suppressed = suppression_labels(counts, min_cell, hidden=linked)
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
    told apart by collectivity type (its colour and marker, ``type_style``), with the
    least-squares line of the index on ln(spending).

    Points are drawn for the collectivity types a table may show only: a type with fewer than
    ``min_cell`` respondents in the figure, and a type hidden to protect it (complementary
    suppression, ``analyse.report.disclosure``), are not drawn, and the title names them and
    why (so the figure's text alternative does too). The line is fitted on the points drawn.

    Above ``DENSE_POINTS`` respondents the figure has one panel per type drawn (``_panels``),
    so that no type hides another, and returns the first panel.
    """
    m = i18n.current()
    xlabel = m("figures.budget.x")
    index_label = m("terms.index")
    scatter = _budget_scatter(scored, min_cell)
    if not scatter.not_drawn and len(scatter.data) > DENSE_POINTS:
        return _panels(scatter, ax)
    ax = _axes(ax, (8.0, 4.8))
    if scatter.not_drawn:
        return _not_drawn(ax, scatter.title, xlabel, index_label, scatter.not_drawn)
    data = scatter.data
    if scatter.typed:
        groups = [
            (str(t), data[data["type_label"] == t]) for t in data["type_label"].cat.categories
        ]
    else:
        groups = [(m("figures.budget.everyone"), data)]
    for i, (name, part) in enumerate(groups):
        style = type_style(i) if scatter.typed else type_style(0)
        ax.scatter(
            part["budget_per_capita"],
            part[OUTCOME],
            s=36,
            color=style.colour if scatter.typed else NEUTRAL,
            marker=style.marker,
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


def _type_groups(scatter: _Scatter) -> list[tuple[str, pd.DataFrame]]:
    """The drawn respondents by type, in the order of the types (everyone when untyped)."""
    data = scatter.data
    if not scatter.typed:
        return [(i18n.current()("figures.budget.everyone"), data)]
    return [(str(t), data[data["type_label"] == t]) for t in data["type_label"].cat.categories]


def _fit_line(data: pd.DataFrame) -> tuple[float, float]:
    """Slope and intercept of the least-squares line of the index on ln(spending)."""
    slope, intercept = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)
    return float(slope), float(intercept)


def _panels(scatter: _Scatter, ax: Axes | None) -> Axes:
    """The dense form of ``maturity_vs_budget``: one panel per type, on shared axes, each
    counting its respondents in hexagons shaded on one grey scale in steps of 1, 2, 5, 10, ...
    (one colour bar), so that a type of 20 bodies is as visible as one of 30,000; the
    least-squares line of all drawn respondents in every panel. Drawn on the caller's ``ax``,
    the panels take its place."""
    m = i18n.current()
    data = scatter.data
    groups = _type_groups(scatter)
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    if ax is None:
        fig = plt.figure(figsize=(8.0, 1.4 + 2.4 * rows), layout="constrained")
        _OWNED.add(fig)
        grid = fig.add_gridspec(rows, cols)
    else:
        root = ax.get_figure(root=True)
        spec = ax.get_subplotspec()
        if not isinstance(root, Figure) or spec is None:
            raise ValueError("the panels of a dense scatter need an Axes of a subplot grid")
        fig = root
        grid = spec.subgridspec(rows, cols)
        ax.remove()
    low = float(data["budget_per_capita"].min()) / 1.1
    high = float(data["budget_per_capita"].max()) * 1.1
    slope, intercept = _fit_line(data)
    line = np.geomspace(low * 1.1, high / 1.1, 50)
    panels, cells = [], []
    for i, (name, part) in enumerate(groups):
        panel = fig.add_subplot(grid[i // cols, i % cols])
        cells.append(
            panel.hexbin(
                part["budget_per_capita"],
                part[OUTCOME],
                xscale="log",
                gridsize=(HEXAGONS_ACROSS, HEXAGONS_ACROSS // 2),
                extent=(math.log10(low), math.log10(high), 0.0, 100.0),
                mincnt=1,
                linewidths=0.0,
                antialiased=False,
            )
        )
        panel.plot(
            line,
            intercept + slope * np.log(line),
            color=NEUTRAL,
            lw=1.5,
            path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
            label=_wrap(m("figures.budget.fit"), 26),
        )
        _log_axis(panel, low, high, kind="euros", at_most=3)
        panel.set_ylim(0, 100)
        panel.tick_params(labelsize="x-small")
        _label(panel, "", "", "")
        panel.title.set_fontsize("small")
        panel.title.set_fontweight("normal")
        # wrapped to the panel's width: ``fit`` only rewraps what leaves the canvas
        _set_text(panel.title, m("figures.budget.panel", type=name, n=m.integer(len(part))), 26)
        if i % cols:
            panel.tick_params(labelleft=False)
        panels.append(panel)
    # counts in steps of 1, 2, 5, 10, ...: a few flat shades, read off the colour bar at a
    # glance (and a lighter image than a continuous scale)
    top = max(float(np.max(c.get_array())) for c in cells)
    bounds = [1.0]
    while bounds[-1] <= top:
        bounds.append(bounds[-1] * (2.5 if str(int(bounds[-1]))[0] == "2" else 2.0))
    shades = ListedColormap(plt.get_cmap("Greys")(np.linspace(0.3, 1.0, len(bounds) - 1)))
    norm = BoundaryNorm(bounds, shades.N)
    for c in cells:
        c.set_cmap(shades)
        c.set_norm(norm)
    bar = fig.colorbar(cells[0], ax=panels, shrink=0.9, spacing="uniform")
    bar.set_ticks(bounds)
    bar.ax.yaxis.set_major_formatter(LocaleFormatter(common=False))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    _set_text(bar.ax.yaxis.label, m("figures.budget.per_hexagon"), 30)
    # the line's legend in the grid's first free cell, else in the first panel's upper left
    # (empty where the index grows with spending); a figure legend would meet the titles
    handles, labels = panels[0].get_legend_handles_labels()
    if len(groups) < rows * cols:
        spare = fig.add_subplot(grid[rows - 1, cols - 1])
        spare.axis("off")
        spare.legend(handles, labels, loc="center", fontsize="small", frameon=False)
    else:
        panels[0].legend(handles, labels, loc="upper left", fontsize="x-small")
    title = fig.suptitle("", fontweight="bold")
    _set_text(title, scatter.title, 60)
    _set_text(fig.supxlabel(""), m("figures.budget.x"), 75)
    _set_text(fig.supylabel(""), m("terms.index"), 40)
    fit(fig)
    return panels[0]


def alt_maturity_vs_budget(scored: pd.DataFrame, min_cell: int = 5) -> str:
    """Text alternative of ``maturity_vs_budget``: how much the index changes, on the fitted
    line, when spending per inhabitant doubles, and who is not drawn; in the dense form, also
    how many respondents each type's panel counts."""
    m = i18n.current()
    scatter = _budget_scatter(scored, min_cell)
    if scatter.not_drawn:
        return not_drawn_alt(scatter.title, scatter.not_drawn)
    data = scatter.data
    text = scatter.title + "."
    if len(data) > DENSE_POINTS:
        types = [
            m("figures.budget.panel", type=name, n=m.integer(len(part)))
            for name, part in _type_groups(scatter)
        ]
        return f"{text} " + m(
            "figures.budget.alt_dense",
            n=m.integer(len(data)),
            types=m("figures.list_separator").join(types),
            change=m.number(_fit_line(data)[0] * math.log(2), 1, sign=True),
        )
    if len(data) > 2:
        slope, _ = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)
        text += " " + m(
            "figures.budget.alt",
            n=m.integer(len(data)),
            change=m.number(float(slope) * math.log(2), 1, sign=True),
        )
    return text
