"""The pipeline end to end on tiny throw-away notebooks: what a run publishes, that unchanged
inputs are skipped, that a failure keeps its partial notebook and never touches the last good
report, and that several parameter files run in separate processes.

``analyse.pipeline.runner._compute_results`` is replaced by a small deterministic function so
these tests exercise the pipeline, not the statistics (one test checks the real one separately).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell
from tiny_notebooks import python3_notebook

from analyse import cli
from analyse.data.provenance import truth_path
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.pipeline import publish, runner
from analyse.report.i18n import messages

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CODE_MARKER = "DISTINCTIVE_CODE_MARKER_8311"
FRENCH = messages("fr")  # reports are French by default
ALT = "A falling line of three test values"
PARAMETERS = 'name = "x"\nsesoi = 0.2\nseed = 0\noutput_dir = ""'

pytestmark = pytest.mark.slow  # every test here starts Jupyter kernels


# ------------------------------------------------------------------------------ builders


def notebook(*cells) -> nbformat.NotebookNode:
    nb = python3_notebook(
        [
            new_markdown_cell("# A tiny notebook"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            *cells,
        ]
    )
    return nb


GOOD = notebook(
    new_code_cell(
        f"{CODE_MARKER} = seed + 1\n"
        "import pathlib\n"
        "print('run', name, 'seed', seed, 'sesoi', sesoi)\n"
        "print('staging is absolute:', pathlib.Path(output_dir).is_absolute())"
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\nplt.show()"
    ),
    new_code_cell(  # a figure with its own text alternative, as analyse.report.notebook shows them
        "import io\nfrom IPython.display import Image, display\n"
        "fig, ax = plt.subplots()\nax.plot([3, 2, 1])\nbuffer = io.BytesIO()\n"
        "fig.savefig(buffer, format='png')\nplt.close(fig)\n"
        f"display(Image(data=buffer.getvalue(), format='png', metadata={{'alt': '{ALT}'}}))"
    ),
    new_code_cell(  # a file the notebook writes into the run folder itself
        "if output_dir:\n    pathlib.Path(output_dir, 'note.txt').write_text('aggregate only')"
    ),
)
BAD = notebook(
    new_code_cell("x = 1"),
    new_code_cell("raise ValueError('deliberate failure')"),
    new_code_cell("y = 2"),
)


def write_notebooks(folder: Path, **notebooks: nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, nb in notebooks.items():
        nbformat.write(nb, folder / f"{stem}.ipynb")
    return folder


def write_params(folder: Path, name: str, seed: int = 1) -> Path:
    """A params file whose survey is marked synthetic by a truth file (for the notice).

    Absolute paths, so that a test may move the project root (``ANALYSE_ROOT``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    survey = folder / f"survey_{name}.csv"
    survey.write_text("id,score\n1,2\n2,3\n", encoding="utf-8")
    truth = {"synthetic": True, "survey_sha256": sha256(survey)}
    truth_path(survey).write_text(json.dumps(truth), encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "data": {"survey": str(survey), "codebook": str(default_codebook_path())},
                "analysis": {"bootstrap": 10},
                "seed": seed,
            }
        ),
        encoding="utf-8",
    )
    return path


