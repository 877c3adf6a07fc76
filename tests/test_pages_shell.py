"""The published pages' shell, without a kernel: notebook pages are made from a hand-built
executed notebook (as papermill leaves it) and index pages from hand-made runs.

What is checked: no script or stylesheet from another host, the run's language and a title in
words, a table of contents of the page's h2 (from markdown cells and from markdown outputs),
links back, analyst notes and papermill's parameters cell off the pages, no absolute path of
the building machine in any written file, no empty table header, code colours at WCAG AA
contrast, the index pages' side-by-side table in the run's language, and the PDF skipped in
one line when Chromium is absent.
"""

from __future__ import annotations

import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from tiny_notebooks import python3_notebook

from analyse import cli
from analyse.paths import default_codebook_path, project_root
from analyse.pipeline import index_pages, publish, runner, site_layout
from analyse.report.findings import summary
from analyse.report.headline import run_title, why_answers_differ
from analyse.report.i18n import messages

ROOT = project_root()


def plain(text: str) -> str:
    """French text with its no-break spaces (before : ; ? ! % », after «) as plain spaces."""
    return text.replace("\u00a0", " ")


# A 1x1 PNG, enough for an <img>.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)
TABLE = (
    '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
    "<th>coef</th></tr></thead><tbody><tr><th>size</th><td>0.1</td></tr></tbody></table>"
)


class Page(HTMLParser):
    """Elements, attributes and the text under each heading of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str | None, str]] = []  # tag, id, text
        self._heading: list[str] | None = None
        self._th: list[str] | None = None
        self.empty_th = 0
        self.title = ""
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [tag, dict(attrs).get("id"), ""]  # type: ignore[list-item]
        if tag == "th":
            self._th = []
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if self._heading is not None and tag == self._heading[0]:
            self.headings.append((self._heading[0], self._heading[1], self._heading[2].strip()))
            self._heading = None
        if tag == "th" and self._th is not None:
            self.empty_th += not "".join(self._th).strip()
            self._th = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[2] += data
        if self._th is not None:
            self._th.append(data)
        if self._in_title:
            self.title += data

    def attrs(self, tag: str, name: str) -> list[str | None]:
        return [a.get(name) for t, a in self.tags if t == tag]


def executed_notebook(staging: Path, lang: str = "fr") -> nbformat.NotebookNode:
    """A notebook as papermill leaves it in a run's staging folder."""
    nb = new_notebook()
    nb.metadata["papermill"] = {
        "parameters": {"name": "demo", "lang": lang, "output_dir": str(staging)},
        "input_path": str(project_root() / "notebooks" / "03_is_size_decisive.ipynb"),
        "output_path": str(staging / "03_is_size_decisive.ipynb"),
        "cwd": str(project_root() / "notebooks"),
    }
    display_md = new_code_cell(
        "show()",
        outputs=[
            new_output("display_data", data={"text/markdown": "## Heading from an output\n\nText."})
        ],
    )
    table = new_code_cell("table", outputs=[new_output("display_data", data={"text/html": TABLE})])
    figure = new_code_cell(
        "plot()",
        outputs=[
            new_output(
                "display_data",
                data={"image/png": PNG},
                metadata={"image/png": {"alt": "The effect lies between −0.29 and +0.24."}},
            )
        ],
    )
    nb.cells = [
        new_markdown_cell("# 3. Is size decisive?\n\nIntroduction."),
        new_code_cell('name = "x"\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        new_code_cell(
            f'name = "demo"\noutput_dir = "{staging}"',
            metadata={"tags": ["injected-parameters"]},
            outputs=[new_output("stream", name="stdout", text=f"saved in {staging}/x.png\n")],
        ),
        new_markdown_cell(
            "The next cell holds the run's parameters (ANALYST NOTE).",
            metadata={"tags": ["analyst"]},
        ),
        new_markdown_cell("## First section\n\nSome words."),
        new_code_cell(
            "detail()",
            metadata={"tags": ["detail"]},
            outputs=[new_output("display_data", data={"text/markdown": "STATISTICIAN DETAIL"})],
        ),
        display_md,
        table,
        new_markdown_cell("## First section\n\nSame heading twice."),
        figure,
    ]
    return nb


