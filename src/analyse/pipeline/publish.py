"""Turn executed notebooks into the published files of a run, and index the runs.

A run folder holds, for each notebook, a reader HTML (no code, for decision makers), a full HTML
(code shown, for reviewers) and the executed ``.ipynb``; the figures as PNG files; the
machine-readable ``results.json`` and ``manifest.json``; and an accessible ``index.html``. The
HTML pages embed their images so that a single page can be mailed or archived on its own.
This module decides what the pages say; the Jinja templates in
``analyse/pipeline/templates`` lay it out.

Only aggregates are published: ``results.json`` comes from ``analyse.pipeline.run_result``
and no data file is written here, so respondent-level rows never leave the input folder.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import html
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from analyse.errors import Problem
from analyse.paths import project_root
from analyse.pipeline.manifest import is_report_manifest, output_checksums
from analyse.report.findings import key_findings, summary
from analyse.report.i18n import DEFAULT_LANGUAGE, LANGUAGES, Messages, current, messages

if TYPE_CHECKING:
    # nbformat and nbconvert are imported where pages are written: importing them (jsonschema
    # above all) takes seconds that ``analyse run`` should not spend to skip an unchanged run.
    import nbformat
    from nbconvert import HTMLExporter

RESULTS_FILE = "results.json"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.html"
FIGURES_DIR = "figures"
FAILED_DIR = "_failed"
# The runner's own entries in an output folder, beside the reports: a run being built
# (``.staging-<name>.<pid>.<random>``), a report being replaced (``.old-<name>.<pid>.<hex>``)
# and a site index being written (``.index.html.<pid>.<random>.tmp``). The writer's process id
# tells the next run whether the entry is still someone's work or a leftover of a dead one.
STAGING_PREFIX = ".staging-"
BACKUP_PREFIX = ".old-"
INDEX_TMP_PREFIX = f".{INDEX_FILE}."
LEFTOVER_MAX_AGE = 24 * 3600  # seconds: older than any run, whoever holds it
_OWNER_PID = re.compile(r"\.(\d+)\.[A-Za-z0-9_]+(?:\.tmp)?$")

# The page markup lives in Jinja templates shipped inside the package (pyproject's package-data),
# so that a page's HTML is read as HTML and escaping is the template engine's job, not each
# f-string's. The folder is found from the package, not from this module, so that moving this
# module into a subpackage does not lose it.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# nbconvert's templates get a folder of their own: nbconvert resolves names such as
# ``base.html.j2`` through every loader it is given, and ours would shadow its own.
NBCONVERT_TEMPLATES_DIR = TEMPLATES_DIR / "nbconvert"


@dataclass(frozen=True)
class Figure:
    """A PNG taken from a notebook's outputs; ``number`` counts from 1 within the notebook."""

    path: str  # relative to the run folder
    notebook: str  # notebook stem
    number: int
    description: str | None = None  # the notebook's own alt text, if it gave one

    @property
    def alt(self) -> str:
        return labelled_alt(self.notebook, self.number, self.description)

    def alt_in(self, m: Messages) -> str:
        return labelled_alt(self.notebook, self.number, self.description, m)


def labelled_alt(
    notebook: str, number: int, description: str | None = None, m: Messages | None = None
) -> str:
    """Alt text of a figure: what it shows, when the notebook said, else which figure of which
    notebook (a screen-reader user hears at least where it comes from)."""
    m = m or current()
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


def scrub_notebook(ipynb: Path) -> None:
    """Rewrite an executed notebook in its run folder without the machine's absolute paths,
    before its pages are made from it and before it is published itself."""
    text = ipynb.read_text(encoding="utf-8")
    scrubbed = scrub_text(text, ipynb.parent)
    if scrubbed != text:
        ipynb.write_text(scrubbed, encoding="utf-8")


# ------------------------------------------------------------------------ notebook pages