def fake_results(params, staging=None) -> dict:
    """Deterministic, with floats and non-ASCII text, like the real results."""
    return {
        "verdict": "negligible",
        "verdict_sentence": "size adds nothing once means are held fixed",
        "run": {"name": params.name, "seed": params.seed},
        "estimates": {"size": 1 / 3, "budget": 0.1 + 0.2, "label": "collectivités"},
    }


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------- one published run, shared


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One successful run, inspected read-only by several tests."""
    root = tmp_path_factory.mktemp("published")
    notebooks = write_notebooks(root / "notebooks", **{"01_good": GOOD})
    params_path = write_params(root / "params", "demo", seed=11)
    out = root / "reports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_compute_results", fake_results)
        (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    return outcome, out / "demo", params_path, notebooks


def test_successful_run_publishes_every_file(published):
    outcome, run_dir, _, _ = published
    assert outcome.status == "published" and outcome.ok and outcome.path == run_dir
    names = set(tree_bytes(run_dir))
    assert {
        "index.html",
        "01_good.html",
        "01_good.reader.html",
        "01_good.ipynb",
        "figures/01_good-1.png",
        "results.json",
        "manifest.json",
    } <= names
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".staging")]


def test_notebooks_receive_the_params_and_an_absolute_output_dir(published):
    _, run_dir, _, _ = published
    nb = nbformat.read(run_dir / "01_good.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    for key in ("name", "survey", "codebook", "sesoi", "min_cell", "seed", "output_dir"):
        assert f"\n{key} = " in injected.source  # flat parameters, one per key
    assert "\ndata = " not in injected.source and "\nanalysis = " not in injected.source
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "run demo seed 11 sesoi 0.2" in text
    assert "staging is absolute: True" in text


def test_reader_version_hides_code_and_full_version_shows_it(published):
    _, run_dir, _, _ = published
    full = (run_dir / "01_good.html").read_text(encoding="utf-8")
    reader = (run_dir / "01_good.reader.html").read_text(encoding="utf-8")
    assert CODE_MARKER in full
    assert CODE_MARKER not in reader
    assert "run demo seed 11" in reader  # outputs stay in the reader version
    for page in (full, reader):  # images embedded, pages self-contained, with alt text
        assert "data:image/png;base64," in page
        # in the report's language, French by default
        assert f'alt="{FRENCH("pages.figure_alt", number=1, notebook="1")}"' in page
        assert f'alt="{ALT}"' in page  # the notebook's own alt text wins


def test_figures_are_valid_png_files(published):
    _, run_dir, _, _ = published
    for number in (1, 2):
        png = (run_dir / "figures" / f"01_good-{number}.png").read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 1000
    assert not (run_dir / "figures" / "01_good-3.png").exists()


def test_results_json_is_the_canonical_dump_of_the_results(published):
    _, run_dir, params_path, _ = published
    expected = fake_results(load_params(params_path))
    text = (run_dir / "results.json").read_text(encoding="utf-8")
    assert json.loads(text) == expected
    assert text == json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "collectivités" in text  # UTF-8, not \\u escapes


def test_manifest_records_checksums_params_versions_and_timings(published):
    _, run_dir, params_path, notebooks = published
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    params = load_params(params_path)
    inputs = manifest["inputs"]
    assert inputs["params"]["sha256"] == sha256(params_path)
    assert inputs["survey"]["sha256"] == sha256(params.survey_path)
    assert inputs["codebook"]["sha256"] == sha256(params.codebook_path)
    assert inputs["notebooks"]["01_good.ipynb"]["sha256"] == sha256(notebooks / "01_good.ipynb")
    # the parameters as given, but input paths outside the project by their file name only: a
    # published manifest does not reveal the building machine's folders (failed before)
    expected = params.model_dump(mode="json")
    expected["data"].update(survey="survey_demo.csv", codebook="data/codebook.yaml")
    assert manifest["params"] == expected
    assert str(params_path.parent) not in json.dumps(manifest)
    assert len(manifest["params_digest"]) == 64 and len(manifest["inputs_digest"]) == 64
    assert set(manifest["git"]) == {"commit", "dirty"}
    versions = manifest["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert {"papermill", "nbconvert", "pandas"} <= set(versions["packages"])
    assert manifest["started_at"] <= manifest["ended_at"]
    assert manifest["analysis"]["duration_seconds"] >= 0  # the run's result, computed once
    (timing,) = manifest["notebooks"]  # the index lists these: notebooks only
    assert timing["file"] == "01_good.ipynb" and timing["duration_seconds"] > 0
    for relative, digest in manifest["outputs"].items():
        assert sha256(run_dir / relative) == digest
    assert "manifest.json" not in manifest["outputs"] and "results.json" in manifest["outputs"]
    assert manifest["notebook_files"] == ["note.txt"] and "note.txt" in manifest["outputs"]


def test_run_index_page_is_accessible_and_links_everything(published):
    _, run_dir, _, _ = published
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<title>" in page and "<main>" in page
    assert "<h1>" in page
    for href in (
        "01_good.reader.html",
        "01_good.html",
        "results.json",
        "manifest.json",
        "figures/01_good-1.png",
    ):
        assert f'href="{href}"' in page
    alt = FRENCH("pages.figure_alt_described", number=2, notebook="1", description=ALT)
    assert f'alt="{FRENCH("pages.figure_alt", number=1, notebook="1")}"' in page
    assert f'alt="{alt}"' in page
    assert 'href="note.txt"' in page  # files the notebooks wrote are listed
    assert FRENCH("verdicts.negligible.label") in page
    assert "Données synthétiques." in page


def test_site_index_lists_the_run(published):
    _, run_dir, _, _ = published
    page = (run_dir.parent / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and 'href="demo/index.html"' in page
    assert FRENCH("verdicts.negligible.label") in page


# ------------------------------------------------------------------ skip, force, determinism


def test_unchanged_run_is_skipped_force_reruns_with_identical_results(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_good": GOOD})
    params_path = write_params(tmp_path / "params", "again")
    out = tmp_path / "reports"

    (first,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    before = tree_bytes(out / "again")
    manifest = json.loads(before["manifest.json"])

    (second,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert second.status == "skipped" and second.ok
    assert second.message == (f"run again: unchanged since {manifest['ended_at']}, skipped")
    assert tree_bytes(out / "again") == before

    (third,) = runner.run_all([params_path], out, notebooks_dir=notebooks, force=True)
    assert third.status == "published"
    after = tree_bytes(out / "again")
    assert after["results.json"] == before["results.json"]  # same inputs, same bytes
    assert json.loads(after["manifest.json"])["inputs_digest"] == manifest["inputs_digest"]
    assert not (out / "_failed").exists()


def test_inputs_digest_changes_with_any_input(tmp_path):
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_good": GOOD})
    params_path = write_params(tmp_path / "params", "digest")
    env = {"git": {}, "versions": {"analyse": "0", "python": "3", "packages": {}}, "code": "c"}

    def digest() -> str:
        found = runner.find_notebooks(notebooks)
        return runner.make_plan(
            params_path, load_params(params_path), found, tmp_path, env
        ).inputs_digest

    base = digest()
    assert digest() == base
    survey = load_params(params_path).survey_path
    survey.write_text(survey.read_text() + "3,4\n")
    assert digest() != base
    base = digest()
    write_notebooks(notebooks, **{"02_more": GOOD})
    assert digest() != base
    base = digest()
    env["code"] = "changed"
    assert digest() != base


# -------------------------------------------------------------------------------- failures


def test_failing_notebook_exits_1_keeps_partial_notebook_and_last_good_report(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    root = tmp_path / "project"
    notebooks = write_notebooks(root / "notebooks", **{"01_good": GOOD})
    params_path = write_params(tmp_path / "params", "fragile")
    out = tmp_path / "reports"
    (good,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert good.status == "published"
    published = tree_bytes(out / "fragile")

    write_notebooks(notebooks, **{"02_bad": BAD})
    monkeypatch.setenv("ANALYSE_ROOT", str(root))  # the CLI's default notebooks folder
    monkeypatch.setattr(sys, "argv", ["analyse", "run", str(params_path), "--output-dir", str(out)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1

    output = capsys.readouterr()
    text = " ".join((output.out + output.err).split())  # undo console wrapping
    assert "Traceback" not in text
    (kept,) = (out / "_failed").iterdir()
    assert kept.name.startswith("fragile-")
    assert (
        "run fragile: notebook 02_bad.ipynb failed at cell 4: ValueError: deliberate failure; "
        f"partial notebook kept in {kept / '02_bad.ipynb'}"
    ) in text

    partial = nbformat.read(kept / "02_bad.ipynb", as_version=4)
    errors = [
        o for c in partial.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors and errors[0]["ename"] == "ValueError"
    assert "deliberate failure" in (kept / "02_bad.html").read_text(encoding="utf-8")
    assert (kept / "01_good.ipynb").exists()
    assert tree_bytes(out / "fragile") == published  # the last good report, byte for byte
    assert "_failed/" + kept.name in (out / "index.html").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_failing_analysis_fails_the_run_before_any_notebook(tmp_path, monkeypatch):
    """The run's result is computed before the notebooks: if it fails, no notebook runs."""

    def broken(params, staging):
        raise ZeroDivisionError("no respondents left")

    monkeypatch.setattr(runner, "_compute_results", broken)
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_good": GOOD})
    params_path = write_params(tmp_path / "params", "nores")
    out = tmp_path / "reports"
    (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert outcome.status == "failed" and not outcome.ok
    assert "analysis failed: ZeroDivisionError: no respondents left" in outcome.message
    assert "; error.txt kept in" in outcome.message  # no notebook to keep
    assert outcome.path.parent == out / "_failed"
    assert "ZeroDivisionError" in (outcome.path / "error.txt").read_text(encoding="utf-8")
    assert not (outcome.path / "01_good.ipynb").exists()
    assert not (out / "nores").exists()


def test_swap_restores_the_old_report_when_the_final_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "run"
    target.mkdir()
    (target / "index.html").write_text("old")
    manifest = {"name": "run", "inputs_digest": "d", "versions": {"analyse": "0"}, "outputs": {}}
    (target / "manifest.json").write_text(json.dumps(manifest))  # a report: replaceable
    staging = tmp_path / ".staging-run-x"
    staging.mkdir()
    (staging / "index.html").write_text("new")
    real_replace = os.replace

    def flaky(src, dst):
        if Path(src) == staging:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(runner.os, "replace", flaky)
    with pytest.raises(OSError):
        runner._swap_in(staging, target)
    assert (target / "index.html").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".old")] == []


