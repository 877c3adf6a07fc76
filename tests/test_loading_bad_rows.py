"""Identifiers as matching aids (data.strict_identifiers) and rows left out rather than a
stopped run (data.bad_rows), on messy exports made here (issue 20, items 1 and 5)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from survey_factory import as_text, build_survey, write_text_csv

from analyse import cli
from analyse.data.codebook import load_codebook
from analyse.data.configured import load_configured
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.pipeline.preflight import check_params
from analyse.pipeline.run_result import score_run
from analyse.reasons import Reason
from analyse.stats.claim import analyse_claim

BAD_SIRETS = ["2000 067 106 00019", "229 740 014 - 7220", "28184", "00010"]


def _text(n: int = 40, seed: int = 3):
    codebook = load_codebook(default_codebook_path())
    survey = build_survey(codebook, n=n, seed=seed)
    text = as_text(survey)
    text["siren"] = [f"2000{i:05d}" for i in range(len(text))]
    return text


def _write(tmp_path: Path, text, **data) -> Path:
    csv = write_text_csv(text, tmp_path / "export.csv")
    path = tmp_path / "params.yaml"
    document = {
        "name": "messy",
        "data": {"survey": str(csv), "codebook": str(default_codebook_path()), **data},
        "analysis": {"bootstrap": 0},
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _run_main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


def _with_bad_sirets(text):
    text = text.rename(columns={"siren": "SIRET de la structure"})
    for row, value in enumerate(BAD_SIRETS):
        text.loc[row, "SIRET de la structure"] = value
    return text


def test_bad_identifiers_are_warnings_naming_row_header_and_value(tmp_path):
    text = _with_bad_sirets(_text())
    params = load_params(_write(tmp_path, text, columns={"siren": "SIRET de la structure"}))
    configured = load_configured(params)
    survey = configured.survey
    assert len(survey) == len(text)
    assert survey["siren"].iloc[: len(BAD_SIRETS)].isna().all()  # ignored, not half-read
    assert survey["siren"].iloc[len(BAD_SIRETS)] == "200000004"
    assert len(configured.warnings) == len(BAD_SIRETS)
    for row, (value, warning) in enumerate(zip(BAD_SIRETS, configured.warnings, strict=True)):
        assert warning.startswith(f"row {row + 2}, column 'SIRET de la structure' (siren)")
        assert repr(value) in warning and "next key" in warning


def test_strict_identifiers_keeps_the_exit_2(tmp_path, monkeypatch, capsys):
    text = _with_bad_sirets(_text())
    columns = {"siren": "SIRET de la structure"}
    with pytest.raises(InputError) as exc:
        load_configured(
            load_params(_write(tmp_path, text, columns=columns, strict_identifiers=True))
        )
    assert {p.value for p in exc.value.problems} == set(BAD_SIRETS)
    params = _write(tmp_path, text, columns=columns, strict_identifiers=True)
    assert _run_main(monkeypatch, "validate", "--params", params) == 2
    params = _write(tmp_path, text, columns=columns)
    assert _run_main(monkeypatch, "validate", "--params", params) == 0
    out, err = capsys.readouterr()
    assert "229 740 014 - 7220" in out + err and "Traceback" not in out + err


def test_a_run_keeps_loading_warnings_for_the_runner_to_print(tmp_path):
    """``analyse run`` prints the warnings ``validate --params`` prints: those of loading (a
    SIRET that does not parse) travel with the computed result, before the survey's own."""
    from analyse.pipeline.preflight import result_warnings, run_warnings
    from analyse.pipeline.run_result import compute_run_result

    text = _with_bad_sirets(_text())
    params = load_params(_write(tmp_path, text, columns={"siren": "SIRET de la structure"}))
    result = compute_run_result(params)
    assert len(result.input_warnings) == len(BAD_SIRETS)
    printed = result_warnings(params, result)
    assert printed[: len(BAD_SIRETS)] == list(result.input_warnings)
    assert printed[len(BAD_SIRETS) :] == run_warnings(params, result.scored)
    assert any("'00010'" in w for w in printed)


def test_a_bad_siret_is_matched_by_its_insee_code_then_its_name(tmp_path):
    """The SIRET of Lyon typed badly: the row is found by its INSEE code; another typed badly
    with no code is found by its name."""
    text = _text(n=40)
    text.loc[0, ["collectivity_type", "population"]] = ["commune", ""]
    text.loc[1, ["collectivity_type", "population"]] = ["commune", ""]
    text["siren"] = text["siren"].astype(object)
    text.loc[0, "siren"] = "216 900 123 - 00017"
    text.loc[1, "siren"] = "2169"
    text["code_insee"] = ""
    text.loc[0, "code_insee"] = "69123"
    text["name"] = ""
    text.loc[1, "name"] = "Villeurbanne"
    params = load_params(_write(tmp_path, text, enrich_from_frame=True))
    configured = load_configured(params)
    report = configured.enrichment
    assert report["method"].iloc[0] == "code_insee" and report["method"].iloc[1] == "exact_name"
    assert configured.survey["population"].iloc[:2].notna().all()
    assert len(configured.warnings) == 2


def _messy(text):
    """Population 0, negative and empty, and an unknown type, on four rows."""
    text = text.copy()
    text.loc[0, "population"] = "0"
    text.loc[1, "population"] = "-120"
    text.loc[2, "population"] = ""
    text.loc[3, "collectivity_type"] = "Syndicat mixte"
    text.loc[4, "population"] = "22243 hab. (source : J. Dupont, 06 12 34 56 20)"
    text.loc[5, "collectivity_type"] = ""
    return text


