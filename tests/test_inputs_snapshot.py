"""A run reads each input once: the survey edited or deleted while a run is under way changes
nothing the run publishes (issue 21, items 3 and 9).

The runner copies the user's files into its staging folder, hashing the bytes it copies
(``analyse.pipeline.snapshot``): the manifest's checksums are the copies', the analysis loads
the copies, and the notebooks find the stored result by the same checksums.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from analyse.errors import InputError, Problem
from analyse.params import load_params
from analyse.paths import default_codebook_path, has_run_inputs, project_root
from analyse.pipeline import runner
from analyse.pipeline.snapshot import (
    INPUTS_DIR,
    read_snapshot,
    snapshot_checksums,
    take_snapshot,
)

SYNTHETIC = project_root() / "data" / "synthetic" / "synthetic_barometre_2025.csv"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_survey(folder: Path) -> Path:
    """The synthetic panel and its generator's sidecar, in a folder of the test's own."""
    folder.mkdir(parents=True, exist_ok=True)
    survey = folder / SYNTHETIC.name
    shutil.copy(SYNTHETIC, survey)
    shutil.copy(SYNTHETIC.with_name(SYNTHETIC.stem + ".truth.json"), folder)
    return survey


def write_params(folder: Path, survey: Path, name: str = "snap") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "data": {"survey": str(survey), "codebook": str(default_codebook_path())},
                "analysis": {"bootstrap": 20},
                "seed": 7,
            }
        ),
        encoding="utf-8",
    )
    return path


def drop_last_rows(survey: Path, n: int) -> None:
    """Edit the survey as an export rewriting it would: fewer respondents."""
    lines = survey.read_text(encoding="utf-8").splitlines(keepends=True)
    survey.write_text("".join(lines[:-n]), encoding="utf-8")


# ------------------------------------------------------------------------------- the copy


def test_the_copy_is_hashed_from_the_bytes_copied_and_named_as_given(tmp_path):
    survey = copy_survey(tmp_path / "data")
    params = load_params(write_params(tmp_path, survey))
    staging = tmp_path / ".staging-snap"
    staging.mkdir()
    snapshot = take_snapshot(params, staging)

    copied = snapshot.copy("survey")
    assert copied.read_bytes() == survey.read_bytes() and copied.name == survey.name
    assert snapshot.sha256("survey") == sha256(survey)
    assert snapshot.synthetic  # the sidecar travels with the survey
    assert read_snapshot(staging) == snapshot and has_run_inputs(staging)
    assert snapshot.matches(params)

    reading = snapshot.reading(params)
    assert reading.survey_path == copied and reading.codebook_path == snapshot.copy("codebook")
    message = f"{copied}: row 3 has no population"
    assert snapshot.as_given(message) == f"{survey}: row 3 has no population"
    renamed = snapshot.named_as_given(InputError([Problem(str(copied), f"{copied} is empty")]))
    assert renamed.problems == [Problem(str(survey), f"{survey} is empty")]

    drop_last_rows(survey, 3)  # the user's file changes: the run's copy does not
    assert snapshot.copy("survey").read_bytes() != survey.read_bytes()
    checksums = runner.input_checksums(Path(tmp_path / "snap.yaml"), params, ())
    assert checksums["survey"]["sha256"] == sha256(survey)
    described = snapshot_checksums(checksums, snapshot, runner.display_path)
    assert described["survey"]["sha256"] == snapshot.sha256("survey")
    assert described["survey"]["path"] == checksums["survey"]["path"]


def test_a_survey_gone_before_the_copy_is_the_user_s_to_fix(tmp_path):
    survey = copy_survey(tmp_path / "data")
    params = load_params(write_params(tmp_path, survey))
    survey.unlink()
    staging = tmp_path / ".staging-snap"
    staging.mkdir()
    with pytest.raises(InputError) as raised:
        take_snapshot(params, staging)
    (problem,) = raised.value.problems
    assert problem.file == str(survey) and "data.survey: cannot be read" in problem.message


def test_a_snapshot_of_other_files_is_not_used_for_a_notebook_s_own(tmp_path):
    survey = copy_survey(tmp_path / "data")
    params = load_params(write_params(tmp_path, survey))
    staging = tmp_path / ".staging-snap"
    staging.mkdir()
    snapshot = take_snapshot(params, staging)
    other = copy_survey(tmp_path / "other")
    moved = params.model_copy(
        update={"data": params.data.model_copy(update={"survey": str(other)})}
    )
    assert not snapshot.matches(moved)


# ------------------------------------------------------------------------ a run end to end

CHECK = new_notebook()
CHECK.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
CHECK.cells = [
    new_code_cell('output_dir = ""', metadata={"tags": ["parameters"]}),
    new_code_cell(
        "import json, pathlib\n"
        "from analyse.pipeline.run_result import results_document, run_result\n"
        "from analyse.report.notebook import setup\n"
        "params = setup(globals())\n"
        "result = run_result(params, output_dir)\n"
        "tables = pathlib.Path(output_dir, 'tables')\n"
        "tables.mkdir(exist_ok=True)\n"
        "shown = {'rows': len(result.scored), 'document': results_document(result)}\n"
        "(tables / 'shown.json').write_text(json.dumps(shown, sort_keys=True))"
    ),
]


def run_with_hook(tmp_path, monkeypatch, hook) -> tuple[Path, Path, bytes]:
    """Run the check notebook on a copy of the panel; ``hook(survey)`` runs between the
    analysis and the notebooks. Returns the report, the survey and its bytes as analysed."""
    survey = copy_survey(tmp_path / "data")
    analysed = survey.read_bytes()
    params_path = write_params(tmp_path, survey)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(CHECK, notebooks / "01_check.ipynb")
    real = runner._compute_results

    def then_change(params, staging):
        results = real(params, staging)
        hook(survey)
        return results

    monkeypatch.setattr(runner, "_compute_results", then_change)
    out = tmp_path / "reports"
    (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert outcome.status == "published", outcome.message
    return out / "snap", survey, analysed


def assert_one_story(report: Path, analysed: bytes) -> None:
    """results.json, the manifest and what the notebook showed describe the same bytes."""
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    shown = json.loads((report / "tables" / "shown.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["survey"]["sha256"] == hashlib.sha256(analysed).hexdigest()
    assert shown["document"] == results  # the notebook showed the result results.json holds
    assert shown["rows"] == len(analysed.decode("utf-8").splitlines()) - 1
    assert manifest["synthetic"] is True and results["run"]["synthetic"] is True
    assert not (report / INPUTS_DIR).exists()  # the copy is never published


@pytest.mark.slow
def test_a_survey_edited_during_the_run_changes_nothing_it_publishes(tmp_path, monkeypatch):
    report, survey, analysed = run_with_hook(tmp_path, monkeypatch, lambda s: drop_last_rows(s, 9))
    assert survey.read_bytes() != analysed
    assert_one_story(report, analysed)


@pytest.mark.slow
def test_a_survey_deleted_after_the_analysis_still_publishes_what_was_analysed(
    tmp_path, monkeypatch
):
    report, survey, analysed = run_with_hook(tmp_path, monkeypatch, Path.unlink)
    assert not survey.exists()
    assert_one_story(report, analysed)