@pytest.fixture
def pages(tmp_path) -> dict[str, str]:
    """The staging folder of a run with one executed notebook and its two pages written."""
    staging = tmp_path / ".staging-demo.123.abcdef"
    staging.mkdir()
    nbformat.write(executed_notebook(staging), staging / "03_is_size_decisive.ipynb")
    publish.write_notebook_pages(staging / "03_is_size_decisive.ipynb")
    return {p.name: p.read_text(encoding="utf-8") for p in staging.iterdir()} | {
        "_staging": str(staging)
    }


def test_notebook_pages_have_no_script_or_stylesheet_from_elsewhere(pages):
    """The lab template loaded require.js, MathJax and mermaid from a CDN: failed before."""
    for name in ("03_is_size_decisive.html", "03_is_size_decisive.reader.html"):
        page = Page(pages[name])
        assert not [t for t, _ in page.tags if t in {"script", "link", "iframe"}], name
        for tag, attrs in page.tags:
            for attr in ("src", "href"):
                value = attrs.get(attr) or ""
                assert not re.match(r"(?:https?:)?//", value), (name, tag, value)
        assert "cdnjs" not in pages[name] and "unpkg" not in pages[name]


def test_notebook_pages_speak_the_run_language_with_a_title_in_words(pages):
    m = messages("fr")
    page = Page(pages["03_is_size_decisive.reader.html"])
    assert page.attrs("html", "lang") == ["fr"]
    assert plain(page.title) == "3. La taille est-elle déterminante ? — demo"
    assert page.title == m(
        "pages.page_title", number=3, title=m("pages.notebooks.03_is_size_decisive"), run="demo"
    )
    hrefs = page.attrs("a", "href")
    assert "index.html" in hrefs and "../index.html" in hrefs
    assert "03_is_size_decisive.html" in hrefs  # the full version


def test_table_of_contents_lists_every_h2_with_unique_ids(pages):
    page = Page(pages["03_is_size_decisive.reader.html"])
    h2 = [(ident, text) for tag, ident, text in page.headings if tag == "h2"]
    toc_title = messages("fr")("pages.toc")
    content = [(i, t) for i, t in h2 if t != toc_title]
    assert [t for _, t in content] == ["First section", "Heading from an output", "First section"]
    ids = [i for i, _ in content]
    assert all(ids) and len(set(ids)) == 3
    toc_links = [h for h in page.attrs("a", "href") if h and h.startswith("#")]
    assert toc_links == [f"#{i}" for i in ids]
    # the contents come after the title cell, not before the page's h1
    text = pages["03_is_size_decisive.reader.html"]
    assert text.index("<h1") < text.index('class="toc"') < text.index("First section</h2>")


def test_analyst_notes_only_on_full_pages_and_injected_parameters_on_none(pages):
    assert "ANALYST NOTE" not in pages["03_is_size_decisive.reader.html"]
    assert "ANALYST NOTE" in pages["03_is_size_decisive.html"]
    # the statistician's detail (a cell tagged "detail", with output) on the code version only
    assert "STATISTICIAN DETAIL" not in pages["03_is_size_decisive.reader.html"]
    assert "STATISTICIAN DETAIL" in pages["03_is_size_decisive.html"]
    for name in ("03_is_size_decisive.html", "03_is_size_decisive.reader.html"):
        assert 'name = "demo"' not in pages[name] and "saved in" not in pages[name]


def test_no_absolute_path_of_the_building_machine_in_any_written_file(pages):
    staging = pages.pop("_staging")
    root = str(project_root())
    for name, text in pages.items():
        for forbidden in (staging, str(Path(staging).parent), root, ".staging-"):
            assert forbidden not in text, (name, forbidden)
    executed = json.loads(pages["03_is_size_decisive.ipynb"])
    assert executed["metadata"]["papermill"]["parameters"]["output_dir"] == "."
    assert executed["metadata"]["papermill"]["input_path"] == "notebooks/03_is_size_decisive.ipynb"


