"""Turn executed notebooks into the published files of a run.

A run folder holds, for each notebook, a reader HTML (no code, for decision makers), a full HTML
(code shown, for reviewers) and the executed ``.ipynb``; the figures as PNG files; the
machine-readable ``results.json`` and ``manifest.json``; and an accessible ``index.html``
(``analyse.pipeline.index_pages``). The HTML pages embed their images so that a single page can
be mailed or archived on its own. This module decides what the pages say; the Jinja templates
in ``analyse/pipeline/templates`` lay it out.

Only aggregates are published: ``results.json`` comes from ``analyse.pipeline.run_result``
and no data file is written here, so respondent-level rows never leave the input folder.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import FileSystemLoader
from markupsafe import Markup

from analyse.paths import project_root
from analyse.pipeline.index_pages import caveats, findings, run_index_html, table_captions
from analyse.pipeline.manifest import output_checksums
from analyse.pipeline.site_layout import (
    FIGURES_DIR,
    INDEX_FILE,
    MANIFEST_FILE,
    NBCONVERT_TEMPLATES_DIR,
    RESULTS_FILE,
    notebook_title,
    page_title,
    render_page,
    run_language,
    run_themes,
)
from analyse.report.i18n import DEFAULT_LANGUAGE, Messages, current, for_run, messages

# the metadata key of a figure's phone variant (``analyse.report.notebook.PHONE_KEY``): written
# here, not imported, so that publishing does not import matplotlib
PHONE_KEY = "phone_png"
SAVED_AS_KEY = "saved_as"  # analyse.report.notebook.SAVED_AS_KEY: the file show_figure wrote
PHONE_MEDIA = "(max-width: 600px)"  # the screens a reader figure's phone variant is served to

if TYPE_CHECKING:
    # nbformat and nbconvert are imported where pages are written: importing them (jsonschema
    # above all) takes seconds that ``analyse run`` should not spend to skip an unchanged run.
    import nbformat
    from nbconvert import HTMLExporter


@dataclass(frozen=True)
class Figure:
    """A PNG taken from a notebook's outputs; ``number`` counts from 1 within the notebook."""

    path: str  # relative to the run folder
    notebook: str  # notebook stem
    number: int
    description: str | None = None  # the notebook's own alt text, if it gave one
    detail: bool = False  # from a cell tagged ``detail``: on the code version only
    phone: str | None = None  # its phone layout (``<stem>-<n>.phone.png``), when drawn
    saved_as: str | None = None  # the file show_figure also wrote it to (``<name>.png``)

    @property
    def alt(self) -> str:
        return labelled_alt(self.notebook, self.number, self.description)

    def alt_in(self, m: Messages) -> str:
        return labelled_alt(self.notebook, self.number, self.description, m)


def labelled_alt(
    notebook: str, number: int, description: str | None = None, m: Messages | None = None
) -> str:
    """Alt text of a figure: what it shows, when the notebook said, else which figure of which
    chapter (a screen-reader user hears at least where it comes from). The chapter is named by
    its number ("01_data_quality" -> 1), not by the notebook's file name."""
    m = m or current()
    numbered = re.match(r"(\d+)_", notebook)
    notebook = str(int(numbered[1])) if numbered else m.get(f"pages.notebooks.{notebook}", notebook)
    if description:
        return m("pages.figure_alt_described", number=number, notebook=notebook,
                 description=description)  # fmt: skip
    return m("pages.figure_alt", number=number, notebook=notebook)


def output_alt(output: nbformat.NotebookNode) -> str | None:
    """The text alternative a notebook attached to a PNG output (``analyse.report.notebook``
    stores it in the output metadata, under ``image/png`` or at the top level)."""
    metadata = output.get("metadata") or {}
    alt = (metadata.get("image/png") or {}).get("alt") or metadata.get("alt")
    return " ".join(str(alt).split()) if alt else None


