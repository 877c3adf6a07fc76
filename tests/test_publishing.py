"""The output folder is the user's: publishing replaces only this package's reports, reserves
its own names, leaves it readable and clean, and a skip trusts only an intact report.

Most tests stop before any notebook runs. Those that publish use one tiny notebook, and
``analyse.pipeline.runner._compute_results`` is replaced by a small deterministic function,
as in ``tests/test_runner.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell
from run_command import run_main
from tiny_notebooks import python3_notebook

from analyse import cli
from analyse.data.provenance import truth_path
from analyse.data.reference import frame_files
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.pipeline import index_pages, output_folder, runner
from analyse.pipeline.manifest import code_digest, environment_versions, git_state
from analyse.pipeline.run_result import result_key

NOT_A_REPORT = "exists and is not a report of analyse: move it or choose another --output-dir"


# ------------------------------------------------------------------------------ builders


def tiny_notebook() -> nbformat.NotebookNode:
    nb = python3_notebook(
        [
            new_code_cell(
                'name = "x"\nsesoi = 0.2\nseed = 0\noutput_dir = ""',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell("print('run', name)"),
        ]
    )
    return nb


def make_project(root: Path, name: str = "demo") -> tuple[Path, Path]:
    """A project root (``ANALYSE_ROOT``) with one tiny notebook, and a params file in it."""
    notebooks = root / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    nbformat.write(tiny_notebook(), notebooks / "01_tiny.ipynb")
    survey = root / "survey.csv"
    survey.write_text("id,score\n1,2\n2,3\n", encoding="utf-8")
    params = root / f"{name}.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "name": name,
                "data": {"survey": str(survey), "codebook": str(default_codebook_path())},
                "analysis": {"bootstrap": 10},
            }
        ),
        encoding="utf-8",
    )
    return params, notebooks


def fake_results(params, staging=None) -> dict:
    return {"verdict": "negligible", "run": {"name": params.name, "seed": params.seed}}


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def plan_for(params_path: Path, notebooks: Path, out: Path) -> runner.RunPlan:
    """The plan ``run_all`` makes, with the real environment (so its digest is the real one)."""
    environment = {"git": git_state(), "versions": environment_versions(), "code": code_digest()}
    found = runner.find_notebooks(notebooks)
    return runner.make_plan(params_path, load_params(params_path), found, out, environment)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One run published under umask 027, copied by the tests that alter it."""
    root = tmp_path_factory.mktemp("published")
    params_path, notebooks = make_project(root)
    out = root / "reports"
    old_mask = os.umask(0o027)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(runner, "_compute_results", fake_results)
            (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    finally:
        os.umask(old_mask)
    assert outcome.status == "published", outcome.message
    return params_path, notebooks, out


@pytest.fixture
def copied(published, tmp_path):
    """A copy of the published output folder that a test may alter."""
    params_path, notebooks, out = published
    copy = tmp_path / "reports"
    shutil.copytree(out, copy)
    return params_path, notebooks, copy


# --------------------------------------------------------------- never delete a user's folder


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["folder", "foreign manifest", "file", "symlink"])
def test_a_user_folder_with_the_run_s_name_is_never_replaced(tmp_path, monkeypatch, capsys, kind):
    """Before: the run published over it, deleting the user's files (exit 0)."""
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    params_path, _ = make_project(tmp_path / "project")
    monkeypatch.setenv("ANALYSE_ROOT", str(tmp_path / "project"))  # its tiny notebooks
    out = tmp_path / "reports"
    target = out / "demo"
    out.mkdir()
    if kind == "file":
        target.write_text("my notes")
    elif kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("my notes")
        if kind == "foreign manifest":  # another tool's manifest.json is not ours
            (target / "manifest.json").write_text(json.dumps({"name": "demo", "files": []}))
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else None

    assert run_main(monkeypatch, "run", params_path, "--output-dir", out) == 2
    err = capsys.readouterr().err
    if kind == "symlink":
        expected = "is a symbolic link, which publishing would replace: move it or choose"
    else:
        expected = NOT_A_REPORT
    assert f"{out / 'demo'}: {expected}" in " ".join(err.split())
    assert "Traceback" not in err
    if kind == "file":
        assert target.read_text() == "my notes"
    else:
        assert sorted(p.name for p in target.iterdir()) == before
    assert target.is_symlink() == (kind == "symlink")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # nothing was staged


