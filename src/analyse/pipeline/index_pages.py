"""The index pages: one run's landing page and the page comparing every run of a folder.

Both read only a run's ``results.json`` and ``manifest.json``, so they can be rebuilt for any
report on disk; what they say comes from ``analyse.report.findings``, the same words as the
notebooks'.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyse.errors import InputError, Problem
from analyse.pipeline.output_folder import current_umask
from analyse.pipeline.site_layout import (
    FAILED_DIR,
    INDEX_FILE,
    INDEX_TMP_PREFIX,
    MANIFEST_FILE,
    RESULTS_FILE,
    notebook_number,
    notebook_title,
    own_site_index,
    read_json,
    render_page,
    run_language,
    run_themes,
)
from analyse.report.downloads import SIDECAR_SUFFIX, TABLES_DIR, sidecar_caption
from analyse.report.findings import key_findings, summary
from analyse.report.headline import champ, chapeau, headline, run_title, why_answers_differ
from analyse.report.i18n import DEFAULT_LANGUAGE, Messages, for_run, messages
from analyse.report.lecture import notes

if TYPE_CHECKING:
    from analyse.pipeline.publish import Figure


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
class Download:
    """A table offered for download on a run's index: its caption in words and one link per
    format, named by the format ("CSV", "Excel"), never by the file's name."""

    caption: str
    links: tuple[tuple[str, str], ...]  # (format in words, href)


@dataclass(frozen=True)
class RunRow:
    """One row of the site index: a published run, side by side with the others. The page
    shows at most six columns: the run's cell also says its kind of data and its date."""

    name: str
    n: str
    total: str  # total effect of size in points for a tenfold population [interval], verdict
    verdict: str  # the verdict's label in the site's language (the direct effect's)
    effect: str  # direct effect in points for a tenfold population and its 90 % interval
    mde: str  # smallest detectable direct effects, in points
    data: str  # synthetic or real, in words
    date: str  # end of the run, in words
    href: str
    summary: str = ""  # the key findings in one paragraph (analyse.report.findings.summary)
    title: str = ""  # the run's name for readers (analyse.report.headline.run_title)
    headline: str = ""  # the finding, as a title (analyse.report.headline.headline)
    champ: str = ""  # « Champ : … »


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
    kind = ((manifest.get("params") or {}).get("data") or {}).get("kind")
    if kind == "census":  # observed by a third party, not declared by the bodies
        found += [m("pages.caveat_observational_census"), m("pages.caveat_source_census")]
    else:
        found += [m("pages.caveat_observational"), m("pages.caveat_self_reported")]
    return found


DOWNLOAD_SUFFIXES = (".csv", ".xlsx")
_TABLE_LINK = re.compile(rf"{TABLES_DIR}/([A-Za-z0-9][A-Za-z0-9_-]*)\.csv")


def table_captions(run_dir: Path, notebook_files: Sequence[str | Path]) -> dict[str, str]:
    """Each table's caption by its download name, in the order the notebooks show them.

    The order is that of the tables' links in the executed notebooks (``notebook_files``,
    relative to ``run_dir``), so that the run's index lists the downloads chapter by chapter;
    the captions come from the sidecars ``tables/<name>.json`` (``analyse.report.downloads``).
    A table without a sidecar is left out (its downloads are then named by their name)."""
    order: list[str] = []
    for file in notebook_files:
        try:
            text = (run_dir / file).read_text(encoding="utf-8")
        except OSError:
            continue
        order += [name for name in _TABLE_LINK.findall(text) if name not in order]
    folder = run_dir / TABLES_DIR
    if folder.is_dir():
        order += sorted(p.stem for p in folder.glob(f"*{SIDECAR_SUFFIX}") if p.stem not in order)
    captions = {}
    for name in order:
        caption = sidecar_caption(folder / f"{name}{SIDECAR_SUFFIX}")
        if caption:
            captions[name] = caption
    return captions


