"""The worked example: ``analyse simulate --format export`` writes a messy survey-tool export,
the committed ``data/example-export/`` is exactly that, its mapping files cover it, and
``params/example-export.yaml`` runs it end to end from configuration alone."""

from __future__ import annotations

import json
import re

import pytest
from run_command import run_main

from analyse.data.codebook import load_codebook
from analyse.data.provenance import is_synthetic
from analyse.data.readers import read_raw
from analyse.data.reference import load_frame
from analyse.data.simulate import EXPORT_COLUMNS, EXPORT_NON_ANSWERS
from analyse.paths import project_root
from analyse.yaml_files import read_yaml

ROOT = project_root()
FOLDER = ROOT / "data" / "example-export"
EXPORT = FOLDER / "export.csv"


@pytest.fixture(scope="module")
def export():
    return read_raw(EXPORT).frame


def _yaml(name: str) -> dict:
    raw = read_yaml(FOLDER / name)
    assert isinstance(raw, dict)
    return raw


def test_the_committed_export_is_what_the_command_writes(tmp_path, monkeypatch):
    out = tmp_path / "export.csv"
    args = ["simulate", "--design", "barometre-2025", "--seed", "2025", "--format", "export"]
    assert run_main(monkeypatch, *args, "--out", out) == 0
    assert out.read_bytes() == EXPORT.read_bytes()
    truth = json.loads((tmp_path / "export.truth.json").read_text())
    assert truth == json.loads((FOLDER / "export.truth.json").read_text())
    assert truth["synthetic"] is True and is_synthetic(EXPORT)
    assert run_main(monkeypatch, "simulate", "--format", "spss", "--out", out) == 2
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert (
        "analyse simulate --design barometre-2025 --seed 2025 --format export "
        "--out data/example-export/export.csv"
    ) in readme


def test_the_export_is_messy_as_described(export):
    h = EXPORT_COLUMNS
    assert "digital_staff_fte" not in h and len(export) == 64
    types = export[h["collectivity_type"]]
    assert types.value_counts().to_dict() == {
        "Un EPCI (hors métropole)": 39,
        "Une métropole": 17,
        "Autre": 8,
    }
    epci = export[types != "Autre"]
    missing = (epci[h["population"]] == "").mean()
    assert 0.3 <= missing <= 0.5  # about 40 %
    siret = epci[h["siren"]]
    assert siret.str.contains(" ").any() and (~siret.str.contains(" ")).any()
    assert siret.str.replace(" ", "").str.fullmatch(r"\d{14}").all()
    # the SIREN part and the name are the frame's: enrichment can join them back
    frame = load_frame("epci").set_index("siren")["name"]
    sirens = siret.str.replace(" ", "").str[:9]
    assert (frame.reindex(sirens).to_numpy() == epci[h["name"]].to_numpy()).all()
    cells = export.iloc[:, 9:37].stack()
    for label in EXPORT_NON_ANSWERS:
        assert (cells.str.strip() == label).any()
    assert any(re.search(r"\d[\u202f ]\d{3}$", v) for v in epci[h["population"]])


def test_the_mapping_files_cover_the_export(export):
    columns, answers, types = (_yaml(n) for n in ("columns.yaml", "answers.yaml", "types.yaml"))
    codebook = load_codebook()
    assert set(columns.values()) <= set(export.columns)
    assert set(codebook.item_columns) <= set(columns)  # every item mapped
    assert "digital_staff_fte" not in columns
    items = [columns[item] for item in codebook.item_columns]
    labels = set(export[items].stack().str.strip()) - {""}
    assert labels == set(answers)
    assert {answers[label] for label in EXPORT_NON_ANSWERS} == {None}
    assert sorted(v for v in answers.values() if v is not None) == codebook.level_values
    assert set(export[columns["collectivity_type"]]) == set(types)
    assert types == {
        "Un EPCI (hors métropole)": "epci",
        "Une métropole": "metropole",
        "Autre": None,
    }


def test_the_example_export_runs_end_to_end_from_configuration_alone():
    from analyse.params import load_params
    from analyse.pipeline.run_result import compute_run_result, results_document

    params = load_params(ROOT / "params" / "example-export.yaml")
    result = compute_run_result(params)
    document = results_document(result)
    rows_read = len(read_raw(params.survey_path).frame)
    assert document["n"] + document["n_excluded"] == rows_read == 64
    assert document["n"] > 40
    assert sum(document["exclusions"].values()) == document["n_excluded"]
    assert "digital_staff_fte" not in result.scored.columns
    assert result.synthetic


def test_analyse_run_publishes_the_example_export(published_example_export):
    """The command an analyst types, on the worked example: every notebook runs on the mapped
    export and the report is published, with every row read accounted for (conftest runs
    ``analyse run params/example-export.yaml`` once in a fresh process)."""
    report = published_example_export / "example-export"
    assert (report / "index.html").is_file()
    assert len(list(report.glob("*.reader.html"))) == 5
    document = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert document["n"] + document["n_excluded"] == 64
    assert "staff" in document["dropped_terms"]
