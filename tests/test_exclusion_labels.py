"""No respondent's cell text in a published report (attack on issue 22, finding 1).

A type label mapped to null (``data.type_labels``), or unknown under ``data.bad_rows:
exclude``, is what the survey's cell said: « Autre : Syndicat mixte … de la vallée » names one
body. The reasons for leaving rows out are published (``tables/exclusions.*``, the data
quality pages, the notebook, ``results.json``), and before this each label was listed there
verbatim with its count, 1. Now a label is named only when at least ``analysis.min_cell`` rows
hold it; the others are counted together under one reason that names none
(``analyse.reasons.cell_texts_pooled``), and only the terminal lists them for the analyst.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from run_command import analyse_run

from analyse.data.codebook import load_codebook
from analyse.data.loading import load_survey
from analyse.data.scoring import EXCLUSION_COLUMN, score_survey
from analyse.paths import project_root
from analyse.pipeline.preflight import pooled_label_warnings
from analyse.reasons import Reason, cell_texts_pooled
from analyse.report import i18n, readable, tables
from analyse.stats.claim import analyse_claim, to_results

SECRET = "SECRET"


def _left_out(value: str) -> str:
    return Reason("type_left_out", {"value": value}).english()


def _unknown(value: str) -> str:
    return Reason("type_unknown", {"value": value}).english()


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


def test_a_type_label_is_named_only_when_min_cell_rows_hold_it():
    no_answer = Reason("no_answer", {"themes": ["data_ai"]}).english()
    counts = {
        _left_out("Autre"): 5,  # min_cell rows: named
        _left_out(f"{SECRET} syndicat de la vallée"): 1,
        no_answer: 3,  # names no cell: kept, however small
        _left_out("Autre organisme"): 4,  # one short of min_cell
        _unknown(f"{SECRET} régie des eaux"): 2,
        _unknown("Syndicat"): 6,
    }
    out = cell_texts_pooled(counts, min_cell=5)
    left_out = Reason("type_left_out_other", {"min_cell": 5}).english()
    unknown = Reason("type_unknown_other", {"min_cell": 5}).english()
    assert out == {
        _left_out("Autre"): 5,
        left_out: 5,  # 1 + 4, where the first of them was
        no_answer: 3,
        unknown: 2,  # pooled even alone: it names nothing
        _unknown("Syndicat"): 6,
    }
    assert list(out) == [_left_out("Autre"), left_out, no_answer, unknown, _unknown("Syndicat")]
    assert sum(out.values()) == sum(counts.values())
    assert not [text for text in out if SECRET in text or "Autre organisme" in text]
    # min_cell 1 names every label, as before
    assert cell_texts_pooled(counts, min_cell=1) == counts


@pytest.fixture(scope="module")
def scored_with_free_text_types() -> pd.DataFrame:
    """The committed synthetic survey, its first 12 rows left out for their type: 7 by unique
    labels (free text), 5 by « Autre » (named: min_cell rows)."""
    path = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"
    survey = load_survey(path, load_codebook())
    reasons = [_left_out(f"Autre : Syndicat mixte {SECRET}{k} de la vallée") for k in range(5)]
    reasons += [_unknown(f"{SECRET}-régie {k}") for k in range(2)] + [_left_out("Autre")] * 5
    survey[EXCLUSION_COLUMN] = pd.Series([*reasons, *[""] * (len(survey) - 12)], dtype="string")
    return score_survey(survey, load_codebook())


def test_published_exclusions_name_no_rare_type_label(
    scored_with_free_text_types, codebook, tmp_path
):
    scored = scored_with_free_text_types
    analysis = analyse_claim(scored, codebook, bootstrap=0, simulations=50, seed=1, min_cell=5)
    document = json.dumps(to_results(analysis), ensure_ascii=False)
    assert SECRET not in document
    exclusions = to_results(analysis)["exclusions"]
    assert exclusions[Reason("type_left_out_other", {"min_cell": 5}).english()] == 5
    assert exclusions[Reason("type_unknown_other", {"min_cell": 5}).english()] == 2
    assert exclusions[_left_out("Autre")] == 5
    assert sum(exclusions.values()) == analysis.n_excluded
    assert SECRET not in tables.exclusions_table(analysis).to_csv()
    nbsp = "\u00a0"
    for lang, pooled, named in (
        ("fr", "type écarté par la correspondance des types (autres libellés", f"«{nbsp}Autre"),
        ("en", "type left out by the type mapping (other labels", "“Autre”"),
    ):
        i18n.use(lang)
        table = readable.exclusions_table(analysis)
        html = table.to_html()
        csv_path, xlsx_path = table.save(tmp_path / lang, "exclusions")
        with zipfile.ZipFile(xlsx_path) as book:
            xlsx = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
        for text in (html, csv_path.read_text("utf-8-sig"), xlsx):
            assert SECRET not in text
            assert pooled in text and named in text


def test_the_terminal_lists_the_labels_the_report_pools(scored_with_free_text_types):
    (warning,) = pooled_label_warnings(scored_with_free_text_types, min_cell=5)
    assert warning.startswith("7 rows are left out for a type label")
    for k in range(5):
        assert f"'Autre : Syndicat mixte {SECRET}{k} de la vallée' (1)" in warning
    assert f"'{SECRET}-régie 1' (1)" in warning and "'Autre'" not in warning
    assert pooled_label_warnings(scored_with_free_text_types, min_cell=1) == []
    # `analyse run` counts them only: its output may be a public CI job's log
    (counted,) = pooled_label_warnings(scored_with_free_text_types, 5, unnamed_in_run="x")
    assert counted.startswith("run x: 7 rows are left out for 7 type label(s)")
    assert SECRET not in counted and "analyse validate --params" in counted


# ------------------------------------------------------------------- a published report


def _published_text(folder: Path) -> dict[str, str]:
    """Every published file's text; an .xlsx (a zip) by its XML parts."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                text = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        out[str(path.relative_to(folder))] = text
    return out