def table_downloads(
    paths: Sequence[str], captions: Mapping[str, str], m: Messages
) -> list[Download]:
    """The downloads of a run grouped by table: one entry per table (its CSV and XLSX), named
    by its caption, in the order of ``captions`` (the notebooks'), then the others by name."""
    grouped: dict[str, list[str]] = {}
    for path in paths:
        grouped.setdefault(path.rsplit(".", 1)[0], []).append(path)
    rank = {f"{TABLES_DIR}/{name}": i for i, name in enumerate(captions)}
    found = []
    for stem in sorted(grouped, key=lambda s: (rank.get(s, len(rank)), s)):
        name = stem.removeprefix(f"{TABLES_DIR}/")
        links = tuple(
            (m.get(f"tables.format.{suffix}", suffix.upper()), path)
            for path in sorted(grouped[stem], key=_format_rank)
            for suffix in [path.rsplit(".", 1)[-1].lower()]
        )
        caption = captions.get(name) if stem.startswith(f"{TABLES_DIR}/") else None
        found.append(Download(caption or m("pages.download_untitled", name=name), links))
    return found


def _format_rank(path: str) -> tuple[int, str]:
    suffix = "." + path.rsplit(".", 1)[-1].lower()
    known = list(DOWNLOAD_SUFFIXES)
    return (known.index(suffix) if suffix in known else len(known), path)


