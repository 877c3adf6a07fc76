"""What a published run folder is made of, and how its pages are named and rendered.

Shared by the pages of one run (``analyse.pipeline.publish``), the index pages
(``analyse.pipeline.index_pages``) and the output folder's housekeeping
(``analyse.pipeline.output_folder``), so that none of them imports another for a file name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from analyse.report.i18n import DEFAULT_LANGUAGE, LANGUAGES, Messages

RESULTS_FILE = "results.json"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.html"
FIGURES_DIR = "figures"
FAILED_DIR = "_failed"
# What the site index carries in its <head> (site_index.html.j2), so that a later run replaces
# only a page it wrote, never the user's own ``index.html`` (``foreign_site_index``). A page
# written before the mark existed is recognised by the pages' style, which is the package's own.
SITE_INDEX_MARK = '<meta name="generator" content="analyse site index">'
_OLD_SITE_INDEX_STYLE = "main{max-width:76rem;margin:0 auto;padding:1rem 1.5rem 3rem}"
_OLD_SITE_INDEX_PARTS = ('class="run-meta"', '<h2 class="failed">')
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


def notebook_title(stem: str, m: Messages, themes: int | None = None) -> str:
    """A notebook's title in words (``pages.notebooks.<stem>``); an unknown notebook's title is
    its file name in words ("07_extra_checks" gives "Extra checks"). A run whose codebook has
    a single theme (``themes``, ``run_themes``) gets ``pages.notebooks_one_theme.<stem>`` when
    it exists: chapter 4 is then not « thème par thème », as its own heading says."""
    if themes == 1 and m.has(f"pages.notebooks_one_theme.{stem}"):
        return m(f"pages.notebooks_one_theme.{stem}")
    words = re.sub(r"^\d+[_-]*", "", stem).replace("_", " ").replace("-", " ").strip() or stem
    return m.get(f"pages.notebooks.{stem}", words[:1].upper() + words[1:])


def run_themes(results: Mapping[str, Any] | None) -> int | None:
    """How many themes a run's ``results.json`` models (None without one): what chapter 4's
    title depends on (``narrative.Facts.themes`` counts the same)."""
    if not results:
        return None
    return len(results.get("themes") or {})


def notebook_number(stem: str) -> int | None:
    """The chapter number a notebook's file name starts with ("03_is_size_decisive": 3)."""
    found = re.match(r"(\d+)", stem)
    return int(found.group(1)) if found else None


def page_title(stem: str, run: str, m: Messages, themes: int | None = None) -> str:
    """ "3. La taille est-elle déterminante ? — ci": chapter, title in words, run."""
    number, title = notebook_number(stem), notebook_title(stem, m, themes)
    if number is None:
        return m("pages.page_title_unnumbered", title=title, run=run)
    return m("pages.page_title", number=number, title=title, run=run)


def run_language(manifest: dict[str, Any] | None) -> str:
    """The language a run was published in (its parameters' ``lang``; French by default)."""
    lang = ((manifest or {}).get("params") or {}).get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or ``None`` if missing or unreadable (a torn report)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def own_site_index(path: Path) -> bool:
    """Whether ``path`` is missing or a site index this package wrote (``SITE_INDEX_MARK``).

    A symbolic link, a folder or a page without the mark is the user's: replacing it would
    delete it (or, for a link, replace the link wherever it points).
    """
    if not path.is_symlink() and not path.exists():
        return True
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return False
    # a site index written before the mark: the pages' style and the site table's run
    # entries (a run's own pages share the style, and a user may start a page from one)
    old = _OLD_SITE_INDEX_STYLE in head and any(m in head for m in _OLD_SITE_INDEX_PARTS)
    return SITE_INDEX_MARK in head or old
