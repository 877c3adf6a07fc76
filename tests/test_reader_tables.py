"""Tables for readers (analyse.report.reader_table, analyse.report.readable) and the group labels
in the report's language (analyse.report.groups, analyse.report.disclosure).

All of these failed before: ``reader_table`` and ``readable`` did not exist, and the group
labels were English whatever the report's language ("<20k", "<600 €", "fewer than 5").
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import time
from html.parser import HTMLParser

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.report import disclosure, groups, i18n, readable, tables
from analyse.report.reader_table import (
    MAX_COLUMNS,
    Column,
    Format,
    ReaderTable,
    check_name,
    show_table,
)
from analyse.stats.claim import analyse_claim

HOSTILE = "<img src=x onerror=alert(1)>"
NBSP = "\u00a0"
NNBSP = "\u202f"  # Babel's French thousands separator


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


@pytest.fixture(scope="module")
def scored():
    return score_survey(
        generate(design="barometre-2025", seed=5, with_truth=False).data, load_codebook()
    )


@pytest.fixture(scope="module")
def analysis(scored, codebook):
    return analyse_claim(scored, codebook, bootstrap=20, seed=3, simulations=100)


class _Cells(HTMLParser):
    """Every th/td/caption of an HTML fragment: (tag, attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, dict[str, str | None], str]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"th", "td", "caption"}:
            self._open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        if tag in {"th", "td", "caption"} and self._open:
            name, attrs, text = self._open.pop()
            self.cells.append((name, attrs, "".join(text)))

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)


