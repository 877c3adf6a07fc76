"""The run's analysis, computed in the run's kernel, comes back to the runner as if computed in
the command: the same document and warnings, or the same exception with the kernel's traceback;
and the command itself never imports the scientific stack (the kernel does).

The kernel's side (``answer``) is called in this process here, with the analysis replaced:
the runner's tests (tests/test_runner.py, tests/test_weights.py) run it in a real kernel.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from types import SimpleNamespace

import pytest

from analyse.errors import InputError, Problem
from analyse.params import load_params
from analyse.paths import project_root
from analyse.pipeline import preflight, run_result
from analyse.pipeline.analysis_in_kernel import (
    ANSWER_FILE,
    AnalysisError,
    answer,
    read_answer,
    request,
)


def payload_of(code: str) -> str:
    """The argument ``request`` passes to ``answer`` in the code the kernel executes."""
    (call,) = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)]
    return ast.literal_eval(call.args[0])


@pytest.fixture
def params():
    return load_params(project_root() / "params" / "default.yaml")


def test_a_computed_result_comes_back_with_its_document_and_warnings(tmp_path, monkeypatch, params):
    stored = []
    result = SimpleNamespace(scored="the scored survey", input_warnings=("row 3: a bad SIRET",))
    monkeypatch.setattr(run_result, "compute_run_result", lambda p, **kw: result)
    monkeypatch.setattr(run_result, "save_run_result", lambda r, folder: stored.append(folder))
    monkeypatch.setattr(run_result, "results_document", lambda r: {"verdict": "negligible"})
    named = []
    monkeypatch.setattr(
        preflight,
        "run_warnings",
        lambda p, scored, name_labels: (
            named.append(name_labels) or [f"{p.name}: a SIREN twice in {scored}"]
        ),
    )
    code = request(params, tmp_path)
    answer(payload_of(code))
    document, warnings = read_answer(tmp_path)
    assert document == {"verdict": "negligible"}
    # loading's warnings first, then the scored survey's
    assert warnings == ["row 3: a bad SIRET", "default: a SIREN twice in the scored survey"]
    assert named == [False]  # a run's output may be a public CI log: rare labels unnamed
    assert stored == [str(tmp_path)]  # the result is stored where the notebooks read it
    assert not (tmp_path / ANSWER_FILE).exists()  # no part of a report


def test_a_failed_analysis_raises_its_own_exception_with_the_kernel_traceback(
    tmp_path, monkeypatch, params
):
    def unidentifiable(p, **kw):
        raise InputError([Problem("survey.csv", "budget_per_capita has the same value")])

    monkeypatch.setattr(run_result, "compute_run_result", unidentifiable)
    answer(payload_of(request(params, tmp_path)))
    with pytest.raises(InputError) as raised:
        read_answer(tmp_path)
    assert raised.value.problems == [Problem("survey.csv", "budget_per_capita has the same value")]
    assert "unidentifiable" in raised.value.kernel_traceback  # where it failed, in the kernel


def test_an_exception_that_cannot_travel_is_described(tmp_path, monkeypatch, params):
    class Local(Exception):  # a local class cannot be pickled
        pass

    def broken(p, **kw):
        raise Local("no respondents left")

    monkeypatch.setattr(run_result, "compute_run_result", broken)
    answer(payload_of(request(params, tmp_path)))
    with pytest.raises(AnalysisError, match="Local: no respondents left"):
        read_answer(tmp_path)


def test_an_input_error_pickles_with_its_problems():
    problems = [Problem("a.csv", "empty", row=2, column="x"), Problem("b.yaml", "unknown key")]
    copy = pickle.loads(pickle.dumps(InputError(problems)))
    assert type(copy) is InputError and copy.problems == problems
    assert str(copy) == str(InputError(problems))


def test_the_command_does_not_import_the_scientific_stack():
    """What a skipped run does (load and check the parameter files, checksums, the plan, the
    site index) imports neither pandas nor numpy, statsmodels or matplotlib: the kernel does."""
    code = (
        "import sys\n"
        "from analyse import cli\n"
        "from analyse.paths import project_root\n"
        "from analyse.pipeline import index_pages, publish\n"
        "from analyse.pipeline.manifest import code_digest, environment_versions, git_state\n"
        "from analyse.pipeline.runner import find_notebooks, load_all, make_plan\n"
        "(path, params), = load_all([project_root() / 'params' / 'default.yaml'])\n"
        "env = {'git': git_state(), 'versions': environment_versions(), 'code': code_digest()}\n"
        "notebooks = find_notebooks(project_root() / 'notebooks')\n"
        "make_plan(path, params, notebooks, project_root() / 'reports', env)\n"
        "index_pages.site_index_html\n"
        "heavy = ('pandas', 'numpy', 'scipy', 'statsmodels', 'matplotlib', 'papermill')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_command_imports_nbformat_without_the_iri_grammars():
    """``skip_iri_grammars`` (called by ``analyse run``) keeps jsonschema from compiling the
    IRI grammars of ``rfc3987_syntax`` when papermill imports nbformat; notebooks still
    validate."""
    code = (
        "import sys\n"
        "from analyse.pipeline.kernel import skip_iri_grammars\n"
        "skip_iri_grammars()\n"
        "import nbformat\n"
        "from analyse.paths import project_root\n"
        "nb = nbformat.read(project_root() / 'notebooks' / '01_data_quality.ipynb', 4)\n"
        "nbformat.validate(nb)\n"
        "print(sys.modules.get('rfc3987_syntax'), 'jsonschema' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["None", "True"]
