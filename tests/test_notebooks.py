"""The analysis notebooks: stored clean, parameterised for papermill, thin, and they run."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

from analyse.params import params_from_mapping
from analyse.paths import project_root

NOTEBOOK_DIR = project_root() / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PARAMETER_NAMES = {"name", "data", "analysis", "seed", "output_dir"}
EXPECTED = [
    "01_data_quality",
    "02_descriptives",
    "03_is_size_decisive",
    "04_themes",
    "05_robustness_sensitivity",
]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _parameter_cells(nb):
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def _ids(paths):
    return [p.stem for p in paths]


def test_the_five_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_valid_and_stored_without_outputs(path):
    nb = _read(path)
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
    params = params_from_mapping({k: namespace[k] for k in ("name", "data", "analysis", "seed")})
    assert params.name == "default"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_parameters_match_the_params_files(path):
    """Every key of a params file is a notebook parameter, so papermill -f works."""
    cell = _parameter_cells(_read(path))[0]
    for params_file in sorted((project_root() / "params").glob("*.yaml")):
        keys = set(yaml.safe_load(params_file.read_text(encoding="utf-8")))
        assert keys <= PARAMETER_NAMES, f"{params_file.name} has keys the notebook lacks"
    assert "setup(name, data, analysis, seed)" in "".join(
        c.source for c in _read(path).cells if c.cell_type == "code" and c is not cell
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebooks_stay_thin(path):
    """No function, class or loop in a notebook: logic belongs in the package, tested."""
    for cell in _read(path).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        banned = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.AsyncFunctionDef)
        assert not [n for n in ast.walk(tree) if isinstance(n, banned)], cell.source
        assert len(cell.source.splitlines()) <= 8, cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_figure_is_described_before_it_is_shown(path):
    """RGAA: a Markdown caption describing the figure precedes each figure cell."""
    cells = _read(path).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "show_figure(" in cell.source:
            before = cells[i - 1]
            assert before.cell_type == "markdown", cell.source
            assert "**Figure" in before.source, cell.source


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
        from analyse.pipeline.run_result import compute_results

        verdict = compute_results(params_from_mapping(parameters))["verdict"]
        text = "".join(
            o.get("data", {}).get("text/markdown", "")
            for c in nb.cells
            for o in c.get("outputs", [])
        )
        assert f"Verdict: {verdict}." in text