def cells_of(fragment: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Cells()
    parser.feed(fragment)
    return parser.cells


def hostile_table() -> ReaderTable:
    """NaN, None, pd.NA, True, a tiny p-value and a user label that is live HTML if unescaped."""
    frame = pd.DataFrame(
        {
            "n": [1225, np.nan, 7],
            "effect": [-0.2877, 0.24, None],
            "low": [-0.29, np.nan, 0.1234567890123],
            "high": [0.24, np.nan, 0.5],
            "share": [12.6, pd.NA, 0.0],
            "p": [1e-12, 0.03449, np.nan],
            "ok": [True, False, None],
            "label": [HOSTILE, "$x^$ \\(y\\)", None],
            "money": [1200.0, np.nan, 15.5],
        },
        index=pd.Index(["a", "b", "c"], name="key"),
        dtype=object,
    )
    return ReaderTable(
        frame=frame,
        caption="Caption with 1 225 rows",
        columns=[
            Column("n", "Count", "count"),
            Column("effect", "Effect", "effect", 2),
            Column("low", "Interval", "interval", 2, "high", True),
            Column("share", "Share", "percent", 1),
            Column("p", "p", "p"),
            Column("ok", "Converged", "yesno"),
            Column("label", "Label", "text"),
            Column("money", "Budget", "euros", 0),
        ],
        row_header="Group",
        row_labels=[HOSTILE, "b", "c"],
    )


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_hostile_values_render_formatted_and_escaped(lang):
    i18n.use(lang)
    page = hostile_table().to_html()
    cells = cells_of(page)
    texts = [text for _, _, text in cells]
    for bad in (r"\bnan\b", r"\bNaN\b", r"\bNone\b", r"\bTrue\b", r"\bFalse\b", "<NA>"):
        assert not any(re.search(bad, t) for t in texts), (bad, texts)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    # MathJax cannot pair the user's "$" (each is alone in a span)
    assert "$x^$" not in page
    captions = [t for tag, _, t in cells if tag == "caption"]
    assert captions == ["Caption with 1 225 rows"]
    headers = [(attrs, t) for tag, attrs, t in cells if tag == "th"]
    assert all(t.strip() for _, t in headers), "an empty header cell"
    assert all(attrs.get("scope") in {"col", "row"} for attrs, _ in headers)
    assert [t for attrs, t in headers if attrs["scope"] == "col"][0] == "Group"
    assert [t for attrs, t in headers if attrs["scope"] == "row"][0] == HOSTILE
    row_a = [t for tag, _, t in cells if tag == "td"][:8]
    if lang == "fr":
        assert row_a == [
            f"1{NNBSP}225",
            "\u22120,29",
            f"[\u22120,29{NBSP}; +0,24]",
            f"12,6{NBSP}%",
            "< 0,001",
            "Oui",
            HOSTILE,
            f"1{NNBSP}200{NBSP}€",
        ]
    else:
        assert row_a == [
            "1,225",
            "\u22120.29",
            "[\u22120.29, +0.24]",
            "12.6%",
            "< 0.001",
            "Yes",
            HOSTILE,
            "€1,200",
        ]
    missing = [t for tag, _, t in cells if tag == "td"][8:16]
    assert missing[0] == missing[2] == missing[3] == "—"  # count, interval, share
    assert missing[5] == ("Non" if lang == "fr" else "No")


def test_numbers_are_right_aligned_and_text_left_aligned():
    cells = cells_of(hostile_table().to_html())
    tds = [attrs for tag, attrs, _ in cells if tag == "td"][:8]
    aligned = ["right" in (a.get("style") or "") for a in tds]
    assert aligned == [True, True, True, True, True, False, False, True]
    # a number is never broken between its digits and its unit ("12,6 %" has a plain space)
    assert all(
        "nowrap" in (a.get("style") or "") for a, right in zip(tds, aligned, strict=True) if right
    )


def test_a_wide_table_scrolls_in_a_focusable_labelled_region():
    page = hostile_table().to_html()
    assert page.startswith('<div class="table-scroll" role="region" aria-label="Caption with')
    assert 'tabindex="0"' in page and "overflow-x: auto" in page


def test_text_and_markdown_fallbacks_are_formatted_and_escaped():
    i18n.use("en")
    table = hostile_table()
    text = repr(table)
    assert "nan" not in text and "None" not in text and "1,225" in text
    markdown = table._repr_markdown_()
    assert not re.search(r"(?<!\\)<img", markdown) and "\\<img" in markdown
    assert "| Group |" in markdown


def test_row_formats_override_kinds_per_row():
    i18n.use("fr")
    frame = pd.DataFrame({"value": [0.5412, 0.00001, 53, "a.csv"]}, dtype=object)
    table = ReaderTable(
        frame=frame,
        caption="c",
        columns=[Column("value", "Valeur")],
        row_header="Indicateur",
        row_labels=["R²", "p", "n", "fichier"],
        row_formats=[Format("number", 3), Format("p"), Format("count"), Format("text")],
    )
    assert [t for tag, _, t in cells_of(table.to_html()) if tag == "td"] == [
        "0,541",
        "< 0,001",
        "53",
        "a.csv",
    ]


def test_an_empty_table_says_so_in_one_line_and_writes_no_download(tmp_path):
    """Failed before: an empty table was drawn (one cell « Aucune ligne. ») and written as an
    empty CSV that the run's index offered for download."""
    i18n.use("fr")
    table = ReaderTable(
        frame=pd.DataFrame({"x": []}), caption="c", columns=[Column("x", "X")], row_header="R"
    )
    assert table.holds_nothing
    assert "<table" not in table.to_html()
    assert "rien à montrer avec ces données" in table.to_html()
    assert table.save(tmp_path, "empty") == [] and not (tmp_path / "tables").exists()


def test_a_table_that_cannot_be_formed_says_why_and_writes_no_download(tmp_path):
    """A grouping the data cannot form (no budget column): its one line of reason is said in
    a sentence, no table is drawn and no file written, so the index lists no empty download."""
    i18n.use("fr")
    scored = pd.DataFrame({"population": [1000.0, 2000.0], "maturity_index": [10.0, 20.0]})
    table = readable.describe_by(scored, "budget_band", 1)
    assert table.holds_nothing
    text = table.to_html()
    assert "<table" not in text and "pas de colonne budget_per_capita dans ces données" in text
    assert table.save(tmp_path, "budget") == []
    full = readable.describe_by(scored, "population", 1)
    assert not full.holds_nothing and len(full.save(tmp_path, "population")) == 2


# --------------------------------------------------------------------------- downloads


def test_csv_and_xlsx_hold_labelled_headers_and_raw_numbers(tmp_path):
    i18n.use("fr")
    table = hostile_table()
    written = table.save(tmp_path, "hostile")
    csv_path, xlsx_path = tmp_path / "tables" / "hostile.csv", tmp_path / "tables" / "hostile.xlsx"
    assert written == [csv_path, xlsx_path]
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents
    # French spreadsheet convention: ";" between fields, decimal comma (failed before: a French
    # Excel opened the comma-separated file as one column)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    rows = [[cell.replace(",", ".") if cell[:1].isdigit() or cell[:1] == "-" else cell
             for cell in row] for row in rows]  # fmt: skip
    assert rows[0] == [
        "Group",
        "Count",
        "Effect",
        "Interval, borne basse",
        "Interval, borne haute",
        "Share (%)",
        "p",
        "Converged",
        "Label",
        "Budget",
    ]
    assert rows[1][0] == HOSTILE
    assert float(rows[1][1]) == 1225 and float(rows[1][2]) == -0.2877
    assert float(rows[3][3]) == 0.1234567890123  # full precision, decimal point
    assert float(rows[1][6]) == 1e-12
    assert rows[1][7] == "Oui" and rows[2][7] == "Non"
    assert rows[2][1] == "" and rows[3][2] == ""  # missing: empty
    book = openpyxl.load_workbook(xlsx_path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header == rows[0]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.cell(2, 2).value == 1225 and sheet.cell(2, 2).number_format == "#,##0"
    assert sheet.cell(4, 4).value == pytest.approx(0.1234567890123, abs=0)
    assert sheet.cell(2, 3).number_format == "0.00"
    assert sheet.cell(2, 7).value == 1e-12
    assert sheet.cell(3, 2).value is None
    assert sheet.column_dimensions["A"].width >= len(HOSTILE)
    page = table.to_html()
    assert 'href="tables/hostile.csv"' in page and 'href="tables/hostile.xlsx"' in page
    assert "Télécharger" in page


def test_the_same_table_gives_the_same_files(tmp_path):
    first = [p.read_bytes() for p in hostile_table().save(tmp_path / "a", "t")]
    time.sleep(1.1)  # openpyxl stamps workbooks to the second
    second = [p.read_bytes() for p in hostile_table().save(tmp_path / "b", "t")]
    assert first == second
    assert (
        openpyxl.load_workbook(tmp_path / "b" / "tables" / "t.xlsx").active.cell(2, 2).value == 1225
    )


def test_no_output_dir_writes_nothing_and_links_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = hostile_table()
    assert table.save("", "hostile") == []
    show_table(table, "hostile", "")
    assert not list(tmp_path.iterdir())
    assert "href" not in table.to_html()


def test_show_table_writes_under_the_tables_folder_with_the_default_name(tmp_path, capsys):
    table = readable.frame_matching(None)
    show_table(table, output_dir=tmp_path)
    assert (tmp_path / "tables" / "frame_matching.csv").exists()
    assert (tmp_path / "tables" / "frame_matching.xlsx").exists()


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "a b", "é", "x" * 81, "-x"])
def test_unsafe_download_names_are_refused(name, tmp_path):
    with pytest.raises(ValueError, match="safe file name"):
        check_name(name)
    with pytest.raises(ValueError, match="safe file name"):
        hostile_table().save(tmp_path, name)
    assert not (tmp_path / "tables").exists()