def test_tables_have_no_empty_header_and_scroll_in_a_focusable_box(pages):
    for name in ("03_is_size_decisive.html", "03_is_size_decisive.reader.html"):
        page = Page(pages[name])
        assert page.empty_th == 0, name
        assert "<th></th>" not in pages[name]
        wraps = [a for t, a in page.tags if t == "div" and "table-wrap" in (a.get("class") or "")]
        assert len(wraps) == page.attrs("table", "class").__len__() == 1
        assert wraps[0]["tabindex"] == "0" and wraps[0].get("aria-label")


def test_figures_keep_their_alt_text(pages):
    alts = Page(pages["03_is_size_decisive.reader.html"]).attrs("img", "alt")
    assert alts == ["The effect lies between −0.29 and +0.24."]


def test_an_english_run_gets_english_pages(tmp_path):
    staging = tmp_path / "run"
    staging.mkdir()
    nbformat.write(executed_notebook(staging, "en"), staging / "03_is_size_decisive.ipynb")
    _, reader = publish.write_notebook_pages(staging / "03_is_size_decisive.ipynb")
    page = Page(reader.read_text(encoding="utf-8"))
    assert page.attrs("html", "lang") == ["en"]
    assert page.title == "3. Is size decisive? — demo"


def test_unknown_notebooks_get_a_title_from_their_file_name():
    m = messages("fr")
    assert site_layout.notebook_title("07_extra_checks", m) == "Extra checks"
    assert site_layout.page_title("07_extra_checks", "ci", m) == "7. Extra checks — ci"
    assert site_layout.page_title("appendix", "ci", m) == "Appendix — ci"


def test_the_shell_prints_on_a4_with_headings_kept_with_what_follows():
    css = (site_layout.TEMPLATES_DIR / "base.html.j2").read_text(encoding="utf-8")
    assert "@page{size:A4" in css
    printed = css[css.index("@media print") :]
    assert "break-after:avoid" in printed and "break-inside:avoid" in printed
    assert "nav.toc" in printed and "display:none" in printed
    assert re.search(r"max-width:6\dch", css)  # lines of 90 characters or less


# ------------------------------------------------------------------------- code colours


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_code_and_prompt_colours_meet_wcag_aa_contrast():
    for classes, colour in publish.CODE_COLOURS.items():
        background = "#ffffff" if classes == "prompt" else publish.CODE_BACKGROUND
        assert contrast(colour, background) >= 4.5, (classes, colour)
    css = publish.code_css()
    assert publish.CODE_COLOURS["prompt"] in css and ".highlight .k" in css


# --------------------------------------------------------------------------- index pages


