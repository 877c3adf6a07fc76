"""The run's own copy of the user's input files: each read once, hashed and loaded from the same
bytes.

A run reads its survey several times: to hash it for the manifest, to load it for the analysis,
to check whether it is synthetic. A survey edited (or deleted) meanwhile, say by an export
rewriting it while a run is under way, would give a ``results.json`` and a manifest describing
the old file and notebooks recomputed from the new one. So, once the run's staging folder
exists, the runner copies every file the analysis reads from the parameters (survey, its
generator's sidecar, codebook, mapping files) into ``<staging>/.inputs/``, hashing the bytes
as it copies them; the manifest's checksums are those of the copies, the analysis loads the
copies (``Snapshot.reading``), and the notebooks find the run's stored result by the same
checksums, without reading the user's files again. What the user's file becomes during the run
no longer matters to it.

The copies hold respondent-level rows: they are removed with the stored result before
publishing, and never kept with a failed run (``analyse.pipeline.failure.drop_run_result``).
The reference frame and the notebooks are the project's own files, not the user's: they are
read where they are.

Messages name the user's files, never the copies (``Snapshot.as_given``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analyse.data.provenance import is_synthetic, truth_path
from analyse.errors import InputError, Problem
from analyse.params import RunParams
from analyse.paths import RUN_INPUTS_DIR, RUN_INPUTS_RECORD

INPUTS_DIR = RUN_INPUTS_DIR  # in the staging folder; removed before publishing, never kept
RECORD_FILE = RUN_INPUTS_RECORD
_CHUNK = 1 << 20

# role -> the field of ``RunParams.data`` that names the file (the sidecar has none)
_SURVEY, _CODEBOOK, _PROVENANCE = "survey", "codebook", "provenance"


@dataclass(frozen=True)
class Snapshot:
    """Where each input of a run was copied, and the SHA-256 of the bytes copied.

    ``files`` maps a role (``survey``, ``codebook``, ``provenance``, ``mappings/<field>``) to
    ``(original path, copy path, sha256)``; ``synthetic`` says whether the copied survey is,
    byte for byte, one its generator wrote (``analyse.data.provenance``).
    """

    files: dict[str, tuple[str, str, str]]
    synthetic: bool

    def sha256(self, role: str) -> str | None:
        entry = self.files.get(role)
        return None if entry is None else entry[2]

    def copy(self, role: str) -> Path | None:
        entry = self.files.get(role)
        return None if entry is None else Path(entry[1])

    def matches(self, params: RunParams) -> bool:
        """Whether this snapshot copied exactly the files ``params`` name (a notebook given
        another survey than its run's computes from that survey, not from the run's copy)."""
        roles = {
            _SURVEY: params.survey_path,
            _CODEBOOK: params.codebook_path,
            **{f"mappings/{k}": p for k, p in params.mapping_paths().items()},
        }
        copied = {role: entry[0] for role, entry in self.files.items() if role != _PROVENANCE}
        return copied == {role: str(path) for role, path in roles.items()}

    def reading(self, params: RunParams) -> RunParams:
        """``params`` with every input path pointing at its copy: what the analysis loads.

        The copies keep their files' names, so the sidecar is found beside the survey as the
        generator left it, and a message that names a file by its name alone is unchanged.
        """
        update: dict[str, Any] = {}
        for role, (_, copy, _) in self.files.items():
            field = role.removeprefix("mappings/")
            if role != _PROVENANCE:
                update[field] = copy
        return params.model_copy(update={"data": params.data.model_copy(update=update)})

    def as_given(self, text: str) -> str:
        """``text`` with the copies' paths replaced by the user's own."""
        for original, copy, _ in self.files.values():
            text = text.replace(copy, original)
        return text

    def named_as_given(self, exc: InputError) -> InputError:
        """The same problems, naming the user's files instead of the copies."""

        def given(value: str | None) -> str | None:
            return None if value is None else self.as_given(value)

        return InputError(
            [
                replace(
                    p,
                    file=self.as_given(p.file),
                    message=self.as_given(p.message),
                    value=given(p.value),
                    expected=given(p.expected),
                )
                for p in exc.problems
            ]
        )


def take_snapshot(params: RunParams, staging: Path) -> Snapshot:
    """Copy the run's input files into ``staging`` and record them (``read_snapshot``).

    A file gone or unreadable since the run was planned is the user's to fix: ``InputError``
    naming it, as if it had been missing from the start. Any other failure to write (a full
    disk) is the system's: the ``OSError`` propagates.
    """
    folder = staging / INPUTS_DIR
    folder.mkdir()
    sources: dict[str, tuple[str, Path]] = {
        _SURVEY: ("data.survey", params.survey_path),
        _CODEBOOK: ("data.codebook", params.codebook_path),
        **{f"mappings/{k}": (f"data.{k}", p) for k, p in params.mapping_paths().items()},
    }
    files: dict[str, tuple[str, str, str]] = {}
    for role, (key, source) in sources.items():
        target = folder / role.replace("/", "-") / source.name
        target.parent.mkdir()
        files[role] = (str(source), str(target), _copy_hashing(source, target, key))
    sidecar = truth_path(params.survey_path)
    if sidecar.is_file():
        copy = truth_path(Path(files[_SURVEY][1]))
        # removed meanwhile: the survey is then not shown as synthetic
        with contextlib.suppress(InputError):
            files[_PROVENANCE] = (str(sidecar), str(copy), _copy_hashing(sidecar, copy, ""))
    survey_copy = Path(files[_SURVEY][1])
    snapshot = Snapshot(files=files, synthetic=is_synthetic(survey_copy))
    record = {"files": files, "synthetic": snapshot.synthetic}
    (folder / RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")
    return snapshot


def _copy_hashing(source: Path, target: Path, key: str) -> str:
    """Copy ``source`` to ``target`` and return the SHA-256 of the very bytes copied."""
    digest = hashlib.sha256()
    try:
        src = source.open("rb")
    except OSError as exc:  # reading, not writing: the user's file is gone or locked
        reason = "not found" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise InputError(
            [
                Problem(
                    str(source),
                    f"{key}: cannot be read ({reason}); was it moved or deleted after the run "
                    "started?",
                )
            ]
        ) from None
    with src, target.open("xb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def read_snapshot(staging: str | Path) -> Snapshot | None:
    """The snapshot taken in ``staging``, or None (a notebook run alone, an older runner)."""
    path = Path(staging) / INPUTS_DIR / RECORD_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        files = {role: (str(a), str(b), str(c)) for role, (a, b, c) in record["files"].items()}
        return Snapshot(files=files, synthetic=bool(record["synthetic"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def snapshot_checksums(checksums: dict[str, Any], snapshot: Snapshot, shown: Any) -> dict[str, Any]:
    """The manifest's checksums with the user's files described by their copies' bytes.

    ``checksums`` is the plan's (``analyse.pipeline.manifest.input_checksums``); ``shown``
    turns a path into its published form (``display_path``).
    """
    updated = dict(checksums)

    def entry(role: str) -> dict[str, str]:
        original, _, sha = snapshot.files[role]
        return {"path": shown(Path(original)), "sha256": sha}

    updated[_SURVEY] = entry(_SURVEY)
    updated[_CODEBOOK] = entry(_CODEBOOK)
    updated["mappings"] = {
        role.removeprefix("mappings/"): entry(role)
        for role in snapshot.files
        if role.startswith("mappings/")
    }
    updated[_PROVENANCE] = (
        {Path(snapshot.files[_PROVENANCE][0]).name: entry(_PROVENANCE)}
        if _PROVENANCE in snapshot.files
        else {}
    )
    return updated
