"""Microdata stay out of git: the folders the README writes them to are ignored, ``analyse run``
warns when a real survey is tracked, and a copy of a shipped synthetic survey is still known as
synthetic without its sidecar (by the checksum recorded in data/synthetic/PROVENANCE.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from analyse.data import provenance
from analyse.data.provenance import file_sha256, is_synthetic, recorded_synthetic
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path, project_root
from analyse.pipeline import runner

ROOT = project_root()
SHIPPED = [
    ROOT / "data" / "synthetic" / "synthetic_barometre_2025.csv",
    ROOT / "data" / "synthetic" / "synthetic_census_epci.csv",
    ROOT / "data" / "example-export" / "export.csv",
]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


@needs_git
@pytest.mark.parametrize(
    "name", ["exports/barometre.xlsx", "exports/sub/x.csv", "03.out.ipynb", "out/03.ipynb"]
)
def test_the_readme_s_microdata_and_papermill_outputs_are_ignored(name):
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", name], check=False
    )
    assert proc.returncode == 0, f"{name} is not ignored by .gitignore"


@needs_git
@pytest.mark.parametrize("shipped", SHIPPED, ids=lambda p: p.name)
def test_a_windows_checkout_keeps_the_synthetic_files_byte_for_byte(shipped):
    """Git for Windows (core.autocrlf) would rewrite line endings, and the shipped synthetic
    panel would no longer match its checksum: reports would call it real data."""
    rel = shipped.relative_to(ROOT).as_posix()
    attrs = git(ROOT, "check-attr", "text", "eol", "--", rel).stdout
    assert f"{rel}: text: unset" in attrs, attrs


def test_provenance_md_records_every_shipped_synthetic_file():
    """The table of PROVENANCE.md is what the files are (regenerate.sh changes both)."""
    assert recorded_synthetic() == {(p.stat().st_size, file_sha256(p)) for p in SHIPPED}


def test_a_copy_without_its_sidecar_is_still_synthetic(tmp_path):
    for shipped in SHIPPED:
        copy = tmp_path / f"copy-{shipped.name}"
        shutil.copy(shipped, copy)
        assert is_synthetic(copy), shipped.name
        copy.write_bytes(shipped.read_bytes().replace(b"\n", b"\r\n", 1))  # edited by hand
        assert not is_synthetic(copy), shipped.name


def test_a_file_of_another_size_is_not_hashed(tmp_path, monkeypatch):
    """A large real survey costs no checksum: only a file of a recorded size is hashed."""
    survey = tmp_path / "real.csv"
    survey.write_text("a,b\n1,2\n", encoding="utf-8")

    def no_hashing(path):
        raise AssertionError("hashed")

    monkeypatch.setattr(provenance, "file_sha256", no_hashing)
    assert not is_synthetic(survey)


def write_params(folder: Path, survey: Path, name: str = "real") -> Path:
    path = folder / f"{name}.yaml"
    data = {"survey": str(survey), "codebook": str(default_codebook_path())}
    path.write_text(yaml.safe_dump({"name": name, "data": data}), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a real survey (not synthetic) and a copy of a synthetic one."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    shutil.copy(SHIPPED[0], folder / "synthetic.csv")
    real = folder / "real.csv"
    real.write_bytes(SHIPPED[0].read_bytes().replace(b"SYN-0001", b"REAL-001"))
    return folder


def warnings_for(*params_files: Path) -> list[str]:
    return runner.tracked_data_warnings([(p, load_params(p)) for p in params_files])


@needs_git
def test_a_tracked_real_survey_is_warned_about(repo, monkeypatch):
    real = write_params(repo, repo / "real.csv")
    synthetic = write_params(repo, repo / "synthetic.csv", name="syn")
    assert warnings_for(real, synthetic) == []  # untracked: nothing to say
    git(repo, "add", "real.csv", "synthetic.csv")
    monkeypatch.chdir(repo)
    (warning,) = warnings_for(real, synthetic)  # the synthetic copy is not warned about
    assert warning.startswith("real.yaml: data.survey real.csv holds real (not synthetic) survey")
    assert "tracked by git" in warning and "git rm --cached real.csv" in warning
    assert "stays in the history" in warning


@needs_git
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (chown)")
def test_a_checkout_git_refuses_is_said_instead_of_silently_skipping_the_check(repo, monkeypatch):
    """A GitHub Actions container job runs as root on the runner user's checkout: git then
    refuses every call ("dubious ownership"), and the check would silently find nothing."""
    git(repo, "add", "real.csv")
    params = write_params(repo.parent, repo / "real.csv")
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 4242, 4242)
    monkeypatch.setenv("ANALYSE_ROOT", str(repo))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(repo.parent / "gitconfig"))  # no safe.directory
    (warning,) = warnings_for(params)
    assert "git refuses this checkout" in warning
    assert f"git config --global --add safe.directory {repo}" in warning


@needs_git
def test_no_warning_outside_a_repository_or_without_git(tmp_path, repo, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(repo / "real.csv", outside / "real.csv")
    assert warnings_for(write_params(outside, outside / "real.csv")) == []
    git(repo, "add", "real.csv")
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert warnings_for(write_params(repo, repo / "real.csv")) == []


@needs_git
def test_run_all_passes_the_warning_on_before_anything_runs(repo, tmp_path):
    git(repo, "add", "real.csv")
    said: list[str] = []
    with pytest.raises(InputError):  # stopped at the (missing) notebooks: nothing ran
        runner.run_all(
            [write_params(repo, repo / "real.csv")],
            tmp_path / "reports",
            notebooks_dir=tmp_path / "no-notebooks",
            warn=said.append,
        )
    assert len(said) == 1 and "tracked by git" in said[0]