# --------------------------------------------------------------------------- group labels


def test_group_labels_in_french():
    fr = i18n.messages("fr")
    assert groups.size_band_labels(fr) == [
        f"< 20{NNBSP}000 hab.",
        f"20{NNBSP}000 à 50{NNBSP}000 hab.",
        f"50{NNBSP}000 à 100{NNBSP}000 hab.",
        f"100{NNBSP}000 à 250{NNBSP}000 hab.",
        f"250{NNBSP}000 hab. et plus",
    ]
    assert groups.budget_band_labels(fr) == [
        f"< 600{NBSP}€",
        f"600 à 900{NBSP}€",
        f"900 à 1{NNBSP}200{NBSP}€",
        f"1{NNBSP}200{NBSP}€ et plus",
    ]
    assert groups.type_label("CA", fr) == "Communauté d'agglomération (CA)"
    assert groups.sponsorship_labels(fr)[0] == "Ni élu ni stratégie"
    assert disclosure.too_few(5, fr) == "moins de 5"
    assert disclosure.protecting(fr) == "masqué pour protéger un groupe plus petit"


def test_with_groups_follows_the_current_language(scored):
    i18n.use("fr")
    french = groups.with_groups(scored)
    assert french["type_label"].cat.categories[0] == "Communauté de communes (CC)"
    assert french["budget_band"].cat.categories[0] == f"< 600{NBSP}€"
    i18n.use("en")
    english = groups.with_groups(scored)
    assert english["budget_band"].cat.categories[0] == "< €600"
    assert english["size_band"].cat.categories[0] == "< 20,000 inh."
    # the same respondents in the same groups, whatever the language
    codes = french["size_band"].cat.codes.to_numpy()
    assert (codes == english["size_band"].cat.codes.to_numpy()).all()