def run_index_html(
    manifest: dict[str, Any],
    results: dict[str, Any] | None,
    figures: list[Figure],
    extras: Sequence[str] = (),
    pdf: str | None = None,
    captions: Mapping[str, str] | None = None,
    extra_figures: Mapping[str, Figure] | None = None,
) -> str:
    """The landing page of one run (links are relative to the run folder), in the run's
    language: key findings first, then the chapters, then the details.

    ``extras`` are files the notebooks wrote into ``output_dir`` themselves: tables (CSV,
    XLSX) are offered as downloads, each table named by its caption (``captions``, by
    download name: ``table_captions``) and each file by its format; the tables' sidecars are
    not listed; the other files are, in words: an image that is one of the run's figures
    (``extra_figures``, by path) by that figure, any other file by its name and format.
    ``pdf`` is the run's PDF, if printed.
    """
    m = for_run(messages(run_language(manifest)), results)
    name = manifest["name"]
    git = manifest["git"]
    dirty = {True: m("pages.git_dirty"), False: ""}.get(git["dirty"], m("pages.git_unknown"))
    chapters = [_chapter(nb, m, run_themes(results)) for nb in manifest["notebooks"]]
    downloads = [path for path in extras if path.lower().endswith(DOWNLOAD_SUFFIXES)]
    stems = {path.rsplit(".", 1)[0] for path in downloads}
    sidecars = {
        path
        for path in extras
        if path.startswith(f"{TABLES_DIR}/")
        and path.endswith(SIDECAR_SUFFIX)
        and path.removesuffix(SIDECAR_SUFFIX) in stems
    }
    return render_page(
        "run_index.html.j2",
        lang=m.lang,
        m=m,
        title=m("pages.run_title", run=name),
        heading=m("pages.run_heading", run=name),
        top=_unless_unreadable(page_top, results, m, None),
        headline_figure=_headline_figure(figures, extras, m),
        headline_notes=_unless_unreadable(
            lambda found, msgs: notes("size_coefficients", found, msgs), results, m, []
        ),
        name=name,
        all_runs_href=f"../{INDEX_FILE}",
        findings=findings(results, m),
        caveats=caveats(manifest, m),
        chapters=chapters,
        pdf=pdf,
        # the reader pages' figures: the statistician's detail stays on the code version
        figures=[(f.path, f.alt_in(m)) for f in figures if not f.detail],
        downloads=table_downloads(downloads, captions or {}, m),
        extras=[
            (path, extra_name(path, (extra_figures or {}).get(path), m))
            for path in extras
            if path not in downloads and path not in sidecars
        ],
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


@dataclass(frozen=True)
class PageTop:
    """What a page shows first (``analyse.report.headline``): the run's name for readers, the
    finding as a title, and the chapeau's sentences."""

    kicker: str
    headline: str
    chapeau: list[str]


def page_top(results: dict[str, Any], m: Messages) -> PageTop | None:
    """The top of a run's pages from its ``results.json``; None for results too old to say."""
    if not (results.get("estimands") or {}).get("direct"):
        return None
    return PageTop(
        kicker=run_title(results, m), headline=headline(results, m), chapeau=chapeau(results, m)
    )


# the figure that shows the answer (notebook 3's total, held-equal and through-the-means gaps)
HEADLINE_FIGURE = "size_marginal_conditional.png"


def _headline_figure(
    figures: Sequence[Figure], extras: Sequence[str], m: Messages
) -> tuple[str, str, str | None] | None:
    """(path, alt, phone path) of the chart that shows the apparent versus the equal-means
    effect: the PNG notebook 3 saved in the run folder, with the alt text and the phone layout
    of the same figure in its pages."""
    if HEADLINE_FIGURE not in extras:
        return None
    found = next((f for f in figures if f.notebook.startswith("03_") and f.number == 1), None)
    if found is None:
        return HEADLINE_FIGURE, m("pages.headline_figure_alt"), None
    return HEADLINE_FIGURE, found.alt_in(m), found.phone


def extra_name(path: str, figure: Figure | None, m: Messages) -> str:
    """A file the notebooks wrote, named in words for its link: the figure it is an image of
    ("Figure 2 du chapitre 3 (PNG)"), else its name without folder or extension and its
    format ("« notes » (TXT)"), never the bare file name."""
    name = path.rsplit("/", 1)[-1]
    stem, _, suffix = name.rpartition(".")
    if not stem:
        stem, suffix = name, ""
    kind = suffix.upper() or m("pages.file_kind_unknown")
    if figure is not None:
        number = notebook_number(figure.notebook)
        if number is not None:
            return m("pages.figure_file", number=figure.number, chapter=number, format=kind)
    return m("pages.other_file", name=stem, format=kind)


def _when(value: Any, m: Messages) -> str:
    """A manifest's ISO time in words; a value that is not one is shown as it is."""
    try:
        return m.datetime(str(value))
    except (TypeError, ValueError):
        return str(value)


def _chapter(nb: dict[str, Any], m: Messages, themes: int | None = None) -> Chapter:
    stem = Path(nb["file"]).stem
    number = notebook_number(stem)
    title = notebook_title(stem, m, themes)
    return Chapter(
        stem=stem,
        title=f"{number}. {title}" if number is not None else title,
        reader=f"{stem}.reader.html",
        full=f"{stem}.html",
        file=nb["file"],
        duration=m("pages.seconds", seconds=m.number(nb["duration_seconds"], 1)),
    )


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


def effect_with_interval(results: dict[str, Any], m: Messages, estimand: str = "direct") -> str:
    """ "−1,2 [−13,7 ; +11,4]": an effect of size in index points for a tenfold population and
    the interval its verdict reads. A ``results.json`` older than the estimands gives the
    standardized direct effect instead (the unit its pages used)."""
    block = (results.get("estimands") or {}).get(estimand)
    if block:
        value, interval, digits = block.get("coef_points"), block.get("ci90_points"), 1
    elif estimand == "direct":
        size = results.get("size") or {}
        value, interval, digits = size.get("std_coef"), size.get("ci90"), 2
    else:
        return m("format.missing")
    low, high = (list(interval or []) + [None, None])[:2]
    return m(
        "pages.interval",
        estimate=_number(value, m, digits, sign=True),
        low=_number(low, m, digits, sign=True),
        high=_number(high, m, digits, sign=True),
    )


def total_effect(results: dict[str, Any], m: Messages) -> str:
    """The total effect with its interval and its verdict, for the site index."""
    total = (results.get("estimands") or {}).get("total") or {}
    if not total:
        return m("format.missing")
    return m(
        "pages.effect_verdict",
        effect=effect_with_interval(results, m, "total"),
        verdict=verdict_label(total.get("verdict"), m),
    )


def run_row(folder: Path, manifest: dict[str, Any], m: Messages) -> RunRow:
    """A run's row of the site index, in the site's language, from its two JSON files."""
    results = read_json(folder / RESULTS_FILE) or {}
    m = for_run(m, results)  # the run's words: a census's, its index's name
    n = results.get("n")
    return RunRow(
        name=folder.name,
        n=m.integer(n) if isinstance(n, (int, float)) else m("format.missing"),
        total=_unless_unreadable(total_effect, results, m, m("format.missing")),
        verdict=verdict_label(results.get("verdict"), m),
        effect=effect_with_interval(results, m),
        mde=_detectable(results.get("sensitivity") or {}, m),
        data=m("pages.data.synthetic" if manifest.get("synthetic") else "pages.data.real"),
        date=_date(manifest.get("ended_at"), m),
        href=f"{folder.name}/{INDEX_FILE}",
        summary=_unless_unreadable(summary, results, m, ""),
        # the run's name for readers; the folder's slug for results that cannot say more
        title=_unless_unreadable(run_title, results, m, folder.name)
        if results.get("run")
        else folder.name,
        headline=_unless_unreadable(_finding_title, results, m, ""),
        champ=_unless_unreadable(champ, results, m, ""),
    )


def _finding_title(results: dict[str, Any], m: Messages) -> str:
    """The finding as a title, for results that have the estimands (else nothing)."""
    return headline(results, m) if (results.get("estimands") or {}).get("direct") else ""


def _detectable(sensitivity: dict[str, Any], m: Messages) -> str:
    """The smallest detectable direct effects in points, positive then negative
    ("+20,0 / −20,7"): they differ, and one number would overstate the sample's reach in one
    direction. Older results give them as standardized magnitudes."""
    positive = sensitivity.get("mde_points_positive")
    negative = sensitivity.get("mde_points_negative")
    if positive is not None and negative is not None:
        return f"{_number(positive, m, 1, sign=True)} / {_number(negative, m, 1, sign=True)}"
    positive, negative = sensitivity.get("mde_std_positive"), sensitivity.get("mde_std_negative")
    if positive is None or negative is None:
        return _number(sensitivity.get("mde_std"), m)
    return f"{_number(positive, m)} / {_number(negative, m)}"


def _date(value: Any, m: Messages) -> str:
    try:
        return m.date(str(value))
    except (TypeError, ValueError):
        return str(value) if value else m("format.missing")


# The site index's columns, the run's cell first and the verdict next: six at most, so that the
# table fits a laptop's width and a phone shows the answer before it scrolls.
SITE_COLUMNS = ("run", "verdict", "effect", "total", "n", "mde")


def site_index_html(output_dir: Path) -> str:
    """The page comparing every run found in ``output_dir`` side by side, and listing kept
    failed attempts."""
    found = published_runs(output_dir)
    m = messages(site_language([manifest for _, manifest in found]))
    documents = [read_json(folder / RESULTS_FILE) or {} for folder, _ in found]
    return render_page(
        "site_index.html.j2",
        lang=m.lang,
        m=m,
        title=m("pages.site_title"),
        runs=[run_row(folder, manifest, m) for folder, manifest in found],
        why=_unless_unreadable(why_answers_differ, documents, m, None),
        columns=SITE_COLUMNS,
        failed=_failed_attempts(output_dir / FAILED_DIR),
    )


def _failed_attempts(failed_dir: Path) -> list[FailedAttempt]:
    """Kept failed attempts, newest first: the one being diagnosed is usually the last."""
    if failed_dir.is_symlink() or not failed_dir.is_dir():  # never listed through a link
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
    if not own_site_index(target):  # the user's, made while the runs ran: never replaced
        raise InputError(
            [
                Problem(
                    str(target),
                    "exists and was not written by analyse, which writes the site index "
                    "there: move it or choose another --output-dir",
                )
            ]
        )
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
