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


# In a run's staging folder, the runner's copy of the user's input files
# (``analyse.pipeline.snapshot``), with ``RUN_INPUTS_RECORD`` saying what was copied: a notebook
# whose ``output_dir`` holds one is executed by the runner, which read its inputs already.
RUN_INPUTS_DIR = ".inputs"
RUN_INPUTS_RECORD = "snapshot.json"


def has_run_inputs(output_dir: str | Path) -> bool:
    """Whether ``output_dir`` is a run's staging folder holding the runner's copy of its inputs."""
    return bool(output_dir) and (Path(output_dir) / RUN_INPUTS_DIR / RUN_INPUTS_RECORD).is_file()