@pytest.mark.slow
def test_a_report_publishes_no_free_text_of_the_export(tmp_path):
    """The worked example's export, its 8 « Autre » rows made unique free texts (5 mapped to
    null, 3 unknown with ``data.bad_rows: exclude``), a free-text answer mapped to a non-answer,
    a population written as text and a SIRET that is not one: published in French, no file
    holds any of them, and the exclusions table counts the pooled rows."""
    source = project_root() / "data" / "example-export"
    folder = tmp_path / "export"
    shutil.copytree(source, folder)
    export = pd.read_csv(
        folder / "export.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    types_yaml = yaml.safe_load((folder / "types.yaml").read_text(encoding="utf-8"))
    columns = yaml.safe_load((folder / "columns.yaml").read_text(encoding="utf-8"))
    answers = yaml.safe_load((folder / "answers.yaml").read_text(encoding="utf-8"))
    kind = columns["collectivity_type"]
    others = export.index[export[kind] == "Autre"]
    secrets = [f"Autre : Syndicat mixte {SECRET}TYPE{k} de la vallée" for k in range(len(others))]
    export.loc[others, kind] = secrets
    del types_yaml["Autre"]
    types_yaml.update({label: None for label in secrets[:5]})  # left out by the mapping
    # the other three are in no mapping: unknown, left out by data.bad_rows: exclude
    answer = f"{SECRET}ANSWER contacter Mme Dupont au 06 12 34 56 78"
    item = columns[load_codebook().item_columns[0]]
    epci = export.index[export[kind] != "Autre"]
    export.loc[epci[0], item] = answer
    answers[answer] = None
    export.loc[epci[1], columns["population"]] = f"{SECRET}POP 12 000 hab. (source : M. X)"
    export.loc[epci[2], columns["siren"]] = f"{SECRET}SIRET 200 000 172"  # ignored, warned
    export.to_csv(folder / "export.csv", sep=";", index=False, encoding="utf-8-sig")
    for name, data in (("types.yaml", types_yaml), ("answers.yaml", answers)):
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "name": "free-text",
                "data": {
                    "survey": str(folder / "export.csv"),
                    "codebook": "data/codebook.yaml",
                    "columns": str(folder / "columns.yaml"),
                    "answer_labels": str(folder / "answers.yaml"),
                    "type_labels": str(folder / "types.yaml"),
                    "enrich_from_frame": True,
                    "bad_rows": "exclude",
                },
                "analysis": {"controls": [], "bootstrap": 20, "weights": "none", "min_cell": 5},
                "seed": 2025,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    done = analyse_run(params, out)
    assert done.returncode == 0, done.stderr[-3000:]
    # the analyst is told that there are labels the report does not name, and where to read
    # them (validate --params), never which in the run's output: a CI job's log may be public
    assert "rows are left out for" in done.stdout + done.stderr
    assert f"{SECRET}TYPE" not in done.stdout + done.stderr  # a population cell may be quoted
    published = _published_text(out)
    assert any(name.endswith("exclusions.csv") for name in published)
    assert not [name for name, text in published.items() if SECRET in text]
    report = out / "free-text"
    exclusions = json.loads((report / "results.json").read_text(encoding="utf-8"))["exclusions"]
    assert exclusions[Reason("type_left_out_other", {"min_cell": 5}).english()] == 5
    assert exclusions[Reason("type_unknown_other", {"min_cell": 5}).english()] == 3
    assert exclusions[Reason("population_not_number").english()] == 1
    page = (report / "01_data_quality.reader.html").read_text(encoding="utf-8")
    assert "type écarté par la correspondance des types (autres libellés" in page
    assert "n'est nommé que si au moins 5 lignes le portent" in page
