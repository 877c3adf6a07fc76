"""A run's result: computed once, stored by the runner with its key, never trusted blindly.

The stored file carries respondent-level rows and is a pickle, so it is read only when its
header names this version and the very inputs of the run, and notebooks never write it.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline.run_result import (
    RESULT_FILE,
    compute_run_result,
    load_run_result,
    result_key,
    results_document,
    run_result,
    save_run_result,
)
from analyse.report.i18n import messages
from analyse.report.prose import verdict_sentence


def plain(text: str) -> str:
    """French text with its no-break spaces (before : ; ? ! % », after «) as plain spaces."""
    return text.replace("\u00a0", " ")


CI = project_root() / "params" / "ci.yaml"


@pytest.fixture(scope="module")
def params():
    return load_params(CI)


@pytest.fixture(scope="module")
def result(params):
    return compute_run_result(params)


class _Tripwire:
    """Unpickling this object creates a file: proof that a pickle was (not) loaded."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_the_key_follows_every_input(params, tmp_path):
    key = result_key(params)
    assert key == result_key(load_params(CI))  # same inputs, same key
    assert result_key(params.model_copy(update={"seed": params.seed + 1})) != key
    survey = tmp_path / "survey.csv"
    shutil.copy(params.survey_path, survey)
    moved = params.model_copy(
        update={"data": params.data.model_copy(update={"survey": str(survey)})}
    )
    assert result_key(moved) != key  # the path is a parameter
    copy_key = result_key(moved)
    survey.write_bytes(survey.read_bytes() + b"\n")
    assert result_key(moved) != copy_key  # the survey's bytes count


def test_a_stored_result_round_trips_with_its_key(result, tmp_path):
    save_run_result(result, tmp_path)
    loaded = load_run_result(tmp_path, result.key)
    assert loaded is not None and loaded.key == result.key
    assert loaded.verdict == result.verdict
    assert loaded.curve.equals(result.curve) and loaded.scored.equals(result.scored)
    assert not [p for p in tmp_path.iterdir() if p.name != RESULT_FILE]  # no temp file left


def test_a_result_for_other_inputs_is_never_unpickled(result, tmp_path):
    save_run_result(result, tmp_path)
    assert load_run_result(tmp_path, "0" * 64) is None
    tripwire = tmp_path / "unpickled"
    header = b'{"version": 1, "key": "' + b"0" * 64 + b'"}\n'
    (tmp_path / RESULT_FILE).write_bytes(header + pickle.dumps(_Tripwire(tripwire)))
    assert load_run_result(tmp_path, "0" * 64) is None  # another version: not read
    assert not tripwire.exists()
    (tmp_path / RESULT_FILE).write_bytes(pickle.dumps(_Tripwire(tripwire)))  # no header
    assert load_run_result(tmp_path, result.key) is None
    assert not tripwire.exists()


def test_a_damaged_result_is_recomputed_not_fatal(params, result, tmp_path):
    save_run_result(result, tmp_path)
    path = tmp_path / RESULT_FILE
    path.write_bytes(path.read_bytes()[:200])  # truncated pickle after a valid header
    assert load_run_result(tmp_path, result.key) is None
    assert run_result(params, tmp_path).verdict == result.verdict


def test_a_notebook_never_stores_the_result(params, tmp_path):
    """Respondent-level rows must not land in a folder the user points a notebook at."""
    run_result(params, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_results_json_carries_the_sentence_the_pages_show(result):
    document = results_document(result)
    assert document["verdict"] == result.verdict
    # in the run's language (French by default), starting with the verdict's label
    french = messages("fr")
    assert document["verdict_sentence"] == verdict_sentence(result.claim, french)
    label = french(f"verdicts.{result.verdict}.label")
    assert plain(document["verdict_sentence"]).startswith(plain(f"Verdict : {label}."))
    assert document["run"]["synthetic"] is True  # the shipped panel, marked by its generator
    assert document["robustness"]["specifications"] == len(result.curve)


def test_results_json_robustness_counts_only_the_counted_specifications(result):
    """The curve's block: counted specifications, their verdicts, the skipped ones with their
    reason, and the inferential test of the whole curve, keys spelled as the contract says."""
    block = results_document(result)["robustness"]
    assert list(block) == [
        "specifications",
        "verdicts",
        "skipped",
        "inference",
        "inference_not_estimable",
    ]
    assert block["inference_not_estimable"] is None
    assert block["specifications"] == len(result.curve) == sum(block["verdicts"].values())
    assert block["specifications"] + len(block["skipped"]) == 16
    assert "budget" not in result.curve.columns
    assert list(block["inference"]) == [
        "draws",
        "median_std_coef",
        "median_p",
        "share_significant",
        "share_significant_p",
        "mean_z",
        "mean_z_p",
    ]
    assert block["inference"]["draws"] == 500
    assert all(0.0 <= block["inference"][k] <= 1.0 for k in ("median_p", "mean_z_p"))