def test_describe_by_says_what_it_hides_in_the_report_language():
    i18n.use("fr")
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "group": ["small"] * 3 + ["mid"] * 9 + ["big"] * 12 + [None] * 6,
            "maturity_index": rng.uniform(0, 100, 30),
        }
    )
    table = readable.describe_by(data, "group", min_cell=5)
    assert table.frame.loc["small", "n"] == "moins de 5"
    # the next smallest group is hidden with it, and said to be hidden for that reason
    assert table.frame.loc["Non renseigné", "n"] == "masqué pour protéger un groupe plus petit"
    assert table.frame.loc["mid", "n"] == 9
    shown = [t for tag, _, t in cells_of(table.to_html()) if tag == "td"]
    assert "moins de 5" in shown and "nan" not in " ".join(shown)
    big = data.loc[data["group"] == "big", "maturity_index"]
    assert table.frame.loc["big", "mean"] == pytest.approx(big.mean(), rel=1e-12)  # not rounded


# --------------------------------------------------------------------------- every report table


def every_table(scored, codebook, analysis) -> list[ReaderTable]:
    from analyse.params import load_params
    from analyse.paths import project_root

    params = load_params(project_root() / "params" / "ci.yaml")
    with_groups = groups.with_groups(scored)
    curve = pd.DataFrame(
        {
            "controls": ["none", "collectivity_type"],
            "size": ["ln_population", "population_band"],
            "sample": ["all", "trim_2pct"],
            "weights": ["none", "raked"],
            "n": [55, 54],
            "std_coef": [-0.02, 0.11],
            "ci90_low": [-0.15, -0.12],
            "ci90_high": [0.11, 0.34],
            "verdict": ["negligible", "inconclusive"],
        }
    )
    curve.attrs["inference"] = {
        "median_std_coef": -0.1,
        "median_p": 0.2,
        "share_significant": 0.5,
        "share_significant_p": 0.0001,
        "mean_z": 1.2,
        "mean_z_p": 0.3,
        "draws": 500,
    }
    curve.attrs["skipped"] = {"controls=none, weights=raked": HOSTILE}
    return [
        readable.input_summary(params, scored),
        readable.missing_by_theme(scored, codebook),
        readable.exclusions_table(analysis),
        readable.frame_matching(None),
        readable.reliability_table(scored, codebook),
        readable.published_comparison(scored, codebook),
        *(
            readable.describe_by(with_groups, by, 5)
            for by in ("size_band", "type_label", "budget_band", "sponsorship")
        ),
        readable.model_specification(analysis),
        readable.size_effects(analysis),
        readable.nested_summary(analysis),
        readable.equivalence_summary(analysis),
        readable.importance_table(analysis),
        readable.theme_table(analysis, codebook),
        readable.sensitivity_summary(analysis),
        readable.specification_summary(curve),
        readable.curve_inference_table(curve),
        readable.skipped_specifications(curve),
        readable.specifications(curve, 0.05),
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_report_table_reads_as_a_reader_table(lang, scored, codebook, analysis):
    i18n.use(lang)
    found = every_table(scored, codebook, analysis)
    names = [t.name for t in found]
    assert len(set(names)) == len(names) and all(check_name(n) for n in names)
    for table in found:
        cells = cells_of(table.to_html())
        assert table.caption and [t for tag, _, t in cells if tag == "caption"]
        headers = [(a, t) for tag, a, t in cells if tag == "th"]
        assert all(t.strip() and a.get("scope") in {"col", "row"} for a, t in headers), (
            table.caption
        )
        text = " ".join(t for _, _, t in cells)
        for bad in (r"\bnan\b", r"\bNaN\b", r"\bNone\b", r"\bTrue\b", r"\bFalse\b", "_pct"):
            assert not re.search(bad, text), (table.caption, bad)
        assert "<img" not in table.to_html()


def test_reader_frames_keep_the_raw_numbers(analysis, codebook):
    raw = tables.size_effects(analysis)
    reader = readable.size_effects(analysis).frame
    pd.testing.assert_frame_equal(reader.drop(columns="verdict"), raw.drop(columns="verdict"))
    reader = readable.theme_table(analysis, codebook).frame
    raw = tables.theme_table(analysis, codebook)
    assert list(reader.columns) == [c for c in raw.columns if c != "label"]
    assert np.allclose(reader["odds_ratio"].round(4), raw["odds_ratio"])
    importance = readable.importance_table(analysis).frame
    expected = analysis.importance.table()["lmg"] * 100
    assert np.allclose(importance["share_pct"], expected, rtol=0, atol=0)


def test_french_report_tables_speak_french(scored, codebook, analysis):
    i18n.use("fr")
    effects = readable.size_effects(analysis).to_html()
    assert "Intervalle de confiance à 90" in effects and "Toutes voies confondues" in effects
    assert "; " in effects or f"{NBSP}; " in effects
    sensitivity = readable.sensitivity_summary(analysis).to_html()
    assert "puissance de 80" in sensitivity
    spec = readable.specification_summary(
        pd.DataFrame(
            {
                "controls": ["none"],
                "size": ["ln_population"],
                "sample": ["all"],
                "weights": ["none"],
                "verdict": ["negligible"],
            }
        )
    )
    assert "Effet négligeable" in spec.to_html() and "Toutes les spécifications" in spec.to_html()


# --------------------------------------------------------------------------- accessibility


@pytest.mark.slow  # over 2 s
def test_axe_finds_no_serious_violation_on_a_page_of_tables(tmp_path, scored, codebook, analysis):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed (the .ci image installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    i18n.use("fr")
    found = every_table(scored, codebook, analysis)
    for table in found[:3]:
        table.save(tmp_path, table.name)
    found.append(hostile_table())
    body = "\n".join(
        f"<section><h2>Tableau {i}</h2>{t.to_html()}</section>" for i, t in enumerate(found)
    )
    page_html = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Tableaux</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main><h1>Tableaux</h1>{body}</main></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page_html, encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}
            )  # a phone: tables scroll
            page.goto(path.as_uri())
            results = axe_module.Axe().run(page)
        finally:
            browser.close()
    bad = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, results.generate_report()
    # and no header cell left empty (pandas' corner cell, "minor" for axe but read as nothing)
    assert "empty-table-header" not in {v["id"] for v in results.response["violations"]}