def dump_json(obj: Any) -> str:
    """The one JSON spelling of published files: same object, same bytes, strict JSON.

    A value that could not be computed (NaN, an infinity) is written ``null``: ``NaN`` is not
    JSON, and most consumers of ``results.json`` (JavaScript, jq, R's jsonlite) reject it.
    """
    return (
        json.dumps(_finite(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(dump_json(obj), encoding="utf-8", newline="\n")
    return path


# ------------------------------------------------------------------------ building paths


def machine_paths(run_dir: Path) -> list[tuple[str, str]]:
    """The building machine's absolute paths that executed notebooks hold, each with what it
    becomes in a published file, longest first (so a path is replaced before its parent).

    Papermill writes the run's staging folder (``output_dir = "/…/.staging-ci.123.x"``), the
    notebook's source path and the working folder into the notebook; warnings print the
    interpreter's. None of them means anything to a reader, and they tell the world the
    layout of the machine that built the report: the run folder becomes ".", the output folder
    "..", the project root "." (its files by their relative path), the interpreter "<python>",
    the user's home "~" and the temporary folder "~tmp" (where inputs kept outside the project
    live).
    """
    run = run_dir.resolve()
    pairs = [(str(run), "."), (str(run_dir.absolute()), "."), (str(run.parent), "..")]
    root = project_root().resolve()
    pairs += [(str(root) + os.sep, ""), (str(root), ".")]
    if sys.prefix != sys.base_prefix:  # a virtual environment, e.g. /…/project/.venv
        pairs.append((str(Path(sys.prefix).resolve()), "<python>"))
    # inputs the user keeps outside the project (a survey in a home or temporary folder)
    pairs += [
        (str(Path.home().resolve()), "~"),
        (str(Path(tempfile.gettempdir()).resolve()), "~tmp"),
    ]
    unique = {path: new for path, new in pairs if len(path) > 1}
    return sorted(unique.items(), key=lambda pair: len(pair[0]), reverse=True)


def scrub_text(text: str, run_dir: Path) -> str:
    """``text`` with the building machine's absolute paths made relative (``machine_paths``)."""
    for path, new in machine_paths(run_dir):
        text = text.replace(path, new)
    return text


# Base64 images in a notebook: their alphabet holds "/", so "/tmp" or "/root" occur in them by
# chance (a figure in 3 or so per run, since reader figures also carry a phone variant), and a
# path replaced there would corrupt the image. ``scrub_notebook`` leaves these values alone.
_BINARY_KEYS = frozenset({"image/png", "image/jpeg", "image/gif", "application/pdf", PHONE_KEY})


def _scrubbed(value: Any, run_dir: Path) -> Any:
    """``value`` (a notebook's JSON) with ``scrub_text`` applied to every string but those
    under ``_BINARY_KEYS`` (base64 images and the like)."""
    if isinstance(value, str):
        return scrub_text(value, run_dir)
    if isinstance(value, list):
        return [_scrubbed(v, run_dir) for v in value]
    if isinstance(value, dict):
        return {
            k: v if k in _BINARY_KEYS and not isinstance(v, dict) else _scrubbed(v, run_dir)
            for k, v in value.items()
        }
    return value


def scrub_notebook(ipynb: Path) -> None:
    """Rewrite an executed notebook in its run folder without the machine's absolute paths,
    before its pages are made from it and before it is published itself. Images are left as
    they are (``_BINARY_KEYS``); the file is written as nbformat writes one."""
    text = ipynb.read_text(encoding="utf-8")
    if not any(path in text for path, _ in machine_paths(ipynb.parent)):
        return
    scrubbed = _scrubbed(json.loads(text), ipynb.parent)
    out = json.dumps(scrubbed, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if out != text:
        ipynb.write_text(out, encoding="utf-8")


# ------------------------------------------------------------------------ notebook pages

# nbconvert's lab template without its page shell (the cells alone), extended so that a PNG
# output's <img> gets the alt text set by ``_with_alt_text`` (see the template file for why).
_TEMPLATE_FILE = "analyse-cells.html.j2"
INJECTED_TAG = "injected-parameters"  # papermill's cell of the run's parameters
ANALYST_TAG = "analyst"  # markdown cells for the analyst: kept in full pages only
# Cells of any kind that hold the statistician's detail (standardized effects, test statistics,
# variance shares): on the code version only, so that a reader page keeps one unit and the
# answer; its method box (« Sources et méthodes ») says where the detail is.
DETAIL_TAG = "detail"
PDF_FILES = {"fr": "rapport.pdf", "en": "report.pdf"}

# Colours of highlighted code and of prompts in full pages, on the code background #f6f8fa:
# every one has a contrast ratio of 4.5 or more (WCAG AA for text; tests/test_pages_shell.py
# computes them). Pygments' own styles miss it on comments or numbers.
CODE_BACKGROUND = "#f6f8fa"
CODE_COLOURS: dict[str, str] = {
    "k kc kd kn kp kr kt ow bp": "#7a1fa2",  # keywords, `in`, `self`
    "s s1 s2 sa sb sc sd sh si sr ss sx dl": "#a31515",  # strings
    "se": "#8a4600",  # escapes in strings
    "m mb mf mh mi mo il": "#116644",  # numbers
    "c c1 ch cm cp cpf cs": "#57606a",  # comments
    "nf fm nc nn nb nd ne": "#0550ae",  # function, class, module, builtin names
    "o p n nv na nl nt w": "#1f2328",  # operators, punctuation, other names
    "err gr gt": "#a50e0e",  # errors, tracebacks
    "prompt": "#3f3f8f",  # In [n]: and Out[n]:
}


def code_css() -> str:
    """The inline CSS of full pages: cells, prompts and highlighted code (``CODE_COLOURS``)."""
    rules = [
        ".jp-InputArea,.jp-OutputArea-child{display:flex;gap:.75rem;align-items:flex-start}",
        ".jp-InputArea-editor,.jp-OutputArea-output{flex:1 1 auto;min-width:0}",
        ".jp-InputPrompt,.jp-OutputPrompt{flex:0 0 5.5em;text-align:right;font-size:.85rem;"
        f"font-family:ui-monospace,monospace;padding-top:.5rem;color:{CODE_COLOURS['prompt']}}}",
        f".highlight{{background:{CODE_BACKGROUND};border:1px solid #d0d7de;padding:.5rem .75rem;"
        "margin:.5rem 0}",
        ".highlight pre{margin:0;color:#1f2328}",
        ".c,.c1,.ch,.cm,.cp,.cpf,.cs{font-style:italic}.nc,.nn,.k,.kn{font-weight:600}",
    ]
    for classes, colour in CODE_COLOURS.items():
        if classes != "prompt":
            selectors = ",".join(f".highlight .{c}" for c in classes.split())
            rules.append(f"{selectors}{{color:{colour}}}")
    return "\n".join(rules)


OUTPUT_CSS = (
    ".jp-Cell{margin:0 0 .75rem}.jp-OutputArea-output pre{margin:.25rem 0}"
    '[data-mime-type="application/vnd.jupyter.stderr"]{background:#fff4f4;padding:0 .5rem}'
    ".jp-RenderedImage img{display:block}"
)


@lru_cache(maxsize=2)
def _exporter(reader: bool) -> HTMLExporter:
    """One exporter per flavour and process: building one loads its templates, which is slow.

    Output extraction is switched off explicitly so images stay embedded as data URIs.
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.ExtractOutputPreprocessor.enabled = False
    options: dict[str, Any] = {
        "config": config,
        "embed_images": True,
        "extra_loaders": [FileSystemLoader(NBCONVERT_TEMPLATES_DIR)],
        "template_file": _TEMPLATE_FILE,
    }
    if reader:
        options.update(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    return HTMLExporter(**options)


def _png_outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The outputs holding a PNG, in notebook order: figure n is the n-th of them."""
    return [
        output
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("data", {}).get("image/png")
    ]


def output_phone_png(output: nbformat.NotebookNode) -> str | None:
    """The base64 PNG of the figure drawn in the phone layout, which
    ``analyse.report.notebook.show_figure`` keeps in a PNG output's metadata, or None."""
    metadata = output.get("metadata") or {}
    phone = (metadata.get("image/png") or {}).get(PHONE_KEY) or metadata.get(PHONE_KEY)
    return "".join(phone.split()) if isinstance(phone, str) and phone.strip() else None


def _with_alt_text(nb: nbformat.NotebookNode, stem: str, m: Messages) -> nbformat.NotebookNode:
    """The notebook with what the cells template writes into each figure's markup: its alt
    text (``analyse_alt``) and, when drawn, its phone variant (``analyse_phone``: the template
    then writes a ``<picture>`` serving it below 600 px)."""
    nb = copy.deepcopy(nb)
    for number, output in enumerate(_png_outputs(nb), start=1):
        alt = output_alt(output) or labelled_alt(stem, number, m=m)
        metadata = output.setdefault("metadata", {})
        metadata["analyse_alt"] = alt
        phone = output_phone_png(output)
        if phone:
            metadata["analyse_phone"] = phone
    return nb


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set((cell.get("metadata") or {}).get("tags") or [])


def published_cells(nb: nbformat.NotebookNode, reader: bool) -> nbformat.NotebookNode:
    """The cells a page shows: never papermill's injected parameters (the run's parameters are
    on the run index and in ``manifest.json``), and on reader pages no markdown cell tagged
    ``analyst`` (how to change a parameter, how a number was computed) and no code cell
    without output (an empty box once its code is hidden), nor any cell tagged ``detail``."""
    nb = copy.copy(nb)
    nb.cells = [
        cell
        for cell in nb.cells
        if INJECTED_TAG not in _tags(cell) and not (reader and _analyst_only(cell))
    ]
    return nb


def _analyst_only(cell: nbformat.NotebookNode) -> bool:
    """A cell a reader page leaves out: an analyst note, the statistician's detail, or code
    that shows nothing."""
    if DETAIL_TAG in _tags(cell):
        return True
    if cell.get("cell_type") == "markdown":
        return ANALYST_TAG in _tags(cell)
    return cell.get("cell_type") == "code" and not cell.get("outputs")


_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="[^"]*">\s*(?:¶|&para;|&#182;)\s*</a>')
_EMPTY_TH = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;|&#160;)*</th>")
_HEADING = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_CELL_START = re.compile(r'<div\s[^>]*class="jp-Cell ')
_TAG = re.compile(r"<[^>]+>")


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-") or "section"


def clean_cells(cells: str, table_label: str) -> tuple[str, list[tuple[str, str]]]:
    """nbconvert's cells made fit for the published page, and the page's h2 (id, text).

    Heading anchors ("¶") go (a link per heading is noise to a screen reader and in print);
    every heading gets a unique id, so the table of contents can link to it; pandas' empty
    corner header becomes a data cell (an empty ``<th>`` labels nothing); each table scrolls in
    its own focusable box, so a wide table never widens the page.
    """
    cells = _ANCHOR_LINK.sub("", cells)
    cells = _EMPTY_TH.sub(lambda found: f"<td{found.group(1) or ''}></td>", cells)
    label = html.escape(table_label)
    wrap = f'<div class="table-wrap" tabindex="0" role="region" aria-label="{label}">'
    cells = re.sub(r"<table\b", wrap + "<table", cells).replace("</table>", "</table></div>")
    seen: set[str] = set()
    toc: list[tuple[str, str]] = []

    def heading(found: re.Match[str]) -> str:
        level, attrs, inner = found.group(1), found.group(2), found.group(3)
        text = html.unescape(" ".join(_TAG.sub("", inner).split()))
        given = re.search(r'\sid="([^"]*)"', attrs)
        base = html.unescape(given.group(1)) if given else _slug(text)
        ident, n = base, 1
        while ident in seen:
            n += 1
            ident = f"{base}-{n}"
        seen.add(ident)
        attrs = re.sub(r'\sid="[^"]*"', "", attrs)
        if level == "2" and text:
            toc.append((ident, text))
        return f'<h{level} id="{html.escape(ident)}"{attrs}>{inner}</h{level}>'

    return _HEADING.sub(heading, cells), toc


def _split_after_title_cell(cells: str) -> tuple[str, str]:
    """The first cell, when it holds the page's h1 (title and introduction), with the chapeau
    when the next cell holds it, and the rest: the table of contents goes between them, so the
    page opens on its title and its answer."""
    starts = [found.start() for found in _CELL_START.finditer(cells)]
    if len(starts) >= 2 and "<h1" in cells[: starts[1]]:
        end = starts[1]
        if len(starts) >= 3 and 'class="chapeau"' in cells[starts[1] : starts[2]]:
            end = starts[2]
        return cells[:end], cells[end:]
    return "", cells


def cells_html(
    nb: nbformat.NotebookNode, stem: str, reader: bool, m: Messages
) -> tuple[str, list[tuple[str, str]]]:
    """The cells of a notebook page as clean HTML, and its h2 for the table of contents."""
    shown = _with_alt_text(published_cells(nb, reader), stem, m)
    resources = {"metadata": {"name": stem}}
    body, _ = _exporter(reader).from_notebook_node(shown, resources=resources)
    return clean_cells(body, m("pages.table_region"))


def notebook_html(
    nb: nbformat.NotebookNode,
    stem: str,
    reader: bool,
    *,
    lang: str = DEFAULT_LANGUAGE,
    run: str | None = None,
    results: dict[str, Any] | None = None,
) -> str:
    """A notebook as one self-contained page of the run ``run``: the package's shell (no
    script, no stylesheet from elsewhere), a title in words, a table of contents of its h2,
    links back to the run and the site; ``reader`` hides code, prompts and analyst notes.
    Its words are the run's (``results``: its ``results.json`` document; without it, what the
    notebook's parameters say)."""
    m = for_run(messages(lang), results) if results else notebook_messages(lang, run_parameters(nb))
    run = run or stem
    cells, toc = cells_html(nb, stem, reader, m)
    before, after = _split_after_title_cell(cells)
    counterpart = f"{stem}.html" if reader else f"{stem}.reader.html"
    return render_page(
        "notebook.html.j2",
        lang=m.lang,
        title=page_title(stem, run, m, run_themes(results)),
        heading=None if "<h1" in cells else notebook_title(stem, m, run_themes(results)),
        notice=None if reader else m("pages.full_notice"),
        code_css=Markup(OUTPUT_CSS + "\n" + ("" if reader else code_css())),
        nav_label=m("pages.nav_label"),
        run_href=INDEX_FILE,
        back_to_run=m("pages.back_to_run", run=run),
        site_href=f"../{INDEX_FILE}",
        back_to_site=m("pages.back_to_site"),
        other_href=counterpart,
        other_label=m("pages.full_version" if reader else "pages.reader_version"),
        toc_label=m("pages.toc"),
        toc=toc,
        cells_before=Markup(before),
        cells_after=Markup(after),
    )


def notebook_messages(lang: str, parameters: dict[str, Any]) -> Messages:
    """The catalogue of a notebook's page, bound to its run's words (a census's wording, the
    codebook's name of the index) as the notebook itself was (``analyse.report.notebook``):
    from the parameters papermill ran it with, flat or as sections."""
    from analyse.data.codebook import load_codebook
    from analyse.errors import InputError
    from analyse.params import resolve_input

    data = parameters.get("data") if isinstance(parameters.get("data"), dict) else {}
    kind = parameters.get("kind", data.get("kind"))
    codebook = parameters.get("codebook", data.get("codebook"))
    label = None
    if codebook:
        try:
            label = load_codebook(resolve_input(str(codebook))).index_label(lang)
        except (InputError, OSError, RuntimeError):
            # unreadable, or a path the notebook's scrubbing rewrote: the barometer's words
            label = None
    return messages(lang).bind(kind=str(kind) if kind else None, index_label=label)


def run_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The parameters papermill executed a notebook with (its metadata), or none."""
    return dict(((nb.get("metadata") or {}).get("papermill") or {}).get("parameters") or {})


def write_notebook_pages(
    ipynb: Path,
    lang: str | None = None,
    run: str | None = None,
    results: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``<stem>.html`` (full) and ``<stem>.reader.html`` beside an executed notebook.

    The notebook is first rid of the building machine's paths (``scrub_notebook``), so that
    neither it nor its pages publish them. The language and the run's name default to the
    parameters papermill ran it with.
    """
    import nbformat

    scrub_notebook(ipynb)
    nb = nbformat.read(ipynb, as_version=4)
    parameters = run_parameters(nb)
    lang = lang or str(parameters.get("lang") or DEFAULT_LANGUAGE)
    # the run named for readers: its title when it has one, else its folder's name
    run = str(parameters.get("title") or run or parameters.get("name") or ipynb.stem)
    full = ipynb.with_suffix(".html")
    reader = ipynb.with_name(f"{ipynb.stem}.reader.html")
    for path, is_reader in ((full, False), (reader, True)):
        page = notebook_html(nb, ipynb.stem, is_reader, lang=lang, run=run, results=results)
        path.write_text(page, encoding="utf-8")
    return full, reader


def extract_figures(ipynb: Path, run_dir: Path) -> list[Figure]:
    """Save every ``image/png`` output of a notebook as ``figures/<stem>-<n>.png``."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    figures: list[Figure] = []
    detail = {
        id(output)
        for cell in nb.cells
        if DETAIL_TAG in _tags(cell)
        for output in cell.get("outputs", [])
    }
    for number, output in enumerate(_png_outputs(nb), start=1):
        png = output["data"]["image/png"]
        relative = f"{FIGURES_DIR}/{ipynb.stem}-{number}.png"
        target = run_dir / relative
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(base64.b64decode("".join(png) if isinstance(png, list) else png))
        phone = output_phone_png(output)
        phone_path = None
        if phone is not None:
            phone_path = f"{FIGURES_DIR}/{ipynb.stem}-{number}.phone.png"
            (run_dir / phone_path).write_bytes(base64.b64decode(phone))
        metadata = output.get("metadata") or {}
        saved_as = (metadata.get("image/png") or {}).get(SAVED_AS_KEY) or metadata.get(SAVED_AS_KEY)
        figures.append(
            Figure(
                relative,
                ipynb.stem,
                number,
                output_alt(output),
                id(output) in detail,
                phone_path,
                saved_as if isinstance(saved_as, str) else None,
            )
        )
    return figures


def publish_run(
    run_dir: Path,
    notebooks: list[Path],
    results: dict[str, Any],
    manifest: dict[str, Any],
    pages_written: bool = False,
    pdf: bool = False,
) -> dict[str, Any]:
    """Publish an executed run in place; ``notebooks`` are the executed copies in ``run_dir``.

    ``pages_written`` says the caller already wrote each notebook's pages
    (``write_notebook_pages``, e.g. while the next notebook ran). ``pdf`` prints the reader
    report to ``rapport.pdf`` (``report.pdf`` in English) with headless Chromium
    (``write_pdf``). The manifest is written last, with the checksum of every other file, so a
    folder with a manifest is a complete report, its PDF included.
    """
    lang = run_language(manifest)
    written = {
        name
        for ipynb in notebooks
        for name in (ipynb.name, ipynb.with_suffix(".html").name, f"{ipynb.stem}.reader.html")
    }
    extras = sorted(
        path.relative_to(run_dir).as_posix()
        for path in run_dir.rglob("*")
        if path.is_file() and path.relative_to(run_dir).as_posix() not in written
    )
    figures: list[Figure] = []
    for ipynb in notebooks:
        if not pages_written:
            write_notebook_pages(ipynb, lang, manifest["name"], results)
        figures.extend(extract_figures(ipynb, run_dir))
    write_json(run_dir / RESULTS_FILE, results)
    if pdf:
        write_pdf(run_dir, notebooks, results, manifest)
    captions = table_captions(run_dir, [ipynb.name for ipynb in notebooks])
    detail = detail_tables(notebooks)
    page = run_index_html(
        manifest,
        results,
        figures,
        # the reader pages' tables: the statistician's detail is linked from the code version
        [path for path in extras if _table_stem(path) not in detail],
        pdf=pdf_file(run_dir, lang),
        captions=captions,
        extra_figures=figures_saved_as(run_dir, extras, figures),
    )
    (run_dir / INDEX_FILE).write_text(page, encoding="utf-8")
    manifest = {**manifest, "figures": [f.path for f in figures], "notebook_files": extras}
    manifest["outputs"] = output_checksums(run_dir)
    write_json(run_dir / MANIFEST_FILE, manifest)
    return manifest


_TABLE_LINK = re.compile(r"tables/([A-Za-z0-9][A-Za-z0-9_-]*)\.(?:csv|xlsx|json)")


def detail_tables(notebooks: Sequence[Path]) -> set[str]:
    """The names of the tables shown in cells tagged ``detail`` (the code version only)."""
    import nbformat

    found: set[str] = set()
    for ipynb in notebooks:
        for cell in nbformat.read(ipynb, as_version=4).cells:
            if DETAIL_TAG not in _tags(cell):
                continue
            for output in cell.get("outputs", []):
                text = json.dumps(output.get("data", {}))
                found.update(_TABLE_LINK.findall(text))
    return found


def _table_stem(path: str) -> str | None:
    """``tables/x.csv`` -> ``x``; None for a file outside the tables folder."""
    found = _TABLE_LINK.fullmatch(path)
    return found.group(1) if found else None


def figures_saved_as(
    run_dir: Path, extras: Sequence[str], figures: Sequence[Figure]
) -> dict[str, Figure]:
    """The files among ``extras`` that are a figure of the run, saved by its notebook
    (``show_figure(..., output_dir, name)`` writes the very bytes it displays): the run's index
    names them by that figure rather than by their file name. The figure that says it saved
    the file wins; the same bytes otherwise (an output of an older notebook): two chapters may
    draw the same chart, and each file is then named by its own chapter's figure."""
    by_name = {f.saved_as: f for f in figures if f.saved_as}
    by_bytes = {(run_dir / f.path).read_bytes(): f for f in figures if (run_dir / f.path).is_file()}
    found = {}
    for path in extras:
        if path.lower().endswith(".png"):
            figure = by_name.get(path) or by_bytes.get((run_dir / path).read_bytes())
            if figure is not None:
                found[path] = figure
    return found


# ----------------------------------------------------------------------------- print and PDF


def chromium() -> str | None:
    """The system's Chromium (or Chrome), which prints the PDF; ``None`` when not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_file(run_dir: Path, lang: str) -> str | None:
    """The run's PDF file name when it was written."""
    name = PDF_FILES[lang]
    return name if (run_dir / name).is_file() else None


def print_html(notebooks: Sequence[Path], results: dict[str, Any], manifest: dict[str, Any]) -> str:
    """The reader report as one printable page: title, key findings, caveats, then each
    notebook's reader page (from a new page), in order."""
    import nbformat

    lang = run_language(manifest)
    m = for_run(messages(lang), results)
    sections = []
    for ipynb in notebooks:
        cells, _ = cells_html(nbformat.read(ipynb, as_version=4), ipynb.stem, True, m)
        heading = (
            ""
            if "<h1" in cells
            else f"<h1>{html.escape(notebook_title(ipynb.stem, m, run_themes(results)))}</h1>"
        )
        sections.append(Markup(heading + cells))
    return render_page(
        "print.html.j2",
        lang=lang,
        title=m("pages.print_title", run=manifest["name"]),
        key_findings_label=m("pages.key_findings"),
        findings=findings(results, m),
        caveats_label=m("pages.caveats"),
        caveats=caveats(manifest, m),
        code_css=Markup(OUTPUT_CSS),
        sections=sections,
    )


def write_pdf(
    run_dir: Path,
    notebooks: Sequence[Path],
    results: dict[str, Any],
    manifest: dict[str, Any],
    browser: str | None = None,
) -> Path:
    """Print the reader report to ``<run>/rapport.pdf`` (``report.pdf`` in English) with
    headless Chromium, on A4 pages (the shell's ``@page`` rule), without the browser's
    header and footer. The printable page is written outside the run folder and removed."""
    browser = browser or chromium()
    if browser is None:
        raise FileNotFoundError("Chromium is not installed: the PDF cannot be printed")
    target = run_dir / PDF_FILES[run_language(manifest)]
    with tempfile.TemporaryDirectory(prefix="analyse-print-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(print_html(notebooks, results, manifest), encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if not target.is_file() or target.read_bytes()[:5] != b"%PDF-":
        target.unlink(missing_ok=True)
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"Chromium did not print the PDF (exit {proc.returncode}): {detail}")
    return target