# nbconvert's lab template without its page shell (the cells alone), extended so that a PNG
# output's <img> gets the alt text set by ``_with_alt_text`` (see the template file for why).
_TEMPLATE_FILE = "analyse-cells.html.j2"
INJECTED_TAG = "injected-parameters"  # papermill's cell of the run's parameters
ANALYST_TAG = "analyst"  # markdown cells for the analyst: kept in full pages only
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


def _with_alt_text(nb: nbformat.NotebookNode, stem: str, m: Messages) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for number, output in enumerate(_png_outputs(nb), start=1):
        alt = output_alt(output) or labelled_alt(stem, number, m=m)
        output.setdefault("metadata", {})["analyse_alt"] = alt
    return nb


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set((cell.get("metadata") or {}).get("tags") or [])


def published_cells(nb: nbformat.NotebookNode, reader: bool) -> nbformat.NotebookNode:
    """The cells a page shows: never papermill's injected parameters (the run's parameters are
    on the run index and in ``manifest.json``), and on reader pages no markdown cell tagged
    ``analyst`` (how to change a parameter, how a number was computed) and no code cell
    without output (an empty box once its code is hidden)."""
    nb = copy.copy(nb)
    nb.cells = [
        cell
        for cell in nb.cells
        if INJECTED_TAG not in _tags(cell) and not (reader and _analyst_only(cell))
    ]
    return nb


def _analyst_only(cell: nbformat.NotebookNode) -> bool:
    """A cell a reader page leaves out: an analyst note, or code that shows nothing."""
    if cell.get("cell_type") == "markdown":
        return ANALYST_TAG in _tags(cell)
    return cell.get("cell_type") == "code" and not cell.get("outputs")


def notebook_title(stem: str, m: Messages) -> str:
    """A notebook's title in words (``pages.notebooks.<stem>``); an unknown notebook's title is
    its file name in words ("07_extra_checks" gives "Extra checks")."""
    words = re.sub(r"^\d+[_-]*", "", stem).replace("_", " ").replace("-", " ").strip() or stem
    return m.get(f"pages.notebooks.{stem}", words[:1].upper() + words[1:])


def notebook_number(stem: str) -> int | None:
    """The chapter number a notebook's file name starts with ("03_is_size_decisive": 3)."""
    found = re.match(r"(\d+)", stem)
    return int(found.group(1)) if found else None


