"""Notebook 2's figures at scale (issue 17, item 5): above ``DENSE_POINTS`` respondents the
scatter has one panel per collectivity type, its respondents counted in hexagons, so that no
type hides another, and the box plots draw densities instead of points; below, nothing
changes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.report import descriptive_figures, i18n, plots
from analyse.report.groups import type_label, with_groups
from analyse.report.notebook import FIGURE_DPI
from analyse.stats.regression import OUTCOME


@pytest.fixture(autouse=True)
def _french_after():
    yield
    plt.close("all")
    i18n.use("fr")


def _survey(counts: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """A described survey with ``counts`` respondents per type: index and spending drawn."""
    rng = np.random.default_rng(seed)
    types = np.repeat(list(counts), list(counts.values()))
    n = len(types)
    budget = np.exp(rng.normal(np.log(800), 0.4, n))
    index = np.clip(20 + 15 * np.log(budget / 800) + rng.normal(0, 15, n), 0, 100)
    return with_groups(
        pd.DataFrame(
            {
                "collectivity_type": types,
                "population": rng.integers(500, 500_000, n),
                "budget_per_capita": budget,
                OUTCOME: index,
            }
        )
    )


def _hexagon_counts(ax) -> float:
    """How many respondents the hexagons of one panel count."""
    cells = [
        c for c in ax.collections if isinstance(c, PolyCollection) and c.get_array() is not None
    ]
    return float(sum(np.sum(c.get_array()) for c in cells))


def _panels(ax) -> dict[str, object]:
    """The panels of a dense scatter by their title's first line, without its count."""
    fig = ax.get_figure(root=True)
    found = {}
    for panel in fig.axes:
        title = " ".join(panel.get_title().replace("\u00a0", " ").split())
        if title:
            found[title.rsplit(" (n = ", 1)[0]] = panel
    return found


def _drawn_points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if not isinstance(c, PolyCollection))


COUNTS = {"commune": 2_300, "CC": 150, "CA": 40, "departement": 12, "region": 6}


def test_dense_scatter_has_one_panel_per_type_counting_all_its_respondents():
    """2,508 respondents: five panels, the 6 régions as present as the 2,300 communes."""
    data = _survey(COUNTS)
    ax = plots.maturity_vs_budget(data, 5)
    panels = _panels(ax)
    assert set(panels) == {type_label(t) for t in COUNTS}
    for ctype, n in COUNTS.items():
        panel = panels[type_label(ctype)]
        assert _hexagon_counts(panel) == n  # every respondent of the type is in its panel
        assert f"(n = {i18n.current().integer(n)})" in " ".join(panel.get_title().split("\n"))
    assert ax is panels[type_label("commune")]  # the first panel is returned
    # one grey scale for all panels, so a hexagon of one respondent has the same shade anywhere
    norms = {
        id(c.norm) for p in panels.values() for c in p.collections if c.get_array() is not None
    }
    assert len(norms) == 1


def test_dense_scatter_hides_small_types_as_the_small_one_does():
    """The disclosure rule holds in the dense form: a type under min_cell has no panel and the
    title names it."""
    data = _survey({**COUNTS, "EPT": 3})
    ax = plots.maturity_vs_budget(data, 5)
    assert type_label("EPT") not in _panels(ax)
    title = " ".join(ax.get_figure(root=True).get_suptitle().split())
    assert f"{type_label('EPT')} (moins de 5)" in title.replace("\u00a0", " ")
    alt = plots.alt_maturity_vs_budget(data, 5)
    assert f"{type_label('EPT')} (moins de 5)" in alt.replace("\u00a0", " ")


def test_small_scatter_is_unchanged_up_to_the_threshold():
    """Up to DENSE_POINTS respondents: one Axes, every respondent a point, no hexagon."""
    counts = {"commune": descriptive_figures.DENSE_POINTS - 60, "CC": 60}
    data = _survey(counts)
    ax = plots.maturity_vs_budget(data, 5)
    assert len(ax.get_figure(root=True).axes) == 1
    assert _drawn_points(ax) == descriptive_figures.DENSE_POINTS
    assert "hexagone" not in plots.alt_maturity_vs_budget(data, 5)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dense_alt_text_counts_each_type_and_states_the_slope(lang):
    i18n.use(lang)
    m = i18n.current()
    data = _survey(COUNTS)
    alt = plots.alt_maturity_vs_budget(data, 5)
    for ctype, n in COUNTS.items():
        assert m("figures.budget.panel", type=type_label(ctype, m), n=m.integer(n)) in alt
    slope = np.polyfit(np.log(data["budget_per_capita"]), data[OUTCOME], 1)[0]
    assert m.number(slope * np.log(2), 1, sign=True) in alt
    assert m.integer(sum(COUNTS.values())) in alt