# -------------------------------------------------------------------------------- parallel


def test_two_params_files_run_in_parallel_worker_processes(tmp_path, monkeypatch):
    def results_with_pid(params, staging=None) -> dict:
        return {"verdict": "inconclusive", "pid": os.getpid(), "name": params.name}

    monkeypatch.setattr(runner, "_compute_results", results_with_pid)
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_good": GOOD})
    paths = [write_params(tmp_path / "params", name) for name in ("left", "right")]
    out = tmp_path / "reports"
    outcomes = runner.run_all(paths, out, jobs=2, notebooks_dir=notebooks)

    assert [o.name for o in outcomes] == ["left", "right"]
    assert all(o.status == "published" for o in outcomes)
    pids = {json.loads((out / n / "results.json").read_text())["pid"] for n in ("left", "right")}
    assert len(pids) == 2 and os.getpid() not in pids  # two separate worker processes
    site = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="left/index.html"' in site and 'href="right/index.html"' in site


# --------------------------------------------------------------------- the real results


def test_real_results_are_byte_identical_for_the_same_inputs(tmp_path):
    """``results.json`` carries no timing: the real analysis twice gives the same bytes."""
    from analyse.params import load_params as load
    from analyse.paths import project_root
    from analyse.pipeline.publish import dump_json
    from analyse.stats.equivalence import VERDICTS

    params = load(project_root() / "params" / "ci.yaml")
    first = dump_json(runner._compute_results(params, tmp_path / "a"))
    second = dump_json(runner._compute_results(params, tmp_path / "b"))
    assert first == second
    assert json.loads(first)["verdict"] in VERDICTS


