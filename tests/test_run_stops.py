"""How a run stops when a notebook cannot finish, and what its failed pages may show.

A cell that runs too long fails the run with its notebook and cell named (``--timeout``); a
kernel that dies says so, with the cell it was running; a failed run of real (not synthetic)
data keeps no output that may show respondents' rows unless ``--debug``. Tiny stand-in
notebooks, and ``_compute_results`` replaced, as in tests/test_runner.py.
"""

from __future__ import annotations

import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from test_runner import fake_results, notebook, write_notebooks, write_params

from analyse import cli
from analyse.data.provenance import truth_path
from analyse.params import load_params
from analyse.pipeline import runner

pytestmark = pytest.mark.slow  # every test here starts Jupyter kernels

ROW = "RESPONDENT_ROW_4417"  # a value a cell prints, as a table of respondents would
ROW_CODE = "'RESPONDENT' + '_ROW_4417'"  # how the code computes it: the code itself is shown


def kept_text(kept) -> str:
    """Everything a failed attempt keeps, as text."""
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in kept.rglob("*") if p.is_file()
    )


def test_a_cell_over_the_timeout_fails_the_run_naming_notebook_and_cell(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    root = tmp_path / "project"
    slow = notebook(new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(120)"))
    write_notebooks(root / "notebooks", **{"01_slow": slow})
    params_path = write_params(tmp_path / "params", "slow")
    out = tmp_path / "reports"
    monkeypatch.setenv("ANALYSE_ROOT", str(root))
    argv = ["analyse", "run", str(params_path), "--output-dir", str(out), "--timeout", "3"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    output = capsys.readouterr()
    text = " ".join((output.out + output.err).split())
    assert "Traceback" not in text
    (kept,) = (out / "_failed").iterdir()
    assert (
        "run slow: notebook 01_slow.ipynb exceeded the 3 s timeout (cell 4); raise --timeout "
        f"or check the data; partial notebook kept in {kept / '01_slow.ipynb'}"
    ) in text
    assert "exceeded the 3 s timeout" in (kept / "01_slow.html").read_text(encoding="utf-8")
    assert not (out / "slow").exists()


def test_a_dead_kernel_is_reported_with_its_notebook_and_cell(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    dies = notebook(
        new_code_cell("x = 1"), new_code_cell("import os, signal\nos.kill(os.getpid(), 9)")
    )
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_dies": dies})
    params_path = write_params(tmp_path / "params", "dies")
    (outcome,) = runner.run_all([params_path], tmp_path / "reports", notebooks_dir=notebooks)
    assert outcome.status == "failed"
    assert "cell unknown" not in outcome.message
    assert outcome.message.startswith(
        "run dies: the Jupyter kernel died while running notebook 01_dies.ipynb, cell 4 "
        "(killed by SIGKILL, as the system kills a process that runs out of memory); "
        "partial notebook kept in "
    )
    assert outcome.failure is not None and outcome.failure.cell == 4


def test_failed_pages_of_real_data_show_no_rows_unless_debug(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    leaky = notebook(
        new_code_cell(f"print({ROW_CODE})"),
        new_code_cell(
            f"import pathlib\npathlib.Path(output_dir, 'rows.csv').write_text({ROW_CODE})"
        ),
        new_code_cell(f"row = {ROW_CODE}\nraise ValueError('bad answer in a row')"),
    )
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_leaky": leaky})
    params_path = write_params(tmp_path / "params", "real")
    truth_path(load_params(params_path).survey_path).unlink()  # real data: no truth file
    out = tmp_path / "reports"

    (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert outcome.status == "failed"
    assert "failed at cell 5: ValueError: bad answer in a row" in outcome.message
    kept = outcome.path
    assert ROW not in kept_text(kept)  # the traceback would show the line with the value
    assert not (kept / "rows.csv").exists()
    html = (kept / "01_leaky.html").read_text(encoding="utf-8")
    assert "ValueError: bad answer in a row" in html
    assert "Outputs removed." in html and "analyse run --debug" in html
    partial = nbformat.read(kept / "01_leaky.ipynb", as_version=4)
    assert [o["ename"] for c in partial.cells for o in c.get("outputs", [])] == ["ValueError"]

    (debugged,) = runner.run_all([params_path], out, notebooks_dir=notebooks, debug=True)
    assert debugged.status == "failed"
    assert ROW in (debugged.path / "01_leaky.html").read_text(encoding="utf-8")
    assert (debugged.path / "rows.csv").exists()