def test_bad_rows_stop_is_the_default(tmp_path):
    params = load_params(_write(tmp_path, _messy(_text())))
    with pytest.raises(InputError) as exc:
        load_configured(params)
    messages = " ".join(p.message for p in exc.value.problems)
    assert "is zero" in messages and "is negative" in messages and "is empty" in messages
    assert "not a known collectivity type" in messages
    assert any(p.row == 6 and "not a number" in p.message for p in exc.value.problems)
    assert any(p.row == 7 and p.message == "is empty" for p in exc.value.problems)


def test_bad_rows_exclude_leaves_each_row_out_with_its_reason(tmp_path, monkeypatch, capsys):
    text = _messy(_text())
    path = _write(tmp_path, text, bad_rows="exclude")
    survey = load_configured(load_params(path)).survey
    reasons = survey[EXCLUSION_COLUMN].fillna("")
    assert reasons.iloc[0] == Reason("population_zero").english()
    assert reasons.iloc[1] == Reason("population_negative").english()
    assert reasons.iloc[2] == Reason("population_empty").english()
    assert reasons.iloc[3] == Reason("type_unknown", {"value": "Syndicat mixte"}).english()
    # what the cell said is no part of a (published) reason: it is said to the analyst only
    assert reasons.iloc[4] == Reason("population_not_number").english()
    assert reasons.iloc[5] == Reason("type_empty").english()
    [warning] = [w for w in load_configured(load_params(path)).warnings if "J. Dupont" in w]
    assert warning.startswith("row 6, column 'population': '22243 hab.")
    check = check_params(load_params(path))
    assert check.error is None
    assert check.summary.rows == len(text)  # n + n_excluded = rows read
    assert check.summary.included + check.summary.excluded == len(text)
    assert check.summary.excluded >= 6
    assert _run_main(monkeypatch, "validate", "--params", path) == 0
    out, _ = capsys.readouterr()
    assert "population 0 in the survey" in out and "Syndicat mixte" in out
    configured = load_configured(load_params(path))
    scored = score_run(load_params(path), configured.survey, configured.codebook)
    result = analyse_claim(scored, configured.codebook, bootstrap=0, simulations=50)
    assert result.n + result.n_excluded == len(text)
    for code in ("population_zero", "population_negative", "population_empty"):
        assert result.exclusions[Reason(code).english()] == 1
    assert result.exclusions[Reason("population_not_number").english()] == 1
    assert result.exclusions[Reason("type_empty").english()] == 1
    assert not any("Dupont" in str(reason) for reason in result.exclusions.index)


def test_a_frame_population_of_0_is_never_used(tmp_path):
    """Verdun's « communes mortes pour la France » have a population of 0 in the frame: the
    row is unmatched for population and left out, and the analysis runs without ln(0)."""
    text = _text(n=60)
    text["siren"] = text["siren"].astype(object)
    text.loc[0, ["collectivity_type", "population", "siren"]] = ["commune", "", ""]
    text["code_insee"] = ""
    text.loc[0, "code_insee"] = "55039"  # Beaumont-en-Verdunois
    path = _write(tmp_path, text, enrich_from_frame=True, bad_rows="exclude")
    params = load_params(path)
    configured = load_configured(params)
    assert configured.enrichment["method"].iloc[0] == "code_insee"
    assert pd.isna(configured.survey["population"].iloc[0])
    assert configured.survey[EXCLUSION_COLUMN].iloc[0] == Reason("population_not_found").english()
    assert "no population" in configured.enrichment["conflict"].iloc[0]
    scored = score_run(params, configured.survey, configured.codebook)
    kept = scored[scored[EXCLUSION_COLUMN].fillna("") == ""]
    assert (kept["population"].astype(float) > 0).all()
    result = analyse_claim(scored, configured.codebook, bootstrap=0, simulations=50)
    assert result.n + result.n_excluded == len(text)
    assert result.exclusions[Reason("population_not_found").english()] >= 1
    assert np.isfinite(result.fit.coef).all() and np.isfinite(result.fit.se).all()
    check = check_params(params)
    assert check.summary.included + check.summary.excluded == len(text)


def test_empty_populations_say_once_how_to_go_on(tmp_path):
    """Each empty population is its row's problem; one more says the way forward
    (data.bad_rows: exclude), and names the frame only when a column can match it."""
    text = _text().drop(columns=["siren", "code_insee", "name"], errors="ignore")
    text.loc[[2, 7, 9], "population"] = ""
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_write(tmp_path, text)))
    empty = [p for p in exc.value.problems if p.message == "is empty"]
    assert [p.row for p in empty] == [4, 9, 11]
    (way,) = [p for p in exc.value.problems if "bad_rows" in p.message]
    assert way.row is None and way.column == "population"
    assert way.message.startswith("3 row(s) have an empty population: to go on without them, ")
    assert "set data.bad_rows: exclude" in way.message and "enrich_from_frame" not in way.message
    text = _text()  # with SIRENs: the frame can fill them
    text.loc[[2], "population"] = ""
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_write(tmp_path, text)))
    (way,) = [p for p in exc.value.problems if "bad_rows" in p.message]
    assert "data.enrich_from_frame: true (matched by siren" in way.message


def test_a_number_grouped_by_thousands_is_refused_with_how_to_write_it(tmp_path):
    text = _text()
    text.loc[0, "budget_per_capita"] = "1.008,58"
    text.loc[1, "population"] = "1.234.567"
    text.loc[2, "budget_per_capita"] = "12 abc"
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_write(tmp_path, text)))
    by_row = {p.row: p.message for p in exc.value.problems}
    assert by_row[2] == (
        "is not a number (thousands separated by '.', decimals by ','): write 1008,58 or 1008.58"
    )
    assert by_row[3].endswith("write 1234567 or 1 234 567")
    assert by_row[4] == "is not a number"  # no number in it: no hint
