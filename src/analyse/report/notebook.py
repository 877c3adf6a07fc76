"""What every analysis notebook calls first and for each figure.

``setup`` turns the variables of a notebook's parameter cell into checked ``RunParams`` and
applies one figure style, so that all notebooks look alike. The parameter cell holds one flat
variable per key of ``params/*.yaml`` (``sesoi``, ``survey``, ``min_cell``, ...) plus
``output_dir``, and ``data = None`` and ``analysis = None``, the YAML's sections; papermill
injects its values after that cell, either flat (``papermill NB out.ipynb -p sesoi 0.3``) or as
the YAML's sections (``-f params/default.yaml`` injects ``data = {...}`` and
``analysis = {...}``, which papermill accepts quietly since the cell declares them, and whose
keys win over the cell's flat defaults). Papermill only
warns about a name the notebook does not declare and runs on with the default: a mistyped
``sesoy`` would publish a report made with the wrong bound. ``setup`` refuses it instead.

``show_figure`` displays a figure with a text alternative (RGAA) and, when the run gives an
output folder, also saves it there as PNG; given the function that draws the figure, it also
draws the figure in the phone layout, which reader pages serve to narrow screens.
"""

from __future__ import annotations

import ast
import base64
import io
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analyse.errors import InputError, Problem
from analyse.params import (
    FLAT_NAMES,
    SECTIONS,
    RunParams,
    flat_parameters,
    nested_parameters,
    params_from_mapping,
)
from analyse.paths import has_run_inputs
from analyse.report import i18n
from analyse.report.escape import from_mpl_text, markdown_text
from analyse.report.figure_base import PHONE_DPI, phone_layout
from analyse.report.narrative import NARRATIVE_METADATA
from analyse.report.plots import fit, is_fitted
from analyse.report.prose import curve_summary, verdict_sentence
from analyse.suggest import closest, did_you_mean

if TYPE_CHECKING:
    from IPython.display import Markdown

    from analyse.stats.claim import ClaimAnalysis

FIGURE_DPI = 110  # on screen and in the HTML report
SAVE_DPI = 150  # PNG files written by ``save_figure`` (an analyst's own copies)
# Where a displayed PNG's metadata keeps the figure drawn in the phone layout (base64 PNG):
# ``analyse.pipeline.publish`` serves it to screens narrower than 600 px.
PHONE_KEY = "phone_png"
SAVED_AS_KEY = "saved_as"  # the file name show_figure wrote the figure to, in the run folder
# Parameters of the notebooks that are not keys of a params file: where the run writes.
RUNTIME_PARAMETERS: tuple[str, ...] = ("output_dir",)
# The first line of the cell papermill injects (papermill's Python translator writes it).
INJECTED_MARKER = "# Parameters"
SOURCE = "notebook parameters"


class UnknownParameterError(InputError):
    """A name injected into a notebook that is not one of its parameters (a typo, usually)."""


def setup(namespace: Mapping[str, Any]) -> RunParams:
    """Checked parameters from a notebook's variables (pass ``globals()``), and the figure style.

    The notebook's flat variables are then updated to the checked values.

    Raises ``UnknownParameterError`` naming any injected name that is not a parameter, and
    ``InputError`` listing every other problem (wrong type, missing input file), as the runner
    does for a params file. Injected flat names win over injected sections, which win over the
    parameter cell's defaults.
    """
    injected = injected_names(namespace)
    allowed = set(FLAT_NAMES) | set(SECTIONS) | set(RUNTIME_PARAMETERS)
    # papermill's own variables (``--inject-paths``) are not the notebook's parameters
    unknown = [n for n in injected if n not in allowed and not n.startswith("PAPERMILL_")]
    if unknown:
        raise UnknownParameterError(
            [
                Problem(
                    SOURCE,
                    f"unknown parameter {name!r}" + did_you_mean(closest(name, sorted(allowed))),
                    expected="one of: " + ", ".join([*SECTIONS, *FLAT_NAMES, *RUNTIME_PARAMETERS]),
                )
                for name in unknown
            ]
        )
    flat = {name: namespace[name] for name in FLAT_NAMES if name in namespace}
    raw = nested_parameters(flat)
    given_sections = _given_sections(namespace, injected)
    for section, given in given_sections.items():
        for key, value in given.items():
            if key in injected and FLAT_NAMES.get(key) == (section, key):
                continue  # ``-f params.yaml -p sesoi 0.3``: the flat value is the override
            # an unknown key goes through too, so that validation names it (``data.colums``)
            raw.setdefault(section, {})[key] = value
    # The flat variables always hold a value for every key (the parameter cell's defaults), so
    # a key counts as given when it differs from its default; a section injected from a params
    # file (``-f``) says which keys its file wrote, as ``load_params`` reads them.
    written = set().union(*(given.keys() for given in given_sections.values()))
    params = params_from_mapping(
        raw,
        source=SOURCE,
        flat=not {"sesoi", "sesoi_points"} <= written,
        # executed by the runner: the run read its files already, and a notebook shows that
        # result even if the user's survey was edited or deleted since
        check_files=not has_run_inputs(namespace.get("output_dir", "")),
    )
    if isinstance(namespace, MutableMapping):
        # The flat variables now hold the checked values, whichever way they were given, so a
        # cell may use ``min_cell`` or ``sesoi`` directly.
        namespace.update(flat_parameters(params))
    apply_style()
    i18n.use(params.lang, kind=params.data.kind, index_label=_index_label(params))
    return params


