"""The CI recipes that regenerate and publish the reports (README, "Regenerate the reports in
CI") work as written: the GitHub workflow's ``run:`` steps, executed in order in a fresh clone
the way the runner executes them (bash from the repository root, a fresh shell per step,
``CI=true``, the ``GITHUB_ENV`` and ``GITHUB_PATH`` files honoured, the ``uses:`` steps
skipped), publish the reports; both recipes install with the README's line and keep to the
rules that make their steps runnable outside the CI service.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "reports.yml"
GITLAB = ROOT / "ci" / "gitlab-ci.yml"
EXPRESSION = "${{"
# What the test runs instead of every report: the quick CI run (params/ci.yaml).
SMALL = {"ANALYSE_PARAMS": "params/ci.yaml"}


def _workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def _gitlab() -> dict[str, Any]:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def _readme_install_line() -> str:
    """The README's first quick-start line without its final ``analyse run``: the install."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()[0]
    install, sep, _ = first.partition(" && .venv/bin/analyse run ")
    assert sep, f"the README's first line no longer ends with an analyse run: {first}"
    return install


def _steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_name, step)
        for job_name, job in _workflow()["jobs"].items()
        for step in job.get("steps", [])
    ]


def _run_steps(job: str = "build") -> list[dict[str, Any]]:
    return [step for name, step in _steps() if name == job and "run" in step]


# ------------------------------------------------------------------ the GitHub workflow's rules


def test_the_workflow_runs_on_push_to_main_on_a_schedule_and_by_hand():
    on = _workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert on["schedule"] and all("cron" in entry for entry in on["schedule"])
    assert "workflow_dispatch" in on


def test_every_step_either_runs_a_command_or_uses_an_action():
    for job, step in _steps():
        assert ("run" in step) != ("uses" in step), f"{job}: {step}"


def test_no_expression_and_no_working_directory_in_a_run_step():
    """A `run:` step must work as it is in bash: values come through `env:`, the working
    directory is the repository root."""
    data = _workflow()
    assert "working-directory" not in data.get("defaults", {}).get("run", {})
    for name, job in data["jobs"].items():
        assert "working-directory" not in job.get("defaults", {}).get("run", {}), name
        for step in job.get("steps", []):
            assert "working-directory" not in step, (name, step)
            if "run" in step:
                assert EXPRESSION not in step["run"], (name, step["run"])
                assert step.get("shell", "bash") == "bash", (name, step)
    assert data.get("defaults", {}).get("run", {}).get("shell") == "bash"


def test_the_workflow_installs_with_the_readme_s_line():
    first = _run_steps()[0]["run"].strip().splitlines()[0]
    assert first == _readme_install_line()


def test_the_workflow_uploads_the_reports_and_deploys_them_to_pages():
    uses = {step["uses"].split("@")[0]: (job, step) for job, step in _steps() if "uses" in step}
    assert uses["actions/upload-artifact"][1]["with"]["path"] == "reports/"
    assert uses["actions/upload-artifact"][1]["if"] == "always()"  # a failed run's notebooks
    assert uses["actions/upload-pages-artifact"][1]["with"]["path"] == "reports/"
    job, _ = uses["actions/deploy-pages"]
    deploy = _workflow()["jobs"][job]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert uses["actions/upload-pages-artifact"][0] == "build"
    assert deploy["if"] == "github.ref == 'refs/heads/main'"  # a branch's manual run builds only


def test_the_workflow_runs_the_reports_then_checks_them():
    commands = "\n".join(step["run"] for step in _run_steps())
    assert re.search(r"^\s*analyse run --output-dir reports \$REPORT_PARAMS$", commands, re.M)
    assert re.search(
        r"^\s*analyse run --check --output-dir reports \$REPORT_PARAMS$", commands, re.M
    )


# ------------------------------------------------------------------------- the GitLab recipe


def test_the_gitlab_pages_job_follows_the_same_rules():
    config = _gitlab()
    job = config["pages"]
    script = job["script"]
    assert script[0] == _readme_install_line()
    assert job["artifacts"]["paths"] == ["public"]
    assert any("analyse run --output-dir public" in line for line in script)
    assert any("analyse run --check --output-dir public" in line for line in script)
    assert job["image"].startswith("python:3.11")
    # only the default branch deploys (a manual pipeline on a branch would replace the site)
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert config["variables"]["ANALYSE_PARAMS"]["description"]  # the Run-pipeline form's field
    for line in [*script, *job.get("before_script", []), *job.get("after_script", [])]:
        assert isinstance(line, str), line
        assert EXPRESSION not in line, line
        assert not re.search(r"(^|[;&|]\s*)cd\s", line), f"runs from the repository root: {line}"
    assert "working-directory" not in GITLAB.read_text(encoding="utf-8")
    # one bash script, as the runner joins the lines: valid syntax
    subprocess.run(["bash", "-n"], input="\n".join(script), text=True, check=True)


# ------------------------------------------------------- which parameter files are published


def _params_folder(tmp_path: Path) -> Path:
    for name in ("census.yaml", "ci.yaml", "default.yaml", "example-export.yaml"):
        (tmp_path / "params").mkdir(exist_ok=True)
        (tmp_path / "params" / name).write_text("name: x\n", encoding="utf-8")
    return tmp_path


