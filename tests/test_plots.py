"""Every report figure: an Axes with a title and labelled axes, drawn on a synthetic survey,
in the report's language (French by default)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.report import i18n, plots, tables
from analyse.report.disclosure import too_few
from analyse.report.notebook import figure_alt, save_figure
from analyse.stats.claim import analyse_claim
from analyse.stats.sensitivity import power_curve


def plain(text: str) -> str:
    """French text with its no-break spaces (before : ; ? ! % », after «) as plain spaces."""
    return text.replace("\u00a0", " ")


@pytest.fixture(scope="module")
def scored(codebook):
    survey = generate(design="barometre-2025", seed=11, with_truth=False).data
    return score_survey(survey, codebook)


@pytest.fixture(scope="module")
def analysis(scored, codebook):
    return analyse_claim(scored, codebook, bootstrap=40, seed=1, simulations=200)


@pytest.fixture(autouse=True)
def _close_figures():
    i18n.use("fr")
    yield
    plt.close("all")
    i18n.use("fr")


def _figures(scored, codebook, analysis):
    curve = power_curve(analysis.fit, np.linspace(0, 1, 6), simulations=200, seed=1, sesoi=0.2)
    return {
        "size_band": lambda: plots.maturity_by_size_band(scored),
        "type": lambda: plots.maturity_by_type(scored),
        "budget_band": lambda: plots.maturity_by_budget_band(scored),
        "budget": lambda: plots.maturity_vs_budget(scored),
        "sponsorship": lambda: plots.maturity_by_sponsorship(scored),
        "published": lambda: plots.published_vs_survey(
            tables.published_comparison(scored, codebook)
        ),
        "size_coefficients": lambda: plots.size_coefficients(tables.size_effects(analysis)),
        "equivalence": lambda: plots.equivalence(analysis.size),
        "importance": lambda: plots.relative_importance(tables.importance_table(analysis)),
        "forest": lambda: plots.theme_forest(tables.theme_table(analysis, codebook)),
        "power": lambda: plots.power_curve(
            curve, mde=analysis.sensitivity.mde_std, sesoi=0.2, alpha=0.05
        ),
        "power_by_direction": lambda: plots.power_curve(
            curve,
            mde=(analysis.sensitivity.mde_std_negative, analysis.sensitivity.mde_std_positive),
            sesoi=0.2,
            alpha=0.05,
        ),
    }


FIGURES = [
    "size_band",
    "type",
    "budget_band",
    "budget",
    "sponsorship",
    "published",
    "size_coefficients",
    "equivalence",
    "importance",
    "forest",
    "power",
    "power_by_direction",
]


def test_power_curve_marks_the_mde_of_each_direction(analysis):
    sens = analysis.sensitivity
    curve = power_curve(analysis.fit, np.linspace(-0.9, 0.9, 7), simulations=200, seed=1)
    ax = plots.power_curve(curve, mde=(sens.mde_std_negative, sens.mde_std_positive))
    marked = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert marked[-2:] == pytest.approx([-sens.mde_std_negative, sens.mde_std_positive])


@pytest.mark.parametrize("name", FIGURES)
def test_figure_has_title_and_axis_labels(name, scored, codebook, analysis):
    ax = _figures(scored, codebook, analysis)[name]()
    assert isinstance(ax, Axes)
    assert ax.get_title().strip()
    assert ax.get_xlabel().strip()
    # the rows of these figures are named by their tick labels (which question, which theme):
    # a label beside them would take a phone's width for nothing
    if name not in {"size_coefficients", "forest"}:
        assert ax.get_ylabel().strip()
    assert plain(" ".join(ax.get_title().split())) in plain(figure_alt(ax))


@pytest.mark.parametrize("name", ["size_band", "equivalence", "forest"])
def test_figure_draws_on_the_given_axes(name, scored, codebook, analysis):
    fig, ax = plt.subplots()
    draw = {
        "size_band": lambda: plots.maturity_by_size_band(scored, ax=ax),
        "equivalence": lambda: plots.equivalence(analysis.size, ax=ax),
        "forest": lambda: plots.theme_forest(tables.theme_table(analysis, codebook), ax=ax),
    }[name]
    assert draw() is ax
    assert len(fig.axes) == 1


def test_group_below_min_cell_is_named_but_not_drawn(scored):
    types = scored["collectivity_type"]
    smallest = types.value_counts().idxmin()
    n_small = int((types == smallest).sum())
    ax = plots.maturity_by_type(scored, min_cell=n_small + 1)
    labels = [" ".join(t.get_text().split()) for t in ax.get_xticklabels()]
    hidden = i18n.current()("figures.groups.hidden", reason=too_few(n_small + 1))
    assert any(f"({hidden})" in label for label in labels), labels
    # the points drawn are those of the shown groups only
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    shown = [lab for lab in labels if "n = " in lab]
    n_shown = sum(
        int(lab.rsplit("n = ", 1)[1].replace("\u202f", "").replace(" ", "")) for lab in shown
    )
    assert drawn == n_shown


def test_category_labels_are_readable_not_codes(scored):
    ax = plots.maturity_by_type(scored)
    text = " ".join(t.get_text() for t in ax.get_xticklabels())
    assert "Métropole" in text
    assert "metropole" not in text


@pytest.mark.parametrize(
    ("lang", "start", "axis"),
    [
        ("fr", "Indice médian le plus élevé : « ", "Axe horizontal : Tranche"),
        ("en", "Highest median index: “", "Horizontal axis: Population band"),
    ],
)
def test_figure_alt_describes_title_and_axes_in_the_language(scored, lang, start, axis):
    """Failed before: the title, the axes and the words around them were English only."""
    i18n.use(lang)
    ax = plots.maturity_by_size_band(scored)
    alt = plain(figure_alt(ax))
    assert alt.startswith(start)
    assert axis in alt
    assert "\n" not in alt


def test_save_figure_writes_nothing_without_output_dir(tmp_path, scored, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ax = plots.maturity_by_size_band(scored)
    assert save_figure(ax, "", "size") is None
    assert list(tmp_path.iterdir()) == []
    path = save_figure(ax, tmp_path / "figs", "size")
    assert path == tmp_path / "figs" / "size.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
