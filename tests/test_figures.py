"""The figures for their readers (issue 10, items 6 and 7): in the report's language, nothing
clipped on a 56-respondent panel nor on the 1,225-respondent census, readable log axes,
verdicts told by colour and shape with one meaning per colour, text alternatives that state
the message, and the specification curve with its dot matrix of analytic choices."""

from __future__ import annotations

import itertools
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgba_array
from scipy import stats

from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.report import i18n, plots, tables
from analyse.report.notebook import FIGURE_DPI, apply_style
from analyse.stats.claim import analyse_claim
from analyse.stats.equivalence import VERDICTS, judge_size
from analyse.stats.robustness import CHOICES, specification_curve
from analyse.stats.sensitivity import power_curve


def plain(text: str) -> str:
    """French text with its no-break spaces (before : ; ? ! % », after «) as plain spaces."""
    return text.replace("\u00a0", " ")


LANGUAGES = ("fr", "en")
DATASETS = ("panel", "census")


@pytest.fixture(autouse=True)
def _french_after():
    yield
    plt.close("all")
    i18n.use("fr")


class Run:
    """What the figures of one run are drawn from, computed once (few draws: fast)."""

    def __init__(self, design: str, codebook):
        self.codebook = codebook
        self.scored = score_survey(
            generate(design=design, seed=11, with_truth=False).data, codebook
        )
        self.claim = analyse_claim(self.scored, codebook, bootstrap=20, seed=1, simulations=100)
        sens = self.claim.sensitivity
        self.mde = (sens.mde_std_negative, sens.mde_std_positive)
        self.power = power_curve(
            self.claim.fit, np.linspace(-1, 1, 9), simulations=100, seed=1, sesoi=0.2
        )
        self.curve = specification_curve(self.scored, load_frame(), sesoi=0.2)

    def figures(self):
        """Each figure function of ``plots`` with its text alternative."""
        s, c, cb = self.scored, self.claim, self.codebook
        comparison = tables.published_comparison(s, cb)
        effects = tables.size_effects(c)
        importance = tables.importance_table(c)
        themes = tables.theme_table(c, cb)
        return {
            "size_band": (
                lambda: plots.maturity_by_size_band(s),
                lambda: plots.alt_maturity_by_size_band(s),
            ),
            "type": (lambda: plots.maturity_by_type(s), lambda: plots.alt_maturity_by_type(s)),
            "budget_band": (
                lambda: plots.maturity_by_budget_band(s),
                lambda: plots.alt_maturity_by_budget_band(s),
            ),
            "sponsorship": (
                lambda: plots.maturity_by_sponsorship(s),
                lambda: plots.alt_maturity_by_sponsorship(s),
            ),
            "budget": (
                lambda: plots.maturity_vs_budget(s),
                lambda: plots.alt_maturity_vs_budget(s),
            ),
            "published": (
                lambda: plots.published_vs_survey(comparison, codebook=cb),
                lambda: plots.alt_published_vs_survey(comparison, codebook=cb),
            ),
            "size_coefficients": (
                lambda: plots.size_coefficients(effects),
                lambda: plots.alt_size_coefficients(effects),
            ),
            "equivalence": (
                lambda: plots.equivalence(c.size),
                lambda: plots.alt_equivalence(c.size),
            ),
            "importance": (
                lambda: plots.relative_importance(importance),
                lambda: plots.alt_relative_importance(importance),
            ),
            "forest": (
                lambda: plots.theme_forest(themes, codebook=cb),
                lambda: plots.alt_theme_forest(themes, codebook=cb),
            ),
            "power": (
                lambda: plots.power_curve(self.power, mde=self.mde, sesoi=0.2),
                lambda: plots.alt_power_curve(self.power, mde=self.mde, sesoi=0.2),
            ),
            "specification": (
                lambda: plots.specification_curve(self.curve, sesoi=0.2),
                lambda: plots.alt_specification_curve(self.curve, sesoi=0.2),
            ),
        }


@pytest.fixture(scope="module")
def runs(codebook):
    return {
        "panel": Run("barometre-2025", codebook),
        "census": Run("census-epci", codebook),
    }


