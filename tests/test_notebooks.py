"""The analysis notebooks: stored clean, parameterised for papermill, thin, and they run."""

from __future__ import annotations

import ast
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from analyse.params import (
    FLAT_NAMES,
    SECTIONS,
    load_params,
    nested_parameters,
    params_from_mapping,
)
from analyse.paths import project_root
from analyse.report import i18n

NOTEBOOK_DIR = project_root() / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PARAMETER_NAMES = {*SECTIONS, *FLAT_NAMES, "output_dir"}
PAPERMILL = Path(sys.executable).with_name("papermill")
EXPECTED = [
    "01_data_quality",
    "02_descriptives",
    "03_is_size_decisive",
    "04_themes",
    "05_robustness_sensitivity",
]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _committed(path: Path):
    """The notebook as git would commit it (the index), else as on disk outside a checkout.

    An analyst's working copy may hold outputs (JupyterLab saves them; the nbstripout hook
    strips them at commit), so what must be clean is what gets committed.
    """
    relative = path.relative_to(project_root()).as_posix()
    try:
        staged = subprocess.run(
            ["git", "show", f":{relative}"],
            cwd=project_root(),
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return _read(path)
    return nbformat.reads(staged.decode("utf-8"), as_version=4)


def _parameter_cells(nb):
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def _ids(paths):
    return [p.stem for p in paths]


def test_the_five_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_valid_and_stored_without_outputs(path):
    nb = _committed(path)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: stored with outputs"
            assert cell.execution_count is None, f"{path.name}: stored with execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_one_parameters_cell_with_the_run_parameters(path):
    cells = _parameter_cells(_read(path))
    assert len(cells) == 1
    tree = ast.parse(cells[0].source)
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    assert assigned == PARAMETER_NAMES
    namespace: dict = {}
    exec(compile(tree, path.name, "exec"), namespace)  # literals only
    assert namespace["output_dir"] == ""
    params = params_from_mapping(nested_parameters({k: namespace[k] for k in FLAT_NAMES}))
    assert params == load_params(project_root() / "params" / "default.yaml")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_parameters_match_the_params_files(path):
    """Every leaf key of a params file is a flat notebook parameter, and setup reads them."""
    cell = _parameter_cells(_read(path))[0]
    for params_file in sorted((project_root() / "params").glob("*.yaml")):
        raw = yaml.safe_load(params_file.read_text(encoding="utf-8"))
        leaves = {k for key, v in raw.items() for k in (v if isinstance(v, dict) else [key])}
        assert leaves <= PARAMETER_NAMES, f"{params_file.name} has keys the notebook lacks"
    assert "params = setup(globals())" in "".join(
        c.source for c in _read(path).cells if c.cell_type == "code" and c is not cell
    )


def _papermill_unknown(path: Path, parameters: dict, tmp_path: Path, caplog) -> list[str]:
    """The names papermill reports as "Passed unknown parameter" when given ``parameters``:
    the notebook is parameterised, not executed (``prepare_only``), so no kernel starts."""
    import papermill

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="papermill"):
        papermill.execute_notebook(
            str(path), str(tmp_path / path.name), parameters=parameters, prepare_only=True
        )
    prefix = "Passed unknown parameter: "
    return [r.getMessage()[len(prefix) :] for r in caplog.records if prefix in r.getMessage()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_papermill_takes_every_params_file_without_an_unknown_parameter(path, tmp_path, caplog):
    """``papermill NB out.ipynb -f params/X.yaml`` injects the file's top-level keys (sections
    ``data``, ``analysis`` and ``name``, ``seed``...): the cell declares each, so papermill
    says nothing, while a misspelt key is still reported (and ``setup`` refuses it)."""
    for params_file in sorted((project_root() / "params").glob("*.yaml")):
        raw = yaml.safe_load(params_file.read_text(encoding="utf-8"))
        assert _papermill_unknown(path, raw, tmp_path, caplog) == [], params_file.name
    typo = {"analysys": {"sesoi": 0.3}, "sesoy": 0.3, "data": {"survey": "x.csv"}}
    assert _papermill_unknown(path, typo, tmp_path, caplog) == ["analysys", "sesoy"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebooks_stay_thin(path):
    """No function, class or loop in a notebook: logic belongs in the package, tested.

    The parameters cell is a list of declarations, one per parameter, and may be longer.
    """
    for cell in _read(path).cells:
        if cell.cell_type != "code" or cell in _parameter_cells(_read(path)):
            continue
        tree = ast.parse(cell.source)
        banned = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.AsyncFunctionDef)
        assert not [n for n in ast.walk(tree) if isinstance(n, banned)], cell.source
        assert len(cell.source.splitlines()) <= 8, cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_figure_is_described_before_it_is_shown(path):
    """RGAA: a caption describing the figure precedes each figure cell: the cell before it
    displays a narrative message (``say(...)``) that starts with "**Figure" in every language."""
    cells = _read(path).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "show_figure(" in cell.source:
            before = cells[i - 1]
            keys = re.findall(r'"((?:nb\d|narrative)\.[a-z_.]+)"', before.source)
            assert before.cell_type == "code" and keys, cell.source
            for lang in i18n.LANGUAGES:
                m = i18n.messages(lang)
                # a message with variants (narrative.VARIANTS): each of them
                texts = [t for k, t in m.texts.items() if k.startswith(f"{keys[-1]}.")]
                for text in texts or [m(keys[-1])]:
                    assert text.startswith("**Figure"), (lang, keys[-1])
                # the caption of the figure drawn at scale, where there is one
                dense = m.get(f"{keys[-1]}_dense", "")
                assert not dense or dense.startswith("**Figure"), (lang, keys[-1])


def _ci_parameters() -> dict:
    ci = project_root() / "params" / "ci.yaml"
    if ci.is_file():
        return yaml.safe_load(ci.read_text(encoding="utf-8"))
    return {
        "name": "ci",
        "data": {
            "survey": "data/synthetic/synthetic_barometre_2025.csv",
            "codebook": "data/codebook.yaml",
            "columns": None,
        },
        "analysis": {
            "sesoi": 0.2,
            "alpha": 0.05,
            "controls": [],
            "bootstrap": 50,
            "weights": "none",
            "min_cell": 5,
        },
        "seed": 2025,
    }


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes_with_papermill(path, tmp_path):
    papermill = pytest.importorskip("papermill")
    parameters = _ci_parameters()
    figures = tmp_path / "figures"
    out = tmp_path / path.name
    papermill.execute_notebook(
        str(path),
        str(out),
        parameters={**parameters, "output_dir": str(figures)},
        cwd=str(NOTEBOOK_DIR),
        kernel_name="python3",
        progress_bar=False,
    )
    nb = _read(out)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    stderr = [
        o.text
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert not stderr, "warnings printed into the report: " + "".join(stderr)
    shown = [c for c in nb.cells if c.cell_type == "code" and "show_figure(" in c.source]
    assert len(list(figures.glob("*.png"))) == len(shown)
    for cell in shown:
        pngs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(pngs) == 1, "a figure cell shows exactly one image"
        assert pngs[0].metadata["image/png"]["alt"], "figure without a text alternative"
    if path.stem == "03_is_size_decisive":
        from analyse.pipeline.run_result import compute_run_result

        verdict = compute_run_result(params_from_mapping(parameters)).verdict
        text = "".join(
            o.get("data", {}).get("text/markdown", "")
            for c in nb.cells
            for o in c.get("outputs", [])
        )
        label = i18n.messages("fr")(f"verdicts.{verdict}.label")  # French by default
        assert f"Verdict\u00a0: {label}." in text


# ------------------------------------------------- plain papermill, as an analyst or CI runs it


def _papermill(*args: str, cwd: Path = NOTEBOOK_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PAPERMILL), *args, "--no-progress-bar"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _markdown_outputs(nb) -> str:
    return "".join(
        o.get("data", {}).get("text/markdown", "") + o.get("data", {}).get("text/html", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_a_flat_parameter_given_to_papermill_reaches_the_report(tmp_path):
    """``papermill NB out.ipynb -p sesoi 0.3`` is used, not ignored: the bound shown is ±0.3."""
    out = tmp_path / "out.ipynb"
    done = _papermill(
        "03_is_size_decisive.ipynb", str(out), "-p", "sesoi", "0.3", "-p", "bootstrap", "20"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = _markdown_outputs(_read(out))
    assert "±0,30" in text and "±0,20" not in text  # French by default


@pytest.mark.slow
def test_a_flat_parameter_overrides_a_params_file(tmp_path):
    """``-f FILE.yaml -p sesoi 0.35``: the file's sections are used, the flat name on top."""
    params_file = tmp_path / "census.yaml"
    params_file.write_text(
        yaml.safe_dump(
            {
                "name": "census_small",
                "data": {"survey": "data/synthetic/synthetic_census_epci.csv"},
                "analysis": {"bootstrap": 20, "sesoi": 0.25},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.ipynb"
    done = _papermill(
        "03_is_size_decisive.ipynb", str(out), "-f", str(params_file), "-p", "sesoi", "0.35"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = _markdown_outputs(_read(out))
    assert "±0,35" in text and "±0,25" not in text
    n = int(re.search(r"Avec (\d[\d\u202f]*) répondants", text).group(1).replace("\u202f", ""))
    assert n > 1000  # the file's survey (the census), not the parameter cell's 56-row panel


@pytest.mark.slow
def test_an_unknown_parameter_fails_the_notebook_naming_it(tmp_path):
    """Papermill only warns about an undeclared name; the setup cell refuses it (exit != 0)."""
    out = tmp_path / "out.ipynb"
    done = _papermill("01_data_quality.ipynb", str(out), "-p", "sesoy", "0.3")
    assert done.returncode != 0
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "UnknownParameterError"
    assert "unknown parameter 'sesoy'; did you mean 'sesoi'?" in errors[0]["evalue"]
