"""End to end: a small run (params/ci.yaml) published with ``pdf=True``, built once for the
module, keeps the pages' promises on the real notebooks.

Self-contained and light pages (no script, stylesheet or image from another host; at most
300 kB per reader page once embedded figures are set aside), no absolute path of the building
machine in any published file, pages in the run's language with titles in words, and the PDF:
A4 pages holding the key findings. The PDF checks need Chromium and are skipped without it.
"""

from __future__ import annotations

import json
import re
import shutil
import zlib
from pathlib import Path

import pytest
import yaml

from analyse.paths import project_root
from analyse.pipeline import publish, site_layout
from analyse.report.findings import key_findings
from analyse.report.i18n import messages

ROOT = Path(__file__).resolve().parents[1]
READER_PAGE_LIMIT = 300_000  # bytes, once data: URIs are removed
DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+")
EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(published_site) -> Path:
    """The shared site (conftest): run ``ci`` in French, with its PDF where Chromium is."""
    return published_site.root


def html_pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted((out / "ci").glob("*.html"))]


def test_no_page_loads_anything_from_another_host(built):
    for path in html_pages(built):
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL.findall(text), path.name
        assert "<script" not in text, path.name  # no script at all: nothing to load or run


def test_reader_pages_weigh_at_most_300_kb_besides_their_figures(built):
    sizes = {
        p.name: len(DATA_URI.sub("", p.read_text(encoding="utf-8")).encode("utf-8"))
        for p in (built / "ci").glob("*.reader.html")
    }
    assert len(sizes) == 5
    assert max(sizes.values()) <= READER_PAGE_LIMIT, sizes


def test_no_published_file_holds_a_path_of_the_building_machine(built):
    """Papermill wrote ``output_dir = "/…/.staging-ci.…"`` into 20 files: failed before."""
    forbidden = [str(project_root()), str(built.resolve()), site_layout.STAGING_PREFIX]
    for path in built.rglob("*"):
        if path.suffix in {".html", ".ipynb", ".json"}:
            text = path.read_text(encoding="utf-8")
            for needle in forbidden:
                assert needle not in text, (path.relative_to(built), needle)


def test_pages_speak_the_run_language_with_titles_in_words(built):
    m = messages("fr")  # params/ci.yaml keeps the default language
    for path in html_pages(built):
        text = path.read_text(encoding="utf-8")
        assert '<html lang="fr">' in text, path.name
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert not title.endswith((".html", ".ipynb")) and "_" not in title, title
    reader = (built / "ci" / "03_is_size_decisive.reader.html").read_text(encoding="utf-8")
    # the run named by its title (params/ci.yaml), not by its folder
    run_title = yaml.safe_load((ROOT / "params" / "ci.yaml").read_text(encoding="utf-8"))["title"]
    title = m(
        "pages.page_title",
        number=3,
        title=m("pages.notebooks.03_is_size_decisive"),
        run=run_title,
    )
    assert f"<title>{title}</title>" in reader.replace("&#39;", "'")
    assert 'class="toc"' in reader and 'href="index.html"' in reader


def test_site_index_compares_the_run_and_run_index_opens_with_its_findings(built):
    results = json.loads((built / "ci" / "results.json").read_text(encoding="utf-8"))
    m = messages("fr")
    site = (built / "index.html").read_text(encoding="utf-8")
    assert m(f"verdicts.{results['verdict']}.label").replace("'", "&#39;") in site
    run_index = (built / "ci" / "index.html").read_text(encoding="utf-8").replace("&#39;", "'")
    first = key_findings(results, m)[0]
    assert run_index.index(first) < run_index.index("03_is_size_decisive.reader.html")


# ---------------------------------------------------------------------------------- PDF


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF printed by Chromium (Skia), without a PDF library: glyph codes in the
    content streams are mapped back to characters through the fonts' ToUnicode maps. Every
    map is tried on every text run, so the words of the body font come out whole."""
    streams = []
    for found in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(found.group(1)))
        except zlib.error:
            continue
    maps: list[dict[str, str]] = []
    for stream in streams:
        if b"begincmap" not in stream:
            continue
        cmap: dict[str, str] = {}
        text = stream.decode("latin-1")
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[src.upper()] = bytes.fromhex(dst).decode("utf-16-be", "replace")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, dst in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                width, start = len(lo), int(dst, 16)
                for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[f"{code:0{width}X}"] = chr(start + offset)
        maps.append(cmap)
    runs = [
        hexes
        for stream in streams
        if b"begincmap" not in stream
        for hexes in re.findall(rb"<([0-9A-Fa-f]+)>", stream)
    ]
    decoded = []
    for cmap in maps:
        width = len(next(iter(cmap), "0000"))
        chars = []
        for hexes in runs:
            code = hexes.decode().upper()
            chars.append(
                "".join(cmap.get(code[i : i + width], "") for i in range(0, len(code), width))
            )
        decoded.append("".join(chars))
    return "\n".join(decoded)


needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and publish.chromium() is None,
    reason="Chromium is not installed (Debian: apt-get install chromium): no PDF is printed",
)


@needs_chromium
def test_the_pdf_is_an_a4_report_holding_the_key_findings(built):
    pdf_path = built / "ci" / "rapport.pdf"
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) >= 5  # a title page and at least one page per notebook
    for width, height in boxes:  # A4 is 595 x 842 points
        assert abs(float(width) - 595) < 2 and abs(float(height) - 842) < 2, (width, height)
    results = json.loads((built / "ci" / "results.json").read_text(encoding="utf-8"))
    first_words = " ".join(key_findings(results, messages("fr"))[0].split()[:4])
    text = " ".join(pdf_text(pdf).split())
    assert first_words in text, text[:500]


@needs_chromium
def test_the_pdf_is_part_of_the_report_and_its_checksums(built):
    manifest = json.loads((built / "ci" / "manifest.json").read_text(encoding="utf-8"))
    assert "rapport.pdf" in manifest["outputs"]
    assert 'href="rapport.pdf"' in (built / "ci" / "index.html").read_text(encoding="utf-8")


# A link whose whole text is a file name or a path: the run index listed 44 "tables/….csv".
FILE_NAME_LINK = re.compile(
    r"<a\b[^>]*>\s*[\w./-]+\.(?:csv|xlsx|json|png|svg|txt|ipynb|html|pdf)\s*</a>", re.I
)
COLUMN_HEADER = re.compile(r'<th scope="col"')


def test_no_link_is_named_by_a_file_name_and_no_reader_table_is_wider_than_six(built):
    run = built / "ci"
    pages = [built / "index.html", run / "index.html", *sorted(run.glob("*.reader.html"))]
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not FILE_NAME_LINK.findall(text), (path.name, FILE_NAME_LINK.findall(text)[:3])
    index = (run / "index.html").read_text(encoding="utf-8")
    # every table of the reader pages (CSV and Excel); the detail tables are the code version's
    detail = publish.detail_tables(sorted(run.glob("0*.ipynb")))
    shown = [p for p in (run / "tables").glob("*.csv") if p.stem not in detail]
    assert detail and index.count('href="tables/') == 2 * len(shown)
    for path in sorted(run.glob("*.reader.html")):
        for table in re.findall(r'<table class="reader-table.*?</table>', path.read_text(), re.S):
            assert len(COLUMN_HEADER.findall(table)) <= 6, path.name
