"""Where the files shipped with the repository live.

The package is installed in editable mode from a checkout, so the data folder is found relative
to this file; ``ANALYSE_ROOT`` overrides it for an installed copy used elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout holding ``data/``, ``params/`` and ``notebooks/``."""
    env = os.environ.get("ANALYSE_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return project_root() / "data"


def default_codebook_path() -> Path:
    return data_dir() / "codebook.yaml"