def write_run(out: Path, name: str, lang: str, results: dict, synthetic: bool = True) -> None:
    folder = out / name
    folder.mkdir(parents=True)
    manifest = {
        "name": name,
        "synthetic": synthetic,
        "params": {"lang": lang},
        "ended_at": "2026-11-23T12:34:09+00:00",
    }
    (folder / site_layout.MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    (folder / site_layout.RESULTS_FILE).write_text(json.dumps(results), encoding="utf-8")


RESULTS = {
    "n": 1225,
    "verdict": "negligible",
    "size": {"std_coef": -0.0243, "ci90": [-0.2878, 0.2392]},
    "sensitivity": {"mde_std": 0.4187},
}


def test_site_index_compares_runs_side_by_side_in_french(tmp_path):
    """The old index listed names, a raw verdict and ISO times: failed before."""
    write_run(tmp_path, "census", "fr", RESULTS, synthetic=False)
    write_run(tmp_path, "ci", "fr", {**RESULTS, "n": 55, "verdict": "inconclusive"})
    text = index_pages.site_index_html(tmp_path)
    page = Page(text)
    assert page.attrs("html", "lang") == ["fr"]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", text)
    assert len(rows) == 2
    census = plain(re.sub(r"<[^>]+>", "|", rows[0]))
    for cell in (
        "1\u202f225",
        "effet négligeable",
        "−0,02 [−0,29 ; +0,24]",
        "0,42",
        "réelles",
        "23 novembre 2026",
    ):
        assert cell in census, (cell, census)
    assert "non concluant" in rows[1] and "synthétiques" in rows[1]
    assert page.empty_th == 0


def test_site_index_is_english_when_every_run_is_and_french_when_they_differ(tmp_path):
    write_run(tmp_path, "a", "en", RESULTS)
    english = index_pages.site_index_html(tmp_path)
    assert Page(english).attrs("html", "lang") == ["en"]
    assert "−0.02 [−0.29; +0.24]" in english and "23 November 2026" in english
    write_run(tmp_path, "b", "fr", RESULTS)
    assert Page(index_pages.site_index_html(tmp_path)).attrs("html", "lang") == ["fr"]


def test_run_index_puts_key_findings_first_then_chapters_then_details():
    m = messages("fr")
    manifest = {
        "name": "ci",
        "synthetic": True,
        "params": {"lang": "fr", "data": {"survey": "data/s.csv"}},
        "notebooks": [
            {"file": "01_data_quality.ipynb", "duration_seconds": 1.0},
            {"file": "03_is_size_decisive.ipynb", "duration_seconds": 2.0},
        ],
        "git": {"commit": "abc", "dirty": False},
        "inputs": {"params": {"path": "params/ci.yaml"}, "survey": {"path": "data/s.csv"}},
        "started_at": "2026-11-23T12:30:00+00:00",
        "ended_at": "2026-11-23T12:34:09+00:00",
        "versions": {"analyse": "0"},
        "inputs_digest": "0" * 64,
    }
    results = {**RESULTS, "sesoi": 0.2, "alpha": 0.05, "run": {"synthetic": True}}
    text = html.unescape(
        index_pages.run_index_html(manifest, results, [], ["tables/size.csv", "tables/size.xlsx"])
    )
    first = index_pages.key_findings(results, m)[0]
    assert first in text
    chapter = m("nb3.title").removeprefix("# ")
    assert text.index(first) < text.index(chapter) < text.index(m("pages.details"))
    hrefs = Page(text).attrs("a", "href")
    assert hrefs.index("01_data_quality.reader.html") < hrefs.index("03_is_size_decisive.html")
    assert "tables/size.csv" in hrefs and "tables/size.xlsx" in hrefs
    assert text.count(m("pages.caveat_observational")) == 1
    assert "23 novembre 2026" in text


# ---------------------------------------------------------------------------- PDF skipped


def tiny_project(root: Path) -> tuple[Path, Path]:
    notebooks = root / "notebooks"
    notebooks.mkdir(parents=True)
    nb = python3_notebook(
        [
            new_code_cell(
                'name = "x"\nlang = "fr"\noutput_dir = ""', metadata={"tags": ["parameters"]}
            ),
            new_markdown_cell("# Tiny\n\n## Part"),
        ]
    )
    nbformat.write(nb, notebooks / "01_tiny.ipynb")
    survey = root / "survey.csv"
    survey.write_text("id,score\n1,2\n", encoding="utf-8")
    params = root / "demo.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "name": "demo",
                "data": {"survey": str(survey), "codebook": str(default_codebook_path())},
                "analysis": {"bootstrap": 10},
            }
        ),
        encoding="utf-8",
    )
    return params, notebooks


@pytest.mark.slow
def test_pdf_is_skipped_in_one_line_when_chromium_is_absent(tmp_path, monkeypatch, capsys):
    params, notebooks = tiny_project(tmp_path)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # python, no chromium
    assert publish.chromium() is None
    monkeypatch.setattr(
        runner, "_compute_results", lambda p, s=None: {"verdict": "negligible", "n": 3}
    )
    monkeypatch.setattr(runner, "find_notebooks", lambda _: (notebooks / "01_tiny.ipynb",))
    out = tmp_path / "reports"
    monkeypatch.setattr(
        sys, "argv", ["analyse", "run", str(params), "--output-dir", str(out), "--pdf"]
    )
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert (exc.value.code or 0) == 0
    printed = capsys.readouterr().out
    assert printed.count("PDF skipped") == 1
    assert "Chromium" in printed.split("PDF skipped")[1].splitlines()[0]
    assert (out / "demo" / "manifest.json").is_file()
    assert not list((out / "demo").glob("*.pdf"))


def test_run_help_documents_the_pdf_option():
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli.app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "--pdf" in result.output and "rapport.pdf" in result.output


