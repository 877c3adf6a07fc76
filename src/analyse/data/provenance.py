"""Where a survey file comes from: synthetic surveys are recognised by the file their generator
writes beside them, never by their name.

``analyse simulate`` writes ``<survey>.truth.json`` next to each survey it draws, with
``"synthetic": true`` and the SHA-256 of the survey file. A report calls its data synthetic
only when that sidecar exists and its checksum matches the survey byte for byte: a real survey
saved in a folder called "synthetic" is not mislabelled, and a synthetic file edited by hand
(so no longer what the generator drew) is not passed off as the generator's output either.

A copy of a shipped synthetic survey made without its sidecar (moved into ``exports/``, sent by
e-mail) is still synthetic: ``data/synthetic/PROVENANCE.md`` records the size and SHA-256 of
every shipped synthetic file, and a file of that size and checksum is one of them. The size is
compared first, so a large real survey is not hashed for nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

from analyse.paths import data_dir

_CHUNK = 1 << 20
PROVENANCE_FILE = "synthetic/PROVENANCE.md"  # under data/
# A row of PROVENANCE.md's checksum table: | `path` | bytes | `sha256` |
_RECORDED = re.compile(r"^\|\s*`[^`]+`\s*\|\s*(\d+)\s*\|\s*`([0-9a-f]{64})`\s*\|", re.MULTILINE)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks so a large survey does not fill memory."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def truth_path(survey: Path) -> Path:
    """``survey.csv`` -> ``survey.truth.json``, beside it."""
    survey = Path(survey)
    return survey.with_name(survey.stem + ".truth.json")


@functools.cache
def recorded_synthetic(provenance: Path | None = None) -> frozenset[tuple[int, str]]:
    """(size, SHA-256) of every shipped synthetic survey, as ``PROVENANCE.md`` records them;
    empty when the file is absent (an installed package without the checkout's data)."""
    path = provenance if provenance is not None else data_dir() / PROVENANCE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset((int(size), sha) for size, sha in _RECORDED.findall(text))


def is_synthetic(survey: Path) -> bool:
    """Whether ``survey`` is, byte for byte, a survey written by ``analyse simulate``: its
    sidecar says so with the survey's checksum, or it is a copy of a shipped synthetic file."""
    sidecar = truth_path(survey)
    try:
        truth = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        truth = None
    try:
        if isinstance(truth, dict) and truth.get("synthetic") is True:
            return truth.get("survey_sha256") == file_sha256(survey)
        recorded = recorded_synthetic()
        size = Path(survey).stat().st_size
        if not any(size == known for known, _ in recorded):
            return False
        return (size, file_sha256(survey)) in recorded
    except OSError:
        return False
