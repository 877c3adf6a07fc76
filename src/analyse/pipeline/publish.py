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
import json
import math
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from analyse.errors import Problem
from analyse.pipeline.manifest import is_report_manifest, output_checksums

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


def labelled_alt(notebook: str, number: int, description: str | None = None) -> str:
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


# nbconvert's lab template, extended so that a PNG output's <img> gets the alt text set by
# ``_with_alt_text`` (see the template file for why).
_TEMPLATE_FILE = "analyse-lab.html.j2"


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


def _with_alt_text(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for number, output in enumerate(_png_outputs(nb), start=1):
        alt = output_alt(output) or labelled_alt(stem, number)
        output.setdefault("metadata", {})["analyse_alt"] = alt
    return nb


def notebook_html(nb: nbformat.NotebookNode, title: str, reader: bool, folder: Path) -> str:
    """A notebook as one self-contained HTML page; ``reader`` hides code and prompts."""
    resources = {"metadata": {"name": title, "path": str(folder)}}
    body, _ = _exporter(reader).from_notebook_node(_with_alt_text(nb, title), resources=resources)
    return body


def write_notebook_pages(ipynb: Path) -> tuple[Path, Path]:
    """Write ``<stem>.html`` (full) and ``<stem>.reader.html`` beside an executed notebook."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    full = ipynb.with_suffix(".html")
    reader = ipynb.with_name(f"{ipynb.stem}.reader.html")
    full.write_text(notebook_html(nb, ipynb.stem, False, ipynb.parent), encoding="utf-8")
    reader.write_text(notebook_html(nb, ipynb.stem, True, ipynb.parent), encoding="utf-8")
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
) -> dict[str, Any]:
    """Publish an executed run in place; ``notebooks`` are the executed copies in ``run_dir``.

    ``pages_written`` says the caller already wrote each notebook's pages
    (``write_notebook_pages``, e.g. while the next notebook ran). The manifest is written last,
    with the checksum of every other file, so a folder with a manifest is a complete report.
    """
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


@lru_cache(maxsize=1)
def _pages() -> Environment:
    """The Jinja environment of the index pages, built once per process.

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
class NotebookRow:
    """One row of a run's notebook table: the three published forms of one notebook."""

    stem: str
    reader: str  # href of the reader HTML
    full: str  # href of the full HTML
    file: str  # href (and name) of the executed notebook
    duration: str


@dataclass(frozen=True)
class RunRow:
    """One row of the site index: a published run and where its report is."""

    name: str
    ended_at: str
    verdict: str
    data: str  # "synthetic" or "real"
    href: str


@dataclass(frozen=True)
class FailedAttempt:
    """A kept failed attempt, listed on the site index for diagnosis."""

    name: str
    href: str


def stored_verdict(results: dict[str, Any] | None) -> str:
    """The verdict sentence ``results.json`` carries (``analyse.report.prose``, the words the
    notebooks show), as plain text: the template escapes it."""
    if not results or "verdict" not in results:
        return "No verdict: results.json has no verdict."
    key = f"Verdict: {results['verdict']}."
    sentence = str(results.get("verdict_sentence") or "").strip()
    return sentence if sentence.startswith(key) else f"{key} {sentence}".strip()


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
    return render_page(
        "run_index.html.j2",
        title=f"Run {name}: digital maturity and size",
        name=name,
        all_runs_href=f"../{INDEX_FILE}",
        synthetic_survey=(
            str(manifest["params"]["data"]["survey"]) if manifest.get("synthetic") else None
        ),
        verdict=stored_verdict(results),
        notebooks=[_notebook_row(nb) for nb in manifest["notebooks"]],
        figures=figures,
        extras=list(extras),
        results_file=RESULTS_FILE,
        manifest_file=MANIFEST_FILE,
        details=_details(manifest),
    )


def _notebook_row(nb: dict[str, Any]) -> NotebookRow:
    stem = Path(nb["file"]).stem
    return NotebookRow(
        stem=stem,
        reader=f"{stem}.reader.html",
        full=f"{stem}.html",
        file=nb["file"],
        duration=f"{nb['duration_seconds']:.1f} s",
    )


def _details(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Label and value of each run detail; a git state that could not be read says so."""
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
    return [(label, str(value)) for label, value in rows]


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
    runs = []
    for folder, manifest in published_runs(output_dir):
        results = read_json(folder / RESULTS_FILE) or {}
        runs.append(
            RunRow(
                name=folder.name,
                ended_at=str(manifest.get("ended_at", "unknown")),
                verdict=str(results.get("verdict", "none")),
                data="synthetic" if manifest.get("synthetic") else "real",
                href=f"{folder.name}/{INDEX_FILE}",
            )
        )
    return render_page(
        "site_index.html.j2",
        title="Digital maturity and size: published runs",
        runs=runs,
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