def test_a_report_older_than_the_estimands_keeps_its_summary():
    """An index lists reports already on disk: one written before the estimands existed
    still gets its raw and held-equal gaps (from ``nested``) and its verdict."""
    results = json.loads(
        (ROOT / "tests" / "fixtures" / "results_panel.json").read_text(encoding="utf-8")
    )
    del results["estimands"]
    m = messages("fr")
    paragraph = plain(summary(results, m))
    for part in ("raw_up", "held_vanishes"):
        assert m.texts[f"findings.{part}"].split("{")[0][:25] in paragraph, part
    assert m(f"verdicts.{results['verdict']}.label") in paragraph


def test_site_index_starts_with_each_runs_key_findings(tmp_path):
    """Key findings first, on the page that compares runs too: one paragraph per run, before
    the table (failed before: the index held the table alone)."""
    results = json.loads(
        (ROOT / "tests" / "fixtures" / "results_panel.json").read_text(encoding="utf-8")
    )
    write_run(tmp_path, "default", "fr", results)
    text = html.unescape(index_pages.site_index_html(tmp_path))
    m = messages("fr")
    paragraph = summary(results, m)
    assert paragraph and paragraph in text
    assert text.index(paragraph) < text.index("<table")
    for part in ("held", "total", "detectable"):
        start = m.texts[f"findings.summary.{part}"].split("{")[0][:15]
        assert start in plain(paragraph), part
    assert m(f"verdicts.{results['verdict']}.label") in paragraph
    total = results["estimands"]["total"]["verdict"]
    assert m(f"verdicts.{total}.label") in paragraph


# ---------------------------------------------------------------------------- tables for reading

# A link whose whole text is a file name or a path ("tables/size.csv", "equivalence.png"): the
# run index listed 44 of them, and reader pages linked "CSV" and "XLSX".
FILE_NAME = re.compile(r"^[\w./-]+\.(?:csv|xlsx|json|png|svg|txt|ipynb|html|pdf)$", re.I)