def page_title(stem: str, run: str, m: Messages) -> str:
    """ "3. La taille est-elle déterminante ? — ci": chapter, title in words, run."""
    number, title = notebook_number(stem), notebook_title(stem, m)
    if number is None:
        return m("pages.page_title_unnumbered", title=title, run=run)
    return m("pages.page_title", number=number, title=title, run=run)


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
    """The first cell, when it holds the page's h1 (title and introduction), and the rest: the
    table of contents goes between them."""
    starts = [found.start() for found in _CELL_START.finditer(cells)]
    if len(starts) >= 2 and "<h1" in cells[: starts[1]]:
        return cells[: starts[1]], cells[starts[1] :]
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
) -> str:
    """A notebook as one self-contained page of the run ``run``: the package's shell (no
    script, no stylesheet from elsewhere), a title in words, a table of contents of its h2,
    links back to the run and the site; ``reader`` hides code, prompts and analyst notes."""
    m = messages(lang)
    run = run or stem
    cells, toc = cells_html(nb, stem, reader, m)
    before, after = _split_after_title_cell(cells)
    counterpart = f"{stem}.html" if reader else f"{stem}.reader.html"
    return render_page(
        "notebook.html.j2",
        lang=m.lang,
        title=page_title(stem, run, m),
        heading=None if "<h1" in cells else notebook_title(stem, m),
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


def run_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The parameters papermill executed a notebook with (its metadata), or none."""
    return dict(((nb.get("metadata") or {}).get("papermill") or {}).get("parameters") or {})


def write_notebook_pages(
    ipynb: Path, lang: str | None = None, run: str | None = None
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
    run = run or str(parameters.get("name") or ipynb.stem)
    full = ipynb.with_suffix(".html")
    reader = ipynb.with_name(f"{ipynb.stem}.reader.html")
    for path, is_reader in ((full, False), (reader, True)):
        page = notebook_html(nb, ipynb.stem, is_reader, lang=lang, run=run)
        path.write_text(page, encoding="utf-8")
    return full, reader


def extract_figures(ipynb: Path, run_dir: Path) -> list[Figure]:
    """Save every ``image/png`` output of a notebook as ``figures/<stem>-<n>.png``."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    figures: list[Figure] = []
    for number, output in enumerate(_png_outputs(nb), start=1):
        png = output["data"]["image/png"]
        relative = f"{FIGURES_DIR}/{ipynb.stem}-{number}.png"
        target = run_dir / relative
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(base64.b64decode("".join(png) if isinstance(png, list) else png))
        figures.append(Figure(relative, ipynb.stem, number, output_alt(output)))
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
            write_notebook_pages(ipynb, lang, manifest["name"])
        figures.extend(extract_figures(ipynb, run_dir))
    write_json(run_dir / RESULTS_FILE, results)
    if pdf:
        write_pdf(run_dir, notebooks, results, manifest)
    page = run_index_html(manifest, results, figures, extras, pdf=pdf_file(run_dir, lang))
    (run_dir / INDEX_FILE).write_text(page, encoding="utf-8")
    manifest = {**manifest, "figures": [f.path for f in figures], "notebook_files": extras}
    manifest["outputs"] = output_checksums(run_dir)
    write_json(run_dir / MANIFEST_FILE, manifest)
    return manifest


def run_language(manifest: dict[str, Any] | None) -> str:
    """The language a run was published in (its parameters' ``lang``; French by default)."""
    lang = ((manifest or {}).get("params") or {}).get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


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
    m = messages(lang)
    sections = []
    for ipynb in notebooks:
        cells, _ = cells_html(nbformat.read(ipynb, as_version=4), ipynb.stem, True, m)
        heading = "" if "<h1" in cells else f"<h1>{html.escape(notebook_title(ipynb.stem, m))}</h1>"
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


# ----------------------------------------------------------------------------- index pages


@lru_cache(maxsize=1)
def _pages() -> Environment:
    """The Jinja environment of the published pages, built once per process.

    Autoescaping is on for every template, whatever its name, so a run name, a survey path, a
    verdict or an alt text reaches the page escaped by construction; ``StrictUndefined`` makes a
    value the code forgot to pass an error rather than a silently empty cell. Block tags take
    their line's newline with them, so the templates can put one tag per line.
    """
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(template: str, **values: Any) -> str:
    """Render one of the package's page templates with plain values (strings, lists, records)."""
    return _pages().get_template(template).render(**values)


@dataclass(frozen=True)
class Chapter:
    """One notebook of a run: its title in words and its three published forms."""

    stem: str
    title: str
    reader: str  # href of the reader HTML
    full: str  # href of the full HTML
    file: str  # href (and name) of the executed notebook
    duration: str


@dataclass(frozen=True)
class RunRow:
    """One row of the site index: a published run, side by side with the others."""

    name: str
    n: str
    verdict: str  # the verdict's label in the site's language
    effect: str  # standardized size effect and its 90 % interval
    mde: str  # smallest detectable standardized effect
    data: str  # synthetic or real, in words
    date: str  # end of the run, in words
    href: str
    summary: str = ""  # the key findings in one paragraph (analyse.report.findings.summary)


@dataclass(frozen=True)
class FailedAttempt:
    """A kept failed attempt, listed on the site index for diagnosis."""

    name: str
    href: str


def verdict_label(verdict: Any, m: Messages) -> str:
    """A verdict's label for readers (``verdicts.<v>.label``); an unknown one as it is."""
    if not verdict:
        return m("pages.no_verdict")
    return m.get(f"verdicts.{verdict}.label", str(verdict))


def findings(results: dict[str, Any] | None, m: Messages) -> list[str]:
    """The run's key findings (``analyse.report.findings``), none when ``results.json`` has
    nothing to say or cannot be read as a run of this version (e.g. an unknown verdict): the
    page then says so rather than failing to publish."""
    return _unless_unreadable(key_findings, results, m, [])


def _unless_unreadable(say: Any, results: dict[str, Any] | None, m: Messages, nothing: Any) -> Any:
    """``say(results, m)``, or ``nothing`` when ``results.json`` is empty or cannot be read as
    a run of this version: an index page says less rather than failing to publish."""
    if not results:
        return nothing
    try:
        return say(results, m)
    except (KeyError, TypeError, ValueError):
        return nothing


def caveats(manifest: dict[str, Any], m: Messages) -> list[str]:
    """What a reader must know before reading, said once per run (index and PDF)."""
    found = []
    if manifest.get("synthetic"):
        survey = str(((manifest.get("params") or {}).get("data") or {}).get("survey", ""))
        found.append(m("pages.caveat_synthetic", survey=survey))
    found += [m("pages.caveat_observational"), m("pages.caveat_self_reported")]
    return found


DOWNLOAD_SUFFIXES = (".csv", ".xlsx")


def run_index_html(
    manifest: dict[str, Any],
    results: dict[str, Any] | None,
    figures: list[Figure],
    extras: Sequence[str] = (),
    pdf: str | None = None,
) -> str:
    """The landing page of one run (links are relative to the run folder), in the run's
    language: key findings first, then the chapters, then the details.

    ``extras`` are files the notebooks wrote into ``output_dir`` themselves: tables (CSV,
    XLSX) are offered as downloads, the others listed. ``pdf`` is the run's PDF, if printed.
    """
    m = messages(run_language(manifest))
    name = manifest["name"]
    git = manifest["git"]
    dirty = {True: m("pages.git_dirty"), False: ""}.get(git["dirty"], m("pages.git_unknown"))
    chapters = [_chapter(nb, m) for nb in manifest["notebooks"]]
    downloads = [path for path in extras if path.lower().endswith(DOWNLOAD_SUFFIXES)]
    return render_page(
        "run_index.html.j2",
        lang=m.lang,
        m=m,
        title=m("pages.run_title", run=name),
        heading=m("pages.run_heading", run=name),
        name=name,
        all_runs_href=f"../{INDEX_FILE}",
        findings=findings(results, m),
        caveats=caveats(manifest, m),
        chapters=chapters,
        pdf=pdf,
        figures=[(f.path, f.alt_in(m)) for f in figures],
        downloads=downloads,
        extras=[path for path in extras if path not in downloads],
        results_file=RESULTS_FILE,
        manifest_file=MANIFEST_FILE,
        verdict=str((results or {}).get("verdict") or ""),
        details=[
            (m("pages.detail.params"), manifest["inputs"]["params"]["path"]),
            (m("pages.detail.survey"), manifest["inputs"]["survey"]["path"]),
            (m("pages.detail.started"), _when(manifest.get("started_at"), m)),
            (m("pages.detail.ended"), _when(manifest.get("ended_at"), m)),
            (m("pages.detail.commit"), f"{git['commit']}{dirty}"),
            (m("pages.detail.version"), manifest["versions"]["analyse"]),
            (m("pages.detail.digest"), manifest["inputs_digest"]),
        ],
    )


def _when(value: Any, m: Messages) -> str:
    """A manifest's ISO time in words; a value that is not one is shown as it is."""
    try:
        return m.datetime(str(value))
    except (TypeError, ValueError):
        return str(value)


def _chapter(nb: dict[str, Any], m: Messages) -> Chapter:
    stem = Path(nb["file"]).stem
    number = notebook_number(stem)
    title = notebook_title(stem, m)
    return Chapter(
        stem=stem,
        title=f"{number}. {title}" if number is not None else title,
        reader=f"{stem}.reader.html",
        full=f"{stem}.html",
        file=nb["file"],
        duration=m("pages.seconds", seconds=m.number(nb["duration_seconds"], 1)),
    )


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or ``None`` if missing or unreadable (a torn report)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def published_runs(output_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Run folders in ``output_dir`` (those with a readable manifest), by name."""
    runs = []
    for folder in sorted(p for p in output_dir.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        manifest = read_json(folder / MANIFEST_FILE)
        if manifest is not None:
            runs.append((folder, manifest))
    return runs


def site_language(manifests: Sequence[dict[str, Any]]) -> str:
    """The runs' language if they agree, else French (the readers' language)."""
    found = {run_language(manifest) for manifest in manifests}
    return found.pop() if len(found) == 1 else DEFAULT_LANGUAGE


def _number(value: Any, m: Messages, digits: int = 2, sign: bool = False) -> str:
    return m.number(value if isinstance(value, (int, float)) else None, digits, sign)


def effect_with_interval(results: dict[str, Any], m: Messages) -> str:
    """ "−0,02 [−0,29 ; +0,24]": the standardized size effect and its 90 % interval."""
    size = results.get("size") or {}
    ci = size.get("ci90") or [None, None]
    low, high = (list(ci) + [None, None])[:2]
    return m(
        "pages.interval",
        estimate=_number(size.get("std_coef"), m, sign=True),
        low=_number(low, m, sign=True),
        high=_number(high, m, sign=True),
    )


def run_row(folder: Path, manifest: dict[str, Any], m: Messages) -> RunRow:
    """A run's row of the site index, in the site's language, from its two JSON files."""
    results = read_json(folder / RESULTS_FILE) or {}
    n = results.get("n")
    return RunRow(
        name=folder.name,
        n=m.integer(n) if isinstance(n, (int, float)) else m("format.missing"),
        verdict=verdict_label(results.get("verdict"), m),
        effect=effect_with_interval(results, m),
        mde=_detectable(results.get("sensitivity") or {}, m),
        data=m("pages.data.synthetic" if manifest.get("synthetic") else "pages.data.real"),
        date=_date(manifest.get("ended_at"), m),
        href=f"{folder.name}/{INDEX_FILE}",
        summary=_unless_unreadable(summary, results, m, ""),
    )


def _detectable(sensitivity: dict[str, Any], m: Messages) -> str:
    """The smallest detectable standardized effects, positive then negative ("0,32 / 0,52"):
    they differ, and one number would overstate the sample's reach in one direction."""
    positive, negative = sensitivity.get("mde_std_positive"), sensitivity.get("mde_std_negative")
    if positive is None or negative is None:
        return _number(sensitivity.get("mde_std"), m)
    return f"{_number(positive, m)} / {_number(negative, m)}"


def _date(value: Any, m: Messages) -> str:
    try:
        return m.date(str(value))
    except (TypeError, ValueError):
        return str(value) if value else m("format.missing")


def site_index_html(output_dir: Path) -> str:
    """The page comparing every run found in ``output_dir`` side by side, and listing kept
    failed attempts."""
    found = published_runs(output_dir)
    m = messages(site_language([manifest for _, manifest in found]))
    return render_page(
        "site_index.html.j2",
        lang=m.lang,
        m=m,
        title=m("pages.site_title"),
        runs=[run_row(folder, manifest, m) for folder, manifest in found],
        failed=_failed_attempts(output_dir / FAILED_DIR),
    )


def _failed_attempts(failed_dir: Path) -> list[FailedAttempt]:
    """Kept failed attempts, newest first: the one being diagnosed is usually the last."""
    if not failed_dir.is_dir():
        return []
    attempts = sorted(
        (p for p in failed_dir.iterdir() if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    return [FailedAttempt(name=p.name, href=f"{FAILED_DIR}/{p.name}/") for p in attempts]


def write_site_index(output_dir: Path) -> Path:
    """Write ``index.html`` through a temp file of this call's own and an atomic rename.

    Concurrent runs into one folder each write their own temp file, so neither removes the
    other's, and a reader sees the previous index or the new one, never an empty one.
    """
    target = output_dir / INDEX_FILE
    page = site_index_html(output_dir)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{INDEX_TMP_PREFIX}{os.getpid()}.", suffix=".tmp", dir=output_dir
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp creates 0600: readable as any page
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# ------------------------------------------------------------------- the output folder's files


def staging_prefix(name: str) -> str:
    """Prefix of a run's staging folder (``tempfile.mkdtemp`` adds the random part)."""
    return f"{STAGING_PREFIX}{name}.{os.getpid()}."


def backup_name(name: str) -> str:
    """Name of a report renamed aside while its replacement is swapped in."""
    return f"{BACKUP_PREFIX}{name}.{os.getpid()}.{secrets.token_hex(4)}"


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux).

    ``os.umask`` can only be read by setting it, which races with threads creating files.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_modes(folder: Path, umask: int | None = None) -> None:
    """Give a report's folders mode 0777 and its files 0666, less the umask (0755 and 0644 for
    the usual 022), as any folder the user creates.

    A staging folder is made by ``tempfile.mkdtemp``, mode 0700: published as is, a web server
    or a colleague could not read the report. Symbolic links are left alone.
    """
    mask = current_umask() if umask is None else umask
    dir_mode, file_mode = 0o777 & ~mask, 0o666 & ~mask
    os.chmod(folder, dir_mode)
    for root, dirs, files in os.walk(folder):
        for name, mode in [*((d, dir_mode) for d in dirs), *((f, file_mode) for f in files)]:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, mode)


def replaceable(target: Path) -> bool:
    """Whether publishing may put a run at ``target``: nothing there, an empty folder, or a
    report this package published (its ``manifest.json``, ``is_report_manifest``).

    Anything else (a user's folder or file of the same name, a symbolic link) is never replaced:
    replacing deletes it.
    """
    if target.is_symlink():
        return False
    if not target.exists():
        return True
    if not target.is_dir():
        return False
    try:
        if not any(target.iterdir()):
            return True
    except OSError:
        return False
    return is_report_manifest(read_json(target / MANIFEST_FILE))


def not_a_report(shown: str | Path, target: Path | None = None) -> Problem:
    """The problem a run reports instead of replacing something that is not its report
    (``target``, the path itself, tells a symbolic link apart: publishing would replace the
    link, wherever it points)."""
    what = (
        "is a symbolic link, which publishing would replace"
        if target is not None and target.is_symlink()
        else "exists and is not a report of analyse"
    )
    return Problem(str(shown), f"{what}: move it or choose another --output-dir")


def clean_leftovers(output_dir: Path, now: float | None = None) -> list[str]:
    """Remove staging folders, renamed-aside reports and index temp files left by dead runs.

    An interrupted or killed run can leave them; they hold nothing the user needs (the last
    good report is in place). An entry is removed when the process that wrote it (the id in its
    name) is gone, or when it is older than ``LEFTOVER_MAX_AGE`` whoever holds it; the work of
    a live run, in another terminal, is left alone. Returns the names removed.
    """
    now = time.time() if now is None else now
    removed = []
    for entry in output_dir.iterdir():
        if not entry.name.startswith((STAGING_PREFIX, BACKUP_PREFIX, INDEX_TMP_PREFIX)):
            continue
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue  # removed meanwhile
        owner = _OWNER_PID.search(entry.name)
        owner_gone = owner is not None and not _alive(int(owner.group(1)))
        if not (owner_gone or age > LEFTOVER_MAX_AGE):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry.name)
    return sorted(removed)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    if pid == os.getpid():
        return True
    if not 0 < pid < 2**31:
        return False  # no such process id (0 would name our own process group)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. PermissionError: it exists, under another user
    return True
