"""What makes a file unusable as a survey whatever it holds, found without opening it.

Kept apart from ``analyse.data.readers`` so that ``analyse run`` checks every survey file (one
``stat`` each) before starting anything, without importing pandas: a run skipped because
nothing changed then costs a fraction of a second.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from analyse.errors import InputError, Problem
from analyse.yaml_files import not_regular

TEXT_EXTENSIONS: tuple[str, ...] = (".csv", ".txt", ".tsv")
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*TEXT_EXTENSIONS, ".xlsx", ".sav", ".parquet")
_EXPECTED_TYPES = "a survey file: " + ", ".join(SUPPORTED_EXTENSIONS)


def _fatal(file: str, message: str, expected: str | None = None, **where: object) -> InputError:
    return InputError([Problem(file=file, message=message, expected=expected, **where)])


def check_survey_file(path: str | Path) -> None:
    """Refuse what cannot be a survey file before trying to parse it: absent, not a regular
    file, an unsupported type or empty. Cheap (one ``stat``), so that ``analyse run`` calls it
    before starting anything."""
    _check_file(Path(path), str(path))


def _check_file(path: Path, name: str) -> None:
    """Refuse what cannot be a survey file before trying to parse it.

    Stat-ed, not opened: a device (``/dev/zero``) or a named pipe would be read forever or
    block, and each is named for what it is rather than guessed to be a directory.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _fatal(name, "file not found", _EXPECTED_TYPES) from None
    except OSError as exc:
        raise _fatal(name, f"cannot be read ({exc.strerror or exc})", _EXPECTED_TYPES) from None
    if not stat.S_ISREG(info.st_mode):
        raise _fatal(name, not_regular(info.st_mode), _EXPECTED_TYPES)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        found = f"'{path.suffix}'" if path.suffix else "no extension"
        raise _fatal(name, f"unsupported file type ({found})", _EXPECTED_TYPES)
    if info.st_size == 0:
        raise _fatal(name, "file is empty (0 bytes)", "a header row followed by data rows")
