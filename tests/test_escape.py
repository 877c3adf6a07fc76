"""User-controlled strings reach Markdown, HTML and matplotlib as text, never as markup or math.

Payloads go into each field a user controls (survey path, codebook theme labels and item texts,
level labels, type labels, column headers) and every output shows them as the characters
written: no live HTML, no math typeset by MathJax, no mathtext parsed by matplotlib. Markdown is
rendered by nbconvert's own renderer (what the published pages use) and by markdown-it, a
CommonMark reference implementation (close to Jupyter's). The last test runs the CI params
through ``analyse run`` with such inputs and opens the published pages in headless Chromium.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml
from markdown_it import MarkdownIt
from nbconvert.filters.markdown import markdown2html

from analyse.params import load_params
from analyse.paths import project_root
from analyse.report import i18n, notebook, plots
from analyse.report.escape import (
    from_mpl_text,
    html_text,
    markdown_code,
    markdown_text,
    mpl_text,
    one_line,
)
from analyse.report.narrative import Narrator
from analyse.stats.regression import OUTCOME

ROOT = project_root()
# Runs script in a browser if it is live markup: the title of the page changes.
IMG = "<img src=x onerror=\"document.title='PWNED'\">"
SCRIPT = "<script>document.title='PWNED'</script>"
# Markup, Markdown, MathJax and mathtext all at once (malformed TeX: matplotlib raises on it).
PAYLOAD = f"a`b ``c {IMG}{SCRIPT} $x^$ \\(y\\) \\begin{{eq}}z\\end{{eq}} *em* _u_ [l](x) &amp; ~s~"
PAYLOADS = [
    PAYLOAD,
    f"sv`{IMG}.csv",  # the survey path of the issue
    "`",
    "``x``",
    " leading and trailing ",
    "line one\n# a heading\n    code block\n<div>block</div>",
    "$$",
    "\\",
    "<!-- comment -->",
    "# heading",
    "- item",
    "12. item",
    "3) item",
    "    indented code",
    "\tindented",
    "=== --- ***",
    "snake_case_name _emphasis_ __strong__ a_ _b",
    "![image](x.png) <http://x> www.example.com https://example.com",
    "| a | b |",
    "&lt; &#60; &amp;",
]
RENDERERS = {
    "nbconvert": markdown2html,
    "commonmark": MarkdownIt("commonmark").render,
}
# What a rendered label may contain: paragraphs, the blockquote and bold of the notices, code
# spans, and the bare <span> that keeps each $ and \ away from MathJax. Nothing has attributes.
ALLOWED_TAGS = {"p", "blockquote", "strong", "code", "span"}


class Rendered(HTMLParser):
    """The elements and text nodes of an HTML fragment (text nodes with their enclosing tags)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list]] = []
        self.texts: list[tuple[str, tuple[str, ...]]] = []
        self._open: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data):
        self.texts.append((data, tuple(self._open)))

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.texts)


def assert_shown_as_text(markup: str, expected: str) -> None:
    """No element but harmless formatting, no attribute, the text exactly ``expected``, and no
    run of text MathJax could typeset ($ or \\ outside a code span sit alone in their span)."""
    rendered = Rendered(markup)
    assert {tag for tag, _ in rendered.elements} <= ALLOWED_TAGS, markup
    assert all(not attrs for _, attrs in rendered.elements), markup
    assert rendered.text.strip() == expected.strip(), markup
    for text, tags in rendered.texts:
        if "code" in tags:
            continue  # MathJax and Jupyter skip code
        if "$" in text or "\\" in text:
            assert tags[-1:] == ("span",) and text in ("$", "\\"), (text, markup)


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_text_renders_as_the_characters_written(payload, renderer):
    markup = RENDERERS[renderer](f"> **Label:** {markdown_text(payload)}.")
    assert_shown_as_text(markup, f"Label: {one_line(payload)}.")


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_code_holds_any_backticks(payload, renderer):
    markup = RENDERERS[renderer](f"> **Survey:** {markdown_code(payload)}.")
    assert_shown_as_text(markup, f"Survey: {one_line(payload)}.")
    codes = Rendered(markup)
    assert [tag for tag, _ in codes.elements].count("code") == 1
    assert [t for t, tags in codes.texts if "code" in tags] == [one_line(payload)]


