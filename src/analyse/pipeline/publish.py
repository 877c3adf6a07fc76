"""Turn executed notebooks into the published files of a run, and index the runs.

A run folder holds, for each notebook, a reader HTML (no code, for decision makers), a full HTML
(code shown, for reviewers) and the executed ``.ipynb``; the figures as PNG files; the
machine-readable ``results.json`` and ``manifest.json``; and an accessible ``index.html``. The
HTML pages embed their images so that a single page can be mailed or archived on its own.

Only aggregates are published: ``results.json`` comes from ``analyse.pipeline.run_result``
and no data file is written here, so respondent-level rows never leave the input folder.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from traitlets.config import Config

from analyse.pipeline.manifest import output_checksums

RESULTS_FILE = "results.json"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.html"
FIGURES_DIR = "figures"
FAILED_DIR = "_failed"


@dataclass(frozen=True)
class Figure:
    """A PNG taken from a notebook's outputs; ``number`` counts from 1 within the notebook."""

    path: str  # relative to the run folder
    notebook: str  # notebook stem
    number: int
    description: str | None = None  # the notebook's own alt text, if it gave one

    @property
    def alt(self) -> str:
        return figure_alt(self.notebook, self.number, self.description)


def figure_alt(notebook: str, number: int, description: str | None = None) -> str:
    """Alt text of a figure: which figure of which notebook, then what it shows if known."""
    name = f"Figure {number} of notebook {notebook} ({notebook}-{number}.png)"
    return f"{name}: {description}" if description else name


def output_alt(output: nbformat.NotebookNode) -> str | None:
    """The text alternative a notebook attached to a PNG output (``analyse.report.notebook``
    stores it in the output metadata, under ``image/png`` or at the top level)."""
    metadata = output.get("metadata") or {}
    alt = (metadata.get("image/png") or {}).get("alt") or metadata.get("alt")
    return " ".join(str(alt).split()) if alt else None


def dump_json(obj: Any) -> str:
    """The one JSON spelling of published files: same object, same bytes."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(dump_json(obj), encoding="utf-8", newline="\n")
    return path


# The lab template with one change: a PNG output's <img> gets the alt text set by
# ``_with_alt_text`` (the lab template writes no alt and nbconvert falls back to a placeholder),
# so screen-reader users hear what the figure shows, or at least which figure it is.
_TEMPLATE_FILE = "analyse-lab.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block data_png scoped %}
{%- set alt = output.metadata.get('analyse_alt', '') -%}
{{ super() | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- endblock data_png %}
"""


