"""Issue 20's acceptance on one file: a census of every tier with no id column, ``NA`` cells,
repeated bodies, zero populations, counts as items and bad identifiers, run from configuration
alone. ``validate --params`` exits 0 with warnings, ``run`` exits 0, every row read is either
in the model or counted among the exclusions with its reason, and no traceback anywhere."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from census_factory import census_codebook, census_params, write_census
from run_command import analyse_run

from analyse import cli
from analyse.params import load_params
from analyse.pipeline.preflight import check_params


@pytest.fixture
def census(tmp_path):
    written = write_census(tmp_path / "recensement.csv")
    codebook = census_codebook(tmp_path / "codebook.yaml")
    params = tmp_path / "recensement.yaml"
    document = census_params(params, written, codebook)
    params.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return written, params


@pytest.mark.slow  # reads the frame of 35,000 communes: several seconds
def test_validate_accounts_for_every_row_of_a_messy_census(census, monkeypatch, capsys):
    written, params = census
    monkeypatch.setattr(sys, "argv", ["analyse", "validate", "--params", str(params)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert (exc.value.code or 0) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert f"Rows: {written.rows}" in out
    # the three SIRETs typed badly are warnings naming the line, header and value
    for position in written.bad_siret:
        assert f"warning: row {position + 2}, column 'SIRET' (siren)" in err
    check = check_params(load_params(params))
    assert check.error is None
    summary = check.summary
    assert summary.included + summary.excluded == written.rows
    # the zero populations and the repeated bodies are left out with their reason, the NA
    # populations filled from the frame (every one of them is a commune with a unique name)
    assert summary.excluded == len(written.zero_population) + len(written.repeated)
    assert "population 0 in the survey" in out and "the same body as row" in out
    assert "population filled 6" in out


@pytest.mark.slow
def test_run_publishes_the_messy_census(census, tmp_path):
    written, params = census
    done = analyse_run(params, tmp_path / "reports", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "'28184'" in done.stdout + done.stderr  # run prints loading's warnings too
    [results_file] = (tmp_path / "reports").glob("*/results.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))
    assert results["n"] + results["n_excluded"] == written.rows
    assert results["run"]["kind"] == "census"
