"""The report's figures: seaborn and matplotlib on the tables of ``analyse.report.tables``.

Every function takes a tidy DataFrame (or a results object) and an optional ``ax``, draws on it
and returns the ``Axes``; none calls ``plt.show()``. Every figure has a title, axis labels with
their units and readable category labels, so that its title and labels can serve as a text
alternative (``analyse.report.notebook.figure_alt``). Group figures hide groups of fewer than
``min_cell`` respondents, as the tables do.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from scipy import stats

from analyse.report.disclosure import protecting, suppression_labels
from analyse.report.escape import mpl_text
from analyse.report.groups import unavailable, with_groups
from analyse.stats.equivalence import SizeTest, equivalence_interval
from analyse.stats.regression import OUTCOME

INDEX_LABEL = "Maturity index (0-100 points)"
LN_POP_UNIT = "per 2.7-fold larger population (1 unit of ln population)"
STD_EFFECT_LABEL = "Standardized size effect (SD of index per SD of ln population)"
HIGHLIGHT = "#c0392b"  # size, wherever it is compared with other terms
NEUTRAL = "#34495e"


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.8)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _wrap(label: str, width: int = 22) -> str:
    """A label in lines of at most ``width`` characters, with every ``$`` escaped for matplotlib
    (labels come from the codebook and the data: ``$x^$`` would be parsed as math and fail)."""
    return mpl_text("\n".join(textwrap.wrap(str(label), width)) or str(label))


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Title and axis labels, wrapped so that long ones fit an 8-inch figure."""
    ax.set_title(_wrap(title, 62))
    ax.set_xlabel(_wrap(xlabel, 72))
    ax.set_ylabel(_wrap(ylabel, 40))
    return ax


