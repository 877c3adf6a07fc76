"""Parameter files: the shipped ones load; every kind of mistake is reported, with the file and
the key path, before anything runs; the CLI exits 2 without a traceback."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analyse.errors import InputError
from analyse.params import (
    FLAT_NAMES,
    RunParams,
    flat_parameters,
    load_params,
    nested_parameters,
    params_digest,
    params_from_mapping,
)
from analyse.paths import project_root

SHIPPED = {
    "default": ("data/synthetic/synthetic_barometre_2025.csv", 1000),
    "census": ("data/synthetic/synthetic_census_epci.csv", 200),
    "ci": ("data/synthetic/synthetic_barometre_2025.csv", 50),
}


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    path.write_text("id\n1\n", encoding="utf-8")
    return path


def good(survey: Path) -> dict:
    return {
        "name": "trial_1",
        "data": {"survey": str(survey), "codebook": "data/codebook.yaml", "columns": None},
        "analysis": {
            "sesoi": 0.2,
            "alpha": 0.05,
            "controls": ["collectivity_type"],
            "bootstrap": 10,
            "weights": "none",
            "min_cell": 5,
        },
        "seed": 7,
    }


def write(tmp_path: Path, content: dict | str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_params(path)
    texts = [str(p) for p in exc.value.problems]
    assert all(text.startswith(str(path)) for text in texts), texts  # each names the file
    return texts


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_params_files_load(name):
    params = load_params(project_root() / "params" / f"{name}.yaml")
    survey, bootstrap = SHIPPED[name]
    assert params.name == name
    assert params.data.survey == survey
    assert params.analysis.bootstrap == bootstrap
    assert params.survey_path == project_root() / survey
    assert params.survey_path.is_file() and params.codebook_path.is_file()


def test_good_params_load_with_types_and_resolved_paths(tmp_path, survey):
    params = load_params(write(tmp_path, good(survey)))
    assert params.name == "trial_1"
    assert params.analysis.controls == ["collectivity_type"]
    assert params.analysis.sesoi == pytest.approx(0.2)
    assert params.seed == 7
    assert params.survey_path == survey  # absolute stays absolute
    assert params.codebook_path == project_root() / "data" / "codebook.yaml"  # relative: root


def test_omitted_keys_take_the_documented_defaults(tmp_path, survey):
    params = load_params(write(tmp_path, {"name": "x", "data": {"survey": str(survey)}}))
    assert params.data.codebook == "data/codebook.yaml" and params.data.columns is None
    a = params.analysis
    assert (a.sesoi, a.alpha, a.controls, a.bootstrap, a.weights, a.min_cell) == (
        0.2,
        0.05,
        [],
        1000,
        "none",
        5,
    )
    assert a.bf_prior_scale == math.sqrt(2) / 4  # BayesFactor's "medium", to the last bit
    assert params.seed == 2025


def test_digest_ignores_key_order_and_spelled_out_defaults_but_not_values(tmp_path, survey):
    full = good(survey)
    reordered = dict(reversed(list(full.items())))
    reordered["analysis"] = dict(reversed(list(full["analysis"].items())))
    minimal = {k: v for k, v in full.items()}
    minimal["analysis"] = {"controls": ["collectivity_type"], "bootstrap": 10}
    minimal["data"] = {"survey": str(survey)}
    digests = {params_digest(load_params(write(tmp_path, d))) for d in (full, reordered, minimal)}
    assert len(digests) == 1
    changed = {**full, "seed": 8}
    assert params_digest(load_params(write(tmp_path, changed))) not in digests


def test_unknown_key_at_top_level(tmp_path, survey):
    path = write(tmp_path, {**good(survey), "sed": 3})
    (text,) = problems_of(path)
    assert "sed: unknown key" in text and "name, data, analysis, seed" in text


def test_unknown_key_nested(tmp_path, survey):
    params = good(survey)
    params["analysis"]["sesio"] = 0.3
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.sesio: unknown key" in text and "sesoi" in text


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("analysis", "bootstrap", "many"),
        ("analysis", "bootstrap", 1.5),
        ("analysis", "alpha", "0.05"),  # a quoted number is a string, not coerced
        (None, "seed", "2025"),
        (None, "seed", True),
        ("data", "columns", ["a", "b"]),
    ],
)
def test_wrong_type_names_the_key(tmp_path, survey, section, key, value):
    params = good(survey)
    (params[section] if section else params)[key] = value
    (text,) = problems_of(write(tmp_path, params))
    assert f"{section + '.' if section else ''}{key}:" in text
    assert "expected" in text


@pytest.mark.parametrize("sesoi", [0, -0.1])
def test_sesoi_must_be_positive(tmp_path, survey, sesoi):
    params = good(survey)
    params["analysis"]["sesoi"] = sesoi
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.sesoi" in text and "greater than 0" in text


@pytest.mark.parametrize("scale", [0, -1.0, "medium"])
def test_bf_prior_scale_must_be_a_positive_number(tmp_path, survey, scale):
    params = good(survey)
    params["analysis"]["bf_prior_scale"] = scale
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.bf_prior_scale" in text and "Zellner-Siow" in text


@pytest.mark.parametrize("alpha", [0, 0.5, 0.9])
def test_alpha_bounds(tmp_path, survey, alpha):
    params = good(survey)
    params["analysis"]["alpha"] = alpha
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.alpha" in text


def test_unknown_control(tmp_path, survey):
    params = good(survey)
    params["analysis"]["controls"] = ["collectivity_type", "region"]
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.controls.1" in text and "'region'" in text
    assert "collectivity_type" in text


@pytest.mark.parametrize("name", ["Default", "my run", "a/b", ""])
def test_run_name_must_be_a_safe_folder_name(tmp_path, survey, name):
    (text,) = problems_of(write(tmp_path, {**good(survey), "name": name}))
    assert "name:" in text


def test_missing_survey_and_codebook_files(tmp_path, survey):
    params = good(survey)
    params["data"]["survey"] = "data/no_such_survey.csv"
    params["data"]["codebook"] = str(tmp_path / "nope.yaml")
    texts = problems_of(write(tmp_path, params))
    assert len(texts) == 2
    assert "data.survey: file not found" in texts[0]
    assert str(project_root() / "data" / "no_such_survey.csv") in texts[0]
    assert "data.codebook: file not found" in texts[1]


def test_all_problems_are_reported_in_one_pass(tmp_path, survey):
    params = good(survey)
    params["analysis"].update(sesoi=0, controls=["region"], extra=1)
    params["data"]["survey"] = "missing.csv"
    params["seed"] = -1
    texts = problems_of(write(tmp_path, params))
    keys = ["analysis.sesoi", "analysis.controls.0", "analysis.extra", "seed", "data.survey"]
    assert all(any(key in t for t in texts) for key in keys), texts


def test_missing_required_keys(tmp_path):
    texts = problems_of(write(tmp_path, {"data": {}}))
    assert any("name: required key is missing" in t for t in texts)
    assert any("data.survey: required key is missing" in t for t in texts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "mapping"), ("- a\n- b\n", "mapping"), ("name: [unclosed\n", "not valid YAML")],
)
def test_not_a_mapping_or_not_yaml(tmp_path, text, expected):
    (problem,) = problems_of(write(tmp_path, text))
    assert expected in problem


def test_missing_params_file(tmp_path):
    (problem,) = problems_of(tmp_path / "absent.yaml")
    assert "parameter file not found" in problem


def test_notebook_parameters_are_flat_and_rebuild_the_same_params(tmp_path, survey):
    """A notebook gets one variable per leaf key and rebuilds identical ``RunParams``."""
    params = load_params(write(tmp_path, good(survey)))
    flat = flat_parameters(params)
    assert set(flat) == {
        "name", "survey", "codebook", "columns", "answer_labels", "type_labels",
        "enrich_from_frame", "kind", "strict_identifiers", "bad_rows", "missing_values",
        "duplicates", "extra_columns", "sheet", "sesoi", "sesoi_points",
        "alpha", "controls",
        "confounders", "bootstrap", "weights", "min_cell", "bf_prior_scale", "min_themes", "seed",
        "lang", "title",
    }  # fmt: skip
    assert flat["sesoi"] == 0.2 and flat["controls"] == ["collectivity_type"]
    rebuilt = params_from_mapping(nested_parameters(flat))
    assert isinstance(rebuilt, RunParams) and rebuilt == params
    assert FLAT_NAMES["min_cell"] == ("analysis", "min_cell")


def test_cli_run_with_bad_params_exits_2_without_traceback_and_runs_nothing(tmp_path, survey):
    bad_one = good(survey)
    bad_one["analysis"]["sesoi"] = 0
    bad_two = {**good(survey), "name": "other", "colour": "blue"}
    out = tmp_path / "reports"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyse",
            "run",
            str(write(tmp_path, bad_one, "one.yaml")),
            str(write(tmp_path, bad_two, "two.yaml")),
            "--output-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "one.yaml" in proc.stderr and "analysis.sesoi" in proc.stderr
    assert "two.yaml" in proc.stderr and "colour: unknown key" in proc.stderr
    assert not out.exists()


def test_two_params_files_with_the_same_name_are_refused(tmp_path, survey):
    from analyse.pipeline.runner import load_all

    first = write(tmp_path, good(survey), "a.yaml")
    second = write(tmp_path, good(survey), "b.yaml")
    with pytest.raises(InputError) as exc:
        load_all([first, second])
    (problem,) = exc.value.problems
    assert "b.yaml" in str(problem) and "trial_1" in str(problem)


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ("foo", "analysis.weights: unknown value (found 'foo'; expected 'none', 'raked'"),
        ("rakd", "analysis.weights: unknown value; did you mean 'raked'? (found 'rakd'"),
        (3, "analysis.weights: must be 'none', 'raked' or a mapping {column: NAME}"),
        (
            {"colum": "Poids"},
            "analysis.weights.colum: unknown key; did you mean 'column'? (expected one of: column)",
        ),
        ({"column": ""}, "analysis.weights.column: String should have at least 1 character"),
    ],
)
def test_weights_mistakes_get_one_message_each(tmp_path, survey, weights, fragment):
    """``analysis.weights`` is 'none', 'raked' or {column: NAME}: a mistake is reported once,
    about the spelling used, with the key path users wrote (no pydantic union tags)."""
    content = good(survey)
    content["analysis"]["weights"] = weights
    problems = problems_of(write(tmp_path, content))
    assert any(fragment in p for p in problems), problems
    assert not any("literal[" in p or "ColumnWeights" in p or "weights-" in p for p in problems)


def test_column_weights_and_min_themes_round_trip(tmp_path, survey):
    content = good(survey)
    content["analysis"] |= {"weights": {"column": "Poids"}, "min_themes": 5}
    params = load_params(write(tmp_path, content))
    assert params.analysis.weights.column == "Poids" and params.analysis.min_themes == 5
    flat = flat_parameters(params)
    assert flat["weights"] == {"column": "Poids"} and flat["min_themes"] == 5
    assert params_from_mapping(nested_parameters(flat)) == params
    content["analysis"]["min_themes"] = 0
    assert any("analysis.min_themes" in p for p in problems_of(write(tmp_path, content)))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sesoi", ".inf"),
        ("sesoi", ".nan"),
        ("alpha", ".nan"),
        ("bf_prior_scale", ".inf"),
        ("bf_prior_scale", ".nan"),
    ],
)
def test_numbers_must_be_finite(tmp_path, survey, key, value):
    """``sesoi: .inf`` used to pass and fail inside notebook 3."""
    params = good(survey)
    params["analysis"].pop(key, None)
    text = yaml.safe_dump(params, sort_keys=False)
    text = text.replace("  min_cell: 5\n", f"  min_cell: 5\n  {key}: {value}\n")
    (problem,) = problems_of(write(tmp_path, text))
    assert f"analysis.{key}" in problem and "finite" in problem


@pytest.mark.parametrize("bootstrap", [100_001, 1_000_000_000])
def test_bootstrap_is_bounded(tmp_path, survey, bootstrap):
    """``bootstrap: 1000000000`` used to be accepted: days of work before any message."""
    params = good(survey)
    params["analysis"]["bootstrap"] = bootstrap
    (problem,) = problems_of(write(tmp_path, params))
    assert "analysis.bootstrap" in problem and "100000" in problem


def test_bootstrap_limit_itself_is_accepted(tmp_path, survey):
    params = good(survey)
    params["analysis"]["bootstrap"] = 100_000
    assert load_params(write(tmp_path, params)).analysis.bootstrap == 100_000


def test_bootstrap_0_publishes_strict_json():
    """No NaN or Infinity token reaches results.json when no bootstrap draw is made (this
    passed before: publish.dump_json already wrote null for a missing value)."""
    import json

    from analyse.pipeline.publish import dump_json
    from analyse.pipeline.run_result import compute_run_result, results_document

    params = params_from_mapping(
        {
            "name": "b0",
            "data": {"survey": "data/synthetic/synthetic_barometre_2025.csv"},
            "analysis": {"bootstrap": 0},
        }
    )
    text = dump_json(results_document(compute_run_result(params)))

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in results.json")

    json.loads(text, parse_constant=refuse)


def test_sesoi_in_points_and_confounders_load_and_round_trip(tmp_path, survey):
    content = good(survey)
    del content["analysis"]["sesoi"]
    content["analysis"] |= {"sesoi_points": 25, "confounders": ["collectivity_type"]}
    params = load_params(write(tmp_path, content))
    assert params.analysis.sesoi_points == 25.0 and params.analysis.sesoi == 0.2
    assert params.analysis.confounders == ["collectivity_type"]
    flat = flat_parameters(params)
    assert flat["sesoi_points"] == 25.0 and flat["confounders"] == ["collectivity_type"]
    # a notebook's flat parameters hold sesoi's default beside sesoi_points: not "both given"
    assert params_from_mapping(nested_parameters(flat), flat=True) == params
    assert load_params(project_root() / "params" / "default.yaml").analysis.sesoi_points is None


@pytest.mark.parametrize("sesoi", [0.2, 0.3])
def test_both_sesoi_keys_in_a_file_are_refused_naming_both(tmp_path, survey, sesoi):
    """Written in the file is given, even at sesoi's default value."""
    content = good(survey)
    content["analysis"] |= {"sesoi": sesoi, "sesoi_points": 25}
    (problem,) = problems_of(write(tmp_path, content))
    assert "analysis.sesoi and analysis.sesoi_points are both given" in problem
    assert "not both" in problem  # what to write instead
    content["analysis"]["sesoi_points"] = None  # null is not a bound
    assert load_params(write(tmp_path, content)).analysis.sesoi == sesoi