@lru_cache(maxsize=2)
def _exporter(reader: bool) -> HTMLExporter:
    """One exporter per flavour and process: building one loads its templates, which is slow.

    Output extraction is switched off explicitly so images stay embedded as data URIs.
    """
    config = Config()
    config.ExtractOutputPreprocessor.enabled = False
    options: dict[str, Any] = {
        "config": config,
        "embed_images": True,
        "extra_loaders": [DictLoader({_TEMPLATE_FILE: _TEMPLATE})],
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


def _with_alt_text(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for number, output in enumerate(_png_outputs(nb), start=1):
        alt = output_alt(output) or figure_alt(stem, number)
        output.setdefault("metadata", {})["analyse_alt"] = alt
    return nb


def notebook_html(nb: nbformat.NotebookNode, title: str, reader: bool, folder: Path) -> str:
    """A notebook as one self-contained HTML page; ``reader`` hides code and prompts."""
    resources = {"metadata": {"name": title, "path": str(folder)}}
    body, _ = _exporter(reader).from_notebook_node(_with_alt_text(nb, title), resources=resources)
    return body


def write_notebook_pages(ipynb: Path) -> tuple[Path, Path]:
    """Write ``<stem>.html`` (full) and ``<stem>.reader.html`` beside an executed notebook."""
    nb = nbformat.read(ipynb, as_version=4)
    full = ipynb.with_suffix(".html")
    reader = ipynb.with_name(f"{ipynb.stem}.reader.html")
    full.write_text(notebook_html(nb, ipynb.stem, False, ipynb.parent), encoding="utf-8")
    reader.write_text(notebook_html(nb, ipynb.stem, True, ipynb.parent), encoding="utf-8")
    return full, reader


def extract_figures(ipynb: Path, run_dir: Path) -> list[Figure]:
    """Save every ``image/png`` output of a notebook as ``figures/<stem>-<n>.png``."""
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
    run_dir: Path, notebooks: list[Path], results: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Publish an executed run in place; ``notebooks`` are the executed copies in ``run_dir``.

    The manifest is written last, with the checksum of every other file, so a folder with a
    manifest is a complete report.
    """
    written = {ipynb.name for ipynb in notebooks}
    extras = sorted(
        path.relative_to(run_dir).as_posix()
        for path in run_dir.rglob("*")
        if path.is_file() and path.relative_to(run_dir).as_posix() not in written
    )
    figures: list[Figure] = []
    for ipynb in notebooks:
        write_notebook_pages(ipynb)
        figures.extend(extract_figures(ipynb, run_dir))
    write_json(run_dir / RESULTS_FILE, results)
    page = run_index_html(manifest, results, figures, extras)
    (run_dir / INDEX_FILE).write_text(page, encoding="utf-8")
    manifest = {**manifest, "figures": [f.path for f in figures], "notebook_files": extras}
    manifest["outputs"] = output_checksums(run_dir)
    write_json(run_dir / MANIFEST_FILE, manifest)
    return manifest


# ----------------------------------------------------------------------------- index pages

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;
margin:0;color:#1a1a1a;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
a{color:#0645ad}a:focus{outline:3px solid #ffbf47}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #767676;padding:.4rem .6rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}
.notice{border:3px solid #b35900;background:#fff4e5;padding:.75rem 1rem;font-size:1.1rem}
.verdict{font-size:1.2rem;border-left:6px solid #0645ad;padding:.5rem 1rem;background:#f3f6fb}
.failed{color:#a50e0e;font-weight:bold}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #ccc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:bold}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def verdict_sentence(results: dict[str, Any] | None) -> str:
    """The verdict of ``results.json`` as one sentence of plain HTML-escaped text."""
    if not results or "verdict" not in results:
        return "No verdict: results.json has no verdict."
    verdict = str(results["verdict"])
    detail = str(results.get("verdict_sentence") or "").strip()
    sentence = f"Verdict on \u201csize is not decisive\u201d: {verdict}"
    sentence += f" \u2014 {detail}" if detail else "."
    return escape(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")


def synthetic_notice(survey: str) -> str:
    return (
        '<p class="notice" role="note"><strong>Synthetic data.</strong> This run analyses '
        f"<code>{escape(survey)}</code>, a synthetic survey generated by the package and "
        "calibrated to published figures. Its numbers describe no real collectivity and are "
        "not findings.</p>\n"
    )


def run_index_html(
    manifest: dict[str, Any],
    results: dict[str, Any] | None,
    figures: list[Figure],
    extras: Sequence[str] = (),
) -> str:
    """The accessible landing page of one run (links are relative to the run folder).

    ``extras`` are files the notebooks wrote into ``output_dir`` themselves.
    """
    name = manifest["name"]
    parts = [f"<h1>Run \u201c{escape(name)}\u201d: digital maturity and size</h1>\n"]
    parts.append(f"<p>{_link('../' + INDEX_FILE, 'All runs')}</p>\n")
    if manifest.get("synthetic"):
        parts.append(synthetic_notice(manifest["params"]["data"]["survey"]))
    parts.append(f'<h2>Verdict</h2>\n<p class="verdict">{verdict_sentence(results)}</p>\n')
    parts.append(_notebook_table(manifest["notebooks"]))
    parts.append(_figures_section(figures))
    if extras:
        items = "".join(f"<li>{_link(path, path)}</li>\n" for path in extras)
        parts.append(f"<h2>Files written by the notebooks</h2>\n<ul>\n{items}</ul>\n")
    parts.append(
        "<h2>Machine-readable files</h2>\n<ul>\n"
        f"<li>{_link(RESULTS_FILE, RESULTS_FILE)}: every estimate and the verdict.</li>\n"
        f"<li>{_link(MANIFEST_FILE, MANIFEST_FILE)}: parameters, input checksums, versions, "
        "git commit and timings.</li>\n</ul>\n"
    )
    parts.append(_details(manifest))
    return _page(f"Run {name}: digital maturity and size", "".join(parts))


def _notebook_table(notebooks: list[dict[str, Any]]) -> str:
    rows = []
    for nb in notebooks:
        stem = Path(nb["file"]).stem
        rows.append(
            "<tr>"
            f'<th scope="row">{escape(stem)}</th>'
            f"<td>{_link(stem + '.reader.html', 'Reader version')}</td>"
            f"<td>{_link(stem + '.html', 'Full version with code')}</td>"
            f"<td>{_link(nb['file'], nb['file'])}</td>"
            f"<td>{nb['duration_seconds']:.1f} s</td>"
            "</tr>\n"
        )
    return (
        "<h2>Notebooks</h2>\n<table>\n<caption>Executed notebooks, in order</caption>\n"
        '<thead><tr><th scope="col">Notebook</th><th scope="col">Reader (no code)</th>'
        '<th scope="col">Full (with code)</th><th scope="col">Executed notebook</th>'
        '<th scope="col">Duration</th></tr></thead>\n'
        f"<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
    )


def _figures_section(figures: list[Figure]) -> str:
    if not figures:
        return "<h2>Figures</h2>\n<p>The notebooks produced no figure.</p>\n"
    items = [
        f'<figure><a href="{escape(f.path)}"><img src="{escape(f.path)}" '
        f'alt="{escape(f.alt)}" loading="lazy"></a>'
        f"<figcaption>{escape(f.alt)}</figcaption></figure>\n"
        for f in figures
    ]
    return "<h2>Figures</h2>\n" + "".join(items)


def _details(manifest: dict[str, Any]) -> str:
    git = manifest["git"]
    dirty = {True: " (uncommitted changes)", False: ""}.get(git["dirty"], " (state unknown)")
    rows = [
        ("Parameter file", manifest["inputs"]["params"]["path"]),
        ("Survey", manifest["inputs"]["survey"]["path"]),
        ("Started", manifest["started_at"]),
        ("Ended", manifest["ended_at"]),
        ("Git commit", f"{git['commit']}{dirty}"),
        ("analyse version", manifest["versions"]["analyse"]),
        ("Inputs digest", manifest["inputs_digest"]),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>\n" for k, v in rows)
    return f"<h2>Run details</h2>\n<dl>\n{items}</dl>\n"


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


def site_index_html(output_dir: Path) -> str:
    """The page listing every run found in ``output_dir``, and kept failed attempts."""
    rows = []
    for folder, manifest in published_runs(output_dir):
        results = read_json(folder / RESULTS_FILE) or {}
        data = "synthetic" if manifest.get("synthetic") else "real"
        rows.append(
            "<tr>"
            f'<th scope="row">{escape(folder.name)}</th>'
            f"<td>{escape(str(manifest.get('ended_at', 'unknown')))}</td>"
            f"<td>{escape(str(results.get('verdict', 'none')))}</td>"
            f"<td>{data}</td>"
            f"<td>{_link(folder.name + '/' + INDEX_FILE, 'Report ' + folder.name)}</td>"
            "</tr>\n"
        )
    body = ["<h1>Digital maturity and size: published runs</h1>\n"]
    if rows:
        body.append(
            "<table>\n<caption>One row per parameter file run</caption>\n"
            '<thead><tr><th scope="col">Run</th><th scope="col">Date (UTC)</th>'
            '<th scope="col">Verdict</th><th scope="col">Data</th>'
            '<th scope="col">Report</th></tr></thead>\n'
            f"<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
        )
    else:
        body.append("<p>No run has been published yet.</p>\n")
    body.append(_failed_section(output_dir / FAILED_DIR))
    return _page("Digital maturity and size: published runs", "".join(body))


def _failed_section(failed_dir: Path) -> str:
    if not failed_dir.is_dir():
        return ""
    attempts = sorted(
        (p for p in failed_dir.iterdir() if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    if not attempts:
        return ""
    items = "".join(f"<li>{_link(f'{FAILED_DIR}/{p.name}/', p.name)}</li>\n" for p in attempts)
    return (
        '<h2 class="failed">Failed attempts</h2>\n<p>Partially executed notebooks kept for '
        "diagnosis; the published reports above were not replaced.</p>\n"
        f"<ul>\n{items}</ul>\n"
    )


def write_site_index(output_dir: Path) -> Path:
    target = output_dir / INDEX_FILE
    tmp = output_dir / f".{INDEX_FILE}.tmp"
    tmp.write_text(site_index_html(output_dir), encoding="utf-8")
    tmp.replace(target)  # readers never see a half-written index
    return target
