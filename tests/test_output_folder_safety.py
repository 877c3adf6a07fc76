"""The output folder after the worst moments (issue 21, items 4, 5, 8 and 10): a run killed in
the middle of its swap, the user's own ``index.html``, a ``_failed`` that is a file or a link,
and a disk that fills up while a notebook runs.

The fast tests build the state on disk and call the part that must cope with it; the slow ones
run the pipeline on one tiny notebook with ``_compute_results`` replaced, as in
``tests/test_runner.py``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell
from run_command import run_main
from tiny_notebooks import python3_notebook

from analyse.data.provenance import truth_path
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.pipeline import failure, index_pages, runner
from analyse.pipeline.output_folder import clean_leftovers
from analyse.pipeline.plan import RunPlan
from analyse.pipeline.site_layout import SITE_INDEX_MARK

MANIFEST = {"name": "ci", "inputs_digest": "d", "versions": {"analyse": "0"}, "outputs": {}}
USER_PAGE = "<!doctype html><title>Our team's page</title><p>Hand-written.</p>\n"


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_params(folder: Path, name: str = "ci", synthetic: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    survey = folder / f"survey_{name}.csv"
    survey.write_text("id,score\n1,2\n2,3\n", encoding="utf-8")
    if synthetic:
        import hashlib

        truth = {
            "synthetic": True,
            "survey_sha256": hashlib.sha256(survey.read_bytes()).hexdigest(),
        }
        truth_path(survey).write_text(json.dumps(truth), encoding="utf-8")
    path = folder / f"{name}.yaml"
    data = {"survey": str(survey), "codebook": str(default_codebook_path())}
    path.write_text(yaml.safe_dump({"name": name, "data": data}), encoding="utf-8")
    return path


def notebooks_folder(folder: Path, **cells: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, code in cells.items():
        nb = python3_notebook(
            [
                new_code_cell('output_dir = ""', metadata={"tags": ["parameters"]}),
                new_code_cell(code),
            ]
        )
        nbformat.write(nb, folder / f"{stem}.ipynb")
    return folder


def fake_results(params, staging=None) -> dict:
    return {"verdict": "negligible", "run": {"name": params.name}}


def plan_in(tmp_path: Path, synthetic: bool, *stems: str) -> RunPlan:
    """A run's plan with its output folder in ``tmp_path / 'reports'``, for ``fail_run``."""
    params_path = write_params(tmp_path / "params", synthetic=synthetic)
    out = tmp_path / "reports"
    out.mkdir()
    notebooks = tuple(tmp_path / "notebooks" / f"{stem}.ipynb" for stem in stems)
    return RunPlan(
        params_path=params_path,
        params=load_params(params_path),
        notebooks=notebooks,
        notebooks_dir=tmp_path / "notebooks",
        output_dir=out,
        checksums={},
        inputs_digest="d",
        synthetic=synthetic,
    )


# ------------------------------------------------------- item 4: killed between two renames


def test_a_report_renamed_aside_by_a_killed_swap_is_put_back_not_deleted(tmp_path):
    """Before: ``ci/`` gone, the last good report in ``.old-ci.<pid>.*``, deleted as a leftover
    by the next run."""
    out = tmp_path / "reports"
    out.mkdir()
    dead = dead_pid()
    backup = out / f".old-ci.{dead}.0123abcd"
    backup.mkdir()
    (backup / "manifest.json").write_text(json.dumps(MANIFEST))
    (backup / "index.html").write_text("the last good report")
    staging = out / f".staging-ci.{dead}.abcdefgh"  # the new report, never swapped in
    staging.mkdir()
    (staging / "index.html").write_text("new")

    removed = clean_leftovers(out)
    assert (out / "ci" / "index.html").read_text() == "the last good report"
    assert removed == [staging.name]
    assert [p.name for p in out.iterdir()] == ["ci"]


def test_a_backup_beside_its_report_is_a_leftover_and_a_live_one_is_left(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "ci").mkdir()
    (out / "ci" / "index.html").write_text("current")
    old = out / f".old-ci.{dead_pid()}.0123abcd"  # a completed swap's previous report
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps(MANIFEST))
    live = out / f".old-other.{os.getpid()}.89abcdef"  # a swap under way in this process
    live.mkdir()
    (live / "manifest.json").write_text(json.dumps({**MANIFEST, "name": "other"}))

    assert clean_leftovers(out) == [old.name]
    assert (out / "ci" / "index.html").read_text() == "current"
    assert live.is_dir() and not (out / "other").exists()


# ------------------------------------------------------------- item 5: the user's index.html


def refused_run_error(tmp_path: Path, monkeypatch, capsys, out: Path) -> str:
    """``analyse run --output-dir OUT`` of one tiny notebook, which must stop with exit 2
    before any run starts: its error output, on one line."""
    params = write_params(tmp_path / "params")
    nbs = notebooks_folder(tmp_path / "notebooks", **{"01_x": "1"})
    monkeypatch.setattr(runner, "_execute", lambda *a: pytest.fail("a run started"))
    monkeypatch.setattr(runner, "find_notebooks", lambda _: tuple(sorted(nbs.glob("*.ipynb"))))
    assert run_main(monkeypatch, "run", params, "--output-dir", out) == 2
    return " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("kind", ["page", "symlink"])