@pytest.mark.parametrize("name", ["_failed", "_x", ".hidden", "-x"])
def test_reserved_run_names_are_refused(tmp_path, monkeypatch, capsys, name):
    """Before: ``name: _failed`` was accepted and its report replaced every kept failed
    attempt (``.hidden`` was already refused)."""
    params_path, _ = make_project(tmp_path / "project", name="ok")
    params = yaml.safe_load(params_path.read_text())
    params_path.write_text(yaml.safe_dump({**params, "name": name}))
    kept = tmp_path / "reports" / "_failed" / "demo-20250101T000000Z"
    kept.mkdir(parents=True)
    assert run_main(monkeypatch, "run", params_path, "--output-dir", tmp_path / "reports") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "name: String should match pattern" in err
    assert "names starting with '_' or '.' are reserved" in err
    assert kept.is_dir()


def test_a_report_an_empty_folder_or_nothing_may_be_replaced(tmp_path):
    assert output_folder.replaceable(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    assert output_folder.replaceable(tmp_path / "empty")
    report = tmp_path / "report"
    report.mkdir()
    manifest = {"name": "r", "inputs_digest": "d", "versions": {"analyse": "1"}, "outputs": {}}
    (report / "manifest.json").write_text(json.dumps(manifest))
    assert output_folder.replaceable(report)
    (report / "manifest.json").write_text("not json")
    assert not output_folder.replaceable(report)


def test_a_folder_made_during_the_run_is_not_replaced_at_the_swap(tmp_path):
    """The check is repeated at the swap: a folder created while the notebooks ran survives."""
    staging = tmp_path / ".staging-run.1.abcdefgh"
    staging.mkdir()
    (staging / "index.html").write_text("new")
    target = tmp_path / "run"
    target.mkdir()
    (target / "thesis.tex").write_text("mine")
    with pytest.raises(runner.InputError, match="is not a report of analyse"):
        runner._swap_in(staging, target)
    assert (target / "thesis.tex").read_text() == "mine" and staging.is_dir()


# ------------------------------------------------------------------ an unusable output folder


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody may write to: mode 0555, or for root (who ignores modes) a read-only
    bind mount; skipped where neither can be made."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mount = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True, check=False
    )
    if mount.returncode != 0:
        pytest.skip("root cannot be refused a folder here (no read-only bind mount)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_read_only_output_folder_exits_2_without_traceback(
    tmp_path, monkeypatch, capsys, read_only_dir
):
    """Before: a traceback (PermissionError or OSError: read-only file system), exit 1."""
    params_path, _ = make_project(tmp_path / "project")
    assert run_main(monkeypatch, "run", params_path, "--output-dir", read_only_dir) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{read_only_dir}: output folder cannot be used:" in err
    assert "read-only" in err or "permission denied" in err
    assert "Traceback" not in err


def test_an_output_path_under_a_file_exits_2_without_traceback(tmp_path, monkeypatch, capsys):
    """Before: NotADirectoryError with a traceback, exit 1."""
    params_path, _ = make_project(tmp_path / "project")
    (tmp_path / "notes.txt").write_text("a file")
    out = tmp_path / "notes.txt" / "reports"
    assert run_main(monkeypatch, "run", params_path, "--output-dir", out) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{out}: output folder cannot be used: part of the path is a file" in err
    assert "Traceback" not in err
    assert (tmp_path / "notes.txt").read_text() == "a file"