def test_the_whole_specification_curve_is_listed_with_words():
    """Every specification, not a preview of ten: its choices and verdict in words."""
    i18n.use("fr")
    rows = 64
    curve = pd.DataFrame(
        {
            "controls": ["none", "collectivity_type"] * (rows // 2),
            "size": ["ln_population"] * rows,
            "sample": ["all"] * rows,
            "weights": ["raked"] * rows,
            "n": [55] * rows,
            "std_coef": np.linspace(-0.3, 0.3, rows),
            "ci90_low": np.linspace(-0.5, 0.1, rows),
            "ci90_high": np.linspace(-0.1, 0.5, rows),
            "verdict": ["negligible", "decisive"] * (rows // 2),
        }
    )
    table = readable.specifications(curve, alpha=0.05)
    html = table.to_html()
    assert html.count("<tr") == rows + 1
    assert "Effet négligeable".lower() in html.lower() and "type de collectivité" in html
    assert "Intervalle à 90" in html or f"90{NBSP}%" in html
    assert "[\u22120,50 ; \u22120,10]" in html.replace("\u202f", " ").replace("\xa0", " ")


# --------------------------------------------------------------------------- tables for reading


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_report_table_shows_more_than_six_columns(lang, scored, codebook, analysis):
    """Chapter 4's theme table showed 12 columns, the curve's 9 and the verdicts by choice 7: the
    decisive ones were behind a scrollbar, and cut off in the PDF."""
    i18n.use(lang)
    for table in every_table(scored, codebook, analysis):
        shown = [tag for tag, attrs, _ in cells_of(table.to_html()) if attrs.get("scope") == "col"]
        assert table.width == len(shown) <= MAX_COLUMNS, (table.caption, len(shown))


def test_a_table_cut_for_the_page_keeps_every_column_in_its_downloads_and_says_so(
    tmp_path, scored, codebook, analysis
):
    i18n.use("fr")
    m = i18n.messages("fr")
    themes = readable.theme_table(analysis, codebook)
    raw = tables.theme_table(analysis, codebook)
    assert themes.width <= MAX_COLUMNS < len(raw.columns)  # the raw table is wider (+ label)
    assert "tables/" not in themes.to_html() and len(themes.notes()) == 0  # no download yet
    themes.save(tmp_path, themes.name)
    text = (tmp_path / "tables" / "themes.csv").read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    # the row labels (in place of the English label), then every other raw column
    assert len(header) == len(raw.columns)
    assert m("tables.theme_table.po_size_p_holm") in header
    assert m("tables.theme_table.converged") in header
    assert m("tables.theme_table.po_size_p_holm") not in themes.to_html()
    assert plain(m("tables.full_in_download", count=str(len(header)))) in plain(themes.to_html())
    book = openpyxl.load_workbook(tmp_path / "tables" / "themes.xlsx")
    assert [c.value for c in book.active[1]] == header
    sidecar = json.loads((tmp_path / "tables" / "themes.json").read_text(encoding="utf-8"))
    assert sidecar["caption"] == themes.caption and sidecar["columns"] == len(header)
    # the curve: the four choices in one cell on the page, one column each in the downloads
    curve = every_table(scored, codebook, analysis)[-1]
    assert curve.name == "specifications"
    labels = [c.label for c in curve.download_columns or []]
    assert [m(f"tables.choices.{c}") for c in ("controls", "size", "sample", "weights")] == labels[
        :4
    ]
    assert [c.key for c in curve.columns][0] == "specification"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_download_links_are_named_by_their_format_in_words(lang, tmp_path):
    """Reader pages said "Télécharger : CSV · XLSX"; the links now say what they give."""
    i18n.use(lang)
    m = i18n.messages(lang)
    table = hostile_table()
    table.save(tmp_path, "hostile")
    links = re.findall(r"<a ([^>]*)>([^<]*)</a>", table.to_html())
    assert [text for _, text in links] == [m("tables.format.csv"), m("tables.format.xlsx")]
    assert [t for t in (m("tables.format.csv"), m("tables.format.xlsx"))] == ["CSV", "Excel"]
    for attrs, text in links:
        label = html.unescape(re.search(r'aria-label="([^"]*)"', attrs).group(1))
        assert label.endswith(f"({text})") and "Caption with 1" in label  # which table
    assert f"{m('tables.download')} (" in html.unescape(table.to_html())
    assert "tables/hostile" not in re.sub(r'href="[^"]*"', "", table.to_html())


def plain(text: str) -> str:
    return html.unescape(text).replace(NBSP, " ").replace(NNBSP, " ")