def test_a_user_s_index_html_stops_the_run_before_anything_runs(
    tmp_path, monkeypatch, capsys, kind
):
    out = tmp_path / "reports"
    out.mkdir()
    if kind == "page":
        (out / "index.html").write_text(USER_PAGE)
    else:
        (tmp_path / "elsewhere.html").write_text(USER_PAGE)
        (out / "index.html").symlink_to(tmp_path / "elsewhere.html")
    err = refused_run_error(tmp_path, monkeypatch, capsys, out)
    assert f"{out / 'index.html'}: exists and was not written by analyse" in err
    assert "Traceback" not in err
    assert (out / "index.html").read_text() == USER_PAGE
    assert (out / "index.html").is_symlink() == (kind == "symlink")


def test_the_site_index_carries_its_mark_and_replaces_only_its_own(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    index_pages.write_site_index(out)
    assert SITE_INDEX_MARK in (out / "index.html").read_text(encoding="utf-8")
    index_pages.write_site_index(out)  # its own: replaced

    (out / "index.html").write_text(USER_PAGE)
    with pytest.raises(runner.InputError) as raised:  # the user wrote it during the runs
        index_pages.write_site_index(out)
    assert raised.value.problems[0].file == str(out / "index.html")
    assert (out / "index.html").read_text() == USER_PAGE


def test_a_page_made_from_a_run_page_is_the_user_s_but_an_older_site_index_is_ours(tmp_path):
    """A run's own pages share the site's style: a landing page a user started from one is not
    a site index the package wrote (it was replaced silently); a site index written before the
    mark existed still is, by its table of runs."""
    from analyse.pipeline.site_layout import _OLD_SITE_INDEX_STYLE, own_site_index

    page = tmp_path / "index.html"
    page.write_text(f"<style>{_OLD_SITE_INDEX_STYLE}</style><!-- MY LANDING PAGE -->")
    assert not own_site_index(page)
    page.write_text(
        f'<style>{_OLD_SITE_INDEX_STYLE}</style><span class="run-meta">ci · 2026</span>'
    )
    assert own_site_index(page)


# -------------------------------------------------------- item 8: _failed a file or a link


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_failed_folder_that_is_not_a_folder_stops_the_run_before_anything_runs(
    tmp_path, monkeypatch, capsys, kind
):
    out = tmp_path / "reports"
    out.mkdir()
    target = tmp_path / "somewhere"
    target.mkdir()
    if kind == "file":
        (out / "_failed").write_text("my notes")
    else:
        (out / "_failed").symlink_to(target)
    err = refused_run_error(tmp_path, monkeypatch, capsys, out)
    what = "a symbolic link" if kind == "symlink" else "not a folder"
    assert f"{out / '_failed'}: is {what}; analyse keeps failed runs in this folder" in err
    assert "Traceback" not in err
    assert list(target.iterdir()) == []
    if kind == "file":
        assert (out / "_failed").read_text() == "my notes"


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_failed_folder_replaced_during_the_run_is_never_written_into(tmp_path, kind):
    """Before: ``FileExistsError`` for a file; a link had the failed run written into its
    target."""
    plan = plan_in(tmp_path, True, "01_x")
    target = tmp_path / "somewhere"
    target.mkdir()
    if kind == "file":
        (plan.output_dir / "_failed").write_text("my notes")
    else:
        (plan.output_dir / "_failed").symlink_to(target)
    staging = plan.output_dir / ".staging-ci.1.x"
    staging.mkdir()
    outcome = failure.fail_run(plan, staging, None, ZeroDivisionError("boom"), stage="analysis")
    assert outcome.status == "failed" and outcome.user_error  # exit 2: the user's to fix
    assert "analysis failed: ZeroDivisionError: boom; nothing kept:" in outcome.message
    assert f"{plan.output_dir / '_failed'} is not a folder" in outcome.message
    assert list(target.iterdir()) == [] and not staging.exists()


# ---------------------------------------------------------------------- item 10: disk full


def disk_full(path: Path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_a_notebook_truncated_by_a_full_disk_is_said_and_nothing_kept(tmp_path):
    """Before: ``_redact_failed`` crashed on the truncated notebook (``NotJSONError``) and the
    words "no space left on the device" never appeared; then a truncated notebook was kept in
    ``_failed`` (synthetic data), filling the disk again. A full disk keeps nothing."""
    for synthetic in (False, True):
        plan = plan_in(tmp_path / str(synthetic), synthetic, "01_ok", "05_robustness")
        staging = plan.output_dir / ".staging-ci.1.x"
        staging.mkdir()
        (staging / "05_robustness.ipynb").write_text('{"cells": [{"cell_type": "code", "sou')
        exc = disk_full(staging / "05_robustness.ipynb")

        outcome = failure.fail_run(plan, staging, "05_robustness.ipynb", exc)
        assert outcome.status == "failed" and not outcome.user_error  # exit 1
        assert "no space left on the device" in outcome.message
        assert "05_robustness.ipynb" in outcome.message and "nothing kept" in outcome.message
        assert not staging.exists() and not (plan.output_dir / "_failed").exists()


def test_a_truncated_notebook_is_removed_and_the_message_says_so(tmp_path):
    """Another failure (the kernel died) with the notebook saved halfway: the rest is kept for
    diagnosis, the unreadable notebook is not, and the message does not claim it is."""
    plan = plan_in(tmp_path, True, "01_ok", "05_robustness")  # synthetic: kept as executed
    staging = plan.output_dir / ".staging-ci.1.x"
    staging.mkdir()
    (staging / "05_robustness.ipynb").write_text('{"cells": [{"cell_type": "code", "sou')
    exc = OSError(errno.EIO, "Input/output error")

    outcome = failure.fail_run(plan, staging, "05_robustness.ipynb", exc)
    assert not (outcome.path / "05_robustness.ipynb").exists()
    assert "could not be saved whole and was removed" in outcome.message
    assert "partial notebook kept" not in outcome.message and "cell unknown" not in outcome.message


def test_a_disk_full_while_keeping_a_failed_run_keeps_nothing_and_says_so(tmp_path, monkeypatch):
    plan = plan_in(tmp_path, True, "01_ok")
    staging = plan.output_dir / ".staging-ci.1.x"
    staging.mkdir()
    (staging / "figure.png").write_bytes(b"half")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "error.txt":
            raise disk_full(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    outcome = failure.fail_run(plan, staging, None, RuntimeError("boom"))
    assert outcome.status == "failed" and not outcome.user_error
    assert outcome.message.startswith("run ci: publishing failed: RuntimeError: boom")
    assert "; nothing kept: no space left on the device" in outcome.message
    assert not staging.exists()
    assert not (plan.output_dir / "_failed").exists() or not any(
        (plan.output_dir / "_failed").iterdir()
    )


def test_the_command_says_the_disk_is_full_without_a_traceback(tmp_path, monkeypatch, capsys):
    params = write_params(tmp_path / "params")
    nbs = notebooks_folder(tmp_path / "notebooks", **{"01_x": "1"})
    monkeypatch.setattr(runner, "find_notebooks", lambda _: tuple(sorted(nbs.glob("*.ipynb"))))

    def full(*args, **kwargs):
        raise disk_full(tmp_path / "reports" / ".staging-ci.1.x")

    monkeypatch.setattr(runner, "_execute", full)
    assert run_main(monkeypatch, "run", params, "--output-dir", tmp_path / "reports") == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "analyse run: no space left on the device" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_full_disk_while_a_notebook_runs_exits_1_and_keeps_the_last_good_report(
    tmp_path, monkeypatch, capsys
):
    import papermill.iorw

    monkeypatch.setattr(runner, "_compute_results", fake_results)
    params = write_params(tmp_path / "params", synthetic=False)
    nbs = notebooks_folder(tmp_path / "notebooks", **{"01_first": "x = 1"})
    out = tmp_path / "reports"
    (good,) = runner.run_all([params], out, notebooks_dir=nbs)
    assert good.status == "published"
    before = {p.relative_to(out): p.read_bytes() for p in (out / "ci").rglob("*") if p.is_file()}

    notebooks_folder(nbs, **{"05_robustness": "y = 2"})
    real = papermill.iorw.LocalHandler.write

    def full_disk(self, buf, path):
        if str(path).endswith("05_robustness.ipynb"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(buf[: len(buf) // 2])  # what fitted before the disk was full
            raise disk_full(Path(path))
        return real(self, buf, path)

    monkeypatch.setattr(papermill.iorw.LocalHandler, "write", full_disk)
    monkeypatch.setattr(runner, "find_notebooks", lambda _: tuple(sorted(nbs.glob("*.ipynb"))))
    assert run_main(monkeypatch, "run", params, "--output-dir", out, "--force") == 1
    output = capsys.readouterr()
    text = " ".join((output.out + output.err).split())
    assert "no space left on the device" in text and "Traceback" not in text
    after = {p.relative_to(out): p.read_bytes() for p in (out / "ci").rglob("*") if p.is_file()}
    assert after == before  # the last good report, byte for byte
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # nothing half-written
    for kept in (out / "_failed").rglob("*.ipynb"):
        nbformat.read(kept, as_version=4)  # whatever is kept can be read


@pytest.mark.slow
def test_a_user_s_index_html_is_not_overwritten_by_a_skipped_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "_compute_results", fake_results)
    params = write_params(tmp_path / "params")
    nbs = notebooks_folder(tmp_path / "notebooks", **{"01_first": "x = 1"})
    out = tmp_path / "reports"
    (good,) = runner.run_all([params], out, notebooks_dir=nbs)
    assert good.status == "published"
    (out / "index.html").write_text(USER_PAGE)  # the user's own front page

    monkeypatch.setattr(runner, "find_notebooks", lambda _: tuple(sorted(nbs.glob("*.ipynb"))))
    assert run_main(monkeypatch, "run", params, "--output-dir", out) == 2
    assert (out / "index.html").read_text() == USER_PAGE
    assert "exists and was not written by analyse" in " ".join(capsys.readouterr().err.split())
