"""The output folder's housekeeping: who may be replaced, file modes, leftovers of dead runs.

A run never deletes what it did not write: ``replaceable`` says whether a path holds a report
of this package, and ``clean_leftovers`` removes only the runner's own temporary entries
(their names carry the writer's process id) once their writer is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

from analyse.errors import Problem
from analyse.pipeline.manifest import is_report_manifest
from analyse.pipeline.site_layout import (
    _OWNER_PID,
    BACKUP_PREFIX,
    FAILED_DIR,
    INDEX_FILE,
    INDEX_TMP_PREFIX,
    LEFTOVER_MAX_AGE,
    MANIFEST_FILE,
    STAGING_PREFIX,
    own_site_index,
    read_json,
)


def staging_prefix(name: str) -> str:
    """Prefix of a run's staging folder (``tempfile.mkdtemp`` adds the random part)."""
    return f"{STAGING_PREFIX}{name}.{os.getpid()}."


def backup_name(name: str) -> str:
    """Name of a report renamed aside while its replacement is swapped in."""
    return f"{BACKUP_PREFIX}{name}.{os.getpid()}.{secrets.token_hex(4)}"


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux).

    ``os.umask`` can only be read by setting it, which races with threads creating files.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_modes(folder: Path, umask: int | None = None) -> None:
    """Give a report's folders mode 0777 and its files 0666, less the umask (0755 and 0644 for
    the usual 022), as any folder the user creates.

    A staging folder is made by ``tempfile.mkdtemp``, mode 0700: published as is, a web server
    or a colleague could not read the report. Symbolic links are left alone.
    """
    mask = current_umask() if umask is None else umask
    dir_mode, file_mode = 0o777 & ~mask, 0o666 & ~mask
    os.chmod(folder, dir_mode)
    for root, dirs, files in os.walk(folder):
        for name, mode in [*((d, dir_mode) for d in dirs), *((f, file_mode) for f in files)]:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, mode)


def replaceable(target: Path) -> bool:
    """Whether publishing may put a run at ``target``: nothing there, an empty folder, or a
    report this package published (its ``manifest.json``, ``is_report_manifest``).

    Anything else (a user's folder or file of the same name, a symbolic link) is never replaced:
    replacing deletes it.
    """
    if target.is_symlink():
        return False
    if not target.exists():
        return True
    if not target.is_dir():
        return False
    try:
        if not any(target.iterdir()):
            return True
    except OSError:
        return False
    return is_report_manifest(read_json(target / MANIFEST_FILE))


def not_a_report(shown: str | Path, target: Path | None = None) -> Problem:
    """The problem a run reports instead of replacing something that is not its report
    (``target``, the path itself, tells a symbolic link apart: publishing would replace the
    link, wherever it points)."""
    what = (
        "is a symbolic link, which publishing would replace"
        if target is not None and target.is_symlink()
        else "exists and is not a report of analyse"
    )
    return Problem(str(shown), f"{what}: move it or choose another --output-dir")


def reserved_entry_problems(output_dir: Path, shown_dir: Path) -> list[Problem]:
    """The output folder's entries that the runner writes but that are not its own: a user's
    ``index.html`` (the site index would replace it) and a ``_failed`` that is not a folder
    (a failed run would be kept into a file, or through a symbolic link, wherever it points).

    Checked before anything runs, a skipped run included, since every run rewrites the site
    index; ``shown_dir`` is the output folder as the user wrote it, for the message.
    """
    problems = []
    if not own_site_index(output_dir / INDEX_FILE):
        problems.append(
            Problem(
                str(shown_dir / INDEX_FILE),
                "exists and was not written by analyse, which writes the site index there: "
                "move it or choose another --output-dir",
            )
        )
    failed = output_dir / FAILED_DIR
    if not usable_failed_dir(failed):
        what = "a symbolic link" if failed.is_symlink() else "not a folder"
        problems.append(
            Problem(
                str(shown_dir / FAILED_DIR),
                f"is {what}; analyse keeps failed runs in this folder: move it or choose "
                "another --output-dir",
            )
        )
    return problems


def usable_failed_dir(failed: Path) -> bool:
    """Whether failed runs may be kept in ``failed``: missing, or a real folder (not a link)."""
    try:
        mode = failed.lstat().st_mode
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISDIR(mode)


def clean_leftovers(output_dir: Path, now: float | None = None) -> list[str]:
    """Remove staging folders, renamed-aside reports and index temp files left by dead runs,
    after putting back any report a dead run had renamed aside and not replaced.

    An interrupted or killed run can leave them; they hold nothing the user needs (the last
    good report is in place). An entry is removed when the process that wrote it (the id in its
    name) is gone, or when it is older than ``LEFTOVER_MAX_AGE`` whoever holds it; the work of
    a live run, in another terminal, is left alone. A run killed between the two renames of its
    swap (``analyse.pipeline.staging.swap_in``) leaves the last good report in
    ``.old-<name>.<pid>.<hex>`` and no ``<name>``: that report is renamed back first
    (``restore_backups``), never deleted. Returns the names removed.
    """
    now = time.time() if now is None else now
    restore_backups(output_dir, now)
    removed = []
    for entry in output_dir.iterdir():
        if not entry.name.startswith((STAGING_PREFIX, BACKUP_PREFIX, INDEX_TMP_PREFIX)):
            continue
        if not _left_over(entry, now):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry.name)
    return sorted(removed)


# ``.old-<name>.<pid>.<hex>`` (``backup_name``): a run name has no dot (``RunParams.name``)
_BACKUP = re.compile(rf"^{re.escape(BACKUP_PREFIX)}([a-z0-9][a-z0-9_-]*)\.(\d+)\.[0-9a-f]+$")


def restore_backups(output_dir: Path, now: float | None = None) -> list[str]:
    """Put back the reports that dead runs renamed aside and never replaced; their names.

    A backup is restored when its writer is gone (or it is older than ``LEFTOVER_MAX_AGE``),
    it is a report of this package, and nothing holds its name: the newest such backup of a
    name wins (one run per name swaps at a time). A backup whose name is taken again is the
    previous report of a completed swap, removed as a leftover.
    """
    now = time.time() if now is None else now
    found: dict[str, list[tuple[float, Path]]] = {}
    for entry in output_dir.iterdir():
        match = _BACKUP.match(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir():
            continue
        if not _left_over(entry, now):
            continue
        if not is_report_manifest(read_json(entry / MANIFEST_FILE)):
            continue
        with contextlib.suppress(OSError):
            found.setdefault(match.group(1), []).append((entry.stat().st_mtime, entry))
    restored = []
    for name, backups in sorted(found.items()):
        target = output_dir / name
        if target.exists() or target.is_symlink():
            continue
        _, newest = max(backups)
        try:
            os.rename(newest, target)
        except OSError:
            continue  # taken meanwhile: the backup is then an ordinary leftover
        restored.append(name)
    return restored


def _left_over(entry: Path, now: float) -> bool:
    """Whether a runner's entry belongs to no live run: its writer is gone, or it is too old."""
    try:
        age = now - entry.lstat().st_mtime
    except OSError:
        return False  # removed meanwhile
    owner = _OWNER_PID.search(entry.name)
    owner_gone = owner is not None and not _alive(int(owner.group(1)))
    return owner_gone or age > LEFTOVER_MAX_AGE


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    if pid == os.getpid():
        return True
    if not 0 < pid < 2**31:
        return False  # no such process id (0 would name our own process group)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. PermissionError: it exists, under another user
    return True