def _with_survey(path: str):
    params = load_params(ROOT / "params" / "ci.yaml")
    return params.model_copy(update={"data": params.data.model_copy(update={"survey": path})})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_data_reminder_shows_a_survey_path_with_backtick_and_markup_as_text(lang):
    """The hole of issue 11: the path in a one-backtick code span; a backtick in it ended the
    span and the <img onerror> after it was live HTML. The narrative's reminder of real data
    names the survey file."""
    path = f"data/sv`{IMG}$x^$.csv"
    document = {"n": 12, "verdict": "inconclusive", "run": {"synthetic": False}}
    say = Narrator(document, _with_survey(path), i18n.messages(lang))
    notice = say("narrative.reminder").data
    for render in RENDERERS.values():
        rendered = Rendered(render(notice))
        assert "img" not in {tag for tag, _ in rendered.elements}
        assert [t for t, tags in rendered.texts if "code" in tags] == [path]


def test_ordinary_prose_keeps_its_markdown_source():
    """Only markup is escaped: the notebooks' tests and readers of the .ipynb find the verdict
    sentence's words and numbers as written."""
    sentence = (
        "Verdict: significant_but_negligible. With 120 respondents (90 % CI 0.1 to 0.2): ±0.20."
    )
    assert markdown_text(sentence) == sentence


def test_verdict_and_curve_summary_are_shown_as_text(monkeypatch):
    monkeypatch.setattr(
        notebook, "verdict_sentence", lambda analysis, **_: f"Verdict: x. {PAYLOAD}"
    )
    monkeypatch.setattr(notebook, "curve_summary", lambda curve, alpha, **_: PAYLOAD)
    verdict = notebook.show_verdict(None).data
    summary = notebook.show_curve_summary(pd.DataFrame(), 0.05).data
    for render in RENDERERS.values():
        assert_shown_as_text(render(verdict), f"Verdict: x. {PAYLOAD}")
        assert_shown_as_text(render(summary), PAYLOAD)


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_text_is_text_content(payload):
    markup = f"<p>{html_text(payload)}</p>"
    rendered = Rendered(markup)
    assert {tag for tag, _ in rendered.elements} <= {"p", "span"}
    assert rendered.text == payload
    assert_shown_as_text(markup, payload)


def test_pandas_tables_escape_markup_and_are_skipped_by_mathjax():
    """Tables escape HTML themselves; ``setup`` makes pandas mark them for MathJax to skip, so a
    label ``$x^$`` is not typeset (before, the table had no such class)."""
    table = pd.DataFrame({"label": [PAYLOAD]}, index=pd.Index([IMG], name="theme"))
    with pd.option_context("display.html.use_mathjax", True), matplotlib.rc_context():
        notebook.apply_style()
        markup = table._repr_html_()
    assert "tex2jax_ignore" in markup
    assert "<img" not in markup and "<script" not in markup
    assert html.escape(IMG, quote=False) in markup


# --------------------------------------------------------------------------- matplotlib


def _drawn_texts(ax) -> list[tuple[str, bool]]:
    """Every text of a drawn figure as matplotlib shows it, and whether it parsed it as math;
    without whitespace, since labels are wrapped into lines (long words cut anywhere)."""
    ax.figure.canvas.draw()  # raises on malformed mathtext
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label]
    texts += ax.get_xticklabels() + ax.get_yticklabels()
    # Text._preprocess_math is what Text.draw uses to decide between plain text and mathtext
    shown = [t._preprocess_math(t.get_text()) for t in texts]
    return [("".join(text.split()), is_math) for text, is_math in shown]


def _bare(text: str) -> str:
    return "".join(text.split())


LABEL = f"Theme {IMG} $x^$ costs 5$ \\$ and $10$"


def test_a_dollar_in_a_codebook_label_is_drawn_literally():
    themes = pd.DataFrame(
        {
            "label": [LABEL, "Plain"],
            "odds_ratio": [1.2, 0.9],
            "low": [0.8, 0.6],
            "high": [1.8, 1.3],
            "p_holm": [0.4, 0.5],
        },
        index=["t1", "t2"],
    )
    comparison = pd.DataFrame(
        {"label": [LABEL, "Plain"], "published_2025": [40.0, 50.0], "this_survey": [45.0, 55.0]},
        index=["t1", "t2"],
    )
    for ax in (plots.theme_forest(themes), plots.published_vs_survey(comparison)):
        shown = _drawn_texts(ax)
        assert not any(is_math for _, is_math in shown)
        assert _bare(LABEL) in [text for text, _ in shown], shown
    plt.close("all")