def test_a_run_name_too_long_for_the_file_system_exits_2(tmp_path, monkeypatch, capsys):
    """Before: ``OSError: File name too long`` with a traceback once the staging folder was
    made, exit 1. A name is now at most 100 characters (validated with the params)."""
    params_path, _ = make_project(tmp_path / "project", name="n" * 250)
    assert run_main(monkeypatch, "run", params_path, "--output-dir", tmp_path / "out") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "name: String should have at most 100 characters" in err
    assert "Traceback" not in err


def test_names_too_long_for_an_unusual_file_system_exit_2(tmp_path, monkeypatch):
    """A file system with short names (eCryptfs: 143 bytes) refuses a valid name of 100."""
    monkeypatch.setattr(runner.os, "pathconf", lambda path, name: 120)
    with pytest.raises(runner.InputError, match="too long for this folder's file system"):
        runner._prepare_output_dir(tmp_path / "out", ["n" * 100])
    runner._prepare_output_dir(tmp_path / "out", ["n" * 90])


# ------------------------------------------------------------ readable reports, clean folder


@pytest.mark.slow
def test_published_folders_and_files_follow_the_umask(published):
    """Before: the run folder kept mkdtemp's mode 0700 (unreadable to a web server or a
    colleague); the site index was 0640 only by luck of ``write_text``."""
    _, _, out = published
    run_dir = out / "demo"
    modes = {
        p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [run_dir, *run_dir.rglob("*"), out / "index.html"]
    }
    expected = {
        name: 0o750 if (out / name).is_dir() else 0o640 for name in modes
    }  # 0777 and 0666 less the umask 027 the run had
    assert modes == expected


@pytest.mark.slow
def test_leftovers_of_dead_runs_are_cleaned_live_ones_kept(copied):
    """Before: ``.staging-*`` and ``.old-*`` folders of killed runs stayed for ever."""
    params_path, notebooks, out = copied
    dead, live = dead_pid(), os.getpid()
    names = {
        f".staging-demo.{dead}.abcdefgh": "dir",  # its run was killed
        f".old-demo.{dead}.0123abcd": "dir",
        f".index.html.{dead}.k2_x9abc.tmp": "file",
        ".staging-demo-oldstyle": "old dir",  # an older version's name: by age only
        ".index.html.tmp": "old file",
        f".staging-other.{live}.livework": "dir",  # a live run's: kept
        ".old-demo-0123abcd": "dir",  # no owner, recent: kept
        ".hidden-by-user": "dir",  # not the runner's: never touched
    }
    two_days_ago = time.time() - 2 * 24 * 3600
    for name, kind in names.items():
        path = out / name
        if kind.endswith("dir"):
            path.mkdir()
            (path / "index.html").write_text("partial")
        else:
            path.write_text("partial")
        if kind.startswith("old"):
            os.utime(path, (two_days_ago, two_days_ago))

    (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks)
    assert outcome.status == "skipped"  # cleaning needs no run
    left = {p.name for p in out.iterdir() if p.name.startswith(".")}
    assert left == {f".staging-other.{live}.livework", ".old-demo-0123abcd", ".hidden-by-user"}


def test_the_site_index_survives_concurrent_writers(tmp_path):
    """Before: every writer used ``.index.html.tmp``: one's rename took the file another was
    writing (FileNotFoundError, or a reader saw a truncated index)."""
    out = tmp_path / "reports"
    out.mkdir()
    index_pages.write_site_index(out)
    expected = (out / "index.html").read_text(encoding="utf-8")
    errors: list[BaseException] = []
    seen: list[str] = []
    stop = threading.Event()
    start = threading.Barrier(5)

    def writer() -> None:
        start.wait()
        try:
            for _ in range(150):
                index_pages.write_site_index(out)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    def reader() -> None:
        start.wait()
        while not stop.is_set():
            seen.append((out / "index.html").read_text(encoding="utf-8"))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    assert errors == []
    assert seen and all(page == expected for page in seen)
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]  # no temp file left