def _given_sections(namespace: Mapping[str, Any], injected: list[str]) -> dict[str, Mapping]:
    """The sections of a params file the notebook was given: injected by papermill (``-f``),
    or written in the parameter cell in place of its ``None``. A section injected as anything
    but a mapping is refused; the cell's own ``None`` means "not given"."""
    given: dict[str, Mapping] = {}
    for section in SECTIONS:
        value = namespace.get(section)
        if value is None and section not in injected:
            continue
        if not isinstance(value, Mapping):
            raise InputError([Problem(SOURCE, f"{section}: not a mapping", value=repr(value))])
        given[section] = value
    return given


def _index_label(params: RunParams) -> str | None:
    """The codebook's name of its index in the run's language (None: the barometer's words).
    A codebook that cannot be read is left for the notebook's loading to report."""
    from analyse.data.codebook import load_codebook

    try:
        return load_codebook(params.codebook_path).index_label(params.lang)
    except (InputError, OSError):
        return None


def injected_names(namespace: Mapping[str, Any]) -> list[str]:
    """The names papermill assigned in the cell it injected, in order (none if not injected).

    Papermill records no trace of injection in the kernel besides the cell itself, which IPython
    keeps in its input history ``In``; the last cell starting with papermill's marker is it.
    """
    history = namespace.get("In") or []
    for source in reversed(list(history)):
        if isinstance(source, str) and source.lstrip().split("\n", 1)[0] == INJECTED_MARKER:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return []
            names = []
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    names += [t.id for t in node.targets if isinstance(t, ast.Name)]
            return names
    return []


def apply_style() -> None:
    """The one figure style of the reports: seaborn whitegrid, readable fonts, fixed DPI; and
    tables that MathJax leaves alone.

    Pandas escapes a table's HTML but leaves ``$`` to MathJax, which Jupyter and nbconvert's
    pages run over the whole page: a codebook label ``$x^$`` would be typeset as (broken) math.
    With ``display.html.use_mathjax`` off, pandas marks its tables for MathJax to skip, so a
    label reads as written (``analyse.report.escape``).
    """
    pd.set_option("display.html.use_mathjax", False)
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update(
        {
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": SAVE_DPI,
            "figure.figsize": (8.0, 4.8),
            "axes.titleweight": "bold",
            "figure.constrained_layout.use": True,
        }
    )


def _figure(fig: Figure | Axes) -> Figure:
    return fig.get_figure(root=True) if isinstance(fig, Axes) else fig


def figure_alt(fig: Figure | Axes) -> str:
    """A text alternative built from the axes' titles and labels, in the report's language,
    used when none is given. It describes the chart's form, not its message: pass the figure's
    ``analyse.report.plots.alt_<figure>(...)`` to ``show_figure`` instead. Texts read as the
    reader sees them (a ``$`` that ``analyse.report.escape.mpl_text`` escaped is a ``$``)."""
    m = i18n.current()
    parts = []
    for ax in _figure(fig).get_axes():
        title = ax.get_title() or ax.get_title(loc="left")
        if not title:
            continue
        title, x, y = (
            " ".join(from_mpl_text(t).split()) for t in (title, ax.get_xlabel(), ax.get_ylabel())
        )
        parts.append(m("figures.alt_axes", title=title, x=x, y=y))
    return " ".join(parts) or m("figures.alt_untitled")


def save_figure(fig: Figure | Axes, output_dir: str | Path, name: str) -> Path | None:
    """Write ``<output_dir>/<name>.png``; write nothing and return None when ``output_dir`` is
    empty (the default: the runner takes figures from the executed notebook)."""
    if not output_dir:
        return None
    path = _png_path(output_dir, name)
    _figure(fig).savefig(path, dpi=SAVE_DPI)
    return path


