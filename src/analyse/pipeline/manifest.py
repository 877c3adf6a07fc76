"""What a published run was made from: checksums, versions, git state, and the inputs digest.

The manifest lets a reader trace a report back to its exact inputs, and the inputs digest lets
the runner skip a run whose inputs did not change. The digest deliberately covers more than the
data: the parameters, the notebooks, the ``analyse`` source (modules and page templates) and the
pinned library versions, because a fixed bug, an edited template or an upgraded library changes
the report as surely as new data does.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import platform
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import analyse
from analyse import __version__
from analyse.data.provenance import file_sha256, truth_path
from analyse.data.reference import frame_files
from analyse.params import RunParams, params_digest, shown_input
from analyse.paths import project_root

DISTRIBUTION = "analyse-maturite"


def canonical_digest(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``: equal values give equal digests."""
    text = json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def display_path(path: Path) -> str:
    """A path relative to the project root when inside it, else the file's name alone
    (``analyse.params.shown_input``): a published manifest must not reveal the building
    machine's folders. The file is identified by its checksum beside it."""
    return shown_input(path.resolve())


def input_checksums(
    params_path: Path, params: RunParams, notebooks: Iterable[Path]
) -> dict[str, Any]:
    """Path and SHA-256 of every file a run reads: params file, survey, codebook, reference
    frame, notebooks."""

    def entry(path: Path) -> dict[str, str]:
        return {"path": display_path(path), "sha256": file_sha256(path)}

    return {
        "params": entry(params_path),
        "survey": entry(params.survey_path),
        "codebook": entry(params.codebook_path),
        "frame": {path.name: entry(path) for path in frame_files()},
        "mappings": {key: entry(path) for key, path in params.mapping_paths().items()},
        # the generator's sidecar decides whether the report says "synthetic"
        "provenance": {p.name: entry(p) for p in [truth_path(params.survey_path)] if p.is_file()},
        "notebooks": {nb.name: entry(nb) for nb in notebooks},
    }


# What does not count as the package's code for the inputs digest: bytecode, which Python
# writes or not by machine. Every other file does: the modules, the templates that lay out the
# pages and the message catalogues that word them (a reworded sentence changes a report as a
# code edit does; the catalogues once did not count, and a rerun kept the old wording).
NOT_CODE_SUFFIXES = (".pyc",)


def code_digest(package_dir: Path | None = None) -> str:
    """SHA-256 over the ``analyse`` package's sources (name and bytes of each file).

    The package version is not bumped on every fix during development, so the source itself is
    what tells the runner that the analysis changed. Sources are every file of the package but
    bytecode (``NOT_CODE_SUFFIXES``, ``__pycache__``), wherever its folder moves;
    ``package_dir`` defaults to the imported package (a test digests an edited copy).
    """
    package_dir = (package_dir or Path(analyse.__file__).parent).resolve()
    digest = hashlib.sha256()
    sources = (
        p
        for p in package_dir.rglob("*")
        if p.suffix not in NOT_CODE_SUFFIXES
        and "__pycache__" not in p.relative_to(package_dir).parts
        and p.is_file()
    )
    for path in sorted(sources):
        digest.update(path.relative_to(package_dir).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Installed versions of the runtime dependencies declared by the project's metadata.

    Read once per process: every notebook asks (``analyse.pipeline.run_result.result_key``),
    reading the metadata costs about 50 ms, and the libraries a process has imported do not
    change while it runs.
    """
    return dict(_package_versions())


@functools.cache
def _package_versions() -> tuple[tuple[str, str], ...]:
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    versions = {}
    for requirement in requirements:
        if "extra ==" in requirement:
            continue  # test / lab tools do not shape a report
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if match is None:
            continue
        name = match.group(0)
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(sorted(versions.items()))


def environment_versions() -> dict[str, Any]:
    return {
        "analyse": __version__,
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def git_state(root: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the checkout; ``"unknown"`` outside a git repository."""
    root = root or project_root()
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": "unknown", "dirty": "unknown"}
    status = _git(root, "status", "--porcelain")
    return {"commit": commit, "dirty": "unknown" if status is None else bool(status)}


def tracked_by_git(path: Path) -> bool:
    """Whether ``path`` is tracked by the git repository that holds it (``git ls-files``);
    ``False`` outside a repository, for an untracked or ignored file, or without git."""
    path = Path(path)
    return _git(path.parent, "ls-files", "--error-unmatch", "--", path.name) is not None


def untrusted_checkout(root: Path | None = None) -> bool:
    """Whether git refuses the checkout because another user owns it ("dubious ownership"),
    as in a GitHub Actions container job, whose steps run as root on a checkout made by the
    runner's user: every git call then fails, the published commit is "unknown" and a real
    survey tracked by git goes unnoticed, silently unless this is said."""
    proc = _git_call(root or project_root(), "rev-parse", "HEAD")
    return proc is not None and proc.returncode != 0 and "safe.directory" in proc.stderr


def _git(root: Path, *args: str) -> str | None:
    """git's output, or ``None`` when git is absent or fails (no repository, say)."""
    proc = _git_call(root, *args)
    return proc.stdout.strip() if proc is not None and proc.returncode == 0 else None


def _git_call(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def inputs_digest(
    params: RunParams, checksums: dict[str, Any], versions: dict[str, Any], code: str
) -> str:
    """The identity of a run's inputs; paths are left out so a moved checkout is not a change."""
    shas = {
        role: entry["sha256"] if "sha256" in entry else {k: e["sha256"] for k, e in entry.items()}
        for role, entry in checksums.items()
    }
    return canonical_digest(
        {
            "params_digest": params_digest(params),
            "inputs": shas,
            "analyse_version": versions["analyse"],
            "python": versions["python"],
            "packages": versions["packages"],
            "code_digest": code,
        }
    )


def output_checksums(run_dir: Path, exclude: Iterable[str] = ("manifest.json",)) -> dict[str, str]:
    """SHA-256 of every published file, so a copied report can be checked for integrity."""
    skip = set(exclude)
    return {
        path.relative_to(run_dir).as_posix(): file_sha256(path)
        for path in sorted(run_dir.rglob("*"))
        if path.is_file() and path.relative_to(run_dir).as_posix() not in skip
    }


# The keys by which a manifest.json is recognised as this package's: a folder whose manifest
# lacks them was not published by ``analyse run`` and is never replaced by one.
REPORT_KEYS = ("name", "inputs_digest", "versions", "outputs")


def is_report_manifest(manifest: Any) -> bool:
    """Whether a parsed ``manifest.json`` is one ``analyse run`` wrote (see ``REPORT_KEYS``)."""
    return (
        isinstance(manifest, dict)
        and all(key in manifest for key in REPORT_KEYS)
        and isinstance(manifest["inputs_digest"], str)
        and isinstance(manifest["versions"], dict)
        and "analyse" in manifest["versions"]
        and isinstance(manifest["outputs"], dict)
    )


def damaged_outputs(run_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """Published files that are missing or differ from the manifest's checksums, sorted.

    A report whose inputs did not change is skipped only if it is still what was published:
    a deleted page or an overwritten ``results.json`` must be rebuilt, not kept as unchanged.
    A manifest without checksums cannot vouch for its folder: everything counts as damaged.
    """
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return ["(manifest.json lists no checksums)"]
    damaged = []
    for relative, digest in sorted(outputs.items()):
        path = run_dir / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            damaged.append(relative)  # not a file of this folder: a hand-edited manifest
            continue
        try:
            ok = path.is_file() and not path.is_symlink() and file_sha256(path) == digest
        except OSError:
            ok = False
        if not ok:
            damaged.append(relative)
    return damaged
