"""Where a survey file comes from: synthetic surveys are recognised by the file their generator
writes beside them, never by their name.

``analyse simulate`` writes ``<survey>.truth.json`` next to each survey it draws, with
``"synthetic": true`` and the SHA-256 of the survey file. A report calls its data synthetic
only when that sidecar exists and its checksum matches the survey byte for byte: a real survey
saved in a folder called "synthetic" is not mislabelled, and a synthetic file edited by hand
(so no longer what the generator drew) is not passed off as the generator's output either.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_CHUNK = 1 << 20


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


def is_synthetic(survey: Path) -> bool:
    """Whether ``survey`` is, byte for byte, a survey written by ``analyse simulate``."""
    sidecar = truth_path(survey)
    try:
        truth = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(truth, dict) or truth.get("synthetic") is not True:
        return False
    try:
        return truth.get("survey_sha256") == file_sha256(survey)
    except OSError:
        return False