def test_dense_box_plot_draws_densities_not_points():
    data = _survey(COUNTS)
    ax = plots.maturity_by_type(data, 5)
    assert _drawn_points(ax) == 0
    violins = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(violins) == len(COUNTS)  # one density per shown type
    small = _survey({"commune": 80, "CC": 40})
    assert _drawn_points(plots.maturity_by_type(small, 5)) == 120  # below: the points


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dense_figures_are_not_clipped(lang):
    i18n.use(lang)
    data = _survey({**COUNTS, "CU": 30, "metropole": 20, "EPT": 10})
    for draw in (plots.maturity_vs_budget, plots.maturity_by_type, plots.maturity_by_size_band):
        fig = draw(data, 5).get_figure(root=True)
        fig.set_dpi(FIGURE_DPI)
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        width, height = fig.get_size_inches()
        assert box.x0 >= -1e-3 and box.y0 >= -1e-3, (draw.__name__, box)
        assert box.x1 <= width + 1e-3 and box.y1 <= height + 1e-3, (draw.__name__, box)
        plt.close(fig)


def test_dense_scatter_drawn_on_given_axes_takes_their_place():
    fig, (left, right) = plt.subplots(1, 2)
    ax = plots.maturity_vs_budget(_survey(COUNTS), 5, ax=right)
    assert ax.get_figure(root=True) is fig
    assert left in fig.axes and right not in fig.axes
    assert len(_panels(ax)) == len(COUNTS)


@pytest.mark.slow
def test_every_tier_at_35000_rows_has_a_panel_per_type():
    """The size the issue names: a synthetic sample of 35,000 bodies of every tier; each of the
    eight types has its panel and every respondent drawn is counted in its type's panel."""
    scored = score_survey(
        generate("random", seed=3, n=35_000, with_truth=False).data, load_codebook()
    )
    data = with_groups(scored)
    drawn = data[data[OUTCOME].notna() & data["budget_per_capita"].notna()]
    ax = plots.maturity_vs_budget(data, 5)
    panels = _panels(ax)
    expected = drawn["collectivity_type"].value_counts()
    assert set(panels) == {type_label(t) for t in expected.index}
    assert len(panels) == 8
    for ctype, n in expected.items():
        assert _hexagon_counts(panels[type_label(ctype)]) == n


def _sponsored(counts: dict[str, int]) -> pd.DataFrame:
    """``_survey`` with the two sponsorship answers, so that every figure is drawn."""
    survey = _survey(counts)
    rng = np.random.default_rng(1)
    for column in ("elected_digital_lead", "strategy_adopted"):
        survey[column] = rng.integers(0, 2, len(survey))
    return with_groups(survey.drop(columns=["sponsorship"], errors="ignore"))


def test_captions_describe_what_the_figure_draws():
    """Below DENSE_POINTS the captions speak of points, above of densities and hexagons
    (before: "one dot per respondent" under violins and hexagons); each key exists in every
    language, and the choice follows the rows each figure itself draws."""
    small = _sponsored({"CC": 40, "CA": 30})
    large = _sponsored({"CC": 1500, "CA": 800})
    for key in descriptive_figures.CAPTIONED:
        plain = descriptive_figures.caption_key(key, small)
        dense = descriptive_figures.caption_key(key, large)
        assert (plain, dense) == (key, f"{key}_dense")
        for lang in i18n.LANGUAGES:
            m = i18n.messages(lang)
            assert m(plain, min_cell=5) != m(dense, min_cell=5)
    # the dense scatter is the one with panels of hexagons
    assert _hexagon_counts(plots.maturity_vs_budget(large)) > 0
    assert _hexagon_counts(plots.maturity_vs_budget(small)) == 0
    # and no French dense caption speaks of dots
    fr = i18n.messages("fr")
    assert not any(
        "point par répondant" in fr(f"{key}_dense", min_cell=5)
        for key in descriptive_figures.CAPTIONED
    )