def _not_drawn(ax: Axes, title: str, xlabel: str, ylabel: str, reason: str) -> Axes:
    """An empty figure that says why it is empty, in its title too (so in its text
    alternative): a survey without a budget column gets a report that says so, not an error."""
    ax.text(
        0.5,
        0.5,
        _wrap(f"Not drawn: {reason}", 60),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color=NEUTRAL,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return _label(ax, f"{title}: not drawn ({reason})", xlabel, ylabel)


# --------------------------------------------------------------------------- descriptives


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
    ax = _axes(ax)
    data = with_groups(scored) if column not in scored.columns else scored
    if column not in data.columns:
        return _not_drawn(ax, title, xlabel, INDEX_LABEL, unavailable(scored, column))
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
    suppressed = suppression_labels(counts, min_cell)
    hidden = suppressed != ""
    shown = values[values["group"].isin([g for g in order if not hidden[g]])]
    positions = [i for i, g in enumerate(order) if not hidden[g]]
    if positions:
        # matplotlib's boxplot rather than seaborn's, which passes a deprecated argument to
        # matplotlib 3.11 and would print a warning into every report.
        ax.boxplot(
            [shown.loc[shown["group"] == order[i], OUTCOME].to_numpy() for i in positions],
            positions=positions,
            widths=0.6,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#d6e4f0", "edgecolor": "#7f8c8d"},
            medianprops={"color": NEUTRAL, "linewidth": 1.5},
            whiskerprops={"color": "#7f8c8d"},
            capprops={"color": "#7f8c8d"},
        )
    ax.set_xlim(-0.6, len(order) - 0.4)
    # Points jittered with a fixed seed (seaborn's stripplot draws from numpy's global state),
    # so that the same data give the same figure.
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
    ax.set_xticklabels(
        [
            f"{_wrap(g, 16)}\n({_wrap(suppressed[g], 18)})"
            if suppressed[g] == protecting()
            else f"{_wrap(g, 16)}\n({_wrap(suppressed[g], 18)}, not shown)"
            if hidden[g]
            else f"{_wrap(g, 16)}\nn = {counts[g]}"
            for g in order
        ]
    )
    ax.set_ylim(0, 100)
    _label(ax, title, xlabel, INDEX_LABEL)
    return ax


def maturity_by_size_band(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index per population band (<20k ... 250k+ inhabitants)."""
    return _maturity_by(
        scored,
        "size_band",
        min_cell,
        ax,
        "Maturity index by population band",
        "Population band (inhabitants)",
    )


def maturity_by_type(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index per collectivity type, smallest kind first."""
    return _maturity_by(
        scored,
        "type_label",
        min_cell,
        ax,
        "Maturity index by collectivity type",
        "Collectivity type",
    )


def maturity_by_sponsorship(
    scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None
) -> Axes:
    """Maturity index per political sponsorship (elected digital lead, adopted strategy)."""
    return _maturity_by(
        scored,
        "sponsorship",
        min_cell,
        ax,
        "Maturity index by political sponsorship",
        "Political sponsorship (elected digital lead, digital strategy adopted by the council)",
    )


def maturity_by_budget_band(
    scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None
) -> Axes:
    """Maturity index per band of spending per inhabitant."""
    return _maturity_by(
        scored,
        "budget_band",
        min_cell,
        ax,
        "Maturity index by spending per inhabitant",
        "Total spending per inhabitant (€ per inhabitant and year)",
    )


def _log_ticks(ax: Axes, ticks: list[float]) -> None:
    """A log x axis labelled with plain numbers (0.5, 1, 2) rather than powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def _euro_log_axis(ax: Axes, values: pd.Series) -> None:
    """A log x axis with plain euro ticks (200, 500, 1,000 ...) rather than powers of ten."""
    ax.set_xscale("log")
    low, high = float(values.min()), float(values.max())
    candidates = [100, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000]
    ticks = [t for t in candidates if low / 1.15 <= t <= high * 1.15] or [low, high]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_locator(NullLocator())


UNKNOWN_TYPE = "Type not given"


def maturity_vs_budget(scored: pd.DataFrame, min_cell: int = 5, ax: Axes | None = None) -> Axes:
    """Maturity index against spending per inhabitant (log scale), one point per respondent,
    coloured by collectivity type, with the least-squares line of the index on ln(spending).

    Points are drawn for the collectivity types a table may show only: a type with fewer than
    ``min_cell`` respondents in the figure, and a type hidden to protect it (complementary
    suppression, ``analyse.report.disclosure``), are not drawn, and the title names them and
    why (so the figure's text alternative does too). The line is fitted on the points drawn.
    """
    ax = _axes(ax)
    data = with_groups(scored)
    title = "Maturity index against spending per inhabitant"
    xlabel = "Total spending per inhabitant (€ per inhabitant and year, log scale)"
    if "budget_band" not in data.columns:  # no budget column: say so rather than fail
        return _not_drawn(ax, title, xlabel, INDEX_LABEL, unavailable(scored, "budget_band"))
    data = data[data[OUTCOME].notna() & data["budget_per_capita"].notna()].copy()
    data["budget_per_capita"] = data["budget_per_capita"].astype("float64")
    data[OUTCOME] = data[OUTCOME].astype("float64")
    typed = "type_label" in data.columns
    if typed:
        types = data["type_label"]
        if types.isna().any():
            types = types.cat.add_categories([UNKNOWN_TYPE]).fillna(UNKNOWN_TYPE)
        data["type_label"] = types.cat.remove_unused_categories()
        counts = data["type_label"].value_counts(sort=False)
    else:  # no type column: the respondents form one group
        counts = pd.Series({"All respondents": len(data)})
    suppressed = suppression_labels(counts, min_cell)
    left_out = [f"{group} ({suppressed[group]})" for group in counts.index if suppressed[group]]
    if left_out:
        shown = [group for group in counts.index if not suppressed[group]]
        if not shown:  # every group is too small (complementary suppression needs two shown)
            reason = (
                f"every collectivity type has fewer than {min_cell} respondents with a "
                "spending figure"
                if typed
                else f"fewer than {min_cell} respondents have a spending figure"
            )
            return _not_drawn(ax, title, xlabel, INDEX_LABEL, reason)
        title += f"; not drawn: {', '.join(left_out)}"
        data = data[data["type_label"].isin(shown)].copy()
        data["type_label"] = data["type_label"].cat.remove_unused_categories()
    if typed:
        data["type_label"] = data["type_label"].cat.rename_categories(mpl_text)  # legend entries
    sns.scatterplot(
        data=data,
        x="budget_per_capita",
        y=OUTCOME,
        s=45,
        ax=ax,
        **({"hue": "type_label", "style": "type_label"} if typed else {"color": NEUTRAL}),
    )
    if len(data) > 2:
        slope, intercept = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)
        grid = np.geomspace(data["budget_per_capita"].min(), data["budget_per_capita"].max(), 50)
        ax.plot(
            grid,
            intercept + slope * np.log(grid),
            color=NEUTRAL,
            lw=1.5,
            label="Linear fit on ln(spending)",
        )
    _euro_log_axis(ax, data["budget_per_capita"])
    ax.set_ylim(0, 100)
    ax.legend(
        title="Collectivity type" if typed else None,
        fontsize="small",
        title_fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    _label(ax, title, xlabel, INDEX_LABEL)
    return ax


# --------------------------------------------------------------------------- data quality


def published_vs_survey(comparison: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Published 2025 share per theme next to this survey's (``tables.published_comparison``)."""
    ax = _axes(ax, (8.0, 5.2))
    title = "Share of respondents at 'formalised actions' or better, by theme"
    xlabel = "Respondents whose theme level is 2 or more (%)"
    if comparison.attrs.get("not_shown"):  # another survey's codebook: nothing to compare
        reason = comparison.attrs["not_shown"].removeprefix("not shown: ")
        return _not_drawn(ax, title, xlabel, "Theme", reason)
    long = comparison.melt(
        id_vars="label",
        value_vars=["published_2025", "this_survey"],
        var_name="source",
        value_name="share",
    )
    long["source"] = long["source"].map(
        {"published_2025": "Published 2025 barometer", "this_survey": "This survey"}
    )
    long["label"] = long["label"].map(lambda s: _wrap(s, 24))
    sns.barplot(data=long, y="label", x="share", hue="source", orient="h", ax=ax)
    for container in ax.containers:
        ax.bar_label(container, fmt="%.0f", padding=2, fontsize="small")
    ax.set_xlim(0, 100)
    ax.legend(title=None, loc="lower right", fontsize="small")
    _label(ax, title, xlabel, "Theme")
    return ax


# --------------------------------------------------------------------------- the claim


def size_coefficients(effects: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Marginal and conditional size coefficients with their intervals (``tables.size_effects``)."""
    ax = _axes(ax, (8.0, 3.4))
    y = np.arange(len(effects))[::-1]
    ax.errorbar(
        effects["coef"],
        y,
        xerr=[effects["coef"] - effects["low"], effects["high"] - effects["coef"]],
        fmt="o",
        color=HIGHLIGHT,
        ecolor=NEUTRAL,
        capsize=4,
        markersize=7,
    )
    ax.axvline(0, color="black", lw=1, ls="--")
    for yi, coef in zip(y, effects["coef"], strict=True):
        ax.annotate(
            f"{coef:+.1f}", (coef, yi), xytext=(0, 8), textcoords="offset points", ha="center"
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(m, 28) for m in effects.index])
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    _label(
        ax,
        "Size effect alone and with the means held fixed (95 % CI, HC3 standard errors)",
        f"Change in maturity index (points) {LN_POP_UNIT}",
        "Model",
    )
    return ax


def equivalence(test: SizeTest, ax: Axes | None = None) -> Axes:
    """The standardized size effect with its (1 - 2 alpha) and (1 - alpha) intervals against
    the equivalence region ±sesoi: size is negligible when the thick interval lies inside."""
    ax = _axes(ax, (8.0, 3.0))
    low, high = equivalence_interval(test)
    q = stats.t.ppf(1 - test.alpha / 2, test.df_resid)
    wide = (test.std_coef - q * test.std_se, test.std_coef + q * test.std_se)
    ax.axvspan(
        -test.sesoi,
        test.sesoi,
        color="#27ae60",
        alpha=0.18,
        label=f"Equivalence region ±{test.sesoi:g}",
    )
    ax.axvline(0, color="black", lw=1, ls="--")
    ax.plot(
        wide, [0, 0], color=NEUTRAL, lw=1.5, label=f"{100 * (1 - test.alpha):g} % CI (test of zero)"
    )
    ax.plot(
        (low, high),
        [0, 0],
        color=NEUTRAL,
        lw=6,
        solid_capstyle="butt",
        label=f"{100 * (1 - 2 * test.alpha):g} % CI (equivalence test)",
    )
    ax.plot([test.std_coef], [0], "o", color=HIGHLIGHT, markersize=9, label="Estimate")
    reach = max(abs(wide[0]), abs(wide[1]), test.sesoi) * 1.25
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-1, 1)
    ax.set_yticks([0])
    ax.set_yticklabels(["Size, means\nheld fixed"])
    ax.legend(loc="upper left", fontsize="small", ncol=2, frameon=True)
    _label(
        ax, f"Equivalence test of the size effect: verdict {test.verdict}", STD_EFFECT_LABEL, "Term"
    )
    return ax


def relative_importance(importance: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """LMG shares of the index's variance with bootstrap intervals (``tables.importance_table``)."""
    ax = _axes(ax, (8.0, 3.8))
    confidence = importance.attrs.get("confidence", 0.95)
    title = f"Relative importance of each group of predictors (LMG), {confidence:.0%} bootstrap "
    xlabel = "Share of the variance of the maturity index explained (%)"
    if importance["share_pct"].isna().all():
        reason = importance.attrs.get("not_estimable") or "no share could be computed"
        return _not_drawn(ax, title + "intervals", xlabel, "Group of predictors", reason)
    data = importance.sort_values("share_pct")
    y = np.arange(len(data))
    colours = [HIGHLIGHT if g == "size" else NEUTRAL for g in data.index]
    has_ci = data[["low_pct", "high_pct"]].notna().all(axis=1)
    for yi, (_, row), colour, ci in zip(y, data.iterrows(), colours, has_ci, strict=True):
        if ci:
            ax.plot([row["low_pct"], row["high_pct"]], [yi, yi], color=colour, lw=2)
        ax.plot([row["share_pct"]], [yi], "o", color=colour, markersize=8)
        ax.annotate(
            f"{row['share_pct']:.0f} %",
            (row["share_pct"], yi),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, 26) for label in data["label"]])
    ax.set_xlim(left=0)
    ax.set_ylim(-0.6, len(data) - 0.4)
    draws = importance.attrs.get("draws")
    note = f", {draws} bootstrap draws" if draws else ""
    _label(ax, f"{title}intervals{note}", xlabel, "Group of predictors")
    return ax


def theme_forest(themes: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Size's odds ratio in each theme's ordinal model with 95 % CI and Holm-adjusted p
    (``tables.theme_table``); a theme whose model has no estimate is listed as "not
    estimable" in the margin, with no mark."""
    ax = _axes(ax, (8.5, 4.6))
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
        color=HIGHLIGHT,
        ecolor=NEUTRAL,
        capsize=3,
    )
    ax.axvline(1, color="black", lw=1, ls="--")
    _log_ticks(ax, [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20])
    low, high = themes["low"].min(), themes["high"].max()
    if estimated.any() and np.isfinite([low, high]).all():
        ax.set_xlim(float(low) / 1.25, float(high) * 1.25)
    else:  # no theme estimated: a neutral range around 1
        ax.set_xlim(0.25, 4)
    for yi, p, ok in zip(y, themes["p_holm"], estimated, strict=True):
        if not ok:  # the theme's model has no estimate (tables.theme_table says why)
            ax.text(
                1.02,
                yi,
                "not estimable",
                va="center",
                fontsize="small",
                transform=ax.get_yaxis_transform(),
            )
            continue
        text = "Holm p < 0.001" if p < 0.001 else f"Holm p = {p:.2f}"
        # in the margin right of the axes (x in axes fraction, y in data units)
        ax.text(1.02, yi, text, va="center", fontsize="small", transform=ax.get_yaxis_transform())
    ax.set_yticks(y)
    ax.set_yticklabels([_wrap(label, 26) for label in themes["label"]])
    _label(
        ax,
        "Size in each theme's ordinal model (odds ratio, 95 % CI)",
        f"Odds ratio of a higher theme level {LN_POP_UNIT}, log scale",
        "Theme",
    )
    return ax


def power_curve(
    curve: pd.DataFrame,
    mde: float | tuple[float, float] | None = None,
    sesoi: float | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    ax: Axes | None = None,
) -> Axes:
    """Power of the two-sided test against the true standardized size effect
    (``analyse.stats.sensitivity.power_curve``), with the MDE and the equivalence region marked.

    ``mde`` is the pair of magnitudes ``(mde_std_negative, mde_std_positive)``, marked at
    -negative and +positive where the curve crosses ``power``; a single number (``mde_std``,
    detected in both directions) is marked at ±mde."""
    ax = _axes(ax, (8.0, 5.6))
    if sesoi is not None:
        ax.axvspan(
            -sesoi,
            sesoi,
            color="#27ae60",
            alpha=0.15,
            label=f"Smallest effect of interest ±{sesoi:g}",
        )
    ax.plot(
        curve["effect"], curve["power"], color=HIGHLIGHT, lw=2, label="Test of zero effect rejects"
    )
    if "negligible" in curve:
        ax.plot(
            curve["effect"],
            curve["negligible"],
            color="#27ae60",
            lw=2,
            ls="-.",
            label="Equivalence test declares size negligible",
        )
    ax.axhline(power, color="grey", lw=1, ls=":", label=f"{power:.0%} power")
    ax.axhline(alpha, color="grey", lw=1, ls="--", label=f"alpha = {alpha:g}")
    if mde is not None:
        pair = isinstance(mde, tuple)
        negative, positive = mde if pair else (mde, mde)
        label = (
            f"Minimum detectable effects -{negative:.2f} and +{positive:.2f}"
            if pair
            else f"Minimum detectable effect in both directions ±{positive:.2f}"
        )
        marks = [at for at in (-negative, positive) if np.isfinite(at)]  # NaN: none exists
        for i, at in enumerate(marks):
            ax.axvline(at, color=NEUTRAL, lw=1.5, ls="--", label=None if i else label)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize="small")
    _label(
        ax,
        "What this sample can detect: power by true size effect",
        f"True {STD_EFFECT_LABEL[0].lower()}{STD_EFFECT_LABEL[1:]}",
        "Probability over simulated samples (0-1)",
    )
    return ax


VERDICT_COLOURS = {
    "negligible": "#27ae60",
    "significant_but_negligible": "#2980b9",
    "decisive": "#c0392b",
    "significant_undetermined": "#e67e22",
    "inconclusive": "#7f8c8d",
}


def specification_curve(curve: pd.DataFrame, sesoi: float, ax: Axes | None = None) -> Axes:
    """Each specification's standardized size effect with its 90 % interval, sorted, coloured by
    verdict, against the equivalence region (``analyse.stats.robustness.specification_curve``)."""
    ax = _axes(ax, (9.0, 4.8))
    ax.axhspan(-sesoi, sesoi, color="#27ae60", alpha=0.15, label=f"Equivalence region ±{sesoi:g}")
    ax.axhline(0, color="black", lw=1, ls="--")
    x = np.arange(len(curve))
    for verdict, colour in VERDICT_COLOURS.items():
        part = curve["verdict"] == verdict
        if not part.any():
            continue
        ax.vlines(
            x[part],
            curve.loc[part, "ci90_low"],
            curve.loc[part, "ci90_high"],
            color=colour,
            alpha=0.6,
            lw=1.5,
        )
        ax.plot(
            x[part],
            curve.loc[part, "std_coef"],
            "o",
            color=colour,
            markersize=4,
            label=f"{verdict} ({int(part.sum())})",
        )
    ax.legend(loc="upper left", fontsize="small", frameon=True)
    return _label(
        ax,
        f"Specification curve: the size effect in {len(curve)} specifications",
        "Specifications, sorted by the estimated size effect (rank)",
        "Standardized size effect with 90 % interval",
    )