def test_a_dollar_in_a_group_name_is_drawn_literally():
    scored = pd.DataFrame(
        {"type_label": [f"Type {IMG} $x^$"] * 6 + ["Other"] * 6, OUTCOME: range(12)},
        dtype=object,
    )
    scored[OUTCOME] = scored[OUTCOME].astype(float)
    ax = plots.maturity_by_type(scored, min_cell=5)
    shown = _drawn_texts(ax)
    assert not any(is_math for _, is_math in shown)
    assert _bare(f"Type {IMG} $x^$ n = 6") in [text for text, _ in shown], shown
    plt.close("all")


def test_figure_alt_reads_the_dollar_as_written():
    _, ax = plt.subplots()
    ax.set_title(mpl_text("$x^$ theme"))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    assert notebook.figure_alt(ax).startswith("$x^$ theme.")
    plt.close("all")


@pytest.mark.parametrize("payload", ["$x^$", "a\\$b$", "$$", "\\", "5$", "$a$ and $b$"])
def test_mpl_text_round_trips_through_matplotlib(payload):
    text = plt.figure().text(0, 0, mpl_text(payload))
    assert text._preprocess_math(text.get_text()) == (payload, False)
    assert from_mpl_text(mpl_text(payload)) == payload
    plt.close("all")


# --------------------------------------------------------------------------- end to end

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _inputs_with_payloads(folder: Path) -> Path:
    """The CI params with a payload in every field a user controls: the survey file's name, a
    column header (``data.columns``), a type as written (``data.type_labels``), a theme label,
    an item text and a level label of a codebook copy."""
    label = f"{IMG}{SCRIPT} $x^$ \\(y\\)"
    survey = pd.read_csv(
        ROOT / "data" / "synthetic" / "synthetic_barometre_2025.csv",
        dtype=str,
        keep_default_na=False,
    )
    written_type = f"Métro {IMG} $x^$"
    header = f"r1 {IMG} $x^$"
    survey["collectivity_type"] = survey["collectivity_type"].replace({"metropole": written_type})
    survey = survey.rename(columns={"resp_1": header})
    survey_path = folder / f"sv`{IMG}.csv"
    survey.to_csv(survey_path, index=False)
    codebook = yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    codebook["themes"][0]["label_en"] = label
    codebook["themes"][1]["items"][0]["text_en"] = label
    codebook["levels"][0]["label_en"] = label
    codebook_path = folder / "codebook.yaml"
    codebook_path.write_text(yaml.safe_dump(codebook, allow_unicode=True), encoding="utf-8")
    params = yaml.safe_load((ROOT / "params" / "ci.yaml").read_text(encoding="utf-8"))
    params["name"] = "payloads"
    params["data"].update(
        survey=str(survey_path),
        codebook=str(codebook_path),
        columns={"resp_1": header},
        type_labels={written_type: "metropole"},
    )
    path = folder / "payloads.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def _dom(page: Path, profile: Path) -> Rendered:
    """The page's DOM after it loaded (scripts run, images failed) in headless Chromium, with
    every host name unresolvable: the test reaches no network (MathJax's CDN included)."""
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Rendered(done.stdout)


def _shown(dom: Rendered) -> str:
    """The text a reader sees (not the contents of scripts and styles)."""
    return "".join(t for t, tags in dom.texts if not {"script", "style", "title"} & set(tags))


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_published_pages_built_from_payloads_run_no_script(tmp_path):
    """Before: the run failed drawing a theme label with ``$x^$`` (exit 1), and with figures
    fixed, every notebook page carried the survey path's ``<img onerror>`` live."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    params = _inputs_with_payloads(inputs)
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "analyse", "run", str(params), "--output-dir", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run = out / "payloads"
    pages = ["01_data_quality.reader.html", "01_data_quality.html", "04_themes.reader.html"]
    doms = {page: _dom(run / page, tmp_path / "chromium") for page in pages}
    doms["index.html"] = _dom(run / "index.html", tmp_path / "chromium")
    doms["site index"] = _dom(out / "index.html", tmp_path / "chromium")
    for page, dom in doms.items():
        title = "".join(t for t, tags in dom.texts if tags[-1:] == ("title",))
        assert "PWNED" not in title, page
        assert not [attrs for tag, attrs in dom.elements if dict(attrs).get("onerror")], page
    # the payloads are there, as text: the survey path in the notice, the theme label in a table
    # (pandas cuts a long cell to 50 characters)
    assert f"sv`{IMG}.csv" in _shown(doms["01_data_quality.reader.html"])
    assert IMG in _shown(doms["04_themes.reader.html"])