FIGURES = [
    "size_band",
    "type",
    "budget_band",
    "sponsorship",
    "budget",
    "published",
    "size_coefficients",
    "equivalence",
    "importance",
    "forest",
    "power",
    "specification",
]
# the catalogue key of each figure's title and horizontal axis (None: the title is the
# figure's message, computed from the data; ``test_titles_state_the_message``)
TITLE_KEYS = {
    "size_band": (None, "figures.size_band.x"),
    "type": (None, "figures.type.x"),
    "budget_band": (None, "figures.budget_band.x"),
    "sponsorship": (None, "figures.sponsorship.x"),
    "budget": ("figures.budget.title", "figures.budget.x"),
    "published": (None, "figures.published.x"),
    "size_coefficients": (None, "figures.size_coefficients.x"),
    "equivalence": (None, "figures.std_effect"),
    "importance": (None, "figures.importance.x"),
    "forest": (None, "figures.forest.x"),
    "power": ("figures.power.title", "figures.power.x"),
    "specification": (None, "figures.specification.x"),
}
# the figures of the reader pages: each also drawn in the phone layout
READER_FIGURES = ["size_band", "type", "published", "size_coefficients", "forest", "specification"]
SIZE_FIGURES = {"size_coefficients", "importance", "forest"}  # size against other terms
# the figures that describe the data (no verdict): each collectivity type in its colour
TYPE_FIGURES = {"type", "budget"}
# verdicts and the ±SESOI region (size_coefficients: the total and direct effects' verdicts)
VERDICT_FIGURES = {"equivalence", "power", "specification", "size_coefficients"}