# ---------------------------------------------------------------------------- fresh skips


@pytest.mark.slow
def test_a_damaged_report_is_rebuilt_not_skipped(copied, capsys):
    """Before: a deleted page or an overwritten results.json was skipped as unchanged."""
    params_path, notebooks, out = copied
    run_dir = out / "demo"
    assert runner.skip_outcome(plan_for(params_path, notebooks, out)) is not None  # intact

    results = (run_dir / "results.json").read_bytes()
    (run_dir / "results.json").write_text('{"verdict": "decisive"}')
    assert runner.skip_outcome(plan_for(params_path, notebooks, out)) is None
    (run_dir / "results.json").write_bytes(results)
    assert runner.skip_outcome(plan_for(params_path, notebooks, out)) is not None

    (run_dir / "01_tiny.reader.html").unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_compute_results", fake_results)
        console = cli.console
        (outcome,) = runner.run_all([params_path], out, notebooks_dir=notebooks, console=console)
    assert outcome.status == "published"
    assert (run_dir / "01_tiny.reader.html").is_file()
    said = " ".join(capsys.readouterr().out.split())
    assert "run demo: inputs unchanged but the published report was altered" in said
    assert "01_tiny.reader.html missing or changed" in said


def test_a_manifest_pointing_outside_its_folder_is_damaged(tmp_path):
    from analyse.pipeline.manifest import damaged_outputs

    (tmp_path / "a.txt").write_text("a")
    manifest = {"outputs": {"../a.txt": "0" * 64, "/etc/hostname": "0" * 64}}
    assert damaged_outputs(tmp_path / "run", manifest) == ["../a.txt", "/etc/hostname"]
    assert damaged_outputs(tmp_path, {}) == ["(manifest.json lists no checksums)"]


def test_every_file_the_run_reads_enters_both_digests(tmp_path, monkeypatch):
    """The frame, the mapping files and the provenance sidecar, edited, change the inputs
    digest (the run is not skipped) and the result's key (the stored result is not reused).

    Before: the provenance sidecar was missing from ``result_key``.
    """
    root = tmp_path / "project"
    reference = root / "data" / "reference"
    reference.mkdir(parents=True)
    for path in frame_files():
        shutil.copy(path, reference / path.name)
    params_path, notebooks = make_project(root)  # the shipped codebook, by absolute path
    monkeypatch.setenv("ANALYSE_ROOT", str(root))  # the copied frame
    columns = root / "columns.yaml"
    columns.write_text("id: id\n")
    params = yaml.safe_load(params_path.read_text())
    params["data"]["columns"] = str(columns)
    params_path.write_text(yaml.safe_dump(params))
    survey = load_params(params_path).survey_path
    assert {p.parent for p in frame_files()} == {reference}

    def digests() -> tuple[str, str]:
        plan = plan_for(params_path, notebooks, tmp_path / "out")
        return plan.inputs_digest, result_key(plan.params)

    edits = {
        "frame": lambda: (reference / "epci.csv").write_text(
            (reference / "epci.csv").read_text() + "\n"
        ),
        "another level of the frame": lambda: (reference / "regions.csv").write_bytes(
            (reference / "regions.csv").read_bytes().replace(b"\n", b"\r\n", 1)
        ),
        "mapping file": lambda: columns.write_text("id: identifiant\n"),
        "provenance sidecar": lambda: truth_path(survey).write_text('{"synthetic": true}'),
        "survey": lambda: survey.write_text(survey.read_text() + "3,4\n"),
    }
    before = digests()
    for what, edit in edits.items():
        edit()
        after = digests()
        assert after[0] != before[0], f"inputs digest ignores the {what}"
        assert after[1] != before[1], f"result key ignores the {what}"
        before = after
