"""The two environment descriptions pin the same versions, and the installed ones match them."""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_environment.py"


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    pins = {}
    for line in reqs:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line}"
        pins[req.name.lower()] = specs[0].version
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, ver = dep.split("=", 1)
            pins[name.strip().lower()] = ver.strip()
        elif isinstance(dep, dict):  # packages conda-forge lacks, installed by pip
            for line in dep.get("pip", []):
                if "==" in line:
                    name, ver = line.split("==", 1)
                    pins[name.strip().lower()] = ver.strip()
    return pins


def test_every_dependency_is_pinned_exactly():
    assert len(_pyproject_pins()) >= 15


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _lock_pins() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, ver = line.split("==")
            lock[_normal(name)] = ver
    return lock


def test_environment_yml_pins_every_package_of_the_lock():
    """A conda user gets the venv's tree: every package of the lock, at its version, and
    nothing else (not only the top-level pins of pyproject.toml)."""
    conda = {_normal(name): ver for name, ver in _conda_pins().items()}
    conda.pop("python")
    assert len(conda) == len(_lock_pins()) >= 100
    assert conda == _lock_pins()
    assert {name: conda[name] for name in _pyproject_pins()} == _pyproject_pins()


def test_environment_yml_is_what_the_script_writes_from_the_lock():
    """Generated, not edited: rerun scripts/make_environment.py after changing the lock."""
    spec = importlib.util.spec_from_file_location("make_environment", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert (ROOT / "environment.yml").read_text(encoding="utf-8") == script.render(lock), (
        "environment.yml is out of date: run .venv/bin/python scripts/make_environment.py"
    )
    with pytest.raises(ValueError, match="not an exact pin"):
        script.render("numpy>=2\n")


def test_environment_yml_uses_the_supported_python():
    assert _conda_pins()["python"] == "3.11"


@pytest.mark.parametrize("name", sorted(_pyproject_pins()))
def test_installed_version_is_the_pinned_one(name):
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.skip(f"{name} is an optional extra not installed here")
    assert installed == _pyproject_pins()[name]


def test_lock_file_agrees_with_the_pins():
    """requirements.lock pins the whole tree (used as pip constraints by the quick start)."""
    lock = _lock_pins()
    for name, ver in _pyproject_pins().items():
        assert lock.get(_normal(name)) == ver, name


def test_pre_commit_hooks_pin_what_pyproject_pins():
    """The hooks build their own environments from PyPI: same versions as the project's."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    pins = _pyproject_pins()
    hooked = {}
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            for dep in hook.get("additional_dependencies", []):
                req = Requirement(dep)
                (spec,) = req.specifier
                hooked[req.name.lower()] = spec.version
    assert {"nbstripout", "ruff"} <= set(hooked)
    assert hooked == {name: pins[name] for name in hooked}


def _quick_start_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_s_test_line():
    """CI runs the README's second quick-start line as written, so the two never drift."""
    lines = _quick_start_lines()
    assert len(lines) == 2 and lines[1].endswith(".venv/bin/pytest")
    assert lines[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_quick_start_compiles_the_libraries_bytecode_once():
    """Without it, every process and kernel recompiles pandas, statsmodels and matplotlib on a
    machine that writes no bytecode at import (PYTHONDONTWRITEBYTECODE)."""
    for line in _quick_start_lines():
        assert "uv pip install -q --compile-bytecode" in line, line


def _hook_entry(hook_id: str) -> list[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == hook_id]
    return shlex.split(hook["entry"])  # as pre-commit splits it


@pytest.mark.slow  # nbstripout starts in about 3 s
def test_the_nbstripout_hook_gives_back_the_stored_notebook(tmp_path):
    """A stored notebook run and saved in JupyterLab (outputs, execution counts, the full
    language_info with Python's patch version, the venv's kernelspec), then stripped by the
    hook as configured, is the stored notebook again, byte for byte: no metadata churn."""
    entry = _hook_entry("nbstripout")
    tool = Path(sys.executable).with_name(entry[0])
    if not tool.is_file():
        pytest.skip("nbstripout (lab extra) is not installed")
    stored = ROOT / "notebooks" / "03_is_size_decisive.ipynb"
    saved = json.loads(stored.read_text(encoding="utf-8"))
    saved["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.14",
    }
    saved["metadata"]["kernelspec"] = json.loads(
        (Path(sys.prefix) / "share/jupyter/kernels/python3/kernel.json").read_text()
    ) | {"name": "python3"}
    for key in ("argv", "metadata", "kernel_protocol_version", "env", "interrupt_mode"):
        saved["metadata"]["kernelspec"].pop(key, None)
    for count, cell in enumerate(c for c in saved["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = count + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["noise\n"]}]
    notebook = tmp_path / stored.name
    notebook.write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert notebook.read_bytes() != stored.read_bytes()
    subprocess.run([str(tool), *entry[1:], str(notebook)], check=True, timeout=60)
    assert notebook.read_text(encoding="utf-8") == stored.read_text(encoding="utf-8")


def test_every_locked_package_installs_on_the_oldest_python_we_accept():
    """Debian 12's own python3.11 is 3.11.2: a locked package requiring 3.11.5 (soupsieve 3
    and later) made the quick start unsatisfiable there. Checked on the installed metadata of
    every package of the lock (the lab extra's are checked where it is installed)."""
    from importlib.metadata import distributions

    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (floor,) = [s.version for s in SpecifierSet(project["requires-python"]) if s.operator == ">="]
    lock = _lock_pins()
    refused = sorted(
        f"{dist.metadata['Name']}=={dist.version} requires Python {needs}"
        for dist in distributions()
        if _normal(dist.metadata["Name"]) in lock
        and (needs := dist.metadata.get("Requires-Python"))
        and not SpecifierSet(needs).contains(f"{floor}.0")
    )
    assert not refused, refused
