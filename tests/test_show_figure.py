"""``show_figure`` draws a figure once: a figure that ``fit`` laid out and nothing changed since
is shown as its canvas holds it, with no layout or draw pass more; a figure changed since, or
never fitted, is fitted first; the PNG written to the run folder is the PNG displayed, and it
holds the canvas' pixels at the DPI of the report."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import IPython.display
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from analyse.report import plots
from analyse.report.notebook import FIGURE_DPI, apply_style, show_figure


@pytest.fixture
def shown(monkeypatch):
    """What show_figure displays: (PNG bytes, alt text), in order."""
    apply_style()
    displayed = []

    def capture(image, **kwargs):
        displayed.append((image.data, image.metadata["alt"]))

    monkeypatch.setattr(IPython.display, "display", capture)
    yield displayed
    plt.close("all")


def a_figure():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("Three values")
    return fig, ax


def count_draws(fig) -> list[int]:
    draws: list[int] = []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
    return draws


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_a_fitted_figure_is_shown_as_drawn_without_another_draw(shown, tmp_path):
    fig, _ = a_figure()
    plots.fit(fig)
    expected = np.asarray(fig.canvas.buffer_rgba()).copy()
    draws = count_draws(fig)
    show_figure(fig, alt="three values", output_dir=tmp_path, name="three")
    assert draws == []  # neither fitted nor saved again
    ((png, alt),) = shown
    assert alt == "three values"
    assert (tmp_path / "three.png").read_bytes() == png  # the very bytes displayed
    assert np.array_equal(pixels(png), expected)
    width, height = fig.get_size_inches() * FIGURE_DPI
    assert pixels(png).shape == (round(height), round(width), 4)


def test_a_figure_changed_after_fit_is_fitted_and_drawn_again(shown):
    fig, ax = a_figure()
    plots.fit(fig)
    before = np.asarray(fig.canvas.buffer_rgba()).copy()
    ax.axhline(2.5, color="red", linewidth=4)  # an analyst's addition after the figure function
    draws = count_draws(fig)
    show_figure(fig, alt="with a line")
    assert draws  # laid out and drawn again, with the line
    ((png, _),) = shown
    assert not np.array_equal(pixels(png), before)


def test_a_figure_drawn_by_hand_but_never_fitted_is_fitted(shown):
    fig, _ = a_figure()
    fig.canvas.draw()  # not stale, yet nobody checked that nothing is cut
    draws = count_draws(fig)
    show_figure(fig, alt="drawn by hand")
    assert draws
    assert plots.is_fitted(fig)


def test_a_figure_at_another_dpi_is_laid_out_again_at_the_report_s(shown):
    fig, _ = a_figure()
    fig.set_dpi(72)
    plots.fit(fig)
    show_figure(fig, alt="at 72 dpi")
    ((png, _),) = shown
    width, height = fig.get_size_inches() * FIGURE_DPI
    assert pixels(png).shape == (round(height), round(width), 4)


def test_a_figure_function_is_also_drawn_for_a_phone(monkeypatch, tmp_path):
    """Given the function that draws it, show_figure draws the figure twice: as usual (the PNG
    displayed and saved) and in the phone layout, PHONE_WIDTH inches at PHONE_DPI, kept in the
    output's metadata for the reader page's <picture>."""
    import base64

    from analyse.report.figure_base import PHONE_DPI, PHONE_WIDTH, is_phone
    from analyse.report.notebook import PHONE_KEY

    apply_style()
    displayed = []
    monkeypatch.setattr(IPython.display, "display", lambda image, **kw: displayed.append(image))
    layouts = []

    def draw():
        layouts.append(is_phone())
        return plots.maturity_by_size_band(
            __import__("pandas").DataFrame(
                {
                    "population": [5_000, 8_000, 30_000, 40_000, 300_000, 400_000] * 3,
                    "maturity_index": np.linspace(10, 90, 18),
                }
            ),
            min_cell=1,
        )

    show_figure(draw, alt="bands", output_dir=tmp_path, name="bands")
    assert sorted(layouts) == [False, True]
    (image,) = displayed
    assert image.metadata["alt"] == "bands"
    phone = pixels(base64.b64decode(image.metadata[PHONE_KEY]))
    assert phone.shape[1] == round(PHONE_WIDTH * PHONE_DPI)
    desktop = pixels(image.data)
    assert desktop.shape[1] == round(8.0 * FIGURE_DPI)
    assert (tmp_path / "bands.png").read_bytes() == image.data
    plt.close("all")