def _github_choice(cwd: Path, extra: dict[str, str]) -> str:
    """REPORT_PARAMS as the workflow's "Choose" step writes it to GITHUB_ENV."""
    (choose,) = [step for step in _run_steps() if "GITHUB_ENV" in step["run"]]
    github_env = cwd / "github_env"
    github_env.write_text("", encoding="utf-8")
    env = {**os.environ, "GITHUB_ENV": str(github_env), "CI": "true", **extra}
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", choose["run"]],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    return read_github_env(github_env)["REPORT_PARAMS"]


def _gitlab_choice(cwd: Path, extra: dict[str, str]) -> str:
    """The files the GitLab job runs: its script up to the run, then the array printed."""
    script = [line for line in _gitlab()["pages"]["script"][1:] if "analyse" not in line]
    script.append('printf "%s\\n" "${files[*]}"')
    env = {**os.environ, **extra}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("choice", [_github_choice, _gitlab_choice])
def test_every_report_but_the_ci_variant_unless_a_list_is_given(tmp_path, choice):
    folder = _params_folder(tmp_path)
    every = "params/census.yaml params/default.yaml params/example-export.yaml"
    assert choice(folder, {"ANALYSE_PARAMS": ""}) == every
    assert choice(folder, SMALL) == "params/ci.yaml"
    assert (
        choice(folder, {"ANALYSE_PARAMS": "params/c*.yaml"}) == "params/census.yaml params/ci.yaml"
    )


# ------------------------------------------- the workflow's run steps, executed in a fresh clone


def read_github_env(path: Path) -> dict[str, str]:
    """The variables a step wrote to GITHUB_ENV: ``NAME=value`` lines and ``NAME<<DELIMITER``
    blocks, as the runner reads them."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            while lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            i += 1
            values[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _fresh_clone(dest: Path) -> Path:
    """A ``git clone`` of this checkout, with its working files as they are (edits not yet
    committed and new files git would add) committed in it, so that the test runs what would
    be pushed, from a clean checkout as CI's."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "as pushed"]):
        subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "-C", str(dest)]
            + args,
            check=True,
        )
    return dest


def _step_env(values: dict[str, Any] | None, overrides: dict[str, str]) -> dict[str, str]:
    """An ``env:`` block: literal values as written; an expression, which only the runner can
    evaluate, is the test's override or empty (what an unset variable or input gives)."""
    env = {}
    for name, value in (values or {}).items():
        text = str(value)
        env[name] = overrides.get(name, "") if EXPRESSION in text else text
    return env


@pytest.mark.slow
def test_the_workflow_s_run_steps_publish_the_reports_in_a_fresh_clone(tmp_path):
    clone = _fresh_clone(tmp_path / "clone")
    runner = tmp_path / "runner"
    runner.mkdir()
    data = _workflow()
    job = data["jobs"]["build"]
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"VIRTUAL_ENV", "PYTHONPATH", "ANALYSE_ROOT", "PYTHONHOME"}
        and not name.startswith(("PYTEST", "GITHUB_"))
    }
    env.update(CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(clone))
    env["GIT_CONFIG_GLOBAL"] = str(runner / "gitconfig")  # the runner's, not this machine's
    env.update(_step_env(data.get("env"), SMALL))
    env.update(_step_env(job.get("env"), SMALL))
    path_file = runner / "github_path"
    path_file.write_text("", encoding="utf-8")
    added_paths: list[str] = []
    ran = []
    for index, step in enumerate(job["steps"]):
        if "uses" in step:
            continue  # checkout, caches, artifact and Pages uploads: the service's own
        env_file = runner / f"github_env_{index}"
        env_file.write_text("", encoding="utf-8")
        step_env = {**env, **_step_env(step.get("env"), SMALL)}
        step_env["GITHUB_ENV"] = str(env_file)
        step_env["GITHUB_PATH"] = str(path_file)
        step_env["PATH"] = os.pathsep.join([*reversed(added_paths), env["PATH"]])
        script = runner / f"step_{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=clone,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert proc.returncode == 0, (
            f"step {step.get('name', index)!r} exited {proc.returncode}\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
        env.update(read_github_env(env_file))
        added_paths = [line for line in path_file.read_text().splitlines() if line.strip()]
        ran.append(step.get("name", index))

    assert len(ran) == len(_run_steps())
    assert env["REPORT_PARAMS"] == "params/ci.yaml"  # GITHUB_ENV carried it between steps
    reports = clone / "reports"
    assert (reports / "index.html").is_file()
    for name in ("index.html", "results.json", "manifest.json"):
        assert (reports / "ci" / name).is_file(), name
    assert not (reports / "_failed").exists()
    assert str(clone / ".venv" / "bin") in added_paths  # GITHUB_PATH: `analyse` of the clone
    # the published commit is the clone's, unmodified: nothing the steps write (the venv,
    # caches, reports) is seen by git; and the checkout is trusted in the runner's git config
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    manifest = json.loads((reports / "ci" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["git"] == {"commit": head, "dirty": False}, manifest["git"]
    assert f"directory = {clone}" in (runner / "gitconfig").read_text(encoding="utf-8")

    # --check sees an altered report (the check step passed on the intact one)
    analyse = clone / ".venv" / "bin" / "analyse"
    (reports / "ci" / "results.json").write_text("{}", encoding="utf-8")
    proc = subprocess.run(
        [str(analyse), "run", "--check", "--output-dir", "reports", "params/ci.yaml"],
        cwd=clone,
        env={**env, "PATH": os.pathsep.join([*added_paths, env["PATH"]])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "run ci: out of date: the published report was altered (results.json" in proc.stderr
