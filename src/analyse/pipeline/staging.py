"""Where a run is built and how it replaces the published report.

A run is built in a hidden staging folder beside its target, in the output folder, and swapped
in with renames only when complete: the output folder is checked usable before anything runs,
and the last good report is never left half-replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from analyse.errors import InputError, Problem
from analyse.pipeline.output_folder import (
    backup_name,
    not_a_report,
    replaceable,
    staging_prefix,
)
from analyse.pipeline.site_layout import STAGING_PREFIX


def prepare_output_dir(output_dir: Path, names: Sequence[str] = ()) -> Path:
    """The output folder, created if needed, checked writable and with room for the run names.

    Each way it can be unusable (a file, a path through a file, a read-only or forbidden
    folder, names longer than its file system takes) is the user's to fix: ``InputError``
    before anything runs, not a traceback once the notebooks have run.
    """
    shown = str(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError([Problem(shown, "output folder is an existing file")])
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        # what every run does first: create its staging folder there
        os.rmdir(tempfile.mkdtemp(prefix=staging_prefix("write-test"), dir=output_dir))
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    shown,
                    f"output folder cannot be used: {os_reason(exc)}",
                    expected="a folder you can write to: --output-dir",
                )
            ]
        ) from None
    try:
        limit = os.pathconf(output_dir, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    problems = [
        Problem(
            shown,
            f"run name {name!r} is too long for this folder's file system, which takes names "
            f"of {limit} bytes and the runner adds up to {_NAME_OVERHEAD}",
            expected="a shorter name in the parameter file",
        )
        for name in names
        if len(name.encode("utf-8")) + _NAME_OVERHEAD > limit
    ]
    if problems:
        raise InputError(problems)
    return output_dir.resolve()


# Characters the runner adds to a run name in the output folder, at most: the staging folder's
# ".staging-<name>.<pid>." (a Linux process id has at most 7 digits) and mkdtemp's 8 random
# characters; ".old-*" and "_failed/<name>-<stamp>" names are shorter.
_NAME_OVERHEAD = len(STAGING_PREFIX) + len(".4194304.") + 8


def os_reason(exc: OSError) -> str:
    """Why the file system refused, in words a user acts on."""
    reasons = {
        errno.ENOTDIR: "part of the path is a file, not a folder",
        errno.EEXIST: "part of the path is a file, not a folder",
        errno.EACCES: "permission denied (the folder is not writable by you)",
        errno.EPERM: "permission denied (the folder is not writable by you)",
        errno.EROFS: "the file system is read-only",
        errno.ENAMETOOLONG: "a name in the path is too long for the file system",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
    }
    where = f" ({exc.filename})" if exc.filename else ""
    return reasons.get(exc.errno, exc.strerror or type(exc).__name__) + where


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames on one filesystem.

    The old report is renamed aside first (a directory cannot be replaced while non-empty),
    and put back if the second rename fails, so ``target`` is never left half-written. What is
    there is checked again (``replaceable``): a folder made while the run ran is not deleted.
    """
    if not replaceable(target):
        raise InputError([not_a_report(target, target)])
    backup = None
    if target.exists():
        backup = target.with_name(backup_name(target.name))
        os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