def _one_line(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _draw(run: Run, name: str):
    ax = run.figures()[name][0]()
    return ax, ax.get_figure(root=True)


# --------------------------------------------------------------------------- nothing clipped


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", FIGURES)
def test_nothing_is_clipped(runs, dataset, lang, name):
    """Failed before: on the census, notebook 3's headline figure (size_coefficients) ran off
    its canvas on the right ("(95 % CI, HC3", "(1 uni" cut), as the published page showed."""
    i18n.use(lang)
    _, fig = _draw(runs[dataset], name)
    fig.set_dpi(FIGURE_DPI)  # as show_figure renders it
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    assert box.x0 >= -1e-3 and box.y0 >= -1e-3, (box, width, height)
    assert box.x1 <= width + 1e-3 and box.y1 <= height + 1e-3, (box, width, height)


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize("name", FIGURES)
def test_titles_and_axes_come_from_the_catalogue_of_the_language(runs, name):
    """Failed before: every figure was English whatever the report's language."""
    for lang in LANGUAGES:
        i18n.use(lang)
        m = i18n.current()
        ax, fig = _draw(runs["panel"], name)
        title_key, x_key = TITLE_KEYS[name]
        if title_key:
            assert _one_line(ax.get_title()) == _one_line(m(title_key))
        else:
            assert _one_line(ax.get_title() or fig.get_suptitle())
        axes = fig.get_axes()
        xlabel = next(a.get_xlabel() for a in reversed(axes) if a.get_xlabel())
        assert _one_line(xlabel) == _one_line(m(x_key, level=m.percent(0.9)))
        plt.close(fig)


NUMBER = re.compile(r"\d")


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", FIGURES)
def test_french_numbers_have_a_decimal_comma_and_a_true_minus(runs, dataset, name):
    """Failed before: French axes read "0.5", "-0.2" (matplotlib's default formatter)."""
    i18n.use("fr")
    ax, fig = _draw(runs[dataset], name)
    fig.canvas.draw()
    texts = [
        t.get_text() for a in fig.get_axes() for t in a.get_xticklabels() + a.get_yticklabels()
    ]
    texts += [t.get_text() for a in fig.get_axes() for t in a.texts]
    numbers = [t for t in texts if NUMBER.search(t)]
    assert not [t for t in numbers if re.search(r"\d\.\d", t)], numbers
    assert not [t for t in numbers if re.search(r"(^|\s)-\d", t)], numbers


# --------------------------------------------------------------------------- log axes


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", ["forest", "budget"])
def test_every_log_axis_has_three_labelled_ticks_in_range(runs, dataset, lang, name):
    """Failed before: the census forest plot's log axis showed one tick (1)."""
    i18n.use(lang)
    ax, fig = _draw(runs[dataset], name)
    fig.canvas.draw()
    assert ax.get_xscale() == "log"
    low, high = ax.get_xlim()
    labelled = [
        t for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high and t.get_text()
    ]
    assert len(labelled) >= 3, [t.get_text() for t in ax.get_xticklabels()]


def test_log_ticks_are_round_and_at_least_three_in_any_range():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        low = float(10 ** rng.uniform(-3, 3))
        high = low * float(10 ** rng.uniform(0.01, 4))
        ticks = plots.log_ticks(low, high)
        assert 3 <= len(ticks) <= 9
        assert all(low <= t <= high for t in ticks)
        assert ticks == sorted(ticks)
    assert plots.log_ticks(0.83, 1.21) == [0.9, 1.0, 1.1, 1.2]
    assert plots.log_ticks(0.5, 3.0) == [0.5, 1.0, 2.0]
    assert plots.log_ticks(300, 2600) == [500, 1000, 2000]
    with pytest.raises(ValueError):
        plots.log_ticks(0.0, 1.0)


# --------------------------------------------------------------------------- colours


def test_verdict_styles_are_one_colour_and_one_marker_per_verdict():
    styles = plots.VERDICT_STYLES
    assert set(styles) == set(VERDICTS)
    colours = [s.colour for s in styles.values()]
    markers = [s.marker for s in styles.values()]
    assert len(set(colours)) == len(colours)  # injective: a colour names one verdict
    assert len(set(markers)) == len(markers)  # and so does a shape, for any colour vision
    assert set(colours) <= set(plots.OKABE_ITO.values())
    assert plots.SIZE_COLOUR in plots.OKABE_ITO.values()
    assert plots.SIZE_COLOUR not in colours
    assert len(set(plots.PALETTE.values())) == len(plots.PALETTE)  # one meaning per colour


def _chromatic_colours(fig) -> set[str]:
    """The colours with a hue (greys are context) of every mark in the figure's axes."""
    found = []
    for ax in fig.get_axes():
        for line in ax.lines:
            found += [line.get_color(), line.get_markerfacecolor()]
        for collection in ax.collections:
            found += list(to_rgba_array(collection.get_facecolor()))
            found += list(to_rgba_array(collection.get_edgecolor()))
        found += [patch.get_facecolor() for patch in ax.patches]
    hexes = set()
    for colour in found:
        rgba = to_rgba_array(colour)
        for r, g, b, a in rgba:
            if a > 0 and max(r, g, b) - min(r, g, b) > 0.05:
                hexes.add(to_hex((r, g, b)))
    return hexes


@pytest.mark.parametrize("name", FIGURES)
def test_one_meaning_per_colour_across_all_figures(runs, name):
    """Failed before: red marked size (#c0392b), the decisive verdict and the power curve, and
    green/red alone told verdicts apart."""
    _, fig = _draw(runs["panel"], name)
    used = _chromatic_colours(fig)
    verdict_colours = {s.colour for s in plots.VERDICT_STYLES.values()}
    if name in TYPE_FIGURES:  # no verdict drawn: the types' Okabe-Ito colours, one each
        assert used <= set(plots.TYPE_COLOURS) | set(plots.PALETTE.values()), used
        assert len(used & set(plots.TYPE_COLOURS)) >= 2, used
        return
    assert used <= set(plots.PALETTE.values()), used
    if name not in SIZE_FIGURES:
        assert plots.SIZE_COLOUR not in used
    if name not in VERDICT_FIGURES:
        assert not used & verdict_colours


# --------------------------------------------------------------------------- specification curve


def _curve(n_each: int = 1) -> pd.DataFrame:
    """Every combination of the analytic choices, every verdict present, sorted by estimate."""
    rows = [
        dict(zip(CHOICES, values, strict=True)) for values in itertools.product(*CHOICES.values())
    ]
    rows = rows * n_each
    coefs = np.linspace(-0.5, 0.5, len(rows))
    curve = pd.DataFrame(rows)
    curve["std_coef"] = coefs
    curve["ci90_low"] = coefs - 0.1
    curve["ci90_high"] = coefs + 0.1
    curve["verdict"] = [VERDICTS[i % len(VERDICTS)] for i in range(len(rows))]
    return curve


def test_specification_curve_marks_each_verdict_by_its_colour_and_shape():
    """Failed before: verdicts were told by colour alone and named by their code."""
    curve = _curve()
    top = plots.specification_curve(curve, sesoi=0.2)
    fig = top.get_figure(root=True)
    drawn = {}
    for line in top.lines:
        if line.get_marker() not in ("None", None, ""):
            drawn[(to_hex(line.get_color()), line.get_marker())] = len(line.get_xdata())
    expected = {
        (s.colour, s.marker): int((curve["verdict"] == v).sum())
        for v, s in plots.VERDICT_STYLES.items()
    }
    assert drawn == expected
    assert sum(drawn.values()) == len(curve)  # every specification, no cut
    legend = plots.legend_markers(fig)
    m = i18n.current()
    for verdict, style in plots.VERDICT_STYLES.items():
        label = m(
            "figures.specification.verdict",
            label=m(f"verdicts.{verdict}.label"),
            count=m.integer(int((curve["verdict"] == verdict).sum())),
        )
        assert legend[_one_line(label)] == (style.colour, style.marker)


def test_specification_curve_has_a_dot_matrix_of_the_choices_aligned_on_the_estimates():
    """Failed before: no panel showed which choices give which estimate."""
    curve = _curve(n_each=5)  # 80 specifications: none is left out
    top = plots.specification_curve(curve, sesoi=0.2)
    fig = top.get_figure(root=True)
    bottom = next(a for a in fig.get_axes() if a is not top)
    assert bottom.get_shared_x_axes().joined(top, bottom)
    rows = [(c, v) for c, values in CHOICES.items() for v in values]
    labels = [_one_line(t.get_text()) for t in bottom.get_yticklabels()]
    assert labels == [_one_line(plots.choice_label(c, v)) for c, v in rows]
    dots = {
        (int(x), int(y))
        for line in bottom.lines
        if line.get_marker() not in ("None", None, "")  # not the separators between choices
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    }
    expected = {(i, rows.index((c, spec[c]))) for i, spec in curve.iterrows() for c in CHOICES}
    assert dots == expected
    estimates = {
        (int(x), round(float(y), 9))
        for line in top.lines
        if line.get_marker() not in ("None", None, "")
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    }
    assert estimates == {(i, round(c, 9)) for i, c in enumerate(curve["std_coef"])}


def test_specification_curve_alt_gives_the_share_of_each_verdict():
    curve = _curve().iloc[:4].copy()
    curve["verdict"] = ["negligible", "negligible", "negligible", "decisive"]
    i18n.use("fr")
    alt = plain(plots.alt_specification_curve(curve, sesoi=0.2))
    assert alt.startswith(
        "Sur 4 spécifications, 3 (75 %) donnent le verdict « effet négligeable » ; "
        "1 (25 %) donne le verdict « effet déterminant »."
    ), alt
    i18n.use("en")
    alt = plain(plots.alt_specification_curve(curve, sesoi=0.2))
    assert "3 (75%) give the verdict “negligible effect”; 1 (25%) gives" in alt, alt


# --------------------------------------------------------------------------- alt texts


def _size_test(low: float, high: float, df: float = 1e6):
    q = stats.t.ppf(0.95, df)
    std_coef, std_se = (low + high) / 2, (high - low) / 2 / q
    p = float(2 * stats.t.sf(abs(std_coef / std_se), df))
    return judge_size(1.0, 1.0, p, std_coef, std_se, df, sesoi=0.2, alpha=0.05)


def test_equivalence_alt_states_the_message_in_french():
    """Failed before: no alt text said the message; figure_alt gave the title and axes."""
    i18n.use("fr")
    assert plain(plots.alt_equivalence(_size_test(-0.29, 0.24))) == (
        "L'effet standardisé de la taille est compris entre −0,29 et +0,24 (intervalle à "
        "90 %) : l'intervalle chevauche la zone des effets négligeables (±0,20) sans y tenir "
        "entièrement, d'où le verdict « non concluant »."
    )
    inside = plain(plots.alt_equivalence(_size_test(-0.1, 0.15)))
    assert "tient entièrement dans la zone" in inside and "« effet négligeable »" in inside
    outside = plain(plots.alt_equivalence(_size_test(0.3, 0.6)))
    assert "entièrement hors de la zone" in outside and "« effet déterminant »" in outside


def test_equivalence_alt_in_english():
    i18n.use("en")
    alt = plots.alt_equivalence(_size_test(-0.29, 0.24))
    assert alt.startswith("The standardized size effect lies between −0.29 and +0.24 (90%")
    assert alt.endswith("hence the verdict “inconclusive”.")


def test_power_alt_gives_the_detectable_effects():
    curve = pd.DataFrame({"effect": [-1.0, 0.0, 1.0], "power": [1.0, 0.05, 1.0]})
    i18n.use("fr")
    alt = plain(plots.alt_power_curve(curve, mde=(0.68, 0.42), sesoi=0.2))
    assert "80 % des cas dès qu'il atteindrait −0,68 (effet négatif) ou +0,42" in alt
    assert "entre −0,20 et +0,20" in alt


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_figure_has_an_alt_text_computed_from_its_data(runs, dataset, lang):
    i18n.use(lang)
    run = runs[dataset]
    alts = {name: alt() for name, (_, alt) in run.figures().items()}
    m = i18n.current()
    for name, alt in alts.items():
        # a word, not a substring: « déterminant » holds "nan"
        assert alt and not re.search(r"\bnan\b", alt.lower()) and "{" not in alt, (name, alt)
    # a few numbers of the data, formatted in the language, are in the sentences
    scored = run.scored.assign(type_label=lambda d: d["collectivity_type"])
    biggest = plots._groups(plots.with_groups(run.scored), "type_label", 5)
    assert not isinstance(biggest, str)
    medians = biggest.shown.groupby("group")["maturity_index"].median()
    assert all(m.number(float(v), 0) in alts["type"] for v in medians)
    assert scored is not None
    low, high = plots.equivalence_interval(run.claim.size)
    assert m.number(low, 2, sign=True) in alts["equivalence"]
    assert m.number(high, 2, sign=True) in alts["equivalence"]
    counts = run.curve["verdict"].value_counts()
    for verdict, count in counts.items():
        assert m.percent(count / len(run.curve)) in alts["specification"]
        assert m(f"verdicts.{verdict}.label") in alts["specification"]
    size_share = tables.importance_table(run.claim).loc["size", "share_pct"] / 100
    assert alts["importance"].startswith(
        m("figures.importance.alt", size=m.percent(size_share), interval="", others="")[:12]
    )
    assert m.percent(size_share) in alts["importance"]
    assert not math.isnan(size_share)
    effects = tables.size_effects(run.claim)
    for estimand in ("total", "direct", "indirect"):
        for column in ("points", "low", "high"):
            value = m.number(float(effects.loc[estimand, column]), 1, sign=True)
            assert value in alts["size_coefficients"], (estimand, column)


# --------------------------------------------------------------------------- reader figures


def _title(fig) -> str:
    """The figure's title on one line, as read (a suptitle when the axes have none)."""
    texts = [ax.get_title() for ax in fig.get_axes() if ax.get_title()] or [fig.get_suptitle()]
    return _one_line(texts[0])


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", READER_FIGURES)
def test_reader_figures_drawn_for_a_phone_show_text_of_11_px_or_more(runs, dataset, name):
    """Failed before: a figure 8 inches wide, shown 342 px wide on a 390 px phone, showed its
    10-point text at 6 px. In the phone layout the figure is 4 inches wide and keeps its
    smallest text at 10 points: 10 x 342 / (4 x 72) = 11.9 px; nothing is clipped."""
    i18n.use("fr")
    with matplotlib.rc_context():
        apply_style()  # the report's style, in which the notebooks draw
        _check_phone_figure(runs[dataset], name)


def _check_phone_figure(run: Run, name: str) -> None:
    with plots.phone_layout():
        _, fig = _draw(run, name)
    fig.set_dpi(FIGURE_DPI)
    plots.fit(fig)
    assert fig.get_size_inches()[0] == pytest.approx(plots.PHONE_WIDTH)
    assert plots.displayed_text_px(fig) >= plots.MIN_TEXT_PX
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    assert box.x0 >= -1e-3 and box.x1 <= width + 1e-3, (box, width)
    assert box.y0 >= -1e-3 and box.y1 <= height + 1e-3, (box, height)
    # the same figure on a desktop is not readable on a phone: that is why the variant exists
    _, desktop = _draw(run, name)
    assert plots.displayed_text_px(desktop) < plots.MIN_TEXT_PX


def test_displayed_text_px_is_font_size_times_display_width_over_figure_width():
    fig = plt.figure(figsize=(4.0, 3.0))
    fig.text(0.5, 0.5, "a", fontsize=9)
    fig.text(0.2, 0.2, "b", fontsize=14)
    fig.text(0.1, 0.1, "", fontsize=2)  # no characters: not text a reader sees
    assert plots.displayed_text_px(fig, display_px=288.0) == pytest.approx(9.0)
    assert plots.displayed_text_px(fig, display_px=576.0) == pytest.approx(18.0)


def test_group_titles_name_the_groups_of_highest_and_lowest_median(runs):
    from analyse.report.groups import with_groups
    from analyse.stats.regression import OUTCOME

    i18n.use("fr")
    scored = runs["panel"].scored
    ax = plots.maturity_by_size_band(scored)
    shown = plots._groups(with_groups(scored), "size_band", 5).shown  # groups not hidden
    medians = shown.groupby("group")[OUTCOME].median()
    assert len(medians) >= 2
    title = _one_line(ax.get_title())
    m = i18n.current()
    high = _one_line(f"« {medians.idxmax()} » ({m.number(medians.max(), 0)} sur 100)")
    low = _one_line(f"« {medians.idxmin()} » ({m.number(medians.min(), 0)})")
    assert high in title and low in title, title
    # each shown group's median is written on its box
    written = {_one_line(t.get_text()) for t in ax.texts}
    assert {m.number(v, 0) for v in medians} <= written


def test_published_title_counts_the_themes_below_the_published_share(runs, codebook):
    i18n.use("en")
    comparison = tables.published_comparison(runs["panel"].scored, codebook)
    below = int((comparison["this_survey"] < comparison["published_2025"]).sum())
    ax = plots.published_vs_survey(comparison, codebook=codebook)
    title = _one_line(ax.get_title())
    assert f"below the published barometer in {below} theme" in title, title
    assert f"of {comparison[['published_2025', 'this_survey']].dropna().shape[0]}" in title
    assert ax.get_legend() is None  # the bars are named on the data
    labels = " ".join(_one_line(t.get_text()) for t in ax.findobj(plt.Text))
    assert "This survey" in labels and "Barometer 2025" in labels


def test_size_coefficients_title_gives_both_effects_in_points_and_verdicts(runs):
    i18n.use("fr")
    effects = tables.size_effects(runs["panel"].claim)
    ax = plots.size_coefficients(effects)
    title = _one_line(ax.get_title())
    m = i18n.current()
    for key in ("total", "direct"):
        assert m.number(float(effects.loc[key, "points"]), 1, sign=True) in title
        assert plots.verdict_label(effects.loc[key, "verdict"]) in title
    assert ax.get_legend() is None  # the band is named on itself


def test_forest_is_in_factors_for_a_tenfold_population(runs, codebook):
    """An odds ratio per unit of ln(population) is, for a tenfold population, OR ** ln 10
    (``tables.theme_table`` gives that): the marks sit there, and the title counts the themes
    where the gap is clear (Holm)."""
    claim = runs["panel"].claim
    themes = tables.theme_table(claim, codebook)
    ax = plots.theme_forest(themes, codebook=codebook)
    drawn = np.sort(
        np.concatenate([line.get_xdata() for line in ax.lines if line.get_marker() == "s"])
    )
    # from the ordinal models' own coefficients (per unit of ln population), not the table
    expected = np.sort(np.exp(claim.themes["coef"].dropna().to_numpy() * math.log(10)))
    assert drawn == pytest.approx(expected, rel=1e-3)
    clear = int((themes["p_holm"] < 0.05).sum())
    title = plain(_one_line(ax.get_title()))
    assert ("aucun" in title) if clear == 0 else (f"dans {clear} thème" in title)
    assert "Holm" not in title and "cotes" not in title


def test_specification_curve_is_drawn_in_points_with_each_specification_s_scale(runs):
    """Each specification's standardized effect times ln 10 over its own sd(ln population) /
    sd(index) is its effect in points for a tenfold population; the points are drawn there and
    the title gives their range."""
    curve = runs["panel"].curve
    points = plots.curve_in_points(curve)
    assert points["effect"].to_numpy() == pytest.approx(
        (curve["std_coef"] * math.log(10) / curve["points_scale"]).to_numpy()
    )
    top = plots.specification_curve(curve, sesoi=0.2)
    drawn = np.concatenate([line.get_ydata() for line in top.lines if line.get_marker() != "None"])
    assert np.sort(drawn[np.isfinite(drawn)]) == pytest.approx(np.sort(points["effect"]))
    m = i18n.current()
    title = _one_line(top.get_figure(root=True).get_suptitle())
    assert m.number(float(points["effect"].min()), 1, sign=True) in title
    assert m.number(float(points["effect"].max()), 1, sign=True) in title