@pytest.mark.parametrize("value", [0, -5, float("inf"), "25"])
def test_sesoi_points_must_be_a_positive_number(tmp_path, survey, value):
    content = good(survey)
    del content["analysis"]["sesoi"]
    content["analysis"]["sesoi_points"] = value
    problems = problems_of(write(tmp_path, content))
    assert any("analysis.sesoi_points" in p and "index points" in p for p in problems), problems


def test_a_confounder_must_be_a_control(tmp_path, survey):
    content = good(survey)
    content["analysis"] |= {"controls": [], "confounders": ["collectivity_type"]}
    (problem,) = problems_of(write(tmp_path, content))
    assert "analysis.confounders lists collectivity_type" in problem
    assert "add it to analysis.controls" in problem
    content["analysis"]["confounders"] = ["region"]  # not a control at all
    assert any(
        "analysis.confounders lists region" in p for p in problems_of(write(tmp_path, content))
    )


def test_cli_exits_2_naming_both_sesoi_keys_and_an_uncontrolled_confounder(tmp_path, survey):
    content = good(survey)
    content["analysis"] |= {
        "sesoi_points": 25,
        "controls": [],
        "confounders": ["collectivity_type"],
    }
    proc = subprocess.run(
        [sys.executable, "-m", "analyse", "run", str(write(tmp_path, content))],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "analysis.sesoi and analysis.sesoi_points" in proc.stderr
    assert "analysis.confounders" in proc.stderr and "analysis.controls" in proc.stderr


@pytest.mark.parametrize(
    ("section", "typo", "meant"),
    [("analysis", "seosi", "sesoi"), ("data", "colums", "columns"), (None, "analysys", "analysis")],
)
def test_an_unknown_key_gets_a_did_you_mean(tmp_path, survey, section, typo, meant):
    """Issue 22: the same "did you mean" as a misspelt header or notebook parameter."""
    params = good(survey)
    (params[section] if section else params)[typo] = 1
    (text,) = problems_of(write(tmp_path, params))
    key = f"{section}.{typo}" if section else typo
    assert f"{key}: unknown key; did you mean '{meant}'?" in text
    params = good(survey)
    params["analysis"]["zzzz"] = 1  # nothing close: no suggestion
    (text,) = problems_of(write(tmp_path, params))
    assert "analysis.zzzz: unknown key (expected one of:" in text


def test_a_misspelt_control_gets_a_did_you_mean(tmp_path, survey):
    params = good(survey)
    params["analysis"]["controls"] = ["collectivity_typ"]
    (text,) = problems_of(write(tmp_path, params))
    assert "'collectivity_typ' is neither a built-in control" in text
    assert "did you mean 'collectivity_type'?" in text