class Links(HTMLParser):
    """Every link of a page: (href, its text)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._open: list[str] | None = None
        self._href = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open, self._href = [], dict(attrs).get("href") or ""

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append((self._href, " ".join("".join(self._open).split())))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)


def file_name_links(text: str) -> list[tuple[str, str]]:
    return [(href, words) for href, words in Links(text).links if FILE_NAME.match(words)]


def test_run_index_names_each_table_download_by_its_caption_in_chapter_order(tmp_path):
    """The run index listed "tables/size.csv" and "tables/size.xlsx" as their link texts."""
    m = messages("fr")
    tables = tmp_path / "tables"
    tables.mkdir()
    for name, caption in (("size", "Effet de la taille"), ("aaa", "Données analysées")):
        for suffix in ("csv", "xlsx"):
            (tables / f"{name}.{suffix}").write_text("x", encoding="utf-8")
        (tables / f"{name}.json").write_text(json.dumps({"caption": caption}), encoding="utf-8")
    # the notebooks show "size" first: the index follows them, not the alphabet
    (tmp_path / "01.ipynb").write_text('"href=\\"tables/size.csv\\" tables/aaa.csv"')
    (tmp_path / "fig.png").write_bytes(b"png")
    captions = index_pages.table_captions(tmp_path, ["01.ipynb"])
    assert captions == {"size": "Effet de la taille", "aaa": "Données analysées"}
    extras = sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.suffix != ".ipynb"
    )
    manifest = {
        "name": "ci",
        "params": {"lang": "fr"},
        "notebooks": [],
        "git": {"commit": "abc", "dirty": False},
        "inputs": {"params": {"path": "p.yaml"}, "survey": {"path": "s.csv"}},
        "versions": {"analyse": "0"},
        "inputs_digest": "0",
    }
    text = index_pages.run_index_html(manifest, RESULTS, [], extras, captions=captions)
    links = Links(text).links
    assert file_name_links(text) == []
    downloads = [(href, words) for href, words in links if href.startswith("tables/")]
    assert downloads == [
        ("tables/size.csv", "CSV"),
        ("tables/size.xlsx", "Excel"),
        ("tables/aaa.csv", "CSV"),
        ("tables/aaa.xlsx", "Excel"),
    ]
    plain_text = plain(html.unescape(re.sub(r"<[^>]+>", "", text)))
    assert "Effet de la taille (CSV, Excel)" in plain_text
    assert "tables/size.json" not in text  # the sidecar is read, not listed
    assert ("fig.png", plain(m("pages.other_file", name="fig", format="PNG"))) in [
        (h, plain(w)) for h, w in links
    ]


def test_site_index_shows_six_columns_the_verdict_next_to_the_run(tmp_path):
    """It had eight (run, n, total, effect, verdict, MDE, data, date) and overflowed at 1000 px."""
    write_run(tmp_path, "a", "fr", {**RESULTS, "run": {"synthetic": True}})
    text = index_pages.site_index_html(tmp_path)
    headers = [html.unescape(h) for h in re.findall(r'<th scope="col">(.*?)</th>', text)]
    m = messages("fr")
    assert len(headers) <= 6
    assert headers[:2] == [m("pages.columns.run"), m("pages.columns.verdict")]
    row = re.search(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td>', text, re.S)
    # named by its title for readers, the folder's name beside it for the analyst
    title = html.unescape(re.search(r">([^<]*)</a>", row.group(1)).group(1))
    assert title == run_title({**RESULTS, "run": {"synthetic": True}}, m) and title != "a"
    assert "a · " in row.group(1) and m("pages.data.synthetic") in row.group(1)
    assert html.unescape(row.group(2)) == m("verdicts.negligible.label")


def test_print_resets_the_scrolling_of_every_table():
    """Reader tables carry ``overflow-x: auto`` inline: without !important in the print rules
    the PDF printed a scrollbar and cut the columns past the page."""
    page = site_layout.render_page("base.html.j2", lang="fr", title="t")
    screen, _, printed = page.partition("@media print{")
    printed = printed[: printed.index("</style>")]
    rule = re.search(r"([^{}]*)\{[^}]*overflow:visible!important", printed)
    assert rule is not None
    selectors = {s.strip() for s in rule.group(1).split(",")}
    assert {".table-scroll", ".table-wrap"} <= selectors
    assert "white-space:normal!important" in printed  # headers wrap to fit A4


def test_the_site_index_names_runs_by_their_title_and_says_why_answers_differ(tmp_path):
    """Runs are named in words (the ``title`` parameter, else scope and data), and when two
    runs answer the barometer's claim differently the page says what differs between them."""
    results = json.loads(
        (ROOT / "tests" / "fixtures" / "results_panel.json").read_text(encoding="utf-8")
    )
    titled = {**results, "run": {**results["run"], "title": "Baromètre 2025, intercommunalités"}}
    write_run(tmp_path, "default", "fr", titled)
    other = {**results, "verdict": "decisive", "n": 35000, "sesoi_points": 25.0}
    write_run(tmp_path, "census", "fr", other)
    text = html.unescape(index_pages.site_index_html(tmp_path))
    m = messages("fr")
    assert "Baromètre 2025, intercommunalités" in text
    why = why_answers_differ([other, titled], m)  # the runs in folder order
    assert why and plain(why) in plain(text)
    assert "35\u202f000" in plain(why) and "25,0 ; 9,5 points" in plain(why)
    assert why_answers_differ([titled, titled], m) is None


def test_the_run_index_leaves_the_detail_tables_to_the_code_version(tmp_path):
    """A table shown in a cell tagged ``detail`` (variance shares, test statistics) is not
    offered on the run index, whose words are the reader pages'; it stays in the folder."""
    nb = nbformat.v4.new_notebook()
    link = '<p class="table-downloads"><a href="tables/{0}.csv">CSV</a></p>'
    nb.cells = [
        new_code_cell(
            "detail()",
            metadata={"tags": ["detail"]},
            outputs=[new_output("display_data", data={"text/html": link.format("shares")})],
        ),
        new_code_cell(
            "table()", outputs=[new_output("display_data", data={"text/html": link.format("size")})]
        ),
    ]
    path = tmp_path / "03_x.ipynb"
    nbformat.write(nb, path)
    assert publish.detail_tables([path]) == {"shares"}