def _png_path(output_dir: str | Path, name: str) -> Path:
    path = Path(output_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def show_figure(
    fig: Figure | Axes | Callable[[], Figure | Axes],
    alt: str | None = None,
    output_dir: str | Path = "",
    name: str = "",
) -> None:
    """Display a figure as PNG with a text alternative, save it if asked, and close it.

    ``fig`` is a figure, or the function that draws it (``lambda: plots.size_coefficients(e)``):
    the function is called twice, once as usual and once in the phone layout
    (``analyse.report.figure_base.phone_layout``: 4 inches wide, so that its text is at least
    11 px on a 390 px phone), and the phone PNG goes into the output's metadata
    (``image/png.phone_png``), for the reader page to serve to narrow screens. A figure given
    as such has no phone variant: it is drawn once.

    The alternative text goes into the output's metadata (``image/png.alt``), which the
    publisher (``analyse.pipeline.publish.output_alt``) writes as the image's ``alt``
    attribute; it defaults to the title and axis labels. The figure is rendered once: the file
    written to ``<output_dir>/<name>.png`` holds the very bytes displayed (drawing a figure
    costs more than anything else in a notebook): the pixels ``fit`` drew, encoded as
    ``savefig`` would encode them, without the two passes ``savefig`` adds (a layout and a
    draw), nor fitting again a figure that ``fit`` laid out and nothing changed since. Closing
    the figure stops Jupyter from drawing it a second time.
    """
    from IPython.display import Image, display

    phone = None
    if callable(fig) and not isinstance(fig, (Figure, Axes)):
        draw = fig
        with phone_layout():
            phone = _figure(draw())
        phone_data = _shown_png(phone, PHONE_DPI)
        plt.close(phone)
        fig = draw()
    figure = _figure(fig)
    text = alt or figure_alt(figure)
    data = _shown_png(figure, FIGURE_DPI)
    plt.close(figure)
    if name and output_dir:
        _png_path(output_dir, name).write_bytes(data)
    metadata: dict[str, str] = {"alt": text}
    if name and output_dir:  # the run's index names the file by this figure, not another
        metadata[SAVED_AS_KEY] = _png_path(output_dir, name).name  # drawn alike (same bytes)
    if phone is not None:
        metadata[PHONE_KEY] = base64.b64encode(phone_data).decode("ascii")
    display(Image(data=data, format="png", metadata=metadata))


def _shown_png(figure: Figure, dpi: float) -> bytes:
    """The figure as PNG at ``dpi``, laid out at that DPI: a figure of ``analyse.report.plots``
    left as ``fit`` laid it out at this DPI is encoded as drawn; any other (changed since, or
    measured at another DPI, where something drawn after the figure function could run off the
    canvas) is fitted again first."""
    if not (is_fitted(figure) and figure.dpi == dpi):
        figure.set_dpi(dpi)
        fit(figure)  # leaves the canvas drawn as the figure now is
    return _canvas_png(figure)


def _canvas_png(figure: Figure) -> bytes:
    """The figure's canvas as drawn last, as PNG: what ``savefig(format="png")`` writes at the
    figure's DPI (the same encoder, metadata and resolution), without drawing it again."""
    buffer = io.BytesIO()
    canvas = figure.canvas
    if isinstance(canvas, FigureCanvasAgg):
        mpl.image.imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper", dpi=figure.dpi)
    else:  # a canvas that keeps no pixels: savefig draws it
        figure.savefig(buffer, format="png", dpi=figure.dpi)
    return buffer.getvalue()


def show_verdict(analysis: ClaimAnalysis, kind: str | None = None) -> Markdown:
    """The verdict sentence (``analyse.report.prose.verdict_sentence``), highlighted; ``kind``
    is the data's (``data.kind``: a census counts observed collectivities).

    The sentence is text, not Markdown: escaped (``analyse.report.escape.markdown_text``), it
    reads exactly as ``results.json`` stores it whatever it holds.
    """
    from IPython.display import Markdown

    sentence = verdict_sentence(analysis, kind=kind)
    return Markdown(f"> {markdown_text(sentence)}", metadata=NARRATIVE_METADATA)


def show_curve_summary(
    curve: pd.DataFrame, alpha: float, analysis: ClaimAnalysis | None = None
) -> Markdown:
    """The specification curve's summary (``analyse.report.prose.curve_summary``), as text
    (escaped like ``show_verdict``'s sentence); ``analysis`` says what its models hold equal."""
    from IPython.display import Markdown

    return Markdown(
        markdown_text(curve_summary(curve, alpha, analysis=analysis)), metadata=NARRATIVE_METADATA
    )