def test_a_kernel_that_cannot_start_fails_its_run_not_the_command(tmp_path, monkeypatch):
    """Every parameter file still gets an outcome, and the site index is written."""
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    monkeypatch.setattr(runner, "KERNEL_NAME", "no-such-kernel")
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_good": GOOD})
    paths = [write_params(tmp_path / "params", name) for name in ("one", "two")]
    out = tmp_path / "reports"
    outcomes = runner.run_all(paths, out, jobs=1, notebooks_dir=notebooks)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("starting the Jupyter kernel failed: NoSuchKernel" in o.message for o in outcomes)
    assert (out / "index.html").is_file()


def test_a_notebook_does_not_inherit_the_previous_one_s_state(tmp_path, monkeypatch):
    """One kernel, but each notebook starts as in a fresh one: no variable, figure style or
    working folder of the notebook before."""
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    leak = notebook(
        new_code_cell(
            "import os, matplotlib\nLEFTOVER = 1\n"
            "matplotlib.rcParams['savefig.facecolor'] = 'red'\nos.chdir('/')"
        )
    )
    check = notebook(
        new_code_cell(
            "import os, matplotlib\n"
            "print('leftover' in globals(), 'LEFTOVER' in globals())\n"
            "print(matplotlib.rcParams['savefig.facecolor'], os.getcwd())"
        )
    )
    notebooks = write_notebooks(tmp_path / "notebooks", **{"01_leak": leak, "02_check": check})
    params_path = write_params(tmp_path / "params", "fresh")
    (outcome,) = runner.run_all([params_path], tmp_path / "reports", notebooks_dir=notebooks)
    assert outcome.status == "published", outcome.message
    nb = nbformat.read(tmp_path / "reports" / "fresh" / "02_check.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "False False" in text
    # the working folder is the notebooks' folder, published without the machine's folders
    assert (
        f"auto {publish.scrub_text(str(notebooks.resolve()), tmp_path / 'reports' / 'fresh')}"
        in text
    )
    assert str(tmp_path) not in text
    assert nb.cells[-1].execution_count == 3  # parameters, injected, this: as in a fresh kernel
