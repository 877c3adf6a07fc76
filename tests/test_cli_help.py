"""``analyse --help`` reads well (paragraphs wrapped by the terminal, never mid-sentence by the
source's line breaks; ``--jobs`` shows what it takes and its default), the README lists every
command, and ``analyse run --check`` says which reports are out of date without running any."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from run_command import run_main

from analyse import cli
from analyse.paths import project_root

ROOT = project_root()


def help_text(*args: str, columns: int = 400) -> str:
    """The help as a terminal this wide shows it (the real entry point, in a subprocess)."""
    env = {**os.environ, "COLUMNS": str(columns), "TERMINAL_WIDTH": str(columns)}
    proc = subprocess.run(
        [sys.executable, "-m", "analyse", *args, "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=True,
    )
    return proc.stdout


def commands() -> dict[str, str]:
    """Every command's name and docstring."""
    named = {}
    for info in cli.app.registered_commands:
        assert info.callback is not None
        named[info.name or info.callback.__name__.replace("_", "-")] = info.callback.__doc__ or ""
    return named


def paragraphs(doc: str) -> list[str]:
    return [" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n")]


@pytest.mark.parametrize("command", [None, "run", "simulate", "validate"])
def test_help_paragraphs_are_not_broken_mid_sentence(command):
    """On a wide terminal, each paragraph of a docstring is one line of the help."""
    text = help_text(*([command] if command else []))
    flat = " ".join(text.split())
    shown = commands() if command is None else {command: commands()[command]}
    for name, doc in shown.items():
        first, *rest = paragraphs(doc)
        assert first in flat, name  # the one-line summary, in the list or the command's page
        if command is not None:
            for paragraph in [first, *rest]:
                lines = [line.strip(" │") for line in text.splitlines()]
                assert any(paragraph in line for line in lines), paragraph


def test_jobs_help_shows_what_it_takes_and_its_default():
    text = " ".join(help_text("run", columns=200).split())
    line = text[text.index("--jobs") :][:200]
    assert re.match(r"--jobs N ", line), line
    assert f"[default: (the number of CPUs, {os.cpu_count() or 1} here)]" in line


def test_the_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What you get", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"^\| `analyse ([a-z-]+)", table, re.MULTILINE))
    assert listed == set(commands()), f"missing: {set(commands()) - listed}"
    for option in ("--check", "--jobs N", "--pdf", "--force", "--timeout", "--debug"):
        assert option in table, option


def test_check_runs_nothing_and_says_which_reports_are_not_published(tmp_path):
    out = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "analyse", "run", "--check", "--output-dir", str(out)]
        + ["params/ci.yaml", "params/census.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"run ci: out of date: not published in {out / 'ci'}" in proc.stderr
    assert "run census: out of date: not published" in proc.stderr
    assert not out.exists()  # nothing written, not even the output folder


def test_check_of_a_bad_parameter_file_is_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata: {survey: nowhere.csv}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "analyse", "run", "--check", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert Path(tmp_path / "reports").exists() is False


def _published_without_pdf(out: Path) -> None:
    """The run folder of params/ci.yaml as a publication from these very inputs would leave
    it, less everything but one file: what ``check_all`` compares, without running a kernel."""
    from analyse.data.provenance import file_sha256
    from analyse.pipeline.runner import (
        code_digest,
        environment_versions,
        find_notebooks,
        load_all,
        make_plan,
    )

    ((path, p),) = load_all([ROOT / "params" / "ci.yaml"])
    environment = {"git": {}, "versions": environment_versions(), "code": code_digest()}
    plan = make_plan(path, p, find_notebooks(ROOT / "notebooks"), out, environment)
    plan.target.mkdir(parents=True)
    (plan.target / "index.html").write_text("<p>report</p>", encoding="utf-8")
    manifest = {
        "inputs_digest": plan.inputs_digest,
        "outputs": {"index.html": file_sha256(plan.target / "index.html")},
    }
    (plan.target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_check_with_pdf_counts_a_report_published_without_its_pdf_as_out_of_date(tmp_path):
    from analyse.pipeline.runner import check_all

    out = tmp_path / "reports"
    _published_without_pdf(out)
    assert check_all([ROOT / "params" / "ci.yaml"], out) == [("ci", None)]
    ((name, reason),) = check_all([ROOT / "params" / "ci.yaml"], out, pdf=True)
    assert name == "ci" and reason is not None and "rapport.pdf" in reason


def test_check_refuses_force_and_an_output_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    file = tmp_path / "reports"
    file.write_text("not a folder", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    for extra in (["--force"], []):
        code = run_main(
            monkeypatch, "run", "--check", *extra, "--output-dir", file, "params/ci.yaml"
        )
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err, err
        expected = "--force" if extra else "output folder is an existing file"
        assert expected in " ".join(err.split()), err
    assert file.read_text(encoding="utf-8") == "not a folder"
